/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * clockstep.c: an LD_PRELOAD shim that steps the wall clock of a process,
 * as NTP or sdwdate step a system's clock, for t_clock_step.sh.
 *
 *   cc -shared -fPIC -o clockstep.so clockstep.c -ldl
 *   CLOCKSTEP_FILE=/tmp/step LD_PRELOAD=./clockstep.so isoaudit monitor ...
 *   echo -3600 >/tmp/step      # from now on the wall clock is an hour back
 *   echo 3600 >/tmp/step       # ... an hour ahead; rm /tmp/step: none
 *
 * The file holds the offset in seconds (signed); it is read again at most
 * every 20 ms (of the monotonic clock).  CLOCK_REALTIME and its coarse
 * variant (clock_gettime), gettimeofday and time move; CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME and the rest are untouched.  Under ASan, set
 * ASAN_OPTIONS=verify_asan_link_order=0 (this shim comes first).
 */
#define _GNU_SOURCE
#include <sys/time.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn	real_clock_gettime;
static int64_t		offset_ns;
static int64_t		checked_ns;	/* monotonic, 0: never */

static clock_gettime_fn
real(void)
{
	if (real_clock_gettime == NULL)
		real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT,
		    "clock_gettime");
	return real_clock_gettime;
}

/* The offset in ns, from CLOCKSTEP_FILE (read with system calls only). */
static int64_t
offset(void)
{
	struct timespec m;
	const char *path;
	char buf[32];
	int64_t now, secs = 0;
	ssize_t n, i;
	int fd, neg = 0;

	if (real()(CLOCK_MONOTONIC, &m) != 0)
		return offset_ns;
	now = (int64_t)m.tv_sec * 1000000000 + m.tv_nsec;
	if (checked_ns != 0 && now - checked_ns < 20000000)
		return offset_ns;
	checked_ns = now;
	if ((path = getenv("CLOCKSTEP_FILE")) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		offset_ns = 0;
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	for (i = 0; i < n; i++) {
		if (i == 0 && (buf[i] == '-' || buf[i] == '+'))
			neg = buf[i] == '-';
		else if (buf[i] >= '0' && buf[i] <= '9' && secs < 100000000)
			secs = secs * 10 + (buf[i] - '0');
		else
			break;
	}
	offset_ns = (neg ? -secs : secs) * 1000000000;
	return offset_ns;
}

static void
shift(struct timespec *ts)
{
	int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + offset();

	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
	if (ts->tv_nsec < 0) {
		ts->tv_nsec += 1000000000;
		ts->tv_sec--;
	}
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = real()(id, ts);

	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		shift(ts);
	return rc;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	if (tz != NULL) {
		struct timezone *z = tz;

		z->tz_minuteswest = 0;
		z->tz_dsttime = 0;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
