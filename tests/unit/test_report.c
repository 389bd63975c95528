/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_report.c: `isoaudit report` on its own, and the JSON reader it
 * shares with the dashboard (lib/json.c).  A database is written through
 * the store's API (one Tor session, four applications, two circuits, four
 * streams, three findings: critical, notice and a severity the report does
 * not know), then report_run writes each format into a file that the tests
 * read back: JSON parsed with lib/json.c and held to SPEC.md's keys, CSV
 * headers and row counts, HTML escaping, the text's findings.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <inttypes.h>
#include <unistd.h>

#include "buf.h"
#include "isoaudit.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define SEC	((int64_t)1000000)
/* 2026-11-24T17:40:00Z */
#define T0	(1795542000 * SEC)
#define NOW	(T0 + 3600 * SEC)

#define LABEL_XSS	"<script>alert(1)</script>"
#define LABEL_NL	"evil\nname"	/* a control character in a label */
#define LABEL_FORMULA	"=cmd"		/* a spreadsheet formula */
#define LISTENER_ESC	"evil\x1b[0m"	/* a terminal escape */

/* A database and a directory for the outputs, removed by the teardown. */
struct env {
	char	dir[64];
	char	db[128];
	char	out[128];	/* dir/out: the report's -o */
	int64_t	sid;
};

static void
quiet(enum log_level lvl, const char *msg, void *arg)
{
	(void)lvl;
	(void)msg;
	(void)arg;
}

static void
add_stream(struct store *s, int64_t sid, uint64_t id, uint64_t circ,
    int64_t app, long pid, const char *process)
{
	struct store_stream r;

	memset(&r, 0, sizeof r);
	r.session = sid;
	r.stream_id = id;
	r.circ_id = circ;
	r.status = "CLOSED";
	r.listener = "127.0.0.1:9050";
	r.client_addr = "127.0.0.1:40000";
	r.app = app;
	r.pid = pid;
	r.process = process;
	r.attribution = pid > 0 ? "tracker" : "none";
	r.uid = -1;
	r.protocol = "SOCKS5";
	r.target = "h:0123456789ab";
	r.target_port = 443;
	r.opened = T0 + 2 * SEC;
	r.succeeded = T0 + 3 * SEC;
	r.closed = T0 + 5 * SEC;
	r.reason = "DONE";
	store_stream(s, &r);
	store_attach(s, sid, id, circ, T0 + 2 * SEC);
}

static void
add_circuit(struct store *s, int64_t sid, uint64_t id, const char *nick)
{
	struct store_circ c;

	memset(&c, 0, sizeof c);
	c.session = sid;
	c.circ_id = id;
	c.status = "CLOSED";
	c.purpose = "GENERAL";
	c.exit_fp = "$59A3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5";
	c.exit_nick = nick;
	c.created = T0 + SEC;
	c.closed = T0 + 9 * SEC;
	store_circuit(s, &c);
}

static void
add_finding(struct store *s, int64_t sid, const char *rule,
    const char *severity, uint64_t circ, const char *ident_a)
{
	struct store_finding f;

	memset(&f, 0, sizeof f);
	f.session = sid;
	f.cause = rule;		/* one cause a rule here */
	f.rule = rule;
	f.severity = severity;
	f.circ_id = circ;
	f.ident_a = ident_a;
	f.ident_b = "";
	f.count = 1;
	f.first_seen = f.last_seen = T0 + 4 * SEC;
	if (strcmp(rule, "SHARED_CIRCUIT") == 0) {
		f.apps = "[\"" LABEL_XSS "\", \"curl\"]";
		f.identities = "[\"" LABEL_XSS "@localhost\", "
		    "\"curl@localhost\"]";
		f.processes = "[{\"pid\": 4242, \"name\": \"curl\"}]";
		f.streams = "[\"144\", \"145\"]";
		f.count = 2;
		f.exit_fp = "FP79";
		f.detail = "two applications on one exit circuit";
		/* An earlier occurrence of the cause, on circuit 80. */
		{
			struct store_finding g = f;

			g.circ_id = 80;
			g.exit_fp = "FP80";
			g.streams = "[\"146\"]";
			g.count = 3;
			g.first_seen = T0 + 2 * SEC;
			g.last_seen = T0 + 3 * SEC;
			store_finding(s, &g);
		}
	} else if (strcmp(rule, "WEAK_PORT_CONFIG") == 0) {
		f.listener = "127.0.0.1:9050";
		f.apps = f.identities = f.processes = f.streams = "[]";
		f.detail = "SocksPort 127.0.0.1:9050 isolates nothing";
	} else {
		/* A cut list: written as [], not shown to a person. */
		f.apps = "[\"" LABEL_FORMULA "\"]";
		f.identities = "[\"partial@localhost\", \"cut";
		f.listener = LISTENER_ESC;
		f.processes = f.streams = "[]";
		f.detail = "a rule of a newer isoaudit";
	}
	store_finding(s, &f);
}

