/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* buf.c: growable byte buffer, JSON string and printable escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"
#include "swar.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_reserve(struct buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xreallocarray(b->p, b->cap, 1);
}

void
buf_add_u64(struct buf *b, uint64_t v)
{
	/* "00" to "99": two digits a division. */
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	char tmp[20];
	size_t n = 0;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		n += 2;
		memcpy(tmp + sizeof tmp - n, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		n += 2;
		memcpy(tmp + sizeof tmp - n, pairs + 2 * v, 2);
	} else
		tmp[sizeof tmp - ++n] = (char)('0' + v);
	buf_add(b, tmp + sizeof tmp - n, n);
}

void
buf_add_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addc(b, '-');
		/* -(v + 1) + 1: INT64_MIN has no positive twin. */
		buf_add_u64(b, (uint64_t)-(v + 1) + 1);
	} else
		buf_add_u64(b, (uint64_t)v);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	/* Formatted once when it fits in what is left, else twice. */
	buf_reserve(b, 0);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

/*
 * The bytes of w the escapers below must look at one by one: below 0x20,
 * above 0x7e, a backslash, and with quote a double quote.  Long runs of
 * plain text are copied 8 bytes a step instead of a byte.
 */
static inline uint64_t
word_special(uint64_t w, int quote)
{
	return swar_lt(w, 0x20) | swar_gt(w, 0x7e) | swar_eq(w, '\\') |
	    (quote ? swar_eq(w, '"') : 0);
}

/*
 * Bytes the escapers look at: 1 for buf_escape (controls, DEL, bytes
 * >= 0x80, backslash), 2 for JSON (the same and the double quote).
 */
static const unsigned char esc_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* The index of the first byte of s[i..n) that may need escaping. */
static inline size_t
plain_run(const unsigned char *u, size_t i, size_t n, int quote)
{
	uint64_t m;

	for (; SWAR_OK && i + 8 <= n; i += 8)
		if ((m = word_special(swar_load(u + i), quote)) != 0)
			return i + swar_first(m);
	for (; i < n; i++)
		if (esc_class[u[i]] & (quote ? 2 : 1))
			break;
	return i;
}

void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	if (b->len + n + 3 > b->cap)
		buf_reserve(b, n + 2);
	buf_addc(b, '"');
	while ((i = plain_run(u, i, n, 1)) < n) {
		unsigned char c = u[i];

		if (c >= 0x80) {
			/*
			 * Bytes >= 0x80 that are not well-formed UTF-8 would
			 * make invalid JSON: pass valid sequences through,
			 * escape stray bytes as the Latin-1 code point.
			 */
			size_t want = utf8_len(u + i, n - i);

			if (want == 2 && c == 0xc2 && u[i + 1] < 0xa0) {
				/* U+0080..U+009F: C1 controls (CSI is one)
				 * must not reach a terminal raw. */
				buf_add(b, s + run, i - run);
				buf_adds(b, "\\u00");
				buf_addc(b, hex[u[i + 1] >> 4]);
				buf_addc(b, hex[u[i + 1] & 15]);
				i += 2;
				run = i;
				continue;
			}
			if (want) {
				i += want;
				continue;
			}
		}
		buf_add(b, s + run, i - run);
		run = ++i;
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			buf_add(b, "\\u00", 4);
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

void
buf_json_strz(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		buf_json_str(b, s, strlen(s));
}

void
buf_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	while ((i = plain_run(u, i, n, 0)) < n) {
		unsigned char c = u[i];

		buf_add(b, s + run, i - run);
		run = ++i;
		switch (c) {
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			buf_add(b, "\\x", 2);
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	buf_add(b, s + run, n - run);
}

size_t
words_len(const char *s, size_t n, unsigned words)
{
	size_t i = 0;

	while (words-- > 0 && i < n) {
		if (i > 0)
			i++;
		while (i < n && s[i] != ' ')
			i++;
	}
	return i;
}

char *
escape_dup(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_escape(&b, s, n);
	buf_cstr(&b);
	return b.p;
}

void
buf_quote(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\%03o", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}
