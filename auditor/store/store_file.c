/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_file.c: the files isoaudit creates or trusts beside a database.
 *
 * The path is resolved first (a symbolic link among the directories is
 * followed: Tails keeps dotfiles behind links into its persistent volume;
 * a link as the last component is followed only when it belongs to us or
 * to root), and sqlite is handed the resolved name.  A writer then checks
 * the directory (ours or root's, not writable by group or others unless it
 * is root's and sticky, like /tmp) and each file it will use (database,
 * -wal, -shm, .lock: regular, ours; too open and ours: made 0600), and takes
 * the writer's lock: PATH.lock, an flock(2) held for the writer's life with
 * its pid in it.  The lock dies with its process, so a file left by a dead
 * writer is simply taken over.  Readers take no lock and change no mode.
 */
#define ISOAUDIT_PRIVATE	/* store_unlock, in store.h for the tests */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"
#include "xmalloc.h"

/* The directory part of path, allocated ("." when there is none). */
char *
store_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Creates the missing directories of dir, each 0700. */
static int
mkdirs(const char *dir, char **cause)
{
	char *p = xasprintf("%s/", dir), *s;

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

/*
 * Whether the directory the database lives in may hold our files: ours or
 * root's, and writable by nobody else (root's sticky directories, /tmp,
 * are allowed: nobody can replace our files there, and each is checked).
 */
int
store_dir_trusted(const char *dir, const struct stat *sb, uid_t me,
    char **cause)
{
	if (sb->st_uid != me && sb->st_uid != 0) {
		*cause = xasprintf("directory %s belongs to uid %u, not to "
		    "you (uid %u): keep the database in a directory of your "
		    "own (--db)", dir, (unsigned)sb->st_uid, (unsigned)me);
		return -1;
	}
	if ((sb->st_mode & 022) != 0 &&
	    !((sb->st_mode & S_ISVTX) && sb->st_uid == 0)) {
		*cause = xasprintf("directory %s is writable by %s (mode "
		    "%04o): chmod go-w %s", dir, (sb->st_mode & 002) ?
		    "everyone" : "its group", (unsigned)(sb->st_mode & 07777),
		    dir);
		return -1;
	}
	return 0;
}

/*
 * The directory file lies in: there, and fit for our files
 * (store_dir_trusted).  what begins the message of a directory missing.
 */
int
store_file_dir_check(const char *file, const char *what, char **cause)
{
	struct stat sb;
	char *dir = store_dir_of(file);
	int rc;

	if (stat(dir, &sb) == -1) {
		*cause = xasprintf("%s: %s: %s", what, dir, strerror(errno));
		free(dir);
		return -1;
	}
	rc = store_dir_trusted(dir, &sb, geteuid(), cause);
	free(dir);
	return rc;
}

/*
 * Whether an existing file of a writer's may be used: 0 (fine), 1 (ours
 * but too open: to be made 0600), -1 with *cause (refused).
 */
int
store_file_trusted(const char *path, const struct stat *sb, uid_t me,
    char **cause)
{
	if (S_ISLNK(sb->st_mode)) {
		*cause = xasprintf("%s is a symbolic link: remove it", path);
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		*cause = xasprintf("%s is not a regular file: move it away",
		    path);
		return -1;
	}
	if (sb->st_uid != me) {
		*cause = xasprintf("%s belongs to uid %u, not to you (uid %u): "
		    "move it away, or run isoaudit as its owner", path,
		    (unsigned)sb->st_uid, (unsigned)me);
		return -1;
	}
	return (sb->st_mode & 077) != 0 ? 1 : 0;
}

/*
 * Opens an existing file of ours read-only, never through a symbolic link
 * nor blocking (a FIFO): the descriptor, *sb its fstat, after
 * store_file_trusted on the name and on the file opened.  -2 when there
 * is no such file, -1 with *cause (refused, or open failed).
 */
int
store_file_open(const char *path, struct stat *sb, char **cause)
{
	struct stat lsb;
	int fd;

	if (lstat(path, &lsb) == -1) {
		if (errno == ENOENT)
			return -2;
		*cause = xasprintf("cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (store_file_trusted(path, &lsb, geteuid(), cause) == -1)
		return -1;
	/* Through a descriptor: the file checked is the file used. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || fstat(fd, sb) == -1) {
		*cause = xasprintf("cannot open %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (store_file_trusted(path, sb, geteuid(), cause) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Checks an existing file beside the database, making it 0600 if ours. */
static int
file_check(const char *path, char **cause)
{
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
	} else if ((rc = store_file_trusted(path, &sb, geteuid(),
	    cause)) <= 0)
		return rc;	/* fine as it is: not even opened */
	if ((fd = store_file_open(path, &sb, cause)) < 0)
		return fd == -2 ? 0 : -1;
	if ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) == -1) {
		*cause = xasprintf("cannot chmod %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Resolves s->path into s->real (the name sqlite is given): symbolic
 * links among the directories followed, a last component that is a link
 * followed only when it is ours or root's; a writer creates the missing
 * directories (0700).  -1 with *err and *cause.
 */
int
store_resolve(struct store *s, enum store_err *err, char **cause)
{
	struct stat sb;
	char *dir, *real, *base;
	int writer = s->mode != STORE_READ;

	free(s->real);
	s->real = NULL;
	if (lstat(s->path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode) && sb.st_uid != geteuid() &&
		    sb.st_uid != 0) {
			*cause = xasprintf("database %s is a symbolic link of "
			    "uid %u, not yours: remove it, or name the file "
			    "itself", s->path, (unsigned)sb.st_uid);
			return -1;
		}
		if ((s->real = realpath(s->path, NULL)) == NULL) {
			if (errno == ENOENT && S_ISLNK(sb.st_mode))
				*cause = xasprintf("database %s is a symbolic "
				    "link to nothing: remove it, or name the "
				    "file itself", s->path);
			else
				*cause = xasprintf("cannot open database %s: "
				    "%s", s->path, strerror(errno));
			return -1;
		}
		return 0;
	}
	/* ENOTDIR: a writer's mkdirs says which directory is not one. */
	if (errno != ENOENT && (errno != ENOTDIR || !writer)) {
		*cause = xasprintf("cannot open database %s: %s", s->path,
		    strerror(errno));
		return -1;
	}
	if (!writer) {
		*err = STORE_ERR_MISSING;
		*cause = xasprintf("no database at %s (isoaudit monitor "
		    "creates it)", s->path);
		return -1;
	}
	dir = store_dir_of(s->path);
	if (stat(dir, &sb) == -1) {
		if (mkdirs(dir, cause) == -1) {
			free(dir);
			return -1;
		}
		/* What we created is ours: 0700 whatever the umask. */
		if (chmod(dir, 0700) == -1) {
			*cause = xasprintf("cannot chmod %s: %s", dir,
			    strerror(errno));
			free(dir);
			return -1;
		}
	}
	if ((real = realpath(dir, NULL)) == NULL) {
		*cause = xasprintf("cannot open database %s: %s: %s", s->path,
		    dir, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	base = strrchr(s->path, '/');
	base = base != NULL ? base + 1 : s->path;
	if (*base == '\0') {
		*cause = xasprintf("database %s: a file name is needed",
		    s->path);
		free(real);
		return -1;
	}
	s->real = xasprintf("%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/",
	    base);
	free(real);
	return 0;
}

/*
 * A writer's checks of the directory and of the files it will use; the
 * files of ours that are too open are made 0600.
 */
int
store_files_check(struct store *s, char **cause)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".lock" };
	char *what = xasprintf("cannot open database %s", s->path), *f;
	size_t i;
	int rc;

	rc = store_file_dir_check(s->real, what, cause);
	free(what);
	if (rc == -1)
		return -1;
	for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		f = xasprintf("%s%s", s->real, suffix[i]);
		rc = file_check(f, cause);
		free(f);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* The pid written in a lock file, or 0 when there is none (yet). */
static long
lock_read_pid(int fd)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;

	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return 0;
	return pid;
}

/*
 * Takes the writer's lock, PATH.lock (0600, our pid in it), or says who
 * holds it (*err STORE_ERR_BUSY).  The descriptor stays open in s->lockfd.
 */
int
store_lock(struct store *s, enum store_err *err, char **cause)
{
	char *path = xasprintf("%s.lock", s->real), pidbuf[32];
	struct stat sb, now;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long pid = 0;
	int fd = -1, tries, len;

	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd == -1 || fstat(fd, &sb) == -1) {
			*cause = xasprintf("cannot create %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (store_file_trusted(path, &sb, geteuid(), cause) == -1)
			goto fail;
		if ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) == -1) {
			*cause = xasprintf("cannot chmod %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* Removed or replaced while we waited: again. */
			if (stat(path, &now) == 0 && now.st_ino == sb.st_ino &&
			    now.st_dev == sb.st_dev)
				break;
			close(fd);
			fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			*cause = xasprintf("cannot lock %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		/* The holder writes its pid right after locking. */
		for (tries = 0; tries < 100 && (pid = lock_read_pid(fd)) == 0;
		    tries++)
			nanosleep(&ts, NULL);
		*err = STORE_ERR_BUSY;
		if (pid > 0)
			*cause = xasprintf("database %s is in use by pid %ld",
			    s->path, pid);
		else
			*cause = xasprintf("database %s is in use by another "
			    "process (%s names none)", s->path, path);
		goto fail;
	}
	if (fd == -1) {
		*cause = xasprintf("cannot lock %s: it keeps being replaced",
		    path);
		goto fail;
	}
	len = snprintf(pidbuf, sizeof pidbuf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pidbuf, (size_t)len, 0) !=
	    len) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	s->lockfd = fd;
	free(path);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	free(path);
	return -1;
}

/* Gives the writer's lock up (its file stays, empty: see store_lock). */
void
store_unlock(struct store *s)
{
	if (s->lockfd == -1)
		return;
	if (ftruncate(s->lockfd, 0) == -1) {
		/* The lock goes with the descriptor all the same. */
	}
	close(s->lockfd);
	s->lockfd = -1;
}

/*
 * The name a reader hands sqlite (allocated), and its flags.  A WAL
 * database needs its -shm beside it, which a reader that cannot write the
 * directory cannot create: when no -wal is there either (no writer is at
 * work: it would have made one) the file is read as immutable, without
 * them; else as it is.
 */
char *
store_reader_name(const struct store *s, int *flags)
{
	static const char hex[] = "0123456789ABCDEF";
	char *dir = store_dir_of(s->real), *wal = xasprintf("%s-wal", s->real);
	struct buf b;
	const char *p;
	int at_rest;

	at_rest = access(dir, W_OK | X_OK) == -1 && access(wal, F_OK) == -1 &&
	    errno == ENOENT;
	free(dir);
	free(wal);
	if (!at_rest)
		return xstrdup(s->real);
	*flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	buf_init(&b);
	buf_add(&b, "file:", 5);
	for (p = s->real; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/._-~", c) != NULL)
			buf_add(&b, p, 1);
		else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_add(&b, e, 3);
		}
	}
	buf_add(&b, "?immutable=1", 13);	/* with its NUL */
	return b.p;
}
