/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report.c: `isoaudit report`: what happened, read back from the database.
 *
 * The rows of the range are read once into arrays (sessions, applications,
 * circuits, findings; streams are only counted, except for the CSV streams
 * table which is written as it is read); then one writer per format, each
 * in its own file: report_text.c for a person, report_json.c for scripts
 * (the shape SPEC.md fixes), report_csv.c for a spreadsheet, report_html.c
 * for a browser.  This file loads, runs, and holds what the writers share:
 * the output sink, escaping, times, and the descriptions text and HTML
 * both print.
 *
 * Every string from the database may hold bytes a hostile program chose
 * (a process name, a SOCKS username, a listener): text escapes them with
 * buf_escape, JSON with buf_json_str, HTML as entities, CSV by quoting
 * (and against formula injection, see report_csv.c).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "isoaudit.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

const enum severity report_sev_order[REPORT_NORDER] = {
	SEV_CRITICAL, SEV_WARNING, SEV_NOTICE, SEV_INFO, REPORT_SEV_OTHER
};

/* --- small helpers -------------------------------------------------------- */

/* Makes room for element n of an array with capacity *cap (reallocates). */
static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap == 0 ? 16 : *cap * 2;
	return xreallocarray(p, *cap, size);
}

/* A stored severity's enum value (names match exactly), or REPORT_SEV_OTHER. */
static enum severity
severity_of(const char *s)
{
	enum severity v;

	for (v = SEV_INFO; v <= SEV_CRITICAL && s != NULL; v++)
		if (strcmp(s, severity_name(v)) == 0)
			return v;
	return REPORT_SEV_OTHER;
}

/* --- escaping and times --------------------------------------------------- */

/*
 * Appends s made printable but kept readable: valid UTF-8 as it is;
 * backslash, control characters (C0, DEL, C1) and bytes that are not
 * UTF-8 as buf_escape shows them (\\, \n, \r, \t, \xHH), so that a page,
 * a spreadsheet and a terminal show a hostile name the same way.  With
 * html, also the five special characters as entities.
 */
void
report_esc_utf8(struct buf *b, const char *s, int html)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *ent;
	size_t n, len;

	if (s == NULL)
		return;
	len = strlen(s);
	for (; len > 0; p += n, len -= n) {
		n = 1;
		ent = NULL;
		switch (*p) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '\\': buf_adds(b, "\\\\"); continue;
		case '\n': buf_adds(b, "\\n"); continue;
		case '\r': buf_adds(b, "\\r"); continue;
		case '\t': buf_adds(b, "\\t"); continue;
		}
		if (ent != NULL) {
			if (html)
				buf_adds(b, ent);
			else
				buf_addc(b, (char)*p);
			continue;
		}
		n = utf8_len(p, len);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
		    (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			buf_printf(b, "\\x%02x", *p);
			n = 1;
		} else
			buf_add(b, p, n);
	}
}

/* n as w digits at p (n >= 0, fits). */
static char *
digits(char *p, int64_t n, int w)
{
	int i;

	for (i = w - 1; i >= 0; i--) {
		p[i] = (char)('0' + n % 10);
		n /= 10;
	}
	return p + w;
}

/*
 * RFC 3339, or "" for 0: time_rfc3339's text, without gmtime and printf
 * for the years 0 to 9999 (a report writes millions of times): the date
 * of a day number by the civil calendar's 400-year eras.
 */
void
report_t3339(int64_t us, char *out)
{
	int64_t sec, days, sod, era, doe, yoe, doy, mp, y, m, d;
	char *p = out;

	if (us == 0) {
		out[0] = '\0';
		return;
	}
	sec = us / 1000000 - (us % 1000000 < 0);
	days = sec / 86400;
	sod = sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	days += 719468;		/* from 0000-03-01 */
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999) {
		time_rfc3339(us, out);
		return;
	}
	p = digits(p, y, 4);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, sod / 3600, 2);
	*p++ = ':';
	p = digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = digits(p, sod % 60, 2);
	*p++ = 'Z';
	*p = '\0';
}

