/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * record.h: control-port transcripts.  Writing: one line per control-port
 * line, "<unix.usec> <dir> <line>", dir '<' from Tor, '>' to Tor (with
 * AUTHENTICATE arguments redacted), '#' an annotation.  Reading: transcripts
 * and bare captures, line by line.
 */
#ifndef ISOAUDIT_RECORD_H
#define ISOAUDIT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct privacy;
struct record;

/*
 * Creates (or truncates) path with mode 0600 and returns a recorder, or
 * NULL with *cause allocated.
 */
struct record *record_open(const char *, char **);
/*
 * From now on lines from Tor are written as LogTargets allows: with hash
 * destinations, onion addresses and SOCKS credentials as the keyed hashes
 * the output shows, with none destinations withheld (docs/privacy.md).
 * The privacy settings must outlive the recorder.
 */
void	record_set_privacy(struct record *, const struct privacy *);
/* Flushes and closes; takes NULL. */
void	record_close(struct record *);
/* One line from Tor (without its line end). */
void	record_from_tor(struct record *, const char *, size_t, int64_t);
/* A command line sent to Tor (without CRLF); secrets are redacted. */
void	record_to_tor(struct record *, const char *, size_t, int64_t);
/* An annotation line. */
void	record_note(struct record *, int64_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#ifdef ISOAUDIT_PRIVATE
/* For record.c and the tests. */
/* Returns -1 once a write has failed (the error is logged once). */
int	record_failed(const struct record *);
/*
 * Returns a copy of a command with what must never be written down
 * replaced by "[redacted]" (AUTHENTICATE's argument).  Allocated.
 */
char	*record_redact(const char *, size_t);

/* record_scrub.c: a line from Tor as LogTargets allows. */
struct record_scrub;
/* Returns a scrubber (p must outlive it; NULL: lines as they are). */
struct record_scrub *record_scrub_new(const struct privacy *);
/* Takes NULL. */
void	record_scrub_free(struct record_scrub *);
/*
 * Returns the text to write for one line from Tor (without its line end)
 * and sets *outlen; valid until the next call.  Lines must come in order:
 * data blocks and multi-line events are followed.
 */
const char *record_scrub_line(struct record_scrub *, const char *, size_t,
	    int64_t, size_t *);
#endif

/* One line of a transcript or capture. */
struct record_line {
	int64_t		 ts_us;		/* 0 in a bare capture */
	char		 dir;		/* '<', '>' or '#' */
	const char	*text;		/* without time, direction, line end */
	size_t		 len;
};

struct record_reader;

/* Returns a reader over an open file (not closed by the reader). */
struct record_reader *record_reader_new(FILE *);
void	record_reader_free(struct record_reader *);
/*
 * Reads the next line.  Returns 1 with *line filled (valid until the next
 * call), 0 at end of file, -1 on a read error.  The format (transcript or
 * bare capture) is decided by the first non-empty line.
 */
int	record_reader_next(struct record_reader *, struct record_line *);
/* Whether the file is a transcript (1) or a bare capture (0). */
int	record_reader_is_transcript(const struct record_reader *);

#endif
