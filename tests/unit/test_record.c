/*
 * test_record.c: transcripts.  Files created 0600 whatever the umask,
 * AUTHENTICATE's argument never written, one line per note, and the reader
 * (transcripts and bare captures).
 */
#define ISOAUDIT_PRIVATE

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "privacy.h"
#include "record.h"

struct tmp {
	char	dir[64];
	char	path[128];
};

static int
setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	snprintf(t->dir, sizeof t->dir, "/tmp/isoaudit-test.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof t->path, "%s/transcript", t->dir);
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static char *
slurp(const char *path, size_t *len)
{
	return tu_read_file(path, len);
}

/* --- creating the file --------------------------------------------------- */

static void
test_open_mode_umask0(void **state)
{
	struct tmp *t = *state;
	struct record *r;
	char *cause = NULL;
	mode_t old = umask(0);

	r = record_open(t->path, &cause);
	umask(old);
	assert_non_null(r);
	assert_null(cause);
	assert_int_equal(file_mode(t->path), 0600);
	record_close(r);
	assert_int_equal(file_mode(t->path), 0600);
}

static void
test_open_existing_0644(void **state)
{
	struct tmp *t = *state;
	struct record *r;
	char *cause = NULL, *s;
	size_t len;
	FILE *f;
	mode_t old;

	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs("old content that must go\n", f);
	fclose(f);
	assert_int_equal(chmod(t->path, 0644), 0);
	assert_int_equal(file_mode(t->path), 0644);

	old = umask(0);
	r = record_open(t->path, &cause);
	umask(old);
	assert_non_null(r);
	assert_int_equal(file_mode(t->path), 0600);
	record_from_tor(r, "250 OK", 6, 1);
	record_close(r);
	s = slurp(t->path, &len);
	assert_string_equal(s, "0.000001 < 250 OK\n");
	free(s);
	assert_int_equal(file_mode(t->path), 0600);
}

static void
test_open_refuses_symlink(void **state)
{
	struct tmp *t = *state;
	char target[160], *cause = NULL;
	struct record *r;

	snprintf(target, sizeof target, "%s/elsewhere", t->dir);
	assert_int_equal(symlink(target, t->path), 0);
	r = record_open(t->path, &cause);
	assert_null(r);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "cannot create transcript"));
	assert_non_null(strstr(cause, t->path));
	free(cause);
	/* Nothing was created behind the link. */
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(unlink(t->path), 0);
}

static void
test_open_missing_dir(void **state)
{
	struct tmp *t = *state;
	char path[200], *cause = NULL;

	snprintf(path, sizeof path, "%s/no/such/dir/t", t->dir);
	assert_null(record_open(path, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, strerror(ENOENT)));
	free(cause);
}

/* --- what gets written -------------------------------------------------- */

static void
check_redact(const char *in, const char *want)
{
	char *got = record_redact(in, strlen(in));

	assert_string_equal(got, want);
	free(got);
}

static void
test_redact(void **state)
{
	(void)state;
	check_redact("AUTHENTICATE abc", "AUTHENTICATE [redacted]");
	check_redact("AUTHENTICATE 0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", "AUTHENTICATE [redacted]");
	check_redact("authenticate \"pw\"", "AUTHENTICATE [redacted]");
	check_redact("AuThEnTiCaTe \"a b c\"", "AUTHENTICATE [redacted]");
	check_redact("AUTHENTICATE  x", "AUTHENTICATE [redacted]");
	check_redact("AUTHENTICATE ", "AUTHENTICATE [redacted]");
	check_redact("AUTHENTICATE", "AUTHENTICATE");
	check_redact("AUTHENTICATE\r", "AUTHENTICATE");
	check_redact("AUTHCHALLENGE SAFECOOKIE "
	    "0001020304050607080910111213141516171819202122232425262728293031",
	    "AUTHCHALLENGE SAFECOOKIE "
	    "0001020304050607080910111213141516171819202122232425262728293031");
	check_redact("AUTHENTICATED x", "AUTHENTICATED x");
	check_redact("AUTH x", "AUTH x");
	check_redact("GETINFO version", "GETINFO version");
	check_redact("PROTOCOLINFO 1", "PROTOCOLINFO 1");
	check_redact("", "");
	/* Only the first n bytes count. */
	{
		char *got = record_redact("GETINFO versionXYZ", 15);

		assert_string_equal(got, "GETINFO version");
		free(got);
	}
}

