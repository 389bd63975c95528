/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * proto.c: the agent protocol's lines (proto.h): made, read, checked.  No
 * I/O; everything read is bounded and checked before it is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto.h"

#define HELLO_INFO	"isoaudit-agent-1 hello"
#define OK_INFO		"isoaudit-agent-1 ok"
#define MAX_WORDS	8

int
proto_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PROTO_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* A line cut at single spaces into at most MAX_WORDS words (copied into
 * tmp, which holds len + 1 bytes); the count, or -1 (too many, empty word,
 * a byte not printable). */
static int
words(const char *line, size_t len, char *tmp, char **w)
{
	size_t i;
	int n = 0;

	if (len == 0 || len >= PROTO_MAX_LINE)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e)
			return -1;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	w[n++] = tmp;
	for (i = 0; i < len; i++) {
		if (tmp[i] != ' ')
			continue;
		tmp[i] = '\0';
		if (n == MAX_WORDS || i + 1 == len || tmp[i + 1] == ' ')
			return -1;
		w[n++] = tmp + i + 1;
	}
	return n;
}

/* Hex of exactly len bytes into out; 0 or -1. */
static int
unhex(const char *s, unsigned char *out, size_t len)
{
	size_t got;

	if (strlen(s) != len * 2 || sodium_hex2bin(out, len, s, len * 2, NULL,
	    &got, NULL) != 0 || got != len)
		return -1;
	return 0;
}

static void
mac_of(const unsigned char *key, const char *info, const unsigned char *n1,
    const unsigned char *n2, const char *name, unsigned char *mac)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, PROTO_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)info,
	    strlen(info) + 1);
	crypto_auth_hmacsha256_update(&st, n1, PROTO_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, n2, PROTO_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)name,
	    strlen(name));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
}

void
proto_challenge(const unsigned char *nonce, char *out, size_t len)
{
	char hex[PROTO_NONCE_LEN * 2 + 1];

	sodium_bin2hex(hex, sizeof hex, nonce, PROTO_NONCE_LEN);
	snprintf(out, len, "ISOAUDIT-AGENT %d CHALLENGE %s\n", PROTO_VERSION,
	    hex);
}

int
proto_challenge_parse(const char *line, size_t len, unsigned char *nonce,
    const char **cause)
{
	char tmp[PROTO_MAX_LINE], *w[MAX_WORDS];

	if (words(line, len, tmp, w) != 4 ||
	    strcmp(w[0], "ISOAUDIT-AGENT") != 0 ||
	    strcmp(w[2], "CHALLENGE") != 0) {
		*cause = "not an isoaudit gateway's challenge";
		return -1;
	}
	if (strcmp(w[1], "1") != 0) {
		*cause = "the gateway speaks another protocol version";
		return -1;
	}
	if (unhex(w[3], nonce, PROTO_NONCE_LEN) == -1) {
		*cause = "bad nonce in the gateway's challenge";
		return -1;
	}
	return 0;
}

void
proto_hello(const unsigned char *key, const unsigned char *nonce_g,
    const unsigned char *nonce_a, const char *name, char *out, size_t len)
{
	unsigned char mac[PROTO_MAC_LEN];
	char hn[PROTO_NONCE_LEN * 2 + 1], hm[PROTO_MAC_LEN * 2 + 1];

	mac_of(key, HELLO_INFO, nonce_g, nonce_a, name, mac);
	sodium_bin2hex(hn, sizeof hn, nonce_a, PROTO_NONCE_LEN);
	sodium_bin2hex(hm, sizeof hm, mac, PROTO_MAC_LEN);
	snprintf(out, len, "HELLO %d %s %s %s\n", PROTO_VERSION, name, hn, hm);
}

