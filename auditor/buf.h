/* buf.h: a growable byte buffer, with JSON and printable escaping. */
#ifndef ISOAUDIT_BUF_H
#define ISOAUDIT_BUF_H

#include <stddef.h>

struct buf {
	char	*p;	/* always NUL-terminated when len > 0 or after buf_cstr */
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the contents as a C string (owned by the buffer). */
const char *buf_cstr(struct buf *);
/* Appends s[0..n) as a JSON string literal, quotes included. */
void	 buf_json_str(struct buf *, const char *, size_t);
/* Appends a JSON string literal, or null when s is NULL. */
void	 buf_json_strz(struct buf *, const char *);
/*
 * Appends s[0..n) made safe for a terminal or a log: printable ASCII as is,
 * backslash as \\, everything else as \n, \r, \t or \xHH.
 */
void	 buf_escape(struct buf *, const char *, size_t);

/*
 * Appends s as a control-port style quoted string ("..." with \\, \" and
 * \ooo for anything unprintable): what reply_unquote reads back.
 */
void	 buf_quote(struct buf *, const char *, size_t);

/* Returns a newly allocated escaped copy of s[0..n) (see buf_escape). */
char	*escape_dup(const char *, size_t);

#endif
