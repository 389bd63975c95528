/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store.c: opening the database: its file and directory, the connection
 * and its pragmas, the schema steps, the hash key, the ids already handed
 * out; and closing it.  What the files of this folder share is in
 * store_int.h.
 */
#define ISOAUDIT_PRIVATE	/* defines what store.h keeps for tests */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

extern const char *const schema_steps[];
extern const int schema_nsteps;

static int	store_prepare(struct store *, char **);

/*
 * Creates the database file (0600) before sqlite does, or checks that the
 * one there is ours (made 0600 if it is too open): s->real, resolved.
 */
static int
store_create_file(struct store *s, char **cause)
{
	struct stat sb;
	int fd;

	fd = open(s->real, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create database %s: %s", s->path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xasprintf("cannot create database %s: %s", s->path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	switch (store_file_trusted(s->path, &sb, geteuid(), cause)) {
	case -1:
		close(fd);
		return -1;
	case 1:
		if (fchmod(fd, 0600) == -1) {
			*cause = xasprintf("cannot chmod %s: %s", s->path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		break;
	}
	close(fd);
	return 0;
}

/*
 * What sqlite said of rc: its message while the connection's last error is
 * still rc's, else the code's own text (a finalize or reset in between
 * leaves "not an error" behind).
 */
const char *
store_errmsg(struct store *s, int rc)
{
	if (s->db != NULL && rc != SQLITE_OK &&
	    (sqlite3_extended_errcode(s->db) & 0xff) == (rc & 0xff))
		return sqlite3_errmsg(s->db);
	return sqlite3_errstr(rc);
}

int
store_exec(struct store *s, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    err ? err : sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
pragma_int(struct store *s, const char *sql, int *out, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

int
store_schema_latest(void)
{
	return schema_nsteps;
}

int
store_schema_version(const struct store *s)
{
	return s->version;
}

/* Runs every missing migration step, each in its own transaction. */
static int
store_migrate(struct store *s, enum store_err *err, char **cause)
{
	int v, i;
	char *set;

	if (pragma_int(s, "PRAGMA user_version", &v, cause) == -1)
		return -1;
	if (v > schema_nsteps) {
		*err = STORE_ERR_NEWER;
		*cause = xasprintf("database %s has schema version %d, newer "
		    "than this isoaudit knows (%d): use a newer isoaudit",
		    s->path, v, schema_nsteps);
		return -1;
	}
	if (v < schema_nsteps && s->mode == STORE_READ &&
	    sqlite3_db_readonly(s->db, "main")) {
		*cause = xasprintf("database %s has schema version %d and is "
		    "read-only: run isoaudit monitor once to upgrade it",
		    s->path, v);
		return -1;
	}
	if (v == 0) {
		/* Before the first table: lets prune give space back. */
		if (store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL",
		    cause) == -1)
			return -1;
	}
	for (i = v; i < schema_nsteps; i++) {
		if (store_exec(s, "BEGIN IMMEDIATE", cause) == -1)
			return -1;
		/* Someone else may have migrated while we waited. */
		if (pragma_int(s, "PRAGMA user_version", &v, cause) == -1) {
			store_exec(s, "ROLLBACK", cause);
			return -1;
		}
		if (v > i) {
			store_exec(s, "COMMIT", cause);
			i = v - 1;
			continue;
		}
		set = xasprintf("PRAGMA user_version = %d", i + 1);
		if (store_exec(s, schema_steps[i], cause) == -1 ||
		    store_exec(s, set, cause) == -1) {
			char *ignored = NULL;

			free(set);
			store_exec(s, "ROLLBACK", &ignored);
			free(ignored);
			return -1;
		}
		free(set);
		if (store_exec(s, "COMMIT", cause) == -1)
			return -1;
		log_debug("database %s: schema step %d applied", s->path,
		    i + 1);
	}
	s->version = schema_nsteps > v ? schema_nsteps : v;
	return 0;
}

/* The largest id of a table, or -1 with *cause. */
static int64_t
max_id(struct store *s, const char *sql, char **cause)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Raises the next session and app ids above those in the database (never
 * lowers them: an id the pipeline holds is never handed out again).
 */
int
store_load_next(struct store *s, char **cause)
{
	int64_t v;

	if ((v = max_id(s, "SELECT coalesce(max(id), 0) FROM tor_session",
	    cause)) == -1)
		return -1;
	if (s->next_session < v + 1)
		s->next_session = v + 1;
	if ((v = max_id(s, "SELECT coalesce(max(id), 0) FROM app",
	    cause)) == -1)
		return -1;
	if (s->next_app < v + 1)
		s->next_app = v + 1;
	return 0;
}

/* Reads the known apps (into s->apps, placed) and the next ids. */
int
store_load_ids(struct store *s, char **cause)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT id, label, host, sub FROM app "
	    "ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		char *key = xasprintf("%s\x1f%s\x1f%s",
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3));

		s->apps = xreallocarray(s->apps, s->napps + 1,
		    sizeof *s->apps);
		s->apps[s->napps].key = key;
		s->apps[s->napps].id = id;
		s->apps[s->napps].db = id;
		s->apps[s->napps].placed = PLACED_DONE;
		s->napps++;
	}
	sqlite3_finalize(st);
	return store_load_next(s, cause);
}

