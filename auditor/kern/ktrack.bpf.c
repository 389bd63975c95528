// SPDX-FileCopyrightText: 2026 The isoaudit authors
// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktrack.bpf.c: the kernel half of the connect tracker.  At a TCP socket's
 * CLOSE -> SYN_SENT (connect(2), in the caller's context) remember who
 * called (tgid, pid, uid, comm) keyed by the socket; at SYN_SENT ->
 * ESTABLISHED (the source port is known by then) send the 4-tuple and that
 * caller to userspace through a ring buffer.  Built with clang -target bpf
 * against the running kernel's BTF (CO-RE); loaded by ktrack_bpf.c.
 *
 * The loader sets, before loading, the network namespace whose connects
 * are recorded (its own: a workstation's agent or a gateway must not claim
 * another namespace's sockets on a shared kernel) and its pid namespace:
 * pids are given as that namespace sees them, and a process it cannot see
 * is not recorded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "ktrack_rec.h"

#define AF_INET		2
#define AF_INET6	10
#define TCP_ESTABLISHED	1
#define TCP_SYN_SENT	2
#define TCP_CLOSE	7

/* Set by the loader (ktrack.c); 0: no filter. */
const volatile __u32 own_netns = 0;	/* network namespace inode */
const volatile __u32 pidns_ino = 0;	/* pid namespace inode */

#define IPPROTO_TCP	6
#define IPPROTO_UDP	17

struct caller {
	__u32	tgid;
	__u32	pid;
	__u32	uid;
	__u32	gtgid;		/* the tgid in the initial namespace */
	char	comm[16];
};

/*
 * The program each process last exec'd (tgid in the initial pid
 * namespace -> the path exec(2) opened: for a script, its interpreter,
 * as /proc/PID/exe shows it), kept after the process is gone so that a
 * client that exits before userspace reads /proc/PID/exe is still named
 * by its executable, not only by its comm.  Userspace resolves it
 * (realpath) when /proc/PID/exe cannot be read.
 */
struct exe {
	char	path[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct exe);
} execs SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ktrack_exec, struct task_struct *p, pid_t old_pid,
    struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct exe e;

	if (bpf_probe_read_kernel_str(e.path, sizeof e.path,
	    BPF_CORE_READ(bprm, interp)) <= 1 || e.path[0] != '/') {
		bpf_map_delete_elem(&execs, &tgid);	/* not a whole path */
		return 0;
	}
	bpf_map_update_elem(&execs, &tgid, &e, BPF_ANY);
	return 0;
}

/* The exec'd path of the process gtgid into out (256 bytes), or "". */
static __always_inline void
exe_of(__u32 gtgid, char *out)
{
	struct exe *e = bpf_map_lookup_elem(&execs, &gtgid);

	if (e != NULL)
		bpf_probe_read_kernel_str(out, 256, e->path);
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct caller);
} connecting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} records SEC(".maps");

/*
 * The number of a struct pid in the loader's pid namespace (found by its
 * inode among the pid's levels, as pid_nr_ns() finds it by pointer); 0
 * where that namespace cannot see it (a process of a sibling or parent
 * namespace).  Namespaces nest at most 32 deep; PIDNS_DEPTH levels are
 * searched, as many as any container setup uses.
 */
#define PIDNS_DEPTH	8

