/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline.c: replies -> typed events -> the live model of the session ->
 * attribution -> the store and the output: the pipeline itself, its replies
 * and events, the initial state, and Tor sessions.
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
#include "profile.h"
#include "reply.h"
#include "store.h"
#include "timeutil.h"
#include "torev.h"
#include "xmalloc.h"
#include "pipeline_int.h"

struct pipeline *
pipeline_new(const struct pipeline_config *cfg)
{
	struct pipeline *p = xcalloc(1, sizeof *p);

	p->cfg = *cfg;
	if (p->cfg.procdir == NULL)
		p->cfg.procdir = "/proc";
	if (p->cfg.source == NULL)
		p->cfg.source = "live";
	torev_init(&p->ev);
	buf_init(&p->line);
	buf_init(&p->tmp);
	p->hasher = privacy_hasher_new(&p->cfg.privacy);
	idmap_init(&p->circs);
	idmap_init(&p->streams);
	if (p->cfg.live) {
		p->attrib = attrib_new(p->cfg.procdir);
		attrib_set_tracker(p->attrib, p->cfg.tracker);
	}
	if (p->cfg.config != NULL && p->cfg.output == PIPELINE_LINES)
		p->judge = judge_new(p->cfg.config, pl_on_finding, p);
	buf_init(&p->shared);
	buf_init(&p->dns);
	return p;
}

void
pl_stream_free(struct stream *s)
{
	free(s->h_target.raw);
	free(s->h_user.raw);
	free(s->h_pass.raw);
	free(s->ident);
	free(s->listener);
	free(s->source_addr);
	free(s->why);
	free(s->exe);
	free(s->application);
	free(s);
}

/* Forgets the cached hashes, wiping what they were of. */
static void
hslots_clear(struct pipeline *p)
{
	size_t i;

	if (p->hslots == NULL)
		return;
	for (i = 0; i < HASH_CACHE_SLOTS; i++)
		if (p->hslots[i].raw != NULL) {
			sodium_memzero(p->hslots[i].raw, p->hslots[i].len);
			free(p->hslots[i].raw);
		}
	free(p->hslots);
	p->hslots = NULL;
}

/*
 * Whether s[0..n) is already a hash to pass through: a transcript
 * recorded with LogTargets hash holds the hashes the live run printed
 * (record_scrub.c), and hashing them again would print other ones.  Only
 * off the live path: live, Tor's bytes are never hashes, and a client that
 * chose a name looking like one gets it hashed like any other.  A value in
 * a transcript stands for its hash, so equal ones stay equal and different
 * ones different for the judge, which compares the raw values.
 */
int
pl_passthrough(const struct pipeline *p, const char *s, size_t n)
{
	return !p->cfg.live && privacy_is_hash(s, n);
}

/* privacy_hash()'s text of s[0..n), from the cache when it is there. */
const char *
pl_hash_of(struct pipeline *p, const char *s, size_t n)
{
	struct hslot *e;
	uint64_t h;

	if (pl_passthrough(p, s, n)) {
		memcpy(p->hlong, s, n);
		p->hlong[n] = '\0';
		return p->hlong;
	}
	if (n > HASH_CACHE_MAX) {
		privacy_hasher_hash(p->hasher, p->hlong, s, n);
		return p->hlong;
	}
	h = fnv1a(FNV_OFFSET, s, n);
	if (p->hslots == NULL)
		p->hslots = xcalloc(HASH_CACHE_SLOTS, sizeof *p->hslots);
	e = &p->hslots[h & (HASH_CACHE_SLOTS - 1)];
	if (e->raw != NULL && e->h == h && e->len == n &&
	    memcmp(e->raw, s, n) == 0)
		return e->hash;
	if (e->raw != NULL) {
		sodium_memzero(e->raw, e->len);
		free(e->raw);
	}
	e->raw = xmalloc(n + 1);
	memcpy(e->raw, s, n);
	e->raw[n] = '\0';
	e->len = n;
	e->h = h;
	privacy_hasher_hash(p->hasher, e->hash, s, n);
	return e->hash;
}

/* privacy_hash() of s, from the stream's cache when it is the same. */
static const char *
hash_cached(struct pipeline *p, struct hcache *c, const char *s, size_t n)
{
	if (c->raw == NULL || c->len != n || memcmp(c->raw, s, n) != 0) {
		memcpy(c->hash, pl_hash_of(p, s, n), sizeof c->hash);
		free(c->raw);
		c->raw = xmalloc(n + 1);
		memcpy(c->raw, s, n);
		c->raw[n] = '\0';
		c->len = n;
	}
	return c->hash;
}

