/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * check.c: `isoaudit check`, for cron: the causes that are new since the
 * last check under a cursor name (or first seen since a time), one line
 * each, and nothing at all when there is nothing new.  A cause is printed
 * once when it appears, and again (marked "again") only when it came back
 * after it was acknowledged.  The database is
 * read, apart from the cursor (and the memory of a reported silence),
 * which moves in the same transaction as the read: two checks under one
 * name never report one appearance of a cause twice.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "config.h"
#include "isoaudit.h"
#include "log.h"
#include "record.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CHECK_CURSOR_MAX	64
#define MONITOR_STOPPED		"MONITOR_STOPPED"

struct check {
	int		 json;
	int		 syslog;
	enum severity	 min;
	unsigned	 printed;
	struct buf	 line;
	int		 failed;	/* stdout could not be written */
};

static int
check_priority(enum severity sev)
{
	switch (sev) {
	case SEV_CRITICAL: return LOG_CRIT;
	case SEV_WARNING: return LOG_WARNING;
	case SEV_NOTICE: return LOG_NOTICE;
	default: return LOG_INFO;
	}
}

/* Writes the line in c->line to stdout (and syslog); -1 if stdout fails. */
static int
check_emit(struct check *c, enum severity sev, const char *text_line)
{
	buf_addc(&c->line, '\n');
	if (fwrite(c->line.p, 1, c->line.len, stdout) != c->line.len ||
	    fflush(stdout) == EOF) {
		c->failed = 1;
		return -1;
	}
	if (c->syslog)
		syslog(check_priority(sev), "%s", text_line);
	c->printed++;
	return 0;
}

/* The one-line text form of a finding (escaped: it may go to a terminal). */
static void
check_text(struct buf *b, const struct store_finding_row *f)
{
	char when[TIME_RFC3339_LEN];
	const char *d = f->detail != NULL ? f->detail : "";

	time_rfc3339(f->last_seen, when);
	/* A cause: where it was last seen, and how often. */
	buf_printf(b, "%s %s%s %s (session %" PRId64, when, f->severity,
	    f->again ? " again" : "", f->rule, f->session);
	if (f->circ_id != 0)
		buf_printf(b, ", circuit %" PRIu64, f->circ_id);
	if (f->listener != NULL && f->listener[0] != '\0') {
		buf_adds(b, ", listener ");
		buf_escape(b, f->listener, strlen(f->listener));
	}
	if (f->noccurrences_total > 1)
		buf_printf(b, ", %zu occurrences", f->noccurrences_total);
	buf_adds(b, "): ");
	buf_escape(b, d, strlen(d));
	/* What to do on this system, on the same line (one a cause). */
	if (f->remedy != NULL && f->remedy[0] != '\0') {
		buf_adds(b, "; what to do: ");
		buf_escape(b, f->remedy, strlen(f->remedy));
	}
}

static int
check_finding(const struct store_finding_row *f, void *arg)
{
	struct check *c = arg;
	enum severity sev;
	struct buf text;
	int r;

	if (f->acknowledged || f->severity == NULL || f->rule == NULL ||
	    severity_parse(f->severity, &sev) == -1 || sev < c->min)
		return 0;
	buf_init(&text);
	check_text(&text, f);
	buf_reset(&c->line);
	if (c->json)
		report_json_finding(&c->line, f);
	else
		buf_adds(&c->line, buf_cstr(&text));
	r = check_emit(c, sev, buf_cstr(&text));
	buf_free(&text);
	return r;
}

static int
check_silence(const struct store_silence *si, void *arg)
{
	struct check *c = arg;
	char now[TIME_RFC3339_LEN], last[TIME_RFC3339_LEN], age[32];
	struct buf text;
	int r;

	buf_init(&text);
	time_rfc3339(time_now_us(), now);
	if (si->none)
		buf_printf(&text, "%s critical %s: no Tor session recorded in "
		    "this database: is isoaudit monitor running?", now,
		    MONITOR_STOPPED);
	else {
		time_rfc3339(si->last, last);
		time_duration(si->silence, 1, age, sizeof age);
		buf_printf(&text, "%s critical %s: the newest Tor session "
		    "(%" PRId64 ", ", now, MONITOR_STOPPED, si->session);
		buf_escape(&text, si->control ? si->control : "?",
		    strlen(si->control ? si->control : "?"));
		buf_printf(&text, ") %s %s (%s ago); is isoaudit monitor "
		    "running?", si->ended ? "ended at" : "has had no event "
		    "since", last, age);
	}
	buf_reset(&c->line);
	if (c->json) {
		buf_printf(&c->line, "{\"rule\": \"%s\", \"severity\": "
		    "\"critical\", \"session\": ", MONITOR_STOPPED);
		if (si->none)
			buf_adds(&c->line, "null, \"last_event\": null, "
			    "\"silence_s\": null");
		else
			buf_printf(&c->line, "%" PRId64 ", \"last_event\": "
			    "\"%s\", \"silence_s\": %" PRId64, si->session, last,
			    si->silence / 1000000);
		buf_adds(&c->line, ", \"detail\": ");
		buf_json_strz(&c->line, buf_cstr(&text) + strlen(now) + 1);
		buf_addc(&c->line, '}');
	} else
		buf_adds(&c->line, buf_cstr(&text));
	r = check_emit(c, SEV_CRITICAL, buf_cstr(&text));
	buf_free(&text);
	return r;
}

