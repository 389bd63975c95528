/*
 * ktrack.h: the connect tracker's userspace half: loads the kernel half
 * (ktrack.bpf.c, through its bpftool skeleton) and moves the records of
 * its ring buffer into a ktable, each with the executable of its process
 * read from /proc/PID/exe while it is still there.  The caller polls the
 * ring buffer when ktrack_fd() is readable (monitor's libevent loop).
 */
#ifndef ISOAUDIT_KTRACK_H
#define ISOAUDIT_KTRACK_H

struct ktable;
struct ktrack;

/*
 * Loads and attaches the tracker, feeding table (borrowed); procdir is
 * "/proc".  NULL, with the reason in *cause (allocated, one line: no
 * privilege, no BTF, a kernel too old, built without it), where it cannot.
 */
struct ktrack *ktrack_open(struct ktable *, const char *, char **);
/* The descriptor that becomes readable when records are waiting. */
int	ktrack_fd(const struct ktrack *);
/* Moves the waiting records into the table; returns how many. */
int	ktrack_poll(struct ktrack *);
/* Detaches and frees; takes NULL. */
void	ktrack_close(struct ktrack *);

#endif
