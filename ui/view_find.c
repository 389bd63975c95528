/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view_find.c: the findings of the dashboard's model.  A finding is a
 * cause (SPEC.md 0.2): one per cause key the judge gives, across circuits
 * and Tor sessions, with its occurrence count and the latest
 * VIEW_CAUSE_OCCS occurrences (Tor session, circuit, exit, streams);
 * acknowledging acknowledges the cause, and a new occurrence after that
 * makes it unacknowledged again, marked again.  Bounded at
 * VIEW_MAX_FINDINGS causes.  Also the verdict on an application that the
 * findings naming it give.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "idmap.h"
#include "judge.h"
#include "view_int.h"
#include "xmalloc.h"

static void
vfinding_free(struct vfinding *f)
{
	size_t i;

	for (i = 0; i < f->nocc; i++)
		free(f->occ[i].streams);
	free(f->occ);
	free(f->cause);
	free(f->listener);
	free(f->ident_a);
	free(f->ident_b);
	free(f->detail);
	free(f->remedy);
	free(f->apps);
	free(f->identities);
	free(f->processes);
	free(f);
}

void
view_find_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nfindings; i++)
		vfinding_free(v->findings[i]);
	free(v->findings);
	v->findings = NULL;
	v->nfindings = 0;
	hindex_free(&v->finding_index);
}

/*
 * The cause key (allocated): the judge's; a judge that gives none keys by
 * rule, pair and listener.
 */
static char *
cause_key(const struct judge_finding *f)
{
	if (f->cause != NULL && f->cause[0] != '\0')
		return xstrdup(f->cause);
	return xasprintf("%s|%s|%s|%s", rule_name(f->rule),
	    f->ident_a ? f->ident_a : "", f->ident_b ? f->ident_b : "",
	    f->listener ? f->listener : "");
}

struct vfinding *
view_finding_by_cause(const struct view *v, const char *cause)
{
	return view_index_find(&v->finding_index, (void *const *)v->findings,
	    offsetof(struct vfinding, cause), cause);
}

static int
counts_unacked(const struct vfinding *f)
{
	return f->severity == SEV_CRITICAL && !f->acked;
}

/* Makes room: the oldest acknowledged cause goes, else the oldest. */
static void
findings_drop_one(struct view *v)
{
	size_t i, victim = 0;
	struct vfinding *f;

	for (i = 0; i < v->nfindings; i++)
		if (v->findings[i]->acked) {
			victim = i;
			break;
		}
	f = v->findings[victim];
	if (f->severity >= 0 && f->severity < 4)
		v->by_severity[f->severity]--;
	if (counts_unacked(f))
		v->unacked_critical--;
	vfinding_free(f);
	memmove(v->findings + victim, v->findings + victim + 1,
	    (v->nfindings - victim - 1) * sizeof *v->findings);
	v->nfindings--;
	v->findings_dropped++;
	view_index_rebuild(&v->finding_index, (void *const *)v->findings,
	    v->nfindings, offsetof(struct vfinding, cause));
}

/* A new cause (its strings copied, key taken), at the end of the list. */
static struct vfinding *
finding_new(struct view *v, const struct judge_finding *jf, char *key)
{
	struct vfinding *f;

	if (v->nfindings == VIEW_MAX_FINDINGS)
		findings_drop_one(v);
	f = xcalloc(1, sizeof *f);
	f->cause = key;
	f->seq = ++v->next_seq;
	f->rule = (int)jf->rule;
	f->severity = (int)jf->severity;
	f->listener = xstrdup(jf->listener ? jf->listener : "");
	f->ident_a = xstrdup(jf->ident_a ? jf->ident_a : "");
	f->ident_b = xstrdup(jf->ident_b ? jf->ident_b : "");
	f->first_seen = jf->first_seen;
	f->last_seen = jf->last_seen;
	v->findings = xreallocarray(v->findings, v->nfindings + 1,
	    sizeof *v->findings);
	v->findings[v->nfindings++] = f;
	view_index_add(&v->finding_index, (void *const *)v->findings,
	    v->nfindings, offsetof(struct vfinding, cause));
	if (f->severity >= 0 && f->severity < 4)
		v->by_severity[f->severity]++;
	if (counts_unacked(f))
		v->unacked_critical++;
	return f;
}

