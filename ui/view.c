/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view.c: the dashboard's model, fed by the pipeline's observer: the Tor
 * session, its circuits (open ones, and the last VIEW_CLOSED_CIRCS closed
 * ones that carried streams) and their streams, and the applications seen
 * since start.  Findings are in view_find.c, the log ring in view_log.c.
 * Every list is bounded, so a week of traffic costs what an hour does.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "pipeline.h"
#include "torev.h"
#include "view_int.h"
#include "xmalloc.h"

static void	trim_closed(struct vcirc *);

uint64_t
view_hash(const char *s)
{
	return fnv1a_str(FNV_OFFSET, s);
}

void
view_copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s != NULL ? s : "");
}

/* --- indexes of items by a string ---------------------------------------- */

#define KEY_OF(p, off) (*(char *const *)(const void *)((const char *)(p) + (off)))

void *
view_index_find(const struct hindex *h, void *const *all, size_t key_off,
    const char *key)
{
	size_t i;

	if (h->cap == 0)
		return NULL;
	for (i = hindex_first(h, view_hash(key)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		if (strcmp(KEY_OF(all[h->slot[i] - 1], key_off), key) == 0)
			return all[h->slot[i] - 1];
	return NULL;
}

/* Puts all[k] in a free slot (the index has room). */
static void
index_put(struct hindex *h, void *const *all, size_t k, size_t key_off)
{
	size_t i = hindex_first(h, view_hash(KEY_OF(all[k], key_off)));

	while (h->slot[i] != 0)
		i = hindex_next(h, i);
	h->slot[i] = (uint32_t)k + 1;
	h->n++;
}

void
view_index_add(struct hindex *h, void *const *all, size_t n, size_t key_off)
{
	size_t k;

	if (hindex_fit(h, n, 16)) {
		for (k = 0; k < n; k++)
			index_put(h, all, k, key_off);
	} else
		index_put(h, all, n - 1, key_off);
}

void
view_index_rebuild(struct hindex *h, void *const *all, size_t n,
    size_t key_off)
{
	size_t k;

	if (!hindex_fit(h, n, 16))
		hindex_clear(h);
	for (k = 0; k < n; k++)
		index_put(h, all, k, key_off);
}

#undef KEY_OF

/* --- sets ----------------------------------------------------------------- */

/* Returns 1 if the value (by hash) was not seen past the set before. */
static int
vmore_add(struct vmore *m, const char *s)
{
	uint64_t h = view_hash(s);
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->h[i] == h)
			return 0;
	if (m->n == VIEW_MORE_DISTINCT)
		return 0;
	if (m->h == NULL)
		m->h = xcalloc(VIEW_MORE_DISTINCT, sizeof *m->h);
	m->h[m->n++] = h;
	return 1;
}

static void
vmore_free(struct vmore *m)
{
	FREE(m->h);
	m->n = 0;
}

static void
vset_add(struct vset *set, const char *s)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i], s) == 0)
			return;
	if (set->n < VIEW_APP_SET)
		set->v[set->n++] = xstrdup(s);
	else if (vmore_add(&set->seen, s))
		set->more++;
}

static void
vset_free(struct vset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i]);
	set->n = set->more = 0;
	vmore_free(&set->seen);
}

/* --- life cycle ------------------------------------------------------------ */

void
view_init(struct view *v)
{
	memset(v, 0, sizeof *v);
	idmap_init(&v->circs);
	idmap_init(&v->stream_ids);
	hindex_init(&v->app_index);
	hindex_init(&v->finding_index);
	v->bootstrap = -1;
	v->uptime = -1;
}

static void
vstream_free(struct vstream *s)
{
	if (s == NULL)
		return;
	free(s->target);
	free(s->ident);
	free(s->listener);
	free(s->process);
	free(s);
}

/* An open stream leaves the view without a CLOSED event: the counts. */
static void
stream_gone(struct view *v, struct vstream *s)
{
	struct vapp *a = view_app(v, s->ident);

	idmap_del(&v->stream_ids, s->id);
	if (v->streams_open > 0)
		v->streams_open--;
	if (a != NULL && a->open > 0)
		a->open--;
}

static void
vcirc_free(struct view *v, struct vcirc *c)
{
	struct vstream *s, *next;
	size_t i;

	for (s = c->streams; s != NULL; s = next) {
		next = s->next;
		if (s->closed == 0)
			stream_gone(v, s);
		vstream_free(s);
	}
	for (i = 0; i < c->nidents; i++)
		free(c->idents[i]);
	vmore_free(&c->more_seen);
	free(c);
}

