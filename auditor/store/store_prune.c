/* store_prune.c: deleting old sessions and giving the space back. */
#include <stdlib.h>

#include "store_int.h"
#include "xmalloc.h"

long
store_prune(struct store *s, int64_t cutoff, char **cause)
{
	sqlite3_stmt *st;
	long n;

	if (store_flush(s) == -1 && s->nops > 0) {
		*cause = xasprintf("database %s: %s", s->path,
		    s->st.last_error);
		return -1;
	}
	if (store_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM tor_session WHERE "
	    "max(started, coalesce(ended, 0), coalesce(last_event, 0)) < ?1",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, cutoff);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	/* Occurrences went with their sessions; a cause left without any
	 * goes too, one that keeps some stays. */
	if (store_exec(s, "DELETE FROM cause WHERE NOT EXISTS (SELECT 1 FROM "
	    "occurrence o WHERE o.cause = cause.id)", cause) == -1)
		goto fail_quiet;
	if (store_exec(s, "DELETE FROM app WHERE id NOT IN (SELECT app FROM "
	    "stream WHERE app IS NOT NULL)", cause) == -1)
		goto fail_quiet;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM relay WHERE "
	    "coalesce(last_seen, 0) < ?1", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, cutoff);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (store_exec(s, "COMMIT", cause) == -1)
		goto fail_quiet;
	/* Give the space back, and leave nothing of it in the WAL. */
	if (store_exec(s, "PRAGMA incremental_vacuum", cause) == -1 ||
	    store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", cause) == -1)
		return -1;
	/*
	 * Forget the apps prune deleted: the known ones are read again (all
	 * of ours are in the database after the flush above, under the ids
	 * they were handed out with unless another writer took those).
	 */
	if (s->napps_unplaced == 0 && s->nadiff == 0) {
		size_t i;

		for (i = 0; i < s->napps; i++)
			free(s->apps[i].key);
		s->napps = 0;
		hindex_clear(&s->appidx);
		if (store_load_ids(s, cause) == -1)
			return -1;
	}
	return n;
fail:
	*cause = xasprintf("database %s: %s", s->path, sqlite3_errmsg(s->db));
fail_quiet:
	{
		char *ignored = NULL;

		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
	}
	return -1;
}
