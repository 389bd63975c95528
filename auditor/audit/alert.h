/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* alert.h: a new finding told to a person: stderr or syslog (Alert). */
#ifndef ISOAUDIT_ALERT_H
#define ISOAUDIT_ALERT_H

#include <stdint.h>

#include "config.h"

/* One line: "[critical] SHARED_CIRCUIT at TIME: detail" (escaped). */
void	alert_emit(enum alert_sink, int, const char *, const char *, int64_t);

#endif
