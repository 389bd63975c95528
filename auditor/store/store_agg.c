/*
 * store_agg.c: store_each_app and store_each_circuit, from one pass over
 * the streams of a range and their attachments.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

/*
 * What report asks of the streams in a range (per application: listeners,
 * processes, streams, circuits, exits, first and last seen; per circuit:
 * its applications and streams) comes from one pass over the streams and
 * their attachments, aggregated here, instead of one SQL statement per
 * question (each of which made sqlite build temporary indexes and sort
 * the streams).  store_each_app() makes it and keeps the circuits for the
 * store_each_circuit() call that follows (the same range, no write
 * between); either works alone.
 */

/*
 * An index of triples of integers: item i's key is k[3 i .. 3 i + 2], and
 * item i is what the aggregator keeps under it (an application, a circuit,
 * a circuit's row, an exit, an application's exit).  Only ever added to.
 */
struct agg_index {
	struct hindex	 h;
	int64_t		*k;
	size_t		 n;
	size_t		 cap;
};

static uint64_t
agg_index_hash(int64_t a, int64_t b, int64_t c)
{
	return mix64(mix64(mix64(0, (uint64_t)a), (uint64_t)b), (uint64_t)c);
}

/* The item with key (a, b, c), or -1. */
static long
agg_index_find(const struct agg_index *m, int64_t a, int64_t b, int64_t c)
{
	const int64_t *k;
	size_t i;

	if (m->h.cap == 0)
		return -1;
	for (i = hindex_first(&m->h, agg_index_hash(a, b, c));
	    m->h.slot[i] != 0; i = hindex_next(&m->h, i)) {
		k = &m->k[3 * (size_t)(m->h.slot[i] - 1)];
		if (k[0] == a && k[1] == b && k[2] == c)
			return (long)m->h.slot[i] - 1;
	}
	return -1;
}

/* Gives item i a slot (hindex_fit made room). */
static void
agg_index_slot(struct agg_index *m, size_t i)
{
	const int64_t *k = &m->k[3 * i];
	size_t j;

	for (j = hindex_first(&m->h, agg_index_hash(k[0], k[1], k[2]));
	    m->h.slot[j] != 0; j = hindex_next(&m->h, j))
		;
	m->h.slot[j] = (uint32_t)i + 1;
	m->h.n++;
}

/* Adds (a, b, c) as the next item and returns it (a key added twice is
 * found as its first item). */
static size_t
agg_index_add(struct agg_index *m, int64_t a, int64_t b, int64_t c)
{
	size_t i;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->k = xreallocarray(m->k, m->cap, 3 * sizeof *m->k);
	}
	m->k[3 * m->n] = a;
	m->k[3 * m->n + 1] = b;
	m->k[3 * m->n + 2] = c;
	if (hindex_fit(&m->h, m->n + 1, 256))
		for (i = 0; i < m->n; i++)
			agg_index_slot(m, i);
	agg_index_slot(m, m->n);
	return m->n++;
}

static void
agg_index_free(struct agg_index *m)
{
	hindex_free(&m->h);
	free(m->k);
	memset(m, 0, sizeof *m);
}

#define AGG_PROCS	50	/* processes listed per application */

struct agg_app {
	int64_t		 id;
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first;		/* min(opened) */
	int64_t		 last;		/* max(coalesce(closed, opened)) */
	int		 has_first, has_last;
	char		**lis;		/* distinct listeners */
	size_t		 nlis;
	char		*procs[AGG_PROCS];	/* the smallest, sorted */
	size_t		 nprocs;
	int64_t		 last_pid;	/* of the stream before, when */
	char		 last_proc[64];	/* has_proc: most are alike */
	int		 has_proc;
};

struct agg_circ {
	int64_t		 session;
	int64_t		 circ;
	long		 streams;
	int64_t		*apps;		/* distinct */
	size_t		 napps;
	long		 info;		/* in circuit table: index, or -1 */
};

struct agg_info {			/* a row of the circuit table */
	char		*purpose;
	char		*conflux;
	char		*exit_fp;
	char		*exit_nick;
	int64_t		 created;
	int64_t		 closed;
	int64_t		 exit_id;	/* interned exit_fp, or -1 */
};