/*
 * privacy_target() (port < 0: none), hashes from the stream's cache: of
 * the address in lowercase (privacy_hash_target), or, from a transcript,
 * the hash it already is.
 */
void
pl_target_out(struct pipeline *p, struct buf *b, struct stream *s,
    const char *addr, int port)
{
	size_t i, n;
	int onion;
	char small[256], *low;

	if (p->cfg.privacy.mode != LOG_TARGETS_HASH || addr == NULL) {
		privacy_target(&p->cfg.privacy, b, addr, port);
		return;
	}
	n = strlen(addr);
	onion = privacy_is_onion(addr);
	if (!p->cfg.live && privacy_is_hashed_target(addr))
		buf_add(b, addr, PRIVACY_HASH_LEN);
	else {
		/* A host name fits (255 bytes); a longer value, allocated. */
		low = n < sizeof small ? small : xmalloc(n + 1);
		for (i = 0; i < n; i++)
			low[i] = addr[i] >= 'A' && addr[i] <= 'Z' ?
			    (char)(addr[i] - 'A' + 'a') : addr[i];
		low[n] = '\0';
		buf_add(b, s != NULL ? hash_cached(p, &s->h_target, low, n) :
		    pl_hash_of(p, low, n), PRIVACY_HASH_LEN);
		sodium_memzero(low, n);
		if (low != small)
			free(low);
	}
	if (onion)
		buf_adds(b, ".onion");
	if (port >= 0) {
		buf_addc(b, ':');
		buf_add_u64(b, (uint64_t)port);
	}
}

/* privacy_secret() (a SOCKS username or password), cached likewise. */
void
pl_secret_out(struct pipeline *p, struct buf *b, struct hcache *c,
    const struct torev_str *v)
{
	if (p->cfg.privacy.mode == LOG_TARGETS_PLAIN)
		privacy_secret(&p->cfg.privacy, b, v->p, v->n);
	else
		buf_add(b, c != NULL ? hash_cached(p, c, v->p, v->n) :
		    pl_hash_of(p, v->p, v->n), PRIVACY_HASH_LEN);
}

static void
groups_forget(struct pipeline *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

void
pl_groups_learn(struct pipeline *p, int64_t group, const char *listener)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i].group == group) {
			if (strcmp(p->groups[i].listener, listener) != 0)
				p->groups[i].ambiguous = 1;
			return;
		}
	p->groups = xreallocarray(p->groups, p->ngroups + 1,
	    sizeof *p->groups);
	p->groups[p->ngroups].group = group;
	snprintf(p->groups[p->ngroups].listener,
	    sizeof p->groups[p->ngroups].listener, "%s", listener);
	p->groups[p->ngroups].ambiguous = 0;
	p->ngroups++;
}

const char *
pl_groups_find(const struct pipeline *p, int64_t group)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i].group == group && !p->groups[i].ambiguous)
			return p->groups[i].listener;
	return NULL;
}

static void
pipeline_forget(struct pipeline *p)
{
	size_t pos = 0;
	uint64_t id;
	void *v;

	while (idmap_next(&p->circs, &pos, &id, &v))
		free(v);
	pos = 0;
	while (idmap_next(&p->streams, &pos, &id, &v))
		pl_stream_free(v);
	idmap_free(&p->circs);
	idmap_free(&p->streams);
	FREE(p->address);
	FREE(p->method);
	FREE(p->version);
	p->pid = 0;
	p->session_id = 0;
	p->pre_attach_streams = 0;
	p->malformed_session = 0;
	p->hint.valid = 0;
	if (p->judge != NULL)
		judge_reset(p->judge);
	buf_reset(&p->shared);
	buf_reset(&p->dns);
	p->ndns = 0;
	groups_forget(p);
	hslots_clear(p);
	pl_xc_forget(p);
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	pipeline_forget(p);
	groups_forget(p);
	attrib_free(p->attrib);
	judge_free(p->judge);
	buf_free(&p->shared);
	buf_free(&p->dns);
	torev_clear(&p->ev);
	buf_free(&p->line);
	buf_free(&p->tmp);
	hslots_clear(p);
	privacy_hasher_free(p->hasher);
	free(p->onions);
	free(p);
}

void
pipeline_stats(const struct pipeline *p, struct pipeline_stats *st)
{
	*st = p->stats;
}

