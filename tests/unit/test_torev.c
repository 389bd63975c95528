/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test_torev.c: typed STREAM and CIRC events (torev_parse) and their JSON
 * form (torev_dump_json), on every event of the samples and on edge cases.
 */
#include "testutil.h"

#include "buf.h"
#include "reply.h"
#include "torev.h"
#include "xmalloc.h"

#define FP_AUTH0	"CE923F9DD2CFBC013ECC29F2020A07891D9D05F1"
#define FP_AUTH1	"78C017E5490B6E2DB728CA2BF5DA676EA752EC0A"
#define FP_AUTH2	"9D86056D7D82BC9FA152572D0461489B33704895"
#define FP_EXIT0	"085111030DA53A4D7B7C635A7B82B21F30E847C3"
#define FP_EXIT1	"16B0637A639FAF85A8992C2B11130BDC9E35FF53"

#define STREAM_KEYS	"type,id,status,circ_id,target,target_address," \
	"target_port,reason,remote_reason,source,source_addr,purpose," \
	"socks_username,socks_password,client_protocol,nym_epoch," \
	"session_group,iso_fields,"
#define CIRC_KEYS	"type,id,status,path,build_flags,purpose,hs_state," \
	"rend_query,created,reason,remote_reason,socks_username," \
	"socks_password,conflux_id,"

/* Parses a one-line event from text[0..n) (no "650 " in front). */
static int
parse_bin(struct torev *ev, const char *text, size_t n, char **cause)
{
	struct reply r;
	struct reply_line l;

	tu_event1(&r, &l, text, n);
	*cause = NULL;
	return torev_parse(&r, ev, cause);
}

/* Parses text and fails the test unless it is a good event. */
static void
parse_ok(struct torev *ev, const char *text)
{
	char *cause = NULL;

	if (parse_bin(ev, text, strlen(text), &cause) != 0)
		fail_msg("%s: %s", text, cause);
	assert_null(cause);
}

/* Fails the test unless text is rejected with this cause. */
static void
parse_bad(const char *text, size_t n, const char *want)
{
	struct torev ev;
	char *cause = NULL;

	torev_init(&ev);
	if (parse_bin(&ev, text, n, &cause) != -1)
		fail_msg("accepted: %s", text);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	torev_clear(&ev);
}

#define BAD(s, why)	parse_bad(s, sizeof s - 1, why)

/* Returns the event's JSON (allocated) after checking that it is valid
 * JSON whose top-level keys are in the order of SPEC.md. */
static char *
dump(const struct torev *ev)
{
	struct buf b;
	char *keys, want[1024];

	buf_init(&b);
	torev_dump_json(ev, &b);
	buf_cstr(&b);
	assert_int_equal(strlen(b.p), b.len);
	if (!tu_json_valid(b.p, b.len, &keys))
		fail_msg("invalid JSON: %s", b.p);
	if (ev->type == TOREV_STREAM || ev->type == TOREV_CIRC)
		snprintf(want, sizeof want, "%s%s",
		    ev->type == TOREV_STREAM ? STREAM_KEYS : CIRC_KEYS,
		    ev->n_extra > 0 ? "extra," : "");
	else
		snprintf(want, sizeof want, "type,raw,");
	assert_string_equal(keys, want);
	free(keys);
	return b.p;
}

static void
assert_dump(const struct torev *ev, const char *want)
{
	char *got = dump(ev);

	assert_string_equal(got, want);
	free(got);
}

static void
assert_hop(const struct torev_hop *h, const char *fp, const char *nick)
{
	if (fp == NULL)
		assert_null(h->fp);
	else {
		assert_non_null(h->fp);
		assert_string_equal(h->fp, fp);
	}
	if (nick == NULL)
		assert_null(h->nick);
	else {
		assert_non_null(h->nick);
		assert_string_equal(h->nick, nick);
	}
}

static void
assert_str(const struct torev_str *s, const char *want, size_t n)
{
	if (want == NULL) {
		assert_null(s->p);
		return;
	}
	assert_non_null(s->p);
	assert_int_equal(s->n, n);
	assert_memory_equal(s->p, want, n);
}

static int
one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int
is_fp(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[40] == '\0';
}

/* --- every event of every sample ----------------------------------------- */

static const char *const stream_status[] = { "NEW", "NEWRESOLVE", "REMAP",
	"SENTCONNECT", "SENTRESOLVE", "SUCCEEDED", "FAILED", "CLOSED",
	"DETACHED", NULL };
static const char *const circ_status[] = { "LAUNCHED", "BUILT", "GUARD_WAIT",
	"EXTENDED", "FAILED", "CLOSED", NULL };
static const char *const protocols[] = { "SOCKS4", "SOCKS5", "HTTPCONNECT",
	NULL };

static void
check_stream(const struct torev *ev)
{
	const struct stream_ev *s = &ev->u.stream;
	int is_new = strcmp(s->status, "NEW") == 0;

	assert_int_equal(ev->type, TOREV_STREAM);
	assert_string_equal(ev->name, "STREAM");
	assert_true(one_of(s->status, stream_status));
	assert_true(s->id >= 36 && s->id <= 62);
	assert_true(is_new ? s->circ_id == 0 : s->circ_id > 0);
	assert_string_equal(s->target, "127.0.0.1:20180");
	assert_string_equal(s->target_address, "127.0.0.1");
	assert_int_equal(s->target_port, 20180);
	/* SOURCE_ADDR and PURPOSE come on NEW only. */
	assert_int_equal(s->source_addr != NULL, is_new);
	assert_int_equal(s->purpose != NULL, is_new);
	if (is_new)
		assert_string_equal(s->purpose, "USER");
	assert_int_equal(s->source != NULL, strcmp(s->status, "REMAP") == 0);
	if (s->source != NULL)
		assert_string_equal(s->source, "EXIT");
	assert_int_equal(s->reason != NULL, strcmp(s->status, "CLOSED") == 0);
	assert_null(s->socks_username.p);
	assert_null(s->socks_password.p);
	assert_true(one_of(s->client_protocol, protocols));
	assert_true(s->has_nym_epoch);
	assert_int_equal(s->nym_epoch, 0);
	assert_true(s->has_session_group);
	assert_non_null(s->iso_fields);
	assert_true(s->n_iso_fields == 3 || s->n_iso_fields == 4 ||
	    s->n_iso_fields == 5);
	assert_string_equal(s->iso_fields[s->n_iso_fields - 1], "NYM_EPOCH");
	assert_int_equal(ev->n_extra, 0);
}

static void
check_circ(const struct torev *ev)
{
	const struct circ_ev *c = &ev->u.circ;
	size_t i;

	assert_int_equal(ev->type, TOREV_CIRC);
	assert_string_equal(ev->name, "CIRC");
	assert_true(one_of(c->status, circ_status));
	assert_true(c->id >= 21 && c->id <= 36);
	if (strcmp(c->status, "LAUNCHED") == 0)
		assert_null(c->path);
	else {
		assert_non_null(c->path);
		assert_true(c->npath >= 1 && c->npath <= 3);
	}
	for (i = 0; i < c->npath; i++) {
		assert_true(is_fp(c->path[i].fp));
		assert_non_null(c->path[i].nick);
		assert_true(strncmp(c->path[i].nick, "auth", 4) == 0 ||
		    strncmp(c->path[i].nick, "exit", 4) == 0);
	}
	assert_int_equal(c->n_build_flags, 2);
	assert_string_equal(c->build_flags[0], "NEED_CAPACITY");
	assert_string_equal(c->build_flags[1], "NEED_UPTIME");
	assert_string_equal(c->purpose, "CONFLUX_UNLINKED");
	assert_int_equal(strlen(c->created), 26);
	assert_int_equal(strlen(c->conflux_id), 32);
	assert_null(c->reason);
	assert_null(c->socks_username.p);
	assert_int_equal(ev->n_extra, 0);
}

