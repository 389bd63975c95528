/*
 * store.c: the database.  The only file that includes sqlite3.h.
 *
 * Writing: every store_* call appends an operation to an in-memory queue
 * (integers inline, strings in one arena); store_flush() runs the queue in
 * one transaction through statements prepared once.  A failing database
 * (full, locked, unwritable, removed) keeps the queue, up to a bound, and
 * counts what it had to drop; the loop's tick retries with backoff.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "buf.h"
#include "fnv.h"
#include "hindex.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

extern const char *const schema_steps[];
extern const int schema_nsteps;

enum op_type {
	OP_SESSION_BEGIN,
	OP_SESSION_INFO,
	OP_SESSION_END,
	OP_SESSION_TOUCH,
	OP_CIRCUIT,
	OP_STREAM,
	OP_ATTACH,
	OP_RELAY,
	OP_APP,
	OP_FINDING,
	OP_ACK,
	OP_STREAM_INSERT,	/* not queued: how op_run writes a new stream */
	OP__COUNT
};

#define OP_INTS		14
#define OP_STRS		14
#define NO_STR		UINT32_MAX

struct op {
	uint8_t		 type;
	uint16_t	 nulls;		/* bit i: integer i is NULL */
	int64_t		 i[OP_INTS];
	uint32_t	 s[OP_STRS];	/* arena offsets, NO_STR = NULL */
};

/*
 * One statement per operation.  Parameters ?1.. are the integers, then
 * ?(nint+1).. the strings, in the order the op_* builders fill them.
 */
static const struct {
	int		 nint;
	int		 nstr;
	const char	*sql;
} op_sql[OP__COUNT] = {
	[OP_SESSION_BEGIN] = { 2, 3,
	    "INSERT OR IGNORE INTO tor_session(id, started, control, auth, "
	    "source) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[OP_SESSION_INFO] = { 2, 1,
	    "UPDATE tor_session SET pid = coalesce(?2, pid), "
	    "tor_version = coalesce(?3, tor_version) WHERE id = ?1" },
	[OP_SESSION_END] = { 2, 1,
	    "UPDATE tor_session SET ended = ?2, end_reason = ?3 WHERE id = ?1" },
	[OP_SESSION_TOUCH] = { 2, 0,
	    "UPDATE tor_session SET last_event = max(coalesce(last_event, 0), "
	    "?2) WHERE id = ?1" },
	[OP_CIRCUIT] = { 5, 9,
	    "INSERT INTO circuit(session, circ_id, created, built, closed, "
	    "status, purpose, build_flags, path, exit_fp, exit_nick, "
	    "conflux_id, reason, remote_reason) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
	    "ON CONFLICT(session, circ_id) DO UPDATE SET "
	    "status = coalesce(excluded.status, status), "
	    "purpose = coalesce(excluded.purpose, purpose), "
	    "build_flags = coalesce(excluded.build_flags, build_flags), "
	    "path = coalesce(excluded.path, path), "
	    "exit_fp = coalesce(excluded.exit_fp, exit_fp), "
	    "exit_nick = coalesce(excluded.exit_nick, exit_nick), "
	    "conflux_id = coalesce(excluded.conflux_id, conflux_id), "
	    "created = coalesce(created, excluded.created), "
	    "built = coalesce(built, excluded.built), "
	    "closed = coalesce(excluded.closed, closed), "
	    "reason = coalesce(excluded.reason, reason), "
	    "remote_reason = coalesce(excluded.remote_reason, remote_reason)" },
	[OP_STREAM] = { 13, 12,
	    "INSERT INTO stream(session, stream_id, circ_id, app, pid, uid, "
	    "nym_epoch, session_group, target_port, opened, succeeded, closed, "
	    "pre_attach, status, listener, client_addr, process, protocol, "
	    "purpose, iso_fields, socks_username, socks_password, target, "
	    "reason, remote_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
	    "?22, ?23, ?24, ?25) "
	    "ON CONFLICT(session, stream_id) DO UPDATE SET "
	    "circ_id = coalesce(excluded.circ_id, circ_id), "
	    "app = coalesce(app, excluded.app), "
	    "pid = coalesce(pid, excluded.pid), "
	    "uid = coalesce(uid, excluded.uid), "
	    "nym_epoch = coalesce(nym_epoch, excluded.nym_epoch), "
	    "session_group = coalesce(session_group, excluded.session_group), "
	    "target_port = coalesce(target_port, excluded.target_port), "
	    "opened = coalesce(opened, excluded.opened), "
	    "succeeded = coalesce(succeeded, excluded.succeeded), "
	    "closed = coalesce(excluded.closed, closed), "
	    "status = coalesce(excluded.status, status), "
	    "listener = coalesce(listener, excluded.listener), "
	    "client_addr = coalesce(client_addr, excluded.client_addr), "
	    "process = coalesce(process, excluded.process), "
	    "protocol = coalesce(protocol, excluded.protocol), "
	    "purpose = coalesce(purpose, excluded.purpose), "
	    "iso_fields = coalesce(iso_fields, excluded.iso_fields), "
	    "socks_username = coalesce(socks_username, "
	    "excluded.socks_username), "
	    "socks_password = coalesce(socks_password, "
	    "excluded.socks_password), "
	    "target = coalesce(target, excluded.target), "
	    "reason = coalesce(excluded.reason, reason), "
	    "remote_reason = coalesce(excluded.remote_reason, remote_reason)" },
	[OP_ATTACH] = { 4, 0,
	    "INSERT OR IGNORE INTO attach(session, stream_id, circ_id, at) "
	    "VALUES (?1, ?2, ?3, ?4)" },
	[OP_RELAY] = { 2, 2,
	    "INSERT INTO relay(fingerprint, nickname, first_seen, last_seen) "
	    "VALUES (?3, ?4, ?1, ?2) ON CONFLICT(fingerprint) DO UPDATE SET "
	    "nickname = coalesce(excluded.nickname, nickname), "
	    "last_seen = max(coalesce(last_seen, 0), excluded.last_seen)" },
	[OP_APP] = { 1, 3,
	    "INSERT OR IGNORE INTO app(id, label, host, sub) "
	    "VALUES (?1, ?2, ?3, ?4)" },
	/*
	 * ?3 is the judge's count, ?6 how many occurrences this op carries
	 * (updates folded together).  The judge forgets findings not seen
	 * for long when it holds too many; one that comes back starts from
	 * 1 again, and is then added to what the row counted already.
	 */
	[OP_FINDING] = { 6, 10,
	    "INSERT INTO finding(session, circ_id, count, first_seen, "
	    "last_seen, rule, severity, listener, ident_a, ident_b, apps, "
	    "identities, processes, streams, detail) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
	    "ON CONFLICT(rule, session, circ_id, listener, ident_a, ident_b) "
	    "DO UPDATE SET count = CASE WHEN excluded.count > count THEN "
	    "excluded.count ELSE count + ?6 END, last_seen = "
	    "max(last_seen, excluded.last_seen), severity = "
	    "excluded.severity, apps = excluded.apps, identities = "
	    "excluded.identities, processes = excluded.processes, streams = "
	    "excluded.streams, detail = excluded.detail" },
	[OP_ACK] = { 2, 4,
	    "UPDATE finding SET acknowledged = 1 WHERE session = ?1 AND "
	    "circ_id = ?2 AND rule = ?3 AND listener = ?4 AND ident_a = ?5 "
	    "AND ident_b = ?6" },
	/*
	 * A stream whose NEW event is in the op (opened is set) has no row
	 * yet, almost always: a plain INSERT costs about half the upsert
	 * above; when the row is there after all, the upsert runs instead.
	 */
	[OP_STREAM_INSERT] = { 13, 12,
	    "INSERT INTO stream(session, stream_id, circ_id, app, pid, uid, "
	    "nym_epoch, session_group, target_port, opened, succeeded, closed, "
	    "pre_attach, status, listener, client_addr, process, protocol, "
	    "purpose, iso_fields, socks_username, socks_password, target, "
	    "reason, remote_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
	    "?22, ?23, ?24, ?25)" },
};

struct app_entry {
	char	*key;		/* label \x1f host \x1f sub */
	int64_t	 id;
};