/* --- events ---------------------------------------------------------------- */

static void
pipeline_malformed(struct pipeline *p, const struct reply *r,
    const char *cause)
{
	char *esc;
	const struct reply_line *l = &r->lines[0];
	size_t shown, sp;

	p->stats.malformed++;
	/* The framer has reported a cut or NUL-bearing reply already. */
	if (r->truncated)
		return;
	if (++p->malformed_session > PIPELINE_MALFORMED_SHOWN)
		return;
	/*
	 * The line may carry a destination or credentials: in clear only
	 * with LogTargets plain; else its event and id ("STREAM 42").
	 */
	shown = l->textlen > 200 ? 200 : l->textlen;
	if (p->cfg.privacy.mode != LOG_TARGETS_PLAIN) {
		sp = words_len(l->text, l->textlen, 2);
		if (sp < shown)
			shown = sp;
	}
	esc = escape_dup(l->text, shown);
	if (shown < l->textlen && p->cfg.privacy.mode != LOG_TARGETS_PLAIN)
		log_warnx("malformed event from Tor (%s), skipped: %03d%c%s "
		    "(%zu more bytes withheld: LogTargets %s)", cause, l->code,
		    l->sep, esc, l->textlen - shown,
		    privacy_mode_name(p->cfg.privacy.mode));
	else
		log_warnx("malformed event from Tor (%s), skipped: %03d%c%s%s",
		    cause, l->code, l->sep, esc,
		    l->textlen > shown ? "..." : "");
	free(esc);
	if (p->malformed_session == PIPELINE_MALFORMED_SHOWN)
		log_warnx("further malformed events this session are skipped "
		    "without a message");
}

static void
pipeline_event(struct pipeline *p, const struct reply *r, int initial)
{
	struct torev *ev = &p->ev;
	char *cause = NULL;

	if (r->nlines == 0)
		return;
	if (p->inj.active && pl_inject_smuggled(p, r))
		return;
	if (torev_parse(r, ev, &cause) == -1) {
		pipeline_malformed(p, r, cause);
		free(cause);
		return;
	}
	if (!initial && ev->type == TOREV_STREAM &&
	    p->cfg.output != PIPELINE_DUMP && pl_inject_begins(p, ev, r))
		return;
	p->stats.events++;
	if (p->cfg.store != NULL && p->session_id != 0 && !initial)
		store_touch(p->cfg.store, p->session_id, ev->ts_us);
	if (p->cfg.output == PIPELINE_DUMP) {
		if (initial || p->cfg.out == NULL)
			return;
		buf_reset(&p->line);
		torev_dump_json(ev, &p->line);
		buf_addc(&p->line, '\n');
		fwrite(p->line.p, 1, p->line.len, p->cfg.out);
		return;
	}
	switch (ev->type) {
	case TOREV_STREAM:
		p->stats.stream_events++;
		pl_on_stream(p, ev);
		break;
	case TOREV_CIRC:
		p->stats.circ_events++;
		pl_on_circ(p, ev, initial);
		break;
	case TOREV_SIGNAL:
		if (ev->u.signal != NULL && (strcmp(ev->u.signal, "RELOAD") == 0 ||
		    strcmp(ev->u.signal, "HUP") == 0))
			groups_forget(p);
		if (!pl_output_lines(p))
			break;
		pl_line_begin(p, ev->ts_us);
		buf_adds(&p->line, "signal");
		pl_line_word(p, NULL, ev->u.signal);
		pl_line_end(p);
		break;
	case TOREV_CONF_CHANGED:
		groups_forget(p);
		if (!pl_output_lines(p))
			break;
		pl_line_begin(p, ev->ts_us);
		buf_adds(&p->line, "Tor's configuration changed");
		pl_line_end(p);
		break;
	default:
		pl_observe_other(p, ev);
		break;
	}
}

/* Builds a one-line 650 reply "PREFIX line" and runs it as an event. */
void
pl_status_lines(struct pipeline *p, const char *prefix,
    const char *data, size_t len, int64_t ts,
    void (*fn)(struct pipeline *, const struct reply *))
{
	struct reply_line rl;
	struct reply r;
	struct buf b;
	const char *s = data, *end = data + len, *nl;

	buf_init(&b);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if (nl > s) {
			buf_reset(&b);
			buf_adds(&b, prefix);
			buf_add(&b, s, (size_t)(nl - s));
			memset(&r, 0, sizeof r);
			memset(&rl, 0, sizeof rl);
			rl.code = 650;
			rl.sep = ' ';
			rl.text = b.p;
			rl.textlen = b.len;
			r.code = 650;
			r.async = 1;
			r.ts_us = ts;
			r.nlines = 1;
			r.lines = &rl;
			fn(p, &r);
		}
		s = nl + 1;
	}
	buf_free(&b);
}

