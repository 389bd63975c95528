/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pipeline_inject.c: CONTROL_INJECTION: lines a SOCKS client smuggled
 * into Tor's events through a hostname change nothing.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attrib.h"
#include "buf.h"
#include "config.h"
#include "fnv.h"
#include "idmap.h"
#include "judge.h"
#include "log.h"
#include "pipeline.h"
#include "reply.h"
#include "store.h"
#include "timeutil.h"
#include "torev.h"
#include "xmalloc.h"
#include "pipeline_int.h"

/* --- CONTROL_INJECTION ---------------------------------------------------- */

/*
 * Tor writes every target as "%s:%d" (255 bytes at most), and copies a
 * SOCKS hostname it rejects raw into the STREAM event: a target without a
 * port that is not cut at the limit was cut by a line break in it
 * (docs/isolation.md).  What follows in the same read, up to the line that
 * ends Tor's event (no reply line: the rest of the target, then Tor's
 * keywords), was written by the SOCKS client: it changes nothing.
 */
int
pl_inject_begins(struct pipeline *p, const struct torev *ev,
    const struct reply *r)
{
	const struct stream_ev *e = &ev->u.stream;

	if (e->target == NULL || e->target_port >= 0 ||
	    strlen(e->target) >= 255)
		return 0;
	p->inj.active = 1;
	p->inj.ts = r->ts_us;
	p->inj.stream = e->id;
	p->inj.lines = 0;
	p->inj.has_tail = 0;
	p->inj.tail_len = 0;
	return 1;
}

/* The value of the last " KEY=" in s[0..n) (Tor's, after the client's
 * bytes), up to a space, into out; "" when none. */
static void
inject_last_value(const char *s, size_t n, const char *key, char *out,
    size_t len)
{
	size_t k = strlen(key), i, j;

	out[0] = '\0';
	for (i = n; i-- > 0;)
		if (s[i] == ' ' && i + 1 + k <= n &&
		    memcmp(s + i + 1, key, k) == 0) {
			struct buf b;

			for (j = i + 1 + k; j < n && s[j] != ' '; j++)
				;
			buf_init(&b);
			buf_escape(&b, s + i + 1 + k, j - (i + 1 + k));
			if (b.len < len)
				snprintf(out, len, "%s", buf_cstr(&b));
			buf_free(&b);
			return;
		}
}

/* The injection is over: its tail (or NULL) names the listener. */
void
pl_inject_end(struct pipeline *p, const char *tail, size_t n, int64_t ts)
{
	char group[24], client[80], listener[96];
	const char *l = NULL;
	char *end;
	long g;

	p->inj.active = 0;
	pl_xc_suspect(p);	/* and see what Tor itself says */
	listener[0] = client[0] = '\0';
	if (tail != NULL) {
		inject_last_value(tail, n, "SESSION_GROUP=", group,
		    sizeof group);
		inject_last_value(tail, n, "SOURCE_ADDR=", client,
		    sizeof client);
		g = strtol(group, &end, 10);
		if (group[0] != '\0' && *end == '\0') {
			if ((l = pl_groups_find(p, g)) != NULL)
				snprintf(listener, sizeof listener, "%s", l);
			else
				snprintf(listener, sizeof listener,
				    "session group %ld", g);
		}
	}
	log_warnx("a SOCKS client smuggled %u line%s into Tor's events "
	    "through a hostname (stream %" PRIu64 "%s%s): ignored",
	    p->inj.lines, p->inj.lines == 1 ? "" : "s", p->inj.stream,
	    listener[0] ? ", " : "", listener);
	if (p->judge != NULL)
		judge_control_injection(p->judge, listener, client,
		    p->inj.stream, p->inj.lines, ts);
}

const char *
pipeline_withhold(const struct pipeline *p)
{
	return p->cfg.privacy.mode == LOG_TARGETS_PLAIN ? NULL :
	    privacy_mode_name(p->cfg.privacy.mode);
}

void
pipeline_injection(struct pipeline *p, uint64_t stream, unsigned lines,
    const char *tail, size_t n, int64_t ts)
{
	if (p->inj.active)
		pl_inject_close(p);
	p->inj.stream = stream;
	p->inj.lines = lines;
	p->stats.smuggled += lines;
	pl_inject_end(p, tail, n, ts);
}

void
pipeline_unsure(struct pipeline *p)
{
	p->unsure = 1;
	p->stats.unsure++;
}

/* Ends an open injection at its last tail (the one Tor wrote). */
void
pl_inject_close(struct pipeline *p)
{
	if (p->inj.has_tail)
		pl_inject_end(p, p->inj.tail, p->inj.tail_len, p->inj.ts);
	else
		pl_inject_end(p, NULL, 0, p->inj.ts);
}

/*
 * A reply (an event, or what looks like a command's reply) while an
 * injection is open: smuggled (1) if of the same read.  Everything of that
 * read is: the client chose where its lines end, and may have written a
 * line that looks like Tor's tail before more lines of its own (so the
 * first line that is no reply does not end it).  Tor's genuine events of
 * the same read are lost with them (counted as smuggled).
 */
int
pl_inject_smuggled(struct pipeline *p, const struct reply *r)
{
	if (r->ts_us == p->inj.ts) {
		p->inj.lines += (unsigned)r->nlines;
		p->stats.smuggled += r->nlines;
		return 1;
	}
	pl_inject_close(p);
	return 0;
}

/*
 * A line that is no reply while an injection is open: Tor's tail, or one
 * the client wrote to look like it; only the last of the read is Tor's.
 */
void
pipeline_not_reply(struct pipeline *p, const char *s, size_t n)
{
	size_t keep;

	if (!p->inj.active)
		return;
	if (p->inj.has_tail) {
		p->inj.lines++;
		p->stats.smuggled++;
	}
	/* Tor's keywords end the line: a long one keeps its end. */
	keep = n > sizeof p->inj.tail ? sizeof p->inj.tail : n;
	memcpy(p->inj.tail, s + (n - keep), keep);
	p->inj.tail_len = keep;
	p->inj.has_tail = 1;
}
