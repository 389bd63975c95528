/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * reply.c: control-port framing and keyword parsing.  No I/O: bytes in,
 * replies out through a callback.  Nothing Tor sends can make it abort;
 * whatever breaks a rule is reported through the error callback and the
 * parser carries on with the next line.
 */
#define ISOAUDIT_PRIVATE

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reply.h"
#include "swar.h"
#include "xmalloc.h"

struct pending {
	struct reply	 r;
	size_t		 cap;
	size_t		 size;
	int		 active;
	int		 reported;	/* a limit was reported for this reply */
	struct buf	 text0;		/* the first line's text, kept */
};

struct reply_parser {
	reply_fn	 fn;
	reply_err_fn	 err;
	reply_line_fn	 hook;
	reply_filter_fn	 filter;	/* may hold a line back (smuggle.c) */
	void		*filter_arg;
	void		*arg;

	struct buf	 line;		/* partial line from feed() */
	int		 overlong;	/* line went over the limit: cut */

	struct pending	 sync;		/* 1xx-5xx: replies to commands */
	struct pending	 async;		/* 6xx: events */
	struct pending	*in_data;	/* whose data block is being read */
	struct buf	 data;
	size_t		 ndata;		/* lines in it so far */
};

struct reply_parser *
reply_parser_new(reply_fn fn, reply_err_fn err, void *arg)
{
	struct reply_parser *p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->err = err;
	p->arg = arg;
	buf_init(&p->line);
	buf_init(&p->data);
	return p;
}

void
reply_parser_set_line_hook(struct reply_parser *p, reply_line_fn fn)
{
	p->hook = fn;
}

void
reply_parser_set_filter(struct reply_parser *p, reply_filter_fn fn,
    void *arg)
{
	p->filter = fn;
	p->filter_arg = arg;
}

int
reply_parser_in_data(const struct reply_parser *p)
{
	return p->in_data != NULL;
}

int
reply_parser_idle(const struct reply_parser *p)
{
	return p->in_data == NULL && !p->sync.active && !p->async.active;
}

/*
 * Forgets the reply.  The line array and the first line's storage are
 * kept for the next one (almost every event is one line: no allocation
 * for it), unless they grew large.
 */
static void
pending_clear(struct pending *pd)
{
	struct reply_line *lines = pd->r.lines;
	struct buf text0 = pd->text0;
	size_t i, cap = pd->cap;

	for (i = 0; i < pd->r.nlines; i++) {
		if (lines[i].text != text0.p)
			free(lines[i].text);
		free(lines[i].data);
	}
	if (cap > 16) {
		free(lines);
		lines = NULL;
		cap = 0;
	}
	if (text0.cap > 65536)
		buf_free(&text0);
	memset(pd, 0, sizeof *pd);
	pd->r.lines = lines;
	pd->cap = cap;
	pd->text0 = text0;
}

static void
pending_free(struct pending *pd)
{
	pending_clear(pd);
	free(pd->r.lines);
	buf_free(&pd->text0);
	memset(pd, 0, sizeof *pd);
}

void
reply_parser_reset(struct reply_parser *p)
{
	pending_clear(&p->sync);
	pending_clear(&p->async);
	p->in_data = NULL;
	buf_reset(&p->data);
	buf_reset(&p->line);
	p->overlong = 0;
}

void
reply_parser_free(struct reply_parser *p)
{
	if (p == NULL)
		return;
	reply_parser_reset(p);
	pending_free(&p->sync);
	pending_free(&p->async);
	buf_free(&p->line);
	buf_free(&p->data);
	free(p);
}

static void
parser_error(struct reply_parser *p, const char *what, const char *s, size_t n)
{
	if (p->err != NULL)
		p->err(what, s, n, p->arg);
}

/* Marks pd as truncated, reporting it once per reply. */
static void
pending_truncate(struct reply_parser *p, struct pending *pd, const char *what,
    const char *s, size_t n)
{
	pd->r.truncated = 1;
	if (!pd->reported) {
		pd->reported = 1;
		parser_error(p, what, s, n);
	}
}

static int
pending_full(const struct pending *pd, size_t more)
{
	return pd->r.nlines >= REPLY_MAX_LINES ||
	    pd->size + more > REPLY_MAX_SIZE;
}

