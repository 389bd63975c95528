/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * isoaudit.c: main, the command table and the options.  Each command
 * (cmd_*.c) has an entry with its own usage text and the options it takes;
 * an option of another command is a usage error.  Every error a user can
 * cause is one line on stderr and an exit status from SPEC.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "isoaudit.h"
#include "log.h"
#include "xmalloc.h"

#ifndef ISOAUDIT_VERSION
#define ISOAUDIT_VERSION "0.2.0"
#endif

static const struct cmd_entry *const cmds[] = {
	&cmd_monitor_entry,
	&cmd_replay_entry,
	&cmd_report_entry,
	&cmd_check_entry,
	&cmd_prune_entry,
	&cmd_config_entry,
	&cmd_agent_entry,
};
#define NCMDS	(sizeof cmds / sizeof cmds[0])

/* Every option of every command (the entries say which take which). */
static const struct option options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "cookie", required_argument, NULL, OPT_COOKIE },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "db", required_argument, NULL, OPT_DB },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "log-targets", required_argument, NULL, OPT_LOG_TARGETS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "exit-after-events", required_argument, NULL, OPT_EXIT_AFTER },
	{ "dump", no_argument, NULL, OPT_DUMP },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
	{ "new-key", no_argument, NULL, OPT_NEW_KEY },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "tracker", required_argument, NULL, OPT_TRACKER },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "profiles", no_argument, NULL, OPT_PROFILES },
	{ "since-last", optional_argument, NULL, OPT_SINCE_LAST },
	{ "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "max-silence", required_argument, NULL, OPT_MAX_SILENCE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};
#define SHORTOPTS	":c:o:vqh"

/* What every command takes beside its own. */
static const enum opt common[] = {
	OPT_CONFIG, OPT_VERBOSE, OPT_QUIET, OPT_HELP, OPT_VERSION, OPT_END
};

static void
overview(FILE *f)
{
	size_t i;

	fputs(cmd_dashboard_entry.usage, f);
	fputs("\ncommands (isoaudit help COMMAND for one's options):\n", f);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i]->name, cmds[i]->summary);
	fputs("\nexit status: 0 success (check: nothing new), 1 (check) new "
	    "findings, 2 usage\nerror, 3 runtime error (Tor unreachable, "
	    "authentication refused, database\nunusable).\n", f);
}

int
cmd_usage_error(const struct cmd_entry *c, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	buf_init(&b);
	/* Operands and option values are the user's: made printable. */
	if (n >= 0) {
		buf_escape(&b, msg, (size_t)n);
		free(msg);
	} else
		buf_adds(&b, "usage");
	if (c != NULL && c->name != NULL)
		fprintf(stderr, "isoaudit: %s: %s (see isoaudit %s --help)\n",
		    c->name, buf_cstr(&b), c->name);
	else
		fprintf(stderr, "isoaudit: %s (see isoaudit --help)\n",
		    buf_cstr(&b));
	buf_free(&b);
	return EXIT_USAGE;
}

char *
opts_db_path(const struct opts *o)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (o->db != NULL)
		return xstrdup(o->db);
	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/isoaudit/isoaudit.db", xdg);
	return xasprintf("%s/.local/state/isoaudit/isoaudit.db",
	    home != NULL && home[0] == '/' ? home : "/var/lib");
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	return NULL;
}

static int
takes(const struct cmd_entry *c, int id)
{
	const enum opt *p;

	for (p = common; *p != OPT_END; p++)
		if ((int)*p == id)
			return 1;
	for (p = c->options; *p != OPT_END; p++)
		if ((int)*p == id)
			return 1;
	return 0;
}

