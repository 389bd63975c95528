/*
 * store_agg.c: store_each_app, store_each_circuit and the other
 * aggregates of a range (circuit sharing, counts), computed by sqlite.
 *
 * Memory stays bounded whatever the range holds: the streams of a range
 * and their attachments are grouped once into temporary tables (temp
 * store on file: sqlite's page cache and its sorter spill to disk, they do
 * not grow with the rows), and every question is then a query whose rows
 * are handed out one at a time.  Nothing here holds a row per stream or
 * per circuit; an application keeps at most AGG_PROCS processes.
 *
 *   rep_ca  (session, circ_id, app, n): the streams in range attached to
 *           a circuit, by application (0: none)
 *   rep_cu  (session, circ_id, unit, streams): each such circuit and its
 *           exit circuit: the first leg (lowest id) of its conflux set in
 *           that session, else itself
 *   rep_ua  (session, unit, app): the applications of each exit circuit
 *
 * They are made for one range at a time (the report's), inside the
 * caller's read transaction (store_snapshot), so they agree with every
 * other read of that report.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

#define AGG_PROCS	50	/* processes listed per application */

/* The range the temporary tables hold. */
struct agg {
	struct store_range range;
};

/* Frees the note (the temporary tables go with the connection). */
void
store_agg_free(struct agg *g)
{
	free(g);
}

static int
same_range(const struct store_range *a, const struct store_range *b)
{
	return a->session == b->session && a->from == b->from &&
	    a->to == b->to;
}

/* Runs sql with the range bound; 0, or -1 with *cause. */
static int
agg_exec(struct store *s, const char *sql, const struct store_range *r,
    char **cause)
{
	sqlite3_stmt *st = store_range_stmt(s, sql, r, cause);

	if (st == NULL)
		return -1;
	return store_range_done(s, st, sqlite3_step(st), cause);
}

/* Makes the temporary tables for range r, unless they hold it already. */
static int
agg_tables(struct store *s, const struct store_range *r, char **cause)
{
	char where[160], sql[768];

	if (s->agg != NULL && same_range(&s->agg->range, r))
		return 0;
	store_agg_free(s->agg);
	s->agg = NULL;
	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "INSERT INTO temp.rep_ca SELECT a.session, "
	    "a.circ_id, coalesce(x.app, 0), count(*) FROM stream x JOIN "
	    "attach a ON a.session = x.session AND a.stream_id = x.stream_id "
	    "WHERE %s GROUP BY a.session, a.circ_id, coalesce(x.app, 0)",
	    where);
	if (store_exec(s, "DROP TABLE IF EXISTS temp.rep_ca; "
	    "DROP TABLE IF EXISTS temp.rep_cu; "
	    "DROP TABLE IF EXISTS temp.rep_ua; "
	    "CREATE TEMP TABLE rep_ca (session INTEGER, circ_id INTEGER, "
	    "app INTEGER, n INTEGER, PRIMARY KEY (session, circ_id, app)) "
	    "WITHOUT ROWID; "
	    "CREATE TEMP TABLE rep_cu (session INTEGER, circ_id INTEGER, "
	    "unit INTEGER, streams INTEGER, PRIMARY KEY (session, circ_id)) "
	    "WITHOUT ROWID; "
	    "CREATE TEMP TABLE rep_ua (session INTEGER, unit INTEGER, "
	    "app INTEGER, PRIMARY KEY (session, unit, app)) WITHOUT ROWID",
	    cause) == -1 ||
	    agg_exec(s, sql, r, cause) == -1 ||
	    store_exec(s, "INSERT INTO temp.rep_cu SELECT r.session, "
	    "r.circ_id, CASE WHEN c.conflux_id IS NULL OR c.conflux_id = '' "
	    "THEN r.circ_id ELSE min(r.circ_id) OVER (PARTITION BY r.session, "
	    "c.conflux_id) END, r.streams FROM (SELECT session, circ_id, "
	    "sum(n) AS streams FROM temp.rep_ca GROUP BY session, circ_id) r "
	    "LEFT JOIN main.circuit c ON c.session = r.session AND "
	    "c.circ_id = r.circ_id", cause) == -1 ||
	    store_exec(s, "CREATE INDEX temp.rep_cu_unit ON rep_cu(session, "
	    "unit, circ_id); INSERT OR IGNORE INTO temp.rep_ua SELECT "
	    "u.session, u.unit, a.app FROM temp.rep_ca a JOIN temp.rep_cu u "
	    "ON u.session = a.session AND u.circ_id = a.circ_id WHERE "
	    "a.app != 0", cause) == -1)
		return -1;
	s->agg = xcalloc(1, sizeof *s->agg);
	s->agg->range = *r;
	return 0;
}

