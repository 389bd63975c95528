/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_buf.c: the byte buffer and its JSON and terminal escaping, the id
 * map, and the privacy helpers (keyed hashes of targets and credentials).
 */
#include "testutil.h"

#include <inttypes.h>
#include <sodium.h>

#include "buf.h"
#include "idmap.h"
#include "privacy.h"
#include "swar.h"

/* --- the JSON checker the other tests rely on ---------------------------- */

static void
test_json_checker(void **state)
{
	static const char *const good[] = {
		"{}", "[]", "\"\"", "0", "-0", "1.5e-3", "true", "false", "null",
		" { \"a\" : [1, 2, {\"b\": null}], \"c\": \"\\u00e9\\n\" } ",
		"\"\\ud834\\udd1e\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\"",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	};
	static const char *const bad[] = {
		"", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01",
		"1.", ".5", "+1", "-", "1e", "tru", "nul", "\"abc", "\"\\x41\"",
		"\"\\u12\"", "\"\\ud834\"", "\"\\udd1e\"", "\"a\tb\"", "\"a\nb\"",
		"\"\x80\"", "\"\xc3\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"",
		"\"\xe0\x80\x80\"", "\"\xf0\x80\x80\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf5\x80\x80\x80\"", "\"\xff\"", "{} {}", "[1] x", "'a'",
	};
	char *keys;
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(good); i++)
		if (!tu_json_valid(good[i], strlen(good[i]), NULL))
			fail_msg("rejected: %s", good[i]);
	for (i = 0; i < TU_NELEM(bad); i++)
		if (tu_json_valid(bad[i], strlen(bad[i]), NULL))
			fail_msg("accepted: %s", bad[i]);
	assert_false(tu_json_valid("\"a\0b\"", 5, NULL));
	assert_true(tu_json_valid("{\"x\":{\"in\":1},\"y\":[{\"z\":2}]}", 28,
	    &keys));
	assert_string_equal(keys, "x,y,");
	free(keys);
}

/* --- buf ---------------------------------------------------------------- */

static void
test_buf_basics(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	buf_reset(&b);
	buf_add(&b, "ab", 2);
	buf_add(&b, "", 0);
	buf_addc(&b, 'c');
	buf_adds(&b, "de");
	buf_printf(&b, "%d-%s-%03x", 42, "x", 255);
	assert_int_equal(b.len, 13);
	assert_string_equal(b.p, "abcde42-x-0ff");
	buf_add(&b, "\0z", 2);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.p + 12, "f\0z", 4);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	/* Growing well past the first allocation. */
	{
		size_t i;

		for (i = 0; i < 10000; i++)
			buf_printf(&b, "%zu,", i % 10);
		assert_int_equal(b.len, 20000);
		assert_int_equal(strlen(b.p), 20000);
		assert_memory_equal(b.p + 19996, "8,9,", 4);
	}
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static char *
json_of(const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "pre");	/* appends, never overwrites */
	buf_json_str(&b, s, n);
	assert_memory_equal(b.p, "pre", 3);
	memmove(b.p, b.p + 3, b.len - 3 + 1);
	return b.p;
}

static void
check_json(const char *in, size_t n, const char *want)
{
	char *got = json_of(in, n);

	assert_string_equal(got, want);
	if (!tu_json_valid(got, strlen(got), NULL))
		fail_msg("invalid JSON: %s", got);
	free(got);
}

#define JSON(in, want)	check_json(in, sizeof in - 1, want)

