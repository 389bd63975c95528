/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_view.c: the dashboard's model (ui/view*.c) fed through the
 * pipeline's observer callbacks, and the pure row builders of the four
 * panels (ui/panel_*.c, ui/rows.c).  No curses: each test fills the
 * observer's structs by hand (times in microseconds), then checks what the
 * view holds or what rows a panel builds from it.
 */
#include "testutil.h"

#include <inttypes.h>

#include "buf.h"
#include "config.h"
#include "idmap.h"
#include "judge.h"
#include "pipeline.h"
#include "ui.h"
#include "view.h"
#include "viewtest.h"
#include "xmalloc.h"

/* Times are microseconds; T(s) is s seconds into the run. */
#define T0	1700000000000000LL
#define T(s)	(T0 + (int64_t)(s) * 1000000)

#define ADDRESS		"unix:/run/tor/control"
#define METHOD		"SAFECOOKIE"
#define TOR_VERSION	"0.4.8.10"
#define TOR_PID		4321L
#define END_WHY		"connection lost"

#define A_ID		"browser@localhost"
#define B_ID		"chat@localhost"
#define C_ID		"irc@localhost"
#define D_ID		"mail@localhost"
#define TRANS_ID	"trans@localhost"
#define UNATTRIBUTED	"unattributed (open before attach)"
#define TOR_ITSELF	"Tor itself (directory)"

#define LISTENER	"127.0.0.1:9150"
#define TARGET		"example.org:443"

#define FP1	"59A3C0DE112233445566778899AABBCCDDEEFF00"
#define FP2	"0851110344556677889900AABBCCDDEEFF112233"
#define CONFLUX_A "9E4A1B2C3D4E5F60718293A4B5C6D7E8"
#define CONFLUX_B "1111222233334444555566667777AAAA"

#define STORE_SESSION	7

static char folded_mark;	/* a value for the folded idmap */

/* --- feeding the view --------------------------------------------------- */

static void
session(struct view *v, enum pipeline_phase phase, unsigned serial,
    int64_t ts)
{
	struct pipeline_session_info si;

	memset(&si, 0, sizeof si);
	si.phase = phase;
	si.serial = serial;
	si.address = ADDRESS;
	si.method = METHOD;
	si.version = phase == PIPELINE_START ? NULL : TOR_VERSION;
	si.pid = phase == PIPELINE_START ? 0 : TOR_PID;
	si.why = phase == PIPELINE_END ? END_WHY : NULL;
	si.ts = ts;
	view_session(&si, v);
}

static void
circ_full(struct view *v, uint64_t id, const char *status,
    const char *purpose, const char *fp, const char *nick,
    const char *conflux, int64_t created, int64_t ts)
{
	struct pipeline_view_circ e;

	memset(&e, 0, sizeof e);
	e.id = id;
	e.status = status;
	e.purpose = purpose;
	e.exit_fp = fp;
	e.exit_nick = nick;
	e.conflux = conflux;
	e.created = created;
	e.ts = ts;
	e.closing = strcmp(status, "CLOSED") == 0 ||
	    strcmp(status, "FAILED") == 0;
	view_circ(&e, v);
}

static void
circ_built(struct view *v, uint64_t id, const char *fp, const char *nick,
    int64_t ts)
{
	circ_full(v, id, "BUILT", "GENERAL", fp, nick, "", 0, ts);
}

static void
circ_close(struct view *v, uint64_t id, int64_t ts)
{
	circ_full(v, id, "CLOSED", "", "", "", "", 0, ts);
}

static void
stream_full(struct view *v, uint64_t id, uint64_t circ, const char *status,
    const char *ident, const char *target, const char *listener,
    const char *process, long pid, int64_t ts)
{
	struct pipeline_view_stream e;

	memset(&e, 0, sizeof e);
	e.id = id;
	e.circ = circ;
	e.status = status;
	e.target = target;
	e.ident = ident;
	e.listener = listener;
	e.process = process;
	e.pid = pid;
	e.is_new = strcmp(status, "NEW") == 0 ||
	    strcmp(status, "NEWRESOLVE") == 0;
	e.closing = strcmp(status, "CLOSED") == 0 ||
	    strcmp(status, "FAILED") == 0;
	e.unattributed = strcmp(ident, UNATTRIBUTED) == 0;
	e.internal = strcmp(ident, TOR_ITSELF) == 0;
	e.ts = ts;
	view_stream(&e, v);
}

static void
stream_ev(struct view *v, uint64_t id, uint64_t circ, const char *status,
    const char *ident, const char *target, int64_t ts)
{
	stream_full(v, id, circ, status, ident, target, NULL, NULL, 0, ts);
}

/* NEW (unattached), SENTCONNECT on circ, SUCCEEDED. */
static void
stream_open_target(struct view *v, uint64_t id, uint64_t circ,
    const char *ident, const char *target, int64_t ts)
{
	stream_full(v, id, 0, "NEW", ident, target, LISTENER, "curl", 4242,
	    ts);
	stream_ev(v, id, circ, "SENTCONNECT", ident, target, ts);
	stream_ev(v, id, circ, "SUCCEEDED", ident, target, ts);
}

static void
stream_open(struct view *v, uint64_t id, uint64_t circ, const char *ident,
    int64_t ts)
{
	stream_open_target(v, id, circ, ident, TARGET, ts);
}

static void
stream_close(struct view *v, uint64_t id, uint64_t circ, const char *ident,
    int64_t ts)
{
	stream_ev(v, id, circ, "CLOSED", ident, TARGET, ts);
}

/*
 * The cause key the judge gives (judge.h): the rule, the unordered pair,
 * the listener (allocated).  The view only compares keys.
 */
static char *
cause_of(enum rule_id rule, const char *listener, const char *a,
    const char *b)
{
	if (strcmp(a, b) > 0) {
		const char *t = a;

		a = b;
		b = t;
	}
	return xasprintf("%s|%s|%s|%s", rule_name(rule), a, b, listener);
}

/*
 * An update of one occurrence (this circuit, the view's Tor session) of
 * the cause of (rule, listener, a, b), as the stub judge gives it: one
 * occurrence, the cause's count the occurrence's.
 */
static void
jf_fill(struct judge_finding *f, enum rule_id rule, enum severity sev,
    uint64_t circ, const char *listener, const char *a, const char *b,
    const char *identities, long count, const char *detail, int64_t first,
    int64_t last)
{
	memset(f, 0, sizeof *f);
	f->rule = rule;
	f->severity = sev;
	f->cause = cause_of(rule, listener, a, b);
	f->circ_id = circ;
	f->exit_fp = "";
	f->listener = listener;
	f->ident_a = a;
	f->ident_b = b;
	f->apps = "[\"chat\", \"irc\"]";
	f->identities = identities;
	f->processes = "[{\"pid\": 4242, \"name\": \"curl\"}]";
	f->streams = "[10, 11]";
	f->count = count;
	f->occurrences = 1;
	f->cause_count = count;
	f->first_seen = first;
	f->last_seen = last;
	f->detail = detail;
	f->is_new = count == 1;
}

static void
jf_send(struct view *v, struct judge_finding *f)
{
	view_finding(f, STORE_SESSION, v);
	free((char *)(uintptr_t)f->cause);
	f->cause = NULL;
}

static void
finding_full(struct view *v, enum rule_id rule, enum severity sev,
    uint64_t circ, const char *listener, const char *a, const char *b,
    const char *identities, long count, const char *detail, int64_t first,
    int64_t last)
{
	struct judge_finding f;

	jf_fill(&f, rule, sev, circ, listener, a, b, identities, count, detail,
	    first, last);
	jf_send(v, &f);
}

/* A SHARED_CIRCUIT finding between a and b on circ. */
static void
shared_finding(struct view *v, uint64_t circ, const char *a, const char *b,
    long count, int64_t ts)
{
	char ids[256], detail[256];

	snprintf(ids, sizeof ids, "[\"%s\", \"%s\"]", a, b);
	snprintf(detail, sizeof detail, "%s and %s on circuit %" PRIu64, a, b,
	    circ);
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, circ, "", a, b, ids,
	    count, detail, ts, ts);
}

/* --- looking at the result ---------------------------------------------- */

static size_t
list_len(const struct vstream *s)
{
	size_t n = 0;

	for (; s != NULL; s = s->next)
		n++;
	return n;
}

static struct vcirc *
circ_of(const struct view *v, uint64_t id)
{
	return idmap_get(&v->circs, id);
}

static struct vapp *
app_of(const struct view *v, const char *ident)
{
	struct vapp *a = view_app(v, ident);

	if (a == NULL)
		fail_msg("no application %s", ident);
	return a;
}

/* unacked_critical and by_severity agree with the findings held. */
static void
assert_finding_counts(const struct view *v)
{
	unsigned sev[4] = { 0, 0, 0, 0 }, unacked = 0;
	size_t i;

	for (i = 0; i < v->nfindings; i++) {
		const struct vfinding *f = v->findings[i];

		sev[f->severity]++;
		if (f->severity == SEV_CRITICAL && !f->acked)
			unacked++;
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(v->by_severity[i], sev[i]);
	assert_int_equal(v->unacked_critical, unacked);
}

static long
row_find(const struct rows *r, enum row_kind kind, uint64_t key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].kind == kind && r->v[i].key == key)
			return (long)i;
	return -1;
}

static size_t
row_count(const struct rows *r, enum row_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (r->v[i].kind == kind)
			n++;
	return n;
}

static void
ps_init(struct panel_state *ps, struct idmap *folded, int64_t now)
{
	memset(ps, 0, sizeof *ps);
	ps->filter = "";
	ps->sort = 0;
	ps->now = now;
	ps->folded = folded;
	ps->open_finding = 0;
	ps->width = 80;
}

static int
ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

/* --- 1. session life cycle ----------------------------------------------- */

static void
test_session_lifecycle(void **state)
{
	struct view *v = *state;
	const struct vlog *l;
	struct vcirc *c1, *c2;
	struct vstream *s;
	struct vapp *a;
	uint64_t gen;
	size_t n;

	assert_int_equal(v->attached, 0);
	assert_int_equal(v->bootstrap, -1);
	assert_int_equal(v->uptime, -1);

	gen = v->generation;
	session(v, PIPELINE_START, 1, T(0));
	assert_true(v->generation > gen);
	assert_int_equal(v->attached, 1);
	assert_int_equal(v->serial, 1);
	assert_string_equal(v->address, ADDRESS);
	assert_string_equal(v->method, METHOD);
	assert_null(v->version);
	assert_int_equal(v->pid, 0);
	assert_int_equal(v->attached_at, T(0));

	view_bootstrap(100, "Done", T(1), v);
	view_uptime(600, T(1), v);
	assert_int_equal(v->bootstrap, 100);
	assert_string_equal(v->bootstrap_summary, "Done");
	assert_int_equal(v->uptime, 600);
	assert_int_equal(v->uptime_at, T(1));

	circ_built(v, 1, FP1, "exitA", T(1));
	circ_built(v, 2, FP2, "exitB", T(1));
	session(v, PIPELINE_READY, 1, T(2));
	assert_string_equal(v->version, TOR_VERSION);
	assert_int_equal(v->pid, TOR_PID);
	assert_int_equal(v->nlog, 1);
	l = view_log_line(v, 0);
	assert_non_null(l);
	assert_string_equal(l->level, "info");
	assert_int_equal(l->from_tor, 0);
	assert_int_equal(l->ts, T(2));
	assert_non_null(strstr(l->text,
	    "attached to Tor " TOR_VERSION " (pid 4321)"));
	assert_non_null(strstr(l->text, "Tor session 1: 2 circuits open"));

	stream_open(v, 10, 1, A_ID, T(3));
	stream_open(v, 11, 1, A_ID, T(3));
	shared_finding(v, 1, A_ID, B_ID, 1, T(4));
	assert_int_equal(v->streams_open, 2);
	assert_int_equal(app_of(v, A_ID)->open, 2);

	gen = v->generation;
	session(v, PIPELINE_END, 1, T(9));
	assert_true(v->generation > gen);
	assert_int_equal(v->attached, 0);
	assert_string_equal(v->end_reason, END_WHY);
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(v->stream_ids.n, 0);
	a = app_of(v, A_ID);
	assert_int_equal(a->open, 0);
	assert_int_equal(a->total, 2);
	c1 = circ_of(v, 1);
	assert_non_null(c1);
	assert_int_equal(c1->closed, T(9));
	assert_int_equal(c1->streams_open, 0);
	assert_int_equal(c1->streams_total, 2);
	n = 0;
	for (s = c1->streams; s != NULL; s = s->next) {
		assert_int_equal(s->closed, T(9));
		n++;
	}
	assert_int_equal(n, 2);
	c2 = circ_of(v, 2);
	assert_non_null(c2);
	assert_int_not_equal(c2->closed, 0);
	assert_int_equal(view_open_circuits(v), 0);
	l = view_log_line(v, v->nlog - 1);
	assert_string_equal(l->level, "warn");
	assert_string_equal(l->text, "Tor session 1 ended: " END_WHY);

	/* A new Tor session: its circuits and streams are new; what was
	 * learnt about applications and findings stays. */
	session(v, PIPELINE_START, 2, T(20));
	assert_int_equal(v->attached, 1);
	assert_int_equal(v->serial, 2);
	assert_int_equal(v->circs.n, 0);
	assert_null(circ_of(v, 1));
	assert_null(v->unattached);
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(v->stream_ids.n, 0);
	assert_int_equal(v->nclosed, 0);
	assert_null(v->version);
	assert_null(v->end_reason);
	assert_int_equal(v->pid, 0);
	assert_int_equal(v->bootstrap, -1);
	assert_int_equal(v->uptime, -1);
	assert_int_equal(v->attached_at, T(20));
	assert_int_equal(v->napps, 1);
	a = app_of(v, A_ID);
	assert_int_equal(a->total, 2);
	assert_int_equal(a->open, 0);
	assert_int_equal(a->circuits, 1);
	assert_int_equal(v->nfindings, 1);
	assert_int_equal(view_finding_latest(v->findings[0])->serial, 1);
	assert_int_equal(v->nlog, 2);
}

