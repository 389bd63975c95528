/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ui_key.c: the dashboard's keys.  One table, ui_bindings, says for each
 * key where it acts, what the footer and the help call it and what it
 * does: ui_key looks a key up in it and does what the action asks for
 * next (repaint, rebuild the rows, quit), and draw.c writes the help
 * screen and the footers from it.  The filter's line editor and the
 * NEWNYM confirmation take the keys while they are open.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "monitor.h"
#include "store.h"
#include "timeutil.h"
#include "ui.h"

static struct panel_view *
cur(struct ui *ui)
{
	return &ui->pv[ui->panel];
}

static const struct row *
selected(struct ui *ui)
{
	struct panel_view *pv = cur(ui);

	return pv->sel < pv->rows.n ? &pv->rows.v[pv->sel] : NULL;
}

static enum ui_next
move_sel(struct ui *ui, long delta)
{
	struct panel_view *pv = cur(ui);
	long n = (long)pv->rows.n, s = (long)pv->sel + delta;

	if (n == 0)
		return UI_NEXT_NOTHING;
	if (s < 0)
		s = 0;
	if (s >= n)
		s = n - 1;
	pv->sel = (size_t)s;
	pv->pinned = s > 0;	/* back at the top: watch the top again */
	pv->sel_kind = pv->rows.v[s].kind;
	pv->sel_key = pv->rows.v[s].key;
	return UI_NEXT_REPAINT;
}

static void
switch_panel(struct ui *ui, int panel)
{
	ui->panel = (panel + PANEL__COUNT) % PANEL__COUNT;
	ui->rebuild = 1;
	cur(ui)->built = 0;
}

/* The actions of the key table: arg is the table's. */

/* Findings not acknowledged yet. */
static unsigned
unacked(const struct ui *ui)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < ui->view.nfindings; i++)
		if (!ui->view.findings[i]->acked)
			n++;
	return n;
}

/* Quits; asks first (quit_key has the answer) when findings are not
 * acknowledged. */
static enum ui_next
act_quit(struct ui *ui, int arg)
{
	(void)arg;
	if ((ui->quit_unacked = unacked(ui)) == 0)
		return UI_NEXT_QUIT;
	ui->mode = UI_QUIT;
	return UI_NEXT_REPAINT;
}

static enum ui_next
act_help(struct ui *ui, int arg)
{
	(void)arg;
	ui->mode = UI_HELP;
	return UI_NEXT_REPAINT;
}

/* arg: +1 the next panel, -1 the previous. */
static enum ui_next
act_panel_step(struct ui *ui, int arg)
{
	switch_panel(ui, ui->panel + arg);
	return UI_NEXT_REBUILD;
}

/* arg: the panel. */
static enum ui_next
act_panel(struct ui *ui, int arg)
{
	switch_panel(ui, arg);
	return UI_NEXT_REBUILD;
}

/* arg: -1 up, +1 down, a row. */
static enum ui_next
act_move(struct ui *ui, int arg)
{
	return move_sel(ui, arg);
}

/* arg: -1 up, +1 down, a page. */
static enum ui_next
act_page(struct ui *ui, int arg)
{
	int h = draw_list_height(ui), page = h > 1 ? h - 1 : 1;

	return move_sel(ui, (long)arg * page);
}

/* arg: -1 the first row, +1 the last. */
static enum ui_next
act_end(struct ui *ui, int arg)
{
	return move_sel(ui, arg * (long)cur(ui)->rows.n);
}

