/*
 * ctl_auth.c: authenticating to Tor.  PROTOCOLINFO says which methods Tor
 * offers and where its cookie is; a method is forced (--auth) or the first
 * whose secret is at hand is taken: SAFECOOKIE (Tor's server hash checked
 * in constant time before we answer), COOKIE, HASHEDPASSWORD (from a file
 * or a terminal prompt, kept for reconnects), NULL.  Secrets are wiped as
 * soon as they are sent.
 */
#define ISOAUDIT_PRIVATE

#include <errno.h>
#include <fcntl.h>
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

/* Whether PROTOCOLINFO's METHODS= lists method. */
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

/*
 * Reads a password from a file or, at the start, a terminal prompt, into
 * c->password (allocated, kept for reconnects); returns 0, or -1 with *why
 * allocated.
 */
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
 * be read.  Returns 0, or -1 having noted why not.
 */
static int
ctl_auth_forced(struct ctl *c)
{
	const char *name = ctl_auth_name(c->auth);
	char *why = NULL;

	if (!ctl_offers(c, name)) {
		char *esc = escape_dup(c->offered, strlen(c->offered));

		ctl_fail(c, 1, "Tor at %s does not offer %s "
		    "authentication (it offers %s)", ctl_address(c),
		    name, esc);
		free(esc);
		return -1;
	}
	if (((c->auth == CTL_AUTH_SAFECOOKIE || c->auth == CTL_AUTH_COOKIE) &&
	    ctl_read_cookie(c, &why) == -1) ||
	    (c->auth == CTL_AUTH_PASSWORD && ctl_get_password(c, &why) == -1)) {
		ctl_fail(c, 1, "cannot authenticate to Tor at %s with "
		    "%s: %s", ctl_address(c), name, why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * The first method Tor offers whose secret is at hand: the cookie, the
 * password, then none.  Returns it, or CTL_AUTH_AUTO having noted why
 * there is none.
 */
static enum ctl_auth
ctl_auth_choose(struct ctl *c)
{
	char *why_cookie = NULL, *why_pw = NULL;
	enum ctl_auth pick = CTL_AUTH_AUTO;

	if ((ctl_offers(c, "SAFECOOKIE") || ctl_offers(c, "COOKIE")) &&
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