/*
 * END says "what was open is closed now": a stream still waiting for a
 * circuit when the connection is lost must not stay open in the view
 * (streams_open is 0 already, but the stream keeps closed == 0 and the
 * circuits panel keeps showing it with a growing age).
 */
static void
test_session_end_unattached(void **state)
{
	struct view *v = *state;
	const struct vstream *s;

	session(v, PIPELINE_START, 1, T(0));
	stream_full(v, 10, 0, "NEW", A_ID, TARGET, LISTENER, "curl", 4242,
	    T(1));
	assert_non_null(v->unattached);
	session(v, PIPELINE_END, 1, T(5));
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(app_of(v, A_ID)->open, 0);
	for (s = v->unattached; s != NULL; s = s->next)
		assert_int_equal(s->closed, T(5));
}

/* --- 2. circuits ---------------------------------------------------------- */

static void
test_circuit_built(void **state)
{
	struct view *v = *state;
	struct vcirc *c;

	session(v, PIPELINE_START, 1, T(0));
	circ_full(v, 3, "LAUNCHED", "GENERAL", "", "", "", T(0) - 5000000,
	    T(1));
	c = circ_of(v, 3);
	assert_non_null(c);
	assert_int_equal(c->id, 3);
	assert_string_equal(c->status, "LAUNCHED");
	assert_string_equal(c->purpose, "GENERAL");
	assert_string_equal(c->exit_fp, "");
	assert_int_equal(c->created, T(0) - 5000000);
	assert_int_equal(c->closed, 0);
	assert_int_equal(view_open_circuits(v), 1);

	circ_full(v, 3, "EXTENDED", "", FP2, "", "", 0, T(2));
	assert_string_equal(c->status, "EXTENDED");
	assert_string_equal(c->purpose, "GENERAL");
	circ_full(v, 3, "BUILT", "CONFLUX_LINKED", FP1, "exitA", CONFLUX_A, 0,
	    T(3));
	assert_ptr_equal(circ_of(v, 3), c);
	assert_string_equal(c->status, "BUILT");
	assert_string_equal(c->exit_fp, FP1);
	assert_string_equal(c->exit_nick, "exitA");
	assert_string_equal(c->purpose, "CONFLUX_LINKED");
	assert_string_equal(c->conflux, CONFLUX_A);
	assert_int_equal(c->created, T(0) - 5000000);

	/* Later events without them keep what is known. */
	circ_full(v, 3, "BUILT", "", "", "", "", 0, T(4));
	assert_string_equal(c->exit_fp, FP1);
	assert_string_equal(c->exit_nick, "exitA");
	assert_string_equal(c->purpose, "CONFLUX_LINKED");
	assert_string_equal(c->conflux, CONFLUX_A);

	/* No TIME_CREATED: the first event's time. */
	circ_full(v, 4, "LAUNCHED", "", "", "", "", 0, T(7));
	assert_int_equal(circ_of(v, 4)->created, T(7));
	assert_int_equal(view_open_circuits(v), 2);
}

static void
test_circuit_close(void **state)
{
	struct view *v = *state;
	struct vcirc *c;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(1));
	circ_built(v, 2, FP1, "exitA", T(1));
	circ_built(v, 3, FP2, "exitB", T(1));
	circ_built(v, 4, FP2, "exitB", T(1));
	assert_int_equal(view_open_circuits(v), 4);

	/* Never carried a stream: gone. */
	circ_close(v, 1, T(2));
	assert_null(circ_of(v, 1));
	assert_int_equal(v->nclosed, 0);
	assert_int_equal(view_open_circuits(v), 3);

	/* Carried one: kept, closed. */
	stream_open(v, 20, 2, A_ID, T(2));
	stream_close(v, 20, 2, A_ID, T(3));
	circ_close(v, 2, T(4));
	c = circ_of(v, 2);
	assert_non_null(c);
	assert_int_equal(c->closed, T(4));
	assert_string_equal(c->status, "CLOSED");
	assert_string_equal(c->exit_fp, FP1);
	assert_int_equal(v->nclosed, 1);
	assert_int_equal(v->closed_order[0], 2);
	assert_int_equal(view_open_circuits(v), 2);
	assert_int_equal(v->circs.n, 3);

	/* The closed id seen again (not closing) changes nothing. */
	circ_built(v, 2, FP2, "exitB", T(5));
	assert_string_equal(c->status, "CLOSED");
	assert_string_equal(c->exit_fp, FP1);
	assert_int_equal(c->closed, T(4));
	assert_int_equal(view_open_circuits(v), 2);
	/* Closing twice neither closes again nor counts twice. */
	circ_close(v, 2, T(6));
	assert_int_equal(c->closed, T(4));
	assert_int_equal(v->nclosed, 1);
	/* A CLOSED for a circuit never seen adds nothing. */
	circ_close(v, 99, T(6));
	assert_null(circ_of(v, 99));
	assert_int_equal(v->circs.n, 3);
}

static void
test_closed_circuits_bounded(void **state)
{
	struct view *v = *state;
	const int extra = 8;
	int i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 1; i <= VIEW_CLOSED_CIRCS + extra; i++) {
		circ_built(v, (uint64_t)i, FP1, "exitA", T(i));
		stream_open(v, 1000 + (uint64_t)i, (uint64_t)i, A_ID, T(i));
		stream_close(v, 1000 + (uint64_t)i, (uint64_t)i, A_ID, T(i));
		circ_close(v, (uint64_t)i, T(i));
	}
	circ_built(v, 500, FP2, "exitB", T(100));	/* open */
	circ_built(v, 501, FP2, "exitB", T(100));	/* closed, no stream */
	circ_close(v, 501, T(101));

	assert_int_equal(v->nclosed, VIEW_CLOSED_CIRCS);
	assert_int_equal(v->circs.n, VIEW_CLOSED_CIRCS + 1);
	for (i = 1; i <= extra; i++)
		assert_null(circ_of(v, (uint64_t)i));
	for (i = extra + 1; i <= VIEW_CLOSED_CIRCS + extra; i++) {
		const struct vcirc *c = circ_of(v, (uint64_t)i);

		assert_non_null(c);
		assert_int_equal(c->closed, T(i));
		assert_int_equal(list_len(c->streams), 1);
	}
	assert_int_equal(v->closed_order[0], extra + 1);
	assert_int_equal(v->closed_order[VIEW_CLOSED_CIRCS - 1],
	    VIEW_CLOSED_CIRCS + extra);
	assert_non_null(circ_of(v, 500));
	assert_null(circ_of(v, 501));
	assert_int_equal(view_open_circuits(v), 1);
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(v->stream_ids.n, 0);
	assert_int_equal(app_of(v, A_ID)->circuits, VIEW_CLOSED_CIRCS + extra);
}

/* --- 3. streams ----------------------------------------------------------- */

static void
test_stream_new_attach(void **state)
{
	struct view *v = *state;
	struct vstream *s;
	struct vcirc *c;
	struct vapp *a;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 5, FP1, "exitA", T(0));
	circ_built(v, 6, FP2, "exitB", T(0));

	stream_full(v, 10, 0, "NEW", A_ID, TARGET, LISTENER, "curl", 4242,
	    T(1));
	s = v->unattached;
	assert_non_null(s);
	assert_null(s->next);
	assert_ptr_equal(idmap_get(&v->stream_ids, 10), s);
	assert_int_equal(s->id, 10);
	assert_int_equal(s->circ, 0);
	assert_string_equal(s->status, "NEW");
	assert_string_equal(s->target, TARGET);
	assert_string_equal(s->ident, A_ID);
	assert_string_equal(s->listener, LISTENER);
	assert_string_equal(s->process, "curl");
	assert_int_equal(s->pid, 4242);
	assert_int_equal(s->opened, T(1));
	assert_int_equal(s->closed, 0);
	assert_int_equal(v->streams_open, 1);
	assert_int_equal(v->napps, 1);
	a = app_of(v, A_ID);
	assert_int_equal(a->open, 1);
	assert_int_equal(a->total, 1);
	assert_int_equal(a->circuits, 0);
	assert_int_equal(a->listeners.n, 1);
	assert_string_equal(a->listeners.v[0], LISTENER);
	assert_int_equal(a->processes.n, 1);
	assert_string_equal(a->processes.v[0], "curl[4242]");
	assert_int_equal(a->exits.n, 0);
	assert_int_equal(a->first_seen, T(1));
	assert_int_equal(a->last_seen, T(1));
	assert_int_equal(a->unattributed, 0);
	assert_int_equal(a->internal, 0);

	stream_ev(v, 10, 5, "SENTCONNECT", A_ID, TARGET, T(2));
	assert_null(v->unattached);
	c = circ_of(v, 5);
	assert_ptr_equal(c->streams, s);
	assert_null(s->next);
	assert_int_equal(s->circ, 5);
	assert_string_equal(s->status, "SENTCONNECT");
	assert_int_equal(c->streams_total, 1);
	assert_int_equal(c->streams_open, 1);
	assert_int_equal(c->nidents, 1);
	assert_string_equal(c->idents[0], A_ID);
	assert_int_equal(c->real_idents, 1);
	assert_int_equal(c->not_app, 0);
	assert_int_equal(a->circuits, 1);
	assert_int_equal(a->exits.n, 1);
	assert_string_equal(a->exits.v[0], "exitA $59A3C0DE");

	/* SUCCEEDED on the same circuit: nothing counted twice; a "?"
	 * target does not replace the known one. */
	stream_ev(v, 10, 5, "SUCCEEDED", A_ID, "?", T(3));
	assert_string_equal(s->status, "SUCCEEDED");
	assert_string_equal(s->target, TARGET);
	assert_int_equal(c->streams_total, 1);
	assert_int_equal(c->streams_open, 1);
	assert_int_equal(a->circuits, 1);
	assert_int_equal(a->exits.n, 1);
	assert_int_equal(a->last_seen, T(3));
	assert_int_equal(v->streams_open, 1);

	/* A second stream of the same application, same circuit. */
	stream_open(v, 11, 5, A_ID, T(4));
	assert_int_equal(c->streams->id, 11);	/* newest first */
	assert_int_equal(c->streams_total, 2);
	assert_int_equal(c->streams_open, 2);
	assert_int_equal(c->nidents, 1);
	assert_int_equal(a->circuits, 1);
	assert_int_equal(a->open, 2);
	assert_int_equal(a->total, 2);
	assert_int_equal(v->streams_open, 2);
	assert_int_equal(a->listeners.n, 1);	/* a set */
	assert_int_equal(a->processes.n, 1);

	/* Another circuit. */
	stream_open(v, 12, 6, A_ID, T(5));
	assert_int_equal(a->circuits, 2);
	assert_int_equal(a->exits.n, 2);
	assert_string_equal(a->exits.v[1], "exitB $08511103");
	assert_int_equal(circ_of(v, 6)->nidents, 1);
	assert_int_equal(v->streams_open, 3);
	assert_int_equal(v->stream_ids.n, 3);
}

static void
test_stream_close_trim(void **state)
{
	struct view *v = *state;
	const struct vstream *s;
	struct vcirc *c;
	struct vapp *a;
	uint64_t i;
	size_t n;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	for (i = 1; i <= 6; i++)
		stream_open(v, i, 1, A_ID, T(i));
	c = circ_of(v, 1);
	a = app_of(v, A_ID);
	assert_int_equal(c->streams_open, 6);
	assert_int_equal(v->streams_open, 6);
	assert_int_equal(a->open, 6);
	for (i = 1; i <= 6; i++) {
		stream_close(v, i, 1, A_ID, T(10 + i));
		assert_int_equal(c->streams_open, 6 - i);
		assert_int_equal(v->streams_open, 6 - i);
		assert_int_equal(a->open, 6 - i);
	}
	assert_int_equal(a->total, 6);
	assert_int_equal(c->streams_total, 6);
	assert_int_equal(v->stream_ids.n, 0);
	assert_int_equal(list_len(c->streams), VIEW_CLOSED_STREAMS);
	/* The newest four stay, newest first. */
	for (s = c->streams, i = 6; s != NULL; s = s->next, i--) {
		assert_int_equal(s->id, i);
		assert_int_not_equal(s->closed, 0);
	}
	assert_int_equal(c->streams->closed, T(16));

	/* A CLOSED again for one already closed changes nothing. */
	stream_close(v, 6, 1, A_ID, T(30));
	assert_int_equal(c->streams->closed, T(16));
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(a->open, 0);

	/* Open ones are never trimmed. */
	stream_open(v, 7, 1, A_ID, T(31));
	stream_open(v, 8, 1, A_ID, T(32));
	stream_close(v, 8, 1, A_ID, T(33));
	assert_int_equal(list_len(c->streams), VIEW_CLOSED_STREAMS + 1);
	n = 0;
	for (s = c->streams; s != NULL; s = s->next) {
		if (s->closed == 0) {
			assert_int_equal(s->id, 7);
			n++;
		}
		assert_int_not_equal(s->id, 3);
	}
	assert_int_equal(n, 1);
	assert_int_equal(c->streams_open, 1);
	assert_int_equal(v->streams_open, 1);
	assert_int_equal(a->open, 1);
}

