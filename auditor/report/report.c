/*
 * report.c: `isoaudit report`: what happened, read back from the database.
 *
 * The rows of the range are read once into arrays (sessions, applications,
 * circuits, findings; streams are only counted, except for the CSV streams
 * table which is written as it is read); then one writer per format: text
 * for a person, JSON for scripts (the shape SPEC.md fixes), CSV for a
 * spreadsheet, HTML for a browser.
 *
 * Every string from the database may hold bytes a hostile program chose
 * (a process name, a SOCKS username, a listener): text escapes them with
 * buf_escape, JSON with buf_json_str, HTML as entities, CSV by quoting
 * (and against formula injection, see csv_str).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "isoaudit.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

#ifndef ISOAUDIT_VERSION
#define ISOAUDIT_VERSION "0.1.0"
#endif

#define REPORT_FLUSH	65536	/* write the output buffer out past this */
#define MATRIX_MAX_APPS	16	/* wider than this, sharing is a list */
#define TEXT_WIDTH	100


/*
 * A finding's severity is config.h's enum severity; one stored under
 * another name (only the four lower-case names count) gets this value,
 * outside the enum's, and is listed last.
 */
#define REPORT_SEV_OTHER	((enum severity)(SEV_OFF - 1))
#define REPORT_NSEV	(SEV_CRITICAL + 1)	/* info .. critical */
/* The order of the findings' lists: most severe first. */
#define REPORT_NORDER	5
static const enum severity report_sev_order[REPORT_NORDER] = {
	SEV_CRITICAL, SEV_WARNING, SEV_NOTICE, SEV_INFO, REPORT_SEV_OTHER
};

enum csv_table {
	CSV_SESSIONS, CSV_APPS, CSV_CIRCUITS, CSV_STREAMS, CSV_FINDINGS,
	CSV_NTABLES
};
static const char *const csv_table_names[CSV_NTABLES] = {
	"sessions", "apps", "circuits", "streams", "findings"
};

struct rep_session {
	int64_t		 id;
	char		*tor_version;
	char		*control;
	char		*auth;
	char		*source;
	long		 pid;
	int64_t		 started;
	int64_t		 ended;
	char		*end_reason;
	int64_t		 last_event;
};

struct rep_app {
	int64_t		 id;
	char		*label;
	char		*host;
	char		*sub;
	char		*ident;		/* label@host[/sub], raw */
	char		*listeners;	/* space separated */
	char		*processes;	/* "name[pid] ..." */
	long		 streams;
	long		 circuits;
	long		 exits;
	int64_t		 first_seen;
	int64_t		 last_seen;
};

struct rep_circ {
	int64_t		 session;
	uint64_t	 circ_id;
	char		*purpose;
	char		*conflux_id;
	char		*exit_fp;
	char		*exit_nick;
	char		*apps_raw;	/* app ids as stored */
	size_t		*apps;		/* indexes into report.apps, sorted */
	size_t		 napps;
	long		 streams;
	int64_t		 created;
	int64_t		 closed;
	size_t		 unit;		/* index into report.units */
};

/* One exit circuit: a circuit alone, or all legs of one conflux set. */
struct rep_unit {
	size_t		*apps;		/* indexes into report.apps, sorted */
	size_t		 napps;
	size_t		*circs;		/* indexes into report.circs */
	size_t		 ncircs;
};

struct rep_finding {
	int64_t		 id;
	char		*rule;
	char		*severity;
	enum severity	 sev;		/* REPORT_SEV_OTHER: not a known name */
	int64_t		 session;
	uint64_t	 circ_id;
	char		*listener;
	char		*apps;		/* JSON arrays as stored */
	char		*identities;
	char		*processes;
	char		*streams;
	long		 count;
	int64_t		 first_seen;
	int64_t		 last_seen;
	char		*detail;
	int		 acknowledged;
};

struct report {
	struct store		*store;
	struct store_range	 range;
	int			 all;		/* --all */
	int64_t			 now;
	int64_t			 from;		/* the span covered, 0 = open */
	int64_t			 to;
	int			 same_day;	/* tables show times only */

	struct rep_session	*sessions;
	size_t			 nsessions, csessions;
	struct rep_app		*apps;
	size_t			 napps, capps;
	struct rep_circ		*circs;
	size_t			 ncircs, ccircs;
	struct rep_unit		*units;
	size_t			 nunits;
	struct rep_finding	*findings;
	size_t			 nfindings, cfindings;
	long			 nstreams;
	long			 sev[REPORT_NSEV];	/* by enum severity */
	long			*share;		/* napps x napps, units shared */
};

/* Where a format writes: a FILE behind a buffer flushed in big pieces. */
struct out {
	FILE		*f;
	char		*path;		/* NULL: stdout */
	struct buf	 b;
	int		 error;		/* errno of the first failed write */
};

/* --- small helpers ------------------------------------------------------ */

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Makes room for element n of an array with capacity *cap (reallocates). */
static void *
grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap == 0 ? 16 : *cap * 2;
	return xreallocarray(p, *cap, size);
}

/* A stored severity: its enum value, or REPORT_SEV_OTHER (names match exactly). */
static enum severity
severity_of(const char *s)
{
	enum severity v;

	for (v = SEV_INFO; v <= SEV_CRITICAL && s != NULL; v++)
		if (strcmp(s, severity_name(v)) == 0)
			return v;
	return REPORT_SEV_OTHER;
}

/* Appends an escaped (printable) copy of the C string s; "-" for NULL. */
static void
esc(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_addc(b, '-');
	else
		buf_escape(b, s, strlen(s));
}

/* Returns an allocated escaped copy of s ("-" for NULL or empty). */
static char *
esc_dup(const char *s)
{
	if (empty(s))
		return xstrdup("-");
	return escape_dup(s, strlen(s));
}

/* RFC 3339, or "" for 0. */
static void
t3339(int64_t us, char *out)
{
	if (us == 0)
		out[0] = '\0';
	else
		time_rfc3339(us, out);
}

/* Appends a JSON time: an RFC 3339 string, or null for 0. */
static void
json_time(struct buf *b, int64_t us)
{
	char t[TIME_RFC3339_LEN];

	if (us == 0) {
		buf_adds(b, "null");
		return;
	}
	time_rfc3339(us, t);
	buf_json_strz(b, t);
}

/* A short time for tables: "17:40:05" within one day, else "11-24 17:40". */
static void
tshort(const struct report *r, int64_t us, char *out)
{
	char t[TIME_RFC3339_LEN];

	if (us == 0) {
		strcpy(out, "-");
		return;
	}
	time_rfc3339(us, t);
	if (strlen(t) < 19) {
		strcpy(out, t);
		return;
	}
	if (r->same_day)
		snprintf(out, TIME_RFC3339_LEN, "%.8s", t + 11);
	else
		snprintf(out, TIME_RFC3339_LEN, "%.5s %.5s", t + 5, t + 11);
}

/* A duration for a person: "42s", "40m 05s", "3h 02m", "2d 04h". */
static void
fmt_duration(int64_t us, char *out, size_t len)
{
	time_duration(us, 1, out, len);
}

/* --- output ------------------------------------------------------------- */

static void
out_flush(struct out *o)
{
	if (o->b.len > 0 && o->error == 0 &&
	    fwrite(o->b.p, 1, o->b.len, o->f) != o->b.len)
		o->error = errno != 0 ? errno : EIO;
	buf_reset(&o->b);
}

