/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_diag.c: the fast path of attribution, exact socket lookups over
 * NETLINK_SOCK_DIAG for each known TCP listener (Tor's own list, from
 * GETINFO net/listeners/...).  A local client's socket runs SOURCE_ADDR ->
 * listener and has the owner; Tor's accepted one runs listener ->
 * SOURCE_ADDR.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attrib_int.h"

int
attrib_diag_open(struct attrib *a)
{
	struct timeval tv = { 0, 200000 };

	if (a->nl != -1)
		return 0;
	a->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (a->nl == -1)
		return -1;
	setsockopt(a->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return 0;
}

/*
 * One NETLINK_SOCK_DIAG question: the socket of protocol proto whose
 * four-tuple is src -> dst (as the kernel looks one up: for UDP, a packet
 * from src arriving at dst).  Returns 1 with *out, 0 when there is none,
 * -1 when netlink does not work here.  Opens the netlink socket (kept in
 * a) on first use.
 */
int
attrib_diag_query(struct attrib *a, int proto,
    const struct sockaddr_pair *src, const struct sockaddr_pair *dst,
    struct inet_diag_msg *out)
{
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	r;
	} req;
	union {
		struct nlmsghdr		nlh;
		char			buf[1024];
	} ans;
	struct sockaddr_nl sa;
	struct nlmsghdr *h;
	size_t alen = src->family == AF_INET ? 4 : 16;
	ssize_t got;

	if (attrib_diag_open(a) == -1)
		return -1;
	memset(&req, 0, sizeof req);
	req.nlh.nlmsg_len = sizeof req;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)src->family;
	req.r.sdiag_protocol = (uint8_t)proto;
	req.r.idiag_states = ~0U;
	req.r.id.idiag_sport = htons((uint16_t)src->port);
	req.r.id.idiag_dport = htons((uint16_t)dst->port);
	memcpy(req.r.id.idiag_src, src->addr, alen);
	memcpy(req.r.id.idiag_dst, dst->addr, alen);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	if (sendto(a->nl, &req, sizeof req, 0, (struct sockaddr *)&sa,
	    sizeof sa) != (ssize_t)sizeof req)
		return -1;
	got = recv(a->nl, ans.buf, sizeof ans.buf, 0);
	if (got < (ssize_t)sizeof(struct nlmsghdr))
		return -1;
	for (h = &ans.nlh; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error == -ENOENT ? 0 : -1;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			memcpy(out, NLMSG_DATA(h), sizeof *out);
			return 1;
		}
	}
	return 0;
}

/*
 * The TCP connection src -> dst: 1 with its owner's *uid and *inode, 0
 * when there is none, -1 when netlink does not work here.
 */
static int
diag_exact(struct attrib *a, const struct sockaddr_pair *src,
    const struct sockaddr_pair *dst, uint32_t *uid, uint32_t *inode)
{
	struct inet_diag_msg m;
	int rc = attrib_diag_query(a, IPPROTO_TCP, src, dst, &m);

	if (rc != 1)
		return rc;
	/* With no such connection the kernel may answer with a listening
	 * socket on src: not ours.  Nor is a connection in TIME_WAIT: an
	 * earlier client's, from the same port to another listener, while
	 * the port serves a new connection (seen: a stream of E named A). */
	if (m.idiag_state == 10 /* TCP_LISTEN */ ||
	    m.idiag_state == 6 /* TCP_TIME_WAIT */ ||
	    m.id.idiag_dport != htons((uint16_t)dst->port))
		return 0;
	*uid = m.idiag_uid;
	*inode = m.idiag_inode;
	return 1;
}

/*
 * Keeps the listeners most streams came in on first: a hit costs two
 * netlink requests for every listener tried before it (a Whonix-Gateway
 * has some 26), and most streams come from a few applications.
 */
static void
listener_hit(struct attrib *a, size_t i)
{
	struct sockaddr_pair t;
	unsigned long h;

	a->lhits[i]++;
	for (; i > 0 && a->lhits[i] > a->lhits[i - 1]; i--) {
		t = a->listeners[i];
		a->listeners[i] = a->listeners[i - 1];
		a->listeners[i - 1] = t;
		h = a->lhits[i];
		a->lhits[i] = a->lhits[i - 1];
		a->lhits[i - 1] = h;
	}
}

/* One lookup's question and what the kernel has said so far. */
struct diag_ask {
	const struct sockaddr_pair *src;
	int		 local;		/* src is a loopback address */
	uint32_t	 uid;
	uint32_t	 inode;
	int		 asked;		/* listeners asked */
	size_t		 hint;		/* the hint's listener, or -1 */
};