/* Forgets the circuits and streams of a Tor session. */
static void
view_forget_session(struct view *v)
{
	struct vstream *s, *next;
	size_t pos = 0, i;
	uint64_t id;
	void *p;

	while (idmap_next(&v->circs, &pos, &id, &p))
		vcirc_free(v, p);
	idmap_free(&v->circs);
	idmap_init(&v->circs);
	for (s = v->unattached; s != NULL; s = next) {
		next = s->next;
		vstream_free(s);
	}
	v->unattached = NULL;
	idmap_free(&v->stream_ids);
	idmap_init(&v->stream_ids);
	v->nclosed = 0;
	v->streams_open = 0;
	for (i = 0; i < v->napps; i++)
		v->apps[i]->open = 0;
	v->nservices = 0;	/* the pipeline tells them again */
}

static struct vservice *
service_get(struct view *v, const char *name, int64_t ts)
{
	struct vservice *sv;
	size_t i;

	for (i = 0; i < v->nservices; i++)
		if (strcmp(v->services[i].name, name) == 0)
			return &v->services[i];
	if (v->nservices >= VIEW_MAX_SERVICES)
		return NULL;
	sv = &v->services[v->nservices++];
	memset(sv, 0, sizeof *sv);
	view_copy(sv->name, sizeof sv->name, name);
	snprintf(sv->source, sizeof sv->source, "circuits");
	sv->first_seen = ts;
	return sv;
}

const struct vservice *
view_service_find(const struct view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nservices; i++)
		if (strcmp(v->services[i].name, name) == 0)
			return &v->services[i];
	return NULL;
}

void
view_service(const char *name, const char *source, int64_t ts, void *arg)
{
	struct view *v = arg;
	struct vservice *sv;

	v->generation++;
	if ((sv = service_get(v, name, ts)) != NULL)
		view_copy(sv->source, sizeof sv->source, source);
}

/*
 * A local service's circuit: a rendezvous circuit counts once, when Tor
 * names its service (it is built then), and is open until it closes.
 */
static void
service_circ(struct view *v, struct vcirc *c, const struct pipeline_view_circ *e)
{
	struct vservice *sv;
	int rend = strcmp(c->purpose, "HS_SERVICE_REND") == 0;
	int intro = strcmp(c->purpose, "HS_SERVICE_INTRO") == 0;

	if (c->rend_counted != 0 && (e->closing || (!rend && !intro) ||
	    strcmp(c->onion, e->onion) != 0)) {
		/* Closed, or no longer that service's: uncounted. */
		if ((sv = service_get(v, c->onion, e->ts)) != NULL) {
			if (c->rend_counted == 1 && sv->rend_open > 0)
				sv->rend_open--;
			if (c->rend_counted == 2 && sv->intro_open > 0)
				sv->intro_open--;
		}
		c->rend_counted = 0;
	}
	view_copy(c->onion, sizeof c->onion, e->onion);
	c->service = e->service;
	if (e->closing || !e->service || e->onion[0] == '\0' ||
	    c->rend_counted != 0 || (!rend && !intro))
		return;
	if ((sv = service_get(v, e->onion, e->ts)) == NULL)
		return;
	if (rend) {
		sv->rend_total++;
		sv->rend_open++;
		sv->last_rend = e->ts;
		c->rend_counted = 1;
	} else {
		sv->intro_open++;
		c->rend_counted = 2;
	}
}

void
view_free(struct view *v)
{
	size_t i;

	view_forget_session(v);
	idmap_free(&v->circs);
	idmap_free(&v->stream_ids);
	for (i = 0; i < v->napps; i++) {
		free(v->apps[i]->ident);
		vset_free(&v->apps[i]->listeners);
		vset_free(&v->apps[i]->processes);
		vset_free(&v->apps[i]->applications);
		vset_free(&v->apps[i]->exits);
		free(v->apps[i]);
	}
	free(v->apps);
	hindex_free(&v->app_index);
	view_find_free(v);
	view_log_free(v);
	free(v->address);
	free(v->method);
	free(v->version);
	free(v->bootstrap_summary);
	free(v->end_reason);
	memset(v, 0, sizeof *v);
}

/* --- session -------------------------------------------------------------- */

