/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_record.c: libFuzzer harness for the transcript reader
 * (auditor/record.c) and what replay does with what it reads.
 *
 * The input is a file for `isoaudit replay`: a transcript (`<secs>.<usec>
 * <dir> <line>`) or a bare capture.  It is read from memory (fmemopen)
 * through record_reader_next and goes the way cmd_replay sends it: '<'
 * lines held back one line and fed to reply_parser_line (in a transcript,
 * a reply to no '>' command is dropped, as live), "# attrib" annotations
 * to pipeline_hint, "# session N start|ready|end" to the session calls, a
 * bare capture made one session: the replayer (auditor/replayer.c) that
 * cmd_replay uses, without the database it opens.
 * The pipeline runs twice, as `replay` (lines, the judge with the built-in
 * App map) and as `replay --dump`, writing to /dev/null, without a store.
 *
 * Each line read is also written through a recorder (as monitor --record
 * would write it, SOCKS passwords hashed) to a temporary file, which is
 * read back: the same number of lines, with the same directions and times.
 * The file is in a directory of its own under $TMPDIR (or /tmp).
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (config.h, record.h) */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "replayer.h"
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
	struct pipeline *pipe;
	struct replayer *rp;
	struct record_reader *rr;
	struct record_line l;
	struct record *rec = NULL;
	struct privacy priv;
	struct written w;
	char *cause = NULL;
	int rc;
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
	pipe = pipeline_new(pc);
	rp = replayer_new(pipe, "capture", BASE_TS);
	rr = record_reader_new(f);
	while ((rc = record_reader_next(rr, &l)) == 1) {
		check_line(rr, &l);
		/* The replayer times a bare capture's lines: then written. */
		replayer_line(rp, &l, record_reader_is_transcript(rr));
		if (rec != NULL)
			record_line(rec, &w, &l);
	}
	CHECK(rc == 0);
	replayer_end(rp, record_reader_is_transcript(rr));
	record_reader_free(rr);
	replayer_free(rp);
	pipeline_free(pipe);
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
