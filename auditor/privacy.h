/* privacy.h: how destinations and SOCKS credentials are shown and kept. */
#ifndef ISOAUDIT_PRIVACY_H
#define ISOAUDIT_PRIVACY_H

#include <stddef.h>

struct buf;

enum log_targets {
	LOG_TARGETS_HASH = 0,	/* default: h: + 12 hex of a keyed hash */
	LOG_TARGETS_PLAIN,
	LOG_TARGETS_NONE
};

#define PRIVACY_KEY_LEN	32

struct privacy {
	enum log_targets mode;
	unsigned char	 key[PRIVACY_KEY_LEN];
};

/* Parses hash|plain|none; returns 0 or -1. */
int	privacy_parse_mode(const char *, enum log_targets *);
const char *privacy_mode_name(enum log_targets);
/* Sets a fresh random key (libsodium must be initialised). */
void	privacy_random_key(struct privacy *);
/* Appends "h:" and 12 hex digits of HMAC-SHA256(key, s[0..n)). */
void	privacy_hash(const struct privacy *, struct buf *, const char *,
	    size_t);
/*
 * Appends a destination as the mode allows: hash "h:…:port", plain
 * "addr:port" (escaped), none "port N".
 */
void	privacy_target(const struct privacy *, struct buf *, const char *,
	    int);
/* Appends a secret-ish string (SOCKS username): hashed unless plain. */
void	privacy_secret(const struct privacy *, struct buf *, const char *,
	    size_t);

#endif
