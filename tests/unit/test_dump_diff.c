/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_dump_diff.c: the differential test of the parse path.  The keyword
 * splitter's fast path, the event parser and the dump (what `replay --dump`
 * prints) against the code they replaced, kept as the oracle in
 * torev_oracle.h: the same items, the same return and cause, the same JSON
 * bytes, on
 *
 *   - every event of the fixtures (tests/fixtures, or $SAMPLES_DIR),
 *   - a generated bench transcript (bench/gen.py, 3000 events), when
 *     /usr/bin/python3 is there,
 *   - mutants of all those lines: quotes, backslashes, '=', spaces, tabs,
 *     high bytes, controls put in or taken out (a fixed seed), so that
 *     both paths of the splitter and every fallback are taken,
 *   - hand-written edge cases of the fast path's grammar,
 *
 * and the transcript reader's blocks (1 MiB, line ends found in place)
 * against a plain split of the same bytes, with lines across blocks and one
 * longer than a block, from a file, a pipe and a FILE without a descriptor.
 *
 * Correctness only: how fast is bench/'s business.
 */
#define ISOAUDIT_PRIVATE

#include "testutil.h"

#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "record.h"
#include "reply.h"
#include "torev.h"
#include "torev_oracle.h"
#include "xmalloc.h"

struct diff {
	struct torev	 old, new;
	struct kvlist	 kfast, kold;
	struct buf	 jold, jnew;
	size_t		 events;	/* compared */
	size_t		 fast;		/* of them, lines the fast path took */
	size_t		 clean;		/* events dumped as clean */
};

static void
diff_init(struct diff *d)
{
	memset(d, 0, sizeof *d);
	oracle_torev_init(&d->old);
	torev_init(&d->new);
	buf_init(&d->jold);
	buf_init(&d->jnew);
}

static void
diff_free(struct diff *d)
{
	oracle_torev_clear(&d->old);
	torev_clear(&d->new);
	reply_kv_free(&d->kfast);
	reply_kv_free(&d->kold);
	buf_free(&d->jold);
	buf_free(&d->jnew);
}

static void
show(const char *what, const char *s, size_t n)
{
	char *e = escape_dup(s, n);

	print_error("%s: %s\n", what, e);
	free(e);
}

/* The splitter: the fast path, where it takes a line, as the old loop. */
static void
diff_kv(struct diff *d, const char *s, size_t n)
{
	char *cause = NULL;
	size_t i;
	int rc;

	if (reply_kv_parse_fast(s, n, &d->kfast) != 0)
		return;
	d->fast++;
	rc = oracle_kv_parse(s, n, &d->kold, &cause);
	if (rc != 0) {
		show("fast path took a line the old one refused", s, n);
		fail_msg("%s", cause);
	}
	if (d->kfast.n != d->kold.n) {
		show("items differ", s, n);
		fail_msg("%zu items, old %zu", d->kfast.n, d->kold.n);
	}
	for (i = 0; i < d->kold.n; i++) {
		const struct kv *a = &d->kfast.v[i], *b = &d->kold.v[i];

		if ((a->key == NULL) != (b->key == NULL) ||
		    (a->key != NULL && strcmp(a->key, b->key) != 0) ||
		    a->vlen != b->vlen || memcmp(a->val, b->val, a->vlen) ||
		    a->val[a->vlen] != '\0' || a->quoted != b->quoted) {
			show("item differs", s, n);
			fail_msg("item %zu", i);
		}
	}
}

/* One reply through both parsers and both dumps. */
static void
diff_reply(struct diff *d, const struct reply *r)
{
	char *cold = NULL, *cnew = NULL;
	int rold, rnew;

	if (!r->async || r->nlines == 0)
		return;
	diff_kv(d, r->lines[0].text, r->lines[0].textlen);
	rold = oracle_torev_parse(r, &d->old, &cold);
	rnew = torev_parse(r, &d->new, &cnew);
	d->events++;
	if (rold != rnew || (cold == NULL) != (cnew == NULL) ||
	    (cold != NULL && strcmp(cold, cnew) != 0)) {
		show("parse differs", r->lines[0].text, r->lines[0].textlen);
		fail_msg("old %d (%s), new %d (%s)", rold,
		    cold ? cold : "-", rnew, cnew ? cnew : "-");
	}
	free(cold);
	free(cnew);
	if (rold != 0)
		return;
	buf_reset(&d->jold);
	buf_reset(&d->jnew);
	oracle_torev_dump_json(&d->old, &d->jold);
	torev_dump_json(&d->new, &d->jnew);
	d->clean += d->new.clean != 0;
	if (d->jold.len != d->jnew.len ||
	    memcmp(d->jold.p, d->jnew.p, d->jold.len) != 0) {
		show("dump differs", r->lines[0].text, r->lines[0].textlen);
		show("old", d->jold.p, d->jold.len);
		show("new", d->jnew.p, d->jnew.len);
		fail_msg("dump differs");
	}
}

