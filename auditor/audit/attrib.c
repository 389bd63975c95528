/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib.c: listener and socket owner of a stream's client.  The lookup
 * asks the kernel first (attrib_diag.c: an exact NETLINK_SOCK_DIAG query
 * per known listener), then a snapshot of /proc/net/tcp{,6}
 * (attrib_proc.c); the process holding the socket comes from /proc/PID/fd
 * (attrib_process.c).  A unix-socket listener is named by SOURCE_ADDR
 * itself.  Here: the context, the endpoints, the labels.
 */
#define ISOAUDIT_PRIVATE	/* defines what attrib.h keeps for tests */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib_int.h"
#include "ktable.h"
#include "timeutil.h"
#include "xmalloc.h"

int
attrib_parse_endpoint(const char *s, struct sockaddr_pair *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n;
	unsigned long port;
	char *end;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (n >= sizeof host)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port > 65535)
		return -1;
	out->port = (unsigned)port;
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

int
attrib_same_endpoint(const struct sockaddr_pair *a,
    const struct sockaddr_pair *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, n) == 0;
}

void
attrib_format_endpoint(const struct sockaddr_pair *p, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, host, sizeof host);
	if (p->family == AF_INET6)
		snprintf(out, len, "[%s]:%u", host, p->port);
	else
		snprintf(out, len, "%s:%u", host, p->port);
}

int
attrib_is_loopback(const char *addr)
{
	struct sockaddr_pair p;
	char *tmp;
	int r = 0;

	if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "[::1]") == 0 || strcmp(addr, "localhost") == 0)
		return 1;
	tmp = xasprintf("%s:0", addr);
	/* Set: gcc -O2 tests family before attrib_parse_endpoint's result. */
	memset(&p, 0, sizeof p);
	if (attrib_parse_endpoint(tmp, &p) == 0 && p.family == AF_INET6)
		r = IN6_IS_ADDR_LOOPBACK((struct in6_addr *)(void *)p.addr) ||
		    (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)p.addr) &&
		    p.addr[12] == 127);
	free(tmp);
	return r;
}

void
attrib_default_label(const char *listener, char *out, size_t len)
{
	const char *colon;

	if (strncmp(listener, "unix:", 5) == 0) {
		snprintf(out, len, "%s", listener);
		return;
	}
	colon = strrchr(listener, ':');
	snprintf(out, len, "port %s", colon ? colon + 1 : listener);
}

struct attrib *
attrib_new(const char *procdir)
{
	struct attrib *a = xcalloc(1, sizeof *a);

	a->procdir = xstrdup(procdir);
	a->nl = -1;
	hindex_init(&a->ino_index);
	return a;
}

void
attrib_free(struct attrib *a)
{
	if (a == NULL)
		return;
	if (a->nl != -1)
		close(a->nl);
	free(a->listeners);
	free(a->lhits);
	free(a->snap);
	free(a->ino);
	hindex_free(&a->ino_index);
	free(a->procdir);
	free(a);
}

void
attrib_set_listeners(struct attrib *a, const char *const *addrs, size_t n)
{
	size_t i;

	free(a->listeners);
	free(a->lhits);
	a->listeners = xcalloc(n, sizeof *a->listeners);
	a->lhits = xcalloc(n, sizeof *a->lhits);
	a->nlisteners = 0;
	a->wildcard = 0;
	for (i = 0; i < n; i++)
		if (strncmp(addrs[i], "unix:", 5) != 0 &&
		    attrib_parse_endpoint(addrs[i],
		    &a->listeners[a->nlisteners]) == 0) {
			static const unsigned char zero[16];
			const struct sockaddr_pair *l =
			    &a->listeners[a->nlisteners];

			if (memcmp(l->addr, zero, l->family == AF_INET ? 4 :
			    16) == 0)
				a->wildcard = 1;
			a->nlisteners++;
		}
}

void
attrib_no_netlink(struct attrib *a)
{
	a->nl_broken = 1;
	a->udp_nl_broken = 1;
}

void
attrib_counts(const struct attrib *a, unsigned long *nl, unsigned long *proc)
{
	*nl = a->by_netlink;
	*proc = a->by_proc;
}