int
proto_hello_parse(const char *line, size_t len, struct proto_hello *h,
    const char **cause)
{
	char tmp[PROTO_MAX_LINE], *w[MAX_WORDS];

	memset(h, 0, sizeof *h);
	if (words(line, len, tmp, w) != 5 || strcmp(w[0], "HELLO") != 0) {
		*cause = "not a HELLO line";
		return -1;
	}
	if (strcmp(w[1], "1") != 0) {
		*cause = "another protocol version";
		return -1;
	}
	if (!proto_name_ok(w[2])) {
		*cause = "bad agent name";
		return -1;
	}
	if (unhex(w[3], h->nonce, PROTO_NONCE_LEN) == -1 ||
	    unhex(w[4], h->mac, PROTO_MAC_LEN) == -1) {
		*cause = "bad nonce or MAC";
		return -1;
	}
	memcpy(h->name, w[2], strlen(w[2]) + 1);
	return 0;
}

int
proto_hello_verify(const unsigned char *key, const unsigned char *nonce_g,
    const struct proto_hello *h)
{
	unsigned char mac[PROTO_MAC_LEN];
	int rc;

	/* The agent's nonce may not be the gateway's own (a reflection). */
	if (sodium_memcmp(nonce_g, h->nonce, PROTO_NONCE_LEN) == 0)
		return -1;
	mac_of(key, HELLO_INFO, nonce_g, h->nonce, h->name, mac);
	rc = sodium_memcmp(mac, h->mac, PROTO_MAC_LEN) == 0 ? 0 : -1;
	sodium_memzero(mac, sizeof mac);
	return rc;
}

void
proto_ok(const unsigned char *key, const unsigned char *nonce_g,
    const struct proto_hello *h, char *out, size_t len)
{
	unsigned char mac[PROTO_MAC_LEN];
	char hm[PROTO_MAC_LEN * 2 + 1];

	mac_of(key, OK_INFO, h->nonce, nonce_g, h->name, mac);
	sodium_bin2hex(hm, sizeof hm, mac, PROTO_MAC_LEN);
	snprintf(out, len, "OK %s\n", hm);
}

int
proto_ok_verify(const unsigned char *key, const unsigned char *nonce_g,
    const struct proto_hello *h, const char *line, size_t len)
{
	char tmp[PROTO_MAX_LINE], *w[MAX_WORDS];
	unsigned char want[PROTO_MAC_LEN], got[PROTO_MAC_LEN];
	int rc;

	if (words(line, len, tmp, w) != 2 || strcmp(w[0], "OK") != 0 ||
	    unhex(w[1], got, PROTO_MAC_LEN) == -1)
		return -1;
	mac_of(key, OK_INFO, h->nonce, nonce_g, h->name, want);
	rc = sodium_memcmp(want, got, PROTO_MAC_LEN) == 0 ? 0 : -1;
	sodium_memzero(want, sizeof want);
	return rc;
}

/* --- records ------------------------------------------------------------- */

/* Appends s escaped ("-" when empty) and a separator; -1 if out is full. */
static int
put_field(char *out, size_t len, size_t *at, const char *s, char sep)
{
	static const char hexd[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0') {
		if (*at + 2 > len)
			return -1;
		out[(*at)++] = '-';
	}
	for (; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '%' ||
		    (*p == '-' && p == (const unsigned char *)s && p[1] == '\0')) {
			if (*at + 4 > len)
				return -1;
			out[(*at)++] = '%';
			out[(*at)++] = hexd[*p >> 4];
			out[(*at)++] = hexd[*p & 15];
		} else {
			if (*at + 2 > len)
				return -1;
			out[(*at)++] = (char)*p;
		}
	}
	out[(*at)++] = sep;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* An escaped field into out (size len, NUL-terminated): 0, or -1 (bad
 * escape, a NUL, too long). */
