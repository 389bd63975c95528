/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_view_dash.c: the dashboard's model and rows for issue 17: the
 * missing privilege, the folded and wrapped log, the wrap helper, the end
 * of a session (since when), a circuit's path and its details (Enter)
 * with what Tor said of its relays, and the bounded relay cache.
 */
#include "testutil.h"

#include <inttypes.h>

#include "buf.h"
#include "idmap.h"
#include "nsparse.h"
#include "pipeline.h"
#include "torev.h"
#include "ui.h"
#include "view.h"
#include "viewtest.h"

#define T0	1700000000000000LL
#define T(s)	(T0 + (int64_t)(s) * 1000000)

#define FP_G	"627C2C3CA8B75BDF86B61A7DC839A02AA607EFA5"
#define FP_M	"8AAC5FF3811764CF9D4A87F66F01B6312DF9157B"
#define FP_E	"29AB95F40F23C14CFA841F05C32C8EB7DA97CD01"

static void
ps_init(struct panel_state *ps, int width)
{
	memset(ps, 0, sizeof *ps);
	ps->filter = "";
	ps->now = T(100);
	ps->width = width;
}

static void
session(struct view *v, enum pipeline_phase phase, int64_t ts)
{
	struct pipeline_session_info si;

	memset(&si, 0, sizeof si);
	si.phase = phase;
	si.serial = 1;
	si.address = "127.0.0.1:9051";
	si.method = "SAFECOOKIE";
	si.version = "0.4.9.11";
	si.pid = 42;
	si.why = phase == PIPELINE_END ? "connection lost" : NULL;
	si.ts = ts;
	view_session(&si, v);
}

static void
circ_path(struct view *v, uint64_t id, const char *status,
    const struct torev_hop *path, size_t n, int64_t ts)
{
	struct pipeline_view_circ e;

	memset(&e, 0, sizeof e);
	e.id = id;
	e.status = status;
	e.purpose = "GENERAL";
	e.exit_fp = n > 0 && path[n - 1].fp ? path[n - 1].fp : "";
	e.exit_nick = n > 0 && path[n - 1].nick ? path[n - 1].nick : "";
	e.conflux = "";
	e.onion = "";
	e.ts = ts;
	e.path = n > 0 ? path : NULL;
	e.npath = n;
	view_circ(&e, v);
}

static int
rows_have(const struct rows *r, enum row_kind kind, const char *needle)
{
	size_t i, k;

	for (i = 0; i < r->n; i++)
		for (k = 0; k < UI_MAX_COLS; k++)
			if (r->v[i].kind == kind && r->v[i].cells[k] != NULL &&
			    strstr(r->v[i].cells[k], needle) != NULL)
				return 1;
	return 0;
}

/* --- the privilege ------------------------------------------------------ */

static void
test_privilege(void **state)
{
	struct view *v = *state;
	char big[400];
	uint64_t g = v->generation;

	assert_string_equal(v->privilege, "");
	view_privilege(v, "no CAP_SYS_PTRACE: other users' processes unnamed");
	assert_string_equal(v->privilege,
	    "no CAP_SYS_PTRACE: other users' processes unnamed");
	assert_true(v->generation > g);
	/* Printable only, bounded. */
	view_privilege(v, "bad\x1b[31m\ttext\n");
	assert_string_equal(v->privilege, "bad?[31m?text?");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	view_privilege(v, big);
	assert_int_equal(strlen(v->privilege), VIEW_PRIVILEGE - 1);
	/* NULL and "" clear it. */
	view_privilege(v, NULL);
	assert_string_equal(v->privilege, "");
	view_privilege(v, "x");
	view_privilege(v, "");
	assert_string_equal(v->privilege, "");
}

/* --- the log -------------------------------------------------------------- */