static const enum opt check_options[] = {
	OPT_DB, OPT_SINCE_LAST, OPT_SINCE, OPT_MIN_SEVERITY, OPT_FORMAT,
	OPT_SYSLOG, OPT_MAX_SILENCE, OPT_END
};

static int
cmd_check_exec(const struct cmd_entry *self, struct opts *o)
{
	struct check c;
	struct store_check sc;
	struct store *s;
	enum store_err err = STORE_OK;
	const char *cursor = o->cursor;
	char *cause = NULL, *path;
	int64_t now = time_now_us(), age;
	size_t i;
	int rc;

	memset(&c, 0, sizeof c);
	memset(&sc, 0, sizeof sc);
	c.min = SEV_WARNING;
	/* `--since-last cron` as well as `--since-last=cron`. */
	if (o->since_last && cursor == NULL && o->argc == 1) {
		cursor = o->argv[0];
		o->argc = 0;
	}
	if (o->argc > 0)
		return cmd_usage_error(self, "unexpected %s", o->argv[0]);
	if (o->since != NULL && o->since_last)
		return cmd_usage_error(self, "--since and --since-last exclude each "
		    "other");
	if (o->format != NULL && strcmp(o->format, "text") != 0 &&
	    strcmp(o->format, "json") != 0)
		return cmd_usage_error(self, "--format %s: text or json", o->format);
	c.json = o->format != NULL && strcmp(o->format, "json") == 0;
	if (o->min_severity != NULL &&
	    severity_parse(o->min_severity, &c.min) == -1)
		return cmd_usage_error(self, "--min-severity %s: info, notice, warning "
		    "or critical", o->min_severity);
	if (o->max_silence != NULL) {
		if (time_parse_age(o->max_silence, &age) == -1 || age <= 0)
			return cmd_usage_error(self, "--max-silence %s: an age such as "
			    "30m, 2h or 1d", o->max_silence);
		sc.max_silence = age;
	}
	if (o->since != NULL) {
		if (time_parse_when(o->since, now, &sc.since) == -1)
			return cmd_usage_error(self, "--since %s: RFC 3339 or an age "
			    "such as 2h or 7d", o->since);
	} else {
		if (cursor == NULL)
			cursor = "default";
		if (cursor[0] == '\0' || strlen(cursor) > CHECK_CURSOR_MAX)
			return cmd_usage_error(self, "--since-last %s: a name of 1 to 64 "
			    "printable characters", cursor);
		for (i = 0; cursor[i] != '\0'; i++)
			if ((unsigned char)cursor[i] <= 0x20 ||
			    (unsigned char)cursor[i] >= 0x7f)
				return cmd_usage_error(self, "--since-last: the name has "
				    "a character that is not printable");
		sc.cursor = cursor;
	}
	c.syslog = o->syslog;

	path = opts_db_path(o);
	s = store_open(path, STORE_READ, &err, &cause);
	free(path);
	if (s == NULL) {
		fprintf(stderr, "isoaudit: %s\n", cause);
		free(cause);
		return EXIT_RUNTIME;
	}
	if (c.syslog)
		openlog("isoaudit", LOG_PID, LOG_DAEMON);
	buf_init(&c.line);
	sc.now = now;
	sc.finding = check_finding;
	sc.silence = check_silence;
	sc.arg = &c;
	rc = store_check(s, &sc, &cause);
	store_close(s);
	buf_free(&c.line);
	if (c.syslog)
		closelog();
	if (rc == -1) {
		if (c.failed)
			fprintf(stderr, "isoaudit: check: cannot write the "
			    "report; the cursor was not moved\n");
		else
			fprintf(stderr, "isoaudit: check: %s\n", cause);
		free(cause);
		return EXIT_RUNTIME;
	}
	return c.printed > 0 ? EXIT_FINDINGS : EXIT_OK;
}

const struct cmd_entry cmd_check_entry = {
	"check",
	"new findings since the last check (cron: quiet when nothing is new)",
"usage: isoaudit check [--since-last [NAME] | --since WHEN] [--min-severity SEV]\n"
"                      [--format text|json] [--syslog] [--max-silence AGE]\n"
"\n"
"New findings since the last check under NAME (default \"default\"), at or\n"
"above SEV (default warning), one line each; nothing at all when there is\n"
"nothing new, so that cron mails only on news.  A finding is a cause: it is\n"
"printed once when it first appears, and again (marked \"again\") only when\n"
"it came back after it was acknowledged.  Exit 1 when it printed\n"
"something.  Reads the database; only the cursor is written.\n"
"\n"
"options:\n"
"  --since-last [NAME]    since the last check under NAME (the default)\n"
"  --since WHEN           since WHEN instead (RFC 3339, or an age: 2h, 7d);\n"
"                         no cursor is read or moved\n"
"  --min-severity SEV     info, notice, warning (default) or critical\n"
"  --format text|json     a line of text (default) or a JSON object per finding\n"
"  --syslog               also send each line to syslog (LOG_DAEMON, isoaudit)\n"
"  --max-silence AGE      MONITOR_STOPPED when no monitor wrote for AGE\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db)\n"
"  -c, --config FILE      config file (its Database)\n"
"  -v, --verbose          more detail\n"
"  -q, --quiet            errors only\n",
	check_options,
	cmd_check_exec,
	1
};