static void
test_samples_all_events(void **state)
{
	static const size_t want_stream[] = { 10, 20, 15, 20, 0 };
	static const size_t want_circ[] = { 20, 0, 10, 20, 0 };
	size_t f, i;

	(void)state;
	for (f = 0; f < TU_NSAMPLES; f++) {
		struct tu_coll c;
		struct torev ev;
		size_t len, nstream = 0, ncirc = 0;
		char *s = tu_read_sample(tu_samples[f], &len);

		tu_parse_all(s, len, &c);
		torev_init(&ev);
		for (i = 0; i < c.n; i++) {
			char *cause = NULL, *json;

			if (!c.r[i].async)
				continue;
			if (torev_parse(&c.r[i], &ev, &cause) != 0)
				fail_msg("%s: %s: %s", tu_samples[f],
				    c.r[i].lines[0].text, cause);
			assert_null(cause);
			if (ev.type == TOREV_STREAM) {
				nstream++;
				check_stream(&ev);
			} else {
				ncirc++;
				check_circ(&ev);
			}
			json = dump(&ev);
			free(json);
		}
		assert_int_equal(nstream, want_stream[f]);
		assert_int_equal(ncirc, want_circ[f]);
		torev_clear(&ev);
		tu_coll_free(&c);
		free(s);
	}
}

/* Session groups and protocols per stream: which listener it came from. */
static void
test_samples_listeners(void **state)
{
	static const struct {
		size_t		 file;
		uint64_t	 id;
		int64_t		 group;
		const char	*proto;
		const char	*source_addr;
		size_t		 n_iso;
	} want[] = {
		{ 0, 36, -4, "SOCKS5", "127.0.0.1:41036", 5 },
		{ 0, 37, -5, "SOCKS5", "127.0.0.1:46464", 5 },
		{ 1, 39, -4, "SOCKS5", "127.0.0.1:41046", 5 },
		{ 1, 42, -4, "SOCKS5", "127.0.0.1:41076", 5 },
		{ 2, 49, 42, "SOCKS5", "127.0.0.1:49188", 3 },
		{ 2, 51, 42, "SOCKS5", "127.0.0.1:33886", 3 },
		{ 3, 59, -4, "SOCKS4", "127.0.0.1:48942", 5 },
		{ 3, 61, -9, "HTTPCONNECT", "127.0.0.1:55682", 5 },
		{ 3, 62, -7, "SOCKS5", "/tmp/tornet/client/socks.sock:0", 4 },
	};
	size_t k, i;

	(void)state;
	for (k = 0; k < TU_NELEM(want); k++) {
		struct tu_coll c;
		struct torev ev;
		size_t len, seen = 0;
		char *s = tu_read_sample(tu_samples[want[k].file], &len);

		tu_parse_all(s, len, &c);
		torev_init(&ev);
		for (i = 0; i < c.n; i++) {
			const struct stream_ev *st = &ev.u.stream;
			char *cause;

			if (!c.r[i].async)
				continue;
			assert_int_equal(torev_parse(&c.r[i], &ev, &cause), 0);
			if (ev.type != TOREV_STREAM || st->id != want[k].id)
				continue;
			seen++;
			assert_int_equal(st->session_group, want[k].group);
			assert_string_equal(st->client_protocol,
			    want[k].proto);
			assert_int_equal(st->n_iso_fields, want[k].n_iso);
			if (strcmp(st->status, "NEW") == 0)
				assert_string_equal(st->source_addr,
				    want[k].source_addr);
		}
		assert_true(seen >= 2);
		torev_clear(&ev);
		tu_coll_free(&c);
		free(s);
	}
}

/* Finds the first event of a sample whose text starts with prefix. */
static void
sample_event(const char *file, const char *prefix, struct torev *ev)
{
	struct tu_coll c;
	size_t len, i;
	char *s = tu_read_sample(file, &len), *cause;

	tu_parse_all(s, len, &c);
	for (i = 0; i < c.n; i++)
		if (strncmp(c.r[i].lines[0].text, prefix, strlen(prefix)) == 0)
			break;
	if (i == c.n)
		fail_msg("%s: no event %s", file, prefix);
	assert_int_equal(torev_parse(&c.r[i], ev, &cause), 0);
	tu_coll_free(&c);
	free(s);
}

static void
test_stream36_new(void **state)
{
	struct torev ev;
	const struct stream_ev *s = &ev.u.stream;

	(void)state;
	torev_init(&ev);
	sample_event("01_ports_A_then_B.txt", "STREAM 36 NEW ", &ev);
	assert_int_equal(ev.type, TOREV_STREAM);
	assert_int_equal(s->id, 36);
	assert_string_equal(s->status, "NEW");
	assert_int_equal(s->circ_id, 0);
	assert_string_equal(s->target, "127.0.0.1:20180");
	assert_string_equal(s->target_address, "127.0.0.1");
	assert_int_equal(s->target_port, 20180);
	assert_null(s->reason);
	assert_null(s->remote_reason);
	assert_null(s->source);
	assert_string_equal(s->source_addr, "127.0.0.1:41036");
	assert_string_equal(s->purpose, "USER");
	assert_null(s->socks_username.p);
	assert_null(s->socks_password.p);
	assert_string_equal(s->client_protocol, "SOCKS5");
	assert_int_equal(s->has_nym_epoch, 1);
	assert_int_equal(s->nym_epoch, 0);
	assert_int_equal(s->has_session_group, 1);
	assert_int_equal(s->session_group, -4);
	assert_int_equal(s->n_iso_fields, 5);
	assert_string_equal(s->iso_fields[0], "SOCKS_USERNAME");
	assert_string_equal(s->iso_fields[1], "SOCKS_PASSWORD");
	assert_string_equal(s->iso_fields[2], "CLIENTADDR");
	assert_string_equal(s->iso_fields[3], "SESSION_GROUP");
	assert_string_equal(s->iso_fields[4], "NYM_EPOCH");
	assert_int_equal(ev.n_extra, 0);
	assert_dump(&ev, "{\"type\":\"STREAM\",\"id\":\"36\",\"status\":\"NEW\","
	    "\"circ_id\":\"0\",\"target\":\"127.0.0.1:20180\","
	    "\"target_address\":\"127.0.0.1\",\"target_port\":20180,"
	    "\"reason\":null,\"remote_reason\":null,\"source\":null,"
	    "\"source_addr\":\"127.0.0.1:41036\",\"purpose\":\"USER\","
	    "\"socks_username\":null,\"socks_password\":null,"
	    "\"client_protocol\":\"SOCKS5\",\"nym_epoch\":0,"
	    "\"session_group\":-4,\"iso_fields\":[\"SOCKS_USERNAME\","
	    "\"SOCKS_PASSWORD\",\"CLIENTADDR\",\"SESSION_GROUP\","
	    "\"NYM_EPOCH\"]}");

	sample_event("01_ports_A_then_B.txt", "STREAM 36 CLOSED ", &ev);
	assert_int_equal(s->circ_id, 8);
	assert_string_equal(s->reason, "END");
	assert_string_equal(s->remote_reason, "DONE");
	assert_null(s->source_addr);
	assert_null(s->purpose);
	assert_dump(&ev, "{\"type\":\"STREAM\",\"id\":\"36\","
	    "\"status\":\"CLOSED\",\"circ_id\":\"8\","
	    "\"target\":\"127.0.0.1:20180\",\"target_address\":\"127.0.0.1\","
	    "\"target_port\":20180,\"reason\":\"END\","
	    "\"remote_reason\":\"DONE\",\"source\":null,\"source_addr\":null,"
	    "\"purpose\":null,\"socks_username\":null,"
	    "\"socks_password\":null,\"client_protocol\":\"SOCKS5\","
	    "\"nym_epoch\":0,\"session_group\":-4,\"iso_fields\":["
	    "\"SOCKS_USERNAME\",\"SOCKS_PASSWORD\",\"CLIENTADDR\","
	    "\"SESSION_GROUP\",\"NYM_EPOCH\"]}");

	sample_event("01_ports_A_then_B.txt", "STREAM 37 REMAP ", &ev);
	assert_string_equal(s->source, "EXIT");
	assert_int_equal(s->circ_id, 6);
	assert_int_equal(s->session_group, -5);
	torev_clear(&ev);
}

