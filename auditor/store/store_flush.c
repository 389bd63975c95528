/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
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


#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

static int	store_ensure_live(struct store *);
static void	store_check_file(struct store *);

int
store_pending(const struct store *s)
{
	return s->nops > 0 || s->napps_unplaced > 0;
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

/* The id in the database of what was handed out as local (diffs: few). */
static int64_t
id_db(const struct id_pair *d, size_t n, int64_t local)
{
	while (n > 0) {
		n--;
		if (d[n].local == local)
			return d[n].db;
	}
	return local;
}

/* Notes that local was placed as db (when they differ), and says so. */
static void
id_note(struct store *s, struct id_pair **d, size_t *n, const char *what,
    int64_t local, int64_t db)
{
	if (db == local)
		return;
	*d = xreallocarray(*d, *n + 1, sizeof **d);
	(*d)[*n].local = local;
	(*d)[*n].db = db;
	(*n)++;
	log_warnx("database %s: %s %" PRId64 " was taken by another writer; "
	    "this one's is %" PRId64 " there", s->path, what, local, db);
}

/* Places a session (OP_SESSION_NEW); its id in the database in *db. */
static int
session_place(struct store *s, const struct op *o, int64_t *db)
{
	if (op_exec(s, o, OP_SESSION_NEW) == -1)
		return -1;
	*db = sqlite3_last_insert_rowid(s->db);
	id_note(s, &s->sdiff, &s->nsdiff, "session", o->i[0], *db);
	return 0;
}

/* The live session handed out as id, or NULL. */
static struct live_session *
live_find(struct store *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i].id == id)
			return &s->live[i];
	return NULL;
}

/* An op for a live session's row (OP_SESSION_BEGIN's parameters). */
static void
live_op(struct store *s, const struct live_session *ls, struct op *o)
{
	memset(o, 0, sizeof *o);
	o->type = OP_SESSION_BEGIN;
	o->i[0] = ls->id;
	o->i[1] = ls->started;
	o->s[0] = (uint32_t)s->arena.len;
	buf_add(&s->arena, ls->control, strlen(ls->control) + 1);
	o->s[1] = (uint32_t)s->arena.len;
	buf_add(&s->arena, ls->auth, strlen(ls->auth) + 1);
	o->s[2] = (uint32_t)s->arena.len;
	buf_add(&s->arena, ls->source, strlen(ls->source) + 1);
}

/* Places an app (OP_APP_NEW, then OP_APP_ID reads its id back). */
static int
app_place(struct store *s, struct app_entry *a)
{
	sqlite3_stmt *st;
	char *label, *host, *sub;
	int rc;

	if ((label = store_app_key_split(a->key, &host, &sub)) == NULL)
		return -1;
	st = s->stmt[OP_APP_NEW];
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(label);
		return -1;
	}
	st = s->stmt[OP_APP_ID];
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		a->db = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	free(label);
	if (rc != SQLITE_ROW)
		return -1;
	a->placed = PLACED_NOW;
	s->napps_unplaced--;
	s->napps_now++;
	id_note(s, &s->adiff, &s->nadiff, "application", a->id, a->db);
	return 0;
}

/*
 * A session's first row: placed when it is not yet (its id may change),
 * else written again under its id in the database (OR IGNORE).
 */
static int
op_session_begin(struct store *s, const struct op *o)
{
	struct live_session *ls = live_find(s, o->i[0]);
	struct op tmp;
	int64_t db;

	if (ls != NULL && ls->placed != PLACED_NOT) {
		tmp = *o;
		tmp.i[0] = ls->db;
		return op_exec(s, &tmp, OP_SESSION_BEGIN);
	}
	if (session_place(s, o, &db) == -1)
		return -1;
	if (ls != NULL) {
		ls->db = db;
		ls->placed = PLACED_NOW;
	}
	return 0;
}

/*
 * The op with the ids in the database in place of those handed out: o
 * itself when none differs (always, with one writer), else a copy in tmp.
 */
static const struct op *
op_ids(const struct store *s, const struct op *o, struct op *tmp)
{
	if (s->nsdiff == 0 && s->nadiff == 0)
		return o;
	switch (o->type) {
	case OP_RELAY:
	case OP_APP:
	case OP_ACK:
		return o;
	default:
		break;
	}
	*tmp = *o;
	if (!(tmp->nulls & 1u))
		tmp->i[0] = id_db(s->sdiff, s->nsdiff, o->i[0]);
	/* A stream's app (store_stream: integer 3). */
	if (o->type == OP_STREAM && !(tmp->nulls & (1u << 3)))
		tmp->i[3] = id_db(s->adiff, s->nadiff, o->i[3]);
	return tmp;
}

