/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_xcheck.c: the cross-check.  The in-band filter (smuggle.c)
 * cannot see every smuggled line (an injection Tor's write splits across
 * two reads); Tor's own answer to GETINFO circuit-status / stream-status
 * can contradict what the events said.  Only contradictions count:
 *
 * - a circuit the events closed that Tor lists: the CLOSED was forged.
 *   It comes back (model, judge, store) with the streams Tor lists on it,
 *   so a finding the forged line was to erase is still made;
 * - a stream the events put on circuit X that Tor lists on Y, and a
 *   stream or circuit Tor never listed (new since the last check) that
 *   Tor does not list: after a grace (Tor queues events and writes a
 *   reply at once, so the events that explain a difference may come just
 *   after the reply), the model takes Tor's word.
 *
 * Each is a CONTROL_INJECTION and one log line.  A stream or circuit that
 * Tor listed once and no longer lists, without its CLOSED, changes
 * nothing: real short streams close between checks.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "idmap.h"
#include "judge.h"
#include "log.h"
#include "pipeline.h"
#include "reply.h"
#include "store.h"
#include "torev.h"
#include "xmalloc.h"
#include "pipeline_int.h"

enum {
	XC_STREAM_GONE = 1,	/* never listed, not listed now */
	XC_CIRC_GONE,
	XC_STREAM_MOVED		/* Tor lists it on another circuit */
};

static void *const listed = (void *)(uintptr_t)1;

void
pl_xc_suspect(struct pipeline *p)
{
	if (p->ready)
		p->xc.want = 1;
}

int
pipeline_xcheck_wanted(struct pipeline *p)
{
	int w = p->xc.want && p->ready;

	p->xc.want = 0;
	return w;
}

/*
 * Stream s moves to circ (0: it closes): the circuits' counts of open
 * streams.  An attach to a circuit the model has not seen BUILT (closed,
 * or never told of) is suspicious.
 */
void
pl_xc_attach(struct pipeline *p, struct stream *s, uint64_t circ)
{
	struct circ *old = s->circ != 0 ? idmap_get(&p->circs, s->circ) : NULL;
	struct circ *c = circ != 0 ? idmap_get(&p->circs, circ) : NULL;

	if (old != NULL && old->nstreams > 0)
		old->nstreams--;
	if (c != NULL)
		c->nstreams++;
	if (circ != 0 && (c == NULL || strcmp(c->status, "BUILT") != 0))
		pl_xc_suspect(p);
}

/* A circuit closed (after the session is ready): remembered a while. */
void
pl_xc_circ_closed(struct pipeline *p, uint64_t id, const struct circ *c)
{
	size_t slot = p->xc.nclosed % XC_CLOSED;

	if (!p->ready)
		return;
	if (p->xc.nclosed >= XC_CLOSED)
		idmap_del(&p->xc.closed_set, p->xc.closed[slot]);
	p->xc.closed[slot] = id;
	p->xc.nclosed++;
	idmap_put(&p->xc.closed_set, id, listed);
	/* Tor closes a circuit's streams after it: suspicious only here. */
	if (c->nstreams > 0)
		pl_xc_suspect(p);
}

static void
xc_contradiction(struct pipeline *p, const char *what, uint64_t stream,
    int64_t ts)
{
	p->stats.contradictions++;
	log_warnx("cross-check: Tor's own state contradicts the events: %s",
	    what);
	if (p->judge != NULL)
		judge_state_contradiction(p->judge, what, stream, ts);
}

static void
xc_cand_add(struct pipeline *p, int kind, uint64_t id, uint64_t model_circ,
    uint64_t tor_circ, int64_t ts)
{
	struct xc_cand *k;
	size_t i;

	for (i = 0; i < p->xc.ncand; i++)
		if (p->xc.cand[i].kind == kind && p->xc.cand[i].id == id)
			return;		/* the older one decides */
	if (p->xc.ncand == XC_CANDS)
		return;
	k = &p->xc.cand[p->xc.ncand++];
	k->kind = kind;
	k->id = id;
	k->model_circ = model_circ;
	k->tor_circ = tor_circ;
	k->ts = ts;
}

