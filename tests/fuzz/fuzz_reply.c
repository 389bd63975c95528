/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_reply.c: libFuzzer harness for the control-port framer and the
 * keyword parser (auditor/reply.c).
 *
 * The first two bytes of the input say how the rest reaches the parser:
 *
 *	byte 0, bits 0-2: how it is cut: 0 one feed; 1 a byte at a time;
 *	    2 chunks of (byte 1) + 1 bytes; 3 and 4 chunks of pseudo-random
 *	    sizes up to (byte 1) + 1 and up to 8; 5 line by line through
 *	    reply_parser_line, as replay feeds a capture; 6 and 7 chunks cut
 *	    at every '\r' and '\n', so that a CRLF is split both ways
 *	bit 3: a line hook is set (and checked)
 *	bit 4: the parser is reset once, after the chunk byte 1 names
 *
 * Every reply that comes out is checked against what reply.h promises,
 * and each of its lines (and each line of a data block) goes through
 * reply_kv_parse, whose items are checked, and through buf_quote, whose
 * output reply_unquote must turn back into the same bytes.
 *
 * Built with small limits (fuzz.mk's REPLY_SMALL) so that the code that
 * cuts long lines and big replies is reached by inputs of a few KiB.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "reply.h"
#include "xmalloc.h"

struct state {
	struct kvlist	 kv;
	struct buf	 quoted;
	char		*out;		/* reply_unquote's output */
	size_t		 outcap;
	int		 hook;
	int		 line_mode;	/* fed through reply_parser_line */
	size_t		 replies;
};

/* Every item of a successful parse lies in the scratch copy, in order. */
static void
check_kv(struct state *st, const char *s, size_t n)
{
	struct kvlist *l = &st->kv;
	const char *prev = NULL;
	char *cause = NULL;
	size_t i;

	if (reply_kv_parse(s, n, l, &cause) == -1) {
		CHECK(cause != NULL);
		free(cause);
		return;
	}
	CHECK(cause == NULL);
	CHECK(l->n <= n);
	for (i = 0; i < l->n; i++) {
		const struct kv *kv = &l->v[i];

		CHECK(kv->val != NULL);
		CHECK(kv->val >= l->scratch && kv->val + kv->vlen <=
		    l->scratch + n);
		CHECK(kv->val[kv->vlen] == '\0');
		CHECK(prev == NULL || kv->val > prev);
		prev = kv->val;
		if (kv->key != NULL) {
			CHECK(kv->key >= l->scratch && kv->key < kv->val);
			CHECK(kv->key[0] != '\0' && kv->key[0] != '=');
			CHECK(reply_kv_get(l, kv->key) != NULL);
		}
		/* An unquoted value is the input's own bytes. */
		if (!kv->quoted)
			CHECK(memcmp(kv->val, s + (kv->val - l->scratch),
			    kv->vlen) == 0);
	}
	/* Back to positional: an unquoted KEY=VALUE is the word again. */
	for (i = 0; i < l->n; i++) {
		const struct kv *kv = &l->v[i];

		reply_kv_positional(l, i);
		if (kv->quoted)
			continue;
		CHECK(kv->key == NULL);
		CHECK(kv->val[kv->vlen] == '\0');
		CHECK(memcmp(kv->val, s + (kv->val - l->scratch),
		    kv->vlen) == 0);
		CHECK(kv->vlen > 0);
		CHECK(memchr(kv->val, ' ', kv->vlen) == NULL);
	}
}

/* reply_unquote(buf_quote(s)) == s, using all of the quoted string. */
static void
check_quote(struct state *st, const char *s, size_t n)
{
	size_t outlen = 0, used = 0;

	buf_reset(&st->quoted);
	buf_quote(&st->quoted, s, n);
	if (st->outcap < st->quoted.len) {
		st->outcap = st->quoted.len;
		st->out = xreallocarray(st->out, st->outcap, 1);
	}
	CHECK(reply_unquote(st->quoted.p, st->quoted.len, st->out, &outlen,
	    &used) == 0);
	CHECK(used == st->quoted.len);
	CHECK(outlen == n);
	CHECK(n == 0 || memcmp(st->out, s, n) == 0);
}

static void
check_text(struct state *st, const char *s, size_t n)
{
	check_kv(st, s, n);
	check_quote(st, s, n);
}

static void
on_reply(const struct reply *r, void *arg)
{
	struct state *st = arg;
	size_t i, total = 0;

	st->replies++;
	CHECK(r->nlines > 0 || r->truncated);
	CHECK(r->nlines <= REPLY_MAX_LINES);
	CHECK(r->code >= 0 && r->code <= 999);
	CHECK(r->async == (r->code / 100 == 6));
	if (!r->truncated && r->nlines > 0) {
		CHECK(r->lines[r->nlines - 1].sep == ' ');
		CHECK(r->lines[r->nlines - 1].code == r->code);
	}
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *rl = &r->lines[i];
		const char *p, *end;

		CHECK(rl->code >= 0 && rl->code <= 999);
		CHECK((rl->code / 100 == 6) == r->async);
		CHECK(rl->sep == ' ' || rl->sep == '-' || rl->sep == '+');
		CHECK(rl->text != NULL);
		CHECK(rl->text[rl->textlen] == '\0');
		CHECK(strlen(rl->text) == rl->textlen);
		CHECK(rl->textlen <= REPLY_MAX_LINE);
		CHECK(i + 1 == r->nlines || rl->sep != ' ');
		total += rl->textlen;
		check_text(st, rl->text, rl->textlen);
		if (rl->data == NULL)
			continue;
		CHECK(rl->sep == '+');
		CHECK(rl->data[rl->datalen] == '\0');
		CHECK(memchr(rl->data, '\0', rl->datalen) == NULL);
		total += rl->datalen;
		/* Each data line as the pipeline reads circuit-status. */
		for (p = rl->data, end = p + rl->datalen;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl != NULL ? (size_t)(nl - p) :
			    (size_t)(end - p);

			check_text(st, p, len);
			if (nl == NULL)
				break;
			p = nl + 1;
		}
	}
	CHECK(total <= REPLY_MAX_SIZE);
}

