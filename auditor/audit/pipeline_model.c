/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_model.c: the live model of a Tor session: circuits (exit,
 * purpose, conflux set) and open streams (who opened them, where they are
 * attached); closed ones leave memory at once.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attrib.h"
#include "buf.h"
#include "config.h"
#include "fnv.h"
#include "idmap.h"
#include "judge.h"
#include "log.h"
#include "pipeline.h"
#include "reply.h"
#include "store.h"
#include "timeutil.h"
#include "torev.h"
#include "xmalloc.h"
#include "pipeline_int.h"

/* --- circuits ------------------------------------------------------------- */

static void
copy_field(char *dst, size_t size, const char *s)
{
	size_t i, n = 0;

	/* Only what is safe to print unescaped, cut to size. */
	for (i = 0; s != NULL && s[i] != '\0' && n + 1 < size; i++)
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
			dst[n++] = s[i];
	dst[n] = '\0';
}

int
pl_is_closing(const char *status)
{
	return strcmp(status, "CLOSED") == 0 || strcmp(status, "FAILED") == 0;
}

/* TIME_CREATED is UTC without a zone: "2026-11-24T17:38:34.848494". */
static int64_t
parse_created(const char *s)
{
	char tmp[48];
	int64_t us;

	if (s == NULL || strlen(s) > 40)
		return 0;
	snprintf(tmp, sizeof tmp, "%sZ", s);
	return time_parse_when(tmp, 0, &us) == 0 ? us : 0;
}

/* Joins a list with commas into p->tmp. */
const char *
pl_join_list(struct pipeline *p, const char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return NULL;
	buf_reset(&p->tmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&p->tmp, ',');
		buf_adds(&p->tmp, v[i]);
	}
	return buf_cstr(&p->tmp);
}

/*
 * Updates the model.  A closing circuit leaves the map and *out is then
 * the caller's to free (the function returns 1).
 */
static int
circ_update(struct pipeline *p, const struct circ_ev *e, struct circ **out)
{
	struct circ *c = idmap_get(&p->circs, e->id);
	int closing = pl_is_closing(e->status);

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		idmap_put(&p->circs, e->id, c);
	}
	copy_field(c->status, sizeof c->status, e->status);
	if (e->created != NULL && c->created == 0)
		c->created = parse_created(e->created);
	if (e->purpose != NULL)
		copy_field(c->purpose, sizeof c->purpose, e->purpose);
	if (e->conflux_id != NULL)
		copy_field(c->conflux, sizeof c->conflux, e->conflux_id);
	if (e->npath > 0) {
		const struct torev_hop *h = &e->path[e->npath - 1];

		copy_field(c->exit_fp, sizeof c->exit_fp, h->fp);
		copy_field(c->exit_nick, sizeof c->exit_nick, h->nick);
	}
	*out = c;
	if (closing)
		idmap_del(&p->circs, e->id);
	return closing;
}

void
pl_on_circ(struct pipeline *p, const struct torev *ev, int initial)
{
	const struct circ_ev *e = &ev->u.circ;
	struct circ *c;
	int noisy = strcmp(e->status, "LAUNCHED") == 0 ||
	    strcmp(e->status, "EXTENDED") == 0;
	int closing = circ_update(p, e, &c);

	if (initial)
		c->confirmed = 1;
	else if (closing)
		pl_xc_circ_closed(p, e->id, c);
	pl_onion_circ(p, e, c, ev->ts_us);
	if (!noisy || initial)
		pl_store_circ_event(p, e, c, ev->ts_us);
	if (p->judge != NULL)
		judge_circuit(p->judge, e->id, e->conflux_id,
		    c->exit_fp[0] ? c->exit_fp : NULL,
		    c->exit_nick[0] ? c->exit_nick : NULL, closing);
	if (!initial && pl_output_lines(p) && (!noisy || p->cfg.verbose > 0)) {
		pl_line_begin(p, ev->ts_us);
		buf_adds(&p->line, "circ ");
		buf_add_u64(&p->line, e->id);
		buf_addc(&p->line, ' ');
		buf_escape(&p->line, e->status, strlen(e->status));
		if (c->purpose[0] != '\0') {
			buf_addc(&p->line, ' ');
			buf_adds(&p->line, c->purpose);
		}
		pl_line_exit(p, c);
		if (c->conflux[0] != '\0') {
			buf_adds(&p->line, " conflux ");
			buf_add(&p->line, c->conflux, strnlen(c->conflux, 8));
		}
		if (c->rend[0] != '\0') {
			buf_adds(&p->line, c->service ? " service " :
			    " onion ");
			buf_adds(&p->line, c->rend);
		}
		pl_line_word(p, "reason", e->reason);
		pl_line_word(p, "remote", e->remote_reason);
		pl_line_end(p);
	}
	if (p->cfg.observer != NULL && p->cfg.observer->circ != NULL) {
		struct pipeline_view_circ vc;

		vc.id = e->id;
		vc.status = c->status;
		vc.purpose = c->purpose;
		vc.exit_fp = c->exit_fp;
		vc.exit_nick = c->exit_nick;
		vc.conflux = c->conflux;
		vc.created = e->created != NULL ? c->created : 0;
		vc.ts = ev->ts_us;
		vc.closing = closing;
		vc.onion = c->rend;
		vc.service = c->service;
		vc.path = e->path;
		vc.npath = e->path != NULL ? e->npath : 0;
		p->cfg.observer->circ(&vc, p->cfg.observer->arg);
	}
	if (closing)
		free(c);
}

