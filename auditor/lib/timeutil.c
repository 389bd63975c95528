/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * timeutil.c: the clocks, and RFC 3339 and ages, without the locale or the
 * local zone.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_now_us(void)
{
	return clock_us(CLOCK_REALTIME);
}

int64_t
time_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static void
time_fmt(int64_t us, char *out, int ms)
{
	time_t t;
	struct tm tm;
	int64_t sec = us / 1000000, frac = us % 1000000;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, TIME_RFC3339_LEN, "?");
		return;
	}
	if (ms)
		snprintf(out, TIME_RFC3339_LEN,
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)(frac / 1000));
	else
		snprintf(out, TIME_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

void
time_rfc3339(int64_t us, char *out)
{
	time_fmt(us, out, 0);
}

void
time_rfc3339_ms(int64_t us, char *out)
{
	time_fmt(us, out, 1);
}

int
time_parse_age(const char *s, int64_t *us)
{
	const char *end;
	double v = 0, scale = 1;
	int64_t unit;

	/* Digits, an optional fraction, a unit: no strtod (the locale, "nan",
	 * hex, leading blanks). */
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (end = s; *end >= '0' && *end <= '9'; end++)
		v = v * 10 + (*end - '0');
	if (*end == '.') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		for (end++; *end >= '0' && *end <= '9'; end++) {
			scale /= 10;
			v += (*end - '0') * scale;
		}
	}
	if (v > 1e6)
		return -1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (end[1] != '\0')
		return -1;
	/* Rounded: 0.3s is 300000 us, not 299999. */
	*us = (int64_t)(v * (double)unit * 1e6 + 0.5);
	return 0;
}

int
time_parse_when(const char *s, int64_t now, int64_t *us)
{
	struct tm tm;
	const char *p;
	int64_t age, frac = 0, off = 0;
	time_t t;

	if (time_parse_age(s, &age) == 0) {
		*us = now - age;
		return 0;
	}
	memset(&tm, 0, sizeof tm);
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p == NULL)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (p == NULL)
			return -1;
		if (*p == '.') {
			int64_t scale = 100000;

			for (p++; *p >= '0' && *p <= '9'; p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int hh, mm;

			/* Exactly "+HH:MM" (p += 6 must stay in the string). */
			if (!isdigit((unsigned char)p[1]) ||
			    !isdigit((unsigned char)p[2]) || p[3] != ':' ||
			    !isdigit((unsigned char)p[4]) ||
			    !isdigit((unsigned char)p[5]))
				return -1;
			hh = (p[1] - '0') * 10 + (p[2] - '0');
			mm = (p[4] - '0') * 10 + (p[5] - '0');
			if (hh > 23 || mm > 59)
				return -1;
			off = (hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
			p += 6;
		} else
			return -1;
	}
	if (*p != '\0')
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*us = ((int64_t)t - off) * 1000000 + frac;
	return 0;
}

void
time_duration(int64_t us, int spaced, char *out, size_t len)
{
	int64_t s = us > 0 ? us / 1000000 : 0, big, small;
	const char *units;

	if (s < 60) {
		snprintf(out, len, "%" PRId64 "s", s);
		return;
	}
	if (s < 3600) {
		big = s / 60, small = s % 60, units = "ms";
	} else if (s < 86400) {
		big = s / 3600, small = s / 60 % 60, units = "hm";
	} else {
		big = s / 86400, small = s / 3600 % 24, units = "dh";
	}
	snprintf(out, len, "%" PRId64 "%c%s%02" PRId64 "%c", big, units[0],
	    spaced ? " " : "", small, units[1]);
}
