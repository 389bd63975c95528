/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_reply.c: the control-port framer (reply_parser_*) and the keyword
 * parser (reply_kv_*, reply_unquote).
 */
#include "testutil.h"

#include "buf.h"
#include "reply.h"

/* What each sample holds: replies to commands, events, data lines. */
static const struct {
	const char	*name;
	size_t		 lines;
	size_t		 sync;
	size_t		 async;
	size_t		 stream;
	size_t		 circ;
} expect[] = {
	{ "01_ports_A_then_B.txt", 33, 3, 30, 10, 20 },
	{ "02_same_port_A_twice.txt", 23, 3, 20, 20, 0 },
	{ "04_sessiongroup42_D_and_E.txt", 28, 3, 25, 15, 10 },
	{ "06_protocols_socks4_http_unix.txt", 43, 3, 40, 20, 20 },
	{ "09_getinfo_tcp.txt", 63, 13, 0, 0, 0 },
};

static void
assert_line(const struct reply *r, size_t i, int code, char sep,
    const char *text)
{
	assert_true(i < r->nlines);
	assert_int_equal(r->lines[i].code, code);
	assert_int_equal(r->lines[i].sep, sep);
	assert_string_equal(r->lines[i].text, text);
	assert_int_equal(r->lines[i].textlen, strlen(text));
}

static void
assert_ok_reply(const struct reply *r)
{
	assert_int_equal(r->code, 250);
	assert_int_equal(r->async, 0);
	assert_int_equal(r->truncated, 0);
	assert_int_equal(r->nlines, 1);
	assert_line(r, 0, 250, ' ', "OK");
	assert_null(r->lines[0].data);
}

/* --- whole samples ------------------------------------------------------- */

static void
test_samples_whole(void **state)
{
	size_t f, i;

	(void)state;
	assert_int_equal(TU_NELEM(expect), TU_NSAMPLES);
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll c;
		size_t len, nsync = 0, nasync = 0, nstream = 0, ncirc = 0;
		char *s = tu_read_sample(expect[f].name, &len);

		assert_string_equal(expect[f].name, tu_samples[f]);
		tu_parse_all(s, len, &c);
		assert_int_equal(c.nerr, 0);
		assert_int_equal(c.n, expect[f].sync + expect[f].async);
		for (i = 0; i < c.n; i++) {
			const struct reply *r = &c.r[i];

			assert_int_equal(r->truncated, 0);
			assert_true(r->nlines >= 1);
			assert_int_equal(r->lines[r->nlines - 1].sep, ' ');
			assert_int_equal(r->lines[r->nlines - 1].code,
			    r->code);
			if (r->async) {
				nasync++;
				assert_int_equal(r->code, 650);
				assert_int_equal(r->nlines, 1);
				if (strncmp(r->lines[0].text, "STREAM ", 7) == 0)
					nstream++;
				else if (strncmp(r->lines[0].text, "CIRC ",
				    5) == 0)
					ncirc++;
				/* No CR is left at the end of a line. */
				assert_null(strchr(r->lines[0].text, '\r'));
			} else {
				nsync++;
				assert_int_equal(r->code, 250);
			}
		}
		assert_int_equal(nsync, expect[f].sync);
		assert_int_equal(nasync, expect[f].async);
		assert_int_equal(nstream, expect[f].stream);
		assert_int_equal(ncirc, expect[f].circ);
		/* Authenticated, SETEVENTS or GETINFO, ..., QUIT. */
		assert_ok_reply(&c.r[0]);
		assert_line(&c.r[c.n - 1], 0, 250, ' ', "closing connection");
		if (expect[f].async > 0) {
			assert_ok_reply(&c.r[1]);
			for (i = 2; i < c.n - 1; i++)
				assert_int_equal(c.r[i].async, 1);
		}
		tu_coll_free(&c);
		free(s);
	}
}

static void
test_sample01_events(void **state)
{
	struct tu_coll c;
	size_t len;
	char *s = tu_read_sample("01_ports_A_then_B.txt", &len);

	(void)state;
	tu_parse_all(s, len, &c);
	assert_int_equal(c.n, 33);
	assert_line(&c.r[2], 0, 650, ' ', "STREAM 36 NEW 0 127.0.0.1:20180 "
	    "SOURCE_ADDR=127.0.0.1:41036 PURPOSE=USER CLIENT_PROTOCOL=SOCKS5 "
	    "NYM_EPOCH=0 SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME,"
	    "SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH");
	assert_line(&c.r[12], 0, 650, ' ', "CIRC 21 LAUNCHED "
	    "BUILD_FLAGS=NEED_CAPACITY,NEED_UPTIME PURPOSE=CONFLUX_UNLINKED "
	    "TIME_CREATED=2026-11-24T17:38:34.848494 "
	    "CONFLUX_ID=0BA7A51CD79AA76C67BF8C7AB2AA430A");
	tu_coll_free(&c);
	free(s);
}

