/*
 * judge.c: SPEC.md's rules.
 *
 * Circuits that are one exit circuit for our purposes (the legs of a
 * conflux set, keyed by CONFLUX_ID; else the circuit alone) share one
 * "exit key".  Each exit key remembers the isolation values of its first
 * stream (as Tor's circuits do) and the identities that used it; every
 * attachment is checked against both.  Findings are causes with
 * occurrences (judge_cause.c).
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
#include "judge_int.h"
#include "xmalloc.h"

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

void
judge_jstream_free(struct jstream *s)
{
	if (s == NULL)
		return;
	free(s->ident);
	free(s->app);
	free(s->label);
	free(s->listener);
	free(s->process);
	free(s->claim);
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
	s->app = xstrdup(in->app ? in->app : s->ident);
	s->label = xstrdup(in->label ? in->label : "?");
	s->listener = xstrdup_or_null(in->listener);
	/* A process names itself: escaped, so that the detail stays
	 * printable and no \x1f or \x1e splits a finding's lists. */
	s->process = in->process != NULL ?
	    escape_dup(in->process, strlen(in->process)) : NULL;
	s->claim = xstrdup_or_null(in->claim);
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

struct jstream *
judge_jstream_clone(const struct jstream *in)
{
	struct judge_stream js;
	struct jstream *s;

	memset(&js, 0, sizeof js);
	js.id = in->id;
	js.ident = in->ident;
	js.app = in->app;
	js.label = in->label;
	js.listener = in->listener;
	js.pid = in->pid;
	js.claim = in->claim;
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

	judge_jstream_free(e->first);
	for (i = 0; i < e->nusers; i++) {
		free(e->users[i].ident);
		free(e->users[i].label);
		free(e->users[i].process);
		free(e->users[i].claim);
	}
	free(e->users);
	free(e);
}

/*
 * Counts circuit c (delta 1) or stops counting it (-1) under its exit and
 * exit key.  SHARED_EXIT looks for streams on another key's circuit to
 * the same exit: with one key there, it has nothing to look for; with
 * more, it looks at those circuits' users, never at every open stream.
 */
static void
fp_count(struct judge *j, const struct jcirc *c, uint64_t id, int delta)
{
	struct jfp *f, *head, **pf;
	uint64_t h;
	size_t i, k;

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
		f->circs = xreallocarray(f->circs, f->ncircs + 1,
		    sizeof *f->circs);
		f->circs[f->ncircs++] = id;
		return;
	}
	if (i == f->nkeys)
		return;
	/* In order: the first circuit there is named first. */
	for (k = 0; k < f->ncircs; k++)
		if (f->circs[k] == id) {
			memmove(f->circs + k, f->circs + k + 1,
			    (f->ncircs - k - 1) * sizeof *f->circs);
			f->ncircs--;
			break;
		}
	if (--f->keys[i].n > 0)
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
	free(f->circs);
	free(f);
}

/* The exit keys of the open circuits ending at fp (0: not known). */
size_t
judge_fp_keys(struct judge *j, const char *fp)
{
	struct jfp *f;

	for (f = idmap_get(&j->fps, str_hash(fp)); f != NULL; f = f->next)
		if (strcmp(f->fp, fp) == 0)
			return f->nkeys;
	return 0;
}

const uint64_t *
judge_fp_circs(struct judge *j, const char *fp, size_t *n)
{
	struct jfp *f;

	for (f = idmap_get(&j->fps, str_hash(fp)); f != NULL; f = f->next)
		if (strcmp(f->fp, fp) == 0) {
			*n = f->ncircs;
			return f->circs;
		}
	*n = 0;
	return NULL;
}

/* A circuit gone: its streams are on no circuit's list any more. */
static void
jcirc_free(struct jcirc *c)
{
	struct jstream *s, *next;
	size_t i;

	for (i = 0; i < c->nusers; i++)
		for (s = c->users[i].head; s != NULL; s = next) {
			next = s->cnext;
			s->cprev = s->cnext = NULL;
		}
	free(c->users);
	free(c);
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
	idmap_init(&j->fps);
	return j;
}

