/*
 * torev_dump.c: a parsed event as one JSON object, every field of SPEC.md's
 * event dump (replay --dump, the fuzzer's round trip).
 */
#include <stddef.h>

#include "buf.h"
#include "torev.h"

static inline void
json_key(struct buf *b, const char *key)
{
	buf_addc(b, ',');
	buf_addc(b, '"');
	buf_adds(b, key);
	buf_add(b, "\":", 2);
}

static inline void
json_kstr(struct buf *b, const char *key, const char *val)
{
	json_key(b, key);
	buf_json_strz(b, val);
}

static void
json_kbin(struct buf *b, const char *key, const struct torev_str *s)
{
	json_key(b, key);
	if (s->p == NULL)
		buf_adds(b, "null");
	else
		buf_json_str(b, s->p, s->n);
}

static void
json_klist(struct buf *b, const char *key, const char **v, size_t n)
{
	size_t i;

	json_key(b, key);
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
json_extra(struct buf *b, const struct torev *ev)
{
	size_t i;

	if (ev->n_extra == 0)
		return;
	json_key(b, "extra");
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
dump_stream(struct buf *b, const struct stream_ev *s)
{
	buf_adds(b, ",\"id\":\"");
	buf_add_u64(b, s->id);
	buf_addc(b, '"');
	json_kstr(b, "status", s->status);
	buf_adds(b, ",\"circ_id\":\"");
	buf_add_u64(b, s->circ_id);
	buf_addc(b, '"');
	json_kstr(b, "target", s->target);
	json_kstr(b, "target_address", s->target_address);
	json_key(b, "target_port");
	if (s->target_port >= 0)
		buf_add_i64(b, s->target_port);
	else
		buf_adds(b, "null");
	json_kstr(b, "reason", s->reason);
	json_kstr(b, "remote_reason", s->remote_reason);
	json_kstr(b, "source", s->source);
	json_kstr(b, "source_addr", s->source_addr);
	json_kstr(b, "purpose", s->purpose);
	json_kbin(b, "socks_username", &s->socks_username);
	json_kbin(b, "socks_password", &s->socks_password);
	json_kstr(b, "client_protocol", s->client_protocol);
	json_key(b, "nym_epoch");
	if (s->has_nym_epoch)
		buf_add_u64(b, s->nym_epoch);
	else
		buf_adds(b, "null");
	json_key(b, "session_group");
	if (s->has_session_group)
		buf_add_i64(b, s->session_group);
	else
		buf_adds(b, "null");
	json_klist(b, "iso_fields", s->iso_fields, s->n_iso_fields);
}

/* Appends a CIRC event's fields. */
static void
dump_circ(struct buf *b, const struct circ_ev *c)
{
	size_t i;

	buf_adds(b, ",\"id\":\"");
	buf_add_u64(b, c->id);
	buf_addc(b, '"');
	json_kstr(b, "status", c->status);
	json_key(b, "path");
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
	json_klist(b, "build_flags", c->build_flags, c->n_build_flags);
	json_kstr(b, "purpose", c->purpose);
	json_kstr(b, "hs_state", c->hs_state);
	json_kstr(b, "rend_query", c->rend_query);
	json_kstr(b, "created", c->created);
	json_kstr(b, "reason", c->reason);
	json_kstr(b, "remote_reason", c->remote_reason);
	json_kbin(b, "socks_username", &c->socks_username);
	json_kbin(b, "socks_password", &c->socks_password);
	json_kstr(b, "conflux_id", c->conflux_id);
}

void
torev_dump_json(const struct torev *ev, struct buf *b)
{
	buf_adds(b, "{\"type\":");
	buf_json_strz(b, ev->name);
	if (ev->type == TOREV_STREAM)
		dump_stream(b, &ev->u.stream);
	else if (ev->type == TOREV_CIRC)
		dump_circ(b, &ev->u.circ);
	else {
		json_kstr(b, "raw", ev->raw);
		buf_addc(b, '}');
		return;
	}
	json_extra(b, ev);
	buf_addc(b, '}');
}