static void
diff_cb(const struct reply *r, void *arg)
{
	diff_reply(arg, r);
}

/* One event line (its text after "650 "), NUL-terminated as the framer
 * gives it. */
static void
diff_line(struct diff *d, const char *text, size_t n)
{
	struct reply r;
	struct reply_line l;
	char *copy = xmalloc(n + 1);

	memcpy(copy, text, n);
	copy[n] = '\0';
	tu_event1(&r, &l, copy, n);
	diff_reply(d, &r);
	free(copy);
}

/*
 * The lines of a capture or a transcript: from Tor's lines through the
 * framer (multi-line events too); each "650 " line's text also into lines
 * (for the mutants).
 */
static void
diff_file(struct diff *d, const char *path, char ***lines, size_t *nlines)
{
	struct reply_parser *p = reply_parser_new(diff_cb, NULL, d);
	size_t len, i = 0;
	char *s = tu_read_file(path, &len);

	while (i < len) {
		char *nl = memchr(s + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - s) : len, k = i;

		if (e > i && s[e - 1] == '\r')
			e--;

		/* A transcript's "<secs>.<usecs> < " prefix. */
		while (k < e && s[k] >= '0' && s[k] <= '9')
			k++;
		if (k > i && k + 10 <= e && s[k] == '.' && s[k + 7] == ' ') {
			if (s[k + 8] != '<')
				goto next;
			k += 10;
		} else
			k = i;
		reply_parser_line(p, s + k, e - k, 0);
		if (e - k > 4 && memcmp(s + k, "650 ", 4) == 0 &&
		    lines != NULL) {
			*lines = xreallocarray(*lines, *nlines + 1,
			    sizeof **lines);
			(*lines)[(*nlines)++] = xstrndup(s + k + 4, e - k - 4);
		}
next:
		i = nl != NULL ? (size_t)(nl - s) + 1 : len;
	}
	reply_parser_free(p);
	free(s);
}

static void
test_fixtures(void **state)
{
	struct diff d;
	char path[4096];
	size_t f;

	(void)state;
	diff_init(&d);
	for (f = 0; f < TU_NSAMPLES; f++) {
		snprintf(path, sizeof path, "%s/%s", tu_samples_dir(),
		    tu_samples[f]);
		diff_file(&d, path, NULL, NULL);
	}
	print_message("fixtures: %zu events, %zu through the fast path, "
	    "%zu dumped clean\n", d.events, d.fast, d.clean);
	assert_true(d.events > 100);
	assert_true(d.fast > 0 && d.clean > 0);
	diff_free(&d);
}

/* A small PRNG: the mutants are the same at every run. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Puts one change into s[0..*n) (room for 16 more bytes). */
static void
mutate(char *s, size_t *n, uint64_t *seed)
{
	static const char ins[] = "\"\\= \t\x80\xc3\x7f\x01,$~";
	static const char *const runs[] = {
		"K=\"a b\"", "K=\"a\\\"b\"", "\"q\"", "K=\"\"", "=x", "a\"b",
		"K=\"x\"y", "K=\"\\101\"", "1K=v", "K.-/_9=v", "\xe2\x82\xac"
	};
	size_t pos = *n ? rnd(seed) % (*n + 1) : 0, k;
	const char *run;
	char one[2];

	switch (rnd(seed) % 4) {
	case 0:		/* one byte in */
		one[0] = ins[rnd(seed) % (sizeof ins - 1)];
		one[1] = '\0';
		run = one;
		break;
	case 1:		/* a word in */
		run = runs[rnd(seed) % TU_NELEM(runs)];
		break;
	case 2:		/* one byte out */
		if (pos < *n) {
			memmove(s + pos, s + pos + 1, *n - pos - 1);
			(*n)--;
		}
		return;
	default:	/* one byte changed */
		if (pos < *n)
			s[pos] = ins[rnd(seed) % (sizeof ins - 1)];
		return;
	}
	k = strlen(run);
	memmove(s + pos + k, s + pos, *n - pos);
	memcpy(s + pos, run, k);
	*n += k;
}

