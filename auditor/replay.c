/*
 * replay.c: `isoaudit replay FILE`: a transcript (or a bare capture) through
 * the same pipeline a live session uses, with the transcript's own times.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "isoaudit.h"
#include "alert.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "reply.h"
#include "store.h"
#include "xmalloc.h"
#include <sys/stat.h>

struct replay {
	struct pipeline		*pipe;
	struct reply_parser	*parser;
	const char		*path;
	uintmax_t		 lineno;
	unsigned		 session;
	int			 in_session;
	unsigned		 problems;
	int			 transcript;	/* commands ('>') recorded */
	unsigned		 pending;	/* commands not answered yet */
};

static void
replay_reply(const struct reply *r, void *arg)
{
	struct replay *rp = arg;

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
	}
	pipeline_reply(rp->pipe, r);
}

static void
replay_problem(const char *what, const char *s, size_t n, void *arg)
{
	struct replay *rp = arg;
	char *esc;

	if (++rp->problems > 10)
		return;
	esc = escape_dup(s, n > 200 ? 200 : n);
	log_warnx("%s:%ju: %s, skipped: %s%s", rp->path, rp->lineno, what, esc,
	    n > 200 ? "..." : "");
	free(esc);
}

static void
replay_end_session(struct replay *rp, const char *why, int64_t ts)
{
	if (!rp->in_session)
		return;
	pipeline_session_end(rp->pipe, rp->session, why, ts);
	reply_parser_reset(rp->parser);
	rp->in_session = 0;
	rp->pending = 0;	/* the connection took them along */
}

/* Acts on "# session N start ADDR METHOD", "... ready", "... end WHY". */
static void
replay_note(struct replay *rp, const struct record_line *l)
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
	if (strcmp(word, "start") == 0) {
		char *addr = rest ? rest : xstrdup("?"), *method;

		replay_end_session(rp, "transcript", l->ts_us);
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
		replay_end_session(rp, rest ? rest : "", l->ts_us);
	free(s);
}

static void
alert_cb(int sev, const char *rule, const char *detail, int64_t ts, void *arg)
{
	struct opts *o = arg;

	alert_emit(o->cfg.alert == ALERT_SYSLOG ? ALERT_STDERR : o->cfg.alert, sev, rule, detail, ts);
}

int
cmd_replay(struct opts *o)
{
	struct replay rp;
	struct pipeline_config pc;
	struct record_reader *rr;
	struct record_line l;
	struct store *store = NULL;
	struct stat sb;
	struct buf held;
	enum store_err serr;
	char *cause = NULL, *source = NULL;
	int64_t base_ts = 0;
	int have_held = 0;
	FILE *f;
	int rc, status = EXIT_OK;

	if (o->argc != 1) {
		fprintf(stderr, "isoaudit: replay needs exactly one FILE (see "
		    "isoaudit --help)\n");
		return EXIT_USAGE;
	}
	if (sodium_init() == -1) {
		log_error("libsodium failed to initialise");
		return EXIT_RUNTIME;
	}
	memset(&rp, 0, sizeof rp);
	rp.path = o->argv[0];
	if (strcmp(rp.path, "-") == 0)
		f = stdin;
	else if ((f = fopen(rp.path, "re")) == NULL) {
		log_error("cannot open %s: %s", rp.path, strerror(errno));
		return EXIT_RUNTIME;
	}
	memset(&pc, 0, sizeof pc);
	pc.output = o->dump ? PIPELINE_DUMP : PIPELINE_LINES;
	pc.out = stdout;
	pc.verbose = o->verbose;
	pc.privacy.mode = o->log_targets;
	privacy_random_key(&pc.privacy);
	if (!o->dump) {
		char *dbpath = opts_db_path(o);

		store = store_open(dbpath, STORE_WRITE, &serr, &cause);
		free(dbpath);
		if (store == NULL) {
			log_error("%s", cause);
			free(cause);
			if (f != stdin)
				fclose(f);
			return EXIT_RUNTIME;
		}
		store_hash_key(store, pc.privacy.key);
		pc.store = store;
		source = xasprintf("replay:%s", rp.path);
		pc.source = source;
	}
	/* A bare capture has no times: its file's, one microsecond a line. */
	if (fstat(fileno(f), &sb) == 0)
		base_ts = (int64_t)sb.st_mtime * 1000000;
	pc.config = &o->cfg;
	pc.alert = alert_cb;
	pc.alert_arg = o;
	rp.pipe = pipeline_new(&pc);
	buf_init(&held);
	rp.parser = reply_parser_new(replay_reply, replay_problem, &rp);
	rr = record_reader_new(f);

	/*
	 * A '<' line is held until the next line is known: an "attrib"
	 * annotation written live right after a NEW event must reach the
	 * pipeline before that event does.
	 */
	for (;;) {
		rc = record_reader_next(rr, &l);
		if (rc == 1) {
			rp.lineno++;
			rp.transcript = record_reader_is_transcript(rr);
			if (!record_reader_is_transcript(rr))
				l.ts_us = base_ts + (int64_t)rp.lineno;
			if (!rp.in_session &&
			    !record_reader_is_transcript(rr)) {
				/* A bare capture is one session. */
				rp.session = 1;
				rp.in_session = 1;
				pipeline_session_start(rp.pipe, 1, rp.path,
				    "capture", l.ts_us);
			}
			if (l.dir == '#' && l.len > 7 &&
			    strncmp(l.text, "attrib ", 7) == 0) {
				pipeline_hint(rp.pipe, l.text, l.len);
				continue;
			}
		}
		if (have_held) {
			/* The held line's time rides in held's prefix. */
			int64_t ts;

			memcpy(&ts, held.p, sizeof ts);
			reply_parser_line(rp.parser, held.p + sizeof ts,
			    held.len - sizeof ts, ts);
			have_held = 0;
		}
		if (rc != 1)
			break;
		switch (l.dir) {
		case '<':
			buf_reset(&held);
			buf_add(&held, &l.ts_us, sizeof l.ts_us);
			buf_add(&held, l.text, l.len);
			have_held = 1;
			break;
		case '#':
			replay_note(&rp, &l);
			break;
		case '>':
			rp.pending++;
			break;
		default:
			replay_problem("not a transcript line", l.text, l.len,
			    &rp);
			break;
		}
	}
	if (rp.in_session && !record_reader_is_transcript(rr))
		replay_end_session(&rp, "end of capture", base_ts +
		    (int64_t)rp.lineno + 1);
	if (rc == -1) {
		log_error("cannot read %s: %s", rp.path, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (rp.problems > 10)
		log_warnx("%s: %u lines skipped in all", rp.path, rp.problems);
	record_reader_free(rr);
	reply_parser_free(rp.parser);
	pipeline_free(rp.pipe);
	buf_free(&held);
	if (store != NULL) {
		struct store_stats st;

		store_flush(store);
		store_stats(store, &st);
		if (st.failing) {
			log_error("database %s: %s", store_path(store),
			    st.last_error);
			status = EXIT_RUNTIME;
		}
		store_close(store);
	}
	free(source);
	if (f != stdin)
		fclose(f);
	if (fflush(stdout) == EOF && status == EXIT_OK) {
		log_error("cannot write the output: %s", strerror(errno));
		status = EXIT_RUNTIME;
	}
	return status;
}