static void
test_stream_closed_unattached(void **state)
{
	struct view *v = *state;
	struct vapp *a;

	session(v, PIPELINE_START, 1, T(0));
	stream_full(v, 20, 0, "NEW", A_ID, TARGET, LISTENER, "curl", 4242,
	    T(1));
	assert_non_null(v->unattached);
	stream_ev(v, 20, 0, "CLOSED", A_ID, TARGET, T(2));
	assert_null(v->unattached);
	assert_int_equal(v->streams_open, 0);
	assert_int_equal(v->stream_ids.n, 0);
	assert_int_equal(v->circs.n, 0);
	a = app_of(v, A_ID);
	assert_int_equal(a->open, 0);
	assert_int_equal(a->total, 1);
	assert_int_equal(a->circuits, 0);

	/* CLOSED for a stream never seen: nothing. */
	stream_ev(v, 21, 0, "CLOSED", B_ID, TARGET, T(3));
	assert_null(view_app(v, B_ID));
	assert_int_equal(v->napps, 1);
	assert_int_equal(v->streams_open, 0);
	assert_null(v->unattached);

	/* Two unattached; the older one closes. */
	stream_ev(v, 22, 0, "NEW", A_ID, TARGET, T(4));
	stream_ev(v, 23, 0, "NEW", A_ID, TARGET, T(5));
	assert_int_equal(list_len(v->unattached), 2);
	stream_ev(v, 22, 0, "FAILED", A_ID, TARGET, T(6));
	assert_int_equal(list_len(v->unattached), 1);
	assert_int_equal(v->unattached->id, 23);
	assert_int_equal(v->streams_open, 1);
	assert_int_equal(a->open, 1);
	assert_int_equal(a->total, 3);
}

static void
test_stream_unknown_circuit(void **state)
{
	struct view *v = *state;
	struct vcirc *c;

	session(v, PIPELINE_START, 1, T(0));
	stream_open(v, 30, 77, A_ID, T(1));
	c = circ_of(v, 77);
	assert_non_null(c);
	assert_int_equal(c->id, 77);
	assert_string_equal(c->status, "?");
	assert_int_equal(c->closed, 0);
	assert_int_equal(c->created, T(1));
	assert_int_equal(c->streams_total, 1);
	assert_int_equal(c->streams_open, 1);
	assert_int_equal(c->nidents, 1);
	assert_int_equal(c->streams->id, 30);
	assert_int_equal(app_of(v, A_ID)->circuits, 1);
	assert_int_equal(view_open_circuits(v), 1);

	/* Then Tor tells about it: the same circuit, filled in. */
	circ_built(v, 77, FP2, "exitB", T(2));
	assert_ptr_equal(circ_of(v, 77), c);
	assert_string_equal(c->status, "BUILT");
	assert_string_equal(c->exit_fp, FP2);
	assert_int_equal(c->streams_total, 1);
	assert_int_equal(c->streams->id, 30);
}

static void
test_stream_reattach(void **state)
{
	struct view *v = *state;
	struct vcirc *c1, *c2;
	struct vapp *a;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	circ_built(v, 2, FP2, "exitB", T(0));
	stream_open(v, 40, 1, A_ID, T(1));
	stream_ev(v, 40, 0, "DETACHED", A_ID, TARGET, T(2));
	c1 = circ_of(v, 1);
	c2 = circ_of(v, 2);
	a = app_of(v, A_ID);
	stream_ev(v, 40, 2, "SENTCONNECT", A_ID, TARGET, T(3));
	assert_null(c1->streams);
	assert_int_equal(c1->streams_open, 0);
	assert_int_equal(c1->streams_total, 1);
	assert_non_null(c2->streams);
	assert_int_equal(c2->streams->id, 40);
	assert_int_equal(c2->streams->circ, 2);
	assert_int_equal(c2->streams_open, 1);
	assert_int_equal(a->circuits, 2);
	assert_int_equal(a->exits.n, 2);
	assert_int_equal(a->open, 1);
	assert_int_equal(a->total, 1);
	assert_int_equal(v->streams_open, 1);
	stream_close(v, 40, 2, A_ID, T(4));
	assert_int_equal(c2->streams_open, 0);
	assert_int_equal(c1->streams_open, 0);
	assert_int_equal(v->streams_open, 0);
}

/* --- 4. sharing ----------------------------------------------------------- */

static void
test_circ_shared(void **state)
{
	struct view *v = *state;
	uint64_t i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 1; i <= 4; i++)
		circ_built(v, i, FP1, "exitA", T(0));

	stream_open(v, 1, 1, A_ID, T(1));
	stream_open(v, 2, 1, A_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 1)), 0);

	stream_open(v, 3, 2, A_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 2)), 0);
	stream_open(v, 4, 2, B_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 2)), 1);
	assert_int_equal(circ_of(v, 2)->real_idents, 2);

	/* Open before attach: no application, no sharing. */
	stream_open(v, 5, 3, A_ID, T(1));
	stream_open(v, 6, 3, UNATTRIBUTED, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 3)), 0);
	assert_int_equal(circ_of(v, 3)->nidents, 2);
	assert_int_equal(circ_of(v, 3)->real_idents, 1);
	assert_int_equal(circ_of(v, 3)->not_app, 1U << 1);
	assert_int_equal(app_of(v, UNATTRIBUTED)->unattributed, 1);

	/* Tor's own directory stream: neither. */
	stream_open(v, 7, 4, TOR_ITSELF, T(1));
	stream_open(v, 8, 4, B_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 4)), 0);
	assert_int_equal(circ_of(v, 4)->not_app, 1U << 0);
	assert_int_equal(app_of(v, TOR_ITSELF)->internal, 1);
}

static void
test_circ_shared_conflux(void **state)
{
	struct view *v = *state;

	session(v, PIPELINE_START, 1, T(0));
	circ_full(v, 5, "BUILT", "CONFLUX_LINKED", FP1, "exitA", CONFLUX_A, 0,
	    T(0));
	circ_full(v, 6, "BUILT", "CONFLUX_LINKED", FP1, "exitA", CONFLUX_A, 0,
	    T(0));
	circ_full(v, 7, "BUILT", "CONFLUX_LINKED", FP2, "exitB", CONFLUX_B, 0,
	    T(0));
	circ_full(v, 8, "BUILT", "CONFLUX_LINKED", FP2, "exitB", CONFLUX_B, 0,
	    T(0));
	circ_built(v, 9, FP1, "exitA", T(0));

	stream_open(v, 1, 5, A_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 5)), 0);
	assert_int_equal(view_circ_shared(v, circ_of(v, 6)), 0);
	stream_open(v, 2, 6, B_ID, T(1));
	assert_int_equal(circ_of(v, 5)->real_idents, 1);
	assert_int_equal(circ_of(v, 6)->real_idents, 1);
	assert_int_equal(view_circ_shared(v, circ_of(v, 5)), 1);
	assert_int_equal(view_circ_shared(v, circ_of(v, 6)), 1);

	/* One identity on both legs of another set: not shared. */
	stream_open(v, 3, 7, A_ID, T(1));
	stream_open(v, 4, 8, A_ID, T(1));
	stream_open(v, 5, 8, UNATTRIBUTED, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 7)), 0);
	assert_int_equal(view_circ_shared(v, circ_of(v, 8)), 0);
	/* Not in a set. */
	stream_open(v, 6, 9, C_ID, T(1));
	assert_int_equal(view_circ_shared(v, circ_of(v, 9)), 0);
}

/* --- 5. findings ---------------------------------------------------------- */

/* The occurrence of f on circ in Tor session serial, or NULL. */
static const struct voccurrence *
occ_of(const struct vfinding *f, unsigned serial, uint64_t circ)
{
	size_t i;

	for (i = 0; i < f->nocc; i++)
		if (f->occ[i].serial == serial && f->occ[i].circ_id == circ)
			return &f->occ[i];
	return NULL;
}

static void
test_findings_causes(void **state)
{
	struct view *v = *state;
	struct vfinding *f;
	const struct voccurrence *o;
	const char *ids = "[\"" A_ID "\", \"" B_ID "\"]";
	char *key;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 5, FP1, "exitA", T(0));
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 5, "", A_ID, B_ID,
	    ids, 1, "d1", T(1), T(1));
	assert_int_equal(v->nfindings, 1);
	f = v->findings[0];
	key = cause_of(RULE_SHARED_CIRCUIT, "", A_ID, B_ID);
	assert_string_equal(f->cause, key);
	assert_ptr_equal(view_finding_by_cause(v, key), f);
	free(key);
	assert_int_equal(f->seq, 1);
	assert_int_equal(f->rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(f->severity, SEV_CRITICAL);
	assert_string_equal(f->listener, "");
	assert_string_equal(f->ident_a, A_ID);
	assert_string_equal(f->ident_b, B_ID);
	assert_string_equal(f->identities, ids);
	assert_string_equal(f->processes, "[{\"pid\": 4242, \"name\": \"curl\"}]");
	assert_string_equal(f->detail, "d1");
	assert_int_equal(f->occurrences, 1);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->first_seen, T(1));
	assert_int_equal(f->last_seen, T(1));
	assert_int_equal(f->acked, 0);
	assert_int_equal(f->again, 0);
	assert_int_equal(f->nocc, 1);
	o = view_finding_latest(f);
	assert_int_equal(o->serial, 1);
	assert_int_equal(o->store_session, STORE_SESSION);
	assert_int_equal(o->circ_id, 5);
	/* The judge gave no exit: the view's circuit has it. */
	assert_string_equal(o->exit_fp, FP1);
	assert_string_equal(o->exit_nick, "exitA");
	assert_string_equal(o->streams, "[10, 11]");
	assert_int_equal(v->by_severity[SEV_CRITICAL], 1);
	assert_int_equal(v->unacked_critical, 1);

	/* The same occurrence again: updated in place. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 5, "", A_ID, B_ID,
	    ids, 2, "d2", T(1), T(5));
	assert_int_equal(v->nfindings, 1);
	assert_ptr_equal(v->findings[0], f);
	assert_int_equal(f->occurrences, 1);
	assert_int_equal(f->nocc, 1);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->last_seen, T(5));
	assert_int_equal(f->first_seen, T(1));
	assert_string_equal(f->detail, "d2");

	/* Two updates of one cause on two circuits: one row, 2 occurrences;
	 * the pair in the other order is the same cause. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 6, "", B_ID, A_ID,
	    ids, 3, "circ 6", T(6), T(7));
	assert_int_equal(v->nfindings, 1);
	assert_int_equal(f->occurrences, 2);
	assert_int_equal(f->nocc, 2);
	assert_int_equal(f->count, 5);
	assert_int_equal(f->first_seen, T(1));
	assert_int_equal(f->last_seen, T(7));
	assert_string_equal(f->detail, "circ 6");
	assert_int_equal(view_finding_latest(f)->circ_id, 6);
	assert_string_equal(view_finding_latest(f)->exit_fp, "");
	assert_int_equal(occ_of(f, 1, 5)->count, 2);
	assert_int_equal(occ_of(f, 1, 6)->count, 3);
	assert_int_equal(occ_of(f, 1, 6)->first_seen, T(6));
	/* An update of the older one makes it the latest. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 5, "", A_ID, B_ID,
	    ids, 4, "d4", T(1), T(8));
	assert_int_equal(f->occurrences, 2);
	assert_int_equal(f->count, 7);
	assert_int_equal(view_finding_latest(f)->circ_id, 5);
	assert_int_equal(v->by_severity[SEV_CRITICAL], 1);
	assert_int_equal(v->unacked_critical, 1);

	/* Another cause: another pair, another rule, another listener of a
	 * rule whose cause has one. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 5, "", A_ID, C_ID,
	    ids, 1, "b", T(9), T(9));
	assert_int_equal(v->nfindings, 2);
	finding_full(v, RULE_SHARED_EXIT, SEV_NOTICE, 5, "", A_ID, B_ID, ids, 1,
	    "rule", T(9), T(9));
	assert_int_equal(v->nfindings, 3);
	finding_full(v, RULE_SHARED_PORT_PROCESSES, SEV_WARNING, 0, LISTENER,
	    A_ID, B_ID, ids, 1, "port 1", T(9), T(9));
	finding_full(v, RULE_SHARED_PORT_PROCESSES, SEV_WARNING, 0,
	    "127.0.0.1:9050", A_ID, B_ID, ids, 1, "port 2", T(9), T(9));
	assert_int_equal(v->nfindings, 5);

	/* Another Tor session, the same circuit id: the same cause, another
	 * occurrence. */
	session(v, PIPELINE_START, 2, T(10));
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 5, "", A_ID, B_ID,
	    ids, 1, "session 2", T(11), T(11));
	assert_int_equal(v->nfindings, 5);
	assert_int_equal(f->occurrences, 3);
	assert_int_equal(f->count, 8);
	assert_int_equal(view_finding_latest(f)->serial, 2);
	assert_int_equal(occ_of(f, 1, 5)->count, 4);
	assert_int_equal(occ_of(f, 2, 5)->count, 1);
	assert_int_equal(v->by_severity[SEV_CRITICAL], 2);
	assert_int_equal(v->by_severity[SEV_WARNING], 2);
	assert_int_equal(v->by_severity[SEV_NOTICE], 1);
	assert_int_equal(v->unacked_critical, 2);
	assert_finding_counts(v);

	assert_ptr_equal(view_finding_by_seq(v, 1), f);
	assert_string_equal(view_finding_by_seq(v, 2)->ident_b, C_ID);
	assert_null(view_finding_by_seq(v, 0));
	assert_null(view_finding_by_seq(v, 99));
	assert_null(view_finding_by_cause(v, "no such cause"));
}

/* The judge's counts win when they are more than the view saw. */
static void
test_findings_judge_counts(void **state)
{
	struct view *v = *state;
	struct judge_finding jf;
	struct vfinding *f;

	session(v, PIPELINE_START, 1, T(0));
	jf_fill(&jf, RULE_UNISOLATED_PORT, SEV_WARNING, 0, LISTENER, "", "",
	    "[]", 2, "port", T(1), T(2));
	jf.occurrences = 5;
	jf.cause_count = 12;
	jf_send(v, &jf);
	f = v->findings[0];
	assert_int_equal(f->occurrences, 5);
	assert_int_equal(f->count, 12);
	assert_int_equal(f->nocc, 1);
	/* Its occurrence again: the view adds what it saw. */
	jf_fill(&jf, RULE_UNISOLATED_PORT, SEV_WARNING, 0, LISTENER, "", "",
	    "[]", 3, "port", T(1), T(3));
	jf.occurrences = 5;
	jf.cause_count = 13;
	jf.exit_fp = FP2;
	jf_send(v, &jf);
	assert_int_equal(f->occurrences, 5);
	assert_int_equal(f->count, 13);
	assert_string_equal(view_finding_latest(f)->exit_fp, FP2);
	/* A severity changed by the configuration: the counts follow. */
	jf_fill(&jf, RULE_UNISOLATED_PORT, SEV_CRITICAL, 0, LISTENER, "", "",
	    "[]", 4, "port", T(1), T(4));
	jf_send(v, &jf);
	assert_int_equal(f->severity, SEV_CRITICAL);
	assert_int_equal(v->by_severity[SEV_WARNING], 0);
	assert_int_equal(v->unacked_critical, 1);
	assert_finding_counts(v);
}

