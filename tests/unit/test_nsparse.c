/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_nsparse.c: the router status of GETINFO ns/id/FP and the country of
 * GETINFO ip-to-country/IP (auditor/tor/nsparse.c), on replies recorded
 * from Tor 0.4.9.11 on the private test network (tests/tornet), fed
 * through the reply framer as the dashboard gets them, then on hostile
 * variants.
 */
#include "testutil.h"

#include "nsparse.h"
#include "reply.h"

/* Recorded: `GETINFO ns/id/29AB95F40F23C14CFA841F05C32C8EB7DA97CD01`. */
static const char rec_ns[] =
    "250+ns/id/29AB95F40F23C14CFA841F05C32C8EB7DA97CD01=\r\n"
    "r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE zpBqAuHbns/Axmieu7ZG5wXCOO4 "
    "2038-01-01 00:00:00 127.0.0.1 31004 0\r\n"
    "s Exit Fast Guard HSDir Running Stable V2Dir Valid\r\n"
    "w Bandwidth=2\r\n"
    ".\r\n"
    "250 OK\r\n";
/* Recorded: a fingerprint Tor does not know. */
static const char rec_unknown[] =
    "552 Unrecognized key \"ns/id/0000000000000000000000000000000000000000\""
    "\r\n";
/* Recorded: `GETINFO ip-to-country/127.0.0.1` without tor-geoipdb. */
static const char rec_nogeo[] = "551 GeoIP data not loaded\r\n";

struct got {
	int		 code;
	char		 data[1024];
	size_t		 len;
	int		 n;
};

static void
on_reply(const struct reply *r, void *arg)
{
	struct got *g = arg;

	g->n++;
	g->code = r->code;
	g->len = 0;
	if (r->nlines > 0 && r->lines[0].data != NULL &&
	    r->lines[0].datalen < sizeof g->data) {
		memcpy(g->data, r->lines[0].data, r->lines[0].datalen);
		g->len = r->lines[0].datalen;
	}
	g->data[g->len] = '\0';
}

static void
frame(const char *bytes, struct got *g)
{
	struct reply_parser *p;

	memset(g, 0, sizeof *g);
	p = reply_parser_new(on_reply, NULL, g);
	reply_parser_feed(p, bytes, strlen(bytes), 0);
	reply_parser_free(p);
	assert_int_equal(g->n, 1);
}

static void
test_recorded(void **state)
{
	struct ns_router ns;
	struct got g;
	char *cause = NULL;

	(void)state;
	frame(rec_ns, &g);
	assert_int_equal(g.code, 250);
	assert_int_equal(nsparse_router(g.data, g.len, &ns, &cause), 0);
	assert_null(cause);
	assert_string_equal(ns.nick, "exit0");
	assert_string_equal(ns.fp, "29AB95F40F23C14CFA841F05C32C8EB7DA97CD01");
	assert_string_equal(ns.address, "127.0.0.1");
	assert_int_equal(ns.orport, 31004);
	assert_int_equal(ns.dirport, 0);
	assert_string_equal(ns.flags,
	    "Exit Fast Guard HSDir Running Stable V2Dir Valid");

	/* Errors: no data to parse; the dashboard shows nothing. */
	frame(rec_unknown, &g);
	assert_int_equal(g.code, 552);
	assert_int_equal(g.len, 0);
	frame(rec_nogeo, &g);
	assert_int_equal(g.code, 551);
}

static void
test_router_variants(void **state)
{
	static const char *const bad[] = {
		"",
		"w Bandwidth=2",
		"s Exit Fast",
		/* Too few fields. */
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE zpBq 2038-01-01 00:00:00 "
		"127.0.0.1 31004",
		/* A nickname too long, or not letters and digits. */
		"r abcdefghijklmnopqrst KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 "
		"00:00:00 127.0.0.1 1 0",
		"r ev\x1b[31mil KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 "
		"00:00:00 127.0.0.1 1 0",
		/* An identity that is not 20 bytes of base64. */
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQ d 2038-01-01 00:00:00 "
		"127.0.0.1 1 0",
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXz!E d 2038-01-01 00:00:00 "
		"127.0.0.1 1 0",
		/* An address or port out of shape. */
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 00:00:00 "
		"evil.example 1 0",
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 00:00:00 "
		"127.0.0.1 65536 0",
		"r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 00:00:00 "
		"127.0.0.1 1 -1",
	};
	struct ns_router ns;
	char *cause;
	char big[4096];
	const char *s;
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(bad); i++) {
		cause = NULL;
		assert_int_equal(nsparse_router(bad[i], strlen(bad[i]), &ns,
		    &cause), -1);
		assert_non_null(cause);
		assert_string_equal(ns.nick, "");
		free(cause);
	}
	cause = NULL;
	assert_int_equal(nsparse_router(NULL, 0, &ns, &cause), -1);
	free(cause);

	/* IPv6, a padded identity, LF only, unknown lines, flags that are
	 * not words dropped, the s line before r ignored. */
	s = "s Bogus\n"
	    "r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE= d 2038-01-01 00:00:00 "
	    "2001:db8::1 443 80\n"
	    "a [2001:db8::2]:443\n"
	    "s Fast \x1b[31m Running Stable=1 Valid\n"
	    "p accept 1-65535";
	assert_int_equal(nsparse_router(s, strlen(s), &ns, &cause), 0);
	assert_string_equal(ns.address, "2001:db8::1");
	assert_int_equal(ns.orport, 443);
	assert_int_equal(ns.dirport, 80);
	assert_string_equal(ns.flags, "Fast Running Valid");

	/* A flood of flags: cut at a word, bounded. */
	strcpy(big, "r x KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 00:00:00 "
	    "10.0.0.1 1 0\ns");
	while (strlen(big) + 12 < sizeof big)
		strcat(big, " LongFlagXY");
	assert_int_equal(nsparse_router(big, strlen(big), &ns, &cause), 0);
	assert_true(strlen(ns.flags) < NS_FLAGS);
	assert_true(strlen(ns.flags) > NS_FLAGS - 12);
	assert_true(ns.flags[strlen(ns.flags) - 1] == 'Y');

	/* Text past the given length is not read. */
	s = "r exit0 KauV9A8jwUz6hB8FwyyOt9qXzQE d 2038-01-01 00:00:00 "
	    "127.0.0.1 1 0\ns Fast Valid";
	assert_int_equal(nsparse_router(s, strlen(s) - 6, &ns, &cause), 0);
	assert_string_equal(ns.flags, "Fast");
}

static void
test_country(void **state)
{
	char cc[3];

	(void)state;
	assert_int_equal(nsparse_country("de", 2, cc), 0);
	assert_string_equal(cc, "de");
	assert_int_equal(nsparse_country("US", 2, cc), 0);
	assert_string_equal(cc, "us");
	/* No country: "??" (no GeoIP entry), empty, or anything else. */
	assert_int_equal(nsparse_country("??", 2, cc), -1);
	assert_string_equal(cc, "");
	assert_int_equal(nsparse_country("", 0, cc), -1);
	assert_int_equal(nsparse_country("deu", 3, cc), -1);
	assert_int_equal(nsparse_country("d\x1b", 2, cc), -1);
	assert_int_equal(nsparse_country(NULL, 0, cc), -1);
	assert_string_equal(cc, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_router_variants),
		cmocka_unit_test(test_country),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
