/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_agg.c: store_each_app, store_each_circuit and the other
 * aggregates of a range (applications, circuit sharing, counts).
 *
 * One pass in C over the range's streams in key order (session,
 * stream_id), merged with their attachments, which the primary key of
 * attach keeps in the same order: no seek per stream, no sort, no
 * temporary table.  It adds up each application (streams, first and last
 * seen, listeners, processes) and each circuit the streams were attached
 * to (its streams and applications).  The circuits, sorted by key, are
 * then merged with the circuit table (its primary key, same order) for
 * their exit and conflux set: each application's circuits and exits, each
 * exit circuit's applications (conflux legs together: the first leg of a
 * set in its session is the exit circuit of all of them), and the pairs of
 * applications that shared one.
 *
 * Memory: an application costs an entry (at most AGG_PROCS processes, its
 * distinct listeners), a circuit of the range about 40 bytes.  Past
 * AGG_MAX_CIRCS circuits (16 MB) the circuits are given up and grouped by
 * sqlite instead, in temporary tables on file (sqlite's page cache and its
 * sorter spill to disk, they do not grow with the rows), slower but as
 * bounded:
 *
 *   rep_ca  (session, circ_id, app, n): the streams in range attached to
 *           a circuit, by application (0: none)
 *   rep_cu  (session, circ_id, unit, streams): each such circuit and its
 *           exit circuit: the first leg (lowest id) of its conflux set in
 *           that session, else itself
 *   rep_ua  (session, unit, app): the applications of each exit circuit
 *
 * Both are made for one range at a time (the report's), inside the
 * caller's read transaction (store_snapshot), so they agree with every
 * other read of that report.  Both give the same rows (test_store.c runs
 * both).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ISOAUDIT_PRIVATE	/* store_agg_max_circs, in store.h for tests */
#include "store_int.h"
#include "xmalloc.h"

#define AGG_PROCS	50	/* processes listed per application */
#ifndef AGG_MAX_CIRCS
#define AGG_MAX_CIRCS	400000	/* circuits aggregated in memory */
#endif
#define AGG_GAP		1024	/* a key this far ahead: seek, not step */
#define AGG_PCACHE	4	/* (pid, process) an application saw last */
#define AGG_PNAME	64	/* longest process name the cache holds */

#define AGG_ALONE	UINT32_MAX	/* unit: not a leg of a conflux set */
#define AGG_SHARED	0x80000000u	/* sidx: its exit circuit is shared */

/* For the unit tests: the in-memory bound (0: AGG_MAX_CIRCS). */
void
store_agg_max_circs(struct store *s, size_t n)
{
	s->agg_max = n;
	store_agg_free(s->agg);
	s->agg = NULL;
}

/* --- applications --------------------------------------------------------- */

/* An application's processes: the AGG_PROCS smallest distinct, sorted. */
struct agg_procs {
	char		*p[AGG_PROCS];
	size_t		 n;
};

static void
agg_procs_clear(struct agg_procs *a)
{
	while (a->n > 0)
		free(a->p[--a->n]);
}

/* Keeps x among the AGG_PROCS smallest distinct processes (sorted). */
static void
agg_proc(struct agg_procs *a, const char *x)
{
	size_t lo = 0, hi = a->n, mid;
	int c;

	if (a->n == AGG_PROCS && strcmp(x, a->p[AGG_PROCS - 1]) >= 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(a->p[mid], x)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->n == AGG_PROCS)
		free(a->p[--a->n]);
	memmove(&a->p[lo + 1], &a->p[lo], (a->n - lo) * sizeof a->p[0]);
	a->p[lo] = xstrdup(x);
	a->n++;
}

/* A (pid, process) an application saw lately: already among its procs. */
struct agg_pseen {
	int64_t		 pid;
	int		 used;
	int		 null;		/* process NULL */
	char		 name[AGG_PNAME];
};

/* What an application adds up to in the range. */
struct agg_app {
	int64_t		 id;
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first;
	int64_t		 last;
	int		 has_first;
	int		 has_last;
	char		**lis;		/* distinct listeners, sorted */
	size_t		 nlis;
	size_t		 clis;
	size_t		 lis_hit;	/* the one matched last */
	struct agg_procs procs;
	struct agg_pseen pseen[AGG_PCACHE];
	unsigned	 pnext;
};

static int
agg_app_cmp(const void *a, const void *b)
{
	const struct agg_app *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A circuit streams of the range were attached to. */
struct agg_circ {
	int64_t		 circ_id;
	int64_t		 app;		/* its lowest application id, 0 none */
	uint32_t	 streams;
	uint32_t	 more;		/* pool: its other applications, 0 none */
	uint32_t	 unit;		/* its exit circuit's entry, AGG_ALONE */
	uint32_t	 sidx;		/* sessions[], | AGG_SHARED */
};

/* The other applications of a circuit, a sorted list. */
struct agg_node {
	int64_t		 app;
	uint32_t	 next;
};

/* A pair of applications (a < b) and the exit circuits both used. */
struct agg_pair {
	int64_t		 a;
	int64_t		 b;
	long		 n;
};

/* A conflux set of the session being merged, by its id. */
struct agg_cfx {
	char		*id;
	uint32_t	 unit;
};

struct agg {
	struct store_range range;
	int		 spilled;	/* circuits in temporary tables */
	long		 nstreams;	/* in range */
	int		 onion;		/* one of them to an onion target */
	int		 unsorted;	/* key order is not (session, opened)
					   order (store_each_stream) */
	int64_t		 prev_session;
	int64_t		 prev_opened;
	int		 prev_null;	/* opened NULL */

	struct agg_app	*apps;		/* by id */
	size_t		 napps;
	size_t		 app_hit;

	int64_t		*sessions;	/* of the range, ascending */
	size_t		 nsessions;
	size_t		 csessions;

	struct agg_circ	*c;		/* sorted by (session, circ_id) once
					   made */
	size_t		 nc;
	size_t		 cc;
	struct hindex	 cidx;		/* c[] while it is made */
	size_t		 c_hit;
	struct agg_node	*pool;		/* [0] unused */
	size_t		 npool;
	size_t		 cpool;
	long		 nshared;	/* circuits of a shared exit circuit */

	struct agg_pair	*pairs;		/* sorted once made */
	size_t		 npairs;
	size_t		 cpairs;
	struct hindex	 pidx;
};

static void
agg_circs_free(struct agg *g)
{
	free(g->c);
	g->c = NULL;
	g->nc = g->cc = 0;
	hindex_free(&g->cidx);
	free(g->pool);
	g->pool = NULL;
	g->npool = g->cpool = 0;
}

/* Frees the aggregates (the temporary tables go with the connection). */
void
store_agg_free(struct agg *g)
{
	size_t i, j;

	if (g == NULL)
		return;
	for (i = 0; i < g->napps; i++) {
		for (j = 0; j < g->apps[i].nlis; j++)
			free(g->apps[i].lis[j]);
		free(g->apps[i].lis);
		agg_procs_clear(&g->apps[i].procs);
	}
	free(g->apps);
	free(g->sessions);
	agg_circs_free(g);
	free(g->pairs);
	hindex_free(&g->pidx);
	free(g);
}

static int
same_range(const struct store_range *a, const struct store_range *b)
{
	return a->session == b->session && a->from == b->from &&
	    a->to == b->to;
}

static struct agg_app *
agg_app_find(struct agg *g, int64_t id)
{
	struct agg_app want, *a;

	if (g->app_hit < g->napps && g->apps[g->app_hit].id == id)
		return &g->apps[g->app_hit];
	want.id = id;
	if (g->napps == 0)
		return NULL;
	a = bsearch(&want, g->apps, g->napps, sizeof *g->apps, agg_app_cmp);
	if (a != NULL)
		g->app_hit = (size_t)(a - g->apps);
	return a;
}

/* Adds listener l to a's sorted set. */
static void
agg_listener(struct agg_app *a, const char *l)
{
	size_t lo = 0, hi = a->nlis, mid;
	int c;

	if (a->lis_hit < a->nlis && strcmp(a->lis[a->lis_hit], l) == 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(a->lis[mid], l)) == 0) {
			a->lis_hit = mid;
			return;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nlis == a->clis) {
		a->clis = a->clis ? a->clis * 2 : 4;
		a->lis = xreallocarray(a->lis, a->clis, sizeof *a->lis);
	}
	memmove(&a->lis[lo + 1], &a->lis[lo], (a->nlis - lo) * sizeof *a->lis);
	a->lis[lo] = xstrdup(l);
	a->nlis++;
	a->lis_hit = lo;
}

/* Adds process pr (NULL: unknown) of pid to a's processes. */
static void
agg_process(struct agg_app *a, int64_t pid, const char *pr)
{
	struct agg_pseen *p;
	char x[256];
	size_t i;

	for (i = 0; i < AGG_PCACHE; i++) {
		p = &a->pseen[i];
		if (p->used && p->pid == pid && (pr == NULL ? p->null :
		    !p->null && strcmp(p->name, pr) == 0))
			return;
	}
	snprintf(x, sizeof x, "%s[%" PRId64 "]", pr != NULL ? pr : "?", pid);
	agg_proc(&a->procs, x);
	if (pr != NULL && strlen(pr) >= AGG_PNAME)
		return;
	p = &a->pseen[a->pnext++ % AGG_PCACHE];
	p->used = 1;
	p->pid = pid;
	p->null = pr == NULL;
	if (pr != NULL)
		memcpy(p->name, pr, strlen(pr) + 1);
}

/* --- circuits: made while the streams are read ------------------------------ */

static uint64_t
circ_hash(uint32_t sidx, int64_t circ_id)
{
	return mix64(mix64(0, sidx), (uint64_t)circ_id);
}

/* Adds app (0: none) to the sorted applications of circuit e. */
static void
circ_app(struct agg *g, struct agg_circ *e, int64_t app)
{
	uint32_t prev = 0, cur, n;

	if (app == 0 || app == e->app)
		return;
	if (e->app == 0) {
		e->app = app;
		return;
	}
	if (app < e->app) {
		int64_t t = e->app;

		e->app = app;
		app = t;
	}
	for (cur = e->more; cur != 0 && g->pool[cur].app < app;
	    cur = g->pool[cur].next)
		prev = cur;
	if (cur != 0 && g->pool[cur].app == app)
		return;
	if (g->npool == g->cpool) {
		g->cpool = g->cpool ? g->cpool * 2 : 64;
		g->pool = xreallocarray(g->pool, g->cpool, sizeof *g->pool);
		if (g->npool == 0)
			g->npool = 1;	/* 0 is the end of a list */
	}
	n = (uint32_t)g->npool++;
	g->pool[n].app = app;
	g->pool[n].next = cur;
	if (prev == 0)
		e->more = n;
	else
		g->pool[prev].next = n;
}

/*
 * A stream of app (0: none) attached to circuit circ_id of sessions[sidx].
 * Returns 0, or -1 when the circuits no longer fit (then spilled).
 */
static int
circ_add(struct agg *g, size_t max, uint32_t sidx, int64_t circ_id,
    int64_t app)
{
	struct agg_circ *e = NULL;
	size_t i = 0, k;
	uint32_t v;

	if (g->c_hit < g->nc && g->c[g->c_hit].circ_id == circ_id &&
	    g->c[g->c_hit].sidx == sidx)
		e = &g->c[g->c_hit];
	else {
		for (i = hindex_first(&g->cidx, circ_hash(sidx, circ_id));
		    g->cidx.cap != 0 && (v = g->cidx.slot[i]) != 0;
		    i = hindex_next(&g->cidx, i))
			if (g->c[v - 1].circ_id == circ_id &&
			    g->c[v - 1].sidx == sidx) {
				e = &g->c[v - 1];
				break;
			}
		if (e == NULL) {
			if (g->nc >= max || g->npool >= max)
				return -1;
			if (g->nc == g->cc) {
				g->cc = g->cc ? g->cc * 2 : 1024;
				g->c = xreallocarray(g->c, g->cc, sizeof *g->c);
			}
			e = &g->c[g->nc];
			memset(e, 0, sizeof *e);
			e->circ_id = circ_id;
			e->sidx = sidx;
			e->unit = AGG_ALONE;
			if (hindex_fit(&g->cidx, g->nc + 1, 4096)) {
				for (k = 0; k < g->nc; k++) {
					for (i = hindex_first(&g->cidx,
					    circ_hash(g->c[k].sidx,
					    g->c[k].circ_id));
					    g->cidx.slot[i] != 0;
					    i = hindex_next(&g->cidx, i))
						;
					g->cidx.slot[i] = (uint32_t)k + 1;
				}
				g->cidx.n = g->nc;
				for (i = hindex_first(&g->cidx,
				    circ_hash(sidx, circ_id));
				    g->cidx.slot[i] != 0;
				    i = hindex_next(&g->cidx, i))
					;
			}
			g->cidx.slot[i] = (uint32_t)g->nc + 1;
			g->cidx.n++;
			g->nc++;
		}
		g->c_hit = (size_t)(e - g->c);
	}
	if (e->streams == UINT32_MAX)
		return -1;
	e->streams++;
	circ_app(g, e, app);
	return g->npool > max ? -1 : 0;
}

/* --- reading in key order --------------------------------------------------- */

/*
 * A statement over a table in its primary key's order from a key on
 * ((k1, k2) >= (?1, ?2)), moved forward to the keys a merge asks for.
 */
struct agg_cur {
	sqlite3_stmt	*st;
	int		 started;
	int		 valid;		/* a row is there */
	int64_t		 k1;
	int64_t		 k2;
};

/* Steps c; 0, or -1 on an error. */
static int
cur_step(struct agg_cur *c)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_ROW) {
		c->valid = 1;
		c->k1 = COL_I64(c->st, 0);
		c->k2 = COL_I64(c->st, 1);
		return 0;
	}
	c->valid = 0;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
