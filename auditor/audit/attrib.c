/*
 * attrib.c: listener and socket owner of a stream's client.
 *
 * A local client's TCP socket has SOURCE_ADDR as its local address and the
 * listener as its remote one (Tor's accepted socket is the mirror image:
 * the listener local, SOURCE_ADDR remote); either is in /proc/net/tcp{,6}.
 * A unix-socket listener is named by SOURCE_ADDR itself.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"
#include "timeutil.h"

struct sockaddr_pair {
	int		family;
	unsigned char	addr[16];
	unsigned	port;
};

/* Parses "1.2.3.4:5", "[::1]:5", "::1:5" into a pair; returns 0 or -1. */
static int
parse_endpoint(const char *s, struct sockaddr_pair *out)
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

static int
same_endpoint(const struct sockaddr_pair *a, const struct sockaddr_pair *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, n) == 0;
}

static void
format_endpoint(const struct sockaddr_pair *p, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, host, sizeof host);
	if (p->family == AF_INET6)
		snprintf(out, len, "[%s]:%u", host, p->port);
	else
		snprintf(out, len, "%s:%u", host, p->port);
}

/* One row of /proc/net/tcp{,6}. */
struct proc_sock {
	struct sockaddr_pair	local;
	struct sockaddr_pair	remote;
	unsigned		state;
	long			uid;
	uint64_t		inode;
};

/* Parses a row; returns 0 or -1 (the header, or junk). */
static int
parse_proc_line(const char *line, int family, struct proc_sock *ps)
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
	/* A listening socket is nobody's client end (0.0.0.0:0 peer). */
	if (ps->state != 0x0A && same_endpoint(&ps->local, src)) {
		format_endpoint(&ps->remote, res->listener,
		    sizeof res->listener);
		res->uid = ps->uid;
		res->inode = ps->inode;
		return 2;
	}
	if (ps->state != 0x0A && same_endpoint(&ps->remote, src) &&
	    res->listener[0] == '\0') {
		format_endpoint(&ps->local, res->listener,
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
		if (parse_proc_line(line, family, &ps) == 0 &&
		    match_sock(&ps, src, res) > found)
			found = match_sock(&ps, src, res);
	fclose(f);
	return found > 0 || res->listener[0] != '\0';
}

int
attrib_is_loopback(const char *addr)
{
	struct sockaddr_pair p;
	char *tmp = NULL;
	int r = 0;

	if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	    strcmp(addr, "[::1]") == 0 || strcmp(addr, "localhost") == 0)
		return 1;
	if (asprintf(&tmp, "%s:0", addr) == -1)
		return 0;
	/* Set: gcc -O2 tests family before parse_endpoint's result. */
	memset(&p, 0, sizeof p);
	if (parse_endpoint(tmp, &p) == 0 && p.family == AF_INET6)
		r = IN6_IS_ADDR_LOOPBACK((struct in6_addr *)(void *)p.addr) ||
		    (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)p.addr) &&
		    p.addr[12] == 127);
	free(tmp);
	return r;
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
	if (parse_endpoint(source_addr, &src) == -1) {
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
		struct sockaddr_pair mapped = src;

		memset(mapped.addr, 0, 10);
		mapped.addr[10] = mapped.addr[11] = 0xff;
		memcpy(mapped.addr + 12, src.addr, 4);
		mapped.family = AF_INET6;
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

/* --- the fast path: NETLINK_SOCK_DIAG exact lookups ------------------------ */

/*
 * Every socket a /proc/PID/fd walk passes is remembered (inode -> pid and
 * fd), so that a later stream of any process walked once costs one
 * readlink to confirm instead of a walk of every newer process.  Full:
 * emptied and filled again.
 */
struct ino_slot {
	uint64_t	ino;		/* 0: empty */
	int32_t		pid;		/* 0: known stale */
	int32_t		fd;
	char		comm[16];	/* the process's name, "" not read */
};
#define ATTRIB_INO_SLOTS	16384	/* power of two */
#define ATTRIB_INO_MAX		(ATTRIB_INO_SLOTS / 2)

struct attrib {
	char			*procdir;
	int			 nl;		/* netlink socket, or -1 */
	int			 nl_broken;
	struct sockaddr_pair	*listeners;	/* most used first */
	unsigned long		*lhits;		/* streams found on each */
	size_t			 nlisteners;
	int			 wildcard;	/* a listener on 0.0.0.0 or :: */
	unsigned long		 by_netlink;
	unsigned long		 by_proc;
	struct proc_sock	*snap;		/* /proc/net/tcp{,6} */
	size_t			 nsnap;
	size_t			 snapcap;
	int64_t			 snap_at;	/* monotonic us, 0 never */
	int			 snap_ok;
	long			 recent[16];	/* pids found lately, newest
						   first: long-lived clients
						   (a browser) open many */
	size_t			 nrecent;
	struct ino_slot		*ino;		/* socket inode -> pid, fd */
	size_t			 nino;
	long			 last_pid;	/* ns_last_pid when last read */
};

/* Re-reading /proc/net/tcp walks the kernel's whole table: at most so
 * often, on a miss. */
#define ATTRIB_SNAPSHOT_MIN_US	50000

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
			a->snap = reallocarray(a->snap, a->snapcap,
			    sizeof *a->snap);
			if (a->snap == NULL)
				abort();
		}
		if (parse_proc_line(line, family, &a->snap[a->nsnap]) == 0)
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

	if (src->family == AF_INET) {
		memset(mapped.addr, 0, 10);
		mapped.addr[10] = mapped.addr[11] = 0xff;
		memcpy(mapped.addr + 12, src->addr, 4);
		mapped.family = AF_INET6;
	}
	for (i = 0; i < a->nsnap && best < 2; i++) {
		const struct sockaddr_pair *want =
		    a->snap[i].local.family == src->family ? src : &mapped;

		if ((m = match_sock(&a->snap[i], want, res)) > best)
			best = m;
	}
	return best;
}

