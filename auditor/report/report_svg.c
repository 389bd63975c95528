/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_svg.c: the two pictures of the HTML report, as inline SVG (no
 * script, nothing fetched, no namespace URL either: HTML needs none):
 *
 * - the timeline: applications as lanes, their circuits as bars from
 *   creation to close, coloured by exit relay (a colour of a fixed palette
 *   chosen by the fingerprint, so one exit has one colour in every report),
 *   Tor restarts and NEWNYM as vertical lines.  Bounded whatever the
 *   database holds: TL_MAX_LANES lanes; the first TL_MAX_BARS circuits are
 *   bars of their own, past that every lane is drawn from TL_SLOTS slots
 *   (a slot: the exit of the circuits in it, grey where several were);
 * - the sharing graph: applications on a circle, an edge for each pair
 *   that shared exit circuits, its width by how many, red for a critical
 *   finding.
 *
 * The builders are pure (data in, text out), for the unit tests; every
 * name goes through report_esc_utf8 (entities, control bytes shown), so
 * the SVG is well-formed XML whatever a process called itself.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report_int.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

/* Thirteen colours that stay apart on white and for most colour vision
 * (no red: red is the graph's critical edge); a prime count spreads the
 * fingerprints' hashes better. */
static const char *const tl_palette[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
	"#9c755f", "#ff9da7", "#2f4b7c", "#a0cbe8", "#8cd17d", "#d4a6c8",
	"#6b4c9a"
};
#define TL_NPALETTE	(sizeof tl_palette / sizeof tl_palette[0])
#define TL_GREY		"#b8b8b8"

const char *
report_exit_colour(const char *fp)
{
	uint32_t h = 2166136261u;

	if (fp == NULL || *fp == '\0')
		return TL_GREY;
	for (; *fp != '\0'; fp++) {
		h ^= (unsigned char)*fp;
		h *= 16777619u;
	}
	return tl_palette[h % TL_NPALETTE];
}

/* Appends s as XML text, cut to at most max characters ("…" then). */
static void
svg_esc_cut(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n, chars = 0;
	char *cut;

	if (s == NULL)
		return;
	len = strlen(s);
	for (n = 0; n < len && chars < max; chars++) {
		size_t l = utf8_len(p + n, len - n);

		n += l == 0 ? 1 : l;
	}
	if (n >= len) {
		report_esc_utf8(b, s, 1);
		return;
	}
	cut = xstrndup(s, n);
	report_esc_utf8(b, cut, 1);
	free(cut);
	buf_adds(b, "\xe2\x80\xa6");
}

/* --- the timeline --------------------------------------------------------- */

void
report_tl_init(struct rep_timeline *t, int64_t t0, int64_t t1)
{
	memset(t, 0, sizeof *t);
	t->t0 = t0;
	t->t1 = t1 > t0 ? t1 : t0 + 1;
}

void
report_tl_free(struct rep_timeline *t)
{
	size_t i;

	for (i = 0; i < t->nlanes; i++)
		free(t->lanes[i].name);
	for (i = 0; i < t->nexits; i++) {
		free(t->exit_fp[i]);
		free(t->exit_nick[i]);
	}
	free(t->bars);
	memset(t, 0, sizeof *t);
}

int
report_tl_lane(struct rep_timeline *t, const char *name)
{
	if (t->nlanes == TL_MAX_LANES) {
		t->more_lanes++;
		return -1;
	}
	t->lanes[t->nlanes].name = xstrdup(name != NULL ? name : "");
	return (int)t->nlanes++;
}

/* The exit's number (index + 1), 0 when unknown or past TL_MAX_EXITS. */
static uint16_t
tl_exit(struct rep_timeline *t, const char *fp, const char *nick)
{
	size_t i;

	if (fp == NULL || *fp == '\0')
		return 0;
	for (i = 0; i < t->nexits; i++)
		if (strcmp(t->exit_fp[i], fp) == 0)
			return (uint16_t)(i + 1);
	if (t->nexits == TL_MAX_EXITS)
		return 0;
	t->exit_fp[t->nexits] = xstrdup(fp);
	t->exit_nick[t->nexits] = xstrdup(nick != NULL ? nick : "");
	return (uint16_t)++t->nexits;
}

