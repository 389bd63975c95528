/*
 * ctl.c: the control connection.  One bufferevent; commands go out at once
 * and their completion handlers wait in a FIFO, since Tor answers commands
 * in order; 650 events may come between a command and its reply and go
 * straight to the application.  Anything that ends a connection from
 * inside a read callback is only noted there and acted on once the
 * callback has finished with the buffer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "record.h"
#include "reply.h"
#include "xmalloc.h"
#include "timeutil.h"

#define CTL_BACKOFF_MAX		30	/* seconds */
#define CTL_MALFORMED_SHOWN	10	/* malformed lines logged a session */
#define CTL_COOKIE_LEN		32
#define CTL_NONCE_LEN		32

enum ctl_state {
	CTL_IDLE,
	CTL_CONNECTING,
	CTL_PROTOCOLINFO,
	CTL_AUTHENTICATING,
	CTL_ATTACHED
};

struct ctl;
typedef void (*ctl_done_fn)(struct ctl *, const struct reply *);

struct ctl_cmd {
	TAILQ_ENTRY(ctl_cmd)	 entry;
	ctl_done_fn		 done;	/* NULL: hand to the application */
};
TAILQ_HEAD(ctl_cmds, ctl_cmd);

struct ctl {
	struct event_base	*base;
	struct ctl_cbs		 cbs;
	void			*arg;

	char			*candidates[2];
	int			 ncandidates;
	int			 candidate;
	char			*cookie_file;
	char			*password_file;
	enum ctl_auth		 auth;
	struct record		*record;
	int			 max_attempts;

	struct bufferevent	*bev;
	struct reply_parser	*parser;
	struct event		*retry_ev;
	struct ctl_cmds		 queue;
	enum ctl_state		 state;
	int			 ever_attached;
	unsigned		 serial;
	int			 backoff;
	int64_t			 retry_at;
	char			*events;
	int			 attempts;
	char			*failure;	/* set inside callbacks */
	int			 failure_fatal;
	struct buf		 tried;		/* auto-discovery failures */

	enum ctl_auth		 method;
	char			*offered;	/* METHODS= of PROTOCOLINFO */
	char			*cookie_path;
	unsigned char		 cookie[CTL_COOKIE_LEN];
	unsigned char		 nonce[CTL_NONCE_LEN];
	char			*password;
	int			 setup_pending;
	unsigned		 malformed;
	size_t			 partial;	/* bytes since the last '\n' */
};

static void	ctl_connect(struct ctl *);
static void	ctl_teardown(struct ctl *);

int
ctl_auth_parse(const char *s, enum ctl_auth *out)
{
	static const struct {
		const char	*name;
		enum ctl_auth	 auth;
	} names[] = {
		{ "auto", CTL_AUTH_AUTO },
		{ "safecookie", CTL_AUTH_SAFECOOKIE },
		{ "cookie", CTL_AUTH_COOKIE },
		{ "password", CTL_AUTH_PASSWORD },
		{ "hashedpassword", CTL_AUTH_PASSWORD },
		{ "null", CTL_AUTH_NULL },
		{ "none", CTL_AUTH_NULL },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].auth;
			return 0;
		}
	return -1;
}

const char *
ctl_auth_name(enum ctl_auth a)
{
	switch (a) {
	case CTL_AUTH_SAFECOOKIE: return "SAFECOOKIE";
	case CTL_AUTH_COOKIE: return "COOKIE";
	case CTL_AUTH_PASSWORD: return "HASHEDPASSWORD";
	case CTL_AUTH_NULL: return "NULL";
	default: return "AUTO";
	}
}

