/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_judge.c: SPEC.md's findings (judge.c), fed synthetic circuits,
 * streams and GETCONF SocksPort lines.  A collector copies every finding
 * the judge reports; each test checks exactly what was said: rule,
 * severity, circuit or listener, the identity pair, the JSON lists, count,
 * first/last seen, is_new and the detail line.
 */
#define ISOAUDIT_PRIVATE	/* the exports for tests (config.h) */
#include "testutil.h"

#include <malloc.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "judge.h"

#if defined(__SANITIZE_ADDRESS__)
#define TJ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TJ_ASAN 1
#endif
#endif
#ifdef TJ_ASAN
/* From libasan (sanitizer/allocator_interface.h, which gcc lacks). */
size_t	__sanitizer_get_current_allocated_bytes(void);
#endif

/* Exit relays: fingerprints (as the pipeline passes them, no '$'). */
#define FP1	"59A3C0DE112233445566778899AABBCCDDEEFF00"
#define FP2	"0851110344556677889900AABBCCDDEEFF112233"
#define FP3	"C0FFEE0011223344556677889900AABBCCDDEEFF"
#define FP4	"D00D00D011223344556677889900AABBCCDDEEFF"
#define CONFLUX_A "9E4A1B2C3D4E5F60718293A4B5C6D7E8"
#define CONFLUX_B "1111222233334444555566667777AAAA"

#define D_IDENT	"App D@localhost"
#define E_IDENT	"App E@localhost"
#define UNATTRIBUTED "unattributed (open before attach)"

/* Times are microseconds; T(s) is s seconds into the session. */
#define T0	1764000000000000LL
#define T(s)	(T0 + (int64_t)(s) * 1000000)

/* --- collecting findings ------------------------------------------------- */

struct got {
	enum rule_id	 rule;
	enum severity	 sev;
	uint64_t	 circ;
	char		*listener;
	char		*a;
	char		*b;
	char		*apps;
	char		*idents;
	char		*procs;
	char		*streams;
	long		 count;
	int64_t		 first;
	int64_t		 last;
	char		*detail;
	int		 is_new;
	char		*cause;
	char		*exit_fp;
	long		 occurrences;
	long		 cause_count;
};

struct coll {
	struct got	*g;
	size_t		 n, cap;
	int		 light;		/* long runs: count, keep nothing */
	size_t		 total;
	size_t		 nnew;
	size_t		 per_rule[RULE__COUNT];
	long		 last_count[RULE__COUNT];
	size_t		 count_jumps;	/* light: count != previous + 1 */
	char		 bad[256];	/* the first malformed finding */
};

static char *
sdup(const char *s)
{
	assert_non_null(s);
	return tu_memdup(s, strlen(s));
}

/* JSON array, every element valid. */
static int
json_array(const char *s)
{
	return s != NULL && s[0] == '[' && tu_json_valid(s, strlen(s), NULL);
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void
collect(const struct judge_finding *f, void *arg)
{
	struct coll *c = arg;
	struct got *g;

	c->total++;
	if (f->is_new)
		c->nnew++;
	if (c->bad[0] == '\0' && (f->listener == NULL || f->ident_a == NULL ||
	    f->ident_b == NULL || !json_array(f->apps) ||
	    !json_array(f->identities) || !json_array(f->processes) ||
	    !json_array(f->streams) || f->detail == NULL ||
	    !printable(f->detail) || f->count < 1 ||
	    f->first_seen > f->last_seen || f->cause == NULL ||
	    !printable(f->cause) || f->exit_fp == NULL ||
	    f->occurrences < 1 || f->cause_count < f->count))
		snprintf(c->bad, sizeof c->bad, "malformed %s: apps %s "
		    "identities %s processes %s streams %s detail \"%s\"",
		    rule_name(f->rule), f->apps ? f->apps : "NULL",
		    f->identities ? f->identities : "NULL",
		    f->processes ? f->processes : "NULL",
		    f->streams ? f->streams : "NULL",
		    f->detail ? f->detail : "NULL");
	if (c->light) {
		if (f->count != c->last_count[f->rule] + 1)
			c->count_jumps++;
		c->per_rule[f->rule]++;
		c->last_count[f->rule] = f->count;
		return;
	}
	c->g = tu_grow(c->g, &c->cap, c->n, sizeof *c->g);
	g = &c->g[c->n++];
	g->rule = f->rule;
	g->sev = f->severity;
	g->circ = f->circ_id;
	g->listener = sdup(f->listener);
	g->a = sdup(f->ident_a);
	g->b = sdup(f->ident_b);
	g->apps = sdup(f->apps);
	g->idents = sdup(f->identities);
	g->procs = sdup(f->processes);
	g->streams = sdup(f->streams);
	g->count = f->count;
	g->first = f->first_seen;
	g->last = f->last_seen;
	g->detail = sdup(f->detail);
	g->is_new = f->is_new;
	g->cause = sdup(f->cause);
	g->exit_fp = sdup(f->exit_fp);
	g->occurrences = f->occurrences;
	g->cause_count = f->cause_count;
}

static void
coll_clear(struct coll *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct got *g = &c->g[i];

		free(g->listener);
		free(g->a);
		free(g->b);
		free(g->cause);
		free(g->exit_fp);
		free(g->apps);
		free(g->idents);
		free(g->procs);
		free(g->streams);
		free(g->detail);
	}
	free(c->g);
	c->g = NULL;
	c->n = c->cap = 0;
}

/* Emissions of one rule. */
static size_t
nrule(const struct coll *c, enum rule_id r)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		if (c->g[i].rule == r)
			n++;
	return n;
}

/* The k-th emission of a rule (from 0). */
static const struct got *
nth(const struct coll *c, enum rule_id r, size_t k)
{
	size_t i, left = k;

	for (i = 0; i < c->n; i++)
		if (c->g[i].rule == r && left-- == 0)
			return &c->g[i];
	fail_msg("no %s finding #%zu (%zu findings in all)", rule_name(r),
	    k, c->n);
	return NULL;
}

static void
dump(const struct coll *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		print_message("  %s %s circ %llu [%s] %s | %s count %ld "
		    "new %d: %s\n", rule_name(c->g[i].rule),
		    severity_name(c->g[i].sev),
		    (unsigned long long)c->g[i].circ, c->g[i].listener,
		    c->g[i].a, c->g[i].b, c->g[i].count, c->g[i].is_new,
		    c->g[i].detail);
}

/* Exactly n findings were reported so far. */
#define assert_findings(t, want) do {					\
	if ((t)->c.n != (size_t)(want)) {				\
		dump(&(t)->c);						\
		fail_msg("%zu findings, want %zu", (t)->c.n,		\
		    (size_t)(want));					\
	}								\
} while (0)

struct want {
	enum rule_id	 rule;
	enum severity	 sev;
	uint64_t	 circ;
	const char	*listener;
	const char	*a;
	const char	*b;
	const char	*apps;
	const char	*idents;
	const char	*procs;
	const char	*streams;
	long		 count;
	int64_t		 first;
	int64_t		 last;
	int		 is_new;
	const char	*detail;
};

#define CHECK_STR(field, w) do {					\
	if (strcmp(g->field, (w)) != 0)					\
		fail_msg("%s %s:\n got  \"%s\"\n want \"%s\"",		\
		    rule_name(g->rule), #field, g->field, (w));		\
} while (0)

static void
check(const struct got *g, const struct want *w)
{
	if (g->rule != w->rule)
		fail_msg("rule %s, want %s", rule_name(g->rule),
		    rule_name(w->rule));
	if (g->sev != w->sev)
		fail_msg("%s: severity %s, want %s", rule_name(g->rule),
		    severity_name(g->sev), severity_name(w->sev));
	if (g->circ != w->circ)
		fail_msg("%s: circuit %llu, want %llu", rule_name(g->rule),
		    (unsigned long long)g->circ, (unsigned long long)w->circ);
	CHECK_STR(listener, w->listener);
	CHECK_STR(a, w->a);
	CHECK_STR(b, w->b);
	CHECK_STR(apps, w->apps);
	CHECK_STR(idents, w->idents);
	CHECK_STR(procs, w->procs);
	CHECK_STR(streams, w->streams);
	if (g->count != w->count)
		fail_msg("%s: count %ld, want %ld", rule_name(g->rule),
		    g->count, w->count);
	assert_int_equal(g->first, w->first);
	assert_int_equal(g->last, w->last);
	if (g->is_new != w->is_new)
		fail_msg("%s: is_new %d, want %d", rule_name(g->rule),
		    g->is_new, w->is_new);
	CHECK_STR(detail, w->detail);
}

/* --- the fixture --------------------------------------------------------- */

struct jt {
	struct config	 cfg;
	struct coll	 c;
	struct judge	*j;
};

static int
jt_setup(void **state)
{
	struct jt *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	config_defaults(&t->cfg);
	t->j = judge_new(&t->cfg, collect, &t->c);
	*state = t;
	return 0;
}

static int
jt_teardown(void **state)
{
	struct jt *t = *state;
	int rc = 0;

	if (t->c.bad[0] != '\0') {
		print_error("%s\n", t->c.bad);
		rc = -1;
	}
	judge_free(t->j);
	coll_clear(&t->c);
	config_free(&t->cfg);
	free(t);
	return rc;
}

/* A new judge over a config file with text (over the built-in map). */
static void
jt_config(struct jt *t, const char *text)
{
	char path[] = "/tmp/isoaudit-judge.XXXXXX", *cause = NULL;
	size_t n = strlen(text);
	int fd = mkstemp(path), rc;

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	judge_free(t->j);
	t->j = NULL;
	config_free(&t->cfg);
	rc = config_load(&t->cfg, path, &cause);
	unlink(path);
	if (rc != 0)
		fail_msg("config refused: %s", cause);
	t->j = judge_new(&t->cfg, collect, &t->c);
}

/*
 * The application the pipeline names for a local process: its program on
 * its host, escaped (the pipeline's own test shows the executable and
 * uid; here the name stands for them).  Kept in a ring: judge_stream_new
 * copies it.
 */
static const char *
app_of(const char *process)
{
	static char ring[16][64];
	static unsigned k;
	char *r = ring[k++ % 16];
	struct buf b;

	buf_init(&b);
	buf_escape(&b, process, strlen(process));
	snprintf(r, sizeof ring[0], "%s@localhost", buf_cstr(&b));
	buf_free(&b);
	return r;
}

/* The stream comes from another process (pid 0: none known). */
static void
set_prog(struct judge_stream *s, long pid, const char *process)
{
	s->pid = pid;
	s->process = process;
	s->app = process != NULL && pid > 0 ? app_of(process) : NULL;
}

/* A stream of label on listener from a local process. */
static struct judge_stream
js_make(uint64_t id, const char *ident, const char *label,
    const char *listener, long pid, const char *process)
{
	struct judge_stream s;

	memset(&s, 0, sizeof s);
	s.id = id;
	s.ident = ident;
	s.label = label;
	s.listener = listener;
	set_prog(&s, pid, process);
	s.host = "localhost";
	s.protocol = "SOCKS5";
	s.client_addr = "127.0.0.1";
	s.target_addr = "example.com";
	s.target_port = 443;
	s.session_group = -4;
	return s;
}

static struct judge_stream
app_d(uint64_t id)
{
	return js_make(id, D_IDENT, "App D", "127.0.0.1:9152", 4242, "curl");
}

static struct judge_stream
app_e(uint64_t id)
{
	struct judge_stream s = js_make(id, E_IDENT, "App E",
	    "127.0.0.1:9153", 4243, "wget");

	s.session_group = -5;
	return s;
}

static struct judge_stream
unattributed(uint64_t id)
{
	struct judge_stream s;

	memset(&s, 0, sizeof s);
	s.id = id;
	s.ident = UNATTRIBUTED;
	s.label = UNATTRIBUTED;
	s.unattributed = 1;
	return s;
}

/* Tor's default isolation: CLIENTADDR, SOCKSAUTH, SESSIONGROUP, NYM_EPOCH. */
static unsigned
iso_default(void)
{
	static const char *const f[] = { "CLIENTADDR", "SOCKS_USERNAME",
	    "SOCKS_PASSWORD", "SESSION_GROUP", "NYM_EPOCH" };

	return judge_iso_bits(f, TU_NELEM(f));
}

static void
with_iso(struct judge_stream *s, unsigned iso)
{
	s->has_iso = 1;
	s->iso = iso;
}