struct attrib *
attrib_new(const char *procdir)
{
	struct attrib *a = calloc(1, sizeof *a);

	if (a == NULL)
		abort();
	a->procdir = strdup(procdir);
	if (a->procdir == NULL)
		abort();
	a->nl = -1;
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
	free(a->procdir);
	free(a);
}

void
attrib_set_listeners(struct attrib *a, const char *const *addrs, size_t n)
{
	size_t i;

	free(a->listeners);
	free(a->lhits);
	a->listeners = calloc(n ? n : 1, sizeof *a->listeners);
	a->lhits = calloc(n ? n : 1, sizeof *a->lhits);
	if (a->listeners == NULL || a->lhits == NULL)
		abort();
	a->nlisteners = 0;
	a->wildcard = 0;
	for (i = 0; i < n; i++)
		if (strncmp(addrs[i], "unix:", 5) != 0 &&
		    parse_endpoint(addrs[i], &a->listeners[a->nlisteners]) == 0) {
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
attrib_counts(const struct attrib *a, unsigned long *nl, unsigned long *proc)
{
	*nl = a->by_netlink;
	*proc = a->by_proc;
}

/*
 * Asks the kernel for the one TCP socket src -> dst.  Returns 1 with *uid
 * and *inode, 0 when there is none, -1 when netlink does not work here.
 */
static int
diag_exact(struct attrib *a, const struct sockaddr_pair *src,
    const struct sockaddr_pair *dst, uint32_t *uid, uint32_t *inode)
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

	if (a->nl == -1) {
		struct timeval tv = { 0, 200000 };

		a->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_SOCK_DIAG);
		if (a->nl == -1)
			return -1;
		setsockopt(a->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	memset(&req, 0, sizeof req);
	req.nlh.nlmsg_len = sizeof req;
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (uint8_t)src->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
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
			struct inet_diag_msg *m = NLMSG_DATA(h);

			/*
			 * With no such connection the kernel may answer with
			 * a listening socket on src: not ours.
			 */
			if (m->idiag_state == 10 /* TCP_LISTEN */ ||
			    m->id.idiag_dport != htons((uint16_t)dst->port))
				return 0;
			*uid = m->idiag_uid;
			*inode = m->idiag_inode;
			return 1;
		}
	}
	return 0;
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

void
attrib_lookup(struct attrib *a, const char *source_addr,
    struct attrib_result *res)
{
	attrib_lookup_hint(a, source_addr, NULL, 0, res);
}

void
attrib_lookup_hint(struct attrib *a, const char *source_addr,
    const char *hint, int only, struct attrib_result *res)
{
	struct sockaddr_pair src, hp;
	size_t i;

	if (source_addr != NULL && source_addr[0] != '/' &&
	    parse_endpoint(source_addr, &src) == 0 && !a->nl_broken &&
	    a->nlisteners > 0) {
		char host[INET6_ADDRSTRLEN];
		int asked = 0, pass, local, rc = 0;
		uint32_t uid = 0, inode = 0;
		size_t hi = (size_t)-1;

		inet_ntop(src.family, src.addr, host, sizeof host);
		local = attrib_is_loopback(host);
		/*
		 * Two passes over the listeners: a local client's own socket
		 * (it has the owner) on every listener first, then Tor's
		 * accepted one (a remote client, or a local one gone); the
		 * other way round for a remote address, which has no socket
		 * here.  A hit on the k-th listener costs k requests, not
		 * 2k - 1.
		 */
		/*
		 * The listener the stream's session group came in on before
		 * (the pipeline knows it): asked first, both ways.
		 */
		if (hint != NULL && parse_endpoint(hint, &hp) == 0 &&
		    hp.family == src.family)
			for (i = 0; i < a->nlisteners; i++) {
				if (!same_endpoint(&a->listeners[i], &hp))
					continue;
				rc = diag_exact(a, local ? &src : &hp,
				    local ? &hp : &src, &uid, &inode);
				if (rc == 1 && !local)
					rc = 2;
				if (rc == 0)
					rc = local ? diag_exact(a, &hp, &src,
					    &uid, &inode) == 1 ? 2 : 0 :
					    diag_exact(a, &src, &hp, &uid,
					    &inode);
				if (rc == -1)
					a->nl_broken = 1;
				else
					asked++;
				hi = i;
				break;
			}
		/*
		 * A session group Tor numbered itself belongs to one listener
		 * (only): nothing there means the client is gone, not that it
		 * is elsewhere.  (A SessionGroup=N may join several.)
		 */
		for (pass = only && hi != (size_t)-1 ? 2 : 0; pass < 2 &&
		    rc == 0; pass++) {
			int mine = local ? pass == 0 : pass == 1;

			for (i = 0; i < a->nlisteners; i++) {
				const struct sockaddr_pair *l =
				    &a->listeners[i];

				if (l->family != src.family || i == hi)
					continue;
				rc = mine ? diag_exact(a, &src, l, &uid,
				    &inode) : diag_exact(a, l, &src, &uid,
				    &inode) == 1 ? 2 : 0;
				if (rc == -1) {
					a->nl_broken = 1;
					break;
				}
				asked++;
				if (rc != 0)
					break;
			}
			if (rc == -1)
				break;
		}
		if (rc > 0) {
			memset(res, 0, sizeof *res);
			format_endpoint(&a->listeners[i], res->listener,
			    sizeof res->listener);
			listener_hit(a, i);
			res->uid = rc == 1 ? (long)uid : -1;
			res->inode = rc == 1 ? inode : 0;
			snprintf(res->host, sizeof res->host, "%s",
			    local ? "localhost" : host);
			a->by_netlink++;
			if (res->inode != 0)
				attrib_process(a, res->inode, res->uid,
				    &res->pid, res->process,
				    sizeof res->process);
			return;
		}
		/*
		 * The kernel said no for every listener: the client is gone
		 * (or on another host).  Re-reading /proc/net/tcp (the whole
		 * table, ~3 us a socket) could only find more when a listener
		 * is a wildcard, whose accepted sockets carry the real
		 * address instead.
		 */
		if (!a->nl_broken && asked > 0 && !a->wildcard) {
			a->by_netlink++;
			attrib_resolve("/nonexistent", source_addr, res);
			snprintf(res->why, sizeof res->why, "no socket for %s "
			    "here (closed already, or Tor is on another host)",
			    source_addr);
			return;
		}
	}
	a->by_proc++;
	if (source_addr == NULL || source_addr[0] == '/' ||
	    parse_endpoint(source_addr, &src) == -1) {
		attrib_resolve(a->procdir, source_addr, res);
		return;
	}
	/* Host label and defaults as the slow path gives them. */
	attrib_resolve("/nonexistent", source_addr, res);
	res->why[0] = '\0';
	if (a->snap_at == 0 ||
	    (snap_find(a, &src, res) == 0 &&
	    time_mono_us() - a->snap_at >= ATTRIB_SNAPSHOT_MIN_US)) {
		snap_load(a);
		snap_find(a, &src, res);
	}
	if (res->listener[0] != '\0') {
		if (res->inode != 0)
			attrib_process(a, res->inode, res->uid, &res->pid,
			    res->process, sizeof res->process);
		return;
	}
	if (!a->snap_ok)
		snprintf(res->why, sizeof res->why, "cannot read %s/net",
		    a->procdir);
	else
		snprintf(res->why, sizeof res->why, "no socket for %s here "
		    "(closed already, or Tor is on another host)", source_addr);
}

/* --- the process behind a socket -------------------------------------------- */

static int
pid_cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static size_t
ino_hash(uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 50) &
	    (ATTRIB_INO_SLOTS - 1);
}