static int
get_field(const char *s, char *out, size_t len)
{
	size_t n = 0;
	int hi, lo;

	if (strcmp(s, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '%') {
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			s += 2;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* A decimal number in [lo, hi]; 0 or -1. */
static int
get_num(const char *s, long long lo, long long hi, long long *v)
{
	char *end;

	if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < lo || *v > hi)
		return -1;
	return 0;
}

/* Whether s looks like "1.2.3.4:5" or "[v6]:5": address bytes only, a
 * port at the end. */
static int
endpoint_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	long long port;
	size_t i;

	if (colon == NULL || colon == s ||
	    get_num(colon + 1, 1, 65535, &port) == -1)
		return 0;
	for (i = 0; s + i < colon; i++)
		if (strchr("0123456789abcdefABCDEF.:[]", s[i]) == NULL)
			return 0;
	return 1;
}

int
proto_record(const struct proto_record *r, char *out, size_t len)
{
	char num[80];
	size_t at = 0;
	int n;

	if (len < 3)
		return -1;
	out[at++] = r->udp ? 'U' : 'R';
	out[at++] = ' ';
	if (put_field(out, len, &at, r->src, ' ') == -1 ||
	    put_field(out, len, &at, r->dst, ' ') == -1)
		return -1;
	/* Numbers need no escaping. */
	n = snprintf(num, sizeof num, "%ld %ld %lld ", r->pid, r->uid,
	    (long long)r->time_us);
	if (n < 0 || at + (size_t)n + 1 > len)
		return -1;
	memcpy(out + at, num, (size_t)n);
	at += (size_t)n;
	if (put_field(out, len, &at, r->comm, ' ') == -1 ||
	    put_field(out, len, &at, r->exe, '\n') == -1)
		return -1;
	if (at >= len || at > PROTO_MAX_LINE)
		return -1;
	out[at] = '\0';
	return 0;
}

int
proto_record_parse(const char *line, size_t len, struct proto_record *r,
    const char **cause)
{
	char tmp[PROTO_MAX_LINE], *w[MAX_WORDS];
	long long v;

	memset(r, 0, sizeof *r);
	if (words(line, len, tmp, w) != 8 || (strcmp(w[0], "R") != 0 &&
	    strcmp(w[0], "U") != 0)) {
		*cause = "not a record line";
		return -1;
	}
	r->udp = w[0][0] == 'U';
	if (get_field(w[1], r->src, sizeof r->src) == -1 ||
	    get_field(w[2], r->dst, sizeof r->dst) == -1 ||
	    !endpoint_ok(r->src) || !endpoint_ok(r->dst)) {
		*cause = "bad address in a record";
		return -1;
	}
	if (get_num(w[3], 1, 0x7fffffff, &v) == -1) {
		*cause = "bad pid in a record";
		return -1;
	}
	r->pid = (long)v;
	if (get_num(w[4], 0, 0xffffffffLL, &v) == -1) {
		*cause = "bad uid in a record";
		return -1;
	}
	r->uid = (long)v;
	if (get_num(w[5], 0, 4102444800LL * 1000000, &v) == -1) {
		*cause = "bad time in a record";
		return -1;
	}
	r->time_us = v;
	if (get_field(w[6], r->comm, sizeof r->comm) == -1 ||
	    get_field(w[7], r->exe, sizeof r->exe) == -1 ||
	    r->comm[0] == '\0') {
		*cause = "bad program in a record";
		return -1;
	}
	return 0;
}

/* --- lines ---------------------------------------------------------------- */

int
proto_feed(struct proto_reader *rd, const char *data, size_t n,
    int (*fn)(const char *, size_t, void *), void *arg)
{
	size_t i, l;
	int rc;

	if (rd->overlong)
		return -1;
	for (i = 0; i < n; i++) {
		if (data[i] != '\n') {
			if (rd->len + 1 >= sizeof rd->buf) {
				rd->overlong = 1;
				return -1;
			}
			rd->buf[rd->len++] = data[i];
			continue;
		}
		l = rd->len;
		if (l > 0 && rd->buf[l - 1] == '\r')
			l--;
		rd->buf[l] = '\0';
		rd->len = 0;
		if ((rc = fn(rd->buf, l, arg)) != 0)
			return rc;
	}
	return 0;
}
