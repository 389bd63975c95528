/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torev_oracle.h: the event parser and dump as they were before the fast
 * path (commit 7fa26b5: reply_kv_parse's loop, torev.c, torev_dump.c), kept
 * word for word as the oracle of the differential tests (test_dump_diff.c,
 * tests/fuzz/fuzz_dump_diff.c).  Everything is static and prefixed oracle_;
 * it shares struct torev and the helpers that did not change (reply_unquote,
 * reply_kv_positional, reply_kv_free, the buf escapers).  Do not "improve":
 * it is the reference the new code must match byte for byte.
 */
#ifndef ISOAUDIT_TOREV_ORACLE_H
#define ISOAUDIT_TOREV_ORACLE_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reply.h"
#include "swar.h"
#include "torev.h"
#include "xmalloc.h"

/* A user takes what it needs of it (the fuzzer never frees its state). */
#pragma GCC diagnostic ignored "-Wunused-function"

/* --- reply.c at 7fa26b5: the keyword splitter ----------------------------- */
#define ORACLE_KV_END		1
#define ORACLE_KV_KEY		2
#define ORACLE_KV_START	4

static const unsigned char oracle_kv_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 6,
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0,
};

/* The first space or quote in w[i..len), or len: 8 bytes a step. */
static inline size_t
oracle_word_end(const char *w, size_t i, size_t len)
{
	uint64_t x, m;

	for (; SWAR_OK && i + 8 <= len; i += 8) {
		x = swar_load(w + i);
		if ((m = swar_eq(x, ' ') | swar_eq(x, '"')) != 0)
			return i + swar_first(m);
	}
	while (i < len && !(oracle_kv_class[(unsigned char)w[i]] & ORACLE_KV_END))
		i++;
	return i;
}

static int
oracle_kv_is_key(const char *s, size_t n, size_t *eq)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (n == 0 || !(oracle_kv_class[u[0]] & ORACLE_KV_START))
		return 0;
	for (i = 1; i < n && (oracle_kv_class[u[i]] & ORACLE_KV_KEY); i++)
		;
	if (i < n && u[i] == '=') {
		*eq = i;
		return 1;
	}
	return 0;
}

static struct kv *
oracle_kv_push(struct kvlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	return &l->v[l->n++];
}

