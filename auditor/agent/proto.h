/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * proto.h: the agent protocol (docs/agent.md): a workstation's agent tells
 * the gateway's isoaudit which process opened each TCP connection.  Pure:
 * no I/O, no clock (times and nonces come in), so that it can be fuzzed.
 *
 * Lines of at most PROTO_MAX_LINE bytes ended by '\n':
 *   gateway: ISOAUDIT-AGENT 1 CHALLENGE <nonce_g hex>
 *   agent:   HELLO 1 <name> <nonce_a hex> <mac hex>
 *            mac = HMAC-SHA256(key, "isoaudit-agent-1 hello" nonce_g
 *                  nonce_a name)
 *   gateway: OK <mac hex>  (HMAC-SHA256(key, "isoaudit-agent-1 ok"
 *                  nonce_a nonce_g name): the agent knows its gateway)
 *   agent:   R <src> <dst> <pid> <uid> <time_us> <comm> <exe>  (repeated)
 *            U ... the same, for a DNS query (UDP: its first datagram)
 * Fields are escaped: '%', bytes below 0x21 and above 0x7e as %XX, an
 * empty field as "-".  Nothing else is ever sent by the gateway.
 */
#ifndef ISOAUDIT_PROTO_H
#define ISOAUDIT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_MAX_LINE		1024	/* bytes of a line, its '\n' too */
#define PROTO_KEY_LEN		32
#define PROTO_NONCE_LEN		32
#define PROTO_MAC_LEN		32
#define PROTO_NAME_MAX		32	/* [A-Za-z0-9._-], 1 to 32 */

/* One connect a workstation saw. */
struct proto_record {
	char		src[64];	/* "10.152.152.11:41036", "[fd19::11]:5" */
	char		dst[64];
	long		pid;		/* >= 1 */
	long		uid;		/* >= 0 */
	int64_t		time_us;	/* wall clock, the agent's */
	char		comm[32];
	char		exe[256];	/* "" unknown */
	int		udp;		/* a DNS query ("U"), not a connect */
};

struct proto_hello {
	char		name[PROTO_NAME_MAX + 1];
	unsigned char	nonce[PROTO_NONCE_LEN];
	unsigned char	mac[PROTO_MAC_LEN];
};

/* Whether name is a valid agent NAME. */
int	proto_name_ok(const char *);

/* The gateway's first line (with its '\n') into out (PROTO_MAX_LINE). */
void	proto_challenge(const unsigned char *, char *, size_t);
/* Reads it: 0 with the nonce, -1 with *cause (static). */
int	proto_challenge_parse(const char *, size_t, unsigned char *,
	    const char **);

/* The agent's HELLO for challenge nonce_g, its nonce_a, its name. */
void	proto_hello(const unsigned char *, const unsigned char *,
	    const unsigned char *, const char *, char *, size_t);
/* Reads a HELLO (not yet checked): 0, or -1 with *cause (static). */
int	proto_hello_parse(const char *, size_t, struct proto_hello *,
	    const char **);
/* Whether the HELLO's mac is the key's for nonce_g: 0 yes, -1 no
 * (constant time). */
int	proto_hello_verify(const unsigned char *, const unsigned char *,
	    const struct proto_hello *);

/* The gateway's OK for a verified HELLO and its nonce_g. */
void	proto_ok(const unsigned char *, const unsigned char *,
	    const struct proto_hello *, char *, size_t);
/* The agent's check of OK: key, nonce_g, its own hello; 0 or -1. */
int	proto_ok_verify(const unsigned char *, const unsigned char *,
	    const struct proto_hello *, const char *, size_t);

/* A record line into out (with '\n'); -1 when it would not fit. */
int	proto_record(const struct proto_record *, char *, size_t);
/* Reads a record line: 0, or -1 with *cause (static). */
int	proto_record_parse(const char *, size_t, struct proto_record *,
	    const char **);

/*
 * Cuts a byte stream into lines of at most PROTO_MAX_LINE bytes (the line
 * end dropped, a '\r' before it too).  A line that does not fit is an
 * error: the connection is to be dropped.
 */
struct proto_reader {
	char	buf[PROTO_MAX_LINE];
	size_t	len;
	int	overlong;
};
/* Calls fn with each whole line until it returns non-zero (returned);
 * -1 on an overlong line (then every later feed returns -1). */
int	proto_feed(struct proto_reader *, const char *, size_t,
	    int (*)(const char *, size_t, void *), void *);

#endif
