/*
 * pipeline.c: replies -> typed events -> the live model of the session ->
 * attribution -> the store and the output.  The model holds what the next
 * events need: circuits (exit, purpose, conflux set) and open streams (who
 * opened them, where they are attached); closed ones leave memory at once.
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

#define PIPELINE_MALFORMED_SHOWN	10
#define UNATTRIBUTED_LABEL		"unattributed (open before attach)"
#define TOR_INTERNAL_LABEL		"Tor itself (directory)"

struct circ {
	int64_t	 created;	/* TIME_CREATED parsed (once), or 0 */
	char	 status[16];
	char	 purpose[32];
	char	 exit_fp[41];
	char	 exit_nick[20];
	char	 conflux[33];
};

/*
 * A keyed hash kept for the stream's next events: its target changes once
 * (REMAP), its SOCKS credentials never, and an HMAC costs more than all
 * the rest of an event.
 */
struct hcache {
	char		*raw;
	size_t		 len;
	char		 hash[PRIVACY_HASH_LEN + 1];
};

/*
 * Hashes of any stream's short inputs, direct-mapped by an FNV-1a hash of
 * the bytes: one destination or SOCKS username is hashed for many streams
 * (a page's parts, a program's connections) and one keyed hash costs more
 * than the rest of an event.
 */
#define HASH_CACHE_SLOTS	1024	/* power of two */
#define HASH_CACHE_MAX		255	/* longer inputs are not kept */

struct hslot {
	char		*raw;		/* NULL: empty */
	size_t		 len;
	uint64_t	 h;
	char		 hash[PRIVACY_HASH_LEN + 1];
};

struct stream {
	uint64_t	 circ;		/* last attached circuit */
	struct hcache	 h_target;
	struct hcache	 h_user;
	struct hcache	 h_pass;
	int64_t		 app;		/* store id, 0 unknown */
	char		*ident;		/* "label@host", for output */
	char		*listener;
	char		*source_addr;
	char		*why;		/* when attribution fell short */
	long		 pid;
	long		 uid;
	char		 process[32];
	int		 internal;	/* Tor's own (DIR_FETCH ...) */
};

/* An attribution read from a transcript, waiting for its NEW event. */
struct hint {
	uint64_t		stream;
	struct attrib_result	res;
	int			valid;
};

/*
 * What a session group's streams came in on, learnt from streams whose
 * socket could be read: names the listener of one whose socket cannot
 * (closed already).  Tor renumbers groups on a reload: dropped then.
 */
struct group_listener {
	int64_t	 group;
	char	 listener[80];
	int	 ambiguous;	/* an explicit SessionGroup on two ports */
};

struct pipeline {
	struct pipeline_config	 cfg;
	struct torev		 ev;
	struct buf		 line;
	struct buf		 tmp;
	struct privacy_hasher	*hasher;
	struct hslot		*hslots;	/* HASH_CACHE_SLOTS, or NULL */
	char			 hlong[PRIVACY_HASH_LEN + 1];	/* not kept */
	char			 when[TIME_RFC3339_LEN];	/* line_begin */
	int64_t			 when_sec;

	unsigned		 session;
	int64_t			 session_id;	/* in the store, or 0 */
	char			*address;
	char			*method;
	char			*version;
	long			 pid;
	unsigned		 pre_attach_streams;
	unsigned		 malformed_session;
	struct idmap		 circs;
	struct idmap		 streams;
	struct hint		 hint;
	struct attrib		*attrib;	/* live only */
	struct judge		*judge;		/* with a config */
	struct buf		 shared;	/* TransPort/DNSPort listeners */
	struct buf		 dns;		/* DNSPort listeners */
	size_t			 ndns;
	struct group_listener	*groups;	/* session group -> listener */
	size_t			 ngroups;
	struct {			/* after a STREAM event a line break cut */
		int		 active;
		int64_t		 ts;	/* of the read that brought it */
		uint64_t	 stream;
		unsigned	 lines;	/* smuggled lines ignored */
	}			 inj;
	struct pipeline_stats	 stats;
};

static void	on_finding(const struct judge_finding *, void *);

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
	if (p->cfg.live)
		p->attrib = attrib_new(p->cfg.procdir);
	if (p->cfg.config != NULL && p->cfg.output == PIPELINE_LINES)
		p->judge = judge_new(p->cfg.config, on_finding, p);
	buf_init(&p->shared);
	buf_init(&p->dns);
	return p;
}

static void
stream_free(struct stream *s)
{
	free(s->h_target.raw);
	free(s->h_user.raw);
	free(s->h_pass.raw);
	free(s->ident);
	free(s->listener);
	free(s->source_addr);
	free(s->why);
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

/* privacy_hash()'s text of s[0..n), from the cache when it is there. */
static const char *
hash_of(struct pipeline *p, const char *s, size_t n)
{
	struct hslot *e;
	uint64_t h;

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
		memcpy(c->hash, hash_of(p, s, n), sizeof c->hash);
		free(c->raw);
		c->raw = xmalloc(n + 1);
		memcpy(c->raw, s, n);
		c->raw[n] = '\0';
		c->len = n;
	}
	return c->hash;
}