static void
from_tor(struct record *r, const char *s, int64_t ts)
{
	record_from_tor(r, s, strlen(s), ts);
}

static void
to_tor(struct record *r, const char *s, int64_t ts)
{
	record_to_tor(r, s, strlen(s), ts);
}

static void
test_write_lines(void **state)
{
	struct tmp *t = *state;
	struct record *r;
	char *cause = NULL, *s;
	size_t len;

	r = record_open(t->path, &cause);
	assert_non_null(r);
	to_tor(r, "PROTOCOLINFO 1", 1700000000000000);
	from_tor(r, "250-AUTH METHODS=COOKIE,SAFECOOKIE\r", 1700000000000001);
	to_tor(r, "AUTHENTICATE 00112233445566778899aabbccddeeff",
	    1700000000123456);
	to_tor(r, "authenticate \"hunter2\"", 1700000000999999);
	from_tor(r, "", 1700000001000000);
	from_tor(r, "250+d=", 5);
	record_note(r, 1700000002000000, "stream %d from %s", 44,
	    "127.0.0.1:5000");
	record_note(r, 1700000002000001, "first line\nsecond line\r\nthird");
	record_note(r, 1700000002000002, "%s", "cr\ronly");
	record_note(r, 1700000002000003, "%s", "");
	assert_int_equal(record_failed(r), 0);
	record_close(r);

	s = slurp(t->path, &len);
	assert_string_equal(s,
	    "1700000000.000000 > PROTOCOLINFO 1\n"
	    "1700000000.000001 < 250-AUTH METHODS=COOKIE,SAFECOOKIE\n"
	    "1700000000.123456 > AUTHENTICATE [redacted]\n"
	    "1700000000.999999 > AUTHENTICATE [redacted]\n"
	    "1700000001.000000 < \n"
	    "0.000005 < 250+d=\n"
	    "1700000002.000000 # stream 44 from 127.0.0.1:5000\n"
	    "1700000002.000001 # first line\n"
	    "1700000002.000002 # cr\n"
	    "1700000002.000003 # \n");
	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "00112233"));
	free(s);
}

/* SOCKS passwords reach the transcript only as keyed hashes. */
static void
test_socks_password_hidden(void **state)
{
	struct tmp *t = *state;
	struct privacy pv;
	struct record *r;
	struct buf h;
	char *cause = NULL, *s, want[256];
	size_t len;

	memset(&pv, 0, sizeof pv);
	pv.mode = LOG_TARGETS_HASH;
	memset(pv.key, 7, sizeof pv.key);
	buf_init(&h);
	privacy_hash(&pv, &h, "pw \"secret\"", 11);
	r = record_open(t->path, &cause);
	assert_non_null(r);
	record_set_privacy(r, &pv);
	from_tor(r, "650 STREAM 7 NEW 0 a:1 SOCKS_USERNAME=\"u\" "
	    "SOCKS_PASSWORD=\"pw \\\"secret\\\"\" X=1", 1);
	from_tor(r, "650 STREAM 8 NEW 0 a:1 SOCKS_PASSWORD=\"unterminated", 2);
	pv.mode = LOG_TARGETS_PLAIN;
	from_tor(r, "650 STREAM 9 NEW 0 a:1 SOCKS_PASSWORD=\"plain\"", 3);
	record_close(r);
	s = slurp(t->path, &len);
	snprintf(want, sizeof want,
	    "0.000001 < 650 STREAM 7 NEW 0 a:1 SOCKS_USERNAME=\"u\" "
	    "SOCKS_PASSWORD=\"%s\" X=1\n"
	    "0.000002 < 650 STREAM 8 NEW 0 a:1 SOCKS_PASSWORD=\"unterminated\n"
	    "0.000003 < 650 STREAM 9 NEW 0 a:1 SOCKS_PASSWORD=\"plain\"\n",
	    buf_cstr(&h));
	assert_string_equal(s, want);
	assert_null(strstr(s, "secret"));
	free(s);
	buf_free(&h);
}

