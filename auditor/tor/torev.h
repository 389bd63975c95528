/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torev.h: replies -> typed events.  STREAM and CIRC get every field of
 * SPEC.md's event dump; unknown keywords are kept; other events keep their
 * raw text.  Pure: no I/O, no clock.
 */
#ifndef ISOAUDIT_TOREV_H
#define ISOAUDIT_TOREV_H

#include <stddef.h>
#include <stdint.h>

#include "reply.h"

struct buf;

enum torev_type {
	TOREV_STREAM = 1,
	TOREV_CIRC,
	TOREV_SIGNAL,
	TOREV_CONF_CHANGED,
	TOREV_OTHER
};

/* A possibly binary string (decoded quoted value); p is NULL when absent. */
struct torev_str {
	const char	*p;
	size_t		 n;
};

struct torev_hop {
	const char	*fp;	/* 40 hex digits without '$', or NULL */
	const char	*nick;	/* or NULL */
};

struct torev_extra {
	const char	*key;
	const char	*val;
	size_t		 vlen;
};

struct stream_ev {
	uint64_t	 id;
	const char	*status;
	uint64_t	 circ_id;
	const char	*target;
	const char	*target_address;
	int		 target_port;		/* -1 when there is none */
	const char	*reason;
	const char	*remote_reason;
	const char	*source;
	const char	*source_addr;
	const char	*purpose;
	struct torev_str socks_username;
	struct torev_str socks_password;
	const char	*client_protocol;
	int		 has_nym_epoch;
	uint64_t	 nym_epoch;
	int		 has_session_group;
	int64_t		 session_group;
	const char	**iso_fields;		/* NULL when absent */
	size_t		 n_iso_fields;
};

struct circ_ev {
	uint64_t	 id;
	const char	*status;
	struct torev_hop *path;			/* NULL when absent */
	size_t		 npath;
	const char	**build_flags;		/* NULL when absent */
	size_t		 n_build_flags;
	const char	*purpose;
	const char	*hs_state;
	const char	*rend_query;
	const char	*created;
	const char	*reason;
	const char	*remote_reason;
	struct torev_str socks_username;
	struct torev_str socks_password;
	const char	*conflux_id;
};

struct torev {
	enum torev_type	 type;
	int64_t		 ts_us;		/* from the reply */
	const char	*name;		/* event keyword */
	char		*raw;		/* the reply's lines, '\n'-joined */
	union {
		struct stream_ev stream;
		struct circ_ev	 circ;
		const char	*signal;	/* TOREV_SIGNAL: its name */
	} u;
	struct torev_extra *extra;	/* unknown keywords, in order */
	size_t		 n_extra;
	/* A STREAM or CIRC event none of whose strings holds a byte a JSON
	 * string escapes (the keyword scanner's fast path saw the line):
	 * the dump copies them as they are. */
	int		 clean;

	/* Storage the pointers above point into. */
	struct kvlist	 kv;
	char		*store;
	size_t		 storecap;
	const char	**lists;
	size_t		 nlists;
	size_t		 listcap;
	struct torev_hop *hops;
	size_t		 hopcap;
	size_t		 extracap;
	char		*join;		/* a multi-line event's lines, joined */
	size_t		 joincap;
};

/* Zeroes ev; call before the first torev_parse on it. */
void	torev_init(struct torev *);
/*
 * Parses an asynchronous reply into ev (reusing ev's storage).  Returns 0,
 * or -1 with *cause allocated when the event is malformed.
 */
int	torev_parse(const struct reply *, struct torev *, char **);
/* Frees what ev holds. */
void	torev_clear(struct torev *);
/* Appends the event as one JSON object (no newline), per SPEC.md. */
void	torev_dump_json(const struct torev *, struct buf *);

/* Parses a decimal id (1-20 digits, fits 64 bits).  Returns 0 or -1. */
int	torev_parse_id(const char *, uint64_t *);

#endif
