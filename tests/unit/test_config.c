/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_config.c: the configuration file (config.c): built-in defaults,
 * every directive, lookup order, quoting, and FILE:LINE errors.
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (config.h) */
#include "testutil.h"

#include <sys/stat.h>

#include <ctype.h>
#include <ftw.h>
#include <unistd.h>

#include "config.h"
#include "profile.h"

/* One temporary directory per test (the state), removed by the teardown. */
struct cfg_env {
	char	dir[64];
	char	path[128];	/* dir/isoaudit.conf */
};

static int
env_setup(void **state)
{
	struct cfg_env *e = calloc(1, sizeof *e);

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof e->dir, "/tmp/isoaudit-config.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		free(e);
		return -1;
	}
	snprintf(e->path, sizeof e->path, "%s/isoaudit.conf", e->dir);
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct cfg_env *e = *state;
	int rc = tu_rm_rf(e->dir);

	free(e);
	return rc;
}

static void
write_bytes(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
write_conf(struct cfg_env *e, const char *text)
{
	write_bytes(e->path, text, strlen(text));
}

/* Loads text; it must be accepted. */
static void
load_ok(struct cfg_env *e, const char *text, struct config *c)
{
	char *cause = NULL;

	write_conf(e, text);
	if (config_load(c, e->path, &cause) != 0)
		fail_msg("refused: %s\n---\n%s---", cause, text);
	assert_null(cause);
	assert_non_null(c->path);
	assert_string_equal(c->path, e->path);
}

/* Loads text; it must fail with exactly "PATH:line: why". */
static void
load_err(struct cfg_env *e, const char *text, unsigned line, const char *why)
{
	struct config c;
	char *cause = NULL, want[512];

	write_conf(e, text);
	if (config_load(&c, e->path, &cause) != -1)
		fail_msg("accepted, wanted line %u: %s\n---\n%s---", line, why,
		    text);
	assert_non_null(cause);
	snprintf(want, sizeof want, "%s:%u: %s", e->path, line, why);
	if (strcmp(cause, want) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"", cause, want);
	free(cause);
	config_free(&c);
}

static const struct config_app *
app_for(const struct config *c, const char *listener)
{
	return config_app_for(c, listener);
}

/* config_host_for into a static buffer. */
static const char *
host_of(const struct config *c, const char *addr)
{
	static char label[128];

	return config_host_for(c, addr, label, sizeof label);
}

static void
assert_label(const struct config *c, const char *listener, const char *label)
{
	const struct config_app *a = app_for(c, listener);

	if (label == NULL) {
		if (a != NULL)
			fail_msg("%s: got \"%s\", want no App", listener,
			    a->label);
		return;
	}
	if (a == NULL)
		fail_msg("%s: no App, want \"%s\"", listener, label);
	if (strcmp(a->label, label) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", listener, a->label,
		    label);
}

/* --- built-in defaults ---------------------------------------------------- */

static void
test_defaults(void **state)
{
	struct config c;
	int r;

	(void)state;
	config_defaults(&c);
	assert_null(c.path);
	assert_null(c.control);
	assert_null(c.cookie_file);
	assert_null(c.password_file);
	assert_null(c.database);
	assert_int_equal(c.log_targets, LOG_TARGETS_HASH);
	assert_int_equal(c.log_targets_set, 0);
	assert_int_equal(c.retention, 0);
	assert_int_equal(c.alert, ALERT_STDERR);
	assert_int_equal(c.nhosts, 0);
	for (r = 0; r < RULE__COUNT; r++)
		assert_int_equal(c.severity[r],
		    rule_default_severity((enum rule_id)r));
	assert_int_equal(c.severity[RULE_SHARED_CIRCUIT], SEV_CRITICAL);
	assert_int_equal(c.severity[RULE_SHARED_PORT_PROCESSES], SEV_WARNING);
	assert_int_equal(c.severity[RULE_SHARED_EXIT], SEV_NOTICE);
	assert_int_equal(c.severity[RULE_PRE_ATTACH], SEV_INFO);

	/* No system chosen yet: no map until a profile is (SPEC.md 0.2). */
	assert_int_equal(c.profile, PROFILE_AUTO);
	assert_int_equal(c.profile_set, 0);
	assert_int_equal(c.napps, 0);
	assert_null(app_for(&c, "127.0.0.1:9050"));
	assert_null(host_of(&c, "10.152.152.11"));
	config_free(&c);
}

/* Profile whonix-gateway: today's Whonix-Gateway map, not 2012's. */
static void
test_profile_whonix(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	const struct config_app *a;

	load_ok(e, "Profile whonix-gateway\n", &c);
	assert_int_equal(c.profile, PROFILE_WHONIX_GATEWAY);
	assert_int_equal(c.profile_set, 1);
	assert_string_equal(c.profile_why, "Profile line 1");

	a = app_for(&c, "127.0.0.1:9050");
	assert_non_null(a);
	assert_string_equal(a->label, "default (torsocks, uwt)");
	assert_int_equal(a->shared, 0);
	assert_int_equal(a->kind, PORT_CREDENTIALS);
	assert_int_equal(a->builtin, 1);
	assert_int_equal(a->isolate_by, ISOLATE_BY_NONE);
	assert_null(a->addr);
	assert_non_null(strstr(a->source, "tor-service-defaults-torrc"));

	a = app_for(&c, "127.0.0.1:9150");
	assert_non_null(a);
	assert_string_equal(a->label, "Tor Browser");
	assert_int_equal(a->isolate_by, ISOLATE_BY_SOCKS_USERNAME);
	assert_int_equal(a->kind, PORT_BROWSER);

	a = app_for(&c, "10.152.152.10:9152");
	assert_non_null(a);
	assert_string_equal(a->label, "custom 9152");
	assert_int_equal(a->port_lo, 9152);
	assert_int_equal(a->port_hi, 9152);

	/* Any address, v6 too. */
	assert_label(&c, "[::1]:9104", "apt-get (legacy)");
	assert_label(&c, "[fd19:c33d:88bc::10]:9108", "sdwdate");
	assert_label(&c, "127.0.0.1:9100", "legacy");
	assert_label(&c, "127.0.0.1:9112", NULL);	/* commented out */
	assert_label(&c, "127.0.0.1:9113", NULL);
	assert_label(&c, "127.0.0.1:9114", "Whonix news (systemcheck's "
	    "canary)");
	assert_label(&c, "127.0.0.1:9115", "Tor Browser download "
	    "(tb-updater)");
	assert_int_equal(app_for(&c, "127.0.0.1:9115")->kind, PORT_PLAIN);
	assert_label(&c, "127.0.0.1:9116", NULL);
	assert_label(&c, "127.0.0.1:9125", "yum (legacy)");
	assert_label(&c, "127.0.0.1:9159", "custom 9159");
	assert_label(&c, "127.0.0.1:9160", "custom 9160 (IsolateDestAddr)");
	assert_label(&c, "127.0.0.1:9179", "custom 9179 (IsolateDestPort)");
	assert_label(&c, "127.0.0.1:9189",
	    "custom 9189 (IsolateDestAddr IsolateDestPort)");
	assert_label(&c, "127.0.0.1:9190", "http tunnel 9190");
	assert_label(&c, "127.0.0.1:9229",
	    "http tunnel 9229 (IsolateDestAddr IsolateDestPort)");
	assert_label(&c, "127.0.0.1:9230", NULL);
	assert_label(&c, "127.0.0.1:9040", "TransPort (workstation)");
	assert_label(&c, "127.0.0.1:5300", "DNS (workstation)");
	assert_label(&c, "127.0.0.1:5400", "DNS (gateway)");
	assert_label(&c, "unix:/run/tor/socks", "default (unix socket)");
	assert_label(&c, "", NULL);
	assert_null(config_app_for(&c, NULL));
	assert_int_equal(app_for(&c, "127.0.0.1:9040")->shared, 1);
	assert_int_equal(app_for(&c, "127.0.0.1:9122")->shared, 1);
	assert_int_equal(app_for(&c, "127.0.0.1:9123")->shared, 1);
	/* Hosts: the internal network, each address its own host. */
	assert_string_equal(host_of(&c, "10.152.152.11"),
	    "workstation 10.152.152.11");
	assert_string_equal(host_of(&c, "10.152.152.12"),
	    "workstation 10.152.152.12");
	assert_string_equal(host_of(&c, "fd19:c33d:88bc::11"),
	    "workstation fd19:c33d:88bc::11");
	assert_null(host_of(&c, "10.152.192.1"));
	assert_null(host_of(&c, "10.137.0.5"));
	config_free(&c);

	/* Qubes-Whonix: 9104 is every template's update proxy; qubes. */
	load_ok(e, "profile QUBES-WHONIX\n", &c);
	assert_label(&c, "127.0.0.1:9104",
	    "Qubes template updates (tinyproxy)");
	assert_string_equal(host_of(&c, "10.137.0.23"), "qube 10.137.0.23");
	assert_string_equal(host_of(&c, "10.138.7.1"),
	    "disposable qube 10.138.7.1");
	assert_null(host_of(&c, "10.152.152.11"));
	config_free(&c);

	/* Profile none: no map at all; auto: chosen later. */
	load_ok(e, "Profile none\n", &c);
	assert_int_equal(c.profile, PROFILE_NONE);
	assert_int_equal(c.napps, 0);
	config_free(&c);
	load_ok(e, "Profile auto\n", &c);
	assert_int_equal(c.profile, PROFILE_AUTO);
	assert_int_equal(c.profile_set, 0);
	assert_int_equal(c.napps, 0);
	config_free(&c);
}

/* Host: one address, or a network (CIDR) of IPv4 or IPv6. */
static void
test_host_cidr(void **state)
{
	struct cfg_env *e = *state;
	struct config c;

	load_ok(e,
	    "Host 10.152.152.11 \"main ws\"\n"
	    "Host 10.152.152.0/18 \"ws %a\"\n"
	    "Host 192.168.0.0/16 lan\n"
	    "Host 0.0.0.0/0 anywhere-v4\n"
	    "Host [fd19::11] \"v6 one\"\n"
	    "Host fd19::/16 \"v6 %a net\"\n"
	    "Host 10.1.2.3/8 \"host bits dropped\"\n", &c);
	/* The first line that covers the address wins. */
	assert_string_equal(host_of(&c, "10.152.152.11"), "main ws");
	assert_string_equal(host_of(&c, "10.152.152.12"), "ws 10.152.152.12");
	assert_string_equal(host_of(&c, "10.152.191.255"),
	    "ws 10.152.191.255");
	assert_string_equal(host_of(&c, "10.152.192.1"), "anywhere-v4");
	assert_string_equal(host_of(&c, "192.168.44.2"), "lan");
	assert_string_equal(host_of(&c, "fd19::11"), "v6 one");
	assert_string_equal(host_of(&c, "[fd19::11]"), "v6 one");
	assert_string_equal(host_of(&c, "fd19:1::2"), "v6 fd19:1::2 net");
	assert_null(host_of(&c, "fe80::1"));
	/* Not addresses: no host (never a label for garbage). */
	assert_null(host_of(&c, "localhost"));
	assert_null(host_of(&c, "10.152.152.0/18"));
	assert_null(host_of(&c, ""));
	config_free(&c);

	load_err(e, "Host 10.152.152.0/33 x\n", 1, "Host: 10.152.152.0/33 is "
	    "not an IPv4 or IPv6 address or network (10.152.152.0/18, "
	    "fd19:c33d:88bc::/64)");
	load_err(e, "Host fd19::/129 x\n", 1, "Host: fd19::/129 is not an "
	    "IPv4 or IPv6 address or network (10.152.152.0/18, "
	    "fd19:c33d:88bc::/64)");
	load_err(e, "Host workstation x\n", 1, "Host: workstation is not an "
	    "IPv4 or IPv6 address or network (10.152.152.0/18, "
	    "fd19:c33d:88bc::/64)");
	load_err(e, "Host 10.0.0.1/ x\n", 1, "Host: 10.0.0.1/ is not an IPv4 "
	    "or IPv6 address or network (10.152.152.0/18, "
	    "fd19:c33d:88bc::/64)");
	load_err(e, "Host 10.0.0.1 \"\"\n", 1, "Host: empty label");
	load_err(e, "Profile whonix\n", 1, "Profile is whonix-gateway, "
	    "qubes-whonix, tails, debian, none or auto, not whonix");
	load_err(e, "Profile\n", 1, "Profile takes 1 argument");
}

/* Without -c: $XDG_CONFIG_HOME/isoaudit/isoaudit.conf, else defaults. */
static void
test_default_path(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	char *cause = NULL, sub[128], file[160];

	snprintf(sub, sizeof sub, "%s/isoaudit", e->dir);
	snprintf(file, sizeof file, "%s/isoaudit.conf", sub);
	assert_int_equal(setenv("XDG_CONFIG_HOME", e->dir, 1), 0);
	if (access("/etc/isoaudit/isoaudit.conf", F_OK) != 0) {
		assert_int_equal(config_load(&c, NULL, &cause), 0);
		assert_null(c.path);
		/* Defaults only: no map until a profile is chosen. */
		assert_label(&c, "127.0.0.1:9150", NULL);
		config_free(&c);
	}
	assert_int_equal(mkdir(sub, 0700), 0);
	write_bytes(file, "App 9150 \"found\"\n", 17);
	assert_int_equal(config_load(&c, NULL, &cause), 0);
	assert_non_null(c.path);
	assert_string_equal(c.path, file);
	assert_label(&c, "127.0.0.1:9150", "found");
	config_free(&c);
	unsetenv("XDG_CONFIG_HOME");
}

/* --- the SPEC's example, every directive ---------------------------------- */

static const char spec_example[] =
    "ControlPort unix:/run/tor/control        # or 127.0.0.1:9051\n"
    "CookieAuthFile /run/tor/control.authcookie\n"
    "PasswordFile /etc/isoaudit/control.pass\n"
    "Database /var/lib/isoaudit/isoaudit.db\n"
    "LogTargets hash                          # hash | plain | none\n"
    "Retention 30d\n"
    "App 9150 \"Tor Browser\" IsolateBy socks-username\n"
    "App 9104 \"apt-get\"\n"
    "App 127.0.0.1:9180 \"custom-1\"\n"
    "App unix:/run/tor/socks.sock \"unix clients\"\n"
    "Host 10.152.152.11 \"workstation\"\n"
    "SharedPort 9040 \"TransPort\"              # any use is UNISOLATED_PORT\n"
    "Rule SHARED_EXIT off                     # or: Rule SHARED_EXIT warning\n"
    "Alert syslog                             # syslog | stderr | none\n";

static void
test_spec_example(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	const struct config_app *a;
	int r;

	load_ok(e, spec_example, &c);
	assert_string_equal(c.control, "unix:/run/tor/control");
	assert_string_equal(c.cookie_file, "/run/tor/control.authcookie");
	assert_string_equal(c.password_file, "/etc/isoaudit/control.pass");
	assert_string_equal(c.database, "/var/lib/isoaudit/isoaudit.db");
	assert_int_equal(c.log_targets, LOG_TARGETS_HASH);
	assert_int_equal(c.log_targets_set, 1);
	assert_int_equal(c.retention, 30LL * 86400 * 1000000);
	assert_int_equal(c.alert, ALERT_SYSLOG);
	for (r = 0; r < RULE__COUNT; r++)
		assert_int_equal(c.severity[r], r == RULE_SHARED_EXIT ?
		    SEV_OFF : rule_default_severity((enum rule_id)r));

	a = app_for(&c, "127.0.0.1:9150");
	assert_non_null(a);
	assert_string_equal(a->label, "Tor Browser");
	assert_int_equal(a->isolate_by, ISOLATE_BY_SOCKS_USERNAME);
	assert_int_equal(a->builtin, 0);	/* the user's line */
	assert_int_equal(a->line, 7);

	a = app_for(&c, "127.0.0.1:9104");
	assert_non_null(a);
	assert_string_equal(a->label, "apt-get");
	assert_int_equal(a->builtin, 0);
	assert_int_equal(a->line, 8);

	a = app_for(&c, "127.0.0.1:9180");
	assert_non_null(a);
	assert_string_equal(a->label, "custom-1");
	assert_string_equal(a->addr, "127.0.0.1");
	assert_int_equal(a->line, 9);
	/* Only on that address: elsewhere nothing (no profile chosen). */
	assert_label(&c, "10.152.152.10:9180", NULL);

	a = app_for(&c, "unix:/run/tor/socks.sock");
	assert_non_null(a);
	assert_string_equal(a->label, "unix clients");
	assert_string_equal(a->addr, "unix:/run/tor/socks.sock");
	assert_int_equal(a->port_lo, 0);
	assert_label(&c, "unix:/run/tor/socks.sock2", NULL);
	assert_label(&c, "unix:/run/tor/socks", NULL);

	a = app_for(&c, "10.152.152.10:9040");
	assert_non_null(a);
	assert_string_equal(a->label, "TransPort");
	assert_int_equal(a->shared, 1);
	assert_int_equal(a->line, 12);

	assert_int_equal(c.nhosts, 1);
	assert_string_equal(host_of(&c, "10.152.152.11"),
	    "workstation");
	assert_null(host_of(&c, "10.152.152.12"));
	assert_null(host_of(&c, "10.152.152.1"));

	/* No profile: nothing else is mapped. */
	assert_label(&c, "127.0.0.1:9050", NULL);
	assert_label(&c, "127.0.0.1:9101", NULL);
	config_free(&c);
}

static void
test_directive_values(void **state)
{
	struct cfg_env *e = *state;
	struct config c;

	/* Case-insensitive names and values; later lines win. */
	load_ok(e,
	    "controlport 127.0.0.1:9051\n"
	    "CONTROLPORT 127.0.0.1:9151\n"
	    "logtargets PLAIN\n"
	    "Retention 12h\n"
	    "Retention 1.5h\n"
	    "alert NONE\n"
	    "rule shared_circuit Warning\n"
	    "Rule PRE_ATTACH critical\n", &c);
	assert_string_equal(c.control, "127.0.0.1:9151");
	assert_int_equal(c.log_targets, LOG_TARGETS_PLAIN);
	assert_int_equal(c.retention, 5400LL * 1000000);
	assert_int_equal(c.alert, ALERT_NONE);
	assert_int_equal(c.severity[RULE_SHARED_CIRCUIT], SEV_WARNING);
	assert_int_equal(c.severity[RULE_PRE_ATTACH], SEV_CRITICAL);
	config_free(&c);

	load_ok(e, "LogTargets none\nRetention 30d\nRetention forever\n"
	    "Alert stderr\n", &c);
	assert_int_equal(c.log_targets, LOG_TARGETS_NONE);
	assert_int_equal(c.retention, 0);
	assert_int_equal(c.alert, ALERT_STDERR);
	config_free(&c);

	/* Empty, only comments and blanks, CRLF line ends. */
	load_ok(e, "", &c);
	assert_int_equal(c.napps, 0);
	assert_int_equal(c.profile, PROFILE_AUTO);
	config_free(&c);
	load_ok(e, "# nothing\n\n   \t\n\t# indented comment\n", &c);
	assert_null(c.control);
	config_free(&c);
	load_ok(e, "ControlPort 127.0.0.1:9051\r\nApp 9200 \"crlf\"\r\n", &c);
	assert_string_equal(c.control, "127.0.0.1:9051");
	assert_label(&c, "127.0.0.1:9200", "crlf");
	config_free(&c);
	/* No newline at the end. */
	load_ok(e, "ControlPort 127.0.0.1:9051", &c);
	assert_string_equal(c.control, "127.0.0.1:9051");
	assert_null(c.control_try);
	config_free(&c);
	/* Several addresses: tried in order; the last ControlPort wins. */
	load_ok(e, "ControlPort 127.0.0.1:9051\nControlPort "
	    "unix:/run/tor/control 127.0.0.1:9052 \"127.0.0.1:9051\"\n", &c);
	assert_null(c.control);
	assert_non_null(c.control_try);
	assert_string_equal(c.control_try[0], "unix:/run/tor/control");
	assert_string_equal(c.control_try[1], "127.0.0.1:9052");
	assert_string_equal(c.control_try[2], "127.0.0.1:9051");
	assert_null(c.control_try[3]);
	config_free(&c);
	load_ok(e, "ControlPort a b\nControlPort c\n", &c);
	assert_string_equal(c.control, "c");
	assert_null(c.control_try);
	config_free(&c);
}

/* --- App lookup order ----------------------------------------------------- */

static void
test_app_override(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	const struct config_app *a;

	load_ok(e,
	    "App 9150 \"My Browser\"\n"
	    "App 9050 \"not shared now\"\n"
	    "App 9300-9302 \"range\" IsolateBy process\n"
	    "App 9180 \"any address\"\n"
	    "App 127.0.0.1:9180 \"loopback only\"\n"
	    "App [::1]:9180 \"v6 loopback\"\n"
	    "App 10.0.0.1:9181 \"addr first\"\n"
	    "App 9181 \"port after\"\n"
	    "App 9200 \"first\"\n"
	    "App 9200 \"second\"\n", &c);
	a = app_for(&c, "127.0.0.1:9150");
	assert_string_equal(a->label, "My Browser");
	assert_int_equal(a->isolate_by, ISOLATE_BY_NONE);
	assert_int_equal(a->builtin, 0);
	a = app_for(&c, "127.0.0.1:9050");
	assert_string_equal(a->label, "not shared now");
	assert_int_equal(a->shared, 0);

	a = app_for(&c, "127.0.0.1:9301");
	assert_non_null(a);
	assert_string_equal(a->label, "range");
	assert_int_equal(a->port_lo, 9300);
	assert_int_equal(a->port_hi, 9302);
	assert_int_equal(a->isolate_by, ISOLATE_BY_PROCESS);
	assert_label(&c, "127.0.0.1:9300", "range");
	assert_label(&c, "127.0.0.1:9302", "range");
	assert_label(&c, "127.0.0.1:9303", NULL);
	assert_label(&c, "127.0.0.1:9299", NULL);

	/* ADDR:PORT before PORT, whatever the order in the file. */
	assert_label(&c, "127.0.0.1:9180", "loopback only");
	assert_label(&c, "10.152.152.10:9180", "any address");
	assert_label(&c, "[::1]:9180", "v6 loopback");
	assert_label(&c, "127.0.0.2:9180", "any address");
	assert_label(&c, "10.0.0.1:9181", "addr first");
	assert_label(&c, "10.0.0.2:9181", "port after");
	/* Same specificity: the first line. */
	assert_label(&c, "127.0.0.1:9200", "first");
	config_free(&c);
}

static void
test_unix_apps(void **state)
{
	struct cfg_env *e = *state;
	struct config c;

	load_ok(e,
	    "App unix:/run/tor/a.sock \"A\"\n"
	    "App unix:/run/tor/b.sock \"B\" IsolateBy socks-username\n"
	    "App 9050 \"port 9050 user\"\n", &c);
	assert_label(&c, "unix:/run/tor/a.sock", "A");
	assert_label(&c, "unix:/run/tor/b.sock", "B");
	assert_int_equal(app_for(&c, "unix:/run/tor/b.sock")->isolate_by,
	    ISOLATE_BY_SOCKS_USERNAME);
	assert_label(&c, "unix:/run/tor/c.sock", NULL);
	/* A unix App never matches a TCP listener, nor a port one a unix. */
	assert_label(&c, "127.0.0.1:0", NULL);
	assert_label(&c, "127.0.0.1:9050", "port 9050 user");
	config_free(&c);
}

/* --- words, quotes, comments ---------------------------------------------- */

static void
test_quoting(void **state)
{
	struct cfg_env *e = *state;
	struct config c;

	load_ok(e,
	    "App 9201 \"a \\\"quoted\\\" label\\twith\\\\ escapes \\x41\\101\"\n"
	    "App 9202 \"C# app\"   # the # inside quotes is not a comment\n"
	    "App 9203 \"x\"# comment right after the quote\n"
	    "App 9204 bare-word-label# comment right after a word\n"
	    "App 9205 \"  spaces  \"\n"
	    "\tApp\t9206\t\"tabs\"\t\n"
	    "Host 10.0.0.5 \"lab \\\"pc\\\"\"\n"
	    "App 9207 \"\\n\"\n", &c);
	assert_label(&c, "127.0.0.1:9201",
	    "a \"quoted\" label\twith\\ escapes AA");
	assert_label(&c, "127.0.0.1:9202", "C# app");
	assert_label(&c, "127.0.0.1:9203", "x");
	assert_label(&c, "127.0.0.1:9204", "bare-word-label");
	assert_label(&c, "127.0.0.1:9205", "  spaces  ");
	assert_label(&c, "127.0.0.1:9206", "tabs");
	assert_label(&c, "127.0.0.1:9207", "\n");
	assert_string_equal(host_of(&c, "10.0.0.5"), "lab \"pc\"");
	config_free(&c);
}

static void
test_host_for(void **state)
{
	struct cfg_env *e = *state;
	struct config c;

	load_ok(e,
	    "Host 10.152.152.11 workstation\n"
	    "Host 10.152.152.12 \"second ws\"\n"
	    "Host fe80::1 \"v6 box\"\n"
	    "Host 10.152.152.11 \"duplicate\"\n", &c);
	assert_int_equal(c.nhosts, 4);
	assert_string_equal(host_of(&c, "10.152.152.11"),
	    "workstation");
	assert_string_equal(host_of(&c, "10.152.152.12"),
	    "second ws");
	assert_string_equal(host_of(&c, "fe80::1"), "v6 box");
	assert_null(host_of(&c, "10.152.152.1"));
	assert_null(host_of(&c, "10.152.152.111"));
	assert_null(host_of(&c, ""));
	config_free(&c);
}

/* --- errors: exactly FILE:LINE: reason ------------------------------------ */

static void
test_errors(void **state)
{
	struct cfg_env *e = *state;
	char longline[5000];

	load_err(e, "# a comment\n\nFrobnicate 1\n", 3,
	    "unknown directive Frobnicate");
	load_err(e, "ControlPort\n", 1,
	    "ControlPort takes an address, or addresses to try in order");
	load_err(e, "CookieAuthFile\n", 1, "CookieAuthFile takes 1 argument");
	load_err(e, "PasswordFile\n", 1, "PasswordFile takes 1 argument");
	load_err(e, "Database\n", 1, "Database takes 1 argument");
	load_err(e, "Retention # no value\n", 1, "Retention takes 1 argument");
	load_err(e, "App 9150 \"x\"\nRule SHARED_EXIT\n", 2,
	    "Rule takes 2 arguments");
	load_err(e, "Host 10.0.0.1\n", 1, "Host takes 2 arguments");
	load_err(e, "Database relative/isoaudit.db\n", 1,
	    "Database needs an absolute path");
	load_err(e, "HashKeyFile\n", 1, "HashKeyFile takes 1 argument");
	load_err(e, "HashKeyFile keys/isoaudit.key\n", 1,
	    "HashKeyFile needs an absolute path");
	load_err(e, "LogTargets sha256\n", 1,
	    "LogTargets is hash, plain or none, not sha256");
	load_err(e, "Retention 30\n", 1, "Retention takes an age such as 30d "
	    "or 12h (or forever), not 30");
	load_err(e, "Retention 0d\n", 1, "Retention takes an age such as 30d "
	    "or 12h (or forever), not 0d");
	load_err(e, "Retention -1d\n", 1, "Retention takes an age such as 30d "
	    "or 12h (or forever), not -1d");
	load_err(e, "Rule SHARED_THING off\n", 1, "no rule named SHARED_THING");
	load_err(e, "Rule shared_exit loud\n", 1, "Rule SHARED_EXIT: loud is "
	    "not off, info, notice, warning or critical");
	load_err(e, "Alert mail\n", 1, "Alert is syslog, stderr or none, not "
	    "mail");
	load_err(e, "App 99999 \"x\"\n", 1, "App: 99999 is not a port, port "
	    "range, address:port or unix:/path");
	load_err(e, "App 0 \"x\"\n", 1, "App: 0 is not a port, port range, "
	    "address:port or unix:/path");
	load_err(e, "App 9150x \"x\"\n", 1, "App: 9150x is not a port, port "
	    "range, address:port or unix:/path");
	load_err(e, "App 9302-9300 \"x\"\n", 1, "App: 9302-9300 is not a port, "
	    "port range, address:port or unix:/path");
	load_err(e, "App :9150 \"x\"\n", 1, "App: :9150 is not a port, port "
	    "range, address:port or unix:/path");
	load_err(e, "App 127.0.0.1: \"x\"\n", 1, "App: 127.0.0.1: is not a "
	    "port, port range, address:port or unix:/path");
	load_err(e, "App 127.0.0.1:9150-9151 \"x\"\n", 1, "App: "
	    "127.0.0.1:9150-9151 is not a port, port range, address:port or "
	    "unix:/path");
	load_err(e, "App unix:relative \"x\"\n", 1, "App: unix:relative is not "
	    "a port, port range, address:port or unix:/path");
	load_err(e, "SharedPort nine \"x\"\n", 1, "SharedPort: nine is not a "
	    "port, port range, address:port or unix:/path");
	load_err(e, "App 9150 \"unterminated\n", 1,
	    "unterminated or bad quoted string");
	load_err(e, "App 9150 \"bad \\q escape\"\n", 1,
	    "unterminated or bad quoted string");
	load_err(e, "App 9150 \"x\"y\n", 1, "junk after a quoted string");
	load_err(e, "App 9150 \"nul \\x00 here\"\n", 1,
	    "NUL byte in a quoted string");
	load_err(e, "App 9150 \"x\" IsolateBy garbage\n", 1, "App: expected "
	    "IsolateBy socks-username or IsolateBy process after the label");
	load_err(e, "App 9150 \"x\" Isolate socks-username\n", 1, "App: "
	    "expected IsolateBy socks-username or IsolateBy process after the "
	    "label");
	load_err(e, "App 9150 \"x\" IsolateBy\n", 1, "App takes a listener "
	    "and a label (then optionally IsolateBy socks-username|process)");
	load_err(e, "App 9150\n", 1, "App takes a listener and a label (then "
	    "optionally IsolateBy socks-username|process)");
	load_err(e, "SharedPort 9040 \"x\" IsolateBy process\n", 1,
	    "SharedPort takes a listener and a label");
	load_err(e, "App 9150 \"\"\n", 1, "App: empty label");
	load_err(e, "App 1 2 3 4 5 6 7 8 9\n", 1, "too many words");

	memset(longline, 'x', sizeof longline - 2);
	memcpy(longline, "# ", 2);
	longline[sizeof longline - 2] = '\n';
	longline[sizeof longline - 1] = '\0';
	load_err(e, longline, 1, "line too long");
	{
		static const char nul[] = "ControlPort 1\nApp 9150 \"a\0b\"\n";
		struct config c;
		char *cause = NULL, want[256];

		write_bytes(e->path, nul, sizeof nul - 1);
		assert_int_equal(config_load(&c, e->path, &cause), -1);
		snprintf(want, sizeof want, "%s:2: NUL byte", e->path);
		assert_string_equal(cause, want);
		free(cause);
		config_free(&c);
	}
}

static void
test_missing_file(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	char *cause = NULL, want[256];

	assert_int_equal(config_load(&c, e->path, &cause), -1);
	snprintf(want, sizeof want, "%s: No such file or directory", e->path);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	config_free(&c);

	/* A directory is not a config file either. */
	cause = NULL;
	assert_int_equal(config_load(&c, e->dir, &cause), -1);
	assert_non_null(cause);
	assert_true(strncmp(cause, e->dir, strlen(e->dir)) == 0);
	free(cause);
	config_free(&c);
}

/* --- names ---------------------------------------------------------------- */

static void
test_rule_names(void **state)
{
	static const char *const names[RULE__COUNT] = {
		"SHARED_CIRCUIT", "CONTROLLER_ATTACH", "NYM_EPOCH_REUSE",
		"SHARED_PORT_PROCESSES", "UNISOLATED_PORT", "SHARED_EXIT",
		"WEAK_PORT_CONFIG", "PRE_ATTACH", "CONTROL_INJECTION",
	};
	static const enum severity sev[RULE__COUNT] = {
		SEV_CRITICAL, SEV_CRITICAL, SEV_CRITICAL, SEV_WARNING,
		SEV_WARNING, SEV_NOTICE, SEV_NOTICE, SEV_INFO, SEV_CRITICAL,
	};
	enum rule_id r, got;
	char lower[64];
	size_t k;

	(void)state;
	for (r = 0; r < RULE__COUNT; r++) {
		assert_string_equal(rule_name(r), names[r]);
		assert_int_equal(rule_default_severity(r), sev[r]);
		got = RULE__COUNT;
		assert_int_equal(rule_parse(rule_name(r), &got), 0);
		assert_int_equal(got, r);
		for (k = 0; names[r][k] != '\0'; k++)
			lower[k] = (char)tolower((unsigned char)names[r][k]);
		lower[k] = '\0';
		got = RULE__COUNT;
		assert_int_equal(rule_parse(lower, &got), 0);
		assert_int_equal(got, r);
	}
	assert_string_equal(rule_name(RULE__COUNT), "?");
	assert_int_equal(rule_parse("", &got), -1);
	assert_int_equal(rule_parse("SHARED", &got), -1);
	assert_int_equal(rule_parse("SHARED_CIRCUIT ", &got), -1);
}

static void
test_severity_names(void **state)
{
	static const struct {
		enum severity	 s;
		const char	*name;
	} all[] = {
		{ SEV_OFF, "off" }, { SEV_INFO, "info" },
		{ SEV_NOTICE, "notice" }, { SEV_WARNING, "warning" },
		{ SEV_CRITICAL, "critical" },
	};
	enum severity got;
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(all); i++) {
		assert_string_equal(severity_name(all[i].s), all[i].name);
		got = SEV_INFO + 100;
		assert_int_equal(severity_parse(all[i].name, &got), 0);
		assert_int_equal(got, all[i].s);
	}
	assert_int_equal(severity_parse("WARNING", &got), 0);
	assert_int_equal(got, SEV_WARNING);
	assert_int_equal(severity_parse("warn", &got), -1);
	assert_int_equal(severity_parse("", &got), -1);
	assert_int_equal(severity_parse("error", &got), -1);
	/* Severities order as their numbers. */
	assert_true(SEV_OFF < SEV_INFO && SEV_INFO < SEV_NOTICE &&
	    SEV_NOTICE < SEV_WARNING && SEV_WARNING < SEV_CRITICAL);
}