static void
test_findings_ack(void **state)
{
	struct view *v = *state;
	struct vfinding *crit, *warn;
	uint64_t gen;

	session(v, PIPELINE_START, 1, T(0));
	shared_finding(v, 1, A_ID, B_ID, 1, T(1));
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, LISTENER, "", "",
	    "[\"" TRANS_ID "\"]", 1, "w", T(2), T(2));
	crit = view_finding_by_seq(v, 1);
	warn = view_finding_by_seq(v, 2);
	assert_non_null(crit);
	assert_non_null(warn);
	assert_int_equal(v->unacked_critical, 1);
	assert_int_equal(v->by_severity[SEV_WARNING], 1);

	gen = v->generation;
	assert_int_equal(view_ack(v, crit, T(3)), 1);
	assert_true(v->generation > gen);
	assert_int_equal(crit->acked, 1);
	assert_int_equal(crit->acked_at, T(3));
	assert_int_equal(v->unacked_critical, 0);
	assert_int_equal(view_ack(v, crit, T(3)), 0);
	assert_int_equal(v->unacked_critical, 0);
	assert_int_equal(view_ack(v, warn, T(3)), 1);
	assert_int_equal(view_ack(v, warn, T(3)), 0);
	assert_int_equal(v->unacked_critical, 0);
	assert_int_equal(v->by_severity[SEV_CRITICAL], 1);
	assert_int_equal(v->by_severity[SEV_WARNING], 1);

	shared_finding(v, 2, A_ID, C_ID, 1, T(4));
	assert_int_equal(v->unacked_critical, 1);
	/* More of an occurrence known before the acknowledgement: still
	 * acknowledged (its first seen is before). */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 1, "", A_ID, B_ID,
	    "[]", 2, "more", T(1), T(5));
	assert_int_equal(crit->acked, 1);
	assert_int_equal(crit->again, 0);
	assert_int_equal(crit->count, 2);
	assert_int_equal(v->nfindings, 3);
	assert_int_equal(v->unacked_critical, 1);
	assert_finding_counts(v);

	/* A new occurrence after the acknowledgement: unacknowledged again,
	 * marked again, and the header's count follows. */
	shared_finding(v, 7, A_ID, B_ID, 1, T(6));
	assert_int_equal(v->nfindings, 3);
	assert_int_equal(crit->occurrences, 2);
	assert_int_equal(crit->acked, 0);
	assert_int_equal(crit->again, 1);
	assert_int_equal(crit->again_at, T(6));
	assert_int_equal(v->unacked_critical, 2);
	assert_finding_counts(v);
	/* So in a new Tor session for a cause without circuits. */
	session(v, PIPELINE_START, 2, T(10));
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, LISTENER, "", "",
	    "[\"" TRANS_ID "\"]", 1, "w", T(11), T(11));
	assert_int_equal(warn->acked, 0);
	assert_int_equal(warn->again, 1);
	assert_int_equal(warn->occurrences, 2);
	assert_int_equal(v->unacked_critical, 2);

	/* Acknowledged again: no longer again; the acknowledgement covers
	 * what the view knew even when the clock lags. */
	assert_int_equal(view_ack(v, crit, T(5)), 1);
	assert_int_equal(crit->again, 0);
	assert_int_equal(crit->acked_at, T(6));
	assert_int_equal(v->unacked_critical, 1);
	shared_finding(v, 7, A_ID, B_ID, 1, T(6));
	assert_int_equal(crit->acked, 1);
	assert_finding_counts(v);
}

/* view_app_verdict for a row with this identity and, if given, one
 * application its streams belonged to (the judge's name for it). */
static char *
verdict(struct view *v, const char *ident, const char *app, char **rules)
{
	struct vapp a;

	memset(&a, 0, sizeof a);
	a.ident = (char *)(uintptr_t)ident;
	if (app != NULL) {
		a.applications.v[0] = (char *)(uintptr_t)app;
		a.applications.n = 1;
	}
	return view_app_verdict(v, &a, rules);
}

static void
test_app_short(void **state)
{
	static const char *const cases[][2] = {
		{ "/usr/bin/curl (uid 1000)@localhost",
		    "curl (uid 1000)@localhost" },
		{ "/usr/bin/curl@localhost", "curl@localhost" },
		{ "/opt/a b/x (uid 0)@ws/site", "x (uid 0)@ws/site" },
		{ "curl (uid 1000)@localhost", "curl (uid 1000)@localhost" },
		{ "torsocks pid 42@ws", "torsocks pid 42@ws" },
		{ "App D@localhost", "App D@localhost" },
		{ "/no-host", "/no-host" },
		{ "/", "/" },
		{ "", "" },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		view_app_short(&b, cases[i][0]);
		assert_string_equal(buf_cstr(&b), cases[i][1]);
	}
	buf_free(&b);
}

static void
test_app_verdict(void **state)
{
	struct view *v = *state;
	char *with, *rules;

	session(v, PIPELINE_START, 1, T(0));
	shared_finding(v, 1, B_ID, C_ID, 1, T(1));
	shared_finding(v, 2, B_ID, C_ID, 1, T(1));	/* named once */
	finding_full(v, RULE_SHARED_EXIT, SEV_NOTICE, 3, "", B_ID, D_ID,
	    "[\"" B_ID "\", \"" D_ID "\"]", 1, "exit", T(2), T(2));
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, "127.0.0.1:9040",
	    "", "", "[\"" TRANS_ID "\"]", 1, "port", T(3), T(3));
	finding_full(v, RULE_WEAK_PORT_CONFIG, SEV_NOTICE, 0, LISTENER, "", "",
	    "[\"" C_ID "\"]", 1, "weak", T(3), T(3));
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, "127.0.0.1:9041",
	    "", "", "[\"" C_ID "\"]", 1, "port", T(3), T(3));

	with = verdict(v, B_ID, NULL, &rules);
	assert_non_null(with);
	assert_string_equal(with, C_ID);
	assert_non_null(rules);
	assert_string_equal(rules, "SHARED_EXIT");
	free(with);
	free(rules);

	with = verdict(v, C_ID, NULL, &rules);
	assert_non_null(with);
	assert_string_equal(with, B_ID);
	assert_non_null(rules);
	assert_string_equal(rules, "WEAK_PORT_CONFIG, UNISOLATED_PORT");
	free(with);
	free(rules);

	/* SHARED_EXIT is a rule, not a shared circuit (view.h, dashboard.md). */
	with = verdict(v, D_ID, NULL, &rules);
	assert_null(with);
	assert_non_null(rules);
	assert_string_equal(rules, "SHARED_EXIT");
	free(rules);

	with = verdict(v, TRANS_ID, NULL, &rules);
	assert_null(with);
	assert_non_null(rules);
	assert_string_equal(rules, "UNISOLATED_PORT");
	free(rules);

	/* Named as a whole JSON string only. */
	with = verdict(v, "trans@local", NULL, &rules);
	assert_null(with);
	assert_null(rules);
	with = verdict(v, A_ID, NULL, &rules);
	assert_null(with);
	assert_null(rules);

	/* Several partners, each once; a prefix of one is another. */
	shared_finding(v, 4, B_ID, D_ID, 1, T(4));
	shared_finding(v, 5, "irc@local", B_ID, 1, T(4));
	with = verdict(v, B_ID, NULL, &rules);
	assert_non_null(with);
	assert_string_equal(with, C_ID ", " D_ID ", irc@local");
	free(with);
	free(rules);

	/* The judge names applications (programs): a row ("App X@h") is
	 * named through the applications its streams belonged to, whole,
	 * never through a prefix. */
	shared_finding(v, 6, "/usr/bin/chat (uid 1000)@h", "irc@h", 1, T(5));
	/* A partner is named by its program, without the directory. */
	shared_finding(v, 7, "/usr/bin/chat (uid 1000)@h",
	    "/opt/x/bin/pidgin (uid 1000)@h", 1, T(5));
	with = verdict(v, "App X@h", "/usr/bin/chat (uid 1000)@h", &rules);
	assert_non_null(with);
	assert_string_equal(with, "irc@h, pidgin (uid 1000)@h");
	free(with);
	free(rules);
	with = verdict(v, "App X@h", "/usr/bin/chat (uid 100)@h", &rules);
	assert_null(with);
	with = verdict(v, "App X@h", "/usr/bin/chat@h", &rules);
	assert_null(with);

	/* From the stream events: the row learns its streams' applications
	 * (the pipeline's names), so the verdict follows them. */
	{
		struct pipeline_view_stream e;
		const struct vapp *row = NULL;
		size_t i;

		memset(&e, 0, sizeof e);
		e.id = 77;
		e.status = "NEW";
		e.target = TARGET;
		e.ident = "App X@h";
		e.application = "/usr/bin/chat (uid 1000)@h";
		e.process = "chat";
		e.pid = 42;
		e.is_new = 1;
		e.ts = T(6);
		view_stream(&e, v);
		for (i = 0; i < v->napps; i++)
			if (strcmp(v->apps[i]->ident, "App X@h") == 0)
				row = v->apps[i];
		assert_non_null(row);
		assert_int_equal(row->applications.n, 1);
		with = view_app_verdict(v, row, &rules);
		assert_non_null(with);
		assert_string_equal(with, "irc@h, pidgin (uid 1000)@h");
		free(with);
		free(rules);
	}
}

static void
test_findings_bounded(void **state)
{
	struct view *v = *state;
	char listener[32];
	size_t i;

	/* A flood of distinct causes (one listener each). */
	session(v, PIPELINE_START, 1, T(0));
	for (i = 0; i < VIEW_MAX_FINDINGS; i++) {
		snprintf(listener, sizeof listener, "127.0.0.1:%zu", i + 1);
		finding_full(v, RULE_UNISOLATED_PORT, (enum severity)(i % 4),
		    0, listener, "", "", "[]", 1, "x", T(i), T(i));
	}
	assert_int_equal(v->nfindings, VIEW_MAX_FINDINGS);
	assert_int_equal(v->findings_dropped, 0);
	assert_finding_counts(v);
	/* seq 10 is a notice, seq 20 a critical. */
	assert_int_equal(view_ack(v, view_finding_by_seq(v, 10), T(5000)), 1);
	assert_int_equal(view_ack(v, view_finding_by_seq(v, 20), T(5000)), 1);
	assert_int_equal(view_finding_by_seq(v, 20)->severity, SEV_CRITICAL);

	/* Acknowledged ones go first, oldest first... */
	finding_full(v, RULE_UNISOLATED_PORT, SEV_CRITICAL, 0, "new:5000", "",
	    "", "[]", 1, "y", T(5000), T(5000));
	assert_int_equal(v->nfindings, VIEW_MAX_FINDINGS);
	assert_int_equal(v->findings_dropped, 1);
	assert_null(view_finding_by_seq(v, 10));
	assert_non_null(view_finding_by_seq(v, 1));
	assert_non_null(view_finding_by_seq(v, 20));
	assert_non_null(view_finding_by_seq(v, VIEW_MAX_FINDINGS + 1));
	assert_finding_counts(v);

	finding_full(v, RULE_UNISOLATED_PORT, SEV_INFO, 0, "new:5001", "", "",
	    "[]", 1, "y", T(5001), T(5001));
	assert_null(view_finding_by_seq(v, 20));
	assert_non_null(view_finding_by_seq(v, 1));
	assert_finding_counts(v);

	/* ...then the oldest. */
	for (i = 0; i < 3 * VIEW_MAX_FINDINGS; i++) {
		snprintf(listener, sizeof listener, "flood:%zu", i);
		finding_full(v, RULE_UNISOLATED_PORT, SEV_INFO, 0, listener,
		    "", "", "[]", 1, "y", T(6000 + i), T(6000 + i));
		assert_true(v->nfindings <= VIEW_MAX_FINDINGS);
	}
	assert_null(view_finding_by_seq(v, 1));
	assert_int_equal(v->findings_dropped, 3 * VIEW_MAX_FINDINGS + 2);
	assert_int_equal(v->nfindings, VIEW_MAX_FINDINGS);
	assert_finding_counts(v);

	/* The index still finds the rest: an update is no new row. */
	finding_full(v, RULE_UNISOLATED_PORT, SEV_INFO, 0, "flood:10000", "", "",
	    "[]", 2, "again", T(6000 + 10000), T(20000));
	assert_int_equal(v->nfindings, VIEW_MAX_FINDINGS);
	assert_int_equal(v->findings_dropped, 3 * VIEW_MAX_FINDINGS + 2);
	assert_string_equal(v->findings[10000 - 2 * VIEW_MAX_FINDINGS]->detail,
	    "again");
	assert_int_equal(v->findings[10000 - 2 * VIEW_MAX_FINDINGS]->count, 2);
	assert_finding_counts(v);
}