/*
 * Runs one queued operation: 0, -1 (the database failed), or -2 (the
 * schema refused the row; s->refusal says why).
 */
static int
op_run(struct store *s, const struct op *o)
{
	struct op tmp;

	if (o->type == OP_SESSION_BEGIN) {
		if (op_session_begin(s, o) == 0)
			return 0;
		if (!refused(s))
			return -1;
		snprintf(s->refusal, sizeof s->refusal, "%s",
		    sqlite3_errmsg(s->db));
		return -2;
	}
	o = op_ids(s, o, &tmp);
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

/* Whether a live session is not in the database yet. */
static int
store_live_unplaced(const struct store *s)
{
	size_t i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i].placed == PLACED_NOT)
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
		sqlite3_bind_int64(st, 1, s->live[i].db);
		sqlite3_bind_int64(st, 2, s->live[i].last_event);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* After a commit (ok) or a rollback: what was placed stays, or is undone. */
static void
placed_settle(struct store *s, int ok, size_t nsdiff, size_t nadiff,
    size_t *napps_placed)
{
	size_t i;

	*napps_placed = 0;
	for (i = 0; i < s->nlive; i++)
		if (s->live[i].placed == PLACED_NOW)
			s->live[i].placed = ok ? PLACED_DONE : PLACED_NOT;
	/* No app placed in this transaction: the usual case, no loop. */
	if (s->napps_now > 0) {
		for (i = 0; i < s->napps; i++) {
			if (s->apps[i].placed != PLACED_NOW)
				continue;
			(*napps_placed)++;
			if (ok)
				s->apps[i].placed = PLACED_DONE;
			else {
				s->apps[i].placed = PLACED_NOT;
				s->napps_unplaced++;
			}
		}
		s->napps_now = 0;
	}
	if (!ok) {
		s->nsdiff = nsdiff;
		s->nadiff = nadiff;
	}
}

