/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * inaddr.h: an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
 * dual-stack socket shows for an IPv4 peer) as the IPv4 address Tor and
 * the Agent lines name.  Pure.
 */
#ifndef ISOAUDIT_INADDR_H
#define ISOAUDIT_INADDR_H

/* Whether the 16 bytes at a are an IPv4-mapped IPv6 address. */
int	inaddr_is_mapped(const unsigned char *a);
/*
 * If *family is AF_INET6 and the 16 bytes at a are IPv4-mapped, makes
 * them the IPv4 address (its 4 bytes first, the rest zero) and *family
 * AF_INET; returns 1 then, else 0 and leaves both alone.
 */
int	inaddr_unmap(int *family, unsigned char *a);

#endif
