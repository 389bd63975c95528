/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* privacy.c: keyed hashing of destinations and SOCKS credentials. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "buf.h"
#include "privacy.h"
#include "xmalloc.h"

int
privacy_parse_mode(const char *s, enum log_targets *out)
{
	if (strcasecmp(s, "hash") == 0)
		*out = LOG_TARGETS_HASH;
	else if (strcasecmp(s, "plain") == 0)
		*out = LOG_TARGETS_PLAIN;
	else if (strcasecmp(s, "none") == 0)
		*out = LOG_TARGETS_NONE;
	else
		return -1;
	return 0;
}

const char *
privacy_mode_name(enum log_targets m)
{
	return m == LOG_TARGETS_PLAIN ? "plain" :
	    m == LOG_TARGETS_NONE ? "none" : "hash";
}

void
privacy_random_key(struct privacy *p)
{
	randombytes_buf(p->key, sizeof p->key);
}

/* "h:" and the first 6 bytes of mac in hex, NUL-terminated. */
static void
hash_format(char *out, const unsigned char *mac)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	out[0] = 'h';
	out[1] = ':';
	for (i = 0; i < 6; i++) {
		out[2 + 2 * i] = hex[mac[i] >> 4];
		out[3 + 2 * i] = hex[mac[i] & 15];
	}
	out[PRIVACY_HASH_LEN] = '\0';
}

/* SipHash's key, derived from the 32-byte key (privacy.h). */
static void
sip_key(unsigned char *out, const unsigned char *key)
{
	crypto_generichash(out, crypto_shorthash_siphash24_KEYBYTES,
	    (const unsigned char *)PRIVACY_SIP_INFO, strlen(PRIVACY_SIP_INFO),
	    key, PRIVACY_KEY_LEN);
}

/*
 * A hasher holds what the key gives before any input: SipHash's derived
 * key, or the HMAC state with the key absorbed (a SHA-256 block each for
 * the inner and outer pads; copied for each hash, it saves two of the four
 * compressions of a short input).
 */
struct privacy_hasher {
	int				 hmac;
	unsigned char			 sip[crypto_shorthash_siphash24_KEYBYTES];
	crypto_auth_hmacsha256_state	 keyed;
};

static void
hasher_init(struct privacy_hasher *h, const struct privacy *p)
{
	h->hmac = p->hmac;
	if (p->hmac)
		crypto_auth_hmacsha256_init(&h->keyed, p->key, sizeof p->key);
	else
		sip_key(h->sip, p->key);
}

void
privacy_hash(const struct privacy *p, struct buf *b, const char *s, size_t n)
{
	struct privacy_hasher h;
	char out[PRIVACY_HASH_LEN + 1];

	hasher_init(&h, p);
	privacy_hasher_hash(&h, out, s, n);
	sodium_memzero(&h, sizeof h);
	buf_add(b, out, PRIVACY_HASH_LEN);
}

struct privacy_hasher *
privacy_hasher_new(const struct privacy *p)
{
	struct privacy_hasher *h = xmalloc(sizeof *h);

	hasher_init(h, p);
	return h;
}

void
privacy_hasher_free(struct privacy_hasher *h)
{
	if (h == NULL)
		return;
	sodium_memzero(h, sizeof *h);
	free(h);
}

void
privacy_hasher_hash(const struct privacy_hasher *h, char *out, const char *s,
    size_t n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	if (!h->hmac) {
		crypto_shorthash_siphash24(mac, (const unsigned char *)s, n,
		    h->sip);
		hash_format(out, mac);
		return;
	}
	st = h->keyed;
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)s, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
	hash_format(out, mac);
}

int
privacy_is_hash(const char *s, size_t n)
{
	size_t i;

	if (n != PRIVACY_HASH_LEN || s[0] != 'h' || s[1] != ':')
		return 0;
	for (i = 2; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
privacy_is_hashed_target(const char *addr)
{
	size_t n = strlen(addr);

	return privacy_is_hash(addr, n) || (n == PRIVACY_HASH_LEN + 6 &&
	    privacy_is_onion(addr) && privacy_is_hash(addr, n - 6));
}

void
privacy_hash_target(const struct privacy *p, struct buf *b, const char *addr)
{
	size_t i, n = strlen(addr);
	char small[256], *low = n < sizeof small ? small : xmalloc(n + 1);

	for (i = 0; i < n; i++)
		low[i] = addr[i] >= 'A' && addr[i] <= 'Z' ?
		    (char)(addr[i] - 'A' + 'a') : addr[i];
	low[n] = '\0';
	privacy_hash(p, b, low, n);
	if (privacy_is_onion(low))
		buf_adds(b, ".onion");
	sodium_memzero(low, n);
	if (low != small)
		free(low);
}

int
privacy_is_onion(const char *addr)
{
	size_t n = addr != NULL ? strlen(addr) : 0;

	return n > 6 && strcasecmp(addr + n - 6, ".onion") == 0;
}

void
privacy_target(const struct privacy *p, struct buf *b, const char *addr,
    int port)
{
	switch (p->mode) {
	case LOG_TARGETS_PLAIN:
		if (port >= 0 && strchr(addr, ':') != NULL &&
		    !privacy_is_hashed_target(addr)) {
			/* [v6]:port, as Tor writes it. */
			buf_addc(b, '[');
			buf_escape(b, addr, strlen(addr));
			buf_addc(b, ']');
		} else
			buf_escape(b, addr, strlen(addr));
		break;
	case LOG_TARGETS_NONE:
		/* That it is an onion service says nothing of which. */
		buf_adds(b, privacy_is_onion(addr) ? "onion port" : "port");
		if (port >= 0)
			buf_printf(b, " %d", port);
		return;
	default:
		privacy_hash_target(p, b, addr);
		break;
	}
	if (port >= 0)
		buf_printf(b, ":%d", port);
}

void
privacy_secret(const struct privacy *p, struct buf *b, const char *s,
    size_t n)
{
	size_t i, run = 0;

	if (p->mode == LOG_TARGETS_PLAIN) {
		buf_addc(b, '"');
		for (i = 0; i < n; i++)
			if (s[i] == '"') {
				buf_escape(b, s + run, i - run);
				buf_adds(b, "\\\"");
				run = i + 1;
			}
		buf_escape(b, s + run, n - run);
		buf_addc(b, '"');
	} else
		privacy_hash(p, b, s, n);
}
