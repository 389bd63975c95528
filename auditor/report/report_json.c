/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_json.c: the JSON report, the shape SPEC.md fixes ("JSON report"),
 * and the finding's object that `check --json` writes too.  Strings go
 * through buf_json_str; a finding's stored lists are copied only when they
 * are exactly one JSON array (lib/json.c), else written as [].
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Appends a JSON time: an RFC 3339 string, or null for 0. */
static void
json_time(struct buf *b, int64_t us)
{
	char t[TIME_RFC3339_LEN];

	if (us == 0) {
		buf_adds(b, "null");
		return;
	}
	report_t3339(us, t);
	buf_json_strz(b, t);
}

/* Appends s as a JSON array if it is one, else []. */
static void
json_array_or_empty(struct buf *b, const char *s)
{
	const char *p, *e;

	if (!json_is_array(s)) {
		buf_adds(b, "[]");
		return;
	}
	p = s;
	e = s + strlen(s);
	json_ws(&p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	buf_add(b, p, (size_t)(e - p));
}

/* Appends a finding as the JSON object of SPEC.md's report. */
void
report_json_finding(struct buf *b, const struct store_finding_row *f)
{
	size_t i;

	buf_adds(b, "{\"rule\": ");
	buf_json_strz(b, f->rule);
	buf_adds(b, ", \"severity\": ");
	buf_json_strz(b, f->severity);
	buf_adds(b, ", \"session\": ");
	buf_add_i64(b, f->session);
	buf_adds(b, ", \"circuit\": ");
	if (f->circ_id != 0) {
		buf_addc(b, '"');
		buf_add_u64(b, f->circ_id);
		buf_addc(b, '"');
	} else
		buf_adds(b, "null");
	buf_adds(b, ", \"listener\": ");
	buf_json_strz(b, f->listener != NULL && f->listener[0] != '\0' ?
	    f->listener : NULL);
	buf_adds(b, ", \"apps\": ");
	json_array_or_empty(b, f->apps);
	buf_adds(b, ", \"identities\": ");
	json_array_or_empty(b, f->identities);
	buf_adds(b, ", \"processes\": ");
	json_array_or_empty(b, f->processes);
	buf_adds(b, ", \"streams\": ");
	json_array_or_empty(b, f->streams);
	buf_adds(b, ", \"count\": ");
	buf_add_i64(b, f->count);
	buf_adds(b, ", \"first_seen\": ");
	json_time(b, f->first_seen);
	buf_adds(b, ", \"last_seen\": ");
	json_time(b, f->last_seen);
	buf_adds(b, ", \"detail\": ");
	buf_json_strz(b, f->detail);
	/* 0.2: what to do on this system (its profile), or null. */
	buf_adds(b, ", \"remedy\": ");
	buf_json_strz(b, f->remedy);
	buf_adds(b, ", \"id\": ");
	buf_add_i64(b, f->id);
	buf_adds(b, f->acknowledged ? ", \"acknowledged\": true" :
	    ", \"acknowledged\": false");
	/* 0.2: the cause, and its occurrences. */
	buf_adds(b, ", \"cause\": ");
	buf_json_strz(b, f->cause);
	buf_adds(b, f->again ? ", \"again\": true, \"occurrences\": [" :
	    ", \"again\": false, \"occurrences\": [");
	for (i = 0; i < f->noccurrences; i++) {
		const struct store_occurrence_row *o = &f->occurrences[i];

		buf_adds(b, i > 0 ? ", {\"session\": " : "{\"session\": ");
		buf_add_i64(b, o->session);
		buf_adds(b, ", \"circuit\": ");
		if (o->circ_id != 0) {
			buf_addc(b, '"');
			buf_add_u64(b, o->circ_id);
			buf_addc(b, '"');
		} else
			buf_adds(b, "null");
		buf_adds(b, ", \"exit\": ");
		buf_json_strz(b, o->exit_fp != NULL && o->exit_fp[0] != '\0' ?
		    o->exit_fp : NULL);
		buf_adds(b, ", \"streams\": ");
		json_array_or_empty(b, o->streams);
		buf_adds(b, ", \"count\": ");
		buf_add_i64(b, o->count);
		buf_adds(b, ", \"first_seen\": ");
		json_time(b, o->first_seen);
		buf_adds(b, ", \"last_seen\": ");
		json_time(b, o->last_seen);
		buf_adds(b, "}");
	}
	buf_adds(b, "]");
	/* Only the newest are held (store.h): say how many are left out. */
	if (f->noccurrences_total > f->noccurrences)
		buf_printf(b, ", \"occurrences_omitted\": %zu",
		    f->noccurrences_total - f->noccurrences);
	buf_adds(b, "}");
}

static void
json_app_processes(struct buf *b, const char *s)
{
	const char *p = s, *q, *open, *tok;
	int n = 0;

	/*
	 * "name[pid] name[pid] ..." where a name may itself hold spaces or
	 * brackets: a token ends at "[digits]" followed by a space or the
	 * end.
	 */
	buf_addc(b, '[');
	while (p != NULL && *p != '\0') {
		tok = p;
		for (q = p; *q != '\0'; q++) {
			if (*q != ']' || (q[1] != ' ' && q[1] != '\0'))
				continue;
			for (open = q; open > tok && open[-1] >= '0' &&
			    open[-1] <= '9'; open--)
				;
			if (open == q || open == tok || open[-1] != '[')
				continue;
			break;
		}
		if (*q == '\0') {
			/* No pid form: the rest as a name. */
			if (n++ > 0)
				buf_adds(b, ", ");
			buf_adds(b, "{\"pid\": null, \"name\": ");
			buf_json_str(b, tok, strlen(tok));
			buf_addc(b, '}');
			break;
		}
		if (n++ > 0)
			buf_adds(b, ", ");
		buf_adds(b, "{\"pid\": ");
		buf_add(b, open, (size_t)(q - open));
		buf_adds(b, ", \"name\": ");
		if (open - 1 - tok == 1 && *tok == '?')
			buf_adds(b, "null");
		else
			buf_json_str(b, tok, (size_t)(open - 1 - tok));
		buf_addc(b, '}');
		p = q[1] == ' ' ? q + 2 : q + 1;
	}
	buf_addc(b, ']');
}

/* Appends a space-separated list as a JSON array of strings. */
static void
json_words(struct buf *b, const char *s)
{
	const char *p = s, *e;
	int n = 0;

	buf_addc(b, '[');
	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (n++ > 0)
			buf_adds(b, ", ");
		buf_json_str(b, p, (size_t)(e - p));
		p = e;
	}
	buf_addc(b, ']');
}

