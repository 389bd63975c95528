/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * agent_gw.h: the gateway's side of the agent protocol (docs/agent.md):
 * the AgentListen listener on monitor's loop, one connection per Agent
 * line, each agent's claims in a bounded table, and the claim the
 * pipeline asks for (pipeline_config.agent_claim).
 */
#ifndef ISOAUDIT_AGENT_GW_H
#define ISOAUDIT_AGENT_GW_H

struct attrib_result;
struct config;
struct event_base;

#define AGENT_GW_WAIT_US	(50LL * 1000)	/* for a record not in yet */

struct agent_gw;

/* Listens on cfg's AgentListen with its Agent lines' keys (read now);
 * NULL with *cause.  notify(arg) is called when a record comes. */
struct agent_gw *agent_gw_new(struct event_base *, const struct config *,
	    void (*)(void *), void *, char **);
void	agent_gw_free(struct agent_gw *);
/* pipeline_config.agent_claim: the claim for SOURCE_ADDR (the stream's
 * target, NULL if none; udp: a DNS query's), if its host is a connected
 * agent's, that agent sent one, and its destination is the listener res
 * names or the target. */
void	agent_gw_claim(const char *, const char *, int, struct attrib_result *,
	    void *);
/* Whether a stream from SOURCE_ADDR is worth waiting for: its host is an
 * agent's, that agent is connected, and no record for it is in. */
int	agent_gw_wanted(struct agent_gw *, const char *, int);

#endif