static void
data_end(struct reply_parser *p)
{
	struct pending *pd = p->in_data;
	struct reply_line *rl;

	p->in_data = NULL;
	/*
	 * The block is the last line's only if that is the '+' line that
	 * opened it: when that line was dropped (over a limit, the reply is
	 * marked truncated), the last one is an earlier line, which must
	 * neither get this data nor lose (leak) its own.
	 */
	if (pd->r.nlines > 0) {
		rl = &pd->r.lines[pd->r.nlines - 1];
		if (rl->sep == '+' && rl->data == NULL) {
			rl->data = xstrndup(p->data.len ? p->data.p : "",
			    p->data.len);
			rl->datalen = p->data.len;
		}
	}
	buf_reset(&p->data);
}

static void
data_line(struct reply_parser *p, const char *s, size_t n, int cut)
{
	struct pending *pd = p->in_data;

	if (n == 1 && s[0] == '.' && !cut) {
		data_end(p);
		return;
	}
	if (n > 0 && s[0] == '.') {
		s++;
		n--;
	}
	if (cut || memchr(s, '\0', n) != NULL) {
		pending_truncate(p, pd, cut ? "line too long in data block" :
		    "NUL byte in data block", s, n);
		return;
	}
	if (pending_full(pd, n + 1)) {
		pending_truncate(p, pd, "reply too large, truncated", s, n);
		return;
	}
	/* Joined by '\n': an empty first line counts too. */
	if (p->ndata++ > 0)
		buf_addc(&p->data, '\n');
	buf_add(&p->data, s, n);
	pd->size += n + 1;
}

static void
parser_line(struct reply_parser *p, const char *s, size_t n, int64_t ts,
    int cut)
{
	struct pending *pd;
	struct reply_line *rl;
	const char *nul;
	int code;
	char sep;

	if (p->in_data != NULL) {
		data_line(p, s, n, cut);
		return;
	}
	if (n < 3 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' ||
	    (n > 3 && s[3] != ' ' && s[3] != '-' && s[3] != '+')) {
		parser_error(p, cut ? "line too long and malformed" :
		    "malformed line", s, n);
		return;
	}
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	sep = n > 3 ? s[3] : ' ';
	pd = code / 100 == 6 ? &p->async : &p->sync;
	if (!pd->active) {
		pd->active = 1;
		pd->r.async = code / 100 == 6;
	}
	s += n > 3 ? 4 : 3;
	n -= n > 3 ? 4 : 3;
	if ((nul = memchr(s, '\0', n)) != NULL) {
		pending_truncate(p, pd, "NUL byte in line", s - 4, n + 4);
		n = (size_t)(nul - s);
	}
	if (cut)
		pending_truncate(p, pd, "line too long, truncated", s - 4,
		    n + 4);
	if (pending_full(pd, n)) {
		pending_truncate(p, pd, "reply too large, truncated", s, n);
	} else {
		if (pd->r.nlines == pd->cap) {
			pd->cap = pd->cap ? pd->cap * 2 : 4;
			pd->r.lines = xreallocarray(pd->r.lines, pd->cap,
			    sizeof *pd->r.lines);
		}
		rl = &pd->r.lines[pd->r.nlines++];
		rl->code = code;
		rl->sep = sep;
		if (pd->r.nlines == 1) {
			buf_reset(&pd->text0);
			buf_add(&pd->text0, s, n);
			rl->text = pd->text0.p;
		} else
			rl->text = xstrndup(s, n);
		rl->textlen = n;
		rl->data = NULL;
		rl->datalen = 0;
		pd->size += n;
	}
	if (sep == '+') {
		p->in_data = pd;
		buf_reset(&p->data);
		p->ndata = 0;
		return;
	}
	if (sep != ' ')
		return;
	pd->r.code = code;
	pd->r.ts_us = ts;
	if (p->fn != NULL)
		p->fn(&pd->r, p->arg);
	pending_clear(pd);
}

void
reply_parser_line(struct reply_parser *p, const char *s, size_t n, int64_t ts)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (p->hook != NULL)
		p->hook(s, n, ts, p->arg);
	if (p->filter != NULL && p->filter(s, n, ts, p->filter_arg))
		return;
	reply_parser_pass(p, s, n, ts);
}

