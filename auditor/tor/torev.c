/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torev.c: typed STREAM and CIRC events from 650 replies.  Keyword order
 * is free, unknown keywords are kept in ->extra, quoted values are decoded.
 * An event's strings live in storage the struct torev owns and reuses, so a
 * long replay parses without an allocation per event once warmed up.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "torev.h"
#include "xmalloc.h"

void
torev_init(struct torev *ev)
{
	memset(ev, 0, sizeof *ev);
}

void
torev_clear(struct torev *ev)
{
	reply_kv_free(&ev->kv);
	free(ev->store);
	free(ev->lists);
	free(ev->hops);
	free(ev->extra);
	free(ev->raw);
	free(ev->join);
	torev_init(ev);
}

int
torev_parse_id(const char *s, uint64_t *out)
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
torev_parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (s[0] == '-') {
		if (torev_parse_id(s + 1, &v) == -1 ||
		    v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 0;
	}
	if (torev_parse_id(s, &v) == -1 || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Splits a comma list in place into ev->lists; returns its first slot. */
static size_t
torev_split_list(struct torev *ev, char *s, size_t *n)
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
hexdigits(const char *s, size_t n)
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
torev_parse_path(struct torev *ev, char *s, char **cause)
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

			if (len != 40 || !hexdigits(s + 1, 40)) {
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
torev_extra_add(struct torev *ev, const char *key, const char *val, size_t n)
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

static const char *const positional_names[] = {
	"ARG0", "ARG1", "ARG2", "ARG3", "ARG4", "ARG5", "ARG6", "ARG7",
	"ARG8", "ARG9", "ARG10", "ARG11", "ARG12", "ARG13", "ARG14", "ARG15"
};

static void
torev_extra_positional(struct torev *ev, size_t i, const struct kv *kv)
{
	size_t k = i < 15 ? i : 15;

	torev_extra_add(ev, positional_names[k], kv->val, kv->vlen);
}

/* Copies the target's address part (brackets of IPv6 removed). */
static void
torev_split_target(struct torev *ev, struct stream_ev *s)
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
	if (colon != NULL && torev_parse_id(colon + 1, &port) == 0 &&
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
enum keyword {
	KW_NONE,
	KW_BUILD_FLAGS, KW_CLIENT_PROTOCOL, KW_CONFLUX_ID, KW_HS_STATE,
	KW_ISO_FIELDS, KW_NYM_EPOCH, KW_PURPOSE, KW_REASON, KW_REMOTE_REASON,
	KW_REND_QUERY, KW_SESSION_GROUP, KW_SOCKS_PASSWORD, KW_SOCKS_USERNAME,
	KW_SOURCE, KW_SOURCE_ADDR, KW_TIME_CREATED
};

/*
 * Which keyword k (n bytes) is: by its first byte, then length and bytes (a
 * compare of known length, which the compiler does inline).
 */
static enum keyword
keyword(const char *k, size_t n)
{
#define IS(name) (n == sizeof(name) - 1 && memcmp(k, name, n) == 0)
	switch (k[0]) {
	case 'B':
		return IS("BUILD_FLAGS") ? KW_BUILD_FLAGS : KW_NONE;
	case 'C':
		return IS("CLIENT_PROTOCOL") ? KW_CLIENT_PROTOCOL :
		    IS("CONFLUX_ID") ? KW_CONFLUX_ID : KW_NONE;
	case 'H':
		return IS("HS_STATE") ? KW_HS_STATE : KW_NONE;
	case 'I':
		return IS("ISO_FIELDS") ? KW_ISO_FIELDS : KW_NONE;
	case 'N':
		return IS("NYM_EPOCH") ? KW_NYM_EPOCH : KW_NONE;
	case 'P':
		return IS("PURPOSE") ? KW_PURPOSE : KW_NONE;
	case 'R':
		return IS("REASON") ? KW_REASON :
		    IS("REMOTE_REASON") ? KW_REMOTE_REASON :
		    IS("REND_QUERY") ? KW_REND_QUERY : KW_NONE;
	case 'S':
		return IS("SOURCE") ? KW_SOURCE :
		    IS("SOURCE_ADDR") ? KW_SOURCE_ADDR :
		    IS("SOCKS_USERNAME") ? KW_SOCKS_USERNAME :
		    IS("SOCKS_PASSWORD") ? KW_SOCKS_PASSWORD :
		    IS("SESSION_GROUP") ? KW_SESSION_GROUP : KW_NONE;
	case 'T':
		return IS("TIME_CREATED") ? KW_TIME_CREATED : KW_NONE;
	}
	return KW_NONE;
#undef IS
}

static int
torev_stream(struct torev *ev, char **cause)
{
	struct stream_ev *s = &ev->u.stream;
	struct kvlist *l = &ev->kv;
	size_t i, n, first;

	/* ev->u is zeroed (torev_parse). */
	s->target_port = -1;
	if (l->n < 5) {
		*cause = xstrdup("STREAM event with fewer than 4 arguments");
		return -1;
	}
	for (i = 1; i <= 4; i++)
		reply_kv_positional(l, i);
	if (torev_parse_id(l->v[1].val, &s->id) == -1) {
		*cause = xstrdup("bad stream id");
		return -1;
	}
	s->status = l->v[2].val;
	if (torev_parse_id(l->v[3].val, &s->circ_id) == -1) {
		*cause = xstrdup("bad circuit id");
		return -1;
	}
	s->target = l->v[4].val;
	torev_split_target(ev, s);
	for (i = 5; i < l->n; i++) {
		const struct kv *kv = &l->v[i];
		const char *k = kv->key;

		if (k == NULL) {
			torev_extra_positional(ev, i, kv);
			continue;
		}
		switch (keyword(k, kv->klen)) {
		case KW_REASON:
			s->reason = kv->val;
			break;
		case KW_REMOTE_REASON:
			s->remote_reason = kv->val;
			break;
		case KW_SOURCE:
			s->source = kv->val;
			break;
		case KW_SOURCE_ADDR:
			s->source_addr = kv->val;
			break;
		case KW_PURPOSE:
			s->purpose = kv->val;
			break;
		case KW_SOCKS_USERNAME:
			s->socks_username.p = kv->val;
			s->socks_username.n = kv->vlen;
			break;
		case KW_SOCKS_PASSWORD:
			s->socks_password.p = kv->val;
			s->socks_password.n = kv->vlen;
			break;
		case KW_CLIENT_PROTOCOL:
			s->client_protocol = kv->val;
			break;
		case KW_NYM_EPOCH:
			if (torev_parse_id(kv->val, &s->nym_epoch) == -1) {
				*cause = xstrdup("bad NYM_EPOCH");
				return -1;
			}
			s->has_nym_epoch = 1;
			break;
		case KW_SESSION_GROUP:
			if (torev_parse_i64(kv->val, &s->session_group) == -1) {
				*cause = xstrdup("bad SESSION_GROUP");
				return -1;
			}
			s->has_session_group = 1;
			break;
		case KW_ISO_FIELDS:
			first = torev_split_list(ev, (char *)kv->val, &n);
			s->iso_fields = &ev->lists[first];
			s->n_iso_fields = n;
			break;
		default:
			torev_extra_add(ev, k, kv->val, kv->vlen);
			break;
		}
	}
	return 0;
}

static int
torev_circ(struct torev *ev, char **cause)
{
	struct circ_ev *c = &ev->u.circ;
	struct kvlist *l = &ev->kv;
	size_t i = 3, n, first;

	/* ev->u is zeroed (torev_parse). */
	if (l->n < 3) {
		*cause = xstrdup("CIRC event with fewer than 2 arguments");
		return -1;
	}
	reply_kv_positional(l, 1);
	reply_kv_positional(l, 2);
	if (torev_parse_id(l->v[1].val, &c->id) == -1) {
		*cause = xstrdup("bad circuit id");
		return -1;
	}
	c->status = l->v[2].val;
	if (l->n > 3 && l->v[3].key == NULL && !l->v[3].quoted) {
		if (torev_parse_path(ev, (char *)l->v[3].val, cause) == -1)
			return -1;
		i = 4;
	}
	for (; i < l->n; i++) {
		const struct kv *kv = &l->v[i];
		const char *k = kv->key;

		if (k == NULL) {
			torev_extra_positional(ev, i, kv);
			continue;
		}
		switch (keyword(k, kv->klen)) {
		case KW_BUILD_FLAGS:
			first = torev_split_list(ev, (char *)kv->val, &n);
			c->build_flags = &ev->lists[first];
			c->n_build_flags = n;
			break;
		case KW_PURPOSE:
			c->purpose = kv->val;
			break;
		case KW_HS_STATE:
			c->hs_state = kv->val;
			break;
		case KW_REND_QUERY:
			c->rend_query = kv->val;
			break;
		case KW_TIME_CREATED:
			c->created = kv->val;
			break;
		case KW_REASON:
			c->reason = kv->val;
			break;
		case KW_REMOTE_REASON:
			c->remote_reason = kv->val;
			break;
		case KW_SOCKS_USERNAME:
			c->socks_username.p = kv->val;
			c->socks_username.n = kv->vlen;
			break;
		case KW_SOCKS_PASSWORD:
			c->socks_password.p = kv->val;
			c->socks_password.n = kv->vlen;
			break;
		case KW_CONFLUX_ID:
			c->conflux_id = kv->val;
			break;
		default:
			torev_extra_add(ev, k, kv->val, kv->vlen);
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
torev_reserve(struct torev *ev, size_t len)
{
	const char *v = ev->kv.scratch, *e = v + len, *c;
	size_t need = 2 + ev->kv.n;

	/*
	 * The decoded values are all in the scratch copy of the line, whose
	 * first len bytes hold at least their commas (the rest of the raw
	 * text left behind by decoding may add some: a count on the safe
	 * side), one memchr over the line instead of one per value.
	 */
	if (ev->kv.clean)
		/* The fast path counted them: values are the line's bytes. */
		need += ev->kv.commas;
	else
		for (; (c = memchr(v, ',', (size_t)(e - v))) != NULL;
		    v = c + 1)
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
torev_set_raw(struct torev *ev, const struct reply *r)
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
torev_join(struct torev *ev, const struct reply *r, size_t *len)
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

int
torev_parse(const struct reply *r, struct torev *ev, char **cause)
{
	const struct reply_line *first;
	const char *text;
	size_t wlen, len;
	int keywords;

	ev->type = 0;
	ev->clean = 0;
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
	    (text = torev_join(ev, r, &len)) == NULL) {
		keywords = 0;
		text = first->text;
		len = first->textlen;
	}
	if (reply_kv_parse(text, len, &ev->kv, cause) == -1) {
		if (keywords)
			return -1;
		FREE(*cause);
		free(ev->kv.scratch);
		ev->kv.scratch = xstrndup(first->text, wlen);
		ev->kv.scratchcap = wlen + 1;
		ev->kv.n = 0;
		ev->name = ev->kv.scratch;
		ev->type = TOREV_OTHER;
		torev_set_raw(ev, r);
		return 0;
	}
	torev_reserve(ev, len);
	if (ev->kv.n == 0 || ev->kv.v[0].key != NULL) {
		*cause = xstrdup("event without a name");
		return -1;
	}
	ev->name = ev->kv.v[0].val;
	if (keywords && strcmp(ev->name, "STREAM") == 0) {
		ev->type = TOREV_STREAM;
		ev->clean = ev->kv.clean;
		return torev_stream(ev, cause);
	}
	if (keywords && strcmp(ev->name, "CIRC") == 0) {
		ev->type = TOREV_CIRC;
		ev->clean = ev->kv.clean;
		return torev_circ(ev, cause);
	}
	torev_set_raw(ev, r);
	if (strcmp(ev->name, "SIGNAL") == 0 && ev->kv.n >= 2) {
		ev->type = TOREV_SIGNAL;
		ev->u.signal = ev->kv.v[1].val;
	} else if (strcmp(ev->name, "CONF_CHANGED") == 0)
		ev->type = TOREV_CONF_CHANGED;
	else
		ev->type = TOREV_OTHER;
	return 0;
}