void
view_privilege(struct view *v, const char *text)
{
	size_t i;

	v->generation++;
	view_copy(v->privilege, sizeof v->privilege, text);
	for (i = 0; v->privilege[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)v->privilege[i];

		if (ch < 0x20 || ch >= 0x7f)
			v->privilege[i] = '?';
	}
}

void
view_session(const struct pipeline_session_info *si, void *arg)
{
	struct view *v = arg;
	struct vstream *s;
	size_t pos = 0;
	uint64_t id;
	void *p;
	char *msg;

	v->generation++;
	switch (si->phase) {
	case PIPELINE_START:
		view_forget_session(v);
		v->serial = si->serial;
		v->attached = 1;
		v->attached_at = si->ts;
		v->detached_at = 0;
		v->pid = 0;
		v->uptime = -1;
		v->bootstrap = -1;
		FREE(v->version);
		FREE(v->end_reason);
		free(v->address);
		v->address = xstrdup_or_null(si->address);
		free(v->method);
		v->method = xstrdup_or_null(si->method);
		break;
	case PIPELINE_READY:
		free(v->version);
		v->version = xstrdup_or_null(si->version);
		v->pid = si->pid;
		msg = xasprintf("attached to Tor %s (pid %ld) at %s with %s, "
		    "Tor session %u: %zu circuits open", si->version ?
		    si->version : "(version unknown)", si->pid,
		    si->address ? si->address : "?",
		    si->method ? si->method : "?", si->serial,
		    view_open_circuits(v));
		view_log(v, "info", msg, si->ts);
		free(msg);
		break;
	case PIPELINE_END:
		v->attached = 0;
		v->detached_at = si->ts;
		free(v->end_reason);
		v->end_reason = xstrdup_or_null(si->why);
		msg = xasprintf("Tor session %u ended: %s", si->serial,
		    si->why ? si->why : "?");
		view_log(v, "warn", msg, si->ts);
		free(msg);
		/* What was open is closed now: Tor will not say more. */
		while (idmap_next(&v->circs, &pos, &id, &p)) {
			struct vcirc *c = p;

			if (c->closed == 0)
				c->closed = si->ts;
			for (s = c->streams; s != NULL; s = s->next)
				if (s->closed == 0)
					s->closed = si->ts;
			c->streams_open = 0;
			trim_closed(c);
		}
		/* Streams waiting for a circuit will never get one. */
		while ((s = v->unattached) != NULL) {
			v->unattached = s->next;
			vstream_free(s);
		}
		idmap_free(&v->stream_ids);
		idmap_init(&v->stream_ids);
		v->streams_open = 0;
		for (pos = 0; pos < v->napps; pos++)
			v->apps[pos]->open = 0;
		break;
	}
}

void
view_bootstrap(int progress, const char *summary, int64_t ts, void *arg)
{
	struct view *v = arg;

	(void)ts;
	v->bootstrap = progress;
	free(v->bootstrap_summary);
	v->bootstrap_summary = xstrdup(summary);
	v->generation++;
}

void
view_uptime(long secs, int64_t ts, void *arg)
{
	struct view *v = arg;

	v->uptime = secs;
	v->uptime_at = ts;
	v->generation++;
}

/* --- circuits ------------------------------------------------------------- */

/* Forgets the oldest closed circuit when too many are kept. */
static void
closed_push(struct view *v, uint64_t id)
{
	struct vcirc *old;

	if (v->nclosed == VIEW_CLOSED_CIRCS) {
		old = idmap_del(&v->circs, v->closed_order[0]);
		if (old != NULL)
			vcirc_free(v, old);
		memmove(v->closed_order, v->closed_order + 1,
		    (VIEW_CLOSED_CIRCS - 1) * sizeof v->closed_order[0]);
		v->nclosed--;
	}
	v->closed_order[v->nclosed++] = id;
}

/* The path of the event (it names the whole path so far each time). */
static void
circ_path(struct vcirc *c, const struct torev_hop *path, size_t n)
{
	size_t i;

	c->npath = n < VIEW_PATH_HOPS ? n : VIEW_PATH_HOPS;
	c->path_more = n - c->npath;
	for (i = 0; i < c->npath; i++) {
		view_copy(c->path[i].fp, sizeof c->path[i].fp, path[i].fp);
		view_copy(c->path[i].nick, sizeof c->path[i].nick,
		    path[i].nick);
	}
}