/* Each line as it is and in mutants of up to three changes. */
static void
diff_mutants(struct diff *d, char **lines, size_t nlines, size_t per)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t i, k, m, n;
	char *s;

	for (i = 0; i < nlines; i++) {
		size_t len = strlen(lines[i]);

		diff_line(d, lines[i], len);
		s = xmalloc(len + 3 * 16 + 1);
		for (k = 0; k < per; k++) {
			memcpy(s, lines[i], len);
			n = len;
			for (m = 0; m <= rnd(&seed) % 3; m++)
				mutate(s, &n, &seed);
			s[n] = '\0';
			diff_line(d, s, n);
		}
		free(s);
	}
}

static void
free_lines(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void
test_fixture_mutants(void **state)
{
	struct diff d;
	char path[4096], **lines = NULL;
	size_t f, n = 0;

	(void)state;
	diff_init(&d);
	for (f = 0; f < TU_NSAMPLES; f++) {
		snprintf(path, sizeof path, "%s/%s", tu_samples_dir(),
		    tu_samples[f]);
		diff_file(&d, path, &lines, &n);
	}
	diff_mutants(&d, lines, n, 40);
	assert_true(d.fast * 4 > d.events);
	print_message("fixture mutants: %zu events, %zu through the fast "
	    "path, %zu dumped clean\n", d.events, d.fast, d.clean);
	free_lines(lines, n);
	diff_free(&d);
}

/* A bench transcript of 3000 events (bench/gen.py), and its mutants. */
static void
test_bench_transcript(void **state)
{
	char dir[] = "/tmp/isoaudit-dumpdiff-XXXXXX", path[256], cmd[512];
	char **lines = NULL;
	struct diff d;
	size_t n = 0;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    access("bench/gen.py", R_OK) != 0) {
		print_message("no /usr/bin/python3 or bench/gen.py: skipped\n");
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.txt", dir);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/gen.py --seed 7 "
	    "--events 3000 %s >/dev/null", path);
	assert_int_equal(system(cmd), 0);
	diff_init(&d);
	diff_file(&d, path, &lines, &n);
	assert_true(d.events >= 3000);
	assert_true(d.fast * 10 > d.events * 9);
	diff_mutants(&d, lines, n, 4);
	print_message("bench transcript and mutants: %zu events, %zu through "
	    "the fast path, %zu dumped clean\n", d.events, d.fast, d.clean);
	free_lines(lines, n);
	diff_free(&d);
	tu_rm_rf(dir);
}

/* The fast path's grammar at its edges, and what it leaves. */
static void
test_edges(void **state)
{
	static const char *const taken[] = {
		"STREAM 1 NEW 0 a:1",
		"STREAM 1 NEW 0 a:1 K=\"\"",
		"STREAM 1 NEW 0 a:1 K=\"a b=c\" L=x",
		"STREAM  1   NEW 0 a:1  ",
		"STREAM 1 NEW 0 a:1 =x 1K=v K.-/_9=v K==v K=v=w",
		"CIRC 1 BUILT $0123456789ABCDEF0123456789ABCDEF01234567~n,x "
		    "BUILD_FLAGS=A,B,,C PURPOSE=GENERAL",
		"STREAM 1 NEW 0 a:1 SOCKS_USERNAME=\"u\" "
		    "SOCKS_PASSWORD=\"p w\" ISO_FIELDS=A,B",
		"",
		" ",
	};
	static const char *const left[] = {
		"STREAM 1 NEW 0 a:1 K=\"a\\\"b\"",	/* an escape */
		"STREAM 1 NEW 0 a:1 \"q\"",		/* a quoted word */
		"STREAM 1 NEW 0 a:1 a\"b",		/* a quote in a word */
		"STREAM 1 NEW 0 a:1 K=\"x\"y",		/* junk after it */
		"STREAM 1 NEW 0 a:1 K=\"x",		/* unterminated */
		"STREAM 1 NEW 0 a:1 K=a\"b\"",		/* not the first '=' */
		"STREAM 1 NEW 0 a:1 A=b=\"c\"",
		"STREAM 1 NEW 0 a:1 K=\t",		/* a control */
		"STREAM 1 NEW 0 a:1 K=\xc3\xa9",	/* a high byte */
		"STREAM 1 NEW 0 a:1 K=\x7f",
	};
	struct diff d;
	struct kvlist l = { 0 };
	char big[REPLY_KV_FAST_MAX + 2];
	size_t i;

	(void)state;
	diff_init(&d);
	for (i = 0; i < TU_NELEM(taken); i++) {
		if (reply_kv_parse_fast(taken[i], strlen(taken[i]), &l) != 0)
			fail_msg("left to the general path: %s", taken[i]);
		assert_int_equal(l.clean, 1);
		diff_line(&d, taken[i], strlen(taken[i]));
	}
	for (i = 0; i < TU_NELEM(left); i++) {
		if (reply_kv_parse_fast(left[i], strlen(left[i]), &l) != 1)
			fail_msg("taken by the fast path: %s", left[i]);
		assert_int_equal(l.n, 0);
		diff_line(&d, left[i], strlen(left[i]));
	}
	/* At the length limit and one past it; words across blocks. */
	for (i = 0; i < sizeof big; i++)
		big[i] = i % 7 == 6 ? ' ' : i % 7 == 2 ? '=' : 'A' + i % 5;
	memcpy(big, "STREAM 1 NEW 0 a:1 ", 19);
	assert_int_equal(reply_kv_parse_fast(big, REPLY_KV_FAST_MAX, &l), 0);
	assert_int_equal(reply_kv_parse_fast(big, REPLY_KV_FAST_MAX + 1, &l),
	    1);
	for (i = 19; i < sizeof big - 1; i += 61) {
		big[i] = '\0';
		diff_line(&d, big, i);
		big[i] = 'A';
	}
	reply_kv_free(&l);
	diff_free(&d);
}

