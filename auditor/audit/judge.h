/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge.h: the rules of SPEC.md's findings table, applied to what the
 * pipeline sees.  Pure: no I/O, no clock (times come with the calls), no
 * global.
 *
 * A finding is a cause, not an occurrence (SPEC.md, 0.2): it is kept once
 * per cause key (the rule and the unordered pair of identities, plus the
 * listener for SHARED_PORT_PROCESSES, the exit relay for SHARED_EXIT; the
 * listener for UNISOLATED_PORT, CONTROL_INJECTION and WEAK_PORT_CONFIG
 * with its problem; the identity for NYM_EPOCH_REUSE; the Tor session for
 * PRE_ATTACH), across circuits and Tor sessions, and every occurrence
 * (Tor session, circuit) under it with its exit, streams, count and
 * first/last seen.  Each update of an occurrence is reported through the
 * callback with the cause it belongs to.  Memory is bounded: the least
 * recently seen causes and occurrences are forgotten first, never the one
 * being reported.
 */
#ifndef ISOAUDIT_JUDGE_H
#define ISOAUDIT_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* ISO_FIELDS bits. */
#define ISO_DESTPORT		0x01
#define ISO_DESTADDR		0x02
#define ISO_SOCKS_USERNAME	0x04
#define ISO_SOCKS_PASSWORD	0x08
#define ISO_CLIENT_PROTOCOL	0x10
#define ISO_CLIENTADDR		0x20
#define ISO_SESSION_GROUP	0x40
#define ISO_NYM_EPOCH		0x80

/* What the judge is told about a stream when it is opened. */
struct judge_stream {
	uint64_t	 id;
	const char	*app;		/* the application: "program@host",
					   "TOOL@host", "label@host" */
	const char	*ident;		/* app, or "app/sub" */
	const char	*label;		/* App label */
	const char	*listener;	/* or NULL when unknown */
	long		 pid;		/* 0: unknown */
	const char	*process;
	const char	*claim;		/* "agent:NAME": a workstation agent's
					   claim named the process (not seen
					   here); NULL */
	const char	*host;		/* host label */
	int		 unattributed;	/* open before attach */
	int		 shared_port;	/* SharedPort, TransPort, DNSPort */
	int		 isolate_by_process;
	/* Tor's isolation values (TOR-CONTROL.md). */
	unsigned	 iso;		/* ISO_* of its listener */
	int		 has_iso;
	const char	*target_addr;
	int		 target_port;
	const char	*socks_user;	/* raw bytes, or NULL */
	size_t		 socks_user_len;
	const char	*socks_pass;
	size_t		 socks_pass_len;
	const char	*protocol;
	const char	*client_addr;	/* without the port */
	int64_t		 session_group;
	uint64_t	 nym_epoch;
};

struct judge_finding {
	enum rule_id	 rule;
	enum severity	 severity;
	/* The cause. */
	const char	*cause;		/* its key: stable across circuits,
					   Tor sessions and runs; printable */
	const char	*listener;	/* "" when none */
	const char	*ident_a;	/* "" when none */
	const char	*ident_b;
	const char	*apps;		/* JSON array of labels */
	const char	*identities;	/* JSON array */
	const char	*processes;	/* JSON array of {pid, name} */
	const char	*detail;	/* one line, printable */
	const char	*remedy;	/* what to do on this system (the
					   config's profile), or NULL */
	long		 occurrences;	/* the cause's, as this judge knows */
	long		 cause_count;	/* its occurrences' counts summed */
	int		 is_new;	/* the cause is new: alert */
	/* The occurrence this update is about (this Tor session, circuit). */
	uint64_t	 circ_id;	/* 0: none */
	const char	*exit_fp;	/* its exit relay's fingerprint, "" */
	const char	*streams;	/* JSON array of its stream ids */
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

typedef void (*judge_fn)(const struct judge_finding *, void *);

struct judge;

/* Returns a new judge (config is borrowed); never NULL. */
struct judge *judge_new(const struct config *, judge_fn, void *);
void	judge_free(struct judge *);
/* A new Tor session: forget everything of the last one. */
void	judge_reset(struct judge *);

/* Circuit facts: conflux set and exit; closed circuits are forgotten. */
void	judge_circuit(struct judge *, uint64_t, const char *, const char *,
	    const char *, int);
/* A stream was opened (NEW/NEWRESOLVE): port rules.  Copies what it keeps. */
void	judge_stream_new(struct judge *, const struct judge_stream *, int64_t);
/* The stream (told of by judge_stream_new) is on a circuit now. */
void	judge_attach(struct judge *, uint64_t, uint64_t, int64_t);
/* The stream ended. */
void	judge_stream_closed(struct judge *, uint64_t);
/* A SocksPort line of GETCONF ("127.0.0.1:9150 IsolateDestAddr"). */
void	judge_port_config(struct judge *, const char *, int64_t);
/*
 * Streams were open before isoaudit attached: n of them, in the Tor
 * session named by session (a number unique to it: the store's session id,
 * else the pipeline's serial), which is PRE_ATTACH's cause.
 */
void	judge_pre_attach(struct judge *, unsigned, uint64_t, int64_t);

/*
 * CONTROL_INJECTION: a SOCKS client smuggled lines into Tor's event stream
 * through a hostname (docs/isolation.md); listener is where it came in
 * (or "", or a "group N" when only the session group is known), client
 * its address where Tor said it (or NULL), stream the id Tor gave it.
 */
void	judge_control_injection(struct judge *, const char *, const char *,
	    uint64_t, unsigned, int64_t);

/*
 * CONTROL_INJECTION found by the cross-check: what (printable, no
 * destination) Tor's own state contradicts; stream (or 0) it is about.
 */
void	judge_state_contradiction(struct judge *, const char *, uint64_t,
	    int64_t);
/*
 * A circuit that came back (a CLOSED Tor's own state denies, after
 * judge_circuit() again): the stream goes on it again, the rules run,
 * unless it is on it already.
 */
void	judge_restore_attach(struct judge *, uint64_t, uint64_t, int64_t);

/* Parses ISO_FIELDS names into ISO_* bits. */
unsigned judge_iso_bits(const char *const *, size_t);

#endif