void
view_circ(const struct pipeline_view_circ *e, void *arg)
{
	struct view *v = arg;
	struct vcirc *c = idmap_get(&v->circs, e->id);

	v->generation++;
	if (c != NULL && c->closed != 0 && !e->closing) {
		/* A closed id seen again (a new Tor session reusing it). */
		return;
	}
	if (c == NULL) {
		if (e->closing)
			return;		/* never seen open: nothing to show */
		c = xcalloc(1, sizeof *c);
		c->id = e->id;
		c->created = e->created != 0 ? e->created : e->ts;
		idmap_put(&v->circs, e->id, c);
	}
	view_copy(c->status, sizeof c->status, e->status);
	if (e->purpose[0] != '\0')
		view_copy(c->purpose, sizeof c->purpose, e->purpose);
	if (e->exit_fp[0] != '\0')
		view_copy(c->exit_fp, sizeof c->exit_fp, e->exit_fp);
	if (e->exit_nick[0] != '\0')
		view_copy(c->exit_nick, sizeof c->exit_nick, e->exit_nick);
	if (e->conflux[0] != '\0')
		view_copy(c->conflux, sizeof c->conflux, e->conflux);
	if (e->created != 0)
		c->created = e->created;
	if (e->path != NULL && e->npath > 0)
		circ_path(c, e->path, e->npath);
	if (e->onion != NULL)
		service_circ(v, c, e);
	if (e->closing && c->closed == 0) {
		c->closed = e->ts;
		if (c->streams_total == 0) {
			idmap_del(&v->circs, e->id);
			vcirc_free(v, c);
		} else
			closed_push(v, e->id);
	}
}

size_t
view_open_circuits(const struct view *v)
{
	size_t pos = 0, n = 0;
	uint64_t id;
	void *p;

	while (idmap_next(&v->circs, &pos, &id, &p))
		if (((struct vcirc *)p)->closed == 0)
			n++;
	return n;
}

/* Adds an identity to a circuit; returns 1 when it is new there. */
static int
circ_add_ident(struct vcirc *c, const char *ident, int not_app)
{
	size_t i;

	for (i = 0; i < c->nidents; i++)
		if (strcmp(c->idents[i], ident) == 0)
			return 0;
	if (c->nidents == VIEW_CIRC_IDENTS) {
		if (!vmore_add(&c->more_seen, ident))
			return 0;
		if (!not_app)
			c->more_idents++;
		return 1;
	}
	if (not_app)
		c->not_app |= 1U << c->nidents;
	else
		c->real_idents++;
	c->idents[c->nidents++] = xstrdup(ident);
	return 1;
}

int
view_circ_shared(const struct view *v, const struct vcirc *c)
{
	const char *first = NULL;
	size_t pos = 0, i;
	uint64_t id;
	void *p;

	if (c->real_idents + c->more_idents >= 2)
		return 1;
	if (c->conflux[0] == '\0')
		return 0;
	/* The legs of one conflux set are one exit circuit. */
	while (idmap_next(&v->circs, &pos, &id, &p)) {
		const struct vcirc *o = p;

		if (strcmp(o->conflux, c->conflux) != 0)
			continue;
		for (i = 0; i < o->nidents; i++) {
			if (o->not_app & (1U << i))
				continue;
			if (first == NULL)
				first = o->idents[i];
			else if (strcmp(first, o->idents[i]) != 0)
				return 1;
		}
	}
	return 0;
}

/* --- applications ---------------------------------------------------------- */

struct vapp *
view_app(const struct view *v, const char *ident)
{
	return view_index_find(&v->app_index, (void *const *)v->apps,
	    offsetof(struct vapp, ident), ident);
}

static struct vapp *
app_get(struct view *v, const struct pipeline_view_stream *e)
{
	const char *ident = e->ident;
	int64_t ts = e->ts;
	struct vapp *a = view_app(v, ident);

	if (a != NULL)
		return a;
	if (v->napps == VIEW_MAX_APPS) {
		v->apps_dropped++;
		return NULL;
	}
	a = xcalloc(1, sizeof *a);
	a->ident = xstrdup(ident);
	a->first_seen = ts;
	a->unattributed = e->unattributed;
	a->internal = e->internal;
	v->apps = xreallocarray(v->apps, v->napps + 1, sizeof *v->apps);
	v->apps[v->napps++] = a;
	view_index_add(&v->app_index, (void *const *)v->apps, v->napps,
	    offsetof(struct vapp, ident));
	return a;
}

/* --- streams --------------------------------------------------------------- */

