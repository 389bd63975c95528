/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * rusage.c: runs a command and writes its wall time, CPU time, peak RSS
 * and the bytes it wrote to storage as JSON (bench/run's measurements).
 * Linux counts ru_oublock as the bytes a task dirtied in the page cache
 * (task_io_accounting write_bytes) in 512-byte units: what reaches the
 * disk, whenever the kernel writes it back.  A small C parent, because a
 * child's peak RSS counts what its parent had at fork time: measured from
 * Python it would be Python's.
 *
 *   rusage OUT.json CMD [ARG...]
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	pid_t pid;
	int status;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUT.json CMD [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) == -1) {
		perror("rusage: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	fprintf(f, "{\"wall\": %.6f, \"user\": %.6f, \"sys\": %.6f, "
	    "\"rss_kb\": %ld, \"written_kb\": %ld, \"rc\": %d}\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec -
	    t0.tv_nsec) / 1e9,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	    ru.ru_maxrss, ru.ru_oublock / 2, WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
	fclose(f);
	return 0;
}
