/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_ctl.c: the pure parts of the control client: SAFECOOKIE hashes, the
 * names of the authentication methods, the probe that tells Tor's own
 * control port from a filtering proxy, the default discovery order, the
 * handshake's clocks, which cookie method auto mode may use, and what a
 * cookie file must be (read from files made here: a FIFO, a directory,
 * files of 31 and 33 bytes, a device, a symlink).
 */
#define ISOAUDIT_PRIVATE

#include "testutil.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "reply.h"

static const char server_key[] =
    "Tor safe cookie authentication server-to-controller hash";
static const char client_key[] =
    "Tor safe cookie authentication controller-to-server hash";

/* cookie 00..1f, client nonce 20..3f, server nonce 40..5f */
static void
vectors(unsigned char *cookie, unsigned char *cn, unsigned char *sn)
{
	size_t i;

	for (i = 0; i < 32; i++) {
		cookie[i] = (unsigned char)i;
		cn[i] = (unsigned char)(0x20 + i);
		sn[i] = (unsigned char)(0x40 + i);
	}
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

/* Python: hmac.new(key, bytes(range(0x60)), hashlib.sha256).hexdigest() */
static void
test_safecookie_known_vector(void **state)
{
	unsigned char cookie[32], cn[32], sn[32], out[32];
	char h[65];

	(void)state;
	vectors(cookie, cn, sn);
	memset(out, 0, sizeof out);
	ctl_safecookie_hash(1, cookie, sizeof cookie, cn, sn, 32, out);
	hex(out, sizeof out, h);
	assert_string_equal(h, "3c8780ab52365c0d080750447e5f64da"
	    "bc00428c6c434579c2043e18c1f85389");
	memset(out, 0, sizeof out);
	ctl_safecookie_hash(0, cookie, sizeof cookie, cn, sn, 32, out);
	hex(out, sizeof out, h);
	assert_string_equal(h, "b47642df2d5abb84f69e6d02d41bed6b"
	    "44aee33e69562528a82166fc98bc0b1e");
}

/* The same as a one-shot HMAC over cookie | client nonce | server nonce,
 * for other inputs too. */
static void
test_safecookie_matches_hmac(void **state)
{
	unsigned char cookie[32], cn[32], sn[32], msg[96], out[32], want[32];
	size_t round;
	int server;

	(void)state;
	for (round = 0; round < 50; round++) {
		randombytes_buf(cookie, sizeof cookie);
		randombytes_buf(cn, sizeof cn);
		randombytes_buf(sn, sizeof sn);
		memcpy(msg, cookie, 32);
		memcpy(msg + 32, cn, 32);
		memcpy(msg + 64, sn, 32);
		for (server = 0; server <= 1; server++) {
			const char *key = server ? server_key : client_key;
			crypto_auth_hmacsha256_state st;

			crypto_auth_hmacsha256_init(&st,
			    (const unsigned char *)key, strlen(key));
			crypto_auth_hmacsha256_update(&st, msg, sizeof msg);
			crypto_auth_hmacsha256_final(&st, want);
			ctl_safecookie_hash(server, cookie, 32, cn, sn, 32,
			    out);
			assert_memory_equal(out, want, 32);
		}
		/* Order matters: swapping the nonces changes the hash. */
		ctl_safecookie_hash(1, cookie, 32, sn, cn, 32, out);
		ctl_safecookie_hash(1, cookie, 32, cn, sn, 32, want);
		assert_memory_not_equal(out, want, 32);
	}
}

static void
test_safecookie_sides_differ(void **state)
{
	unsigned char cookie[32], cn[32], sn[32], a[32], b[32];

	(void)state;
	vectors(cookie, cn, sn);
	ctl_safecookie_hash(1, cookie, 32, cn, sn, 32, a);
	ctl_safecookie_hash(0, cookie, 32, cn, sn, 32, b);
	assert_memory_not_equal(a, b, 32);
	/* One bit of the cookie changes it. */
	cookie[31] ^= 1;
	ctl_safecookie_hash(1, cookie, 32, cn, sn, 32, b);
	assert_memory_not_equal(a, b, 32);
}

static void
test_auth_names(void **state)
{
	static const struct {
		const char	*name;
		enum ctl_auth	 auth;
	} ok[] = {
		{ "auto", CTL_AUTH_AUTO },
		{ "safecookie", CTL_AUTH_SAFECOOKIE },
		{ "SAFECOOKIE", CTL_AUTH_SAFECOOKIE },
		{ "cookie", CTL_AUTH_COOKIE },
		{ "Cookie", CTL_AUTH_COOKIE },
		{ "password", CTL_AUTH_PASSWORD },
		{ "hashedpassword", CTL_AUTH_PASSWORD },
		{ "HASHEDPASSWORD", CTL_AUTH_PASSWORD },
		{ "null", CTL_AUTH_NULL },
		{ "none", CTL_AUTH_NULL },
	};
	static const char *const bad[] = { "", "safe", "cookies", "pass",
	    "safecookie ", " null", "hashed", "nul" };
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(ok); i++) {
		enum ctl_auth a = (enum ctl_auth)99;

		if (ctl_auth_parse(ok[i].name, &a) != 0)
			fail_msg("rejected: %s", ok[i].name);
		assert_int_equal(a, ok[i].auth);
	}
	for (i = 0; i < TU_NELEM(bad); i++) {
		enum ctl_auth a = CTL_AUTH_COOKIE;

		if (ctl_auth_parse(bad[i], &a) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_int_equal(a, CTL_AUTH_COOKIE);
	}
	assert_string_equal(ctl_auth_name(CTL_AUTH_AUTO), "AUTO");
	assert_string_equal(ctl_auth_name(CTL_AUTH_SAFECOOKIE), "SAFECOOKIE");
	assert_string_equal(ctl_auth_name(CTL_AUTH_COOKIE), "COOKIE");
	assert_string_equal(ctl_auth_name(CTL_AUTH_PASSWORD), "HASHEDPASSWORD");
	assert_string_equal(ctl_auth_name(CTL_AUTH_NULL), "NULL");
	/* Names round-trip through the parser. */
	for (i = CTL_AUTH_AUTO; i <= CTL_AUTH_NULL; i++) {
		enum ctl_auth a;

		assert_int_equal(ctl_auth_parse(ctl_auth_name((enum ctl_auth)i),
		    &a), 0);
		assert_int_equal(a, i);
	}
}

/* A reply of n lines (codes, separators and texts as given). */
static struct reply *
mkreply(struct reply *r, struct reply_line *l, size_t n, const int *code,
    const char *const *text)
{
	size_t i;

	memset(r, 0, sizeof *r);
	for (i = 0; i < n; i++) {
		memset(&l[i], 0, sizeof l[i]);
		l[i].code = code[i];
		l[i].sep = i + 1 < n ? '-' : ' ';
		l[i].text = (char *)(uintptr_t)text[i];
		l[i].textlen = strlen(text[i]);
	}
	r->lines = l;
	r->nlines = n;
	r->code = code[n - 1];
	return r;
}

/* The probe's answer: Tor's, a filter's refusal, or not like Tor. */
static void
test_probe_check(void **state)
{
	static const int ok3[] = { 250, 250, 250 };
	static const int one510[] = { 510 };
	static const int one552[] = { 552 };
	struct reply r;
	struct reply_line l[4];
	char *why = NULL, big[400];
	int filtered = -1;

	(void)state;
	/* Tor itself. */
	{
		static const char *const t[] = { "version=0.4.9.11",
		    "process/pid=4242", "OK" };

		mkreply(&r, l, 3, ok3, t);
		assert_int_equal(ctl_probe_check(&r, CTL_PROBE, &why,
		    &filtered), 0);
		assert_int_equal(filtered, 0);
		assert_null(why);
	}
	/* onion-grater: the command refused. */
	{
		static const char *const t[] = { "Command filtered" };

		mkreply(&r, l, 1, one510, t);
		assert_int_equal(ctl_probe_check(&r, CTL_PROBE, &why,
		    &filtered), -1);
		assert_int_equal(filtered, 1);
		assert_string_equal(why, "filters the control protocol "
		    "(onion-grater?): GETINFO version process/pid refused "
		    "(510 Command filtered)");
		free(why);
		why = NULL;
		assert_int_equal(ctl_reply_filtered(&r), 1);
		r.async = 1;
		assert_int_equal(ctl_reply_filtered(&r), 0);
	}
	/* Another refusal: not a filter's word, still not Tor's answer. */
	{
		static const char *const t[] = { "Unrecognized key" };

		mkreply(&r, l, 1, one552, t);
		assert_int_equal(ctl_probe_check(&r, CTL_PROBE, &why,
		    &filtered), -1);
		assert_int_equal(filtered, 0);
		assert_int_equal(ctl_reply_filtered(&r), 0);
		assert_string_equal(why, "does not answer like Tor: GETINFO "
		    "version process/pid refused (552 Unrecognized key)");
		free(why);
		why = NULL;
	}
	/* 250 without the keys, or a pid that is no number. */
	{
		static const char *const t[] = { "version=0.4.9.11",
		    "process/pid=fake", "OK" };

		mkreply(&r, l, 3, ok3, t);
		assert_int_equal(ctl_probe_check(&r, "P", &why, &filtered), -1);
		assert_string_equal(why, "does not answer like Tor: P answered "
		    "without process/pid");
		free(why);
		why = NULL;
	}
	{
		static const char *const t[] = { "OK" };
		static const int c1[] = { 250 };

		mkreply(&r, l, 1, c1, t);
		assert_int_equal(ctl_probe_check(&r, "P", &why, &filtered), -1);
		assert_string_equal(why, "does not answer like Tor: P answered "
		    "without version");
		free(why);
		why = NULL;
	}
	{
		/* A key's prefix is not the key; 20 digits are too many. */
		static const char *const t[] = { "versionx=1",
		    "process/pid=12345678901234567890", "OK" };

		mkreply(&r, l, 3, ok3, t);
		assert_int_equal(ctl_probe_check(&r, "P", &why, &filtered), -1);
		free(why);
		why = NULL;
	}
	/* What a hostile far end says is escaped and cut. */
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[3] = '\033';
	{
		const char *t[] = { big };

		mkreply(&r, l, 1, one510, t);
		assert_int_equal(ctl_probe_check(&r, "P", &why, &filtered), -1);
		assert_null(strchr(why, '\033'));
		assert_true(strlen(why) < 300);
		assert_non_null(strstr(why, "..."));
		free(why);
	}
}

/* The default discovery order (ctl.c names the systems' sources). */
static void
test_default_candidates(void **state)
{
	(void)state;
	assert_string_equal(ctl_default_candidates[0],
	    "unix:/run/tor/control");
	assert_string_equal(ctl_default_candidates[1], "127.0.0.1:9052");
	assert_string_equal(ctl_default_candidates[2], "127.0.0.1:9051");
	assert_null(ctl_default_candidates[3]);
}

/* Each answer has CTL_ANSWER_TIMEOUT, the handshake CTL_HANDSHAKE_TIMEOUT. */
static void
test_timeout_us(void **state)
{
	int64_t s = 1000000, t0 = 5000 * s;
	int64_t deadline = t0 + CTL_HANDSHAKE_TIMEOUT * s;
	int overall = -1;

	(void)state;
	assert_true(CTL_HANDSHAKE_TIMEOUT > CTL_ANSWER_TIMEOUT);
	/* Fresh: the answer's clock. */
	assert_int_equal(ctl_timeout_us(t0, deadline, &overall),
	    CTL_ANSWER_TIMEOUT * s);
	assert_int_equal(overall, 0);
	/* Answers just in time: at the end what is left of the whole. */
	assert_int_equal(ctl_timeout_us(deadline - 3 * s, deadline,
	    &overall), 3 * s);
	assert_int_equal(overall, 1);
	/* Exactly the answer's time left: still the answer's clock. */
	assert_int_equal(ctl_timeout_us(deadline - CTL_ANSWER_TIMEOUT * s,
	    deadline, &overall), CTL_ANSWER_TIMEOUT * s);
	assert_int_equal(overall, 0);
	/* Past it: at once, never negative. */
	assert_int_equal(ctl_timeout_us(deadline + 7 * s, deadline,
	    &overall), 0);
	assert_int_equal(overall, 1);
}

static void
test_method_offered(void **state)
{
	(void)state;
	assert_true(ctl_method_offered("COOKIE,SAFECOOKIE", "SAFECOOKIE"));
	assert_true(ctl_method_offered("COOKIE,SAFECOOKIE", "COOKIE"));
	assert_true(ctl_method_offered("SAFECOOKIE,COOKIE", "COOKIE"));
	assert_false(ctl_method_offered("SAFECOOKIE", "COOKIE"));
	assert_false(ctl_method_offered("SAFECOOKIEX,NULLX", "NULL"));
	assert_false(ctl_method_offered("", "NULL"));
	assert_false(ctl_method_offered(NULL, "NULL"));
	assert_true(ctl_method_offered("HASHEDPASSWORD,NULL", "NULL"));
}

/* Auto mode: SAFECOOKIE when offered; COOKIE alone is never used. */
static void
test_cookie_method(void **state)
{
	static const struct {
		const char	*offered;
		enum ctl_auth	 want;
		int		 cookie_only;
	} t[] = {
		{ "COOKIE,SAFECOOKIE", CTL_AUTH_SAFECOOKIE, 0 },
		{ "COOKIE,SAFECOOKIE,HASHEDPASSWORD", CTL_AUTH_SAFECOOKIE, 0 },
		{ "SAFECOOKIE", CTL_AUTH_SAFECOOKIE, 0 },
		{ "COOKIE", CTL_AUTH_AUTO, 1 },
		{ "COOKIE,HASHEDPASSWORD", CTL_AUTH_AUTO, 1 },
		{ "NULL", CTL_AUTH_AUTO, 0 },
		{ "HASHEDPASSWORD", CTL_AUTH_AUTO, 0 },
		{ "SAFECOOKIEISH,COOKIEISH", CTL_AUTH_AUTO, 0 },
	};
	size_t i;
	int only;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		only = -1;
		assert_int_equal(ctl_cookie_method(t[i].offered, &only),
		    t[i].want);
		assert_int_equal(only, t[i].cookie_only);
	}
}

