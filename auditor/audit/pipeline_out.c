/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_out.c: the pipeline's sinks: output lines, the store's rows,
 * the observer, and the judge's findings (store, line, alert).
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

/* --- output lines --------------------------------------------------------- */

/*
 * Starts an output line with the time (RFC 3339 UTC, milliseconds).  The
 * text up to the second is kept: events come many a second.
 */
void
pl_line_begin(struct pipeline *p, int64_t ts)
{
	int64_t sec, ms;
	char *w = p->when;

	buf_reset(&p->line);
	if (ts <= 0)
		return;
	sec = ts / 1000000;
	ms = ts % 1000000 / 1000;
	if (sec != p->when_sec) {
		time_rfc3339_ms(sec * 1000000, w);
		p->when_sec = sec;
	}
	if (strlen(w) == 24 && w[19] == '.' && w[23] == 'Z') {
		w[20] = (char)('0' + ms / 100);
		w[21] = (char)('0' + ms / 10 % 10);
		w[22] = (char)('0' + ms % 10);
		buf_add(&p->line, w, 24);
	} else {
		char when[TIME_RFC3339_LEN];

		time_rfc3339_ms(ts, when);
		buf_adds(&p->line, when);
	}
	buf_addc(&p->line, ' ');
}

void
pl_line_end(struct pipeline *p)
{
	buf_addc(&p->line, '\n');
	fwrite(p->line.p, 1, p->line.len, p->cfg.out);
}

/* Appends " [label ]word" made printable. */
void
pl_line_word(struct pipeline *p, const char *label, const char *s)
{
	if (s == NULL)
		return;
	buf_addc(&p->line, ' ');
	if (label != NULL) {
		buf_adds(&p->line, label);
		buf_addc(&p->line, ' ');
	}
	buf_escape(&p->line, s, strlen(s));
}

static int
circ_is_general(const struct circ *c)
{
	return c->purpose[0] == '\0' || strcmp(c->purpose, "GENERAL") == 0 ||
	    strncmp(c->purpose, "CONFLUX", 7) == 0;
}

void
pl_line_exit(struct pipeline *p, const struct circ *c)
{
	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only general-purpose circuits end in an exit. */
	buf_adds(&p->line, circ_is_general(c) ? " exit " : " last hop ");
	if (c->exit_nick[0] != '\0') {
		buf_adds(&p->line, c->exit_nick);
		buf_addc(&p->line, ' ');
	}
	buf_addc(&p->line, '$');
	buf_add(&p->line, c->exit_fp, strnlen(c->exit_fp, 8));
}

int
pl_output_lines(const struct pipeline *p)
{
	return p->cfg.output == PIPELINE_LINES && p->cfg.out != NULL;
}

void
pl_store_circ_event(struct pipeline *p, const struct circ_ev *e,
    const struct circ *c, int64_t ts)
{
	struct store_circ sc;
	struct buf path, flags;
	size_t i;

	if (p->cfg.store == NULL || p->session_id == 0)
		return;
	memset(&sc, 0, sizeof sc);
	buf_init(&path);
	buf_init(&flags);
	sc.session = p->session_id;
	sc.circ_id = e->id;
	sc.status = e->status;
	sc.purpose = e->purpose;
	for (i = 0; i < e->n_build_flags; i++) {
		if (i > 0)
			buf_addc(&flags, ',');
		buf_adds(&flags, e->build_flags[i]);
	}
	if (e->build_flags != NULL)
		sc.build_flags = buf_cstr(&flags);
	for (i = 0; i < e->npath; i++) {
		const struct torev_hop *h = &e->path[i];

		if (i > 0)
			buf_addc(&path, ',');
		if (h->fp != NULL) {
			buf_addc(&path, '$');
			buf_adds(&path, h->fp);
		}
		if (h->nick != NULL) {
			if (h->fp != NULL)
				buf_addc(&path, '~');
			buf_adds(&path, h->nick);
		}
	}
	if (e->npath > 0) {
		const struct torev_hop *h = &e->path[e->npath - 1];

		sc.path = buf_cstr(&path);
		sc.exit_fp = h->fp;
		sc.exit_nick = h->nick;
	}
	sc.conflux_id = e->conflux_id;
	sc.created = e->created != NULL ? c->created : 0;
	if (sc.created == 0 && strcmp(e->status, "LAUNCHED") == 0)
		sc.created = ts;
	if (strcmp(e->status, "BUILT") == 0) {
		sc.built = ts;
		for (i = 0; i < e->npath; i++)
			store_relay(p->cfg.store, e->path[i].fp,
			    e->path[i].nick, ts);
	}
	if (pl_is_closing(e->status))
		sc.closed = ts;
	sc.reason = e->reason;
	sc.remote_reason = e->remote_reason;
	sc.rend_query = c->rend[0] != '\0' ? c->rend : NULL;
	store_circuit(p->cfg.store, &sc);
	buf_free(&path);
	buf_free(&flags);
}