/* One cause seen on many circuits keeps the latest VIEW_CAUSE_OCCS. */
static void
test_findings_occurrences_bounded(void **state)
{
	struct view *v = *state;
	struct vfinding *f;
	size_t i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 1; i <= 40; i++)
		shared_finding(v, i, A_ID, B_ID, 1, T(i));
	assert_int_equal(v->nfindings, 1);
	f = v->findings[0];
	assert_int_equal(f->nocc, VIEW_CAUSE_OCCS);
	assert_int_equal(f->occurrences, 40);
	assert_int_equal(f->count, 40);
	assert_int_equal(f->first_seen, T(1));
	assert_int_equal(f->last_seen, T(40));
	for (i = 0; i < VIEW_CAUSE_OCCS; i++)
		assert_int_equal(f->occ[i].circ_id, 40 - VIEW_CAUSE_OCCS + 1 + i);
	assert_null(occ_of(f, 1, 1));
	/* A kept one updated is not another occurrence. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 30, "", A_ID, B_ID,
	    "[]", 2, "more", T(30), T(41));
	assert_int_equal(f->occurrences, 40);
	assert_int_equal(f->count, 41);
	assert_int_equal(f->nocc, VIEW_CAUSE_OCCS);
	assert_int_equal(view_finding_latest(f)->circ_id, 30);
	/* Across Tor sessions too. */
	for (i = 2; i < 50; i++) {
		session(v, PIPELINE_START, (unsigned)i, T(100 + i));
		shared_finding(v, 1, A_ID, B_ID, 1, T(100 + i));
	}
	assert_int_equal(f->nocc, VIEW_CAUSE_OCCS);
	assert_int_equal(f->occurrences, 40 + 48);
	assert_int_equal(view_finding_latest(f)->serial, 49);
	assert_int_equal(v->nfindings, 1);
}

/* --- 6. log ------------------------------------------------------------- */

static void
test_log_ring(void **state)
{
	struct view *v = *state;
	const struct vlog *l;
	char text[32];
	size_t i;
	const size_t extra = 20;

	assert_null(view_log_line(v, 0));
	for (i = 0; i < VIEW_LOG_LINES + extra; i++) {
		snprintf(text, sizeof text, "line %zu", i);
		view_log(v, "info", text, T(i));
	}
	assert_int_equal(v->nlog, VIEW_LOG_LINES);
	assert_int_equal(v->log_total, VIEW_LOG_LINES + extra);
	for (i = 0; i < VIEW_LOG_LINES; i++) {
		l = view_log_line(v, i);
		assert_non_null(l);
		snprintf(text, sizeof text, "line %zu", i + extra);
		assert_string_equal(l->text, text);
		assert_int_equal(l->ts, T(i + extra));
		assert_string_equal(l->level, "info");
		assert_int_equal(l->from_tor, 0);
	}
	assert_null(view_log_line(v, VIEW_LOG_LINES));

	view_tor_log("NOTICE", "Bootstrapped 100% (done): Done", T(999), v);
	assert_int_equal(v->nlog, VIEW_LOG_LINES);
	assert_int_equal(v->log_total, VIEW_LOG_LINES + extra + 1);
	l = view_log_line(v, VIEW_LOG_LINES - 1);
	assert_string_equal(l->text, "Bootstrapped 100% (done): Done");
	assert_string_equal(l->level, "NOTICE");
	assert_int_equal(l->from_tor, 1);
	assert_int_equal(l->ts, T(999));
	assert_string_equal(view_log_line(v, VIEW_LOG_LINES - 2)->text,
	    "line 519");
	assert_string_equal(view_log_line(v, 0)->text, "line 21");
}

/* --- 7. bounds -------------------------------------------------------------- */

static void
test_app_sets_bounded(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	struct vapp *a;
	char listener[32], proc[32], fp[48], nick[16];
	const int n = VIEW_APP_SET + 4;
	int i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 0; i < n; i++) {
		snprintf(listener, sizeof listener, "127.0.0.1:%d", 9000 + i);
		snprintf(proc, sizeof proc, "proc%d", i);
		snprintf(fp, sizeof fp, "%08X%s", 0xA0000000U + (unsigned)i,
		    "00000000000000000000000000000000");
		snprintf(nick, sizeof nick, "exit%d", i);
		circ_built(v, (uint64_t)i + 1, fp, nick, T(i));
		stream_full(v, 100 + (uint64_t)i, 0, "NEW", A_ID, TARGET,
		    listener, proc, 100 + i, T(i));
		stream_ev(v, 100 + (uint64_t)i, (uint64_t)i + 1, "SENTCONNECT",
		    A_ID, TARGET, T(i));
	}
	a = app_of(v, A_ID);
	assert_int_equal(a->listeners.n, VIEW_APP_SET);
	assert_int_equal(a->listeners.more, n - VIEW_APP_SET);
	assert_string_equal(a->listeners.v[0], "127.0.0.1:9000");
	assert_string_equal(a->listeners.v[VIEW_APP_SET - 1], "127.0.0.1:9007");
	assert_int_equal(a->processes.n, VIEW_APP_SET);
	assert_int_equal(a->processes.more, n - VIEW_APP_SET);
	assert_string_equal(a->processes.v[0], "proc0[100]");
	assert_int_equal(a->exits.n, VIEW_APP_SET);
	assert_int_equal(a->exits.more, n - VIEW_APP_SET);
	assert_string_equal(a->exits.v[0], "exit0 $A0000000");
	assert_string_equal(a->exits.v[7], "exit7 $A0000007");
	assert_int_equal(a->circuits, n);
	assert_int_equal(a->total, n);

	/* One already in the set: nothing more. */
	stream_full(v, 200, 1, "NEW", A_ID, TARGET, "127.0.0.1:9000", "proc0",
	    100, T(50));
	assert_int_equal(a->listeners.n, VIEW_APP_SET);
	assert_int_equal(a->listeners.more, n - VIEW_APP_SET);
	assert_int_equal(a->processes.more, n - VIEW_APP_SET);
	assert_int_equal(a->exits.more, n - VIEW_APP_SET);

	/* The apps panel says how many more. */
	rows_init(&r);
	ps_init(&ps, NULL, T(60));
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_APP);
	assert_true(ends_with(r.v[0].cells[2], "127.0.0.1:9007 +4"));
	assert_true(ends_with(r.v[0].cells[3], "proc7[107] +4"));
	assert_string_equal(r.v[0].cells[6], "8+");
	rows_clear(&r);
}

/*
 * "+N" in the apps panel is how many more listeners (processes) there
 * were: the ninth process opening three streams is one more, not three.
 */
static void
test_app_sets_overflow_distinct(void **state)
{
	struct view *v = *state;
	struct vapp *a;
	char listener[32], proc[32];
	int i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 0; i < VIEW_APP_SET; i++) {
		snprintf(listener, sizeof listener, "127.0.0.1:%d", 9000 + i);
		snprintf(proc, sizeof proc, "proc%d", i);
		stream_full(v, 100 + (uint64_t)i, 0, "NEW", A_ID, TARGET,
		    listener, proc, 100 + i, T(i));
	}
	for (i = 0; i < 3; i++)
		stream_full(v, 200 + (uint64_t)i, 0, "NEW", A_ID, TARGET,
		    "127.0.0.1:9999", "late", 999, T(20));
	a = app_of(v, A_ID);
	assert_int_equal(a->listeners.n, VIEW_APP_SET);
	assert_int_equal(a->processes.n, VIEW_APP_SET);
	assert_int_equal(a->listeners.more, 1);
	assert_int_equal(a->processes.more, 1);
}

static void
test_circ_idents_bounded(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	struct vcirc *c;
	char ident[32];
	const int n = VIEW_CIRC_IDENTS + 4;
	int i;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	for (i = 0; i < n; i++) {
		snprintf(ident, sizeof ident, "app%02d@localhost", i);
		stream_open(v, 100 + (uint64_t)i, 1, ident, T(i));
	}
	/* Tor's own beyond the limit is not counted as an application. */
	stream_open(v, 200, 1, TOR_ITSELF, T(30));
	c = circ_of(v, 1);
	assert_int_equal(c->nidents, VIEW_CIRC_IDENTS);
	assert_int_equal(c->more_idents, n - VIEW_CIRC_IDENTS);
	assert_int_equal(c->real_idents, VIEW_CIRC_IDENTS);
	assert_string_equal(c->idents[0], "app00@localhost");
	assert_string_equal(c->idents[VIEW_CIRC_IDENTS - 1], "app15@localhost");
	assert_int_equal(c->streams_total, n + 1);
	assert_int_equal(view_circ_shared(v, c), 1);
	for (i = 0; i < n; i++) {
		snprintf(ident, sizeof ident, "app%02d@localhost", i);
		assert_int_equal(app_of(v, ident)->circuits, 1);
	}

	rows_init(&r);
	ps_init(&ps, NULL, T(60));
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.v[0].kind, ROW_CIRC);
	assert_true(ends_with(r.v[0].cells[7], "app15@localhost, +4 more"));
	rows_clear(&r);
}

/*
 * The identities beyond VIEW_CIRC_IDENTS are counted once each: the 17th
 * application opening three streams on a full circuit is one more identity
 * and one more circuit for that application.
 */
static void
test_circ_idents_overflow_distinct(void **state)
{
	struct view *v = *state;
	struct vcirc *c;
	char ident[32];
	int i;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	for (i = 0; i < VIEW_CIRC_IDENTS; i++) {
		snprintf(ident, sizeof ident, "app%02d@localhost", i);
		stream_open(v, 100 + (uint64_t)i, 1, ident, T(i));
	}
	for (i = 0; i < 3; i++)
		stream_open(v, 200 + (uint64_t)i, 1, "late@localhost", T(40));
	c = circ_of(v, 1);
	assert_int_equal(c->nidents, VIEW_CIRC_IDENTS);
	assert_int_equal(app_of(v, "late@localhost")->circuits, 1);
	assert_int_equal(c->more_idents, 1);
}

static void
test_max_apps(void **state)
{
	struct view *v = *state;
	char ident[32];
	size_t i;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 0; i <= VIEW_MAX_APPS; i++) {
		snprintf(ident, sizeof ident, "app%04zu@localhost", i);
		stream_ev(v, i + 1, 0, "NEW", ident, TARGET, T(1));
		stream_ev(v, i + 1, 0, "CLOSED", ident, TARGET, T(2));
	}
	assert_int_equal(v->napps, VIEW_MAX_APPS);
	assert_int_equal(v->apps_dropped, 1);
	assert_non_null(view_app(v, "app0000@localhost"));
	assert_non_null(view_app(v, "app4095@localhost"));
	assert_null(view_app(v, "app4096@localhost"));
	assert_int_equal(view_app(v, "app4095@localhost")->total, 1);
	assert_int_equal(v->streams_open, 0);
	assert_null(v->unattached);
	assert_int_equal(v->stream_ids.n, 0);
}

/* --- 8. panels -------------------------------------------------------------- */

/*
 * Circuit 2 carries A and B (shared), 3 only B, 1 only A, 9 nothing; all
 * built at T(0), looked at T(61).
 */
static void
circuits_fixture(struct view *v)
{
	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	circ_built(v, 2, FP1, "exitA", T(0));
	circ_built(v, 3, FP2, "exitB", T(0));
	circ_built(v, 9, FP2, "exitB", T(0));
	stream_open_target(v, 11, 1, A_ID, "a-only.example:443", T(0));
	stream_open_target(v, 21, 2, A_ID, "shared.example:443", T(0));
	stream_open_target(v, 22, 2, B_ID, "shared.example:80", T(1));
	stream_open_target(v, 31, 3, B_ID, "b-only.example:443", T(1));
}

static void
test_panel_circuits(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	const struct row *row;

	circuits_fixture(v);
	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	build(&panel_circuits, v, &ps, &r);
	/* Shared first, then open streams (newest first), then none. */
	assert_int_equal(r.n, 8);
	assert_int_equal(r.v[0].kind, ROW_CIRC);
	assert_int_equal(r.v[0].key, 2);
	assert_int_equal(r.v[1].kind, ROW_STREAM);
	assert_int_equal(r.v[1].key, 22);
	assert_int_equal(r.v[2].kind, ROW_STREAM);
	assert_int_equal(r.v[2].key, 21);
	assert_int_equal(r.v[3].kind, ROW_CIRC);
	assert_int_equal(r.v[3].key, 3);
	assert_int_equal(r.v[4].key, 31);
	assert_int_equal(r.v[5].kind, ROW_CIRC);
	assert_int_equal(r.v[5].key, 1);
	assert_int_equal(r.v[6].key, 11);
	assert_int_equal(r.v[7].kind, ROW_CIRC);
	assert_int_equal(r.v[7].key, 9);

	row = &r.v[0];
	assert_true(row->flags & ROW_SHARED);
	assert_false(row->flags & (ROW_CLOSED | ROW_FOLDED));
	assert_string_equal(row->cells[0], "!!");
	assert_string_equal(row->cells[1], "2");
	assert_string_equal(row->cells[2], "BUILT");
	assert_string_equal(row->cells[3], "1m01s");
	assert_string_equal(row->cells[4], "general");
	assert_string_equal(row->cells[5], "exitA $59A3C0DE");
	assert_string_equal(row->cells[6], "-");
	assert_string_equal(row->cells[7], A_ID ", " B_ID);

	row = &r.v[1];
	assert_int_equal(row->flags, ROW_SPAN);
	assert_non_null(strstr(row->cells[0], "|- 22 SUCCEEDED"));
	assert_non_null(strstr(row->cells[0], B_ID));
	assert_non_null(strstr(row->cells[0], "curl[4242]"));
	assert_non_null(strstr(row->cells[0], "shared.example:80"));
	assert_non_null(strstr(row->cells[0], "via " LISTENER));
	assert_true(ends_with(row->cells[0], "  1m00s"));
	assert_int_equal(r.v[2].flags, ROW_SPAN);
	assert_non_null(strstr(r.v[2].cells[0], "`- 21 "));

	row = &r.v[3];
	assert_int_equal(row->flags, 0);
	assert_string_equal(row->cells[0], "");
	assert_string_equal(row->cells[5], "exitB $08511103");
	assert_string_equal(row->cells[7], B_ID);
	assert_string_equal(r.v[7].cells[7], "-");

	/* Sort by id: newest first, stream rows still under theirs. */
	ps.sort = 1;
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 8);
	assert_int_equal(r.v[0].key, 9);
	assert_int_equal(r.v[1].key, 3);
	assert_int_equal(r.v[2].key, 31);
	assert_int_equal(r.v[3].key, 2);
	assert_int_equal(r.v[6].key, 1);

	/* A closed circuit: dim, CLOSED, its age stops. */
	stream_close(v, 11, 1, A_ID, T(30));
	circ_close(v, 1, T(40));
	ps.sort = 0;
	build(&panel_circuits, v, &ps, &r);
	row = &r.v[row_find(&r, ROW_CIRC, 1)];
	assert_true(row->flags & ROW_CLOSED);
	assert_string_equal(row->cells[2], "CLOSED");
	assert_string_equal(row->cells[3], "40s");
	assert_int_equal(r.v[row_find(&r, ROW_STREAM, 11)].flags,
	    ROW_SPAN | ROW_CLOSED);
	/* After the open ones. */
	assert_int_equal(row_find(&r, ROW_CIRC, 1), 6);
	rows_clear(&r);
}

