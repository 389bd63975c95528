/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* isoaudit.h: what the commands share: options, exit codes, the entries. */
#ifndef ISOAUDIT_H
#define ISOAUDIT_H

#include <stdint.h>

#include "config.h"
#include "ctl.h"
#include "privacy.h"

#define EXIT_OK		0
#define EXIT_FINDINGS	1
#define EXIT_USAGE	2
#define EXIT_RUNTIME	3

/* Every option of every command; a command's entry lists the ones it takes. */
enum opt {
	OPT_END = 0,
	OPT_CONFIG = 'c', OPT_OUTPUT = 'o', OPT_VERBOSE = 'v', OPT_QUIET = 'q',
	OPT_HELP = 'h',
	OPT_CONTROL = 256, OPT_COOKIE, OPT_PASSWORD_FILE, OPT_AUTH, OPT_DB,
	OPT_RECORD, OPT_LOG_TARGETS, OPT_DURATION, OPT_EXIT_AFTER, OPT_VERSION,
	OPT_DUMP, OPT_FORMAT, OPT_SESSION, OPT_SINCE, OPT_UNTIL, OPT_ALL,
	OPT_TABLE, OPT_OLDER_THAN, OPT_CHECK, OPT_SINCE_LAST, OPT_MIN_SEVERITY,
	OPT_SYSLOG, OPT_MAX_SILENCE, OPT_PROFILES, OPT_NEW_KEY,
	OPT_GATEWAY, OPT_KEY, OPT_NAME, OPT_TRACKER
};

struct opts {
	const char	*config;
	const char	*control;
	const char	*cookie;
	const char	*password_file;
	const char	*db;
	const char	*record;
	enum log_targets log_targets;
	int		 log_targets_set;
	struct config	 cfg;		/* the file's, over the defaults */
	enum ctl_auth	 auth;
	double		 duration;	/* seconds, 0 = until stopped */
	uint64_t	 exit_after_events;	/* 0 = no limit */
	int		 verbose;
	int		 dump;
	const char	*format;	/* report: text|json|csv|html */
	int64_t		 session;	/* report: --session N */
	const char	*since;
	const char	*until;
	int		 all;
	const char	*output;	/* -o FILE (or DIR for csv) */
	const char	*table;		/* report --format csv --table T */
	const char	*older_than;	/* prune */
	int		 new_key;	/* prune --new-key */
	int		 since_last;	/* check --since-last [NAME] */
	const char	*cursor;	/* its NAME */
	const char	*min_severity;	/* check */
	int		 syslog;	/* check --syslog */
	const char	*max_silence;	/* check --max-silence AGE */
	int		 profiles;	/* config --profiles */
	const char	*gateway;	/* agent --gateway ADDR:PORT */
	const char	*key;		/* agent --key FILE */
	const char	*name;		/* agent --name NAME */
	const char	*tracker;	/* agent --tracker on|off */
	int		 argc;		/* operands after the options */
	char		**argv;
};

/*
 * A command, as tmux's cmd-*.c entries: its name, its own usage text (what
 * `isoaudit help NAME` and `isoaudit NAME --help` print), the options it
 * takes beside -c, -v, -q, -h and --version (OPT_END ends the list), and
 * whether the config file is loaded before it runs.
 */
struct cmd_entry {
	const char	*name;		/* NULL: the dashboard (no command) */
	const char	*summary;	/* a line for `isoaudit help` */
	const char	*usage;
	const enum opt	*options;
	int		(*exec)(const struct cmd_entry *, struct opts *);
	int		 load_config;
};

/*
 * What the two live commands (the dashboard, monitor) take, and how their
 * usage texts say it (monitor.c's live run reads them all).
 */
extern const enum opt cmd_live_options[];
#define CMD_LIVE_USAGE \
"  --control ADDR         unix:/path or host:port (default: unix:/run/tor/control,\n" \
"                         then 127.0.0.1:9052, then 127.0.0.1:9051; a filtering\n" \
"                         proxy such as onion-grater is skipped)\n" \
"  --cookie FILE          cookie file, when PROTOCOLINFO's path is not readable\n" \
"  --password-file FILE   control password (never on the command line)\n" \
"  --auth METHOD          force safecookie, cookie, password or null\n" \
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db,\n" \
"                         i.e. ~/.local/state/isoaudit/isoaudit.db)\n" \
"  --record FILE          also write the control-port transcript (mode 0600)\n" \
"  --log-targets MODE     hash (default), plain or none: how destinations show\n" \
"  --duration SECONDS     stop by itself after this long\n" \
"  --exit-after-events N  stop after N events from Tor\n" \
"  -c, --config FILE      config file (default: $XDG_CONFIG_HOME/isoaudit/\n" \
"                         isoaudit.conf, then /etc/isoaudit/isoaudit.conf)\n"

extern const struct cmd_entry cmd_dashboard_entry;
extern const struct cmd_entry cmd_monitor_entry;
extern const struct cmd_entry cmd_replay_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_prune_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_agent_entry;

/*
 * The one usage error: "isoaudit: CMD: MESSAGE (see isoaudit CMD --help)"
 * on stderr.  Returns EXIT_USAGE.
 */
int	cmd_usage_error(const struct cmd_entry *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* The database path: --db, else $XDG_STATE_HOME/isoaudit/isoaudit.db,
 * else ~/.local/state/isoaudit/isoaudit.db.  Allocated. */
char	*opts_db_path(const struct opts *);

/* The dashboard itself (ui/ui.c).  Returns an exit status. */
int	ui_main(struct opts *);

#endif
