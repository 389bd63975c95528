/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_store.c: the sqlite store (store.c): creation and permissions,
 * migrations, batching, upserts, application ids, a failing or removed
 * database, prune, and the read iterators.  The database is checked with
 * the sqlite3 C API directly, not through store.c.
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (store.h) */
#include "testutil.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

#define SEC	((int64_t)1000000)
#define DAY	(86400 * SEC)
/* 2026-11-24T17:40:00Z */
#define T0	(1795542000 * SEC)

/* One temporary directory per test, removed by the teardown. */
struct env {
	char	dir[64];
	char	db[160];	/* dir/state/isoaudit/isoaudit.db: parents
				   missing at first */
	struct store *s;	/* closed by the teardown if left open */
	sqlite3	*blocker;	/* likewise */
};

/* What store.c logged (it logs through log.c; keep stderr quiet). */
static char	last_log[1024];
static int	nlogs;

static void
log_sink(enum log_level lvl, const char *msg, void *arg)
{
	(void)lvl;
	(void)arg;
	snprintf(last_log, sizeof last_log, "%s", msg);
	nlogs++;
}

static int
env_setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof e->dir, "/tmp/isoaudit-store.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		free(e);
		return -1;
	}
	snprintf(e->db, sizeof e->db, "%s/state/isoaudit/isoaudit.db", e->dir);
	log_set_sink(log_sink, NULL);
	last_log[0] = '\0';
	nlogs = 0;
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env *e = *state;
	int rc;

	if (e->blocker != NULL)
		sqlite3_close(e->blocker);
	store_close(e->s);
	rc = tu_rm_rf(e->dir);
	log_set_sink(NULL, NULL);
	free(e);
	return rc;
}

/* --- direct sqlite access ------------------------------------------------- */