/* Sessions begun by this process and not ended: recreated on reopen. */
struct live_session {
	int64_t	 id;
	int64_t	 started;
	char	*control;
	char	*auth;
	char	*source;
	int64_t	 last_event;
	int64_t	 written;	/* last_event as last committed */
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[OP__COUNT];
	char		*path;
	enum store_mode	 mode;
	dev_t		 dev;
	ino_t		 ino;
	unsigned char	 key[STORE_SCHEMA_KEY_LEN];
	int		 version;

	struct op	*ops;
	size_t		 nops;
	size_t		 opcap;
	struct buf	 arena;
	uint64_t	 nfolded;	/* writes folded into queued ops */
	struct hindex	 rowidx;	/* row key -> queued op */

	struct agg	*agg;		/* store_each_app's pass, kept */
	uint64_t	 agg_version;	/* commits when it was made */
	struct app_entry *apps;
	size_t		 napps;
	struct hindex	 appidx;	/* apps[].key -> app; apps[0..n) are in it */
	int64_t		 next_app;
	int64_t		 next_session;
	struct live_session *live;
	size_t		 nlive;

	int64_t		 last_flush;
	int64_t		 retry_at;
	int		 backoff_ms;
	int64_t		 last_check;
	int		 data_version;
	struct store_stats st;
	uint64_t	 dropped_reported;
};

struct agg;
static void	agg_free(struct agg *);
static void	store_finalize(struct store *);
static int	store_ensure_live(struct store *);
static int	store_prepare(struct store *, char **);

/* --- opening ------------------------------------------------------------ */

static int
mkdirs(const char *path, char **cause)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			*cause = xasprintf("cannot create %s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	return 0;
}

/* Creates the directory (0700) and the file (0600) before sqlite does. */
static int
store_create_file(const char *path, char **cause)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat sb;
	int fd;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &sb) == -1) {
			*slash = '/';
			if (mkdirs(path, cause) == -1) {
				free(dir);
				return -1;
			}
			*slash = '\0';
			if (chmod(dir, 0700) == -1) {
				*cause = xasprintf("cannot chmod %s: %s", dir,
				    strerror(errno));
				free(dir);
				return -1;
			}
		}
	}
	free(dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create database %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == 0 && sb.st_size == 0 && fchmod(fd, 0600) == -1) {
		*cause = xasprintf("cannot chmod %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
exec(struct store *s, const char *sql, char **cause)
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
		if (exec(s, "PRAGMA auto_vacuum = INCREMENTAL", cause) == -1)
			return -1;
	}
	for (i = v; i < schema_nsteps; i++) {
		if (exec(s, "BEGIN IMMEDIATE", cause) == -1)
			return -1;
		/* Someone else may have migrated while we waited. */
		if (pragma_int(s, "PRAGMA user_version", &v, cause) == -1) {
			exec(s, "ROLLBACK", cause);
			return -1;
		}
		if (v > i) {
			exec(s, "COMMIT", cause);
			i = v - 1;
			continue;
		}
		set = xasprintf("PRAGMA user_version = %d", i + 1);
		if (exec(s, schema_steps[i], cause) == -1 ||
		    exec(s, set, cause) == -1) {
			char *ignored = NULL;

			free(set);
			exec(s, "ROLLBACK", &ignored);
			free(ignored);
			return -1;
		}
		free(set);
		if (exec(s, "COMMIT", cause) == -1)
			return -1;
		log_debug("database %s: schema step %d applied", s->path,
		    i + 1);
	}
	s->version = schema_nsteps > v ? schema_nsteps : v;
	return 0;
}

/* Reads the hash key, creating it on a new database. */
static int
store_load_key(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	int rc, have = 0;

	if (s->mode == STORE_WRITE) {
		unsigned char fresh[STORE_SCHEMA_KEY_LEN];

		randombytes_buf(fresh, sizeof fresh);
		if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO "
		    "meta(key, value) VALUES ('hash_key', ?1)", -1, &st,
		    NULL) != SQLITE_OK) {
			*cause = xasprintf("database %s: %s", s->path,
			    sqlite3_errmsg(s->db));
			return -1;
		}
		sqlite3_bind_blob(st, 1, fresh, sizeof fresh, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		sodium_memzero(fresh, sizeof fresh);
		if (rc != SQLITE_DONE) {
			*cause = xasprintf("database %s: %s", s->path,
			    sqlite3_errmsg(s->db));
			return -1;
		}
	}
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = "
	    "'hash_key'", -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == STORE_SCHEMA_KEY_LEN) {
		memcpy(s->key, sqlite3_column_blob(st, 0), sizeof s->key);
		have = 1;
	}
	sqlite3_finalize(st);
	if (!have && s->mode == STORE_WRITE) {
		*cause = xasprintf("database %s: no hash key", s->path);
		return -1;
	}
	return 0;
}

static int
store_load_ids(struct store *s, char **cause)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) FROM "
	    "tor_session", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		s->next_session = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT id, label, host, sub FROM app",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	s->next_app = 1;
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
		s->napps++;
		if (id >= s->next_app)
			s->next_app = id + 1;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	*cause = xasprintf("database %s: %s", s->path, sqlite3_errmsg(s->db));
	return -1;
}

