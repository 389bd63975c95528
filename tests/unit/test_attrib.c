/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_attrib.c: who opened a stream (attrib.c), against a fake procdir
 * whose net/tcp and net/tcp6 are written in the kernel's format.
 */
#define ISOAUDIT_PRIVATE	/* attrib_no_netlink */
#include "testutil.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"

#define TCP_HEADER \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when " \
	"retrnsmt   uid  timeout inode\n"
#define TCP6_HEADER \
	"  sl  local_address                         remote_address          " \
	"              st tx_queue rx_queue tr tm->when retrnsmt   uid  " \
	"timeout inode\n"

#define ST_ESTABLISHED	0x01
#define ST_LISTEN	0x0A
#define ST_TIME_WAIT	0x06
#define ST_CLOSE	0x07	/* an unconnected UDP socket */

struct fake_proc {
	char	dir[64];
	FILE	*tcp;
	FILE	*tcp6;
	FILE	*udp, *udp6;
	int	 n4, n6;
};

static void
rm_rf(const char *dir)
{
	assert_int_equal(tu_rm_rf(dir), 0);
}

/* Every directory made, so that a failed test leaves none behind. */
static char	made[64][64];
static size_t	nmade;

static int
group_teardown(void **state)
{
	struct stat sb;
	size_t i;

	(void)state;
	for (i = 0; i < nmade; i++)
		if (lstat(made[i], &sb) == 0)
			tu_rm_rf(made[i]);
	return 0;
}

/*
 * The kernel prints an address as its 32-bit words, each with %08X of the
 * word as the host reads it (so 127.0.0.1 is 0100007F on x86), and the
 * port as %04X.
 */
static void
proc_addr(char *out, size_t len, const char *ip, unsigned port)
{
	unsigned char a[16];
	size_t n, i, o = 0;
	uint32_t w;

	if (inet_pton(AF_INET, ip, a) == 1)
		n = 4;
	else {
		assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
		n = 16;
	}
	for (i = 0; i < n; i += 4) {
		memcpy(&w, a + i, 4);
		o += (size_t)snprintf(out + o, len - o, "%08X", (unsigned)w);
	}
	snprintf(out + o, len - o, ":%04X", port);
}

static void
fake_open(struct fake_proc *fp, int want_tcp, int want_tcp6)
{
	char path[128];

	memset(fp, 0, sizeof *fp);
	snprintf(fp->dir, sizeof fp->dir, "/tmp/isoaudit-attrib.XXXXXX");
	assert_non_null(mkdtemp(fp->dir));
	if (nmade < TU_NELEM(made))
		snprintf(made[nmade++], sizeof made[0], "%s", fp->dir);
	snprintf(path, sizeof path, "%s/net", fp->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	if (want_tcp) {
		snprintf(path, sizeof path, "%s/net/tcp", fp->dir);
		assert_non_null(fp->tcp = fopen(path, "w"));
		fputs(TCP_HEADER, fp->tcp);
	}
	if (want_tcp6) {
		snprintf(path, sizeof path, "%s/net/tcp6", fp->dir);
		assert_non_null(fp->tcp6 = fopen(path, "w"));
		fputs(TCP6_HEADER, fp->tcp6);
	}
}

/* One socket row; the file (tcp or tcp6) follows from the address. */
static void
fake_sock(struct fake_proc *fp, const char *lip, unsigned lport,
    const char *rip, unsigned rport, unsigned st, unsigned uid,
    unsigned long inode)
{
	char l[64], r[64];
	int v6 = strchr(lip, ':') != NULL;
	FILE *f = v6 ? fp->tcp6 : fp->tcp;

	assert_non_null(f);
	proc_addr(l, sizeof l, lip, lport);
	proc_addr(r, sizeof r, rip, rport);
	fprintf(f, "%4d: %s %s %02X 00000000:00000000 00:00000000 00000000 "
	    "%5u        0 %lu 1 0000000000000000 20 4 30 10 -1\n",
	    v6 ? fp->n6++ : fp->n4++, l, r, st, uid, inode);
}

static void
fake_close(struct fake_proc *fp)
{
	if (fp->tcp != NULL)
		assert_int_equal(fclose(fp->tcp), 0);
	if (fp->tcp6 != NULL)
		assert_int_equal(fclose(fp->tcp6), 0);
	if (fp->udp != NULL)
		assert_int_equal(fclose(fp->udp), 0);
	if (fp->udp6 != NULL)
		assert_int_equal(fclose(fp->udp6), 0);
	fp->tcp = fp->tcp6 = fp->udp = fp->udp6 = NULL;
}

static void
test_proc_format(void **state)
{
	char s[64];
	uint32_t one = 1;
	int le;

	(void)state;
	memcpy(&s, &one, 1);
	le = s[0] == 1;
	proc_addr(s, sizeof s, "127.0.0.1", 20101);
	/* What /proc/net/tcp shows on the hosts isoaudit runs on. */
	assert_string_equal(s, le ? "0100007F:4E85" : "7F000001:4E85");
	proc_addr(s, sizeof s, "::1", 9150);
	assert_string_equal(s, le ?
	    "00000000000000000000000001000000:23BE" :
	    "00000000000000000000000000000001:23BE");
}

/* The client's socket and Tor's accepted mirror of it. */
static void
test_client_and_mirror(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;
	int order;

	(void)state;
	for (order = 0; order < 2; order++) {
		fake_open(&fp, 1, 1);
		/* Noise: Tor's listeners, another connection. */
		fake_sock(&fp, "127.0.0.1", 20101, "0.0.0.0", 0, ST_LISTEN,
		    110, 100);
		fake_sock(&fp, "127.0.0.1", 9051, "0.0.0.0", 0, ST_LISTEN,
		    110, 101);
		fake_sock(&fp, "127.0.0.1", 41999, "127.0.0.1", 20101,
		    ST_ESTABLISHED, 1001, 555);
		if (order == 0) {
			/* Tor's side first: the client's own row must still
			 * be found (it has the owner). */
			fake_sock(&fp, "127.0.0.1", 20101, "127.0.0.1", 41036,
			    ST_ESTABLISHED, 110, 9999);
			fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101,
			    ST_ESTABLISHED, 1000, 4242);
		} else {
			fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101,
			    ST_ESTABLISHED, 1000, 4242);
			fake_sock(&fp, "127.0.0.1", 20101, "127.0.0.1", 41036,
			    ST_ESTABLISHED, 110, 9999);
		}
		fake_close(&fp);

		memset(&r, 0x5a, sizeof r);
		attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
		assert_string_equal(r.listener, "127.0.0.1:20101");
		assert_int_equal(r.uid, 1000);
		assert_int_equal(r.inode, 4242);
		assert_string_equal(r.host, "localhost");
		assert_string_equal(r.why, "");
		rm_rf(fp.dir);
	}
}