static void
initial_circ(struct pipeline *p, const struct reply *r)
{
	pipeline_event(p, r, 1);
}

/* A stream open before attach ("id status circ target"): unattributed. */
static void
initial_stream(struct pipeline *p, const struct reply *r)
{
	struct torev *ev = &p->ev;
	struct stream *s;
	char *cause = NULL;

	if (torev_parse(r, ev, &cause) == -1 || ev->type != TOREV_STREAM) {
		free(cause);
		return;
	}
	p->pre_attach_streams++;
	if (idmap_get(&p->streams, ev->u.stream.id) != NULL)
		return;
	s = xcalloc(1, sizeof *s);
	s->ident = xstrdup(UNATTRIBUTED_LABEL);
	pl_xc_attach(p, s, ev->u.stream.circ_id);
	s->circ = ev->u.stream.circ_id;
	s->confirmed = 1;
	if (p->cfg.store != NULL)
		s->app = store_app(p->cfg.store, UNATTRIBUTED_LABEL, "unknown",
		    "");
	idmap_put(&p->streams, ev->u.stream.id, s);
	pl_store_stream_event(p, &ev->u.stream, s, NULL, r->ts_us, 1);
	if (p->judge != NULL) {
		struct judge_stream js;

		memset(&js, 0, sizeof js);
		js.id = ev->u.stream.id;
		js.ident = UNATTRIBUTED_LABEL;
		js.label = UNATTRIBUTED_LABEL;
		js.unattributed = 1;
		judge_stream_new(p->judge, &js, r->ts_us);
		judge_attach(p->judge, js.id, s->circ, r->ts_us);
	}
	if (s->circ != 0 && p->cfg.store != NULL && p->session_id != 0)
		store_attach(p->cfg.store, p->session_id, ev->u.stream.id,
		    s->circ, r->ts_us);
	if (p->cfg.observer != NULL && p->cfg.observer->stream != NULL)
		pl_observe_stream(p, &ev->u.stream, s, 1, 0, r->ts_us);
}

/* Tor's TCP listeners, from net/listeners/... lines, for attribution. */
static void
take_listeners(struct pipeline *p, const struct reply *r)
{
	struct kvlist kv = { 0 };
	const char **v = NULL;
	char *cause = NULL;
	size_t i, j, n = 0;
	struct buf all;

	if (p->attrib == NULL)
		return;
	buf_init(&all);
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];

		if (strncmp(l->text, "net/listeners/", 14) != 0 ||
		    strncmp(l->text, "net/listeners/dns", 17) == 0)
			continue;
		if (reply_kv_parse(l->text, l->textlen, &kv, &cause) == -1) {
			FREE(cause);
			continue;
		}
		for (j = 0; j < kv.n; j++) {
			buf_adds(&all, kv.v[j].val);
			buf_addc(&all, '\0');
			n++;
		}
	}
	reply_kv_free(&kv);
	if (n > 0) {
		const char *q = all.p;

		v = xcalloc(n, sizeof *v);
		for (i = 0; i < n; i++) {
			v[i] = q;
			q += strlen(q) + 1;
		}
		attrib_set_listeners(p->attrib, v, n);
		free(v);
	}
	buf_free(&all);
}

/*
 * A config without a system profile takes the one Tor's own listeners
 * name (every net/listeners/... line of the reply), once, and says so.
 */
static void
detect_profile(struct pipeline *p, const struct reply *r)
{
	struct kvlist kv = { 0 };
	const char **v = NULL;
	char *cause = NULL, why[160];
	size_t i, j, n = 0, cap = 0;
	enum profile_id id;
	struct buf line;

	if (p->cfg.config == NULL || p->cfg.config->profile != PROFILE_AUTO)
		return;
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];

		if (strncmp(l->text, "net/listeners/", 14) != 0)
			continue;
		if (reply_kv_parse(l->text, l->textlen, &kv, &cause) == -1) {
			FREE(cause);
			continue;
		}
		for (j = 0; j < kv.n && n < 4096; j++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				v = xreallocarray(v, cap, sizeof *v);
			}
			v[n++] = xstrdup(kv.v[j].val);
		}
	}
	reply_kv_free(&kv);
	if (n == 0)
		return;		/* a reply without them: not this one */
	id = profile_detect_listeners(v, n, why, sizeof why);
	for (i = 0; i < n; i++)
		free((char *)(uintptr_t)v[i]);
	free(v);
	buf_init(&line);
	buf_printf(&line, "detected from Tor's listeners: %s", why);
	config_use_profile(p->cfg.config, id, buf_cstr(&line));
	if (pl_output_lines(p)) {
		pl_line_begin(p, r->ts_us);
		buf_printf(&p->line, "profile %s: ", profile_name(id));
		buf_escape(&p->line, buf_cstr(&line), line.len);
		pl_line_end(p);
	}
	buf_free(&line);
}

