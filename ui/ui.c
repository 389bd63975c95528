/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ui.c: `isoaudit` with no command: the live dashboard.  It runs the same
 * monitor as `isoaudit monitor` (attach, log to the database, judge) with
 * the view as the pipeline's observer, and adds to the same libevent loop:
 * stdin, SIGWINCH, SIGHUP, a one-second clock, and a frame timer.
 * Callbacks only mark the screen dirty; at most one repaint happens per
 * UI_FRAME_US, and none when nothing changed.  The terminal is restored
 * on every way out: q, SIGINT/SIGTERM/SIGHUP, a lost first connection,
 * and fatalx().
 */
#include <sys/ioctl.h>

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "isoaudit.h"
#include "log.h"
#include "monitor.h"
#include "nsparse.h"
#include "pipeline.h"
#include "record.h"
#include "reply.h"
#include "store.h"
#include "ui.h"
#include "xmalloc.h"
#include "timeutil.h"

const struct panel *const ui_panels[PANEL__COUNT] = {
	&panel_circuits, &panel_apps, &panel_findings, &panel_log
};

/* For fatalx() and atexit: the terminal must come back. */
static struct ui *ui_global;

/* --- the terminal ----------------------------------------------------------- */

static void
ui_end_curses(void)
{
	if (ui_global != NULL && ui_global->active) {
		ui_global->active = 0;
		endwin();
		log_set_sink(NULL, NULL);
	}
}

static void
ui_log_sink(enum log_level lvl, const char *msg, void *arg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct ui *ui = arg;
	char *esc = escape_dup(msg, strlen(msg));

	view_log(&ui->view, names[lvl], esc, time_now_us());
	free(esc);
	ui_dirty(ui, 1);
}

static void
ui_start_curses(struct ui *ui)
{
	if (ui->active)
		return;
	setlocale(LC_ALL, "");
	if (initscr() == NULL)
		fatalx("cannot start the terminal interface (TERM=%s)",
		    getenv("TERM") ? getenv("TERM") : "");
	ui->active = 1;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw_init_colors(ui);
	log_set_sink(ui_log_sink, ui);
	/* After initscr, so that libevent's SIGWINCH handler wins. */
	evsignal_add(ui->ev_winch, NULL);
	event_add(ui->ev_stdin, NULL);
	ui_dirty(ui, 1);
}

/* --- repaint scheduling ------------------------------------------------------ */

/* now: the wall clock (what is shown); mono: time_mono_us (pacing). */
static void
ui_paint(struct ui *ui, int64_t now, int64_t mono)
{
	struct panel_view *pv = &ui->pv[ui->panel];
	struct panel_state ps;
	int h = draw_list_height(ui);
	size_t i;

	if (!pv->built || (!ui->paused && (ui->rebuild ||
	    ui->built_gen != ui->view.generation))) {
		memset(&ps, 0, sizeof ps);
		ps.filter = ui->filter;
		ps.sort = pv->sort;
		ps.now = now;
		ps.folded = &ui->folded;
		ps.open_finding = ui->open_finding;
		ps.open_circ = ui->open_circ;
		ps.width = COLS;
		rows_clear(&pv->rows);
		ui_panels[ui->panel]->build(&ui->view, &ps, &pv->rows);
		pv->built = 1;
		ui->built_gen = ui->view.generation;
		ui->rebuild = 0;
		/*
		 * Once the user has moved, the selection stays on its row
		 * while rows come and go around it; before, the list is
		 * watched from the top.
		 */
		if (pv->pinned) {
			for (i = 0; i < pv->rows.n; i++)
				if (pv->rows.v[i].kind == pv->sel_kind &&
				    pv->rows.v[i].key == pv->sel_key)
					break;
			if (i < pv->rows.n)
				pv->sel = i;
		} else
			pv->sel = pv->top = 0;
	}
	if (pv->rows.n == 0)
		pv->sel = 0;
	else if (pv->sel >= pv->rows.n)
		pv->sel = pv->rows.n - 1;
	if (pv->rows.n > 0) {
		pv->sel_kind = pv->rows.v[pv->sel].kind;
		pv->sel_key = pv->rows.v[pv->sel].key;
	}
	if (pv->sel < pv->top)
		pv->top = pv->sel;
	if (h > 0 && pv->sel >= pv->top + (size_t)h)
		pv->top = pv->sel - (size_t)h + 1;
	if (h > 0 && pv->top + (size_t)h > pv->rows.n)
		pv->top = pv->rows.n > (size_t)h ? pv->rows.n - (size_t)h : 0;
	draw_screen(ui, now);
	ui->repaints++;
	if (mono / 1000000 != ui->second) {
		ui->second = mono / 1000000;
		ui->this_second = 0;
	}
	if (++ui->this_second > ui->max_per_second)
		ui->max_per_second = ui->this_second;
	ui->last_paint = mono;
	ui->dirty = 0;
}