/* A severity the configuration changed (SIGHUP): the counts follow. */
static void
finding_severity(struct view *v, struct vfinding *f, int severity)
{
	if (f->severity == severity)
		return;
	if (f->severity >= 0 && f->severity < 4)
		v->by_severity[f->severity]--;
	if (counts_unacked(f))
		v->unacked_critical--;
	f->severity = severity;
	if (f->severity >= 0 && f->severity < 4)
		v->by_severity[f->severity]++;
	if (counts_unacked(f))
		v->unacked_critical++;
}

/*
 * The occurrence this update is about (this Tor session, circuit), moved
 * to the end (the most recently seen); a new one forgets the least
 * recently seen when VIEW_CAUSE_OCCS are kept.  *is_new says whether it
 * was not kept.
 */
static struct voccurrence *
occurrence_get(struct vfinding *f, unsigned serial, uint64_t circ,
    int *is_new)
{
	struct voccurrence o;
	size_t i;

	for (i = 0; i < f->nocc; i++)
		if (f->occ[i].serial == serial && f->occ[i].circ_id == circ)
			break;
	if (i < f->nocc) {
		*is_new = 0;
		o = f->occ[i];
		memmove(f->occ + i, f->occ + i + 1,
		    (f->nocc - i - 1) * sizeof *f->occ);
		f->occ[f->nocc - 1] = o;
		return &f->occ[f->nocc - 1];
	}
	*is_new = 1;
	if (f->nocc == VIEW_CAUSE_OCCS) {
		free(f->occ[0].streams);
		memmove(f->occ, f->occ + 1, (f->nocc - 1) * sizeof *f->occ);
		f->nocc--;
	} else
		f->occ = xreallocarray(f->occ, f->nocc + 1, sizeof *f->occ);
	memset(&f->occ[f->nocc], 0, sizeof *f->occ);
	f->occ[f->nocc].serial = serial;
	f->occ[f->nocc].circ_id = circ;
	return &f->occ[f->nocc++];
}

void
view_finding(const struct judge_finding *jf, int64_t store_session,
    void *arg)
{
	struct view *v = arg;
	char *key = cause_key(jf);
	struct vfinding *f = view_finding_by_cause(v, key);
	struct voccurrence *o;
	struct vcirc *c;
	int is_new;

	v->generation++;
	if (f == NULL)
		f = finding_new(v, jf, key);
	else
		free(key);
	finding_severity(v, f, (int)jf->severity);
	free(f->detail);
	f->detail = xstrdup(jf->detail ? jf->detail : "");
	free(f->remedy);
	f->remedy = xstrdup_or_null(jf->remedy);
	free(f->apps);
	f->apps = xstrdup_or_null(jf->apps);
	free(f->identities);
	f->identities = xstrdup_or_null(jf->identities);
	free(f->processes);
	f->processes = xstrdup_or_null(jf->processes);

	o = occurrence_get(f, v->serial, jf->circ_id, &is_new);
	o->store_session = store_session;
	if (jf->exit_fp != NULL && jf->exit_fp[0] != '\0')
		view_copy(o->exit_fp, sizeof o->exit_fp, jf->exit_fp);
	if (jf->circ_id != 0 &&
	    (c = idmap_get(&v->circs, jf->circ_id)) != NULL &&
	    c->exit_fp[0] != '\0' && (o->exit_fp[0] == '\0' ||
	    strcmp(o->exit_fp, c->exit_fp) == 0)) {
		/* The view knows the circuit: its exit, with its name. */
		view_copy(o->exit_fp, sizeof o->exit_fp, c->exit_fp);
		view_copy(o->exit_nick, sizeof o->exit_nick, c->exit_nick);
	}
	free(o->streams);
	o->streams = xstrdup_or_null(jf->streams);
	/* The cause's counts: the view's own, or the judge's when more (the
	 * view dropped the cause, or forgot the occurrence, meanwhile). */
	if (is_new) {
		f->occurrences++;
		f->count += jf->count;
		o->first_seen = jf->first_seen;
	} else if (jf->count > o->count)
		f->count += jf->count - o->count;
	if (jf->occurrences > f->occurrences)
		f->occurrences = jf->occurrences;
	if (jf->cause_count > f->count)
		f->count = jf->cause_count;
	o->count = jf->count;
	if (jf->first_seen < o->first_seen)
		o->first_seen = jf->first_seen;
	if (jf->last_seen > o->last_seen)
		o->last_seen = jf->last_seen;
	if (jf->first_seen < f->first_seen)
		f->first_seen = jf->first_seen;
	if (jf->last_seen > f->last_seen)
		f->last_seen = jf->last_seen;

	/* Seen again after its acknowledgement: not acknowledged, again. */
	if (f->acked && jf->first_seen > f->acked_at) {
		f->acked = 0;
		f->again = 1;
		f->again_at = jf->first_seen;
		if (counts_unacked(f))
			v->unacked_critical++;
	}
}