/* A duration for a person: "42s", "40m 05s", "3h 02m", "2d 04h". */
void
report_duration(int64_t us, char *out, size_t len)
{
	time_duration(us, 1, out, len);
}

/* --- output --------------------------------------------------------------- */

void
report_out_flush(struct out *o)
{
	if (o->b.len > 0 && o->error == 0 &&
	    fwrite(o->b.p, 1, o->b.len, o->f) != o->b.len)
		o->error = errno != 0 ? errno : EIO;
	buf_reset(&o->b);
}

static void
out_stdout(struct out *o)
{
	memset(o, 0, sizeof *o);
	o->f = stdout;
	buf_init(&o->b);
}

/*
 * Creates (0600, no symlink followed, truncated) name in directory dfd
 * (AT_FDCWD for a plain path) and sets o up to write there; path is for
 * messages.  Returns 0, or -1 with *cause allocated.
 */
int
report_out_create(struct out *o, int dfd, const char *name, const char *path,
    char **cause)
{
	int fd;

	memset(o, 0, sizeof *o);
	buf_init(&o->b);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || (o->f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	o->path = xstrdup(path);
	return 0;
}

/* Flushes and closes (not stdout).  Returns 0, or -1 with *cause. */
int
report_out_finish(struct out *o, char **cause)
{
	int rc = 0;

	report_out_flush(o);
	if (fflush(o->f) != 0 && o->error == 0)
		o->error = errno != 0 ? errno : EIO;
	if (o->path != NULL && fclose(o->f) != 0 && o->error == 0)
		o->error = errno != 0 ? errno : EIO;
	if (o->cause != NULL) {
		/* A read failed half-way: the output is incomplete. */
		*cause = o->cause;
		o->cause = NULL;
		rc = -1;
	} else if (o->error != 0) {
		*cause = xasprintf("cannot write %s: %s",
		    o->path != NULL ? o->path : "standard output",
		    strerror(o->error));
		rc = -1;
	}
	buf_free(&o->b);
	free(o->path);
	o->path = NULL;
	o->f = NULL;
	return rc;
}

/* --- stored JSON arrays --------------------------------------------------- */

/*
 * Finding rows keep lists as JSON text (lib/json.c reads it).  They are
 * emitted verbatim only when they are exactly one well-formed JSON array
 * (else []), and shown to a person element by element.
 */

/* Appends the stored array s for a person (json_list_plain), if it is one. */
size_t
report_list_plain(struct buf *b, const char *s)
{
	return json_is_array(s) ? json_list_plain(b, s) : 0;
}

/* --- loading -------------------------------------------------------------- */

static void
load_session(const struct store_session_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_session *s;

	r->sessions = grow(r->sessions, r->nsessions, &r->csessions,
	    sizeof *r->sessions);
	s = &r->sessions[r->nsessions++];
	s->id = row->id;
	s->tor_version = xstrdup_or_null(row->tor_version);
	s->control = xstrdup_or_null(row->control);
	s->auth = xstrdup_or_null(row->auth);
	s->source = xstrdup_or_null(row->source);
	s->pid = row->pid;
	s->started = row->started;
	s->ended = row->ended;
	s->end_reason = xstrdup_or_null(row->end_reason);
	s->last_event = row->last_event;
}

static void
load_app(const struct store_app_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_app *a;

	r->apps = grow(r->apps, r->napps, &r->capps, sizeof *r->apps);
	a = &r->apps[r->napps++];
	a->id = row->id;
	a->label = xstrdup(row->label != NULL ? row->label : "?");
	a->host = xstrdup(row->host != NULL ? row->host : "?");
	a->sub = xstrdup(row->sub != NULL ? row->sub : "");
	if (a->sub[0] != '\0')
		a->ident = xasprintf("%s@%s/%s", a->label, a->host, a->sub);
	else
		a->ident = xasprintf("%s@%s", a->label, a->host);
	a->listeners = xstrdup_or_null(row->listeners);
	a->processes = xstrdup_or_null(row->processes);
	a->streams = row->streams;
	a->circuits = row->circuits;
	a->exits = row->exits;
	a->first_seen = row->first_seen;
	a->last_seen = row->last_seen;
}

static void
load_service(const struct store_service_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_service *v;

	r->services = grow(r->services, r->nservices, &r->cservices,
	    sizeof *r->services);
	v = &r->services[r->nservices++];
	v->session = row->session;
	v->address = xstrdup(row->address != NULL ? row->address : "?");
	v->source = xstrdup(row->source != NULL ? row->source : "?");
	v->first_seen = row->first_seen;
	v->rend_circuits = row->rend_circuits;
	v->rend_open = row->rend_open;
	v->intro_circuits = row->intro_circuits;
	v->first_rend = row->first_rend;
	v->last_rend = row->last_rend;
}

static void
load_onion(const struct store_onion_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_onion *v;

	r->onions = grow(r->onions, r->nonions, &r->conions,
	    sizeof *r->onions);
	v = &r->onions[r->nonions++];
	memset(v, 0, sizeof *v);
	v->target = xstrdup(row->target != NULL ? row->target : "?");
	v->port = row->target_port;
	v->streams = row->streams;
	v->circuits = row->circuits;
	v->first_seen = row->first_seen;
	v->last_seen = row->last_seen;
	v->apps_raw = xstrdup_or_null(row->apps);
	r->onion_streams += row->streams;
}

/* Fills f with an owned copy of row, at most maxocc occurrences. */
static void
finding_fill(struct rep_finding *f, const struct store_finding_row *row,
    size_t maxocc)
{
	size_t i;

	f->id = row->id;
	f->rule = xstrdup(row->rule != NULL ? row->rule : "?");
	f->severity = xstrdup(row->severity != NULL ? row->severity : "?");
	f->sev = severity_of(row->severity);
	f->session = row->session;
	f->circ_id = row->circ_id;
	f->listener = empty(row->listener) ? NULL : xstrdup(row->listener);
	f->apps = xstrdup_or_null(row->apps);
	f->identities = xstrdup_or_null(row->identities);
	f->processes = xstrdup_or_null(row->processes);
	f->streams = xstrdup_or_null(row->streams);
	f->count = row->count;
	f->first_seen = row->first_seen;
	f->last_seen = row->last_seen;
	f->detail = xstrdup_or_null(row->detail);
	f->remedy = xstrdup_or_null(row->remedy);
	f->acknowledged = row->acknowledged;
	f->cause = xstrdup_or_null(row->cause);
	f->again = row->again;
	f->nocc = row->noccurrences < maxocc ? row->noccurrences : maxocc;
	f->nocc_total = row->noccurrences_total > row->noccurrences ?
	    row->noccurrences_total : row->noccurrences;
	f->occ = xcalloc(f->nocc == 0 ? 1 : f->nocc, sizeof *f->occ);
	for (i = 0; i < f->nocc; i++) {
		f->occ[i] = row->occurrences[i];
		f->occ[i].exit_fp = empty(row->occurrences[i].exit_fp) ? NULL :
		    xstrdup(row->occurrences[i].exit_fp);
		f->occ[i].streams =
		    xstrdup_or_null(row->occurrences[i].streams);
	}
}

static void
finding_free(struct rep_finding *f)
{
	size_t j;

	free(f->rule);
	free(f->severity);
	free(f->listener);
	free(f->apps);
	free(f->identities);
	free(f->processes);
	free(f->streams);
	free(f->detail);
	free(f->remedy);
	free(f->cause);
	for (j = 0; j < f->nocc; j++) {
		free((char *)f->occ[j].exit_fp);
		free((char *)f->occ[j].streams);
	}
	free(f->occ);
}

/* Keeps a finding for text and HTML (what they show of it). */
static void
load_finding(const struct store_finding_row *row, void *arg)
{
	struct report *r = arg;

	r->findings = grow(r->findings, r->nfindings, &r->cfindings,
	    sizeof *r->findings);
	finding_fill(&r->findings[r->nfindings++], row, REPORT_SHOW_OCC);
}

/* Counts the causes of a stored severity. */
static void
count_findings(const char *sev, long n, void *arg)
{
	struct report *r = arg;
	enum severity v = severity_of(sev);

	if (v != REPORT_SEV_OTHER)
		r->sev[v] += n;
	else
		r->sev_other += n;
	r->nfindings_total += (size_t)n;
}

struct app_key {
	int64_t		id;
	size_t		idx;
};

static int
app_key_cmp(const void *a, const void *b)
{
	const struct app_key *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Adds v to the sorted set a[0..*n) (reallocates). */
static size_t *
set_add(size_t *a, size_t *n, size_t v)
{
	size_t i, j;

	for (i = 0; i < *n && a[i] < v; i++)
		;
	if (i < *n && a[i] == v)
		return a;
	a = xreallocarray(a, *n + 1, sizeof *a);
	for (j = *n; j > i; j--)
		a[j] = a[j - 1];
	a[i] = v;
	(*n)++;
	return a;
}

/* The app ids in r by id, to look a stored id up (allocated). */
static struct app_key *
app_keys(const struct report *r)
{
	struct app_key *keys = xcalloc(r->napps + 1, sizeof *keys);
	size_t i;

	for (i = 0; i < r->napps; i++) {
		keys[i].id = r->apps[i].id;
		keys[i].idx = i;
	}
	qsort(keys, r->napps, sizeof *keys, app_key_cmp);
	return keys;
}

/* Adds the app indexes of comma-separated app ids to the set *apps. */
static void
apps_from_ids(const struct report *r, const struct app_key *keys,
    const char *raw, size_t **apps, size_t *napps)
{
	struct app_key want, *hit;
	const char *p;
	char *end;

	for (p = raw; p != NULL && *p != '\0'; p = end) {
		want.id = strtoll(p, &end, 10);
		if (end == p) {
			end = strchr(p, ',');
			if (end == NULL)
				break;
		}
		while (*end == ',' || *end == ' ')
			end++;
		hit = r->napps == 0 ? NULL : bsearch(&want, keys, r->napps,
		    sizeof *keys, app_key_cmp);
		if (hit != NULL)
			*apps = set_add(*apps, napps, hit->idx);
	}
}

/* The same for the onion destinations. */
static void
resolve_onion_apps(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nonions; i++)
		apps_from_ids(r, r->keys, r->onions[i].apps_raw,
		    &r->onions[i].apps, &r->onions[i].napps);
}

size_t
report_labels(const struct report *r, const size_t *apps, size_t napps,
    const char ***out)
{
	const char **l = xcalloc(napps + 1, sizeof *l);
	size_t i, j, n = 0;

	for (i = 0; i < napps; i++) {
		const char *label = r->apps[apps[i]].label;

		for (j = 0; j < n && strcmp(l[j], label) != 0; j++)
			;
		if (j == n)
			l[n++] = label;
	}
	/* Insertion sort: a circuit or an onion has few labels. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(l[j - 1], l[j]) > 0; j--) {
			const char *t = l[j];

			l[j] = l[j - 1];
			l[j - 1] = t;
		}
	*out = l;
	return n;
}

size_t
report_labels_join(struct buf *b, const struct report *r,
    const size_t *apps, size_t napps)
{
	const char **labels;
	size_t i, n = report_labels(r, apps, napps, &labels);

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(b, ", ");
		buf_adds(b, labels[i]);
	}
	free(labels);
	return n;
}

/* A circuit row as the writers see it: pointers into row, apps into c's
 * own array (reused from row to row). */
static void
circ_view(const struct report *r, const struct store_circ_row *row,
    struct rep_circ *c)
{
	c->session = row->session;
	c->circ_id = row->circ_id;
	c->purpose = (char *)row->purpose;
	c->conflux_id = empty(row->conflux_id) ? NULL : (char *)row->conflux_id;
	c->exit_fp = empty(row->exit_fp) ? NULL : (char *)row->exit_fp;
	c->exit_nick = empty(row->exit_nick) ? NULL : (char *)row->exit_nick;
	c->apps_raw = (char *)row->apps;
	c->napps = 0;
	apps_from_ids(r, r->keys, row->apps, &c->apps, &c->napps);
	c->streams = row->streams;
	c->created = row->created;
	c->closed = row->closed;
}

struct circ_walk {
	const struct report	*r;
	void			(*fn)(const struct rep_circ *, void *);
	void			*arg;
	struct rep_circ		 c;
};

static void
circ_walk_row(const struct store_circ_row *row, void *arg)
{
	struct circ_walk *w = arg;

	circ_view(w->r, row, &w->c);
	w->fn(&w->c, w->arg);
	free(w->c.apps);
	w->c.apps = NULL;
}

/* Says in o why a read in the middle of a report failed (the first). */
static void
out_read_error(struct out *o, char *cause)
{
	if (o->cause == NULL)
		o->cause = cause;
	else
		free(cause);
}

void
report_each_circuit(const struct report *r, struct out *o,
    void (*fn)(const struct rep_circ *, void *), void *arg)
{
	struct circ_walk w;
	char *cause = NULL;

	memset(&w, 0, sizeof w);
	w.r = r;
	w.fn = fn;
	w.arg = arg;
	if (store_each_circuit(r->store, &r->range, circ_walk_row, &w,
	    &cause) == -1)
		out_read_error(o, cause);
}

struct finding_walk {
	void			(*fn)(const struct rep_finding *, void *);
	void			*arg;
};

static void
finding_walk_row(const struct store_finding_row *row, void *arg)
{
	struct finding_walk *w = arg;
	struct rep_finding f;

	memset(&f, 0, sizeof f);
	finding_fill(&f, row, SIZE_MAX);
	w->fn(&f, w->arg);
	finding_free(&f);
}

void
report_each_finding(const struct report *r, struct out *o,
    void (*fn)(const struct rep_finding *, void *), void *arg)
{
	struct finding_walk w = { fn, arg };
	char *cause = NULL;

	if (store_each_finding(r->store, &r->range, finding_walk_row, &w,
	    &cause) == -1)
		out_read_error(o, cause);
}

/* Keeps a circuit of a shared exit circuit (an owned copy). */
static void
load_shared(const struct store_circ_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_circ *c;

	r->shared = grow(r->shared, r->nshared, &r->cshared,
	    sizeof *r->shared);
	c = &r->shared[r->nshared++];
	memset(c, 0, sizeof *c);
	circ_view(r, row, c);
	c->purpose = xstrdup_or_null(c->purpose);
	c->conflux_id = xstrdup_or_null(c->conflux_id);
	c->exit_fp = xstrdup_or_null(c->exit_fp);
	c->exit_nick = xstrdup_or_null(c->exit_nick);
	c->apps_raw = xstrdup_or_null(c->apps_raw);
}

static int
share_cmp(const void *a, const void *b)
{
	const struct rep_share *x = a, *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

/* A pair of applications that shared, by index (both ways). */
static void
load_share(int64_t ida, int64_t idb, long n, void *arg)
{
	struct report *r = arg;
	struct app_key want, *ka, *kb;

	if (r->napps == 0)
		return;
	want.id = ida;
	ka = bsearch(&want, r->keys, r->napps, sizeof *r->keys, app_key_cmp);
	want.id = idb;
	kb = bsearch(&want, r->keys, r->napps, sizeof *r->keys, app_key_cmp);
	if (ka == NULL || kb == NULL || ka->idx == kb->idx)
		return;
	r->pairs = grow(r->pairs, r->npairs, &r->cpairs, sizeof *r->pairs);
	r->pairs[r->npairs].a = ka->idx < kb->idx ? ka->idx : kb->idx;
	r->pairs[r->npairs].b = ka->idx < kb->idx ? kb->idx : ka->idx;
	r->pairs[r->npairs++].n = n;
}

long
report_share(const struct report *r, size_t i, size_t j)
{
	struct rep_share want, *hit;

	if (i == j || r->npairs == 0)
		return 0;
	want.a = i < j ? i : j;
	want.b = i < j ? j : i;
	hit = bsearch(&want, r->pairs, r->npairs, sizeof *r->pairs, share_cmp);
	return hit != NULL ? hit->n : 0;
}

/* Works out the span the report covers (from, to; 0 = open). */
static void
report_span(struct report *r, int64_t since, int64_t until)
{
	int64_t first = 0, last = 0, last_start = 0, end;
	size_t i;
	char a[TIME_RFC3339_LEN], b[TIME_RFC3339_LEN];

	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		if (first == 0 || s->started < first)
			first = s->started;
		if (s->started > last_start)
			last_start = s->started;
		end = s->ended != 0 ? s->ended : s->last_event;
		if (end > last)
			last = end;
	}
	if (last != 0 && last < last_start)
		last = 0;	/* the latest session has no end yet */
	r->from = since > 1 ? since : first;	/* 1: --since before 1970 */
	r->to = until != 0 ? until : last;
	if (r->from != 0 && r->to != 0) {
		time_rfc3339(r->from, a);
		time_rfc3339(r->to, b);
		r->same_day = strncmp(a, b, 10) == 0;
	}
}

/*
 * Reads what every format needs into r: the sessions, applications, the
 * counts, and the pairs of applications that shared; for text and HTML
 * (full) also what they list of the findings and shared circuits, at
 * most REPORT_SHOW_ROWS of each kind.  The long lists (circuits, findings,
 * streams) of JSON and CSV are read while they are written
 * (report_each_circuit, report_each_finding).  Returns 0, or -1 with
 * *cause.
 */
static int
report_load(struct report *r, int64_t since, int64_t until, int full,
    char **cause)
{
	static const char *const sevs[REPORT_NORDER] = {
		"critical", "warning", "notice", "info", ""
	};
	long n;
	size_t k;

	if (store_each_session(r->store, &r->range, load_session, r,
	    cause) == -1)
		return -1;
	if (r->nsessions == 0)
		return 0;
	if (store_each_app(r->store, &r->range, load_app, r, cause) == -1)
		return -1;
	r->keys = app_keys(r);
	if (store_count_circuits(r->store, &r->range, &n, cause) == -1 ||
	    store_each_share(r->store, &r->range, load_share, r,
	    cause) == -1 ||
	    store_count_findings(r->store, &r->range, count_findings, r,
	    cause) == -1 ||
	    store_count_streams(r->store, &r->range, &r->nstreams,
	    cause) == -1 ||
	    store_each_service(r->store, &r->range, load_service, r,
	    cause) == -1 ||
	    store_each_onion_target(r->store, &r->range, load_onion, r,
	    cause) == -1)
		return -1;
	r->ncircs = (size_t)n;
	if (r->npairs > 1)
		qsort(r->pairs, r->npairs, sizeof *r->pairs, share_cmp);
	for (k = 0; full && k < REPORT_NORDER; k++)
		if (store_each_finding_of(r->store, &r->range, sevs[k],
		    REPORT_SHOW_ROWS, load_finding, r, cause) == -1)
			return -1;
	if (full && store_each_shared_circuit(r->store, &r->range,
	    REPORT_SHOW_ROWS, load_shared, r, &r->shared_total, cause) == -1)
		return -1;
	resolve_onion_apps(r);
	report_span(r, since, until);
	return 0;
}

static void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nsessions; i++) {
		struct rep_session *s = &r->sessions[i];

		free(s->tor_version);
		free(s->control);
		free(s->auth);
		free(s->source);
		free(s->end_reason);
	}
	free(r->sessions);
	for (i = 0; i < r->napps; i++) {
		struct rep_app *a = &r->apps[i];

		free(a->label);
		free(a->host);
		free(a->sub);
		free(a->ident);
		free(a->listeners);
		free(a->processes);
	}
	free(r->apps);
	free(r->keys);
	for (i = 0; i < r->nshared; i++) {
		struct rep_circ *c = &r->shared[i];

		free(c->purpose);
		free(c->conflux_id);
		free(c->exit_fp);
		free(c->exit_nick);
		free(c->apps_raw);
		free(c->apps);
	}
	free(r->shared);
	free(r->pairs);
	for (i = 0; i < r->nfindings; i++)
		finding_free(&r->findings[i]);
	free(r->findings);
	for (i = 0; i < r->nservices; i++) {
		free(r->services[i].address);
		free(r->services[i].source);
	}
	free(r->services);
	for (i = 0; i < r->nonions; i++) {
		free(r->onions[i].target);
		free(r->onions[i].apps_raw);
		free(r->onions[i].apps);
	}
	free(r->onions);
}

