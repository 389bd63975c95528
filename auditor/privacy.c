/* privacy.c: keyed hashing of destinations and SOCKS credentials. */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "buf.h"
#include "privacy.h"

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

void
privacy_hash(const struct privacy *p, struct buf *b, const char *s, size_t n)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	static const char hex[] = "0123456789abcdef";
	size_t i;

	crypto_auth_hmacsha256_init(&st, p->key, sizeof p->key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)s, n);
	crypto_auth_hmacsha256_final(&st, mac);
	buf_adds(b, "h:");
	for (i = 0; i < 6; i++) {
		buf_addc(b, hex[mac[i] >> 4]);
		buf_addc(b, hex[mac[i] & 15]);
	}
}

void
privacy_target(const struct privacy *p, struct buf *b, const char *addr,
    int port)
{
	switch (p->mode) {
	case LOG_TARGETS_PLAIN:
		if (port >= 0 && strchr(addr, ':') != NULL) {
			/* [v6]:port, as Tor writes it. */
			buf_addc(b, '[');
			buf_escape(b, addr, strlen(addr));
			buf_addc(b, ']');
		} else
			buf_escape(b, addr, strlen(addr));
		break;
	case LOG_TARGETS_NONE:
		buf_adds(b, "port");
		if (port >= 0)
			buf_printf(b, " %d", port);
		return;
	default:
		privacy_hash(p, b, addr, strlen(addr));
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