void
reply_parser_pass(struct reply_parser *p, const char *s, size_t n, int64_t ts)
{
	int cut = 0;

	if (n > REPLY_MAX_LINE) {
		n = REPLY_MAX_LINE;
		cut = 1;
	}
	parser_line(p, s, n, ts, cut);
}

void
reply_parser_feed(struct reply_parser *p, const char *s, size_t n, int64_t ts)
{
	const char *nl;
	size_t take;

	while (n > 0) {
		nl = memchr(s, '\n', n);
		take = nl != NULL ? (size_t)(nl - s) : n;
		if (p->line.len == 0 && nl != NULL && !p->overlong) {
			/* Whole line in the input: no copy. */
			reply_parser_line(p, s, take, ts);
		} else {
			size_t room = REPLY_MAX_LINE + 1 - p->line.len;

			if (take > room) {
				buf_add(&p->line, s, room);
				p->overlong = 1;
			} else
				buf_add(&p->line, s, take);
			if (nl != NULL) {
				/* reply_parser_line cuts at the limit. */
				reply_parser_line(p, p->line.p, p->line.len,
				    ts);
				buf_reset(&p->line);
				p->overlong = 0;
			}
		}
		if (nl == NULL)
			break;
		take++;
		s += take;
		n -= take;
	}
}

int
reply_unquote(const char *s, size_t len, char *out, size_t *outlen,
    size_t *consumed)
{
	size_t i = 1, o = 0;

	if (len == 0 || s[0] != '"')
		return -1;
	while (i < len) {
		char c = s[i];

		if (c == '"') {
			*outlen = o;
			*consumed = i + 1;
			return 0;
		}
		if (c != '\\') {
			out[o++] = c;
			i++;
			continue;
		}
		if (++i >= len)
			return -1;
		c = s[i];
		switch (c) {
		case 'n': out[o++] = '\n'; i++; break;
		case 't': out[o++] = '\t'; i++; break;
		case 'r': out[o++] = '\r'; i++; break;
		case '\\': case '"': case '\'':
			out[o++] = c;
			i++;
			break;
		case 'x': {
			int v = 0, k;

			for (k = 1; k <= 2; k++) {
				char h = i + k < len ? s[i + k] : '\0';

				v <<= 4;
				if (h >= '0' && h <= '9')
					v |= h - '0';
				else if (h >= 'a' && h <= 'f')
					v |= h - 'a' + 10;
				else if (h >= 'A' && h <= 'F')
					v |= h - 'A' + 10;
				else
					return -1;
			}
			out[o++] = (char)v;
			i += 3;
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				int v = 0, k;

				for (k = 0; k < 3 && i < len &&
				    s[i] >= '0' && s[i] <= '7'; k++, i++)
					v = v * 8 + (s[i] - '0');
				if (v > 255)
					return -1;
				out[o++] = (char)v;
			} else
				return -1;
		}
	}
	return -1;
}

/*
 * Byte classes of the keyword parser: KV_END ends a word (space, quote),
 * KV_KEY may be in a key, KV_START may begin one.  Bytes >= 0x80 are none.
 */
#define KV_END		1
#define KV_KEY		2
#define KV_START	4

static const unsigned char kv_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 6,
	0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0,
};

/* The first space or quote in w[i..len), or len: 8 bytes a step. */
static inline size_t
word_end(const char *w, size_t i, size_t len)
{
	uint64_t x, m;

	for (; SWAR_OK && i + 8 <= len; i += 8) {
		x = swar_load(w + i);
		if ((m = swar_eq(x, ' ') | swar_eq(x, '"')) != 0)
			return i + swar_first(m);
	}
	while (i < len && !(kv_class[(unsigned char)w[i]] & KV_END))
		i++;
	return i;
}

static int
kv_is_key(const char *s, size_t n, size_t *eq)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (n == 0 || !(kv_class[u[0]] & KV_START))
		return 0;
	for (i = 1; i < n && (kv_class[u[i]] & KV_KEY); i++)
		;
	if (i < n && u[i] == '=') {
		*eq = i;
		return 1;
	}
	return 0;
}

static struct kv *
kv_push(struct kvlist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	return &l->v[l->n++];
}

