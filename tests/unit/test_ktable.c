/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_ktable.c: the connect tracker's table (ktable.c): lookup by
 * 4-tuple, the newest of a reused tuple, expiry, the bound, a long
 * history through a small table, and the attribution asking it first
 * (attrib.c) with no socket to find.
 */
#define ISOAUDIT_PRIVATE	/* attrib_no_netlink */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "attrib.h"
#include "ktable.h"
#include "timeutil.h"

#define SEC	1000000LL

static struct ktable_rec
rec4(const char *src, unsigned sport, const char *dst, unsigned dport,
    long pid, int64_t at)
{
	struct ktable_rec r;

	memset(&r, 0, sizeof r);
	r.family = AF_INET;
	inet_pton(AF_INET, src, r.saddr);
	inet_pton(AF_INET, dst, r.daddr);
	r.sport = sport;
	r.dport = dport;
	r.tgid = r.pid = pid;
	r.uid = 1000;
	snprintf(r.comm, sizeof r.comm, "p%ld", pid);
	r.at = at;
	return r;
}

static const struct ktable_rec *
find4(struct ktable *t, const char *src, unsigned sport, const char *dst,
    unsigned dport, int64_t now)
{
	unsigned char s[16] = { 0 }, d[16] = { 0 };

	inet_pton(AF_INET, src, s);
	inet_pton(AF_INET, dst, d);
	return ktable_find(t, KTABLE_TCP, AF_INET, s, sport, d, dport, now);
}

static void
test_lookup_by_tuple(void **state)
{
	struct ktable *t = ktable_new(16, 120 * SEC);
	struct ktable_rec r;
	unsigned char s[16] = { 0 }, d[16] = { 0 };

	(void)state;
	r = rec4("127.0.0.1", 40000, "127.0.0.1", 9050, 11, 10 * SEC);
	ktable_add(t, &r);
	r = rec4("127.0.0.1", 40001, "127.0.0.1", 9050, 12, 10 * SEC);
	ktable_add(t, &r);
	assert_int_equal(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9050,
	    11 * SEC)->pid, 11);
	assert_int_equal(find4(t, "127.0.0.1", 40001, "127.0.0.1", 9050,
	    11 * SEC)->pid, 12);
	/* Another port, another listener, another address: no answer. */
	assert_null(find4(t, "127.0.0.1", 40002, "127.0.0.1", 9050, 11 * SEC));
	assert_null(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9150, 11 * SEC));
	assert_null(find4(t, "127.0.0.2", 40000, "127.0.0.1", 9050, 11 * SEC));
	/* An IPv6 tuple of the same bytes is another one; a family that is
	 * neither is never stored nor found. */
	memcpy(s, r.saddr, 4);
	memcpy(d, r.daddr, 4);
	assert_null(ktable_find(t, KTABLE_TCP, AF_INET6, s, 40001, d, 9050, 11 * SEC));
	assert_null(ktable_find(t, KTABLE_TCP, 99, s, 40001, d, 9050, 11 * SEC));
	r.family = 99;
	ktable_add(t, &r);
	assert_int_equal(ktable_count(t), 2);
	ktable_free(t);
	ktable_free(NULL);
}

/* A UDP record (a DNS query) and a TCP connect of the same 4-tuple are
 * two records: each protocol finds only its own. */
static void
test_udp_apart(void **state)
{
	struct ktable *t = ktable_new(16, 120 * SEC);
	struct ktable_rec r;

	(void)state;
	r = rec4("127.0.0.1", 40000, "127.0.0.1", 53, 31, 10 * SEC);
	r.proto = KTABLE_UDP;
	ktable_add(t, &r);
	assert_null(find4(t, "127.0.0.1", 40000, "127.0.0.1", 53, 11 * SEC));
	assert_int_equal(ktable_find(t, KTABLE_UDP, AF_INET, r.saddr, 40000,
	    r.daddr, 53, 11 * SEC)->pid, 31);
	r = rec4("127.0.0.1", 40000, "127.0.0.1", 53, 32, 12 * SEC);
	ktable_add(t, &r);
	assert_int_equal(find4(t, "127.0.0.1", 40000, "127.0.0.1", 53,
	    13 * SEC)->pid, 32);
	assert_int_equal(ktable_find(t, KTABLE_UDP, AF_INET, r.saddr, 40000,
	    r.daddr, 53, 13 * SEC)->pid, 31);
	/* A protocol that is neither is never stored. */
	r.proto = 7;
	ktable_add(t, &r);
	assert_int_equal(ktable_count(t), 2);
	ktable_free(t);
}