void
pl_annotate_attrib(struct pipeline *p, uint64_t id, const struct attrib_result *r,
    int64_t ts)
{
	struct buf b;

	if (p->cfg.annotate == NULL)
		return;
	buf_init(&b);
	buf_printf(&b, "attrib stream=%" PRIu64 " listener=", id);
	buf_quote(&b, r->listener, strlen(r->listener));
	buf_adds(&b, " host=");
	buf_quote(&b, r->host, strlen(r->host));
	buf_printf(&b, " uid=%ld inode=%" PRIu64 " pid=%ld process=", r->uid,
	    r->inode, r->pid);
	buf_quote(&b, r->process, strlen(r->process));
	if (r->exe[0] != '\0') {
		buf_adds(&b, " exe=");
		buf_quote(&b, r->exe, strlen(r->exe));
	}
	buf_adds(&b, " why=");
	buf_quote(&b, r->why, strlen(r->why));
	if (r->by[0] != '\0') {
		buf_adds(&b, " by=");
		buf_quote(&b, r->by, strlen(r->by));
	}
	p->cfg.annotate(ts, buf_cstr(&b), p->cfg.annotate_arg);
	buf_free(&b);
}

void
pl_store_stream_event(struct pipeline *p, const struct stream_ev *e,
    struct stream *s, const char *listener, int64_t ts, int pre)
{
	struct store_stream r;
	struct buf target, user, pass;
	const char *st = e->status;
	unsigned kept, gen;

	if (p->cfg.store == NULL || p->session_id == 0)
		return;
	memset(&r, 0, sizeof r);
	buf_init(&target);
	buf_init(&user);
	buf_init(&pass);
	r.session = p->session_id;
	r.stream_id = e->id;
	r.circ_id = e->circ_id;
	r.status = st;
	r.listener = listener;
	r.client_addr = e->source_addr;
	r.app = s != NULL ? s->app : 0;
	r.uid = -1;
	if (s != NULL && listener != NULL) {
		/* Who it was: written once, with the NEW event. */
		r.pid = s->pid;
		r.uid = s->uid;
		r.process = s->process[0] != '\0' ? s->process : NULL;
	}
	if (s != NULL && s->attribution[0] != '\0')
		r.attribution = s->attribution;
	r.protocol = e->client_protocol;
	r.purpose = e->purpose;
	r.has_nym_epoch = e->has_nym_epoch;
	r.nym_epoch = (int64_t)e->nym_epoch;
	r.has_session_group = e->has_session_group;
	r.session_group = e->session_group;
	/*
	 * Its queued row keeps the first of these (target, isolation fields,
	 * credentials): later events folded into it leave them out.
	 */
	gen = store_generation(p->cfg.store);
	kept = s != NULL && s->kept_gen == gen ? s->kept : 0;
	if (!(kept & STORE_KEPT_ISO))
		r.iso_fields = pl_join_list(p, e->iso_fields, e->n_iso_fields);
	if (e->socks_username.p != NULL && !(kept & STORE_KEPT_USER)) {
		pl_secret_out(p, &user, s ? &s->h_user : NULL,
		    &e->socks_username);
		r.socks_username = buf_cstr(&user);
	}
	if (e->socks_password.p != NULL && !(kept & STORE_KEPT_PASS)) {
		pl_secret_out(p, &pass, s ? &s->h_pass : NULL,
		    &e->socks_password);
		r.socks_password = buf_cstr(&pass);
	}
	if (kept & STORE_KEPT_TARGET)
		r.target = NULL;
	else if (p->cfg.privacy.mode != LOG_TARGETS_NONE) {
		pl_target_out(p, &target, s, e->target_address, -1);
		r.target = buf_cstr(&target);
	} else if (privacy_is_onion(e->target_address))
		r.target = "onion";	/* which one is not kept */
	r.target_port = e->target_port;
	if (strcmp(st, "NEW") == 0 || strcmp(st, "NEWRESOLVE") == 0 || pre)
		r.opened = ts;
	if (strcmp(st, "SUCCEEDED") == 0)
		r.succeeded = ts;
	if (pl_is_closing(st))
		r.closed = ts;
	r.reason = e->reason;
	r.remote_reason = e->remote_reason;
	r.pre_attach = pre;
	if (store_stream(p->cfg.store, &r) == 0 && s != NULL) {
		s->kept_gen = gen;
		s->kept = kept | (r.target != NULL ? STORE_KEPT_TARGET : 0) |
		    (r.iso_fields != NULL ? STORE_KEPT_ISO : 0) |
		    (r.socks_username != NULL ? STORE_KEPT_USER : 0) |
		    (r.socks_password != NULL ? STORE_KEPT_PASS : 0);
	}
	buf_free(&target);
	buf_free(&user);
	buf_free(&pass);
}

