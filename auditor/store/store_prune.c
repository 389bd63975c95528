/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_prune.c: deleting rows older than a cutoff, each by its own times
 * (a Tor session that runs for months is pruned too), in short write
 * transactions, and giving the space back.
 *
 * A row's age: a stream's latest of opened, succeeded and closed; a
 * circuit's of created, built and closed; an occurrence's last_seen; a
 * relay's last_seen; a local onion service's first_seen.  Older than the
 * cutoff, it goes, except:
 *   - a stream or circuit still open in a live session (ours, or one not
 *     ended whose last event is after the cutoff): it is current state;
 *   - a circuit a kept stream, attachment or occurrence names;
 *   - a relay a kept circuit or occurrence names as its exit;
 *   - a local onion service of a live session, or one a kept circuit
 *     works for.
 * A stream's attachments go with it; a cause goes with its last
 * occurrence; an application with the last stream of it; a session when
 * nothing is left under it, its own times are older than the cutoff and
 * it is not live.
 *
 * Each step deletes at most STORE_PRUNE_BATCH streams, circuits and
 * occurrences in one transaction (the database consistent after each), so
 * that a monitor running Retention on a large database is never held up
 * for long: it runs one step per tick.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

/* A row's key: a (session, id) pair, or a rowid in a. */
struct prune_key {
	int64_t	 a;
	int64_t	 b;
};

/*
 * Runs a SELECT of keys (?1 cutoff, ?2 limit) into *keys; the number
 * read, or -1.
 */
static long
prune_select(struct store *s, const char *sql, int64_t cutoff, long limit,
    struct prune_key **keys)
{
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, limit);
	*keys = xreallocarray(NULL, (size_t)limit + 1, sizeof **keys);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		(*keys)[n].a = sqlite3_column_int64(st, 0);
		(*keys)[n].b = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -1;
}

/* Runs sql (parameters ?1, ?2: a key) for n keys; the rows changed, or -1. */
static long
prune_each(struct store *s, const char *sql, const struct prune_key *keys,
    long n)
{
	sqlite3_stmt *st;
	long i, changed = 0;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_bind_int64(st, 1, keys[i].a);
		sqlite3_bind_int64(st, 2, keys[i].b);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		changed += sqlite3_changes(s->db);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? changed : -1;
}

/* Runs a DELETE with ?1 the cutoff; the rows deleted, or -1. */
static long
prune_delete(struct store *s, const char *sql, int64_t cutoff)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, cutoff);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? (long)sqlite3_changes(s->db) : -1;
}

/*
 * Fills temp.prune_live with the live sessions (their rows stay, and what
 * is open in them): this process's own, and those of any writer: not
 * ended, an event after the cutoff.  0 or -1.
 */
