/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ctl.c: the control connection.  One bufferevent; commands go out at once
 * and their completion handlers wait in a FIFO, since Tor answers commands
 * in order; 650 events may come between a command and its reply and go
 * straight to the application.  Anything that ends a connection from
 * inside a read callback is only noted there and acted on once the
 * callback has finished with the buffer.  PROTOCOLINFO and authentication
 * are ctl_auth.c's; ctl_attach probes that the far end is Tor itself and
 * not a filtering proxy, and only then does the session start.
 */
#define ISOAUDIT_PRIVATE

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>

#include "buf.h"
#include "ctl_int.h"
#include "log.h"
#include "record.h"
#include "reply.h"
#include "smuggle.h"
#include "xmalloc.h"
#include "timeutil.h"

#define CTL_BACKOFF_MAX		30	/* seconds */
#define CTL_MALFORMED_SHOWN	10	/* malformed lines logged a session */
#define CTL_SHOWN_MAX		200	/* bytes of a reply in a message */

/*
 * Discovery, when no control address is named (December 2026 sources):
 *
 * - Debian's tor package (/usr/share/tor/tor-service-defaults-torrc, the
 *   tor@default unit): "ControlSocket /run/tor/control GroupWritable
 *   RelaxDirModeCheck", CookieAuthentication with CookieAuthFile
 *   /run/tor/control.authcookie, group-readable; no TCP ControlPort.
 * - Whonix-Gateway (github.com/Whonix/anon-gw-anonymizer-config,
 *   etc/torrc.d/65_gateway.conf): "ControlPort 9052" and
 *   CookieAuthentication 1 beside Debian's socket above.  127.0.0.1:9051
 *   is onion-grater (github.com/Whonix/onion-grater, usr/lib/onion-grater,
 *   which itself talks to Tor at 127.0.0.1:9052), whose default profile
 *   (anon-gw-anonymizer-config, etc/onion-grater-merger.d/
 *   30_whonix-default.yml) accepts SETEVENTS STREAM CIRC SIGNAL
 *   CONF_CHANGED and suppresses those events, and refuses any GETINFO but
 *   a few single keys with "510 Command filtered".
 * - Tails (config/chroot_local-includes/etc/tor/torrc in the Tails tree):
 *   "ControlPort 127.0.0.1:9052", no ControlSocket; applications reach
 *   Tor through Tails' onion-grater (its own unit: port 951, on 0.0.0.0).
 *
 * So Tor's own socket first, then Tor's own port on these systems, then
 * the port Tor's documentation names.  Whatever answers is probed
 * (CTL_PROBE) before a session starts: a filter is skipped.
 */
const char *const ctl_default_candidates[] = {
	"unix:/run/tor/control",
	"127.0.0.1:9052",
	"127.0.0.1:9051",
	NULL
};

static void	ctl_connect(struct ctl *);
static void	ctl_teardown(struct ctl *);
static void	ctl_arm_timeout(struct ctl *);

struct ctl *
ctl_new(struct event_base *base, const struct ctl_config *cfg,
    const struct ctl_cbs *cbs, void *arg)
{
	struct ctl *c = xcalloc(1, sizeof *c);

	c->base = base;
	c->cbs = *cbs;
	c->arg = arg;
	if (cfg->address != NULL) {
		c->candidates[c->ncandidates++] = xstrdup(cfg->address);
	} else {
		const char *const *list = cfg->candidates != NULL &&
		    cfg->candidates[0] != NULL ? cfg->candidates :
		    ctl_default_candidates;

		c->discovering = 1;
		while (*list != NULL && c->ncandidates < CTL_MAX_CANDIDATES)
			c->candidates[c->ncandidates++] = xstrdup(*list++);
	}
	if (cfg->cookie_file != NULL)
		c->cookie_file = xstrdup(cfg->cookie_file);
	if (cfg->password_file != NULL)
		c->password_file = xstrdup(cfg->password_file);
	if (cfg->events != NULL)
		c->events = xstrdup(cfg->events);
	c->withhold = cfg->withhold;
	c->auth = cfg->auth;
	c->record = cfg->record;
	c->max_attempts = cfg->max_attempts;
	c->backoff = 1;
	TAILQ_INIT(&c->queue);
	buf_init(&c->tried);
	return c;
}