static void
test_only_tor_side(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "127.0.0.1", 20101, "0.0.0.0", 0, ST_LISTEN, 110, 100);
	fake_sock(&fp, "127.0.0.1", 20101, "127.0.0.1", 41036, ST_ESTABLISHED,
	    110, 9999);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20101");
	assert_int_equal(r.uid, -1);
	assert_int_equal(r.inode, 0);
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "");
	rm_rf(fp.dir);
}

static void
test_nothing_found(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "127.0.0.1", 20101, "0.0.0.0", 0, ST_LISTEN, 110, 100);
	/* Same port, other address; same address, other port. */
	fake_sock(&fp, "127.0.0.2", 41036, "127.0.0.1", 20101, ST_ESTABLISHED,
	    1000, 1);
	fake_sock(&fp, "127.0.0.1", 41037, "127.0.0.1", 20101, ST_ESTABLISHED,
	    1000, 2);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.uid, -1);
	assert_int_equal(r.inode, 0);
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "no socket for 127.0.0.1:41036 here "
	    "(closed already, or Tor is on another host)");
	rm_rf(fp.dir);

	/* Empty files (not even a header) are no sockets either. */
	fake_open(&fp, 0, 0);
	{
		static const char *const names[] = { "tcp", "tcp6" };
		char p[128];
		size_t i;
		FILE *f;

		for (i = 0; i < TU_NELEM(names); i++) {
			snprintf(p, sizeof p, "%s/net/%s", fp.dir, names[i]);
			assert_non_null(f = fopen(p, "w"));
			fclose(f);
		}
	}
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.why, "no socket for 127.0.0.1:41036 here "
	    "(closed already, or Tor is on another host)");
	rm_rf(fp.dir);
}

/* A kernel without IPv6 has no tcp6: a v4 miss is still a miss. */
static void
test_no_tcp6(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 0);
	fake_sock(&fp, "127.0.0.1", 20101, "0.0.0.0", 0, ST_LISTEN, 110, 100);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.why, "no socket for 127.0.0.1:41036 here "
	    "(closed already, or Tor is on another host)");

	rm_rf(fp.dir);

	/* And a hit needs no tcp6 at all. */
	fake_open(&fp, 1, 0);
	fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101, ST_ESTABLISHED,
	    1000, 4242);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20101");
	assert_int_equal(r.uid, 1000);
	assert_string_equal(r.why, "");
	rm_rf(fp.dir);
}

static void
test_unreadable_proc(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;
	char want[160];

	(void)state;
	fake_open(&fp, 0, 0);	/* net/ exists, no tcp, no tcp6 */
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.uid, -1);
	assert_string_equal(r.host, "localhost");
	snprintf(want, sizeof want, "cannot read %s/net", fp.dir);
	assert_string_equal(r.why, want);
	rm_rf(fp.dir);

	attrib_resolve("/nonexistent", "[::1]:5000", &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.why, "cannot read /nonexistent/net");
}

static void
test_unix_socket(void **state)
{
	struct attrib_result r;

	(void)state;
	/* Nothing is read for a unix socket. */
	attrib_resolve("/nonexistent", "/tmp/x/socks.sock:0", &r);
	assert_string_equal(r.listener, "unix:/tmp/x/socks.sock");
	assert_string_equal(r.host, "localhost");
	assert_int_equal(r.uid, -1);
	assert_int_equal(r.inode, 0);
	assert_string_equal(r.why, "");
	/* A colon in the path: only the last one is the port. */
	attrib_resolve("/nonexistent", "/run/a:b/socks:0", &r);
	assert_string_equal(r.listener, "unix:/run/a:b/socks");
	attrib_resolve("/nonexistent", "/run/tor/socks", &r);
	assert_string_equal(r.listener, "unix:/run/tor/socks");
}

static void
test_remote_host(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "10.152.152.10", 9150, "0.0.0.0", 0, ST_LISTEN, 110,
	    100);
	fake_sock(&fp, "10.152.152.10", 9150, "10.152.152.11", 5000,
	    ST_ESTABLISHED, 110, 321);
	fake_close(&fp);
	attrib_resolve(fp.dir, "10.152.152.11:5000", &r);
	assert_string_equal(r.host, "10.152.152.11");
	assert_string_equal(r.listener, "10.152.152.10:9150");
	assert_int_equal(r.uid, -1);	/* the client is on another host */
	assert_int_equal(r.inode, 0);
	assert_string_equal(r.why, "");
	rm_rf(fp.dir);

	/* Not found: the host label is there all the same. */
	attrib_resolve("/nonexistent", "10.152.152.11:5000", &r);
	assert_string_equal(r.host, "10.152.152.11");
	assert_string_equal(r.listener, "");
}

