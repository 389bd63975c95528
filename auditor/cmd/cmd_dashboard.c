/*
 * cmd_dashboard.c: `isoaudit` with no command: the live dashboard.  The
 * dashboard itself is ui/ (ui_main); this is its entry: options and usage.
 */
#include <stddef.h>

#include "isoaudit.h"

static const enum opt dashboard_options[] = {
	OPT_CONTROL, OPT_COOKIE, OPT_PASSWORD_FILE, OPT_AUTH, OPT_DB,
	OPT_RECORD, OPT_LOG_TARGETS, OPT_DURATION, OPT_EXIT_AFTER, OPT_END
};

static int
cmd_dashboard_exec(const struct cmd_entry *self, struct opts *o)
{
	if (o->argc > 0)
		return cmd_usage_error(self, "unknown command %s", o->argv[0]);
	return ui_main(o);
}

const struct cmd_entry cmd_dashboard_entry = {
	NULL,
	"the live dashboard",
"usage: isoaudit [OPTIONS]\n"
"       isoaudit COMMAND [OPTIONS]\n"
"\n"
"Watches a Tor client through its control port and shows whether your\n"
"applications are kept apart on the Tor network.  With no command: the live\n"
"dashboard: attach, log and judge like monitor, and show circuits,\n"
"applications, findings and logs (press ? in it for the keys).\n"
"\n"
"options:\n"
"  --control ADDR         unix:/path or host:port (default: unix:/run/tor/control,\n"
"                         then 127.0.0.1:9051)\n"
"  --cookie FILE          cookie file, when PROTOCOLINFO's path is not readable\n"
"  --password-file FILE   control password (never on the command line)\n"
"  --auth METHOD          force safecookie, cookie, password or null\n"
"  --db PATH              database (default: $XDG_STATE_HOME/isoaudit/isoaudit.db,\n"
"                         i.e. ~/.local/state/isoaudit/isoaudit.db)\n"
"  --record FILE          also write the control-port transcript (mode 0600)\n"
"  --log-targets MODE     hash (default), plain or none: how destinations show\n"
"  --duration SECONDS     stop by itself after this long\n"
"  --exit-after-events N  stop after N events from Tor\n"
"  -c, --config FILE      config file (default: $XDG_CONFIG_HOME/isoaudit/\n"
"                         isoaudit.conf, then /etc/isoaudit/isoaudit.conf)\n"
"  -v, --verbose          more detail in the log panel\n"
"  -q, --quiet            errors only\n"
"  --version, -h, --help\n",
	dashboard_options,
	cmd_dashboard_exec,
	1
};
