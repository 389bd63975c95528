/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * replayer.h: the lines of a transcript (or of a bare capture), as the
 * record reader gives them, into a pipeline: replies to the reply parser,
 * "# session" notes to the session calls, "# attrib" notes to
 * pipeline_hint() ahead of the event they follow, replies to no command
 * dropped as live.  No I/O of its own: `isoaudit replay` and the fuzzer
 * of the transcript reader share it.
 */
#ifndef ISOAUDIT_REPLAYER_H
#define ISOAUDIT_REPLAYER_H

#include <stdint.h>

struct pipeline;
struct record_line;
struct replayer;

/*
 * A replayer into pipe.  path names the input in messages (and a bare
 * capture's session); a bare capture's lines are timed base_ts plus their
 * line number, in microseconds.
 */
struct replayer *replayer_new(struct pipeline *, const char *, int64_t);
/*
 * The next line, and whether the reader found a transcript.  A bare
 * capture's line gets its time here (l->ts_us is set).
 */
void	replayer_line(struct replayer *, struct record_line *, int);
/* The end of the input: the line held back, a bare capture's session. */
void	replayer_end(struct replayer *, int);
/* Lines skipped as malformed (the first 10 were logged). */
unsigned replayer_problems(const struct replayer *);
void	replayer_free(struct replayer *);

#endif