static int
oracle_kv_parse(const char *s, size_t len, struct kvlist *l, char **cause)
{
	char *w;
	size_t i = 0;

	l->n = 0;
	/*
	 * Decoding never grows a value: one copy holds everything.  The
	 * copy's storage is kept for the next line (a bounded size).
	 */
	if (l->scratchcap < len + 1 || l->scratchcap > 65536) {
		free(l->scratch);
		l->scratchcap = len + 1 < 256 ? 256 : len + 1;
		l->scratch = xmalloc(l->scratchcap);
	}
	w = l->scratch;
	memcpy(w, s, len);
	w[len] = '\0';
	while (i < len) {
		struct kv *kv;
		size_t start, eq = 0, end, vlen, used;
		int iskey;

		while (i < len && w[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		end = oracle_word_end(w, i, len);
		kv = oracle_kv_push(l);
		kv->quoted = 0;
		/*
		 * A quote further on, inside a bare word, cannot change
		 * this: a key stops at the first byte that is not a key's.
		 */
		iskey = oracle_kv_is_key(w + start, end - start, &eq);
		if (iskey && start + eq + 1 == end && end < len &&
		    w[end] == '"') {
			/* KEY="quoted value" */
			w[start + eq] = '\0';
			kv->key = w + start;
			if (reply_unquote(w + end, len - end, w + end, &vlen,
			    &used) == -1) {
				*cause = xasprintf("bad quoted value for %s",
				    kv->key);
				l->n--;
				return -1;
			}
			kv->val = w + end;
			kv->vlen = vlen;
			kv->quoted = 1;
			i = end + used;
			w[end + vlen] = '\0';
			if (i < len && w[i] != ' ') {
				*cause = xasprintf("junk after quoted value "
				    "of %s", kv->key);
				l->n--;
				return -1;
			}
			continue;
		}
		if (end < len && w[end] == '"') {
			if (end == start) {
				/* A positional quoted string. */
				if (reply_unquote(w + end, len - end, w + end,
				    &vlen, &used) == -1) {
					*cause = xstrdup("bad quoted string");
					l->n--;
					return -1;
				}
				kv->key = NULL;
				kv->val = w + end;
				kv->vlen = vlen;
				kv->quoted = 1;
				i = end + used;
				w[end + vlen] = '\0';
				continue;
			}
			/* A quote inside a bare word: keep it literally. */
			while (end < len && w[end] != ' ')
				end++;
		}
		w[end] = '\0';
		if (iskey) {
			w[start + eq] = '\0';
			kv->key = w + start;
			kv->val = w + start + eq + 1;
			kv->vlen = end - start - eq - 1;
		} else {
			kv->key = NULL;
			kv->val = w + start;
			kv->vlen = end - start;
		}
		i = end + 1;
	}
	return 0;
}


/* --- torev.c at 7fa26b5 ------------------------------------------------- */
static void
oracle_torev_init(struct torev *ev)
{
	memset(ev, 0, sizeof *ev);
}

static void
oracle_torev_clear(struct torev *ev)
{
	reply_kv_free(&ev->kv);
	free(ev->store);
	free(ev->lists);
	free(ev->hops);
	free(ev->extra);
	free(ev->raw);
	free(ev->join);
	oracle_torev_init(ev);
}

static int
oracle_torev_parse_id(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9' || i >= 20)
			return -1;
		d = (unsigned)(s[i] - '0');
		/* 19 digits always fit: only the 20th can overflow. */
		if (i == 19 && v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
oracle_torev_parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (s[0] == '-') {
		if (oracle_torev_parse_id(s + 1, &v) == -1 ||
		    v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 0;
	}
	if (oracle_torev_parse_id(s, &v) == -1 || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Splits a comma list in place into ev->lists; returns its first slot. */
static size_t
oracle_torev_split_list(struct torev *ev, char *s, size_t *n)
{
	size_t first = ev->nlists;
	char *p;

	*n = 0;
	if (*s == '\0')
		return first;
	for (;;) {
		ev->lists[ev->nlists++] = s;
		(*n)++;
		if ((p = strchr(s, ',')) == NULL)
			break;
		*p = '\0';
		s = p + 1;
	}
	return first;
}

static int
oracle_hexdigits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Parses a path ($FP~nick,$FP=nick,$FP,nick) in place. */
static int
oracle_torev_parse_path(struct torev *ev, char *s, char **cause)
{
	struct circ_ev *c = &ev->u.circ;
	char *p;

	c->path = ev->hops;
	c->npath = 0;
	while (*s != '\0') {
		struct torev_hop *h = &ev->hops[c->npath++];

		if ((p = strchr(s, ',')) != NULL)
			*p = '\0';
		h->fp = h->nick = NULL;
		if (*s == '$') {
			size_t len = strcspn(s + 1, "~=");

			if (len != 40 || !oracle_hexdigits(s + 1, 40)) {
				*cause = xstrdup("bad fingerprint in path");
				return -1;
			}
			h->fp = s + 1;
			if (s[41] != '\0') {
				s[41] = '\0';
				h->nick = s + 42;
			}
		} else
			h->nick = s;
		if (p == NULL)
			break;
		s = p + 1;
	}
	return 0;
}

static void
oracle_torev_extra_add(struct torev *ev, const char *key, const char *val, size_t n)
{
	if (ev->n_extra == ev->extracap) {
		ev->extracap = ev->extracap ? ev->extracap * 2 : 4;
		ev->extra = xreallocarray(ev->extra, ev->extracap,
		    sizeof *ev->extra);
	}
	ev->extra[ev->n_extra].key = key;
	ev->extra[ev->n_extra].val = val;
	ev->extra[ev->n_extra].vlen = n;
	ev->n_extra++;
}

static const char *const oracle_positional_names[] = {
	"ARG0", "ARG1", "ARG2", "ARG3", "ARG4", "ARG5", "ARG6", "ARG7",
	"ARG8", "ARG9", "ARG10", "ARG11", "ARG12", "ARG13", "ARG14", "ARG15"
};

static void
oracle_torev_extra_positional(struct torev *ev, size_t i, const struct kv *kv)
{
	size_t k = i < 15 ? i : 15;

	oracle_torev_extra_add(ev, oracle_positional_names[k], kv->val, kv->vlen);
}

/* Copies the target's address part (brackets of IPv6 removed). */
static void
oracle_torev_split_target(struct torev *ev, struct stream_ev *s)
{
	const char *t = s->target, *colon = strrchr(t, ':');
	size_t alen = strlen(t);
	uint64_t port;

	s->target_port = -1;
	/*
	 * Tor writes every target as "%s:%d": host:port, 1.2.3.4:port,
	 * [v6]:port, and a v6 address a client gave as a name, unbracketed
	 * (2001:db8::1:443): the port is after the last colon, always.
	 */
	if (colon != NULL && oracle_torev_parse_id(colon + 1, &port) == 0 &&
	    port <= 65535) {
		s->target_port = (int)port;
		alen = (size_t)(colon - t);
	}
	if (alen >= 2 && t[0] == '[' && t[alen - 1] == ']') {
		t++;
		alen -= 2;
	}
	if (ev->storecap < alen + 1) {
		ev->storecap = alen + 1 < 64 ? 64 : alen + 1;
		ev->store = xreallocarray(ev->store, ev->storecap, 1);
	}
	memcpy(ev->store, t, alen);
	ev->store[alen] = '\0';
	s->target_address = ev->store;
}

/* The keywords STREAM and CIRC events carry that have a field here. */
enum oracle_keyword {
	ORACLE_KW_NONE,
	ORACLE_KW_BUILD_FLAGS, ORACLE_KW_CLIENT_PROTOCOL, ORACLE_KW_CONFLUX_ID, ORACLE_KW_HS_STATE,
	ORACLE_KW_ISO_FIELDS, ORACLE_KW_NYM_EPOCH, ORACLE_KW_PURPOSE, ORACLE_KW_REASON, ORACLE_KW_REMOTE_REASON,
	ORACLE_KW_REND_QUERY, ORACLE_KW_SESSION_GROUP, ORACLE_KW_SOCKS_PASSWORD, ORACLE_KW_SOCKS_USERNAME,
	ORACLE_KW_SOURCE, ORACLE_KW_SOURCE_ADDR, ORACLE_KW_TIME_CREATED
};

/*
 * Which keyword k is: by its first byte, then length and bytes (a
 * compare of known length, which the compiler does inline).
 */
static enum oracle_keyword
oracle_keyword(const char *k)
{
	size_t n = strlen(k);

#define IS(name) (n == sizeof(name) - 1 && memcmp(k, name, n) == 0)
	switch (k[0]) {
	case 'B':
		return IS("BUILD_FLAGS") ? ORACLE_KW_BUILD_FLAGS : ORACLE_KW_NONE;
	case 'C':
		return IS("CLIENT_PROTOCOL") ? ORACLE_KW_CLIENT_PROTOCOL :
		    IS("CONFLUX_ID") ? ORACLE_KW_CONFLUX_ID : ORACLE_KW_NONE;
	case 'H':
		return IS("HS_STATE") ? ORACLE_KW_HS_STATE : ORACLE_KW_NONE;
	case 'I':
		return IS("ISO_FIELDS") ? ORACLE_KW_ISO_FIELDS : ORACLE_KW_NONE;
	case 'N':
		return IS("NYM_EPOCH") ? ORACLE_KW_NYM_EPOCH : ORACLE_KW_NONE;
	case 'P':
		return IS("PURPOSE") ? ORACLE_KW_PURPOSE : ORACLE_KW_NONE;
	case 'R':
		return IS("REASON") ? ORACLE_KW_REASON :
		    IS("REMOTE_REASON") ? ORACLE_KW_REMOTE_REASON :
		    IS("REND_QUERY") ? ORACLE_KW_REND_QUERY : ORACLE_KW_NONE;
	case 'S':
		return IS("SOURCE") ? ORACLE_KW_SOURCE :
		    IS("SOURCE_ADDR") ? ORACLE_KW_SOURCE_ADDR :
		    IS("SOCKS_USERNAME") ? ORACLE_KW_SOCKS_USERNAME :
		    IS("SOCKS_PASSWORD") ? ORACLE_KW_SOCKS_PASSWORD :
		    IS("SESSION_GROUP") ? ORACLE_KW_SESSION_GROUP : ORACLE_KW_NONE;
	case 'T':
		return IS("TIME_CREATED") ? ORACLE_KW_TIME_CREATED : ORACLE_KW_NONE;
	}
	return ORACLE_KW_NONE;
#undef IS
}

static int
oracle_torev_stream(struct torev *ev, char **cause)
{
	struct stream_ev *s = &ev->u.stream;
	struct kvlist *l = &ev->kv;
	size_t i, n, first;

	memset(s, 0, sizeof *s);
	s->target_port = -1;
	if (l->n < 5) {
		*cause = xstrdup("STREAM event with fewer than 4 arguments");
		return -1;
	}
	for (i = 1; i <= 4; i++)
		reply_kv_positional(l, i);
	if (oracle_torev_parse_id(l->v[1].val, &s->id) == -1) {
		*cause = xstrdup("bad stream id");
		return -1;
	}
	s->status = l->v[2].val;
	if (oracle_torev_parse_id(l->v[3].val, &s->circ_id) == -1) {
		*cause = xstrdup("bad circuit id");
		return -1;
	}
	s->target = l->v[4].val;
	oracle_torev_split_target(ev, s);
	for (i = 5; i < l->n; i++) {
		const struct kv *kv = &l->v[i];
		const char *k = kv->key;

		if (k == NULL) {
			oracle_torev_extra_positional(ev, i, kv);
			continue;
		}
		switch (oracle_keyword(k)) {
		case ORACLE_KW_REASON:
			s->reason = kv->val;
			break;
		case ORACLE_KW_REMOTE_REASON:
			s->remote_reason = kv->val;
			break;
		case ORACLE_KW_SOURCE:
			s->source = kv->val;
			break;
		case ORACLE_KW_SOURCE_ADDR:
			s->source_addr = kv->val;
			break;
		case ORACLE_KW_PURPOSE:
			s->purpose = kv->val;
			break;
		case ORACLE_KW_SOCKS_USERNAME:
			s->socks_username.p = kv->val;
			s->socks_username.n = kv->vlen;
			break;
		case ORACLE_KW_SOCKS_PASSWORD:
			s->socks_password.p = kv->val;
			s->socks_password.n = kv->vlen;
			break;
		case ORACLE_KW_CLIENT_PROTOCOL:
			s->client_protocol = kv->val;
			break;
		case ORACLE_KW_NYM_EPOCH:
			if (oracle_torev_parse_id(kv->val, &s->nym_epoch) == -1) {
				*cause = xstrdup("bad NYM_EPOCH");
				return -1;
			}
			s->has_nym_epoch = 1;
			break;
		case ORACLE_KW_SESSION_GROUP:
			if (oracle_torev_parse_i64(kv->val, &s->session_group) == -1) {
				*cause = xstrdup("bad SESSION_GROUP");
				return -1;
			}
			s->has_session_group = 1;
			break;
		case ORACLE_KW_ISO_FIELDS:
			first = oracle_torev_split_list(ev, (char *)kv->val, &n);
			s->iso_fields = &ev->lists[first];
			s->n_iso_fields = n;
			break;
		default:
			oracle_torev_extra_add(ev, k, kv->val, kv->vlen);
			break;
		}
	}
	return 0;
}

static int
oracle_torev_circ(struct torev *ev, char **cause)
{
	struct circ_ev *c = &ev->u.circ;
	struct kvlist *l = &ev->kv;
	size_t i = 3, n, first;

	memset(c, 0, sizeof *c);
	if (l->n < 3) {
		*cause = xstrdup("CIRC event with fewer than 2 arguments");
		return -1;
	}
	reply_kv_positional(l, 1);
	reply_kv_positional(l, 2);
	if (oracle_torev_parse_id(l->v[1].val, &c->id) == -1) {
		*cause = xstrdup("bad circuit id");
		return -1;
	}
	c->status = l->v[2].val;
	if (l->n > 3 && l->v[3].key == NULL && !l->v[3].quoted) {
		if (oracle_torev_parse_path(ev, (char *)l->v[3].val, cause) == -1)
			return -1;
		i = 4;
	}
	for (; i < l->n; i++) {
		const struct kv *kv = &l->v[i];
		const char *k = kv->key;

		if (k == NULL) {
			oracle_torev_extra_positional(ev, i, kv);
			continue;
		}
		switch (oracle_keyword(k)) {
		case ORACLE_KW_BUILD_FLAGS:
			first = oracle_torev_split_list(ev, (char *)kv->val, &n);
			c->build_flags = &ev->lists[first];
			c->n_build_flags = n;
			break;
		case ORACLE_KW_PURPOSE:
			c->purpose = kv->val;
			break;
		case ORACLE_KW_HS_STATE:
			c->hs_state = kv->val;
			break;
		case ORACLE_KW_REND_QUERY:
			c->rend_query = kv->val;
			break;
		case ORACLE_KW_TIME_CREATED:
			c->created = kv->val;
			break;
		case ORACLE_KW_REASON:
			c->reason = kv->val;
			break;
		case ORACLE_KW_REMOTE_REASON:
			c->remote_reason = kv->val;
			break;
		case ORACLE_KW_SOCKS_USERNAME:
			c->socks_username.p = kv->val;
			c->socks_username.n = kv->vlen;
			break;
		case ORACLE_KW_SOCKS_PASSWORD:
			c->socks_password.p = kv->val;
			c->socks_password.n = kv->vlen;
			break;
		case ORACLE_KW_CONFLUX_ID:
			c->conflux_id = kv->val;
			break;
		default:
			oracle_torev_extra_add(ev, k, kv->val, kv->vlen);
			break;
		}
	}
	return 0;
}

/*
 * Makes room in the list and hop pools for anything this line can hold,
 * counted on the decoded values: a quoted list has commas the raw text
 * does not show (\054).
 */
static void
oracle_torev_reserve(struct torev *ev, size_t len)
{
	const char *v = ev->kv.scratch, *e = v + len, *c;
	size_t need = 2 + ev->kv.n;

	/*
	 * The decoded values are all in the scratch copy of the line, whose
	 * first len bytes hold at least their commas (the rest of the raw
	 * text left behind by decoding may add some: a count on the safe
	 * side), one memchr over the line instead of one per value.
	 */
	for (; (c = memchr(v, ',', (size_t)(e - v))) != NULL; v = c + 1)
		need++;
	if (ev->listcap < need) {
		ev->listcap = need < 32 ? 32 : need;
		ev->lists = xreallocarray(ev->lists, ev->listcap,
		    sizeof *ev->lists);
	}
	if (ev->hopcap < need) {
		ev->hopcap = need < 32 ? 32 : need;
		ev->hops = xreallocarray(ev->hops, ev->hopcap,
		    sizeof *ev->hops);
	}
}

static void
oracle_torev_set_raw(struct torev *ev, const struct reply *r)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < r->nlines; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_printf(&b, "%03d%c", r->lines[i].code, r->lines[i].sep);
		buf_add(&b, r->lines[i].text, r->lines[i].textlen);
	}
	buf_cstr(&b);
	ev->raw = b.p;
}

/*
 * The keyword text of a STREAM or CIRC event that Tor sent as a multi-line
 * reply (650-CIRC 1 BUILT, 650-KEY=V, 650 KEY=V: control-spec 4.1 says a
 * client must accept it): the lines' texts joined by spaces, in ev->join.
 * NULL when a line carries a data block: that is no keyword line.
 */
static const char *
oracle_torev_join(struct torev *ev, const struct reply *r, size_t *len)
{
	size_t i, n = 0;

	for (i = 0; i < r->nlines; i++) {
		if (r->lines[i].sep == '+')
			return NULL;
		n += r->lines[i].textlen + 1;
	}
	if (ev->joincap < n) {
		ev->joincap = n;
		ev->join = xreallocarray(ev->join, n, 1);
	}
	for (i = 0, n = 0; i < r->nlines; i++) {
		if (i > 0)
			ev->join[n++] = ' ';
		memcpy(ev->join + n, r->lines[i].text, r->lines[i].textlen);
		n += r->lines[i].textlen;
	}
	ev->join[n] = '\0';
	*len = n;
	return ev->join;
}

static int
oracle_torev_parse(const struct reply *r, struct torev *ev, char **cause)
{
	const struct reply_line *first;
	const char *text;
	size_t wlen, len;
	int keywords;

	ev->type = 0;
	ev->name = NULL;
	ev->n_extra = 0;
	ev->nlists = 0;
	FREE(ev->raw);
	memset(&ev->u, 0, sizeof ev->u);
	ev->ts_us = r->ts_us;
	if (!r->async || r->nlines == 0) {
		*cause = xstrdup("not an asynchronous event");
		return -1;
	}
	if (r->truncated) {
		*cause = xstrdup("event over the size limit or with NUL bytes");
		return -1;
	}
	first = &r->lines[0];
	wlen = strcspn(first->text, " ");
	/* Only STREAM and CIRC need their keywords; others stay raw. */
	keywords = (wlen == 6 && strncmp(first->text, "STREAM", 6) == 0) ||
	    (wlen == 4 && strncmp(first->text, "CIRC", 4) == 0);
	text = first->text;
	len = first->textlen;
	if (keywords && r->nlines > 1 &&
	    (text = oracle_torev_join(ev, r, &len)) == NULL) {
		keywords = 0;
		text = first->text;
		len = first->textlen;
	}
	if (oracle_kv_parse(text, len, &ev->kv, cause) == -1) {
		if (keywords)
			return -1;
		FREE(*cause);
		free(ev->kv.scratch);
		ev->kv.scratch = xstrndup(first->text, wlen);
		ev->kv.scratchcap = wlen + 1;
		ev->kv.n = 0;
		ev->name = ev->kv.scratch;
		ev->type = TOREV_OTHER;
		oracle_torev_set_raw(ev, r);
		return 0;
	}
	oracle_torev_reserve(ev, len);
	if (ev->kv.n == 0 || ev->kv.v[0].key != NULL) {
		*cause = xstrdup("event without a name");
		return -1;
	}
	ev->name = ev->kv.v[0].val;
	if (keywords && strcmp(ev->name, "STREAM") == 0) {
		ev->type = TOREV_STREAM;
		return oracle_torev_stream(ev, cause);
	}
	if (keywords && strcmp(ev->name, "CIRC") == 0) {
		ev->type = TOREV_CIRC;
		return oracle_torev_circ(ev, cause);
	}
	oracle_torev_set_raw(ev, r);
	if (strcmp(ev->name, "SIGNAL") == 0 && ev->kv.n >= 2) {
		ev->type = TOREV_SIGNAL;
		ev->u.signal = ev->kv.v[1].val;
	} else if (strcmp(ev->name, "CONF_CHANGED") == 0)
		ev->type = TOREV_CONF_CHANGED;
	else
		ev->type = TOREV_OTHER;
	return 0;
}

/* --- torev_dump.c at 7fa26b5 -------------------------------------------- */
static inline void
oracle_json_key(struct buf *b, const char *key)
{
	buf_addc(b, ',');
	buf_addc(b, '"');
	buf_adds(b, key);
	buf_add(b, "\":", 2);
}

static inline void
oracle_json_kstr(struct buf *b, const char *key, const char *val)
{
	oracle_json_key(b, key);
	buf_json_strz(b, val);
}

static void
oracle_json_kbin(struct buf *b, const char *key, const struct torev_str *s)
{
	oracle_json_key(b, key);
	if (s->p == NULL)
		buf_adds(b, "null");
	else
		buf_json_str(b, s->p, s->n);
}

static void
oracle_json_klist(struct buf *b, const char *key, const char **v, size_t n)
{
	size_t i;

	oracle_json_key(b, key);
	if (v == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_json_strz(b, v[i]);
	}
	buf_addc(b, ']');
}

static void
oracle_json_extra(struct buf *b, const struct torev *ev)
{
	size_t i;

	if (ev->n_extra == 0)
		return;
	oracle_json_key(b, "extra");
	buf_addc(b, '{');
	for (i = 0; i < ev->n_extra; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_json_strz(b, ev->extra[i].key);
		buf_addc(b, ':');
		buf_json_str(b, ev->extra[i].val, ev->extra[i].vlen);
	}
	buf_addc(b, '}');
}

/* Appends a STREAM event's fields. */
static void
oracle_dump_stream(struct buf *b, const struct stream_ev *s)
{
	buf_adds(b, ",\"id\":\"");
	buf_add_u64(b, s->id);
	buf_addc(b, '"');
	oracle_json_kstr(b, "status", s->status);
	buf_adds(b, ",\"circ_id\":\"");
	buf_add_u64(b, s->circ_id);
	buf_addc(b, '"');
	oracle_json_kstr(b, "target", s->target);
	oracle_json_kstr(b, "target_address", s->target_address);
	oracle_json_key(b, "target_port");
	if (s->target_port >= 0)
		buf_add_i64(b, s->target_port);
	else
		buf_adds(b, "null");
	oracle_json_kstr(b, "reason", s->reason);
	oracle_json_kstr(b, "remote_reason", s->remote_reason);
	oracle_json_kstr(b, "source", s->source);
	oracle_json_kstr(b, "source_addr", s->source_addr);
	oracle_json_kstr(b, "purpose", s->purpose);
	oracle_json_kbin(b, "socks_username", &s->socks_username);
	oracle_json_kbin(b, "socks_password", &s->socks_password);
	oracle_json_kstr(b, "client_protocol", s->client_protocol);
	oracle_json_key(b, "nym_epoch");
	if (s->has_nym_epoch)
		buf_add_u64(b, s->nym_epoch);
	else
		buf_adds(b, "null");
	oracle_json_key(b, "session_group");
	if (s->has_session_group)
		buf_add_i64(b, s->session_group);
	else
		buf_adds(b, "null");
	oracle_json_klist(b, "iso_fields", s->iso_fields, s->n_iso_fields);
}

/* Appends a CIRC event's fields. */
static void
oracle_dump_circ(struct buf *b, const struct circ_ev *c)
{
	size_t i;

	buf_adds(b, ",\"id\":\"");
	buf_add_u64(b, c->id);
	buf_addc(b, '"');
	oracle_json_kstr(b, "status", c->status);
	oracle_json_key(b, "path");
	if (c->path == NULL)
		buf_adds(b, "null");
	else {
		buf_addc(b, '[');
		for (i = 0; i < c->npath; i++) {
			if (i > 0)
				buf_addc(b, ',');
			buf_adds(b, "{\"fingerprint\":");
			buf_json_strz(b, c->path[i].fp);
			buf_adds(b, ",\"nickname\":");
			buf_json_strz(b, c->path[i].nick);
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	oracle_json_klist(b, "build_flags", c->build_flags, c->n_build_flags);
	oracle_json_kstr(b, "purpose", c->purpose);
	oracle_json_kstr(b, "hs_state", c->hs_state);
	oracle_json_kstr(b, "rend_query", c->rend_query);
	oracle_json_kstr(b, "created", c->created);
	oracle_json_kstr(b, "reason", c->reason);
	oracle_json_kstr(b, "remote_reason", c->remote_reason);
	oracle_json_kbin(b, "socks_username", &c->socks_username);
	oracle_json_kbin(b, "socks_password", &c->socks_password);
	oracle_json_kstr(b, "conflux_id", c->conflux_id);
}

static void
oracle_torev_dump_json(const struct torev *ev, struct buf *b)
{
	buf_adds(b, "{\"type\":");
	buf_json_strz(b, ev->name);
	if (ev->type == TOREV_STREAM)
		oracle_dump_stream(b, &ev->u.stream);
	else if (ev->type == TOREV_CIRC)
		oracle_dump_circ(b, &ev->u.circ);
	else {
		oracle_json_kstr(b, "raw", ev->raw);
		buf_addc(b, '}');
		return;
	}
	oracle_json_extra(b, ev);
	buf_addc(b, '}');
}

#endif