struct ctl *
ctl_new(struct event_base *base, const struct ctl_config *cfg,
    const struct ctl_cbs *cbs, void *arg)
{
	struct ctl *c = xcalloc(1, sizeof *c);

	c->base = base;
	c->cbs = *cbs;
	c->arg = arg;
	if (cfg->address != NULL) {
		c->candidates[c->ncandidates++] = xstrdup(cfg->address);
	} else {
		c->candidates[c->ncandidates++] =
		    xstrdup("unix:/run/tor/control");
		c->candidates[c->ncandidates++] = xstrdup("127.0.0.1:9051");
	}
	if (cfg->cookie_file != NULL)
		c->cookie_file = xstrdup(cfg->cookie_file);
	if (cfg->password_file != NULL)
		c->password_file = xstrdup(cfg->password_file);
	if (cfg->events != NULL)
		c->events = xstrdup(cfg->events);
	c->auth = cfg->auth;
	c->record = cfg->record;
	c->max_attempts = cfg->max_attempts;
	c->backoff = 1;
	TAILQ_INIT(&c->queue);
	buf_init(&c->tried);
	return c;
}

const char *
ctl_address(const struct ctl *c)
{
	return c->candidates[c->candidate];
}

int
ctl_attached(const struct ctl *c)
{
	return c->state == CTL_ATTACHED;
}

int64_t
ctl_retry_at(const struct ctl *c)
{
	return c->state == CTL_ATTACHED ? 0 : c->retry_at;
}

static void
ctl_queue_clear(struct ctl *c)
{
	struct ctl_cmd *cmd;

	while ((cmd = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, cmd, entry);
		free(cmd);
	}
}

static void
ctl_teardown(struct ctl *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	ctl_queue_clear(c);
	if (c->parser != NULL)
		reply_parser_reset(c->parser);
	sodium_memzero(c->cookie, sizeof c->cookie);
	FREE(c->offered);
	FREE(c->cookie_path);
	c->setup_pending = 0;
	c->partial = 0;
	c->state = CTL_IDLE;
}

void
ctl_free(struct ctl *c)
{
	int i;

	if (c == NULL)
		return;
	if (c->state == CTL_ATTACHED && c->bev != NULL) {
		/* Be polite: QUIT, flushed synchronously as we close. */
		int fd = bufferevent_getfd(c->bev);

		if (fd != -1)
			(void)!write(fd, "QUIT\r\n", 6);
		record_to_tor(c->record, "QUIT", 4, time_now_us());
	}
	ctl_teardown(c);
	if (c->retry_ev != NULL)
		event_free(c->retry_ev);
	reply_parser_free(c->parser);
	for (i = 0; i < c->ncandidates; i++)
		free(c->candidates[i]);
	free(c->cookie_file);
	free(c->password_file);
	free(c->events);
	if (c->password != NULL) {
		sodium_memzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->failure);
	buf_free(&c->tried);
	free(c);
}

/* Sends one command line and queues its completion handler. */
static void
ctl_send(struct ctl *c, const char *line, ctl_done_fn done)
{
	struct ctl_cmd *cmd = xcalloc(1, sizeof *cmd);
	struct evbuffer *out = bufferevent_get_output(c->bev);

	cmd->done = done;
	TAILQ_INSERT_TAIL(&c->queue, cmd, entry);
	evbuffer_add(out, line, strlen(line));
	evbuffer_add(out, "\r\n", 2);
	record_to_tor(c->record, line, strlen(line), time_now_us());
}

int
ctl_command(struct ctl *c, const char *line)
{
	if (c->state != CTL_ATTACHED || strpbrk(line, "\r\n") != NULL)
		return -1;
	ctl_send(c, line, NULL);
	return 0;
}

/* Notes a failure from inside a callback; acted on by ctl_after_read. */
static void
ctl_fail(struct ctl *c, int fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ctl_fail(struct ctl *c, int fatal, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->failure != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = xstrdup("control connection failed");
	va_end(ap);
	c->failure = msg;
	c->failure_fatal = fatal;
}

static void
ctl_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	ctl_connect(c);
}

