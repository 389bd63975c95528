/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * store_queue.c: the write queue.  Every store_* write appends an
 * operation (integers inline, strings in the arena) or folds into the one
 * already queued for its row; store_flush.c runs them through the
 * statements here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

/* The statement of each operation (struct op_stmt in store_int.h). */
const struct op_stmt store_op_sql[OP__COUNT] = {
	[OP_SESSION_BEGIN] = { 2, 3,
	    "INSERT OR IGNORE INTO tor_session(id, started, control, auth, "
	    "source) VALUES (?1, ?2, ?3, ?4, ?5)" },
	[OP_SESSION_INFO] = { 2, 1,
	    "UPDATE tor_session SET pid = coalesce(?2, pid), "
	    "tor_version = coalesce(?3, tor_version) WHERE id = ?1" },
	[OP_SESSION_END] = { 2, 1,
	    "UPDATE tor_session SET ended = ?2, end_reason = ?3 WHERE id = ?1" },
	[OP_SESSION_TOUCH] = { 2, 0,
	    "UPDATE tor_session SET last_event = max(coalesce(last_event, 0), "
	    "?2) WHERE id = ?1" },
	[OP_CIRCUIT] = { 5, 10,
	    "INSERT INTO circuit(session, circ_id, created, built, closed, "
	    "status, purpose, build_flags, path, exit_fp, exit_nick, "
	    "conflux_id, reason, remote_reason, rend_query) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
	    "ON CONFLICT(session, circ_id) DO UPDATE SET "
	    "status = coalesce(excluded.status, status), "
	    "purpose = coalesce(excluded.purpose, purpose), "
	    "build_flags = coalesce(excluded.build_flags, build_flags), "
	    "path = coalesce(excluded.path, path), "
	    "exit_fp = coalesce(excluded.exit_fp, exit_fp), "
	    "exit_nick = coalesce(excluded.exit_nick, exit_nick), "
	    "conflux_id = coalesce(excluded.conflux_id, conflux_id), "
	    "created = coalesce(created, excluded.created), "
	    "built = coalesce(built, excluded.built), "
	    "closed = coalesce(excluded.closed, closed), "
	    "reason = coalesce(excluded.reason, reason), "
	    "remote_reason = coalesce(excluded.remote_reason, remote_reason), "
	    "rend_query = coalesce(excluded.rend_query, rend_query)" },
	[OP_STREAM] = { 13, 13,
	    "INSERT INTO stream(session, stream_id, circ_id, app, pid, uid, "
	    "nym_epoch, session_group, target_port, opened, succeeded, closed, "
	    "pre_attach, status, listener, client_addr, process, protocol, "
	    "purpose, iso_fields, socks_username, socks_password, target, "
	    "reason, remote_reason, attribution) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
	    "?20, ?21, ?22, ?23, ?24, ?25, ?26) "
	    "ON CONFLICT(session, stream_id) DO UPDATE SET "
	    "circ_id = coalesce(excluded.circ_id, circ_id), "
	    "app = coalesce(app, excluded.app), "
	    "pid = coalesce(pid, excluded.pid), "
	    "uid = coalesce(uid, excluded.uid), "
	    "nym_epoch = coalesce(nym_epoch, excluded.nym_epoch), "
	    "session_group = coalesce(session_group, excluded.session_group), "
	    "target_port = coalesce(target_port, excluded.target_port), "
	    "opened = coalesce(opened, excluded.opened), "
	    "succeeded = coalesce(succeeded, excluded.succeeded), "
	    "closed = coalesce(excluded.closed, closed), "
	    "status = coalesce(excluded.status, status), "
	    "listener = coalesce(listener, excluded.listener), "
	    "client_addr = coalesce(client_addr, excluded.client_addr), "
	    "process = coalesce(process, excluded.process), "
	    "attribution = coalesce(attribution, excluded.attribution), "
	    "protocol = coalesce(protocol, excluded.protocol), "
	    "purpose = coalesce(purpose, excluded.purpose), "
	    "iso_fields = coalesce(iso_fields, excluded.iso_fields), "
	    "socks_username = coalesce(socks_username, "
	    "excluded.socks_username), "
	    "socks_password = coalesce(socks_password, "
	    "excluded.socks_password), "
	    "target = coalesce(target, excluded.target), "
	    "reason = coalesce(excluded.reason, reason), "
	    "remote_reason = coalesce(excluded.remote_reason, remote_reason)" },
	[OP_ATTACH] = { 4, 0,
	    "INSERT OR IGNORE INTO attach(session, stream_id, circ_id, at) "
	    "VALUES (?1, ?2, ?3, ?4)" },
	[OP_RELAY] = { 2, 2,
	    "INSERT INTO relay(fingerprint, nickname, first_seen, last_seen) "
	    "VALUES (?3, ?4, ?1, ?2) ON CONFLICT(fingerprint) DO UPDATE SET "
	    "nickname = coalesce(excluded.nickname, nickname), "
	    "last_seen = max(coalesce(last_seen, 0), excluded.last_seen)" },
	[OP_APP] = { 1, 3,
	    "INSERT OR IGNORE INTO app(id, label, host, sub) "
	    "VALUES (?1, ?2, ?3, ?4)" },
	/*
	 * Placing a session or an app (store_int.h, "Ids"): under the id
	 * handed out when it is free, else under the one sqlite gives; an app
	 * another writer placed already (same label, host, sub) is that one.
	 */
	[OP_SESSION_NEW] = { 2, 3,
	    "INSERT INTO tor_session(id, started, control, auth, source) "
	    "VALUES ((SELECT CASE WHEN EXISTS (SELECT 1 FROM tor_session "
	    "WHERE id = ?1) THEN NULL ELSE ?1 END), ?2, ?3, ?4, ?5)" },
	[OP_APP_NEW] = { 1, 3,
	    "INSERT INTO app(id, label, host, sub) VALUES ((SELECT CASE WHEN "
	    "EXISTS (SELECT 1 FROM app WHERE id = ?1) THEN NULL ELSE ?1 END), "
	    "?2, ?3, ?4) ON CONFLICT(label, host, sub) DO NOTHING" },
	[OP_APP_ID] = { 0, 3,
	    "SELECT id FROM app WHERE label = ?1 AND host = ?2 AND sub = ?3" },
	/*
	 * A finding is a cause with occurrences (schema/002-causes.sql).
	 * Integers: ?1 session, ?2 circ_id, ?3 the judge's count of the
	 * occurrence, ?4 first_seen, ?5 last_seen, ?6 how many updates this
	 * op carries (folded together); strings: ?7 the cause's key, ?8 rule,
	 * ?9 severity, ?10 listener, ?11 ident_a, ?12 ident_b, ?13 apps, ?14
	 * identities, ?15 processes, ?16 detail, ?17 exit_fp, ?18 streams, ?19
	 * remedy.
	 * This statement upserts the cause; OP_OCCURRENCE (run right after
	 * it with the same op) its occurrence.  An occurrence seen after the
	 * cause was acknowledged brings it back: unacknowledged, again + 1,
	 * and a new seq (check shows it once more).  A new seq is above every
	 * seq and every check cursor, so that no cursor ever passes over it.
	 */
	[OP_FINDING] = { 6, 13,
	    "INSERT INTO cause(key, rule, severity, listener, ident_a, "
	    "ident_b, apps, identities, processes, detail, remedy, first_seen, "
	    "last_seen, seq) VALUES (?7, ?8, ?9, coalesce(?10, ''), "
	    "coalesce(?11, ''), coalesce(?12, ''), ?13, ?14, ?15, ?16, ?19, "
	    "?4, ?5, "
	    "max((SELECT coalesce(max(seq), 0) FROM cause), "
	    "(SELECT coalesce(max(last_seq), 0) FROM check_cursor)) + 1) "
	    "ON CONFLICT(key) DO UPDATE SET rule = excluded.rule, "
	    "severity = excluded.severity, listener = excluded.listener, "
	    "ident_a = excluded.ident_a, ident_b = excluded.ident_b, "
	    "apps = coalesce(excluded.apps, apps), "
	    "identities = coalesce(excluded.identities, identities), "
	    "processes = coalesce(excluded.processes, processes), "
	    "detail = coalesce(excluded.detail, detail), "
	    "remedy = coalesce(excluded.remedy, remedy), "
	    "first_seen = min(first_seen, excluded.first_seen), "
	    "last_seen = max(last_seen, excluded.last_seen), "
	    "acknowledged = CASE WHEN acknowledged != 0 AND excluded.last_seen "
	    "> coalesce(ack_at, 0) THEN 0 ELSE acknowledged END, "
	    "again = again + (acknowledged != 0 AND excluded.last_seen > "
	    "coalesce(ack_at, 0)), "
	    "seq = CASE WHEN acknowledged != 0 AND excluded.last_seen > "
	    "coalesce(ack_at, 0) THEN excluded.seq ELSE seq END" },
	/*
	 * The occurrence of the op's cause.  The judge forgets occurrences
	 * not seen for long when it holds too many; one that comes back
	 * starts from 1 again, and is then added to what the row counted.
	 */
	[OP_OCCURRENCE] = { 6, 12,
	    "INSERT INTO occurrence(cause, session, circ_id, exit_fp, streams, "
	    "count, first_seen, last_seen) VALUES ((SELECT id FROM cause "
	    "WHERE key = ?7), ?1, ?2, nullif(?17, ''), ?18, ?3, ?4, ?5) "
	    "ON CONFLICT(cause, session, circ_id) DO UPDATE SET "
	    "exit_fp = coalesce(excluded.exit_fp, exit_fp), "
	    "streams = coalesce(excluded.streams, streams), "
	    "count = CASE WHEN excluded.count > count THEN excluded.count "
	    "ELSE count + ?6 END, "
	    "first_seen = min(first_seen, excluded.first_seen), "
	    "last_seen = max(last_seen, excluded.last_seen)" },
	/* A cause that could not get its occurrence: not kept alone. */
	[OP_CAUSE_UNDO] = { 6, 12,
	    "DELETE FROM cause WHERE key = ?7 AND NOT EXISTS (SELECT 1 FROM "
	    "occurrence o WHERE o.cause = cause.id)" },
	[OP_ACK] = { 1, 1,
	    "UPDATE cause SET acknowledged = 1, ack_at = ?1 WHERE key = ?2" },
	/* A local onion service: what said so first stays, unless a
	 * GETINFO names it later (then that is its source). */
	[OP_SERVICE] = { 2, 2,
	    "INSERT INTO onion_service(session, first_seen, address, source) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(session, address) DO UPDATE "
	    "SET first_seen = min(first_seen, excluded.first_seen), "
	    "source = CASE WHEN excluded.source = 'circuits' THEN source "
	    "ELSE excluded.source END" },
	/*
	 * A stream whose NEW event is in the op (opened is set) has no row
	 * yet, almost always: a plain INSERT costs less than the upsert
	 * above; when the row is there after all, the upsert runs instead.
	 */
	[OP_STREAM_INSERT] = { 13, 13,
	    "INSERT INTO stream(session, stream_id, circ_id, app, pid, uid, "
	    "nym_epoch, session_group, target_port, opened, succeeded, closed, "
	    "pre_attach, status, listener, client_addr, process, protocol, "
	    "purpose, iso_fields, socks_username, socks_password, target, "
	    "reason, remote_reason, attribution) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
	    "?20, ?21, ?22, ?23, ?24, ?25, ?26)" },
};

