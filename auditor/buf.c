/* buf.c: growable byte buffer, JSON string and printable escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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

static void
buf_grow(struct buf *b, size_t more)
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
buf_add(struct buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *
buf_cstr(struct buf *b)
{
	buf_grow(b, 0);
	b->p[b->len] = '\0';
	return b->p;
}

void
buf_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, run = 0;

	buf_grow(b, n + 2);
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f)
			continue;
		if (c >= 0x80) {
			/*
			 * Bytes >= 0x80 that are not well-formed UTF-8 would
			 * make invalid JSON: pass valid sequences through,
			 * escape stray bytes as the Latin-1 code point.  The
			 * second byte's range rules out overlong forms,
			 * surrogates and code points past U+10FFFF.
			 */
			size_t k, want = c >= 0xf0 && c < 0xf5 ? 3 :
			    c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
			unsigned char lo = c == 0xe0 ? 0xa0 :
			    c == 0xf0 ? 0x90 : 0x80;
			unsigned char hi = c == 0xed ? 0x9f :
			    c == 0xf4 ? 0x8f : 0xbf;

			if (c >= 0xf5)
				want = 0;
			if (want && (i + 1 >= n || u[i + 1] < lo ||
			    u[i + 1] > hi))
				want = 0;
			for (k = 2; want && k <= want; k++)
				if (i + k >= n || (u[i + k] & 0xc0) != 0x80)
					want = 0;
			if (want == 1 && c == 0xc2 && u[i + 1] < 0xa0) {
				/* U+0080..U+009F: C1 controls (CSI is one)
				 * must not reach a terminal raw. */
				buf_add(b, s + run, i - run);
				buf_adds(b, "\\u00");
				buf_addc(b, hex[u[i + 1] >> 4]);
				buf_addc(b, hex[u[i + 1] & 15]);
				i++;
				run = i + 1;
				continue;
			}
			if (want) {
				i += want;
				continue;
			}
		}
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			buf_adds(b, "\\u00");
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
	size_t i;

	buf_grow(b, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf_addc(b, (char)c);
			continue;
		}
		switch (c) {
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			buf_adds(b, "\\x");
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
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