static void
test_json_str(void **state)
{
	struct buf b;

	(void)state;
	JSON("", "\"\"");
	JSON("plain text 123 ~", "\"plain text 123 ~\"");
	JSON("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	JSON("\n\r\t", "\"\\n\\r\\t\"");
	JSON("\001\037\b\f\v", "\"\\u0001\\u001f\\u0008\\u000c\\u000b\"");
	JSON("a\0b", "\"a\\u0000b\"");
	JSON("\177", "\"\\u007f\"");
	/* Well-formed UTF-8 passes as it is. */
	JSON("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	JSON("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
	JSON("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");
	JSON("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF */
	JSON("\xee\x80\x80", "\"\xee\x80\x80\"");		/* U+E000 */
	JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	JSON("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");		/* U+0800 */
	JSON("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"");	/* U+10000 */
	/* C1 controls (U+0080..U+009F, CSI among them) are escaped. */
	JSON("\xc2\x9b" "31m", "\"\\u009b31m\"");
	JSON("a\xc2\x80\xc2\x9f\xc2\xa0", "\"a\\u0080\\u009f\xc2\xa0\"");
	/* Anything else: each stray byte as its Latin-1 code point. */
	JSON("\x80", "\"\\u0080\"");
	JSON("\xff\xfe", "\"\\u00ff\\u00fe\"");
	JSON("a\xc3", "\"a\\u00c3\"");
	JSON("\xc3(", "\"\\u00c3(\"");
	JSON("\xe2\x82", "\"\\u00e2\\u0082\"");
	JSON("\xc0\x80", "\"\\u00c0\\u0080\"");			/* overlong */
	JSON("\xc1\xbf", "\"\\u00c1\\u00bf\"");			/* overlong */
	JSON("\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"");	/* overlong */
	JSON("\xe0\x9f\xbf", "\"\\u00e0\\u009f\\u00bf\"");	/* overlong */
	JSON("\xf0\x80\x80\x80",
	    "\"\\u00f0\\u0080\\u0080\\u0080\"");		/* overlong */
	JSON("\xf0\x8f\xbf\xbf",
	    "\"\\u00f0\\u008f\\u00bf\\u00bf\"");		/* overlong */
	JSON("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");	/* surrogate */
	JSON("\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"");	/* surrogate */
	JSON("\xf4\x90\x80\x80",
	    "\"\\u00f4\\u0090\\u0080\\u0080\"");		/* > U+10FFFF */
	JSON("\xf5\x80\x80\x80",
	    "\"\\u00f5\\u0080\\u0080\\u0080\"");
	JSON("\xf8\x88\x80\x80\x80",
	    "\"\\u00f8\\u0088\\u0080\\u0080\\u0080\"");
	JSON("ok\xc3\xa9\xc3" "x\xe2\x82\xac",
	    "\"ok\xc3\xa9\\u00c3x\xe2\x82\xac\"");

	buf_init(&b);
	buf_json_strz(&b, NULL);
	buf_addc(&b, ',');
	buf_json_strz(&b, "x\"");
	assert_string_equal(b.p, "null,\"x\\\"\"");
	buf_free(&b);
}

/* Whatever the bytes, the result is valid JSON and decodes back. */
static void
test_json_str_random(void **state)
{
	uint32_t seed = 12345;
	size_t round, i;

	(void)state;
	for (round = 0; round < 20000; round++) {
		unsigned char in[24];
		size_t n;
		char *out;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % sizeof in;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			/* Mostly high bytes, where UTF-8 goes wrong. */
			in[i] = (unsigned char)((seed >> 16) & 0xff);
			if ((seed >> 8) % 4 != 0)
				in[i] |= 0x80;
		}
		out = json_of((const char *)in, n);
		if (!tu_json_valid(out, strlen(out), NULL)) {
			char hex[3 * sizeof in + 1];

			for (i = 0; i < n; i++)
				snprintf(hex + 3 * i, 4, "%02x ", in[i]);
			hex[3 * n] = '\0';
			fail_msg("invalid JSON for %s: %s", hex, out);
		}
		free(out);
	}
}

/*
 * The escapers look at eight bytes a step.  Against the byte-at-a-time
 * versions they replaced (kept here as the reference): every byte value
 * at every position of strings of 0..40 bytes, at every alignment, in
 * plain text and among other special bytes, gives the same output.
 */
static void
ref_json_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;
	char tmp[8];

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
			buf_addc(b, (char)c);
			continue;
		}
		if (c >= 0x80) {
			size_t want = c >= 0xf0 && c < 0xf5 ? 3 :
			    c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
			unsigned char lo = c == 0xe0 ? 0xa0 :
			    c == 0xf0 ? 0x90 : 0x80;
			unsigned char hi = c == 0xed ? 0x9f :
			    c == 0xf4 ? 0x8f : 0xbf;

			if (c >= 0xf5)
				want = 0;
			if (want && (i + 1 >= n || u[i + 1] < lo ||
			    u[i + 1] > hi))
				want = 0;
			for (k = 2; want && k <= want; k++)
				if (i + k >= n || (u[i + k] & 0xc0) != 0x80)
					want = 0;
			if (want == 1 && c == 0xc2 && u[i + 1] < 0xa0) {
				snprintf(tmp, sizeof tmp, "\\u00%02x",
				    u[i + 1]);
				buf_adds(b, tmp);
				i++;
				continue;
			}
			if (want) {
				buf_add(b, s + i, want + 1);
				i += want;
				continue;
			}
		}
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			buf_adds(b, "\\u00");
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	buf_addc(b, '"');
}

static void
ref_escape(struct buf *b, const char *s, size_t n)
{
	size_t i;
	char tmp[8];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf_addc(b, (char)c);
		else if (c == '\\')
			buf_adds(b, "\\\\");
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else {
			snprintf(tmp, sizeof tmp, "\\x%02x", c);
			buf_adds(b, tmp);
		}
	}
}

static void
same_escapes(const char *s, size_t n)
{
	struct buf got, want;

	buf_init(&got);
	buf_init(&want);
	buf_json_str(&got, s, n);
	ref_json_str(&want, s, n);
	if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0)
		fail_msg("buf_json_str of %zu bytes: %s, want %s", n,
		    got.p, want.p);
	buf_reset(&got);
	buf_reset(&want);
	buf_escape(&got, s, n);
	ref_escape(&want, s, n);
	buf_cstr(&got);
	buf_cstr(&want);
	if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0)
		fail_msg("buf_escape of %zu bytes: %s, want %s", n, got.p,
		    want.p);
	buf_free(&got);
	buf_free(&want);
}