/* Opens s->path into s->db with pragmas and schema; keeps s->key if set. */
int
store_connect(struct store *s, enum store_err *err, char **cause)
{
	struct stat sb;
	int flags, rc, busy;
	char *sql, *name;

	if (store_resolve(s, err, cause) == -1)
		return -1;
	if (s->mode != STORE_READ) {
		if (store_files_check(s, cause) == -1 ||
		    store_create_file(s, cause) == -1)
			return -1;
		flags = SQLITE_OPEN_READWRITE;
	} else
		flags = access(s->real, W_OK) == 0 ? SQLITE_OPEN_READWRITE :
		    SQLITE_OPEN_READONLY;
	name = s->mode == STORE_READ ? store_reader_name(s, &flags) :
	    xstrdup(s->real);
	/*
	 * One thread uses a connection: no mutex around every sqlite call
	 * (locking it showed in a report's time).
	 */
	rc = sqlite3_open_v2(name, &s->db, flags | SQLITE_OPEN_NOFOLLOW |
	    SQLITE_OPEN_NOMUTEX, NULL);
	free(name);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("cannot open database %s: %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	busy = s->mode != STORE_READ ? STORE_BUSY_MS : STORE_READ_BUSY_MS;
	/*
	 * foreign_keys stays off (sqlite's default): the references hold by
	 * construction (an application and a session are placed before the
	 * rows that name them, store_int.h "Ids"; prune deletes a parent only
	 * when nothing names it), and enforcing them cost a lookup per row
	 * written and, without the indexes schema 007 dropped, a scan of the
	 * streams per application prune deletes.  Tests check
	 * foreign_key_check after crashes and prunes.
	 */
	sql = xasprintf("PRAGMA busy_timeout = %d; "
	    "PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL", busy);
	rc = store_exec(s, sql, cause);
	free(sql);
	if (rc == -1)
		return -1;
	/*
	 * auto_vacuum first: journal_mode = WAL writes page 1 of a new file,
	 * after which auto_vacuum can no longer change (and prune could not
	 * give space back).  On an existing database it changes nothing.
	 */
	/*
	 * A reader's sorts and temporary tables (report's aggregates) go to
	 * a temporary file past sqlite's cache, never all into memory: a
	 * report of millions of rows stays in tens of MB (temp_store is
	 * left at its default, FILE).
	 */
	if (s->mode != STORE_READ &&
	    (store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL", cause) == -1 ||
	    store_exec(s, "PRAGMA journal_mode = WAL", cause) == -1))
		return -1;
	if (store_migrate(s, err, cause) == -1)
		return -1;
	if (store_key_load(s, cause) == -1 || store_load_next(s, cause) == -1)
		return -1;
	if (stat(s->path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	if (s->mode != STORE_READ && store_prepare(s, cause) == -1)
		return -1;
	return 0;
}

struct store *
store_open(const char *path, enum store_mode mode, enum store_err *err,
    char **cause)
{
	return store_open_key(path, NULL, 0, mode, err, cause);
}

struct store *
store_open_key(const char *path, const char *keyfile, int key_flags,
    enum store_mode mode, enum store_err *err, char **cause)
{
	struct store *s = xcalloc(1, sizeof *s);

	*err = STORE_OK;
	if (sodium_init() == -1) {
		*err = STORE_ERR_OTHER;
		*cause = xstrdup("libsodium failed to initialise");
		free(s);
		return NULL;
	}
	s->path = xstrdup(path);
	s->mode = mode;
	s->keyfile = keyfile != NULL ? xstrdup(keyfile) : NULL;
	s->key_flags = key_flags;
	s->backoff_ms = 1000;
	s->window_us = (int64_t)STORE_FLUSH_WINDOW_MS * 1000;
	s->lockfd = -1;
	buf_init(&s->arena);
	/* The writer's lock first: a second writer touches nothing. */
	if (mode == STORE_WRITE && (store_resolve(s, err, cause) == -1 ||
	    store_files_check(s, cause) == -1 || store_lock(s, err, cause) == -1)) {
		if (*err == STORE_OK)
			*err = STORE_ERR_OTHER;
		store_close(s);
		return NULL;
	}
	if (store_connect(s, err, cause) == -1 ||
	    store_load_ids(s, cause) == -1) {
		if (*err == STORE_OK)
			*err = STORE_ERR_OTHER;
		store_close(s);
		return NULL;
	}
	return s;
}

static int
store_prepare(struct store *s, char **cause)
{
	int i;

	for (i = 0; i < OP__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_op_sql[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) !=
		    SQLITE_OK) {
			*cause = xasprintf("database %s: %s", s->path,
			    sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

/* Finalizes the statements and closes the connection. */
void
store_finalize(struct store *s)
{
	int i;

	for (i = 0; i < OP__COUNT; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
	if (s->db != NULL) {
		sqlite3_close_v2(s->db);
		s->db = NULL;
	}
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

void
store_hash_key(const struct store *s, unsigned char *out)
{
	memcpy(out, s->key, sizeof s->key);
}

unsigned
store_generation(const struct store *s)
{
	return s->generation;
}

int
store_hash_hmac(const struct store *s)
{
	return s->hash_version == 1;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->mode != STORE_READ && s->db != NULL &&
	    (s->nops > 0 || s->napps_unplaced > 0) &&
	    store_flush(s) == -1)
		log_error("database %s: %zu rows could not be written before "
		    "closing (%s)", s->path, s->nops, s->st.last_error);
	if (s->st.rows_dropped > 0)
		log_error("database %s: %" PRIu64 " rows were dropped in all "
		    "while it could not be written", s->path,
		    s->st.rows_dropped);
	if (s->mode != STORE_READ && s->db != NULL) {
		char *ignored = NULL;

		/* Leave a compact database: fold the WAL back in. */
		store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", &ignored);
		free(ignored);
	}
	store_finalize(s);
	for (i = 0; i < s->napps; i++)
		free(s->apps[i].key);
	free(s->apps);
	free(s->sdiff);
	free(s->adiff);
	hindex_free(&s->appidx);
	store_agg_free(s->agg);
	for (i = 0; i < s->nlive; i++) {
		free(s->live[i].control);
		free(s->live[i].auth);
		free(s->live[i].source);
	}
	free(s->live);
	free(s->ops);
	hindex_free(&s->rowidx);
	buf_free(&s->arena);
	sodium_memzero(s->key, sizeof s->key);
	store_unlock(s);
	free(s->keyfile);
	free(s->real);
	free(s->path);
	free(s);
}