static void
ctl_schedule_retry(struct ctl *c)
{
	struct timeval tv = { c->backoff, 0 };

	if (c->retry_ev == NULL)
		c->retry_ev = evtimer_new(c->base, ctl_retry_cb, c);
	evtimer_add(c->retry_ev, &tv);
	c->retry_at = time_now_us() + (int64_t)c->backoff * 1000000;
	c->backoff = c->backoff * 2 > CTL_BACKOFF_MAX ? CTL_BACKOFF_MAX :
	    c->backoff * 2;
}

/*
 * The connection ended (or never got going).  Before the first session:
 * try the next candidate address, else report a fatal error.  After it:
 * end the session and reconnect with backoff.
 */
static void
ctl_handle_failure(struct ctl *c, const char *why, int fatal)
{
	int was_attached = c->state == CTL_ATTACHED;
	int64_t now = time_now_us();
	char *msg = xstrdup(why);

	ctl_teardown(c);
	if (was_attached) {
		if (c->cbs.session_end != NULL)
			c->cbs.session_end(c->serial, msg, now, c->arg);
		log_warnx("lost the control connection to Tor at %s (%s); "
		    "reconnecting in %d s", ctl_address(c), msg, c->backoff);
		c->attempts = 0;
		ctl_schedule_retry(c);
		free(msg);
		return;
	}
	if (!c->ever_attached) {
		if (!fatal && c->candidate + 1 < c->ncandidates) {
			buf_printf(&c->tried, "%s: %s; ", ctl_address(c), msg);
			c->candidate++;
			free(msg);
			ctl_connect(c);
			return;
		}
		if (c->tried.len == 0 && !fatal) {
			char *one = xasprintf("cannot reach Tor's control port "
			    "at %s: %s", ctl_address(c), msg);

			free(msg);
			msg = one;
		} else if (c->tried.len > 0) {
			char *all = xasprintf("cannot reach Tor's control port "
			    "(tried %s%s: %s); start Tor with ControlPort or "
			    "ControlSocket, or name it with --control",
			    buf_cstr(&c->tried), ctl_address(c), msg);

			free(msg);
			msg = all;
		}
		if (c->cbs.fatal != NULL)
			c->cbs.fatal(msg, c->arg);
		free(msg);
		return;
	}
	c->attempts++;
	if (c->max_attempts > 0 && c->attempts >= c->max_attempts) {
		char *m = xasprintf("%s (gave up after %d attempts)", msg,
		    c->attempts);

		if (c->cbs.fatal != NULL)
			c->cbs.fatal(m, c->arg);
		free(m);
		free(msg);
		return;
	}
	if (fatal)
		log_warnx("%s; retrying in %d s", msg, c->backoff);
	else
		log_warnx("cannot reach Tor at %s: %s; retrying in %d s",
		    ctl_address(c), msg, c->backoff);
	ctl_schedule_retry(c);
	free(msg);
}

static void
ctl_after_read(struct ctl *c)
{
	char *why;

	if (c->failure == NULL)
		return;
	why = c->failure;
	c->failure = NULL;
	ctl_handle_failure(c, why, c->failure_fatal);
	free(why);
}

static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t bin_len;

	if (strlen(s) != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &bin_len, NULL) != 0 ||
	    bin_len != n)
		return -1;
	return 0;
}

void
ctl_safecookie_hash(int server, const unsigned char *cookie, size_t cookielen,
    const unsigned char *cnonce, const unsigned char *snonce, size_t noncelen,
    unsigned char *out)
{
	static const char skey[] =
	    "Tor safe cookie authentication server-to-controller hash";
	static const char ckey[] =
	    "Tor safe cookie authentication controller-to-server hash";
	crypto_auth_hmacsha256_state st;
	const char *key = server ? skey : ckey;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
	    strlen(key));
	crypto_auth_hmacsha256_update(&st, cookie, cookielen);
	crypto_auth_hmacsha256_update(&st, cnonce, noncelen);
	crypto_auth_hmacsha256_update(&st, snonce, noncelen);
	crypto_auth_hmacsha256_final(&st, out);
}

