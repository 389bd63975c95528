-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 006-attribution: how each stream's application was found (SPEC.md,
-- "Who opened a stream: every stream, here and on the workstation"):
-- 'tracker' (the kernel's record of the connect), 'lookup' (the socket
-- found when Tor reported the stream), 'agent:NAME', 'credential',
-- 'session-group' or 'none'.  NULL for streams recorded before.
ALTER TABLE stream ADD COLUMN attribution TEXT;
