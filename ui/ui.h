/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ui.h: the dashboard's pieces.  view*.c is the model; each panel_*.c
 * turns it into rows (pure: no curses, testable); draw.c paints rows
 * through a panel's column table; ui.c owns the terminal and when to
 * repaint; ui_key.c the keys.
 */
#ifndef ISOAUDIT_UI_H
#define ISOAUDIT_UI_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

#define UI_MAX_COLS	8

/* What a row is, so that keys know what they act on. */
enum row_kind {
	ROW_CIRC = 1,
	ROW_STREAM,
	ROW_APP,
	ROW_FINDING,
	ROW_DETAIL,	/* a finding's or circuit's expanded lines */
	ROW_LOG,
	ROW_NOTE	/* "(no circuit yet)", "nothing matches" */
};

#define ROW_SHARED	0x01	/* red, with the marker */
#define ROW_CLOSED	0x02	/* dim */
#define ROW_ACKED	0x04
#define ROW_SPAN	0x08	/* cells[0] spans the whole width */
#define ROW_FOLDED	0x10	/* a circuit whose streams are hidden */

struct row {
	enum row_kind	 kind;
	uint64_t	 key;		/* circuit or stream id, finding seq,
					   app index, log line */
	int		 flags;
	int		 severity;	/* findings, log: enum severity */
	char		*cells[UI_MAX_COLS];
};

struct rows {
	struct row	*v;
	size_t		 n;
	size_t		 cap;
};

void	rows_init(struct rows *);
void	rows_clear(struct rows *);
/* Appends a row with n cells (printf-less: strings copied; NULL = ""). */
struct row *rows_add(struct rows *, enum row_kind, uint64_t, int,
	    const char *const *, size_t);

/*
 * A column of a panel's table: title, minimum width, share of what is
 * left over (0: fixed), right-aligned, and priority: when the columns do
 * not fit at their minimum, the lowest priority goes first (the
 * rightmost of equals), so that a narrow screen keeps what matters and
 * a wide one shows more.
 */
struct column {
	const char	*title;
	int		 min;
	int		 weight;
	int		 right;
	int		 prio;
};

/* What the panels are asked to show. */
struct panel_state {
	const char	*filter;	/* "" or a case-insensitive substring */
	int		 sort;
	int64_t		 now;		/* us, for ages */
	struct idmap	*folded;	/* circuit ids folded by the user */
	uint64_t	 open_finding;	/* seq of the expanded one, or 0 */
	uint64_t	 open_circ;	/* id of the circuit whose details are
					   open, or 0 */
	int		 width;		/* of the screen, for wrapped text */
};

struct panel {
	const char		*name;
	const struct column	*cols;
	size_t			 ncols;
	const char *const	*sorts;
	size_t			 nsorts;
	void			(*build)(const struct view *,
				    const struct panel_state *, struct rows *);
};

enum { PANEL_CIRCUITS, PANEL_APPS, PANEL_FINDINGS, PANEL_LOG, PANEL__COUNT };
extern const struct panel panel_circuits, panel_apps, panel_findings,
    panel_log;

/* --- the dashboard (ui.c, draw.c) ---------------------------------------- */

struct event;
struct monitor;
struct opts;

/* A panel's list as shown: its rows, selection and scroll. */
struct panel_view {
	struct rows	 rows;
	size_t		 sel;
	size_t		 top;
	enum row_kind	 sel_kind;	/* to find the selection again */
	uint64_t	 sel_key;
	int		 sort;
	int		 built;
	int		 pinned;	/* the user moved: follow that row
					   (else stay on the first) */
};

enum ui_mode { UI_NORMAL, UI_FILTER, UI_CONFIRM, UI_HELP, UI_QUIT };

#define UI_FRAME_US	50000		/* at most 20 repaints a second */
#define UI_CMDS		16

/* A command the dashboard sent Tor, waiting for its reply. */
struct ui_cmd {
	char		 what[16];	/* "uptime", "newnym", "ns", "country" */
	char		 fp[41];	/* ns, country: the relay */
	char		 key[64];	/* the GETINFO key its answer names */
};

struct ui {
	struct opts	*opts;
	struct monitor	*mon;
	struct view	 view;
	int		 active;	/* curses is on */
	int		 color;
	enum ui_mode	 mode;
	int		 panel;
	struct panel_view pv[PANEL__COUNT];
	char		 filter[128];
	char		 filter_saved[128];
	int		 paused;
	struct idmap	 folded;
	uint64_t	 open_finding;
	uint64_t	 open_circ;	/* circuit details open, or 0 */
	unsigned	 quit_unacked;	/* UI_QUIT: findings not acknowledged */
	char		 message[160];	/* footer, until message_until */
	int64_t		 message_until;	/* time_mono_us */

