/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ktrack.h: the connect tracker's userspace half: loads the kernel half
 * (ktrack.bpf.c, through its bpftool skeleton) and moves the records of
 * its ring buffer into a ktable, each with the executable of its process
 * read from /proc/PID/exe while it is still there.  Only connects of the
 * caller's own network namespace are recorded, with pids as the caller's
 * pid namespace numbers them.  The caller polls the
 * ring buffer when ktrack_fd() is readable (monitor's libevent loop).
 */
#ifndef ISOAUDIT_KTRACK_H
#define ISOAUDIT_KTRACK_H

struct ktable;
struct ktable_rec;
struct ktrack;

/* Called with each record as it enters the table (the agent sends it). */
typedef void (*ktrack_sink_cb)(const struct ktable_rec *, void *);

/*
 * Loads and attaches the tracker, feeding table (borrowed); procdir is
 * "/proc".  NULL, with the reason in *cause (allocated, one line: no
 * privilege, no BTF, a kernel too old, built without it), where it cannot.
 */
struct ktrack *ktrack_open(struct ktable *, const char *, char **);
/* Also hands each new record to cb (NULL: none). */
void	ktrack_set_sink(struct ktrack *, ktrack_sink_cb, void *);
/*
 * Whether DNS queries are recorded too (UDP: a socket's first datagram to
 * a watched port; 53 is watched from the start), and another port to
 * watch (Tor's DNSPorts; at most 64).
 */
int	ktrack_udp(const struct ktrack *);
void	ktrack_watch_udp(struct ktrack *, unsigned);
/* The descriptor that becomes readable when records are waiting. */
int	ktrack_fd(const struct ktrack *);
/* Moves the waiting records into the table; returns how many. */
int	ktrack_poll(struct ktrack *);
/* Detaches and frees; takes NULL. */
void	ktrack_close(struct ktrack *);

#endif