/* privacy_target() (port < 0: none), hashes from the stream's cache. */
static void
target_out(struct pipeline *p, struct buf *b, struct stream *s,
    const char *addr, int port)
{
	if (p->cfg.privacy.mode != LOG_TARGETS_HASH || s == NULL ||
	    addr == NULL) {
		privacy_target(&p->cfg.privacy, b, addr, port);
		return;
	}
	buf_add(b, hash_cached(p, &s->h_target, addr, strlen(addr)),
	    PRIVACY_HASH_LEN);
	if (port >= 0) {
		buf_addc(b, ':');
		buf_add_u64(b, (uint64_t)port);
	}
}

/* privacy_secret() (a SOCKS username or password), cached likewise. */
static void
secret_out(struct pipeline *p, struct buf *b, struct hcache *c,
    const struct torev_str *v)
{
	if (p->cfg.privacy.mode == LOG_TARGETS_PLAIN || c == NULL)
		privacy_secret(&p->cfg.privacy, b, v->p, v->n);
	else
		buf_add(b, hash_cached(p, c, v->p, v->n), PRIVACY_HASH_LEN);
}

static void
groups_forget(struct pipeline *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

static void
groups_learn(struct pipeline *p, int64_t group, const char *listener)
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

static const char *
groups_find(const struct pipeline *p, int64_t group)
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
		stream_free(v);
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
	free(p);
}

void
pipeline_stats(const struct pipeline *p, struct pipeline_stats *st)
{
	*st = p->stats;
}

/* --- output lines --------------------------------------------------------- */

/*
 * Starts an output line with the time (RFC 3339 UTC, milliseconds).  The
 * text up to the second is kept: events come many a second.
 */
static void
line_begin(struct pipeline *p, int64_t ts)
{
	int64_t sec, ms;
	char *w = p->when;

	buf_reset(&p->line);
	if (ts <= 0)
		return;
	sec = ts / 1000000;
	ms = ts % 1000000 / 1000;
	if (sec != p->when_sec) {
		time_rfc3339_ms(sec * 1000000, w);
		p->when_sec = sec;
	}
	if (strlen(w) == 24 && w[19] == '.' && w[23] == 'Z') {
		w[20] = (char)('0' + ms / 100);
		w[21] = (char)('0' + ms / 10 % 10);
		w[22] = (char)('0' + ms % 10);
		buf_add(&p->line, w, 24);
	} else {
		char when[TIME_RFC3339_LEN];

		time_rfc3339_ms(ts, when);
		buf_adds(&p->line, when);
	}
	buf_addc(&p->line, ' ');
}

static void
line_end(struct pipeline *p)
{
	buf_addc(&p->line, '\n');
	fwrite(p->line.p, 1, p->line.len, p->cfg.out);
}

/* Appends " [label ]word" made printable. */
static void
line_word(struct pipeline *p, const char *label, const char *s)
{
	if (s == NULL)
		return;
	buf_addc(&p->line, ' ');
	if (label != NULL) {
		buf_adds(&p->line, label);
		buf_addc(&p->line, ' ');
	}
	buf_escape(&p->line, s, strlen(s));
}

static int
circ_is_general(const struct circ *c)
{
	return c->purpose[0] == '\0' || strcmp(c->purpose, "GENERAL") == 0 ||
	    strncmp(c->purpose, "CONFLUX", 7) == 0;
}

static void
line_exit(struct pipeline *p, const struct circ *c)
{
	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only general-purpose circuits end in an exit. */
	buf_adds(&p->line, circ_is_general(c) ? " exit " : " last hop ");
	if (c->exit_nick[0] != '\0') {
		buf_adds(&p->line, c->exit_nick);
		buf_addc(&p->line, ' ');
	}
	buf_addc(&p->line, '$');
	buf_add(&p->line, c->exit_fp, strnlen(c->exit_fp, 8));
}

static int
output_lines(const struct pipeline *p)
{
	return p->cfg.output == PIPELINE_LINES && p->cfg.out != NULL;
}

/* --- circuits ------------------------------------------------------------- */

static void
copy_field(char *dst, size_t size, const char *s)
{
	size_t i, n = 0;

	/* Only what is safe to print unescaped, cut to size. */
	for (i = 0; s != NULL && s[i] != '\0' && n + 1 < size; i++)
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
			dst[n++] = s[i];
	dst[n] = '\0';
}

static int
is_closing(const char *status)
{
	return strcmp(status, "CLOSED") == 0 || strcmp(status, "FAILED") == 0;
}

/* TIME_CREATED is UTC without a zone: "2026-11-24T17:38:34.848494". */
static int64_t
parse_created(const char *s)
{
	char tmp[48];
	int64_t us;

	if (s == NULL || strlen(s) > 40)
		return 0;
	snprintf(tmp, sizeof tmp, "%sZ", s);
	return time_parse_when(tmp, 0, &us) == 0 ? us : 0;
}

/* Joins a list with commas into p->tmp. */
static const char *
join_list(struct pipeline *p, const char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return NULL;
	buf_reset(&p->tmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&p->tmp, ',');
		buf_adds(&p->tmp, v[i]);
	}
	return buf_cstr(&p->tmp);
}