static void
test_escape_words(void **state)
{
	static const char background[] = "plain text/with-no:specials=ok_";
	char mem[64];
	uint32_t seed = 777;
	size_t n, at, off, i;
	unsigned c;

	(void)state;
	for (n = 1; n <= 40; n++)
		for (off = 0; off < 8; off++)
			for (at = 0; at < n; at++)
				for (c = 0; c < 256; c++) {
					char *s = mem + off;

					for (i = 0; i < n; i++)
						s[i] = background[i %
						    (sizeof background - 1)];
					s[at] = (char)c;
					same_escapes(s, n);
				}
	/* Several special bytes, UTF-8 sequences cut at word boundaries. */
	for (i = 0; i < 200000; i++) {
		size_t k;

		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % 41;
		off = (seed >> 8) % 8;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			c = (seed >> 16) & 0xff;
			if ((seed >> 4) % 4 != 0)
				c = (unsigned char)background[c %
				    (sizeof background - 1)];
			mem[off + k] = (char)c;
		}
		same_escapes(mem + off, n);
	}
	same_escapes("", 0);
}

/*
 * swar_classify (the keyword scanner's bitmaps, SSE2 here) against a byte
 * at a time: every byte value at every position, over backgrounds of
 * plain text, spaces, quotes and commas.
 */
static void
test_swar_classify(void **state)
{
	static const char backgrounds[] = "a \",=\\";
	unsigned char blk[64];
	size_t bg, pos, i;
	unsigned v;

	(void)state;
	for (bg = 0; bg < sizeof backgrounds - 1; bg++)
		for (pos = 0; pos < 64; pos++)
			for (v = 0; v < 256; v++) {
				struct swar_classes c;
				uint64_t sp = 0, qt = 0;
				unsigned commas = 0;
				int esc = 0;

				memset(blk, backgrounds[bg], sizeof blk);
				blk[pos] = (unsigned char)v;
				/* A second byte, so that classes mix. */
				blk[(pos * 7 + 3) % 64] = (unsigned char)(v ^ 0x5a);
				for (i = 0; i < 64; i++) {
					unsigned char b = blk[i];

					sp |= (uint64_t)(b == ' ') << i;
					qt |= (uint64_t)(b == '"') << i;
					commas += b == ',';
					esc |= b < 0x20 || b >= 0x7f || b == '\\';
				}
				swar_classify(blk, &c);
				assert_true(c.space == sp);
				assert_true(c.quote == qt);
				assert_int_equal(c.commas, commas);
				assert_int_equal(c.esc != 0, esc);
			}
}

