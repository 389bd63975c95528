/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ktable.c: the connect tracker's table (ktable.h): a ring of records, the
 * oldest overwritten when it is full, and an open-addressing index by
 * 4-tuple.  An index slot whose record was overwritten just stops
 * matching; the index is made anew from the ring when half its slots are
 * used, so a lookup probes a short run whatever the history.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "hindex.h"
#include "ktable.h"
#include "xmalloc.h"

struct ktable {
	struct ktable_rec	*ring;
	size_t			 max;
	size_t			 n;		/* records in the ring */
	size_t			 next;		/* where the next one goes */
	int64_t			 ttl;
	unsigned long		 added;
	struct hindex		 index;
};

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static uint64_t
tuple_hash(int proto, int family, const unsigned char *sa, unsigned sp,
    const unsigned char *da, unsigned dp)
{
	uint64_t h = FNV_OFFSET;
	unsigned char ports[5];

	ports[0] = (unsigned char)(family * 2 + proto);
	ports[1] = (unsigned char)(sp >> 8);
	ports[2] = (unsigned char)sp;
	ports[3] = (unsigned char)(dp >> 8);
	ports[4] = (unsigned char)dp;
	h = fnv1a(h, ports, sizeof ports);
	h = fnv1a(h, sa, addr_len(family));
	return fnv1a(h, da, addr_len(family));
}

static int
same_tuple(const struct ktable_rec *r, int proto, int family,
    const unsigned char *sa, unsigned sp, const unsigned char *da, unsigned dp)
{
	return r->proto == proto && r->family == family && r->sport == sp &&
	    r->dport == dp &&
	    memcmp(r->saddr, sa, addr_len(family)) == 0 &&
	    memcmp(r->daddr, da, addr_len(family)) == 0;
}

static void
index_put(struct ktable *t, size_t at)
{
	const struct ktable_rec *r = &t->ring[at];
	size_t i;

	i = hindex_first(&t->index, tuple_hash(r->proto, r->family, r->saddr,
	    r->sport, r->daddr, r->dport));
	while (t->index.slot[i] != 0)
		i = hindex_next(&t->index, i);
	t->index.slot[i] = (uint32_t)at + 1;
	t->index.n++;
}

struct ktable *
ktable_new(size_t max, int64_t ttl)
{
	struct ktable *t = xcalloc(1, sizeof *t);

	t->max = max > 0 ? max : 1;
	t->ttl = ttl;
	t->ring = xcalloc(t->max, sizeof *t->ring);
	hindex_init(&t->index);
	/* Room for twice max slots in use: at most half full. */
	hindex_fit(&t->index, 2 * t->max, 16);
	return t;
}

void
ktable_free(struct ktable *t)
{
	if (t == NULL)
		return;
	hindex_free(&t->index);
	free(t->ring);
	free(t);
}

void
ktable_add(struct ktable *t, const struct ktable_rec *r)
{
	size_t i;

	if ((r->family != AF_INET && r->family != AF_INET6) ||
	    (r->proto != KTABLE_TCP && r->proto != KTABLE_UDP))
		return;
	if (t->index.n + 1 > 2 * t->max) {
		/* Half full of slots, many stale: index the ring anew. */
		hindex_clear(&t->index);
		for (i = 0; i < t->n; i++)
			index_put(t, i);
	}
	t->ring[t->next] = *r;
	t->ring[t->next].comm[sizeof r->comm - 1] = '\0';
	t->ring[t->next].exe[sizeof r->exe - 1] = '\0';
	index_put(t, t->next);
	t->next = (t->next + 1) % t->max;
	if (t->n < t->max)
		t->n++;
	t->added++;
}

const struct ktable_rec *
ktable_find(struct ktable *t, int proto, int family, const unsigned char *sa,
    unsigned sp, const unsigned char *da, unsigned dp, int64_t now)
{
	const struct ktable_rec *r, *best = NULL;
	size_t i;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	for (i = hindex_first(&t->index, tuple_hash(proto, family, sa, sp, da,
	    dp)); t->index.slot[i] != 0; i = hindex_next(&t->index, i)) {
		r = &t->ring[t->index.slot[i] - 1];
		if (!same_tuple(r, proto, family, sa, sp, da, dp))
			continue;
		if (r->at > now || now - r->at > t->ttl)
			continue;
		if (best == NULL || r->at >= best->at)
			best = r;
	}
	return best;
}

size_t
ktable_count(const struct ktable *t)
{
	return t->n;
}

unsigned long
ktable_added(const struct ktable *t)
{
	return t->added;
}