/* Tells the viewer about a stream event (strings made printable). */
void
pl_observe_stream(struct pipeline *p, const struct stream_ev *e,
    struct stream *s, int is_new, int closing, int64_t ts)
{
	struct pipeline_view_stream vs;
	struct buf target, status;

	buf_init(&target);
	buf_init(&status);
	pl_target_out(p, &target, s, e->target_address, e->target_port);
	buf_escape(&status, e->status, strlen(e->status));
	memset(&vs, 0, sizeof vs);
	vs.id = e->id;
	vs.circ = s->circ;
	vs.status = buf_cstr(&status);
	vs.target = buf_cstr(&target);
	vs.ident = s->ident != NULL ? s->ident : UNATTRIBUTED_LABEL;
	vs.unattributed = s->ident == NULL ||
	    strcmp(s->ident, UNATTRIBUTED_LABEL) == 0;
	vs.internal = s->internal;
	vs.application = s->application;
	vs.listener = s->listener;
	vs.process = s->process[0] != '\0' ? s->process : NULL;
	vs.pid = s->pid;
	vs.is_new = is_new;
	vs.closing = closing;
	vs.ts = ts;
	p->cfg.observer->stream(&vs, p->cfg.observer->arg);
	buf_free(&target);
	buf_free(&status);
}

/*
 * "[NOTICE ]BOOTSTRAP PROGRESS=n ... SUMMARY=..." (a STATUS_CLIENT event or
 * GETINFO status/bootstrap-phase): to the viewer.
 */
void
pl_observe_bootstrap(struct pipeline *p, const char *s, size_t n, int64_t ts)
{
	struct kvlist kv = { 0 };
	char *cause = NULL, *summary = NULL;
	int progress = -1, bootstrap = 0;
	size_t i;

	if (reply_kv_parse(s, n, &kv, &cause) == -1) {
		free(cause);
		reply_kv_free(&kv);
		return;
	}
	for (i = 0; i < kv.n; i++) {
		if (kv.v[i].key == NULL && strcmp(kv.v[i].val, "BOOTSTRAP") == 0)
			bootstrap = 1;
		else if (kv.v[i].key != NULL &&
		    strcmp(kv.v[i].key, "PROGRESS") == 0)
			progress = (int)strtol(kv.v[i].val, NULL, 10);
		else if (kv.v[i].key != NULL &&
		    strcmp(kv.v[i].key, "SUMMARY") == 0 && summary == NULL)
			summary = escape_dup(kv.v[i].val, kv.v[i].vlen);
	}
	if (bootstrap && progress >= 0 && progress <= 100)
		p->cfg.observer->bootstrap(progress, summary ? summary : "",
		    ts, p->cfg.observer->arg);
	free(summary);
	reply_kv_free(&kv);
}

