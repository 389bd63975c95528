/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_csv.c: the report as CSV, one table a file (sessions, apps,
 * circuits, streams, findings, occurrences, services, onions): all eight
 * into a directory, or one with --table.  The streams table is written as the store reads it.
 * A finding is a cause (0.2): the findings table has a row a cause, its
 * occurrences in the range are the occurrences table's rows (cause = the
 * finding's id).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

enum csv_table {
	CSV_SESSIONS, CSV_APPS, CSV_CIRCUITS, CSV_STREAMS, CSV_FINDINGS,
	CSV_OCCURRENCES, CSV_SERVICES, CSV_ONIONS, CSV_NTABLES
};
static const char *const csv_table_names[CSV_NTABLES] = {
	"sessions", "apps", "circuits", "streams", "findings", "occurrences",
	"services", "onions"
};

/*
 * RFC 4180: fields separated by commas, records by CRLF, a field quoted
 * when it holds a comma, a quote, CR or LF, quotes doubled inside.  Text
 * from the database is first made printable (report_esc_utf8: UTF-8 kept,
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
	/* Printable ASCII that needs neither escape nor quotes: as it is. */
	for (p = s; (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f &&
	    *p != '\\' && *p != ',' && *p != '"'; p++)
		;
	if (*p == '\0' && (s[0] == '\0' || strchr("=+-@", s[0]) == NULL)) {
		buf_add(b, s, (size_t)(p - s));
		return;
	}
	buf_init(&v);
	if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		buf_addc(&v, '\'');
	report_esc_utf8(&v, s, 0);
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

	report_t3339(us, t);
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

static void csv_circuit(const struct rep_circ *, void *);

static void
csv_circuits(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "session", "circ_id", "purpose",
	    "conflux_id", "exit_fp", "exit_nick", "apps", "streams",
	    "created", "closed", NULL };

	csv_head(&o->b, cols);
	report_each_circuit(r, o, csv_circuit, o);
}

static void
csv_circuit(const struct rep_circ *c, void *arg)
{
	struct out *o = arg;
	struct buf *b = &o->b;

	{
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
		buf_addc(b, ',');
		buf_add_i64(b, c->streams);
		buf_addc(b, ',');
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

	buf_add_i64(b, row->session);
	buf_addc(b, ',');
	buf_add_u64(b, row->stream_id);
	buf_addc(b, ',');
	if (row->circ_id != 0)
		buf_add_u64(b, row->circ_id);
	buf_addc(b, ',');
	csv_str(b, row->status);
	buf_addc(b, ',');
	csv_str(b, row->listener);
	buf_addc(b, ',');
	csv_str(b, row->client_addr);
	buf_addc(b, ',');
	if (row->app != 0)
		buf_add_i64(b, row->app);
	buf_addc(b, ',');
	if (row->pid > 0)
		buf_add_i64(b, row->pid);
	buf_addc(b, ',');
	csv_str(b, row->process);
	buf_addc(b, ',');
	if (row->uid >= 0)
		buf_add_i64(b, row->uid);
	buf_addc(b, ',');
	csv_str(b, row->protocol);
	buf_addc(b, ',');
	csv_str(b, row->target);
	buf_addc(b, ',');
	if (row->target_port >= 0)
		buf_add_i64(b, row->target_port);
	buf_addc(b, ',');
	csv_time(b, row->opened);
	buf_addc(b, ',');
	csv_time(b, row->closed);
	buf_addc(b, ',');
	csv_str(b, row->reason);
	buf_addc(b, ',');
	csv_str(b, row->attribution);
	buf_adds(b, "\r\n");
	out_maybe_flush(o);
}

static int
csv_streams(const struct report *r, struct out *o, char **cause)
{
	static const char *const cols[] = { "session", "stream_id",
	    "circ_id", "status", "listener", "client_addr", "app", "pid",
	    "process", "uid", "protocol", "target", "target_port", "opened",
	    "closed", "reason", "attribution", NULL };

	csv_head(&o->b, cols);
	return store_each_stream(r->store, &r->range, csv_stream_row, o,
	    cause);
}

static void csv_finding(const struct rep_finding *, void *);

static void
csv_findings(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "id", "rule", "severity",
	    "session", "circ_id", "listener", "apps", "identities",
	    "processes", "streams", "count", "first_seen", "last_seen",
	    "detail", "acknowledged", "cause", "occurrences", "remedy", NULL };

	csv_head(&o->b, cols);
	report_each_finding(r, o, csv_finding, o);
}

