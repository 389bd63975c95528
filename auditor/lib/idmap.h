/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* idmap.h: a hash map from 64-bit ids to pointers (open addressing). */
#ifndef ISOAUDIT_IDMAP_H
#define ISOAUDIT_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t	*keys;
	void		**vals;		/* NULL: empty slot */
	unsigned char	*tomb;		/* 1: deleted slot */
	size_t		 cap;		/* power of two, or 0 */
	size_t		 n;
	size_t		 used;		/* n plus tombstones */
};

void	 idmap_init(struct idmap *);
/* Frees the table, not the values. */
void	 idmap_free(struct idmap *);
void	*idmap_get(const struct idmap *, uint64_t);
/* Sets id to v (not NULL); returns the value it replaced, or NULL. */
void	*idmap_put(struct idmap *, uint64_t, void *);
/* Removes id; returns its value, or NULL. */
void	*idmap_del(struct idmap *, uint64_t);
/* Iterates: *pos starts at 0; returns 0 at the end. */
int	 idmap_next(const struct idmap *, size_t *, uint64_t *, void **);

#endif