/* --- applications --------------------------------------------------------- */

/* An application's processes: the AGG_PROCS smallest distinct, sorted. */
struct agg_procs {
	char		*p[AGG_PROCS];
	size_t		 n;
};

static void
agg_procs_clear(struct agg_procs *a)
{
	while (a->n > 0)
		free(a->p[--a->n]);
}

/* Keeps x among the AGG_PROCS smallest distinct processes (sorted). */
static void
agg_proc(struct agg_procs *a, const char *x)
{
	size_t lo = 0, hi = a->n, mid;
	int c;

	if (a->n == AGG_PROCS && strcmp(x, a->p[AGG_PROCS - 1]) >= 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(a->p[mid], x)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->n == AGG_PROCS)
		free(a->p[--a->n]);
	memmove(&a->p[lo + 1], &a->p[lo], (a->n - lo) * sizeof a->p[0]);
	a->p[lo] = xstrdup(x);
	a->n++;
}

/* What an application adds up to in the range. */
struct agg_app {
	int64_t		 id;
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first;
	int64_t		 last;
	struct buf	 lis;		/* distinct listeners, sorted */
	struct agg_procs procs;
};

static int
agg_app_cmp(const void *a, const void *b)
{
	const struct agg_app *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct agg_app *
agg_app_find(struct agg_app *apps, size_t n, int64_t id)
{
	struct agg_app want;

	want.id = id;
	return n == 0 ? NULL : bsearch(&want, apps, n, sizeof *apps,
	    agg_app_cmp);
}

/*
 * One walk over the range's streams (or over rep_ca) per question, each
 * grouped by application (sqlite sorts on file past its cache), into one
 * entry per application: an application costs memory, a stream does not.
 */
static int
agg_apps(struct store *s, const struct store_range *r, struct agg_app *apps,
    size_t n, char **cause)
{
	char where[160], sql[640];
	struct agg_app *a;
	sqlite3_stmt *st;
	int rc, q;

	store_range_where(where, sizeof where, r);
	for (q = 0; q < 4; q++) {
		switch (q) {
		case 0:
			snprintf(sql, sizeof sql, "SELECT x.app, count(*), "
			    "min(x.opened), max(coalesce(x.closed, x.opened)) "
			    "FROM stream x WHERE (%s) AND x.app IS NOT NULL "
			    "GROUP BY x.app", where);
			break;
		case 1:
			snprintf(sql, sizeof sql, "SELECT DISTINCT x.app, "
			    "x.listener FROM stream x WHERE (%s) AND x.app IS "
			    "NOT NULL AND x.listener IS NOT NULL ORDER BY x.app, "
			    "x.listener", where);
			break;
		case 2:
			snprintf(sql, sizeof sql, "SELECT DISTINCT x.app, "
			    "x.pid, x.process FROM stream x WHERE (%s) AND "
			    "x.app IS NOT NULL AND x.pid IS NOT NULL", where);
			break;
		default:
			snprintf(sql, sizeof sql, "SELECT a.app, count(*), "
			    "count(DISTINCT c.exit_fp) FROM temp.rep_ca a LEFT "
			    "JOIN main.circuit c ON c.session = a.session AND "
			    "c.circ_id = a.circ_id WHERE a.app != 0 GROUP BY "
			    "a.app");
			break;
		}
		if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
			return -1;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if ((a = agg_app_find(apps, n, COL_I64(st, 0))) == NULL)
				continue;
			if (q == 0) {
				a->streams = (long)COL_I64(st, 1);
				a->first = COL_I64(st, 2);
				a->last = COL_I64(st, 3);
			} else if (q == 1) {
				if (a->lis.len > 0)
					buf_addc(&a->lis, ' ');
				buf_adds(&a->lis, COL_TEXT(st, 1));
			} else if (q == 2) {
				const char *pr = COL_TEXT(st, 2);
				char x[256];

				snprintf(x, sizeof x, "%s[%" PRId64 "]",
				    pr != NULL ? pr : "?",
				    (int64_t)COL_I64(st, 1));
				agg_proc(&a->procs, x);
			} else {
				a->circuits = (long)COL_I64(st, 1);
				a->exits = (long)COL_I64(st, 2);
			}
		}
		if (store_range_done(s, st, rc, cause) == -1)
			return -1;
	}
	return 0;
}

