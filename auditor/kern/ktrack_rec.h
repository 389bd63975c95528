/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * ktrack_rec.h: one record of the connect tracker, as the kernel half
 * (ktrack.bpf.c) writes it into the ring buffer and ktrack_bpf.c reads it.
 * Addresses in network order (IPv4 in the first 4 bytes), ports in host
 * order.  A UDP record is a socket's first datagram to a watched port
 * (a DNS query).
 */
#ifndef ISOAUDIT_KTRACK_REC_H
#define ISOAUDIT_KTRACK_REC_H

struct ktrack_rec {
	unsigned char	saddr[16];
	unsigned char	daddr[16];
	unsigned short	family;		/* AF_INET, AF_INET6 */
	unsigned short	sport;
	unsigned short	dport;
	unsigned short	proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	unsigned int	tgid;
	unsigned int	pid;
	unsigned int	uid;
	char		comm[16];
	char		exe[256];	/* as exec'd (absolute, else ""): see
					   ktrack.bpf.c's "execs" */
};

#endif
