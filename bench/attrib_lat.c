/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * attrib_lat.c: attribution latency on a busy host (bench/run builds it
 * against build/release/attrib*.o: the code isoaudit runs).
 *
 *   attrib_lat [NPROCS [SOCKS_PER_PROC [LOOKUPS]]]    (500 10 1000)
 *
 * Sets up NLISTEN loopback listeners (Tor's SocksPorts: the lookup tries
 * Tor's listeners in turn), an acceptor process holding every accepted
 * socket (Tor's side; another uid when run as root, as Tor runs as
 * debian-tor), and NPROCS idle client processes of this uid, each holding
 * SOCKS_PER_PROC connections to random listeners: NPROCS * SOCKS_PER_PROC
 * client sockets and as many accepted ones in the kernel's table.  Then
 * times attrib_lookup() (listener, owner uid, inode, pid, process name):
 *
 *   new      a client started just now (a curl): newest pid
 *   random   a random socket of a random long-running process
 *   same     random sockets of one long-running process (a browser)
 *   gone     a client that has gone already: every listener misses, then
 *            the /proc/net/tcp snapshot (re-read at most every 50 ms)
 *
 * and checks every answer.  Prints one JSON object: per case the number
 * of lookups, median and p99 in ms, and how many netlink answered.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"

#define NLISTEN		26		/* a Whonix-Gateway has ~26 TCP ones */
#define MAXKIDS		4096

static pid_t	kids[MAXKIDS];
static size_t	nkids;

static void
die(const char *what)
{
	size_t i;

	fprintf(stderr, "attrib_lat: %s: %s\n", what, strerror(errno));
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	exit(1);
}

static void
child_setup(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
}

/* ATTRIB_LAT_CASES="new random" runs only those (profiling). */
static int
want(const char *name)
{
	const char *c = getenv("ATTRIB_LAT_CASES");

	return c == NULL || strstr(c, name) != NULL;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct sockaddr_in lsin[NLISTEN];
static int lfd[NLISTEN];
static char lname[NLISTEN][32];

/* One client connection: its local port, which listener, which process. */
struct client {
	uint16_t	port;
	int		listener;
	pid_t		pid;
};

/*
 * Forks a process that connects n sockets to random listeners (or to
 * listener `only` if >= 0), names itself, reports (port, listener) pairs
 * on a pipe and waits to be killed.
 */
static pid_t
spawn_client(int n, int only, const char *name, struct client *out,
    unsigned seed)
{
	pid_t parent = getpid(), pid;
	int p[2], i;

	if (pipe(p) == -1)
		die("pipe");
	if (nkids == MAXKIDS)
		die("too many processes");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		srand(seed);
		child_setup(parent);
		close(p[0]);
		/* A client holds its own sockets only, not Tor's listeners. */
		for (i = 0; i < NLISTEN; i++)
			close(lfd[i]);
		prctl(PR_SET_NAME, name);
		for (i = 0; i < n; i++) {
			struct sockaddr_in me;
			socklen_t len = sizeof me;
			int l = only >= 0 ? only : rand() % NLISTEN;
			int c = socket(AF_INET, SOCK_STREAM, 0);
			uint16_t msg[2] = { 0, (uint16_t)l };

			if (c != -1 && connect(c, (struct sockaddr *)&lsin[l],
			    sizeof lsin[l]) == 0 && getsockname(c,
			    (struct sockaddr *)&me, &len) == 0)
				msg[0] = ntohs(me.sin_port);
			if (write(p[1], msg, sizeof msg) != sizeof msg)
				_exit(1);
		}
		close(p[1]);
		for (;;)
			pause();
	}
	kids[nkids++] = pid;
	close(p[1]);
	for (i = 0; i < n; i++) {
		uint16_t msg[2];

		if (read(p[0], msg, sizeof msg) != sizeof msg || msg[0] == 0)
			die("client connect");
		out[i].port = msg[0];
		out[i].listener = msg[1];
		out[i].pid = pid;
	}
	close(p[0]);
	return pid;
}

/*
 * SOURCE_ADDR is ambiguous when two client sockets of one address and
 * port go to two different listeners (Linux hands out one ephemeral port
 * to connections with different destinations): attribution then takes the
 * first listener that matches.  Such sockets are counted, and left out of
 * the timings (their lookup can name the wrong process).
 */
static uint32_t portlis[65536];		/* bit per listener, by client port */

static int
ambiguous(uint16_t port, int listener)
{
	return (portlis[port] & ~(1u << listener)) != 0;
}

struct result {
	const char	*name;
	double		*ms;
	size_t		 n;
	unsigned long	 netlink;
	unsigned long	 proc;
	int		 bad;
};

static void
check(struct result *res, const struct attrib_result *r, const struct client *c,
    const char *name, int want_found)
{
	if (!want_found) {
		if (r->listener[0] != '\0' || r->pid != 0)
			res->bad++;
		return;
	}
	if (strcmp(r->listener, lname[c->listener]) != 0 ||
	    r->pid != (long)c->pid || strcmp(r->process, name) != 0 ||
	    r->uid != (long)getuid() || strcmp(r->host, "localhost") != 0) {
		if (res->bad++ == 0)
			fprintf(stderr, "attrib_lat: %s: got listener %s pid %ld "
			    "process %s uid %ld, want %s %ld %s\n", res->name,
			    r->listener, r->pid, r->process, r->uid,
			    lname[c->listener], (long)c->pid, name);
	}
}

static void
timed(struct attrib *a, struct result *res, const struct client *c,
    const char *name, int found)
{
	struct attrib_result r;
	char src[64];
	double t0;

	snprintf(src, sizeof src, "127.0.0.1:%u", (unsigned)c->port);
	memset(&r, 0x5a, sizeof r);
	t0 = now_ms();
	attrib_lookup(a, src, &r);
	res->ms[res->n++] = now_ms() - t0;
	check(res, &r, c, name, found);
}

static void
report(struct result *r, int last)
{
	double med, p99;

	if (r->n == 0) {
		printf("  \"%s\": null%s\n", r->name, last ? "" : ",");
		return;
	}
	qsort(r->ms, r->n, sizeof r->ms[0], cmp_double);
	med = r->n % 2 ? r->ms[r->n / 2] :
	    (r->ms[r->n / 2 - 1] + r->ms[r->n / 2]) / 2;
	p99 = r->ms[(r->n * 99 + 99) / 100 - 1];
	printf("  \"%s\": {\"lookups\": %zu, \"median_ms\": %.4f, "
	    "\"p99_ms\": %.4f, \"max_ms\": %.4f, \"netlink\": %lu, "
	    "\"proc\": %lu, \"wrong\": %d}%s\n", r->name, r->n, med, p99,
	    r->ms[r->n - 1], r->netlink, r->proc, r->bad, last ? "" : ",");
}

static void
counts(struct attrib *a, struct result *r, unsigned long *nl0,
    unsigned long *pr0)
{
	unsigned long nl, pr;

	attrib_counts(a, &nl, &pr);
	r->netlink = nl - *nl0;
	r->proc = pr - *pr0;
	*nl0 = nl;
	*pr0 = pr;
}

int
main(int argc, char **argv)
{
	int nprocs = argc > 1 ? atoi(argv[1]) : 500;
	int per = argc > 2 ? atoi(argv[2]) : 10;
	int lookups = argc > 3 ? atoi(argv[3]) : 1000;
	const char *names[NLISTEN];
	struct client *all, fresh, one[64];
	struct result res[4] = {
		{ "new", NULL, 0, 0, 0, 0 }, { "random", NULL, 0, 0, 0, 0 },
		{ "same", NULL, 0, 0, 0, 0 }, { "gone", NULL, 0, 0, 0, 0 },
	};
	struct attrib *a;
	unsigned long nl0 = 0, pr0 = 0;
	int i, k, total, namb, newamb = 0;
	pid_t acceptor, parent = getpid();
	double t0;

	if (nprocs < 1 || per < 1 || lookups < 1 ||
	    (size_t)nprocs + 8 > MAXKIDS)
		return 2;
	total = nprocs * per;
	srand(42);
	for (i = 0; i < NLISTEN; i++) {
		socklen_t len = sizeof lsin[i];

		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		memset(&lsin[i], 0, sizeof lsin[i]);
		lsin[i].sin_family = AF_INET;
		lsin[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (lfd[i] == -1 || bind(lfd[i], (struct sockaddr *)&lsin[i],
		    sizeof lsin[i]) == -1 || listen(lfd[i], 4096) == -1 ||
		    getsockname(lfd[i], (struct sockaddr *)&lsin[i], &len) == -1)
			die("listener");
		snprintf(lname[i], sizeof lname[i], "127.0.0.1:%u",
		    (unsigned)ntohs(lsin[i].sin_port));
		names[i] = lname[i];
	}
	/* Tor: accepts and holds everything (another user, as Tor is). */
	fflush(stdout);
	if ((acceptor = fork()) == -1)
		die("fork");
	if (acceptor == 0) {
		child_setup(parent);
		prctl(PR_SET_NAME, "tor");
		if (getuid() == 0 && setuid(65534) == -1)
			_exit(1);
		for (;;) {
			struct pollfd pf[NLISTEN];

			for (i = 0; i < NLISTEN; i++) {
				pf[i].fd = lfd[i];
				pf[i].events = POLLIN;
			}
			if (poll(pf, NLISTEN, -1) == -1 && errno != EINTR)
				_exit(1);
			for (i = 0; i < NLISTEN; i++)
				while (pf[i].revents &&
				    accept4(lfd[i], NULL, NULL, 0) != -1)
					;
		}
	}
	kids[nkids++] = acceptor;
	all = calloc((size_t)total, sizeof *all);
	for (i = 0; i < 4; i++)
		res[i].ms = calloc((size_t)lookups + 1, sizeof(double));
	if (all == NULL || res[0].ms == NULL || res[3].ms == NULL)
		die("calloc");
	t0 = now_ms();
	for (k = 0; k < nprocs; k++)
		spawn_client(per, -1, "idle-client", all + (size_t)k * per,
		    (unsigned)k + 1);
	for (i = 0; i < total; i++)
		portlis[all[i].port] |= 1u << all[i].listener;
	for (i = 0, namb = 0; i < total; i++)
		if (ambiguous(all[i].port, all[i].listener))
			namb++;
	fprintf(stderr, "attrib_lat: %d processes, %d client sockets (and as "
	    "many accepted) set up in %.1f s; %d share their address with a "
	    "socket to another listener\n", nprocs, total,
	    (now_ms() - t0) / 1e3, namb);

	a = attrib_new("/proc");
	attrib_set_listeners(a, names, NLISTEN);

	/* new: a fresh client per lookup. */
	for (i = 0; want("new") && i < lookups && i < 300; i++) {
		pid_t p = spawn_client(1, -1, "new-client", &fresh,
		    (unsigned)(100000 + i));

		if (ambiguous(fresh.port, fresh.listener)) {
			newamb++;
			i--;
		} else
			timed(a, &res[0], &fresh, "new-client", 1);
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		nkids--;
		/* Its accepted socket lingers in the acceptor (CLOSE_WAIT). */
		portlis[fresh.port] |= 1u << fresh.listener;
	}
	counts(a, &res[0], &nl0, &pr0);
	/* random: any socket of any of the long-running processes. */
	for (i = 0; want("random") && i < lookups; i++) {
		const struct client *c = &all[(size_t)rand() % (size_t)total];

		if (ambiguous(c->port, c->listener))
			i--;
		else
			timed(a, &res[1], c, "idle-client", 1);
	}
	counts(a, &res[1], &nl0, &pr0);
	/* same: one long-running process (a browser) opening many. */
	spawn_client(per < 64 ? per : 64, -1, "browser", one, 7);
	for (i = 0; i < (per < 64 ? per : 64); i++)
		portlis[one[i].port] |= 1u << one[i].listener;
	for (i = 0, k = 0; i < (per < 64 ? per : 64); i++)
		if (!ambiguous(one[i].port, one[i].listener))
			one[k++] = one[i];
	for (i = 0; want("same") && k > 0 && i < lookups; i++)
		timed(a, &res[2], &one[rand() % k], "browser", 1);
	counts(a, &res[2], &nl0, &pr0);
	/* gone: nobody holds that address (any more). */
	for (i = 0; want("gone") && i < lookups && i < 300; i++) {
		struct client c = { (uint16_t)(1 + i), 0, 0 };

		timed(a, &res[3], &c, "", 0);
		/* A real one spaces them by at least the NEW events between. */
	}
	counts(a, &res[3], &nl0, &pr0);
	attrib_free(a);

	printf("{\"processes\": %d, \"client_sockets\": %d, "
	    "\"accepted_sockets\": %d, \"listeners\": %d, "
	    "\"ambiguous_sockets\": %d, \"ambiguous_new\": %d,\n", nprocs,
	    total, total, NLISTEN, namb, newamb);
	for (i = 0; i < 4; i++)
		report(&res[i], i == 3);
	printf("}\n");
	for (i = 0; i < (int)nkids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < (int)nkids; i++)
		while (waitpid(kids[i], NULL, 0) == -1 && errno == EINTR)
			;
	k = res[0].bad + res[1].bad + res[2].bad + res[3].bad;
	return k ? 1 : 0;
}