struct agg {
	struct store_range range;
	struct agg_app	*apps;
	size_t		 napps;
	size_t		 apps_cap;
	struct agg_circ	*circs;
	size_t		 ncircs;
	size_t		 circs_cap;
	struct agg_info	*info;
	size_t		 ninfo;
	size_t		 info_cap;
	struct agg_index app_idx;	/* (app): apps[] */
	struct agg_index circ_idx;	/* (session, circ): circs[] */
	struct agg_index info_idx;	/* (session, circ): info[] */
	struct agg_index app_exit;	/* (app, exit id) seen */
	struct agg_index exits;		/* (hash, hash, length) of exit_fp:
					   the exit ids */
};

/* Frees the pass; takes NULL. */
void
store_agg_free(struct agg *g)
{
	size_t i, k;

	if (g == NULL)
		return;
	for (i = 0; i < g->napps; i++) {
		for (k = 0; k < g->apps[i].nlis; k++)
			free(g->apps[i].lis[k]);
		free(g->apps[i].lis);
		for (k = 0; k < g->apps[i].nprocs; k++)
			free(g->apps[i].procs[k]);
	}
	free(g->apps);
	for (i = 0; i < g->ncircs; i++)
		free(g->circs[i].apps);
	free(g->circs);
	for (i = 0; i < g->ninfo; i++) {
		free(g->info[i].purpose);
		free(g->info[i].conflux);
		free(g->info[i].exit_fp);
		free(g->info[i].exit_nick);
	}
	free(g->info);
	agg_index_free(&g->app_idx);
	agg_index_free(&g->circ_idx);
	agg_index_free(&g->info_idx);
	agg_index_free(&g->app_exit);
	agg_index_free(&g->exits);
	free(g);
}

