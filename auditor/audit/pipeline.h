/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline.h: what happens to everything that comes from Tor, live or
 * replayed: replies -> events -> the live model -> output.  One path for
 * monitor and replay, so that a replay reproduces a live run.  No socket,
 * no clock: times come with the replies.
 */
#ifndef ISOAUDIT_PIPELINE_H
#define ISOAUDIT_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "privacy.h"

struct torev_hop;

struct attrib_result;
struct config;
struct ktable;
struct judge_finding;
struct reply;
struct store;

enum pipeline_output {
	PIPELINE_LINES,		/* one human line per event */
	PIPELINE_DUMP		/* one JSON object per event (replay --dump) */
};

struct pipeline_config {
	enum pipeline_output	 output;
	FILE			*out;
	struct privacy		 privacy;
	int			 verbose;	/* also LAUNCHED/EXTENDED */
	struct store		*store;		/* or NULL */
	/* App and Host labels, or NULL; its profile, when not chosen yet, is
	 * chosen from Tor's listeners (profile.h). */
	struct config		*config;
	const char		*source;	/* "live", "replay:FILE" */
	/*
	 * Live: resolve who opened each stream from procdir ("/proc") and
	 * tell annotate() (the transcript's '#' lines).  Replay: take it from
	 * pipeline_hint() instead, so a replay attributes as the live run.
	 */
	int			 live;
	const char		*procdir;
	/* Live: the connect tracker's table (ktable.h), asked first; or
	 * NULL (borrowed). */
	struct ktable		*tracker;
	void			(*annotate)(int64_t, const char *, void *);
	void			*annotate_arg;
	/* A new finding (severity, rule, detail, time): Alert. */
	void			(*alert)(int, const char *, const char *,
				    int64_t, void *);
	void			*alert_arg;
	/* A viewer, or NULL (borrowed). */
	const struct pipeline_observer *observer;
	/*
	 * Live: LocalAttribution off (no process from local sockets; the
	 * listener still found); and a workstation agent's claim for a
	 * SOURCE_ADDR whose process no local socket gave (docs/agent.md),
	 * with the stream's target (NULL if none), whether it is a DNS
	 * query (UDP), and res's listener to
	 * check the claim's destination: fills the process of res and its
	 * by ("agent:NAME"), or leaves res alone.  NULL: none.
	 */
	int			 no_local;
	void			(*agent_claim)(const char *, const char *,
				    int, struct attrib_result *, void *);
	void			*agent_arg;
	/* Live: a DNSPort's port, as Tor lists it (NULL: not told). */
	void			(*dns_port)(unsigned, void *);
};

/*
 * What a viewer (the dashboard) is told, after the pipeline has done its
 * work: every string is printable already (escaped, targets as LogTargets
 * allows), valid during the call only.  Any callback may be NULL.
 */
struct pipeline_view_circ {
	uint64_t	 id;
	const char	*status;	/* LAUNCHED ... CLOSED */
	const char	*purpose;	/* "" unknown */
	const char	*exit_fp;	/* 40 hex digits or "" */
	const char	*exit_nick;	/* or "" */
	const char	*conflux;	/* CONFLUX_ID or "" */
	int64_t		 created;	/* TIME_CREATED, else 0 */
	int64_t		 ts;
	int		 closing;
	const char	*onion;		/* REND_QUERY as LogTargets allows
					   ("h:….onion"), or "" */
	int		 service;	/* onion is a local service's */
	const struct torev_hop *path;	/* the event's, guard first, or
					   NULL (npath 0) when it has none */
	size_t		 npath;
};

struct pipeline_view_stream {
	uint64_t	 id;
	uint64_t	 circ;		/* 0: not attached */
	const char	*status;
	const char	*target;	/* "host:port" as LogTargets allows */
	const char	*ident;		/* "label@host[/sub]" */
	const char	*application;	/* the judge's: "program (uid N)@host
					   [/sub]", or NULL */
	const char	*listener;	/* or NULL */
	const char	*process;	/* or NULL */
	long		 pid;
	int		 is_new;	/* first event of the stream */
	int		 closing;
	int		 unattributed;	/* open before attach */
	int		 internal;	/* Tor's own (directory) stream */
	int64_t		 ts;
};

enum pipeline_phase { PIPELINE_START, PIPELINE_READY, PIPELINE_END };