static void
circ_built(struct jt *t, uint64_t id, const char *conflux, const char *fp,
    const char *nick)
{
	judge_circuit(t->j, id, conflux, fp, nick, 0);
}

static void
circ_closed(struct jt *t, uint64_t id)
{
	judge_circuit(t->j, id, NULL, NULL, NULL, 1);
}

/* NEW, then attached (SENTCONNECT) at the same time. */
static void
open_on(struct jt *t, const struct judge_stream *s, uint64_t circ,
    int64_t ts)
{
	judge_stream_new(t->j, s, ts);
	judge_attach(t->j, s->id, circ, ts);
}

#define PROCS_DE "[{\"pid\": 4242, \"name\": \"curl\"}, " \
	"{\"pid\": 4243, \"name\": \"wget\"}]"

/* --- ISO_FIELDS ---------------------------------------------------------- */

static void
test_iso_bits(void **state)
{
	static const char *const all[] = { "DESTPORT", "DESTADDR",
	    "SOCKS_USERNAME", "SOCKS_PASSWORD", "CLIENT_PROTOCOL",
	    "CLIENTADDR", "SESSION_GROUP", "NYM_EPOCH" };
	static const char *const odd[] = { "destaddr", "FUTURE_FIELD", "",
	    "SESSION_GROUP", "SESSION_GROUP" };

	(void)state;
	assert_int_equal(judge_iso_bits(all, TU_NELEM(all)), 0xff);
	assert_int_equal(judge_iso_bits(all, 1), ISO_DESTPORT);
	assert_int_equal(judge_iso_bits(NULL, 0), 0);
	/* Unknown names (and other cases) are ignored, repeats count once. */
	assert_int_equal(judge_iso_bits(odd, TU_NELEM(odd)),
	    ISO_SESSION_GROUP);
	assert_int_equal(iso_default(), ISO_CLIENTADDR | ISO_SOCKS_USERNAME |
	    ISO_SOCKS_PASSWORD | ISO_SESSION_GROUP | ISO_NYM_EPOCH);
}

/* --- SHARED_CIRCUIT ------------------------------------------------------ */

static void
test_shared_circuit(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 10, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 10, T(1));
	assert_findings(t, 0);
	s = app_e(2);
	open_on(t, &s, 10, T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 10,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 10 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });

	/* A third stream of either: the same finding, counted. */
	s = app_d(3);
	open_on(t, &s, 10, T(3));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 10,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\", \"3\"]",
	    .count = 2, .first = T(2), .last = T(3), .is_new = 0,
	    .detail = "App E@localhost and App D@localhost shared exit "
	    "circuit 10 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });
	s = app_e(4);
	open_on(t, &s, 10, T(4));
	assert_findings(t, 3);
	assert_int_equal(t->c.g[2].count, 3);
	assert_int_equal(t->c.g[2].is_new, 0);
	assert_string_equal(t->c.g[2].streams, "[\"1\", \"2\", \"3\", \"4\"]");

	/* The same identity twice on another circuit: nothing. */
	circ_built(t, 11, NULL, FP2, "exit2");
	s = app_d(5);
	open_on(t, &s, 11, T(5));
	s = app_d(6);
	open_on(t, &s, 11, T(6));
	assert_findings(t, 3);
	assert_int_equal(nrule(&t->c, RULE_SHARED_EXIT), 0);
}

/* The pair is sorted whoever came first; apps keep the order of arrival. */
static void
test_shared_circuit_order(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 12, NULL, FP1, "exit1");
	s = app_e(7);
	open_on(t, &s, 12, T(1));
	s = app_d(8);
	open_on(t, &s, 12, T(2));
	/* A third identity: one finding per pair. */
	s = js_make(9, "IRC@localhost", "IRC", "127.0.0.1:9101", 0, NULL);
	open_on(t, &s, 12, T(3));
	assert_findings(t, 3);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 12,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App E\", \"App D\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = "[{\"pid\": 4243, \"name\": \"wget\"}, "
	    "{\"pid\": 4242, \"name\": \"curl\"}]",
	    .streams = "[\"7\", \"8\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App E@localhost and App D@localhost shared exit "
	    "circuit 12 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 12,
	    .listener = "", .a = E_IDENT, .b = "IRC@localhost",
	    .apps = "[\"App E\", \"IRC\"]",
	    .idents = "[\"App E@localhost\", \"IRC@localhost\"]",
	    .procs = "[{\"pid\": 4243, \"name\": \"wget\"}]",
	    .streams = "[\"7\", \"9\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "App E@localhost and IRC@localhost shared exit "
	    "circuit 12 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });
	assert_string_equal(t->c.g[2].a, D_IDENT);
	assert_string_equal(t->c.g[2].b, "IRC@localhost");
	assert_int_equal(t->c.g[2].is_new, 1);
}

/*
 * A process a workstation agent claimed is marked so in the finding
 * ("claim": the agent's word, not seen by this host); one seen here is
 * not.  A name with odd bytes stays one entry.
 */
static void
test_claimed_process(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 12, NULL, FP1, "exit1");
	s = app_d(7);
	s.process = "ws\x1e" "curl";
	s.claim = "agent:ws1";
	open_on(t, &s, 12, T(1));
	s = app_e(8);
	open_on(t, &s, 12, T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 12,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = "[{\"pid\": 4242, \"name\": \"ws\\\\x1ecurl\", "
	    "\"claim\": \"agent:ws1\"}, {\"pid\": 4243, \"name\": \"wget\"}]",
	    .streams = "[\"7\", \"8\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 12 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });
}

/* Two legs of one conflux set are one exit circuit. */
static void
test_conflux_same_set(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 20, CONFLUX_A, FP1, "exit1");
	circ_built(t, 21, CONFLUX_A, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 20, T(1));
	assert_findings(t, 0);
	s = app_e(2);
	open_on(t, &s, 21, T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 21,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 21 (exit exit1 $59A3C0DE), conflux set 9E4A1B2C: the "
	    "exit can link them to one pseudonym" });
	/* Not SHARED_EXIT as well: it is one circuit for our purposes. */
	assert_int_equal(nrule(&t->c, RULE_SHARED_EXIT), 0);

	/* One leg closes: the set lives on in the other. */
	circ_closed(t, 20);
	s = app_e(3);
	open_on(t, &s, 21, T(3));
	assert_findings(t, 2);
	assert_int_equal(t->c.g[1].count, 2);
	assert_int_equal(t->c.g[1].is_new, 0);
	/* Both closed: a new set with the same id starts afresh. */
	circ_closed(t, 21);
	circ_built(t, 22, CONFLUX_A, FP1, "exit1");
	s = app_d(4);
	open_on(t, &s, 22, T(4));
	assert_findings(t, 2);
}

static void
test_conflux_other_sets(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 20, CONFLUX_A, FP1, "exit1");
	circ_built(t, 21, CONFLUX_B, FP2, "exit2");
	/* And a plain circuit beside them. */
	circ_built(t, 22, NULL, FP3, "exit3");
	s = app_d(1);
	open_on(t, &s, 20, T(1));
	s = app_e(2);
	open_on(t, &s, 21, T(2));
	s = js_make(3, "IRC@localhost", "IRC", "127.0.0.1:9101", 0, NULL);
	open_on(t, &s, 22, T(3));
	assert_findings(t, 0);
}

/* CONFLUX_ID told after a stream was attached: what it knew goes along. */
static void
test_conflux_told_late(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 30, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 30, T(1));
	circ_built(t, 30, CONFLUX_A, NULL, NULL);
	circ_built(t, 31, CONFLUX_A, FP1, "exit1");
	s = app_e(2);
	open_on(t, &s, 31, T(2));
	assert_findings(t, 1);
	assert_int_equal(t->c.g[0].rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(t->c.g[0].circ, 31);
	assert_string_equal(t->c.g[0].streams, "[\"1\", \"2\"]");
	/* A second CONFLUX_ID for a circuit does not move it again. */
	circ_built(t, 31, CONFLUX_B, NULL, NULL);
	s = js_make(3, "IRC@localhost", "IRC", "127.0.0.1:9101", 0, NULL);
	open_on(t, &s, 30, T(3));
	assert_findings(t, 3);
	assert_string_equal(nth(&t->c, RULE_SHARED_CIRCUIT, 1)->detail,
	    "App D@localhost and IRC@localhost shared exit circuit 30 (exit "
	    "exit1 $59A3C0DE), conflux set 9E4A1B2C: the exit can link them "
	    "to one pseudonym");
}

/* A circuit closed and its id used again is a new circuit. */
static void
test_circuit_id_reused(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 40, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 40, T(1));
	judge_stream_closed(t->j, 1);
	circ_closed(t, 40);
	circ_built(t, 40, NULL, FP2, "exit2");
	s = app_e(2);
	open_on(t, &s, 40, T(2));
	assert_findings(t, 0);
	/* The new circuit's exit is the one described. */
	s = app_d(3);
	open_on(t, &s, 40, T(3));
	assert_findings(t, 1);
	assert_string_equal(t->c.g[0].detail, "App E@localhost and "
	    "App D@localhost shared exit circuit 40 (exit exit2 $08511103): "
	    "the exit can link them to one pseudonym");
	assert_string_equal(t->c.g[0].streams, "[\"2\", \"3\"]");
}

/* --- CONTROLLER_ATTACH --------------------------------------------------- */

