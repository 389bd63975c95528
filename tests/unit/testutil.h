/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * testutil.h: helpers shared by the unit tests.  Everything is static (and
 * marked unused) so that each test file takes only what it needs without
 * warnings.  Include after <cmocka.h>'s prerequisites; this header includes
 * them itself.
 */
#ifndef ISOAUDIT_TESTUTIL_H
#define ISOAUDIT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reply.h"
#include <ftw.h>
#include <sys/stat.h>

static int
tu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree (like rm -rf); returns 0 or -1. */
static __attribute__((unused)) int
tu_rm_rf(const char *dir)
{
	return nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#define TU_UNUSED	__attribute__((unused))
#define TU_NELEM(a)	(sizeof (a) / sizeof (a)[0])

/* The capture files of tests/fixtures (copies of the shared samples). */
static const char *const tu_samples[] TU_UNUSED = {
	"01_ports_A_then_B.txt",
	"02_same_port_A_twice.txt",
	"04_sessiongroup42_D_and_E.txt",
	"06_protocols_socks4_http_unix.txt",
	"09_getinfo_tcp.txt",
};
#define TU_NSAMPLES	TU_NELEM(tu_samples)

/* $SAMPLES_DIR, or tests/fixtures (the tests run from the repo root). */
TU_UNUSED static const char *
tu_samples_dir(void)
{
	const char *d = getenv("SAMPLES_DIR");

	return d != NULL && *d != '\0' ? d : "tests/fixtures";
}

/* Reads a whole file (NUL added after it, not counted); fails the test. */
TU_UNUSED static char *
tu_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t len = 0, cap = 0, got;

	if (f == NULL)
		fail_msg("cannot open %s (set SAMPLES_DIR?)", path);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(p, cap);
			assert_non_null(p);
		}
		got = fread(p + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	p[len] = '\0';
	*lenp = len;
	return p;
}

TU_UNUSED static char *
tu_read_sample(const char *name, size_t *lenp)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", tu_samples_dir(), name);
	return tu_read_file(path, lenp);
}

/* --- collecting what a reply_parser produces ---------------------------- */

struct tu_err {
	char	*what;
	char	*bytes;
	size_t	 n;
};

struct tu_hooked {
	char	*s;
	size_t	 n;
	int64_t	 ts;
};

struct tu_coll {
	struct reply	*r;		/* deep copies */
	size_t		 n, cap;
	struct tu_err	*e;
	size_t		 nerr, errcap;
	struct tu_hooked *h;
	size_t		 nhook, hookcap;
};

TU_UNUSED static void *
tu_grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	p = realloc(p, *cap * size);
	assert_non_null(p);
	return p;
}

TU_UNUSED static char *
tu_memdup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Deep copy of a reply into *to. */
TU_UNUSED static void
tu_reply_copy(struct reply *to, const struct reply *r)
{
	size_t i;

	*to = *r;
	to->lines = calloc(r->nlines ? r->nlines : 1, sizeof *to->lines);
	assert_non_null(to->lines);
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];

		to->lines[i] = *l;
		assert_non_null(l->text);
		assert_int_equal(l->text[l->textlen], '\0');
		to->lines[i].text = tu_memdup(l->text, l->textlen);
		if (l->data != NULL) {
			assert_int_equal(l->data[l->datalen], '\0');
			to->lines[i].data = tu_memdup(l->data, l->datalen);
		}
	}
}

TU_UNUSED static void
tu_reply_free(struct reply *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++) {
		free(r->lines[i].text);
		free(r->lines[i].data);
	}
	free(r->lines);
	memset(r, 0, sizeof *r);
}

TU_UNUSED static void
tu_coll_reply(const struct reply *r, void *arg)
{
	struct tu_coll *c = arg;

	c->r = tu_grow(c->r, &c->cap, c->n, sizeof *c->r);
	tu_reply_copy(&c->r[c->n++], r);
}

TU_UNUSED static void
tu_coll_err(const char *what, const char *s, size_t n, void *arg)
{
	struct tu_coll *c = arg;
	struct tu_err *e;

	c->e = tu_grow(c->e, &c->errcap, c->nerr, sizeof *c->e);
	e = &c->e[c->nerr++];
	e->what = tu_memdup(what, strlen(what));
	e->bytes = tu_memdup(s, n);
	e->n = n;
}

TU_UNUSED static void
tu_coll_hook(const char *s, size_t n, int64_t ts, void *arg)
{
	struct tu_coll *c = arg;
	struct tu_hooked *h;

	c->h = tu_grow(c->h, &c->hookcap, c->nhook, sizeof *c->h);
	h = &c->h[c->nhook++];
	h->s = tu_memdup(s, n);
	h->n = n;
	h->ts = ts;
}