static void
test_null_recorder(void **state)
{
	(void)state;
	/* A session without --record passes NULL around. */
	record_from_tor(NULL, "x", 1, 0);
	record_to_tor(NULL, "AUTHENTICATE x", 14, 0);
	record_note(NULL, 0, "%s", "x");
	assert_int_equal(record_failed(NULL), 0);
	record_close(NULL);
}

static char logged[512];

static void
log_capture(enum log_level lvl, const char *msg, void *arg)
{
	(void)arg;
	if (lvl == LOG_LVL_ERROR)
		snprintf(logged, sizeof logged, "%s", msg);
}

/* A write that fails (the reader of a FIFO went away) stops recording,
 * says so once, and the caller goes on. */
static void
test_write_failure(void **state)
{
	struct tmp *t = *state;
	struct record *r;
	char *cause = NULL;
	void (*old)(int);
	int rd;

	assert_int_equal(mkfifo(t->path, 0600), 0);
	rd = open(t->path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	r = record_open(t->path, &cause);
	assert_non_null(r);
	old = signal(SIGPIPE, SIG_IGN);
	close(rd);
	logged[0] = '\0';
	log_set_sink(log_capture, NULL);
	assert_int_equal(record_failed(r), 0);
	record_from_tor(r, "650 SIGNAL NEWNYM", 17, 1);
	assert_int_equal(record_failed(r), -1);
	assert_non_null(strstr(logged, "write failed"));
	assert_non_null(strstr(logged, t->path));
	logged[0] = '\0';
	record_from_tor(r, "650 SIGNAL NEWNYM", 17, 2);
	record_note(r, 3, "x");
	record_close(r);
	assert_string_equal(logged, "");	/* said once */
	log_set_sink(NULL, NULL);
	signal(SIGPIPE, old);
	assert_int_equal(unlink(t->path), 0);
}

/* --- reading ------------------------------------------------------------- */

static FILE *
memfile(const char *s)
{
	FILE *f = fmemopen((void *)(uintptr_t)s, strlen(s), "r");

	assert_non_null(f);
	return f;
}

static void
expect_line(struct record_reader *rr, int64_t ts, char dir, const char *text)
{
	struct record_line l;

	memset(&l, 0x55, sizeof l);
	assert_int_equal(record_reader_next(rr, &l), 1);
	assert_int_equal(l.ts_us, ts);
	assert_int_equal(l.dir, dir);
	assert_int_equal(l.len, strlen(text));
	assert_memory_equal(l.text, text, l.len);
}

static void
expect_eof(struct record_reader *rr)
{
	struct record_line l;

	assert_int_equal(record_reader_next(rr, &l), 0);
	assert_int_equal(record_reader_next(rr, &l), 0);
}

static void
test_read_transcript(void **state)
{
	FILE *f = memfile("\n\r\n"
	    "1700000000.000000 > PROTOCOLINFO 1\r\n"
	    "1700000000.000001 < 250-AUTH METHODS=NULL\n"
	    "\n"
	    "1700000000.123456 # stream 5 listener 127.0.0.1:9050\n"
	    "1700000001.000000 < \n"
	    "1700000001.000001 <\n"
	    "garbage in the middle\n"
	    "1700000001.00001 < five digits of usec\n"
	    "1700000001.000001 X bad direction\n"
	    "1700000001.000001 <no space\n"
	    "1700000001 < no dot\n"
	    "123456789012345678.000000 < too many seconds\n"
	    "1700000002.999999 < 250 OK");
	struct record_reader *rr = record_reader_new(f);

	(void)state;
	expect_line(rr, 1700000000000000, '>', "PROTOCOLINFO 1");
	assert_int_equal(record_reader_is_transcript(rr), 1);
	expect_line(rr, 1700000000000001, '<', "250-AUTH METHODS=NULL");
	expect_line(rr, 1700000000123456, '#',
	    "stream 5 listener 127.0.0.1:9050");
	/* An empty line from Tor (in a data block) survives. */
	expect_line(rr, 1700000001000000, '<', "");
	expect_line(rr, 1700000001000001, '<', "");
	expect_line(rr, 0, '?', "garbage in the middle");
	expect_line(rr, 0, '?', "1700000001.00001 < five digits of usec");
	expect_line(rr, 0, '?', "1700000001.000001 X bad direction");
	expect_line(rr, 0, '?', "1700000001.000001 <no space");
	expect_line(rr, 0, '?', "1700000001 < no dot");
	expect_line(rr, 0, '?', "123456789012345678.000000 < too many seconds");
	expect_line(rr, 1700000002999999, '<', "250 OK");
	expect_eof(rr);
	record_reader_free(rr);
	fclose(f);
}

static void
test_read_bare_capture(void **state)
{
	FILE *f = memfile("\r\n\n250 OK\r\n"
	    "250+x=\r\n"
	    "\r\n"
	    "1700000000.000000 < looks stamped\r\n"
	    ".\r\n"
	    "250 OK");
	struct record_reader *rr = record_reader_new(f);

	(void)state;
	expect_line(rr, 0, '<', "250 OK");
	assert_int_equal(record_reader_is_transcript(rr), 0);
	expect_line(rr, 0, '<', "250+x=");
	/* Empty lines after the first are kept: they can be data. */
	expect_line(rr, 0, '<', "");
	/* The first line decided: the rest is taken as it is. */
	expect_line(rr, 0, '<', "1700000000.000000 < looks stamped");
	expect_line(rr, 0, '<', ".");
	expect_line(rr, 0, '<', "250 OK");
	expect_eof(rr);
	record_reader_free(rr);
	fclose(f);

	f = memfile("");
	rr = record_reader_new(f);
	expect_eof(rr);
	assert_int_equal(record_reader_is_transcript(rr), 0);
	record_reader_free(rr);
	fclose(f);
	record_reader_free(NULL);
}

/* Every sample is a bare capture: read back line by line, unchanged. */
static void
test_read_samples(void **state)
{
	size_t f;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		char path[4096];
		struct record_reader *rr;
		struct record_line l;
		size_t len, off = 0, n = 0;
		char *s = tu_read_sample(tu_samples[f], &len);
		FILE *fp;

		snprintf(path, sizeof path, "%s/%s", tu_samples_dir(),
		    tu_samples[f]);
		fp = fopen(path, "r");
		assert_non_null(fp);
		rr = record_reader_new(fp);
		while (record_reader_next(rr, &l) == 1) {
			assert_int_equal(l.dir, '<');
			assert_int_equal(l.ts_us, 0);
			assert_memory_equal(s + off, l.text, l.len);
			off += l.len;
			assert_memory_equal(s + off, "\r\n", 2);
			off += 2;
			n++;
		}
		assert_int_equal(off, len);
		assert_true(n >= 23);
		assert_int_equal(record_reader_is_transcript(rr), 0);
		record_reader_free(rr);
		fclose(fp);
		free(s);
	}
}

