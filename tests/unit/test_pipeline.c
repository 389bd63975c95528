/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_pipeline.c: the pipeline (auditor/audit/pipeline*.c) driven through its public API
 * the way `isoaudit replay` drives it: control-port text through a reply
 * parser into pipeline_reply(), "# attrib" notes through pipeline_hint()
 * ahead of their NEW event, and the session start/ready/end calls.  No
 * live attribution; no store except where a test reads the rows back.
 * What the pipeline says is caught three ways: its output (a memory
 * FILE), an observer that copies everything it is told, and the alert
 * callback.  The events are lines of the captures in tests/fixtures.
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (config.h) */
#include "testutil.h"

#include <inttypes.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "judge.h"
#include "log.h"
#include "pipeline.h"
#include "profile.h"
#include "privacy.h"
#include "record.h"
#include "store.h"

/* 2026-11-24T17:40:00Z in microseconds; T(ms) is ms milliseconds later. */
#define T0	1795542000000000LL
#define T(ms)	(T0 + (int64_t)(ms) * 1000)
/* The start of an output line at T(ms), ms written as three digits. */
#define W(ms)	"2026-11-24T17:40:00." ms "Z "

/* Relays and conflux sets of the captures. */
#define FP_AUTH0	"CE923F9DD2CFBC013ECC29F2020A07891D9D05F1"
#define FP_AUTH1	"78C017E5490B6E2DB728CA2BF5DA676EA752EC0A"
#define FP_MID1		"203F4F35C2DFC4571C1BA93884CC25394053A60A"
#define FP_EXIT0	"085111030DA53A4D7B7C635A7B82B21F30E847C3"
#define FP_EXIT1	"16B0637A639FAF85A8992C2B11130BDC9E35FF53"
#define CONFLUX_25	"1C7E6686A45774FC4CC16D4E05B056AE"
#define CONFLUX_29	"0D6F1E5849176339DE22CE105AD75E9B"

#define PATH_EXIT0	"$" FP_AUTH1 "~auth1,$" FP_AUTH0 "~auth0,$" \
			FP_EXIT0 "~exit0"
#define PATH_EXIT1	"$" FP_AUTH1 "~auth1,$" FP_AUTH0 "~auth0,$" \
			FP_EXIT1 "~exit1"

/* Circuit 25 of 04_sessiongroup42_D_and_E, built. */
#define CIRC25_BUILT	"650 CIRC 25 BUILT " PATH_EXIT0 \
	" BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME PURPOSE=CONFLUX_LINKED" \
	" TIME_CREATED=2026-11-24T17:38:39.856536 CONFLUX_ID=" CONFLUX_25 "\n"

/* What STREAM events of listeners D and E (SessionGroup=42) carry. */
#define ISO42	" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=42" \
		" ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
#define STREAM_NEW(id, src) "650 STREAM " id " NEW 0 127.0.0.1:20180" \
	" SOURCE_ADDR=127.0.0.1:" src " PURPOSE=USER" ISO42 "\n"
#define STREAM_ON(id, status, circ) "650 STREAM " id " " status " " circ \
	" 127.0.0.1:20180" ISO42 "\n"

#define HINTP(id, port, pid, proc) "attrib stream=" id \
	" listener=\"127.0.0.1:" port "\" host=\"localhost\" uid=1000" \
	" inode=9500" id " pid=" pid " process=\"" proc "\" why=\"\""
#define HINT(id, port, pid) HINTP(id, port, pid, "curl")

#define CONF_DE	"App 20104 \"App D\"\nApp 20105 \"App E\"\n"
#define D_IDENT	"App D@localhost"
#define E_IDENT	"App E@localhost"
/* The applications (programs) of D and E where they are two. */
#define D_APP	"chat (uid 1000)@localhost"
#define E_APP	"irc (uid 1000)@localhost"
#define UNATTRIBUTED "unattributed (open before attach)"

#define ADDRESS	"127.0.0.1:9051"
#define METHOD	"SAFECOOKIE"

/* --- what the observer, the alert and the log are told ------------------- */

struct o_session {
	enum pipeline_phase phase;
	unsigned	 serial;
	char		*address, *method, *version, *why;
	long		 pid;
	int64_t		 ts;
};

struct o_circ {
	uint64_t	 id;
	char		*status, *purpose, *exit_fp, *exit_nick, *conflux;
	char		*onion;
	int64_t		 created, ts;
	int		 closing, service;
};

struct o_stream {
	uint64_t	 id, circ;
	char		*status, *target, *ident, *listener, *process;
	long		 pid;
	int		 is_new, closing, unattributed, internal;
	int64_t		 ts;
};

struct o_finding {
	enum rule_id	 rule;
	enum severity	 sev;
	uint64_t	 circ;
	char		*listener, *a, *b, *apps, *idents, *streams, *detail;
	long		 count;
	int64_t		 first, last, store_session;
	int		 is_new;
};

struct o_alert {
	int		 sev;
	char		*rule, *detail;
	int64_t		 ts;
};

struct o_text {			/* Tor's log, bootstrap, our log */
	char		*a, *b;
	long		 n;
	int64_t		 ts;
};

#define TP_MAX	64

/* One pipeline under test and everything it said (TP_MAX of each). */

struct tp {
	struct pipeline		*p;
	struct pipeline_config	 pc;
	struct pipeline_observer obs;
	struct config		 cfg;
	int			 have_cfg;
	FILE			*out;
	char			*outbuf;
	size_t			 outlen;
	struct o_session	 ses[TP_MAX];
	size_t			 nses;
	struct o_circ		 circ[TP_MAX];
	size_t			 ncirc;
	struct o_stream		 str[TP_MAX];
	size_t			 nstr;
	struct o_finding	 fnd[TP_MAX];
	size_t			 nfnd;
	struct o_alert		 alr[TP_MAX];
	size_t			 nalr;
	struct o_text		 torlog[TP_MAX];
	size_t			 ntorlog;
	struct o_text		 boot[TP_MAX];
	size_t			 nboot;
	struct o_text		 log[TP_MAX];
	size_t			 nlog;
	long			 uptime;
	size_t			 nannotate;
	char			 dir[64];	/* a store's, or "" */
};

/* A copy of s (NULL stays NULL), freed by the teardown. */
static char *
dup0(const char *s)
{
	return s != NULL ? tu_memdup(s, strlen(s)) : NULL;
}

/*
 * The next free slot of one of t's arrays.  Every callback below copies
 * what it is told into one (the strings are valid during the call only).
 */
#define TP_SLOT(t, arr, n) \
	(assert_true((t)->n < TP_MAX), &(t)->arr[(t)->n++])

static void
ob_session(const struct pipeline_session_info *si, void *arg)
{
	struct tp *t = arg;
	struct o_session *o = TP_SLOT(t, ses, nses);

	o->phase = si->phase;
	o->serial = si->serial;
	o->address = dup0(si->address);
	o->method = dup0(si->method);
	o->version = dup0(si->version);
	o->why = dup0(si->why);
	o->pid = si->pid;
	o->ts = si->ts;
}

static void
ob_circ(const struct pipeline_view_circ *c, void *arg)
{
	struct tp *t = arg;
	struct o_circ *o = TP_SLOT(t, circ, ncirc);

	o->id = c->id;
	o->status = dup0(c->status);
	o->purpose = dup0(c->purpose);
	o->exit_fp = dup0(c->exit_fp);
	o->exit_nick = dup0(c->exit_nick);
	o->conflux = dup0(c->conflux);
	o->created = c->created;
	o->ts = c->ts;
	o->closing = c->closing;
	o->onion = dup0(c->onion);
	o->service = c->service;
}

static void
ob_stream(const struct pipeline_view_stream *s, void *arg)
{
	struct tp *t = arg;
	struct o_stream *o = TP_SLOT(t, str, nstr);

	o->id = s->id;
	o->circ = s->circ;
	o->status = dup0(s->status);
	o->target = dup0(s->target);
	o->ident = dup0(s->ident);
	o->listener = dup0(s->listener);
	o->process = dup0(s->process);
	o->pid = s->pid;
	o->is_new = s->is_new;
	o->closing = s->closing;
	o->unattributed = s->unattributed;
	o->internal = s->internal;
	o->ts = s->ts;
}

static void
ob_finding(const struct judge_finding *f, int64_t store_session, void *arg)
{
	struct tp *t = arg;
	struct o_finding *o = TP_SLOT(t, fnd, nfnd);

	o->rule = f->rule;
	o->sev = f->severity;
	o->circ = f->circ_id;
	o->listener = dup0(f->listener);
	o->a = dup0(f->ident_a);
	o->b = dup0(f->ident_b);
	o->apps = dup0(f->apps);
	o->idents = dup0(f->identities);
	o->streams = dup0(f->streams);
	o->detail = dup0(f->detail);
	o->count = f->count;
	o->first = f->first_seen;
	o->last = f->last_seen;
	o->is_new = f->is_new;
	o->store_session = store_session;
}

static void
ob_tor_log(const char *sev, const char *msg, int64_t ts, void *arg)
{
	struct tp *t = arg;
	struct o_text *o = TP_SLOT(t, torlog, ntorlog);

	o->a = dup0(sev);
	o->b = dup0(msg);
	o->ts = ts;
}

static void
ob_bootstrap(int progress, const char *summary, int64_t ts, void *arg)
{
	struct tp *t = arg;
	struct o_text *o = TP_SLOT(t, boot, nboot);

	o->n = progress;
	o->b = dup0(summary);
	o->ts = ts;
}

static void
ob_uptime(long up, int64_t ts, void *arg)
{
	struct tp *t = arg;

	(void)ts;
	t->uptime = up;
}

static void
on_alert(int sev, const char *rule, const char *detail, int64_t ts,
    void *arg)
{
	struct tp *t = arg;
	struct o_alert *o = TP_SLOT(t, alr, nalr);

	o->sev = sev;
	o->rule = dup0(rule);
	o->detail = dup0(detail);
	o->ts = ts;
}

static void
on_annotate(int64_t ts, const char *text, void *arg)
{
	struct tp *t = arg;

	(void)ts;
	(void)text;
	t->nannotate++;
}

static struct tp *log_to;	/* where log_sink puts messages */

/* isoaudit's own log (malformed events), kept for the test to read. */

static void
log_sink(enum log_level lvl, const char *msg, void *arg)
{
	struct o_text *o;

	(void)arg;
	if (log_to == NULL)
		return;
	o = TP_SLOT(log_to, log, nlog);
	o->n = lvl;
	o->b = dup0(msg);
}

/* --- one pipeline under test ---------------------------------------------- */

struct tp_opts {
	enum pipeline_output	 output;
	enum log_targets	 mode;
	int			 verbose;
	const char		*conf;		/* config text, or NULL: none */
	int			 store;		/* a store in a temp dir */
};

/* A fresh struct tp; the pipeline itself is made by tp_open(). */
static int
tp_setup(void **state)
{
	struct tp *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	log_to = t;
	log_set_sink(log_sink, NULL);
	*state = t;
	return 0;
}

static void
o_text_free(struct o_text *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(o[i].a);
		free(o[i].b);
	}
}

/* Frees the pipeline, the output, the store's directory, every copy. */
static int
tp_teardown(void **state)
{
	struct tp *t = *state;
	size_t i;

	pipeline_free(t->p);
	if (t->out != NULL)
		fclose(t->out);
	free(t->outbuf);
	if (t->have_cfg)
		config_free(&t->cfg);
	if (t->pc.store != NULL)
		store_close(t->pc.store);
	if (t->dir[0] != '\0')
		tu_rm_rf(t->dir);
	for (i = 0; i < t->nses; i++) {
		free(t->ses[i].address);
		free(t->ses[i].method);
		free(t->ses[i].version);
		free(t->ses[i].why);
	}
	for (i = 0; i < t->ncirc; i++) {
		free(t->circ[i].status);
		free(t->circ[i].purpose);
		free(t->circ[i].exit_fp);
		free(t->circ[i].exit_nick);
		free(t->circ[i].conflux);
		free(t->circ[i].onion);
	}
	for (i = 0; i < t->nstr; i++) {
		free(t->str[i].status);
		free(t->str[i].target);
		free(t->str[i].ident);
		free(t->str[i].listener);
		free(t->str[i].process);
	}
	for (i = 0; i < t->nfnd; i++) {
		free(t->fnd[i].listener);
		free(t->fnd[i].a);
		free(t->fnd[i].b);
		free(t->fnd[i].apps);
		free(t->fnd[i].idents);
		free(t->fnd[i].streams);
		free(t->fnd[i].detail);
	}
	for (i = 0; i < t->nalr; i++) {
		free(t->alr[i].rule);
		free(t->alr[i].detail);
	}
	o_text_free(t->torlog, t->ntorlog);
	o_text_free(t->boot, t->nboot);
	o_text_free(t->log, t->nlog);
	log_set_sink(NULL, NULL);
	log_to = NULL;
	free(t);
	return 0;
}

/* A pipeline as replay makes one, with every callback of the test's. */
static void
tp_open(struct tp *t, const struct tp_opts *o)
{
	char *cause = NULL;
	size_t i;

	t->out = open_memstream(&t->outbuf, &t->outlen);
	assert_non_null(t->out);
	t->obs.session = ob_session;
	t->obs.circ = ob_circ;
	t->obs.stream = ob_stream;
	t->obs.finding = ob_finding;
	t->obs.tor_log = ob_tor_log;
	t->obs.bootstrap = ob_bootstrap;
	t->obs.uptime = ob_uptime;
	t->obs.arg = t;
	t->pc.output = o->output;
	t->pc.out = t->out;
	t->pc.privacy.mode = o->mode;
	/* A fixed key: the tests work out the hashes themselves. */
	for (i = 0; i < sizeof t->pc.privacy.key; i++)
		t->pc.privacy.key[i] = (unsigned char)(0xa0 + i);
	t->pc.verbose = o->verbose;
	t->pc.source = "replay:test";
	t->pc.live = 0;
	t->pc.annotate = on_annotate;
	t->pc.annotate_arg = t;
	t->pc.alert = on_alert;
	t->pc.alert_arg = t;
	t->pc.observer = &t->obs;
	if (o->conf != NULL) {
		if (config_load_buf(&t->cfg, "test.conf", o->conf,
		    strlen(o->conf), &cause) == -1)
			fail_msg("config: %s", cause);
		t->have_cfg = 1;
		t->pc.config = &t->cfg;
	}
	if (o->store) {
		enum store_err err;
		char db[160];

		snprintf(t->dir, sizeof t->dir, "/tmp/isoaudit-pipe.XXXXXX");
		assert_non_null(mkdtemp(t->dir));
		snprintf(db, sizeof db, "%s/isoaudit.db", t->dir);
		t->pc.store = store_open(db, STORE_WRITE, &err, &cause);
		if (t->pc.store == NULL)
			fail_msg("store_open: %s", cause);
	}
	t->p = pipeline_new(&t->pc);
	assert_non_null(t->p);
}

/* Each reply as ctl or the replayer hands it over. */
static void
tp_reply(const struct reply *r, void *arg)
{
	struct tp *t = arg;

	pipeline_reply(t->p, r);
}

static void
tp_parse_error(const char *what, const char *s, size_t n, void *arg)
{
	(void)s;
	(void)n;
	(void)arg;
	fail_msg("the test's own input does not frame: %s", what);
}