/* Parses one "CIRC ..." or "STREAM ..." status line; NULL when bad. */
static const struct torev *
xc_parse(struct pipeline *p, const struct reply *r, enum torev_type type,
    struct idmap *seen)
{
	char *cause = NULL;

	if (p->xc.over)
		return NULL;
	if (seen->n >= XC_MAX_ENTRIES) {
		p->xc.over = 1;
		return NULL;
	}
	if (torev_parse(r, &p->ev, &cause) == -1 || p->ev.type != type) {
		free(cause);
		return NULL;
	}
	idmap_put(seen, type == TOREV_CIRC ? p->ev.u.circ.id :
	    p->ev.u.stream.id, listed);
	return &p->ev;
}

static void
xc_circ_line(struct pipeline *p, const struct reply *r)
{
	const struct torev *ev = xc_parse(p, r, TOREV_CIRC, &p->xc.tor_circs);
	struct circ *c;
	struct buf d;
	uint64_t id;

	if (ev == NULL)
		return;
	id = ev->u.circ.id;
	if ((c = idmap_get(&p->circs, id)) != NULL) {
		c->confirmed = 1;
		return;
	}
	if (idmap_get(&p->xc.closed_set, id) == NULL ||
	    pl_is_closing(ev->u.circ.status))
		return;		/* never told of: its LAUNCHED is on its way */
	/* Reported closed, listed by Tor: back, as at attach. */
	idmap_del(&p->xc.closed_set, id);
	pl_on_circ(p, ev, 1);
	idmap_put(&p->xc.restored, id, listed);
	p->stats.restored++;
	c = idmap_get(&p->circs, id);
	buf_init(&d);
	buf_printf(&d, "circuit %" PRIu64 " was reported closed but Tor lists "
	    "it %s (restored)", id, c != NULL ? c->status : "open");
	xc_contradiction(p, buf_cstr(&d), 0, r->ts_us);
	buf_free(&d);
}

static void
xc_stream_line(struct pipeline *p, const struct reply *r)
{
	const struct torev *ev = xc_parse(p, r, TOREV_STREAM,
	    &p->xc.tor_streams);
	struct stream *s;
	struct circ *c;
	uint64_t id, circ;

	if (ev == NULL)
		return;
	id = ev->u.stream.id;
	circ = ev->u.stream.circ_id;
	if ((s = idmap_get(&p->streams, id)) == NULL)
		return;		/* its NEW is on its way */
	s->confirmed = 1;
	if (circ != 0 && s->circ == circ &&
	    idmap_get(&p->xc.restored, circ) != NULL) {
		if ((c = idmap_get(&p->circs, circ)) != NULL)
			c->nstreams++;
		if (p->judge != NULL)
			judge_restore_attach(p->judge, id, circ, r->ts_us);
	} else if (circ != 0 && s->circ != 0 && s->circ != circ)
		xc_cand_add(p, XC_STREAM_MOVED, id, s->circ, circ, r->ts_us);
}

void
pl_xc_circuits(struct pipeline *p, const char *v, size_t n, int64_t ts)
{
	p->xc.got_circs = 1;
	pl_status_lines(p, "CIRC ", v, n, ts, xc_circ_line);
}

void
pl_xc_streams(struct pipeline *p, const char *v, size_t n, int64_t ts)
{
	p->xc.got_streams = 1;
	pl_status_lines(p, "STREAM ", v, n, ts, xc_stream_line);
}