static int
prune_live(struct store *s, int64_t cutoff)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_DONE;

	if (sqlite3_exec(s->db, "CREATE TEMP TABLE IF NOT EXISTS prune_live("
	    "id INTEGER PRIMARY KEY); DELETE FROM temp.prune_live", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO temp.prune_live "
	    "VALUES (?1)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < s->nlive && rc == SQLITE_DONE; i++) {
		sqlite3_bind_int64(st, 1, s->live[i].placed != PLACED_NOT ?
		    s->live[i].db : s->live[i].id);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return prune_delete(s, "INSERT OR IGNORE INTO temp.prune_live SELECT "
	    "id FROM tor_session WHERE ended IS NULL AND max(started, "
	    "coalesce(last_event, 0)) >= ?1", cutoff) == -1 ? -1 : 0;
}

/*
 * The kinds of rows a step deletes, in order: occurrences while any are
 * left, then streams, then circuits (a circuit waits for the streams and
 * occurrences that name it: looking at it again in every batch until they
 * were gone cost more than the deleting).  select: the keys of a batch (?1
 * the cutoff, ?2 the limit); del, then: run for each key (?1, ?2), what
 * then deletes counted at then_rows (or not: NONE).
 */
#define NONE	((size_t)-1)
static const struct prune_kind {
	const char	*select;
	const char	*del;
	const char	*then;
	size_t		 rows;
	size_t		 then_rows;
} prune_kinds[] = {
	{ "SELECT rowid, cause FROM occurrence WHERE last_seen < ?1 LIMIT ?2",
	  "DELETE FROM occurrence WHERE rowid = ?1",
	  /* Its cause, when that was the last of it. */
	  "DELETE FROM cause WHERE id = ?2 AND NOT EXISTS (SELECT 1 FROM "
	  "occurrence o WHERE o.cause = ?2)",
	  offsetof(struct store_prune_stats, occurrences),
	  offsetof(struct store_prune_stats, causes) },
	{ "SELECT session, stream_id FROM stream WHERE (opened < ?1 OR "
	  "opened IS NULL) AND coalesce(succeeded, 0) < ?1 AND "
	  "coalesce(closed, 0) < ?1 AND NOT (closed IS NULL AND session IN "
	  "temp.prune_live) LIMIT ?2",
	  "DELETE FROM attach WHERE session = ?1 AND stream_id = ?2",
	  "DELETE FROM stream WHERE session = ?1 AND stream_id = ?2",
	  offsetof(struct store_prune_stats, streams), NONE },
	{ "SELECT session, circ_id FROM circuit c WHERE (created < ?1 OR "
	  "created IS NULL) AND coalesce(built, 0) < ?1 AND "
	  "coalesce(closed, 0) < ?1 AND NOT (closed IS NULL AND session IN "
	  "temp.prune_live) AND (c.session, c.circ_id) NOT IN (SELECT "
	  "session, circ_id FROM stream WHERE circ_id IS NOT NULL) AND "
	  "(c.session, c.circ_id) NOT IN (SELECT session, circ_id FROM "
	  "attach) AND NOT EXISTS (SELECT 1 FROM occurrence o WHERE "
	  "o.session = c.session AND o.circ_id = c.circ_id) LIMIT ?2",
	  "DELETE FROM circuit WHERE session = ?1 AND circ_id = ?2", NULL,
	  offsetof(struct store_prune_stats, circuits), NONE },
};

/* The counter at off in ps. */
static long *
prune_counter(struct store_prune_stats *ps, size_t off)
{
	return (long *)(void *)((char *)ps + off);
}

/*
 * One batch of the first kind that has rows left, inside the caller's
 * transaction: 1 when the batch was full (more may be left), 0 when no
 * kind has, -1 on an error.
 */
static int
prune_batch(struct store *s, int64_t cutoff, struct store_prune_stats *ps)
{
	const struct prune_kind *k;
	struct prune_key *keys;
	long n, then;
	size_t i;

	for (i = 0; i < sizeof prune_kinds / sizeof prune_kinds[0]; i++) {
		k = &prune_kinds[i];
		n = prune_select(s, k->select, cutoff, STORE_PRUNE_BATCH,
		    &keys);
		if (n == -1)
			return -1;
		then = 0;
		if (prune_each(s, k->del, keys, n) == -1 || (k->then != NULL &&
		    (then = prune_each(s, k->then, keys, n)) == -1)) {
			free(keys);
			return -1;
		}
		free(keys);
		*prune_counter(ps, k->rows) += n;
		if (k->then_rows != NONE)
			*prune_counter(ps, k->then_rows) += then;
		if (n == STORE_PRUNE_BATCH)
			return 1;
	}
	return 0;
}

/*
 * The last step's rest, inside its transaction: onion services, sessions
 * left empty, applications no stream names, relays.  0 or -1.
 */
static int
prune_rest(struct store *s, int64_t cutoff, struct store_prune_stats *ps)
{
	static const struct {
		const char	*sql;		/* ?1 the cutoff */
		size_t		 rows;
	} rest[] = {
		{ "DELETE FROM onion_service WHERE first_seen < ?1 AND session "
		  "NOT IN temp.prune_live AND NOT EXISTS (SELECT 1 FROM circuit "
		  "c WHERE c.session = onion_service.session AND c.rend_query = "
		  "onion_service.address)",
		  offsetof(struct store_prune_stats, services) },
		/*
		 * Attachments are not asked: those left have lost their
		 * stream (a row refused), and go with their session.
		 */
		{ "DELETE FROM tor_session WHERE id NOT IN temp.prune_live AND "
		  "max(started, coalesce(ended, 0), coalesce(last_event, 0)) < "
		  "?1 AND NOT EXISTS (SELECT 1 FROM stream x WHERE x.session = "
		  "tor_session.id) AND NOT EXISTS (SELECT 1 FROM circuit c WHERE "
		  "c.session = tor_session.id) AND NOT EXISTS (SELECT 1 FROM "
		  "occurrence o WHERE o.session = tor_session.id) AND NOT EXISTS "
		  "(SELECT 1 FROM onion_service h WHERE h.session = "
		  "tor_session.id)",
		  offsetof(struct store_prune_stats, sessions) },
		{ "DELETE FROM app WHERE id NOT IN (SELECT app FROM stream "
		  "WHERE app IS NOT NULL)",
		  offsetof(struct store_prune_stats, apps) },
		{ "DELETE FROM relay WHERE coalesce(last_seen, 0) < ?1 AND "
		  "fingerprint NOT IN (SELECT exit_fp FROM circuit WHERE exit_fp "
		  "IS NOT NULL) AND fingerprint NOT IN (SELECT exit_fp FROM "
		  "occurrence WHERE exit_fp IS NOT NULL)",
		  offsetof(struct store_prune_stats, relays) },
	};
	size_t i;
	long n;

	for (i = 0; i < sizeof rest / sizeof rest[0]; i++) {
		if ((n = prune_delete(s, rest[i].sql, cutoff)) == -1)
			return -1;
		*prune_counter(ps, rest[i].rows) += n;
	}
	return 0;
}

/*
 * Forgets the apps prune deleted: the known ones are read again (all of
 * ours are in the database after the flush, under the ids they were handed
 * out with unless another writer took those).  Right after the commit: an
 * id of a deleted app handed out again would have its rows refused.
 */
static int
prune_apps_reload(struct store *s, char **cause)
{
	size_t i;

	if (s->napps_unplaced != 0 || s->nadiff != 0)
		return 0;
	for (i = 0; i < s->napps; i++)
		free(s->apps[i].key);
	s->napps = 0;
	hindex_clear(&s->appidx);
	return store_load_ids(s, cause);
}

/*
 * Gives the space back, STORE_PRUNE_VACUUM_PAGES at a time: 1 while more
 * is left, 0 when done (and nothing of it left in the WAL), -1.
 */
static int
prune_vacuum(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	char sql[64];
	int64_t left = 0;

	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)",
	    STORE_PRUNE_VACUUM_PAGES);
	if (store_exec(s, sql, cause) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA freelist_count", -1, &st,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		left = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (left > 0)
		return 1;
	return store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", cause);
}

