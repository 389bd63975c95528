/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_onion.c: what the report says of onion services (schema/003):
 * the local services with their rendezvous and introduction circuits,
 * and the onion destinations the applications reached.
 */
#include <stdio.h>

#include "store_int.h"

int
store_each_service(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_service_row *, void *), void *arg,
    char **cause)
{
	struct store_service_row row;
	sqlite3_stmt *st;
	int rc;

	/*
	 * The services of the sessions in range (as store_each_session
	 * picks them), each with its circuits created in the range.  A
	 * rendezvous circuit is open when it has not closed and its session
	 * has not ended.
	 */
	st = store_range_stmt(s, "WITH rc AS (SELECT session, rend_query, "
	    "purpose, created, closed FROM circuit WHERE rend_query IS NOT "
	    "NULL AND purpose IN ('HS_SERVICE_REND', 'HS_SERVICE_INTRO') AND "
	    "(?1 = 0 OR session = ?1) AND (?2 = 0 OR coalesce(created, 0) >= "
	    "?2) AND (?3 = 0 OR coalesce(created, 0) < ?3)) "
	    "SELECT o.session, o.address, o.source, o.first_seen, "
	    "sum(rc.purpose = 'HS_SERVICE_REND'), "
	    "sum(rc.purpose = 'HS_SERVICE_REND' AND rc.closed IS NULL AND "
	    "s.ended IS NULL), sum(rc.purpose = 'HS_SERVICE_INTRO'), "
	    "min(CASE WHEN rc.purpose = 'HS_SERVICE_REND' THEN rc.created END), "
	    "max(CASE WHEN rc.purpose = 'HS_SERVICE_REND' THEN rc.created END) "
	    "FROM onion_service o JOIN tor_session s ON s.id = o.session "
	    "LEFT JOIN rc ON rc.session = o.session AND rc.rend_query = "
	    "o.address WHERE (?1 = 0 OR o.session = ?1) AND (?2 = 0 OR "
	    "max(s.started, coalesce(s.ended, 0), coalesce(s.last_event, 0)) "
	    ">= ?2) AND (?3 = 0 OR s.started < ?3) GROUP BY o.session, "
	    "o.address ORDER BY o.session, o.first_seen, o.address", r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.session = COL_I64(st, 0);
		row.address = COL_TEXT(st, 1);
		row.source = COL_TEXT(st, 2);
		row.first_seen = COL_I64(st, 3);
		row.rend_circuits = (long)COL_I64(st, 4);
		row.rend_open = (long)COL_I64(st, 5);
		row.intro_circuits = (long)COL_I64(st, 6);
		row.first_rend = COL_I64(st, 7);
		row.last_rend = COL_I64(st, 8);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}

int
store_each_onion_target(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_onion_row *, void *), void *arg,
    char **cause)
{
	struct store_onion_row row;
	char where[160], sql[768];
	sqlite3_stmt *st;
	long nstreams;
	int rc, onion, sorted;

	/* None, as the aggregates' pass over the streams saw. */
	if (store_agg_streams(s, r, &nstreams, &onion, &sorted) && !onion)
		return 0;
	/* Targets as LogTargets kept them: "h:….onion", "….onion", "onion". */
	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT x.target, x.target_port, count(*), "
	    "count(DISTINCT x.circ_id), min(x.opened), max(coalesce(x.closed, "
	    "x.opened)), group_concat(DISTINCT x.app) FROM stream x WHERE %s "
	    "AND (x.target LIKE '%%.onion' OR x.target = 'onion') GROUP BY "
	    "x.target, x.target_port ORDER BY min(x.opened), x.target, "
	    "x.target_port", where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.target = COL_TEXT(st, 0);
		row.target_port = sqlite3_column_type(st, 1) == SQLITE_NULL ?
		    -1 : (int)COL_I64(st, 1);
		row.streams = (long)COL_I64(st, 2);
		row.circuits = (long)COL_I64(st, 3);
		row.first_seen = COL_I64(st, 4);
		row.last_seen = COL_I64(st, 5);
		row.apps = COL_TEXT(st, 6);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}