/* buf_add_u64 and buf_add_i64 print what printf would. */
static void
test_add_numbers(void **state)
{
	static const int64_t iv[] = { 0, 1, -1, 9, 10, -10, 99, 100,
	    1234567890123LL, -1234567890123LL, INT64_MAX, INT64_MIN,
	    INT64_MIN + 1 };
	static const uint64_t uv[] = { 0, 1, 9, 10, 18446744073709551615ULL,
	    10000000000000000000ULL, 9999999999999999999ULL };
	struct buf b;
	char want[32];
	uint64_t uv10;
	size_t i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < TU_NELEM(iv); i++) {
		buf_reset(&b);
		buf_add_i64(&b, iv[i]);
		snprintf(want, sizeof want, "%" PRId64, iv[i]);
		assert_string_equal(buf_cstr(&b), want);
	}
	for (i = 0; i < TU_NELEM(uv); i++) {
		buf_reset(&b);
		buf_add_u64(&b, uv[i]);
		snprintf(want, sizeof want, "%" PRIu64, uv[i]);
		assert_string_equal(buf_cstr(&b), want);
	}
	/* Every length, and around every power of ten (two digits a step:
	 * an odd and an even count of digits). */
	for (i = 0; i < 100000; i++) {
		uint64_t v = i < 20000 ? i : (uint64_t)i * 2654435761ULL *
		    (i % 7 + 1) * (i % 1000003);

		buf_reset(&b);
		buf_add_u64(&b, v);
		snprintf(want, sizeof want, "%" PRIu64, v);
		assert_string_equal(buf_cstr(&b), want);
	}
	for (uv10 = 1, i = 0; i < 19; i++, uv10 *= 10) {
		uint64_t around[] = { uv10 - 1, uv10, uv10 + 1 };
		size_t k;

		for (k = 0; k < TU_NELEM(around); k++) {
			buf_reset(&b);
			buf_add_u64(&b, around[k]);
			snprintf(want, sizeof want, "%" PRIu64, around[k]);
			assert_string_equal(buf_cstr(&b), want);
		}
	}
	/* buf_printf formats once when it fits, twice when not. */
	buf_reset(&b);
	buf_printf(&b, "%s", "short");
	for (i = 0; i < 10; i++)
		buf_printf(&b, "%0200d", 7);
	assert_int_equal(b.len, 5 + 10 * 200);
	assert_int_equal(strlen(buf_cstr(&b)), b.len);
	buf_free(&b);
}

static void
check_escape(const char *in, size_t n, const char *want)
{
	struct buf b;
	char *dup;

	buf_init(&b);
	buf_escape(&b, in, n);
	buf_cstr(&b);
	assert_string_equal(b.p, want);
	buf_free(&b);
	dup = escape_dup(in, n);
	assert_string_equal(dup, want);
	free(dup);
}

#define ESC(in, want)	check_escape(in, sizeof in - 1, want)

static void
test_escape(void **state)
{
	unsigned c;

	(void)state;
	ESC("", "");
	ESC("Printable ASCII: ~!@#$%^&*()\"' ok", "Printable ASCII: "
	    "~!@#$%^&*()\"' ok");
	ESC("back\\slash", "back\\\\slash");
	ESC("a\nb\rc\td", "a\\nb\\rc\\td");
	ESC("\033[31mred", "\\x1b[31mred");
	ESC("\0\001\177\200\377", "\\x00\\x01\\x7f\\x80\\xff");
	ESC("caf\xc3\xa9", "caf\\xc3\\xa9");
	/* Every byte: printable ones alone, the rest escaped. */
	for (c = 0; c < 256; c++) {
		char in = (char)c, *out = escape_dup(&in, 1);

		if (c >= 0x20 && c < 0x7f && c != '\\')
			assert_true(out[0] == (char)c && out[1] == '\0');
		else {
			size_t i;

			assert_int_equal(out[0], '\\');
			for (i = 0; out[i] != '\0'; i++)
				assert_true(out[i] >= 0x20 && out[i] < 0x7f);
		}
		free(out);
	}
}

