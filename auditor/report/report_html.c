/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_html.c: the report as one HTML page with its style inline (no
 * script, nothing fetched): the verdict first (isolation held, or which
 * applications were linked, how often, since when, and what to change:
 * report_remedy.c), then two pictures (report_svg.c: the timeline of the
 * applications' circuits and the sharing graph), the findings, the
 * applications (their processes collapsed by program, <details> to
 * expand, no script), the sharing matrix, shared circuits and sessions.
 * Text from the database goes through report_esc_utf8 (entities for the
 * five special characters); long lists wrap inside fixed-width columns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "config.h"
#include "report_int.h"
#include "timeutil.h"
#include "xmalloc.h"

#ifndef ISOAUDIT_VERSION
#define ISOAUDIT_VERSION "0.2.0"
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
"margin:1.2em 2em;color:#1d1d1f;background:#fff;max-width:1500px}\n"
"h1{font-size:1.3em;margin:0 0 .2em}\n"
"h2{font-size:1.1em;margin:1.6em 0 .5em;padding-bottom:.2em;"
"border-bottom:1px solid #ccc}\n"
"h3{font-size:1em;margin:1em 0 .3em}\n"
"p.sub{margin:0 0 .8em;color:#555}\n"
"table{border-collapse:collapse;margin:.3em 0;max-width:100%}\n"
"table.wide{table-layout:fixed;width:100%}\n"
"th,td{border:1px solid #d0d0d0;padding:.2em .55em;text-align:left;"
"vertical-align:top;overflow-wrap:anywhere}\n"
"th{background:#f3f3f3;font-weight:600}\n"
"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
"td.t,.mono{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
"\"DejaVu Sans Mono\",monospace;font-size:.92em}\n"
"td.t{white-space:nowrap;overflow-wrap:normal}\n"
"dl.head{display:grid;grid-template-columns:max-content auto;"
"gap:.1em 1em;margin:0}\n"
"dl.head dt{font-weight:600}dl.head dd{margin:0}\n"
"details{margin:0}summary{cursor:pointer}\n"
"details .mono{display:block;max-height:12em;overflow:auto}\n"
".procs span.p,.procs details{display:inline-block;margin-right:.8em;"
"vertical-align:top}\n"
"table.matrix td{text-align:center;min-width:2.2em}\n"
"table.matrix td.shared{background:#f6b8b8;color:#7a0000;"
"font-weight:700}\n"
"table.matrix td.self{background:#e8e8e8;color:#888}\n"
".sev-critical{color:#b00000;font-weight:700}\n"
".sev-warning{color:#a65e00;font-weight:700}\n"
".sev-notice{color:#1f5fa8}\n"
".sev-info{color:#555}\n"
".none{color:#555;font-style:italic}\n"
"section.verdict{border-radius:8px;padding:.8em 1.2em;margin:.6em 0 1em;"
"border:2px solid}\n"
"section.verdict h2{border:0;margin:0 0 .3em;font-size:1.45em}\n"
"section.verdict.ok{background:#eaf7ee;border-color:#2e8b57}\n"
"section.verdict.ok h2{color:#1e6b3f}\n"
"section.verdict.bad{background:#fdecec;border-color:#c0392b}\n"
"section.verdict.bad h2{color:#a01e12}\n"
"section.verdict.warn{background:#fff5e5;border-color:#d98c00}\n"
"section.verdict.warn h2{color:#8a5300}\n"
"section.verdict ol{margin:.3em 0;padding-left:1.4em}\n"
"section.verdict li{margin:.5em 0}\n"
"section.verdict p{margin:.15em 0}\n"
".remedy{background:#fff;border-left:4px solid #2e8b57;padding:.35em .7em;"
"margin:.35em 0 .2em;max-width:75em}\n"
".facts{color:#333}\n"
".pics{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
".pics figure{margin:0}\n"
".pics figcaption{color:#555;font-size:.9em;max-width:60em}\n"
"svg.timeline{max-width:100%;height:auto}\n"
"svg.graph{max-width:100%;height:auto}\n"
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
	buf_adds(b, "</h1>\n<p class=\"sub\">");
	report_t3339(r->from, x);
	report_t3339(r->to, y);
	buf_printf(b, "<span class=\"mono\">%s</span> .. "
	    "<span class=\"mono\">%s</span>", x[0] ? x : "(start)",
	    y[0] ? y : "(open)");
	if (r->from != 0 && r->to != 0) {
		report_duration(r->to - r->from, d, sizeof d);
		buf_printf(b, " (%s)", d);
	}
	buf_printf(b, " &middot; %ld streams, %zu circuits, %zu applications"
	    " &middot; findings: "
	    "<span class=\"sev-critical\">%ld critical</span>, "
	    "<span class=\"sev-warning\">%ld warning</span>, "
	    "<span class=\"sev-notice\">%ld notice</span>, "
	    "<span class=\"sev-info\">%ld info</span></p>\n",
	    r->nstreams, r->ncircs, r->napps, r->sev[SEV_CRITICAL],
	    r->sev[SEV_WARNING], r->sev[SEV_NOTICE], r->sev[SEV_INFO]);
	buf_free(&t);
}