key_cmp(int64_t a1, int64_t a2, int64_t b1, int64_t b2)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return a2 < b2 ? -1 : a2 > b2;
}

/*
 * Moves c to its first row at or after key (k1, k2): a seek when the key
 * is in another session or far ahead, else steps.  1 when that row has
 * the key, 0 when not, -1 on an error.
 */
static int
cur_to(struct agg_cur *c, int64_t k1, int64_t k2)
{
	if (!c->started || (c->valid && (c->k1 != k1 || (k2 > c->k2 &&
	    (uint64_t)k2 - (uint64_t)c->k2 > AGG_GAP)))) {
		if (c->started && c->valid && key_cmp(c->k1, c->k2, k1,
		    k2) >= 0)
			return c->k1 == k1 && c->k2 == k2;
		sqlite3_reset(c->st);
		sqlite3_bind_int64(c->st, 1, k1);
		sqlite3_bind_int64(c->st, 2, k2);
		c->started = 1;
		if (cur_step(c) == -1)
			return -1;
	}
	while (c->valid && key_cmp(c->k1, c->k2, k1, k2) < 0)
		if (cur_step(c) == -1)
			return -1;
	return c->valid && c->k1 == k1 && c->k2 == k2;
}

/* Prepares c's statement; 0, or -1 with *cause. */
static int
cur_open(struct store *s, struct agg_cur *c, const char *sql, char **cause)
{
	memset(c, 0, sizeof *c);
	if (sqlite3_prepare_v2(s->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
		*cause = xasprintf("database %s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/* Finalizes c; -1 with *cause if it had failed (failed set). */
static int
cur_close(struct store *s, struct agg_cur *c, int failed, char **cause)
{
	int rc = failed ? sqlite3_errcode(s->db) : SQLITE_DONE;

	return store_range_done(s, c->st, rc, cause);
}

/* --- the pass ----------------------------------------------------------------- */

/* Whether a target is one store_each_onion_target lists (LIKE '%.onion'). */
static int
onion_target(const char *t)
{
	size_t n;

	if (t == NULL)
		return 0;
	n = strlen(t);
	return strcmp(t, "onion") == 0 ||
	    (n >= 6 && strncasecmp(t + n - 6, ".onion", 6) == 0);
}

/* The applications (ids) into g->apps; 0, or -1 with *cause. */
static int
agg_load_apps(struct store *s, struct agg *g, const struct store_range *r,
    char **cause)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	if ((st = store_range_stmt(s, "SELECT id FROM app ORDER BY id", r,
	    cause)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (g->napps == cap) {
			cap = cap ? cap * 2 : 64;
			g->apps = xreallocarray(g->apps, cap, sizeof *g->apps);
		}
		memset(&g->apps[g->napps], 0, sizeof g->apps[g->napps]);
		g->apps[g->napps++].id = COL_I64(st, 0);
	}
	return store_range_done(s, st, rc, cause);
}

/* sessions[] index of session (appended: streams come by session). */
static uint32_t
agg_session(struct agg *g, int64_t session)
{
	if (g->nsessions > 0 && g->sessions[g->nsessions - 1] == session)
		return (uint32_t)g->nsessions - 1;
	if (g->nsessions == g->csessions) {
		g->csessions = g->csessions ? g->csessions * 2 : 8;
		g->sessions = xreallocarray(g->sessions, g->csessions,
		    sizeof *g->sessions);
	}
	g->sessions[g->nsessions] = session;
	return (uint32_t)g->nsessions++;
}

/*
 * The streams of the range in key order with their attachments: the
 * applications, and the circuits (until they do not fit).
 */
static int
agg_streams(struct store *s, struct agg *g, const struct store_range *r,
    char **cause)
{
	char where[160], sql[512];
	size_t max = s->agg_max != 0 ? s->agg_max : AGG_MAX_CIRCS;
	struct agg_cur at;
	struct agg_app *a;
	sqlite3_stmt *st;
	int rc, hit;

	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT x.session, x.stream_id, x.app, "
	    "x.opened, x.closed, x.listener, x.pid, x.process, x.target FROM "
	    "stream x WHERE %s ORDER BY x.session, x.stream_id", where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	if (cur_open(s, &at, "SELECT session, stream_id, circ_id FROM attach "
	    "WHERE (session, stream_id) >= (?1, ?2) ORDER BY session, "
	    "stream_id, circ_id", cause) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t session = COL_I64(st, 0), id = COL_I64(st, 1);
		int app_null = sqlite3_column_type(st, 2) == SQLITE_NULL;
		int64_t app = app_null ? 0 : COL_I64(st, 2);
		uint32_t sidx = agg_session(g, session);

		/* As streams_in_order (store_read.c) decides it. */
		{
			int null = sqlite3_column_type(st, 3) == SQLITE_NULL;
			int64_t opened = COL_I64(st, 3);

			if (g->nstreams > 0 && session == g->prev_session &&
			    ((null && !g->prev_null) || (!null &&
			    !g->prev_null && opened < g->prev_opened)))
				g->unsorted = 1;
			g->prev_session = session;
			g->prev_opened = opened;
			g->prev_null = null;
		}
		g->nstreams++;
		if (!g->onion && onion_target(COL_TEXT(st, 8)))
			g->onion = 1;
		if (!app_null && (a = agg_app_find(g, app)) != NULL) {
			a->streams++;
			if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
				int64_t o = COL_I64(st, 3);

				if (!a->has_first || o < a->first)
					a->first = o;
				a->has_first = 1;
			}
			if (sqlite3_column_type(st, 4) != SQLITE_NULL ||
			    sqlite3_column_type(st, 3) != SQLITE_NULL) {
				int64_t l = sqlite3_column_type(st, 4) !=
				    SQLITE_NULL ? COL_I64(st, 4) :
				    COL_I64(st, 3);

				if (!a->has_last || l > a->last)
					a->last = l;
				a->has_last = 1;
			}
			if (sqlite3_column_type(st, 5) != SQLITE_NULL)
				agg_listener(a, COL_TEXT(st, 5));
			if (sqlite3_column_type(st, 6) != SQLITE_NULL)
				agg_process(a, COL_I64(st, 6), COL_TEXT(st, 7));
		}
		if (g->spilled)
			continue;
		if ((hit = cur_to(&at, session, id)) == -1)
			goto fail;
		while (hit && at.valid && at.k1 == session && at.k2 == id) {
			if (circ_add(g, max, sidx, COL_I64(at.st, 2), app) == -1) {
				g->spilled = 1;
				agg_circs_free(g);
				break;
			}
			if (cur_step(&at) == -1)
				goto fail;
		}
	}
	if (cur_close(s, &at, 0, cause) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return store_range_done(s, st, rc, cause);
fail:
	cur_close(s, &at, 1, cause);
	sqlite3_finalize(st);
	return -1;
}

/* --- circuits: exits, conflux sets, sharing -------------------------------- */

static int
circ_cmp(const void *x, const void *y)
{
	const struct agg_circ *a = x, *b = y;

	return key_cmp(a->sidx, a->circ_id, b->sidx, b->circ_id);
}

/* Finds or adds a string of items[] (an index of n) by hash: its index. */
static size_t
str_intern(struct hindex *h, char ***items, size_t *n, size_t *cap,
    const char *str, int *added)
{
	size_t i, k;
	uint32_t v;

	*added = 0;
	if (h->cap != 0)
		for (i = hindex_first(h, fnv1a_str(FNV_OFFSET, str));
		    (v = h->slot[i]) != 0; i = hindex_next(h, i))
			if (strcmp((*items)[v - 1], str) == 0)
				return v - 1;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*items = xreallocarray(*items, *cap, sizeof **items);
	}
	(*items)[*n] = xstrdup(str);
	if (hindex_fit(h, *n + 1, 64))
		for (k = 0; k < *n; k++) {
			for (i = hindex_first(h, fnv1a_str(FNV_OFFSET,
			    (*items)[k])); h->slot[i] != 0;
			    i = hindex_next(h, i))
				;
			h->slot[i] = (uint32_t)k + 1;
		}
	for (i = hindex_first(h, fnv1a_str(FNV_OFFSET, str)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		;
	h->slot[i] = (uint32_t)*n + 1;
	h->n = *n + 1;
	*added = 1;
	return (*n)++;
}

/* A set of 64-bit keys; 1 when key was not in it. */
struct u64set {
	uint64_t	*k;
	size_t		 n;
	size_t		 cap;
	struct hindex	 h;
};

static int
u64set_add(struct u64set *u, uint64_t key)
{
	size_t i, j;
	uint32_t v;

	if (u->h.cap != 0)
		for (i = hindex_first(&u->h, mix64(0, key));
		    (v = u->h.slot[i]) != 0; i = hindex_next(&u->h, i))
			if (u->k[v - 1] == key)
				return 0;
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 256;
		u->k = xreallocarray(u->k, u->cap, sizeof *u->k);
	}
	u->k[u->n] = key;
	if (hindex_fit(&u->h, u->n + 1, 512))
		for (j = 0; j < u->n; j++) {
			for (i = hindex_first(&u->h, mix64(0, u->k[j]));
			    u->h.slot[i] != 0; i = hindex_next(&u->h, i))
				;
			u->h.slot[i] = (uint32_t)j + 1;
		}
	for (i = hindex_first(&u->h, mix64(0, key)); u->h.slot[i] != 0;
	    i = hindex_next(&u->h, i))
		;
	u->h.slot[i] = (uint32_t)u->n + 1;
	u->n++;
	u->h.n = u->n;
	return 1;
}

static void
u64set_free(struct u64set *u)
{
	free(u->k);
	hindex_free(&u->h);
	memset(u, 0, sizeof *u);
}

/* Counts pair (a < b) once more. */
static void
pair_add(struct agg *g, int64_t a, int64_t b)
{
	uint64_t hash = mix64(mix64(0, (uint64_t)a), (uint64_t)b);
	size_t i, k;
	uint32_t v;

	if (g->pidx.cap != 0)
		for (i = hindex_first(&g->pidx, hash); (v = g->pidx.slot[i]) != 0;
		    i = hindex_next(&g->pidx, i))
			if (g->pairs[v - 1].a == a && g->pairs[v - 1].b == b) {
				g->pairs[v - 1].n++;
				return;
			}
	if (g->npairs == g->cpairs) {
		g->cpairs = g->cpairs ? g->cpairs * 2 : 64;
		g->pairs = xreallocarray(g->pairs, g->cpairs, sizeof *g->pairs);
	}
	g->pairs[g->npairs].a = a;
	g->pairs[g->npairs].b = b;
	g->pairs[g->npairs].n = 1;
	if (hindex_fit(&g->pidx, g->npairs + 1, 64))
		for (k = 0; k < g->npairs; k++) {
			for (i = hindex_first(&g->pidx, mix64(mix64(0,
			    (uint64_t)g->pairs[k].a), (uint64_t)g->pairs[k].b));
			    g->pidx.slot[i] != 0; i = hindex_next(&g->pidx, i))
				;
			g->pidx.slot[i] = (uint32_t)k + 1;
		}
	for (i = hindex_first(&g->pidx, hash); g->pidx.slot[i] != 0;
	    i = hindex_next(&g->pidx, i))
		;
	g->pidx.slot[i] = (uint32_t)g->npairs + 1;
	g->npairs++;
	g->pidx.n = g->npairs;
}

static int
pair_cmp(const void *x, const void *y)
{
	const struct agg_pair *a = x, *b = y;

	return key_cmp(a->a, a->b, b->a, b->b);
}

/* The applications of an exit circuit, sorted, distinct. */
struct appset {
	int64_t		*a;
	size_t		 n;
	size_t		 cap;
};

static void
appset_push(struct appset *s, int64_t app)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->a = xreallocarray(s->a, s->cap, sizeof *s->a);
	}
	s->a[s->n++] = app;
}

/* e's applications into s (emptied first), ascending. */
static void
circ_apps(const struct agg *g, const struct agg_circ *e, struct appset *s)
{
	uint32_t k;

	s->n = 0;
	if (e->app == 0)
		return;
	appset_push(s, e->app);
	for (k = e->more; k != 0; k = g->pool[k].next)
		appset_push(s, g->pool[k].app);
}

/* Every pair of the sorted set s once more. */
static void
pairs_of(struct agg *g, const struct appset *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (j = i + 1; j < s->n; j++)
			pair_add(g, s->a[i], s->a[j]);
}

/* A conflux leg's application, for its exit circuit's set. */
struct unit_app {
	uint32_t	 unit;
	int64_t		 app;
};

static int
unit_app_cmp(const void *x, const void *y)
{
	const struct unit_app *a = x, *b = y;

	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	return a->app < b->app ? -1 : a->app > b->app;
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * The circuits, sorted, merged with the circuit table: each one's exit
 * circuit (conflux sets), each application's circuits and exits; then
 * which exit circuits are shared, and the pairs.
 */
static int
agg_circuits(struct store *s, struct agg *g, char **cause)
{
	struct agg_cur cu;
	struct hindex cfx_h, exit_h;
	struct agg_cfx *cfx = NULL;
	char **exits = NULL, **cfx_ids = NULL;
	size_t ncfx = 0, ccfx = 0, nexits = 0, cexits = 0, i, k, m;
	struct u64set app_exits;
	struct appset set;
	struct unit_app *ua = NULL;
	size_t nua = 0, cua = 0;
	uint32_t *shared_units = NULL, cursid = UINT32_MAX;
	size_t nsu = 0, csu = 0;
	int hit, added, ret = -1;

	hindex_free(&g->cidx);
	/* Streams come in key order, their circuits mostly too. */
	for (i = 1; i < g->nc && circ_cmp(&g->c[i - 1], &g->c[i]) < 0; i++)
		;
	if (i < g->nc)
		qsort(g->c, g->nc, sizeof *g->c, circ_cmp);
	hindex_init(&cfx_h);
	hindex_init(&exit_h);
	memset(&app_exits, 0, sizeof app_exits);
	memset(&set, 0, sizeof set);
	if (cur_open(s, &cu, "SELECT session, circ_id, conflux_id, exit_fp "
	    "FROM circuit WHERE (session, circ_id) >= (?1, ?2) ORDER BY "
	    "session, circ_id", cause) == -1)
		goto out;
	for (i = 0; i < g->nc; i++) {
		struct agg_circ *e = &g->c[i];
		const char *conflux = NULL, *exit = NULL;

		if (e->sidx != cursid) {
			/* Conflux sets are a session's. */
			for (k = 0; k < ncfx; k++)
				free(cfx_ids[k]);
			ncfx = 0;
			hindex_clear(&cfx_h);
			cursid = e->sidx;
		}
		if ((hit = cur_to(&cu, g->sessions[e->sidx], e->circ_id)) ==
		    -1) {
			cur_close(s, &cu, 1, cause);
			goto out;
		}
		if (hit) {
			conflux = COL_TEXT(cu.st, 2);
			exit = COL_TEXT(cu.st, 3);
		}
		if (conflux != NULL && conflux[0] != '\0') {
			k = str_intern(&cfx_h, &cfx_ids, &ncfx, &ccfx, conflux,
			    &added);
			if (added) {
				cfx = xreallocarray(cfx, ccfx, sizeof *cfx);
				cfx[k].unit = (uint32_t)i;
			}
			e->unit = cfx[k].unit;
		}
		circ_apps(g, e, &set);
		for (k = 0; k < set.n; k++) {
			struct agg_app *a = agg_app_find(g, set.a[k]);

			if (e->unit != AGG_ALONE) {
				if (nua == cua) {
					cua = cua ? cua * 2 : 64;
					ua = xreallocarray(ua, cua, sizeof *ua);
				}
				ua[nua].unit = e->unit;
				ua[nua++].app = set.a[k];
			}
			if (a == NULL)
				continue;
			a->circuits++;
			if (exit == NULL)
				continue;
			m = str_intern(&exit_h, &exits, &nexits, &cexits, exit,
			    &added);
			if (u64set_add(&app_exits, (uint64_t)(a - g->apps) <<
			    32 | m))
				a->exits++;
		}
		if (e->unit == AGG_ALONE && set.n > 1) {
			e->sidx |= AGG_SHARED;
			g->nshared++;
			pairs_of(g, &set);
		}
	}
	if (cur_close(s, &cu, 0, cause) == -1)
		goto out;
	/* The exit circuits of conflux sets: their legs' applications. */
	if (nua > 1)
		qsort(ua, nua, sizeof *ua, unit_app_cmp);
	for (i = 0; i < nua; i = m) {
		set.n = 0;
		for (m = i; m < nua && ua[m].unit == ua[i].unit; m++)
			if (set.n == 0 || set.a[set.n - 1] != ua[m].app)
				appset_push(&set, ua[m].app);
		if (set.n > 1) {
			if (nsu == csu) {
				csu = csu ? csu * 2 : 64;
				shared_units = xreallocarray(shared_units, csu,
				    sizeof *shared_units);
			}
			shared_units[nsu++] = ua[i].unit;
			pairs_of(g, &set);
		}
	}
	for (i = 0; nsu > 0 && i < g->nc; i++) {
		uint32_t u = g->c[i].unit;

		if (u != AGG_ALONE && bsearch(&u, shared_units, nsu,
		    sizeof *shared_units, u32_cmp) != NULL) {
			g->c[i].sidx |= AGG_SHARED;
			g->nshared++;
		}
	}
	if (g->npairs > 1)
		qsort(g->pairs, g->npairs, sizeof *g->pairs, pair_cmp);
	hindex_free(&g->pidx);
	ret = 0;
out:
	for (k = 0; k < ncfx; k++)
		free(cfx_ids[k]);
	free(cfx_ids);
	free(cfx);
	for (k = 0; k < nexits; k++)
		free(exits[k]);
	free(exits);
	hindex_free(&cfx_h);
	hindex_free(&exit_h);
	u64set_free(&app_exits);
	free(set.a);
	free(ua);
	free(shared_units);
	return ret;
}

/* --- the temporary tables, past AGG_MAX_CIRCS ---------------------------------- */

/* Runs sql with the range bound; 0, or -1 with *cause. */
static int
agg_exec(struct store *s, const char *sql, const struct store_range *r,
    char **cause)
{
	sqlite3_stmt *st = store_range_stmt(s, sql, r, cause);

	if (st == NULL)
		return -1;
	return store_range_done(s, st, sqlite3_step(st), cause);
}

/* Makes the temporary tables for range r, and each app's circuits. */
static int
agg_tables(struct store *s, struct agg *g, const struct store_range *r,
    char **cause)
{
	char where[160], sql[768];
	struct agg_app *a;
	sqlite3_stmt *st;
	int rc;

	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "INSERT INTO temp.rep_ca SELECT a.session, "
	    "a.circ_id, coalesce(x.app, 0), count(*) FROM stream x JOIN "
	    "attach a ON a.session = x.session AND a.stream_id = x.stream_id "
	    "WHERE %s GROUP BY a.session, a.circ_id, coalesce(x.app, 0)",
	    where);
	if (store_exec(s, "DROP TABLE IF EXISTS temp.rep_ca; "
	    "DROP TABLE IF EXISTS temp.rep_cu; "
	    "DROP TABLE IF EXISTS temp.rep_ua; "
	    "CREATE TEMP TABLE rep_ca (session INTEGER, circ_id INTEGER, "
	    "app INTEGER, n INTEGER, PRIMARY KEY (session, circ_id, app)) "
	    "WITHOUT ROWID; "
	    "CREATE TEMP TABLE rep_cu (session INTEGER, circ_id INTEGER, "
	    "unit INTEGER, streams INTEGER, PRIMARY KEY (session, circ_id)) "
	    "WITHOUT ROWID; "
	    "CREATE TEMP TABLE rep_ua (session INTEGER, unit INTEGER, "
	    "app INTEGER, PRIMARY KEY (session, unit, app)) WITHOUT ROWID",
	    cause) == -1 ||
	    agg_exec(s, sql, r, cause) == -1 ||
	    store_exec(s, "INSERT INTO temp.rep_cu SELECT r.session, "
	    "r.circ_id, CASE WHEN c.conflux_id IS NULL OR c.conflux_id = '' "
	    "THEN r.circ_id ELSE min(r.circ_id) OVER (PARTITION BY r.session, "
	    "c.conflux_id) END, r.streams FROM (SELECT session, circ_id, "
	    "sum(n) AS streams FROM temp.rep_ca GROUP BY session, circ_id) r "
	    "LEFT JOIN main.circuit c ON c.session = r.session AND "
	    "c.circ_id = r.circ_id", cause) == -1 ||
	    store_exec(s, "CREATE INDEX temp.rep_cu_unit ON rep_cu(session, "
	    "unit, circ_id); INSERT OR IGNORE INTO temp.rep_ua SELECT "
	    "u.session, u.unit, a.app FROM temp.rep_ca a JOIN temp.rep_cu u "
	    "ON u.session = a.session AND u.circ_id = a.circ_id WHERE "
	    "a.app != 0", cause) == -1)
		return -1;
	if ((st = store_range_stmt(s, "SELECT a.app, count(*), "
	    "count(DISTINCT c.exit_fp) FROM temp.rep_ca a LEFT JOIN "
	    "main.circuit c ON c.session = a.session AND c.circ_id = "
	    "a.circ_id WHERE a.app != 0 GROUP BY a.app", r, cause)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((a = agg_app_find(g, COL_I64(st, 0))) == NULL)
			continue;
		a->circuits = (long)COL_I64(st, 1);
		a->exits = (long)COL_I64(st, 2);
	}
	return store_range_done(s, st, rc, cause);
}

/* Makes the aggregates of range r, unless they are those already. */
static int
agg_make(struct store *s, const struct store_range *r, char **cause)
{
	struct agg *g;

	if (s->agg != NULL && same_range(&s->agg->range, r))
		return 0;
	store_agg_free(s->agg);
	s->agg = NULL;
	g = xcalloc(1, sizeof *g);
	g->range = *r;
	if (agg_load_apps(s, g, r, cause) == -1 ||
	    agg_streams(s, g, r, cause) == -1 ||
	    (!g->spilled && agg_circuits(s, g, cause) == -1) ||
	    (g->spilled && agg_tables(s, g, r, cause) == -1)) {
		store_agg_free(g);
		return -1;
	}
	s->agg = g;
	return 0;
}

int
store_agg_streams(struct store *s, const struct store_range *r,
    long *nstreams, int *onion, int *sorted)
{
	if (s->agg == NULL || !same_range(&s->agg->range, r))
		return 0;
	*nstreams = s->agg->nstreams;
	*onion = s->agg->onion;
	*sorted = !s->agg->unsorted;
	return 1;
}

int
store_each_app(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_app_row *, void *), void *arg, char **cause)
{
	struct store_app_row row;
	struct agg_app *a;
	struct buf pb, lb;
	sqlite3_stmt *st;
	size_t k;
	int rc;

	if (agg_make(s, r, cause) == -1)
		return -1;
	/* In the order of the identities. */
	if ((st = store_range_stmt(s, "SELECT id, label, host, sub FROM app "
	    "ORDER BY label, host, sub", r, cause)) == NULL)
		return -1;
	buf_init(&pb);
	buf_init(&lb);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((a = agg_app_find(s->agg, COL_I64(st, 0))) == NULL ||
		    a->streams == 0)
			continue;	/* no stream in range */
		buf_reset(&pb);
		for (k = 0; k < a->procs.n; k++) {
			if (k > 0)
				buf_addc(&pb, ' ');
			buf_adds(&pb, a->procs.p[k]);
		}
		buf_reset(&lb);
		for (k = 0; k < a->nlis; k++) {
			if (k > 0)
				buf_addc(&lb, ' ');
			buf_adds(&lb, a->lis[k]);
		}
		memset(&row, 0, sizeof row);
		row.id = a->id;
		row.label = COL_TEXT(st, 1);
		row.host = COL_TEXT(st, 2);
		row.sub = COL_TEXT(st, 3);
		row.streams = a->streams;
		row.first_seen = a->first;
		row.last_seen = a->last;
		row.circuits = a->circuits;
		row.exits = a->exits;
		row.listeners = a->nlis > 0 ? buf_cstr(&lb) : NULL;
		row.processes = a->procs.n > 0 ? buf_cstr(&pb) : NULL;
		fn(&row, arg);
	}
	buf_free(&pb);
	buf_free(&lb);
	return store_range_done(s, st, rc, cause);
}

/* --- circuits --------------------------------------------------------------- */

/* A circuit of rep_cu (the columns of CIRC_COLS) as a row. */
#define CIRC_COLS "u.session, u.circ_id, c.purpose, c.conflux_id, " \
	"c.exit_fp, c.exit_nick, c.created, c.closed, u.streams, " \
	"(SELECT group_concat(a.app) FROM temp.rep_ca a WHERE a.session = " \
	"u.session AND a.circ_id = u.circ_id AND a.app != 0) "

static void
circ_row(sqlite3_stmt *st, struct store_circ_row *row)
{
	memset(row, 0, sizeof *row);
	row->session = COL_I64(st, 0);
	row->circ_id = (uint64_t)COL_I64(st, 1);
	row->purpose = COL_TEXT(st, 2);
	row->conflux_id = COL_TEXT(st, 3);
	row->exit_fp = COL_TEXT(st, 4);
	row->exit_nick = COL_TEXT(st, 5);
	row->created = COL_I64(st, 6);
	row->closed = COL_I64(st, 7);
	row->streams = (long)COL_I64(st, 8);
	row->apps = COL_TEXT(st, 9);
}

/* Hands each row of sql (CIRC_COLS) to fn; 0 or -1 with *cause. */
static int
circ_walk(struct store *s, const char *sql, const struct store_range *r,
    long limit, void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	struct store_circ_row row;
	sqlite3_stmt *st;
	int rc;

	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		circ_row(st, &row);
		fn(&row, arg);
	}
	return store_range_done(s, st, rc, cause);
}

