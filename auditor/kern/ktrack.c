/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ktrack.c: the connect tracker's loader (ktrack.h).  Built with the
 * skeleton where libbpf and bpftool were there at build time (HAVE_KTRACK);
 * else every open says so and attribution looks sockets up as before.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inaddr.h"
#include "ktable.h"
#include "ktrack.h"
#include "timeutil.h"
#include "xmalloc.h"

#ifdef HAVE_KTRACK

#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include "ktrack_rec.h"
#include "ktrack.skel.h"

struct ktrack {
	struct ktrack_bpf	*skel;
	struct ring_buffer	*rb;
	struct ktable		*table;
	char			*procdir;
	ktrack_sink_cb		 sink;
	void			*sink_arg;
	int			 udp;		/* DNS queries recorded too */
};

/* libbpf's own messages: one line of ours says what went wrong. */
static int
ktrack_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const char *
ktrack_why(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		return "no privilege to load BPF (needs root, or CAP_BPF "
		    "and CAP_PERFMON)";
	case ENOENT:
	case ESRCH:
		return "the kernel has no BTF or no inet_sock_set_state "
		    "tracepoint (/sys/kernel/btf/vmlinux)";
	case ENOSYS:
	case EOPNOTSUPP:
	case EINVAL:
		return "the kernel cannot run it (too old, or BPF disabled)";
	default:
		return "the kernel refused it";
	}
}

/*
 * The process is gone before its /proc/PID/exe was read (a short
 * client): the program it exec'd, as the kernel half kept it, resolved as
 * /proc/PID/exe would show it (symbolic links followed); as exec'd if it
 * cannot be resolved any more; "" if none was kept.
 */
static void
ktrack_exec_path(const char *in, char *out, size_t len)
{
	char kept[sizeof ((struct ktrack_rec *)0)->exe];
	char resolved[PATH_MAX];

	out[0] = '\0';
	memcpy(kept, in, sizeof kept);
	kept[sizeof kept - 1] = '\0';
	if (kept[0] != '/')
		return;
	if (realpath(kept, resolved) != NULL && strlen(resolved) < len)
		snprintf(out, len, "%s", resolved);
	else if (strlen(kept) < len)
		snprintf(out, len, "%s", kept);
}

static int
ktrack_record(void *ctx, void *data, size_t len)
{
	struct ktrack *k = ctx;
	const struct ktrack_rec *in = data;
	struct ktable_rec r;
	char path[64];
	ssize_t n;

	if (len < sizeof *in)
		return 0;
	memset(&r, 0, sizeof r);
	r.family = in->family == 2 ? AF_INET : AF_INET6;
	memcpy(r.saddr, in->saddr, sizeof r.saddr);
	memcpy(r.daddr, in->daddr, sizeof r.daddr);
	/* A dual-stack socket to an IPv4 address: as Tor sees it. */
	if (inaddr_is_mapped(r.saddr) && inaddr_is_mapped(r.daddr)) {
		int family = r.family;

		(void)inaddr_unmap(&family, r.saddr);
		(void)inaddr_unmap(&r.family, r.daddr);
	}
	r.proto = in->proto == 17 ? KTABLE_UDP : KTABLE_TCP;
	r.sport = in->sport;
	r.dport = in->dport;
	r.tgid = (long)in->tgid;
	r.pid = (long)in->pid;
	r.uid = (long)in->uid;
	memcpy(r.comm, in->comm, sizeof r.comm - 1);
	r.at = time_mono_us();
	snprintf(path, sizeof path, "%s/%ld/exe", k->procdir, r.tgid);
	n = readlink(path, r.exe, sizeof r.exe - 1);
	/* Only a whole path names a program. */
	if (n <= 0 || (size_t)n >= sizeof r.exe - 1 || r.exe[0] != '/')
		ktrack_exec_path(in->exe, r.exe, sizeof r.exe);
	else
		r.exe[n] = '\0';
	ktable_add(k->table, &r);
	if (k->sink != NULL)
		k->sink(&r, k->sink_arg);
	return 0;
}

/* The inode of one of our namespaces (/proc/self/ns/NAME), 0 if unknown. */
static unsigned
ktrack_ns(const char *procdir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/self/ns/%s", procdir, name);
	if (stat(path, &st) != 0 || st.st_ino > 0xffffffffu)
		return 0;
	return (unsigned)st.st_ino;
}