/* `isoaudit help [COMMAND]`. */
static int
help(int argc, char **argv)
{
	const struct cmd_entry *c;

	if (argc < 2) {
		overview(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cmd_usage_error(NULL, "help takes one COMMAND");
	if (strcmp(argv[1], "dashboard") == 0)
		c = &cmd_dashboard_entry;
	else if ((c = cmd_find(argv[1])) == NULL)
		return cmd_usage_error(NULL, "help: unknown command %s",
		    argv[1]);
	fputs(c->usage, stdout);
	return EXIT_OK;
}

/*
 * The command is the first word that is not an option or an option's
 * argument, so that "isoaudit -c FILE monitor" works too.  Takes it out of
 * argv.  Returns its position, 0 if there is none.
 */
static int
find_command(int argc, char **argv)
{
	const struct option *lo;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return 0;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (a[1] != '-') {
			/* -c FILE, -o FILE (not -cFILE). */
			if ((a[1] == 'c' || a[1] == 'o') && a[2] == '\0')
				i++;
			continue;
		}
		for (lo = options; lo->name != NULL; lo++)
			if (strcmp(a + 2, lo->name) == 0 &&
			    lo->has_arg == required_argument)
				i++;
	}
	return 0;
}

/* Sets what option id says.  Returns 0, or an exit status (-1: go on). */
static int
set_option(const struct cmd_entry *c, struct opts *o, int id, char *arg)
{
	char *end;

	switch (id) {
	case OPT_CONFIG:
		o->config = arg;
		break;
	case OPT_CONTROL:
		o->control = arg;
		break;
	case OPT_COOKIE:
		o->cookie = arg;
		break;
	case OPT_PASSWORD_FILE:
		o->password_file = arg;
		break;
	case OPT_AUTH:
		if (ctl_auth_parse(arg, &o->auth) == -1)
			return cmd_usage_error(c, "--auth: unknown method %s "
			    "(safecookie, cookie, password, null)", arg);
		break;
	case OPT_DB:
		o->db = arg;
		break;
	case OPT_RECORD:
		o->record = arg;
		break;
	case OPT_LOG_TARGETS:
		if (privacy_parse_mode(arg, &o->log_targets) == -1)
			return cmd_usage_error(c, "--log-targets: %s is not "
			    "hash, plain or none", arg);
		o->log_targets_set = 1;
		break;
	case OPT_DURATION:
		o->duration = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || !(o->duration > 0) ||
		    o->duration > 1e9)
			return cmd_usage_error(c, "--duration: %s is not a "
			    "number of seconds", arg);
		break;
	case OPT_EXIT_AFTER: {
		unsigned long long n;

		errno = 0;
		n = strtoull(arg, &end, 10);
		if (*arg == '\0' || *arg == '-' || *end != '\0' || n == 0 ||
		    errno != 0)
			return cmd_usage_error(c, "--exit-after-events: %s is "
			    "not a positive number", arg);
		o->exit_after_events = n;
		break;
	}
	case OPT_DUMP:
		o->dump = 1;
		break;
	case OPT_FORMAT:
		o->format = arg;
		break;
	case OPT_SESSION: {
		long long n = strtoll(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 1)
			return cmd_usage_error(c, "--session: %s is not a "
			    "session number", arg);
		o->session = n;
		break;
	}
	case OPT_SINCE:
		o->since = arg;
		break;
	case OPT_UNTIL:
		o->until = arg;
		break;
	case OPT_ALL:
		o->all = 1;
		break;
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_TABLE:
		o->table = arg;
		break;
	case OPT_OLDER_THAN:
		o->older_than = arg;
		break;
	case OPT_NEW_KEY:
		o->new_key = 1;
		break;
	case OPT_GATEWAY:
		o->gateway = arg;
		break;
	case OPT_KEY:
		o->key = arg;
		break;
	case OPT_NAME:
		o->name = arg;
		break;
	case OPT_TRACKER:
		o->tracker = arg;
		break;
	case OPT_CHECK:
		break;	/* config --check: checking is what it does */
	case OPT_PROFILES:
		o->profiles = 1;
		break;
	case OPT_SINCE_LAST:
		o->since_last = 1;
		o->cursor = arg;
		break;
	case OPT_MIN_SEVERITY:
		o->min_severity = arg;
		break;
	case OPT_SYSLOG:
		o->syslog = 1;
		break;
	case OPT_MAX_SILENCE:
		o->max_silence = arg;
		break;
	case OPT_VERBOSE:
		o->verbose++;
		break;
	case OPT_QUIET:
		o->verbose = -1;
		break;
	case OPT_VERSION:
		printf("isoaudit %s\n", ISOAUDIT_VERSION);
		return EXIT_OK;
	case OPT_HELP:
		if (c == &cmd_dashboard_entry)
			overview(stdout);
		else
			fputs(c->usage, stdout);
		return EXIT_OK;
	}
	return -1;
}

