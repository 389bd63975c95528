/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ktable.h: the connect tracker's table: who connected each TCP 4-tuple,
 * as the kernel recorded it at connect time (ktrack_bpf.c feeds it).
 * Bounded (the oldest record goes when it is full) and time-limited (a
 * record older than its ttl is never an answer).  No I/O, no clock: times
 * come with the calls.
 */
#ifndef ISOAUDIT_KTABLE_H
#define ISOAUDIT_KTABLE_H

#include <stddef.h>
#include <stdint.h>

#define KTABLE_MAX	65536		/* records kept */
#define KTABLE_TTL_US	(120 * 1000000LL)

/* A record's protocol; a zeroed record is TCP. */
#define KTABLE_TCP	0
#define KTABLE_UDP	1		/* a DNS query's first datagram */

struct ktable_rec {
	int		 family;	/* AF_INET, AF_INET6 */
	int		 proto;		/* KTABLE_TCP, KTABLE_UDP */
	unsigned char	 saddr[16];	/* network order; IPv4 in 4 bytes */
	unsigned	 sport;
	unsigned char	 daddr[16];
	unsigned	 dport;
	long		 tgid;		/* the process */
	long		 pid;		/* the thread that connected */
	long		 uid;
	char		 comm[16];
	char		 exe[256];	/* "" where it could not be read */
	int64_t		 at;		/* when recorded (monotonic us) */
};

struct ktable;

/* Returns a new table of at most max records kept ttl us; never NULL. */
struct ktable *ktable_new(size_t, int64_t);
void	ktable_free(struct ktable *);
/* Adds a copy of a record (its at is when it was recorded). */
void	ktable_add(struct ktable *, const struct ktable_rec *);
/*
 * The newest record of proto (KTABLE_TCP, KTABLE_UDP) from (family,
 * saddr, sport) to (daddr, dport) no older than ttl at now, or NULL.
 * Borrowed: valid until the next ktable_add.
 */
const struct ktable_rec *ktable_find(struct ktable *, int, int,
	    const unsigned char *, unsigned, const unsigned char *, unsigned,
	    int64_t);
/* Records held (some may have expired), and added since the start. */
size_t	ktable_count(const struct ktable *);
unsigned long ktable_added(const struct ktable *);
#endif