/* Two listeners (own session groups) on one circuit. */
static void
test_controller_attach_groups(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 40, NULL, FP1, "exit1");
	s = app_d(1);
	with_iso(&s, iso_default());
	open_on(t, &s, 40, T(1));
	s = app_e(2);
	with_iso(&s, iso_default());
	open_on(t, &s, 40, T(2));
	assert_findings(t, 2);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_CONTROLLER_ATTACH, .sev = SEV_CRITICAL, .circ = 40,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "stream 2 of App E@localhost is on circuit 40 (exit "
	    "exit1 $59A3C0DE), which Tor's own isolation would have refused it "
	    "(its session group differs from the circuit's first stream, of "
	    "App D@localhost): a controller attached it" });
	assert_int_equal(t->c.g[1].rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(t->c.g[1].circ, 40);

	/* Another stream of E: both findings counted, none new. */
	s = app_e(3);
	with_iso(&s, iso_default());
	open_on(t, &s, 40, T(3));
	assert_findings(t, 4);
	check(&t->c.g[2], &(struct want){
	    .rule = RULE_CONTROLLER_ATTACH, .sev = SEV_CRITICAL, .circ = 40,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\", \"3\"]",
	    .count = 2, .first = T(2), .last = T(3), .is_new = 0,
	    .detail = "stream 3 of App E@localhost is on circuit 40 (exit "
	    "exit1 $59A3C0DE), which Tor's own isolation would have refused it "
	    "(its session group differs from the circuit's first stream, of "
	    "App D@localhost): a controller attached it" });
	assert_int_equal(t->c.g[3].rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(t->c.g[3].count, 2);
}

/* SessionGroup=42 on both ports (the D/E capture): Tor itself allows it. */
static void
test_controller_attach_session_group(void **state)
{
	static const char *const f[] = { "CLIENTADDR", "SESSION_GROUP",
	    "NYM_EPOCH" };
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 79, NULL, FP1, "exit1");
	s = app_d(144);
	with_iso(&s, judge_iso_bits(f, TU_NELEM(f)));
	s.session_group = 42;
	s.target_addr = "d.example";
	open_on(t, &s, 79, T(1));
	s = app_e(145);
	with_iso(&s, judge_iso_bits(f, TU_NELEM(f)));
	s.session_group = 42;
	s.target_addr = "e.example";
	s.target_port = 80;
	s.socks_user = "someone";
	s.socks_user_len = 7;
	open_on(t, &s, 79, T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 79,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"144\", \"145\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 79 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });

	/* A third client address on the group: Tor would refuse that one. */
	s = js_make(146, "App F@workstation", "App F", "10.152.152.10:9154",
	    0, NULL);
	s.host = "workstation";
	s.client_addr = "10.152.152.11";
	s.session_group = 42;
	with_iso(&s, judge_iso_bits(f, TU_NELEM(f)));
	open_on(t, &s, 79, T(3));
	assert_int_equal(nrule(&t->c, RULE_CONTROLLER_ATTACH), 1);
	assert_string_equal(nth(&t->c, RULE_CONTROLLER_ATTACH, 0)->detail,
	    "stream 146 of App F@workstation is on circuit 79 (exit exit1 "
	    "$59A3C0DE), which Tor's own isolation would have refused it (its "
	    "client address differs from the circuit's first stream, of "
	    "App D@localhost): a controller attached it");
	assert_string_equal(nth(&t->c, RULE_CONTROLLER_ATTACH, 0)->procs,
	    "[{\"pid\": 4242, \"name\": \"curl\"}]");
}

/* IsolateDestAddr: one application, two targets, one circuit. */
static void
test_controller_attach_destaddr(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	const char *ident = "custom 9160 (IsolateDestAddr)@localhost";

	circ_built(t, 41, NULL, FP1, "exit1");
	s = js_make(1, ident, "custom 9160 (IsolateDestAddr)",
	    "127.0.0.1:9160", 500, "app");
	with_iso(&s, iso_default() | ISO_DESTADDR);
	s.target_addr = "a.example";
	open_on(t, &s, 41, T(1));
	/* Same address, other port (not isolated on): fine. */
	s.id = 2;
	s.target_port = 80;
	open_on(t, &s, 41, T(2));
	assert_findings(t, 0);
	s.id = 3;
	s.target_addr = "b.example";
	open_on(t, &s, 41, T(3));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_CONTROLLER_ATTACH, .sev = SEV_CRITICAL, .circ = 41,
	    .listener = "", .a = ident, .b = ident,
	    .apps = "[\"custom 9160 (IsolateDestAddr)\"]",
	    .idents = "[\"custom 9160 (IsolateDestAddr)@localhost\"]",
	    .procs = "[{\"pid\": 500, \"name\": \"app\"}]",
	    .streams = "[\"1\", \"3\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "stream 3 of custom 9160 (IsolateDestAddr)@localhost is "
	    "on circuit 41 (exit exit1 $59A3C0DE), which Tor's own isolation "
	    "would have refused it (its destination address differs from the "
	    "circuit's first stream, of custom 9160 (IsolateDestAddr)@localhost"
	    "): a controller attached it" });

	/* DESTPORT on another port's circuit. */
	circ_built(t, 42, NULL, FP2, "exit2");
	s = js_make(4, "custom 9170 (IsolateDestPort)@localhost",
	    "custom 9170 (IsolateDestPort)", "127.0.0.1:9170", 0, NULL);
	with_iso(&s, iso_default() | ISO_DESTPORT);
	open_on(t, &s, 42, T(4));
	s.id = 5;
	s.target_port = 8443;
	open_on(t, &s, 42, T(5));
	assert_findings(t, 2);
	assert_int_equal(t->c.g[1].rule, RULE_CONTROLLER_ATTACH);
	assert_non_null(strstr(t->c.g[1].detail, "(its destination port "
	    "differs"));
	/* CLIENT_PROTOCOL. */
	circ_built(t, 43, NULL, FP3, "exit3");
	s = js_make(6, "custom 9152@localhost", "custom 9152",
	    "127.0.0.1:9152", 0, NULL);
	with_iso(&s, iso_default() | ISO_CLIENT_PROTOCOL);
	open_on(t, &s, 43, T(6));
	s.id = 7;
	s.protocol = "SOCKS4";
	open_on(t, &s, 43, T(7));
	assert_findings(t, 3);
	assert_non_null(strstr(t->c.g[2].detail, "(its client protocol "
	    "differs"));
}

/* IsolateSOCKSAuth: Tor Browser's first-party sites. */
static void
test_controller_attach_socks_username(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	const char *ia = "Tor Browser@localhost/h:aaaaaaaaaaaa";
	const char *ib = "Tor Browser@localhost/h:bbbbbbbbbbbb";

	circ_built(t, 50, NULL, FP1, "exit1");
	s = js_make(1, ia, "Tor Browser", "127.0.0.1:9150", 900, "firefox");
	with_iso(&s, iso_default());
	s.socks_user = "site-a.example";
	s.socks_user_len = 14;
	s.socks_pass = "0";
	s.socks_pass_len = 1;
	open_on(t, &s, 50, T(1));
	/* The same site again: no finding. */
	s.id = 2;
	open_on(t, &s, 50, T(2));
	assert_findings(t, 0);
	/* Another site on the same circuit: a controller did it. */
	s.id = 3;
	s.ident = ib;
	s.socks_user = "site-b.example";
	open_on(t, &s, 50, T(3));
	assert_findings(t, 2);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_CONTROLLER_ATTACH, .sev = SEV_CRITICAL, .circ = 50,
	    .listener = "", .a = ia, .b = ib,
	    .apps = "[\"Tor Browser\"]",
	    .idents = "[\"Tor Browser@localhost/h:aaaaaaaaaaaa\", "
	    "\"Tor Browser@localhost/h:bbbbbbbbbbbb\"]",
	    .procs = "[{\"pid\": 900, \"name\": \"firefox\"}]",
	    .streams = "[\"1\", \"3\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "stream 3 of Tor Browser@localhost/h:bbbbbbbbbbbb is on "
	    "circuit 50 (exit exit1 $59A3C0DE), which Tor's own isolation "
	    "would have refused it (its SOCKS username differs from the "
	    "circuit's first stream, of Tor Browser@localhost/h:aaaaaaaaaaaa): "
	    "a controller attached it" });
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 50,
	    .listener = "", .a = ia, .b = ib,
	    .apps = "[\"Tor Browser\"]",
	    .idents = "[\"Tor Browser@localhost/h:aaaaaaaaaaaa\", "
	    "\"Tor Browser@localhost/h:bbbbbbbbbbbb\"]",
	    .procs = "[{\"pid\": 900, \"name\": \"firefox\"}]",
	    .streams = "[\"1\", \"3\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "Tor Browser@localhost/h:aaaaaaaaaaaa and "
	    "Tor Browser@localhost/h:bbbbbbbbbbbb shared exit circuit 50 (exit "
	    "exit1 $59A3C0DE): the exit can link them to one pseudonym" });

	/* Raw bytes: a NUL inside is part of the name, lengths count. */
	circ_built(t, 51, NULL, FP2, "exit2");
	s = js_make(4, ia, "Tor Browser", "127.0.0.1:9150", 900, "firefox");
	with_iso(&s, iso_default());
	s.socks_user = "a\0b";
	s.socks_user_len = 3;
	open_on(t, &s, 51, T(4));
	s.id = 5;
	s.socks_user = "a\0b";	/* another copy, same bytes */
	open_on(t, &s, 51, T(5));
	assert_findings(t, 2);
	s.id = 6;
	s.socks_user = "a\0c";
	open_on(t, &s, 51, T(6));
	assert_findings(t, 3);
	assert_int_equal(t->c.g[2].rule, RULE_CONTROLLER_ATTACH);
	assert_non_null(strstr(t->c.g[2].detail, "(its SOCKS username "));
	s.id = 7;
	s.socks_user = "a";
	s.socks_user_len = 1;
	open_on(t, &s, 51, T(7));
	assert_findings(t, 4);
	assert_int_equal(t->c.g[3].count, 2);
	/* No username at all against one. */
	s.id = 8;
	s.socks_user = NULL;
	s.socks_user_len = 0;
	open_on(t, &s, 51, T(8));
	assert_findings(t, 5);
	/* Same username, other password: SOCKS_PASSWORD. */
	circ_built(t, 52, NULL, FP3, "exit3");
	s = js_make(9, ia, "Tor Browser", "127.0.0.1:9150", 900, "firefox");
	with_iso(&s, iso_default());
	s.socks_user = "u";
	s.socks_user_len = 1;
	s.socks_pass = "p1";
	s.socks_pass_len = 2;
	open_on(t, &s, 52, T(9));
	s.id = 10;
	s.socks_pass = "p2";
	open_on(t, &s, 52, T(10));
	assert_findings(t, 6);
	assert_non_null(strstr(t->c.g[5].detail, "(its SOCKS password "));
	/* Without SOCKS_USERNAME in ISO_FIELDS the username is not compared. */
	circ_built(t, 53, NULL, FP4, "exit4");
	s = js_make(11, "curl@localhost", "curl", "127.0.0.1:9117", 0, NULL);
	with_iso(&s, ISO_CLIENTADDR | ISO_SESSION_GROUP | ISO_NYM_EPOCH);
	s.socks_user = "x";
	s.socks_user_len = 1;
	open_on(t, &s, 53, T(11));
	s.id = 12;
	s.socks_user = "y";
	open_on(t, &s, 53, T(12));
	assert_findings(t, 6);
}

/* A stream without ISO_FIELDS cannot be judged against Tor's rules. */
static void
test_controller_attach_no_iso(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 60, NULL, FP1, "exit1");
	s = app_d(1);
	with_iso(&s, iso_default());
	open_on(t, &s, 60, T(1));
	s = app_e(2);		/* has_iso 0, another group */
	open_on(t, &s, 60, T(2));
	assert_findings(t, 1);
	assert_int_equal(t->c.g[0].rule, RULE_SHARED_CIRCUIT);

	/* The other way round: the new stream's own fields decide. */
	circ_built(t, 61, NULL, FP2, "exit2");
	s = app_d(3);
	open_on(t, &s, 61, T(3));
	s = app_e(4);
	with_iso(&s, iso_default());
	open_on(t, &s, 61, T(4));
	assert_findings(t, 3);
	assert_int_equal(t->c.g[1].rule, RULE_CONTROLLER_ATTACH);
	assert_int_equal(t->c.g[2].rule, RULE_SHARED_CIRCUIT);
}

/* --- NYM_EPOCH_REUSE ----------------------------------------------------- */

static void
test_nym_epoch_reuse(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 50, NULL, FP1, "exit1");
	circ_built(t, 51, NULL, FP2, "exit2");
	s = app_d(1);
	open_on(t, &s, 50, T(1));
	s = app_d(2);
	s.nym_epoch = 1;
	open_on(t, &s, 50, T(20));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_NYM_EPOCH_REUSE, .sev = SEV_CRITICAL, .circ = 50,
	    .listener = "", .a = D_IDENT, .b = "",
	    .apps = "[\"App D\"]", .idents = "[\"App D@localhost\"]",
	    .procs = "[{\"pid\": 4242, \"name\": \"curl\"}]",
	    .streams = "[\"2\"]",
	    .count = 1, .first = T(20), .last = T(20), .is_new = 1,
	    .detail = "stream 2 of App D@localhost (nym epoch 1) is on circuit "
	    "50 (exit exit1 $59A3C0DE), first used in epoch 0: NEWNYM did not "
	    "separate it from earlier activity" });

	/* Epoch 1 on a fresh circuit: that is what NEWNYM is for. */
	s = app_d(3);
	s.nym_epoch = 1;
	open_on(t, &s, 51, T(21));
	s = app_d(4);
	s.nym_epoch = 1;
	open_on(t, &s, 51, T(22));
	assert_findings(t, 1);

	/* A later epoch again on the old circuit: counted. */
	s = app_d(5);
	s.nym_epoch = 2;
	open_on(t, &s, 50, T(40));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_NYM_EPOCH_REUSE, .sev = SEV_CRITICAL, .circ = 50,
	    .listener = "", .a = D_IDENT, .b = "",
	    .apps = "[\"App D\"]", .idents = "[\"App D@localhost\"]",
	    .procs = "[{\"pid\": 4242, \"name\": \"curl\"}]",
	    .streams = "[\"2\", \"5\"]",
	    .count = 2, .first = T(20), .last = T(40), .is_new = 0,
	    .detail = "stream 5 of App D@localhost (nym epoch 2) is on circuit "
	    "50 (exit exit1 $59A3C0DE), first used in epoch 0: NEWNYM did not "
	    "separate it from earlier activity" });
	/* An earlier epoch than the circuit's first is not this rule. */
	s = app_d(6);
	s.nym_epoch = 0;
	open_on(t, &s, 51, T(41));
	assert_findings(t, 2);
}

/* With ISO_FIELDS the epoch is Tor's isolation too: both rules speak. */
static void
test_nym_epoch_reuse_iso(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 52, NULL, FP1, "exit1");
	s = app_d(1);
	with_iso(&s, iso_default());
	open_on(t, &s, 52, T(1));
	s = app_d(2);
	with_iso(&s, iso_default());
	s.nym_epoch = 1;
	open_on(t, &s, 52, T(2));
	assert_findings(t, 2);
	assert_int_equal(t->c.g[0].rule, RULE_CONTROLLER_ATTACH);
	assert_string_equal(t->c.g[0].a, D_IDENT);
	assert_string_equal(t->c.g[0].b, D_IDENT);
	assert_non_null(strstr(t->c.g[0].detail, "(its nym epoch differs"));
	assert_int_equal(t->c.g[1].rule, RULE_NYM_EPOCH_REUSE);
}