static void
out_maybe_flush(struct out *o)
{
	if (o->b.len >= REPORT_FLUSH)
		out_flush(o);
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
static int
out_create(struct out *o, int dfd, const char *name, const char *path,
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
static int
out_finish(struct out *o, char **cause)
{
	int rc = 0;

	out_flush(o);
	if (fflush(o->f) != 0 && o->error == 0)
		o->error = errno != 0 ? errno : EIO;
	if (o->path != NULL && fclose(o->f) != 0 && o->error == 0)
		o->error = errno != 0 ? errno : EIO;
	if (o->error != 0) {
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

/* --- stored JSON arrays ------------------------------------------------- */

/*
 * Finding rows keep lists as JSON text (lib/json.c reads it).  They are
 * emitted verbatim only when they are exactly one well-formed JSON array
 * (else []), and shown to a person element by element.
 */

/* Appends the stored array s for a person (json_list_plain), if it is one. */
static size_t
list_plain(struct buf *b, const char *s)
{
	return json_is_array(s) ? json_list_plain(b, s) : 0;
}

/* Appends s as a JSON array if it is one, else []. */
static void
json_array_or_empty(struct buf *b, const char *s)
{
	const char *p, *e;

	if (!json_is_array(s)) {
		buf_adds(b, "[]");
		return;
	}
	p = s;
	e = s + strlen(s);
	json_ws(&p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	buf_add(b, p, (size_t)(e - p));
}

void
report_json_finding(struct buf *b, const struct store_finding_row *f)
{
	buf_adds(b, "{\"rule\": ");
	buf_json_strz(b, f->rule);
	buf_adds(b, ", \"severity\": ");
	buf_json_strz(b, f->severity);
	buf_printf(b, ", \"session\": %" PRId64 ", \"circuit\": ", f->session);
	if (f->circ_id != 0)
		buf_printf(b, "\"%" PRIu64 "\"", f->circ_id);
	else
		buf_adds(b, "null");
	buf_adds(b, ", \"listener\": ");
	buf_json_strz(b, f->listener != NULL && f->listener[0] != '\0' ?
	    f->listener : NULL);
	buf_adds(b, ", \"apps\": ");
	json_array_or_empty(b, f->apps);
	buf_adds(b, ", \"identities\": ");
	json_array_or_empty(b, f->identities);
	buf_adds(b, ", \"processes\": ");
	json_array_or_empty(b, f->processes);
	buf_adds(b, ", \"streams\": ");
	json_array_or_empty(b, f->streams);
	buf_printf(b, ", \"count\": %ld, \"first_seen\": ", f->count);
	json_time(b, f->first_seen);
	buf_adds(b, ", \"last_seen\": ");
	json_time(b, f->last_seen);
	buf_adds(b, ", \"detail\": ");
	buf_json_strz(b, f->detail);
	buf_printf(b, ", \"id\": %" PRId64 ", \"acknowledged\": %s}",
	    f->id, f->acknowledged ? "true" : "false");
}

/* --- loading ------------------------------------------------------------ */

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
load_circuit(const struct store_circ_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_circ *c;

	r->circs = grow(r->circs, r->ncircs, &r->ccircs, sizeof *r->circs);
	c = &r->circs[r->ncircs++];
	memset(c, 0, sizeof *c);
	c->session = row->session;
	c->circ_id = row->circ_id;
	c->purpose = xstrdup_or_null(row->purpose);
	c->conflux_id = empty(row->conflux_id) ? NULL : xstrdup(row->conflux_id);
	c->exit_fp = empty(row->exit_fp) ? NULL : xstrdup(row->exit_fp);
	c->exit_nick = empty(row->exit_nick) ? NULL : xstrdup(row->exit_nick);
	c->apps_raw = xstrdup_or_null(row->apps);
	c->streams = row->streams;
	c->created = row->created;
	c->closed = row->closed;
}

static void
load_finding(const struct store_finding_row *row, void *arg)
{
	struct report *r = arg;
	struct rep_finding *f;

	r->findings = grow(r->findings, r->nfindings, &r->cfindings,
	    sizeof *r->findings);
	f = &r->findings[r->nfindings++];
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
	f->acknowledged = row->acknowledged;
	if (f->sev != REPORT_SEV_OTHER)
		r->sev[f->sev]++;
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

/* Turns each circuit's comma-separated app ids into app indexes. */
static void
resolve_circuit_apps(struct report *r)
{
	struct app_key *keys, want, *hit;
	struct rep_circ *c;
	const char *p;
	char *end;
	size_t i;

	keys = xcalloc(r->napps, sizeof *keys);
	for (i = 0; i < r->napps; i++) {
		keys[i].id = r->apps[i].id;
		keys[i].idx = i;
	}
	qsort(keys, r->napps, sizeof *keys, app_key_cmp);
	for (i = 0; i < r->ncircs; i++) {
		c = &r->circs[i];
		for (p = c->apps_raw; p != NULL && *p != '\0'; p = end) {
			want.id = strtoll(p, &end, 10);
			if (end == p) {
				end = strchr(p, ',');
				if (end == NULL)
					break;
			}
			while (*end == ',' || *end == ' ')
				end++;
			hit = r->napps == 0 ? NULL : bsearch(&want, keys,
			    r->napps, sizeof *keys, app_key_cmp);
			if (hit != NULL)
				c->apps = set_add(c->apps, &c->napps,
				    hit->idx);
		}
	}
	free(keys);
}

static int
conflux_cmp(const void *a, const void *b)
{
	const struct rep_circ *x = *(struct rep_circ *const *)a;
	const struct rep_circ *y = *(struct rep_circ *const *)b;
	int d;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	if ((d = strcmp(x->conflux_id, y->conflux_id)) != 0)
		return d;
	return x < y ? -1 : x > y;
}

/*
 * Groups circuits into exit circuits (conflux legs of one set in one
 * session are one) and counts, for each pair of applications, the exit
 * circuits they shared.
 */
static void
build_units(struct report *r)
{
	struct rep_circ **cf;
	size_t *leader, ncf = 0, i, j, k, run, n = r->napps;
	struct rep_unit *u;

	leader = xcalloc(r->ncircs, sizeof *leader);
	cf = xcalloc(r->ncircs, sizeof *cf);
	for (i = 0; i < r->ncircs; i++) {
		leader[i] = i;
		if (r->circs[i].conflux_id != NULL)
			cf[ncf++] = &r->circs[i];
	}
	qsort(cf, ncf, sizeof *cf, conflux_cmp);
	for (i = 0; i < ncf; i = run) {
		for (run = i + 1; run < ncf && cf[run]->session ==
		    cf[i]->session && strcmp(cf[run]->conflux_id,
		    cf[i]->conflux_id) == 0; run++)
			;
		/* Sorted by address last: cf[i] is the first leg. */
		for (j = i; j < run; j++)
			leader[cf[j] - r->circs] = (size_t)(cf[i] - r->circs);
	}
	free(cf);

	r->units = xcalloc(r->ncircs, sizeof *r->units);
	for (i = 0; i < r->ncircs; i++) {
		if (leader[i] == i)
			r->circs[i].unit = r->nunits++;
		else
			r->circs[i].unit = r->circs[leader[i]].unit;
		u = &r->units[r->circs[i].unit];
		u->circs = xreallocarray(u->circs, u->ncircs + 1,
		    sizeof *u->circs);
		u->circs[u->ncircs++] = i;
		for (j = 0; j < r->circs[i].napps; j++)
			u->apps = set_add(u->apps, &u->napps,
			    r->circs[i].apps[j]);
	}
	free(leader);

	r->share = xcalloc(n == 0 ? 1 : n * n, sizeof *r->share);
	for (k = 0; k < r->nunits; k++) {
		u = &r->units[k];
		for (i = 0; i < u->napps; i++)
			for (j = i + 1; j < u->napps; j++) {
				r->share[u->apps[i] * n + u->apps[j]]++;
				r->share[u->apps[j] * n + u->apps[i]]++;
			}
	}
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

/* Reads the range into r.  Returns 0, or -1 with *cause. */
static int
report_load(struct report *r, int64_t since, int64_t until, char **cause)
{
	if (store_each_session(r->store, &r->range, load_session, r,
	    cause) == -1)
		return -1;
	if (r->nsessions == 0)
		return 0;
	if (store_each_app(r->store, &r->range, load_app, r, cause) == -1 ||
	    store_each_circuit(r->store, &r->range, load_circuit, r,
	    cause) == -1 ||
	    store_each_finding(r->store, &r->range, load_finding, r,
	    cause) == -1 ||
	    store_count_streams(r->store, &r->range, &r->nstreams,
	    cause) == -1)
		return -1;
	resolve_circuit_apps(r);
	build_units(r);
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
	for (i = 0; i < r->ncircs; i++) {
		struct rep_circ *c = &r->circs[i];

		free(c->purpose);
		free(c->conflux_id);
		free(c->exit_fp);
		free(c->exit_nick);
		free(c->apps_raw);
		free(c->apps);
	}
	free(r->circs);
	for (i = 0; i < r->nunits; i++) {
		free(r->units[i].apps);
		free(r->units[i].circs);
	}
	free(r->units);
	for (i = 0; i < r->nfindings; i++) {
		struct rep_finding *f = &r->findings[i];

		free(f->rule);
		free(f->severity);
		free(f->listener);
		free(f->apps);
		free(f->identities);
		free(f->processes);
		free(f->streams);
		free(f->detail);
	}
	free(r->findings);
	free(r->share);
}

/* The distinct values of one string field of the sessions, ", " joined. */
static void
session_values(const struct report *r, struct buf *b, size_t field)
{
	size_t i, j, n = 0;
	const char *v, *w;

	for (i = 0; i < r->nsessions; i++) {
		v = *(char *const *)((const char *)&r->sessions[i] + field);
		if (empty(v))
			continue;
		for (j = 0; j < i; j++) {
			w = *(char *const *)((const char *)&r->sessions[j] +
			    field);
			if (w != NULL && strcmp(v, w) == 0)
				break;
		}
		if (j < i)
			continue;
		if (n++ > 0)
			buf_adds(b, ", ");
		buf_adds(b, v);
	}
	if (n == 0)
		buf_adds(b, "unknown");
}

/* Sorted distinct labels of a circuit's applications (pointers into r). */
static size_t
circ_labels(const struct report *r, const struct rep_circ *c,
    const char ***out)
{
	const char **l = xcalloc(c->napps == 0 ? 1 : c->napps, sizeof *l);
	size_t i, j, n = 0;

	for (i = 0; i < c->napps; i++) {
		const char *label = r->apps[c->apps[i]].label;

		for (j = 0; j < n && strcmp(l[j], label) != 0; j++)
			;
		if (j == n)
			l[n++] = label;
	}
	/* Insertion sort: a circuit carries few labels. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(l[j - 1], l[j]) > 0; j--) {
			const char *t = l[j];

			l[j] = l[j - 1];
			l[j - 1] = t;
		}
	*out = l;
	return n;
}

/* Where a finding is: "session 1 circuit 79" / "... listener X" (raw). */
static void
finding_where(struct buf *b, const struct rep_finding *f)
{
	buf_printf(b, "session %" PRId64, f->session);
	if (f->circ_id != 0)
		buf_printf(b, " circuit %" PRIu64, f->circ_id);
	if (f->listener != NULL)
		buf_printf(b, " listener %s", f->listener);
}

/* The title of the range (raw). */
static void
range_title(const struct report *r, struct buf *b)
{
	if (r->range.session != 0)
		buf_printf(b, "Tor session %" PRId64, r->range.session);
	else if (r->all)
		buf_printf(b, "all %zu Tor session%s", r->nsessions,
		    r->nsessions == 1 ? "" : "s");
	else
		buf_printf(b, "%zu Tor session%s", r->nsessions,
		    r->nsessions == 1 ? "" : "s");
}

/* --- JSON ----------------------------------------------------------------- */

static void
json_app_processes(struct buf *b, const char *s)
{
	const char *p = s, *q, *open, *tok;
	int n = 0;

	/*
	 * "name[pid] name[pid] ..." where a name may itself hold spaces or
	 * brackets: a token ends at "[digits]" followed by a space or the
	 * end.
	 */
	buf_addc(b, '[');
	while (p != NULL && *p != '\0') {
		tok = p;
		for (q = p; *q != '\0'; q++) {
			if (*q != ']' || (q[1] != ' ' && q[1] != '\0'))
				continue;
			for (open = q; open > tok && open[-1] >= '0' &&
			    open[-1] <= '9'; open--)
				;
			if (open == q || open == tok || open[-1] != '[')
				continue;
			break;
		}
		if (*q == '\0') {
			/* No pid form: the rest as a name. */
			if (n++ > 0)
				buf_adds(b, ", ");
			buf_adds(b, "{\"pid\": null, \"name\": ");
			buf_json_str(b, tok, strlen(tok));
			buf_addc(b, '}');
			break;
		}
		if (n++ > 0)
			buf_adds(b, ", ");
		buf_adds(b, "{\"pid\": ");
		buf_add(b, open, (size_t)(q - open));
		buf_adds(b, ", \"name\": ");
		if (open - 1 - tok == 1 && *tok == '?')
			buf_adds(b, "null");
		else
			buf_json_str(b, tok, (size_t)(open - 1 - tok));
		buf_addc(b, '}');
		p = q[1] == ' ' ? q + 2 : q + 1;
	}
	buf_addc(b, ']');
}

/* Appends a space-separated list as a JSON array of strings. */
static void
json_words(struct buf *b, const char *s)
{
	const char *p = s, *e;
	int n = 0;

	buf_addc(b, '[');
	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		if (n++ > 0)
			buf_adds(b, ", ");
		buf_json_str(b, p, (size_t)(e - p));
		p = e;
	}
	buf_addc(b, ']');
}

static void
json_write(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	const char **labels;
	size_t i, j, n;
	char t[TIME_RFC3339_LEN];

	buf_adds(b, "{\n  \"isoaudit_report\": 1,\n  \"generated\": ");
	time_rfc3339(r->now, t);
	buf_json_strz(b, t);
	buf_adds(b, ",\n  \"range\": {\"from\": ");
	json_time(b, r->from);
	buf_adds(b, ", \"to\": ");
	json_time(b, r->to);
	buf_adds(b, "},\n  \"tor_sessions\": [");
	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		buf_printf(b, "%s\n    {\"id\": %" PRId64 ", \"tor_version\": ",
		    i > 0 ? "," : "", s->id);
		buf_json_strz(b, s->tor_version);
		buf_adds(b, ", \"control\": ");
		buf_json_strz(b, s->control);
		buf_adds(b, ", \"started\": ");
		json_time(b, s->started);
		buf_adds(b, ", \"ended\": ");
		json_time(b, s->ended);
		buf_adds(b, ", \"auth\": ");
		buf_json_strz(b, s->auth);
		if (s->pid > 0)
			buf_printf(b, ", \"pid\": %ld", s->pid);
		else
			buf_adds(b, ", \"pid\": null");
		buf_adds(b, ", \"source\": ");
		buf_json_strz(b, s->source);
		buf_adds(b, ", \"end_reason\": ");
		buf_json_strz(b, s->end_reason);
		buf_adds(b, ", \"last_event\": ");
		json_time(b, s->last_event);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
	buf_adds(b, r->nsessions > 0 ? "\n  ],\n  \"apps\": [" :
	    "],\n  \"apps\": [");
	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		buf_adds(b, i > 0 ? ",\n    {\"app\": " : "\n    {\"app\": ");
		buf_json_strz(b, a->label);
		buf_adds(b, ", \"host\": ");
		buf_json_strz(b, a->host);
		buf_adds(b, ", \"listeners\": ");
		json_words(b, a->listeners);
		buf_printf(b, ", \"streams\": %ld, \"circuits\": %ld, "
		    "\"exits\": %ld, \"first_seen\": ", a->streams,
		    a->circuits, a->exits);
		json_time(b, a->first_seen);
		buf_adds(b, ", \"last_seen\": ");
		json_time(b, a->last_seen);
		buf_printf(b, ", \"id\": %" PRId64 ", \"sub\": ", a->id);
		buf_json_strz(b, a->sub[0] != '\0' ? a->sub : NULL);
		buf_adds(b, ", \"identity\": ");
		buf_json_strz(b, a->ident);
		buf_adds(b, ", \"processes\": ");
		json_app_processes(b, a->processes);
		buf_addc(b, '}');
		out_maybe_flush(o);
	}
	buf_adds(b, r->napps > 0 ? "\n  ],\n  \"circuits\": [" :
	    "],\n  \"circuits\": [");
	for (i = 0; i < r->ncircs; i++) {
		const struct rep_circ *c = &r->circs[i];

		buf_printf(b, "%s\n    {\"session\": %" PRId64 ", \"id\": \"%"
		    PRIu64 "\", \"purpose\": ", i > 0 ? "," : "", c->session,
		    c->circ_id);
		buf_json_strz(b, c->purpose);
		buf_adds(b, ", \"conflux_id\": ");
		buf_json_strz(b, c->conflux_id);
		buf_adds(b, ", \"exit\": ");
		if (c->exit_fp == NULL && c->exit_nick == NULL)
			buf_adds(b, "null");
		else {
			buf_adds(b, "{\"fingerprint\": ");
			buf_json_strz(b, c->exit_fp);
			buf_adds(b, ", \"nickname\": ");
			buf_json_strz(b, c->exit_nick);
			buf_addc(b, '}');
		}
		buf_adds(b, ", \"apps\": [");
		n = circ_labels(r, c, &labels);
		for (j = 0; j < n; j++) {
			if (j > 0)
				buf_adds(b, ", ");
			buf_json_strz(b, labels[j]);
		}
		free(labels);
		buf_printf(b, "], \"streams\": %ld, \"created\": ",
		    c->streams);
		json_time(b, c->created);
		buf_adds(b, ", \"closed\": ");
		json_time(b, c->closed);
		buf_adds(b, ", \"identities\": [");
		for (j = 0; j < c->napps; j++) {
			if (j > 0)
				buf_adds(b, ", ");
			buf_json_strz(b, r->apps[c->apps[j]].ident);
		}
		buf_adds(b, "]}");
		out_maybe_flush(o);
	}
	buf_adds(b, r->ncircs > 0 ? "\n  ],\n  \"findings\": [" :
	    "],\n  \"findings\": [");
	for (i = 0; i < r->nfindings; i++) {
		const struct rep_finding *f = &r->findings[i];

		struct store_finding_row row;

		memset(&row, 0, sizeof row);
		row.id = f->id;
		row.rule = f->rule;
		row.severity = f->severity;
		row.session = f->session;
		row.circ_id = f->circ_id;
		row.listener = f->listener;
		row.apps = f->apps;
		row.identities = f->identities;
		row.processes = f->processes;
		row.streams = f->streams;
		row.count = f->count;
		row.first_seen = f->first_seen;
		row.last_seen = f->last_seen;
		row.detail = f->detail;
		row.acknowledged = f->acknowledged;
		buf_adds(b, i > 0 ? ",\n    " : "\n    ");
		report_json_finding(b, &row);
		out_maybe_flush(o);
	}
	buf_adds(b, r->nfindings > 0 ? "\n  ],\n" : "],\n");
	buf_printf(b, "  \"summary\": {\"streams\": %ld, \"circuits\": %zu, "
	    "\"apps\": %zu, \"findings\": {\"critical\": %ld, \"warning\": "
	    "%ld, \"notice\": %ld, \"info\": %ld}}\n}\n", r->nstreams,
	    r->ncircs, r->napps, r->sev[SEV_CRITICAL], r->sev[SEV_WARNING],
	    r->sev[SEV_NOTICE], r->sev[SEV_INFO]);
}

/* --- text ----------------------------------------------------------------- */

/* A column of a text table: title, right-aligned or not, widest cell. */
struct text_col {
	const char	*title;
	int		 right;
	size_t		 max;
};

/* Rows of printable (already escaped) cells, aligned when printed. */
struct text_table {
	const struct text_col	*cols;
	size_t			 ncols;
	char			**cells;	/* nrows * ncols, owned */
	size_t			 nrows;
};

static void
table_init(struct text_table *t, const struct text_col *cols, size_t n)
{
	t->cols = cols;
	t->ncols = n;
	t->cells = NULL;
	t->nrows = 0;
}

static void
table_row(struct text_table *t)
{
	size_t i;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof *t->cells);
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = NULL;
	t->nrows++;
}

static void table_set(struct text_table *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a cell of the last row to printf output (must be printable). */
static void
table_set(struct text_table *t, size_t col, const char *fmt, ...)
{
	char **cell = &t->cells[(t->nrows - 1) * t->ncols + col];
	va_list ap;

	free(*cell);
	va_start(ap, fmt);
	if (vasprintf(cell, fmt, ap) == -1)
		*cell = NULL;
	va_end(ap);
}

/* Sets a cell of the last row to an escaped copy of s ("-" if empty). */
static void
table_set_esc(struct text_table *t, size_t col, const char *s)
{
	char **cell = &t->cells[(t->nrows - 1) * t->ncols + col];

	free(*cell);
	*cell = esc_dup(s);
}

static void
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		buf_addc(b, ' ');
}

/*
 * Appends s (a ", " list) broken so that no line passes TEXT_WIDTH, the
 * lines after the first indented to column start.
 */
static void
table_wrap(struct buf *b, const char *s, size_t start)
{
	size_t room = TEXT_WIDTH - start, n;
	const char *p = s, *cut;

	while (strlen(p) > room) {
		/* After a ", " (between list items), else where it must. */
		for (cut = p + room; cut > p + 1 && (cut[0] != ' ' ||
		    cut[-1] != ','); cut--)
			;
		if (cut == p + 1)
			cut = p + room;
		n = (size_t)(cut - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		buf_add(b, p, n);
		buf_addc(b, '\n');
		pad(b, start);
		for (p = cut; *p == ' '; p++)
			;
	}
	buf_adds(b, p);
}

/* Prints the table (two spaces of indent) and frees its cells. */
static void
table_print(struct text_table *t, struct out *o)
{
	size_t *w = xcalloc(t->ncols, sizeof *w);
	size_t i, j, len, used, start;
	const char *s;
	struct buf *b = &o->b;

	for (j = 0; j < t->ncols; j++) {
		w[j] = strlen(t->cols[j].title);
		for (i = 0; i < t->nrows; i++) {
			s = t->cells[i * t->ncols + j];
			len = s != NULL ? strlen(s) : 1;
			if (len > w[j])
				w[j] = len;
		}
		if (t->cols[j].max > 0 && w[j] > t->cols[j].max)
			w[j] = t->cols[j].max;
	}
	for (i = 0; i <= t->nrows; i++) {
		buf_adds(b, "  ");
		used = 0;
		start = 2;
		for (j = 0; j < t->ncols; j++) {
			s = i == 0 ? t->cols[j].title :
			    t->cells[(i - 1) * t->ncols + j];
			if (s == NULL)
				s = "-";
			len = strlen(s);
			if (j > 0) {
				pad(b, used);
				buf_adds(b, "  ");
				start += w[j - 1] + 2;
			}
			used = 0;
			if (j == t->ncols - 1 && i > 0 && !t->cols[j].right &&
			    start + len > TEXT_WIDTH &&
			    start + 20 < TEXT_WIDTH) {
				/* A long last cell goes on under itself. */
				table_wrap(b, s, start);
				continue;
			}
			if (len > w[j]) {
				/* Cut, and say so with a final '~'. */
				buf_add(b, s, w[j] - 1);
				buf_addc(b, '~');
				continue;
			}
			if (t->cols[j].right)
				pad(b, w[j] - len);
			buf_adds(b, s);
			if (!t->cols[j].right)
				used = w[j] - len;
		}
		buf_addc(b, '\n');
		out_maybe_flush(o);
	}
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
	t->cells = NULL;
	t->nrows = 0;
}

/* Appends printable text s wrapped at width with indent on every line. */
static void
text_wrap(struct buf *b, const char *s, size_t indent, size_t width)
{
	size_t col = 0, wl;
	const char *p = s, *e;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		wl = (size_t)(e - p);
		if (col > 0 && col + 1 + wl > width - indent) {
			buf_addc(b, '\n');
			col = 0;
		}
		if (col == 0)
			pad(b, indent);
		else {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, wl);
		col += wl;
		p = e;
	}
	if (col > 0)
		buf_addc(b, '\n');
}

/* Appends "label: " and an escaped, wrapped value for a finding block. */
static void
text_field(struct buf *b, const char *label, const char *raw)
{
	struct buf v;

	buf_init(&v);
	buf_adds(&v, label);
	buf_escape(&v, raw, strlen(raw));
	text_wrap(b, buf_cstr(&v), 6, TEXT_WIDTH);
	buf_free(&v);
}

static void
text_header(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, t;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN], d[32], *e;

	buf_init(&t);
	range_title(r, &t);
	time_rfc3339(r->now, x);
	buf_printf(b, "isoaudit report: %s (generated %s, times UTC)\n",
	    buf_cstr(&t), x);
	t3339(r->from, x);
	t3339(r->to, y);
	buf_printf(b, "  range     %s .. %s", x[0] ? x : "(start)",
	    y[0] ? y : "(open)");
	if (r->from != 0 && r->to != 0) {
		fmt_duration(r->to - r->from, d, sizeof d);
		buf_printf(b, "  (%s)", d);
	}
	buf_addc(b, '\n');
	buf_reset(&t);
	session_values(r, &t, offsetof(struct rep_session, tor_version));
	e = esc_dup(buf_cstr(&t));
	buf_adds(b, "  tor       ");
	table_wrap(b, e, 12);
	free(e);
	buf_reset(&t);
	session_values(r, &t, offsetof(struct rep_session, control));
	if (r->nsessions == 1 && !empty(r->sessions[0].auth))
		buf_printf(&t, " (%s)", r->sessions[0].auth);
	e = esc_dup(buf_cstr(&t));
	buf_adds(b, "\n  control   ");
	table_wrap(b, e, 12);
	free(e);
	buf_printf(b, "\n  recorded  %ld stream%s, %zu circuit%s, %zu "
	    "application%s\n", r->nstreams, r->nstreams == 1 ? "" : "s",
	    r->ncircs, r->ncircs == 1 ? "" : "s", r->napps,
	    r->napps == 1 ? "" : "s");
	buf_printf(b, "  findings  %ld critical, %ld warning, %ld notice, "
	    "%ld info\n", r->sev[SEV_CRITICAL], r->sev[SEV_WARNING],
	    r->sev[SEV_NOTICE], r->sev[SEV_INFO]);
	buf_free(&t);
}

static void
text_sessions(const struct report *r, struct out *o)
{
	static const struct text_col cols[] = {
		{ "SESSION", 1, 0 }, { "TOR", 0, 16 }, { "CONTROL", 0, 24 },
		{ "STARTED", 0, 0 }, { "ENDED", 0, 0 }, { "DURATION", 1, 0 },
		{ "END", 0, 16 }
	};
	struct text_table t;
	char x[TIME_RFC3339_LEN], d[32];
	size_t i;

	buf_printf(&o->b, "\nTOR SESSIONS (%zu)\n", r->nsessions);
	table_init(&t, cols, sizeof cols / sizeof cols[0]);
	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];
		int64_t end = s->ended != 0 ? s->ended : s->last_event;

		table_row(&t);
		table_set(&t, 0, "%" PRId64, s->id);
		table_set_esc(&t, 1, s->tor_version);
		table_set_esc(&t, 2, s->control);
		tshort(r, s->started, x);
		table_set(&t, 3, "%s", x);
		tshort(r, s->ended, x);
		table_set(&t, 4, "%s", s->ended != 0 ? x : "(open)");
		if (end > s->started) {
			fmt_duration(end - s->started, d, sizeof d);
			table_set(&t, 5, "%s", d);
		}
		table_set_esc(&t, 6, s->end_reason);
	}
	table_print(&t, o);
}

static void
text_apps(const struct report *r, struct out *o)
{
	static const struct text_col cols[] = {
		{ "#", 1, 0 }, { "APPLICATION", 0, 34 },
		{ "LISTENERS", 0, 20 }, { "STREAMS", 1, 0 },
		{ "CIRCS", 1, 0 }, { "EXITS", 1, 0 }, { "FIRST", 0, 0 },
		{ "LAST", 0, 0 }
	};
	struct text_table t;
	char x[TIME_RFC3339_LEN];
	size_t i;

	buf_printf(&o->b, "\nAPPLICATIONS (%zu)\n", r->napps);
	if (r->napps == 0) {
		buf_adds(&o->b, "  no stream was attributed to an "
		    "application\n");
		return;
	}
	table_init(&t, cols, sizeof cols / sizeof cols[0]);
	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		table_row(&t);
		table_set(&t, 0, "%zu", i + 1);
		table_set_esc(&t, 1, a->ident);
		table_set_esc(&t, 2, a->listeners);
		table_set(&t, 3, "%ld", a->streams);
		table_set(&t, 4, "%ld", a->circuits);
		table_set(&t, 5, "%ld", a->exits);
		tshort(r, a->first_seen, x);
		table_set(&t, 6, "%s", x);
		tshort(r, a->last_seen, x);
		table_set(&t, 7, "%s", x);
	}
	table_print(&t, o);
}

static void
text_sharing(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i, j, n = r->napps, w = 3, lw = 8, pairs = 0;
	long max = 0;
	char *e, num[24];

	buf_adds(b, "\nCIRCUIT SHARING (exit circuits two applications "
	    "both used; conflux legs count as one)\n");
	for (i = 0; i < n * n; i++) {
		if (r->share[i] > max)
			max = r->share[i];
		if (r->share[i] > 0)
			pairs++;
	}
	if (n < 2 || max == 0) {
		buf_adds(b, n < 2 ? "  fewer than two applications: nothing "
		    "to share\n" : "  no two applications shared a "
		    "circuit\n");
		return;
	}
	if (n > MATRIX_MAX_APPS) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++) {
				if (r->share[i * n + j] == 0)
					continue;
				buf_adds(b, "  ");
				esc(b, r->apps[i].ident);
				buf_adds(b, " + ");
				esc(b, r->apps[j].ident);
				buf_printf(b, ": %ld circuit%s\n",
				    r->share[i * n + j],
				    r->share[i * n + j] == 1 ? "" : "s");
				out_maybe_flush(o);
			}
		return;
	}
	snprintf(num, sizeof num, "%zu", n);
	if (strlen(num) + 1 > w)
		w = strlen(num) + 1;
	snprintf(num, sizeof num, "%ld", max);
	if (strlen(num) + 1 > w)
		w = strlen(num) + 1;
	for (i = 0; i < n; i++) {
		size_t l = strlen(r->apps[i].ident);

		if (l > lw)
			lw = l;
	}
	if (lw > 28)
		lw = 28;
	pad(b, 2 + 3 + 2 + lw);
	for (j = 0; j < n; j++)
		buf_printf(b, "%*zu", (int)w, j + 1);
	buf_addc(b, '\n');
	for (i = 0; i < n; i++) {
		e = esc_dup(r->apps[i].ident);
		if (strlen(e) > lw) {
			e[lw - 1] = '~';
			e[lw] = '\0';
		}
		buf_printf(b, "  %3zu  %-*s", i + 1, (int)lw, e);
		free(e);
		for (j = 0; j < n; j++) {
			if (i == j)
				buf_printf(b, "%*s", (int)w, "-");
			else if (r->share[i * n + j] == 0)
				buf_printf(b, "%*s", (int)w, ".");
			else
				buf_printf(b, "%*ld", (int)w,
				    r->share[i * n + j]);
		}
		buf_addc(b, '\n');
	}
	buf_printf(b, "  %zu pair%s of applications shared exit circuits "
	    "(numbers: how many)\n", pairs / 2, pairs / 2 == 1 ? "" : "s");
}

