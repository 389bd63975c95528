/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * config_agent.c: the gateway's agent directives (docs/agent.md):
 *   AgentListen ADDR:PORT            where workstation agents connect
 *   Agent NAME ADDR-or-CIDR KEYFILE  which agent may speak for which host
 *   LocalAttribution on|off          look up local sockets (default on)
 * They take effect when monitor starts (a SIGHUP says they need a restart).
 */
#include <arpa/inet.h>		/* inet_pton (no sockets) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_int.h"
#include "xmalloc.h"

/* The name check of the protocol (proto.c), repeated here so that the
 * config does not depend on the agent's files. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* "127.0.0.1:9151" or "[::1]:9151": an address literal and a port. */
static int
listen_ok(const char *s)
{
	char addr[64], *end;
	const char *colon = strrchr(s, ':');
	unsigned char tmp[16];
	size_t n;
	long port;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof addr)
		return 0;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
		return 0;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr[n - 1] = '\0';
		return inet_pton(AF_INET6, addr + 1, tmp) == 1;
	}
	return inet_pton(AF_INET, addr, tmp) == 1;
}

int
config_agent_directive(struct config *c, char **w, int n, unsigned line,
    char **why)
{
	struct config_agent a;
	size_t i;

	if (strcasecmp(w[0], "AgentListen") == 0) {
		if (n != 2 || !listen_ok(w[1])) {
			*why = xasprintf("AgentListen takes ADDR:PORT "
			    "(10.152.152.10:9151, [::1]:9151)");
			return -1;
		}
		free(c->agent_listen);
		c->agent_listen = xstrdup(w[1]);
		return 0;
	}
	if (strcasecmp(w[0], "LocalAttribution") == 0) {
		if (n != 2 || (strcasecmp(w[1], "on") != 0 &&
		    strcasecmp(w[1], "off") != 0)) {
			*why = xasprintf("LocalAttribution is on or off");
			return -1;
		}
		c->local_attrib_off = strcasecmp(w[1], "off") == 0;
		return 0;
	}
	if (strcasecmp(w[0], "Agent") != 0)
		return 1;
	if (n != 4) {
		*why = xasprintf("Agent takes NAME ADDR-or-CIDR KEYFILE");
		return -1;
	}
	if (!name_ok(w[1])) {
		*why = xasprintf("Agent: a NAME is 1 to 32 of A-Z a-z 0-9 . _ -");
		return -1;
	}
	for (i = 0; i < c->nagents; i++)
		if (strcmp(c->agents[i].name, w[1]) == 0) {
			*why = xasprintf("Agent %s: named already on line %u",
			    w[1], c->agents[i].line);
			return -1;
		}
	memset(&a, 0, sizeof a);
	if (config_parse_net(w[2], &a.family, a.net, &a.prefix) == -1) {
		*why = xasprintf("Agent %s: %s is not an IPv4 or IPv6 address "
		    "or network", w[1], w[2]);
		return -1;
	}
	if (w[3][0] != '/') {
		*why = xasprintf("Agent %s: the key file needs an absolute path",
		    w[1]);
		return -1;
	}
	a.name = xstrdup(w[1]);
	a.addr = xstrdup(w[2]);
	a.key_file = xstrdup(w[3]);
	a.line = line;
	c->agents = xreallocarray(c->agents, c->nagents + 1, sizeof *c->agents);
	c->agents[c->nagents++] = a;
	return 0;
}

void
config_agent_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nagents; i++) {
		free(c->agents[i].name);
		free(c->agents[i].addr);
		free(c->agents[i].key_file);
	}
	free(c->agents);
	free(c->agent_listen);
	c->agents = NULL;
	c->nagents = 0;
	c->agent_listen = NULL;
}

void
config_agent_print(const struct config *c, FILE *f)
{
	size_t i;

	fprintf(f, "\n# workstation agents (docs/agent.md)\n");
	fprintf(f, "LocalAttribution %s\n", c->local_attrib_off ? "off" : "on");
	if (c->agent_listen != NULL)
		fprintf(f, "AgentListen %s\n", c->agent_listen);
	for (i = 0; i < c->nagents; i++)
		fprintf(f, "Agent %s %s %s   # line %u\n", c->agents[i].name,
		    c->agents[i].addr, c->agents[i].key_file, c->agents[i].line);
}

int
config_agent_differs(const struct config *a, const struct config *b)
{
	size_t i;

	if ((a->agent_listen == NULL) != (b->agent_listen == NULL) ||
	    (a->agent_listen != NULL &&
	    strcmp(a->agent_listen, b->agent_listen) != 0) ||
	    a->nagents != b->nagents ||
	    a->local_attrib_off != b->local_attrib_off)
		return 1;
	for (i = 0; i < a->nagents; i++)
		if (strcmp(a->agents[i].name, b->agents[i].name) != 0 ||
		    strcmp(a->agents[i].addr, b->agents[i].addr) != 0 ||
		    strcmp(a->agents[i].key_file, b->agents[i].key_file) != 0)
			return 1;
	return 0;
}

const struct config_agent *
config_agent_for(const struct config *c, const char *addr)
{
	unsigned char a[16];
	int family, prefix;
	size_t i;

	if (strchr(addr, '/') != NULL ||
	    config_parse_net(addr, &family, a, &prefix) == -1)
		return NULL;
	for (i = 0; i < c->nagents; i++)
		if (c->agents[i].family == family &&
		    config_prefix_equal(c->agents[i].net, a,
		    c->agents[i].prefix))
			return &c->agents[i];
	return NULL;
}