/* A DNSPort's port to the tracker (pipeline_config.dns_port). */
static void
dns_port_told(struct pipeline *p, const char *v, size_t len)
{
	char ep[128];
	const char *colon;
	unsigned long port;
	char *end;

	if (p->cfg.dns_port == NULL || len == 0 || len >= sizeof ep)
		return;
	memcpy(ep, v, len);
	ep[len] = '\0';
	if (ep[0] == '"')
		return;		/* a quoted (unix) listener: no port */
	if ((colon = strrchr(ep, ':')) == NULL)
		return;
	port = strtoul(colon + 1, &end, 10);
	if (*end == '\0' && port > 0 && port < 65536)
		p->cfg.dns_port((unsigned)port, p->cfg.agent_arg);
}

/* TransPort and DNSPort listeners: every program shares them. */
static void
shared_listeners(struct pipeline *p, const struct reply_line *l)
{
	struct kvlist kv = { 0 };
	char *cause = NULL;
	size_t j;

	if (reply_kv_parse(l->text, l->textlen, &kv, &cause) == -1) {
		free(cause);
		reply_kv_free(&kv);
		return;
	}
	for (j = 0; j < kv.n; j++)
		if (kv.v[j].vlen > 0) {
			buf_add(&p->shared, kv.v[j].val, kv.v[j].vlen);
			buf_addc(&p->shared, '\0');
			if (strncmp(l->text, "net/listeners/dns", 17) == 0) {
				buf_add(&p->dns, kv.v[j].val, kv.v[j].vlen);
				buf_addc(&p->dns, '\0');
				p->ndns++;
				dns_port_told(p, kv.v[j].val, kv.v[j].vlen);
			}
		}
	reply_kv_free(&kv);
}

/* Takes what it knows from replies to GETINFO/GETCONF, by their keys. */
static void
pipeline_command_reply(struct pipeline *p, const struct reply *r)
{
	size_t i;
	int info = 0, xc = 0;

	if (r->code != 250)
		return;
	take_listeners(p, r);
	detect_profile(p, r);
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];
		const char *eq = memchr(l->text, '=', l->textlen);
		size_t klen;

		const char *val;
		size_t vlen;

		if (eq == NULL)
			continue;
		klen = (size_t)(eq - l->text);
		/* A status list: one entry on the line itself, more in a
		 * data block. */
		val = l->data != NULL ? l->data : eq + 1;
		vlen = l->data != NULL ? l->datalen : l->textlen - klen - 1;
		if (klen == 7 && strncmp(l->text, "version", 7) == 0) {
			free(p->version);
			p->version = escape_dup(eq + 1, strcspn(eq + 1, " "));
			info = 1;
		} else if (klen == 22 && strncmp(l->text,
		    "status/bootstrap-phase", 22) == 0) {
			if (p->cfg.observer != NULL &&
			    p->cfg.observer->bootstrap != NULL)
				pl_observe_bootstrap(p, eq + 1,
				    l->textlen - klen - 1, r->ts_us);
		} else if (klen == 6 && strncmp(l->text, "uptime", 6) == 0) {
			if (p->cfg.observer != NULL &&
			    p->cfg.observer->uptime != NULL)
				p->cfg.observer->uptime(strtol(eq + 1, NULL,
				    10), r->ts_us, p->cfg.observer->arg);
		} else if (klen == 11 &&
		    strncmp(l->text, "process/pid", 11) == 0) {
			p->pid = strtol(eq + 1, NULL, 10);
			info = 1;
		} else if (klen == 14 &&
		    strncmp(l->text, "circuit-status", 14) == 0 && p->ready) {
			pl_xc_circuits(p, val, vlen, r->ts_us);	/* cross-check */
			xc = 1;
		} else if (klen == 13 &&
		    strncmp(l->text, "stream-status", 13) == 0 && p->ready) {
			pl_xc_streams(p, val, vlen, r->ts_us);
			xc = 1;
		} else if (klen == 14 &&
		    strncmp(l->text, "circuit-status", 14) == 0) {
			pl_status_lines(p, "CIRC ", val, vlen, r->ts_us,
			    initial_circ);
		} else if (klen == 13 &&
		    strncmp(l->text, "stream-status", 13) == 0) {
			unsigned before = p->pre_attach_streams;

			pl_status_lines(p, "STREAM ", val, vlen,
			    r->ts_us, initial_stream);
			if (p->judge != NULL)
				judge_pre_attach(p->judge,
				    p->pre_attach_streams - before,
				    p->session_id != 0 ? (uint64_t)p->session_id :
				    p->session, r->ts_us);
		} else if (klen == 9 && strncmp(l->text, "SocksPort", 9) == 0 &&
		    p->judge != NULL) {
			char *v = escape_dup(eq + 1, l->textlen - klen - 1);

			judge_port_config(p->judge, v, r->ts_us);
			free(v);
		} else if (klen == 15 &&
		    strncmp(l->text, "onions/detached", 15) == 0) {
			pl_onion_info(p, "detached", val, vlen, r->ts_us);
		} else if (klen == 14 &&
		    strncmp(l->text, "onions/current", 14) == 0) {
			pl_onion_info(p, "current", val, vlen, r->ts_us);
		} else if ((klen == 17 &&
		    strncmp(l->text, "net/listeners/dns", 17) == 0) ||
		    (klen == 19 &&
		    strncmp(l->text, "net/listeners/trans", 19) == 0)) {
			shared_listeners(p, l);
		}
	}
	if (info && p->cfg.store != NULL && p->session_id != 0)
		store_session_info(p->cfg.store, p->session_id, p->version,
		    p->pid);
	if (xc)
		pl_xc_finish(p, r->ts_us);
}

