/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * smuggle.c: holds back the lines a SOCKS client may have smuggled into
 * Tor's events through a name Tor rejected (see smuggle.h).
 */
#define ISOAUDIT_PRIVATE
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reply.h"
#include "smuggle.h"
#include "xmalloc.h"

struct held {
	size_t	 off;		/* in text */
	size_t	 len;
};

/* A rejection's kind: which keywords Tor writes after the client's bytes. */
enum kind {
	KIND_SOCKS = 1,		/* CLOSED 0, FAILED 0: ":PORT REASON=..." */
	KIND_DNS		/* NEWRESOLVE 0: ":0 SOURCE_ADDR=...
				   PURPOSE=DNS_REQUEST ..." */
};

#define SMUGGLE_DNS_IDS	64	/* DNS names awaiting their CLOSED 0 */

struct smuggle {
	struct reply_parser	*rp;
	smuggle_found_fn	 fn;
	void			*arg;

	int			 open;
	int64_t			 ts;	/* of the read that brought it */
	enum kind		 kind;	/* the window's rejection */
	uint64_t		 stream;
	int			 whole;	/* the rejection's line has a port */
	size_t			 used;	/* the client's bytes so far, at least */
	struct buf		 text;	/* the rejection, then held lines */
	struct held		*lines;	/* [0]: the rejection */
	size_t			 nlines;
	size_t			 cap;
	long			 cand;	/* the last line with Tor's keywords */
	long			 cand_at;	/* where they begin in it */
	uint64_t		 max_id;	/* the highest stream id seen */
	uint64_t		 last_id;	/* the run's last rejection */
	int			 run;	/* a run of whole, new rejections */
	int			 next_unsure;	/* set for the lines of a run */
	int			 first_unsure;	/* the window's first line */
	/*
	 * Streams whose NEWRESOLVE 0 opened a window: Tor writes a DNS name
	 * again, raw, in the stream's CLOSED 0 (REASON=TORPROTOCOL), after
	 * the stream was seen.
	 */
	uint64_t		 dns[SMUGGLE_DNS_IDS];
	unsigned		 ndns;		/* next slot, mod the size */
};

static int	smuggle_take(struct smuggle *, const char *, size_t, int64_t);

static int
prefix(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && memcmp(s, p, k) == 0;
}

/*
 * The id of a "650 STREAM N ..." line into *id: the index after its
 * digits, or 0 when the line is no such line.
 */
static size_t
stream_id(const char *s, size_t n, uint64_t *id)
{
	size_t i = 11;

	if (!prefix(s, n, "650 STREAM "))
		return 0;
	*id = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9' && i < 31; i++)
		*id = *id * 10 + (uint64_t)(s[i] - '0');
	return i > 11 ? i : 0;
}

/* A rejection's kind (0: none), its *stream and *rest (where the
 * client's bytes begin). */
static enum kind
rejection(const char *s, size_t n, uint64_t *stream, size_t *rest)
{
	static const struct {
		const char	*st;
		enum kind	 kind;
	} st[] = {
		{ "CLOSED 0 ", KIND_SOCKS }, { "FAILED 0 ", KIND_SOCKS },
		{ "NEWRESOLVE 0 ", KIND_DNS }
	};
	size_t i, k;
	uint64_t id;

	if ((i = stream_id(s, n, &id)) == 0 || i >= n || s[i] != ' ')
		return 0;
	i++;
	for (k = 0; k < sizeof st / sizeof st[0]; k++)
		if (prefix(s + i, n - i, st[k].st)) {
			*stream = id;
			*rest = i + strlen(st[k].st);
			return st[k].kind;
		}
	return 0;
}

int
smuggle_rejection(const char *s, size_t n, uint64_t *stream, size_t *rest)
{
	return rejection(s, n, stream, rest) != 0;
}

/*
 * Tor's keywords of a rejection of this kind (0: either) at s[0..n):
 * ":PORT " and the first keyword (a rejected SOCKS name's REASON, or a
 * DNS request's SOURCE_ADDR with PURPOSE=DNS_REQUEST after it), and
 * CLIENT_PROTOCOL= after them.  A NEW event's ":PORT SOURCE_ADDR=" (any
 * client's, PURPOSE=USER) is no rejection's tail: taken for one, a DNS
 * query followed in the same read by the next client's NEW was reported
 * as an injection and the NEW dropped.
 */