static void
test_sample09_replies(void **state)
{
	struct tu_coll c;
	const struct reply *r;
	size_t len, i, nl;
	char *s = tu_read_sample("09_getinfo_tcp.txt", &len);

	(void)state;
	tu_parse_all(s, len, &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 13);

	r = &c.r[1];
	assert_int_equal(r->nlines, 2);
	assert_line(r, 0, 250, '-', "version=0.4.9.11");
	assert_line(r, 1, 250, ' ', "OK");
	assert_null(r->lines[0].data);

	r = &c.r[3];
	assert_line(r, 0, 250, '-', "net/listeners/socks=\"127.0.0.1:20101\" "
	    "\"127.0.0.1:20102\" \"127.0.0.1:20103\" \"127.0.0.1:20104\" "
	    "\"127.0.0.1:20105\" \"unix:/tmp/tornet/client/socks.sock\"");

	r = &c.r[7];
	assert_int_equal(r->nlines, 6);
	assert_line(r, 0, 250, '-', "SocksPort=127.0.0.1:20101");
	assert_line(r, 3, 250, '-',
	    "SocksPort=127.0.0.1:20104 NoIsolateSOCKSAuth SessionGroup=42");
	assert_line(r, 5, 250, ' ',
	    "SocksPort=unix:/tmp/tornet/client/socks.sock");
	assert_line(&c.r[8], 0, 250, ' ', "HTTPTunnelPort=127.0.0.1:20106");

	r = &c.r[9];
	assert_int_equal(r->nlines, 2);
	assert_line(r, 0, 250, '+', "stream-status=");
	assert_string_equal(r->lines[0].data,
	    "68 SUCCEEDED 35 127.0.0.1:20182\n69 SUCCEEDED 31 127.0.0.1:20182");
	assert_int_equal(r->lines[0].datalen, 63);
	assert_line(r, 1, 250, ' ', "OK");
	assert_null(r->lines[1].data);

	r = &c.r[10];
	assert_line(r, 0, 250, '+', "circuit-status=");
	assert_int_equal(r->lines[0].datalen, 8353);
	assert_int_equal(strlen(r->lines[0].data), 8353);
	for (nl = 0, i = 0; i < r->lines[0].datalen; i++)
		nl += r->lines[0].data[i] == '\n';
	assert_int_equal(nl, 27);	/* 28 lines */
	assert_memory_equal(r->lines[0].data, "1 BUILT $9D86056D7D82BC9FA152572D"
	    "0461489B33704895~auth2 BUILD_FLAGS=", 68);
	assert_null(strchr(r->lines[0].data, '\r'));

	r = &c.r[11];
	assert_line(r, 0, 250, '+',
	    "ns/id/085111030DA53A4D7B7C635A7B82B21F30E847C3=");
	assert_string_equal(r->lines[0].data, "r exit0 CFERAw2lOk17fGNae4KyHzDoR8M "
	    "1p20NHDYldlQNTujChJgc+OIKeA 2038-01-01 00:00:00 127.0.0.1 20006 "
	    "0\ns Exit Fast Guard HSDir Running Stable V2Dir Valid\n"
	    "w Bandwidth=6");
	assert_line(r, 1, 250, ' ', "OK");
	tu_coll_free(&c);
	free(s);
}

/* --- chunking ------------------------------------------------------------ */

static void
test_samples_split_everywhere(void **state)
{
	size_t f, pos;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll ref, c;
		size_t len;
		char *s = tu_read_sample(tu_samples[f], &len);

		tu_parse_all(s, len, &ref);
		assert_int_equal(ref.n, expect[f].sync + expect[f].async);
		for (pos = 0; pos <= len; pos++) {
			struct reply_parser *p = tu_parser(&c);

			reply_parser_feed(p, s, pos, 0);
			reply_parser_feed(p, s + pos, len - pos, 0);
			reply_parser_free(p);
			tu_coll_assert_equal(&ref, &c);
			tu_coll_free(&c);
		}
		tu_coll_free(&ref);
		free(s);
	}
}

static void
test_samples_bytewise(void **state)
{
	size_t f, i;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll ref, c;
		struct reply_parser *p;
		size_t len;
		char *s = tu_read_sample(tu_samples[f], &len);

		tu_parse_all(s, len, &ref);
		p = tu_parser(&c);
		for (i = 0; i < len; i++)
			reply_parser_feed(p, s + i, 1, 0);
		reply_parser_free(p);
		tu_coll_assert_equal(&ref, &c);
		tu_coll_free(&c);

		/* Odd chunk sizes that straddle CR and LF. */
		p = tu_parser(&c);
		for (i = 0; i < len; i += 7)
			reply_parser_feed(p, s + i, len - i < 7 ? len - i : 7,
			    0);
		reply_parser_free(p);
		tu_coll_assert_equal(&ref, &c);
		tu_coll_free(&c);
		tu_coll_free(&ref);
		free(s);
	}
}

/* reply_parser_line with lines cut from the file gives the same replies. */
static void
test_samples_linewise(void **state)
{
	size_t f;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll ref, c;
		struct reply_parser *p;
		size_t len, nlines = 0;
		char *s = tu_read_sample(tu_samples[f], &len), *q = s, *nl;

		tu_parse_all(s, len, &ref);
		p = tu_parser(&c);
		while ((nl = memchr(q, '\n', len - (size_t)(q - s))) != NULL) {
			/* With and without the CR: both are accepted. */
			reply_parser_line(p, q, (size_t)(nl - q) -
			    (nlines % 2), 0);
			nlines++;
			q = nl + 1;
		}
		assert_ptr_equal(q, s + len);
		assert_int_equal(nlines, expect[f].lines);
		reply_parser_free(p);
		tu_coll_assert_equal(&ref, &c);
		tu_coll_free(&c);
		tu_coll_free(&ref);
		free(s);
	}
}

static void
test_lf_only(void **state)
{
	size_t f;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll ref, c;
		size_t len, i, n = 0;
		char *s = tu_read_sample(tu_samples[f], &len);
		char *lf = malloc(len + 1);

		assert_non_null(lf);
		for (i = 0; i < len; i++)
			if (s[i] != '\r')
				lf[n++] = s[i];
		assert_int_equal(len - n, expect[f].lines);
		tu_parse_all(s, len, &ref);
		tu_parse_all(lf, n, &c);
		tu_coll_assert_equal(&ref, &c);
		tu_coll_free(&c);
		tu_coll_free(&ref);
		free(lf);
		free(s);
	}
}