static void
store_circ_event(struct pipeline *p, const struct circ_ev *e,
    const struct circ *c, int64_t ts)
{
	struct store_circ sc;
	struct buf path, flags;
	size_t i;

	if (p->cfg.store == NULL || p->session_id == 0)
		return;
	memset(&sc, 0, sizeof sc);
	buf_init(&path);
	buf_init(&flags);
	sc.session = p->session_id;
	sc.circ_id = e->id;
	sc.status = e->status;
	sc.purpose = e->purpose;
	for (i = 0; i < e->n_build_flags; i++) {
		if (i > 0)
			buf_addc(&flags, ',');
		buf_adds(&flags, e->build_flags[i]);
	}
	if (e->build_flags != NULL)
		sc.build_flags = buf_cstr(&flags);
	for (i = 0; i < e->npath; i++) {
		const struct torev_hop *h = &e->path[i];

		if (i > 0)
			buf_addc(&path, ',');
		if (h->fp != NULL) {
			buf_addc(&path, '$');
			buf_adds(&path, h->fp);
		}
		if (h->nick != NULL) {
			if (h->fp != NULL)
				buf_addc(&path, '~');
			buf_adds(&path, h->nick);
		}
	}
	if (e->npath > 0) {
		const struct torev_hop *h = &e->path[e->npath - 1];

		sc.path = buf_cstr(&path);
		sc.exit_fp = h->fp;
		sc.exit_nick = h->nick;
	}
	sc.conflux_id = e->conflux_id;
	sc.created = e->created != NULL ? c->created : 0;
	if (sc.created == 0 && strcmp(e->status, "LAUNCHED") == 0)
		sc.created = ts;
	if (strcmp(e->status, "BUILT") == 0) {
		sc.built = ts;
		for (i = 0; i < e->npath; i++)
			store_relay(p->cfg.store, e->path[i].fp,
			    e->path[i].nick, ts);
	}
	if (is_closing(e->status))
		sc.closed = ts;
	sc.reason = e->reason;
	sc.remote_reason = e->remote_reason;
	store_circuit(p->cfg.store, &sc);
	buf_free(&path);
	buf_free(&flags);
}

/*
 * Updates the model.  A closing circuit leaves the map and *out is then
 * the caller's to free (the function returns 1).
 */
static int
circ_update(struct pipeline *p, const struct circ_ev *e, struct circ **out)
{
	struct circ *c = idmap_get(&p->circs, e->id);
	int closing = is_closing(e->status);

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		idmap_put(&p->circs, e->id, c);
	}
	copy_field(c->status, sizeof c->status, e->status);
	if (e->created != NULL && c->created == 0)
		c->created = parse_created(e->created);
	if (e->purpose != NULL)
		copy_field(c->purpose, sizeof c->purpose, e->purpose);
	if (e->conflux_id != NULL)
		copy_field(c->conflux, sizeof c->conflux, e->conflux_id);
	if (e->npath > 0) {
		const struct torev_hop *h = &e->path[e->npath - 1];

		copy_field(c->exit_fp, sizeof c->exit_fp, h->fp);
		copy_field(c->exit_nick, sizeof c->exit_nick, h->nick);
	}
	*out = c;
	if (closing)
		idmap_del(&p->circs, e->id);
	return closing;
}

static void
on_circ(struct pipeline *p, const struct torev *ev, int initial)
{
	const struct circ_ev *e = &ev->u.circ;
	struct circ *c;
	int noisy = strcmp(e->status, "LAUNCHED") == 0 ||
	    strcmp(e->status, "EXTENDED") == 0;
	int closing = circ_update(p, e, &c);

	if (!noisy || initial)
		store_circ_event(p, e, c, ev->ts_us);
	if (p->judge != NULL)
		judge_circuit(p->judge, e->id, e->conflux_id,
		    c->exit_fp[0] ? c->exit_fp : NULL,
		    c->exit_nick[0] ? c->exit_nick : NULL, closing);
	if (!initial && output_lines(p) && (!noisy || p->cfg.verbose > 0)) {
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "circ ");
		buf_add_u64(&p->line, e->id);
		buf_addc(&p->line, ' ');
		buf_escape(&p->line, e->status, strlen(e->status));
		if (c->purpose[0] != '\0') {
			buf_addc(&p->line, ' ');
			buf_adds(&p->line, c->purpose);
		}
		line_exit(p, c);
		if (c->conflux[0] != '\0') {
			buf_adds(&p->line, " conflux ");
			buf_add(&p->line, c->conflux, strnlen(c->conflux, 8));
		}
		line_word(p, "reason", e->reason);
		line_word(p, "remote", e->remote_reason);
		line_end(p);
	}
	if (p->cfg.observer != NULL && p->cfg.observer->circ != NULL) {
		struct pipeline_view_circ vc;

		vc.id = e->id;
		vc.status = c->status;
		vc.purpose = c->purpose;
		vc.exit_fp = c->exit_fp;
		vc.exit_nick = c->exit_nick;
		vc.conflux = c->conflux;
		vc.created = e->created != NULL ? c->created : 0;
		vc.ts = ev->ts_us;
		vc.closing = closing;
		p->cfg.observer->circ(&vc, p->cfg.observer->arg);
	}
	if (closing)
		free(c);
}

/* --- attribution ----------------------------------------------------------- */

