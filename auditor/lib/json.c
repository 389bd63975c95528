/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json.c: the one JSON reader (json.h): strict RFC 8259, in place, no I/O.
 *
 * The findings' lists are stored as JSON text; the report emits such a
 * list verbatim only when it is exactly one well-formed JSON array, and
 * the report and the dashboard show it to a person element by element.
 */
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "utf8.h"

void
json_ws(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	*pp = p;
}

static int
json_hex4(const char *p, const char *end, unsigned *v)
{
	int i;

	if (end - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Skips the string at *pp.  Returns 0, or -1 leaving *pp. */
static int
json_skip_string(const char **pp, const char *end)
{
	const char *p = *pp;
	unsigned v;
	size_t n;

	if (p >= end || *p != '"')
		return -1;
	for (p++; p < end; ) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*pp = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (p + 1 >= end)
				return -1;
			if (p[1] == 'u') {
				if (json_hex4(p + 2, end, &v) == -1)
					return -1;
				p += 6;
			} else if (strchr("\"\\/bfnrt", p[1]) != NULL &&
			    p[1] != '\0')
				p += 2;
			else
				return -1;
			continue;
		}
		if ((n = utf8_len((const unsigned char *)p,
		    (size_t)(end - p))) == 0)
			return -1;
		p += n;
	}
	return -1;
}

static int
json_digits(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == *pp)
		return -1;
	*pp = p;
	return 0;
}

static int
json_skip_number(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (json_digits(&p, end) == -1)
		return -1;
	if (p < end && *p == '.') {
		p++;
		if (json_digits(&p, end) == -1)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (json_digits(&p, end) == -1)
			return -1;
	}
	*pp = p;
	return 0;
}

static int
json_skip_literal(const char **pp, const char *end)
{
	static const char *const lits[] = { "true", "false", "null" };
	const char *p = *pp;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(lits[i]);
		if ((size_t)(end - p) >= n && memcmp(p, lits[i], n) == 0) {
			*pp = p + n;
			return 0;
		}
	}
	return -1;
}

/*
 * Skips one value at *pp (no leading white space) with depth arrays and
 * objects around it.  Returns 0, or -1 (*pp then unchanged).
 */
static int
json_skip(const char **pp, const char *end, int depth)
{
	const char *p = *pp;
	char close;
	int first = 1;

	if (p >= end || depth > JSON_MAX_DEPTH)
		return -1;
	switch (*p) {
	case '"':
		return json_skip_string(pp, end);
	case 't':
	case 'f':
	case 'n':
		return json_skip_literal(pp, end);
	case '[':
	case '{':
		close = *p == '[' ? ']' : '}';
		for (p++;; first = 0) {
			json_ws(&p, end);
			if (p < end && *p == close && first) {
				*pp = p + 1;
				return 0;
			}
			if (close == '}') {
				if (json_skip_string(&p, end) == -1)
					return -1;
				json_ws(&p, end);
				if (p >= end || *p != ':')
					return -1;
				p++;
				json_ws(&p, end);
			}
			if (json_skip(&p, end, depth + 1) == -1)
				return -1;
			json_ws(&p, end);
			if (p < end && *p == close) {
				*pp = p + 1;
				return 0;
			}
			if (p >= end || *p != ',')
				return -1;
			p++;
		}
	default:
		return json_skip_number(pp, end);
	}
}

int
json_valid(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	json_ws(&p, end);
	if (json_skip(&p, end, 0) == -1)
		return 0;
	json_ws(&p, end);
	return p == end;
}

int
json_is_array(const char *s)
{
	const char *p = s;
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	json_ws(&p, s + n);
	if (p >= s + n || *p != '[')
		return 0;
	return json_valid(s, n);
}

void
json_iter_init(struct json_iter *it, const char *v, size_t n)
{
	it->p = v + 1;
	it->end = v + n;
	it->close = *v == '{' ? '}' : ']';
	it->first = 1;
}