/* --- config --check output ------------------------------------------------ */

/* HashKeyFile: kept, printed, and a restart's (not a SIGHUP's). */
static void
test_hash_key_file(void **state)
{
	struct cfg_env *e = *state;
	struct config c, d;
	char *out = NULL, *why;
	size_t len = 0;
	FILE *f;

	load_ok(e, "HashKeyFile /srv/keys/isoaudit.key\n", &c);
	assert_string_equal(c.hash_key_file, "/srv/keys/isoaudit.key");
	assert_non_null(f = open_memstream(&out, &len));
	config_print(&c, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(out, "\nHashKeyFile /srv/keys/isoaudit.key\n"));
	free(out);
	load_ok(e, "HashKeyFile /srv/keys/other.key\n", &d);
	why = config_reload(&c, &d);
	assert_non_null(why);
	assert_string_equal(why, "HashKeyFile");
	free(why);
	config_free(&c);
	load_ok(e, "# none\n", &c);
	assert_null(c.hash_key_file);
	config_free(&c);
}

static void
test_print(void **state)
{
	struct cfg_env *e = *state;
	struct config c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	static const char *const want[] = {
		"ControlPort unix:/run/tor/control\n",
		"Database /var/lib/isoaudit/isoaudit.db\n",
		"LogTargets hash\n",
		"Retention 30d\n",
		"Alert syslog\n",
		"Rule SHARED_EXIT            off   # changed\n",
		"Rule SHARED_CIRCUIT         critical\n",
		"Host 10.152.152.11 \"workstation\"\n",
		"App 127.0.0.1:9180 \"custom-1\"   # line 9\n",
		"App 9150 \"Tor Browser\" IsolateBy socks-username   # line 7\n",
		"SharedPort 9040 \"TransPort\"   # line 12\n",
		"App unix:/run/tor/socks.sock \"unix clients\"   # line 10\n",
		"Profile whonix-gateway   # Profile line 15\n",
		"App 9050 \"default (torsocks, uwt)\"   # profile (credentials): "
		    "anon-gw-anonymizer-config tor-service-defaults-torrc."
		    "anondist.base, 0e39ae92ac6e (2026-03-27), read 2026-12; "
		    "uwt, torsocks.conf.anondist (IsolatePID 1), read 2026-12\n",
		"App 9152 \"custom 9152\"   # profile: anon-gw-anonymizer-config",
		"SharedPort 9040 \"TransPort (workstation)\"   # profile: ",
		"Host 10.152.152.0/18 \"workstation %a\"   # profile: ",
	};
	size_t i;
	char text[sizeof spec_example + 32];

	snprintf(text, sizeof text, "%sProfile whonix-gateway\n",
	    spec_example);
	load_ok(e, text, &c);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	config_print(&c, f);
	assert_int_equal(fclose(f), 0);
	for (i = 0; i < TU_NELEM(want); i++)
		if (strstr(out, want[i]) == NULL)
			fail_msg("config_print lacks \"%s\":\n%s", want[i], out);
	/* Address-specific user lines come first, as looked up. */
	assert_true(strstr(out, "custom-1") < strstr(out, "\"apt-get\"   # line"));
	assert_true(strstr(out, "# line 8") <
	    strstr(out, "\"default (torsocks, uwt)\""));
	free(out);
	config_free(&c);
}

