/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * monitor.c: `isoaudit monitor`: the live pipeline without a screen.
 * One libevent loop: the control connection, SIGINT/SIGTERM, --duration.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "agent_gw.h"
#include "ctl.h"
#include "isoaudit.h"
#include "monitor.h"
#include "monitor_hold.h"
#include "alert.h"
#include "config.h"
#include "profile.h"
#include "log.h"
#include "attrib.h"
#include "ktable.h"
#include "ktrack.h"
#include "pipeline.h"
#include "record.h"
#include "reply.h"
#include "smuggle.h"
#include "store.h"
#include "xmalloc.h"
#include "timeutil.h"

struct monitor {
	struct opts		*opts;
	char			*attrib_why;	/* said at the first ready */
	int			 attrib_warn;	/* ... as a warning */
	char			*priv_line;	/* a missing privilege and its
						   fix, said at the first ready */
	char			*priv_brief;	/* the same, for the header */
	int			 alert_echoed;	/* stdout is stderr: FINDING
						   lines tell, alerts not */
	struct monitor_setup	 setup;
	struct event_base	*base;
	struct ctl		*ctl;
	struct pipeline		*pipe;
	struct pipeline_config	 pc;
	struct record		*record;
	struct store		*store;
	struct event		*sigint;
	struct event		*sigterm;
	struct event		*sighup;
	struct event		*tick;		/* the store's: armed only
						   when rows wait */
	struct event		*prune;		/* Retention's, or unarmed */
	struct event		*timer;
	unsigned		 serial;	/* attached session, or 0 */
	int64_t			 retention;	/* us, 0 = keep */
	int64_t			 prune_cutoff;	/* a prune under way, or 0 */
	struct store_prune_stats prune_stats;
	int			 status;
	int			 held;		/* shutdown: signals held */
	sigset_t		 held_mask;	/* the mask before */
	struct event		*xcheck;	/* the cross-check's timer */
	int64_t			 xc_last;	/* sent (time_mono_us) */
	int			 ready;		/* the session's state is in */
	struct ktable		*ktable;	/* the connect tracker's, or */
	struct ktrack		*ktrack;	/* NULL where it is off or */
	struct event		*ktrack_ev;	/* could not load */
	struct agent_gw		*gw;		/* AgentListen, or NULL */
	struct mon_hold		*hold;		/* the wait for its records */
};
#define MONITOR_PRUNE_EVERY	(3600LL * 1000000)
#define MONITOR_PRUNE_STEP	(250LL * 1000)	/* between a prune's steps */
#define MONITOR_XCHECK_EVERY	(60LL * 1000000)	/* the cross-check */
#define MONITOR_XCHECK_MIN	(2LL * 1000000)		/* one at most per */

/* The connect tracker's ring buffer has records: into its table. */
static void
mon_ktrack_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;

	(void)fd;
	(void)what;
	ktrack_poll(m->ktrack);
}

/*
 * The connect tracker, unless Tracker off.  Which attribution is used and
 * why is said once, when the first Tor session is ready (a monitor that
 * cannot attach says only why): a warning when the tracker cannot run,
 * else with -v.
 */
static void
mon_ktrack_open(struct monitor *m)
{
	char *cause = NULL;

	if (m->opts->cfg.tracker_off) {
		m->attrib_why = xstrdup("attribution: socket lookups when Tor "
		    "reports a stream (the connect tracker is off: Tracker "
		    "off)");
		return;
	}
	m->ktable = ktable_new(KTABLE_MAX, KTABLE_TTL_US);
	m->ktrack = ktrack_open(m->ktable, "/proc", &cause);
	if (m->ktrack == NULL) {
		m->attrib_why = xasprintf("attribution: socket lookups when Tor "
		    "reports a stream (the connect tracker cannot run: %s)",
		    cause);
		m->attrib_warn = 1;
		free(cause);
		ktable_free(m->ktable);
		m->ktable = NULL;
		return;
	}
	m->attrib_why = xstrdup(ktrack_udp(m->ktrack) ?
	    "attribution: the kernel connect tracker (TCP connects and DNS "
	    "queries), then socket lookups for connections it did not see" :
	    "attribution: the kernel connect tracker (TCP connects; DNS "
	    "queries cannot be traced here), then socket lookups for "
	    "connections it did not see");
}