static struct op *
op_new(struct store *s, enum op_type type)
{
	struct op *o;
	int k;

	if (s->nops >= STORE_MAX_QUEUE) {
		s->st.rows_dropped++;
		return NULL;
	}
	if (s->nops == s->opcap) {
		s->opcap = s->opcap ? s->opcap * 2 : 256;
		s->ops = xreallocarray(s->ops, s->opcap, sizeof *s->ops);
	}
	o = &s->ops[s->nops++];
	if (!s->noted)
		store_note(s, 0);	/* the first since a commit */
	o->type = (uint8_t)type;
	o->nulls = 0;
	for (k = 0; k < OP_STRS; k++)
		o->s[k] = NO_STR;
	s->st.rows_queued = s->nops;
	return o;
}

static void
op_int(struct op *o, int k, int64_t v, int present)
{
	o->i[k] = v;
	if (!present)
		o->nulls |= (uint16_t)(1u << k);
}

static void
op_str(struct store *s, struct op *o, int k, const char *str)
{
	if (str == NULL || s->arena.len >= UINT32_MAX - strlen(str) - 1) {
		o->s[k] = NO_STR;
		return;
	}
	o->s[k] = (uint32_t)s->arena.len;
	buf_add(&s->arena, str, strlen(str) + 1);
}

