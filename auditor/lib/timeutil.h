/* SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* timeutil.h: times as isoaudit shows and reads them (us since the epoch). */
#ifndef ISOAUDIT_TIMEUTIL_H
#define ISOAUDIT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define TIME_RFC3339_LEN	64

/* The one wall clock: us since the epoch (what every stored time is). */
int64_t	time_now_us(void);
/* The one monotonic clock, in us: for intervals that must not jump. */
int64_t	time_mono_us(void);

/* Writes "2026-11-24T17:40:00Z" (UTC, whole seconds) into out. */
void	time_rfc3339(int64_t, char *);
/* Same with milliseconds: "2026-11-24T17:40:00.123Z". */
void	time_rfc3339_ms(int64_t, char *);
/*
 * Parses an age: a number and a unit s, m, h, d or w ("30d", "12h").
 * Returns 0 with *us set, or -1.
 */
int	time_parse_age(const char *, int64_t *);
/*
 * A duration (us) for a person: "42s", "40m05s", "3h02m", "2d04h", with a
 * space between the two parts when spaced ("40m 05s").
 */
void	time_duration(int64_t, int, char *, size_t);
/*
 * Parses a point in time: RFC 3339 ("2026-11-24T17:40:00Z", offsets and
 * fractions allowed, or a bare date) or an age back from now ("2h", "7d").
 * Returns 0 with *us set, or -1.
 */
int	time_parse_when(const char *, int64_t, int64_t *);

#endif
