/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * replayer.c: transcript lines into a pipeline (see replayer.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "replayer.h"
#include "reply.h"
#include "smuggle.h"
#include "xmalloc.h"

struct replayer {
	struct pipeline		*pipe;
	struct reply_parser	*parser;
	struct smuggle		*smuggle;	/* as live (ctl.c) */
	const char		*path;
	int64_t			 base_ts;
	uintmax_t		 lineno;
	unsigned		 session;
	int			 in_session;
	int			 notes;		/* a "# session" note seen */
	int			 implicit;	/* the session is ours */
	int			 ready;		/* ... and said ready */
	uintmax_t		 outside;	/* events outside a session */
	int64_t			 last_ts;	/* the last line's time */
	unsigned		 problems;
	int			 transcript;	/* commands ('>') recorded */
	unsigned		 pending;	/* commands not answered yet */
	struct buf		 held;		/* a '<' line: time, then text */
	int			 have_held;
};

static void
replayer_reply(const struct reply *r, void *arg)
{
	struct replayer *rp = arg;

	/*
	 * A transcript without session notes (cut, or written by another
	 * tool) is one Tor session from its first event, as a bare capture
	 * is: said once.  (Replies before a "session start" note are the
	 * handshake's, which ctl keeps to itself.)
	 */
	if (rp->transcript && !rp->notes && !rp->in_session && r->async) {
		log_warnx("%s: no session notes; replayed as one Tor session",
		    rp->path);
		rp->session = 1;
		rp->in_session = 1;
		rp->implicit = 1;
		pipeline_session_start(rp->pipe, 1, rp->path, "transcript",
		    r->ts_us);
	}
	if (rp->implicit && !rp->ready && r->async) {
		pipeline_session_ready(rp->pipe, 1, r->ts_us);
		rp->ready = 1;
	}
	if (r->async && !rp->in_session) {
		/* Live, events come only within a session. */
		rp->outside++;
		return;
	}
	/*
	 * As live: a reply that answers no command is dropped (ctl says so
	 * and hands it to nobody).  A bare capture has no commands to count.
	 */
	if (rp->transcript && !r->async) {
		if (rp->pending == 0) {
			log_warnx("%s:%ju: a reply to no command (%d), ignored",
			    rp->path, rp->lineno, r->code);
			return;
		}
		rp->pending--;
		/* Before a session (PROTOCOLINFO, AUTHENTICATE, ctl's probe)
		 * ctl keeps the replies to itself. */
		if (!rp->in_session)
			return;
	}
	pipeline_reply(rp->pipe, r);
}

static void
replayer_problem(const char *what, const char *s, size_t n, void *arg)
{
	struct replayer *rp = arg;
	const char *wh;
	char *esc;
	size_t shown, w;

	/* The rest of an event a line break cut: the pipeline decides. */
	if (strcmp(what, "malformed line") == 0)
		pipeline_not_reply(rp->pipe, s, n);
	if (++rp->problems > 10)
		return;
	/* As ctl.c: a line's rest only with LogTargets plain. */
	shown = n > 200 ? 200 : n;
	if ((wh = pipeline_withhold(rp->pipe)) != NULL) {
		w = n >= 4 && s[0] >= '0' && s[0] <= '9' ? words_len(s, n, 3) : 0;
		if (w < shown)
			shown = w;
	}
	esc = escape_dup(s, shown);
	if (wh != NULL && shown < n)
		log_warnx("%s:%ju: %s, skipped: %s%s(%zu bytes withheld: "
		    "LogTargets %s)", rp->path, rp->lineno, what, esc,
		    shown > 0 ? " " : "", n - shown, wh);
	else
		log_warnx("%s:%ju: %s, skipped: %s%s", rp->path, rp->lineno,
		    what, esc, n > shown ? "..." : "");
	free(esc);
}

/* Lines a SOCKS client smuggled, dropped before the parser as live. */
static void
replayer_smuggled(const struct smuggle_found *f, void *arg)
{
	struct replayer *rp = arg;

	if (!rp->in_session)
		return;
	if (f->unsure)
		pipeline_unsure(rp->pipe);
	else
		pipeline_injection(rp->pipe, f->stream, f->lines, f->tail,
		    f->tail_len, f->ts);
}

static void
replayer_end_session(struct replayer *rp, const char *why, int64_t ts)
{
	if (!rp->in_session)
		return;
	/* Live, the read that brought them ended before. */
	smuggle_end_read(rp->smuggle);
	pipeline_session_end(rp->pipe, rp->session, why, ts);
	reply_parser_reset(rp->parser);
	rp->in_session = 0;
	rp->pending = 0;	/* the connection took them along */
}

/* Acts on "# session N start ADDR METHOD", "... ready", "... end WHY". */
static void
replayer_note(struct replayer *rp, const struct record_line *l)
{
	char *s = xstrndup(l->text, l->len), *word, *rest;
	unsigned serial;
	int used = 0;

	if (sscanf(s, "session %u %n", &serial, &used) != 1 || used == 0) {
		free(s);
		return;
	}
	word = s + used;
	rest = strchr(word, ' ');
	if (rest != NULL)
		*rest++ = '\0';
	rp->notes = 1;
	if (strcmp(word, "start") == 0) {
		char *addr = rest ? rest : xstrdup("?"), *method;

		replayer_end_session(rp, "transcript", l->ts_us);
		method = rest ? strchr(rest, ' ') : NULL;
		if (method != NULL)
			*method++ = '\0';
		rp->session = serial;
		rp->in_session = 1;
		pipeline_session_start(rp->pipe, serial, addr,
		    method ? method : "?", l->ts_us);
		if (rest == NULL)
			free(addr);
	} else if (strcmp(word, "ready") == 0)
		pipeline_session_ready(rp->pipe, serial, l->ts_us);
	else if (strcmp(word, "end") == 0)
		replayer_end_session(rp, rest ? rest : "", l->ts_us);
	free(s);
}

struct replayer *
replayer_new(struct pipeline *pipe, const char *path, int64_t base_ts)
{
	struct replayer *rp = xcalloc(1, sizeof *rp);

	rp->pipe = pipe;
	rp->path = path;
	rp->base_ts = base_ts;
	buf_init(&rp->held);
	rp->parser = reply_parser_new(replayer_reply, replayer_problem, rp);
	rp->smuggle = smuggle_new(rp->parser, replayer_smuggled, rp);
	return rp;
}

/* Gives the '<' line held back to the reply parser. */
static void
replayer_flush(struct replayer *rp)
{
	int64_t ts;

	if (!rp->have_held)
		return;
	/* The held line's time rides in held's prefix. */
	memcpy(&ts, rp->held.p, sizeof ts);
	reply_parser_line(rp->parser, rp->held.p + sizeof ts,
	    rp->held.len - sizeof ts, ts);
	rp->have_held = 0;
}

void
replayer_line(struct replayer *rp, struct record_line *l, int transcript)
{
	rp->lineno++;
	rp->transcript = transcript;
	if (!transcript)
		l->ts_us = rp->base_ts + (int64_t)rp->lineno;
	rp->last_ts = l->ts_us;
	if (!rp->in_session && !transcript) {
		/* A bare capture is one session. */
		rp->session = 1;
		rp->in_session = 1;
		pipeline_session_start(rp->pipe, 1, rp->path, "capture",
		    l->ts_us);
	}
	/*
	 * A '<' line is held until the next line is known: an "attrib"
	 * annotation written live right after a NEW event must reach the
	 * pipeline before that event does.
	 */
	if (l->dir == '#' && l->len > 7 && strncmp(l->text, "attrib ", 7) == 0) {
		pipeline_hint(rp->pipe, l->text, l->len);
		return;
	}
	replayer_flush(rp);
	switch (l->dir) {
	case '<':
		buf_reset(&rp->held);
		buf_add(&rp->held, &l->ts_us, sizeof l->ts_us);
		buf_add(&rp->held, l->text, l->len);
		rp->have_held = 1;
		break;
	case '#':
		replayer_note(rp, l);
		break;
	case '>':
		rp->pending++;
		break;
	default:
		replayer_problem("not a transcript line", l->text, l->len, rp);
		break;
	}
}

void
replayer_end(struct replayer *rp, int transcript)
{
	replayer_flush(rp);
	smuggle_end_read(rp->smuggle);
	if (rp->in_session && !transcript)
		replayer_end_session(rp, "end of capture", rp->base_ts +
		    (int64_t)rp->lineno + 1);
	else if (rp->in_session && rp->implicit)
		replayer_end_session(rp, "end of transcript", rp->last_ts);
	if (rp->outside > 0)
		log_warnx("%s: %ju event%s outside any Tor session, ignored",
		    rp->path, rp->outside, rp->outside == 1 ? "" : "s");
}

unsigned
replayer_problems(const struct replayer *rp)
{
	return rp->problems;
}

void
replayer_free(struct replayer *rp)
{
	if (rp == NULL)
		return;
	smuggle_free(rp->smuggle);
	reply_parser_free(rp->parser);
	buf_free(&rp->held);
	free(rp);
}
