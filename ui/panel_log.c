/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * panel_log.c: the log panel: isoaudit's own messages and Tor's NOTICE,
 * WARN and ERR events, newest first.  A message longer than its column
 * is wrapped (continuation rows indented); the same message said again
 * and again is one line (view_log.c folds it) with its count.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "ui.h"

static const struct column cols[] = {
	{ "TIME",	8, 0, 0, 5 },
	{ "LEVEL",	10, 0, 0, 4 },
	{ "MESSAGE",	30, 1, 0, 9 },
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

#define LOG_INDENT	2	/* continuation lines, under the message */

/*
 * A line's rows: its message wrapped at the MESSAGE column's width (not
 * cut), continuation rows indented, with its repeats counted at the end.
 */
static void
line_rows(struct rows *out, size_t i, const struct vlog *l, int msgw)
{
	char when[16], level[16], first[16];
	const char *cells[3], *p;
	struct buf text, part;
	size_t len, n, room;
	struct row *r;
	int cont = 0;

	buf_init(&text);
	buf_init(&part);
	buf_adds(&text, l->text);
	if (l->repeat > 1) {
		ui_clock(l->first_ts, first, sizeof first);
		buf_printf(&text, " (repeated %u times since %s)", l->repeat,
		    first);
	}
	ui_clock(l->ts, when, sizeof when);
	snprintf(level, sizeof level, "%s%s", l->from_tor ? "tor " : "",
	    l->level);
	p = buf_cstr(&text);
	len = text.len;
	do {
		room = msgw > 0 ? (size_t)msgw - (cont ? LOG_INDENT : 0) : len;
		n = msgw > 0 ? ui_wrap(p, len, room) : len;
		buf_reset(&part);
		buf_printf(&part, "%*s%.*s", cont ? LOG_INDENT : 0, "", (int)n,
		    p);
		cells[0] = cont ? "" : when;
		cells[1] = cont ? "" : level;
		cells[2] = buf_cstr(&part);
		r = rows_add(out, ROW_LOG, i, 0, cells, 3);
		r->severity = level_severity(l);
		p += n;
		len -= n;
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		cont = 1;
	} while (len > 0);
	buf_free(&text);
	buf_free(&part);
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	const char *cells[3];
	size_t i, k, shown = 0;
	int w[UI_MAX_COLS], msgw = 0;

	/* The message column's width, from the layout draw.c will use. */
	if (ps->width > 0 && ui_layout(cols, sizeof cols / sizeof cols[0],
	    ps->width, w) > 0 && w[2] > LOG_INDENT + 8)
		msgw = w[2];
	for (k = 0; k < v->nlog; k++) {
		const struct vlog *l;

		i = ps->sort == 0 ? v->nlog - 1 - k : k;
		l = view_log_line(v, i);
		if (!ui_match(l->text, ps->filter) &&
		    !ui_match(l->level, ps->filter))
			continue;
		line_rows(out, i, l, msgw);
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