/* Opens s->path into s->db with pragmas and schema; keeps s->key if set. */
static int
store_connect(struct store *s, enum store_err *err, char **cause)
{
	struct stat sb;
	int flags, rc, busy;
	char *sql;

	if (s->mode == STORE_WRITE) {
		if (store_create_file(s->path, cause) == -1)
			return -1;
		flags = SQLITE_OPEN_READWRITE;
	} else {
		if (stat(s->path, &sb) == -1) {
			*err = STORE_ERR_MISSING;
			*cause = xasprintf("no database at %s (isoaudit "
			    "monitor creates it)", s->path);
			return -1;
		}
		flags = access(s->path, W_OK) == 0 ? SQLITE_OPEN_READWRITE :
		    SQLITE_OPEN_READONLY;
	}
	/*
	 * One thread uses a connection: no mutex around every sqlite call
	 * (a tenth of a report's time went to locking it).
	 */
	rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOFOLLOW |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("cannot open database %s: %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_extended_result_codes(s->db, 1);
	busy = s->mode == STORE_WRITE ? STORE_BUSY_MS : STORE_READ_BUSY_MS;
	sql = xasprintf("PRAGMA busy_timeout = %d; PRAGMA foreign_keys = ON; "
	    "PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL", busy);
	rc = exec(s, sql, cause);
	free(sql);
	if (rc == -1)
		return -1;
	/*
	 * auto_vacuum first: journal_mode = WAL writes page 1 of a new file,
	 * after which auto_vacuum can no longer change (and prune could not
	 * give space back).  On an existing database it changes nothing.
	 */
	/*
	 * A reader's sorts (report's findings, most severe first) stay in
	 * memory: spilled to a temporary file they were a tenth of a report.
	 */
	if (s->mode != STORE_WRITE &&
	    exec(s, "PRAGMA temp_store = MEMORY", cause) == -1)
		return -1;
	if (s->mode == STORE_WRITE &&
	    (exec(s, "PRAGMA auto_vacuum = INCREMENTAL", cause) == -1 ||
	    exec(s, "PRAGMA journal_mode = WAL", cause) == -1))
		return -1;
	if (store_migrate(s, err, cause) == -1)
		return -1;
	if (store_load_key(s, cause) == -1 || store_load_ids(s, cause) == -1)
		return -1;
	if (stat(s->path, &sb) == 0) {
		s->dev = sb.st_dev;
		s->ino = sb.st_ino;
	}
	if (s->mode == STORE_WRITE && store_prepare(s, cause) == -1)
		return -1;
	return 0;
}

struct store *
store_open(const char *path, enum store_mode mode, enum store_err *err,
    char **cause)
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
	s->backoff_ms = 1000;
	buf_init(&s->arena);
	if (store_connect(s, err, cause) == -1) {
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
		if (sqlite3_prepare_v3(s->db, op_sql[i].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) !=
		    SQLITE_OK) {
			*cause = xasprintf("database %s: %s", s->path,
			    sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

static void
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

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->mode == STORE_WRITE && s->db != NULL && s->nops > 0 &&
	    store_flush(s) == -1)
		log_error("database %s: %zu rows could not be written before "
		    "closing (%s)", s->path, s->nops, s->st.last_error);
	if (s->st.rows_dropped > 0)
		log_error("database %s: %" PRIu64 " rows were dropped in all "
		    "while it could not be written", s->path,
		    s->st.rows_dropped);
	if (s->mode == STORE_WRITE && s->db != NULL) {
		char *ignored = NULL;

		/* Leave a compact database: fold the WAL back in. */
		exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", &ignored);
		free(ignored);
	}
	store_finalize(s);
	for (i = 0; i < s->napps; i++)
		free(s->apps[i].key);
	free(s->apps);
	hindex_free(&s->appidx);
	agg_free(s->agg);
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
	free(s->path);
	free(s);
}

/* --- the queue ---------------------------------------------------------- */

static struct op *
op_new(struct store *s, enum op_type type)
{
	struct op *o;
	int k;

	if (s->nops >= STORE_MAX_QUEUE) {
		s->st.rows_dropped++;
		return NULL;
	}
	if (s->nops == s->opcap) {
		s->opcap = s->opcap ? s->opcap * 2 : 256;
		s->ops = xreallocarray(s->ops, s->opcap, sizeof *s->ops);
	}
	o = &s->ops[s->nops++];
	o->type = (uint8_t)type;
	o->nulls = 0;
	for (k = 0; k < OP_STRS; k++)
		o->s[k] = NO_STR;
	s->st.rows_queued = s->nops;
	return o;
}

static void
op_int(struct op *o, int k, int64_t v, int present)
{
	o->i[k] = v;
	if (!present)
		o->nulls |= (uint16_t)(1u << k);
}

static void
op_str(struct store *s, struct op *o, int k, const char *str)
{
	if (str == NULL || s->arena.len >= UINT32_MAX - strlen(str) - 1) {
		o->s[k] = NO_STR;
		return;
	}
	o->s[k] = (uint32_t)s->arena.len;
	buf_add(&s->arena, str, strlen(str) + 1);
}

static void
store_maybe_flush(struct store *s)
{
	if (s->nops >= STORE_BATCH_ROWS && !s->st.failing)
		store_flush(s);
}

/*
 * Coalescing.  A stream is written by every event of its life (NEW,
 * SENTCONNECT, REMAP, SUCCEEDED, CLOSED), a finding by every occurrence, a
 * circuit by BUILT and CLOSED, a relay by every circuit through it: all
 * upserts of one row.  Within a batch the later write is folded into the
 * op already queued for that row, field by field as the statement's ON
 * CONFLICT clause would have merged them (coalesce(new, old) fields take
 * the later value, coalesce(old, new) ones the earlier), so that one
 * statement per row and batch reaches sqlite instead of one per event.
 * The folded op keeps the first op's place: rows of other tables the row
 * refers to (its session, its app) were queued before it.
 */
static uint64_t
mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
	h *= 0xFF51AFD7ED558CCDULL;
	return h ^ (h >> 29);
}

static uint64_t
mix_str(uint64_t h, const char *str)
{
	return mix64(h, str == NULL ? 0 : fnv1a_str(FNV_OFFSET, str));
}

static const char *
op_s(const struct store *s, const struct op *o, int k)
{
	return o->s[k] == NO_STR ? NULL : s->arena.p + o->s[k];
}

static int
str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
row_same(const struct store *s, const struct op *o, enum op_type type,
    const int64_t *ik, int nik, const char *const *sk, int nsk,
    const int *skpos)
{
	int k;

	if (o->type != type)
		return 0;
	for (k = 0; k < nik; k++)
		if (o->i[k] != ik[k] || (o->nulls & (1u << k)))
			return 0;
	for (k = 0; k < nsk; k++)
		if (!str_same(op_s(s, o, skpos[k]), sk[k]))
			return 0;
	return 1;
}

/*
 * The queued op of the row with this key (the first nik integers and the
 * strings at skpos), or NULL; *slot is where a new one goes.
 */
static struct op *
row_find(struct store *s, enum op_type type, const int64_t *ik, int nik,
    const char *const *sk, int nsk, const int *skpos, size_t *slot)
{
	uint64_t h = mix64(0, type);
	size_t i;
	int k;

	for (k = 0; k < nik; k++)
		h = mix64(h, (uint64_t)ik[k]);
	for (k = 0; k < nsk; k++)
		h = mix_str(h, sk[k]);
	/* Grown: the old entries are dropped (no merge with them). */
	hindex_fit(&s->rowidx, s->rowidx.n + 1 > s->opcap ? s->rowidx.n + 1 :
	    s->opcap, 1024);
	for (i = hindex_first(&s->rowidx, h); s->rowidx.slot[i] != 0;
	    i = hindex_next(&s->rowidx, i)) {
		uint32_t at = s->rowidx.slot[i] - 1;

		if (at < s->nops && row_same(s, &s->ops[at], type, ik, nik, sk,
		    nsk, skpos))
			return &s->ops[at];
	}
	*slot = i;
	return NULL;
}

/* Remembers that the op just queued (the last) holds this row. */
static void
row_note(struct store *s, size_t slot)
{
	s->rowidx.slot[slot] = (uint32_t)s->nops;
	s->rowidx.n++;
}

/* Folds integer k: later (non-NULL) wins, or earlier (non-NULL) wins. */
static void
fold_int(struct op *o, int k, int64_t v, int present, int later)
{
	int had = !(o->nulls & (1u << k));

	if (!present || (had && !later))
		return;
	o->i[k] = v;
	o->nulls &= (uint16_t)~(1u << k);
}

static void
fold_str(struct store *s, struct op *o, int k, const char *str, int later)
{
	if (str == NULL || (o->s[k] != NO_STR && !later))
		return;
	if (o->s[k] != NO_STR && strcmp(s->arena.p + o->s[k], str) == 0)
		return;
	op_str(s, o, k, str);
}

int64_t
store_session_begin(struct store *s, const char *control, const char *auth,
    const char *source, int64_t started)
{
	struct live_session *ls;
	struct op *o;
	int64_t id = s->next_session++;

	s->live = xreallocarray(s->live, s->nlive + 1, sizeof *s->live);
	ls = &s->live[s->nlive++];
	ls->id = id;
	ls->started = started;
	ls->control = xstrdup(control);
	ls->auth = xstrdup(auth ? auth : "");
	ls->source = xstrdup(source ? source : "live");
	ls->last_event = 0;
	ls->written = 0;
	if ((o = op_new(s, OP_SESSION_BEGIN)) != NULL) {
		op_int(o, 0, id, 1);
		op_int(o, 1, started, 1);
		op_str(s, o, 0, control);
		op_str(s, o, 1, auth);
		op_str(s, o, 2, source ? source : "live");
	}
	return id;
}

void
store_session_info(struct store *s, int64_t id, const char *version, long pid)
{
	struct op *o;

	if ((o = op_new(s, OP_SESSION_INFO)) == NULL)
		return;
	op_int(o, 0, id, 1);
	op_int(o, 1, pid, pid > 0);
	op_str(s, o, 0, version);
}

void
store_touch(struct store *s, int64_t id, int64_t ts)
{
	size_t i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i].id == id && ts > s->live[i].last_event)
			s->live[i].last_event = ts;
}

void
store_session_end(struct store *s, int64_t id, const char *why, int64_t ts)
{
	struct op *o;
	size_t i;

	if ((o = op_new(s, OP_SESSION_END)) != NULL) {
		op_int(o, 0, id, 1);
		op_int(o, 1, ts, 1);
		op_str(s, o, 0, why);
	}
	store_touch(s, id, ts);
	for (i = 0; i < s->nlive; i++) {
		if (s->live[i].id != id)
			continue;
		/* Its last_event goes out with this op, then it is gone. */
		if ((o = op_new(s, OP_SESSION_TOUCH)) != NULL) {
			op_int(o, 0, id, 1);
			op_int(o, 1, s->live[i].last_event, 1);
		}
		free(s->live[i].control);
		free(s->live[i].auth);
		free(s->live[i].source);
		s->live[i] = s->live[--s->nlive];
		break;
	}
	store_maybe_flush(s);
}

