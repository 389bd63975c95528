/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_html.c: the report as one HTML page with its style inline (no
 * script, nothing fetched): the header, applications, the sharing matrix,
 * findings, shared circuits and sessions.  Text from the database goes
 * through report_esc_utf8 (entities for the five special characters).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "report_int.h"
#include "timeutil.h"

#ifndef ISOAUDIT_VERSION
#define ISOAUDIT_VERSION "0.1.0"
#endif

/* Appends s as HTML text (see report_esc_utf8). */
static void
html_esc(struct buf *b, const char *s)
{
	report_esc_utf8(b, s, 1);
}

/* Appends a <td> holding s escaped (or a dash), with an optional class. */
static void
html_td(struct buf *b, const char *cls, const char *s)
{
	if (cls != NULL)
		buf_printf(b, "<td class=\"%s\">", cls);
	else
		buf_adds(b, "<td>");
	if (empty(s))
		buf_adds(b, "&ndash;");
	else
		html_esc(b, s);
	buf_adds(b, "</td>");
}

static void
html_td_num(struct buf *b, long v)
{
	buf_printf(b, "<td class=\"n\">%ld</td>", v);
}

static void
html_td_time(struct buf *b, int64_t us)
{
	char t[TIME_RFC3339_LEN];

	report_t3339(us, t);
	html_td(b, "t", t);
}

static const char html_style[] =
"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
"margin:1.5em 2em;color:#1d1d1f;background:#fff}\n"
"h1{font-size:1.35em;margin:0 0 .4em}\n"
"h2{font-size:1.1em;margin:1.8em 0 .5em;padding-bottom:.2em;"
"border-bottom:1px solid #ccc}\n"
"h3{font-size:1em;margin:1em 0 .3em}\n"
"table{border-collapse:collapse;margin:.3em 0}\n"
"th,td{border:1px solid #d0d0d0;padding:.2em .55em;text-align:left;"
"vertical-align:top}\n"
"th{background:#f3f3f3;font-weight:600}\n"
"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
"td.t,.mono{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
"monospace;font-size:.92em;white-space:nowrap}\n"
"dl.head{display:grid;grid-template-columns:max-content auto;"
"gap:.15em 1em;margin:0}\n"
"dl.head dt{font-weight:600}dl.head dd{margin:0}\n"
"table.matrix td{text-align:center;min-width:2.2em}\n"
"table.matrix td.shared{background:#f6b8b8;color:#7a0000;"
"font-weight:700}\n"
"table.matrix td.self{background:#e8e8e8;color:#888}\n"
".sev-critical{color:#b00000;font-weight:700}\n"
".sev-warning{color:#a65e00;font-weight:700}\n"
".sev-notice{color:#1f5fa8}\n"
".sev-info{color:#555}\n"
".detail{max-width:40em}\n"
".none{color:#555;font-style:italic}\n"
"footer{margin-top:2em;color:#777;font-size:.85em}\n";

static void
html_head(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, t;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN], d[32];

	buf_init(&t);
	report_range_title(r, &t);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>isoaudit report: ");
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</title>\n<style>\n");
	buf_adds(b, html_style);
	buf_adds(b, "</style>\n</head>\n<body>\n<h1>isoaudit report: ");
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</h1>\n<dl class=\"head\">\n<dt>range</dt><dd>");
	report_t3339(r->from, x);
	report_t3339(r->to, y);
	buf_printf(b, "<span class=\"mono\">%s</span> .. "
	    "<span class=\"mono\">%s</span>", x[0] ? x : "(start)",
	    y[0] ? y : "(open)");
	if (r->from != 0 && r->to != 0) {
		report_duration(r->to - r->from, d, sizeof d);
		buf_printf(b, " (%s)", d);
	}
	buf_adds(b, "</dd>\n<dt>Tor</dt><dd>");
	buf_reset(&t);
	report_session_values(r, &t, offsetof(struct rep_session, tor_version));
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</dd>\n<dt>control</dt><dd>");
	buf_reset(&t);
	report_session_values(r, &t, offsetof(struct rep_session, control));
	html_esc(b, buf_cstr(&t));
	buf_printf(b, "</dd>\n<dt>recorded</dt><dd>%ld streams, %zu "
	    "circuits, %zu applications</dd>\n<dt>findings</dt><dd>"
	    "<span class=\"sev-critical\">%ld critical</span>, "
	    "<span class=\"sev-warning\">%ld warning</span>, "
	    "<span class=\"sev-notice\">%ld notice</span>, "
	    "<span class=\"sev-info\">%ld info</span></dd>\n</dl>\n",
	    r->nstreams, r->ncircs, r->napps, r->sev[SEV_CRITICAL],
	    r->sev[SEV_WARNING], r->sev[SEV_NOTICE], r->sev[SEV_INFO]);
	buf_free(&t);
}

