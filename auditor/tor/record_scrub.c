/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * record_scrub.c: what a transcript may hold of a line from Tor under
 * LogTargets (SPEC.md, "Robustness promises"; docs/privacy.md).  With
 * plain a line is written as Tor sent it.  With hash every destination
 * (a STREAM target, a stream-status entry, an ADDRMAP address, a
 * STATUS_CLIENT HOSTNAME or ADDRESS), every onion address (REND_QUERY,
 * HS_DESC, onions/detached) and every SOCKS username and password becomes
 * the keyed hash the pipeline prints ("h:" and 12 hex digits, ports kept);
 * with none a destination becomes the placeholder "withheld" and the
 * credentials their hashes (what the output and the database keep of
 * them with none).  Lines are parsed with reply.c's keyword parser, never
 * searched for substrings; what cannot be parsed, a keyword this file
 * does not know, Tor's log messages and the lines a SOCKS client smuggled
 * through a hostname (pipeline_inject.c) are replaced by "[withheld:N]",
 * N their length in bytes.  The framing (codes, separators, data blocks,
 * which line is not a reply line) is kept, so that a replay parses the
 * same replies in the same order.
 */
#define ISOAUDIT_PRIVATE

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "privacy.h"
#include "reply.h"
#include "record.h"
#include "xmalloc.h"

/* What a line (or a data block) is, and so what is done to it. */
enum scrub_kind {
	SK_PASS,		/* nothing of a destination in it */
	SK_WITHHOLD,		/* unknown or free text: withheld */
	SK_STREAM,
	SK_CIRC,		/* CIRC, CIRC_MINOR */
	SK_STREAM_STATUS,	/* GETINFO stream-status entries */
	SK_CIRC_STATUS,		/* GETINFO circuit-status entries */
	SK_ONIONS,		/* GETINFO onions/detached, onions/current */
	SK_ADDRMAP,
	SK_STATUS,		/* STATUS_CLIENT, _GENERAL, _SERVER */
	SK_HS_DESC,
	SK_HS_DESC_CONTENT,
	SK_LOG,			/* Tor's log messages */
	SK_CONF			/* CONF_CHANGED */
};

/* What is done to one keyword's value. */
enum scrub_act {
	SA_PASS,
	SA_SECRET,		/* SOCKS credential: its hash, quoted */
	SA_TARGET,		/* address:port: address hashed, port kept */
	SA_ADDR,		/* an address without a port */
	SA_ONION,		/* an onion address without ".onion" */
	SA_WITHHOLD
};

struct record_scrub {
	const struct privacy *priv;
	struct kvlist	 kv;
	struct buf	 out;
	int		 in_data;	/* inside a data block */
	enum scrub_kind	 data_kind;
	int		 in_event;	/* a multi-line 6xx reply goes on */
	enum scrub_kind	 ev_kind;
	int		 inj;		/* a cut STREAM target: smuggling */
	int64_t		 inj_ts;
};

struct record_scrub *
record_scrub_new(const struct privacy *p)
{
	struct record_scrub *sc = xcalloc(1, sizeof *sc);

	sc->priv = p;
	buf_init(&sc->out);
	return sc;
}

void
record_scrub_free(struct record_scrub *sc)
{
	if (sc == NULL)
		return;
	reply_kv_free(&sc->kv);
	buf_free(&sc->out);
	free(sc);
}

static void
withheld(struct buf *b, size_t n)
{
	buf_printf(b, "[withheld:%zu]", n);
}

/* strspn and strcspn within s's n bytes: Tor's line as read is not
 * NUL-terminated. */
static size_t
span_n(const char *s, size_t n, const char *accept)
{
	size_t i = 0;

	while (i < n && s[i] != '\0' && strchr(accept, s[i]) != NULL)
		i++;
	return i;
}

static size_t
cspan_n(const char *s, size_t n, const char *reject)
{
	size_t i = 0;

	while (i < n && strchr(reject, s[i]) == NULL)
		i++;
	return i;
}