static void
annotate_attrib(struct pipeline *p, uint64_t id, const struct attrib_result *r,
    int64_t ts)
{
	struct buf b;

	if (p->cfg.annotate == NULL)
		return;
	buf_init(&b);
	buf_printf(&b, "attrib stream=%" PRIu64 " listener=", id);
	buf_quote(&b, r->listener, strlen(r->listener));
	buf_adds(&b, " host=");
	buf_quote(&b, r->host, strlen(r->host));
	buf_printf(&b, " uid=%ld inode=%" PRIu64 " pid=%ld process=", r->uid,
	    r->inode, r->pid);
	buf_quote(&b, r->process, strlen(r->process));
	buf_adds(&b, " why=");
	buf_quote(&b, r->why, strlen(r->why));
	p->cfg.annotate(ts, buf_cstr(&b), p->cfg.annotate_arg);
	buf_free(&b);
}

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
	const struct kv *process = NULL;
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
			    hash_of(p, e->socks_username.p,
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
 * The application a stream belongs to (SPEC.md 0.2): the program on its
 * host ("curl@localhost": two runs of one program are one application),
 * else what a SOCKS credential names, else the listener's App label; with
 * the App's sub-identity ("/site") where it asks for one.  The judge's
 * pair rules compare applications.  Appends it to b.
 */
static void
application_of(const struct stream_ev *e, const struct stream *s,
    const char *label, const char *host, const char *sub, struct buf *b)
{
	if (!s->internal && s->pid > 0 && s->process[0] != '\0')
		buf_escape(b, s->process, strlen(s->process));
	else if (s->internal || !credential_names(e, b))
		buf_adds(b, label);
	buf_addc(b, '@');
	buf_adds(b, host);
	if (sub[0] != '\0') {
		buf_addc(b, '/');
		buf_adds(b, sub);
	}
}

static void
judge_new_stream(struct pipeline *p, const struct stream_ev *e,
    const struct stream *s, const char *label, const char *host,
    const char *sub, const struct config_app *app, int64_t ts)
{
	struct judge_stream js;
	struct buf who;
	char client[80];
	const char *colon;

	memset(&js, 0, sizeof js);
	buf_init(&who);
	application_of(e, s, label, host, sub, &who);
	js.id = e->id;
	js.ident = buf_cstr(&who);
	js.label = label;
	js.listener = s->listener;
	js.pid = s->pid;
	js.process = s->process[0] != '\0' ? s->process : NULL;
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
	/* Not an application: no rule about applications applies. */
	js.unattributed = s->internal;
	judge_stream_new(p->judge, &js, ts);
	buf_free(&who);
}

/* Works out who opened a new stream; fills s->app and s->ident. */
static void
attribute(struct pipeline *p, const struct stream_ev *e, struct stream *s,
    int64_t ts)
{
	struct attrib_result r;
	const struct config_app *app;
	char label[96], sub[64];

	if (p->cfg.live && e->client_protocol != NULL &&
	    strcmp(e->client_protocol, "DNS") == 0) {
		/* A DNSPort query came over UDP: no connection to look up
		 * (that was a netlink request for every listener). */
		attrib_resolve("/nonexistent", e->source_addr, &r);
		snprintf(r.why, sizeof r.why, "a DNS query over UDP: no "
		    "connection to look up");
		annotate_attrib(p, e->id, &r, ts);
	} else if (p->cfg.live) {
		/* Tor numbers the groups it gives listeners from -4 down,
		 * one each; SessionGroup=N (N >= 0) may join several. */
		attrib_lookup_hint(p->attrib, e->source_addr,
		    e->has_session_group ? groups_find(p, e->session_group) :
		    NULL, e->has_session_group && e->session_group < 0, &r);
		annotate_attrib(p, e->id, &r, ts);
	} else if (p->hint.valid && p->hint.stream == e->id) {
		r = p->hint.res;
	} else {
		/* A capture without annotations: what SOURCE_ADDR says. */
		attrib_resolve("/nonexistent", e->source_addr, &r);
		snprintf(r.why, sizeof r.why, "listener not recorded in "
		    "this capture");
		if (strncmp(r.listener, "unix:", 5) == 0)
			r.why[0] = '\0';
	}
	p->hint.valid = 0;
	if (e->has_session_group && r.listener[0] != '\0')
		groups_learn(p, e->session_group, r.listener);
	else if (e->has_session_group && r.listener[0] == '\0' &&
	    groups_find(p, e->session_group) != NULL) {
		snprintf(r.listener, sizeof r.listener, "%s",
		    groups_find(p, e->session_group));
		snprintf(r.why, sizeof r.why, "listener by session group %"
		    PRId64 ": the socket itself was gone", e->session_group);
	}
	if (r.listener[0] == '\0' && p->ndns == 1 &&
	    e->client_protocol != NULL &&
	    strcmp(e->client_protocol, "DNS") == 0) {
		/* UDP has no connection to look up; Tor has one DNSPort. */
		snprintf(r.listener, sizeof r.listener, "%s", p->dns.p);
		snprintf(r.why, sizeof r.why, "Tor's only DNSPort");
	}
	if (r.host[0] != '\0' && strcmp(r.host, "localhost") != 0 &&
	    p->cfg.config != NULL) {
		const char *h = config_host_for(p->cfg.config, r.host);

		if (h != NULL)
			snprintf(r.host, sizeof r.host, "%s", h);
	}
	/* config_app_for takes NULL and "" as "no listener". */
	app = p->cfg.config != NULL ?
	    config_app_for(p->cfg.config, r.listener) : NULL;
	/* Tor's own directory streams come from no client at all. */
	s->internal = e->source_addr == NULL && r.listener[0] == '\0' &&
	    e->purpose != NULL && strncmp(e->purpose, "DIR_", 4) == 0;
	if (s->internal) {
		snprintf(label, sizeof label, "%s", TOR_INTERNAL_LABEL);
		snprintf(r.host, sizeof r.host, "localhost");
		r.why[0] = '\0';
	} else if (app != NULL)
		snprintf(label, sizeof label, "%s", app->label);
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
	if (r.why[0] != '\0')
		s->why = xstrdup(r.why);
	if (e->source_addr != NULL)
		s->source_addr = xstrdup(e->source_addr);
	if (p->judge != NULL)
		judge_new_stream(p, e, s, label, r.host, sub, app, ts);
}

/* --- streams --------------------------------------------------------------- */

static void
store_stream_event(struct pipeline *p, const struct stream_ev *e,
    struct stream *s, const char *listener, int64_t ts, int pre)
{
	struct store_stream r;
	struct buf target, user, pass;
	const char *st = e->status;

	if (p->cfg.store == NULL || p->session_id == 0)
		return;
	memset(&r, 0, sizeof r);
	buf_init(&target);
	buf_init(&user);
	buf_init(&pass);
	r.session = p->session_id;
	r.stream_id = e->id;
	r.circ_id = e->circ_id;
	r.status = st;
	r.listener = listener;
	r.client_addr = e->source_addr;
	r.app = s != NULL ? s->app : 0;
	r.uid = -1;
	if (s != NULL && listener != NULL) {
		/* Who it was: written once, with the NEW event. */
		r.pid = s->pid;
		r.uid = s->uid;
		r.process = s->process[0] != '\0' ? s->process : NULL;
	}
	r.protocol = e->client_protocol;
	r.purpose = e->purpose;
	r.has_nym_epoch = e->has_nym_epoch;
	r.nym_epoch = (int64_t)e->nym_epoch;
	r.has_session_group = e->has_session_group;
	r.session_group = e->session_group;
	r.iso_fields = join_list(p, e->iso_fields, e->n_iso_fields);
	if (e->socks_username.p != NULL) {
		secret_out(p, &user, s ? &s->h_user : NULL,
		    &e->socks_username);
		r.socks_username = buf_cstr(&user);
	}
	if (e->socks_password.p != NULL) {
		secret_out(p, &pass, s ? &s->h_pass : NULL,
		    &e->socks_password);
		r.socks_password = buf_cstr(&pass);
	}
	if (p->cfg.privacy.mode != LOG_TARGETS_NONE) {
		target_out(p, &target, s, e->target_address, -1);
		r.target = buf_cstr(&target);
	}
	r.target_port = e->target_port;
	if (strcmp(st, "NEW") == 0 || strcmp(st, "NEWRESOLVE") == 0 || pre)
		r.opened = ts;
	if (strcmp(st, "SUCCEEDED") == 0)
		r.succeeded = ts;
	if (is_closing(st))
		r.closed = ts;
	r.reason = e->reason;
	r.remote_reason = e->remote_reason;
	r.pre_attach = pre;
	store_stream(p->cfg.store, &r);
	buf_free(&target);
	buf_free(&user);
	buf_free(&pass);
}

/* Tells the viewer about a stream event (strings made printable). */
static void
observe_stream(struct pipeline *p, const struct stream_ev *e,
    struct stream *s, int is_new, int closing, int64_t ts)
{
	struct pipeline_view_stream vs;
	struct buf target, status;

	buf_init(&target);
	buf_init(&status);
	target_out(p, &target, s, e->target_address, e->target_port);
	buf_escape(&status, e->status, strlen(e->status));
	memset(&vs, 0, sizeof vs);
	vs.id = e->id;
	vs.circ = s->circ;
	vs.status = buf_cstr(&status);
	vs.target = buf_cstr(&target);
	vs.ident = s->ident != NULL ? s->ident : UNATTRIBUTED_LABEL;
	vs.unattributed = s->ident == NULL ||
	    strcmp(s->ident, UNATTRIBUTED_LABEL) == 0;
	vs.internal = s->internal;
	vs.listener = s->listener;
	vs.process = s->process[0] != '\0' ? s->process : NULL;
	vs.pid = s->pid;
	vs.is_new = is_new;
	vs.closing = closing;
	vs.ts = ts;
	p->cfg.observer->stream(&vs, p->cfg.observer->arg);
	buf_free(&target);
	buf_free(&status);
}

static void
on_stream(struct pipeline *p, const struct torev *ev)
{
	const struct stream_ev *e = &ev->u.stream;
	struct stream *s = idmap_get(&p->streams, e->id);
	int closing = is_closing(e->status);
	int is_new = e->source_addr != NULL || strcmp(e->status, "NEW") == 0 ||
	    strcmp(e->status, "NEWRESOLVE") == 0;
	const char *listener = NULL;

	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		idmap_put(&p->streams, e->id, s);
		if (is_new) {
			attribute(p, e, s, ev->ts_us);
			listener = s->listener;
		}
	}
	store_stream_event(p, e, s, listener, ev->ts_us, 0);
	if (e->circ_id != 0 && e->circ_id != s->circ) {
		s->circ = e->circ_id;
		if (p->cfg.store != NULL && p->session_id != 0)
			store_attach(p->cfg.store, p->session_id, e->id,
			    e->circ_id, ev->ts_us);
		if (p->judge != NULL)
			judge_attach(p->judge, e->id, e->circ_id, ev->ts_us);
	}

	if (output_lines(p)) {
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "stream ");
		buf_add_u64(&p->line, e->id);
		buf_addc(&p->line, ' ');
		buf_escape(&p->line, e->status, strlen(e->status));
		buf_addc(&p->line, ' ');
		target_out(p, &p->line, s, e->target_address,
		    e->target_port);
		if (e->circ_id != 0) {
			buf_adds(&p->line, " circ ");
			buf_add_u64(&p->line, e->circ_id);
			line_exit(p, idmap_get(&p->circs, e->circ_id));
		}
		line_word(p, "from", e->source_addr != NULL ?
		    e->source_addr : closing ? s->source_addr : NULL);
		line_word(p, NULL, e->client_protocol);
		if (e->has_session_group) {
			buf_adds(&p->line, " group ");
			buf_add_i64(&p->line, e->session_group);
		}
		if (e->has_nym_epoch && e->source_addr != NULL) {
			buf_adds(&p->line, " epoch ");
			buf_add_u64(&p->line, e->nym_epoch);
		}
		if (e->socks_username.p != NULL) {
			buf_adds(&p->line, " user ");
			secret_out(p, &p->line, &s->h_user,
			    &e->socks_username);
		}
		if (e->purpose != NULL && strcmp(e->purpose, "USER") != 0)
			line_word(p, "purpose", e->purpose);
		if (s->ident != NULL && (is_new || closing))
			line_word(p, "app", s->ident);
		if (s->pid > 0 && is_new) {
			buf_addc(&p->line, ' ');
			buf_escape(&p->line, s->process, strlen(s->process));
			buf_printf(&p->line, "[%ld]", s->pid);
		}
		if (s->why != NULL && is_new) {
			buf_adds(&p->line, " (");
			buf_escape(&p->line, s->why, strlen(s->why));
			buf_addc(&p->line, ')');
		}
		line_word(p, "reason", e->reason);
		line_word(p, "remote", e->remote_reason);
		line_end(p);
	}
	if (p->cfg.observer != NULL && p->cfg.observer->stream != NULL)
		observe_stream(p, e, s, is_new, closing, ev->ts_us);
	if (closing) {
		idmap_del(&p->streams, e->id);
		stream_free(s);
		if (p->judge != NULL)
			judge_stream_closed(p->judge, e->id);
	}
}

