/*
 * judge.c: SPEC.md's rules.
 *
 * Circuits that are one exit circuit for our purposes (the legs of a
 * conflux set, keyed by CONFLUX_ID; else the circuit alone) share one
 * "exit key".  Each exit key remembers the isolation values of its first
 * stream (as Tor's circuits do) and the identities that used it; every
 * attachment is checked against both.  Findings are causes with
 * occurrences (judge_cause.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrib.h"
#include "buf.h"
#include "fnv.h"
#include "hindex.h"
#include "idmap.h"
#include "judge.h"
#include "judge_int.h"
#include "xmalloc.h"

/* --- small helpers ---------------------------------------------------------- */

/* Equal strings, equal hashes (compared before the strings). */
static uint64_t
str_hash(const char *s)
{
	return fnv1a_str(FNV_OFFSET, s);
}

static char *
dup_bytes(const char *s, size_t n)
{
	return s != NULL ? xstrndup(s, n) : NULL;
}

static void
jstream_free(struct jstream *s)
{
	if (s == NULL)
		return;
	free(s->ident);
	free(s->label);
	free(s->listener);
	free(s->process);
	free(s->host);
	free(s->target_addr);
	free(s->user);
	free(s->pass);
	free(s->protocol);
	free(s->client_addr);
	free(s);
}

static struct jstream *
jstream_copy(const struct judge_stream *in)
{
	struct jstream *s = xcalloc(1, sizeof *s);

	s->id = in->id;
	s->ident = xstrdup(in->ident ? in->ident : "?");
	s->ihash = str_hash(s->ident);
	s->label = xstrdup(in->label ? in->label : "?");
	s->listener = xstrdup_or_null(in->listener);
	/* A process names itself: escaped, so that the detail stays
	 * printable and no \x1f or \x1e splits a finding's lists. */
	s->process = in->process != NULL ?
	    escape_dup(in->process, strlen(in->process)) : NULL;
	s->host = xstrdup_or_null(in->host);
	s->pid = in->pid;
	s->unattributed = in->unattributed;
	s->shared_port = in->shared_port;
	s->by_process = in->isolate_by_process;
	s->iso = in->iso;
	s->has_iso = in->has_iso;
	s->target_addr = xstrdup_or_null(in->target_addr);
	s->target_port = in->target_port;
	s->user = dup_bytes(in->socks_user, in->socks_user_len);
	s->ulen = in->socks_user_len;
	s->pass = dup_bytes(in->socks_pass, in->socks_pass_len);
	s->plen = in->socks_pass_len;
	s->protocol = xstrdup_or_null(in->protocol);
	s->client_addr = xstrdup_or_null(in->client_addr);
	s->group = in->session_group;
	s->epoch = in->nym_epoch;
	return s;
}

static struct jstream *
jstream_clone(const struct jstream *in)
{
	struct judge_stream js;
	struct jstream *s;

	memset(&js, 0, sizeof js);
	js.id = in->id;
	js.ident = in->ident;
	js.label = in->label;
	js.listener = in->listener;
	js.pid = in->pid;
	js.host = in->host;
	js.unattributed = in->unattributed;
	js.iso = in->iso;
	js.has_iso = in->has_iso;
	js.target_addr = in->target_addr;
	js.target_port = in->target_port;
	js.socks_user = in->user;
	js.socks_user_len = in->ulen;
	js.socks_pass = in->pass;
	js.socks_pass_len = in->plen;
	js.protocol = in->protocol;
	js.client_addr = in->client_addr;
	js.session_group = in->group;
	js.nym_epoch = in->epoch;
	s = jstream_copy(&js);
	s->process = xstrdup_or_null(in->process);	/* escaped already */
	return s;
}

static void
jexit_free(struct jexit *e)
{
	size_t i;

	jstream_free(e->first);
	for (i = 0; i < e->nusers; i++) {
		free(e->users[i].ident);
		free(e->users[i].label);
		free(e->users[i].process);
	}
	free(e->users);
	free(e);
}

/*
 * Counts circuit c (delta 1) or stops counting it (-1) under its exit and
 * exit key.  SHARED_EXIT looks for streams on another key's circuit to
 * the same exit: with one key there, it has nothing to look for.
 */