static int
is_digits(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 20 && s[n] == '\0';
}

/* A status or event word: capitals, digits, underscores. */
static int
is_word(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

	return n > 0 && n <= 64 && s[n] == '\0';
}

/* A circuit path: "$FP~nick,$FP=nick,nick" (relays are public). */
static int
is_path(const char *s)
{
	size_t n = strspn(s, "$~=,_-abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	return n > 0 && s[n] == '\0';
}

/* A client address Tor writes: IPv4:port, [IPv6]:port, /unix/path:0. */
static int
is_source_addr(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 200)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == ':' || s[i] == '[' || s[i] == ']' ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F') ||
		    (s[0] == '/' && s[i] != ' ' && s[i] != '"' &&
		    s[i] > 0x20 && s[i] < 0x7f)))
			return 0;
	return 1;
}

/* An address (no port) as the mode allows. */
static void
scrub_addr(struct record_scrub *sc, struct buf *b, const char *addr)
{
	if (sc->priv->mode == LOG_TARGETS_NONE)
		buf_adds(b, privacy_is_onion(addr) ? "withheld.onion" :
		    "withheld");
	else
		privacy_hash_target(sc->priv, b, addr);
}

/*
 * A target as torev.c splits it: the port after the last colon (kept),
 * brackets around an IPv6 address dropped, the address hashed.
 * Returns the port, or -1 when there was none.
 */
static int
scrub_target(struct record_scrub *sc, struct buf *b, const char *t)
{
	const char *colon = strrchr(t, ':');
	size_t alen = strlen(t), i;
	int port = -1;
	char *addr;

	if (colon != NULL && colon[1] != '\0' && strlen(colon + 1) <= 5 &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	    atoi(colon + 1) <= 65535) {
		port = atoi(colon + 1);
		alen = (size_t)(colon - t);
	}
	i = 0;
	if (alen >= 2 && t[0] == '[' && t[alen - 1] == ']') {
		i = 1;
		alen -= 2;
	}
	addr = xstrndup(t + i, alen);
	scrub_addr(sc, b, addr);
	free(addr);
	if (port >= 0)
		buf_printf(b, ":%d", port);
	return port;
}

/* An onion address without ".onion": "h:…" of "ADDRESS.onion", as a
 * target of it hashes (pipeline_onion.c), or with none "withheld". */
static void
scrub_onion(struct record_scrub *sc, struct buf *b, const char *s, size_t n)
{
	char *full;

	if (sc->priv->mode == LOG_TARGETS_NONE) {
		buf_adds(b, "withheld");
		return;
	}
	full = xmalloc(n + 7);
	memcpy(full, s, n);
	memcpy(full + n, ".onion", 7);
	privacy_hash_target(sc->priv, b, full);
	b->len -= 6;			/* without ".onion" */
	free(full);
}

static void
add_value(struct buf *b, const struct kv *kv)
{
	if (kv->quoted)
		buf_quote(b, kv->val, kv->vlen);
	else
		buf_add(b, kv->val, kv->vlen);
}

typedef enum scrub_act (*scrub_rule)(const char *);

static int
key_in(const char *k, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(k, *list) == 0)
			return 1;
	return 0;
}

static enum scrub_act
rule_stream(const char *k)
{
	static const char *const pass[] = { "REASON", "REMOTE_REASON",
	    "SOURCE", "SOURCE_ADDR", "PURPOSE", "CLIENT_PROTOCOL",
	    "NYM_EPOCH", "SESSION_GROUP", "ISO_FIELDS", NULL };

	if (strcmp(k, "SOCKS_USERNAME") == 0 ||
	    strcmp(k, "SOCKS_PASSWORD") == 0)
		return SA_SECRET;
	return key_in(k, pass) ? SA_PASS : SA_WITHHOLD;
}