/* --- SHARED_PORT_PROCESSES ----------------------------------------------- */

static struct judge_stream
port_user(uint64_t id, long pid, const char *process)
{
	return js_make(id, "custom 9152@localhost", "custom 9152",
	    "127.0.0.1:9152", pid, process);
}

static void
test_port_processes(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	s = port_user(1, 100, "curl");
	judge_stream_new(t->j, &s, T(0));
	assert_findings(t, 0);
	s = port_user(2, 200, "wget");
	judge_stream_new(t->j, &s, T(5));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_PORT_PROCESSES, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9152",
	    .a = "curl@localhost", .b = "wget@localhost",
	    .apps = "[\"custom 9152\"]",
	    .idents = "[\"curl@localhost\", \"wget@localhost\"]",
	    .procs = "[{\"pid\": 100, \"name\": \"curl\"}, "
	    "{\"pid\": 200, \"name\": \"wget\"}]",
	    .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(5), .last = T(5), .is_new = 1,
	    .detail = "curl@localhost and wget@localhost used "
	    "listener 127.0.0.1:9152 (custom 9152) with equal isolation "
	    "keys: Tor may put them on one circuit; give each program its "
	    "own SocksPort or its own SOCKS credentials" });

	/* A third process: its own pair, sorted (aria2c < curl). */
	s = port_user(3, 300, "aria2c");
	judge_stream_new(t->j, &s, T(6));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_PORT_PROCESSES, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9152",
	    .a = "aria2c@localhost", .b = "curl@localhost",
	    .apps = "[\"custom 9152\"]",
	    .idents = "[\"aria2c@localhost\", \"curl@localhost\"]",
	    .procs = "[{\"pid\": 100, \"name\": \"curl\"}, "
	    "{\"pid\": 300, \"name\": \"aria2c\"}]",
	    .streams = "[\"1\", \"3\"]",
	    .count = 1, .first = T(6), .last = T(6), .is_new = 1,
	    .detail = "curl@localhost and aria2c@localhost used "
	    "listener 127.0.0.1:9152 (custom 9152) with equal isolation "
	    "keys: Tor may put them on one circuit; give each program its "
	    "own SocksPort or its own SOCKS credentials" });
	/* wget again: the first pair, counted. */
	s = port_user(4, 200, "wget");
	judge_stream_new(t->j, &s, T(7));
	assert_findings(t, 3);
	check(&t->c.g[2], &(struct want){
	    .rule = RULE_SHARED_PORT_PROCESSES, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9152",
	    .a = "curl@localhost", .b = "wget@localhost",
	    .apps = "[\"custom 9152\"]",
	    .idents = "[\"curl@localhost\", \"wget@localhost\"]",
	    .procs = "[{\"pid\": 100, \"name\": \"curl\"}, "
	    "{\"pid\": 200, \"name\": \"wget\"}]",
	    .streams = "[\"1\", \"2\", \"4\"]",
	    .count = 2, .first = T(5), .last = T(7), .is_new = 0,
	    .detail = "curl@localhost and wget@localhost used "
	    "listener 127.0.0.1:9152 (custom 9152) with equal isolation "
	    "keys: Tor may put them on one circuit; give each program its "
	    "own SocksPort or its own SOCKS credentials" });
	/* Another listener has its own memory. */
	s = js_make(5, "custom 9153@localhost", "custom 9153",
	    "127.0.0.1:9153", 200, "wget");
	judge_stream_new(t->j, &s, T(8));
	assert_findings(t, 3);
	/* The same credentials (not empty) are no distinction either. */
	judge_reset(t->j);
	s = port_user(6, 100, "curl");
	s.socks_user = "x";
	s.socks_user_len = 1;
	s.socks_pass = "y";
	s.socks_pass_len = 1;
	judge_stream_new(t->j, &s, T(9));
	s.id = 7;
	set_prog(&s, 200, "wget");
	judge_stream_new(t->j, &s, T(10));
	assert_findings(t, 4);
	assert_int_equal(t->c.g[3].rule, RULE_SHARED_PORT_PROCESSES);
	/* The same pair on that listener: the cause is known, the
	 * occurrence (this Tor session) is new. */
	assert_int_equal(t->c.g[3].is_new, 0);
	assert_int_equal(t->c.g[3].count, 1);
	assert_string_equal(t->c.g[3].streams, "[\"6\", \"7\"]");
	/* Exactly 600 s apart is still "within 10 minutes". */
	judge_reset(t->j);
	s = port_user(8, 100, "curl");
	judge_stream_new(t->j, &s, T(100));
	s = port_user(9, 200, "wget");
	judge_stream_new(t->j, &s, T(700));
	assert_findings(t, 5);
	assert_int_equal(t->c.g[4].first, T(700));
}

static void
test_port_processes_none(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	/* Distinct SOCKS usernames (torsocks-<pid>:<time>). */
	s = port_user(1, 100, "curl");
	s.socks_user = "torsocks-100:1";
	s.socks_user_len = 14;
	judge_stream_new(t->j, &s, T(0));
	s = port_user(2, 200, "wget");
	s.socks_user = "torsocks-200:1";
	s.socks_user_len = 14;
	judge_stream_new(t->j, &s, T(1));
	/* Same username, distinct passwords. */
	s = port_user(3, 300, "git");
	s.socks_user = "u";
	s.socks_user_len = 1;
	s.socks_pass = "1";
	s.socks_pass_len = 1;
	judge_stream_new(t->j, &s, T(2));
	s = port_user(4, 400, "ssh");
	s.socks_user = "u";
	s.socks_user_len = 1;
	s.socks_pass = "2";
	s.socks_pass_len = 1;
	judge_stream_new(t->j, &s, T(3));
	/* An empty username is none at all, unlike all the others. */
	s = port_user(5, 500, "gpg");
	s.socks_user = "";
	s.socks_user_len = 0;
	judge_stream_new(t->j, &s, T(4));
	assert_findings(t, 0);

	/* The same pid twice. */
	judge_reset(t->j);
	s = port_user(10, 100, "curl");
	judge_stream_new(t->j, &s, T(0));
	s = port_user(11, 100, "curl");
	judge_stream_new(t->j, &s, T(1));
	assert_findings(t, 0);

	/* More than 600 s apart. */
	judge_reset(t->j);
	s = port_user(20, 100, "curl");
	judge_stream_new(t->j, &s, T(0));
	s = port_user(21, 200, "wget");
	judge_stream_new(t->j, &s, T(600) + 1);
	assert_findings(t, 0);

	/* App ... IsolateBy process: each process is its own identity. */
	judge_reset(t->j);
	s = port_user(30, 100, "curl");
	s.isolate_by_process = 1;
	judge_stream_new(t->j, &s, T(0));
	s = port_user(31, 200, "wget");
	s.isolate_by_process = 1;
	judge_stream_new(t->j, &s, T(1));
	assert_findings(t, 0);

	/* Unattributed streams. */
	judge_reset(t->j);
	s = port_user(40, 100, "curl");
	s.unattributed = 1;
	judge_stream_new(t->j, &s, T(0));
	s = port_user(41, 200, "wget");
	s.unattributed = 1;
	judge_stream_new(t->j, &s, T(1));
	assert_findings(t, 0);

	/* Nothing known about who (no pid, no host), or no listener. */
	judge_reset(t->j);
	s = port_user(50, 0, NULL);
	s.host = NULL;
	judge_stream_new(t->j, &s, T(0));
	s = port_user(51, 0, NULL);
	s.host = NULL;
	judge_stream_new(t->j, &s, T(1));
	s = port_user(52, 100, "curl");
	s.listener = NULL;
	judge_stream_new(t->j, &s, T(2));
	s = port_user(53, 200, "wget");
	s.listener = NULL;
	judge_stream_new(t->j, &s, T(3));
	/* Unknown pids from one host are one host. */
	s = port_user(54, 0, NULL);
	judge_stream_new(t->j, &s, T(4));
	s = port_user(55, 0, NULL);
	judge_stream_new(t->j, &s, T(5));
	assert_findings(t, 0);
}

/*
 * One program run again (a loop, apt-get twice) is one application: no
 * finding while its earlier instance has nothing open; two instances of
 * it with streams open at once are two processes Tor may mix.
 */
static void
test_port_processes_rerun(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	s = port_user(1, 100, "curl");
	judge_stream_new(t->j, &s, T(0));
	judge_stream_closed(t->j, 1);
	s = port_user(2, 200, "curl");
	judge_stream_new(t->j, &s, T(3));
	assert_findings(t, 0);
	/* 200 still has stream 2 open: a third curl overlapping it is still
	 * curl, one application (0.2). */
	s = port_user(3, 300, "curl");
	judge_stream_new(t->j, &s, T(4));
	assert_findings(t, 0);
	/* A different program after curl closed counts, named with curl. */
	judge_stream_closed(t->j, 2);
	judge_stream_closed(t->j, 3);
	s = port_user(4, 400, "wget");
	judge_stream_new(t->j, &s, T(5));
	assert_findings(t, 1);
	assert_int_equal(t->c.g[0].rule, RULE_SHARED_PORT_PROCESSES);
	assert_string_equal(t->c.g[0].a, "curl@localhost");
	assert_string_equal(t->c.g[0].b, "wget@localhost");
	/* curl again: the same pair, the same cause. */
	s = port_user(5, 500, "curl");
	judge_stream_new(t->j, &s, T(6));
	assert_findings(t, 2);
	assert_string_equal(t->c.g[1].cause, t->c.g[0].cause);
	assert_int_equal(t->c.g[1].is_new, 0);
}

/* Two hosts (no pid: the client is elsewhere) on one listener. */
/*
 * IsolateDestAddr: programs going to different destinations are never
 * mixed; the finding names the pair whose keys were equal, not the first
 * older user of the port.
 */
static void
test_port_processes_dest(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	s = port_user(1, 200, "wget");
	with_iso(&s, iso_default() | ISO_DESTADDR);
	s.target_addr = "other.example";
	judge_stream_new(t->j, &s, T(1));
	s = port_user(2, 100, "curl");
	with_iso(&s, iso_default() | ISO_DESTADDR);
	s.target_addr = "example.com";
	judge_stream_new(t->j, &s, T(2));
	assert_findings(t, 0);
	/* The same destination in other case: equal, as Tor compares. */
	s = port_user(3, 300, "aria2c");
	with_iso(&s, iso_default() | ISO_DESTADDR);
	s.target_addr = "EXAMPLE.com";
	judge_stream_new(t->j, &s, T(3));
	assert_findings(t, 1);
	assert_string_equal(t->c.g[0].a, "aria2c@localhost");
	assert_string_equal(t->c.g[0].b, "curl@localhost");
	assert_string_equal(t->c.g[0].streams, "[\"2\", \"3\"]");
	/* IsolateDestPort: another port, another key. */
	s = port_user(4, 400, "git");
	with_iso(&s, iso_default() | ISO_DESTADDR | ISO_DESTPORT);
	s.target_addr = "example.com";
	s.target_port = 22;
	judge_stream_new(t->j, &s, T(4));
	assert_findings(t, 1);
}