/* --- interleaving and multi-line ---------------------------------------- */

static void
test_event_inside_reply(void **state)
{
	static const char in[] =
	    "250-version=0.4.9.11\r\n"
	    "250-process/pid=4242\r\n"
	    "650 STREAM 5 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:5000\r\n"
	    "650-CONF_CHANGED\r\n"
	    "650-SocksPort=9050\r\n"
	    "650 OK\r\n"
	    "250-circuit-status=\r\n"
	    "250 OK\r\n";
	struct tu_coll c;
	struct reply_parser *p = tu_parser(&c);
	size_t i;

	(void)state;
	/* Line by line, with the time of each line. */
	for (i = 0; i < sizeof in - 1;) {
		const char *nl = strchr(in + i, '\n');

		reply_parser_feed(p, in + i, (size_t)(nl - in) + 1 - i,
		    (int64_t)(1000 + i));
		i = (size_t)(nl - in) + 1;
	}
	reply_parser_free(p);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.r[0].async, 1);
	assert_int_equal(c.r[0].code, 650);
	assert_int_equal(c.r[0].nlines, 1);
	assert_line(&c.r[0], 0, 650, ' ',
	    "STREAM 5 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:5000");
	assert_int_equal(c.r[0].ts_us, 1000 + 44);

	assert_int_equal(c.r[1].async, 1);
	assert_int_equal(c.r[1].nlines, 3);
	assert_line(&c.r[1], 0, 650, '-', "CONF_CHANGED");
	assert_line(&c.r[1], 1, 650, '-', "SocksPort=9050");
	assert_line(&c.r[1], 2, 650, ' ', "OK");

	assert_int_equal(c.r[2].async, 0);
	assert_int_equal(c.r[2].code, 250);
	assert_int_equal(c.r[2].truncated, 0);
	assert_int_equal(c.r[2].nlines, 4);
	assert_line(&c.r[2], 0, 250, '-', "version=0.4.9.11");
	assert_line(&c.r[2], 1, 250, '-', "process/pid=4242");
	assert_line(&c.r[2], 2, 250, '-', "circuit-status=");
	assert_line(&c.r[2], 3, 250, ' ', "OK");
	/* The time of a reply is the time of its final line. */
	assert_int_equal(c.r[2].ts_us, 1000 + sizeof in - 1 - 8);
	tu_coll_free(&c);
}

