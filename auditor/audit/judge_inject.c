/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * judge_inject.c: CONTROL_INJECTION.  The pipeline saw a STREAM event cut
 * by a line break inside its target (Tor writes every target as "%s:%d",
 * and copies a rejected SOCKS hostname raw: docs/isolation.md) and kept
 * the lines smuggled after it from changing anything; the judge names the
 * cause: the listener.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "judge.h"
#include "judge_int.h"

void
judge_control_injection(struct judge *j, const char *listener,
    const char *client, uint64_t stream, unsigned smuggled, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	if (listener == NULL || listener[0] == '\0')
		listener = "unknown listener";
	f = judge_occ(j, RULE_CONTROL_INJECTION, 0, listener, NULL, NULL, NULL,
	    ts, &is_new);
	judge_occ_stream(f, stream);
	buf_init(&d);
	buf_printf(&d, "a SOCKS client on %s", listener);
	if (client != NULL && client[0] != '\0')
		buf_printf(&d, " (from %s)", client);
	buf_printf(&d, " put a line break in a hostname: Tor copied it into "
	    "stream %" PRIu64 "'s event, %u line%s after it %s ignored; a "
	    "client that does this is probing or attacking the controllers "
	    "of this Tor", stream, smuggled, smuggled == 1 ? "" : "s",
	    smuggled == 1 ? "was" : "were");
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

void
judge_state_contradiction(struct judge *j, const char *what, uint64_t stream,
    int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_CONTROL_INJECTION, 0, "unknown listener", NULL,
	    NULL, NULL, ts, &is_new);
	if (stream != 0)
		judge_occ_stream(f, stream);
	buf_init(&d);
	buf_printf(&d, "Tor's own state contradicts the events: %s (GETINFO "
	    "circuit-status/stream-status): lines were smuggled into Tor's "
	    "events past the filter, by a SOCKS client through a hostname",
	    what);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}
