/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * panel_circ.c: the circuits panel: one row per circuit of the current Tor
 * session (open, and the last closed ones that carried streams), its
 * streams folded under it.  A circuit carrying two applications is marked
 * "!!" and drawn red.  A local onion service's circuits come last, under
 * a line of their service: its rendezvous circuits (clients served).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ui.h"
#include "xmalloc.h"

/*
 * At 80 columns: the marker, id, state, age, exit and the applications
 * (wide enough for two); PURPOSE from 82 columns, CONFLUX from 91.
 */
static const struct column cols[] = {
	{ "",		2, 0, 0, 10 },
	{ "ID",		4, 0, 1, 7 },
	{ "STATE",	8, 0, 0, 6 },
	{ "AGE",	6, 0, 1, 4 },
	{ "PURPOSE",	10, 0, 0, 3 },
	{ "EXIT",	16, 1, 0, 5 },
	{ "CONFLUX",	8, 0, 0, 2 },
	{ "APPLICATIONS", 30, 3, 0, 9 },
};

static const char *const sorts[] = { "activity", "id", "age" };

/* Tor's purposes, short enough for the column. */
static const struct {
	const char	*tor;
	const char	*shown;
} purposes[] = {
	{ "GENERAL", "general" },
	{ "CONFLUX_LINKED", "conflux" },
	{ "CONFLUX_UNLINKED", "conflux-un" },
	{ "HS_VANGUARDS", "vanguards" },
	{ "HS_CLIENT_INTRO", "hs-c-intro" },
	{ "HS_CLIENT_REND", "hs-c-rend" },
	{ "HS_CLIENT_HSDIR", "hs-c-dir" },
	{ "HS_SERVICE_INTRO", "hs-s-intro" },
	{ "HS_SERVICE_REND", "hs-s-rend" },
	{ "HS_SERVICE_HSDIR", "hs-s-dir" },
	{ "MEASURE_TIMEOUT", "measure" },
	{ "CONTROLLER", "controller" },
	{ "PATH_BIAS_TESTING", "path-bias" },
	{ "CIRCUIT_PADDING", "padding" },
};

static const char *
purpose_shown(const char *p)
{
	size_t i;

	if (p[0] == '\0')
		return "-";
	for (i = 0; i < sizeof purposes / sizeof purposes[0]; i++)
		if (strcmp(purposes[i].tor, p) == 0)
			return purposes[i].shown;
	return p;
}

struct citem {
	const struct vcirc	*c;
	int			 shared;
};

static int sort_mode;

static int
cmp_items(const void *pa, const void *pb)
{
	const struct citem *a = pa, *b = pb;

	if (sort_mode == 0) {
		if (a->shared != b->shared)
			return b->shared - a->shared;
		if ((a->c->closed == 0) != (b->c->closed == 0))
			return a->c->closed == 0 ? -1 : 1;
		if ((a->c->streams_open > 0) != (b->c->streams_open > 0))
			return a->c->streams_open > 0 ? -1 : 1;
		if ((a->c->streams_total > 0) != (b->c->streams_total > 0))
			return a->c->streams_total > 0 ? -1 : 1;
	} else if (sort_mode == 2 && a->c->created != b->c->created)
		return a->c->created < b->c->created ? -1 : 1;
	/* Newest (highest id) first. */
	return a->c->id < b->c->id ? 1 : a->c->id > b->c->id ? -1 : 0;
}

static int
circ_matches(const struct vcirc *c, const char *f)
{
	const struct vstream *s;
	char id[24];
	size_t i;

	if (f == NULL || f[0] == '\0')
		return 1;
	snprintf(id, sizeof id, "%" PRIu64, c->id);
	if (strcmp(id, f) == 0 || ui_match(c->exit_nick, f) ||
	    ui_match(c->exit_fp, f) || ui_match(c->purpose, f) ||
	    ui_match(c->conflux, f) || ui_match(c->onion, f))
		return 1;
	for (i = 0; i < c->nidents; i++)
		if (ui_match(c->idents[i], f))
			return 1;
	for (s = c->streams; s != NULL; s = s->next)
		if (ui_match(s->target, f) || ui_match(s->ident, f))
			return 1;
	return 0;
}

