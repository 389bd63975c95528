/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * monitor_hold.h: the gateway's bounded wait for an agent's record.  A
 * STREAM NEW from an agent's host whose record is not in yet is held (and
 * every reply after it, so the pipeline sees Tor's order) until the record
 * comes or AGENT_GW_WAIT_US has passed; the loop never blocks meanwhile.
 */
#ifndef ISOAUDIT_MONITOR_HOLD_H
#define ISOAUDIT_MONITOR_HOLD_H

struct agent_gw;
struct event_base;
struct reply;

struct mon_hold;

/* Returns a new hold passing replies on to fn(r, arg); never NULL. */
struct mon_hold *mon_hold_new(struct event_base *, struct agent_gw *,
	    void (*)(const struct reply *, void *), void *);
/* Passes r on now, or holds a copy. */
void	mon_hold_reply(struct mon_hold *, const struct reply *);
/* A record came: passes on what no longer waits. */
void	mon_hold_kick(void *);
/* Passes everything on now (a session begins or ends, a line that is no
 * reply): Tor's order kept; takes NULL. */
void	mon_hold_flush(struct mon_hold *);
/* Passes everything on (stopping); then frees; takes NULL. */
void	mon_hold_free(struct mon_hold *);

#endif
