/*
 * pipeline.c: replies -> typed events -> the live model of the session ->
 * output lines.  The model here is what output needs now: circuits (exit,
 * purpose, conflux set) and open streams; closed ones leave memory at once.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "idmap.h"
#include "log.h"
#include "pipeline.h"
#include "reply.h"
#include "torev.h"
#include "xmalloc.h"

#define PIPELINE_MALFORMED_SHOWN	10

struct circ {
	char	 purpose[32];
	char	 exit_fp[41];
	char	 exit_nick[20];
	char	 conflux[33];
};

struct stream {
	char	*source_addr;
};

struct pipeline {
	struct pipeline_config	 cfg;
	struct torev		 ev;
	struct buf		 line;

	unsigned		 session;
	char			*address;
	char			*method;
	char			*version;
	long			 pid;
	int			 ready;
	unsigned		 pre_attach_streams;
	unsigned		 malformed_session;
	struct idmap		 circs;
	struct idmap		 streams;
	struct pipeline_stats	 stats;
};

struct pipeline *
pipeline_new(const struct pipeline_config *cfg)
{
	struct pipeline *p = xcalloc(1, sizeof *p);

	p->cfg = *cfg;
	torev_init(&p->ev);
	buf_init(&p->line);
	idmap_init(&p->circs);
	idmap_init(&p->streams);
	return p;
}

static void
pipeline_forget(struct pipeline *p)
{
	size_t pos = 0;
	uint64_t id;
	void *v;

	while (idmap_next(&p->circs, &pos, &id, &v))
		free(v);
	pos = 0;
	while (idmap_next(&p->streams, &pos, &id, &v)) {
		struct stream *s = v;

		free(s->source_addr);
		free(s);
	}
	idmap_free(&p->circs);
	idmap_free(&p->streams);
	FREE(p->address);
	FREE(p->method);
	FREE(p->version);
	p->pid = 0;
	p->ready = 0;
	p->pre_attach_streams = 0;
	p->malformed_session = 0;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	pipeline_forget(p);
	torev_clear(&p->ev);
	buf_free(&p->line);
	free(p);
}

void
pipeline_stats(const struct pipeline *p, struct pipeline_stats *st)
{
	*st = p->stats;
}

/* Starts an output line with the time (RFC 3339 UTC, milliseconds). */
static void
line_begin(struct pipeline *p, int64_t ts)
{
	struct tm tm;
	time_t t = (time_t)(ts / 1000000);

	buf_reset(&p->line);
	if (ts <= 0)
		return;
	gmtime_r(&t, &tm);
	buf_printf(&p->line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts % 1000000 / 1000));
}

static void
line_end(struct pipeline *p)
{
	buf_addc(&p->line, '\n');
	fwrite(p->line.p, 1, p->line.len, p->cfg.out);
}

/* Appends " word" made printable. */
static void
line_word(struct pipeline *p, const char *label, const char *s)
{
	if (s == NULL)
		return;
	buf_addc(&p->line, ' ');
	if (label != NULL) {
		buf_adds(&p->line, label);
		buf_addc(&p->line, ' ');
	}
	buf_escape(&p->line, s, strlen(s));
}

static void
line_exit(struct pipeline *p, const struct circ *c)
{
	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only general-purpose circuits end in an exit. */
	if (c->purpose[0] == '\0' || strcmp(c->purpose, "GENERAL") == 0 ||
	    strncmp(c->purpose, "CONFLUX", 7) == 0)
		buf_adds(&p->line, " exit ");
	else
		buf_adds(&p->line, " last hop ");
	if (c->exit_nick[0] != '\0') {
		buf_adds(&p->line, c->exit_nick);
		buf_addc(&p->line, ' ');
	}
	buf_printf(&p->line, "$%.8s", c->exit_fp);
}

static void
copy_field(char *dst, size_t size, const char *s)
{
	size_t i, n = 0;

	/* Only what is safe to print unescaped, cut to size. */
	for (i = 0; s != NULL && s[i] != '\0' && n + 1 < size; i++)
		if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
			dst[n++] = s[i];
	dst[n] = '\0';
}

/* Updates the model; a closing circuit leaves the map and *out is owned
 * by the caller, who frees it when the function returns 1. */
static int
circ_update(struct pipeline *p, const struct circ_ev *e, struct circ **out)
{
	struct circ *c = idmap_get(&p->circs, e->id);
	int closing = strcmp(e->status, "CLOSED") == 0 ||
	    strcmp(e->status, "FAILED") == 0;

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		idmap_put(&p->circs, e->id, c);
	}
	if (e->purpose != NULL)
		copy_field(c->purpose, sizeof c->purpose, e->purpose);
	if (e->conflux_id != NULL)
		copy_field(c->conflux, sizeof c->conflux, e->conflux_id);
	if (e->npath > 0) {
		const struct torev_hop *h = &e->path[e->npath - 1];

		copy_field(c->exit_fp, sizeof c->exit_fp, h->fp);
		copy_field(c->exit_nick, sizeof c->exit_nick, h->nick);
	}
	*out = c;
	if (closing)
		idmap_del(&p->circs, e->id);
	return closing;
}

