/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_ports.c: the rules about listeners: SHARED_PORT_PROCESSES and
 * UNISOLATED_PORT when a stream is opened (who else used its listener
 * lately, with an equal isolation key), and WEAK_PORT_CONFIG from Tor's
 * SocksPort lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrib.h"
#include "buf.h"
#include "idmap.h"
#include "judge.h"
#include "judge_int.h"
#include "xmalloc.h"

/* Whether a listener cannot tell its programs apart (SPEC.md). */
static int
shared_listener(const struct jstream *s)
{
	return s->shared_port || (s->protocol != NULL &&
	    (strcmp(s->protocol, "TRANS") == 0 ||
	    strcmp(s->protocol, "NATD") == 0 ||
	    strcmp(s->protocol, "DNS") == 0));
}

static struct jport *
port_get(struct judge *j, const char *listener)
{
	size_t i;

	for (i = 0; i < j->nports; i++)
		if (strcmp(j->ports[i].listener, listener) == 0)
			return &j->ports[i];
	j->ports = xreallocarray(j->ports, j->nports + 1, sizeof *j->ports);
	memset(&j->ports[j->nports], 0, sizeof *j->ports);
	j->ports[j->nports].listener = xstrdup(listener);
	return &j->ports[j->nports++];
}

/* Remembers s as a user of p (the oldest makes room). */
static void
port_remember(struct jport *p, const struct jstream *s, int64_t ts)
{
	if (p->n == JUDGE_PORT_USERS) {
		judge_jstream_free(p->users[0].s);
		memmove(&p->users[0], &p->users[1],
		    (p->n - 1) * sizeof p->users[0]);
		p->n--;
	}
	p->users[p->n].s = judge_jstream_clone(s);
	p->users[p->n].ts = ts;
	p->n++;
}

/*
 * UNISOLATED_PORT: on a listener that cannot tell programs apart (a
 * TransPort, NATDPort or SharedPort), a second application whose
 * isolation key equals another's (a port where programs use distinct
 * SOCKS credentials, as Whonix's 9050 with torsocks' IsolatePID, keeps
 * them apart).  A DNSPort query shows no program at all: any use.
 */
static void
port_unisolated(struct judge *j, const struct jstream *s,
    const struct jstream *o, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_UNISOLATED_PORT, 0,
	    s->listener ? s->listener : s->protocol, NULL, NULL, NULL, ts,
	    &is_new);
	judge_occ_who(f, s->label, s->id, s->pid, s->process, s->claim);
	judge_list_add(&f->cause->idents, s->ident);
	if (o != NULL) {
		judge_occ_who(f, o->label, o->id, o->pid, o->process, o->claim);
		judge_list_add(&f->cause->idents, o->ident);
	}
	buf_init(&d);
	buf_adds(&d, s->protocol ? s->protocol : "");
	buf_adds(&d, s->shared_port ? " traffic on shared listener " :
	    " traffic on listener ");
	buf_adds(&d, s->listener ? s->listener : "?");
	buf_adds(&d, ", which every program shares: their streams can be "
	    "linked");
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/* SHARED_PORT_PROCESSES: two applications with equal keys on one port. */
static void
port_processes(struct judge *j, const struct jstream *s,
    const struct jstream *o, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_SHARED_PORT_PROCESSES, 0, s->listener, NULL,
	    o->app, s->app, ts, &is_new);
	judge_occ_who(f, o->label, o->id, o->pid, o->process, o->claim);
	judge_occ_who(f, s->label, s->id, s->pid, s->process, s->claim);
	buf_init(&d);
	buf_adds(&d, o->app);
	buf_adds(&d, " and ");
	buf_adds(&d, s->app);
	buf_adds(&d, " used listener ");
	buf_adds(&d, s->listener);
	buf_adds(&d, " (");
	buf_adds(&d, s->label);
	buf_adds(&d, ") with equal isolation keys: Tor may put them on one "
	    "circuit; give each program its own SocksPort or its own SOCKS "
	    "credentials");
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/*
 * The port rules: who else used s's listener within the window
 * (MaxCircuitDirtiness) with an isolation key equal to s's, as another
 * application (a program run again is the same one).  The pair named is
 * the one whose keys were equal.
 */
void
judge_rule_ports(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jport *p;
	int shared = shared_listener(s);
	size_t i;

	if (s->protocol != NULL && strcmp(s->protocol, "DNS") == 0) {
		port_unisolated(j, s, NULL, ts);
		return;
	}
	if (s->listener == NULL || s->unattributed || s->by_process ||
	    (s->pid <= 0 && s->host == NULL))
		return;
	p = port_get(j, s->listener);
	for (i = 0; i < p->n; i++) {
		const struct jstream *o = p->users[i].s;

		if (ts - p->users[i].ts > JUDGE_PORT_WINDOW_US ||
		    (o->ahash == s->ahash && strcmp(o->app, s->app) == 0) ||
		    !judge_iso_key_equal(o, s))
			continue;
		if (shared)
			port_unisolated(j, s, o, ts);
		else
			port_processes(j, s, o, ts);
		break;
	}
	port_remember(p, s, ts);
}