static int
ctl_offers(const struct ctl *c, const char *method)
{
	const char *p = c->offered;
	size_t n = strlen(method);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, method, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* Reads the 32-byte cookie; returns 0, or -1 with *why allocated. */
static int
ctl_read_cookie(struct ctl *c, char **why)
{
	const char *path = c->cookie_file ? c->cookie_file : c->cookie_path;
	unsigned char extra[CTL_COOKIE_LEN + 1];
	ssize_t got;
	int fd;

	if (path == NULL) {
		*why = xstrdup("Tor named no cookie file (use --cookie)");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = xasprintf("cookie file %s: %s%s", path, strerror(errno),
		    errno == EACCES ? " (join Tor's group, e.g. debian-tor, "
		    "or use --cookie/--password-file)" : "");
		return -1;
	}
	got = read(fd, extra, sizeof extra);
	close(fd);
	if (got != CTL_COOKIE_LEN) {
		*why = xasprintf("cookie file %s: not %d bytes", path,
		    CTL_COOKIE_LEN);
		sodium_memzero(extra, sizeof extra);
		return -1;
	}
	memcpy(c->cookie, extra, CTL_COOKIE_LEN);
	sodium_memzero(extra, sizeof extra);
	return 0;
}

/* Reads a password from a file or, at the start, a terminal prompt. */
static int
ctl_get_password(struct ctl *c, char **why)
{
	char line[1024];
	FILE *f;
	size_t n;

	if (c->password != NULL)
		return 0;
	if (c->password_file != NULL) {
		if ((f = fopen(c->password_file, "re")) == NULL) {
			*why = xasprintf("password file %s: %s",
			    c->password_file, strerror(errno));
			return -1;
		}
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		fclose(f);
	} else if (!c->ever_attached && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO)) {
		struct termios old, quiet;

		fprintf(stderr, "Tor control password for %s: ",
		    ctl_address(c));
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == -1) {
			*why = xstrdup("cannot read a password here");
			return -1;
		}
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		if (fgets(line, sizeof line, stdin) == NULL)
			line[0] = '\0';
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	} else {
		*why = xstrdup("no password (use --password-file)");
		return -1;
	}
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	c->password = xstrdup(line);
	sodium_memzero(line, sizeof line);
	return 0;
}

static void	ctl_authenticated(struct ctl *, const struct reply *);
static void	ctl_authchallenge_done(struct ctl *, const struct reply *);

static void
ctl_send_authenticate(struct ctl *c, const char *arg)
{
	char *line = xasprintf("AUTHENTICATE%s%s", arg ? " " : "",
	    arg ? arg : "");

	ctl_send(c, line, ctl_authenticated);
	sodium_memzero(line, strlen(line));
	free(line);
}