/* The header's details (Tor, control), below the pictures. */
static void
html_meta(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, t;

	buf_init(&t);
	buf_adds(b, "<h2>Tor</h2>\n<dl class=\"head\">\n<dt>Tor</dt><dd>");
	report_session_values(r, &t, offsetof(struct rep_session, tor_version));
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</dd>\n<dt>control</dt><dd>");
	buf_reset(&t);
	report_session_values(r, &t, offsetof(struct rep_session, control));
	html_esc(b, buf_cstr(&t));
	buf_printf(b, "</dd>\n<dt>recorded</dt><dd>%ld streams, %zu "
	    "circuits, %zu applications</dd>\n</dl>\n", r->nstreams,
	    r->ncircs, r->napps);
	buf_free(&t);
}

/* " (agent:ws1)": who claimed the process, escaped. */
static void
html_claim(struct buf *b, const struct rep_proc *p)
{
	if (p->claim == NULL)
		return;
	buf_adds(b, " (");
	html_esc(b, p->claim);
	buf_addc(b, ')');
}

/* A list of processes collapsed by program: "curl &times; 212" that opens
 * on its pids; a single process as name[pid]. */
static void
html_procs(struct buf *b, const struct rep_procs *ps)
{
	const struct rep_proc *p;
	size_t i, k;

	for (i = 0; i < ps->n; i++) {
		p = &ps->p[i];
		if (p->count == 1) {
			buf_adds(b, "<span class=\"p\">");
			html_esc(b, p->name);
			if (p->npids == 1)
				buf_printf(b, "[%ld]", p->pids[0]);
			html_claim(b, p);
			buf_adds(b, "</span> ");
			continue;
		}
		buf_adds(b, "<details class=\"p\"><summary>");
		html_esc(b, p->name);
		html_claim(b, p);
		buf_printf(b, " &times; %ld</summary><span class=\"mono\">"
		    "pid ", p->count);
		for (k = 0; k < p->npids; k++)
			buf_printf(b, "%s%ld", k > 0 ? ", " : "", p->pids[k]);
		if ((long)p->npids < p->count)
			buf_printf(b, " &hellip; and %ld more",
			    p->count - (long)p->npids);
		buf_adds(b, "</span></details>");
	}
	if (ps->more > 0)
		buf_printf(b, "<span class=\"p none\">and %ld more processes "
		    "of other programs</span>", ps->more);
}

/* The stored JSON list s as a <details> of n items when it is long. */
static void
html_list_collapsed(struct buf *b, const char *title, const char *s,
    size_t fold)
{
	struct buf v;
	size_t n;

	buf_init(&v);
	n = report_list_plain(&v, s);
	if (n == 0)
		buf_adds(b, "&ndash;");
	else if (n <= fold)
		html_esc(b, buf_cstr(&v));
	else {
		buf_printf(b, "<details><summary>%zu %s</summary>"
		    "<span class=\"mono\">", n, title);
		html_esc(b, buf_cstr(&v));
		buf_adds(b, "</span></details>");
	}
	buf_free(&v);
}