/* --- idmap --------------------------------------------------------------- */

#define V(i)	((void *)(uintptr_t)((i) * 2 + 1))

static void
test_idmap_basics(void **state)
{
	struct idmap m;
	int a, b;
	size_t pos = 0;
	uint64_t k;
	void *v;

	(void)state;
	idmap_init(&m);
	assert_null(idmap_get(&m, 1));
	assert_null(idmap_del(&m, 1));
	assert_int_equal(idmap_next(&m, &pos, &k, &v), 0);

	assert_null(idmap_put(&m, 1, &a));
	assert_ptr_equal(idmap_get(&m, 1), &a);
	assert_int_equal(m.n, 1);
	/* Replacing returns the old value. */
	assert_ptr_equal(idmap_put(&m, 1, &b), &a);
	assert_ptr_equal(idmap_get(&m, 1), &b);
	assert_int_equal(m.n, 1);
	assert_null(idmap_put(&m, 0, &a));
	assert_null(idmap_put(&m, UINT64_MAX, &a));
	assert_ptr_equal(idmap_get(&m, 0), &a);
	assert_ptr_equal(idmap_get(&m, UINT64_MAX), &a);
	assert_null(idmap_get(&m, 2));
	assert_int_equal(m.n, 3);

	assert_ptr_equal(idmap_del(&m, 1), &b);
	assert_null(idmap_get(&m, 1));
	assert_null(idmap_del(&m, 1));
	assert_int_equal(m.n, 2);
	/* Reinserted after a delete, in the slot it left. */
	assert_null(idmap_put(&m, 1, &a));
	assert_ptr_equal(idmap_get(&m, 1), &a);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.used, 3);
	idmap_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(idmap_get(&m, 1));
	idmap_free(&m);
}

static void
test_idmap_many(void **state)
{
	const size_t N = 100000;
	struct idmap m;
	unsigned char *seen = calloc(N, 1);
	size_t i, pos = 0, count = 0;
	uint64_t k;
	void *v;

	(void)state;
	assert_non_null(seen);
	idmap_init(&m);
	/* Sequential ids with large ones mixed in (64-bit stream ids). */
	for (i = 0; i < N; i++) {
		uint64_t id = i % 2 ? i : UINT64_MAX - i;

		assert_null(idmap_put(&m, id, V(i)));
	}
	assert_int_equal(m.n, N);
	assert_true(m.cap >= N && (m.cap & (m.cap - 1)) == 0);
	for (i = 0; i < N; i++)
		assert_ptr_equal(idmap_get(&m, i % 2 ? i : UINT64_MAX - i),
		    V(i));
	assert_null(idmap_get(&m, UINT64_MAX - 1));
	assert_null(idmap_get(&m, N + 1));

	/* Iteration sees each exactly once. */
	while (idmap_next(&m, &pos, &k, &v)) {
		size_t i2 = (size_t)(((uintptr_t)v - 1) / 2);

		assert_true(i2 < N);
		assert_true(k == (i2 % 2 ? i2 : UINT64_MAX - i2));
		assert_int_equal(seen[i2], 0);
		seen[i2] = 1;
		count++;
	}
	assert_int_equal(count, N);

	/* Delete every third; the rest is still there. */
	for (i = 0; i < N; i += 3)
		assert_ptr_equal(idmap_del(&m, i % 2 ? i : UINT64_MAX - i),
		    V(i));
	for (i = 0; i < N; i++) {
		void *got = idmap_get(&m, i % 2 ? i : UINT64_MAX - i);

		if (i % 3 == 0)
			assert_null(got);
		else
			assert_ptr_equal(got, V(i));
	}
	memset(seen, 0, N);
	for (pos = 0, count = 0; idmap_next(&m, &pos, &k, &v); count++) {
		size_t i2 = (size_t)(((uintptr_t)v - 1) / 2);

		assert_true(i2 % 3 != 0);
		assert_int_equal(seen[i2], 0);
		seen[i2] = 1;
	}
	assert_int_equal(count, N - (N + 2) / 3);
	assert_int_equal(m.n, count);
	idmap_free(&m);
	free(seen);
}