static sqlite3 *
db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		fail_msg("sqlite3_open_v2 %s: %s", path,
		    db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void
db_exec(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

/* The first column of the first row as an integer (-999 when none). */
static int64_t
q_int(const char *path, const char *sql)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *st;
	int64_t v = -999;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as text ("(null)", "(none)"). */
static void
q_text(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, len, "%s", sqlite3_column_type(st, 0) ==
		    SQLITE_NULL ? "(null)" :
		    (const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		snprintf(out, len, "(none)");
	else
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
assert_q_text(const char *path, const char *sql, const char *want)
{
	char got[512];

	q_text(path, sql, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  got  \"%s\"\n  want \"%s\"", sql, got, want);
}

static void
assert_q_int(const char *path, const char *sql, int64_t want)
{
	int64_t got = q_int(path, sql);

	if (got != want)
		fail_msg("%s\n  got  %" PRId64 "\n  want %" PRId64, sql, got,
		    want);
}

/* --- store helpers -------------------------------------------------------- */

static struct store *
open_w(const char *path)
{
	enum store_err err = STORE_ERR_OTHER;
	char *cause = NULL;
	struct store *s = store_open(path, STORE_WRITE, &err, &cause);

	if (s == NULL)
		fail_msg("store_open %s: %s", path, cause);
	assert_int_equal(err, STORE_OK);
	assert_null(cause);
	return s;
}

static struct store *
open_r(const char *path)
{
	enum store_err err = STORE_ERR_OTHER;
	char *cause = NULL;
	struct store *s = store_open(path, STORE_READ, &err, &cause);

	if (s == NULL)
		fail_msg("store_open (read) %s: %s", path, cause);
	assert_int_equal(err, STORE_OK);
	return s;
}

static void
stream_init(struct store_stream *r, int64_t session, uint64_t id,
    const char *status)
{
	memset(r, 0, sizeof *r);
	r->session = session;
	r->stream_id = id;
	r->status = status;
	r->uid = -1;
	r->target_port = -1;
}

static void
circ_init(struct store_circ *c, int64_t session, uint64_t id,
    const char *status)
{
	memset(c, 0, sizeof *c);
	c->session = session;
	c->circ_id = id;
	c->status = status;
}

static void
flush_ok(struct store *s)
{
	struct store_stats st;

	if (store_flush(s) != 0) {
		store_stats(s, &st);
		fail_msg("store_flush: %s", st.last_error);
	}
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		fail_msg("stat %s failed", path);
	return sb.st_mode & 07777;
}

static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* A writer with its hash key in keyfile (NULL: DB.key) and flags. */
static struct store *
open_wk(const char *path, const char *keyfile, int flags)
{
	enum store_err err = STORE_ERR_OTHER;
	char *cause = NULL;
	struct store *s = store_open_key(path, keyfile, flags, STORE_WRITE,
	    &err, &cause);

	if (s == NULL)
		fail_msg("store_open_key %s: %s", path, cause);
	assert_int_equal(err, STORE_OK);
	return s;
}

/* A writer's open that fails: its cause (allocated). */
static char *
open_wk_fails(const char *path, const char *keyfile, int flags)
{
	enum store_err err = STORE_OK;
	char *cause = NULL;
	struct store *s = store_open_key(path, keyfile, flags, STORE_WRITE,
	    &err, &cause);

	if (s != NULL)
		fail_msg("store_open_key %s: opened", path);
	assert_int_not_equal(err, STORE_OK);
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	return cause;
}

/*
 * DB.key holds key (0600, 32 bytes), the database its fingerprint and no
 * key of its own.
 */
static void
assert_key_file(const char *db, const unsigned char *key)
{
	char path[256], id[STORE_KEY_ID_LEN + 1], sql[160];
	unsigned char got[STORE_SCHEMA_KEY_LEN + 1];
	FILE *f;

	snprintf(path, sizeof path, "%s.key", db);
	assert_int_equal(mode_of(path), 0600);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(got, 1, sizeof got, f), STORE_SCHEMA_KEY_LEN);
	fclose(f);
	assert_memory_equal(got, key, STORE_SCHEMA_KEY_LEN);
	store_key_id(key, id);
	snprintf(sql, sizeof sql, "SELECT value FROM meta WHERE key = "
	    "'hash_key_id'");
	assert_q_text(db, sql, id);
	assert_q_int(db, "SELECT count(*) FROM meta WHERE key = 'hash_key'",
	    0);
}

/* --- a fresh database ----------------------------------------------------- */

static void
test_fresh_database(void **state)
{
	struct env *e = *state;
	unsigned char k1[STORE_SCHEMA_KEY_LEN], k2[STORE_SCHEMA_KEY_LEN];
	unsigned char k3[STORE_SCHEMA_KEY_LEN], zero[STORE_SCHEMA_KEY_LEN];
	char p[256], other[192];
	mode_t old = umask(0);
	struct store *s;
	int64_t sid;

	s = open_w(e->db);
	assert_string_equal(store_path(s), e->db);
	/* Parents created 0700, the file 0600, in spite of umask 0. */
	snprintf(p, sizeof p, "%s/state", e->dir);
	assert_int_equal(mode_of(p), 0700);
	snprintf(p, sizeof p, "%s/state/isoaudit", e->dir);
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(mode_of(e->db), 0600);

	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_q_int(e->db, "PRAGMA user_version", store_schema_latest());
	assert_q_text(e->db, "PRAGMA journal_mode", "wal");
	/* Prune gives space back: incremental auto_vacuum from the start. */
	assert_q_int(e->db, "PRAGMA auto_vacuum", 2);
	assert_q_int(e->db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('meta', 'check_cursor', "
	    "'tor_session', 'relay', 'circuit', 'app', 'stream', 'attach', "
	    "'cause', 'occurrence')", 10);
	/* 0.2: the finding table is gone (one truth). */
	assert_q_int(e->db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'finding'", 0);

	store_hash_key(s, k1);
	memset(zero, 0, sizeof zero);
	assert_memory_not_equal(k1, zero, sizeof k1);
	/* The key in its own file (0600), its fingerprint in the database. */
	assert_key_file(e->db, k1);

	/* The WAL and shared-memory files are private too. */
	sid = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live",
	    T0);
	assert_int_equal(sid, 1);
	flush_ok(s);
	umask(old);
	snprintf(p, sizeof p, "%s-wal", e->db);
	assert_true(exists(p));
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof p, "%s-shm", e->db);
	if (exists(p))
		assert_int_equal(mode_of(p), 0600);
	store_close(s);

	/* Closing folds the WAL back: the file alone holds everything. */
	snprintf(p, sizeof p, "%s-wal", e->db);
	assert_false(exists(p));
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);

	/* The key survives close and reopen. */
	s = open_w(e->db);
	store_hash_key(s, k2);
	assert_memory_equal(k1, k2, sizeof k1);
	/* Session ids go on after the stored ones. */
	assert_int_equal(store_session_begin(s, "c", NULL, NULL, T0 + SEC), 2);
	store_close(s);

	/* Another database, another key. */
	snprintf(other, sizeof other, "%s/other.db", e->dir);
	s = open_w(other);
	store_hash_key(s, k3);
	assert_memory_not_equal(k1, k3, sizeof k1);
	store_close(s);
	assert_int_equal(mode_of(other), 0600);
	/* An existing directory is left as it is. */
	assert_int_equal(mode_of(e->dir), 0700);

	store_close(NULL);
}

/*
 * The hash's version (privacy.h): 2 (SipHash) for a key begun now; 1
 * (HMAC-SHA256) for a database whose key was begun before the version was
 * kept, so that its equal targets stay equal; 2 again for a key begun
 * anew.
 */
static void
test_hash_version(void **state)
{
	struct env *e = *state;
	struct store *s;
	char p[256];

	s = open_w(e->db);
	assert_int_equal(store_hash_hmac(s), 0);
	store_close(s);
	assert_q_text(e->db, "SELECT value FROM meta WHERE key = "
	    "'hash_version'", "2");
	s = open_w(e->db);
	assert_int_equal(store_hash_hmac(s), 0);
	store_close(s);

	/* A database of 0.1: a key's fingerprint, no version. */
	db_exec(e->db, "DELETE FROM meta WHERE key = 'hash_version'");
	s = open_w(e->db);
	assert_int_equal(store_hash_hmac(s), 1);
	store_close(s);
	assert_q_text(e->db, "SELECT value FROM meta WHERE key = "
	    "'hash_version'", "1");
	s = open_w(e->db);
	assert_int_equal(store_hash_hmac(s), 1);
	/*
	 * The database removed under the writer and begun again (its key
	 * file kept): the writer's hashes go on as HMAC-SHA256, and the new
	 * file says so; it does not take the new file for a new key's.
	 */
	snprintf(p, sizeof p, "%s", e->db);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof p, "%s-wal", e->db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", e->db);
	unlink(p);
	store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live", T0);
	store_flush(s);
	assert_int_equal(store_hash_hmac(s), 1);
	store_close(s);
	assert_q_text(e->db, "SELECT value FROM meta WHERE key = "
	    "'hash_version'", "1");
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	s = open_w(e->db);
	assert_int_equal(store_hash_hmac(s), 1);
	store_close(s);

	/* A new key: its hashes match none of before, SipHash from now. */
	s = open_wk(e->db, NULL, STORE_NEW_KEY);
	assert_int_equal(store_hash_hmac(s), 0);
	store_close(s);
	assert_q_text(e->db, "SELECT value FROM meta WHERE key = "
	    "'hash_version'", "2");

	/* A version this isoaudit does not know is refused, not guessed. */
	db_exec(e->db, "UPDATE meta SET value = '3' WHERE key = "
	    "'hash_version'");
	free(open_wk_fails(e->db, NULL, 0));
}

/* --- migrations ----------------------------------------------------------- */

static void
test_migrate_empty_file(void **state)
{
	struct env *e = *state;
	char p[192];
	FILE *f;
	struct store *s;

	snprintf(p, sizeof p, "%s/empty.db", e->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	assert_q_int(p, "PRAGMA user_version", 0);
	s = open_w(p);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	store_close(s);
	assert_q_int(p, "PRAGMA user_version", store_schema_latest());
	assert_q_int(p, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name IN ('cause', 'occurrence')", 2);
	assert_q_int(p, "SELECT count(*) FROM meta WHERE key = 'hash_key_id'",
	    1);
	/* The reader sees it up to date and with its key. */
	s = open_r(p);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	store_close(s);
}

static void
test_migrate_newer_refused(void **state)
{
	struct env *e = *state;
	enum store_err err;
	char *cause = NULL, sql[64], want[512];
	int latest = store_schema_latest();
	struct store *s;
	enum store_mode mode;

	store_close(open_w(e->db));
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", latest + 1);
	db_exec(e->db, sql);
	snprintf(want, sizeof want, "database %s has schema version %d, newer "
	    "than this isoaudit knows (%d): use a newer isoaudit", e->db,
	    latest + 1, latest);
	for (mode = STORE_WRITE; mode <= STORE_READ; mode++) {
		err = STORE_OK;
		cause = NULL;
		s = store_open(e->db, mode, &err, &cause);
		assert_null(s);
		assert_int_equal(err, STORE_ERR_NEWER);
		assert_non_null(cause);
		assert_string_equal(cause, want);
		free(cause);
	}
	/* Refused, not downgraded. */
	assert_q_int(e->db, "PRAGMA user_version", latest + 1);
}

extern const char *const schema_steps[];

/*
 * A 0.1 database (schema step 1) with findings, one acknowledged, one on a
 * circuit, and a check cursor: each finding becomes a cause of its own
 * with one occurrence, nothing lost, the cursor's last finding id its last
 * seq.
 */
static void
test_migrate_v1_findings(void **state)
{
	struct env *e = *state;
	struct store *s;
	char p[192];
	FILE *f;

	snprintf(p, sizeof p, "%s/v1.db", e->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	db_exec(p, schema_steps[0]);
	db_exec(p, "PRAGMA user_version = 1");
	db_exec(p, "INSERT INTO tor_session(id, control, started) VALUES "
	    "(1, 'c', 100), (2, 'c', 200)");
	db_exec(p, "INSERT INTO circuit(session, circ_id, exit_fp) VALUES "
	    "(1, 7, 'EXIT7')");
	db_exec(p, "INSERT INTO finding(id, rule, severity, session, circ_id, "
	    "listener, ident_a, ident_b, apps, identities, processes, streams, "
	    "count, first_seen, last_seen, detail, acknowledged) VALUES "
	    "(3, 'SHARED_CIRCUIT', 'critical', 1, 7, '', 'a', 'b', '[\"A\"]', "
	    "'[\"a\"]', '[]', '[\"1\", \"2\"]', 5, 110, 150, 'd1', 1), "
	    "(5, 'SHARED_CIRCUIT', 'critical', 2, 7, '', 'a', 'b', '[\"A\"]', "
	    "'[\"a\"]', '[]', '[\"9\"]', 2, 210, 220, 'd2', 0), "
	    "(6, 'UNISOLATED_PORT', 'warning', 2, 0, '127.0.0.1:9040', 'a', "
	    "'', '[\"A\"]', '[\"a\"]', '[{\"pid\": 1, \"name\": \"x\"}]', "
	    "'[]', 1, 230, 230, 'd3', 0)");
	db_exec(p, "INSERT INTO check_cursor(name, last_finding, updated) "
	    "VALUES ('default', 5, 300)");

	s = open_w(p);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	store_close(s);
	assert_q_int(p, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'finding'", 0);
	assert_q_int(p, "SELECT count(*) FROM cause", 3);
	assert_q_int(p, "SELECT count(*) FROM occurrence", 3);
	/* Every finding: a cause 'v1:ID' of its own, ids and order kept. */
	assert_q_text(p, "SELECT group_concat(id || ':' || key || ':' || seq "
	    "|| ':' || acknowledged || ':' || again, ' ') FROM (SELECT * FROM "
	    "cause ORDER BY id)", "3:v1:3:3:1:0 5:v1:5:5:0:0 6:v1:6:6:0:0");
	assert_q_text(p, "SELECT group_concat(rule || ':' || severity || ':' "
	    "|| listener || ':' || ident_a || ':' || ident_b || ':' || apps || "
	    "':' || identities || ':' || processes || ':' || detail || ':' || "
	    "first_seen || ':' || last_seen, ' ') FROM (SELECT * FROM cause "
	    "ORDER BY id)", "SHARED_CIRCUIT:critical::a:b:[\"A\"]:[\"a\"]:[]:"
	    "d1:110:150 SHARED_CIRCUIT:critical::a:b:[\"A\"]:[\"a\"]:[]:d2:210:"
	    "220 UNISOLATED_PORT:warning:127.0.0.1:9040:a::[\"A\"]:[\"a\"]:"
	    "[{\"pid\": 1, \"name\": \"x\"}]:d3:230:230");
	assert_q_text(p, "SELECT group_concat(cause || ':' || session || ':' "
	    "|| circ_id || ':' || coalesce(exit_fp, '-') || ':' || streams || "
	    "':' || count || ':' || first_seen || ':' || last_seen, ' ') FROM "
	    "(SELECT * FROM occurrence ORDER BY cause)",
	    "3:1:7:EXIT7:[\"1\", \"2\"]:5:110:150 5:2:7:-:[\"9\"]:2:210:220 "
	    "6:2:0:-:[]:1:230:230");
	assert_q_int(p, "SELECT ack_at FROM cause WHERE id = 3", 150);
	/* The cursor: the same place, under its new name. */
	assert_q_text(p, "SELECT name || ':' || last_seq || ':' || updated "
	    "FROM check_cursor", "default:5:300");
	assert_q_text(p, "PRAGMA integrity_check", "ok");
	assert_q_int(p, "SELECT count(*) FROM pragma_foreign_key_check", 0);
}

static void
test_read_missing(void **state)
{
	struct env *e = *state;
	enum store_err err = STORE_OK;
	char *cause = NULL, want[256], p[192];
	struct store *s;

	s = store_open(e->db, STORE_READ, &err, &cause);
	assert_null(s);
	assert_int_equal(err, STORE_ERR_MISSING);
	snprintf(want, sizeof want, "no database at %s (isoaudit monitor "
	    "creates it)", e->db);
	assert_string_equal(cause, want);
	free(cause);
	/* Nothing was created on the way. */
	assert_false(exists(e->db));
	snprintf(p, sizeof p, "%s/state", e->dir);
	assert_false(exists(p));
}

struct dir_list {
	char	names[16][256];
	int	n;
};

static void
list_dir(const char *dir, struct dir_list *l)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	l->n = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(l->n < 16);
		snprintf(l->names[l->n++], sizeof l->names[0], "%s",
		    de->d_name);
	}
	closedir(d);
	qsort(l->names, (size_t)l->n, sizeof l->names[0],
	    (int (*)(const void *, const void *))strcmp);
}

static void
count_session(const struct store_session_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

/*
 * STORE_READ writes nothing.  (A chmod 0400 database cannot be tested
 * here: the tests run as root, who may write it anyway.  So the reader's
 * promise is checked directly: the file is not touched.)
 */
static void
test_read_writes_nothing(void **state)
{
	struct env *e = *state;
	struct store_range all = { 0, 0, 0 };
	struct stat before, after;
	struct dir_list lb, la;
	struct store_stream r;
	struct store *s;
	char dir[192], *cause = NULL;
	int64_t sid;
	int n = 0, i;

	s = open_w(e->db);
	sid = store_session_begin(s, "127.0.0.1:9051", "COOKIE", "live", T0);
	stream_init(&r, sid, 5, "NEW");
	r.opened = T0 + SEC;
	store_stream(s, &r);
	store_close(s);

	snprintf(dir, sizeof dir, "%s/state/isoaudit", e->dir);
	list_dir(dir, &lb);
	assert_int_equal(stat(e->db, &before), 0);
	/* Twice: the second reader finds nothing left by the first. */
	for (i = 0; i < 2; i++) {
		s = open_r(e->db);
		/* A reader needs no hash key (nor its file). */
		assert_null(store_key_path(s));
		assert_int_equal(store_latest_session(s), sid);
		assert_int_equal(store_each_session(s, &all, count_session, &n,
		    &cause), 0);
		/* Queued writes are refused, not performed. */
		store_touch(s, sid, T0 + DAY);
		assert_int_equal(store_flush(s), -1);
		store_tick(s, T0 + DAY);
		store_close(s);
	}
	assert_int_equal(n, 2);
	assert_int_equal(stat(e->db, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(before.st_ino, after.st_ino);
	list_dir(dir, &la);
	assert_int_equal(la.n, lb.n);
	for (i = 0; i < la.n; i++)
		assert_string_equal(la.names[i], lb.names[i]);
	assert_q_text(e->db, "SELECT last_event FROM tor_session", "(null)");
}

/* --- batching ------------------------------------------------------------- */

#define NBATCH	100000

static void
test_batching(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	int64_t sid;
	uint64_t i, commits;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live",
	    T0);
	for (i = 1; i <= NBATCH; i++) {
		stream_init(&r, sid, i, "NEW");
		r.listener = "127.0.0.1:9150";
		r.target = "h:0123456789ab";
		r.target_port = 443;
		r.opened = T0 + (int64_t)i;
		store_stream(s, &r);
	}
	store_stats(s, &st);
	/* Batches went out on the way; fewer than one batch is left. */
	assert_true(st.rows_queued < STORE_BATCH_ROWS);
	assert_int_equal(st.rows_queued + st.rows_written, NBATCH + 1);
	assert_int_equal(store_pending(s), st.rows_queued > 0);
	flush_ok(s);
	store_stats(s, &st);
	assert_int_equal(st.rows_written, NBATCH + 1);
	assert_int_equal(st.rows_queued, 0);
	assert_int_equal(st.rows_dropped, 0);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.failing, 0);
	assert_true(st.commits >= NBATCH / STORE_BATCH_ROWS);
	assert_true(st.commits <= NBATCH / STORE_BATCH_ROWS + 3);
	assert_int_equal(store_pending(s), 0);
	store_session_end(s, sid, "test over", T0 + 2 * SEC);
	flush_ok(s);
	store_stats(s, &st);
	assert_int_equal(st.rows_written, NBATCH + 3);
	commits = st.commits;
	/* Nothing to write: no transaction at all. */
	flush_ok(s);
	store_tick(s, T0 + DAY);
	store_stats(s, &st);
	assert_int_equal(st.commits, commits);

	assert_q_int(e->db, "SELECT count(*) FROM stream", NBATCH);
	assert_q_int(e->db, "SELECT count(DISTINCT stream_id) FROM stream",
	    NBATCH);
	assert_q_int(e->db, "SELECT min(opened) FROM stream", T0 + 1);
	assert_q_int(e->db, "SELECT max(opened) FROM stream", T0 + NBATCH);
	assert_q_int(e->db, "SELECT count(*) FROM stream WHERE session = 1 "
	    "AND listener = '127.0.0.1:9150' AND target_port = 443 AND "
	    "uid IS NULL AND circ_id IS NULL", NBATCH);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	assert_q_int(e->db, "SELECT ended FROM tor_session", T0 + 2 * SEC);
	assert_q_text(e->db, "SELECT end_reason FROM tor_session",
	    "test over");
	assert_q_int(e->db, "SELECT last_event FROM tor_session", T0 + 2 * SEC);
}

#define WINDOW	(STORE_FLUSH_WINDOW_MS * 1000LL)

/*
 * Flushes are driven by the tick: the window (STORE_FLUSH_WINDOW_MS from
 * the first tick after rows came) or a full batch; with nothing queued
 * the tick asks for no timer and commits nothing.
 */
static void
test_tick_flushes(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	int64_t sid, now = T0, i;
	uint64_t commits;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	/* A new Tor session is committed at the first tick. */
	assert_int_equal(store_tick(s, now), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, 1);
	assert_int_equal(store_pending(s), 0);

	now += WINDOW;
	stream_init(&r, sid, 1, "NEW");
	store_stream(s, &r);
	store_touch(s, sid, T0 + 7);
	assert_int_equal(store_tick(s, now), now + WINDOW);
	store_tick(s, now + WINDOW - 1000);		/* not yet */
	store_stats(s, &st);
	assert_int_equal(st.commits, 1);
	assert_int_equal(store_pending(s), 1);
	assert_int_equal(store_tick(s, now + WINDOW), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, 2);
	assert_int_equal(st.rows_written, 2);
	assert_int_equal(store_pending(s), 0);
	assert_q_int(e->db, "SELECT last_event FROM tor_session", T0 + 7);
	/* store_touch keeps the latest time. */
	store_touch(s, sid, T0 + 3);
	flush_ok(s);
	assert_q_int(e->db, "SELECT last_event FROM tor_session", T0 + 7);

	/* Idle (a live session, no news): no timer, no transaction. */
	now += WINDOW;
	store_stats(s, &st);
	commits = st.commits;
	for (i = 1; i <= 40; i++)
		assert_int_equal(store_tick(s, now + i * WINDOW), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, commits);
	/* A new event time is news: written at the window's end. */
	now += 41 * WINDOW;
	store_touch(s, sid, T0 + 9);
	assert_int_equal(store_tick(s, now), now + WINDOW);
	store_tick(s, now + WINDOW);
	store_stats(s, &st);
	assert_int_equal(st.commits, commits + 1);
	assert_q_int(e->db, "SELECT last_event FROM tor_session", T0 + 9);
}

/*
 * The tick's clock goes back an hour (it is monotonic in the monitor; a
 * wall clock stepped back stopped every commit until it caught up): the
 * intervals start again from the new time, for the flush and for a
 * failing database's retry alike.
 */
static void
test_tick_clock_back(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	int64_t sid, now = T0 + DAY, back = T0 + DAY - 3600 * SEC;
	uint64_t failures;
	char *err = NULL;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	store_tick(s, now);		/* the window: from now */
	stream_init(&r, sid, 1, "NEW");
	store_stream(s, &r);
	/* An hour back: the window starts again from there. */
	assert_int_equal(store_tick(s, back), back + WINDOW);
	store_tick(s, back + WINDOW);
	store_stats(s, &st);
	assert_int_equal(store_pending(s), 0);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 1);

	/* A failing database: retried after its backoff, not an hour. */
	e->blocker = db_open(e->db);
	sqlite3_busy_timeout(e->blocker, 0);
	assert_int_equal(sqlite3_exec(e->blocker, "BEGIN EXCLUSIVE", NULL,
	    NULL, &err), SQLITE_OK);
	stream_init(&r, sid, 2, "NEW");
	store_stream(s, &r);
	assert_int_equal(store_flush(s), -1);
	store_tick(s, back + SEC);	/* retried: fails, backoff 1 s */
	store_stats(s, &st);
	failures = st.failures;
	assert_int_equal(sqlite3_exec(e->blocker, "ROLLBACK", NULL, NULL,
	    &err), SQLITE_OK);
	sqlite3_close(e->blocker);
	e->blocker = NULL;
	store_tick(s, back - 3600 * SEC);	/* back once more */
	store_tick(s, back - 3600 * SEC + 2 * SEC);
	store_stats(s, &st);
	assert_true(st.failures == failures);
	assert_int_equal(st.failing, 0);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 2);
}

/* --- upserts -------------------------------------------------------------- */

static void
stream_lifecycle(struct store *s, int64_t sid, uint64_t id, int flush_each)
{
	struct store_stream r;

	stream_init(&r, sid, id, "NEW");
	r.listener = "127.0.0.1:9150";
	r.client_addr = "127.0.0.1:41036";
	r.app = 0;
	r.pid = 4242;
	r.process = "curl";
	r.uid = 1000;
	r.protocol = "SOCKS5";
	r.purpose = "USER";
	r.has_nym_epoch = 1;
	r.nym_epoch = 3;
	r.has_session_group = 1;
	r.session_group = -4;
	r.iso_fields = "SOCKS_USERNAME,SOCKS_PASSWORD";
	r.socks_username = "h:aaaaaaaaaaaa";
	r.target = "h:0123456789ab";
	r.target_port = 443;
	r.opened = T0 + 1 * SEC;
	store_stream(s, &r);
	if (flush_each)
		flush_ok(s);

	stream_init(&r, sid, id, "SUCCEEDED");
	r.circ_id = 7;
	r.listener = "127.0.0.1:9999";	/* later events do not move it */
	r.pid = 1;
	r.uid = 0;
	r.target = "h:ffffffffffff";
	r.nym_epoch = 9;
	r.has_nym_epoch = 1;
	r.opened = T0 + 99 * SEC;
	r.succeeded = T0 + 2 * SEC;
	store_stream(s, &r);
	if (flush_each)
		flush_ok(s);

	stream_init(&r, sid, id, "CLOSED");
	r.circ_id = 7;
	r.closed = T0 + 3 * SEC;
	r.reason = "DONE";
	r.remote_reason = "DONE";
	store_stream(s, &r);
	flush_ok(s);
}

static void
check_stream_row(const char *db, uint64_t id)
{
	char sql[512];

#define ROW(col) \
	(snprintf(sql, sizeof sql, "SELECT " col " FROM stream WHERE " \
	    "stream_id = %" PRIu64, id), sql)
	assert_q_int(db, ROW("count(*)"), 1);
	assert_q_text(db, ROW("status"), "CLOSED");
	assert_q_int(db, ROW("opened"), T0 + 1 * SEC);
	assert_q_int(db, ROW("succeeded"), T0 + 2 * SEC);
	assert_q_int(db, ROW("closed"), T0 + 3 * SEC);
	assert_q_int(db, ROW("circ_id"), 7);
	assert_q_text(db, ROW("listener"), "127.0.0.1:9150");
	assert_q_text(db, ROW("client_addr"), "127.0.0.1:41036");
	assert_q_text(db, ROW("app"), "(null)");
	assert_q_int(db, ROW("pid"), 4242);
	assert_q_text(db, ROW("process"), "curl");
	assert_q_int(db, ROW("uid"), 1000);
	assert_q_text(db, ROW("protocol"), "SOCKS5");
	assert_q_text(db, ROW("purpose"), "USER");
	assert_q_int(db, ROW("nym_epoch"), 3);
	assert_q_int(db, ROW("session_group"), -4);
	assert_q_text(db, ROW("iso_fields"), "SOCKS_USERNAME,SOCKS_PASSWORD");
	assert_q_text(db, ROW("socks_username"), "h:aaaaaaaaaaaa");
	assert_q_text(db, ROW("socks_password"), "(null)");
	assert_q_text(db, ROW("target"), "h:0123456789ab");
	assert_q_int(db, ROW("target_port"), 443);
	assert_q_text(db, ROW("reason"), "DONE");
	assert_q_text(db, ROW("remote_reason"), "DONE");
	assert_q_int(db, ROW("pre_attach"), 0);
#undef ROW
}

static void
test_upsert_stream(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store *s;
	int64_t sid;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	stream_lifecycle(s, sid, 10, 1);	/* three flushes */
	stream_lifecycle(s, sid, 11, 0);	/* one */
	check_stream_row(e->db, 10);
	check_stream_row(e->db, 11);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 2);
	store_stats(s, &st);
	assert_int_equal(st.rows_written, 1 + 6);

	/* The same stream id in another Tor session is another row. */
	{
		int64_t sid2 = store_session_begin(s, "c", NULL, NULL, T0 + DAY);
		struct store_stream r;

		stream_init(&r, sid2, 10, "NEW");
		store_stream(s, &r);
		flush_ok(s);
		assert_int_equal(sid2, sid + 1);
		assert_q_int(e->db, "SELECT count(*) FROM stream WHERE "
		    "stream_id = 10", 2);
		check_stream_row(e->db, 11);
	}
}

/* An occurrence of the cause "K" (SHARED_CIRCUIT a/b) on circuit circ. */
static void
occ_init(struct store_finding *f, int64_t session, uint64_t circ, long count,
    int64_t first, int64_t last)
{
	memset(f, 0, sizeof *f);
	f->session = session;
	f->cause = "K";
	f->rule = "SHARED_CIRCUIT";
	f->severity = "critical";
	f->ident_a = "a@localhost";
	f->ident_b = "b@localhost";
	f->apps = "[\"a\", \"b\"]";
	f->identities = "[\"a@localhost\", \"b@localhost\"]";
	f->processes = "[]";
	f->detail = "a and b";
	f->circ_id = circ;
	f->exit_fp = circ != 0 ? "EXITFP" : "";
	f->streams = "[\"1\"]";
	f->count = count;
	f->first_seen = first;
	f->last_seen = last;
}

/*
 * A cause is one row across circuits and Tor sessions, each occurrence a
 * row under it; updates of one occurrence in a batch fold into one
 * statement.
 */
static void
test_cause_upsert(void **state)
{
	struct env *e = *state;
	struct store_finding f;
	struct store_stats st;
	struct store *s;
	int64_t s1, s2;

	s = e->s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	s2 = store_session_begin(s, "c", NULL, NULL, T0 + DAY);
	occ_init(&f, s1, 7, 1, T0, T0);
	store_finding(s, &f);
	occ_init(&f, s1, 7, 2, T0, T0 + SEC);	/* folds */
	f.streams = "[\"1\", \"2\"]";
	store_finding(s, &f);
	occ_init(&f, s1, 7, 3, T0, T0 + 2 * SEC);	/* folds */
	f.streams = "[\"1\", \"2\", \"3\"]";
	f.detail = "a and b, later";
	store_finding(s, &f);
	occ_init(&f, s1, 8, 1, T0 + 5 * SEC, T0 + 5 * SEC);
	store_finding(s, &f);
	store_stats(s, &st);
	assert_int_equal(st.rows_queued, 2 + 2);	/* 2 sessions, 2 occ */
	flush_ok(s);
	occ_init(&f, s2, 7, 1, T0 + DAY, T0 + DAY + SEC);
	store_finding(s, &f);
	flush_ok(s);
	/* Again the first occurrence, in a later batch: an upsert. */
	occ_init(&f, s1, 7, 4, T0, T0 + 3 * SEC);
	store_finding(s, &f);
	flush_ok(s);

	assert_q_int(e->db, "SELECT count(*) FROM cause", 1);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence", 3);
	assert_q_text(e->db, "SELECT key || ' ' || rule || ' ' || ident_a || "
	    "' ' || ident_b || ' ' || detail FROM cause",
	    "K SHARED_CIRCUIT a@localhost b@localhost a and b");
	assert_q_int(e->db, "SELECT first_seen FROM cause", T0);
	assert_q_int(e->db, "SELECT last_seen FROM cause", T0 + DAY + SEC);
	assert_q_int(e->db, "SELECT seq FROM cause", 1);
	assert_q_int(e->db, "SELECT count FROM occurrence WHERE circ_id = 7 "
	    "AND session = 1", 4);
	assert_q_int(e->db, "SELECT last_seen FROM occurrence WHERE circ_id = "
	    "7 AND session = 1", T0 + 3 * SEC);
	assert_q_text(e->db, "SELECT streams FROM occurrence WHERE circ_id = "
	    "7 AND session = 1", "[\"1\"]");
	assert_q_text(e->db, "SELECT exit_fp FROM occurrence WHERE circ_id = "
	    "8", "EXITFP");
	/* The batch's three updates of one occurrence were one row. */
	assert_q_int(e->db, "SELECT count(*) FROM occurrence WHERE circ_id = "
	    "7", 2);
	/* An occurrence without a circuit or an exit. */
	occ_init(&f, s2, 0, 1, T0 + DAY, T0 + DAY);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_text(e->db, "SELECT coalesce(exit_fp, 'null') FROM "
	    "occurrence WHERE circ_id = 0", "null");
	/* Another cause gets the next seq. */
	occ_init(&f, s2, 0, 1, T0 + DAY, T0 + DAY);
	f.cause = "L";
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'L'", 2);
}

/*
 * store_ack acknowledges the cause; an occurrence after the
 * acknowledgement brings it back (unacknowledged, again, a new seq); an
 * update from before it does not.
 */
static void
test_cause_ack_again(void **state)
{
	struct env *e = *state;
	struct store_finding f;
	struct store *s;
	int64_t s1;

	s = e->s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	occ_init(&f, s1, 7, 1, T0, T0);
	store_finding(s, &f);
	occ_init(&f, s1, 9, 1, T0, T0);
	f.cause = "OTHER";
	store_finding(s, &f);
	/* Queued after the upserts: applies to the row they make. */
	store_ack(s, "K", T0 + 10 * SEC);
	flush_ok(s);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = 'K'",
	    1);
	assert_q_int(e->db, "SELECT ack_at FROM cause WHERE key = 'K'",
	    T0 + 10 * SEC);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = "
	    "'OTHER'", 0);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'K'", 1);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'OTHER'", 2);

	/* Seen before the acknowledgement (a late update): stays. */
	occ_init(&f, s1, 7, 2, T0, T0 + 5 * SEC);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = 'K'",
	    1);
	assert_q_int(e->db, "SELECT again FROM cause WHERE key = 'K'", 0);

	/* Seen after it, on another circuit: back, again, last in seq. */
	occ_init(&f, s1, 8, 1, T0 + 20 * SEC, T0 + 20 * SEC);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = 'K'",
	    0);
	assert_q_int(e->db, "SELECT again FROM cause WHERE key = 'K'", 1);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'K'", 3);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence o JOIN cause c "
	    "ON c.id = o.cause WHERE c.key = 'K'", 2);
	/* Later occurrences of an unacknowledged cause change nothing. */
	occ_init(&f, s1, 8, 2, T0 + 20 * SEC, T0 + 30 * SEC);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT again FROM cause WHERE key = 'K'", 1);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'K'", 3);

	/*
	 * Acknowledged, then seen again within one batch: the update after
	 * the acknowledgement must not fold into the op before it.
	 */
	occ_init(&f, s1, 8, 3, T0 + 20 * SEC, T0 + 40 * SEC);
	store_finding(s, &f);
	store_ack(s, "K", T0 + 45 * SEC);
	occ_init(&f, s1, 8, 4, T0 + 20 * SEC, T0 + 50 * SEC);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = 'K'",
	    0);
	assert_q_int(e->db, "SELECT again FROM cause WHERE key = 'K'", 2);
	assert_q_int(e->db, "SELECT seq FROM cause WHERE key = 'K'", 4);
	assert_q_int(e->db, "SELECT count FROM occurrence WHERE circ_id = 8",
	    4);
	/* An acknowledgement of no cause changes nothing. */
	store_ack(s, "nothing", T0 + 60 * SEC);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM cause WHERE acknowledged",
	    0);
}