/* The database of every report test. */
static void
build_db(struct env *e)
{
	enum store_err err;
	char *cause = NULL;
	struct store *s;
	int64_t sid, a1, a2, a3, a4;

	s = store_open(e->db, STORE_WRITE, &err, &cause);
	if (s == NULL)
		fail_msg("store_open: %s", cause);
	sid = e->sid = store_session_begin(s, "127.0.0.1:9051", "SAFECOOKIE",
	    "live", T0);
	store_session_info(s, sid, "0.4.9.11", 1234);
	a1 = store_app(s, LABEL_XSS, "localhost", "");
	a2 = store_app(s, "curl", "localhost", "");
	a3 = store_app(s, LABEL_FORMULA, "localhost", "");
	a4 = store_app(s, LABEL_NL, "localhost", "");
	add_circuit(s, sid, 79, "exit1");
	add_circuit(s, sid, 80, "exit2");
	add_stream(s, sid, 144, 79, a1, 0, NULL);
	add_stream(s, sid, 145, 79, a2, 4242, "curl");
	add_stream(s, sid, 146, 80, a3, 0, NULL);
	add_stream(s, sid, 147, 80, a4, 0, NULL);
	add_finding(s, sid, "SHARED_CIRCUIT", "critical", 79, "a");
	add_finding(s, sid, "WEAK_PORT_CONFIG", "notice", 0, "b");
	add_finding(s, sid, "ODD_RULE", "bogus", 0, "c");
	store_touch(s, sid, T0 + 9 * SEC);
	store_session_end(s, sid, "test over", T0 + 10 * SEC);
	assert_int_equal(store_flush(s), 0);
	store_close(s);
}

static int
env_setup(void **state)
{
	struct env *e = calloc(1, sizeof *e);

	if (e == NULL)
		return -1;
	snprintf(e->dir, sizeof e->dir, "/tmp/isoaudit-report.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		free(e);
		return -1;
	}
	snprintf(e->db, sizeof e->db, "%s/isoaudit.db", e->dir);
	snprintf(e->out, sizeof e->out, "%s/out", e->dir);
	log_set_sink(quiet, NULL);
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env *e = *state;
	int rc = tu_rm_rf(e->dir);

	log_set_sink(NULL, NULL);
	free(e);
	return rc == 0 ? 0 : -1;
}

/* Runs the report of the database's session into e->out; returns it. */
static char *
run_report(struct env *e, enum report_format fmt, int table, size_t *len)
{
	struct report_request q;

	memset(&q, 0, sizeof q);
	q.db = e->db;
	q.format = fmt;
	q.table = table;
	q.output = e->out;
	q.now = NOW;
	assert_int_equal(report_run(&q), EXIT_OK);
	return tu_read_file(e->out, len);
}

/* Where needle is in hay (fails the test when it is not). */
static size_t
at(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	if (p == NULL)
		fail_msg("missing: %s", needle);
	return (size_t)(p - hay);
}

/* --- JSON helpers over lib/json.c ------------------------------------------ */

struct jv {
	const char	*p;
	size_t		 n;
};

/* The member key of object v (fails when missing). */
static struct jv
jget(struct jv v, const char *key)
{
	struct jv m;

	if (v.n == 0 || v.p[0] != '{')
		fail_msg("not an object where %s was wanted", key);
	if (!json_member(v.p, v.n, key, &m.p, &m.n))
		fail_msg("no key %s in %.*s", key, (int)(v.n > 200 ? 200 : v.n),
		    v.p);
	return m;
}

/* The number of elements of array v. */
static size_t
jlen(struct jv v)
{
	struct json_iter it;
	const char *k, *e;
	size_t kn, en, n = 0;

	assert_true(v.n > 0 && v.p[0] == '[');
	json_iter_init(&it, v.p, v.n);
	while (json_iter_next(&it, &k, &kn, &e, &en))
		n++;
	return n;
}

/* Element i of array v. */
static struct jv
jat(struct jv v, size_t i)
{
	struct json_iter it;
	const char *k;
	size_t kn;
	struct jv e;

	assert_true(v.n > 0 && v.p[0] == '[');
	json_iter_init(&it, v.p, v.n);
	do {
		if (!json_iter_next(&it, &k, &kn, &e.p, &e.n))
			fail_msg("no element %zu", i);
	} while (i-- > 0);
	return e;
}

/* Whether v's JSON text is exactly text. */
static void
assert_jtext(struct jv v, const char *text)
{
	if (v.n != strlen(text) || memcmp(v.p, text, v.n) != 0)
		fail_msg("%.*s is not %s", (int)v.n, v.p, text);
}

/* Whether v is the JSON string whose value is s. */
static void
assert_jstr(struct jv v, const char *s)
{
	struct buf b;

	assert_true(v.n >= 2 && v.p[0] == '"');
	buf_init(&b);
	json_unstring(&b, v.p, v.n);
	assert_string_equal(buf_cstr(&b), s);
	buf_free(&b);
}

/* The finding of rule in the report's findings. */
static struct jv
jfinding(struct jv doc, const char *rule)
{
	struct jv list = jget(doc, "findings"), f = { NULL, 0 };
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < jlen(list); i++) {
		f = jat(list, i);
		buf_reset(&b);
		json_unstring(&b, jget(f, "rule").p, jget(f, "rule").n);
		if (strcmp(buf_cstr(&b), rule) == 0) {
			buf_free(&b);
			return f;
		}
	}
	fail_msg("no finding %s", rule);
	return f;
}