/* Control-port text (whole replies, LF line ends) at time ts. */
static void
tp_feed(struct tp *t, int64_t ts, const char *text)
{
	struct reply_parser *rp;

	rp = reply_parser_new(tp_reply, tp_parse_error, t);
	reply_parser_feed(rp, text, strlen(text), ts);
	reply_parser_free(rp);
}

/* As monitor and replay do: a line that is no reply line goes to the
 * pipeline. */
static void
tp_not_reply(const char *what, const char *s, size_t n, void *arg)
{
	struct tp *t = arg;

	if (strcmp(what, "malformed line") == 0)
		pipeline_not_reply(t->p, s, n);
}

/* tp_feed of Tor's own text, which may hold lines that are no reply. */
static void
tp_feed_raw(struct tp *t, int64_t ts, const char *text)
{
	struct reply_parser *rp;

	rp = reply_parser_new(tp_reply, tp_not_reply, t);
	reply_parser_feed(rp, text, strlen(text), ts);
	reply_parser_free(rp);
}

/* An "# attrib" note of a transcript, without the "#". */
static void
tp_hint(struct tp *t, const char *text)
{
	pipeline_hint(t->p, text, strlen(text));
}

static void
tp_start(struct tp *t, unsigned serial, int64_t ts)
{
	pipeline_session_start(t->p, serial, ADDRESS, METHOD, ts);
}

/* Everything written so far. */
static const char *
tp_out(struct tp *t)
{
	assert_int_equal(fflush(t->out), 0);
	return t->outbuf != NULL ? t->outbuf : "";
}

/* Lines of the output so far. */
static size_t
tp_nlines(struct tp *t)
{
	const char *s = tp_out(t);
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The keyed hash the pipeline must show for s: "h:" and 12 hex digits. */
static const char *
tp_hash(struct tp *t, const char *s)
{
	static char out[4][PRIVACY_HASH_LEN + 1];
	static unsigned k;
	struct buf b;
	char *o = out[k++ % 4];
	size_t i;

	buf_init(&b);
	privacy_hash(&t->pc.privacy, &b, s, strlen(s));
	assert_int_equal(b.len, PRIVACY_HASH_LEN);
	memcpy(o, b.p, PRIVACY_HASH_LEN);
	o[PRIVACY_HASH_LEN] = '\0';
	buf_free(&b);
	assert_memory_equal(o, "h:", 2);
	for (i = 2; i < PRIVACY_HASH_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", o[i]));
	return o;
}

/* Whether every byte is printable ASCII (lines: or a line end). */
static int
printable(const char *s, int lines)
{
	for (; *s != '\0'; s++)
		if (!(lines && *s == '\n') &&
		    ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f))
			return 0;
	return 1;
}

/* How many times needle occurs in s. */
static size_t
count_of(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* Asserts every counter of pipeline_stats(). */
static void
assert_stats(struct tp *t, uint64_t events, uint64_t streams, uint64_t circs,
    uint64_t malformed, uint64_t findings, uint64_t new_findings,
    unsigned sessions)
{
	struct pipeline_stats st;

	memset(&st, 0xff, sizeof st);
	pipeline_stats(t->p, &st);
	assert_int_equal(st.events, events);
	assert_int_equal(st.stream_events, streams);
	assert_int_equal(st.circ_events, circs);
	assert_int_equal(st.malformed, malformed);
	assert_int_equal(st.findings, findings);
	assert_int_equal(st.new_findings, new_findings);
	assert_int_equal(st.sessions, sessions);
}

static const struct tp_opts plain_de = {
	PIPELINE_LINES, LOG_TARGETS_PLAIN, 0, CONF_DE, 0
};

/* --- a stream's life ------------------------------------------------------- */

/*
 * NEW -> SENTCONNECT -> SUCCEEDED -> CLOSED on a built circuit, attributed
 * by an "# attrib" note: the listener's App label and the process reach
 * the NEW line, the exit reaches every attached line, the App the CLOSED
 * line; the observer sees the same with is_new and closing where they
 * belong.  Replay never asks /proc nor annotates.
 */
static void
test_stream_life(void **state)
{
	struct tp *t = *state;
	const struct o_stream *s;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_feed(t, T(4), STREAM_ON("49", "SUCCEEDED", "25"));
	tp_feed(t, T(5), "650 STREAM 49 CLOSED 25 127.0.0.1:20180 REASON=END"
	    " REMOTE_REASON=DONE" ISO42 "\n");
	assert_string_equal(tp_out(t),
	    W("001") "circ 25 BUILT CONFLUX_LINKED exit exit0 $08511103"
	    " conflux 1C7E6686\n"
	    W("002") "stream 49 NEW 127.0.0.1:20180 from 127.0.0.1:49188"
	    " SOCKS5 group 42 epoch 0 app App D@localhost curl[5001]\n"
	    W("003") "stream 49 SENTCONNECT 127.0.0.1:20180 circ 25"
	    " exit exit0 $08511103 SOCKS5 group 42\n"
	    W("004") "stream 49 SUCCEEDED 127.0.0.1:20180 circ 25"
	    " exit exit0 $08511103 SOCKS5 group 42\n"
	    W("005") "stream 49 CLOSED 127.0.0.1:20180 circ 25"
	    " exit exit0 $08511103 from 127.0.0.1:49188 SOCKS5 group 42"
	    " app App D@localhost reason END remote DONE\n");

	assert_int_equal(t->nstr, 4);
	s = &t->str[0];
	assert_int_equal(s->id, 49);
	assert_int_equal(s->circ, 0);
	assert_string_equal(s->status, "NEW");
	assert_string_equal(s->target, "127.0.0.1:20180");
	assert_string_equal(s->ident, D_IDENT);
	assert_string_equal(s->listener, "127.0.0.1:20104");
	assert_string_equal(s->process, "curl");
	assert_int_equal(s->pid, 5001);
	assert_true(s->is_new);
	assert_false(s->closing);
	assert_false(s->unattributed);
	assert_false(s->internal);
	assert_int_equal(s->ts, T(2));
	s = &t->str[1];
	assert_string_equal(s->status, "SENTCONNECT");
	assert_int_equal(s->circ, 25);
	assert_false(s->is_new);
	assert_string_equal(s->ident, D_IDENT);
	assert_string_equal(t->str[2].status, "SUCCEEDED");
	assert_int_equal(t->str[2].circ, 25);
	s = &t->str[3];
	assert_string_equal(s->status, "CLOSED");
	assert_true(s->closing);
	assert_false(s->is_new);
	assert_string_equal(s->ident, D_IDENT);
	assert_int_equal(s->pid, 5001);
	assert_int_equal(s->ts, T(5));

	assert_int_equal(t->nannotate, 0);
	assert_int_equal(t->nfnd, 0);
	assert_int_equal(t->nalr, 0);
	assert_stats(t, 5, 4, 1, 0, 0, 0, 1);
}

/*
 * A hint for another stream is not taken, and one is used once: a NEW
 * without its note is attributed by its session group or not at all.
 */
static void
test_hint_other_stream(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_hint(t, HINT("50", "20105", "5002"));
	tp_feed(t, T(1), STREAM_NEW("49", "49188"));
	tp_hint(t, HINT("51", "20105", "5003"));
	tp_hint(t, "not an attrib note stream=52 listener=\"127.0.0.1:20104\"");
	tp_feed(t, T(2), "650 STREAM 52 NEW 0 127.0.0.1:20180"
	    " SOURCE_ADDR=127.0.0.1:4000 PURPOSE=USER CLIENT_PROTOCOL=SOCKS5\n");
	assert_string_equal(tp_out(t),
	    W("001") "stream 49 NEW 127.0.0.1:20180 from 127.0.0.1:49188"
	    " SOCKS5 group 42 epoch 0 app group 42@localhost"
	    " (listener not recorded in this capture)\n"
	    W("002") "stream 52 NEW 127.0.0.1:20180 from 127.0.0.1:4000"
	    " SOCKS5 app unknown listener@localhost"
	    " (listener not recorded in this capture)\n");
	assert_int_equal(t->nstr, 2);
	assert_null(t->str[0].listener);
	assert_null(t->str[0].process);
	assert_int_equal(t->str[0].pid, 0);
	assert_null(t->str[1].listener);
}

/* --- circuits ------------------------------------------------------------ */

/*
 * LAUNCHED, EXTENDED, BUILT, CLOSED of a conflux leg (21 of
 * 01_ports_A_then_B) and a vanguard circuit: the exit and the conflux set
 * come from the path and CONFLUX_ID, TIME_CREATED is parsed once; only
 * general circuits end in an "exit"; LAUNCHED/EXTENDED are shown with
 * verbose only; a closed circuit leaves the model.
 */
static void
circ_events(struct tp *t)
{
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "650 CIRC 21 LAUNCHED BUILD_FLAGS=NEED_CAPACITY,"
	    "NEED_UPTIME PURPOSE=CONFLUX_UNLINKED"
	    " TIME_CREATED=2026-11-24T17:38:34.848494"
	    " CONFLUX_ID=0BA7A51CD79AA76C67BF8C7AB2AA430A\n");
	tp_feed(t, T(2), "650 CIRC 21 EXTENDED $" FP_AUTH1 "~auth1"
	    " BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME PURPOSE=CONFLUX_UNLINKED"
	    " TIME_CREATED=2026-11-24T17:38:34.848494"
	    " CONFLUX_ID=0BA7A51CD79AA76C67BF8C7AB2AA430A\n");
	tp_feed(t, T(3), "650 CIRC 21 BUILT " PATH_EXIT1
	    " BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME PURPOSE=CONFLUX_LINKED"
	    " TIME_CREATED=2026-11-24T17:38:34.848494"
	    " CONFLUX_ID=0BA7A51CD79AA76C67BF8C7AB2AA430A\n");
	tp_feed(t, T(4), "650 CIRC 17 BUILT $" FP_AUTH1 "~auth1,$" FP_EXIT1
	    "~exit1,$" FP_AUTH0 "~auth0 BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY,"
	    "NEED_UPTIME PURPOSE=HS_VANGUARDS"
	    " TIME_CREATED=2026-11-24T17:38:28.846586\n");
	tp_feed(t, T(5), "650 CIRC 21 CLOSED " PATH_EXIT1
	    " BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME PURPOSE=CONFLUX_LINKED"
	    " TIME_CREATED=2026-11-24T17:38:34.848494"
	    " CONFLUX_ID=0BA7A51CD79AA76C67BF8C7AB2AA430A REASON=FINISHED\n");
	/* Circuit 21 is gone: a stream on it shows no exit. */
	tp_feed(t, T(6), "650 STREAM 36 SENTCONNECT 21 127.0.0.1:20180"
	    " CLIENT_PROTOCOL=SOCKS5\n");
	tp_feed(t, T(7), "650 STREAM 37 SENTCONNECT 17 127.0.0.1:20180"
	    " CLIENT_PROTOCOL=SOCKS5\n");
}

#define CIRC_BUILT_LINE W("003") "circ 21 BUILT CONFLUX_LINKED exit exit1" \
	" $16B0637A conflux 0BA7A51C\n"
#define CIRC_REST_LINES \
	W("004") "circ 17 BUILT HS_VANGUARDS last hop auth0 $CE923F9D\n" \
	W("005") "circ 21 CLOSED CONFLUX_LINKED exit exit1 $16B0637A" \
	" conflux 0BA7A51C reason FINISHED\n" \
	W("006") "stream 36 SENTCONNECT 127.0.0.1:20180 circ 21 SOCKS5\n" \
	W("007") "stream 37 SENTCONNECT 127.0.0.1:20180 circ 17" \
	" last hop auth0 $CE923F9D SOCKS5\n"

static void
test_circuits(void **state)
{
	struct tp *t = *state;
	static const struct tp_opts o = {
		PIPELINE_LINES, LOG_TARGETS_PLAIN, 0, NULL, 0
	};
	const struct o_circ *c;
	/* 2026-11-24T17:38:34.848494 */
	const int64_t created = T0 - 86 * 1000000LL + 848494;

	tp_open(t, &o);
	circ_events(t);
	assert_string_equal(tp_out(t), CIRC_BUILT_LINE CIRC_REST_LINES);

	assert_int_equal(t->ncirc, 5);
	c = &t->circ[0];
	assert_int_equal(c->id, 21);
	assert_string_equal(c->status, "LAUNCHED");
	assert_string_equal(c->purpose, "CONFLUX_UNLINKED");
	assert_string_equal(c->exit_fp, "");
	assert_string_equal(c->exit_nick, "");
	assert_string_equal(c->conflux, "0BA7A51CD79AA76C67BF8C7AB2AA430A");
	assert_int_equal(c->created, created);
	assert_int_equal(c->ts, T(1));
	assert_false(c->closing);
	/* One hop so far: that is the "exit" until the path grows. */
	assert_string_equal(t->circ[1].status, "EXTENDED");
	assert_string_equal(t->circ[1].exit_fp, FP_AUTH1);
	c = &t->circ[2];
	assert_string_equal(c->status, "BUILT");
	assert_string_equal(c->purpose, "CONFLUX_LINKED");
	assert_string_equal(c->exit_fp, FP_EXIT1);
	assert_string_equal(c->exit_nick, "exit1");
	assert_int_equal(c->created, created);
	c = &t->circ[3];
	assert_int_equal(c->id, 17);
	assert_string_equal(c->purpose, "HS_VANGUARDS");
	assert_string_equal(c->exit_fp, FP_AUTH0);
	assert_string_equal(c->conflux, "");
	c = &t->circ[4];
	assert_int_equal(c->id, 21);
	assert_string_equal(c->status, "CLOSED");
	assert_true(c->closing);
	assert_string_equal(c->exit_nick, "exit1");
	assert_int_equal(c->ts, T(5));
	assert_stats(t, 7, 2, 5, 0, 0, 0, 1);
}

static void
test_circuits_verbose(void **state)
{
	struct tp *t = *state;
	static const struct tp_opts o = {
		PIPELINE_LINES, LOG_TARGETS_PLAIN, 1, NULL, 0
	};

	tp_open(t, &o);
	circ_events(t);
	assert_string_equal(tp_out(t),
	    W("001") "circ 21 LAUNCHED CONFLUX_UNLINKED conflux 0BA7A51C\n"
	    W("002") "circ 21 EXTENDED CONFLUX_UNLINKED exit auth1 $78C017E5"
	    " conflux 0BA7A51C\n"
	    CIRC_BUILT_LINE CIRC_REST_LINES);
}

/* --- findings ------------------------------------------------------------- */

/*
 * 04_sessiongroup42_D_and_E: listeners D and E share SessionGroup=42, so
 * Tor puts a stream of each on circuit 25: SHARED_CIRCUIT, once new
 * (output line, alert) and then as an update of its count.
 */
static void
test_shared_circuit(void **state)
{
	struct tp *t = *state;
	const struct o_finding *f;
	const char *detail = D_APP " and " E_APP " shared exit circuit 25"
	    " (exit exit0 $08511103), conflux set 1C7E6686: the exit can"
	    " link them to one pseudonym";
	char line[512];

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINTP("49", "20104", "5001", "chat"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 0);
	tp_hint(t, HINTP("50", "20105", "5002", "irc"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	assert_int_equal(t->nfnd, 0);
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));

	assert_int_equal(t->nfnd, 1);
	f = &t->fnd[0];
	assert_int_equal(f->rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(f->sev, SEV_CRITICAL);
	assert_int_equal(f->circ, 25);
	assert_string_equal(f->listener, "");
	assert_string_equal(f->a, D_APP);
	assert_string_equal(f->b, E_APP);
	assert_string_equal(f->apps, "[\"App D\", \"App E\"]");
	assert_string_equal(f->idents, "[\"" D_APP "\", \"" E_APP "\"]");
	assert_string_equal(f->streams, "[\"49\", \"50\"]");
	assert_string_equal(f->detail, detail);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->first, T(5));
	assert_int_equal(f->last, T(5));
	assert_true(f->is_new);
	assert_int_equal(f->store_session, 0);	/* no store */
	snprintf(line, sizeof line, W("005") "FINDING critical SHARED_CIRCUIT:"
	    " %s\n", detail);
	assert_non_null(strstr(tp_out(t), line));
	assert_int_equal(t->nalr, 1);
	assert_int_equal(t->alr[0].sev, SEV_CRITICAL);
	assert_string_equal(t->alr[0].rule, "SHARED_CIRCUIT");
	assert_string_equal(t->alr[0].detail, detail);
	assert_int_equal(t->alr[0].ts, T(5));

	/*
	 * The same curl of E again on 25: the same finding, counted; no new
	 * line, no alert.  (Another process on E would be
	 * SHARED_PORT_PROCESSES besides.)
	 */
	tp_hint(t, HINTP("51", "20105", "5002", "irc"));
	tp_feed(t, T(6), STREAM_NEW("51", "33886"));
	tp_feed(t, T(7), STREAM_ON("51", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 2);
	f = &t->fnd[1];
	assert_int_equal(f->rule, RULE_SHARED_CIRCUIT);
	assert_false(f->is_new);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->first, T(5));
	assert_int_equal(f->last, T(7));
	assert_int_equal(t->nalr, 1);
	assert_int_equal(count_of(tp_out(t), "FINDING"), 1);
	assert_int_equal(tp_nlines(t), 8);
	assert_stats(t, 7, 6, 1, 0, 2, 1, 1);
}

/* Two legs of one conflux set (29 and 30 of the capture): one exit. */
static void
test_shared_conflux_set(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "650 CIRC 29 BUILT " PATH_EXIT0
	    " PURPOSE=CONFLUX_LINKED CONFLUX_ID=" CONFLUX_29 "\n"
	    "650 CIRC 30 BUILT $" FP_AUTH0 "~auth0,$" FP_AUTH1 "~auth1,$"
	    FP_EXIT0 "~exit0 PURPOSE=CONFLUX_LINKED CONFLUX_ID=" CONFLUX_29
	    "\n");
	tp_hint(t, HINTP("49", "20104", "5001", "chat"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "29"));
	tp_hint(t, HINTP("50", "20105", "5002", "irc"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "30"));
	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(t->fnd[0].circ, 30);
	assert_string_equal(t->fnd[0].a, D_APP);
	assert_string_equal(t->fnd[0].b, E_APP);
	assert_non_null(strstr(t->fnd[0].detail, "conflux set 0D6F1E58"));
	assert_int_equal(t->nalr, 1);
}