/* "<b>A</b> and <b>B</b>": the identities (else App labels) of f. */
static size_t
html_who(struct buf *b, const struct rep_finding *f)
{
	struct json_iter it;
	const char *src, *v, *k;
	size_t vn, kn, n = 0, total = 0, i;
	struct buf item;

	src = json_is_array(f->identities) && strcmp(f->identities, "[]") != 0 ?
	    f->identities : f->apps;
	if (!json_is_array(src))
		return 0;
	json_iter_init(&it, src, strlen(src));
	while (json_iter_next(&it, &k, &kn, &v, &vn))
		total++;
	buf_init(&item);
	json_iter_init(&it, src, strlen(src));
	for (i = 0; json_iter_next(&it, &k, &kn, &v, &vn) && i < 6; i++) {
		buf_reset(&item);
		if (vn > 0 && v[0] == '"')
			json_unstring(&item, v, vn);
		else
			buf_add(&item, v, vn);
		if (n > 0)
			buf_adds(b, n + 1 == total ? " and " : ", ");
		buf_adds(b, "<b>");
		html_esc(b, buf_cstr(&item));
		buf_adds(b, "</b>");
		n++;
	}
	if (total > n)
		buf_printf(b, " and %zu more", total - n);
	buf_free(&item);
	return n;
}

/* What to change for f: the rule's remedy, then its system's. */
static void
html_remedy(struct buf *b, const struct rep_finding *f)
{
	const struct report_remedy *m = report_remedy_find(f->rule);

	if (m == NULL && empty(f->remedy))
		return;
	buf_adds(b, "<div class=\"remedy\"><b>What to do:</b> ");
	if (m != NULL)
		buf_adds(b, m->fix);	/* our own text: no markup in it */
	if (!empty(f->remedy)) {
		buf_adds(b, m != NULL ? " <b>On this system:</b> " : "");
		html_esc(b, f->remedy);
	}
	buf_adds(b, "</div>");
}

/* The sessions f's occurrences held here fall in. */
static size_t
finding_sessions(const struct rep_finding *f)
{
	size_t i, j, n = 0;

	for (i = 0; i < f->nocc; i++) {
		for (j = 0; j < i; j++)
			if (f->occ[j].session == f->occ[i].session)
				break;
		if (j == i)
			n++;
	}
	return n > 0 ? n : 1;
}

/* The verdict items shown before "and N more below". */
#define HTML_VERDICT_ITEMS	4

/*
 * The page's first box: "Isolation held", or which applications were
 * linked, how often, since when, and what to change.
 */
static void
html_verdict(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	const struct report_remedy *m;
	struct rep_procs ps;
	long crit = r->sev[SEV_CRITICAL], warn = r->sev[SEV_WARNING];
	size_t i, shown = 0, nsess;
	int first_crit = 1;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN];

	if (crit + warn == 0) {
		buf_adds(b, "<section class=\"verdict ok\" id=\"verdict\">\n"
		    "<h2>&#10004; Isolation held</h2>\n<p>");
		if (r->npairs == 0)
			buf_printf(b, "No two applications were linked: %zu "
			    "application%s, %zu circuit%s, none carried two "
			    "applications.", r->napps, r->napps == 1 ? "" :
			    "s", r->ncircs, r->ncircs == 1 ? "" : "s");
		else
			buf_printf(b, "No finding at warning or above; %zu "
			    "pair%s of applications shared exit circuits "
			    "(see below).", r->npairs, r->npairs == 1 ? "" :
			    "s");
		if (r->sev[SEV_NOTICE] + r->sev[SEV_INFO] > 0)
			buf_printf(b, " %ld notice and %ld info finding%s "
			    "below do not break isolation.",
			    r->sev[SEV_NOTICE], r->sev[SEV_INFO],
			    r->sev[SEV_NOTICE] + r->sev[SEV_INFO] == 1 ? "" :
			    "s");
		buf_adds(b, "</p>\n</section>\n");
		return;
	}
	buf_printf(b, "<section class=\"verdict %s\" id=\"verdict\">\n<h2>",
	    crit > 0 ? "bad" : "warn");
	if (crit > 0)
		buf_printf(b, "&#10008; Isolation broken: %ld critical "
		    "finding%s", crit, crit == 1 ? "" : "s");
	else
		buf_printf(b, "&#9888; Isolation at risk: %ld warning%s", warn,
		    warn == 1 ? "" : "s");
	buf_adds(b, "</h2>\n<ol>\n");
	for (i = 0; i < r->nfindings && shown < HTML_VERDICT_ITEMS; i++) {
		const struct rep_finding *f = &r->findings[i];

		if (f->sev != SEV_CRITICAL && f->sev != SEV_WARNING)
			continue;
		shown++;
		buf_printf(b, "<li class=\"v-finding sev-%s-box\"",
		    severity_name(f->sev));
		if (f->sev == SEV_CRITICAL && first_crit) {
			buf_adds(b, " id=\"first-critical\"");
			first_crit = 0;
		}
		buf_adds(b, ">\n<p class=\"who\">");
		if (html_who(b, f) == 0)
			buf_adds(b, "An application");
		m = report_remedy_find(f->rule);
		buf_addc(b, ' ');
		if (m != NULL)
			buf_adds(b, m->means);
		else
			html_esc(b, f->rule);
		buf_adds(b, ".</p>\n<div class=\"facts\">");
		buf_printf(b, "<span class=\"sev-%s\">%s</span> <span "
		    "class=\"mono\">", severity_name(f->sev),
		    severity_name(f->sev));
		html_esc(b, f->rule);
		nsess = finding_sessions(f);
		buf_printf(b, "</span> &middot; %ld time%s", f->count,
		    f->count == 1 ? "" : "s");
		if (f->circ_id != 0 || f->nocc_total > 1)
			buf_printf(b, " on %zu circuit%s", f->nocc_total > 0 ?
			    f->nocc_total : 1, f->nocc_total > 1 ? "s" : "");
		buf_printf(b, " in %zu Tor session%s", nsess,
		    nsess == 1 ? "" : "s");
		report_t3339(f->first_seen, x);
		report_t3339(f->last_seen, y);
		buf_printf(b, " &middot; since <span class=\"mono\">%s</span>",
		    x);
		if (f->last_seen != f->first_seen)
			buf_printf(b, ", last <span class=\"mono\">%s</span>",
			    y);
		if (f->acknowledged)
			buf_adds(b, " (acknowledged)");
		else if (f->again)
			buf_adds(b, " (again after an acknowledgement)");
		report_procs_json(&ps, f->processes);
		if (ps.n > 0) {
			buf_adds(b, " &middot; <span class=\"procs\">"
			    "processes: ");
			html_procs(b, &ps);
			buf_adds(b, "</span>");
		}
		report_procs_free(&ps);
		buf_adds(b, "</div>\n");
		html_remedy(b, f);
		buf_adds(b, "\n</li>\n");
	}
	buf_adds(b, "</ol>\n");
	if (crit + warn > (long)shown)
		buf_printf(b, "<p>&hellip; and %ld more at warning or above in "
		    "<a href=\"#findings\">Findings</a>.</p>\n",
		    crit + warn - (long)shown);
	buf_adds(b, "</section>\n");
}