static void
test_port_processes_hosts(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	/* Two hosts: Tor isolates by client address by default. */
	s = js_make(1, "custom 9152@workstation", "custom 9152",
	    "10.152.152.10:9152", 0, NULL);
	s.host = "workstation";
	s.client_addr = "10.152.152.11";
	judge_stream_new(t->j, &s, T(1));
	s = js_make(2, "custom 9152@10.152.152.12", "custom 9152",
	    "10.152.152.10:9152", 0, NULL);
	s.host = "10.152.152.12";
	s.client_addr = "10.152.152.12";
	judge_stream_new(t->j, &s, T(2));
	assert_findings(t, 0);
	/* NoIsolateClientAddr: their keys are equal, Tor may mix them. */
	judge_reset(t->j);
	s = js_make(3, "custom 9152@workstation", "custom 9152",
	    "10.152.152.10:9152", 0, NULL);
	s.host = "workstation";
	s.client_addr = "10.152.152.11";
	with_iso(&s, ISO_SOCKS_USERNAME | ISO_SOCKS_PASSWORD);
	judge_stream_new(t->j, &s, T(3));
	s = js_make(4, "custom 9152@10.152.152.12", "custom 9152",
	    "10.152.152.10:9152", 0, NULL);
	s.host = "10.152.152.12";
	s.client_addr = "10.152.152.12";
	with_iso(&s, ISO_SOCKS_USERNAME | ISO_SOCKS_PASSWORD);
	judge_stream_new(t->j, &s, T(4));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_PORT_PROCESSES, .sev = SEV_WARNING, .circ = 0,
	    .listener = "10.152.152.10:9152",
	    .a = "custom 9152@10.152.152.12", .b = "custom 9152@workstation",
	    .apps = "[\"custom 9152\"]",
	    .idents = "[\"custom 9152@10.152.152.12\", "
	    "\"custom 9152@workstation\"]",
	    .procs = "[]", .streams = "[\"3\", \"4\"]",
	    .count = 1, .first = T(4), .last = T(4), .is_new = 1,
	    .detail = "custom 9152@workstation and custom 9152@10.152.152.12 "
	    "used listener 10.152.152.10:9152 (custom 9152) with equal "
	    "isolation keys: Tor may put them on one circuit; give each "
	    "program its own SocksPort or its own SOCKS credentials" });
}

/* --- UNISOLATED_PORT ----------------------------------------------------- */

static void
test_unisolated_port(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	const struct got *g;

	/* One program on a TransPort, again and again: nobody to mix. */
	s = js_make(1, "TransPort@localhost", "TransPort", "127.0.0.1:9040",
	    66, "curl");
	s.protocol = "TRANS";
	judge_stream_new(t->j, &s, T(1));
	s.id = 2;
	s.pid = 67;
	judge_stream_new(t->j, &s, T(2));
	assert_findings(t, 0);
	/* A second program with the same key: that port mixes them. */
	s.id = 3;
	set_prog(&s, 77, "git");
	judge_stream_new(t->j, &s, T(3));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_UNISOLATED_PORT, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9040", .a = "", .b = "",
	    .apps = "[\"TransPort\"]", .idents = "[\"TransPort@localhost\"]",
	    .procs = "[{\"pid\": 77, \"name\": \"git\"}, "
	    "{\"pid\": 66, \"name\": \"curl\"}]",
	    .streams = "[\"3\", \"1\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "TRANS traffic on listener 127.0.0.1:9040, which every "
	    "program shares: their streams can be linked" });
	assert_string_equal(t->c.g[0].cause, "UNISOLATED_PORT|127.0.0.1:9040|||");
	/* Another host: Tor keeps client addresses apart by default. */
	s.id = 4;
	s.ident = "TransPort@workstation";
	s.host = "workstation";
	s.client_addr = "10.152.152.11";
	set_prog(&s, 0, NULL);
	judge_stream_new(t->j, &s, T(4));
	assert_findings(t, 1);
	/* Not SHARED_PORT_PROCESSES besides: the port is the cause. */
	assert_int_equal(nrule(&t->c, RULE_SHARED_PORT_PROCESSES), 0);

	/* A DNSPort query shows no program: any use. */
	s = js_make(5, "DNSPort@localhost", "DNSPort", "127.0.0.1:9053", 0,
	    NULL);
	s.protocol = "DNS";
	judge_stream_new(t->j, &s, T(5));
	g = nth(&t->c, RULE_UNISOLATED_PORT, 1);
	check(g, &(struct want){
	    .rule = RULE_UNISOLATED_PORT, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9053", .a = "", .b = "",
	    .apps = "[\"DNSPort\"]", .idents = "[\"DNSPort@localhost\"]",
	    .procs = "[]", .streams = "[\"5\"]",
	    .count = 1, .first = T(5), .last = T(5), .is_new = 1,
	    .detail = "DNS traffic on listener 127.0.0.1:9053, which every "
	    "program shares: their streams can be linked" });

	/*
	 * A SharedPort SocksPort (Whonix's 9050) where programs use distinct
	 * credentials (torsocks' IsolatePID): Tor keeps them apart, not
	 * unisolated.
	 */
	s = js_make(6, "default@localhost", "default", "127.0.0.1:9050", 100,
	    "apt-get");
	s.shared_port = 1;
	with_iso(&s, iso_default());
	s.socks_user = "torsocks-100:1700000000";
	s.socks_user_len = strlen(s.socks_user);
	judge_stream_new(t->j, &s, T(6));
	s.id = 7;
	set_prog(&s, 200, "git");
	s.socks_user = "torsocks-200:1700000001";
	judge_stream_new(t->j, &s, T(7));
	assert_int_equal(nrule(&t->c, RULE_UNISOLATED_PORT), 2);
	/* Two programs without credentials there: unisolated. */
	s.id = 8;
	set_prog(&s, 300, "wget");
	s.socks_user = NULL;
	s.socks_user_len = 0;
	judge_stream_new(t->j, &s, T(8));
	s.id = 9;
	set_prog(&s, 400, "curl");
	judge_stream_new(t->j, &s, T(9));
	g = nth(&t->c, RULE_UNISOLATED_PORT, 2);
	check(g, &(struct want){
	    .rule = RULE_UNISOLATED_PORT, .sev = SEV_WARNING, .circ = 0,
	    .listener = "127.0.0.1:9050", .a = "", .b = "",
	    .apps = "[\"default\"]", .idents = "[\"default@localhost\"]",
	    .procs = "[{\"pid\": 400, \"name\": \"curl\"}, "
	    "{\"pid\": 300, \"name\": \"wget\"}]",
	    .streams = "[\"9\", \"8\"]",
	    .count = 1, .first = T(9), .last = T(9), .is_new = 1,
	    .detail = "SOCKS5 traffic on shared listener 127.0.0.1:9050, which "
	    "every program shares: their streams can be linked" });
	/* NATD too; no listener known: keyed by the protocol (DNS-like:
	 * nothing to tell its programs by). */
	s = js_make(10, "unknown listener@localhost", "unknown listener", NULL,
	    0, NULL);
	s.protocol = "DNS";
	judge_stream_new(t->j, &s, T(10));
	g = nth(&t->c, RULE_UNISOLATED_PORT, 3);
	assert_string_equal(g->listener, "DNS");
	assert_int_equal(g->is_new, 1);
	/* An ordinary SocksPort: not this rule. */
	s = port_user(11, 100, "curl");
	judge_stream_new(t->j, &s, T(11));
	s.protocol = "HTTPCONNECT";
	s.id = 12;
	judge_stream_new(t->j, &s, T(12));
	assert_int_equal(nrule(&t->c, RULE_UNISOLATED_PORT), 4);
	/* Only the port rules run on NEW: no circuit needed, none used. */
	assert_int_equal(nrule(&t->c, RULE_SHARED_CIRCUIT), 0);
}

/* --- SHARED_EXIT --------------------------------------------------------- */

static void
test_shared_exit(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 60, NULL, FP1, "exit1");
	circ_built(t, 61, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 60, T(1));
	s = app_e(2);
	open_on(t, &s, 61, T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_EXIT, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost used exit exit1 "
	    "$59A3C0DE at the same time, on circuits 60 and 61" });
	/* E again while D's stream is open: counted. */
	s = app_e(3);
	open_on(t, &s, 61, T(3));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_EXIT, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\", \"3\"]",
	    .count = 2, .first = T(2), .last = T(3), .is_new = 0,
	    .detail = "App D@localhost and App E@localhost used exit exit1 "
	    "$59A3C0DE at the same time, on circuits 60 and 61" });
	/* D's stream closed: E is alone on that exit now. */
	judge_stream_closed(t->j, 1);
	s = app_e(4);
	open_on(t, &s, 61, T(4));
	assert_findings(t, 2);
	/* D comes back on its circuit while E's streams are open. */
	s = app_d(5);
	open_on(t, &s, 60, T(5));
	assert_findings(t, 3);
	assert_int_equal(t->c.g[2].count, 3);
	assert_string_equal(t->c.g[2].a, D_IDENT);
	assert_string_equal(t->c.g[2].b, E_IDENT);
	assert_string_equal(t->c.g[2].apps, "[\"App D\", \"App E\"]");
	assert_true(strstr(t->c.g[2].detail, "on circuits 61 and 60") != NULL);
}

/*
 * SHARED_EXIT keeps, per circuit, each identity's open streams: the one it
 * names is open (the latest attached that is still open), a stream
 * attached again elsewhere leaves its first circuit, and a circuit that
 * closes before its streams takes them off its lists.
 */
static void
test_shared_exit_streams(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	int i;

	circ_built(t, 60, NULL, FP1, "exit1");
	circ_built(t, 61, NULL, FP1, "exit1");
	circ_built(t, 62, NULL, FP2, "exit2");
	s = app_d(1);
	open_on(t, &s, 60, T(1));
	s = app_d(2);
	open_on(t, &s, 60, T(2));
	/* The latest closed: stream 1 speaks for D. */
	judge_stream_closed(t->j, 2);
	s = app_e(3);
	open_on(t, &s, 61, T(3));
	assert_findings(t, 1);
	assert_string_equal(t->c.g[0].streams, "[\"1\", \"3\"]");
	/* D's one open stream is attached again on another exit: E is
	 * alone at exit1 now. */
	judge_attach(t->j, 1, 62, T(4));
	s = app_e(5);
	open_on(t, &s, 61, T(5));
	assert_findings(t, 1);
	/* Many streams of one identity on two circuits of one exit: no
	 * finding, however many. */
	circ_built(t, 64, NULL, FP1, "exit1");
	for (i = 0; i < 1000; i++) {
		s = app_e(100 + (uint64_t)i);
		open_on(t, &s, i % 2 ? 64 : 61, T(6));
	}
	assert_findings(t, 1);
	/* A circuit closes before its streams: they close later, each once,
	 * and D on exit1 again meets only E's streams still open (on 61). */
	circ_closed(t, 64);
	for (i = 0; i < 1000; i += 2)
		judge_stream_closed(t->j, 100 + (uint64_t)i);
	for (i = 1; i < 1000; i += 2)
		judge_stream_closed(t->j, 100 + (uint64_t)i);
	circ_built(t, 63, NULL, FP1, "exit1");
	s = app_d(2000);
	open_on(t, &s, 63, T(7));
	assert_findings(t, 2);
	assert_true(strstr(t->c.g[1].detail, "on circuits 61 and 63") != NULL);
}

static void
test_shared_exit_none(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 60, NULL, FP1, "exit1");
	circ_built(t, 61, NULL, FP1, "exit1");
	circ_built(t, 62, NULL, FP2, "exit2");
	circ_built(t, 66, NULL, FP1, "exit1");
	/* Not at the same time. */
	s = app_d(1);
	open_on(t, &s, 60, T(1));
	judge_stream_closed(t->j, 1);
	s = app_e(2);
	open_on(t, &s, 61, T(2));
	/* The same identity on two circuits through one exit. */
	s = app_e(3);
	open_on(t, &s, 66, T(3));
	/* Another exit. */
	s = app_d(4);
	open_on(t, &s, 62, T(4));
	assert_findings(t, 0);
	/* A circuit that closed does not count its streams any more. */
	judge_stream_closed(t->j, 2);
	judge_stream_closed(t->j, 3);
	circ_closed(t, 62);
	circ_built(t, 63, NULL, FP2, "exit2");
	s = app_e(5);
	open_on(t, &s, 63, T(5));
	assert_findings(t, 0);
	/* No exit known (not built yet): nothing to compare. */
	s = app_d(6);
	open_on(t, &s, 64, T(6));
	s = app_e(7);
	open_on(t, &s, 65, T(7));
	assert_findings(t, 0);
}

/* --- WEAK_PORT_CONFIG ---------------------------------------------------- */