/* Tor's DNSPort: its queries are recorded by the tracker too. */
static void
mon_dns_port(unsigned port, void *arg)
{
	struct monitor *m = arg;

	if (m->ktrack != NULL)
		ktrack_watch_udp(m->ktrack, port);
}

/*
 * The cross-check (pipeline.h): sent now, or as soon as the rate allows
 * (suspicion); then again a minute later.
 */
static void
mon_xcheck(struct monitor *m)
{
	int64_t now = time_mono_us(), wait = MONITOR_XCHECK_EVERY;
	struct timeval tv;

	if (!m->ready)
		return;
	if (m->xc_last != 0 && now - m->xc_last < MONITOR_XCHECK_MIN)
		wait = m->xc_last + MONITOR_XCHECK_MIN - now;
	else if (ctl_command(m->ctl, PIPELINE_XCHECK_COMMAND) == 0)
		m->xc_last = now;
	tv.tv_sec = (time_t)(wait / 1000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000);
	evtimer_add(m->xcheck, &tv);
}

static void
mon_xcheck_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mon_xcheck(arg);
}

/* Arms ev to fire in us microseconds (0: at the next loop turn). */
static void
mon_arm(struct event *ev, int64_t us)
{
	struct timeval tv;

	if (us < 0)
		us = 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

/*
 * Applies Retention: at start, then hourly (now: the wall clock, what
 * stored times are compared with).  A prune goes one step
 * (STORE_PRUNE_BATCH rows of each kind, one transaction) every
 * MONITOR_PRUNE_STEP, so that events are not held up on a large database.
 * Without Retention its timer is not armed at all.
 */
static void
mon_prune_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	struct store_prune_stats *ps = &m->prune_stats;
	char *cause = NULL;
	int rc;

	(void)fd;
	(void)what;
	if (m->prune_cutoff == 0) {
		if (m->retention <= 0)
			return;
		m->prune_cutoff = time_now_us() - m->retention;
		memset(ps, 0, sizeof *ps);
	}
	if ((rc = store_prune_step(m->store, m->prune_cutoff, ps,
	    &cause)) == 1) {
		mon_arm(m->prune, MONITOR_PRUNE_STEP);
		return;
	}
	m->prune_cutoff = 0;
	if (rc == -1) {
		log_warnx("retention: %s", cause);
		free(cause);
	} else if (ps->streams + ps->circuits + ps->occurrences +
	    ps->sessions > 0)
		log_info("retention: deleted %ld stream%s, %ld circuit%s, %ld "
		    "finding occurrence%s and %ld Tor session%s", ps->streams,
		    ps->streams == 1 ? "" : "s", ps->circuits,
		    ps->circuits == 1 ? "" : "s", ps->occurrences,
		    ps->occurrences == 1 ? "" : "s", ps->sessions,
		    ps->sessions == 1 ? "" : "s");
	if (m->retention > 0)
		mon_arm(m->prune, MONITOR_PRUNE_EVERY);
}

static void
mon_annotate(int64_t ts, const char *text, void *arg)
{
	struct monitor *m = arg;

	record_note(m->record, ts, "%s", text);
}

/*
 * The store's timer: armed when rows are queued (the store's wake), for
 * the window's end or a retry, never while nothing waits.  Intervals on
 * the monotonic clock: a wall clock stepped back (NTP, sdwdate) stopped
 * every commit until it had caught up again.
 */
static void
mon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	int64_t mono = time_mono_us(), next;

	(void)fd;
	(void)what;
	if ((next = store_tick(m->store, mono)) != 0)
		mon_arm(m->tick, next - mono);
}

/* The store has rows (or a finding at warning): a tick at once. */
static void
mon_store_wake(void *arg)
{
	struct monitor *m = arg;

	mon_arm(m->tick, 0);
}

static void
mon_session_start(unsigned serial, const char *addr, const char *method,
    int64_t ts, void *arg)
{
	struct monitor *m = arg;

	mon_hold_flush(m->hold);

	m->serial = serial;
	record_note(m->record, ts, "session %u start %s %s", serial, addr,
	    method);
	pipeline_session_start(m->pipe, serial, addr, method, ts);
}

