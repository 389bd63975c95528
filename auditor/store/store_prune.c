/*
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
#include <inttypes.h>
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
 * The live sessions, as SQL (parameter ?1 the cutoff): this process's
 * own, and those of any writer: not ended, an event after the cutoff.
 */
static char *
prune_live_sql(const struct store *s)
{
	struct buf b;
	char *out;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "SELECT id FROM tor_session WHERE ended IS NULL AND "
	    "(max(started, coalesce(last_event, 0)) >= ?1 OR id IN (");
	for (i = 0; i < s->nlive; i++)
		buf_printf(&b, "%s%" PRId64, i ? ", " : "",
		    s->live[i].placed != PLACED_NOT ? s->live[i].db :
		    s->live[i].id);
	buf_adds(&b, "))");
	out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

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

/*
 * Runs each statement (parameters ?1, ?2: a key) for n keys; the rows
 * deleted, or -1.
 */
static long
prune_each(struct store *s, const char *const *sql, size_t nsql,
    const struct prune_key *keys, long n)
{
	sqlite3_stmt *st;
	size_t k;
	long i, changed = 0;
	int rc;

	for (k = 0; k < nsql; k++) {
		if (sqlite3_prepare_v2(s->db, sql[k], -1, &st, NULL) !=
		    SQLITE_OK)
			return -1;
		for (i = 0; i < n; i++) {
			sqlite3_bind_int64(st, 1, keys[i].a);
			sqlite3_bind_int64(st, 2, keys[i].b);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				sqlite3_finalize(st);
				return -1;
			}
			changed += sqlite3_changes(s->db);
		}
		sqlite3_finalize(st);
	}
	return changed;
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
 * One batch, inside the caller's transaction: of occurrences while any are
 * left, then of streams, then of circuits (a circuit waits for the streams
 * and occurrences that name it: looking at it again in every batch until
 * they were gone cost more than the deleting).  1 when a batch was full
 * (more may be left), 0 when none was, -1 on an error.
 */
static int
prune_batch(struct store *s, int64_t cutoff, const char *live,
    struct store_prune_stats *ps)
{
	static const char *const occ_del[] = {
		"DELETE FROM occurrence WHERE rowid = ?1",
		/* Its cause, when that was the last of it. */
		"DELETE FROM cause WHERE id = ?2 AND NOT EXISTS (SELECT 1 "
		"FROM occurrence o WHERE o.cause = ?2)",
	};
	static const char *const stream_del[] = {
		"DELETE FROM attach WHERE session = ?1 AND stream_id = ?2",
		"DELETE FROM stream WHERE session = ?1 AND stream_id = ?2",
	};
	static const char *const circ_del[] = {
		"DELETE FROM circuit WHERE session = ?1 AND circ_id = ?2",
	};
	struct prune_key *keys = NULL;
	char *sql;
	long n, full = 0, causes;

	/* Occurrences (and the causes they were the last of). */
	n = prune_select(s, "SELECT rowid, cause FROM occurrence WHERE "
	    "last_seen < ?1 LIMIT ?2", cutoff, STORE_PRUNE_BATCH, &keys);
	if (n == -1)
		goto fail;
	if (prune_each(s, occ_del, 1, keys, n) == -1 ||
	    (causes = prune_each(s, occ_del + 1, 1, keys, n)) == -1)
		goto fail;
	ps->occurrences += n;
	ps->causes += causes;
	full |= n == STORE_PRUNE_BATCH;
	free(keys);
	keys = NULL;
	if (full)
		return 1;

	/* Streams, with their attachments. */
	sql = xasprintf("SELECT session, stream_id FROM stream WHERE "
	    "(opened < ?1 OR opened IS NULL) AND coalesce(succeeded, 0) < ?1 "
	    "AND coalesce(closed, 0) < ?1 AND NOT (closed IS NULL AND "
	    "session IN (%s)) LIMIT ?2", live);
	n = prune_select(s, sql, cutoff, STORE_PRUNE_BATCH, &keys);
	free(sql);
	if (n == -1 || prune_each(s, stream_del, 2, keys, n) == -1)
		goto fail;
	ps->streams += n;
	full |= n == STORE_PRUNE_BATCH;
	free(keys);
	keys = NULL;
	if (full)
		return 1;

