/*
 * isoaudit.c: main and the command table.  Every error a user can cause is
 * one line on stderr and an exit status from SPEC.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isoaudit.h"
#include "log.h"
#include "xmalloc.h"

#ifndef ISOAUDIT_VERSION
#define ISOAUDIT_VERSION "0.1.0"
#endif

struct cmd {
	const char	*name;
	int		(*fn)(struct opts *);
	const char	*usage;
	const char	*later;		/* not in this release: which issue */
};

static const struct cmd cmds[] = {
	{ "monitor", cmd_monitor, "monitor [OPTIONS]", NULL },
	{ "replay", cmd_replay, "replay FILE [--dump] [OPTIONS]", NULL },
	{ "report", cmd_report, "report [OPTIONS]", NULL },
	{ "check", cmd_check, "check [OPTIONS]", NULL },
	{ "prune", cmd_prune, "prune --older-than AGE", NULL },
	{ "config", cmd_config, "config [--check] [FILE]", NULL },
};

static const struct cmd dashboard =
    { "dashboard", cmd_dashboard, "[OPTIONS]", NULL };

static void
usage(FILE *f)
{
	fprintf(f,
"usage: isoaudit [COMMAND] [OPTIONS]\n"
"\n"
"Watches a Tor client through its control port and shows whether your\n"
"applications are kept apart on the Tor network.\n"
"\n"
"commands:\n"
"  (none)                 the live dashboard: attach, log and judge like\n"
"                         monitor, and show circuits, applications, findings\n"
"                         and logs (press ? in it for the keys)\n"
"  monitor                attach to Tor and print one line per stream and\n"
"                         circuit event\n"
"  replay FILE [--dump]   run a recorded transcript (or bare capture) through\n"
"                         the same pipeline; --dump prints JSON lines\n"
"  report [--format text|json|csv|html] [--session N | --since WHEN\n"
"         [--until WHEN] | --all] [-o FILE] [--table T]\n"
"                         what happened, from the database (default: the\n"
"                         latest Tor session)\n"
"  prune --older-than AGE delete history older than AGE (30d, 12h)\n"
"  config [--check] [FILE]\n"
"                         check a config file, print the effective app map\n"
"                         and rules (exit 2 with FILE:LINE on an error)\n"
"  check [--since-last [NAME] | --since WHEN] [--min-severity SEV]\n"
"        [--format text|json] [--syslog] [--max-silence AGE]\n"
"                         new findings since the last check under NAME\n"
"                         (default \"default\"), at or above SEV (default\n"
"                         warning); prints nothing when there is nothing new\n"
"                         (for cron); exit 1 when it printed something\n"
"\n"
"options:\n"
"  --control ADDR         unix:/path or host:port (default: unix:/run/tor/control,\n"
"                         then 127.0.0.1:9051)\n"
"  --cookie FILE          cookie file, when PROTOCOLINFO's path is not readable\n"
"  --password-file FILE   control password (never on the command line)\n"
"  --auth METHOD          force safecookie, cookie, password or null\n"
"  --record FILE          also write the control-port transcript (mode 0600)\n"
"  --log-targets MODE     hash (default), plain or none: how destinations show\n"
"  --duration SECONDS     stop by itself after this long\n"
"  --exit-after-events N  monitor, dashboard: stop after N events from Tor\n"
"  --dump                 replay: one JSON object per event\n"
"  -c, --config FILE      config file (default: $XDG_CONFIG_HOME/isoaudit/\n"
"                         isoaudit.conf, then /etc/isoaudit/isoaudit.conf)\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db,\n"
"                         i.e. ~/.local/state/isoaudit/isoaudit.db)\n"
"  -v, --verbose          more detail (LAUNCHED/EXTENDED circuits, debug)\n"
"  -q, --quiet            errors only\n"
"  --version, -h, --help\n"
"\n"
"exit status: 0 success (check: nothing new), 1 (check) new findings, 2 usage\n"
"error, 3 runtime error (Tor unreachable, authentication refused, database\n"
"unusable).\n");
}

enum {
	OPT_CONTROL = 256, OPT_COOKIE, OPT_PASSWORD_FILE, OPT_DB, OPT_RECORD,
	OPT_LOG_TARGETS, OPT_DURATION, OPT_VERSION, OPT_DUMP, OPT_AUTH,
	OPT_FORMAT, OPT_SESSION, OPT_SINCE, OPT_UNTIL, OPT_ALL, OPT_TABLE,
	OPT_OLDER_THAN, OPT_CHECK, OPT_EXIT_AFTER, OPT_SINCE_LAST,
	OPT_MIN_SEVERITY, OPT_SYSLOG, OPT_MAX_SILENCE
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
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
	{ "output", required_argument, NULL, 'o' },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "since-last", optional_argument, NULL, OPT_SINCE_LAST },
	{ "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "max-silence", required_argument, NULL, OPT_MAX_SILENCE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int bad_usage(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static int
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "isoaudit: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see isoaudit --help)\n");
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

