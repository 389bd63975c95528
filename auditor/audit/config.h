/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * config.h: the configuration file (torrc-like, see isoaudit.conf(5)) and
 * the built-in defaults (the Whonix-Gateway application map).
 */
#ifndef ISOAUDIT_CONFIG_H
#define ISOAUDIT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "privacy.h"

enum isolate_by {
	ISOLATE_BY_NONE = 0,
	ISOLATE_BY_SOCKS_USERNAME,
	ISOLATE_BY_PROCESS
};

enum severity {
	SEV_OFF = -1,
	SEV_INFO = 0,
	SEV_NOTICE,
	SEV_WARNING,
	SEV_CRITICAL
};

enum rule_id {
	RULE_SHARED_CIRCUIT,
	RULE_CONTROLLER_ATTACH,
	RULE_NYM_EPOCH_REUSE,
	RULE_SHARED_PORT_PROCESSES,
	RULE_UNISOLATED_PORT,
	RULE_SHARED_EXIT,
	RULE_WEAK_PORT_CONFIG,
	RULE_PRE_ATTACH,
	RULE_CONTROL_INJECTION,
	RULE__COUNT
};

enum alert_sink {
	ALERT_STDERR = 0,
	ALERT_SYSLOG,
	ALERT_NONE
};

/*
 * What a listener's programs rely on to be kept apart, which decides what
 * WEAK_PORT_CONFIG expects of its flags (judge_ports.c).
 */
enum port_kind {
	PORT_PLAIN = 0,		/* a port for one program (or one group) */
	PORT_CREDENTIALS,	/* programs told apart by SOCKS credentials
				   (torsocks' IsolatePID, Whonix's <torS0X>0) */
	PORT_BROWSER,		/* per-site SOCKS usernames (Tor Browser) */
	PORT_SHARED		/* every program shares it by design */
};

/* An App line: a listener (port on any address, one address:port, or a
 * unix socket) and its label. */
struct config_app {
	char		*addr;		/* NULL: any address; or "unix:/p" */
	int		 port_lo;	/* 0 for unix sockets */
	int		 port_hi;
	char		*label;
	enum isolate_by	 isolate_by;
	enum port_kind	 kind;
	int		 shared;	/* a shared port (9050, TransPort...) */
	int		 builtin;	/* from the profile */
	const char	*source;	/* the profile's source, or NULL */
	unsigned	 line;
};

/* A Host line: an address or a network (CIDR), IPv4 or IPv6. */
struct config_host {
	char		*addr;		/* as written */
	char		*label;		/* "%a" in it: the client's address */
	int		 family;	/* AF_INET, AF_INET6 */
	unsigned char	 net[16];
	int		 prefix;	/* bits; 32 or 128 for one address */
	int		 builtin;
	const char	*source;
};

/* An Agent line: which workstation agent may speak for which host. */
struct config_agent {
	char		*name;
	char		*addr;		/* as written */
	int		 family;
	unsigned char	 net[16];
	int		 prefix;
	char		*key_file;
	unsigned	 line;
};

struct config {
	char		*path;		/* the file read, or NULL */
	char		*control;	/* ControlPort with one address */
	char		**control_try;	/* ControlPort with several: the
					   addresses to try, NULL-terminated */
	char		*cookie_file;
	char		*password_file;
	char		*database;
	char		*hash_key_file;	/* HashKeyFile, or NULL: DB.key */
	enum log_targets log_targets;
	int		 log_targets_set;
	int64_t		 retention;	/* us, 0 = keep forever */
	int		 tracker_off;	/* Tracker off: no connect tracker */
	enum alert_sink	 alert;
	enum severity	 severity[RULE__COUNT];
	struct config_app *apps;
	size_t		 napps;
	struct config_host *hosts;
	size_t		 nhosts;
	/* The system profile (profile.h): PROFILE_AUTO until chosen. */
	int		 profile;
	int		 profile_set;	/* by a Profile line */
	unsigned	 profile_line;
	char		*profile_why;	/* how it was chosen */
	/* config_agent.c: AgentListen, Agent, LocalAttribution */
	char		*agent_listen;	/* "10.152.152.10:9151", or NULL */
	struct config_agent *agents;
	size_t		 nagents;
	int		 local_attrib_off;	/* LocalAttribution off */
};

/*
 * Loads path (or, when NULL, the first of $XDG_CONFIG_HOME/isoaudit/
 * isoaudit.conf, ~/.config/..., /etc/isoaudit/isoaudit.conf that exists)
 * over the built-in defaults.  Returns 0, or -1 with *cause allocated as
 * "FILE:LINE: reason".
 */
int	config_load(struct config *, const char *, char **);
void	config_free(struct config *);

/* The App matching a listener ("127.0.0.1:9050", "unix:/p"), or NULL. */
const struct config_app *config_app_for(const struct config *, const char *);
/*
 * The Host label of a client address ("10.152.152.11", "[fd19::11]"),
 * written into out (a label's "%a" becomes the address); NULL when no Host
 * line covers it.  The first matching line wins: the config's own, then
 * the profile's.
 */
const char *config_host_for(const struct config *, const char *, char *,
	    size_t);
/* The Agent line covering a client address (no port), or NULL. */
const struct config_agent *config_agent_for(const struct config *,
	    const char *);
/*
 * Uses a system profile (profile.h: an enum profile_id): its App, Host and
 * SharedPort lines replace the built-in ones (the config's own lines stay
 * first).  why says how it was chosen ("Profile line", "detected: ...").
 */
void	config_use_profile(struct config *, int, const char *);
/*
 * Without a Profile line: the marker files below root ("/") of this
 * system choose the profile ("detected: ..."); returns 1 when they did,
 * else 0 with why they did not in ->profile_why (Tor's listeners will).
 */
int	config_detect_profile(struct config *, const char *);

const char *rule_name(enum rule_id);
const char *severity_name(enum severity);
int	severity_parse(const char *, enum severity *);

/*
 * SIGHUP: moves what can change while running (App and Host lines, Rule,
 * Alert, Retention) from src into dst and frees src.  The rest (control
 * address, cookie, password file, database, LogTargets) needs a restart:
 * returns their names if src differs there ("Database LogTargets",
 * allocated), else NULL.
 */
char	*config_reload(struct config *, struct config *);

/* Writes the effective configuration (for `config --check`). */
void	config_print(const struct config *, FILE *);

#ifdef ISOAUDIT_PRIVATE
/* For the unit tests and the fuzzers only. */
/*
 * config_load from memory: buf[0..len) read as a file named name would be
 * (name is kept as ->path and starts every cause).
 */
int	config_load_buf(struct config *, const char *, const char *, size_t,
	    char **);
/* Built-in defaults only. */
void	config_defaults(struct config *);
int	rule_parse(const char *, enum rule_id *);
enum severity rule_default_severity(enum rule_id);
#endif

#endif