static enum scrub_act
rule_circ(const char *k)
{
	static const char *const pass[] = { "BUILD_FLAGS", "PURPOSE",
	    "HS_STATE", "TIME_CREATED", "REASON", "REMOTE_REASON",
	    "CONFLUX_ID", "CONFLUX_RTT", "HS_POW", "EVENT", "OLD_PURPOSE",
	    "OLD_HS_STATE", NULL };

	if (strcmp(k, "SOCKS_USERNAME") == 0 ||
	    strcmp(k, "SOCKS_PASSWORD") == 0)
		return SA_SECRET;
	if (strcmp(k, "REND_QUERY") == 0)
		return SA_ONION;
	return key_in(k, pass) ? SA_PASS : SA_WITHHOLD;
}

static enum scrub_act
rule_addrmap(const char *k)
{
	static const char *const pass[] = { "EXPIRES", "CACHED", "STREAMID",
	    "ERROR", NULL };

	return key_in(k, pass) ? SA_PASS : SA_WITHHOLD;
}

static enum scrub_act
rule_status(const char *k)
{
	if (strcmp(k, "HOSTNAME") == 0)
		return SA_ADDR;
	if (strcmp(k, "ADDRESS") == 0)
		return SA_TARGET;
	return SA_PASS;
}

static enum scrub_act
rule_hs_desc(const char *k)
{
	return strcmp(k, "REASON") == 0 ? SA_PASS : SA_WITHHOLD;
}

/* A CONF_CHANGED line: options that can name destinations withheld. */
static enum scrub_act
rule_conf(const char *k)
{
	static const char *const hide[] = { "MapAddress",
	    "TrackHostExits", "HidServAuth", "ClientOnionAuthDir", NULL };

	if (key_in(k, hide) || strncmp(k, "HiddenService", 13) == 0)
		return SA_WITHHOLD;
	return SA_PASS;
}

/* Items from..n of the parsed line; a positional word is withheld. */
static void
scrub_items(struct record_scrub *sc, struct buf *b, size_t from,
    scrub_rule rule)
{
	const struct kvlist *l = &sc->kv;
	size_t i;

	for (i = from; i < l->n; i++) {
		const struct kv *kv = &l->v[i];

		if (b->len > 0)
			buf_addc(b, ' ');
		if (kv->key == NULL) {
			withheld(b, kv->vlen);
			continue;
		}
		buf_adds(b, kv->key);
		buf_addc(b, '=');
		switch (rule(kv->key)) {
		case SA_PASS:
			add_value(b, kv);
			break;
		case SA_SECRET:
			buf_addc(b, '"');
			privacy_hash(sc->priv, b, kv->val, kv->vlen);
			buf_addc(b, '"');
			break;
		case SA_TARGET:
			scrub_target(sc, b, kv->val);
			break;
		case SA_ADDR:
			scrub_addr(sc, b, kv->val);
			break;
		case SA_ONION:
			scrub_onion(sc, b, kv->val, strlen(kv->val));
			break;
		default:
			withheld(b, kv->vlen);
			break;
		}
	}
}

static int
parse(struct record_scrub *sc, const char *s, size_t n)
{
	char *cause = NULL;

	if (reply_kv_parse(s, n, &sc->kv, &cause) == -1) {
		free(cause);
		return -1;
	}
	return 0;
}

/* Item i, a positional word, as it was. */
static void
add_word(struct record_scrub *sc, struct buf *b, size_t i)
{
	if (b->len > 0)
		buf_addc(b, ' ');
	add_value(b, &sc->kv.v[i]);
}

/*
 * STREAM (base 1, after the event's name) or a stream-status entry (base
 * 0): "ID STATUS CIRC TARGET ...".  Returns the target's port (-1: none,
 * the target was cut), or -2 when the line is not one.
 */