static void
fp_count(struct judge *j, const struct jcirc *c, int delta)
{
	struct jfp *f, *head, **pf;
	uint64_t h;
	size_t i;

	if (c->exit_fp[0] == '\0')
		return;
	h = str_hash(c->exit_fp);
	head = idmap_get(&j->fps, h);
	for (f = head; f != NULL; f = f->next)
		if (strcmp(f->fp, c->exit_fp) == 0)
			break;
	if (f == NULL) {
		if (delta < 0)
			return;
		f = xcalloc(1, sizeof *f);
		memcpy(f->fp, c->exit_fp, sizeof f->fp);
		f->next = head;
		idmap_put(&j->fps, h, f);
	}
	for (i = 0; i < f->nkeys; i++)
		if (f->keys[i].key == c->key)
			break;
	if (delta > 0) {
		if (i == f->nkeys) {
			f->keys = xreallocarray(f->keys, f->nkeys + 1,
			    sizeof *f->keys);
			f->keys[f->nkeys].key = c->key;
			f->keys[f->nkeys++].n = 0;
		}
		f->keys[i].n++;
		return;
	}
	if (i == f->nkeys || --f->keys[i].n > 0)
		return;
	f->keys[i] = f->keys[--f->nkeys];
	if (f->nkeys > 0)
		return;
	for (pf = &head; *pf != f; pf = &(*pf)->next)
		;
	*pf = f->next;
	if (head != NULL)
		idmap_put(&j->fps, h, head);
	else
		idmap_del(&j->fps, h);
	free(f->keys);
	free(f);
}

/* The exit keys of the open circuits ending at fp (0: not known). */
static size_t
fp_keys(struct judge *j, const char *fp)
{
	struct jfp *f;

	for (f = idmap_get(&j->fps, str_hash(fp)); f != NULL; f = f->next)
		if (strcmp(f->fp, fp) == 0)
			return f->nkeys;
	return 0;
}

unsigned
judge_iso_bits(const char *const *v, size_t n)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} names[] = {
		{ "DESTPORT", ISO_DESTPORT }, { "DESTADDR", ISO_DESTADDR },
		{ "SOCKS_USERNAME", ISO_SOCKS_USERNAME },
		{ "SOCKS_PASSWORD", ISO_SOCKS_PASSWORD },
		{ "CLIENT_PROTOCOL", ISO_CLIENT_PROTOCOL },
		{ "CLIENTADDR", ISO_CLIENTADDR },
		{ "SESSION_GROUP", ISO_SESSION_GROUP },
		{ "NYM_EPOCH", ISO_NYM_EPOCH },
	};
	unsigned bits = 0;
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (v[i][0] == names[k].name[0] &&
			    strcmp(v[i], names[k].name) == 0)
				bits |= names[k].bit;
	return bits;
}

/* --- lifecycle ---------------------------------------------------------------- */

struct judge *
judge_new(const struct config *cfg, judge_fn fn, void *arg)
{
	struct judge *j = xcalloc(1, sizeof *j);

	j->cfg = cfg;
	j->fn = fn;
	j->arg = arg;
	idmap_init(&j->streams);
	idmap_init(&j->circs);
	idmap_init(&j->exits);
	idmap_init(&j->fps);
	return j;
}

void
judge_reset(struct judge *j)
{
	size_t pos = 0, i, k;
	uint64_t id;
	void *v;

	while (idmap_next(&j->streams, &pos, &id, &v))
		jstream_free(v);
	pos = 0;
	while (idmap_next(&j->circs, &pos, &id, &v))
		free(v);
	pos = 0;
	while (idmap_next(&j->exits, &pos, &id, &v))
		jexit_free(v);
	idmap_free(&j->streams);
	idmap_free(&j->circs);
	idmap_free(&j->exits);
	for (i = 0; i < j->nports; i++) {
		for (k = 0; k < j->ports[i].n; k++) {
			jstream_free(j->ports[i].users[k].s);
			free(j->ports[i].users[k].who);
		}
		free(j->ports[i].listener);
	}
	free(j->ports);
	j->ports = NULL;
	j->nports = 0;
	judge_occs_clear(j, 0);
	pos = 0;
	while (idmap_next(&j->fps, &pos, &id, &v)) {
		struct jfp *f = v, *next;

		for (; f != NULL; f = next) {
			next = f->next;
			free(f->keys);
			free(f);
		}
	}
	idmap_free(&j->fps);
	for (i = 0; i < j->ngroups; i++)
		free(j->groups[i].listener);
	free(j->groups);
	j->groups = NULL;
	j->ngroups = 0;
}