static void
mon_session_ready(unsigned serial, int64_t ts, void *arg)
{
	struct monitor *m = arg;

	mon_hold_flush(m->hold);

	struct timeval tv = { MONITOR_XCHECK_EVERY / 1000000, 0 };

	record_note(m->record, ts, "session %u ready", serial);
	pipeline_session_ready(m->pipe, serial, ts);
	m->ready = 1;
	if (m->attrib_why != NULL) {
		if (m->attrib_warn)
			log_warnx("%s", m->attrib_why);
		else
			log_debug("%s", m->attrib_why);
		free(m->attrib_why);
		m->attrib_why = NULL;
	}
	if (m->priv_line != NULL) {
		log_warnx("%s", m->priv_line);
		free(m->priv_line);
		m->priv_line = NULL;
	}
	evtimer_add(m->xcheck, &tv);
}

static void
mon_session_end(unsigned serial, const char *why, int64_t ts, void *arg)
{
	struct monitor *m = arg;

	mon_hold_flush(m->hold);

	m->serial = 0;
	m->ready = 0;
	evtimer_del(m->xcheck);
	record_note(m->record, ts, "session %u end %s", serial, why);
	pipeline_session_end(m->pipe, serial, why, ts);
}

/* The rest of an event a line break cut: the pipeline decides. */
static void
mon_malformed(const char *s, size_t n, void *arg)
{
	struct monitor *m = arg;

	mon_hold_flush(m->hold);

	pipeline_not_reply(m->pipe, s, n);
}

static void
mon_injection(const struct smuggle_found *f, void *arg)
{
	struct monitor *m = arg;

	if (f->unsure) {
		pipeline_unsure(m->pipe);
		return;
	}
	pipeline_injection(m->pipe, f->stream, f->lines, f->tail,
	    f->tail_len, f->ts);
	if (pipeline_xcheck_wanted(m->pipe))
		mon_xcheck(m);
}

/* The pipeline asks for an agent's claim (agent_gw.h). */
static void
mon_agent_claim(const char *src, const char *target, int udp,
    struct attrib_result *r, void *arg)
{
	struct monitor *m = arg;

	if (m->gw != NULL)
		agent_gw_claim(src, target, udp, r, m->gw);
}

/* An agent's record came: a stream held for it may go on. */
static void
mon_agent_record(void *arg)
{
	struct monitor *m = arg;

	mon_hold_kick(m->hold);
}

/* A reply Tor sent: now, or after the wait for an agent's record. */
static void
mon_reply(const struct reply *r, void *arg)
{
	struct monitor *m = arg;

	mon_hold_reply(m->hold, r);
}

static void
mon_reply_now(const struct reply *r, void *arg)
{
	struct monitor *m = arg;

	struct pipeline_stats st;

	/* Records of connects the loop has not read yet come first: the
	 * stream this reply may report was connected before Tor saw it. */
	if (m->ktrack != NULL)
		ktrack_poll(m->ktrack);
	pipeline_reply(m->pipe, r);
	if (pipeline_xcheck_wanted(m->pipe))
		mon_xcheck(m);
	if (m->setup.reply != NULL)
		m->setup.reply(r, m->setup.arg);
	if (m->opts->exit_after_events > 0) {
		pipeline_stats(m->pipe, &st);
		if (st.events >= m->opts->exit_after_events)
			event_base_loopbreak(m->base);
	}
}

static void
mon_fatal(const char *msg, void *arg)
{
	struct monitor *m = arg;

	if (m->setup.fatal != NULL)
		m->setup.fatal(msg, m->setup.arg);
	else
		log_error("%s", msg);
	m->status = EXIT_RUNTIME;
	event_base_loopbreak(m->base);
}

static void
mon_stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct monitor *m = arg;

	(void)what;
	if (sig >= 0)
		log_debug("signal %d: stopping", (int)sig);
	event_base_loopbreak(m->base);
}

