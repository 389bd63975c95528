/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * panel_find.c: the findings panel: one line per cause (SPEC.md 0.2),
 * newest first (or by severity), with its occurrence count ("x3") and who
 * it is about; Enter opens its details under it, with its latest
 * occurrences; '*' marks those not acknowledged yet, "again:" those that
 * came back after an acknowledgement.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "ui.h"
#include "xmalloc.h"

/*
 * At 80 columns: the mark, severity, rule, count and who it is about
 * (both applications); TIME from 84 (the details have it).
 */
static const struct column cols[] = {
	{ "",		1, 0, 0, 10 },
	{ "TIME",	8, 0, 0, 4 },
	{ "SEVERITY",	8, 0, 0, 8 },
	{ "RULE",	21, 0, 0, 7 },
	{ "OCC",	5, 0, 1, 5 },
	{ "CAUSE",	36, 1, 0, 9 },
};

#define OCC_STREAMS	8	/* stream ids shown per occurrence */

static const char *const sorts[] = { "newest", "severity" };

static int sort_mode;

static int
cmp_findings(const void *pa, const void *pb)
{
	const struct vfinding *a = *(const struct vfinding *const *)pa;
	const struct vfinding *b = *(const struct vfinding *const *)pb;

	if (sort_mode == 1 && a->severity != b->severity)
		return b->severity - a->severity;
	if (a->last_seen != b->last_seen)
		return a->last_seen < b->last_seen ? 1 : -1;
	return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

static int
finding_matches(const struct vfinding *f, const char *flt)
{
	if (flt == NULL || flt[0] == '\0')
		return 1;
	return ui_match(rule_name(f->rule), flt) || ui_match(f->detail, flt) ||
	    ui_match(f->identities, flt) || ui_match(f->listener, flt) ||
	    ui_match(f->ident_a, flt) || ui_match(f->ident_b, flt) ||
	    ui_match(severity_name(f->severity), flt) ||
	    (f->again && !f->acked && ui_match("again", flt));
}

/*
 * Who the cause is about, for its row: the pair of applications (with
 * the listener where that is part of the cause), else the judge's detail,
 * which names the listener, application or Tor session.
 */
static void
cause_who(struct buf *b, const struct vfinding *f)
{
	if (f->again && !f->acked)
		buf_adds(b, "again: ");
	if (f->ident_a[0] == '\0' || f->ident_b[0] == '\0') {
		buf_adds(b, f->detail);
		return;
	}
	/* The programs' names: their directories are in the details. */
	view_app_short(b, f->ident_a);
	buf_adds(b, " and ");
	view_app_short(b, f->ident_b);
	if (f->rule == RULE_SHARED_PORT_PROCESSES && f->listener[0] != '\0')
		buf_printf(b, " on %s", f->listener);
	if (f->rule == RULE_SHARED_EXIT) {
		const struct voccurrence *o = view_finding_latest(f);

		if (o != NULL && o->exit_fp[0] != '\0')
			buf_printf(b, " via exit $%.8s", o->exit_fp);
	}
}

static void
detail_row(struct rows *out, uint64_t seq, const char *label, const char *text,
    int width)
{
	struct buf b;
	const char *cell, *p = text;
	size_t room, n, len;
	int first = 1;

	if (text == NULL || text[0] == '\0')
		return;
	buf_init(&b);
	room = width > 24 ? (size_t)width - 18 : 8;
	len = strlen(text);
	/* Wrapped at the width, indented under the label. */
	while (len > 0) {
		n = len > room ? room : len;
		if (n < len) {
			size_t k = n;

			while (k > room / 2 && p[k] != ' ')
				k--;
			if (p[k] == ' ')
				n = k + 1;
		}
		buf_reset(&b);
		buf_printf(&b, "    %-12s %.*s", first ? label : "", (int)n, p);
		cell = buf_cstr(&b);
		rows_add(out, ROW_DETAIL, seq, ROW_SPAN, &cell, 1);
		p += n;
		len -= n;
		first = 0;
	}
	buf_free(&b);
}

/*
 * The judge's JSON arrays, for people (lib/json.c): ["a", "b"] -> "a, b",
 * [{"pid": 1, "name": "curl"}] -> "curl[1]"; a malformed list shows its
 * well-formed start.
 */
static void
detail_list(struct rows *out, uint64_t seq, const char *label,
    const char *json, int width)
{
	struct buf b;

	buf_init(&b);
	json_list_plain(&b, json);
	detail_row(out, seq, label, buf_cstr(&b), width);
	buf_free(&b);
}

/* "Tor session 1, circuit 119 (exit exit1 $04089DFE): 15 times, ..." */
static void
occurrence_text(struct buf *b, const struct voccurrence *o)
{
	char a[16], z[16];
	struct buf streams;
	size_t n;

	buf_printf(b, "Tor session %u", o->serial);
	if (o->circ_id != 0)
		buf_printf(b, ", circuit %" PRIu64, o->circ_id);
	if (o->exit_fp[0] != '\0')
		buf_printf(b, " (exit %s%s$%.8s)", o->exit_nick,
		    o->exit_nick[0] != '\0' ? " " : "", o->exit_fp);
	ui_clock(o->first_seen, a, sizeof a);
	ui_clock(o->last_seen, z, sizeof z);
	buf_printf(b, ": %ld time%s, %s", o->count, o->count == 1 ? "" : "s",
	    a);
	if (strcmp(a, z) != 0)
		buf_printf(b, "-%s", z);
	buf_init(&streams);
	n = json_list_plain(&streams, o->streams);
	if (n > 0) {
		const char *p = buf_cstr(&streams);
		size_t k;

		/* The first OCC_STREAMS of them: 16 occurrences fit. */
		for (k = 0; k < OCC_STREAMS && p != NULL; k++)
			if ((p = strstr(p, ", ")) != NULL && k + 1 < OCC_STREAMS)
				p += 2;
		if (n > OCC_STREAMS && p != NULL)
			buf_printf(b, "; streams %.*s, +%zu more",
			    (int)(p - buf_cstr(&streams)), buf_cstr(&streams),
			    n - OCC_STREAMS);
		else
			buf_printf(b, "; streams %s", buf_cstr(&streams));
	}
	buf_free(&streams);
}

static void
details(struct rows *out, const struct vfinding *f, const struct panel_state *ps)
{
	char a[16], z[16];
	struct buf b;
	size_t i;

	buf_init(&b);
	ui_clock(f->first_seen, a, sizeof a);
	ui_clock(f->last_seen, z, sizeof z);
	buf_printf(&b, "first %s, last %s, %ld time%s in %ld occurrence%s", a,
	    z, f->count, f->count == 1 ? "" : "s", f->occurrences,
	    f->occurrences == 1 ? "" : "s");
	detail_row(out, f->seq, "detail:", f->detail, ps->width);
	detail_row(out, f->seq, "what to do:", f->remedy, ps->width);
	detail_row(out, f->seq, "seen:", buf_cstr(&b), ps->width);
	buf_reset(&b);
	if (f->acked) {
		ui_clock(f->acked_at, a, sizeof a);
		buf_printf(&b, "acknowledged (%s)", a);
	} else if (f->again) {
		ui_clock(f->again_at, a, sizeof a);
		buf_printf(&b, "again: seen at %s after it was acknowledged", a);
	} else
		buf_adds(&b, "not acknowledged");
	detail_row(out, f->seq, "state:", buf_cstr(&b), ps->width);
	detail_row(out, f->seq, "listener:", f->listener, ps->width);
	detail_list(out, f->seq, "apps:", f->apps, ps->width);
	detail_list(out, f->seq, "identities:", f->identities, ps->width);
	detail_list(out, f->seq, "processes:", f->processes, ps->width);
	/* The occurrences, the most recently seen first. */
	for (i = f->nocc; i > 0; i--) {
		buf_reset(&b);
		occurrence_text(&b, &f->occ[i - 1]);
		detail_row(out, f->seq, i == f->nocc ? "occurrences:" : "",
		    buf_cstr(&b), ps->width);
	}
	if (f->occurrences > (long)f->nocc) {
		buf_reset(&b);
		buf_printf(&b, "and %ld more", f->occurrences - (long)f->nocc);
		detail_row(out, f->seq, "", buf_cstr(&b), ps->width);
	}
	buf_free(&b);
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	const struct vfinding **items = xcalloc(v->nfindings + 1,
	    sizeof *items);
	char when[16], count[24];
	const char *cells[6];
	struct buf who;
	size_t n = 0, i;

	for (i = 0; i < v->nfindings; i++)
		if (finding_matches(v->findings[i], ps->filter))
			items[n++] = v->findings[i];
	sort_mode = ps->sort;
	qsort(items, n, sizeof *items, cmp_findings);
	buf_init(&who);
	for (i = 0; i < n; i++) {
		const struct vfinding *f = items[i];
		struct row *r;

		ui_clock(f->last_seen, when, sizeof when);
		snprintf(count, sizeof count, "x%ld", f->occurrences);
		buf_reset(&who);
		cause_who(&who, f);
		cells[0] = f->acked ? "" : "*";
		cells[1] = when;
		cells[2] = severity_name(f->severity);
		cells[3] = rule_name(f->rule);
		cells[4] = count;
		cells[5] = buf_cstr(&who);
		r = rows_add(out, ROW_FINDING, f->seq, f->acked ? ROW_ACKED :
		    0, cells, 6);
		r->severity = f->severity;
		if (ps->open_finding == f->seq)
			details(out, f, ps);
	}
	buf_free(&who);
	if (n == 0) {
		cells[0] = ps->filter && ps->filter[0] ?
		    "(no finding matches the filter)" :
		    "(no findings: every application has kept to itself)";
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
	}
	free(items);
}

const struct panel panel_findings = {
	"Findings", cols, sizeof cols / sizeof cols[0],
	sorts, sizeof sorts / sizeof sorts[0], build
};