static void
text_findings(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN];
	size_t i, k;
	enum severity s;
	int shown;

	buf_printf(b, "\nFINDINGS (%zu)\n", r->nfindings);
	if (r->nfindings == 0) {
		buf_adds(b, "  no findings\n");
		return;
	}
	buf_init(&v);
	for (k = 0; k < REPORT_NORDER; k++) {
		s = report_sev_order[k];
		shown = 0;
		for (i = 0; i < r->nfindings; i++) {
			const struct rep_finding *f = &r->findings[i];

			if (f->sev != s)
				continue;
			if (!shown++) {
				if (s != REPORT_SEV_OTHER)
					buf_printf(b, "  %s (%ld)\n",
					    severity_name(s), r->sev[s]);
				else
					buf_adds(b, "  other severity\n");
			}
			buf_adds(b, "    ");
			esc(b, f->rule);
			if (s == REPORT_SEV_OTHER) {
				buf_adds(b, " [");
				esc(b, f->severity);
				buf_addc(b, ']');
			}
			buf_printf(b, "  x%ld  ", f->count);
			buf_reset(&v);
			finding_where(&v, f);
			esc(b, buf_cstr(&v));
			tshort(r, f->first_seen, x);
			tshort(r, f->last_seen, y);
			if (f->first_seen == f->last_seen)
				buf_printf(b, "  at %s", x);
			else
				buf_printf(b, "  %s .. %s", x, y);
			if (f->acknowledged)
				buf_adds(b, "  (acknowledged)");
			buf_addc(b, '\n');
			buf_reset(&v);
			if (list_plain(&v, f->identities) > 0 ||
			    list_plain(&v, f->apps) > 0)
				text_field(b, "who: ", buf_cstr(&v));
			buf_reset(&v);
			if (list_plain(&v, f->processes) > 0)
				text_field(b, "processes: ", buf_cstr(&v));
			buf_reset(&v);
			if (list_plain(&v, f->streams) > 0)
				text_field(b, "streams: ", buf_cstr(&v));
			if (!empty(f->detail))
				text_field(b, "", f->detail);
			out_maybe_flush(o);
		}
	}
	buf_free(&v);
}