/* Keeps x among the AGG_PROCS smallest distinct processes (sorted). */
static void
agg_proc(struct agg_app *a, const char *x)
{
	size_t lo = 0, hi = a->nprocs, mid;
	int c;

	if (a->nprocs == AGG_PROCS && strcmp(x, a->procs[AGG_PROCS - 1]) >= 0)
		return;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(a->procs[mid], x)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nprocs == AGG_PROCS)
		free(a->procs[--a->nprocs]);
	memmove(&a->procs[lo + 1], &a->procs[lo],
	    (a->nprocs - lo) * sizeof a->procs[0]);
	a->procs[lo] = xstrdup(x);
	a->nprocs++;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_i64v(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_circ(const void *a, const void *b)
{
	const struct agg_circ *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return x->circ < y->circ ? -1 : x->circ > y->circ;
}

/* Adds the circuit row at st (agg_circuits' columns) to g->info. */
static void
agg_info_add(struct agg *g, sqlite3_stmt *st)
{
	struct agg_info *in;
	const char *fp;

	if (g->ninfo == g->info_cap) {
		g->info_cap = g->info_cap ? g->info_cap * 2 : 256;
		g->info = xreallocarray(g->info, g->info_cap, sizeof *g->info);
	}
	in = &g->info[g->ninfo];
	in->purpose = xstrdup_or_null(COL_TEXT(st, 2));
	in->conflux = xstrdup_or_null(COL_TEXT(st, 3));
	in->exit_fp = xstrdup_or_null(COL_TEXT(st, 4));
	in->exit_nick = xstrdup_or_null(COL_TEXT(st, 5));
	in->created = COL_I64(st, 6);
	in->closed = COL_I64(st, 7);
	in->exit_id = -1;
	if ((fp = in->exit_fp) != NULL) {
		int64_t h0 = (int64_t)mix_str(0, fp);
		int64_t h7 = (int64_t)mix_str(7, fp);
		int64_t len = (int64_t)strlen(fp);

		if ((in->exit_id = agg_index_find(&g->exits, h0, h7, len)) < 0)
			in->exit_id = (int64_t)agg_index_add(&g->exits, h0, h7,
			    len);
	}
	/* The circuit table's key is unique: info[i] is item i. */
	agg_index_add(&g->info_idx, COL_I64(st, 0), COL_I64(st, 1), 0);
	g->ninfo++;
}

/* The circuits' own rows (exit, purpose ...) into g->info. */
static int
agg_circuits(struct store *s, struct agg *g, const struct store_range *r,
    char **cause)
{
	sqlite3_stmt *st;
	int rc;

	st = store_range_stmt(s, r->session ? "SELECT session, circ_id, "
	    "purpose, conflux_id, exit_fp, exit_nick, created, closed FROM "
	    "circuit WHERE session = ?1" : "SELECT session, circ_id, purpose, "
	    "conflux_id, exit_fp, exit_nick, created, closed FROM circuit",
	    r, cause);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		agg_info_add(g, st);
	return store_range_done(s, st, rc, cause);
}

/* The application with this id, added when new. */
static struct agg_app *
agg_app_get(struct agg *g, int64_t app)
{
	long k;

	if ((k = agg_index_find(&g->app_idx, app, 0, 0)) >= 0)
		return &g->apps[k];
	if (g->napps == g->apps_cap) {
		g->apps_cap = g->apps_cap ? g->apps_cap * 2 : 64;
		g->apps = xreallocarray(g->apps, g->apps_cap, sizeof *g->apps);
	}
	memset(&g->apps[g->napps], 0, sizeof g->apps[0]);
	g->apps[g->napps].id = app;
	agg_index_add(&g->app_idx, app, 0, 0);
	return &g->apps[g->napps++];
}

/* Adds listener l to a's distinct listeners. */
static void
agg_app_listener(struct agg_app *a, const char *l)
{
	size_t i;

	for (i = 0; i < a->nlis; i++)
		if (strcmp(a->lis[i], l) == 0)
			return;
	a->lis = xreallocarray(a->lis, a->nlis + 1, sizeof *a->lis);
	a->lis[a->nlis++] = xstrdup(l);
}

/* Adds process pr (NULL: unknown) with pid to a's processes. */
static void
agg_app_process(struct agg_app *a, int64_t pid, const char *pr)
{
	char x[256];

	if (pr == NULL)
		pr = "?";
	/* The same process as the app's stream before has nothing new to
	 * keep. */
	if (a->has_proc && a->last_pid == pid && strcmp(a->last_proc, pr) == 0)
		return;
	snprintf(x, sizeof x, "%s[%" PRId64 "]", pr, pid);
	agg_proc(a, x);
	a->has_proc = strlen(pr) < sizeof a->last_proc;
	if (a->has_proc) {
		memcpy(a->last_proc, pr, strlen(pr) + 1);
		a->last_pid = pid;
	}
}

/* Counts the stream at st (agg_streams' columns) for its application a. */
static void
agg_app_stream(struct agg_app *a, sqlite3_stmt *st)
{
	const char *l = COL_TEXT(st, 3);
	int has_opened = sqlite3_column_type(st, 6) != SQLITE_NULL;
	int has_closed = sqlite3_column_type(st, 7) != SQLITE_NULL;
	int64_t t;

	a->streams++;
	if (has_opened) {
		t = COL_I64(st, 6);
		if (!a->has_first || t < a->first)
			a->first = t;
		a->has_first = 1;
	}
	if (has_closed || has_opened) {
		t = has_closed ? COL_I64(st, 7) : COL_I64(st, 6);
		if (!a->has_last || t > a->last)
			a->last = t;
		a->has_last = 1;
	}
	if (l != NULL)
		agg_app_listener(a, l);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		agg_app_process(a, COL_I64(st, 4), COL_TEXT(st, 5));
}

/* The circuit (session, circ), added when new. */
static struct agg_circ *
agg_circ_get(struct agg *g, int64_t session, int64_t circ)
{
	struct agg_circ *c;
	long k;

	if ((k = agg_index_find(&g->circ_idx, session, circ, 0)) >= 0)
		return &g->circs[k];
	if (g->ncircs == g->circs_cap) {
		g->circs_cap = g->circs_cap ? g->circs_cap * 2 : 256;
		g->circs = xreallocarray(g->circs, g->circs_cap,
		    sizeof *g->circs);
	}
	c = &g->circs[g->ncircs];
	memset(c, 0, sizeof *c);
	c->session = session;
	c->circ = circ;
	c->info = agg_index_find(&g->info_idx, session, circ, 0);
	agg_index_add(&g->circ_idx, session, circ, 0);
	g->ncircs++;
	return c;
}

/* Counts a stream's attachment to circuit circ; a is its app, or NULL. */
static void
agg_attach(struct agg *g, int64_t session, int64_t circ, struct agg_app *a)
{
	struct agg_circ *c = agg_circ_get(g, session, circ);
	int64_t exit_id;
	size_t i;

	c->streams++;
	if (a == NULL)
		return;
	for (i = 0; i < c->napps; i++)
		if (c->apps[i] == a->id)
			return;		/* this app on this circuit: seen */
	c->apps = xreallocarray(c->apps, c->napps + 1, sizeof *c->apps);
	c->apps[c->napps++] = a->id;
	a->circuits++;
	if (c->info < 0 || (exit_id = g->info[c->info].exit_id) < 0)
		return;
	if (agg_index_find(&g->app_exit, a->id, exit_id, 0) < 0) {
		agg_index_add(&g->app_exit, a->id, exit_id, 0);
		a->exits++;
	}
}

/* Steps to the next attachment row and reads its key (read once). */
static int
att_step(sqlite3_stmt *att, int64_t *session, int64_t *stream,
    int64_t *circ)
{
	int rc = sqlite3_step(att);

	if (rc == SQLITE_ROW) {
		*session = sqlite3_column_int64(att, 0);
		*stream = sqlite3_column_int64(att, 1);
		*circ = sqlite3_column_int64(att, 2);
	}
	return rc;
}

/*
 * Every stream in range, and the attachments, both in key order: merged
 * here (a join looked each stream up in attach, a seek each).
 */
static int
agg_streams(struct store *s, struct agg *g, const struct store_range *r,
    char **cause)
{
	char where[160], sql[640];
	sqlite3_stmt *st, *att;
	int64_t as = 0, ast = 0, acirc = 0;	/* the attachment row */
	int rc, arc;

	store_range_where(where, sizeof where, r);
	snprintf(sql, sizeof sql, "SELECT x.session, x.stream_id, x.app, "
	    "x.listener, x.pid, x.process, x.opened, x.closed FROM stream x "
	    "WHERE %s ORDER BY x.session, x.stream_id", where);
	if ((st = store_range_stmt(s, sql, r, cause)) == NULL)
		return -1;
	att = store_range_stmt(s, r->session ? "SELECT session, stream_id, "
	    "circ_id FROM attach WHERE session = ?1 ORDER BY session, "
	    "stream_id, circ_id" : "SELECT session, stream_id, circ_id FROM "
	    "attach ORDER BY session, stream_id, circ_id", r, cause);
	if (att == NULL) {
		sqlite3_finalize(st);
		return -1;
	}
	arc = att_step(att, &as, &ast, &acirc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t session = COL_I64(st, 0), stream = COL_I64(st, 1);
		struct agg_app *a = NULL;

		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			a = agg_app_get(g, COL_I64(st, 2));
			agg_app_stream(a, st);
		}
		/* Its attachments (those of streams out of range skipped). */
		while (arc == SQLITE_ROW && (as < session ||
		    (as == session && ast < stream)))
			arc = att_step(att, &as, &ast, &acirc);
		for (; arc == SQLITE_ROW && as == session && ast == stream;
		    arc = att_step(att, &as, &ast, &acirc))
			agg_attach(g, session, acirc, a);
	}
	if (arc != SQLITE_ROW && arc != SQLITE_DONE) {
		sqlite3_finalize(att);
		store_range_done(s, st, arc, cause);
		return -1;
	}
	sqlite3_finalize(att);
	return store_range_done(s, st, rc, cause);
}

