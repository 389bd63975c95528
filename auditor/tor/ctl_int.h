/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ctl_int.h: what ctl.c (the connection, its reply FIFO and the session's
 * setup) and ctl_auth.c (PROTOCOLINFO and authentication) share.  Private
 * to those two files.
 */
#ifndef ISOAUDIT_CTL_INT_H
#define ISOAUDIT_CTL_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include "buf.h"
#include "ctl.h"

#define CTL_COOKIE_LEN		CTL_COOKIE_BYTES
#define CTL_NONCE_LEN		32

struct bufferevent;
struct event;
struct reply_parser;
struct smuggle;

enum ctl_state {
	CTL_IDLE,
	CTL_CONNECTING,
	CTL_PROTOCOLINFO,
	CTL_AUTHENTICATING,
	CTL_ATTACHED
};

/* How a failure noted with ctl_fail ends the connection. */
enum ctl_fail_kind {
	CTL_FAIL_RETRY = 0,	/* try again (the next address, or later) */
	CTL_FAIL_FATAL = 1,	/* stop: authentication and the like */
	CTL_FAIL_FILTER = 2	/* a filtering proxy, not Tor: the next
				   address when discovering, else stop */
};

typedef void (*ctl_done_fn)(struct ctl *, const struct reply *);

struct ctl_cmd {
	TAILQ_ENTRY(ctl_cmd)	 entry;
	ctl_done_fn		 done;	/* NULL: hand to the application */
};
TAILQ_HEAD(ctl_cmds, ctl_cmd);

struct ctl {
	struct event_base	*base;
	struct ctl_cbs		 cbs;
	void			*arg;

	char			*candidates[CTL_MAX_CANDIDATES];
	int			 ncandidates;
	int			 candidate;
	int			 discovering;	/* no address was named */
	char			*cookie_file;
	char			*password_file;
	enum ctl_auth		 auth;
	struct record		*record;
	int			 max_attempts;

	struct bufferevent	*bev;
	struct reply_parser	*parser;
	struct smuggle		*smuggle;	/* on parser: smuggled lines */
	struct event		*retry_ev;
	struct ctl_cmds		 queue;
	enum ctl_state		 state;
	int			 ever_attached;
	int			 ever_ready;	/* a session's setup succeeded */
	int			 saw_filter;	/* discovery met a filter */
	struct event		*timeout_ev;	/* connecting never hangs */
	int64_t			 deadline;	/* the handshake's end (us,
						   time_mono_us) */
	int			 timeout_overall; /* the clock armed is the
						   handshake's */
	unsigned		 serial;
	int			 backoff;
	int64_t			 retry_at;
	char			*events;
	const char		*withhold;	/* LogTargets' name unless
						   plain: log no line's rest */
	int			 attempts;
	char			*failure;	/* set inside callbacks */
	int			 failure_fatal;	/* enum ctl_fail_kind */
	struct buf		 tried;		/* auto-discovery failures */

	enum ctl_auth		 method;
	char			*offered;	/* METHODS= of PROTOCOLINFO */
	char			*cookie_path;
	unsigned char		 cookie[CTL_COOKIE_LEN];
	unsigned char		 nonce[CTL_NONCE_LEN];
	char			*password;
	int			 setup_pending;
	unsigned		 malformed;
	size_t			 partial;	/* bytes since the last '\n' */
	int			 answered;	/* bytes came on this connection */
};

/* ctl.c */
/* The address of the current (or last tried) connection. */
const char *ctl_address(const struct ctl *);
/* Sends one command line and queues its completion handler. */
void	ctl_send(struct ctl *, const char *, ctl_done_fn);
/* Notes a failure from inside a callback (the message is allocated). */
void	ctl_fail(struct ctl *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Authentication accepted: probes (CTL_PROBE), then starts the session
 * and asks for its state. */
void	ctl_attach(struct ctl *, const struct reply *);

/* Adds us to the handshake's deadline (a password prompt held the loop). */
void	ctl_extend_deadline(struct ctl *, int64_t);

/* ctl_auth.c */
/* Connected: asks PROTOCOLINFO, then authenticates and calls ctl_attach. */
void	ctl_auth_begin(struct ctl *);
/* Forgets what one connection learnt (wipes the cookie, frees METHODS=
 * and the cookie's path). */
void	ctl_auth_reset(struct ctl *);
/* Wipes and frees the password kept for reconnects. */
void	ctl_auth_free(struct ctl *);

#endif
