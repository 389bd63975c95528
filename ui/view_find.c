/*
 * view_find.c: the findings of the dashboard's model, deduplicated like
 * the judge's (per Tor session, rule, circuit, listener and identity pair)
 * and bounded at VIEW_MAX_FINDINGS; and the verdict on an application that
 * the findings naming it give.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "judge.h"
#include "view_int.h"
#include "xmalloc.h"

static void
vfinding_free(struct vfinding *f)
{
	free(f->listener);
	free(f->ident_a);
	free(f->ident_b);
	free(f->detail);
	free(f->apps);
	free(f->identities);
	free(f->processes);
	free(f->streams);
	free(f->key);
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

/* The dedup key of a finding (allocated). */
static char *
finding_key(unsigned serial, const struct judge_finding *f)
{
	return xasprintf("%u\x1f%d\x1f%llu\x1f%s\x1f%s\x1f%s", serial,
	    (int)f->rule, (unsigned long long)f->circ_id,
	    f->listener ? f->listener : "", f->ident_a ? f->ident_a : "",
	    f->ident_b ? f->ident_b : "");
}

static struct vfinding *
finding_find(const struct view *v, const char *key)
{
	return view_index_find(&v->finding_index, (void *const *)v->findings,
	    offsetof(struct vfinding, key), key);
}

/* Makes room: the oldest acknowledged finding goes, else the oldest. */
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
	if (f->severity == SEV_CRITICAL && !f->acked)
		v->unacked_critical--;
	vfinding_free(f);
	memmove(v->findings + victim, v->findings + victim + 1,
	    (v->nfindings - victim - 1) * sizeof *v->findings);
	v->nfindings--;
	v->findings_dropped++;
	view_index_rebuild(&v->finding_index, (void *const *)v->findings,
	    v->nfindings, offsetof(struct vfinding, key));
}

/* A new finding (its strings copied), at the end of the list. */
static struct vfinding *
finding_new(struct view *v, const struct judge_finding *jf, char *key,
    int64_t store_session)
{
	struct vfinding *f;

	if (v->nfindings == VIEW_MAX_FINDINGS)
		findings_drop_one(v);
	f = xcalloc(1, sizeof *f);
	f->key = key;
	f->seq = ++v->next_seq;
	f->store_session = store_session;
	f->serial = v->serial;
	f->rule = (int)jf->rule;
	f->severity = (int)jf->severity;
	f->circ_id = jf->circ_id;
	f->listener = xstrdup(jf->listener ? jf->listener : "");
	f->ident_a = xstrdup(jf->ident_a ? jf->ident_a : "");
	f->ident_b = xstrdup(jf->ident_b ? jf->ident_b : "");
	f->first_seen = jf->first_seen;
	v->findings = xreallocarray(v->findings, v->nfindings + 1,
	    sizeof *v->findings);
	v->findings[v->nfindings++] = f;
	view_index_add(&v->finding_index, (void *const *)v->findings,
	    v->nfindings, offsetof(struct vfinding, key));
	if (f->severity >= 0 && f->severity < 4)
		v->by_severity[f->severity]++;
	if (f->severity == SEV_CRITICAL)
		v->unacked_critical++;
	return f;
}

void
view_finding(const struct judge_finding *jf, int64_t store_session,
    void *arg)
{
	struct view *v = arg;
	char *key = finding_key(v->serial, jf);
	struct vfinding *f = finding_find(v, key);

	v->generation++;
	if (f == NULL)
		f = finding_new(v, jf, key, store_session);
	else
		free(key);
	free(f->detail);
	f->detail = xstrdup(jf->detail ? jf->detail : "");
	free(f->apps);
	f->apps = xstrdup_or_null(jf->apps);
	free(f->identities);
	f->identities = xstrdup_or_null(jf->identities);
	free(f->processes);
	f->processes = xstrdup_or_null(jf->processes);
	free(f->streams);
	f->streams = xstrdup_or_null(jf->streams);
	f->count = jf->count;
	f->last_seen = jf->last_seen;
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

int
view_ack(struct view *v, struct vfinding *f)
{
	if (f->acked)
		return 0;
	f->acked = 1;
	if (f->severity == SEV_CRITICAL && v->unacked_critical > 0)
		v->unacked_critical--;
	v->generation++;
	return 1;
}

/* Whether a finding's identities (a JSON array) name ident. */
static int
finding_names(const struct vfinding *f, const char *ident)
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
view_app_verdict(const struct view *v, const char *ident, char **rules)
{
	struct buf with, other;
	size_t i;
	char *out = NULL;

	buf_init(&with);
	buf_init(&other);
	for (i = 0; i < v->nfindings; i++) {
		const struct vfinding *f = v->findings[i];

		if (!finding_names(f, ident))
			continue;
		/* One exit circuit is sharing; one exit relay at once on
		 * two circuits (SHARED_EXIT) is a weaker signal, a rule. */
		if (f->rule == RULE_SHARED_CIRCUIT && f->ident_a[0] != '\0' &&
		    f->ident_b[0] != '\0') {
			list_add_once(&with, strcmp(f->ident_a, ident) == 0 ?
			    f->ident_b : f->ident_a);
		} else
			list_add_once(&other, rule_name(f->rule));
	}
	if (with.len > 0)
		out = xstrdup(buf_cstr(&with));
	*rules = other.len > 0 ? xstrdup(buf_cstr(&other)) : NULL;
	buf_free(&with);
	buf_free(&other);
	return out;
}
