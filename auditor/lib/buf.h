/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* buf.h: a growable byte buffer, with JSON and printable escaping. */
#ifndef ISOAUDIT_BUF_H
#define ISOAUDIT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char	*p;	/* always NUL-terminated when len > 0 or after buf_cstr */
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Makes room for n more bytes and the NUL (the slow path of the adds). */
void	 buf_reserve(struct buf *, size_t);

/*
 * The adds are inline: they run for every byte of every event written, so
 * a call per add is kept off that path (docs/performance.md).
 */
static inline void
buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* Appends a number in decimal (what "%" PRIu64 / PRId64 would print). */
void	 buf_add_u64(struct buf *, uint64_t);
void	 buf_add_i64(struct buf *, int64_t);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the contents as a C string (owned by the buffer). */
const char *buf_cstr(struct buf *);
/* Appends s[0..n) as a JSON string literal, quotes included. */
void	 buf_json_str(struct buf *, const char *, size_t);
/* Appends a JSON string literal, or null when s is NULL. */
void	 buf_json_strz(struct buf *, const char *);
/*
 * Appends s[0..n) made safe for a terminal or a log: printable ASCII as is,
 * backslash as \\, everything else as \n, \r, \t or \xHH.
 */
void	 buf_escape(struct buf *, const char *, size_t);

/*
 * Appends s as a control-port style quoted string ("..." with \\, \" and
 * \ooo for anything unprintable): what reply_unquote reads back.
 */
void	 buf_quote(struct buf *, const char *, size_t);

/* Returns a newly allocated escaped copy of s[0..n) (see buf_escape). */
char	*escape_dup(const char *, size_t);

/*
 * The length of s[0..n)'s first `words` words (space-separated): what a
 * log may show of a line from Tor when LogTargets is not plain (the rest
 * may carry a destination or credentials).
 */
size_t	 words_len(const char *, size_t, unsigned);

#endif
