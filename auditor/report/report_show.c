/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_show.c: what the text and HTML reports both show: a session's
 * values, where a finding is, its occurrences, the range, an exit.
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

/* --- what text and HTML both show ----------------------------------------- */

/* The distinct values of one string field of the sessions, ", " joined. */
void
report_session_values(const struct report *r, struct buf *b, size_t field)
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

/* Where a finding is: "session 1 circuit 79" / "... listener X" (raw). */
void
report_finding_where(struct buf *b, const struct rep_finding *f)
{
	buf_printf(b, "session %" PRId64, f->session);
	if (f->circ_id != 0)
		buf_printf(b, " circuit %" PRIu64, f->circ_id);
	if (f->listener != NULL)
		buf_printf(b, " listener %s", f->listener);
}

/*
 * A cause's occurrences for a person: "1 occurrence", or "3 occurrences:
 * session 1 circuits 79, 81; session 2 circuit 5" (raw), naming at most
 * max circuits (then "and N more").
 */
void
report_occurrences(struct buf *b, const struct rep_finding *f, size_t max)
{
	size_t i, k, n;

	buf_printf(b, "%zu occurrence%s", f->nocc_total,
	    f->nocc_total == 1 ? "" : "s");
	for (i = 0; i < f->nocc && i < max; i = k) {
		int64_t session = f->occ[i].session;

		/* A run of occurrences in one session: its circuits. */
		for (k = i, n = 0; k < f->nocc && k < max &&
		    f->occ[k].session == session; k++)
			if (f->occ[k].circ_id != 0)
				n++;
		buf_printf(b, "%s session %" PRId64, i == 0 ? ":" : ";",
		    session);
		if (n > 0)
			buf_printf(b, " circuit%s", n == 1 ? "" : "s");
		for (n = 0; i < k; i++)
			if (f->occ[i].circ_id != 0)
				buf_printf(b, "%s %" PRIu64, n++ ? "," : "",
				    f->occ[i].circ_id);
	}
	if (f->nocc_total > i)
		buf_printf(b, " and %zu more", f->nocc_total - i);
}

/* A finding as check and the JSON report write it (pointers into f). */
void
report_finding_row(const struct rep_finding *f, struct store_finding_row *row)
{
	memset(row, 0, sizeof *row);
	row->id = f->id;
	row->cause = f->cause;
	row->rule = f->rule;
	row->severity = f->severity;
	row->session = f->session;
	row->circ_id = f->circ_id;
	row->listener = f->listener;
	row->apps = f->apps;
	row->identities = f->identities;
	row->processes = f->processes;
	row->streams = f->streams;
	row->count = f->count;
	row->first_seen = f->first_seen;
	row->last_seen = f->last_seen;
	row->detail = f->detail;
	row->remedy = f->remedy;
	row->acknowledged = f->acknowledged;
	row->again = f->again;
	row->occurrences = f->occ;
	row->noccurrences = f->nocc;
	row->noccurrences_total = f->nocc_total;
}

/* The title of the range (raw). */
void
report_range_title(const struct report *r, struct buf *b)
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

/* Appends "nick $ABCDEF01" for a circuit's exit (raw), "?" if unknown. */
void
report_exit_name(struct buf *b, const struct rep_circ *c)
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
