/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_circ.c: the rules about exit circuits, when a stream is attached:
 * SHARED_CIRCUIT, CONTROLLER_ATTACH, NYM_EPOCH_REUSE and SHARED_EXIT.
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

/* The entry of s's identity among circuit c's users, or NULL. */
static struct jcuser *
circ_user(struct jcirc *c, const struct jstream *s)
{
	size_t i;

	for (i = 0; i < c->nusers; i++)
		if (c->users[i].ihash == s->ihash &&
		    strcmp(c->users[i].head->ident, s->ident) == 0)
			return &c->users[i];
	return NULL;
}

/* s, open, is attached to c: first on its identity's list there. */
static void
circ_enter(struct jcirc *c, struct jstream *s)
{
	struct jcuser *u = circ_user(c, s);

	if (u == NULL) {
		c->users = xreallocarray(c->users, c->nusers + 1,
		    sizeof *c->users);
		u = &c->users[c->nusers++];
		u->ihash = s->ihash;
		u->head = NULL;
		u->open = 0;
	}
	s->cprev = NULL;
	s->cnext = u->head;
	if (u->head != NULL)
		u->head->cprev = s;
	u->head = s;
	u->open++;
}

void
judge_circ_leave(struct judge *j, struct jstream *s)
{
	struct jcirc *c;
	struct jcuser *u;

	if (s->circ == 0 || s->unattributed ||
	    (c = idmap_get(&j->circs, s->circ)) == NULL ||
	    (u = circ_user(c, s)) == NULL)
		return;
	if (s->cprev != NULL)
		s->cprev->cnext = s->cnext;
	else if (u->head == s)
		u->head = s->cnext;
	else
		return;		/* not on the list: never entered */
	if (s->cnext != NULL)
		s->cnext->cprev = s->cprev;
	s->cprev = s->cnext = NULL;
	if (--u->open == 0)
		*u = c->users[--c->nusers];
}

/*
 * SHARED_EXIT: another identity on the same exit relay, other circuit.
 * Looks at the circuits open to that exit and their users (identities
 * with open streams), never at every open stream: a flood of streams
 * costs each attach the circuits at its exit, not the streams.
 */
static void
rule_shared_exit(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jcirc *c = idmap_get(&j->circs, s->circ), *oc;
	const uint64_t *circs;
	size_t n, i, k;

	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only circuits of c's key end there: no stream to look at. */
	if (judge_fp_keys(j, c->exit_fp) == 1)
		return;
	circs = judge_fp_circs(j, c->exit_fp, &n);
	for (i = 0; i < n; i++) {
		/* The circuits' keys now: a leg moves to its conflux set's
		 * key when CONFLUX_ID comes after streams were attached. */
		if ((oc = idmap_get(&j->circs, circs[i])) == NULL ||
		    oc->key == c->key)
			continue;
		for (k = 0; k < oc->nusers; k++) {
			/* Its latest open stream speaks for it. */
			const struct jstream *o = oc->users[k].head;
			struct jocc *f;
			struct buf d;
			int is_new;

			if (o->ihash == s->ihash &&
			    strcmp(o->ident, s->ident) == 0)
				continue;
			f = judge_occ(j, RULE_SHARED_EXIT, 0, "", c->exit_fp,
			    o->ident, s->ident, ts, &is_new);
			/* One occurrence a Tor session, on that exit. */
			memcpy(f->exit_fp, c->exit_fp, sizeof f->exit_fp);
			judge_occ_who(f, o->label, o->id, o->pid, o->process,
			    o->claim);
			judge_occ_who(f, s->label, s->id, s->pid, s->process,
			    s->claim);
			buf_init(&d);
			buf_adds(&d, o->ident);
			buf_adds(&d, " and ");
			buf_adds(&d, s->ident);
			buf_adds(&d, " used exit ");
			buf_adds(&d, c->exit_nick);
			buf_adds(&d, " $");
			buf_add(&d, c->exit_fp, strnlen(c->exit_fp, 8));
			buf_adds(&d, " at the same time, on circuits ");
			buf_add_u64(&d, circs[i]);
			buf_adds(&d, " and ");
			buf_add_u64(&d, s->circ);
			judge_emit(j, f, buf_cstr(&d), is_new);
			buf_free(&d);
			return;
		}
	}
}

/* CONTROLLER_ATTACH: Tor's own rule would have refused s on circ (why). */
static void
rule_controller_attach(struct judge *j, const struct jstream *s,
    const struct jstream *first, uint64_t circ, const char *why, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_CONTROLLER_ATTACH, circ, "", NULL, first->ident,
	    s->ident, ts, &is_new);
	judge_occ_who(f, first->label, first->id, first->pid, first->process,
	    first->claim);
	judge_occ_who(f, s->label, s->id, s->pid, s->process, s->claim);
	buf_init(&d);
	buf_printf(&d, "stream %" PRIu64 " of %s is on ", s->id, s->ident);
	judge_describe_circ(j, &d, circ);
	buf_printf(&d, ", which Tor's own isolation would have refused it "
	    "(its %s differs from the circuit's first stream, of %s): a "
	    "controller attached it", why, first->ident);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/* NYM_EPOCH_REUSE: s, of a later epoch, on a circuit first used before. */
