/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cmd_agent.c: `isoaudit agent --gateway ADDR:PORT --key FILE [--name
 * NAME]`: on a workstation, records which process opened each TCP
 * connection and pushes the records to the gateway's isoaudit (agent
 * protocol, proto.h; docs/agent.md).  It dials out, proves its key, then
 * sends records; reconnects with backoff; queues at most AGENT_QUEUE.
 *
 * The record source is the kernel connect tracker (ktrack.h): a record
 * made at connect time, in the caller's context, sent as soon as the
 * connection is established, so a client that connects and closes at once
 * is recorded too.  Where the tracker cannot run (no privilege, no BTF,
 * built without it) or with --tracker off, the agent polls the sockets
 * every AGENT_POLL_MS instead (attrib_conns_poll, the lookups monitor
 * uses): Tor reports a stream 1-30 ms after the client's SYN and the
 * gateway waits 50 ms for a record, so a poll lands inside that wait for
 * any client that stays connected 10 ms; faster ones are missed.  Which
 * source runs, and why, is said once.
 */
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "attrib.h"
#include "isoaudit.h"
#include "ktable.h"
#include "ktrack.h"
#include "log.h"
#include "proto.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define AGENT_POLL_MS		10
#define AGENT_QUEUE		4096		/* records waiting to be sent */
#define AGENT_OUT_MAX		(256 * 1024)	/* bytes unsent at most */
#define AGENT_BACKOFF_MAX	30		/* s between tries at most */

enum agent_state { AG_IDLE, AG_CHALLENGE, AG_OK, AG_READY };

struct agent {
	struct event_base	*base;
	const char		*gateway;
	struct sockaddr_storage	 ss;
	int			 sslen;
	char			 name[PROTO_NAME_MAX + 1];
	unsigned char		 key[PROTO_KEY_LEN];
	struct attrib_conns	*src;		/* polling, or */
	struct ktable		*ktable;	/* the tracker's */
	struct ktrack		*ktrack;
	struct event		*poll, *retry, *sigint, *sigterm, *stop;
	struct bufferevent	*bev;
	enum agent_state	 state;
	struct proto_reader	 rd;
	unsigned char		 nonce_g[PROTO_NONCE_LEN];
	struct proto_hello	 hello;
	int			 backoff;	/* s */
	struct proto_record	*q;		/* a ring of AGENT_QUEUE */
	size_t			 qhead, qn;
	unsigned long		 dropped;
	int			 said_drop, said_poll;
	long			 self;
	char			 local[INET6_ADDRSTRLEN];	/* ours, to the gateway */
};

static void	ag_connect(struct agent *);

/* A new record at the queue's end (the oldest pushed out when full). */
static struct proto_record *
ag_slot(struct agent *ag)
{
	struct proto_record *r;

	if (ag->qn == AGENT_QUEUE) {
		ag->qhead = (ag->qhead + 1) % AGENT_QUEUE;
		ag->qn--;
		ag->dropped++;
		if (!ag->said_drop) {
			ag->said_drop = 1;
			log_warnx("agent: the queue is full (%d records): the "
			    "oldest are dropped", AGENT_QUEUE);
		}
	}
	r = &ag->q[(ag->qhead + ag->qn++) % AGENT_QUEUE];
	memset(r, 0, sizeof *r);
	r->time_us = time_now_us();
	return r;
}

/* A connection found by polling, or by the tracker. */
static void
ag_queue(const struct attrib_conn *c, void *arg)
{
	struct agent *ag = arg;
	struct proto_record *r;

	if (c->pid == ag->self)
		return;		/* its own connection to the gateway */
	r = ag_slot(ag);
	snprintf(r->src, sizeof r->src, "%s", c->src);
	snprintf(r->dst, sizeof r->dst, "%s", c->dst);
	r->pid = c->pid;
	r->uid = c->uid;
	r->udp = c->udp;
	snprintf(r->comm, sizeof r->comm, "%s", c->comm[0] ? c->comm : "?");
	snprintf(r->exe, sizeof r->exe, "%s", c->exe);
}

/* A connect (or DNS query) the kernel tracker recorded. */
static void
ag_ktrack_rec(const struct ktable_rec *k, void *arg)
{
	struct attrib_conn c;

	attrib_conn_from_tracker(k, &c);
	ag_queue(&c, arg);
}