/* Streams come and go forever: tombstones must not fill the table. */
static void
test_idmap_churn(void **state)
{
	struct idmap m;
	uint64_t i;

	(void)state;
	idmap_init(&m);
	for (i = 0; i < 300000; i++) {
		assert_null(idmap_put(&m, i, V(i)));
		if (i >= 50)
			assert_ptr_equal(idmap_del(&m, i - 50), V(i - 50));
	}
	assert_int_equal(m.n, 50);
	assert_true(m.used <= m.cap * 7 / 10);
	assert_true(m.cap <= 1024);
	for (i = 300000 - 50; i < 300000; i++)
		assert_ptr_equal(idmap_get(&m, i), V(i));
	assert_null(idmap_get(&m, 300000 - 51));
	/* A missing id in a table full of tombstones: the probe ends. */
	assert_null(idmap_get(&m, 1ULL << 40));
	assert_null(idmap_del(&m, 1ULL << 40));
	idmap_free(&m);
}

/* --- privacy ------------------------------------------------------------- */

static void
key_1_to_32(struct privacy *p, enum log_targets mode)
{
	size_t i;

	memset(p, 0, sizeof *p);
	p->mode = mode;
	for (i = 0; i < PRIVACY_KEY_LEN; i++)
		p->key[i] = (unsigned char)(i + 1);
}

static char *
hash_of(const struct privacy *p, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	privacy_hash(p, &b, s, n);
	buf_cstr(&b);
	return b.p;
}

static void
test_privacy_modes(void **state)
{
	enum log_targets m = LOG_TARGETS_NONE;

	(void)state;
	assert_int_equal(privacy_parse_mode("hash", &m), 0);
	assert_int_equal(m, LOG_TARGETS_HASH);
	assert_int_equal(privacy_parse_mode("PLAIN", &m), 0);
	assert_int_equal(m, LOG_TARGETS_PLAIN);
	assert_int_equal(privacy_parse_mode("None", &m), 0);
	assert_int_equal(m, LOG_TARGETS_NONE);
	assert_int_equal(privacy_parse_mode("hashed", &m), -1);
	assert_int_equal(privacy_parse_mode("", &m), -1);
	assert_int_equal(privacy_parse_mode("plain ", &m), -1);
	assert_int_equal(m, LOG_TARGETS_NONE);
	assert_string_equal(privacy_mode_name(LOG_TARGETS_HASH), "hash");
	assert_string_equal(privacy_mode_name(LOG_TARGETS_PLAIN), "plain");
	assert_string_equal(privacy_mode_name(LOG_TARGETS_NONE), "none");
	/* The default (a zeroed struct) is hash. */
	assert_int_equal(LOG_TARGETS_HASH, 0);
}