static void
test_event_after_data_block(void **state)
{
	struct tu_coll c;

	(void)state;
	tu_parse_str("250+stream-status=\r\n1 SUCCEEDED 3 a:1\r\n.\r\n"
	    "650 SIGNAL NEWNYM\r\n250 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 2);
	assert_line(&c.r[0], 0, 650, ' ', "SIGNAL NEWNYM");
	assert_int_equal(c.r[1].nlines, 2);
	assert_line(&c.r[1], 0, 250, '+', "stream-status=");
	assert_string_equal(c.r[1].lines[0].data, "1 SUCCEEDED 3 a:1");
	assert_line(&c.r[1], 1, 250, ' ', "OK");
	tu_coll_free(&c);
}

static void
test_async_data_block(void **state)
{
	struct tu_coll c;

	(void)state;
	tu_parse_str("650+NS\r\nr a b\r\n..dot\r\n.\r\n650 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].async, 1);
	assert_int_equal(c.r[0].nlines, 2);
	assert_line(&c.r[0], 0, 650, '+', "NS");
	assert_string_equal(c.r[0].lines[0].data, "r a b\n.dot");
	assert_line(&c.r[0], 1, 650, ' ', "OK");
	tu_coll_free(&c);
}

/* --- data blocks --------------------------------------------------------- */

static void
test_data_block_dot_stuffing(void **state)
{
	struct tu_coll c;
	const struct reply_line *l;

	(void)state;
	tu_parse_str("250+config-text=\r\n"
	    "..hidden\r\n"
	    "a..b\r\n"
	    "...\r\n"
	    "..\r\n"
	    "x\r\n"
	    ".\r\n"
	    "250 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].nlines, 2);
	l = &c.r[0].lines[0];
	assert_int_equal(l->sep, '+');
	assert_string_equal(l->text, "config-text=");
	assert_string_equal(l->data, ".hidden\na..b\n..\n.\nx");
	assert_int_equal(l->datalen, 19);
	assert_line(&c.r[0], 1, 250, ' ', "OK");
	tu_coll_free(&c);
}

static void
test_data_block_empty(void **state)
{
	struct tu_coll c;

	(void)state;
	tu_parse_str("250+x=\r\n.\r\n250 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].nlines, 2);
	assert_line(&c.r[0], 0, 250, '+', "x=");
	assert_non_null(c.r[0].lines[0].data);
	assert_int_equal(c.r[0].lines[0].datalen, 0);
	assert_string_equal(c.r[0].lines[0].data, "");
	tu_coll_free(&c);
}

static void
test_data_block_empty_lines(void **state)
{
	struct tu_coll c;

	(void)state;
	/* Empty data lines are data, wherever they are. */
	tu_parse_str("250+a=\r\n\r\nfirst-was-empty\r\n.\r\n"
	    "250+b=\r\nx\r\n\r\n\r\ny\r\n\r\n.\r\n"
	    "250+c=\r\n\r\n\r\n.\r\n"
	    "250 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].nlines, 4);
	assert_string_equal(c.r[0].lines[0].data, "\nfirst-was-empty");
	assert_int_equal(c.r[0].lines[0].datalen, 16);
	assert_string_equal(c.r[0].lines[1].data, "x\n\n\ny\n");
	assert_int_equal(c.r[0].lines[1].datalen, 6);
	assert_string_equal(c.r[0].lines[2].data, "\n");
	assert_int_equal(c.r[0].lines[2].datalen, 1);
	tu_coll_free(&c);
}

/* Lines that look like replies inside a data block are data. */
static void
test_data_block_holds_reply_lines(void **state)
{
	struct tu_coll c;

	(void)state;
	tu_parse_str("250+x=\r\n250 OK\r\n650 STREAM 1 NEW 0 a:1\r\n.\r\n"
	    "250 OK\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.r[0].lines[0].data,
	    "250 OK\n650 STREAM 1 NEW 0 a:1");
	tu_coll_free(&c);
}

/* --- malformed input ----------------------------------------------------- */

static void
test_garbage_lines(void **state)
{
	static const char *const bad[] = { "", "abc", "25", "2500x", "x250 OK",
	    "2a0 OK", "250x" };
	struct tu_coll c;
	size_t i;

	(void)state;
	tu_parse_str("\r\nabc\r\n25\r\n2500x\r\nx250 OK\r\n2a0 OK\r\n250x\r\n"
	    "250 OK\r\n", &c);
	assert_int_equal(c.nerr, TU_NELEM(bad));
	for (i = 0; i < TU_NELEM(bad); i++) {
		assert_string_equal(c.e[i].what, "malformed line");
		assert_int_equal(c.e[i].n, strlen(bad[i]));
		assert_string_equal(c.e[i].bytes, bad[i]);
	}
	assert_int_equal(c.n, 1);
	assert_ok_reply(&c.r[0]);
	tu_coll_free(&c);

	/* Inside a reply: the line is skipped, the reply goes on. */
	tu_parse_str("250-a=1\r\nnot a line\r\n250-b=2\r\n250 OK\r\n"
	    "650 SIGNAL RELOAD\r\n", &c);
	assert_int_equal(c.nerr, 1);
	assert_string_equal(c.e[0].bytes, "not a line");
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].nlines, 3);
	assert_line(&c.r[0], 0, 250, '-', "a=1");
	assert_line(&c.r[0], 1, 250, '-', "b=2");
	assert_line(&c.r[0], 2, 250, ' ', "OK");
	assert_int_equal(c.r[0].truncated, 0);
	assert_line(&c.r[1], 0, 650, ' ', "SIGNAL RELOAD");
	tu_coll_free(&c);
}

/* A bare code with no text is a final line with empty text. */
static void
test_bare_code(void **state)
{
	struct tu_coll c;

	(void)state;
	tu_parse_str("250\r\n", &c);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].code, 250);
	assert_line(&c.r[0], 0, 250, ' ', "");
	tu_coll_free(&c);
}

static void
test_nul_in_line(void **state)
{
	static const char in[] = "650 STREAM 4 NEW 0 a:1\0SOURCE_ADDR=x\r\n"
	    "650 SIGNAL NEWNYM\r\n"
	    "250-a\0b\r\n250-c\0d\r\n250 OK\r\n"
	    "250+d=\r\nok\r\nbad\0line\r\nok2\r\n.\r\n250 OK\r\n"
	    "250 OK\r\n";
	struct tu_coll c;

	(void)state;
	tu_parse_all(in, sizeof in - 1, &c);
	assert_int_equal(c.n, 5);
	/* Reported once per reply, with the raw bytes of the line. */
	assert_int_equal(c.nerr, 3);
	assert_string_equal(c.e[0].what, "NUL byte in line");
	assert_int_equal(c.e[0].n, 36);
	assert_memory_equal(c.e[0].bytes,
	    "650 STREAM 4 NEW 0 a:1\0SOURCE_ADDR=x", 36);
	assert_string_equal(c.e[1].what, "NUL byte in line");
	assert_memory_equal(c.e[1].bytes, "250-a\0b", 7);
	assert_string_equal(c.e[2].what, "NUL byte in data block");

	assert_int_equal(c.r[0].truncated, 1);
	assert_int_equal(c.r[0].async, 1);
	assert_line(&c.r[0], 0, 650, ' ', "STREAM 4 NEW 0 a:1");
	assert_int_equal(c.r[1].truncated, 0);
	assert_line(&c.r[1], 0, 650, ' ', "SIGNAL NEWNYM");
	assert_int_equal(c.r[2].truncated, 1);
	assert_int_equal(c.r[2].nlines, 3);
	assert_line(&c.r[2], 0, 250, '-', "a");
	assert_line(&c.r[2], 1, 250, '-', "c");
	assert_int_equal(c.r[3].truncated, 1);
	assert_string_equal(c.r[3].lines[0].data, "ok\nok2");
	assert_ok_reply(&c.r[4]);
	tu_coll_free(&c);
}

/* A line of len bytes (code and text, without CRLF). */
static char *
long_line(const char *head, size_t len)
{
	char *s = malloc(len + 1);
	size_t h = strlen(head);

	assert_non_null(s);
	memcpy(s, head, h);
	memset(s + h, 'x', len - h);
	s[len] = '\0';
	return s;
}

static void
test_overlong_line(void **state)
{
	size_t chunks[] = { 0, 1, 4096, 1000003 }, k;

	(void)state;
	for (k = 0; k < TU_NELEM(chunks); k++) {
		struct tu_coll c;
		char *big = long_line("650 STREAM 1 NEW 0 a:",
		    REPLY_MAX_LINE + 100);
		struct buf in;

		buf_init(&in);
		buf_adds(&in, "650 SIGNAL NEWNYM\r\n");
		buf_adds(&in, big);
		buf_adds(&in, "\r\n250 OK\r\n650 SIGNAL RELOAD\r\n");
		tu_parse_chunked(in.p, in.len, chunks[k] ? chunks[k] : in.len,
		    &c);
		assert_int_equal(c.nerr, 1);
		assert_string_equal(c.e[0].what, "line too long, truncated");
		assert_int_equal(c.n, 4);
		assert_line(&c.r[0], 0, 650, ' ', "SIGNAL NEWNYM");
		assert_int_equal(c.r[1].truncated, 1);
		assert_int_equal(c.r[1].nlines, 1);
		assert_int_equal(c.r[1].lines[0].textlen, REPLY_MAX_LINE - 4);
		assert_memory_equal(c.r[1].lines[0].text, big + 4,
		    REPLY_MAX_LINE - 4);
		assert_ok_reply(&c.r[2]);
		assert_line(&c.r[3], 0, 650, ' ', "SIGNAL RELOAD");
		assert_int_equal(c.r[3].truncated, 0);
		tu_coll_free(&c);
		buf_free(&in);
		free(big);
	}
}

static void
test_line_limit_boundary(void **state)
{
	struct tu_coll c;
	struct buf in;
	char *at = long_line("250 ", REPLY_MAX_LINE);
	char *over = long_line("250 ", REPLY_MAX_LINE + 1);
	size_t step;

	(void)state;
	buf_init(&in);
	buf_adds(&in, at);
	buf_adds(&in, "\r\n");
	buf_adds(&in, at);
	buf_adds(&in, "\n");		/* LF only */
	buf_adds(&in, over);
	buf_adds(&in, "\r\n");
	for (step = 1; step <= in.len; step *= 4096) {
		tu_parse_chunked(in.p, in.len, step == 1 ? in.len : step, &c);
		assert_int_equal(c.n, 3);
		assert_int_equal(c.nerr, 1);
		assert_int_equal(c.r[0].truncated, 0);
		assert_int_equal(c.r[0].lines[0].textlen, REPLY_MAX_LINE - 4);
		assert_int_equal(c.r[1].truncated, 0);
		assert_int_equal(c.r[1].lines[0].textlen, REPLY_MAX_LINE - 4);
		assert_int_equal(c.r[2].truncated, 1);
		assert_int_equal(c.r[2].lines[0].textlen, REPLY_MAX_LINE - 4);
		tu_coll_free(&c);
	}
	buf_free(&in);
	free(at);
	free(over);
}

static void
test_overlong_garbage_and_data(void **state)
{
	struct tu_coll c;
	struct buf in;
	char *junk = long_line("junk", REPLY_MAX_LINE * 2);
	char *data = long_line("d", REPLY_MAX_LINE + 5);

	(void)state;
	buf_init(&in);
	buf_adds(&in, junk);
	buf_adds(&in, "\r\n250+x=\r\nshort\r\n");
	buf_adds(&in, data);
	buf_adds(&in, "\r\nafter\r\n.\r\n250 OK\r\n250 OK\r\n");
	tu_parse_all(in.p, in.len, &c);
	assert_int_equal(c.nerr, 2);
	assert_string_equal(c.e[0].what, "line too long and malformed");
	assert_string_equal(c.e[1].what, "line too long in data block");
	assert_int_equal(c.n, 2);
	assert_int_equal(c.r[0].truncated, 1);
	assert_string_equal(c.r[0].lines[0].data, "short\nafter");
	assert_ok_reply(&c.r[1]);
	tu_coll_free(&c);
	buf_free(&in);
	free(junk);
	free(data);
}

/* What a reply over the limits looks like, without copying it. */
struct summary {
	size_t	 n;
	int	 code[4];
	int	 truncated[4];
	size_t	 nlines[4];
	size_t	 datalen[4];
	size_t	 nerr;
	char	 err[4][64];
};

static void
summary_reply(const struct reply *r, void *arg)
{
	struct summary *s = arg;

	assert_true(s->n < 4);
	s->code[s->n] = r->code;
	s->truncated[s->n] = r->truncated;
	s->nlines[s->n] = r->nlines;
	s->datalen[s->n] = r->nlines > 0 && r->lines[0].data != NULL ?
	    r->lines[0].datalen : 0;
	s->n++;
}

static void
summary_err(const char *what, const char *bytes, size_t n, void *arg)
{
	struct summary *s = arg;

	(void)bytes;
	(void)n;
	assert_true(s->nerr < 4);
	snprintf(s->err[s->nerr++], sizeof s->err[0], "%s", what);
}

static void
test_reply_limits(void **state)
{
	struct summary sum;
	struct reply_parser *p;
	struct buf in;
	char *big = long_line("250-", REPLY_MAX_LINE);
	size_t i;

	(void)state;
	/* Too many lines: the reply ends as usual, marked truncated. */
	memset(&sum, 0, sizeof sum);
	p = reply_parser_new(summary_reply, summary_err, &sum);
	buf_init(&in);
	for (i = 0; i < 1000; i++)
		buf_adds(&in, "250-x\r\n");
	for (i = 0; i < REPLY_MAX_LINES + 10; i += 1000)
		reply_parser_feed(p, in.p, in.len, 0);
	reply_parser_feed(p, "250 OK\r\n250 OK\r\n", 16, 0);
	assert_int_equal(sum.n, 2);
	assert_int_equal(sum.nerr, 1);
	assert_string_equal(sum.err[0], "reply too large, truncated");
	assert_int_equal(sum.code[0], 250);
	assert_int_equal(sum.truncated[0], 1);
	assert_int_equal(sum.nlines[0], REPLY_MAX_LINES);
	assert_int_equal(sum.truncated[1], 0);
	assert_int_equal(sum.nlines[1], 1);

	/* Too many bytes, in lines and in a data block. */
	memset(&sum, 0, sizeof sum);
	for (i = 0; i < REPLY_MAX_SIZE / REPLY_MAX_LINE + 2; i++) {
		reply_parser_feed(p, big, REPLY_MAX_LINE, 0);
		reply_parser_feed(p, "\r\n", 2, 0);
	}
	reply_parser_feed(p, "250 OK\r\n250+d=\r\n", 16, 0);
	for (i = 0; i < REPLY_MAX_SIZE / REPLY_MAX_LINE + 2; i++) {
		reply_parser_feed(p, big + 4, REPLY_MAX_LINE - 4, 0);
		reply_parser_feed(p, "\r\n", 2, 0);
	}
	reply_parser_feed(p, ".\r\n250 OK\r\n250 OK\r\n", 19, 0);
	reply_parser_free(p);
	assert_int_equal(sum.n, 3);
	assert_int_equal(sum.nerr, 2);
	assert_string_equal(sum.err[0], "reply too large, truncated");
	assert_string_equal(sum.err[1], "reply too large, truncated");
	assert_int_equal(sum.truncated[0], 1);
	/* As many long lines as fit, and the short final line. */
	assert_int_equal(sum.nlines[0],
	    REPLY_MAX_SIZE / (REPLY_MAX_LINE - 4) + 1);
	assert_int_equal(sum.truncated[1], 1);
	assert_int_equal(sum.nlines[1], 2);
	assert_true(sum.datalen[1] <= REPLY_MAX_SIZE);
	assert_true(sum.datalen[1] > REPLY_MAX_SIZE - REPLY_MAX_LINE);
	assert_int_equal(sum.truncated[2], 0);
	buf_free(&in);
	free(big);
}

/* A partial line and a partial reply are forgotten on reset. */
static void
test_reset(void **state)
{
	static const char in[] = "250-a=1\r\n650-CONF_CHANGED\r\n250+d=\r\n"
	    "xx\r\n250 O";
	struct tu_coll c;
	struct reply_parser *p = tu_parser(&c);

	(void)state;
	reply_parser_feed(p, in, sizeof in - 1, 0);
	reply_parser_reset(p);
	reply_parser_feed(p, "250 OK\r\n", 8, 0);
	reply_parser_free(p);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 1);
	assert_ok_reply(&c.r[0]);
	tu_coll_free(&c);
}