struct pipeline_session_info {
	enum pipeline_phase phase;
	unsigned	 serial;
	const char	*address;	/* control address */
	const char	*method;	/* authentication */
	const char	*version;	/* Tor's, or NULL */
	long		 pid;		/* Tor's, or 0 */
	const char	*why;		/* PIPELINE_END */
	int64_t		 ts;
};

struct pipeline_observer {
	void	(*session)(const struct pipeline_session_info *, void *);
	void	(*circ)(const struct pipeline_view_circ *, void *);
	void	(*stream)(const struct pipeline_view_stream *, void *);
	/* Every finding update; store_session is its session in the store
	 * (for store_ack), 0 without one. */
	void	(*finding)(const struct judge_finding *, int64_t, void *);
	/* Tor's own log (NOTICE, WARN, ERR events): severity, message. */
	void	(*tor_log)(const char *, const char *, int64_t, void *);
	/* Bootstrap progress (0-100) and Tor's summary of it. */
	void	(*bootstrap)(int, const char *, int64_t, void *);
	/* A local onion service learnt: its name as LogTargets allows and
	 * how ("detached", "current", "circuits"). */
	void	(*service)(const char *, const char *, int64_t, void *);
	/* GETINFO uptime: Tor's uptime in seconds when the reply came. */
	void	(*uptime)(long, int64_t, void *);
	void	*arg;
};

struct pipeline;

/* Returns a new pipeline; never NULL. */
struct pipeline *pipeline_new(const struct pipeline_config *);
void	pipeline_free(struct pipeline *);
/* A Tor session begins (authenticated). */
void	pipeline_session_start(struct pipeline *, unsigned, const char *,
	    const char *, int64_t);
/* The initial state has arrived. */
void	pipeline_session_ready(struct pipeline *, unsigned, int64_t);
/* The session's connection was lost. */
void	pipeline_session_end(struct pipeline *, unsigned, const char *,
	    int64_t);
/* Any reply: to a command (initial state) or an event. */
void	pipeline_reply(struct pipeline *, const struct reply *);

/* Replay: an "attrib ..." annotation, for the event that comes next. */
void	pipeline_hint(struct pipeline *, const char *, size_t);
/*
 * A line of Tor's that is no reply line.  After a STREAM event a line
 * break cut (a SOCKS hostname with CR LF in it: CONTROL_INJECTION), it is
 * the rest of that event: what it says of the listener and the client
 * names the finding, and the lines smuggled in between are over.
 */
void	pipeline_not_reply(struct pipeline *, const char *, size_t);
/*
 * Lines a SOCKS client smuggled after a rejected name, dropped before the
 * parser (smuggle.c): the stream, how many, Tor's keywords (or NULL) that
 * name the listener, and when.
 */
/* LogTargets' name when not plain (log no bad line's rest), or NULL. */
const char *pipeline_withhold(const struct pipeline *);
void	pipeline_injection(struct pipeline *, uint64_t, unsigned, const char *,
	    size_t, int64_t);
/*
 * The next event is a rejection smuggle.c passed on without being sure
 * it is Tor's (smuggle_found.unsure): it is shown and stored, and no rule
 * about applications runs on it.
 */
void	pipeline_unsure(struct pipeline *);

/*
 * The cross-check (docs/isolation.md, section 5): after the session is
 * ready, a reply with circuit-status= / stream-status= is Tor's own state,
 * compared with the model: a circuit reported closed that Tor lists is
 * restored, a contradiction is a CONTROL_INJECTION.  The caller sends
 * PIPELINE_XCHECK_COMMAND now and then, and soon (rate-limited) when
 * pipeline_xcheck_wanted() says something looked suspicious since it last
 * asked (it clears that).
 */
#define PIPELINE_XCHECK_COMMAND	"GETINFO circuit-status stream-status"
int	pipeline_xcheck_wanted(struct pipeline *);

/* Counters, for tests and the closing summary. */
struct pipeline_stats {
	uint64_t	events;
	uint64_t	stream_events;
	uint64_t	circ_events;
	uint64_t	malformed;
	uint64_t	smuggled;	/* lines ignored after a cut event */
	uint64_t	unsure;		/* rejections passed on, unsure */
	uint64_t	findings;	/* updates included */
	uint64_t	new_findings;
	unsigned	sessions;
	uint64_t	xchecks;	/* cross-check replies compared */
	uint64_t	contradictions;	/* found by them */
	uint64_t	restored;	/* circuits restored by them */
};
void	pipeline_stats(const struct pipeline *, struct pipeline_stats *);

#endif