/* Appends "nick $ABCDEF01" for a circuit's exit (raw), "?" if unknown. */
static void
exit_name(struct buf *b, const struct rep_circ *c)
{
	const char *fp = c->exit_fp;

	if (c->exit_nick == NULL && fp == NULL) {
		buf_addc(b, '?');
		return;
	}
	buf_adds(b, c->exit_nick != NULL ? c->exit_nick : "?");
	if (fp != NULL) {
		if (*fp == '$')
			fp++;
		buf_printf(b, " $%.8s", fp);
	}
}

static void
text_shared_circuits(const struct report *r, struct out *o)
{
	static const struct text_col cols[] = {
		{ "SESSION", 1, 0 }, { "CIRCUIT", 1, 0 }, { "PURPOSE", 0, 14 },
		{ "EXIT", 0, 20 }, { "CONFLUX", 0, 9 }, { "STREAMS", 1, 0 },
		{ "APPLICATIONS", 0, 0 }
	};
	struct text_table t;
	struct buf v;
	size_t i, j, k, c0;

	buf_adds(&o->b, "\nCIRCUITS THAT CARRIED MORE THAN ONE APPLICATION\n");
	/* One session: its number is in the header, drop the column. */
	c0 = r->nsessions > 1 ? 0 : 1;
	table_init(&t, cols + c0, sizeof cols / sizeof cols[0] - c0);
	buf_init(&v);
	for (k = 0; k < r->nunits; k++) {
		const struct rep_unit *u = &r->units[k];

		if (u->napps < 2)
			continue;
		for (i = 0; i < u->ncircs; i++) {
			const struct rep_circ *c = &r->circs[u->circs[i]];

			table_row(&t);
			if (c0 == 0)
				table_set(&t, 0, "%" PRId64, c->session);
			table_set(&t, 1 - c0, "%" PRIu64, c->circ_id);
			table_set_esc(&t, 2 - c0, c->purpose);
			buf_reset(&v);
			exit_name(&v, c);
			table_set_esc(&t, 3 - c0, buf_cstr(&v));
			table_set_esc(&t, 4 - c0, c->conflux_id);
			table_set(&t, 5 - c0, "%ld", c->streams);
			buf_reset(&v);
			for (j = 0; j < c->napps; j++) {
				if (j > 0)
					buf_adds(&v, ", ");
				buf_adds(&v, r->apps[c->apps[j]].ident);
			}
			table_set_esc(&t, 6 - c0, c->napps > 0 ?
			    buf_cstr(&v) : NULL);
		}
	}
	buf_free(&v);
	if (t.nrows == 0) {
		buf_adds(&o->b, "  none: every circuit carried one "
		    "application at most\n");
		return;
	}
	table_print(&t, o);
}

