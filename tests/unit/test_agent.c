/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_agent.c: the agent protocol (proto.c): the handshake (a wrong key,
 * a replayed HELLO under a new challenge, a reflected nonce), records made
 * and read back, bad and overlong lines; the gateway's per-agent table
 * (bounded, expiring); the Agent directives' Agent-for-address lookup.
 */
#define ISOAUDIT_PRIVATE
#include "testutil.h"

#include <sodium.h>

#include "agent_table.h"
#include "config.h"
#include "proto.h"

static unsigned char key[PROTO_KEY_LEN], other[PROTO_KEY_LEN];

/* The gateway's check of line for challenge ng with key k: 0 or -1. */
static int
gw_check(const unsigned char *k, const unsigned char *ng, const char *line)
{
	struct proto_hello h;
	const char *cause;
	size_t n = strcspn(line, "\n");

	if (proto_hello_parse(line, n, &h, &cause) == -1)
		return -1;
	return proto_hello_verify(k, ng, &h);
}

static void
test_handshake(void **state)
{
	unsigned char ng[PROTO_NONCE_LEN], ng2[PROTO_NONCE_LEN],
	    na[PROTO_NONCE_LEN], got[PROTO_NONCE_LEN];
	char chal[PROTO_MAX_LINE], hello[PROTO_MAX_LINE], ok[PROTO_MAX_LINE];
	struct proto_hello h;
	const char *cause;

	(void)state;
	randombytes_buf(ng, sizeof ng);
	randombytes_buf(ng2, sizeof ng2);
	randombytes_buf(na, sizeof na);
	proto_challenge(ng, chal, sizeof chal);
	assert_int_equal(proto_challenge_parse(chal, strlen(chal) - 1, got,
	    &cause), 0);
	assert_memory_equal(got, ng, sizeof ng);
	proto_hello(key, ng, na, "ws1", hello, sizeof hello);
	/* No secret on the wire: the key's hex is nowhere in the line. */
	{
		char hk[PROTO_KEY_LEN * 2 + 1];

		sodium_bin2hex(hk, sizeof hk, key, sizeof key);
		assert_null(strstr(hello, hk));
	}
	assert_int_equal(gw_check(key, ng, hello), 0);
	assert_int_equal(gw_check(other, ng, hello), -1);	/* wrong key */
	assert_int_equal(gw_check(key, ng2, hello), -1);	/* replayed */
	/* Another name under the same MAC: refused. */
	{
		char *p = strstr(hello, "ws1");

		p[2] = '2';
		assert_int_equal(gw_check(key, ng, hello), -1);
		p[2] = '1';
	}
	/* The gateway's own nonce sent back as the agent's: refused. */
	proto_hello(key, ng, ng, "ws1", hello, sizeof hello);
	assert_int_equal(gw_check(key, ng, hello), -1);

	proto_hello(key, ng, na, "ws1", hello, sizeof hello);
	assert_int_equal(proto_hello_parse(hello, strlen(hello) - 1, &h,
	    &cause), 0);
	proto_ok(key, ng, &h, ok, sizeof ok);
	assert_int_equal(proto_ok_verify(key, ng, &h, ok, strlen(ok) - 1), 0);
	assert_int_equal(proto_ok_verify(other, ng, &h, ok, strlen(ok) - 1),
	    -1);
	assert_int_equal(proto_ok_verify(key, ng2, &h, ok, strlen(ok) - 1),
	    -1);
	assert_int_equal(proto_ok_verify(key, ng, &h, "OK 00", 5), -1);
}

static void
test_bad_hello(void **state)
{
	static const char *const bad[] = {
		"", "HELLO", "HELLO 1 ws1", "HELLO 2 ws1 00 00",
		"HELLO 1 ws/1 "
		"0000000000000000000000000000000000000000000000000000000000000000 "
		"0000000000000000000000000000000000000000000000000000000000000000",
		"HELLO 1 ws1 "
		"000000000000000000000000000000000000000000000000000000000000000 "
		"0000000000000000000000000000000000000000000000000000000000000000",
		"HELLO 1 ws1 "
		"zz00000000000000000000000000000000000000000000000000000000000000 "
		"0000000000000000000000000000000000000000000000000000000000000000",
		"HELLO  1 ws1 a b", "HELLO 1 ws1 a b ", "ISOAUDIT-AGENT 1",
	};
	struct proto_hello h;
	const char *cause;
	unsigned char n[PROTO_NONCE_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(proto_hello_parse(bad[i], strlen(bad[i]), &h,
		    &cause), -1);
		assert_non_null(cause);
	}
	assert_int_equal(proto_challenge_parse("ISOAUDIT-AGENT 2 CHALLENGE 00",
	    29, n, &cause), -1);
	assert_int_equal(proto_challenge_parse("HELLO", 5, n, &cause), -1);
}