/* Circuits: opens (or closes) the selected circuit's details: its path. */
static enum ui_next
act_circ_details(struct ui *ui, int arg)
{
	const struct row *r = selected(ui);

	(void)arg;
	if (r == NULL || (r->kind != ROW_CIRC && r->kind != ROW_DETAIL))
		return UI_NEXT_NOTHING;
	ui->open_circ = ui->open_circ == r->key ? 0 : r->key;
	if (ui->open_circ != 0) {
		view_relay_country_reopen(&ui->view);
		ui_relays_ask(ui);
	}
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_fold(struct ui *ui, int arg)
{
	const struct row *r = selected(ui);

	(void)arg;
	if (r == NULL || r->kind != ROW_CIRC)
		return UI_NEXT_NOTHING;
	if (idmap_del(&ui->folded, r->key) == NULL)
		idmap_put(&ui->folded, r->key, ui);
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_app_circuits(struct ui *ui, int arg)
{
	const struct row *r = selected(ui);

	(void)arg;
	if (r == NULL || r->kind != ROW_APP)
		return UI_NEXT_NOTHING;
	if (r->key < ui->view.napps) {
		snprintf(ui->filter, sizeof ui->filter, "%s",
		    ui->view.apps[r->key]->ident);
		switch_panel(ui, PANEL_CIRCUITS);
		ui_message(ui, "circuits of this application; Esc clears the "
		    "filter");
	}
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_details(struct ui *ui, int arg)
{
	const struct row *r = selected(ui);

	(void)arg;
	if (r == NULL || (r->kind != ROW_FINDING && r->kind != ROW_DETAIL))
		return UI_NEXT_NOTHING;
	ui->open_finding = ui->open_finding == r->key ? 0 : r->key;
	return UI_NEXT_REBUILD;
}

/*
 * Acknowledges the selected finding's cause, in the database too; a new
 * occurrence after now brings it back (again).
 */
static enum ui_next
act_ack(struct ui *ui, int arg)
{
	const struct row *r = selected(ui);
	struct store *store = monitor_store(ui->mon);
	struct vfinding *f;
	int64_t now = time_now_us();

	(void)arg;
	if (r == NULL || (r->kind != ROW_FINDING && r->kind != ROW_DETAIL) ||
	    (f = view_finding_by_seq(&ui->view, r->key)) == NULL)
		return UI_NEXT_NOTHING;
	if (!view_ack(&ui->view, f, now)) {
		ui_message(ui, "already acknowledged");
		return UI_NEXT_NOTHING;
	}
	if (store != NULL)
		store_ack(store, f->cause, now);
	log_info("acknowledged %s (%ld occurrence%s): %s", rule_name(f->rule),
	    f->occurrences, f->occurrences == 1 ? "" : "s", f->detail);
	ui_message(ui, "acknowledged (kept in the database)");
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_filter(struct ui *ui, int arg)
{
	(void)arg;
	memcpy(ui->filter_saved, ui->filter, sizeof ui->filter);
	ui->mode = UI_FILTER;
	curs_set(1);
	return UI_NEXT_REPAINT;
}

/* Esc: closes the circuit's details, else clears the filter. */
static enum ui_next
act_unfilter(struct ui *ui, int arg)
{
	(void)arg;
	if (ui->panel == PANEL_CIRCUITS && ui->open_circ != 0) {
		ui->open_circ = 0;
		return UI_NEXT_REBUILD;
	}
	if (ui->panel == PANEL_FINDINGS && ui->open_finding != 0) {
		ui->open_finding = 0;
		return UI_NEXT_REBUILD;
	}
	if (ui->filter[0] == '\0')
		return UI_NEXT_NOTHING;
	ui->filter[0] = '\0';
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_sort(struct ui *ui, int arg)
{
	(void)arg;
	cur(ui)->sort = (cur(ui)->sort + 1) % (int)ui_panels[ui->panel]->nsorts;
	return UI_NEXT_REBUILD;
}

static enum ui_next
act_pause(struct ui *ui, int arg)
{
	(void)arg;
	ui->paused = !ui->paused;
	ui_message(ui, ui->paused ? "view paused: monitoring and logging go "
	    "on; p resumes" : "view resumed");
	return UI_NEXT_REBUILD;
}

/* Asks first: the answer goes to confirm_key. */
static enum ui_next
act_newnym(struct ui *ui, int arg)
{
	(void)arg;
	ui->mode = UI_CONFIRM;
	return UI_NEXT_REPAINT;
}

static enum ui_next
act_redraw(struct ui *ui, int arg)
{
	(void)ui;
	(void)arg;
	clearok(curscr, TRUE);
	return UI_NEXT_REBUILD;
}

#define ALL	PANELS_ALL
#define CIRCS	PANEL_BIT(PANEL_CIRCUITS)
#define APPS	PANEL_BIT(PANEL_APPS)
#define FINDS	PANEL_BIT(PANEL_FINDINGS)
#define LOGS	PANEL_BIT(PANEL_LOG)
#define ENTER	{ '\r', '\n', KEY_ENTER }

/*
 * The keys: where each acts, which footers show it and as what, what the
 * help says of it, what it does.  The footers and the help list them in
 * this order; a footer shows only what fits in 80 columns on its panel
 * (p and n act on every panel).
 */
const struct ui_binding ui_bindings[] = {
	{ { 'q', 'Q' }, ALL, ALL, "q", "quit",
	  "q, Q", "quit; asks first if findings are unacknowledged",
	  act_quit, 0 },
	{ { '?', 'h' }, ALL, ALL, "?", "help",
	  "?, h", "this help", act_help, 0 },
	{ { '\t', KEY_RIGHT }, ALL, ALL, "Tab/<-/->", "panels",
	  "Tab/S-Tab, ->/<-, 1-4", "next, previous panel; a panel by number",
	  act_panel_step, 1 },
	{ { KEY_BTAB, KEY_LEFT }, ALL, 0, NULL, NULL,
	  NULL, NULL, act_panel_step, -1 },
	{ { '1' }, ALL, 0, NULL, NULL, NULL, NULL, act_panel, PANEL_CIRCUITS },
	{ { '2' }, ALL, 0, NULL, NULL, NULL, NULL, act_panel, PANEL_APPS },
	{ { '3' }, ALL, 0, NULL, NULL, NULL, NULL, act_panel, PANEL_FINDINGS },
	{ { '4' }, ALL, 0, NULL, NULL, NULL, NULL, act_panel, PANEL_LOG },
	{ { KEY_UP, 'k' }, ALL, 0, NULL, NULL,
	  "Up/Down, j/k", "move the selection", act_move, -1 },
	{ { KEY_DOWN, 'j' }, ALL, 0, NULL, NULL, NULL, NULL, act_move, 1 },
	{ { KEY_PPAGE }, ALL, 0, NULL, NULL,
	  "PgUp/PgDn, Space", "a page up, down (Space: down)", act_page, -1 },
	{ { KEY_NPAGE, ' ' }, ALL, 0, NULL, NULL, NULL, NULL, act_page, 1 },
	{ { KEY_HOME, 'g' }, ALL, 0, NULL, NULL,
	  "Home/End, g/G", "the first, the last", act_end, -1 },
	{ { KEY_END, 'G' }, ALL, 0, NULL, NULL, NULL, NULL, act_end, 1 },
	{ ENTER, CIRCS, CIRCS, "Enter", "path",
	  "Enter", "circuits: the path (guard, middle, exit)",
	  act_circ_details, 0 },
	{ ENTER, APPS, APPS, "Enter", "its circuits",
	  "", "applications: show its circuits", act_app_circuits, 0 },
	{ ENTER, FINDS, FINDS, "Enter", "details",
	  "", "findings: details", act_details, 0 },
	{ { 'f' }, CIRCS, CIRCS, "f", "fold",
	  "f", "circuits: fold/unfold the streams", act_fold, 0 },
	{ { 'a' }, FINDS, FINDS, "a", "acknowledge",
	  "a", "acknowledge the cause (kept in the database)", act_ack, 0 },
	{ { '/' }, ALL, ALL, "/", "filter",
	  "/", "filter (application, exit, target, rule)",
	  act_filter, 0 },
	{ { 27 }, ALL, 0, NULL, NULL,
	  "Esc", "close the details, else drop the filter",
	  act_unfilter, 0 },
	{ { 's' }, ALL, ALL, "s", "sort",
	  "s", "next sort order", act_sort, 0 },
	{ { 'p' }, ALL, CIRCS | APPS | LOGS, "p", "pause",
	  "p", "pause the view (monitoring goes on)", act_pause, 0 },
	{ { 'n' }, ALL, CIRCS, "n", "NEWNYM",
	  "n", "NEWNYM: new circuits for new streams (y/n)", act_newnym,
	  0 },
	{ { 12 }, ALL, 0, NULL, NULL,
	  "Ctrl-L", "redraw", act_redraw, 0 },
};
const size_t ui_nbindings = sizeof ui_bindings / sizeof ui_bindings[0];

#undef ALL
#undef CIRCS
#undef APPS
#undef FINDS
#undef LOGS
#undef ENTER

/* The line of the key table for key on this panel, or NULL. */
static const struct ui_binding *
binding_find(int panel, int key)
{
	size_t i, k;

	for (i = 0; i < ui_nbindings; i++) {
		if (!(ui_bindings[i].panels & PANEL_BIT(panel)))
			continue;
		for (k = 0; k < UI_KEY_CODES && ui_bindings[i].keys[k]; k++)
			if (ui_bindings[i].keys[k] == key)
				return &ui_bindings[i];
	}
	return NULL;
}

static void
key_newnym(struct ui *ui)
{
	if (ui_command(ui, "SIGNAL NEWNYM", "newnym", NULL, NULL) == -1) {
		ui_message(ui, "NEWNYM: not attached to Tor");
		return;
	}
	log_info("NEWNYM sent (asked for in the dashboard)");
	ui_message(ui, "NEWNYM sent");
}

/* The answer to "N unacknowledged findings; q again to quit". */
static enum ui_next
quit_key(struct ui *ui, int ch)
{
	ui->mode = UI_NORMAL;
	if (ch == 'q' || ch == 'Q')
		return UI_NEXT_QUIT;
	ui_message(ui, "still watching");
	return UI_NEXT_REPAINT;
}

/* The answer to "Send NEWNYM?". */
static enum ui_next
confirm_key(struct ui *ui, int ch)
{
	ui->mode = UI_NORMAL;
	if (ch == 'y' || ch == 'Y')
		key_newnym(ui);
	else
		ui_message(ui, "NEWNYM not sent");
	return UI_NEXT_REPAINT;
}

/* A key while the filter is typed: a line editor. */
static enum ui_next
filter_key(struct ui *ui, int ch)
{
	size_t n = strlen(ui->filter);

	switch (ch) {
	case 27:	/* Esc: back to what it was */
		memcpy(ui->filter, ui->filter_saved, sizeof ui->filter);
		ui->mode = UI_NORMAL;
		break;
	case '\r':
	case '\n':
	case KEY_ENTER:
		ui->mode = UI_NORMAL;
		curs_set(0);
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (n > 0)
			ui->filter[n - 1] = '\0';
		break;
	case 21:	/* ^U */
		ui->filter[0] = '\0';
		break;
	default:
		if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof ui->filter) {
			ui->filter[n] = (char)ch;
			ui->filter[n + 1] = '\0';
		}
		break;
	}
	if (ui->mode == UI_NORMAL)
		curs_set(0);
	cur(ui)->sel = 0;
	return UI_NEXT_REBUILD;
}

int
ui_key(struct ui *ui, int ch)
{
	const struct ui_binding *b;
	enum ui_next next = UI_NEXT_NOTHING;

	if (ch == KEY_RESIZE) {
		ui_dirty(ui, 1);
		return 0;
	}
	/* A message lasts until the next key (or five seconds). */
	if (ui->message[0] != '\0') {
		ui->message[0] = '\0';
		ui_dirty(ui, 0);
	}
	switch (ui->mode) {
	case UI_HELP:
		ui->mode = UI_NORMAL;	/* any key closes it */
		next = UI_NEXT_REPAINT;
		break;
	case UI_CONFIRM:
		next = confirm_key(ui, ch);
		break;
	case UI_QUIT:
		next = quit_key(ui, ch);
		break;
	case UI_FILTER:
		next = filter_key(ui, ch);
		break;
	case UI_NORMAL:
		if ((b = binding_find(ui->panel, ch)) != NULL)
			next = b->act(ui, b->arg);
		break;
	}
	switch (next) {
	case UI_NEXT_QUIT:
		return 1;
	case UI_NEXT_REBUILD:
		ui_dirty(ui, 1);
		break;
	case UI_NEXT_REPAINT:
		ui_dirty(ui, 0);
		break;
	case UI_NEXT_NOTHING:
		break;
	}
	return 0;
}