static void
text_write(const struct report *r, struct out *o)
{
	text_header(r, o);
	if (r->nsessions > 1)
		text_sessions(r, o);
	text_apps(r, o);
	text_sharing(r, o);
	text_findings(r, o);
	text_shared_circuits(r, o);
}

/* --- HTML ----------------------------------------------------------------- */

/*
 * Appends s made printable but kept readable: valid UTF-8 as it is;
 * backslash, control characters (C0, DEL, C1) and bytes that are not
 * UTF-8 as buf_escape shows them (\\, \n, \r, \t, \xHH), so that a page,
 * a spreadsheet and a terminal show a hostile name the same way.  With
 * html, also the five special characters as entities.
 */
static void
esc_utf8(struct buf *b, const char *s, int html)
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

/* Appends s as HTML text (see esc_utf8). */
static void
html_esc(struct buf *b, const char *s)
{
	esc_utf8(b, s, 1);
}

/* Appends a <td> holding s escaped (or a dash), with an optional class. */
static void
html_td(struct buf *b, const char *cls, const char *s)
{
	if (cls != NULL)
		buf_printf(b, "<td class=\"%s\">", cls);
	else
		buf_adds(b, "<td>");
	if (empty(s))
		buf_adds(b, "&ndash;");
	else
		html_esc(b, s);
	buf_adds(b, "</td>");
}