/*
 * Circuit e as a row: its columns from st (purpose, conflux_id, exit_fp,
 * exit_nick, created, closed from column col on; NULL st: a circuit the
 * table does not hold), its applications into b.
 */
static void
circ_mem_row(const struct agg *g, const struct agg_circ *e,
    sqlite3_stmt *st, int col, struct buf *b, struct store_circ_row *row)
{
	uint32_t k;

	memset(row, 0, sizeof *row);
	row->session = g->sessions[e->sidx & ~AGG_SHARED];
	row->circ_id = (uint64_t)e->circ_id;
	if (st != NULL) {
		row->purpose = COL_TEXT(st, col);
		row->conflux_id = COL_TEXT(st, col + 1);
		row->exit_fp = COL_TEXT(st, col + 2);
		row->exit_nick = COL_TEXT(st, col + 3);
		row->created = COL_I64(st, col + 4);
		row->closed = COL_I64(st, col + 5);
	}
	row->streams = (long)e->streams;
	buf_reset(b);
	if (e->app != 0) {
		buf_add_i64(b, e->app);
		for (k = e->more; k != 0; k = g->pool[k].next) {
			buf_addc(b, ',');
			buf_add_i64(b, g->pool[k].app);
		}
		row->apps = buf_cstr(b);
	}
}