static int
tail_here(const char *s, size_t n, enum kind kind)
{
	size_t i = 1;

	if (n < 2 || s[0] != ':')
		return 0;
	while (i < n && i < 7 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 1 || i >= n || s[i] != ' ')
		return 0;
	i++;
	if (kind != KIND_DNS && (prefix(s + i, n - i,
	    "REASON=SOCKS_PROTOCOL ") || prefix(s + i, n - i,
	    "REASON=TORPROTOCOL ")))
		return memmem(s + i, n - i, " CLIENT_PROTOCOL=", 17) != NULL;
	if (kind != KIND_SOCKS && prefix(s + i, n - i, "SOURCE_ADDR=")) {
		const char *dns = memmem(s + i, n - i,
		    " PURPOSE=DNS_REQUEST ", 21);

		return dns != NULL && memmem(dns, n - (size_t)(dns - s),
		    " CLIENT_PROTOCOL=", 17) != NULL;
	}
	return 0;
}

static long
tail_at(const char *s, size_t n, size_t limit, enum kind kind)
{
	size_t i;

	for (i = limit < n ? limit + 1 : n; i-- > 0;)
		if (s[i] == ':' && tail_here(s + i, n - i, kind))
			return (long)i;
	return -1;
}

long
smuggle_tail_at(const char *s, size_t n, size_t limit)
{
	return tail_at(s, n, limit, 0);
}

/* Whether stream id's NEWRESOLVE 0 opened a window; forgotten when asked
 * with forget (its CLOSED 0 came). */
static int
dns_seen(struct smuggle *f, uint64_t id, int forget)
{
	size_t i;

	for (i = 0; i < SMUGGLE_DNS_IDS; i++)
		if (f->dns[i] == id && id != 0) {
			if (forget)
				f->dns[i] = 0;
			return 1;
		}
	return 0;
}

