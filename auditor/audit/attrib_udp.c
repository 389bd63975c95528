/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_udp.c: who sent a DNSPort query.  Tor's DNSPort is one UDP socket
 * for every client, so nothing on Tor's side names the client: the client's
 * own socket does.  SOURCE_ADDR is its local address; a resolver that
 * connect()ed it (glibc's getaddrinfo, dig) has the DNSPort it asked as its
 * peer, which names the listener exactly; an unconnected one names only
 * its owner.  Asked over NETLINK_SOCK_DIAG (IPPROTO_UDP), else read from
 * /proc/net/udp{,6}.  Queries are short-lived: the socket may be gone when
 * Tor's event arrives.  Also the DNSPorts a query may have come in on when
 * no socket says (attrib_dns_candidates, pure).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attrib_int.h"
#include "inaddr.h"
#include "ktable.h"
#include "timeutil.h"

static const unsigned char zero16[16];

static int
is_wildcard(const struct sockaddr_pair *p)
{
	return memcmp(p->addr, zero16, p->family == AF_INET ? 4 : 16) == 0;
}

/* A v4-mapped IPv6 endpoint as the IPv4 one; others unchanged. */
static void
unmap(struct sockaddr_pair *p)
{
	(void)inaddr_unmap(&p->family, p->addr);
}

static int
pair_is_loopback(const struct sockaddr_pair *p)
{
	if (p->family == AF_INET)
		return p->addr[0] == 127;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)(const void *)
	    p->addr);
}

/* Whether an address is one of this host's own (so that a socket bound to
 * the wildcard may have sent from it). */
