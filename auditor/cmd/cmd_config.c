/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cmd_config.c: `isoaudit config [--check] [FILE]`: reads a config file
 * (FILE:LINE on an error) and prints the effective app map and rules;
 * `config --profiles` prints every built-in system profile as a table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "isoaudit.h"
#include "profile.h"
#include "xmalloc.h"

static const enum opt config_options[] = { OPT_CHECK, OPT_PROFILES, OPT_END };

static const char *
kind_name(enum port_kind k)
{
	switch (k) {
	case PORT_CREDENTIALS: return "credentials";
	case PORT_BROWSER: return "browser";
	case PORT_SHARED: return "shared";
	default: return "plain";
	}
}

/*
 * Every profile's listeners and hosts, one tab-separated line each
 * (docs/profiles.md and isoaudit.conf(5) are made from it):
 *   port PROFILE TYPE LISTENER LABEL KIND FLAGS SOURCE
 *   host PROFILE NET LABEL SOURCE
 *   control PROFILE ADDRESS...
 */
static void
print_profiles(FILE *f)
{
	int id;
	size_t i, k;

	for (id = 1; id < PROFILE__COUNT; id++) {
		const struct profile *p = profile_get((enum profile_id)id);

		for (i = 0; i < p->nports; i++) {
			const struct profile_port *pp = &p->ports[i];

			fprintf(f, "port\t%s\t%s\t", p->name, pp->type);
			if (pp->addr != NULL &&
			    strncmp(pp->addr, "unix:", 5) == 0)
				fputs(pp->addr, f);
			else {
				if (pp->addr != NULL)
					fprintf(f, "%s:", pp->addr);
				fprintf(f, "%d", pp->lo);
				if (pp->hi != pp->lo)
					fprintf(f, "-%d", pp->hi);
			}
			fprintf(f, "\t%s\t%s\t%s\t%s\n", pp->label,
			    kind_name(pp->kind), pp->flags, pp->source);
		}
		for (i = 0; i < p->nhosts; i++)
			fprintf(f, "host\t%s\t%s\t%s\t%s\n", p->name,
			    p->hosts[i].net, p->hosts[i].label,
			    p->hosts[i].source);
		fprintf(f, "control\t%s", p->name);
		for (k = 0; p->control[k] != NULL; k++)
			fprintf(f, "\t%s", p->control[k]);
		fputc('\n', f);
	}
}

static int
cmd_config_exec(const struct cmd_entry *self, struct opts *o)
{
	const char *path = o->argc > 0 ? o->argv[0] : o->config;
	char *cause = NULL;

	if (o->profiles) {
		if (o->argc > 0)
			return cmd_usage_error(self, "--profiles takes no FILE");
		print_profiles(stdout);
		return EXIT_OK;
	}
	if (o->argc > 1)
		return cmd_usage_error(self, "takes at most one FILE");
	if (config_load(&o->cfg, path, &cause) == -1) {
		fprintf(stderr, "isoaudit: %s\n", cause);
		free(cause);
		config_free(&o->cfg);
		return EXIT_USAGE;
	}
	/* As monitor would on this system: its marker files first. */
	config_detect_profile(&o->cfg, "/");
	config_print(&o->cfg, stdout);
	config_free(&o->cfg);
	return EXIT_OK;
}

const struct cmd_entry cmd_config_entry = {
	"config",
	"check a config file; print the effective app map and rules",
"usage: isoaudit config [--check] [FILE]\n"
"       isoaudit config --profiles\n"
"\n"
"Reads a config file (FILE, else -c FILE, else the default path) and prints\n"
"the system profile (given by Profile, or detected from this system's\n"
"marker files), the effective app map, hosts and rules in a form it reads\n"
"back.  A bad line is one error, FILE:LINE: what is wrong, and exit 2.\n"
"\n"
"options:\n"
"  --check                check only (what config does anyway)\n"
"  --profiles             print every built-in profile's listeners, hosts\n"
"                         and control ports, tab-separated, with sources\n"
"  -c, --config FILE      the file, when FILE is not given\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	config_options,
	cmd_config_exec,
	0
};