static struct ino_slot *
ino_find(struct attrib *a, uint64_t ino)
{
	size_t i;

	if (a->ino == NULL)
		return NULL;
	for (i = ino_hash(ino); a->ino[i].ino != 0;
	    i = (i + 1) & (ATTRIB_INO_SLOTS - 1))
		if (a->ino[i].ino == ino)
			return &a->ino[i];
	return NULL;
}

static void
ino_put(struct attrib *a, uint64_t ino, long pid, long fd)
{
	struct ino_slot *sl;
	size_t i;

	if (a->ino == NULL || a->nino >= ATTRIB_INO_MAX) {
		if (a->ino == NULL &&
		    (a->ino = calloc(ATTRIB_INO_SLOTS, sizeof *a->ino)) == NULL)
			abort();
		memset(a->ino, 0, ATTRIB_INO_SLOTS * sizeof *a->ino);
		a->nino = 0;
	}
	if ((sl = ino_find(a, ino)) == NULL) {
		for (i = ino_hash(ino); a->ino[i].ino != 0;
		    i = (i + 1) & (ATTRIB_INO_SLOTS - 1))
			;
		sl = &a->ino[i];
		sl->ino = ino;
		a->nino++;
	}
	sl->pid = (int32_t)pid;
	sl->fd = (int32_t)fd;
	sl->comm[0] = '\0';
}

