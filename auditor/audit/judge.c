/*
 * judge.c: SPEC.md's rules.
 *
 * Circuits that are one exit circuit for our purposes (the legs of a
 * conflux set, keyed by CONFLUX_ID; else the circuit alone) share one
 * "exit key".  Each exit key remembers the isolation values of its first
 * stream (as Tor's circuits do) and the identities that used it; every
 * attachment is checked against both.  Findings are kept once per (rule,
 * circuit or listener, identity pair) with a count.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrib.h"
#include "buf.h"
#include "fnv.h"
#include "hindex.h"
#include "idmap.h"
#include "judge.h"
#include "xmalloc.h"

#define JUDGE_PORT_WINDOW_US	(600LL * 1000000)	/* MaxCircuitDirtiness */
#define JUDGE_PORT_USERS	64	/* remembered per listener */
#define JUDGE_FINDING_STREAMS	20	/* stream ids kept per finding */
#define JUDGE_FINDING_LIST	64	/* labels, identities kept per finding */
#define JUDGE_FINDING_PROCS	32	/* processes kept per finding */
/*
 * Findings remembered at most (a session of days on a shared port meets
 * a new pair of processes every few minutes).  A finding of a circuit is
 * forgotten when the circuit closes (Tor does not reuse circuit ids); the
 * others, least recently seen first, when there are more than this.  One
 * forgotten that happens again is new again (said again; its row in the
 * database keeps counting).
 */
#define JUDGE_MAX_FINDINGS	4096
#define CONFLUX_KEY		(1ULL << 63)

struct jstream {
	uint64_t	 id;
	char		*ident;
	uint64_t	 ihash;		/* str_hash(ident) */
	char		*label;
	char		*listener;
	char		*process;
	char		*host;
	long		 pid;
	int		 unattributed;
	int		 shared_port;
	int		 by_process;
	unsigned	 iso;
	int		 has_iso;
	char		*target_addr;
	int		 target_port;
	char		*user;
	size_t		 ulen;
	char		*pass;
	size_t		 plen;
	char		*protocol;
	char		*client_addr;
	int64_t		 group;
	uint64_t	 epoch;
	uint64_t	 circ;		/* attached to, 0 none */
	uint64_t	 key;		/* its exit key */
	int64_t		 ts;
};

struct jcirc {
	uint64_t	 key;
	unsigned	 nfind;		/* findings about this circuit */
	char		 exit_fp[41];
	char		 exit_nick[20];
	char		 conflux[33];
};

struct juser {				/* an identity on an exit key */
	char		*ident;
	uint64_t	 ihash;
	char		*label;
	long		 pid;
	char		*process;
	uint64_t	 stream;
};

struct jfpkey {
	uint64_t	 key;
	size_t		 n;
};

struct jfp {				/* the open circuits ending at an exit */
	char		 fp[41];
	struct jfp	*next;		/* another of the same str_hash */
	struct jfpkey	*keys;		/* their exit keys, each once */
	size_t		 nkeys;
};

struct jexit {
	struct jstream	*first;		/* copy of its first stream */
	struct juser	*users;
	size_t		 nusers;
	unsigned	 circuits;	/* open circuits with this key */
};

struct jport {				/* who used a listener lately */
	char		*listener;
	struct {
		long	 pid;
		char	*host;
		char	*process;
		char	*ident;
		char	*creds;		/* user \x1f pass, raw bytes */
		size_t	 credslen;
		uint64_t stream;
		int64_t	 ts;
	}		 users[JUDGE_PORT_USERS];
	size_t		 n;
};

struct jfinding {
	enum rule_id	 rule;
	uint64_t	 circ;
	char		*listener;
	char		*a;
	char		*b;
	long		 count;
	int64_t		 first;
	int64_t		 last;
	struct buf	 apps;		/* labels, \x1f separated */
	struct buf	 idents;	/* identities, \x1f separated */
	struct buf	 procs;		/* "pid\x1fname\x1e" */
	uint64_t	 streams[JUDGE_FINDING_STREAMS];
	size_t		 nstreams;
	uint64_t	 hash;
	/* The JSON of the lists as last handed out, and the lengths of the
	 * lists then (lists only grow: equal length, same list). */
	struct buf	 japps, jidents, jprocs, jstreams;
	size_t		 lapps, lidents, lprocs, lstreams;
	int		 built;
};

struct judge {
	const struct config	*cfg;
	judge_fn		 fn;
	void			*arg;
	struct idmap		 streams;
	struct idmap		 circs;
	struct idmap		 exits;
	struct jport		*ports;
	size_t			 nports;
	struct jfinding		**findings;
	size_t			 nfindings;
	size_t			 capfindings;
	struct hindex		 fidx;		/* hash -> findings index */
	struct idmap		 pidopen;	/* pid -> open streams + 1 */
	struct idmap		 fps;		/* str_hash(exit_fp) -> jfp */
	struct {
		char	*listener;
		long	 group;
	}			*groups;	/* SessionGroup=N by listener */
	size_t			 ngroups;
};

/* --- small helpers ---------------------------------------------------------- */

/* Equal strings, equal hashes (compared before the strings). */
static uint64_t
str_hash(const char *s)
{
	return fnv1a_str(FNV_OFFSET, s);
}

static char *
dup_bytes(const char *s, size_t n)
{
	return s != NULL ? xstrndup(s, n) : NULL;
}

static void
jstream_free(struct jstream *s)
{
	if (s == NULL)
		return;
	free(s->ident);
	free(s->label);
	free(s->listener);
	free(s->process);
	free(s->host);
	free(s->target_addr);
	free(s->user);
	free(s->pass);
	free(s->protocol);
	free(s->client_addr);
	free(s);
}