static void
test_privacy_hash(void **state)
{
	struct privacy p, q;
	char *h, *h2;
	size_t i;

	(void)state;
	key_1_to_32(&p, LOG_TARGETS_HASH);
	/*
	 * SipHash-2-4 under BLAKE2b-128(key 01..20, "isoaudit target hash
	 * 2"), first 6 bytes: Python's hashlib.blake2b and a SipHash written
	 * from the paper (checked on its test vector).
	 */
	h = hash_of(&p, "example.com", 11);
	assert_string_equal(h, "h:8f17f3737900");
	free(h);
	h = hash_of(&p, "127.0.0.1", 9);
	assert_string_equal(h, "h:b73d12e57355");
	free(h);
	h = hash_of(&p, "", 0);
	assert_string_equal(h, "h:affe30238cb8");
	free(h);
	h = hash_of(&p, "alice", 5);
	assert_string_equal(h, "h:641186458a22");
	free(h);
	/* A database of before (hash_version 1): HMAC-SHA256 with key
	 * 01..20, first 6 bytes (Python's hmac). */
	p.hmac = 1;
	h = hash_of(&p, "example.com", 11);
	assert_string_equal(h, "h:444047387aa3");
	free(h);
	h = hash_of(&p, "127.0.0.1", 9);
	assert_string_equal(h, "h:505ba1f60074");
	free(h);
	h = hash_of(&p, "", 0);
	assert_string_equal(h, "h:462476a897dd");
	free(h);
	h = hash_of(&p, "alice", 5);
	assert_string_equal(h, "h:46e37c0a4bcc");
	free(h);
	p.hmac = 0;
	/* Form: h: and 12 lowercase hex digits. */
	h = hash_of(&p, "a\0b", 3);
	assert_int_equal(strlen(h), 14);
	assert_memory_equal(h, "h:", 2);
	for (i = 2; i < 14; i++)
		assert_true((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f'));
	/* Same input, same output; the NUL and what follows count. */
	h2 = hash_of(&p, "a\0b", 3);
	assert_string_equal(h, h2);
	free(h2);
	h2 = hash_of(&p, "a\0c", 3);
	assert_string_not_equal(h, h2);
	free(h2);
	free(h);

	/* Another key, another hash (all-zero key: Python again). */
	memset(&q, 0, sizeof q);
	h = hash_of(&q, "example.com", 11);
	assert_string_equal(h, "h:9451df78bf64");
	free(h);
	q.hmac = 1;
	h = hash_of(&q, "example.com", 11);
	assert_string_equal(h, "h:8e35e0a8e5a1");
	free(h);
	q.hmac = 0;
	q.key[31] = 1;
	h = hash_of(&q, "example.com", 11);
	assert_string_not_equal(h, "h:9451df78bf64");
	assert_string_not_equal(h, "h:8f17f3737900");
	free(h);

	/* A random key is random. */
	privacy_random_key(&q);
	h = hash_of(&q, "example.com", 11);
	privacy_random_key(&q);
	h2 = hash_of(&q, "example.com", 11);
	assert_string_not_equal(h, h2);
	free(h);
	free(h2);
}

static char *
target_of(const struct privacy *p, const char *addr, int port)
{
	struct buf b;

	buf_init(&b);
	privacy_target(p, &b, addr, port);
	buf_cstr(&b);
	return b.p;
}

static char *
secret_of(const struct privacy *p, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	privacy_secret(p, &b, s, n);
	buf_cstr(&b);
	return b.p;
}

#define CHECK(expr, want)	do {					\
	char *got_ = (expr);						\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static void
test_privacy_formatting(void **state)
{
	struct privacy p;

	(void)state;
	key_1_to_32(&p, LOG_TARGETS_HASH);
	CHECK(target_of(&p, "example.com", 80), "h:8f17f3737900:80");
	CHECK(target_of(&p, "example.com", -1), "h:8f17f3737900");
	CHECK(target_of(&p, "127.0.0.1", 0), "h:b73d12e57355:0");
	CHECK(secret_of(&p, "alice", 5), "h:641186458a22");

	p.mode = LOG_TARGETS_PLAIN;
	CHECK(target_of(&p, "example.com", 80), "example.com:80");
	CHECK(target_of(&p, "example.com", -1), "example.com");
	CHECK(target_of(&p, "evil\033[2J\n.com", 80), "evil\\x1b[2J\\n.com:80");
	CHECK(target_of(&p, "::1", 443), "[::1]:443");
	CHECK(target_of(&p, "::1", -1), "::1");
	CHECK(secret_of(&p, "alice", 5), "\"alice\"");
	CHECK(secret_of(&p, "", 0), "\"\"");
	CHECK(secret_of(&p, "a\"b\\c\0d\n", 8), "\"a\\\"b\\\\c\\x00d\\n\"");
	CHECK(secret_of(&p, "\"\"", 2), "\"\\\"\\\"\"");

	p.mode = LOG_TARGETS_NONE;
	CHECK(target_of(&p, "example.com", 80), "port 80");
	CHECK(target_of(&p, "example.com", -1), "port");
	/* none hides targets; credentials are still hashed. */
	CHECK(secret_of(&p, "alice", 5), "h:641186458a22");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_buf_basics),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_json_str_random),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_words),
		cmocka_unit_test(test_add_numbers),
		cmocka_unit_test(test_swar_classify),
		cmocka_unit_test(test_idmap_basics),
		cmocka_unit_test(test_idmap_many),
		cmocka_unit_test(test_idmap_churn),
		cmocka_unit_test(test_privacy_modes),
		cmocka_unit_test(test_privacy_hash),
		cmocka_unit_test(test_privacy_formatting),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
