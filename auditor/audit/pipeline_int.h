/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_int.h: what the pipeline's files share (pipeline.c: replies,
 * sessions and the initial state; pipeline_model.c: circuits and streams;
 * pipeline_attrib.c: who opened a stream; pipeline_out.c: the output
 * lines, the store, the observer and the findings; pipeline_inject.c:
 * CONTROL_INJECTION).  Nothing else includes it.
 */
#ifndef ISOAUDIT_PIPELINE_INT_H
#define ISOAUDIT_PIPELINE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "buf.h"
#include "idmap.h"
#include "pipeline.h"
#include "privacy.h"
#include "reply.h"
#include "timeutil.h"
#include "torev.h"

struct judge_finding;

#define PIPELINE_MALFORMED_SHOWN	10
#define UNATTRIBUTED_LABEL		"unattributed (open before attach)"
#define TOR_INTERNAL_LABEL		"Tor itself (directory)"
#define PIPELINE_ONION_NAME		80	/* a service's name, shown */
#define PIPELINE_MAX_SERVICES		64	/* local services kept */
#define PIPELINE_ONION_MAX		64	/* longest address taken */

struct circ {
	int64_t	 created;	/* TIME_CREATED parsed (once), or 0 */
	char	 status[16];
	char	 purpose[32];
	char	 exit_fp[41];
	char	 exit_nick[20];
	char	 conflux[33];
	char	 rend[PIPELINE_ONION_NAME];	/* REND_QUERY as LogTargets
						   allows, or "" */
	int	 service;	/* rend is a local service (HS_SERVICE_*) */
	int	 confirmed;	/* listed by Tor (attach, a cross-check) */
	unsigned nstreams;	/* open streams of the model on it */
};

/*
 * A local onion service (pipeline_onion.c): known by the keyed hash of
 * its address (the address itself is not kept), shown as LogTargets
 * allows; numbered in the order learnt, which is its name with
 * LogTargets none.
 */
struct onion_svc {
	char		 key[PRIVACY_HASH_LEN + 1];
	char		 name[PIPELINE_ONION_NAME];
	char		 source[12];	/* detached, current, circuits */
	int64_t		 stored;	/* the store session it was written
					   for, 0: none yet */
	unsigned	 session;	/* the Tor session it was told in */
};

/*
 * A keyed hash kept for the stream's next events: its target changes once
 * (REMAP), its SOCKS credentials never, and an HMAC costs more than all
 * the rest of an event.
 */
struct hcache {
	char		*raw;
	size_t		 len;
	char		 hash[PRIVACY_HASH_LEN + 1];
};

/*
 * Hashes of any stream's short inputs, direct-mapped by an FNV-1a hash of
 * the bytes: one destination or SOCKS username is hashed for many streams
 * (a page's parts, a program's connections) and one keyed hash costs more
 * than the rest of an event.
 */
#define HASH_CACHE_SLOTS	1024	/* power of two */
#define HASH_CACHE_MAX		255	/* longer inputs are not kept */

struct hslot {
	char		*raw;		/* NULL: empty */
	size_t		 len;
	uint64_t	 h;
	char		 hash[PRIVACY_HASH_LEN + 1];
};

struct stream {
	uint64_t	 circ;		/* last attached circuit */
	struct hcache	 h_target;
	struct hcache	 h_user;
	struct hcache	 h_pass;
	int64_t		 app;		/* store id, 0 unknown */
	char		*ident;		/* "label@host", for output */
	char		*application;	/* what the judge compares (SPEC.md
					   0.2), or NULL */
	char		*listener;
	char		*source_addr;
	char		*why;		/* when attribution fell short */
	long		 pid;
	long		 uid;
	char		 process[32];
	char		*exe;		/* its executable, or NULL */
	char		 attribution[48];	/* how it was found (SPEC.md:
					   "tracker", "lookup", ...), "" not
					   yet */
	int		 internal;	/* Tor's own (DIR_FETCH ...) */
	int		 confirmed;	/* listed by Tor (attach, a cross-check) */
	unsigned	 kept;		/* STORE_KEPT_*: in its queued row */
	unsigned	 kept_gen;	/* of this store_generation (queue) */
};