/* The reply is compared: what the model has and Tor never listed. */
void
pl_xc_finish(struct pipeline *p, int64_t ts)
{
	size_t pos = 0;
	uint64_t id;
	void *v;

	p->stats.xchecks++;
	if (p->xc.over)
		log_warnx("cross-check: Tor listed more than %d circuits or "
		    "streams; not compared", XC_MAX_ENTRIES);
	else {
		if (p->xc.got_streams)
			while (idmap_next(&p->streams, &pos, &id, &v))
				if (!((struct stream *)v)->confirmed &&
				    idmap_get(&p->xc.tor_streams, id) == NULL)
					xc_cand_add(p, XC_STREAM_GONE, id, 0,
					    0, ts);
		pos = 0;
		if (p->xc.got_circs)
			while (idmap_next(&p->circs, &pos, &id, &v))
				if (!((struct circ *)v)->confirmed &&
				    idmap_get(&p->xc.tor_circs, id) == NULL)
					xc_cand_add(p, XC_CIRC_GONE, id, 0, 0,
					    ts);
	}
	idmap_free(&p->xc.tor_circs);
	idmap_free(&p->xc.tor_streams);
	idmap_free(&p->xc.restored);
	p->xc.got_circs = p->xc.got_streams = p->xc.over = 0;
}

/* A difference still there after its grace: Tor's word is taken. */
static void
xc_decide(struct pipeline *p, const struct xc_cand *k, int64_t ts)
{
	struct stream *s;
	struct circ *c;
	struct buf d;

	buf_init(&d);
	switch (k->kind) {
	case XC_STREAM_GONE:
		if ((s = idmap_get(&p->streams, k->id)) == NULL || s->confirmed)
			break;
		buf_printf(&d, "stream %" PRIu64 " (of %s) was reported open "
		    "but Tor does not list it (forgotten)", k->id,
		    s->ident != NULL ? s->ident : "an unknown application");
		xc_contradiction(p, buf_cstr(&d), k->id, ts);
		pl_xc_attach(p, s, 0);
		idmap_del(&p->streams, k->id);
		pl_stream_free(s);
		if (p->judge != NULL)
			judge_stream_closed(p->judge, k->id);
		break;
	case XC_CIRC_GONE:
		if ((c = idmap_get(&p->circs, k->id)) == NULL || c->confirmed)
			break;
		buf_printf(&d, "circuit %" PRIu64 " was reported %s but Tor "
		    "does not list it (forgotten)", k->id, c->status);
		xc_contradiction(p, buf_cstr(&d), 0, ts);
		idmap_del(&p->circs, k->id);
		free(c);
		if (p->judge != NULL)
			judge_circuit(p->judge, k->id, NULL, NULL, NULL, 1);
		break;
	case XC_STREAM_MOVED:
		if ((s = idmap_get(&p->streams, k->id)) == NULL ||
		    s->circ != k->model_circ)
			break;
		buf_printf(&d, "stream %" PRIu64 " (of %s) was reported on "
		    "circuit %" PRIu64 " but Tor lists it on circuit %" PRIu64
		    " (moved)", k->id, s->ident != NULL ? s->ident :
		    "an unknown application", k->model_circ, k->tor_circ);
		xc_contradiction(p, buf_cstr(&d), k->id, ts);
		pl_xc_attach(p, s, k->tor_circ);
		s->circ = k->tor_circ;
		if (p->cfg.store != NULL && p->session_id != 0)
			store_attach(p->cfg.store, p->session_id, k->id,
			    k->tor_circ, ts);
		if (p->judge != NULL)
			judge_attach(p->judge, k->id, k->tor_circ, ts);
		break;
	}
	buf_free(&d);
}

/* After a reply at ts: the differences whose grace is over. */
void
pl_xc_resolve(struct pipeline *p, int64_t ts)
{
	size_t i, n = 0;

	for (i = 0; i < p->xc.ncand; i++) {
		if (ts - p->xc.cand[i].ts >= XC_GRACE_US)
			xc_decide(p, &p->xc.cand[i], ts);
		else
			p->xc.cand[n++] = p->xc.cand[i];
	}
	p->xc.ncand = n;
}

void
pl_xc_forget(struct pipeline *p)
{
	idmap_free(&p->xc.closed_set);
	idmap_free(&p->xc.tor_circs);
	idmap_free(&p->xc.tor_streams);
	idmap_free(&p->xc.restored);
	p->xc.nclosed = 0;
	p->xc.ncand = 0;
	p->xc.want = 0;
	p->xc.got_circs = p->xc.got_streams = p->xc.over = 0;
	p->ready = 0;
}