static volatile unsigned touched;

/* Reads every byte, so that ASan sees a range that is not all there. */
static void
touch(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v += (unsigned char)s[i];
	touched = v;
}

static void
on_error(const char *what, const char *s, size_t n, void *arg)
{
	(void)arg;
	CHECK(what != NULL && what[0] != '\0');
	CHECK(n == 0 || s != NULL);
	touch(s, n);
}

static void
on_line(const char *s, size_t n, int64_t ts, void *arg)
{
	struct state *st = arg;

	(void)ts;
	touch(s, n);
	/* From feed(): one line, without its '\n'. */
	if (!st->line_mode)
		CHECK(memchr(s, '\n', n) == NULL);
}

/* xorshift32: the chunk sizes must depend on the input only. */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_parser *p;
	struct state st;
	const char *s;
	uint32_t x;
	size_t n, take, chunk = 0;
	unsigned mode, arg;
	int64_t ts = 1;

	if (size < 2)
		return 0;
	mode = data[0];
	arg = data[1];
	s = (const char *)data + 2;
	n = size - 2;
	x = 0x9e3779b9u ^ (mode << 8) ^ arg;

	memset(&st, 0, sizeof st);
	buf_init(&st.quoted);
	st.hook = (mode & 8) != 0;
	st.line_mode = (mode & 7) == 5;
	p = reply_parser_new(on_reply, on_error, &st);
	if (st.hook)
		reply_parser_set_line_hook(p, on_line);

	while (n > 0) {
		const char *nl;

		switch (mode & 7) {
		case 0:
			take = n;
			break;
		case 1:
			take = 1;
			break;
		case 2:
			take = arg + 1;
			break;
		case 3:
			take = 1 + next_rand(&x) % (arg + 1);
			break;
		case 4:
			take = 1 + next_rand(&x) % 8;
			break;
		case 5:
			nl = memchr(s, '\n', n);
			take = nl != NULL ? (size_t)(nl - s) : n;
			reply_parser_line(p, s, take, ts);
			take += nl != NULL;
			goto next;
		default:
			/* Up to and including the next '\r' or '\n'. */
			for (take = 0; take < n && s[take] != '\r' &&
			    s[take] != '\n'; take++)
				;
			if (take < n && (mode & 7) == 7)
				take++;
			if (take == 0)
				take = 1;
			break;
		}
		if (take > n)
			take = n;
		reply_parser_feed(p, s, take, ts);
	next:
		s += take;
		n -= take;
		ts++;
		if ((mode & 16) && chunk++ == arg)
			reply_parser_reset(p);
	}

	reply_parser_free(p);
	reply_kv_free(&st.kv);
	buf_free(&st.quoted);
	free(st.out);
	return 0;
}
