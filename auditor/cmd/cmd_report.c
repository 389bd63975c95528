/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cmd_report.c: `isoaudit report`: what happened, from the database, in
 * text, JSON, CSV or HTML.  The options are checked here; report/ does the
 * work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "isoaudit.h"
#include "log.h"
#include "report.h"
#include "timeutil.h"

static const enum opt report_options[] = {
	OPT_DB, OPT_FORMAT, OPT_SESSION, OPT_SINCE, OPT_UNTIL, OPT_ALL,
	OPT_OUTPUT, OPT_TABLE, OPT_END
};

/* Reads --since or --until.  Returns 0, or -1 after saying why. */
static int
parse_when(const char *opt, const char *s, int64_t now, int64_t *us)
{
	char *e;

	*us = 0;
	if (s == NULL)
		return 0;
	if (time_parse_when(s, now, us) == 0) {
		if (*us <= 0)
			*us = 1;	/* before 1970: from the start (0 = open) */
		return 0;
	}
	e = escape_dup(s, strlen(s));
	log_error("%s: cannot read %s (use RFC 3339 or an age like 2h, 7d)",
	    opt, e);
	free(e);
	return -1;
}

static int
cmd_report_exec(const struct cmd_entry *self, struct opts *o)
{
	struct report_request q;
	char *path;
	int rc;

	memset(&q, 0, sizeof q);
	q.format = FMT_TEXT;
	q.table = -1;
	if (o->argc > 0)
		return cmd_usage_error(self, "takes no operand (%s)",
		    o->argv[0]);
	if (o->format != NULL && report_format_parse(o->format,
	    &q.format) == -1)
		return cmd_usage_error(self, "--format: unknown format %s "
		    "(text, json, csv or html)", o->format);
	if (o->table != NULL) {
		if (q.format != FMT_CSV)
			return cmd_usage_error(self, "--table goes with "
			    "--format csv");
		if (report_table_parse(o->table, &q.table) == -1)
			return cmd_usage_error(self, "--table: unknown table %s "
			    "(sessions, apps, circuits, streams, findings, "
			    "occurrences, services or onions)",
			    o->table);
	}
	if (q.format == FMT_CSV && q.table < 0 && o->output == NULL)
		return cmd_usage_error(self, "--format csv writes eight tables "
		    "(sessions, apps, circuits, streams, findings, "
		    "occurrences, services, onions): give "
		    "--table NAME for one on standard output, or -o DIR for "
		    "all of them");
	if (o->all && o->session != 0)
		return cmd_usage_error(self, "--all and --session exclude each "
		    "other");
	if (o->all && (o->since != NULL || o->until != NULL))
		return cmd_usage_error(self, "--all and --since/--until "
		    "exclude each other");

	q.now = time_now_us();
	if (parse_when("--since", o->since, q.now, &q.since) == -1 ||
	    parse_when("--until", o->until, q.now, &q.until) == -1)
		return EXIT_USAGE;
	if (q.since != 0 && q.until != 0 && q.since >= q.until)
		return cmd_usage_error(self, "--since must be before --until");
	q.all = o->all;
	q.session = o->session;
	q.output = o->output;
	q.db = path = opts_db_path(o);
	rc = report_run(&q);
	free(path);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	"report",
	"what happened, from the database (text, json, csv, html)",
"usage: isoaudit report [--format text|json|csv|html] [--session N | --all |\n"
"                       --since WHEN [--until WHEN]] [-o FILE] [--table T]\n"
"\n"
"What happened, from the database: Tor sessions, applications, circuits,\n"
"who shared what, and the findings, most severe first: each finding is a\n"
"cause, shown once with its occurrences (Tor session, circuit, exit) in the\n"
"range.  Default range: the most recent Tor session.  Read-only.\n"
"\n"
"options:\n"
"  --format FORMAT        text (default), json (SPEC.md's report), csv, html\n"
"                         (one self-contained page)\n"
"  --session N            Tor session N\n"
"  --since WHEN           from WHEN (RFC 3339, or an age: 2h, 7d)\n"
"  --until WHEN           to WHEN\n"
"  --all                  everything in the database\n"
"  -o, --output FILE      write FILE (mode 0600) instead of standard output;\n"
"                         with --format csv and no --table, a directory\n"
"  --table T              csv: sessions, apps, circuits, streams, findings or\n"
"                         occurrences\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  -c, --config FILE      config file (its Database)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	report_options,
	cmd_report_exec,
	1
};