static void
test_circ21_built(void **state)
{
	struct torev ev;
	const struct circ_ev *c = &ev.u.circ;

	(void)state;
	torev_init(&ev);
	sample_event("01_ports_A_then_B.txt", "CIRC 21 BUILT ", &ev);
	assert_int_equal(ev.type, TOREV_CIRC);
	assert_int_equal(c->id, 21);
	assert_string_equal(c->status, "BUILT");
	assert_int_equal(c->npath, 3);
	assert_hop(&c->path[0], FP_AUTH1, "auth1");
	assert_hop(&c->path[1], FP_AUTH0, "auth0");
	assert_hop(&c->path[2], FP_EXIT1, "exit1");
	assert_int_equal(c->n_build_flags, 2);
	assert_string_equal(c->build_flags[0], "NEED_CAPACITY");
	assert_string_equal(c->build_flags[1], "NEED_UPTIME");
	assert_string_equal(c->purpose, "CONFLUX_UNLINKED");
	assert_null(c->hs_state);
	assert_null(c->rend_query);
	assert_string_equal(c->created, "2026-11-24T17:38:34.848494");
	assert_null(c->reason);
	assert_null(c->remote_reason);
	assert_string_equal(c->conflux_id, "0BA7A51CD79AA76C67BF8C7AB2AA430A");
	assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"21\",\"status\":\"BUILT\","
	    "\"path\":[{\"fingerprint\":\"" FP_AUTH1 "\",\"nickname\":\"auth1\"},"
	    "{\"fingerprint\":\"" FP_AUTH0 "\",\"nickname\":\"auth0\"},"
	    "{\"fingerprint\":\"" FP_EXIT1 "\",\"nickname\":\"exit1\"}],"
	    "\"build_flags\":[\"NEED_CAPACITY\",\"NEED_UPTIME\"],"
	    "\"purpose\":\"CONFLUX_UNLINKED\",\"hs_state\":null,"
	    "\"rend_query\":null,\"created\":\"2026-11-24T17:38:34.848494\","
	    "\"reason\":null,\"remote_reason\":null,\"socks_username\":null,"
	    "\"socks_password\":null,"
	    "\"conflux_id\":\"0BA7A51CD79AA76C67BF8C7AB2AA430A\"}");

	/* LAUNCHED: no path at all (null, not an empty list). */
	sample_event("04_sessiongroup42_D_and_E.txt", "CIRC 29 LAUNCHED ", &ev);
	assert_null(c->path);
	assert_int_equal(c->npath, 0);
	assert_string_equal(c->conflux_id, "0D6F1E5849176339DE22CE105AD75E9B");
	assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"29\","
	    "\"status\":\"LAUNCHED\",\"path\":null,"
	    "\"build_flags\":[\"NEED_CAPACITY\",\"NEED_UPTIME\"],"
	    "\"purpose\":\"CONFLUX_UNLINKED\",\"hs_state\":null,"
	    "\"rend_query\":null,\"created\":\"2026-11-24T17:38:42.857527\","
	    "\"reason\":null,\"remote_reason\":null,\"socks_username\":null,"
	    "\"socks_password\":null,"
	    "\"conflux_id\":\"0D6F1E5849176339DE22CE105AD75E9B\"}");

	/* One hop. */
	sample_event("06_protocols_socks4_http_unix.txt", "CIRC 36 EXTENDED ",
	    &ev);
	assert_int_equal(c->npath, 1);
	assert_hop(&c->path[0], FP_AUTH0, "auth0");
	torev_clear(&ev);
}

static void
test_unix_source_addr(void **state)
{
	struct torev ev;
	const struct stream_ev *s = &ev.u.stream;

	(void)state;
	torev_init(&ev);
	sample_event("06_protocols_socks4_http_unix.txt", "STREAM 62 NEW ", &ev);
	assert_string_equal(s->source_addr, "/tmp/tornet/client/socks.sock:0");
	assert_int_equal(s->session_group, -7);
	assert_int_equal(s->n_iso_fields, 4);
	assert_string_equal(s->iso_fields[0], "SOCKS_USERNAME");
	assert_string_equal(s->iso_fields[1], "SOCKS_PASSWORD");
	assert_string_equal(s->iso_fields[2], "SESSION_GROUP");
	assert_string_equal(s->iso_fields[3], "NYM_EPOCH");
	torev_clear(&ev);
}

/* The data blocks of 09 (GETINFO stream-status, circuit-status) hold the
 * same grammar without the event keyword. */
static void
test_sample09_status_lines(void **state)
{
	struct tu_coll c;
	struct torev ev;
	const struct circ_ev *ci = &ev.u.circ;
	size_t len, i, nstream = 0, ncirc = 0;
	char *s = tu_read_sample("09_getinfo_tcp.txt", &len);
	struct buf line;

	(void)state;
	tu_parse_all(s, len, &c);
	assert_int_equal(c.n, 13);
	torev_init(&ev);
	buf_init(&line);
	for (i = 9; i <= 10; i++) {
		const char *kw = i == 9 ? "STREAM " : "CIRC ";
		const char *d = c.r[i].lines[0].data, *nl;

		assert_non_null(d);
		for (; *d != '\0'; d = *nl ? nl + 1 : nl) {
			char *cause = NULL, *json;

			nl = strchr(d, '\n');
			if (nl == NULL)
				nl = d + strlen(d);
			buf_reset(&line);
			buf_adds(&line, kw);
			buf_add(&line, d, (size_t)(nl - d));
			if (parse_bin(&ev, line.p, line.len, &cause) != 0)
				fail_msg("%s: %s", line.p, cause);
			json = dump(&ev);
			free(json);
			if (i == 9) {
				nstream++;
				assert_int_equal(ev.type, TOREV_STREAM);
				assert_string_equal(ev.u.stream.status,
				    "SUCCEEDED");
				assert_int_equal(ev.u.stream.target_port,
				    20182);
				continue;
			}
			ncirc++;
			assert_int_equal(ev.type, TOREV_CIRC);
			assert_string_equal(ci->status, "BUILT");
			assert_non_null(ci->path);
			if (ci->id == 1) {
				assert_int_equal(ci->npath, 1);
				assert_hop(&ci->path[0], FP_AUTH2, "auth2");
				assert_int_equal(ci->n_build_flags, 3);
				assert_string_equal(ci->build_flags[0],
				    "ONEHOP_TUNNEL");
				assert_string_equal(ci->build_flags[1],
				    "IS_INTERNAL");
				assert_string_equal(ci->build_flags[2],
				    "NEED_CAPACITY");
				assert_string_equal(ci->purpose, "GENERAL");
				assert_null(ci->conflux_id);
				assert_int_equal(ev.n_extra, 0);
			}
			if (ci->id != 4)
				continue;
			assert_int_equal(ci->npath, 3);
			assert_hop(&ci->path[2], FP_EXIT1, "exit1");
			assert_str(&ci->socks_username, "alice", 5);
			assert_str(&ci->socks_password, "pw1", 3);
			assert_string_equal(ci->conflux_id,
			    "59863FE1DBC5E6389755E3EDC8D21B48");
			assert_string_equal(ci->purpose, "CONFLUX_LINKED");
			assert_int_equal(ev.n_extra, 1);
			assert_string_equal(ev.extra[0].key, "CONFLUX_RTT");
			assert_string_equal(ev.extra[0].val, "50602");
			assert_int_equal(ev.extra[0].vlen, 5);
			assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"4\","
			    "\"status\":\"BUILT\",\"path\":["
			    "{\"fingerprint\":\"" FP_AUTH1 "\","
			    "\"nickname\":\"auth1\"},"
			    "{\"fingerprint\":\"" FP_AUTH0 "\","
			    "\"nickname\":\"auth0\"},"
			    "{\"fingerprint\":\"" FP_EXIT1 "\","
			    "\"nickname\":\"exit1\"}],"
			    "\"build_flags\":[\"NEED_CAPACITY\","
			    "\"NEED_UPTIME\"],\"purpose\":\"CONFLUX_LINKED\","
			    "\"hs_state\":null,\"rend_query\":null,"
			    "\"created\":\"2026-11-24T17:38:21.834810\","
			    "\"reason\":null,\"remote_reason\":null,"
			    "\"socks_username\":\"alice\","
			    "\"socks_password\":\"pw1\","
			    "\"conflux_id\":\"59863FE1DBC5E6389755E3EDC8D21B48\","
			    "\"extra\":{\"CONFLUX_RTT\":\"50602\"}}");
		}
	}
	assert_int_equal(nstream, 2);
	assert_int_equal(ncirc, 28);
	buf_free(&line);
	torev_clear(&ev);
	tu_coll_free(&c);
	free(s);
}

