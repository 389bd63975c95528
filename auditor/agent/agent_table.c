/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * agent_table.c: an agent's claims on the gateway (agent_table.h): a ring,
 * searched newest first.  Bounded by AGENT_TABLE_MAX whatever an agent
 * sends: a flood only pushes its own older claims out.
 */
#include <stdlib.h>
#include <string.h>

#include "agent_table.h"
#include "xmalloc.h"

void
agent_table_init(struct agent_table *t)
{
	memset(t, 0, sizeof *t);
	t->rec = xcalloc(AGENT_TABLE_MAX, sizeof *t->rec);
	t->at = xcalloc(AGENT_TABLE_MAX, sizeof *t->at);
}

void
agent_table_free(struct agent_table *t)
{
	free(t->rec);
	free(t->at);
	memset(t, 0, sizeof *t);
}

void
agent_table_put(struct agent_table *t, const struct proto_record *r,
    int64_t now)
{
	t->rec[t->head] = *r;
	t->at[t->head] = now;
	t->head = (t->head + 1) % AGENT_TABLE_MAX;
	if (t->n < AGENT_TABLE_MAX)
		t->n++;
}

const struct proto_record *
agent_table_get(const struct agent_table *t, int udp, const char *src,
    int64_t now)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		k = (t->head + AGENT_TABLE_MAX - 1 - i) % AGENT_TABLE_MAX;
		if (now - t->at[k] > AGENT_TABLE_TTL)
			return NULL;	/* older ones are older still */
		if (t->rec[k].udp == udp && strcmp(t->rec[k].src, src) == 0)
			return &t->rec[k];
	}
	return NULL;
}