static struct jstream *
jstream_copy(const struct judge_stream *in)
{
	struct jstream *s = xcalloc(1, sizeof *s);

	s->id = in->id;
	s->ident = xstrdup(in->ident ? in->ident : "?");
	s->ihash = str_hash(s->ident);
	s->label = xstrdup(in->label ? in->label : "?");
	s->listener = xstrdup_or_null(in->listener);
	/* A process names itself: escaped, so that the detail stays
	 * printable and no \x1f or \x1e splits a finding's lists. */
	s->process = in->process != NULL ?
	    escape_dup(in->process, strlen(in->process)) : NULL;
	s->host = xstrdup_or_null(in->host);
	s->pid = in->pid;
	s->unattributed = in->unattributed;
	s->shared_port = in->shared_port;
	s->by_process = in->isolate_by_process;
	s->iso = in->iso;
	s->has_iso = in->has_iso;
	s->target_addr = xstrdup_or_null(in->target_addr);
	s->target_port = in->target_port;
	s->user = dup_bytes(in->socks_user, in->socks_user_len);
	s->ulen = in->socks_user_len;
	s->pass = dup_bytes(in->socks_pass, in->socks_pass_len);
	s->plen = in->socks_pass_len;
	s->protocol = xstrdup_or_null(in->protocol);
	s->client_addr = xstrdup_or_null(in->client_addr);
	s->group = in->session_group;
	s->epoch = in->nym_epoch;
	return s;
}

static struct jstream *
jstream_clone(const struct jstream *in)
{
	struct judge_stream js;
	struct jstream *s;

	memset(&js, 0, sizeof js);
	js.id = in->id;
	js.ident = in->ident;
	js.label = in->label;
	js.listener = in->listener;
	js.pid = in->pid;
	js.host = in->host;
	js.unattributed = in->unattributed;
	js.iso = in->iso;
	js.has_iso = in->has_iso;
	js.target_addr = in->target_addr;
	js.target_port = in->target_port;
	js.socks_user = in->user;
	js.socks_user_len = in->ulen;
	js.socks_pass = in->pass;
	js.socks_pass_len = in->plen;
	js.protocol = in->protocol;
	js.client_addr = in->client_addr;
	js.session_group = in->group;
	js.nym_epoch = in->epoch;
	s = jstream_copy(&js);
	s->process = xstrdup_or_null(in->process);	/* escaped already */
	return s;
}

static void
jexit_free(struct jexit *e)
{
	size_t i;

	jstream_free(e->first);
	for (i = 0; i < e->nusers; i++) {
		free(e->users[i].ident);
		free(e->users[i].label);
		free(e->users[i].process);
	}
	free(e->users);
	free(e);
}

static void
jfinding_free(struct jfinding *f)
{
	free(f->listener);
	free(f->a);
	free(f->b);
	buf_free(&f->apps);
	buf_free(&f->idents);
	buf_free(&f->procs);
	buf_free(&f->japps);
	buf_free(&f->jidents);
	buf_free(&f->jprocs);
	buf_free(&f->jstreams);
	free(f);
}

/* Open streams of a process (for SHARED_PORT_PROCESSES): +1 or -1. */
static void
pid_open(struct judge *j, long pid, int delta)
{
	uintptr_t n;

	if (pid <= 0)
		return;
	n = (uintptr_t)idmap_get(&j->pidopen, (uint64_t)pid);
	n = n == 0 ? 1 : n;		/* stored as count + 1 */
	if (delta < 0 && n <= 2) {
		idmap_del(&j->pidopen, (uint64_t)pid);
		return;
	}
	idmap_put(&j->pidopen, (uint64_t)pid, (void *)(n + (uintptr_t)
	    (delta > 0 ? 1 : -1)));
}

/*
 * Counts circuit c (delta 1) or stops counting it (-1) under its exit and
 * exit key.  SHARED_EXIT looks for streams on another key's circuit to
 * the same exit: with one key there, it has nothing to look for.
 */
static void
fp_count(struct judge *j, const struct jcirc *c, int delta)
{
	struct jfp *f, *head, **pf;
	uint64_t h;
	size_t i;

	if (c->exit_fp[0] == '\0')
		return;
	h = str_hash(c->exit_fp);
	head = idmap_get(&j->fps, h);
	for (f = head; f != NULL; f = f->next)
		if (strcmp(f->fp, c->exit_fp) == 0)
			break;
	if (f == NULL) {
		if (delta < 0)
			return;
		f = xcalloc(1, sizeof *f);
		memcpy(f->fp, c->exit_fp, sizeof f->fp);
		f->next = head;
		idmap_put(&j->fps, h, f);
	}
	for (i = 0; i < f->nkeys; i++)
		if (f->keys[i].key == c->key)
			break;
	if (delta > 0) {
		if (i == f->nkeys) {
			f->keys = xreallocarray(f->keys, f->nkeys + 1,
			    sizeof *f->keys);
			f->keys[f->nkeys].key = c->key;
			f->keys[f->nkeys++].n = 0;
		}
		f->keys[i].n++;
		return;
	}
	if (i == f->nkeys || --f->keys[i].n > 0)
		return;
	f->keys[i] = f->keys[--f->nkeys];
	if (f->nkeys > 0)
		return;
	for (pf = &head; *pf != f; pf = &(*pf)->next)
		;
	*pf = f->next;
	if (head != NULL)
		idmap_put(&j->fps, h, head);
	else
		idmap_del(&j->fps, h);
	free(f->keys);
	free(f);
}