static int
scrub_stream(struct record_scrub *sc, struct buf *b, size_t base,
    scrub_rule rule)
{
	struct kvlist *l = &sc->kv;
	size_t i;
	int port;

	if (l->n < base + 4)
		return -2;
	for (i = base; i < base + 4; i++)
		reply_kv_positional(l, i);
	if (!is_digits(l->v[base].val) || !is_word(l->v[base + 1].val) ||
	    !is_digits(l->v[base + 2].val))
		return -2;
	for (i = 0; i < base + 3; i++)
		add_word(sc, b, i);
	buf_addc(b, ' ');
	port = scrub_target(sc, b, l->v[base + 3].val);
	scrub_items(sc, b, base + 4, rule);
	return port;
}

/* CIRC, CIRC_MINOR (base 1) or a circuit-status entry (base 0):
 * "ID STATUS [PATH] ...".  Returns 0, or -1 when the line is not one. */
static int
scrub_circ(struct record_scrub *sc, struct buf *b, size_t base)
{
	struct kvlist *l = &sc->kv;
	size_t i;

	if (l->n < base + 2)
		return -1;
	reply_kv_positional(l, base);
	reply_kv_positional(l, base + 1);
	if (!is_digits(l->v[base].val) || !is_word(l->v[base + 1].val))
		return -1;
	for (i = 0; i < base + 2; i++)
		add_word(sc, b, i);
	i = base + 2;
	if (i < l->n && l->v[i].key == NULL && !l->v[i].quoted &&
	    is_path(l->v[i].val))
		add_word(sc, b, i++);
	scrub_items(sc, b, i, rule_circ);
	return 0;
}

/* ADDRMAP ADDRESS NEWADDRESS "EXPIRY" KEY=...: both addresses hashed. */
static int
scrub_addrmap(struct record_scrub *sc, struct buf *b)
{
	struct kvlist *l = &sc->kv;
	size_t i = 3;

	if (l->n < 3)
		return -1;
	reply_kv_positional(l, 1);
	reply_kv_positional(l, 2);
	add_word(sc, b, 0);
	buf_addc(b, ' ');
	scrub_addr(sc, b, l->v[1].val);
	buf_addc(b, ' ');
	scrub_addr(sc, b, l->v[2].val);
	if (i < l->n && l->v[i].key == NULL && (l->v[i].quoted ||
	    strcmp(l->v[i].val, "NEVER") == 0))
		add_word(sc, b, i++);
	scrub_items(sc, b, i, rule_addrmap);
	return 0;
}

/* HS_DESC ACTION ADDRESS AUTH HSDIR [DESCID] ...; HS_DESC_CONTENT ADDRESS
 * DESCID HSDIR: the address hashed, what derives from it withheld. */
static int
scrub_hs_desc(struct record_scrub *sc, struct buf *b, int content)
{
	struct kvlist *l = &sc->kv;
	size_t i, addr = content ? 1 : 2;

	if (l->n <= addr)
		return -1;
	for (i = 1; i <= addr + 2 && i < l->n; i++)
		reply_kv_positional(l, i);
	for (i = 0; i < l->n && i <= addr + 2; i++) {
		const char *v = l->v[i].val;

		if (i == addr) {
			buf_addc(b, ' ');
			if (strcmp(v, "UNKNOWN") == 0)
				buf_adds(b, v);
			else
				scrub_onion(sc, b, v, strlen(v));
		} else if (i == 0 || (!content && (i == 1 || i == 3 ||
		    i == 4)) || (content && i == 3)) {
			if (is_path(v) || strcmp(v, "UNKNOWN") == 0)
				add_word(sc, b, i);
			else {
				buf_addc(b, ' ');
				withheld(b, l->v[i].vlen);
			}
		} else {
			buf_addc(b, ' ');
			withheld(b, l->v[i].vlen);
		}
	}
	scrub_items(sc, b, i, rule_hs_desc);
	return 0;
}