int
store_flush(struct store *s)
{
	size_t i, nsdiff = s->nsdiff, nadiff = s->nadiff, napps_placed;
	char *ignored = NULL;

	if (s->mode != STORE_WRITE)
		return -1;
	if (s->nops == 0 && !store_live_dirty(s) && s->napps_unplaced == 0 &&
	    !store_live_unplaced(s))
		return 0;
	/*
	 * Is the file still ours?  Asked when there is something to write,
	 * not by polling: an idle monitor does nothing at all.
	 */
	if (s->db != NULL)
		store_check_file(s);
	if (s->db == NULL)
		return -1;
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
	placed_settle(s, 1, nsdiff, nadiff, &napps_placed);
	s->st.commits++;
	s->st.rows_written += s->nops + s->nfolded + napps_placed;
	s->nfolded = 0;
	for (i = 0; i < s->nlive; i++)
		s->live[i].written = s->live[i].last_event;
	s->nops = 0;
	s->generation++;	/* a new queue (store_generation) */
	hindex_clear(&s->rowidx);
	s->st.rows_queued = 0;
	buf_reset(&s->arena);
	s->arena.len = 0;
	s->flush_due = 0;
	s->noted = 0;
	s->urgent = 0;
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
	placed_settle(s, 0, nsdiff, nadiff, &napps_placed);
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
	sqlite3_bind_int64(st, 1, a->db);
	sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sub, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(k);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * At the start of every write transaction: places the apps and the live
 * sessions not yet in the database (the rows queued refer to them), and
 * (re)creates the rows of this process's live sessions and, when another
 * process has written to the database meanwhile, of its known apps.
 */
static int
store_ensure_live(struct store *s)
{
	struct op o;
	size_t i, mark;
	int rc;

	if (store_changed_elsewhere(s))
		for (i = 0; i < s->napps; i++)
			if (s->apps[i].placed != PLACED_NOT &&
			    store_ensure_app(s, &s->apps[i]) == -1)
				return -1;
	for (i = 0; s->napps_unplaced > 0 && i < s->napps; i++)
		if (s->apps[i].placed == PLACED_NOT &&
		    app_place(s, &s->apps[i]) == -1)
			return -1;

	for (i = 0; i < s->nlive; i++) {
		struct live_session *ls = &s->live[i];

		/* The strings go to the arena's end, and are gone after. */
		mark = s->arena.len;
		live_op(s, ls, &o);
		rc = op_session_begin(s, &o);
		s->arena.len = mark;
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * Recreates the database after its file was removed or replaced.  The ids
 * handed out stay valid (the pipeline holds them): nothing is placed in the
 * new file, so the next flush places the live sessions and the known
 * applications first, under the same ids where they are free.
 */
static void
store_reopen(struct store *s, const char *why)
{
	enum store_err err;
	char *cause = NULL;
	size_t i;

	log_error("database %s %s; creating it again", s->path, why);
	store_finalize(s);
	for (i = 0; i < s->nlive; i++) {
		s->live[i].placed = PLACED_NOT;
		s->live[i].written = 0;
	}
	for (i = 0; i < s->napps; i++)
		s->apps[i].placed = PLACED_NOT;
	s->napps_unplaced = s->napps;
	s->nsdiff = 0;
	s->nadiff = 0;
	s->data_version = 0;
	if (store_connect(s, &err, &cause) == -1) {
		snprintf(s->st.last_error, sizeof s->st.last_error, "%s",
		    cause);
		free(cause);
		store_finalize(s);
		s->st.failing = 1;
		return;
	}
}

/*
 * Whether the database file is still the one open (a removal or a
 * replacement: a restore, a move) and, when not, creates it again.
 */
static void
store_check_file(struct store *s)
{
	struct stat sb;

	if (stat(s->path, &sb) == -1)
		store_reopen(s, "was removed");
	else if (sb.st_ino != s->ino || sb.st_dev != s->dev)
		store_reopen(s, "was replaced");
}

/*
 * Whether anything waits for a commit: queued rows, apps or sessions not
 * yet placed, a live session's last event time.
 */
static int
store_dirty(const struct store *s)
{
	return s->nops > 0 || s->napps_unplaced > 0 || store_live_dirty(s) ||
	    store_live_unplaced(s);
}

void
store_note(struct store *s, int urgent)
{
	if (s->mode != STORE_WRITE || (s->noted && (!urgent || s->urgent))) {
		s->noted = 1;
		return;
	}
	s->noted = 1;
	if (urgent)
		s->urgent = 1;
	if (s->wake != NULL)
		s->wake(s->wake_arg);
}

void
store_set_wake(struct store *s, void (*fn)(void *), void *arg)
{
	s->wake = fn;
	s->wake_arg = arg;
}

void
store_set_window(struct store *s, long ms)
{
	if (ms > 0)
		s->window_us = (int64_t)ms * 1000;
}

int64_t
store_tick(struct store *s, int64_t now)
{
	if (s->mode != STORE_WRITE)
		return 0;
	/*
	 * now is monotonic (the loop passes time_mono_us).  Should it ever go
	 * back, the window and the backoff start again from it rather than
	 * wait for it to catch up: a wall clock stepped back an hour stopped
	 * every commit for that hour.
	 */
	if (s->flush_due != 0 && s->flush_due - now > s->window_us)
		s->flush_due = now + s->window_us;
	if (s->retry_at - now > (int64_t)s->backoff_ms * 1000 + 1000000)
		s->retry_at = now;
	if (s->st.failing) {
		if (now < s->retry_at)
			return s->retry_at;
		if (s->db == NULL)
			store_reopen(s, "could not be opened");
		if (store_flush(s) == -1) {
			s->retry_at = now + (int64_t)s->backoff_ms * 1000;
			if (s->backoff_ms < 10000)
				s->backoff_ms *= 2;
			return s->retry_at;
		}
		return 0;
	}
	if (!store_dirty(s)) {
		s->flush_due = 0;
		s->noted = 0;
		s->urgent = 0;
		return 0;
	}
	if (s->flush_due == 0)
		s->flush_due = now + s->window_us;
	if (s->urgent || now >= s->flush_due ||
	    s->nops + s->napps_unplaced >= STORE_BATCH_ROWS) {
		if (store_flush(s) == -1) {
			s->retry_at = now + 1000000;
			return s->retry_at;
		}
		return 0;
	}
	return s->flush_due;
}
