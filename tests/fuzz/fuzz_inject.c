/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * fuzz_inject.c: libFuzzer harness for the CONTROL_INJECTION defence
 * (auditor/audit/pipeline_inject.c, docs/isolation.md section 5).
 *
 * Tor 0.4.9 copies a rejected SOCKS hostname's raw bytes into
 * "650 STREAM N CLOSED 0 HOST:PORT ...": a SOCKS client chooses HOST.  The
 * input is split at its first NUL: the control-port text before it is
 * what Tor said before (events, replies), the bytes after it (at most 255,
 * no NUL: what a SOCKS5 hostname can hold) are HOST.  Two pipelines are
 * fed, read by read (Tor writes an event at once):
 *
 *   A: BEFORE | "650 STREAM 777 CLOSED 0 " HOST ":443 REASON=..." | AFTER
 *   B: BEFORE | AFTER
 *
 * where AFTER is a fixed, real sequence (a circuit built, two streams of
 * two listeners on it: a SHARED_CIRCUIT).  Whatever HOST holds, A says
 * what B says but for stream 777 and CONTROL_INJECTION: the smuggled
 * lines change nothing, neither forge a finding nor erase one.  A line
 * that differs aborts (a crash for libFuzzer).  One difference is
 * allowed: a rejection of a stream the other run never names, which
 * smuggle.c passes on unsure (a run of whole rejections of new streams is
 * what a DNS burst looks like, and what a client can write): shown,
 * judged by no rule (unsure_line).  The reads go through
 * smuggle.c (held lines, dropped before the parser) as live.  (Genuine events in the
 * read of an injection are lost with it: not what this harness asks.)
 * Tor numbers streams in order and rejects a name before any other event
 * of its stream, so the rejection's id is new: an input whose BEFORE
 * names a stream 777 or later is not what Tor can write, and is skipped
 * (smuggle.c takes a CLOSED 0 of a stream already seen for Tor's close of
 * a stream never attached, not for a rejection).
 */
#define ISOAUDIT_PRIVATE	/* config_load_buf (config.h) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "fuzz.h"
#include "judge.h"
#include "pipeline.h"
#include "reply.h"
#include "smuggle.h"

#define TS	1764000000000000LL

static const char after[] =
    "650 CIRC 25 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3~exit0"
    " PURPOSE=GENERAL\r\n"
    "650 STREAM 49 NEW 0 127.0.0.1:20180 SOURCE_ADDR=127.0.0.1:49188"
    " PURPOSE=USER CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=42"
    " ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH\r\n"
    "650 STREAM 49 SENTCONNECT 25 127.0.0.1:20180 CLIENT_PROTOCOL=SOCKS5"
    " NYM_EPOCH=0 SESSION_GROUP=42 ISO_FIELDS=CLIENTADDR,SESSION_GROUP,"
    "NYM_EPOCH\r\n"
    "650 STREAM 50 NEW 0 127.0.0.1:20180 SOURCE_ADDR=127.0.0.1:33874"
    " PURPOSE=USER CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=42"
    " ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH\r\n"
    "650 STREAM 50 SENTCONNECT 25 127.0.0.1:20180 CLIENT_PROTOCOL=SOCKS5"
    " NYM_EPOCH=0 SESSION_GROUP=42 ISO_FIELDS=CLIENTADDR,SESSION_GROUP,"
    "NYM_EPOCH\r\n";

/* Two listeners, two applications (as their labels: no process here). */
static const char conf[] =
    "App 127.0.0.1:20104 \"App D\"\nApp 127.0.0.1:20105 \"App E\"\n";

struct run {
	struct config	 cfg;
	struct pipeline	*p;
	FILE		*out;
	char		*text;
	size_t		 len;
	int		 skip;	/* BEFORE is no whole replies */
};

static void
on_reply(const struct reply *r, void *arg)
{
	pipeline_reply(arg, r);
}

/* As replay and monitor do: a line that is no reply goes on. */
static void
on_error(const char *what, const char *s, size_t n, void *arg)
{
	if (strcmp(what, "malformed line") == 0)
		pipeline_not_reply(arg, s, n);
}

/* As monitor and replay do: what smuggle.c dropped names the finding. */
static void
on_smuggled(const struct smuggle_found *f, void *arg)
{
	if (f->unsure) {
		pipeline_unsure(arg);
		return;
	}
	pipeline_injection(arg, f->stream, f->lines, f->tail, f->tail_len,
	    f->ts);
}

/* One pipeline over reads (NULL-ended, each its length); its output
 * lines in r->text. */
static void
run(struct run *r, const char *const *reads, const size_t *n)
{
	struct pipeline_config pc;
	struct reply_parser *rp;
	struct smuggle *sm;
	char *cause = NULL;
	size_t i;

	memset(r, 0, sizeof *r);
	CHECK(config_load_buf(&r->cfg, "fuzz.conf", conf, sizeof conf - 1,
	    &cause) == 0);
	r->out = open_memstream(&r->text, &r->len);
	CHECK(r->out != NULL);
	memset(&pc, 0, sizeof pc);
	pc.output = PIPELINE_LINES;
	pc.out = r->out;
	pc.privacy.mode = LOG_TARGETS_PLAIN;
	pc.source = "replay:fuzz";
	pc.config = &r->cfg;
	r->p = pipeline_new(&pc);
	CHECK(r->p != NULL);
	pipeline_session_start(r->p, 1, "127.0.0.1:9051", "NULL", TS);
	rp = reply_parser_new(on_reply, on_error, r->p);
	sm = smuggle_new(rp, on_smuggled, r->p);
	for (i = 0; reads[i] != NULL; i++) {
		reply_parser_feed(rp, reads[i], n[i], TS + 1 + (int64_t)i);
		smuggle_end_read(sm);
		/* Tor writes each reply whole: BEFORE ends between them. */
		if (i == 0 && !reply_parser_idle(rp))
			r->skip = 1;
	}
	smuggle_free(sm);
	reply_parser_free(rp);
	pipeline_session_end(r->p, 1, "fuzz", TS + 10);
	pipeline_free(r->p);
	config_free(&r->cfg);
	CHECK(fclose(r->out) == 0);
}