static void
test_records(void **state)
{
	struct proto_record r, back;
	char line[PROTO_MAX_LINE + 1];
	const char *cause;

	(void)state;
	memset(&r, 0, sizeof r);
	snprintf(r.src, sizeof r.src, "10.152.152.11:41036");
	snprintf(r.dst, sizeof r.dst, "[fd19::10]:9100");
	r.pid = 4242;
	r.uid = 1000;
	r.time_us = 1700000000123456LL;
	snprintf(r.comm, sizeof r.comm, "my prog%%\n\x1b");
	snprintf(r.exe, sizeof r.exe, "-");
	assert_int_equal(proto_record(&r, line, sizeof line), 0);
	assert_null(strchr(line, '\x1b'));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_int_equal(proto_record_parse(line, strlen(line) - 1, &back,
	    &cause), 0);
	assert_string_equal(back.src, r.src);
	assert_string_equal(back.dst, r.dst);
	assert_string_equal(back.comm, r.comm);
	assert_string_equal(back.exe, "-");
	assert_int_equal(back.pid, 4242);
	assert_int_equal(back.uid, 1000);
	assert_true(back.time_us == r.time_us);
	r.exe[0] = '\0';
	assert_int_equal(proto_record(&r, line, sizeof line), 0);
	assert_int_equal(proto_record_parse(line, strlen(line) - 1, &back,
	    &cause), 0);
	assert_string_equal(back.exe, "");
	assert_int_equal(back.udp, 0);
	assert_int_equal(line[0], 'R');
	/* A DNS query's record: "U", read back as one. */
	r.udp = 1;
	assert_int_equal(proto_record(&r, line, sizeof line), 0);
	assert_int_equal(line[0], 'U');
	assert_int_equal(proto_record_parse(line, strlen(line) - 1, &back,
	    &cause), 0);
	assert_int_equal(back.udp, 1);
	assert_string_equal(back.src, r.src);
}

static void
test_bad_records(void **state)
{
	static const char *const bad[] = {
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 curl",		/* 7 words */
		"T 1.2.3.4:5 1.2.3.4:6 1 0 0 curl -",		/* no such type */
		"UR 1.2.3.4:5 1.2.3.4:6 1 0 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 curl - x",		/* 9 */
		"R 1.2.3.4 1.2.3.4:6 1 0 0 curl -",		/* no port */
		"R 1.2.3.4:0 1.2.3.4:6 1 0 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:70000 1 0 0 curl -",
		"R host:5 1.2.3.4:6 1 0 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 0 0 0 curl -",		/* pid 0 */
		"R 1.2.3.4:5 1.2.3.4:6 1 -1 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 1 0 -5 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 1x 0 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 99999999999999999999 0 0 curl -",
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 cu%0 -",		/* bad escape */
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 cu%00rl -",	/* NUL */
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 - -",		/* no comm */
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -",
		"R 1.2.3.4:5 1.2.3.4:6 1 0 0 cu\x7frl -",
		"R  1.2.3.4:5 1.2.3.4:6 1 0 0 curl -",
		"X 1.2.3.4:5 1.2.3.4:6 1 0 0 curl -",
	};
	struct proto_record r;
	const char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (proto_record_parse(bad[i], strlen(bad[i]), &r, &cause) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
	}
}

static int
count_line(const char *l, size_t n, void *arg)
{
	(void)l;
	(void)n;
	(*(int *)arg)++;
	return 0;
}

