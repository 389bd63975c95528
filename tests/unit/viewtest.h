/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * viewtest.h: the fixture and row builder the dashboard's model tests
 * share (test_view.c, test_view_dash.c).  Static and marked unused, as in
 * testutil.h; include after it.
 */
#ifndef ISOAUDIT_VIEWTEST_H
#define ISOAUDIT_VIEWTEST_H

#include "ui.h"
#include "view.h"

/* A fresh view for each test. */
static TU_UNUSED int
vt_setup(void **state)
{
	struct view *v = calloc(1, sizeof *v);

	assert_non_null(v);
	view_init(v);
	*state = v;
	return 0;
}

static TU_UNUSED int
vt_teardown(void **state)
{
	struct view *v = *state;

	view_free(v);
	free(v);
	return 0;
}

/* A panel's rows of v, built again from nothing. */
static TU_UNUSED void
build(const struct panel *p, const struct view *v,
    const struct panel_state *ps, struct rows *r)
{
	rows_clear(r);
	p->build(v, ps, r);
}
#endif
