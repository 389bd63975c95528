/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_int.h: what the files of auditor/store/ share, and nobody else may
 * include.  It is the one header that includes sqlite3.h (store.h is the
 * API the other folders use).
 *
 * Writing: every store_* call appends an operation to an in-memory queue
 * (integers inline, strings in one arena); store_flush() runs the queue in
 * one transaction through statements prepared once.  A failing database
 * (full, locked, unwritable, removed) keeps the queue, up to a bound, and
 * counts what it had to drop; the loop's tick retries with backoff.
 *
 *	store.c		open, migrate, connect, the hash key, close
 *	store_file.c	the path resolved, the files checked, the writer's
 *			lock (one writer per database)
 *	store_key.c	the hash key's file, its fingerprint in the
 *			database, a key of before moved out of it
 *	store_queue.c	the queue: an operation per write, the writes of one
 *			row folded into one operation, and the statements
 *	store_flush.c	flush, and failure: full disk, locked database,
 *			removed file, the backlog in memory, the backoff
 *	store_read.c	the read iterators report uses
 *	store_agg.c	the aggregates of a range (applications,
 *			circuits, sharing): one pass over the streams
 *	store_check.c	check's causes after a cursor
 *	store_prune.c	prune
 */
#ifndef ISOAUDIT_STORE_INT_H
#define ISOAUDIT_STORE_INT_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "fnv.h"
#include "hindex.h"
#include "store.h"

enum op_type {
	OP_SESSION_BEGIN,
	OP_SESSION_INFO,
	OP_SESSION_END,
	OP_SESSION_TOUCH,
	OP_CIRCUIT,
	OP_STREAM,
	OP_ATTACH,
	OP_RELAY,
	OP_APP,
	OP_FINDING,		/* a cause's upsert, then OP_OCCURRENCE */
	OP_ACK,
	OP_SERVICE,		/* a local onion service (schema/003) */
	OP_STREAM_INSERT,	/* not queued: how op_run writes a new stream */
	OP_OCCURRENCE,		/* not queued: an OP_FINDING's occurrence */
	OP_CAUSE_UNDO,		/* not queued: a cause left without one */
	OP_SESSION_NEW,		/* not queued: a session placed (its id) */
	OP_APP_NEW,		/* not queued: an app placed ... */
	OP_APP_ID,		/* ... and its id read back */
	OP__COUNT
};

#define OP_INTS		14
#define OP_STRS		14
#define NO_STR		UINT32_MAX

struct op {
	uint8_t		 type;
	uint16_t	 nulls;		/* bit i: integer i is NULL */
	int64_t		 i[OP_INTS];
	uint32_t	 s[OP_STRS];	/* arena offsets, NO_STR = NULL */
};

/*
 * One statement per operation.  Parameters ?1.. are the integers, then
 * ?(nint+1).. the strings, in the order the op_* builders fill them.
 */
struct op_stmt {
	int		 nint;
	int		 nstr;
	const char	*sql;
};
extern const struct op_stmt store_op_sql[OP__COUNT];

/*
 * Ids.  The pipeline is handed an id at once (a session's, an app's: the
 * next after those in the database when it was opened), and rows refer to
 * it; the row itself is placed inside a write transaction, under that id
 * when it is still free there, else under the one sqlite gives, the
 * difference kept in a short list and applied to every row written.  So
 * even a second writer (no lock held, or a lock that does not work on
 * this filesystem) misfiles nothing.
 */
enum placed {
	PLACED_NOT,		/* not in the database (yet, or any more) */
	PLACED_NOW,		/* in this transaction: undone by a rollback */
	PLACED_DONE		/* committed */
};

struct id_pair {
	int64_t	 local;		/* handed out */
	int64_t	 db;		/* in the database */
};

struct app_entry {
	char	*key;		/* label \x1f host \x1f sub */
	int64_t	 id;		/* handed out */
	int64_t	 db;		/* in the database, once placed */
	uint8_t	 placed;	/* enum placed */
};