void
judge_free(struct judge *j)
{
	if (j == NULL)
		return;
	judge_reset(j);
	judge_occs_clear(j, 1);
	free(j);
}

/* Describes a circuit's exit: "circuit 25 (exit exit0 $08511103)". */
static void
describe_circ(struct judge *j, struct buf *b, uint64_t circ)
{
	struct jcirc *c = idmap_get(&j->circs, circ);

	buf_printf(b, "circuit %" PRIu64, circ);
	if (c == NULL)
		return;
	if (c->exit_fp[0] != '\0')
		buf_printf(b, " (exit %s%s$%.8s)", c->exit_nick,
		    c->exit_nick[0] ? " " : "", c->exit_fp);
	if (c->conflux[0] != '\0')
		buf_printf(b, ", conflux set %.8s", c->conflux);
}

/* --- circuits ------------------------------------------------------------------ */

static uint64_t
conflux_key(const char *id)
{
	return fnv1a_str(FNV_OFFSET, id) | CONFLUX_KEY;
}

static void
exit_unref(struct judge *j, uint64_t key)
{
	struct jexit *e = idmap_get(&j->exits, key);

	if (e != NULL && e->circuits > 0 && --e->circuits == 0)
		jexit_free(idmap_del(&j->exits, key));
}

static struct jcirc *
circ_get(struct judge *j, uint64_t id)
{
	struct jcirc *c = idmap_get(&j->circs, id);
	struct jexit *e;

	if (c != NULL)
		return c;
	c = xcalloc(1, sizeof *c);
	c->key = id;
	idmap_put(&j->circs, id, c);
	if ((e = idmap_get(&j->exits, c->key)) == NULL) {
		e = xcalloc(1, sizeof *e);
		idmap_put(&j->exits, c->key, e);
	}
	e->circuits++;
	return c;
}

void
judge_circuit(struct judge *j, uint64_t id, const char *conflux,
    const char *exit_fp, const char *exit_nick, int closed)
{
	struct jcirc *c;

	if (closed) {
		if ((c = idmap_del(&j->circs, id)) != NULL) {
			/* Its occurrences are final: Tor does not reuse
			 * ids. */
			if (c->nfind > 0)
				judge_occs_drop_circ(j, id);
			fp_count(j, c, -1);
			exit_unref(j, c->key);
			free(c);
		}
		return;
	}
	c = circ_get(j, id);
	if (exit_fp != NULL && strncmp(c->exit_fp, exit_fp,
	    sizeof c->exit_fp - 1) != 0) {
		fp_count(j, c, -1);
		snprintf(c->exit_fp, sizeof c->exit_fp, "%s", exit_fp);
		fp_count(j, c, 1);
	}
	if (exit_nick != NULL)
		snprintf(c->exit_nick, sizeof c->exit_nick, "%s", exit_nick);
	if (conflux != NULL && c->conflux[0] == '\0') {
		struct jexit *e;
		uint64_t key = conflux_key(conflux);

		snprintf(c->conflux, sizeof c->conflux, "%s", conflux);
		/* Moves to the set's key; what it knew goes along. */
		if (key != c->key) {
			struct jexit *old = idmap_get(&j->exits, c->key);

			if ((e = idmap_get(&j->exits, key)) == NULL) {
				if (old != NULL && old->circuits == 1) {
					idmap_del(&j->exits, c->key);
					e = old;
					e->circuits = 0;
				} else {
					e = xcalloc(1, sizeof *e);
					exit_unref(j, c->key);
				}
				idmap_put(&j->exits, key, e);
			} else
				exit_unref(j, c->key);
			e->circuits++;
			fp_count(j, c, -1);
			c->key = key;
			fp_count(j, c, 1);
		}
	}
}

