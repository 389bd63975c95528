/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_torev.c: libFuzzer harness for the event parser and the event dump
 * (auditor/torev.c).
 *
 * The input is control-port bytes (seeds: one reply per file).  They go
 * through the framer in one feed; every reply that comes out goes through
 * torev_parse into one struct torev, reused as the pipeline reuses it, and
 * every event parsed through torev_dump_json.  The JSON must be valid
 * (RFC 8259, UTF-8 included: no overlong forms, surrogates or code points
 * past U+10FFFF), one object whose first key is "type", with no raw byte a
 * terminal would act on (C0, DEL, C1): `replay --dump` prints it.  The
 * typed fields are checked against what torev.h promises.  Any of these
 * failing aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "reply.h"
#include "torev.h"

/* --- a strict JSON validator -------------------------------------------- */

#define JSON_MAX_DEPTH	32

struct json {
	const unsigned char	*s;
	size_t			 n;
	size_t			 i;
	int			 depth;
};

static int	json_value(struct json *);

static void
json_ws(struct json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
	    j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
json_hex4(struct json *j, unsigned *v)
{
	size_t k;

	*v = 0;
	if (j->n - j->i < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		unsigned char c = j->s[j->i + k];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	j->i += 4;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s[0], or 0 (RFC 3629). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* past U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

static int
json_string(struct json *j)
{
	unsigned v, w;

	if (j->i >= j->n || j->s[j->i] != '"')
		return -1;
	j->i++;
	while (j->i < j->n) {
		unsigned char c = j->s[j->i];
		size_t len;

		if (c == '"') {
			j->i++;
			return 0;
		}
		/* Raw C0 controls are invalid JSON; DEL is a terminal's. */
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '\\') {
			if (++j->i >= j->n)
				return -1;
			c = j->s[j->i++];
			if (c == '"' || c == '\\' || c == '/' || c == 'b' ||
			    c == 'f' || c == 'n' || c == 'r' || c == 't')
				continue;
			if (c != 'u' || json_hex4(j, &v) == -1)
				return -1;
			if (v >= 0xdc00 && v <= 0xdfff)
				return -1;	/* a lone low surrogate */
			if (v >= 0xd800 && v <= 0xdbff) {
				/* A high surrogate needs its low one. */
				if (j->n - j->i < 2 || j->s[j->i] != '\\' ||
				    j->s[j->i + 1] != 'u')
					return -1;
				j->i += 2;
				if (json_hex4(j, &w) == -1 || w < 0xdc00 ||
				    w > 0xdfff)
					return -1;
			}
			continue;
		}
		if (c < 0x80) {
			j->i++;
			continue;
		}
		if ((len = utf8_len(j->s + j->i, j->n - j->i)) == 0)
			return -1;
		/* U+0080..U+009F raw: C1 controls (CSI) reach a terminal. */
		if (c == 0xc2 && j->s[j->i + 1] < 0xa0)
			return -1;
		j->i += len;
	}
	return -1;
}

static int
json_digits(struct json *j)
{
	size_t start = j->i;

	while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	return j->i > start ? 0 : -1;
}

static int
json_number(struct json *j)
{
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (json_digits(j) == -1)
		return -1;
	if (j->i < j->n && j->s[j->i] == '.') {
		j->i++;
		if (json_digits(j) == -1)
			return -1;
	}
	if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (json_digits(j) == -1)
			return -1;
	}
	return 0;
}

static int
json_word(struct json *j, const char *w)
{
	size_t len = strlen(w);

	if (j->n - j->i < len || memcmp(j->s + j->i, w, len) != 0)
		return -1;
	j->i += len;
	return 0;
}

/* An object or an array, after its opening bracket. */
static int
json_container(struct json *j, int object)
{
	char close = object ? '}' : ']';

	if (++j->depth > JSON_MAX_DEPTH)
		return -1;
	json_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		j->depth--;
		return 0;
	}
	for (;;) {
		json_ws(j);
		if (object) {
			if (json_string(j) == -1)
				return -1;
			json_ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return -1;
			j->i++;
			json_ws(j);
		}
		if (json_value(j) == -1)
			return -1;
		json_ws(j);
		if (j->i >= j->n)
			return -1;
		if (j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->s[j->i] != close)
			return -1;
		j->i++;
		j->depth--;
		return 0;
	}
}

static int
json_value(struct json *j)
{
	if (j->i >= j->n)
		return -1;
	switch (j->s[j->i]) {
	case '{':
		j->i++;
		return json_container(j, 1);
	case '[':
		j->i++;
		return json_container(j, 0);
	case '"':
		return json_string(j);
	case 't':
		return json_word(j, "true");
	case 'f':
		return json_word(j, "false");
	case 'n':
		return json_word(j, "null");
	default:
		return json_number(j);
	}
}