/* A new seq is above every check cursor, even when the causes that had
 * the highest seqs were pruned. */
static void
test_cause_seq_above_cursor(void **state)
{
	struct env *e = *state;
	struct store_finding f;
	struct store *s;
	int64_t s1;

	s = e->s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	flush_ok(s);
	db_exec(e->db, "INSERT INTO check_cursor(name, last_seq) VALUES "
	    "('cron', 41)");
	occ_init(&f, s1, 7, 1, T0, T0);
	store_finding(s, &f);
	flush_ok(s);
	assert_q_int(e->db, "SELECT seq FROM cause", 42);
}

static void
test_upsert_circuit(void **state)
{
	struct env *e = *state;
	struct store_circ c;
	struct store *s;
	int64_t sid;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);

	circ_init(&c, sid, 69, "LAUNCHED");
	c.purpose = "GENERAL";
	c.build_flags = "NEED_CAPACITY";
	c.created = T0 + 1 * SEC;
	store_circuit(s, &c);
	flush_ok(s);

	circ_init(&c, sid, 69, "BUILT");
	c.path = "$AAAA~guard,$BBBB~middle,$CCCC~exit1";
	c.exit_fp = "CCCC";
	c.exit_nick = "exit1";
	c.conflux_id = "CFX";
	c.created = T0 + 50 * SEC;	/* the first one stays */
	c.built = T0 + 2 * SEC;
	store_circuit(s, &c);

	circ_init(&c, sid, 69, "CLOSED");
	c.closed = T0 + 3 * SEC;
	c.built = T0 + 60 * SEC;
	c.reason = "FINISHED";
	c.remote_reason = "NONE";
	store_circuit(s, &c);
	flush_ok(s);

#define C(col) "SELECT " col " FROM circuit WHERE session = 1 AND " \
	"circ_id = 69"
	assert_q_int(e->db, "SELECT count(*) FROM circuit", 1);
	assert_q_text(e->db, C("status"), "CLOSED");
	assert_q_text(e->db, C("purpose"), "GENERAL");
	assert_q_text(e->db, C("build_flags"), "NEED_CAPACITY");
	assert_q_text(e->db, C("path"), "$AAAA~guard,$BBBB~middle,$CCCC~exit1");
	assert_q_text(e->db, C("exit_fp"), "CCCC");
	assert_q_text(e->db, C("exit_nick"), "exit1");
	assert_q_text(e->db, C("conflux_id"), "CFX");
	assert_q_int(e->db, C("created"), T0 + 1 * SEC);
	assert_q_int(e->db, C("built"), T0 + 2 * SEC);
	assert_q_int(e->db, C("closed"), T0 + 3 * SEC);
	assert_q_text(e->db, C("reason"), "FINISHED");
	assert_q_text(e->db, C("remote_reason"), "NONE");
#undef C

	/* A relay: nickname updated, last_seen only grows. */
	store_relay(s, "CCCC", "exit1", T0 + 5 * SEC);
	store_relay(s, "CCCC", NULL, T0 + 9 * SEC);
	store_relay(s, "CCCC", "exit1b", T0 + 7 * SEC);
	store_relay(s, NULL, "ignored", T0);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM relay", 1);
	assert_q_text(e->db, "SELECT nickname FROM relay", "exit1b");
	assert_q_int(e->db, "SELECT first_seen FROM relay", T0 + 5 * SEC);
	assert_q_int(e->db, "SELECT last_seen FROM relay", T0 + 9 * SEC);

	/* Attach: one row per (stream, circuit), the first time kept. */
	store_attach(s, sid, 5, 69, T0 + 4 * SEC);
	store_attach(s, sid, 5, 69, T0 + 8 * SEC);
	store_attach(s, sid, 5, 70, T0 + 9 * SEC);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM attach", 2);
	assert_q_int(e->db, "SELECT at FROM attach WHERE circ_id = 69",
	    T0 + 4 * SEC);

	/* Session info. */
	store_session_info(s, sid, "0.4.9.11", 777);
	store_session_info(s, sid, NULL, 0);	/* keeps both */
	flush_ok(s);
	assert_q_text(e->db, "SELECT tor_version FROM tor_session",
	    "0.4.9.11");
	assert_q_int(e->db, "SELECT pid FROM tor_session", 777);
}

/* --- application ids ------------------------------------------------------ */

static void
test_app_ids(void **state)
{
	struct env *e = *state;
	struct store *s;
	int64_t a, b, c, d, f, g;

	s = open_w(e->db);
	a = store_app(s, "Tor Browser", "localhost", "");
	assert_true(a > 0);
	assert_int_equal(store_app(s, "Tor Browser", "localhost", ""), a);
	assert_int_equal(store_app(s, "Tor Browser", "localhost", NULL), a);
	b = store_app(s, "Tor Browser", "workstation", "");
	c = store_app(s, "Tor Browser", "localhost", "site1");
	d = store_app(s, "apt-get", "localhost", "");
	f = store_app(s, "Tor", "Browserlocalhost", "");
	assert_true(b != a && c != a && c != b && d != a && d != b && d != c);
	assert_true(f != a && f != b && f != c && f != d);
	assert_int_equal(store_app(s, "Tor Browser", "localhost", "site1"), c);
	assert_int_equal(store_app(s, "apt-get", "localhost", ""), d);
	store_close(s);

	assert_q_int(e->db, "SELECT count(*) FROM app", 5);
	assert_q_text(e->db, "SELECT label || '|' || host || '|' || sub FROM "
	    "app WHERE sub = 'site1'", "Tor Browser|localhost|site1");

	/* Stable across reopen, and new ids do not reuse old ones. */
	s = open_w(e->db);
	assert_int_equal(store_app(s, "Tor Browser", "localhost", ""), a);
	assert_int_equal(store_app(s, "Tor Browser", "workstation", ""), b);
	assert_int_equal(store_app(s, "Tor Browser", "localhost", "site1"), c);
	assert_int_equal(store_app(s, "apt-get", "localhost", NULL), d);
	g = store_app(s, "ssh", "localhost", "");
	assert_true(g > a && g > b && g > c && g > d && g > f);
	store_close(s);
	assert_q_int(e->db, "SELECT count(*) FROM app", 6);
}

/* --- the flush policy ------------------------------------------------------ */

static int nwakes;

static void
count_wake(void *arg)
{
	(void)arg;
	nwakes++;
}

/*
 * The store asks for a tick when rows come after a commit (once, not per
 * row) and at once for a new occurrence of a finding at warning or
 * above, which the next tick commits long before the window; one below
 * warning waits for the window; an update of an occurrence already
 * committed waits too; closing commits what is queued.
 */
static void
test_flush_policy(void **state)
{
	struct env *e = *state;
	struct store_finding f;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	int64_t sid, now = T0;
	int i;

	s = e->s = open_w(e->db);
	nwakes = 0;
	store_set_wake(s, count_wake, NULL);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	assert_int_equal(nwakes, 2);	/* rows came; a new session */
	/* A new Tor session is committed at once. */
	assert_int_equal(store_tick(s, now), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, 1);
	for (i = 1; i <= 10; i++) {
		stream_init(&r, sid, (uint64_t)i, "NEW");
		store_stream(s, &r);
		store_touch(s, sid, T0 + i);
	}
	assert_int_equal(nwakes, 3);		/* once for the batch */
	assert_int_equal(store_tick(s, now), now + WINDOW);

	/* A finding below warning: no wake, the window holds. */
	occ_init(&f, sid, 7, 1, T0, T0);
	f.severity = "notice";
	store_finding(s, &f);
	assert_int_equal(nwakes, 3);
	assert_int_equal(store_tick(s, now + SEC), now + WINDOW);
	store_stats(s, &st);
	assert_int_equal(st.commits, 1);

	/* A new occurrence at warning: a wake, and the next tick commits. */
	occ_init(&f, sid, 8, 1, T0, T0);
	f.cause = "W";
	f.severity = "warning";
	store_finding(s, &f);
	assert_int_equal(nwakes, 4);
	assert_int_equal(store_tick(s, now + SEC), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, 2);
	assert_int_equal(store_pending(s), 0);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 10);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence", 2);

	/* Its later updates (count 2, 3) wait for the window. */
	occ_init(&f, sid, 8, 2, T0, T0 + SEC);
	f.cause = "W";
	f.severity = "warning";
	store_finding(s, &f);
	assert_int_equal(nwakes, 5);		/* rows after a commit */
	assert_int_equal(store_tick(s, now + 2 * SEC), now + 2 * SEC + WINDOW);
	store_stats(s, &st);
	assert_int_equal(st.commits, 2);
	/* A new critical one: committed at once. */
	occ_init(&f, sid, 9, 1, T0, T0 + SEC);
	store_finding(s, &f);
	assert_int_equal(nwakes, 6);
	assert_int_equal(store_tick(s, now + 2 * SEC), 0);
	store_stats(s, &st);
	assert_int_equal(st.commits, 3);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence", 3);

	/* An acknowledgement (the dashboard's key): at once too. */
	store_ack(s, "K", T0 + 2 * SEC);
	assert_int_equal(nwakes, 8);		/* rows came; urgent */
	assert_int_equal(store_tick(s, now + 3 * SEC), 0);
	assert_q_int(e->db, "SELECT acknowledged FROM cause WHERE key = 'K'",
	    1);

	/* Idle: no wake, no timer, no commit. */
	for (i = 1; i <= 10; i++)
		assert_int_equal(store_tick(s, now + i * WINDOW), 0);
	assert_int_equal(nwakes, 8);

	/* Closing (SIGTERM, end of session) commits what waits. */
	stream_init(&r, sid, 11, "NEW");
	store_stream(s, &r);
	assert_int_equal(nwakes, 9);
	store_close(s);
	e->s = NULL;
	assert_q_int(e->db, "SELECT count(*) FROM stream", 11);
}

/* --- a database that cannot be written ------------------------------------ */

