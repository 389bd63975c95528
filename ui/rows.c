/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * rows.c: the rows a panel builds for one repaint, and the small helpers
 * the panels share (filter match, ages, column layout).  No curses.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"
#include "ui.h"
#include "xmalloc.h"

void
rows_init(struct rows *r)
{
	memset(r, 0, sizeof *r);
}

void
rows_clear(struct rows *r)
{
	size_t i, k;

	for (i = 0; i < r->n; i++)
		for (k = 0; k < UI_MAX_COLS; k++)
			free(r->v[i].cells[k]);
	free(r->v);
	rows_init(r);
}

struct row *
rows_add(struct rows *r, enum row_kind kind, uint64_t key, int flags,
    const char *const *cells, size_t n)
{
	struct row *row;
	size_t k;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	row = &r->v[r->n++];
	memset(row, 0, sizeof *row);
	row->kind = kind;
	row->key = key;
	row->flags = flags;
	for (k = 0; k < n && k < UI_MAX_COLS; k++)
		row->cells[k] = xstrdup(cells[k] != NULL ? cells[k] : "");
	return row;
}

int
ui_match(const char *hay, const char *needle)
{
	size_t n, i;

	if (needle == NULL || needle[0] == '\0')
		return 1;
	if (hay == NULL)
		return 0;
	n = strlen(needle);
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n && hay[i] != '\0'; i++)
			if (tolower((unsigned char)hay[i]) !=
			    tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

void
ui_age(int64_t us, char *out, size_t len)
{
	time_duration(us, 0, out, len);
}

void
ui_clock(int64_t us, char *out, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(out, len, "--:--:--");
		return;
	}
	strftime(out, len, "%H:%M:%S", &tm);
}

size_t
ui_layout(const struct column *cols, size_t n, int width, int *w)
{
	size_t i, fit = n, drop, best;
	int used = 0, weights = 0, left, share;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		w[i] = cols[i].min;
		used += cols[i].min + (i > 0 ? 1 : 0);
	}
	/* Drop the lowest priority (the rightmost of equals) until the
	 * rest fits at its minimum, one space between. */
	while (used > width && fit > 1) {
		drop = n;
		for (i = n; i-- > 0;)
			if (w[i] > 0 && (drop == n || cols[i].prio <
			    cols[drop].prio))
				drop = i;
		used -= cols[drop].min + 1;
		w[drop] = 0;
		fit--;
	}
	if (used > width) {
		/* Not even one: the one left gets what there is. */
		for (best = 0; best < n && w[best] == 0; best++)
			;
		w[best] = width > 0 ? width : 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (w[i] > 0)
			weights += cols[i].weight;
	left = width - used;
	for (i = 0; i < n && weights > 0; i++) {
		if (w[i] == 0 || cols[i].weight == 0)
			continue;
		share = left * cols[i].weight / weights;
		w[i] += share;
	}
	/* What rounding left over goes to the last flexible column. */
	used = 0;
	for (i = 0, fit = 0; i < n; i++)
		if (w[i] > 0)
			used += w[i] + (fit++ > 0 ? 1 : 0);
	for (i = n; i-- > 0;)
		if (w[i] > 0 && cols[i].weight > 0) {
			w[i] += width - used;
			break;
		}
	return fit;
}

size_t
ui_wrap(const char *s, size_t len, size_t width)
{
	size_t k;

	if (width == 0)
		width = 1;
	if (len <= width)
		return len;
	/* The last space at or before width, the line half full at least. */
	for (k = width; k > width / 2; k--)
		if (s[k] == ' ')
			return k;
	return width;
}