/* Two streams of one application (one curl, through D) on 25: nothing. */
static void
test_same_app_no_finding(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_hint(t, HINT("50", "20104", "5001"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	tp_feed(t, T(6), STREAM_ON("50", "SUCCEEDED", "25"));
	assert_int_equal(t->nfnd, 0);
	assert_int_equal(t->nalr, 0);
	assert_null(strstr(tp_out(t), "FINDING"));
	assert_int_equal(t->nstr, 5);
	assert_string_equal(t->str[3].ident, D_IDENT);
	assert_stats(t, 6, 5, 1, 0, 0, 0, 1);
}

/*
 * One program through two listeners (curl on D, then curl on E, one
 * SessionGroup): one application (SPEC.md 0.2), so no SHARED_CIRCUIT.
 */
static void
test_one_program_two_ports(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_hint(t, HINT("50", "20105", "5002"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 0);
	assert_null(strstr(tp_out(t), "FINDING"));
	/* The output still names each stream by its listener's App. */
	assert_non_null(strstr(tp_out(t), "app " D_IDENT));
	assert_non_null(strstr(tp_out(t), "app " E_IDENT));
}

/* A hint with the executable and uid the live lookup read. */
#define HINTN(id, port, pid, uid, name, exe) "attrib stream=" id \
	" listener=\"127.0.0.1:" port "\" host=\"localhost\" uid=" uid \
	" inode=9500" id " pid=" pid " process=\"" name "\" exe=\"" exe \
	"\" why=\"\""
#define HINTX(id, port, pid, uid, exe) HINTN(id, port, pid, uid, "curl", exe)

/*
 * An application is the executable and uid on a host (SPEC.md 0.2): two
 * runs of /usr/bin/curl by one user are one application; the same binary
 * run by another user is another; a name that is not a whole path (cut,
 * or never a path) is not taken for one, and the process's name stands.
 */
static void
test_application_exe_uid(void **state)
{
	struct tp *t = *state;
	const char *a = "/usr/bin/curl (uid 1000)@localhost";
	const char *b = "/usr/bin/curl (uid 1001)@localhost";
	char detail[512];

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINTX("49", "20104", "5001", "1000", "/usr/bin/curl"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	/* The same program again (another pid) through E: one application. */
	tp_hint(t, HINTX("50", "20105", "5002", "1000", "/usr/bin/curl"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 0);
	/* The same binary run by uid 1001: another application. */
	tp_hint(t, HINTX("51", "20105", "5003", "1001", "/usr/bin/curl"));
	tp_feed(t, T(6), STREAM_NEW("51", "33886"));
	tp_feed(t, T(7), STREAM_ON("51", "SENTCONNECT", "25"));
	/* Both on E with equal keys, then on one circuit. */
	assert_int_equal(t->nfnd, 2);
	assert_int_equal(t->fnd[0].rule, RULE_SHARED_PORT_PROCESSES);
	assert_int_equal(t->fnd[1].rule, RULE_SHARED_CIRCUIT);
	assert_string_equal(t->fnd[1].a, a);
	assert_string_equal(t->fnd[1].b, b);
	snprintf(detail, sizeof detail, "[\"%s\", \"%s\"]", a, b);
	assert_string_equal(t->fnd[1].idents, detail);
	assert_string_equal(t->fnd[0].a, a);
	assert_string_equal(t->fnd[0].b, b);
	snprintf(detail, sizeof detail, "%s and %s used listener "
	    "127.0.0.1:20105 (App E) with equal isolation keys: Tor may put "
	    "them on one circuit; give each program its own SocksPort or its "
	    "own SOCKS credentials", a, b);
	assert_string_equal(t->fnd[0].detail, detail);

	/* Not a whole path: the process's name, never a made-up path. */
	tp_hint(t, HINTX("52", "20104", "5004", "1002", "usr/bin/wget"));
	tp_feed(t, T(8), STREAM_NEW("52", "33890"));
	tp_feed(t, T(9), STREAM_ON("52", "SENTCONNECT", "25"));
	assert_non_null(strstr(t->fnd[t->nfnd - 1].idents,
	    "\"curl (uid 1002)@localhost\""));
}

/*
 * Scripts: the interpreter is the executable, the script names the
 * process (comm).  Two scripts are two applications; a name the kernel
 * cut to 15 bytes is still the executable's.
 */
static void
test_application_scripts(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINTN("49", "20104", "5001", "1000", "electrum",
	    "/usr/bin/python3.11"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_hint(t, HINTN("50", "20105", "5002", "1000", "monero-wallet-g",
	    "/usr/bin/monero-wallet-gui"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 1);
	assert_string_equal(t->fnd[0].a,
	    "/usr/bin/monero-wallet-gui (uid 1000)@localhost");
	assert_string_equal(t->fnd[0].b,
	    "/usr/bin/python3.11 (electrum, uid 1000)@localhost");
	/* Another script under the same interpreter: a third application. */
	tp_hint(t, HINTN("51", "20105", "5003", "1000", "onionshare",
	    "/usr/bin/python3.11"));
	tp_feed(t, T(6), STREAM_NEW("51", "33886"));
	tp_feed(t, T(7), STREAM_ON("51", "SENTCONNECT", "25"));
	assert_non_null(strstr(t->fnd[t->nfnd - 1].idents,
	    "/usr/bin/python3.11 (onionshare, uid 1000)@localhost"));
}

#define REMOTE_HINT(id, port) "attrib stream=" id \
	" listener=\"127.0.0.1:" port "\" host=\"10.152.152.11\" uid=-1" \
	" inode=0 pid=0 process=\"\" why=\"a remote client\""
#define STREAM_NEW_CREDS(id, src, user, pass) "650 STREAM " id " NEW 0" \
	" 127.0.0.1:20180 SOURCE_ADDR=10.152.152.11:" src " PURPOSE=USER" \
	" SOCKS_USERNAME=\"" user "\" SOCKS_PASSWORD=\"" pass "\"" ISO42 "\n"

/*
 * Where no process is known (a workstation's programs), a credential
 * names the application: torsocks' "torsocks-PID:TIME" a pid, Whonix's
 * "<torS0X>0" with "TOOL_..." the tool.  Two of them on one circuit are
 * two applications; the same tool twice is one.
 */
static void
test_credential_applications(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, REMOTE_HINT("49", "20104"));
	tp_feed(t, T(2), STREAM_NEW_CREDS("49", "40001", "<torS0X>0",
	    "apt-get_8d2f"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_hint(t, REMOTE_HINT("50", "20105"));
	tp_feed(t, T(4), STREAM_NEW_CREDS("50", "40002", "<torS0X>0",
	    "apt-get_17aa"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 0);
	tp_hint(t, REMOTE_HINT("51", "20105"));
	tp_feed(t, T(6), STREAM_NEW_CREDS("51", "40003",
	    "torsocks-4242:1733212800", "x"));
	/*
	 * E does not isolate by SOCKS credentials (NoIsolateSOCKSAuth: no
	 * SOCKS_* in ISO_FIELDS), so the two tools on it had equal keys:
	 * SHARED_PORT_PROCESSES at NEW, then SHARED_CIRCUIT on 25.
	 */
	tp_feed(t, T(7), STREAM_ON("51", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 2);
	assert_int_equal(t->fnd[0].rule, RULE_SHARED_PORT_PROCESSES);
	assert_string_equal(t->fnd[0].a, "apt-get@10.152.152.11");
	assert_string_equal(t->fnd[0].b, "torsocks pid 4242@10.152.152.11");
	assert_int_equal(t->fnd[1].rule, RULE_SHARED_CIRCUIT);
	assert_string_equal(t->fnd[1].a, "apt-get@10.152.152.11");
	assert_string_equal(t->fnd[1].b, "torsocks pid 4242@10.152.152.11");
}

/*
 * Without a Profile line, Tor's own listeners choose the system profile
 * (once), the pipeline says so, and the map applies from then on: the
 * SocksPort lines of GETCONF are judged by it (9115 is no browser port).
 */
#define WHONIX_LISTENERS "250-net/listeners/socks=\"127.0.0.1:9050\"" \
	" \"127.0.0.1:9100\" \"127.0.0.1:9101\" \"127.0.0.1:9102\"" \
	" \"127.0.0.1:9103\" \"127.0.0.1:9104\" \"127.0.0.1:9108\"" \
	" \"127.0.0.1:9110\" \"127.0.0.1:9115\" \"127.0.0.1:9150\"" \
	" \"10.152.152.10:9152\" \"unix:/run/tor/socks\"\n" \
	"250-net/listeners/trans=\"127.0.0.1:9040\"\n" \
	"250-net/listeners/dns=\"127.0.0.1:5300\" \"127.0.0.1:5400\"\n" \
	"250 OK\n"

static const struct tp_opts auto_profile = {
	PIPELINE_LINES, LOG_TARGETS_PLAIN, 0, "", 0
};

static void
test_profile_from_listeners(void **state)
{
	struct tp *t = *state;

	tp_open(t, &auto_profile);
	assert_int_equal(t->cfg.profile, PROFILE_AUTO);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), WHONIX_LISTENERS);
	assert_int_equal(t->cfg.profile, PROFILE_WHONIX_GATEWAY);
	assert_non_null(strstr(tp_out(t), W("001") "profile whonix-gateway: "
	    "detected from Tor's listeners: Tor listens on 9050 and 10 of "
	    "Whonix-Gateway's ports\n"));
	assert_string_equal(config_app_for(&t->cfg, "127.0.0.1:9150")->label,
	    "Tor Browser");
	/* Judged by the map: tb-updater's port is fine, 9150 is not. */
	tp_feed(t, T(2), "250-SocksPort=127.0.0.1:9115 IsolateDestAddr "
	    "IsolateDestPort\n250 SocksPort=127.0.0.1:9150 "
	    "NoIsolateSOCKSAuth\n");
	assert_int_equal(t->nfnd, 1);
	assert_string_equal(t->fnd[0].listener, "127.0.0.1:9150");
	/* Once: a second reply (a reconnection) changes nothing. */
	tp_feed(t, T(3), "250-net/listeners/socks=\"127.0.0.1:31101\"\n"
	    "250 OK\n");
	assert_int_equal(t->cfg.profile, PROFILE_WHONIX_GATEWAY);
	assert_int_equal(count_of(tp_out(t), " profile "), 1);
}

/* The private network's listeners are no known system: said, no map. */
static void
test_profile_none_from_listeners(void **state)
{
	struct tp *t = *state;

	tp_open(t, &auto_profile);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "250-net/listeners/socks=\"127.0.0.1:31101\""
	    " \"127.0.0.1:31102\"\n250 OK\n");
	assert_int_equal(t->cfg.profile, PROFILE_NONE);
	assert_non_null(strstr(tp_out(t), "profile none: detected from "
	    "Tor's listeners: Tor's listeners match no known system\n"));
	assert_int_equal(t->cfg.napps, 0);
}

/*
 * The client may write a line that looks like Tor's tail, then more lines
 * of its own: a forged SocksPort reply, a forged CIRC CLOSED.  Everything
 * of the read is smuggled; only the read's last tail is Tor's (found by
 * fuzz_inject: the first line that was no reply used to end it).
 */
static void
test_injection_forged_tail(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats st;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed_raw(t, T(3), "650 STREAM 42 CLOSED 0 a\r\n"
	    "x:1 REASON=DONE SESSION_GROUP=7\r\n"
	    "250-SocksPort=127.0.0.1:20105 SessionGroup=42\r\n250 OK\r\n"
	    "650 CIRC 25 CLOSED $" FP_EXIT0 "~exit0 REASON=FINISHED\r\n"
	    "b:443 REASON=SOCKS_PROTOCOL CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0"
	    " SESSION_GROUP=42 ISO_FIELDS=SOCKS_USERNAME,SESSION_GROUP\r\n");
	tp_feed(t, T(4), STREAM_ON("49", "SENTCONNECT", "25"));
	/* One finding: the injection, on D's listener (Tor's group 42). */
	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_CONTROL_INJECTION);
	assert_string_equal(t->fnd[0].listener, "127.0.0.1:20104");
	/* Circuit 25 is still open: the stream goes on it, with its exit. */
	assert_null(strstr(tp_out(t), "circ 25 CLOSED"));
	assert_non_null(strstr(tp_out(t), "stream 49 SENTCONNECT 127.0.0.1:20180"
	    " circ 25 exit exit0"));
	pipeline_stats(t->p, &st);
	assert_int_equal(st.smuggled, 4);
}

/* A malformed event may carry a destination: with LogTargets hash the log
 * says the event and its id, never the rest. */
static void
test_malformed_private(void **state)
{
	struct tp *t = *state;
	static const struct tp_opts o = {
		PIPELINE_LINES, LOG_TARGETS_HASH, 0, NULL, 0
	};

	tp_open(t, &o);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "650 STREAM 5 NEW 0 secret.example:1"
	    " SOURCE_ADDR=127.0.0.1:1 NYM_EPOCH=x SOCKS_USERNAME=\"alice\"\n");
	assert_int_equal(t->nlog, 1);
	assert_non_null(strstr(t->log[0].b, "malformed event from Tor (bad "
	    "NYM_EPOCH), skipped: 650 STREAM 5 ("));
	assert_non_null(strstr(t->log[0].b, " more bytes withheld: LogTargets "
	    "hash)"));
	assert_null(strstr(t->log[0].b, "secret"));
	assert_null(strstr(t->log[0].b, "alice"));
}

/* A workstation's program, as an agent names it (SPEC.md "Who opened a
 * stream"): its host, pid, name and executable. */
#define AGENT_HINT(id, port, pid, name, exe) "attrib stream=" id \
	" listener=\"127.0.0.1:" port "\" host=\"10.152.152.11\" uid=1000" \
	" inode=0 pid=" pid " process=\"" name "\" exe=\"" exe "\"" \
	" why=\"\""
#define STREAM_NEW_WS(id, src) "650 STREAM " id " NEW 0 127.0.0.1:20180" \
	" SOURCE_ADDR=10.152.152.11:" src " PURPOSE=USER" ISO42 "\n"

/*
 * Two programs of one remote host on one port without credentials: two
 * applications once their processes are known, so the pair with equal
 * keys is named; without them the host is one application (the label),
 * and nothing can be said.  The same program again is the same one.
 */
static void
test_remote_programs(void **state)
{
	struct tp *t = *state;
	const char *hex = "/usr/bin/hexchat (uid 1000)@10.152.152.11";
	const char *git = "/usr/bin/git (uid 1000)@10.152.152.11";

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_hint(t, AGENT_HINT("49", "20104", "301", "hexchat", "/usr/bin/hexchat"));
	tp_feed(t, T(2), STREAM_NEW_WS("49", "40001"));
	tp_hint(t, AGENT_HINT("50", "20104", "302", "hexchat", "/usr/bin/hexchat"));
	tp_feed(t, T(3), STREAM_NEW_WS("50", "40002"));
	assert_int_equal(t->nfnd, 0);
	tp_hint(t, AGENT_HINT("51", "20104", "303", "git", "/usr/bin/git"));
	tp_feed(t, T(4), STREAM_NEW_WS("51", "40003"));
	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_SHARED_PORT_PROCESSES);
	assert_string_equal(t->fnd[0].listener, "127.0.0.1:20104");
	assert_string_equal(t->fnd[0].a, git);
	assert_string_equal(t->fnd[0].b, hex);
	/* Unknown programs of that host: one application, no pair. */
	tp_hint(t, REMOTE_HINT("52", "20105"));
	tp_feed(t, T(5), STREAM_NEW_WS("52", "40004"));
	tp_hint(t, REMOTE_HINT("53", "20105"));
	tp_feed(t, T(6), STREAM_NEW_WS("53", "40005"));
	assert_int_equal(t->nfnd, 1);
}

/*
 * CONTROL_INJECTION, as Tor 0.4.9.11 sent it (docs/isolation.md): a
 * hostname with CR LF cut stream 42's CLOSED event; a fake STREAM NEW and
 * a fake CIRC BUILT followed in the same read, then the rest of Tor's line
 * (no reply line) with the listener's session group.  Nothing smuggled
 * changes the state; the finding names the listener when the read is over
 * (the next one comes); the next read is processed again.
 */
#define INJECTED "650 STREAM 42 CLOSED 0 bad\r\n" \
	"650 STREAM 999 NEW 0 injected.example:80 SOURCE_ADDR=6.6.6.6:1" \
	" PURPOSE=USER\r\n" \
	"650 CIRC 4242 BUILT $" FP_EXIT0 "~evil PURPOSE=GENERAL\r\n" \
	"x SESSION_GROUP=7:443 REASON=SOCKS_PROTOCOL CLIENT_PROTOCOL=SOCKS5" \
	" NYM_EPOCH=0 SESSION_GROUP=42 ISO_FIELDS=SOCKS_USERNAME,SESSION_GROUP\r\n"

static void
test_control_injection(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats st;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	/* A stream of D teaches the group 42 -> D's listener. */
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(1), STREAM_NEW("49", "49188"));
	tp_feed_raw(t, T(2), INJECTED);
	/* Open until the read is over: another tail may still come. */
	assert_int_equal(t->nfnd, 0);
	/* The next read is Tor's again. */
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	assert_non_null(strstr(tp_out(t), "stream 49 SENTCONNECT"));
	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_CONTROL_INJECTION);
	assert_int_equal(t->fnd[0].sev, SEV_CRITICAL);
	/* The last SESSION_GROUP is Tor's; the client's "7" is not. */
	assert_string_equal(t->fnd[0].listener, "127.0.0.1:20104");
	assert_string_equal(t->fnd[0].streams, "[\"42\"]");
	assert_non_null(strstr(t->fnd[0].detail, "2 lines after it"));
	assert_null(strstr(tp_out(t), "999"));
	assert_null(strstr(tp_out(t), "4242"));
	assert_null(strstr(tp_out(t), "injected"));
	pipeline_stats(t->p, &st);
	assert_int_equal(st.smuggled, 2);
	/* Without a tail (the client made it a reply line of its own), the
	 * next read ends the injection; the group unknown: named so. */
	tp_feed_raw(t, T(4), "650 STREAM 43 CLOSED 0 bad\r\n"
	    "650 CIRC 4243 BUILT $" FP_EXIT0 "~evil PURPOSE=GENERAL\r\n");
	tp_feed(t, T(5), STREAM_ON("49", "SUCCEEDED", "25"));
	assert_int_equal(t->nfnd, 2);
	assert_int_equal(t->fnd[1].rule, RULE_CONTROL_INJECTION);
	assert_string_equal(t->fnd[1].listener, "unknown listener");
	assert_null(strstr(tp_out(t), "4243"));
	assert_non_null(strstr(tp_out(t), "stream 49 SUCCEEDED"));
	/* A target cut at Tor's limit (255 bytes) is no injection. */
	{
		char line[400];

		snprintf(line, sizeof line, "650 STREAM 44 CLOSED 0 %0255d\n",
		    0);
		tp_feed(t, T(6), line);
		assert_int_equal(t->nfnd, 2);
	}
}

/*
 * The initial state (one GETINFO reply, as 09_getinfo_tcp): circuits and
 * streams already open are taken in silently; the streams are
 * "unattributed (open before attach)" and make one PRE_ATTACH finding;
 * the ready line counts them; their later events keep the label.
 */
static void
test_pre_attach(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats before, after;
	const struct o_stream *s;
	const char *detail = "2 streams were open before isoaudit attached:"
	    " who opened them cannot be known";

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1),
	    "250-version=0.4.9.11\n"
	    "250-process/pid=4242\n"
	    "250+circuit-status=\n"
	    "35 BUILT " PATH_EXIT0 " BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME"
	    " PURPOSE=CONFLUX_LINKED TIME_CREATED=2026-11-24T17:38:47.862286"
	    " CONFLUX_ID=A575784C068B6AACCF485D3DDBF20E46\n"
	    "31 BUILT " PATH_EXIT0 " PURPOSE=CONFLUX_LINKED\n"
	    ".\n"
	    "250+stream-status=\n"
	    "68 SUCCEEDED 35 127.0.0.1:20182\n"
	    "69 SUCCEEDED 31 127.0.0.1:20182\n"
	    ".\n"
	    "250 OK\n");
	pipeline_session_ready(t->p, 1, T(2));
	pipeline_stats(t->p, &before);
	tp_feed(t, T(3), "650 STREAM 68 CLOSED 35 127.0.0.1:20182"
	    " REASON=DONE\n");
	assert_string_equal(tp_out(t),
	    W("001") "FINDING info PRE_ATTACH: 2 streams were open before"
	    " isoaudit attached: who opened them cannot be known\n"
	    W("002") "attached to Tor 0.4.9.11 (pid 4242) at " ADDRESS
	    " with " METHOD ", Tor session 1: 2 circuits open, 2 streams"
	    " open before attach (unattributed)\n"
	    W("003") "stream 68 CLOSED 127.0.0.1:20182 circ 35"
	    " exit exit0 $08511103 app " UNATTRIBUTED " reason DONE\n");

	assert_int_equal(t->nstr, 3);
	s = &t->str[0];
	assert_int_equal(s->id, 68);
	assert_int_equal(s->circ, 35);
	assert_string_equal(s->status, "SUCCEEDED");
	assert_string_equal(s->ident, UNATTRIBUTED);
	assert_true(s->unattributed);
	assert_true(s->is_new);
	assert_null(s->listener);
	assert_null(s->process);
	assert_int_equal(t->str[1].id, 69);
	assert_int_equal(t->str[1].circ, 31);
	assert_true(t->str[2].closing);
	assert_true(t->str[2].unattributed);
	/* The initial circuits reach the viewer too. */
	assert_int_equal(t->ncirc, 2);
	assert_int_equal(t->circ[0].id, 35);
	assert_string_equal(t->circ[0].exit_nick, "exit0");

	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_PRE_ATTACH);
	assert_int_equal(t->fnd[0].sev, SEV_INFO);
	assert_int_equal(t->fnd[0].count, 2);
	assert_string_equal(t->fnd[0].detail, detail);
	assert_int_equal(t->nalr, 1);
	assert_string_equal(t->alr[0].rule, "PRE_ATTACH");

	assert_int_equal(t->nses, 2);
	assert_int_equal(t->ses[0].phase, PIPELINE_START);
	assert_null(t->ses[0].version);
	assert_int_equal(t->ses[1].phase, PIPELINE_READY);
	assert_int_equal(t->ses[1].serial, 1);
	assert_string_equal(t->ses[1].address, ADDRESS);
	assert_string_equal(t->ses[1].method, METHOD);
	assert_string_equal(t->ses[1].version, "0.4.9.11");
	assert_int_equal(t->ses[1].pid, 4242);
	assert_int_equal(t->ses[1].ts, T(2));
	/* The CLOSED is one stream event; the finding came before it. */
	pipeline_stats(t->p, &after);
	assert_int_equal(after.events, before.events + 1);
	assert_int_equal(after.stream_events, before.stream_events + 1);
	assert_int_equal(after.circ_events, before.circ_events);
	assert_int_equal(after.findings, 1);
	assert_int_equal(after.new_findings, 1);
	assert_int_equal(after.sessions, 1);
}