static void
html_apps(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	buf_printf(b, "<h2>Applications (%zu)</h2>\n", r->napps);
	if (r->napps == 0) {
		buf_adds(b, "<p class=\"none\">No stream was attributed to an "
		    "application.</p>\n");
		return;
	}
	buf_adds(b, "<table>\n<tr><th>#</th><th>application</th>"
	    "<th>host</th><th>listeners</th><th>processes</th>"
	    "<th>streams</th><th>circuits</th><th>exits</th>"
	    "<th>first seen</th><th>last seen</th></tr>\n");
	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		buf_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
		html_esc(b, a->label);
		if (a->sub[0] != '\0') {
			buf_adds(b, " <span class=\"mono\">/");
			html_esc(b, a->sub);
			buf_adds(b, "</span>");
		}
		buf_adds(b, "</td>");
		html_td(b, NULL, a->host);
		html_td(b, "mono", a->listeners);
		html_td(b, NULL, a->processes);
		html_td_num(b, a->streams);
		html_td_num(b, a->circuits);
		html_td_num(b, a->exits);
		html_td_time(b, a->first_seen);
		html_td_time(b, a->last_seen);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

static void
html_sharing(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i, j, n = r->napps;
	long v;

	buf_adds(b, "<h2>Circuit sharing</h2>\n<p>Exit circuits that two "
	    "applications both used (the legs of one conflux set count as "
	    "one circuit). A shared cell means the exit relay could link "
	    "the two.</p>\n");
	if (n < 2) {
		buf_adds(b, "<p class=\"none\">Fewer than two applications: "
		    "nothing to share.</p>\n");
		return;
	}
	buf_adds(b, "<table class=\"matrix\">\n<tr><th></th>");
	for (j = 0; j < n; j++) {
		buf_adds(b, "<th title=\"");
		html_esc(b, r->apps[j].ident);
		buf_printf(b, "\">%zu</th>", j + 1);
	}
	buf_adds(b, "</tr>\n");
	for (i = 0; i < n; i++) {
		buf_printf(b, "<tr><th>%zu ", i + 1);
		html_esc(b, r->apps[i].ident);
		buf_adds(b, "</th>");
		for (j = 0; j < n; j++) {
			v = report_share(r, i, j);
			if (i == j)
				buf_adds(b, "<td class=\"self\">&ndash;</td>");
			else if (v == 0)
				buf_adds(b, "<td></td>");
			else
				buf_printf(b, "<td class=\"shared\">%ld</td>",
				    v);
		}
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

/* The circuits a finding's row names (then "and N more"). */
#define HTML_MAX_CIRCUITS	REPORT_SHOW_OCC

static void
html_findings(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	size_t i, k;
	enum severity s;
	long shown, total;

	buf_printf(b, "<h2>Findings (%zu)</h2>\n", r->nfindings_total);
	if (r->nfindings_total == 0) {
		buf_adds(b, "<p class=\"none\">No findings.</p>\n");
		return;
	}
	buf_init(&v);
	buf_adds(b, "<table>\n<tr><th>severity</th><th>rule</th>"
	    "<th>count</th><th>occurrences</th><th>where (latest)</th>"
	    "<th>first seen</th>"
	    "<th>last seen</th><th>who</th><th>processes</th>"
	    "<th>streams</th><th>detail</th><th>what to do</th></tr>\n");
	for (k = 0; k < REPORT_NORDER; k++) {
		s = report_sev_order[k];
		shown = 0;
		for (i = 0; i < r->nfindings; i++) {
			const struct rep_finding *f = &r->findings[i];

			if (f->sev != s)
				continue;
			shown++;
			if (s != REPORT_SEV_OTHER)
				buf_printf(b, "<tr><td class=\"sev-%s\">%s",
				    severity_name(s), severity_name(s));
			else {
				buf_adds(b, "<tr><td>");
				html_esc(b, f->severity);
			}
			if (f->acknowledged)
				buf_adds(b, " (acknowledged)");
			else if (f->again)
				buf_adds(b, " (again)");
			buf_adds(b, "</td>");
			html_td(b, "mono", f->rule);
			html_td_num(b, f->count);
			/* A cause: its occurrences, then the latest. */
			buf_reset(&v);
			report_occurrences(&v, f, HTML_MAX_CIRCUITS);
			html_td(b, NULL, buf_cstr(&v));
			buf_reset(&v);
			report_finding_where(&v, f);
			html_td(b, NULL, buf_cstr(&v));
			html_td_time(b, f->first_seen);
			html_td_time(b, f->last_seen);
			buf_reset(&v);
			if (report_list_plain(&v, f->identities) == 0)
				report_list_plain(&v, f->apps);
			html_td(b, NULL, buf_cstr(&v));
			buf_reset(&v);
			report_list_plain(&v, f->processes);
			html_td(b, NULL, buf_cstr(&v));
			buf_reset(&v);
			report_list_plain(&v, f->streams);
			html_td(b, "mono", buf_cstr(&v));
			html_td(b, "detail", f->detail);
			html_td(b, "detail", f->remedy);
			buf_adds(b, "</tr>\n");
			out_maybe_flush(o);
		}
		total = s != REPORT_SEV_OTHER ? r->sev[s] : r->sev_other;
		if (total > shown)
			buf_printf(b, "<tr><td colspan=\"12\" class=\"none\">"
			    "&hellip; and %ld more %s findings (the JSON and CSV "
			    "reports list every one)</td></tr>\n", total - shown,
			    s != REPORT_SEV_OTHER ? severity_name(s) : "other");
	}
	buf_adds(b, "</table>\n");
	buf_free(&v);
}

static void
html_shared_circuits(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	size_t i, j, rows = 0;

	buf_adds(b, "<h2>Circuits that carried more than one "
	    "application</h2>\n");
	buf_init(&v);
	for (i = 0; i < r->nshared; i++) {
		const struct rep_circ *c = &r->shared[i];

		if (rows == 0)
			buf_adds(b, "<table>\n<tr><th>session</th>"
			    "<th>circuit</th><th>purpose</th><th>exit</th>"
			    "<th>conflux</th><th>streams</th>"
			    "<th>applications</th><th>created</th>"
			    "<th>closed</th></tr>\n");
		rows++;
		buf_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>"
		    "<td class=\"n\">%" PRIu64 "</td>", c->session,
		    c->circ_id);
		html_td(b, NULL, c->purpose);
		buf_reset(&v);
		report_exit_name(&v, c);
		html_td(b, "mono", buf_cstr(&v));
		html_td(b, "mono", c->conflux_id);
		html_td_num(b, c->streams);
		buf_reset(&v);
		for (j = 0; j < c->napps; j++) {
			if (j > 0)
				buf_adds(&v, ", ");
			buf_adds(&v, r->apps[c->apps[j]].ident);
		}
		html_td(b, NULL, buf_cstr(&v));
		html_td_time(b, c->created);
		html_td_time(b, c->closed);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	if (r->shared_total > (long)rows && rows > 0)
		buf_printf(b, "<tr><td colspan=\"9\" class=\"none\">&hellip; "
		    "and %ld more (the JSON and CSV reports list every "
		    "circuit)</td></tr>\n", r->shared_total - (long)rows);
	buf_free(&v);
	if (rows == 0)
		buf_adds(b, "<p class=\"none\">None: every circuit carried one "
		    "application at most.</p>\n");
	else
		buf_adds(b, "</table>\n");
}

/* The local onion services and the onion destinations, when there are. */
static void
html_onions(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	size_t i, n;

	if (r->nservices > 0) {
		buf_printf(b, "<h2>Onion services of this Tor (%zu)</h2>\n"
		    "<p>A rendezvous circuit is a client served.</p>\n<table>\n"
		    "<tr><th>session</th><th>service</th><th>learnt from</th>"
		    "<th>rendezvous circuits</th><th>open</th>"
		    "<th>intro circuits</th><th>first rendezvous</th>"
		    "<th>last rendezvous</th></tr>\n", r->nservices);
		for (i = 0; i < r->nservices; i++) {
			const struct rep_service *sv = &r->services[i];

			buf_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>",
			    sv->session);
			html_td(b, "mono", sv->address);
			html_td(b, NULL, sv->source);
			html_td_num(b, sv->rend_circuits);
			html_td_num(b, sv->rend_open);
			html_td_num(b, sv->intro_circuits);
			html_td_time(b, sv->first_rend);
			html_td_time(b, sv->last_rend);
			buf_adds(b, "</tr>\n");
			out_maybe_flush(o);
		}
		buf_adds(b, "</table>\n");
	}
	if (r->nonions == 0)
		return;
	buf_printf(b, "<h2>Onion services reached (%zu)</h2>\n<table>\n"
	    "<tr><th>target</th><th>streams</th><th>circuits</th>"
	    "<th>first</th><th>last</th><th>applications</th></tr>\n",
	    r->nonions);
	buf_init(&v);
	for (i = 0; i < r->nonions; i++) {
		const struct rep_onion *ov = &r->onions[i];

		buf_reset(&v);
		buf_adds(&v, ov->target);
		if (ov->port >= 0)
			buf_printf(&v, ":%d", ov->port);
		buf_adds(b, "<tr>");
		html_td(b, "mono", buf_cstr(&v));
		html_td_num(b, ov->streams);
		html_td_num(b, ov->circuits);
		html_td_time(b, ov->first_seen);
		html_td_time(b, ov->last_seen);
		buf_reset(&v);
		n = report_labels_join(&v, r, ov->apps, ov->napps);
		html_td(b, NULL, n > 0 ? buf_cstr(&v) : NULL);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_free(&v);
	buf_adds(b, "</table>\n");
}

static void
html_sessions(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	buf_printf(b, "<h2>Tor sessions (%zu)</h2>\n<table>\n<tr>"
	    "<th>session</th><th>Tor</th><th>control</th><th>auth</th>"
	    "<th>pid</th><th>source</th><th>started</th><th>ended</th>"
	    "<th>end</th><th>last event</th></tr>\n", r->nsessions);
	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		buf_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>", s->id);
		html_td(b, NULL, s->tor_version);
		html_td(b, "mono", s->control);
		html_td(b, NULL, s->auth);
		if (s->pid > 0)
			html_td_num(b, s->pid);
		else
			html_td(b, NULL, NULL);
		html_td(b, NULL, s->source);
		html_td_time(b, s->started);
		if (s->ended != 0)
			html_td_time(b, s->ended);
		else
			buf_adds(b, "<td>(open)</td>");
		html_td(b, NULL, s->end_reason);
		html_td_time(b, s->last_event);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

void
report_html_write(const struct report *r, struct out *o)
{
	char t[TIME_RFC3339_LEN];

	html_head(r, o);
	html_apps(r, o);
	html_sharing(r, o);
	html_findings(r, o);
	html_shared_circuits(r, o);
	html_onions(r, o);
	html_sessions(r, o);
	time_rfc3339(r->now, t);
	buf_printf(&o->b, "<footer>generated by isoaudit %s at %s; times "
	    "are UTC</footer>\n</body>\n</html>\n", ISOAUDIT_VERSION, t);
}