/* --- the isolation rule ------------------------------------------------------- */

static int
bytes_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (a == NULL || b == NULL)
		return a == b;
	return an == bn && memcmp(a, b, an) == 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The first value of the fields iso names (session group and nym epoch
 * always) in which s differs from f, as Tor compares them
 * (docs/isolation.md), or NULL.
 */
static const char *
isolation_differs(const struct jstream *s, const struct jstream *f,
    unsigned iso)
{
	iso |= ISO_SESSION_GROUP | ISO_NYM_EPOCH;
	if ((iso & ISO_SESSION_GROUP) && s->group != f->group)
		return "session group";
	if ((iso & ISO_NYM_EPOCH) && s->epoch != f->epoch)
		return "nym epoch";
	if ((iso & ISO_DESTPORT) && s->target_port != f->target_port)
		return "destination port";
	/* Tor compares the address a client gave without case. */
	if ((iso & ISO_DESTADDR) && (s->target_addr == NULL ||
	    f->target_addr == NULL ? s->target_addr != f->target_addr :
	    strcasecmp(s->target_addr, f->target_addr) != 0))
		return "destination address";
	if ((iso & ISO_SOCKS_USERNAME) &&
	    !bytes_eq(s->user, s->ulen, f->user, f->ulen))
		return "SOCKS username";
	if ((iso & ISO_SOCKS_PASSWORD) &&
	    !bytes_eq(s->pass, s->plen, f->pass, f->plen))
		return "SOCKS password";
	if ((iso & ISO_CLIENT_PROTOCOL) && !str_eq(s->protocol, f->protocol))
		return "client protocol";
	if ((iso & ISO_CLIENTADDR) && !str_eq(s->client_addr, f->client_addr))
		return "client address";
	return NULL;
}

/*
 * Would Tor have put stream s on a circuit whose first stream was f?
 * Returns NULL when yes (or when s's ISO_FIELDS are unknown: no finding
 * on a guess), else the name of the value that differs.
 */
static const char *
isolation_refuses(const struct jstream *s, const struct jstream *f)
{
	return s->has_iso ? isolation_differs(s, f, s->iso) : NULL;
}

/* --- rules on streams --------------------------------------------------------- */

/*
 * Whether Tor may put s and t on one circuit as far as their isolation
 * goes: each field the listener isolates by (ISO_FIELDS) equal, compared
 * as Tor compares them (docs/isolation.md).  Unknown flags (no ISO_FIELDS)
 * isolate nothing isoaudit can see: equal.
 */
static int
iso_key_equal(const struct jstream *s, const struct jstream *t)
{
	/* Unknown flags: a SocksPort's defaults (tor(1)). */
	unsigned dflt = ISO_CLIENTADDR | ISO_SOCKS_USERNAME |
	    ISO_SOCKS_PASSWORD;

	return isolation_differs(s, t, s->has_iso ? s->iso : dflt) == NULL &&
	    isolation_differs(t, s, t->has_iso ? t->iso : dflt) == NULL;
}

/*
 * The application of a stream for the port rules: its program on its
 * host where the process is known ("curl@localhost"), else the identity
 * the pipeline gave (what a credential names, or the listener's label).
 */
static void
port_who(struct buf *b, const struct jstream *s)
{
	if (s->pid > 0 && s->process != NULL) {
		buf_adds(b, s->process);
		buf_addc(b, '@');
		buf_adds(b, s->host ? s->host : "?");
	} else
		buf_adds(b, s->ident);
}

/* Whether a listener cannot tell its programs apart (SPEC.md). */
static int
shared_listener(const struct jstream *s)
{
	return s->shared_port || (s->protocol != NULL &&
	    (strcmp(s->protocol, "TRANS") == 0 ||
	    strcmp(s->protocol, "NATD") == 0 ||
	    strcmp(s->protocol, "DNS") == 0));
}