static void
test_ipv6(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "::", 9150, "::", 0, ST_LISTEN, 110, 100);
	fake_sock(&fp, "::1", 9150, "::1", 5000, ST_ESTABLISHED, 110, 99);
	fake_sock(&fp, "::1", 5000, "::1", 9150, ST_ESTABLISHED, 1000, 77);
	/* The same ports in tcp must not be taken for it. */
	fake_sock(&fp, "127.0.0.1", 5000, "127.0.0.1", 9999, ST_ESTABLISHED,
	    5, 5);
	fake_close(&fp);
	attrib_resolve(fp.dir, "[::1]:5000", &r);
	assert_string_equal(r.listener, "[::1]:9150");
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 77);
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "");

	/* Unbracketed form too. */
	attrib_resolve(fp.dir, "::1:5000", &r);
	assert_string_equal(r.listener, "[::1]:9150");
	assert_int_equal(r.uid, 1000);

	/* A global v6 client: its host is its address. */
	attrib_resolve(fp.dir, "[2001:db8::5]:5000", &r);
	assert_string_equal(r.host, "2001:db8::5");
	assert_string_equal(r.listener, "");
	rm_rf(fp.dir);
}

/* A v4 client of a dual-stack listener shows up in tcp6, v4-mapped. */
static void
test_v4_mapped(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "::", 9050, "::", 0, ST_LISTEN, 110, 100);
	fake_sock(&fp, "::ffff:127.0.0.1", 9050, "::ffff:127.0.0.1", 41036,
	    ST_ESTABLISHED, 110, 99);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "[::ffff:127.0.0.1]:9050");
	assert_int_equal(r.uid, -1);
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "");
	rm_rf(fp.dir);
}

/* Rows that are not the kernel's format are skipped, not misread. */
static void
test_malformed_rows(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;

	(void)state;
	fake_open(&fp, 1, 0);
	fputs("   0: garbage\n", fp.tcp);
	fputs("   1: 0100007G:A04C 0100007F:4E85 01 00000000:00000000 "
	    "00:00000000 00000000  1000        0 11 1\n", fp.tcp);
	fputs("   2: 0100007F0:A04C 0100007F:4E85 01 00000000:00000000 "
	    "00:00000000 00000000  1000        0 12 1\n", fp.tcp);
	fputs("   3: 0100007F:A04C 0100007F:4E85 01 00000000:00000000\n",
	    fp.tcp);
	fputs("\n", fp.tcp);
	fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101, ST_ESTABLISHED,
	    1000, 4242);
	fake_close(&fp);
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20101");
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 4242);
	rm_rf(fp.dir);
}

static void
test_bad_source_addr(void **state)
{
	static const char *const bad[] = {
		"garbage", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
		"127.0.0.1:70000", "300.0.0.1:5", "[::1:5", "",
	};
	struct attrib_result r;
	size_t i;

	(void)state;
	attrib_resolve("/nonexistent", NULL, &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.host, "unknown");
	assert_string_equal(r.why, "no SOURCE_ADDR");
	assert_int_equal(r.uid, -1);
	for (i = 0; i < TU_NELEM(bad); i++) {
		attrib_resolve("/nonexistent", bad[i], &r);
		if (strcmp(r.why, "cannot read SOURCE_ADDR") != 0)
			fail_msg("\"%s\": why \"%s\"", bad[i], r.why);
		assert_string_equal(r.listener, "");
		assert_string_equal(r.host, "unknown");
		assert_int_equal(r.uid, -1);
	}
}

static void
test_default_label(void **state)
{
	char out[64];

	(void)state;
	attrib_default_label("127.0.0.1:9050", out, sizeof out);
	assert_string_equal(out, "port 9050");
	attrib_default_label("[::1]:9150", out, sizeof out);
	assert_string_equal(out, "port 9150");
	attrib_default_label("unix:/run/tor/socks", out, sizeof out);
	assert_string_equal(out, "unix:/run/tor/socks");
	attrib_default_label("9100", out, sizeof out);
	assert_string_equal(out, "port 9100");
	/* Truncated, still terminated. */
	attrib_default_label("127.0.0.1:9050", out, 6);
	assert_string_equal(out, "port ");
}

