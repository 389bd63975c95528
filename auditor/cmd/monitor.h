/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * monitor.h: the live pipeline on one libevent loop: the control
 * connection, the store, Retention, SIGINT/SIGTERM, --duration and
 * --exit-after-events.  `isoaudit monitor` runs it headless; the dashboard
 * runs the same one with a viewer and its own events on the same loop.
 */
#ifndef ISOAUDIT_MONITOR_H
#define ISOAUDIT_MONITOR_H

#include <stdio.h>

struct ctl;
struct event_base;
struct opts;
struct pipeline;
struct pipeline_observer;
struct reply;
struct store;

struct monitor_setup {
	FILE		*out;		/* the event lines, or NULL */
	const struct pipeline_observer *observer;	/* or NULL */
	const char	*events;	/* more SETEVENTS, or NULL */
	int		 reload;	/* SIGHUP reloads the config */
	/* Every reply from Tor, after the pipeline has seen it. */
	void		(*reply)(const struct reply *, void *);
	/* The first connection failed: the message, once. */
	void		(*fatal)(const char *, void *);
	void		*arg;
};

struct monitor;

/* Opens the store (and transcript); returns NULL with the exit status in
 * *status after reporting why. */
struct monitor *monitor_open(struct opts *, const struct monitor_setup *,
	    int *);
struct event_base *monitor_base(struct monitor *);
struct ctl	*monitor_ctl(struct monitor *);
/* The privilege it lacks to name other users' programs, briefly, or NULL. */
const char	*monitor_privilege(const struct monitor *);
struct store	*monitor_store(struct monitor *);
struct pipeline	*monitor_pipeline(struct monitor *);
/* Connects and runs the loop until stopped; returns the exit status. */
int	monitor_run(struct monitor *);
/* Ends the loop (from a callback) with status. */
void	monitor_stop(struct monitor *, int);
/* Ends the session, flushes and frees; takes NULL. */
void	monitor_close(struct monitor *);

#endif
