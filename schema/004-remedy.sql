-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 004-remedy: what to do about a cause, as the system's profile words it
-- (profile.c; SPEC.md "Profiles").  Set when the cause is made and kept
-- current; NULL where no profile has advice (the findings table in the
-- README applies) and for causes from before this step.
ALTER TABLE cause ADD COLUMN remedy TEXT;
