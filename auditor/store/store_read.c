/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_read.c: the read iterators report uses (sessions, streams,
 * findings; applications and circuits are store_agg.c's), and the range
 * helpers the readers share.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

int64_t
store_latest_session(struct store *s)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id FROM tor_session ORDER BY "
	    "started DESC, id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : -1;
}

/* Prepares sql and binds the range as ?1 session, ?2 from, ?3 to. */
sqlite3_stmt *
store_range_stmt(struct store *s, const char *sql, const struct store_range *r,
    char **cause)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_bind_int64(st, 1, r->session);
	sqlite3_bind_int64(st, 2, r->from);
	sqlite3_bind_int64(st, 3, r->to);
	return st;
}

/* Finalizes st; -1 with *cause unless rc is SQLITE_DONE. */
int
store_range_done(struct store *s, sqlite3_stmt *st, int rc, char **cause)
{
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("database %s: %s", s->path,
		    store_errmsg(s, rc));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_each_session(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_session_row *, void *), void *arg,
    char **cause)
{
	struct store_session_row row;
	sqlite3_stmt *st;
	int rc;

	st = store_range_stmt(s, "SELECT id, tor_version, control, auth, "
	    "source, pid, started, ended, end_reason, last_event FROM "
	    "tor_session WHERE (?1 = 0 OR id = ?1) AND (?2 = 0 OR max(started, "
	    "coalesce(ended, 0), coalesce(last_event, 0)) >= ?2) AND "
	    "(?3 = 0 OR started < ?3) ORDER BY started, id", r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.id = COL_I64(st, 0);
		row.tor_version = COL_TEXT(st, 1);
		row.control = COL_TEXT(st, 2);
		row.auth = COL_TEXT(st, 3);
		row.source = COL_TEXT(st, 4);
		row.pid = (long)COL_I64(st, 5);
		row.started = COL_I64(st, 6);
		row.ended = COL_I64(st, 7);
		row.end_reason = COL_TEXT(st, 8);
		row.last_event = COL_I64(st, 9);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}

/* WHERE for streams (alias x) in the range, parameters ?1..?3. */
void
store_range_where(char *out, size_t len, const struct store_range *r)
{
	snprintf(out, len, "%s%s%s%s%s", r->session ? "x.session = ?1" : "",
	    r->session && r->from ? " AND " : "", r->from ? "x.opened >= ?2" :
	    "", (r->session || r->from) && r->to ? " AND " : "",
	    r->to ? "x.opened < ?3" : "");
	if (out[0] == '\0')
		snprintf(out, len, "1");
}

/*
 * Whether the streams in range, in key order (session, stream_id), are
 * in (session, opened, stream_id) order too (NULL first, as sqlite sorts
 * it).  Returns 1, 0, or -1 with *cause.
 */
static int
streams_in_order(struct store *s, const struct store_range *r,
    const char *where, char **cause)
{
	char sql[256];
	sqlite3_stmt *st;
	int64_t psession = 0, popened = 0;
	int rc, first = 1, pnull = 0, sorted = 1;

	snprintf(sql, sizeof sql, "SELECT x.session, x.opened FROM stream x "
	    "WHERE %s ORDER BY x.session, x.stream_id", where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	while (sorted && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t session = COL_I64(st, 0), opened = COL_I64(st, 1);
		int null = sqlite3_column_type(st, 1) == SQLITE_NULL;

		if (!first && session == psession && ((null && !pnull) ||
		    (!null && !pnull && opened < popened)))
			sorted = 0;
		first = 0;
		psession = session;
		popened = opened;
		pnull = null;
	}
	if (!sorted) {
		sqlite3_finalize(st);
		return 0;
	}
	return store_range_done(s, st, rc, cause) == -1 ? -1 : 1;
}

int
store_count_streams(struct store *s, const struct store_range *r, long *n,
    char **cause)
{
	char where[160], sql[256];
	sqlite3_stmt *st;
	int rc, onion, sorted;

	/* The aggregates' pass counted them. */
	if (store_agg_streams(s, r, n, &onion, &sorted))
		return 0;
	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM stream x WHERE %s",
	    where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)COL_I64(st, 0);
		rc = sqlite3_step(st);
	}
	return store_range_done(s, st, rc, cause);
}

