/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * config.c: the configuration file.  torrc-like: one directive per line,
 * '#' comments, words or "quoted strings" (C escapes).  Every error names
 * FILE:LINE.  User App lines are looked up before the built-in map.
 */
#define ISOAUDIT_PRIVATE	/* defines what config.h keeps for tests */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "config_int.h"
#include "profile.h"
#include "reply.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CONFIG_MAX_WORDS	8
#define CONFIG_MAX_LINE		4096

static const struct {
	const char	*name;
	enum severity	 sev;
} rules[RULE__COUNT] = {
	[RULE_SHARED_CIRCUIT] = { "SHARED_CIRCUIT", SEV_CRITICAL },
	[RULE_CONTROLLER_ATTACH] = { "CONTROLLER_ATTACH", SEV_CRITICAL },
	[RULE_NYM_EPOCH_REUSE] = { "NYM_EPOCH_REUSE", SEV_CRITICAL },
	[RULE_SHARED_PORT_PROCESSES] = { "SHARED_PORT_PROCESSES", SEV_WARNING },
	[RULE_UNISOLATED_PORT] = { "UNISOLATED_PORT", SEV_WARNING },
	[RULE_SHARED_EXIT] = { "SHARED_EXIT", SEV_NOTICE },
	[RULE_WEAK_PORT_CONFIG] = { "WEAK_PORT_CONFIG", SEV_NOTICE },
	[RULE_PRE_ATTACH] = { "PRE_ATTACH", SEV_INFO },
	[RULE_CONTROL_INJECTION] = { "CONTROL_INJECTION", SEV_CRITICAL },
};

const char *
rule_name(enum rule_id r)
{
	return (unsigned)r < RULE__COUNT ? rules[r].name : "?";
}

enum severity
rule_default_severity(enum rule_id r)
{
	return rules[r].sev;
}

int
rule_parse(const char *s, enum rule_id *out)
{
	int i;

	for (i = 0; i < RULE__COUNT; i++)
		if (strcasecmp(s, rules[i].name) == 0) {
			*out = (enum rule_id)i;
			return 0;
		}
	return -1;
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_OFF: return "off";
	case SEV_INFO: return "info";
	case SEV_NOTICE: return "notice";
	case SEV_WARNING: return "warning";
	default: return "critical";
	}
}