/*
 * Makes l->scratch hold at least need bytes.  The storage is kept from
 * line to line, unless it grew past 64 KiB (a bounded size).
 */
static void
kv_scratch(struct kvlist *l, size_t need)
{
	if (l->scratchcap < need || l->scratchcap > 65536) {
		free(l->scratch);
		l->scratchcap = need < 256 ? 256 : need;
		l->scratch = xmalloc(l->scratchcap);
	}
}

/*
 * The first set bit of the bitmap m in [i, end), or end when none: the
 * blocks up to end's only are looked at.
 */
static inline size_t
bits_next(const uint64_t *m, size_t i, size_t end)
{
	size_t b = i / 64, last = (end + 63) / 64;
	uint64_t x;

	if (i >= end)
		return end;
	x = m[b] & (~(uint64_t)0 << (i % 64));
	while (x == 0) {
		if (++b >= last)
			return end;
		x = m[b];
	}
	i = b * 64 + (size_t)__builtin_ctzll(x);
	return i < end ? i : end;
}

/*
 * The fast path, for a line in the shape Tor writes: words apart by
 * spaces, each a bare word without a quote, KEY=VALUE, or KEY="VALUE"
 * whose closing quote ends the word; no backslash and no byte a JSON
 * string must escape (below 0x20, 0x7f and above) anywhere.  One scan
 * classifies every byte into bitmaps (swar.h); words and quotes are then
 * found from the bitmaps, values kept in place in one copy of the line,
 * NUL-ended.  Any other line (a quote elsewhere, an escape, a line over
 * REPLY_KV_FAST_MAX bytes) is left to the general path: returns 1, with
 * nothing filled.  Same items as the general path for every line it takes
 * (test_dump_diff.c and fuzz_dumpdiff.c check it against the old code).
 */
int
reply_kv_parse_fast(const char *s, size_t len, struct kvlist *l)
{
	/* Bit i of space[i / 64]: byte i is ' '; of quote: byte i is '"'. */
	uint64_t space[REPLY_KV_FAST_MAX / 64], quote[REPLY_KV_FAST_MAX / 64];
	uint64_t esc = 0;
	size_t nb = (len + 63) / 64, b, i = 0, nq, commas = 0;
	char *w;

	l->n = 0;
	l->clean = 0;
	if (len > REPLY_KV_FAST_MAX)
		return 1;
	/* The copy is padded to whole blocks with spaces (no class but
	 * space: never inside a word), then a NUL. */
	kv_scratch(l, nb * 64 + 1);
	w = l->scratch;
	memcpy(w, s, len);
	memset(w + len, ' ', nb * 64 - len);
	w[nb * 64] = '\0';
	for (b = 0; b < nb; b++) {
		struct swar_classes c;

		swar_classify((const unsigned char *)w + b * 64, &c);
		space[b] = c.space;
		quote[b] = c.quote;
		commas += c.commas;
		esc |= c.esc;
	}
	if (esc != 0)
		return 1;
	w[len] = '\0';
	/* The next quote at or after i, or len. */
	nq = bits_next(quote, 0, len);
	while (i < len) {
		struct kv *kv;
		size_t end, k;
		int iskey;

		while (w[i] == ' ')
			i++;
		if (i >= len)
			break;
		end = bits_next(space, i, len);
		/*
		 * A key is [A-Za-z_][A-Za-z0-9_./-]* and then '=': a space,
		 * a quote or the NUL at the end stops the walk.
		 */
		k = i;
		if (kv_class[(unsigned char)w[k]] & KV_START)
			while (kv_class[(unsigned char)w[++k]] & KV_KEY)
				;
		iskey = k > i && w[k] == '=';
		kv = kv_push(l);
		if (nq < end) {
			/* Only KEY="VALUE", the key's '=' right before the
			 * quote, the closing quote ending the word. */
			size_t close;

			if (!iskey || k + 1 != nq)
				goto general;
			close = bits_next(quote, nq + 1, len);
			if (close >= len ||
			    (close + 1 < len && w[close + 1] != ' '))
				goto general;
			w[k] = '\0';
			w[close] = '\0';
			kv->key = w + i;
			kv->klen = k - i;
			kv->val = w + nq + 1;
			kv->vlen = close - nq - 1;
			kv->quoted = 1;
			i = close + 1;
			nq = bits_next(quote, i, len);
			continue;
		}
		kv->quoted = 0;
		w[end] = '\0';
		if (iskey) {
			w[k] = '\0';
			kv->key = w + i;
			kv->klen = k - i;
			kv->val = w + k + 1;
			kv->vlen = end - k - 1;
		} else {
			kv->key = NULL;
			kv->klen = 0;
			kv->val = w + i;
			kv->vlen = end - i;
		}
		i = end + 1;
	}
	l->clean = 1;
	l->commas = commas;
	return 0;
general:
	l->n = 0;
	return 1;
}

