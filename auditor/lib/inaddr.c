/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * inaddr.c: IPv4-mapped IPv6 addresses (inaddr.h).
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <string.h>

#include "inaddr.h"

int
inaddr_is_mapped(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	return memcmp(a, mapped, sizeof mapped) == 0;
}

int
inaddr_unmap(int *family, unsigned char *a)
{
	if (*family != AF_INET6 || !inaddr_is_mapped(a))
		return 0;
	memmove(a, a + 12, 4);
	memset(a + 4, 0, 12);
	*family = AF_INET;
	return 1;
}