/*
 * Asks the hint's listener both ways, the likelier first.  Returns 1 for
 * the client's own socket (q->uid and q->inode set), 2 for Tor's accepted
 * one, 0 for neither, -1 when netlink does not work.
 */
static int
diag_hint(struct attrib *a, struct diag_ask *q, const struct sockaddr_pair *hp)
{
	const struct sockaddr_pair *src = q->src;
	int rc;

	rc = diag_exact(a, q->local ? src : hp, q->local ? hp : src, &q->uid,
	    &q->inode);
	if (rc == 1 && !q->local)
		rc = 2;
	if (rc == 0)
		rc = q->local ? diag_exact(a, hp, src, &q->uid,
		    &q->inode) == 1 ? 2 : 0 :
		    diag_exact(a, src, hp, &q->uid, &q->inode);
	return rc;
}

/*
 * Two passes over the listeners: a local client's own socket (it has the
 * owner) on every listener first, then Tor's accepted one (a remote
 * client, or a local one gone); the other way round for a remote address,
 * which has no socket here.  A hit on the k-th listener costs k requests,
 * not 2k - 1.  The hint's listener, asked already, is skipped.  Returns
 * as diag_hint does, with the listener's index in *at.
 */
static int
diag_passes(struct attrib *a, struct diag_ask *q, size_t *at)
{
	const struct sockaddr_pair *src = q->src;
	int pass, rc = 0;
	size_t i = 0;

	for (pass = 0; pass < 2 && rc == 0; pass++) {
		int mine = q->local ? pass == 0 : pass == 1;

		for (i = 0; i < a->nlisteners; i++) {
			const struct sockaddr_pair *l = &a->listeners[i];

			if (l->family != src->family || i == q->hint)
				continue;
			rc = mine ? diag_exact(a, src, l, &q->uid,
			    &q->inode) : diag_exact(a, l, src, &q->uid,
			    &q->inode) == 1 ? 2 : 0;
			if (rc == -1) {
				a->nl_broken = 1;
				break;
			}
			q->asked++;
			if (rc != 0)
				break;
		}
		if (rc == -1)
			break;
	}
	*at = i;
	return rc;
}

int
attrib_diag_lookup(struct attrib *a, const char *source_addr,
    const struct sockaddr_pair *src, const char *hint, int only,
    struct attrib_result *res)
{
	struct diag_ask q = { .src = src, .hint = (size_t)-1 };
	struct sockaddr_pair hp;
	char host[INET6_ADDRSTRLEN];
	int rc = 0;
	size_t i = 0;

	inet_ntop(src->family, src->addr, host, sizeof host);
	q.local = attrib_is_loopback(host);
	/*
	 * The listener the stream's session group came in on before (the
	 * pipeline knows it): asked first, both ways.
	 */
	if (hint != NULL && attrib_parse_endpoint(hint, &hp) == 0 &&
	    hp.family == src->family)
		for (i = 0; i < a->nlisteners; i++) {
			if (!attrib_same_endpoint(&a->listeners[i], &hp))
				continue;
			rc = diag_hint(a, &q, &hp);
			if (rc == -1)
				a->nl_broken = 1;
			else
				q.asked++;
			q.hint = i;
			break;
		}
	/*
	 * A session group Tor numbered itself belongs to one listener
	 * (only): nothing there means the client is gone, not that it is
	 * elsewhere.  (A SessionGroup=N may join several.)
	 */
	if (rc == 0 && !(only && q.hint != (size_t)-1))
		rc = diag_passes(a, &q, &i);
	if (rc > 0) {
		memset(res, 0, sizeof *res);
		attrib_format_endpoint(&a->listeners[i], res->listener,
		    sizeof res->listener);
		listener_hit(a, i);
		res->uid = rc == 1 ? (long)q.uid : -1;
		res->inode = rc == 1 ? q.inode : 0;
		snprintf(res->host, sizeof res->host, "%s",
		    q.local ? "localhost" : host);
		a->by_netlink++;
		if (res->inode != 0)
			attrib_process(a, res);
		return 1;
	}
	/*
	 * The kernel said no for every listener: the client is gone (or on
	 * another host).  Re-reading /proc/net/tcp (the whole table) could
	 * only find more when a listener is a wildcard, whose accepted
	 * sockets carry the real address instead.
	 */
	if (!a->nl_broken && q.asked > 0 && !a->wildcard) {
		a->by_netlink++;
		attrib_resolve("/nonexistent", source_addr, res);
		snprintf(res->why, sizeof res->why, "no socket for %s here "
		    "(closed already, or Tor is on another host)", source_addr);
		return 1;
	}
	return 0;
}
