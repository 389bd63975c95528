/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
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

/* --- LogTargets: what a transcript holds of Tor's lines ----------------- */

static struct privacy scrub_pv;

static void
scrub_key(enum log_targets mode)
{
	memset(&scrub_pv, 0, sizeof scrub_pv);
	scrub_pv.mode = mode;
	memset(scrub_pv.key, 7, sizeof scrub_pv.key);
}

/*
 * The expected text: "{t:ADDR}" is ADDR's target hash ("h:…", ".onion"
 * kept), "{s:VALUE}" a credential's hash, "{o:ADDR}" an onion address's
 * (of "ADDR.onion", without ".onion").  Allocated.
 */
static char *
expand(const char *tmpl)
{
	struct buf b;
	const char *p, *end;
	char *v;

	buf_init(&b);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] != '{' || p[1] == '\0' || p[2] != ':') {
			buf_addc(&b, *p);
			continue;
		}
		end = strchr(p, '}');
		assert_non_null(end);
		v = strndup(p + 3, (size_t)(end - p - 3));
		if (p[1] == 't')
			privacy_hash_target(&scrub_pv, &b, v);
		else if (p[1] == 's')
			privacy_hash(&scrub_pv, &b, v, strlen(v));
		else {
			char *full;

			assert_true(asprintf(&full, "%s.onion", v) > 0);
			privacy_hash_target(&scrub_pv, &b, full);
			b.len -= 6;
			free(full);
		}
		free(v);
		p = end;
	}
	v = strdup(buf_cstr(&b));
	buf_free(&b);
	return v;
}

/*
 * Feeds lines (in, want; NULL-terminated) and checks each output; step 0:
 * all at time ts (one read), else each line a read of its own.
 */
static void
scrub_check(struct record_scrub *sc, int64_t ts, int step,
    const char *const *io)
{
	size_t n, len;
	const char *out;
	char *want, *line;

	for (; io[0] != NULL; io += 2) {
		/* Exactly the line's bytes, no NUL after them, as Tor's line
		 * comes from the read buffer: ASan sees a read past it. */
		len = strlen(io[0]);
		line = malloc(len > 0 ? len : 1);
		assert_non_null(line);
		memcpy(line, io[0], len);
		out = record_scrub_line(sc, line, len, ts, &n);
		want = expand(io[1]);
		if (n != strlen(want) || memcmp(out, want, n) != 0)
			fail_msg("in:   %s\nout:  %.*s\nwant: %s", io[0],
			    (int)n, out, want);
		free(want);
		free(line);
		ts += step;
	}
}

/* The markers a transcript must never show in clear. */
static void
assert_no_marker(const char *s, size_t n)
{
	static const char *const markers[] = { "secret", "marker",
	    "example", "SOCKS_PASSWORD=:", "hunter2", "abcdefghij", NULL };
	size_t i;

	for (i = 0; markers[i] != NULL; i++)
		assert_null(memmem(s, n, markers[i], strlen(markers[i])));
}

#define ONION "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx"