/* Whether the rejection's target (its first word) ends in ":PORT". */
static int
has_port(const char *s, size_t n)
{
	size_t w = 0, i;

	while (w < n && s[w] != ' ')
		w++;
	for (i = w; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		;
	return i < w && i > 0 && s[i - 1] == ':';
}

static void
hold(struct smuggle *f, const char *s, size_t n)
{
	if (f->nlines == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->lines = xreallocarray(f->lines, f->cap, sizeof *f->lines);
	}
	f->lines[f->nlines].off = f->text.len;
	f->lines[f->nlines].len = n;
	f->nlines++;
	buf_add(&f->text, s, n);
}

/* Ends the window: an injection, or every line on to the parser. */
static void
decide(struct smuggle *f)
{
	struct smuggle_found r;
	struct buf text;
	struct held *lines;
	size_t n, i, first = 0;
	int64_t ts = f->ts;

	if (!f->open)
		return;
	f->open = 0;
	/* Taken out: a line given back may open the next window. */
	text = f->text;
	lines = f->lines;
	n = f->nlines;
	buf_init(&f->text);
	f->lines = NULL;
	f->nlines = f->cap = 0;
	/*
	 * A run of rejections each whole (Tor's keywords on its own line),
	 * each of a stream newer than any seen (Tor numbers streams in
	 * order, and rejects a name before any other event of its stream):
	 * a burst of DNS queries or bad names, Tor's own.  What a client
	 * could smuggle so closes or fails no stream isoaudit knows.
	 */
	if ((f->cand > 0 && !f->run) || !f->whole) {
		memset(&r, 0, sizeof r);
		r.stream = f->stream;
		r.ts = ts;
		if (f->cand > 0) {
			const struct held *c = &lines[f->cand];

			r.tail = text.p + c->off + f->cand_at;
			r.tail_len = c->len - (size_t)f->cand_at;
			r.lines = (unsigned)f->cand;
			first = (size_t)f->cand + 1;
		} else {
			/* Cut without Tor's keywords in reach: all of it. */
			r.lines = (unsigned)(n - 1);
			first = n;
		}
		if (f->fn != NULL)
			f->fn(&r, f->arg);
	} else {
		/* Tor's rejection, whole: on to the parser (the second and
		 * later of a run: unsure, see smuggle_found). */
		if (f->first_unsure && f->fn != NULL) {
			memset(&r, 0, sizeof r);
			r.stream = f->stream;
			r.ts = ts;
			r.unsure = 1;
			f->fn(&r, f->arg);
		}
		reply_parser_pass(f->rp, text.p, lines[0].len, ts);
		first = 1;
		f->next_unsure = f->cand > 0;
	}
	/* The lines after may hold the next rejection. */
	for (i = first; i < n; i++)
		if (!smuggle_take(f, text.p + lines[i].off, lines[i].len, ts))
			reply_parser_pass(f->rp, text.p + lines[i].off,
			    lines[i].len, ts);
	f->next_unsure = 0;
	buf_free(&text);
	free(lines);
}

static int
smuggle_take(struct smuggle *f, const char *s, size_t n, int64_t ts)
{
	uint64_t id;
	size_t rest;
	enum kind k;
	long at;

	if (f->open && ts != f->ts)
		decide(f);
	if (f->open) {
		/* Starts within the client's bytes: may be theirs. */
		at = tail_at(s, n, SMUGGLE_NAME_MAX - f->used, f->kind);
		if (at >= 0) {
			f->cand = (long)f->nlines;
			f->cand_at = at;
		}
		if (f->run) {
			if ((k = rejection(s, n, &id, &rest)) != 0 &&
			    id > f->last_id &&
			    tail_at(s + rest, n - rest, n - rest, k) >= 0)
				f->last_id = id;
			else
				f->run = 0;
		}
		hold(f, s, n);
		/* A line ends with one byte at least (LF). */
		f->used += n + 1;
		if (f->used > SMUGGLE_NAME_MAX)
			decide(f);
		return 1;
	}
	/*
	 * Tor writes a reply whole: an event inside another is not Tor's
	 * rejection (nor in a data block).  Tor rejects a name before any
	 * other event of its stream, so a CLOSED 0 of a stream already seen
	 * (a client gone before its stream was attached: its name was taken,
	 * in its NEW) is no rejection either; but a DNS name Tor reported in
	 * a NEWRESOLVE 0 comes again, raw, in the stream's CLOSED 0.
	 */
	if (!reply_parser_idle(f->rp) ||
	    (k = rejection(s, n, &id, &rest)) == 0 ||
	    (id <= f->max_id && !(k == KIND_SOCKS && dns_seen(f, id, 1))) ||
	    n - rest + 1 > SMUGGLE_NAME_MAX) {
		if (reply_parser_idle(f->rp) && stream_id(s, n, &id) &&
		    id > f->max_id)
			f->max_id = id;
		return 0;
	}
	if (k == KIND_DNS) {
		f->dns[f->ndns % SMUGGLE_DNS_IDS] = id;
		f->ndns++;
	}
	f->kind = k;
	f->stream = id;
	f->first_unsure = f->next_unsure;
	f->next_unsure = 0;
	f->run = tail_at(s + rest, n - rest, n - rest, k) >= 0;
	f->last_id = f->stream;
	if (f->stream > f->max_id)
		f->max_id = f->stream;
	f->open = 1;
	f->ts = ts;
	f->used = n - rest + 1;
	/* Tor's whole line has a port, or its keywords. */
	f->whole = has_port(s + rest, n - rest) ||
	    tail_at(s + rest, n - rest, n - rest, k) >= 0;
	f->cand = -1;
	f->cand_at = 0;
	hold(f, s, n);
	return 1;
}

static int
smuggle_filter(const char *s, size_t n, int64_t ts, void *arg)
{
	return smuggle_take(arg, s, n, ts);
}

struct smuggle *
smuggle_new(struct reply_parser *rp, smuggle_found_fn fn, void *arg)
{
	struct smuggle *f = xcalloc(1, sizeof *f);

	f->rp = rp;
	f->fn = fn;
	f->arg = arg;
	buf_init(&f->text);
	reply_parser_set_filter(rp, smuggle_filter, f);
	return f;
}

void
smuggle_end_read(struct smuggle *f)
{
	/* A line given back by decide() may open the next window: the read
	 * is over for it too. */
	while (f != NULL && f->open)
		decide(f);
}

int
smuggle_holding(const struct smuggle *f)
{
	return f != NULL && f->open;
}

void
smuggle_reset(struct smuggle *f)
{
	if (f == NULL)
		return;
	f->open = 0;
	buf_reset(&f->text);
	f->nlines = 0;
	f->max_id = 0;		/* a new Tor numbers from 1 again */
	memset(f->dns, 0, sizeof f->dns);
}

void
smuggle_free(struct smuggle *f)
{
	if (f == NULL)
		return;
	buf_free(&f->text);
	free(f->lines);
	free(f);
}
