/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cmd_dashboard.c: `isoaudit` with no command: the live dashboard.  The
 * dashboard itself is ui/ (ui_main); this is its entry: options and usage.
 */
#include <stddef.h>

#include "isoaudit.h"

static int
cmd_dashboard_exec(const struct cmd_entry *self, struct opts *o)
{
	if (o->argc > 0)
		return cmd_usage_error(self, "unknown command %s", o->argv[0]);
	return ui_main(o);
}

const struct cmd_entry cmd_dashboard_entry = {
	NULL,
	"the live dashboard",
"usage: isoaudit [OPTIONS]\n"
"       isoaudit COMMAND [OPTIONS]\n"
"\n"
"Watches a Tor client through its control port and shows whether your\n"
"applications are kept apart on the Tor network.  With no command: the live\n"
"dashboard: attach, log and judge like monitor, and show circuits,\n"
"applications, findings and logs (press ? in it for the keys).\n"
"\n"
"options:\n"
CMD_LIVE_USAGE
"  -v, --verbose          more detail in the log panel\n"
"  -q, --quiet            errors only\n"
"  --version, -h, --help\n",
	cmd_live_options,
	cmd_dashboard_exec,
	1
};