/* The name of an event: its first word. */
static enum scrub_kind
event_kind(const char *s, size_t n)
{
	static const char *const pass[] = { "SIGNAL", "BW", "CIRC_BW",
	    "STREAM_BW", "CONN_BW", "ORCONN", "GUARD", "NS", "NEWCONSENSUS",
	    "NEWDESC", "BUILDTIMEOUT_SET", "CELL_STATS", "TB_EMPTY",
	    "NETWORK_LIVENESS", "DESCCHANGED", "CLIENTS_SEEN",
	    "TRANSPORT_LAUNCHED", "PT_STATUS", "OK", NULL };
	static const char *const logs[] = { "DEBUG", "INFO", "NOTICE", "WARN",
	    "ERR", "PT_LOG", NULL };
	char name[32];
	size_t w = cspan_n(s, n, " ");

	if (w == 0 || w >= sizeof name)
		return SK_WITHHOLD;
	memcpy(name, s, w);
	name[w] = '\0';
	if (strcmp(name, "STREAM") == 0)
		return SK_STREAM;
	if (strcmp(name, "CIRC") == 0 || strcmp(name, "CIRC_MINOR") == 0)
		return SK_CIRC;
	if (strcmp(name, "ADDRMAP") == 0)
		return SK_ADDRMAP;
	if (strncmp(name, "STATUS_", 7) == 0)
		return SK_STATUS;
	if (strcmp(name, "HS_DESC") == 0)
		return SK_HS_DESC;
	if (strcmp(name, "HS_DESC_CONTENT") == 0)
		return SK_HS_DESC_CONTENT;
	if (strcmp(name, "CONF_CHANGED") == 0)
		return SK_CONF;
	if (key_in(name, logs))
		return SK_LOG;
	return key_in(name, pass) ? SK_PASS : SK_WITHHOLD;
}

/* The event's name, then the rest withheld. */
static void
name_then_withheld(struct buf *b, const char *s, size_t n)
{
	size_t w = cspan_n(s, n, " ");

	if (w > 0 && w <= 32) {
		buf_add(b, s, w);
		if (w < n) {
			buf_addc(b, ' ');
			withheld(b, n - w - 1);
		}
	} else
		withheld(b, n);
}

/*
 * The text of a line of a 6xx reply (first: the event's first line).
 * Returns the cut STREAM target flag: 1 when the target had no port.
 */
static int
scrub_event(struct record_scrub *sc, struct buf *b, enum scrub_kind kind,
    int first, const char *s, size_t n)
{
	size_t mark = b->len, i;
	int rc = 0, port;

	if (kind == SK_PASS) {
		buf_add(b, s, n);
		return 0;
	}
	if (kind == SK_LOG || kind == SK_WITHHOLD) {
		if (first)
			name_then_withheld(b, s, n);
		else
			withheld(b, n);
		return 0;
	}
	if (kind == SK_CONF && !first) {
		/* "KEY=VALUE FLAGS" or "KEY": an option that can name
		 * destinations has all of its value withheld. */
		size_t k = cspan_n(s, n, "= ");
		char key[64];

		buf_add(b, s, k);
		if (k < n && k < sizeof key) {
			memcpy(key, s, k);
			key[k] = '\0';
			if (rule_conf(key) == SA_WITHHOLD) {
				buf_addc(b, s[k]);
				withheld(b, n - k - 1);
				return 0;
			}
		}
		buf_add(b, s + k, n - k);
		return 0;
	}
	if (parse(sc, s, n) == -1 || sc->kv.n == 0)
		goto hide;
	if (!first) {
		/* A keyword line that goes on an event. */
		scrub_items(sc, b, 0, kind == SK_STREAM ? rule_stream :
		    kind == SK_CIRC ? rule_circ : kind == SK_STATUS ?
		    rule_status : rule_hs_desc);
		return 0;
	}
	switch (kind) {
	case SK_STREAM:
		port = scrub_stream(sc, b, 1, rule_stream);
		if (port == -2)
			goto hide;
		rc = port == -1 && strlen(sc->kv.v[4].val) < 255;
		break;
	case SK_CIRC:
		if (scrub_circ(sc, b, 1) == -1)
			goto hide;
		break;
	case SK_ADDRMAP:
		if (scrub_addrmap(sc, b) == -1)
			goto hide;
		break;
	case SK_HS_DESC:
	case SK_HS_DESC_CONTENT:
		if (scrub_hs_desc(sc, b, kind == SK_HS_DESC_CONTENT) == -1)
			goto hide;
		break;
	case SK_STATUS:
		/* STATUS_CLIENT SEVERITY ACTION KEY=...: the words Tor's. */
		add_word(sc, b, 0);
		for (i = 1; i < sc->kv.n && i <= 2 &&
		    sc->kv.v[i].key == NULL && is_word(sc->kv.v[i].val); i++)
			add_word(sc, b, i);
		scrub_items(sc, b, i, rule_status);
		break;
	case SK_CONF:
		/* "CONF_CHANGED" alone; the options come on lines of their
		 * own. */
		add_word(sc, b, 0);
		scrub_items(sc, b, 1, rule_conf);
		break;
	default:
		goto hide;
	}
	return rc;
hide:
	b->len = mark;
	if (first)
		name_then_withheld(b, s, n);
	else
		withheld(b, n);
	return 0;
}