/* --- events ---------------------------------------------------------------- */

static void
pipeline_malformed(struct pipeline *p, const struct reply *r,
    const char *cause)
{
	char *esc;
	const struct reply_line *l = &r->lines[0];

	p->stats.malformed++;
	/* The framer has reported a cut or NUL-bearing reply already. */
	if (r->truncated)
		return;
	if (++p->malformed_session > PIPELINE_MALFORMED_SHOWN)
		return;
	esc = escape_dup(l->text, l->textlen > 200 ? 200 : l->textlen);
	log_warnx("malformed event from Tor (%s), skipped: %03d%c%s%s", cause,
	    l->code, l->sep, esc, l->textlen > 200 ? "..." : "");
	free(esc);
	if (p->malformed_session == PIPELINE_MALFORMED_SHOWN)
		log_warnx("further malformed events this session are skipped "
		    "without a message");
}

/*
 * "[NOTICE ]BOOTSTRAP PROGRESS=n ... SUMMARY=..." (a STATUS_CLIENT event or
 * GETINFO status/bootstrap-phase): to the viewer.
 */
static void
observe_bootstrap(struct pipeline *p, const char *s, size_t n, int64_t ts)
{
	struct kvlist kv = { 0 };
	char *cause = NULL, *summary = NULL;
	int progress = -1, bootstrap = 0;
	size_t i;

	if (reply_kv_parse(s, n, &kv, &cause) == -1) {
		free(cause);
		reply_kv_free(&kv);
		return;
	}
	for (i = 0; i < kv.n; i++) {
		if (kv.v[i].key == NULL && strcmp(kv.v[i].val, "BOOTSTRAP") == 0)
			bootstrap = 1;
		else if (kv.v[i].key != NULL &&
		    strcmp(kv.v[i].key, "PROGRESS") == 0)
			progress = (int)strtol(kv.v[i].val, NULL, 10);
		else if (kv.v[i].key != NULL &&
		    strcmp(kv.v[i].key, "SUMMARY") == 0 && summary == NULL)
			summary = escape_dup(kv.v[i].val, kv.v[i].vlen);
	}
	if (bootstrap && progress >= 0 && progress <= 100)
		p->cfg.observer->bootstrap(progress, summary ? summary : "",
		    ts, p->cfg.observer->arg);
	free(summary);
	reply_kv_free(&kv);
}

