/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hindex.h: an open-addressing index of the caller's items, for tables
 * whose keys the caller compares itself (strings, tuples).  A slot holds an
 * item's index + 1 (0 is empty); the table is kept at most half full and
 * probed linearly from the key's hash:
 *
 *	for (i = hindex_first(&h, hash); h.slot[i] != 0; i = hindex_next(&h, i))
 *		if (same(items[h.slot[i] - 1], key))
 *			return h.slot[i] - 1;
 *	h.slot[i] = index + 1;		(after hindex_fit made room)
 *	h.n++;
 *
 * Nothing is ever removed one at a time: hindex_clear forgets everything.
 */
#ifndef ISOAUDIT_HINDEX_H
#define ISOAUDIT_HINDEX_H

#include <stddef.h>
#include <stdint.h>

struct hindex {
	uint32_t	*slot;
	size_t		 cap;		/* power of two, or 0 */
	size_t		 n;		/* slots in use */
};

void	hindex_init(struct hindex *);
void	hindex_free(struct hindex *);
/* Empties every slot (keeps the memory). */
void	hindex_clear(struct hindex *);
/*
 * Makes room for need entries.  When they would not fit, the table is made
 * anew, empty, with a power of two of slots (at least first), and 1 is
 * returned: the caller adds its items again.  Else 0.
 */
int	hindex_fit(struct hindex *, size_t, size_t);

static inline size_t
hindex_first(const struct hindex *h, uint64_t hash)
{
	return (size_t)hash & (h->cap - 1);
}

static inline size_t
hindex_next(const struct hindex *h, size_t i)
{
	return (i + 1) & (h->cap - 1);
}

#endif