/*
 * SIGHUP: the config file again.  App/Host lines, rules, Alert and
 * Retention apply from the next event on (Retention prunes at once);
 * circuits, streams, findings and the session go on.  A broken file
 * changes nothing.
 */
static void
mon_hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct monitor *m = arg;
	struct config fresh;
	char *cause = NULL, *path, *later;

	(void)sig;
	(void)what;
	memset(&fresh, 0, sizeof fresh);
	path = xstrdup_or_null(m->opts->cfg.path != NULL ? m->opts->cfg.path :
	    m->opts->config);
	if (config_load(&fresh, path, &cause) == -1) {
		log_warnx("SIGHUP: %s; keeping the configuration in use", cause);
		free(cause);
		config_free(&fresh);
		free(path);
		return;
	}
	later = config_reload(&m->opts->cfg, &fresh);
	m->retention = m->opts->cfg.retention;
	/* Retention applies at once (a prune under way goes on). */
	if (m->prune_cutoff == 0) {
		if (m->retention > 0)
			mon_arm(m->prune, 0);
		else
			evtimer_del(m->prune);
	}
	log_info("SIGHUP: configuration reloaded from %s (%zu App lines)",
	    path ? path : "the built-in defaults", m->opts->cfg.napps);
	if (later != NULL)
		log_warnx("SIGHUP: %s changed: that takes a restart", later);
	free(later);
	free(path);
}

static void
alert_cb(int sev, const char *rule, const char *detail, int64_t ts, void *arg)
{
	struct monitor *m = arg;

	/* The FINDING line went to the same terminal or file already. */
	if (m->alert_echoed && m->opts->cfg.alert == ALERT_STDERR)
		return;
	alert_emit(m->opts->cfg.alert, sev, rule, detail, ts);
}

/* Whether two descriptors are one file (a terminal, `>log 2>&1`, the
 * journal's stream). */
static int
mon_same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Without a Profile line, this system's marker files name it (a
 * Whonix-Gateway, Qubes-Whonix, Tails); else the pipeline asks Tor's
 * listeners once attached.  Says which.
 */
static void
monitor_profile(struct opts *o)
{
	int chosen = o->cfg.profile != PROFILE_AUTO;

	if (!chosen && !config_detect_profile(&o->cfg, "/")) {
		/* Said at -v: the pipeline says what the listeners chose. */
		log_debug("profile: %s; Tor's listeners will tell",
		    o->cfg.profile_why);
		return;
	}
	log_info("profile %s (%s)", profile_name((enum profile_id)
	    o->cfg.profile), o->cfg.profile_why ? o->cfg.profile_why : "");
}