/* Events only a viewer wants: Tor's log, bootstrap status. */
static void
observe_other(struct pipeline *p, const struct torev *ev)
{
	const struct pipeline_observer *o = p->cfg.observer;
	const char *name = ev->name, *raw = ev->raw;
	size_t nlen;
	char *msg;

	if (o == NULL || name == NULL || raw == NULL)
		return;
	nlen = strlen(name);
	if (strlen(raw) >= 4 && raw[0] == '6' && raw[1] == '5' && raw[2] == '0')
		raw += 4;	/* "650 " or "650-" */
	if (strncmp(raw, name, nlen) == 0)
		raw += nlen;
	raw += strspn(raw, " ");
	if (strcmp(name, "STATUS_CLIENT") == 0 && o->bootstrap != NULL)
		observe_bootstrap(p, raw, strlen(raw), ev->ts_us);
	else if ((strcmp(name, "NOTICE") == 0 || strcmp(name, "WARN") == 0 ||
	    strcmp(name, "ERR") == 0) && o->tor_log != NULL) {
		msg = escape_dup(raw, strlen(raw));
		o->tor_log(name, msg, ev->ts_us, o->arg);
		free(msg);
	}
}

/* --- CONTROL_INJECTION ---------------------------------------------------- */

/*
 * Tor writes every target as "%s:%d" (255 bytes at most), and copies a
 * SOCKS hostname it rejects raw into the STREAM event: a target without a
 * port that is not cut at the limit was cut by a line break in it
 * (docs/isolation.md).  What follows in the same read, up to the line that
 * ends Tor's event (no reply line: the rest of the target, then Tor's
 * keywords), was written by the SOCKS client: it changes nothing.
 */