int
severity_parse(const char *s, enum severity *out)
{
	static const enum severity all[] = { SEV_OFF, SEV_INFO, SEV_NOTICE,
	    SEV_WARNING, SEV_CRITICAL };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcasecmp(s, severity_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

static struct config_app *
config_add_app(struct config *c, const char *addr, int lo, int hi,
    const char *label, enum isolate_by by, int shared, unsigned line)
{
	struct config_app *a;

	c->apps = xreallocarray(c->apps, c->napps + 1, sizeof *c->apps);
	a = &c->apps[c->napps++];
	memset(a, 0, sizeof *a);
	a->addr = xstrdup_or_null(addr);
	a->port_lo = lo;
	a->port_hi = hi;
	a->label = xstrdup(label);
	a->isolate_by = by;
	a->kind = shared ? PORT_SHARED : by == ISOLATE_BY_SOCKS_USERNAME ?
	    PORT_BROWSER : PORT_PLAIN;
	a->shared = shared;
	a->line = line;
	return a;
}

void
config_defaults(struct config *c)
{
	int r;

	memset(c, 0, sizeof *c);
	c->log_targets = LOG_TARGETS_HASH;
	c->alert = ALERT_STDERR;
	c->profile = PROFILE_AUTO;
	for (r = 0; r < RULE__COUNT; r++)
		c->severity[r] = rules[r].sev;
}

void
config_use_profile(struct config *c, int id, const char *why)
{
	const struct profile *pf = profile_get((enum profile_id)id);
	size_t i, k;

	/* The previous profile's lines go; the config's own stay first. */
	for (i = k = 0; i < c->napps; i++) {
		if (c->apps[i].builtin) {
			free(c->apps[i].addr);
			free(c->apps[i].label);
		} else
			c->apps[k++] = c->apps[i];
	}
	c->napps = k;
	for (i = k = 0; i < c->nhosts; i++) {
		if (c->hosts[i].builtin) {
			free(c->hosts[i].addr);
			free(c->hosts[i].label);
		} else
			c->hosts[k++] = c->hosts[i];
	}
	c->nhosts = k;
	c->profile = id;
	{
		/* why may be the old one itself (a reload passes it on). */
		char *old = c->profile_why;

		c->profile_why = xstrdup(why != NULL ? why : "");
		free(old);
	}
	if (pf == NULL)
		return;
	for (i = 0; i < pf->nports; i++) {
		const struct profile_port *pp = &pf->ports[i];
		int shared = pp->kind == PORT_SHARED, port;
		struct config_app *a;

		if (strstr(pp->label, "%d") == NULL) {
			a = config_add_app(c, pp->addr, pp->lo, pp->hi,
			    pp->label, pp->by, shared, 0);
			a->kind = pp->kind;
			a->builtin = 1;
			a->source = pp->source;
			continue;
		}
		for (port = pp->lo; port <= pp->hi; port++) {
			char label[96];

			/* The format is one of the table's own literals. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(label, sizeof label, pp->label, port);
#pragma GCC diagnostic pop
			a = config_add_app(c, pp->addr, port, port, label,
			    pp->by, shared, 0);
			a->kind = pp->kind;
			a->builtin = 1;
			a->source = pp->source;
		}
	}
	for (i = 0; i < pf->nhosts; i++)
		config_add_host(c, pf->hosts[i].net, pf->hosts[i].label, 1,
		    pf->hosts[i].source);
}

/* Frees a NULL-terminated list of strings; takes NULL. */
static void
free_list(char **l)
{
	size_t i;

	for (i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

/* Whether two NULL-terminated lists (or NULLs) differ. */
static int
list_differs(char **a, char **b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a != b;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 1;
	return a[i] != b[i];
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->napps; i++) {
		free(c->apps[i].addr);
		free(c->apps[i].label);
	}
	free(c->apps);
	for (i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].addr);
		free(c->hosts[i].label);
	}
	free(c->hosts);
	free(c->path);
	free(c->control);
	free_list(c->control_try);
	free(c->cookie_file);
	free(c->password_file);
	free(c->database);
	free(c->hash_key_file);
	free(c->profile_why);
	config_agent_free(c);
	memset(c, 0, sizeof *c);
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

char *
config_reload(struct config *dst, struct config *src)
{
	struct config old;
	struct buf b;
	char *out = NULL;

	buf_init(&b);
	if (str_differs(dst->control, src->control) ||
	    list_differs(dst->control_try, src->control_try))
		buf_adds(&b, " ControlPort");
	if (str_differs(dst->cookie_file, src->cookie_file))
		buf_adds(&b, " CookieAuthFile");
	if (str_differs(dst->password_file, src->password_file))
		buf_adds(&b, " PasswordFile");
	if (str_differs(dst->database, src->database))
		buf_adds(&b, " Database");
	if (str_differs(dst->hash_key_file, src->hash_key_file))
		buf_adds(&b, " HashKeyFile");
	if (dst->log_targets != src->log_targets)
		buf_adds(&b, " LogTargets");
	if (config_agent_differs(dst, src))
		buf_adds(&b, " AgentListen/Agent/LocalAttribution");
	if (dst->tracker_off != src->tracker_off)
		buf_adds(&b, " Tracker");
	if (b.len > 0)
		out = xstrdup(buf_cstr(&b) + 1);
	buf_free(&b);

	/* A profile detected while running stays, unless src names one. */
	if (!src->profile_set && dst->profile != PROFILE_AUTO)
		config_use_profile(src, dst->profile, dst->profile_why);
	/* What takes effect now moves over; the old goes with src. */
	old = *dst;
	dst->retention = src->retention;
	dst->alert = src->alert;
	memcpy(dst->severity, src->severity, sizeof dst->severity);
	dst->apps = src->apps;
	dst->napps = src->napps;
	dst->hosts = src->hosts;
	dst->nhosts = src->nhosts;
	dst->profile = src->profile;
	dst->profile_set = src->profile_set;
	dst->profile_line = src->profile_line;
	{
		char *why = dst->profile_why;

		dst->profile_why = src->profile_why;
		src->profile_why = why;
	}
	src->apps = old.apps;
	src->napps = old.napps;
	src->hosts = old.hosts;
	src->nhosts = old.nhosts;
	config_free(src);
	return out;
}

/*
 * Splits a line into words in place; quoted words are decoded.  Returns
 * the number of words, or -1 with *why.
 */
static int
split_words(char *s, char **w, int max, const char **why)
{
	int n = 0;
	size_t len, outlen, used;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			break;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		if (*s == '"') {
			len = strlen(s);
			if (reply_unquote(s, len, s, &outlen, &used) == -1) {
				*why = "unterminated or bad quoted string";
				return -1;
			}
			if (memchr(s, '\0', outlen) != NULL) {
				*why = "NUL byte in a quoted string";
				return -1;
			}
			w[n++] = s;
			if (s[used] != '\0' && s[used] != ' ' &&
			    s[used] != '\t' && s[used] != '#') {
				*why = "junk after a quoted string";
				return -1;
			}
			{
				char *next = s + used;
				int more = *next != '\0' && *next != '#';

				s[outlen] = '\0';
				s = more ? next + 1 : next + strlen(next);
				if (!more)
					break;
			}
			continue;
		}
		w[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			break;
		}
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

static int
parse_port(const char *s, int *lo, int *hi)
{
	char *end;
	long a, b;

	a = strtol(s, &end, 10);
	if (end == s || a < 1 || a > 65535)
		return -1;
	b = a;
	if (*end == '-') {
		const char *t = end + 1;

		b = strtol(t, &end, 10);
		if (end == t || b < a || b > 65535)
			return -1;
	}
	if (*end != '\0')
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* PORT, PORT-PORT, ADDR:PORT, [V6]:PORT or unix:/path. */
static int
parse_listener(const char *s, char **addr, int *lo, int *hi)
{
	const char *colon;

	*addr = NULL;
	if (strncmp(s, "unix:", 5) == 0) {
		/*
		 * Only unix:/path: lookups take any "unix:" listener for a
		 * socket, so "unix:9150" as host "unix" could never match.
		 */
		if (s[5] != '/')
			return -1;
		*addr = xstrdup(s);
		*lo = *hi = 0;
		return 0;
	}
	if (parse_port(s, lo, hi) == 0)
		return 0;
	if ((colon = strrchr(s, ':')) == NULL || colon == s)
		return -1;
	if (parse_port(colon + 1, lo, hi) == -1 || *lo != *hi)
		return -1;
	*addr = xstrndup(s, (size_t)(colon - s));
	return 0;
}

static int
set_string(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
	return 0;
}

/* Profile NAME: which system's map applies (after the last line). */
static int
directive_profile(struct config *c, const char *name, unsigned line,
    char **why)
{
	enum profile_id id;
	struct buf names;
	int i;

	if (profile_parse(name, &id) == -1) {
		buf_init(&names);
		for (i = 1; i < PROFILE__COUNT; i++) {
			buf_adds(&names, profile_name((enum profile_id)i));
			buf_adds(&names, ", ");
		}
		*why = xasprintf("Profile is %snone or auto, not %s",
		    buf_cstr(&names), name);
		buf_free(&names);
		return -1;
	}
	c->profile = id;
	c->profile_set = id != PROFILE_AUTO;
	c->profile_line = line;
	return 0;
}

/* Applies one directive; returns 0 or -1 with *why. */
static int
config_directive(struct config *c, char **w, int n, unsigned line,
    char **why)
{
	const char *d = w[0];
	int rc;

#define NEED(k) do {							\
	if (n != (k)) {							\
		*why = xasprintf("%s takes %d argument%s", d, (k) - 1,	\
		    (k) == 2 ? "" : "s");				\
		return -1;						\
	}								\
} while (0)

	if (strcasecmp(d, "ControlPort") == 0) {
		/* One address: that one; several: tried in order. */
		int i;

		if (n < 2) {
			*why = xasprintf("%s takes an address, or addresses "
			    "to try in order", d);
			return -1;
		}
		free(c->control);
		c->control = NULL;
		free_list(c->control_try);
		c->control_try = NULL;
		if (n == 2)
			return set_string(&c->control, w[1]);
		c->control_try = xcalloc((size_t)n, sizeof *c->control_try);
		for (i = 1; i < n; i++)
			c->control_try[i - 1] = xstrdup(w[i]);
		return 0;
	}
	if (strcasecmp(d, "CookieAuthFile") == 0) {
		NEED(2);
		return set_string(&c->cookie_file, w[1]);
	}
	if (strcasecmp(d, "PasswordFile") == 0) {
		NEED(2);
		return set_string(&c->password_file, w[1]);
	}
	if (strcasecmp(d, "Database") == 0) {
		NEED(2);
		if (w[1][0] != '/') {
			*why = xasprintf("Database needs an absolute path");
			return -1;
		}
		return set_string(&c->database, w[1]);
	}
	if (strcasecmp(d, "HashKeyFile") == 0) {
		NEED(2);
		if (w[1][0] != '/') {
			*why = xasprintf("HashKeyFile needs an absolute path");
			return -1;
		}
		return set_string(&c->hash_key_file, w[1]);
	}
	if (strcasecmp(d, "LogTargets") == 0) {
		NEED(2);
		if (privacy_parse_mode(w[1], &c->log_targets) == -1) {
			*why = xasprintf("LogTargets is hash, plain or none, "
			    "not %s", w[1]);
			return -1;
		}
		c->log_targets_set = 1;
		return 0;
	}
	if (strcasecmp(d, "Tracker") == 0) {
		NEED(2);
		if (strcasecmp(w[1], "on") != 0 &&
		    strcasecmp(w[1], "off") != 0) {
			*why = xasprintf("Tracker is on or off, not %s", w[1]);
			return -1;
		}
		c->tracker_off = strcasecmp(w[1], "off") == 0;
		return 0;
	}
	if (strcasecmp(d, "Retention") == 0) {
		NEED(2);
		if (strcasecmp(w[1], "forever") == 0) {
			c->retention = 0;
			return 0;
		}
		if (time_parse_age(w[1], &c->retention) == -1 ||
		    c->retention == 0) {
			*why = xasprintf("Retention takes an age such as 30d "
			    "or 12h (or forever), not %s", w[1]);
			return -1;
		}
		return 0;
	}
	if (strcasecmp(d, "Alert") == 0) {
		NEED(2);
		if (strcasecmp(w[1], "syslog") == 0)
			c->alert = ALERT_SYSLOG;
		else if (strcasecmp(w[1], "stderr") == 0)
			c->alert = ALERT_STDERR;
		else if (strcasecmp(w[1], "none") == 0)
			c->alert = ALERT_NONE;
		else {
			*why = xasprintf("Alert is syslog, stderr or none, "
			    "not %s", w[1]);
			return -1;
		}
		return 0;
	}
	if (strcasecmp(d, "Rule") == 0) {
		enum rule_id r;
		enum severity sv;

		NEED(3);
		if (rule_parse(w[1], &r) == -1) {
			*why = xasprintf("no rule named %s", w[1]);
			return -1;
		}
		if (severity_parse(w[2], &sv) == -1) {
			*why = xasprintf("Rule %s: %s is not off, info, notice, "
			    "warning or critical", rules[r].name, w[2]);
			return -1;
		}
		c->severity[r] = sv;
		return 0;
	}
	if ((rc = config_agent_directive(c, w, n, line, why)) != 1)
		return rc;
	if (strcasecmp(d, "Host") == 0) {
		NEED(3);
		if (w[2][0] == '\0') {
			*why = xasprintf("Host: empty label");
			return -1;
		}
		if (config_add_host(c, w[1], w[2], 0, NULL) == -1) {
			*why = xasprintf("Host: %s is not an IPv4 or IPv6 "
			    "address or network (10.152.152.0/18, "
			    "fd19:c33d:88bc::/64)", w[1]);
			return -1;
		}
		return 0;
	}
	if (strcasecmp(d, "Profile") == 0) {
		NEED(2);
		return directive_profile(c, w[1], line, why);
	}
	if (strcasecmp(d, "App") == 0 || strcasecmp(d, "SharedPort") == 0) {
		enum isolate_by by = ISOLATE_BY_NONE;
		int shared = strcasecmp(d, "SharedPort") == 0, lo, hi;
		char *addr;

		if (n != 3 && !(n == 5 && !shared)) {
			*why = xasprintf("%s takes a listener and a label%s", d,
			    shared ? "" : " (then optionally IsolateBy "
			    "socks-username|process)");
			return -1;
		}
		if (parse_listener(w[1], &addr, &lo, &hi) == -1) {
			*why = xasprintf("%s: %s is not a port, port range, "
			    "address:port or unix:/path", d, w[1]);
			return -1;
		}
		if (n == 5) {
			if (strcasecmp(w[3], "IsolateBy") != 0 ||
			    (strcasecmp(w[4], "socks-username") != 0 &&
			    strcasecmp(w[4], "process") != 0)) {
				*why = xasprintf("App: expected IsolateBy "
				    "socks-username or IsolateBy process after "
				    "the label");
				free(addr);
				return -1;
			}
			by = strcasecmp(w[4], "process") == 0 ?
			    ISOLATE_BY_PROCESS : ISOLATE_BY_SOCKS_USERNAME;
		}
		if (w[2][0] == '\0') {
			*why = xasprintf("%s: empty label", d);
			free(addr);
			return -1;
		}
		config_add_app(c, addr, lo, hi, w[2], by, shared, line);
		free(addr);
		return 0;
	}
	*why = xasprintf("unknown directive %s", d);
	return -1;
#undef NEED
}

static char *
config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *p;

	if (xdg != NULL && xdg[0] == '/') {
		p = xasprintf("%s/isoaudit/isoaudit.conf", xdg);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	} else if (home != NULL && home[0] == '/') {
		p = xasprintf("%s/.config/isoaudit/isoaudit.conf", home);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	if (access("/etc/isoaudit/isoaudit.conf", F_OK) == 0)
		return xstrdup("/etc/isoaudit/isoaudit.conf");
	return NULL;
}

/*
 * One line as read (got bytes, its '\n' included when there is one,
 * NUL-terminated after them): the checks, the words and the directive.
 * config_load and config_load_buf both go through here, so that a buffer
 * is read exactly as the file holding it would be.  Returns 0, or -1 with
 * *cause allocated as "NAME:LINE: reason".
 */
static int
config_line(struct config *c, const char *name, unsigned lineno, char *line,
    size_t got, char **cause)
{
	char *w[CONFIG_MAX_WORDS], *why2 = NULL;
	const char *why = NULL;
	int n;

	if (got > CONFIG_MAX_LINE) {
		*cause = xasprintf("%s:%u: line too long", name, lineno);
		return -1;
	}
	if (memchr(line, '\0', got) != NULL) {
		*cause = xasprintf("%s:%u: NUL byte", name, lineno);
		return -1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if ((n = split_words(line, w, CONFIG_MAX_WORDS, &why)) == -1) {
		*cause = xasprintf("%s:%u: %s", name, lineno, why);
		return -1;
	}
	if (n == 0)
		return 0;
	if (config_directive(c, w, n, lineno, &why2) == -1) {
		*cause = xasprintf("%s:%u: %s", name, lineno, why2);
		free(why2);
		return -1;
	}
	return 0;
}

int
config_detect_profile(struct config *c, const char *root)
{
	char why[160], *w;
	enum profile_id id;

	if (c->profile != PROFILE_AUTO)
		return 0;
	id = profile_detect_markers(root, why, sizeof why);
	if (id == PROFILE_AUTO) {
		free(c->profile_why);
		c->profile_why = xstrdup(why);
		return 0;
	}
	w = xasprintf("detected: %s", why);
	config_use_profile(c, id, w);
	free(w);
	return 1;
}

/* After the last line: a Profile line's map. */
static void
config_finish(struct config *c)
{
	char why[48];

	if (!c->profile_set)
		return;
	snprintf(why, sizeof why, "Profile line %u", c->profile_line);
	config_use_profile(c, c->profile, why);
}

int
config_load(struct config *c, const char *path, char **cause)
{
	char *file = path ? xstrdup(path) : config_default_path();
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	FILE *f;

	config_defaults(c);
	if (file == NULL)
		return 0;
	if ((f = fopen(file, "re")) == NULL) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	c->path = file;
	while ((got = getline(&line, &cap, f)) != -1)
		if (config_line(c, file, ++lineno, line, (size_t)got,
		    cause) == -1)
			goto fail;
	if (ferror(f)) {
		*cause = xasprintf("%s: %s", file, strerror(errno));
		goto fail;
	}
	fclose(f);
	free(line);
	config_finish(c);
	return 0;
fail:
	fclose(f);
	free(line);
	return -1;
}

int
config_load_buf(struct config *c, const char *name, const char *buf,
    size_t len, char **cause)
{
	char *line = NULL;
	size_t cap = 0, off = 0, got;
	const char *nl;
	unsigned lineno = 0;

	config_defaults(c);
	c->path = xstrdup(name);
	while (off < len) {
		/* Cut as getline would: up to and including the '\n'. */
		nl = memchr(buf + off, '\n', len - off);
		got = nl != NULL ? (size_t)(nl - (buf + off)) + 1 : len - off;
		if (got + 1 > cap) {
			cap = got + 1;
			line = xreallocarray(line, cap, 1);
		}
		memcpy(line, buf + off, got);
		line[got] = '\0';
		off += got;
		if (config_line(c, name, ++lineno, line, got, cause) == -1) {
			free(line);
			return -1;
		}
	}
	free(line);
	config_finish(c);
	return 0;
}

/*
 * Lookup order: user lines with an address (0), user lines for a port on
 * any address (1), the built-in map (2).
 */
static int
app_pass(const struct config_app *a)
{
	if (a->builtin)
		return 2;
	return a->addr != NULL ? 0 : 1;
}

static int
app_matches(const struct config_app *a, const char *host, int port,
    const char *listener)
{
	if (a->addr != NULL && strncmp(a->addr, "unix:", 5) == 0)
		return strcmp(a->addr, listener) == 0;
	if (port < a->port_lo || port > a->port_hi)
		return 0;
	return a->addr == NULL || strcmp(a->addr, host) == 0;
}

const struct config_app *
config_app_for(const struct config *c, const char *listener)
{
	const struct config_app *first[3] = { NULL, NULL, NULL };
	char host[80];
	const char *colon;
	int port = 0;
	size_t i, n;
	int pass;

	if (listener == NULL || *listener == '\0')
		return NULL;
	host[0] = '\0';
	if (strncmp(listener, "unix:", 5) != 0 &&
	    (colon = strrchr(listener, ':')) != NULL) {
		n = (size_t)(colon - listener);
		if (n >= sizeof host)
			return NULL;
		memcpy(host, listener, n);
		host[n] = '\0';
		port = atoi(colon + 1);
	}
	/* One walk: the first match of pass 0 at once, else the first of
	 * pass 1, else the first of pass 2. */
	for (i = 0; i < c->napps; i++) {
		const struct config_app *a = &c->apps[i];

		pass = app_pass(a);
		if ((pass == 1 && first[1] != NULL) ||
		    (pass == 2 && (first[1] != NULL || first[2] != NULL)))
			continue;
		if (!app_matches(a, host, port, listener))
			continue;
		if (pass == 0)
			return a;
		first[pass] = a;
	}
	return first[1] != NULL ? first[1] : first[2];
}

static void
print_quoted(FILE *f, const char *s)
{
	struct buf b;

	buf_init(&b);
	buf_quote(&b, s, strlen(s));
	fputs(buf_cstr(&b), f);
	buf_free(&b);
}

void
config_print(const struct config *c, FILE *f)
{
	size_t i;
	int r;

	fprintf(f, "# isoaudit: effective configuration (%s)\n",
	    c->path ? c->path : "built-in defaults only");
	if (c->control)
		fprintf(f, "ControlPort %s\n", c->control);
	if (c->control_try) {
		fprintf(f, "ControlPort");
		for (i = 0; c->control_try[i] != NULL; i++)
			fprintf(f, " %s", c->control_try[i]);
		fprintf(f, "\n");
	}
	if (c->cookie_file)
		fprintf(f, "CookieAuthFile %s\n", c->cookie_file);
	if (c->password_file)
		fprintf(f, "PasswordFile %s\n", c->password_file);
	if (c->database)
		fprintf(f, "Database %s\n", c->database);
	if (c->hash_key_file)
		fprintf(f, "HashKeyFile %s\n", c->hash_key_file);
	fprintf(f, "LogTargets %s\n", privacy_mode_name(c->log_targets));
	if (c->retention > 0) {
		static const struct { char u; long long s; } units[] = {
			{ 'w', 604800 }, { 'd', 86400 }, { 'h', 3600 },
			{ 'm', 60 }, { 's', 1 } };
		long long secs = (long long)(c->retention / 1000000);
		size_t k;

		for (k = 0; k < 4 && secs % units[k].s != 0; k++)
			;
		if (c->retention % 1000000 != 0)	/* "0.5s": not "0w" */
			fprintf(f, "Retention %lld.%06llds\n", secs,
			    (long long)(c->retention % 1000000));
		else
			fprintf(f, "Retention %lld%c\n", secs / units[k].s,
			    units[k].u);
	} else
		fprintf(f, "Retention forever\n");
	if (c->tracker_off)
		fprintf(f, "Tracker off\n");
	fprintf(f, "Alert %s\n", c->alert == ALERT_SYSLOG ? "syslog" :
	    c->alert == ALERT_NONE ? "none" : "stderr");
	fprintf(f, "\n# system profile\n");
	if (c->profile == PROFILE_AUTO)
		fprintf(f, "Profile auto   # detected when attached, from "
		    "Tor's listeners%s%s\n", c->profile_why ? ": " : "",
		    c->profile_why ? c->profile_why : "");
	else
		fprintf(f, "Profile %s   # %s\n",
		    profile_name((enum profile_id)c->profile),
		    c->profile_why ? c->profile_why : "");
	fprintf(f, "\n# rules\n");
	for (r = 0; r < RULE__COUNT; r++)
		fprintf(f, "Rule %-22s %s%s\n", rules[r].name,
		    severity_name(c->severity[r]),
		    c->severity[r] != rules[r].sev ? "   # changed" : "");
	fprintf(f, "\n# hosts\n");
	fprintf(f, "# loopback clients are \"localhost\"\n");
	for (i = 0; i < c->nhosts; i++) {
		fprintf(f, "Host %s ", c->hosts[i].addr);
		print_quoted(f, c->hosts[i].label);
		if (c->hosts[i].builtin)
			fprintf(f, "   # profile: %s", c->hosts[i].source);
		fputc('\n', f);
	}
	fprintf(f, "\n# application map, in lookup order (user lines first)\n");
	for (r = 0; r < 3; r++)
		for (i = 0; i < c->napps; i++) {
			const struct config_app *a = &c->apps[i];

			if (app_pass(a) != r)
				continue;
			fprintf(f, "%s ", a->shared ? "SharedPort" : "App");
			if (a->addr != NULL && strncmp(a->addr, "unix:", 5) == 0)
				fprintf(f, "%s", a->addr);
			else {
				if (a->addr != NULL)
					fprintf(f, "%s:", a->addr);
				fprintf(f, "%d", a->port_lo);
				if (a->port_hi != a->port_lo)
					fprintf(f, "-%d", a->port_hi);
			}
			fputc(' ', f);
			print_quoted(f, a->label);
			if (a->isolate_by == ISOLATE_BY_SOCKS_USERNAME)
				fprintf(f, " IsolateBy socks-username");
			else if (a->isolate_by == ISOLATE_BY_PROCESS)
				fprintf(f, " IsolateBy process");
			if (a->builtin)
				fprintf(f, "   # profile%s: %s",
				    a->kind == PORT_CREDENTIALS ?
				    " (credentials)" : a->kind == PORT_BROWSER ?
				    " (browser)" : "", a->source);
			else
				fprintf(f, "   # line %u", a->line);
			fputc('\n', f);
		}
	fprintf(f, "# TransPort and DNSPort listeners are always shared\n");
	config_agent_print(c, f);
}