static void
test_weak_port_config(void **state)
{
	struct jt *t = *state;

	/* Whonix-Gateway's map: what each port's programs rely on. */
	jt_config(t, "Profile whonix-gateway\n");
	judge_port_config(t->j, "127.0.0.1:9150 NoIsolateSOCKSAuth", T(1));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "127.0.0.1:9150", .a = "NoIsolateSOCKSAuth", .b = "",
	    .apps = "[\"Tor Browser\"]", .idents = "[]", .procs = "[]",
	    .streams = "[]",
	    .count = 1, .first = T(1), .last = T(1), .is_new = 1,
	    .detail = "SocksPort 127.0.0.1:9150 (Tor Browser): Tor Browser's "
	    "port without IsolateSOCKSAuth: every site shares circuits" });
	/* Said once. */
	judge_port_config(t->j, "127.0.0.1:9150 NoIsolateSOCKSAuth", T(2));
	assert_findings(t, 1);

	judge_port_config(t->j, "127.0.0.1:9150 IsolateDestAddr", T(3));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "127.0.0.1:9150", .a = "IsolateDestAddr", .b = "",
	    .apps = "[\"Tor Browser\"]", .idents = "[]", .procs = "[]",
	    .streams = "[]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "SocksPort 127.0.0.1:9150 (Tor Browser): IsolateDestAddr "
	    "on a browser port: one page's parts leave through many exits" });
	judge_port_config(t->j, "127.0.0.1:9150 IsolateDestAddr", T(4));
	assert_findings(t, 2);

	judge_port_config(t->j, "10.0.0.1:9100 NoIsolateClientAddr", T(5));
	assert_findings(t, 3);
	check(&t->c.g[2], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "10.0.0.1:9100", .a = "NoIsolateClientAddr", .b = "",
	    .apps = "[\"legacy\"]", .idents = "[]", .procs = "[]",
	    .streams = "[]",
	    .count = 1, .first = T(5), .last = T(5), .is_new = 1,
	    .detail = "SocksPort 10.0.0.1:9100 (legacy): a "
	    "non-loopback listener without IsolateClientAddr: other hosts' "
	    "programs share circuits" });
	/* No App for the port: no label. */
	judge_port_config(t->j, "10.0.0.1:7000 NoIsolateClientAddr", T(6));
	assert_findings(t, 4);
	check(&t->c.g[3], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "10.0.0.1:7000", .a = "NoIsolateClientAddr", .b = "",
	    .apps = "[]", .idents = "[]", .procs = "[]", .streams = "[]",
	    .count = 1, .first = T(6), .last = T(6), .is_new = 1,
	    .detail = "SocksPort 10.0.0.1:7000: a non-loopback listener "
	    "without IsolateClientAddr: other hosts' programs share "
	    "circuits" });
	/* Several complaints on one line. */
	judge_port_config(t->j, "10.0.0.2:9150 IsolateDestAddr "
	    "NoIsolateClientAddr", T(7));
	assert_findings(t, 6);
	assert_string_equal(t->c.g[4].a, "IsolateDestAddr");
	assert_string_equal(t->c.g[5].a, "NoIsolateClientAddr");
	assert_string_equal(t->c.g[5].listener, "10.0.0.2:9150");
	/*
	 * Never by a label: 9115 "Tor Browser download (tb-updater)" ships
	 * with IsolateDestAddr IsolateDestPort and is no browser port.
	 */
	judge_port_config(t->j, "127.0.0.1:9115 IsolateDestAddr "
	    "IsolateDestPort", T(7));
	assert_findings(t, 6);
	/* 9050's programs are told apart by credentials (torsocks). */
	judge_port_config(t->j, "127.0.0.1:9050 NoIsolateSOCKSAuth", T(7));
	assert_findings(t, 7);
	check(&t->c.g[6], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "127.0.0.1:9050", .a = "NoIsolateSOCKSAuth", .b = "",
	    .apps = "[\"default (torsocks, uwt)\"]", .idents = "[]",
	    .procs = "[]", .streams = "[]",
	    .count = 1, .first = T(7), .last = T(7), .is_new = 1,
	    .detail = "SocksPort 127.0.0.1:9050 (default (torsocks, uwt)): a "
	    "port whose programs are told apart by their SOCKS credentials "
	    "(torsocks' IsolatePID, Whonix's <torS0X>0), without "
	    "IsolateSOCKSAuth: they all share circuits" });
	/* A flag is a whole word: NoIsolateDestAddr is not IsolateDestAddr. */
	judge_port_config(t->j, "127.0.0.1:9150 NoIsolateDestAddr "
	    "XIsolateDestAddr IsolateDestAddrX", T(7));
	assert_findings(t, 7);

	/* Fine lines. */
	judge_port_config(t->j, "[::1]:9150 NoIsolateDestAddr", T(8));
	judge_port_config(t->j, "127.0.0.1:9151 IsolateSOCKSAuth", T(8));
	judge_port_config(t->j, "127.0.0.1:9100 NoIsolateClientAddr", T(8));
	judge_port_config(t->j, "[::1]:9101 NoIsolateClientAddr", T(8));
	judge_port_config(t->j, "127.0.0.1:9101 IsolateDestAddr", T(8));
	judge_port_config(t->j, "127.0.0.1:9104 NoIsolateSOCKSAuth", T(8));
	judge_port_config(t->j, "unix:/run/tor/socks NoIsolateClientAddr",
	    T(8));
	judge_port_config(t->j, "0", T(8));
	judge_port_config(t->j, "", T(8));
	judge_port_config(t->j, " NoIsolateSOCKSAuth", T(8));
	assert_findings(t, 7);

	/* A bare port listens on 127.0.0.1. */
	judge_reset(t->j);
	judge_port_config(t->j, "9150 NoIsolateSOCKSAuth", T(9));
	assert_findings(t, 8);
	assert_string_equal(t->c.g[7].listener, "127.0.0.1:9150");
	assert_string_equal(t->c.g[7].apps, "[\"Tor Browser\"]");
	/* Said again in the new Tor session, of a cause already known. */
	assert_int_equal(t->c.g[7].is_new, 0);
}

/* The App map of a config file decides which port is a browser. */
static void
test_weak_port_config_loaded(void **state)
{
	struct jt *t = *state;

	jt_config(t, "App 9150 \"Tor Browser\" IsolateBy socks-username\n"
	    "App 9200 \"Sites\" IsolateBy socks-username\n"
	    "App 9201 \"plain\"\n");
	judge_port_config(t->j, "127.0.0.1:9150 NoIsolateSOCKSAuth", T(1));
	judge_port_config(t->j, "127.0.0.1:9200 NoIsolateSOCKSAuth "
	    "IsolateDestAddr", T(2));
	judge_port_config(t->j, "127.0.0.1:9201 NoIsolateSOCKSAuth "
	    "IsolateDestAddr", T(3));
	assert_findings(t, 3);
	assert_string_equal(t->c.g[0].apps, "[\"Tor Browser\"]");
	assert_string_equal(t->c.g[0].a, "NoIsolateSOCKSAuth");
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "127.0.0.1:9200", .a = "NoIsolateSOCKSAuth", .b = "",
	    .apps = "[\"Sites\"]", .idents = "[]", .procs = "[]",
	    .streams = "[]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "SocksPort 127.0.0.1:9200 (Sites): Tor Browser's port "
	    "without IsolateSOCKSAuth: every site shares circuits" });
	assert_string_equal(t->c.g[2].a, "IsolateDestAddr");
	assert_string_equal(t->c.g[2].listener, "127.0.0.1:9200");
}

static void
test_weak_session_group(void **state)
{
	struct jt *t = *state;

	jt_config(t, "Profile whonix-gateway\n");
	judge_port_config(t->j, "127.0.0.1:9152 SessionGroup=42", T(1));
	assert_findings(t, 0);
	judge_port_config(t->j, "127.0.0.1:9153 IsolateDestPort "
	    "SessionGroup=42", T(2));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_WEAK_PORT_CONFIG, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "127.0.0.1:9153", .a = "SessionGroup=42", .b = "",
	    .apps = "[\"custom 9153\"]", .idents = "[]", .procs = "[]",
	    .streams = "[]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "SocksPort 127.0.0.1:9153 (custom 9153): SessionGroup=42 "
	    "joins it with 127.0.0.1:9152: their programs share circuits" });
	/* Another group; the same lines again (a second GETCONF). */
	judge_port_config(t->j, "127.0.0.1:9154 SessionGroup=43", T(3));
	judge_port_config(t->j, "127.0.0.1:9152 SessionGroup=42", T(4));
	judge_port_config(t->j, "127.0.0.1:9153 IsolateDestPort "
	    "SessionGroup=42", T(4));
	assert_findings(t, 1);
	/* A third port of group 42: said once, naming the first. */
	judge_port_config(t->j, "127.0.0.1:9155 SessionGroup=42", T(5));
	assert_findings(t, 2);
	assert_string_equal(t->c.g[1].listener, "127.0.0.1:9155");
	assert_string_equal(t->c.g[1].detail, "SocksPort 127.0.0.1:9155 "
	    "(custom 9155): SessionGroup=42 joins it with 127.0.0.1:9152: "
	    "their programs share circuits");
	/* Negative groups are groups too. */
	judge_port_config(t->j, "[::1]:9156 SessionGroup=-7", T(6));
	judge_port_config(t->j, "[::1]:9157 SessionGroup=-7", T(6));
	assert_findings(t, 3);
	assert_string_equal(t->c.g[2].a, "SessionGroup=-7");
	assert_string_equal(t->c.g[2].listener, "[::1]:9157");
	/* After a reset (new Tor session) the first port is forgotten. */
	judge_reset(t->j);
	judge_port_config(t->j, "127.0.0.1:9153 SessionGroup=42", T(7));
	assert_findings(t, 3);
}

/* --- PRE_ATTACH ---------------------------------------------------------- */

static void
test_pre_attach(void **state)
{
	struct jt *t = *state;

	judge_pre_attach(t->j, 0, 1, T(1));
	assert_findings(t, 0);
	judge_pre_attach(t->j, 3, 1, T(1));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_PRE_ATTACH, .sev = SEV_INFO, .circ = 0,
	    .listener = "", .a = "", .b = "",
	    .apps = "[]", .idents = "[]", .procs = "[]", .streams = "[]",
	    .count = 3, .first = T(1), .last = T(1), .is_new = 1,
	    .detail = "3 streams were open before isoaudit attached: who "
	    "opened them cannot be known" });
	judge_reset(t->j);
	judge_pre_attach(t->j, 1, 2, T(2));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_PRE_ATTACH, .sev = SEV_INFO, .circ = 0,
	    .listener = "", .a = "", .b = "",
	    .apps = "[]", .idents = "[]", .procs = "[]", .streams = "[]",
	    .count = 1, .first = T(2), .last = T(2), .is_new = 1,
	    .detail = "1 stream was open before isoaudit attached: who opened "
	    "it cannot be known" });
}

/* Streams open before attaching are on circuits; they link nobody. */
static void
test_pre_attach_streams(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 70, NULL, FP1, "exit1");
	circ_built(t, 71, NULL, FP1, "exit1");
	circ_built(t, 72, NULL, FP2, "exit2");
	s = unattributed(1);
	open_on(t, &s, 70, T(0));
	s = unattributed(2);
	open_on(t, &s, 71, T(0));
	judge_pre_attach(t->j, 2, 1, T(0));
	assert_findings(t, 1);
	/* Later streams on those circuits, and beside them on their exit. */
	s = app_d(3);
	s.nym_epoch = 1;
	open_on(t, &s, 70, T(1));
	s = app_e(4);
	open_on(t, &s, 72, T(2));
	s = js_make(5, "IRC@localhost", "IRC", "127.0.0.1:9101", 0, NULL);
	with_iso(&s, iso_default());
	s.session_group = -9;
	open_on(t, &s, 71, T(3));
	assert_findings(t, 2);
	/* The one new finding: D and IRC through one exit, nothing of the
	 * unattributed streams. */
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_EXIT, .sev = SEV_NOTICE, .circ = 0,
	    .listener = "", .a = D_IDENT, .b = "IRC@localhost",
	    .apps = "[\"App D\", \"IRC\"]",
	    .idents = "[\"App D@localhost\", \"IRC@localhost\"]",
	    .procs = "[{\"pid\": 4242, \"name\": \"curl\"}]",
	    .streams = "[\"3\", \"5\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "App D@localhost and IRC@localhost used exit exit1 "
	    "$59A3C0DE at the same time, on circuits 70 and 71" });
	/* Another identity on 70: D is the circuit's first, not the old one. */
	s = app_e(6);
	s.nym_epoch = 1;
	open_on(t, &s, 70, T(4));
	assert_int_equal(nrule(&t->c, RULE_SHARED_CIRCUIT), 1);
	assert_string_equal(nth(&t->c, RULE_SHARED_CIRCUIT, 0)->idents,
	    "[\"App D@localhost\", \"App E@localhost\"]");
	assert_int_equal(nrule(&t->c, RULE_NYM_EPOCH_REUSE), 0);
	/* An unattributed stream reported with NEW never judges ports. */
	s = unattributed(7);
	s.listener = "127.0.0.1:9040";
	s.protocol = "TRANS";
	s.pid = 1;
	s.host = "localhost";
	judge_stream_new(t->j, &s, T(5));
	assert_int_equal(nrule(&t->c, RULE_UNISOLATED_PORT), 0);
}