/* --- Tor sessions ---------------------------------------------------------- */

/*
 * A Tor restart: the new session reuses circuit and stream ids.  Nothing
 * of the old session's circuit 25 (its exit), stream 49 (its App) or the
 * judge's memory (D on 25) may leak into the new one.
 */
static void
test_new_session(void **state)
{
	struct tp *t = *state;
	const char *out;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	/* A note whose event never came: not for session 2's stream 60. */
	tp_hint(t, HINT("60", "20104", "5001"));
	pipeline_session_end(t->p, 1, "connection lost\x1b[2J", T(4));
	tp_start(t, 2, T(5));
	pipeline_session_ready(t->p, 2, T(6));
	tp_feed(t, T(6), "650 STREAM 60 NEW 0 127.0.0.1:20180"
	    " SOURCE_ADDR=127.0.0.1:6000 PURPOSE=USER CLIENT_PROTOCOL=SOCKS5\n");
	/* Stream 49 of session 2, seen mid-life; circuit 25 unknown. */
	tp_feed(t, T(7), STREAM_ON("49", "SUCCEEDED", "25"));
	tp_feed(t, T(8), "650 STREAM 49 CLOSED 25 127.0.0.1:20180"
	    " REASON=DONE" ISO42 "\n");
	/* E on session 2's circuit 25 (exit1): alone there, no finding. */
	tp_feed(t, T(9), "650 CIRC 25 BUILT " PATH_EXIT1
	    " PURPOSE=CONFLUX_LINKED CONFLUX_ID=" CONFLUX_29 "\n");
	tp_hint(t, HINT("50", "20105", "5002"));
	tp_feed(t, T(10), STREAM_NEW("50", "33874"));
	tp_feed(t, T(11), STREAM_ON("50", "SENTCONNECT", "25"));
	out = tp_out(t);
	assert_string_equal(out,
	    W("001") "circ 25 BUILT CONFLUX_LINKED exit exit0 $08511103"
	    " conflux 1C7E6686\n"
	    W("002") "stream 49 NEW 127.0.0.1:20180 from 127.0.0.1:49188"
	    " SOCKS5 group 42 epoch 0 app App D@localhost curl[5001]\n"
	    W("003") "stream 49 SENTCONNECT 127.0.0.1:20180 circ 25"
	    " exit exit0 $08511103 SOCKS5 group 42\n"
	    W("004") "Tor session 1 ended: connection lost\\x1b[2J\n"
	    W("006") "attached to Tor (version unknown) at " ADDRESS " with "
	    METHOD ", Tor session 2: 0 circuits open, 0 streams open before"
	    " attach (unattributed)\n"
	    W("006") "stream 60 NEW 127.0.0.1:20180 from 127.0.0.1:6000"
	    " SOCKS5 app unknown listener@localhost"
	    " (listener not recorded in this capture)\n"
	    W("007") "stream 49 SUCCEEDED 127.0.0.1:20180 circ 25 SOCKS5"
	    " group 42\n"
	    W("008") "stream 49 CLOSED 127.0.0.1:20180 circ 25 SOCKS5"
	    " group 42 reason DONE\n"
	    W("009") "circ 25 BUILT CONFLUX_LINKED exit exit1 $16B0637A"
	    " conflux 0D6F1E58\n"
	    W("010") "stream 50 NEW 127.0.0.1:20180 from 127.0.0.1:33874"
	    " SOCKS5 group 42 epoch 0 app App E@localhost curl[5002]\n"
	    W("011") "stream 50 SENTCONNECT 127.0.0.1:20180 circ 25"
	    " exit exit1 $16B0637A SOCKS5 group 42\n");
	assert_int_equal(t->nfnd, 0);
	assert_int_equal(t->nalr, 0);

	/* Session 2's stream 49 is nobody's: not D's of session 1. */
	assert_int_equal(t->nstr, 7);
	assert_int_equal(t->str[3].id, 49);
	assert_string_equal(t->str[3].status, "SUCCEEDED");
	assert_null(t->str[3].listener);
	assert_null(t->str[3].process);
	assert_int_equal(t->str[3].pid, 0);
	assert_string_not_equal(t->str[3].ident, D_IDENT);

	assert_int_equal(t->nses, 4);
	assert_int_equal(t->ses[0].phase, PIPELINE_START);
	assert_int_equal(t->ses[0].serial, 1);
	assert_int_equal(t->ses[1].phase, PIPELINE_END);
	assert_int_equal(t->ses[1].serial, 1);
	assert_string_equal(t->ses[1].why, "connection lost\\x1b[2J");
	assert_int_equal(t->ses[1].ts, T(4));
	assert_int_equal(t->ses[2].phase, PIPELINE_START);
	assert_int_equal(t->ses[2].serial, 2);
	assert_int_equal(t->ses[3].phase, PIPELINE_READY);
	/* Session 1's note for stream 60 was not taken. */
	assert_int_equal(t->str[2].id, 60);
	assert_null(t->str[2].listener);
	assert_null(t->str[2].process);
	assert_stats(t, 9, 7, 2, 0, 0, 0, 2);
}