static void
stream_row(struct rows *out, const struct vstream *s, int last,
    const struct panel_state *ps)
{
	struct buf b;
	const char *cell;
	char age[16];

	buf_init(&b);
	/* Who first (the circuit row names them all), then where to. */
	buf_printf(&b, "  %s %" PRIu64 " %-9s %s", last ? "`-" : "|-", s->id,
	    s->status, s->ident);
	if (s->process != NULL)
		buf_printf(&b, "  %s[%ld]", s->process, s->pid);
	buf_printf(&b, "  %s", s->target ? s->target : "?");
	if (s->listener != NULL)
		buf_printf(&b, "  via %s", s->listener);
	if (s->closed == 0) {
		ui_age(ps->now - s->opened, age, sizeof age);
		buf_printf(&b, "  %s", age);
	}
	cell = buf_cstr(&b);
	rows_add(out, ROW_STREAM, s->id, ROW_SPAN |
	    (s->closed != 0 ? ROW_CLOSED : 0), &cell, 1);
	buf_free(&b);
}

static void
streams_rows(struct rows *out, const struct vstream *list,
    const struct panel_state *ps)
{
	const struct vstream *s;

	for (s = list; s != NULL; s = s->next)
		stream_row(out, s, s->next == NULL, ps);
}

static void
detail_add(struct rows *out, uint64_t id, const char *text)
{
	rows_add(out, ROW_DETAIL, id, ROW_SPAN, &text, 1);
}

/* Text under a hop's nickname, wrapped at the width. */
static void
detail_wrapped(struct rows *out, uint64_t id, const char *p, int width)
{
	size_t len = strlen(p), n, room = width > 40 ? (size_t)width - 13 : 60;
	struct buf line;

	buf_init(&line);
	while (len > 0) {
		n = ui_wrap(p, len, room);
		buf_reset(&line);
		buf_printf(&line, "%12s %.*s", "", (int)n, p);
		detail_add(out, id, buf_cstr(&line));
		p += n;
		len -= n;
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
	}
	buf_free(&line);
}

/* A hop's role on its path: the first is the guard, the last the exit
 * (of a circuit to the Internet; else "last"), the others middles. */
static const char *
hop_role(const struct vcirc *c, size_t i)
{
	if (i == 0)
		return "guard";
	if (i + 1 == c->npath && c->path_more == 0)
		return c->onion[0] == '\0' && strncmp(c->purpose, "HS_", 3) != 0 ?
		    "exit" : "last";
	return "middle";
}

/*
 * The details of a circuit (Enter): its whole path, each hop with its
 * nickname and fingerprint, then what Tor said of it (ns/id: address,
 * flags; ip-to-country: country, when Tor has a GeoIP database).
 */