static void
test_panel_circuits_folded(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct idmap folded;
	struct rows r;
	long i;

	circuits_fixture(v);
	idmap_init(&folded);
	rows_init(&r);
	ps_init(&ps, &folded, T(61));
	idmap_put(&folded, 2, &folded_mark);
	idmap_put(&folded, 3, &folded_mark);
	idmap_put(&folded, 9, &folded_mark);
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 5);
	assert_int_equal(r.v[0].key, 2);
	assert_int_equal(r.v[0].flags, ROW_SHARED | ROW_FOLDED);
	assert_string_equal(r.v[0].cells[0], "!!");
	assert_int_equal(r.v[1].kind, ROW_CIRC);
	assert_int_equal(r.v[1].key, 3);
	assert_int_equal(r.v[1].flags, ROW_FOLDED);
	assert_string_equal(r.v[1].cells[0], "+");
	assert_int_equal(row_find(&r, ROW_STREAM, 21), -1);
	assert_int_equal(row_find(&r, ROW_STREAM, 22), -1);
	assert_int_equal(row_find(&r, ROW_STREAM, 31), -1);
	i = row_find(&r, ROW_STREAM, 11);
	assert_int_equal(i, row_find(&r, ROW_CIRC, 1) + 1);
	/* Nothing to fold: no marker. */
	i = row_find(&r, ROW_CIRC, 9);
	assert_int_equal(r.v[i].flags, 0);
	assert_string_equal(r.v[i].cells[0], "");

	/* Unfolded again. */
	idmap_del(&folded, 2);
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.v[0].flags, ROW_SHARED);
	assert_int_equal(r.v[1].kind, ROW_STREAM);
	assert_int_equal(r.v[1].key, 22);
	rows_clear(&r);
	idmap_free(&folded);
}

static void
test_panel_circuits_filter(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;

	circuits_fixture(v);
	rows_init(&r);
	ps_init(&ps, NULL, T(61));

	ps.filter = "CHAT@LocalHost";	/* an identity */
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_CIRC), 2);
	assert_int_equal(r.v[0].key, 2);
	assert_int_not_equal(row_find(&r, ROW_CIRC, 3), -1);
	assert_int_equal(row_count(&r, ROW_NOTE), 0);

	ps.filter = "EXITB";		/* an exit */
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_CIRC), 2);
	assert_int_not_equal(row_find(&r, ROW_CIRC, 3), -1);
	assert_int_not_equal(row_find(&r, ROW_CIRC, 9), -1);

	ps.filter = "b-ONLY.example";	/* a target */
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0].kind, ROW_CIRC);
	assert_int_equal(r.v[0].key, 3);
	assert_int_equal(r.v[1].key, 31);

	ps.filter = "nothing-like-this";
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_int_equal(r.v[0].flags, ROW_SPAN);
	assert_string_equal(r.v[0].cells[0], "(no circuit matches the filter)");
	rows_clear(&r);
}

static void
test_panel_circuits_notes(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;

	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0], "(not attached to Tor)");

	session(v, PIPELINE_START, 1, T(0));
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].cells[0], "(no circuits yet)");

	/* Streams waiting for a circuit come first, under a note. */
	stream_full(v, 5, 0, "NEW", A_ID, TARGET, LISTENER, "curl", 4242, T(1));
	circ_built(v, 1, FP1, "exitA", T(0));
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0], "(streams not on a circuit yet)");
	assert_int_equal(r.v[1].kind, ROW_STREAM);
	assert_int_equal(r.v[1].key, 5);
	assert_non_null(strstr(r.v[1].cells[0], "`- 5 NEW"));
	assert_int_equal(r.v[2].kind, ROW_CIRC);
	assert_int_equal(r.v[2].key, 1);
	rows_clear(&r);
}

/*
 * With a filter the streams waiting for a circuit are not shown; when no
 * circuit matches either, the panel must still say so rather than be
 * empty.
 */
static void
test_panel_circuits_filter_unattached(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	stream_full(v, 5, 0, "NEW", A_ID, TARGET, LISTENER, "curl", 4242, T(1));
	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	ps.filter = "nothing-like-this";
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_CIRC), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0], "(no circuit matches the filter)");
	rows_clear(&r);
}

static size_t
app_index(const struct view *v, const char *ident)
{
	size_t i;

	for (i = 0; i < v->napps; i++)
		if (strcmp(v->apps[i]->ident, ident) == 0)
			return i;
	fail_msg("no application %s", ident);
	return 0;
}

static void
test_panel_apps(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	const struct row *row;

	session(v, PIPELINE_START, 1, T(0));
	circ_built(v, 1, FP1, "exitA", T(0));
	circ_built(v, 2, FP2, "exitB", T(0));
	stream_open(v, 1, 1, A_ID, T(1));		/* open */
	stream_open(v, 2, 2, B_ID, T(1));
	stream_close(v, 2, 2, B_ID, T(2));
	stream_open(v, 3, 2, C_ID, T(1));
	stream_open(v, 4, 1, D_ID, T(1));
	stream_open(v, 5, 1, UNATTRIBUTED, T(1));
	stream_open(v, 6, 1, TOR_ITSELF, T(1));
	shared_finding(v, 2, B_ID, C_ID, 3, T(2));
	finding_full(v, RULE_SHARED_EXIT, SEV_NOTICE, 1, "", B_ID, D_ID,
	    "[\"" B_ID "\", \"" D_ID "\"]", 1, "exit", T(2), T(2));

	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(r.n, 6);
	/* Shared, then other rules, then the rest; by name within. */
	assert_int_equal(r.v[0].key, app_index(v, B_ID));
	assert_int_equal(r.v[1].key, app_index(v, C_ID));
	assert_int_equal(r.v[2].key, app_index(v, D_ID));
	assert_int_equal(r.v[3].key, app_index(v, TOR_ITSELF));
	assert_int_equal(r.v[4].key, app_index(v, A_ID));
	assert_int_equal(r.v[5].key, app_index(v, UNATTRIBUTED));

	row = &r.v[0];
	assert_int_equal(row->kind, ROW_APP);
	assert_true(row->flags & ROW_SHARED);
	assert_true(row->flags & ROW_CLOSED);	/* nothing open */
	assert_string_equal(row->cells[0], "!!");
	assert_string_equal(row->cells[1], B_ID);
	assert_string_equal(row->cells[2], LISTENER);
	assert_string_equal(row->cells[3], "curl[4242]");
	assert_string_equal(row->cells[4], "0/1");
	assert_string_equal(row->cells[5], "1");
	assert_string_equal(row->cells[6], "1");
	assert_true(strncmp(row->cells[7], "SHARED with ", 12) == 0);
	assert_string_equal(row->cells[7], "SHARED with " C_ID "; SHARED_EXIT");

	row = &r.v[1];
	assert_true(row->flags & ROW_SHARED);
	assert_string_equal(row->cells[7], "SHARED with " B_ID);

	row = &r.v[2];
	assert_false(row->flags & ROW_SHARED);
	assert_string_equal(row->cells[0], "");
	assert_string_equal(row->cells[7], "SHARED_EXIT");

	assert_string_equal(r.v[3].cells[7], "Tor's own, not an application");
	row = &r.v[4];
	assert_int_equal(row->flags, 0);	/* open, isolated */
	assert_string_equal(row->cells[0], "");
	assert_string_equal(row->cells[4], "1/1");
	assert_string_equal(row->cells[7], "isolated");
	assert_string_equal(r.v[5].cells[7],
	    "cannot tell (open before attach)");

	/* By name. */
	ps.sort = 1;
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(r.v[0].key, app_index(v, TOR_ITSELF));
	assert_int_equal(r.v[1].key, app_index(v, A_ID));

	ps.sort = 0;
	ps.filter = "IRC@";
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].key, app_index(v, C_ID));
	ps.filter = "nothing-like-this";
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0],
	    "(no application matches the filter)");
	rows_clear(&r);
}

#define LONG_DETAIL \
	"chat@localhost and irc@localhost used circuit 2 through exit " \
	"exitA $59A3C0DE112233445566778899AABBCCDDEEFF00 at the same time; " \
	"streams 10 and 11 from curl[4242] and curl[4243] came in on " \
	"127.0.0.1:9150 and 127.0.0.1:9151, whose SOCKS credentials were " \
	"the same, so Tor put them on one circuit: an observer at the exit " \
	"can link the two applications. Averyveryveryverylongwordwithout" \
	"anyspaceatallthatgoesonandonandonandonandonandonandonandonandon" \
	"andonandonandonandonandon end."

/* The rows of one labelled detail, unwrapped. */
static char *
detail_text(const struct rows *r, uint64_t seq, const char *label)
{
	size_t i, len = 0, lab = strlen(label);
	char *out = calloc(1, 1);
	int in = 0;

	assert_non_null(out);
	for (i = 0; i < r->n; i++) {
		const char *c = r->v[i].cells[0];
		size_t k;

		if (r->v[i].kind != ROW_DETAIL || r->v[i].key != seq)
			continue;
		assert_true(strlen(c) >= 17);
		if (strncmp(c + 4, label, lab) == 0)
			in = 1;
		else {
			for (k = 4; k < 16 && c[k] == ' '; k++)
				;
			if (k < 16) {
				if (in)
					break;
				continue;
			}
		}
		if (!in)
			continue;
		out = realloc(out, len + strlen(c + 17) + 1);
		assert_non_null(out);
		memcpy(out + len, c + 17, strlen(c + 17) + 1);
		len += strlen(c + 17);
	}
	return out;
}

/*
 * The rows of seq's "occurrences:" (one per occurrence when the width
 * does not wrap them, then "and N more"): *first, *n.
 */
static void
occ_rows(const struct rows *r, uint64_t seq, size_t *first, size_t *n)
{
	size_t i;

	*first = 0;
	*n = 0;
	for (i = 0; i < r->n; i++) {
		const char *c = r->v[i].cells[0];

		if (r->v[i].kind != ROW_DETAIL || r->v[i].key != seq)
			continue;
		if (*n == 0 && strncmp(c, "    occurrences: ", 17) == 0) {
			*first = i;
			*n = 1;
		} else if (*n > 0 && strncmp(c, "                 ", 17) == 0)
			(*n)++;
		else if (*n > 0)
			break;
	}
}