/* STREAM events with hostile credentials and targets, LogTargets hash. */
static void
test_scrub_stream_hash(void **state)
{
	struct record_scrub *sc;
	static const char *const io[] = {
		/* curl -U 'aSOCKS_PASSWORD=:secret': the trick that broke
		 * the substring search. */
		"650 STREAM 7 NEW 0 marker.example:80 SOURCE_ADDR=127.0.0.1:5 "
		"PURPOSE=USER SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" "
		"SOCKS_PASSWORD=\"secret\" CLIENT_PROTOCOL=SOCKS5",
		"650 STREAM 7 NEW 0 {t:marker.example}:80 "
		"SOURCE_ADDR=127.0.0.1:5 PURPOSE=USER "
		"SOCKS_USERNAME=\"{s:aSOCKS_PASSWORD=}\" "
		"SOCKS_PASSWORD=\"{s:secret}\" CLIENT_PROTOCOL=SOCKS5",
		/* Quotes, escapes and CR LF inside the values: hashed as
		 * decoded. */
		"650 STREAM 8 SUCCEEDED 5 [2001:db8::1]:443 "
		"SOCKS_USERNAME=\"q\\\"secret\\\\\" "
		"SOCKS_PASSWORD=\"\\r\\nsecret\\001\"",
		"650 STREAM 8 SUCCEEDED 5 {t:2001:db8::1}:443 "
		"SOCKS_USERNAME=\"{s:q\"secret\\}\" "
		"SOCKS_PASSWORD=\"{s:\r\nsecret\001}\"",
		/* Case does not make two destinations. */
		"650 STREAM 9 NEW 0 Marker.EXAMPLE:80",
		"650 STREAM 9 NEW 0 {t:marker.example}:80",
		/* An onion service stays one, by the hash of its address. */
		"650 STREAM 10 NEW 0 " ONION ".onion:443",
		"650 STREAM 10 NEW 0 {t:" ONION ".onion}:443",
		/* Keywords isoaudit does not know are withheld; words past
		 * the target (a host name with a space) too. */
		"650 STREAM 11 NEW 0 marker.example:80 NEWKEY=secret",
		"650 STREAM 11 NEW 0 {t:marker.example}:80 NEWKEY=[withheld:6]",
		"650 STREAM 12 NEW 0 a secret:80 SESSION_GROUP=-4",
		"650 STREAM 12 NEW 0 {t:a} [withheld:9] SESSION_GROUP=-4",
		/* Unparseable: the event's name, the rest withheld. */
		"650 STREAM 13 NEW 0 x:1 SOCKS_PASSWORD=\"secret",
		"650 STREAM [withheld:35]",
		"650 STREAM x NEW 0 marker.example:80",
		"650 STREAM [withheld:25]",
		/* A password on its own, and an empty one. */
		"650 STREAM 14 CLOSED 5 1.2.3.4:80 SOCKS_PASSWORD=\"\" "
		"REASON=DONE",
		"650 STREAM 14 CLOSED 5 {t:1.2.3.4}:80 SOCKS_PASSWORD=\"{s:}\" "
		"REASON=DONE",
		NULL
	};

	(void)state;
	scrub_key(LOG_TARGETS_HASH);
	sc = record_scrub_new(&scrub_pv);
	scrub_check(sc, 1, 1, io);
	record_scrub_free(sc);
}

/* Very long values: hashed whole, nothing of them left. */
static void
test_scrub_long(void **state)
{
	struct record_scrub *sc;
	struct buf in, want;
	const char *out;
	size_t n, i;

	(void)state;
	scrub_key(LOG_TARGETS_HASH);
	sc = record_scrub_new(&scrub_pv);
	buf_init(&in);
	buf_init(&want);
	buf_adds(&in, "650 STREAM 1 NEW 0 ");
	for (i = 0; i < 300; i++)
		buf_adds(&in, "marker");
	buf_adds(&in, " SOCKS_USERNAME=\"");
	for (i = 0; i < 20000; i++)
		buf_adds(&in, "secret");
	buf_adds(&in, "\"");
	out = record_scrub_line(sc, in.p, in.len, 5, &n);
	assert_true(n < 100);
	assert_no_marker(out, n);
	assert_non_null(memmem(out, n, "SOCKS_USERNAME=\"h:", 18));
	record_scrub_free(sc);
	buf_free(&in);
	buf_free(&want);
}