int
store_each_circuit(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	struct store_circ_row row;
	struct agg_cur cu;
	struct agg *g;
	struct buf b;
	size_t i;
	int hit;

	if (agg_make(s, r, cause) == -1)
		return -1;
	g = s->agg;
	if (g->spilled)
		return circ_walk(s, "SELECT " CIRC_COLS "FROM temp.rep_cu u "
		    "LEFT JOIN main.circuit c ON c.session = u.session AND "
		    "c.circ_id = u.circ_id ORDER BY u.session, u.circ_id LIMIT "
		    "?4", r, -1, fn, arg, cause);
	if (cur_open(s, &cu, "SELECT session, circ_id, purpose, conflux_id, "
	    "exit_fp, exit_nick, created, closed FROM circuit WHERE (session, "
	    "circ_id) >= (?1, ?2) ORDER BY session, circ_id", cause) == -1)
		return -1;
	buf_init(&b);
	for (i = 0; i < g->nc; i++) {
		const struct agg_circ *e = &g->c[i];

		hit = cur_to(&cu, g->sessions[e->sidx & ~AGG_SHARED],
		    e->circ_id);
		if (hit == -1) {
			buf_free(&b);
			return cur_close(s, &cu, 1, cause);
		}
		circ_mem_row(g, e, hit ? cu.st : NULL, 2, &b, &row);
		fn(&row, arg);
	}
	buf_free(&b);
	return cur_close(s, &cu, 0, cause);
}

