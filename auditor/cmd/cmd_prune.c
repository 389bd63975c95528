/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * prune.c: `isoaudit prune --older-than AGE`: deletes the rows older than
 * AGE, each by its own times (store_prune.c), and gives the space back.
 * `--new-key` begins a new hash key (as a writer: not beside a running
 * monitor).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isoaudit.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "timeutil.h"

static const enum opt prune_options[] = { OPT_DB, OPT_OLDER_THAN,
	OPT_NEW_KEY, OPT_END };

static int
cmd_prune_exec(const struct cmd_entry *self, struct opts *o)
{
	struct store *s;
	struct store_prune_stats ps;
	enum store_err err;
	char *cause = NULL, *path;
	int64_t age = 0, cutoff, t, longest = 0;
	long steps = 0;
	int rc;

	if ((o->older_than == NULL && !o->new_key) || o->argc > 0)
		return cmd_usage_error(self, "needs --older-than AGE (e.g. 30d, "
		    "12h) or --new-key, and nothing else");
	if (o->older_than != NULL && time_parse_age(o->older_than, &age) == -1)
		return cmd_usage_error(self, "--older-than: %s is not an age "
		    "(a number and s, m, h, d or w: 30d, 12h)", o->older_than);
	path = opts_db_path(o);
	if (access(path, F_OK) == -1 && !o->new_key) {
		fprintf(stderr, "isoaudit: no database at %s; nothing to "
		    "prune\n", path);
		free(path);
		return EXIT_OK;
	}
	/* A new key as the one writer: never under a running monitor. */
	s = o->new_key ? store_open_key(path, o->cfg.hash_key_file,
	    STORE_NEW_KEY, STORE_WRITE, &err, &cause) :
	    store_open(path, STORE_MAINTAIN, &err, &cause);
	free(path);
	if (s == NULL) {
		log_error("%s", cause);
		free(cause);
		return EXIT_RUNTIME;
	}
	if (o->new_key && o->verbose >= 0)
		printf("a new hash key in %s for %s\n", store_key_path(s),
		    store_path(s));
	if (o->older_than == NULL) {
		store_close(s);
		return EXIT_OK;
	}
	/* In steps, each a short transaction: a monitor writing beside it
	 * waits at most one step for its commit (-v says how long). */
	cutoff = time_now_us() - age;
	memset(&ps, 0, sizeof ps);
	do {
		t = time_mono_us();
		rc = store_prune_step(s, cutoff, &ps, &cause);
		t = time_mono_us() - t;
		longest = t > longest ? t : longest;
		steps++;
	} while (rc == 1);
	log_debug("prune: %ld steps, the longest %" PRId64 " ms", steps,
	    longest / 1000);
	if (rc == -1) {
		log_error("%s", cause);
		free(cause);
		store_close(s);
		return EXIT_RUNTIME;
	}
	if (o->verbose >= 0)
		printf("pruned %ld stream%s, %ld circuit%s, %ld finding "
		    "occurrence%s and %ld Tor session%s older than %s from %s\n",
		    ps.streams, ps.streams == 1 ? "" : "s", ps.circuits,
		    ps.circuits == 1 ? "" : "s", ps.occurrences,
		    ps.occurrences == 1 ? "" : "s", ps.sessions,
		    ps.sessions == 1 ? "" : "s", o->older_than, store_path(s));
	store_close(s);
	return EXIT_OK;
}

const struct cmd_entry cmd_prune_entry = {
	"prune",
	"delete history older than AGE (30d, 12h)",
"usage: isoaudit prune --older-than AGE | --new-key\n"
"\n"
"Deletes what is older than AGE (a number and s, m, h, d or w: 30d, 12h),\n"
"each row by its own time (a stream, a circuit, a finding's occurrence),\n"
"also inside a Tor session that is still running, then the findings, Tor\n"
"sessions and applications left with nothing, and gives the space back.\n"
"--new-key begins a new hash key (its file, DB.key or HashKeyFile,\n"
"replaced): the hashes stored so far match no new one.\n"
"\n"
"options:\n"
"  --older-than AGE       what to delete\n"
"  --new-key              forget the hash key and begin a new one\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  -c, --config FILE      config file (its Database)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only (not how many rows went)\n",
	prune_options,
	cmd_prune_exec,
	1
};
