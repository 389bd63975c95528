/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
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

void
judge_jstream_free(struct jstream *s)
{
	free(s);	/* its strings live in the same allocation */
}

/*
 * Copies of a stream's strings, packed after the stream in its one
 * allocation (a stream is copied for every new stream and every port
 * user: one malloc, not a dozen).
 */
struct jpack {
	const char	*src[JSTREAM_NSTR];
	size_t		 len[JSTREAM_NSTR];
	size_t		 n;
	size_t		 total;
};

static void
pack_add(struct jpack *k, const char *s, size_t n)
{
	k->src[k->n] = s;
	k->len[k->n] = n;
	k->n++;
	if (s != NULL)
		k->total += n + 1;
}

static void
pack_str(struct jpack *k, const char *s)
{
	pack_add(k, s, s != NULL ? strlen(s) : 0);
}

/* The stream with room for k's strings, and their copies in out[]. */
static struct jstream *
pack_alloc(const struct jpack *k, char **out)
{
	struct jstream *s = xcalloc(1, sizeof *s + k->total);
	char *at = (char *)(s + 1);
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (k->src[i] == NULL) {
			out[i] = NULL;
			continue;
		}
		memcpy(at, k->src[i], k->len[i]);
		at[k->len[i]] = '\0';
		out[i] = at;
		at += k->len[i] + 1;
	}
	return s;
}

/* Points s's string fields at str[] (in pack order). */
static void
pack_set(struct jstream *s, char **str)
{
	s->ident = str[0];
	s->app = str[1];
	s->label = str[2];
	s->listener = str[3];
	s->process = str[4];
	s->claim = str[5];
	s->host = str[6];
	s->target_addr = str[7];
	s->user = str[8];
	s->pass = str[9];
	s->protocol = str[10];
	s->client_addr = str[11];
}

static struct jstream *
jstream_copy(const struct judge_stream *in)
{
	struct jpack k = { .n = 0 };
	struct jstream *s;
	char *str[JSTREAM_NSTR], *esc = NULL;
	const char *ident = in->ident ? in->ident : "?";

	/* A process names itself: escaped, so that the detail stays
	 * printable and no \x1f or \x1e splits a finding's lists. */
	if (in->process != NULL)
		esc = escape_dup(in->process, strlen(in->process));
	pack_str(&k, ident);
	pack_str(&k, in->app ? in->app : ident);
	pack_str(&k, in->label ? in->label : "?");
	pack_str(&k, in->listener);
	pack_str(&k, esc);
	pack_str(&k, in->claim);
	pack_str(&k, in->host);
	pack_str(&k, in->target_addr);
	pack_add(&k, in->socks_user, in->socks_user_len);
	pack_add(&k, in->socks_pass, in->socks_pass_len);
	pack_str(&k, in->protocol);
	pack_str(&k, in->client_addr);
	s = pack_alloc(&k, str);
	free(esc);
	pack_set(s, str);
	s->id = in->id;
	s->ihash = str_hash(s->ident);
	s->ahash = str_hash(s->app);
	s->pid = in->pid;
	s->unattributed = in->unattributed;
	s->shared_port = in->shared_port;
	s->by_process = in->isolate_by_process;
	s->iso = in->iso;
	s->has_iso = in->has_iso;
	s->target_port = in->target_port;
	s->ulen = in->socks_user_len;
	s->plen = in->socks_pass_len;
	s->group = in->session_group;
	s->epoch = in->nym_epoch;
	return s;
}

struct jstream *
judge_jstream_clone(const struct jstream *in)
{
	struct jpack k = { .n = 0 };
	struct jstream *s;
	char *str[JSTREAM_NSTR];

	pack_str(&k, in->ident);
	pack_str(&k, in->app);
	pack_str(&k, in->label);
	pack_str(&k, in->listener);
	pack_str(&k, in->process);	/* escaped already */
	pack_str(&k, in->claim);
	pack_str(&k, in->host);
	pack_str(&k, in->target_addr);
	pack_add(&k, in->user, in->ulen);
	pack_add(&k, in->pass, in->plen);
	pack_str(&k, in->protocol);
	pack_str(&k, in->client_addr);
	s = pack_alloc(&k, str);
	*s = *in;
	pack_set(s, str);
	/* A copy is of the stream's identity and keys, not of its place. */
	s->shared_port = s->by_process = 0;
	s->circ = s->key = 0;
	s->ts = 0;
	s->cprev = s->cnext = NULL;
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

/*
 * Describes a circuit's exit: "circuit 25 (exit exit0 $08511103)".  Made
 * for every occurrence of a circuit's findings: appended piece by piece,
 * not through printf.
 */
void
judge_describe_circ(struct judge *j, struct buf *b, uint64_t circ)
{
	struct jcirc *c = idmap_get(&j->circs, circ);

	buf_adds(b, "circuit ");
	buf_add_u64(b, circ);
	if (c == NULL)
		return;
	if (c->exit_fp[0] != '\0') {
		buf_adds(b, " (exit ");
		if (c->exit_nick[0] != '\0') {
			buf_adds(b, c->exit_nick);
			buf_addc(b, ' ');
		}
		buf_addc(b, '$');
		buf_add(b, c->exit_fp, strnlen(c->exit_fp, 8));
		buf_addc(b, ')');
	}
	if (c->conflux[0] != '\0') {
		buf_adds(b, ", conflux set ");
		buf_add(b, c->conflux, strnlen(c->conflux, 8));
	}
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
