/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_agent.c: libFuzzer harness for the agent protocol (auditor/agent/
 * proto.c), as the gateway reads it: bytes cut into lines by proto_feed,
 * each line read as a HELLO (then checked against a fixed key and
 * challenge), a record, a challenge and an OK.
 *
 * Properties: a line is never longer than PROTO_MAX_LINE; an overlong
 * stream stays refused; a HELLO made up by the input never verifies (the
 * key is not in it); a record that parses holds what proto.h promises
 * (printable-free of NUL, pid >= 1, comm non-empty) and, written again,
 * reads back the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "proto.h"

static unsigned char key[PROTO_KEY_LEN], nonce_g[PROTO_NONCE_LEN];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce_g, sizeof nonce_g);
	return 0;
}

static int
on_line(const char *line, size_t len, void *arg)
{
	struct proto_hello h;
	struct proto_record r, back;
	unsigned char n[PROTO_NONCE_LEN];
	char again[PROTO_MAX_LINE + 1];
	const char *cause;

	(void)arg;
	CHECK(len < PROTO_MAX_LINE);
	CHECK(line[len] == '\0');
	if (proto_hello_parse(line, len, &h, &cause) == 0) {
		CHECK(proto_name_ok(h.name));
		CHECK(proto_hello_verify(key, nonce_g, &h) == -1);
		CHECK(proto_ok_verify(key, nonce_g, &h, line, len) == -1);
	} else
		CHECK(cause != NULL);
	if (proto_record_parse(line, len, &r, &cause) == 0) {
		CHECK(r.pid >= 1 && r.uid >= 0 && r.comm[0] != '\0');
		CHECK(memchr(r.src, '\0', sizeof r.src) != NULL);
		CHECK(strlen(r.exe) < sizeof r.exe);
		if (proto_record(&r, again, sizeof again) == 0) {
			CHECK(proto_record_parse(again, strlen(again) - 1,
			    &back, &cause) == 0);
			CHECK(strcmp(back.src, r.src) == 0);
			CHECK(strcmp(back.dst, r.dst) == 0);
			CHECK(strcmp(back.comm, r.comm) == 0);
			CHECK(strcmp(back.exe, r.exe) == 0);
			CHECK(back.pid == r.pid && back.uid == r.uid &&
			    back.time_us == r.time_us);
		}
	}
	(void)proto_challenge_parse(line, len, n, &cause);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_reader rd;
	size_t half = size / 2;

	memset(&rd, 0, sizeof rd);
	/* In two pieces, as a socket may give it. */
	if (proto_feed(&rd, (const char *)data, half, on_line, NULL) == -1) {
		CHECK(rd.overlong);
		CHECK(proto_feed(&rd, "\n", 1, on_line, NULL) == -1);
		return 0;
	}
	if (proto_feed(&rd, (const char *)data + half, size - half, on_line,
	    NULL) == -1)
		CHECK(rd.overlong);
	CHECK(rd.len < PROTO_MAX_LINE);
	return 0;
}
