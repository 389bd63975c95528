/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_report_svg.c: what the HTML and text reports print beside the
 * tables: the remedy table (report_remedy.c: one entry for every rule,
 * plain text that goes into HTML as it is), processes collapsed by
 * program (report.c), and the two SVG builders (report_svg.c): hostile
 * names escaped, and bounded output for 10000 applications and a million
 * circuits.
 */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "report_int.h"

#define HOSTILE	"<script>&\"'\x1b[31m</svg>"

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s += strlen(what))
		n++;
	return n;
}

static void
test_remedy_every_rule(void **state)
{
	const struct report_remedy *m;
	enum rule_id r;
	size_t i;

	(void)state;
	for (r = 0; r < RULE__COUNT; r++) {
		m = report_remedy_find(rule_name(r));
		if (m == NULL)
			fail_msg("no remedy for %s", rule_name(r));
		assert_true(strlen(m->means) > 20);
		assert_true(strlen(m->fix) > 20);
	}
	/* Printed into HTML unescaped: no markup, nothing to escape. */
	for (i = 0; (m = report_remedy_at(i)) != NULL; i++) {
		assert_null(strpbrk(m->fix, "<>&\"\\"));
		assert_null(strpbrk(m->means, "<>&\"\\"));
	}
	assert_int_equal(i, RULE__COUNT);
	assert_null(report_remedy_find("NO_SUCH_RULE"));
	assert_null(report_remedy_find(NULL));
	m = report_remedy_find("SHARED_CIRCUIT");
	assert_non_null(strstr(m->fix, "own SocksPort"));
	assert_non_null(strstr(m->fix, "IsolateSOCKSAuth"));
	assert_non_null(strstr(m->fix, "SessionGroup"));
}

static void
test_procs_collapse(void **state)
{
	struct rep_procs ps;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b);
	buf_addc(&b, '[');
	for (i = 0; i < 212; i++)
		buf_printf(&b, "%s{\"pid\": %d, \"name\": \"curl\"}",
		    i > 0 ? ", " : "", 5000 + i);
	buf_adds(&b, ", {\"pid\": 7, \"name\": \"wget\"}, {\"pid\": null, "
	    "\"name\": \"a<b\"}]");
	report_procs_json(&ps, buf_cstr(&b));
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.p[0].name, "curl");
	assert_int_equal(ps.p[0].count, 212);
	assert_int_equal(ps.p[0].npids, REPORT_PROC_PIDS);
	assert_int_equal(ps.p[0].pids[0], 5000);
	assert_int_equal(ps.p[1].count, 1);
	assert_int_equal(ps.p[1].pids[0], 7);
	assert_string_equal(ps.p[2].name, "a<b");
	assert_int_equal(ps.p[2].npids, 0);
	assert_int_equal(ps.total, 214);
	report_procs_free(&ps);

	/* Not JSON: nothing. */
	report_procs_json(&ps, "[{\"pid\": 1");
	assert_int_equal(ps.n, 0);
	report_procs_json(&ps, NULL);
	assert_int_equal(ps.n, 0);

	/* An application's list: names with spaces and brackets. */
	report_procs_text(&ps, "curl[1] curl[2] my app[3] x]y[4] bare");
	assert_int_equal(ps.n, 4);
	assert_string_equal(ps.p[0].name, "curl");
	assert_int_equal(ps.p[0].count, 2);
	assert_string_equal(ps.p[1].name, "my app");
	assert_int_equal(ps.p[1].pids[0], 3);
	assert_string_equal(ps.p[2].name, "x]y");
	assert_string_equal(ps.p[3].name, "bare");
	report_procs_free(&ps);

	/* Bounded: more programs than kept are counted. */
	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "p%d[%d] ", i, i);
	report_procs_text(&ps, buf_cstr(&b));
	assert_int_equal(ps.n, REPORT_PROC_NAMES);
	assert_int_equal(ps.more, 1000 - REPORT_PROC_NAMES);
	report_procs_free(&ps);
	buf_free(&b);
}

static void
test_graph_hostile(void **state)
{
	const char *names[] = { HOSTILE, "App E@localhost", "a\nb" };
	struct rep_edge e[] = { { 0, 1, 3, 1 }, { 1, 2, 1, 0 },
		{ 0, 7, 1, 0 } };	/* the last names no node */
	struct buf b;
	const char *s;

	(void)state;
	buf_init(&b);
	report_graph_svg(&b, names, 3, e, 3);
	s = buf_cstr(&b);
	assert_int_equal(strncmp(s, "<svg ", 5), 0);
	assert_int_equal(count(s, "<svg"), 1);
	assert_int_equal(count(s, "</svg>"), 1);
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "\x1b"));
	assert_null(strstr(s, "http"));
	assert_non_null(strstr(s, "&lt;script&gt;&amp;&quot;&#39;\\x1b[31m"
	    "&lt;/svg&gt;"));
	assert_non_null(strstr(s, "a\\nb"));
	/* Two edges drawn, the critical one red; the third counted. */
	assert_int_equal(count(s, "<line "), 2);
	assert_int_equal(count(s, "stroke=\"#c0392b\""), 1);
	assert_non_null(strstr(s, "1 more pairs not drawn"));
	buf_free(&b);
}

