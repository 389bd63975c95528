/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * replay.c: `isoaudit replay FILE`: a transcript (or a bare capture) through
 * the same pipeline a live session uses, with the transcript's own times.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "isoaudit.h"
#include "alert.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "replayer.h"
#include "store.h"
#include "xmalloc.h"
#include <sys/stat.h>
#include <unistd.h>

/*
 * The output's stdio buffer (glibc takes a size only with a buffer; it
 * must outlive the command: static).  The record reader reads its input a
 * MiB at a time itself.
 */
static char replay_outbuf[1024 * 1024];

static void
alert_cb(int sev, const char *rule, const char *detail, int64_t ts, void *arg)
{
	struct opts *o = arg;

	alert_emit(o->cfg.alert == ALERT_SYSLOG ? ALERT_STDERR : o->cfg.alert, sev, rule, detail, ts);
}

/*
 * Whether standard output is /dev/null: nobody reads the event lines of a
 * replay into a database then, and they are not formatted at all.
 */
static int
stdout_discarded(void)
{
	struct stat out, null;

	return fstat(STDOUT_FILENO, &out) == 0 && S_ISCHR(out.st_mode) &&
	    stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	    out.st_rdev == null.st_rdev;
}

static const enum opt replay_options[] = {
	OPT_DB, OPT_LOG_TARGETS, OPT_DUMP, OPT_END
};

static int
cmd_replay_exec(const struct cmd_entry *self, struct opts *o)
{
	struct replayer *rp;
	struct pipeline *pipe;
	struct pipeline_config pc;
	struct record_reader *rr;
	struct record_line l;
	struct store *store = NULL;
	struct stat sb;
	enum store_err serr;
	const char *path;
	char *cause = NULL, *source = NULL;
	int64_t base_ts = 0;
	FILE *f;
	int rc, status = EXIT_OK;

	if (o->argc != 1)
		return cmd_usage_error(self, "needs exactly one FILE");
	if (sodium_init() == -1) {
		log_error("libsodium failed to initialise");
		return EXIT_RUNTIME;
	}
	path = o->argv[0];
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "re")) == NULL) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	/*
	 * Writes a MiB at a time: a dump writes about twice the transcript's
	 * bytes, which in stdio's default 4 KiB would be a write(2) every
	 * ten events (docs/performance.md).  A terminal keeps its lines.
	 */
	if (!isatty(fileno(stdout)))
		setvbuf(stdout, replay_outbuf, _IOFBF, sizeof replay_outbuf);
	memset(&pc, 0, sizeof pc);
	pc.output = o->dump ? PIPELINE_DUMP : PIPELINE_LINES;
	/* A dump is its output: written wherever it goes. */
	pc.out = !o->dump && stdout_discarded() ? NULL : stdout;
	pc.verbose = o->verbose;
	pc.privacy.mode = o->log_targets;
	privacy_random_key(&pc.privacy);
	if (!o->dump) {
		char *dbpath = opts_db_path(o);

		store = store_open_key(dbpath, o->cfg.hash_key_file, 0,
		    STORE_WRITE, &serr, &cause);
		free(dbpath);
		if (store == NULL) {
			log_error("%s", cause);
			free(cause);
			if (f != stdin)
				fclose(f);
			return EXIT_RUNTIME;
		}
		store_hash_key(store, pc.privacy.key);
		pc.privacy.hmac = store_hash_hmac(store);
		pc.store = store;
		source = xasprintf("replay:%s", path);
		pc.source = source;
	}
	/* A bare capture has no times: its file's, one microsecond a line. */
	if (fstat(fileno(f), &sb) == 0)
		base_ts = (int64_t)sb.st_mtime * 1000000;
	pc.config = &o->cfg;
	pc.alert = alert_cb;
	pc.alert_arg = o;
	pipe = pipeline_new(&pc);
	rp = replayer_new(pipe, path, base_ts);
	rr = record_reader_new(f);
	while ((rc = record_reader_next(rr, &l)) == 1)
		replayer_line(rp, &l, record_reader_is_transcript(rr));
	replayer_end(rp, record_reader_is_transcript(rr));
	if (rc == -1) {
		log_error("cannot read %s: %s", path, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (replayer_problems(rp) > 10)
		log_warnx("%s: %u lines skipped in all", path,
		    replayer_problems(rp));
	record_reader_free(rr);
	replayer_free(rp);
	pipeline_free(pipe);
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

const struct cmd_entry cmd_replay_entry = {
	"replay",
	"run a recorded transcript (or bare capture) through the pipeline",
"usage: isoaudit replay FILE [--dump] [OPTIONS]\n"
"\n"
"Runs a transcript written by --record (or a bare capture of control-port\n"
"lines; - reads standard input) through the same pipeline a live session\n"
"uses: attribution, the judge and the database, with the transcript's own\n"
"times.\n"
"\n"
"options:\n"
"  --dump                 print every parsed event as a JSON object instead\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  --log-targets MODE     hash (default), plain or none: how destinations show\n"
"  -c, --config FILE      config file (its App, Host and Rule lines)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	replay_options,
	cmd_replay_exec,
	1
};