/* Sends what is queued, as much as the output bound allows. */
static void
ag_send(struct agent *ag)
{
	struct evbuffer *out;
	char line[PROTO_MAX_LINE + 1];

	if (ag->state != AG_READY)
		return;
	out = bufferevent_get_output(ag->bev);
	while (ag->qn > 0 && evbuffer_get_length(out) < AGENT_OUT_MAX) {
		struct proto_record *r = &ag->q[ag->qhead];

		/*
		 * A DNS query from an unbound socket: the route chose its
		 * source address, the one toward the gateway (Whonix: the
		 * workstation's only one).
		 */
		if (r->udp && strncmp(r->src, "0.0.0.0:", 8) == 0 &&
		    ag->local[0] != '\0') {
			char port[8];

			snprintf(port, sizeof port, "%s", r->src + 8);
			snprintf(r->src, sizeof r->src, "%s:%s", ag->local,
			    port);
		}
		if (proto_record(r, line, sizeof line) == 0)
			evbuffer_add(out, line, strlen(line));
		ag->qhead = (ag->qhead + 1) % AGENT_QUEUE;
		ag->qn--;
	}
}

static void
ag_ktrack_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;

	(void)fd;
	(void)what;
	ktrack_poll(ag->ktrack);
	ag_send(ag);
}

static void
ag_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;

	(void)fd;
	(void)what;
	if (attrib_conns_poll(ag->src, ag_queue, ag) == -1 && !ag->said_poll) {
		ag->said_poll = 1;
		log_warnx("agent: cannot read /proc/net/tcp: no records");
	}
	ag_send(ag);
}

/* Drops the connection and tries again after the backoff. */
static void
ag_drop(struct agent *ag, const char *why)
{
	struct timeval tv = { ag->backoff, 0 };

	if (ag->bev != NULL)
		bufferevent_free(ag->bev);
	ag->bev = NULL;
	ag->state = AG_IDLE;
	memset(&ag->rd, 0, sizeof ag->rd);
	log_warnx("agent: gateway %s: %s; again in %d s", ag->gateway, why,
	    ag->backoff);
	evtimer_add(ag->retry, &tv);
	ag->backoff = ag->backoff * 2 > AGENT_BACKOFF_MAX ? AGENT_BACKOFF_MAX :
	    ag->backoff * 2;
}

static int
ag_line(const char *line, size_t len, void *arg)
{
	struct agent *ag = arg;
	const char *cause;
	char out[PROTO_MAX_LINE];

	switch (ag->state) {
	case AG_CHALLENGE:
		if (proto_challenge_parse(line, len, ag->nonce_g, &cause) == -1) {
			ag_drop(ag, cause);
			return 1;
		}
		memset(&ag->hello, 0, sizeof ag->hello);
		snprintf(ag->hello.name, sizeof ag->hello.name, "%s", ag->name);
		randombytes_buf(ag->hello.nonce, sizeof ag->hello.nonce);
		proto_hello(ag->key, ag->nonce_g, ag->hello.nonce, ag->name,
		    out, sizeof out);
		bufferevent_write(ag->bev, out, strlen(out));
		ag->state = AG_OK;
		return 0;
	case AG_OK:
		if (proto_ok_verify(ag->key, ag->nonce_g, &ag->hello, line,
		    len) == -1) {
			ag_drop(ag, "the gateway did not prove the key");
			return 1;
		}
		ag->state = AG_READY;
		ag->backoff = 1;
		log_info("agent: connected to %s as %s", ag->gateway, ag->name);
		ag_send(ag);
		return 0;
	default:
		ag_drop(ag, "the gateway sent a line after OK");
		return 1;
	}
}

static void
ag_read(struct bufferevent *bev, void *arg)
{
	struct agent *ag = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[2048];
	int n, rc;

	while (ag->bev == bev && (n = evbuffer_remove(in, buf, sizeof buf)) > 0)
		if ((rc = proto_feed(&ag->rd, buf, (size_t)n, ag_line, ag)) != 0) {
			if (rc == -1)
				ag_drop(ag, "a line too long");
			return;
		}
}

static void
ag_event(struct bufferevent *bev, short what, void *arg)
{
	struct agent *ag = arg;

	if (what & BEV_EVENT_CONNECTED) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char h[INET6_ADDRSTRLEN];

		ag->state = AG_CHALLENGE;
		/* Our address as the gateway sees it (see ag_send). */
		ag->local[0] = '\0';
		if (getsockname(bufferevent_getfd(bev), (struct sockaddr *)&ss,
		    &sl) == 0 && ss.ss_family == AF_INET &&
		    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    h, sizeof h) != NULL)
			snprintf(ag->local, sizeof ag->local, "%s", h);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ag_drop(ag, ag->state == AG_OK ? "refused (wrong key or "
		    "name?)" : what & BEV_EVENT_EOF ? "closed" :
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
ag_connect(struct agent *ag)
{
	ag->bev = bufferevent_socket_new(ag->base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(ag->bev, ag_read, NULL, ag_event, ag);
	bufferevent_enable(ag->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(ag->bev, (struct sockaddr *)&ag->ss,
	    ag->sslen) == -1)
		ag_drop(ag, "cannot connect");
}

static void
ag_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ag_connect(arg);
}

static void
ag_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(((struct agent *)arg)->base);
}

