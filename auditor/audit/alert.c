/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* alert.c: findings to stderr or syslog (LOG_DAEMON, ident isoaudit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "alert.h"
#include "buf.h"
#include "timeutil.h"

static int
alert_priority(int sev)
{
	switch (sev) {
	case SEV_CRITICAL: return LOG_CRIT;
	case SEV_WARNING: return LOG_WARNING;
	case SEV_NOTICE: return LOG_NOTICE;
	default: return LOG_INFO;
	}
}

void
alert_emit(enum alert_sink sink, int sev, const char *rule,
    const char *detail, int64_t ts)
{
	static int opened;
	char when[TIME_RFC3339_LEN];
	struct buf b;

	if (sink == ALERT_NONE)
		return;
	time_rfc3339(ts, when);
	buf_init(&b);
	buf_printf(&b, "[%s] %s at %s: ", severity_name((enum severity)sev),
	    rule, when);
	buf_escape(&b, detail, strlen(detail));
	if (sink == ALERT_SYSLOG) {
		if (!opened) {
			openlog("isoaudit", LOG_PID, LOG_DAEMON);
			opened = 1;
		}
		syslog(alert_priority(sev), "%s", buf_cstr(&b));
	} else {
		fprintf(stderr, "isoaudit: %s\n", buf_cstr(&b));
		fflush(stderr);
	}
	buf_free(&b);
}