/* --- the pictures --------------------------------------------------------- */

struct html_tl {
	struct rep_timeline	*t;
	int			*lane;		/* by app index, -1 none */
	int64_t			 seen[64];	/* sessions whose first epoch
						   went by */
	size_t			 nseen;
};

static void
html_tl_circuit(const struct rep_circ *c, void *arg)
{
	struct html_tl *h = arg;
	size_t i;

	for (i = 0; i < c->napps; i++)
		if (h->lane[c->apps[i]] >= 0)
			report_tl_circuit(h->t, h->lane[c->apps[i]],
			    c->session, c->circ_id, c->exit_fp, c->exit_nick,
			    c->created, c->closed);
}

static void
html_tl_epoch(int64_t session, int64_t epoch, int64_t t, void *arg)
{
	struct html_tl *h = arg;
	size_t i;

	/* A session's first epoch is where it began, not a NEWNYM. */
	for (i = 0; i < h->nseen; i++)
		if (h->seen[i] == session)
			break;
	if (i == h->nseen) {
		if (h->nseen < sizeof h->seen / sizeof h->seen[0])
			h->seen[h->nseen++] = session;
		return;
	}
	report_tl_mark(h->t, TL_NEWNYM, t, epoch);
}

/* Whether app i is named in a finding at warning or above. */
static int
app_in_findings(const struct report *r, size_t i)
{
	const struct rep_app *a = &r->apps[i];
	struct buf q;
	size_t k;
	int hit = 0;

	buf_init(&q);
	buf_json_strz(&q, a->ident);
	for (k = 0; k < r->nfindings && !hit; k++) {
		const struct rep_finding *f = &r->findings[k];

		if (f->sev != SEV_CRITICAL && f->sev != SEV_WARNING)
			continue;
		if (f->identities != NULL &&
		    strstr(f->identities, buf_cstr(&q)) != NULL)
			hit = 1;
	}
	buf_free(&q);
	return hit;
}

/* Apps ordered for the pictures: those in findings, then by sharing,
 * then by streams. */