static struct jport *
port_get(struct judge *j, const char *listener)
{
	size_t i;

	for (i = 0; i < j->nports; i++)
		if (strcmp(j->ports[i].listener, listener) == 0)
			return &j->ports[i];
	j->ports = xreallocarray(j->ports, j->nports + 1, sizeof *j->ports);
	memset(&j->ports[j->nports], 0, sizeof *j->ports);
	j->ports[j->nports].listener = xstrdup(listener);
	return &j->ports[j->nports++];
}

/* Remembers s as a user of p (the oldest makes room). */
static void
port_remember(struct jport *p, const struct jstream *s, const char *who,
    int64_t ts)
{
	if (p->n == JUDGE_PORT_USERS) {
		jstream_free(p->users[0].s);
		free(p->users[0].who);
		memmove(&p->users[0], &p->users[1],
		    (p->n - 1) * sizeof p->users[0]);
		p->n--;
	}
	p->users[p->n].s = jstream_clone(s);
	p->users[p->n].who = xstrdup(who);
	p->users[p->n].ts = ts;
	p->n++;
}

/*
 * UNISOLATED_PORT: on a listener that cannot tell programs apart (a
 * TransPort, NATDPort or SharedPort), a second application whose
 * isolation key equals another's (a port where programs use distinct
 * SOCKS credentials, as Whonix's 9050 with torsocks' IsolatePID, keeps
 * them apart).  A DNSPort query shows no program at all: any use.
 */
static void
port_unisolated(struct judge *j, const struct jstream *s,
    const struct jstream *o, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_UNISOLATED_PORT, 0,
	    s->listener ? s->listener : s->protocol, NULL, NULL, NULL, ts,
	    &is_new);
	judge_list_add(&f->cause->apps, s->label);
	judge_list_add(&f->cause->idents, s->ident);
	judge_occ_stream(f, s->id);
	judge_occ_proc(f, s->pid, s->process);
	if (o != NULL) {
		judge_list_add(&f->cause->apps, o->label);
		judge_list_add(&f->cause->idents, o->ident);
		judge_occ_stream(f, o->id);
		judge_occ_proc(f, o->pid, o->process);
	}
	buf_init(&d);
	buf_printf(&d, "%s traffic on %s %s, which every program shares: "
	    "their streams can be linked", s->protocol ? s->protocol : "",
	    s->shared_port ? "shared listener" : "listener",
	    s->listener ? s->listener : "?");
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/* SHARED_PORT_PROCESSES: two applications with equal keys on one port. */
static void
port_processes(struct judge *j, const struct jstream *s,
    const struct jstream *o, const char *a, const char *b, int64_t ts)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_SHARED_PORT_PROCESSES, 0, s->listener, NULL, a,
	    b, ts, &is_new);
	judge_list_add(&f->cause->apps, s->label);
	judge_occ_stream(f, o->id);
	judge_occ_stream(f, s->id);
	judge_occ_proc(f, o->pid, o->process);
	judge_occ_proc(f, s->pid, s->process);
	buf_init(&d);
	buf_printf(&d, "%s[%ld]@%s and %s[%ld]@%s used listener %s (%s) "
	    "without distinct SOCKS credentials: Tor may put them on one "
	    "circuit; give each program its own SocksPort or its own "
	    "credentials", o->process ? o->process : "?", o->pid,
	    o->host ? o->host : "?", s->process ? s->process : "?", s->pid,
	    s->host ? s->host : "?", s->listener, s->label);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

/*
 * The port rules: who else used s's listener within the window
 * (MaxCircuitDirtiness) with an isolation key equal to s's, as another
 * application (a program run again is the same one).  The pair named is
 * the one whose keys were equal.
 */
