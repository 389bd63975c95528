/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store.h: the sqlite database.  Only auditor/store/ includes sqlite3.h
 * (through its private store_int.h).  Writes are queued in memory and
 * committed in batches: when STORE_BATCH_ROWS rows are queued, when the
 * oldest queued row has waited STORE_FLUSH_WINDOW_MS, at once when an
 * occurrence of a finding at warning or above is queued, and when the
 * session ends or the store is closed (docs/reliability.md says what a
 * crash can lose); when the database cannot be written (disk full,
 * locked, removed) rows wait in memory up to STORE_MAX_QUEUE and what had
 * to be dropped is counted.
 */
#ifndef ISOAUDIT_STORE_H
#define ISOAUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_KEY_LEN	32
#define STORE_BATCH_ROWS	4096
/*
 * The longest a queued row waits for its commit (30 s): a commit writes
 * every page it touched again (the same b-tree leaves, commit after
 * commit) and once more at the checkpoint, so on a trickle the bytes
 * written fall with the window; 30 s is what a crash or power cut may
 * lose, and less than the cross-check's minute.
 */
#define STORE_FLUSH_WINDOW_MS	30000
#define STORE_MAX_QUEUE		100000
#define STORE_BUSY_MS		200	/* a writer never blocks longer */
#define STORE_READ_BUSY_MS	5000

enum store_mode {
	STORE_WRITE,		/* the writer: takes the lock, creates if
				   missing, migrates, writes */
	STORE_READ,		/* report/check: no lock, never write rows */
	STORE_MAINTAIN		/* prune: writes beside the writer, no lock */
};

/* Why an open failed (decides the exit status and the message). */
enum store_err {
	STORE_OK = 0,
	STORE_ERR_MISSING,	/* STORE_READ and no database there */
	STORE_ERR_NEWER,	/* schema newer than this binary */
	STORE_ERR_BUSY,		/* STORE_WRITE and another writer has it */
	STORE_ERR_OTHER
};

struct store;

/*
 * Opens (creating with its directory 0700 and file 0600 when writing) and
 * brings the schema up to date.  STORE_WRITE takes the writer's lock first
 * (PATH.lock): one writer per database.  A writer refuses a directory or
 * file of another user's or one others may write, and makes its own files
 * 0600.  Returns NULL with *cause allocated and
 * *err set on failure.
 */
struct store *store_open(const char *, enum store_mode, enum store_err *,
	    char **);
/*
 * The same, for a writer with its hash key elsewhere than PATH.key (a
 * file name, HashKeyFile; NULL: PATH.key) and flags: STORE_NEW_KEY begins
 * a new key (the old one forgotten: its hashes match no new one).  Only a
 * STORE_WRITE store has a key; readers need none.
 */
#define STORE_NEW_KEY	0x1
struct store *store_open_key(const char *, const char *, int,
	    enum store_mode, enum store_err *, char **);
/* Flushes what is queued (one last try) and closes; takes NULL. */
void	store_close(struct store *);
const char *store_path(const struct store *);
/*
 * The key for hashing targets and credentials (a writer's: its file's;
 * zeros for a reader).
 */
void	store_hash_key(const struct store *, unsigned char *);
/*
 * Whether the database's hashes are HMAC-SHA256 (meta 'hash_version' 1:
 * its key was begun before release 0.2) rather than SipHash (privacy.h).
 */
int	store_hash_hmac(const struct store *);
unsigned store_generation(const struct store *);
/* Its file's name (a writer's), or NULL. */
const char *store_key_path(const struct store *);

/* --- writing (queued) ---------------------------------------------------- */

/* A new Tor session; returns its id.  Strings are copied. */
int64_t	store_session_begin(struct store *, const char *, const char *,
	    const char *, int64_t);
void	store_session_info(struct store *, int64_t, const char *, long);
void	store_session_end(struct store *, int64_t, const char *, int64_t);