int
store_each_stream(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_stream_row *, void *), void *arg,
    char **cause)
{
	struct store_stream_row row;
	char where[160], sql[512];
	sqlite3_stmt *st;
	long n;
	int rc, sorted, onion;

	/*
	 * Ordered by session, opened, stream_id: sqlite sorts every row for
	 * that.  Tor numbers streams in the order it opens them, so key
	 * order is almost always that order already: checked first (two
	 * columns, no sort), then read in key order.
	 */
	store_range_where(where, sizeof where, r);
	/* The aggregates' pass saw it already, when it ran. */
	if (!store_agg_streams(s, r, &n, &onion, &sorted) &&
	    (sorted = streams_in_order(s, r, where, cause)) == -1)
		return -1;
	snprintf(sql, sizeof sql, "SELECT session, stream_id, circ_id, status, "
	    "listener, client_addr, app, pid, process, uid, protocol, target, "
	    "target_port, opened, closed, reason, attribution FROM stream x "
	    "WHERE %s "
	    "ORDER BY session, %sstream_id", where, sorted ? "" : "opened, ");
	st = store_range_stmt(s, sql, r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.session = COL_I64(st, 0);
		row.stream_id = (uint64_t)COL_I64(st, 1);
		row.circ_id = (uint64_t)COL_I64(st, 2);
		row.status = COL_TEXT(st, 3);
		row.listener = COL_TEXT(st, 4);
		row.client_addr = COL_TEXT(st, 5);
		row.app = COL_I64(st, 6);
		row.pid = (long)COL_I64(st, 7);
		row.process = COL_TEXT(st, 8);
		row.uid = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 :
		    (long)COL_I64(st, 9);
		row.protocol = COL_TEXT(st, 10);
		row.target = COL_TEXT(st, 11);
		row.target_port = sqlite3_column_type(st, 12) == SQLITE_NULL ?
		    -1 : (int)COL_I64(st, 12);
		row.opened = COL_I64(st, 13);
		row.closed = COL_I64(st, 14);
		row.reason = COL_TEXT(st, 15);
		row.attribution = COL_TEXT(st, 16);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}

/*
 * Causes.  A cause row sums its occurrences in the range (one GROUP BY
 * over the occurrences); its occurrences are then read by the cause's key
 * in the UNIQUE (cause, session, circ_id) index.  Memory per row is
 * bounded: at most STORE_MAX_OCCURRENCES occurrences are held (the newest
 * by last seen; the row's count, first/last seen and noccurrences_total
 * cover all of them), their strings in one arena reused from row to row.
 */
int
store_cause_reader_init(struct store *s, struct cause_reader *r, char **cause)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->arena);
	/*
	 * Most causes have few occurrences: read in the index's order, no
	 * sort (a sort opens a temporary b-tree each time: 40k instructions
	 * a cause).  Past the bound, the newest by a sort.
	 */
	if (sqlite3_prepare_v2(s->db, "SELECT session, circ_id, exit_fp, "
	    "streams, count, first_seen, last_seen FROM occurrence WHERE "
	    "cause = ?4 AND (?1 = 0 OR session = ?1) AND (?2 = 0 OR "
	    "last_seen >= ?2) AND (?3 = 0 OR first_seen < ?3)", -1, &r->occ,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT session, circ_id, exit_fp, "
	    "streams, count, first_seen, last_seen FROM occurrence WHERE "
	    "cause = ?4 AND (?1 = 0 OR session = ?1) AND (?2 = 0 OR "
	    "last_seen >= ?2) AND (?3 = 0 OR first_seen < ?3) ORDER BY "
	    "last_seen DESC, session DESC, circ_id DESC LIMIT ?5", -1, &r->top,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

void
store_cause_reader_free(struct cause_reader *r)
{
	sqlite3_finalize(r->occ);
	sqlite3_finalize(r->top);
	r->occ = NULL;
	r->top = NULL;
	buf_free(&r->arena);
	free(r->occs);
	free(r->offs);
	r->occs = NULL;
	r->offs = NULL;
	r->cap = 0;
}

static size_t
arena_put(struct buf *b, const unsigned char *str)
{
	size_t at = b->len;

	if (str == NULL)
		return SIZE_MAX;
	buf_add(b, str, strlen((const char *)str) + 1);
	return at;
}

/* Oldest first: first seen, then session and circuit. */
static int
occ_cmp(const void *x, const void *y)
{
	const struct store_occurrence_row *a = x, *b = y;

	if (a->first_seen != b->first_seen)
		return a->first_seen < b->first_seen ? -1 : 1;
	if (a->session != b->session)
		return a->session < b->session ? -1 : 1;
	if (a->circ_id != b->circ_id)
		return a->circ_id < b->circ_id ? -1 : 1;
	return 0;
}

/*
 * Reads the cause's occurrences in range from st into r (from the
 * start: *n set): SQLITE_DONE, SQLITE_ROW when st had more than
 * STORE_MAX_OCCURRENCES (then r holds some of them only), or an error.
 */
static int
occ_read(struct cause_reader *r, sqlite3_stmt *st,
    const struct store_range *range, int64_t id, size_t *np)
{
	struct store_occurrence_row *o;
	size_t n = 0;
	int rc;

	buf_reset(&r->arena);
	r->arena.len = 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, range->session);
	sqlite3_bind_int64(st, 2, range->from);
	sqlite3_bind_int64(st, 3, range->to);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, STORE_MAX_OCCURRENCES);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == STORE_MAX_OCCURRENCES)
			break;		/* more: the caller sorts */
		if (n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			r->occs = xreallocarray(r->occs, r->cap,
			    sizeof *r->occs);
			r->offs = xreallocarray(r->offs, r->cap,
			    2 * sizeof *r->offs);
		}
		o = &r->occs[n];
		o->session = COL_I64(st, 0);
		o->circ_id = (uint64_t)COL_I64(st, 1);
		r->offs[2 * n] = arena_put(&r->arena,
		    sqlite3_column_text(st, 2));
		r->offs[2 * n + 1] = arena_put(&r->arena,
		    sqlite3_column_text(st, 3));
		o->count = (long)COL_I64(st, 4);
		o->first_seen = COL_I64(st, 5);
		o->last_seen = COL_I64(st, 6);
		n++;
	}
	sqlite3_reset(st);
	*np = n;
	return rc;
}