/* The exit keys of the open circuits ending at fp (0: not known). */
static size_t
fp_keys(struct judge *j, const char *fp)
{
	struct jfp *f;

	for (f = idmap_get(&j->fps, str_hash(fp)); f != NULL; f = f->next)
		if (strcmp(f->fp, fp) == 0)
			return f->nkeys;
	return 0;
}

unsigned
judge_iso_bits(const char *const *v, size_t n)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "DESTPORT", ISO_DESTPORT }, { "DESTADDR", ISO_DESTADDR },
		{ "SOCKS_USERNAME", ISO_SOCKS_USERNAME },
		{ "SOCKS_PASSWORD", ISO_SOCKS_PASSWORD },
		{ "CLIENT_PROTOCOL", ISO_CLIENT_PROTOCOL },
		{ "CLIENTADDR", ISO_CLIENTADDR },
		{ "SESSION_GROUP", ISO_SESSION_GROUP },
		{ "NYM_EPOCH", ISO_NYM_EPOCH },
	};
	unsigned bits = 0;
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (v[i][0] == names[k].name[0] &&
			    strcmp(v[i], names[k].name) == 0)
				bits |= names[k].bit;
	return bits;
}

/* --- lifecycle ---------------------------------------------------------------- */

struct judge *
judge_new(const struct config *cfg, judge_fn fn, void *arg)
{
	struct judge *j = xcalloc(1, sizeof *j);

	j->cfg = cfg;
	j->fn = fn;
	j->arg = arg;
	idmap_init(&j->streams);
	idmap_init(&j->circs);
	idmap_init(&j->exits);
	idmap_init(&j->pidopen);
	idmap_init(&j->fps);
	return j;
}

void
judge_reset(struct judge *j)
{
	size_t pos = 0, i, k;
	uint64_t id;
	void *v;

	while (idmap_next(&j->streams, &pos, &id, &v))
		jstream_free(v);
	pos = 0;
	while (idmap_next(&j->circs, &pos, &id, &v))
		free(v);
	pos = 0;
	while (idmap_next(&j->exits, &pos, &id, &v))
		jexit_free(v);
	idmap_free(&j->streams);
	idmap_free(&j->circs);
	idmap_free(&j->exits);
	for (i = 0; i < j->nports; i++) {
		for (k = 0; k < j->ports[i].n; k++) {
			free(j->ports[i].users[k].host);
			free(j->ports[i].users[k].process);
			free(j->ports[i].users[k].ident);
			free(j->ports[i].users[k].creds);
		}
		free(j->ports[i].listener);
	}
	free(j->ports);
	j->ports = NULL;
	j->nports = 0;
	for (i = 0; i < j->nfindings; i++)
		jfinding_free(j->findings[i]);
	free(j->findings);
	j->findings = NULL;
	j->nfindings = 0;
	j->capfindings = 0;
	hindex_free(&j->fidx);
	idmap_free(&j->pidopen);
	pos = 0;
	while (idmap_next(&j->fps, &pos, &id, &v)) {
		struct jfp *f = v, *next;

		for (; f != NULL; f = next) {
			next = f->next;
			free(f->keys);
			free(f);
		}
	}
	idmap_free(&j->fps);
	for (i = 0; i < j->ngroups; i++)
		free(j->groups[i].listener);
	free(j->groups);
	j->groups = NULL;
	j->ngroups = 0;
}

void
judge_free(struct judge *j)
{
	if (j == NULL)
		return;
	judge_reset(j);
	free(j);
}

/* --- findings ------------------------------------------------------------------ */

/* Adds s to a \x1f-separated list, once, up to max entries. */
static void
list_add_max(struct buf *b, const char *s, size_t max)
{
	const char *p = b->p;
	size_t n = strlen(s), k = 0;

	/* Each once. */
	while (p != NULL && p < b->p + b->len) {
		const char *end = memchr(p, '\x1f', (size_t)(b->p + b->len - p));
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && memcmp(p, s, n) == 0)
			return;
		p += len + 1;
		k++;
	}
	if (k >= max)
		return;
	buf_add(b, s, n);
	buf_addc(b, '\x1f');
}

static void
list_add(struct buf *b, const char *s)
{
	list_add_max(b, s, JUDGE_FINDING_LIST);
}

static void
json_list(struct buf *out, const struct buf *l)
{
	const char *p = l->p;
	int first = 1;

	buf_addc(out, '[');
	while (p != NULL && p < l->p + l->len) {
		size_t len = strcspn(p, "\x1f");

		if (!first)
			buf_adds(out, ", ");
		first = 0;
		buf_json_str(out, p, len);
		p += len + 1;
	}
	buf_addc(out, ']');
}

/* h with str and a 0xff byte after it (no string ends in one). */
static uint64_t
fhash_str(uint64_t h, const char *str)
{
	return fnv1a(fnv1a_str(h, str), "\xff", 1);
}

static uint64_t
finding_hash(enum rule_id rule, uint64_t circ, const char *listener,
    const char *a, const char *b)
{
	uint64_t h = FNV_OFFSET;

	h = (h ^ (uint64_t)rule) * FNV_PRIME;
	h = (h ^ circ) * FNV_PRIME;
	h = fhash_str(h, listener);
	h = fhash_str(h, a);
	h = fhash_str(h, b);
	return h ^ (h >> 31);
}

/* Puts findings[i] into the index (hindex_fit made room). */
static void
fidx_put(struct judge *j, size_t i)
{
	size_t k;

	for (k = hindex_first(&j->fidx, j->findings[i]->hash);
	    j->fidx.slot[k] != 0; k = hindex_next(&j->fidx, k))
		;
	j->fidx.slot[k] = (uint32_t)i + 1;
	j->fidx.n++;
}