static void
ui_frame_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;
	int64_t now = time_mono_us();

	(void)fd;
	(void)what;
	ui->frame_pending = 0;
	if (!ui->dirty || !ui->active)
		return;
	/*
	 * libevent times the frame from the loop's cached clock, which a
	 * long burst of events leaves behind: the timer can fire before
	 * UI_FRAME_US has passed.  Too early: wait for the rest.
	 */
	if (now >= ui->last_paint && now - ui->last_paint < UI_FRAME_US) {
		struct timeval tv;

		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(ui->last_paint + UI_FRAME_US - now);
		evtimer_add(ui->ev_frame, &tv);
		ui->frame_pending = 1;
		return;
	}
	ui_paint(ui, time_now_us(), now);
}

void
ui_dirty(struct ui *ui, int rebuild)
{
	int64_t now, wait;
	struct timeval tv;

	if (rebuild)
		ui->rebuild = 1;
	ui->dirty = 1;
	if (ui->frame_pending || !ui->active)
		return;
	now = time_mono_us();
	wait = ui->last_paint + UI_FRAME_US - now;
	if (wait < 0 || wait > UI_FRAME_US)
		wait = 0;
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)wait;
	evtimer_add(ui->ev_frame, &tv);
	ui->frame_pending = 1;
}

static void
ui_clock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;

	(void)fd;
	(void)what;
	/* The clock, ages and "reconnecting in N s" move on their own. */
	ui_dirty(ui, 1);
}

static void
ui_winch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;
	struct winsize ws;

	(void)fd;
	(void)what;
	if (!ui->active)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	ui_dirty(ui, 1);
}

void
ui_message(struct ui *ui, const char *msg)
{
	snprintf(ui->message, sizeof ui->message, "%s", msg);
	ui->message_until = time_mono_us() + 5 * 1000000LL;
	ui_dirty(ui, 0);
}

/* --- what the pipeline tells --------------------------------------------------- */

static void
obs_session(const struct pipeline_session_info *si, void *arg)
{
	struct ui *ui = arg;

	view_session(si, &ui->view);
	if (si->phase == PIPELINE_START) {
		ui->ncmds = 0;
		ui_start_curses(ui);
	} else if (si->phase == PIPELINE_READY) {
		ui_command(ui, "GETINFO uptime", "uptime", NULL, "uptime");
		ui_relays_ask(ui);
	} else if (si->phase == PIPELINE_END) {
		ui->ncmds = 0;	/* no reply will come */
		view_relay_forget_asked(&ui->view);
	}
	ui_dirty(ui, 1);
}

static void
obs_circ(const struct pipeline_view_circ *c, void *arg)
{
	struct ui *ui = arg;

	view_circ(c, &ui->view);
	/* The open circuit's path grew: ask about its new hop. */
	if (c->id == ui->open_circ && c->npath > 0)
		ui_relays_ask(ui);
	ui_dirty(ui, 1);
}

static void
obs_stream(const struct pipeline_view_stream *s, void *arg)
{
	struct ui *ui = arg;

	view_stream(s, &ui->view);
	ui_dirty(ui, 1);
}

static void
obs_finding(const struct judge_finding *f, int64_t session, void *arg)
{
	struct ui *ui = arg;

	view_finding(f, session, &ui->view);
	ui_dirty(ui, 1);
}

