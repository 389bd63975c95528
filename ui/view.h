/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view.h: what the dashboard knows, fed by the pipeline's observer
 * callbacks: the circuits of the current Tor session with their streams,
 * the applications seen, the findings, and a log.  Pure: no curses, no
 * clock (times come with the calls), no I/O; bounded in memory however
 * long it runs.  The panels read it through the row builders of panel.h.
 */
#ifndef ISOAUDIT_VIEW_H
#define ISOAUDIT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "hindex.h"
#include "idmap.h"

struct buf;
struct ns_router;

struct judge_finding;
struct pipeline_session_info;
struct pipeline_view_circ;
struct pipeline_view_stream;

#define VIEW_CLOSED_CIRCS	32	/* closed circuits that carried streams */
#define VIEW_CLOSED_STREAMS	4	/* closed streams kept per circuit */
#define VIEW_CIRC_IDENTS	16	/* identities remembered per circuit */
#define VIEW_APP_SET		8	/* listeners/processes/exits per app */
#define VIEW_LOG_LINES		500
#define VIEW_MORE_DISTINCT	256	/* values past a full set told apart */
#define VIEW_MAX_APPS		4096
#define VIEW_MAX_FINDINGS	4096	/* causes */
#define VIEW_CAUSE_OCCS		16	/* latest occurrences kept per cause */
#define VIEW_MAX_SERVICES	64	/* local onion services */
#define VIEW_ONION_NAME		80
#define VIEW_PATH_HOPS		8	/* hops kept per circuit */
#define VIEW_RELAYS		64	/* relays Tor told about (ns/id) */
#define VIEW_PRIVILEGE		120	/* the missing privilege's text */

/*
 * The hashes of values past a full set, so that each is counted once (up
 * to VIEW_MORE_DISTINCT of them; past that the count is a floor).
 */
struct vmore {
	uint64_t	*h;
	size_t		 n;
};

struct vstream {
	uint64_t	 id;
	uint64_t	 circ;
	char		 status[16];
	char		*target;
	char		*ident;
	char		*listener;	/* or NULL */
	char		*process;	/* or NULL */
	long		 pid;
	int		 unattributed;
	int		 internal;	/* Tor's own */
	int64_t		 opened;
	int64_t		 closed;	/* 0: open */
	struct vstream	*next;		/* on its circuit (or unattached) */
};

/* A hop of a circuit's path, as the CIRC event named it. */
struct vhop {
	char		 fp[41];	/* 40 hex digits or "" */
	char		 nick[20];	/* or "" */
};

struct vcirc {
	uint64_t	 id;
	char		 status[16];
	char		 purpose[32];
	char		 exit_fp[41];
	char		 exit_nick[20];
	char		 conflux[33];
	struct vhop	 path[VIEW_PATH_HOPS];	/* guard first */
	size_t		 npath;
	size_t		 path_more;	/* hops past VIEW_PATH_HOPS */
	int64_t		 created;	/* TIME_CREATED or first seen */
	int64_t		 closed;	/* 0: open */
	char		 onion[VIEW_ONION_NAME];	/* REND_QUERY as LogTargets
						   allows, or "" */
	int		 service;	/* onion is a local service */
	int		 rend_counted;	/* counted as its service's rendezvous */
	char		*idents[VIEW_CIRC_IDENTS];
	size_t		 nidents;
	size_t		 more_idents;	/* distinct, beyond VIEW_CIRC_IDENTS */
	struct vmore	 more_seen;
	uint32_t	 not_app;	/* bit i: idents[i] is no application
					   (open before attach, Tor's own) */
	int		 real_idents;	/* of them: applications */
	unsigned	 streams_total;
	unsigned	 streams_open;
	struct vstream	*streams;	/* newest first */
};

/* A small set of strings, oldest first; full sets count the rest. */
struct vset {
	char		*v[VIEW_APP_SET];
	size_t		 n;
	size_t		 more;		/* distinct values not kept */
	struct vmore	 seen;
};

struct vapp {
	char		*ident;
	struct vset	 listeners;
	struct vset	 processes;	/* "name[pid]" */
	struct vset	 applications;	/* the judge's names of its streams'
					   applications (SPEC.md 0.2) */
	struct vset	 exits;		/* "nick $FPREFIX" */
	unsigned	 open;
	unsigned	 total;
	unsigned	 circuits;	/* distinct, this session and before */
	int64_t		 first_seen;
	int64_t		 last_seen;
	int		 unattributed;
	int		 internal;
};