int
reply_kv_parse(const char *s, size_t len, struct kvlist *l, char **cause)
{
	if (reply_kv_parse_fast(s, len, l) == 0)
		return 0;
	return reply_kv_parse_general(s, len, l, cause);
}

/* The general path: any line, quoted strings decoded in place. */
int
reply_kv_parse_general(const char *s, size_t len, struct kvlist *l,
    char **cause)
{
	char *w;
	size_t i = 0;

	l->n = 0;
	l->clean = 0;
	/* Decoding never grows a value: one copy holds everything. */
	kv_scratch(l, len + 1);
	w = l->scratch;
	memcpy(w, s, len);
	w[len] = '\0';
	while (i < len) {
		struct kv *kv;
		size_t start, eq = 0, end, vlen, used;
		int iskey;

		while (i < len && w[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		end = word_end(w, i, len);
		kv = kv_push(l);
		kv->quoted = 0;
		/*
		 * A quote further on, inside a bare word, cannot change
		 * this: a key stops at the first byte that is not a key's.
		 */
		iskey = kv_is_key(w + start, end - start, &eq);
		if (iskey && start + eq + 1 == end && end < len &&
		    w[end] == '"') {
			/* KEY="quoted value" */
			w[start + eq] = '\0';
			kv->key = w + start;
			kv->klen = eq;
			if (reply_unquote(w + end, len - end, w + end, &vlen,
			    &used) == -1) {
				*cause = xasprintf("bad quoted value for %s",
				    kv->key);
				l->n--;
				return -1;
			}
			kv->val = w + end;
			kv->vlen = vlen;
			kv->quoted = 1;
			i = end + used;
			w[end + vlen] = '\0';
			if (i < len && w[i] != ' ') {
				*cause = xasprintf("junk after quoted value "
				    "of %s", kv->key);
				l->n--;
				return -1;
			}
			continue;
		}
		if (end < len && w[end] == '"') {
			if (end == start) {
				/* A positional quoted string. */
				if (reply_unquote(w + end, len - end, w + end,
				    &vlen, &used) == -1) {
					*cause = xstrdup("bad quoted string");
					l->n--;
					return -1;
				}
				kv->key = NULL;
				kv->klen = 0;
				kv->val = w + end;
				kv->vlen = vlen;
				kv->quoted = 1;
				i = end + used;
				w[end + vlen] = '\0';
				continue;
			}
			/* A quote inside a bare word: keep it literally. */
			while (end < len && w[end] != ' ')
				end++;
		}
		w[end] = '\0';
		if (iskey) {
			w[start + eq] = '\0';
			kv->key = w + start;
			kv->klen = eq;
			kv->val = w + start + eq + 1;
			kv->vlen = end - start - eq - 1;
		} else {
			kv->key = NULL;
			kv->klen = 0;
			kv->val = w + start;
			kv->vlen = end - start;
		}
		i = end + 1;
	}
	return 0;
}

void
reply_kv_free(struct kvlist *l)
{
	free(l->v);
	free(l->scratch);
	memset(l, 0, sizeof *l);
}

void
reply_kv_positional(struct kvlist *l, size_t i)
{
	struct kv *kv = &l->v[i];
	char *k;

	if (kv->key == NULL || kv->quoted)
		return;
	k = (char *)kv->key;
	k[strlen(k)] = '=';
	kv->vlen += (size_t)(kv->val - k);
	kv->val = k;
	kv->key = NULL;
	kv->klen = 0;
}

const struct kv *
reply_kv_get(const struct kvlist *l, const char *key)
{
	size_t i;

	for (i = l->n; i-- > 0;)
		if (l->v[i].key != NULL && strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}