const char *
ctl_address(const struct ctl *c)
{
	return c->candidates[c->candidate];
}

int64_t
ctl_retry_at(const struct ctl *c)
{
	return c->state == CTL_ATTACHED ? 0 : c->retry_at;
}

static void
ctl_queue_clear(struct ctl *c)
{
	struct ctl_cmd *cmd;

	while ((cmd = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, cmd, entry);
		free(cmd);
	}
}

static void
ctl_teardown(struct ctl *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	ctl_queue_clear(c);
	if (c->timeout_ev != NULL)
		evtimer_del(c->timeout_ev);
	if (c->parser != NULL)
		reply_parser_reset(c->parser);
	smuggle_reset(c->smuggle);
	ctl_auth_reset(c);
	c->setup_pending = 0;
	c->partial = 0;
	c->answered = 0;
	c->state = CTL_IDLE;
}

void
ctl_free(struct ctl *c)
{
	int i;

	if (c == NULL)
		return;
	if (c->state == CTL_ATTACHED && c->bev != NULL) {
		/* Be polite: QUIT, flushed synchronously as we close. */
		int fd = bufferevent_getfd(c->bev);

		if (fd != -1)
			(void)!write(fd, "QUIT\r\n", 6);
		record_to_tor(c->record, "QUIT", 4, time_now_us());
	}
	ctl_teardown(c);
	if (c->retry_ev != NULL)
		event_free(c->retry_ev);
	if (c->timeout_ev != NULL)
		event_free(c->timeout_ev);
	smuggle_free(c->smuggle);
	reply_parser_free(c->parser);
	for (i = 0; i < c->ncandidates; i++)
		free(c->candidates[i]);
	free(c->cookie_file);
	free(c->password_file);
	free(c->events);
	ctl_auth_free(c);
	free(c->failure);
	buf_free(&c->tried);
	free(c);
}

void
ctl_send(struct ctl *c, const char *line, ctl_done_fn done)
{
	struct ctl_cmd *cmd = xcalloc(1, sizeof *cmd);
	struct evbuffer *out = bufferevent_get_output(c->bev);

	cmd->done = done;
	TAILQ_INSERT_TAIL(&c->queue, cmd, entry);
	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\r\n", 2);
	record_to_tor(c->record, line, strlen(line), time_now_us());
	/* Until the session is set up, each command has its time to be
	 * answered (also after a password prompt held the loop). */
	if (c->setup_pending > 0 || c->state != CTL_ATTACHED)
		ctl_arm_timeout(c);
}

int
ctl_command(struct ctl *c, const char *line)
{
	if (c->state != CTL_ATTACHED || strpbrk(line, "\r\n") != NULL)
		return -1;
	ctl_send(c, line, NULL);
	return 0;
}

/* The first failure noted wins; ctl_after_read acts on it. */
void
ctl_fail(struct ctl *c, int fatal, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->failure != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = xstrdup("control connection failed");
	va_end(ap);
	c->failure = msg;
	c->failure_fatal = fatal;
}

static void
ctl_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	ctl_connect(c);
}

static void
ctl_schedule_retry(struct ctl *c)
{
	struct timeval tv = { c->backoff, 0 };

	if (c->retry_ev == NULL)
		c->retry_ev = evtimer_new(c->base, ctl_retry_cb, c);
	evtimer_add(c->retry_ev, &tv);
	c->retry_at = time_mono_us() + (int64_t)c->backoff * 1000000;
	c->backoff = c->backoff * 2 > CTL_BACKOFF_MAX ? CTL_BACKOFF_MAX :
	    c->backoff * 2;
}

/*
 * Where else Tor's own control port may be, for the advice after a filter
 * at addr: the default candidates but addr, " or " between them
 * (allocated).
 */
