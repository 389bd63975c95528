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

int
cmd_prune(struct opts *o)
{
	struct store *s;
	enum store_err err;
	char *cause = NULL, *path;
	int64_t age;
	long n;

	if (o->older_than == NULL || o->argc > 0) {
		fprintf(stderr, "isoaudit: prune needs --older-than AGE (e.g. "
		    "30d, 12h) and nothing else (see isoaudit --help)\n");
		return EXIT_USAGE;
	}
	if (time_parse_age(o->older_than, &age) == -1) {
		fprintf(stderr, "isoaudit: --older-than: %s is not an age "
		    "(a number and s, m, h, d or w: 30d, 12h)\n", o->older_than);
		return EXIT_USAGE;
	}
	path = opts_db_path(o);
	if (access(path, F_OK) == -1) {
		fprintf(stderr, "isoaudit: no database at %s; nothing to "
		    "prune\n", path);
		free(path);
		return EXIT_OK;
	}
	s = store_open(path, STORE_WRITE, &err, &cause);
	free(path);
	if (s == NULL) {
		log_error("%s", cause);
		free(cause);
		return EXIT_RUNTIME;
	}
	n = store_prune(s, record_now_us() - age, &cause);
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
