/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_proc.c: attribution from /proc/net/tcp{,6}.  A local client's TCP
 * socket has SOURCE_ADDR as its local address and the listener as its
 * remote one (Tor's accepted socket is the mirror image: the listener
 * local, SOURCE_ADDR remote); either is in the table.  attrib_resolve reads
 * it once per lookup; attrib_proc_lookup keeps a snapshot, re-read on a
 * miss at most every ATTRIB_SNAPSHOT_MIN_US.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib_int.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Re-reading /proc/net/tcp walks the kernel's whole table: at most so
 * often, on a miss. */
#define ATTRIB_SNAPSHOT_MIN_US	50000

/* Decodes /proc/net/tcp's "0100007F:1F90" (address in host order words). */
static int
parse_proc_endpoint(const char *s, int family, struct sockaddr_pair *out)
{
	size_t hexlen = family == AF_INET ? 8 : 32, i;
	unsigned long port;
	char *end;

	if (strlen(s) < hexlen + 2 || s[hexlen] != ':')
		return -1;
	for (i = 0; i < hexlen / 8; i++) {
		char word[9];
		uint32_t w;

		memcpy(word, s + i * 8, 8);
		word[8] = '\0';
		w = (uint32_t)strtoul(word, &end, 16);
		if (*end != '\0')
			return -1;
		/* The kernel prints each 32-bit word in host byte order. */
		memcpy(out->addr + i * 4, &w, 4);
	}
	port = strtoul(s + hexlen + 1, &end, 16);
	if (*end != '\0' || port > 65535)
		return -1;
	out->family = family;
	out->port = (unsigned)port;
	return 0;
}

int
attrib_proc_parse_line(const char *line, int family, struct proc_sock *ps)
{
	char local[64], remote[64];
	unsigned long uid;

	if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %lu %*d %" SCNu64,
	    local, remote, &ps->state, &uid, &ps->inode) != 5)
		return -1;
	if (parse_proc_endpoint(local, family, &ps->local) == -1 ||
	    parse_proc_endpoint(remote, family, &ps->remote) == -1)
		return -1;
	ps->uid = (long)uid;
	return 0;
}

struct sockaddr_pair
attrib_v4_mapped(const struct sockaddr_pair *v4)
{
	struct sockaddr_pair m = *v4;

	memset(m.addr, 0, 10);
	m.addr[10] = m.addr[11] = 0xff;
	memcpy(m.addr + 12, v4->addr, 4);
	m.family = AF_INET6;
	return m;
}

/*
 * Matches one socket against src.  The client's own socket (local = src)
 * names the listener as its remote end and has the owner; Tor's accepted
 * socket (remote = src, not listening) names it as its local end.  Returns
 * 2 for the client's, 1 for Tor's, 0 for neither.
 */
static int
match_sock(const struct proc_sock *ps, const struct sockaddr_pair *src,
    struct attrib_result *res)
{
	/*
	 * A listening socket is nobody's client end (0.0.0.0:0 peer); one
	 * in TIME_WAIT (0x06) is a connection that ended: an earlier
	 * client's, perhaps from this port to another listener.
	 */
	if (ps->state == 0x06)
		return 0;
	if (ps->state != 0x0A && attrib_same_endpoint(&ps->local, src)) {
		attrib_format_endpoint(&ps->remote, res->listener,
		    sizeof res->listener);
		res->uid = ps->uid;
		res->inode = ps->inode;
		return 2;
	}
	if (ps->state != 0x0A && attrib_same_endpoint(&ps->remote, src) &&
	    res->listener[0] == '\0') {
		attrib_format_endpoint(&ps->local, res->listener,
		    sizeof res->listener);
		return 1;
	}
	return 0;
}

/* Scans one /proc/net/tcp file; returns 1 when found, -1 unreadable. */
static int
scan_proc(const char *path, int family, const struct sockaddr_pair *src,
    struct attrib_result *res)
{
	FILE *f = fopen(path, "re");
	char line[512];
	struct proc_sock ps;
	int found = 0;

	if (f == NULL)
		return -1;
	while (found < 2 && fgets(line, sizeof line, f) != NULL)
		if (attrib_proc_parse_line(line, family, &ps) == 0 &&
		    match_sock(&ps, src, res) > found)
			found = match_sock(&ps, src, res);
	fclose(f);
	return found > 0 || res->listener[0] != '\0';
}

void
attrib_resolve(const char *procdir, const char *source_addr,
    struct attrib_result *res)
{
	struct sockaddr_pair src;
	char path[256], host[64];
	const char *colon;
	size_t n;
	int rc, rc6;

