/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * nsparse.h: Tor's answers about one relay, for the dashboard's circuit
 * details: the router status of `GETINFO ns/id/FP` ("r nick identity
 * digest date time IP ORPort DirPort", "s Flags...") and the country of
 * `GETINFO ip-to-country/IP`.  Pure: no I/O; bounded; whatever Tor sends
 * that is not in the shape expected is refused, so that what comes out is
 * printable ASCII.
 */
#ifndef ISOAUDIT_NSPARSE_H
#define ISOAUDIT_NSPARSE_H

#include <stddef.h>

#define NS_NICK		20	/* 1-19 characters, and the NUL */
#define NS_ADDR		48	/* an IPv4 or IPv6 address */
#define NS_FLAGS	160	/* "Exit Fast Guard ...", cut at a word */

struct ns_router {
	char		 nick[NS_NICK];
	char		 fp[41];	/* hex, from the r line's identity */
	char		 address[NS_ADDR];
	unsigned	 orport;
	unsigned	 dirport;
	char		 flags[NS_FLAGS];	/* "" when no s line */
};

/*
 * Parses a router status (the data of a `250+ns/id/FP=` line: lines
 * joined by '\n').  Returns 0, or -1 with *cause allocated when there is
 * no well-formed r line.  Unknown lines are skipped; flags that are not
 * words of letters and digits are dropped.
 */
int	nsparse_router(const char *, size_t, struct ns_router *, char **);
/*
 * The country of an `ip-to-country/IP=cc` value: two letters, lower case,
 * into cc (3 bytes).  Returns 0, or -1 when the value is no country ("??",
 * "", anything else) and cc is "".
 */
int	nsparse_country(const char *, size_t, char *);

#endif