/* Parses "socket:[123]"; returns the inode or 0. */
static uint64_t
socket_inode(const char *link)
{
	uint64_t v = 0;

	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	for (link += 8; *link >= '0' && *link <= '9'; link++)
		v = v * 10 + (uint64_t)(*link - '0');
	return *link == ']' ? v : 0;
}

/*
 * Walks /proc/PID/fd, remembering every socket in it; returns 1 when it
 * holds socket inode `want`.
 */
static int
pid_has_socket(struct attrib *a, long pid, uint64_t want)
{
	char path[512], link[64];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int found = 0, len;
	uint64_t ino;

	len = snprintf(path, sizeof path, "%s/%ld/fd/", a->procdir, pid);
	if (len <= 0 || (size_t)len >= sizeof path - 32)
		return 0;
	path[len - 1] = '\0';
	if ((d = opendir(path)) == NULL)
		return 0;
	path[len - 1] = '/';
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) > 20)
			continue;
		memcpy(path + len, de->d_name, strlen(de->d_name) + 1);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if ((ino = socket_inode(link)) == 0)
			continue;
		ino_put(a, ino, pid, strtol(de->d_name, NULL, 10));
		if (ino == want)
			found = 1;
	}
	closedir(d);
	return found;
}

/*
 * Reads the start of a small file (a /proc entry) into buf, NUL-terminated:
 * the bytes read, or -1 (0 for an empty file).
 */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t got;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