/* One integer from sql (range bound); 0 or -1 with *cause. */
static int
agg_count(struct store *s, const char *sql, const struct store_range *r,
    long *n, char **cause)
{
	sqlite3_stmt *st = store_range_stmt(s, sql, r, cause);
	int rc;

	if (st == NULL)
		return -1;
	*n = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)COL_I64(st, 0);
		rc = SQLITE_DONE;
	}
	return store_range_done(s, st, rc, cause);
}

int
store_count_circuits(struct store *s, const struct store_range *r, long *n,
    char **cause)
{
	if (agg_make(s, r, cause) == -1)
		return -1;
	if (s->agg->spilled)
		return agg_count(s, "SELECT count(*) FROM temp.rep_cu", r, n,
		    cause);
	*n = (long)s->agg->nc;
	return 0;
}

/* The exit circuits with two applications or more. */
#define SHARED_UNITS "SELECT session, unit FROM temp.rep_ua GROUP BY " \
	"session, unit HAVING count(*) > 1"

static int64_t
unit_id(const struct agg *g, const struct agg_circ *e)
{
	return e->unit == AGG_ALONE ? e->circ_id : g->c[e->unit].circ_id;
}

/* Shared circuits in the order of their exit circuit (session, unit, id). */
static int
shared_cmp(const void *x, const void *y, void *arg)
{
	const struct agg *g = arg;
	const struct agg_circ *a = &g->c[*(const uint32_t *)x];
	const struct agg_circ *b = &g->c[*(const uint32_t *)y];
	int c;

	if ((c = key_cmp(a->sidx & ~AGG_SHARED, unit_id(g, a),
	    b->sidx & ~AGG_SHARED, unit_id(g, b))) != 0)
		return c;
	return a->circ_id < b->circ_id ? -1 : a->circ_id > b->circ_id;
}

