/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_smuggle.c: the filter that holds back lines a SOCKS client may have
 * smuggled into Tor's events through a rejected name (smuggle.c,
 * docs/isolation.md section 5), in front of the reply parser.
 */
#define ISOAUDIT_PRIVATE
#include "testutil.h"

#include "buf.h"
#include "reply.h"
#include "smuggle.h"

/* What Tor appends to a rejected SOCKS5 name (0.4.9.11, group -4). */
#define TAIL	":443 REASON=SOCKS_PROTOCOL CLIENT_PROTOCOL=SOCKS5 " \
		"NYM_EPOCH=0 SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME," \
		"SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
#define CIRC25	"650 CIRC 25 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3" \
		"~exit0 PURPOSE=GENERAL"

struct found {
	unsigned	 n;
	unsigned	 unsure;
	uint64_t	 stream;
	unsigned	 lines;
	char		 tail[512];
};

static void
on_found(const struct smuggle_found *f, void *arg)
{
	struct found *x = arg;

	if (f->unsure) {
		x->unsure++;
		return;
	}
	x->n++;
	x->stream = f->stream;
	x->lines = f->lines;
	snprintf(x->tail, sizeof x->tail, "%.*s", (int)f->tail_len,
	    f->tail != NULL ? f->tail : "");
}

/* Feeds reads (NULL-ended) through a filter, as ctl does; replies in c. */
static void
run(const char *const *reads, struct tu_coll *c, struct found *x)
{
	struct reply_parser *rp = tu_parser(c);
	struct smuggle *sm;
	size_t i;

	memset(x, 0, sizeof *x);
	sm = smuggle_new(rp, on_found, x);
	for (i = 0; reads[i] != NULL; i++) {
		reply_parser_feed(rp, reads[i], strlen(reads[i]),
		    1000 + (int64_t)i);
		smuggle_end_read(sm);
		/* Nothing is held past the end of a read. */
		assert_false(smuggle_holding(sm));
	}
	smuggle_free(sm);
	reply_parser_free(rp);
}

/*
 * The attack the pipeline's own check cannot see: the first line has a
 * valid host:port and keywords like Tor's; a forged 250 and a forged
 * CIRC CLOSED follow; the last line is the client's "x" and Tor's tail.
 * All of it is dropped, the finding says so, the 250 answers nothing, and
 * a genuine event later in the same read and the next read go on.
 */
static void
test_valid_hostport(void **state)
{
	const char *reads[] = {
		CIRC25 "\r\n",
		"650 STREAM 93 CLOSED 0 x:80 REASON=DONE\r\n"
		"250 OK\r\n"
		"650 CIRC 25 CLOSED $0000000000000000000000000000000000000000"
		"~e\r\n"
		"x" TAIL "\r\n"
		"650 STREAM 49 NEW 0 127.0.0.1:20180 SOURCE_ADDR=127.0.0.1:1 "
		"PURPOSE=USER\r\n",
		"650 STREAM 50 NEW 0 127.0.0.1:20180 SOURCE_ADDR=127.0.0.1:2 "
		"PURPOSE=USER\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;
	size_t i;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.stream, 93);
	assert_int_equal(x.lines, 3);
	assert_string_equal(x.tail, TAIL);
	assert_int_equal(c.n, 3);
	for (i = 0; i < c.n; i++)
		assert_true(c.r[i].async);
	assert_string_equal(c.r[0].lines[0].text, CIRC25 + 4);
	assert_non_null(strstr(c.r[1].lines[0].text, "STREAM 49 NEW"));
	assert_non_null(strstr(c.r[2].lines[0].text, "STREAM 50 NEW"));
	assert_int_equal(c.nerr, 0);
	tu_coll_free(&c);
}

/* The last smuggled line looks like a reply ("250 OK" and Tor's tail):
 * it completes no command either. */