/* Bytes of a bare capture: lines of every length, CRLF and LF, empty
 * ones, a line over a block (1 MiB), no line end at the end. */
static char *
reader_bytes(size_t *lenp)
{
	struct buf b;
	uint64_t seed = 42;
	size_t i, k, n;

	buf_init(&b);
	buf_adds(&b, "650 first\n");
	for (i = 0; b.len < 3 * 1024 * 1024; i++) {
		n = i == 500 ? 1024 * 1024 + 77 : rnd(&seed) % 700;
		buf_add(&b, "650 ", 4);
		for (k = 0; k < n; k++)
			buf_addc(&b, (char)('a' + (i + k) % 26));
		buf_adds(&b, i % 3 == 0 ? "\r\n" : i % 17 == 0 ? "\n\n" : "\n");
	}
	buf_adds(&b, "650 last, no line end");
	*lenp = b.len;
	return b.p;
}

/* Reads f with the record reader; checks every line against s[0..n). */
static void
reader_check(FILE *f, const char *s, size_t n)
{
	struct record_reader *rr = record_reader_new(f);
	struct record_line l;
	size_t i = 0, lines = 0;

	while (record_reader_next(rr, &l) == 1) {
		const char *nl;
		size_t e;

		/* Empty lines of a capture come through too. */
		nl = memchr(s + i, '\n', n - i);
		e = nl != NULL ? (size_t)(nl - s) : n;
		if (e > i && s[e - 1] == '\r')
			e--;
		assert_int_equal(l.len, e - i);
		assert_memory_equal(l.text, s + i, l.len);
		assert_int_equal(l.dir, '<');
		i = nl != NULL ? (size_t)(nl - s) + 1 : n;
		lines++;
	}
	assert_int_equal(i, n);
	assert_true(lines > 1000);
	record_reader_free(rr);
}

static void
test_reader_blocks(void **state)
{
	char path[] = "/tmp/isoaudit-dumpdiff-rd-XXXXXX";
	size_t n, off;
	char *s = reader_bytes(&n);
	int fd, p[2];
	pid_t pid;
	FILE *f;

	(void)state;
	/* A file (read(2)). */
	assert_true((fd = mkstemp(path)) != -1);
	for (off = 0; off < n;) {
		ssize_t w = write(fd, s + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_non_null(f = fdopen(fd, "r"));
	rewind(f);
	reader_check(f, s, n);
	fclose(f);
	unlink(path);
	/* A pipe, written in odd pieces (short reads). */
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		for (off = 0; off < n;) {
			size_t k = n - off < 4093 ? n - off : 4093;
			ssize_t w = write(p[1], s + off, k);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	assert_non_null(f = fdopen(p[0], "r"));
	reader_check(f, s, n);
	fclose(f);
	waitpid(pid, NULL, 0);
	/* No descriptor (fread). */
	assert_non_null(f = fmemopen(s, n, "r"));
	reader_check(f, s, n);
	fclose(f);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixture_mutants),
		cmocka_unit_test(test_bench_transcript),
		cmocka_unit_test(test_reader_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