static void
show_circ(struct pipeline *p, const struct torev *ev)
{
	const struct circ_ev *e = &ev->u.circ;
	struct circ *c;
	int noisy = strcmp(e->status, "LAUNCHED") == 0 ||
	    strcmp(e->status, "EXTENDED") == 0;
	int closing = circ_update(p, e, &c);

	if (!noisy || p->cfg.verbose > 0) {
		line_begin(p, ev->ts_us);
		buf_printf(&p->line, "circ %" PRIu64 " ", e->id);
		buf_escape(&p->line, e->status, strlen(e->status));
		if (c->purpose[0] != '\0')
			buf_printf(&p->line, " %s", c->purpose);
		line_exit(p, c);
		if (c->conflux[0] != '\0')
			buf_printf(&p->line, " conflux %.8s", c->conflux);
		line_word(p, "reason", e->reason);
		line_word(p, "remote", e->remote_reason);
		line_end(p);
	}
	if (closing)
		free(c);
}

static void
show_stream(struct pipeline *p, const struct torev *ev)
{
	const struct stream_ev *e = &ev->u.stream;
	struct stream *s = idmap_get(&p->streams, e->id);
	int closing = strcmp(e->status, "CLOSED") == 0 ||
	    strcmp(e->status, "FAILED") == 0;

	if (s == NULL && !closing) {
		s = xcalloc(1, sizeof *s);
		idmap_put(&p->streams, e->id, s);
	}
	if (s != NULL && e->source_addr != NULL && s->source_addr == NULL)
		s->source_addr = xstrdup(e->source_addr);

	line_begin(p, ev->ts_us);
	buf_printf(&p->line, "stream %" PRIu64 " ", e->id);
	buf_escape(&p->line, e->status, strlen(e->status));
	buf_addc(&p->line, ' ');
	privacy_target(&p->cfg.privacy, &p->line, e->target_address,
	    e->target_port);
	if (e->circ_id != 0) {
		buf_printf(&p->line, " circ %" PRIu64, e->circ_id);
		line_exit(p, idmap_get(&p->circs, e->circ_id));
	}
	if (e->source_addr != NULL)
		line_word(p, "from", e->source_addr);
	else if (s != NULL && s->source_addr != NULL && closing)
		line_word(p, "from", s->source_addr);
	line_word(p, NULL, e->client_protocol);
	if (e->has_session_group)
		buf_printf(&p->line, " group %" PRId64, e->session_group);
	if (e->has_nym_epoch && e->source_addr != NULL)
		buf_printf(&p->line, " epoch %" PRIu64, e->nym_epoch);
	if (e->socks_username.p != NULL) {
		buf_adds(&p->line, " user ");
		privacy_secret(&p->cfg.privacy, &p->line, e->socks_username.p,
		    e->socks_username.n);
	}
	if (e->purpose != NULL && strcmp(e->purpose, "USER") != 0)
		line_word(p, "purpose", e->purpose);
	line_word(p, "reason", e->reason);
	line_word(p, "remote", e->remote_reason);
	line_end(p);

	if (closing && s != NULL) {
		idmap_del(&p->streams, e->id);
		free(s->source_addr);
		free(s);
	}
}

static void
pipeline_malformed(struct pipeline *p, const struct reply *r,
    const char *cause)
{
	char *esc;
	const struct reply_line *l = &r->lines[0];

	p->stats.malformed++;
	/* The framer has reported a cut or NUL-bearing reply already. */
	if (r->truncated)
		return;
	if (++p->malformed_session > PIPELINE_MALFORMED_SHOWN)
		return;
	esc = escape_dup(l->text, l->textlen > 200 ? 200 : l->textlen);
	log_warnx("malformed event from Tor (%s), skipped: %03d%c%s%s", cause,
	    l->code, l->sep, esc, l->textlen > 200 ? "..." : "");
	free(esc);
	if (p->malformed_session == PIPELINE_MALFORMED_SHOWN)
		log_warnx("further malformed events this session are skipped "
		    "without a message");
}

