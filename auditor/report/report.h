/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* report.h: `isoaudit report`'s work, and what it shares with `check`. */
#ifndef ISOAUDIT_REPORT_H
#define ISOAUDIT_REPORT_H

#include <stdint.h>

struct buf;
struct store_finding_row;

enum report_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_HTML };

/* What the user asked for (cmd_report.c checked it). */
struct report_request {
	const char		*db;		/* the database's path */
	enum report_format	 format;
	int			 table;		/* csv: one table, -1 = all */
	const char		*output;	/* -o FILE (DIR for all csv) */
	int			 all;		/* --all */
	int64_t			 session;	/* --session N, 0 = none */
	int64_t			 since;		/* us, 0 = open */
	int64_t			 until;
	int64_t			 now;		/* the report's "generated" */
};

/* "text", "json", "csv", "html".  Returns 0, or -1 for another word. */
int	report_format_parse(const char *, enum report_format *);
/* A CSV table's name (sessions, apps, ...).  Returns 0 or -1. */
int	report_table_parse(const char *, int *);
/* Reads the database and writes the report.  Returns an exit status. */
int	report_run(const struct report_request *);

/* Appends a finding as the JSON object of SPEC.md's report. */
void	report_json_finding(struct buf *, const struct store_finding_row *);

#endif