/* --- report: JSON ------------------------------------------------------------ */

static void
test_report_json(void **state)
{
	static const char *const top[] = { "isoaudit_report", "generated",
	    "range", "tor_sessions", "apps", "circuits", "findings",
	    "summary" };
	static const char *const session_keys[] = { "id", "tor_version",
	    "control", "started", "ended" };
	static const char *const app_keys[] = { "app", "host", "listeners",
	    "streams", "circuits", "exits", "first_seen", "last_seen" };
	static const char *const circ_keys[] = { "session", "id", "purpose",
	    "conflux_id", "exit", "apps", "streams", "created", "closed" };
	static const char *const finding_keys[] = { "rule", "severity",
	    "session", "circuit", "listener", "apps", "identities",
	    "processes", "streams", "count", "first_seen", "last_seen",
	    "detail", "id", "acknowledged", "cause", "again", "occurrences" };
	static const char *const occ_keys[] = { "session", "circuit", "exit",
	    "streams", "count", "first_seen", "last_seen" };
	struct env *e = *state;
	struct jv doc, v, f, sum;
	char t[TIME_RFC3339_LEN];
	size_t len, i, j;
	char *text;

	build_db(e);
	text = run_report(e, FMT_JSON, -1, &len);
	assert_true(json_valid(text, len));
	assert_int_equal(text[0], '{');
	doc.p = text;
	doc.n = len;
	for (i = 0; i < TU_NELEM(top); i++)
		(void)jget(doc, top[i]);
	assert_jtext(jget(doc, "isoaudit_report"), "1");
	time_rfc3339(NOW, t);
	assert_jstr(jget(doc, "generated"), t);
	time_rfc3339(T0, t);
	assert_jstr(jget(jget(doc, "range"), "from"), t);

	v = jget(doc, "tor_sessions");
	assert_int_equal(jlen(v), 1);
	for (i = 0; i < TU_NELEM(session_keys); i++)
		(void)jget(jat(v, 0), session_keys[i]);
	assert_jstr(jget(jat(v, 0), "tor_version"), "0.4.9.11");
	assert_jstr(jget(jat(v, 0), "control"), "127.0.0.1:9051");

	v = jget(doc, "apps");
	assert_int_equal(jlen(v), 4);
	for (i = 0; i < jlen(v); i++)
		for (j = 0; j < TU_NELEM(app_keys); j++)
			(void)jget(jat(v, i), app_keys[j]);

	v = jget(doc, "circuits");
	assert_int_equal(jlen(v), 2);
	for (i = 0; i < jlen(v); i++)
		for (j = 0; j < TU_NELEM(circ_keys); j++)
			(void)jget(jat(v, i), circ_keys[j]);
	f = jat(v, 0);
	assert_jstr(jget(f, "id"), "79");	/* a string, as SPEC says */
	assert_jstr(jget(jget(f, "exit"), "nickname"), "exit1");
	assert_int_equal(jlen(jget(f, "apps")), 2);

	v = jget(doc, "findings");
	assert_int_equal(jlen(v), 3);
	for (i = 0; i < jlen(v); i++)
		for (j = 0; j < TU_NELEM(finding_keys); j++)
			(void)jget(jat(v, i), finding_keys[j]);
	f = jfinding(doc, "SHARED_CIRCUIT");
	assert_jstr(jget(f, "severity"), "critical");
	assert_jstr(jget(f, "circuit"), "79");
	assert_jtext(jget(f, "listener"), "null");
	assert_jtext(jget(f, "processes"), "[{\"pid\": 4242, \"name\": \"curl\"}]");
	assert_jstr(jat(jget(f, "identities"), 0), LABEL_XSS "@localhost");
	/* A cause: the latest occurrence's circuit and streams, the
	 * counts summed, every occurrence oldest first. */
	assert_jtext(jget(f, "count"), "5");
	assert_jtext(jget(f, "streams"), "[\"144\", \"145\"]");
	assert_jstr(jget(f, "cause"), "SHARED_CIRCUIT");
	assert_jtext(jget(f, "again"), "false");
	time_rfc3339(T0 + 2 * SEC, t);
	assert_jstr(jget(f, "first_seen"), t);
	v = jget(f, "occurrences");
	assert_int_equal(jlen(v), 2);
	for (i = 0; i < jlen(v); i++)
		for (j = 0; j < TU_NELEM(occ_keys); j++)
			(void)jget(jat(v, i), occ_keys[j]);
	assert_jtext(jget(jat(v, 0), "session"), "1");
	assert_jstr(jget(jat(v, 0), "circuit"), "80");
	assert_jstr(jget(jat(v, 0), "exit"), "FP80");
	assert_jtext(jget(jat(v, 0), "streams"), "[\"146\"]");
	assert_jtext(jget(jat(v, 0), "count"), "3");
	assert_jstr(jget(jat(v, 0), "first_seen"), t);
	time_rfc3339(T0 + 3 * SEC, t);
	assert_jstr(jget(jat(v, 0), "last_seen"), t);
	assert_jstr(jget(jat(v, 1), "circuit"), "79");
	assert_jstr(jget(jat(v, 1), "exit"), "FP79");
	assert_jtext(jget(jat(v, 1), "count"), "2");
	f = jfinding(doc, "WEAK_PORT_CONFIG");
	assert_jstr(jget(f, "listener"), "127.0.0.1:9050");
	assert_jtext(jget(f, "circuit"), "null");
	v = jget(f, "occurrences");
	assert_int_equal(jlen(v), 1);
	assert_jtext(jget(jat(v, 0), "circuit"), "null");
	assert_jtext(jget(jat(v, 0), "exit"), "null");
	/* A stored list that is not one JSON array is written as []. */
	f = jfinding(doc, "ODD_RULE");
	assert_jstr(jget(f, "severity"), "bogus");
	assert_jstr(jget(f, "listener"), LISTENER_ESC);
	assert_null(memchr(text, '\x1b', len));
	assert_jtext(jget(f, "identities"), "[]");
	assert_jtext(jget(f, "apps"), "[\"" LABEL_FORMULA "\"]");

	sum = jget(doc, "summary");
	assert_jtext(jget(sum, "streams"), "4");
	assert_jtext(jget(sum, "circuits"), "2");
	assert_jtext(jget(sum, "apps"), "4");
	/* The unknown severity is in no count. */
	assert_jtext(jget(sum, "findings"), "{\"critical\": 1, \"warning\": 0, "
	    "\"notice\": 1, \"info\": 0}");
	free(text);
}