static void
obs_tor_log(const char *sev, const char *msg, int64_t ts, void *arg)
{
	struct ui *ui = arg;

	view_tor_log(sev, msg, ts, &ui->view);
	ui_dirty(ui, 1);
}

static void
obs_bootstrap(int progress, const char *summary, int64_t ts, void *arg)
{
	struct ui *ui = arg;

	view_bootstrap(progress, summary, ts, &ui->view);
	ui_dirty(ui, 0);
}

static void
obs_service(const char *name, const char *source, int64_t ts, void *arg)
{
	struct ui *ui = arg;

	view_service(name, source, ts, &ui->view);
	ui_dirty(ui, 1);
}

static void
obs_uptime(long secs, int64_t ts, void *arg)
{
	struct ui *ui = arg;

	view_uptime(secs, ts, &ui->view);
	ui_dirty(ui, 0);
}

/* --- commands to Tor, and their replies ------------------------------------ */

int
ui_command(struct ui *ui, const char *line, const char *what, const char *fp,
    const char *key)
{
	struct ui_cmd *c;

	if (ui->ncmds >= UI_CMDS ||
	    ctl_command(monitor_ctl(ui->mon), line) == -1)
		return -1;
	c = &ui->cmds[ui->ncmds++];
	memset(c, 0, sizeof *c);
	snprintf(c->what, sizeof c->what, "%s", what);
	snprintf(c->fp, sizeof c->fp, "%s", fp != NULL ? fp : "");
	snprintf(c->key, sizeof c->key, "%s", key != NULL ? key : "");
	return 0;
}

/*
 * Asks Tor what it knows of each relay of the open circuit's path that
 * the cache does not have (GETINFO ns/id/FP), then of its address
 * (GETINFO ip-to-country/IP).  Each is asked once (a country Tor could not
 * say, again when the details are opened again); the cache is bounded.
 */
static void	ui_country_ask(struct ui *, const char *);

void
ui_relays_ask(struct ui *ui)
{
	const struct vcirc *c;
	char line[128];
	size_t i;

	if (ui->open_circ == 0 || !ui->view.attached ||
	    (c = idmap_get(&ui->view.circs, ui->open_circ)) == NULL)
		return;
	for (i = 0; i < c->npath; i++) {
		const char *fp = c->path[i].fp;

		if (view_relay_find(&ui->view, fp) != NULL) {
			/* Known; its country if Tor could not say before. */
			ui_country_ask(ui, fp);
			continue;
		}
		if (ui->ncmds >= UI_CMDS)
			return;		/* asked when an answer comes */
		if (view_relay_get(&ui->view, fp) == NULL)
			continue;
		snprintf(line, sizeof line, "GETINFO ns/id/%s", fp);
		if (ui_command(ui, line, "ns", fp, line + 8) == -1) {
			/* Asked again when the details are opened again. */
			view_relay_forget_asked(&ui->view);
			return;
		}
	}
}

/* The country of a relay Tor described, once. */
static void
ui_country_ask(struct ui *ui, const char *fp)
{
	const struct vrelay *r = view_relay_find(&ui->view, fp);
	char line[128];

	if (r == NULL || r->state != VRELAY_KNOWN || r->country_asked)
		return;
	snprintf(line, sizeof line, "GETINFO ip-to-country/%s", r->address);
	if (ui_command(ui, line, "country", fp, line + 8) == 0)
		view_relay_country(&ui->view, fp, NULL);	/* asked */
}

/*
 * The GETINFO value for key in a reply: the data of a "key=" '+' line or
 * the rest of a "key=value" line; NULL when the reply does not answer it.
 */
static const char *
reply_value(const struct reply *r, const char *key, size_t *len)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];

		if (l->textlen <= klen || strncmp(l->text, key, klen) != 0 ||
		    l->text[klen] != '=')
			continue;
		if (l->sep == '+') {
			*len = l->data != NULL ? l->datalen : 0;
			return l->data != NULL ? l->data : "";
		}
		*len = l->textlen - klen - 1;
		return l->text + klen + 1;
	}
	return NULL;
}

