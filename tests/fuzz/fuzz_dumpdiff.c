/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_dumpdiff.c: libFuzzer harness, the differential of the parse path:
 * the keyword splitter's fast path, torev_parse and torev_dump_json against
 * the code they replaced (tests/unit/torev_oracle.h).
 *
 * The input is control-port bytes (seeds: tests/fuzz/seeds/torev, one reply
 * a file, shared with fuzz_torev).  They go through the framer in one feed;
 * every reply that comes out is parsed by both parsers (each with its own
 * struct torev, reused as the pipeline reuses it) and dumped by both
 * writers.  Every first line's text also goes through both splitters.  Any
 * difference (items, return, cause, JSON bytes) aborts.
 */
#define ISOAUDIT_PRIVATE

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "reply.h"
#include "torev.h"
#include "../unit/torev_oracle.h"

struct st {
	struct torev	 old, new;
	struct kvlist	 kfast, kold;
	struct buf	 jold, jnew;
};

static struct st st;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	oracle_torev_init(&st.old);
	torev_init(&st.new);
	buf_init(&st.jold);
	buf_init(&st.jnew);
	return 0;
}

static void
diff_kv(const char *s, size_t n)
{
	char *cause = NULL;
	size_t i;

	if (reply_kv_parse_fast(s, n, &st.kfast) != 0) {
		CHECK(st.kfast.n == 0);
		return;
	}
	CHECK(oracle_kv_parse(s, n, &st.kold, &cause) == 0);
	CHECK(st.kfast.n == st.kold.n);
	for (i = 0; i < st.kold.n; i++) {
		const struct kv *a = &st.kfast.v[i], *b = &st.kold.v[i];

		CHECK((a->key == NULL) == (b->key == NULL));
		CHECK(a->key == NULL || strcmp(a->key, b->key) == 0);
		CHECK(a->vlen == b->vlen && a->quoted == b->quoted);
		CHECK(memcmp(a->val, b->val, a->vlen) == 0);
		CHECK(a->val[a->vlen] == '\0');
	}
}

static void
on_reply(const struct reply *r, void *arg)
{
	char *cold = NULL, *cnew = NULL;
	int rold, rnew;

	(void)arg;
	if (r->nlines > 0)
		diff_kv(r->lines[0].text, r->lines[0].textlen);
	rold = oracle_torev_parse(r, &st.old, &cold);
	rnew = torev_parse(r, &st.new, &cnew);
	CHECK(rold == rnew);
	CHECK((cold == NULL) == (cnew == NULL));
	CHECK(cold == NULL || strcmp(cold, cnew) == 0);
	free(cold);
	free(cnew);
	if (rold != 0)
		return;
	buf_reset(&st.jold);
	buf_reset(&st.jnew);
	oracle_torev_dump_json(&st.old, &st.jold);
	torev_dump_json(&st.new, &st.jnew);
	CHECK(st.jold.len == st.jnew.len);
	CHECK(memcmp(st.jold.p, st.jnew.p, st.jold.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_parser *p = reply_parser_new(on_reply, NULL, NULL);

	reply_parser_feed(p, (const char *)data, size, 0);
	reply_parser_feed(p, "\r\n", 2, 0);
	reply_parser_free(p);
	return 0;
}