static void
ctl_protocolinfo_done(struct ctl *c, const struct reply *r)
{
	struct kvlist kv = { 0 };
	char *why_cookie = NULL, *why_pw = NULL, *cause = NULL;
	enum ctl_auth pick = CTL_AUTH_AUTO;
	size_t i;

	if (r->code != 250) {
		ctl_fail(c, 1, "Tor at %s refused PROTOCOLINFO (%d)",
		    ctl_address(c), r->code);
		return;
	}
	for (i = 0; i < r->nlines; i++) {
		const struct kv *m, *f;

		if (reply_kv_parse(r->lines[i].text, r->lines[i].textlen, &kv,
		    &cause) == -1) {
			FREE(cause);
			continue;
		}
		if (kv.n == 0 || kv.v[0].key != NULL ||
		    strcmp(kv.v[0].val, "AUTH") != 0)
			continue;
		if ((m = reply_kv_get(&kv, "METHODS")) != NULL) {
			free(c->offered);
			c->offered = xstrdup(m->val);
		}
		if ((f = reply_kv_get(&kv, "COOKIEFILE")) != NULL) {
			free(c->cookie_path);
			c->cookie_path = xstrndup(f->val, strlen(f->val));
		}
	}
	reply_kv_free(&kv);
	if (c->offered == NULL) {
		ctl_fail(c, 1, "Tor at %s sent no authentication methods",
		    ctl_address(c));
		return;
	}

	if (c->auth != CTL_AUTH_AUTO) {
		const char *name = ctl_auth_name(c->auth);

		if (!ctl_offers(c, name)) {
			char *esc = escape_dup(c->offered, strlen(c->offered));

			ctl_fail(c, 1, "Tor at %s does not offer %s "
			    "authentication (it offers %s)", ctl_address(c),
			    name, esc);
			free(esc);
			return;
		}
		pick = c->auth;
		if ((pick == CTL_AUTH_SAFECOOKIE || pick == CTL_AUTH_COOKIE) &&
		    ctl_read_cookie(c, &why_cookie) == -1) {
			ctl_fail(c, 1, "cannot authenticate to Tor at %s with "
			    "%s: %s", ctl_address(c), name, why_cookie);
			free(why_cookie);
			return;
		}
		if (pick == CTL_AUTH_PASSWORD &&
		    ctl_get_password(c, &why_pw) == -1) {
			ctl_fail(c, 1, "cannot authenticate to Tor at %s with "
			    "%s: %s", ctl_address(c), name, why_pw);
			free(why_pw);
			return;
		}
	} else if ((ctl_offers(c, "SAFECOOKIE") || ctl_offers(c, "COOKIE")) &&
	    ctl_read_cookie(c, &why_cookie) == 0) {
		pick = ctl_offers(c, "SAFECOOKIE") ? CTL_AUTH_SAFECOOKIE :
		    CTL_AUTH_COOKIE;
	} else if (ctl_offers(c, "HASHEDPASSWORD") &&
	    ctl_get_password(c, &why_pw) == 0) {
		pick = CTL_AUTH_PASSWORD;
	} else if (ctl_offers(c, "NULL")) {
		pick = CTL_AUTH_NULL;
	} else {
		char *esc = escape_dup(c->offered, strlen(c->offered));

		ctl_fail(c, 1, "cannot authenticate to Tor at %s (it offers "
		    "%s)%s%s%s%s", ctl_address(c), esc,
		    why_cookie ? ": " : "", why_cookie ? why_cookie : "",
		    why_pw ? "; " : "", why_pw ? why_pw : "");
		free(esc);
		free(why_cookie);
		free(why_pw);
		return;
	}
	free(why_cookie);
	free(why_pw);
	c->method = pick;
	c->state = CTL_AUTHENTICATING;
	log_debug("authenticating to %s with %s", ctl_address(c),
	    ctl_auth_name(pick));

	switch (pick) {
	case CTL_AUTH_SAFECOOKIE: {
		char hex[2 * CTL_NONCE_LEN + 1], *line;

		randombytes_buf(c->nonce, sizeof c->nonce);
		hex_encode(c->nonce, sizeof c->nonce, hex);
		line = xasprintf("AUTHCHALLENGE SAFECOOKIE %s", hex);
		ctl_send(c, line, ctl_authchallenge_done);
		free(line);
		break;
	}
	case CTL_AUTH_COOKIE: {
		char hex[2 * CTL_COOKIE_LEN + 1];

		hex_encode(c->cookie, sizeof c->cookie, hex);
		ctl_send_authenticate(c, hex);
		sodium_memzero(hex, sizeof hex);
		break;
	}
	case CTL_AUTH_PASSWORD: {
		struct buf q;

		buf_init(&q);
		buf_quote(&q, c->password, strlen(c->password));
		ctl_send_authenticate(c, buf_cstr(&q));
		sodium_memzero(q.p, q.cap);
		buf_free(&q);
		break;
	}
	default:
		ctl_send_authenticate(c, NULL);
		break;
	}
}