/* A data line of a block of that kind. */
static void
scrub_data(struct record_scrub *sc, struct buf *b, enum scrub_kind kind,
    const char *s, size_t n)
{
	size_t i, k;

	switch (kind) {
	case SK_PASS:
		buf_add(b, s, n);
		return;
	case SK_STREAM_STATUS:
		if (parse(sc, s, n) == 0 &&
		    scrub_stream(sc, b, 0, rule_stream) != -2)
			return;
		break;
	case SK_CIRC_STATUS:
		if (parse(sc, s, n) == 0 && scrub_circ(sc, b, 0) == 0)
			return;
		break;
	case SK_ONIONS:
		for (i = 0; i < n;) {
			for (; i < n && s[i] == ' '; i++)
				;
			for (k = i; k < n && s[k] != ' '; k++)
				;
			if (k > i) {
				if (b->len > 0)
					buf_addc(b, ' ');
				scrub_onion(sc, b, s + i, k - i);
			}
			i = k;
		}
		return;
	default:
		break;
	}
	b->len = 0;
	withheld(b, n);
}

/* "KEY=" of a command reply line: its kind when it names destinations. */
static enum scrub_kind
reply_key_kind(const char *s, size_t n, size_t *klen)
{
	size_t eq = 0;

	while (eq < n && s[eq] != '=' && s[eq] != ' ')
		eq++;
	*klen = eq;
	if (eq >= n || s[eq] != '=')
		return SK_PASS;
#define KEY(name) (eq == sizeof(name) - 1 && memcmp(s, name, eq) == 0)
	if (KEY("stream-status"))
		return SK_STREAM_STATUS;
	if (KEY("circuit-status"))
		return SK_CIRC_STATUS;
	if (KEY("onions/detached") || KEY("onions/current"))
		return SK_ONIONS;
	if (eq > 17 && memcmp(s, "address-mappings/", 17) == 0)
		return SK_WITHHOLD;
#undef KEY
	return SK_PASS;
}

/*
 * A line that is no reply line: the rest of a STREAM event whose target
 * a line break cut (the client's bytes, then Tor's keywords).  Withheld,
 * but for the last SOURCE_ADDR and SESSION_GROUP (Tor's, written after
 * the target), which name the client and listener to a replay as live.
 */