/* An occurrence of a cause: where and when it was seen. */
struct voccurrence {
	int64_t		 store_session;	/* the store's, 0: none */
	unsigned	 serial;	/* Tor session */
	uint64_t	 circ_id;	/* 0: none */
	char		 exit_fp[41];	/* "" unknown */
	char		 exit_nick[20];
	char		*streams;	/* JSON array, as the judge gave */
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/*
 * A finding is a cause (SPEC.md 0.2): one per cause key, across circuits
 * and Tor sessions, with the latest VIEW_CAUSE_OCCS of its occurrences.
 */
struct vfinding {
	uint64_t	 seq;		/* order of first appearance */
	char		*cause;		/* the judge's cause key */
	int		 rule;		/* enum rule_id */
	int		 severity;	/* enum severity */
	char		*listener;
	char		*ident_a;
	char		*ident_b;
	char		*detail;	/* the judge's latest */
	char		*remedy;	/* what to do (the profile's), or NULL */
	char		*apps;		/* JSON arrays, as the judge gave */
	char		*identities;
	char		*processes;
	struct voccurrence *occ;	/* least recently seen first */
	size_t		 nocc;
	long		 occurrences;	/* distinct, kept or not */
	long		 count;		/* times seen, all occurrences */
	int64_t		 first_seen;
	int64_t		 last_seen;
	int		 acked;
	int64_t		 acked_at;	/* when, or 0 */
	int		 again;		/* a new occurrence after an ack */
	int64_t		 again_at;	/* its first seen */
};

/*
 * A local onion service of the Tor session: its rendezvous circuits
 * (HS_SERVICE_REND: a client served each) counted as they are built.
 */
struct vservice {
	char		 name[VIEW_ONION_NAME];	/* as LogTargets allows */
	char		 source[12];	/* detached, current, circuits */
	unsigned	 rend_total;
	unsigned	 rend_open;
	unsigned	 intro_open;
	int64_t		 first_seen;
	int64_t		 last_rend;	/* 0: none yet */
};

/*
 * A log line; the same line again (level, source and text) right after
 * it is folded into it, as nyx does: counted, with its latest time.
 */
struct vlog {
	int64_t		 ts;		/* the latest time it was said */
	int64_t		 first_ts;	/* the first */
	unsigned	 repeat;	/* times said (1: once) */
	char		 level[8];	/* "error", "warn", "info", "NOTICE"... */
	char		*text;
	int		 from_tor;
};

/* What Tor said of a relay (GETINFO ns/id/FP, ip-to-country/IP). */
enum vrelay_state {
	VRELAY_ASKED = 0,	/* waiting for Tor */
	VRELAY_KNOWN,		/* a router status came */
	VRELAY_UNKNOWN		/* Tor does not know it (or said nonsense) */
};

struct vrelay {
	char		 fp[41];
	enum vrelay_state state;
	char		 nick[20];
	char		 address[48];
	unsigned	 orport;
	char		 flags[160];
	int		 country_asked;
	int		 country_later;	/* Tor had no GeoIP data: ask on reopening */
	char		 country[3];	/* "de", or "" (no GeoIP, "??") */
	uint64_t	 used;		/* for the least recently used */
};

struct view {
	/* Tor session. */
	unsigned	 serial;
	int		 attached;
	char		*address;
	char		*method;
	char		*version;
	long		 pid;
	int		 bootstrap;	/* -1 unknown */
	char		*bootstrap_summary;
	long		 uptime;	/* s at uptime_at, -1 unknown */
	int64_t		 uptime_at;
	int64_t		 attached_at;
	int64_t		 detached_at;	/* the session's end, 0: none yet */
	char		*end_reason;
	char		 privilege[VIEW_PRIVILEGE];	/* missing, or "" */

	struct idmap	 circs;		/* open ones and the closed kept */
	struct idmap	 stream_ids;	/* open streams */
	uint64_t	 closed_order[VIEW_CLOSED_CIRCS];
	size_t		 nclosed;
	struct vstream	*unattached;	/* streams on no circuit yet */
	unsigned	 streams_open;

	struct vservice	 services[VIEW_MAX_SERVICES];
	size_t		 nservices;

	struct vapp	**apps;
	size_t		 napps;
	size_t		 apps_dropped;
	struct hindex	 app_index;	/* apps by identity */

	struct vfinding	**findings;	/* in order of appearance */
	size_t		 nfindings;
	uint64_t	 next_seq;
	struct hindex	 finding_index;	/* findings by cause */
	size_t		 findings_dropped;
	unsigned	 by_severity[4];	/* SEV_INFO .. SEV_CRITICAL */
	unsigned	 unacked_critical;