/* (Re)builds the index of the findings by key. */
static void
fidx_build(struct judge *j)
{
	size_t i;

	if (!hindex_fit(&j->fidx, j->nfindings + 1, 64))
		hindex_clear(&j->fidx);
	for (i = 0; i < j->nfindings; i++)
		fidx_put(j, i);
}

/* Drops the findings keep() refuses; returns how many. */
static size_t
findings_drop(struct judge *j, int (*keep)(const struct jfinding *,
    const void *), const void *arg)
{
	size_t i, n = 0;

	for (i = 0; i < j->nfindings; i++) {
		struct jfinding *f = j->findings[i];

		if (keep(f, arg))
			j->findings[n++] = f;
		else
			jfinding_free(f);
	}
	i = j->nfindings - n;
	j->nfindings = n;
	if (i > 0)
		fidx_build(j);
	return i;
}

static int
keep_other_circ(const struct jfinding *f, const void *arg)
{
	return f->circ != *(const uint64_t *)arg;
}

static int
keep_recent(const struct jfinding *f, const void *arg)
{
	return f->circ != 0 || f->last >= *(const int64_t *)arg;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Over JUDGE_MAX_FINDINGS: forgets the least recently seen findings that
 * are not about a circuit (those go when their circuit closes), down to
 * three quarters of the bound.
 */
static void
findings_evict(struct judge *j)
{
	int64_t *last, cut;
	size_t i, n = 0, want;

	if (j->nfindings <= JUDGE_MAX_FINDINGS)
		return;
	last = xcalloc(j->nfindings, sizeof *last);
	for (i = 0; i < j->nfindings; i++)
		if (j->findings[i]->circ == 0)
			last[n++] = j->findings[i]->last;
	want = j->nfindings - JUDGE_MAX_FINDINGS * 3 / 4;
	if (want > n)
		want = n;
	if (want > 0) {
		qsort(last, n, sizeof *last, cmp_i64);
		/* Everything last seen before the want-th oldest, and that. */
		cut = last[want - 1] + 1;
		findings_drop(j, keep_recent, &cut);
	}
	free(last);
}

/* Finds or makes the finding with this key. */
static struct jfinding *
finding_get(struct judge *j, enum rule_id rule, uint64_t circ,
    const char *listener, const char *a, const char *b, int64_t ts,
    int *is_new)
{
	struct jfinding *f;
	uint64_t h;
	size_t k;

	if (b != NULL && a != NULL && strcmp(a, b) > 0) {
		const char *t = a;

		a = b;
		b = t;
	}
	a = a ? a : "";
	b = b ? b : "";
	listener = listener ? listener : "";
	h = finding_hash(rule, circ, listener, a, b);
	if (j->fidx.cap == 0)
		fidx_build(j);
	for (k = hindex_first(&j->fidx, h); j->fidx.slot[k] != 0;
	    k = hindex_next(&j->fidx, k)) {
		f = j->findings[j->fidx.slot[k] - 1];
		if (f->hash == h && f->rule == rule && f->circ == circ &&
		    strcmp(f->listener, listener) == 0 &&
		    strcmp(f->a, a) == 0 && strcmp(f->b, b) == 0) {
			f->count++;
			if (ts > f->last)
				f->last = ts;
			*is_new = 0;
			return f;
		}
	}
	f = xcalloc(1, sizeof *f);
	f->rule = rule;
	f->circ = circ;
	f->hash = h;
	f->listener = xstrdup(listener);
	f->a = xstrdup(a);
	f->b = xstrdup(b);
	f->count = 1;
	f->first = f->last = ts;
	buf_init(&f->apps);
	buf_init(&f->idents);
	buf_init(&f->procs);
	buf_init(&f->japps);
	buf_init(&f->jidents);
	buf_init(&f->jprocs);
	buf_init(&f->jstreams);
	/* Pair rules: the pair is who; others say who themselves. */
	if (rule != RULE_WEAK_PORT_CONFIG && rule != RULE_PRE_ATTACH) {
		if (f->a[0] != '\0')
			list_add(&f->idents, f->a);
		if (f->b[0] != '\0')
			list_add(&f->idents, f->b);
	}
	if (circ != 0) {
		struct jcirc *c = idmap_get(&j->circs, circ);

		if (c != NULL)
			c->nfind++;
	}
	if (j->nfindings == j->capfindings) {
		j->capfindings = j->capfindings ? j->capfindings * 2 : 64;
		j->findings = xreallocarray(j->findings, j->capfindings,
		    sizeof *j->findings);
	}
	j->findings[j->nfindings++] = f;
	if (hindex_fit(&j->fidx, j->nfindings + 1, 64))
		fidx_build(j);
	else
		fidx_put(j, j->nfindings - 1);
	*is_new = 1;
	if (j->nfindings > JUDGE_MAX_FINDINGS) {
		/* f itself was just seen: it stays. */
		findings_evict(j);
	}
	return f;
}

static void
finding_stream(struct jfinding *f, uint64_t id)
{
	size_t i;

	for (i = 0; i < f->nstreams; i++)
		if (f->streams[i] == id)
			return;
	if (f->nstreams < JUDGE_FINDING_STREAMS)
		f->streams[f->nstreams++] = id;
}

static void
finding_proc(struct jfinding *f, long pid, const char *name)
{
	char one[96];

	if (pid <= 0)
		return;
	snprintf(one, sizeof one, "%ld %s", pid, name ? name : "");
	list_add_max(&f->procs, one, JUDGE_FINDING_PROCS);
}

/* The JSON of the lists, built again only when a list has grown. */
static void
finding_json(struct jfinding *f)
{
	const char *p;
	size_t i;

	if (!f->built || f->lapps != f->apps.len) {
		buf_reset(&f->japps);
		json_list(&f->japps, &f->apps);
		f->lapps = f->apps.len;
	}
	if (!f->built || f->lidents != f->idents.len) {
		buf_reset(&f->jidents);
		json_list(&f->jidents, &f->idents);
		f->lidents = f->idents.len;
	}
	if (!f->built || f->lprocs != f->procs.len) {
		buf_reset(&f->jprocs);
		buf_addc(&f->jprocs, '[');
		for (p = f->procs.p; p != NULL &&
		    p < f->procs.p + f->procs.len;) {
			size_t len = strcspn(p, "\x1f");
			const char *sp = memchr(p, ' ', len);

			if (f->jprocs.len > 1)
				buf_adds(&f->jprocs, ", ");
			buf_adds(&f->jprocs, "{\"pid\": ");
			buf_add_i64(&f->jprocs, atol(p));
			buf_adds(&f->jprocs, ", \"name\": ");
			if (sp != NULL)
				buf_json_str(&f->jprocs, sp + 1,
				    len - (size_t)(sp + 1 - p));
			else
				buf_adds(&f->jprocs, "null");
			buf_addc(&f->jprocs, '}');
			p += len + 1;
		}
		buf_addc(&f->jprocs, ']');
		f->lprocs = f->procs.len;
	}
	if (!f->built || f->lstreams != f->nstreams) {
		buf_reset(&f->jstreams);
		buf_addc(&f->jstreams, '[');
		for (i = 0; i < f->nstreams; i++) {
			if (i > 0)
				buf_adds(&f->jstreams, ", ");
			buf_addc(&f->jstreams, '"');
			buf_add_u64(&f->jstreams, f->streams[i]);
			buf_addc(&f->jstreams, '"');
		}
		buf_addc(&f->jstreams, ']');
		f->lstreams = f->nstreams;
	}
	f->built = 1;
}

/* Hands a finding to the callback, with its JSON lists and detail. */
static void
finding_emit(struct judge *j, struct jfinding *f, const char *detail,
    int is_new)
{
	struct judge_finding out;
	struct buf cause;

	if (j->cfg->severity[f->rule] == SEV_OFF || j->fn == NULL)
		return;
	finding_json(f);
	/* Interim cause key (the 0.2 judge replaces this). */
	buf_init(&cause);
	buf_printf(&cause, "%s|%s|%s|%s", rule_name(f->rule), f->a, f->b,
	    f->listener);
	memset(&out, 0, sizeof out);
	out.rule = f->rule;
	out.cause = buf_cstr(&cause);
	out.exit_fp = "";
	out.occurrences = 1;
	out.cause_count = f->count;
	out.severity = j->cfg->severity[f->rule];
	out.circ_id = f->circ;
	out.listener = f->listener;
	out.ident_a = f->a;
	out.ident_b = f->b;
	out.apps = buf_cstr(&f->japps);
	out.identities = buf_cstr(&f->jidents);
	out.processes = buf_cstr(&f->jprocs);
	out.streams = buf_cstr(&f->jstreams);
	out.count = f->count;
	out.first_seen = f->first;
	out.last_seen = f->last;
	out.detail = detail;
	out.is_new = is_new;
	j->fn(&out, j->arg);
	buf_free(&cause);
}

/* Describes a circuit's exit: "circuit 25 (exit exit0 $08511103)". */
static void
describe_circ(struct judge *j, struct buf *b, uint64_t circ)
{
	struct jcirc *c = idmap_get(&j->circs, circ);

	buf_printf(b, "circuit %" PRIu64, circ);
	if (c == NULL)
		return;
	if (c->exit_fp[0] != '\0')
		buf_printf(b, " (exit %s%s$%.8s)", c->exit_nick,
		    c->exit_nick[0] ? " " : "", c->exit_fp);
	if (c->conflux[0] != '\0')
		buf_printf(b, ", conflux set %.8s", c->conflux);
}

/* --- circuits ------------------------------------------------------------------ */

static uint64_t
conflux_key(const char *id)
{
	return fnv1a_str(FNV_OFFSET, id) | CONFLUX_KEY;
}

static void
exit_unref(struct judge *j, uint64_t key)
{
	struct jexit *e = idmap_get(&j->exits, key);

	if (e != NULL && e->circuits > 0 && --e->circuits == 0)
		jexit_free(idmap_del(&j->exits, key));
}

static struct jcirc *
circ_get(struct judge *j, uint64_t id)
{
	struct jcirc *c = idmap_get(&j->circs, id);
	struct jexit *e;

	if (c != NULL)
		return c;
	c = xcalloc(1, sizeof *c);
	c->key = id;
	idmap_put(&j->circs, id, c);
	if ((e = idmap_get(&j->exits, c->key)) == NULL) {
		e = xcalloc(1, sizeof *e);
		idmap_put(&j->exits, c->key, e);
	}
	e->circuits++;
	return c;
}

void
judge_circuit(struct judge *j, uint64_t id, const char *conflux,
    const char *exit_fp, const char *exit_nick, int closed)
{
	struct jcirc *c;

	if (closed) {
		if ((c = idmap_del(&j->circs, id)) != NULL) {
			/* Its findings are final: Tor does not reuse ids. */
			if (c->nfind > 0)
				findings_drop(j, keep_other_circ, &id);
			fp_count(j, c, -1);
			exit_unref(j, c->key);
			free(c);
		}
		return;
	}
	c = circ_get(j, id);
	if (exit_fp != NULL && strncmp(c->exit_fp, exit_fp,
	    sizeof c->exit_fp - 1) != 0) {
		fp_count(j, c, -1);
		snprintf(c->exit_fp, sizeof c->exit_fp, "%s", exit_fp);
		fp_count(j, c, 1);
	}
	if (exit_nick != NULL)
		snprintf(c->exit_nick, sizeof c->exit_nick, "%s", exit_nick);
	if (conflux != NULL && c->conflux[0] == '\0') {
		struct jexit *e;
		uint64_t key = conflux_key(conflux);

		snprintf(c->conflux, sizeof c->conflux, "%s", conflux);
		/* Moves to the set's key; what it knew goes along. */
		if (key != c->key) {
			struct jexit *old = idmap_get(&j->exits, c->key);

			if ((e = idmap_get(&j->exits, key)) == NULL) {
				if (old != NULL && old->circuits == 1) {
					idmap_del(&j->exits, c->key);
					e = old;
					e->circuits = 0;
				} else {
					e = xcalloc(1, sizeof *e);
					exit_unref(j, c->key);
				}
				idmap_put(&j->exits, key, e);
			} else
				exit_unref(j, c->key);
			e->circuits++;
			fp_count(j, c, -1);
			c->key = key;
			fp_count(j, c, 1);
		}
	}
}

/* --- the isolation rule ------------------------------------------------------- */

static int
bytes_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (a == NULL || b == NULL)
		return a == b;
	return an == bn && memcmp(a, b, an) == 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Would Tor have put stream s on a circuit whose first stream was f?
 * Returns NULL when yes, else the name of the value that differs.
 */
static const char *
isolation_refuses(const struct jstream *s, const struct jstream *f)
{
	unsigned iso = s->iso | ISO_SESSION_GROUP | ISO_NYM_EPOCH;

	if (!s->has_iso)
		return NULL;
	if ((iso & ISO_SESSION_GROUP) && s->group != f->group)
		return "session group";
	if ((iso & ISO_NYM_EPOCH) && s->epoch != f->epoch)
		return "nym epoch";
	if ((iso & ISO_DESTPORT) && s->target_port != f->target_port)
		return "destination port";
	if ((iso & ISO_DESTADDR) && !str_eq(s->target_addr, f->target_addr))
		return "destination address";
	if ((iso & ISO_SOCKS_USERNAME) &&
	    !bytes_eq(s->user, s->ulen, f->user, f->ulen))
		return "SOCKS username";
	if ((iso & ISO_SOCKS_PASSWORD) &&
	    !bytes_eq(s->pass, s->plen, f->pass, f->plen))
		return "SOCKS password";
	if ((iso & ISO_CLIENT_PROTOCOL) && !str_eq(s->protocol, f->protocol))
		return "client protocol";
	if ((iso & ISO_CLIENTADDR) && !str_eq(s->client_addr, f->client_addr))
		return "client address";
	return NULL;
}

/* --- rules on streams --------------------------------------------------------- */

static void
rule_unisolated(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jfinding *f;
	struct buf d;
	int is_new;

	if (!s->shared_port && !(s->protocol != NULL &&
	    (strcmp(s->protocol, "TRANS") == 0 ||
	    strcmp(s->protocol, "NATD") == 0 ||
	    strcmp(s->protocol, "DNS") == 0)))
		return;
	f = finding_get(j, RULE_UNISOLATED_PORT, 0,
	    s->listener ? s->listener : s->protocol, NULL, NULL, ts, &is_new);
	list_add(&f->apps, s->label);
	list_add(&f->idents, s->ident);
	finding_stream(f, s->id);
	finding_proc(f, s->pid, s->process);
	buf_init(&d);
	buf_printf(&d, "%s traffic on %s %s, which every program shares: "
	    "their streams can be linked", s->protocol ? s->protocol : "",
	    s->shared_port ? "shared listener" : "listener",
	    s->listener ? s->listener : "?");
	finding_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
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

/* Whether pid has a stream open, other than the one being judged. */
static int
pid_streams_open(struct judge *j, long pid, uint64_t except)
{
	uintptr_t n = (uintptr_t)idmap_get(&j->pidopen, (uint64_t)pid);
	struct jstream *s;

	if (n <= 1)
		return 0;
	if (n == 2 && (s = idmap_get(&j->streams, except)) != NULL &&
	    s->pid == pid)
		return 0;
	return 1;
}

static void
rule_port_processes(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jport *p;
	struct buf creds;
	size_t i;

	if (s->listener == NULL || s->unattributed || s->by_process ||
	    (s->pid <= 0 && s->host == NULL))
		return;
	buf_init(&creds);
	if (s->user != NULL)
		buf_add(&creds, s->user, s->ulen);
	buf_addc(&creds, '\x1f');
	if (s->pass != NULL)
		buf_add(&creds, s->pass, s->plen);
	buf_cstr(&creds);
	p = port_get(j, s->listener);
	for (i = 0; i < p->n; i++) {
		struct jfinding *f;
		struct buf d, ia, ib;
		int is_new, same;

		if (ts - p->users[i].ts > JUDGE_PORT_WINDOW_US ||
		    p->users[i].credslen != creds.len ||
		    memcmp(p->users[i].creds, creds.p, creds.len) != 0)
			continue;
		same = p->users[i].pid > 0 && s->pid > 0 ?
		    p->users[i].pid == s->pid :
		    str_eq(p->users[i].host, s->host);
		/*
		 * One program run again (apt-get, a curl loop) is the same
		 * application: two instances count only while both have
		 * streams open; two different programs count within the
		 * whole window.
		 */
		if (!same && p->users[i].pid > 0 && s->pid > 0 &&
		    p->users[i].process != NULL && s->process != NULL &&
		    strcmp(p->users[i].process, s->process) == 0 &&
		    !pid_streams_open(j, p->users[i].pid, s->id))
			same = 1;
		if (same)
			continue;
		buf_init(&ia);
		buf_init(&ib);
		buf_init(&d);
		/* "%s[%ld]@%s", built by hand: one a finding update. */
		buf_adds(&ia, p->users[i].process ? p->users[i].process : "?");
		buf_addc(&ia, '[');
		buf_add_i64(&ia, p->users[i].pid);
		buf_adds(&ia, "]@");
		buf_adds(&ia, p->users[i].host ? p->users[i].host : "?");
		buf_adds(&ib, s->process ? s->process : "?");
		buf_addc(&ib, '[');
		buf_add_i64(&ib, s->pid);
		buf_adds(&ib, "]@");
		buf_adds(&ib, s->host ? s->host : "?");
		f = finding_get(j, RULE_SHARED_PORT_PROCESSES, 0, s->listener,
		    buf_cstr(&ia), buf_cstr(&ib), ts, &is_new);
		list_add(&f->apps, s->label);
		finding_stream(f, p->users[i].stream);
		finding_stream(f, s->id);
		finding_proc(f, p->users[i].pid, p->users[i].process);
		finding_proc(f, s->pid, s->process);
		buf_printf(&d, "%s and %s used listener %s (%s) without "
		    "distinct SOCKS credentials: Tor may put them on one "
		    "circuit; give each program its own SocksPort or its own "
		    "credentials", ia.p, ib.p, s->listener, s->label);
		finding_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&ia);
		buf_free(&ib);
		buf_free(&d);
		break;
	}
	/* Remember this user (the oldest entry makes room). */
	if (p->n == JUDGE_PORT_USERS) {
		free(p->users[0].host);
		free(p->users[0].process);
		free(p->users[0].ident);
		free(p->users[0].creds);
		memmove(&p->users[0], &p->users[1],
		    (p->n - 1) * sizeof p->users[0]);
		p->n--;
	}
	p->users[p->n].pid = s->pid;
	p->users[p->n].host = xstrdup_or_null(s->host);
	p->users[p->n].process = xstrdup_or_null(s->process);
	p->users[p->n].ident = xstrdup(s->ident);
	p->users[p->n].creds = xstrndup(creds.p, creds.len);
	p->users[p->n].credslen = creds.len;
	p->users[p->n].stream = s->id;
	p->users[p->n].ts = ts;
	p->n++;
	buf_free(&creds);
}

void
judge_stream_new(struct judge *j, const struct judge_stream *in, int64_t ts)
{
	struct jstream *s = jstream_copy(in), *old;

	s->ts = ts;
	if ((old = idmap_put(&j->streams, s->id, s)) != NULL) {
		pid_open(j, old->pid, -1);
		jstream_free(old);
	}
	pid_open(j, s->pid, 1);
	if (s->unattributed)
		return;
	rule_unisolated(j, s, ts);
	rule_port_processes(j, s, ts);
}

void
judge_stream_closed(struct judge *j, uint64_t id)
{
	struct jstream *s = idmap_del(&j->streams, id);

	if (s != NULL)
		pid_open(j, s->pid, -1);
	jstream_free(s);
}

/* SHARED_EXIT: another identity on the same exit relay, other circuit. */
static void
rule_shared_exit(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jcirc *c = idmap_get(&j->circs, s->circ), *oc;
	size_t pos = 0;
	uint64_t id;
	void *v;

	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only circuits of c's key end there: no stream to look at. */
	if (fp_keys(j, c->exit_fp) == 1)
		return;
	while (idmap_next(&j->streams, &pos, &id, &v)) {
		struct jstream *o = v;
		struct jfinding *f;
		struct buf d;
		int is_new;

		/* The circuits' keys now: a leg moves to its conflux set's
		 * key when CONFLUX_ID comes after streams were attached. */
		if (o == s || o->circ == 0 || o->unattributed ||
		    (o->ihash == s->ihash && strcmp(o->ident, s->ident) == 0) ||
		    (oc = idmap_get(&j->circs, o->circ)) == NULL ||
		    oc->key == c->key || strcmp(oc->exit_fp, c->exit_fp) != 0)
			continue;
		f = finding_get(j, RULE_SHARED_EXIT, 0, "", o->ident, s->ident,
		    ts, &is_new);
		list_add(&f->apps, o->label);
		list_add(&f->apps, s->label);
		finding_stream(f, o->id);
		finding_stream(f, s->id);
		finding_proc(f, o->pid, o->process);
		finding_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "%s and %s used exit %s $%.8s at the same time, "
		    "on circuits %" PRIu64 " and %" PRIu64, o->ident, s->ident,
		    c->exit_nick, c->exit_fp, o->circ, s->circ);
		finding_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
		break;
	}
}

