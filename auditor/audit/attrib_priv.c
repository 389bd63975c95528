/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_priv.c: whether this process may see other users' processes.
 * Naming the program behind a socket takes listing /proc/PID/fd (the
 * directory is the owner's, mode 0500: CAP_DAC_READ_SEARCH) and reading
 * its links and /proc/PID/exe (a ptrace access check: CAP_SYS_PTRACE);
 * root in a container may lack both, a service user has neither.  Without
 * them another user's streams lose their process in silence, and with it
 * SHARED_PORT_PROCESSES: so it is said once, with the fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "xmalloc.h"

#define CAP_BIT_DAC_READ_SEARCH	2
#define CAP_BIT_SYS_PTRACE	19

int
attrib_privilege_text(uint64_t capeff, int hidepid, int tracker,
    char **line, char **brief)
{
	int ptrace = (capeff >> CAP_BIT_SYS_PTRACE) & 1;
	int search = (capeff >> CAP_BIT_DAC_READ_SEARCH) & 1;
	const char *missing, *grant;

	*line = *brief = NULL;
	if (ptrace && search)
		return 0;
	if (!ptrace && !search) {
		missing = "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH";
		grant = "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH";
	} else if (!ptrace) {
		missing = grant = "CAP_SYS_PTRACE";
	} else {
		missing = grant = "CAP_DAC_READ_SEARCH";
	}
	*line = xasprintf("no %s%s: %s; run as root, or grant %s "
	    "(systemd: AmbientCapabilities=%s, as the packaged "
	    "isoaudit.service does)", missing,
	    hidepid && !ptrace ? " and /proc is mounted hidepid" : "",
	    tracker && ptrace ? "the connect tracker names other users' "
	    "programs, but a connection it did not see gets no process" :
	    tracker ? "other users' programs are named by their short name "
	    "(the connect tracker), not their executable, and a connection "
	    "the tracker did not see gets no process" :
	    "streams of other users' programs get no process, and "
	    "SHARED_PORT_PROCESSES cannot tell them apart", grant, grant);
	*brief = xasprintf("no %s: other users' programs %s", !ptrace ?
	    "CAP_SYS_PTRACE" : "CAP_DAC_READ_SEARCH", tracker && ptrace ?
	    "named by the tracker only" : tracker ? "named by short name" :
	    "unnamed");
	return 1;
}

/* CapEff of procdir/self/status, or 0 when it cannot be read. */
static uint64_t
attrib_capeff(const char *procdir)
{
	char path[512], line[256];
	uint64_t cap = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/self/status", procdir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "CapEff:", 7) == 0) {
			cap = strtoull(line + 7, NULL, 16);
			break;
		}
	fclose(f);
	return cap;
}

/* Whether procdir is mounted with hidepid (other users' pids hidden). */
static int
attrib_hidepid(const char *procdir)
{
	char path[512], line[1024];
	int hidden = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/self/mountinfo", procdir);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, " - proc ") != NULL &&
		    strstr(line, " /proc ") != NULL &&
		    strstr(line, "hidepid=") != NULL &&
		    strstr(line, "hidepid=0") == NULL &&
		    strstr(line, "hidepid=off") == NULL) {
			hidden = 1;
			break;
		}
	fclose(f);
	return hidden;
}

int
attrib_privilege(const char *procdir, int tracker, char **line,
    char **brief)
{
	return attrib_privilege_text(attrib_capeff(procdir),
	    attrib_hidepid(procdir), tracker, line, brief);
}
