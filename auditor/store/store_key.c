/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_key.c: the hash key (HMAC-SHA256 of destinations and SOCKS
 * credentials, privacy.c) lives in a file of its own, never in the
 * database: PATH.key beside it, or the file HashKeyFile names.  A copy of
 * the database alone then says nothing of which destination a hash stands
 * for.
 *
 * The key file: 32 raw bytes, 0600, ours, regular, never read through a
 * symbolic link, created atomically (a temporary O_EXCL file, fsync, link
 * into place, the directory fsynced).  One writable by others, of another
 * size or owner is refused; one readable by others is made 0600 (with a
 * warning: the key may have been read).
 *
 * The database keeps the key's fingerprint (meta 'hash_key_id'), so that a
 * key file lost or swapped is noticed instead of a second key begun in
 * silence (the old hashes would stop matching the new ones).  A database
 * of before (meta 'hash_key') has its key moved into the file, the same
 * bytes (its hashes keep matching), then deleted with secure_delete on and
 * the WAL checkpointed to nothing.  Only a writer (STORE_WRITE) touches the
 * key: report and check need none, prune leaves it.
 */
#define ISOAUDIT_PRIVATE	/* store_key_id, store_key_stat */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

#define KEY_LEN		STORE_SCHEMA_KEY_LEN
#define KEY_ID_INFO	"isoaudit hash key id 1"

/* The fingerprint: 16 bytes of HMAC-SHA256(key, KEY_ID_INFO), in hex. */
void
store_key_id(const unsigned char *key, char *out)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)KEY_ID_INFO,
	    strlen(KEY_ID_INFO));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, STORE_KEY_ID_LEN + 1, mac, STORE_KEY_ID_LEN / 2);
	sodium_memzero(&st, sizeof st);
}

/* store_key_stat for a key file called what ("hash key file"). */
static int
key_stat(const char *what, const char *path, const struct stat *sb,
    char **cause)
{
	if (sb->st_size != KEY_LEN) {
		*cause = xasprintf("%s %s is %lld bytes, not %d: "
		    "not a key of isoaudit's; move it away", what, path,
		    (long long)sb->st_size, KEY_LEN);
		return -1;
	}
	if ((sb->st_mode & 022) != 0) {
		*cause = xasprintf("%s %s is writable by %s (mode "
		    "%04o): others may have changed it; move it away",
		    what, path, (sb->st_mode & 002) ? "everyone" : "its group",
		    (unsigned)(sb->st_mode & 07777));
		return -1;
	}
	return (sb->st_mode & 077) != 0 ? 1 : 0;
}

int
store_key_stat(const char *path, const struct stat *sb, char **cause)
{
	return key_stat("hash key file", path, sb, cause);
}

/* Reads the key file: 1 (key read), 0 (none there), -1 with *cause. */
static int
key_read(const char *path, unsigned char *key, char **cause)
{
	return store_secret_read("hash key file", "begin a new key "
	    "(isoaudit prune --new-key)", path, key, cause);
}