/* check's JSON line is the report's finding object. */
/* report_t3339's own calendar writes what time_rfc3339 (gmtime) does. */
static void
test_report_t3339(void **state)
{
	static const int64_t fixed[] = {
		1, -1, 999999, -999999, 1000000, -1000000, 86399999999,
		86400000000, 951782400000000, 951868800000000, 4107542400000000,
		253402300799000000, 253402300800000000, -62167219200000000,
		-62167219200000001, INT64_MAX, INT64_MIN, T0, NOW,
	};
	char a[TIME_RFC3339_LEN], b[TIME_RFC3339_LEN];
	uint64_t x = 88172645463325252ULL;
	size_t i;

	(void)state;
	report_t3339(0, a);
	assert_string_equal(a, "");
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		report_t3339(fixed[i], a);
		time_rfc3339(fixed[i], b);
		assert_string_equal(a, b);
	}
	/* Every day from 1900 to 2500 at a second of its own, and random
	 * times over the whole range of years 0 to 9999 and past it. */
	for (i = 0; i < 600 * 366; i++) {
		int64_t t = (-2208988800LL + (int64_t)i * 86400 +
		    (int64_t)(i * 7919 % 86400)) * SEC + (int64_t)(i % 1000);

		report_t3339(t, a);
		time_rfc3339(t, b);
		assert_string_equal(a, b);
	}
	for (i = 0; i < 200000; i++) {
		int64_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t = (int64_t)(x % 700000000000ULL) - 350000000000LL;
		t = t * SEC + (int64_t)(x % 1000000);
		report_t3339(t, a);
		time_rfc3339(t, b);
		assert_string_equal(a, b);
	}
}

static void
test_report_json_finding(void **state)
{
	struct store_finding_row row;
	struct jv v;
	struct buf b;

	(void)state;
	memset(&row, 0, sizeof row);
	row.id = 7;
	row.rule = "SHARED_EXIT";
	row.severity = "warning";
	row.session = 2;
	row.circ_id = 18446744073709551615ULL;
	row.listener = "";
	row.apps = " [\"a\", \"b\"]\n";
	row.identities = "[1,";
	row.processes = NULL;
	row.streams = "{}";
	row.count = 3;
	row.first_seen = T0;
	row.detail = "quote \" and \x01";
	buf_init(&b);
	report_json_finding(&b, &row);
	assert_true(json_valid(b.p, b.len));
	v.p = b.p;
	v.n = b.len;
	assert_jstr(jget(v, "circuit"), "18446744073709551615");
	assert_jtext(jget(v, "listener"), "null");
	assert_jtext(jget(v, "apps"), "[\"a\", \"b\"]");	/* trimmed */
	assert_jtext(jget(v, "identities"), "[]");
	assert_jtext(jget(v, "processes"), "[]");
	assert_jtext(jget(v, "streams"), "[]");
	assert_jtext(jget(v, "last_seen"), "null");
	assert_jstr(jget(v, "detail"), "quote \" and \x01");
	assert_jtext(jget(v, "id"), "7");
	assert_jtext(jget(v, "acknowledged"), "false");
	assert_jtext(jget(v, "cause"), "null");
	assert_jtext(jget(v, "again"), "false");
	assert_jtext(jget(v, "occurrences"), "[]");
	buf_free(&b);

	/* check's "again", and the occurrences. */
	{
		struct store_occurrence_row occ[2];

		memset(occ, 0, sizeof occ);
		occ[0].session = 1;
		occ[0].circ_id = 5;
		occ[0].exit_fp = "AB\"CD";
		occ[0].streams = "[\"1\"]";
		occ[0].count = 4;
		occ[0].first_seen = T0;
		occ[0].last_seen = T0 + SEC;
		occ[1].session = 2;
		occ[1].streams = "oops";
		occ[1].count = 1;
		row.cause = "SHARED_EXIT|a|b";
		row.again = 1;
		row.occurrences = occ;
		row.noccurrences = 2;
		row.noccurrences_total = 5;
		buf_init(&b);
		report_json_finding(&b, &row);
		assert_true(json_valid(b.p, b.len));
		v.p = b.p;
		v.n = b.len;
		assert_jstr(jget(v, "cause"), "SHARED_EXIT|a|b");
		assert_jtext(jget(v, "again"), "true");
		assert_jstr(jget(jat(jget(v, "occurrences"), 0), "exit"),
		    "AB\"CD");
		assert_jstr(jget(jat(jget(v, "occurrences"), 0), "circuit"),
		    "5");
		assert_jtext(jget(jat(jget(v, "occurrences"), 1), "circuit"),
		    "null");
		assert_jtext(jget(jat(jget(v, "occurrences"), 1), "streams"),
		    "[]");
		assert_jtext(jget(jat(jget(v, "occurrences"), 1), "exit"),
		    "null");
		assert_jtext(jget(v, "occurrences_omitted"), "3");
		buf_free(&b);
	}
}