static void
test_log_fold(void **state)
{
	struct view *v = *state;
	const struct vlog *l;
	int i;

	view_log(v, "info", "attached", T(1));
	for (i = 0; i < 5; i++)
		view_tor_log("WARN", "Socks version 71 not recognized.", T(10 + i),
		    v);
	/* The same text at another level, or from isoaudit: not the same. */
	view_log(v, "warn", "Socks version 71 not recognized.", T(20));
	view_tor_log("NOTICE", "Socks version 71 not recognized.", T(21), v);
	view_tor_log("NOTICE", "Socks version 71 not recognized.", T(22), v);
	assert_int_equal(v->nlog, 4);
	assert_int_equal(v->log_total, 9);
	l = view_log_line(v, 1);
	assert_int_equal(l->repeat, 5);
	assert_int_equal(l->first_ts, T(10));
	assert_int_equal(l->ts, T(14));
	assert_int_equal(view_log_line(v, 2)->repeat, 1);
	assert_int_equal(view_log_line(v, 3)->repeat, 2);
	/* Interleaved lines are not folded. */
	view_log(v, "info", "a", T(30));
	view_log(v, "info", "b", T(31));
	view_log(v, "info", "a", T(32));
	assert_int_equal(v->nlog, 7);

	/* A thousand repeats cost one line of the ring. */
	for (i = 0; i < 1000; i++)
		view_log(v, "info", "again", T(40));
	assert_int_equal(v->nlog, 8);
	assert_int_equal(view_log_line(v, 7)->repeat, 1000);

	/* Tor's rate limiter's note does not make a repeat another line;
	 * the latest note is kept.  Another text before it does. */
	view_tor_log("WARN", "Your application is giving Tor only an IP "
	    "address. [5 similar message(s) suppressed in last 60 seconds]",
	    T(50), v);
	view_tor_log("WARN", "Your application is giving Tor only an IP "
	    "address. [7 similar message(s) suppressed in last 60 seconds]",
	    T(55), v);
	view_tor_log("WARN", "Your application is giving Tor only an IP "
	    "address.", T(56), v);
	assert_int_equal(v->nlog, 9);
	l = view_log_line(v, 8);
	assert_int_equal(l->repeat, 3);
	assert_string_equal(l->text, "Your application is giving Tor only an "
	    "IP address.");
	view_tor_log("WARN", "Your application is giving Tor only a name. "
	    "[7 similar message(s) suppressed in last 60 seconds]", T(57), v);
	view_tor_log("WARN", "x [7 similar message(s) suppressed in last 60 "
	    "seconds] y", T(58), v);
	view_tor_log("WARN", "x [7 similar message(s) suppressed in last 60 "
	    "seconds] z", T(59), v);
	view_tor_log("WARN", "[3 similar message(s) suppressed in last 60 "
	    "seconds]", T(60), v);
	assert_int_equal(v->nlog, 13);
}

static void
test_panel_log_fold_wrap(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	char long_text[600];
	size_t i, n;
	int w[UI_MAX_COLS], msgw;

	for (i = 0; i < 3; i++)
		view_tor_log("WARN", "Socks version 71 not recognized.", T(10 + i),
		    v);
	rows_init(&r);
	ps_init(&ps, 120);
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].cells[2],
	    "Socks version 71 not recognized. (repeated 3 times since "));
	assert_string_equal(r.v[0].cells[1], "tor WARN");

	/* A long line: wrapped at the message column, not cut; the
	 * continuation rows indented, without time or level. */
	for (i = 0, n = 0; n + 8 < sizeof long_text; i++)
		n += (size_t)snprintf(long_text + n, sizeof long_text - n,
		    "word%03zu ", i);
	long_text[n - 1] = '\0';
	view_log(v, "info", long_text, T(50));
	ps.width = 80;
	ui_layout(panel_log.cols, panel_log.ncols, 80, w);
	msgw = w[2];
	build(&panel_log, v, &ps, &r);
	assert_true(r.n > 2 + strlen(long_text) / (size_t)msgw - 1);
	for (i = 0; i < r.n && r.v[i].key == r.v[0].key; i++) {
		assert_true(strlen(r.v[i].cells[2]) <= (size_t)msgw);
		assert_int_equal(r.v[i].kind, ROW_LOG);
		if (i > 0) {
			assert_string_equal(r.v[i].cells[0], "");
			assert_string_equal(r.v[i].cells[1], "");
			assert_true(strncmp(r.v[i].cells[2], "  word", 6) == 0);
		} else
			assert_true(strncmp(r.v[i].cells[2], "word000 ", 8) == 0);
		/* Cut between words. */
		assert_true(r.v[i].cells[2][strlen(r.v[i].cells[2]) - 1] != ' ');
	}
	/* Every word is there, in order. */
	{
		struct buf b;
		size_t k;

		buf_init(&b);
		for (k = 0; k < i; k++) {
			const char *c = r.v[k].cells[2];

			while (*c == ' ')
				c++;
			buf_printf(&b, "%s%s", k ? " " : "", c);
		}
		assert_string_equal(buf_cstr(&b), long_text);
		buf_free(&b);
	}
	/* No width known (0): one row, as it is. */
	ps.width = 0;
	build(&panel_log, v, &ps, &r);
	assert_string_equal(r.v[0].cells[2], long_text);
	rows_clear(&r);
}

