/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torev_dump.c: a parsed event as one JSON object, every field of SPEC.md's
 * event dump (replay --dump, the fuzzer's round trip).
 *
 * The keys go out as constant runs (",\"status\":" with its length known
 * at compile time), and the strings of a clean event (torev.h: the keyword
 * scanner saw no byte a JSON string escapes) as plain copies; only other
 * events' strings go through the escaper.  The output is the same bytes
 * either way (tests/unit/test_torev.c keeps the old writer as the oracle).
 */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "torev.h"

/* Appends a string constant (a literal: its length is known). */
#define ADDK(b, lit)	buf_add((b), (lit), sizeof(lit) - 1)

/* Appends s as a JSON string, or null; copied as is when clean. */
static inline void
dump_str(struct buf *b, const char *s, int clean)
{
	size_t n;

	if (s == NULL) {
		ADDK(b, "null");
		return;
	}
	n = strlen(s);
	if (!clean) {
		buf_json_str(b, s, n);
		return;
	}
	if (b->len + n + 3 > b->cap)
		buf_reserve(b, n + 2);
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, s, n);
	b->p[b->len + 1 + n] = '"';
	b->len += n + 2;
	b->p[b->len] = '\0';
}

/* A value that may hold any byte (a SOCKS credential, an extra's). */
static void
dump_bin(struct buf *b, const char *p, size_t n, int clean)
{
	if (p == NULL)
		ADDK(b, "null");
	else if (clean) {
		buf_addc(b, '"');
		buf_add(b, p, n);
		buf_addc(b, '"');
	} else
		buf_json_str(b, p, n);
}

static void
dump_list(struct buf *b, const char **v, size_t n, int clean)
{
	size_t i;

	if (v == NULL) {
		ADDK(b, "null");
		return;
	}
	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		dump_str(b, v[i], clean);
	}
	buf_addc(b, ']');
}

static void
dump_extra(struct buf *b, const struct torev *ev)
{
	size_t i;

	if (ev->n_extra == 0)
		return;
	ADDK(b, ",\"extra\":{");
	for (i = 0; i < ev->n_extra; i++) {
		if (i > 0)
			buf_addc(b, ',');
		dump_str(b, ev->extra[i].key, ev->clean);
		buf_addc(b, ':');
		dump_bin(b, ev->extra[i].val, ev->extra[i].vlen, ev->clean);
	}
	buf_addc(b, '}');
}

/* A number, or null when there is none. */
static inline void
dump_u64(struct buf *b, int has, uint64_t v)
{
	if (has)
		buf_add_u64(b, v);
	else
		ADDK(b, "null");
}

/* Appends a STREAM event's fields. */
static void
dump_stream(struct buf *b, const struct stream_ev *s, int k)
{
	ADDK(b, ",\"id\":\"");
	buf_add_u64(b, s->id);
	ADDK(b, "\",\"status\":");
	dump_str(b, s->status, k);
	ADDK(b, ",\"circ_id\":\"");
	buf_add_u64(b, s->circ_id);
	ADDK(b, "\",\"target\":");
	dump_str(b, s->target, k);
	ADDK(b, ",\"target_address\":");
	dump_str(b, s->target_address, k);
	ADDK(b, ",\"target_port\":");
	dump_u64(b, s->target_port >= 0, (uint64_t)s->target_port);
	ADDK(b, ",\"reason\":");
	dump_str(b, s->reason, k);
	ADDK(b, ",\"remote_reason\":");
	dump_str(b, s->remote_reason, k);
	ADDK(b, ",\"source\":");
	dump_str(b, s->source, k);
	ADDK(b, ",\"source_addr\":");
	dump_str(b, s->source_addr, k);
	ADDK(b, ",\"purpose\":");
	dump_str(b, s->purpose, k);
	ADDK(b, ",\"socks_username\":");
	dump_bin(b, s->socks_username.p, s->socks_username.n, k);
	ADDK(b, ",\"socks_password\":");
	dump_bin(b, s->socks_password.p, s->socks_password.n, k);
	ADDK(b, ",\"client_protocol\":");
	dump_str(b, s->client_protocol, k);
	ADDK(b, ",\"nym_epoch\":");
	dump_u64(b, s->has_nym_epoch, s->nym_epoch);
	ADDK(b, ",\"session_group\":");
	if (s->has_session_group)
		buf_add_i64(b, s->session_group);
	else
		ADDK(b, "null");
	ADDK(b, ",\"iso_fields\":");
	dump_list(b, s->iso_fields, s->n_iso_fields, k);
}

/* Appends a CIRC event's fields. */
static void
dump_circ(struct buf *b, const struct circ_ev *c, int k)
{
	size_t i;

	ADDK(b, ",\"id\":\"");
	buf_add_u64(b, c->id);
	ADDK(b, "\",\"status\":");
	dump_str(b, c->status, k);
	ADDK(b, ",\"path\":");
	if (c->path == NULL)
		ADDK(b, "null");
	else {
		buf_addc(b, '[');
		for (i = 0; i < c->npath; i++) {
			if (i > 0)
				buf_addc(b, ',');
			ADDK(b, "{\"fingerprint\":");
			dump_str(b, c->path[i].fp, k);
			ADDK(b, ",\"nickname\":");
			dump_str(b, c->path[i].nick, k);
			buf_addc(b, '}');
		}
		buf_addc(b, ']');
	}
	ADDK(b, ",\"build_flags\":");
	dump_list(b, c->build_flags, c->n_build_flags, k);
	ADDK(b, ",\"purpose\":");
	dump_str(b, c->purpose, k);
	ADDK(b, ",\"hs_state\":");
	dump_str(b, c->hs_state, k);
	ADDK(b, ",\"rend_query\":");
	dump_str(b, c->rend_query, k);
	ADDK(b, ",\"created\":");
	dump_str(b, c->created, k);
	ADDK(b, ",\"reason\":");
	dump_str(b, c->reason, k);
	ADDK(b, ",\"remote_reason\":");
	dump_str(b, c->remote_reason, k);
	ADDK(b, ",\"socks_username\":");
	dump_bin(b, c->socks_username.p, c->socks_username.n, k);
	ADDK(b, ",\"socks_password\":");
	dump_bin(b, c->socks_password.p, c->socks_password.n, k);
	ADDK(b, ",\"conflux_id\":");
	dump_str(b, c->conflux_id, k);
}

void
torev_dump_json(const struct torev *ev, struct buf *b)
{
	/* The largest event written is a few times its line: one reserve
	 * for most events. */
	buf_reserve(b, 1024);
	if (ev->type == TOREV_STREAM) {
		ADDK(b, "{\"type\":\"STREAM\"");
		dump_stream(b, &ev->u.stream, ev->clean);
	} else if (ev->type == TOREV_CIRC) {
		ADDK(b, "{\"type\":\"CIRC\"");
		dump_circ(b, &ev->u.circ, ev->clean);
	} else {
		ADDK(b, "{\"type\":");
		buf_json_strz(b, ev->name);
		ADDK(b, ",\"raw\":");
		buf_json_strz(b, ev->raw);
		buf_addc(b, '}');
		return;
	}
	dump_extra(b, ev);
	buf_addc(b, '}');
}