/* CIRC, GETINFO replies and data blocks, other events, LogTargets hash. */
static void
test_scrub_others_hash(void **state)
{
	struct record_scrub *sc;
	static const char *const io[] = {
		"650 CIRC 4 BUILT $78C017E5490B6E2DB728CA2BF5DA676EA752EC0A~auth1"
		",$16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"BUILD_FLAGS=NEED_CAPACITY PURPOSE=HS_CLIENT_REND "
		"HS_STATE=HSCR_JOINED REND_QUERY=" ONION " "
		"TIME_CREATED=2026-11-24T17:38:21.834810 "
		"SOCKS_USERNAME=\"alice\" SOCKS_PASSWORD=\"hunter2\"",
		"650 CIRC 4 BUILT $78C017E5490B6E2DB728CA2BF5DA676EA752EC0A~auth1"
		",$16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"BUILD_FLAGS=NEED_CAPACITY PURPOSE=HS_CLIENT_REND "
		"HS_STATE=HSCR_JOINED REND_QUERY={o:" ONION "} "
		"TIME_CREATED=2026-11-24T17:38:21.834810 "
		"SOCKS_USERNAME=\"{s:alice}\" SOCKS_PASSWORD=\"{s:hunter2}\"",
		"650 CIRC 5 LAUNCHED", "650 CIRC 5 LAUNCHED",
		/* GETINFO's data blocks. */
		"250+stream-status=", "250+stream-status=",
		"68 SUCCEEDED 35 127.0.0.1:20182",
		"68 SUCCEEDED 35 {t:127.0.0.1}:20182",
		"69 NEW 0 marker.example:443",
		"69 NEW 0 {t:marker.example}:443",
		"junk secret", "[withheld:11]",
		".", ".",
		"250-stream-status=70 SUCCEEDED 1 marker.example:80",
		"250-stream-status=70 SUCCEEDED 1 {t:marker.example}:80",
		"250+circuit-status=", "250+circuit-status=",
		"4 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"PURPOSE=GENERAL SOCKS_USERNAME=\"alice\" "
		"SOCKS_PASSWORD=\"pw1\"",
		"4 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"PURPOSE=GENERAL SOCKS_USERNAME=\"{s:alice}\" "
		"SOCKS_PASSWORD=\"{s:pw1}\"",
		".", ".",
		"250+onions/detached=", "250+onions/detached=",
		ONION, "{o:" ONION "}",
		".", ".",
		"250-onions/detached=" ONION, "250-onions/detached={o:" ONION "}",
		"250 OK", "250 OK",
		"250-version=0.4.9.11", "250-version=0.4.9.11",
		"250-address-mappings/all=marker.example 1.2.3.4 NEVER",
		"250-address-mappings/all=[withheld:28]",
		/* Events. */
		"650 ADDRMAP marker.example 1.2.3.4 \"2026-11-24 17:38:21\" "
		"EXPIRES=\"2026-11-24 17:38:21\" CACHED=\"NO\" STREAMID=5",
		"650 ADDRMAP {t:marker.example} {t:1.2.3.4} "
		"\"2026-11-24 17:38:21\" EXPIRES=\"2026-11-24 17:38:21\" "
		"CACHED=\"NO\" STREAMID=5",
		"650 STATUS_CLIENT WARN SOCKS_BAD_HOSTNAME "
		"HOSTNAME=\"marker.example\"",
		"650 STATUS_CLIENT WARN SOCKS_BAD_HOSTNAME "
		"HOSTNAME={t:marker.example}",
		"650 STATUS_CLIENT WARN DANGEROUS_SOCKS PROTOCOL=SOCKS4 "
		"ADDRESS=1.2.3.4:80",
		"650 STATUS_CLIENT WARN DANGEROUS_SOCKS PROTOCOL=SOCKS4 "
		"ADDRESS={t:1.2.3.4}:80",
		"650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done "
		"SUMMARY=\"Done\"",
		"650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done "
		"SUMMARY=\"Done\"",
		"650 HS_DESC REQUESTED " ONION " NO_AUTH "
		"$16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"secretdescid HSDIR_INDEX=abcdef",
		"650 HS_DESC REQUESTED {o:" ONION "} NO_AUTH "
		"$16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
		"[withheld:12] HSDIR_INDEX=[withheld:6]",
		"650 NOTICE Have tried resolving marker.example",
		"650 NOTICE [withheld:35]",
		"650 SIGNAL NEWNYM", "650 SIGNAL NEWNYM",
		"650 SOMETHING_NEW marker.example", "650 SOMETHING_NEW [withheld:14]",
		"650-CONF_CHANGED", "650-CONF_CHANGED",
		"650-SocksPort=127.0.0.1:9150 IsolateSOCKSAuth",
		"650-SocksPort=127.0.0.1:9150 IsolateSOCKSAuth",
		"650-MapAddress=marker.example secret.onion",
		"650-MapAddress=[withheld:27]",
		"650 OK", "650 OK",
		NULL
	};

	(void)state;
	scrub_key(LOG_TARGETS_HASH);
	sc = record_scrub_new(&scrub_pv);
	scrub_check(sc, 1, 1, io);
	record_scrub_free(sc);
}

/*
 * A SOCKS client's host name with CR LF in it (CONTROL_INJECTION): the
 * lines it smuggled (same read, same time) keep their framing but not
 * their bytes; the rest of Tor's line keeps only Tor's SOURCE_ADDR and
 * SESSION_GROUP; the next read is Tor's again.
 */
static void
test_scrub_injection(void **state)
{
	struct record_scrub *sc;
	static const char *const same_read[] = {
		"650 STREAM 5 FAILED 0 bad",
		"650 STREAM 5 FAILED 0 {t:bad}",
		"650 STREAM 999 NEW 0 marker.example:80 SOURCE_ADDR=6.6.6.6:1",
		"650 [withheld:56]",
		"650+CIRC 4242 BUILT secret", "650+[withheld:22]",
		"secret data", "[withheld:11]",
		".", ".",
		"650 secret end", "650 [withheld:10]",
		"x.secret:443 SOURCE_ADDR=marker:1 REASON=DONE "
		"SOURCE_ADDR=127.0.0.1:4000 SESSION_GROUP=-4",
		"[withheld:89] SOURCE_ADDR=127.0.0.1:4000 SESSION_GROUP=-4",
		NULL
	};
	static const char *const next_read[] = {
		"650 STREAM 6 NEW 0 marker.example:80",
		"650 STREAM 6 NEW 0 {t:marker.example}:80",
		"secret SESSION_GROUP=-4secret", "[withheld:29]",
		NULL
	};

	(void)state;
	scrub_key(LOG_TARGETS_HASH);
	sc = record_scrub_new(&scrub_pv);
	scrub_check(sc, 100, 0, same_read);
	scrub_check(sc, 101, 1, next_read);
	record_scrub_free(sc);
}