static void
test_is_loopback(void **state)
{
	static const char *const yes[] = {
		"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost",
		"0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "[::ffff:127.0.0.2]",
	};
	static const char *const no[] = {
		"10.152.152.11", "192.168.1.1", "1.27.0.0", "::2", "::",
		"::ffff:10.0.0.1", "2001:db8::1", "", "garbage", "128.0.0.1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TU_NELEM(yes); i++)
		if (!attrib_is_loopback(yes[i]))
			fail_msg("%s should be loopback", yes[i]);
	for (i = 0; i < TU_NELEM(no); i++)
		if (attrib_is_loopback(no[i]))
			fail_msg("%s should not be loopback", no[i]);
}

/* --- attrib_lookup: the context with the /proc snapshot and netlink -------- */

/* Without known listeners it answers from a snapshot of procdir. */
static void
test_lookup_proc(void **state)
{
	struct fake_proc fp;
	struct attrib_result r, want;
	struct attrib *a;
	unsigned long nl, proc;
	static const char *const srcs[] = {
		"127.0.0.1:41036", "127.0.0.1:41037", "[::1]:5000",
		"10.152.152.11:5000", "/run/tor/socks:0", "garbage",
		"127.0.0.1:1",
	};
	size_t i;

	(void)state;
	fake_open(&fp, 1, 1);
	fake_sock(&fp, "127.0.0.1", 20101, "0.0.0.0", 0, ST_LISTEN, 110, 100);
	fake_sock(&fp, "127.0.0.1", 20101, "127.0.0.1", 41036, ST_ESTABLISHED,
	    110, 9999);
	fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101, ST_ESTABLISHED,
	    1000, 4242);
	fake_sock(&fp, "127.0.0.1", 20101, "127.0.0.1", 41037, ST_ESTABLISHED,
	    110, 9998);
	fake_sock(&fp, "::1", 5000, "::1", 9150, ST_ESTABLISHED, 1000, 77);
	fake_sock(&fp, "10.152.152.10", 9150, "10.152.152.11", 5000,
	    ST_ESTABLISHED, 110, 321);
	fake_close(&fp);

	a = attrib_new(fp.dir);
	attrib_set_listeners(a, NULL, 0);
	/* The same answers as attrib_resolve, which reads the files. */
	for (i = 0; i < TU_NELEM(srcs); i++) {
		memset(&r, 0x5a, sizeof r);
		attrib_lookup(a, srcs[i], &r);
		attrib_resolve(fp.dir, srcs[i], &want);
		if (strcmp(r.listener, want.listener) != 0 ||
		    strcmp(r.host, want.host) != 0 || r.uid != want.uid ||
		    r.inode != want.inode || strcmp(r.why, want.why) != 0)
			fail_msg("%s: lookup {%s %s %ld %llu \"%s\"}, resolve "
			    "{%s %s %ld %llu \"%s\"}", srcs[i], r.listener,
			    r.host, r.uid, (unsigned long long)r.inode, r.why,
			    want.listener, want.host, want.uid,
			    (unsigned long long)want.inode, want.why);
	}
	attrib_lookup(a, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20101");
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 4242);
	attrib_lookup(a, "127.0.0.1:41037", &r);
	assert_string_equal(r.listener, "127.0.0.1:20101");
	assert_int_equal(r.uid, -1);
	attrib_lookup(a, NULL, &r);
	assert_string_equal(r.why, "no SOURCE_ADDR");
	attrib_counts(a, &nl, &proc);
	assert_int_equal(nl, 0);
	assert_int_equal(proc, TU_NELEM(srcs) + 3);
	attrib_free(a);
	rm_rf(fp.dir);

	/* No net/ at all. */
	a = attrib_new("/nonexistent");
	attrib_lookup(a, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "cannot read /nonexistent/net");
	attrib_free(a);
	attrib_free(NULL);
}

/*
 * A client port used again: an earlier connection from 127.0.0.1:41036 to
 * A (now in TIME_WAIT) beside the new one to E.  The stream is E's; a
 * TIME_WAIT socket alone is nobody's (the connection ended).
 */
static void
test_time_wait_port_reused(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;
	struct attrib *a;

	(void)state;
	fake_open(&fp, 1, 0);
	fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20101, ST_TIME_WAIT,
	    0, 0);
	fake_sock(&fp, "127.0.0.1", 41036, "127.0.0.1", 20105, ST_ESTABLISHED,
	    1000, 4242);
	fake_sock(&fp, "127.0.0.1", 41040, "127.0.0.1", 20101, ST_TIME_WAIT,
	    0, 0);
	fake_close(&fp);
	a = attrib_new(fp.dir);
	attrib_set_listeners(a, NULL, 0);
	attrib_lookup(a, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20105");
	assert_int_equal(r.uid, 1000);
	assert_int_equal(r.inode, 4242);
	attrib_lookup(a, "127.0.0.1:41040", &r);
	assert_string_equal(r.listener, "");
	attrib_free(a);
	/* The same through attrib_resolve (the /proc scan). */
	attrib_resolve(fp.dir, "127.0.0.1:41036", &r);
	assert_string_equal(r.listener, "127.0.0.1:20105");
	attrib_resolve(fp.dir, "127.0.0.1:41040", &r);
	assert_string_equal(r.listener, "");
	rm_rf(fp.dir);
}

/* A process of the fake procdir: its name, executable and one socket. */
static void
fake_process(const struct fake_proc *fp, long pid, const char *comm,
    const char *exe, unsigned long inode)
{
	char path[192], link[64];
	FILE *f;

	snprintf(path, sizeof path, "%s/%ld", fp->dir, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/%ld/fd", fp->dir, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/%ld/fd/3", fp->dir, pid);
	snprintf(link, sizeof link, "socket:[%lu]", inode);
	assert_int_equal(symlink(link, path), 0);
	snprintf(path, sizeof path, "%s/%ld/comm", fp->dir, pid);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s\n", comm);
	assert_int_equal(fclose(f), 0);
	if (exe != NULL) {
		snprintf(path, sizeof path, "%s/%ld/exe", fp->dir, pid);
		assert_int_equal(symlink(exe, path), 0);
	}
}

/*
 * The process holding a socket names its executable (SPEC.md 0.2: the
 * application is the executable and uid): a binary replaced by an upgrade
 * ("(deleted)") is the same program; no readable path leaves the name.
 */
static void
test_process_exe(void **state)
{
	static const struct {
		const char	*exe;		/* the link, NULL none */
		const char	*want;
	} cases[] = {
		{ "/usr/bin/curl", "/usr/bin/curl" },
		{ "/usr/bin/curl (deleted)", "/usr/bin/curl" },
		{ "/opt/my app/bin/x\ny", "/opt/my app/bin/x\ny" },
		{ NULL, "" },
		{ "relative/path", "" },
		{ "/", "/" },
	};
	struct fake_proc fp;
	struct attrib_result r;
	struct attrib *a;
	char src[32], longexe[400];
	unsigned uid = (unsigned)getuid();
	size_t i;

	(void)state;
	fake_open(&fp, 1, 0);
	for (i = 0; i < TU_NELEM(cases) + 1; i++)
		fake_sock(&fp, "127.0.0.1", (unsigned)(42000 + i), "127.0.0.1",
		    9050, ST_ESTABLISHED, uid, 7000 + i);
	fake_close(&fp);
	for (i = 0; i < TU_NELEM(cases); i++)
		fake_process(&fp, (long)(100 + i), "curl", cases[i].exe,
		    7000 + i);
	/* A path longer than the result holds: never a cut one. */
	memset(longexe, 'x', sizeof longexe - 1);
	longexe[0] = '/';
	longexe[sizeof longexe - 1] = '\0';
	fake_process(&fp, (long)(100 + i), "curl", longexe, 7000 + i);

	a = attrib_new(fp.dir);
	attrib_set_listeners(a, NULL, 0);
	for (i = 0; i < TU_NELEM(cases) + 1; i++) {
		snprintf(src, sizeof src, "127.0.0.1:%u", (unsigned)(42000 + i));
		attrib_lookup(a, src, &r);
		assert_int_equal(r.pid, (long)(100 + i));
		assert_string_equal(r.process, "curl");
		assert_string_equal(r.exe,
		    i < TU_NELEM(cases) ? cases[i].want : "");
		/* Asked again (the cached owner): the same answer. */
		attrib_lookup(a, src, &r);
		assert_int_equal(r.pid, (long)(100 + i));
		assert_string_equal(r.exe,
		    i < TU_NELEM(cases) ? cases[i].want : "");
	}
	attrib_free(a);
	rm_rf(fp.dir);
}