static void
test_panel_findings(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	char *text;
	long at;
	size_t i, first_occ, nocc_rows;
	char c1[16], c2[16], want[128];
	int width;

	session(v, PIPELINE_START, 1, T(0));
	shared_finding(v, 2, B_ID, C_ID, 1, T(10));		/* seq 1 */
	finding_full(v, RULE_WEAK_PORT_CONFIG, SEV_NOTICE, 0, LISTENER, "", "",
	    "[\"" C_ID "\"]", 1, "weak", T(30), T(30));		/* seq 2 */
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, LISTENER, "", "",
	    "[\"" TRANS_ID "\"]", 4, "port", T(20), T(20));	/* seq 3 */

	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].key, 2);
	assert_int_equal(r.v[1].key, 3);
	assert_int_equal(r.v[2].key, 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(r.v[i].kind, ROW_FINDING);
		assert_string_equal(r.v[i].cells[0], "*");
		assert_int_equal(r.v[i].flags, 0);
	}
	assert_string_equal(r.v[1].cells[2], "warning");
	assert_string_equal(r.v[1].cells[3], "UNISOLATED_PORT");
	assert_string_equal(r.v[1].cells[4], "x1");	/* occurrences */
	assert_string_equal(r.v[1].cells[5], "port");	/* no pair: detail */
	assert_string_equal(r.v[2].cells[5], B_ID " and " C_ID);
	assert_int_equal(r.v[1].severity, SEV_WARNING);
	assert_int_equal(r.v[2].severity, SEV_CRITICAL);

	/* By severity. */
	ps.sort = 1;
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.v[0].key, 1);
	assert_int_equal(r.v[1].key, 3);
	assert_int_equal(r.v[2].key, 2);

	/* Acknowledged. */
	view_ack(v, view_finding_by_seq(v, 3), T(31));
	ps.sort = 0;
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.v[1].key, 3);
	assert_string_equal(r.v[1].cells[0], "");
	assert_true(r.v[1].flags & ROW_ACKED);
	assert_string_equal(r.v[0].cells[0], "*");
	assert_false(r.v[0].flags & ROW_ACKED);

	/* A newer occurrence (another circuit) moves it up: one row, x2. */
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 3, "", B_ID, C_ID,
	    "[\"" B_ID "\", \"" C_ID "\"]", 2, LONG_DETAIL, T(35), T(40));
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].key, 1);
	assert_string_equal(r.v[0].cells[4], "x2");

	/* Opened: its details under it, wrapped to the width. */
	ps.open_finding = 1;
	for (width = 40; width <= 200; width++) {
		ps.width = width;
		build(&panel_findings, v, &ps, &r);
		assert_int_equal(r.v[0].kind, ROW_FINDING);
		assert_int_equal(r.v[0].key, 1);
		assert_int_equal(r.v[1].kind, ROW_DETAIL);
		assert_int_equal(r.v[1].flags, ROW_SPAN);
		assert_int_equal(strncmp(r.v[1].cells[0], "    detail:      ",
		    17), 0);
		for (i = 1; i < r.n && r.v[i].kind == ROW_DETAIL; i++) {
			assert_int_equal(r.v[i].key, 1);
			if (strlen(r.v[i].cells[0]) > (size_t)width)
				fail_msg("width %d: detail row %zu is %zu wide: "
				    "\"%s\"", width, i,
				    strlen(r.v[i].cells[0]), r.v[i].cells[0]);
		}
		/* Then the other findings, without details. */
		assert_int_equal(r.n - i, 2);
		assert_int_equal(row_count(&r, ROW_FINDING), 3);
		text = detail_text(&r, 1, "detail:");
		assert_string_equal(text, LONG_DETAIL);
		free(text);
	}
	ps.width = 80;
	build(&panel_findings, v, &ps, &r);
	text = detail_text(&r, 1, "identities:");
	assert_string_equal(text, B_ID ", " C_ID);
	free(text);
	text = detail_text(&r, 1, "processes:");
	assert_string_equal(text, "curl[4242]");
	free(text);
	text = detail_text(&r, 1, "seen:");
	assert_non_null(strstr(text, ", 3 times in 2 occurrences"));
	free(text);
	text = detail_text(&r, 1, "state:");
	assert_string_equal(text, "not acknowledged");
	free(text);
	/* No profile, no advice: no "what to do:" row. */
	text = detail_text(&r, 1, "what to do:");
	assert_string_equal(text, "");
	free(text);
	/* The profile's advice, as the judge gave it, under the detail. */
	{
		struct judge_finding f;

		jf_fill(&f, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 3, "", B_ID,
		    C_ID, "[\"" B_ID "\", \"" C_ID "\"]", 2, LONG_DETAIL,
		    T(35), T(40));
		f.remedy = "give each program its own port: 9152-9189";
		jf_send(v, &f);
	}
	build(&panel_findings, v, &ps, &r);
	text = detail_text(&r, 1, "what to do:");
	assert_non_null(text);
	assert_string_equal(text, "give each program its own port: 9152-9189");
	free(text);
	/* Its occurrences, the latest first, one line each. */
	ps.width = 200;
	build(&panel_findings, v, &ps, &r);
	at = row_find(&r, ROW_FINDING, 1);
	occ_rows(&r, 1, &first_occ, &nocc_rows);
	assert_int_equal(nocc_rows, 2);
	ui_clock(T(35), c1, sizeof c1);
	ui_clock(T(40), c2, sizeof c2);
	snprintf(want, sizeof want, "Tor session 1, circuit 3: 2 times, %s-%s; "
	    "streams 10, 11", c1, c2);
	assert_string_equal(r.v[first_occ].cells[0] + 17, want);
	assert_int_equal(strncmp(r.v[first_occ + 1].cells[0] + 4, "            ",
	    12), 0);
	assert_non_null(strstr(r.v[first_occ + 1].cells[0],
	    "Tor session 1, circuit 2: 1 time, "));
	ps.width = 80;

	/* The acknowledged one says so. */
	ps.open_finding = 3;
	build(&panel_findings, v, &ps, &r);
	text = detail_text(&r, 3, "state:");
	assert_int_equal(strncmp(text, "acknowledged (", 14), 0);
	free(text);
	at = row_find(&r, ROW_FINDING, 3);
	assert_int_equal(r.v[at + 1].kind, ROW_DETAIL);
	assert_int_equal(row_count(&r, ROW_DETAIL) > 0, 1);
	for (i = 0; i < r.n; i++)
		if (r.v[i].kind == ROW_DETAIL)
			assert_int_equal(r.v[i].key, 3);

	/* Filter; none. */
	ps.open_finding = 0;
	ps.filter = "weak_port";
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].key, 2);
	ps.filter = "nothing-like-this";
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0], "(no finding matches the filter)");
	rows_clear(&r);
}

/* A cause seen on many circuits, acknowledged, then back. */
static void
test_panel_findings_again(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;
	struct judge_finding jf;
	char *text, want[64];
	size_t i, first, n;

	session(v, PIPELINE_START, 1, T(0));
	for (i = 1; i <= 20; i++)
		shared_finding(v, i, B_ID, C_ID, 1, T(i));
	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	ps.width = 200;
	ps.open_finding = 1;
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_FINDING), 1);
	assert_string_equal(r.v[0].cells[4], "x20");
	occ_rows(&r, 1, &first, &n);
	assert_int_equal(n, VIEW_CAUSE_OCCS + 1);
	assert_non_null(strstr(r.v[first].cells[0], "circuit 20:"));
	assert_non_null(strstr(r.v[first + VIEW_CAUSE_OCCS - 1].cells[0],
	    "circuit 5:"));
	snprintf(want, sizeof want, "and %d more", 20 - VIEW_CAUSE_OCCS);
	assert_string_equal(r.v[first + VIEW_CAUSE_OCCS].cells[0] + 17, want);
	/* At most 8 stream ids an occurrence. */
	jf_fill(&jf, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 20, "", B_ID, C_ID,
	    "[]", 2, "d", T(20), T(20));
	jf.streams = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
	jf_send(v, &jf);
	build(&panel_findings, v, &ps, &r);
	occ_rows(&r, 1, &first, &n);
	assert_non_null(strstr(r.v[first].cells[0],
	    "; streams 1, 2, 3, 4, 5, 6, 7, 8, +2 more"));

	/* Acknowledged: no marker; a new circuit: back, marked again. */
	view_ack(v, view_finding_by_seq(v, 1), T(30));
	build(&panel_findings, v, &ps, &r);
	assert_string_equal(r.v[0].cells[0], "");
	assert_true(r.v[0].flags & ROW_ACKED);
	shared_finding(v, 21, B_ID, C_ID, 1, T(31));
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_FINDING), 1);
	assert_string_equal(r.v[0].cells[0], "*");
	assert_false(r.v[0].flags & ROW_ACKED);
	assert_string_equal(r.v[0].cells[4], "x21");
	assert_string_equal(r.v[0].cells[5], "again: " B_ID " and " C_ID);
	text = detail_text(&r, 1, "state:");
	assert_int_equal(strncmp(text, "again: seen at ", 15), 0);
	free(text);
	assert_int_equal(v->unacked_critical, 1);
	ps.open_finding = 0;
	ps.filter = "again";
	build(&panel_findings, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_FINDING), 1);
	rows_clear(&r);
}

static void
test_panel_log(void **state)
{
	struct view *v = *state;
	struct panel_state ps;
	struct rows r;

	rows_init(&r);
	ps_init(&ps, NULL, T(61));
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].kind, ROW_NOTE);
	assert_string_equal(r.v[0].cells[0], "(no messages)");

	view_log(v, "info", "first", T(1));
	view_log(v, "warn", "second", T(2));
	view_tor_log("ERR", "third", T(3), v);
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0].kind, ROW_LOG);
	assert_int_equal(r.v[0].key, 2);
	assert_string_equal(r.v[0].cells[1], "tor ERR");
	assert_string_equal(r.v[0].cells[2], "third");
	assert_int_equal(r.v[0].severity, SEV_CRITICAL);
	assert_int_equal(r.v[1].key, 1);
	assert_string_equal(r.v[1].cells[1], "warn");
	assert_string_equal(r.v[1].cells[2], "second");
	assert_int_equal(r.v[1].severity, SEV_WARNING);
	assert_int_equal(r.v[2].key, 0);
	assert_string_equal(r.v[2].cells[2], "first");
	assert_int_equal(r.v[2].severity, SEV_INFO);

	ps.sort = 1;
	build(&panel_log, v, &ps, &r);
	assert_string_equal(r.v[0].cells[2], "first");
	assert_string_equal(r.v[2].cells[2], "third");

	ps.sort = 0;
	ps.filter = "SECOND";
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].key, 1);
	ps.filter = "err";		/* the level */
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].key, 2);
	ps.filter = "nothing-like-this";
	build(&panel_log, v, &ps, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].cells[0], "(no message matches the filter)");
	rows_clear(&r);
}

/* --- 9. helpers ----------------------------------------------------------- */

static void
test_ui_match(void **state)
{
	(void)state;
	assert_int_equal(ui_match("chat@localhost", "CHAT"), 1);
	assert_int_equal(ui_match("chat@localhost", "localhost"), 1);
	assert_int_equal(ui_match("chat@localhost", "t@L"), 1);
	assert_int_equal(ui_match("chat@localhost", "chat@localhost"), 1);
	assert_int_equal(ui_match("chat@localhost", "chat@localhostx"), 0);
	assert_int_equal(ui_match("chat@localhost", "irc"), 0);
	assert_int_equal(ui_match("chat", "chatter"), 0);
	assert_int_equal(ui_match("aab", "ab"), 1);
	assert_int_equal(ui_match("anything", ""), 1);
	assert_int_equal(ui_match("", ""), 1);
	assert_int_equal(ui_match(NULL, ""), 1);
	assert_int_equal(ui_match("anything", NULL), 1);
	assert_int_equal(ui_match(NULL, "x"), 0);
	assert_int_equal(ui_match("", "x"), 0);
}