static void
json_sessions(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		buf_printf(b, "%s\n    {\"id\": %" PRId64 ", \"tor_version\": ",
		    i > 0 ? "," : "", s->id);
		buf_json_strz(b, s->tor_version);
		buf_adds(b, ", \"control\": ");
		buf_json_strz(b, s->control);
		buf_adds(b, ", \"started\": ");
		json_time(b, s->started);
		buf_adds(b, ", \"ended\": ");
		json_time(b, s->ended);
		buf_adds(b, ", \"auth\": ");
		buf_json_strz(b, s->auth);
		if (s->pid > 0)
			buf_printf(b, ", \"pid\": %ld", s->pid);
		else
			buf_adds(b, ", \"pid\": null");
		buf_adds(b, ", \"source\": ");
		buf_json_strz(b, s->source);
		buf_adds(b, ", \"end_reason\": ");
		buf_json_strz(b, s->end_reason);
		buf_adds(b, ", \"last_event\": ");
		json_time(b, s->last_event);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
}

static void
json_apps(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		buf_adds(b, i > 0 ? ",\n    {\"app\": " : "\n    {\"app\": ");
		buf_json_strz(b, a->label);
		buf_adds(b, ", \"host\": ");
		buf_json_strz(b, a->host);
		buf_adds(b, ", \"listeners\": ");
		json_words(b, a->listeners);
		buf_printf(b, ", \"streams\": %ld, \"circuits\": %ld, "
		    "\"exits\": %ld, \"first_seen\": ", a->streams,
		    a->circuits, a->exits);
		json_time(b, a->first_seen);
		buf_adds(b, ", \"last_seen\": ");
		json_time(b, a->last_seen);
		buf_printf(b, ", \"id\": %" PRId64 ", \"sub\": ", a->id);
		buf_json_strz(b, a->sub[0] != '\0' ? a->sub : NULL);
		buf_adds(b, ", \"identity\": ");
		buf_json_strz(b, a->ident);
		buf_adds(b, ", \"processes\": ");
		json_app_processes(b, a->processes);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
}