static void
rule_ports(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jport *p;
	struct buf who;
	int shared = shared_listener(s);
	size_t i;

	if (s->protocol != NULL && strcmp(s->protocol, "DNS") == 0) {
		port_unisolated(j, s, NULL, ts);
		return;
	}
	if (s->listener == NULL || s->unattributed || s->by_process ||
	    (s->pid <= 0 && s->host == NULL))
		return;
	buf_init(&who);
	port_who(&who, s);
	p = port_get(j, s->listener);
	for (i = 0; i < p->n; i++) {
		const struct jstream *o = p->users[i].s;

		if (ts - p->users[i].ts > JUDGE_PORT_WINDOW_US ||
		    strcmp(p->users[i].who, buf_cstr(&who)) == 0 ||
		    !iso_key_equal(o, s))
			continue;
		if (shared)
			port_unisolated(j, s, o, ts);
		else
			port_processes(j, s, o, p->users[i].who, who.p, ts);
		break;
	}
	port_remember(p, s, buf_cstr(&who), ts);
	buf_free(&who);
}

void
judge_stream_new(struct judge *j, const struct judge_stream *in, int64_t ts)
{
	struct jstream *s = jstream_copy(in), *old;

	s->ts = ts;
	if ((old = idmap_put(&j->streams, s->id, s)) != NULL) {
		jstream_free(old);
	}
	if (s->unattributed)
		return;
	rule_ports(j, s, ts);
}

void
judge_stream_closed(struct judge *j, uint64_t id)
{
	struct jstream *s = idmap_del(&j->streams, id);

	if (s != NULL)
	jstream_free(s);
}

/* SHARED_EXIT: another identity on the same exit relay, other circuit. */
static void
rule_shared_exit(struct judge *j, const struct jstream *s, int64_t ts)
{
	struct jcirc *c = idmap_get(&j->circs, s->circ), *oc;
	size_t pos = 0;
	uint64_t id;
	void *v;

	if (c == NULL || c->exit_fp[0] == '\0')
		return;
	/* Only circuits of c's key end there: no stream to look at. */
	if (fp_keys(j, c->exit_fp) == 1)
		return;
	while (idmap_next(&j->streams, &pos, &id, &v)) {
		struct jstream *o = v;
		struct jocc *f;
		struct buf d;
		int is_new;

		/* The circuits' keys now: a leg moves to its conflux set's
		 * key when CONFLUX_ID comes after streams were attached. */
		if (o == s || o->circ == 0 || o->unattributed ||
		    (o->ihash == s->ihash && strcmp(o->ident, s->ident) == 0) ||
		    (oc = idmap_get(&j->circs, o->circ)) == NULL ||
		    oc->key == c->key || strcmp(oc->exit_fp, c->exit_fp) != 0)
			continue;
		f = judge_occ(j, RULE_SHARED_EXIT, 0, "", c->exit_fp,
		    o->ident, s->ident, ts, &is_new);
		/* One occurrence a Tor session, on that exit. */
		memcpy(f->exit_fp, c->exit_fp, sizeof f->exit_fp);
		judge_list_add(&f->cause->apps, o->label);
		judge_list_add(&f->cause->apps, s->label);
		judge_occ_stream(f, o->id);
		judge_occ_stream(f, s->id);
		judge_occ_proc(f, o->pid, o->process);
		judge_occ_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "%s and %s used exit %s $%.8s at the same time, "
		    "on circuits %" PRIu64 " and %" PRIu64, o->ident, s->ident,
		    c->exit_nick, c->exit_fp, o->circ, s->circ);
		judge_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
		break;
	}
}

