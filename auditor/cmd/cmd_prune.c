/*
 * prune.c: `isoaudit prune --older-than AGE`: deletes the Tor sessions
 * whose last activity is older than AGE, with everything under them, and
 * gives the space back.
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

static const enum opt prune_options[] = { OPT_DB, OPT_OLDER_THAN, OPT_END };

static int
cmd_prune_exec(const struct cmd_entry *self, struct opts *o)
{
	struct store *s;
	enum store_err err;
	char *cause = NULL, *path;
	int64_t age;
	long n;

	if (o->older_than == NULL || o->argc > 0)
		return cmd_usage_error(self, "needs --older-than AGE (e.g. 30d, "
		    "12h) and nothing else");
	if (time_parse_age(o->older_than, &age) == -1)
		return cmd_usage_error(self, "--older-than: %s is not an age "
		    "(a number and s, m, h, d or w: 30d, 12h)", o->older_than);
	path = opts_db_path(o);
	if (access(path, F_OK) == -1) {
		fprintf(stderr, "isoaudit: no database at %s; nothing to "
		    "prune\n", path);
		free(path);
		return EXIT_OK;
	}
	s = store_open(path, STORE_MAINTAIN, &err, &cause);
	free(path);
	if (s == NULL) {
		log_error("%s", cause);
		free(cause);
		return EXIT_RUNTIME;
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
"usage: isoaudit prune --older-than AGE\n"
"\n"
"Deletes the Tor sessions whose last activity is older than AGE (a number\n"
"and s, m, h, d or w: 30d, 12h), with everything under them, and gives the\n"
"space back.\n"
"\n"
"options:\n"
"  --older-than AGE       what to delete\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  -c, --config FILE      config file (its Database)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only (not how many sessions went)\n",
	prune_options,
	cmd_prune_exec,
	1
};
