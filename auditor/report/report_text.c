/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_text.c: the report for a person: a header, then sessions (when
 * more than one), applications, circuit sharing, findings by severity and
 * the circuits that carried more than one application, as aligned tables
 * as wide as the terminal (TIOCGWINSZ on a terminal, else $COLUMNS, else
 * 80).  The verdict comes first: isolation held, or which applications
 * were linked, how often, since when, and what to change
 * (report_remedy.c).  Every string from the database is escaped
 * (buf_escape) before it reaches a cell.
 */
#include <sys/ioctl.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "report_int.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MATRIX_MAX_APPS	16	/* wider than this, sharing is a list */
#define TEXT_WIDTH_DEFAULT	80	/* not a terminal, no $COLUMNS */
#define TEXT_WIDTH_MIN		60
#define TEXT_WIDTH_MAX		300

/* The width of this report's lines (report_text_write sets it). */
static size_t text_width = TEXT_WIDTH_DEFAULT;
#define TEXT_WIDTH	text_width

/* Cell limits that grow with the width past 100 columns. */
static size_t
wide(size_t at100)
{
	if (text_width <= 100)
		return at100 - (100 - text_width) / 4;
	return at100 + (text_width - 100) / 3;
}

size_t
report_text_width(FILE *f)
{
	struct winsize ws;
	const char *e;
	long n = 0;

	if (f != NULL && isatty(fileno(f)) &&
	    ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		n = ws.ws_col;
	else if ((e = getenv("COLUMNS")) != NULL && *e != '\0')
		n = strtol(e, NULL, 10);
	if (n <= 0)
		n = TEXT_WIDTH_DEFAULT;
	if (n < TEXT_WIDTH_MIN)
		n = TEXT_WIDTH_MIN;
	if (n > TEXT_WIDTH_MAX)
		n = TEXT_WIDTH_MAX;
	return (size_t)n;
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

/* --- tables --------------------------------------------------------------- */

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
			    start + len > TEXT_WIDTH) {
				/* A long last cell goes on under itself, or
				 * on lines of its own on a narrow terminal. */
				if (start + 20 < TEXT_WIDTH)
					table_wrap(b, s, start);
				else {
					buf_addc(b, '\n');
					pad(b, 6);
					table_wrap(b, s, 6);
				}
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

/* --- sections ------------------------------------------------------------- */

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

/* text_wrap, the first line's indent already written. */
static void
text_wrap_first(struct buf *b, const char *s, size_t indent, size_t width)
{
	struct buf v;
	size_t skip;

	buf_init(&v);
	text_wrap(&v, s, indent, width);
	skip = v.len >= indent ? indent : 0;
	buf_add(b, v.p + skip, v.len - skip);
	buf_free(&v);
}

/* The occurrences a finding's block names (then "and N more"). */
#define TEXT_MAX_CIRCUITS	20	/* at most REPORT_SHOW_OCC */

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

/* A program's processes listed one by one up to this many. */
#define TEXT_PROC_LIST	3

/* Appends "curl x 212, wget[4243], wget[4244]" (raw) for a list of
 * processes: a program of few processes names each, else counts them. */
static void
text_procs(struct buf *b, const struct rep_procs *ps)
{
	const struct rep_proc *p;
	size_t i, k;

	for (i = 0; i < ps->n; i++) {
		p = &ps->p[i];
		if (i > 0)
			buf_adds(b, ", ");
		if (p->count <= TEXT_PROC_LIST && p->npids == (size_t)p->count) {
			for (k = 0; k < p->npids; k++) {
				buf_printf(b, "%s%s[%ld]", k > 0 ? ", " : "",
				    p->name, p->pids[k]);
				if (p->claim != NULL)
					buf_printf(b, " (%s)", p->claim);
			}
			continue;
		}
		buf_adds(b, p->name);
		if (p->count > 1)
			buf_printf(b, " x %ld", p->count);
		if (p->claim != NULL)
			buf_printf(b, " (%s)", p->claim);
	}
	if (ps->more > 0)
		buf_printf(b, "%sand %ld more", ps->n > 0 ? ", " : "",
		    ps->more);
}

/* "what to do: " the rule's remedy, then the system's, wrapped. */
static void
text_remedy(struct buf *b, const struct rep_finding *f, size_t indent)
{
	const struct report_remedy *m = report_remedy_find(f->rule);
	struct buf v;

	if (m == NULL && empty(f->remedy))
		return;
	buf_init(&v);
	buf_adds(&v, "what to do: ");
	if (m != NULL)
		buf_adds(&v, m->fix);
	if (!empty(f->remedy)) {
		if (m != NULL)
			buf_adds(&v, " On this system: ");
		buf_escape(&v, f->remedy, strlen(f->remedy));
	}
	text_wrap(b, buf_cstr(&v), indent, TEXT_WIDTH);
	buf_free(&v);
}

/* The identities (else labels) of f joined "A and B" (raw); how many. */
static size_t
text_who(struct buf *b, const struct rep_finding *f)
{
	struct buf v;
	size_t n;
	char *last;

	buf_init(&v);
	n = report_list_plain(&v, f->identities);
	if (n == 0) {
		buf_reset(&v);
		n = report_list_plain(&v, f->apps);
	}
	if (n >= 2 && (last = strstr(buf_cstr(&v), ", ")) != NULL) {
		/* "A, B, C" as "A, B and C" */
		char *p, *q = NULL;

		for (p = last; p != NULL; p = strstr(p + 2, ", "))
			q = p;
		buf_add(b, v.p, (size_t)(q - v.p));
		buf_adds(b, " and ");
		buf_adds(b, q + 2);
	} else
		buf_adds(b, buf_cstr(&v));
	buf_free(&v);
	return n;
}

#define TEXT_VERDICT_ITEMS	4

/* The verdict: isolation held, or who was linked, how often, since when. */
static void
text_verdict(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, v;
	const struct report_remedy *m;
	struct rep_procs ps;
	long crit = r->sev[SEV_CRITICAL], warn = r->sev[SEV_WARNING];
	size_t i, shown = 0;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN];

	if (crit + warn == 0) {
		buf_printf(b, "\nVERDICT: isolation held\n");
		buf_init(&v);
		if (r->npairs == 0)
			buf_printf(&v, "No two applications were linked: %zu "
			    "application%s, %zu circuit%s, none carried two "
			    "applications.", r->napps, r->napps == 1 ? "" :
			    "s", r->ncircs, r->ncircs == 1 ? "" : "s");
		else
			buf_printf(&v, "No finding at warning or above; %zu "
			    "pair%s of applications shared exit circuits (see "
			    "CIRCUIT SHARING).", r->npairs, r->npairs == 1 ?
			    "" : "s");
		text_wrap(b, buf_cstr(&v), 2, TEXT_WIDTH);
		buf_free(&v);
		return;
	}
	if (crit > 0)
		buf_printf(b, "\nVERDICT: ISOLATION BROKEN (%ld critical, %ld "
		    "warning)\n", crit, warn);
	else
		buf_printf(b, "\nVERDICT: isolation at risk (%ld warning%s)\n",
		    warn, warn == 1 ? "" : "s");
	buf_init(&v);
	for (i = 0; i < r->nfindings && shown < TEXT_VERDICT_ITEMS; i++) {
		const struct rep_finding *f = &r->findings[i];
		char *e;

		if (f->sev != SEV_CRITICAL && f->sev != SEV_WARNING)
			continue;
		shown++;
		buf_reset(&v);
		if (text_who(&v, f) == 0)
			buf_adds(&v, "An application");
		m = report_remedy_find(f->rule);
		buf_addc(&v, ' ');
		buf_adds(&v, m != NULL ? m->means : f->rule);
		buf_addc(&v, '.');
		e = escape_dup(v.p, v.len);
		buf_printf(b, "  %zu. ", shown);
		text_wrap_first(b, e, 5, TEXT_WIDTH);
		free(e);
		buf_reset(&v);
		report_t3339(f->first_seen, x);
		report_t3339(f->last_seen, y);
		buf_printf(&v, "%s %s, %ld time%s", severity_name(f->sev),
		    f->rule, f->count, f->count == 1 ? "" : "s");
		if (f->nocc_total > 1)
			buf_printf(&v, " on %zu circuits", f->nocc_total);
		buf_printf(&v, ", since %s", x);
		if (f->last_seen != f->first_seen)
			buf_printf(&v, ", last %s", y);
		report_procs_json(&ps, f->processes);
		if (ps.n > 0) {
			buf_adds(&v, "; processes: ");
			text_procs(&v, &ps);
		}
		report_procs_free(&ps);
		e = escape_dup(v.p, v.len);
		text_wrap(b, e, 5, TEXT_WIDTH);
		free(e);
		text_remedy(b, f, 5);
	}
	buf_free(&v);
	if (crit + warn > (long)shown)
		buf_printf(b, "  ... and %ld more at warning or above under "
		    "FINDINGS\n", crit + warn - (long)shown);
}

static void
text_header(const struct report *r, struct out *o)
{
	struct buf *b = &o->b, t;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN], d[32], *e;

	buf_init(&t);
	report_range_title(r, &t);
	time_rfc3339(r->now, x);
	buf_printf(b, "isoaudit report: %s (generated %s, times UTC)\n",
	    buf_cstr(&t), x);
	text_verdict(r, o);
	buf_addc(b, '\n');
	report_t3339(r->from, x);
	report_t3339(r->to, y);
	buf_printf(b, "  range     %s .. %s", x[0] ? x : "(start)",
	    y[0] ? y : "(open)");
	if (r->from != 0 && r->to != 0) {
		report_duration(r->to - r->from, d, sizeof d);
		buf_printf(b, "  (%s)", d);
	}
	buf_addc(b, '\n');
	buf_reset(&t);
	report_session_values(r, &t, offsetof(struct rep_session, tor_version));
	e = esc_dup(buf_cstr(&t));
	buf_adds(b, "  tor       ");
	table_wrap(b, e, 12);
	free(e);
	buf_reset(&t);
	report_session_values(r, &t, offsetof(struct rep_session, control));
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
			report_duration(end - s->started, d, sizeof d);
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
		{ "LAST", 0, 0 }, { "PROCESSES", 0, 0 }
	};
	struct text_col c[sizeof cols / sizeof cols[0]];
	struct text_table t;
	struct rep_procs ps;
	struct buf v;
	char x[TIME_RFC3339_LEN];
	size_t i;

	memcpy(c, cols, sizeof c);
	c[1].max = wide(34);
	c[2].max = wide(20);
	buf_printf(&o->b, "\nAPPLICATIONS (%zu)\n", r->napps);
	if (r->napps == 0) {
		buf_adds(&o->b, "  no stream was attributed to an "
		    "application\n");
		return;
	}
	/* The processes, collapsed, where the terminal has room. */
	table_init(&t, c, sizeof c / sizeof c[0] - (text_width < 120));
	buf_init(&v);
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
		if (t.ncols == 9) {
			report_procs_text(&ps, a->processes);
			buf_reset(&v);
			text_procs(&v, &ps);
			report_procs_free(&ps);
			table_set_esc(&t, 8, v.len > 0 ? buf_cstr(&v) : NULL);
		}
	}
	buf_free(&v);
	table_print(&t, o);
}