/* Unlinks s from the list at *head; returns 1 if it was there. */
static int
list_unlink(struct vstream **head, struct vstream *s)
{
	struct vstream **pp;

	for (pp = head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			s->next = NULL;
			return 1;
		}
	return 0;
}

/* Keeps at most VIEW_CLOSED_STREAMS closed streams on a circuit. */
static void
trim_closed(struct vcirc *c)
{
	struct vstream **pp = &c->streams, *s;
	unsigned closed = 0;

	while ((s = *pp) != NULL) {
		if (s->closed != 0 && ++closed > VIEW_CLOSED_STREAMS) {
			*pp = s->next;
			vstream_free(s);
			continue;
		}
		pp = &s->next;
	}
}

static void
stream_attach(struct view *v, struct vstream *s, uint64_t circ, int64_t ts)
{
	struct vcirc *old = s->circ ? idmap_get(&v->circs, s->circ) : NULL;
	struct vcirc *c = idmap_get(&v->circs, circ);
	struct vapp *a;
	char exit[64];

	if (old != NULL) {
		list_unlink(&old->streams, s);
		if (old->streams_open > 0)
			old->streams_open--;
	} else
		list_unlink(&v->unattached, s);
	s->circ = circ;
	if (c == NULL) {
		/* A circuit not seen (yet): shown as one. */
		c = xcalloc(1, sizeof *c);
		c->id = circ;
		c->created = ts;
		view_copy(c->status, sizeof c->status, "?");
		idmap_put(&v->circs, circ, c);
	}
	s->next = c->streams;
	c->streams = s;
	c->streams_total++;
	c->streams_open++;
	a = view_app(v, s->ident);
	if (circ_add_ident(c, s->ident, s->unattributed || s->internal) &&
	    a != NULL)
		a->circuits++;
	if (a != NULL && c->exit_fp[0] != '\0') {
		snprintf(exit, sizeof exit, "%s%s$%.8s", c->exit_nick,
		    c->exit_nick[0] ? " " : "", c->exit_fp);
		vset_add(&a->exits, exit);
	}
}

void
view_stream(const struct pipeline_view_stream *e, void *arg)
{
	struct view *v = arg;
	struct vstream *s = idmap_get(&v->stream_ids, e->id);
	struct vcirc *c;
	struct vapp *a;
	char proc[96];

	v->generation++;
	if (s == NULL) {
		if (e->closing && !e->is_new)
			return;
		s = xcalloc(1, sizeof *s);
		s->id = e->id;
		s->ident = xstrdup(e->ident);
		s->unattributed = e->unattributed;
		s->internal = e->internal;
		s->opened = e->ts;
		idmap_put(&v->stream_ids, e->id, s);
		s->next = v->unattached;
		v->unattached = s;
		v->streams_open++;
		if ((a = app_get(v, e)) != NULL) {
			a->open++;
			a->total++;
			a->last_seen = e->ts;
			if (e->application != NULL)
				vset_add(&a->applications, e->application);
		}
	}
	a = view_app(v, s->ident);
	view_copy(s->status, sizeof s->status, e->status);
	if (s->target == NULL || (e->target[0] != '\0' &&
	    strcmp(e->target, "?") != 0)) {
		free(s->target);
		s->target = xstrdup(e->target);
	}
	if (e->listener != NULL && s->listener == NULL) {
		s->listener = xstrdup(e->listener);
		if (a != NULL)
			vset_add(&a->listeners, e->listener);
	}
	if (e->process != NULL && s->process == NULL) {
		s->process = xstrdup(e->process);
		s->pid = e->pid;
		if (a != NULL) {
			snprintf(proc, sizeof proc, "%s[%ld]", e->process,
			    e->pid);
			vset_add(&a->processes, proc);
		}
	}
	if (a != NULL)
		a->last_seen = e->ts;
	if (e->circ != 0 && e->circ != s->circ)
		stream_attach(v, s, e->circ, e->ts);
	if (!e->closing)
		return;
	s->closed = e->ts;
	idmap_del(&v->stream_ids, e->id);
	if (v->streams_open > 0)
		v->streams_open--;
	if (a != NULL && a->open > 0)
		a->open--;
	c = s->circ ? idmap_get(&v->circs, s->circ) : NULL;
	if (c != NULL) {
		if (c->streams_open > 0)
			c->streams_open--;
		trim_closed(c);
	} else {
		list_unlink(&v->unattached, s);
		vstream_free(s);
	}
}