void
judge_reset(struct judge *j)
{
	size_t pos = 0, i, k;
	uint64_t id;
	void *v;

	/* Circuits first: they unlink the streams on their lists. */
	while (idmap_next(&j->circs, &pos, &id, &v))
		jcirc_free(v);
	pos = 0;
	while (idmap_next(&j->streams, &pos, &id, &v))
		judge_jstream_free(v);
	pos = 0;
	while (idmap_next(&j->exits, &pos, &id, &v))
		jexit_free(v);
	idmap_free(&j->streams);
	idmap_free(&j->circs);
	idmap_free(&j->exits);
	for (i = 0; i < j->nports; i++) {
		for (k = 0; k < j->ports[i].n; k++) {
			judge_jstream_free(j->ports[i].users[k].s);
		}
		free(j->ports[i].listener);
	}
	free(j->ports);
	j->ports = NULL;
	j->nports = 0;
	judge_occs_clear(j, 0);
	pos = 0;
	while (idmap_next(&j->fps, &pos, &id, &v)) {
		struct jfp *f = v, *next;

		for (; f != NULL; f = next) {
			next = f->next;
			free(f->keys);
			free(f->circs);
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
	judge_occs_clear(j, 1);
	free(j);
}

/* Describes a circuit's exit: "circuit 25 (exit exit0 $08511103)". */
void
judge_describe_circ(struct judge *j, struct buf *b, uint64_t circ)
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

struct jcirc *
judge_circ_get(struct judge *j, uint64_t id)
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
			/* Its occurrences are final: Tor does not reuse
			 * ids. */
			if (c->nfind > 0)
				judge_occs_drop_circ(j, id);
			fp_count(j, c, id, -1);
			exit_unref(j, c->key);
			jcirc_free(c);
		}
		return;
	}
	c = judge_circ_get(j, id);
	if (exit_fp != NULL && strncmp(c->exit_fp, exit_fp,
	    sizeof c->exit_fp - 1) != 0) {
		fp_count(j, c, id, -1);
		snprintf(c->exit_fp, sizeof c->exit_fp, "%s", exit_fp);
		fp_count(j, c, id, 1);
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
			fp_count(j, c, id, -1);
			c->key = key;
			fp_count(j, c, id, 1);
		}
	}
}

void
judge_stream_new(struct judge *j, const struct judge_stream *in, int64_t ts)
{
	struct jstream *s = jstream_copy(in), *old;

	s->ts = ts;
	if ((old = idmap_put(&j->streams, s->id, s)) != NULL) {
		judge_circ_leave(j, old);
		judge_jstream_free(old);
	}
	if (s->unattributed)
		return;
	judge_rule_ports(j, s, ts);
}

void
judge_stream_closed(struct judge *j, uint64_t id)
{
	struct jstream *s = idmap_del(&j->streams, id);

	if (s == NULL)
		return;
	judge_circ_leave(j, s);
	judge_jstream_free(s);
}

void
judge_pre_attach(struct judge *j, unsigned n, uint64_t session, int64_t ts)
{
	struct jocc *f;
	char d[160], sess[24];
	int is_new;

	if (n == 0)
		return;
	snprintf(sess, sizeof sess, "%" PRIu64, session);
	f = judge_occ(j, RULE_PRE_ATTACH, 0, "", sess, NULL, NULL, ts, &is_new);
	f->cause->count += (long)n - f->count;
	f->count = n;
	snprintf(d, sizeof d, "%u stream%s open before isoaudit attached: "
	    "who opened %s cannot be known", n, n == 1 ? " was" : "s were",
	    n == 1 ? "it" : "them");
	judge_emit(j, f, d, is_new);
}
