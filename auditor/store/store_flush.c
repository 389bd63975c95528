/*
 * store_flush.c: running the queue in one transaction, and what happens
 * when the database cannot be written: rows wait in memory up to
 * STORE_MAX_QUEUE (what had to be dropped is counted), the tick retries
 * with backoff, and a database file that was removed or replaced is
 * created again.
 */
#define ISOAUDIT_PRIVATE	/* defines what store.h keeps for tests */
#include <sys/stat.h>
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

static int	store_ensure_live(struct store *);

int
store_pending(const struct store *s)
{
	return s->nops > 0;
}

void
store_stats(const struct store *s, struct store_stats *out)
{
	*out = s->st;
	out->rows_queued = s->nops;
}

/* Binds and runs one queued operation with the statement of type t. */
static int
op_exec(struct store *s, const struct op *o, int t)
{
	sqlite3_stmt *st = s->stmt[t];
	int nint = store_op_sql[t].nint, nstr = store_op_sql[t].nstr;
	int k, rc;

	for (k = 0; k < nint; k++) {
		if (o->nulls & (1u << k))
			sqlite3_bind_null(st, k + 1);
		else
			sqlite3_bind_int64(st, k + 1, o->i[k]);
	}
	for (k = 0; k < nstr; k++) {
		if (o->s[k] == NO_STR)
			sqlite3_bind_null(st, nint + k + 1);
		else
			sqlite3_bind_text(st, nint + k + 1,
			    s->arena.p + o->s[k], -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether the last statement failed on a constraint (a refused row). */
static int
refused(struct store *s)
{
	return (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT;
}

/*
 * Runs one queued operation: 0, -1 (the database failed), or -2 (the
 * schema refused the row; s->refusal says why).
 */
static int
op_run(struct store *s, const struct op *o)
{
	if (o->type == OP_STREAM && !(o->nulls & (1u << 9))) {
		if (op_exec(s, o, OP_STREAM_INSERT) == 0)
			return 0;
		if (!refused(s))
			return -1;
		/* There is a row (or the schema refuses it): upsert. */
	}
	if (o->type == OP_FINDING) {
		/* The cause, then its occurrence; a cause left alone goes. */
		if (op_exec(s, o, OP_FINDING) == 0 &&
		    op_exec(s, o, OP_OCCURRENCE) == 0)
			return 0;
		if (!refused(s))
			return -1;
		snprintf(s->refusal, sizeof s->refusal, "%s",
		    sqlite3_errmsg(s->db));
		return op_exec(s, o, OP_CAUSE_UNDO) == 0 ? -2 : -1;
	}
	if (op_exec(s, o, o->type) == 0)
		return 0;
	if (!refused(s))
		return -1;
	snprintf(s->refusal, sizeof s->refusal, "%s", sqlite3_errmsg(s->db));
	return -2;
}

static void
store_set_error(struct store *s, const char *what)
{
	snprintf(s->st.last_error, sizeof s->st.last_error, "%s: %s", what,
	    s->db ? sqlite3_errmsg(s->db) : "not open");
}

/* Whether a live session's last event time is not written yet. */
static int
store_live_dirty(const struct store *s)
{
	size_t i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i].last_event != s->live[i].written)
			return 1;
	return 0;
}

/* Writes the touch of every live session (last event times). */
static int
store_touch_live(struct store *s)
{
	sqlite3_stmt *st = s->stmt[OP_SESSION_TOUCH];
	size_t i;
	int rc;

	for (i = 0; i < s->nlive; i++) {
		if (s->live[i].last_event == s->live[i].written)
			continue;
		sqlite3_bind_int64(st, 1, s->live[i].id);
		sqlite3_bind_int64(st, 2, s->live[i].last_event);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_flush(struct store *s)
{
	size_t i;
	char *ignored = NULL;

	if (s->mode != STORE_WRITE || s->db == NULL)
		return -1;
	if (s->nops == 0 && !store_live_dirty(s))
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		store_set_error(s, "cannot begin a transaction");
		goto fail;
	}
	/*
	 * Our live sessions exist whatever happened to the file (a prune by
	 * another process, a replaced database): rows refer to them.
	 */
	if (store_ensure_live(s) == -1) {
		store_set_error(s, "cannot write");
		goto rollback;
	}
	for (i = 0; i < s->nops; i++) {
		switch (op_run(s, &s->ops[i])) {
		case 0:
			break;
		case -2:
			/* One row the schema refuses must not hold up the
			 * rest: drop it, count it, say so. */
			s->st.rows_dropped++;
			s->st.rows_refused++;
			if (s->st.rows_refused == 1)
				log_error("database %s: a row was refused "
				    "(%s); dropped and counted", s->path,
				    s->refusal);
			break;
		default:
			store_set_error(s, "cannot write");
			goto rollback;
		}
	}
	if (store_touch_live(s) == -1) {
		store_set_error(s, "cannot write");
		goto rollback;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_set_error(s, "cannot commit");
		goto rollback;
	}
	s->st.commits++;
	s->st.rows_written += s->nops + s->nfolded;
	s->nfolded = 0;
	for (i = 0; i < s->nlive; i++)
		s->live[i].written = s->live[i].last_event;
	s->nops = 0;
	hindex_clear(&s->rowidx);
	s->st.rows_queued = 0;
	buf_reset(&s->arena);
	s->arena.len = 0;
	if (s->st.failing) {
		s->st.failing = 0;
		log_warnx("database %s: writing again (%" PRIu64 " rows had "
		    "to be dropped meanwhile)", s->path,
		    s->st.rows_dropped - s->dropped_reported);
		s->dropped_reported = s->st.rows_dropped;
		s->backoff_ms = 1000;
	}
	return 0;

rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, &ignored);
	sqlite3_free(ignored);
fail:
	s->st.failures++;
	if (!s->st.failing) {
		s->st.failing = 1;
		log_error("database %s: %s; monitoring goes on, up to %d rows "
		    "wait in memory", s->path, s->st.last_error,
		    STORE_MAX_QUEUE);
	}
	return -1;
}

/* Whether another connection changed the database since we last looked. */
static int
store_changed_elsewhere(struct store *s)
{
	sqlite3_stmt *st;
	int v = 0, changed;

	if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return 1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	changed = s->data_version != 0 && v != s->data_version;
	s->data_version = v;
	return changed;
}

/* Puts back an app row (another process's prune may have removed it). */
static int
store_ensure_app(struct store *s, const struct app_entry *a)
{
	sqlite3_stmt *st = s->stmt[OP_APP];
	char *k, *host, *sub;
	int rc;

	if ((k = store_app_key_split(a->key, &host, &sub)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(k);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * (Re)creates the rows of this process's live sessions, and, when another
 * process has written to the database meanwhile, of its known apps.
 */
static int
store_ensure_live(struct store *s)
{
	sqlite3_stmt *st = s->stmt[OP_SESSION_BEGIN];
	size_t i;
	int rc;

	if (store_changed_elsewhere(s))
		for (i = 0; i < s->napps; i++)
			if (store_ensure_app(s, &s->apps[i]) == -1)
				return -1;

	for (i = 0; i < s->nlive; i++) {
		struct live_session *ls = &s->live[i];

		sqlite3_bind_int64(st, 1, ls->id);
		sqlite3_bind_int64(st, 2, ls->started);
		sqlite3_bind_text(st, 3, ls->control, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ls->auth, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ls->source, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/*
 * Recreates the database after its file was removed or replaced.  The ids
 * handed out stay valid (the pipeline holds them): live sessions and known
 * applications are written again first, and new ids go on after them.
 */
static void
store_reopen(struct store *s, const char *why)
{
	enum store_err err;
	char *cause = NULL;
	unsigned char key[STORE_SCHEMA_KEY_LEN];
	struct app_entry *apps = s->apps;
	size_t napps = s->napps, first, i, j;
	int64_t next_app = s->next_app, next_session = s->next_session;
	sqlite3_stmt *st;

	log_error("database %s %s; creating it again", s->path, why);
	memcpy(key, s->key, sizeof key);
	store_finalize(s);
	s->apps = NULL;
	s->napps = 0;
	hindex_clear(&s->appidx);
	if (store_connect(s, &err, &cause) == -1) {
		snprintf(s->st.last_error, sizeof s->st.last_error, "%s",
		    cause);
		free(cause);
		store_finalize(s);
		for (i = 0; i < s->napps; i++)
			free(s->apps[i].key);
		free(s->apps);
		s->apps = apps;
		s->napps = napps;
		s->next_app = next_app;
		s->next_session = next_session;
		s->st.failing = 1;
		return;
	}
	/* Keep the old key (hashes stay comparable) and the live sessions. */
	if (sqlite3_prepare_v2(s->db, "UPDATE meta SET value = ?1 WHERE key = "
	    "'hash_key'", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_blob(st, 1, key, sizeof key, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
		memcpy(s->key, key, sizeof key);
	}
	sodium_memzero(key, sizeof key);
	if (s->next_app < next_app)
		s->next_app = next_app;
	if (s->next_session < next_session)
		s->next_session = next_session;
	/* These go first: the rows queued refer to them. */
	first = s->nops;
	for (i = 0; i < s->nlive; i++) {
		s->live[i].written = 0;
		store_queue_session(s, &s->live[i]);
	}
	for (i = 0; i < napps; i++) {
		for (j = 0; j < s->napps; j++)
			if (strcmp(s->apps[j].key, apps[i].key) == 0)
				break;
		if (j < s->napps) {
			free(apps[i].key);
			continue;
		}
		store_queue_app(s, &apps[i]);
		s->apps = xreallocarray(s->apps, s->napps + 1,
		    sizeof *s->apps);
		s->apps[s->napps++] = apps[i];
	}
	free(apps);
	store_queue_to_front(s, first);
}

void
store_tick(struct store *s, int64_t now)
{
	struct stat sb;

	if (s->mode != STORE_WRITE)
		return;
	if (now - s->last_check >= 1000000) {
		s->last_check = now;
		if (stat(s->path, &sb) == -1)
			store_reopen(s, "was removed");
		else if (s->db != NULL &&
		    (sb.st_ino != s->ino || sb.st_dev != s->dev))
			store_reopen(s, "was replaced");
	}
	if (s->st.failing) {
		if (now < s->retry_at)
			return;
		if (s->db == NULL)
			store_reopen(s, "could not be opened");
		if (store_flush(s) == -1) {
			s->retry_at = now + (int64_t)s->backoff_ms * 1000;
			if (s->backoff_ms < 10000)
				s->backoff_ms *= 2;
		}
		return;
	}
	if (s->nops > 0 || store_live_dirty(s)) {
		if (now - s->last_flush >= STORE_FLUSH_MS * 1000 ||
		    s->nops >= STORE_BATCH_ROWS) {
			s->last_flush = now;
			if (store_flush(s) == -1)
				s->retry_at = now + 1000000;
		}
	}
}