struct html_rank {
	size_t	 i;
	int	 finding;
	long	 shared;
	long	 streams;
};

static int
rank_cmp(const void *x, const void *y)
{
	const struct html_rank *a = x, *b = y;

	if (a->finding != b->finding)
		return b->finding - a->finding;
	if (a->shared != b->shared)
		return a->shared > b->shared ? -1 : 1;
	if (a->streams != b->streams)
		return a->streams > b->streams ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* The first max applications in picture order (an allocated array). */
static struct html_rank *
html_ranked(const struct report *r, size_t max, size_t *n)
{
	struct html_rank *rk;
	size_t i;

	rk = xcalloc(r->napps + 1, sizeof *rk);
	for (i = 0; i < r->napps; i++) {
		rk[i].i = i;
		rk[i].streams = r->apps[i].streams;
		/* Looking through the findings costs; only so many apps. */
		rk[i].finding = i < 4096 ? app_in_findings(r, i) : 0;
	}
	for (i = 0; i < r->npairs; i++) {
		rk[r->pairs[i].a].shared += r->pairs[i].n;
		rk[r->pairs[i].b].shared += r->pairs[i].n;
	}
	qsort(rk, r->napps, sizeof *rk, rank_cmp);
	*n = r->napps < max ? r->napps : max;
	return rk;
}

static void
html_timeline(const struct report *r, struct out *o)
{
	struct rep_timeline t;
	struct html_tl h;
	struct html_rank *rk;
	int64_t t0 = r->from, t1 = r->to, end;
	size_t i, n;
	char *cause = NULL;

	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		end = s->ended != 0 ? s->ended : s->last_event;
		if (t0 == 0 || s->started < t0)
			t0 = s->started;
		if (r->to == 0 && end > t1)
			t1 = end;
	}
	report_tl_init(&t, t0, t1);
	memset(&h, 0, sizeof h);
	h.t = &t;
	h.lane = xcalloc(r->napps + 1, sizeof *h.lane);
	for (i = 0; i < r->napps; i++)
		h.lane[i] = -1;
	rk = html_ranked(r, TL_MAX_LANES, &n);
	for (i = 0; i < n; i++)
		h.lane[rk[i].i] = report_tl_lane(&t, r->apps[rk[i].i].ident);
	t.more_lanes = (long)(r->napps - n);
	free(rk);
	for (i = 0; i < r->nsessions; i++)
		report_tl_mark(&t, TL_RESTART, r->sessions[i].started,
		    r->sessions[i].id);
	if (n > 0)
		report_each_circuit(r, o, html_tl_circuit, &h);
	if (store_each_nym_epoch(r->store, &r->range, TL_MAX_MARKS,
	    html_tl_epoch, &h, &cause) == -1) {
		if (o->cause == NULL)
			o->cause = cause;
		else
			free(cause);
	}
	buf_adds(&o->b, "<figure>\n");
	report_tl_svg(&o->b, &t);
	buf_adds(&o->b, "<figcaption>Each lane is an application, each bar a "
	    "circuit it used (from creation to close), coloured by its exit "
	    "relay: bars of one colour in two lanes at one time are the "
	    "applications an exit could link. Solid lines: Tor started; "
	    "dashed: NEWNYM. Hover for names.</figcaption>\n</figure>\n");
	report_tl_free(&t);
	free(h.lane);
}

/* Whether the identities of a critical finding name both a and b. */
static int
pair_critical(const struct report *r, size_t a, size_t b)
{
	struct buf qa, qb;
	size_t k;
	int hit = 0;

	buf_init(&qa);
	buf_init(&qb);
	buf_json_strz(&qa, r->apps[a].ident);
	buf_json_strz(&qb, r->apps[b].ident);
	for (k = 0; k < r->nfindings && !hit; k++) {
		const struct rep_finding *f = &r->findings[k];

		if (f->sev == SEV_CRITICAL && f->identities != NULL &&
		    strstr(f->identities, buf_cstr(&qa)) != NULL &&
		    strstr(f->identities, buf_cstr(&qb)) != NULL)
			hit = 1;
	}
	buf_free(&qa);
	buf_free(&qb);
	return hit;
}