static void
circ_details(struct rows *out, const struct view *v, const struct vcirc *c,
    const struct panel_state *ps)
{
	const struct vrelay *r;
	struct buf b;
	char when[16];
	size_t i;

	buf_init(&b);
	ui_clock(c->created, when, sizeof when);
	buf_printf(&b, "    circuit %" PRIu64 ": %s, %s, created %s",
	    c->id, c->closed ? "CLOSED" : c->status, c->purpose[0] ?
	    c->purpose : "purpose unknown", when);
	if (c->conflux[0] != '\0')
		buf_printf(&b, ", conflux set %s", c->conflux);
	detail_add(out, c->id, buf_cstr(&b));
	if (c->npath == 0)
		detail_add(out, c->id, "    (Tor has not named its path yet)");
	for (i = 0; i < c->npath; i++) {
		const struct vhop *h = &c->path[i];

		buf_reset(&b);
		buf_printf(&b, "    %-7s %-19s $%s", hop_role(c, i),
		    h->nick[0] ? h->nick : "(no nickname)", h->fp[0] ? h->fp :
		    "(no fingerprint)");
		detail_add(out, c->id, buf_cstr(&b));
		buf_reset(&b);
		r = h->fp[0] ? view_relay_find(v, h->fp) : NULL;
		if (r == NULL || r->state == VRELAY_ASKED)
			buf_adds(&b, v->attached ? "(asking Tor)" :
			    "(not attached to Tor)");
		else if (r->state == VRELAY_UNKNOWN)
			buf_adds(&b, "(not in Tor's consensus)");
		else {
			buf_printf(&b, "%s:%u  %s", r->address, r->orport,
			    r->flags[0] ? r->flags : "(no flags)");
			if (r->country[0] != '\0')
				buf_printf(&b, "  country %s", r->country);
		}
		detail_wrapped(out, c->id, buf_cstr(&b), ps->width);
	}
	if (c->path_more > 0) {
		buf_reset(&b);
		buf_printf(&b, "    and %zu more hop%s", c->path_more,
		    c->path_more == 1 ? "" : "s");
		detail_add(out, c->id, buf_cstr(&b));
	}
	buf_free(&b);
}

/* A circuit's row, its details when open, then its streams unless it is
 * folded. */
static void
circ_row(struct rows *out, const struct view *v, const struct vcirc *c,
    int shared, const struct panel_state *ps, struct buf *apps,
    struct buf *exit)
{
	int flags = 0, folded = ps->folded != NULL &&
	    idmap_get(ps->folded, c->id) != NULL;
	char sid[24], age[16], conflux[12];
	const char *cells[8];
	size_t k;

	buf_reset(apps);
	for (k = 0; k < c->nidents; k++) {
		if (k > 0)
			buf_adds(apps, ", ");
		buf_adds(apps, c->idents[k]);
	}
	if (c->more_idents > 0)
		buf_printf(apps, ", +%zu more", c->more_idents);
	/* An onion service's circuit: which (as LogTargets allows). */
	if (c->onion[0] != '\0')
		buf_printf(apps, "%s%s %s", c->nidents > 0 ? "  " : "",
		    c->service ? "service" : "onion", c->onion);
	if (apps->len == 0)
		buf_adds(apps, "-");
	buf_reset(exit);
	if (c->exit_fp[0] != '\0')
		buf_printf(exit, "%s%s$%.8s", c->exit_nick,
		    c->exit_nick[0] ? " " : "", c->exit_fp);
	else
		buf_adds(exit, "-");
	snprintf(sid, sizeof sid, "%" PRIu64, c->id);
	ui_age((c->closed ? c->closed : ps->now) - c->created, age,
	    sizeof age);
	snprintf(conflux, sizeof conflux, "%.8s",
	    c->conflux[0] ? c->conflux : "-");
	if (shared)
		flags |= ROW_SHARED;
	if (c->closed != 0)
		flags |= ROW_CLOSED;
	if (folded && c->streams != NULL)
		flags |= ROW_FOLDED;
	cells[0] = shared ? "!!" : folded && c->streams ? "+" : "";
	cells[1] = sid;
	cells[2] = c->closed ? "CLOSED" : c->status;
	cells[3] = age;
	cells[4] = purpose_shown(c->purpose);
	cells[5] = buf_cstr(exit);
	cells[6] = conflux;
	cells[7] = buf_cstr(apps);
	rows_add(out, ROW_CIRC, c->id, flags, cells, 8);
	if (ps->open_circ == c->id)
		circ_details(out, v, c, ps);
	if (!folded)
		streams_rows(out, c->streams, ps);
}

/* A local onion service's circuit: shown under its service. */
static int
is_service_circ(const struct view *v, const struct vcirc *c)
{
	return c->service && c->onion[0] != '\0' &&
	    view_service_find(v, c->onion) != NULL;
}

/*
 * The local onion services: a line each (rendezvous circuits: clients
 * served; open now; the last one), their open circuits under it.
 */