	struct vlog	 log[VIEW_LOG_LINES];	/* a ring */
	size_t		 log_start;
	size_t		 nlog;
	uint64_t	 log_total;

	struct vrelay	 relays[VIEW_RELAYS];	/* a cache, by fingerprint */
	size_t		 nrelays;
	uint64_t	 relay_tick;

	uint64_t	 generation;	/* bumped by every change */
};

void	view_init(struct view *);
void	view_free(struct view *);

/* The observer's callbacks (pipeline.h), with the view as arg. */
void	view_session(const struct pipeline_session_info *, void *);
void	view_circ(const struct pipeline_view_circ *, void *);
void	view_stream(const struct pipeline_view_stream *, void *);
void	view_finding(const struct judge_finding *, int64_t, void *);
void	view_service(const char *, const char *, int64_t, void *);
/* The local service of this name, or NULL. */
const struct vservice *view_service_find(const struct view *, const char *);
void	view_tor_log(const char *, const char *, int64_t, void *);
void	view_bootstrap(int, const char *, int64_t, void *);
void	view_uptime(long, int64_t, void *);

/* The finding with this seq, or NULL. */
struct vfinding *view_finding_by_seq(const struct view *, uint64_t);
/* The finding (cause) with this key, or NULL. */
struct vfinding *view_finding_by_cause(const struct view *, const char *);
/* Its most recently seen occurrence, or NULL. */
const struct voccurrence *view_finding_latest(const struct vfinding *);
/*
 * Marks the cause acknowledged at this time (us, the clock of the
 * events); returns 1 if it was not.  An occurrence first seen after that
 * (and after the latest the view knew) makes it unacknowledged and again.
 */
int	view_ack(struct view *, struct vfinding *, int64_t);

/* isoaudit's own message (level name, text: printable already). */
void	view_log(struct view *, const char *, const char *, int64_t);
/* The n-th log line, oldest first (0 <= n < nlog). */
const struct vlog *view_log_line(const struct view *, size_t);

/*
 * A privilege the monitor lacks, for the header ("no CAP_SYS_PTRACE:
 * other users' processes unnamed"): copied, made printable, cut to
 * VIEW_PRIVILEGE - 1; NULL or "" clears it.
 */
void	view_privilege(struct view *, const char *);

/* view_relay.c: the relay with this fingerprint (40 hex), or NULL. */
const struct vrelay *view_relay_find(const struct view *, const char *);
/*
 * The relay's entry, made (VRELAY_ASKED) if there is none: the least
 * recently used goes when the cache is full.  NULL for a fingerprint that
 * is not 40 hex digits.
 */
struct vrelay *view_relay_get(struct view *, const char *);
/* Tor's router status for it (VRELAY_KNOWN); NULL: Tor knows none
 * (VRELAY_UNKNOWN). */
void	view_relay_router(struct view *, const char *,
	    const struct ns_router *);
/* Forgets the relays still waiting for an answer (none will come). */
void	view_relay_forget_asked(struct view *);
/* Its country ("de"), or "" for none. */
void	view_relay_country(struct view *, const char *, const char *);
/* Tor could not say (no GeoIP data): asked again when the details are
 * opened again (view_relay_country_reopen), not at once. */
void	view_relay_country_retry(struct view *, const char *);
/* The details open again: the countries Tor could not say are asked. */
void	view_relay_country_reopen(struct view *);

/* The application with this identity, or NULL. */
struct vapp *view_app(const struct view *, const char *);
/* Applications that shared an exit circuit with this row's (SHARED_CIRCUIT
 * findings naming it or one of its programs on its host): "a, b"
 * (allocated), or NULL; *rules gets the other rules whose findings name
 * it ("SHARED_EXIT, UNISOLATED_PORT"), or NULL. */
char	*view_app_verdict(const struct view *, const struct vapp *, char **);
/*
 * An application's name for a row, where a line has no room for its
 * executable's directory: "/usr/bin/curl (uid 1000)@localhost" ->
 * "curl (uid 1000)@localhost"; other names as they are.  Appends to b.
 */
void	view_app_short(struct buf *, const char *);
/* Whether the circuit (or another leg of its conflux set) carries streams
 * of two different attributed identities. */
int	view_circ_shared(const struct view *, const struct vcirc *);
/* Counts open circuits. */
size_t	view_open_circuits(const struct view *);

#endif
