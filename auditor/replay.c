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
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "reply.h"
#include "xmalloc.h"

struct replay {
	struct pipeline		*pipe;
	struct reply_parser	*parser;
	const char		*path;
	uintmax_t		 lineno;
	unsigned		 session;
	int			 in_session;
	unsigned		 problems;
};

static void
replay_reply(const struct reply *r, void *arg)
{
	struct replay *rp = arg;

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

int
cmd_replay(struct opts *o)
{
	struct replay rp;
	struct pipeline_config pc;
	struct record_reader *rr;
	struct record_line l;
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
	rp.pipe = pipeline_new(&pc);
	rp.parser = reply_parser_new(replay_reply, replay_problem, &rp);
	rr = record_reader_new(f);

	while ((rc = record_reader_next(rr, &l)) == 1) {
		rp.lineno++;
		if (!rp.in_session && !record_reader_is_transcript(rr)) {
			/* A bare capture is one session, of unknown origin. */
			rp.session = 1;
			rp.in_session = 1;
			pipeline_session_start(rp.pipe, 1, rp.path, "capture",
			    0);
		}
		switch (l.dir) {
		case '<':
			reply_parser_line(rp.parser, l.text, l.len, l.ts_us);
			break;
		case '#':
			replay_note(&rp, &l);
			break;
		case '>':
			break;
		default:
			replay_problem("not a transcript line", l.text, l.len,
			    &rp);
			break;
		}
	}
	if (rc == -1) {
		log_error("cannot read %s: %s", rp.path, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (rp.problems > 10)
		log_warnx("%s: %u lines skipped in all", rp.path, rp.problems);
	record_reader_free(rr);
	reply_parser_free(rp.parser);
	pipeline_free(rp.pipe);
	if (f != stdin)
		fclose(f);
	if (fflush(stdout) == EOF && status == EXIT_OK) {
		log_error("cannot write the output: %s", strerror(errno));
		status = EXIT_RUNTIME;
	}
	return status;
}