struct store_circ {
	int64_t		 session;
	uint64_t	 circ_id;
	const char	*status;
	const char	*purpose;
	const char	*build_flags;
	const char	*path;
	const char	*exit_fp;
	const char	*exit_nick;
	const char	*conflux_id;
	int64_t		 created;	/* 0: unknown / unchanged */
	int64_t		 built;
	int64_t		 closed;
	const char	*reason;
	const char	*remote_reason;
	const char	*rend_query;	/* the onion address it works for, as
					   LogTargets allows, or NULL */
};
/* Inserts or updates; NULL strings and 0 times leave what is stored. */
void	store_circuit(struct store *, const struct store_circ *);

struct store_stream {
	int64_t		 session;
	uint64_t	 stream_id;
	uint64_t	 circ_id;	/* 0: none */
	const char	*status;
	const char	*listener;
	const char	*client_addr;
	int64_t		 app;		/* 0: unknown */
	long		 pid;		/* 0: unknown */
	const char	*process;
	long		 uid;		/* -1: unknown */
	const char	*protocol;
	const char	*purpose;
	int		 has_nym_epoch;
	int64_t		 nym_epoch;
	int		 has_session_group;
	int64_t		 session_group;
	const char	*iso_fields;
	const char	*socks_username;	/* as LogTargets allows */
	const char	*socks_password;
	const char	*target;		/* as LogTargets allows */
	int		 target_port;		/* -1: unknown */
	int64_t		 opened;
	int64_t		 succeeded;
	int64_t		 closed;
	const char	*reason;
	const char	*remote_reason;
	const char	*attribution;	/* how its application was found
					   (SPEC.md): "tracker", "lookup",
					   "agent:NAME", "credential",
					   "session-group", "none"; or NULL */
	int		 pre_attach;
};
/*
 * Queues r (folded into a queued row of the same stream): 0, or -1 when
 * the queue was full and r was dropped (counted).  A queued row keeps the
 * first target, isolation fields and credentials it was given: a writer
 * may leave them out of later events of the stream while store_generation
 * stays what it was when they were queued.  It changes when the queue is
 * committed: the next event's row is a new one, whole again (so that a
 * database begun again under a running stream, or a row refused, never
 * leaves the stream's next row without them).
 */
int	store_stream(struct store *, const struct store_stream *);
void	store_attach(struct store *, int64_t, uint64_t, uint64_t, int64_t);
void	store_relay(struct store *, const char *, const char *, int64_t);
/*
 * A local onion service of the session (its address as LogTargets
 * allows) and how it was learnt: "detached", "current" (GETINFO
 * onions/...) or "circuits" (REND_QUERY on an HS_SERVICE_* circuit).
 */
void	store_service(struct store *, int64_t, const char *, const char *,
	    int64_t);
/* The id of an application identity (created when new). */
int64_t	store_app(struct store *, const char *, const char *, const char *);
/* An update of an occurrence of a cause (judge.h: a finding is a cause). */
struct store_finding {
	int64_t		 session;	/* the occurrence's Tor session */
	const char	*cause;		/* the cause's key */
	const char	*rule;
	const char	*severity;
	const char	*listener;	/* NULL or "": none */
	const char	*ident_a;
	const char	*ident_b;
	const char	*apps;		/* the cause's, JSON arrays */
	const char	*identities;
	const char	*processes;
	const char	*detail;
	const char	*remedy;	/* what to do, or NULL */
	uint64_t	 circ_id;	/* the occurrence's circuit, 0: none */
	const char	*exit_fp;	/* its exit relay, NULL or "": unknown */
	const char	*streams;	/* its streams, a JSON array */
	long		 count;		/* its count */
	int64_t		 first_seen;	/* its first and last seen */
	int64_t		 last_seen;
};
/*
 * Inserts or updates the cause with f's key and its occurrence (session,
 * circuit).  An occurrence of an acknowledged cause seen after the
 * acknowledgement makes it unacknowledged and "again" (check says so).
 */
void	store_finding(struct store *, const struct store_finding *);
/* Acknowledges the cause with this key at this time (us). */
void	store_ack(struct store *, const char *, int64_t);
/* Notes the time of the latest event of a session (written at flush). */
void	store_touch(struct store *, int64_t, int64_t);