static int
is_local_address(const struct sockaddr_pair *p)
{
	struct ifaddrs *ifs, *i;
	int r = 0;

	if (pair_is_loopback(p))
		return 1;
	if (getifaddrs(&ifs) == -1)
		return 0;
	for (i = ifs; i != NULL && !r; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != p->family)
			continue;
		if (p->family == AF_INET)
			r = memcmp(&((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, p->addr, 4) == 0;
		else
			r = memcmp(&((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, p->addr, 16) == 0;
	}
	freeifaddrs(ifs);
	return r;
}

/* The next listener of a NUL-separated list of n, or NULL; *at walks. */
static const char *
list_next(const char *list, size_t n, size_t *at, const char **pos)
{
	const char *s;

	if (*at >= n || list == NULL)
		return NULL;
	s = *at == 0 ? list : *pos;
	*pos = s + strlen(s) + 1;
	(*at)++;
	return s;
}

/*
 * Whether listener l (parsed) can have received from src: the family
 * (a wildcard of IPv6 takes IPv4 too), and loopback only from loopback.
 */
static int
may_reach(const struct sockaddr_pair *l, const struct sockaddr_pair *src)
{
	if (is_wildcard(l))
		return l->family == src->family || l->family == AF_INET6;
	if (l->family != src->family)
		return 0;
	return !pair_is_loopback(l) || pair_is_loopback(src);
}

/* Whether the peer p of a client's socket is listener l. */
static int
peer_is(const struct sockaddr_pair *p, const struct sockaddr_pair *l)
{
	if (p->port != l->port)
		return 0;
	if (is_wildcard(l))
		return l->family == p->family || l->family == AF_INET6;
	return attrib_same_endpoint(p, l);
}

/*
 * Asks the kernel for the UDP socket that would receive a packet from peer
 * to local: the client's socket bound to local (connected to peer, or not
 * connected at all).  Returns 1 with *out, 0 when there is none, -1 when
 * netlink does not work here.
 */
static int
udp_exact(struct attrib *a, const struct sockaddr_pair *local,
    const struct sockaddr_pair *peer, struct proc_sock *out)
{
	struct inet_diag_msg m;
	size_t n;
	/*
	 * The kernel looks a UDP socket up as for a packet arriving from
	 * src to dst: dst is the socket's own end.
	 */
	int rc = attrib_diag_query(a, IPPROTO_UDP, peer, local, &m);

	if (rc != 1)
		return rc;
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return 0;
	memset(out, 0, sizeof *out);
	n = m.idiag_family == AF_INET ? 4 : 16;
	out->local.family = out->remote.family = m.idiag_family;
	memcpy(out->local.addr, m.id.idiag_src, n);
	memcpy(out->remote.addr, m.id.idiag_dst, n);
	out->local.port = ntohs(m.id.idiag_sport);
	out->remote.port = ntohs(m.id.idiag_dport);
	out->uid = (long)m.idiag_uid;
	out->inode = m.idiag_inode;
	return 1;
}

/*
 * How well socket ps fits a client at src: 2 bound to src itself, 1 bound
 * to the wildcard on src's port, 0 not at all.  ps is unmapped first.
 */
static int
fits(struct proc_sock *ps, const struct sockaddr_pair *src)
{
	unmap(&ps->local);
	unmap(&ps->remote);
	if (ps->local.port != src->port)
		return 0;
	if (attrib_same_endpoint(&ps->local, src))
		return 2;
	if (is_wildcard(&ps->local) && (ps->local.family == src->family ||
	    ps->local.family == AF_INET6))
		return 1;
	return 0;
}

/* Scans /proc/net/udp{,6} for src's socket; 1 found (*out), 0 none, -1
 * unreadable. */
static int
udp_proc(struct attrib *a, const struct sockaddr_pair *src,
    struct proc_sock *out)
{
	static const struct {
		const char	*name;
		int		 family;
	} files[] = { { "udp", AF_INET }, { "udp6", AF_INET6 } };
	char path[512], line[512];
	struct proc_sock ps;
	int best = 0, readable = 0, m;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof files / sizeof files[0] && best < 2; i++) {
		if (files[i].family == AF_INET && src->family == AF_INET6)
			continue;
		snprintf(path, sizeof path, "%s/net/%s", a->procdir,
		    files[i].name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		readable = 1;
		while (best < 2 && fgets(line, sizeof line, f) != NULL)
			if (attrib_proc_parse_line(line, files[i].family,
			    &ps) == 0 && (m = fits(&ps, src)) > best) {
				best = m;
				*out = ps;
			}
		fclose(f);
	}
	return best > 0 ? 1 : readable ? 0 : -1;
}

/*
 * The netlink lookup: a question per DNSPort (a socket connected to
 * another one does not answer), the peer of a wildcard one taken as src's
 * own address (a local client reaches it there).  Returns as udp_exact.
 */
static int
udp_diag(struct attrib *a, const struct sockaddr_pair *src, const char *dns,
    size_t ndns, struct proc_sock *out)
{
	struct sockaddr_pair l, peer;
	const char *s, *pos = NULL;
	size_t at = 0;
	int rc, asked = 0;

	while ((s = list_next(dns, ndns, &at, &pos)) != NULL) {
		if (attrib_parse_endpoint(s, &l) == -1)
			continue;
		unmap(&l);
		if (!may_reach(&l, src))
			continue;
		peer = l;
		if (is_wildcard(&l)) {
			peer = *src;
			peer.port = l.port;
		}
		if (peer.family != src->family)
			continue;
		asked++;
		if ((rc = udp_exact(a, src, &peer, out)) != 0)
			return rc;
	}
	if (asked > 0)
		return 0;
	/* No DNSPort to ask with: an unconnected socket answers anyone. */
	memset(&peer, 0, sizeof peer);
	peer.family = src->family;
	return udp_exact(a, src, &peer, out);
}

/* The entry of dns that peer p is (exactly, or a wildcard on its port). */
static const char *
dns_listener_of(const struct sockaddr_pair *p, const char *dns, size_t ndns)
{
	struct sockaddr_pair l;
	const char *s, *pos = NULL, *wild = NULL;
	size_t at = 0;

	while ((s = list_next(dns, ndns, &at, &pos)) != NULL) {
		if (attrib_parse_endpoint(s, &l) == -1)
			continue;
		unmap(&l);
		if (!peer_is(p, &l))
			continue;
		if (!is_wildcard(&l))
			return s;
		if (wild == NULL)
			wild = s;
	}
	return wild;
}

void
attrib_lookup_dns(struct attrib *a, const char *source_addr, const char *dns,
    size_t ndns, struct attrib_result *res)
{
	struct sockaddr_pair src;
	struct proc_sock ps;
	const char *l;
	int rc = 0;

	/* The host label; "no SOURCE_ADDR", "cannot read SOURCE_ADDR". */
	attrib_resolve("/nonexistent", source_addr, res);
	if (source_addr == NULL || source_addr[0] == '/' ||
	    attrib_parse_endpoint(source_addr, &src) == -1)
		return;
	res->why[0] = '\0';
	unmap(&src);
	/*
	 * The tracker's record of the query, made when it was sent; its
	 * source address is 0 where the route chose it (an unbound socket).
	 */
	if (a->tracker != NULL) {
		const struct ktable_rec *k, *best = NULL;
		struct sockaddr_pair lp, bp;
		const char *bl = NULL;
		int64_t now = time_mono_us();
		size_t i;

		for (i = 0, l = dns; i < ndns; i++, l += strlen(l) + 1) {
			if (attrib_parse_endpoint(l, &lp) == -1)
				continue;
			k = attrib_tracker_rec(a, KTABLE_UDP, &src, &lp, now);
			if (ATTRIB_TRACKER_NEWER(k, best)) {
				best = k;
				bp = lp;
				bl = l;
			}
		}
		if (best != NULL) {
			attrib_tracker_fill(best, &src, &bp, res);
			/* The DNSPort as Tor lists it. */
			snprintf(res->listener, sizeof res->listener, "%s", bl);
			a->dns_found++;
			return;
		}
	}
	if (!a->udp_nl_broken) {
		rc = udp_diag(a, &src, dns, ndns, &ps);
		if (rc == -1)
			a->udp_nl_broken = 1;
		else if (rc == 1)
			a->by_netlink++;
	}
	/*
	 * /proc when netlink cannot answer, and on a miss until netlink has
	 * found one socket (a kernel without udp_diag says "none" to all).
	 */
	if (rc == -1 || (rc == 0 && !a->udp_nl_ok)) {
		int asked = rc == 0;

		a->by_proc++;
		rc = udp_proc(a, &src, &ps);
		/*
		 * An unconnected socket answers netlink for any peer: one
		 * that netlink did not see means it cannot see UDP here.
		 */
		if (rc == 1 && asked && ps.remote.port == 0)
			a->udp_nl_broken = 1;
	} else if (rc == 1) {
		a->udp_nl_ok = 1;
		unmap(&ps.local);
		unmap(&ps.remote);
	}
	/* A wildcard socket on the port of another host's query: not it. */
	if (rc == 1 && is_wildcard(&ps.local) && !is_local_address(&src))
		rc = 0;
	if (rc != 1) {
		a->dns_gone++;
		snprintf(res->why, sizeof res->why, rc == -1 ?
		    "cannot read %s/net" : "no socket for %s here (closed "
		    "already, or the client is on another host)",
		    rc == -1 ? a->procdir : source_addr);
		return;
	}
	a->dns_found++;
	res->uid = ps.uid;
	res->inode = ps.inode;
	if (ps.remote.port == 0)
		snprintf(res->why, sizeof res->why, "the query's socket is not "
		    "connected: it does not name the DNSPort");
	else if ((l = dns_listener_of(&ps.remote, dns, ndns)) != NULL)
		snprintf(res->listener, sizeof res->listener, "%s", l);
	else
		snprintf(res->why, sizeof res->why, "the query's socket is "
		    "connected to no DNSPort of Tor's");
	if (res->inode != 0)
		attrib_process(a, res);
}

void
attrib_dns_counts(const struct attrib *a, unsigned long *found,
    unsigned long *gone)
{
	*found = a->dns_found;
	*gone = a->dns_gone;
}

size_t
attrib_dns_candidates(const char *source_addr, const char *dns, size_t ndns,
    char *out, size_t len)
{
	struct sockaddr_pair src, l;
	const char *s, *pos = NULL;
	size_t at = 0, n = 0, used = 0, sl;
	int known, cut = 0;

	known = source_addr != NULL && source_addr[0] != '/' &&
	    attrib_parse_endpoint(source_addr, &src) == 0;
	if (known)
		unmap(&src);
	if (len > 0)
		out[0] = '\0';
	while ((s = list_next(dns, ndns, &at, &pos)) != NULL) {
		if (known && attrib_parse_endpoint(s, &l) == 0) {
			unmap(&l);
			if (!may_reach(&l, &src))
				continue;
		}
		n++;
		sl = strlen(s);
		if (cut || len == 0)
			continue;
		/* Room for ", ", s, and "..." after it should more come. */
		if (used + (n > 1 ? 2 : 0) + sl + 4 > len) {
			if (used + 4 <= len) {
				memcpy(out + used, "...", 4);
				used += 3;
			}
			cut = 1;
			continue;
		}
		if (n > 1) {
			memcpy(out + used, ", ", 2);
			used += 2;
		}
		/* Tor's text: printable, whatever it holds. */
		for (; *s != '\0'; s++)
			out[used++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
		out[used] = '\0';
	}
	return n;
}