/* No callbacks at all: nothing breaks. */
static void
test_no_callbacks(void **state)
{
	static const char in[] = "junk\r\n250 OK\r\n250-a\0b\r\n250 OK\r\n";
	struct reply_parser *p = reply_parser_new(NULL, NULL, NULL);

	(void)state;
	reply_parser_feed(p, in, sizeof in - 1, 0);
	reply_parser_free(p);
	reply_parser_free(NULL);
}

static void
test_line_hook(void **state)
{
	static const char in[] = "250-a=1\r\njunk\n250+d=\r\n..x\r\n.\r\n"
	    "250 OK\r\n\r\n650 SIGNAL NEWNYM";
	static const char *const want[] = { "250-a=1", "junk", "250+d=",
	    "..x", ".", "250 OK", "", "650 SIGNAL NEWNYM" };
	struct tu_coll c;
	struct reply_parser *p = tu_parser(&c);
	size_t i;

	(void)state;
	reply_parser_set_line_hook(p, tu_coll_hook);
	reply_parser_feed(p, in, 20, 7);
	reply_parser_feed(p, in + 20, sizeof in - 1 - 20, 9);
	/* The last line is not complete yet. */
	assert_int_equal(c.nhook, 7);
	reply_parser_feed(p, "\r\n", 2, 11);
	reply_parser_line(p, "250 OK\r", 7, 13);
	reply_parser_free(p);
	assert_int_equal(c.nhook, 9);
	for (i = 0; i < TU_NELEM(want); i++) {
		assert_int_equal(c.h[i].n, strlen(want[i]));
		assert_string_equal(c.h[i].s, want[i]);
	}
	assert_int_equal(c.h[0].ts, 7);
	assert_int_equal(c.h[1].ts, 7);
	assert_int_equal(c.h[2].ts, 9);
	assert_int_equal(c.h[7].ts, 11);
	assert_string_equal(c.h[8].s, "250 OK");
	assert_int_equal(c.h[8].ts, 13);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.nerr, 2);	/* junk and the empty line */
	tu_coll_free(&c);
}

