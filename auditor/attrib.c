/*
 * attrib.c: listener and socket owner of a stream's client.
 *
 * A local client's TCP socket has SOURCE_ADDR as its local address and the
 * listener as its remote one (Tor's accepted socket is the mirror image:
 * the listener local, SOURCE_ADDR remote); either is in /proc/net/tcp{,6}.
 * A unix-socket listener is named by SOURCE_ADDR itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"

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
	if (*end != '\0' || port > 65535)
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

/* Scans one /proc/net/tcp file; returns 1 when found. */
static int
scan_proc(const char *path, int family, const struct sockaddr_pair *src,
    struct attrib_result *res)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int found = 0;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL) {	/* header */
		fclose(f);
		return 0;
	}
	while (!found && fgets(line, sizeof line, f) != NULL) {
		char local[64], remote[64];
		unsigned st;
		unsigned long uid;
		uint64_t inode;
		struct sockaddr_pair l, r;

		if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %lu %*d %" SCNu64,
		    local, remote, &st, &uid, &inode) != 5)
			continue;
		if (parse_proc_endpoint(local, family, &l) == -1 ||
		    parse_proc_endpoint(remote, family, &r) == -1)
			continue;
		if (same_endpoint(&l, src)) {
			/* The client's own socket: remote is the listener. */
			format_endpoint(&r, res->listener,
			    sizeof res->listener);
			res->uid = (long)uid;
			res->inode = inode;
			found = 1;
		} else if (same_endpoint(&r, src) && res->listener[0] == '\0') {
			/* Tor's accepted socket: local is the listener.  Keep
			 * looking for the client's own (it has the owner). */
			format_endpoint(&l, res->listener,
			    sizeof res->listener);
		}
	}
	fclose(f);
	return found || res->listener[0] != '\0';
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
	int rc;

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
		rc = scan_proc(path, AF_INET6, &mapped, res);
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
