/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * nsparse.c: a relay's router status and country, as Tor answers GETINFO
 * ns/id/FP and ip-to-country/IP (nsparse.h).  Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsparse.h"
#include "xmalloc.h"

#define NS_WORDS	8	/* the r line's fields */

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The r line's identity (27 characters of base64, 20 bytes) as hex. */
static int
identity_hex(const char *s, size_t len, char *hex)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char raw[21];
	unsigned acc = 0;
	size_t i, n = 0;
	int bits = 0, v;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len != 27)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < sizeof raw)
				raw[n++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (n != 20)
		return -1;
	for (i = 0; i < 20; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 0xf];
	}
	hex[40] = '\0';
	return 0;
}

/* An address as Tor writes it: IPv4 dotted, or IPv6 (hex, ':', '.'). */
static int
address_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= NS_ADDR)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == '.' || c == ':'))
			return 0;
	}
	return 1;
}

static int
port_parse(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* Splits a line into at most max words (pointers and lengths). */
static size_t
words(const char *s, size_t len, const char **w, size_t *wl, size_t max)
{
	size_t i = 0, n = 0, start;

	while (i < len && n < max) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && s[i] != ' ')
			i++;
		w[n] = s + start;
		wl[n] = i - start;
		n++;
	}
	return n;
}

static int
r_line(const char *s, size_t len, struct ns_router *out)
{
	const char *w[NS_WORDS];
	size_t wl[NS_WORDS], i;

	if (words(s, len, w, wl, NS_WORDS) < NS_WORDS)
		return -1;
	if (wl[0] == 0 || wl[0] >= NS_NICK)
		return -1;
	for (i = 0; i < wl[0]; i++)
		if (!is_alnum((unsigned char)w[0][i]))
			return -1;
	if (identity_hex(w[1], wl[1], out->fp) == -1)
		return -1;
	if (!address_ok(w[5], wl[5]) || port_parse(w[6], wl[6],
	    &out->orport) == -1 || port_parse(w[7], wl[7], &out->dirport) == -1)
		return -1;
	memcpy(out->nick, w[0], wl[0]);
	out->nick[wl[0]] = '\0';
	memcpy(out->address, w[5], wl[5]);
	out->address[wl[5]] = '\0';
	return 0;
}

/* The s line: words of letters and digits, as many as fit. */
static void
s_line(const char *s, size_t len, struct ns_router *out)
{
	size_t i = 0, start, k, n = 0;

	out->flags[0] = '\0';
	while (i < len) {
		while (i < len && s[i] == ' ')
			i++;
		start = i;
		while (i < len && s[i] != ' ')
			i++;
		if (i == start)
			continue;
		for (k = start; k < i; k++)
			if (!is_alnum((unsigned char)s[k]))
				break;
		if (k < i)
			continue;	/* not a flag: dropped */
		if (n + (n > 0) + (i - start) + 1 > sizeof out->flags)
			break;
		if (n > 0)
			out->flags[n++] = ' ';
		memcpy(out->flags + n, s + start, i - start);
		n += i - start;
		out->flags[n] = '\0';
	}
}

int
nsparse_router(const char *text, size_t len, struct ns_router *out,
    char **cause)
{
	const char *p = text, *end = text + len, *nl;
	int have_r = 0;
	size_t n;

	memset(out, 0, sizeof *out);
	if (text == NULL) {
		*cause = xstrdup("no router status");
		return -1;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl != NULL ? nl : end) - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= 2 && p[0] == 'r' && p[1] == ' ' && !have_r) {
			if (r_line(p + 2, n - 2, out) == -1) {
				memset(out, 0, sizeof *out);
				*cause = xstrdup("malformed r line in the "
				    "router status");
				return -1;
			}
			have_r = 1;
		} else if (n >= 2 && p[0] == 's' && p[1] == ' ' && have_r)
			s_line(p + 2, n - 2, out);
		p = nl != NULL ? nl + 1 : end;
	}
	if (!have_r) {
		memset(out, 0, sizeof *out);
		*cause = xstrdup("no r line in the router status");
		return -1;
	}
	return 0;
}

int
nsparse_country(const char *v, size_t len, char *cc)
{
	cc[0] = '\0';
	if (v == NULL || len != 2)
		return -1;
	if (!(v[0] >= 'a' && v[0] <= 'z') && !(v[0] >= 'A' && v[0] <= 'Z'))
		return -1;
	if (!(v[1] >= 'a' && v[1] <= 'z') && !(v[1] >= 'A' && v[1] <= 'Z'))
		return -1;
	cc[0] = (char)(v[0] | 0x20);
	cc[1] = (char)(v[1] | 0x20);
	cc[2] = '\0';
	return 0;
}