/* none: destinations are a placeholder, credentials their hashes (what
 * the output and the database keep of them); plain: as Tor sent them. */
static void
test_scrub_none_plain(void **state)
{
	struct record_scrub *sc;
	static const char *const none[] = {
		"650 STREAM 7 NEW 0 marker.example:80 "
		"SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" SOCKS_PASSWORD=\"secret\"",
		"650 STREAM 7 NEW 0 withheld:80 "
		"SOCKS_USERNAME=\"{s:aSOCKS_PASSWORD=}\" "
		"SOCKS_PASSWORD=\"{s:secret}\"",
		"650 STREAM 8 NEW 0 " ONION ".onion:443",
		"650 STREAM 8 NEW 0 withheld.onion:443",
		"650 CIRC 4 BUILT PURPOSE=HS_SERVICE_REND REND_QUERY=" ONION,
		"650 CIRC 4 BUILT PURPOSE=HS_SERVICE_REND REND_QUERY=withheld",
		"250-onions/detached=" ONION, "250-onions/detached=withheld",
		NULL
	};
	static const char *const plain[] = {
		"650 STREAM 7 NEW 0 marker.example:80 "
		"SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" SOCKS_PASSWORD=\"secret\"",
		"650 STREAM 7 NEW 0 marker.example:80 "
		"SOCKS_USERNAME=\"aSOCKS_PASSWORD=\" SOCKS_PASSWORD=\"secret\"",
		"650 NOTICE marker", "650 NOTICE marker",
		NULL
	};

	(void)state;
	scrub_key(LOG_TARGETS_NONE);
	sc = record_scrub_new(&scrub_pv);
	scrub_check(sc, 1, 1, none);
	record_scrub_free(sc);
	scrub_key(LOG_TARGETS_PLAIN);
	sc = record_scrub_new(&scrub_pv);
	scrub_check(sc, 1, 1, plain);
	record_scrub_free(sc);
}

/*
 * Through the recorder, every sample of real Tor output: with hash no
 * target, username or password of them is left, every line still parses
 * as the same kind of reply, and a STREAM event keeps its port.
 */
static void
test_scrub_samples_file(void **state)
{
	struct tmp *t = *state;
	static const char *const files[] = { "01_ports_A_then_B.txt",
	    "04_sessiongroup42_D_and_E.txt",
	    "06_protocols_socks4_http_unix.txt", "09_getinfo_tcp.txt" };
	struct record *r;
	char *cause = NULL, *s, *line, *save = NULL;
	size_t len, i, lines = 0;
	int64_t ts = 1;

	scrub_key(LOG_TARGETS_HASH);
	r = record_open(t->path, &cause);
	assert_non_null(r);
	record_set_privacy(r, &scrub_pv);
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		s = tu_read_sample(files[i], &len);
		assert_non_null(s);
		for (line = strtok_r(s, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			from_tor(r, line, ts++);
			lines++;
		}
		free(s);
	}
	record_close(r);
	s = slurp(t->path, &len);
	assert_null(strstr(s, "127.0.0.1:2018"));	/* the targets */
	assert_null(strstr(s, "\"alice\""));
	assert_null(strstr(s, "\"pw1\""));
	assert_null(strstr(s, "carol"));
	assert_non_null(strstr(s, "< 650 STREAM "));
	assert_non_null(strstr(s, ":20180 "));		/* ports kept */
	assert_null(strstr(s, "withheld"));		/* all understood */
	free(s);
	assert_true(lines > 100);
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
		cmocka_unit_test(test_scrub_stream_hash),
		cmocka_unit_test(test_scrub_long),
		cmocka_unit_test(test_scrub_others_hash),
		cmocka_unit_test(test_scrub_injection),
		cmocka_unit_test(test_scrub_none_plain),
		cmocka_unit_test_setup_teardown(test_scrub_samples_file,
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