/* A relay's router status came (or Tor knows none). */
static void
reply_ns(struct ui *ui, const struct ui_cmd *c, const struct reply *r)
{
	struct ns_router ns;
	const char *v;
	char *cause = NULL;
	size_t len = 0;

	if (r->code != 250 || (v = reply_value(r, c->key, &len)) == NULL ||
	    nsparse_router(v, len, &ns, &cause) == -1 ||
	    strcmp(ns.fp, c->fp) != 0) {
		if (cause != NULL)
			log_debug("ns/id/%s: %s", c->fp, cause);
		free(cause);
		view_relay_router(&ui->view, c->fp, NULL);
		return;
	}
	view_relay_router(&ui->view, c->fp, &ns);
	ui_country_ask(ui, c->fp);
}

/* A relay's country, or none: no GeoIP database ("551 GeoIP data not
 * loaded"), an address it does not know ("??"). */
static void
reply_country(struct ui *ui, const struct ui_cmd *c, const struct reply *r)
{
	const char *v;
	char cc[3];
	size_t len = 0;

	cc[0] = '\0';
	if (r->code != 250) {
		/* "551 GeoIP data not loaded": perhaps later. */
		view_relay_country_retry(&ui->view, c->fp);
		return;
	}
	if ((v = reply_value(r, c->key, &len)) != NULL)
		nsparse_country(v, len, cc);
	view_relay_country(&ui->view, c->fp, cc);
}

static void
reply_newnym(struct ui *ui, const struct reply *r)
{
	char msg[160];
	char *esc;

	esc = r->nlines > 0 ? escape_dup(r->lines[0].text,
	    r->lines[0].textlen) : xstrdup("");
	if (r->code == 250)
		snprintf(msg, sizeof msg, "NEWNYM: Tor will use new circuits "
		    "for new streams");
	else
		snprintf(msg, sizeof msg, "NEWNYM refused: %d %s", r->code, esc);
	log_info("%s", msg);
	ui_message(ui, msg);
	free(esc);
}

/*
 * Replies to the commands the dashboard sent (NEWNYM, GETINFO uptime,
 * ns/id, ip-to-country), in the order sent.  The monitor sends commands
 * of its own on the same connection (its cross-check): a GETINFO answer
 * that names another key is not ours and leaves the queue as it is.
 */
static void
ui_reply(const struct reply *r, void *arg)
{
	struct ui *ui = arg;
	struct ui_cmd c;
	size_t i, klen;

	if (r->async || ui->ncmds == 0)
		return;
	if (r->code == 250 && r->nlines > 0 && ui->cmds[0].key[0] != '\0') {
		/* A GETINFO: its first line names its key. */
		klen = strlen(ui->cmds[0].key);
		if (r->lines[0].textlen <= klen || strncmp(r->lines[0].text,
		    ui->cmds[0].key, klen) != 0 ||
		    r->lines[0].text[klen] != '=')
			return;
	} else if (r->code == 250 && r->nlines > 0 &&
	    strchr(r->lines[0].text, '=') != NULL)
		return;		/* a GETINFO answer, and we wait for no GETINFO */
	c = ui->cmds[0];
	for (i = 1; i < ui->ncmds; i++)
		ui->cmds[i - 1] = ui->cmds[i];
	ui->ncmds--;
	if (strcmp(c.what, "newnym") == 0)
		reply_newnym(ui, r);
	else if (strcmp(c.what, "ns") == 0)
		reply_ns(ui, &c, r);
	else if (strcmp(c.what, "country") == 0)
		reply_country(ui, &c, r);
	/* What did not fit in the queue. */
	ui_relays_ask(ui);
	ui_dirty(ui, 1);
}

static void
ui_fatal(const char *msg, void *arg)
{
	struct ui *ui = arg;

	free(ui->fatal);
	ui->fatal = xstrdup(msg);
}

static void
ui_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;
	int ch, n = 0;

	(void)fd;
	(void)what;
	/* All of it: what curses has buffered would not wake us again. */
	while (ui->active && (ch = getch()) != ERR) {
		n++;
		if (ui_key(ui, ch)) {
			monitor_stop(ui->mon, EXIT_OK);
			return;
		}
	}
	if (n == 0 && !isatty(STDIN_FILENO)) {
		/* The terminal went away. */
		monitor_stop(ui->mon, EXIT_OK);
	}
}