static void
html_td_num(struct buf *b, long v)
{
	buf_printf(b, "<td class=\"n\">%ld</td>", v);
}

static void
html_td_time(struct buf *b, int64_t us)
{
	char t[TIME_RFC3339_LEN];

	t3339(us, t);
	html_td(b, "t", t);
}

static const char html_style[] =
"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
"margin:1.5em 2em;color:#1d1d1f;background:#fff}\n"
"h1{font-size:1.35em;margin:0 0 .4em}\n"
"h2{font-size:1.1em;margin:1.8em 0 .5em;padding-bottom:.2em;"
"border-bottom:1px solid #ccc}\n"
"h3{font-size:1em;margin:1em 0 .3em}\n"
"table{border-collapse:collapse;margin:.3em 0}\n"
"th,td{border:1px solid #d0d0d0;padding:.2em .55em;text-align:left;"
"vertical-align:top}\n"
"th{background:#f3f3f3;font-weight:600}\n"
"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
"td.t,.mono{font-family:ui-monospace,\"SFMono-Regular\",Menlo,Consolas,"
"monospace;font-size:.92em;white-space:nowrap}\n"
"dl.head{display:grid;grid-template-columns:max-content auto;"
"gap:.15em 1em;margin:0}\n"
"dl.head dt{font-weight:600}dl.head dd{margin:0}\n"
"table.matrix td{text-align:center;min-width:2.2em}\n"
"table.matrix td.shared{background:#f6b8b8;color:#7a0000;"
"font-weight:700}\n"
"table.matrix td.self{background:#e8e8e8;color:#888}\n"
".sev-critical{color:#b00000;font-weight:700}\n"
".sev-warning{color:#a65e00;font-weight:700}\n"
".sev-notice{color:#1f5fa8}\n"
".sev-info{color:#555}\n"
".detail{max-width:40em}\n"
".none{color:#555;font-style:italic}\n"
"footer{margin-top:2em;color:#777;font-size:.85em}\n";

static void
html_head(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, t;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN], d[32];

	buf_init(&t);
	range_title(r, &t);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>isoaudit report: ");
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</title>\n<style>\n");
	buf_adds(b, html_style);
	buf_adds(b, "</style>\n</head>\n<body>\n<h1>isoaudit report: ");
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</h1>\n<dl class=\"head\">\n<dt>range</dt><dd>");
	t3339(r->from, x);
	t3339(r->to, y);
	buf_printf(b, "<span class=\"mono\">%s</span> .. "
	    "<span class=\"mono\">%s</span>", x[0] ? x : "(start)",
	    y[0] ? y : "(open)");
	if (r->from != 0 && r->to != 0) {
		fmt_duration(r->to - r->from, d, sizeof d);
		buf_printf(b, " (%s)", d);
	}
	buf_adds(b, "</dd>\n<dt>Tor</dt><dd>");
	buf_reset(&t);
	session_values(r, &t, offsetof(struct rep_session, tor_version));
	html_esc(b, buf_cstr(&t));
	buf_adds(b, "</dd>\n<dt>control</dt><dd>");
	buf_reset(&t);
	session_values(r, &t, offsetof(struct rep_session, control));
	html_esc(b, buf_cstr(&t));
	buf_printf(b, "</dd>\n<dt>recorded</dt><dd>%ld streams, %zu "
	    "circuits, %zu applications</dd>\n<dt>findings</dt><dd>"
	    "<span class=\"sev-critical\">%ld critical</span>, "
	    "<span class=\"sev-warning\">%ld warning</span>, "
	    "<span class=\"sev-notice\">%ld notice</span>, "
	    "<span class=\"sev-info\">%ld info</span></dd>\n</dl>\n",
	    r->nstreams, r->ncircs, r->napps, r->sev[SEV_CRITICAL],
	    r->sev[SEV_WARNING], r->sev[SEV_NOTICE], r->sev[SEV_INFO]);
	buf_free(&t);
}