static void
text_sharing(const struct report *r, struct out *o)
{
	struct buf *b = &o->b;
	size_t i, j, n = r->napps, w = 3, lw = 8, pairs = r->npairs * 2;
	long max = 0, v;
	char *e, num[24];

	buf_adds(b, "\nCIRCUIT SHARING (exit circuits two applications "
	    "both used; conflux legs count as one)\n");
	for (i = 0; i < r->npairs; i++)
		if (r->pairs[i].n > max)
			max = r->pairs[i].n;
	if (n < 2 || max == 0) {
		buf_adds(b, n < 2 ? "  fewer than two applications: nothing "
		    "to share\n" : "  no two applications shared a "
		    "circuit\n");
		return;
	}
	if (n > MATRIX_MAX_APPS) {
		for (i = 0; i < r->npairs && i < REPORT_SHOW_ROWS; i++) {
			const struct rep_share *p = &r->pairs[i];

			buf_adds(b, "  ");
			esc(b, r->apps[p->a].ident);
			buf_adds(b, " + ");
			esc(b, r->apps[p->b].ident);
			buf_printf(b, ": %ld circuit%s\n", p->n,
			    p->n == 1 ? "" : "s");
			out_maybe_flush(o);
		}
		if (r->npairs > i)
			buf_printf(b, "  ... and %zu more pairs (the JSON and "
			    "CSV reports list every circuit)\n", r->npairs - i);
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
			else if ((v = report_share(r, i, j)) == 0)
				buf_printf(b, "%*s", (int)w, ".");
			else
				buf_printf(b, "%*ld", (int)w, v);
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
	struct rep_procs ps;
	char x[TIME_RFC3339_LEN], y[TIME_RFC3339_LEN];
	size_t i, k;
	enum severity s;
	long shown, total;

	buf_printf(b, "\nFINDINGS (%zu)\n", r->nfindings_total);
	if (r->nfindings_total == 0) {
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
			report_finding_where(&v, f);
			esc(b, buf_cstr(&v));
			tshort(r, f->first_seen, x);
			tshort(r, f->last_seen, y);
			if (f->first_seen == f->last_seen)
				buf_printf(b, "  at %s", x);
			else
				buf_printf(b, "  %s .. %s", x, y);
			if (f->acknowledged)
				buf_adds(b, "  (acknowledged)");
			else if (f->again)
				buf_adds(b, "  (again after an "
				    "acknowledgement)");
			buf_addc(b, '\n');
			/* A cause: where it occurred. */
			buf_reset(&v);
			report_occurrences(&v, f, TEXT_MAX_CIRCUITS);
			text_field(b, "", buf_cstr(&v));
			buf_reset(&v);
			if (report_list_plain(&v, f->identities) > 0 ||
			    report_list_plain(&v, f->apps) > 0)
				text_field(b, "who: ", buf_cstr(&v));
			buf_reset(&v);
			report_procs_json(&ps, f->processes);
			text_procs(&v, &ps);
			report_procs_free(&ps);
			if (v.len > 0)
				text_field(b, "processes: ", buf_cstr(&v));
			buf_reset(&v);
			if (report_list_plain(&v, f->streams) > 0)
				text_field(b, "streams: ", buf_cstr(&v));
			if (!empty(f->detail))
				text_field(b, "", f->detail);
			text_remedy(b, f, 6);
			out_maybe_flush(o);
		}
		total = s != REPORT_SEV_OTHER ? r->sev[s] : r->sev_other;
		if (total > shown)
			buf_printf(b, "    ... and %ld more (the JSON and CSV "
			    "reports list every finding)\n", total - shown);
	}
	buf_free(&v);
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
	size_t i, j, c0;

	buf_adds(&o->b, "\nCIRCUITS THAT CARRIED MORE THAN ONE APPLICATION\n");
	/* One session: its number is in the header, drop the column. */
	c0 = r->nsessions > 1 ? 0 : 1;
	table_init(&t, cols + c0, sizeof cols / sizeof cols[0] - c0);
	buf_init(&v);
	for (i = 0; i < r->nshared; i++) {
		const struct rep_circ *c = &r->shared[i];

		table_row(&t);
		if (c0 == 0)
			table_set(&t, 0, "%" PRId64, c->session);
		table_set(&t, 1 - c0, "%" PRIu64, c->circ_id);
		table_set_esc(&t, 2 - c0, c->purpose);
		buf_reset(&v);
		report_exit_name(&v, c);
		table_set_esc(&t, 3 - c0, buf_cstr(&v));
		table_set_esc(&t, 4 - c0, c->conflux_id);
		table_set(&t, 5 - c0, "%ld", c->streams);
		buf_reset(&v);
		for (j = 0; j < c->napps; j++) {
			if (j > 0)
				buf_adds(&v, ", ");
			buf_adds(&v, r->apps[c->apps[j]].ident);
		}
		table_set_esc(&t, 6 - c0, c->napps > 0 ? buf_cstr(&v) : NULL);
	}
	buf_free(&v);
	if (t.nrows == 0) {
		buf_adds(&o->b, "  none: every circuit carried one "
		    "application at most\n");
		return;
	}
	table_print(&t, o);
	if (r->shared_total > (long)r->nshared)
		buf_printf(&o->b, "  ... and %ld more (the JSON and CSV reports "
		    "list every circuit)\n", r->shared_total - (long)r->nshared);
}