static char *
ctl_alternatives(const char *addr)
{
	struct buf b;
	const char *const *p;
	char *out;

	buf_init(&b);
	for (p = ctl_default_candidates; *p != NULL; p++) {
		if (strcmp(*p, addr) == 0)
			continue;
		if (b.len > 0)
			buf_adds(&b, " or ");
		buf_adds(&b, *p);
	}
	out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* A filter at the current address ends it all: the one line to show. */
static char *
ctl_filter_message(struct ctl *c, const char *msg)
{
	char *alt = ctl_alternatives(ctl_address(c)), *m;

	m = xasprintf("%s %s; point isoaudit at Tor's own control port: "
	    "--control %s", ctl_address(c), msg, alt);
	free(alt);
	return m;
}

/*
 * The connection ended (or never got going).  Before the first session:
 * try the next candidate address, else report a fatal error.  After it:
 * end the session and reconnect with backoff.  A filtering proxy (kind
 * CTL_FAIL_FILTER) is never reconnected to: discovery skips it, a named
 * address is an error.
 */
static void
ctl_handle_failure(struct ctl *c, const char *why, int kind)
{
	int was_attached = c->state == CTL_ATTACHED;
	int64_t now = time_now_us();
	char *msg = xstrdup(why);

	ctl_teardown(c);
	if (was_attached) {
		if (c->cbs.session_end != NULL)
			c->cbs.session_end(c->serial, msg, now, c->arg);
		if (kind != CTL_FAIL_FILTER) {
			log_warnx("lost the control connection to Tor at %s "
			    "(%s); reconnecting in %d s", ctl_address(c), msg,
			    c->backoff);
			c->attempts = 0;
			ctl_schedule_retry(c);
			free(msg);
			return;
		}
		/* A session that never got its events does not count. */
		if (!c->ever_ready)
			c->ever_attached = 0;
	}
	if (kind == CTL_FAIL_FILTER && (c->ever_ready || !c->discovering ||
	    c->ncandidates == 1)) {
		char *m = ctl_filter_message(c, msg);

		if (c->cbs.fatal != NULL)
			c->cbs.fatal(m, c->arg);
		free(m);
		free(msg);
		return;
	}
	if (!c->ever_attached) {
		if (kind == CTL_FAIL_FILTER)
			c->saw_filter = 1;
		if (kind != CTL_FAIL_FATAL &&
		    c->candidate + 1 < c->ncandidates) {
			log_debug("%s: %s; trying the next address",
			    ctl_address(c), msg);
			buf_printf(&c->tried, "%s: %s; ", ctl_address(c), msg);
			c->candidate++;
			free(msg);
			ctl_connect(c);
			return;
		}
		if (c->tried.len == 0 && kind == CTL_FAIL_RETRY) {
			char *one = xasprintf("cannot reach Tor's control port "
			    "at %s: %s", ctl_address(c), msg);

			free(msg);
			msg = one;
		} else if (c->tried.len > 0 && c->saw_filter) {
			char *all = xasprintf("cannot reach Tor's own control "
			    "port (tried %s%s: %s); point isoaudit at Tor's "
			    "ControlPort or ControlSocket, not at a filter, with "
			    "--control", buf_cstr(&c->tried), ctl_address(c),
			    msg);

			free(msg);
			msg = all;
		} else if (c->tried.len > 0) {
			char *all = xasprintf("cannot reach Tor's control port "
			    "(tried %s%s: %s); start Tor with ControlPort or "
			    "ControlSocket, or name it with --control",
			    buf_cstr(&c->tried), ctl_address(c), msg);

			free(msg);
			msg = all;
		}
		if (c->cbs.fatal != NULL)
			c->cbs.fatal(msg, c->arg);
		free(msg);
		return;
	}
	c->attempts++;
	if (c->max_attempts > 0 && c->attempts >= c->max_attempts) {
		char *m = xasprintf("%s (gave up after %d attempts)", msg,
		    c->attempts);

		if (c->cbs.fatal != NULL)
			c->cbs.fatal(m, c->arg);
		free(m);
		free(msg);
		return;
	}
	if (kind == CTL_FAIL_FATAL)
		log_warnx("%s; retrying in %d s", msg, c->backoff);
	else
		log_warnx("cannot reach Tor at %s: %s; retrying in %d s",
		    ctl_address(c), msg, c->backoff);
	ctl_schedule_retry(c);
	free(msg);
}

static void
ctl_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	char *why;

	(void)fd;
	(void)what;
	if (c->timeout_overall)
		why = xasprintf("no Tor session set up within %d s (answers "
		    "too slow)", CTL_HANDSHAKE_TIMEOUT);
	else
		why = xasprintf("no answer within %d s", CTL_ANSWER_TIMEOUT);
	ctl_handle_failure(c, why, CTL_FAIL_RETRY);
	free(why);
}

