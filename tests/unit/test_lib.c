/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_lib.c: the small helpers of auditor/lib that have no file of tests
 * of their own: hindex, utf8_len, xstrdup_or_null, the clocks, and the
 * fatal paths (out of memory runs the dashboard's hook, once, first).
 */
#include "testutil.h"

#include <sys/wait.h>

#include <arpa/inet.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "hindex.h"
#include "inaddr.h"
#include "log.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

/* hindex: find-or-add of strings, as its users do it. */
static long
find_or_add(struct hindex *h, char **items, size_t *n, const char *key)
{
	uint64_t hash = 1469598103934665603ULL;
	size_t i, k;

	for (i = 0; key[i] != '\0'; i++)
		hash = (hash ^ (unsigned char)key[i]) * 1099511628211ULL;
	if (hindex_fit(h, *n + 1, 4))
		for (i = 0; i < *n; i++) {
			uint64_t hi = 1469598103934665603ULL;
			size_t j;

			for (j = 0; items[i][j] != '\0'; j++)
				hi = (hi ^ (unsigned char)items[i][j]) *
				    1099511628211ULL;
			for (k = hindex_first(h, hi); h->slot[k] != 0;
			    k = hindex_next(h, k))
				;
			h->slot[k] = (uint32_t)i + 1;
			h->n++;
		}
	for (k = hindex_first(h, hash); h->slot[k] != 0; k = hindex_next(h, k))
		if (strcmp(items[h->slot[k] - 1], key) == 0)
			return (long)h->slot[k] - 1;
	items[*n] = xstrdup(key);
	h->slot[k] = (uint32_t)*n + 1;
	h->n++;
	return (long)(*n)++;
}

static void
test_hindex(void **state)
{
	struct hindex h;
	char *items[1000], key[16];
	size_t n = 0, i;

	(void)state;
	hindex_init(&h);
	assert_int_equal(h.cap, 0);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		assert_int_equal(find_or_add(&h, items, &n, key), (long)i);
		/* At most half full, a power of two. */
		assert_true(h.cap >= 2 * h.n);
		assert_int_equal(h.cap & (h.cap - 1), 0);
	}
	for (i = 0; i < 1000; i += 7) {
		snprintf(key, sizeof key, "k%zu", i);
		assert_int_equal(find_or_add(&h, items, &n, key), (long)i);
	}
	assert_int_equal(n, 1000);
	assert_int_equal(h.n, 1000);
	/* Fits: nothing is rebuilt, nothing is lost. */
	assert_int_equal(hindex_fit(&h, 1000, 4), 0);
	assert_int_equal(h.n, 1000);
	hindex_clear(&h);
	assert_int_equal(h.n, 0);
	for (i = 0; i < h.cap; i++)
		assert_int_equal(h.slot[i], 0);
	hindex_free(&h);
	assert_null(h.slot);
	for (i = 0; i < n; i++)
		free(items[i]);
}