/* Writes what is queued now.  Returns 0, or -1 (rows kept, reported). */
int	store_flush(struct store *);
/*
 * The event loop's store timer (now in us, on the monotonic clock:
 * time_mono_us): commits what is due (the window's end, a full batch, a
 * finding at warning or above) and retries a failing database with
 * backoff.  Returns when it wants to be called again (us, on now's clock),
 * or 0: nothing queued, no timer (the wake callback says when rows come).
 * A now that goes back restarts the window from it.  Whether the database
 * file was removed or replaced (then it is created again) is checked
 * before every commit (store_flush), never by polling.
 */
int64_t	store_tick(struct store *, int64_t);
/*
 * fn(arg) is called when rows are queued with none before (the store
 * wants a tick, to start the window) and when a finding at warning or
 * above is queued (a tick at once).  It is called from inside the
 * store_* write calls: it must only arm a timer, never write or flush.
 */
void	store_set_wake(struct store *, void (*)(void *), void *);
/* The window (ms, > 0) instead of STORE_FLUSH_WINDOW_MS (tests). */
void	store_set_window(struct store *, long);

struct store_stats {
	uint64_t	commits;
	uint64_t	rows_written;
	uint64_t	rows_queued;
	uint64_t	rows_dropped;
	uint64_t	rows_refused;	/* of those: refused by the schema */
	uint64_t	failures;
	int		failing;
	char		last_error[160];
};
void	store_stats(const struct store *, struct store_stats *);

/* --- maintenance ------------------------------------------------------- */

/* What a prune deleted (store_prune.c says which rows go and which stay). */
struct store_prune_stats {
	long	streams;	/* with their attachments */
	long	circuits;
	long	occurrences;
	long	causes;		/* left without an occurrence */
	long	sessions;	/* left empty */
	long	apps;		/* left without a stream */
	long	relays;
	long	services;	/* local onion services */
};

/* Rows of each kind one prune step deletes at most (one transaction). */
#define STORE_PRUNE_BATCH	2000
/* Free pages one prune step gives back at most (4 MB of 4 KiB pages). */
#define STORE_PRUNE_VACUUM_PAGES 1000

/*
 * One step of a prune: deletes rows older than the cutoff (us, the wall
 * clock's, as stored times are) by each row's own times, at most
 * STORE_PRUNE_BATCH of each kind in one write transaction, and adds what
 * went to *st; once they are gone, the next steps give the space back
 * (STORE_PRUNE_VACUUM_PAGES each).  Returns 1 when more is left (call
 * again), 0 when done, -1 with *cause.
 */
int	store_prune_step(struct store *, int64_t, struct store_prune_stats *,
	    char **);
/* A whole prune, in steps: *st zeroed first.  0, or -1 with *cause. */
int	store_prune(struct store *, int64_t, struct store_prune_stats *,
	    char **);

/* --- reading (report, check) ------------------------------------------- */

struct store_range {
	int64_t		session;	/* one session, or 0 */
	int64_t		from;		/* us, 0 = open */
	int64_t		to;		/* us, 0 = open */
};

/*
 * Every read that follows sees one snapshot of the database, whatever a
 * writer commits meanwhile, until store_snapshot_end.  0, or -1 with
 * *cause.
 */
int	store_snapshot(struct store *, char **);
void	store_snapshot_end(struct store *);

/* The latest session's id, 0 when there is none, -1 on an error. */
int64_t	store_latest_session(struct store *);

struct store_session_row {
	int64_t		 id;
	const char	*tor_version;
	const char	*control;
	const char	*auth;
	const char	*source;
	long		 pid;
	int64_t		 started;
	int64_t		 ended;		/* 0: still open */
	const char	*end_reason;
	int64_t		 last_event;
};