int
store_each_app(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_app_row *, void *), void *arg, char **cause)
{
	struct store_app_row row;
	struct agg_app *apps = NULL, *a;
	struct buf pb;
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0, i, k;
	int rc, ret = -1;

	if (agg_tables(s, r, cause) == -1)
		return -1;
	buf_init(&pb);
	if ((st = store_range_stmt(s, "SELECT id FROM app ORDER BY id", r,
	    cause)) == NULL)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			apps = xreallocarray(apps, cap, sizeof *apps);
		}
		memset(&apps[n], 0, sizeof apps[n]);
		apps[n].id = COL_I64(st, 0);
		buf_init(&apps[n++].lis);
	}
	if (store_range_done(s, st, rc, cause) == -1)
		goto out;
	if (agg_apps(s, r, apps, n, cause) == -1)
		goto out;
	/* In the order of the identities. */
	if ((st = store_range_stmt(s, "SELECT id, label, host, sub FROM app "
	    "ORDER BY label, host, sub", r, cause)) == NULL)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((a = agg_app_find(apps, n, COL_I64(st, 0))) == NULL ||
		    a->streams == 0)
			continue;	/* no stream in range */
		buf_reset(&pb);
		for (k = 0; k < a->procs.n; k++) {
			if (k > 0)
				buf_addc(&pb, ' ');
			buf_adds(&pb, a->procs.p[k]);
		}
		memset(&row, 0, sizeof row);
		row.id = a->id;
		row.label = COL_TEXT(st, 1);
		row.host = COL_TEXT(st, 2);
		row.sub = COL_TEXT(st, 3);
		row.streams = a->streams;
		row.first_seen = a->first;
		row.last_seen = a->last;
		row.circuits = a->circuits;
		row.exits = a->exits;
		row.listeners = a->lis.len > 0 ? buf_cstr(&a->lis) : NULL;
		row.processes = a->procs.n > 0 ? buf_cstr(&pb) : NULL;
		fn(&row, arg);
	}
	if (store_range_done(s, st, rc, cause) == -1)
		goto out;
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		buf_free(&apps[i].lis);
		agg_procs_clear(&apps[i].procs);
	}
	free(apps);
	buf_free(&pb);
	return ret;
}

/* --- circuits --------------------------------------------------------------- */

/* A circuit of rep_cu (the columns of CIRC_COLS) as a row. */
#define CIRC_COLS "u.session, u.circ_id, c.purpose, c.conflux_id, " \
	"c.exit_fp, c.exit_nick, c.created, c.closed, u.streams, " \
	"(SELECT group_concat(a.app) FROM temp.rep_ca a WHERE a.session = " \
	"u.session AND a.circ_id = u.circ_id AND a.app != 0) "

