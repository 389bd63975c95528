-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 001-init: the first schema.  Times are microseconds since the Unix epoch
-- (UTC); Tor's 64-bit stream and circuit ids are stored as INTEGER (two's
-- complement above 2^63, which Tor never reaches).

CREATE TABLE meta (
	key	TEXT PRIMARY KEY NOT NULL,
	value	ANY
) STRICT;

CREATE TABLE check_cursor (
	name		TEXT PRIMARY KEY NOT NULL,
	last_finding	INTEGER NOT NULL DEFAULT 0,
	updated		INTEGER
) STRICT;

CREATE TABLE tor_session (
	id		INTEGER PRIMARY KEY,
	tor_version	TEXT,
	control		TEXT NOT NULL,
	auth		TEXT,
	pid		INTEGER,
	source		TEXT NOT NULL DEFAULT 'live',
	started		INTEGER NOT NULL,
	ended		INTEGER,
	end_reason	TEXT,
	last_event	INTEGER
) STRICT;
CREATE INDEX tor_session_started ON tor_session(started);

CREATE TABLE relay (
	fingerprint	TEXT PRIMARY KEY NOT NULL,
	nickname	TEXT,
	address		TEXT,
	country		TEXT,
	first_seen	INTEGER,
	last_seen	INTEGER
) STRICT;

CREATE TABLE circuit (
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	circ_id		INTEGER NOT NULL,
	status		TEXT,
	purpose		TEXT,
	build_flags	TEXT,
	path		TEXT,
	exit_fp		TEXT,
	exit_nick	TEXT,
	conflux_id	TEXT,
	created		INTEGER,
	built		INTEGER,
	closed		INTEGER,
	reason		TEXT,
	remote_reason	TEXT,
	PRIMARY KEY (session, circ_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX circuit_created ON circuit(created);
CREATE INDEX circuit_conflux ON circuit(session, conflux_id) WHERE conflux_id IS NOT NULL;

CREATE TABLE app (
	id		INTEGER PRIMARY KEY,
	label		TEXT NOT NULL,
	host		TEXT NOT NULL,
	sub		TEXT NOT NULL DEFAULT '',
	UNIQUE (label, host, sub)
) STRICT;

CREATE TABLE stream (
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	stream_id	INTEGER NOT NULL,
	circ_id		INTEGER,
	status		TEXT,
	listener	TEXT,
	client_addr	TEXT,
	app		INTEGER REFERENCES app(id),
	pid		INTEGER,
	process		TEXT,
	uid		INTEGER,
	protocol	TEXT,
	purpose		TEXT,
	nym_epoch	INTEGER,
	session_group	INTEGER,
	iso_fields	TEXT,
	socks_username	TEXT,
	socks_password	TEXT,
	target		TEXT,
	target_port	INTEGER,
	opened		INTEGER,
	succeeded	INTEGER,
	closed		INTEGER,
	reason		TEXT,
	remote_reason	TEXT,
	pre_attach	INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (session, stream_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX stream_opened ON stream(opened);
CREATE INDEX stream_app ON stream(app, session);
CREATE INDEX stream_circuit ON stream(session, circ_id);

-- Every circuit a stream was attached to (DETACHED streams move).
CREATE TABLE attach (
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	stream_id	INTEGER NOT NULL,
	circ_id		INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	PRIMARY KEY (session, stream_id, circ_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX attach_circuit ON attach(session, circ_id);

CREATE TABLE finding (
	id		INTEGER PRIMARY KEY,
	rule		TEXT NOT NULL,
	severity	TEXT NOT NULL,
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	circ_id		INTEGER NOT NULL DEFAULT 0,
	listener	TEXT NOT NULL DEFAULT '',
	ident_a		TEXT NOT NULL DEFAULT '',
	ident_b		TEXT NOT NULL DEFAULT '',
	apps		TEXT,
	identities	TEXT,
	processes	TEXT,
	streams		TEXT,
	count		INTEGER NOT NULL DEFAULT 1,
	first_seen	INTEGER NOT NULL,
	last_seen	INTEGER NOT NULL,
	detail		TEXT,
	acknowledged	INTEGER NOT NULL DEFAULT 0,
	UNIQUE (rule, session, circ_id, listener, ident_a, ident_b)
) STRICT;
CREATE INDEX finding_last_seen ON finding(last_seen);
CREATE INDEX finding_session ON finding(session);