void
judge_attach(struct judge *j, uint64_t stream, uint64_t circ, int64_t ts)
{
	struct jstream *s = idmap_get(&j->streams, stream);
	struct jcirc *c;
	struct jexit *e;
	const char *why;
	size_t i;

	if (s == NULL || circ == 0 || s->circ == circ)
		return;
	c = circ_get(j, circ);
	s->circ = circ;
	s->key = c->key;
	if (s->unattributed)
		return;
	e = idmap_get(&j->exits, c->key);
	if (e->first == NULL) {
		e->first = jstream_clone(s);
	} else if ((why = isolation_refuses(s, e->first)) != NULL) {
		struct jocc *f;
		struct buf d;
		int is_new;

		f = judge_occ(j, RULE_CONTROLLER_ATTACH, circ, "", NULL,
		    e->first->ident, s->ident, ts, &is_new);
		judge_list_add(&f->cause->apps, e->first->label);
		judge_list_add(&f->cause->apps, s->label);
		judge_occ_stream(f, e->first->id);
		judge_occ_stream(f, s->id);
		judge_occ_proc(f, e->first->pid, e->first->process);
		judge_occ_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "stream %" PRIu64 " of %s is on ", s->id,
		    s->ident);
		describe_circ(j, &d, circ);
		buf_printf(&d, ", which Tor's own isolation would have refused "
		    "it (its %s differs from the circuit's first stream, of "
		    "%s): a controller attached it", why, e->first->ident);
		judge_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	if (e->first != NULL && s->epoch > e->first->epoch) {
		struct jocc *f;
		struct buf d;
		int is_new;

		f = judge_occ(j, RULE_NYM_EPOCH_REUSE, circ, "", NULL,
		    s->ident, NULL, ts, &is_new);
		judge_list_add(&f->cause->apps, s->label);
		judge_occ_stream(f, s->id);
		judge_occ_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "stream %" PRIu64 " of %s (nym epoch %" PRIu64
		    ") is on ", s->id, s->ident, s->epoch);
		describe_circ(j, &d, circ);
		buf_printf(&d, ", first used in epoch %" PRIu64 ": NEWNYM did "
		    "not separate it from earlier activity", e->first->epoch);
		judge_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	/* SHARED_CIRCUIT: another identity already on this exit circuit. */
	for (i = 0; i < e->nusers; i++) {
		struct juser *u = &e->users[i];
		struct jocc *f;
		struct buf d;
		int is_new;

		if (u->ihash == s->ihash && strcmp(u->ident, s->ident) == 0)
			continue;
		f = judge_occ(j, RULE_SHARED_CIRCUIT, circ, "", NULL,
		    u->ident, s->ident, ts, &is_new);
		judge_list_add(&f->cause->apps, u->label);
		judge_list_add(&f->cause->apps, s->label);
		judge_occ_stream(f, u->stream);
		judge_occ_stream(f, s->id);
		judge_occ_proc(f, u->pid, u->process);
		judge_occ_proc(f, s->pid, s->process);
		buf_init(&d);
		buf_printf(&d, "%s and %s shared exit ", u->ident, s->ident);
		describe_circ(j, &d, circ);
		buf_adds(&d, ": the exit can link them to one pseudonym");
		judge_emit(j, f, buf_cstr(&d), is_new);
		buf_free(&d);
	}
	for (i = 0; i < e->nusers; i++)
		if (e->users[i].ihash == s->ihash &&
		    strcmp(e->users[i].ident, s->ident) == 0)
			break;
	if (i == e->nusers) {
		e->users = xreallocarray(e->users, e->nusers + 1,
		    sizeof *e->users);
		e->users[e->nusers].ident = xstrdup(s->ident);
		e->users[e->nusers].ihash = s->ihash;
		e->users[e->nusers].label = xstrdup(s->label);
		e->users[e->nusers].pid = s->pid;
		e->users[e->nusers].process = xstrdup_or_null(s->process);
		e->users[e->nusers].stream = s->id;
		e->nusers++;
	}
	rule_shared_exit(j, s, ts);
}

/* --- configuration rules ---------------------------------------------------------- */

static void
weak(struct judge *j, const char *listener, const char *label, int64_t ts,
    const char *code, const char *what)
{
	struct jocc *f;
	struct buf d;
	int is_new;

	f = judge_occ(j, RULE_WEAK_PORT_CONFIG, 0, listener, NULL, code, NULL,
	    ts, &is_new);
	if (f->count > 1)
		return;		/* said once a Tor session */
	if (label != NULL)
		judge_list_add(&f->cause->apps, label);
	buf_init(&d);
	buf_printf(&d, "SocksPort %s%s%s%s: %s", listener, label ? " (" : "",
	    label ? label : "", label ? ")" : "", what);
	judge_emit(j, f, buf_cstr(&d), is_new);
	buf_free(&d);
}