static void
test_graph_bounds(void **state)
{
	const char **names;
	struct rep_edge *e;
	struct buf b;
	size_t i, n = 10000;

	(void)state;
	names = calloc(n, sizeof *names);
	e = calloc(2 * n, sizeof *e);
	assert_non_null(names);
	assert_non_null(e);
	for (i = 0; i < n; i++)
		names[i] = HOSTILE;
	for (i = 0; i < 2 * n; i++) {
		e[i].a = i % 16;
		e[i].b = (i * 7 + 1) % n;
		e[i].n = (long)i;
		e[i].critical = i % 2;
	}
	buf_init(&b);
	report_graph_svg(&b, names, n, e, 2 * n);
	assert_int_equal(count(buf_cstr(&b), "<circle "), GRAPH_MAX_NODES);
	assert_true(count(buf_cstr(&b), "<line ") <= GRAPH_MAX_EDGES);
	assert_non_null(strstr(buf_cstr(&b), "9984 more applications"));
	assert_true(b.len < 100000);
	buf_free(&b);
	free(names);
	free(e);
}

static void
test_timeline(void **state)
{
	struct rep_timeline t;
	struct buf b;
	const char *s;
	int l0, l1;

	(void)state;
	report_tl_init(&t, 1000000, 61000000);
	l0 = report_tl_lane(&t, HOSTILE);
	l1 = report_tl_lane(&t, "App E@localhost");
	report_tl_circuit(&t, l0, 1, 25, "085111030DA53A4D7B7C635A7B82B21F30E847C3",
	    "<b>exit&", 2000000, 30000000);
	report_tl_circuit(&t, l1, 1, 25, "085111030DA53A4D7B7C635A7B82B21F30E847C3",
	    "<b>exit&", 5000000, 0);	/* open: to the end */
	report_tl_circuit(&t, l1, 1, 26, NULL, NULL, 0, 9000000);
	report_tl_circuit(&t, 9, 1, 27, NULL, NULL, 0, 9000000); /* no lane */
	report_tl_mark(&t, TL_RESTART, 1000000, 1);
	report_tl_mark(&t, TL_NEWNYM, 40000000, 1);
	report_tl_mark(&t, TL_NEWNYM, 99000000, 2);	/* off the axis */
	buf_init(&b);
	report_tl_svg(&b, &t);
	s = buf_cstr(&b);
	assert_int_equal(strncmp(s, "<svg class=\"timeline\"", 21), 0);
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "<b>"));
	assert_null(strstr(s, "\x1b"));
	assert_non_null(strstr(s, "&lt;b&gt;exit&amp;"));
	/* Same exit, same colour; three bars, two marks. */
	assert_int_equal(count(s, report_exit_colour(
	    "085111030DA53A4D7B7C635A7B82B21F30E847C3")), 3);
	assert_string_equal(report_exit_colour("AB"), report_exit_colour("AB"));
	assert_int_equal(count(s, "<title>circuit "), 3);
	assert_int_equal(count(s, "NEWNYM: epoch"), 1);
	assert_int_equal(count(s, "started"), 2);	/* mark and key */
	report_tl_free(&t);
	buf_free(&b);
}

static void
test_timeline_bounds(void **state)
{
	struct rep_timeline t;
	struct buf b;
	long i;
	int lane;

	(void)state;
	report_tl_init(&t, 0, 1000000000);
	for (i = 0; i < 10000; i++)
		(void)report_tl_lane(&t, HOSTILE);
	assert_int_equal(t.nlanes, TL_MAX_LANES);
	assert_int_equal(t.more_lanes, 10000 - TL_MAX_LANES);
	for (i = 0; i < 1000000; i++) {
		char fp[16];

		snprintf(fp, sizeof fp, "FP%ld", i % 1000);
		lane = (int)(i % TL_MAX_LANES);
		report_tl_circuit(&t, lane, 1, (uint64_t)i, fp, HOSTILE,
		    i * 1000, i * 1000 + 5000000);
	}
	for (i = 0; i < 1000; i++)
		report_tl_mark(&t, TL_NEWNYM, i * 1000000, i);
	assert_int_equal(t.total_bars, 1000000);
	assert_null(t.bars);		/* slots now */
	assert_int_equal(t.nexits, TL_MAX_EXITS);
	assert_int_equal(t.nmarks, TL_MAX_MARKS);
	buf_init(&b);
	report_tl_svg(&b, &t);
	assert_true(b.len < 600000);
	assert_true(count(buf_cstr(&b), "<rect ") <=
	    TL_MAX_LANES * (TL_SLOTS + 1) + 10);
	assert_non_null(strstr(buf_cstr(&b), "9986 more applications"));
	report_tl_free(&t);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remedy_every_rule),
		cmocka_unit_test(test_procs_collapse),
		cmocka_unit_test(test_graph_hostile),
		cmocka_unit_test(test_graph_bounds),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_bounds),
	};

	return cmocka_run_group_tests_name("report_svg", tests, NULL, NULL);
}