/* Sessions begun by this process and not ended: recreated on reopen. */
struct live_session {
	int64_t	 id;
	int64_t	 started;
	char	*control;
	char	*auth;
	char	*source;
	int64_t	 last_event;
	int64_t	 written;	/* last_event as last committed */
	int64_t	 db;		/* its id in the database, once placed */
	uint8_t	 placed;	/* enum placed */
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[OP__COUNT];
	char		*path;		/* as given: what messages name */
	char		*real;		/* resolved: what sqlite opens */
	int		 lockfd;	/* the writer's lock, or -1 */
	enum store_mode	 mode;
	dev_t		 dev;
	ino_t		 ino;
	unsigned char	 key[STORE_SCHEMA_KEY_LEN];
	int		 has_key;	/* key holds the writer's key */
	int		 hash_version;	/* meta 'hash_version': 1 or 2 */
	unsigned	 generation;	/* queues committed (store_generation) */
	char		*keyfile;	/* HashKeyFile, or NULL: PATH.key */
	int		 key_flags;	/* STORE_NEW_KEY */
	int		 version;

	struct op	*ops;
	size_t		 nops;
	size_t		 opcap;
	struct buf	 arena;
	uint64_t	 nfolded;	/* writes folded into queued ops */
	struct hindex	 rowidx;	/* row key -> queued op */

	struct agg	*agg;		/* a range's aggregates (store_agg.c) */
	size_t		 agg_max;	/* circuits it holds, 0: its default */
	struct app_entry *apps;
	size_t		 napps;
	struct hindex	 appidx;	/* apps[].key: apps[0..n) are in it */
	int64_t		 next_app;
	int64_t		 next_session;
	size_t		 napps_unplaced;	/* apps[] not placed */
	size_t		 napps_now;	/* apps[] placed in this transaction */
	struct id_pair	*sdiff;		/* sessions placed under another id */
	size_t		 nsdiff;
	struct id_pair	*adiff;		/* apps placed under another id */
	size_t		 nadiff;
	struct live_session *live;
	size_t		 nlive;

	int		 prune_vacuum;	/* a prune's rows are gone: the
					   space is given back next */
	int64_t		 flush_due;	/* the window's end (mono us), 0:
					   not started */
	int64_t		 window_us;	/* STORE_FLUSH_WINDOW_MS, or a test's */
	int		 noted;		/* the wake was called for the rows
					   queued (cleared by a commit) */
	int		 urgent;	/* a finding at warning or above is
					   queued: commit at the next tick */
	void		(*wake)(void *);
	void		*wake_arg;
	int64_t		 retry_at;
	int		 backoff_ms;
	int		 data_version;
	struct store_stats st;
	uint64_t	 dropped_reported;
	char		 refusal[256];	/* why the last row was refused */
};

/* The hash of the in-memory indexes: v mixed into h. */
static inline uint64_t
mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
	h *= 0xFF51AFD7ED558CCDULL;
	return h ^ (h >> 29);
}

/* The same with a string (NULL too) by its FNV-1a hash. */
static inline uint64_t
mix_str(uint64_t h, const char *str)
{
	return mix64(h, str == NULL ? 0 : fnv1a_str(FNV_OFFSET, str));
}

#define COL_TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)))
#define COL_I64(st, i) sqlite3_column_int64((st), (i))

/*
 * A cause with its occurrences summed (alias c for cause, o for the
 * occurrences taken): what store_cause_row reads.
 */
#define CAUSE_COLS "c.id, c.key, c.rule, c.severity, c.listener, c.apps, " \
	"c.identities, c.processes, c.detail, c.acknowledged, c.again, " \
	"sum(o.count), min(o.first_seen), max(o.last_seen), count(*), " \
	"c.remedy"

/* The occurrences held per cause row; the newest are kept. */
#define STORE_MAX_OCCURRENCES	1000

/* Reads causes' occurrences into rows (store_read.c). */
struct cause_reader {
	sqlite3_stmt		*occ;	/* in index order, no sort */
	sqlite3_stmt		*top;	/* the newest, past the bound */
	struct buf		 arena;
	struct store_occurrence_row *occs;
	size_t			 cap;
	size_t			*offs;	/* exit_fp, streams: arena offsets */
};