int
store_secret_read(const char *what, const char *advice, const char *path,
    unsigned char *key, char **cause)
{
	struct stat sb;
	ssize_t n;
	int fd, rc;

	if ((fd = store_file_open(path, &sb, cause)) < 0)
		return fd == -2 ? 0 : -1;
	if ((rc = key_stat(what, path, &sb, cause)) == -1)
		goto fail;
	if (rc == 1) {
		if (fchmod(fd, 0600) == -1) {
			*cause = xasprintf("cannot chmod %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		log_warnx("%s %s was readable by others (mode "
		    "%04o), now 0600: if someone read it, %s", what, path,
		    (unsigned)(sb.st_mode & 07777), advice);
	}
	n = pread(fd, key, KEY_LEN, 0);
	if (n != KEY_LEN) {
		*cause = xasprintf("cannot read %s %s: %s", what, path,
		    n == -1 ? strerror(errno) : "short read");
		goto fail;
	}
	close(fd);
	return 1;
fail:
	close(fd);
	return -1;
}

/* fsync(2) of a directory: a name made in it is there after a crash. */
static int
dir_sync(const char *path, char **cause)
{
	char *dir = store_dir_of(path);
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fsync(fd) == -1) {
		*cause = xasprintf("cannot sync directory %s: %s", dir,
		    strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	free(dir);
	return rc;
}

/*
 * Writes key into a new file at path: a temporary O_EXCL file written and
 * synced, then linked into place (an existing file is left alone: returns
 * 1) or, with replace, renamed over it.  0, 1, or -1 with *cause.
 */
static int
key_write(const char *path, const unsigned char *key, int replace,
    char **cause)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd, rc = 0;

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot create hash key file %s: %s", path,
		    strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || write(fd, key, KEY_LEN) != KEY_LEN ||
	    fsync(fd) == -1) {
		*cause = xasprintf("cannot write hash key file %s: %s", tmp,
		    strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0 && replace && rename(tmp, path) == -1) {
		*cause = xasprintf("cannot replace hash key file %s: %s", path,
		    strerror(errno));
		rc = -1;
	} else if (rc == 0 && !replace && link(tmp, path) == -1) {
		if (errno == EEXIST)
			rc = 1;
		else {
			*cause = xasprintf("cannot create hash key file %s: "
			    "%s", path, strerror(errno));
			rc = -1;
		}
	}
	unlink(tmp);
	free(tmp);
	if (rc == 0 && dir_sync(path, cause) == -1)
		return -1;
	return rc;
}

/* A meta row's value: 1 (copied, bounded by len; *got its size), 0, -1. */
static int
meta_get(struct store *s, const char *key, void *out, size_t len,
    size_t *got, char **cause)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    store_errmsg(s, rc));
		return -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		*got = n;
		memcpy(out, v, n < len ? n : len);
		found = 1;
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("database %s: %s", s->path,
		    store_errmsg(s, rc));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * Keeps id as the key's fingerprint and version as the hash's
 * ('hash_version', privacy.h), and deletes a key of before.
 */
static int
meta_set_id(struct store *s, const char *id, int version, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (store_exec(s, "BEGIN IMMEDIATE", cause) == -1)
		return -1;
	rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, "
	    "value) VALUES ('hash_key_id', ?1), ('hash_version', ?2)", -1,
	    &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, version == 1 ? "1" : "2", -1,
		    SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		char *ignored = NULL;

		*cause = xasprintf("database %s: %s", s->path,
		    store_errmsg(s, rc));
		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
		return -1;
	}
	if (store_exec(s, "DELETE FROM meta WHERE key = 'hash_key'",
	    cause) == -1) {
		char *ignored = NULL;

		store_exec(s, "ROLLBACK", &ignored);
		free(ignored);
		return -1;
	}
	return store_exec(s, "COMMIT", cause);
}

/*
 * After a key of before was deleted (secure_delete zeroes its bytes in
 * the page): the WAL, which held the page with it, checkpointed into the
 * file and truncated to nothing.
 */
static int
key_scrub(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	int rc, busy = 1;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1,
	    &st, NULL);
	if (rc == SQLITE_OK) {
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			busy = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_ROW) {
		*cause = xasprintf("database %s: %s", s->path,
		    store_errmsg(s, rc));
		return -1;
	}
	if (busy)
		log_warnx("database %s: a reader kept the WAL busy; the old "
		    "hash key's page leaves it at the next checkpoint",
		    s->path);
	return 0;
}

static const char renew_hint[] = "or begin a new key with isoaudit prune "
    "--new-key (the hashes stored so far will match no new one)";

