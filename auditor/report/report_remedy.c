/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * report_remedy.c: what each rule means for the user and what to change,
 * one table that the text and HTML reports both print (docs/isolation.md
 * says on which of Tor's isolation rules each stands).  A finding may also
 * carry its system's own remedy (the profile's, audit/profile.c), which the
 * reports print after this one as "on this system".
 */
#include <stddef.h>
#include <string.h>

#include "report_int.h"

static const struct report_remedy report_remedies[] = {
	{ "SHARED_CIRCUIT",
	  "were linked: their streams left through one circuit, so its exit "
	  "relay (and whoever watches it) can tie them to one pseudonym",
	  "Give each application its own SocksPort (a SocksPort line per "
	  "program in torrc), or distinct SOCKS credentials on one port that "
	  "has IsolateSOCKSAuth (torsocks --isolate, IsolatePID in "
	  "torsocks.conf). Do not join their ports with one SessionGroup=N: "
	  "give each port its own SessionGroup or none. An application on the "
	  "TransPort or DNSPort: configure it for a SocksPort." },
	{ "CONTROLLER_ATTACH",
	  "were put on one circuit by a controller although Tor's own "
	  "isolation would have kept them apart",
	  "Find the program on the ControlPort that attaches streams "
	  "(__LeaveStreamsUnattached, ATTACHSTREAM) and stop it; give "
	  "untrusted programs only a filtered control port (onion-grater) and "
	  "keep the cookie readable by the tor group alone." },
	{ "NYM_EPOCH_REUSE",
	  "was linked across a new identity: a stream after NEWNYM went on a "
	  "circuit first used before it",
	  "Only a controller attaching streams by hand does this: find it and "
	  "stop it (as for CONTROLLER_ATTACH). Until then New Identity does "
	  "not give a new identity." },
	{ "SHARED_PORT_PROCESSES",
	  "sent streams with equal isolation keys through one listener, so "
	  "Tor may put them on one circuit",
	  "Give each application its own SocksPort, or distinct SOCKS "
	  "credentials on the shared one (torsocks --isolate, IsolatePID 1 in "
	  "torsocks.conf; the port must keep IsolateSOCKSAuth, Tor's "
	  "default)." },
	{ "UNISOLATED_PORT",
	  "used a listener that cannot tell applications apart (a TransPort, "
	  "DNSPort or shared port)",
	  "Configure each application for its own SocksPort; leave the "
	  "TransPort and DNSPort to what cannot be configured." },
	{ "SHARED_EXIT",
	  "left through the same exit relay at the same time on different "
	  "circuits; that relay can correlate them by timing",
	  "Usually acceptable: Tor's path selection does not avoid it. If the "
	  "two must never meet, run them on separate Tor instances." },
	{ "WEAK_PORT_CONFIG",
	  "has a SocksPort whose isolation flags do not fit it",
	  "Fix the SocksPort line as the finding says: IsolateSOCKSAuth on a "
	  "browser's port, no IsolateDestAddr there, IsolateClientAddr on a "
	  "listener that is not on loopback; then reload Tor." },
	{ "PRE_ATTACH",
	  "had streams open before isoaudit attached; who opened them is "
	  "unknown",
	  "Nothing to fix in Tor. Start isoaudit before the applications "
	  "(its service starts after tor) to see every stream." },
	{ "CONTROL_INJECTION",
	  "received a hostname with a line break from a SOCKS client, which "
	  "Tor copied into its control-port events",
	  "Find the client on the named listener and stop it; keep untrusted "
	  "clients off the ports of trusted ones, and take a Tor release that "
	  "refuses such hostnames when there is one." },
};

#define REPORT_NREMEDIES \
	(sizeof report_remedies / sizeof report_remedies[0])

const struct report_remedy *
report_remedy_find(const char *rule)
{
	size_t i;

	if (rule == NULL)
		return NULL;
	for (i = 0; i < REPORT_NREMEDIES; i++)
		if (strcmp(report_remedies[i].rule, rule) == 0)
			return &report_remedies[i];
	return NULL;
}

const struct report_remedy *
report_remedy_at(size_t i)
{
	return i < REPORT_NREMEDIES ? &report_remedies[i] : NULL;
}
