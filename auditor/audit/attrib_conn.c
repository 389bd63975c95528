/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_conn.c: the agent's record source for now (attrib.h): each poll
 * reads /proc/net/tcp{,6} (attrib_proc_parse_line) and finds the process
 * of every connecting or connected socket not reported before
 * (attrib_process, the lookups monitor uses).  A kernel connect tracker
 * can take its place behind the same two calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "attrib_int.h"
#include "ktable.h"
#include "xmalloc.h"

#define TCP_ESTABLISHED_ST	1
#define TCP_SYN_SENT_ST		2

struct attrib_conns {
	struct attrib	*a;
	uint64_t	*seen;		/* reported, still there: sorted */
	size_t		 nseen, capseen;
	uint64_t	*now;		/* this poll's */
	size_t		 nnow, capnow;
};

struct attrib_conns *
attrib_conns_new(const char *procdir)
{
	struct attrib_conns *c = xcalloc(1, sizeof *c);

	c->a = attrib_new(procdir);
	return c;
}

void
attrib_conns_free(struct attrib_conns *c)
{
	if (c == NULL)
		return;
	attrib_free(c->a);
	free(c->seen);
	free(c->now);
	free(c);
}

static int
u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static void
poll_file(struct attrib_conns *c, const char *name, int family,
    void (*fn)(const struct attrib_conn *, void *), void *arg, int *nfiles)
{
	struct attrib_conn out;
	struct attrib_result res;
	struct proc_sock ps;
	char path[512], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/net/%s", c->a->procdir, name);
	if ((f = fopen(path, "re")) == NULL)
		return;
	(*nfiles)++;
	while (getline(&line, &cap, f) != -1) {
		if (attrib_proc_parse_line(line, family, &ps) == -1 ||
		    ps.inode == 0 || (ps.state != TCP_ESTABLISHED_ST &&
		    ps.state != TCP_SYN_SENT_ST))
			continue;
		if (c->nseen == 0 || bsearch(&ps.inode, c->seen, c->nseen,
		    sizeof *c->seen, u64_cmp) == NULL) {
			memset(&res, 0, sizeof res);
			res.uid = ps.uid;
			res.inode = ps.inode;
			if (attrib_process(c->a, &res) == -1)
				continue;	/* tried again next poll */
			memset(&out, 0, sizeof out);
			attrib_format_endpoint(&ps.local, out.src,
			    sizeof out.src);
			attrib_format_endpoint(&ps.remote, out.dst,
			    sizeof out.dst);
			out.pid = res.pid;
			out.uid = res.uid;
			memcpy(out.comm, res.process, sizeof out.comm);
			memcpy(out.exe, res.exe, sizeof out.exe);
			fn(&out, arg);
		}
		if (c->nnow == c->capnow) {
			c->capnow = c->capnow ? c->capnow * 2 : 256;
			c->now = xreallocarray(c->now, c->capnow,
			    sizeof *c->now);
		}
		c->now[c->nnow++] = ps.inode;
	}
	free(line);
	fclose(f);
}

int
attrib_conns_poll(struct attrib_conns *c,
    void (*fn)(const struct attrib_conn *, void *), void *arg)
{
	uint64_t *t;
	size_t cap;
	int nfiles = 0;

	c->nnow = 0;
	poll_file(c, "tcp", AF_INET, fn, arg, &nfiles);
	poll_file(c, "tcp6", AF_INET6, fn, arg, &nfiles);
	if (nfiles == 0)
		return -1;
	if (c->nnow > 0)
		qsort(c->now, c->nnow, sizeof *c->now, u64_cmp);
	/* This poll's list is the next one's "seen"; the old one is reused. */
	t = c->seen;
	cap = c->capseen;
	c->seen = c->now;
	c->nseen = c->nnow;
	c->capseen = c->capnow;
	c->now = t;
	c->capnow = cap;
	return 0;
}

void
attrib_conn_from_tracker(const struct ktable_rec *r, struct attrib_conn *c)
{
	struct sockaddr_pair p;

	memset(c, 0, sizeof *c);
	p.family = r->family;
	memcpy(p.addr, r->saddr, sizeof p.addr);
	p.port = r->sport;
	attrib_format_endpoint(&p, c->src, sizeof c->src);
	memcpy(p.addr, r->daddr, sizeof p.addr);
	p.port = r->dport;
	attrib_format_endpoint(&p, c->dst, sizeof c->dst);
	c->pid = r->tgid;
	c->uid = r->uid;
	c->udp = r->proto == KTABLE_UDP;
	memcpy(c->comm, r->comm, sizeof r->comm);
	snprintf(c->exe, sizeof c->exe, "%s", r->exe);
}