/*
 * What a stream's queued row keeps from its first event (coalesce(old,
 * new), store_queue.c): not formatted again for every event folded into
 * that row; a row of the next queue gets them again (store.h).
 */
#define STORE_KEPT_TARGET	0x01
#define STORE_KEPT_ISO		0x02
#define STORE_KEPT_USER		0x04
#define STORE_KEPT_PASS		0x08

/* An attribution read from a transcript, waiting for its NEW event. */
struct hint {
	uint64_t		stream;
	struct attrib_result	res;
	int			valid;
};

/*
 * What a session group's streams came in on, learnt from streams whose
 * socket could be read: names the listener of one whose socket cannot
 * (closed already).  Tor renumbers groups on a reload: dropped then.
 */
struct group_listener {
	int64_t	 group;
	char	 listener[80];
	int	 ambiguous;	/* an explicit SessionGroup on two ports */
};

/*
 * The cross-check (pipeline_xcheck.c): Tor's own GETINFO circuit-status /
 * stream-status after the session is ready, compared with the model.
 */
#define XC_CLOSED	512	/* circuits closed lately, remembered */
#define XC_CANDS	256	/* differences waiting out their grace */
#define XC_GRACE_US	(2LL * 1000000)	/* Tor's queued events arrive */
#define XC_MAX_ENTRIES	100000	/* circuits or streams a reply holds */

struct xc_cand {
	int		 kind;		/* XC_* of pipeline_xcheck.c */
	uint64_t	 id;
	uint64_t	 model_circ;	/* the stream's in the model then */
	uint64_t	 tor_circ;	/* Tor's */
	int64_t		 ts;		/* of the reply */
};

struct xcheck {
	int		 want;		/* suspicion since last asked */
	uint64_t	 closed[XC_CLOSED];	/* ring of closed circuit ids */
	size_t		 nclosed;	/* written, all told */
	struct idmap	 closed_set;	/* the same ids, to look up */
	struct xc_cand	 cand[XC_CANDS];
	size_t		 ncand;
	struct idmap	 tor_circs;	/* of the reply in hand */
	struct idmap	 tor_streams;
	struct idmap	 restored;
	int		 got_circs, got_streams, over;
	uint64_t	 contradictions;
};

struct pipeline {
	struct pipeline_config	 cfg;
	struct torev		 ev;
	struct buf		 line;
	struct buf		 tmp;
	struct privacy_hasher	*hasher;
	struct hslot		*hslots;	/* HASH_CACHE_SLOTS, or NULL */
	char			 hlong[PRIVACY_HASH_LEN + 1];	/* not kept */
	char			 when[TIME_RFC3339_LEN];	/* line_begin */
	int64_t			 when_sec;

	unsigned		 session;
	int64_t			 session_id;	/* in the store, or 0 */
	char			*address;
	char			*method;
	char			*version;
	long			 pid;
	unsigned		 pre_attach_streams;
	unsigned		 malformed_session;
	struct idmap		 circs;
	struct idmap		 streams;
	struct hint		 hint;
	struct attrib		*attrib;	/* live only */
	struct judge		*judge;		/* with a config */
	struct buf		 shared;	/* TransPort/DNSPort listeners */
	struct buf		 dns;		/* DNSPort listeners */
	size_t			 ndns;
	struct group_listener	*groups;	/* session group -> listener */
	size_t			 ngroups;
	struct onion_svc	*onions;	/* local services, for the run */
	size_t			 nonions;
	/*
	 * The next event is a rejection the smuggling filter passed on but
	 * cannot tell from a client's (a run of whole rejections, smuggle.c):
	 * shown and stored, no rule about applications runs on it.
	 */
	int			 unsure;
	struct {			/* after a STREAM event a line break cut */
		int		 active;
		int64_t		 ts;	/* of the read that brought it */
		uint64_t	 stream;
		unsigned	 lines;	/* smuggled lines ignored */
		/* The latest line that was no reply: Tor's tail, unless
		 * another comes (the client may forge a tail before it). */
		char		 tail[512];
		size_t		 tail_len;
		int		 has_tail;
	}			 inj;
	int			 ready;		/* the initial state is in */
	struct xcheck		 xc;
	struct pipeline_stats	 stats;
};