int
json_iter_next(struct json_iter *it, const char **k, size_t *kn,
    const char **v, size_t *vn)
{
	const char *p = it->p;

	json_ws(&p, it->end);
	if (p >= it->end || *p == it->close)
		return 0;
	if (!it->first) {
		if (*p != ',')
			return 0;
		p++;
		json_ws(&p, it->end);
	}
	if (it->close == '}') {
		*k = p;
		if (json_skip_string(&p, it->end) == -1)
			return 0;
		*kn = (size_t)(p - *k);
		json_ws(&p, it->end);
		if (p >= it->end || *p != ':')
			return 0;
		p++;
		json_ws(&p, it->end);
	}
	*v = p;
	if (json_skip(&p, it->end, 0) == -1)
		return 0;
	*vn = (size_t)(p - *v);
	it->p = p;
	it->first = 0;
	return 1;
}

int
json_member(const char *v, size_t n, const char *key, const char **mv,
    size_t *mn)
{
	struct json_iter it;
	const char *k;
	size_t kn, klen = strlen(key);

	json_iter_init(&it, v, n);
	while (json_iter_next(&it, &k, &kn, mv, mn))
		if (kn == klen + 2 && memcmp(k + 1, key, klen) == 0)
			return 1;
	return 0;
}

/* Appends code point cp as UTF-8 (U+FFFD for NUL, a surrogate, too big). */
static void
utf8_put(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

void
json_unstring(struct buf *b, const char *s, size_t n)
{
	const char *p = s + 1, *end = s + n - 1;
	unsigned cp, lo;

	while (p < end) {
		if (*p != '\\') {
			buf_addc(b, *p++);
			continue;
		}
		switch (p[1]) {
		case 'b': buf_addc(b, '\b'); break;
		case 'f': buf_addc(b, '\f'); break;
		case 'n': buf_addc(b, '\n'); break;
		case 'r': buf_addc(b, '\r'); break;
		case 't': buf_addc(b, '\t'); break;
		case 'u':
			json_hex4(p + 2, end, &cp);
			p += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    json_hex4(p + 2, end, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			utf8_put(b, cp);
			continue;
		default: buf_addc(b, p[1]); break;
		}
		p += 2;
	}
}

/* Appends the element v[0..vn) of a list for a person (json_list_plain). */
static void
json_plain_element(struct buf *b, const char *v, size_t vn)
{
	const char *nv, *pv, *cv;
	size_t nn, pn, cn;
	int has_name, has_pid;

	if (*v == '"') {
		json_unstring(b, v, vn);
		return;
	}
	if (*v != '{') {
		buf_add(b, v, vn);
		return;
	}
	has_name = json_member(v, vn, "name", &nv, &nn);
	has_pid = json_member(v, vn, "pid", &pv, &pn);
	if (!has_name && !has_pid) {
		buf_add(b, v, vn);
		return;
	}
	if (has_name && *nv == '"')
		json_unstring(b, nv, nn);
	else
		buf_addc(b, '?');
	if (has_pid && *pv != 'n') {
		buf_addc(b, '[');
		buf_add(b, pv, pn);
		buf_addc(b, ']');
	}
	/* A workstation agent's claim, as the monitor's line shows it. */
	if (json_member(v, vn, "claim", &cv, &cn) && *cv == '"') {
		buf_adds(b, " (");
		json_unstring(b, cv, cn);
		buf_addc(b, ')');
	}
}

size_t
json_list_plain(struct buf *b, const char *s)
{
	struct json_iter it;
	const char *p = s, *end, *k, *v;
	size_t kn, vn, count = 0;

	if (s == NULL)
		return 0;
	end = s + strlen(s);
	json_ws(&p, end);
	if (p >= end || *p != '[')
		return 0;
	json_iter_init(&it, p, (size_t)(end - p));
	while (json_iter_next(&it, &k, &kn, &v, &vn)) {
		if (count++ > 0)
			buf_adds(b, ", ");
		json_plain_element(b, v, vn);
	}
	return count;
}
