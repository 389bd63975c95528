/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * agent_gw.c: the gateway's agent listener (agent_gw.h).  Trust: an agent
 * is believed only about connections of its own host range (its Agent
 * line), only after it proved its key, and only as a claim; it is told
 * nothing but the challenge and the OK.  Misbehaviour (a wrong key, an
 * overlong line, a flood, a bad record, records of another host) is logged
 * once per agent and the connection dropped, or the records ignored.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <sodium.h>

#include "agent_gw.h"
#include "agent_table.h"
#include "attrib.h"
#include "config.h"
#include "inaddr.h"
#include "log.h"
#include "proto.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define GW_MAX_CONNS	16		/* at once, authenticated or not */
#define GW_HELLO_SECS	10		/* to say HELLO */
#define GW_FLOOD	5000		/* records in one second */

enum { LOG_KEY, LOG_LONG, LOG_FLOOD, LOG_BAD, LOG_FOREIGN, LOG_DST, LOG_RANGE,
	LOG__N };

struct gw_agent {
	const struct config_agent *line;
	unsigned char	 key[PROTO_KEY_LEN];
	struct agent_table table;
	struct gw_conn	*conn;		/* the authenticated one, or NULL */
	int		 logged[LOG__N];
	unsigned long	 records, ignored;
};

struct gw_conn {
	struct agent_gw	*gw;
	struct bufferevent *bev;
	struct event	*timeout;
	unsigned char	 nonce[PROTO_NONCE_LEN];
	struct gw_agent	*agent;		/* once authenticated */
	char		 peer[64];	/* its address ("" unknown) */
	struct proto_reader rd;
	int64_t		 sec_start;	/* flood count: monotonic us */
	unsigned	 sec_count;
	int		 dead;
};

struct agent_gw {
	struct event_base *base;
	const struct config *cfg;
	struct evconnlistener *lis;
	struct gw_agent	*agents;
	size_t		 nagents;
	struct gw_conn	*conns[GW_MAX_CONNS];
	int		 logged_unknown;
	void		(*notify)(void *);
	void		*arg;
};

static void	conn_free(struct gw_conn *);

/* Once per agent and kind (or per gateway for an unknown agent). */
static void
say_once(struct agent_gw *gw, struct gw_agent *a, int kind, const char *what)
{
	int *flag = a != NULL ? &a->logged[kind] : &gw->logged_unknown;

	if (*flag)
		return;
	*flag = 1;
	log_warnx("agent %s: %s (said once)", a != NULL ? a->line->name :
	    "(unknown)", what);
}

static struct gw_agent *
agent_named(struct agent_gw *gw, const char *name)
{
	size_t i;

	for (i = 0; i < gw->nagents; i++)
		if (strcmp(gw->agents[i].line->name, name) == 0)
			return &gw->agents[i];
	return NULL;
}

/* The address of an endpoint ("10.1.2.3:5" -> "10.1.2.3", "[::1]:5" ->
 * "::1") into out; 0 or -1. */
static int
endpoint_host(const char *ep, char *out, size_t len)
{
	const char *colon = strrchr(ep, ':');
	size_t n;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - ep);
	if (n >= 2 && ep[0] == '[' && ep[n - 1] == ']') {
		ep++;
		n -= 2;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(out, ep, n);
	out[n] = '\0';
	return 0;
}

/* A peer's address as an Agent line's range is matched ("" if none; an
 * IPv4-mapped IPv6 address as IPv4). */
static void
peer_host(const struct sockaddr *sa, int salen, char *out, size_t len)
{
	unsigned char a[16] = { 0 };
	int family = sa->sa_family;

	out[0] = '\0';
	if (family == AF_INET && (size_t)salen >= sizeof(struct sockaddr_in))
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (family == AF_INET6 &&
	    (size_t)salen >= sizeof(struct sockaddr_in6))
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return;
	(void)inaddr_unmap(&family, a);
	if (inet_ntop(family, a, out, (socklen_t)len) == NULL)
		out[0] = '\0';
}

