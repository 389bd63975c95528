/*
 * test_ctl.c: the pure parts of the control client: SAFECOOKIE hashes and
 * the names of the authentication methods.
 */
#define ISOAUDIT_PRIVATE

#include "testutil.h"

#include <sodium.h>

#include "ctl.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safecookie_known_vector),
		cmocka_unit_test(test_safecookie_matches_hmac),
		cmocka_unit_test(test_safecookie_sides_differ),
		cmocka_unit_test(test_auth_names),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