/* --- Rule lines ---------------------------------------------------------- */

static void
test_rule_severity(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	jt_config(t, "Rule SHARED_CIRCUIT warning\n"
	    "Rule SHARED_EXIT off\n"
	    "Rule PRE_ATTACH critical\n");
	circ_built(t, 10, NULL, FP1, "exit1");
	circ_built(t, 11, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 10, T(1));
	s = app_e(2);
	open_on(t, &s, 10, T(2));
	assert_findings(t, 1);
	assert_int_equal(t->c.g[0].rule, RULE_SHARED_CIRCUIT);
	assert_int_equal(t->c.g[0].sev, SEV_WARNING);
	/* SHARED_EXIT off: never said, however often it happens. */
	s = app_d(3);
	open_on(t, &s, 11, T(3));
	s = app_d(4);
	open_on(t, &s, 11, T(4));
	assert_findings(t, 1);
	judge_pre_attach(t->j, 2, 1, T(5));
	assert_findings(t, 2);
	assert_int_equal(t->c.g[1].sev, SEV_CRITICAL);
	/* Every rule off: silence. */
	jt_config(t, "Rule SHARED_CIRCUIT off\nRule CONTROLLER_ATTACH off\n"
	    "Rule NYM_EPOCH_REUSE off\nRule SHARED_PORT_PROCESSES off\n"
	    "Rule UNISOLATED_PORT off\nRule SHARED_EXIT off\n"
	    "Rule WEAK_PORT_CONFIG off\nRule PRE_ATTACH off\n");
	circ_built(t, 10, NULL, FP1, "exit1");
	s = app_d(1);
	with_iso(&s, iso_default());
	open_on(t, &s, 10, T(1));
	s = app_e(2);
	with_iso(&s, iso_default());
	s.nym_epoch = 3;
	s.protocol = "TRANS";
	open_on(t, &s, 10, T(2));
	judge_port_config(t->j, "127.0.0.1:9150 NoIsolateSOCKSAuth", T(3));
	judge_pre_attach(t->j, 2, 1, T(3));
	assert_findings(t, 2);
}

/* --- sessions, reattachment, circuits ------------------------------------ */

static void
test_reset(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 10, NULL, FP1, "exit1");
	s = app_d(1);
	open_on(t, &s, 10, T(1));
	s = app_e(2);
	open_on(t, &s, 10, T(2));
	judge_pre_attach(t->j, 1, 1, T(2));
	judge_port_config(t->j, "127.0.0.1:9152 SessionGroup=42", T(2));
	assert_findings(t, 2);

	/* Tor restarted: the same ids mean other things now. */
	judge_reset(t->j);
	/* Old streams and circuits are unknown. */
	judge_attach(t->j, 2, 10, T(3));
	judge_stream_closed(t->j, 1);
	circ_closed(t, 10);
	assert_findings(t, 2);
	circ_built(t, 10, NULL, FP2, "exit2");
	s = app_d(1);
	open_on(t, &s, 10, T(4));
	assert_findings(t, 2);
	s = app_e(2);
	open_on(t, &s, 10, T(5));
	assert_findings(t, 3);
	check(&t->c.g[2], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 10,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(5), .last = T(5), .is_new = 0,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 10 (exit exit2 $08511103): the exit can link them to one "
	    "pseudonym" });
	/* One cause across Tor sessions: a new occurrence, not a new
	 * cause.  PRE_ATTACH's cause is the Tor session itself. */
	assert_string_equal(t->c.g[2].cause, t->c.g[0].cause);
	judge_pre_attach(t->j, 1, 2, T(6));
	assert_findings(t, 4);
	assert_int_equal(t->c.g[3].is_new, 1);
	/* Resetting twice, and an empty judge, is fine. */
	judge_reset(t->j);
	judge_reset(t->j);
	judge_free(NULL);
}

/* DETACHED and attached elsewhere; REMAP; circuits never told of. */
static void
test_reattach(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 80, NULL, FP1, "exit1");
	circ_built(t, 81, NULL, FP2, "exit2");
	s = app_d(1);
	open_on(t, &s, 80, T(1));
	s = app_e(2);
	open_on(t, &s, 81, T(2));
	assert_findings(t, 0);
	/* E's stream is detached and tried again on D's circuit. */
	judge_attach(t->j, 2, 80, T(3));
	assert_findings(t, 1);
	check(&t->c.g[0], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 80,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"1\", \"2\"]",
	    .count = 1, .first = T(3), .last = T(3), .is_new = 1,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 80 (exit exit1 $59A3C0DE): the exit can link them to one "
	    "pseudonym" });
	/* REMAP, SUCCEEDED...: the same circuit again is no new attachment. */
	judge_attach(t->j, 2, 80, T(4));
	judge_attach(t->j, 2, 80, T(5));
	judge_attach(t->j, 1, 80, T(5));
	assert_findings(t, 1);
	/* Unknown streams and circuit 0 are ignored. */
	judge_attach(t->j, 12345, 80, T(6));
	judge_attach(t->j, 1, 0, T(6));
	judge_stream_closed(t->j, 12345);
	assert_findings(t, 1);

	/* A circuit the judge never saw (no CIRC event yet): the same pair,
	 * so the same cause, with a second occurrence. */
	s = app_d(3);
	open_on(t, &s, 999, T(7));
	s = app_e(4);
	open_on(t, &s, 999, T(8));
	assert_findings(t, 2);
	check(&t->c.g[1], &(struct want){
	    .rule = RULE_SHARED_CIRCUIT, .sev = SEV_CRITICAL, .circ = 999,
	    .listener = "", .a = D_IDENT, .b = E_IDENT,
	    .apps = "[\"App D\", \"App E\"]",
	    .idents = "[\"App D@localhost\", \"App E@localhost\"]",
	    .procs = PROCS_DE, .streams = "[\"3\", \"4\"]",
	    .count = 1, .first = T(8), .last = T(8), .is_new = 0,
	    .detail = "App D@localhost and App E@localhost shared exit "
	    "circuit 999: the exit can link them to one pseudonym" });
	/* Then its CIRC event: the exit shows from now on. */
	circ_built(t, 999, NULL, FP3, "exit3");
	s = app_d(5);
	open_on(t, &s, 999, T(9));
	assert_findings(t, 3);
	assert_string_equal(t->c.g[2].detail, "App E@localhost and "
	    "App D@localhost shared exit circuit 999 (exit exit3 $C0FFEE00): "
	    "the exit can link them to one pseudonym");
	/* A circuit told of with a nickless exit. */
	circ_built(t, 1000, NULL, FP2, NULL);
	s = app_d(6);
	open_on(t, &s, 1000, T(10));
	s = app_e(7);
	open_on(t, &s, 1000, T(11));
	assert_findings(t, 4);
	assert_string_equal(t->c.g[3].detail, "App D@localhost and "
	    "App E@localhost shared exit circuit 1000 (exit $08511103): the "
	    "exit can link them to one pseudonym");
}

static size_t
heap_used(void)
{
#ifdef TJ_ASAN
	return __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks;
#else
	return 0;
#endif
}

/* A FAILED circuit (closed) takes its state with it. */
static void
test_failed_circuit(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	size_t before = 0, after;
	int round;

	for (round = 0; round < 3; round++) {
		if (round == 2)
			before = heap_used();
		circ_built(t, 100, NULL, NULL, NULL);	/* LAUNCHED */
		s = app_d(1);
		s.listener = NULL;	/* no port memory */
		open_on(t, &s, 100, T(1));
		circ_built(t, 100, CONFLUX_A, FP1, "exit1");
		judge_stream_closed(t->j, 1);
		circ_closed(t, 100);			/* FAILED */
	}
	after = heap_used();
	if (after != before)
		fail_msg("heap %zu bytes before a circuit's life, %zu after",
		    before, after);
	/* And its id used again starts from nothing. */
	circ_built(t, 100, NULL, FP1, "exit1");
	s = app_e(2);
	open_on(t, &s, 100, T(2));
	assert_findings(t, 0);
}

/* --- hostile names ------------------------------------------------------- */

/* A local process names itself (comm): the lists and detail stay sound. */
static void
test_hostile_process_name(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	const struct got *g;

	s = port_user(1, 100, "a\x1f" "b");
	judge_stream_new(t->j, &s, T(1));
	s = port_user(2, 200, "c\x1e\x1b[31m");
	judge_stream_new(t->j, &s, T(2));
	assert_findings(t, 1);
	g = &t->c.g[0];
	assert_int_equal(g->rule, RULE_SHARED_PORT_PROCESSES);
	/* Two processes, two identities: no list is split or merged. */
	assert_string_equal(g->procs, "[{\"pid\": 100, \"name\": "
	    "\"a\\\\x1fb\"}, {\"pid\": 200, \"name\": "
	    "\"c\\\\x1e\\\\x1b[31m\"}]");
	assert_string_equal(g->idents, "[\"a\\\\x1fb@localhost\", "
	    "\"c\\\\x1e\\\\x1b[31m@localhost\"]");
	assert_true(printable(g->detail));

	circ_built(t, 10, NULL, FP1, "exit1");
	s = port_user(3, 100, "a\x1f" "b");
	with_iso(&s, iso_default());
	open_on(t, &s, 10, T(3));
	s = app_e(4);
	set_prog(&s, s.pid, "\x7f\x1f");
	with_iso(&s, iso_default());
	open_on(t, &s, 10, T(4));
	g = nth(&t->c, RULE_CONTROLLER_ATTACH, 0);
	assert_string_equal(g->procs, "[{\"pid\": 100, \"name\": "
	    "\"a\\\\x1fb\"}, {\"pid\": 4243, \"name\": \"\\\\x7f\\\\x1f\"}]");
	g = nth(&t->c, RULE_SHARED_CIRCUIT, 0);
	assert_string_equal(g->procs, "[{\"pid\": 100, \"name\": "
	    "\"a\\\\x1fb\"}, {\"pid\": 4243, \"name\": \"\\\\x7f\\\\x1f\"}]");
}

/* --- long runs ----------------------------------------------------------- */

/*
 * 100 000 streams opened, attached and closed on circuits that rotate and
 * close: three findings, each counted, never repeated as new; the heap
 * the same at the end as half way.
 */