/* The pass over the range (allocated); NULL with *cause on an error. */
static struct agg *
agg_make(struct store *s, const struct store_range *r, char **cause)
{
	struct agg *g = xcalloc(1, sizeof *g);

	g->range = *r;
	if (agg_circuits(s, g, r, cause) == -1 ||
	    agg_streams(s, g, r, cause) == -1) {
		store_agg_free(g);
		return NULL;
	}
	agg_index_free(&g->app_exit);
	return g;
}

static int
same_range(const struct store_range *a, const struct store_range *b)
{
	return a->session == b->session && a->from == b->from &&
	    a->to == b->to;
}

int
store_each_app(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_app_row *, void *), void *arg, char **cause)
{
	struct store_app_row row;
	struct agg *g;
	struct buf lis, procs;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	store_agg_free(s->agg);
	s->agg = NULL;
	if ((g = agg_make(s, r, cause)) == NULL)
		return -1;
	buf_init(&lis);
	buf_init(&procs);
	/* In the order of the identities. */
	st = store_range_stmt(s, "SELECT id, label, host, sub FROM app "
	    "ORDER BY label, host, sub", r, cause);
	if (st == NULL) {
		store_agg_free(g);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long k = agg_index_find(&g->app_idx, COL_I64(st, 0), 0, 0);
		struct agg_app *a;

		if (k < 0)
			continue;
		a = &g->apps[k];
		buf_reset(&lis);
		buf_reset(&procs);
		if (a->nlis > 1)
			qsort(a->lis, a->nlis, sizeof *a->lis, cmp_str);
		for (i = 0; i < a->nlis; i++) {
			if (i > 0)
				buf_addc(&lis, ' ');
			buf_adds(&lis, a->lis[i]);
		}
		for (i = 0; i < a->nprocs; i++) {
			if (i > 0)
				buf_addc(&procs, ' ');
			buf_adds(&procs, a->procs[i]);
		}
		row.id = a->id;
		row.label = COL_TEXT(st, 1);
		row.host = COL_TEXT(st, 2);
		row.sub = COL_TEXT(st, 3);
		row.listeners = a->nlis ? buf_cstr(&lis) : NULL;
		row.processes = a->nprocs ? buf_cstr(&procs) : NULL;
		row.streams = a->streams;
		row.circuits = a->circuits;
		row.exits = a->exits;
		row.first_seen = a->has_first ? a->first : 0;
		row.last_seen = a->has_last ? a->last : 0;
		fn(&row, arg);
	}
	buf_free(&lis);
	buf_free(&procs);
	if (store_range_done(s, st, rc, cause) == -1) {
		store_agg_free(g);
		return -1;
	}
	/* The circuits, for the store_each_circuit() call that follows. */
	s->agg = g;
	s->agg_version = s->st.commits;
	return 0;
}

