/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cmd_monitor.c: `isoaudit monitor`: the live pipeline without a screen,
 * one line per stream and circuit event (systemd, servers).
 */
#include <stdio.h>
#include <string.h>

#include "isoaudit.h"
#include "monitor.h"

const enum opt cmd_live_options[] = {
	OPT_CONTROL, OPT_COOKIE, OPT_PASSWORD_FILE, OPT_AUTH, OPT_DB,
	OPT_RECORD, OPT_LOG_TARGETS, OPT_DURATION, OPT_EXIT_AFTER, OPT_END
};

static int
cmd_monitor_exec(const struct cmd_entry *self, struct opts *o)
{
	struct monitor_setup setup;
	struct monitor *m;
	int status;

	if (o->argc > 0)
		return cmd_usage_error(self, "takes no operand (%s)",
		    o->argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&setup, 0, sizeof setup);
	setup.out = stdout;
	setup.reload = 1;
	if ((m = monitor_open(o, &setup, &status)) == NULL)
		return status;
	status = monitor_run(m);
	monitor_close(m);
	fflush(stdout);
	return status;
}

const struct cmd_entry cmd_monitor_entry = {
	"monitor",
	"attach to Tor, log and judge; a line per event instead of a screen",
"usage: isoaudit monitor [OPTIONS]\n"
"\n"
"Attaches to Tor like the dashboard, logs to the database and judges, and\n"
"prints one line per stream and circuit event instead of a screen.\n"
"SIGHUP reloads the config; SIGINT or SIGTERM stops.\n"
"\n"
"options:\n"
CMD_LIVE_USAGE
"  -v, --verbose          more detail (LAUNCHED/EXTENDED circuits, debug)\n"
"  -q, --quiet            errors only\n",
	cmd_live_options,
	cmd_monitor_exec,
	1
};