static void
circ_row(sqlite3_stmt *st, struct store_circ_row *row)
{
	memset(row, 0, sizeof *row);
	row->session = COL_I64(st, 0);
	row->circ_id = (uint64_t)COL_I64(st, 1);
	row->purpose = COL_TEXT(st, 2);
	row->conflux_id = COL_TEXT(st, 3);
	row->exit_fp = COL_TEXT(st, 4);
	row->exit_nick = COL_TEXT(st, 5);
	row->created = COL_I64(st, 6);
	row->closed = COL_I64(st, 7);
	row->streams = (long)COL_I64(st, 8);
	row->apps = COL_TEXT(st, 9);
}

/* Hands each row of sql (CIRC_COLS) to fn; 0 or -1 with *cause. */
static int
circ_walk(struct store *s, const char *sql, const struct store_range *r,
    long limit, void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	struct store_circ_row row;
	sqlite3_stmt *st;
	int rc;

	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		circ_row(st, &row);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}

int
store_each_circuit(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	if (agg_tables(s, r, cause) == -1)
		return -1;
	return circ_walk(s, "SELECT " CIRC_COLS "FROM temp.rep_cu u LEFT JOIN "
	    "main.circuit c ON c.session = u.session AND c.circ_id = u.circ_id "
	    "ORDER BY u.session, u.circ_id LIMIT ?4", r, -1, fn, arg, cause);
}

/* One integer from sql (range bound); 0 or -1 with *cause. */
static int
agg_count(struct store *s, const char *sql, const struct store_range *r,
    long *n, char **cause)
{
	sqlite3_stmt *st = store_range_stmt(s, sql, r, cause);
	int rc;

	if (st == NULL)
		return -1;
	*n = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)COL_I64(st, 0);
		rc = SQLITE_DONE;
	}
	return store_range_done(s, st, rc, cause);
}

int
store_count_circuits(struct store *s, const struct store_range *r, long *n,
    char **cause)
{
	if (agg_tables(s, r, cause) == -1)
		return -1;
	return agg_count(s, "SELECT count(*) FROM temp.rep_cu", r, n, cause);
}

/* The exit circuits with two applications or more. */
#define SHARED_UNITS "SELECT session, unit FROM temp.rep_ua GROUP BY " \
	"session, unit HAVING count(*) > 1"

int
store_each_shared_circuit(struct store *s, const struct store_range *r,
    long limit, void (*fn)(const struct store_circ_row *, void *), void *arg,
    long *total, char **cause)
{
	if (agg_tables(s, r, cause) == -1 ||
	    agg_count(s, "SELECT count(*) FROM temp.rep_cu WHERE (session, "
	    "unit) IN (" SHARED_UNITS ")", r, total, cause) == -1)
		return -1;
	return circ_walk(s, "SELECT " CIRC_COLS "FROM temp.rep_cu u LEFT JOIN "
	    "main.circuit c ON c.session = u.session AND c.circ_id = u.circ_id "
	    "WHERE (u.session, u.unit) IN (" SHARED_UNITS ") ORDER BY "
	    "u.session, u.unit, u.circ_id LIMIT ?4", r, limit, fn, arg, cause);
}

int
store_each_share(struct store *s, const struct store_range *r,
    void (*fn)(int64_t, int64_t, long, void *), void *arg, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (agg_tables(s, r, cause) == -1)
		return -1;
	st = store_range_stmt(s, "SELECT a.app, b.app, count(*) FROM "
	    "temp.rep_ua a JOIN temp.rep_ua b ON b.session = a.session AND "
	    "b.unit = a.unit AND b.app > a.app GROUP BY a.app, b.app", r,
	    cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(COL_I64(st, 0), COL_I64(st, 1), (long)COL_I64(st, 2), arg);
	return store_range_done(s, st, rc, cause);
}