/* The slot of time us (clamped to the axis). */
static size_t
tl_slot(const struct rep_timeline *t, int64_t us)
{
	double f;

	if (us <= t->t0)
		return 0;
	if (us >= t->t1)
		return TL_SLOTS - 1;
	f = (double)(us - t->t0) / (double)(t->t1 - t->t0);
	return (size_t)(f * (TL_SLOTS - 1) + 0.5);
}

void
report_tl_circuit(struct rep_timeline *t, int lane, int64_t session,
    uint64_t circ_id, const char *fp, const char *nick, int64_t from,
    int64_t to)
{
	struct tl_lane *l;
	struct tl_bar *b;
	uint16_t e;
	size_t s, s0, s1;

	if (lane < 0 || (size_t)lane >= t->nlanes)
		return;
	l = &t->lanes[lane];
	if (from == 0)
		from = t->t0;
	if (to == 0 || to > t->t1)
		to = t->t1;
	if (to < from)
		to = from;
	if (to < t->t0 || from > t->t1)
		return;
	e = tl_exit(t, fp, nick);
	l->circuits++;
	t->total_bars++;
	s0 = tl_slot(t, from);
	s1 = tl_slot(t, to);
	for (s = s0; s <= s1; s++) {
		if (l->slot[s] == 0)
			l->slot[s] = e == 0 ? TL_MIXED : e;
		else if (l->slot[s] != e)
			l->slot[s] = TL_MIXED;
	}
	if (t->total_bars > TL_MAX_BARS) {
		free(t->bars);		/* drawn from the slots now */
		t->bars = NULL;
		t->nbars = 0;
		return;
	}
	if (t->nbars == 0)
		t->bars = xcalloc(TL_MAX_BARS, sizeof *t->bars);
	b = &t->bars[t->nbars++];
	b->lane = (uint16_t)lane;
	b->exit = e;
	b->session = session;
	b->circ_id = circ_id;
	b->from = from;
	b->to = to;
}

void
report_tl_mark(struct rep_timeline *t, enum tl_mark kind, int64_t us,
    int64_t n)
{
	if (us < t->t0 || us > t->t1)
		return;
	if (t->nmarks == TL_MAX_MARKS) {
		t->more_marks++;
		return;
	}
	t->marks[t->nmarks].kind = kind;
	t->marks[t->nmarks].t = us;
	t->marks[t->nmarks++].n = n;
}

/* Geometry of the timeline (user units of its viewBox). */
#define TL_W		1000
#define TL_LABEL	190	/* lane names right-aligned before it */
#define TL_X0		200
#define TL_X1		985
#define TL_TOP		26
#define TL_LANE		24
#define TL_BAR		14

static double
tl_x(const struct rep_timeline *t, int64_t us)
{
	double f = (double)(us - t->t0) / (double)(t->t1 - t->t0);

	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return TL_X0 + f * (TL_X1 - TL_X0);
}

/* A time on the axis: "17:40:05" within a day, else "11-24 17:40". */
static void
tl_time(const struct rep_timeline *t, int64_t us, char *out, size_t len)
{
	char x[TIME_RFC3339_LEN];

	report_t3339(us, x);
	if (strlen(x) < 19)
		snprintf(out, len, "%s", x);
	else if (t->t1 - t->t0 < (int64_t)86400 * 1000000)
		snprintf(out, len, "%.8s", x + 11);
	else
		snprintf(out, len, "%.5s %.5s", x + 5, x + 11);
}

static void
tl_exit_title(struct buf *b, const struct rep_timeline *t, uint16_t e)
{
	if (e == 0 || e == TL_MIXED) {
		buf_adds(b, e == 0 ? "exit unknown" : "several exits");
		return;
	}
	buf_adds(b, "exit ");
	if (t->exit_nick[e - 1][0] != '\0') {
		report_esc_utf8(b, t->exit_nick[e - 1], 1);
		buf_addc(b, ' ');
	}
	buf_addc(b, '$');
	svg_esc_cut(b, t->exit_fp[e - 1], 8);
}