static void
test_line_hook_samples(void **state)
{
	size_t f;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll c;
		struct reply_parser *p = tu_parser(&c);
		size_t len, i, off = 0;
		char *s = tu_read_sample(tu_samples[f], &len);

		reply_parser_set_line_hook(p, tu_coll_hook);
		reply_parser_feed(p, s, len, 0);
		reply_parser_free(p);
		assert_int_equal(c.nhook, expect[f].lines);
		for (i = 0; i < c.nhook; i++) {
			assert_memory_equal(s + off, c.h[i].s, c.h[i].n);
			off += c.h[i].n;
			assert_memory_equal(s + off, "\r\n", 2);
			off += 2;
		}
		assert_int_equal(off, len);
		tu_coll_free(&c);
		free(s);
	}
}

/* --- reply_unquote ------------------------------------------------------- */

static int
unquote(const char *s, size_t len, char *out, size_t *outlen, size_t *used)
{
	*outlen = (size_t)-1;
	*used = (size_t)-1;
	return reply_unquote(s, len, out, outlen, used);
}

static void
test_unquote_escapes(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
		size_t		 outlen;
	} ok[] = {
		{ "\"\"", "", 0 },
		{ "\"plain\"", "plain", 5 },
		{ "\"a\\\\b\"", "a\\b", 3 },
		{ "\"a\\\"b\"", "a\"b", 3 },
		{ "\"a\\'b\"", "a'b", 3 },
		{ "\"\\n\\t\\r\"", "\n\t\r", 3 },
		{ "\"\\101\\102C\"", "ABC", 3 },
		{ "\"\\000\"", "\0", 1 },
		{ "\"a\\000b\"", "a\0b", 3 },
		{ "\"\\0\"", "\0", 1 },
		{ "\"\\1x\"", "\001x", 2 },
		{ "\"\\12\"", "\n", 1 },
		{ "\"\\1234\"", "S4", 2 },
		{ "\"\\377\"", "\377", 1 },
		{ "\"\\x41\\x4a\\x4A\\xff\\x00z\"", "AJJ\377\0z", 6 },
		{ "\"it's\"", "it's", 4 },
		{ "\"sp ace\"", "sp ace", 6 },
	};
	static const char *const bad[] = {
		"", "x", "abc\"", "\"abc", "\"abc\\\"", "\"abc\\", "\"\\q\"",
		"\"\\400\"", "\"\\777\"", "\"\\x4\"", "\"\\xg1\"", "\"\\x\"",
		"\"\\8\"",
	};
	char out[64];
	size_t i, olen, used;

	(void)state;
	for (i = 0; i < TU_NELEM(ok); i++) {
		size_t len = strlen(ok[i].in);

		assert_int_equal(unquote(ok[i].in, len, out, &olen, &used), 0);
		assert_int_equal(olen, ok[i].outlen);
		assert_memory_equal(out, ok[i].out, olen);
		assert_int_equal(used, len);
	}
	for (i = 0; i < TU_NELEM(bad); i++)
		assert_int_equal(unquote(bad[i], strlen(bad[i]), out, &olen,
		    &used), -1);
	/* Only the quoted string is used; the length limits the scan. */
	assert_int_equal(unquote("\"ab\" rest\"", 10, out, &olen, &used), 0);
	assert_int_equal(used, 4);
	assert_int_equal(olen, 2);
	assert_int_equal(unquote("\"ab\"", 3, out, &olen, &used), -1);
	/* In place, as reply_kv_parse does it. */
	{
		char s[] = "\"x\\101\\\\y\"";

		assert_int_equal(unquote(s, strlen(s), s, &olen, &used), 0);
		assert_int_equal(olen, 4);
		assert_memory_equal(s, "xA\\y", 4);
	}
}