static __always_inline __u32
ns_nr(struct pid *p)
{
	struct upid up;
	unsigned int level, i;

	if (p == NULL)
		return 0;
	level = BPF_CORE_READ(p, level);
	for (i = 0; i < PIDNS_DEPTH; i++) {
		if (i > level)
			break;
		if (bpf_core_read(&up, sizeof up, &p->numbers[i]) != 0)
			return 0;
		if (up.ns != NULL && BPF_CORE_READ(up.ns, ns.inum) ==
		    pidns_ino)
			return (__u32)up.nr;
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ktrack_state, const struct sock *sk, const int oldstate,
    const int newstate)
{
	__u64 key = (__u64)sk;
	struct caller c = { 0 }, *cp;
	struct ktrack_rec *r;
	__u16 family, proto;

	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		__u64 id = bpf_get_current_pid_tgid();

		if (own_netns != 0 &&
		    BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) !=
		    own_netns)
			return 0;
		c.tgid = id >> 32;
		c.pid = (__u32)id;
		if (pidns_ino != 0) {
			struct task_struct *t = bpf_get_current_task_btf();

			c.pid = ns_nr(BPF_CORE_READ(t, thread_pid));
			c.tgid = ns_nr(BPF_CORE_READ(t, group_leader,
			    thread_pid));
			if (c.pid == 0 || c.tgid == 0)
				return 0;	/* not visible there */
		}
		c.gtgid = id >> 32;
		c.uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(c.comm, sizeof c.comm);
		bpf_map_update_elem(&connecting, &key, &c, BPF_ANY);
		return 0;
	}
	if (oldstate != TCP_SYN_SENT)
		return 0;
	cp = bpf_map_lookup_elem(&connecting, &key);
	if (cp == NULL)
		return 0;
	if (newstate != TCP_ESTABLISHED) {
		bpf_map_delete_elem(&connecting, &key);
		return 0;
	}
	r = bpf_ringbuf_reserve(&records, sizeof *r, 0);
	if (r == NULL) {
		bpf_map_delete_elem(&connecting, &key);
		return 0;
	}
	__builtin_memset(r, 0, sizeof *r);
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r->family = family;
	r->proto = IPPROTO_TCP;
	r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		/* BPF_CORE_READ_INTO reads sizeof *dst: a __u32, not a byte. */
		__u32 a4;

		a4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(r->saddr, &a4, 4);
		a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(r->daddr, &a4, 4);
	} else {
		BPF_CORE_READ_INTO(&r->saddr, sk,
		    __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&r->daddr, sk,
		    __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	r->tgid = cp->tgid;
	r->pid = cp->pid;
	r->uid = cp->uid;
	__builtin_memcpy(r->comm, cp->comm, sizeof r->comm);
	exe_of(cp->gtgid, r->exe);
	bpf_map_delete_elem(&connecting, &key);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/*
 * UDP: a socket's first datagram to each destination whose port is
 * watched (the loader adds 53 and Tor's DNSPorts): a DNS query.  The
 * kernel looks a route up for each datagram of an unconnected socket, and
 * at connect(2) for a connected one, in the sender's context, with the
 * flow's ports: the fib_table_lookup tracepoint sees it (fentry and
 * kprobes are not on every kernel; this tracepoint is).  An output lookup
 * has the loopback device as its input interface; a received packet's
 * lookup (softirq: not the sender's context) has its own device and is
 * skipped.  The source address is the socket's, or 0 where the route
 * chooses it (userspace matches such a record by port).  "udp_seen" keeps
 * one record per (sender, destination, source port) a minute.
 */
#define LOOPBACK_IFINDEX	1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} udp_ports SEC(".maps");

struct flow {
	__u32	tgid;
	__u32	daddr;
	__u16	sport;
	__u16	dport;
	__u32	pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct flow);
	__type(value, __u64);		/* when last recorded (ns) */
} udp_seen SEC(".maps");

/* A long-lived socket (a resolver's) is recorded again after this, well
 * inside userspace's 120 s. */
#define UDP_AGAIN_NS	(60ULL * 1000000000ULL)

SEC("tp_btf/fib_table_lookup")
int BPF_PROG(ktrack_udp4, __u32 tb_id, const struct flowi4 *fl4,
    const struct fib_nh_common *nhc, int err)
{
	struct flow f = { 0 };
	struct ktrack_rec *r;
	struct task_struct *t;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, pid = (__u32)id, a;
	__u16 dport, sport;
	__u64 now, *last;

	if (BPF_CORE_READ(fl4, __fl_common.flowic_proto) != IPPROTO_UDP ||
	    BPF_CORE_READ(fl4, __fl_common.flowic_iif) != LOOPBACK_IFINDEX ||
	    tgid == 0)
		return 0;
	dport = __builtin_bswap16(BPF_CORE_READ(fl4, uli.ports.dport));
	sport = __builtin_bswap16(BPF_CORE_READ(fl4, uli.ports.sport));
	if (sport == 0 || bpf_map_lookup_elem(&udp_ports, &dport) == NULL)
		return 0;
	t = bpf_get_current_task_btf();
	if (own_netns != 0 &&
	    BPF_CORE_READ(t, nsproxy, net_ns, ns.inum) != own_netns)
		return 0;
	f.tgid = tgid;
	f.daddr = BPF_CORE_READ(fl4, daddr);
	f.sport = sport;
	f.dport = dport;
	now = bpf_ktime_get_ns();
	last = bpf_map_lookup_elem(&udp_seen, &f);
	if (last != NULL && now - *last < UDP_AGAIN_NS)
		return 0;
	bpf_map_update_elem(&udp_seen, &f, &now, BPF_ANY);
	if (pidns_ino != 0) {
		pid = ns_nr(BPF_CORE_READ(t, thread_pid));
		tgid = ns_nr(BPF_CORE_READ(t, group_leader, thread_pid));
		if (pid == 0 || tgid == 0)
			return 0;
	}
	r = bpf_ringbuf_reserve(&records, sizeof *r, 0);
	if (r == NULL)
		return 0;
	__builtin_memset(r, 0, sizeof *r);
	r->family = AF_INET;
	r->proto = IPPROTO_UDP;
	a = BPF_CORE_READ(fl4, saddr);
	__builtin_memcpy(r->saddr, &a, 4);
	__builtin_memcpy(r->daddr, &f.daddr, 4);
	r->sport = sport;
	r->dport = dport;
	r->tgid = tgid;
	r->pid = pid;
	r->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(r->comm, sizeof r->comm);
	exe_of(id >> 32, r->exe);
	bpf_ringbuf_submit(r, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