/* Appends a circuit's exit: {"fingerprint", "nickname"}, or null. */
static void
json_exit(struct buf *b, const struct rep_circ *c)
{
	if (c->exit_fp == NULL && c->exit_nick == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_adds(b, "{\"fingerprint\": ");
	buf_json_strz(b, c->exit_fp);
	buf_adds(b, ", \"nickname\": ");
	buf_json_strz(b, c->exit_nick);
	buf_addc(b, '}');
}

struct json_walk {
	const struct report	*r;
	struct out		*o;
	size_t			 n;
};

static void
json_circuit(const struct rep_circ *c, void *arg)
{
	struct json_walk *w = arg;
	const struct report *r = w->r;
	struct buf *b = &w->o->b;
	const char **labels;
	size_t j, n;

	buf_adds(b, w->n++ > 0 ? ",\n    {\"session\": " :
	    "\n    {\"session\": ");
	buf_add_i64(b, c->session);
	buf_adds(b, ", \"id\": \"");
	buf_add_u64(b, c->circ_id);
	buf_adds(b, "\", \"purpose\": ");
	buf_json_strz(b, c->purpose);
	buf_adds(b, ", \"conflux_id\": ");
	buf_json_strz(b, c->conflux_id);
	buf_adds(b, ", \"exit\": ");
	json_exit(b, c);
	buf_adds(b, ", \"apps\": [");
	n = report_labels(r, c->apps, c->napps, &labels);
	for (j = 0; j < n; j++) {
		if (j > 0)
			buf_adds(b, ", ");
		buf_json_strz(b, labels[j]);
	}
	free(labels);
	buf_adds(b, "], \"streams\": ");
	buf_add_i64(b, c->streams);
	buf_adds(b, ", \"created\": ");
	json_time(b, c->created);
	buf_adds(b, ", \"closed\": ");
	json_time(b, c->closed);
	buf_adds(b, ", \"identities\": [");
	for (j = 0; j < c->napps; j++) {
		if (j > 0)
			buf_adds(b, ", ");
		buf_json_strz(b, r->apps[c->apps[j]].ident);
	}
	buf_adds(b, "]}");
	out_maybe_flush(w->o);
}

/* Ends a list of n elements: on a line of its own unless it is empty. */
static void
json_list_end(struct buf *b, size_t n)
{
	buf_adds(b, n > 0 ? "\n  ]" : "]");
}

/* The circuits, as they are read. */
static void
json_circuits(const struct report *r, struct out *o)
{
	struct json_walk w = { r, o, 0 };

	report_each_circuit(r, o, json_circuit, &w);
	json_list_end(&o->b, w.n);
}

static void
json_finding(const struct rep_finding *f, void *arg)
{
	struct json_walk *w = arg;
	struct store_finding_row row;

	report_finding_row(f, &row);
	buf_adds(&w->o->b, w->n++ > 0 ? ",\n    " : "\n    ");
	report_json_finding(&w->o->b, &row);
	out_maybe_flush(w->o);
}

/* The findings, as they are read. */
static void
json_findings(const struct report *r, struct out *o)
{
	struct json_walk w = { r, o, 0 };

	report_each_finding(r, o, json_finding, &w);
	json_list_end(&o->b, w.n);
}

/* The local onion services (schema/003). */
static void
json_services(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	for (i = 0; i < r->nservices; i++) {
		const struct rep_service *v = &r->services[i];

		buf_printf(b, "%s\n    {\"session\": %" PRId64 ", \"service\": ",
		    i > 0 ? "," : "", v->session);
		buf_json_strz(b, v->address);
		buf_adds(b, ", \"source\": ");
		buf_json_strz(b, v->source);
		buf_adds(b, ", \"first_seen\": ");
		json_time(b, v->first_seen);
		buf_printf(b, ", \"rend_circuits\": %ld, \"rend_open\": %ld, "
		    "\"intro_circuits\": %ld, \"first_rend\": ",
		    v->rend_circuits, v->rend_open, v->intro_circuits);
		json_time(b, v->first_rend);
		buf_adds(b, ", \"last_rend\": ");
		json_time(b, v->last_rend);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
}

/* The onion destinations the applications reached. */
static void
json_onions(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	const char **labels;
	size_t i, j, n;

	for (i = 0; i < r->nonions; i++) {
		const struct rep_onion *v = &r->onions[i];

		buf_adds(b, i > 0 ? ",\n    {\"target\": " : "\n    {\"target\": ");
		buf_json_strz(b, v->target);
		buf_adds(b, ", \"port\": ");
		if (v->port >= 0)
			buf_printf(b, "%d", v->port);
		else
			buf_adds(b, "null");
		buf_adds(b, ", \"apps\": [");
		n = report_labels(r, v->apps, v->napps, &labels);
		for (j = 0; j < n; j++) {
			if (j > 0)
				buf_adds(b, ", ");
			buf_json_strz(b, labels[j]);
		}
		free(labels);
		buf_printf(b, "], \"streams\": %ld, \"circuits\": %ld, "
		    "\"first_seen\": ", v->streams, v->circuits);
		json_time(b, v->first_seen);
		buf_adds(b, ", \"last_seen\": ");
		json_time(b, v->last_seen);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
}

void
report_json_write(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	char t[TIME_RFC3339_LEN];

	buf_adds(b, "{\n  \"isoaudit_report\": 1,\n  \"generated\": ");
	time_rfc3339(r->now, t);
	buf_json_strz(b, t);
	buf_adds(b, ",\n  \"range\": {\"from\": ");
	json_time(b, r->from);
	buf_adds(b, ", \"to\": ");
	json_time(b, r->to);
	buf_adds(b, "},\n  \"tor_sessions\": [");
	json_sessions(r, o);
	json_list_end(b, r->nsessions);
	buf_adds(b, ",\n  \"apps\": [");
	json_apps(r, o);
	json_list_end(b, r->napps);
	buf_adds(b, ",\n  \"circuits\": [");
	json_circuits(r, o);
	buf_adds(b, ",\n  \"findings\": [");
	json_findings(r, o);
	buf_printf(b, ",\n  \"summary\": {\"streams\": %ld, \"circuits\": %zu, "
	    "\"apps\": %zu, \"findings\": {\"critical\": %ld, \"warning\": "
	    "%ld, \"notice\": %ld, \"info\": %ld}, \"services\": %zu, "
	    "\"onion_streams\": %ld}", r->nstreams,
	    r->ncircs, r->napps, r->sev[SEV_CRITICAL], r->sev[SEV_WARNING],
	    r->sev[SEV_NOTICE], r->sev[SEV_INFO], r->nservices,
	    r->onion_streams);
	/* 0.2 (onion services): after 0.1's keys, which keep their places. */
	buf_adds(b, ",\n  \"services\": [");
	json_services(r, o);
	json_list_end(b, r->nservices);
	buf_adds(b, ",\n  \"onion_targets\": [");
	json_onions(r, o);
	json_list_end(b, r->nonions);
	buf_adds(b, "\n}\n");
}
