/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * panel_app.c: the applications panel: one row per application identity
 * ("label@host[/sub]") with where it came from, what it used, and whether
 * it stayed isolated according to the findings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ui.h"
#include "xmalloc.h"

/*
 * At 80 columns: the marker, the application, its processes and the
 * verdict with its partner in full ("SHARED with echo (uid 1000)@
 * localhost"); LISTENERS from 82 columns, STREAMS from 90, CIRC and
 * EXIT from 95 and 100.
 */
static const struct column cols[] = {
	{ "",		2, 0, 0, 10 },
	{ "APPLICATION", 15, 2, 0, 9 },
	{ "LISTENERS",	15, 1, 0, 6 },
	{ "PROCESSES",	12, 1, 0, 8 },
	{ "STREAMS",	7, 0, 1, 5 },
	{ "CIRC",	4, 0, 1, 3 },
	{ "EXIT",	4, 0, 1, 2 },
	{ "VERDICT",	34, 4, 0, 10 },
};

static const char *const sorts[] = { "verdict", "name", "streams", "recent" };

struct aitem {
	const struct vapp	*a;
	char			*with;
	char			*rules;
	size_t			 idx;	/* in the view */
};

static int sort_mode;

static int
cmp_items(const void *pa, const void *pb)
{
	const struct aitem *a = pa, *b = pb;
	int sa = a->with != NULL ? 2 : a->rules != NULL ? 1 : 0;
	int sb = b->with != NULL ? 2 : b->rules != NULL ? 1 : 0;

	switch (sort_mode) {
	case 0:
		if (sa != sb)
			return sb - sa;
		break;
	case 2:
		if (a->a->total != b->a->total)
			return a->a->total < b->a->total ? 1 : -1;
		break;
	case 3:
		if (a->a->last_seen != b->a->last_seen)
			return a->a->last_seen < b->a->last_seen ? 1 : -1;
		break;
	}
	return strcmp(a->a->ident, b->a->ident);
}

static void
set_join(struct buf *b, const struct vset *set)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < set->n; i++) {
		if (i > 0)
			buf_adds(b, " ");
		buf_adds(b, set->v[i]);
	}
	if (set->more > 0)
		buf_printf(b, " +%zu", set->more);
	if (set->n == 0)
		buf_adds(b, "-");
}

static int
app_matches(const struct vapp *a, const char *f)
{
	size_t i;

	if (f == NULL || f[0] == '\0' || ui_match(a->ident, f))
		return 1;
	for (i = 0; i < a->listeners.n; i++)
		if (ui_match(a->listeners.v[i], f))
			return 1;
	for (i = 0; i < a->processes.n; i++)
		if (ui_match(a->processes.v[i], f))
			return 1;
	for (i = 0; i < a->exits.n; i++)
		if (ui_match(a->exits.v[i], f))
			return 1;
	return 0;
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	struct aitem *items = xcalloc(v->napps + 1, sizeof *items);
	struct buf l, pr, verdict;
	char streams[32], circs[16], exits[16];
	const char *cells[8];
	size_t n = 0, i;

	for (i = 0; i < v->napps; i++) {
		if (!app_matches(v->apps[i], ps->filter))
			continue;
		items[n].a = v->apps[i];
		items[n].idx = i;
		items[n].with = view_app_verdict(v, v->apps[i],
		    &items[n].rules);
		n++;
	}
	sort_mode = ps->sort;
	qsort(items, n, sizeof *items, cmp_items);
	buf_init(&l);
	buf_init(&pr);
	buf_init(&verdict);
	for (i = 0; i < n; i++) {
		const struct vapp *a = items[i].a;
		int flags = 0;

		set_join(&l, &a->listeners);
		set_join(&pr, &a->processes);
		buf_reset(&verdict);
		if (items[i].with != NULL) {
			buf_printf(&verdict, "SHARED with %s", items[i].with);
			flags |= ROW_SHARED;
		}
		if (items[i].rules != NULL)
			buf_printf(&verdict, "%s%s", verdict.len ? "; " : "",
			    items[i].rules);
		if (verdict.len == 0)
			buf_adds(&verdict, a->internal ? "Tor's own, not an "
			    "application" : a->unattributed ? "cannot tell (open "
			    "before attach)" : "isolated");
		snprintf(streams, sizeof streams, "%u/%u", a->open, a->total);
		snprintf(circs, sizeof circs, "%u", a->circuits);
		snprintf(exits, sizeof exits, "%zu%s", a->exits.n,
		    a->exits.more ? "+" : "");
		cells[0] = flags & ROW_SHARED ? "!!" : "";
		cells[1] = a->ident;
		cells[2] = buf_cstr(&l);
		cells[3] = buf_cstr(&pr);
		cells[4] = streams;
		cells[5] = circs;
		cells[6] = exits;
		cells[7] = buf_cstr(&verdict);
		rows_add(out, ROW_APP, items[i].idx, flags |
		    (a->open == 0 ? ROW_CLOSED : 0), cells, 8);
	}
	if (n == 0) {
		cells[0] = ps->filter && ps->filter[0] ?
		    "(no application matches the filter)" :
		    "(no application has opened a stream yet)";
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
	}
	for (i = 0; i < n; i++) {
		free(items[i].with);
		free(items[i].rules);
	}
	free(items);
	buf_free(&l);
	buf_free(&pr);
	buf_free(&verdict);
}

const struct panel panel_apps = {
	"Applications", cols, sizeof cols / sizeof cols[0],
	sorts, sizeof sorts / sizeof sorts[0], build
};