/* --- report: CSV, HTML, text ------------------------------------------------- */

/* The number of CRLF-ended records of a CSV file. */
static size_t
csv_records(const char *s)
{
	size_t n = 0;

	for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
		n++;
	return n;
}

static void
test_report_csv(void **state)
{
	static const struct {
		const char	*name;
		const char	*head;
		size_t		 rows;
	} tables[] = {
		{ "sessions", "id,tor_version,control,auth,source,pid,started,"
		    "ended,end_reason,last_event\r\n", 1 },
		{ "apps", "id,label,host,sub,listeners,processes,streams,"
		    "circuits,exits,first_seen,last_seen\r\n", 4 },
		{ "circuits", "session,circ_id,purpose,conflux_id,exit_fp,"
		    "exit_nick,apps,streams,created,closed\r\n", 2 },
		{ "streams", "session,stream_id,circ_id,status,listener,"
		    "client_addr,app,pid,process,uid,protocol,target,"
		    "target_port,opened,closed,reason,attribution\r\n", 4 },
		{ "findings", "id,rule,severity,session,circ_id,listener,apps,"
		    "identities,processes,streams,count,first_seen,last_seen,"
		    "detail,acknowledged,cause,occurrences,remedy\r\n", 3 },
		{ "occurrences", "cause,session,circ_id,exit_fp,streams,count,"
		    "first_seen,last_seen\r\n", 4 },
	};
	struct env *e = *state;
	struct report_request q;
	struct stat sb;
	char path[192], *text;
	size_t len, i;
	int table;

	build_db(e);
	for (i = 0; i < TU_NELEM(tables); i++) {
		assert_int_equal(report_table_parse(tables[i].name, &table), 0);
		text = run_report(e, FMT_CSV, table, &len);
		assert_int_equal(at(text, tables[i].head), 0);
		assert_int_equal(csv_records(text), tables[i].rows + 1);
		assert_int_equal(text[len - 1], '\n');
		free(text);
	}
	assert_int_equal(report_table_parse("nope", &table), -1);
	/* A file of the report is the user's only. */
	assert_int_equal(stat(e->out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* Without --table: the six into a directory. */
	unlink(e->out);
	memset(&q, 0, sizeof q);
	q.db = e->db;
	q.format = FMT_CSV;
	q.table = -1;
	q.output = e->out;
	q.now = NOW;
	assert_int_equal(report_run(&q), EXIT_OK);
	for (i = 0; i < TU_NELEM(tables); i++) {
		snprintf(path, sizeof path, "%s/%s.csv", e->out, tables[i].name);
		text = tu_read_file(path, &len);
		assert_int_equal(at(text, tables[i].head), 0);
		assert_int_equal(csv_records(text), tables[i].rows + 1);
		if (strcmp(tables[i].name, "streams") == 0) {
			/* How each stream's application was found. */
			(void)at(text, ",tracker\r\n");
			(void)at(text, ",none\r\n");
		}
		if (strcmp(tables[i].name, "apps") == 0) {
			/* Formula injection, a control character. */
			(void)at(text, ",'" LABEL_FORMULA ",");
			assert_null(strstr(text, "," LABEL_FORMULA ","));
			(void)at(text, ",evil\\nname,");
		}
		if (strcmp(tables[i].name, "findings") == 0) {
			(void)at(text, ",bogus,");
			/* No profile gave a remedy: the last field is empty. */
			(void)at(text, ",0,SHARED_CIRCUIT,2,\r\n");
		}
		if (strcmp(tables[i].name, "occurrences") == 0) {
			(void)at(text, "\r\n1,1,80,FP80,\"[\"\"146\"\"]\",3,");
			(void)at(text, "\r\n1,1,79,FP79,");
		}
		free(text);
	}
}

static void
test_report_html(void **state)
{
	struct env *e = *state;
	size_t len;
	char *text;

	build_db(e);
	text = run_report(e, FMT_HTML, -1, &len);
	assert_int_equal(at(text, "<!DOCTYPE html>"), 0);
	(void)at(text, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_null(strstr(text, "<script"));
	(void)at(text, "evil\\nname");
	assert_null(strstr(text, LABEL_NL));
	/* Most severe first; the unknown severity last, escaped. */
	assert_true(at(text, "<td class=\"sev-critical\">critical") <
	    at(text, "<td class=\"sev-notice\">notice"));
	assert_true(at(text, "<td class=\"sev-notice\">notice") <
	    at(text, "\"><td>bogus</td>"));
	(void)at(text, "<span class=\"p\">curl[4242]</span>");
	/* The verdict first, with the remedy of its rule. */
	assert_true(at(text, "id=\"verdict\"") <
	    at(text, "<h2 id=\"findings\">"));
	assert_true(at(text, "id=\"first-critical\"") <
	    at(text, "<h2 id=\"findings\">"));
	(void)at(text, "<b>What to do:</b> Give each application its own "
	    "SocksPort");
	/* Two pictures, inline, nothing fetched. */
	(void)at(text, "<svg class=\"timeline\"");
	(void)at(text, "<svg class=\"graph\"");
	assert_null(strstr(text, "http://"));
	assert_null(strstr(text, "https://"));
	/* A cause once, with its occurrences. */
	(void)at(text, "<summary>occurrences</summary>2 occurrences: session 1 "
	    "circuits 80, 79</details>");
	(void)at(text, "<summary>occurrences</summary>1 occurrence: session 1"
	    "</details>");
	(void)at(text, "<td>session 1 listener evil\\x1b[0m<details>");
	assert_null(strstr(text, "\x1b"));
	assert_null(strstr(text, "partial@localhost"));
	assert_true(len > 7 && strcmp(text + len - 8, "</html>\n") == 0);
	free(text);
}

static void
test_report_text(void **state)
{
	struct env *e = *state;
	size_t len;
	char *text;

	build_db(e);
	text = run_report(e, FMT_TEXT, -1, &len);
	assert_int_equal(at(text, "isoaudit report: Tor session 1 "), 0);
	(void)at(text, "  findings  1 critical, 0 warning, 1 notice, 0 info\n");
	(void)at(text, "\nFINDINGS (3)\n");
	/* By severity, most severe first, the unknown one last. */
	assert_true(at(text, "  critical (1)\n    SHARED_CIRCUIT  x5  "
	    "session 1 circuit 79") < at(text, "  notice (1)\n    "
	    "WEAK_PORT_CONFIG  x1  session 1 listener 127.0.0.1:9050"));
	assert_true(at(text, "  notice (1)\n") <
	    at(text, "  other severity\n    ODD_RULE [bogus]  x1  session 1 "
	    "listener evil\\x1b[0m  at "));
	(void)at(text, "      processes: curl[4242]\n");
	/* A cause once, with its occurrences. */
	(void)at(text, "      2 occurrences: session 1 circuits 80, 79\n");
	(void)at(text, "      1 occurrence: session 1\n");
	(void)at(text, "      streams: 144, 145\n");
	/* The cut identities are not shown, not even in part: the apps. */
	(void)at(text, "      who: " LABEL_FORMULA "\n");
	assert_null(strstr(text, "partial@localhost"));
	assert_null(strstr(text, "\x1b"));
	/* Escaped for a terminal. */
	(void)at(text, "evil\\nname@localhost");
	assert_null(strstr(text, LABEL_NL));
	free(text);
}

/* No database: an error (exit 3, as check), and nothing written or made. */
static void
test_report_no_db(void **state)
{
	struct env *e = *state;
	struct report_request q;
	char db[192];

	memset(&q, 0, sizeof q);
	snprintf(db, sizeof db, "%s/none.db", e->dir);
	q.db = db;
	q.format = FMT_JSON;
	q.table = -1;
	q.output = e->out;
	q.now = NOW;
	assert_int_equal(report_run(&q), EXIT_RUNTIME);
	assert_int_equal(access(e->out, F_OK), -1);
	assert_int_equal(access(db, F_OK), -1);
}

static void
test_report_parse(void **state)
{
	enum report_format f;

	(void)state;
	assert_int_equal(report_format_parse("text", &f), 0);
	assert_int_equal(f, FMT_TEXT);
	assert_int_equal(report_format_parse("html", &f), 0);
	assert_int_equal(f, FMT_HTML);
	assert_int_equal(report_format_parse("JSON", &f), -1);
	assert_int_equal(report_format_parse("", &f), -1);
}

/* --- lib/json.c ------------------------------------------------------------- */

static void
test_json_valid(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "\"\"", "0", "-0", "1.5e-3", "2E+10", "true",
		"false", "null", " [ ] ", "\t\r\n[1]\n",
		" { \"a\" : [1, 2, {\"b\": null}], \"c\": \"\\u00e9\\n\" } ",
		"\"\\ud834\\udd1e\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		/* Syntax only: a lone \u surrogate is a well-formed escape. */
		"\"\\ud834\"",
	};
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}",
		"{\"a\" 1}", "{a:1}", "{\"a\"}", "{1:2}", "01", "1.", ".5",
		"+1", "-", "1e", "1e+", "tru", "nul", "True", "\"abc",
		"\"\\x41\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\\"", "\"a\tb\"",
		"\"a\nb\"", "{} {}", "[1] x", "'a'", "[1]]", "NaN",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(good); i++)
		if (!json_valid(good[i], strlen(good[i])))
			fail_msg("rejected: %s", good[i]);
	for (i = 0; i < TU_NELEM(bad); i++)
		if (json_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted: %s", bad[i]);
	/* The length counts, not a NUL. */
	assert_false(json_valid("\"a\0b\"", 5));
	assert_true(json_valid("[1] trailing", 3));
	assert_true(json_is_array(" [\"a\", 1] \n"));
	assert_false(json_is_array("{}"));
	assert_false(json_is_array("\"[]\""));
	assert_false(json_is_array("[1] x"));
	assert_false(json_is_array(""));
	assert_false(json_is_array(NULL));
}

static void
test_json_utf8(void **state)
{
	static const char *const good[] = {
		"\"caf\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9d\x84\x9e\"",
		"\"\xf4\x8f\xbf\xbf\"", "\"\xed\x9f\xbf\"", "\"\x7f\"",
	};
	static const char *const bad[] = {
		"\"\x80\"", "\"\xc3\"", "\"\xc3(\"", "\"\xc0\x80\"",
		"\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xe0\x9f\xbf\"",
		"\"\xed\xa0\x80\"", "\"\xf0\x80\x80\x80\"",
		"\"\xf0\x8f\xbf\xbf\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf5\x80\x80\x80\"", "\"\xff\"", "\"\xe2\x82\"",
		"\"\x01\"", "\"\x1f\"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(good); i++)
		if (!json_valid(good[i], strlen(good[i])))
			fail_msg("rejected: %s", good[i]);
	for (i = 0; i < TU_NELEM(bad); i++)
		if (json_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted: %s", bad[i]);
	/* A sequence cut by the end of the input. */
	assert_false(json_valid("\"\xe2\x82\xac\"", 3));
}

/* inner inside n containers, arrays and objects by turns (allocated). */
static char *
nested(int n, const char *inner)
{
	struct buf b;
	char *s;
	int i;

	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_adds(&b, i % 2 ? "{\"k\": " : "[");
	buf_adds(&b, inner);
	for (i = n - 1; i >= 0; i--)
		buf_addc(&b, i % 2 ? '}' : ']');
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
test_json_depth(void **state)
{
	char *s;

	(void)state;
	/* JSON_MAX_DEPTH containers around a value; one more is refused. */
	s = nested(JSON_MAX_DEPTH, "1");
	assert_true(json_valid(s, strlen(s)));
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, "1");
	assert_false(json_valid(s, strlen(s)));
	free(s);
	/* The same for an empty array as the innermost value. */
	s = nested(JSON_MAX_DEPTH, "[]");
	assert_true(json_valid(s, strlen(s)));
	assert_true(json_is_array(s));
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, "[]");
	assert_false(json_valid(s, strlen(s)));
	assert_false(json_is_array(s));
	free(s);
	/* Far too deep: refused, not a stack overflow. */
	s = nested(100000, "[]");
	assert_false(json_valid(s, strlen(s)));
	assert_false(json_is_array(s));
	free(s);
}

static void
test_json_unstring(void **state)
{
	static const struct {
		const char	*json;
		const char	*value;
	} cases[] = {
		{ "\"\"", "" },
		{ "\"plain\"", "plain" },
		{ "\"a\\\"b\\\\c\\/d\"", "a\"b\\c/d" },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
		{ "\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac" },
		{ "\"\\ud834\\udd1e\"", "\xf0\x9d\x84\x9e" },
		{ "\"caf\xc3\xa9\"", "caf\xc3\xa9" },
		/* NUL and lone surrogates: U+FFFD. */
		{ "\"a\\u0000b\"", "a\xef\xbf\xbd" "b" },
		{ "\"\\ud834x\"", "\xef\xbf\xbdx" },
		{ "\"\\udd1e\"", "\xef\xbf\xbd" },
		{ "\"\\ud834\\u0041\"", "\xef\xbf\xbd" "A" },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < TU_NELEM(cases); i++) {
		assert_true(json_valid(cases[i].json, strlen(cases[i].json)));
		buf_reset(&b);
		json_unstring(&b, cases[i].json, strlen(cases[i].json));
		if (strcmp(buf_cstr(&b), cases[i].value) != 0)
			fail_msg("%s decoded as %s", cases[i].json,
			    buf_cstr(&b));
	}
	buf_free(&b);
}

/* Every proper prefix of a document is refused; a cut array still
 * yields the elements before the cut. */
static void
test_json_truncated(void **state)
{
	static const char doc[] = "[\"a\", {\"name\": \"curl\", \"pid\": 7}, "
	    "[1, 2.5e3, true], \"\\u00e9\\n\", null]";
	size_t n, len = strlen(doc);
	char *cut;
	struct buf b;

	(void)state;
	assert_true(json_valid(doc, len));
	for (n = 0; n < len; n++) {
		if (json_valid(doc, n))
			fail_msg("prefix of %zu bytes accepted", n);
		cut = strndup(doc, n);
		assert_non_null(cut);
		assert_false(json_is_array(cut));
		free(cut);
	}
	buf_init(&b);
	assert_int_equal(json_list_plain(&b, "[\"a\", \"b\", \"c"), 2);
	assert_string_equal(buf_cstr(&b), "a, b");
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[\"a\", {\"name\": \"x\", "), 1);
	assert_string_equal(buf_cstr(&b), "a");
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[\"a\" \"b\"]"), 1);
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[\"a\"x\"b\"]"), 1);
	assert_string_equal(buf_cstr(&b), "a");
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[\"a\",]"), 1);
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[\"\xff\"]"), 0);
	assert_string_equal(buf_cstr(&b), "");
	/* A process a workstation agent claimed: said so, as monitor says. */
	buf_reset(&b);
	assert_int_equal(json_list_plain(&b, "[{\"pid\": 7, \"name\": \"curl\", "
	    "\"claim\": \"agent:ws1\"}, {\"pid\": 8, \"name\": \"wget\"}]"), 2);
	assert_string_equal(buf_cstr(&b), "curl[7] (agent:ws1), wget[8]");
	buf_free(&b);
}