struct monitor *
monitor_open(struct opts *o, const struct monitor_setup *setup, int *status)
{
	struct monitor *m;
	struct pipeline_config *pc;
	struct ctl_config cc;
	struct ctl_cbs cbs = {
		.session_start = mon_session_start,
		.reply = mon_reply,
		.session_ready = mon_session_ready,
		.session_end = mon_session_end,
		.fatal = mon_fatal,
		.malformed = mon_malformed,
		.injection = mon_injection,
	};
	enum store_err serr;
	char *cause = NULL, *dbpath;

	if (sodium_init() == -1) {
		log_error("libsodium failed to initialise");
		*status = EXIT_RUNTIME;
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->opts = o;
	m->setup = *setup;
	dbpath = opts_db_path(o);
	m->store = store_open_key(dbpath, o->cfg.hash_key_file, 0, STORE_WRITE,
	    &serr, &cause);
	free(dbpath);
	if (m->store == NULL) {
		log_error("%s", cause);
		free(cause);
		free(m);
		*status = EXIT_RUNTIME;
		return NULL;
	}
	if (o->record != NULL &&
	    (m->record = record_open(o->record, &cause)) == NULL) {
		log_error("%s", cause);
		free(cause);
		store_close(m->store);
		free(m);
		*status = EXIT_RUNTIME;
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	monitor_profile(o);

	pc = &m->pc;
	pc->output = PIPELINE_LINES;
	pc->out = setup->out;
	pc->verbose = o->verbose;
	pc->privacy.mode = o->log_targets;
	store_hash_key(m->store, pc->privacy.key);
	pc->privacy.hmac = store_hash_hmac(m->store);
	pc->store = m->store;
	pc->source = "live";
	pc->live = 1;
	pc->procdir = "/proc";
	pc->annotate = mon_annotate;
	pc->annotate_arg = m;
	pc->config = &o->cfg;
	pc->alert = alert_cb;
	pc->alert_arg = m;
	m->alert_echoed = setup->out != NULL &&
	    mon_same_file(fileno(setup->out), STDERR_FILENO);
	pc->observer = setup->observer;
	pc->no_local = o->cfg.local_attrib_off;
	pc->agent_claim = mon_agent_claim;
	pc->dns_port = mon_dns_port;
	pc->agent_arg = m;
	m->retention = o->cfg.retention;
	mon_ktrack_open(m);
	pc->tracker = m->ktable;
	if (!pc->no_local)
		attrib_privilege(pc->procdir, m->ktrack != NULL, &m->priv_line,
		    &m->priv_brief);
	m->pipe = pipeline_new(pc);
	record_set_privacy(m->record, &pc->privacy);

	memset(&cc, 0, sizeof cc);
	cc.address = o->control;
	cc.candidates = (const char *const *)o->cfg.control_try;
	/* A system's own control port (never its filter) before the rest. */
	if (cc.candidates == NULL && profile_get(
	    (enum profile_id)o->cfg.profile) != NULL &&
	    o->cfg.profile != PROFILE_NONE)
		cc.candidates = profile_get(
		    (enum profile_id)o->cfg.profile)->control;
	cc.cookie_file = o->cookie;
	cc.password_file = o->password_file;
	cc.auth = o->auth;
	cc.record = m->record;
	cc.events = setup->events;
	cc.withhold = o->log_targets == LOG_TARGETS_PLAIN ? NULL :
	    privacy_mode_name(o->log_targets);

	m->base = event_base_new();
	if (m->base == NULL)
		fatalx("cannot create an event loop");
	if (o->cfg.agent_listen != NULL) {
		m->gw = agent_gw_new(m->base, &o->cfg, mon_agent_record, m,
		    &cause);
		if (m->gw == NULL) {
			log_error("%s", cause);
			free(cause);
			event_base_free(m->base);
			pipeline_free(m->pipe);
			store_close(m->store);
			record_close(m->record);
			free(m);
			*status = EXIT_RUNTIME;
			return NULL;
		}
	}
	m->hold = mon_hold_new(m->base, m->gw, mon_reply_now, m);
	m->ctl = ctl_new(m->base, &cc, &cbs, m);
	m->sigint = evsignal_new(m->base, SIGINT, mon_stop_cb, m);
	m->sigterm = evsignal_new(m->base, SIGTERM, mon_stop_cb, m);
	evsignal_add(m->sigint, NULL);
	evsignal_add(m->sigterm, NULL);
	if (setup->reload) {
		m->sighup = evsignal_new(m->base, SIGHUP, mon_hup_cb, m);
		evsignal_add(m->sighup, NULL);
	}
	/*
	 * No periodic timer: the store's is armed when rows wait (its wake),
	 * Retention's hourly when there is one, the cross-check's a minute
	 * apart while attached (a designed query of Tor).
	 */
	m->tick = evtimer_new(m->base, mon_tick_cb, m);
	store_set_wake(m->store, mon_store_wake, m);
	if (getenv("ISOAUDIT_TEST_FLUSH_MS") != NULL)
		store_set_window(m->store,
		    strtol(getenv("ISOAUDIT_TEST_FLUSH_MS"), NULL, 10));
	m->prune = evtimer_new(m->base, mon_prune_cb, m);
	if (m->retention > 0)
		mon_arm(m->prune, 0);
	m->xcheck = evtimer_new(m->base, mon_xcheck_cb, m);
	if (m->ktrack != NULL) {
		m->ktrack_ev = event_new(m->base, ktrack_fd(m->ktrack),
		    EV_READ | EV_PERSIST, mon_ktrack_cb, m);
		event_add(m->ktrack_ev, NULL);
	}
	if (o->duration > 0) {
		struct timeval tv;

		tv.tv_sec = (time_t)o->duration;
		tv.tv_usec = (suseconds_t)((o->duration - (double)tv.tv_sec) *
		    1e6);
		m->timer = evtimer_new(m->base, mon_stop_cb, m);
		evtimer_add(m->timer, &tv);
	}
	*status = EXIT_OK;
	return m;
}

struct event_base *
monitor_base(struct monitor *m)
{
	return m->base;
}

struct ctl *
monitor_ctl(struct monitor *m)
{
	return m->ctl;
}

const char *
monitor_privilege(const struct monitor *m)
{
	return m->priv_brief;
}

struct store *
monitor_store(struct monitor *m)
{
	return m->store;
}

struct pipeline *
monitor_pipeline(struct monitor *m)
{
	return m->pipe;
}

/*
 * Shutdown: once the loop has ended, SIGINT, SIGTERM and SIGHUP wait
 * (blocked) until the session's end and the last rows are committed and
 * the files closed.  libevent gives a signal back its default action when
 * its event is freed, so a second SIGTERM (systemd's, an impatient
 * operator's) or a SIGHUP (a reload racing the stop) killed isoaudit
 * before its final commit.  SIGKILL and SIGQUIT still end a process that
 * is stuck; the final commit itself waits at most STORE_BUSY_MS for a lock.
 */
static void
mon_signals_hold(struct monitor *m)
{
	sigset_t set;

	if (m->held)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &m->held_mask) == 0)
		m->held = 1;
}

