/*
 * cmd_config.c: `isoaudit config [--check] [FILE]`: reads a config file
 * (FILE:LINE on an error) and prints the effective app map and rules.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "isoaudit.h"

static const enum opt config_options[] = { OPT_CHECK, OPT_END };

static int
cmd_config_exec(const struct cmd_entry *self, struct opts *o)
{
	const char *path = o->argc > 0 ? o->argv[0] : o->config;
	char *cause = NULL;

	if (o->argc > 1)
		return cmd_usage_error(self, "takes at most one FILE");
	if (config_load(&o->cfg, path, &cause) == -1) {
		fprintf(stderr, "isoaudit: %s\n", cause);
		free(cause);
		config_free(&o->cfg);
		return EXIT_USAGE;
	}
	config_print(&o->cfg, stdout);
	config_free(&o->cfg);
	return EXIT_OK;
}

const struct cmd_entry cmd_config_entry = {
	"config",
	"check a config file; print the effective app map and rules",
"usage: isoaudit config [--check] [FILE]\n"
"\n"
"Reads a config file (FILE, else -c FILE, else the default path) and prints\n"
"the effective app map, hosts and rules in a form it reads back.  A bad line\n"
"is one error, FILE:LINE: what is wrong, and exit 2.\n"
"\n"
"options:\n"
"  --check                check only (what config does anyway)\n"
"  -c, --config FILE      the file, when FILE is not given\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	config_options,
	cmd_config_exec,
	0
};