static int
inject_begins(struct pipeline *p, const struct torev *ev,
    const struct reply *r)
{
	const struct stream_ev *e = &ev->u.stream;

	if (e->target == NULL || e->target_port >= 0 ||
	    strlen(e->target) >= 255)
		return 0;
	p->inj.active = 1;
	p->inj.ts = r->ts_us;
	p->inj.stream = e->id;
	p->inj.lines = 0;
	return 1;
}

/* The value of the last " KEY=" in s[0..n) (Tor's, after the client's
 * bytes), up to a space, into out; "" when none. */
static void
inject_last_value(const char *s, size_t n, const char *key, char *out,
    size_t len)
{
	size_t k = strlen(key), i, j;

	out[0] = '\0';
	for (i = n; i-- > 0;)
		if (s[i] == ' ' && i + 1 + k <= n &&
		    memcmp(s + i + 1, key, k) == 0) {
			struct buf b;

			for (j = i + 1 + k; j < n && s[j] != ' '; j++)
				;
			buf_init(&b);
			buf_escape(&b, s + i + 1 + k, j - (i + 1 + k));
			if (b.len < len)
				snprintf(out, len, "%s", buf_cstr(&b));
			buf_free(&b);
			return;
		}
}

/* The injection is over: its tail (or NULL) names the listener. */
static void
inject_end(struct pipeline *p, const char *tail, size_t n, int64_t ts)
{
	char group[24], client[80], listener[96];
	const char *l = NULL;
	char *end;
	long g;

	p->inj.active = 0;
	listener[0] = client[0] = '\0';
	if (tail != NULL) {
		inject_last_value(tail, n, "SESSION_GROUP=", group,
		    sizeof group);
		inject_last_value(tail, n, "SOURCE_ADDR=", client,
		    sizeof client);
		g = strtol(group, &end, 10);
		if (group[0] != '\0' && *end == '\0') {
			if ((l = groups_find(p, g)) != NULL)
				snprintf(listener, sizeof listener, "%s", l);
			else
				snprintf(listener, sizeof listener,
				    "session group %ld", g);
		}
	}
	log_warnx("a SOCKS client smuggled %u line%s into Tor's events "
	    "through a hostname (stream %" PRIu64 "%s%s): ignored",
	    p->inj.lines, p->inj.lines == 1 ? "" : "s", p->inj.stream,
	    listener[0] ? ", " : "", listener);
	if (p->judge != NULL)
		judge_control_injection(p->judge, listener, client,
		    p->inj.stream, p->inj.lines, ts);
}

/* A reply while an injection is open: smuggled (1) if of the same read. */
static int
inject_smuggled(struct pipeline *p, const struct reply *r)
{
	if (r->ts_us == p->inj.ts) {
		p->inj.lines += (unsigned)r->nlines;
		p->stats.smuggled += r->nlines;
		return 1;
	}
	inject_end(p, NULL, 0, p->inj.ts);
	return 0;
}

void
pipeline_not_reply(struct pipeline *p, const char *s, size_t n)
{
	if (p->inj.active)
		inject_end(p, s, n, p->inj.ts);
}

static void
pipeline_event(struct pipeline *p, const struct reply *r, int initial)
{
	struct torev *ev = &p->ev;
	char *cause = NULL;

	if (r->nlines == 0)
		return;
	if (p->inj.active && inject_smuggled(p, r))
		return;
	if (torev_parse(r, ev, &cause) == -1) {
		pipeline_malformed(p, r, cause);
		free(cause);
		return;
	}
	if (!initial && ev->type == TOREV_STREAM &&
	    p->cfg.output != PIPELINE_DUMP && inject_begins(p, ev, r))
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
		on_stream(p, ev);
		break;
	case TOREV_CIRC:
		p->stats.circ_events++;
		on_circ(p, ev, initial);
		break;
	case TOREV_SIGNAL:
		if (ev->u.signal != NULL && (strcmp(ev->u.signal, "RELOAD") == 0 ||
		    strcmp(ev->u.signal, "HUP") == 0))
			groups_forget(p);
		if (!output_lines(p))
			break;
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "signal");
		line_word(p, NULL, ev->u.signal);
		line_end(p);
		break;
	case TOREV_CONF_CHANGED:
		groups_forget(p);
		if (!output_lines(p))
			break;
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "Tor's configuration changed");
		line_end(p);
		break;
	default:
		observe_other(p, ev);
		break;
	}
}

