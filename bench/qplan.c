/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * qplan.c: an LD_PRELOAD shim that writes the query plan of every SELECT
 * (or WITH) isoaudit prepares, so that the benchmark shows which indexes
 * `report` and `check` really use, for the statements exactly as store.c
 * writes them.
 *
 *   cc -shared -fPIC -o qplan.so qplan.c -ldl
 *   QPLAN_OUT=plans.txt LD_PRELOAD=./qplan.so isoaudit report ...
 *
 * Each statement is written once, then its EXPLAIN QUERY PLAN rows
 * (indented by depth), prepared on the same connection.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

typedef int (*prep_fn)(sqlite3 *, const char *, int, sqlite3_stmt **,
    const char **);

static int	busy;

static void
plan(sqlite3 *db, const char *sql, int n, prep_fn real)
{
	const char *out = getenv("QPLAN_OUT");
	sqlite3_stmt *st;
	char *q;
	FILE *f;
	size_t len = n < 0 ? strlen(sql) : (size_t)n;
	const char *p = sql;

	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	if (out == NULL || (strncasecmp(p, "SELECT", 6) != 0 &&
	    strncasecmp(p, "WITH", 4) != 0))
		return;
	if ((f = fopen(out, "a")) == NULL)
		return;
	if ((q = malloc(len + 32)) == NULL) {
		fclose(f);
		return;
	}
	snprintf(q, len + 32, "EXPLAIN QUERY PLAN %.*s", (int)len, sql);
	fprintf(f, "\n-- %.*s\n", (int)len, sql);
	if (real(db, q, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			int id = sqlite3_column_int(st, 0);
			int parent = sqlite3_column_int(st, 1);
			const unsigned char *d = sqlite3_column_text(st, 3);

			fprintf(f, "   %3d %3d  %s\n", id, parent,
			    d ? (const char *)d : "");
		}
		sqlite3_finalize(st);
	} else
		fprintf(f, "   (no plan: %s)\n", sqlite3_errmsg(db));
	free(q);
	fclose(f);
}

int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st,
    const char **tail)
{
	static prep_fn real;

	if (real == NULL)
		real = (prep_fn)dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
	if (!busy) {
		busy = 1;
		plan(db, sql, n, real);
		busy = 0;
	}
	return real(db, sql, n, st, tail);
}