static void
test_locked_database(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	char *err = NULL, want[512];
	int64_t sid, now = T0;
	uint64_t i, failures;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	flush_ok(s);

	/* Another connection holds the write lock. */
	e->blocker = db_open(e->db);
	sqlite3_busy_timeout(e->blocker, 0);
	assert_int_equal(sqlite3_exec(e->blocker, "BEGIN EXCLUSIVE", NULL,
	    NULL, &err), SQLITE_OK);

	for (i = 1; i <= 10; i++) {
		stream_init(&r, sid, i, "NEW");
		store_stream(s, &r);
	}
	nlogs = 0;
	assert_int_equal(store_flush(s), -1);
	store_stats(s, &st);
	assert_int_equal(st.failing, 1);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.rows_queued, 10);
	assert_int_equal(st.rows_dropped, 0);
	assert_int_equal(st.commits, 1);
	assert_string_equal(st.last_error,
	    "cannot begin a transaction: database is locked");
	assert_int_equal(store_pending(s), 1);
	/* Said once, with what happens now. */
	assert_int_equal(nlogs, 1);
	snprintf(want, sizeof want, "database %s: cannot begin a transaction: "
	    "database is locked; monitoring goes on, up to %d rows wait in "
	    "memory", e->db, STORE_MAX_QUEUE);
	assert_string_equal(last_log, want);

	/* Rows wait up to the bound; beyond it they are counted. */
	for (i = 11; i <= STORE_MAX_QUEUE + 25; i++) {
		stream_init(&r, sid, i, "NEW");
		store_stream(s, &r);
	}
	store_stats(s, &st);
	assert_int_equal(st.rows_queued, STORE_MAX_QUEUE);
	assert_int_equal(st.rows_dropped, 25);
	assert_int_equal(st.failures, 1);	/* no retry per row */

	/* The tick retries with backoff, and says nothing new. */
	store_tick(s, now);
	store_stats(s, &st);
	assert_int_equal(st.failures, 2);
	failures = st.failures;
	store_tick(s, now + 999 * 1000LL);	/* within the backoff */
	store_stats(s, &st);
	assert_int_equal(st.failures, failures);
	store_tick(s, now + 1000 * 1000LL);	/* 1 s later: retried */
	store_stats(s, &st);
	assert_int_equal(st.failures, failures + 1);
	store_tick(s, now + 2999 * 1000LL);	/* backoff doubled: 2 s */
	store_stats(s, &st);
	assert_int_equal(st.failures, failures + 1);
	assert_int_equal(nlogs, 1);
	assert_int_equal(st.rows_queued, STORE_MAX_QUEUE);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 0);

	/* Lock released: the next due tick writes everything kept. */
	assert_int_equal(sqlite3_exec(e->blocker, "ROLLBACK", NULL, NULL,
	    &err), SQLITE_OK);
	sqlite3_close(e->blocker);
	e->blocker = NULL;
	store_tick(s, now + 3000 * 1000LL);
	store_stats(s, &st);
	assert_int_equal(st.failing, 0);
	assert_int_equal(st.rows_queued, 0);
	assert_int_equal(st.rows_dropped, 25);
	assert_int_equal(st.rows_written, 1 + STORE_MAX_QUEUE);
	assert_int_equal(st.commits, 2);
	assert_int_equal(store_pending(s), 0);
	assert_q_int(e->db, "SELECT count(*) FROM stream", STORE_MAX_QUEUE);
	assert_q_int(e->db, "SELECT max(stream_id) FROM stream",
	    STORE_MAX_QUEUE);
	assert_int_equal(nlogs, 2);
	snprintf(want, sizeof want, "database %s: writing again (25 rows had "
	    "to be dropped meanwhile)", e->db);
	assert_string_equal(last_log, want);

	/* Back to normal: the next flush does not repeat the drop count. */
	stream_init(&r, sid, STORE_MAX_QUEUE + 100, "NEW");
	store_stream(s, &r);
	flush_ok(s);
	assert_int_equal(nlogs, 2);
}

/* --- a database removed while open ---------------------------------------- */

static void
rm_db_files(const char *db)
{
	char p[256];

	assert_int_equal(unlink(db), 0);
	snprintf(p, sizeof p, "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", db);
	unlink(p);
}

static void
test_removed_database(void **state)
{
	struct env *e = *state;
	unsigned char k1[STORE_SCHEMA_KEY_LEN], k2[STORE_SCHEMA_KEY_LEN];
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	char want[512], sql[256];
	int64_t sid, a, b, sid2, now = T0;

	s = e->s = open_w(e->db);
	store_hash_key(s, k1);
	sid = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live",
	    T0);
	a = store_app(s, "App A", "localhost", "");
	stream_init(&r, sid, 1, "NEW");
	r.app = a;
	r.listener = "127.0.0.1:9152";
	r.opened = T0 + SEC;
	store_stream(s, &r);
	store_tick(s, now);
	store_tick(s, now + WINDOW);
	assert_int_equal(store_pending(s), 0);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 1);

	/*
	 * Removed while idle: nothing polls (no wakeup), so nothing notices
	 * until there is something to write; then it is checked before the
	 * commit and created again.
	 */
	rm_db_files(e->db);
	assert_false(exists(e->db));
	assert_int_equal(store_tick(s, now + 2 * WINDOW), 0);
	assert_false(exists(e->db));

	/* The live stream goes on with the app id it was given... */
	stream_init(&r, sid, 1, "SUCCEEDED");
	r.app = a;
	r.circ_id = 9;
	r.succeeded = T0 + 2 * SEC;
	store_stream(s, &r);
	/* ...a new identity gets an id of its own... */
	b = store_app(s, "App B", "localhost", "");
	assert_true(b != a);
	assert_int_equal(store_app(s, "App A", "localhost", ""), a);
	stream_init(&r, sid, 2, "NEW");
	r.app = b;
	r.opened = T0 + 3 * SEC;
	store_stream(s, &r);
	store_touch(s, sid, T0 + 3 * SEC);
	/* ...and a new Tor session does not take the live one's id. */
	sid2 = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live",
	    T0 + 4 * SEC);
	assert_true(sid2 != sid);
	nlogs = 0;
	store_tick(s, now + 3 * WINDOW);	/* a new session: at once */
	assert_true(exists(e->db));
	assert_int_equal(mode_of(e->db), 0600);
	assert_true(nlogs >= 1);
	snprintf(want, sizeof want, "database %s was removed; creating it "
	    "again", e->db);
	assert_string_equal(last_log, want);
	store_stats(s, &st);
	if (st.failing || store_pending(s))
		fail_msg("rows not written after the removal: %s",
		    st.last_error);

	assert_q_int(e->db, "PRAGMA user_version", store_schema_latest());
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 2);
	snprintf(sql, sizeof sql, "SELECT control || ' ' || auth || ' ' || "
	    "source || ' ' || started || ' ' || last_event FROM tor_session "
	    "WHERE id = %" PRId64, sid);
	snprintf(want, sizeof want, "127.0.0.1:9051 SAFECOOKIE live %lld %lld",
	    (long long)T0, (long long)(T0 + 3 * SEC));
	assert_q_text(e->db, sql, want);
	snprintf(sql, sizeof sql, "SELECT a.label FROM stream s JOIN app a ON "
	    "a.id = s.app WHERE s.stream_id = 1 AND s.session = %" PRId64,
	    sid);
	assert_q_text(e->db, sql, "App A");
	assert_q_int(e->db, "SELECT circ_id FROM stream WHERE stream_id = 1",
	    9);
	assert_q_text(e->db, "SELECT a.label FROM stream s JOIN app a ON "
	    "a.id = s.app WHERE s.stream_id = 2", "App B");
	assert_q_int(e->db, "SELECT count(*) FROM pragma_foreign_key_check",
	    0);
	/* The same key: hashes stay comparable. */
	store_hash_key(s, k2);
	assert_memory_equal(k1, k2, sizeof k1);
	store_close(s);
	e->s = NULL;
	s = e->s = open_w(e->db);
	store_hash_key(s, k2);
	assert_memory_equal(k1, k2, sizeof k1);

	/* The whole directory gone: recreated too, 0700. */
	store_close(s);
	e->s = NULL;
	{
		char dir[192];

		s = e->s = open_w(e->db);
		sid = store_session_begin(s, "c", NULL, NULL, T0);
		flush_ok(s);
		snprintf(dir, sizeof dir, "%s/state", e->dir);
		assert_int_equal(tu_rm_rf(dir),
		    0);
		stream_init(&r, sid, 1, "NEW");
		store_stream(s, &r);
		flush_ok(s);
		assert_true(exists(e->db));
		snprintf(dir, sizeof dir, "%s/state/isoaudit", e->dir);
		assert_int_equal(mode_of(dir), 0700);
		assert_q_int(e->db, "SELECT count(*) FROM stream", 1);
		store_hash_key(s, k2);
		assert_memory_equal(k1, k2, sizeof k1);
	}
}

/* Recreating fails for a while (a file where the directory should be). */
static void
test_reopen_fails(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	char dir[192], want[512];
	int64_t sid, a, b, now = T0;
	FILE *f;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	a = store_app(s, "App A", "localhost", "");
	stream_init(&r, sid, 1, "NEW");
	r.app = a;
	store_stream(s, &r);
	store_tick(s, now);
	store_tick(s, now + WINDOW);
	assert_int_equal(store_pending(s), 0);

	snprintf(dir, sizeof dir, "%s/state", e->dir);
	assert_int_equal(tu_rm_rf(dir), 0);
	assert_non_null(f = fopen(dir, "w"));
	fclose(f);

	/* Meanwhile: ids as before, rows wait. */
	assert_int_equal(store_app(s, "App A", "localhost", ""), a);
	b = store_app(s, "App B", "localhost", "");
	assert_true(b != a);
	stream_init(&r, sid, 1, "CLOSED");
	r.app = a;
	r.closed = T0 + 3 * SEC;
	store_stream(s, &r);
	stream_init(&r, sid, 2, "NEW");
	r.app = b;
	store_stream(s, &r);
	/* Noticed at the commit: it cannot be created again. */
	store_tick(s, now + 2 * WINDOW);
	store_tick(s, now + 3 * WINDOW);
	store_stats(s, &st);
	assert_int_equal(st.failing, 1);
	snprintf(want, sizeof want, "cannot create %s/state/isoaudit: Not a "
	    "directory", e->dir);
	assert_string_equal(st.last_error, want);
	store_tick(s, now + 3 * WINDOW + 4 * SEC);
	store_stats(s, &st);
	assert_int_equal(st.failing, 1);
	assert_true(store_pending(s));

	/* The way is clear again. */
	assert_int_equal(unlink(dir), 0);
	store_tick(s, now + 3 * WINDOW + 20 * SEC);
	store_stats(s, &st);
	if (st.failing || store_pending(s))
		fail_msg("still failing: %s", st.last_error);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	assert_q_text(e->db, "SELECT group_concat(s.stream_id || '=' || "
	    "a.label, ',') FROM (SELECT * FROM stream ORDER BY stream_id) s "
	    "JOIN app a ON a.id = s.app", "1=App A,2=App B");
	assert_q_int(e->db, "SELECT closed FROM stream WHERE stream_id = 1",
	    T0 + 3 * SEC);
	assert_q_int(e->db, "SELECT count(*) FROM pragma_foreign_key_check",
	    0);
}

/* A file put in its place (a restore, a move) is noticed as well. */
static void
test_replaced_database(void **state)
{
	struct env *e = *state;
	struct store_stream r;
	struct store *s;
	char other[192], want[512];
	int64_t sid;

	s = e->s = open_w(e->db);
	/* Another file, under the same key (hashes of one key: written). */
	snprintf(other, sizeof other, "%s/other.db", e->dir);
	snprintf(want, sizeof want, "%s.key", e->db);
	store_close(open_wk(other, want, 0));
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	flush_ok(s);
	rm_db_files(e->db);
	assert_int_equal(rename(other, e->db), 0);
	nlogs = 0;
	/* Noticed before the next commit. */
	stream_init(&r, sid, 1, "NEW");
	store_stream(s, &r);
	flush_ok(s);
	snprintf(want, sizeof want, "database %s was replaced; creating it "
	    "again", e->db);
	assert_string_equal(last_log, want);
	stream_init(&r, sid, 1, "NEW");
	store_stream(s, &r);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 1);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
}

/* --- prune ---------------------------------------------------------------- */

/*
 * An occurrence of the cause keyed by its rule (made when new; its seq the
 * next), written with sqlite directly.
 */
static void
add_finding(const char *db, int64_t session, uint64_t circ, const char *rule,
    const char *sev, int64_t first, int64_t last)
{
	char sql[1024];

	snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO cause(key, rule, "
	    "severity, ident_a, ident_b, apps, identities, processes, "
	    "first_seen, last_seen, detail, seq) VALUES ('%s', '%s', '%s', "
	    "'a', 'b', '[\"App A\", \"App B\"]', "
	    "'[\"App A@localhost\", \"App B@localhost\"]', '[]', %" PRId64
	    ", %" PRId64 ", 'detail %s', (SELECT coalesce(max(seq), 0) + 1 "
	    "FROM cause)); "
	    "INSERT INTO occurrence(cause, session, circ_id, exit_fp, streams, "
	    "count, first_seen, last_seen) VALUES ((SELECT id FROM cause "
	    "WHERE key = '%s'), %" PRId64 ", %" PRIu64 ", %s, "
	    "'[\"1\", \"2\"]', 2, %" PRId64 ", %" PRId64 ")",
	    rule, rule, sev, first, last, rule, rule, session, circ,
	    circ ? "'FP'" : "NULL", first, last);
	db_exec(db, sql);
}

/* One session with its apps, circuits, streams and attachments. */
static void
add_session_data(struct store *s, int64_t sid, int64_t t, const char *app1,
    const char *app2)
{
	struct store_stream r;
	struct store_circ c;
	int64_t a1 = store_app(s, app1, "localhost", "");
	int64_t a2 = store_app(s, app2, "localhost", "");

	circ_init(&c, sid, 20, "BUILT");
	c.exit_fp = "EXIT20";
	c.created = t;
	store_circuit(s, &c);
	circ_init(&c, sid, 21, "BUILT");
	c.exit_fp = "EXIT21";
	c.created = t;
	store_circuit(s, &c);
	stream_init(&r, sid, 1, "SUCCEEDED");
	r.app = a1;
	r.circ_id = 20;
	r.opened = t + SEC;
	store_stream(s, &r);
	store_attach(s, sid, 1, 20, t + SEC);
	stream_init(&r, sid, 2, "SUCCEEDED");
	r.app = a2;
	r.circ_id = 21;
	r.opened = t + 2 * SEC;
	store_stream(s, &r);
	store_attach(s, sid, 2, 21, t + 2 * SEC);
	store_relay(s, app1, NULL, t);
	store_touch(s, sid, t + 10 * SEC);
}

