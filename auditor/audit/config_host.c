/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * config_host.c: Host lines: an address or a network (CIDR), IPv4 or
 * IPv6, and the label of a client address ("%a": the address itself).
 */
#include <arpa/inet.h>		/* inet_pton (no sockets) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "xmalloc.h"

/*
 * Parses a Host address: "10.0.0.5", "fd19::11", "[fd19::11]",
 * "10.152.152.0/18", "fd19:c33d:88bc::/64".  Returns 0 or -1.
 */
int
config_parse_net(const char *s, int *family, unsigned char *net, int *prefix)
{
	char buf[64], *slash, *end;
	size_t n = strlen(s);
	long bits;
	int i;

	if (n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	n = strlen(buf);
	if (n >= 2 && buf[0] == '[' && buf[n - 1] == ']') {
		memmove(buf, buf + 1, n - 2);
		buf[n - 2] = '\0';
	}
	memset(net, 0, 16);
	if (inet_pton(AF_INET, buf, net) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, net) == 1)
		*family = AF_INET6;
	else
		return -1;
	*prefix = *family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (end == slash || *end != '\0' || bits < 0 ||
		    bits > *prefix)
			return -1;
		*prefix = (int)bits;
	}
	/* The network itself: no host bits (10.152.152.11/18 is the /18). */
	for (i = *prefix; i < (*family == AF_INET ? 32 : 128); i++)
		net[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
	return 0;
}

int
config_add_host(struct config *c, const char *addr, const char *label,
    int builtin, const char *source)
{
	struct config_host h;

	memset(&h, 0, sizeof h);
	if (config_parse_net(addr, &h.family, h.net, &h.prefix) == -1)
		return -1;
	h.addr = xstrdup(addr);
	h.label = xstrdup(label);
	h.builtin = builtin;
	h.source = source;
	c->hosts = xreallocarray(c->hosts, c->nhosts + 1, sizeof *c->hosts);
	c->hosts[c->nhosts++] = h;
	return 0;
}

int
config_prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xffu << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

const char *
config_host_for(const struct config *c, const char *addr, char *out,
    size_t len)
{
	unsigned char a[16];
	int family, prefix;
	size_t i;
	const char *l, *pct;

	if (len == 0 || config_parse_net(addr, &family, a, &prefix) == -1 ||
	    strchr(addr, '/') != NULL)
		return NULL;
	for (i = 0; i < c->nhosts; i++) {
		const struct config_host *h = &c->hosts[i];

		if (h->family != family || !config_prefix_equal(h->net, a, h->prefix))
			continue;
		/* "%a": the address, so one range keeps its hosts apart. */
		l = h->label;
		if ((pct = strstr(l, "%a")) != NULL)
			snprintf(out, len, "%.*s%s%s", (int)(pct - l), l, addr,
			    pct + 2);
		else
			snprintf(out, len, "%s", l);
		return out;
	}
	return NULL;
}