static void
pipeline_event(struct pipeline *p, const struct reply *r, int initial)
{
	struct torev *ev = &p->ev;
	char *cause = NULL;

	if (r->nlines == 0)
		return;
	if (torev_parse(r, ev, &cause) == -1) {
		pipeline_malformed(p, r, cause);
		free(cause);
		return;
	}
	p->stats.events++;
	if (p->cfg.output == PIPELINE_DUMP) {
		if (initial)
			return;
		buf_reset(&p->line);
		torev_dump_json(ev, &p->line);
		buf_addc(&p->line, '\n');
		fwrite(p->line.p, 1, p->line.len, p->cfg.out);
		return;
	}
	switch (ev->type) {
	case TOREV_STREAM:
		p->stats.stream_events++;
		show_stream(p, ev);
		break;
	case TOREV_CIRC: {
		struct circ *c;

		p->stats.circ_events++;
		if (initial) {
			if (circ_update(p, &ev->u.circ, &c))
				free(c);
		} else
			show_circ(p, ev);
		break;
	}
	case TOREV_SIGNAL:
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "signal");
		line_word(p, NULL, ev->u.signal);
		line_end(p);
		break;
	case TOREV_CONF_CHANGED:
		line_begin(p, ev->ts_us);
		buf_adds(&p->line, "Tor's configuration changed");
		line_end(p);
		break;
	default:
		break;
	}
}

/* Feeds each line of a circuit-status data block as a CIRC event. */
static void
pipeline_circuit_status(struct pipeline *p, const char *data, size_t len,
    int64_t ts)
{
	struct reply_line rl;
	struct reply r;
	struct buf b;
	const char *s = data, *end = data + len, *nl;

	buf_init(&b);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if (nl > s) {
			buf_reset(&b);
			buf_adds(&b, "CIRC ");
			buf_add(&b, s, (size_t)(nl - s));
			memset(&r, 0, sizeof r);
			rl.code = 650;
			rl.sep = ' ';
			rl.text = b.p;
			rl.textlen = b.len;
			rl.data = NULL;
			rl.datalen = 0;
			r.code = 650;
			r.async = 1;
			r.ts_us = ts;
			r.nlines = 1;
			r.lines = &rl;
			pipeline_event(p, &r, 1);
		}
		s = nl + 1;
	}
	buf_free(&b);
}

static unsigned
count_lines(const char *data, size_t len)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] == '\n')
			n++;
	return len > 0 && data[len - 1] != '\n' ? n + 1 : n;
}

/* Takes what it knows from replies to GETINFO/GETCONF, by their keys. */
static void
pipeline_command_reply(struct pipeline *p, const struct reply *r)
{
	size_t i;

	if (r->code != 250)
		return;
	for (i = 0; i < r->nlines; i++) {
		const struct reply_line *l = &r->lines[i];
		const char *eq = memchr(l->text, '=', l->textlen);
		size_t klen;

		if (eq == NULL)
			continue;
		klen = (size_t)(eq - l->text);
		if (klen == 7 && strncmp(l->text, "version", 7) == 0) {
			free(p->version);
			p->version = escape_dup(eq + 1, strcspn(eq + 1, " "));
		} else if (klen == 11 &&
		    strncmp(l->text, "process/pid", 11) == 0) {
			p->pid = strtol(eq + 1, NULL, 10);
		} else if (klen == 14 &&
		    strncmp(l->text, "circuit-status", 14) == 0 &&
		    l->data != NULL) {
			pipeline_circuit_status(p, l->data, l->datalen,
			    r->ts_us);
		} else if (klen == 13 &&
		    strncmp(l->text, "stream-status", 13) == 0 &&
		    l->data != NULL) {
			p->pre_attach_streams = count_lines(l->data,
			    l->datalen);
		}
	}
}

void
pipeline_reply(struct pipeline *p, const struct reply *r)
{
	if (r->async)
		pipeline_event(p, r, 0);
	else
		pipeline_command_reply(p, r);
}

void
pipeline_session_start(struct pipeline *p, unsigned serial, const char *addr,
    const char *method, int64_t ts)
{
	(void)ts;
	pipeline_forget(p);
	p->session = serial;
	p->stats.sessions++;
	p->address = escape_dup(addr, strlen(addr));
	p->method = escape_dup(method, strlen(method));
}

void
pipeline_session_ready(struct pipeline *p, unsigned serial, int64_t ts)
{
	if (p->cfg.output != PIPELINE_LINES)
		return;
	p->ready = 1;
	line_begin(p, ts);
	buf_printf(&p->line, "attached to Tor %s", p->version ?
	    p->version : "(version unknown)");
	if (p->pid > 0)
		buf_printf(&p->line, " (pid %ld)", p->pid);
	buf_printf(&p->line, " at %s with %s, Tor session %u: %zu circuits "
	    "open, %u streams open before attach (unattributed)",
	    p->address ? p->address : "?", p->method ? p->method : "?",
	    serial, p->circs.n, p->pre_attach_streams);
	line_end(p);
}

void
pipeline_session_end(struct pipeline *p, unsigned serial, const char *why,
    int64_t ts)
{
	if (p->cfg.output == PIPELINE_LINES) {
		line_begin(p, ts);
		buf_printf(&p->line, "Tor session %u ended:", serial);
		line_word(p, NULL, why);
		line_end(p);
	}
	pipeline_forget(p);
}