	struct event	*ev_stdin;
	struct event	*ev_winch;
	struct event	*ev_hup;
	struct event	*ev_frame;
	struct event	*ev_clock;
	int		 frame_pending;
	int		 dirty;
	int		 rebuild;	/* rows must be built again */
	uint64_t	 built_gen;
	int64_t		 last_paint;	/* time_mono_us */

	/* Counters (printed with -v at the end). */
	uint64_t	 repaints;
	unsigned	 max_per_second;
	unsigned	 this_second;
	int64_t		 second;
	int64_t		 started;

	/* Commands sent to Tor and not answered yet. */
	struct ui_cmd	 cmds[UI_CMDS];
	size_t		 ncmds;
	char		*fatal;
};

/* What a key's action asks for next; ui_key does it, in one place. */
enum ui_next {
	UI_NEXT_NOTHING,
	UI_NEXT_REPAINT,	/* the screen, from the rows it has */
	UI_NEXT_REBUILD,	/* the rows too */
	UI_NEXT_QUIT
};

#define PANEL_BIT(p)	(1U << (p))
#define PANELS_ALL	((1U << PANEL__COUNT) - 1)
#define UI_KEY_CODES	4

/*
 * A line of the key table (ui.c), the one place the dashboard's keys are
 * written: it drives the key handler (the first line holding the key and
 * the current panel acts), the help screen and the footers (draw.c).
 */
struct ui_binding {
	int		 keys[UI_KEY_CODES];	/* curses codes; 0 ends */
	unsigned	 panels;	/* where it acts: PANEL_BIT()s */
	unsigned	 footer;	/* the panels whose footer shows it */
	const char	*foot_key;	/* "Tab/1-4", as the footer names it */
	const char	*foot_word;	/* "panels" */
	const char	*help_key;	/* "Tab, Shift-Tab, 1-4", or NULL */
	const char	*help;		/* lines split by '\n'; NULL: the
					   line above told it */
	enum ui_next	(*act)(struct ui *, int);	/* with arg */
	int		 arg;
};

extern const struct ui_binding ui_bindings[];
extern const size_t ui_nbindings;

/* ui.c: the panels, in the order of their tabs. */
extern const struct panel *const ui_panels[PANEL__COUNT];
/* Something changed: repaint at the next frame (rebuild: rows too). */
void	ui_dirty(struct ui *, int);
/* A message in the footer until the next key (or five seconds). */
void	ui_message(struct ui *, const char *);
/* ui_key.c: does what a key asks for; returns 1 to quit. */
int	ui_key(struct ui *, int);

/* draw.c: paints the whole screen from the ui's state. */
void	draw_init_colors(struct ui *);
void	draw_screen(struct ui *, int64_t);
/* How many list rows fit on the screen. */
int	draw_list_height(const struct ui *);

/* Case-insensitive substring test for the filter ("" matches all). */
int	ui_match(const char *, const char *);
/* "12s", "4m05s", "3h02m", "2d04h" */
void	ui_age(int64_t, char *, size_t);
/* "HH:MM:SS" (local time) of a time in us. */
void	ui_clock(int64_t, char *, size_t);

/*
 * Column widths for a total width (one space between columns): w[i] is 0
 * for a column dropped (lowest priority first); returns how many are
 * shown.  When not even one fits at its minimum, the highest priority
 * gets the whole width.
 */
size_t	ui_layout(const struct column *, size_t, int, int *);
/*
 * How many bytes of s[0..len) go on a line of width cells: up to the
 * last space that leaves the line at least half full, else cut at width.
 * At least 1 (when len > 0).
 */
size_t	ui_wrap(const char *, size_t, size_t);
/* ui.c: asks Tor about the relays of the open circuit's path. */
void	ui_relays_ask(struct ui *);
/*
 * Sends a command to Tor and queues what its reply is for: what
 * ("newnym", "uptime", "ns", "country"), the relay (or NULL) and the
 * GETINFO key the answer names (or NULL).  Returns 0, or -1 when not
 * attached or too many are waiting.
 */
int	ui_command(struct ui *, const char *, const char *, const char *,
	    const char *);

#endif
