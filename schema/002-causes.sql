-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 002-causes: a finding is a cause, not an occurrence (SPEC.md, 0.2).  A
-- cause (the rule and who, by its key) is kept once, across circuits and
-- Tor sessions; each occurrence of it (Tor session, circuit) is a row of
-- its own with the exit, the streams, a count and first/last seen.  The
-- 0.1 findings move over without loss: each becomes a cause of its own
-- (key 'v1:ID', so none merge) with exactly one occurrence, its id kept as
-- the cause's id and as its check order (seq), so that a check cursor's
-- last finding id keeps its meaning as the last seq.

CREATE TABLE cause (
	id		INTEGER PRIMARY KEY,
	key		TEXT UNIQUE NOT NULL,
	rule		TEXT NOT NULL,
	severity	TEXT NOT NULL,
	listener	TEXT NOT NULL DEFAULT '',
	ident_a		TEXT NOT NULL DEFAULT '',
	ident_b		TEXT NOT NULL DEFAULT '',
	apps		TEXT,
	identities	TEXT,
	processes	TEXT,
	detail		TEXT,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	acknowledged	INTEGER NOT NULL DEFAULT 0,
	ack_at		INTEGER,
	-- How often it came back after an acknowledgement.
	again		INTEGER NOT NULL DEFAULT 0,
	-- check's order: set when the cause is made, moved to the end when
	-- it comes back after an acknowledgement; never below a cursor.
	seq		INTEGER NOT NULL
) STRICT;
CREATE INDEX cause_seq ON cause(seq);
CREATE INDEX cause_first_seen ON cause(first_seen);

CREATE TABLE occurrence (
	cause		INTEGER NOT NULL REFERENCES cause(id) ON DELETE CASCADE,
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	circ_id		INTEGER NOT NULL DEFAULT 0,
	exit_fp		TEXT,
	streams		TEXT,
	count		INTEGER NOT NULL DEFAULT 1,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	UNIQUE (cause, session, circ_id)
) STRICT;
CREATE INDEX occurrence_session ON occurrence(session);
CREATE INDEX occurrence_last_seen ON occurrence(last_seen);

INSERT INTO cause(id, key, rule, severity, listener, ident_a, ident_b, apps,
	identities, processes, detail, first_seen, last_seen, acknowledged,
	ack_at, again, seq)
SELECT id, 'v1:' || id, rule, severity, listener, ident_a, ident_b, apps,
	identities, processes, detail, first_seen, last_seen, acknowledged,
	-- 0.1 kept no time: acknowledged after it was last seen, at least.
	CASE WHEN acknowledged THEN last_seen END, 0, id
FROM finding;

INSERT INTO occurrence(cause, session, circ_id, exit_fp, streams, count,
	first_seen, last_seen)
SELECT f.id, f.session, f.circ_id, (SELECT c.exit_fp FROM circuit c WHERE
	c.session = f.session AND c.circ_id = f.circ_id AND f.circ_id != 0),
	f.streams, f.count, f.first_seen, f.last_seen
FROM finding f;

DROP TABLE finding;

ALTER TABLE check_cursor RENAME COLUMN last_finding TO last_seq;
