/* isoaudit.h: what the commands share: options, exit codes. */
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
	int		 since_last;	/* check --since-last [NAME] */
	const char	*cursor;	/* its NAME */
	const char	*min_severity;	/* check */
	int		 syslog;	/* check --syslog */
	const char	*max_silence;	/* check --max-silence AGE */
	int		 argc;		/* operands after the options */
	char		**argv;
};

int	cmd_dashboard(struct opts *);	/* no command: the dashboard (ui.c) */
int	cmd_monitor(struct opts *);
int	cmd_replay(struct opts *);
int	cmd_report(struct opts *);
int	cmd_check(struct opts *);
int	cmd_prune(struct opts *);
int	cmd_config(struct opts *);

/* The database path: --db, else $XDG_STATE_HOME/isoaudit/isoaudit.db,
 * else ~/.local/state/isoaudit/isoaudit.db.  Allocated. */
char	*opts_db_path(const struct opts *);

#endif
