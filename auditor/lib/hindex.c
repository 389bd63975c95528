/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* hindex.c: the open-addressing index of hindex.h. */
#include <stdlib.h>
#include <string.h>

#include "hindex.h"
#include "xmalloc.h"

void
hindex_init(struct hindex *h)
{
	memset(h, 0, sizeof *h);
}

void
hindex_free(struct hindex *h)
{
	free(h->slot);
	hindex_init(h);
}

void
hindex_clear(struct hindex *h)
{
	if (h->slot != NULL && h->n > 0)
		memset(h->slot, 0, h->cap * sizeof *h->slot);
	h->n = 0;
}

int
hindex_fit(struct hindex *h, size_t need, size_t first)
{
	size_t c;

	if (h->cap >= 2 * need)
		return 0;
	for (c = h->cap ? h->cap : first; c < 2 * need; c *= 2)
		;
	free(h->slot);
	h->slot = xcalloc(c, sizeof *h->slot);
	h->cap = c;
	h->n = 0;
	return 1;
}
