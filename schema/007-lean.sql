-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 007-lean: what the write path pays for and no reader needs (docs/schema.md,
-- docs/performance.md).  Each of these indexes cost about 1,250
-- instructions an event on replay into a database (a quarter of the rows'
-- own cost), kept in step on every upsert of a stream or attachment:
-- - stream_app: report and check find a stream's application from the
--   stream; prune deletes applications no stream names with one scan
--   (NOT IN), not a lookup per application;
-- - stream_circuit and attach_circuit: report joins attachments to
--   streams by the primary keys, in key order; prune asks which circuits
--   are still named with one scan per batch (NOT IN), not a lookup per
--   circuit.
-- stream_opened stays: time ranges (report --since, prune's cutoff) use it.
DROP INDEX IF EXISTS stream_app;
DROP INDEX IF EXISTS stream_circuit;
DROP INDEX IF EXISTS attach_circuit;
