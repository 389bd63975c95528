/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* log.h: isoaudit's own messages (stderr, or a sink the dashboard sets). */
#ifndef ISOAUDIT_LOG_H
#define ISOAUDIT_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

typedef void (*log_sink_fn)(enum log_level, const char *, void *);

/* verbosity: -1 quiet (errors only), 0 default (warnings+info), 1 debug. */
void	log_init(int verbosity);
/* Routes messages to fn instead of stderr (NULL restores stderr). */
void	log_set_sink(log_sink_fn, void *);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Called by fatalx before it prints (the dashboard restores the terminal). */
void	log_set_fatal_hook(void (*)(void));
/* Runs that hook (once): what every fatal path does before it speaks. */
void	log_fatal_prepare(void);
/* Logs an error and exits with status 3 (runtime error). */
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