static void
test_smuggled_reply_end(void **state)
{
	const char *reads[] = {
		"650 STREAM 93 CLOSED 0 x:80\r\n"
		"250-circuit-status=25 BUILT $0000000000000000000000000000000000000000~e\r\n"
		"250 OK" TAIL "\r\n"
		"250 OK\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.lines, 2);
	/* Only Tor's own 250 OK, after the injection. */
	assert_int_equal(c.n, 1);
	assert_false(c.r[0].async);
	assert_int_equal(c.r[0].nlines, 1);
	assert_string_equal(c.r[0].lines[0].text, "OK");
	tu_coll_free(&c);
}

/* The first trick (a target without its port) and the DNSPort one. */
static void
test_cut_and_dns(void **state)
{
	const char *cut[] = {
		"650 STREAM 139 CLOSED 0 bad\r\n"
		"650 STREAM 999 NEW 0 injected.example:80 SOURCE_ADDR=6.6.6.6:1 "
		"PURPOSE=USER\r\n"
		"x" TAIL "\r\n",
		NULL
	};
	const char *dns[] = {
		"650 STREAM 140 NEWRESOLVE 0 a\r\n"
		"650 STREAM 999 NEW 0 injected.example:80.example:0 "
		"SOURCE_ADDR=127.0.0.1:44040 PURPOSE=DNS_REQUEST "
		"CLIENT_PROTOCOL=DNS NYM_EPOCH=0 SESSION_GROUP=-68 "
		"ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,"
		"SESSION_GROUP,NYM_EPOCH\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(cut, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.stream, 139);
	assert_int_equal(x.lines, 2);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.nerr, 0);
	tu_coll_free(&c);
	run(dns, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.stream, 140);
	assert_non_null(strstr(x.tail, "SESSION_GROUP=-68"));
	assert_int_equal(c.n, 0);
	tu_coll_free(&c);
}

/*
 * Rejected names without anything smuggled (Tor's real lines: a space in
 * the name; SOCKS4a's FAILED then CLOSED), with genuine events and a
 * command's reply after them in the same read: all go on, in order, and
 * nothing is reported.  A genuine CLOSED of another stream right after
 * (REASON=DONE) is no rejection's tail.
 */
static void
test_benign_rejections(void **state)
{
	const char *reads[] = {
		"650 STREAM 142 CLOSED 0 a b.example" TAIL "\r\n"
		"650 STREAM 50 CLOSED 25 1.2.3.4:80 REASON=DONE "
		"CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4 "
		"ISO_FIELDS=CLIENTADDR\r\n"
		"250 OK\r\n",
		"650 STREAM 144 FAILED 0 x y:80 REASON=SOCKS_PROTOCOL "
		"SOCKS_USERNAME=\"usr\" CLIENT_PROTOCOL=SOCKS4 NYM_EPOCH=0 "
		"SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME\r\n"
		CIRC25 "\r\n",
		"650 STREAM 145 CLOSED 0 z:80 REASON=MISC\r\n"
		"650 STREAM 146 NEW 0 q:1 SOURCE_ADDR=127.0.0.1:3 PURPOSE=USER\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 0);
	assert_int_equal(c.n, 7);
	assert_non_null(strstr(c.r[0].lines[0].text, "STREAM 142 CLOSED"));
	assert_non_null(strstr(c.r[1].lines[0].text, "STREAM 50 CLOSED"));
	assert_false(c.r[2].async);
	assert_non_null(strstr(c.r[3].lines[0].text, "STREAM 144 FAILED"));
	assert_non_null(strstr(c.r[4].lines[0].text, "CIRC 25 BUILT"));
	assert_non_null(strstr(c.r[6].lines[0].text, "STREAM 146 NEW"));
	tu_coll_free(&c);
}

/*
 * Hit-and-run clients while the monitor is behind (t_tracker part 3):
 * Tor closes a stream it reported NEW before attaching it ("CLOSED 0"),
 * and the next client's NEW follows in the same read, its ":PORT
 * SOURCE_ADDR=" within 255 bytes.  A CLOSED 0 of a stream already seen
 * is no rejection of a name (Tor rejects before any other event of its
 * stream): every line goes on, nothing reported.  It was taken for an
 * injection and the NEW dropped.
 */
#define ISO	" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4 " \
	"ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP," \
	"NYM_EPOCH\r\n"

static void
test_closed_before_attach(void **state)
{
	const char *reads[] = {
		"650 STREAM 892 NEW 0 127.0.0.1:24580 SOURCE_ADDR=127.0.0.1:57524"
		" PURPOSE=USER" ISO,
		"650 STREAM 892 CLOSED 0 127.0.0.1:24580 REASON=DONE" ISO
		"650 STREAM 893 NEW 0 127.0.0.1:24580 SOURCE_ADDR=127.0.0.1:57528"
		" PURPOSE=USER" ISO
		"650 STREAM 893 SENTCONNECT 26 127.0.0.1:24580" ISO
		"650 STREAM 893 CLOSED 26 127.0.0.1:24580 REASON=DONE" ISO,
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 0);
	assert_int_equal(x.unsure, 0);
	assert_int_equal(c.n, 5);
	assert_non_null(strstr(c.r[1].lines[0].text, "STREAM 892 CLOSED 0"));
	assert_non_null(strstr(c.r[2].lines[0].text, "STREAM 893 NEW"));
	tu_coll_free(&c);
}

/*
 * A burst of DNS queries: Tor's NEWRESOLVE lines, each whole and of a new
 * stream, in one read, within 255 bytes of each other: Tor's own, all go
 * on, nothing reported (t_dns saw them dropped as an injection).  The
 * same run holding a rejection of a stream already seen (a forged CLOSED
 * of a real stream, its line ending with the DNS query's own tail, all
 * of it within the name's 255 bytes) is an injection.
 */
#define NEWRES(id, name) "650 STREAM " #id " NEWRESOLVE 0 " name ":0 " \
	"SOURCE_ADDR=127.0.0.1:44040 PURPOSE=DNS_REQUEST CLIENT_PROTOCOL=DNS " \
	"NYM_EPOCH=0 SESSION_GROUP=-68 ISO_FIELDS=CLIENTADDR,SESSION_GROUP," \
	"NYM_EPOCH\r\n"

static void
test_dns_burst(void **state)
{
	const char *burst[] = {
		"650 STREAM 50 NEW 0 1.2.3.4:80 SOURCE_ADDR=127.0.0.1:2 "
		"PURPOSE=USER\r\n",
		NEWRES(51, "a.example") NEWRES(52, "b.example")
		NEWRES(53, "c.example"),
		NEWRES(54, "d.example") NEWRES(55, "e.example"),
		NULL
	};
	const char *forged[] = {
		"650 STREAM 50 NEW 0 1.2.3.4:80 SOURCE_ADDR=127.0.0.1:2 "
		"PURPOSE=USER\r\n",
		"650 STREAM 51 NEWRESOLVE 0 a.example:0 SOURCE_ADDR=1.1.1.1:1 "
		"PURPOSE=DNS_REQUEST CLIENT_PROTOCOL=DNS\r\n"
		"650 STREAM 50 CLOSED 0 y:0 SOURCE_ADDR=127.0.0.1:44040 "
		"PURPOSE=DNS_REQUEST CLIENT_PROTOCOL=DNS NYM_EPOCH=0 "
		"SESSION_GROUP=-68 ISO_FIELDS=CLIENTADDR\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(burst, &c, &x);
	assert_int_equal(x.n, 0);
	/* 52 and 53 follow 51 in one read, 55 follows 54: the filter cannot
	 * tell them from a client's, and says so. */
	assert_int_equal(x.unsure, 3);
	assert_int_equal(c.n, 6);
	assert_non_null(strstr(c.r[5].lines[0].text, "STREAM 55 NEWRESOLVE"));
	tu_coll_free(&c);
	run(forged, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.stream, 51);
	assert_int_equal(c.n, 1);
	tu_coll_free(&c);
}

/*
 * A DNS query, then the next client's NEW in the same read (a busy Tor,
 * a monitor behind): the NEW's ":PORT SOURCE_ADDR=... CLIENT_PROTOCOL="
 * lies within 255 bytes of the query's name, but a NEW is no rejection's
 * tail (PURPOSE=USER, not DNS_REQUEST): every line goes on, nothing
 * reported.  It was taken for an injection and the NEW dropped (the
 * bench's live run: 520 of them in a million events, and a CONTROL_INJECTION
 * each).  The same after a rejected SOCKS name.
 */
static void
test_dns_then_new(void **state)
{
	const char *reads[] = {
		NEWRES(108, "feeds0.example")
		"650 STREAM 109 NEW 0 www.site046.example:993 "
		"SOURCE_ADDR=127.0.0.1:40197 PURPOSE=USER" ISO,
		"650 STREAM 110 CLOSED 0 a b.example" TAIL "\r\n"
		"650 STREAM 111 NEW 0 q.example:443 SOURCE_ADDR=127.0.0.1:3 "
		"PURPOSE=USER" ISO,
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 0);
	assert_int_equal(x.unsure, 0);
	assert_int_equal(c.n, 4);
	assert_non_null(strstr(c.r[1].lines[0].text, "STREAM 109 NEW"));
	assert_non_null(strstr(c.r[3].lines[0].text, "STREAM 111 NEW"));
	tu_coll_free(&c);
}

/*
 * Tor writes a DNS name twice: in the query's NEWRESOLVE 0 and, raw
 * again, in the stream's CLOSED 0 (REASON=TORPROTOCOL), after the stream
 * was seen.  What the name smuggled into the CLOSED is dropped and
 * reported as well; a CLOSED 0 of another stream already seen opens no
 * window (test_closed_before_attach).
 */
static void
test_dns_closed_copy(void **state)
{
	const char *reads[] = {
		"650 STREAM 140 NEWRESOLVE 0 a\r\n"
		"250 ok:0 SOURCE_ADDR=127.0.0.1:44040 PURPOSE=DNS_REQUEST "
		"CLIENT_PROTOCOL=DNS NYM_EPOCH=0 SESSION_GROUP=-68 "
		"ISO_FIELDS=CLIENTADDR\r\n",
		"650 STREAM 140 CLOSED 0 a\r\n"
		"250 ok:0 REASON=TORPROTOCOL CLIENT_PROTOCOL=DNS NYM_EPOCH=0 "
		"SESSION_GROUP=-68 ISO_FIELDS=CLIENTADDR\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	/* Both copies found; the smuggled "250 ok" answers nothing. */
	assert_int_equal(x.n, 2);
	assert_int_equal(x.stream, 140);
	assert_int_equal(c.n, 0);
	tu_coll_free(&c);
}

/*
 * A whole rejection, then a cut one in the same read: the first goes on,
 * the second is a window of its own, closed with the read (fuzz_inject
 * found it left open, and the next read's first line taken as smuggled).
 */
static void
test_window_closes_with_read(void **state)
{
	const char *reads[] = {
		"650 STREAM 5 CLOSED 0 a:80 REASON=SOCKS_PROTOCOL "
		"CLIENT_PROTOCOL=SOCKS5\r\n"
		"650 STREAM 6 CLOSED 0 cut\r\n",
		CIRC25 "\r\n",
		NULL
	};
	struct tu_coll c;
	struct found x;

	(void)state;
	run(reads, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.stream, 6);
	assert_int_equal(c.n, 2);
	assert_non_null(strstr(c.r[0].lines[0].text, "STREAM 5 CLOSED"));
	assert_string_equal(c.r[1].lines[0].text, CIRC25 + 4);
	tu_coll_free(&c);
}

/* Tor's tail beyond the name's 255 bytes is not the client's: a line
 * starting there is genuine; so is a data block's line. */
static void
test_window_bounds(void **state)
{
	char name[300], line[1024];
	const char *reads[] = { line, NULL };
	struct tu_coll c;
	struct found x;

	(void)state;
	memset(name, 'a', 240);
	name[240] = '\0';
	snprintf(line, sizeof line, "650 STREAM 7 CLOSED 0 %s:80\r\n"
	    "650 STREAM 8 CLOSED 0 b" TAIL "\r\n", name);
	run(reads, &c, &x);
	assert_int_equal(x.n, 0);
	assert_int_equal(c.n, 2);
	tu_coll_free(&c);
	/* 225 bytes: the next line's "650 STREAM 8 CLOSED 0 b" fits. */
	name[225] = '\0';
	snprintf(line, sizeof line, "650 STREAM 7 CLOSED 0 %s:80\r\n"
	    "650 STREAM 8 CLOSED 0 b" TAIL "\r\n", name);
	run(reads, &c, &x);
	assert_int_equal(x.n, 1);
	assert_int_equal(c.n, 0);
	tu_coll_free(&c);
	snprintf(line, sizeof line, "250+stream-status=\r\n"
	    "650 STREAM 7 CLOSED 0 x:80\r\n" "x" TAIL "\r\n.\r\n250 OK\r\n");
	run(reads, &c, &x);
	assert_int_equal(x.n, 0);
	assert_int_equal(c.n, 1);
	assert_non_null(c.r[0].lines[0].data);
	tu_coll_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_hostport),
		cmocka_unit_test(test_smuggled_reply_end),
		cmocka_unit_test(test_cut_and_dns),
		cmocka_unit_test(test_benign_rejections),
		cmocka_unit_test(test_window_bounds),
		cmocka_unit_test(test_closed_before_attach),
		cmocka_unit_test(test_dns_burst),
		cmocka_unit_test(test_dns_then_new),
		cmocka_unit_test(test_dns_closed_copy),
		cmocka_unit_test(test_window_closes_with_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