int
store_key_load(struct store *s, char **cause)
{
	unsigned char file[KEY_LEN], legacy[KEY_LEN], *key;
	char stored[STORE_KEY_ID_LEN + 1], id[STORE_KEY_ID_LEN + 1], ver[2];
	size_t n = 0;
	int has_file, has_legacy, has_id, has_ver, fresh = 0, rc = -1;
	char *what;

	if (s->mode != STORE_WRITE)
		return 0;
	if (s->keyfile == NULL)
		s->keyfile = xasprintf("%s.key", s->real);
	/* A key file elsewhere: in a directory nobody else may write. */
	what = xasprintf("hash key file %s", s->keyfile);
	rc = store_file_dir_check(s->keyfile, what, cause);
	free(what);
	if (rc == -1)
		return -1;
	rc = -1;

	if ((has_legacy = meta_get(s, "hash_key", legacy, sizeof legacy, &n,
	    cause)) == -1)
		return -1;
	if (has_legacy && n != KEY_LEN) {
		*cause = xasprintf("database %s: its hash key is %zu bytes, "
		    "not %d", s->path, n, KEY_LEN);
		goto out;
	}
	memset(stored, 0, sizeof stored);
	if ((has_id = meta_get(s, "hash_key_id", stored, sizeof stored - 1,
	    &n, cause)) == -1)
		goto out;
	if (has_id && n != STORE_KEY_ID_LEN) {
		*cause = xasprintf("database %s: its hash key fingerprint is "
		    "not one", s->path);
		goto out;
	}

	/*
	 * The hash's version: 2 (SipHash) for a key begun now; a database
	 * whose key was begun before it was kept (a fingerprint or a key of
	 * its own, no version) holds HMAC-SHA256 hashes and goes on with them.
	 */
	if ((has_ver = meta_get(s, "hash_version", ver, sizeof ver, &n,
	    cause)) == -1)
		goto out;
	if (has_ver && (n != 1 || (ver[0] != '1' && ver[0] != '2'))) {
		*cause = xasprintf("database %s: its hash version is not 1 or "
		    "2 (made by a later isoaudit?)", s->path);
		goto out;
	}
	if (s->has_key && s->hash_version != 0 && has_ver &&
	    ver[0] - '0' != s->hash_version) {
		*cause = xasprintf("database %s: its hash version changed while "
		    "isoaudit wrote it", s->path);
		goto out;
	}
	/* A database begun again under a running writer (store_reopen):
	 * its hashes go on as they were made. */
	if (has_ver)
		s->hash_version = ver[0] - '0';
	else if (!(s->has_key && s->hash_version != 0))
		s->hash_version = has_id || has_legacy ? 1 : 2;

	if (s->key_flags & STORE_NEW_KEY) {
		s->hash_version = 2;
		has_ver = 0;
		randombytes_buf(s->key, sizeof s->key);
		if (key_write(s->keyfile, s->key, 1, cause) == -1)
			goto out;
		s->key_flags &= ~STORE_NEW_KEY;	/* once, not at a reopen */
		s->has_key = 1;
		log_debug("hash key file %s: a new key begun", s->keyfile);
		key = s->key;
		has_id = 0;
		goto keep;
	}

	if ((has_file = key_read(s->keyfile, file, cause)) == -1)
		goto out;
	if (!has_file) {
		store_key_id(s->key, id);
		if (has_id && !(s->has_key && strcmp(id, stored) == 0)) {
			*cause = xasprintf("hash key file %s is missing, and "
			    "database %s holds hashes made with it: put the "
			    "file back (from a backup), %s", s->keyfile,
			    s->path, renew_hint);
			goto out;
		}
		/* A database of before, a reopen's (same key), or new. */
		if (has_legacy)
			memcpy(file, legacy, sizeof file);
		else if (s->has_key)
			memcpy(file, s->key, sizeof file);
		else {
			randombytes_buf(file, sizeof file);
			fresh = 1;
		}
		switch (key_write(s->keyfile, file, 0, cause)) {
		case -1:
			goto out;
		case 1:		/* another writer made it meanwhile */
			if (key_read(s->keyfile, file, cause) != 1) {
				if (*cause == NULL)
					*cause = xasprintf("hash key file %s "
					    "vanished", s->keyfile);
				goto out;
			}
			break;
		default:
			if (fresh)
				log_debug("hash key file %s created",
				    s->keyfile);
			break;
		}
	}
	key = file;
	if (s->has_key && sodium_memcmp(key, s->key, KEY_LEN) != 0) {
		*cause = xasprintf("hash key file %s changed while isoaudit "
		    "wrote database %s: put the old one back, %s", s->keyfile,
		    s->path, renew_hint);
		goto out;
	}
	store_key_id(key, id);
	if (has_id && strcmp(id, stored) != 0) {
		*cause = xasprintf("hash key file %s is not the key of database "
		    "%s (its hashes were made with another): put the right "
		    "file back, %s", s->keyfile, s->path, renew_hint);
		goto out;
	}
	if (has_legacy && sodium_memcmp(legacy, key, KEY_LEN) != 0) {
		*cause = xasprintf("database %s holds its own hash key, not the "
		    "one in %s: move %s away (the database's key then moves "
		    "there), %s", s->path, s->keyfile, s->keyfile, renew_hint);
		goto out;
	}
keep:
	memcpy(s->key, key, sizeof s->key);
	s->has_key = 1;
	if (!has_id || has_legacy || !has_ver) {
		store_key_id(s->key, id);
		if (meta_set_id(s, id, s->hash_version, cause) == -1)
			goto out;
	}
	if (has_legacy) {
		if (key_scrub(s, cause) == -1)
			goto out;
		log_info("database %s: its hash key moved to %s", s->path,
		    s->keyfile);
	}
	rc = 0;
out:
	sodium_memzero(file, sizeof file);
	sodium_memzero(legacy, sizeof legacy);
	return rc;
}

const char *
store_key_path(const struct store *s)
{
	return s->has_key ? s->keyfile : NULL;
}