static void
ctl_authchallenge_done(struct ctl *c, const struct reply *r)
{
	struct kvlist kv = { 0 };
	unsigned char shash[crypto_auth_hmacsha256_BYTES];
	unsigned char want[crypto_auth_hmacsha256_BYTES];
	unsigned char snonce[CTL_NONCE_LEN];
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	const struct kv *h, *n;
	char *cause = NULL;

	if (r->code != 250 || r->nlines == 0 ||
	    reply_kv_parse(r->lines[0].text, r->lines[0].textlen, &kv,
	    &cause) == -1 ||
	    (h = reply_kv_get(&kv, "SERVERHASH")) == NULL ||
	    (n = reply_kv_get(&kv, "SERVERNONCE")) == NULL ||
	    hex_decode(h->val, shash, sizeof shash) == -1 ||
	    hex_decode(n->val, snonce, sizeof snonce) == -1) {
		char *esc = r->nlines ? escape_dup(r->lines[0].text,
		    r->lines[0].textlen) : xstrdup("");

		ctl_fail(c, 1, "Tor at %s refused SAFECOOKIE authentication: "
		    "%d %s", ctl_address(c), r->code, esc);
		free(esc);
		free(cause);
		reply_kv_free(&kv);
		return;
	}
	reply_kv_free(&kv);
	ctl_safecookie_hash(1, c->cookie, sizeof c->cookie, c->nonce, snonce,
	    sizeof snonce, want);
	if (sodium_memcmp(want, shash, sizeof want) != 0) {
		ctl_fail(c, 1, "Tor at %s failed SAFECOOKIE verification: its "
		    "server hash does not match the cookie file %s (wrong "
		    "cookie, or not the Tor you meant)", ctl_address(c),
		    c->cookie_file ? c->cookie_file : c->cookie_path);
		return;
	}
	ctl_safecookie_hash(0, c->cookie, sizeof c->cookie, c->nonce, snonce,
	    sizeof snonce, want);
	hex_encode(want, sizeof want, hex);
	ctl_send_authenticate(c, hex);
	sodium_memzero(want, sizeof want);
	sodium_memzero(hex, sizeof hex);
}

static void
ctl_setup_done(struct ctl *c, const struct reply *r)
{
	if (c->cbs.reply != NULL)
		c->cbs.reply(r, c->arg);
	if (r->code != 250) {
		char *esc = r->nlines ? escape_dup(r->lines[0].text,
		    r->lines[0].textlen) : xstrdup("");

		log_warnx("Tor at %s: a start-up query failed: %d %s",
		    ctl_address(c), r->code, esc);
		free(esc);
	}
	if (--c->setup_pending == 0 && c->cbs.session_ready != NULL)
		c->cbs.session_ready(c->serial, r->ts_us, c->arg);
}

static void
ctl_setevents_done(struct ctl *c, const struct reply *r)
{
	if (r->code != 250) {
		char *esc = r->nlines ? escape_dup(r->lines[0].text,
		    r->lines[0].textlen) : xstrdup("");

		ctl_fail(c, 1, "Tor at %s refused SETEVENTS: %d %s",
		    ctl_address(c), r->code, esc);
		free(esc);
		return;
	}
	ctl_setup_done(c, r);
}