/* Events only a viewer wants: Tor's log, bootstrap status. */
void
pl_observe_other(struct pipeline *p, const struct torev *ev)
{
	const struct pipeline_observer *o = p->cfg.observer;
	const char *name = ev->name, *raw = ev->raw;
	size_t nlen;
	char *msg;

	if (o == NULL || name == NULL || raw == NULL)
		return;
	nlen = strlen(name);
	if (strlen(raw) >= 4 && raw[0] == '6' && raw[1] == '5' && raw[2] == '0')
		raw += 4;	/* "650 " or "650-" */
	if (strncmp(raw, name, nlen) == 0)
		raw += nlen;
	raw += strspn(raw, " ");
	if (strcmp(name, "STATUS_CLIENT") == 0 && o->bootstrap != NULL)
		pl_observe_bootstrap(p, raw, strlen(raw), ev->ts_us);
	else if ((strcmp(name, "NOTICE") == 0 || strcmp(name, "WARN") == 0 ||
	    strcmp(name, "ERR") == 0) && o->tor_log != NULL) {
		msg = escape_dup(raw, strlen(raw));
		o->tor_log(name, msg, ev->ts_us, o->arg);
		free(msg);
	}
}

/* A finding from the judge: to the store, the output and the alert. */
void
pl_on_finding(const struct judge_finding *f, void *arg)
{
	struct pipeline *p = arg;
	const char *sev = severity_name(f->severity);

	if (p->cfg.store != NULL && p->session_id != 0) {
		struct store_finding sf;

		memset(&sf, 0, sizeof sf);
		sf.session = p->session_id;
		sf.cause = f->cause;
		sf.rule = rule_name(f->rule);
		sf.severity = sev;
		sf.listener = f->listener;
		sf.ident_a = f->ident_a;
		sf.ident_b = f->ident_b;
		sf.apps = f->apps;
		sf.identities = f->identities;
		sf.processes = f->processes;
		sf.detail = f->detail;
		sf.remedy = f->remedy;
		sf.circ_id = f->circ_id;
		sf.exit_fp = f->exit_fp;
		sf.streams = f->streams;
		sf.count = f->count;
		sf.first_seen = f->first_seen;
		sf.last_seen = f->last_seen;
		store_finding(p->cfg.store, &sf);
	}
	p->stats.findings++;
	if (p->cfg.observer != NULL && p->cfg.observer->finding != NULL)
		p->cfg.observer->finding(f, p->session_id,
		    p->cfg.observer->arg);
	if (!f->is_new)
		return;
	p->stats.new_findings++;
	if (pl_output_lines(p)) {
		pl_line_begin(p, f->last_seen);
		buf_printf(&p->line, "FINDING %s %s: ", sev,
		    rule_name(f->rule));
		buf_escape(&p->line, f->detail, strlen(f->detail));
		pl_line_end(p);
	}
	if (p->cfg.alert != NULL)
		p->cfg.alert(f->severity, rule_name(f->rule), f->detail,
		    f->last_seen, p->cfg.alert_arg);
}

void
pl_observe_session(struct pipeline *p, enum pipeline_phase phase,
    unsigned serial, const char *why, int64_t ts)
{
	struct pipeline_session_info si;
	char *w;

	if (p->cfg.observer == NULL || p->cfg.observer->session == NULL)
		return;
	w = why != NULL ? escape_dup(why, strlen(why)) : NULL;
	memset(&si, 0, sizeof si);
	si.phase = phase;
	si.serial = serial;
	si.address = p->address;
	si.method = p->method;
	si.version = p->version;
	si.pid = p->pid;
	si.why = w;
	si.ts = ts;
	p->cfg.observer->session(&si, p->cfg.observer->arg);
	free(w);
}