/* --- running it ----------------------------------------------------------- */

int
report_format_parse(const char *s, enum report_format *out)
{
	static const char *const names[] = { "text", "json", "csv", "html" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum report_format)i;
			return 0;
		}
	return -1;
}

/* Writes the report in the chosen format.  Returns an exit status. */
static int
report_emit(const struct report *r, const struct report_request *q)
{
	struct out out;
	char *cause = NULL;
	int rc = 0;

	if (q->format == FMT_CSV && q->table < 0) {
		if (report_csv_write_dir(r, q->output, &cause) == -1) {
			log_error("%s", cause);
			free(cause);
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	if (q->output != NULL) {
		if (report_out_create(&out, AT_FDCWD, q->output, q->output,
		    &cause) == -1) {
			log_error("%s", cause);
			free(cause);
			return EXIT_RUNTIME;
		}
	} else
		out_stdout(&out);
	switch (q->format) {
	case FMT_TEXT:
		report_text_write(r, &out);
		break;
	case FMT_JSON:
		report_json_write(r, &out);
		break;
	case FMT_HTML:
		report_html_write(r, &out);
		break;
	case FMT_CSV:
		rc = report_csv_write(r, q->table, &out, &cause);
		break;
	}
	if (rc == -1) {
		char *ignored = NULL;

		report_out_finish(&out, &ignored);
		free(ignored);
	} else
		rc = report_out_finish(&out, &cause);
	if (rc == -1) {
		log_error("%s", cause);
		free(cause);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int
report_run(const struct report_request *q)
{
	struct report r;
	enum store_err err;
	char *cause = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	r.now = q->now;
	r.store = store_open(q->db, STORE_READ, &err, &cause);
	if (r.store == NULL) {
		/* A missing database is an error, as for check (SPEC.md: 3,
		 * database unusable): a script must not take it for a clean
		 * report. */
		log_error("%s", cause);
		free(cause);
		return EXIT_RUNTIME;
	}

	/* One snapshot for every query of the report (a monitor may be
	 * writing): totals, applications and lists agree. */
	if (store_snapshot(r.store, &cause) == -1) {
		log_error("%s", cause);
		free(cause);
		store_close(r.store);
		return EXIT_RUNTIME;
	}
	r.all = q->all;
	r.range.session = q->session;
	r.range.from = q->since;
	r.range.to = q->until;
	if (!q->all && q->session == 0 && q->since == 0 && q->until == 0)
		r.range.session = store_latest_session(r.store);
	rc = EXIT_OK;
	if (r.range.session < 0) {
		log_error("database %s: cannot read its Tor sessions", q->db);
		rc = EXIT_RUNTIME;
	} else if (!q->all && r.range.session == 0 && q->since == 0 &&
	    q->until == 0)
		log_warnx("nothing recorded in that range (database %s)",
		    q->db);
	else if (report_load(&r, q->since, q->until, q->format == FMT_TEXT ||
	    q->format == FMT_HTML, &cause) == -1) {
		log_error("%s", cause);
		free(cause);
		rc = EXIT_RUNTIME;
	} else if (r.nsessions == 0)
		log_warnx("nothing recorded in that range (database %s)",
		    q->db);
	else
		rc = report_emit(&r, q);

	report_free(&r);
	store_snapshot_end(r.store);
	store_close(r.store);
	return rc;
}

/* --- processes, collapsed ------------------------------------------------- */

/* Counts one process of program name (n bytes) with pid (-1: none), as
 * an agent claimed it (claim, or NULL). */
static void
procs_add(struct rep_procs *ps, const char *name, size_t n, long pid,
    const char *claim)
{
	struct rep_proc *p;
	size_t i;

	ps->total++;
	for (i = 0; i < ps->n; i++)
		if (strlen(ps->p[i].name) == n &&
		    memcmp(ps->p[i].name, name, n) == 0 &&
		    (ps->p[i].claim == NULL) == (claim == NULL) &&
		    (claim == NULL || strcmp(ps->p[i].claim, claim) == 0))
			break;
	if (i == ps->n) {
		if (ps->n == REPORT_PROC_NAMES) {
			ps->more++;
			return;
		}
		p = &ps->p[ps->n++];
		memset(p, 0, sizeof *p);
		p->name = xstrndup(name, n);
		p->claim = xstrdup_or_null(claim);
		p->pids = xcalloc(REPORT_PROC_PIDS, sizeof *p->pids);
	}
	p = &ps->p[i];
	p->count++;
	if (pid >= 0 && p->npids < REPORT_PROC_PIDS)
		p->pids[p->npids++] = pid;
}

void
report_procs_json(struct rep_procs *ps, const char *s)
{
	struct json_iter it;
	const char *v, *k, *x;
	size_t vn, kn, xn;
	struct buf name, claim;
	long pid;

	memset(ps, 0, sizeof *ps);
	if (!json_is_array(s))
		return;
	buf_init(&name);
	buf_init(&claim);
	json_iter_init(&it, s, strlen(s));
	while (json_iter_next(&it, &k, &kn, &v, &vn)) {
		buf_reset(&name);
		buf_reset(&claim);
		pid = -1;
		if (vn > 0 && v[0] == '{') {
			if (json_member(v, vn, "name", &x, &xn) && xn > 0 &&
			    x[0] == '"')
				json_unstring(&name, x, xn);
			else
				buf_addc(&name, '?');
			if (json_member(v, vn, "pid", &x, &xn) && xn > 0 &&
			    x[0] >= '0' && x[0] <= '9')
				pid = strtol(x, NULL, 10);
			/* A workstation agent's claim (json_list_plain's). */
			if (json_member(v, vn, "claim", &x, &xn) && xn > 0 &&
			    x[0] == '"')
				json_unstring(&claim, x, xn);
		} else if (vn > 0 && v[0] == '"')
			json_unstring(&name, v, vn);
		else
			buf_add(&name, v, vn);
		procs_add(ps, name.len > 0 ? name.p : "", name.len, pid,
		    claim.len > 0 ? buf_cstr(&claim) : NULL);
	}
	buf_free(&name);
	buf_free(&claim);
}

void
report_procs_text(struct rep_procs *ps, const char *s)
{
	const char *p, *e, *lb;
	long pid;

	memset(ps, 0, sizeof *ps);
	if (s == NULL)
		return;
	/* Items "name[pid]" end at a ']' followed by a space or the end; a
	 * name may hold spaces and brackets of its own. */
	for (p = s; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && !(e[0] == ']' &&
		    (e[1] == ' ' || e[1] == '\0')); e++)
			;
		if (*e == '\0') {	/* no [pid]: the rest is a name */
			procs_add(ps, p, (size_t)(e - p), -1, NULL);
			break;
		}
		for (lb = e; lb > p && lb[-1] != '['; lb--)
			;
		pid = -1;
		if (lb > p && lb < e && strspn(lb, "0123456789") ==
		    (size_t)(e - lb))
			pid = strtol(lb, NULL, 10);
		procs_add(ps, p, pid >= 0 ? (size_t)(lb - 1 - p) :
		    (size_t)(e + 1 - p), pid, NULL);
		p = e + 1;
	}
}

void
report_procs_free(struct rep_procs *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].name);
		free(ps->p[i].claim);
		free(ps->p[i].pids);
	}
	ps->n = 0;
}
