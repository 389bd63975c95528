/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view_log.c: the dashboard's log, a ring of the last VIEW_LOG_LINES
 * lines: isoaudit's own messages and Tor's NOTICE, WARN and ERR events.
 */
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "view_int.h"
#include "xmalloc.h"

void
view_log_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nlog; i++)
		free(v->log[(v->log_start + i) % VIEW_LOG_LINES].text);
	v->nlog = 0;
}

/* Appends a line (text copied), the oldest going when the ring is full. */
static void
log_push(struct view *v, const char *level, const char *text, int64_t ts,
    int from_tor)
{
	struct vlog *l;

	/* The same line again: folded into the newest, counted. */
	if (v->nlog > 0) {
		l = &v->log[(v->log_start + v->nlog - 1) % VIEW_LOG_LINES];
		if (l->from_tor == from_tor && strncmp(l->level, level != NULL ?
		    level : "", sizeof l->level - 1) == 0 &&
		    strcmp(l->text, text) == 0) {
			if (l->repeat < UINT_MAX)
				l->repeat++;
			l->ts = ts;
			v->log_total++;
			v->generation++;
			return;
		}
	}
	if (v->nlog == VIEW_LOG_LINES) {
		l = &v->log[v->log_start];
		free(l->text);
		v->log_start = (v->log_start + 1) % VIEW_LOG_LINES;
		v->nlog--;
	}
	l = &v->log[(v->log_start + v->nlog) % VIEW_LOG_LINES];
	l->ts = ts;
	l->first_ts = ts;
	l->repeat = 1;
	view_copy(l->level, sizeof l->level, level);
	l->text = xstrdup(text);
	l->from_tor = from_tor;
	v->nlog++;
	v->log_total++;
	v->generation++;
}

void
view_log(struct view *v, const char *level, const char *text, int64_t ts)
{
	log_push(v, level, text, ts, 0);
}

void
view_tor_log(const char *severity, const char *msg, int64_t ts, void *arg)
{
	log_push(arg, severity, msg, ts, 1);
}

const struct vlog *
view_log_line(const struct view *v, size_t n)
{
	if (n >= v->nlog)
		return NULL;
	return &v->log[(v->log_start + n) % VIEW_LOG_LINES];
}