int64_t
ctl_timeout_us(int64_t now, int64_t deadline, int *overall)
{
	int64_t answer = (int64_t)CTL_ANSWER_TIMEOUT * 1000000;
	int64_t left = deadline - now;

	if (left < 0)
		left = 0;
	*overall = left < answer;
	return *overall ? left : answer;
}

void
ctl_extend_deadline(struct ctl *c, int64_t us)
{
	if (us > 0)
		c->deadline += us;
}

/*
 * (Re)starts the clock for an answer while connecting and setting up:
 * each answer has CTL_ANSWER_TIMEOUT, the whole handshake (connect,
 * PROTOCOLINFO, authentication, the probe, the start-up queries)
 * CTL_HANDSHAKE_TIMEOUT, so a port that answers just in time, again and
 * again, is given up all the same.
 */
static void
ctl_arm_timeout(struct ctl *c)
{
	int64_t us = ctl_timeout_us(time_mono_us(), c->deadline,
	    &c->timeout_overall);
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	if (c->timeout_ev == NULL)
		c->timeout_ev = evtimer_new(c->base, ctl_timeout_cb, c);
	evtimer_add(c->timeout_ev, &tv);
}

static void
ctl_after_read(struct ctl *c)
{
	char *why;

	if (c->failure == NULL)
		return;
	why = c->failure;
	c->failure = NULL;
	ctl_handle_failure(c, why, c->failure_fatal);
	free(why);
}

/* The first line of a reply, escaped and cut for a message (allocated). */
static char *
ctl_reply_text(const struct reply *r)
{
	size_t n;

	if (r->nlines == 0)
		return xstrdup("");
	n = r->lines[0].textlen;
	if (n <= CTL_SHOWN_MAX)
		return escape_dup(r->lines[0].text, n);
	{
		char *esc = escape_dup(r->lines[0].text, CTL_SHOWN_MAX);
		char *m = xasprintf("%s...", esc);

		free(esc);
		return m;
	}
}

int
ctl_reply_filtered(const struct reply *r)
{
	return !r->async && r->code == 510;
}

/* Notes a filter's refusal of cmd. */
static void
ctl_fail_filtered(struct ctl *c, const char *cmd, const struct reply *r)
{
	char *esc = ctl_reply_text(r);

	ctl_fail(c, CTL_FAIL_FILTER, "filters the control protocol "
	    "(onion-grater?): %s refused (%d %s)", cmd, r->code, esc);
	free(esc);
}

/* A reply to one of the session's start-up commands (cmd). */
static void
ctl_setup_reply(struct ctl *c, const char *cmd, const struct reply *r)
{
	if (ctl_reply_filtered(r)) {
		ctl_fail_filtered(c, cmd, r);
		return;
	}
	if (c->cbs.reply != NULL)
		c->cbs.reply(r, c->arg);
	if (r->code != 250) {
		char *esc = ctl_reply_text(r);

		log_warnx("Tor at %s: a start-up query failed: %d %s",
		    ctl_address(c), r->code, esc);
		free(esc);
	}
	if (--c->setup_pending == 0) {
		c->ever_ready = 1;
		if (c->timeout_ev != NULL)
			evtimer_del(c->timeout_ev);
		if (c->cbs.session_ready != NULL)
			c->cbs.session_ready(c->serial, r->ts_us, c->arg);
	}
}