static int
on_line(const char *line, size_t len, void *arg)
{
	struct gw_conn *c = arg;
	struct agent_gw *gw = c->gw;
	struct proto_hello h;
	struct proto_record r;
	struct gw_agent *a;
	const char *cause;
	char out[PROTO_MAX_LINE], host[64];
	int64_t now = time_mono_us();

	if (c->agent == NULL) {
		if (proto_hello_parse(line, len, &h, &cause) == -1) {
			say_once(gw, NULL, LOG_BAD, cause);
			return -1;
		}
		a = agent_named(gw, h.name);
		if (a == NULL || proto_hello_verify(a->key, c->nonce, &h) == -1) {
			say_once(gw, a, LOG_KEY, a == NULL ? "no Agent line "
			    "names it: refused" : "wrong key: refused");
			return -1;
		}
		/*
		 * An agent speaks only from its own host: a key that leaked
		 * (or was copied to another workstation) cannot cut the real
		 * agent off by replacing its connection.
		 */
		if (config_agent_for(gw->cfg, c->peer) != a->line) {
			say_once(gw, a, LOG_RANGE, "a connection from outside "
			    "its Agent line's addresses: refused");
			return -1;
		}
		if (a->conn != NULL) {
			log_info("agent %s: a new connection replaces the "
			    "old one", a->line->name);
			a->conn->dead = 1;
			a->conn->agent = NULL;
			conn_free(a->conn);
		}
		a->conn = c;
		c->agent = a;
		evtimer_del(c->timeout);
		proto_ok(a->key, c->nonce, &h, out, sizeof out);
		bufferevent_write(c->bev, out, strlen(out));
		log_info("agent %s: connected", a->line->name);
		return 0;
	}
	a = c->agent;
	if (now - c->sec_start >= 1000000) {
		c->sec_start = now;
		c->sec_count = 0;
	}
	if (++c->sec_count > GW_FLOOD) {
		say_once(gw, a, LOG_FLOOD, "more than 5000 records in a "
		    "second: connection dropped");
		return -1;
	}
	if (proto_record_parse(line, len, &r, &cause) == -1) {
		say_once(gw, a, LOG_BAD, cause);
		a->ignored++;
		return 0;
	}
	if (endpoint_host(r.src, host, sizeof host) == -1 ||
	    config_agent_for(gw->cfg, host) != a->line) {
		say_once(gw, a, LOG_FOREIGN, "records for connections of "
		    "another host than its Agent line's: ignored");
		a->ignored++;
		return 0;
	}
	agent_table_put(&a->table, &r, now);
	a->records++;
	if (gw->notify != NULL)
		gw->notify(gw->arg);
	return 0;
}

static void
conn_free(struct gw_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->agent != NULL) {
		log_info("agent %s: disconnected", c->agent->line->name);
		c->agent->conn = NULL;
	}
	for (i = 0; i < GW_MAX_CONNS; i++)
		if (c->gw->conns[i] == c)
			c->gw->conns[i] = NULL;
	bufferevent_free(c->bev);
	event_free(c->timeout);
	free(c);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct gw_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		int rc = proto_feed(&c->rd, buf, (size_t)n, on_line, c);

		if (rc == -1 && c->rd.overlong)
			say_once(c->gw, c->agent, LOG_LONG, "a line over 1024 "
			    "bytes: connection dropped");
		if (rc != 0) {
			conn_free(c);
			return;
		}
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct agent_gw *gw = arg;
	struct gw_conn *c;
	struct timeval tv = { GW_HELLO_SECS, 0 };
	char line[PROTO_MAX_LINE];
	size_t i;

	(void)l;
	for (i = 0; i < GW_MAX_CONNS && gw->conns[i] != NULL; i++)
		;
	if (i == GW_MAX_CONNS) {
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->gw = gw;
	peer_host(sa, salen, c->peer, sizeof c->peer);
	gw->conns[i] = c;
	c->bev = bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timeout = evtimer_new(gw->base, conn_timeout, c);
	evtimer_add(c->timeout, &tv);
	randombytes_buf(c->nonce, sizeof c->nonce);
	proto_challenge(c->nonce, line, sizeof line);
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	bufferevent_write(c->bev, line, strlen(line));
}

