/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_check.c: check's findings after a cursor, read and the cursor
 * moved in one write transaction, and the silence of the newest session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

/* Prepares sql or says why in *cause. */
static sqlite3_stmt *
check_prepare(struct store *s, const char *sql, char **cause)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

/* One integer from sql with ?1 bound to text t (or nothing); dflt if no
 * row.  Returns 0 or -1. */
static int
check_int(struct store *s, const char *sql, const char *t, int64_t dflt,
    int64_t *out, char **cause)
{
	sqlite3_stmt *st = check_prepare(s, sql, cause);
	int rc;

	if (st == NULL)
		return -1;
	if (t != NULL)
		sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
	*out = dflt;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	return store_range_done(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc,
	    cause);
}

/*
 * The silence of the newest Tor session: reported (through c->silence)
 * when it is longer than c->max_silence and, with a cursor, not reported
 * under that cursor already (meta 'check_silence:NAME' holds the last
 * activity that was).
 */
static int
check_silence(struct store *s, const struct store_check *c, char **cause)
{
	struct store_silence si;
	sqlite3_stmt *st;
	char *key = NULL;
	int64_t told = -1;
	int rc, r = 0;

	st = check_prepare(s, "SELECT id, max(coalesce(last_event, started), "
	    "coalesce(ended, 0)), control, ended FROM tor_session ORDER BY id "
	    "DESC LIMIT 1", cause);
	if (st == NULL)
		return -1;
	memset(&si, 0, sizeof si);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		si.session = COL_I64(st, 0);
		si.last = COL_I64(st, 1);
		si.control = COL_TEXT(st, 2);
		si.ended = COL_I64(st, 3);
	} else
		si.none = 1;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_range_done(s, st, rc, cause);
	si.silence = c->now - si.last;
	if (!si.none && si.silence <= c->max_silence)
		goto done;
	if (c->cursor != NULL) {
		key = xasprintf("check_silence:%s", c->cursor);
		if (check_int(s, "SELECT value FROM meta WHERE key = ?1", key,
		    -1, &told, cause) == -1) {
			r = -1;
			goto done;
		}
		if (told == si.last)
			goto done;	/* this silence was told already */
	}
	if (c->silence(&si, c->arg) == -1) {
		r = -1;
		*cause = xstrdup("cannot write the report");
		goto done;
	}
	if (key != NULL) {
		sqlite3_stmt *up = check_prepare(s, "INSERT INTO meta(key, "
		    "value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET "
		    "value = excluded.value", cause);

		if (up == NULL) {
			r = -1;
			goto done;
		}
		sqlite3_bind_text(up, 1, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, si.last);
		r = store_range_done(s, up, sqlite3_step(up), cause);
	}
done:
	free(key);
	sqlite3_finalize(st);
	return r;
}

/*
 * The causes after the cursor's seq, in seq order: a cause has a seq when
 * it is made and a new one when it comes back after an acknowledgement,
 * so each appears once per appearance.  A new seq is always above every
 * cursor (store_queue.c), so a cursor never has to start again.  Without
 * a cursor: the causes first seen since c->since, and those that came
 * back after an acknowledgement and were seen since.  Each with all its
 * occurrences.
 */
int
store_check(struct store *s, const struct store_check *c, char **cause)
{
	static const struct store_range everything;
	struct store_finding_row row;
	struct cause_reader cr;
	sqlite3_stmt *st = NULL, *up;
	int64_t last = 0, maxseq = 0;
	char *ignored = NULL;
	int rc;

	memset(&cr, 0, sizeof cr);
	/*
	 * One write transaction from reading the cursor to moving it: a
	 * second check under the same name waits here, then starts after
	 * what this one printed.
	 */
	if (store_exec(s, c->cursor != NULL ? "BEGIN IMMEDIATE" : "BEGIN",
	    cause) == -1)
		return -1;
	if (store_cause_reader_init(s, &cr, cause) == -1)
		goto fail;
	if (c->cursor != NULL) {
		if (check_int(s, "SELECT last_seq FROM check_cursor WHERE "
		    "name = ?1", c->cursor, 0, &last, cause) == -1 ||
		    check_int(s, "SELECT max(seq) FROM cause", NULL, 0, &maxseq,
		    cause) == -1)
			goto fail;
		if (maxseq < last)
			maxseq = last;
		st = check_prepare(s, "SELECT " CAUSE_COLS " FROM cause c JOIN "
		    "occurrence o ON o.cause = c.id WHERE c.seq > ?1 GROUP BY "
		    "c.id ORDER BY c.seq", cause);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, last);
	} else {
		st = check_prepare(s, "SELECT " CAUSE_COLS " FROM cause c JOIN "
		    "occurrence o ON o.cause = c.id WHERE c.first_seen >= ?1 OR "
		    "(c.again > 0 AND c.acknowledged = 0 AND c.last_seen >= ?1) "
		    "GROUP BY c.id ORDER BY c.seq", cause);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, c->since);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (store_cause_row(s, &cr, st, &everything, &row, cause) == -1)
			goto fail;
		/* New since: "again" only for one that came back since. */
		if (c->cursor == NULL && row.first_seen >= c->since)
			row.again = 0;
		if (c->finding(&row, c->arg) == -1) {
			*cause = xstrdup("cannot write the report");
			goto fail;
		}
	}
	if (store_range_done(s, st, rc, cause) == -1) {
		st = NULL;
		goto fail;
	}
	st = NULL;
	if (c->max_silence > 0 && check_silence(s, c, cause) == -1)
		goto fail;
	if (c->cursor != NULL) {
		up = check_prepare(s, "INSERT INTO check_cursor(name, "
		    "last_seq, updated) VALUES (?1, ?2, ?3) ON CONFLICT(name) "
		    "DO UPDATE SET last_seq = excluded.last_seq, "
		    "updated = excluded.updated", cause);
		if (up == NULL)
			goto fail;
		sqlite3_bind_text(up, 1, c->cursor, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, maxseq);
		sqlite3_bind_int64(up, 3, c->now);
		if (store_range_done(s, up, sqlite3_step(up), cause) == -1)
			goto fail;
	}
	store_cause_reader_free(&cr);
	if (store_exec(s, "COMMIT", cause) == -1)
		return -1;
	return 0;
fail:
	sqlite3_finalize(st);
	store_cause_reader_free(&cr);
	store_exec(s, "ROLLBACK", &ignored);
	free(ignored);
	return -1;
}
