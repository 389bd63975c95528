/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* utf8.h: the one UTF-8 validator. */
#ifndef ISOAUDIT_UTF8_H
#define ISOAUDIT_UTF8_H

#include <stddef.h>

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence that starts p[0..n),
 * or 0 when it is not one: overlong forms, surrogates, code points past
 * U+10FFFF and cut sequences are not.  n must be at least 1.
 */
static inline size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo, hi;
	size_t want, k;

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c >= 0xf5)
		return 0;
	want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
	hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
	if (n < want || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < want; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return want;
}

#endif
