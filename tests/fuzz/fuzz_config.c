/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_config.c: libFuzzer harness for the configuration file parser
 * (auditor/config.c), through config_load_buf: the line parser config_load
 * uses, on a buffer instead of a file.
 *
 * A config that loads must hold what config.h promises (ports in range,
 * labels non-empty), find each of its own App and Host lines again by
 * lookup, print (config --check) and reload (SIGHUP) over a copy of itself
 * with nothing reported as needing a restart.  A config that does not load
 * must say why as "NAME:LINE: reason" with a line that exists.  Everything
 * is freed every time: LeakSanitizer checks the error paths too.
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (config.h) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define NAME	"fuzz.conf"

static FILE	*devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n + (size > 0 && data[size - 1] != '\n');
}

static void
check_failure(const char *cause, const uint8_t *data, size_t size)
{
	unsigned long line;
	char *end;

	CHECK(cause != NULL);
	CHECK(strncmp(cause, NAME ":", sizeof NAME) == 0);
	line = strtoul(cause + sizeof NAME, &end, 10);
	CHECK(end != cause + sizeof NAME && *end == ':');
	CHECK(line >= 1 && line <= count_lines(data, size));
}

static void
check_config(const struct config *c)
{
	char listener[128];
	size_t i;
	int r;

	CHECK(c->path != NULL && strcmp(c->path, NAME) == 0);
	CHECK(c->retention >= 0);
	CHECK(c->database == NULL || c->database[0] == '/');
	for (r = 0; r < RULE__COUNT; r++)
		CHECK(c->severity[r] >= SEV_OFF &&
		    c->severity[r] <= SEV_CRITICAL);
	for (i = 0; i < c->nhosts; i++) {
		char addr[64], label[128];

		CHECK(c->hosts[i].addr != NULL && c->hosts[i].label != NULL);
		/* A Host line covers its own address (a network's, without
		 * the prefix length): some line names it. */
		snprintf(addr, sizeof addr, "%.*s",
		    (int)strcspn(c->hosts[i].addr, "/"), c->hosts[i].addr);
		CHECK(config_host_for(c, addr, label, sizeof label) != NULL);
	}
	for (i = 0; i < c->napps; i++) {
		const struct config_app *a = &c->apps[i], *found;
		int unix_sock;

		CHECK(a->label != NULL && a->label[0] != '\0');
		unix_sock = a->addr != NULL && strncmp(a->addr, "unix:", 5) == 0;
		if (unix_sock)
			CHECK(a->port_lo == 0 && a->port_hi == 0);
		else
			CHECK(a->port_lo >= 1 && a->port_lo <= a->port_hi &&
			    a->port_hi <= 65535);
		CHECK(a->addr == NULL || a->addr[0] != '\0');
		CHECK(a->builtin || a->line >= 1);
		if (a->builtin)
			continue;
		/*
		 * Its own listener finds an App line (this one or one looked
		 * up before it).  Addresses config_app_for cannot hold
		 * (80 bytes) are left out.
		 */
		if (unix_sock)
			found = config_app_for(c, a->addr);
		else if (a->addr == NULL) {
			snprintf(listener, sizeof listener, "127.0.0.1:%d",
			    a->port_lo);
			found = config_app_for(c, listener);
		} else if (strlen(a->addr) < 64) {
			snprintf(listener, sizeof listener, "%s:%d", a->addr,
			    a->port_hi);
			found = config_app_for(c, listener);
		} else
			continue;
		CHECK(found != NULL);
		CHECK(!found->builtin);
	}
	CHECK(config_app_for(c, "") == NULL);
	CHECK(config_app_for(c, NULL) == NULL);
	config_print(c, devnull);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c, again;
	char *cause = NULL, *later;

	if (config_load_buf(&c, NAME, (const char *)data, size,
	    &cause) == -1) {
		check_failure(cause, data, size);
		free(cause);
		config_free(&c);
		return 0;
	}
	CHECK(cause == NULL);
	check_config(&c);

	/* SIGHUP with the same file: nothing needs a restart. */
	CHECK(config_load_buf(&again, NAME, (const char *)data, size,
	    &cause) == 0);
	later = config_reload(&c, &again);
	CHECK(later == NULL);
	check_config(&c);
	config_free(&c);
	return 0;
}