TU_UNUSED static void
tu_coll_free(struct tu_coll *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		tu_reply_free(&c->r[i]);
	for (i = 0; i < c->nerr; i++) {
		free(c->e[i].what);
		free(c->e[i].bytes);
	}
	for (i = 0; i < c->nhook; i++)
		free(c->h[i].s);
	free(c->r);
	free(c->e);
	free(c->h);
	memset(c, 0, sizeof *c);
}

/* A parser that fills c (errors too). */
TU_UNUSED static struct reply_parser *
tu_parser(struct tu_coll *c)
{
	memset(c, 0, sizeof *c);
	return reply_parser_new(tu_coll_reply, tu_coll_err, c);
}

/* Parses s[0..n) fed in one piece into c. */
TU_UNUSED static void
tu_parse_all(const char *s, size_t n, struct tu_coll *c)
{
	struct reply_parser *p = tu_parser(c);

	reply_parser_feed(p, s, n, 0);
	reply_parser_free(p);
}

/* Parses s[0..n) fed in pieces of step bytes into c. */
TU_UNUSED static void
tu_parse_chunked(const char *s, size_t n, size_t step, struct tu_coll *c)
{
	struct reply_parser *p = tu_parser(c);
	size_t i;

	for (i = 0; i < n; i += step)
		reply_parser_feed(p, s + i, n - i < step ? n - i : step, 0);
	reply_parser_free(p);
}

TU_UNUSED static void
tu_parse_str(const char *s, struct tu_coll *c)
{
	tu_parse_all(s, strlen(s), c);
}

/* Asserts that two replies are the same, line by line, byte for byte. */
TU_UNUSED static void
tu_reply_assert_equal(const struct reply *a, const struct reply *b)
{
	size_t i;

	assert_int_equal(a->code, b->code);
	assert_int_equal(a->async, b->async);
	assert_int_equal(a->truncated, b->truncated);
	assert_int_equal(a->nlines, b->nlines);
	for (i = 0; i < a->nlines; i++) {
		const struct reply_line *x = &a->lines[i], *y = &b->lines[i];

		assert_int_equal(x->code, y->code);
		assert_int_equal(x->sep, y->sep);
		assert_int_equal(x->textlen, y->textlen);
		assert_memory_equal(x->text, y->text, x->textlen);
		assert_int_equal(x->data == NULL, y->data == NULL);
		if (x->data != NULL) {
			assert_int_equal(x->datalen, y->datalen);
			if (x->datalen > 0)
				assert_memory_equal(x->data, y->data,
				    x->datalen);
		}
	}
}

/* Asserts that two collections hold the same replies and errors. */
TU_UNUSED static void
tu_coll_assert_equal(const struct tu_coll *a, const struct tu_coll *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++)
		tu_reply_assert_equal(&a->r[i], &b->r[i]);
	assert_int_equal(a->nerr, b->nerr);
	for (i = 0; i < a->nerr; i++)
		assert_string_equal(a->e[i].what, b->e[i].what);
}

/* A one-line asynchronous reply over text (not copied). */
TU_UNUSED static void
tu_event1(struct reply *r, struct reply_line *l, const char *text, size_t n)
{
	memset(r, 0, sizeof *r);
	memset(l, 0, sizeof *l);
	l->code = 650;
	l->sep = ' ';
	l->text = (char *)text;
	l->textlen = n;
	r->code = 650;
	r->async = 1;
	r->nlines = 1;
	r->lines = l;
}

/* --- a strict JSON syntax checker ---------------------------------------- */
/*
 * RFC 8259 syntax, strings must be well-formed UTF-8 (no surrogates, no
 * overlongs, nothing past U+10FFFF), no raw control characters, only the
 * escapes JSON has, \u surrogates only in pairs.  When keys is not NULL the
 * keys of the top-level object are appended to it, each followed by ','.
 */
struct tu_json {
	const unsigned char	*p, *end;
	int			 depth;
	char			*keys;
	size_t			 keyscap;
};

TU_UNUSED static int tu_json_value(struct tu_json *);

