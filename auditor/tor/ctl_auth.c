/*
 * SPDX-FileCopyrightText: 2026 The isoaudit authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ctl_auth.c: authenticating to Tor.  PROTOCOLINFO says which methods Tor
 * offers and where its cookie is; a method is forced (--auth) or the first
 * whose secret is at hand is taken: SAFECOOKIE (Tor's server hash checked
 * in constant time before we answer), COOKIE, HASHEDPASSWORD (from a file
 * or a terminal prompt, kept for reconnects), NULL.  Secrets are wiped as
 * soon as they are sent.
 */
#define ISOAUDIT_PRIVATE

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "ctl_int.h"
#include "log.h"
#include "reply.h"
#include "timeutil.h"
#include "xmalloc.h"

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

/* Writes n bytes as 2n upper-case hex digits and a NUL into out. */
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

/* Decodes exactly 2n hex digits into n bytes; returns 0 or -1. */
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

int
ctl_method_offered(const char *offered, const char *method)
{
	const char *p = offered;
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

/* Whether PROTOCOLINFO's METHODS= lists method. */
static int
ctl_offers(const struct ctl *c, const char *method)
{
	return ctl_method_offered(c->offered, method);
}

enum ctl_auth
ctl_cookie_method(const char *offered, int *cookie_only)
{
	*cookie_only = 0;
	if (ctl_method_offered(offered, "SAFECOOKIE"))
		return CTL_AUTH_SAFECOOKIE;
	*cookie_only = ctl_method_offered(offered, "COOKIE");
	return CTL_AUTH_AUTO;
}

int
ctl_cookie_check(const struct stat *st, const char *path, char **why)
{
	const char *what = NULL;
	char *esc;

	if (S_ISDIR(st->st_mode))
		what = "a directory";
	else if (S_ISFIFO(st->st_mode))
		what = "a FIFO";
	else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		what = "a device";
	else if (S_ISSOCK(st->st_mode))
		what = "a socket";
	else if (!S_ISREG(st->st_mode))
		what = "not a regular file";
	if (what == NULL && st->st_size == CTL_COOKIE_BYTES)
		return 0;
	esc = escape_dup(path, strlen(path));
	if (what != NULL)
		*why = xasprintf("cookie file %s is %s, not a regular file of "
		    "%d bytes as Tor writes it", esc, what, CTL_COOKIE_BYTES);
	else
		*why = xasprintf("cookie file %s has %lld bytes, not the %d "
		    "of Tor's cookie", esc, (long long)st->st_size,
		    CTL_COOKIE_BYTES);
	free(esc);
	return -1;
}

/* "cookie file PATH: strerror" with advice where it helps (allocated). */
static char *
ctl_cookie_error(const char *path, int err)
{
	char *esc = escape_dup(path, strlen(path)), *m;

	m = xasprintf("cookie file %s: %s%s", esc, strerror(err),
	    err == EACCES ? " (join Tor's group, e.g. debian-tor, "
	    "or use --cookie/--password-file)" : "");
	free(esc);
	return m;
}

int
ctl_cookie_read(const char *path, unsigned char *out, char **why)
{
	unsigned char extra[CTL_COOKIE_BYTES + 1];
	struct stat st, fst;
	ssize_t got;
	int fd;

	/* Nothing but a regular file is even opened: opening a FIFO waits
	 * for a writer, a device may do something. */
	if (stat(path, &st) == -1) {
		*why = ctl_cookie_error(path, errno);
		return -1;
	}
	if (ctl_cookie_check(&st, path, why) == -1)
		return -1;
	/* O_NONBLOCK: should it have become a FIFO since, open and read
	 * return at once; fstat then says what was opened. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		*why = ctl_cookie_error(path, errno);
		return -1;
	}
	if (fstat(fd, &fst) == -1) {
		*why = ctl_cookie_error(path, errno);
		close(fd);
		return -1;
	}
	if (ctl_cookie_check(&fst, path, why) == -1) {
		close(fd);
		return -1;
	}
	do
		got = read(fd, extra, sizeof extra);
	while (got == -1 && errno == EINTR);
	close(fd);
	if (got != CTL_COOKIE_BYTES) {
		char *esc = escape_dup(path, strlen(path));

		if (got == -1)
			*why = xasprintf("cookie file %s: %s", esc,
			    strerror(errno));
		else
			*why = xasprintf("cookie file %s: read %zd bytes, not "
			    "the %d of Tor's cookie", esc, got,
			    CTL_COOKIE_BYTES);
		free(esc);
		sodium_memzero(extra, sizeof extra);
		return -1;
	}
	memcpy(out, extra, CTL_COOKIE_BYTES);
	sodium_memzero(extra, sizeof extra);
	return 0;
}

/* Reads the 32-byte cookie; returns 0, or -1 with *why allocated. */
static int
ctl_read_cookie(struct ctl *c, char **why)
{
	const char *path = c->cookie_file ? c->cookie_file : c->cookie_path;

	if (path == NULL) {
		*why = xstrdup("Tor named no cookie file (use --cookie)");
		return -1;
	}
	return ctl_cookie_read(path, c->cookie, why);
}

/*
 * While a secret is read from somewhere that may block (a terminal, a
 * password file that is a pipe), SIGINT and SIGTERM interrupt the read
 * instead of being restarted under libevent's handler (which asks for
 * SA_RESTART); once the old handlers are back, the signal is raised again
 * so that the event loop stops as it would have.
 */
static volatile sig_atomic_t ctl_caught;

static void
ctl_catch(int sig)
{
	ctl_caught = sig;
}

struct ctl_sigsave {
	struct sigaction	 intr;
	struct sigaction	 term;
};

static void
ctl_sig_catch(struct ctl_sigsave *save)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_catch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: read gets EINTR */
	ctl_caught = 0;
	sigaction(SIGINT, &sa, &save->intr);
	sigaction(SIGTERM, &sa, &save->term);
}

/* Puts the old handlers back; returns the signal caught meanwhile, or 0
 * (and then raises it for them). */
static int
ctl_sig_restore(struct ctl_sigsave *save)
{
	int sig;

	sigaction(SIGINT, &save->intr, NULL);
	sigaction(SIGTERM, &save->term, NULL);
	sig = ctl_caught;
	ctl_caught = 0;
	if (sig != 0)
		raise(sig);
	return sig;
}

/*
 * Reads one line (without its end) from fd into line (size n), a byte at a
 * time so that nothing after it is consumed.  Returns 0, or -1 when a
 * signal came (see ctl_sig_catch) or on an error.
 */
static int
ctl_read_line(int fd, char *line, size_t n)
{
	size_t len = 0;
	ssize_t got;
	char ch;

	for (;;) {
		if (ctl_caught)
			return -1;
		got = read(fd, &ch, 1);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return -1;
		if (got == 0 || ch == '\n')
			break;
		if (len + 1 < n)
			line[len++] = ch;
	}
	line[len] = '\0';
	return 0;
}

/*
 * Reads a password from a file or, at the start, a terminal prompt, into
 * c->password (allocated, kept for reconnects); returns 0, -1 with *why
 * allocated, or -2 when SIGINT or SIGTERM came meanwhile (the loop is
 * told; nothing more to say).
 */
static int
ctl_get_password(struct ctl *c, char **why)
{
	struct ctl_sigsave save;
	char line[1024];
	size_t n;
	int fd, rc;

	if (c->password != NULL)
		return 0;
	if (c->password_file != NULL) {
		ctl_sig_catch(&save);
		/* Blocking on purpose (--password-file <(pass show tor) is a
		 * pipe); a signal interrupts it. */
		if ((fd = open(c->password_file, O_RDONLY | O_NOCTTY |
		    O_CLOEXEC)) == -1) {
			int err = errno;

			if (ctl_sig_restore(&save) != 0)
				return -2;
			*why = xasprintf("password file %s: %s",
			    c->password_file, strerror(err));
			return -1;
		}
		rc = ctl_read_line(fd, line, sizeof line);
		close(fd);
		if (ctl_sig_restore(&save) != 0) {
			sodium_memzero(line, sizeof line);
			return -2;
		}
		if (rc == -1)
			line[0] = '\0';
	} else if (!c->ever_attached && isatty(STDIN_FILENO) &&
	    isatty(STDERR_FILENO)) {
		struct termios old, quiet;
		int64_t began = time_mono_us();

		if (tcgetattr(STDIN_FILENO, &old) == -1) {
			*why = xstrdup("cannot read a password here");
			return -1;
		}
		/* Caught before the prompt shows: a Ctrl-C as soon as it
		 * does must not go to libevent's handler and be lost. */
		ctl_sig_catch(&save);
		fprintf(stderr, "Tor control password for %s: ",
		    ctl_address(c));
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		rc = ctl_read_line(STDIN_FILENO, line, sizeof line);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		/* The time at the prompt is not the port's. */
		ctl_extend_deadline(c, time_mono_us() - began);
		if (ctl_sig_restore(&save) != 0) {
			sodium_memzero(line, sizeof line);
			return -2;
		}
		if (rc == -1)
			line[0] = '\0';
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

/* AUTHENTICATE's reply: refused ends the connection, else the session
 * starts. */
static void
ctl_authenticated(struct ctl *c, const struct reply *r)
{
	if (r->code != 250) {
		char *esc = r->nlines ? escape_dup(r->lines[0].text,
		    r->lines[0].textlen) : xstrdup("");

		ctl_fail(c, 1, "Tor at %s refused %s authentication: %d %s",
		    ctl_address(c), ctl_auth_name(c->method), r->code, esc);
		free(esc);
		return;
	}
	sodium_memzero(c->cookie, sizeof c->cookie);
	ctl_attach(c, r);
}

/* Sends AUTHENTICATE [arg]; the line is wiped once queued. */
static void
ctl_send_authenticate(struct ctl *c, const char *arg)
{
	char *line = xasprintf("AUTHENTICATE%s%s", arg ? " " : "",
	    arg ? arg : "");

	ctl_send(c, line, ctl_authenticated);
	sodium_memzero(line, strlen(line));
	free(line);
}

/*
 * AUTHCHALLENGE's reply: checks Tor's server hash against the cookie (in
 * constant time) before answering with ours.
 */
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

/* Sends the first command of c->method (AUTHCHALLENGE or AUTHENTICATE). */
static void
ctl_auth_send(struct ctl *c)
{
	switch (c->method) {
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

/* Keeps METHODS= and COOKIEFILE= of PROTOCOLINFO's AUTH line (owned by c). */
static void
ctl_protocolinfo_read(struct ctl *c, const struct reply *r)
{
	struct kvlist kv = { 0 };
	char *cause = NULL;
	size_t i;

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
}

/*
 * The method asked for (--auth): whether Tor offers it and its secret can
 * be read.  Returns 0, or -1 having noted why not (nothing noted when a
 * signal came at the password prompt: the loop stops).
 */
static int
ctl_auth_forced(struct ctl *c)
{
	const char *name = ctl_auth_name(c->auth);
	char *why = NULL;
	int rc = 0;

	if (!ctl_offers(c, name)) {
		char *esc = escape_dup(c->offered, strlen(c->offered));

		ctl_fail(c, 1, "Tor at %s does not offer %s "
		    "authentication (it offers %s)", ctl_address(c),
		    name, esc);
		free(esc);
		return -1;
	}
	if (c->auth == CTL_AUTH_SAFECOOKIE || c->auth == CTL_AUTH_COOKIE)
		rc = ctl_read_cookie(c, &why);
	else if (c->auth == CTL_AUTH_PASSWORD)
		rc = ctl_get_password(c, &why);
	if (rc == -1) {
		ctl_fail(c, 1, "cannot authenticate to Tor at %s with "
		    "%s: %s", ctl_address(c), name, why);
		free(why);
	}
	return rc == 0 ? 0 : -1;
}

/*
 * The first method Tor offers whose secret is at hand: the cookie (by
 * SAFECOOKIE only: plain COOKIE sends the file's contents, and a port
 * offering it without SAFECOOKIE is no Tor since 0.2.3; --auth cookie
 * forces it), the password, then none.  Returns it, or CTL_AUTH_AUTO
 * having noted why there is none.
 */
static enum ctl_auth
ctl_auth_choose(struct ctl *c)
{
	char *why_cookie = NULL, *why_pw = NULL;
	enum ctl_auth pick = CTL_AUTH_AUTO;
	int cookie_only, pw = -1;

	if (ctl_cookie_method(c->offered, &cookie_only) ==
	    CTL_AUTH_SAFECOOKIE && ctl_read_cookie(c, &why_cookie) == 0) {
		pick = CTL_AUTH_SAFECOOKIE;
	} else if (ctl_offers(c, "HASHEDPASSWORD") &&
	    (pw = ctl_get_password(c, &why_pw)) == 0) {
		pick = CTL_AUTH_PASSWORD;
	} else if (pw == -2) {
		/* SIGINT or SIGTERM at the prompt: the loop stops. */
	} else if (ctl_offers(c, "NULL")) {
		pick = CTL_AUTH_NULL;
	} else if (cookie_only) {
		char *esc = escape_dup(c->offered, strlen(c->offered));

		ctl_fail(c, 1, "%s offers COOKIE authentication without "
		    "SAFECOOKIE (it offers %s), which no Tor since 0.2.3 does: "
		    "COOKIE would send it the contents of the file it names, "
		    "so isoaudit sends nothing%s%s; if this is an old Tor you "
		    "trust, use --auth cookie", ctl_address(c), esc,
		    why_pw ? "; " : "", why_pw ? why_pw : "");
		free(esc);
	} else {
		char *esc = escape_dup(c->offered, strlen(c->offered));

		ctl_fail(c, 1, "cannot authenticate to Tor at %s (it offers "
		    "%s)%s%s%s%s", ctl_address(c), esc,
		    why_cookie ? ": " : "", why_cookie ? why_cookie : "",
		    why_pw ? "; " : "", why_pw ? why_pw : "");
		free(esc);
	}
	free(why_cookie);
	free(why_pw);
	return pick;
}

/* PROTOCOLINFO's reply: picks the method and starts authenticating. */
static void
ctl_protocolinfo_done(struct ctl *c, const struct reply *r)
{
	enum ctl_auth pick;

	if (r->code != 250) {
		ctl_fail(c, 1, "Tor at %s refused PROTOCOLINFO (%d)",
		    ctl_address(c), r->code);
		return;
	}
	ctl_protocolinfo_read(c, r);
	if (c->offered == NULL) {
		ctl_fail(c, 1, "Tor at %s sent no authentication methods",
		    ctl_address(c));
		return;
	}
	if (c->auth != CTL_AUTH_AUTO)
		pick = ctl_auth_forced(c) == 0 ? c->auth : CTL_AUTH_AUTO;
	else
		pick = ctl_auth_choose(c);
	if (pick == CTL_AUTH_AUTO)
		return;
	c->method = pick;
	c->state = CTL_AUTHENTICATING;
	log_debug("authenticating to %s with %s", ctl_address(c),
	    ctl_auth_name(pick));
	ctl_auth_send(c);
}

void
ctl_auth_begin(struct ctl *c)
{
	c->state = CTL_PROTOCOLINFO;
	ctl_send(c, "PROTOCOLINFO 1", ctl_protocolinfo_done);
}

void
ctl_auth_reset(struct ctl *c)
{
	sodium_memzero(c->cookie, sizeof c->cookie);
	FREE(c->offered);
	FREE(c->cookie_path);
}

void
ctl_auth_free(struct ctl *c)
{
	if (c->password != NULL) {
		sodium_memzero(c->password, strlen(c->password));
		FREE(c->password);
	}
}