static void
ui_hup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ui *ui = arg;

	(void)fd;
	(void)what;
	/* The terminal hung up: nobody is watching any more. */
	monitor_stop(ui->mon, EXIT_OK);
}

/* --- the command ------------------------------------------------------------- */

int
ui_main(struct opts *o)
{
	struct ui ui;
	struct pipeline_observer obs;
	struct monitor_setup setup;
	struct pipeline_stats st;
	struct event_base *base;
	struct timeval second = { 1, 0 };
	int status, i;
	int64_t ended;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "isoaudit: the dashboard needs a terminal; "
		    "use `isoaudit monitor` without one\n");
		return EXIT_USAGE;
	}
	/* Findings are on the screen; stderr is the screen. */
	if (o->cfg.alert == ALERT_STDERR)
		o->cfg.alert = ALERT_NONE;
	memset(&ui, 0, sizeof ui);
	ui.opts = o;
	view_init(&ui.view);
	idmap_init(&ui.folded);
	for (i = 0; i < PANEL__COUNT; i++)
		rows_init(&ui.pv[i].rows);

	memset(&obs, 0, sizeof obs);
	obs.session = obs_session;
	obs.circ = obs_circ;
	obs.stream = obs_stream;
	obs.finding = obs_finding;
	obs.tor_log = obs_tor_log;
	obs.bootstrap = obs_bootstrap;
	obs.uptime = obs_uptime;
	obs.service = obs_service;
	obs.arg = &ui;
	memset(&setup, 0, sizeof setup);
	setup.observer = &obs;
	setup.events = "STATUS_CLIENT NOTICE WARN ERR";
	setup.reply = ui_reply;
	setup.fatal = ui_fatal;
	setup.arg = &ui;
	if ((ui.mon = monitor_open(o, &setup, &status)) == NULL) {
		view_free(&ui.view);
		return status;
	}
	/* A missing privilege, said once on stderr, stays in the header. */
	if (monitor_privilege(ui.mon) != NULL)
		view_privilege(&ui.view, monitor_privilege(ui.mon));
	base = monitor_base(ui.mon);
	ui.ev_stdin = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    ui_stdin_cb, &ui);
	ui.ev_winch = evsignal_new(base, SIGWINCH, ui_winch_cb, &ui);
	ui.ev_hup = evsignal_new(base, SIGHUP, ui_hup_cb, &ui);
	ui.ev_frame = evtimer_new(base, ui_frame_cb, &ui);
	ui.ev_clock = event_new(base, -1, EV_PERSIST, ui_clock_cb, &ui);
	evsignal_add(ui.ev_hup, NULL);
	event_add(ui.ev_clock, &second);
	ui_global = &ui;
	log_set_fatal_hook(ui_end_curses);
	ui.started = time_mono_us();

	status = monitor_run(ui.mon);

	ui_end_curses();
	ended = time_mono_us();
	pipeline_stats(monitor_pipeline(ui.mon), &st);
	if (ui.fatal != NULL)
		fprintf(stderr, "isoaudit: %s\n", ui.fatal);
	if (o->verbose > 0)
		fprintf(stderr, "isoaudit: dashboard: %" PRIu64 " repaints "
		    "(at most %u in one second) in %.1f s for %" PRIu64
		    " events from Tor\n", ui.repaints, ui.max_per_second,
		    (double)(ended - ui.started) / 1e6, st.events);
	event_free(ui.ev_stdin);
	event_free(ui.ev_winch);
	event_free(ui.ev_hup);
	event_free(ui.ev_frame);
	event_free(ui.ev_clock);
	monitor_close(ui.mon);
	log_set_fatal_hook(NULL);
	ui_global = NULL;
	for (i = 0; i < PANEL__COUNT; i++)
		rows_clear(&ui.pv[i].rows);
	idmap_free(&ui.folded);
	view_free(&ui.view);
	free(ui.fatal);
	return status;
}
