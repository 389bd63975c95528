/*
 * panel_find.c: the findings panel: newest first (or by severity), one
 * line each; Enter opens the details of one under it; '*' marks those not
 * acknowledged yet.
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

static const struct column cols[] = {
	{ "",		1, 0, 0 },
	{ "TIME",	8, 0, 0 },
	{ "SEVERITY",	8, 0, 0 },
	{ "RULE",	21, 0, 0 },
	{ "N",		4, 0, 1 },
	{ "DETAIL",	20, 1, 0 },
};

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
	    ui_match(severity_name(f->severity), flt);
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

static void
details(struct rows *out, const struct vfinding *f, const struct panel_state *ps)
{
	char when[64], a[16], b[16], num[64];

	ui_clock(f->first_seen, a, sizeof a);
	ui_clock(f->last_seen, b, sizeof b);
	snprintf(when, sizeof when, "first %s, last %s, %ld time%s", a, b,
	    f->count, f->count == 1 ? "" : "s");
	detail_row(out, f->seq, "detail:", f->detail, ps->width);
	detail_row(out, f->seq, "seen:", when, ps->width);
	snprintf(num, sizeof num, "%u%s", f->serial, f->acked ?
	    " (acknowledged)" : "");
	detail_row(out, f->seq, "Tor session:", num, ps->width);
	if (f->circ_id != 0) {
		snprintf(num, sizeof num, "%" PRIu64, f->circ_id);
		detail_row(out, f->seq, "circuit:", num, ps->width);
	}
	detail_row(out, f->seq, "listener:", f->listener, ps->width);
	detail_list(out, f->seq, "apps:", f->apps, ps->width);
	detail_list(out, f->seq, "identities:", f->identities, ps->width);
	detail_list(out, f->seq, "processes:", f->processes, ps->width);
	detail_list(out, f->seq, "streams:", f->streams, ps->width);
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	const struct vfinding **items = xcalloc(v->nfindings + 1,
	    sizeof *items);
	char when[16], count[24];
	const char *cells[6];
	size_t n = 0, i;

	for (i = 0; i < v->nfindings; i++)
		if (finding_matches(v->findings[i], ps->filter))
			items[n++] = v->findings[i];
	sort_mode = ps->sort;
	qsort(items, n, sizeof *items, cmp_findings);
	for (i = 0; i < n; i++) {
		const struct vfinding *f = items[i];
		struct row *r;

		ui_clock(f->last_seen, when, sizeof when);
		snprintf(count, sizeof count, "%ld", f->count);
		cells[0] = f->acked ? "" : "*";
		cells[1] = when;
		cells[2] = severity_name(f->severity);
		cells[3] = rule_name(f->rule);
		cells[4] = count;
		cells[5] = f->detail;
		r = rows_add(out, ROW_FINDING, f->seq, f->acked ? ROW_ACKED :
		    0, cells, 6);
		r->severity = f->severity;
		if (ps->open_finding == f->seq)
			details(out, f, ps);
	}
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