/* A process's name (comm), or "". */
static void
process_name(struct attrib *a, long p, char *name, size_t namelen)
{
	char path[512];

	if (namelen == 0)
		return;
	snprintf(path, sizeof path, "%s/%ld/comm", a->procdir, p);
	if (read_small(path, name, namelen) <= 0)
		name[0] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/* Whether pid (of uid, if known) holds the socket; fills the name. */
static int
process_try(struct attrib *a, long p, long uid, uint64_t want,
    char *name, size_t namelen)
{
	char path[512];
	struct stat sb;

	if (uid >= 0) {
		snprintf(path, sizeof path, "%s/%ld", a->procdir, p);
		if (stat(path, &sb) == -1 || (long)sb.st_uid != uid)
			return 0;
	}
	if (!pid_has_socket(a, p, want))
		return 0;
	process_name(a, p, name, namelen);
	return 1;
}

/*
 * Confirms a remembered owner with one readlink of its fd (the inode may
 * have changed hands, or the process ended); returns 1 with the name.
 */
static int
process_cached(struct attrib *a, uint64_t inode, long *pid, char *name,
    size_t namelen)
{
	struct ino_slot *sl = ino_find(a, inode);
	char path[512], link[64];
	ssize_t n;

	if (sl == NULL || sl->pid <= 0)
		return 0;
	snprintf(path, sizeof path, "%s/%ld/fd/%ld", a->procdir,
	    (long)sl->pid, (long)sl->fd);
	n = readlink(path, link, sizeof link - 1);
	if (n <= 0 || (link[n] = '\0', socket_inode(link) != inode)) {
		sl->pid = 0;
		return 0;
	}
	*pid = sl->pid;
	/* The same process still holds it: its name as read before. */
	if (sl->comm[0] == '\0')
		process_name(a, *pid, sl->comm, sizeof sl->comm);
	if (namelen > 0)
		snprintf(name, namelen, "%s", sl->comm);
	return 1;
}

static void
recent_add(struct attrib *a, long p)
{
	size_t i, n = a->nrecent;

	for (i = 0; i < n && a->recent[i] != p; i++)
		;
	if (i == n && n < sizeof a->recent / sizeof a->recent[0])
		a->nrecent = ++n;
	if (i == n)
		i = n - 1;
	memmove(&a->recent[1], &a->recent[0], i * sizeof a->recent[0]);
	a->recent[0] = p;
}

/* The thread group (process) a /proc number belongs to, or 0. */
static long
thread_group(struct attrib *a, long n)
{
	char path[512], buf[512], *t;

	snprintf(path, sizeof path, "%s/%ld/status", a->procdir, n);
	if (read_small(path, buf, sizeof buf) <= 0 ||
	    (t = strstr(buf, "\nTgid:")) == NULL)
		return 0;
	return strtol(t + 6, NULL, 10);
}

/* The kernel's last allocated pid (of procdir's namespace), or 0. */
static long
last_pid(struct attrib *a)
{
	char path[512], buf[32];

	snprintf(path, sizeof path, "%s/sys/kernel/ns_last_pid", a->procdir);
	if (read_small(path, buf, sizeof buf) <= 0)
		return 0;
	return strtol(buf, NULL, 10);
}

/*
 * Pids handed out since the last look, newest first: a client that has
 * just connected is one of them, found without listing all of /proc.  At
 * most ATTRIB_NEW_PIDS of them (a fork storm is left to the full walk);
 * thread ids are skipped (their process is walked under its own pid).
 */
#define ATTRIB_NEW_PIDS	256
static int
process_new(struct attrib *a, uint64_t inode, long uid, long *pid,
    char *name, size_t namelen)
{
	long last = last_pid(a), from, n;
	char path[512];
	struct stat sb;

	if (last <= 0)
		return 0;
	from = a->last_pid > 0 && a->last_pid <= last &&
	    last - a->last_pid <= ATTRIB_NEW_PIDS ? a->last_pid + 1 :
	    last - ATTRIB_NEW_PIDS + 1;
	a->last_pid = last;
	for (n = last; n >= from && n > 0; n--) {
		snprintf(path, sizeof path, "%s/%ld", a->procdir, n);
		if (stat(path, &sb) == -1 ||
		    (uid >= 0 && (long)sb.st_uid != uid) ||
		    thread_group(a, n) != n)
			continue;
		if (process_try(a, n, -1, inode, name, namelen)) {
			*pid = n;
			return 1;
		}
	}
	return 0;
}

int
attrib_process(struct attrib *a, uint64_t inode, long uid, long *pid,
    char *name, size_t namelen)
{
	struct dirent *de;
	long *pids = NULL;
	size_t n = 0, cap = 0, i;
	DIR *d;
	int rc = -1;

	*pid = 0;
	if (namelen > 0)
		name[0] = '\0';
	if (inode == 0)
		return -1;
	/* A process walked before: one readlink says whether it still is. */
	if (process_cached(a, inode, pid, name, namelen)) {
		recent_add(a, *pid);
		return 0;
	}
	/* Processes started since the last lookup (a curl just now). */
	if (process_new(a, inode, uid, pid, name, namelen)) {
		recent_add(a, *pid);
		return 0;
	}
	/* The processes that opened the last streams first. */
	for (i = 0; i < a->nrecent; i++)
		if (process_try(a, a->recent[i], uid, inode, name, namelen)) {
			*pid = a->recent[i];
			recent_add(a, *pid);
			return 0;
		}
	if ((d = opendir(a->procdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end != '\0' || p <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			pids = reallocarray(pids, cap, sizeof *pids);
			if (pids == NULL)
				abort();
		}
		pids[n++] = p;
	}
	closedir(d);
	/* A client that just connected is most likely among the newest. */
	if (n > 1)
		qsort(pids, n, sizeof *pids, pid_cmp_desc);
	for (i = 0; i < n; i++)
		if (process_try(a, pids[i], uid, inode, name, namelen)) {
			*pid = pids[i];
			recent_add(a, *pid);
			rc = 0;
			break;
		}
	free(pids);
	return rc;
}