/* --- streams --------------------------------------------------------------- */

void
pl_on_stream(struct pipeline *p, const struct torev *ev)
{
	const struct stream_ev *e = &ev->u.stream;
	struct stream *s = idmap_get(&p->streams, e->id);
	int closing = pl_is_closing(e->status);
	int is_new = e->source_addr != NULL || strcmp(e->status, "NEW") == 0 ||
	    strcmp(e->status, "NEWRESOLVE") == 0;
	const char *listener = NULL;

	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		idmap_put(&p->streams, e->id, s);
		if (is_new) {
			pl_attribute(p, e, s, ev->ts_us);
			listener = s->listener;
		}
	}
	pl_store_stream_event(p, e, s, listener, ev->ts_us, 0);
	if (e->circ_id != 0 && e->circ_id != s->circ) {
		pl_xc_attach(p, s, e->circ_id);
		s->circ = e->circ_id;
		if (p->cfg.store != NULL && p->session_id != 0)
			store_attach(p->cfg.store, p->session_id, e->id,
			    e->circ_id, ev->ts_us);
		if (p->judge != NULL)
			judge_attach(p->judge, e->id, e->circ_id, ev->ts_us);
	}

	if (pl_output_lines(p)) {
		pl_line_begin(p, ev->ts_us);
		buf_adds(&p->line, "stream ");
		buf_add_u64(&p->line, e->id);
		buf_addc(&p->line, ' ');
		buf_escape(&p->line, e->status, strlen(e->status));
		buf_addc(&p->line, ' ');
		pl_target_out(p, &p->line, s, e->target_address,
		    e->target_port);
		if (e->circ_id != 0) {
			buf_adds(&p->line, " circ ");
			buf_add_u64(&p->line, e->circ_id);
			pl_line_exit(p, idmap_get(&p->circs, e->circ_id));
		}
		pl_line_word(p, "from", e->source_addr != NULL ?
		    e->source_addr : closing ? s->source_addr : NULL);
		pl_line_word(p, NULL, e->client_protocol);
		if (e->has_session_group) {
			buf_adds(&p->line, " group ");
			buf_add_i64(&p->line, e->session_group);
		}
		if (e->has_nym_epoch && e->source_addr != NULL) {
			buf_adds(&p->line, " epoch ");
			buf_add_u64(&p->line, e->nym_epoch);
		}
		if (e->socks_username.p != NULL) {
			buf_adds(&p->line, " user ");
			pl_secret_out(p, &p->line, &s->h_user,
			    &e->socks_username);
		}
		if (e->purpose != NULL && strcmp(e->purpose, "USER") != 0)
			pl_line_word(p, "purpose", e->purpose);
		if (s->ident != NULL && (is_new || closing))
			pl_line_word(p, "app", s->ident);
		if (s->pid > 0 && is_new) {
			buf_addc(&p->line, ' ');
			buf_escape(&p->line, s->process, strlen(s->process));
			buf_addc(&p->line, '[');
			buf_add_i64(&p->line, s->pid);
			buf_addc(&p->line, ']');
		}
		if (s->why != NULL && is_new) {
			buf_adds(&p->line, " (");
			buf_escape(&p->line, s->why, strlen(s->why));
			buf_addc(&p->line, ')');
		}
		pl_line_word(p, "reason", e->reason);
		pl_line_word(p, "remote", e->remote_reason);
		pl_line_end(p);
	}
	if (p->cfg.observer != NULL && p->cfg.observer->stream != NULL)
		pl_observe_stream(p, e, s, is_new, closing, ev->ts_us);
	if (closing) {
		pl_xc_attach(p, s, 0);
		idmap_del(&p->streams, e->id);
		pl_stream_free(s);
		if (p->judge != NULL)
			judge_stream_closed(p->judge, e->id);
	}
}