/* One object and nothing after it; its first key is "type". */
static int
json_valid_event(const char *s, size_t n)
{
	struct json j = { (const unsigned char *)s, n, 0, 0 };
	static const char start[] = "{\"type\":";

	if (n < sizeof start - 1 || memcmp(s, start, sizeof start - 1) != 0)
		return 0;
	if (json_value(&j) == -1)
		return 0;
	json_ws(&j);
	return j.i == n && j.depth == 0;
}

/* --- the harness ----------------------------------------------------------- */

struct state {
	struct torev	 ev;
	struct buf	 json;
	size_t		 events;
};

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
check_strings(const char **v, size_t n)
{
	size_t i;

	CHECK(n == 0 || v != NULL);
	for (i = 0; i < n; i++)
		CHECK(v[i] != NULL && strchr(v[i], ',') == NULL);
}

/* Whether no line of r carries a data block: a STREAM or CIRC event on
 * one line or on several (650-CIRC ..., 650 KEY=V) is typed, else raw. */
static int
keyword_lines(const struct reply *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++)
		if (r->lines[i].sep == '+')
			return 0;
	return 1;
}

/* What torev.h promises about a parsed event. */
static void
check_event(const struct torev *ev, const struct reply *r)
{
	size_t i;

	CHECK(ev->name != NULL);
	CHECK(ev->ts_us == r->ts_us);
	for (i = 0; i < ev->n_extra; i++) {
		CHECK(ev->extra[i].key != NULL && ev->extra[i].key[0] != '\0');
		CHECK(ev->extra[i].val != NULL);
		CHECK(ev->extra[i].val[ev->extra[i].vlen] == '\0');
	}
	switch (ev->type) {
	case TOREV_STREAM: {
		const struct stream_ev *s = &ev->u.stream;

		CHECK(strcmp(ev->name, "STREAM") == 0 && keyword_lines(r));
		CHECK(s->status != NULL && s->target != NULL);
		CHECK(s->target_address != NULL);
		CHECK(strlen(s->target_address) <= strlen(s->target));
		CHECK(s->target_port >= -1 && s->target_port <= 65535);
		CHECK(s->socks_username.p == NULL ||
		    s->socks_username.p[s->socks_username.n] == '\0');
		CHECK(s->socks_password.p == NULL ||
		    s->socks_password.p[s->socks_password.n] == '\0');
		check_strings(s->iso_fields, s->n_iso_fields);
		break;
	}
	case TOREV_CIRC: {
		const struct circ_ev *c = &ev->u.circ;

		CHECK(strcmp(ev->name, "CIRC") == 0 && keyword_lines(r));
		CHECK(c->status != NULL);
		CHECK(c->npath == 0 || c->path != NULL);
		for (i = 0; i < c->npath; i++) {
			const struct torev_hop *h = &c->path[i];

			CHECK(h->fp != NULL || h->nick != NULL);
			if (h->fp != NULL)
				CHECK(strlen(h->fp) == 40 && is_hex(h->fp, 40));
			if (h->nick != NULL)
				CHECK(strchr(h->nick, ',') == NULL);
		}
		check_strings(c->build_flags, c->n_build_flags);
		break;
	}
	case TOREV_SIGNAL:
		CHECK(ev->u.signal != NULL);
		/* FALLTHROUGH */
	case TOREV_CONF_CHANGED:
	case TOREV_OTHER:
		CHECK(ev->raw != NULL);
		break;
	default:
		CHECK(!"unknown event type");
	}
}

static void
on_reply(const struct reply *r, void *arg)
{
	struct state *st = arg;
	char *cause = NULL;

	if (torev_parse(r, &st->ev, &cause) == -1) {
		CHECK(cause != NULL && cause[0] != '\0');
		free(cause);
		return;
	}
	CHECK(cause == NULL);
	CHECK(r->async);
	check_event(&st->ev, r);
	st->events++;

	buf_reset(&st->json);
	torev_dump_json(&st->ev, &st->json);
	buf_cstr(&st->json);
	if (!json_valid_event(st->json.p, st->json.len)) {
		fprintf(stderr, "invalid JSON (%zu bytes): %s\n", st->json.len,
		    st->json.p);
		abort();
	}
}

static void
on_error(const char *what, const char *s, size_t n, void *arg)
{
	(void)what;
	(void)s;
	(void)n;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_parser *p;
	struct state st;

	memset(&st, 0, sizeof st);
	torev_init(&st.ev);
	buf_init(&st.json);
	p = reply_parser_new(on_reply, on_error, &st);
	reply_parser_feed(p, (const char *)data, size, 1700000000000000);
	reply_parser_free(p);
	torev_clear(&st.ev);
	buf_free(&st.json);
	return 0;
}