static void
csv_finding(const struct rep_finding *f, void *arg)
{
	struct out *o = arg;
	struct buf *b = &o->b;

	{
		buf_add_i64(b, f->id);
		buf_addc(b, ',');
		csv_str(b, f->rule);
		buf_addc(b, ',');
		csv_str(b, f->severity);
		buf_addc(b, ',');
		buf_add_i64(b, f->session);
		buf_addc(b, ',');
		if (f->circ_id != 0)
			buf_add_u64(b, f->circ_id);
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
		buf_addc(b, ',');
		buf_add_i64(b, f->count);
		buf_addc(b, ',');
		csv_time(b, f->first_seen);
		buf_addc(b, ',');
		csv_time(b, f->last_seen);
		buf_addc(b, ',');
		csv_str(b, f->detail);
		buf_adds(b, f->acknowledged ? ",1," : ",0,");
		csv_str(b, f->cause);
		buf_addc(b, ',');
		buf_add_u64(b, f->nocc_total);
		buf_addc(b, ',');
		csv_str(b, f->remedy);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

static void csv_occurrence(const struct rep_finding *, void *);

static void
csv_occurrences(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "cause", "session", "circ_id",
	    "exit_fp", "streams", "count", "first_seen", "last_seen", NULL };

	csv_head(&o->b, cols);
	report_each_finding(r, o, csv_occurrence, o);
}

static void
csv_occurrence(const struct rep_finding *f, void *arg)
{
	struct out *o = arg;
	struct buf *b = &o->b;
	size_t j;

	{
		for (j = 0; j < f->nocc; j++) {
			const struct store_occurrence_row *c = &f->occ[j];

			buf_add_i64(b, f->id);
			buf_addc(b, ',');
			buf_add_i64(b, c->session);
			buf_addc(b, ',');
			if (c->circ_id != 0)
				buf_add_u64(b, c->circ_id);
			buf_addc(b, ',');
			csv_str(b, c->exit_fp);
			buf_addc(b, ',');
			csv_str(b, c->streams);
			buf_addc(b, ',');
			buf_add_i64(b, c->count);
			buf_addc(b, ',');
			csv_time(b, c->first_seen);
			buf_addc(b, ',');
			csv_time(b, c->last_seen);
			buf_adds(b, "\r\n");
			out_maybe_flush(o);
		}
	}
}

/* The local onion services (schema/003). */
static void
csv_services(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "session", "service", "source",
	    "first_seen", "rend_circuits", "rend_open", "intro_circuits",
	    "first_rend", "last_rend", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->nservices; i++) {
		const struct rep_service *v = &r->services[i];

		buf_printf(b, "%" PRId64 ",", v->session);
		csv_str(b, v->address);
		buf_addc(b, ',');
		csv_str(b, v->source);
		buf_addc(b, ',');
		csv_time(b, v->first_seen);
		buf_printf(b, ",%ld,%ld,%ld,", v->rend_circuits, v->rend_open,
		    v->intro_circuits);
		csv_time(b, v->first_rend);
		buf_addc(b, ',');
		csv_time(b, v->last_rend);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

/* The onion destinations the applications reached. */
static void
csv_onions(const struct report *r, struct out *o)
{
	static const char *const cols[] = { "target", "target_port",
	    "streams", "circuits", "first_seen", "last_seen", "apps", NULL };
	struct buf *b = &o->b;
	size_t i;

	csv_head(b, cols);
	for (i = 0; i < r->nonions; i++) {
		const struct rep_onion *v = &r->onions[i];

		csv_str(b, v->target);
		buf_addc(b, ',');
		if (v->port >= 0)
			buf_printf(b, "%d", v->port);
		buf_printf(b, ",%ld,%ld,", v->streams, v->circuits);
		csv_time(b, v->first_seen);
		buf_addc(b, ',');
		csv_time(b, v->last_seen);
		buf_addc(b, ',');
		csv_str(b, v->apps_raw);
		buf_adds(b, "\r\n");
		out_maybe_flush(o);
	}
}

int
report_csv_write(const struct report *r, int table, struct out *o,
    char **cause)
{
	switch ((enum csv_table)table) {
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
	case CSV_OCCURRENCES:
		csv_occurrences(r, o);
		break;
	case CSV_SERVICES:
		csv_services(r, o);
		break;
	case CSV_ONIONS:
		csv_onions(r, o);
		break;
	case CSV_NTABLES:
		break;
	}
	return 0;
}

/* Writes the eight tables as NAME.csv into dir (created 0700). */
int
report_csv_write_dir(const struct report *r, const char *dir, char **cause)
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
		    "eight files into a directory)", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < CSV_NTABLES && rc == 0; i++) {
		name = xasprintf("%s.csv", csv_table_names[i]);
		path = xasprintf("%s/%s", dir, name);
		if (report_out_create(&o, dfd, name, path, cause) == -1)
			rc = -1;
		else if (report_csv_write(r, i, &o, cause) == -1) {
			char *ignored = NULL;

			report_out_finish(&o, &ignored);
			free(ignored);
			rc = -1;
		} else
			rc = report_out_finish(&o, cause);
		free(name);
		free(path);
	}
	close(dfd);
	return rc;
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