void	pl_stream_free(struct stream *s);
const char *	pl_hash_of(struct pipeline *p, const char *s, size_t n);
void	pl_target_out(struct pipeline *p, struct buf *b, struct stream *s, const char *addr, int port);
int	pl_passthrough(const struct pipeline *, const char *, size_t);
void	pl_secret_out(struct pipeline *p, struct buf *b, struct hcache *c, const struct torev_str *v);
void	pl_groups_learn(struct pipeline *p, int64_t group, const char *listener);
const char *	pl_groups_find(const struct pipeline *p, int64_t group);
void	pl_line_begin(struct pipeline *p, int64_t ts);
void	pl_line_end(struct pipeline *p);
void	pl_line_word(struct pipeline *p, const char *label, const char *s);
void	pl_line_exit(struct pipeline *p, const struct circ *c);
int	pl_output_lines(const struct pipeline *p);
int	pl_is_closing(const char *status);
const char *	pl_join_list(struct pipeline *p, const char **v, size_t n);
void	pl_store_circ_event(struct pipeline *p, const struct circ_ev *e, const struct circ *c, int64_t ts);
void	pl_on_circ(struct pipeline *p, const struct torev *ev, int initial);
void	pl_annotate_attrib(struct pipeline *p, uint64_t id, const struct attrib_result *r, int64_t ts);
void	pl_attribute(struct pipeline *p, const struct stream_ev *e, struct stream *s, int64_t ts);
void	pl_store_stream_event(struct pipeline *p, const struct stream_ev *e, struct stream *s, const char *listener, int64_t ts, int pre);
void	pl_observe_stream(struct pipeline *p, const struct stream_ev *e, struct stream *s, int is_new, int closing, int64_t ts);
void	pl_on_stream(struct pipeline *p, const struct torev *ev);
void	pl_observe_bootstrap(struct pipeline *p, const char *s, size_t n, int64_t ts);
void	pl_observe_other(struct pipeline *p, const struct torev *ev);
int	pl_inject_begins(struct pipeline *p, const struct torev *ev, const struct reply *r);
void	pl_inject_end(struct pipeline *p, const char *tail, size_t n, int64_t ts);
int	pl_inject_smuggled(struct pipeline *p, const struct reply *r);
void	pl_inject_close(struct pipeline *p);
void	pl_on_finding(const struct judge_finding *f, void *arg);
void	pl_onion_circ(struct pipeline *p, const struct circ_ev *e, struct circ *c, int64_t ts);
void	pl_onion_info(struct pipeline *p, const char *source, const char *v, size_t n, int64_t ts);
void	pl_status_lines(struct pipeline *p, const char *prefix, const char *data, size_t len, int64_t ts, void (*fn)(struct pipeline *, const struct reply *));
void	pl_xc_suspect(struct pipeline *p);
void	pl_xc_attach(struct pipeline *p, struct stream *s, uint64_t circ);
void	pl_xc_circ_closed(struct pipeline *p, uint64_t id, const struct circ *c);
void	pl_xc_circuits(struct pipeline *p, const char *v, size_t n, int64_t ts);
void	pl_xc_streams(struct pipeline *p, const char *v, size_t n, int64_t ts);
void	pl_xc_finish(struct pipeline *p, int64_t ts);
void	pl_xc_resolve(struct pipeline *p, int64_t ts);
void	pl_xc_forget(struct pipeline *p);
void	pl_observe_session(struct pipeline *p, enum pipeline_phase phase, unsigned serial, const char *why, int64_t ts);

#endif