static void
store_maybe_flush(struct store *s)
{
	/* An app to place counts as a row, as when it was an op. */
	if (s->nops + s->napps_unplaced >= STORE_BATCH_ROWS &&
	    !s->st.failing)
		store_flush(s);
}

/*
 * Coalescing.  A stream is written by every event of its life (NEW,
 * SENTCONNECT, REMAP, SUCCEEDED, CLOSED), a finding by every occurrence, a
 * circuit by BUILT and CLOSED, a relay by every circuit through it: all
 * upserts of one row.  Within a batch the later write is folded into the
 * op already queued for that row, field by field as the statement's ON
 * CONFLICT clause would have merged them (coalesce(new, old) fields take
 * the later value, coalesce(old, new) ones the earlier), so that one
 * statement per row and batch reaches sqlite instead of one per event.
 * The folded op keeps the first op's place: rows of other tables the row
 * refers to (its session, its app) were queued before it.
 */
static const char *
op_s(const struct store *s, const struct op *o, int k)
{
	return o->s[k] == NO_STR ? NULL : s->arena.p + o->s[k];
}

static int
str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
row_same(const struct store *s, const struct op *o, enum op_type type,
    const int64_t *ik, int nik, const char *const *sk, int nsk,
    const int *skpos)
{
	int k;

	if (o->type != type)
		return 0;
	for (k = 0; k < nik; k++)
		if (o->i[k] != ik[k] || (o->nulls & (1u << k)))
			return 0;
	for (k = 0; k < nsk; k++)
		if (!str_same(op_s(s, o, skpos[k]), sk[k]))
			return 0;
	return 1;
}