/* --- LogTargets ------------------------------------------------------------- */

#define CRED_NEW "650 STREAM 7 NEW 0 example.com:443" \
	" SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER" \
	" SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"s3cr3t-PW\"" \
	" CLIENT_PROTOCOL=SOCKS5\n"
#define CRED_V6 "650 STREAM 8 NEW 0 [2001:db8::1]:443" \
	" SOURCE_ADDR=127.0.0.1:5001 PURPOSE=USER" \
	" SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"s3cr3t-PW\"" \
	" CLIENT_PROTOCOL=SOCKS5\n"
#define CRED_HINT(id) "attrib stream=" id " listener=\"127.0.0.1:9150\"" \
	" host=\"localhost\" uid=1000 inode=1 pid=77 process=\"firefox\"" \
	" why=\"\""

/* Stream 7 to example.com, stream 8 to an IPv6 address, both closed. */
static void
cred_events(struct tp *t, enum log_targets mode)
{
	struct tp_opts o = { PIPELINE_LINES, mode, 0, NULL, 0 };
	size_t i;

	tp_open(t, &o);
	tp_start(t, 1, T(0));
	tp_hint(t, CRED_HINT("7"));
	tp_feed(t, T(1), CRED_NEW);
	tp_feed(t, T(2), "650 STREAM 7 REMAP 0 93.184.216.34:443 SOURCE=DNS"
	    " SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"s3cr3t-PW\"\n");
	tp_feed(t, T(3), "650 STREAM 7 CLOSED 0 93.184.216.34:443"
	    " REASON=DONE SOCKS_USERNAME=\"alice\""
	    " SOCKS_PASSWORD=\"s3cr3t-PW\"\n");
	tp_hint(t, CRED_HINT("8"));
	tp_feed(t, T(4), CRED_V6);
	assert_int_equal(tp_nlines(t), 4);
	assert_int_equal(t->nstr, 4);
	/* The password: nowhere, whatever the mode. */
	assert_null(strstr(tp_out(t), "s3cr3t"));
	assert_null(strstr(tp_out(t), "PW"));
	for (i = 0; i < t->nstr; i++) {
		assert_null(strstr(t->str[i].target, "s3cr3t"));
		assert_null(strstr(t->str[i].ident, "s3cr3t"));
	}
	if (mode != LOG_TARGETS_PLAIN) {
		assert_null(strstr(tp_out(t), "example.com"));
		assert_null(strstr(tp_out(t), "93.184"));
		assert_null(strstr(tp_out(t), "2001:db8"));
		assert_null(strstr(tp_out(t), "alice"));
	}
}

static void
test_targets_hash(void **state)
{
	struct tp *t = *state;
	char want[1024];
	const char *user, *h1, *h2, *h3;

	cred_events(t, LOG_TARGETS_HASH);
	h1 = tp_hash(t, "example.com");
	h2 = tp_hash(t, "93.184.216.34");
	h3 = tp_hash(t, "2001:db8::1");
	user = tp_hash(t, "alice");
	snprintf(want, sizeof want,
	    W("001") "stream 7 NEW %s:443 from 127.0.0.1:5000 SOCKS5 user %s"
	    " app port 9150@localhost firefox[77]\n"
	    W("002") "stream 7 REMAP %s:443 user %s\n"
	    W("003") "stream 7 CLOSED %s:443 from 127.0.0.1:5000 user %s"
	    " app port 9150@localhost reason DONE\n"
	    W("004") "stream 8 NEW %s:443 from 127.0.0.1:5001 SOCKS5 user %s"
	    " app port 9150@localhost firefox[77]\n",
	    h1, user, h2, user, h2, user, h3, user);
	assert_string_equal(tp_out(t), want);
	/* The viewer is shown the same. */
	snprintf(want, sizeof want, "%s:443", h1);
	assert_string_equal(t->str[0].target, want);
	snprintf(want, sizeof want, "%s:443", h2);
	assert_string_equal(t->str[2].target, want);
	snprintf(want, sizeof want, "%s:443", h3);
	assert_string_equal(t->str[3].target, want);
	/* Equal targets hash equal, different ones differ (keyed). */
	assert_string_not_equal(h1, h2);
}

static void
test_targets_none(void **state)
{
	struct tp *t = *state;
	char want[1024];
	const char *user;

	cred_events(t, LOG_TARGETS_NONE);
	user = tp_hash(t, "alice");
	snprintf(want, sizeof want,
	    W("001") "stream 7 NEW port 443 from 127.0.0.1:5000 SOCKS5 user %s"
	    " app port 9150@localhost firefox[77]\n"
	    W("002") "stream 7 REMAP port 443 user %s\n"
	    W("003") "stream 7 CLOSED port 443 from 127.0.0.1:5000 user %s"
	    " app port 9150@localhost reason DONE\n"
	    W("004") "stream 8 NEW port 443 from 127.0.0.1:5001 SOCKS5 user %s"
	    " app port 9150@localhost firefox[77]\n", user, user, user, user);
	assert_string_equal(tp_out(t), want);
	assert_string_equal(t->str[0].target, "port 443");
	assert_string_equal(t->str[3].target, "port 443");
	/* Only the SOCKS username is hashed: four times, one hash. */
	assert_int_equal(count_of(tp_out(t), "h:"), 4);
	assert_int_equal(count_of(tp_out(t), user), 4);
}

static void
test_targets_plain(void **state)
{
	struct tp *t = *state;

	cred_events(t, LOG_TARGETS_PLAIN);
	assert_string_equal(tp_out(t),
	    W("001") "stream 7 NEW example.com:443 from 127.0.0.1:5000 SOCKS5"
	    " user \"alice\" app port 9150@localhost firefox[77]\n"
	    W("002") "stream 7 REMAP 93.184.216.34:443 user \"alice\"\n"
	    W("003") "stream 7 CLOSED 93.184.216.34:443 from 127.0.0.1:5000"
	    " user \"alice\" app port 9150@localhost reason DONE\n"
	    W("004") "stream 8 NEW [2001:db8::1]:443 from 127.0.0.1:5001"
	    " SOCKS5 user \"alice\" app port 9150@localhost firefox[77]\n");
	assert_null(strstr(tp_out(t), "h:"));
	assert_string_equal(t->str[0].target, "example.com:443");
	assert_string_equal(t->str[3].target, "[2001:db8::1]:443");
}

/*
 * The store keeps targets and SOCKS credentials as LogTargets says: with
 * hash, the keyed hashes (the database's key) and never the password.
 */
static void
test_store_hashes_credentials(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_HASH, 0, CONF_DE, 1 };
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[160], want_t[32];
	const char *tgt, *user, *pass;
	int rows = 0;

	tp_open(t, &o);
	/* As replay does: the database's key. */
	store_hash_key(t->pc.store, t->pc.privacy.key);
	t->pc.privacy.hmac = store_hash_hmac(t->pc.store);
	pipeline_free(t->p);
	t->p = pipeline_new(&t->pc);
	tp_start(t, 1, T(0));
	tp_hint(t, CRED_HINT("7"));
	tp_feed(t, T(1), CRED_NEW);
	tp_feed(t, T(2), "650 STREAM 7 CLOSED 0 example.com:443 REASON=DONE\n");
	pipeline_session_end(t->p, 1, "done", T(3));

	snprintf(path, sizeof path, "%s/isoaudit.db", t->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT target, target_port,"
	    " socks_username, socks_password FROM stream", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		tgt = (const char *)sqlite3_column_text(st, 0);
		user = (const char *)sqlite3_column_text(st, 2);
		pass = (const char *)sqlite3_column_text(st, 3);
		assert_non_null(tgt);
		snprintf(want_t, sizeof want_t, "%s", tp_hash(t, "example.com"));
		assert_string_equal(tgt, want_t);
		assert_int_equal(sqlite3_column_int(st, 1), 443);
		assert_non_null(user);
		assert_string_equal(user, tp_hash(t, "alice"));
		assert_non_null(pass);
		assert_string_equal(pass, tp_hash(t, "s3cr3t-PW"));
	}
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(rows, 1);
	sqlite3_close(db);
}

/*
 * A stream's row takes its target, credentials and isolation fields from
 * its first event; later events leave them out (pipeline_out.c).  A
 * database removed and begun again under a running stream gets them from
 * the next event all the same: the row there is whole.
 */
static void
test_store_row_after_reopen(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_HASH, 0, CONF_DE, 1 };
	char path[160], want_t[32], sql[200];
	sqlite3 *db;
	sqlite3_stmt *st;
	const char *sfx[] = { "", "-wal", "-shm" };
	size_t i;
	int rows = 0;

	tp_open(t, &o);
	store_hash_key(t->pc.store, t->pc.privacy.key);
	t->pc.privacy.hmac = store_hash_hmac(t->pc.store);
	pipeline_free(t->p);
	t->p = pipeline_new(&t->pc);
	tp_start(t, 1, T(0));
	tp_hint(t, CRED_HINT("7"));
	tp_feed(t, T(1), "650 STREAM 7 NEW 0 example.com:443"
	    " SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER"
	    " SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"s3cr3t-PW\""
	    " CLIENT_PROTOCOL=SOCKS5 ISO_FIELDS=SOCKS_USERNAME,CLIENTADDR\n");
	assert_int_equal(store_flush(t->pc.store), 0);
	snprintf(path, sizeof path, "%s/isoaudit.db", t->dir);
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(sql, sizeof sql, "%s%s", path, sfx[i]);
		unlink(sql);
	}
	tp_feed(t, T(2), "650 STREAM 7 SUCCEEDED 5 example.com:443"
	    " SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"s3cr3t-PW\""
	    " ISO_FIELDS=SOCKS_USERNAME,CLIENTADDR\n");
	/* The next commit finds the file gone and begins it again. */
	store_tick(t->pc.store, INT64_MAX / 2);
	store_flush(t->pc.store);
	pipeline_session_end(t->p, 1, "done", T(3));
	store_flush(t->pc.store);

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT target, target_port, "
	    "socks_username, socks_password, iso_fields, status FROM stream",
	    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows++;
		snprintf(want_t, sizeof want_t, "%s", tp_hash(t, "example.com"));
		assert_non_null(sqlite3_column_text(st, 0));
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
		    want_t);
		assert_int_equal(sqlite3_column_int(st, 1), 443);
		assert_string_equal((const char *)sqlite3_column_text(st, 2),
		    tp_hash(t, "alice"));
		assert_string_equal((const char *)sqlite3_column_text(st, 3),
		    tp_hash(t, "s3cr3t-PW"));
		assert_string_equal((const char *)sqlite3_column_text(st, 4),
		    "SOCKS_USERNAME,CLIENTADDR");
		assert_string_equal((const char *)sqlite3_column_text(st, 5),
		    "SUCCEEDED");
	}
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(rows, 1);
	sqlite3_close(db);
}

/* --- the event dump --------------------------------------------------------- */

#define STREAM_KEYS "type,id,status,circ_id,target,target_address," \
	"target_port,reason,remote_reason,source,source_addr,purpose," \
	"socks_username,socks_password,client_protocol,nym_epoch," \
	"session_group,iso_fields,"
#define CIRC_KEYS "type,id,status,path,build_flags,purpose,hs_state," \
	"rend_query,created,reason,remote_reason,socks_username," \
	"socks_password,conflux_id,"

/*
 * --dump: one JSON object a line for each event, nothing else (no session
 * lines, no initial state, no findings); the keys SPEC.md lists in order;
 * quoted values decoded; other events as type and raw line.
 */
static void
test_dump(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_DUMP, LOG_TARGETS_PLAIN, 1, CONF_DE, 0 };
	static const char *const keys[] = {
		STREAM_KEYS, STREAM_KEYS, CIRC_KEYS, "type,raw,", STREAM_KEYS
	};
	const char *s, *nl;
	char *k;
	size_t i = 0;

	tp_open(t, &o);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "250+stream-status=\n68 SUCCEEDED 35 1.2.3.4:80\n"
	    ".\n250 OK\n");
	pipeline_session_ready(t->p, 1, T(2));
	tp_hint(t, HINT("49", "20104", "5001"));
	tp_feed(t, T(3), STREAM_NEW("49", "49188"));
	tp_hint(t, HINT("50", "20105", "5002"));
	tp_feed(t, T(4), "650 STREAM 50 SENTCONNECT 25 127.0.0.1:20180"
	    " SOCKS_USERNAME=\"a\\\"b\\tc\" SOCKS_PASSWORD=\"pw\"" ISO42 "\n");
	tp_feed(t, T(5), CIRC25_BUILT);
	tp_feed(t, T(6), "650 NOTICE Have tried resolving\n");
	tp_feed(t, T(7), STREAM_ON("49", "SENTCONNECT", "25"));
	pipeline_session_end(t->p, 1, "end", T(8));

	for (s = tp_out(t); *s != '\0'; s = nl + 1, i++) {
		nl = strchr(s, '\n');
		assert_non_null(nl);
		assert_true(i < TU_NELEM(keys));
		if (!tu_json_valid(s, (size_t)(nl - s), &k))
			fail_msg("line %zu is not JSON: %.*s", i,
			    (int)(nl - s), s);
		assert_string_equal(k, keys[i]);
		free(k);
	}
	assert_int_equal(i, TU_NELEM(keys));
	s = tp_out(t);
	assert_non_null(strstr(s, "{\"type\":\"STREAM\",\"id\":\"49\","
	    "\"status\":\"NEW\",\"circ_id\":\"0\",\"target\":"
	    "\"127.0.0.1:20180\",\"target_address\":\"127.0.0.1\","
	    "\"target_port\":20180,\"reason\":null,"));
	assert_non_null(strstr(s, "\"socks_username\":\"a\\\"b\\tc\","));
	assert_non_null(strstr(s, "\"session_group\":42,\"iso_fields\":"
	    "[\"CLIENTADDR\",\"SESSION_GROUP\",\"NYM_EPOCH\"]}\n"));
	assert_non_null(strstr(s, "\"path\":[{\"fingerprint\":\"" FP_AUTH1
	    "\",\"nickname\":\"auth1\"},"));
	assert_non_null(strstr(s, "\"conflux_id\":\"" CONFLUX_25 "\"}\n"));
	assert_non_null(strstr(s, "{\"type\":\"NOTICE\",\"raw\":"));
	/* No human line, no finding, no attribution in a dump. */
	assert_null(strstr(s, "stream 49"));
	assert_null(strstr(s, "attached"));
	assert_null(strstr(s, "App D"));
	assert_int_equal(t->nfnd, 0);
	assert_int_equal(t->nalr, 0);
	{
		struct pipeline_stats st;

		pipeline_stats(t->p, &st);
		assert_int_equal(st.events, 5);
		assert_int_equal(st.malformed, 0);
		assert_int_equal(st.findings, 0);
		assert_int_equal(st.sessions, 1);
	}
}