	memset(res, 0, sizeof *res);
	res->uid = -1;
	if (source_addr == NULL) {
		snprintf(res->why, sizeof res->why, "no SOURCE_ADDR");
		snprintf(res->host, sizeof res->host, "unknown");
		return;
	}
	if (source_addr[0] == '/') {
		/* A unix-socket SocksPort: "/path/of/socket:0". */
		colon = strrchr(source_addr, ':');
		n = colon ? (size_t)(colon - source_addr) : strlen(source_addr);
		snprintf(res->listener, sizeof res->listener, "unix:%.*s",
		    (int)n, source_addr);
		snprintf(res->host, sizeof res->host, "localhost");
		return;
	}
	if (attrib_parse_endpoint(source_addr, &src) == -1) {
		snprintf(res->why, sizeof res->why, "cannot read SOURCE_ADDR");
		snprintf(res->host, sizeof res->host, "unknown");
		return;
	}
	inet_ntop(src.family, src.addr, host, sizeof host);
	if (attrib_is_loopback(host))
		snprintf(res->host, sizeof res->host, "localhost");
	else
		snprintf(res->host, sizeof res->host, "%s", host);
	snprintf(path, sizeof path, "%s/net/%s", procdir,
	    src.family == AF_INET ? "tcp" : "tcp6");
	rc = scan_proc(path, src.family, &src, res);
	if (rc <= 0 && src.family == AF_INET) {
		/* v4 clients of a dual-stack listener appear in tcp6. */
		struct sockaddr_pair mapped = attrib_v4_mapped(&src);

		snprintf(path, sizeof path, "%s/net/tcp6", procdir);
		rc6 = scan_proc(path, AF_INET6, &mapped, res);
		/* No tcp6 (IPv6 disabled) says nothing about tcp. */
		if (rc6 != -1 || rc == -1)
			rc = rc6;
	}
	if (rc == -1)
		snprintf(res->why, sizeof res->why, "cannot read %s/net",
		    procdir);
	else if (rc == 0)
		snprintf(res->why, sizeof res->why, "no socket for %s here "
		    "(closed already, or Tor is on another host)", source_addr);
}

/* Adds the rows of procdir/net/name to the snapshot (grown as needed). */
static void
snap_file(struct attrib *a, const char *name, int family)
{
	char path[512], line[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/net/%s", a->procdir, name);
	if ((f = fopen(path, "re")) == NULL)
		return;
	a->snap_ok = 1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (a->nsnap == a->snapcap) {
			a->snapcap = a->snapcap ? a->snapcap * 2 : 256;
			a->snap = xreallocarray(a->snap, a->snapcap,
			    sizeof *a->snap);
		}
		if (attrib_proc_parse_line(line, family, &a->snap[a->nsnap]) == 0)
			a->nsnap++;
	}
	fclose(f);
}

static void
snap_load(struct attrib *a)
{
	a->nsnap = 0;
	a->snap_ok = 0;
	snap_file(a, "tcp", AF_INET);
	snap_file(a, "tcp6", AF_INET6);
	a->snap_at = time_mono_us();
}

/* Looks src up in the snapshot (v4 also as v4-mapped v6). */
static int
snap_find(struct attrib *a, const struct sockaddr_pair *src,
    struct attrib_result *res)
{
	struct sockaddr_pair mapped = *src;
	int best = 0, m;
	size_t i;

	if (src->family == AF_INET)
		mapped = attrib_v4_mapped(src);
	for (i = 0; i < a->nsnap && best < 2; i++) {
		const struct sockaddr_pair *want =
		    a->snap[i].local.family == src->family ? src : &mapped;

		if ((m = match_sock(&a->snap[i], want, res)) > best)
			best = m;
	}
	return best;
}

void
attrib_proc_lookup(struct attrib *a, const char *source_addr,
    const struct sockaddr_pair *src, struct attrib_result *res)
{
	/* Host label and defaults as the slow path gives them. */
	attrib_resolve("/nonexistent", source_addr, res);
	res->why[0] = '\0';
	if (a->snap_at == 0 ||
	    (snap_find(a, src, res) == 0 &&
	    time_mono_us() - a->snap_at >= ATTRIB_SNAPSHOT_MIN_US)) {
		snap_load(a);
		snap_find(a, src, res);
	}
	if (res->listener[0] != '\0') {
		if (res->inode != 0)
			attrib_process(a, res);
		return;
	}
	if (!a->snap_ok)
		snprintf(res->why, sizeof res->why, "cannot read %s/net",
		    a->procdir);
	else
		snprintf(res->why, sizeof res->why, "no socket for %s here "
		    "(closed already, or Tor is on another host)", source_addr);
}