/*
 * The queued op of the row with this key (the first nik integers and the
 * strings at skpos), or NULL; *slot is where a new one goes.
 */
static struct op *
row_find(struct store *s, enum op_type type, const int64_t *ik, int nik,
    const char *const *sk, int nsk, const int *skpos, size_t *slot)
{
	uint64_t h = mix64(0, type);
	size_t i;
	int k;

	for (k = 0; k < nik; k++)
		h = mix64(h, (uint64_t)ik[k]);
	for (k = 0; k < nsk; k++)
		h = mix_str(h, sk[k]);
	/* Grown: the old entries are dropped (no merge with them). */
	hindex_fit(&s->rowidx, s->rowidx.n + 1 > s->opcap ? s->rowidx.n + 1 :
	    s->opcap, 1024);
	for (i = hindex_first(&s->rowidx, h); s->rowidx.slot[i] != 0;
	    i = hindex_next(&s->rowidx, i)) {
		uint32_t at = s->rowidx.slot[i] - 1;

		if (at < s->nops && row_same(s, &s->ops[at], type, ik, nik, sk,
		    nsk, skpos))
			return &s->ops[at];
	}
	*slot = i;
	return NULL;
}

/* Remembers that the op just queued (the last) holds this row. */
static void
row_note(struct store *s, size_t slot)
{
	s->rowidx.slot[slot] = (uint32_t)s->nops;
	s->rowidx.n++;
}

/* Folds integer k: later (non-NULL) wins, or earlier (non-NULL) wins. */
static void
fold_int(struct op *o, int k, int64_t v, int present, int later)
{
	int had = !(o->nulls & (1u << k));

	if (!present || (had && !later))
		return;
	o->i[k] = v;
	o->nulls &= (uint16_t)~(1u << k);
}

static void
fold_str(struct store *s, struct op *o, int k, const char *str, int later)
{
	if (str == NULL || (o->s[k] != NO_STR && !later))
		return;
	if (o->s[k] != NO_STR && strcmp(s->arena.p + o->s[k], str) == 0)
		return;
	op_str(s, o, k, str);
}