/* A directory of its own under /tmp for the cookie files (allocated). */
static char *
cookie_dir(void)
{
	char tmpl[] = "/tmp/isoaudit-ctl-unit.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static char *
path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void
write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fputc((int)(0xa0 + i), f);
	fclose(f);
}

/* Expects ctl_cookie_read(path) to fail with a message holding want. */
static void
expect_refused(const char *path, const char *want)
{
	unsigned char out[CTL_COOKIE_BYTES];
	char *why = NULL;

	memset(out, 0x55, sizeof out);
	assert_int_equal(ctl_cookie_read(path, out, &why), -1);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", path, why, want);
	/* Nothing of the file reached the output. */
	assert_int_equal(out[0], 0x55);
	assert_int_equal(out[CTL_COOKIE_BYTES - 1], 0x55);
	free(why);
}

static void
alarm_fails(int sig)
{
	(void)sig;
	fail_msg("ctl_cookie_read blocked");
}

static void
test_cookie_read(void **state)
{
	char *dir = cookie_dir();
	char *good = path_in(dir, "good"), *short1 = path_in(dir, "31");
	char *long1 = path_in(dir, "33"), *fifo = path_in(dir, "fifo");
	char *sub = path_in(dir, "dir"), *link = path_in(dir, "link");
	char *big = path_in(dir, "big"), *none = path_in(dir, "none");
	char *empty = path_in(dir, "empty"), *esc = path_in(dir, "x\033[2J");
	unsigned char out[CTL_COOKIE_BYTES];
	char *why = NULL;
	size_t i;

	(void)state;
	write_bytes(good, 32);
	write_bytes(short1, 31);
	write_bytes(long1, 33);
	write_bytes(big, 1 << 20);
	write_bytes(empty, 0);
	write_bytes(esc, 5);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(good, link), 0);

	/* A FIFO with no writer would block open(): never opened. */
	signal(SIGALRM, alarm_fails);
	alarm(5);
	expect_refused(fifo, "is a FIFO, not a regular file of 32 bytes");
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	expect_refused(sub, "is a directory");
	expect_refused("/dev/null", "is a device");
	expect_refused("/dev/zero", "is a device");
	expect_refused(short1, "has 31 bytes, not the 32");
	expect_refused(long1, "has 33 bytes, not the 32");
	expect_refused(big, "has 1048576 bytes");
	expect_refused(empty, "has 0 bytes");
	expect_refused(none, "No such file or directory");
	/* A path from a port is escaped in the message. */
	expect_refused(esc, "x\\x1b[2J has 5 bytes");

	assert_int_equal(ctl_cookie_read(good, out, &why), 0);
	assert_null(why);
	for (i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0xa0 + i);
	/* A symlink to a cookie is followed (Debian-like layouts use them). */
	memset(out, 0, sizeof out);
	assert_int_equal(ctl_cookie_read(link, out, &why), 0);
	assert_int_equal(out[31], 0xa0 + 31);
	/* A symlink to a FIFO: what it points at is checked. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(fifo, link), 0);
	expect_refused(link, "is a FIFO");

	assert_int_equal(tu_rm_rf(dir), 0);
	free(dir);
	free(good);
	free(short1);
	free(long1);
	free(fifo);
	free(sub);
	free(link);
	free(big);
	free(none);
	free(empty);
	free(esc);
}

/* ctl_cookie_check alone, on made-up stat results. */
static void
test_foreign_answer(void **state)
{
	static const char tor_socks[] = "HTTP/1.0 501 Tor is not an HTTP "
	    "Proxy\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n"
	    "<html>\n";
	char *m;

	(void)state;
	/* A control reply (or its first digit alone) is not foreign. */
	assert_null(ctl_foreign_answer("250-PROTOCOLINFO 1\r\n", 20));
	assert_null(ctl_foreign_answer("5", 1));
	assert_null(ctl_foreign_answer("", 0));
	m = ctl_foreign_answer(tor_socks, sizeof(tor_socks) - 1);
	assert_non_null(strstr(m, "is Tor's SocksPort, not a ControlPort"));
	free(m);
	/* Tor's page cut before its words is still HTTP. */
	m = ctl_foreign_answer(tor_socks, 20);
	assert_non_null(strstr(m, "answers in HTTP"));
	free(m);
	m = ctl_foreign_answer("HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(m, "answers in HTTP"));
	free(m);
	m = ctl_foreign_answer("<!DOCTYPE HTML>", 15);
	assert_non_null(strstr(m, "answers in HTML"));
	free(m);
	m = ctl_foreign_answer("\x05\xff", 2);
	assert_non_null(strstr(m, "answers in SOCKS"));
	free(m);
	/* Anything else is quoted, escaped and bounded. */
	m = ctl_foreign_answer("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 "
	    "\x1b[31mxx\r\n", 48);
	assert_non_null(strstr(m, "begins \"SSH-2.0-OpenSSH_9.2p1 De...\""));
	assert_null(strchr(m, '\x1b'));
	free(m);
	m = ctl_foreign_answer("\x1b]0;owned\x07\n", 11);
	assert_null(strchr(m, '\x1b'));
	assert_null(strchr(m, '\x07'));
	free(m);
}

static void
test_cookie_check(void **state)
{
	struct stat st;
	char *why = NULL;

	(void)state;
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | 0640;
	st.st_size = 32;
	assert_int_equal(ctl_cookie_check(&st, "/run/tor/control.authcookie",
	    &why), 0);
	assert_null(why);
	st.st_mode = S_IFSOCK | 0600;
	assert_int_equal(ctl_cookie_check(&st, "/s", &why), -1);
	assert_non_null(strstr(why, "/s is a socket"));
	free(why);
	st.st_mode = S_IFBLK | 0600;
	assert_int_equal(ctl_cookie_check(&st, "/b", &why), -1);
	assert_non_null(strstr(why, "/b is a device"));
	free(why);
	st.st_mode = S_IFREG | 0600;
	st.st_size = (off_t)1 << 40;
	assert_int_equal(ctl_cookie_check(&st, "/f", &why), -1);
	assert_non_null(strstr(why, "/f has 1099511627776 bytes"));
	free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safecookie_known_vector),
		cmocka_unit_test(test_safecookie_matches_hmac),
		cmocka_unit_test(test_safecookie_sides_differ),
		cmocka_unit_test(test_auth_names),
		cmocka_unit_test(test_probe_check),
		cmocka_unit_test(test_default_candidates),
		cmocka_unit_test(test_timeout_us),
		cmocka_unit_test(test_method_offered),
		cmocka_unit_test(test_cookie_method),
		cmocka_unit_test(test_cookie_check),
		cmocka_unit_test(test_foreign_answer),
		cmocka_unit_test(test_cookie_read),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