struct vfinding *
view_finding_by_seq(const struct view *v, uint64_t seq)
{
	size_t i;

	for (i = 0; i < v->nfindings; i++)
		if (v->findings[i]->seq == seq)
			return v->findings[i];
	return NULL;
}

const struct voccurrence *
view_finding_latest(const struct vfinding *f)
{
	return f->nocc > 0 ? &f->occ[f->nocc - 1] : NULL;
}

int
view_ack(struct view *v, struct vfinding *f, int64_t at)
{
	if (f->acked)
		return 0;
	f->acked = 1;
	f->again = 0;
	/* What the view knew is covered, whatever the clocks say. */
	f->acked_at = at > f->last_seen ? at : f->last_seen;
	if (f->severity == SEV_CRITICAL && v->unacked_critical > 0)
		v->unacked_critical--;
	v->generation++;
	return 1;
}

/* Whether a finding's identities (a JSON array) name ident. */
static int
names_ident(const struct vfinding *f, const char *ident)
{
	struct buf q;
	int found;

	if (strcmp(f->ident_a, ident) == 0 || strcmp(f->ident_b, ident) == 0)
		return 1;
	if (f->identities == NULL)
		return 0;
	buf_init(&q);
	buf_json_strz(&q, ident);
	found = strstr(f->identities, buf_cstr(&q)) != NULL;
	buf_free(&q);
	return found;
}

/*
 * The identity by which a finding names an application row, or NULL: the
 * row's own ("label@host[/sub]"), else one of the applications its
 * streams belonged to ("/usr/bin/curl (uid 1000)@localhost": the judge's
 * applications are programs, named by the pipeline).
 */
static const char *
finding_names(const struct vfinding *f, const struct vapp *a)
{
	size_t i;

	if (names_ident(f, a->ident))
		return a->ident;
	for (i = 0; i < a->applications.n; i++)
		if (names_ident(f, a->applications.v[i]))
			return a->applications.v[i];
	return NULL;
}

void
view_app_short(struct buf *b, const char *ident)
{
	const char *end, *base;

	if (ident[0] != '/') {
		buf_adds(b, ident);
		return;
	}
	/* The path ends where the pipeline put " (uid N)", else at '@'. */
	if ((end = strstr(ident, " (uid ")) == NULL &&
	    (end = strchr(ident, '@')) == NULL) {
		buf_adds(b, ident);
		return;
	}
	for (base = end; base > ident && base[-1] != '/'; base--)
		;
	buf_adds(b, base);
}

/* Adds s to a ", "-separated list unless it is an item already. */
static void
list_add_once(struct buf *b, const char *s)
{
	const char *p = buf_cstr(b);
	size_t n = strlen(s);

	while ((p = strstr(p, s)) != NULL) {
		if ((p == b->p || (p >= b->p + 2 && p[-2] == ',')) &&
		    (p[n] == '\0' || p[n] == ','))
			return;
		p += n;
	}
	if (b->len > 0)
		buf_adds(b, ", ");
	buf_adds(b, s);
}

char *
view_app_verdict(const struct view *v, const struct vapp *a, char **rules)
{
	struct buf with, other, partner;
	const char *ident;
	size_t i;
	char *out = NULL;

	buf_init(&with);
	buf_init(&other);
	buf_init(&partner);
	for (i = 0; i < v->nfindings; i++) {
		const struct vfinding *f = v->findings[i];

		if ((ident = finding_names(f, a)) == NULL)
			continue;
		/* One exit circuit is sharing; one exit relay at once on
		 * two circuits (SHARED_EXIT) is a weaker signal, a rule. */
		if (f->rule == RULE_SHARED_CIRCUIT && f->ident_a[0] != '\0' &&
		    f->ident_b[0] != '\0') {
			/* Its program's name: a row has no room for more. */
			buf_reset(&partner);
			view_app_short(&partner, strcmp(f->ident_a, ident) == 0 ?
			    f->ident_b : f->ident_a);
			list_add_once(&with, buf_cstr(&partner));
		} else
			list_add_once(&other, rule_name(f->rule));
	}
	if (with.len > 0)
		out = xstrdup(buf_cstr(&with));
	*rules = other.len > 0 ? xstrdup(buf_cstr(&other)) : NULL;
	buf_free(&with);
	buf_free(&other);
	buf_free(&partner);
	return out;
}
