/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_int.h: what the files of report/ share, and nobody else includes:
 * the report as loaded (report.c), the output sink, and the helpers the
 * format writers (report_text.c, report_json.c, report_csv.c,
 * report_html.c) call.
 */
#ifndef ISOAUDIT_REPORT_INT_H
#define ISOAUDIT_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "store.h"

#define REPORT_FLUSH	65536	/* write the output buffer out past this */
/*
 * Text and HTML are for a person: of each long list (the findings of one
 * severity, the circuits that carried two applications, the pairs that
 * shared) they show this many, then "... and N more"; JSON and CSV list
 * every one.
 */
#define REPORT_SHOW_ROWS	200
/* The occurrences text and HTML name per finding (then "and N more"). */
#define REPORT_SHOW_OCC		50

/*
 * A finding's severity is config.h's enum severity; one stored under
 * another name (only the four lower-case names count) gets this value,
 * outside the enum's, and is listed last.
 */
#define REPORT_SEV_OTHER	((enum severity)(SEV_OFF - 1))
#define REPORT_NSEV	(SEV_CRITICAL + 1)	/* info .. critical */
/* The order of the findings' lists: most severe first, then the others. */
#define REPORT_NORDER	5
extern const enum severity report_sev_order[REPORT_NORDER];

struct rep_session {
	int64_t		 id;
	char		*tor_version;
	char		*control;
	char		*auth;
	char		*source;
	long		 pid;
	int64_t		 started;
	int64_t		 ended;
	char		*end_reason;
	int64_t		 last_event;
};

struct rep_app {
	int64_t		 id;
	char		*label;
	char		*host;
	char		*sub;
	char		*ident;		/* label@host[/sub], raw */
	char		*listeners;	/* space separated */
	char		*processes;	/* "name[pid] ..." */
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

struct rep_circ {
	int64_t		 session;
	uint64_t	 circ_id;
	char		*purpose;
	char		*conflux_id;
	char		*exit_fp;
	char		*exit_nick;
	char		*apps_raw;	/* app ids as stored */
	size_t		*apps;		/* indexes into report.apps, sorted */
	size_t		 napps;
	long		 streams;
	int64_t		 created;
	int64_t		 closed;
};

/* Two applications (indexes, a < b) and the exit circuits both used. */
struct rep_share {
	size_t		 a;
	size_t		 b;
	long		 n;
};

struct app_key;

struct rep_finding {
	int64_t		 id;
	char		*rule;
	char		*severity;
	enum severity	 sev;		/* REPORT_SEV_OTHER: not a known name */
	int64_t		 session;
	uint64_t	 circ_id;
	char		*listener;
	char		*apps;		/* JSON arrays as stored */
	char		*identities;
	char		*processes;
	char		*streams;
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
	char		*detail;
	char		*remedy;	/* what to do, or NULL */
	int		 acknowledged;
	/* 0.2: a finding is a cause (session, circ_id and streams above
	 * are its latest occurrence's in the range, count their sum). */
	char		*cause;		/* the key */
	int		 again;		/* came back after an acknowledgement */
	struct store_occurrence_row *occ;	/* in range, oldest first;
						   strings owned */
	size_t		 nocc;
	size_t		 nocc_total;	/* in range (nocc: the newest held) */
};

/* A local onion service (schema/003), its address as LogTargets kept it. */
struct rep_service {
	int64_t		 session;
	char		*address;
	char		*source;
	int64_t		 first_seen;
	long		 rend_circuits;
	long		 rend_open;
	long		 intro_circuits;
	int64_t		 first_rend;
	int64_t		 last_rend;
};

/* An onion destination of the applications (client side). */
struct rep_onion {
	char		*target;	/* as LogTargets kept it */
	int		 port;		/* -1: unknown */
	long		 streams;
	long		 circuits;
	int64_t		 first_seen;
	int64_t		 last_seen;
	char		*apps_raw;	/* app ids as stored */
	size_t		*apps;		/* indexes into report.apps, sorted */
	size_t		 napps;
};

struct report {
	struct store		*store;
	struct store_range	 range;
	int			 all;		/* --all */
	int64_t			 now;
	int64_t			 from;		/* the span covered, 0 = open */
	int64_t			 to;
	int			 same_day;	/* tables show times only */

