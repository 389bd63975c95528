/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * profile.h: the systems isoaudit knows as they ship today (Whonix-Gateway,
 * Qubes-Whonix, Tails, Debian): each one's listeners with their labels,
 * flags and sources, its hosts, where its real control port is, and what
 * to tell its user to do about a finding.  Data, and the detection that
 * picks one (from marker files, or from Tor's own listeners).  Pure: the
 * marker check is handed a root directory and only stat()s below it.
 */
#ifndef ISOAUDIT_PROFILE_H
#define ISOAUDIT_PROFILE_H

#include <stddef.h>

#include "config.h"

enum profile_id {
	PROFILE_AUTO = -1,		/* not chosen yet: detect */
	PROFILE_NONE = 0,		/* no built-in map */
	PROFILE_WHONIX_GATEWAY,
	PROFILE_QUBES_WHONIX,
	PROFILE_TAILS,
	PROFILE_DEBIAN,
	PROFILE__COUNT
};

/* One listener (or a range of them) as the system ships it. */
struct profile_port {
	const char	*type;		/* SocksPort, HTTPTunnelPort,
					   TransPort, DNSPort */
	const char	*addr;		/* NULL: the port on any address;
					   "unix:/path"; an address */
	int		 lo, hi;	/* 0 for a unix socket */
	const char	*label;		/* "%d": one App a port */
	enum port_kind	 kind;
	enum isolate_by	 by;
	const char	*flags;		/* Tor flags as shipped, "" none */
	const char	*source;	/* where it was read, and when */
};

struct profile_host {
	const char	*net;		/* address or CIDR */
	const char	*label;		/* "%a": the client's address */
	const char	*source;
};

struct profile {
	enum profile_id			 id;
	const char			*name;	/* "whonix-gateway" */
	const char			*title;	/* "Whonix-Gateway" */
	const struct profile_port	*ports;
	size_t				 nports;
	const struct profile_host	*hosts;
	size_t				 nhosts;
	/* Tor's own control port, in the order to try (never a filter
	 * such as onion-grater), NULL-terminated. */
	const char *const		*control;
};

/* The profile of an id (PROFILE_NONE .. PROFILE__COUNT-1), or NULL. */
const struct profile *profile_get(enum profile_id);
/* "whonix-gateway" ...; "auto" for PROFILE_AUTO. */
const char *profile_name(enum profile_id);
/* Parses a Profile value (case-insensitive; "auto" too); 0 or -1. */
int	profile_parse(const char *, enum profile_id *);

/*
 * The system's marker files below root ("/"): a Whonix-Gateway, a Qubes
 * VM, Tails.  Returns the profile (PROFILE_AUTO when no marker says) and
 * what decided in why ("/usr/share/anon-gw-base-files/gateway exists").
 */
enum profile_id profile_detect_markers(const char *, char *, size_t);
/*
 * Tor's own listeners ("127.0.0.1:9050", "[::1]:9150",
 * "unix:/run/tor/socks"; SocksPort, HTTPTunnelPort, TransPort and DNSPort
 * alike): the system whose distinctive ports they are, else PROFILE_NONE,
 * with what decided in why.
 */
enum profile_id profile_detect_listeners(const char *const *, size_t, char *,
	    size_t);

/*
 * What to do about a finding of rule on that system: one line, or NULL
 * (the generic advice of the findings table applies).
 */
const char *profile_remedy(enum profile_id, enum rule_id);

#endif