static void
html_graph(const struct report *r, struct out *o)
{
	struct html_rank *rk;
	struct rep_edge *e;
	const char **names;
	size_t *node, i, n, ne = 0;

	rk = html_ranked(r, GRAPH_MAX_NODES, &n);
	names = xcalloc(n + 1, sizeof *names);
	node = xcalloc(r->napps + 1, sizeof *node);
	for (i = 0; i < r->napps; i++)
		node[i] = SIZE_MAX;
	for (i = 0; i < n; i++) {
		names[i] = r->apps[rk[i].i].ident;
		node[rk[i].i] = i;
	}
	e = xcalloc(r->npairs + 1, sizeof *e);
	for (i = 0; i < r->npairs; i++) {
		const struct rep_share *p = &r->pairs[i];

		if (node[p->a] == SIZE_MAX || node[p->b] == SIZE_MAX ||
		    p->n <= 0)
			continue;
		e[ne].a = node[p->a];
		e[ne].b = node[p->b];
		e[ne].n = p->n;
		e[ne++].critical = pair_critical(r, p->a, p->b);
	}
	buf_adds(&o->b, "<figure>\n");
	report_graph_svg(&o->b, names, n, e, ne);
	if (r->napps > n)
		buf_printf(&o->b, "<figcaption>%zu more applications, not "
		    "drawn, are in the tables below.</figcaption>\n",
		    r->napps - n);
	buf_adds(&o->b, "<figcaption>Applications (red: named in a critical "
	    "finding) and the exit circuits they shared: a line's width grows "
	    "with how many, red where a critical finding names the pair."
	    "</figcaption>\n</figure>\n");
	free(e);
	free(node);
	free(names);
	free(rk);
}

static void
html_pictures(const struct report *r, struct out *o)
{
	buf_adds(&o->b, "<h2 id=\"pictures\">Timeline and sharing</h2>\n"
	    "<div class=\"pics\">\n");
	html_timeline(r, o);
	html_graph(r, o);
	buf_adds(&o->b, "</div>\n");
	out_maybe_flush(o);
}