	struct rep_session	*sessions;
	size_t			 nsessions, csessions;
	struct rep_app		*apps;
	size_t			 napps, capps;
	struct app_key		*keys;		/* app ids, sorted, to look up */
	size_t			 ncircs;	/* circuits in range */
	/* Text and HTML: the circuits of the first REPORT_SHOW_ROWS exit
	 * circuits that carried two applications, of shared_total. */
	struct rep_circ		*shared;
	size_t			 nshared, cshared;
	long			 shared_total;
	struct rep_share	*pairs;		/* sorted */
	size_t			 npairs, cpairs;
	/* Text and HTML: the first REPORT_SHOW_ROWS findings of each
	 * severity (nfindings), of nfindings_total. */
	struct rep_finding	*findings;
	size_t			 nfindings, cfindings;
	size_t			 nfindings_total;
	long			 sev_other;	/* of no known severity */
	struct rep_service	*services;
	size_t			 nservices, cservices;
	struct rep_onion	*onions;
	size_t			 nonions, conions;
	long			 onion_streams;
	long			 nstreams;
	long			 sev[REPORT_NSEV];	/* by enum severity */
};

/* Where a format writes: a FILE behind a buffer flushed in big pieces. */
struct out {
	FILE		*f;
	char		*path;		/* NULL: stdout */
	struct buf	 b;
	int		 error;		/* errno of the first failed write */
	char		*cause;		/* a read that failed while writing */
};


static inline int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* --- report.c ------------------------------------------------------------- */

/* Writes what o's buffer holds (the first error is kept for the end). */
void	report_out_flush(struct out *);
/* Writes the buffer out once it holds REPORT_FLUSH bytes. */
static inline void
out_maybe_flush(struct out *o)
{
	if (o->b.len >= REPORT_FLUSH)
		report_out_flush(o);
}
/* Creates (0600) name in directory fd for o; 0, or -1 with *cause. */
int	report_out_create(struct out *, int, const char *, const char *,
	    char **);
/* Flushes and closes (not stdout), frees o's buffer; 0, or -1, *cause. */
int	report_out_finish(struct out *, char **);

/* s printable, UTF-8 kept; with html also entities (HTML and CSV). */
void	report_esc_utf8(struct buf *, const char *, int);
/* RFC 3339 into a TIME_RFC3339_LEN buffer, "" for 0. */
void	report_t3339(int64_t, char *);
/* "42s", "40m 05s", "3h 02m", "2d 04h". */
void	report_duration(int64_t, char *, size_t);
/* A finding's stored list for a person, raw; 0 if it is not an array. */
size_t	report_list_plain(struct buf *, const char *);
/* The distinct values of a string field of the sessions (at offset). */
void	report_session_values(const struct report *, struct buf *, size_t);
/* "session 1 circuit 79 listener X", raw. */
void	report_finding_where(struct buf *, const struct rep_finding *);
/* "3 occurrences: session 1 circuits 79, 81; session 2 circuit 5", raw;
 * at most max circuits named, then "and N more". */
void	report_occurrences(struct buf *, const struct rep_finding *, size_t);
/* A finding as check and the JSON report write it (pointers into f). */
void	report_finding_row(const struct rep_finding *,
	    struct store_finding_row *);
/* "Tor session 3", "2 Tor sessions", "all 5 Tor sessions", raw. */
void	report_range_title(const struct report *, struct buf *);
/* The application labels of apps (indexes into r->apps, as a circuit's or
 * an onion destination's): an allocated array of pointers into r, sorted,
 * one label once; returns how many. */
size_t	report_labels(const struct report *, const size_t *, size_t,
	    const char ***);
/* The same, appended to b joined by ", " (raw); returns how many. */
size_t	report_labels_join(struct buf *, const struct report *,
	    const size_t *, size_t);
/* "nick $ABCDEF01", raw, '?' when unknown. */
void	report_exit_name(struct buf *, const struct rep_circ *);

/* Exit circuits two applications i and j both used (indexes). */
long	report_share(const struct report *, size_t, size_t);
/* Each circuit in range, read as it is handed to fn (JSON, CSV); a read
 * error is kept in o (report_out_finish says it). */
void	report_each_circuit(const struct report *, struct out *,
	    void (*)(const struct rep_circ *, void *), void *);
/* Each finding in range, most severe first, with every occurrence held. */
void	report_each_finding(const struct report *, struct out *,
	    void (*)(const struct rep_finding *, void *), void *);

/* --- report_remedy.c ------------------------------------------------------ */

/* What a rule means and what to change (one table, text and HTML). */
struct report_remedy {
	const char	*rule;		/* SHARED_CIRCUIT, ... */
	const char	*means;		/* after "A and B ": what happened */
	const char	*fix;		/* what to change, one paragraph */
};
/* The rule's entry, or NULL for a name the table does not know. */
const struct report_remedy *report_remedy_find(const char *);
/* Entry i of the table, NULL past its end (for the tests). */
const struct report_remedy *report_remedy_at(size_t);

/* --- processes, collapsed ------------------------------------------------- */

/* One program of a list of processes, and how many of them. */
#define REPORT_PROC_NAMES	32	/* programs kept per list ("N more") */
#define REPORT_PROC_PIDS	64	/* pids kept per program */
struct rep_proc {
	char		*name;		/* raw */
	char		*claim;		/* an agent's ("agent:ws1"), or NULL */
	long		 count;		/* processes of that name */
	long		*pids;		/* the first REPORT_PROC_PIDS */
	size_t		 npids;
};
struct rep_procs {
	struct rep_proc	 p[REPORT_PROC_NAMES];
	size_t		 n;
	long		 more;		/* processes of programs past p[] */
	long		 total;
};
/* A finding's stored JSON list of {"pid", "name"} grouped by name. */
void	report_procs_json(struct rep_procs *, const char *);
/* An application's "name[pid] name[pid] ..." grouped by name. */
void	report_procs_text(struct rep_procs *, const char *);
void	report_procs_free(struct rep_procs *);

/* --- report_svg.c: the pictures of the HTML report ------------------------ */

#define TL_MAX_LANES	14	/* applications drawn as lanes */
#define TL_MAX_BARS	600	/* circuits drawn one by one */
#define TL_SLOTS	280	/* past them: a lane in this many slots */
#define TL_MAX_EXITS	256	/* exits told apart (others: grey) */
#define TL_MAX_MARKS	120	/* NEWNYM and restart lines */

enum tl_mark { TL_RESTART, TL_NEWNYM };

struct tl_bar {
	uint16_t	 lane;
	uint16_t	 exit;		/* exits[] + 1, 0 unknown */
	int64_t		 session;
	uint64_t	 circ_id;
	int64_t		 from;
	int64_t		 to;
};

struct tl_lane {
	char		*name;		/* raw */
	long		 circuits;
	uint16_t	 slot[TL_SLOTS];	/* exit + 1, 0 none, TL_MIXED */
};
#define TL_MIXED	UINT16_MAX

struct rep_timeline {
	int64_t		 t0, t1;	/* the x axis */
	struct tl_lane	 lanes[TL_MAX_LANES];
	size_t		 nlanes;
	long		 more_lanes;	/* applications not drawn */
	struct tl_bar	*bars;		/* while nbars <= TL_MAX_BARS */
	size_t		 nbars;
	long		 total_bars;	/* circuits of the lanes */
	char		*exit_fp[TL_MAX_EXITS];
	char		*exit_nick[TL_MAX_EXITS];
	size_t		 nexits;
	struct {
		enum tl_mark	 kind;
		int64_t		 t;
		int64_t		 n;	/* session, or epoch */
	}		 marks[TL_MAX_MARKS];
	size_t		 nmarks;
	long		 more_marks;
};

void	report_tl_init(struct rep_timeline *, int64_t, int64_t);
/* A lane for an application (raw name): its index, -1 when full. */
int	report_tl_lane(struct rep_timeline *, const char *);
/* A circuit of lane from .. to (to 0: open until t1). */
void	report_tl_circuit(struct rep_timeline *, int, int64_t, uint64_t,
	    const char *, const char *, int64_t, int64_t);
void	report_tl_mark(struct rep_timeline *, enum tl_mark, int64_t, int64_t);
/* The timeline as an inline <svg> element (every name escaped). */
void	report_tl_svg(struct buf *, const struct rep_timeline *);
void	report_tl_free(struct rep_timeline *);
/* A stable colour of the fixed palette for an exit fingerprint. */
const char *report_exit_colour(const char *);

#define GRAPH_MAX_NODES	16	/* applications drawn */
#define GRAPH_MAX_EDGES	120

struct rep_edge {
	size_t		 a;		/* indexes into the names */
	size_t		 b;
	long		 n;		/* circuits both used */
	int		 critical;
};
/*
 * The sharing graph as an inline <svg>: the first GRAPH_MAX_NODES names
 * on a circle, the edges among them (width by n, red when critical); the
 * rest counted in a caption.
 */
void	report_graph_svg(struct buf *, const char *const *, size_t,
	    const struct rep_edge *, size_t);

/* --- the writers ---------------------------------------------------------- */

void	report_text_write(const struct report *, struct out *);
/* The text report's width for f: its terminal's (TIOCGWINSZ), else
 * $COLUMNS, else 80; within 60 .. 300. */
size_t	report_text_width(FILE *);
void	report_json_write(const struct report *, struct out *);
void	report_html_write(const struct report *, struct out *);
/* One CSV table (enum csv_table of report_csv.c).  0, or -1 with *cause. */
int	report_csv_write(const struct report *, int, struct out *, char **);
/* The eight tables as NAME.csv into a directory.  0, or -1 with *cause. */
int	report_csv_write_dir(const struct report *, const char *, char **);

#endif
