/*
 * judge.h: the rules of SPEC.md's findings table, applied to what the
 * pipeline sees.  Pure: no I/O, no clock (times come with the calls), no
 * global.  Findings are deduplicated per (rule, circuit or listener,
 * identity pair) within a Tor session and reported through a callback
 * with their count and first/last seen.
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
	const char	*ident;		/* "label@host[/sub]" */
	const char	*label;		/* App label */
	const char	*listener;	/* or NULL when unknown */
	long		 pid;		/* 0: unknown */
	const char	*process;
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
	uint64_t	 circ_id;	/* 0: none */
	const char	*listener;	/* "" when none */
	const char	*ident_a;	/* "" when none */
	const char	*ident_b;
	const char	*apps;		/* JSON array of labels */
	const char	*identities;	/* JSON array */
	const char	*processes;	/* JSON array of {pid, name} */
	const char	*streams;	/* JSON array of ids */
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
	const char	*detail;	/* one line, printable */
	int		 is_new;	/* first time: alert */
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
/* Streams were open before isoaudit attached. */
void	judge_pre_attach(struct judge *, unsigned, int64_t);

/* Parses ISO_FIELDS names into ISO_* bits. */
unsigned judge_iso_bits(const char *const *, size_t);

#endif
