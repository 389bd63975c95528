#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# t_fuzz: the short fuzzing run of `make check`: each harness of tests/fuzz
# for 20 s (120 s in all), its regression inputs first.  Passes when
# nothing crashed; skipped (77, the reason last) without clang and
# libFuzzer.  Does not use $ISOAUDIT: the harnesses link the parsers.
# `make fuzz` (tests/fuzz/run 300) is the long run; see docs/fuzzing.md.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec sh "$top/tests/fuzz/run" 20