static void
ctl_authenticated(struct ctl *c, const struct reply *r)
{
	const char *addr = ctl_address(c);

	if (r->code != 250) {
		char *esc = r->nlines ? escape_dup(r->lines[0].text,
		    r->lines[0].textlen) : xstrdup("");

		ctl_fail(c, 1, "Tor at %s refused %s authentication: %d %s",
		    addr, ctl_auth_name(c->method), r->code, esc);
		free(esc);
		return;
	}
	sodium_memzero(c->cookie, sizeof c->cookie);
	c->state = CTL_ATTACHED;
	c->serial++;
	c->attempts = 0;
	c->backoff = 1;
	c->malformed = 0;
	if (c->ever_attached)
		log_info("reconnected to Tor at %s (Tor session %u)", addr,
		    c->serial);
	c->ever_attached = 1;
	if (c->cbs.session_start != NULL)
		c->cbs.session_start(c->serial, addr,
		    ctl_auth_name(c->method), r->ts_us, c->arg);
	c->setup_pending = 3;
	c->retry_at = 0;
	if (c->events != NULL) {
		char *cmd = xasprintf("SETEVENTS STREAM CIRC SIGNAL "
		    "CONF_CHANGED %s", c->events);

		ctl_send(c, cmd, ctl_setevents_done);
		free(cmd);
	} else
		ctl_send(c, "SETEVENTS STREAM CIRC SIGNAL CONF_CHANGED",
		    ctl_setevents_done);
	ctl_send(c, "GETINFO version process/pid status/bootstrap-phase "
	    "circuit-status stream-status net/listeners/socks "
	    "net/listeners/trans net/listeners/dns net/listeners/httptunnel",
	    ctl_setup_done);
	ctl_send(c, "GETCONF SocksPort TransPort DNSPort HTTPTunnelPort",
	    ctl_setup_done);
}

static void
ctl_reply_cb(const struct reply *r, void *arg)
{
	struct ctl *c = arg;
	struct ctl_cmd *cmd;
	ctl_done_fn done;

	if (c->failure != NULL)
		return;
	if (r->async) {
		if (c->state == CTL_ATTACHED && c->cbs.reply != NULL)
			c->cbs.reply(r, c->arg);
		return;
	}
	if ((cmd = TAILQ_FIRST(&c->queue)) == NULL) {
		log_warnx("Tor at %s sent a reply to no command (%d), ignored",
		    ctl_address(c), r->code);
		return;
	}
	TAILQ_REMOVE(&c->queue, cmd, entry);
	done = cmd->done;
	free(cmd);
	if (done != NULL)
		done(c, r);
	else if (c->cbs.reply != NULL)
		c->cbs.reply(r, c->arg);
}

static void
ctl_parse_error(const char *what, const char *s, size_t n, void *arg)
{
	struct ctl *c = arg;
	char *esc;

	c->malformed++;
	if (c->malformed > CTL_MALFORMED_SHOWN)
		return;
	esc = escape_dup(s, n > 200 ? 200 : n);
	log_warnx("Tor at %s: %s, skipped: %s%s", ctl_address(c), what, esc,
	    n > 200 ? "..." : "");
	if (c->malformed == CTL_MALFORMED_SHOWN)
		log_warnx("Tor at %s: further malformed lines this session "
		    "are skipped without a message", ctl_address(c));
	free(esc);
}

static void
ctl_line_hook(const char *s, size_t n, int64_t ts, void *arg)
{
	struct ctl *c = arg;

	record_from_tor(c->record, s, n, ts);
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[8];
	int64_t now = time_now_us();
	int n, i;

	while (c->failure == NULL && evbuffer_get_length(in) > 0) {
		size_t used = 0;

		n = evbuffer_peek(in, -1, NULL, v, 8);
		if (n > 8)
			n = 8;
		for (i = 0; i < n && c->failure == NULL; i++) {
			const char *nl = memrchr(v[i].iov_base, '\n',
			    v[i].iov_len);

			reply_parser_feed(c->parser, v[i].iov_base,
			    v[i].iov_len, now);
			used += v[i].iov_len;
			c->partial = nl == NULL ? c->partial + v[i].iov_len :
			    v[i].iov_len - (size_t)(nl -
			    (const char *)v[i].iov_base) - 1;
		}
		evbuffer_drain(in, used);
		if (c->bev == NULL)
			break;
	}
	ctl_after_read(c);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->state = CTL_PROTOCOLINFO;
		ctl_send(c, "PROTOCOLINFO 1", ctl_protocolinfo_done);
		return;
	}
	/* Anything noted while reading comes first: it says why. */
	if (c->failure != NULL) {
		ctl_after_read(c);
		return;
	}
	if ((what & BEV_EVENT_EOF) && c->partial > 0) {
		/* What the parser holds of an unfinished line is lost. */
		char *why = xasprintf("Tor closed the connection%s in the "
		    "middle of a line (%zu bytes discarded)",
		    c->state == CTL_ATTACHED ? "" : " before authentication",
		    c->partial);

		ctl_handle_failure(c, why, 0);
		free(why);
	} else if (what & BEV_EVENT_EOF)
		ctl_handle_failure(c, c->state == CTL_ATTACHED ?
		    "Tor closed the connection" :
		    "Tor closed the connection before authentication", 0);
	else if (what & BEV_EVENT_ERROR) {
		char *why = xasprintf("%s", err ?
		    evutil_socket_error_to_string(err) : "connection error");

		ctl_handle_failure(c, why, 0);
		free(why);
	}
}