/* The agent sends a tracker record as a connection: endpoints as Tor
 * writes them, the process (tgid), a DNS query marked. */
static void
test_conn_from_tracker(void **state)
{
	struct ktable_rec r = rec4("10.152.152.11", 41036, "10.152.152.10",
	    9050, 77, 0);
	struct attrib_conn c;

	(void)state;
	r.pid = 78;		/* the thread; the process is 77 */
	snprintf(r.exe, sizeof r.exe, "/usr/bin/curl");
	attrib_conn_from_tracker(&r, &c);
	assert_string_equal(c.src, "10.152.152.11:41036");
	assert_string_equal(c.dst, "10.152.152.10:9050");
	assert_int_equal(c.pid, 77);
	assert_int_equal(c.uid, 1000);
	assert_string_equal(c.comm, "p77");
	assert_string_equal(c.exe, "/usr/bin/curl");
	assert_int_equal(c.udp, 0);
	memset(&r, 0, sizeof r);
	r.family = AF_INET6;
	inet_pton(AF_INET6, "fd19::11", r.saddr);
	inet_pton(AF_INET6, "fd19::10", r.daddr);
	r.sport = 5353;
	r.dport = 53;
	r.proto = KTABLE_UDP;
	r.tgid = 5;
	attrib_conn_from_tracker(&r, &c);
	assert_string_equal(c.src, "[fd19::11]:5353");
	assert_string_equal(c.dst, "[fd19::10]:53");
	assert_int_equal(c.udp, 1);
	assert_string_equal(c.comm, "");
}

static void
test_newest_and_expiry(void **state)
{
	struct ktable *t = ktable_new(16, 120 * SEC);
	struct ktable_rec r;

	(void)state;
	/* A source port used again: the newer connect is the answer. */
	r = rec4("127.0.0.1", 40000, "127.0.0.1", 9050, 21, 10 * SEC);
	ktable_add(t, &r);
	r = rec4("127.0.0.1", 40000, "127.0.0.1", 9050, 22, 50 * SEC);
	ktable_add(t, &r);
	assert_int_equal(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9050,
	    60 * SEC)->pid, 22);
	/* 120 s after the first, only the second is young enough... */
	assert_int_equal(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9050,
	    140 * SEC)->pid, 22);
	/* ...and after 120 s of the second, none. */
	assert_null(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9050,
	    170 * SEC + 1));
	/* A record from the future (a clock step) answers nothing. */
	assert_null(find4(t, "127.0.0.1", 40000, "127.0.0.1", 9050, 5 * SEC));
	ktable_free(t);
}

static void
test_bounded(void **state)
{
	struct ktable *t = ktable_new(100, 120 * SEC);
	struct ktable_rec r;
	unsigned i;

	(void)state;
	/* 100 000 connects through a table of 100: it keeps the newest 100,
	 * and a lookup still finds each of them. */
	for (i = 0; i < 100000; i++) {
		r = rec4("127.0.0.1", 1024 + i % 60000, "127.0.0.1", 9050,
		    (long)i + 1, 10 * SEC + i);
		ktable_add(t, &r);
	}
	assert_int_equal(ktable_count(t), 100);
	assert_int_equal(ktable_added(t), 100000);
	for (i = 100000 - 100; i < 100000; i++)
		assert_int_equal(find4(t, "127.0.0.1", 1024 + i % 60000,
		    "127.0.0.1", 9050, 11 * SEC)->pid, (long)i + 1);
	/* The 101st newest is gone. */
	i = 100000 - 101;
	assert_null(find4(t, "127.0.0.1", 1024 + i % 60000, "127.0.0.1", 9050,
	    11 * SEC));
	ktable_free(t);
	/* A table of 0 is a table of 1. */
	t = ktable_new(0, SEC);
	r = rec4("127.0.0.1", 1, "127.0.0.1", 2, 7, 0);
	ktable_add(t, &r);
	assert_int_equal(find4(t, "127.0.0.1", 1, "127.0.0.1", 2, 0)->pid, 7);
	ktable_free(t);
}