int
main(int argc, char **argv)
{
	struct opts o;
	const struct cmd *cmd = NULL;
	const char *name = NULL;
	char *end;
	size_t i;
	int ch;

	memset(&o, 0, sizeof o);
	o.log_targets = LOG_TARGETS_HASH;
	o.auth = CTL_AUTH_AUTO;

	/*
	 * The command is the first word that is not an option or an option's
	 * argument, so that "isoaudit -c FILE monitor" works too.
	 */
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];
		const struct option *lo;

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0') {
			size_t k;

			name = a;
			for (k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
				if (strcmp(cmds[k].name, name) == 0)
					cmd = &cmds[k];
			if (cmd == NULL)
				return bad_usage("unknown command %s", name);
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - (int)i) * sizeof *argv);
			argc--;
			break;
		}
		if (a[1] != '-') {
			/* -c FILE, -o FILE (not -cFILE). */
			if ((a[1] == 'c' || a[1] == 'o') && a[2] == '\0')
				i++;
			continue;
		}
		for (lo = longopts; lo->name != NULL; lo++)
			if (strcmp(a + 2, lo->name) == 0 &&
			    lo->has_arg == required_argument)
				i++;
	}

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:vqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case OPT_CONTROL:
			o.control = optarg;
			break;
		case OPT_COOKIE:
			o.cookie = optarg;
			break;
		case OPT_PASSWORD_FILE:
			o.password_file = optarg;
			break;
		case OPT_AUTH:
			if (ctl_auth_parse(optarg, &o.auth) == -1)
				return bad_usage("--auth: unknown method %s "
				    "(safecookie, cookie, password, null)",
				    optarg);
			break;
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_RECORD:
			o.record = optarg;
			break;
		case OPT_LOG_TARGETS:
			if (privacy_parse_mode(optarg, &o.log_targets) == -1)
				return bad_usage("--log-targets: %s is not "
				    "hash, plain or none", optarg);
			o.log_targets_set = 1;
			break;
		case OPT_DURATION:
			o.duration = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' ||
			    !(o.duration > 0) || o.duration > 1e9)
				return bad_usage("--duration: %s is not a "
				    "number of seconds", optarg);
			break;
		case OPT_EXIT_AFTER: {
			unsigned long long n;

			errno = 0;
			n = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *optarg == '-' || *end != '\0' ||
			    n == 0 || errno != 0)
				return bad_usage("--exit-after-events: %s is "
				    "not a positive number", optarg);
			o.exit_after_events = n;
			break;
		}
		case OPT_DUMP:
			o.dump = 1;
			break;
		case OPT_FORMAT:
			o.format = optarg;
			break;
		case OPT_SESSION: {
			long long n = strtoll(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || n < 1)
				return bad_usage("--session: %s is not a "
				    "session number", optarg);
			o.session = n;
			break;
		}
		case OPT_SINCE:
			o.since = optarg;
			break;
		case OPT_UNTIL:
			o.until = optarg;
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_TABLE:
			o.table = optarg;
			break;
		case OPT_OLDER_THAN:
			o.older_than = optarg;
			break;
		case OPT_CHECK:
			break;	/* config --check: checking is what it does */
		case OPT_SINCE_LAST:
			o.since_last = 1;
			o.cursor = optarg;
			break;
		case OPT_MIN_SEVERITY:
			o.min_severity = optarg;
			break;
		case OPT_SYSLOG:
			o.syslog = 1;
			break;
		case OPT_MAX_SILENCE:
			o.max_silence = optarg;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'q':
			o.verbose = -1;
			break;
		case OPT_VERSION:
			printf("isoaudit %s\n", ISOAUDIT_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			return bad_usage("option %s needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0 && optopt < 256) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return bad_usage("unknown option %s", opt);
			}
			return bad_usage("unknown option %s", argv[optind - 1]);
		}
	}
	o.argc = argc - optind;
	o.argv = argv + optind;
	log_init(o.verbose);

	if (cmd == NULL)
		cmd = &dashboard;
	if (cmd->fn == NULL) {
		fprintf(stderr, "isoaudit: %s (%s) is coming in a later "
		    "release\n", cmd->name, cmd->later);
		return EXIT_USAGE;
	}
	if (o.dump && cmd->fn != cmd_replay)
		return bad_usage("--dump goes with replay");
	if (cmd->fn != cmd_config) {
		char *cause = NULL;
		int rc;

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
		if (o.db == NULL)
			o.db = o.cfg.database;
		if (!o.log_targets_set)
			o.log_targets = o.cfg.log_targets;
		rc = cmd->fn(&o);
		config_free(&o.cfg);
		return rc;
	}
	return cmd->fn(&o);
}

int
cmd_config(struct opts *o)
{
	const char *path = o->argc > 0 ? o->argv[0] : o->config;
	char *cause = NULL;

	if (o->argc > 1)
		return bad_usage("config takes at most one FILE");
	if (config_load(&o->cfg, path, &cause) == -1) {
		fprintf(stderr, "isoaudit: %s\n", cause);
		free(cause);
		config_free(&o->cfg);
		return EXIT_USAGE;
	}
	config_print(&o->cfg, stdout);
	config_free(&o->cfg);
	return EXIT_OK;
}