static const char *
tl_colour(const struct rep_timeline *t, uint16_t e)
{
	if (e == 0 || e == TL_MIXED)
		return TL_GREY;
	return report_exit_colour(t->exit_fp[e - 1]);
}

void
report_tl_svg(struct buf *b, const struct rep_timeline *t)
{
	size_t i, s, run, h, shown;
	double x, w, y;
	char a[TIME_RFC3339_LEN], z[TIME_RFC3339_LEN];
	const struct tl_bar *bar;

	h = TL_TOP + (t->nlanes > 0 ? t->nlanes : 1) * TL_LANE + 44;
	buf_printf(b, "<svg class=\"timeline\" viewBox=\"0 0 %d %zu\" "
	    "width=\"%d\" height=\"%zu\" role=\"img\" "
	    "aria-label=\"timeline of the applications' circuits\" "
	    "font-family=\"system-ui,sans-serif\" font-size=\"12\">\n",
	    TL_W, h, TL_W, h);
	/* Lanes. */
	for (i = 0; i < t->nlanes; i++) {
		y = TL_TOP + (double)i * TL_LANE;
		buf_printf(b, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" "
		    "height=\"%d\" fill=\"%s\"/>\n", TL_X0, y,
		    TL_X1 - TL_X0, TL_LANE, i % 2 ? "#ffffff" : "#f4f5f7");
		buf_printf(b, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">"
		    "<title>", TL_LABEL, y + 16);
		report_esc_utf8(b, t->lanes[i].name, 1);
		buf_printf(b, ": %ld circuit%s</title>", t->lanes[i].circuits,
		    t->lanes[i].circuits == 1 ? "" : "s");
		svg_esc_cut(b, t->lanes[i].name, 28);
		buf_adds(b, "</text>\n");
	}
	if (t->nlanes == 0)
		buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#666\">no circuit "
		    "carried an application in this range</text>\n", TL_X0,
		    TL_TOP + 16);
	/* Bars: one a circuit, or runs of slots of one exit. */
	if (t->total_bars <= TL_MAX_BARS) {
		for (i = 0; i < t->nbars; i++) {
			bar = &t->bars[i];
			x = tl_x(t, bar->from);
			w = tl_x(t, bar->to) - x;
			if (w < 2)
				w = 2;
			y = TL_TOP + (double)bar->lane * TL_LANE +
			    (TL_LANE - TL_BAR) / 2.0;
			buf_printf(b, "<rect x=\"%.1f\" y=\"%.0f\" "
			    "width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\" "
			    "fill-opacity=\"0.85\" stroke=\"#fff\" "
			    "stroke-width=\"0.5\"><title>circuit %" PRIu64
			    " (Tor session %" PRId64 "), ", x, y, w, TL_BAR,
			    tl_colour(t, bar->exit), bar->circ_id,
			    bar->session);
			tl_exit_title(b, t, bar->exit);
			tl_time(t, bar->from, a, sizeof a);
			tl_time(t, bar->to, z, sizeof z);
			buf_printf(b, ", %s .. %s</title></rect>\n", a, z);
		}
	} else {
		for (i = 0; i < t->nlanes; i++) {
			const struct tl_lane *l = &t->lanes[i];

			y = TL_TOP + (double)i * TL_LANE +
			    (TL_LANE - TL_BAR) / 2.0;
			for (s = 0; s < TL_SLOTS; s = run) {
				for (run = s + 1; run < TL_SLOTS &&
				    l->slot[run] == l->slot[s]; run++)
					;
				if (l->slot[s] == 0)
					continue;
				x = TL_X0 + (double)s * (TL_X1 - TL_X0) /
				    TL_SLOTS;
				w = (double)(run - s) * (TL_X1 - TL_X0) /
				    TL_SLOTS;
				buf_printf(b, "<rect x=\"%.1f\" y=\"%.0f\" "
				    "width=\"%.1f\" height=\"%d\" fill=\"%s\" "
				    "fill-opacity=\"0.85\"><title>",
				    x, y, w, TL_BAR, tl_colour(t, l->slot[s]));
				tl_exit_title(b, t, l->slot[s]);
				buf_adds(b, "</title></rect>\n");
			}
		}
	}
	/* Restarts and NEWNYM. */
	y = TL_TOP + (double)(t->nlanes > 0 ? t->nlanes : 1) * TL_LANE;
	for (i = 0; i < t->nmarks; i++) {
		x = tl_x(t, t->marks[i].t);
		tl_time(t, t->marks[i].t, a, sizeof a);
		if (t->marks[i].kind == TL_RESTART)
			buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			    "y2=\"%.0f\" stroke=\"#222\" stroke-width=\"1.5\">"
			    "<title>Tor session %" PRId64 " started %s</title>"
			    "</line>\n", x, TL_TOP - 8, x, y, t->marks[i].n, a);
		else
			buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			    "y2=\"%.0f\" stroke=\"#8e44ad\" stroke-width=\"1.5\" "
			    "stroke-dasharray=\"4 3\"><title>NEWNYM: epoch "
			    "%" PRId64 " from %s</title></line>\n", x,
			    TL_TOP - 8, x, y, t->marks[i].n, a);
	}
	/* The axis. */
	for (i = 0; i <= 4; i++) {
		int64_t us = t->t0 + (t->t1 - t->t0) / 4 * (int64_t)i;

		x = tl_x(t, us);
		tl_time(t, us, a, sizeof a);
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" "
		    "y2=\"%.0f\" stroke=\"#999\"/><text x=\"%.1f\" y=\"%.0f\" "
		    "text-anchor=\"%s\" fill=\"#555\">%s</text>\n", x, y, x,
		    y + 5, x, y + 18, i == 0 ? "start" : i == 4 ? "end" :
		    "middle", a);
	}
	/* The key. */
	y += 36;
	x = 10;
	buf_printf(b, "<g font-size=\"11\" fill=\"#444\"><line x1=\"%.0f\" "
	    "y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#222\" "
	    "stroke-width=\"1.5\"/><text x=\"%.0f\" y=\"%.0f\">Tor "
	    "started</text><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" "
	    "y2=\"%.0f\" stroke=\"#8e44ad\" stroke-width=\"1.5\" "
	    "stroke-dasharray=\"4 3\"/><text x=\"%.0f\" y=\"%.0f\">"
	    "NEWNYM</text>", x, y - 10, x, y + 2, x + 5, y, x + 80, y - 10,
	    x + 80, y + 2, x + 85, y);
	x = 160;
	for (i = 0, shown = 0; i < t->nexits && shown < 6; i++, shown++) {
		buf_printf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" "
		    "height=\"10\" fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\">",
		    x, y - 9, report_exit_colour(t->exit_fp[i]), x + 14, y);
		if (t->exit_nick[i][0] != '\0')
			svg_esc_cut(b, t->exit_nick[i], 14);
		else {
			buf_addc(b, '$');
			svg_esc_cut(b, t->exit_fp[i], 8);
		}
		buf_adds(b, "</text>");
		x += 120;
	}
	buf_adds(b, "<text x=\"985\" text-anchor=\"end\" y=\"");
	buf_printf(b, "%.0f\">", y);
	buf_printf(b, "%ld bar%s", t->total_bars,
	    t->total_bars == 1 ? "" : "s");
	if (t->nexits > shown)
		buf_printf(b, ", %zu exits", t->nexits);
	if (t->more_lanes > 0)
		buf_printf(b, "; %ld more application%s not drawn",
		    t->more_lanes, t->more_lanes == 1 ? "" : "s");
	if (t->more_marks > 0)
		buf_printf(b, "; %ld more marks", t->more_marks);
	buf_adds(b, "</text></g>\n</svg>\n");
}