/* Builds a one-line 650 reply "PREFIX line" and runs it as an event. */
static void
pipeline_status_lines(struct pipeline *p, const char *prefix,
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
	s->circ = ev->u.stream.circ_id;
	if (p->cfg.store != NULL)
		s->app = store_app(p->cfg.store, UNATTRIBUTED_LABEL, "unknown",
		    "");
	idmap_put(&p->streams, ev->u.stream.id, s);
	store_stream_event(p, &ev->u.stream, s, NULL, r->ts_us, 1);
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
		observe_stream(p, &ev->u.stream, s, 1, 0, r->ts_us);
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
			}
		}
	reply_kv_free(&kv);
}

/* A finding from the judge: to the store, the output and the alert. */
static void
on_finding(const struct judge_finding *f, void *arg)
{
	struct pipeline *p = arg;
	const char *sev = severity_name(f->severity);

	if (p->cfg.store != NULL && p->session_id != 0) {
		struct store_finding sf;

		memset(&sf, 0, sizeof sf);
		sf.session = p->session_id;
		sf.cause = f->cause;
		sf.rule = rule_name(f->rule);
		sf.severity = sev;
		sf.listener = f->listener;
		sf.ident_a = f->ident_a;
		sf.ident_b = f->ident_b;
		sf.apps = f->apps;
		sf.identities = f->identities;
		sf.processes = f->processes;
		sf.detail = f->detail;
		sf.circ_id = f->circ_id;
		sf.exit_fp = f->exit_fp;
		sf.streams = f->streams;
		sf.count = f->count;
		sf.first_seen = f->first_seen;
		sf.last_seen = f->last_seen;
		store_finding(p->cfg.store, &sf);
	}
	p->stats.findings++;
	if (p->cfg.observer != NULL && p->cfg.observer->finding != NULL)
		p->cfg.observer->finding(f, p->session_id,
		    p->cfg.observer->arg);
	if (!f->is_new)
		return;
	p->stats.new_findings++;
	if (output_lines(p)) {
		line_begin(p, f->last_seen);
		buf_printf(&p->line, "FINDING %s %s: ", sev,
		    rule_name(f->rule));
		buf_escape(&p->line, f->detail, strlen(f->detail));
		line_end(p);
	}
	if (p->cfg.alert != NULL)
		p->cfg.alert(f->severity, rule_name(f->rule), f->detail,
		    f->last_seen, p->cfg.alert_arg);
}

/* Takes what it knows from replies to GETINFO/GETCONF, by their keys. */
static void
pipeline_command_reply(struct pipeline *p, const struct reply *r)
{
	size_t i;
	int info = 0;

	if (r->code != 250)
		return;
	take_listeners(p, r);
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
				observe_bootstrap(p, eq + 1,
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
		    strncmp(l->text, "circuit-status", 14) == 0) {
			pipeline_status_lines(p, "CIRC ", val, vlen, r->ts_us,
			    initial_circ);
		} else if (klen == 13 &&
		    strncmp(l->text, "stream-status", 13) == 0) {
			unsigned before = p->pre_attach_streams;

			pipeline_status_lines(p, "STREAM ", val, vlen,
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
}

void
pipeline_reply(struct pipeline *p, const struct reply *r)
{
	if (r->async)
		pipeline_event(p, r, 0);
	else
		pipeline_command_reply(p, r);
}

static void
observe_session(struct pipeline *p, enum pipeline_phase phase,
    unsigned serial, const char *why, int64_t ts)
{
	struct pipeline_session_info si;
	char *w;

	if (p->cfg.observer == NULL || p->cfg.observer->session == NULL)
		return;
	w = why != NULL ? escape_dup(why, strlen(why)) : NULL;
	memset(&si, 0, sizeof si);
	si.phase = phase;
	si.serial = serial;
	si.address = p->address;
	si.method = p->method;
	si.version = p->version;
	si.pid = p->pid;
	si.why = w;
	si.ts = ts;
	p->cfg.observer->session(&si, p->cfg.observer->arg);
	free(w);
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
	observe_session(p, PIPELINE_START, serial, NULL, ts);
}

void
pipeline_session_ready(struct pipeline *p, unsigned serial, int64_t ts)
{
	observe_session(p, PIPELINE_READY, serial, NULL, ts);
	if (!output_lines(p))
		return;
	line_begin(p, ts);
	buf_printf(&p->line, "attached to Tor %s", p->version ?
	    p->version : "(version unknown)");
	if (p->pid > 0)
		buf_printf(&p->line, " (pid %ld)", p->pid);
	buf_printf(&p->line, " at %s with %s, Tor session %u: %zu circuits "
	    "open, %u streams open before attach (unattributed)",
	    p->address ? p->address : "?", p->method ? p->method : "?",
	    serial, p->circs.n, p->pre_attach_streams);
	line_end(p);
}

void
pipeline_session_end(struct pipeline *p, unsigned serial, const char *why,
    int64_t ts)
{
	if (p->inj.active)
		inject_end(p, NULL, 0, p->inj.ts);
	if (output_lines(p)) {
		line_begin(p, ts);
		buf_printf(&p->line, "Tor session %u ended:", serial);
		line_word(p, NULL, why);
		line_end(p);
	}
	if (p->cfg.store != NULL && p->session_id != 0) {
		store_session_end(p->cfg.store, p->session_id, why, ts);
		store_flush(p->cfg.store);
	}
	observe_session(p, PIPELINE_END, serial, why, ts);
	pipeline_forget(p);
}