struct store_app_row {
	int64_t		 id;
	const char	*label;
	const char	*host;
	const char	*sub;
	const char	*listeners;	/* space separated */
	const char	*processes;	/* "name[pid] ..." */
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

struct store_circ_row {
	int64_t		 session;
	uint64_t	 circ_id;
	const char	*purpose;
	const char	*conflux_id;
	const char	*exit_fp;
	const char	*exit_nick;
	const char	*apps;		/* app ids, comma separated */
	long		 streams;
	int64_t		 created;
	int64_t		 closed;
};

struct store_stream_row {
	int64_t		 session;
	uint64_t	 stream_id;
	uint64_t	 circ_id;
	const char	*status;
	const char	*listener;
	const char	*client_addr;
	int64_t		 app;
	long		 pid;
	const char	*process;
	long		 uid;
	const char	*protocol;
	const char	*target;
	int		 target_port;
	int64_t		 opened;
	int64_t		 closed;
	const char	*reason;
	const char	*attribution;	/* or NULL: recorded before 0.2 */
};

/* An occurrence of a cause. */
struct store_occurrence_row {
	int64_t		 session;
	uint64_t	 circ_id;	/* 0: none */
	const char	*exit_fp;	/* NULL: unknown */
	const char	*streams;	/* JSON array as stored */
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

/* A cause, with its occurrences in the range (oldest first). */
struct store_finding_row {
	int64_t		 id;
	const char	*cause;		/* its key */
	const char	*rule;
	const char	*severity;
	int64_t		 session;	/* of its latest occurrence in range */
	uint64_t	 circ_id;	/* of its latest occurrence in range */
	const char	*listener;
	const char	*apps;		/* JSON arrays as stored */
	const char	*identities;
	const char	*processes;
	const char	*streams;	/* of its latest occurrence in range */
	long		 count;		/* summed over the occurrences in range */
	int64_t		 first_seen;	/* over the occurrences in range */
	int64_t		 last_seen;
	const char	*detail;
	const char	*remedy;	/* what to do, or NULL */
	int		 acknowledged;
	int		 again;		/* it came back after an acknowledgement */
	const struct store_occurrence_row *occurrences;
	size_t		 noccurrences;
	/* How many it has in the range: noccurrences holds the newest
	 * STORE_MAX_OCCURRENCES (1000) of them (memory stays bounded). */
	size_t		 noccurrences_total;
};

/*
 * Iterators: call fn for each row in the range (rows valid during the
 * call).  Return 0, or -1 with *cause.
 */
int	store_each_session(struct store *, const struct store_range *,
	    void (*)(const struct store_session_row *, void *), void *, char **);
int	store_each_app(struct store *, const struct store_range *,
	    void (*)(const struct store_app_row *, void *), void *, char **);
int	store_each_circuit(struct store *, const struct store_range *,
	    void (*)(const struct store_circ_row *, void *), void *, char **);
int	store_each_stream(struct store *, const struct store_range *,
	    void (*)(const struct store_stream_row *, void *), void *, char **);
/* The causes with an occurrence in the range, most severe first. */
int	store_each_finding(struct store *, const struct store_range *,
	    void (*)(const struct store_finding_row *, void *), void *, char **);
/* The same, of one severity ("": of none of the four), at most limit
 * (-1: all). */
int	store_each_finding_of(struct store *, const struct store_range *,
	    const char *, long,
	    void (*)(const struct store_finding_row *, void *), void *, char **);
/* How many causes of each stored severity the range holds. */
int	store_count_findings(struct store *, const struct store_range *,
	    void (*)(const char *, long, void *), void *, char **);
/* How many circuits the streams in range were attached to. */
int	store_count_circuits(struct store *, const struct store_range *,
	    long *, char **);
/*
 * The circuits of the exit circuits that carried two applications or
 * more, by exit circuit (conflux legs together), at most limit (-1: all);
 * *total: how many there are.
 */
int	store_each_shared_circuit(struct store *, const struct store_range *,
	    long, void (*)(const struct store_circ_row *, void *), void *,
	    long *, char **);
/* Each pair of applications (ids, a < b) with the number of exit
 * circuits (conflux sets count once) both used, when not 0. */
int	store_each_share(struct store *, const struct store_range *,
	    void (*)(int64_t, int64_t, long, void *), void *, char **);
/* A local onion service (schema/003) with its circuits in the range. */
struct store_service_row {
	int64_t		 session;
	const char	*address;	/* as LogTargets allowed */
	const char	*source;	/* detached, current, circuits */
	int64_t		 first_seen;
	long		 rend_circuits;	/* HS_SERVICE_REND */
	long		 rend_open;	/* of them, open (session not ended) */
	long		 intro_circuits;	/* HS_SERVICE_INTRO */
	int64_t		 first_rend;	/* 0: none */
	int64_t		 last_rend;
};
/* The local onion services of the sessions in range. */
int	store_each_service(struct store *, const struct store_range *,
	    void (*)(const struct store_service_row *, void *), void *,
	    char **);

/* An onion destination the applications reached (client side). */
struct store_onion_row {
	const char	*target;	/* "h:….onion", "….onion", "onion" */
	int		 target_port;	/* -1: unknown */
	long		 streams;
	long		 circuits;	/* distinct */
	int64_t		 first_seen;
	int64_t		 last_seen;
	const char	*apps;		/* app ids, comma separated, or NULL */
};
/* The streams in range to onion targets, by target and port. */
int	store_each_onion_target(struct store *, const struct store_range *,
	    void (*)(const struct store_onion_row *, void *), void *,
	    char **);
/*
 * Where each NYM_EPOCH of a Tor session begins in the range (its first
 * stream), oldest first, at most limit: the NEWNYM signals as the streams
 * show them.  0, or -1 with *cause.
 */
int	store_each_nym_epoch(struct store *, const struct store_range *, long,
	    void (*)(int64_t, int64_t, int64_t, void *), void *, char **);
/* How many streams the range holds: 0 or -1 with *cause. */
int	store_count_streams(struct store *, const struct store_range *,
	    long *, char **);

/* --- check: new findings under a cursor ---------------------------------- */

/* The newest Tor session's last activity, for --max-silence. */
struct store_silence {
	int	 none;		/* no session at all */
	int64_t	 session;
	int64_t	 last;		/* us: last event, start or end */
	int64_t	 silence;	/* us since */
	int64_t	 ended;		/* 0: not ended */
	const char *control;
};

struct store_check {
	const char	*cursor;	/* name, or NULL: by time */
	int64_t		 since;		/* without a cursor: first_seen from */
	int64_t		 now;
	int64_t		 max_silence;	/* us, 0: not asked */
	/* Each candidate row in order; -1 aborts (nothing moves). */
	int		(*finding)(const struct store_finding_row *, void *);
	int		(*silence)(const struct store_silence *, void *);
	void		*arg;
};
/*
 * Hands the causes that are new or came back after an acknowledgement
 * ("again") since the cursor (or, without one, first seen since) to fn,
 * then moves the cursor past them, all in one write transaction, so that
 * two checks under one name never see a cause twice for one appearance.  Returns 0, or -1 with
 * *cause (a database locked past the busy timeout, read-only, ...).
 */
int	store_check(struct store *, const struct store_check *, char **);

/*
 * A 32-byte key file called what ("agent key file") read into key, checked
 * as the hash key's (ours, regular, no link, 32 bytes, not writable by
 * others; made 0600 with a warning ending in advice).  1 read, 0 no such
 * file, -1 with *cause.
 */
int	store_secret_read(const char *, const char *, const char *,
	    unsigned char *, char **);

#ifdef ISOAUDIT_PRIVATE
/* For the unit tests only. */
/* Schema version this binary knows, and the database's. */
int	store_schema_latest(void);
int	store_schema_version(const struct store *);
/* Whether rows are waiting for the next flush. */
int	store_pending(const struct store *);
/* The circuits a report's aggregates hold in memory (0: the default);
 * past them sqlite's temporary tables (store_agg.c). */
void	store_agg_max_circs(struct store *, size_t);
/* Gives the writer's lock up (as if it did not work): a test's 2nd writer. */
void	store_unlock(struct store *);
/* The fingerprint of a key the database keeps: 32 hex digits and NUL. */
#define STORE_KEY_ID_LEN	32
void	store_key_id(const unsigned char *, char *);
struct stat;
/*
 * Whether a key file's fstat fits: 0 yes, 1 readable by others (to be
 * made 0600), -1 refused with *cause (size, writable by others).
 */
int	store_key_stat(const char *, const struct stat *, char **);
#endif

#endif