static void
test_prune(void **state)
{
	struct env *e = *state;
	struct store_prune_stats ps;
	struct store *s;
	char *cause = NULL;
	int64_t s1, s2, s3, shared, newer, old_only;

	s = e->s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	add_session_data(s, s1, T0, "old only", "shared");
	store_session_end(s, s1, "gone", T0 + 20 * SEC);
	s2 = store_session_begin(s, "c", NULL, NULL, T0 + DAY);
	add_session_data(s, s2, T0 + DAY, "old too", "old too");
	store_session_end(s, s2, "gone", T0 + DAY + 20 * SEC);
	/* Started long ago, active lately: kept. */
	s3 = store_session_begin(s, "c", NULL, NULL, T0 + 2 * DAY);
	add_session_data(s, s3, T0 + 40 * DAY, "new", "shared");
	shared = store_app(s, "shared", "localhost", "");
	newer = store_app(s, "new", "localhost", "");
	flush_ok(s);
	add_finding(e->db, s1, 20, "SHARED_CIRCUIT", "critical", T0, T0);
	add_finding(e->db, s2, 0, "UNISOLATED_PORT", "warning", T0 + DAY,
	    T0 + DAY);
	add_finding(e->db, s3, 21, "SHARED_EXIT", "notice", T0 + 40 * DAY,
	    T0 + 40 * DAY);
	/* A cause seen in the old and the new session. */
	add_finding(e->db, s3, 20, "SHARED_CIRCUIT", "critical",
	    T0 + 40 * DAY, T0 + 40 * DAY);
	assert_q_int(e->db, "SELECT count(*) FROM cause", 3);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence", 4);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 6);
	assert_q_int(e->db, "SELECT count(*) FROM app", 4);

	if (store_prune(s, T0 + 30 * DAY, &ps, &cause) == -1)
		fail_msg("store_prune: %s", cause);
	assert_int_equal(ps.sessions, 2);
	assert_int_equal(ps.streams, 4);
	assert_int_equal(ps.circuits, 4);
	assert_int_equal(ps.occurrences, 2);
	assert_int_equal(ps.causes, 1);
	assert_int_equal(ps.apps, 2);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	assert_q_int(e->db, "SELECT id FROM tor_session", s3);
	assert_q_int(e->db, "SELECT count(*) FROM circuit WHERE session <> 3",
	    0);
	assert_q_int(e->db, "SELECT count(*) FROM stream WHERE session <> 3",
	    0);
	assert_q_int(e->db, "SELECT count(*) FROM attach WHERE session <> 3",
	    0);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence WHERE "
	    "session <> 3", 0);
	/* The newer session is whole. */
	assert_q_int(e->db, "SELECT count(*) FROM circuit", 2);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 2);
	assert_q_int(e->db, "SELECT count(*) FROM attach", 2);
	assert_q_int(e->db, "SELECT count(*) FROM occurrence", 2);
	/* A cause left without occurrences is gone; one that keeps some
	 * stays, with its history (first seen). */
	assert_q_text(e->db, "SELECT group_concat(rule, ',') FROM (SELECT "
	    "rule FROM cause ORDER BY rule)", "SHARED_CIRCUIT,SHARED_EXIT");
	assert_q_int(e->db, "SELECT first_seen FROM cause WHERE rule = "
	    "'SHARED_CIRCUIT'", T0);
	/* Apps no stream refers to any more are gone. */
	assert_q_text(e->db, "SELECT group_concat(label, ',') FROM (SELECT "
	    "label FROM app ORDER BY label)", "new,shared");
	/* Relays not seen since the cutoff too. */
	assert_q_text(e->db, "SELECT group_concat(fingerprint, ',') FROM "
	    "relay", "new");
	assert_q_text(e->db, "PRAGMA integrity_check", "ok");
	assert_q_int(e->db, "SELECT count(*) FROM pragma_foreign_key_check",
	    0);

	/* Ids: kept for what is left, never reused for what is new. */
	assert_int_equal(store_app(s, "shared", "localhost", ""), shared);
	assert_int_equal(store_app(s, "new", "localhost", ""), newer);
	old_only = store_app(s, "old only", "localhost", "");
	assert_true(old_only != shared && old_only != newer);
	assert_true(store_session_begin(s, "c", NULL, NULL, T0 + 41 * DAY) >
	    s3);
	flush_ok(s);

	/* Nothing more to prune. */
	assert_int_equal(store_prune(s, T0 + 30 * DAY, &ps, &cause), 0);
	assert_int_equal(ps.sessions + ps.streams + ps.circuits +
	    ps.occurrences, 0);
	assert_int_equal(ps.apps, 1);	/* "old only" again: no stream */
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 2);
	assert_q_text(e->db, "PRAGMA integrity_check", "ok");
}

/*
 * Rows of mixed ages in one Tor session that is still running (ours), one
 * that ended, one that crashed (never ended, quiet since) and another
 * writer's live one: each row goes by its own age, what a kept row names
 * stays, open streams and circuits of live sessions stay.
 */
static void
test_prune_long_session(void **state)
{
	struct env *e = *state;
	struct store_prune_stats ps;
	struct store_stream r;
	struct store_circ c;
	struct store *s;
	char *cause = NULL;
	int64_t sid, s2, a_old, a_open, cut = T0 + 30 * DAY;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	a_old = store_app(s, "old app", "localhost", "");
	a_open = store_app(s, "open app", "localhost", "");
	/* Circuits: 10 old; 11 old, a kept stream's; 12 old and open; 13
	 * old, a kept occurrence's; 14 old, an old attachment's; 15 new. */
	circ_init(&c, sid, 10, "CLOSED");
	c.created = T0;
	c.closed = T0 + 3600 * SEC;
	store_circuit(s, &c);
	c.circ_id = 11;
	store_circuit(s, &c);
	c.circ_id = 13;
	store_circuit(s, &c);
	c.circ_id = 14;
	store_circuit(s, &c);
	circ_init(&c, sid, 12, "BUILT");
	c.created = T0;
	c.exit_fp = "EXITKEPT";
	store_circuit(s, &c);
	circ_init(&c, sid, 15, "BUILT");
	c.created = T0 + 40 * DAY;
	store_circuit(s, &c);
	/* Streams: 1 old (attached to 14 then 10); 2 old but open; 3 opened
	 * before the cutoff, closed after; 4 new. */
	stream_init(&r, sid, 1, "CLOSED");
	r.app = a_old;
	r.circ_id = 10;
	r.opened = T0;
	r.closed = T0 + 60 * SEC;
	store_stream(s, &r);
	store_attach(s, sid, 1, 14, T0);
	store_attach(s, sid, 1, 10, T0 + SEC);
	stream_init(&r, sid, 2, "SUCCEEDED");
	r.app = a_open;
	r.circ_id = 12;
	r.opened = T0;
	r.succeeded = T0 + SEC;
	store_stream(s, &r);
	store_attach(s, sid, 2, 12, T0 + SEC);
	stream_init(&r, sid, 3, "CLOSED");
	r.app = a_open;
	r.circ_id = 11;
	r.opened = T0 + 29 * DAY;
	r.closed = T0 + 31 * DAY;
	store_stream(s, &r);
	stream_init(&r, sid, 4, "NEW");
	r.app = a_open;
	r.opened = T0 + 40 * DAY;
	store_stream(s, &r);
	store_relay(s, "RELAYOLD", NULL, T0);
	store_relay(s, "EXITKEPT", NULL, T0);
	store_relay(s, "RELAYNEW", NULL, T0 + 40 * DAY);
	store_service(s, sid, "h:ours.onion", "current", T0);
	store_touch(s, sid, T0 + 40 * DAY);
	/* A session that ended long ago, its onion service too. */
	s2 = store_session_begin(s, "c", NULL, NULL, T0);
	circ_init(&c, s2, 10, "BUILT");
	c.created = T0;
	store_circuit(s, &c);
	store_service(s, s2, "h:theirs.onion", "current", T0);
	store_session_end(s, s2, "gone", T0 + DAY);
	flush_ok(s);
	/* A crashed session (never ended, quiet since), and another
	 * writer's live one: each with an old stream still open. */
	db_exec(e->db, "INSERT INTO tor_session(id, started, control, "
	    "last_event) VALUES (100, 1795542000000000, 'c', "
	    "1795545600000000), (101, 1795542000000000, 'c', "
	    "1798566000000000); "
	    "INSERT INTO stream(session, stream_id, status, opened) VALUES "
	    "(100, 1, 'NEW', 1795542000000000), "
	    "(101, 1, 'NEW', 1795542000000000)");
	/* Causes: X only long ago; Y long ago and lately (on circuit 13). */
	add_finding(e->db, sid, 10, "X", "critical", T0, T0 + 3600 * SEC);
	add_finding(e->db, sid, 0, "Y", "warning", T0, T0);
	add_finding(e->db, sid, 13, "Y", "warning", T0 + 35 * DAY,
	    T0 + 35 * DAY);

	if (store_prune(s, cut, &ps, &cause) == -1)
		fail_msg("store_prune: %s", cause);
	assert_q_text(e->db, "SELECT group_concat(session || '/' || "
	    "stream_id, ' ') FROM (SELECT * FROM stream ORDER BY 1, 2)",
	    "1/2 1/3 1/4 101/1");
	assert_q_text(e->db, "SELECT group_concat(session || '/' || "
	    "circ_id, ' ') FROM (SELECT * FROM circuit ORDER BY 1, 2)",
	    "1/11 1/12 1/13 1/15");
	assert_q_text(e->db, "SELECT group_concat(stream_id || '@' || "
	    "circ_id, ' ') FROM attach", "2@12");
	assert_q_text(e->db, "SELECT group_concat(c.rule || ':' || o.circ_id, "
	    "' ') FROM occurrence o JOIN cause c ON c.id = o.cause", "Y:13");
	assert_q_int(e->db, "SELECT first_seen FROM cause WHERE rule = 'Y'",
	    T0);
	assert_q_text(e->db, "SELECT group_concat(id, ' ') FROM (SELECT id "
	    "FROM tor_session ORDER BY id)", "1 101");
	assert_q_text(e->db, "SELECT group_concat(label, ',') FROM app",
	    "open app");
	assert_q_text(e->db, "SELECT group_concat(fingerprint, ',') FROM "
	    "(SELECT fingerprint FROM relay ORDER BY 1)", "EXITKEPT,RELAYNEW");
	assert_q_text(e->db, "SELECT group_concat(address, ',') FROM "
	    "onion_service", "h:ours.onion");
	assert_int_equal(ps.streams, 2);	/* 1/1, 100/1 */
	assert_int_equal(ps.circuits, 3);	/* 1/10, 1/14, 2/10 */
	assert_int_equal(ps.occurrences, 2);
	assert_int_equal(ps.causes, 1);
	assert_int_equal(ps.sessions, 2);	/* 2 and 100 */
	assert_int_equal(ps.services, 1);
	assert_q_text(e->db, "PRAGMA integrity_check", "ok");
	assert_q_int(e->db, "SELECT count(*) FROM pragma_foreign_key_check",
	    0);

	/* Our session carries on: the open stream closes, a new one
	 * comes, an app pruned comes back under a new id; nothing refused. */
	stream_init(&r, sid, 2, "CLOSED");
	r.closed = T0 + 41 * DAY;
	store_stream(s, &r);
	stream_init(&r, sid, 5, "NEW");
	r.app = store_app(s, "old app", "localhost", "");
	assert_true(r.app != a_old);
	r.opened = T0 + 41 * DAY;
	store_stream(s, &r);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM stream WHERE session = 1 "
	    "AND app IS NOT NULL", 4);
	assert_q_int(e->db, "SELECT count(*) FROM pragma_foreign_key_check",
	    0);
}

/*
 * A long session's many old rows go in steps of STORE_PRUNE_BATCH, each
 * its own transaction that leaves the database whole; what is new stays.
 */
static void
test_prune_steps(void **state)
{
	struct env *e = *state;
	struct store_prune_stats ps;
	struct store_stream r;
	struct store_circ c;
	struct store *s;
	char *cause = NULL;
	int64_t sid, app;
	int steps = 0, rc;
	uint64_t i, n = 2 * STORE_PRUNE_BATCH + 500;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	app = store_app(s, "App A", "localhost", "");
	for (i = 1; i <= n + 10; i++) {
		int64_t t = i <= n ? T0 + (int64_t)i : T0 + 40 * DAY;

		circ_init(&c, sid, i, "CLOSED");
		c.created = t;
		c.closed = t + SEC;
		store_circuit(s, &c);
		stream_init(&r, sid, i, "CLOSED");
		r.app = app;
		r.circ_id = i;
		r.opened = t;
		r.closed = t + SEC;
		store_stream(s, &r);
		store_attach(s, sid, i, i, t);
	}
	flush_ok(s);
	memset(&ps, 0, sizeof ps);
	while ((rc = store_prune_step(s, T0 + 30 * DAY, &ps, &cause)) == 1) {
		steps++;
		assert_true(ps.streams <= (long)steps * STORE_PRUNE_BATCH);
		assert_q_int(e->db, "SELECT count(*) FROM "
		    "pragma_foreign_key_check", 0);
	}
	if (rc == -1)
		fail_msg("store_prune_step: %s", cause);
	assert_true(steps >= 2);
	assert_int_equal(ps.streams, (long)n);
	assert_int_equal(ps.circuits, (long)n);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 10);
	assert_q_int(e->db, "SELECT count(*) FROM circuit", 10);
	assert_q_int(e->db, "SELECT count(*) FROM attach", 10);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	assert_q_text(e->db, "PRAGMA integrity_check", "ok");
}

/* Prune gives the space back: the file shrinks. */
/*
 * Another process prunes everything, our live session and its app
 * included: the next rows still land (the session and the app come back)
 * and nothing is refused.
 */
static void
test_pruned_under_us(void **state)
{
	struct env *e = *state;
	struct store_stats st;
	struct store_stream r;
	struct store *s;
	int64_t sid, app;

	s = e->s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	app = store_app(s, "App A", "localhost", "");
	stream_init(&r, sid, 1, "NEW");
	r.app = app;
	store_stream(s, &r);
	flush_ok(s);
	db_exec(e->db, "PRAGMA foreign_keys = ON; DELETE FROM tor_session; "
	    "DELETE FROM app");
	assert_q_int(e->db, "SELECT count(*) FROM stream", 0);
	stream_init(&r, sid, 2, "NEW");
	r.app = app;
	store_stream(s, &r);
	flush_ok(s);
	assert_q_int(e->db, "SELECT count(*) FROM stream WHERE stream_id = 2 "
	    "AND app IS NOT NULL", 1);
	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 1);
	assert_q_int(e->db, "SELECT count(*) FROM app WHERE label = 'App A'",
	    1);
	store_stats(s, &st);
	assert_int_equal(st.rows_refused, 0);
	assert_int_equal(st.failing, 0);
}

static void
test_prune_vacuum(void **state)
{
	struct env *e = *state;
	struct store_stream r;
	struct stat before, after;
	struct store_prune_stats ps;
	struct store *s;
	char *cause = NULL, target[200];
	int64_t s1, s2;
	uint64_t i;

	s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	memset(target, 'x', sizeof target - 1);
	target[sizeof target - 1] = '\0';
	for (i = 1; i <= 20000; i++) {
		stream_init(&r, s1, i, "CLOSED");
		r.target = target;
		r.opened = T0 + (int64_t)i;
		store_stream(s, &r);
	}
	store_session_end(s, s1, "done", T0 + SEC);
	s2 = store_session_begin(s, "c", NULL, NULL, T0 + 40 * DAY);
	stream_init(&r, s2, 1, "NEW");
	r.opened = T0 + 40 * DAY;
	store_stream(s, &r);
	store_close(s);
	assert_int_equal(stat(e->db, &before), 0);
	assert_true(before.st_size > 20000 * 200);

	s = e->s = open_w(e->db);
	assert_int_equal(store_prune(s, T0 + 30 * DAY, &ps, &cause), 0);
	assert_int_equal(ps.sessions, 1);
	assert_int_equal(ps.streams, 20000);
	assert_int_equal(stat(e->db, &after), 0);
	if (after.st_size > before.st_size / 10)
		fail_msg("%lld bytes before prune, %lld after",
		    (long long)before.st_size, (long long)after.st_size);
	assert_q_int(e->db, "SELECT count(*) FROM stream", 1);
	assert_q_text(e->db, "PRAGMA integrity_check", "ok");
	assert_q_int(e->db, "PRAGMA freelist_count", 0);
}

/* --- reading -------------------------------------------------------------- */

struct collect {
	int	n;
	char	buf[4096];
};

