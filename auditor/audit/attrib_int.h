/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_int.h: what the files of attribution share: attrib.c (the public
 * lookup, listeners, labels), attrib_diag.c (NETLINK_SOCK_DIAG exact
 * lookups), attrib_proc.c (/proc/net/tcp{,6}: the scan and the snapshot)
 * and attrib_process.c (the process holding a socket, from /proc/PID/fd).
 * Private to those files.
 */
#ifndef ISOAUDIT_ATTRIB_INT_H
#define ISOAUDIT_ATTRIB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "hindex.h"

struct sockaddr_pair {
	int		family;
	unsigned char	addr[16];
	unsigned	port;
};

/* One row of /proc/net/tcp{,6} (or udp{,6}: the same columns). */
struct proc_sock {
	struct sockaddr_pair	local;
	struct sockaddr_pair	remote;
	unsigned		state;
	long			uid;
	uint64_t		inode;
};

/*
 * Every socket a /proc/PID/fd walk passes is remembered (inode -> pid and
 * fd), so that a later stream of any process walked once costs one
 * readlink to confirm instead of a walk of every newer process.  Full:
 * emptied and filled again.
 */
struct ino_slot {
	uint64_t	ino;
	int32_t		pid;		/* 0: known stale */
	int32_t		fd;
	char		comm[16];	/* the process's name, "" not read */
};
#define ATTRIB_INO_MAX		8192	/* sockets remembered */

struct attrib {
	char			*procdir;
	unsigned long		 by_netlink;
	unsigned long		 by_proc;
	struct ktable		*tracker;	/* or NULL (borrowed) */

	/* attrib_diag.c */
	int			 nl;		/* netlink socket, or -1 */
	int			 nl_broken;
	struct sockaddr_pair	*listeners;	/* most used first */
	unsigned long		*lhits;		/* streams found on each */
	size_t			 nlisteners;
	int			 wildcard;	/* a listener on 0.0.0.0 or :: */
	int			 udp_nl_broken;	/* the kernel has no UDP
						   sock_diag (attrib_udp.c) */
	int			 udp_nl_ok;	/* it found a UDP socket once */
	unsigned long		 dns_found;	/* DNS queries whose socket was
						   found; and gone */
	unsigned long		 dns_gone;

	/* attrib_proc.c */
	struct proc_sock	*snap;		/* /proc/net/tcp{,6} */
	size_t			 nsnap;
	size_t			 snapcap;
	int64_t			 snap_at;	/* monotonic us, 0 never */
	int			 snap_ok;

	/* attrib_process.c */
	long			 recent[16];	/* pids found lately, newest
						   first: long-lived clients
						   (a browser) open many */
	size_t			 nrecent;
	struct ino_slot		*ino;		/* socket inode -> pid, fd */
	size_t			 nino;
	size_t			 inocap;
	struct hindex		 ino_index;	/* of ino, by inode */
	long			 last_pid;	/* ns_last_pid when last read */
};

/* attrib.c */
/* Parses "1.2.3.4:5", "[::1]:5", "::1:5" into a pair; returns 0 or -1. */
int	attrib_parse_endpoint(const char *, struct sockaddr_pair *);
int	attrib_same_endpoint(const struct sockaddr_pair *,
	    const struct sockaddr_pair *);
/* "1.2.3.4:5" or "[::1]:5" into out. */
void	attrib_format_endpoint(const struct sockaddr_pair *, char *, size_t);

/* attrib_diag.c */
/* Opens the NETLINK_SOCK_DIAG socket (kept in a) unless open; 0 or -1. */
int	attrib_diag_open(struct attrib *);
struct inet_diag_msg;
/* One NETLINK_SOCK_DIAG question (protocol, src, dst): 1 with the answer,
 * 0 none, -1 netlink does not work here. */
int	attrib_diag_query(struct attrib *, int, const struct sockaddr_pair *,
	    const struct sockaddr_pair *, struct inet_diag_msg *);
/*
 * The netlink lookup of attrib_lookup_hint for a parsed SOURCE_ADDR.
 * Returns 1 when it answered (res filled), 0 when the /proc snapshot must.
 */
int	attrib_diag_lookup(struct attrib *, const char *,
	    const struct sockaddr_pair *, const char *, int,
	    struct attrib_result *);

/* attrib_proc.c */
/* Parses a row of /proc/net/{tcp,udp}{,6}; returns 0 or -1 (the header,
 * or junk). */
int	attrib_proc_parse_line(const char *, int, struct proc_sock *);
/* An IPv4 endpoint as the v4-mapped IPv6 one tcp6 and udp6 show. */
struct sockaddr_pair attrib_v4_mapped(const struct sockaddr_pair *);
/* The /proc/net/tcp snapshot's answer for a parsed SOURCE_ADDR. */
void	attrib_proc_lookup(struct attrib *, const char *,
	    const struct sockaddr_pair *, struct attrib_result *);

/* attrib_process.c */
/*
 * The process holding res->inode (owned by res->uid, -1 if unknown): scans
 * /proc/PID/fd of that user's processes, newest first.  Returns 0 with
 * res->pid, process and exe filled, -1 when none is found (gone already,
 * or not ours to see).
 */
int	attrib_process(struct attrib *, struct attrib_result *);
/* The connect tracker's newest record of proto (ktable.h) from src to a
 * listener, or NULL (borrowed from the table). */
const struct ktable_rec *attrib_tracker_rec(struct attrib *, int,
	    const struct sockaddr_pair *, const struct sockaddr_pair *, int64_t);
/* res from a tracker record ("tracker") of src's connection to l. */
void	attrib_tracker_fill(const struct ktable_rec *,
	    const struct sockaddr_pair *, const struct sockaddr_pair *,
	    struct attrib_result *);
/*
 * Whether record k is newer than best (or best is none), to choose among
 * listeners: the kernel may give a closed connection's source port (or a
 * query's) to a new one to another listener within the table's two
 * minutes, and the older record must not name the new stream.
 */
#define ATTRIB_TRACKER_NEWER(k, best) \
	((k) != NULL && ((best) == NULL || (k)->at > (best)->at))

#endif