/* --- round trip ---------------------------------------------------------- */

/* Sample -> parser with the recorder on its line hook -> transcript ->
 * reader -> parser: the same replies at the same times. */
static void
test_round_trip(void **state)
{
	struct tmp *t = *state;
	size_t f;

	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll live, again;
		struct reply_parser *p;
		struct record_reader *rr;
		struct record_line l;
		struct record *r;
		char *cause = NULL;
		size_t len, i, nread = 0, ncmd = 0;
		char *s = tu_read_sample(tu_samples[f], &len);
		FILE *fp;

		/* Live: lines as they come, each stamped. */
		p = tu_parser(&live);
		reply_parser_set_line_hook(p, tu_coll_hook);
		for (i = 0; i < len; i += 100)
			reply_parser_feed(p, s + i, len - i < 100 ? len - i :
			    100, 1700000000000000 + (int64_t)i * 1001);
		reply_parser_free(p);
		assert_true(live.nhook >= 23);

		r = record_open(t->path, &cause);
		assert_non_null(r);
		record_to_tor(r, "AUTHENTICATE 0011", 17, 1699999999999999);
		for (i = 0; i < live.nhook; i++) {
			record_from_tor(r, live.h[i].s, live.h[i].n,
			    live.h[i].ts);
			if (i % 10 == 0)
				record_note(r, live.h[i].ts, "note %zu", i);
		}
		record_close(r);

		/* Replay: the reader's '<' lines into a new parser. */
		fp = fopen(t->path, "r");
		assert_non_null(fp);
		rr = record_reader_new(fp);
		p = tu_parser(&again);
		while (record_reader_next(rr, &l) == 1) {
			if (l.dir == '>') {
				ncmd++;
				assert_int_equal(l.ts_us, 1699999999999999);
				assert_int_equal(l.len, 23);
				assert_memory_equal(l.text,
				    "AUTHENTICATE [redacted]", 23);
				continue;
			}
			if (l.dir == '#')
				continue;
			assert_int_equal(l.dir, '<');
			assert_true(nread < live.nhook);
			assert_int_equal(l.ts_us, live.h[nread].ts);
			assert_int_equal(l.len, live.h[nread].n);
			assert_memory_equal(l.text, live.h[nread].s, l.len);
			nread++;
			reply_parser_line(p, l.text, l.len, l.ts_us);
		}
		assert_int_equal(record_reader_is_transcript(rr), 1);
		reply_parser_free(p);
		record_reader_free(rr);
		fclose(fp);
		assert_int_equal(ncmd, 1);
		assert_int_equal(nread, live.nhook);
		tu_coll_assert_equal(&live, &again);
		for (i = 0; i < live.n; i++)
			assert_int_equal(live.r[i].ts_us, again.r[i].ts_us);
		tu_coll_free(&live);
		tu_coll_free(&again);
		free(s);
	}
}