void
judge_attach(struct judge *j, uint64_t stream, uint64_t circ, int64_t ts)
{
	struct jstream *s = idmap_get(&j->streams, stream);
	struct jcirc *c;
	struct jexit *e;
	const char *why;
	size_t i;

	if (s == NULL || circ == 0 || s->circ == circ)
		return;
	c = circ_get(j, circ);
	s->circ = circ;
	s->key = c->key;
	if (s->unattributed)
		return;
	e = idmap_get(&j->exits, c->key);
	if (e->first == NULL) {
		e->first = jstream_clone(s);
	} else if ((why = isolation_refuses(s, e->first)) != NULL) {
		struct jfinding *f;
		struct buf d;
		int is_new;

		f = finding_get(j, RULE_CONTROLLER_ATTACH, circ, "",
		    e->first->ident, s->ident, ts, &is_new);
		list_add(&f->apps, e->first->label);
		list_add(&f->apps, s->label);
		finding_stream(f, e->first->id);
		finding_stream(f, s->id);
		finding_proc(f, e->first->pid, e->first->process);
		finding_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "stream %" PRIu64 " of %s is on ", s->id,
		    s->ident);
		describe_circ(j, &d, circ);
		buf_printf(&d, ", which Tor's own isolation would have refused "
		    "it (its %s differs from the circuit's first stream, of "
		    "%s): a controller attached it", why, e->first->ident);
		finding_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	if (e->first != NULL && s->epoch > e->first->epoch) {
		struct jfinding *f;
		struct buf d;
		int is_new;

		f = finding_get(j, RULE_NYM_EPOCH_REUSE, circ, "", s->ident,
		    NULL, ts, &is_new);
		list_add(&f->apps, s->label);
		finding_stream(f, s->id);
		finding_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "stream %" PRIu64 " of %s (nym epoch %" PRIu64
		    ") is on ", s->id, s->ident, s->epoch);
		describe_circ(j, &d, circ);
		buf_printf(&d, ", first used in epoch %" PRIu64 ": NEWNYM did "
		    "not separate it from earlier activity", e->first->epoch);
		finding_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	/* SHARED_CIRCUIT: another identity already on this exit circuit. */
	for (i = 0; i < e->nusers; i++) {
		struct juser *u = &e->users[i];
		struct jfinding *f;
		struct buf d;
		int is_new;

		if (u->ihash == s->ihash && strcmp(u->ident, s->ident) == 0)
			continue;
		f = finding_get(j, RULE_SHARED_CIRCUIT, circ, "", u->ident,
		    s->ident, ts, &is_new);
		list_add(&f->apps, u->label);
		list_add(&f->apps, s->label);
		finding_stream(f, u->stream);
		finding_stream(f, s->id);
		finding_proc(f, u->pid, u->process);
		finding_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "%s and %s shared exit ", u->ident, s->ident);
		describe_circ(j, &d, circ);
		buf_adds(&d, ": the exit can link them to one pseudonym");
		finding_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	for (i = 0; i < e->nusers; i++)
		if (e->users[i].ihash == s->ihash &&
		    strcmp(e->users[i].ident, s->ident) == 0)
			break;
	if (i == e->nusers) {
		e->users = xreallocarray(e->users, e->nusers + 1,
		    sizeof *e->users);
		e->users[e->nusers].ident = xstrdup(s->ident);
		e->users[e->nusers].ihash = s->ihash;
		e->users[e->nusers].label = xstrdup(s->label);
		e->users[e->nusers].pid = s->pid;
		e->users[e->nusers].process = xstrdup_or_null(s->process);
		e->users[e->nusers].stream = s->id;
		e->nusers++;
	}
	rule_shared_exit(j, s, ts);
}