void
attrib_lookup(struct attrib *a, const char *source_addr,
    struct attrib_result *res)
{
	attrib_lookup_hint(a, source_addr, NULL, 0, res);
}

void
attrib_set_tracker(struct attrib *a, struct ktable *t)
{
	a->tracker = t;
}

/*
 * The connect tracker's newest record (proto: KTABLE_TCP, or KTABLE_UDP
 * for a DNS query) of the connection from src to listener l (to src's own
 * address where l is a wildcard; a query's source address may be 0), or
 * NULL.  Borrowed from the table.
 */
const struct ktable_rec *
attrib_tracker_rec(struct attrib *a, int proto,
    const struct sockaddr_pair *src, const struct sockaddr_pair *l,
    int64_t now)
{
	static const unsigned char zero[16];
	const unsigned char *dst = l->addr;
	const struct ktable_rec *k;

	if (l->family != src->family)
		return NULL;
	if (memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16) == 0)
		dst = src->addr;
	k = ktable_find(a->tracker, proto, src->family, src->addr, src->port,
	    dst, l->port, now);
	/* A datagram whose source address the route chose: recorded as 0. */
	if (k == NULL && proto == KTABLE_UDP)
		k = ktable_find(a->tracker, proto, src->family, zero,
		    src->port, dst, l->port, now);
	return k;
}

void
attrib_tracker_fill(const struct ktable_rec *k,
    const struct sockaddr_pair *src, const struct sockaddr_pair *l,
    struct attrib_result *res)
{
	char host[INET6_ADDRSTRLEN];

	memset(res, 0, sizeof *res);
	attrib_format_endpoint(l, res->listener, sizeof res->listener);
	inet_ntop(src->family, src->addr, host, sizeof host);
	snprintf(res->host, sizeof res->host, "%s",
	    attrib_is_loopback(host) ? "localhost" : host);
	res->uid = k->uid;
	res->pid = k->tgid;
	snprintf(res->process, sizeof res->process, "%s", k->comm);
	snprintf(res->exe, sizeof res->exe, "%s", k->exe);
	snprintf(res->by, sizeof res->by, "tracker");
}

/*
 * The tracker's answer for src: the hint's listener first (alone when
 * only: a session group Tor gave that listener alone), else the newest
 * record from src to any listener (ATTRIB_TRACKER_NEWEST).
 */
static int
tracker_lookup(struct attrib *a, const struct sockaddr_pair *src,
    const char *hint, int only, struct attrib_result *res)
{
	const struct ktable_rec *k, *best = NULL;
	const struct sockaddr_pair *at = NULL;
	struct sockaddr_pair hp;
	int64_t now = time_mono_us();
	size_t i;

	if (hint != NULL && attrib_parse_endpoint(hint, &hp) == 0) {
		if ((k = attrib_tracker_rec(a, KTABLE_TCP, src, &hp,
		    now)) != NULL) {
			attrib_tracker_fill(k, src, &hp, res);
			return 1;
		}
		if (only)
			return 0;
	}
	for (i = 0; i < a->nlisteners; i++) {
		k = attrib_tracker_rec(a, KTABLE_TCP, src, &a->listeners[i],
		    now);
		if (ATTRIB_TRACKER_NEWER(k, best)) {
			best = k;
			at = &a->listeners[i];
		}
	}
	if (best == NULL)
		return 0;
	attrib_tracker_fill(best, src, at, res);
	return 1;
}

void
attrib_lookup_hint(struct attrib *a, const char *source_addr,
    const char *hint, int only, struct attrib_result *res)
{
	struct sockaddr_pair src;

	if (source_addr == NULL || source_addr[0] == '/' ||
	    attrib_parse_endpoint(source_addr, &src) == -1) {
		a->by_proc++;
		attrib_resolve(a->procdir, source_addr, res);
		return;
	}
	if (a->tracker != NULL && tracker_lookup(a, &src, hint, only, res))
		return;
	if (!a->nl_broken && a->nlisteners > 0 &&
	    attrib_diag_lookup(a, source_addr, &src, hint, only, res) == 1)
		return;
	a->by_proc++;
	attrib_proc_lookup(a, source_addr, &src, res);
}