/* The local onion services and the onion destinations, when there are. */
static void
text_onions(const struct report *r, struct out *o)
{
	static const struct text_col scols[] = {
		{ "SESSION", 1, 0 }, { "SERVICE", 0, 0 }, { "LEARNT FROM", 0, 0 },
		{ "REND", 1, 0 }, { "OPEN", 1, 0 }, { "INTRO", 1, 0 },
		{ "FIRST REND", 0, 0 }, { "LAST REND", 0, 0 }
	};
	static const struct text_col ocols[] = {
		{ "TARGET", 0, 0 }, { "STREAMS", 1, 0 }, { "CIRCUITS", 1, 0 },
		{ "FIRST", 0, 0 }, { "LAST", 0, 0 }, { "APPLICATIONS", 0, 0 }
	};
	struct text_table t;
	char x[TIME_RFC3339_LEN];
	struct buf v;
	size_t i, n, c0;

	if (r->nservices > 0) {
		buf_adds(&o->b, "\nONION SERVICES OF THIS TOR (rendezvous "
		    "circuits: clients served)\n");
		c0 = r->nsessions > 1 ? 0 : 1;
		table_init(&t, scols + c0, sizeof scols / sizeof scols[0] - c0);
		for (i = 0; i < r->nservices; i++) {
			const struct rep_service *sv = &r->services[i];

			table_row(&t);
			if (c0 == 0)
				table_set(&t, 0, "%" PRId64, sv->session);
			table_set_esc(&t, 1 - c0, sv->address);
			table_set_esc(&t, 2 - c0, sv->source);
			table_set(&t, 3 - c0, "%ld", sv->rend_circuits);
			table_set(&t, 4 - c0, "%ld", sv->rend_open);
			table_set(&t, 5 - c0, "%ld", sv->intro_circuits);
			tshort(r, sv->first_rend, x);
			table_set(&t, 6 - c0, "%s", x);
			tshort(r, sv->last_rend, x);
			table_set(&t, 7 - c0, "%s", x);
		}
		table_print(&t, o);
	}
	if (r->nonions == 0)
		return;
	buf_adds(&o->b, "\nONION SERVICES REACHED\n");
	table_init(&t, ocols, sizeof ocols / sizeof ocols[0]);
	buf_init(&v);
	for (i = 0; i < r->nonions; i++) {
		const struct rep_onion *ov = &r->onions[i];

		table_row(&t);
		buf_reset(&v);
		buf_adds(&v, ov->target);
		if (ov->port >= 0)
			buf_printf(&v, ":%d", ov->port);
		table_set_esc(&t, 0, buf_cstr(&v));
		table_set(&t, 1, "%ld", ov->streams);
		table_set(&t, 2, "%ld", ov->circuits);
		tshort(r, ov->first_seen, x);
		table_set(&t, 3, "%s", x);
		tshort(r, ov->last_seen, x);
		table_set(&t, 4, "%s", x);
		buf_reset(&v);
		n = report_labels_join(&v, r, ov->apps, ov->napps);
		table_set_esc(&t, 5, n > 0 ? buf_cstr(&v) : NULL);
	}
	buf_free(&v);
	table_print(&t, o);
}

void
report_text_write(const struct report *r, struct out *o)
{
	text_width = report_text_width(o->f);
	text_header(r, o);
	if (r->nsessions > 1)
		text_sessions(r, o);
	text_apps(r, o);
	text_sharing(r, o);
	text_findings(r, o);
	text_shared_circuits(r, o);
	text_onions(r, o);
}
