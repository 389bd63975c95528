/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json.h: the one JSON reader: strict RFC 8259 syntax, strings well-formed
 * UTF-8 (no overlong forms, surrogate bytes or code points past U+10FFFF),
 * nesting at most JSON_MAX_DEPTH deep.  It does no I/O and no allocation of
 * its own: values are found in place, and only json_unstring and
 * json_list_plain write, into a caller's buffer.
 */
#ifndef ISOAUDIT_JSON_H
#define ISOAUDIT_JSON_H

#include <stddef.h>

struct buf;

/* A value inside more arrays and objects than this is refused. */
#define JSON_MAX_DEPTH	32

/* Moves *pp past the JSON white space before end. */
void	json_ws(const char **, const char *);
/*
 * Whether s[0..n) is exactly one well-formed JSON value, white space around
 * allowed.  Returns 1 or 0.
 */
int	json_valid(const char *, size_t);
/* Whether the C string s (NULL: no) is exactly one JSON array. */
int	json_is_array(const char *);

/*
 * Walks the members of an array or object: v[0..n) starts with '[' or '{'.
 * Each member is checked as it is reached; the walk ends at the closing
 * bracket or at the first member that is not well-formed, so an unchecked
 * value is safe to walk and yields its well-formed start.
 */
struct json_iter {
	const char	*p;
	const char	*end;
	char		 close;
	int		 first;
};
void	json_iter_init(struct json_iter *, const char *, size_t);
/*
 * The next member: its value in *v (*vn bytes of JSON text) and, for an
 * object, its key in *k (*kn bytes, quotes included).  Returns 1, or 0 at
 * the end.
 */
int	json_iter_next(struct json_iter *, const char **, size_t *,
	    const char **, size_t *);
/* Looks up key in the object v[0..n).  Returns 1 with the value, or 0. */
int	json_member(const char *, size_t, const char *, const char **,
	    size_t *);
/*
 * Appends the decoded value of the well-formed JSON string s[0..n) (quotes
 * included, as json_iter_next gives it): escapes decoded, a \u surrogate
 * pair joined, U+0000 and a lone surrogate as U+FFFD.
 */
void	json_unstring(struct buf *, const char *, size_t);
/*
 * Appends the JSON array in the C string s for a person, raw (the caller
 * escapes): elements separated by ", ", strings decoded, {"name", "pid"}
 * objects as name[pid] ('?' for a name that is not a string, no [pid] for
 * a null one), anything else as its JSON text.  Stops at the first element
 * that is not well-formed.  Returns the number of elements appended (0 when
 * s is NULL or does not start with '[').
 */
size_t	json_list_plain(struct buf *, const char *);

#endif