static void
collect_add(struct collect *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
collect_add(struct collect *c, const char *fmt, ...)
{
	size_t len = strlen(c->buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->buf + len, sizeof c->buf - len, fmt, ap);
	va_end(ap);
	c->n++;
}

#define NS(s)	((s) != NULL ? (s) : "-")

static void
coll_session(const struct store_session_row *r, void *arg)
{
	collect_add(arg, "%" PRId64 " %s %s %s %s %ld %" PRId64 " %" PRId64
	    " %s %" PRId64 "\n", r->id, NS(r->tor_version), NS(r->control),
	    NS(r->auth), NS(r->source), r->pid, (r->started - T0) / SEC,
	    r->ended ? (r->ended - T0) / SEC : -1, NS(r->end_reason),
	    (r->last_event - T0) / SEC);
}

static void
coll_app(const struct store_app_row *r, void *arg)
{
	collect_add(arg, "%" PRId64 " %s@%s/%s l=%s p=%s s=%ld c=%ld x=%ld "
	    "%" PRId64 "..%" PRId64 "\n", r->id, r->label, r->host, r->sub,
	    NS(r->listeners), NS(r->processes), r->streams, r->circuits,
	    r->exits, (r->first_seen - T0) / SEC, (r->last_seen - T0) / SEC);
}

/* Sorts the comma-separated ids so the comparison does not depend on the
 * order group_concat happened to use. */
static void
sorted_ids(const char *s, char *out, size_t len)
{
	long v[16];
	int n = 0, i, j;
	size_t o = 0;
	char *end;

	out[0] = '\0';
	if (s == NULL) {
		snprintf(out, len, "-");
		return;
	}
	while (*s != '\0' && n < 16) {
		v[n++] = strtol(s, &end, 10);
		assert_true(end != s);
		s = *end == ',' ? end + 1 : end;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (v[j] < v[i]) {
				long t = v[i];

				v[i] = v[j];
				v[j] = t;
			}
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%ld", i ? "," : "",
		    v[i]);
}

static void
coll_circ(const struct store_circ_row *r, void *arg)
{
	char apps[64];

	sorted_ids(r->apps, apps, sizeof apps);
	collect_add(arg, "%" PRId64 "/%" PRIu64 " %s cfx=%s %s~%s apps=%s "
	    "n=%ld %" PRId64 "..%" PRId64 "\n", r->session, r->circ_id,
	    NS(r->purpose), NS(r->conflux_id), NS(r->exit_fp),
	    NS(r->exit_nick), apps, r->streams, (r->created - T0) / SEC,
	    r->closed ? (r->closed - T0) / SEC : -1);
}

static void
coll_stream(const struct store_stream_row *r, void *arg)
{
	collect_add(arg, "%" PRId64 "/%" PRIu64 " c=%" PRIu64 " %s %s %s "
	    "a=%" PRId64 " %s[%ld] u=%ld %s %s:%d %" PRId64 "..%" PRId64
	    " %s\n", r->session, r->stream_id, r->circ_id, NS(r->status),
	    NS(r->listener), NS(r->client_addr), r->app, NS(r->process),
	    r->pid, r->uid, NS(r->protocol), NS(r->target), r->target_port,
	    (r->opened - T0) / SEC, r->closed ? (r->closed - T0) / SEC : -1,
	    NS(r->reason));
}

static void
coll_finding(const struct store_finding_row *r, void *arg)
{
	size_t i;

	collect_add(arg, "%s %s s=%" PRId64 " c=%" PRIu64 " l=%s %s %s %s %s "
	    "n=%ld %" PRId64 "..%" PRId64 " %s ack=%d k=%s again=%d o=%zu/%zu",
	    r->rule, r->severity, r->session, r->circ_id, r->listener,
	    NS(r->apps), NS(r->identities), NS(r->processes), NS(r->streams),
	    r->count, (r->first_seen - T0) / SEC, (r->last_seen - T0) / SEC,
	    NS(r->detail), r->acknowledged, NS(r->cause), r->again,
	    r->noccurrences, r->noccurrences_total);
	for (i = 0; i < r->noccurrences; i++) {
		const struct store_occurrence_row *o = &r->occurrences[i];

		((struct collect *)arg)->n--;
		collect_add(arg, " [%" PRId64 "/%" PRIu64 " %s %s x%ld %" PRId64
		    "..%" PRId64 "]", o->session, o->circ_id, NS(o->exit_fp),
		    NS(o->streams), o->count, (o->first_seen - T0) / SEC,
		    (o->last_seen - T0) / SEC);
	}
	((struct collect *)arg)->n--;
	collect_add(arg, "\n");
}

static void
add_stream(struct store *s, int64_t sid, uint64_t id, uint64_t circ,
    int64_t app, const char *listener, long pid, const char *process,
    int64_t opened, int64_t closed)
{
	struct store_stream r;

	stream_init(&r, sid, id, closed ? "CLOSED" : "SUCCEEDED");
	r.circ_id = circ;
	r.app = app;
	r.listener = listener;
	r.client_addr = "127.0.0.1:40000";
	r.pid = pid;
	r.process = process;
	r.uid = pid ? 1000 : -1;
	r.protocol = "SOCKS5";
	r.target = "h:0123456789ab";
	r.target_port = 443;
	r.opened = opened;
	r.closed = closed;
	r.reason = closed ? "DONE" : NULL;
	store_stream(s, &r);
	store_attach(s, sid, id, circ, opened);
}

static void
add_circ(struct store *s, int64_t sid, uint64_t id, const char *fp,
    const char *nick, const char *conflux, int64_t created)
{
	struct store_circ c;

	circ_init(&c, sid, id, "BUILT");
	c.purpose = "GENERAL";
	c.exit_fp = fp;
	c.exit_nick = nick;
	c.conflux_id = conflux;
	c.created = created;
	store_circuit(s, &c);
}

/*
 * Session 1: apps A, B, C.  Circuit 10 is shared by A and B; 11 and 12 are
 * one conflux set (A on one leg, C on the other); 13 is A's alone, through
 * the same exit as 10.  Session 2: A again, on a circuit 10 of its own.
 */
static void
build_dataset(const char *db, int64_t *a, int64_t *b, int64_t *c)
{
	struct store *s = open_w(db);
	int64_t s1, s2;

	s1 = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE", "live",
	    T0);
	store_session_info(s, s1, "0.4.9.11", 4321);
	*a = store_app(s, "App A", "localhost", "");
	*b = store_app(s, "App B", "localhost", "");
	*c = store_app(s, "App C", "localhost", "");
	add_circ(s, s1, 10, "FP1", "exit1", NULL, T0 + 1 * SEC);
	add_circ(s, s1, 11, "FP2", "exit2", "CFX1", T0 + 1 * SEC);
	add_circ(s, s1, 12, "FP3", "exit3", "CFX1", T0 + 1 * SEC);
	add_circ(s, s1, 13, "FP1", "exit1", NULL, T0 + 6 * SEC);
	add_circ(s, s1, 14, "FP4", "unused", NULL, T0 + 6 * SEC);
	add_stream(s, s1, 1, 10, *a, "127.0.0.1:9152", 100, "curl",
	    T0 + 2 * SEC, T0 + 5 * SEC);
	add_stream(s, s1, 2, 10, *b, "127.0.0.1:9153", 200, "wget",
	    T0 + 3 * SEC, 0);
	add_stream(s, s1, 3, 11, *a, "127.0.0.1:9152", 100, "curl",
	    T0 + 4 * SEC, 0);
	add_stream(s, s1, 4, 12, *c, "127.0.0.1:9154", 0, NULL,
	    T0 + 6 * SEC, 0);
	add_stream(s, s1, 5, 13, *a, "127.0.0.1:9152", 101, "curl",
	    T0 + 7 * SEC, 0);
	{
		struct store_circ cc;

		circ_init(&cc, s1, 10, "CLOSED");
		cc.closed = T0 + 50 * SEC;
		store_circuit(s, &cc);
	}
	store_touch(s, s1, T0 + 60 * SEC);
	store_session_end(s, s1, "connection lost", T0 + 100 * SEC);

	s2 = store_session_begin(s, "unix:/run/tor/control", "COOKIE",
	    "replay:x.txt", T0 + 3600 * SEC);
	add_circ(s, s2, 10, "FP9", "exit9", NULL, T0 + 3601 * SEC);
	add_stream(s, s2, 1, 10, *a, "127.0.0.1:9152", 300, "curl",
	    T0 + 3700 * SEC, 0);
	store_touch(s, s2, T0 + 3700 * SEC);
	store_close(s);

	add_finding(db, s1, 10, "SHARED_EXIT", "notice", T0 + 7 * SEC,
	    T0 + 8 * SEC);
	add_finding(db, s1, 10, "SHARED_CIRCUIT", "critical", T0 + 3 * SEC,
	    T0 + 4 * SEC);
	add_finding(db, s2, 0, "UNISOLATED_PORT", "warning", T0 + 3700 * SEC,
	    T0 + 3700 * SEC);
	/* The SHARED_CIRCUIT cause again, in the second session. */
	add_finding(db, s2, 10, "SHARED_CIRCUIT", "critical", T0 + 3650 * SEC,
	    T0 + 3660 * SEC);
	db_exec(db, "UPDATE occurrence SET streams = '[\"7\"]', count = 5 "
	    "WHERE session = 2 AND circ_id = 10");
}

static void
test_read_sessions(void **state)
{
	struct env *e = *state;
	struct store_range r;
	struct collect c;
	struct store *s;
	char *cause = NULL;
	int64_t a, b, cc;

	build_dataset(e->db, &a, &b, &cc);
	s = e->s = open_r(e->db);
	assert_int_equal(store_latest_session(s), 2);

	memset(&r, 0, sizeof r);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_string_equal(c.buf,
	    "1 0.4.9.11 127.0.0.1:9051 SAFECOOKIE live 4321 0 100 "
	    "connection lost 100\n"
	    "2 - unix:/run/tor/control COOKIE replay:x.txt 0 3600 -1 - "
	    "3700\n");

	/* One session. */
	memset(&c, 0, sizeof c);
	r.session = 2;
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_int_equal(c.n, 1);
	assert_true(strncmp(c.buf, "2 ", 2) == 0);

	/* From: active at or after it; to: started before it. */
	memset(&c, 0, sizeof c);
	memset(&r, 0, sizeof r);
	r.from = T0 + 101 * SEC;
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_int_equal(c.n, 1);
	assert_true(strncmp(c.buf, "2 ", 2) == 0);
	memset(&c, 0, sizeof c);
	r.from = T0 + 100 * SEC;
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof c);
	memset(&r, 0, sizeof r);
	r.to = T0 + 3600 * SEC;
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_int_equal(c.n, 1);
	assert_true(strncmp(c.buf, "1 ", 2) == 0);
	memset(&c, 0, sizeof c);
	r.from = T0 + 200 * SEC;
	r.to = T0 + 300 * SEC;
	assert_int_equal(store_each_session(s, &r, coll_session, &c, &cause),
	    0);
	assert_int_equal(c.n, 0);
	assert_null(cause);
}

static void
test_read_apps(void **state)
{
	struct env *e = *state;
	struct store_range r;
	struct collect c;
	struct store *s;
	char *cause = NULL, want[1024];
	int64_t a, b, cc;

	build_dataset(e->db, &a, &b, &cc);
	s = e->s = open_r(e->db);

	memset(&r, 0, sizeof r);
	r.session = 1;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_app(s, &r, coll_app, &c, &cause), 0);
	snprintf(want, sizeof want,
	    "%" PRId64 " App A@localhost/ l=127.0.0.1:9152 "
	    "p=curl[100] curl[101] s=3 c=3 x=2 2..7\n"
	    "%" PRId64 " App B@localhost/ l=127.0.0.1:9153 p=wget[200] "
	    "s=1 c=1 x=1 3..3\n"
	    "%" PRId64 " App C@localhost/ l=127.0.0.1:9154 p=- s=1 c=1 x=1 "
	    "6..6\n", a, b, cc);
	assert_string_equal(c.buf, want);

	/* Every session: A has four streams on four circuits, three exits. */
	memset(&r, 0, sizeof r);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_app(s, &r, coll_app, &c, &cause), 0);
	assert_int_equal(c.n, 3);
	snprintf(want, sizeof want, "%" PRId64 " App A@localhost/ "
	    "l=127.0.0.1:9152 p=curl[100] curl[101] curl[300] s=4 c=4 x=3 "
	    "2..3700\n", a);
	assert_true(strncmp(c.buf, want, strlen(want)) == 0);

	/* By time: streams opened in [3 s, 5 s): B's one and A's second. */
	memset(&r, 0, sizeof r);
	r.from = T0 + 3 * SEC;
	r.to = T0 + 5 * SEC;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_app(s, &r, coll_app, &c, &cause), 0);
	snprintf(want, sizeof want,
	    "%" PRId64 " App A@localhost/ l=127.0.0.1:9152 p=curl[100] "
	    "s=1 c=1 x=1 4..4\n"
	    "%" PRId64 " App B@localhost/ l=127.0.0.1:9153 p=wget[200] "
	    "s=1 c=1 x=1 3..3\n", a, b);
	assert_string_equal(c.buf, want);

	/* An empty range. */
	memset(&r, 0, sizeof r);
	r.session = 99;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_app(s, &r, coll_app, &c, &cause), 0);
	assert_int_equal(c.n, 0);
}

static void
test_read_circuits(void **state)
{
	struct env *e = *state;
	struct store_range r;
	struct collect c;
	struct store *s;
	char *cause = NULL, want[1024];
	int64_t a, b, cc;
	char ab[32];

	build_dataset(e->db, &a, &b, &cc);
	s = e->s = open_r(e->db);
	snprintf(ab, sizeof ab, "%" PRId64 ",%" PRId64, a < b ? a : b,
	    a < b ? b : a);

	memset(&r, 0, sizeof r);
	r.session = 1;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_circuit(s, &r, coll_circ, &c, &cause), 0);
	/* Circuits that carried streams; 14 carried none. */
	snprintf(want, sizeof want,
	    "1/10 GENERAL cfx=- FP1~exit1 apps=%s n=2 1..50\n"
	    "1/11 GENERAL cfx=CFX1 FP2~exit2 apps=%" PRId64 " n=1 1..-1\n"
	    "1/12 GENERAL cfx=CFX1 FP3~exit3 apps=%" PRId64 " n=1 1..-1\n"
	    "1/13 GENERAL cfx=- FP1~exit1 apps=%" PRId64 " n=1 6..-1\n",
	    ab, a, cc, a);
	assert_string_equal(c.buf, want);

	memset(&r, 0, sizeof r);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_circuit(s, &r, coll_circ, &c, &cause), 0);
	assert_int_equal(c.n, 5);
	snprintf(want, sizeof want, "2/10 GENERAL cfx=- FP9~exit9 apps=%"
	    PRId64 " n=1 3601..-1\n", a);
	assert_non_null(strstr(c.buf, want));

	/* By time: streams opened in [2 s, 4 s) used circuit 10 only. */
	memset(&r, 0, sizeof r);
	r.from = T0 + 2 * SEC;
	r.to = T0 + 4 * SEC;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_circuit(s, &r, coll_circ, &c, &cause), 0);
	snprintf(want, sizeof want,
	    "1/10 GENERAL cfx=- FP1~exit1 apps=%s n=2 1..50\n", ab);
	assert_string_equal(c.buf, want);
}

/* Everything store_agg.c answers for range r, as text. */
static void
coll_circ_raw(const struct store_circ_row *r, void *arg)
{
	collect_add(arg, "%" PRId64 "/%" PRIu64 " %s cfx=%s %s~%s apps=%s "
	    "n=%ld %" PRId64 "..%" PRId64 "\n", r->session, r->circ_id,
	    NS(r->purpose), NS(r->conflux_id), NS(r->exit_fp),
	    NS(r->exit_nick), NS(r->apps), r->streams, r->created, r->closed);
}

static void
coll_share(int64_t a, int64_t b, long n, void *arg)
{
	collect_add(arg, "share %" PRId64 "+%" PRId64 "=%ld\n", a, b, n);
}

static void
coll_onion(const struct store_onion_row *r, void *arg)
{
	collect_add(arg, "onion %s:%d s=%ld c=%ld %s\n", r->target,
	    r->target_port, r->streams, r->circuits, NS(r->apps));
}

