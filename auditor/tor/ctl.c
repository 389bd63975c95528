/*
 * ctl.c: the control connection.  One bufferevent; commands go out at once
 * and their completion handlers wait in a FIFO, since Tor answers commands
 * in order; 650 events may come between a command and its reply and go
 * straight to the application.  Anything that ends a connection from
 * inside a read callback is only noted there and acted on once the
 * callback has finished with the buffer.  PROTOCOLINFO and authentication
 * are ctl_auth.c's; the session starts at ctl_attach.
 */
#define ISOAUDIT_PRIVATE

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <sodium.h>

#include "buf.h"
#include "ctl_int.h"
#include "log.h"
#include "record.h"
#include "reply.h"
#include "xmalloc.h"
#include "timeutil.h"

#define CTL_BACKOFF_MAX		30	/* seconds */
#define CTL_MALFORMED_SHOWN	10	/* malformed lines logged a session */

static void	ctl_connect(struct ctl *);
static void	ctl_teardown(struct ctl *);

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
	ctl_auth_reset(c);
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
	ctl_auth_free(c);
	free(c->failure);
	buf_free(&c->tried);
	free(c);
}

void
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

/* The first failure noted wins; ctl_after_read acts on it. */
void
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

void
ctl_attach(struct ctl *c, const struct reply *r)
{
	const char *addr = ctl_address(c);

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
	/* The onion services added with ADD_ONION Flags=Detach (the
	 * pipeline's, by its key); not part of the start-up. */
	ctl_send(c, "GETINFO onions/detached", NULL);
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

	if (c->cbs.malformed != NULL && strcmp(what, "malformed line") == 0)
		c->cbs.malformed(s, n, c->arg);
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
		ctl_auth_begin(c);
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
