/*
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

struct config;
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
	const struct config	*config;	/* App and Host labels, or NULL */
	const char		*source;	/* "live", "replay:FILE" */
	/*
	 * Live: resolve who opened each stream from procdir ("/proc") and
	 * tell annotate() (the transcript's '#' lines).  Replay: take it from
	 * pipeline_hint() instead, so a replay attributes as the live run.
	 */
	int			 live;
	const char		*procdir;
	void			(*annotate)(int64_t, const char *, void *);
	void			*annotate_arg;
	/* A new finding (severity, rule, detail, time): Alert. */
	void			(*alert)(int, const char *, const char *,
				    int64_t, void *);
	void			*alert_arg;
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

/* Counters, for tests and the closing summary. */
struct pipeline_stats {
	uint64_t	events;
	uint64_t	stream_events;
	uint64_t	circ_events;
	uint64_t	malformed;
	uint64_t	findings;	/* updates included */
	uint64_t	new_findings;
	unsigned	sessions;
};
void	pipeline_stats(const struct pipeline *, struct pipeline_stats *);

#endif