	/* Circuits nothing kept names. */
	sql = xasprintf("SELECT session, circ_id FROM circuit c WHERE "
	    "(created < ?1 OR created IS NULL) AND coalesce(built, 0) < ?1 "
	    "AND coalesce(closed, 0) < ?1 AND NOT (closed IS NULL AND "
	    "session IN (%s)) AND NOT EXISTS (SELECT 1 FROM stream x WHERE "
	    "x.session = c.session AND x.circ_id = c.circ_id) AND NOT EXISTS "
	    "(SELECT 1 FROM attach a WHERE a.session = c.session AND "
	    "a.circ_id = c.circ_id) AND NOT EXISTS (SELECT 1 FROM occurrence "
	    "o WHERE o.session = c.session AND o.circ_id = c.circ_id) "
	    "LIMIT ?2", live);
	n = prune_select(s, sql, cutoff, STORE_PRUNE_BATCH, &keys);
	free(sql);
	if (n == -1 || prune_each(s, circ_del, 1, keys, n) == -1)
		goto fail;
	ps->circuits += n;
	full |= n == STORE_PRUNE_BATCH;
	free(keys);
	return full != 0;
fail:
	free(keys);
	return -1;
}

/*
 * The last step's rest, inside its transaction: onion services, sessions
 * left empty, applications no stream names, relays.  0 or -1.
 */
static int
prune_rest(struct store *s, int64_t cutoff, const char *live,
    struct store_prune_stats *ps)
{
	char *sql;
	long n;

	sql = xasprintf("DELETE FROM onion_service WHERE first_seen < ?1 AND "
	    "session NOT IN (%s) AND NOT EXISTS (SELECT 1 FROM circuit c "
	    "WHERE c.session = onion_service.session AND c.rend_query = "
	    "onion_service.address)", live);
	n = prune_delete(s, sql, cutoff);
	free(sql);
	if (n == -1)
		return -1;
	ps->services += n;
	/*
	 * Attachments are not asked: those left have lost their stream (a
	 * row refused), and go with their session.
	 */
	sql = xasprintf("DELETE FROM tor_session WHERE id NOT IN (%s) AND "
	    "max(started, coalesce(ended, 0), coalesce(last_event, 0)) < ?1 "
	    "AND NOT EXISTS (SELECT 1 FROM stream x WHERE x.session = "
	    "tor_session.id) AND NOT EXISTS (SELECT 1 FROM circuit c WHERE "
	    "c.session = tor_session.id) AND NOT EXISTS (SELECT 1 FROM "
	    "occurrence o WHERE o.session = tor_session.id) AND NOT EXISTS "
	    "(SELECT 1 FROM onion_service h WHERE h.session = tor_session.id)",
	    live);
	n = prune_delete(s, sql, cutoff);
	free(sql);
	if (n == -1)
		return -1;
	ps->sessions += n;
	if ((n = prune_delete(s, "DELETE FROM app WHERE NOT EXISTS (SELECT 1 "
	    "FROM stream x WHERE x.app = app.id)", cutoff)) == -1)
		return -1;
	ps->apps += n;
	if ((n = prune_delete(s, "DELETE FROM relay WHERE coalesce(last_seen, "
	    "0) < ?1 AND fingerprint NOT IN (SELECT exit_fp FROM circuit "
	    "WHERE exit_fp IS NOT NULL) AND fingerprint NOT IN (SELECT "
	    "exit_fp FROM occurrence WHERE exit_fp IS NOT NULL)", cutoff)) ==
	    -1)
		return -1;
	ps->relays += n;
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
	char *live, *ignored = NULL;
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
	live = prune_live_sql(s);
	more = prune_batch(s, cutoff, live, ps);
	if (more == 0 && prune_rest(s, cutoff, live, ps) == -1)
		more = -1;
	free(live);
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