static void
ctl_getinfo_done(struct ctl *c, const struct reply *r)
{
	ctl_setup_reply(c, "GETINFO", r);
}

static void
ctl_getconf_done(struct ctl *c, const struct reply *r)
{
	ctl_setup_reply(c, "GETCONF", r);
}

static void
ctl_setevents_done(struct ctl *c, const struct reply *r)
{
	if (ctl_reply_filtered(r)) {
		ctl_fail_filtered(c, "SETEVENTS STREAM CIRC", r);
		return;
	}
	if (r->code != 250) {
		char *esc = ctl_reply_text(r);

		ctl_fail(c, CTL_FAIL_FATAL, "Tor at %s refused SETEVENTS: "
		    "%d %s", ctl_address(c), r->code, esc);
		free(esc);
		return;
	}
	ctl_setup_reply(c, "SETEVENTS", r);
}

/* Whether s[0..n) is "KEY=" followed by what ok accepts. */
static int
ctl_probe_line(const struct reply_line *l, const char *key, int digits)
{
	size_t k = strlen(key), i;

	if (l->textlen <= k + 1 || strncmp(l->text, key, k) != 0 ||
	    l->text[k] != '=')
		return 0;
	if (!digits)
		return 1;
	if (l->textlen - k - 1 > 19)
		return 0;
	for (i = k + 1; i < l->textlen; i++)
		if (l->text[i] < '0' || l->text[i] > '9')
			return 0;
	return 1;
}

int
ctl_probe_check(const struct reply *r, const char *what, char **why,
    int *filtered)
{
	int version = 0, pid = 0;
	size_t i;
	char *esc;

	*filtered = 0;
	if (r->code != 250) {
		esc = ctl_reply_text(r);
		*filtered = ctl_reply_filtered(r);
		*why = xasprintf("%s%s refused (%d %s)", *filtered ?
		    "filters the control protocol (onion-grater?): " :
		    "does not answer like Tor: ", what, r->code, esc);
		free(esc);
		return -1;
	}
	for (i = 0; i + 1 < r->nlines; i++) {
		if (r->lines[i].code != 250)
			continue;
		version |= ctl_probe_line(&r->lines[i], "version", 0);
		pid |= ctl_probe_line(&r->lines[i], "process/pid", 1);
	}
	if (!version || !pid) {
		*why = xasprintf("does not answer like Tor: %s answered "
		    "without %s", what, !version ? "version" : "process/pid");
		return -1;
	}
	return 0;
}

/* The session: announced, then events and the initial state asked for. */
static void
ctl_session_begin(struct ctl *c, const struct reply *r)
{
	const char *addr = ctl_address(c);

	c->state = CTL_ATTACHED;
	c->serial++;
	c->attempts = 0;
	c->backoff = 1;
	c->malformed = 0;
	if (c->ever_attached)
		log_info("reconnected to Tor at %s (Tor session %u)", addr,
		    c->serial);
	else if (c->saw_filter && c->tried.len >= 2)
		log_info("using Tor's own control port at %s (tried %.*s)",
		    addr, (int)(c->tried.len - 2), buf_cstr(&c->tried));
	c->ever_attached = 1;
	if (c->cbs.session_start != NULL)
		c->cbs.session_start(c->serial, addr,
		    ctl_auth_name(c->method), r->ts_us, c->arg);
	c->setup_pending = 3;
	c->retry_at = 0;
	if (c->events != NULL) {
		char *cmd = xasprintf("SETEVENTS STREAM CIRC SIGNAL "
		    "CONF_CHANGED %s", c->events);

		ctl_send(c, cmd, ctl_setevents_done);
		free(cmd);
	} else
		ctl_send(c, "SETEVENTS STREAM CIRC SIGNAL CONF_CHANGED",
		    ctl_setevents_done);
	ctl_send(c, "GETINFO version process/pid status/bootstrap-phase "
	    "circuit-status stream-status net/listeners/socks "
	    "net/listeners/trans net/listeners/dns net/listeners/httptunnel",
	    ctl_getinfo_done);
	/* The onion services added with ADD_ONION Flags=Detach (the
	 * pipeline's, by its key); not part of the start-up (an older Tor
	 * may not know the key).  Before GETCONF, whose answer ends the
	 * start-up: a reply after it is never taken for this one's. */
	ctl_send(c, "GETINFO onions/detached", NULL);
	ctl_send(c, "GETCONF SocksPort TransPort DNSPort HTTPTunnelPort",
	    ctl_getconf_done);
}