/* --- hostile bytes ---------------------------------------------------------- */

/*
 * What a SOCKS client chooses (a hostname's raw bytes, a username with
 * CR LF and quotes) and what a transcript's note says (host, process) is
 * escaped in the output: one line an event, printable ASCII only.
 */
static void
test_hostile_bytes(void **state)
{
	struct tp *t = *state;
	const char *out;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_hint(t, "attrib stream=9 listener=\"127.0.0.1:20104\""
	    " host=\"ho\\033st\" uid=0 inode=1 pid=66"
	    " process=\"cu\\033]0;x\\007rl\" why=\"\"");
	tp_feed(t, T(1), "650 STREAM 9 NEW 0 ev\x1b[31mil\xff.com:80"
	    " SOURCE_ADDR=127.0.0.1:4444 PURPOSE=USER"
	    " SOCKS_USERNAME=\"a\\r\\n650 CIRC 1 BUILT\\007\\\"q\\\\\""
	    " CLIENT_PROTOCOL=SOCKS5\n");
	tp_feed(t, T(2), "650 STREAM 9 FAILED 0 ev\x1b[31mil\xff.com:80"
	    " REASON=MISC\x1b[0m\n");
	out = tp_out(t);
	assert_string_equal(out,
	    W("001") "stream 9 NEW ev\\x1b[31mil\\xff.com:80 from"
	    " 127.0.0.1:4444 SOCKS5 user \"a\\r\\n650 CIRC 1 BUILT\\x07\\\"q"
	    "\\\\\" app App D@ho\\x1bst cu\\x1b]0;x\\x07rl[66]\n"
	    W("002") "stream 9 FAILED ev\\x1b[31mil\\xff.com:80 from"
	    " 127.0.0.1:4444 app App D@ho\\x1bst reason MISC\\x1b[0m\n");
	assert_true(printable(out, 1));
	assert_int_equal(tp_nlines(t), 2);
	/* The smuggled "CIRC 1" line made no circuit. */
	assert_int_equal(t->ncirc, 0);
	assert_string_equal(t->str[0].target, "ev\\x1b[31mil\\xff.com:80");
	assert_true(printable(t->str[0].status, 0));
	assert_stats(t, 2, 2, 0, 0, 0, 0, 1);
}

/*
 * pipeline.h promises the viewer printable strings ("every string is
 * printable already"), judge.h a printable finding detail.  The process
 * name (a process sets its own comm, escape sequences included), the
 * listener and the host (from attribution or a transcript's note) reach
 * the observer's stream view and, through the identities, the finding's
 * detail unescaped.  The output line and alert_emit() escape them; the
 * viewer does not get that.  A bug in pipeline_out.c (pl_observe_stream, and the
 * identities it gives the judge): skipped until it is fixed.
 */
static void
test_observer_escapes_attribution(void **state)
{
	struct tp *t = *state;
	size_t i;

	skip();
	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, "attrib stream=49 listener=\"127.0.0.1:20104\""
	    " host=\"ho\\033st\" uid=0 inode=1 pid=66"
	    " process=\"cu\\033]0;x\\007rl\" why=\"\"");
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	tp_hint(t, "attrib stream=50 listener=\"127.0.0.1:2\\0330105\""
	    " host=\"localhost\" uid=0 inode=2 pid=67 process=\"curl\""
	    " why=\"\"");
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_true(printable(tp_out(t), 1));
	assert_int_equal(t->nstr, 4);
	for (i = 0; i < t->nstr; i++) {
		assert_true(printable(t->str[i].ident, 0));
		if (t->str[i].process != NULL)
			assert_true(printable(t->str[i].process, 0));
		if (t->str[i].listener != NULL)
			assert_true(printable(t->str[i].listener, 0));
	}
	assert_int_equal(t->nfnd, 1);
	assert_true(printable(t->fnd[0].detail, 0));
	assert_true(printable(t->fnd[0].a, 0));
	assert_true(printable(t->fnd[0].idents, 0));
}

/* --- Tor's log, bootstrap, uptime; malformed events; counting --------------- */

static void
test_viewer_extras(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "250-status/bootstrap-phase=NOTICE BOOTSTRAP"
	    " PROGRESS=100 TAG=done SUMMARY=\"Done\"\n250-uptime=3600\n"
	    "250 OK\n");
	tp_feed(t, T(2), "650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=50"
	    " TAG=loading_descriptors SUMMARY=\"Loading \\033relay\"\n");
	tp_feed(t, T(3), "650 WARN Socks\x1b[1m port\n");
	tp_feed(t, T(4), "650 SIGNAL NEWNYM\n650 CONF_CHANGED\n"
	    "650-CONF_CHANGED\n650-SocksPort=9050\n650 OK\n");
	assert_int_equal(t->nboot, 2);
	assert_int_equal(t->boot[0].n, 100);
	assert_string_equal(t->boot[0].b, "Done");
	assert_int_equal(t->boot[1].n, 50);
	assert_string_equal(t->boot[1].b, "Loading \\x1brelay");
	assert_int_equal(t->boot[1].ts, T(2));
	assert_int_equal(t->uptime, 3600);
	assert_int_equal(t->ntorlog, 1);
	assert_string_equal(t->torlog[0].a, "WARN");
	assert_string_equal(t->torlog[0].b, "Socks\\x1b[1m port");
	assert_string_equal(tp_out(t),
	    W("004") "signal NEWNYM\n"
	    W("004") "Tor's configuration changed\n"
	    W("004") "Tor's configuration changed\n");
	assert_stats(t, 5, 0, 0, 0, 0, 0, 1);
}

/*
 * Malformed events are counted and skipped, the first 10 of a session
 * logged (escaped) and one more message saying the rest are not; a new
 * session may log 10 again.  The good events around them still count.
 */
static void
test_malformed_counted(void **state)
{
	struct tp *t = *state;
	static const struct tp_opts o = {
		PIPELINE_LINES, LOG_TARGETS_PLAIN, 0, NULL, 0
	};
	size_t i;

	tp_open(t, &o);
	tp_start(t, 1, T(0));
	for (i = 0; i < 12; i++)
		tp_feed(t, T(1), "650 STREAM x\x1b NEW 0 a:1\n");
	tp_feed(t, T(2), "650 STREAM 5 NEW 0 a.example:1"
	    " SOURCE_ADDR=127.0.0.1:1\n");
	tp_feed(t, T(3), "650 CIRC 99999999999999999999999 BUILT\n");
	assert_int_equal(t->nlog, 11);
	for (i = 0; i < 10; i++) {
		assert_int_equal(t->log[i].n, LOG_LVL_WARN);
		assert_non_null(strstr(t->log[i].b, "malformed event from Tor"));
		assert_non_null(strstr(t->log[i].b, "650 STREAM x\\x1b NEW"));
		assert_true(printable(t->log[i].b, 0));
	}
	assert_non_null(strstr(t->log[10].b, "further malformed events"));
	assert_int_equal(tp_nlines(t), 1);
	assert_stats(t, 1, 1, 0, 13, 0, 0, 1);
	pipeline_session_end(t->p, 1, "x", T(4));
	tp_start(t, 2, T(5));
	tp_feed(t, T(6), "650 CIRC z BUILT\n");
	assert_int_equal(t->nlog, 12);
	assert_non_null(strstr(t->log[11].b, "650 CIRC z BUILT"));
	assert_stats(t, 1, 1, 0, 14, 0, 0, 2);
}

/* --- DNSPort queries ------------------------------------------------------- */

/* A DNSPort query as Tor 0.4.9 reports it (group -8: Tor's numbering). */
#define DNS_NEW(id, src, group) "650 STREAM " id " NEWRESOLVE 0" \
	" example.com:0 SOURCE_ADDR=" src " PURPOSE=DNS_REQUEST" \
	" CLIENT_PROTOCOL=DNS NYM_EPOCH=0 SESSION_GROUP=" group \
	" ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH\n"
/* Tor's DNSPorts as a Whonix-Gateway has them (5300 for the workstation,
 * 5400 for the gateway), in GETINFO's form. */
#define DNS_PORTS "250-net/listeners/dns=\"127.0.0.1:5300\"" \
	" \"127.0.0.1:5400\" \"10.152.152.10:5300\" \"10.152.152.10:5400\"" \
	" \"[::1]:5300\"\n250 OK\n"

/* The finding of rule about listener, or NULL. */
static const struct o_finding *
finding_on(struct tp *t, enum rule_id rule, const char *listener)
{
	size_t i;

	for (i = 0; i < t->nfnd; i++)
		if (t->fnd[i].rule == rule && t->fnd[i].listener != NULL &&
		    strcmp(t->fnd[i].listener, listener) == 0)
			return &t->fnd[i];
	return NULL;
}

/*
 * Several DNSPorts: a query whose socket was connected to one (the note
 * names it, with the program) is on that listener and teaches its session
 * group; a later query of that group whose socket was not connected gets
 * the listener by the group; one whose socket was gone, or a capture
 * without notes, names the DNSPorts its client can reach, in the why and
 * in the UNISOLATED_PORT finding (never listener "?"); a remote client
 * cannot have reached a loopback DNSPort.
 */
static void
test_dns_ports(void **state)
{
	struct tp *t = *state;
	const struct o_finding *f;
	const char *out;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), DNS_PORTS);
	/* Gone: the candidates of a loopback client (not [::1]). */
	tp_hint(t, "attrib stream=60 listener=\"\" host=\"localhost\""
	    " uid=-1 inode=0 pid=0 process=\"\" why=\"no socket for"
	    " 127.0.0.1:40000 here (closed already, or the client is on"
	    " another host)\"");
	tp_feed(t, T(2), DNS_NEW("60", "127.0.0.1:40000", "-20"));
	out = tp_out(t);
	assert_non_null(strstr(out, "stream 60 NEWRESOLVE example.com:0 from"
	    " 127.0.0.1:40000 DNS group -20 epoch 0 purpose DNS_REQUEST"
	    " app group -20@localhost (no socket for the query here (closed"
	    " already, or on another host): one of 127.0.0.1:5300,"
	    " 127.0.0.1:5400, 10.152.152.10:5300, 10.152.152.10:5400)\n"));
	assert_null(t->str[t->nstr - 1].listener);
	f = finding_on(t, RULE_UNISOLATED_PORT, "one of 127.0.0.1:5300,"
	    " 127.0.0.1:5400, 10.152.152.10:5300, 10.152.152.10:5400");
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "listener one of 127.0.0.1:5300,"));
	assert_null(strstr(f->detail, "?"));

	/* A connected socket named 5300, and the program (dig). */
	tp_hint(t, "attrib stream=61 listener=\"127.0.0.1:5300\""
	    " host=\"localhost\" uid=1000 inode=777 pid=4321"
	    " process=\"dig\" exe=\"/usr/bin/dig\" why=\"\"");
	tp_feed(t, T(3), DNS_NEW("61", "127.0.0.1:40001", "-8"));
	assert_string_equal(t->str[t->nstr - 1].listener, "127.0.0.1:5300");
	assert_int_equal(t->str[t->nstr - 1].pid, 4321);
	assert_non_null(strstr(tp_out(t), "stream 61 NEWRESOLVE example.com:0"
	    " from 127.0.0.1:40001 DNS group -8 epoch 0 purpose DNS_REQUEST"
	    " app port 5300@localhost dig[4321]\n"));
	f = finding_on(t, RULE_UNISOLATED_PORT, "127.0.0.1:5300");
	assert_non_null(f);
	/* The program that asked, as for a TCP stream. */
	assert_string_equal(f->idents, "[\"/usr/bin/dig (uid 1000)@localhost\"]");

	/* Not connected, same group: the listener by the group. */
	tp_hint(t, "attrib stream=62 listener=\"\" host=\"localhost\""
	    " uid=1000 inode=778 pid=4322 process=\"python3\""
	    " why=\"the query's socket is not connected: it does not name"
	    " the DNSPort\"");
	tp_feed(t, T(4), DNS_NEW("62", "127.0.0.1:40002", "-8"));
	assert_string_equal(t->str[t->nstr - 1].listener, "127.0.0.1:5300");
	assert_non_null(strstr(tp_out(t), "python3[4322] (DNSPort by session"
	    " group -8: the query's socket did not name it)\n"));

	/* Not connected, a group never named: the owner and candidates. */
	tp_hint(t, "attrib stream=63 listener=\"\" host=\"localhost\""
	    " uid=1000 inode=779 pid=4323 process=\"python3\""
	    " why=\"the query's socket is not connected: it does not name"
	    " the DNSPort\"");
	tp_feed(t, T(5), DNS_NEW("63", "127.0.0.1:40003", "-9"));
	assert_null(t->str[t->nstr - 1].listener);
	assert_non_null(strstr(tp_out(t), "python3[4323] (the query's socket"
	    " is not connected to a DNSPort: one of 127.0.0.1:5300,"));

	/* A workstation (no note: a capture without them): not loopback. */
	tp_feed(t, T(6), DNS_NEW("64", "10.152.152.11:5353", "-9"));
	assert_null(t->str[t->nstr - 1].listener);
	assert_non_null(strstr(tp_out(t), "app group -9@10.152.152.11 (no"
	    " socket for the query here (closed already, or on another"
	    " host): one of 10.152.152.10:5300, 10.152.152.10:5400)\n"));
	assert_non_null(finding_on(t, RULE_UNISOLATED_PORT, "one of"
	    " 10.152.152.10:5300, 10.152.152.10:5400"));
	/* An IPv6 client: [::1]:5300 alone can have it. */
	tp_feed(t, T(7), DNS_NEW("65", "[::1]:5353", "-21"));
	assert_string_equal(t->str[t->nstr - 1].listener, "[::1]:5300");
	assert_non_null(strstr(tp_out(t), "app port 5300@localhost (the only"
	    " DNSPort this client can reach)\n"));
	assert_true(printable(tp_out(t), 1));
}

/*
 * One DNSPort: a query whose socket named none is on it (0.1's rule),
 * whatever its client's address; no DNSPort known: the listener unknown
 * and the finding as before.
 */
static void
test_dns_one_port(void **state)
{
	struct tp *t = *state;

	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), DNS_NEW("70", "127.0.0.1:40000", "-8"));
	assert_null(t->str[t->nstr - 1].listener);
	assert_non_null(finding_on(t, RULE_UNISOLATED_PORT, "DNS"));
	tp_feed(t, T(2), "250-net/listeners/dns=\"127.0.0.1:20107\"\n"
	    "250 OK\n");
	tp_feed(t, T(3), DNS_NEW("71", "127.0.0.1:40001", "-8"));
	assert_string_equal(t->str[t->nstr - 1].listener, "127.0.0.1:20107");
	assert_non_null(strstr(tp_out(t), "app port 20107@localhost (Tor's"
	    " only DNSPort)\n"));
	tp_feed(t, T(4), DNS_NEW("72", "10.152.152.11:40001", "-8"));
	assert_string_equal(t->str[t->nstr - 1].listener, "127.0.0.1:20107");
	assert_non_null(finding_on(t, RULE_UNISOLATED_PORT, "127.0.0.1:20107"));
}