int64_t
store_session_begin(struct store *s, const char *control, const char *auth,
    const char *source, int64_t started)
{
	struct live_session *ls;
	struct op *o;
	int64_t id = s->next_session++;

	s->live = xreallocarray(s->live, s->nlive + 1, sizeof *s->live);
	ls = &s->live[s->nlive++];
	ls->id = id;
	ls->started = started;
	ls->control = xstrdup(control);
	ls->auth = xstrdup(auth ? auth : "");
	ls->source = xstrdup(source ? source : "live");
	ls->last_event = 0;
	ls->written = 0;
	ls->db = 0;
	ls->placed = PLACED_NOT;
	if ((o = op_new(s, OP_SESSION_BEGIN)) != NULL) {
		op_int(o, 0, id, 1);
		op_int(o, 1, started, 1);
		op_str(s, o, 0, control);
		op_str(s, o, 1, auth);
		op_str(s, o, 2, source ? source : "live");
	}
	store_note(s, 1);	/* a new Tor session is committed at once */
	return id;
}

void
store_session_info(struct store *s, int64_t id, const char *version, long pid)
{
	struct op *o;

	if ((o = op_new(s, OP_SESSION_INFO)) == NULL)
		return;
	op_int(o, 0, id, 1);
	op_int(o, 1, pid, pid > 0);
	op_str(s, o, 0, version);
}

void
store_touch(struct store *s, int64_t id, int64_t ts)
{
	size_t i;

	for (i = 0; i < s->nlive; i++)
		if (s->live[i].id == id && ts > s->live[i].last_event) {
			s->live[i].last_event = ts;
			if (!s->noted)
				store_note(s, 0);
		}
}

void
store_session_end(struct store *s, int64_t id, const char *why, int64_t ts)
{
	struct op *o;
	size_t i;

	if ((o = op_new(s, OP_SESSION_END)) != NULL) {
		op_int(o, 0, id, 1);
		op_int(o, 1, ts, 1);
		op_str(s, o, 0, why);
	}
	store_touch(s, id, ts);
	for (i = 0; i < s->nlive; i++) {
		if (s->live[i].id != id)
			continue;
		/* Its last_event goes out with this op, then it is gone. */
		if ((o = op_new(s, OP_SESSION_TOUCH)) != NULL) {
			op_int(o, 0, id, 1);
			op_int(o, 1, s->live[i].last_event, 1);
		}
		free(s->live[i].control);
		free(s->live[i].auth);
		free(s->live[i].source);
		s->live[i] = s->live[--s->nlive];
		break;
	}
	store_maybe_flush(s);
}