static void
agg_all(struct store *s, const struct store_range *r, struct collect *c)
{
	char *cause = NULL;
	long n = -1;

	memset(c, 0, sizeof *c);
	assert_int_equal(store_each_app(s, r, coll_app, c, &cause), 0);
	assert_int_equal(store_each_circuit(s, r, coll_circ_raw, c, &cause),
	    0);
	assert_int_equal(store_count_circuits(s, r, &n, &cause), 0);
	collect_add(c, "circuits %ld\n", n);
	assert_int_equal(store_each_shared_circuit(s, r, -1, coll_circ_raw, c,
	    &n, &cause), 0);
	collect_add(c, "shared %ld\n", n);
	assert_int_equal(store_each_shared_circuit(s, r, 1, coll_circ_raw, c,
	    &n, &cause), 0);
	collect_add(c, "shared %ld\n", n);
	assert_int_equal(store_each_share(s, r, coll_share, c, &cause), 0);
	assert_int_equal(store_count_streams(s, r, &n, &cause), 0);
	collect_add(c, "streams %ld\n", n);
	assert_int_equal(store_each_onion_target(s, r, coll_onion, c, &cause),
	    0);
}

/*
 * The aggregates in memory and, past their bound, in sqlite's temporary
 * tables say the same of every range: detached streams (two circuits), a
 * stream of no application, a circuit the table lacks, conflux legs.
 */
static void
test_read_agg_spill(void **state)
{
	static const struct store_range ranges[] = {
		{ 0, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 }, { 99, 0, 0 },
		{ 0, T0 + 2 * SEC, T0 + 4 * SEC }, { 1, T0 + 4 * SEC, 0 },
		{ 0, 0, T0 + 7 * SEC },
	};
	struct env *e = *state;
	struct collect mem, spill;
	struct store *s;
	int64_t a, b, cc;
	char want[512];
	size_t i;

	build_dataset(e->db, &a, &b, &cc);
	snprintf(want, sizeof want, "INSERT INTO stream(session, stream_id, "
	    "circ_id, status, opened) VALUES (1, 6, 99, 'CLOSED', %" PRId64
	    "); INSERT INTO attach VALUES (1, 6, 13, 1), (1, 6, 99, 2); "
	    "INSERT INTO stream(session, stream_id, circ_id, status, app, "
	    "target, opened) VALUES (1, 7, 12, 'CLOSED', %" PRId64 ", "
	    "'h:aa.ONION', %" PRId64 "); INSERT INTO attach VALUES "
	    "(1, 7, 12, 3)", T0 + 8 * SEC, b, T0 + 9 * SEC);
	db_exec(e->db, want);
	s = e->s = open_r(e->db);
	for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		store_agg_max_circs(s, 0);
		agg_all(s, &ranges[i], &mem);
		store_agg_max_circs(s, 1);
		agg_all(s, &ranges[i], &spill);
		assert_string_equal(mem.buf, spill.buf);
	}
	/* The conflux set 11+12 carried a, b and c; circuit 10 a and b. */
	store_agg_max_circs(s, 0);
	agg_all(s, &ranges[1], &mem);
	snprintf(want, sizeof want, "share %" PRId64 "+%" PRId64 "=2\n",
	    a < b ? a : b, a < b ? b : a);
	assert_non_null(strstr(mem.buf, want));
	assert_non_null(strstr(mem.buf, "shared 3\n"));
	assert_non_null(strstr(mem.buf, "circuits 5\n"));
	assert_non_null(strstr(mem.buf, "onion h:aa.ONION:-1 s=1 c=1"));

	/* Streams out of opened order, with and without the aggregates'
	 * pass having seen it: (session, opened) order either way. */
	store_close(s);
	db_exec(e->db, "UPDATE stream SET opened = opened - 6000000 WHERE "
	    "session = 1 AND stream_id = 5");
	s = e->s = open_r(e->db);
	for (i = 0; i < 2; i++) {
		char *cause = NULL;

		memset(i == 0 ? &mem : &spill, 0, sizeof mem);
		if (i == 1)
			assert_int_equal(store_each_app(s, &ranges[1],
			    coll_app, &mem, &cause), 0);
		assert_int_equal(store_each_stream(s, &ranges[1], coll_stream,
		    i == 0 ? &mem : &spill, &cause), 0);
	}
	assert_true(strncmp(spill.buf, "1/5 ", 4) == 0);
	assert_non_null(strstr(mem.buf, spill.buf));
}

static void
test_read_streams(void **state)
{
	struct env *e = *state;
	struct store_range r;
	struct collect c;
	struct store *s;
	char *cause = NULL, want[2048];
	int64_t a, b, cc;

	build_dataset(e->db, &a, &b, &cc);
	s = e->s = open_r(e->db);

	memset(&r, 0, sizeof r);
	r.session = 1;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_stream(s, &r, coll_stream, &c, &cause), 0);
	snprintf(want, sizeof want,
	    "1/1 c=10 CLOSED 127.0.0.1:9152 127.0.0.1:40000 a=%" PRId64
	    " curl[100] u=1000 SOCKS5 h:0123456789ab:443 2..5 DONE\n"
	    "1/2 c=10 SUCCEEDED 127.0.0.1:9153 127.0.0.1:40000 a=%" PRId64
	    " wget[200] u=1000 SOCKS5 h:0123456789ab:443 3..-1 -\n"
	    "1/3 c=11 SUCCEEDED 127.0.0.1:9152 127.0.0.1:40000 a=%" PRId64
	    " curl[100] u=1000 SOCKS5 h:0123456789ab:443 4..-1 -\n"
	    "1/4 c=12 SUCCEEDED 127.0.0.1:9154 127.0.0.1:40000 a=%" PRId64
	    " -[0] u=-1 SOCKS5 h:0123456789ab:443 6..-1 -\n"
	    "1/5 c=13 SUCCEEDED 127.0.0.1:9152 127.0.0.1:40000 a=%" PRId64
	    " curl[101] u=1000 SOCKS5 h:0123456789ab:443 7..-1 -\n",
	    a, b, a, cc, a);
	assert_string_equal(c.buf, want);

	memset(&r, 0, sizeof r);
	r.from = T0 + 4 * SEC;
	r.to = T0 + 3700 * SEC;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_stream(s, &r, coll_stream, &c, &cause), 0);
	assert_int_equal(c.n, 3);	/* 3, 4, 5; not 2/1 (at "to") */
	assert_true(strncmp(c.buf, "1/3 ", 4) == 0);

	memset(&r, 0, sizeof r);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_stream(s, &r, coll_stream, &c, &cause), 0);
	assert_int_equal(c.n, 6);
	snprintf(want, sizeof want, "2/1 c=10 SUCCEEDED 127.0.0.1:9152 "
	    "127.0.0.1:40000 a=%" PRId64 " curl[300] u=1000 SOCKS5 "
	    "h:0123456789ab:443 3700..-1 -\n", a);
	assert_non_null(strstr(c.buf, want));

	/* Unknown values read back as "unknown", not as 0. */
	{
		struct store *w;
		struct store_stream sr;

		store_close(s);
		e->s = NULL;
		w = open_w(e->db);
		stream_init(&sr, 2, 77, "NEW");
		sr.opened = T0 + 4000 * SEC;
		store_stream(w, &sr);
		store_close(w);
		s = e->s = open_r(e->db);
		memset(&r, 0, sizeof r);
		r.from = T0 + 4000 * SEC;
		memset(&c, 0, sizeof c);
		assert_int_equal(store_each_stream(s, &r, coll_stream, &c,
		    &cause), 0);
		assert_string_equal(c.buf, "2/77 c=0 NEW - - a=0 -[0] u=-1 - "
		    "-:-1 4000..-1 -\n");
	}
}

static void
test_read_findings(void **state)
{
	struct env *e = *state;
	struct store_range r;
	struct collect c;
	struct store *s;
	char *cause = NULL;
	int64_t a, b, cc;

	build_dataset(e->db, &a, &b, &cc);
	s = e->s = open_r(e->db);

	memset(&r, 0, sizeof r);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_finding(s, &r, coll_finding, &c, &cause),
	    0);
	/* Most severe first; a cause once, its occurrences oldest first,
	 * session, circuit and streams of the latest, counts summed. */
	assert_string_equal(c.buf,
	    "SHARED_CIRCUIT critical s=2 c=10 l= [\"App A\", \"App B\"] "
	    "[\"App A@localhost\", \"App B@localhost\"] [] [\"7\"] "
	    "n=7 3..3660 detail SHARED_CIRCUIT ack=0 k=SHARED_CIRCUIT again=0 "
	    "o=2/2 [1/10 FP [\"1\", \"2\"] x2 3..4] [2/10 FP [\"7\"] x5 "
	    "3650..3660]\n"
	    "UNISOLATED_PORT warning s=2 c=0 l= [\"App A\", \"App B\"] "
	    "[\"App A@localhost\", \"App B@localhost\"] [] [\"1\", \"2\"] "
	    "n=2 3700..3700 detail UNISOLATED_PORT ack=0 k=UNISOLATED_PORT "
	    "again=0 o=1/1 [2/0 - [\"1\", \"2\"] x2 3700..3700]\n"
	    "SHARED_EXIT notice s=1 c=10 l= [\"App A\", \"App B\"] "
	    "[\"App A@localhost\", \"App B@localhost\"] [] [\"1\", \"2\"] "
	    "n=2 7..8 detail SHARED_EXIT ack=0 k=SHARED_EXIT again=0 "
	    "o=1/1 [1/10 FP [\"1\", \"2\"] x2 7..8]\n");
	assert_int_equal(c.n, 3);

	/* Session 1 only: the cause with its occurrence there. */
	memset(&r, 0, sizeof r);
	r.session = 1;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_finding(s, &r, coll_finding, &c, &cause),
	    0);
	assert_true(strncmp(c.buf, "SHARED_CIRCUIT critical s=1 c=10 ", 33)
	    == 0);
	assert_non_null(strstr(c.buf, "n=2 3..4 "));
	assert_non_null(strstr(c.buf, "o=1/1 [1/10 FP"));

	/* Overlapping the range: last seen at or after from, first seen
	 * before to. */
	memset(&r, 0, sizeof r);
	r.from = T0 + 8 * SEC;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_finding(s, &r, coll_finding, &c, &cause),
	    0);
	/* The cause by its occurrence in range (session 2's) only. */
	assert_int_equal(c.n, 3);
	assert_true(strncmp(c.buf, "SHARED_CIRCUIT critical s=2 ", 28) == 0);
	assert_non_null(strstr(c.buf, "n=5 3650..3660 "));
	assert_non_null(strstr(c.buf, "o=1/1 [2/10 FP"));
	assert_non_null(strstr(c.buf, "\nUNISOLATED_PORT"));
	memset(&r, 0, sizeof r);
	r.to = T0 + 7 * SEC;
	memset(&c, 0, sizeof c);
	assert_int_equal(store_each_finding(s, &r, coll_finding, &c, &cause),
	    0);
	assert_int_equal(c.n, 1);
	assert_true(strncmp(c.buf, "SHARED_CIRCUIT critical s=1 ", 28) == 0);
	assert_non_null(strstr(c.buf, "o=1/1 [1/10 FP"));
}

static int
coll_check(const struct store_finding_row *r, void *arg)
{
	collect_add(arg, "%s%s(%zu) ", r->cause, r->again ? "+again" : "",
	    r->noccurrences);
	return 0;
}

static void
run_check(struct env *e, const char *cursor, int64_t since, struct collect *c)
{
	struct store_check sc;
	struct store *s = open_r(e->db);
	char *cause = NULL;

	memset(&sc, 0, sizeof sc);
	memset(c, 0, sizeof *c);
	sc.cursor = cursor;
	sc.since = since;
	sc.now = T0 + DAY;
	sc.finding = coll_check;
	sc.arg = c;
	if (store_check(s, &sc, &cause) == -1)
		fail_msg("store_check: %s", cause);
	store_close(s);
}

/* check: a cause once when new, again only after an acknowledgement. */
static void
test_check_causes(void **state)
{
	struct env *e = *state;
	struct store_finding f;
	struct collect c;
	struct store *s;
	int64_t s1, s2;

	s = open_w(e->db);
	s1 = store_session_begin(s, "c", NULL, NULL, T0);
	occ_init(&f, s1, 7, 1, T0, T0);
	store_finding(s, &f);
	occ_init(&f, s1, 8, 1, T0 + SEC, T0 + SEC);
	store_finding(s, &f);
	occ_init(&f, s1, 0, 1, T0 + SEC, T0 + SEC);
	f.cause = "L";
	store_finding(s, &f);
	store_close(s);

	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "K(2) L(1) ");
	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "");

	/* More occurrences of a cause already told: nothing new. */
	s = open_w(e->db);
	s2 = store_session_begin(s, "c", NULL, NULL, T0 + 100 * SEC);
	occ_init(&f, s2, 7, 1, T0 + 100 * SEC, T0 + 100 * SEC);
	store_finding(s, &f);
	store_close(s);
	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "");

	/* Acknowledged, then back: told again, once. */
	s = open_w(e->db);
	s2 = store_session_begin(s, "c", NULL, NULL, T0 + 200 * SEC);
	store_ack(s, "K", T0 + 150 * SEC);
	occ_init(&f, s2, 9, 1, T0 + 200 * SEC, T0 + 200 * SEC);
	store_finding(s, &f);
	store_close(s);
	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "K+again(4) ");
	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "");
	/* Acknowledged and not back: nothing. */
	s = open_w(e->db);
	store_ack(s, "L", T0 + 300 * SEC);
	store_close(s);
	run_check(e, "default", 0, &c);
	assert_string_equal(c.buf, "");
	/* A new cursor starts from the beginning. */
	run_check(e, "new", 0, &c);
	assert_string_equal(c.buf, "L(1) K+again(4) ");
	/* By time: new since then, or back since then. */
	run_check(e, NULL, T0 + SEC, &c);
	assert_string_equal(c.buf, "L(1) K+again(4) ");
	run_check(e, NULL, T0 + 250 * SEC, &c);
	assert_string_equal(c.buf, "");
	run_check(e, NULL, T0 + 180 * SEC, &c);
	assert_string_equal(c.buf, "K+again(4) ");
}