/* --- onion services, both sides -------------------------------------------- */

#define ONION_A	"wc5o5vtfx6rodg2h2csqcgptwtlt5distvvlwiyvkodfvq3p7gynfmqd"
#define ONION_B	"abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx"
#define HS_PATH	"$" FP_AUTH1 "~auth1,$" FP_AUTH0 "~auth0,$" FP_MID1 "~mid1"
#define ONION_ISO " CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4" \
	" ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP," \
	"NYM_EPOCH"

/*
 * What Tor 0.4.9.11 sent on the private network when the client reached
 * its own onion service (tests/integration/t_onion.sh): the service's
 * intro circuit, the client's stream and rendezvous circuit, the
 * service's rendezvous circuit (REND_QUERY only once built), an intro
 * circuit turned HS_VANGUARDS, and a REND_QUERY that is no address.
 */
static void
onion_events(struct tp *t)
{
	tp_start(t, 1, T(0));
	tp_feed(t, T(1), "650 CIRC 38 BUILT " HS_PATH " BUILD_FLAGS=IS_INTERNAL,"
	    "NEED_UPTIME PURPOSE=HS_SERVICE_INTRO HS_STATE=HSSI_CONNECTING"
	    " REND_QUERY=" ONION_A " TIME_CREATED=2026-11-24T17:40:00.001\n");
	tp_feed(t, T(2), "650 STREAM 174 NEW 0 " ONION_A ".onion:80"
	    " SOURCE_ADDR=127.0.0.1:58614 PURPOSE=USER" ONION_ISO "\n");
	tp_feed(t, T(3), "650 CIRC 66 BUILT " HS_PATH " BUILD_FLAGS=IS_INTERNAL,"
	    "NEED_CAPACITY PURPOSE=HS_CLIENT_REND HS_STATE=HSCR_CONNECTING"
	    " REND_QUERY=" ONION_A "\n");
	tp_feed(t, T(4), "650 CIRC 67 LAUNCHED BUILD_FLAGS=IS_INTERNAL,"
	    "NEED_CAPACITY PURPOSE=HS_SERVICE_REND HS_STATE=HSSR_CONNECTING\n");
	tp_feed(t, T(5), "650 CIRC 67 BUILT " HS_PATH " BUILD_FLAGS=IS_INTERNAL,"
	    "NEED_CAPACITY PURPOSE=HS_SERVICE_REND HS_STATE=HSSR_CONNECTING"
	    " REND_QUERY=" ONION_A "\n");
	tp_feed(t, T(6), "650 STREAM 174 SUCCEEDED 66 " ONION_A ".onion:80"
	    ONION_ISO "\n");
	tp_feed(t, T(7), "650 CIRC 38 BUILT " HS_PATH " BUILD_FLAGS=IS_INTERNAL,"
	    "NEED_UPTIME PURPOSE=HS_VANGUARDS\n");
	tp_feed(t, T(8), "650 CIRC 70 BUILT " HS_PATH " PURPOSE=HS_SERVICE_REND"
	    " REND_QUERY=\"bad\\033[31m\\r\\nname\"\n");
	tp_feed(t, T(9), "250-onions/detached=" ONION_B "\n250 OK\n");
	tp_feed(t, T(10), "650 CIRC 67 CLOSED " HS_PATH " PURPOSE=HS_SERVICE_REND"
	    " REND_QUERY=" ONION_A " REASON=FINISHED\n");
}

/* LogTargets hash: both sides named by the keyed hash, never in clear. */
static void
test_onion_hash(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_HASH, 0, NULL, 1 };
	struct buf want;
	char name_a[32], name_b[32], path[160];
	const char *out;
	sqlite3 *db;
	sqlite3_stmt *st;
	int rows = 0;

	tp_open(t, &o);
	onion_events(t);
	snprintf(name_a, sizeof name_a, "%s.onion", tp_hash(t, ONION_A ".onion"));
	snprintf(name_b, sizeof name_b, "%s.onion", tp_hash(t, ONION_B ".onion"));
	out = tp_out(t);
	assert_null(strstr(out, ONION_A));
	assert_null(strstr(out, ONION_B));
	assert_null(strstr(out, "bad"));
	assert_true(printable(out, 1));
	buf_init(&want);
	/* Learnt once, from its first circuit; B from GETINFO. */
	buf_printf(&want, W("001") "onion service %s (from its circuits)\n",
	    name_a);
	assert_non_null(strstr(out, buf_cstr(&want)));
	assert_int_equal(count_of(out, "onion service "), 2);
	buf_reset(&want);
	buf_printf(&want, W("009") "onion service %s (from GETINFO "
	    "onions/detached)\n", name_b);
	assert_non_null(strstr(out, buf_cstr(&want)));
	/* The client's stream: an onion target, its circuit's service. */
	buf_reset(&want);
	buf_printf(&want, "stream 174 NEW %s:80 from", name_a);
	assert_non_null(strstr(out, buf_cstr(&want)));
	buf_reset(&want);
	buf_printf(&want, "circ 66 BUILT HS_CLIENT_REND last hop mid1 $203F4F35"
	    " onion %s\n", name_a);
	assert_non_null(strstr(out, buf_cstr(&want)));
	buf_reset(&want);
	buf_printf(&want, "circ 67 BUILT HS_SERVICE_REND last hop mid1 "
	    "$203F4F35 service %s\n", name_a);
	assert_non_null(strstr(out, buf_cstr(&want)));
	/* An intro circuit turned vanguard works for no service. */
	assert_non_null(strstr(out, "circ 38 BUILT HS_VANGUARDS last hop mid1 "
	    "$203F4F35\n"));
	assert_non_null(strstr(out, "circ 70 BUILT HS_SERVICE_REND last hop "
	    "mid1 $203F4F35\n"));
	buf_free(&want);

	/* The viewer is told the same names. */
	assert_int_equal(t->ncirc, 7);
	assert_string_equal(t->circ[0].onion, name_a);
	assert_true(t->circ[0].service);
	assert_string_equal(t->circ[1].onion, name_a);
	assert_false(t->circ[1].service);
	assert_string_equal(t->circ[2].onion, "");	/* LAUNCHED */
	assert_string_equal(t->circ[3].onion, name_a);
	assert_true(t->circ[3].service);
	assert_string_equal(t->circ[4].onion, "");	/* vanguard now */
	assert_string_equal(t->circ[5].onion, "");	/* no address */
	assert_true(t->circ[6].closing);
	assert_string_equal(t->circ[6].onion, name_a);

	/* The store: the services and each circuit's service. */
	pipeline_session_end(t->p, 1, "done", T(11));
	snprintf(path, sizeof path, "%s/isoaudit.db", t->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT address, source, "
	    "first_seen FROM onion_service ORDER BY first_seen", -1, &st,
	    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *src = (const char *)sqlite3_column_text(st, 1);

		assert_string_equal(a, rows == 0 ? name_a : name_b);
		assert_string_equal(src, rows == 0 ? "circuits" : "detached");
		assert_int_equal(sqlite3_column_int64(st, 2), rows == 0 ?
		    T(1) : T(9));
		rows++;
	}
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(rows, 2);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT circ_id, rend_query, "
	    "purpose FROM circuit WHERE rend_query IS NOT NULL ORDER BY circ_id",
	    -1, &st, NULL), SQLITE_OK);
	rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		static const int64_t ids[] = { 38, 66, 67 };

		assert_int_equal(sqlite3_column_int64(st, 0), ids[rows]);
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
		    name_a);
		rows++;
	}
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(rows, 3);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT target, target_port "
	    "FROM stream WHERE stream_id = 174", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), name_a);
	assert_int_equal(sqlite3_column_int(st, 1), 80);
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	sqlite3_close(db);
}

/* A service the report reads back: counts of its circuits (the row's
 * strings live during the call only: its source is checked there). */
static void
svc_row(const struct store_service_row *row, void *arg)
{
	struct store_service_row *out = arg;

	if (row->rend_circuits == 0)
		return;
	assert_string_equal(row->source, "circuits");
	*out = *row;
	out->address = out->source = NULL;
}

static void
test_onion_report_rows(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_HASH, 0, NULL, 1 };
	struct store_range rg = { 0, 0, 0 };
	struct store_service_row row;
	char *cause = NULL;

	tp_open(t, &o);
	onion_events(t);
	store_flush(t->pc.store);
	memset(&row, 0, sizeof row);
	assert_int_equal(store_each_service(t->pc.store, &rg, svc_row, &row,
	    &cause), 0);
	assert_int_equal(row.rend_circuits, 1);
	assert_int_equal(row.rend_open, 0);	/* 67 closed */
	/* Its one intro circuit became a vanguard circuit. */
	assert_int_equal(row.intro_circuits, 0);
	/* Another rendezvous circuit, open while the session is. */
	tp_feed(t, T(12), "650 CIRC 71 BUILT " HS_PATH " PURPOSE=HS_SERVICE_REND"
	    " TIME_CREATED=2026-11-24T17:40:00.012 REND_QUERY=" ONION_A "\n");
	store_flush(t->pc.store);
	memset(&row, 0, sizeof row);
	assert_int_equal(store_each_service(t->pc.store, &rg, svc_row, &row,
	    &cause), 0);
	assert_int_equal(row.rend_circuits, 2);
	assert_int_equal(row.rend_open, 1);
	assert_int_equal(row.last_rend, T(12));
}

/* LogTargets none: which service is not kept, that it is one is. */
static void
test_onion_none(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_NONE, 0, NULL, 0 };
	const char *out;

	tp_open(t, &o);
	onion_events(t);
	out = tp_out(t);
	assert_null(strstr(out, ONION_A));
	assert_null(strstr(out, ONION_B));
	assert_null(strstr(out, "h:"));
	assert_non_null(strstr(out, W("001") "onion service onion service 1 "
	    "(from its circuits)\n"));
	assert_non_null(strstr(out, "onion service onion service 2 (from "
	    "GETINFO onions/detached)\n"));
	assert_non_null(strstr(out, "stream 174 NEW onion port 80 from"));
	assert_non_null(strstr(out, "HS_CLIENT_REND last hop mid1 $203F4F35"
	    " onion onion\n"));
	assert_non_null(strstr(out, "HS_SERVICE_REND last hop mid1 $203F4F35"
	    " service onion service 1\n"));
}

/* LogTargets plain: the addresses; a list of them from GETINFO. */
static void
test_onion_plain(void **state)
{
	struct tp *t = *state;
	struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_PLAIN, 0, NULL, 0 };
	const char *out;

	tp_open(t, &o);
	onion_events(t);
	tp_feed(t, T(20), "250+onions/detached=\n" ONION_A "\n"
	    "zzzz\033x\n" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "\n.\n250 OK\n");
	out = tp_out(t);
	assert_non_null(strstr(out, "onion service " ONION_A ".onion (from "
	    "its circuits)\n"));
	/* A's source is better now; the byte that is no address is not. */
	assert_non_null(strstr(out, "onion service " ONION_A ".onion (from "
	    "GETINFO onions/detached)\n"));
	assert_non_null(strstr(out, "onion service bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbb.onion (from GETINFO onions/detached)"));
	assert_null(strstr(out, "zzzz"));
	assert_true(printable(out, 1));
	assert_non_null(strstr(out, "stream 174 NEW " ONION_A ".onion:80"));
}


/* --- a transcript recorded under LogTargets replays as the live run ------ */

#define SCRUB_ONION "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx"

/* What the samples do not have: credentials (the SOCKS_PASSWORD= trick
 * among them), host names in two cases on an IsolateDestAddr port, an
 * onion service as client and as host, GETINFO onions/detached. */
static const char scrub_extra[] =
    "650 CIRC 90 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
    "PURPOSE=GENERAL\n"
    "650 STREAM 900 NEW 0 Marker.Example:80 SOURCE_ADDR=127.0.0.1:50001 "
    "PURPOSE=USER SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" "
    "SOCKS_PASSWORD=\"secret\" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 "
    "SESSION_GROUP=42 ISO_FIELDS=DESTADDR,SESSION_GROUP,NYM_EPOCH\n"
    "650 STREAM 900 SUCCEEDED 90 Marker.Example:80 "
    "SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" SOCKS_PASSWORD=\"secret\"\n"
    "650 STREAM 901 NEW 0 marker.example:80 SOURCE_ADDR=127.0.0.1:50002 "
    "PURPOSE=USER SOCKS_USERNAME=\"q\\\"x\\\\y\\r\\n\" CLIENT_PROTOCOL=SOCKS5 "
    "NYM_EPOCH=0 SESSION_GROUP=42 ISO_FIELDS=DESTADDR,SESSION_GROUP,NYM_EPOCH\n"
    "650 STREAM 901 SUCCEEDED 90 marker.example:80\n"
    "650 STREAM 902 NEW 0 other.example:443 SOURCE_ADDR=127.0.0.1:50003 "
    "PURPOSE=USER SOCKS_USERNAME=\"site-b\" CLIENT_PROTOCOL=SOCKS5 "
    "NYM_EPOCH=0 SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME,SESSION_GROUP\n"
    "650 STREAM 902 SUCCEEDED 90 other.example:443\n"
    "650 CIRC 91 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
    "PURPOSE=HS_CLIENT_REND HS_STATE=HSCR_JOINED REND_QUERY=" SCRUB_ONION "\n"
    "650 STREAM 903 NEW 0 " SCRUB_ONION ".onion:80 "
    "SOURCE_ADDR=127.0.0.1:50004 PURPOSE=USER CLIENT_PROTOCOL=SOCKS5\n"
    "650 STREAM 903 SUCCEEDED 91 " SCRUB_ONION ".onion:80\n"
    "650 CIRC 92 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
    "PURPOSE=HS_SERVICE_REND HS_STATE=HSSR_JOINED REND_QUERY=zyx234\n"
    "250+onions/detached=\nzyx234\nwvu567\n.\n250 OK\n"
    "650 STREAM 900 CLOSED 90 Marker.Example:80 REASON=DONE\n"
    "650 STREAM 901 CLOSED 90 marker.example:80 REASON=DONE\n";

/* Feeds text a line a read, each line first through sc when not NULL. */
static void
scrub_feed(struct tp *t, struct record_scrub *sc, const char *text,
    int64_t *ts, struct buf *kept)
{
	struct reply_parser *rp = reply_parser_new(tp_reply, tp_not_reply, t);
	const char *line = text, *nl, *out;
	size_t n;

	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		out = line;
		if (sc != NULL)
			out = record_scrub_line(sc, line, n, *ts, &n);
		if (kept != NULL) {
			buf_add(kept, out, n);
			buf_addc(kept, '\n');
		}
		reply_parser_line(rp, out, n, (*ts)++);
	}
	reply_parser_free(rp);
}