/* Hostile lines survive the transcript: the replay sees the same replies
 * and the same problems as the live run. */
static void
test_round_trip_hostile(void **state)
{
	struct tmp *t = *state;
	struct tu_coll live, again;
	struct reply_parser *p;
	struct record_reader *rr;
	struct record_line l;
	struct record *r;
	struct buf in;
	char *cause = NULL;
	size_t i;
	FILE *fp;

	buf_init(&in);
	buf_adds(&in, "650 STREAM 1 NEW 0 a:1 SOCKS_USERNAME=\"\\377\"\r\n");
	buf_add(&in, "650 STREAM 2 NEW 0 a:1 \0 X=1\r\n", 30);
	buf_adds(&in, "250-a\rb\r\n250-\x80\xff\xc3\r\ngarbage\r\n");
	buf_adds(&in, "250+d=\r\n\r\n..x\r\n.\r\n250 OK\r\n");
	buf_adds(&in, "650 STREAM 3 NEW 0 a:");
	for (i = 0; i < REPLY_MAX_LINE + 10; i++)
		buf_addc(&in, '9');
	buf_adds(&in, "\r\n650 SIGNAL NEWNYM\n");

	p = tu_parser(&live);
	reply_parser_set_line_hook(p, tu_coll_hook);
	reply_parser_feed(p, in.p, in.len, 42);
	reply_parser_free(p);
	buf_free(&in);
	assert_int_equal(live.n, 5);
	assert_int_equal(live.nerr, 3);
	assert_int_equal(live.nhook, 12);

	r = record_open(t->path, &cause);
	assert_non_null(r);
	for (i = 0; i < live.nhook; i++)
		record_from_tor(r, live.h[i].s, live.h[i].n, live.h[i].ts);
	record_close(r);

	fp = fopen(t->path, "r");
	assert_non_null(fp);
	rr = record_reader_new(fp);
	p = tu_parser(&again);
	for (i = 0; record_reader_next(rr, &l) == 1; i++) {
		assert_int_equal(l.dir, '<');
		assert_int_equal(l.ts_us, 42);
		reply_parser_line(p, l.text, l.len, l.ts_us);
	}
	assert_int_equal(i, live.nhook);
	reply_parser_free(p);
	record_reader_free(rr);
	fclose(fp);
	tu_coll_assert_equal(&live, &again);
	tu_coll_free(&live);
	tu_coll_free(&again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_mode_umask0,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_open_existing_0644,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_open_refuses_symlink,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_open_missing_dir,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test(test_redact),
		cmocka_unit_test_setup_teardown(test_write_lines,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test(test_null_recorder),
		cmocka_unit_test_setup_teardown(test_socks_password_hidden,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_write_failure,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test(test_read_transcript),
		cmocka_unit_test(test_read_bare_capture),
		cmocka_unit_test(test_read_samples),
		cmocka_unit_test_setup_teardown(test_round_trip,
		    setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_round_trip_hostile,
		    setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