int
store_cause_row(struct store *s, struct cause_reader *r, sqlite3_stmt *st,
    const struct store_range *range, struct store_finding_row *row,
    char **cause)
{
	const struct store_occurrence_row *latest = NULL;
	size_t n = 0, i;
	int rc;

	memset(row, 0, sizeof *row);
	row->id = COL_I64(st, 0);
	row->cause = COL_TEXT(st, 1);
	row->rule = COL_TEXT(st, 2);
	row->severity = COL_TEXT(st, 3);
	row->listener = COL_TEXT(st, 4);
	row->apps = COL_TEXT(st, 5);
	row->identities = COL_TEXT(st, 6);
	row->processes = COL_TEXT(st, 7);
	row->detail = COL_TEXT(st, 8);
	row->acknowledged = COL_I64(st, 9) != 0;
	row->again = COL_I64(st, 10) > 0;
	row->count = (long)COL_I64(st, 11);
	row->first_seen = COL_I64(st, 12);
	row->last_seen = COL_I64(st, 13);
	row->noccurrences_total = (size_t)COL_I64(st, 14);
	row->remedy = COL_TEXT(st, 15);

	if ((rc = occ_read(r, r->occ, range, row->id, &n)) == SQLITE_ROW)
		rc = occ_read(r, r->top, range, row->id, &n);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	/* The arena has stopped moving: point into it. */
	for (i = 0; i < n; i++) {
		r->occs[i].exit_fp = r->offs[2 * i] == SIZE_MAX ? NULL :
		    r->arena.p + r->offs[2 * i];
		r->occs[i].streams = r->offs[2 * i + 1] == SIZE_MAX ? NULL :
		    r->arena.p + r->offs[2 * i + 1];
	}
	qsort(r->occs, n, sizeof *r->occs, occ_cmp);
	for (i = 0; i < n; i++)
		if (latest == NULL || r->occs[i].last_seen > latest->last_seen ||
		    (r->occs[i].last_seen == latest->last_seen &&
		    occ_cmp(&r->occs[i], latest) > 0))
			latest = &r->occs[i];
	if (latest != NULL) {
		row->session = latest->session;
		row->circ_id = latest->circ_id;
		row->streams = latest->streams;
	}
	row->occurrences = r->occs;
	row->noccurrences = n;
	return 0;
}

/*
 * The causes in range, most severe first; with sev, only those of that
 * severity ("" for the ones of no known severity), at most limit (-1: all).
 */
