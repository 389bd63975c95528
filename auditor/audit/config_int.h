/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * config_int.h: what the files of the configuration share: config.c (the
 * file, its directives, profiles) and config_host.c (Host lines).  Private
 * to them.
 */
#ifndef ISOAUDIT_CONFIG_INT_H
#define ISOAUDIT_CONFIG_INT_H

#include <stdio.h>

#include "config.h"

/* Adds a Host line (addr: an address or a CIDR network); 0, or -1 when
 * addr is neither.  builtin: the profile's, with its source. */
int	config_add_host(struct config *, const char *, const char *, int,
	    const char *);

/* config_host.c: an address or network into family, net, prefix; 0/-1. */
int	config_parse_net(const char *, int *, unsigned char *, int *);
/* Whether the first bits of two addresses are equal. */
int	config_prefix_equal(const unsigned char *, const unsigned char *, int);

/* config_agent.c: AgentListen, Agent, LocalAttribution: 0, -1 with *why,
 * or 1 when the directive is none of them. */
int	config_agent_directive(struct config *, char **, int, unsigned,
	    char **);
void	config_agent_free(struct config *);
void	config_agent_print(const struct config *, FILE *);
/* Whether the agent lines differ (they take effect at a restart). */
int	config_agent_differs(const struct config *, const struct config *);

#endif