struct agent_gw *
agent_gw_new(struct event_base *base, const struct config *cfg,
    void (*notify)(void *), void *arg, char **cause)
{
	struct agent_gw *gw;
	struct sockaddr_storage ss;
	int sslen = (int)sizeof ss;
	size_t i;
	int rc;

	memset(&ss, 0, sizeof ss);
	if (evutil_parse_sockaddr_port(cfg->agent_listen,
	    (struct sockaddr *)&ss, &sslen) == -1) {
		*cause = xasprintf("AgentListen %s: not an address and port",
		    cfg->agent_listen);
		return NULL;
	}
	gw = xcalloc(1, sizeof *gw);
	gw->base = base;
	gw->cfg = cfg;
	gw->notify = notify;
	gw->arg = arg;
	gw->agents = xcalloc(cfg->nagents + 1, sizeof *gw->agents);
	for (i = 0; i < cfg->nagents; i++) {
		struct gw_agent *a = &gw->agents[i];

		a->line = &cfg->agents[i];
		gw->nagents++;
		agent_table_init(&a->table);
		rc = store_secret_read("agent key file", "make a new key "
		    "for this agent", a->line->key_file, a->key, cause);
		if (rc == 0)
			*cause = xasprintf("agent key file %s: no such file",
			    a->line->key_file);
		if (rc != 1) {
			agent_gw_free(gw);
			return NULL;
		}
	}
	gw->lis = evconnlistener_new_bind(base, accept_cb, gw,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    16, (struct sockaddr *)&ss, sslen);
	if (gw->lis == NULL) {
		*cause = xasprintf("AgentListen %s: cannot listen: %s",
		    cfg->agent_listen, evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
		agent_gw_free(gw);
		return NULL;
	}
	log_info("listening for agents on %s", cfg->agent_listen);
	return gw;
}

void
agent_gw_free(struct agent_gw *gw)
{
	size_t i;

	if (gw == NULL)
		return;
	for (i = 0; i < GW_MAX_CONNS; i++)
		conn_free(gw->conns[i]);
	if (gw->lis != NULL)
		evconnlistener_free(gw->lis);
	for (i = 0; i < gw->nagents; i++) {
		agent_table_free(&gw->agents[i].table);
		sodium_memzero(gw->agents[i].key, sizeof gw->agents[i].key);
	}
	free(gw->agents);
	free(gw);
}

/* The agent whose host SOURCE_ADDR is, or NULL. */
static struct gw_agent *
agent_of(struct agent_gw *gw, const char *src)
{
	const struct config_agent *line;
	char host[64];
	size_t i;

	if (endpoint_host(src, host, sizeof host) == -1 ||
	    (line = config_agent_for(gw->cfg, host)) == NULL)
		return NULL;
	for (i = 0; i < gw->nagents; i++)
		if (gw->agents[i].line == line)
			return &gw->agents[i];
	return NULL;
}

/*
 * Whether a record's destination is where Tor took the connection: the
 * listener it came in on (a wildcard listener: its port), or, through a
 * TransPort, the stream's target (the original destination).  Where the
 * listener is not known here (the gateway's socket is gone already), the
 * claim cannot be checked and is taken.
 */
static int
dst_matches(const char *dst, const char *listener, const char *target)
{
	const char *lp, *dp;

	if (listener[0] == '\0' || strcmp(dst, listener) == 0 ||
	    (target != NULL && strcmp(dst, target) == 0))
		return 1;
	lp = strrchr(listener, ':');
	dp = strrchr(dst, ':');
	return lp != NULL && dp != NULL && strcmp(lp, dp) == 0 &&
	    (strncmp(listener, "0.0.0.0:", 8) == 0 ||
	    strncmp(listener, "[::]:", 5) == 0);
}

void
agent_gw_claim(const char *src, const char *target, int udp,
    struct attrib_result *r, void *arg)
{
	struct agent_gw *gw = arg;
	struct gw_agent *a = agent_of(gw, src);
	const struct proto_record *rec;

	if (a == NULL ||
	    (rec = agent_table_get(&a->table, udp, src, time_mono_us())) ==
	    NULL)
		return;
	if (!dst_matches(rec->dst, r->listener, target)) {
		a->ignored++;
		say_once(gw, a, LOG_DST, "a record whose destination is "
		    "neither the listener nor the stream's target (another "
		    "connection from that port): not used");
		return;
	}
	r->pid = rec->pid;
	r->uid = rec->uid;
	snprintf(r->process, sizeof r->process, "%s", rec->comm);
	snprintf(r->exe, sizeof r->exe, "%s", rec->exe);
	snprintf(r->by, sizeof r->by, "agent:%s", a->line->name);
}

int
agent_gw_wanted(struct agent_gw *gw, const char *src, int udp)
{
	struct gw_agent *a = agent_of(gw, src);

	return a != NULL && a->conn != NULL &&
	    agent_table_get(&a->table, udp, src, time_mono_us()) == NULL;
}