int
store_prune_step(struct store *s, int64_t cutoff,
    struct store_prune_stats *ps, char **cause)
{
	char *ignored = NULL;
	int more;

	if (s->prune_vacuum) {
		if ((more = prune_vacuum(s, cause)) != 1)
			s->prune_vacuum = 0;
		return more;
	}
	if (store_flush(s) == -1 && s->nops > 0) {
		*cause = xasprintf("database %s: %s", s->path,
		    s->st.last_error);
		return -1;
	}
	if (store_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return -1;
	more = prune_live(s, cutoff) == -1 ? -1 : prune_batch(s, cutoff, ps);
	if (more == 0 && prune_rest(s, cutoff, ps) == -1)
		more = -1;
	if (more == -1) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
		return -1;
	}
	if (store_exec(s, "COMMIT", cause) == -1) {
		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
		return -1;
	}
	if (more)
		return 1;
	if (prune_apps_reload(s, cause) == -1)
		return -1;
	/* The space back, in the next steps. */
	s->prune_vacuum = 1;
	return 1;
}

int
store_prune(struct store *s, int64_t cutoff, struct store_prune_stats *ps,
    char **cause)
{
	int rc;

	memset(ps, 0, sizeof *ps);
	while ((rc = store_prune_step(s, cutoff, ps, cause)) == 1)
		;
	return rc;
}
