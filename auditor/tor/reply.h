/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * reply.h: Tor control-port framing.  Bytes in any chunking become whole
 * replies (NNN-, NNN+ with dot-stuffed data, NNN final; 6xx asynchronous
 * replies kept apart from command replies).  Pure: no I/O, no clock.
 */
#ifndef ISOAUDIT_REPLY_H
#define ISOAUDIT_REPLY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Limits.  The fuzzing build (tests/fuzz) sets lower ones on the command
 * line so that inputs of a few KiB reach the code that enforces them.
 */
#ifndef REPLY_MAX_LINE
#define REPLY_MAX_LINE		(1024 * 1024)		/* bytes in one line */
#endif
#ifndef REPLY_MAX_SIZE
#define REPLY_MAX_SIZE		(64 * 1024 * 1024)	/* bytes in one reply */
#endif
#ifndef REPLY_MAX_LINES
#define REPLY_MAX_LINES		(1024 * 1024)		/* lines in one reply */
#endif

struct reply_line {
	int	 code;
	char	 sep;		/* ' ', '-' or '+' */
	char	*text;		/* after the separator, NUL-terminated */
	size_t	 textlen;
	char	*data;		/* '+' lines: the data block, unstuffed, lines
				   joined by '\n' (no final newline); else NULL */
	size_t	 datalen;
};

struct reply {
	int		 code;		/* of the final line */
	int		 async;		/* 6xx */
	int		 truncated;	/* went over a limit; some lines lost */
	int64_t		 ts_us;		/* time of the final line */
	size_t		 nlines;
	struct reply_line *lines;
};

/* Called with each complete reply; it is freed when the callback returns. */
typedef void (*reply_fn)(const struct reply *, void *);
/* Called with a problem and the (raw, unescaped) bytes it concerns. */
typedef void (*reply_err_fn)(const char *, const char *, size_t, void *);

struct reply_parser;

/* Returns a new parser; never NULL. */
struct reply_parser *reply_parser_new(reply_fn, reply_err_fn, void *);
void	reply_parser_free(struct reply_parser *);
/* Called with every line (without its line end) before it is parsed. */
typedef void (*reply_line_fn)(const char *, size_t, int64_t, void *);
void	reply_parser_set_line_hook(struct reply_parser *, reply_line_fn);
/*
 * A filter sees every line (after the hook) and returns 1 to take it:
 * the parser then skips it; the filter may give it back later with
 * reply_parser_pass (smuggle.c holds lines that may be smuggled).
 */
typedef int (*reply_filter_fn)(const char *, size_t, int64_t, void *);
void	reply_parser_set_filter(struct reply_parser *, reply_filter_fn, void *);
/* Parses one line (no line end) without the hook and the filter. */
void	reply_parser_pass(struct reply_parser *, const char *, size_t, int64_t);
/* Whether the parser is inside a data block (a '+' line's). */
int	reply_parser_in_data(const struct reply_parser *);
/* Whether no reply is under way (Tor writes each reply whole). */
int	reply_parser_idle(const struct reply_parser *);
/* Forgets any partial line and reply (a new connection). */
void	reply_parser_reset(struct reply_parser *);
/* Feeds bytes as they came from the socket (CRLF or LF line ends). */
void	reply_parser_feed(struct reply_parser *, const char *, size_t, int64_t);
/* Feeds one line without its line end (transcripts, captures). */
void	reply_parser_line(struct reply_parser *, const char *, size_t, int64_t);

/* Keyword arguments of a reply line: positional words and KEY=VALUE. */
struct kv {
	const char	*key;	/* NULL for a positional word */
	size_t		 klen;	/* strlen(key), 0 without one */
	const char	*val;	/* NUL-terminated; may hold NULs when quoted */
	size_t		 vlen;
	int		 quoted;
};

struct kvlist {
	struct kv	*v;
	size_t		 n;
	size_t		 cap;
	char		*scratch;	/* owned copy the pointers point into */
	size_t		 scratchcap;	/* its size, kept from line to line */
	int		 clean;		/* no key or value holds a byte a JSON
					   string escapes (set by the fast
					   path only) */
	size_t		 commas;	/* in the line, when clean */
};

/*
 * Splits s[0..len) into kv items, decoding quoted values.  Returns 0, or -1
 * with *cause set (allocated) on an unterminated quote or a bad escape.
 * A line in the shape Tor writes takes a fast path (one scan into bitmaps
 * of byte classes); anything else the general one, with the same result.
 */
int	reply_kv_parse(const char *, size_t, struct kvlist *, char **);
/* Lines longer than this always take the general path. */
#define REPLY_KV_FAST_MAX	4096
#ifdef ISOAUDIT_PRIVATE
/* The paths alone, for the tests: the fast one returns 1 when it leaves
 * the line to the general one (and then has filled nothing). */
int	reply_kv_parse_fast(const char *, size_t, struct kvlist *);
int	reply_kv_parse_general(const char *, size_t, struct kvlist *, char **);
#endif
void	reply_kv_free(struct kvlist *);
/* Turns item i back into a positional word if it was a bare KEY=VALUE. */
void	reply_kv_positional(struct kvlist *, size_t);
/* Returns the last item with this key, or NULL. */
const struct kv *reply_kv_get(const struct kvlist *, const char *);

/*
 * Decodes a control-port quoted string starting at s[0] == '"' in place
 * semantics: writes the decoded bytes to out (room for len bytes), sets
 * *outlen and *consumed (bytes of s used, quotes included).  Returns 0 or -1.
 */
int	reply_unquote(const char *, size_t, char *, size_t *, size_t *);

#endif
