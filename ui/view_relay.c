/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * view_relay.c: what Tor said of the relays of the circuits the user
 * opened (GETINFO ns/id/FP, ip-to-country/IP), a cache of VIEW_RELAYS
 * by fingerprint: the least recently used goes first.  It outlives Tor
 * sessions (a relay's status changes slowly; a new answer replaces it).
 */
#include <stdio.h>
#include <string.h>

#include "nsparse.h"
#include "view_int.h"

static int
fp_ok(const char *fp)
{
	size_t i;

	if (fp == NULL)
		return 0;
	for (i = 0; i < 40; i++)
		if (!((fp[i] >= '0' && fp[i] <= '9') ||
		    (fp[i] >= 'A' && fp[i] <= 'F')))
			return 0;
	return fp[40] == '\0';
}

const struct vrelay *
view_relay_find(const struct view *v, const char *fp)
{
	size_t i;

	if (!fp_ok(fp))
		return NULL;
	for (i = 0; i < v->nrelays; i++)
		if (strcmp(v->relays[i].fp, fp) == 0)
			return &v->relays[i];
	return NULL;
}

struct vrelay *
view_relay_get(struct view *v, const char *fp)
{
	struct vrelay *r = (struct vrelay *)view_relay_find(v, fp);
	size_t i, old = 0;

	if (!fp_ok(fp))
		return NULL;
	if (r == NULL) {
		if (v->nrelays < VIEW_RELAYS)
			r = &v->relays[v->nrelays++];
		else {
			for (i = 1; i < v->nrelays; i++)
				if (v->relays[i].used < v->relays[old].used)
					old = i;
			r = &v->relays[old];
		}
		memset(r, 0, sizeof *r);
		memcpy(r->fp, fp, 41);
		r->state = VRELAY_ASKED;
		v->generation++;
	}
	r->used = ++v->relay_tick;
	return r;
}

void
view_relay_router(struct view *v, const char *fp, const struct ns_router *ns)
{
	struct vrelay *r = view_relay_get(v, fp);

	if (r == NULL)
		return;
	v->generation++;
	if (ns == NULL) {
		r->state = VRELAY_UNKNOWN;
		return;
	}
	r->state = VRELAY_KNOWN;
	/* nsparse let through printable words only. */
	view_copy(r->nick, sizeof r->nick, ns->nick);
	view_copy(r->address, sizeof r->address, ns->address);
	r->orport = ns->orport;
	view_copy(r->flags, sizeof r->flags, ns->flags);
}

void
view_relay_country(struct view *v, const char *fp, const char *cc)
{
	struct vrelay *r = view_relay_get(v, fp);

	if (r == NULL)
		return;
	v->generation++;
	r->country_asked = 1;
	if (cc != NULL && strlen(cc) == 2 && cc[0] >= 'a' && cc[0] <= 'z' &&
	    cc[1] >= 'a' && cc[1] <= 'z')
		memcpy(r->country, cc, 3);
	else
		r->country[0] = '\0';
}

/* Tor could not say (no GeoIP data loaded yet): asked again when the
 * details are opened again, so that a GeoIP file loaded later shows.
 * Not at once: every reply asks for what is missing, and Tor would say
 * the same, again and again. */
void
view_relay_country_retry(struct view *v, const char *fp)
{
	struct vrelay *r = (struct vrelay *)view_relay_find(v, fp);

	if (r != NULL)
		r->country_later = 1;
}

void
view_relay_country_reopen(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nrelays; i++)
		if (v->relays[i].country_later) {
			v->relays[i].country_later = 0;
			v->relays[i].country_asked = 0;
		}
}

void
view_relay_forget_asked(struct view *v)
{
	size_t i = 0;

	while (i < v->nrelays) {
		if (v->relays[i].state == VRELAY_ASKED) {
			v->relays[i] = v->relays[--v->nrelays];
			v->generation++;
		} else
			i++;
	}
}