/*
 * The option getopt_long refused (ch ':' or '?') or returned (li its index
 * in options[], or -1 for a short one), as the user wrote its name.
 */
static const char *
option_text(char **argv, int ch, int li, char *buf, size_t len)
{
	const char *a = argv[optind - 1];

	if (ch != ':' && ch != '?') {
		if (li >= 0)
			snprintf(buf, len, "--%s", options[li].name);
		else
			snprintf(buf, len, "-%c", ch);
	} else if (optopt != 0 && optopt < 256 && strncmp(a, "--", 2) != 0)
		snprintf(buf, len, "-%c", optopt);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
	return buf;
}

/* Parses argv for command c into o.  Returns -1, or an exit status. */
static int
parse_options(const struct cmd_entry *c, struct opts *o, int argc,
    char **argv)
{
	char name[64];
	int ch, li, rc;

	opterr = 0;
	optind = 1;
	for (;;) {
		li = -1;
		ch = getopt_long(argc, argv, SHORTOPTS, options, &li);
		if (ch == -1)
			break;
		option_text(argv, ch, li, name, sizeof name);
		if (ch == ':')
			return cmd_usage_error(c, "option %s needs an argument",
			    name);
		if (ch == '?')
			return cmd_usage_error(c, "unknown option %s", name);
		if (!takes(c, ch)) {
			if (c->name == NULL)
				return cmd_usage_error(c, "%s goes with a "
				    "command; the dashboard does not take it",
				    name);
			return cmd_usage_error(c, "%s is not an option of %s",
			    name, c->name);
		}
		if ((rc = set_option(c, o, ch, optarg)) != -1)
			return rc;
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return -1;
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *c = &cmd_dashboard_entry;
	struct opts o;
	char *cause = NULL;
	int i, rc;

	memset(&o, 0, sizeof o);
	o.log_targets = LOG_TARGETS_HASH;
	o.auth = CTL_AUTH_AUTO;

	if ((i = find_command(argc, argv)) != 0) {
		if (strcmp(argv[i], "help") == 0)
			return help(argc - i, argv + i);
		if ((c = cmd_find(argv[i])) == NULL)
			return cmd_usage_error(NULL, "unknown command %s",
			    argv[i]);
		memmove(&argv[i], &argv[i + 1],
		    (size_t)(argc - i) * sizeof *argv);
		argc--;
	}
	if ((rc = parse_options(c, &o, argc, argv)) != -1)
		return rc;
	log_init(o.verbose);
	if (!c->load_config)
		return c->exec(c, &o);

	if (config_load(&o.cfg, o.config, &cause) == -1) {
		fprintf(stderr, "isoaudit: %s\n", cause);
		free(cause);
		config_free(&o.cfg);
		return EXIT_USAGE;
	}
	/* The command line wins over the file. */
	if (o.control == NULL)
		o.control = o.cfg.control;
	if (o.cookie == NULL)
		o.cookie = o.cfg.cookie_file;
	if (o.password_file == NULL)
		o.password_file = o.cfg.password_file;
	/*
	 * A password file is read only when Tor offers HASHEDPASSWORD: one
	 * that is not there was ignored in silence wherever Tor offered a
	 * cookie.  Said at once (a pipe, <(pass show tor), is readable).
	 */
	if (o.password_file != NULL && takes(c, OPT_PASSWORD_FILE) &&
	    access(o.password_file, R_OK) == -1) {
		rc = cmd_usage_error(c, "password file %s: %s", o.password_file,
		    strerror(errno));
		config_free(&o.cfg);
		return rc;
	}
	if (o.db == NULL)
		o.db = o.cfg.database;
	if (!o.log_targets_set)
		o.log_targets = o.cfg.log_targets;
	rc = c->exec(c, &o);
	config_free(&o.cfg);
	return rc;
}