/* --- configuration rules ---------------------------------------------------------- */

static void
weak(struct judge *j, const char *listener, const char *label, int64_t ts,
    const char *code, const char *what)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_WEAK_PORT_CONFIG, 0, listener, NULL, code, NULL,
	    ts, &is_new);
	if (f->count > 1)
		return;		/* said once a Tor session */
	if (label != NULL)
		judge_list_add(&f->cause->apps, label);
	buf_init(&d);
	buf_printf(&d, "SocksPort %s%s%s%s: %s", listener, label ? " (" : "",
	    label ? label : "", label ? ")" : "", what);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/* Whether flags (a SocksPort line's words) has word, whole. */
static int
has_flag(const char *flags, const char *word)
{
	size_t n = strlen(word);
	const char *p = flags;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == flags || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * WEAK_PORT_CONFIG from what the listener's programs rely on (its App's
 * kind, from the profile or the App line), never from its label.
 */
void
judge_port_config(struct judge *j, const char *line, int64_t ts)
{
	char listener[128], *flags;
	const struct config_app *app;
	const char *label = NULL;
	long group = 0;
	int has_group = 0;
	enum port_kind kind;
	size_t n, i, k;

	n = strcspn(line, " ");
	if (n == 0 || n >= sizeof listener || strcmp(line, "0") == 0)
		return;
	memcpy(listener, line, n);
	listener[n] = '\0';
	if (strspn(listener, "0123456789") == n) {
		/* "9050" listens on 127.0.0.1. */
		char tmp[128];

		snprintf(tmp, sizeof tmp, "127.0.0.1:%.6s", listener);
		snprintf(listener, sizeof listener, "%s", tmp);
	}
	flags = xstrdup(line + n);
	app = config_app_for(j->cfg, listener);
	if (app != NULL)
		label = app->label;
	kind = app != NULL ? app->kind : PORT_PLAIN;
	if (kind == PORT_BROWSER && has_flag(flags, "NoIsolateSOCKSAuth"))
		weak(j, listener, label, ts, "NoIsolateSOCKSAuth",
		    "Tor Browser's port without "
		    "IsolateSOCKSAuth: every site shares circuits");
	else if (kind == PORT_CREDENTIALS &&
	    has_flag(flags, "NoIsolateSOCKSAuth"))
		weak(j, listener, label, ts, "NoIsolateSOCKSAuth",
		    "a port whose programs are told apart by their SOCKS "
		    "credentials (torsocks' IsolatePID, Whonix's <torS0X>0), "
		    "without IsolateSOCKSAuth: they all share circuits");
	if (kind == PORT_BROWSER && has_flag(flags, "IsolateDestAddr"))
		weak(j, listener, label, ts, "IsolateDestAddr",
		    "IsolateDestAddr on a browser "
		    "port: one page's parts leave through many exits");
	if (strncmp(listener, "unix:", 5) != 0) {
		char host[128];
		const char *colon = strrchr(listener, ':');

		snprintf(host, sizeof host, "%.*s", (int)(colon ?
		    colon - listener : (long)strlen(listener)), listener);
		if (!attrib_is_loopback(host) &&
		    has_flag(flags, "NoIsolateClientAddr"))
			weak(j, listener, label, ts, "NoIsolateClientAddr",
			    "a non-loopback listener "
			    "without IsolateClientAddr: other hosts' programs "
			    "share circuits");
	}
	{
		const char *g = strstr(flags, "SessionGroup=");

		if (g != NULL) {
			group = strtol(g + 13, NULL, 10);
			has_group = 1;
		}
	}
	free(flags);
	if (!has_group)
		return;
	/* A listener known already (GETCONF again): only a new group is
	 * news. */
	for (k = 0; k < j->ngroups; k++)
		if (strcmp(j->groups[k].listener, listener) == 0)
			break;
	if (k < j->ngroups && j->groups[k].group == group)
		return;
	for (i = 0; i < j->ngroups; i++) {
		char what[160];

		if (j->groups[i].group != group ||
		    strcmp(j->groups[i].listener, listener) == 0)
			continue;
		char code[48];

		snprintf(code, sizeof code, "SessionGroup=%ld", group);
		snprintf(what, sizeof what, "SessionGroup=%ld joins it with "
		    "%s: their programs share circuits", group,
		    j->groups[i].listener);
		weak(j, listener, label, ts, code, what);
	}
	if (k < j->ngroups) {
		j->groups[k].group = group;
		return;
	}
	j->groups = xreallocarray(j->groups, j->ngroups + 1,
	    sizeof *j->groups);
	j->groups[j->ngroups].listener = xstrdup(listener);
	j->groups[j->ngroups].group = group;
	j->ngroups++;
}
