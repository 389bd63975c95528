/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fnv.h: FNV-1a, the 64-bit hash of bytes used by isoaudit's in-memory
 * indexes and caches (never stored: nothing outside a run depends on it).
 */
#ifndef ISOAUDIT_FNV_H
#define ISOAUDIT_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET	1469598103934665603ULL
#define FNV_PRIME	1099511628211ULL

/* h (FNV_OFFSET to start) with the n bytes at p added. */
static inline uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *u = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ u[i]) * FNV_PRIME;
	return h;
}

/* The same with the bytes of a NUL-terminated string. */
static inline uint64_t
fnv1a_str(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

#endif