static void
test_json_iter(void **state)
{
	static const char obj[] = "{ \"a\" : 1 , \"b\": [true, {}], "
	    "\"c\":\"x\\\"y\" }";
	struct json_iter it;
	const char *k, *v;
	size_t kn, vn;
	struct jv o, m;

	(void)state;
	json_iter_init(&it, obj, strlen(obj));
	assert_true(json_iter_next(&it, &k, &kn, &v, &vn));
	assert_int_equal(kn, 3);
	assert_memory_equal(k, "\"a\"", 3);
	assert_int_equal(vn, 1);
	assert_true(json_iter_next(&it, &k, &kn, &v, &vn));
	assert_memory_equal(v, "[true, {}]", vn);
	assert_true(json_iter_next(&it, &k, &kn, &v, &vn));
	assert_memory_equal(v, "\"x\\\"y\"", vn);
	assert_false(json_iter_next(&it, &k, &kn, &v, &vn));
	o.p = obj;
	o.n = strlen(obj);
	m = jget(o, "b");
	assert_jtext(m, "[true, {}]");
	assert_int_equal(jlen(m), 2);
	assert_false(json_member(obj, strlen(obj), "d", &v, &vn));
	assert_false(json_member(obj, strlen(obj), "", &v, &vn));
	/* Unchecked: a missing colon or comma ends the walk. */
	assert_false(json_member("{\"a\"x1}", 7, "a", &v, &vn));
	assert_false(json_member("{\"b\": 1 x\"a\": 2}", 16, "a", &v, &vn));
	json_iter_init(&it, "[]", 2);
	assert_false(json_iter_next(&it, &k, &kn, &v, &vn));
}