void
store_circuit(struct store *s, const struct store_circ *c)
{
	int64_t key[2] = { c->session, (int64_t)c->circ_id };
	struct op *o;
	size_t slot = 0;

	if ((o = row_find(s, OP_CIRCUIT, key, 2, NULL, 0, NULL, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* created and built: coalesce(old, new); the rest later. */
		fold_int(o, 2, c->created, c->created != 0, 0);
		fold_int(o, 3, c->built, c->built != 0, 0);
		fold_int(o, 4, c->closed, c->closed != 0, 1);
		fold_str(s, o, 0, c->status, 1);
		fold_str(s, o, 1, c->purpose, 1);
		fold_str(s, o, 2, c->build_flags, 1);
		fold_str(s, o, 3, c->path, 1);
		fold_str(s, o, 4, c->exit_fp, 1);
		fold_str(s, o, 5, c->exit_nick, 1);
		fold_str(s, o, 6, c->conflux_id, 1);
		fold_str(s, o, 7, c->reason, 1);
		fold_str(s, o, 8, c->remote_reason, 1);
		return;
	}
	if ((o = op_new(s, OP_CIRCUIT)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, c->session, 1);
	op_int(o, 1, (int64_t)c->circ_id, 1);
	op_int(o, 2, c->created, c->created != 0);
	op_int(o, 3, c->built, c->built != 0);
	op_int(o, 4, c->closed, c->closed != 0);
	op_str(s, o, 0, c->status);
	op_str(s, o, 1, c->purpose);
	op_str(s, o, 2, c->build_flags);
	op_str(s, o, 3, c->path);
	op_str(s, o, 4, c->exit_fp);
	op_str(s, o, 5, c->exit_nick);
	op_str(s, o, 6, c->conflux_id);
	op_str(s, o, 7, c->reason);
	op_str(s, o, 8, c->remote_reason);
	store_maybe_flush(s);
}

void
store_stream(struct store *s, const struct store_stream *r)
{
	int64_t key[2] = { r->session, (int64_t)r->stream_id };
	struct op *o;
	size_t slot = 0;

	if ((o = row_find(s, OP_STREAM, key, 2, NULL, 0, NULL, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* circ_id, closed, status, reasons: coalesce(new, old); the
		 * rest (who, what, when opened): coalesce(old, new). */
		fold_int(o, 2, (int64_t)r->circ_id, r->circ_id != 0, 1);
		fold_int(o, 3, r->app, r->app != 0, 0);
		fold_int(o, 4, r->pid, r->pid > 0, 0);
		fold_int(o, 5, r->uid, r->uid >= 0, 0);
		fold_int(o, 6, r->nym_epoch, r->has_nym_epoch, 0);
		fold_int(o, 7, r->session_group, r->has_session_group, 0);
		fold_int(o, 8, r->target_port, r->target_port >= 0, 0);
		fold_int(o, 9, r->opened, r->opened != 0, 0);
		fold_int(o, 10, r->succeeded, r->succeeded != 0, 0);
		fold_int(o, 11, r->closed, r->closed != 0, 1);
		fold_str(s, o, 0, r->status, 1);
		fold_str(s, o, 1, r->listener, 0);
		fold_str(s, o, 2, r->client_addr, 0);
		fold_str(s, o, 3, r->process, 0);
		fold_str(s, o, 4, r->protocol, 0);
		fold_str(s, o, 5, r->purpose, 0);
		fold_str(s, o, 6, r->iso_fields, 0);
		fold_str(s, o, 7, r->socks_username, 0);
		fold_str(s, o, 8, r->socks_password, 0);
		fold_str(s, o, 9, r->target, 0);
		fold_str(s, o, 10, r->reason, 1);
		fold_str(s, o, 11, r->remote_reason, 1);
		return;
	}
	if ((o = op_new(s, OP_STREAM)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, r->session, 1);
	op_int(o, 1, (int64_t)r->stream_id, 1);
	op_int(o, 2, (int64_t)r->circ_id, r->circ_id != 0);
	op_int(o, 3, r->app, r->app != 0);
	op_int(o, 4, r->pid, r->pid > 0);
	op_int(o, 5, r->uid, r->uid >= 0);
	op_int(o, 6, r->nym_epoch, r->has_nym_epoch);
	op_int(o, 7, r->session_group, r->has_session_group);
	op_int(o, 8, r->target_port, r->target_port >= 0);
	op_int(o, 9, r->opened, r->opened != 0);
	op_int(o, 10, r->succeeded, r->succeeded != 0);
	op_int(o, 11, r->closed, r->closed != 0);
	op_int(o, 12, r->pre_attach, 1);
	op_str(s, o, 0, r->status);
	op_str(s, o, 1, r->listener);
	op_str(s, o, 2, r->client_addr);
	op_str(s, o, 3, r->process);
	op_str(s, o, 4, r->protocol);
	op_str(s, o, 5, r->purpose);
	op_str(s, o, 6, r->iso_fields);
	op_str(s, o, 7, r->socks_username);
	op_str(s, o, 8, r->socks_password);
	op_str(s, o, 9, r->target);
	op_str(s, o, 10, r->reason);
	op_str(s, o, 11, r->remote_reason);
	store_maybe_flush(s);
}

void
store_attach(struct store *s, int64_t session, uint64_t stream, uint64_t circ,
    int64_t at)
{
	int64_t key[3] = { session, (int64_t)stream, (int64_t)circ };
	struct op *o;
	size_t slot = 0;

	/* INSERT OR IGNORE: the first one counts. */
	if (row_find(s, OP_ATTACH, key, 3, NULL, 0, NULL, &slot) != NULL) {
		s->nfolded++;
		return;
	}
	if ((o = op_new(s, OP_ATTACH)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, session, 1);
	op_int(o, 1, (int64_t)stream, 1);
	op_int(o, 2, (int64_t)circ, 1);
	op_int(o, 3, at, 1);
	store_maybe_flush(s);
}

void
store_relay(struct store *s, const char *fp, const char *nick, int64_t ts)
{
	static const int fppos[1] = { 0 };
	const char *sk[1] = { fp };
	struct op *o;
	size_t slot = 0;

	if (fp == NULL)
		return;
	if ((o = row_find(s, OP_RELAY, NULL, 0, sk, 1, fppos, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* first_seen is the first op's; last_seen the latest. */
		fold_str(s, o, 1, nick, 1);
		if (ts > o->i[1])
			o->i[1] = ts;
		return;
	}
	if ((o = op_new(s, OP_RELAY)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, ts, 1);
	op_int(o, 1, ts, 1);
	op_str(s, o, 0, fp);
	op_str(s, o, 1, nick);
}

void
store_finding(struct store *s, const struct store_finding *f)
{
	static const int keypos[4] = { 0, 2, 3, 4 };
	int64_t key[2] = { f->session, (int64_t)f->circ_id };
	const char *sk[4] = { f->rule, f->listener ? f->listener : "",
	    f->ident_a ? f->ident_a : "", f->ident_b ? f->ident_b : "" };
	struct op *o;
	size_t slot = 0;

	if ((o = row_find(s, OP_FINDING, key, 2, sk, 4, keypos, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* count, severity, lists, detail: the latest; first_seen:
		 * the first; last_seen: the larger. */
		/* A count that starts again (the judge forgot the finding
		 * and met it again) goes on from the folded one. */
		o->i[2] = f->count > o->i[2] ? f->count : o->i[2] + 1;
		if (f->last_seen > o->i[4])
			o->i[4] = f->last_seen;
		o->i[5]++;
		fold_str(s, o, 1, f->severity, 1);
		fold_str(s, o, 5, f->apps, 1);
		fold_str(s, o, 6, f->identities, 1);
		fold_str(s, o, 7, f->processes, 1);
		fold_str(s, o, 8, f->streams, 1);
		fold_str(s, o, 9, f->detail, 1);
		return;
	}
	if ((o = op_new(s, OP_FINDING)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, f->session, 1);
	op_int(o, 1, (int64_t)f->circ_id, 1);
	op_int(o, 2, f->count, 1);
	op_int(o, 3, f->first_seen, 1);
	op_int(o, 4, f->last_seen, 1);
	op_int(o, 5, 1, 1);
	op_str(s, o, 0, f->rule);
	op_str(s, o, 1, f->severity);
	op_str(s, o, 2, f->listener ? f->listener : "");
	op_str(s, o, 3, f->ident_a ? f->ident_a : "");
	op_str(s, o, 4, f->ident_b ? f->ident_b : "");
	op_str(s, o, 5, f->apps);
	op_str(s, o, 6, f->identities);
	op_str(s, o, 7, f->processes);
	op_str(s, o, 8, f->streams);
	op_str(s, o, 9, f->detail);
	store_maybe_flush(s);
}

void
store_ack(struct store *s, const struct store_finding *f)
{
	struct op *o;

	if ((o = op_new(s, OP_ACK)) == NULL)
		return;
	op_int(o, 0, f->session, 1);
	op_int(o, 1, (int64_t)f->circ_id, 1);
	op_str(s, o, 0, f->rule);
	op_str(s, o, 1, f->listener ? f->listener : "");
	op_str(s, o, 2, f->ident_a ? f->ident_a : "");
	op_str(s, o, 3, f->ident_b ? f->ident_b : "");
	store_maybe_flush(s);
}

/* The index of the app with this key in s->apps, or -1. */
static long
app_find(struct store *s, const char *key)
{
	struct hindex *h = &s->appidx;
	size_t i;

	if (h->n > s->napps)
		hindex_clear(h);
	hindex_fit(h, s->napps + 1, 256);
	for (; h->n < s->napps; h->n++) {
		for (i = hindex_first(h, mix_str(0, s->apps[h->n].key));
		    h->slot[i] != 0; i = hindex_next(h, i))
			;
		h->slot[i] = (uint32_t)h->n + 1;
	}
	for (i = hindex_first(h, mix_str(0, key)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		if (strcmp(s->apps[h->slot[i] - 1].key, key) == 0)
			return (long)h->slot[i] - 1;
	return -1;
}

int64_t
store_app(struct store *s, const char *label, const char *host,
    const char *sub)
{
	char kbuf[256], *key = kbuf;
	size_t ll = strlen(label), hl = strlen(host), sl;
	struct op *o;
	long i;
	int64_t id;

	/* The key on the stack: only a new app keeps one. */
	sub = sub ? sub : "";
	sl = strlen(sub);
	if (ll + hl + sl + 3 > sizeof kbuf)
		key = xasprintf("%s\x1f%s\x1f%s", label, host, sub);
	else {
		memcpy(kbuf, label, ll);
		kbuf[ll] = '\x1f';
		memcpy(kbuf + ll + 1, host, hl);
		kbuf[ll + 1 + hl] = '\x1f';
		memcpy(kbuf + ll + hl + 2, sub, sl + 1);
	}
	if ((i = app_find(s, key)) >= 0) {
		if (key != kbuf)
			free(key);
		return s->apps[i].id;
	}
	if (key == kbuf)
		key = xstrdup(kbuf);
	id = s->next_app++;
	s->apps = xreallocarray(s->apps, s->napps + 1, sizeof *s->apps);
	s->apps[s->napps].key = key;
	s->apps[s->napps].id = id;
	s->napps++;
	if ((o = op_new(s, OP_APP)) != NULL) {
		op_int(o, 0, id, 1);
		op_str(s, o, 0, label);
		op_str(s, o, 1, host);
		op_str(s, o, 2, sub);
	}
	return id;
}

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
	int nint = op_sql[t].nint, nstr = op_sql[t].nstr;
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

/* Runs one queued operation. */
static int
op_run(struct store *s, const struct op *o)
{
	if (o->type == OP_STREAM && !(o->nulls & (1u << 9))) {
		if (op_exec(s, o, OP_STREAM_INSERT) == 0)
			return 0;
		if ((sqlite3_extended_errcode(s->db) & 0xff) !=
		    SQLITE_CONSTRAINT)
			return -1;
		/* There is a row (or the schema refuses it): upsert. */
	}
	return op_exec(s, o, o->type);
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
		if (op_run(s, &s->ops[i]) == -1) {
			int ext = sqlite3_extended_errcode(s->db);

			if ((ext & 0xff) == SQLITE_CONSTRAINT) {
				/* One row the schema refuses must not hold
				 * up the rest: drop it, count it, say so. */
				s->st.rows_dropped++;
				s->st.rows_refused++;
				if (s->st.rows_refused == 1)
					log_error("database %s: a row was "
					    "refused (%s); dropped and "
					    "counted", s->path,
					    sqlite3_errmsg(s->db));
				continue;
			}
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
	char *k = xstrdup(a->key), *host, *sub;
	int rc;

	host = strchr(k, '\x1f');
	*host++ = '\0';
	sub = strchr(host, '\x1f');
	*sub++ = '\0';
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

/* Moves the operations queued from first on to the front of the queue. */
static void
op_to_front(struct store *s, size_t first)
{
	size_t k = s->nops - first;
	struct op *tmp;

	if (k == 0 || first == 0)
		return;
	hindex_clear(&s->rowidx);
	tmp = xreallocarray(NULL, k, sizeof *tmp);
	memcpy(tmp, s->ops + first, k * sizeof *tmp);
	memmove(s->ops + k, s->ops, first * sizeof *tmp);
	memcpy(s->ops, tmp, k * sizeof *tmp);
	free(tmp);
}

/* Queues an application identity again from its key (label, host, sub). */
static void
op_app_again(struct store *s, const struct app_entry *a)
{
	char *label = xstrdup(a->key), *host, *sub;
	struct op *o;

	/* Hosts and subs never hold \x1f; a label might. */
	if ((sub = strrchr(label, '\x1f')) == NULL) {
		free(label);
		return;
	}
	*sub++ = '\0';
	if ((host = strrchr(label, '\x1f')) == NULL) {
		free(label);
		return;
	}
	*host++ = '\0';
	if ((o = op_new(s, OP_APP)) != NULL) {
		op_int(o, 0, a->id, 1);
		op_str(s, o, 0, label);
		op_str(s, o, 1, host);
		op_str(s, o, 2, sub);
	}
	free(label);
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
		struct live_session *ls = &s->live[i];
		struct op *o;

		ls->written = 0;
		if ((o = op_new(s, OP_SESSION_BEGIN)) == NULL)
			continue;
		op_int(o, 0, ls->id, 1);
		op_int(o, 1, ls->started, 1);
		op_str(s, o, 0, ls->control);
		op_str(s, o, 1, ls->auth);
		op_str(s, o, 2, ls->source);
	}
	for (i = 0; i < napps; i++) {
		for (j = 0; j < s->napps; j++)
			if (strcmp(s->apps[j].key, apps[i].key) == 0)
				break;
		if (j < s->napps) {
			free(apps[i].key);
			continue;
		}
		op_app_again(s, &apps[i]);
		s->apps = xreallocarray(s->apps, s->napps + 1,
		    sizeof *s->apps);
		s->apps[s->napps++] = apps[i];
	}
	free(apps);
	op_to_front(s, first);
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

/* --- prune -------------------------------------------------------------- */

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
	if (exec(s, "BEGIN IMMEDIATE", cause) == -1)
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
	if (exec(s, "DELETE FROM app WHERE id NOT IN (SELECT app FROM stream "
	    "WHERE app IS NOT NULL)", cause) == -1)
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
	if (exec(s, "COMMIT", cause) == -1)
		goto fail_quiet;
	/* Give the space back, and leave nothing of it in the WAL. */
	if (exec(s, "PRAGMA incremental_vacuum", cause) == -1 ||
	    exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", cause) == -1)
		return -1;
	{
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

		exec(s, "ROLLBACK", &ignored);
		free(ignored);
	}
	return -1;
}

/* --- reading ------------------------------------------------------------ */

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
static sqlite3_stmt *
range_stmt(struct store *s, const char *sql, const struct store_range *r,
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

static int
range_done(struct store *s, sqlite3_stmt *st, int rc, char **cause)
{
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

#define COL_TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)))
#define COL_I64(st, i) sqlite3_column_int64((st), (i))

/* Streams in the range (a session, or opened within from..to). */
#define STREAMS_IN_RANGE \
	"(?1 = 0 OR session = ?1) AND (?2 = 0 OR opened >= ?2) AND " \
	"(?3 = 0 OR opened < ?3)"

int
store_each_session(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_session_row *, void *), void *arg,
    char **cause)
{
	struct store_session_row row;
	sqlite3_stmt *st;
	int rc;

	st = range_stmt(s, "SELECT id, tor_version, control, auth, source, "
	    "pid, started, ended, end_reason, last_event FROM tor_session "
	    "WHERE (?1 = 0 OR id = ?1) AND (?2 = 0 OR max(started, "
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
	return range_done(s, st, rc, cause);
}

/*
 * What report asks of the streams in a range (per application: listeners,
 * processes, streams, circuits, exits, first and last seen; per circuit:
 * its applications and streams) comes from one pass over the streams and
 * their attachments, aggregated here, instead of one SQL statement per
 * question: on a million streams that was ten seconds of temporary
 * indexes and sorts, this is a second.  store_each_app() makes it and
 * keeps the circuits for the store_each_circuit() call that follows (the
 * same range, no write between); either works alone.
 */

/*
 * An index of triples of integers: item i's key is k[3 i .. 3 i + 2], and
 * item i is what the aggregator keeps under it (an application, a circuit,
 * a circuit's row, an exit, an application's exit).  Only ever added to.
 */
struct agg_index {
	struct hindex	 h;
	int64_t		*k;
	size_t		 n;
	size_t		 cap;
};

static uint64_t
agg_index_hash(int64_t a, int64_t b, int64_t c)
{
	return mix64(mix64(mix64(0, (uint64_t)a), (uint64_t)b), (uint64_t)c);
}

/* The item with key (a, b, c), or -1. */
static long
agg_index_find(const struct agg_index *m, int64_t a, int64_t b, int64_t c)
{
	const int64_t *k;
	size_t i;

	if (m->h.cap == 0)
		return -1;
	for (i = hindex_first(&m->h, agg_index_hash(a, b, c));
	    m->h.slot[i] != 0; i = hindex_next(&m->h, i)) {
		k = &m->k[3 * (size_t)(m->h.slot[i] - 1)];
		if (k[0] == a && k[1] == b && k[2] == c)
			return (long)m->h.slot[i] - 1;
	}
	return -1;
}

/* Gives item i a slot (hindex_fit made room). */
static void
agg_index_slot(struct agg_index *m, size_t i)
{
	const int64_t *k = &m->k[3 * i];
	size_t j;

	for (j = hindex_first(&m->h, agg_index_hash(k[0], k[1], k[2]));
	    m->h.slot[j] != 0; j = hindex_next(&m->h, j))
		;
	m->h.slot[j] = (uint32_t)i + 1;
	m->h.n++;
}

/* Adds (a, b, c), which the caller found absent; returns its item. */
static size_t
agg_index_add(struct agg_index *m, int64_t a, int64_t b, int64_t c)
{
	size_t i;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->k = xreallocarray(m->k, m->cap, 3 * sizeof *m->k);
	}
	m->k[3 * m->n] = a;
	m->k[3 * m->n + 1] = b;
	m->k[3 * m->n + 2] = c;
	if (hindex_fit(&m->h, m->n + 1, 256))
		for (i = 0; i < m->n; i++)
			agg_index_slot(m, i);
	agg_index_slot(m, m->n);
	return m->n++;
}

static void
agg_index_free(struct agg_index *m)
{
	hindex_free(&m->h);
	free(m->k);
	memset(m, 0, sizeof *m);
}

#define AGG_PROCS	50	/* processes listed per application */

struct agg_app {
	int64_t		 id;
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first;		/* min(opened) */
	int64_t		 last;		/* max(coalesce(closed, opened)) */
	int		 has_first, has_last;
	char		**lis;		/* distinct listeners */
	size_t		 nlis;
	char		*procs[AGG_PROCS];	/* the smallest, sorted */
	size_t		 nprocs;
	int64_t		 last_pid;	/* of the stream before, when */
	char		 last_proc[64];	/* has_proc: most are alike */
	int		 has_proc;
};

struct agg_circ {
	int64_t		 session;
	int64_t		 circ;
	long		 streams;
	int64_t		*apps;		/* distinct */
	size_t		 napps;
	long		 info;		/* in circuit table: index, or -1 */
};

struct agg_info {			/* a row of the circuit table */
	char		*purpose;
	char		*conflux;
	char		*exit_fp;
	char		*exit_nick;
	int64_t		 created;
	int64_t		 closed;
	int64_t		 exit_id;	/* interned exit_fp, or -1 */
};

struct agg {
	struct store_range range;
	struct agg_app	*apps;
	size_t		 napps;
	struct agg_circ	*circs;
	size_t		 ncircs;
	struct agg_info	*info;
	size_t		 ninfo;
	struct agg_index app_idx;	/* (app): apps[] */
	struct agg_index circ_idx;	/* (session, circ): circs[] */
	struct agg_index info_idx;	/* (session, circ): info[] */
	struct agg_index app_exit;	/* (app, exit id) seen */
	struct agg_index exits;		/* (hash, hash, length) of exit_fp:
					   the exit ids */
};

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t != NULL ? xstrdup(t) : NULL;
}

static void
agg_free(struct agg *g)
{
	size_t i, k;

	if (g == NULL)
		return;
	for (i = 0; i < g->napps; i++) {
		for (k = 0; k < g->apps[i].nlis; k++)
			free(g->apps[i].lis[k]);
		free(g->apps[i].lis);
		for (k = 0; k < g->apps[i].nprocs; k++)
			free(g->apps[i].procs[k]);
	}
	free(g->apps);
	for (i = 0; i < g->ncircs; i++)
		free(g->circs[i].apps);
	free(g->circs);
	for (i = 0; i < g->ninfo; i++) {
		free(g->info[i].purpose);
		free(g->info[i].conflux);
		free(g->info[i].exit_fp);
		free(g->info[i].exit_nick);
	}
	free(g->info);
	agg_index_free(&g->app_idx);
	agg_index_free(&g->circ_idx);
	agg_index_free(&g->info_idx);
	agg_index_free(&g->app_exit);
	agg_index_free(&g->exits);
	free(g);
}

/* Keeps x among the AGG_PROCS smallest distinct processes (sorted). */
static void
agg_proc(struct agg_app *a, const char *x)
{
	size_t lo = 0, hi = a->nprocs, mid;
	int c;

	if (a->nprocs == AGG_PROCS && strcmp(x, a->procs[AGG_PROCS - 1]) >= 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(a->procs[mid], x)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nprocs == AGG_PROCS)
		free(a->procs[--a->nprocs]);
	memmove(&a->procs[lo + 1], &a->procs[lo],
	    (a->nprocs - lo) * sizeof a->procs[0]);
	a->procs[lo] = xstrdup(x);
	a->nprocs++;
}

/* WHERE for streams (alias x) in the range, parameters ?1..?3. */
static void
range_where(char *out, size_t len, const struct store_range *r)
{
	snprintf(out, len, "%s%s%s%s%s", r->session ? "x.session = ?1" : "",
	    r->session && r->from ? " AND " : "", r->from ? "x.opened >= ?2" :
	    "", (r->session || r->from) && r->to ? " AND " : "",
	    r->to ? "x.opened < ?3" : "");
	if (out[0] == '\0')
		snprintf(out, len, "1");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_i64v(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_circ(const void *a, const void *b)
{
	const struct agg_circ *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return x->circ < y->circ ? -1 : x->circ > y->circ;
}

/* Steps to the next attachment row and reads its key (read once). */
static int
att_step(sqlite3_stmt *att, int64_t *session, int64_t *stream,
    int64_t *circ)
{
	int rc = sqlite3_step(att);

	if (rc == SQLITE_ROW) {
		*session = sqlite3_column_int64(att, 0);
		*stream = sqlite3_column_int64(att, 1);
		*circ = sqlite3_column_int64(att, 2);
	}
	return rc;
}

/* The pass over the range; returns NULL with *cause on an error. */
static struct agg *
agg_make(struct store *s, const struct store_range *r, char **cause)
{
	struct agg *g = xcalloc(1, sizeof *g);
	char where[160], sql[640];
	sqlite3_stmt *st, *att;
	size_t cinfo = 0, capps = 0, ccircs = 0, i;
	int64_t as = 0, ast = 0, acirc = 0;	/* the attachment row */
	int rc, arc;

	g->range = *r;
	/* The circuits' own rows (exit, purpose ...). */
	st = range_stmt(s, r->session ? "SELECT session, circ_id, purpose, "
	    "conflux_id, exit_fp, exit_nick, created, closed FROM circuit "
	    "WHERE session = ?1" : "SELECT session, circ_id, purpose, "
	    "conflux_id, exit_fp, exit_nick, created, closed FROM circuit",
	    r, cause);
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct agg_info *in;
		const char *fp;

		if (g->ninfo == cinfo) {
			cinfo = cinfo ? cinfo * 2 : 256;
			g->info = xreallocarray(g->info, cinfo,
			    sizeof *g->info);
		}
		in = &g->info[g->ninfo];
		in->purpose = dup_col(st, 2);
		in->conflux = dup_col(st, 3);
		in->exit_fp = dup_col(st, 4);
		in->exit_nick = dup_col(st, 5);
		in->created = COL_I64(st, 6);
		in->closed = COL_I64(st, 7);
		in->exit_id = -1;
		if ((fp = in->exit_fp) != NULL) {
			int64_t h0 = (int64_t)mix_str(0, fp);
			int64_t h7 = (int64_t)mix_str(7, fp);
			int64_t len = (int64_t)strlen(fp);

			if ((in->exit_id = agg_index_find(&g->exits, h0, h7,
			    len)) < 0)
				in->exit_id = (int64_t)agg_index_add(&g->exits,
				    h0, h7, len);
		}
		/* The circuit table's key is unique: info[i] is item i. */
		agg_index_add(&g->info_idx, COL_I64(st, 0), COL_I64(st, 1), 0);
		g->ninfo++;
	}
	if (range_done(s, st, rc, cause) == -1)
		goto fail;

	/*
	 * Every stream in range, and the attachments, both in key order:
	 * merged here (a join looked each stream up in attach, a seek each).
	 */
	range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT x.session, x.stream_id, x.app, "
	    "x.listener, x.pid, x.process, x.opened, x.closed FROM stream x "
	    "WHERE %s ORDER BY x.session, x.stream_id", where);
	if ((st = range_stmt(s, sql, r, cause)) == NULL)
		goto fail;
	att = range_stmt(s, r->session ? "SELECT session, stream_id, circ_id "
	    "FROM attach WHERE session = ?1 ORDER BY session, stream_id, "
	    "circ_id" : "SELECT session, stream_id, circ_id FROM attach "
	    "ORDER BY session, stream_id, circ_id", r, cause);
	if (att == NULL) {
		sqlite3_finalize(st);
		goto fail;
	}
	arc = att_step(att, &as, &ast, &acirc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t session = COL_I64(st, 0), stream = COL_I64(st, 1);
		int has_app = sqlite3_column_type(st, 2) != SQLITE_NULL;
		int64_t app = COL_I64(st, 2);
		struct agg_app *a = NULL;
		long k;

		if (has_app) {
			if ((k = agg_index_find(&g->app_idx, app, 0, 0)) < 0) {
				if (g->napps == capps) {
					capps = capps ? capps * 2 : 64;
					g->apps = xreallocarray(g->apps, capps,
					    sizeof *g->apps);
				}
				memset(&g->apps[g->napps], 0,
				    sizeof g->apps[0]);
				g->apps[g->napps].id = app;
				agg_index_add(&g->app_idx, app, 0, 0);
				k = (long)g->napps++;
			}
			a = &g->apps[k];
		}
		if (a != NULL) {
			const char *l = COL_TEXT(st, 3);

			a->streams++;
			if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
				int64_t o = COL_I64(st, 6);

				if (!a->has_first || o < a->first)
					a->first = o;
				a->has_first = 1;
			}
			if (sqlite3_column_type(st, 7) != SQLITE_NULL ||
			    sqlite3_column_type(st, 6) != SQLITE_NULL) {
				int64_t t = sqlite3_column_type(st, 7) !=
				    SQLITE_NULL ? COL_I64(st, 7) :
				    COL_I64(st, 6);

				if (!a->has_last || t > a->last)
					a->last = t;
				a->has_last = 1;
			}
			if (l != NULL) {
				for (i = 0; i < a->nlis; i++)
					if (strcmp(a->lis[i], l) == 0)
						break;
				if (i == a->nlis) {
					a->lis = xreallocarray(a->lis,
					    a->nlis + 1, sizeof *a->lis);
					a->lis[a->nlis++] = xstrdup(l);
				}
			}
			if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
				const char *pr = COL_TEXT(st, 5);
				int64_t pid = COL_I64(st, 4);
				char x[256];

				if (pr == NULL)
					pr = "?";
				/* The same process as the app's stream
				 * before has nothing new to keep. */
				if (!a->has_proc || a->last_pid != pid ||
				    strcmp(a->last_proc, pr) != 0) {
					snprintf(x, sizeof x, "%s[%" PRId64
					    "]", pr, pid);
					agg_proc(a, x);
					a->has_proc = strlen(pr) <
					    sizeof a->last_proc;
					if (a->has_proc) {
						memcpy(a->last_proc, pr,
						    strlen(pr) + 1);
						a->last_pid = pid;
					}
				}
			}
		}
		/* Its attachments (those of streams out of range skipped). */
		while (arc == SQLITE_ROW && (as < session ||
		    (as == session && ast < stream)))
			arc = att_step(att, &as, &ast, &acirc);
		for (; arc == SQLITE_ROW && as == session && ast == stream;
		    arc = att_step(att, &as, &ast, &acirc)) {
			int64_t circ = acirc;
			struct agg_circ *c;

			if ((k = agg_index_find(&g->circ_idx, session, circ,
			    0)) < 0) {
				if (g->ncircs == ccircs) {
					ccircs = ccircs ? ccircs * 2 : 256;
					g->circs = xreallocarray(g->circs,
					    ccircs, sizeof *g->circs);
				}
				c = &g->circs[g->ncircs];
				memset(c, 0, sizeof *c);
				c->session = session;
				c->circ = circ;
				c->info = agg_index_find(&g->info_idx, session,
				    circ, 0);
				agg_index_add(&g->circ_idx, session, circ, 0);
				k = (long)g->ncircs++;
			}
			c = &g->circs[k];
			c->streams++;
			if (a == NULL)
				continue;
			for (i = 0; i < c->napps; i++)
				if (c->apps[i] == app)
					break;
			if (i < c->napps)
				continue;	/* this app on this circuit: seen */
			c->apps = xreallocarray(c->apps, c->napps + 1,
			    sizeof *c->apps);
			c->apps[c->napps++] = app;
			a->circuits++;
			if (c->info >= 0 && g->info[c->info].exit_id >= 0 &&
			    agg_index_find(&g->app_exit, app,
			    g->info[c->info].exit_id, 0) < 0) {
				agg_index_add(&g->app_exit, app,
				    g->info[c->info].exit_id, 0);
				a->exits++;
			}
		}
	}
	if (arc != SQLITE_ROW && arc != SQLITE_DONE) {
		sqlite3_finalize(att);
		range_done(s, st, arc, cause);
		goto fail;
	}
	sqlite3_finalize(att);
	if (range_done(s, st, rc, cause) == -1)
		goto fail;
	agg_index_free(&g->app_exit);
	return g;
fail:
	agg_free(g);
	return NULL;
}

static int
same_range(const struct store_range *a, const struct store_range *b)
{
	return a->session == b->session && a->from == b->from &&
	    a->to == b->to;
}

int
store_each_app(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_app_row *, void *), void *arg, char **cause)
{
	struct store_app_row row;
	struct agg *g;
	struct buf lis, procs;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	agg_free(s->agg);
	s->agg = NULL;
	if ((g = agg_make(s, r, cause)) == NULL)
		return -1;
	buf_init(&lis);
	buf_init(&procs);
	/* In the order of the identities. */
	st = range_stmt(s, "SELECT id, label, host, sub FROM app ORDER BY "
	    "label, host, sub", r, cause);
	if (st == NULL) {
		agg_free(g);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long k = agg_index_find(&g->app_idx, COL_I64(st, 0), 0, 0);
		struct agg_app *a;

		if (k < 0)
			continue;
		a = &g->apps[k];
		buf_reset(&lis);
		buf_reset(&procs);
		if (a->nlis > 1)
			qsort(a->lis, a->nlis, sizeof *a->lis, cmp_str);
		for (i = 0; i < a->nlis; i++) {
			if (i > 0)
				buf_addc(&lis, ' ');
			buf_adds(&lis, a->lis[i]);
		}
		for (i = 0; i < a->nprocs; i++) {
			if (i > 0)
				buf_addc(&procs, ' ');
			buf_adds(&procs, a->procs[i]);
		}
		row.id = a->id;
		row.label = COL_TEXT(st, 1);
		row.host = COL_TEXT(st, 2);
		row.sub = COL_TEXT(st, 3);
		row.listeners = a->nlis ? buf_cstr(&lis) : NULL;
		row.processes = a->nprocs ? buf_cstr(&procs) : NULL;
		row.streams = a->streams;
		row.circuits = a->circuits;
		row.exits = a->exits;
		row.first_seen = a->has_first ? a->first : 0;
		row.last_seen = a->has_last ? a->last : 0;
		fn(&row, arg);
	}
	buf_free(&lis);
	buf_free(&procs);
	if (range_done(s, st, rc, cause) == -1) {
		agg_free(g);
		return -1;
	}
	/* The circuits, for the store_each_circuit() call that follows. */
	s->agg = g;
	s->agg_version = s->st.commits;
	return 0;
}

int
store_each_circuit(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	struct store_circ_row row;
	struct agg *g = s->agg;
	struct buf apps;
	size_t i, k;

	s->agg = NULL;
	if (g != NULL && (!same_range(&g->range, r) ||
	    s->agg_version != s->st.commits)) {
		agg_free(g);
		g = NULL;
	}
	if (g == NULL && (g = agg_make(s, r, cause)) == NULL)
		return -1;
	if (g->ncircs > 1)
		qsort(g->circs, g->ncircs, sizeof *g->circs, cmp_circ);
	buf_init(&apps);
	for (i = 0; i < g->ncircs; i++) {
		const struct agg_circ *c = &g->circs[i];
		const struct agg_info *in = c->info >= 0 ? &g->info[c->info] :
		    NULL;

		buf_reset(&apps);
		if (c->napps > 1)
			qsort(c->apps, c->napps, sizeof *c->apps, cmp_i64v);
		for (k = 0; k < c->napps; k++) {
			char num[24];

			snprintf(num, sizeof num, "%s%" PRId64, k ? "," : "",
			    c->apps[k]);
			buf_adds(&apps, num);
		}
		memset(&row, 0, sizeof row);
		row.session = c->session;
		row.circ_id = (uint64_t)c->circ;
		if (in != NULL) {
			row.purpose = in->purpose;
			row.conflux_id = in->conflux;
			row.exit_fp = in->exit_fp;
			row.exit_nick = in->exit_nick;
			row.created = in->created;
			row.closed = in->closed;
		}
		row.apps = c->napps ? buf_cstr(&apps) : NULL;
		row.streams = c->streams;
		fn(&row, arg);
	}
	buf_free(&apps);
	agg_free(g);
	return 0;
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
	if ((st = range_stmt(s, sql, r, cause)) == NULL)
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
	return range_done(s, st, rc, cause) == -1 ? -1 : 1;
}

int
store_count_streams(struct store *s, const struct store_range *r, long *n,
    char **cause)
{
	char where[160], sql[256];
	sqlite3_stmt *st;
	int rc;

	range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM stream x WHERE %s",
	    where);
	if ((st = range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)COL_I64(st, 0);
		rc = sqlite3_step(st);
	}
	return range_done(s, st, rc, cause);
}

int
store_each_stream(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_stream_row *, void *), void *arg,
    char **cause)
{
	struct store_stream_row row;
	sqlite3_stmt *st;
	int rc;

	char where[160], sql[512];
	int sorted;

	/*
	 * Ordered by session, opened, stream_id: sqlite sorts every row for
	 * that (a second a million).  Tor numbers streams in the order it
	 * opens them, so key order is almost always that order already:
	 * checked first (two columns, no sort), then read in key order.
	 */
	range_where(where, sizeof where, r);
	if ((sorted = streams_in_order(s, r, where, cause)) == -1)
		return -1;
	snprintf(sql, sizeof sql, "SELECT session, stream_id, circ_id, status, "
	    "listener, client_addr, app, pid, process, uid, protocol, target, "
	    "target_port, opened, closed, reason FROM stream x WHERE %s "
	    "ORDER BY session, %sstream_id", where, sorted ? "" : "opened, ");
	st = range_stmt(s, sql, r, cause);
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
		fn(&row, arg);
	}
	return range_done(s, st, rc, cause);
}

#define FINDING_COLS "id, rule, severity, session, circ_id, listener, apps, " \
	"identities, processes, streams, count, first_seen, last_seen, " \
	"detail, acknowledged"

/* A row of FINDING_COLS (valid until the next step). */
static void
finding_row(sqlite3_stmt *st, struct store_finding_row *row)
{
	row->id = COL_I64(st, 0);
	row->rule = COL_TEXT(st, 1);
	row->severity = COL_TEXT(st, 2);
	row->session = COL_I64(st, 3);
	row->circ_id = (uint64_t)COL_I64(st, 4);
	row->listener = COL_TEXT(st, 5);
	row->apps = COL_TEXT(st, 6);
	row->identities = COL_TEXT(st, 7);
	row->processes = COL_TEXT(st, 8);
	row->streams = COL_TEXT(st, 9);
	row->count = (long)COL_I64(st, 10);
	row->first_seen = COL_I64(st, 11);
	row->last_seen = COL_I64(st, 12);
	row->detail = COL_TEXT(st, 13);
	row->acknowledged = (int)COL_I64(st, 14);
}

int
store_each_finding(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_finding_row *, void *), void *arg,
    char **cause)
{
	struct store_finding_row row;
	sqlite3_stmt *st;
	int rc;

	st = range_stmt(s, "SELECT " FINDING_COLS " FROM finding WHERE "
	    "(?1 = 0 OR session = ?1) AND (?2 = 0 OR last_seen >= ?2) AND "
	    "(?3 = 0 OR first_seen < ?3) ORDER BY CASE severity WHEN "
	    "'critical' THEN 0 WHEN 'warning' THEN 1 WHEN 'notice' THEN 2 "
	    "ELSE 3 END, first_seen, id", r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		finding_row(st, &row);
		fn(&row, arg);
	}
	return range_done(s, st, rc, cause);
}

/* --- check ----------------------------------------------------------------- */

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
	return range_done(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, cause);
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
		return range_done(s, st, rc, cause);
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
		r = range_done(s, up, sqlite3_step(up), cause);
	}
done:
	free(key);
	sqlite3_finalize(st);
	return r;
}

int
store_check(struct store *s, const struct store_check *c, char **cause)
{
	struct store_finding_row row;
	sqlite3_stmt *st = NULL, *up;
	int64_t last = 0, maxid = 0;
	char *ignored = NULL;
	int rc;

	/*
	 * One write transaction from reading the cursor to moving it: a
	 * second check under the same name waits here, then starts after
	 * what this one printed.
	 */
	if (exec(s, c->cursor != NULL ? "BEGIN IMMEDIATE" : "BEGIN",
	    cause) == -1)
		return -1;
	if (c->cursor != NULL) {
		if (check_int(s, "SELECT last_finding FROM check_cursor WHERE "
		    "name = ?1", c->cursor, 0, &last, cause) == -1 ||
		    check_int(s, "SELECT max(id) FROM finding", NULL, 0, &maxid,
		    cause) == -1)
			goto fail;
		/* Every finding deleted since: the ids start again. */
		if (maxid < last)
			last = 0;
		st = check_prepare(s, "SELECT " FINDING_COLS " FROM finding "
		    "WHERE id > ?1 ORDER BY id", cause);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, last);
	} else {
		st = check_prepare(s, "SELECT " FINDING_COLS " FROM finding "
		    "WHERE first_seen >= ?1 ORDER BY first_seen, id", cause);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, c->since);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		finding_row(st, &row);
		if (c->finding(&row, c->arg) == -1) {
			*cause = xstrdup("cannot write the report");
			goto fail;
		}
	}
	if (range_done(s, st, rc, cause) == -1) {
		st = NULL;
		goto fail;
	}
	st = NULL;
	if (c->max_silence > 0 && check_silence(s, c, cause) == -1)
		goto fail;
	if (c->cursor != NULL) {
		up = check_prepare(s, "INSERT INTO check_cursor(name, "
		    "last_finding, updated) VALUES (?1, ?2, ?3) ON CONFLICT(name) "
		    "DO UPDATE SET last_finding = excluded.last_finding, "
		    "updated = excluded.updated", cause);
		if (up == NULL)
			goto fail;
		sqlite3_bind_text(up, 1, c->cursor, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, maxid);
		sqlite3_bind_int64(up, 3, c->now);
		if (range_done(s, up, sqlite3_step(up), cause) == -1)
			goto fail;
	}
	if (exec(s, "COMMIT", cause) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_finalize(st);
	exec(s, "ROLLBACK", &ignored);
	free(ignored);
	return -1;
}