/*
 * Attribution asks the table first: a client gone long before Tor said
 * NEW (no socket anywhere: the fake /proc is empty) is still named, by
 * the listener it connected to, with its executable.
 */
static void
test_attrib_asks_tracker(void **state)
{
	struct ktable *t = ktable_new(16, 120 * SEC);
	struct attrib *a = attrib_new("/nonexistent");
	const char *listeners[] = { "127.0.0.1:9050", "127.0.0.1:9150" };
	struct attrib_result res;
	struct ktable_rec r;

	(void)state;
	attrib_no_netlink(a);
	attrib_set_listeners(a, listeners, 2);
	r = rec4("127.0.0.1", 41000, "127.0.0.1", 9150, 4242, 0);
	r.at = time_mono_us();
	snprintf(r.exe, sizeof r.exe, "/usr/bin/curl");
	ktable_add(t, &r);

	/* Without the table: gone, nobody. */
	attrib_lookup(a, "127.0.0.1:41000", &res);
	assert_int_equal(res.pid, 0);
	assert_string_equal(res.by, "");

	attrib_set_tracker(a, t);
	attrib_lookup(a, "127.0.0.1:41000", &res);
	assert_int_equal(res.pid, 4242);
	assert_int_equal(res.uid, 1000);
	assert_string_equal(res.listener, "127.0.0.1:9150");
	assert_string_equal(res.host, "localhost");
	assert_string_equal(res.process, "p4242");
	assert_string_equal(res.exe, "/usr/bin/curl");
	assert_string_equal(res.by, "tracker");
	/* Another source port: the lookups as before. */
	attrib_lookup(a, "127.0.0.1:41001", &res);
	assert_int_equal(res.pid, 0);
	assert_string_equal(res.by, "");

	/* A source port the kernel gave again, to a connection to another
	 * listener: the newest connect is the stream's, not the record the
	 * first listener still holds (seen in the demo: irc's stream put on
	 * mail's port and process, a false SHARED_CIRCUIT). */
	r = rec4("127.0.0.1", 41002, "127.0.0.1", 9050, 5001, 0);
	r.at = time_mono_us() - 76 * SEC;
	ktable_add(t, &r);
	r = rec4("127.0.0.1", 41002, "127.0.0.1", 9150, 5002, 0);
	r.at = time_mono_us();
	ktable_add(t, &r);
	attrib_lookup(a, "127.0.0.1:41002", &res);
	assert_int_equal(res.pid, 5002);
	assert_string_equal(res.listener, "127.0.0.1:9150");
	/* The hint's listener first, whatever its age. */
	attrib_lookup_hint(a, "127.0.0.1:41002", "127.0.0.1:9050", 0, &res);
	assert_int_equal(res.pid, 5001);
	/* A hint alone (a session group only that listener has): no other
	 * listener's record is the stream's. */
	attrib_lookup_hint(a, "127.0.0.1:41000", "127.0.0.1:9050", 1, &res);
	assert_int_equal(res.pid, 0);
	assert_string_equal(res.by, "");
	attrib_lookup_hint(a, "127.0.0.1:41000", "127.0.0.1:9050", 0, &res);
	assert_int_equal(res.pid, 4242);

	/* A DNS query's source port given again, to another DNSPort: the
	 * newest query is the one Tor reported, as for TCP. */
	r = rec4("127.0.0.1", 41010, "127.0.0.1", 5300, 6001, 0);
	r.proto = KTABLE_UDP;
	r.at = time_mono_us() - 60 * SEC;
	ktable_add(t, &r);
	r = rec4("127.0.0.1", 41010, "127.0.0.1", 5400, 6002, 0);
	r.proto = KTABLE_UDP;
	r.at = time_mono_us();
	ktable_add(t, &r);
	attrib_lookup_dns(a, "127.0.0.1:41010", "127.0.0.1:5300\0"
	    "127.0.0.1:5400\0", 2, &res);
	assert_int_equal(res.pid, 6002);
	assert_string_equal(res.listener, "127.0.0.1:5400");
	assert_string_equal(res.by, "tracker");
	attrib_free(a);
	ktable_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_by_tuple),
		cmocka_unit_test(test_udp_apart),
		cmocka_unit_test(test_conn_from_tracker),
		cmocka_unit_test(test_newest_and_expiry),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_attrib_asks_tracker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
