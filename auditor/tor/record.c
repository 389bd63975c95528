/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * record.c: transcripts of the control connection.  The file is created
 * 0600 whatever the umask; AUTHENTICATE's argument never reaches it; what
 * Tor sends is written as LogTargets allows (record_scrub.c).
 */
#define ISOAUDIT_PRIVATE

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "privacy.h"
#include "reply.h"
#include "record.h"
#include "xmalloc.h"

struct record {
	FILE		*f;
	char		*path;
	int		 failed;
	struct record_scrub *scrub;	/* LogTargets (record_scrub.c) */
};

void
record_set_privacy(struct record *r, const struct privacy *p)
{
	if (r == NULL)
		return;
	record_scrub_free(r->scrub);
	r->scrub = record_scrub_new(p);
}

struct record *
record_open(const char *path, char **cause)
{
	struct record *r;
	int fd;
	FILE *f;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create transcript %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("cannot set up transcript %s: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->f = f;
	r->path = xstrdup(path);
	return r;
}

static void
record_check(struct record *r)
{
	if (r->failed)
		return;
	if (fflush(r->f) == EOF || ferror(r->f)) {
		r->failed = 1;
		log_error("transcript %s: write failed (%s); recording "
		    "stopped, monitoring goes on", r->path, strerror(errno));
	}
}

void
record_close(struct record *r)
{
	if (r == NULL)
		return;
	record_check(r);
	if (fclose(r->f) == EOF && !r->failed)
		log_error("transcript %s: close failed (%s)", r->path,
		    strerror(errno));
	record_scrub_free(r->scrub);
	free(r->path);
	free(r);
}

int
record_failed(const struct record *r)
{
	return r != NULL && r->failed ? -1 : 0;
}

static void
record_put(struct record *r, int64_t ts, char dir, const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	fprintf(r->f, "%" PRId64 ".%06" PRId64 " %c ", ts / 1000000,
	    ts % 1000000, dir);
	fwrite(s, 1, n, r->f);
	fputc('\n', r->f);
}

void
record_from_tor(struct record *r, const char *s, size_t n, int64_t ts)
{
	if (r == NULL || r->failed)
		return;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (r->scrub != NULL)
		s = record_scrub_line(r->scrub, s, n, ts, &n);
	record_put(r, ts, '<', s, n);
	record_check(r);
}

char *
record_redact(const char *s, size_t n)
{
	static const char auth[] = "AUTHENTICATE";
	size_t al = sizeof auth - 1;

	if (n >= al && strncasecmp(s, auth, al) == 0 &&
	    (n == al || s[al] == ' ' || s[al] == '\r'))
		return xstrdup(n > al && s[al] == ' ' ?
		    "AUTHENTICATE [redacted]" : "AUTHENTICATE");
	return xstrndup(s, n);
}

void
record_to_tor(struct record *r, const char *s, size_t n, int64_t ts)
{
	char *safe;

	if (r == NULL || r->failed)
		return;
	safe = record_redact(s, n);
	record_put(r, ts, '>', safe, strlen(safe));
	free(safe);
	record_check(r);
}

void
record_note(struct record *r, int64_t ts, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r == NULL || r->failed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	/* An annotation is one line: never let a newline through. */
	msg[strcspn(msg, "\r\n")] = '\0';
	record_put(r, ts, '#', msg, strlen(msg));
	free(msg);
	record_check(r);
}

/*
 * The reader takes the file a block at a time (RECORD_READ_BLOCK bytes,
 * or more while one line is longer) and finds the line ends in place: a
 * line is a pointer into the block, copied only when it straddles two.
 */
#define RECORD_READ_BLOCK	(1024 * 1024)

struct record_reader {
	FILE	*f;
	char	*line;		/* the block */
	size_t	 cap;
	size_t	 start, end;	/* what is not read yet: line[start..end) */
	int	 eof;
	int	 decided;
	int	 transcript;
};

struct record_reader *
record_reader_new(FILE *f)
{
	struct record_reader *rr = xcalloc(1, sizeof *rr);

	rr->f = f;
	return rr;
}

void
record_reader_free(struct record_reader *rr)
{
	if (rr == NULL)
		return;
	free(rr->line);
	free(rr);
}

int
record_reader_is_transcript(const struct record_reader *rr)
{
	return rr->transcript;
}

/* Parses "<secs>.<usecs> <dir>[ <text>]"; returns 0 or -1. */
static int
record_parse_stamped(char *s, size_t n, struct record_line *out)
{
	size_t i = 0, dot;
	int64_t sec = 0, usec = 0;

	/* Up to 12 digits: 13 can overflow the time in microseconds. */
	while (i < n && s[i] >= '0' && s[i] <= '9' && i < 12)
		sec = sec * 10 + (s[i++] - '0');
	if (i == 0 || i >= n || s[i] != '.')
		return -1;
	dot = ++i;
	while (i < n && s[i] >= '0' && s[i] <= '9' && i - dot < 6)
		usec = usec * 10 + (s[i++] - '0');
	if (i - dot != 6 || i + 2 > n || s[i] != ' ' ||
	    (s[i + 1] != '<' && s[i + 1] != '>' && s[i + 1] != '#'))
		return -1;
	if (i + 2 < n && s[i + 2] != ' ')
		return -1;
	out->ts_us = sec * 1000000 + usec;
	out->dir = s[i + 1];
	out->text = i + 3 <= n ? s + i + 3 : s + n;
	out->len = i + 3 <= n ? n - i - 3 : 0;
	return 0;
}

/*
 * Reads what is there, up to the room left: read(2) on the file's
 * descriptor, so that a pipe's lines are taken as they come (fread would
 * wait for a whole block); fread where there is none (fmemopen).  Returns
 * the bytes read, 0 at the end, (size_t)-1 on an error.
 */
static size_t
record_read_block(struct record_reader *rr)
{
	int fd = fileno(rr->f);
	ssize_t got;

	if (fd == -1) {
		got = (ssize_t)fread(rr->line + rr->end, 1,
		    rr->cap - rr->end, rr->f);
		return got == 0 && ferror(rr->f) ? (size_t)-1 : (size_t)got;
	}
	do
		got = read(fd, rr->line + rr->end, rr->cap - rr->end);
	while (got == -1 && errno == EINTR);
	return got == -1 ? (size_t)-1 : (size_t)got;
}

/*
 * The next line (without its '\n') in *s and *n.  Returns 1, 0 at the end
 * of the file, -1 on a read error.
 */
static int
record_read_line(struct record_reader *rr, char **s, size_t *n)
{
	char *nl;
	size_t got;

	for (;;) {
		if (rr->end > rr->start &&
		    (nl = memchr(rr->line + rr->start, '\n',
		    rr->end - rr->start)) != NULL) {
			*s = rr->line + rr->start;
			*n = (size_t)(nl - *s);
			rr->start += *n + 1;
			return 1;
		}
		if (rr->eof) {
			if (rr->start == rr->end)
				return 0;
			/* The last line, without a line end. */
			*s = rr->line + rr->start;
			*n = rr->end - rr->start;
			rr->start = rr->end;
			return 1;
		}
		/* The partial line to the front; room for a block more. */
		if (rr->start > 0) {
			memmove(rr->line, rr->line + rr->start,
			    rr->end - rr->start);
			rr->end -= rr->start;
			rr->start = 0;
		}
		if (rr->cap - rr->end < RECORD_READ_BLOCK) {
			rr->cap = rr->end + RECORD_READ_BLOCK;
			rr->line = xreallocarray(rr->line, rr->cap, 1);
		}
		if ((got = record_read_block(rr)) == (size_t)-1)
			return -1;
		if (got == 0)
			rr->eof = 1;
		rr->end += got;
	}
}

int
record_reader_next(struct record_reader *rr, struct record_line *out)
{
	char *s;
	size_t n;
	int rc;

	for (;;) {
		if ((rc = record_read_line(rr, &s, &n)) != 1)
			return rc;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (!rr->decided) {
			if (n == 0)
				continue;
			rr->decided = 1;
			rr->transcript = record_parse_stamped(s, n, out) == 0;
		}
		if (!rr->transcript) {
			out->ts_us = 0;
			out->dir = '<';
			out->text = s;
			out->len = n;
			return 1;
		}
		if (n == 0)
			continue;
		if (record_parse_stamped(s, n, out) == -1) {
			out->ts_us = 0;
			out->dir = '?';
			out->text = s;
			out->len = n;
		}
		return 1;
	}
}
