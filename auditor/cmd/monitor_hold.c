/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * monitor_hold.c: the bounded wait for an agent's record (monitor_hold.h).
 * Held replies are deep copies; at most HOLD_MAX of them, each held at most
 * AGENT_GW_WAIT_US after it came.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent_gw.h"
#include "monitor_hold.h"
#include "reply.h"
#include "timeutil.h"
#include "xmalloc.h"

#define HOLD_MAX	10000

struct held {
	struct reply	 r;
	int64_t		 came;		/* monotonic us */
	char		*src;		/* a NEW's SOURCE_ADDR to wait for */
	int		 udp;		/* a NEWRESOLVE's (a DNS query) */
};

struct mon_hold {
	struct agent_gw	*gw;
	struct event	*timer;
	struct held	*q;
	size_t		 head, n, cap;
	void		(*fn)(const struct reply *, void *);
	void		*arg;
	int		 busy;
};

/*
 * The SOURCE_ADDR of a STREAM NEW or NEWRESOLVE (*udp: a DNS query)
 * event, allocated, or NULL: Tor's, the last (a target a client named may
 * hold words of its own before it).
 */
static char *
new_source(const struct reply *r, int *udp)
{
	struct kvlist kv = { 0 };
	const struct kv *src;
	const char *t;
	char *cause = NULL, *out = NULL;

	/* Every event comes by: only a NEW or NEWRESOLVE is parsed. */
	if (!r->async || r->nlines == 0 ||
	    strncmp(r->lines[0].text, "STREAM ", 7) != 0 ||
	    (t = strchr(r->lines[0].text + 7, ' ')) == NULL ||
	    (strncmp(t, " NEW ", 5) != 0 && strncmp(t, " NEWRESOLVE ", 12) != 0))
		return NULL;
	if (reply_kv_parse(r->lines[0].text, r->lines[0].textlen, &kv,
	    &cause) == -1) {
		free(cause);
		reply_kv_free(&kv);
		return NULL;
	}
	*udp = kv.n >= 3 && kv.v[2].key == NULL &&
	    strcmp(kv.v[2].val, "NEWRESOLVE") == 0;
	if (kv.n >= 3 && kv.v[2].key == NULL &&
	    (strcmp(kv.v[2].val, "NEW") == 0 || *udp) &&
	    (src = reply_kv_get(&kv, "SOURCE_ADDR")) != NULL &&
	    src->vlen > 0 && src->vlen < 80 &&
	    memchr(src->val, '\0', src->vlen) == NULL)
		out = xstrndup(src->val, src->vlen);
	reply_kv_free(&kv);
	return out;
}

static void
reply_copy(struct reply *dst, const struct reply *src)
{
	size_t i;

	*dst = *src;
	dst->lines = xcalloc(src->nlines + 1, sizeof *dst->lines);
	for (i = 0; i < src->nlines; i++) {
		const struct reply_line *l = &src->lines[i];

		dst->lines[i] = *l;
		dst->lines[i].text = xmalloc(l->textlen + 1);
		memcpy(dst->lines[i].text, l->text, l->textlen + 1);
		if (l->data != NULL) {
			dst->lines[i].data = xmalloc(l->datalen + 1);
			memcpy(dst->lines[i].data, l->data, l->datalen);
			dst->lines[i].data[l->datalen] = '\0';
		}
	}
}

static void
reply_drop(struct reply *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++) {
		free(r->lines[i].text);
		free(r->lines[i].data);
	}
	free(r->lines);
}

/* Passes held replies on until one must still wait (all with force). */
static void
release(struct mon_hold *h, int force)
{
	int64_t now = time_mono_us(), left;
	struct timeval tv;
	struct held *x;

	if (h->busy)
		return;
	h->busy = 1;
	evtimer_del(h->timer);
	while (h->n > 0) {
		x = &h->q[h->head];
		left = x->came + AGENT_GW_WAIT_US - now;
		if (!force && x->src != NULL && left > 0 &&
		    agent_gw_wanted(h->gw, x->src, x->udp)) {
			tv.tv_sec = 0;
			tv.tv_usec = (suseconds_t)left;
			evtimer_add(h->timer, &tv);
			break;
		}
		h->fn(&x->r, h->arg);
		reply_drop(&x->r);
		free(x->src);
		h->head = (h->head + 1) % h->cap;
		h->n--;
	}
	h->busy = 0;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	release(arg, 0);
}

struct mon_hold *
mon_hold_new(struct event_base *base, struct agent_gw *gw,
    void (*fn)(const struct reply *, void *), void *arg)
{
	struct mon_hold *h = xcalloc(1, sizeof *h);

	h->gw = gw;
	h->fn = fn;
	h->arg = arg;
	h->timer = evtimer_new(base, timer_cb, h);
	return h;
}

void
mon_hold_reply(struct mon_hold *h, const struct reply *r)
{
	int udp = 0;
	char *src = h->gw != NULL ? new_source(r, &udp) : NULL;
	struct held *x;

	if (h->n == 0 && (src == NULL || !agent_gw_wanted(h->gw, src, udp))) {
		free(src);
		h->fn(r, h->arg);
		return;
	}
	if (h->n == h->cap) {
		size_t i, cap = h->cap ? h->cap * 2 : 64;
		struct held *q = xcalloc(cap, sizeof *q);

		for (i = 0; i < h->n; i++)
			q[i] = h->q[(h->head + i) % h->cap];
		free(h->q);
		h->q = q;
		h->head = 0;
		h->cap = cap;
	}
	x = &h->q[(h->head + h->n) % h->cap];
	reply_copy(&x->r, r);
	x->came = time_mono_us();
	x->src = src;
	x->udp = udp;
	h->n++;
	release(h, h->n >= HOLD_MAX);
}

void
mon_hold_kick(void *arg)
{
	struct mon_hold *h = arg;

	if (h != NULL && h->n > 0)
		release(h, 0);
}

void
mon_hold_flush(struct mon_hold *h)
{
	if (h != NULL && h->n > 0)
		release(h, 1);
}

void
mon_hold_free(struct mon_hold *h)
{
	if (h == NULL)
		return;
	release(h, 1);
	event_free(h->timer);
	free(h->q);
	free(h);
}