static void
html_apps(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	struct rep_procs ps;
	size_t i;

	buf_printf(b, "<h2>Applications (%zu)</h2>\n", r->napps);
	if (r->napps == 0) {
		buf_adds(b, "<p class=\"none\">No stream was attributed to an "
		    "application.</p>\n");
		return;
	}
	buf_adds(b, "<table class=\"wide\">\n<colgroup>"
	    "<col style=\"width:3em\">"
	    "<col style=\"width:18%\"><col style=\"width:8%\">"
	    "<col style=\"width:13%\"><col><col style=\"width:5.5em\">"
	    "<col style=\"width:5.5em\"><col style=\"width:4.5em\">"
	    "<col style=\"width:11.5em\"><col style=\"width:11.5em\">"
	    "</colgroup>\n<tr><th>#</th><th>application</th>"
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
		buf_adds(b, "<td class=\"procs\">");
		report_procs_text(&ps, a->processes);
		if (ps.n == 0)
			buf_adds(b, "&ndash;");
		html_procs(b, &ps);
		report_procs_free(&ps);
		buf_adds(b, "</td>");
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

/* Wider than this, the sharing matrix is a list of pairs. */
#define HTML_MATRIX_MAX	40

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
	if (n > HTML_MATRIX_MAX) {
		/* A matrix this wide says nothing: the pairs that shared. */
		buf_adds(b, "<table>\n<tr><th>application</th><th>application"
		    "</th><th>circuits</th></tr>\n");
		for (i = 0; i < r->npairs && i < REPORT_SHOW_ROWS; i++) {
			buf_adds(b, "<tr>");
			html_td(b, NULL, r->apps[r->pairs[i].a].ident);
			html_td(b, NULL, r->apps[r->pairs[i].b].ident);
			buf_printf(b, "<td class=\"shared\">%ld</td></tr>\n",
			    r->pairs[i].n);
			out_maybe_flush(o);
		}
		if (r->npairs > i)
			buf_printf(b, "<tr><td colspan=\"3\" class=\"none\">"
			    "&hellip; and %zu more pairs</td></tr>\n",
			    r->npairs - i);
		if (r->npairs == 0)
			buf_adds(b, "<tr><td colspan=\"3\" class=\"none\">"
			    "no two applications shared a circuit</td></tr>\n");
		buf_adds(b, "</table>\n");
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
/* Stream lists longer than this fold into a <details>. */
#define HTML_FOLD		6

static void
html_findings(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	struct rep_procs ps;
	const struct report_remedy *m;
	size_t i, k;
	enum severity s;
	long shown, total;

	buf_printf(b, "<h2 id=\"findings\">Findings (%zu)</h2>\n",
	    r->nfindings_total);
	if (r->nfindings_total == 0) {
		buf_adds(b, "<p class=\"none\">No findings.</p>\n");
		return;
	}
	buf_init(&v);
	buf_adds(b, "<table class=\"wide findings\">\n<colgroup>"
	    "<col style=\"width:6.5em\"><col style=\"width:12.5em\">"
	    "<col style=\"width:13%\"><col style=\"width:10%\">"
	    "<col style=\"width:4.5em\"><col style=\"width:13%\">"
	    "<col style=\"width:11.5em\"><col></colgroup>\n"
	    "<tr><th>severity</th><th>rule</th><th>who</th>"
	    "<th>processes</th><th>count</th><th>where</th>"
	    "<th>first / last seen</th><th>what happened, what to do</th>"
	    "</tr>\n");
	for (k = 0; k < REPORT_NORDER; k++) {
		s = report_sev_order[k];
		shown = 0;
		for (i = 0; i < r->nfindings; i++) {
			const struct rep_finding *f = &r->findings[i];

			if (f->sev != s)
				continue;
			shown++;
			if (s != REPORT_SEV_OTHER)
				buf_printf(b, "<tr id=\"f%" PRId64 "\"><td "
				    "class=\"sev-%s\">%s", f->id,
				    severity_name(s), severity_name(s));
			else {
				buf_printf(b, "<tr id=\"f%" PRId64 "\"><td>",
				    f->id);
				html_esc(b, f->severity);
			}
			if (f->acknowledged)
				buf_adds(b, " (acknowledged)");
			else if (f->again)
				buf_adds(b, " (again)");
			buf_adds(b, "</td>");
			html_td(b, "mono", f->rule);
			buf_reset(&v);
			if (report_list_plain(&v, f->identities) == 0)
				report_list_plain(&v, f->apps);
			html_td(b, NULL, buf_cstr(&v));
			buf_adds(b, "<td class=\"procs\">");
			report_procs_json(&ps, f->processes);
			if (ps.n == 0)
				buf_adds(b, "&ndash;");
			html_procs(b, &ps);
			report_procs_free(&ps);
			buf_adds(b, "</td>");
			html_td_num(b, f->count);
			/* Where: the latest, then the occurrences and the
			 * streams, folded when long. */
			buf_adds(b, "<td>");
			buf_reset(&v);
			report_finding_where(&v, f);
			html_esc(b, buf_cstr(&v));
			buf_reset(&v);
			report_occurrences(&v, f, HTML_MAX_CIRCUITS);
			if (v.len > 0) {
				buf_adds(b, "<details><summary>occurrences"
				    "</summary>");
				html_esc(b, buf_cstr(&v));
				buf_adds(b, "</details>");
			}
			buf_adds(b, "<div class=\"mono\">streams ");
			html_list_collapsed(b, "streams", f->streams,
			    HTML_FOLD);
			buf_adds(b, "</div></td>");
			buf_adds(b, "<td class=\"t\">");
			{
				char x[TIME_RFC3339_LEN];

				report_t3339(f->first_seen, x);
				buf_adds(b, x);
				buf_adds(b, "<br>");
				report_t3339(f->last_seen, x);
				buf_adds(b, x);
			}
			buf_adds(b, "</td><td class=\"detail\">");
			if (!empty(f->detail))
				html_esc(b, f->detail);
			m = report_remedy_find(f->rule);
			if (m != NULL || !empty(f->remedy))
				html_remedy(b, f);
			buf_adds(b, "</td></tr>\n");
			out_maybe_flush(o);
		}
		total = s != REPORT_SEV_OTHER ? r->sev[s] : r->sev_other;
		if (total > shown)
			buf_printf(b, "<tr><td colspan=\"8\" class=\"none\">"
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
	html_verdict(r, o);
	html_pictures(r, o);
	html_findings(r, o);
	html_apps(r, o);
	html_sharing(r, o);
	html_shared_circuits(r, o);
	html_onions(r, o);
	html_meta(r, o);
	html_sessions(r, o);
	time_rfc3339(r->now, t);
	buf_printf(&o->b, "<footer>generated by isoaudit %s at %s; times "
	    "are UTC</footer>\n</body>\n</html>\n", ISOAUDIT_VERSION, t);
}