void
pipeline_reply(struct pipeline *p, const struct reply *r)
{
	if (r->async) {
		pipeline_event(p, r, 0);
		p->unsure = 0;
	}
	/* A "reply" in the read of an injection is the client's too. */
	else if (!p->inj.active || !pl_inject_smuggled(p, r))
		pipeline_command_reply(p, r);
	if (p->xc.ncand > 0)
		pl_xc_resolve(p, r->ts_us);
}

void
pipeline_session_start(struct pipeline *p, unsigned serial, const char *addr,
    const char *method, int64_t ts)
{
	pipeline_forget(p);
	p->session = serial;
	p->stats.sessions++;
	p->address = escape_dup(addr, strlen(addr));
	p->method = escape_dup(method, strlen(method));
	if (p->cfg.store != NULL && p->cfg.output != PIPELINE_DUMP)
		p->session_id = store_session_begin(p->cfg.store, addr, method,
		    p->cfg.source, ts);
	pl_observe_session(p, PIPELINE_START, serial, NULL, ts);
}

void
pipeline_session_ready(struct pipeline *p, unsigned serial, int64_t ts)
{
	pl_observe_session(p, PIPELINE_READY, serial, NULL, ts);
	p->ready = 1;
	if (!pl_output_lines(p))
		return;
	pl_line_begin(p, ts);
	buf_printf(&p->line, "attached to Tor %s", p->version ?
	    p->version : "(version unknown)");
	if (p->pid > 0)
		buf_printf(&p->line, " (pid %ld)", p->pid);
	buf_printf(&p->line, " at %s with %s, Tor session %u: %zu circuits "
	    "open, %u streams open before attach (unattributed)",
	    p->address ? p->address : "?", p->method ? p->method : "?",
	    serial, p->circs.n, p->pre_attach_streams);
	pl_line_end(p);
}

void
pipeline_session_end(struct pipeline *p, unsigned serial, const char *why,
    int64_t ts)
{
	if (p->inj.active)
		pl_inject_close(p);
	if (pl_output_lines(p)) {
		pl_line_begin(p, ts);
		buf_printf(&p->line, "Tor session %u ended:", serial);
		pl_line_word(p, NULL, why);
		pl_line_end(p);
	}
	if (p->cfg.store != NULL && p->session_id != 0) {
		store_session_end(p->cfg.store, p->session_id, why, ts);
		store_flush(p->cfg.store);
	}
	pl_observe_session(p, PIPELINE_END, serial, why, ts);
	pipeline_forget(p);
}
