/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_int.h: what the judge's files share (judge.c: the rules; judge_cause.c:
 * causes and their occurrences).  Nothing else includes it.
 */
#ifndef ISOAUDIT_JUDGE_INT_H
#define ISOAUDIT_JUDGE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hindex.h"
#include "idmap.h"
#include "judge.h"

#define JUDGE_PORT_WINDOW_US	(600LL * 1000000)	/* MaxCircuitDirtiness */
#define JUDGE_PORT_USERS	64	/* remembered per listener */
#define JUDGE_FINDING_STREAMS	20	/* stream ids kept per finding */
#define JUDGE_FINDING_LIST	64	/* labels, identities kept per finding */
#define JUDGE_FINDING_PROCS	32	/* processes kept per finding */
/*
 * Occurrences and causes remembered at most (a session of days on a shared
 * port meets a new pair of processes every few minutes; a flood of
 * findings must not grow memory).  An occurrence of a circuit is forgotten
 * when the circuit closes (Tor does not reuse circuit ids); past these
 * bounds the least recently seen go first, occurrences down to three
 * quarters, then causes no occurrence holds.  Never the one being handed
 * out.  A cause forgotten that happens again is new again to this judge
 * (alerted again; its row in the database goes on).
 */
#define JUDGE_MAX_OCCS		4096
#define JUDGE_MAX_CAUSES	4096
#define CONFLUX_KEY		(1ULL << 63)

#define JSTREAM_NSTR	12	/* its strings, judge.c */

struct jstream {
	uint64_t	 id;
	char		*ident;
	uint64_t	 ihash;		/* str_hash(ident) */
	char		*app;		/* the application (ident without
					   a sub-identity) */
	uint64_t	 ahash;		/* str_hash(app) */
	char		*label;
	char		*listener;
	char		*process;
	char		*claim;		/* "agent:NAME", or NULL */
	char		*host;
	long		 pid;
	int		 unattributed;
	int		 shared_port;
	int		 by_process;
	unsigned	 iso;
	int		 has_iso;
	char		*target_addr;
	int		 target_port;
	char		*user;
	size_t		 ulen;
	char		*pass;
	size_t		 plen;
	char		*protocol;
	char		*client_addr;
	int64_t		 group;
	uint64_t	 epoch;
	uint64_t	 circ;		/* attached to, 0 none */
	uint64_t	 key;		/* its exit key */
	int64_t		 ts;
	struct jstream	*cprev, *cnext;	/* of its identity on circ, open */
};

struct jcuser {				/* an identity's open streams on a
					   circuit (SHARED_EXIT) */
	uint64_t	 ihash;		/* of head->ident */
	struct jstream	*head;		/* the latest attached; ->cnext */
	size_t		 open;		/* how many */
};

struct jcirc {
	uint64_t	 key;
	unsigned	 nfind;		/* occurrences about this circuit */
	struct jcuser	*users;		/* each identity once */
	size_t		 nusers;
	char		 exit_fp[41];
	char		 exit_nick[20];
	char		 conflux[33];
};

struct juser {				/* an identity on an exit key */
	char		*ident;
	uint64_t	 ihash;
	char		*label;
	long		 pid;
	char		*process;
	char		*claim;
	uint64_t	 stream;
};

struct jfpkey {
	uint64_t	 key;
	size_t		 n;
};

struct jfp {				/* the open circuits ending at an exit */
	char		 fp[41];
	struct jfp	*next;		/* another of the same str_hash */
	struct jfpkey	*keys;		/* their exit keys, each once */
	size_t		 nkeys;
	uint64_t	*circs;		/* their ids */
	size_t		 ncircs;
};

struct jexit {
	struct jstream	*first;		/* copy of its first stream */
	struct juser	*users;
	size_t		 nusers;
	unsigned	 circuits;	/* open circuits with this key */
};

struct jport {				/* who used a listener lately */
	char		*listener;
	struct {
		struct jstream	*s;	/* a copy: application, isolation */
		int64_t		 ts;
	}		 users[JUDGE_PORT_USERS];
	size_t		 n;
};

/*
 * A cause (judge.h): who and what, across circuits and Tor sessions.  Its
 * lists only grow; their JSON is built again only when one has grown.
 */
struct jcause {
	enum rule_id	 rule;
	char		*key;		/* printable, stable */
	uint64_t	 hash;		/* of key */
	char		*listener;
	char		*a;
	char		*b;
	struct buf	 apps;		/* labels, \x1f separated */
	struct buf	 idents;	/* identities, \x1f separated */
	struct buf	 procs;		/* "pid name\x1f" */
	struct buf	 japps, jidents, jprocs;
	size_t		 lapps, lidents, lprocs;
	int		 built;
	long		 occurrences;	/* made while this judge ran */
	long		 count;		/* their counts summed */
	int64_t		 last;		/* last seen: the eviction order */
	unsigned	 refs;		/* occurrences held now */
};