static void
test_json_list_plain(void **state)
{
	static const struct {
		const char	*json;
		const char	*plain;
		size_t		 count;
	} cases[] = {
		{ "[\"a@h\", \"b@h\"]", "a@h, b@h", 2 },
		{ " [ ] ", "", 0 },
		{ "[{\"pid\": 4242, \"name\": \"curl\"}, {\"pid\": 7, "
		    "\"name\": null}]", "curl[4242], ?[7]", 2 },
		{ "[{\"name\": \"x\"}, {\"pid\": null, \"name\": \"y\"}]",
		    "x, y", 2 },
		{ "[{\"name\": \"a\\\"b\"}]", "a\"b", 1 },
		{ "[1, -2.5, true, null]", "1, -2.5, true, null", 4 },
		{ "[{}, {\"k\": 1}, [\"a\"]]", "{}, {\"k\": 1}, [\"a\"]", 3 },
		{ "[\"a\\\\nb\", \"\\u00e9\"]", "a\\nb, \xc3\xa9", 2 },
		{ "{\"a\": \"b\"}", "", 0 },
		{ "\"str\"", "", 0 },
		{ "", "", 0 },
	};
	struct buf b;
	size_t i, n;

	(void)state;
	buf_init(&b);
	for (i = 0; i < TU_NELEM(cases); i++) {
		buf_reset(&b);
		n = json_list_plain(&b, cases[i].json);
		if (n != cases[i].count ||
		    strcmp(buf_cstr(&b), cases[i].plain) != 0)
			fail_msg("%s: %zu [%s]", cases[i].json, n,
			    buf_cstr(&b));
	}
	assert_int_equal(json_list_plain(&b, NULL), 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_json, env_setup,
		    env_teardown),
		cmocka_unit_test(test_report_t3339),
		cmocka_unit_test(test_report_json_finding),
		cmocka_unit_test_setup_teardown(test_report_csv, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_report_html, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_report_text, env_setup,
		    env_teardown),
		cmocka_unit_test_setup_teardown(test_report_no_db, env_setup,
		    env_teardown),
		cmocka_unit_test(test_report_parse),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_unstring),
		cmocka_unit_test(test_json_truncated),
		cmocka_unit_test(test_json_iter),
		cmocka_unit_test(test_json_list_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
