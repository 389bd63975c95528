/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * agent_table.h: the gateway's records of one agent: a bounded table of
 * its claims keyed by the client endpoint (SOURCE_ADDR as Tor reports it),
 * the newest first, each kept AGENT_TABLE_TTL.  Pure: times come in.
 */
#ifndef ISOAUDIT_AGENT_TABLE_H
#define ISOAUDIT_AGENT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define AGENT_TABLE_MAX		4096		/* records kept per agent */
#define AGENT_TABLE_TTL		(120LL * 1000000)	/* us, monotonic */

struct agent_table {
	struct proto_record	*rec;		/* a ring of AGENT_TABLE_MAX */
	int64_t			*at;		/* when each came (monotonic) */
	size_t			 head;		/* next slot written */
	size_t			 n;
};

void	agent_table_init(struct agent_table *);
void	agent_table_free(struct agent_table *);
/* Keeps r (copied) at time now; the oldest goes when full. */
void	agent_table_put(struct agent_table *, const struct proto_record *,
	    int64_t);
/* The newest record (udp: a DNS query's, else a connect's) for src not
 * older than the TTL at now, or NULL. */
const struct proto_record *agent_table_get(const struct agent_table *, int,
	    const char *, int64_t);

#endif
