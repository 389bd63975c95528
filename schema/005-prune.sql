-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 005-prune: prune deletes rows by their own age, also inside a Tor
-- session that runs for months (SPEC.md, "Robustness promises").  A
-- circuit older than the cutoff stays while an occurrence still names it:
-- this index answers "does an occurrence name (session, circuit)" for
-- each old circuit (occurrence(session) alone scanned all of a long
-- session's occurrences for each).
CREATE INDEX occurrence_circuit ON occurrence(session, circ_id);