/*
 * Tor's lines through a pipeline, and the same lines as --record wrote
 * them with LogTargets hash through another: the output, findings
 * included, is the same byte for byte (the second pipeline passes the
 * hashes through), and the recorded text holds no destination or
 * credential in clear.
 */
static void
test_scrubbed_replays_the_same(void **state)
{
	static const char *const samples[] = { "01_ports_A_then_B.txt",
	    "02_same_port_A_twice.txt", "04_sessiongroup42_D_and_E.txt",
	    "06_protocols_socks4_http_unix.txt", "09_getinfo_tcp.txt" };
	static const struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_HASH, 0,
	    "App 20104 \"App D\"\nApp 20105 \"App E\"\n"
	    "App 20101 \"Browser\" IsolateBy socks-username\n", 0 };
	struct tp *t = *state, *r = calloc(1, sizeof *r);
	struct record_scrub *sc;
	struct buf kept;
	int64_t ts_live = 1000000, ts_rec = 1000000;
	size_t i, len;
	char *text;
	void *rs = r;

	assert_non_null(r);
	tp_open(t, &o);
	tp_open(r, &o);
	/* Many streams: no observer (its copies are bounded). */
	pipeline_free(t->p);
	t->pc.observer = NULL;
	t->p = pipeline_new(&t->pc);
	pipeline_free(r->p);
	r->pc.observer = NULL;
	r->p = pipeline_new(&r->pc);
	sc = record_scrub_new(&t->pc.privacy);
	buf_init(&kept);
	tp_start(t, 1, ts_live);
	pipeline_session_start(r->p, 1, ADDRESS, METHOD, ts_rec);
	for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		text = tu_read_sample(samples[i], &len);
		assert_non_null(text);
		scrub_feed(t, NULL, text, &ts_live, NULL);
		scrub_feed(r, sc, text, &ts_rec, &kept);
		free(text);
	}
	scrub_feed(t, NULL, scrub_extra, &ts_live, NULL);
	scrub_feed(r, sc, scrub_extra, &ts_rec, &kept);
	assert_string_equal(tp_out(r), tp_out(t));
	/* It says something: hashed targets, a finding, the onion. */
	assert_non_null(strstr(tp_out(t), " h:"));
	assert_non_null(strstr(tp_out(t), "FINDING "));
	assert_non_null(strstr(tp_out(t), ".onion:80"));
	assert_null(strstr(tp_out(t), "xample"));
	buf_addc(&kept, '\0');
	assert_null(strstr(kept.p, "xample"));
	assert_null(strstr(kept.p, "secret"));
	assert_null(strstr(kept.p, "site-b"));
	assert_null(strstr(kept.p, SCRUB_ONION));
	assert_null(strstr(kept.p, "zyx234"));
	assert_null(strstr(kept.p, "\"alice\""));
	assert_null(strstr(kept.p, "127.0.0.1:2018"));
	assert_null(strstr(kept.p, "withheld"));
	buf_free(&kept);
	record_scrub_free(sc);
	log_to = t;
	tp_teardown(&rs);
	log_to = t;
	log_set_sink(log_sink, NULL);
}

/* --- the cross-check with Tor's own state (pipeline_xcheck.c) ------------ */

/* How many findings of rule the test saw. */
static size_t
tp_count_rule(struct tp *t, enum rule_id rule)
{
	size_t i, n = 0;

	for (i = 0; i < t->nfnd; i++)
		n += t->fnd[i].rule == rule;
	return n;
}

/* Circuit 25 built, stream 49 of App D on it; the session ready. */
static void
tp_xc_begin(struct tp *t)
{
	tp_open(t, &plain_de);
	tp_start(t, 1, T(0));
	pipeline_session_ready(t->p, 1, T(0));
	tp_feed(t, T(1), CIRC25_BUILT);
	tp_hint(t, HINTP("49", "20104", "5001", "chat"));
	tp_feed(t, T(2), STREAM_NEW("49", "49188"));
	tp_feed(t, T(3), STREAM_ON("49", "SENTCONNECT", "25"));
	assert_false(pipeline_xcheck_wanted(t->p));
}

/* Stream 50 of App E, on circuit 25 at T(6). */
static void
tp_xc_stream50(struct tp *t)
{
	tp_hint(t, HINTP("50", "20105", "5002", "irc"));
	tp_feed(t, T(5), STREAM_NEW("50", "33874"));
	tp_feed(t, T(6), STREAM_ON("50", "SENTCONNECT", "25"));
}

#define XC_CIRC25 "250+circuit-status=\n25 BUILT " PATH_EXIT0 \
	" PURPOSE=CONFLUX_LINKED CONFLUX_ID=" CONFLUX_25 "\n.\n"

/*
 * A forged "CIRC 25 CLOSED" (past the filter) between App D's stream and
 * App E's: E's attach finds no one on the circuit, and is suspicious (a
 * circuit isoaudit believes closed).  Tor's own circuit-status lists 25
 * BUILT: it comes back with both streams, the real SHARED_CIRCUIT is
 * made, and CONTROL_INJECTION says what Tor contradicted.
 */
static void
test_xcheck_forged_closed(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats st;
	size_t i;
	int inj = 0;

	tp_xc_begin(t);
	tp_feed(t, T(4), "650 CIRC 25 CLOSED " PATH_EXIT0
	    " PURPOSE=CONFLUX_LINKED REASON=FINISHED\n");
	tp_xc_stream50(t);
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 0);
	assert_true(pipeline_xcheck_wanted(t->p));
	assert_false(pipeline_xcheck_wanted(t->p));	/* cleared */

	tp_feed(t, T(7), XC_CIRC25 "250+stream-status=\n"
	    "49 SUCCEEDED 25 127.0.0.1:20180\n"
	    "50 SENTCONNECT 25 127.0.0.1:20180\n.\n250 OK\n");
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 1);
	assert_int_equal(tp_count_rule(t, RULE_PRE_ATTACH), 0);
	for (i = 0; i < t->nfnd; i++) {
		if (t->fnd[i].rule == RULE_SHARED_CIRCUIT) {
			assert_int_equal(t->fnd[i].circ, 25);
			assert_non_null(strstr(t->fnd[i].detail, D_APP));
			assert_non_null(strstr(t->fnd[i].detail, E_APP));
			assert_non_null(strstr(t->fnd[i].detail, "exit0"));
		}
		if (t->fnd[i].rule == RULE_CONTROL_INJECTION) {
			inj++;
			assert_non_null(strstr(t->fnd[i].detail, "circuit 25 "
			    "was reported closed but Tor lists it BUILT"));
		}
	}
	assert_int_equal(inj, 1);
	pipeline_stats(t->p, &st);
	assert_int_equal(st.xchecks, 1);
	assert_int_equal(st.restored, 1);
	assert_int_equal(st.contradictions, 1);

	/* Restored for good: another stream of E's is judged against it. */
	tp_hint(t, HINTP("51", "20105", "5002", "irc"));
	tp_feed(t, T(8), STREAM_NEW("51", "33886"));
	tp_feed(t, T(9), STREAM_ON("51", "SENTCONNECT", "25"));
	assert_false(pipeline_xcheck_wanted(t->p));	/* 25 is BUILT */
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 2);
	/* A second check that agrees changes nothing. */
	tp_feed(t, T(3000), XC_CIRC25 "250+stream-status=\n"
	    "49 SUCCEEDED 25 127.0.0.1:20180\n"
	    "50 SUCCEEDED 25 127.0.0.1:20180\n"
	    "51 SUCCEEDED 25 127.0.0.1:20180\n.\n250 OK\n");
	tp_feed(t, T(9000), "650 CIRC 26 LAUNCHED PURPOSE=GENERAL\n");
	pipeline_stats(t->p, &st);
	assert_int_equal(st.contradictions, 1);
	assert_int_equal(tp_count_rule(t, RULE_CONTROL_INJECTION), 1);
}

/*
 * A reply that agrees with the events changes nothing (and, after the
 * session is ready, is no initial state: no PRE_ATTACH); the real
 * SHARED_CIRCUIT made by the events stays the only finding.
 */
static void
test_xcheck_consistent(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats st;
	const char *out;

	tp_xc_begin(t);
	tp_hint(t, HINTP("50", "20105", "5002", "irc"));
	tp_feed(t, T(4), STREAM_NEW("50", "33874"));
	tp_feed(t, T(5), STREAM_ON("50", "SENTCONNECT", "25"));
	assert_int_equal(t->nfnd, 1);
	out = tp_out(t);
	tp_feed(t, T(6), XC_CIRC25 "250+stream-status=\n"
	    "49 SUCCEEDED 25 127.0.0.1:20180\n"
	    "50 SUCCEEDED 25 127.0.0.1:20180\n.\n250 OK\n");
	tp_feed(t, T(9000), "650 CIRC 26 LAUNCHED PURPOSE=GENERAL\n");
	assert_int_equal(t->nfnd, 1);
	assert_int_equal(t->fnd[0].rule, RULE_SHARED_CIRCUIT);
	pipeline_stats(t->p, &st);
	assert_int_equal(st.xchecks, 1);
	assert_int_equal(st.contradictions, 0);
	assert_int_equal(st.restored, 0);
	assert_false(pipeline_xcheck_wanted(t->p));
	(void)out;
}

/*
 * A rejection the smuggling filter passed on unsure (the second of a run
 * of whole rejections: a DNS burst, or a client's forgery) is shown and
 * stored, and no rule about applications runs on it: a NEWRESOLVE on a
 * shared DNS listener raises UNISOLATED_PORT when sure, nothing when not.
 */
static void
test_unsure_rejection(void **state)
{
	static const struct tp_opts o = { PIPELINE_LINES, LOG_TARGETS_PLAIN,
	    0, "SharedPort 127.0.0.1:5353 \"DNS\"\n", 0 };
	static const char newres[] = "650 STREAM %d NEWRESOLVE 0 a.example:0 "
	    "SOURCE_ADDR=127.0.0.1:%d PURPOSE=DNS_REQUEST CLIENT_PROTOCOL=DNS "
	    "NYM_EPOCH=0 SESSION_GROUP=-68 ISO_FIELDS=CLIENTADDR\n";
	struct tp *t = *state;
	struct pipeline_stats st;
	char line[512];

	tp_open(t, &o);
	tp_start(t, 1, T(1));
	snprintf(line, sizeof line, newres, 51, 40001);
	pipeline_unsure(t->p);
	tp_feed(t, T(2), line);
	assert_int_equal(t->nfnd, 0);
	assert_non_null(strstr(tp_out(t), "stream 51 NEWRESOLVE"));
	/* Only the next event: the one after is judged. */
	snprintf(line, sizeof line, newres, 52, 40002);
	tp_feed(t, T(3), line);
	pipeline_stats(t->p, &st);
	assert_int_equal(st.unsure, 1);
	assert_true(t->nfnd >= 1);
}

/*
 * Tor queues events and answers at once: a real short stream Tor no
 * longer lists, whose CLOSED comes just after the reply, and a stream Tor
 * lists on another circuit before the event that moved it arrive: nothing
 * once they came.  A stream Tor never listed and that no event closes
 * within the grace (a forged NEW) is a contradiction, and forgotten.
 */
static void
test_xcheck_short_stream(void **state)
{
	struct tp *t = *state;
	struct pipeline_stats st;
	size_t i;
	int inj = 0;

	tp_xc_begin(t);
	tp_feed(t, T(4), "650 CIRC 30 BUILT " PATH_EXIT1
	    " PURPOSE=GENERAL\n");
	tp_xc_stream50(t);
	tp_feed(t, T(7), STREAM_NEW("52", "33900"));
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 1);
	/* 49 closed already, 50 moved to 30 (its events on their way),
	 * 52 never existed. */
	tp_feed(t, T(8), "250+circuit-status=\n25 BUILT " PATH_EXIT0
	    " PURPOSE=CONFLUX_LINKED CONFLUX_ID=" CONFLUX_25 "\n30 BUILT "
	    PATH_EXIT1 " PURPOSE=GENERAL\n.\n250-stream-status=50 SENTCONNECT 30 "
	    "127.0.0.1:20180\n250 OK\n");
	tp_feed(t, T(9), "650 STREAM 49 CLOSED 25 127.0.0.1:20180"
	    " REASON=DONE\n");
	tp_feed(t, T(10), STREAM_ON("50", "DETACHED", "25"));
	tp_feed(t, T(11), STREAM_ON("50", "SENTCONNECT", "30"));
	pipeline_stats(t->p, &st);
	assert_int_equal(st.contradictions, 0);
	tp_feed(t, T(2500), "650 CIRC 26 LAUNCHED PURPOSE=GENERAL\n");
	pipeline_stats(t->p, &st);
	assert_int_equal(st.contradictions, 1);
	for (i = 0; i < t->nfnd; i++)
		if (t->fnd[i].rule == RULE_CONTROL_INJECTION) {
			inj++;
			assert_non_null(strstr(t->fnd[i].detail, "stream 52 "));
			assert_non_null(strstr(t->fnd[i].detail,
			    "Tor does not list it"));
		}
	assert_int_equal(inj, 1);
	/* The real finding is kept; 52 is gone from the model. */
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 1);
	tp_feed(t, T(2600), STREAM_ON("52", "SENTCONNECT", "25"));
	assert_int_equal(tp_count_rule(t, RULE_SHARED_CIRCUIT), 1);
}

int
main(void)
{
#define TP_TEST(f) cmocka_unit_test_setup_teardown(f, tp_setup, tp_teardown)
	const struct CMUnitTest tests[] = {
		TP_TEST(test_stream_life),
		TP_TEST(test_scrubbed_replays_the_same),
		TP_TEST(test_hint_other_stream),
		TP_TEST(test_circuits),
		TP_TEST(test_circuits_verbose),
		TP_TEST(test_shared_circuit),
		TP_TEST(test_shared_conflux_set),
		TP_TEST(test_same_app_no_finding),
		TP_TEST(test_one_program_two_ports),
		TP_TEST(test_application_exe_uid),
		TP_TEST(test_malformed_private),
		TP_TEST(test_injection_forged_tail),
		TP_TEST(test_profile_from_listeners),
		TP_TEST(test_profile_none_from_listeners),
		TP_TEST(test_application_scripts),
		TP_TEST(test_remote_programs),
		TP_TEST(test_credential_applications),
		TP_TEST(test_control_injection),
		TP_TEST(test_pre_attach),
		TP_TEST(test_new_session),
		TP_TEST(test_targets_hash),
		TP_TEST(test_targets_none),
		TP_TEST(test_targets_plain),
		TP_TEST(test_store_hashes_credentials),
		TP_TEST(test_store_row_after_reopen),
		TP_TEST(test_dump),
		TP_TEST(test_hostile_bytes),
		TP_TEST(test_observer_escapes_attribution),
		TP_TEST(test_viewer_extras),
		TP_TEST(test_malformed_counted),
		TP_TEST(test_dns_ports),
		TP_TEST(test_dns_one_port),
		TP_TEST(test_onion_hash),
		TP_TEST(test_onion_report_rows),
		TP_TEST(test_onion_none),
		TP_TEST(test_onion_plain),
		TP_TEST(test_xcheck_forged_closed),
		TP_TEST(test_xcheck_consistent),
		TP_TEST(test_unsure_rejection),
		TP_TEST(test_xcheck_short_stream),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