/* One writer per database: a second one is refused, naming the first. */
static void
test_one_writer(void **state)
{
	struct env *e = *state;
	enum store_err err = STORE_OK;
	char *cause = NULL, want[512], lock[200], buf[32];
	struct store *r;
	struct stat sb;
	FILE *f;

	e->s = open_w(e->db);
	assert_null(store_open(e->db, STORE_WRITE, &err, &cause));
	assert_int_equal(err, STORE_ERR_BUSY);
	snprintf(want, sizeof want, "database %s is in use by pid %ld", e->db,
	    (long)getpid());
	assert_string_equal(cause, want);
	free(cause);
	cause = NULL;
	/* The lock file: 0600, the writer's pid in it. */
	snprintf(lock, sizeof lock, "%s.lock", e->db);
	assert_int_equal(stat(lock, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_non_null(f = fopen(lock, "r"));
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_int_equal(strtol(buf, NULL, 10), (long)getpid());
	/* Readers and prune take no lock. */
	r = store_open(e->db, STORE_READ, &err, &cause);
	assert_non_null(r);
	store_close(r);
	r = store_open(e->db, STORE_MAINTAIN, &err, &cause);
	assert_non_null(r);
	store_close(r);
	/* Closed: the file stays, and the next writer takes it. */
	store_close(e->s);
	e->s = open_w(e->db);
	assert_int_equal(stat(lock, &sb), 0);
}

/*
 * Two writers without the lock (as on a filesystem where it does not
 * work): both hand out session 1 and app 1, and nothing is misfiled.
 */
static void
test_two_writers_ids(void **state)
{
	struct env *e = *state;
	struct store_stream r;
	struct store *s1, *s2;
	int64_t sid1, sid2, a1, a2, c1, c2;

	s1 = e->s = open_w(e->db);
	store_unlock(s1);
	s2 = open_w(e->db);
	sid1 = store_session_begin(s1, "one", NULL, NULL, T0);
	sid2 = store_session_begin(s2, "two", NULL, NULL, T0);
	assert_int_equal(sid1, sid2);		/* both from memory */
	a1 = store_app(s1, "App One", "localhost", "");
	a2 = store_app(s2, "App Two", "localhost", "");
	assert_int_equal(a1, a2);
	c1 = store_app(s1, "Common", "localhost", "");
	c2 = store_app(s2, "Common", "localhost", "");
	stream_init(&r, sid1, 7, "NEW");
	r.app = a1;
	store_stream(s1, &r);
	stream_init(&r, sid1, 8, "NEW");
	r.app = c1;
	store_stream(s1, &r);
	stream_init(&r, sid2, 7, "NEW");
	r.app = a2;
	store_stream(s2, &r);
	stream_init(&r, sid2, 9, "NEW");
	r.app = c2;
	store_stream(s2, &r);
	store_tick(s1, T0 + SEC);
	store_tick(s2, T0 + SEC);
	store_tick(s1, T0 + SEC + WINDOW);
	store_tick(s2, T0 + SEC + WINDOW);
	/* More of the same session after the first flush. */
	stream_init(&r, sid2, 10, "NEW");
	r.app = a2;
	store_stream(s2, &r);
	store_session_end(s2, sid2, "done", T0 + 2 * SEC);
	store_close(s2);
	store_close(s1);
	e->s = NULL;

	assert_q_int(e->db, "SELECT count(*) FROM tor_session", 2);
	assert_q_int(e->db, "SELECT count(*) FROM app", 3);
	/* Every stream is in its writer's session, under its writer's app. */
	assert_q_text(e->db, "SELECT group_concat(s.control || ':' || "
	    "x.stream_id || ':' || a.label, ',') FROM (SELECT * FROM stream "
	    "ORDER BY session, stream_id) x JOIN tor_session s ON "
	    "s.id = x.session JOIN app a ON a.id = x.app",
	    "one:7:App One,one:8:Common,two:7:App Two,two:9:Common,"
	    "two:10:App Two");
	assert_q_text(e->db, "SELECT control || ':' || coalesce(end_reason, "
	    "'-') FROM tor_session ORDER BY id", "one:-");
	assert_q_int(e->db, "SELECT count(*) FROM tor_session WHERE "
	    "control = 'two' AND end_reason = 'done'", 1);
}

/* Our files too open are made 0600; another user's are refused. */
static void
test_file_modes(void **state)
{
	struct env *e = *state;
	enum store_err err = STORE_OK;
	char *cause = NULL, wal[200], want[512], dir[192];
	struct stat sb;
	FILE *f;

	e->s = open_w(e->db);
	store_close(e->s);
	e->s = NULL;
	assert_int_equal(chmod(e->db, 0644), 0);
	snprintf(wal, sizeof wal, "%s-wal", e->db);
	assert_non_null(f = fopen(wal, "w"));
	fclose(f);
	assert_int_equal(chmod(wal, 0666), 0);
	e->s = open_w(e->db);
	assert_int_equal(stat(e->db, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	store_close(e->s);
	e->s = NULL;

	/* A directory others may write is refused (nothing created). */
	snprintf(dir, sizeof dir, "%s/state/isoaudit", e->dir);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_null(store_open(e->db, STORE_WRITE, &err, &cause));
	snprintf(want, sizeof want, "directory %s is writable by everyone "
	    "(mode 0777): chmod go-w %s", dir, dir);
	assert_string_equal(cause, want);
	free(cause);
	cause = NULL;
	assert_int_equal(chmod(dir, 0700), 0);

	if (geteuid() != 0)
		return;		/* chown needs root */
	assert_int_equal(chown(e->db, 65534, 65534), 0);
	assert_null(store_open(e->db, STORE_WRITE, &err, &cause));
	snprintf(want, sizeof want, "%s belongs to uid 65534, not to you "
	    "(uid 0): move it away, or run isoaudit as its owner", e->db);
	assert_string_equal(cause, want);
	free(cause);
}


/* --- the hash key's file ------------------------------------------------- */

/* Whether the file holds n bytes equal to b anywhere (absent: no). */
static int
file_holds(const char *path, const unsigned char *b, size_t n)
{
	unsigned char *d;
	size_t len = 0, i;
	int found = 0;

	if (!exists(path))
		return 0;
	d = (unsigned char *)tu_read_file(path, &len);
	for (i = 0; i + n <= len && !found; i++)
		found = memcmp(d + i, b, n) == 0;
	free(d);
	return found;
}

static void
put_file(const char *path, const void *b, size_t n, mode_t mode)
{
	FILE *f;

	unlink(path);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
assert_cause(char *cause, const char *want)
{
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", cause, want);
	free(cause);
}

/* The fingerprint and the checks of a key file's size and mode: pure. */
static void
test_key_id_stat(void **state)
{
	unsigned char key[STORE_SCHEMA_KEY_LEN];
	char id[STORE_KEY_ID_LEN + 1], *cause = NULL;
	struct stat sb;
	size_t i;
	static const struct { off_t size; mode_t mode; int rc; const char *why;
	} c[] = {
		{ 32, 0600, 0, NULL }, { 32, 0400, 0, NULL },
		{ 32, 0640, 1, NULL }, { 32, 0604, 1, NULL },
		{ 32, 0620, -1, "writable by its group (mode 0620)" },
		{ 32, 0602, -1, "writable by everyone" },
		{ 32, 0666, -1, "writable by everyone" },
		{ 0, 0600, -1, "is 0 bytes, not 32" },
		{ 31, 0600, -1, "is 31 bytes" }, { 33, 0600, -1, "is 33 bytes" },
		{ 1 << 20, 0600, -1, "is 1048576 bytes" },
	};

	(void)state;
	/* HMAC-SHA256(key, "isoaudit hash key id 1"), 16 bytes in hex. */
	memset(key, 0, sizeof key);
	store_key_id(key, id);
	assert_string_equal(id, "15980bad149e966d17004b7be71487ca");
	for (i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)i;
	store_key_id(key, id);
	assert_string_equal(id, "ac28dc92c9a905f6d2ec5cfc3ba1f1da");

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		memset(&sb, 0, sizeof sb);
		sb.st_size = c[i].size;
		sb.st_mode = S_IFREG | c[i].mode;
		assert_int_equal(store_key_stat("K", &sb, &cause), c[i].rc);
		if (c[i].why != NULL)
			assert_cause(cause, c[i].why);
		else
			assert_null(cause);
		cause = NULL;
	}
}

/*
 * A new database's key file; the database keeps only a fingerprint; a
 * missing, swapped or unfit key file refused in one line (and no second
 * key begun); a new key on request; HashKeyFile elsewhere; readers need
 * none.
 */
static void
test_key_file(void **state)
{
	struct env *e = *state;
	unsigned char k1[STORE_SCHEMA_KEY_LEN], k2[STORE_SCHEMA_KEY_LEN];
	unsigned char other[STORE_SCHEMA_KEY_LEN + 1];
	char kf[192], p[192], id1[STORE_KEY_ID_LEN + 1];
	struct store *s;

	s = open_w(e->db);
	store_hash_key(s, k1);
	snprintf(kf, sizeof kf, "%s.key", e->db);
	assert_string_equal(store_key_path(s), kf);
	store_close(s);
	assert_key_file(e->db, k1);
	assert_false(file_holds(e->db, k1, sizeof k1));
	store_key_id(k1, id1);

	/* Missing: refused, and no new key made in its place. */
	assert_int_equal(unlink(kf), 0);
	assert_cause(open_wk_fails(e->db, NULL, 0), "is missing, and database");
	assert_false(exists(kf));
	assert_q_text(e->db, "SELECT value FROM meta WHERE key = "
	    "'hash_key_id'", id1);
	/* Readers need no key. */
	s = open_r(e->db);
	assert_null(store_key_path(s));
	store_close(s);

	/* Another key: refused. */
	memset(other, 0x5a, sizeof other);
	put_file(kf, other, STORE_SCHEMA_KEY_LEN, 0600);
	assert_cause(open_wk_fails(e->db, NULL, 0), "is not the key of "
	    "database");
	/* Not a key file at all. */
	put_file(kf, k1, 31, 0600);
	assert_cause(open_wk_fails(e->db, NULL, 0), "is 31 bytes, not 32");
	put_file(kf, other, sizeof other, 0600);
	assert_cause(open_wk_fails(e->db, NULL, 0), "is 33 bytes");
	put_file(kf, k1, sizeof k1, 0620);
	assert_cause(open_wk_fails(e->db, NULL, 0), "writable by its group");
	put_file(kf, k1, sizeof k1, 0602);
	assert_cause(open_wk_fails(e->db, NULL, 0), "writable by everyone");
	unlink(kf);
	snprintf(p, sizeof p, "%s/elsewhere", e->dir);
	put_file(p, k1, sizeof k1, 0600);
	assert_int_equal(symlink(p, kf), 0);
	assert_cause(open_wk_fails(e->db, NULL, 0), "is a symbolic link");
	unlink(kf);
	assert_int_equal(mkfifo(kf, 0600), 0);
	assert_cause(open_wk_fails(e->db, NULL, 0), "not a regular file");
	unlink(kf);
	/* Readable by others: made 0600, with a warning. */
	put_file(kf, k1, sizeof k1, 0644);
	nlogs = 0;
	s = open_w(e->db);
	assert_true(nlogs >= 1);
	assert_non_null(strstr(last_log, "was readable by others"));
	store_hash_key(s, k2);
	assert_memory_equal(k1, k2, sizeof k1);
	store_close(s);
	assert_key_file(e->db, k1);

	/* A new key, asked for: another key, its fingerprint kept. */
	unlink(kf);
	s = open_wk(e->db, NULL, STORE_NEW_KEY);
	store_hash_key(s, k2);
	store_close(s);
	assert_memory_not_equal(k1, k2, sizeof k1);
	assert_key_file(e->db, k2);
	s = open_w(e->db);
	store_hash_key(s, k1);
	assert_memory_equal(k1, k2, sizeof k1);
	store_close(s);

	/* HashKeyFile elsewhere: created there, none beside the database;
	 * a second database may share it. */
	snprintf(p, sizeof p, "%s/keys", e->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/keys/hash.key", e->dir);
	snprintf(kf, sizeof kf, "%s/b.db", e->dir);
	s = open_wk(kf, p, 0);
	store_hash_key(s, k1);
	store_close(s);
	assert_int_equal(mode_of(p), 0600);
	snprintf(kf, sizeof kf, "%s/b.db.key", e->dir);
	assert_false(exists(kf));
	snprintf(kf, sizeof kf, "%s/c.db", e->dir);
	s = open_wk(kf, p, 0);
	store_hash_key(s, k2);
	store_close(s);
	assert_memory_equal(k1, k2, sizeof k1);
	/* ...in a directory nobody else may write. */
	snprintf(p, sizeof p, "%s/keys", e->dir);
	assert_int_equal(chmod(p, 0770), 0);
	snprintf(p, sizeof p, "%s/keys/hash.key", e->dir);
	assert_cause(open_wk_fails(kf, p, 0), "is writable by its group");
}

/*
 * A database of before (its key in meta): the key moves to the file, the
 * same bytes, and leaves no copy in the database or its WAL; a key file
 * of another key beside it is refused; one with the same (a move cut
 * short) is taken.
 */
static void
test_key_migrate(void **state)
{
	struct env *e = *state;
	unsigned char legacy[STORE_SCHEMA_KEY_LEN], k[STORE_SCHEMA_KEY_LEN];
	char kf[192], p[192], sql[256], hex[2 * STORE_SCHEMA_KEY_LEN + 1];
	struct store *s;
	size_t i;
	static const char *const suffix[] = { "", "-wal", "-journal", "-shm" };

	for (i = 0; i < sizeof legacy; i++)
		legacy[i] = (unsigned char)(0xA0 ^ (i * 7));
	for (i = 0; i < sizeof legacy; i++)
		snprintf(hex + 2 * i, 3, "%02x", legacy[i]);
	snprintf(kf, sizeof kf, "%s.key", e->db);
	snprintf(sql, sizeof sql, "DELETE FROM meta WHERE key = "
	    "'hash_key_id'; INSERT INTO meta(key, value) VALUES "
	    "('hash_key', X'%s')", hex);

	s = open_w(e->db);
	store_close(s);
	assert_int_equal(unlink(kf), 0);
	db_exec(e->db, sql);
	assert_true(file_holds(e->db, legacy, sizeof legacy));

	s = open_w(e->db);
	store_hash_key(s, k);
	assert_memory_equal(k, legacy, sizeof k);
	/* Gone from every file while the writer still runs, and after. */
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(p, sizeof p, "%s%s", e->db, suffix[i]);
		if (file_holds(p, legacy, sizeof legacy))
			fail_msg("the old key is still in %s", p);
	}
	store_close(s);
	assert_key_file(e->db, legacy);
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(p, sizeof p, "%s%s", e->db, suffix[i]);
		assert_false(file_holds(p, legacy, sizeof legacy));
	}

	/* A key in the database and another in the file: refused. */
	legacy[0] ^= 1;
	for (i = 0; i < sizeof legacy; i++)
		snprintf(hex + 2 * i, 3, "%02x", legacy[i]);
	snprintf(sql, sizeof sql, "DELETE FROM meta WHERE key = "
	    "'hash_key_id'; INSERT INTO meta(key, value) VALUES "
	    "('hash_key', X'%s')", hex);
	db_exec(e->db, sql);
	assert_cause(open_wk_fails(e->db, NULL, 0), "holds its own hash key");
	/* The same key in both (the move cut short after the file): taken. */
	put_file(kf, legacy, sizeof legacy, 0600);
	s = open_w(e->db);
	store_hash_key(s, k);
	assert_memory_equal(k, legacy, sizeof k);
	store_close(s);
	assert_key_file(e->db, legacy);
	assert_false(file_holds(e->db, legacy, sizeof legacy));
}

static void
count_app(const struct store_app_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
}

/*
 * A corrupt database: what sqlite said, never "not an error" (the
 * message taken after another statement was finalized).
 */
static void
test_corrupt_message(void **state)
{
	struct env *e = *state;
	struct store_range all = { 0, 0, 0 };
	struct store *s;
	char *cause = NULL;
	int64_t sid, page, psize;
	int fd, n = 0;
	void *zero;

	s = open_w(e->db);
	sid = store_session_begin(s, "c", NULL, NULL, T0);
	add_session_data(s, sid, T0, "App A", "App B");
	flush_ok(s);
	store_close(s);
	page = q_int(e->db, "SELECT rootpage FROM sqlite_master WHERE name = "
	    "'stream'");
	psize = q_int(e->db, "PRAGMA page_size");
	assert_non_null(zero = calloc(1, (size_t)psize));
	assert_true((fd = open(e->db, O_WRONLY)) != -1);
	assert_int_equal(pwrite(fd, zero, (size_t)psize, (page - 1) * psize),
	    psize);
	close(fd);
	free(zero);

	s = open_r(e->db);
	assert_int_equal(store_each_app(s, &all, count_app, &n, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, "not an error") != NULL ||
	    strstr(cause, "malformed") == NULL ||
	    strstr(cause, e->db) == NULL)
		fail_msg("%s", cause);
	free(cause);
	store_close(s);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_fresh_database),
		T(test_hash_version),
		T(test_migrate_empty_file),
		T(test_migrate_newer_refused),
		T(test_migrate_v1_findings),
		T(test_read_missing),
		T(test_read_writes_nothing),
		T(test_batching),
		T(test_tick_flushes),
		T(test_tick_clock_back),
		T(test_upsert_stream),
		T(test_upsert_circuit),
		T(test_cause_upsert),
		T(test_cause_ack_again),
		T(test_cause_seq_above_cursor),
		T(test_app_ids),
		T(test_one_writer),
		T(test_two_writers_ids),
		T(test_file_modes),
		T(test_locked_database),
		T(test_flush_policy),
		T(test_removed_database),
		T(test_reopen_fails),
		T(test_replaced_database),
		T(test_prune),
		T(test_pruned_under_us),
		T(test_prune_long_session),
		T(test_prune_steps),
		T(test_prune_vacuum),
		T(test_read_sessions),
		T(test_read_apps),
		T(test_read_circuits),
		T(test_read_agg_spill),
		T(test_read_streams),
		T(test_read_findings),
		T(test_check_causes),
		T(test_key_id_stat),
		T(test_key_file),
		T(test_key_migrate),
		T(test_corrupt_message),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