/* --- configuration rules ---------------------------------------------------------- */

static void
weak(struct judge *j, const char *listener, const char *label, int64_t ts,
    const char *code, const char *what)
{
	struct jfinding *f;
	struct buf d;
	int is_new;

	f = finding_get(j, RULE_WEAK_PORT_CONFIG, 0, listener, code, NULL, ts,
	    &is_new);
	if (!is_new)
		return;		/* said once a session */
	if (label != NULL)
		list_add(&f->apps, label);
	buf_init(&d);
	buf_printf(&d, "SocksPort %s%s%s%s: %s", listener, label ? " (" : "",
	    label ? label : "", label ? ")" : "", what);
	finding_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

void
judge_port_config(struct judge *j, const char *line, int64_t ts)
{
	char listener[128], *flags;
	const struct config_app *app;
	const char *label = NULL;
	long group = 0;
	int has_group = 0, browser;
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
	browser = app != NULL && (app->isolate_by == ISOLATE_BY_SOCKS_USERNAME
	    || strcasestr(app->label, "browser") != NULL);
	if (app != NULL && app->isolate_by == ISOLATE_BY_SOCKS_USERNAME &&
	    strstr(flags, "NoIsolateSOCKSAuth") != NULL)
		weak(j, listener, label, ts, "NoIsolateSOCKSAuth",
		    "Tor Browser's port without "
		    "IsolateSOCKSAuth: every site shares circuits");
	if (browser && strstr(flags, "IsolateDestAddr") != NULL &&
	    strstr(flags, "NoIsolateDestAddr") == NULL)
		weak(j, listener, label, ts, "IsolateDestAddr",
		    "IsolateDestAddr on a browser "
		    "port: one page's parts leave through many exits");
	if (strncmp(listener, "unix:", 5) != 0) {
		char host[128];
		const char *colon = strrchr(listener, ':');

		snprintf(host, sizeof host, "%.*s", (int)(colon ?
		    colon - listener : (long)strlen(listener)), listener);
		if (!attrib_is_loopback(host) &&
		    strstr(flags, "NoIsolateClientAddr") != NULL)
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

void
judge_pre_attach(struct judge *j, unsigned n, uint64_t session, int64_t ts)
{
	struct jfinding *f;
	char d[160];
	int is_new;

	(void)session;
	if (n == 0)
		return;
	f = finding_get(j, RULE_PRE_ATTACH, 0, "", NULL, NULL, ts, &is_new);
	f->count = n;
	snprintf(d, sizeof d, "%u stream%s open before isoaudit attached: "
	    "who opened %s cannot be known", n, n == 1 ? " was" : "s were",
	    n == 1 ? "it" : "them");
	finding_emit(j, f, d, is_new);
}
