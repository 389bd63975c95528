/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_onion.c: onion services, both sides.  A client's circuits to
 * an onion service (HS_CLIENT_*) and a local service's circuits
 * (HS_SERVICE_*) carry the service's address in REND_QUERY; the local
 * services are learnt from those and from GETINFO onions/detached.  An
 * address is shown as LogTargets allows, the way a target is: the keyed
 * hash of "ADDRESS.onion" (equal to a stream target's hash of the same
 * address) with ".onion", the address, or with none a local service's
 * number.  Nothing of it is acted on.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "privacy.h"
#include "store.h"
#include "xmalloc.h"
#include "pipeline_int.h"

/* A v3 address is 56 base32 letters, v2 16; take letters and digits. */
static int
onion_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PIPELINE_ONION_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/*
 * The keyed hash of "ADDRESS.onion" in lowercase (what a target of it
 * hashes to), or, from a transcript recorded with LogTargets hash, the
 * hash it already is (record_scrub.c writes that one).
 */
static const char *
onion_hash(struct pipeline *p, const char *s, size_t n)
{
	char full[PIPELINE_ONION_MAX + 7];
	size_t i;

	if (pl_passthrough(p, s, n))
		return pl_hash_of(p, s, n);
	for (i = 0; i < n; i++)
		full[i] = s[i] >= 'A' && s[i] <= 'Z' ?
		    (char)(s[i] - 'A' + 'a') : s[i];
	memcpy(full + n, ".onion", 6);
	return pl_hash_of(p, full, n + 6);
}

/* A valid address's name as LogTargets allows (none: "onion"). */
static void
onion_name(struct pipeline *p, char *out, size_t size, const char *s,
    size_t n)
{
	switch (p->cfg.privacy.mode) {
	case LOG_TARGETS_PLAIN:
		snprintf(out, size, "%.*s.onion", (int)n, s);
		break;
	case LOG_TARGETS_NONE:
		snprintf(out, size, "onion");
		break;
	default:
		snprintf(out, size, "%s.onion", onion_hash(p, s, n));
		break;
	}
}

static int
source_rank(const char *source)
{
	return strcmp(source, "circuits") == 0 ? 0 : 1;
}

/*
 * A local service: found or added (at most PIPELINE_MAX_SERVICES; NULL
 * past that), written to the store once a session (again when a GETINFO
 * names one learnt from circuits), told in a line and to the viewer when
 * new in the Tor session.
 */
static struct onion_svc *
onion_learn(struct pipeline *p, const char *s, size_t n, const char *source,
    int64_t ts)
{
	const char *key = onion_hash(p, s, n);
	struct onion_svc *o = NULL;
	int told = 1, better = 0;
	size_t i;

	for (i = 0; i < p->nonions; i++)
		if (strcmp(p->onions[i].key, key) == 0) {
			o = &p->onions[i];
			break;
		}
	if (o == NULL) {
		if (p->nonions >= PIPELINE_MAX_SERVICES)
			return NULL;
		p->onions = xreallocarray(p->onions, p->nonions + 1,
		    sizeof *p->onions);
		o = &p->onions[p->nonions++];
		memset(o, 0, sizeof *o);
		snprintf(o->key, sizeof o->key, "%s", key);
		if (p->cfg.privacy.mode == LOG_TARGETS_NONE)
			snprintf(o->name, sizeof o->name, "onion service %zu",
			    p->nonions);
		else
			onion_name(p, o->name, sizeof o->name, s, n);
	}
	if (o->session != p->session) {
		o->session = p->session;
		o->stored = 0;
		o->source[0] = '\0';
		told = 0;
	}
	if (o->source[0] == '\0' || source_rank(source) >
	    source_rank(o->source)) {
		better = o->source[0] != '\0';
		snprintf(o->source, sizeof o->source, "%s", source);
		o->stored = 0;
	}
	if (p->cfg.store != NULL && p->session_id != 0 &&
	    o->stored != p->session_id) {
		store_service(p->cfg.store, p->session_id, o->name, o->source,
		    ts);
		o->stored = p->session_id;
	}
	if (told && !better)
		return o;
	if (pl_output_lines(p)) {
		pl_line_begin(p, ts);
		buf_adds(&p->line, "onion service ");
		buf_adds(&p->line, o->name);
		buf_adds(&p->line, " (from ");
		buf_adds(&p->line, strcmp(o->source, "circuits") == 0 ?
		    "its circuits" : strcmp(o->source, "detached") == 0 ?
		    "GETINFO onions/detached" : "GETINFO onions/current");
		buf_addc(&p->line, ')');
		pl_line_end(p);
	}
	if (p->cfg.observer != NULL && p->cfg.observer->service != NULL)
		p->cfg.observer->service(o->name, o->source, ts,
		    p->cfg.observer->arg);
	return o;
}

static int
purpose_is(const char *purpose, const char *prefix)
{
	return strncmp(purpose, prefix, strlen(prefix)) == 0;
}

/*
 * A circuit event: the onion address its circuit works for.  Tor names
 * it (REND_QUERY) once the circuit is built; a circuit that changes to
 * another purpose (an intro circuit becomes HS_VANGUARDS) no longer
 * works for it.
 */
void
pl_onion_circ(struct pipeline *p, const struct circ_ev *e, struct circ *c,
    int64_t ts)
{
	const char *q = e->rend_query;
	int service = purpose_is(c->purpose, "HS_SERVICE_");
	struct onion_svc *o;

	if (!service && !purpose_is(c->purpose, "HS_CLIENT_")) {
		c->rend[0] = '\0';
		c->service = 0;
		return;
	}
	if (q == NULL || !(onion_valid(q, strlen(q)) ||
	    pl_passthrough(p, q, strlen(q))))
		return;
	if (service) {
		if ((o = onion_learn(p, q, strlen(q), "circuits", ts)) != NULL)
			snprintf(c->rend, sizeof c->rend, "%s", o->name);
		else if (p->cfg.privacy.mode == LOG_TARGETS_NONE)
			snprintf(c->rend, sizeof c->rend, "onion service");
		else
			onion_name(p, c->rend, sizeof c->rend, q, strlen(q));
	} else
		onion_name(p, c->rend, sizeof c->rend, q, strlen(q));
	c->service = service;
}

/*
 * GETINFO onions/detached or onions/current: the addresses (without
 * ".onion"), one a line, or on the reply's line itself.  Onions/current
 * is the services of the asking connection, never isoaudit's; it is
 * taken when a transcript holds another controller's.
 */
void
pl_onion_info(struct pipeline *p, const char *source, const char *v,
    size_t n, int64_t ts)
{
	size_t i = 0, k;

	while (i < n) {
		while (i < n && (v[i] == '\n' || v[i] == '\r' || v[i] == ' '))
			i++;
		for (k = i; k < n && v[k] != '\n' && v[k] != '\r' &&
		    v[k] != ' '; k++)
			;
		if (k > i && (onion_valid(v + i, k - i) ||
		    pl_passthrough(p, v + i, k - i)))
			onion_learn(p, v + i, k - i, source, ts);
		i = k;
	}
}
