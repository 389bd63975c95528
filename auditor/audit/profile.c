/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * profile.c: the systems isoaudit knows, as data (profile.h).  Every entry
 * names the file it was read from and when; docs/profiles.md and
 * isoaudit.conf(5) are generated from these tables (scripts/gen-profiles,
 * checked by t_docs), so the three cannot drift apart.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"

/* --- Whonix-Gateway ----------------------------------------------------- */

/*
 * anon-gw-anonymizer-config, usr/share/tor/tor-service-defaults-torrc.
 * anondist.base (commit 0e39ae92ac6e, 2026-03-27; read 2026-12): every
 * port on 127.0.0.1, [::1], 10.152.152.10 and fd19:c33d:88bc::10, 9152 and
 * up on the workstation-facing addresses only.  Labels are what the port
 * is for today (uwt dropped the per-command ports in 2017, commit
 * 66447a5, so those are "legacy").  9112, 9113, 9116, 9119-9121 are
 * commented out there.
 */
#define WHONIX_TORRC "anon-gw-anonymizer-config tor-service-defaults-" \
	"torrc.anondist.base, 0e39ae92ac6e (2026-03-27), read 2026-12"
#define WHONIX_UWT "uwt, torsocks.conf.anondist (IsolatePID 1), read 2026-12"
#define DEST "IsolateDestAddr IsolateDestPort"