int
store_each_circuit(struct store *s, const struct store_range *r,
    void (*fn)(const struct store_circ_row *, void *), void *arg,
    char **cause)
{
	struct store_circ_row row;
	struct agg *g = s->agg;
	struct buf apps;
	size_t i, k;

	s->agg = NULL;
	if (g != NULL && (!same_range(&g->range, r) ||
	    s->agg_version != s->st.commits)) {
		store_agg_free(g);
		g = NULL;
	}
	if (g == NULL && (g = agg_make(s, r, cause)) == NULL)
		return -1;
	if (g->ncircs > 1)
		qsort(g->circs, g->ncircs, sizeof *g->circs, cmp_circ);
	buf_init(&apps);
	for (i = 0; i < g->ncircs; i++) {
		const struct agg_circ *c = &g->circs[i];
		const struct agg_info *in = c->info >= 0 ? &g->info[c->info] :
		    NULL;

		buf_reset(&apps);
		if (c->napps > 1)
			qsort(c->apps, c->napps, sizeof *c->apps, cmp_i64v);
		for (k = 0; k < c->napps; k++) {
			char num[24];

			snprintf(num, sizeof num, "%s%" PRId64, k ? "," : "",
			    c->apps[k]);
			buf_adds(&apps, num);
		}
		memset(&row, 0, sizeof row);
		row.session = c->session;
		row.circ_id = (uint64_t)c->circ;
		if (in != NULL) {
			row.purpose = in->purpose;
			row.conflux_id = in->conflux;
			row.exit_fp = in->exit_fp;
			row.exit_nick = in->exit_nick;
			row.created = in->created;
			row.closed = in->closed;
		}
		row.apps = c->napps ? buf_cstr(&apps) : NULL;
		row.streams = c->streams;
		fn(&row, arg);
	}
	buf_free(&apps);
	store_agg_free(g);
	return 0;
}