/* The host name as an agent NAME (bytes it cannot hold as '-'). */
static void
default_name(char *out, size_t len)
{
	char host[256];
	size_t i;

	if (gethostname(host, sizeof host) == -1 || host[0] == '\0')
		snprintf(host, sizeof host, "workstation");
	host[sizeof host - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	snprintf(out, len, "%.32s", host);
	for (i = 0; out[i] != '\0'; i++)
		if (!proto_name_ok((char[]){ out[i], '\0' }))
			out[i] = '-';
}

static const enum opt agent_options[] = { OPT_GATEWAY, OPT_KEY, OPT_NAME,
	OPT_TRACKER, OPT_DURATION, OPT_END };

/*
 * The record source: the kernel connect tracker unless --tracker off or
 * it cannot run, else polling the sockets; said once, with why.
 */
/* A privilege the agent lacks to name other users' programs: once. */
static void
ag_privilege(int tracker)
{
	char *line, *brief;

	if (attrib_privilege("/proc", tracker, &line, &brief)) {
		log_warnx("agent: %s", line);
		free(line);
		free(brief);
	}
}

static void
ag_source(struct agent *ag, int want_tracker)
{
	struct timeval poll_tv = { 0, AGENT_POLL_MS * 1000 };
	char *cause = NULL;

	if (want_tracker) {
		/* The agent sends records, it never looks one up. */
		ag->ktable = ktable_new(256, KTABLE_TTL_US);
		ag->ktrack = ktrack_open(ag->ktable, "/proc", &cause);
	}
	if (ag->ktrack != NULL) {
		ktrack_set_sink(ag->ktrack, ag_ktrack_rec, ag);
		ag->poll = event_new(ag->base, ktrack_fd(ag->ktrack),
		    EV_READ | EV_PERSIST, ag_ktrack_cb, ag);
		event_add(ag->poll, NULL);
		log_info("agent: records from the kernel connect tracker "
		    "(each connect, as it is made)");
		ag_privilege(1);
		return;
	}
	if (want_tracker)
		log_warnx("agent: the kernel connect tracker cannot run: %s; "
		    "polling the sockets every %d ms instead (a client that "
		    "connects and closes within that is missed)", cause,
		    AGENT_POLL_MS);
	else
		log_info("agent: polling the sockets every %d ms (--tracker "
		    "off)", AGENT_POLL_MS);
	free(cause);
	ktable_free(ag->ktable);
	ag->ktable = NULL;
	ag_privilege(0);
	ag->src = attrib_conns_new("/proc");
	ag->poll = event_new(ag->base, -1, EV_PERSIST, ag_poll_cb, ag);
	event_add(ag->poll, &poll_tv);
	/* What is open now is not news: the first poll only learns it. */
	attrib_conns_poll(ag->src, ag_queue, ag);
	ag->qn = 0;
}

static int
cmd_agent_exec(const struct cmd_entry *self, struct opts *o)
{
	struct agent *ag;
	char *cause = NULL;
	int rc, want_tracker = 1;

	if (o->gateway == NULL || o->key == NULL || o->argc > 0)
		return cmd_usage_error(self, "needs --gateway ADDR:PORT and "
		    "--key FILE");
	if (o->name != NULL && !proto_name_ok(o->name))
		return cmd_usage_error(self, "--name: 1 to 32 of A-Z a-z 0-9 "
		    ". _ -");
	if (o->tracker != NULL) {
		if (strcmp(o->tracker, "off") == 0)
			want_tracker = 0;
		else if (strcmp(o->tracker, "on") != 0)
			return cmd_usage_error(self, "--tracker: on or off");
	}
	if (sodium_init() == -1) {
		log_error("libsodium failed to initialise");
		return EXIT_RUNTIME;
	}
	ag = xcalloc(1, sizeof *ag);
	ag->gateway = o->gateway;
	ag->sslen = (int)sizeof ag->ss;
	if (evutil_parse_sockaddr_port(o->gateway, (struct sockaddr *)&ag->ss,
	    &ag->sslen) == -1) {
		free(ag);
		return cmd_usage_error(self, "--gateway: %s is not ADDR:PORT",
		    o->gateway);
	}
	rc = store_secret_read("agent key file", "make a new key for this "
	    "agent (on both machines)", o->key, ag->key, &cause);
	if (rc != 1) {
		if (rc == 0)
			log_error("agent key file %s: no such file", o->key);
		else
			log_error("%s", cause);
		free(cause);
		free(ag);
		return EXIT_RUNTIME;
	}
	if (o->name != NULL)
		snprintf(ag->name, sizeof ag->name, "%s", o->name);
	else
		default_name(ag->name, sizeof ag->name);
	signal(SIGPIPE, SIG_IGN);
	ag->self = (long)getpid();
	ag->backoff = 1;
	ag->q = xcalloc(AGENT_QUEUE, sizeof *ag->q);
	if ((ag->base = event_base_new()) == NULL)
		fatalx("cannot create an event loop");
	ag_source(ag, want_tracker);
	ag->retry = evtimer_new(ag->base, ag_retry_cb, ag);
	ag->sigint = evsignal_new(ag->base, SIGINT, ag_stop_cb, ag);
	ag->sigterm = evsignal_new(ag->base, SIGTERM, ag_stop_cb, ag);
	evsignal_add(ag->sigint, NULL);
	evsignal_add(ag->sigterm, NULL);
	if (o->duration > 0) {
		struct timeval tv;

		tv.tv_sec = (time_t)o->duration;
		tv.tv_usec = (suseconds_t)((o->duration - (double)tv.tv_sec) *
		    1e6);
		ag->stop = evtimer_new(ag->base, ag_stop_cb, ag);
		evtimer_add(ag->stop, &tv);
	}
	ag_connect(ag);
	event_base_dispatch(ag->base);

	if (ag->bev != NULL)
		bufferevent_free(ag->bev);
	event_free(ag->poll);
	event_free(ag->retry);
	event_free(ag->sigint);
	event_free(ag->sigterm);
	if (ag->stop != NULL)
		event_free(ag->stop);
	event_base_free(ag->base);
	ktrack_close(ag->ktrack);
	ktable_free(ag->ktable);
	if (ag->src != NULL)
		attrib_conns_free(ag->src);
	sodium_memzero(ag->key, sizeof ag->key);
	free(ag->q);
	if (ag->dropped > 0)
		log_info("agent: %lu records dropped (queue full)", ag->dropped);
	free(ag);
	return EXIT_OK;
}

const struct cmd_entry cmd_agent_entry = {
	"agent",
	"on a workstation: tell the gateway's isoaudit who opened each connection",
"usage: isoaudit agent --gateway ADDR:PORT --key FILE [--name NAME]\n"
"\n"
"Runs on a workstation whose programs use a gateway's Tor (Whonix): records\n"
"which process opened each TCP connection (the kernel connect tracker, at\n"
"connect time; where it cannot run, polling the sockets every 10 ms) and\n"
"sends the records to the gateway's isoaudit, which listens with\n"
"AgentListen and knows this agent by an Agent line (isoaudit.conf(5)).  The\n"
"agent dials out, proves the key (a challenge-response: the key never goes\n"
"over the wire), reconnects with backoff, and keeps at most 4096 records\n"
"while the gateway is away.  Runs as root (or with CAP_BPF, CAP_PERFMON and\n"
"CAP_SYS_PTRACE) to see every user's connections.\n"
"\n"
"The key: 32 random bytes, mode 0600, the same file on both machines:\n"
"  head -c 32 /dev/urandom > /etc/isoaudit/agent.key; chmod 600 ...\n"
"On a Whonix-Gateway, open the agent port to the workstation in\n"
"/etc/whonix_firewall.d/50_user.conf:  INTERNAL_OPEN_PORTS+=\" 9151 \"\n"
"(see docs/agent.md).\n"
"\n"
"options:\n"
"  --gateway ADDR:PORT    the gateway's AgentListen (10.152.152.10:9151)\n"
"  --key FILE             this agent's key file\n"
"  --name NAME            its name in the gateway's Agent line (default: the\n"
"                         host name); 1 to 32 of A-Z a-z 0-9 . _ -\n"
"  --tracker on|off       off: poll the sockets, not the kernel tracker\n"
"                         (default on; said once which runs and why)\n"
"  --duration SECONDS     stop by itself after this long\n"
"  -c, --config FILE      accepted, not read: the agent's settings are these\n"
"                         options\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	agent_options,
	cmd_agent_exec,
	0
};