static void
test_ui_age(void **state)
{
	static const struct {
		int64_t		 s;
		const char	*want;
	} cases[] = {
		{ -5, "0s" }, { 0, "0s" }, { 59, "59s" }, { 60, "1m00s" },
		{ 61, "1m01s" }, { 3599, "59m59s" }, { 3600, "1h00m" },
		{ 3700, "1h01m" }, { 86399, "23h59m" }, { 86400, "1d00h" },
		{ 90000, "1d01h" }, { 10 * 86400 + 5 * 3600, "10d05h" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(cases); i++) {
		ui_age(cases[i].s * 1000000, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
	ui_age(61999999, out, sizeof out);	/* truncated to seconds */
	assert_string_equal(out, "1m01s");
}

/*
 * The layout's rules at one width: shown columns at their minimum or
 * more; the dropped ones of a lower priority than every shown one (the
 * rightmost of equals goes first), and the last dropped would not have
 * fitted; the width used to the end when a shown column is flexible.
 */
static void
check_layout(const struct column *cols, size_t n, int width)
{
	int w[UI_MAX_COLS];
	size_t fit, i, k, shown = 0, last = n;
	int used = 0, mins = 0, weighted = 0;

	memset(w, 0xff, sizeof w);
	fit = ui_layout(cols, n, width, w);
	assert_true(fit >= 1 && fit <= n);
	for (i = 0; i < n; i++) {
		assert_true(w[i] >= 0);
		if (w[i] == 0)
			continue;
		used += w[i] + (shown > 0 ? 1 : 0);
		mins += cols[i].min + (shown > 0 ? 1 : 0);
		shown++;
		if (cols[i].weight > 0)
			weighted = 1;
	}
	if (width <= 0) {
		assert_int_equal(fit, 1);
		return;
	}
	assert_int_equal(shown, fit);
	if (mins > width) {
		/* Not even one fits: it gets what there is. */
		assert_int_equal(fit, 1);
		assert_int_equal(used, width > 0 ? width : 0);
		return;
	}
	for (i = 0; i < n; i++) {
		if (w[i] == 0) {
			/* Dropped: below every column shown. */
			for (k = 0; k < n; k++)
				if (w[k] > 0)
					assert_true(cols[i].prio < cols[k].prio ||
					    (cols[i].prio == cols[k].prio &&
					    i > k));
			if (last == n || cols[i].prio > cols[last].prio)
				last = i;
			continue;
		}
		assert_true(w[i] >= cols[i].min);
		if (cols[i].weight == 0)
			assert_int_equal(w[i], cols[i].min);
	}
	/* The last dropped (the most important of them) did not fit;
	 * those below it go with it, whatever room is left. */
	if (last < n)
		assert_true(mins + 1 + cols[last].min > width);
	if (weighted)
		assert_int_equal(used, width);
	else
		assert_true(used <= width);
}

/* The titles of the columns a panel shows at this width, "|"-joined. */
static void
titles_at(const struct panel *p, int width, char *out, size_t len)
{
	int w[UI_MAX_COLS];
	size_t k;

	out[0] = '\0';
	ui_layout(p->cols, p->ncols, width, w);
	for (k = 0; k < p->ncols; k++)
		if (w[k] > 0)
			snprintf(out + strlen(out), len - strlen(out), "%s|",
			    p->cols[k].title);
}

/* The width of the column of this title at this width (0: dropped). */
static int
width_of(const struct panel *p, int width, const char *title)
{
	int w[UI_MAX_COLS];
	size_t k;

	ui_layout(p->cols, p->ncols, width, w);
	for (k = 0; k < p->ncols; k++)
		if (strcmp(p->cols[k].title, title) == 0)
			return w[k];
	return -1;
}

static void
test_ui_layout(void **state)
{
	static const struct column three[] = {
		{ "A", 10, 0, 0, 3 }, { "B", 10, 1, 0, 2 }, { "C", 10, 0, 0, 1 },
	};
	/* B is least important: it goes before C. */
	static const struct column mid[] = {
		{ "A", 10, 0, 0, 3 }, { "B", 10, 0, 0, 1 }, { "C", 10, 1, 0, 2 },
	};
	static const struct column flex[] = {
		{ "A", 3, 1, 0, 1 }, { "B", 4, 2, 0, 4 }, { "C", 5, 0, 1, 2 },
		{ "D", 2, 3, 0, 2 },
	};
	const struct panel *panels[] = {
		&panel_circuits, &panel_apps, &panel_findings, &panel_log,
	};
	char t[256];
	int w[UI_MAX_COLS];
	size_t p;
	int width;

	(void)state;
	/* C does not fit at 10 after A and B: dropped; B takes the rest. */
	assert_int_equal(ui_layout(three, 3, 25, w), 2);
	assert_int_equal(w[0], 10);
	assert_int_equal(w[1], 14);
	assert_int_equal(w[2], 0);
	assert_int_equal(ui_layout(three, 3, 32, w), 3);
	assert_int_equal(w[0], 10);
	assert_int_equal(w[1], 10);
	assert_int_equal(w[2], 10);
	assert_int_equal(ui_layout(three, 3, 40, w), 3);
	assert_int_equal(w[1], 18);
	assert_int_equal(ui_layout(three, 3, 20, w), 1);
	assert_int_equal(w[0], 10);
	assert_int_equal(ui_layout(three, 3, 5, w), 1);
	assert_int_equal(w[0], 5);
	/* A column in the middle goes first when it matters least. */
	assert_int_equal(ui_layout(mid, 3, 25, w), 2);
	assert_int_equal(w[0], 10);
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 14);

	for (width = 0; width <= 300; width++) {
		check_layout(three, TU_NELEM(three), width);
		check_layout(mid, TU_NELEM(mid), width);
		check_layout(flex, TU_NELEM(flex), width);
		for (p = 0; p < TU_NELEM(panels); p++)
			check_layout(panels[p]->cols, panels[p]->ncols, width);
	}

	/*
	 * At 80 columns the lists keep the verdict, the partner and the
	 * process; more width shows more columns.
	 */
	titles_at(&panel_circuits, 80, t, sizeof t);
	assert_string_equal(t, "|ID|STATE|AGE|EXIT|APPLICATIONS|");
	assert_true(width_of(&panel_circuits, 80, "APPLICATIONS") >= 31);
	titles_at(&panel_circuits, 100, t, sizeof t);
	assert_string_equal(t,
	    "|ID|STATE|AGE|PURPOSE|EXIT|CONFLUX|APPLICATIONS|");
	assert_true(width_of(&panel_circuits, 200, "APPLICATIONS") >
	    width_of(&panel_circuits, 100, "APPLICATIONS"));

	titles_at(&panel_apps, 80, t, sizeof t);
	assert_string_equal(t, "|APPLICATION|PROCESSES|VERDICT|");
	/* "SHARED with echo (uid 1000)@localhost" */
	assert_true(width_of(&panel_apps, 80, "VERDICT") >= 37);
	titles_at(&panel_apps, 85, t, sizeof t);
	assert_string_equal(t, "|APPLICATION|LISTENERS|PROCESSES|VERDICT|");
	titles_at(&panel_apps, 90, t, sizeof t);
	assert_string_equal(t,
	    "|APPLICATION|LISTENERS|PROCESSES|STREAMS|VERDICT|");
	titles_at(&panel_apps, 100, t, sizeof t);
	assert_string_equal(t,
	    "|APPLICATION|LISTENERS|PROCESSES|STREAMS|CIRC|EXIT|VERDICT|");

	titles_at(&panel_findings, 80, t, sizeof t);
	assert_string_equal(t, "|SEVERITY|RULE|OCC|CAUSE|");
	assert_true(width_of(&panel_findings, 80, "CAUSE") >= 40);
	titles_at(&panel_findings, 100, t, sizeof t);
	assert_string_equal(t, "|TIME|SEVERITY|RULE|OCC|CAUSE|");

	titles_at(&panel_log, 80, t, sizeof t);
	assert_string_equal(t, "TIME|LEVEL|MESSAGE|");
	titles_at(&panel_log, 45, t, sizeof t);
	assert_string_equal(t, "TIME|MESSAGE|");
}

/* --- 10. hostile strings ------------------------------------------------- */

static void
test_hostile_strings(void **state)
{
	struct view *v = *state;
	const size_t big = 64 * 1024;
	const char *evil = "evil\x1b[31m\x07\r\n\t\x7f@host";
	struct panel_state ps;
	struct idmap folded;
	struct rows r;
	char *huge, *huge_ident, *ids;
	const struct panel *panels[] = {
		&panel_circuits, &panel_apps, &panel_findings, &panel_log,
	};
	size_t p, k;
	long at;

	huge = malloc(big + 1);
	huge_ident = malloc(big + 1);
	assert_non_null(huge);
	assert_non_null(huge_ident);
	memset(huge, 'x', big);
	huge[big] = '\0';
	memset(huge_ident, 'A', big);
	huge_ident[big] = '\0';
	huge_ident[big - 6] = '@';
	ids = malloc(2 * big + 64);
	assert_non_null(ids);
	snprintf(ids, 2 * big + 64, "[\"%s\", \"%s\"]", evil, huge_ident);

	session(v, PIPELINE_START, 1, T(0));
	circ_full(v, 1, "BUILT", huge, FP1, "exitA", "", 0, T(0));
	circ_full(v, 2, "BUILT", "GENERAL", huge, huge, huge, 0, T(0));
	stream_full(v, 10, 0, "NEW", evil, huge, huge, huge, 1, T(1));
	stream_ev(v, 10, 1, "SUCCEEDED", evil, huge, T(1));
	stream_full(v, 11, 0, "NEW", huge_ident, evil, evil, evil, 2, T(1));
	stream_ev(v, 11, 1, "SUCCEEDED", huge_ident, evil, T(1));
	stream_full(v, 12, 2, "NEW", huge_ident, huge, huge, evil, 3, T(1));
	stream_full(v, 13, 0, "NEW", "", "", "", "", 4, T(1));
	finding_full(v, RULE_SHARED_CIRCUIT, SEV_CRITICAL, 1, huge, evil,
	    huge_ident, ids, 1, huge, T(2), T(2));
	finding_full(v, RULE_UNISOLATED_PORT, SEV_WARNING, 0, evil, "", "",
	    "[\"unterminated", 1, evil, T(2), T(2));
	view_log(v, "info", huge, T(3));
	view_tor_log(evil, evil, T(3), v);
	view_bootstrap(5, huge, T(3), v);

	/* Stored as given. */
	assert_string_equal(circ_of(v, 1)->streams->next->ident, evil);
	assert_string_equal(circ_of(v, 1)->streams->target, evil);
	assert_string_equal(app_of(v, huge_ident)->ident, huge_ident);
	assert_string_equal(app_of(v, evil)->listeners.v[0], huge);
	assert_int_equal(view_circ_shared(v, circ_of(v, 1)), 1);
	assert_int_equal(strlen(circ_of(v, 2)->exit_fp), 40);
	assert_string_equal(view_finding_by_seq(v, 1)->detail, huge);

	idmap_init(&folded);
	rows_init(&r);
	ps_init(&ps, &folded, T(61));
	ps.open_finding = 1;
	for (p = 0; p < TU_NELEM(panels); p++) {
		build(panels[p], v, &ps, &r);
		assert_true(r.n > 0);
	}
	build(&panel_circuits, v, &ps, &r);
	at = row_find(&r, ROW_CIRC, 1);
	assert_true(at >= 0);
	assert_string_equal(r.v[at].cells[0], "!!");
	assert_non_null(strstr(r.v[at].cells[7], huge_ident));
	assert_true(row_find(&r, ROW_STREAM, 11) > at);
	assert_true(row_find(&r, ROW_STREAM, 12) >= 0);
	assert_true(row_find(&r, ROW_STREAM, 13) >= 0);
	build(&panel_apps, v, &ps, &r);
	assert_int_equal(row_count(&r, ROW_APP), 3);
	build(&panel_findings, v, &ps, &r);
	assert_true(row_count(&r, ROW_DETAIL) > big / 80);
	build(&panel_log, v, &ps, &r);
	/* Two lines, wrapped (not cut): many rows, two with a time. */
	assert_true(row_count(&r, ROW_LOG) > 2);
	for (at = 0, k = 0; k < r.n; k++)
		if (r.v[k].kind == ROW_LOG && r.v[k].cells[0][0] != '\0')
			at++;
	assert_int_equal(at, 2);
	ps.filter = huge;
	for (p = 0; p < TU_NELEM(panels); p++) {
		build(panels[p], v, &ps, &r);
		assert_true(r.n > 0);
	}
	ps.filter = evil;
	build(&panel_circuits, v, &ps, &r);
	assert_true(row_find(&r, ROW_CIRC, 1) >= 0);

	rows_clear(&r);
	idmap_free(&folded);
	free(ids);
	free(huge);
	free(huge_ident);
}

/* --- onion services -------------------------------------------------------- */

#define SVC	"h:0123456789ab.onion"

static void
hs_circ(struct view *v, uint64_t id, const char *status, const char *purpose,
    const char *onion, int service, int64_t ts)
{
	struct pipeline_view_circ e;

	memset(&e, 0, sizeof e);
	e.id = id;
	e.status = status;
	e.purpose = purpose;
	e.exit_fp = FP1;
	e.exit_nick = "mid1";
	e.conflux = "";
	e.ts = ts;
	e.closing = strcmp(status, "CLOSED") == 0;
	e.onion = onion;
	e.service = service;
	view_circ(&e, v);
}

/*
 * A local service's rendezvous circuits are counted once each (when Tor
 * names the service), open until they close; an intro circuit that turns
 * vanguard leaves its service; the circuits panel shows them last, under
 * their service's line, and a client's circuit names the service it
 * reaches.
 */
static void
test_onion_services(void **state)
{
	struct view *v = *state;
	const struct vservice *sv;
	struct panel_state ps;
	struct rows r;
	long at, head;

	session(v, PIPELINE_START, 1, T(0));
	view_service(SVC, "detached", T(0), v);
	hs_circ(v, 38, "BUILT", "HS_SERVICE_INTRO", SVC, 1, T(1));
	hs_circ(v, 67, "LAUNCHED", "HS_SERVICE_REND", "", 0, T(2));
	hs_circ(v, 67, "BUILT", "HS_SERVICE_REND", SVC, 1, T(3));
	hs_circ(v, 67, "BUILT", "HS_SERVICE_REND", SVC, 1, T(3));
	hs_circ(v, 68, "BUILT", "HS_SERVICE_REND", SVC, 1, T(4));
	hs_circ(v, 66, "BUILT", "HS_CLIENT_REND", SVC, 0, T(4));
	circ_built(v, 5, FP1, "exitA", T(4));
	sv = view_service_find(v, SVC);
	assert_non_null(sv);
	assert_string_equal(sv->source, "detached");
	assert_int_equal(sv->rend_total, 2);
	assert_int_equal(sv->rend_open, 2);
	assert_int_equal(sv->intro_open, 1);
	assert_int_equal(sv->last_rend, T(4));
	hs_circ(v, 67, "CLOSED", "HS_SERVICE_REND", SVC, 1, T(5));
	hs_circ(v, 38, "BUILT", "HS_VANGUARDS", "", 0, T(5));
	assert_int_equal(sv->rend_total, 2);
	assert_int_equal(sv->rend_open, 1);
	assert_int_equal(sv->intro_open, 0);

	rows_init(&r);
	ps_init(&ps, NULL, T(60));
	build(&panel_circuits, v, &ps, &r);
	head = -1;
	for (at = 0; at < (long)r.n; at++)
		if (r.v[at].kind == ROW_NOTE && strstr(r.v[at].cells[0],
		    "onion service " SVC) != NULL)
			head = at;
	assert_true(head >= 0);
	assert_non_null(strstr(r.v[head].cells[0], "(ADD_ONION, detached): "
	    "2 rendezvous circuits (clients served), 1 open"));
	/* Its open rendezvous circuit comes under it, the rest before. */
	at = row_find(&r, ROW_CIRC, 68);
	assert_int_equal(at, head + 1);
	assert_true(ends_with(r.v[at].cells[7], "service " SVC));
	assert_true(row_find(&r, ROW_CIRC, 66) < head);
	assert_true(ends_with(r.v[row_find(&r, ROW_CIRC, 66)].cells[7],
	    "onion " SVC));
	assert_true(row_find(&r, ROW_CIRC, 38) < head);
	assert_true(row_find(&r, ROW_CIRC, 5) < head);
	/* A filter on the service finds its circuits. */
	ps.filter = "0123456789ab";
	build(&panel_circuits, v, &ps, &r);
	assert_int_equal(row_find(&r, ROW_CIRC, 5), -1);
	assert_true(row_find(&r, ROW_CIRC, 68) >= 0);
	assert_true(row_find(&r, ROW_CIRC, 66) >= 0);
	rows_clear(&r);

	/* A new Tor session: told again by the pipeline. */
	session(v, PIPELINE_START, 2, T(70));
	assert_null(view_service_find(v, SVC));
}

int
main(void)
{
#define VT_TEST(f) cmocka_unit_test_setup_teardown(f, vt_setup, vt_teardown)
	const struct CMUnitTest tests[] = {
		VT_TEST(test_session_lifecycle),
		VT_TEST(test_onion_services),
		VT_TEST(test_session_end_unattached),
		VT_TEST(test_circuit_built),
		VT_TEST(test_circuit_close),
		VT_TEST(test_closed_circuits_bounded),
		VT_TEST(test_stream_new_attach),
		VT_TEST(test_stream_close_trim),
		VT_TEST(test_stream_closed_unattached),
		VT_TEST(test_stream_unknown_circuit),
		VT_TEST(test_stream_reattach),
		VT_TEST(test_circ_shared),
		VT_TEST(test_circ_shared_conflux),
		VT_TEST(test_findings_causes),
		VT_TEST(test_findings_judge_counts),
		VT_TEST(test_findings_ack),
		cmocka_unit_test(test_app_short),
		VT_TEST(test_app_verdict),
		VT_TEST(test_findings_bounded),
		VT_TEST(test_findings_occurrences_bounded),
		VT_TEST(test_log_ring),
		VT_TEST(test_app_sets_bounded),
		VT_TEST(test_app_sets_overflow_distinct),
		VT_TEST(test_circ_idents_bounded),
		VT_TEST(test_circ_idents_overflow_distinct),
		VT_TEST(test_max_apps),
		VT_TEST(test_panel_circuits),
		VT_TEST(test_panel_circuits_folded),
		VT_TEST(test_panel_circuits_filter),
		VT_TEST(test_panel_circuits_notes),
		VT_TEST(test_panel_circuits_filter_unattached),
		VT_TEST(test_panel_apps),
		VT_TEST(test_panel_findings),
		VT_TEST(test_panel_findings_again),
		VT_TEST(test_panel_log),
		VT_TEST(test_ui_match),
		VT_TEST(test_ui_age),
		VT_TEST(test_ui_layout),
		VT_TEST(test_hostile_strings),
	};
#undef VT_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