/*
 * Real loopback sockets (nothing leaves the host): with Tor's listener
 * known, the lookup finds the client's socket and its owner, by netlink
 * where the kernel allows it, else from the real /proc.
 */
static void
test_lookup_live_socket(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct attrib_result r;
	struct attrib *a;
	struct stat sb;
	char listener[64], source[64], other[64];
	const char *ls[3];
	unsigned long nl, proc;
	int lfd, cfd, afd;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(listener, sizeof listener, "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(cfd != -1);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd != -1);
	len = sizeof sin;
	assert_int_equal(getsockname(cfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(source, sizeof source, "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));
	assert_int_equal(fstat(cfd, &sb), 0);

	a = attrib_new("/proc");
	/* Unparseable and unix listeners are ignored. */
	snprintf(other, sizeof other, "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port) ^ 1u);
	ls[0] = "unix:/run/tor/socks";
	ls[1] = other;
	ls[2] = listener;
	attrib_set_listeners(a, ls, 3);
	attrib_lookup(a, source, &r);
	assert_string_equal(r.listener, listener);
	assert_int_equal(r.uid, (long)getuid());
	{
		char self[256];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

		/* This process holds the client socket: its executable. */
		assert_true(n > 0);
		self[n] = '\0';
		assert_int_equal(r.pid, (long)getpid());
		assert_string_equal(r.exe, self);
	}
	assert_int_equal(r.inode, (uint64_t)sb.st_ino);
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "");
	attrib_counts(a, &nl, &proc);
	assert_int_equal(nl + proc, 1);
	attrib_free(a);
	close(afd);
	close(cfd);
	close(lfd);
}

/* --- DNSPort queries: the client's UDP socket ------------------------------ */

/* Opens net/udp and net/udp6 of a fake procdir (fake_open made it). */
static void
fake_udp_open(struct fake_proc *fp)
{
	char path[128];

	snprintf(path, sizeof path, "%s/net/udp", fp->dir);
	assert_non_null(fp->udp = fopen(path, "w"));
	fputs(TCP_HEADER, fp->udp);
	snprintf(path, sizeof path, "%s/net/udp6", fp->dir);
	assert_non_null(fp->udp6 = fopen(path, "w"));
	fputs(TCP6_HEADER, fp->udp6);
}

/* One UDP socket row, as the kernel writes net/udp{,6}. */
static void
fake_udp(struct fake_proc *fp, const char *lip, unsigned lport,
    const char *rip, unsigned rport, unsigned uid, unsigned long inode)
{
	char l[64], r[64];
	int v6 = strchr(lip, ':') != NULL;

	proc_addr(l, sizeof l, lip, lport);
	proc_addr(r, sizeof r, rip, rport);
	fprintf(v6 ? fp->udp6 : fp->udp, "%5d: %s %s %02X 00000000:00000000"
	    " 00:00000000 00000000 %5u        0 %lu 2 0000000000000000 0\n",
	    v6 ? fp->n6++ : fp->n4++, l, r, rport ? ST_ESTABLISHED : ST_CLOSE,
	    uid, inode);
}

/* Tor's DNSPorts as attrib_lookup_dns takes them: NUL after each. */
static const char dns_ports[] = "127.0.0.1:5300\0" "127.0.0.1:5400\0"
    "10.152.152.10:5300\0" "[::1]:5300\0" "[::]:5353";
#define NDNS	5

/*
 * The DNSPorts a query may have come in on: the client's family (IPv6's
 * wildcard takes IPv4 too), loopback ones only from loopback; the list
 * cut with "..." where it does not fit; Tor's bytes printable.
 */
static void
test_dns_candidates(void **state)
{
	char out[128], small[40];

	(void)state;
	assert_int_equal(attrib_dns_candidates("127.0.0.1:4000", dns_ports,
	    NDNS, out, sizeof out), 4);
	assert_string_equal(out, "127.0.0.1:5300, 127.0.0.1:5400, "
	    "10.152.152.10:5300, [::]:5353");
	assert_int_equal(attrib_dns_candidates("10.152.152.11:4000",
	    dns_ports, NDNS, out, sizeof out), 2);
	assert_string_equal(out, "10.152.152.10:5300, [::]:5353");
	assert_int_equal(attrib_dns_candidates("[::1]:4000", dns_ports, NDNS,
	    out, sizeof out), 2);
	assert_string_equal(out, "[::1]:5300, [::]:5353");
	assert_int_equal(attrib_dns_candidates("[fd19::11]:4000", dns_ports,
	    NDNS, out, sizeof out), 1);
	assert_string_equal(out, "[::]:5353");
	/* A v4-mapped client is an IPv4 one. */
	assert_int_equal(attrib_dns_candidates("[::ffff:10.152.152.11]:4000",
	    dns_ports, NDNS, out, sizeof out), 2);
	/* Nothing known of the client: every DNSPort. */
	assert_int_equal(attrib_dns_candidates(NULL, dns_ports, NDNS, out,
	    sizeof out), 5);
	assert_int_equal(attrib_dns_candidates("garbage", dns_ports, NDNS,
	    out, sizeof out), 5);
	assert_int_equal(attrib_dns_candidates("127.0.0.1:1", dns_ports, 0,
	    out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(attrib_dns_candidates("127.0.0.1:1", NULL, 0, out,
	    sizeof out), 0);
	/* Cut: as many whole ones as fit, then "...". */
	assert_int_equal(attrib_dns_candidates(NULL, dns_ports, NDNS, small,
	    sizeof small), 5);
	assert_string_equal(small, "127.0.0.1:5300, 127.0.0.1:5400...");
	/* A listener Tor wrote with control bytes stays a candidate, printable. */
	assert_int_equal(attrib_dns_candidates("127.0.0.1:1", "a\x1b[2J:1\0"
	    "127.0.0.1:5300", 2, out, sizeof out), 2);
	assert_string_equal(out, "a?[2J:1, 127.0.0.1:5300");
}

/*
 * From a fake /proc/net/udp{,6}: a connected socket names the DNSPort
 * (as Tor lists it; a wildcard one by its port), an unconnected one
 * (bound to the wildcard, as a resolver's is) its owner only; an IPv4
 * client of a dual-stack socket; a gone socket; a remote client whose
 * port a local wildcard socket happens to use is not that socket's.
 */
static void
test_dns_proc(void **state)
{
	struct fake_proc fp;
	struct attrib_result r;
	struct attrib *a;
	unsigned long found, gone;
	unsigned uid = (unsigned)getuid();

	(void)state;
	fake_open(&fp, 1, 1);
	fake_udp_open(&fp);
	/* Tor's own DNSPort sockets. */
	fake_udp(&fp, "127.0.0.1", 5300, "0.0.0.0", 0, 110, 100);
	fake_udp(&fp, "127.0.0.1", 5400, "0.0.0.0", 0, 110, 101);
	/* Clients. */
	fake_udp(&fp, "127.0.0.1", 41000, "127.0.0.1", 5400, uid, 8001);
	fake_udp(&fp, "0.0.0.0", 41001, "0.0.0.0", 0, uid, 8002);
	fake_udp(&fp, "::ffff:127.0.0.1", 41002, "::ffff:127.0.0.1", 5353,
	    uid, 8003);
	fake_udp(&fp, "127.0.0.1", 41003, "127.0.0.1", 53, uid, 8004);
	fake_udp(&fp, "0.0.0.0", 41005, "0.0.0.0", 0, uid, 8005);
	fake_udp(&fp, "::1", 41006, "::1", 5300, uid, 8006);
	fake_close(&fp);
	fake_process(&fp, 300, "dig", "/usr/bin/dig", 8001);

	a = attrib_new(fp.dir);
	attrib_no_netlink(a);
	attrib_lookup_dns(a, "127.0.0.1:41000", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "127.0.0.1:5400");
	assert_int_equal(r.uid, (long)uid);
	assert_int_equal(r.inode, 8001);
	assert_int_equal(r.pid, 300);
	assert_string_equal(r.process, "dig");
	assert_string_equal(r.exe, "/usr/bin/dig");
	assert_string_equal(r.host, "localhost");
	assert_string_equal(r.why, "");

	attrib_lookup_dns(a, "127.0.0.1:41001", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.inode, 8002);
	assert_int_equal(r.uid, (long)uid);
	assert_string_equal(r.why, "the query's socket is not connected: it "
	    "does not name the DNSPort");

	/* Dual-stack socket, v4-mapped in udp6; the wildcard DNSPort. */
	attrib_lookup_dns(a, "127.0.0.1:41002", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "[::]:5353");
	assert_int_equal(r.inode, 8003);

	attrib_lookup_dns(a, "127.0.0.1:41003", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.inode, 8004);
	assert_string_equal(r.why, "the query's socket is connected to no "
	    "DNSPort of Tor's");

	attrib_lookup_dns(a, "127.0.0.1:41004", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.inode, 0);
	assert_int_equal(r.uid, -1);
	assert_int_equal(r.pid, 0);
	assert_string_equal(r.why, "no socket for 127.0.0.1:41004 here "
	    "(closed already, or the client is on another host)");

	/* 10.152.152.11 is no address of this host: the wildcard socket
	 * on 41005 is somebody else's. */
	attrib_lookup_dns(a, "10.152.152.11:41005", dns_ports, NDNS, &r);
	assert_int_equal(r.inode, 0);
	assert_string_equal(r.host, "10.152.152.11");
	assert_non_null(strstr(r.why, "no socket for 10.152.152.11:41005"));

	attrib_lookup_dns(a, "[::1]:41006", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "[::1]:5300");
	assert_int_equal(r.inode, 8006);

	attrib_lookup_dns(a, NULL, dns_ports, NDNS, &r);
	assert_string_equal(r.why, "no SOURCE_ADDR");
	attrib_lookup_dns(a, "nonsense", dns_ports, NDNS, &r);
	assert_string_equal(r.why, "cannot read SOURCE_ADDR");
	attrib_dns_counts(a, &found, &gone);
	assert_int_equal(found, 5);
	assert_int_equal(gone, 2);
	attrib_free(a);

	/* No net/udp to read. */
	a = attrib_new("/nonexistent");
	attrib_no_netlink(a);
	attrib_lookup_dns(a, "127.0.0.1:41000", dns_ports, NDNS, &r);
	assert_string_equal(r.listener, "");
	assert_string_equal(r.why, "cannot read /nonexistent/net");
	attrib_free(a);
	rm_rf(fp.dir);
}

/* A bound UDP socket on 127.0.0.1 (port 0: any); returns it, its port. */
static int
udp_bound(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Sends a byte from fd to 127.0.0.1:port (sendto); returns fd's port. */
static unsigned
udp_send(int fd, unsigned port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(sendto(fd, "q", 1, 0, (struct sockaddr *)&sin,
	    sizeof sin), 1);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/*
 * Real loopback UDP sockets, two "DNSPorts": a client connected to the
 * second names it and this process; an unconnected one (autobound to the
 * wildcard, as a resolver's) this process only; a closed one nothing.
 * By netlink where the kernel has UDP sock_diag, else the real /proc.
 */
static void
test_dns_live_socket(void **state)
{
	struct sockaddr_in sin;
	struct attrib_result r;
	struct attrib *a;
	struct stat sb;
	char dns[64], src[32], self[256];
	unsigned p1, p2, port;
	unsigned long found, gone, nl, proc;
	ssize_t n;
	size_t off;
	int d1, d2, conn, unconn, closed;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	d1 = udp_bound(&p1);
	d2 = udp_bound(&p2);
	off = (size_t)snprintf(dns, sizeof dns, "127.0.0.1:%u", p1) + 1;
	snprintf(dns + off, sizeof dns - off, "127.0.0.1:%u", p2);

	conn = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(conn != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)p2);
	assert_int_equal(connect(conn, (struct sockaddr *)&sin, sizeof sin), 0);
	port = udp_send(conn, p2);
	a = attrib_new("/proc");
	snprintf(src, sizeof src, "127.0.0.1:%u", port);
	attrib_lookup_dns(a, src, dns, 2, &r);
	assert_string_equal(r.listener, dns + off);
	assert_int_equal(fstat(conn, &sb), 0);
	assert_int_equal(r.inode, (uint64_t)sb.st_ino);
	assert_int_equal(r.uid, (long)getuid());
	assert_int_equal(r.pid, (long)getpid());
	assert_string_equal(r.exe, self);
	assert_string_equal(r.why, "");

	unconn = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(unconn != -1);
	port = udp_send(unconn, p1);
	snprintf(src, sizeof src, "127.0.0.1:%u", port);
	attrib_lookup_dns(a, src, dns, 2, &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(fstat(unconn, &sb), 0);
	assert_int_equal(r.inode, (uint64_t)sb.st_ino);
	assert_int_equal(r.pid, (long)getpid());

	closed = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(closed != -1);
	port = udp_send(closed, p1);
	close(closed);
	snprintf(src, sizeof src, "127.0.0.1:%u", port);
	attrib_lookup_dns(a, src, dns, 2, &r);
	assert_string_equal(r.listener, "");
	assert_int_equal(r.inode, 0);
	assert_int_equal(r.pid, 0);
	attrib_dns_counts(a, &found, &gone);
	assert_int_equal(found, 2);
	assert_int_equal(gone, 1);
	attrib_counts(a, &nl, &proc);
	print_message("UDP lookups: %lu by netlink, %lu from /proc\n", nl,
	    proc);
	attrib_free(a);
	close(unconn);
	close(conn);
	close(d1);
	close(d2);
}

/* --- latency with many idle processes ------------------------------------- */

#define IDLE_PROCS	500
#define LOOKUPS		200
#define CLIENT_NAME	"attrib-client"	/* comm: at most 15 bytes */

/* Every child forked, so that the teardown kills them even on failure. */
static pid_t	kids[IDLE_PROCS + 2];	/* and two clients */
static size_t	nkids;

static int
kids_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nkids; i++)
		while (waitpid(kids[i], NULL, 0) == -1 && errno == EINTR)
			;
	nkids = 0;
	return 0;
}

/*
 * Forks a child that waits to be killed (and dies with the test process,
 * should that crash first).  A client connects to sin first and sends its
 * local port down fd.
 */
static pid_t
spawn(const struct sockaddr_in *sin, int fd)
{
	pid_t parent = getpid(), pid;

	assert_true(nkids < TU_NELEM(kids));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid != -1);
	if (pid > 0) {
		kids[nkids++] = pid;
		return pid;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
	if (sin != NULL) {
		struct sockaddr_in me;
		socklen_t len = sizeof me;
		uint16_t port = 0;
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (c != -1 && connect(c, (const struct sockaddr *)sin,
		    sizeof *sin) == 0 &&
		    getsockname(c, (struct sockaddr *)&me, &len) == 0 &&
		    prctl(PR_SET_NAME, CLIENT_NAME) == 0)
			port = ntohs(me.sin_port);
		if (write(fd, &port, sizeof port) != (ssize_t)sizeof port)
			_exit(1);
		close(fd);
	}
	for (;;)
		pause();
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Forks a client of the listener at sin; returns its pid, its address. */
static pid_t
client_spawn(const struct sockaddr_in *sin, char *source, size_t len)
{
	uint16_t port = 0;
	pid_t pid;
	int p[2];

	assert_int_equal(pipe(p), 0);
	pid = spawn(sin, p[1]);
	close(p[1]);
	assert_int_equal(read(p[0], &port, sizeof port), sizeof port);
	close(p[0]);
	assert_true(port != 0);
	snprintf(source, len, "127.0.0.1:%u", (unsigned)port);
	return pid;
}

/* LOOKUPS lookups of source, each checked; prints the latency. */
static void
lookups(const char *listener, const char *source, pid_t client,
    const char *which)
{
	struct attrib_result r;
	struct attrib *a;
	struct timespec t0, t1;
	double ms[LOOKUPS];
	const char *ls[1];
	unsigned long nl, proc;
	size_t i;

	a = attrib_new("/proc");
	ls[0] = listener;
	attrib_set_listeners(a, ls, 1);
	for (i = 0; i < LOOKUPS; i++) {
		memset(&r, 0x5a, sizeof r);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		attrib_lookup(a, source, &r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (strcmp(r.listener, listener) != 0 ||
		    r.uid != (long)getuid() || r.pid != (long)client ||
		    strcmp(r.process, CLIENT_NAME) != 0 ||
		    strcmp(r.host, "localhost") != 0 || r.why[0] != '\0') {
			attrib_free(a);
			fail_msg("lookup %zu of %s: listener %s uid %ld "
			    "pid %ld (want %ld) process \"%s\" host %s why "
			    "\"%s\"", i, source, r.listener, r.uid, r.pid,
			    (long)client, r.process, r.host, r.why);
		}
	}
	attrib_counts(a, &nl, &proc);
	attrib_free(a);
	qsort(ms, LOOKUPS, sizeof ms[0], cmp_double);
	print_message("attribution with %d idle processes%s: median %.2f ms, "
	    "p99 %.2f ms (netlink %lu, proc %lu)\n", IDLE_PROCS, which,
	    (ms[LOOKUPS / 2 - 1] + ms[LOOKUPS / 2]) / 2,
	    ms[(LOOKUPS * 99 + 99) / 100 - 1], nl, proc);
	/* The fast path answered every one. */
	assert_int_equal(nl, LOOKUPS);
	assert_int_equal(proc, 0);
}

/*
 * Real loopback sockets, the client's in another process, beside 500 idle
 * processes of the same user.  The process walk goes newest first: a
 * client started after them is found at once, one started before them
 * (a long-running program) only after all of them.  The latency is
 * printed, never asserted (no timed unit tests).
 */
static void
test_lookup_latency_idle_processes(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char listener[64], old_source[64], new_source[64];
	pid_t old_client, new_client;
	int lfd, afd[2];
	size_t i;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(listener, sizeof listener, "127.0.0.1:%u",
	    (unsigned)ntohs(sin.sin_port));

	old_client = client_spawn(&sin, old_source, sizeof old_source);
	for (i = 0; i < IDLE_PROCS; i++)
		spawn(NULL, -1);
	new_client = client_spawn(&sin, new_source, sizeof new_source);
	afd[0] = accept(lfd, NULL, NULL);
	assert_true(afd[0] != -1);
	afd[1] = accept(lfd, NULL, NULL);
	assert_true(afd[1] != -1);

	lookups(listener, new_source, new_client, "");
	lookups(listener, old_source, old_client,
	    " (client older than all of them)");
	close(afd[0]);
	close(afd[1]);
	close(lfd);
}

static void
test_privilege_text(void **state)
{
	const uint64_t ptrace = 1ULL << 19, search = 1ULL << 2;
	char *line, *brief;

	(void)state;
	/* Root's full set, and both alone: nothing to say. */
	assert_int_equal(attrib_privilege_text(0x1ffffffffffULL, 0, 0, &line,
	    &brief), 0);
	assert_null(line);
	assert_null(brief);
	assert_int_equal(attrib_privilege_text(ptrace | search, 1, 0, &line,
	    &brief), 0);
	/* Neither: both named, and the unit's line to add. */
	assert_int_equal(attrib_privilege_text(0, 0, 0, &line, &brief), 1);
	assert_non_null(strstr(line, "no CAP_SYS_PTRACE and "
	    "CAP_DAC_READ_SEARCH: streams of other users' programs get no "
	    "process"));
	assert_non_null(strstr(line, "AmbientCapabilities=CAP_SYS_PTRACE "
	    "CAP_DAC_READ_SEARCH"));
	assert_string_equal(brief, "no CAP_SYS_PTRACE: other users' programs "
	    "unnamed");
	free(line);
	free(brief);
	/* One missing: only that one; hidepid said where ptrace lacks. */
	assert_int_equal(attrib_privilege_text(search, 1, 0, &line, &brief),
	    1);
	assert_non_null(strstr(line, "no CAP_SYS_PTRACE and /proc is mounted "
	    "hidepid:"));
	assert_null(strstr(line, "CAP_DAC_READ_SEARCH"));
	free(line);
	free(brief);
	assert_int_equal(attrib_privilege_text(ptrace, 1, 0, &line, &brief),
	    1);
	assert_non_null(strstr(line, "no CAP_DAC_READ_SEARCH:"));
	assert_null(strstr(line, "hidepid"));
	assert_string_equal(brief, "no CAP_DAC_READ_SEARCH: other users' "
	    "programs unnamed");
	free(line);
	free(brief);
	/* With the connect tracker: short names, not nothing. */
	assert_int_equal(attrib_privilege_text(0, 0, 1, &line, &brief), 1);
	assert_non_null(strstr(line, "named by their short name"));
	assert_string_equal(brief, "no CAP_SYS_PTRACE: other users' programs "
	    "named by short name");
	free(line);
	free(brief);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_format),
		cmocka_unit_test(test_client_and_mirror),
		cmocka_unit_test(test_only_tor_side),
		cmocka_unit_test(test_nothing_found),
		cmocka_unit_test(test_no_tcp6),
		cmocka_unit_test(test_unreadable_proc),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_remote_host),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_bad_source_addr),
		cmocka_unit_test(test_default_label),
		cmocka_unit_test(test_is_loopback),
		cmocka_unit_test(test_lookup_proc),
		cmocka_unit_test(test_process_exe),
		cmocka_unit_test(test_time_wait_port_reused),
		cmocka_unit_test(test_lookup_live_socket),
		cmocka_unit_test(test_dns_candidates),
		cmocka_unit_test(test_dns_proc),
		cmocka_unit_test(test_dns_live_socket),
		cmocka_unit_test(test_privilege_text),
		cmocka_unit_test_teardown(test_lookup_latency_idle_processes,
		    kids_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