/* --- ids and numbers ------------------------------------------------------ */

static void
test_parse_id(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1a",
	    "0x10", "18446744073709551616", "99999999999999999999",
	    "000000000000000000001", "184467440737095516150" };
	uint64_t v;
	size_t i;

	(void)state;
	assert_int_equal(torev_parse_id("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(torev_parse_id("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(torev_parse_id("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(torev_parse_id("18446744073709551614", &v), 0);
	assert_true(v == UINT64_MAX - 1);
	assert_int_equal(torev_parse_id("00000000000000000001", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(torev_parse_id("10000000000000000000", &v), 0);
	assert_true(v == 10000000000000000000ULL);
	for (i = 0; i < TU_NELEM(bad); i++) {
		v = 77;
		assert_int_equal(torev_parse_id(bad[i], &v), -1);
		assert_int_equal(v, 77);
	}
	assert_int_equal(torev_parse_id(NULL, &v), -1);
}

static void
test_ids_64bit(void **state)
{
	struct torev ev;

	(void)state;
	torev_init(&ev);
	parse_ok(&ev, "STREAM 18446744073709551615 SUCCEEDED "
	    "18446744073709551615 127.0.0.1:82");
	assert_true(ev.u.stream.id == UINT64_MAX);
	assert_true(ev.u.stream.circ_id == UINT64_MAX);
	assert_dump(&ev, "{\"type\":\"STREAM\",\"id\":\"18446744073709551615\","
	    "\"status\":\"SUCCEEDED\",\"circ_id\":\"18446744073709551615\","
	    "\"target\":\"127.0.0.1:82\",\"target_address\":\"127.0.0.1\","
	    "\"target_port\":82,\"reason\":null,\"remote_reason\":null,"
	    "\"source\":null,\"source_addr\":null,\"purpose\":null,"
	    "\"socks_username\":null,\"socks_password\":null,"
	    "\"client_protocol\":null,\"nym_epoch\":null,"
	    "\"session_group\":null,\"iso_fields\":null}");
	parse_ok(&ev, "CIRC 18446744073709551615 LAUNCHED");
	assert_true(ev.u.circ.id == UINT64_MAX);
	torev_clear(&ev);

	BAD("STREAM 18446744073709551616 NEW 0 a:1", "bad stream id");
	BAD("STREAM 6 SUCCEEDED 18446744073709551616 127.0.0.1:82",
	    "bad circuit id");
	BAD("STREAM x NEW 0 127.0.0.1:80", "bad stream id");
	BAD("STREAM -1 NEW 0 127.0.0.1:80", "bad stream id");
	BAD("STREAM 1 NEW zero 127.0.0.1:80", "bad circuit id");
	BAD("STREAM 1a NEW 0 127.0.0.1:80", "bad stream id");
	BAD("CIRC 18446744073709551616 LAUNCHED", "bad circuit id");
	BAD("CIRC abc BUILT", "bad circuit id");
	BAD("CIRC 0x1 BUILT", "bad circuit id");
}

static void
test_bad_numbers(void **state)
{
	struct torev ev;

	(void)state;
	BAD("STREAM 1 NEW 0 a:1 NYM_EPOCH=abc", "bad NYM_EPOCH");
	BAD("STREAM 1 NEW 0 a:1 NYM_EPOCH=-1", "bad NYM_EPOCH");
	BAD("STREAM 1 NEW 0 a:1 NYM_EPOCH=", "bad NYM_EPOCH");
	BAD("STREAM 1 NEW 0 a:1 NYM_EPOCH=18446744073709551616",
	    "bad NYM_EPOCH");
	BAD("STREAM 1 NEW 0 a:1 SESSION_GROUP=x", "bad SESSION_GROUP");
	BAD("STREAM 1 NEW 0 a:1 SESSION_GROUP=-", "bad SESSION_GROUP");
	BAD("STREAM 1 NEW 0 a:1 SESSION_GROUP=--1", "bad SESSION_GROUP");
	BAD("STREAM 1 NEW 0 a:1 SESSION_GROUP=9223372036854775808",
	    "bad SESSION_GROUP");
	BAD("STREAM 1 NEW 0 a:1 SESSION_GROUP=-9223372036854775809",
	    "bad SESSION_GROUP");

	torev_init(&ev);
	parse_ok(&ev, "STREAM 1 NEW 0 a:1 SESSION_GROUP=-9223372036854775808 "
	    "NYM_EPOCH=18446744073709551615");
	assert_true(ev.u.stream.session_group == INT64_MIN);
	assert_true(ev.u.stream.nym_epoch == UINT64_MAX);
	assert_true(ev.u.stream.has_nym_epoch);
	parse_ok(&ev, "STREAM 1 NEW 0 a:1 SESSION_GROUP=9223372036854775807 "
	    "NYM_EPOCH=7");
	assert_true(ev.u.stream.session_group == INT64_MAX);
	assert_int_equal(ev.u.stream.nym_epoch, 7);
	parse_ok(&ev, "STREAM 1 NEW 0 a:1 SESSION_GROUP=42");
	assert_int_equal(ev.u.stream.session_group, 42);
	assert_int_equal(ev.u.stream.has_nym_epoch, 0);
	torev_clear(&ev);
}

/* --- keywords ------------------------------------------------------------ */

static void
test_unknown_keywords(void **state)
{
	struct torev ev;

	(void)state;
	torev_init(&ev);
	parse_ok(&ev, "STREAM 9 NEW 0 a.onion:443 FOO=bar PURPOSE=USER "
	    "HS_POW=v1,17 BAZ=\"q \\\"x\\\" \\001\" lonely SOURCE_ADDR=1.2.3.4:5");
	assert_int_equal(ev.n_extra, 4);
	assert_string_equal(ev.extra[0].key, "FOO");
	assert_string_equal(ev.extra[0].val, "bar");
	assert_string_equal(ev.extra[1].key, "HS_POW");
	assert_string_equal(ev.extra[1].val, "v1,17");
	assert_string_equal(ev.extra[2].key, "BAZ");
	assert_int_equal(ev.extra[2].vlen, 7);
	assert_memory_equal(ev.extra[2].val, "q \"x\" \001", 7);
	assert_string_equal(ev.extra[3].key, "ARG9");
	assert_string_equal(ev.extra[3].val, "lonely");
	assert_string_equal(ev.u.stream.purpose, "USER");
	assert_string_equal(ev.u.stream.source_addr, "1.2.3.4:5");
	assert_dump(&ev, "{\"type\":\"STREAM\",\"id\":\"9\",\"status\":\"NEW\","
	    "\"circ_id\":\"0\",\"target\":\"a.onion:443\","
	    "\"target_address\":\"a.onion\",\"target_port\":443,"
	    "\"reason\":null,\"remote_reason\":null,\"source\":null,"
	    "\"source_addr\":\"1.2.3.4:5\",\"purpose\":\"USER\","
	    "\"socks_username\":null,\"socks_password\":null,"
	    "\"client_protocol\":null,\"nym_epoch\":null,"
	    "\"session_group\":null,\"iso_fields\":null,"
	    "\"extra\":{\"FOO\":\"bar\",\"HS_POW\":\"v1,17\","
	    "\"BAZ\":\"q \\\"x\\\" \\u0001\",\"ARG9\":\"lonely\"}}");

	parse_ok(&ev, "CIRC 3 BUILT $" FP_EXIT0 "~exit0 PURPOSE=GENERAL "
	    "HS_POW=v1,5 CONFLUX_ID=AB CONFLUX_RTT=1234 FOO=bar");
	assert_int_equal(ev.n_extra, 3);
	assert_string_equal(ev.extra[0].key, "HS_POW");
	assert_string_equal(ev.extra[0].val, "v1,5");
	assert_string_equal(ev.extra[1].key, "CONFLUX_RTT");
	assert_string_equal(ev.extra[1].val, "1234");
	assert_string_equal(ev.extra[2].key, "FOO");
	assert_string_equal(ev.u.circ.conflux_id, "AB");
	assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"3\",\"status\":\"BUILT\","
	    "\"path\":[{\"fingerprint\":\"" FP_EXIT0 "\","
	    "\"nickname\":\"exit0\"}],\"build_flags\":null,"
	    "\"purpose\":\"GENERAL\",\"hs_state\":null,\"rend_query\":null,"
	    "\"created\":null,\"reason\":null,\"remote_reason\":null,"
	    "\"socks_username\":null,\"socks_password\":null,"
	    "\"conflux_id\":\"AB\",\"extra\":{\"HS_POW\":\"v1,5\","
	    "\"CONFLUX_RTT\":\"1234\",\"FOO\":\"bar\"}}");

	/* The next event has none: nothing stale is left. */
	parse_ok(&ev, "CIRC 3 CLOSED");
	assert_int_equal(ev.n_extra, 0);
	assert_null(ev.u.circ.conflux_id);
	assert_null(ev.u.circ.path);
	torev_clear(&ev);
}

static void
test_keywords_any_order(void **state)
{
	struct torev ev;
	const struct circ_ev *c = &ev.u.circ;
	const struct stream_ev *s = &ev.u.stream;

	(void)state;
	torev_init(&ev);
	/* Tor writes REASON last on CIRC; any order is accepted. */
	parse_ok(&ev, "CIRC 7 CLOSED $" FP_AUTH0 "~auth0 REASON=FINISHED "
	    "REMOTE_REASON=DESTROYED SOCKS_PASSWORD=\"p\" CONFLUX_ID=CX "
	    "TIME_CREATED=2026-01-01T00:00:00.000000 REND_QUERY=abc "
	    "HS_STATE=HSCI_CONNECTING PURPOSE=HS_CLIENT_INTRO "
	    "SOCKS_USERNAME=\"u\" BUILD_FLAGS=IS_INTERNAL");
	assert_string_equal(c->reason, "FINISHED");
	assert_string_equal(c->remote_reason, "DESTROYED");
	assert_string_equal(c->purpose, "HS_CLIENT_INTRO");
	assert_string_equal(c->hs_state, "HSCI_CONNECTING");
	assert_string_equal(c->rend_query, "abc");
	assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"7\",\"status\":\"CLOSED\","
	    "\"path\":[{\"fingerprint\":\"" FP_AUTH0 "\","
	    "\"nickname\":\"auth0\"}],\"build_flags\":[\"IS_INTERNAL\"],"
	    "\"purpose\":\"HS_CLIENT_INTRO\",\"hs_state\":\"HSCI_CONNECTING\","
	    "\"rend_query\":\"abc\",\"created\":\"2026-01-01T00:00:00.000000\","
	    "\"reason\":\"FINISHED\",\"remote_reason\":\"DESTROYED\","
	    "\"socks_username\":\"u\",\"socks_password\":\"p\","
	    "\"conflux_id\":\"CX\"}");

	parse_ok(&ev, "STREAM 5 FAILED 3 h:1 ISO_FIELDS=DESTPORT "
	    "SESSION_GROUP=-5 NYM_EPOCH=2 CLIENT_PROTOCOL=SOCKS4 "
	    "SOCKS_PASSWORD=\"pw\" SOCKS_USERNAME=\"us\" PURPOSE=USER "
	    "SOURCE_ADDR=[::1]:9 SOURCE=CACHE REMOTE_REASON=EXITPOLICY "
	    "REASON=END");
	assert_string_equal(s->reason, "END");
	assert_string_equal(s->remote_reason, "EXITPOLICY");
	assert_string_equal(s->source, "CACHE");
	assert_string_equal(s->source_addr, "[::1]:9");
	assert_dump(&ev, "{\"type\":\"STREAM\",\"id\":\"5\","
	    "\"status\":\"FAILED\",\"circ_id\":\"3\",\"target\":\"h:1\","
	    "\"target_address\":\"h\",\"target_port\":1,\"reason\":\"END\","
	    "\"remote_reason\":\"EXITPOLICY\",\"source\":\"CACHE\","
	    "\"source_addr\":\"[::1]:9\",\"purpose\":\"USER\","
	    "\"socks_username\":\"us\",\"socks_password\":\"pw\","
	    "\"client_protocol\":\"SOCKS4\",\"nym_epoch\":2,"
	    "\"session_group\":-5,\"iso_fields\":[\"DESTPORT\"]}");

	/* A repeated keyword: the last one counts. */
	parse_ok(&ev, "STREAM 5 NEW 0 h:1 PURPOSE=A PURPOSE=B");
	assert_string_equal(s->purpose, "B");
	torev_clear(&ev);
}

static void
test_socks_username_binary(void **state)
{
	static const char text[] = "STREAM 2 NEW 0 127.0.0.1:81 "
	    "SOCKS_USERNAME=\"a\\000b\\001\\\"\\\\\\302\\251\\377\\n\" "
	    "SOCKS_PASSWORD=\"\" SOURCE_ADDR=127.0.0.1:5001";
	struct torev ev;
	char *cause;
	const struct stream_ev *s = &ev.u.stream;
	char *json;

	(void)state;
	torev_init(&ev);
	assert_int_equal(parse_bin(&ev, text, sizeof text - 1, &cause), 0);
	assert_str(&s->socks_username, "a\0b\001\"\\\302\251\377\n", 10);
	/* Present but empty is not absent. */
	assert_str(&s->socks_password, "", 0);
	assert_string_equal(s->source_addr, "127.0.0.1:5001");
	json = dump(&ev);
	assert_non_null(strstr(json, ",\"socks_username\":\"a\\u0000b\\u0001"
	    "\\\"\\\\\302\251\\u00ff\\n\",\"socks_password\":\"\","));
	free(json);

	/* Octal escapes on CIRC too. */
	parse_ok(&ev, "CIRC 4 BUILT SOCKS_USERNAME=\"\\141\\154ice\" "
	    "SOCKS_PASSWORD=\"\\x70\\x77\\061\"");
	assert_str(&ev.u.circ.socks_username, "alice", 5);
	assert_str(&ev.u.circ.socks_password, "pw1", 3);
	assert_null(ev.u.circ.path);

	BAD("STREAM 2 NEW 0 a:1 SOCKS_USERNAME=\"open",
	    "bad quoted value for SOCKS_USERNAME");
	BAD("STREAM 2 NEW 0 a:1 SOCKS_USERNAME=\"\\400\"",
	    "bad quoted value for SOCKS_USERNAME");
	BAD("CIRC 2 BUILT SOCKS_PASSWORD=\"x\"y",
	    "junk after quoted value of SOCKS_PASSWORD");
	torev_clear(&ev);
}

/* Every byte value in a SOCKS username gives valid JSON. */
static void
test_socks_username_all_bytes(void **state)
{
	struct torev ev;
	struct buf line;
	char *cause, *json;
	unsigned i;

	(void)state;
	torev_init(&ev);
	buf_init(&line);
	buf_adds(&line, "STREAM 1 NEW 0 a:1 SOCKS_USERNAME=\"");
	for (i = 0; i < 256; i++)
		buf_printf(&line, "\\%03o", i);
	buf_adds(&line, "\"");
	assert_int_equal(parse_bin(&ev, line.p, line.len, &cause), 0);
	assert_int_equal(ev.u.stream.socks_username.n, 256);
	for (i = 0; i < 256; i++)
		assert_int_equal((unsigned char)ev.u.stream.socks_username.p[i],
		    i);
	json = dump(&ev);
	assert_non_null(strstr(json, "\"socks_username\":\"\\u0000\\u0001"));
	free(json);
	buf_free(&line);
	torev_clear(&ev);
}

/* --- events sent as multi-line replies --------------------------------------- */

struct got {
	struct torev	 ev;
	int		 rc;
	char		*json;
	int		 n;
};

static void
got_reply(const struct reply *r, void *arg)
{
	struct got *g = arg;
	char *cause = NULL;
	struct buf b;

	g->rc = torev_parse(r, &g->ev, &cause);
	free(cause);
	buf_init(&b);
	if (g->rc == 0)
		torev_dump_json(&g->ev, &b);
	free(g->json);
	g->json = xstrdup(buf_cstr(&b));
	buf_free(&b);
	g->n++;
}

/* Frames text (CRLF lines) with the real framer; the last reply's JSON. */
static char *
framed(const char *text, int *rc, enum torev_type *type)
{
	struct reply_parser *p;
	struct got g;
	char *json;

	memset(&g, 0, sizeof g);
	torev_init(&g.ev);
	p = reply_parser_new(got_reply, NULL, &g);
	reply_parser_feed(p, text, strlen(text), 1000000);
	reply_parser_free(p);
	assert_int_equal(g.n, 1);
	*rc = g.rc;
	*type = g.ev.type;
	json = g.json;
	torev_clear(&g.ev);
	return json;
}

/*
 * control-spec 4.1: an event may come as 650-... lines ending in 650 ...;
 * STREAM and CIRC sent so are parsed as if they came on one line.
 */
static void
test_multiline_events(void **state)
{
	static const struct {
		const char	*one, *many;
	} t[] = {
		{ "650 CIRC 7 BUILT $" FP_AUTH0 "~relay1,$" FP_EXIT0 "~relay2 "
		  "BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL "
		  "TIME_CREATED=2026-11-24T17:38:35.048013\r\n",
		  "650-CIRC 7 BUILT $" FP_AUTH0 "~relay1,$" FP_EXIT0 "~relay2\r\n"
		  "650-BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL\r\n"
		  "650 TIME_CREATED=2026-11-24T17:38:35.048013\r\n" },
		{ "650 STREAM 49 NEW 0 2001:db8::1:443 "
		  "SOURCE_ADDR=127.0.0.1:49188 PURPOSE=USER "
		  "SOCKS_USERNAME=\"a b\" ISO_FIELDS=SOCKS_USERNAME\r\n",
		  "650-STREAM 49 NEW 0 2001:db8::1:443\r\n"
		  "650-SOURCE_ADDR=127.0.0.1:49188 PURPOSE=USER\r\n"
		  "650-SOCKS_USERNAME=\"a b\"\r\n"
		  "650 ISO_FIELDS=SOCKS_USERNAME\r\n" },
	};
	enum torev_type t1, t2;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < TU_NELEM(t); i++) {
		char *a = framed(t[i].one, &rc, &t1), *b;

		assert_int_equal(rc, 0);
		b = framed(t[i].many, &rc, &t2);
		assert_int_equal(rc, 0);
		assert_int_equal(t2, t1);
		assert_true(t1 == TOREV_STREAM || t1 == TOREV_CIRC);
		assert_string_equal(b, a);
		free(a);
		free(b);
	}
	/* The port of an unbracketed v6 name came through the join. */
	{
		char *j = framed(t[1].many, &rc, &t1);

		assert_non_null(strstr(j, "\"target_address\":\"2001:db8::1\","
		    "\"target_port\":443"));
		assert_non_null(strstr(j, "\"socks_username\":\"a b\""));
		free(j);
	}
	/* A data block is no keyword line: the event stays raw. */
	{
		char *j = framed("650+CIRC 7 BUILT\r\nsome data\r\n.\r\n"
		    "650 OK\r\n", &rc, &t1);

		assert_int_equal(rc, 0);
		assert_int_equal(t1, TOREV_OTHER);
		assert_non_null(strstr(j, "\"raw\""));
		free(j);
	}
	/* A malformed multi-line STREAM is an error, not an event. */
	{
		char *j = framed("650-STREAM 49 NEW\r\n650 FOO=\"open\r\n",
		    &rc, &t1);

		assert_int_equal(rc, -1);
		free(j);
	}
}

/* --- targets and paths ----------------------------------------------------- */

static void
test_targets(void **state)
{
	static const struct {
		const char	*target;
		const char	*address;
		int		 port;
	} t[] = {
		{ "127.0.0.1:20180", "127.0.0.1", 20180 },
		{ "[::1]:80", "::1", 80 },
		{ "[2001:db8::1]:443", "2001:db8::1", 443 },
		{ "[2001:db8::1]", "2001:db8::1", -1 },
		/* Unbracketed v6 (a name to Tor): the port after the last colon. */
		{ "2001:db8::1:0", "2001:db8::1", 0 },
		{ "::1:80", "::1", 80 },
		{ "2001:db8::1:443", "2001:db8::1", 443 },
		{ "::1", ":", 1 },
		{ "[::1:80", "[::1", 80 },
		{ "[::1]x:80", "[::1]x", 80 },
		{ "[::1]:x", "[::1]:x", -1 },
		{ "example.com", "example.com", -1 },
		{ "example.com:0", "example.com", 0 },
		{ "example.com:65535", "example.com", 65535 },
		{ "example.com:65536", "example.com:65536", -1 },
		{ "example.com:", "example.com:", -1 },
		{ "example.com:x", "example.com:x", -1 },
		{ "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
		  ":80", "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx"
		  ".onion", 80 },
	};
	struct torev ev;
	struct buf b;
	size_t i;

	(void)state;
	torev_init(&ev);
	buf_init(&b);
	for (i = 0; i < TU_NELEM(t); i++) {
		char *json;

		buf_reset(&b);
		buf_printf(&b, "STREAM 1 SUCCEEDED 2 %s", t[i].target);
		parse_ok(&ev, b.p);
		assert_string_equal(ev.u.stream.target, t[i].target);
		assert_string_equal(ev.u.stream.target_address, t[i].address);
		assert_int_equal(ev.u.stream.target_port, t[i].port);
		json = dump(&ev);
		buf_reset(&b);
		if (t[i].port >= 0)
			buf_printf(&b, "\"target_address\":\"%s\","
			    "\"target_port\":%d,", t[i].address, t[i].port);
		else
			buf_printf(&b, "\"target_address\":\"%s\","
			    "\"target_port\":null,", t[i].address);
		assert_non_null(strstr(json, b.p));
		free(json);
	}
	/* A long target after a short one (the storage grows). */
	buf_reset(&b);
	buf_adds(&b, "STREAM 1 NEW 0 ");
	for (i = 0; i < 300; i++)
		buf_addc(&b, (char)('a' + i % 26));
	buf_adds(&b, ":8080");
	parse_ok(&ev, b.p);
	assert_int_equal(strlen(ev.u.stream.target_address), 300);
	assert_int_equal(ev.u.stream.target_port, 8080);
	buf_free(&b);
	torev_clear(&ev);
}

static void
test_path_forms(void **state)
{
	struct torev ev;
	const struct circ_ev *c = &ev.u.circ;

	(void)state;
	torev_init(&ev);
	parse_ok(&ev, "CIRC 5 EXTENDED $" FP_AUTH1 "~auth1,$" FP_AUTH0 "=auth0,$"
	    FP_EXIT0 ",justnick,$" "16b0637a639faf85a8992c2b11130bdc9e35ff53~"
	    " PURPOSE=GENERAL");
	assert_int_equal(c->npath, 5);
	assert_hop(&c->path[0], FP_AUTH1, "auth1");
	assert_hop(&c->path[1], FP_AUTH0, "auth0");
	assert_hop(&c->path[2], FP_EXIT0, NULL);
	assert_hop(&c->path[3], NULL, "justnick");
	assert_hop(&c->path[4], "16b0637a639faf85a8992c2b11130bdc9e35ff53", "");
	assert_string_equal(c->purpose, "GENERAL");
	assert_dump(&ev, "{\"type\":\"CIRC\",\"id\":\"5\","
	    "\"status\":\"EXTENDED\",\"path\":["
	    "{\"fingerprint\":\"" FP_AUTH1 "\",\"nickname\":\"auth1\"},"
	    "{\"fingerprint\":\"" FP_AUTH0 "\",\"nickname\":\"auth0\"},"
	    "{\"fingerprint\":\"" FP_EXIT0 "\",\"nickname\":null},"
	    "{\"fingerprint\":null,\"nickname\":\"justnick\"},"
	    "{\"fingerprint\":\"16b0637a639faf85a8992c2b11130bdc9e35ff53\","
	    "\"nickname\":\"\"}],\"build_flags\":null,"
	    "\"purpose\":\"GENERAL\",\"hs_state\":null,\"rend_query\":null,"
	    "\"created\":null,\"reason\":null,\"remote_reason\":null,"
	    "\"socks_username\":null,\"socks_password\":null,"
	    "\"conflux_id\":null}");

	/* A long path (more hops than the first reservation). */
	{
		struct buf b;
		size_t i;

		buf_init(&b);
		buf_adds(&b, "CIRC 6 BUILT ");
		for (i = 0; i < 100; i++)
			buf_printf(&b, "%s$" FP_AUTH0 "~n%zu", i ? "," : "", i);
		parse_ok(&ev, b.p);
		assert_int_equal(c->npath, 100);
		assert_hop(&c->path[99], FP_AUTH0, "n99");
		buf_free(&b);
	}

	BAD("CIRC 5 BUILT $ABC~x", "bad fingerprint in path");
	BAD("CIRC 5 BUILT $" FP_AUTH1 "~a,$ABC~x", "bad fingerprint in path");
	BAD("CIRC 5 BUILT $78C017E5490B6E2DB728CA2BF5DA676EA752EC0~a",
	    "bad fingerprint in path");		/* 39 digits */
	BAD("CIRC 5 BUILT $78C017E5490B6E2DB728CA2BF5DA676EA752EC0AB~a",
	    "bad fingerprint in path");		/* 41 digits */
	BAD("CIRC 5 BUILT $78C017E5490B6E2DB728CA2BF5DA676EA752EC0G~a",
	    "bad fingerprint in path");		/* not hex */
	BAD("CIRC 5 BUILT $", "bad fingerprint in path");
	torev_clear(&ev);
}

/* Lists arrive in quoted form too; their decoded commas count. */
static void
test_quoted_lists(void **state)
{
	struct torev ev;
	struct buf b;
	size_t i;

	(void)state;
	torev_init(&ev);
	buf_init(&b);
	buf_adds(&b, "STREAM 1 NEW 0 a:1 ISO_FIELDS=\"");
	for (i = 0; i < 200; i++)
		buf_adds(&b, "X\\054");
	buf_adds(&b, "Y\" BUILD_FLAGS=\"\\054\\054\"");
	parse_ok(&ev, b.p);
	assert_int_equal(ev.u.stream.n_iso_fields, 201);
	assert_string_equal(ev.u.stream.iso_fields[0], "X");
	assert_string_equal(ev.u.stream.iso_fields[199], "X");
	assert_string_equal(ev.u.stream.iso_fields[200], "Y");
	free(dump(&ev));

	buf_reset(&b);
	buf_adds(&b, "CIRC 1 BUILT BUILD_FLAGS=\"");
	for (i = 0; i < 100; i++)
		buf_adds(&b, "\\x2c");
	buf_adds(&b, "\" PURPOSE=GENERAL");
	parse_ok(&ev, b.p);
	assert_int_equal(ev.u.circ.n_build_flags, 101);
	assert_string_equal(ev.u.circ.build_flags[100], "");
	assert_string_equal(ev.u.circ.purpose, "GENERAL");
	free(dump(&ev));
	buf_free(&b);
	torev_clear(&ev);
}

/* --- other events and bad replies ----------------------------------------- */

static void
test_signal_and_other(void **state)
{
	struct torev ev;

	(void)state;
	torev_init(&ev);
	parse_ok(&ev, "SIGNAL NEWNYM");
	assert_int_equal(ev.type, TOREV_SIGNAL);
	assert_string_equal(ev.name, "SIGNAL");
	assert_string_equal(ev.u.signal, "NEWNYM");
	assert_string_equal(ev.raw, "650 SIGNAL NEWNYM");
	assert_dump(&ev, "{\"type\":\"SIGNAL\",\"raw\":\"650 SIGNAL NEWNYM\"}");

	parse_ok(&ev, "SIGNAL RELOAD");
	assert_string_equal(ev.u.signal, "RELOAD");

	parse_ok(&ev, "NOTICE Bootstrapped 100% (done): \"Done\" \\ \001");
	assert_int_equal(ev.type, TOREV_OTHER);
	assert_string_equal(ev.name, "NOTICE");
	assert_dump(&ev, "{\"type\":\"NOTICE\",\"raw\":\"650 NOTICE "
	    "Bootstrapped 100% (done): \\\"Done\\\" \\\\ \\u0001\"}");

	parse_ok(&ev, "STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED");
	assert_int_equal(ev.type, TOREV_OTHER);
	assert_string_equal(ev.name, "STATUS_CLIENT");
	torev_clear(&ev);
}

static void
test_conf_changed(void **state)
{
	struct tu_coll c;
	struct torev ev;
	char *cause;

	(void)state;
	tu_parse_str("650-CONF_CHANGED\r\n650-SocksPort=127.0.0.1:9150 "
	    "IsolateDestAddr\r\n650-SocksPort=9050\r\n650 OK\r\n", &c);
	assert_int_equal(c.n, 1);
	torev_init(&ev);
	assert_int_equal(torev_parse(&c.r[0], &ev, &cause), 0);
	assert_int_equal(ev.type, TOREV_CONF_CHANGED);
	assert_string_equal(ev.name, "CONF_CHANGED");
	assert_string_equal(ev.raw, "650-CONF_CHANGED\n650-SocksPort="
	    "127.0.0.1:9150 IsolateDestAddr\n650-SocksPort=9050\n650 OK");
	assert_dump(&ev, "{\"type\":\"CONF_CHANGED\",\"raw\":\"650-CONF_CHANGED"
	    "\\n650-SocksPort=127.0.0.1:9150 IsolateDestAddr\\n"
	    "650-SocksPort=9050\\n650 OK\"}");
	tu_coll_free(&c);

	/* A multi-line event with a data block keeps it out of raw. */
	tu_parse_str("650+NS\r\nr x\r\n.\r\n650 OK\r\n", &c);
	assert_int_equal(torev_parse(&c.r[0], &ev, &cause), 0);
	assert_int_equal(ev.type, TOREV_OTHER);
	assert_string_equal(ev.raw, "650+NS\n650 OK");
	tu_coll_free(&c);
	torev_clear(&ev);
}

static void
test_bad_replies(void **state)
{
	struct torev ev;
	struct reply r;
	struct reply_line l;
	char *cause;

	(void)state;
	torev_init(&ev);
	tu_event1(&r, &l, "STREAM 1 NEW 0 a:1", 18);
	r.truncated = 1;
	assert_int_equal(torev_parse(&r, &ev, &cause), -1);
	assert_string_equal(cause, "event over the size limit or with NUL "
	    "bytes");
	free(cause);

	tu_event1(&r, &l, "STREAM 1 NEW 0 a:1", 18);
	r.async = 0;
	r.code = l.code = 250;
	assert_int_equal(torev_parse(&r, &ev, &cause), -1);
	assert_string_equal(cause, "not an asynchronous event");
	free(cause);

	tu_event1(&r, &l, "STREAM 1 NEW 0 a:1", 18);
	r.nlines = 0;
	assert_int_equal(torev_parse(&r, &ev, &cause), -1);
	assert_string_equal(cause, "not an asynchronous event");
	free(cause);
	torev_clear(&ev);

	BAD("", "event without a name");
	BAD("   ", "event without a name");
	BAD("KEY=value", "event without a name");
	BAD("STREAM 1 NEW 0", "STREAM event with fewer than 4 arguments");
	BAD("STREAM", "STREAM event with fewer than 4 arguments");
	BAD("CIRC 1", "CIRC event with fewer than 2 arguments");
	BAD("STREAM 1 NEW 0 a:1 X=\"unterminated", "bad quoted value for X");

	/* A NUL inside the text: the framer marks such a reply truncated. */
	{
		struct tu_coll c;
		static const char in[] = "650 STREAM 4 NEW 0 a:1 \0 X=1\r\n";

		tu_parse_all(in, sizeof in - 1, &c);
		assert_int_equal(c.n, 1);
		torev_init(&ev);
		assert_int_equal(torev_parse(&c.r[0], &ev, &cause), -1);
		free(cause);
		torev_clear(&ev);
		tu_coll_free(&c);
	}
}

/* An event other than STREAM/CIRC whose text is not keyword-shaped (a
 * log line with a stray quote) is kept raw, not rejected. */
static void
test_other_unparseable_kept_raw(void **state)
{
	struct torev ev;

	(void)state;
	torev_init(&ev);
	parse_ok(&ev, "WARN Could not open \"C:\\Tor\\torrc");
	assert_int_equal(ev.type, TOREV_OTHER);
	assert_string_equal(ev.name, "WARN");
	assert_string_equal(ev.raw, "650 WARN Could not open \"C:\\Tor\\torrc");
	/* The same shape on STREAM stays an error. */
	parse_bad("STREAM 1 NEW 0 a:1 X=\"open", 26, "bad quoted value for X");
	/* And the torev is still good for the next event. */
	parse_ok(&ev, "STREAM 7 NEW 0 127.0.0.1:80");
	assert_int_equal(ev.type, TOREV_STREAM);
	assert_string_equal(ev.name, "STREAM");
	torev_clear(&ev);
}

/* One torev for many events, good and bad: the same results as a fresh
 * one each time, nothing stale, nothing leaked (ASan, valgrind). */
static void
test_reuse(void **state)
{
	static const char *const extra[] = {
		"STREAM 1 NEW 0 [::1]:80 SOCKS_USERNAME=\"a\\000b\" FOO=1 "
		    "ISO_FIELDS=A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,"
		    "Y,Z,AA,BB,CC,DD,EE,FF,GG,HH",
		"STREAM 1 CLOSED 5 x:1",
		"CIRC 2 BUILT $" FP_AUTH0 "~a,$" FP_AUTH1 "~b X=1 Y=2 Z=3 W=4 V=5",
		"CIRC 2 LAUNCHED",
		"SIGNAL NEWNYM",
		"STREAM x NEW 0 a:1",
		"CIRC 1 BUILT $ABC",
		"NOTICE hello",
		"STREAM 1 NEW 0 a:1 NYM_EPOCH=z",
	};
	struct tu_coll all;
	struct torev ev;
	struct buf in;
	size_t f, i, round;

	(void)state;
	buf_init(&in);
	for (f = 0; f < TU_NSAMPLES; f++) {
		size_t len;
		char *s = tu_read_sample(tu_samples[f], &len);

		buf_add(&in, s, len);
		free(s);
	}
	for (i = 0; i < TU_NELEM(extra); i++)
		buf_printf(&in, "650 %s\r\n", extra[i]);
	buf_adds(&in, "650-CONF_CHANGED\r\n650-A=1\r\n650 OK\r\n");
	tu_parse_all(in.p, in.len, &all);
	buf_free(&in);

	torev_init(&ev);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < all.n; i++) {
			size_t k = (i * 7 + round) % all.n;
			struct torev fresh;
			char *c1 = NULL, *c2 = NULL, *j1, *j2;
			int rc1, rc2;

			if (!all.r[k].async)
				continue;
			torev_init(&fresh);
			rc1 = torev_parse(&all.r[k], &ev, &c1);
			rc2 = torev_parse(&all.r[k], &fresh, &c2);
			assert_int_equal(rc1, rc2);
			if (rc1 == -1) {
				assert_string_equal(c1, c2);
				free(c1);
				free(c2);
				torev_clear(&fresh);
				continue;
			}
			j1 = dump(&ev);
			j2 = dump(&fresh);
			assert_string_equal(j1, j2);
			free(j1);
			free(j2);
			torev_clear(&fresh);
		}
	}
	torev_clear(&ev);
	/* torev_clear leaves it ready for use again. */
	parse_ok(&ev, "SIGNAL NEWNYM");
	torev_clear(&ev);
	torev_clear(&ev);
	tu_coll_free(&all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_all_events),
		cmocka_unit_test(test_samples_listeners),
		cmocka_unit_test(test_stream36_new),
		cmocka_unit_test(test_circ21_built),
		cmocka_unit_test(test_unix_source_addr),
		cmocka_unit_test(test_sample09_status_lines),
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_ids_64bit),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_unknown_keywords),
		cmocka_unit_test(test_keywords_any_order),
		cmocka_unit_test(test_socks_username_binary),
		cmocka_unit_test(test_socks_username_all_bytes),
		cmocka_unit_test(test_multiline_events),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_path_forms),
		cmocka_unit_test(test_quoted_lists),
		cmocka_unit_test(test_signal_and_other),
		cmocka_unit_test(test_conf_changed),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_other_unparseable_kept_raw),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests_name("torev", tests, NULL, NULL);
}