/* Fills a sockaddr for "unix:/p", "/p", "host:port", "[v6]:port", "port". */
static int
ctl_sockaddr(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
    char **why)
{
	const char *path = NULL;
	char host[256], *colon;
	const char *port;
	struct addrinfo hints, *res;
	int rc;

	if (strncmp(addr, "unix:", 5) == 0)
		path = addr + 5;
	else if (addr[0] == '/')
		path = addr;
	if (path != NULL) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		if (strlen(path) >= sizeof sun->sun_path) {
			*why = xstrdup("socket path too long");
			return -1;
		}
		memset(sun, 0, sizeof *sun);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, path);
		*len = sizeof *sun;
		return 0;
	}
	if (strspn(addr, "0123456789") == strlen(addr)) {
		snprintf(host, sizeof host, "127.0.0.1");
		port = addr;
	} else {
		if (strlen(addr) >= sizeof host) {
			*why = xstrdup("address too long");
			return -1;
		}
		snprintf(host, sizeof host, "%s", addr[0] == '[' ?
		    addr + 1 : addr);
		if ((colon = strrchr(host, ':')) == NULL) {
			*why = xstrdup("no port (use host:port or unix:/path)");
			return -1;
		}
		*colon = '\0';
		port = addr + (colon - host) + (addr[0] == '[' ? 2 : 1);
		if (addr[0] == '[') {
			char *rb = strchr(host, ']');

			if (rb == NULL) {
				*why = xstrdup("bad IPv6 address");
				return -1;
			}
			*rb = '\0';
		}
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		*why = xasprintf("%s", gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
ctl_connect(struct ctl *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *why = NULL;

	ctl_teardown(c);
	if (c->parser == NULL) {
		c->parser = reply_parser_new(ctl_reply_cb, ctl_parse_error, c);
		reply_parser_set_line_hook(c->parser, ctl_line_hook);
	}
	if (ctl_sockaddr(ctl_address(c), &ss, &len, &why) == -1) {
		char *m = xasprintf("bad control address %s: %s",
		    ctl_address(c), why);

		free(why);
		ctl_handle_failure(c, m, 1);
		free(m);
		return;
	}
	c->bev = bufferevent_socket_new(c->base, -1,
	    BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, ctl_read_cb, NULL, ctl_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->state = CTL_CONNECTING;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ss,
	    (int)len) == -1) {
		int err = EVUTIL_SOCKET_ERROR();
		char *m = xasprintf("%s", err ?
		    evutil_socket_error_to_string(err) : "cannot connect");

		ctl_handle_failure(c, m, 0);
		free(m);
	}
}

int
ctl_start(struct ctl *c, char **cause)
{
	if (sodium_init() == -1) {
		*cause = xstrdup("libsodium failed to initialise");
		return -1;
	}
	ctl_connect(c);
	return 0;
}