static void
test_ui_wrap(void **state)
{
	(void)state;
	assert_int_equal(ui_wrap("", 0, 10), 0);
	assert_int_equal(ui_wrap("short", 5, 10), 5);
	assert_int_equal(ui_wrap("exactly10!", 10, 10), 10);
	/* At the last space that keeps the line half full. */
	assert_int_equal(ui_wrap("aaaa bbbb cccc", 14, 10), 9);
	assert_int_equal(ui_wrap("aaaaaaa bbbbbbbbbb", 18, 10), 7);
	/* None there: cut at the width. */
	assert_int_equal(ui_wrap("a bbbbbbbbbbbbbbbbb", 19, 10), 10);
	assert_int_equal(ui_wrap("xxxxxxxxxxxxxxxxxxx", 19, 10), 10);
	/* Width 0 still moves on. */
	assert_int_equal(ui_wrap("abc", 3, 0), 1);
}

/* --- the session's end ------------------------------------------------------ */

static void
test_detached_since(void **state)
{
	struct view *v = *state;

	assert_int_equal(v->detached_at, 0);
	session(v, PIPELINE_START, T(1));
	session(v, PIPELINE_READY, T(2));
	view_uptime(32, T(2), v);
	view_bootstrap(100, "Done", T(2), v);
	assert_int_equal(v->attached, 1);
	session(v, PIPELINE_END, T(40));
	assert_int_equal(v->attached, 0);
	assert_int_equal(v->detached_at, T(40));
	session(v, PIPELINE_START, T(50));
	assert_int_equal(v->detached_at, 0);
	assert_int_equal(v->uptime, -1);
	assert_int_equal(v->bootstrap, -1);
}

/* --- a circuit's path and details ------------------------------------------ */