static void
test_long_run(void **state)
{
	struct jt *t = *state;
	const unsigned n = 100000, window = 8, rotate = 64;
	static const char *const fps[4] = { FP1, FP1, FP2, FP3 };
	uint64_t circ[4], next = 1000;
	size_t heap_mid = 0, heap_end;
	unsigned i, k;

	t->c.light = 1;
	for (k = 0; k < 4; k++) {
		circ[k] = next++;
		circ_built(t, circ[k], NULL, fps[k], "exit");
	}
	for (i = 0; i < n; i++) {
		struct judge_stream s;
		int64_t ts = T0 + (int64_t)i * 1000;
		unsigned kind = i % 4, who = (i / 4) % 2;

		switch (kind) {
		case 0:		/* D: its own circuits, exit FP1 */
			s = app_d(i + 1);
			with_iso(&s, iso_default());
			break;
		case 1:		/* E: other circuits, same exit */
			s = app_e(i + 1);
			with_iso(&s, iso_default());
			break;
		case 2:		/* two programs taking turns on the TransPort */
			s = js_make(i + 1, "TransPort@localhost", "TransPort",
			    "127.0.0.1:9040", 500 + who, who ? "git" : "ssh");
			s.protocol = "TRANS";
			s.target_port = (int)(i % 60000);
			break;
		default:	/* two programs taking turns on one port */
			s = js_make(i + 1, "custom 9154@localhost",
			    "custom 9154", "127.0.0.1:9154", 300 + who,
			    who ? "wget" : "curl");
			break;
		}
		judge_stream_new(t->j, &s, ts);
		judge_attach(t->j, i + 1, circ[kind], ts);
		judge_attach(t->j, i + 1, circ[kind], ts);	/* SUCCEEDED */
		if (i >= window)
			judge_stream_closed(t->j, i + 1 - window);
		if ((i + 1) % rotate == 0)
			for (k = 0; k < 4; k++) {
				circ_closed(t, circ[k]);
				circ[k] = next++;
				circ_built(t, circ[k], NULL, fps[k], "exit");
			}
		if (i + 1 == n / 2)
			heap_mid = heap_used();
	}
	heap_end = heap_used();
	for (i = n - window; i < n; i++)
		judge_stream_closed(t->j, i + 1);
	for (k = 0; k < 4; k++)
		circ_closed(t, circ[k]);

	if (t->c.nnew != 3 || t->c.count_jumps != 0)
		fail_msg("%zu new findings (want 3), %zu count jumps",
		    t->c.nnew, t->c.count_jumps);
	assert_int_equal(t->c.per_rule[RULE_UNISOLATED_PORT], n / 4 - 1);
	assert_int_equal(t->c.last_count[RULE_UNISOLATED_PORT], n / 4 - 1);
	assert_int_equal(t->c.per_rule[RULE_SHARED_PORT_PROCESSES], n / 4 - 1);
	assert_int_equal(t->c.last_count[RULE_SHARED_PORT_PROCESSES],
	    n / 4 - 1);
	assert_true(t->c.per_rule[RULE_SHARED_EXIT] > n / 4);
	assert_int_equal(t->c.last_count[RULE_SHARED_EXIT],
	    t->c.per_rule[RULE_SHARED_EXIT]);
	assert_int_equal(t->c.per_rule[RULE_SHARED_CIRCUIT], 0);
	assert_int_equal(t->c.per_rule[RULE_CONTROLLER_ATTACH], 0);
	assert_int_equal(t->c.per_rule[RULE_NYM_EPOCH_REUSE], 0);
	assert_int_equal(t->c.total, t->c.per_rule[RULE_UNISOLATED_PORT] +
	    t->c.per_rule[RULE_SHARED_PORT_PROCESSES] +
	    t->c.per_rule[RULE_SHARED_EXIT]);
	/* Bounded: what 50 000 more streams left behind (0 where unknown). */
	if (heap_end > heap_mid + 4096)
		fail_msg("judge state grew from %zu to %zu bytes over the "
		    "second 50 000 streams", heap_mid, heap_end);
}

/*
 * A SessionGroup join across N circuits and two Tor sessions: one cause,
 * N occurrences, each with its circuit and exit; new (an alert) once.
 */
static void
test_cause_occurrences(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;
	uint64_t id = 1;
	size_t i;

	for (i = 0; i < 4; i++) {
		circ_built(t, 100 + i, NULL, i % 2 ? FP2 : FP1, "exit");
		s = app_d(id++);
		open_on(t, &s, 100 + i, T(i));
		s = app_e(id++);
		open_on(t, &s, 100 + i, T(i));
		/* Closed before the next round: no SHARED_EXIT beside. */
		judge_stream_closed(t->j, id - 2);
		judge_stream_closed(t->j, id - 1);
	}
	assert_findings(t, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(t->c.g[i].rule, RULE_SHARED_CIRCUIT);
		assert_string_equal(t->c.g[i].cause, t->c.g[0].cause);
		assert_int_equal(t->c.g[i].is_new, i == 0);
		assert_int_equal(t->c.g[i].circ, 100 + i);
		assert_string_equal(t->c.g[i].exit_fp, i % 2 ? FP2 : FP1);
		assert_int_equal(t->c.g[i].occurrences, (long)i + 1);
		assert_int_equal(t->c.g[i].cause_count, (long)i + 1);
		assert_int_equal(t->c.g[i].count, 1);
	}
	assert_string_equal(t->c.g[0].cause,
	    "SHARED_CIRCUIT|||App D@localhost|App E@localhost");
	/* D again on circuit 101, where E was: that occurrence counts on. */
	s = app_d(id++);
	open_on(t, &s, 101, T(9));
	assert_findings(t, 5);
	assert_int_equal(t->c.g[4].circ, 101);
	assert_int_equal(t->c.g[4].count, 2);
	assert_int_equal(t->c.g[4].occurrences, 4);
	assert_int_equal(t->c.g[4].cause_count, 5);
	/* Closing a circuit ends its occurrence, not the cause. */
	circ_closed(t, 100);
	judge_reset(t->j);		/* a new Tor session */
	circ_built(t, 100, NULL, FP1, "exit");
	s = app_d(1);
	open_on(t, &s, 100, T(20));
	s = app_e(2);
	open_on(t, &s, 100, T(21));
	assert_findings(t, 6);
	assert_string_equal(t->c.g[5].cause, t->c.g[0].cause);
	assert_int_equal(t->c.g[5].is_new, 0);
	assert_int_equal(t->c.g[5].count, 1);
	assert_int_equal(t->c.g[5].first, T(21));
	assert_int_equal(t->c.g[5].occurrences, 5);
	/* Keys of other rules: the listener, the exit, the session. */
	judge_pre_attach(t->j, 2, 7, T(22));
	assert_findings(t, 7);
	assert_string_equal(t->c.g[6].cause, "PRE_ATTACH||7||");
	assert_int_equal(t->c.g[6].count, 2);
	assert_int_equal(t->c.g[6].cause_count, 2);
}

/* A key's parts are escaped: "a|b" + "c" is not "a" + "b|c". */
static void
test_cause_key_escaped(void **state)
{
	struct jt *t = *state;
	struct judge_stream s;

	circ_built(t, 1, NULL, FP1, "exit");
	s = js_make(1, "a|b@h", "L1", "127.0.0.1:9152", 10, "x");
	open_on(t, &s, 1, T(1));
	s = js_make(2, "c@h", "L2", "127.0.0.1:9153", 11, "y");
	open_on(t, &s, 1, T(1));
	judge_stream_closed(t->j, 1);
	judge_stream_closed(t->j, 2);
	circ_built(t, 2, NULL, FP2, "exit");
	s = js_make(3, "a@h", "L3", "127.0.0.1:9154", 12, "z");
	open_on(t, &s, 2, T(1));
	s = js_make(4, "b|c@h", "L4", "127.0.0.1:9155", 13, "w");
	open_on(t, &s, 2, T(1));
	assert_findings(t, 2);
	assert_string_not_equal(t->c.g[0].cause, t->c.g[1].cause);
	assert_string_equal(t->c.g[0].cause, "SHARED_CIRCUIT|||a\\|b@h|c@h");
	assert_int_equal(t->c.g[1].is_new, 1);
}

/*
 * A flood: 20 000 programs one after another on one listener without
 * credentials, all at one instant: 20 000 SHARED_PORT_PROCESSES causes
 * with no circuit (the eviction's order must not rest on time alone, and
 * it must never free what it is about to hand out).  Memory stays
 * bounded; every finding handed out is whole.  Under ASan a use after
 * free fails the test.
 */
static void
test_flood(void **state)
{
	struct jt *t = *state;
	const unsigned n = 20000;
	size_t heap_mid = 0, heap_end, nnew;
	unsigned i;

	t->c.light = 1;
	for (i = 0; i < n; i++) {
		struct judge_stream s;
		char name[16];

		/* Different programs (one run again is one application). */
		snprintf(name, sizeof name, "p%u", i);
		s = port_user(i + 1, 1000 + (long)i, name);
		judge_stream_new(t->j, &s, T(1));
		judge_stream_closed(t->j, i + 1);
		if (i + 1 == n / 2)
			heap_mid = heap_used();
	}
	heap_end = heap_used();
	if (t->c.bad[0] != '\0')
		fail_msg("%s", t->c.bad);
	assert_int_equal(t->c.per_rule[RULE_SHARED_PORT_PROCESSES], n - 1);
	assert_int_equal(t->c.nnew, n - 1);
	if (heap_end > heap_mid + 65536)
		fail_msg("judge state grew from %zu to %zu bytes over the "
		    "second 10 000 causes", heap_mid, heap_end);
	/* The first pair was forgotten: seen again, it is new again. */
	nnew = t->c.nnew;
	{
		struct judge_stream s = port_user(n + 1, 1000, "p0");

		judge_stream_new(t->j, &s, T(2));
		s = port_user(n + 2, 1001, "p1");
		judge_stream_new(t->j, &s, T(2));
	}
	assert_true(t->c.nnew > nnew);
	if (t->c.bad[0] != '\0')
		fail_msg("%s", t->c.bad);
	/*
	 * Time going back (a transcript's clock, a clock step): the one made
	 * now is the least recently seen when the bound is passed.  It is
	 * handed out whole all the same.
	 */
	judge_reset(t->j);
	for (i = 0; i <= 4097; i++) {
		struct judge_stream s;
		char name[16];

		snprintf(name, sizeof name, "q%u", i);
		s = port_user(n + 10 + i, 50000 + (long)i, name);
		judge_stream_new(t->j, &s, i < 4097 ? T(100) : T(1));
		judge_stream_closed(t->j, n + 10 + i);
	}
	if (t->c.bad[0] != '\0')
		fail_msg("%s", t->c.bad);
}

/*
 * The same with circuits that stay open: 6 000 pairs each sharing a
 * circuit of its own at one instant, past the bound of occurrences.
 */
static void
test_flood_circuits(void **state)
{
	struct jt *t = *state;
	const unsigned n = 6000;
	char a[32], b[32];
	unsigned i;

	t->c.light = 1;
	for (i = 0; i < n; i++) {
		struct judge_stream s;

		circ_built(t, 1000 + i, NULL, i % 2 ? FP1 : FP2, "exit");
		snprintf(a, sizeof a, "A%u@localhost", i);
		snprintf(b, sizeof b, "B%u@localhost", i);
		s = js_make(2 * i + 1, a, "A", "127.0.0.1:9152", 0, NULL);
		open_on(t, &s, 1000 + i, T(1));
		s = js_make(2 * i + 2, b, "B", "127.0.0.1:9153", 0, NULL);
		open_on(t, &s, 1000 + i, T(1));
		judge_stream_closed(t->j, 2 * i + 1);
		judge_stream_closed(t->j, 2 * i + 2);
	}
	if (t->c.bad[0] != '\0')
		fail_msg("%s", t->c.bad);
	assert_int_equal(t->c.per_rule[RULE_SHARED_CIRCUIT], n);
	/* Each pair a cause of its own, new once (their ports' pairs too:
	 * A0 beside each Ai, with equal keys, is SHARED_PORT_PROCESSES). */
	assert_true(t->c.nnew >= n);
	assert_int_equal(t->c.nnew, t->c.total);
}

int
main(void)
{
#define JT_TEST(f) \
	cmocka_unit_test_setup_teardown(f, jt_setup, jt_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_bits),
		JT_TEST(test_shared_circuit),
		JT_TEST(test_shared_circuit_order),
		JT_TEST(test_claimed_process),
		JT_TEST(test_conflux_same_set),
		JT_TEST(test_conflux_other_sets),
		JT_TEST(test_conflux_told_late),
		JT_TEST(test_circuit_id_reused),
		JT_TEST(test_controller_attach_groups),
		JT_TEST(test_controller_attach_session_group),
		JT_TEST(test_controller_attach_destaddr),
		JT_TEST(test_controller_attach_socks_username),
		JT_TEST(test_controller_attach_no_iso),
		JT_TEST(test_nym_epoch_reuse),
		JT_TEST(test_nym_epoch_reuse_iso),
		JT_TEST(test_port_processes),
		JT_TEST(test_port_processes_none),
		JT_TEST(test_port_processes_hosts),
		JT_TEST(test_port_processes_dest),
		JT_TEST(test_port_processes_rerun),
		JT_TEST(test_unisolated_port),
		JT_TEST(test_shared_exit),
		JT_TEST(test_shared_exit_none),
		JT_TEST(test_shared_exit_streams),
		JT_TEST(test_weak_port_config),
		JT_TEST(test_weak_port_config_loaded),
		JT_TEST(test_weak_session_group),
		JT_TEST(test_pre_attach),
		JT_TEST(test_pre_attach_streams),
		JT_TEST(test_rule_severity),
		JT_TEST(test_reset),
		JT_TEST(test_reattach),
		JT_TEST(test_failed_circuit),
		JT_TEST(test_hostile_process_name),
		JT_TEST(test_long_run),
		JT_TEST(test_cause_occurrences),
		JT_TEST(test_cause_key_escaped),
		JT_TEST(test_flood),
		JT_TEST(test_flood_circuits),
	};
#undef JT_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
