/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* idmap.c: linear probing with tombstones; grows at 70 % use. */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "xmalloc.h"

void
idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof *m);
}

void
idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	free(m->tomb);
	idmap_init(m);
}

static size_t
idmap_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (size_t)k;
}

static void
idmap_resize(struct idmap *m, size_t cap)
{
	struct idmap old = *m;
	size_t i;

	m->cap = cap;
	m->keys = xcalloc(cap, sizeof *m->keys);
	m->vals = xcalloc(cap, sizeof *m->vals);
	m->tomb = xcalloc(cap, 1);
	m->n = m->used = 0;
	for (i = 0; i < old.cap; i++)
		if (old.vals[i] != NULL)
			idmap_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	free(old.tomb);
}

void *
idmap_get(const struct idmap *m, uint64_t k)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = idmap_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == NULL && !m->tomb[i])
			return NULL;
		if (m->vals[i] != NULL && m->keys[i] == k)
			return m->vals[i];
	}
}

void *
idmap_put(struct idmap *m, uint64_t k, void *v)
{
	size_t i, slot = (size_t)-1;
	void *old;

	if (m->cap == 0 || (m->used + 1) * 10 > m->cap * 7)
		idmap_resize(m, m->cap == 0 ? 16 :
		    (m->n + 1) * 10 > m->cap * 5 ? m->cap * 2 : m->cap);
	for (i = idmap_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == NULL) {
			if (slot == (size_t)-1)
				slot = i;
			if (!m->tomb[i])
				break;
		} else if (m->keys[i] == k) {
			old = m->vals[i];
			m->vals[i] = v;
			return old;
		}
	}
	if (m->tomb[slot])
		m->tomb[slot] = 0;
	else
		m->used++;
	m->keys[slot] = k;
	m->vals[slot] = v;
	m->n++;
	return NULL;
}

void *
idmap_del(struct idmap *m, uint64_t k)
{
	size_t i;
	void *v;

	if (m->cap == 0)
		return NULL;
	for (i = idmap_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->vals[i] == NULL && !m->tomb[i])
			return NULL;
		if (m->vals[i] != NULL && m->keys[i] == k) {
			v = m->vals[i];
			m->vals[i] = NULL;
			m->tomb[i] = 1;
			m->n--;
			return v;
		}
	}
}

int
idmap_next(const struct idmap *m, size_t *pos, uint64_t *k, void **v)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->vals[i] != NULL) {
			*k = m->keys[i];
			*v = m->vals[i];
			return 1;
		}
	}
	return 0;
}