/*
 * After the final commit: the signals held are dropped and ignored from
 * now on (monitor_close is the last thing a run does; one more SIGTERM
 * while it exits must not turn exit 0 into death by a signal).
 */
static void
mon_signals_release(struct monitor *m)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t pending;
	size_t i;
	int n = 0;

	if (!m->held)
		return;
	m->held = 0;
	if (sigpending(&pending) == 0)
		for (i = 0; i < 3; i++)
			n += sigismember(&pending, sigs[i]) == 1;
	if (n > 0)
		log_debug("signals during shutdown waited for the final "
		    "commit; dropped");
	/* Setting SIG_IGN discards a pending signal (POSIX). */
	for (i = 0; i < 3; i++)
		signal(sigs[i], SIG_IGN);
	sigprocmask(SIG_SETMASK, &m->held_mask, NULL);
}

int
monitor_run(struct monitor *m)
{
	char *cause = NULL;

	if (ctl_start(m->ctl, &cause) == -1) {
		if (m->setup.fatal != NULL)
			m->setup.fatal(cause, m->setup.arg);
		else
			log_error("%s", cause);
		free(cause);
		m->status = EXIT_RUNTIME;
	} else if (m->status == EXIT_OK) {
		/* (A connect that fails at once has reported already.) */
		event_base_dispatch(m->base);
	}
	mon_signals_hold(m);
	return m->status;
}

void
monitor_stop(struct monitor *m, int status)
{
	m->status = status;
	event_base_loopbreak(m->base);
}

void
monitor_close(struct monitor *m)
{
	if (m == NULL)
		return;
	mon_signals_hold(m);
	if (m->serial != 0)
		mon_session_end(m->serial, "isoaudit stopped", time_now_us(),
		    m);
	mon_hold_free(m->hold);
	agent_gw_free(m->gw);
	ctl_free(m->ctl);
	store_set_wake(m->store, NULL, NULL);
	event_free(m->tick);
	event_free(m->prune);
	event_free(m->xcheck);
	if (m->ktrack_ev != NULL)
		event_free(m->ktrack_ev);
	if (m->timer != NULL)
		event_free(m->timer);
	event_free(m->sigint);
	event_free(m->sigterm);
	if (m->sighup != NULL)
		event_free(m->sighup);
	event_base_free(m->base);
	pipeline_free(m->pipe);
	ktrack_close(m->ktrack);
	free(m->attrib_why);
	free(m->priv_line);
	free(m->priv_brief);
	ktable_free(m->ktable);
	store_close(m->store);
	record_close(m->record);
	mon_signals_release(m);
	sodium_memzero(m->pc.privacy.key, sizeof m->pc.privacy.key);
	free(m);
}
