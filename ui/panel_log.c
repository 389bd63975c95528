/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * panel_log.c: the log panel: isoaudit's own messages and Tor's NOTICE,
 * WARN and ERR events, newest first.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ui.h"

static const struct column cols[] = {
	{ "TIME",	8, 0, 0 },
	{ "LEVEL",	10, 0, 0 },
	{ "MESSAGE",	30, 1, 0 },
};

static const char *const sorts[] = { "newest", "oldest" };

static int
level_severity(const struct vlog *l)
{
	if (strcmp(l->level, "error") == 0 || strcmp(l->level, "ERR") == 0)
		return SEV_CRITICAL;
	if (strcmp(l->level, "warn") == 0 || strcmp(l->level, "WARN") == 0)
		return SEV_WARNING;
	return SEV_INFO;
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	char when[16], level[16];
	const char *cells[3];
	size_t i, k, shown = 0;

	for (k = 0; k < v->nlog; k++) {
		const struct vlog *l;
		struct row *r;

		i = ps->sort == 0 ? v->nlog - 1 - k : k;
		l = view_log_line(v, i);
		if (!ui_match(l->text, ps->filter) &&
		    !ui_match(l->level, ps->filter))
			continue;
		ui_clock(l->ts, when, sizeof when);
		snprintf(level, sizeof level, "%s%s", l->from_tor ? "tor " :
		    "", l->level);
		cells[0] = when;
		cells[1] = level;
		cells[2] = l->text;
		r = rows_add(out, ROW_LOG, i, 0, cells, 3);
		r->severity = level_severity(l);
		shown++;
	}
	if (shown == 0) {
		cells[0] = ps->filter && ps->filter[0] ?
		    "(no message matches the filter)" : "(no messages)";
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
	}
}

const struct panel panel_log = {
	"Log", cols, sizeof cols / sizeof cols[0],
	sorts, sizeof sorts / sizeof sorts[0], build
};