/* store.c */
/* What sqlite said of rc (errmsg only when it is still rc's). */
const char *store_errmsg(struct store *, int);
/* Runs sql; -1 with *cause allocated. */
int	store_exec(struct store *, const char *, char **);
/* Opens s->path into s->db with pragmas and schema; keeps s->key if set. */
int	store_connect(struct store *, enum store_err *, char **);
/* Finalizes the statements and closes the connection (s->db NULL). */
void	store_finalize(struct store *);
/* Reads the known apps (into s->apps, placed) and the next ids. */
int	store_load_ids(struct store *, char **);
/* Raises the next session and app ids above those in the database. */
int	store_load_next(struct store *, char **);

/* store_file.c */
/* The directory part of path, allocated ("." when there is none). */
char	*store_dir_of(const char *);
/*
 * Opens an existing file of ours read-only, not through a symbolic link,
 * not blocking: the descriptor and its fstat in *sb; -2 when there is no
 * such file; -1 with *cause (refused as store_file_trusted says, or not
 * opened).
 */
int	store_file_open(const char *, struct stat *, char **);
/* Resolves s->path into s->real (a writer creates its directory). */
int	store_resolve(struct store *, enum store_err *, char **);
/* A writer's checks of the directory and the files beside the database. */
int	store_files_check(struct store *, char **);
/* A reader's name for sqlite (immutable when the directory is shut). */
char	*store_reader_name(const struct store *, int *);
/* Takes the writer's lock (PATH.lock) or says who holds it. */
int	store_lock(struct store *, enum store_err *, char **);
/* file's directory there and trusted; what begins a "missing" message. */
int	store_file_dir_check(const char *, const char *, char **);
/* Directory fit for our files: ours or root's, not writable by others. */
int	store_dir_trusted(const char *, const struct stat *, uid_t, char **);
/* An existing file: 0 fine, 1 ours but too open, -1 refused (*cause). */
int	store_file_trusted(const char *, const struct stat *, uid_t, char **);

/* store_flush.c */
/*
 * A write was queued (store_queue.c): the first after a commit calls the
 * wake callback (a tick starts the window), and so does each one urgent
 * (a finding at warning or above: committed at the next tick).
 */
void	store_note(struct store *, int);

/* store_key.c */
/*
 * A writer's hash key into s->key: read from its file (created on a new
 * database; moved there from a database of before), checked against the
 * fingerprint the database keeps.  0, or -1 with *cause.
 */
int	store_key_load(struct store *, char **);

/* store_queue.c */
/*
 * Splits an app key ("label\x1fhost\x1fsub"; a label may hold \x1f, a host
 * or sub never does): returns the allocated label, with *host and *sub
 * pointing into it, or NULL when the key is not one.
 */
char	*store_app_key_split(const char *, char **, char **);

/* store_read.c */
/* Prepares sql and binds the range as ?1 session, ?2 from, ?3 to. */
sqlite3_stmt *store_range_stmt(struct store *, const char *,
	    const struct store_range *, char **);
/* Finalizes st; -1 with *cause unless rc is SQLITE_DONE. */
int	store_range_done(struct store *, sqlite3_stmt *, int, char **);
/* WHERE for streams (alias x) in the range, parameters ?1..?3. */
void	store_range_where(char *, size_t, const struct store_range *);
/* Prepares r's occurrence statement; 0, or -1 with *cause. */
int	store_cause_reader_init(struct store *, struct cause_reader *, char **);
/* Frees what r holds; takes a zeroed one. */
void	store_cause_reader_free(struct cause_reader *);
/*
 * A row of CAUSE_COLS, with its occurrences in the range (the newest
 * STORE_MAX_OCCURRENCES, oldest first) read into r: valid until the
 * next step or the next call.  0, or -1 with *cause.
 */
int	store_cause_row(struct store *, struct cause_reader *, sqlite3_stmt *,
	    const struct store_range *, struct store_finding_row *, char **);

/* store_agg.c */
struct agg;
/* Frees a range's aggregates; takes NULL. */
void	store_agg_free(struct agg *);
/*
 * When the aggregates of range r are made: 1, with the streams in range,
 * whether one of them went to an onion target, and whether their key
 * order is their (session, opened) order; else 0.
 */
int	store_agg_streams(struct store *, const struct store_range *, long *,
	    int *, int *);

#endif