/*
 * A line " stream N STATUS" of a rejection (NEWRESOLVE, CLOSED, FAILED)
 * of a stream the other run never names: what smuggle.c passes on unsure
 * (a run of whole rejections of new streams: a DNS burst, or a client's
 * lines it cannot tell from one), shown and stored but judged by no rule
 * (pipeline_unsure).  Such lines may differ; findings may not.
 */
static int
unsure_line(const char *p, size_t n, const char *other, size_t olen)
{
	static const char *const st[] = { "NEWRESOLVE ", "CLOSED ",
	    "FAILED " };
	const char *s = memmem(p, n, " stream ", 8), *id, *e;
	char pat[40];
	size_t k, idlen;

	if (s == NULL || memmem(p, n, "FINDING", 7) != NULL)
		return 0;
	id = s + 8;
	for (e = id; e < p + n && *e >= '0' && *e <= '9'; e++)
		;
	idlen = (size_t)(e - id);
	if (idlen == 0 || idlen > 20 || e >= p + n || *e != ' ')
		return 0;
	for (k = 0; k < sizeof st / sizeof st[0]; k++)
		if ((size_t)(p + n - (e + 1)) >= strlen(st[k]) &&
		    memcmp(e + 1, st[k], strlen(st[k])) == 0)
			break;
	if (k == sizeof st / sizeof st[0])
		return 0;
	snprintf(pat, sizeof pat, " stream %.*s ", (int)idlen, id);
	return memmem(other, olen, pat, strlen(pat)) == NULL;
}

/*
 * The lines of text that say something other than stream 777 and
 * CONTROL_INJECTION, and are no unsure rejection against other, each
 * ending in '\n', into b.
 */
static void
keep(struct buf *b, const char *text, size_t len, const char *other,
    size_t olen)
{
	const char *p = text, *end = text + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (memmem(p, (size_t)(nl - p), " stream 777 ", 12) == NULL &&
		    memmem(p, (size_t)(nl - p), "CONTROL_INJECTION", 17) ==
		    NULL && !unsure_line(p, (size_t)(nl - p), other, olen))
			buf_add(b, p, (size_t)(nl - p));
		p = nl;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Whether s[0..n) names a stream 777 or later anywhere ("STREAM " and
 * digits, as many as smuggle.c reads). */
static int
names_later_stream(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), "STREAM ", 7)) != NULL) {
		uint64_t id = 0;
		int digits = 0;

		for (p += 7; p < end && *p >= '0' && *p <= '9' && digits < 20;
		    p++, digits++)
			id = id * 10 + (uint64_t)(*p - '0');
		if (digits > 0 && (id >= 777 || digits >= 20))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	size_t nbefore = nul != NULL ? (size_t)(nul - (const char *)data) :
	    size;
	const char *host = nul != NULL ? nul + 1 : "";
	size_t nhost = nul != NULL ? size - nbefore - 1 : 0;
	struct buf inj, ka, kb;
	struct run ra, rb;
	const char *ra_reads[4], *rb_reads[3];
	size_t ra_n[4], rb_n[3];

	/* A SOCKS5 hostname: one length byte, no NUL (Tor cuts there). */
	if (nhost > 255 || memchr(host, '\0', nhost) != NULL)
		return 0;
	/* Bytes before that end a line, as Tor's previous write did. */
	if (nbefore > 0 && ((const char *)data)[nbefore - 1] != '\n')
		return 0;
	if (names_later_stream((const char *)data, nbefore))
		return 0;
	buf_init(&inj);
	buf_adds(&inj, "650 STREAM 777 CLOSED 0 ");
	buf_add(&inj, host, nhost);
	buf_adds(&inj, ":443 REASON=SOCKS_PROTOCOL CLIENT_PROTOCOL=SOCKS5"
	    " NYM_EPOCH=0 SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME,"
	    "SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH\r\n");
	ra_reads[0] = rb_reads[0] = (const char *)data;
	ra_n[0] = rb_n[0] = nbefore;
	ra_reads[1] = buf_cstr(&inj);
	ra_n[1] = inj.len;
	ra_reads[2] = rb_reads[1] = after;
	ra_n[2] = rb_n[1] = sizeof after - 1;
	ra_reads[3] = rb_reads[2] = NULL;

	run(&ra, ra_reads, ra_n);
	run(&rb, rb_reads, rb_n);
	if (rb.skip) {
		free(ra.text);
		free(rb.text);
		buf_free(&inj);
		return 0;
	}
	buf_init(&ka);
	buf_init(&kb);
	keep(&ka, ra.text, ra.len, rb.text, rb.len);
	keep(&kb, rb.text, rb.len, ra.text, ra.len);
	if (ka.len != kb.len || memcmp(buf_cstr(&ka), buf_cstr(&kb),
	    ka.len) != 0) {
		fprintf(stderr, "--- with the hostname:\n%s--- without:\n%s",
		    buf_cstr(&ka), buf_cstr(&kb));
		CHECK(!"the smuggled lines changed what isoaudit said");
	}
	free(ra.text);
	free(rb.text);
	buf_free(&inj);
	buf_free(&ka);
	buf_free(&kb);
	return 0;
}
