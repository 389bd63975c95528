/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view_log.c: the dashboard's log, a ring of the last VIEW_LOG_LINES
 * lines: isoaudit's own messages and Tor's NOTICE, WARN and ERR events.
 */
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
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

/*
 * The length of text without the note Tor's rate limiter appends to a
 * warning it repeats, " [N similar message(s) suppressed in last N
 * seconds]": two lines that differ only there are the same line.
 */
static size_t
log_core_len(const char *text)
{
	const char *p = strrchr(text, '[');
	unsigned int n, secs;
	int end = -1;

	if (p == NULL || p == text || p[-1] != ' ')
		return strlen(text);
	if (sscanf(p, "[%u similar message(s) suppressed in last %u "
	    "seconds]%n", &n, &secs, &end) == 2 && end > 0 && p[end] == '\0')
		return (size_t)(p - 1 - text);
	return strlen(text);
}

/* Appends a line (text copied), the oldest going when the ring is full. */
static void
log_push(struct view *v, const char *level, const char *text, int64_t ts,
    int from_tor)
{
	struct vlog *l;
	size_t core;

	/* The same line again: folded into the newest, counted; its text
	 * the latest (Tor's count of what it suppressed). */
	if (v->nlog > 0) {
		l = &v->log[(v->log_start + v->nlog - 1) % VIEW_LOG_LINES];
		core = log_core_len(text);
		if (l->from_tor == from_tor && strncmp(l->level, level != NULL ?
		    level : "", sizeof l->level - 1) == 0 &&
		    log_core_len(l->text) == core &&
		    memcmp(l->text, text, core) == 0) {
			if (strcmp(l->text, text) != 0) {
				free(l->text);
				l->text = xstrdup(text);
			}
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
