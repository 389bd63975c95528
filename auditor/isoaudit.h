/* isoaudit.h: what the commands share: options, exit codes. */
#ifndef ISOAUDIT_H
#define ISOAUDIT_H

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
	enum ctl_auth	 auth;
	double		 duration;	/* seconds, 0 = until stopped */
	int		 verbose;
	int		 dump;
	int		 argc;		/* operands after the options */
	char		**argv;
};

int	cmd_monitor(struct opts *);
int	cmd_replay(struct opts *);

#endif