/* The probe's answer: Tor's own port starts a session, a filter not. */
static void
ctl_probe_done(struct ctl *c, const struct reply *r)
{
	char *why = NULL;
	int filtered;

	if (ctl_probe_check(r, CTL_PROBE, &why, &filtered) == -1) {
		ctl_fail(c, CTL_FAIL_FILTER, "%s", why);
		free(why);
		return;
	}
	ctl_session_begin(c, r);
}

void
ctl_attach(struct ctl *c, const struct reply *r)
{
	(void)r;
	ctl_send(c, CTL_PROBE, ctl_probe_done);
}

static void
ctl_reply_cb(const struct reply *r, void *arg)
{
	struct ctl *c = arg;
	struct ctl_cmd *cmd;
	ctl_done_fn done;

	if (c->failure != NULL)
		return;
	if (r->async) {
		if (c->state == CTL_ATTACHED && c->cbs.reply != NULL)
			c->cbs.reply(r, c->arg);
		return;
	}
	if ((cmd = TAILQ_FIRST(&c->queue)) == NULL) {
		log_warnx("Tor at %s sent a reply to no command (%d), ignored",
		    ctl_address(c), r->code);
		return;
	}
	TAILQ_REMOVE(&c->queue, cmd, entry);
	done = cmd->done;
	free(cmd);
	if (done != NULL)
		done(c, r);
	else if (c->cbs.reply != NULL)
		c->cbs.reply(r, c->arg);
}

static void
ctl_parse_error(const char *what, const char *s, size_t n, void *arg)
{
	struct ctl *c = arg;
	char *esc;
	size_t shown, w;

	if (c->cbs.malformed != NULL && strcmp(what, "malformed line") == 0)
		c->cbs.malformed(s, n, c->arg);
	c->malformed++;
	if (c->malformed > CTL_MALFORMED_SHOWN)
		return;
	/* As the pipeline's malformed events: in clear only with LogTargets
	 * plain; else a reply line's code, event and id, or nothing (a
	 * smuggled line's first word is the client's). */
	shown = n > 200 ? 200 : n;
	if (c->withhold != NULL) {
		w = n >= 4 && s[0] >= '0' && s[0] <= '9' ? words_len(s, n, 3) : 0;
		if (w < shown)
			shown = w;
	}
	esc = escape_dup(s, shown);
	if (c->withhold != NULL && shown < n)
		log_warnx("Tor at %s: %s, skipped: %s%s(%zu bytes withheld: "
		    "LogTargets %s)", ctl_address(c), what, esc,
		    shown > 0 ? " " : "", n - shown, c->withhold);
	else
		log_warnx("Tor at %s: %s, skipped: %s%s", ctl_address(c),
		    what, esc, n > shown ? "..." : "");
	if (c->malformed == CTL_MALFORMED_SHOWN)
		log_warnx("Tor at %s: further malformed lines this session "
		    "are skipped without a message", ctl_address(c));
	free(esc);
}

/* Lines a SOCKS client smuggled, dropped before the parser. */
static void
ctl_smuggled(const struct smuggle_found *f, void *arg)
{
	struct ctl *c = arg;

	if (c->state == CTL_ATTACHED && c->cbs.injection != NULL)
		c->cbs.injection(f, c->arg);
}