static size_t
services_rows(const struct view *v, const struct panel_state *ps,
    struct citem *items, size_t n, struct rows *out, struct buf *apps,
    struct buf *exit)
{
	const char *cells[1];
	struct buf b;
	char age[16];
	size_t i, k, shown = 0;
	int all = ps->filter == NULL || ps->filter[0] == '\0';

	buf_init(&b);
	for (k = 0; k < v->nservices; k++) {
		const struct vservice *sv = &v->services[k];
		int any = 0;

		for (i = 0; i < n; i++)
			if (strcmp(items[i].c->onion, sv->name) == 0)
				any = 1;
		if (!any && !all && !ui_match(sv->name, ps->filter))
			continue;
		buf_reset(&b);
		buf_printf(&b, "onion service %s (%s): %u rendezvous "
		    "circuit%s (clients served), %u open", sv->name,
		    strcmp(sv->source, "circuits") == 0 ? "seen on its circuits" :
		    strcmp(sv->source, "detached") == 0 ? "ADD_ONION, detached" :
		    "ADD_ONION", sv->rend_total, sv->rend_total == 1 ? "" : "s",
		    sv->rend_open);
		if (sv->last_rend != 0) {
			ui_age(ps->now - sv->last_rend, age, sizeof age);
			buf_printf(&b, ", last %s ago", age);
		}
		buf_printf(&b, ", %u intro", sv->intro_open);
		cells[0] = buf_cstr(&b);
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
		shown++;
		for (i = 0; i < n; i++)
			if (strcmp(items[i].c->onion, sv->name) == 0)
				circ_row(out, v, items[i].c, 0, ps, apps, exit);
	}
	buf_free(&b);
	return shown;
}

static void
build(const struct view *v, const struct panel_state *ps, struct rows *out)
{
	struct citem *items, *svc;
	size_t n = 0, nsvc = 0, pos = 0, i;
	uint64_t id;
	void *p;
	struct buf apps, exit;
	const char *cells[8];

	items = xcalloc(v->circs.n + 1, sizeof *items);
	svc = xcalloc(v->circs.n + 1, sizeof *svc);
	while (idmap_next(&v->circs, &pos, &id, &p)) {
		const struct vcirc *c = p;

		if (!circ_matches(c, ps->filter))
			continue;
		if (is_service_circ(v, c)) {
			svc[nsvc++].c = c;
			continue;
		}
		items[n].c = c;
		items[n].shared = view_circ_shared(v, c);
		n++;
	}
	sort_mode = ps->sort;
	qsort(items, n, sizeof *items, cmp_items);
	qsort(svc, nsvc, sizeof *svc, cmp_items);

	if (v->unattached != NULL && (ps->filter == NULL ||
	    ps->filter[0] == '\0')) {
		cells[0] = "(streams not on a circuit yet)";
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
		streams_rows(out, v->unattached, ps);
	}
	buf_init(&apps);
	buf_init(&exit);
	for (i = 0; i < n; i++)
		circ_row(out, v, items[i].c, items[i].shared, ps, &apps,
		    &exit);
	nsvc = services_rows(v, ps, svc, nsvc, out, &apps, &exit);
	/* (With a filter, the streams not on a circuit are not shown.) */
	if (n == 0 && nsvc == 0 && (v->unattached == NULL ||
	    (ps->filter != NULL && ps->filter[0] != '\0'))) {
		cells[0] = ps->filter && ps->filter[0] ?
		    "(no circuit matches the filter)" : v->attached ?
		    "(no circuits yet)" : "(not attached to Tor)";
		rows_add(out, ROW_NOTE, 0, ROW_SPAN, cells, 1);
	}
	buf_free(&apps);
	buf_free(&exit);
	free(items);
	free(svc);
}

const struct panel panel_circuits = {
	"Circuits", cols, sizeof cols / sizeof cols[0],
	sorts, sizeof sorts / sizeof sorts[0], build
};