static void
test_circ_path_details(void **state)
{
	struct view *v = *state;
	struct torev_hop hops[3] = {
		{ FP_G, "auth0" }, { FP_M, "mid0" }, { FP_E, "exit0" },
	};
	struct torev_hop many[VIEW_PATH_HOPS + 2];
	const struct vcirc *c;
	struct ns_router ns;
	struct panel_state ps;
	struct rows r;
	size_t i;

	session(v, PIPELINE_START, T(1));
	circ_path(v, 7, "EXTENDED", hops, 1, T(2));
	c = idmap_get(&v->circs, 7);
	assert_non_null(c);
	assert_int_equal(c->npath, 1);
	circ_path(v, 7, "BUILT", hops, 3, T(3));
	assert_int_equal(c->npath, 3);
	assert_string_equal(c->path[0].fp, FP_G);
	assert_string_equal(c->path[0].nick, "auth0");
	assert_string_equal(c->path[2].nick, "exit0");
	/* An event without a path keeps the one known. */
	circ_path(v, 7, "BUILT", NULL, 0, T(4));
	assert_int_equal(c->npath, 3);

	rows_init(&r);
	ps_init(&ps, 80);
	build(&panel_circuits, v, &ps, &r);
	assert_false(rows_have(&r, ROW_DETAIL, "guard"));
	/* Enter: the whole path, Tor asked about each relay. */
	ps.open_circ = 7;
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.v[0].kind, ROW_CIRC);
	assert_int_equal(r.v[1].kind, ROW_DETAIL);
	assert_int_equal(r.v[1].key, 7);
	assert_true(rows_have(&r, ROW_DETAIL, "guard   auth0               $" FP_G));
	assert_true(rows_have(&r, ROW_DETAIL, "middle  mid0                $" FP_M));
	assert_true(rows_have(&r, ROW_DETAIL, "exit    exit0               $" FP_E));
	assert_true(rows_have(&r, ROW_DETAIL, "(asking Tor)"));

	/* What Tor said: address, flags; no country (no GeoIP, "??"). */
	memset(&ns, 0, sizeof ns);
	snprintf(ns.nick, sizeof ns.nick, "exit0");
	snprintf(ns.fp, sizeof ns.fp, FP_E);
	snprintf(ns.address, sizeof ns.address, "127.0.0.1");
	ns.orport = 31004;
	snprintf(ns.flags, sizeof ns.flags, "Exit Fast Guard Running Valid");
	assert_non_null(view_relay_get(v, FP_E));
	view_relay_router(v, FP_E, &ns);
	view_relay_country(v, FP_E, "");
	view_relay_router(v, FP_G, NULL);
	build(&panel_circuits, v, &ps, &r);
	assert_true(rows_have(&r, ROW_DETAIL,
	    "127.0.0.1:31004  Exit Fast Guard Running Valid"));
	assert_false(rows_have(&r, ROW_DETAIL, "country"));
	assert_true(rows_have(&r, ROW_DETAIL, "(not in Tor's consensus)"));
	assert_int_equal(view_relay_find(v, FP_E)->country_asked, 1);
	/* Tor had no GeoIP data loaded: asked again when the details open
	 * again, not before (every reply asks for what is missing: asking
	 * at once would ask Tor forever), and only a relay the cache has. */
	view_relay_country_retry(v, FP_E);
	assert_int_equal(view_relay_find(v, FP_E)->country_asked, 1);
	view_relay_country_retry(v, FP_M);
	assert_null(view_relay_find(v, FP_M));
	view_relay_country_reopen(v);
	assert_int_equal(view_relay_find(v, FP_E)->country_asked, 0);
	view_relay_country(v, FP_E, NULL);
	view_relay_country_reopen(v);
	assert_int_equal(view_relay_find(v, FP_E)->country_asked, 1);
	/* With a GeoIP database. */
	view_relay_country(v, FP_E, "de");
	assert_int_equal(view_relay_find(v, FP_E)->country_asked, 1);
	build(&panel_circuits, v, &ps, &r);
	assert_true(rows_have(&r, ROW_DETAIL,
	    "127.0.0.1:31004  Exit Fast Guard Running Valid  country de"));
	/* A country that is not two letters is none. */
	view_relay_country(v, FP_E, "\x1b[");
	assert_string_equal(view_relay_find(v, FP_E)->country, "");

	/* A path longer than kept: counted. */
	for (i = 0; i < TU_NELEM(many); i++)
		many[i] = hops[i % 3];
	circ_path(v, 8, "BUILT", many, TU_NELEM(many), T(5));
	c = idmap_get(&v->circs, 8);
	assert_int_equal(c->npath, VIEW_PATH_HOPS);
	assert_int_equal(c->path_more, 2);
	ps.open_circ = 8;
	build(&panel_circuits, v, &ps, &r);
	assert_true(rows_have(&r, ROW_DETAIL, "and 2 more hops"));
	/* Detached: not asked. */
	session(v, PIPELINE_END, T(6));
	view_relay_forget_asked(v);
	assert_null(view_relay_find(v, FP_M));
	assert_non_null(view_relay_find(v, FP_E));
	ps.open_circ = 7;
	build(&panel_circuits, v, &ps, &r);
	assert_true(rows_have(&r, ROW_DETAIL, "(not attached to Tor)"));
	rows_clear(&r);
}

static void
test_relay_cache_bounded(void **state)
{
	struct view *v = *state;
	char fp[41];
	size_t i;

	assert_null(view_relay_get(v, "not-a-fingerprint"));
	assert_null(view_relay_get(v, FP_E "00"));
	assert_null(view_relay_find(v, NULL));
	assert_non_null(view_relay_get(v, FP_G));
	for (i = 0; i < 3 * VIEW_RELAYS; i++) {
		snprintf(fp, sizeof fp, "%040zX", i);
		assert_non_null(view_relay_get(v, fp));
		/* FP_G is used all along: it stays. */
		assert_non_null(view_relay_get(v, FP_G));
		assert_true(v->nrelays <= VIEW_RELAYS);
	}
	assert_int_equal(v->nrelays, VIEW_RELAYS);
	assert_non_null(view_relay_find(v, FP_G));
	snprintf(fp, sizeof fp, "%040zX", (size_t)0);
	assert_null(view_relay_find(v, fp));	/* the oldest went */
	snprintf(fp, sizeof fp, "%040zX", 3 * (size_t)VIEW_RELAYS - 1);
	assert_non_null(view_relay_find(v, fp));
}

int
main(void)
{
#define VT_TEST(f) cmocka_unit_test_setup_teardown(f, vt_setup, vt_teardown)
	const struct CMUnitTest tests[] = {
		VT_TEST(test_privilege),
		VT_TEST(test_log_fold),
		VT_TEST(test_panel_log_fold_wrap),
		VT_TEST(test_ui_wrap),
		VT_TEST(test_detached_since),
		VT_TEST(test_circ_path_details),
		VT_TEST(test_relay_cache_bounded),
	};
#undef VT_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