/* The Retention config_print writes reads back as the same age. */
static void
test_print_retention(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "30d", "30d" }, { "12h", "12h" }, { "90m", "90m" },
		{ "45s", "45s" }, { "2w", "2w" }, { "1.5h", "90m" },
		{ "36h", "36h" }, { "14d", "2w" }, { "0.5s", "0.500000s" },
		{ "1.25s", "1.250000s" }, { "forever", "forever" },
	};
	struct cfg_env *e = *state;
	struct config c, again;
	char text[64], *out = NULL, *line, *cause = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < TU_NELEM(cases); i++) {
		snprintf(text, sizeof text, "Retention %s\n", cases[i].in);
		load_ok(e, text, &c);
		f = open_memstream(&out, &len);
		assert_non_null(f);
		config_print(&c, f);
		assert_int_equal(fclose(f), 0);
		line = strstr(out, "\nRetention ");
		assert_non_null(line);
		line++;
		*strchr(line, '\n') = '\0';
		snprintf(text, sizeof text, "Retention %s", cases[i].out);
		assert_string_equal(line, text);
		write_conf(e, line);
		assert_int_equal(config_load(&again, e->path, &cause), 0);
		assert_int_equal(again.retention, c.retention);
		config_free(&again);
		config_free(&c);
		free(out);
		out = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_profile_whonix, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_host_cidr, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_default_path, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_spec_example, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_directive_values,
		    env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_app_override, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_unix_apps, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_quoting, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_host_for, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_errors, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, env_setup,
		    env_teardown),
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test_setup_teardown(test_print, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_hash_key_file, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_print_retention, env_setup,
		    env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
