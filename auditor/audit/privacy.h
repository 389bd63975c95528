/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
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
#define PRIVACY_HASH_LEN	14	/* "h:" and 12 hex digits */

/*
 * The keyed hash: SipHash-2-4 under a 16-byte key derived from key (keyed
 * BLAKE2b of PRIVACY_SIP_INFO), or, for a database begun before release
 * 0.2 (meta 'hash_version' 1), HMAC-SHA256 under key itself, so that its
 * equal targets stay equal.  Either way the first 48 bits are shown.
 */
#define PRIVACY_SIP_INFO	"isoaudit target hash 2"

struct privacy {
	enum log_targets mode;
	unsigned char	 key[PRIVACY_KEY_LEN];
	int		 hmac;		/* 1: HMAC-SHA256 (hash_version 1) */
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
 * The same hashes for many inputs under one key, cheaper: the key is
 * taken once (a later change to the struct privacy is not seen).
 */
struct privacy_hasher;
struct privacy_hasher *privacy_hasher_new(const struct privacy *);
/* Wipes the keyed state; NULL is fine. */
void	privacy_hasher_free(struct privacy_hasher *);
/* Writes privacy_hash()'s text, NUL-terminated, to out (at least
 * PRIVACY_HASH_LEN + 1 bytes). */
void	privacy_hasher_hash(const struct privacy_hasher *, char *,
	    const char *, size_t);
/* Whether s[0..n) is privacy_hash()'s text: "h:" and 12 lowercase hex. */
int	privacy_is_hash(const char *, size_t);
/* Whether a target address is such a hash, or one and ".onion". */
int	privacy_is_hashed_target(const char *);
/*
 * Appends the keyed hash of a destination address as every target is
 * hashed (output, database, transcripts): of its ASCII-lowercase form, as
 * host names compare (Tor's IsolateDestAddr compares them so), then
 * ".onion" for an onion service.  No port.
 */
void	privacy_hash_target(const struct privacy *, struct buf *,
	    const char *);
/* Whether a destination is an onion service ("….onion"). */
int	privacy_is_onion(const char *);
/*
 * Appends a destination as the mode allows: hash "h:…:port", plain
 * "addr:port" (escaped), none "port N".  An onion service stays one:
 * "h:….onion:port", "onion port N".
 */
void	privacy_target(const struct privacy *, struct buf *, const char *,
	    int);
/* Appends a secret-ish string (SOCKS username): hashed unless plain. */
void	privacy_secret(const struct privacy *, struct buf *, const char *,
	    size_t);

#endif
