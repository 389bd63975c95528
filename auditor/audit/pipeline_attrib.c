/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_attrib.c: who opened a stream: attribution (live, or a
 * transcript's "# attrib" notes), labels, sub-identities, and the
 * application the judge compares.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attrib.h"
#include "buf.h"
#include "config.h"
#include "fnv.h"
#include "idmap.h"
#include "judge.h"
#include "log.h"
#include "pipeline.h"
#include "reply.h"
#include "store.h"
#include "timeutil.h"
#include "torev.h"
#include "xmalloc.h"
#include "pipeline_int.h"

/* --- attribution ----------------------------------------------------------- */

/* snprintf(dst, size, "%s", s) without the printf. */
static void
copy_str(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

void
pipeline_hint(struct pipeline *p, const char *text, size_t len)
{
	struct kvlist kv = { 0 };
	const struct kv *k, *stream = NULL, *listener = NULL, *host = NULL;
	const struct kv *why = NULL, *uid = NULL, *inode = NULL, *pid = NULL;
	const struct kv *process = NULL, *exe = NULL, *by = NULL;
	char *cause = NULL;
	struct hint *h = &p->hint;
	size_t i;

	h->valid = 0;
	/* A dump attributes nothing. */
	if (p->cfg.output == PIPELINE_DUMP)
		return;
	if (reply_kv_parse(text, len, &kv, &cause) == -1) {
		free(cause);
		reply_kv_free(&kv);
		return;
	}
	/* One walk for what reply_kv_get() would give: the last of each. */
	for (i = 0; i < kv.n; i++) {
		const char *key = kv.v[i].key;

		if (key == NULL)
			continue;
		k = &kv.v[i];
		switch (key[0]) {
		case 's':
			if (strcmp(key, "stream") == 0)
				stream = k;
			break;
		case 'l':
			if (strcmp(key, "listener") == 0)
				listener = k;
			break;
		case 'h':
			if (strcmp(key, "host") == 0)
				host = k;
			break;
		case 'e':
			if (strcmp(key, "exe") == 0)
				exe = k;
			break;
		case 'b':
			if (strcmp(key, "by") == 0)
				by = k;
			break;
		case 'w':
			if (strcmp(key, "why") == 0)
				why = k;
			break;
		case 'u':
			if (strcmp(key, "uid") == 0)
				uid = k;
			break;
		case 'i':
			if (strcmp(key, "inode") == 0)
				inode = k;
			break;
		case 'p':
			if (strcmp(key, "pid") == 0)
				pid = k;
			else if (strcmp(key, "process") == 0)
				process = k;
			break;
		}
	}
	if (kv.n == 0 || kv.v[0].key != NULL ||
	    strcmp(kv.v[0].val, "attrib") != 0 || stream == NULL ||
	    torev_parse_id(stream->val, &h->stream) == -1) {
		reply_kv_free(&kv);
		return;
	}
	memset(&h->res, 0, sizeof h->res);
	h->res.uid = -1;
	if (listener != NULL)
		copy_str(h->res.listener, sizeof h->res.listener,
		    listener->val);
	if (host != NULL)
		copy_str(h->res.host, sizeof h->res.host, host->val);
	if (why != NULL)
		copy_str(h->res.why, sizeof h->res.why, why->val);
	if (uid != NULL)
		h->res.uid = strtol(uid->val, NULL, 10);
	if (inode != NULL)
		h->res.inode = strtoull(inode->val, NULL, 10);
	if (pid != NULL)
		h->res.pid = strtol(pid->val, NULL, 10);
	if (process != NULL)
		copy_str(h->res.process, sizeof h->res.process, process->val);
	if (by != NULL)
		copy_str(h->res.by, sizeof h->res.by, by->val);
	/* Only a whole path names a program (a cut one could name another). */
	if (exe != NULL && exe->val[0] == '/' &&
	    strlen(exe->val) < sizeof h->res.exe)
		copy_str(h->res.exe, sizeof h->res.exe, exe->val);
	h->valid = 1;
	reply_kv_free(&kv);
}

/*
 * The sub-identity an App asks for: IsolateBy socks-username (Tor Browser
 * puts the first-party site there: shown hashed unless LogTargets plain),
 * IsolateBy process (the pid; torsocks' "torsocks-PID:TIME" usernames
 * name it even for a remote client).
 */
static void
sub_identity(struct pipeline *p, const struct config_app *app,
    const struct stream_ev *e, const struct attrib_result *r, char *out,
    size_t len)
{
	struct buf b;

	out[0] = '\0';
	if (app == NULL)
		return;
	if (app->isolate_by == ISOLATE_BY_SOCKS_USERNAME) {
		if (e->socks_username.p == NULL)
			return;
		buf_init(&b);
		if (p->cfg.privacy.mode == LOG_TARGETS_PLAIN)
			buf_escape(&b, e->socks_username.p,
			    e->socks_username.n);
		if (p->cfg.privacy.mode != LOG_TARGETS_PLAIN || b.len >= len) {
			/*
			 * Too long to show whole: a prefix and the keyed
			 * hash, so that two names differing at the end stay
			 * two identities.
			 */
			size_t keep = b.len >= len && len > 24 ? len - 24 : 0;

			snprintf(out, len, "%.*s%s%s", (int)keep,
			    b.len ? b.p : "", keep ? "..." : "",
			    pl_hash_of(p, e->socks_username.p,
			    e->socks_username.n));
		} else
			snprintf(out, len, "%s", buf_cstr(&b));
		buf_free(&b);
	} else if (app->isolate_by == ISOLATE_BY_PROCESS) {
		long pid = 0;

		if (e->socks_username.p != NULL &&
		    e->socks_username.n > 9 &&
		    memcmp(e->socks_username.p, "torsocks-", 9) == 0)
			pid = strtol(e->socks_username.p + 9, NULL, 10);
		if (pid <= 0)
			pid = r->pid;
		if (pid > 0)
			snprintf(out, len, "pid %ld", pid);
	}
}

/* Whether a listener is one every program shares. */
static int
shared_listener(struct pipeline *p, const char *listener,
    const struct config_app *app, const struct stream_ev *e)
{
	const char *q;

	if (app != NULL && app->shared)
		return 1;
	if (e->client_protocol != NULL &&
	    (strcmp(e->client_protocol, "TRANS") == 0 ||
	    strcmp(e->client_protocol, "NATD") == 0 ||
	    strcmp(e->client_protocol, "DNS") == 0))
		return 1;
	for (q = p->shared.p; listener != NULL && q != NULL &&
	    q < p->shared.p + p->shared.len; q += strlen(q) + 1)
		if (strcmp(q, listener) == 0)
			return 1;
	return 0;
}

/*
 * Who a SOCKS credential names where no process is known: torsocks'
 * "torsocks-PID:TIME" username names a pid, Whonix's uwt wrappers send
 * the username "<torS0X>0" with a password "TOOL_..." that names the tool.
 * Appends the name (made printable) and returns 1, else 0.
 */
static int
credential_names(const struct stream_ev *e, struct buf *b)
{
	const struct torev_str *u = &e->socks_username, *pw = &e->socks_password;
	size_t n;

	if (u->p != NULL && u->n > 9 && memcmp(u->p, "torsocks-", 9) == 0) {
		n = strspn(u->p + 9, "0123456789");
		if (n == 0 || n > 10)
			return 0;
		buf_adds(b, "torsocks pid ");
		buf_add(b, u->p + 9, n);
		return 1;
	}
	if (u->p != NULL && u->n == 9 && memcmp(u->p, "<torS0X>0", 9) == 0 &&
	    pw->p != NULL && (n = strcspn(pw->p, "_")) > 0 && n < pw->n &&
	    n <= 32) {
		buf_escape(b, pw->p, n);
		return 1;
	}
	return 0;
}

/*
 * Whether a process's name (comm: the kernel keeps 15 bytes of it) is its
 * executable's.  It is not for a script (the interpreter is the
 * executable, the script names the process) or a process that renamed
 * itself.
 */
static int
named_as_exe(const char *exe, const char *comm)
{
	const char *base = strrchr(exe, '/');

	base = base != NULL ? base + 1 : exe;
	return strncmp(base, comm, 15) == 0 &&
	    (strlen(comm) >= 15 || strlen(base) == strlen(comm));
}

/*
 * The application a stream belongs to (SPEC.md 0.2): the program on its
 * host, its executable (its name where the path could not be read) and
 * uid ("/usr/bin/curl (uid 1000)@localhost": two runs of one program are
 * one application); where the process's name is not its executable's (a
 * script under /usr/bin/python3), with that name too, so that two scripts
 * stay two applications ("/usr/bin/python3.11 (electrum, uid 1000)@...").
 * Else what a SOCKS credential names, else the listener's App label.  The
 * judge's rules compare applications.  Appends it to b.
 */
static void
application_of(const struct stream_ev *e, const struct stream *s,
    const char *label, const char *host, struct buf *b)
{
	if (!s->internal && s->pid > 0 &&
	    (s->exe != NULL || s->process[0] != '\0')) {
		const char *prog = s->exe != NULL ? s->exe : s->process;
		int named = s->exe != NULL && s->process[0] != '\0' &&
		    !named_as_exe(s->exe, s->process);

		buf_escape(b, prog, strlen(prog));
		if (named) {
			buf_adds(b, " (");
			buf_escape(b, s->process, strlen(s->process));
		}
		if (s->uid >= 0) {
			buf_adds(b, named ? ", uid " : " (uid ");
			buf_add_i64(b, s->uid);
			buf_addc(b, ')');
		}
		else if (named)
			buf_addc(b, ')');
	} else if (s->internal || !credential_names(e, b))
		buf_adds(b, label);
	buf_addc(b, '@');
	buf_adds(b, host);
}

/* Tells the judge of a new stream of application (s->application is it
 * with its sub-identity) that came in on listener (s->listener, or the
 * DNSPorts a query may have come in on: "one of A, B"). */
static void
judge_new_stream(struct pipeline *p, const struct stream_ev *e,
    const struct stream *s, const char *label, const char *host,
    const char *application, const struct config_app *app,
    const char *listener, int64_t ts)
{
	struct judge_stream js;
	char client[80];
	const char *colon;

	memset(&js, 0, sizeof js);
	js.id = e->id;
	js.app = application;
	js.ident = s->application;
	js.label = label;
	js.listener = listener;
	js.pid = s->pid;
	js.process = s->process[0] != '\0' ? s->process : NULL;
	js.claim = strncmp(s->attribution, "agent:", 6) == 0 ?
	    s->attribution : NULL;
	js.host = host;
	js.shared_port = shared_listener(p, s->listener, app, e);
	js.isolate_by_process = app != NULL &&
	    app->isolate_by == ISOLATE_BY_PROCESS;
	js.has_iso = e->iso_fields != NULL;
	js.iso = judge_iso_bits(e->iso_fields, e->n_iso_fields);
	js.target_addr = e->target_address;
	js.target_port = e->target_port;
	js.socks_user = e->socks_username.p;
	js.socks_user_len = e->socks_username.n;
	js.socks_pass = e->socks_password.p;
	js.socks_pass_len = e->socks_password.n;
	js.protocol = e->client_protocol;
	if (e->source_addr != NULL) {
		colon = strrchr(e->source_addr, ':');
		snprintf(client, sizeof client, "%.*s", colon ?
		    (int)(colon - e->source_addr) : (int)strlen(e->source_addr),
		    e->source_addr);
		js.client_addr = client;
	}
	js.session_group = e->session_group;
	js.nym_epoch = e->nym_epoch;
	/* Not an application (or a rejection that may be a client's: see
	 * smuggle.c): no rule about applications applies. */
	js.unattributed = s->internal || p->unsure;
	judge_stream_new(p->judge, &js, ts);
}

static int
is_dns(const struct stream_ev *e)
{
	return e->client_protocol != NULL &&
	    strcmp(e->client_protocol, "DNS") == 0;
}

/* Whether listener l is one of Tor's DNSPorts. */
static int
dns_listener(const struct pipeline *p, const char *l)
{
	const char *q;
	size_t i;

	for (i = 0, q = p->dns.p; i < p->ndns; i++, q += strlen(q) + 1)
		if (strcmp(q, l) == 0)
			return 1;
	return 0;
}

/*
 * A DNS query no socket named the DNSPort of: the DNSPorts it may have
 * come in on.  One: that is it.  More: the listener stays unknown, the why
 * names them, and so does *cand ("one of A, B", for the judge's finding).
 */
static void
dns_candidates(struct pipeline *p, const struct stream_ev *e,
    struct attrib_result *r, char *cand, size_t candlen)
{
	char list[112];
	size_t n;

	/* Tor's only DNSPort is it, whatever the client's address says. */
	n = attrib_dns_candidates(p->ndns == 1 ? NULL : e->source_addr,
	    p->dns.p, p->ndns, list, sizeof list);
	if (n == 1) {
		copy_str(r->listener, sizeof r->listener, list);
		copy_str(r->why, sizeof r->why, p->ndns == 1 ?
		    "Tor's only DNSPort" : "the only DNSPort this client "
		    "can reach");
	} else if (n > 1) {
		snprintf(cand, candlen, "one of %s", list);
		snprintf(r->why, sizeof r->why, "%s: one of %s",
		    r->inode != 0 ?
		    "the query's socket is not connected to a DNSPort" :
		    "no socket for the query here (closed already, or on "
		    "another host)", list);
	}
}

/*
 * LocalAttribution off: the process found locally is forgotten (the
 * listener stays).  Then, with no local process, a workstation agent's
 * claim for SOURCE_ADDR, if its host is that agent's (the monitor checks).
 */
static void
agent_claim(struct pipeline *p, const struct stream_ev *e,
    struct attrib_result *r)
{
	if (p->cfg.no_local) {
		r->uid = -1;
		r->inode = 0;
		r->pid = 0;
		r->process[0] = '\0';
		r->exe[0] = '\0';
		r->by[0] = '\0';	/* the tracker's is local too */
	}
	if (r->pid == 0 && e->source_addr != NULL &&
	    p->cfg.agent_claim != NULL) {
		r->by[0] = '\0';
		p->cfg.agent_claim(e->source_addr, e->target, is_dns(e), r,
		    p->cfg.agent_arg);
		if (strncmp(r->by, "agent:", 6) == 0)
			copy_str(r->why, sizeof r->why, r->by);
	}
}

/* Where a new stream came from (listener, process, host) into *r:
 * looked up live, from the capture's annotation, or from SOURCE_ADDR;
 * the session group and Tor's DNSPorts fill a listener left unknown
 * (*cand then names the DNSPorts it may be, for the judge, or is ""). */
static int
find_origin(struct pipeline *p, const struct stream_ev *e,
    struct attrib_result *r, char *cand, size_t candlen, int64_t ts)
{
	const char *g;
	int by_group = 0;

	cand[0] = '\0';
	if (p->cfg.live && is_dns(e)) {
		/* A DNSPort query came over UDP: the client's own socket
		 * (its peer names the DNSPort where it was connected). */
		attrib_lookup_dns(p->attrib, e->source_addr, p->dns.p, p->ndns,
		    r);
		agent_claim(p, e, r);
		pl_annotate_attrib(p, e->id, r, ts);
	} else if (p->cfg.live) {
		/* Tor numbers the groups it gives listeners from -4 down,
		 * one each; SessionGroup=N (N >= 0) may join several. */
		attrib_lookup_hint(p->attrib, e->source_addr,
		    e->has_session_group ? pl_groups_find(p, e->session_group) :
		    NULL, e->has_session_group && e->session_group < 0, r);
		agent_claim(p, e, r);
		pl_annotate_attrib(p, e->id, r, ts);
	} else if (p->hint.valid && p->hint.stream == e->id) {
		*r = p->hint.res;
	} else {
		/* A capture without annotations: what SOURCE_ADDR says. */
		attrib_resolve("/nonexistent", e->source_addr, r);
		snprintf(r->why, sizeof r->why, "listener not recorded in "
		    "this capture");
		if (strncmp(r->listener, "unix:", 5) == 0)
			r->why[0] = '\0';
	}
	p->hint.valid = 0;
	g = e->has_session_group && r->listener[0] == '\0' ?
	    pl_groups_find(p, e->session_group) : NULL;
	if (e->has_session_group && r->listener[0] != '\0')
		pl_groups_learn(p, e->session_group, r->listener);
	else if (g != NULL && !is_dns(e)) {
		copy_str(r->listener, sizeof r->listener, g);
		snprintf(r->why, sizeof r->why, "listener by session group %"
		    PRId64 ": the socket itself was gone", e->session_group);
		by_group = 1;
	} else if (g != NULL && dns_listener(p, g)) {
		/* A DNSPort's group, learnt from a query whose socket
		 * named it. */
		copy_str(r->listener, sizeof r->listener, g);
		snprintf(r->why, sizeof r->why, "DNSPort by session group %"
		    PRId64 ": the query's socket did not name it",
		    e->session_group);
		by_group = 1;
	}
	if (r->listener[0] == '\0' && p->ndns > 0 && is_dns(e))
		dns_candidates(p, e, r, cand, candlen);
	/* The listener's reason does not hide whose claim named the program. */
	if (strncmp(r->by, "agent:", 6) == 0 && strncmp(r->why, r->by,
	    strlen(r->by)) != 0) {
		struct buf why;

		buf_init(&why);
		buf_printf(&why, "%s%s%s", r->by, r->why[0] != '\0' ? "; " :
		    "", r->why);
		copy_str(r->why, sizeof r->why, buf_cstr(&why));
		buf_free(&why);
	}
	if (r->host[0] != '\0' && strcmp(r->host, "localhost") != 0 &&
	    p->cfg.config != NULL) {
		char label[sizeof r->host];

		if (config_host_for(p->cfg.config, r->host, label,
		    sizeof label) != NULL)
			copy_str(r->host, sizeof r->host, label);
	}
	return by_group;
}

/*
 * How a stream's application was found (SPEC.md 0.2): the tracker's or an
 * agent's record, a socket lookup (a process, or the client's host), a
 * SOCKS credential that names one, the session group, or none.
 */
static void
attribution_of(const struct stream_ev *e, const struct attrib_result *r,
    int by_group, struct stream *s)
{
	struct buf b;
	const char *how = "none";

	buf_init(&b);
	if (s->internal)
		how = "none";
	else if (r->by[0] != '\0' && r->pid > 0)
		how = r->by;
	else if (r->pid > 0)
		how = "lookup";
	else if (credential_names(e, &b))
		how = "credential";
	else if (r->listener[0] != '\0' && !by_group && r->why[0] == '\0')
		how = "lookup";
	else if (by_group)
		how = "session-group";
	copy_str(s->attribution, sizeof s->attribution, how);
	buf_free(&b);
}

/* Works out who opened a new stream; fills s->app and s->ident. */
void
pl_attribute(struct pipeline *p, const struct stream_ev *e, struct stream *s,
    int64_t ts)
{
	struct attrib_result r;
	const struct config_app *app;
	char label[96], sub[64], cand[120], *application;
	struct buf who;
	int by_group;

	by_group = find_origin(p, e, &r, cand, sizeof cand, ts);
	/* config_app_for takes NULL and "" as "no listener". */
	app = p->cfg.config != NULL ?
	    config_app_for(p->cfg.config, r.listener) : NULL;
	/* Tor's own directory streams come from no client at all. */
	s->internal = e->source_addr == NULL && r.listener[0] == '\0' &&
	    e->purpose != NULL && strncmp(e->purpose, "DIR_", 4) == 0;
	if (s->internal) {
		copy_str(label, sizeof label, TOR_INTERNAL_LABEL);
		snprintf(r.host, sizeof r.host, "localhost");
		r.why[0] = '\0';
	} else if (app != NULL)
		copy_str(label, sizeof label, app->label);
	else if (r.listener[0] != '\0')
		attrib_default_label(r.listener, label, sizeof label);
	else if (e->has_session_group)
		snprintf(label, sizeof label, "group %" PRId64,
		    e->session_group);
	else
		snprintf(label, sizeof label, "unknown listener");
	if (r.host[0] == '\0')
		snprintf(r.host, sizeof r.host, "unknown");
	sub_identity(p, app, e, &r, sub, sizeof sub);
	if (sub[0] != '\0')
		s->ident = xasprintf("%s@%s/%s", label, r.host, sub);
	else
		s->ident = xasprintf("%s@%s", label, r.host);
	if (p->cfg.store != NULL)
		s->app = store_app(p->cfg.store, label, r.host, sub);
	if (r.listener[0] != '\0')
		s->listener = xstrdup(r.listener);
	s->pid = r.pid;
	s->uid = r.uid;
	memcpy(s->process, r.process, sizeof s->process);
	if (r.pid > 0 && r.exe[0] != '\0')
		s->exe = xstrdup(r.exe);
	if (r.why[0] != '\0')
		s->why = xstrdup(r.why);
	if (e->source_addr != NULL)
		s->source_addr = xstrdup(e->source_addr);
	attribution_of(e, &r, by_group, s);
	/* The application, then with the App's sub-identity ("/site"). */
	buf_init(&who);
	application_of(e, s, label, r.host, &who);
	application = xstrdup(buf_cstr(&who));
	if (sub[0] != '\0') {
		buf_addc(&who, '/');
		buf_adds(&who, sub);
	}
	s->application = xstrdup(buf_cstr(&who));
	buf_free(&who);
	if (p->judge != NULL)
		judge_new_stream(p, e, s, label, r.host, application, app,
		    cand[0] != '\0' ? cand : s->listener, ts);
	free(application);
}
