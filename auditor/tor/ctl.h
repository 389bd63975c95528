/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ctl.h: the control connection to Tor.  Connects over a unix socket or
 * TCP, authenticates (SAFECOOKIE, COOKIE, HASHEDPASSWORD, NULL), subscribes
 * to events, asks for the initial state, and reconnects with backoff when
 * the connection drops; each connection is a new Tor session.  The only
 * module with a socket to Tor.
 */
#ifndef ISOAUDIT_CTL_H
#define ISOAUDIT_CTL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct record;
struct reply;
struct smuggle_found;

enum ctl_auth {
	CTL_AUTH_AUTO = 0,
	CTL_AUTH_SAFECOOKIE,
	CTL_AUTH_COOKIE,
	CTL_AUTH_PASSWORD,
	CTL_AUTH_NULL
};

/*
 * Where Tor's own control port is looked for when none is named: a
 * NULL-terminated list, tried in order (see ctl.c for the systems' sources).
 */
extern const char *const ctl_default_candidates[];

/* At most this many addresses are tried; the rest are ignored. */
#define CTL_MAX_CANDIDATES	16

struct ctl_config {
	const char	*address;	/* unix:/path, /path, host:port: this
					   one only; a filtering proxy there
					   is an error.  NULL: discovery */
	const char *const *candidates;	/* discovery: NULL-terminated list
					   tried in order, a filtering proxy
					   skipped; NULL: the default list */
	const char	*cookie_file;	/* overrides PROTOCOLINFO's path */
	const char	*password_file;
	enum ctl_auth	 auth;		/* force a method */
	struct record	*record;	/* transcript, or NULL */
	int		 max_attempts;	/* reconnect attempts before giving
					   up, 0 = forever */
	const char	*events;	/* more SETEVENTS ("NOTICE WARN"),
					   or NULL */
	const char	*withhold;	/* static: LogTargets' name when not
					   plain (a bad line from Tor is
					   logged without its rest), or NULL */
};

/* What the application hears from the connection. */
struct ctl_cbs {
	/* Authenticated on a new connection (serial counts from 1). */
	void	(*session_start)(unsigned, const char *, const char *,
		    int64_t, void *);
	/* A reply to a command (after authentication) or an event. */
	void	(*reply)(const struct reply *, void *);
	/* The initial GETINFO/GETCONF replies have all arrived. */
	void	(*session_ready)(unsigned, int64_t, void *);
	/* The connection of an attached session was lost. */
	void	(*session_end)(unsigned, const char *, int64_t, void *);
	/*
	 * The first connection failed (cannot reach Tor, authentication
	 * refused); the message names the address and the method.
	 */
	void	(*fatal)(const char *, void *);
	/* A line that is no reply line (the rest of an event a line break
	 * cut: CONTROL_INJECTION), as it came; or NULL. */
	void	(*malformed)(const char *, size_t, void *);
	/* Lines a SOCKS client smuggled after a name Tor rejected, dropped
	 * before the parser (smuggle.h); or NULL. */
	void	(*injection)(const struct smuggle_found *, void *);
};

struct ctl;

/* Returns a new, unconnected ctl; never NULL.  Copies what it keeps. */
struct ctl *ctl_new(struct event_base *, const struct ctl_config *,
	    const struct ctl_cbs *, void *);
/* Starts connecting; returns 0, or -1 with *cause on a bad setup. */
int	ctl_start(struct ctl *, char **);
/* Closes the connection (QUIT when attached) and frees; takes NULL. */
void	ctl_free(struct ctl *);
/* Sends a command once attached; the reply goes to the reply callback. */
int	ctl_command(struct ctl *, const char *);
/* When (us, time_mono_us clock) the next reconnect is due, 0 if none. */
int64_t	ctl_retry_at(const struct ctl *);

/* Parses a method name ("safecookie", ...); returns 0 or -1. */
int	ctl_auth_parse(const char *, enum ctl_auth *);

/*
 * The probe sent after authenticating and before a session starts: a
 * question Tor's own control port answers and a filtering proxy such as
 * onion-grater refuses (its rules match a GETINFO's whole argument string,
 * and no shipped profile allows this pair).
 */
#define CTL_PROBE		"GETINFO version process/pid"

#ifdef ISOAUDIT_PRIVATE
/* For ctl's own files and the unit tests. */
struct stat;

#define CTL_ANSWER_TIMEOUT	10	/* seconds for a connect or an answer
					   until the session is set up */
#define CTL_HANDSHAKE_TIMEOUT	30	/* seconds from connect to a session
					   set up, however the answers trickle
					   (a password prompt's time added) */
/*
 * How long (us) the clock for the next answer runs at now: the answer
 * timeout, or what is left of the handshake's (deadline), at least 0;
 * *overall says the handshake's is the shorter.
 */
int64_t	ctl_timeout_us(int64_t, int64_t, int *);
/* Whether METHODS= (a comma-separated list, or NULL) names method. */
int	ctl_method_offered(const char *, const char *);
/*
 * The cookie method auto mode may use with what a port offers (METHODS=):
 * CTL_AUTH_SAFECOOKIE, or CTL_AUTH_AUTO with *cookie_only set when the
 * port offers COOKIE without SAFECOOKIE (no Tor since 0.2.3 does: plain
 * COOKIE hands the file's contents over, so only --auth cookie uses it).
 */
enum ctl_auth ctl_cookie_method(const char *, int *);
/*
 * Whether what stat says of a cookie file (path, for the message) is a
 * regular file of CTL_COOKIE_BYTES bytes.  Returns 0, or -1 with *why
 * (allocated, the path escaped) naming what it is instead.
 */
#define CTL_COOKIE_BYTES	32
int	ctl_cookie_check(const struct stat *, const char *, char **);
/*
 * Reads a cookie file into out (CTL_COOKIE_BYTES) without ever blocking:
 * stat first (a FIFO, a device, a directory or a file of another size is
 * never opened), then open with O_NONBLOCK and the same checks on the
 * open file.  A symlink is followed (a cookie reached through one is
 * legitimate); it is the target that must be the regular file.  Returns
 * 0, or -1 with *why allocated.
 */
int	ctl_cookie_read(const char *, unsigned char *, char **);
/* The method's name as Tor spells it ("SAFECOOKIE"); static storage. */
const char *ctl_auth_name(enum ctl_auth);
/*
 * SAFECOOKIE hashes: HMAC-SHA256 with Tor's fixed keys over cookie |
 * client nonce | server nonce.  server selects which.
 */
void	ctl_safecookie_hash(int, const unsigned char *, size_t,
	    const unsigned char *, const unsigned char *, size_t,
	    unsigned char *);
/*
 * Whether a reply to CTL_PROBE (what) comes from Tor itself: 250 with
 * version= and a decimal process/pid=.  Returns 0; or -1 with *why
 * (allocated, escaped, bounded) saying what was wrong, and *filtered set
 * when the reply is a filter's refusal (510: onion-grater's "510 Command
 * filtered"; Tor itself answers 510 only to a command it does not know).
 */
int	ctl_probe_check(const struct reply *, const char *, char **, int *);
/* Whether a reply to a start-up command is a filter's refusal (510). */
int	ctl_reply_filtered(const struct reply *);
/*
 * What a port that is not a control port answered, from the first bytes
 * it sent to PROTOCOLINFO: NULL when they may begin a control reply (a
 * digit), else a message (allocated, escaped, bounded) such as "is Tor's
 * SocksPort, not a ControlPort (...)", to follow the address.
 */
char	*ctl_foreign_answer(const char *, size_t);
#endif

#endif
