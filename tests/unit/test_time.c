/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_time.c: RFC 3339 output and input, and ages (timeutil.c).
 */
#include "testutil.h"

#include "timeutil.h"

#define SEC	1000000LL
/* 2026-11-24T17:40:00Z */
#define T0	(1795542000LL * SEC)

static void
test_rfc3339_known(void **state)
{
	char out[TIME_RFC3339_LEN];

	(void)state;
	time_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_rfc3339_ms(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");

	time_rfc3339(1795545089123456LL, out);
	assert_string_equal(out, "2026-11-24T18:31:29Z");
	time_rfc3339_ms(1795545089123456LL, out);
	assert_string_equal(out, "2026-11-24T18:31:29.123Z");

	time_rfc3339(T0, out);
	assert_string_equal(out, "2026-11-24T17:40:00Z");
	/* Milliseconds truncate, they do not round up into the next second. */
	time_rfc3339_ms(T0 + 999999, out);
	assert_string_equal(out, "2026-11-24T17:40:00.999Z");
	time_rfc3339(T0 + 999999, out);
	assert_string_equal(out, "2026-11-24T17:40:00Z");

	/* A leap day and the end of a year. */
	time_rfc3339(951782400LL * SEC, out);
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	time_rfc3339(1767225599LL * SEC, out);
	assert_string_equal(out, "2025-12-31T23:59:59Z");
}

static void
test_rfc3339_negative(void **state)
{
	char out[TIME_RFC3339_LEN];

	(void)state;
	/* Before the epoch the fraction still counts forwards. */
	time_rfc3339(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	time_rfc3339_ms(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	time_rfc3339_ms(-1500000, out);
	assert_string_equal(out, "1969-12-31T23:59:58.500Z");
}

static void
test_parse_age_ok(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 us;
	} ok[] = {
		{ "30d", 30LL * 86400 * SEC },
		{ "12h", 12LL * 3600 * SEC },
		{ "90m", 90LL * 60 * SEC },
		{ "45s", 45LL * SEC },
		{ "2w", 14LL * 86400 * SEC },
		{ "1.5h", 5400LL * SEC },
		{ "0.5s", 500000 },
		{ "0s", 0 },
		{ "007d", 7LL * 86400 * SEC },
		{ "1000000s", 1000000LL * SEC },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(ok); i++) {
		int64_t us = -42;

		if (time_parse_age(ok[i].s, &us) != 0)
			fail_msg("time_parse_age(\"%s\") refused", ok[i].s);
		if (us != ok[i].us)
			fail_msg("time_parse_age(\"%s\") = %lld, want %lld",
			    ok[i].s, (long long)us, (long long)ok[i].us);
	}
}

/* Every millisecond fraction reads back exactly (no float truncation). */
static void
test_parse_age_fractions(void **state)
{
	char s[32];
	int64_t us;
	int ms;

	(void)state;
	for (ms = 0; ms < 10000; ms++) {
		snprintf(s, sizeof s, "%d.%03ds", ms / 1000, ms % 1000);
		assert_int_equal(time_parse_age(s, &us), 0);
		if (us != (int64_t)ms * 1000)
			fail_msg("%s: %lld us", s, (long long)us);
	}
	assert_int_equal(time_parse_age("0.000001s", &us), 0);
	assert_int_equal(us, 1);
	assert_int_equal(time_parse_age("0.3s", &us), 0);
	assert_int_equal(us, 300000);
	assert_int_equal(time_parse_age("0.1h", &us), 0);
	assert_int_equal(us, 360 * SEC);
}

static void
test_parse_age_bad(void **state)
{
	static const char *const bad[] = {
		"", "5", "-1d", "+1d", "3x", "1dd", "d", ".5h", "1.h", "1..5h",
		"1.5.5h", " 5d", "5d ", "5 d", "5D", "1e3s", "0x10s", "nans",
		"nand", "infd", "inf", "1000001s", "h1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(bad); i++) {
		int64_t us = -42;

		if (time_parse_age(bad[i], &us) != -1)
			fail_msg("time_parse_age(\"%s\") accepted (%lld)",
			    bad[i], (long long)us);
		assert_int_equal(us, -42);	/* untouched */
	}
	assert_int_equal(time_parse_age(NULL, NULL), -1);
}

static void
when_ok(const char *s, int64_t now, int64_t want)
{
	int64_t us = -42;

	if (time_parse_when(s, now, &us) != 0)
		fail_msg("time_parse_when(\"%s\") refused", s);
	if (us != want)
		fail_msg("time_parse_when(\"%s\") = %lld, want %lld", s,
		    (long long)us, (long long)want);
}

static void
when_bad(const char *s)
{
	int64_t us = -42;

	if (time_parse_when(s, T0, &us) != -1)
		fail_msg("time_parse_when(\"%s\") accepted (%lld)", s,
		    (long long)us);
}

static void
test_parse_when_rfc3339(void **state)
{
	(void)state;
	when_ok("2026-11-24T17:40:00Z", 0, T0);
	when_ok("2026-11-24t17:40:00z", 0, T0);
	when_ok("2026-11-24 17:40:00Z", 0, T0);
	when_ok("2026-11-24T19:40:00+02:00", 0, T0);
	when_ok("2026-11-24T17:40:00+00:00", 0, T0);
	when_ok("2026-11-24T12:10:00-05:30", 0, T0);
	when_ok("2026-11-24T17:40:00.5Z", 0, T0 + 500000);
	when_ok("2026-11-24T17:40:00.123456Z", 0, T0 + 123456);
	/* Beyond microseconds the digits are read and ignored. */
	when_ok("2026-11-24T17:40:00.123456789Z", 0, T0 + 123456);
	when_ok("2026-11-24T19:40:00.25+02:00", 0, T0 + 250000);
	when_ok("1970-01-01T00:00:00Z", 12345, 0);
	/* A bare date is midnight UTC. */
	when_ok("2026-11-24", 0, 1795478400LL * SEC);
	when_ok("2000-02-29", 0, 951782400LL * SEC);
	/* The output of time_rfc3339_ms reads back. */
	when_ok("2026-11-24T18:31:29.123Z", 0, 1795545089123000LL);
}

static void
test_parse_when_relative(void **state)
{
	(void)state;
	when_ok("2h", T0, T0 - 2 * 3600 * SEC);
	when_ok("7d", T0, T0 - 7LL * 86400 * SEC);
	when_ok("1.5h", T0, T0 - 5400 * SEC);
	when_ok("0s", T0, T0);
	/* Relative to the now given, not to the clock. */
	when_ok("30m", 1000LL * 3600 * SEC, 1000LL * 3600 * SEC - 1800 * SEC);
}

static void
test_parse_when_bad(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2h ago", "-2h", "5",
		"2026-11-24T17:40:00",		/* no zone */
		"2026-11-24T17:40Z",		/* no seconds */
		"2026-11-24T17:40:00+0200",	/* offset without ':' */
		"2026-11-24T17:40:00+2:00",	/* short offset */
		"2026-11-24T17:40:00+02:0",
		"2026-11-24T17:40:00+02",
		"2026-11-24T17:40:00+",
		"2026-11-24T17:40:00+ 2:00",
		"2026-11-24T17:40:00+02:00junk",
		"2026-11-24T17:40:00+24:00",
		"2026-11-24T17:40:00+02:60",
		"2026-11-24T17:40:00Zjunk",
		"2026-11-24T17:40:00.5",
		"2026-11-24X17:40:00Z",
		"2026-11-24junk",
		"2026-13-01",
		"2026/11/24",
		"T17:40:00Z",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(bad); i++)
		when_bad(bad[i]);
}

static void
dur(int64_t secs, int spaced, const char *want)
{
	char out[32];

	time_duration(secs * 1000000, spaced, out, sizeof out);
	assert_string_equal(out, want);
}

static void
test_duration(void **state)
{
	char out[4];

	(void)state;
	dur(-5, 0, "0s");
	dur(0, 0, "0s");
	dur(59, 0, "59s");
	dur(60, 0, "1m00s");
	dur(61, 1, "1m 01s");
	dur(3599, 0, "59m59s");
	dur(3600, 0, "1h00m");
	dur(3700, 1, "1h 01m");
	dur(86399, 0, "23h59m");
	dur(90000, 0, "1d01h");
	dur(90000, 1, "1d 01h");
	/* Cut to the buffer, never over it. */
	time_duration(90000LL * 1000000, 0, out, sizeof out);
	assert_string_equal(out, "1d0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339_known),
		cmocka_unit_test(test_rfc3339_negative),
		cmocka_unit_test(test_parse_age_ok),
		cmocka_unit_test(test_parse_age_fractions),
		cmocka_unit_test(test_parse_age_bad),
		cmocka_unit_test(test_parse_when_rfc3339),
		cmocka_unit_test(test_parse_when_relative),
		cmocka_unit_test(test_parse_when_bad),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
