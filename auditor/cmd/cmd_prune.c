/*
 * prune.c: `isoaudit prune --older-than AGE`: deletes the Tor sessions
 * whose last activity is older than AGE, with everything under them, and
 * gives the space back.  `--new-key` begins a new hash key (as a writer:
 * not beside a running monitor).
 */
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
	enum store_err err;
	char *cause = NULL, *path;
	int64_t age = 0;
	long n;

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
	n = store_prune(s, time_now_us() - age, &cause);
	if (n < 0) {
		log_error("%s", cause);
		free(cause);
		store_close(s);
		return EXIT_RUNTIME;
	}
	if (o->verbose >= 0)
		printf("pruned %ld Tor session%s older than %s from %s\n", n,
		    n == 1 ? "" : "s", o->older_than, store_path(s));
	store_close(s);
	return EXIT_OK;
}

const struct cmd_entry cmd_prune_entry = {
	"prune",
	"delete history older than AGE (30d, 12h)",
"usage: isoaudit prune --older-than AGE | --new-key\n"
"\n"
"Deletes the Tor sessions whose last activity is older than AGE (a number\n"
"and s, m, h, d or w: 30d, 12h), with everything under them, and gives the\n"
"space back.  --new-key begins a new hash key (its file, DB.key or\n"
"HashKeyFile, replaced): the hashes stored so far match no new one.\n"
"\n"
"options:\n"
"  --older-than AGE       what to delete\n"
"  --new-key              forget the hash key and begin a new one\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  -c, --config FILE      config file (its Database)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only (not how many sessions went)\n",
	prune_options,
	cmd_prune_exec,
	1
};