void
store_circuit(struct store *s, const struct store_circ *c)
{
	int64_t key[2] = { c->session, (int64_t)c->circ_id };
	struct op *o;
	size_t slot = 0;

	if ((o = row_find(s, OP_CIRCUIT, key, 2, NULL, 0, NULL, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* created and built: coalesce(old, new); the rest later. */
		fold_int(o, 2, c->created, c->created != 0, 0);
		fold_int(o, 3, c->built, c->built != 0, 0);
		fold_int(o, 4, c->closed, c->closed != 0, 1);
		fold_str(s, o, 0, c->status, 1);
		fold_str(s, o, 1, c->purpose, 1);
		fold_str(s, o, 2, c->build_flags, 1);
		fold_str(s, o, 3, c->path, 1);
		fold_str(s, o, 4, c->exit_fp, 1);
		fold_str(s, o, 5, c->exit_nick, 1);
		fold_str(s, o, 6, c->conflux_id, 1);
		fold_str(s, o, 7, c->reason, 1);
		fold_str(s, o, 8, c->remote_reason, 1);
		fold_str(s, o, 9, c->rend_query, 1);
		return;
	}
	if ((o = op_new(s, OP_CIRCUIT)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, c->session, 1);
	op_int(o, 1, (int64_t)c->circ_id, 1);
	op_int(o, 2, c->created, c->created != 0);
	op_int(o, 3, c->built, c->built != 0);
	op_int(o, 4, c->closed, c->closed != 0);
	op_str(s, o, 0, c->status);
	op_str(s, o, 1, c->purpose);
	op_str(s, o, 2, c->build_flags);
	op_str(s, o, 3, c->path);
	op_str(s, o, 4, c->exit_fp);
	op_str(s, o, 5, c->exit_nick);
	op_str(s, o, 6, c->conflux_id);
	op_str(s, o, 7, c->reason);
	op_str(s, o, 8, c->remote_reason);
	op_str(s, o, 9, c->rend_query);
	store_maybe_flush(s);
}

void
store_service(struct store *s, int64_t session, const char *address,
    const char *source, int64_t ts)
{
	struct op *o;

	if (address == NULL || source == NULL ||
	    (o = op_new(s, OP_SERVICE)) == NULL)
		return;
	op_int(o, 0, session, 1);
	op_int(o, 1, ts, 1);
	op_str(s, o, 0, address);
	op_str(s, o, 1, source);
	store_maybe_flush(s);
}

int
store_stream(struct store *s, const struct store_stream *r)
{
	int64_t key[2] = { r->session, (int64_t)r->stream_id };
	struct op *o;
	size_t slot = 0;

	if ((o = row_find(s, OP_STREAM, key, 2, NULL, 0, NULL, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* circ_id, closed, status, reasons: coalesce(new, old); the
		 * rest (who, what, when opened): coalesce(old, new). */
		fold_int(o, 2, (int64_t)r->circ_id, r->circ_id != 0, 1);
		fold_int(o, 3, r->app, r->app != 0, 0);
		fold_int(o, 4, r->pid, r->pid > 0, 0);
		fold_int(o, 5, r->uid, r->uid >= 0, 0);
		fold_int(o, 6, r->nym_epoch, r->has_nym_epoch, 0);
		fold_int(o, 7, r->session_group, r->has_session_group, 0);
		fold_int(o, 8, r->target_port, r->target_port >= 0, 0);
		fold_int(o, 9, r->opened, r->opened != 0, 0);
		fold_int(o, 10, r->succeeded, r->succeeded != 0, 0);
		fold_int(o, 11, r->closed, r->closed != 0, 1);
		fold_str(s, o, 0, r->status, 1);
		fold_str(s, o, 1, r->listener, 0);
		fold_str(s, o, 2, r->client_addr, 0);
		fold_str(s, o, 3, r->process, 0);
		fold_str(s, o, 4, r->protocol, 0);
		fold_str(s, o, 5, r->purpose, 0);
		fold_str(s, o, 6, r->iso_fields, 0);
		fold_str(s, o, 7, r->socks_username, 0);
		fold_str(s, o, 8, r->socks_password, 0);
		fold_str(s, o, 9, r->target, 0);
		fold_str(s, o, 10, r->reason, 1);
		fold_str(s, o, 11, r->remote_reason, 1);
		fold_str(s, o, 12, r->attribution, 0);
		return 0;
	}
	if ((o = op_new(s, OP_STREAM)) == NULL)
		return -1;
	row_note(s, slot);
	op_int(o, 0, r->session, 1);
	op_int(o, 1, (int64_t)r->stream_id, 1);
	op_int(o, 2, (int64_t)r->circ_id, r->circ_id != 0);
	op_int(o, 3, r->app, r->app != 0);
	op_int(o, 4, r->pid, r->pid > 0);
	op_int(o, 5, r->uid, r->uid >= 0);
	op_int(o, 6, r->nym_epoch, r->has_nym_epoch);
	op_int(o, 7, r->session_group, r->has_session_group);
	op_int(o, 8, r->target_port, r->target_port >= 0);
	op_int(o, 9, r->opened, r->opened != 0);
	op_int(o, 10, r->succeeded, r->succeeded != 0);
	op_int(o, 11, r->closed, r->closed != 0);
	op_int(o, 12, r->pre_attach, 1);
	op_str(s, o, 0, r->status);
	op_str(s, o, 1, r->listener);
	op_str(s, o, 2, r->client_addr);
	op_str(s, o, 3, r->process);
	op_str(s, o, 4, r->protocol);
	op_str(s, o, 5, r->purpose);
	op_str(s, o, 6, r->iso_fields);
	op_str(s, o, 7, r->socks_username);
	op_str(s, o, 8, r->socks_password);
	op_str(s, o, 9, r->target);
	op_str(s, o, 10, r->reason);
	op_str(s, o, 11, r->remote_reason);
	op_str(s, o, 12, r->attribution);
	store_maybe_flush(s);
	return 0;
}

void
store_attach(struct store *s, int64_t session, uint64_t stream, uint64_t circ,
    int64_t at)
{
	int64_t key[3] = { session, (int64_t)stream, (int64_t)circ };
	struct op *o;
	size_t slot = 0;

	/* INSERT OR IGNORE: the first one counts. */
	if (row_find(s, OP_ATTACH, key, 3, NULL, 0, NULL, &slot) != NULL) {
		s->nfolded++;
		return;
	}
	if ((o = op_new(s, OP_ATTACH)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, session, 1);
	op_int(o, 1, (int64_t)stream, 1);
	op_int(o, 2, (int64_t)circ, 1);
	op_int(o, 3, at, 1);
	store_maybe_flush(s);
}

void
store_relay(struct store *s, const char *fp, const char *nick, int64_t ts)
{
	static const int fppos[1] = { 0 };
	const char *sk[1] = { fp };
	struct op *o;
	size_t slot = 0;

	if (fp == NULL)
		return;
	if ((o = row_find(s, OP_RELAY, NULL, 0, sk, 1, fppos, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* first_seen is the first op's; last_seen the latest. */
		fold_str(s, o, 1, nick, 1);
		if (ts > o->i[1])
			o->i[1] = ts;
		return;
	}
	if ((o = op_new(s, OP_RELAY)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, ts, 1);
	op_int(o, 1, ts, 1);
	op_str(s, o, 0, fp);
	op_str(s, o, 1, nick);
}

void
store_finding(struct store *s, const struct store_finding *f)
{
	static const int keypos[1] = { 0 };
	int64_t key[2] = { f->session, (int64_t)f->circ_id };
	const char *sk[1] = { f->cause };
	struct op *o;
	size_t slot = 0;

	if (f->cause == NULL || f->rule == NULL || f->severity == NULL)
		return;
	if ((o = row_find(s, OP_FINDING, key, 2, sk, 1, keypos, &slot)) !=
	    NULL) {
		s->nfolded++;
		/* count, severity, lists, detail, exit, streams: the latest;
		 * first_seen: the smaller; last_seen: the larger. */
		/* A count that starts again (the judge forgot the occurrence
		 * and met it again) goes on from the folded one. */
		o->i[2] = f->count > o->i[2] ? f->count : o->i[2] + 1;
		if (f->first_seen < o->i[3])
			o->i[3] = f->first_seen;
		if (f->last_seen > o->i[4])
			o->i[4] = f->last_seen;
		o->i[5]++;
		fold_str(s, o, 2, f->severity, 1);
		fold_str(s, o, 6, f->apps, 1);
		fold_str(s, o, 7, f->identities, 1);
		fold_str(s, o, 8, f->processes, 1);
		fold_str(s, o, 9, f->detail, 1);
		if (f->exit_fp != NULL && f->exit_fp[0] != '\0')
			fold_str(s, o, 10, f->exit_fp, 1);
		fold_str(s, o, 11, f->streams, 1);
		fold_str(s, o, 12, f->remedy, 1);
		return;
	}
	if ((o = op_new(s, OP_FINDING)) == NULL)
		return;
	row_note(s, slot);
	op_int(o, 0, f->session, 1);
	op_int(o, 1, (int64_t)f->circ_id, 1);
	op_int(o, 2, f->count, 1);
	op_int(o, 3, f->first_seen, 1);
	op_int(o, 4, f->last_seen, 1);
	op_int(o, 5, 1, 1);
	op_str(s, o, 0, f->cause);
	op_str(s, o, 1, f->rule);
	op_str(s, o, 2, f->severity);
	op_str(s, o, 3, f->listener ? f->listener : "");
	op_str(s, o, 4, f->ident_a ? f->ident_a : "");
	op_str(s, o, 5, f->ident_b ? f->ident_b : "");
	op_str(s, o, 6, f->apps);
	op_str(s, o, 7, f->identities);
	op_str(s, o, 8, f->processes);
	op_str(s, o, 9, f->detail);
	op_str(s, o, 10, f->exit_fp);
	op_str(s, o, 11, f->streams);
	op_str(s, o, 12, f->remedy);
	/* A new occurrence at warning or above: committed at once. */
	if (f->count == 1 && (strcmp(f->severity, "warning") == 0 ||
	    strcmp(f->severity, "critical") == 0))
		store_note(s, 1);
	store_maybe_flush(s);
}

void
store_ack(struct store *s, const char *cause, int64_t at)
{
	struct op *o;

	if (cause == NULL)
		return;
	if ((o = op_new(s, OP_ACK)) == NULL)
		return;
	op_int(o, 0, at, 1);
	op_str(s, o, 0, cause);
	/*
	 * Nothing queued before the acknowledgement takes a later write:
	 * an occurrence after it must reach the database after it (and
	 * bring the cause back), not fold into an op that runs before.
	 */
	hindex_clear(&s->rowidx);
	store_note(s, 1);	/* an operator's: committed at once */
	store_maybe_flush(s);
}

/* The index of the app with this key in s->apps, or -1. */
static long
app_find(struct store *s, const char *key)
{
	struct hindex *h = &s->appidx;
	size_t i;

	if (h->n > s->napps)
		hindex_clear(h);
	hindex_fit(h, s->napps + 1, 256);
	for (; h->n < s->napps; h->n++) {
		for (i = hindex_first(h, mix_str(0, s->apps[h->n].key));
		    h->slot[i] != 0; i = hindex_next(h, i))
			;
		h->slot[i] = (uint32_t)h->n + 1;
	}
	for (i = hindex_first(h, mix_str(0, key)); h->slot[i] != 0;
	    i = hindex_next(h, i))
		if (strcmp(s->apps[h->slot[i] - 1].key, key) == 0)
			return (long)h->slot[i] - 1;
	return -1;
}

int64_t
store_app(struct store *s, const char *label, const char *host,
    const char *sub)
{
	char kbuf[256], *key = kbuf;
	size_t ll = strlen(label), hl = strlen(host), sl;
	long i;
	int64_t id;

	/* The key on the stack: only a new app keeps one. */
	sub = sub ? sub : "";
	sl = strlen(sub);
	if (ll + hl + sl + 3 > sizeof kbuf)
		key = xasprintf("%s\x1f%s\x1f%s", label, host, sub);
	else {
		memcpy(kbuf, label, ll);
		kbuf[ll] = '\x1f';
		memcpy(kbuf + ll + 1, host, hl);
		kbuf[ll + 1 + hl] = '\x1f';
		memcpy(kbuf + ll + hl + 2, sub, sl + 1);
	}
	if ((i = app_find(s, key)) >= 0) {
		if (key != kbuf)
			free(key);
		return s->apps[i].id;
	}
	if (key == kbuf)
		key = xstrdup(kbuf);
	/* Placed in the database by the next flush (store_flush.c). */
	id = s->next_app++;
	s->apps = xreallocarray(s->apps, s->napps + 1, sizeof *s->apps);
	s->apps[s->napps].key = key;
	s->apps[s->napps].id = id;
	s->apps[s->napps].db = 0;
	s->apps[s->napps].placed = PLACED_NOT;
	s->napps++;
	s->napps_unplaced++;
	if (!s->noted)
		store_note(s, 0);
	return id;
}

char *
store_app_key_split(const char *key, char **host, char **sub)
{
	char *label = xstrdup(key);

	/* Hosts and subs never hold \x1f; a label might. */
	if ((*sub = strrchr(label, '\x1f')) == NULL) {
		free(label);
		return NULL;
	}
	*(*sub)++ = '\0';
	if ((*host = strrchr(label, '\x1f')) == NULL) {
		free(label);
		return NULL;
	}
	*(*host)++ = '\0';
	return label;
}
