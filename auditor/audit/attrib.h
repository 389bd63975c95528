/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib.h: who opened a stream.  From SOURCE_ADDR (on NEW/NEWRESOLVE):
 * the listener it came in on and, where the client is on this host, its
 * socket's owner.  Reads /proc; the rest of the pipeline never does.
 */
#ifndef ISOAUDIT_ATTRIB_H
#define ISOAUDIT_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

struct attrib_result {
	char	listener[80];	/* "127.0.0.1:9050", "[::1]:9050",
				   "unix:/run/tor/socks", or "" */
	char	host[64];	/* the client's host label */
	long	uid;		/* owner of the client socket, or -1 */
	uint64_t inode;		/* of the client socket, or 0 */
	long	pid;		/* the process holding it, or 0 */
	char	process[32];	/* its name (comm), or "" */
	char	exe[256];	/* its executable ("/usr/bin/curl"), or ""
				   where it cannot be read */
	char	why[192];	/* when listener is "": why not */
	char	by[48];	/* who named the process when not a lookup
				   did: "tracker" (ktable.h), "agent:NAME";
				   else "" */
};

/*
 * Resolves SOURCE_ADDR ("127.0.0.1:41036", "[::1]:5000", "/path:0").
 * procdir is "/proc" (tests may point elsewhere).  Always fills res.
 */
void	attrib_resolve(const char *, const char *, struct attrib_result *);
/*
 * The fast path: exact socket lookups over NETLINK_SOCK_DIAG for each
 * known TCP listener (Tor's own list, from GETINFO net/listeners/...),
 * then the /proc scan above when that finds nothing.
 */
struct attrib;

/* Returns a new context (procdir is copied); never NULL. */
struct attrib *attrib_new(const char *);
void	attrib_free(struct attrib *);
/* Replaces the known listeners ("127.0.0.1:9050", "[::1]:9050"; others
 * are ignored). */
void	attrib_set_listeners(struct attrib *, const char *const *, size_t);
/*
 * The connect tracker's table (borrowed, or NULL): asked first for a TCP
 * stream's SOURCE_ADDR with each listener as its peer.
 */
struct ktable;
void	attrib_set_tracker(struct attrib *, struct ktable *);
void	attrib_lookup(struct attrib *, const char *, struct attrib_result *);
/*
 * The same, asking listener hint ("127.0.0.1:9150", or NULL) first: where
 * the stream's session group came in before.  only: the group is one of
 * Tor's own numbering, which belongs to that listener alone: when hint
 * has no such socket, no other listener is asked.
 */
void	attrib_lookup_hint(struct attrib *, const char *, const char *, int,
	    struct attrib_result *);
/*
 * A DNSPort query (UDP, CLIENT_PROTOCOL=DNS): SOURCE_ADDR is the client's
 * own UDP socket, looked up by its local address (NETLINK_SOCK_DIAG, else
 * /proc/net/udp{,6}).  A resolver that connect()ed it (glibc, dig) has the
 * DNSPort as its peer: res->listener names it, as dns lists it.  An
 * unconnected socket gives the owner (uid, inode, process) and no
 * listener.  dns: Tor's DNSPort listeners, ndns strings one after the
 * other, each ended by its NUL (GETINFO net/listeners/dns).  Always fills
 * res.
 */
void	attrib_lookup_dns(struct attrib *, const char *, const char *, size_t,
	    struct attrib_result *);
/* DNS queries whose socket was found, and not (for tests, measuring). */
void	attrib_dns_counts(const struct attrib *, unsigned long *,
	    unsigned long *);
/*
 * The DNSPorts of dns (as for attrib_lookup_dns) a query from SOURCE_ADDR
 * may have come in on: one of the client's address family (or a wildcard
 * of the other), and one bound to loopback only for a loopback client
 * (the kernel delivers nothing else there); all of them for a NULL one.
 * Writes them to out ("A, B", cut at len with "...", bytes that are not
 * printable as "?") and returns how many; no I/O.
 */
size_t	attrib_dns_candidates(const char *, const char *, size_t, char *,
	    size_t);
/* Lookups answered by netlink and by the /proc scan (for tests, bench). */
void	attrib_counts(const struct attrib *, unsigned long *, unsigned long *);

#ifdef ISOAUDIT_PRIVATE
/* Every lookup from procdir, never netlink (the tests' fake /proc). */
void	attrib_no_netlink(struct attrib *);
#endif

/*
 * The agent's record sources (attrib_conn.c): each TCP connection of this
 * host (connecting or connected), once, with the process that holds it,
 * found by polling; or a connect (or DNS query) the kernel tracker
 * recorded, in the same form.
 */
struct attrib_conn {
	char	src[64];	/* local "10.152.152.11:41036" */
	char	dst[64];
	long	pid;
	long	uid;
	char	comm[32];
	char	exe[256];
	int	udp;		/* a DNS query (the tracker's only) */
};
struct ktable_rec;
/* The tracker's record r as a connection. */
void	attrib_conn_from_tracker(const struct ktable_rec *,
	    struct attrib_conn *);
struct attrib_conns;
/* Returns a new source reading procdir ("/proc"); never NULL. */
struct attrib_conns *attrib_conns_new(const char *);
void	attrib_conns_free(struct attrib_conns *);
/* Calls fn with each connection not reported before whose process was
 * found; 0, or -1 when procdir/net/tcp cannot be read. */
int	attrib_conns_poll(struct attrib_conns *,
	    void (*)(const struct attrib_conn *, void *), void *);

/*
 * Whether this process lacks a privilege to name other users' programs
 * (attrib_priv.c): 0, or 1 with *line (the warning and its fix) and
 * *brief (for the dashboard's header) allocated.  tracker: the connect
 * tracker runs.  _text is the decision, from CapEff and hidepid.
 */
int	attrib_privilege(const char *, int, char **, char **);
int	attrib_privilege_text(uint64_t, int, int, char **, char **);

/* "port 9050", "unix:/path" (the default App label of a listener). */
void	attrib_default_label(const char *, char *, size_t);
/* Whether an address (without port) is a loopback address. */
int	attrib_is_loopback(const char *);

#endif