/* An IPv4-mapped IPv6 address becomes the IPv4 one; nothing else does. */
static void
test_inaddr_unmap(void **state)
{
	unsigned char a[16], v6[16], keep[16];
	int family;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.152.152.11", a), 1);
	assert_true(inaddr_is_mapped(a));
	family = AF_INET6;
	assert_int_equal(inaddr_unmap(&family, a), 1);
	assert_int_equal(family, AF_INET);
	assert_memory_equal(a, "\x0a\x98\x98\x0b\0\0\0\0\0\0\0\0\0\0\0\0",
	    16);
	/* Already IPv4 (its bytes are never "mapped"), a real IPv6
	 * address, and mapped bytes said to be IPv4: left alone. */
	family = AF_INET;
	memcpy(keep, a, 16);
	assert_int_equal(inaddr_unmap(&family, a), 0);
	assert_memory_equal(a, keep, 16);
	assert_int_equal(inet_pton(AF_INET6, "fd19::11", v6), 1);
	family = AF_INET6;
	assert_false(inaddr_is_mapped(v6));
	assert_int_equal(inaddr_unmap(&family, v6), 0);
	assert_int_equal(family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", a), 1);
	family = AF_INET;
	assert_int_equal(inaddr_unmap(&family, a), 0);
	assert_true(inaddr_is_mapped(a));
}

static void
test_utf8_len(void **state)
{
	static const struct {
		const char	*s;
		size_t		 n, want;
	} cases[] = {
		{ "a", 1, 1 },
		{ "\xc3\xa9", 2, 2 },			/* é */
		{ "\xe2\x82\xac", 3, 3 },		/* € */
		{ "\xf0\x9f\x98\x80", 4, 4 },		/* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", 4, 4 },		/* U+10FFFF */
		{ "\xc2\x80", 2, 2 },			/* U+0080 */
		{ "\x80", 1, 0 },			/* a lone continuation */
		{ "\xc0\xaf", 2, 0 },			/* overlong / */
		{ "\xc1\xbf", 2, 0 },			/* overlong */
		{ "\xe0\x80\xaf", 3, 0 },		/* overlong */
		{ "\xf0\x80\x80\xaf", 4, 0 },		/* overlong */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate D800 */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xff", 1, 0 },
		{ "\xc3", 1, 0 },			/* cut */
		{ "\xe2\x82", 2, 0 },			/* cut */
		{ "\xe2\x28\xa1", 3, 0 },		/* bad second byte */
		{ "\xe2\x82\x28", 3, 0 },		/* bad third byte */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(utf8_len((const unsigned char *)cases[i].s,
		    cases[i].n), cases[i].want);
}

static void
test_dup_or_null(void **state)
{
	char *p;

	(void)state;
	assert_null(xstrdup_or_null(NULL));
	p = xstrdup_or_null("abc");
	assert_string_equal(p, "abc");
	free(p);
}

static void
test_clocks(void **state)
{
	int64_t a, b, m1, m2;

	(void)state;
	a = (int64_t)time(NULL) * 1000000;
	b = time_now_us();
	assert_true(b >= a && b < a + 2 * 1000000);
	m1 = time_mono_us();
	m2 = time_mono_us();
	assert_true(m1 > 0 && m2 >= m1);
}

/* What the child of test_oom_runs_hook does: the hook speaks first. */
static void
oom_hook(void)
{
	static const char said[] = "hook\n";

	if (write(STDERR_FILENO, said, sizeof said - 1) == -1)
		_exit(9);
}

static const char *self;	/* this binary (argv[0]) */

static int
oom_child(void)
{
	log_set_fatal_hook(oom_hook);
	(void)xmalloc(SIZE_MAX / 2);
	return 0;		/* not reached: xmalloc aborts */
}

/*
 * Out of memory restores the terminal (the dashboard's fatal hook) before
 * it says so and aborts.  The child is this binary again, so that the
 * sanitizer can be told to let malloc fail instead of reporting it.
 */
static void
test_oom_runs_hook(void **state)
{
	int fds[2], st;
	char out[256];
	ssize_t n, got = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		setenv("ASAN_OPTIONS", "allocator_may_return_null=1", 1);
		execl(self, self, "--oom-child", (char *)NULL);
		_exit(8);
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof out - 1 &&
	    (n = read(fds[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(out, "hook\nisoaudit: out of memory ("));
	/* Once: the message is not preceded by a second run of the hook. */
	assert_null(strstr(out, "hook\nhook"));
}

static int hook_runs;

static void
count_hook(void)
{
	hook_runs++;
}

static void
test_fatal_prepare_once(void **state)
{
	(void)state;
	hook_runs = 0;
	log_set_fatal_hook(count_hook);
	log_fatal_prepare();
	log_fatal_prepare();
	assert_int_equal(hook_runs, 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hindex),
		cmocka_unit_test(test_inaddr_unmap),
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_dup_or_null),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_oom_runs_hook),
		cmocka_unit_test(test_fatal_prepare_once),
	};

	self = argv[0];
	if (argc == 2 && strcmp(argv[1], "--oom-child") == 0)
		return oom_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