static void
ctl_line_hook(const char *s, size_t n, int64_t ts, void *arg)
{
	struct ctl *c = arg;

	record_from_tor(c->record, s, n, ts);
}

#define CTL_FOREIGN_SHOWN	24	/* bytes of a foreign answer quoted */
#define CTL_TOR_SOCKS_PAGE	"Tor is not an HTTP Proxy"

char *
ctl_foreign_answer(const char *s, size_t n)
{
	size_t line, shown;
	char *esc, *m;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return NULL;
	for (line = 0; line < n && s[line] != '\n'; line++)
		;
	if (n >= 5 && memcmp(s, "HTTP/", 5) == 0) {
		if (memmem(s, line, CTL_TOR_SOCKS_PAGE,
		    strlen(CTL_TOR_SOCKS_PAGE)) != NULL)
			return xstrdup("is Tor's SocksPort, not a ControlPort "
			    "(it answered PROTOCOLINFO with Tor's \""
			    CTL_TOR_SOCKS_PAGE "\" page)");
		return xstrdup("answers in HTTP, not Tor's control protocol "
		    "(a web server or an HTTP proxy, not a ControlPort)");
	}
	if (s[0] == '<')
		return xstrdup("answers in HTML, not Tor's control protocol "
		    "(a web server, not a ControlPort)");
	if ((unsigned char)s[0] == 0x05 || (unsigned char)s[0] == 0x00)
		return xstrdup("answers in SOCKS, not Tor's control protocol "
		    "(a SOCKS proxy, not a ControlPort)");
	shown = line < CTL_FOREIGN_SHOWN ? line : CTL_FOREIGN_SHOWN;
	esc = escape_dup(s, shown);
	m = xasprintf("does not speak Tor's control protocol (its answer "
	    "begins \"%s%s\"), not a ControlPort", esc,
	    shown < n ? "..." : "");
	free(esc);
	return m;
}

/*
 * A control reply begins with a digit: anything else, first thing on a
 * connection, is another kind of port, said once and given up (a named
 * address stops; discovery tries the next), not ten "malformed lines".
 */
static int
ctl_check_foreign(struct ctl *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	size_t k = len < 128 ? len : 128;
	const char *p;
	char *why;

	if (c->answered || len == 0)
		return 0;
	c->answered = 1;
	if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)k)) == NULL ||
	    (why = ctl_foreign_answer(p, k)) == NULL)
		return 0;
	ctl_fail(c, CTL_FAIL_FILTER, "%s", why);
	free(why);
	evbuffer_drain(in, len);
	return -1;
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[8];
	int64_t now = time_now_us();
	int n, i;

	if (ctl_check_foreign(c, in) == -1) {
		ctl_after_read(c);
		return;
	}
	while (c->failure == NULL && evbuffer_get_length(in) > 0) {
		size_t used = 0;

		n = evbuffer_peek(in, -1, NULL, v, 8);
		if (n > 8)
			n = 8;
		for (i = 0; i < n && c->failure == NULL; i++) {
			const char *nl = memrchr(v[i].iov_base, '\n',
			    v[i].iov_len);

			reply_parser_feed(c->parser, v[i].iov_base,
			    v[i].iov_len, now);
			used += v[i].iov_len;
			c->partial = nl == NULL ? c->partial + v[i].iov_len :
			    v[i].iov_len - (size_t)(nl -
			    (const char *)v[i].iov_base) - 1;
		}
		evbuffer_drain(in, used);
		if (c->bev == NULL)
			break;
	}
	/* A window of smuggled lines ends with the read (smuggle.h). */
	if (c->failure == NULL && c->bev != NULL)
		smuggle_end_read(c->smuggle);
	ctl_after_read(c);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		ctl_auth_begin(c);
		return;
	}
	/* Anything noted while reading comes first: it says why. */
	if (c->failure != NULL) {
		ctl_after_read(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && c->partial > 0) {
		/* What the parser holds of an unfinished line is lost. */
		char *why = xasprintf("Tor closed the connection%s in the "
		    "middle of a line (%zu bytes discarded)",
		    c->state == CTL_ATTACHED ? "" : " before authentication",
		    c->partial);

		ctl_handle_failure(c, why, 0);
		free(why);
	} else if (what & BEV_EVENT_EOF)
		ctl_handle_failure(c, c->state == CTL_ATTACHED ?
		    "Tor closed the connection" : !c->answered ?
		    "the port closed the connection without answering "
		    "PROTOCOLINFO (not a ControlPort? Tor's HTTPTunnelPort "
		    "does that)" :
		    "Tor closed the connection before authentication", 0);
	else if (what & BEV_EVENT_ERROR) {
		char *why = xasprintf("%s", err ?
		    evutil_socket_error_to_string(err) : "connection error");

		ctl_handle_failure(c, why, 0);
		free(why);
	}
}

