/*
 * config_int.h: what the files of the configuration share: config.c (the
 * file, its directives, profiles) and config_host.c (Host lines).  Private
 * to them.
 */
#ifndef ISOAUDIT_CONFIG_INT_H
#define ISOAUDIT_CONFIG_INT_H

#include "config.h"

/* Adds a Host line (addr: an address or a CIDR network); 0, or -1 when
 * addr is neither.  builtin: the profile's, with its source. */
int	config_add_host(struct config *, const char *, const char *, int,
	    const char *);

#endif
