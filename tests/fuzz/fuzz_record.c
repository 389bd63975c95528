/*
 * fuzz_record.c: libFuzzer harness for the transcript reader
 * (auditor/record.c) and what replay does with what it reads.
 *
 * The input is a file for `isoaudit replay`: a transcript (`<secs>.<usec>
 * <dir> <line>`) or a bare capture.  It is read from memory (fmemopen)
 * through record_reader_next and goes the way cmd_replay sends it: '<'
 * lines held back one line and fed to reply_parser_line (in a transcript,
 * a reply to no '>' command is dropped, as live), "# attrib" annotations
 * to pipeline_hint, "# session N start|ready|end" to the session calls, a
 * bare capture made one session.  That loop is repeated here because
 * replay.c also opens the database: keep the two in step.
 * The pipeline runs twice, as `replay` (lines, the judge with the built-in
 * App map) and as `replay --dump`, writing to /dev/null, without a store.
 *
 * Each line read is also written through a recorder (as monitor --record
 * would write it, SOCKS passwords hashed) to a temporary file, which is
 * read back: the same number of lines, with the same directions and times.
 * The file is in a directory of its own under $TMPDIR (or /tmp).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "reply.h"
#include "xmalloc.h"

/* The mtime a bare capture's times start from (replay uses the file's). */
#define BASE_TS		INT64_C(1700000000000000)

static FILE		*devnull;
static struct config	 cfg;
static char		*tmpdir;
static char		*tmpfile_path;

static void
cleanup(void)
{
	if (tmpdir != NULL)
		rmdir(tmpdir);
	free(tmpfile_path);
	free(tmpdir);
}

static void
quiet(enum log_level lvl, const char *msg, void *arg)
{
	(void)lvl;
	(void)msg;
	(void)arg;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() == -1)
		abort();
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	tmpdir = xasprintf("%s/fuzz_record.XXXXXX", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		abort();
	}
	tmpfile_path = xasprintf("%s/transcript", tmpdir);
	atexit(cleanup);
	config_defaults(&cfg);
	/* Malformed events are logged; a million times is only noise. */
	log_set_sink(quiet, NULL);
	return 0;
}

struct replay {
	struct pipeline		*pipe;
	struct reply_parser	*parser;
	unsigned		 session;
	int			 in_session;
	int			 transcript;	/* commands ('>') recorded */
	unsigned		 pending;	/* commands not answered yet */
};

/* As replay.c's: a reply to no command is dropped, as live. */
static void
replay_reply(const struct reply *r, void *arg)
{
	struct replay *rp = arg;

	if (rp->transcript && !r->async) {
		if (rp->pending == 0)
			return;
		rp->pending--;
	}
	pipeline_reply(rp->pipe, r);
}

static void
replay_problem(const char *what, const char *s, size_t n, void *arg)
{
	(void)what;
	(void)s;
	(void)n;
	(void)arg;
}

static void
replay_end_session(struct replay *rp, const char *why, int64_t ts)
{
	if (!rp->in_session)
		return;
	pipeline_session_end(rp->pipe, rp->session, why, ts);
	reply_parser_reset(rp->parser);
	rp->in_session = 0;
	rp->pending = 0;
}

/* As replay.c's replay_note. */
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
check_line(const struct record_reader *rr, const struct record_line *l)
{
	CHECK(l->text != NULL);
	CHECK(memchr(l->text, '\n', l->len) == NULL);
	if (!record_reader_is_transcript(rr)) {
		CHECK(l->dir == '<' && l->ts_us == 0);
		return;
	}
	CHECK(l->dir == '<' || l->dir == '>' || l->dir == '#' ||
	    l->dir == '?');
	CHECK(l->ts_us >= 0);
}

/* What the recorder wrote: one line per line given, in order. */
struct written {
	char		*dirs;
	int64_t		*ts;
	size_t		 n;
	size_t		 cap;
};

static void
written_add(struct written *w, char dir, int64_t ts)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->dirs = xreallocarray(w->dirs, w->cap, 1);
		w->ts = xreallocarray(w->ts, w->cap, sizeof *w->ts);
	}
	w->dirs[w->n] = dir;
	w->ts[w->n] = ts;
	w->n++;
}