/* Fills a sockaddr for "unix:/p", "/p", "host:port", "[v6]:port", "port". */
static int
ctl_sockaddr(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
    char **why)
{
	const char *path = NULL;
	char host[256], *colon;
	const char *port;
	struct addrinfo hints, *res;
	int rc;

	if (strncmp(addr, "unix:", 5) == 0)
		path = addr + 5;
	else if (addr[0] == '/')
		path = addr;
	if (path != NULL) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		if (strlen(path) >= sizeof sun->sun_path) {
			*why = xstrdup("socket path too long");
			return -1;
		}
		memset(sun, 0, sizeof *sun);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		*len = sizeof *sun;
		return 0;
	}
	if (strspn(addr, "0123456789") == strlen(addr)) {
		snprintf(host, sizeof host, "127.0.0.1");
		port = addr;
	} else {
		if (strlen(addr) >= sizeof host) {
			*why = xstrdup("address too long");
			return -1;
		}
		snprintf(host, sizeof host, "%s", addr[0] == '[' ?
		    addr + 1 : addr);
		if ((colon = strrchr(host, ':')) == NULL) {
			*why = xstrdup("no port (use host:port or unix:/path)");
			return -1;
		}
		*colon = '\0';
		port = addr + (colon - host) + (addr[0] == '[' ? 2 : 1);
		if (addr[0] == '[') {
			char *rb = strchr(host, ']');

			if (rb == NULL) {
				*why = xstrdup("bad IPv6 address");
				return -1;
			}
			*rb = '\0';
		}
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		*why = xasprintf("%s", gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
ctl_connect(struct ctl *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *why = NULL;

	ctl_teardown(c);
	if (c->parser == NULL) {
		c->parser = reply_parser_new(ctl_reply_cb, ctl_parse_error, c);
		reply_parser_set_line_hook(c->parser, ctl_line_hook);
		c->smuggle = smuggle_new(c->parser, ctl_smuggled, c);
	}
	if (ctl_sockaddr(ctl_address(c), &ss, &len, &why) == -1) {
		char *m = xasprintf("bad control address %s: %s",
		    ctl_address(c), why);

		free(why);
		ctl_handle_failure(c, m, 1);
		free(m);
		return;
	}
	c->bev = bufferevent_socket_new(c->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, ctl_read_cb, NULL, ctl_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = CTL_CONNECTING;
	c->deadline = time_mono_us() +
	    (int64_t)CTL_HANDSHAKE_TIMEOUT * 1000000;
	ctl_arm_timeout(c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss,
	    (int)len) == -1) {
		int err = EVUTIL_SOCKET_ERROR();
		char *m = xasprintf("%s", err ?
		    evutil_socket_error_to_string(err) : "cannot connect");

		ctl_handle_failure(c, m, 0);
		free(m);
	}
}

int
ctl_start(struct ctl *c, char **cause)
{
	if (sodium_init() == -1) {
		*cause = xstrdup("libsodium failed to initialise");
		return -1;
	}
	ctl_connect(c);
	return 0;
}