static void
rule_nym_epoch(struct judge *j, const struct jstream *s,
    const struct jstream *first, uint64_t circ, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_NYM_EPOCH_REUSE, circ, "", NULL, s->ident, NULL,
	    ts, &is_new);
	judge_list_add(&f->cause->apps, s->label);
	judge_occ_stream(f, s->id);
	judge_occ_proc(f, s->pid, s->process, s->claim);
	buf_init(&d);
	buf_printf(&d, "stream %" PRIu64 " of %s (nym epoch %" PRIu64 ") is "
	    "on ", s->id, s->ident, s->epoch);
	judge_describe_circ(j, &d, circ);
	buf_printf(&d, ", first used in epoch %" PRIu64 ": NEWNYM did not "
	    "separate it from earlier activity", first->epoch);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/* SHARED_CIRCUIT: another application already on this exit circuit. */
static void
rule_shared_circuit(struct judge *j, const struct jstream *s,
    const struct jexit *e, uint64_t circ, int64_t ts)
{
	size_t i;

	for (i = 0; i < e->nusers; i++) {
		const struct juser *u = &e->users[i];
		struct jocc *f;
		struct buf d;
		int is_new;

		if (u->ihash == s->ihash && strcmp(u->ident, s->ident) == 0)
			continue;
		f = judge_occ(j, RULE_SHARED_CIRCUIT, circ, "", NULL,
		    u->ident, s->ident, ts, &is_new);
		judge_occ_who(f, u->label, u->stream, u->pid, u->process,
		    u->claim);
		judge_occ_who(f, s->label, s->id, s->pid, s->process, s->claim);
		buf_init(&d);
		buf_adds(&d, u->ident);
		buf_adds(&d, " and ");
		buf_adds(&d, s->ident);
		buf_adds(&d, " shared exit ");
		judge_describe_circ(j, &d, circ);
		buf_adds(&d, ": the exit can link them to one pseudonym");
		judge_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
}

/* Remembers s's application among the exit key's users (once). */
static void
exit_add_user(struct jexit *e, const struct jstream *s)
{
	size_t i;

	for (i = 0; i < e->nusers; i++)
		if (e->users[i].ihash == s->ihash &&
		    strcmp(e->users[i].ident, s->ident) == 0)
			return;
	e->users = xreallocarray(e->users, e->nusers + 1, sizeof *e->users);
	e->users[e->nusers].ident = xstrdup(s->ident);
	e->users[e->nusers].ihash = s->ihash;
	e->users[e->nusers].label = xstrdup(s->label);
	e->users[e->nusers].pid = s->pid;
	e->users[e->nusers].process = xstrdup_or_null(s->process);
	e->users[e->nusers].claim = xstrdup_or_null(s->claim);
	e->users[e->nusers].stream = s->id;
	e->nusers++;
}

void
judge_attach(struct judge *j, uint64_t stream, uint64_t circ, int64_t ts)
{
	struct jstream *s = idmap_get(&j->streams, stream);
	struct jcirc *c;
	struct jexit *e;
	const char *why;

	if (s == NULL || circ == 0 || s->circ == circ)
		return;
	judge_circ_leave(j, s);
	c = judge_circ_get(j, circ);
	s->circ = circ;
	s->key = c->key;
	if (s->unattributed)
		return;
	e = idmap_get(&j->exits, c->key);
	if (e->first == NULL)
		e->first = judge_jstream_clone(s);
	else if ((why = judge_isolation_refuses(s, e->first)) != NULL)
		rule_controller_attach(j, s, e->first, circ, why, ts);
	if (s->epoch > e->first->epoch)
		rule_nym_epoch(j, s, e->first, circ, ts);
	rule_shared_circuit(j, s, e, circ, ts);
	exit_add_user(e, s);
	rule_shared_exit(j, s, ts);
	circ_enter(c, s);
}

void
judge_restore_attach(struct judge *j, uint64_t stream, uint64_t circ,
    int64_t ts)
{
	struct jstream *s = idmap_get(&j->streams, stream);
	const struct jstream *o;
	struct jcirc *c;
	struct jcuser *u;

	if (s == NULL || circ == 0)
		return;
	/* On the circuit's list already (attached after it came back). */
	if (s->circ == circ && (c = idmap_get(&j->circs, circ)) != NULL &&
	    (u = circ_user(c, s)) != NULL)
		for (o = u->head; o != NULL; o = o->cnext)
			if (o == s)
				return;
	judge_circ_leave(j, s);
	s->circ = 0;
	judge_attach(j, stream, circ, ts);
}
