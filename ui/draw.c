/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * draw.c: paints the dashboard: a three-line header, the panel tabs, the
 * column titles, the list, and a footer of keys (or the prompt).  Every
 * string goes through put(), which draws printable ASCII only, whatever
 * reached it.  Colour is a hint: shared circuits carry a "!!" marker and
 * severities their name, so monochrome and NO_COLOR lose nothing.
 */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "isoaudit.h"
#include "monitor.h"
#include "pipeline.h"
#include "store.h"
#include "timeutil.h"
#include "ui.h"

/* Three lines, and a fourth when a privilege is missing. */
#define HEADER_BASE	3
/* Below this width the header puts the critical count first. */
#define NARROW_COLS	100

enum {
	PAIR_RED = 1,
	PAIR_YELLOW,
	PAIR_CYAN,
	PAIR_GREEN,
	PAIR_BAR
};

static int use_color;

static int
header_lines_of(const struct ui *ui)
{
	return HEADER_BASE + (ui->view.privilege[0] != '\0');
}

void
draw_init_colors(struct ui *ui)
{
	const char *nc = getenv("NO_COLOR");

	use_color = 0;
	if (nc != NULL && nc[0] != '\0')
		return;
	if (!has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(PAIR_RED, COLOR_RED, -1);
	init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
	init_pair(PAIR_CYAN, COLOR_CYAN, -1);
	init_pair(PAIR_GREEN, COLOR_GREEN, -1);
	init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
	use_color = 1;
	ui->color = 1;
}

static attr_t
color(int pair)
{
	return use_color ? COLOR_PAIR(pair) : A_NORMAL;
}

int
draw_list_height(const struct ui *ui)
{
	int chrome = header_lines_of(ui) + 3;

	return LINES > chrome ? LINES - chrome : 0;
}

/*
 * Draws s at (y, x) in at most w cells with attr, padding to w when pad is
 * set; anything not printable ASCII is drawn as '?'.  Returns the cells
 * used.
 */
static int
put(int y, int x, int w, const char *s, attr_t attr, int pad)
{
	char line[1024];
	int n = 0;

	if (w <= 0 || x >= COLS || y >= LINES)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	if (w > (int)sizeof line - 1)
		w = (int)sizeof line - 1;
	for (; s != NULL && s[n] != '\0' && n < w; n++) {
		unsigned char c = (unsigned char)s[n];

		line[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	while (pad && n < w)
		line[n++] = ' ';
	line[n] = '\0';
	attrset(attr);
	mvaddnstr(y, x, line, n);
	attrset(A_NORMAL);
	return n;
}

/* Keeps the end of a long path: ".../isoaudit/isoaudit.db", in b. */
static const char *
path_tail(struct buf *b, const char *path, size_t room)
{
	size_t n = strlen(path);

	if (n <= room || room < 8)
		return path;
	buf_reset(b);
	buf_adds(b, "...");
	buf_adds(b, path + n - (room - 3));
	return buf_cstr(b);
}

static int
severity_pair(int sev)
{
	switch (sev) {
	case SEV_CRITICAL: return PAIR_RED;
	case SEV_WARNING: return PAIR_YELLOW;
	case SEV_NOTICE: return PAIR_CYAN;
	default: return 0;
	}
}

/* Seconds until the control connection's next try, or -1 (none due). */
static int
retry_in(struct ui *ui)
{
	int64_t retry, mono;

	/* A countdown: on the monotonic clock, as retry_at is. */
	mono = time_mono_us();
	retry = ctl_retry_at(monitor_ctl(ui->mon));
	if (retry <= 0)
		return -1;
	return retry > mono ? (int)((retry - mono + 999999) / 1000000) : 0;
}

/*
 * Line 1: isoaudit, Tor, bootstrap, clock.  While Tor is away it says so,
 * since when and when the next try is, and nothing of the Tor that was
 * (its uptime and bootstrap would be stale).
 */
static void
header_tor(struct ui *ui, int64_t now, struct buf *b)
{
	const struct view *v = &ui->view;
	char clock[16], up[16], since[16];
	int retry;

	buf_printf(b, "isoaudit %s", ISOAUDIT_VERSION);
	if (!v->attached) {
		buf_adds(b, " | Tor: not connected");
		if (v->detached_at > 0) {
			ui_clock(v->detached_at, since, sizeof since);
			buf_printf(b, " since %s", since);
		}
		if ((retry = retry_in(ui)) >= 0)
			buf_printf(b, " (retry in %d s)", retry);
		ui_clock(now, clock, sizeof clock);
		put(0, 0, COLS - 9, buf_cstr(b), A_BOLD | color(PAIR_RED), 1);
		put(0, COLS - 8, 8, clock, A_BOLD, 1);
		return;
	}
	if (v->version != NULL)
		buf_printf(b, " | Tor %s", v->version);
	if (v->pid > 0)
		buf_printf(b, " pid %ld", v->pid);
	if (v->uptime >= 0) {
		ui_age((int64_t)v->uptime * 1000000 + (v->attached ?
		    now - v->uptime_at : 0), up, sizeof up);
		buf_printf(b, " up %s", up);
	}
	if (v->bootstrap >= 0)
		buf_printf(b, " | bootstrap %d%%%s%s", v->bootstrap,
		    v->bootstrap_summary && v->bootstrap < 100 ? " " : "",
		    v->bootstrap_summary && v->bootstrap < 100 ?
		    v->bootstrap_summary : "");
	ui_clock(now, clock, sizeof clock);
	put(0, 0, COLS - 9, buf_cstr(b), A_BOLD, 1);
	put(0, COLS - 8, 8, clock, A_BOLD, 1);
}

/* Line 2, from x: the database, its path when there is room. */
static void
header_db(struct ui *ui, int x, struct buf *b)
{
	struct store_stats st;
	char *dbpath;
	struct buf tail;
	int room;

	store_stats(monitor_store(ui->mon), &st);
	if (st.failing)
		buf_printf(b, "FAILING: %s", st.last_error);
	else if (st.rows_queued > STORE_BATCH_ROWS)
		buf_printf(b, "behind (%" PRIu64 " rows waiting)",
		    st.rows_queued);
	else
		buf_adds(b, "ok");
	if (st.rows_dropped > 0)
		buf_printf(b, ", %" PRIu64 " rows dropped", st.rows_dropped);
	if (x + 12 >= COLS)
		return;
	room = COLS - x - 3 - (int)b->len - 6;
	dbpath = (char *)store_path(monitor_store(ui->mon));
	x += put(1, x, 3, " | ", A_NORMAL, 0);
	x += put(1, x, COLS - x, "db ", A_NORMAL, 0);
	if (room > 12) {
		buf_init(&tail);
		x += put(1, x, room, path_tail(&tail, dbpath, (size_t)room),
		    A_NORMAL, 0);
		buf_free(&tail);
		x += put(1, x, 2, ": ", A_NORMAL, 0);
	}
	put(1, x, COLS - x, buf_cstr(b), st.failing || st.rows_dropped ?
	    color(PAIR_RED) | A_BOLD : A_NORMAL, 0);
}

/* Line 2: the control connection, then the database. */
static void
header_link(struct ui *ui, struct buf *b)
{
	const struct view *v = &ui->view;
	int x, retry;

	buf_printf(b, "control %s: ", v->address ? v->address :
	    (ui->opts->control ? ui->opts->control : "(auto)"));
	if (v->attached) {
		buf_printf(b, "attached (%s, Tor session %u)",
		    v->method ? v->method : "?", v->serial);
		x = put(1, 0, COLS, buf_cstr(b), color(PAIR_GREEN), 0);
	} else {
		if ((retry = retry_in(ui)) >= 0)
			buf_printf(b, "reconnecting in %d s", retry);
		else
			buf_adds(b, "connecting");
		if (v->end_reason != NULL)
			buf_printf(b, " (%s)", v->end_reason);
		x = put(1, 0, COLS, buf_cstr(b), color(PAIR_RED) | A_BOLD, 0);
	}
	buf_reset(b);
	header_db(ui, x, b);
}

/*
 * Line 3: counts.  On a narrow screen the findings come first, the
 * critical count leading: it must not be the part that is cut.
 */
static void
header_counts(struct ui *ui, struct buf *b)
{
	const struct view *v = &ui->view;
	int x = 0, narrow = COLS < NARROW_COLS;

	if (!narrow) {
		buf_printf(b, "circuits %zu  streams %u  apps %zu  findings: ",
		    view_open_circuits(v), v->streams_open, v->napps);
		x = put(2, 0, COLS, buf_cstr(b), A_NORMAL, 0);
		buf_reset(b);
	}
	buf_printf(b, "%u critical", v->by_severity[SEV_CRITICAL]);
	x += put(2, x, COLS - x, buf_cstr(b), v->unacked_critical > 0 ?
	    color(PAIR_RED) | A_BOLD : A_NORMAL, 0);
	buf_reset(b);
	buf_printf(b, " %u warning %u notice %u info",
	    v->by_severity[SEV_WARNING], v->by_severity[SEV_NOTICE],
	    v->by_severity[SEV_INFO]);
	if (narrow)
		buf_printf(b, " | circuits %zu streams %u apps %zu",
		    view_open_circuits(v), v->streams_open, v->napps);
	put(2, x, COLS - x, buf_cstr(b), A_NORMAL, 0);
}

/* Line 4, when the monitor lacks a privilege: what is lost, the fix. */
static void
header_privilege(struct ui *ui, struct buf *b)
{
	buf_printf(b, "! %s", ui->view.privilege);
	put(3, 0, COLS, buf_cstr(b), color(PAIR_YELLOW) | A_BOLD, 1);
}

static void
draw_header(struct ui *ui, int64_t now)
{
	struct buf b;

	buf_init(&b);
	header_tor(ui, now, &b);
	buf_reset(&b);
	header_link(ui, &b);
	buf_reset(&b);
	header_counts(ui, &b);
	if (ui->view.privilege[0] != '\0') {
		buf_reset(&b);
		header_privilege(ui, &b);
	}
	buf_free(&b);
}

static void
draw_tabs(struct ui *ui)
{
	char tab[64];
	int x = 0, i, top = header_lines_of(ui);
	struct buf b;

	move(top, 0);
	clrtoeol();
	for (i = 0; i < PANEL__COUNT; i++) {
		if (i == PANEL_FINDINGS && ui->view.nfindings > 0)
			snprintf(tab, sizeof tab, " %d %s (%zu) ", i + 1,
			    ui_panels[i]->name, ui->view.nfindings);
		else
			snprintf(tab, sizeof tab, " %d %s ", i + 1,
			    ui_panels[i]->name);
		x += put(top, x, COLS - x, tab, i == ui->panel ?
		    A_REVERSE | A_BOLD : A_NORMAL, 0);
		x += put(top, x, COLS - x, " ", A_NORMAL, 0);
	}
	buf_init(&b);
	buf_printf(&b, "sort: %s",
	    ui_panels[ui->panel]->sorts[ui->pv[ui->panel].sort]);
	if (ui->paused)
		buf_adds(&b, "  PAUSED");
	if (x + (int)b.len + 1 < COLS)
		put(top, COLS - (int)b.len, (int)b.len, buf_cstr(&b),
		    ui->paused ? A_BOLD | color(PAIR_YELLOW) : A_NORMAL, 0);
	else
		put(top, x, COLS - x, buf_cstr(&b), A_NORMAL, 0);
	buf_free(&b);
}

static attr_t
row_attr(const struct row *r)
{
	attr_t a = A_NORMAL;

	if (r->flags & ROW_SHARED)
		return color(PAIR_RED) | A_BOLD;
	if (r->kind == ROW_FINDING || r->kind == ROW_LOG) {
		if (r->flags & ROW_ACKED)
			return A_DIM;
		a = color(severity_pair(r->severity));
		if (r->severity == SEV_CRITICAL)
			a |= A_BOLD;
		return a;
	}
	if (r->flags & ROW_CLOSED)
		a |= A_DIM;
	return a;
}

static void
draw_list(struct ui *ui)
{
	const struct panel *p = ui_panels[ui->panel];
	struct panel_view *pv = &ui->pv[ui->panel];
	int w[UI_MAX_COLS], y, x, h = draw_list_height(ui);
	int top = header_lines_of(ui);
	size_t ncols, i, k, shown;

	/* The columns that fit, by priority (w[k] 0: dropped). */
	ncols = ui_layout(p->cols, p->ncols, COLS, w);
	/* Column titles. */
	move(top + 1, 0);
	clrtoeol();
	for (k = 0, x = 0; k < p->ncols; k++) {
		if (w[k] == 0)
			continue;
		put(top + 1, x, w[k], p->cols[k].title,
		    A_UNDERLINE | A_BOLD, 1);
		x += w[k] + 1;
	}
	for (y = 0; y < h; y++) {
		const struct row *r;
		attr_t attr;

		i = pv->top + (size_t)y;
		move(top + 2 + y, 0);
		clrtoeol();
		if (i >= pv->rows.n)
			continue;
		r = &pv->rows.v[i];
		attr = row_attr(r);
		if (i == pv->sel)
			attr |= A_REVERSE;
		if (r->flags & ROW_SPAN) {
			put(top + 2 + y, 0, COLS, r->cells[0], attr, 1);
			continue;
		}
		for (k = 0, x = 0, shown = 0; k < p->ncols; k++) {
			char cell[1024];
			int cw = w[k];
			const char *c = r->cells[k] ? r->cells[k] : "";
			int len = (int)strlen(c);

			if (cw == 0)
				continue;
			shown++;
			if (p->cols[k].right && len < cw)
				snprintf(cell, sizeof cell, "%*s", cw, c);
			else
				snprintf(cell, sizeof cell, "%s", c);
			put(top + 2 + y, x, cw, cell, attr, 1);
			/* The separator (and the rest of the line) in the
			 * row's colours, so that a selection is one bar. */
			put(top + 2 + y, x + cw, shown < ncols ? 1 :
			    COLS, "", attr, 1);
			x += cw + 1;
		}
	}
}

#define HELP_LINES	48
#define HELP_COLS	80
#define HELP_KEY_COLS	22	/* the keys' column */

/* After the keys.  The whole help fits 80x24: a key's text at most
 * 48 columns, the lines at most 22 (tests/ui/t_ui_live.sh). */
static const char *const help_notes[] = {
	"",
	"  !! at the start of a row: two applications on one exit circuit",
	"  * in the findings: not acknowledged (again: back after an ack)",
};

/* The help screen's lines, from the key table; returns how many. */
static size_t
help_lines(char lines[][HELP_COLS], size_t max)
{
	const struct ui_binding *k;
	const char *p, *nl;
	size_t n = 0, i;

	snprintf(lines[n++], HELP_COLS,
	    "isoaudit dashboard: keys (any key closes this help)");
	for (k = ui_bindings; k < ui_bindings + ui_nbindings; k++) {
		for (p = k->help; p != NULL && n < max; p = nl ? nl + 1 : NULL) {
			nl = strchr(p, '\n');
			snprintf(lines[n++], HELP_COLS, "  %-*s%.*s",
			    HELP_KEY_COLS, p == k->help && k->help_key ?
			    k->help_key : "", nl ? (int)(nl - p) :
			    (int)strlen(p), p);
		}
	}
	for (i = 0; i < sizeof help_notes / sizeof help_notes[0] &&
	    n < max; i++)
		snprintf(lines[n++], HELP_COLS, "%s", help_notes[i]);
	return n;
}

static void
draw_help(void)
{
	char lines[HELP_LINES][HELP_COLS];
	size_t n = help_lines(lines, HELP_LINES), i;
	int w = 76, h = (int)n + 2, y0, x0;

	if (w > COLS)
		w = COLS;
	if (h > LINES)
		h = LINES;
	y0 = (LINES - h) / 2;
	x0 = (COLS - w) / 2;
	for (i = 0; i < (size_t)h; i++)
		put(y0 + (int)i, x0, w, "", A_REVERSE, 1);
	for (i = 0; i < n && (int)i < h - 2; i++)
		put(y0 + 1 + (int)i, x0 + 2, w - 4, lines[i],
		    A_REVERSE | (i == 0 ? A_BOLD : 0), 1);
}

/* The keys a panel's footer shows, from the key table. */
static void
footer_keys(int panel, struct buf *b)
{
	const struct ui_binding *k;

	for (k = ui_bindings; k < ui_bindings + ui_nbindings; k++) {
		if (k->foot_key == NULL || !(k->footer & PANEL_BIT(panel)))
			continue;
		if (b->len > 0)
			buf_adds(b, "  ");
		buf_printf(b, "%s %s", k->foot_key, k->foot_word);
	}
}

static void
draw_footer(struct ui *ui)
{
	struct buf keys;
	char line[256];
	int y = LINES - 1, x;

	move(y, 0);
	clrtoeol();
	switch (ui->mode) {
	case UI_FILTER:
		snprintf(line, sizeof line, "filter: %s", ui->filter);
		put(y, 0, COLS, line, A_BOLD, 1);
		move(y, (int)strlen(line) < COLS ? (int)strlen(line) : COLS - 1);
		return;
	case UI_CONFIRM:
		put(y, 0, COLS, "Send NEWNYM? New streams get new circuits; "
		    "open ones stay where they are. y/n", A_BOLD |
		    color(PAIR_YELLOW), 1);
		return;
	case UI_QUIT:
		snprintf(line, sizeof line, "%u unacknowledged finding%s; q "
		    "again to quit, any other key to stay", ui->quit_unacked,
		    ui->quit_unacked == 1 ? "" : "s");
		put(y, 0, COLS, line, A_BOLD | color(PAIR_YELLOW), 1);
		return;
	default:
		break;
	}
	if (ui->message[0] != '\0' && time_mono_us() < ui->message_until) {
		put(y, 0, COLS, ui->message, A_BOLD, 1);
		return;
	}
	x = 0;
	if (ui->filter[0] != '\0') {
		/* The filter in force comes first: it hides rows. */
		snprintf(line, sizeof line, "filter: %s (Esc clears) ",
		    ui->filter);
		x = put(y, 0, COLS, line, A_BOLD | color(PAIR_YELLOW), 0);
		x += put(y, x, 1, " ", A_NORMAL, 0);
	}
	buf_init(&keys);
	footer_keys(ui->panel, &keys);
	put(y, x, COLS - x, buf_cstr(&keys), color(PAIR_BAR) | (use_color ?
	    0 : A_REVERSE), 1);
	buf_free(&keys);
}

void
draw_screen(struct ui *ui, int64_t now)
{
	if (COLS < 40 || LINES < 10) {
		erase();
		put(0, 0, COLS, "isoaudit: the terminal is too small "
		    "(80x24 or more)", A_BOLD, 0);
		refresh();
		return;
	}
	erase();
	draw_header(ui, now);
	draw_tabs(ui);
	draw_list(ui);
	draw_footer(ui);
	if (ui->mode == UI_HELP)
		draw_help();
	if (ui->mode != UI_FILTER)
		move(LINES - 1, COLS - 1);
	refresh();
}
