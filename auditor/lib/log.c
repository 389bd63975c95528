/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* log.c: isoaudit's own messages.  Callers escape outside strings first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "log.h"

static int		 log_verbose;
static log_sink_fn	 log_sink;
static void		*log_sink_arg;
static void		(*log_fatal_hook)(void);

void
log_init(int verbosity)
{
	log_verbose = verbosity;
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

static void log_vemit(enum log_level, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vemit(enum log_level lvl, const char *fmt, va_list ap)
{
	char *msg;

	if (lvl == LOG_LVL_DEBUG && log_verbose < 1)
		return;
	if (lvl >= LOG_LVL_INFO && log_verbose < 0)
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (log_sink != NULL)
		log_sink(lvl, msg, log_sink_arg);
	else {
		fprintf(stderr, "isoaudit: %s\n", msg);
		fflush(stderr);
	}
	free(msg);
}

#define LOG_FN(name, lvl)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_vemit(lvl, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
log_set_fatal_hook(void (*fn)(void))
{
	log_fatal_hook = fn;
}

void
log_fatal_prepare(void)
{
	void (*fn)(void) = log_fatal_hook;

	log_fatal_hook = NULL;	/* once, even if the hook itself fails */
	if (fn != NULL)
		fn();
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	log_fatal_prepare();
	log_set_sink(NULL, NULL);
	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(3);
}