/* An occurrence of a cause: a circuit (or none) of this Tor session. */
struct jocc {
	struct jcause	*cause;
	uint64_t	 circ;		/* 0: none */
	uint64_t	 hash;		/* of the cause's key and circ */
	uint64_t	 seq;		/* order made (ties in eviction) */
	char		 exit_fp[41];
	long		 count;
	int64_t		 first;
	int64_t		 last;
	uint64_t	 streams[JUDGE_FINDING_STREAMS];
	size_t		 nstreams;
	struct buf	 jstreams;
	size_t		 lstreams;
};

struct judge {
	const struct config	*cfg;
	judge_fn		 fn;
	void			*arg;
	struct idmap		 streams;
	struct idmap		 circs;
	struct idmap		 exits;
	struct jport		*ports;
	size_t			 nports;
	struct jcause		**causes;
	size_t			 ncauses;
	size_t			 capcauses;
	struct hindex		 cidx;		/* key hash -> causes index */
	struct jocc		**occs;
	size_t			 noccs;
	size_t			 capoccs;
	struct hindex		 oidx;		/* key, circ -> occs index */
	uint64_t		 occseq;
	struct idmap		 fps;		/* str_hash(exit_fp) -> jfp */
	struct {
		char	*listener;
		long	 group;
	}			*groups;	/* SessionGroup=N by listener */
	size_t			 ngroups;
};

/* --- judge.c -------------------------------------------------------------------- */

/* A copy of a stream's values (allocated); free with judge_jstream_free. */
struct jstream *judge_jstream_clone(const struct jstream *);
void	judge_jstream_free(struct jstream *);
/* The circuit with this id, made when new; never NULL. */
struct jcirc *judge_circ_get(struct judge *, uint64_t);
/* How many exit keys have open circuits ending at exit fp. */
size_t	judge_fp_keys(struct judge *, const char *);
/* s leaves the circuit it was attached to (closed, or attached again). */
void	judge_circ_leave(struct judge *, struct jstream *);
/* The open circuits ending at exit fp (NULL, 0: none). */
const uint64_t *judge_fp_circs(struct judge *, const char *, size_t *);
/* Appends "circuit 25 (exit exit0 $08511103), conflux set ...". */
void	judge_describe_circ(struct judge *, struct buf *, uint64_t);

/* --- judge_iso.c ---------------------------------------------------------------- */

/* Equal C strings, or both NULL. */
int	judge_str_eq(const char *, const char *);
/*
 * Would Tor have put stream s on a circuit whose first stream was f?
 * NULL when yes (or s's ISO_FIELDS unknown), else what differs.
 */
const char *judge_isolation_refuses(const struct jstream *,
	    const struct jstream *);
/* Whether Tor may mix s and t as far as their isolation keys go. */
int	judge_iso_key_equal(const struct jstream *, const struct jstream *);

/* --- judge_ports.c -------------------------------------------------------------- */

/* SHARED_PORT_PROCESSES and UNISOLATED_PORT for a new stream. */
void	judge_rule_ports(struct judge *, const struct jstream *, int64_t);

/* --- judge_cause.c ------------------------------------------------------------ */

/* Adds s to a \x1f-separated list, once, up to JUDGE_FINDING_LIST. */
void	judge_list_add(struct buf *, const char *);
/*
 * The occurrence (this Tor session, circuit circ) of the cause the rule
 * and who (listener, extra: an exit relay or a session; a and b: the
 * identities, in either order) make, counted once more at ts; made when
 * new.  *cause_new: the cause is new to this judge.  Never NULL.
 */
struct jocc *judge_occ(struct judge *, enum rule_id, uint64_t, const char *,
	    const char *, const char *, const char *, int64_t, int *);
void	judge_occ_stream(struct jocc *, uint64_t);
/* A process of an occurrence: pid, name, and the agent's claim that
 * named it (NULL: seen here). */
void	judge_occ_proc(struct jocc *, long, const char *, const char *);
/* One party of an occurrence: its App label, stream and process. */
void	judge_occ_who(struct jocc *, const char *, uint64_t, long,
	    const char *, const char *);
/* Hands the occurrence and its cause to the callback, with detail. */
void	judge_emit(struct judge *, struct jocc *, const char *, int);
/* A circuit closed: its occurrences are final. */
void	judge_occs_drop_circ(struct judge *, uint64_t);
/* A new Tor session: occurrences go, causes stay; all (free) goes too. */
void	judge_occs_clear(struct judge *, int);

#endif