/* Opens, sets our namespaces, loads and attaches; 0 or an errno. */
static int
ktrack_load(struct ktrack *k, const char *procdir, int udp)
{
	int err;

	k->skel = ktrack_bpf__open();
	if (k->skel == NULL)
		return errno != 0 ? errno : ENOMEM;
	/*
	 * Our own namespaces only: another network namespace's sockets are
	 * another host's (a container, a simulated workstation), and pids
	 * are given as our /proc names them.
	 */
	k->skel->rodata->own_netns = ktrack_ns(procdir, "net");
	k->skel->rodata->pidns_ino = ktrack_ns(procdir, "pid");
	if (!udp)
		bpf_program__set_autoload(k->skel->progs.ktrack_udp4, false);
	if ((err = ktrack_bpf__load(k->skel)) != 0 ||
	    (err = ktrack_bpf__attach(k->skel)) != 0) {
		ktrack_bpf__destroy(k->skel);
		k->skel = NULL;
		return err;
	}
	k->udp = udp;
	return 0;
}

struct ktrack *
ktrack_open(struct ktable *table, const char *procdir, char **cause)
{
	struct ktrack *k;
	int err;

	libbpf_set_print(ktrack_quiet);
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		*cause = xasprintf("the kernel has no BTF "
		    "(/sys/kernel/btf/vmlinux: %s)", strerror(errno));
		return NULL;
	}
	k = xcalloc(1, sizeof *k);
	k->table = table;
	k->procdir = xstrdup(procdir);
	/* DNS queries need the fib tracepoint: TCP alone without it. */
	if ((err = ktrack_load(k, procdir, 1)) != 0 &&
	    (err = ktrack_load(k, procdir, 0)) != 0)
		goto fail;
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.records),
	    ktrack_record, k, NULL);
	if (k->rb == NULL) {
		err = errno;
		goto fail;
	}
	ktrack_watch_udp(k, 53);
	return k;
fail:
	*cause = xasprintf("%s (%s)", ktrack_why(err), strerror(err < 0 ?
	    -err : err));
	ktrack_close(k);
	return NULL;
}

int
ktrack_udp(const struct ktrack *k)
{
	return k->udp;
}

void
ktrack_watch_udp(struct ktrack *k, unsigned port)
{
	unsigned short p = (unsigned short)port;
	unsigned char one = 1;

	if (k->udp && port > 0 && port < 65536)
		(void)bpf_map__update_elem(k->skel->maps.udp_ports, &p,
		    sizeof p, &one, sizeof one, BPF_ANY);
}

void
ktrack_set_sink(struct ktrack *k, ktrack_sink_cb cb, void *arg)
{
	k->sink = cb;
	k->sink_arg = arg;
}

int
ktrack_fd(const struct ktrack *k)
{
	return ring_buffer__epoll_fd(k->rb);
}

int
ktrack_poll(struct ktrack *k)
{
	return ring_buffer__consume(k->rb);
}

void
ktrack_close(struct ktrack *k)
{
	if (k == NULL)
		return;
	ring_buffer__free(k->rb);
	if (k->skel != NULL)
		ktrack_bpf__destroy(k->skel);
	free(k->procdir);
	free(k);
}

#else /* !HAVE_KTRACK */

struct ktrack {
	int	unused;
};

struct ktrack *
ktrack_open(struct ktable *table, const char *procdir, char **cause)
{
	(void)table;
	(void)procdir;
	*cause = xstrdup("built without it (no libbpf or bpftool at build "
	    "time)");
	return NULL;
}

void
ktrack_set_sink(struct ktrack *k, ktrack_sink_cb cb, void *arg)
{
	(void)k;
	(void)cb;
	(void)arg;
}

int
ktrack_udp(const struct ktrack *k)
{
	(void)k;
	return 0;
}

void
ktrack_watch_udp(struct ktrack *k, unsigned port)
{
	(void)k;
	(void)port;
}

int
ktrack_fd(const struct ktrack *k)
{
	(void)k;
	return -1;
}

int
ktrack_poll(struct ktrack *k)
{
	(void)k;
	return 0;
}

void
ktrack_close(struct ktrack *k)
{
	free(k);
}

#endif