TU_UNUSED static void
tu_json_ws(struct tu_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

TU_UNUSED static int
tu_json_hex4(struct tu_json *j, unsigned *v)
{
	int k;

	*v = 0;
	for (k = 0; k < 4; k++, j->p++) {
		unsigned char c;

		if (j->p >= j->end)
			return -1;
		c = *j->p;
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

/* One UTF-8 sequence at j->p (first byte >= 0x80); -1 if ill-formed. */
TU_UNUSED static int
tu_json_utf8(struct tu_json *j)
{
	unsigned char c = *j->p, lo = 0x80, hi = 0xbf;
	size_t more, k;

	if (c >= 0xc2 && c <= 0xdf)
		more = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		more = 2;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		more = 3;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return -1;
	if ((size_t)(j->end - j->p) <= more)
		return -1;
	for (k = 1; k <= more; k++) {
		unsigned char d = j->p[k];

		if (k == 1 ? (d < lo || d > hi) : (d & 0xc0) != 0x80)
			return -1;
	}
	j->p += more + 1;
	return 0;
}

/* A string; when start is not NULL, its raw bytes are *start, *len. */
TU_UNUSED static int
tu_json_string(struct tu_json *j, const unsigned char **start, size_t *len)
{
	unsigned v, w;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	if (start != NULL)
		*start = j->p;
	for (;;) {
		unsigned char c;

		if (j->p >= j->end)
			return -1;
		c = *j->p;
		if (c == '"') {
			if (len != NULL)
				*len = (size_t)(j->p - *start);
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			if (tu_json_utf8(j) == -1)
				return -1;
			continue;
		}
		j->p++;
		if (c != '\\')
			continue;
		if (j->p >= j->end)
			return -1;
		c = *j->p++;
		switch (c) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			break;
		case 'u':
			if (tu_json_hex4(j, &v) == -1)
				return -1;
			if (v >= 0xdc00 && v <= 0xdfff)
				return -1;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' ||
				    j->p[1] != 'u')
					return -1;
				j->p += 2;
				if (tu_json_hex4(j, &w) == -1 ||
				    w < 0xdc00 || w > 0xdfff)
					return -1;
			}
			break;
		default:
			return -1;
		}
	}
}

TU_UNUSED static int
tu_json_digits(struct tu_json *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

TU_UNUSED static int
tu_json_number(struct tu_json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (tu_json_digits(j) == -1)
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (tu_json_digits(j) == -1)
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (tu_json_digits(j) == -1)
			return -1;
	}
	return 0;
}

TU_UNUSED static int
tu_json_word(struct tu_json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

TU_UNUSED static void
tu_json_key(struct tu_json *j, const unsigned char *k, size_t n)
{
	size_t have = j->keys != NULL ? strlen(j->keys) : 0;

	if (have + n + 2 > j->keyscap) {
		j->keyscap = (have + n + 2) * 2;
		j->keys = realloc(j->keys, j->keyscap);
		assert_non_null(j->keys);
	}
	memcpy(j->keys + have, k, n);
	j->keys[have + n] = ',';
	j->keys[have + n + 1] = '\0';
}

TU_UNUSED static int
tu_json_value(struct tu_json *j)
{
	const unsigned char *k;
	size_t kn;
	int top = j->depth == 0;

	tu_json_ws(j);
	if (j->p >= j->end)
		return -1;
	if (++j->depth > 64)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		tu_json_ws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		for (;;) {
			tu_json_ws(j);
			if (tu_json_string(j, &k, &kn) == -1)
				return -1;
			if (top && j->keyscap != (size_t)-1)
				tu_json_key(j, k, kn);
			tu_json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
			if (tu_json_value(j) == -1)
				return -1;
			tu_json_ws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == '}') {
				j->p++;
				break;
			}
			if (*j->p++ != ',')
				return -1;
		}
		break;
	case '[':
		j->p++;
		tu_json_ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			break;
		}
		for (;;) {
			if (tu_json_value(j) == -1)
				return -1;
			tu_json_ws(j);
			if (j->p >= j->end)
				return -1;
			if (*j->p == ']') {
				j->p++;
				break;
			}
			if (*j->p++ != ',')
				return -1;
		}
		break;
	case '"':
		if (tu_json_string(j, NULL, NULL) == -1)
			return -1;
		break;
	case 't':
		if (tu_json_word(j, "true") == -1)
			return -1;
		break;
	case 'f':
		if (tu_json_word(j, "false") == -1)
			return -1;
		break;
	case 'n':
		if (tu_json_word(j, "null") == -1)
			return -1;
		break;
	default:
		if (tu_json_number(j) == -1)
			return -1;
	}
	j->depth--;
	return 0;
}

/*
 * Returns 1 when s[0..n) is exactly one valid JSON value.  When keys is not
 * NULL, *keys is set to the top-level object's keys, each followed by ','
 * (allocated; "" for none).
 */
TU_UNUSED static int
tu_json_valid(const char *s, size_t n, char **keys)
{
	struct tu_json j;
	int ok;

	memset(&j, 0, sizeof j);
	j.p = (const unsigned char *)s;
	j.end = j.p + n;
	if (keys == NULL)
		j.keyscap = (size_t)-1;
	ok = tu_json_value(&j) == 0;
	if (ok) {
		tu_json_ws(&j);
		ok = j.p == j.end;
	}
	if (keys != NULL) {
		if (j.keys == NULL)
			j.keys = tu_memdup("", 0);
		*keys = j.keys;
	}
	return ok;
}

#endif