static int
each_finding(struct store *s, const struct store_range *r, const char *sev,
    long limit, void (*fn)(const struct store_finding_row *, void *),
    void *arg, char **cause)
{
	struct store_finding_row row;
	struct cause_reader cr;
	sqlite3_stmt *st;
	int rc;

	if (store_cause_reader_init(s, &cr, cause) == -1) {
		store_cause_reader_free(&cr);
		return -1;
	}
	st = store_range_stmt(s, "SELECT " CAUSE_COLS " FROM occurrence o "
	    "JOIN cause c ON c.id = o.cause WHERE (?1 = 0 OR o.session = ?1) "
	    "AND (?2 = 0 OR o.last_seen >= ?2) AND (?3 = 0 OR o.first_seen < "
	    "?3) AND (?4 IS NULL OR c.severity = ?4 OR (?4 = '' AND "
	    "c.severity NOT IN ('critical', 'warning', 'notice', 'info'))) "
	    "GROUP BY c.id ORDER BY CASE c.severity WHEN 'critical' THEN "
	    "0 WHEN 'warning' THEN 1 WHEN 'notice' THEN 2 ELSE 3 END, "
	    "min(o.first_seen), c.id LIMIT ?5", r, cause);
	if (st == NULL) {
		store_cause_reader_free(&cr);
		return -1;
	}
	if (sev != NULL)
		sqlite3_bind_text(st, 4, sev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_cause_row(s, &cr, st, r, &row, cause) == -1) {
			sqlite3_finalize(st);
			store_cause_reader_free(&cr);
			return -1;
		}
		fn(&row, arg);
	}
	store_cause_reader_free(&cr);
	return store_range_done(s, st, rc, cause);
}

int
store_each_finding(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_finding_row *, void *), void *arg,
    char **cause)
{
	return each_finding(s, r, NULL, -1, fn, arg, cause);
}

int
store_each_finding_of(struct store *s, const struct store_range *r,
    const char *sev, long limit,
    void (*fn)(const struct store_finding_row *, void *), void *arg,
    char **cause)
{
	return each_finding(s, r, sev, limit, fn, arg, cause);
}

int
store_count_findings(struct store *s, const struct store_range *r,
    void (*fn)(const char *, long, void *), void *arg, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	st = store_range_stmt(s, "SELECT c.severity, count(*) FROM cause c "
	    "WHERE EXISTS (SELECT 1 FROM occurrence o WHERE o.cause = c.id AND "
	    "(?1 = 0 OR o.session = ?1) AND (?2 = 0 OR o.last_seen >= ?2) AND "
	    "(?3 = 0 OR o.first_seen < ?3)) GROUP BY c.severity", r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(COL_TEXT(st, 0), (long)COL_I64(st, 1), arg);
	return store_range_done(s, st, rc, cause);
}

/*
 * One snapshot for all of a reader's queries: a deferred transaction
 * takes its snapshot (WAL) at its first read, made here at once, so
 * that what the monitor commits meanwhile is seen by none of them.
 */
int
store_snapshot(struct store *s, char **cause)
{
	if (store_exec(s, "BEGIN", cause) == -1)
		return -1;
	if (store_exec(s, "SELECT count(*) FROM tor_session", cause) == -1) {
		char *ignored = NULL;

		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
		return -1;
	}
	return 0;
}

void
store_snapshot_end(struct store *s)
{
	char *ignored = NULL;

	if (!sqlite3_get_autocommit(s->db) &&
	    store_exec(s, "COMMIT", &ignored) == -1) {
		free(ignored);
		ignored = NULL;
		store_exec(s, "ROLLBACK", &ignored);
	}
	free(ignored);
}

int
store_each_nym_epoch(struct store *s, const struct store_range *r,
    long limit, void (*fn)(int64_t, int64_t, int64_t, void *), void *arg,
    char **cause)
{
	char where[160], sql[400];
	sqlite3_stmt *st;
	int rc;

	/* One pass over the range's streams, grouped in memory by sqlite;
	 * the groups are a session's epochs (one per NEWNYM), few. */
	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT x.session, x.nym_epoch, "
	    "min(x.opened) AS t FROM stream x WHERE %s AND x.nym_epoch IS "
	    "NOT NULL AND x.opened IS NOT NULL GROUP BY x.session, "
	    "x.nym_epoch ORDER BY t LIMIT ?4", where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(COL_I64(st, 0), COL_I64(st, 1), COL_I64(st, 2), arg);
	return store_range_done(s, st, rc, cause);
}
