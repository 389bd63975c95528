/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view_int.h: what the files of the dashboard's model share (view.c: the
 * tables of circuits, streams and applications; view_find.c: findings;
 * view_log.c: the log ring).  Nobody else includes it: the panels and ui.c
 * read the model through view.h.
 */
#ifndef ISOAUDIT_VIEW_INT_H
#define ISOAUDIT_VIEW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hindex.h"
#include "view.h"

/* The hash of a string, for the indexes and for values past a full set. */
uint64_t view_hash(const char *);
/* Copies s ("" for NULL) into dst, cut to size. */
void	view_copy(char *, size_t, const char *);

/*
 * An index of items (apps, findings) by the string at key_off in each:
 * all[] is the caller's array of n pointers, the index holds positions in
 * it.
 */
/* The item whose key is key, or NULL. */
void	*view_index_find(const struct hindex *, void *const *, size_t,
	    const char *);
/* Indexes all[n - 1], just appended (every item when the index grows). */
void	view_index_add(struct hindex *, void *const *, size_t, size_t);
/* Indexes all n items again (after one left the middle of all[]). */
void	view_index_rebuild(struct hindex *, void *const *, size_t, size_t);

/* view_find.c: frees every finding and the index. */
void	view_find_free(struct view *);
/* view_log.c: frees the lines of the log ring. */
void	view_log_free(struct view *);

#endif