static void
test_overlong(void **state)
{
	struct proto_reader rd;
	char big[PROTO_MAX_LINE + 10];
	int lines = 0;

	(void)state;
	memset(&rd, 0, sizeof rd);
	assert_int_equal(proto_feed(&rd, "a\r\nbb\n", 6, count_line, &lines),
	    0);
	assert_int_equal(lines, 2);
	/* 1023 bytes and the newline: fits. */
	memset(big, 'x', sizeof big);
	big[PROTO_MAX_LINE - 1] = '\n';
	assert_int_equal(proto_feed(&rd, big, PROTO_MAX_LINE, count_line,
	    &lines), 0);
	assert_int_equal(lines, 3);
	/* 1024 without one: too long, in pieces too, and stays so. */
	memset(big, 'x', sizeof big);
	assert_int_equal(proto_feed(&rd, big, 600, count_line, &lines), 0);
	assert_int_equal(proto_feed(&rd, big, 600, count_line, &lines), -1);
	assert_int_equal(proto_feed(&rd, "\n", 1, count_line, &lines), -1);
	assert_int_equal(lines, 3);
}

static void
test_table(void **state)
{
	struct agent_table t;
	struct proto_record r;
	size_t i;

	(void)state;
	agent_table_init(&t);
	memset(&r, 0, sizeof r);
	r.pid = 1;
	snprintf(r.src, sizeof r.src, "127.0.0.1:1000");
	agent_table_put(&t, &r, 1000);
	assert_non_null(agent_table_get(&t, 0, "127.0.0.1:1000", 2000));
	assert_null(agent_table_get(&t, 0, "127.0.0.1:1001", 2000));
	/* Expired. */
	assert_null(agent_table_get(&t, 0, "127.0.0.1:1000",
	    1000 + AGENT_TABLE_TTL + 1));
	/* The newest wins. */
	r.pid = 2;
	agent_table_put(&t, &r, 3000);
	assert_int_equal(agent_table_get(&t, 0, "127.0.0.1:1000", 3000)->pid, 2);
	/* A DNS query from the same port is another record. */
	assert_null(agent_table_get(&t, 1, "127.0.0.1:1000", 3000));
	r.pid = 3;
	r.udp = 1;
	agent_table_put(&t, &r, 3000);
	assert_int_equal(agent_table_get(&t, 1, "127.0.0.1:1000", 3000)->pid, 3);
	assert_int_equal(agent_table_get(&t, 0, "127.0.0.1:1000", 3000)->pid, 2);
	r.udp = 0;
	/* A flood pushes the old out, never grows the table. */
	for (i = 0; i < AGENT_TABLE_MAX; i++) {
		snprintf(r.src, sizeof r.src, "127.0.0.2:%zu", i % 60000 + 1);
		agent_table_put(&t, &r, 4000);
	}
	assert_int_equal(t.n, AGENT_TABLE_MAX);
	assert_null(agent_table_get(&t, 0, "127.0.0.1:1000", 4000));
	agent_table_free(&t);
}

static void
test_config_agents(void **state)
{
	static const char conf[] =
	    "AgentListen 127.0.0.1:9151\n"
	    "Agent ws1 10.152.152.11 /etc/isoaudit/ws1.key\n"
	    "Agent ws2 10.152.153.0/24 /etc/isoaudit/ws2.key\n"
	    "LocalAttribution off\n";
	static const char *const bad[] = {
		"AgentListen 9151\n", "AgentListen host:9151\n",
		"AgentListen 127.0.0.1:0\n", "Agent ws1 10.0.0.1\n",
		"Agent ws/1 10.0.0.1 /k\n", "Agent ws1 10.0.0.300 /k\n",
		"Agent ws1 10.0.0.1 k\n",
		"Agent ws1 10.0.0.1 /k\nAgent ws1 10.0.0.2 /k\n",
		"LocalAttribution maybe\n",
	};
	struct config c;
	char *cause = NULL;
	size_t i;

	(void)state;
	assert_int_equal(config_load_buf(&c, "t.conf", conf, strlen(conf),
	    &cause), 0);
	assert_string_equal(c.agent_listen, "127.0.0.1:9151");
	assert_int_equal(c.nagents, 2);
	assert_true(c.local_attrib_off);
	assert_string_equal(config_agent_for(&c, "10.152.152.11")->name, "ws1");
	assert_null(config_agent_for(&c, "10.152.152.12"));
	assert_string_equal(config_agent_for(&c, "10.152.153.7")->name, "ws2");
	assert_null(config_agent_for(&c, "10.152.153.7/32"));
	assert_null(config_agent_for(&c, "fd19::1"));
	config_free(&c);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (config_load_buf(&c, "t.conf", bad[i], strlen(bad[i]),
		    &cause) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		assert_true(strncmp(cause, "t.conf:", 7) == 0);
		free(cause);
		config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_bad_hello),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_config_agents),
	};

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