int
store_each_shared_circuit(struct store *s, const struct store_range *r,
    long limit, void (*fn)(const struct store_circ_row *, void *), void *arg,
    long *total, char **cause)
{
	struct store_circ_row row;
	struct agg *g;
	sqlite3_stmt *st;
	uint32_t *idx;
	size_t n = 0, i;
	struct buf b;
	int rc = SQLITE_DONE;

	if (agg_make(s, r, cause) == -1)
		return -1;
	g = s->agg;
	if (g->spilled) {
		if (agg_count(s, "SELECT count(*) FROM temp.rep_cu WHERE "
		    "(session, unit) IN (" SHARED_UNITS ")", r, total,
		    cause) == -1)
			return -1;
		return circ_walk(s, "SELECT " CIRC_COLS "FROM temp.rep_cu u "
		    "LEFT JOIN main.circuit c ON c.session = u.session AND "
		    "c.circ_id = u.circ_id WHERE (u.session, u.unit) IN ("
		    SHARED_UNITS ") ORDER BY u.session, u.unit, u.circ_id "
		    "LIMIT ?4", r, limit, fn, arg, cause);
	}
	*total = g->nshared;
	if (g->nshared == 0 || limit == 0)
		return 0;
	idx = xreallocarray(NULL, (size_t)g->nshared, sizeof *idx);
	for (i = 0; i < g->nc; i++)
		if (g->c[i].sidx & AGG_SHARED)
			idx[n++] = (uint32_t)i;
	qsort_r(idx, n, sizeof *idx, shared_cmp, g);
	if ((st = store_range_stmt(s, "SELECT purpose, conflux_id, exit_fp, "
	    "exit_nick, created, closed FROM circuit WHERE session = ?1 AND "
	    "circ_id = ?2", r, cause)) == NULL) {
		free(idx);
		return -1;
	}
	buf_init(&b);
	for (i = 0; i < n && (limit < 0 || (long)i < limit); i++) {
		const struct agg_circ *e = &g->c[idx[i]];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, g->sessions[e->sidx & ~AGG_SHARED]);
		sqlite3_bind_int64(st, 2, e->circ_id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		circ_mem_row(g, e, rc == SQLITE_ROW ? st : NULL, 0, &b, &row);
		fn(&row, arg);
		rc = SQLITE_DONE;
	}
	buf_free(&b);
	free(idx);
	return store_range_done(s, st, rc, cause);
}

int
store_each_share(struct store *s, const struct store_range *r,
    void (*fn)(int64_t, int64_t, long, void *), void *arg, char **cause)
{
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (agg_make(s, r, cause) == -1)
		return -1;
	if (!s->agg->spilled) {
		for (i = 0; i < s->agg->npairs; i++)
			fn(s->agg->pairs[i].a, s->agg->pairs[i].b,
			    s->agg->pairs[i].n, arg);
		return 0;
	}
	st = store_range_stmt(s, "SELECT a.app, b.app, count(*) FROM "
	    "temp.rep_ua a JOIN temp.rep_ua b ON b.session = a.session AND "
	    "b.unit = a.unit AND b.app > a.app GROUP BY a.app, b.app", r,
	    cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(COL_I64(st, 0), COL_I64(st, 1), (long)COL_I64(st, 2), arg);
	return store_range_done(s, st, rc, cause);
}