/* --- the sharing graph ---------------------------------------------------- */

#define GR_PI	3.14159265358979323846

/* sin x by its series, x brought into [-pi, pi] (no libm to link). */
static double
gr_sin(double x)
{
	double term, sum;
	int k;

	while (x > GR_PI)
		x -= 2 * GR_PI;
	while (x < -GR_PI)
		x += 2 * GR_PI;
	term = sum = x;
	for (k = 1; k < 12; k++) {
		term *= -x * x / ((2.0 * k) * (2.0 * k + 1));
		sum += term;
	}
	return sum;
}

static double
gr_cos(double x)
{
	return gr_sin(x + GR_PI / 2);
}

/* An edge's stroke width: grows by the doubling of n, at most 12. */
static double
gr_width(long n)
{
	double w = 1.5;

	while (n > 0 && w < 12) {
		w += 2;
		n /= 2;
	}
	return w > 12 ? 12 : w;
}

#define GR_W	720
#define GR_H	420
#define GR_R	150

void
report_graph_svg(struct buf *b, const char *const *names, size_t n,
    const struct rep_edge *edges, size_t nedges)
{
	size_t i, k, shown = n < GRAPH_MAX_NODES ? n : GRAPH_MAX_NODES;
	size_t drawn = 0, more_edges = 0;
	double *px, *py, ang, sw;
	int *hot;
	const char *anchor;

	px = xcalloc(shown + 1, sizeof *px);
	py = xcalloc(shown + 1, sizeof *py);
	hot = xcalloc(shown + 1, sizeof *hot);
	for (i = 0; i < shown; i++) {
		ang = -GR_PI / 2 + 2 * GR_PI * (double)i / (double)shown;
		px[i] = GR_W / 2.0 + (shown > 1 ? GR_R * gr_cos(ang) : 0);
		py[i] = GR_H / 2.0 - 10 + (shown > 1 ? GR_R * gr_sin(ang) : 0);
	}
	buf_printf(b, "<svg class=\"graph\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\" role=\"img\" aria-label=\"applications that "
	    "shared circuits\" font-family=\"system-ui,sans-serif\" "
	    "font-size=\"12\">\n", GR_W, GR_H, GR_W, GR_H);
	for (k = 0; k < nedges; k++) {
		const struct rep_edge *e = &edges[k];

		if (e->a >= shown || e->b >= shown || e->a == e->b ||
		    e->n <= 0) {
			more_edges++;
			continue;
		}
		if (drawn == GRAPH_MAX_EDGES) {
			more_edges++;
			continue;
		}
		drawn++;
		if (e->critical)
			hot[e->a] = hot[e->b] = 1;
		sw = gr_width(e->n);
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\" "
		    "stroke-linecap=\"round\" stroke-opacity=\"0.8\"><title>",
		    px[e->a], py[e->a], px[e->b], py[e->b],
		    e->critical ? "#c0392b" : "#7f8c9a", sw);
		report_esc_utf8(b, names[e->a], 1);
		buf_adds(b, " + ");
		report_esc_utf8(b, names[e->b], 1);
		buf_printf(b, ": %ld shared circuit%s%s</title></line>\n", e->n,
		    e->n == 1 ? "" : "s", e->critical ? " (critical)" : "");
	}
	for (i = 0; i < shown; i++) {
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"11\" "
		    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"2\"><title>",
		    px[i], py[i], hot[i] ? "#c0392b" : "#4e79a7");
		report_esc_utf8(b, names[i], 1);
		buf_adds(b, "</title></circle>\n");
		/* The label outside the circle, on the node's side. */
		ang = shown > 1 ? -GR_PI / 2 + 2 * GR_PI * (double)i /
		    (double)shown : GR_PI / 2;
		anchor = gr_cos(ang) > 0.3 ? "start" :
		    gr_cos(ang) < -0.3 ? "end" : "middle";
		buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		    "font-weight=\"%s\">", px[i] + 20 * gr_cos(ang),
		    py[i] + 20 * gr_sin(ang) + 4, anchor,
		    hot[i] ? "700" : "400");
		svg_esc_cut(b, names[i], 26);
		buf_adds(b, "</text>\n");
	}
	if (n == 0)
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "fill=\"#666\">no application</text>\n", GR_W / 2,
		    GR_H / 2);
	buf_printf(b, "<text x=\"10\" y=\"%d\" fill=\"#555\" font-size=\"11\">"
	    "%zu application%s, %zu pair%s shared", GR_H - 10, n,
	    n == 1 ? "" : "s", drawn, drawn == 1 ? "" : "s");
	if (n > shown)
		buf_printf(b, "; %zu more applications not drawn", n - shown);
	if (more_edges > 0)
		buf_printf(b, "; %zu more pairs not drawn", more_edges);
	buf_adds(b, "</text>\n</svg>\n");
	free(px);
	free(py);
	free(hot);
}