void
judge_port_config(struct judge *j, const char *line, int64_t ts)
{
	char listener[128], *flags;
	const struct config_app *app;
	const char *label = NULL;
	long group = 0;
	int has_group = 0, browser;
	size_t n, i, k;

	n = strcspn(line, " ");
	if (n == 0 || n >= sizeof listener || strcmp(line, "0") == 0)
		return;
	memcpy(listener, line, n);
	listener[n] = '\0';
	if (strspn(listener, "0123456789") == n) {
		/* "9050" listens on 127.0.0.1. */
		char tmp[128];

		snprintf(tmp, sizeof tmp, "127.0.0.1:%.6s", listener);
		snprintf(listener, sizeof listener, "%s", tmp);
	}
	flags = xstrdup(line + n);
	app = config_app_for(j->cfg, listener);
	if (app != NULL)
		label = app->label;
	browser = app != NULL && (app->isolate_by == ISOLATE_BY_SOCKS_USERNAME
	    || strcasestr(app->label, "browser") != NULL);
	if (app != NULL && app->isolate_by == ISOLATE_BY_SOCKS_USERNAME &&
	    strstr(flags, "NoIsolateSOCKSAuth") != NULL)
		weak(j, listener, label, ts, "NoIsolateSOCKSAuth",
		    "Tor Browser's port without "
		    "IsolateSOCKSAuth: every site shares circuits");
	if (browser && strstr(flags, "IsolateDestAddr") != NULL &&
	    strstr(flags, "NoIsolateDestAddr") == NULL)
		weak(j, listener, label, ts, "IsolateDestAddr",
		    "IsolateDestAddr on a browser "
		    "port: one page's parts leave through many exits");
	if (strncmp(listener, "unix:", 5) != 0) {
		char host[128];
		const char *colon = strrchr(listener, ':');

		snprintf(host, sizeof host, "%.*s", (int)(colon ?
		    colon - listener : (long)strlen(listener)), listener);
		if (!attrib_is_loopback(host) &&
		    strstr(flags, "NoIsolateClientAddr") != NULL)
			weak(j, listener, label, ts, "NoIsolateClientAddr",
			    "a non-loopback listener "
			    "without IsolateClientAddr: other hosts' programs "
			    "share circuits");
	}
	{
		const char *g = strstr(flags, "SessionGroup=");

		if (g != NULL) {
			group = strtol(g + 13, NULL, 10);
			has_group = 1;
		}
	}
	free(flags);
	if (!has_group)
		return;
	/* A listener known already (GETCONF again): only a new group is
	 * news. */
	for (k = 0; k < j->ngroups; k++)
		if (strcmp(j->groups[k].listener, listener) == 0)
			break;
	if (k < j->ngroups && j->groups[k].group == group)
		return;
	for (i = 0; i < j->ngroups; i++) {
		char what[160];

		if (j->groups[i].group != group ||
		    strcmp(j->groups[i].listener, listener) == 0)
			continue;
		char code[48];

		snprintf(code, sizeof code, "SessionGroup=%ld", group);
		snprintf(what, sizeof what, "SessionGroup=%ld joins it with "
		    "%s: their programs share circuits", group,
		    j->groups[i].listener);
		weak(j, listener, label, ts, code, what);
	}
	if (k < j->ngroups) {
		j->groups[k].group = group;
		return;
	}
	j->groups = xreallocarray(j->groups, j->ngroups + 1,
	    sizeof *j->groups);
	j->groups[j->ngroups].listener = xstrdup(listener);
	j->groups[j->ngroups].group = group;
	j->ngroups++;
}

void
judge_pre_attach(struct judge *j, unsigned n, uint64_t session, int64_t ts)
{
	struct jocc *f;
	char d[160], sess[24];
	int is_new;

	if (n == 0)
		return;
	snprintf(sess, sizeof sess, "%" PRIu64, session);
	f = judge_occ(j, RULE_PRE_ATTACH, 0, "", sess, NULL, NULL, ts, &is_new);
	f->cause->count += (long)n - f->count;
	f->count = n;
	snprintf(d, sizeof d, "%u stream%s open before isoaudit attached: "
	    "who opened %s cannot be known", n, n == 1 ? " was" : "s were",
	    n == 1 ? "it" : "them");
	judge_emit(j, f, d, is_new);
}