static void
record_line(struct record *rec, struct written *w,
    const struct record_line *l)
{
	/* record_put writes the time as secs.usecs of a time >= 0. */
	if (l->ts_us < 0)
		return;
	switch (l->dir) {
	case '<':
		record_from_tor(rec, l->text, l->len, l->ts_us);
		break;
	case '>':
		record_to_tor(rec, l->text, l->len, l->ts_us);
		break;
	case '#':
		record_note(rec, l->ts_us, "%.*s", (int)l->len, l->text);
		break;
	default:
		return;
	}
	written_add(w, l->dir, l->ts_us);
}

/* Reads the recorder's file back and compares it with what was written. */
static void
check_written(const struct written *w)
{
	struct record_reader *rr;
	struct record_line l;
	size_t i = 0;
	FILE *f;
	int rc;

	if ((f = fopen(tmpfile_path, "r")) == NULL)
		abort();
	rr = record_reader_new(f);
	while ((rc = record_reader_next(rr, &l)) == 1) {
		CHECK(record_reader_is_transcript(rr));
		CHECK(i < w->n);
		CHECK(l.dir == w->dirs[i]);
		CHECK(l.ts_us == w->ts[i]);
		i++;
	}
	CHECK(rc == 0);
	CHECK(i == w->n);
	record_reader_free(rr);
	fclose(f);
}

/* cmd_replay's loop, on data, into a pipeline set up as pc says. */
static void
replay(const uint8_t *data, size_t size, const struct pipeline_config *pc,
    int write_back)
{
	struct replay rp;
	struct record_reader *rr;
	struct record_line l;
	struct record *rec = NULL;
	struct privacy priv;
	struct written w;
	struct buf held;
	char *cause = NULL;
	uintmax_t lineno = 0;
	int have_held = 0, rc;
	FILE *f;

	if ((f = fmemopen((void *)data, size, "r")) == NULL)
		abort();
	memset(&w, 0, sizeof w);
	if (write_back) {
		if ((rec = record_open(tmpfile_path, &cause)) == NULL) {
			fprintf(stderr, "%s\n", cause);
			abort();
		}
		memset(&priv, 0, sizeof priv);
		priv.mode = LOG_TARGETS_HASH;
		record_set_privacy(rec, &priv);
	}
	memset(&rp, 0, sizeof rp);
	rp.pipe = pipeline_new(pc);
	buf_init(&held);
	rp.parser = reply_parser_new(replay_reply, replay_problem, &rp);
	rr = record_reader_new(f);

	for (;;) {
		rc = record_reader_next(rr, &l);
		if (rc == 1) {
			check_line(rr, &l);
			lineno++;
			rp.transcript = record_reader_is_transcript(rr);
			if (!record_reader_is_transcript(rr))
				l.ts_us = BASE_TS + (int64_t)lineno;
			if (rec != NULL)
				record_line(rec, &w, &l);
			if (!rp.in_session &&
			    !record_reader_is_transcript(rr)) {
				rp.session = 1;
				rp.in_session = 1;
				pipeline_session_start(rp.pipe, 1, "capture",
				    "capture", l.ts_us);
			}
			if (l.dir == '#' && l.len > 7 &&
			    strncmp(l.text, "attrib ", 7) == 0) {
				pipeline_hint(rp.pipe, l.text, l.len);
				continue;
			}
		}
		if (have_held) {
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
			break;
		}
	}
	CHECK(rc == 0);
	if (rp.in_session && !record_reader_is_transcript(rr))
		replay_end_session(&rp, "end of capture",
		    BASE_TS + (int64_t)lineno + 1);
	record_reader_free(rr);
	reply_parser_free(rp.parser);
	pipeline_free(rp.pipe);
	buf_free(&held);
	fclose(f);
	if (rec != NULL) {
		CHECK(record_failed(rec) == 0);
		record_close(rec);
		check_written(&w);
		/* A crash skips atexit: leave at most an empty directory. */
		unlink(tmpfile_path);
	}
	free(w.dirs);
	free(w.ts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline_config pc;

	/* fmemopen wants at least a byte; an empty file replays nothing. */
	if (size == 0)
		return 0;
	memset(&pc, 0, sizeof pc);
	pc.output = PIPELINE_LINES;
	pc.out = devnull;
	pc.privacy.mode = LOG_TARGETS_HASH;	/* key: all zero */
	pc.config = &cfg;
	pc.source = "replay:fuzz";
	replay(data, size, &pc, 1);

	pc.output = PIPELINE_DUMP;
	pc.privacy.mode = LOG_TARGETS_PLAIN;
	replay(data, size, &pc, 0);
	return 0;
}
