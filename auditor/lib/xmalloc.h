/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* xmalloc.h: allocation that never returns NULL (exits on exhaustion). */
#ifndef ISOAUDIT_XMALLOC_H
#define ISOAUDIT_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Returns a newly allocated copy of s, or NULL when s is NULL. */
char	*xstrdup_or_null(const char *);
/* Returns a newly allocated formatted string. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Frees p and sets it to NULL. */
#define FREE(p) do { free(p); (p) = NULL; } while (0)

#endif
