/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_process.c: the process holding a socket inode, from the
 * /proc/PID/fd links.  Asked in turn: the owner remembered from an earlier
 * walk (one readlink), the pids handed out since the last lookup, the
 * processes that opened the last streams, then every process of the
 * socket's owner, newest first.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib_int.h"
#include "xmalloc.h"

/*
 * Pids handed out since the last look are asked first, at most so many
 * (a fork storm is left to the full walk).
 */
#define ATTRIB_NEW_PIDS	256

static int
pid_cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static uint64_t
ino_hash(uint64_t ino)
{
	return (ino * 0x9E3779B97F4A7C15ULL) >> 32;
}

/* The remembered socket ino, or NULL. */
static struct ino_slot *
ino_find(struct attrib *a, uint64_t ino)
{
	const struct hindex *h = &a->ino_index;
	size_t i;

	if (h->cap == 0)
		return NULL;
	for (i = hindex_first(h, ino_hash(ino)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		if (a->ino[h->slot[i] - 1].ino == ino)
			return &a->ino[h->slot[i] - 1];
	return NULL;
}

/* Enters a->ino[k] in the index (which has room). */
static void
ino_index(struct attrib *a, size_t k)
{
	struct hindex *h = &a->ino_index;
	size_t i;

	for (i = hindex_first(h, ino_hash(a->ino[k].ino)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		;
	h->slot[i] = (uint32_t)k + 1;
	h->n++;
}

/* Remembers that pid holds socket ino as fd (the cache grows as needed). */
static void
ino_put(struct attrib *a, uint64_t ino, long pid, long fd)
{
	struct ino_slot *sl;
	size_t k;

	if (a->nino >= ATTRIB_INO_MAX) {
		a->nino = 0;
		hindex_clear(&a->ino_index);
	}
	if ((sl = ino_find(a, ino)) == NULL) {
		if (a->nino == a->inocap) {
			a->inocap = a->inocap ? a->inocap * 2 : 256;
			a->ino = xreallocarray(a->ino, a->inocap,
			    sizeof *a->ino);
		}
		if (hindex_fit(&a->ino_index, a->nino + 1, 512))
			for (k = 0; k < a->nino; k++)
				ino_index(a, k);
		sl = &a->ino[a->nino];
		sl->ino = ino;
		ino_index(a, a->nino++);
	}
	sl->pid = (int32_t)pid;
	sl->fd = (int32_t)fd;
	sl->comm[0] = '\0';
}

/* Parses "socket:[123]"; returns the inode or 0. */
static uint64_t
socket_inode(const char *link)
{
	uint64_t v = 0;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	for (link += 8; *link >= '0' && *link <= '9'; link++)
		v = v * 10 + (uint64_t)(*link - '0');
	return *link == ']' ? v : 0;
}

/*
 * Walks /proc/PID/fd, remembering every socket in it; returns 1 when it
 * holds socket inode `want`.
 */
static int
pid_has_socket(struct attrib *a, long pid, uint64_t want)
{
	char path[512], link[64];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int found = 0, len;
	uint64_t ino;

	len = snprintf(path, sizeof path, "%s/%ld/fd/", a->procdir, pid);
	if (len <= 0 || (size_t)len >= sizeof path - 32)
		return 0;
	path[len - 1] = '\0';
	if ((d = opendir(path)) == NULL)
		return 0;
	path[len - 1] = '/';
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > 20)
			continue;
		memcpy(path + len, de->d_name, strlen(de->d_name) + 1);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if ((ino = socket_inode(link)) == 0)
			continue;
		ino_put(a, ino, pid, strtol(de->d_name, NULL, 10));
		if (ino == want)
			found = 1;
	}
	closedir(d);
	return found;
}

/*
 * Reads the start of a small file (a /proc entry) into buf, NUL-terminated:
 * the bytes read, or -1 (0 for an empty file).
 */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t got;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

/* A process's name (comm), or "". */
static void
process_name(struct attrib *a, long p, char *name, size_t namelen)
{
	char path[512];

	if (namelen == 0)
		return;
	snprintf(path, sizeof path, "%s/%ld/comm", a->procdir, p);
	if (read_small(path, name, namelen) <= 0)
		name[0] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/* Whether pid (of uid, if known) holds the socket; fills the name. */
static int
process_try(struct attrib *a, long p, long uid, uint64_t want,
    char *name, size_t namelen)
{
	char path[512];
	struct stat sb;

	if (uid >= 0) {
		snprintf(path, sizeof path, "%s/%ld", a->procdir, p);
		if (stat(path, &sb) == -1 || (long)sb.st_uid != uid)
			return 0;
	}
	if (!pid_has_socket(a, p, want))
		return 0;
	process_name(a, p, name, namelen);
	return 1;
}

/*
 * Confirms a remembered owner with one readlink of its fd (the inode may
 * have changed hands, or the process ended); returns 1 with the name.
 */
static int
process_cached(struct attrib *a, uint64_t inode, long *pid, char *name,
    size_t namelen)
{
	struct ino_slot *sl = ino_find(a, inode);
	char path[512], link[64];
	ssize_t n;

	if (sl == NULL || sl->pid <= 0)
		return 0;
	snprintf(path, sizeof path, "%s/%ld/fd/%ld", a->procdir,
	    (long)sl->pid, (long)sl->fd);
	n = readlink(path, link, sizeof link - 1);
	if (n <= 0 || (link[n] = '\0', socket_inode(link) != inode)) {
		sl->pid = 0;
		return 0;
	}
	*pid = sl->pid;
	/* The same process still holds it: its name as read before. */
	if (sl->comm[0] == '\0')
		process_name(a, *pid, sl->comm, sizeof sl->comm);
	if (namelen > 0)
		snprintf(name, namelen, "%s", sl->comm);
	return 1;
}

static void
recent_add(struct attrib *a, long p)
{
	size_t i, n = a->nrecent;

	for (i = 0; i < n && a->recent[i] != p; i++)
		;
	if (i == n && n < sizeof a->recent / sizeof a->recent[0])
		a->nrecent = ++n;
	if (i == n)
		i = n - 1;
	memmove(&a->recent[1], &a->recent[0], i * sizeof a->recent[0]);
	a->recent[0] = p;
}

/* The thread group (process) a /proc number belongs to, or 0. */
static long
thread_group(struct attrib *a, long n)
{
	char path[512], buf[512], *t;

	snprintf(path, sizeof path, "%s/%ld/status", a->procdir, n);
	if (read_small(path, buf, sizeof buf) <= 0 ||
	    (t = strstr(buf, "\nTgid:")) == NULL)
		return 0;
	return strtol(t + 6, NULL, 10);
}

/* The kernel's last allocated pid (of procdir's namespace), or 0. */
static long
last_pid(struct attrib *a)
{
	char path[512], buf[32];

	snprintf(path, sizeof path, "%s/sys/kernel/ns_last_pid", a->procdir);
	if (read_small(path, buf, sizeof buf) <= 0)
		return 0;
	return strtol(buf, NULL, 10);
}

/*
 * Pids handed out since the last look, newest first: a client that has
 * just connected is one of them, found without listing all of /proc.  At
 * most ATTRIB_NEW_PIDS of them; thread ids are skipped (their process is
 * walked under its own pid).
 */
static int
process_new(struct attrib *a, uint64_t inode, long uid, long *pid,
    char *name, size_t namelen)
{
	long last = last_pid(a), from, n;
	char path[512];
	struct stat sb;

	if (last <= 0)
		return 0;
	from = a->last_pid > 0 && a->last_pid <= last &&
	    last - a->last_pid <= ATTRIB_NEW_PIDS ? a->last_pid + 1 :
	    last - ATTRIB_NEW_PIDS + 1;
	a->last_pid = last;
	for (n = last; n >= from && n > 0; n--) {
		snprintf(path, sizeof path, "%s/%ld", a->procdir, n);
		if (stat(path, &sb) == -1 ||
		    (uid >= 0 && (long)sb.st_uid != uid) ||
		    thread_group(a, n) != n)
			continue;
		if (process_try(a, n, -1, inode, name, namelen)) {
			*pid = n;
			return 1;
		}
	}
	return 0;
}

/*
 * Every process of procdir, newest (highest pid) first: the pids in an
 * allocated array, their number in *np; NULL when procdir is unreadable
 * (or lists none).
 */
static long *
process_list(struct attrib *a, size_t *np)
{
	struct dirent *de;
	long *pids = NULL;
	size_t n = 0, cap = 0;
	DIR *d;

	if ((d = opendir(a->procdir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end != '\0' || p <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			pids = xreallocarray(pids, cap, sizeof *pids);
		}
		pids[n++] = p;
	}
	closedir(d);
	/* A client that just connected is most likely among the newest. */
	if (n > 1)
		qsort(pids, n, sizeof *pids, pid_cmp_desc);
	*np = n;
	return pids;
}

/*
 * The executable a process runs ("/usr/bin/curl"), or "" where it cannot
 * be read (another user's process when not root, a kernel thread).  A
 * binary replaced since it started (an upgrade) is the same program: the
 * kernel's " (deleted)" is dropped.
 */
static void
process_exe(struct attrib *a, long p, char *exe, size_t len)
{
	static const char deleted[] = " (deleted)";
	char path[512];
	ssize_t n;

	exe[0] = '\0';
	if (len < 2)
		return;
	snprintf(path, sizeof path, "%s/%ld/exe", a->procdir, p);
	n = readlink(path, exe, len - 1);
	if (n <= 0 || exe[0] != '/') {
		exe[0] = '\0';
		return;
	}
	exe[n] = '\0';
	if ((size_t)n == len - 1) {
		/* Cut: a prefix would name another program. */
		exe[0] = '\0';
		return;
	}
	if ((size_t)n > sizeof deleted - 1 &&
	    strcmp(exe + n - (sizeof deleted - 1), deleted) == 0)
		exe[n - (sizeof deleted - 1)] = '\0';
}

/* The process holding a socket: its pid, name and executable. */
static int
process_find(struct attrib *a, uint64_t inode, long uid, long *pid,
    char *name, size_t namelen)
{
	long *pids;
	size_t n = 0, i;
	int rc = -1;

	/* A process walked before: one readlink says whether it still is. */
	if (process_cached(a, inode, pid, name, namelen)) {
		recent_add(a, *pid);
		return 0;
	}
	/* Processes started since the last lookup (a curl just now). */
	if (process_new(a, inode, uid, pid, name, namelen)) {
		recent_add(a, *pid);
		return 0;
	}
	/* The processes that opened the last streams first. */
	for (i = 0; i < a->nrecent; i++)
		if (process_try(a, a->recent[i], uid, inode, name, namelen)) {
			*pid = a->recent[i];
			recent_add(a, *pid);
			return 0;
		}
	if ((pids = process_list(a, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (process_try(a, pids[i], uid, inode, name, namelen)) {
			*pid = pids[i];
			recent_add(a, *pid);
			rc = 0;
			break;
		}
	free(pids);
	return rc;
}

int
attrib_process(struct attrib *a, struct attrib_result *res)
{
	res->pid = 0;
	res->process[0] = '\0';
	res->exe[0] = '\0';
	if (res->inode == 0 || process_find(a, res->inode, res->uid, &res->pid,
	    res->process, sizeof res->process) == -1)
		return -1;
	process_exe(a, res->pid, res->exe, sizeof res->exe);
	return 0;
}
