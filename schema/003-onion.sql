-- SPDX-FileCopyrightText: 2026 The isoaudit authors
-- SPDX-License-Identifier: GPL-3.0-or-later
-- 003-onion: onion services, both sides (0.2, issue 13).
--
-- circuit.rend_query: the onion address an onion-service circuit works
-- for (Tor's REND_QUERY, on HS_CLIENT_* circuits the service visited, on
-- HS_SERVICE_* circuits the local service), as LogTargets allows, like a
-- target: "h:" + 12 hex + ".onion" (hash, the keyed hash of the address
-- with its ".onion", so that it equals a stream target's hash of the same
-- address), the address (plain), and with none a service's number
-- ("onion service N") or nothing.
ALTER TABLE circuit ADD COLUMN rend_query TEXT;
CREATE INDEX circuit_rend ON circuit(session, rend_query)
	WHERE rend_query IS NOT NULL;

-- The local onion services of a Tor session, as LogTargets allows (the
-- same form as circuit.rend_query), and how isoaudit learnt of each:
-- 'detached' (GETINFO onions/detached: ADD_ONION with Flags=Detach),
-- 'current' (GETINFO onions/current), 'circuits' (REND_QUERY on an
-- HS_SERVICE_* circuit: a torrc HiddenServiceDir or another controller's
-- ADD_ONION).
CREATE TABLE onion_service (
	session		INTEGER NOT NULL REFERENCES tor_session(id) ON DELETE CASCADE,
	address		TEXT NOT NULL,
	source		TEXT NOT NULL,
	first_seen	INTEGER NOT NULL,
	PRIMARY KEY (session, address)
) STRICT, WITHOUT ROWID;