/* --- reply_kv_parse ------------------------------------------------------ */

static void
assert_kv(const struct kv *kv, const char *key, const char *val, size_t vlen,
    int quoted)
{
	if (key == NULL)
		assert_null(kv->key);
	else {
		assert_non_null(kv->key);
		assert_string_equal(kv->key, key);
	}
	assert_int_equal(kv->vlen, vlen);
	assert_memory_equal(kv->val, val, vlen);
	assert_int_equal(kv->val[vlen], '\0');
	assert_int_equal(kv->quoted, quoted);
}

static void
test_kv_parse(void **state)
{
	static const char in[] = "STREAM  36 NEW 0 127.0.0.1:20180 "
	    "SOURCE_ADDR=127.0.0.1:41036 SOCKS_USERNAME=\"al ice\\\"\" "
	    "EMPTY= Q=\"a\\000b\\x41\" \"pos quoted\" lower_key=v "
	    "net/listeners/socks=\"x\" 1=notakey $FP=nick a\"b c ";
	struct kvlist l;
	char *cause = NULL;

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(reply_kv_parse(in, sizeof in - 1, &l, &cause), 0);
	assert_null(cause);
	assert_int_equal(l.n, 16);
	assert_kv(&l.v[0], NULL, "STREAM", 6, 0);
	assert_kv(&l.v[1], NULL, "36", 2, 0);
	assert_kv(&l.v[2], NULL, "NEW", 3, 0);
	assert_kv(&l.v[3], NULL, "0", 1, 0);
	assert_kv(&l.v[4], NULL, "127.0.0.1:20180", 15, 0);
	assert_kv(&l.v[5], "SOURCE_ADDR", "127.0.0.1:41036", 15, 0);
	assert_kv(&l.v[6], "SOCKS_USERNAME", "al ice\"", 7, 1);
	assert_kv(&l.v[7], "EMPTY", "", 0, 0);
	assert_kv(&l.v[8], "Q", "a\0bA", 4, 1);
	assert_kv(&l.v[9], NULL, "pos quoted", 10, 1);
	assert_kv(&l.v[10], "lower_key", "v", 1, 0);
	assert_kv(&l.v[11], "net/listeners/socks", "x", 1, 1);
	assert_kv(&l.v[12], NULL, "1=notakey", 9, 0);
	assert_kv(&l.v[13], NULL, "$FP=nick", 8, 0);
	assert_kv(&l.v[14], NULL, "a\"b", 3, 0);
	assert_kv(&l.v[15], NULL, "c", 1, 0);

	/* Lookups by key; the last one wins. */
	assert_ptr_equal(reply_kv_get(&l, "Q"), &l.v[8]);
	assert_null(reply_kv_get(&l, "q"));
	assert_null(reply_kv_get(&l, "STREAM"));
	assert_null(reply_kv_get(&l, "MISSING"));

	/* The same list again: storage is reused, nothing leaks. */
	assert_int_equal(reply_kv_parse("A=1 B=2 A=3", 11, &l, &cause), 0);
	assert_int_equal(l.n, 3);
	assert_ptr_equal(reply_kv_get(&l, "A"), &l.v[2]);
	assert_string_equal(reply_kv_get(&l, "A")->val, "3");
	assert_string_equal(reply_kv_get(&l, "B")->val, "2");

	assert_int_equal(reply_kv_parse("", 0, &l, &cause), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(reply_kv_parse("   ", 3, &l, &cause), 0);
	assert_int_equal(l.n, 0);
	reply_kv_free(&l);
	reply_kv_free(&l);
}

static void
test_kv_free_order(void **state)
{
	static const char *const lines[] = {
		"X=1 Y=\"two\" Z=3",
		"Z=3 X=1 Y=\"two\"",
		"Y=\"two\" Z=3 X=1",
	};
	struct kvlist l;
	char *cause = NULL;
	size_t i;

	(void)state;
	memset(&l, 0, sizeof l);
	for (i = 0; i < TU_NELEM(lines); i++) {
		assert_int_equal(reply_kv_parse(lines[i], strlen(lines[i]), &l,
		    &cause), 0);
		assert_int_equal(l.n, 3);
		assert_string_equal(reply_kv_get(&l, "X")->val, "1");
		assert_string_equal(reply_kv_get(&l, "Y")->val, "two");
		assert_int_equal(reply_kv_get(&l, "Y")->quoted, 1);
		assert_string_equal(reply_kv_get(&l, "Z")->val, "3");
	}
	reply_kv_free(&l);
}

static void
test_kv_errors(void **state)
{
	static const struct {
		const char	*in;
		const char	*cause;
	} bad[] = {
		{ "A=\"unterminated", "bad quoted value for A" },
		{ "X A=\"bad \\q escape\"", "bad quoted value for A" },
		{ "A=\"x\"junk", "junk after quoted value of A" },
		{ "\"open", "bad quoted string" },
		{ "A=1 \"\\777\"", "bad quoted string" },
	};
	struct kvlist l;
	size_t i;

	(void)state;
	memset(&l, 0, sizeof l);
	for (i = 0; i < TU_NELEM(bad); i++) {
		char *cause = NULL;

		assert_int_equal(reply_kv_parse(bad[i].in, strlen(bad[i].in),
		    &l, &cause), -1);
		assert_non_null(cause);
		assert_string_equal(cause, bad[i].cause);
		free(cause);
	}
	reply_kv_free(&l);
}

static void
test_kv_positional(void **state)
{
	static const char in[] = "CIRC 1 A=b=c Q=\"q\" E= plain";
	struct kvlist l;
	char *cause = NULL;

	(void)state;
	memset(&l, 0, sizeof l);
	assert_int_equal(reply_kv_parse(in, sizeof in - 1, &l, &cause), 0);
	assert_int_equal(l.n, 6);
	assert_kv(&l.v[2], "A", "b=c", 3, 0);
	reply_kv_positional(&l, 2);
	assert_kv(&l.v[2], NULL, "A=b=c", 5, 0);
	/* Idempotent; already positional words stay as they are. */
	reply_kv_positional(&l, 2);
	assert_kv(&l.v[2], NULL, "A=b=c", 5, 0);
	reply_kv_positional(&l, 5);
	assert_kv(&l.v[5], NULL, "plain", 5, 0);
	/* A quoted value keeps its key. */
	reply_kv_positional(&l, 3);
	assert_kv(&l.v[3], "Q", "q", 1, 1);
	reply_kv_positional(&l, 4);
	assert_kv(&l.v[4], NULL, "E=", 2, 0);
	assert_null(reply_kv_get(&l, "A"));
	assert_null(reply_kv_get(&l, "E"));
	assert_non_null(reply_kv_get(&l, "Q"));
	reply_kv_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_whole),
		cmocka_unit_test(test_sample01_events),
		cmocka_unit_test(test_sample09_replies),
		cmocka_unit_test(test_samples_split_everywhere),
		cmocka_unit_test(test_samples_bytewise),
		cmocka_unit_test(test_samples_linewise),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_event_inside_reply),
		cmocka_unit_test(test_event_after_data_block),
		cmocka_unit_test(test_async_data_block),
		cmocka_unit_test(test_data_block_dot_stuffing),
		cmocka_unit_test(test_data_block_empty),
		cmocka_unit_test(test_data_block_empty_lines),
		cmocka_unit_test(test_data_block_holds_reply_lines),
		cmocka_unit_test(test_garbage_lines),
		cmocka_unit_test(test_bare_code),
		cmocka_unit_test(test_nul_in_line),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_line_limit_boundary),
		cmocka_unit_test(test_overlong_garbage_and_data),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_no_callbacks),
		cmocka_unit_test(test_line_hook),
		cmocka_unit_test(test_line_hook_samples),
		cmocka_unit_test(test_unquote_escapes),
		cmocka_unit_test(test_kv_parse),
		cmocka_unit_test(test_kv_free_order),
		cmocka_unit_test(test_kv_errors),
		cmocka_unit_test(test_kv_positional),
	};

	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