static void
scrub_tail(struct buf *b, const char *s, size_t n)
{
	static const char *const keys[] = { " SOURCE_ADDR=",
	    " SESSION_GROUP=" };
	size_t i, j, k, kl;

	withheld(b, n);
	for (k = 0; k < 2; k++) {
		kl = strlen(keys[k]);
		for (i = n; i-- > 0;) {
			if (s[i] != ' ' || i + kl > n ||
			    memcmp(s + i, keys[k], kl) != 0)
				continue;
			for (j = i + kl; j < n && s[j] != ' '; j++)
				;
			if ((k == 0 && is_source_addr(s + i + kl,
			    j - i - kl)) || (k == 1 && j > i + kl &&
			    span_n(s + i + kl, j - i - kl, "-0123456789") ==
			    j - i - kl &&
			    j - i - kl <= 21))
				buf_add(b, s + i, j - i);
			break;
		}
	}
}

const char *
record_scrub_line(struct record_scrub *sc, const char *s, size_t n,
    int64_t ts, size_t *outlen)
{
	struct buf *b = &sc->out;
	enum scrub_kind kind;
	struct buf t;
	size_t klen;
	char sep;
	int first, cut;

	*outlen = n;
	if (sc->priv == NULL || sc->priv->mode == LOG_TARGETS_PLAIN)
		return s;
	buf_reset(b);
	if (sc->in_data) {
		if (n == 1 && s[0] == '.') {
			sc->in_data = 0;
			return s;
		}
		if (sc->inj && ts == sc->inj_ts)
			kind = SK_WITHHOLD;
		else
			kind = sc->data_kind;
		if (kind == SK_PASS)
			return s;
		if (n > 0 && s[0] == '.')
			scrub_data(sc, b, kind, s + 1, n - 1);
		else
			scrub_data(sc, b, kind, s, n);
		goto done;
	}
	if (n < 4 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || (s[3] != ' ' && s[3] != '-' &&
	    s[3] != '+')) {
		if (n == 3 && span_n(s, n, "0123456789") == 3) {
			/* A final line without text (reply.c takes it). */
			if (s[0] == '6')
				sc->in_event = 0;
			return s;
		}
		sc->inj = 0;
		scrub_tail(b, s, n);
		goto done;
	}
	sep = s[3];
	buf_add(b, s, 4);
	if (sc->inj && ts != sc->inj_ts)
		sc->inj = 0;
	if (sc->inj) {
		/* Smuggled: its framing kept, its bytes not. */
		withheld(b, n - 4);
		if (s[0] == '6')
			sc->in_event = sep != ' ';
		if (sep == '+') {
			sc->in_data = 1;
			sc->data_kind = SK_WITHHOLD;
		}
		goto done;
	}
	s += 4;
	n -= 4;
	if (s[-4] == '6') {
		first = !sc->in_event;
		kind = first ? event_kind(s, n) : sc->ev_kind;
		sc->ev_kind = kind;
		sc->in_event = sep != ' ';
		/* Built alone: items are separated once text is there. */
		buf_init(&t);
		cut = scrub_event(sc, &t, kind, first, s, n);
		buf_add(b, t.p, t.len);
		buf_free(&t);
		if (cut && first && sep == ' ') {
			sc->inj = 1;
			sc->inj_ts = ts;
		}
		if (sep == '+') {
			sc->in_data = 1;
			sc->data_kind = kind == SK_PASS ? SK_PASS : SK_WITHHOLD;
		}
		goto done;
	}
	kind = reply_key_kind(s, n, &klen);
	if (sep == '+') {
		sc->in_data = 1;
		sc->data_kind = kind;
	}
	if (kind == SK_PASS)
		buf_add(b, s, n);
	else {
		buf_add(b, s, klen + 1);
		buf_init(&t);
		if (klen + 1 < n) {
			if (kind == SK_WITHHOLD)
				withheld(&t, n - klen - 1);
			else
				scrub_data(sc, &t, kind, s + klen + 1,
				    n - klen - 1);
		}
		buf_add(b, t.p, t.len);
		buf_free(&t);
	}
done:
	*outlen = b->len;
	return b->len > 0 ? b->p : "";
}
