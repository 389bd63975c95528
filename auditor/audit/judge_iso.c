/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_iso.c: Tor's isolation rule as the judge applies it: which values
 * of two streams Tor compares (the fields ISO_FIELDS names), and how
 * (docs/isolation.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "idmap.h"
#include "judge.h"
#include "judge_int.h"
#include "xmalloc.h"

static int
bytes_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (a == NULL || b == NULL)
		return a == b;
	return an == bn && memcmp(a, b, an) == 0;
}

int
judge_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The first value of the fields iso names (session group and nym epoch
 * always) in which s differs from f, as Tor compares them
 * (docs/isolation.md), or NULL.
 */
static const char *
isolation_differs(const struct jstream *s, const struct jstream *f,
    unsigned iso)
{
	iso |= ISO_SESSION_GROUP | ISO_NYM_EPOCH;
	if ((iso & ISO_SESSION_GROUP) && s->group != f->group)
		return "session group";
	if ((iso & ISO_NYM_EPOCH) && s->epoch != f->epoch)
		return "nym epoch";
	if ((iso & ISO_DESTPORT) && s->target_port != f->target_port)
		return "destination port";
	/* Tor compares the address a client gave without case. */
	if ((iso & ISO_DESTADDR) && (s->target_addr == NULL ||
	    f->target_addr == NULL ? s->target_addr != f->target_addr :
	    strcasecmp(s->target_addr, f->target_addr) != 0))
		return "destination address";
	if ((iso & ISO_SOCKS_USERNAME) &&
	    !bytes_eq(s->user, s->ulen, f->user, f->ulen))
		return "SOCKS username";
	if ((iso & ISO_SOCKS_PASSWORD) &&
	    !bytes_eq(s->pass, s->plen, f->pass, f->plen))
		return "SOCKS password";
	if ((iso & ISO_CLIENT_PROTOCOL) && !judge_str_eq(s->protocol, f->protocol))
		return "client protocol";
	if ((iso & ISO_CLIENTADDR) && !judge_str_eq(s->client_addr, f->client_addr))
		return "client address";
	return NULL;
}

/*
 * Would Tor have put stream s on a circuit whose first stream was f?
 * Returns NULL when yes (or when s's ISO_FIELDS are unknown: no finding
 * on a guess), else the name of the value that differs.
 */
const char *
judge_isolation_refuses(const struct jstream *s, const struct jstream *f)
{
	return s->has_iso ? isolation_differs(s, f, s->iso) : NULL;
}

/*
 * Whether Tor may put s and t on one circuit as far as their isolation
 * goes: each field the listener isolates by (ISO_FIELDS) equal, compared
 * as Tor compares them (docs/isolation.md).  Unknown flags (no ISO_FIELDS)
 * isolate nothing isoaudit can see: equal.
 */
int
judge_iso_key_equal(const struct jstream *s, const struct jstream *t)
{
	/* Unknown flags: a SocksPort's defaults (tor(1)). */
	unsigned dflt = ISO_CLIENTADDR | ISO_SOCKS_USERNAME |
	    ISO_SOCKS_PASSWORD;

	return isolation_differs(s, t, s->has_iso ? s->iso : dflt) == NULL &&
	    isolation_differs(t, s, t->has_iso ? t->iso : dflt) == NULL;
}

unsigned
judge_iso_bits(const char *const *v, size_t n)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "DESTPORT", ISO_DESTPORT }, { "DESTADDR", ISO_DESTADDR },
		{ "SOCKS_USERNAME", ISO_SOCKS_USERNAME },
		{ "SOCKS_PASSWORD", ISO_SOCKS_PASSWORD },
		{ "CLIENT_PROTOCOL", ISO_CLIENT_PROTOCOL },
		{ "CLIENTADDR", ISO_CLIENTADDR },
		{ "SESSION_GROUP", ISO_SESSION_GROUP },
		{ "NYM_EPOCH", ISO_NYM_EPOCH },
	};
	unsigned bits = 0;
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (v[i][0] == names[k].name[0] &&
			    strcmp(v[i], names[k].name) == 0)
				bits |= names[k].bit;
	return bits;
}