static void
html_apps(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	buf_printf(b, "<h2>Applications (%zu)</h2>\n", r->napps);
	if (r->napps == 0) {
		buf_adds(b, "<p class=\"none\">No stream was attributed to an "
		    "application.</p>\n");
		return;
	}
	buf_adds(b, "<table>\n<tr><th>#</th><th>application</th>"
	    "<th>host</th><th>listeners</th><th>processes</th>"
	    "<th>streams</th><th>circuits</th><th>exits</th>"
	    "<th>first seen</th><th>last seen</th></tr>\n");
	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		buf_printf(b, "<tr><td class=\"n\">%zu</td><td>", i + 1);
		html_esc(b, a->label);
		if (a->sub[0] != '\0') {
			buf_adds(b, " <span class=\"mono\">/");
			html_esc(b, a->sub);
			buf_adds(b, "</span>");
		}
		buf_adds(b, "</td>");
		html_td(b, NULL, a->host);
		html_td(b, "mono", a->listeners);
		html_td(b, NULL, a->processes);
		html_td_num(b, a->streams);
		html_td_num(b, a->circuits);
		html_td_num(b, a->exits);
		html_td_time(b, a->first_seen);
		html_td_time(b, a->last_seen);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

static void
html_sharing(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i, j, n = r->napps;
	long v;

	buf_adds(b, "<h2>Circuit sharing</h2>\n<p>Exit circuits that two "
	    "applications both used (the legs of one conflux set count as "
	    "one circuit). A shared cell means the exit relay could link "
	    "the two.</p>\n");
	if (n < 2) {
		buf_adds(b, "<p class=\"none\">Fewer than two applications: "
		    "nothing to share.</p>\n");
		return;
	}
	buf_adds(b, "<table class=\"matrix\">\n<tr><th></th>");
	for (j = 0; j < n; j++) {
		buf_adds(b, "<th title=\"");
		html_esc(b, r->apps[j].ident);
		buf_printf(b, "\">%zu</th>", j + 1);
	}
	buf_adds(b, "</tr>\n");
	for (i = 0; i < n; i++) {
		buf_printf(b, "<tr><th>%zu ", i + 1);
		html_esc(b, r->apps[i].ident);
		buf_adds(b, "</th>");
		for (j = 0; j < n; j++) {
			v = r->share[i * n + j];
			if (i == j)
				buf_adds(b, "<td class=\"self\">&ndash;</td>");
			else if (v == 0)
				buf_adds(b, "<td></td>");
			else
				buf_printf(b, "<td class=\"shared\">%ld</td>",
				    v);
		}
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

static void
html_findings(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	size_t i, k;
	enum severity s;

	buf_printf(b, "<h2>Findings (%zu)</h2>\n", r->nfindings);
	if (r->nfindings == 0) {
		buf_adds(b, "<p class=\"none\">No findings.</p>\n");
		return;
	}
	buf_init(&v);
	buf_adds(b, "<table>\n<tr><th>severity</th><th>rule</th>"
	    "<th>count</th><th>where</th><th>first seen</th>"
	    "<th>last seen</th><th>who</th><th>processes</th>"
	    "<th>streams</th><th>detail</th></tr>\n");
	for (k = 0; k < REPORT_NORDER; k++)
		for (i = 0; i < r->nfindings; i++) {
			const struct rep_finding *f = &r->findings[i];

			if (f->sev != (s = report_sev_order[k]))
				continue;
			if (s != REPORT_SEV_OTHER)
				buf_printf(b, "<tr><td class=\"sev-%s\">%s",
				    severity_name(s), severity_name(s));
			else {
				buf_adds(b, "<tr><td>");
				html_esc(b, f->severity);
			}
			if (f->acknowledged)
				buf_adds(b, " (acknowledged)");
			buf_adds(b, "</td>");
			html_td(b, "mono", f->rule);
			html_td_num(b, f->count);
			buf_reset(&v);
			finding_where(&v, f);
			html_td(b, NULL, buf_cstr(&v));
			html_td_time(b, f->first_seen);
			html_td_time(b, f->last_seen);
			buf_reset(&v);
			if (list_plain(&v, f->identities) == 0)
				list_plain(&v, f->apps);
			html_td(b, NULL, buf_cstr(&v));
			buf_reset(&v);
			list_plain(&v, f->processes);
			html_td(b, NULL, buf_cstr(&v));
			buf_reset(&v);
			list_plain(&v, f->streams);
			html_td(b, "mono", buf_cstr(&v));
			html_td(b, "detail", f->detail);
			buf_adds(b, "</tr>\n");
			out_maybe_flush(o);
		}
	buf_adds(b, "</table>\n");
	buf_free(&v);
}

static void
html_shared_circuits(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	size_t i, j, k, rows = 0;

	buf_adds(b, "<h2>Circuits that carried more than one "
	    "application</h2>\n");
	buf_init(&v);
	for (k = 0; k < r->nunits; k++) {
		const struct rep_unit *u = &r->units[k];

		if (u->napps < 2)
			continue;
		if (rows == 0)
			buf_adds(b, "<table>\n<tr><th>session</th>"
			    "<th>circuit</th><th>purpose</th><th>exit</th>"
			    "<th>conflux</th><th>streams</th>"
			    "<th>applications</th><th>created</th>"
			    "<th>closed</th></tr>\n");
		for (i = 0; i < u->ncircs; i++) {
			const struct rep_circ *c = &r->circs[u->circs[i]];

			rows++;
			buf_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>"
			    "<td class=\"n\">%" PRIu64 "</td>", c->session,
			    c->circ_id);
			html_td(b, NULL, c->purpose);
			buf_reset(&v);
			exit_name(&v, c);
			html_td(b, "mono", buf_cstr(&v));
			html_td(b, "mono", c->conflux_id);
			html_td_num(b, c->streams);
			buf_reset(&v);
			for (j = 0; j < c->napps; j++) {
				if (j > 0)
					buf_adds(&v, ", ");
				buf_adds(&v, r->apps[c->apps[j]].ident);
			}
			html_td(b, NULL, buf_cstr(&v));
			html_td_time(b, c->created);
			html_td_time(b, c->closed);
			buf_adds(b, "</tr>\n");
			out_maybe_flush(o);
		}
	}
	buf_free(&v);
	if (rows == 0)
		buf_adds(b, "<p class=\"none\">None: every circuit carried one "
		    "application at most.</p>\n");
	else
		buf_adds(b, "</table>\n");
}

static void
html_sessions(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i;

	buf_printf(b, "<h2>Tor sessions (%zu)</h2>\n<table>\n<tr>"
	    "<th>session</th><th>Tor</th><th>control</th><th>auth</th>"
	    "<th>pid</th><th>source</th><th>started</th><th>ended</th>"
	    "<th>end</th><th>last event</th></tr>\n", r->nsessions);
	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		buf_printf(b, "<tr><td class=\"n\">%" PRId64 "</td>", s->id);
		html_td(b, NULL, s->tor_version);
		html_td(b, "mono", s->control);
		html_td(b, NULL, s->auth);
		if (s->pid > 0)
			html_td_num(b, s->pid);
		else
			html_td(b, NULL, NULL);
		html_td(b, NULL, s->source);
		html_td_time(b, s->started);
		if (s->ended != 0)
			html_td_time(b, s->ended);
		else
			buf_adds(b, "<td>(open)</td>");
		html_td(b, NULL, s->end_reason);
		html_td_time(b, s->last_event);
		buf_adds(b, "</tr>\n");
		out_maybe_flush(o);
	}
	buf_adds(b, "</table>\n");
}

static void
html_write(const struct report *r, struct out *o)
{
	char t[TIME_RFC3339_LEN];

	html_head(r, o);
	html_apps(r, o);
	html_sharing(r, o);
	html_findings(r, o);
	html_shared_circuits(r, o);
	html_sessions(r, o);
	time_rfc3339(r->now, t);
	buf_printf(&o->b, "<footer>generated by isoaudit %s at %s; times "
	    "are UTC</footer>\n</body>\n</html>\n", ISOAUDIT_VERSION, t);
}

/* --- CSV ------------------------------------------------------------------ */

/*
 * RFC 4180: fields separated by commas, records by CRLF, a field quoted
 * when it holds a comma, a quote, CR or LF, quotes doubled inside.  Text
 * from the database is first made printable (esc_utf8: UTF-8 kept,
 * control characters and stray bytes as \n, \xHH...), because a CSV file
 * ends up in a terminal as often as in a spreadsheet.
 *
 * Formula injection: a spreadsheet opening the file would run a text
 * field that starts with = + - @ as a formula, and these fields can hold
 * bytes a hostile program chose (a process name, a SOCKS username, a
 * label).  Such a field gets a leading apostrophe, which spreadsheets take
 * as "this is text" ("=cmd" is written '=cmd).  Numbers and times are
 * written by isoaudit itself and are not text fields.
 */
static void
csv_str(struct buf *b, const char *s)
{
	struct buf v;
	const char *p;
	int quote;

	if (s == NULL)
		return;
	buf_init(&v);
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		buf_addc(&v, '\'');
	esc_utf8(&v, s, 0);
	buf_cstr(&v);
	quote = strpbrk(v.p, ",\"\r\n") != NULL;
	if (quote)
		buf_addc(b, '"');
	for (p = v.p; *p != '\0'; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	if (quote)
		buf_addc(b, '"');
	buf_free(&v);
}

static void
csv_time(struct buf *b, int64_t us)
{
	char t[TIME_RFC3339_LEN];

	t3339(us, t);
	buf_adds(b, t);
}

static void
csv_head(struct buf *b, const char *const *cols)
{
	size_t i;

	for (i = 0; cols[i] != NULL; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_adds(b, cols[i]);
	}
	buf_adds(b, "\r\n");
}

static void
csv_sessions(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "id", "tor_version", "control",
	    "auth", "source", "pid", "started", "ended", "end_reason",
	    "last_event", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->nsessions; i++) {
		const struct rep_session *s = &r->sessions[i];

		buf_printf(b, "%" PRId64 ",", s->id);
		csv_str(b, s->tor_version);
		buf_addc(b, ',');
		csv_str(b, s->control);
		buf_addc(b, ',');
		csv_str(b, s->auth);
		buf_addc(b, ',');
		csv_str(b, s->source);
		buf_addc(b, ',');
		if (s->pid > 0)
			buf_printf(b, "%ld", s->pid);
		buf_addc(b, ',');
		csv_time(b, s->started);
		buf_addc(b, ',');
		csv_time(b, s->ended);
		buf_addc(b, ',');
		csv_str(b, s->end_reason);
		buf_addc(b, ',');
		csv_time(b, s->last_event);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

static void
csv_apps(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "id", "label", "host", "sub",
	    "listeners", "processes", "streams", "circuits", "exits",
	    "first_seen", "last_seen", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->napps; i++) {
		const struct rep_app *a = &r->apps[i];

		buf_printf(b, "%" PRId64 ",", a->id);
		csv_str(b, a->label);
		buf_addc(b, ',');
		csv_str(b, a->host);
		buf_addc(b, ',');
		csv_str(b, a->sub);
		buf_addc(b, ',');
		csv_str(b, a->listeners);
		buf_addc(b, ',');
		csv_str(b, a->processes);
		buf_printf(b, ",%ld,%ld,%ld,", a->streams, a->circuits,
		    a->exits);
		csv_time(b, a->first_seen);
		buf_addc(b, ',');
		csv_time(b, a->last_seen);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

static void
csv_circuits(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "session", "circ_id", "purpose",
	    "conflux_id", "exit_fp", "exit_nick", "apps", "streams",
	    "created", "closed", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->ncircs; i++) {
		const struct rep_circ *c = &r->circs[i];

		buf_printf(b, "%" PRId64 ",%" PRIu64 ",", c->session,
		    c->circ_id);
		csv_str(b, c->purpose);
		buf_addc(b, ',');
		csv_str(b, c->conflux_id);
		buf_addc(b, ',');
		csv_str(b, c->exit_fp);
		buf_addc(b, ',');
		csv_str(b, c->exit_nick);
		buf_addc(b, ',');
		csv_str(b, c->apps_raw);
		buf_printf(b, ",%ld,", c->streams);
		csv_time(b, c->created);
		buf_addc(b, ',');
		csv_time(b, c->closed);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

static void
csv_stream_row(const struct store_stream_row *row, void *arg)
{
	struct out *o = arg;
	struct buf *b = &o->b;

	buf_printf(b, "%" PRId64 ",%" PRIu64 ",", row->session,
	    row->stream_id);
	if (row->circ_id != 0)
		buf_printf(b, "%" PRIu64, row->circ_id);
	buf_addc(b, ',');
	csv_str(b, row->status);
	buf_addc(b, ',');
	csv_str(b, row->listener);
	buf_addc(b, ',');
	csv_str(b, row->client_addr);
	buf_addc(b, ',');
	if (row->app != 0)
		buf_printf(b, "%" PRId64, row->app);
	buf_addc(b, ',');
	if (row->pid > 0)
		buf_printf(b, "%ld", row->pid);
	buf_addc(b, ',');
	csv_str(b, row->process);
	buf_addc(b, ',');
	if (row->uid >= 0)
		buf_printf(b, "%ld", row->uid);
	buf_addc(b, ',');
	csv_str(b, row->protocol);
	buf_addc(b, ',');
	csv_str(b, row->target);
	buf_addc(b, ',');
	if (row->target_port >= 0)
		buf_printf(b, "%d", row->target_port);
	buf_addc(b, ',');
	csv_time(b, row->opened);
	buf_addc(b, ',');
	csv_time(b, row->closed);
	buf_addc(b, ',');
	csv_str(b, row->reason);
	buf_adds(b, "\r\n");
	out_maybe_flush(o);
}

static int
csv_streams(const struct report *r, struct out *o, char **cause)
{
	static const char *const cols[] = { "session", "stream_id",
	    "circ_id", "status", "listener", "client_addr", "app", "pid",
	    "process", "uid", "protocol", "target", "target_port", "opened",
	    "closed", "reason", NULL };

	csv_head(&o->b, cols);
	return store_each_stream(r->store, &r->range, csv_stream_row, o,
	    cause);
}

static void
csv_findings(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "id", "rule", "severity",
	    "session", "circ_id", "listener", "apps", "identities",
	    "processes", "streams", "count", "first_seen", "last_seen",
	    "detail", "acknowledged", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->nfindings; i++) {
		const struct rep_finding *f = &r->findings[i];

		buf_printf(b, "%" PRId64 ",", f->id);
		csv_str(b, f->rule);
		buf_addc(b, ',');
		csv_str(b, f->severity);
		buf_printf(b, ",%" PRId64 ",", f->session);
		if (f->circ_id != 0)
			buf_printf(b, "%" PRIu64, f->circ_id);
		buf_addc(b, ',');
		csv_str(b, f->listener);
		buf_addc(b, ',');
		csv_str(b, f->apps);
		buf_addc(b, ',');
		csv_str(b, f->identities);
		buf_addc(b, ',');
		csv_str(b, f->processes);
		buf_addc(b, ',');
		csv_str(b, f->streams);
		buf_printf(b, ",%ld,", f->count);
		csv_time(b, f->first_seen);
		buf_addc(b, ',');
		csv_time(b, f->last_seen);
		buf_addc(b, ',');
		csv_str(b, f->detail);
		buf_printf(b, ",%d\r\n", f->acknowledged ? 1 : 0);
		out_maybe_flush(o);
	}
}

/* Writes one CSV table.  Returns 0, or -1 with *cause. */
static int
csv_write(const struct report *r, enum csv_table which, struct out *o,
    char **cause)
{
	switch (which) {
	case CSV_SESSIONS:
		csv_sessions(r, o);
		break;
	case CSV_APPS:
		csv_apps(r, o);
		break;
	case CSV_CIRCUITS:
		csv_circuits(r, o);
		break;
	case CSV_STREAMS:
		return csv_streams(r, o, cause);
	case CSV_FINDINGS:
		csv_findings(r, o);
		break;
	case CSV_NTABLES:
		break;
	}
	return 0;
}

/* Writes the five tables as NAME.csv into dir (created 0700). */
static int
csv_write_dir(const struct report *r, const char *dir, char **cause)
{
	struct out o;
	char *name, *path;
	int dfd, i, rc = 0;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1) {
		*cause = xasprintf("-o %s: %s (csv without --table writes "
		    "five files into a directory)", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < CSV_NTABLES && rc == 0; i++) {
		name = xasprintf("%s.csv", csv_table_names[i]);
		path = xasprintf("%s/%s", dir, name);
		if (out_create(&o, dfd, name, path, cause) == -1)
			rc = -1;
		else if (csv_write(r, (enum csv_table)i, &o, cause) == -1) {
			char *ignored = NULL;

			out_finish(&o, &ignored);
			free(ignored);
			rc = -1;
		} else
			rc = out_finish(&o, cause);
		free(name);
		free(path);
	}
	close(dfd);
	return rc;
}

/* --- running it ------------------------------------------------------------ */

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

int
report_table_parse(const char *s, int *out)
{
	int i;

	for (i = 0; i < CSV_NTABLES; i++)
		if (strcmp(s, csv_table_names[i]) == 0) {
			*out = i;
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
		if (csv_write_dir(r, q->output, &cause) == -1) {
			log_error("%s", cause);
			free(cause);
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	if (q->output != NULL) {
		if (out_create(&out, AT_FDCWD, q->output, q->output,
		    &cause) == -1) {
			log_error("%s", cause);
			free(cause);
			return EXIT_RUNTIME;
		}
	} else
		out_stdout(&out);
	switch (q->format) {
	case FMT_TEXT:
		text_write(r, &out);
		break;
	case FMT_JSON:
		json_write(r, &out);
		break;
	case FMT_HTML:
		html_write(r, &out);
		break;
	case FMT_CSV:
		rc = csv_write(r, (enum csv_table)q->table, &out, &cause);
		break;
	}
	if (rc == -1) {
		char *ignored = NULL;

		out_finish(&out, &ignored);
		free(ignored);
	} else
		rc = out_finish(&out, &cause);
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
		if (err == STORE_ERR_MISSING) {
			log_warnx("%s", cause);
			rc = EXIT_OK;
		} else {
			log_error("%s", cause);
			rc = EXIT_RUNTIME;
		}
		free(cause);
		return rc;
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
	else if (report_load(&r, q->since, q->until, &cause) == -1) {
		log_error("%s", cause);
		free(cause);
		rc = EXIT_RUNTIME;
	} else if (r.nsessions == 0)
		log_warnx("nothing recorded in that range (database %s)",
		    q->db);
	else
		rc = report_emit(&r, q);

	report_free(&r);
	store_close(r.store);
	return rc;
}
