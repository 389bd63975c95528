/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * smuggle.h: lines a SOCKS client smuggled into Tor's events, held back
 * before the reply parser sees them (docs/isolation.md, section 5).
 *
 * Tor 0.4.9 copies a rejected SOCKS5 (or DNS) name raw into
 * "650 STREAM N CLOSED 0 NAME:PORT <keywords>": the client's bytes start
 * after "CLOSED 0 " and are at most 255; the last line they make ends with
 * Tor's own keywords.  After such a line (a "rejection") every line that
 * starts within those 255 bytes of the same read is held; one that ends
 * with a rejection's keywords where the client's bytes could still be
 * running ends an injection: it and all held before it are dropped and
 * reported.  Otherwise the held lines go on to the parser, in order, when
 * the read ends.  Pure: no I/O, no clock.
 */
#ifndef ISOAUDIT_SMUGGLE_H
#define ISOAUDIT_SMUGGLE_H

#include <stddef.h>
#include <stdint.h>

struct reply_parser;

#define SMUGGLE_NAME_MAX	255	/* a SOCKS5 name's bytes, at most */

struct smuggle_found {
	uint64_t	 stream;	/* the rejection's stream id (Tor's) */
	unsigned	 lines;		/* lines dropped after the rejection */
	const char	*tail;		/* Tor's keywords (":443 REASON=..."),
					   not NUL-terminated, or NULL */
	size_t		 tail_len;
	int64_t		 ts;
	/*
	 * Not an injection: the next line passed on is a rejection in a run
	 * of whole rejections of new streams (a burst of DNS queries), which
	 * a client could also have written; the caller judges it as such.
	 */
	int		 unsure;
};

typedef void (*smuggle_found_fn)(const struct smuggle_found *, void *);

/* Returns a filter installed on the parser; never NULL. */
struct smuggle *smuggle_new(struct reply_parser *, smuggle_found_fn, void *);
/* Takes NULL. */
void	smuggle_free(struct smuggle *);
/* The read is over: decides on what is held (the live path calls it after
 * each read; a line of another time does it too). */
void	smuggle_end_read(struct smuggle *);
/* Forgets what is held (a new connection). */
void	smuggle_reset(struct smuggle *);
/* Whether lines are held now. */
int	smuggle_holding(const struct smuggle *);

#ifdef ISOAUDIT_PRIVATE
/*
 * Where Tor's keywords of a rejection begin in s[0..n) at or before
 * limit (":PORT REASON=SOCKS_PROTOCOL ... CLIENT_PROTOCOL=...", or a DNS
 * request's ":0 SOURCE_ADDR=... PURPOSE=DNS_REQUEST ..."): the last such
 * offset, or -1.
 */
long	smuggle_tail_at(const char *, size_t, size_t);
/* Whether s[0..n) is a rejection: sets *stream and *rest (where the
 * client's bytes begin). */
int	smuggle_rejection(const char *, size_t, uint64_t *, size_t *);
#endif

#endif