#define WHONIX_COMMON_PORTS(P9104_LABEL, P9104_SOURCE)			\
	{ "SocksPort", NULL, 9050, 9050, "default (torsocks, uwt)",	\
	    PORT_CREDENTIALS, ISOLATE_BY_NONE, "", WHONIX_TORRC "; "	\
	    WHONIX_UWT },						\
	{ "SocksPort", "unix:/run/tor/socks", 0, 0,			\
	    "default (unix socket)", PORT_CREDENTIALS, ISOLATE_BY_NONE,	\
	    "WorldWritable", WHONIX_TORRC },				\
	{ "SocksPort", NULL, 9100, 9100, "legacy", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9101, 9101, "IRC (HexChat)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9102, 9102, "mail (Thunderbird)",		\
	    PORT_PLAIN, ISOLATE_BY_NONE, DEST, WHONIX_TORRC },		\
	{ "SocksPort", NULL, 9103, 9103, "instant messengers",		\
	    PORT_PLAIN, ISOLATE_BY_NONE, DEST, WHONIX_TORRC },		\
	{ "SocksPort", NULL, 9104, 9104, P9104_LABEL, PORT_PLAIN,	\
	    ISOLATE_BY_NONE, "", P9104_SOURCE },			\
	{ "SocksPort", NULL, 9105, 9105, "gpg (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9106, 9106, "ssh (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9107, 9107, "git (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9108, 9108, "sdwdate", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9109, 9109, "wget (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9110, 9110, "systemcheck", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9111, 9111, "bitcoin", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9114, 9114,				\
	    "Whonix news (systemcheck's canary)", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9115, 9115, "Tor Browser download "	\
	    "(tb-updater)", PORT_PLAIN, ISOLATE_BY_NONE, DEST,		\
	    WHONIX_TORRC },						\
	{ "SocksPort", NULL, 9117, 9117, "curl (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9118, 9118, "RSS", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9122, 9122, "KDE-wide proxy", PORT_SHARED,	\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9123, 9123, "GNOME-wide proxy",		\
	    PORT_SHARED, ISOLATE_BY_NONE, "", WHONIX_TORRC },		\
	{ "SocksPort", NULL, 9124, 9124, "aptitude (legacy)",		\
	    PORT_PLAIN, ISOLATE_BY_NONE, "", WHONIX_TORRC },		\
	{ "SocksPort", NULL, 9125, 9125, "yum (legacy)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9150, 9150, "Tor Browser", PORT_BROWSER,	\
	    ISOLATE_BY_SOCKS_USERNAME, "KeepAliveIsolateSOCKSAuth",	\
	    WHONIX_TORRC },						\
	{ "SocksPort", NULL, 9152, 9159, "custom %d", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC },			\
	{ "SocksPort", NULL, 9160, 9169, "custom %d (IsolateDestAddr)",	\
	    PORT_PLAIN, ISOLATE_BY_NONE, "IsolateDestAddr",		\
	    WHONIX_TORRC },						\
	{ "SocksPort", NULL, 9170, 9179, "custom %d (IsolateDestPort)",	\
	    PORT_PLAIN, ISOLATE_BY_NONE, "IsolateDestPort",		\
	    WHONIX_TORRC },						\
	{ "SocksPort", NULL, 9180, 9189,				\
	    "custom %d (IsolateDestAddr IsolateDestPort)", PORT_PLAIN,	\
	    ISOLATE_BY_NONE, DEST, WHONIX_TORRC },			\
	{ "HTTPTunnelPort", NULL, 9190, 9199, "http tunnel %d",		\
	    PORT_PLAIN, ISOLATE_BY_NONE, "", WHONIX_TORRC },		\
	{ "HTTPTunnelPort", NULL, 9200, 9209,				\
	    "http tunnel %d (IsolateDestAddr)", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, "IsolateDestAddr", WHONIX_TORRC },		\
	{ "HTTPTunnelPort", NULL, 9210, 9219,				\
	    "http tunnel %d (IsolateDestPort)", PORT_PLAIN,		\
	    ISOLATE_BY_NONE, "IsolateDestPort", WHONIX_TORRC },		\
	{ "HTTPTunnelPort", NULL, 9220, 9229,				\
	    "http tunnel %d (IsolateDestAddr IsolateDestPort)",		\
	    PORT_PLAIN, ISOLATE_BY_NONE, DEST, WHONIX_TORRC },		\
	{ "TransPort", NULL, 9040, 9040, "TransPort (workstation)",	\
	    PORT_SHARED, ISOLATE_BY_NONE, "", WHONIX_TORRC },		\
	{ "TransPort", NULL, 9041, 9041, "TransPort (gateway)",	\
	    PORT_SHARED, ISOLATE_BY_NONE, "", WHONIX_TORRC },		\
	{ "DNSPort", NULL, 5300, 5300, "DNS (workstation)",		\
	    PORT_SHARED, ISOLATE_BY_NONE, "IsolateDestPort",		\
	    WHONIX_TORRC },						\
	{ "DNSPort", NULL, 5400, 5400, "DNS (gateway)", PORT_SHARED,	\
	    ISOLATE_BY_NONE, "", WHONIX_TORRC }

static const struct profile_port whonix_ports[] = {
	WHONIX_COMMON_PORTS("apt-get (legacy)", WHONIX_TORRC),
};

static const struct profile_host whonix_hosts[] = {
	/* Whonix's internal network: the default Workstation is .11,
	 * custom ones take the next addresses. */
	{ "10.152.152.0/18", "workstation %a",
	    "Whonix documentation: internal network 10.152.152.0/18, the "
	    "Workstation at 10.152.152.11; read 2026-12" },
	{ "fd19:c33d:88bc::/64", "workstation %a", WHONIX_TORRC },
};

/* The gateway's own control port; 127.0.0.1:9051 is onion-grater. */
static const char *const whonix_control[] = {
	"unix:/run/tor/control", "127.0.0.1:9052", NULL
};

/* --- Qubes-Whonix ------------------------------------------------------- */

#define QUBES_WHONIX "qubes-whonix, tinyproxy Upstream socks5 " \
	"127.0.0.1:9104, read 2026-12"

static const struct profile_port qubes_whonix_ports[] = {
	WHONIX_COMMON_PORTS("Qubes template updates (tinyproxy)",
	    QUBES_WHONIX),
};

static const struct profile_host qubes_whonix_hosts[] = {
	/* Qubes gives AppVMs 10.137.0.0/16 and disposables 10.138.0.0/16;
	 * one qube is one host, so the address stays in the label. */
	{ "10.137.0.0/16", "qube %a", QUBES_WHONIX },
	{ "10.138.0.0/16", "disposable qube %a", QUBES_WHONIX },
};

/* --- Tails -------------------------------------------------------------- */

#define TAILS_TORRC "Tails, config/chroot_local-includes/etc/tor/torrc, " \
	"read 2026-12"

static const struct profile_port tails_ports[] = {
	{ "SocksPort", "127.0.0.1", 9050, 9050, "default (applications)",
	    PORT_SHARED, ISOLATE_BY_NONE, DEST, TAILS_TORRC },
	{ "SocksPort", "127.0.0.1", 9062, 9062, "Tails' own tools",
	    PORT_SHARED, ISOLATE_BY_NONE, DEST, TAILS_TORRC },
	{ "SocksPort", "10.200.1.1", 9050, 9050, "Tor Browser",
	    PORT_BROWSER, ISOLATE_BY_SOCKS_USERNAME,
	    "IsolateSOCKSAuth KeepAliveIsolateSOCKSAuth", TAILS_TORRC },
	{ "TransPort", NULL, 9040, 9040, "TransPort", PORT_SHARED,
	    ISOLATE_BY_NONE, "", TAILS_TORRC },
	{ "DNSPort", NULL, 5353, 5353, "DNS", PORT_SHARED, ISOLATE_BY_NONE,
	    "", TAILS_TORRC },
};

static const struct profile_host tails_hosts[] = {
	/* Tor Browser runs in a network namespace reaching 10.200.1.1. */
	{ "10.200.1.0/24", "Tor Browser's namespace", TAILS_TORRC },
};

static const char *const tails_control[] = {
	"unix:/run/tor/control", "127.0.0.1:9052", NULL
};

/* --- Debian ------------------------------------------------------------- */

#define DEBIAN_TOR "Debian tor, usr/share/tor/tor-service-defaults-torrc " \
	"and tor's default SocksPort 9050, read 2026-12"

static const struct profile_port debian_ports[] = {
	{ "SocksPort", NULL, 9050, 9050, "default", PORT_CREDENTIALS,
	    ISOLATE_BY_NONE, "", DEBIAN_TOR },
	{ "SocksPort", "unix:/run/tor/socks", 0, 0, "default (unix socket)",
	    PORT_CREDENTIALS, ISOLATE_BY_NONE, "WorldWritable", DEBIAN_TOR },
};

static const char *const debian_control[] = {
	"unix:/run/tor/control", "127.0.0.1:9051", NULL
};

static const char *const none_control[] = {
	"unix:/run/tor/control", "127.0.0.1:9051", NULL
};

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

static const struct profile profiles[PROFILE__COUNT] = {
	[PROFILE_NONE] = { PROFILE_NONE, "none", "no profile", NULL, 0,
	    NULL, 0, none_control },
	[PROFILE_WHONIX_GATEWAY] = { PROFILE_WHONIX_GATEWAY, "whonix-gateway",
	    "Whonix-Gateway", whonix_ports, NELEM(whonix_ports), whonix_hosts,
	    NELEM(whonix_hosts), whonix_control },
	[PROFILE_QUBES_WHONIX] = { PROFILE_QUBES_WHONIX, "qubes-whonix",
	    "Qubes-Whonix (sys-whonix)", qubes_whonix_ports,
	    NELEM(qubes_whonix_ports), qubes_whonix_hosts,
	    NELEM(qubes_whonix_hosts), whonix_control },
	[PROFILE_TAILS] = { PROFILE_TAILS, "tails", "Tails", tails_ports,
	    NELEM(tails_ports), tails_hosts, NELEM(tails_hosts),
	    tails_control },
	[PROFILE_DEBIAN] = { PROFILE_DEBIAN, "debian", "Debian's tor",
	    debian_ports, NELEM(debian_ports), NULL, 0, debian_control },
};

const struct profile *
profile_get(enum profile_id id)
{
	if ((int)id < 0 || id >= PROFILE__COUNT)
		return NULL;
	return &profiles[id];
}

const char *
profile_name(enum profile_id id)
{
	const struct profile *p = profile_get(id);

	return p != NULL ? p->name : "auto";
}

int
profile_parse(const char *s, enum profile_id *out)
{
	int i;

	if (strcasecmp(s, "auto") == 0) {
		*out = PROFILE_AUTO;
		return 0;
	}
	for (i = 0; i < PROFILE__COUNT; i++)
		if (strcasecmp(s, profiles[i].name) == 0) {
			*out = (enum profile_id)i;
			return 0;
		}
	return -1;
}

/* --- detection ------------------------------------------------------------ */

/* The files whose presence names the system (read 2026-12). */
#define MARK_WHONIX_GW	"/usr/share/anon-gw-base-files/gateway"	/* anon-gw-base-files */
#define MARK_QUBES_VM	"/usr/share/qubes/marker-vm"		/* qubes-core-agent */
#define MARK_TAILS	"/etc/amnesia/version"			/* Tails' build */

static int
marker(const char *root, const char *file)
{
	char path[4096];
	struct stat sb;
	int n;

	n = snprintf(path, sizeof path, "%s%s", strcmp(root, "/") == 0 ? "" :
	    root, file);
	if (n < 0 || (size_t)n >= sizeof path)
		return 0;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

enum profile_id
profile_detect_markers(const char *root, char *why, size_t len)
{
	if (marker(root, MARK_WHONIX_GW)) {
		if (marker(root, MARK_QUBES_VM)) {
			snprintf(why, len, "%s and %s exist", MARK_WHONIX_GW,
			    MARK_QUBES_VM);
			return PROFILE_QUBES_WHONIX;
		}
		snprintf(why, len, "%s exists", MARK_WHONIX_GW);
		return PROFILE_WHONIX_GATEWAY;
	}
	if (marker(root, MARK_TAILS)) {
		snprintf(why, len, "%s exists", MARK_TAILS);
		return PROFILE_TAILS;
	}
	snprintf(why, len, "no marker of Whonix, Qubes-Whonix or Tails");
	return PROFILE_AUTO;
}

/* A listener's address (without brackets) and port; 0 or -1. */
static int
split_listener(const char *l, char *addr, size_t alen, int *port)
{
	const char *colon = strrchr(l, ':');
	char *end;
	long v;
	size_t n;

	if (strncmp(l, "unix:", 5) == 0 || colon == NULL || colon == l)
		return -1;
	n = (size_t)(colon - l);
	if (n >= 2 && l[0] == '[' && l[n - 1] == ']') {
		l++;
		n -= 2;
	}
	if (n == 0 || n >= alen)
		return -1;
	memcpy(addr, l, n);
	addr[n] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	v = strtol(colon + 1, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* Whether an IPv4 address is in a.b.0.0/16. */
static int
in_v4_16(const char *addr, unsigned a, unsigned b)
{
	unsigned char v[4];

	return inet_pton(AF_INET, addr, v) == 1 && v[0] == a && v[1] == b;
}

/* The ports only a Whonix-Gateway opens (9050 aside). */
static int
whonix_port(int port)
{
	return (port >= 9100 && port <= 9125) || port == 9150 ||
	    (port >= 9152 && port <= 9229);
}

enum profile_id
profile_detect_listeners(const char *const *l, size_t n, char *why,
    size_t len)
{
	char addr[64];
	/* Whonix's distinctive ports seen, each once (9100-9229: 130). */
	unsigned char seen[130];
	size_t i, whonix = 0;
	int port, p9050 = 0, p9062 = 0, tb_netns = 0, qubes = 0;

	memset(seen, 0, sizeof seen);
	for (i = 0; i < n; i++) {
		if (l[i] == NULL ||
		    split_listener(l[i], addr, sizeof addr, &port) == -1)
			continue;
		if (port == 9050)
			p9050 = 1;
		if (port == 9062)
			p9062 = 1;
		if (port == 9050 && strcmp(addr, "10.200.1.1") == 0)
			tb_netns = 1;
		/* Ports, not listeners: one port on four addresses is one. */
		if (whonix_port(port) && !seen[port - 9100]) {
			seen[port - 9100] = 1;
			whonix++;
		}
		if (in_v4_16(addr, 10, 137) || in_v4_16(addr, 10, 138))
			qubes = 1;
	}
	/* Dozens of Whonix's ports; a few would be a coincidence. */
	if (p9050 && whonix >= 8) {
		snprintf(why, len, "Tor listens on 9050 and %zu of "
		    "Whonix-Gateway's ports%s", whonix, qubes ?
		    ", on a Qubes address" : "");
		return qubes ? PROFILE_QUBES_WHONIX : PROFILE_WHONIX_GATEWAY;
	}
	if ((p9050 && p9062) || tb_netns) {
		snprintf(why, len, "Tor listens on %s", tb_netns ?
		    "10.200.1.1:9050 (Tails' Tor Browser namespace)" :
		    "9050 and 9062 (Tails)");
		return PROFILE_TAILS;
	}
	if (p9050) {
		snprintf(why, len, "Tor listens on 9050 and nothing of "
		    "Whonix or Tails");
		return PROFILE_DEBIAN;
	}
	snprintf(why, len, "Tor's listeners match no known system");
	return PROFILE_NONE;
}

/* --- remedies ------------------------------------------------------------ */

static const char *const whonix_remedy[RULE__COUNT] = {
	[RULE_SHARED_CIRCUIT] = "on the Workstation give each program its "
	    "own port: 9152-9189 are prepared for custom programs (point its "
	    "proxy at 10.152.152.10:PORT); do not join ports with "
	    "SessionGroup",
	[RULE_CONTROLLER_ATTACH] = "find what attaches streams on the "
	    "gateway's real control port (9052, /run/tor/control): only "
	    "onion-grater's filtered 9051 is meant for the Workstation",
	[RULE_SHARED_PORT_PROCESSES] = "start the program with uwt or "
	    "torsocks (IsolatePID gives each process its own credentials), "
	    "or give it one of the custom ports 9152-9189",
	[RULE_UNISOLATED_PORT] = "configure the program for a SocksPort "
	    "(9152-9189 for custom programs): the TransPort and DnsPort carry "
	    "only what is not configured, all of it together",
	[RULE_WEAK_PORT_CONFIG] = "compare the line with "
	    "/usr/share/tor/tor-service-defaults-torrc.anondist.base and fix "
	    "it in /usr/local/etc/torrc.d/50_user.conf",
	[RULE_CONTROL_INJECTION] = "a client of the named listener sent a "
	    "hostname with a line break: find it on the Workstation; keep the "
	    "Workstation on onion-grater's 9051",
};

static const char *const tails_remedy[RULE__COUNT] = {
	[RULE_SHARED_CIRCUIT] = "use each application as Tails ships it: "
	    "Tor Browser in its namespace, other applications on 9050 "
	    "(torsocks); do not point two applications at one custom proxy "
	    "setting, and undo changes to /etc/tor/torrc",
	[RULE_CONTROLLER_ATTACH] = "find what attaches streams on "
	    "127.0.0.1:9052: Tails' own tools reach Tor through onion-grater",
	[RULE_SHARED_PORT_PROCESSES] = "run the program with torsocks "
	    "--isolate, so that it has its own SOCKS credentials",
	[RULE_UNISOLATED_PORT] = "run each program with torsocks --isolate "
	    "(its own SOCKS credentials on 127.0.0.1:9050, where programs "
	    "going to one destination otherwise share circuits); a program on "
	    "the TransPort or DNSPort: configure it for that SOCKS port",
	[RULE_WEAK_PORT_CONFIG] = "Tails' torrc was changed in this session "
	    "(or by Persistent Storage's dotfiles): undo it",
};

static const char *const debian_remedy[RULE__COUNT] = {
	[RULE_SHARED_CIRCUIT] = "give each program its own SocksPort in "
	    "/etc/tor/torrc, or run it with torsocks --isolate; do not join "
	    "ports with SessionGroup",
	[RULE_SHARED_PORT_PROCESSES] = "run each program with torsocks "
	    "--isolate (or IsolatePID 1 in /etc/tor/torsocks.conf), or give "
	    "it its own SocksPort in /etc/tor/torrc",
	[RULE_UNISOLATED_PORT] = "give the program a SocksPort instead of "
	    "the TransPort or DNSPort",
	[RULE_WEAK_PORT_CONFIG] = "fix the line in /etc/tor/torrc (or "
	    "/etc/tor/torrc.d)",
};

const char *
profile_remedy(enum profile_id id, enum rule_id rule)
{
	if ((unsigned)rule >= RULE__COUNT)
		return NULL;
	switch (id) {
	case PROFILE_WHONIX_GATEWAY:
	case PROFILE_QUBES_WHONIX:
		return whonix_remedy[rule];
	case PROFILE_TAILS:
		return tails_remedy[rule];
	case PROFILE_DEBIAN:
		return debian_remedy[rule];
	default:
		return NULL;
	}
}
