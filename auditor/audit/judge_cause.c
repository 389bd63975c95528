/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_cause.c: the judge's findings as causes with occurrences (judge.h),
 * bounded, and what the callback is handed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fnv.h"
#include "hindex.h"
#include "judge.h"
#include "profile.h"
#include "judge_int.h"
#include "xmalloc.h"

/* --- lists ------------------------------------------------------------------- */

/* Adds s to a \x1f-separated list, once, up to max entries. */
static void
list_add_max(struct buf *b, const char *s, size_t max)
{
	const char *p = b->p;
	size_t n = strlen(s), k = 0;

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

void
judge_list_add(struct buf *b, const char *s)
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

/* --- causes ----------------------------------------------------------------- */

/* Appends a part of a cause key: "|" and s, with '|' and '\' escaped. */
static void
key_part(struct buf *b, const char *s)
{
	buf_addc(b, '|');
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '|' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

static void
cause_free(struct jcause *c)
{
	free(c->key);
	free(c->listener);
	free(c->a);
	free(c->b);
	buf_free(&c->apps);
	buf_free(&c->idents);
	buf_free(&c->procs);
	buf_free(&c->japps);
	buf_free(&c->jidents);
	buf_free(&c->jprocs);
	free(c);
}

static void
occ_free(struct jocc *o)
{
	if (o->cause != NULL)
		o->cause->refs--;
	buf_free(&o->jstreams);
	free(o);
}

static void
cidx_build(struct judge *j)
{
	size_t i, k;

	if (!hindex_fit(&j->cidx, j->ncauses + 1, 64))
		hindex_clear(&j->cidx);
	for (i = 0; i < j->ncauses; i++) {
		for (k = hindex_first(&j->cidx, j->causes[i]->hash);
		    j->cidx.slot[k] != 0; k = hindex_next(&j->cidx, k))
			;
		j->cidx.slot[k] = (uint32_t)i + 1;
		j->cidx.n++;
	}
}

static void
oidx_build(struct judge *j)
{
	size_t i, k;

	if (!hindex_fit(&j->oidx, j->noccs + 1, 64))
		hindex_clear(&j->oidx);
	for (i = 0; i < j->noccs; i++) {
		for (k = hindex_first(&j->oidx, j->occs[i]->hash);
		    j->oidx.slot[k] != 0; k = hindex_next(&j->oidx, k))
			;
		j->oidx.slot[k] = (uint32_t)i + 1;
		j->oidx.n++;
	}
}

/* Least recently seen first; of equal times, the older made first. */
static int
cmp_cause_age(const void *x, const void *y)
{
	const struct jcause *a = *(struct jcause *const *)x;
	const struct jcause *b = *(struct jcause *const *)y;

	return a->last < b->last ? -1 : a->last > b->last;
}

static int
cmp_occ_age(const void *x, const void *y)
{
	const struct jocc *a = *(struct jocc *const *)x;
	const struct jocc *b = *(struct jocc *const *)y;

	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Over JUDGE_MAX_OCCS: forgets the least recently seen occurrences down
 * to three quarters of the bound, never keep (the one about to be handed
 * out).  Then over JUDGE_MAX_CAUSES: the least recently seen causes that
 * no occurrence holds, likewise (keep's cause is held by keep).
 */
static void
evict(struct judge *j, const struct jocc *keep)
{
	struct jocc **by;
	struct jcause **cby;
	size_t i, n, want;

	if (j->noccs > JUDGE_MAX_OCCS) {
		by = xreallocarray(NULL, j->noccs, sizeof *by);
		memcpy(by, j->occs, j->noccs * sizeof *by);
		qsort(by, j->noccs, sizeof *by, cmp_occ_age);
		want = j->noccs - JUDGE_MAX_OCCS * 3 / 4;
		for (i = 0; i < j->noccs && want > 0; i++)
			if (by[i] != keep) {
				by[i]->seq = 0;	/* marks it to go */
				want--;
			}
		for (i = 0, n = 0; i < j->noccs; i++) {
			if (j->occs[i]->seq == 0 && j->occs[i] != keep)
				occ_free(j->occs[i]);
			else
				j->occs[n++] = j->occs[i];
		}
		j->noccs = n;
		free(by);
		oidx_build(j);
	}
	if (j->ncauses > JUDGE_MAX_CAUSES) {
		cby = xreallocarray(NULL, j->ncauses, sizeof *cby);
		for (i = 0, n = 0; i < j->ncauses; i++)
			if (j->causes[i]->refs == 0)
				cby[n++] = j->causes[i];
		qsort(cby, n, sizeof *cby, cmp_cause_age);
		want = j->ncauses - JUDGE_MAX_CAUSES * 3 / 4;
		for (i = 0; i < n && i < want; i++)
			cby[i]->refs = (unsigned)-1;	/* marks it to go */
		for (i = 0, n = 0; i < j->ncauses; i++) {
			if (j->causes[i]->refs == (unsigned)-1)
				cause_free(j->causes[i]);
			else
				j->causes[n++] = j->causes[i];
		}
		j->ncauses = n;
		free(cby);
		cidx_build(j);
	}
}

/* The cause with this key, made when new (*is_new). */
static struct jcause *
cause_get(struct judge *j, enum rule_id rule, const struct buf *key,
    const char *listener, const char *a, const char *b, int *is_new)
{
	uint64_t h = fnv1a(FNV_OFFSET, key->p, key->len);
	struct jcause *c;
	size_t k;

	if (j->cidx.cap == 0)
		cidx_build(j);
	for (k = hindex_first(&j->cidx, h); j->cidx.slot[k] != 0;
	    k = hindex_next(&j->cidx, k)) {
		c = j->causes[j->cidx.slot[k] - 1];
		if (c->hash == h && strcmp(c->key, key->p) == 0) {
			*is_new = 0;
			return c;
		}
	}
	c = xcalloc(1, sizeof *c);
	c->rule = rule;
	c->key = xstrdup(key->p);
	c->hash = h;
	c->listener = xstrdup(listener);
	c->a = xstrdup(a);
	c->b = xstrdup(b);
	buf_init(&c->apps);
	buf_init(&c->idents);
	buf_init(&c->procs);
	buf_init(&c->japps);
	buf_init(&c->jidents);
	buf_init(&c->jprocs);
	/* Pair rules: the pair is who; others say who themselves. */
	if (rule != RULE_WEAK_PORT_CONFIG && rule != RULE_PRE_ATTACH) {
		if (c->a[0] != '\0')
			judge_list_add(&c->idents, c->a);
		if (c->b[0] != '\0')
			judge_list_add(&c->idents, c->b);
	}
	if (j->ncauses == j->capcauses) {
		j->capcauses = j->capcauses ? j->capcauses * 2 : 64;
		j->causes = xreallocarray(j->causes, j->capcauses,
		    sizeof *j->causes);
	}
	j->causes[j->ncauses++] = c;
	if (hindex_fit(&j->cidx, j->ncauses + 1, 64))
		cidx_build(j);
	else {
		for (k = hindex_first(&j->cidx, h); j->cidx.slot[k] != 0;
		    k = hindex_next(&j->cidx, k))
			;
		j->cidx.slot[k] = (uint32_t)j->ncauses;
		j->cidx.n++;
	}
	*is_new = 1;
	return c;
}

/* --- occurrences ----------------------------------------------------------- */

struct jocc *
judge_occ(struct judge *j, enum rule_id rule, uint64_t circ,
    const char *listener, const char *extra, const char *a, const char *b,
    int64_t ts, int *cause_new)
{
	struct jcause *c;
	struct jocc *o;
	struct buf key;
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
	buf_init(&key);
	buf_adds(&key, rule_name(rule));
	key_part(&key, listener);
	key_part(&key, extra);
	key_part(&key, a);
	key_part(&key, b);
	buf_cstr(&key);
	c = cause_get(j, rule, &key, listener, a, b, cause_new);
	buf_free(&key);
	if (ts > c->last)
		c->last = ts;
	c->count++;
	h = (c->hash ^ circ) * FNV_PRIME;
	h ^= h >> 31;
	if (j->oidx.cap == 0)
		oidx_build(j);
	for (k = hindex_first(&j->oidx, h); j->oidx.slot[k] != 0;
	    k = hindex_next(&j->oidx, k)) {
		o = j->occs[j->oidx.slot[k] - 1];
		if (o->hash == h && o->cause == c && o->circ == circ) {
			o->count++;
			if (ts > o->last)
				o->last = ts;
			return o;
		}
	}
	o = xcalloc(1, sizeof *o);
	o->cause = c;
	c->refs++;
	c->occurrences++;
	o->circ = circ;
	o->hash = h;
	o->seq = ++j->occseq;
	o->count = 1;
	o->first = o->last = ts;
	buf_init(&o->jstreams);
	if (circ != 0) {
		struct jcirc *jc = idmap_get(&j->circs, circ);

		if (jc != NULL) {
			jc->nfind++;
			snprintf(o->exit_fp, sizeof o->exit_fp, "%s",
			    jc->exit_fp);
		}
	}
	if (j->noccs == j->capoccs) {
		j->capoccs = j->capoccs ? j->capoccs * 2 : 64;
		j->occs = xreallocarray(j->occs, j->capoccs, sizeof *j->occs);
	}
	j->occs[j->noccs++] = o;
	if (hindex_fit(&j->oidx, j->noccs + 1, 64))
		oidx_build(j);
	else {
		for (k = hindex_first(&j->oidx, h); j->oidx.slot[k] != 0;
		    k = hindex_next(&j->oidx, k))
			;
		j->oidx.slot[k] = (uint32_t)j->noccs;
		j->oidx.n++;
	}
	if (j->noccs > JUDGE_MAX_OCCS || j->ncauses > JUDGE_MAX_CAUSES)
		evict(j, o);
	return o;
}

void
judge_occ_stream(struct jocc *o, uint64_t id)
{
	size_t i;

	for (i = 0; i < o->nstreams; i++)
		if (o->streams[i] == id)
			return;
	if (o->nstreams < JUDGE_FINDING_STREAMS)
		o->streams[o->nstreams++] = id;
}

void
judge_occ_who(struct jocc *o, const char *label, uint64_t stream, long pid,
    const char *process, const char *claim)
{
	judge_list_add(&o->cause->apps, label);
	judge_occ_stream(o, stream);
	judge_occ_proc(o, pid, process, claim);
}

/* "PID NAME", and "\x1eCLAIM" after it where an agent's claim named it
 * (a name is escaped: it holds no \x1e). */
void
judge_occ_proc(struct jocc *o, long pid, const char *name, const char *claim)
{
	/* A pid, a name (31 bytes escape to 124 at most), a claim (38):
	 * under 256 bytes, cut there as ever. */
	struct buf b;

	if (pid <= 0)
		return;
	/* Made for every occurrence: appended, not through printf. */
	buf_init(&b);
	buf_add_i64(&b, pid);
	buf_addc(&b, ' ');
	if (name != NULL)
		buf_adds(&b, name);
	if (claim != NULL) {
		buf_addc(&b, '\x1e');
		buf_adds(&b, claim);
	}
	if (b.len > 255)
		b.len = 255;
	list_add_max(&o->cause->procs, buf_cstr(&b), JUDGE_FINDING_PROCS);
	buf_free(&b);
}

void
judge_occs_drop_circ(struct judge *j, uint64_t circ)
{
	size_t i, n = 0;

	for (i = 0; i < j->noccs; i++) {
		if (j->occs[i]->circ == circ)
			occ_free(j->occs[i]);
		else
			j->occs[n++] = j->occs[i];
	}
	if (n != j->noccs) {
		j->noccs = n;
		oidx_build(j);
	}
}

void
judge_occs_clear(struct judge *j, int all)
{
	size_t i;

	for (i = 0; i < j->noccs; i++)
		occ_free(j->occs[i]);
	free(j->occs);
	j->occs = NULL;
	j->noccs = j->capoccs = 0;
	hindex_free(&j->oidx);
	if (!all)
		return;
	for (i = 0; i < j->ncauses; i++)
		cause_free(j->causes[i]);
	free(j->causes);
	j->causes = NULL;
	j->ncauses = j->capcauses = 0;
	hindex_free(&j->cidx);
}

/* --- handing out ----------------------------------------------------------- */

/* The JSON of the cause's lists, built again only when a list has grown. */
static void
cause_json(struct jcause *c)
{
	const char *p;

	if (!c->built || c->lapps != c->apps.len) {
		buf_reset(&c->japps);
		json_list(&c->japps, &c->apps);
		c->lapps = c->apps.len;
	}
	if (!c->built || c->lidents != c->idents.len) {
		buf_reset(&c->jidents);
		json_list(&c->jidents, &c->idents);
		c->lidents = c->idents.len;
	}
	if (!c->built || c->lprocs != c->procs.len) {
		buf_reset(&c->jprocs);
		buf_addc(&c->jprocs, '[');
		for (p = c->procs.p; p != NULL &&
		    p < c->procs.p + c->procs.len;) {
			size_t len = strcspn(p, "\x1f");
			const char *sp = memchr(p, ' ', len);
			const char *cl = memchr(p, '\x1e', len);
			size_t nlen = cl != NULL ? (size_t)(cl - p) : len;

			if (c->jprocs.len > 1)
				buf_adds(&c->jprocs, ", ");
			buf_adds(&c->jprocs, "{\"pid\": ");
			buf_add_i64(&c->jprocs, atol(p));
			buf_adds(&c->jprocs, ", \"name\": ");
			if (sp != NULL && sp < p + nlen)
				buf_json_str(&c->jprocs, sp + 1,
				    nlen - (size_t)(sp + 1 - p));
			else
				buf_adds(&c->jprocs, "null");
			if (cl != NULL) {
				buf_adds(&c->jprocs, ", \"claim\": ");
				buf_json_str(&c->jprocs, cl + 1,
				    len - (size_t)(cl + 1 - p));
			}
			buf_addc(&c->jprocs, '}');
			p += len + 1;
		}
		buf_addc(&c->jprocs, ']');
		c->lprocs = c->procs.len;
	}
	c->built = 1;
}

static void
occ_json(struct jocc *o)
{
	size_t i;

	if (o->jstreams.len > 0 && o->lstreams == o->nstreams)
		return;
	buf_reset(&o->jstreams);
	buf_addc(&o->jstreams, '[');
	for (i = 0; i < o->nstreams; i++) {
		if (i > 0)
			buf_adds(&o->jstreams, ", ");
		buf_addc(&o->jstreams, '"');
		buf_add_u64(&o->jstreams, o->streams[i]);
		buf_addc(&o->jstreams, '"');
	}
	buf_addc(&o->jstreams, ']');
	o->lstreams = o->nstreams;
}

void
judge_emit(struct judge *j, struct jocc *o, const char *detail, int is_new)
{
	struct jcause *c = o->cause;
	struct judge_finding out;

	if (j->cfg->severity[c->rule] == SEV_OFF || j->fn == NULL)
		return;
	cause_json(c);
	occ_json(o);
	memset(&out, 0, sizeof out);
	out.rule = c->rule;
	out.severity = j->cfg->severity[c->rule];
	out.cause = c->key;
	out.listener = c->listener;
	out.ident_a = c->a;
	out.ident_b = c->b;
	out.apps = buf_cstr(&c->japps);
	out.identities = buf_cstr(&c->jidents);
	out.processes = buf_cstr(&c->jprocs);
	out.detail = detail;
	out.remedy = profile_remedy((enum profile_id)j->cfg->profile, c->rule);
	out.occurrences = c->occurrences;
	out.cause_count = c->count;
	out.is_new = is_new;
	out.circ_id = o->circ;
	out.exit_fp = o->exit_fp;
	out.streams = buf_cstr(&o->jstreams);
	out.count = o->count;
	out.first_seen = o->first;
	out.last_seen = o->last;
	j->fn(&out, j->arg);
}
