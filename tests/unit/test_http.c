/*
 * test_http.c: the HTTP server driven over real loopback sockets by a
 * small client below: routes, methods, content negotiation, gzip, HEAD,
 * limits, listen addresses, basic authentication, a TLS port.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "expose.h"
#include "http.h"
#include "testutil.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OM	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_PB                               \
	"application/vnd.google.protobuf; " \
	"proto=io.prometheus.client.MetricFamily; encoding=delimited"
#define CT_HTML	 "text/html; charset=utf-8"
#define CT_PLAIN "text/plain; charset=utf-8"

/* What the fake render function saw and does; shared with the server. */
static int renders;    /* calls, updated atomically */
static int dirty_bufs; /* calls given a buffer that was not fresh */
static int ready_flag;
static int empty_pages; /* render nothing at all */
static int last_page = -1;
static int last_fmt = -1;

/* The page the fake renderer writes for page and fmt. */
static void
fake_page(enum http_page page, enum expose_format fmt, struct buf *out)
{
	int i;

	if (__atomic_load_n(&empty_pages, __ATOMIC_SEQ_CST))
		return;
	if (page == HTTP_PAGE_LANDING) {
		buf_puts(out,
		    "<html><body><a href=\"/metrics\">Metrics</a>"
		    "</body></html>\n");
		return;
	}
	buf_puts(out,
	    fmt == EXPOSE_OPENMETRICS  ? "# openmetrics\n" :
		fmt == EXPOSE_PROTOBUF ? "# protobuf\n" :
					 "# text\n");
	buf_puts(out, "# TYPE fake_total counter\n");
	for (i = 0; i < 200; i++)
		buf_printf(out, "fake_total{i=\"%d\"} %d\n", i, i * 7);
	if (fmt == EXPOSE_OPENMETRICS)
		buf_puts(out, "# EOF\n");
}

static char *
expected(enum http_page page, enum expose_format fmt, size_t *len)
{
	struct buf b;

	buf_init(&b);
	fake_page(page, fmt, &b);
	*len = b.len;
	return buf_release(&b);
}

static unsigned
fake_render(void *arg, enum http_page page, enum expose_format fmt,
    const char *param, struct buf *out)
{
	cr_assert_eq(arg, &renders);
	if (page == HTTP_PAGE_RELOAD) {
		buf_puts(out, "reloaded\n");
		__atomic_store_n(&last_page, (int)page, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&renders, 1, __ATOMIC_SEQ_CST);
		return 200;
	}
	if (page == HTTP_PAGE_EXPLAIN) {
		/* The argument back, as the status module's 404 would say. */
		buf_printf(out, "line %s\n", param != NULL ? param : "(none)");
		__atomic_store_n(&last_page, (int)page, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&renders, 1, __ATOMIC_SEQ_CST);
		return param != NULL && strcmp(param, "7") == 0 ? 200 : 404;
	}
	if (out->len != 0 || out->p != NULL)
		__atomic_add_fetch(&dirty_bufs, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&last_page, (int)page, __ATOMIC_SEQ_CST);
	__atomic_store_n(&last_fmt, (int)fmt, __ATOMIC_SEQ_CST);
	fake_page(page, fmt, out);
	__atomic_add_fetch(&renders, 1, __ATOMIC_SEQ_CST);
	return 200;
}

static int
fake_ready(void *arg)
{
	cr_assert_eq(arg, &renders);
	return __atomic_load_n(&ready_flag, __ATOMIC_SEQ_CST);
}

static int
nrenders(void)
{
	return __atomic_load_n(&renders, __ATOMIC_SEQ_CST);
}

/* ---- a tiny HTTP/1.1 client ---- */

struct resp {
	int    status;
	char  *head; /* status line and headers, NUL'ed */
	char  *body;
	size_t bodylen;
};

static void
resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * Connects to the loopback address of family on port, from src when not
 * NULL. Returns the socket (5 s send and receive timeouts) or -1.
 */
static int
dial_from(int family, const char *src, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in     *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6    *sin6 = (struct sockaddr_in6 *)&ss;
	struct timeval		tv = { 5, 0 };
	socklen_t		len;
	int			fd;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		len = sizeof(*sin);
		if (src != NULL) {
			inet_pton(AF_INET, src, &sin->sin_addr);
			if (bind(fd, (struct sockaddr *)sin, len) == -1)
				goto fail;
		}
		sin->sin_port = htons((unsigned short)port);
		inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int
dial(int port)
{
	return dial_from(AF_INET, NULL, port);
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		/* The server may refuse a request before reading it all. */
		if ((k = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			return;
		p += k;
		n -= k;
	}
}

static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* The value of header name in r, or NULL; copied into val. */
static const char *
get_hdr(const struct resp *r, const char *name, char *val, size_t vlen)
{
	const char *line, *end;
	size_t	    n = strlen(name), k;

	for (line = strstr(r->head, "\r\n"); line != NULL; line = end) {
		line += 2;
		if ((end = strstr(line, "\r\n")) == NULL)
			end = line + strlen(line);
		if ((size_t)(end - line) > n && line[n] == ':' &&
		    strncasecmp(line, name, n) == 0) {
			line += n + 1;
			while (*line == ' ')
				line++;
			k = end - line < (long)vlen - 1 ? (size_t)(end - line) :
							  vlen - 1;
			memcpy(val, line, k);
			val[k] = '\0';
			return val;
		}
		if (*end == '\0')
			break;
	}
	return NULL;
}

/*
 * Reads one response from fd: the header block, then Content-Length bytes
 * of body (none for HEAD). Returns 0, or -1 when the connection ended or
 * timed out before a whole response arrived.
 */
static int
read_resp(int fd, int head, struct resp *r)
{
	struct buf  in;
	char	    tmp[4096], val[32];
	const char *end = NULL;
	size_t	    hlen = 0, clen = 0;
	ssize_t	    n;
	int	    have_clen = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&in);
	for (;;) {
		if (end == NULL && in.len > 0 &&
		    (end = strstr(in.p, "\r\n\r\n")) != NULL) {
			hlen = end - in.p;
			r->head = xstrndup(in.p, hlen);
			if (get_hdr(r, "Content-Length", val, sizeof(val))) {
				have_clen = 1;
				clen = strtoul(val, NULL, 10);
			}
			if (head)
				clen = 0;
		}
		if (end != NULL && (head || have_clen) &&
		    in.len >= hlen + 4 + clen)
			break;
		if ((n = recv(fd, tmp, sizeof(tmp), 0)) <= 0)
			break;
		buf_append(&in, tmp, n);
	}
	if (end == NULL || (have_clen && in.len < hlen + 4 + clen) ||
	    sscanf(in.p, "HTTP/1.1 %d ", &r->status) != 1) {
		buf_free(&in);
		resp_free(r);
		return -1;
	}
	r->bodylen = in.len - hlen - 4;
	r->body = xmalloc(r->bodylen + 1);
	memcpy(r->body, in.p + hlen + 4, r->bodylen);
	r->body[r->bodylen] = '\0';
	buf_free(&in);
	return 0;
}

/* Sends raw on a fresh connection and reads the answer. */
static int
roundtrip(int port, const char *raw, int head, struct resp *r)
{
	int fd, rc;

	cr_assert_neq(fd = dial(port), -1, "connect: %s", strerror(errno));
	send_all(fd, raw, strlen(raw));
	rc = read_resp(fd, head, r);
	close(fd);
	return rc;
}

/* Sends "method path" with extra header lines (each ending in \r\n). */
static void
get(int port, const char *method, const char *path, const char *extra,
    struct resp *r)
{
	char req[4096];

	snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: test\r\n%s"
	    "Connection: close\r\n\r\n",
	    method, path, extra ? extra : "");
	cr_assert_eq(roundtrip(port, req, strcmp(method, "HEAD") == 0, r), 0,
	    "no answer to %s %s", method, path);
}

/* Whether the peer closed fd (EOF or reset) within the receive timeout. */
static int
closed_by_peer(int fd)
{
	char	c;
	ssize_t n;

	n = recv(fd, &c, 1, 0);
	return n == 0 || (n == -1 && errno == ECONNRESET);
}

static void
assert_hdr(const struct resp *r, const char *name, const char *want)
{
	char val[256];

	if (want == NULL) {
		cr_assert_null(get_hdr(r, name, val, sizeof(val)),
		    "unexpected %s: %s", name, val);
		return;
	}
	cr_assert_not_null(get_hdr(r, name, val, sizeof(val)),
	    "missing %s in\n%s", name, r->head);
	cr_assert_str_eq(val, want, "%s", name);
}

static void
assert_clen(const struct resp *r, size_t want)
{
	char val[32];

	snprintf(val, sizeof(val), "%zu", want);
	assert_hdr(r, "Content-Length", val);
}

/* Inflates a gzip member; returns the bytes (owned by the caller). */
static char *
gunzip(const char *in, size_t n, size_t *outlen)
{
	z_stream      z;
	struct buf    out;
	unsigned char tmp[4096];
	int	      rc;

	memset(&z, 0, sizeof(z));
	cr_assert_eq(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	buf_init(&out);
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = inflate(&z, Z_NO_FLUSH);
		cr_assert(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
		buf_append(&out, tmp, sizeof(tmp) - z.avail_out);
	} while (rc != Z_STREAM_END);
	cr_assert_eq(z.avail_in, 0, "bytes after the gzip member");
	inflateEnd(&z);
	*outlen = out.len;
	return buf_release(&out);
}

/* ---- servers ---- */

static struct http *srv;

static struct http *
start(const struct http_opts *o, http_ready_fn *ready)
{
	char	     err[256] = "";
	struct http *h;

	h = http_start(o, fake_render, ready, &renders, err, sizeof(err));
	cr_assert_not_null(h, "http_start(%s): %s", o->listen, err);
	cr_assert_gt(http_port(h), 0);
	return h;
}

static void
start_default(void)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };

	srv = start(&o, fake_ready);
	__atomic_store_n(&ready_flag, 1, __ATOMIC_SEQ_CST);
}

/*
 * Under AddressSanitizer, fails the test when anything allocated is
 * unreachable once its servers are stopped. The check runs inside the
 * test: a leak report at the exit of the test's process, or a failure in
 * a fini hook, would not fail it.
 */
static void
check_leaks(void)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked");
#endif
}

static void
stop_default(void)
{
	http_stop(srv);
	srv = NULL;
	check_leaks();
}

/* A test of the "http" suite: a default server around the body. */
#define SERVED_TEST(name)                \
	static void served_##name(void); \
	Test(http, name)                 \
	{                                \
		start_default();         \
		served_##name();         \
		stop_default();          \
	}                                \
	static void served_##name(void)

/* A test that starts its own servers, checked for leaks after. */
#define CHECKED_TEST(suite, name)         \
	static void suite##_##name(void); \
	Test(suite, name)                 \
	{                                 \
		suite##_##name();         \
		check_leaks();            \
	}                                 \
	static void suite##_##name(void)

TestSuite(http, .timeout = 30);
TestSuite(http_limits, .timeout = 30);
TestSuite(http_listen, .timeout = 30);

/* ---- routes and methods ---- */

SERVED_TEST(request_with_a_body_is_refused_unread)
{
	static const char *const reqs[] = {
		"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
		"\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 00010\r\n"
		"\r\n0123456789",
		"GET /metrics HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
		"chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		/* a body declared and never sent: the answer must not wait */
		"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: "
		"1000000000\r\n\r\n",
		"HEAD /-/healthy HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
		"\r\nabc",
	};
	struct resp r;
	size_t	    i;
	int	    fd, head;

	for (i = 0; i < NELEM(reqs); i++) {
		head = strncmp(reqs[i], "HEAD", 4) == 0;
		cr_assert_neq(fd = dial(http_port(srv)), -1);
		send_all(fd, reqs[i], strlen(reqs[i]));
		cr_assert_eq(read_resp(fd, head, &r), 0, "case %zu", i);
		cr_assert_eq(r.status, 413, "case %zu", i);
		if (!head)
			cr_assert_str_eq(r.body, "Payload Too Large\n");
		assert_hdr(&r, "Connection", "close");
		cr_assert(closed_by_peer(fd), "case %zu: still open", i);
		close(fd);
		resp_free(&r);
	}
	cr_assert_eq(nrenders(), 0);

	/* An empty body is no body. */
	get(http_port(srv), "GET", "/metrics", "Content-Length: 0\r\n", &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	get(http_port(srv), "GET", "/metrics", "Content-Length: 000\r\n", &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	cr_assert_eq(nrenders(), 2);
}

SERVED_TEST(other_methods_get_405_with_allow)
{
	static const char *const methods[] = {
		"POST",
		"PUT",
		"DELETE",
		"OPTIONS",
		"PATCH",
		"get",
		"TRACE",
	};
	static const char *const paths[] = {
		"/metrics",
		"/",
		"/-/healthy",
		"/-/ready",
	};
	struct resp r;
	size_t	    i, j;

	for (i = 0; i < NELEM(methods); i++)
		for (j = 0; j < NELEM(paths); j++) {
			get(http_port(srv), methods[i], paths[j], NULL, &r);
			cr_assert_eq(r.status, 405, "%s %s", methods[i],
			    paths[j]);
			assert_hdr(&r, "Allow", "GET, HEAD");
			assert_hdr(&r, "Content-Type", CT_PLAIN);
			cr_assert_str_eq(r.body, "Method Not Allowed\n");
			resp_free(&r);
		}
	cr_assert_eq(nrenders(), 0);
}

SERVED_TEST(post_with_a_body_gets_405_and_a_closed_connection)
{
	static const char req[] =
	    "POST /metrics HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world";
	struct resp r;
	int	    fd;

	cr_assert_neq(fd = dial(http_port(srv)), -1);
	send_all(fd, req, sizeof(req) - 1);
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	cr_assert_eq(r.status, 405);
	assert_hdr(&r, "Allow", "GET, HEAD");
	cr_assert_str_eq(r.body, "Method Not Allowed\n");
	cr_assert(closed_by_peer(fd));
	close(fd);
	resp_free(&r);
	cr_assert_eq(nrenders(), 0);
}

SERVED_TEST(unknown_paths_get_404)
{
	static const char *const paths[] = {
		"/metrics/",
		"/metric",
		"/Metrics",
		"/metricsx",
		"//metrics",
		"/-/",
		"/-/healthy/",
		"/-/readyz",
		"/favicon.ico",
		"/index.html",
		"*",
	};
	struct resp r;
	size_t	    i;

	for (i = 0; i < NELEM(paths); i++) {
		get(http_port(srv), "GET", paths[i], NULL, &r);
		cr_assert_eq(r.status, 404, "%s", paths[i]);
		assert_hdr(&r, "Content-Type", CT_PLAIN);
		cr_assert_str_eq(r.body, "Not Found\n");
		resp_free(&r);
		get(http_port(srv), "DELETE", paths[i], NULL, &r);
		cr_assert_eq(r.status, 404, "DELETE %s", paths[i]);
		resp_free(&r);
	}
	cr_assert_eq(nrenders(), 0);
}

SERVED_TEST(get_metrics_text)
{
	struct resp r;
	size_t	    n;
	char	   *want = expected(HTTP_PAGE_METRICS, EXPOSE_TEXT, &n);

	get(http_port(srv), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_TEXT);
	assert_hdr(&r, "Vary", "Accept, Accept-Encoding");
	assert_hdr(&r, "Content-Encoding", NULL);
	assert_clen(&r, n);
	cr_assert_eq(r.bodylen, n);
	cr_assert_str_eq(r.body, want);
	cr_assert_eq(nrenders(), 1);
	cr_assert_eq(last_page, HTTP_PAGE_METRICS);
	cr_assert_eq(last_fmt, EXPOSE_TEXT);
	cr_assert_eq(dirty_bufs, 0);
	free(want);
	resp_free(&r);

	/* The query string is not part of the path. */
	get(http_port(srv), "GET", "/metrics?name[]=x&y", NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(nrenders(), 2);
	resp_free(&r);
}

SERVED_TEST(keep_alive_serves_one_render_per_request)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	struct resp	  r;
	int		  fd, i;

	cr_assert_neq(fd = dial(http_port(srv)), -1);
	for (i = 1; i <= 5; i++) {
		send_all(fd, req, sizeof(req) - 1);
		cr_assert_eq(read_resp(fd, 0, &r), 0, "keep-alive request %d",
		    i);
		cr_assert_eq(r.status, 200);
		assert_hdr(&r, "Connection", NULL);
		cr_assert_eq(nrenders(), i);
		resp_free(&r);
	}
	/* Error answers without a body keep the connection too. */
	send_str(fd, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0, "after a 404");
	cr_assert_eq(r.status, 404);
	assert_hdr(&r, "Connection", NULL);
	resp_free(&r);
	send_str(fd, "DELETE /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0, "after a 405");
	cr_assert_eq(r.status, 405);
	resp_free(&r);
	send_str(fd, "GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0, "last");
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	close(fd);
	cr_assert_eq(dirty_bufs, 0);
}

SERVED_TEST(health_and_readiness)
{
	struct resp r;

	get(http_port(srv), "GET", "/-/healthy", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_PLAIN);
	cr_assert_str_eq(r.body, "OK\n");
	resp_free(&r);

	__atomic_store_n(&ready_flag, 0, __ATOMIC_SEQ_CST);
	get(http_port(srv), "GET", "/-/ready", NULL, &r);
	cr_assert_eq(r.status, 503);
	cr_assert_str_eq(r.body, "Not Ready\n");
	resp_free(&r);
	/* Healthy does not depend on ready. */
	get(http_port(srv), "GET", "/-/healthy", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);

	__atomic_store_n(&ready_flag, 1, __ATOMIC_SEQ_CST);
	get(http_port(srv), "GET", "/-/ready", NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "OK\n");
	resp_free(&r);

	get(http_port(srv), "HEAD", "/-/ready", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_clen(&r, 3);
	cr_assert_eq(r.bodylen, 0);
	resp_free(&r);
	cr_assert_eq(nrenders(), 0);
}

CHECKED_TEST(http_limits, ready_without_a_function_is_always_ready)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct http	*h = start(&o, NULL);
	struct resp	 r;

	get(http_port(h), "GET", "/-/ready", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	http_stop(h);
}

SERVED_TEST(landing_page_is_html_in_any_format)
{
	struct resp r;
	size_t	    n;
	char	   *want = expected(HTTP_PAGE_LANDING, EXPOSE_TEXT, &n);

	get(http_port(srv), "GET", "/",
	    "Accept: application/openmetrics-text\r\n", &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_HTML);
	assert_hdr(&r, "Vary", "Accept-Encoding");
	cr_assert_str_eq(r.body, want);
	cr_assert_eq(last_page, HTTP_PAGE_LANDING);
	cr_assert_eq(last_fmt, EXPOSE_TEXT);
	cr_assert_eq(nrenders(), 1);
	free(want);
	resp_free(&r);
}

SERVED_TEST(status_json_and_explain)
{
	struct resp r;

	get(http_port(srv), "GET", "/status.json", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", "application/json");
	cr_assert_eq(last_page, HTTP_PAGE_STATUS_JSON);
	resp_free(&r);
	/* The line's number reaches the renderer, its status the client. */
	get(http_port(srv), "GET", "/explain?line=7", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_HTML);
	cr_assert_str_eq(r.body, "line 7\n");
	cr_assert_eq(last_page, HTTP_PAGE_EXPLAIN);
	resp_free(&r);
	get(http_port(srv), "GET", "/explain?line=%3Cb%3E&x=1", NULL, &r);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.body, "line <b>\n");
	resp_free(&r);
	get(http_port(srv), "GET", "/explain", NULL, &r);
	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(r.body, "line (none)\n");
	resp_free(&r);
}

SERVED_TEST(every_answer_forbids_scripts)
{
	static const char *const paths[] = { "/", "/metrics", "/status.json",
		"/-/healthy", "/nosuch" };
	struct resp		 r;
	size_t			 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(http_port(srv), "GET", paths[i], NULL, &r);
		assert_hdr(&r, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "base-uri 'none'; form-action 'none'; "
		    "frame-ancestors 'none'");
		assert_hdr(&r, "X-Content-Type-Options", "nosniff");
		resp_free(&r);
	}
}

Test(http, reload_by_post)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .enable_reload = 1 };
	struct http	*h = start(&o, NULL);
	struct resp	 r;

	get(http_port(h), "POST", "/-/reload", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_PLAIN);
	cr_assert_str_eq(r.body, "reloaded\n");
	cr_assert_eq(last_page, HTTP_PAGE_RELOAD);
	resp_free(&r);
	get(http_port(h), "PUT", "/-/reload", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	get(http_port(h), "GET", "/-/reload", NULL, &r);
	cr_assert_eq(r.status, 405);
	assert_hdr(&r, "Allow", "POST, PUT");
	resp_free(&r);
	/* Other paths take no POST. */
	get(http_port(h), "POST", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 405);
	resp_free(&r);
	http_stop(h);

	o.enable_reload = 0;
	h = start(&o, NULL);
	get(http_port(h), "POST", "/-/reload", NULL, &r);
	cr_assert_eq(r.status, 404);
	resp_free(&r);
	http_stop(h);
}

Test(http, no_status_page)
{
	static const char *const paths[] = { "/", "/status.json",
		"/explain?line=7" };
	struct http_opts o = { .listen = "127.0.0.1:0", .no_status_page = 1 };
	struct http	*h = start(&o, NULL);
	struct resp	 r;
	size_t		 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(http_port(h), "GET", paths[i], NULL, &r);
		cr_assert_eq(r.status, 404, "%s", paths[i]);
		resp_free(&r);
	}
	get(http_port(h), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	http_stop(h);
}

/* ---- negotiation ---- */

SERVED_TEST(accept_header_picks_the_format)
{
	static const struct {
		const char	  *accept;
		enum expose_format want;
	} cases[] = {
		/* Prometheus 2.x */
		{ "application/openmetrics-text;version=1.0.0,application/"
		  "openmetrics-text;version=0.0.1;q=0.75,text/plain;"
		  "version=0.0.4;q=0.5,*/*;q=0.1",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text; q=0", EXPOSE_TEXT },
		{ "application/openmetrics-text;q=0.000", EXPOSE_TEXT },
		{ "application/openmetrics-text;q=bogus", EXPOSE_TEXT },
		{ "application/openmetrics-text;q=1.5", EXPOSE_TEXT },
		{ "text/plain;q=0.9, application/openmetrics-text;q=0.5",
		    EXPOSE_TEXT },
		{ "text/plain;q=0.5, application/openmetrics-text;q=0.5",
		    EXPOSE_OPENMETRICS },
		{ "text/plain;q=0.9, text/plain;q=0.1, "
		  "application/openmetrics-text;q=0.5",
		    EXPOSE_TEXT },
		{ "text/plain;q=0.3, */*, application/openmetrics-text;q=0.5",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text;q=0.8, */*", EXPOSE_TEXT },
		{ "application/openmetrics-text;q=0.8, text/*;q=0.3, */*",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text;q=0.4, text/plain;q=0.3, */*",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text; charset=\"a;q=0,b\"; q=1, "
		  "text/plain;q=0.5",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text ; Q=0.9 , text/plain ; q=0.8",
		    EXPOSE_OPENMETRICS },
		{ "APPLICATION/OpenMetrics-Text", EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text", EXPOSE_OPENMETRICS },
		{ "application/openmetrics-text; version=0.0.1",
		    EXPOSE_OPENMETRICS },
		{ "application/openmetrics-textx", EXPOSE_TEXT },
		{ "application/openmetrics", EXPOSE_TEXT },
		{ ",,, ,application/openmetrics-text,,", EXPOSE_OPENMETRICS },
		/* Prometheus with native histograms, 2.42 and 3.x */
		{ "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "MetricFamily;encoding=delimited;q=0.8,application/"
		  "openmetrics-text;version=1.0.0;q=0.7,application/"
		  "openmetrics-text;version=0.0.1;q=0.6,text/plain;"
		  "version=0.0.4;q=0.5,*/*;q=0.1",
		    EXPOSE_PROTOBUF },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "MetricFamily;encoding=delimited;q=0.5,application/"
		  "openmetrics-text;version=1.0.0;q=0.4,application/"
		  "openmetrics-text;version=0.0.1;q=0.3,text/plain;"
		  "version=0.0.4;q=0.2,*/*;q=0.1",
		    EXPOSE_PROTOBUF },
		/* Prometheus 3 asking for text first */
		{ "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,"
		  "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "MetricFamily;encoding=delimited;q=0.4",
		    EXPOSE_TEXT },
		{ "application/vnd.google.protobuf ; proto=\"io.prometheus."
		  "client.MetricFamily\" ; Encoding=DELIMITED",
		    EXPOSE_PROTOBUF },
		{ "application/vnd.google.protobuf;"
		  "proto=io.prometheus.client.MetricFamily;encoding=text",
		    EXPOSE_TEXT },
		{ "application/vnd.google.protobuf;encoding=delimited",
		    EXPOSE_TEXT },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "Metric;encoding=delimited",
		    EXPOSE_TEXT },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "MetricFamily;encoding=delimited;q=0",
		    EXPOSE_TEXT },
		{ "application/openmetrics-text;q=0.5,application/vnd.google."
		  "protobuf;proto=io.prometheus.client.MetricFamily;encoding="
		  "delimited;q=0.5",
		    EXPOSE_PROTOBUF },
		{ "application/openmetrics-text;q=0.6,application/vnd.google."
		  "protobuf;proto=io.prometheus.client.MetricFamily;encoding="
		  "delimited;q=0.5",
		    EXPOSE_OPENMETRICS },
		{ "*/*", EXPOSE_TEXT },
		{ "text/plain", EXPOSE_TEXT },
		{ "application/json", EXPOSE_TEXT },
		{ "", EXPOSE_TEXT },
		{ NULL, EXPOSE_TEXT },
	};
	struct resp r;
	char	    extra[512], *want;
	size_t	    i, n;

	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].accept != NULL)
			snprintf(extra, sizeof(extra), "Accept: %s\r\n",
			    cases[i].accept);
		else
			extra[0] = '\0';
		get(http_port(srv), "GET", "/metrics", extra, &r);
		cr_assert_eq(r.status, 200);
		want = expected(HTTP_PAGE_METRICS, cases[i].want, &n);
		assert_hdr(&r, "Content-Type",
		    cases[i].want == EXPOSE_OPENMETRICS	 ? CT_OM :
			cases[i].want == EXPOSE_PROTOBUF ? CT_PB :
							   CT_TEXT);
		cr_assert_str_eq(r.body, want, "Accept: %s", cases[i].accept);
		cr_assert_eq(last_fmt, (int)cases[i].want, "Accept: %s",
		    cases[i].accept);
		free(want);
		resp_free(&r);
	}
	cr_assert_eq(nrenders(), (int)NELEM(cases));
}

SERVED_TEST(accept_encoding_gzip)
{
	static const struct {
		const char *ae;
		int	    gzip;
	} cases[] = {
		{ "gzip;q=0", 0 },
		{ "gzip; q=0.000", 0 },
		{ "gzip;q=0, *", 0 },
		{ "*;q=0", 0 },
		{ "identity", 0 },
		{ "br, deflate", 0 },
		{ "gzipx", 0 },
		{ "", 0 },
		{ "gzip", 1 },
		{ "GZip", 1 },
		{ "x-gzip", 1 },
		{ "deflate, gzip;q=0.5", 1 },
		{ "br;q=1.0, gzip;q=0.8, *;q=0.1", 1 },
		{ "*", 1 },
		{ "identity;q=0, *;q=0.2", 1 },
	};
	struct resp r;
	char	    extra[256], *want, *got;
	size_t	    i, n, gn;

	want = expected(HTTP_PAGE_METRICS, EXPOSE_TEXT, &n);
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(extra, sizeof(extra), "Accept-Encoding: %s\r\n",
		    cases[i].ae);
		get(http_port(srv), "GET", "/metrics", extra, &r);
		cr_assert_eq(r.status, 200);
		assert_hdr(&r, "Vary", "Accept, Accept-Encoding");
		assert_hdr(&r, "Content-Type", CT_TEXT);
		assert_clen(&r, r.bodylen);
		if (!cases[i].gzip) {
			assert_hdr(&r, "Content-Encoding", NULL);
			cr_assert_str_eq(r.body, want, "%s", cases[i].ae);
			resp_free(&r);
			continue;
		}
		assert_hdr(&r, "Content-Encoding", "gzip");
		cr_assert_lt(r.bodylen, n, "%s: not compressed", cases[i].ae);
		got = gunzip(r.body, r.bodylen, &gn);
		cr_assert_eq(gn, n);
		cr_assert_str_eq(got, want, "%s", cases[i].ae);
		free(got);
		resp_free(&r);
	}
	free(want);
}

SERVED_TEST(gzip_openmetrics_and_landing)
{
	struct resp r;
	char	   *want, *got;
	size_t	    n, gn;

	get(http_port(srv), "GET", "/metrics",
	    "Accept: application/"
	    "openmetrics-text\r\nAccept-Encoding: gzip\r\n",
	    &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Type", CT_OM);
	assert_hdr(&r, "Content-Encoding", "gzip");
	want = expected(HTTP_PAGE_METRICS, EXPOSE_OPENMETRICS, &n);
	got = gunzip(r.body, r.bodylen, &gn);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	resp_free(&r);

	get(http_port(srv), "GET", "/", "Accept-Encoding: gzip\r\n", &r);
	assert_hdr(&r, "Content-Type", CT_HTML);
	assert_hdr(&r, "Content-Encoding", "gzip");
	want = expected(HTTP_PAGE_LANDING, EXPOSE_TEXT, &n);
	got = gunzip(r.body, r.bodylen, &gn);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
	resp_free(&r);

	/* Short answers are never compressed. */
	get(http_port(srv), "GET", "/-/healthy", "Accept-Encoding: gzip\r\n",
	    &r);
	assert_hdr(&r, "Content-Encoding", NULL);
	cr_assert_str_eq(r.body, "OK\n");
	resp_free(&r);
}

SERVED_TEST(empty_page_plain_and_gzipped)
{
	struct resp r;
	char	   *got;
	size_t	    gn;

	__atomic_store_n(&empty_pages, 1, __ATOMIC_SEQ_CST);
	get(http_port(srv), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_clen(&r, 0);
	cr_assert_eq(r.bodylen, 0);
	resp_free(&r);

	get(http_port(srv), "GET", "/metrics", "Accept-Encoding: gzip\r\n", &r);
	cr_assert_eq(r.status, 200);
	assert_hdr(&r, "Content-Encoding", "gzip");
	got = gunzip(r.body, r.bodylen, &gn);
	cr_assert_eq(gn, 0);
	free(got);
	resp_free(&r);

	get(http_port(srv), "HEAD", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	assert_clen(&r, 0);
	resp_free(&r);
}

/* ---- HEAD ---- */

SERVED_TEST(head_has_the_get_length_and_no_body)
{
	static const char *const extras[] = {
		"",
		"Accept: application/openmetrics-text\r\n",
		"Accept-Encoding: gzip\r\n",
		"Accept: application/openmetrics-text\r\n"
		"Accept-Encoding: gzip\r\n",
	};
	struct resp g, h;
	char	    ct[128];
	size_t	    i;
	int	    fd;

	for (i = 0; i < NELEM(extras); i++) {
		get(http_port(srv), "GET", "/metrics", extras[i], &g);
		get(http_port(srv), "HEAD", "/metrics", extras[i], &h);
		cr_assert_eq(h.status, 200);
		assert_clen(&h, g.bodylen);
		cr_assert_eq(h.bodylen, 0, "case %zu: HEAD with a body", i);
		assert_hdr(&h, "Content-Type",
		    get_hdr(&g, "Content-Type", ct, sizeof(ct)));
		resp_free(&g);
		resp_free(&h);
	}
	cr_assert_eq(nrenders(), 2 * (int)NELEM(extras));

	/* Nothing follows the header block: the server closes at once. */
	cr_assert_neq(fd = dial(http_port(srv)), -1);
	send_str(fd, "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_assert_eq(read_resp(fd, 1, &h), 0);
	cr_assert(closed_by_peer(fd));
	close(fd);
	resp_free(&h);
}

/* ---- options and limits ---- */

CHECKED_TEST(http_limits, custom_metrics_path)
{
	struct http_opts o = { .listen = "127.0.0.1:0",
		.metrics_path = "/prom/stats" };
	struct http	*h = start(&o, NULL);
	struct resp	 r;

	get(http_port(h), "GET", "/prom/stats", NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(last_page, HTTP_PAGE_METRICS);
	resp_free(&r);
	get(http_port(h), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 404);
	resp_free(&r);
	get(http_port(h), "GET", "/", NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(last_page, HTTP_PAGE_LANDING);
	resp_free(&r);
	http_stop(h);
}

CHECKED_TEST(http_limits, huge_header_is_refused_and_logged)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .max_header = 4096 };
	struct http	*h;
	struct resp	 r;
	struct buf	 req;
	char		 path[] = "/tmp/test_http.XXXXXX", logged[4096];
	size_t		 n;
	int		 fd, saved, rc;

	/* The server's own log goes to stderr: catch it in a file. */
	cr_assert_neq(fd = mkstemp(path), -1);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);

	h = start(&o, NULL);
	/* Just under the limit passes. */
	buf_init(&req);
	buf_puts(&req, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: ");
	for (n = 0; n < 4096 - 100; n++)
		buf_putc(&req, 'a');
	buf_puts(&req, "\r\nConnection: close\r\n\r\n");
	cr_assert_eq(roundtrip(http_port(h), req.p, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	resp_free(&r);

	/* Twice the limit is refused: 431, or at least a closed door. */
	buf_reset(&req);
	buf_puts(&req, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: ");
	for (n = 0; n < 2 * 4096; n++)
		buf_putc(&req, 'a');
	buf_puts(&req, "\r\nConnection: close\r\n\r\n");
	rc = roundtrip(http_port(h), req.p, 0, &r);
	cr_assert(rc == -1 || r.status == 431, "status %d", r.status);
	resp_free(&r);

	/* So is 64 KiB in many lines. */
	buf_reset(&req);
	buf_puts(&req, "GET /metrics HTTP/1.1\r\nHost: t\r\n");
	for (n = 0; n < 1024; n++)
		buf_printf(&req, "X-H%zu: %060zu\r\n", n, n);
	buf_puts(&req, "Connection: close\r\n\r\n");
	rc = roundtrip(http_port(h), req.p, 0, &r);
	cr_assert(rc == -1 || r.status == 431, "status %d", r.status);
	resp_free(&r);
	buf_free(&req);
	cr_assert_eq(nrenders(), 1);
	http_stop(h);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, logged, sizeof(logged) - 1, 0);
	close(fd);
	logged[n] = '\0';
	cr_assert_not_null(strstr(logged, "logmetrics: warn: http: "),
	    "libmicrohttpd's message not in the log: \"%s\"", logged);
}

CHECKED_TEST(http_limits, idle_below_the_limit_leave_room)
{
	struct http_opts o = { .listen = "127.0.0.1:0",
		.max_conns = 8,
		.timeout_s = 60 };
	struct http	*h = start(&o, NULL);
	struct resp	 r;
	int		 idle[7], i;

	for (i = 0; i < 7; i++) {
		cr_assert_neq(idle[i] = dial(http_port(h)), -1);
		if (i == 3) /* one half-sent request among them */
			send_str(idle[i], "GET /metrics HTTP/1.1\r\n");
	}
	usleep(200 * 1000);
	get(http_port(h), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	cr_assert_eq(nrenders(), 1);
	/* Stopping with idle connections open closes them. */
	http_stop(h);
	for (i = 0; i < 7; i++) {
		cr_assert(closed_by_peer(idle[i]), "idle %d still open", i);
		close(idle[i]);
	}
}

CHECKED_TEST(http_limits, idle_at_the_limit_time_out)
{
	struct http_opts o = { .listen = "127.0.0.1:0",
		.max_conns = 3,
		.timeout_s = 1 };
	struct http	*h = start(&o, NULL);
	struct resp	 r;
	int		 idle[3], i;

	for (i = 0; i < 3; i++)
		cr_assert_neq(idle[i] = dial(http_port(h)), -1);
	usleep(200 * 1000);
	/* Served once the idle ones are timed out (within 5 s). */
	get(http_port(h), "GET", "/metrics", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	for (i = 0; i < 3; i++) {
		cr_assert(closed_by_peer(idle[i]), "idle %d not closed", i);
		close(idle[i]);
	}
	http_stop(h);
}

CHECKED_TEST(http_limits, per_address_limit)
{
	struct http_opts o = { .listen = "127.0.0.1:0",
		.max_conns = 16,
		.per_ip_conns = 2,
		.timeout_s = 60 };
	struct http	*h = start(&o, NULL);
	struct resp	 r;
	int		 idle[2], fd, i;

	for (i = 0; i < 2; i++)
		cr_assert_neq(idle[i] = dial(http_port(h)), -1);
	usleep(200 * 1000);
	/* A third from the same address is shut out... */
	cr_assert_neq(fd = dial(http_port(h)), -1);
	send_str(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), -1, "served over the limit");
	close(fd);
	/* ...while another address is served. */
	cr_assert_neq(fd = dial_from(AF_INET, "127.0.0.2", http_port(h)), -1,
	    "connect from 127.0.0.2: %s", strerror(errno));
	send_str(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	close(fd);
	/* And once one of the first leaves, the first address is back. */
	close(idle[0]);
	usleep(200 * 1000);
	get(http_port(h), "GET", "/-/healthy", NULL, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	close(idle[1]);
	http_stop(h);
}

/* ---- listen addresses ---- */

static int
have_ipv6(void)
{
	struct sockaddr_in6 sin6;
	int		    fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

static void
assert_serves(int family, int port)
{
	struct resp r;
	int	    fd;

	cr_assert_neq(fd = dial_from(family, NULL, port), -1,
	    "connect (family %d): %s", family, strerror(errno));
	send_str(fd, "GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	close(fd);
}

CHECKED_TEST(http_listen, ipv6_loopback)
{
	struct http_opts o = { .listen = "[::1]:0" };
	struct http	*h;
	char		 err[256];

	if (!have_ipv6()) {
		/* Then the failure must be a precise one. */
		cr_assert_null(http_start(&o, fake_render, NULL, &renders, err,
		    sizeof(err)));
		cr_assert_eq(strncmp(err, "listen address \"[::1]:0\": ", 26),
		    0, "%s", err);
		return;
	}
	h = start(&o, NULL);
	assert_serves(AF_INET6, http_port(h));
	cr_assert_eq(dial(http_port(h)), -1, "IPv4 served on [::1]");
	http_stop(h);
}

CHECKED_TEST(http_listen, empty_host_is_every_address)
{
	struct http_opts o = { .listen = ":0" };
	struct http	*h = start(&o, NULL);

	assert_serves(AF_INET, http_port(h));
	if (have_ipv6())
		assert_serves(AF_INET6, http_port(h));
	http_stop(h);
}

CHECKED_TEST(http_listen, host_names_are_resolved)
{
	struct http_opts o = { .listen = "localhost:0" };
	struct http	*h = start(&o, NULL);
	int		 fd;

	/* localhost is 127.0.0.1 or ::1, whichever bound first. */
	if ((fd = dial(http_port(h))) != -1) {
		close(fd);
		assert_serves(AF_INET, http_port(h));
	} else
		assert_serves(AF_INET6, http_port(h));
	http_stop(h);
}

CHECKED_TEST(http_listen, bad_addresses_give_precise_errors)
{
	static const struct {
		const char *listen;
		const char *err;
	} cases[] = {
		{ "", "listen address \"\": missing \":PORT\"" },
		{ "127.0.0.1",
		    "listen address \"127.0.0.1\": missing "
		    "\":PORT\"" },
		{ "127.0.0.1:",
		    "listen address \"127.0.0.1:\": invalid port "
		    "\"\"" },
		{ "127.0.0.1:65536",
		    "listen address \"127.0.0.1:65536\": "
		    "invalid port \"65536\"" },
		{ "127.0.0.1:000080",
		    "listen address \"127.0.0.1:000080\": "
		    "invalid port \"000080\"" },
		{ "127.0.0.1:-1",
		    "listen address \"127.0.0.1:-1\": invalid "
		    "port \"-1\"" },
		{ "127.0.0.1:http",
		    "listen address \"127.0.0.1:http\": "
		    "invalid port \"http\"" },
		{ "127.0.0.1: 80",
		    "listen address \"127.0.0.1: 80\": "
		    "invalid port \" 80\"" },
		{ "::1:80",
		    "listen address \"::1:80\": IPv6 addresses go in "
		    "brackets, as in \"[::1]:9100\"" },
		{ "[::1:80", "listen address \"[::1:80\": missing \"]\"" },
		{ "[::1]80",
		    "listen address \"[::1]80\": expected \":PORT\" "
		    "after \"]\"" },
		{ "[::1]",
		    "listen address \"[::1]\": expected \":PORT\" "
		    "after \"]\"" },
		{ "[::1]:", "listen address \"[::1]:\": invalid port \"\"" },
		{ "[]:80",
		    "listen address \"[]:80\": \"\" is not an IPv6 "
		    "address" },
		{ "[127.0.0.1]:80",
		    "listen address \"[127.0.0.1]:80\": "
		    "\"127.0.0.1\" is not an IPv6 address" },
		{ "[fe80::zz]:80",
		    "listen address \"[fe80::zz]:80\": "
		    "\"fe80::zz\" is not an IPv6 address" },
		{ "192.0.2.1:9100",
		    "listen address \"192.0.2.1:9100\": bind: "
		    "Cannot assign requested address" },
	};
	struct http_opts o = { 0 };
	struct http	*h;
	char		 err[256];
	size_t		 i;
	int		 fds = tu_count_fds();

	for (i = 0; i < NELEM(cases); i++) {
		o.listen = cases[i].listen;
		strcpy(err, "untouched");
		h = http_start(&o, fake_render, NULL, &renders, err,
		    sizeof(err));
		cr_assert_null(h, "\"%s\" accepted", cases[i].listen);
		cr_assert_str_eq(err, cases[i].err);
	}
	cr_assert_eq(tu_count_fds(), fds, "descriptor leaked");
}

CHECKED_TEST(http_listen, unresolvable_host)
{
	static const char want[] =
	    "listen address \"nosuch.invalid:80\": cannot resolve "
	    "\"nosuch.invalid\": ";
	struct http_opts o = { .listen = "nosuch.invalid:80" };
	char		 err[256];

	cr_assert_null(
	    http_start(&o, fake_render, NULL, &renders, err, sizeof(err)));
	cr_assert_eq(strncmp(err, want, sizeof(want) - 1), 0, "%s", err);
	cr_assert_gt(strlen(err), sizeof(want) - 1);
}

CHECKED_TEST(http_listen, port_in_use_and_bad_path)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct http	*h = start(&o, NULL);
	char		 addr[64], want[256], err[256];

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", http_port(h));
	snprintf(want, sizeof(want),
	    "listen address \"%s\": bind: Address "
	    "already in use",
	    addr);
	o.listen = addr;
	cr_assert_null(
	    http_start(&o, fake_render, NULL, &renders, err, sizeof(err)));
	cr_assert_str_eq(err, want);
	http_stop(h);

	o.listen = "127.0.0.1:0";
	o.metrics_path = "metrics";
	cr_assert_null(
	    http_start(&o, fake_render, NULL, &renders, err, sizeof(err)));
	cr_assert_str_eq(err,
	    "metrics path \"metrics\": must start with "
	    "\"/\"");
}

CHECKED_TEST(http_listen, start_and_stop_release_everything)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct http	*h;
	int		 fds, port, i, fd;

	/* Criterion's own descriptors settle after the first server. */
	h = start(&o, NULL);
	http_stop(h);
	fds = tu_count_fds();
	for (i = 0; i < 20; i++) {
		h = start(&o, NULL);
		port = http_port(h);
		assert_serves(AF_INET, port);
		http_stop(h);
		/* Nothing listens on the port any more. */
		cr_assert_eq(fd = dial(port), -1, "port %d still open", port);
	}
	cr_assert_eq(tu_count_fds(), fds, "descriptor leaked");
	http_stop(NULL);
}

/* ---- basic authentication and TLS ---- */

#define USER_HASH "$2y$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/VxfING"
#define USER_PASS "s3cret"

static const char *webdir;

static void
web_file(const char *name, const char *text)
{
	char path[256];

	tu_write_str(tu_path(path, sizeof(path), webdir, name), text);
}

static void
web_setup(void)
{
	webdir = tu_tmpdir("test_http");
	web_file("c.pem", tu_tls_cert);
	web_file("k.pem", tu_tls_key);
	web_file("other.pem", tu_other_key);
	web_file("users.yml",
	    "basic_auth_users:\n  alice: " USER_HASH "\n"
	    "  bob: $2y$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/"
	    "VxfING\n");
	web_file("tls.yml",
	    "tls_server_config:\n  cert_file: c.pem\n"
	    "  key_file: k.pem\n");
	web_file("mismatch.yml",
	    "tls_server_config:\n  cert_file: c.pem\n"
	    "  key_file: other.pem\n");
}

TestSuite(http_auth, .init = web_setup, .fini = tu_cleanup, .timeout = 30);

static struct webconfig *
web_load(const char *name)
{
	struct webconfig *wc;
	char		  path[256], err[1024];

	snprintf(path, sizeof(path), "%s/%s", webdir, name);
	wc = webconfig_load(path, err, sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	return wc;
}

/*
 * A server with the web configuration name, bcrypt checks allowed rate
 * times a second (see webconfig_auth()); 0: not throttled, for the tests
 * of which credentials pass.
 */
static struct http *
start_web_as(const char *name, double rate)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };

	o.web = web_load(name);
	if (rate > 0)
		o.web->auth_rate = rate;
	else
		o.web->auth_rate = o.web->auth_burst = o.web->tokens = 1e9;
	return start(&o, NULL);
}

static struct http *
start_web(const char *name)
{
	return start_web_as(name, 0);
}

/* RFC 4648 base64 of s, for Authorization headers. */
static void
b64(const char *s, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t		     n = strlen(s), i;
	unsigned	     v;

	for (i = 0; i + 2 < n; i += 3) {
		v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = a[v & 63];
	}
	if (n - i == 1) {
		v = p[i] << 16;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		v = p[i] << 16 | p[i + 1] << 8;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

/* "Authorization: Basic ...\r\n" for user:pass. */
static void
auth_hdr(const char *userpass, char *out, size_t len)
{
	char enc[256];

	b64(userpass, enc);
	snprintf(out, len, "Authorization: Basic %s\r\n", enc);
}

static void
assert_401(const struct resp *r, int head, const char *what)
{
	cr_assert_eq(r->status, 401, "%s: status %d", what, r->status);
	assert_hdr(r, "WWW-Authenticate", "Basic realm=\"logmetrics\"");
	assert_hdr(r, "Content-Type", CT_PLAIN);
	if (!head)
		cr_assert_str_eq(r->body, "Unauthorized\n", "%s", what);
}

CHECKED_TEST(http_auth, every_request_without_credentials_gets_401)
{
	static const char *const paths[] = {
		"/metrics",
		"/",
		"/-/healthy",
		"/-/ready",
		"/nosuch",
		"/metrics?x=1",
	};
	static const char *const methods[] = { "GET", "HEAD", "POST",
		"DELETE" };
	struct http		*h = start_web("users.yml");
	struct resp		 r;
	char			 what[64];
	size_t			 i, j;
	int			 fd;

	for (i = 0; i < NELEM(paths); i++)
		for (j = 0; j < NELEM(methods); j++) {
			snprintf(what, sizeof(what), "%s %s", methods[j],
			    paths[i]);
			get(http_port(h), methods[j], paths[i], NULL, &r);
			assert_401(&r, strcmp(methods[j], "HEAD") == 0, what);
			resp_free(&r);
		}

	/* A body is not read before the credentials are checked. */
	cr_assert_neq(fd = dial(http_port(h)), -1);
	send_str(fd,
	    "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: "
	    "1000000\r\n\r\nxxxx");
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	assert_401(&r, 0, "POST with a body");
	assert_hdr(&r, "Connection", "close");
	cr_assert(closed_by_peer(fd));
	close(fd);
	resp_free(&r);
	cr_assert_eq(nrenders(), 0);
	http_stop(h);
}

CHECKED_TEST(http_auth, only_the_right_credentials_pass)
{
	static const struct {
		const char *hdr; /* NULL: built from userpass */
		const char *userpass;
		int	    status;
	} cases[] = {
		{ "Authorization: Basic\r\n", NULL, 401 },
		{ "Authorization: Basic \r\n", NULL, 401 },
		{ "Authorization: Basic !!!!\r\n", NULL, 401 },
		{ "Authorization: Basic YWxpY2U6czNjcmV0\r\n"
		  "Authorization: Basic YWxpY2U6czNjcmV0\r\n",
		    NULL, 200 },
		{ "Authorization: Bearer YWxpY2U6czNjcmV0\r\n", NULL, 401 },
		{ "Authorization: Digest username=\"alice\"\r\n", NULL, 401 },
		{ "X-Authorization: Basic YWxpY2U6czNjcmV0\r\n", NULL, 401 },
		{ NULL, "alice", 401 },
		{ NULL, "alice:", 401 },
		{ NULL, ":s3cret", 401 },
		{ NULL, "alice:s3cret:", 401 },
		{ NULL, "alice:s3cre", 401 },
		{ NULL, "alice:S3CRET", 401 },
		{ NULL, "alice :s3cret", 401 },
		{ NULL, "mallory:s3cret", 401 },
		{ NULL, "ALICE:s3cret", 401 },
		{ NULL, "alice:s3cret", 200 },
		{ NULL, "bob:s3cret", 200 },
		{ NULL, "alice:s3cret", 200 },
	};
	struct http *h = start_web("users.yml");
	struct resp  r;
	char	     hdr[512];
	size_t	     i;
	int	     ok = 0;

	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].hdr != NULL)
			snprintf(hdr, sizeof(hdr), "%s", cases[i].hdr);
		else
			auth_hdr(cases[i].userpass, hdr, sizeof(hdr));
		get(http_port(h), "GET", "/metrics", hdr, &r);
		cr_assert_eq(r.status, cases[i].status, "case %zu: %s", i, hdr);
		if (r.status == 401)
			assert_401(&r, 0, hdr);
		else {
			assert_hdr(&r, "Content-Type", CT_TEXT);
			ok++;
		}
		resp_free(&r);
	}
	cr_assert_eq(nrenders(), ok);
	http_stop(h);
}

/*
 * A flood of wrong passwords is checked with bcrypt for the first burst,
 * then refused unchecked: a client whose password was accepted before
 * keeps its 200s, a password never seen waits for checks to resume.
 */
CHECKED_TEST(http_auth, wrong_password_flood_is_throttled)
{
	/* One check a second: the flood takes well under that. */
	struct http *h = start_web_as("users.yml", 1);
	struct resp  r;
	char	     hdr[512], userpass[64];
	int	     i;

	auth_hdr("alice:" USER_PASS, hdr, sizeof(hdr));
	get(http_port(h), "GET", "/metrics", hdr, &r);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	for (i = 0; i < 3 * WEBCONFIG_AUTH_BURST; i++) {
		snprintf(userpass, sizeof(userpass), "alice:guess%d", i);
		auth_hdr(userpass, hdr, sizeof(hdr));
		get(http_port(h), "GET", "/metrics", hdr, &r);
		cr_assert_eq(r.status, 401);
		assert_401(&r, 0, hdr);
		resp_free(&r);
	}
	auth_hdr("alice:" USER_PASS, hdr, sizeof(hdr));
	get(http_port(h), "GET", "/metrics", hdr, &r);
	cr_assert_eq(r.status, 200, "a known password is throttled too");
	resp_free(&r);
	auth_hdr("bob:" USER_PASS, hdr, sizeof(hdr));
	get(http_port(h), "GET", "/metrics", hdr, &r);
	cr_assert_eq(r.status, 401, "checks were not throttled");
	resp_free(&r);
	usleep(1100 * 1000);
	get(http_port(h), "GET", "/metrics", hdr, &r);
	cr_assert_eq(r.status, 200, "checks did not resume");
	resp_free(&r);
	cr_assert_eq(nrenders(), 3);
	http_stop(h);
}

CHECKED_TEST(http_auth, a_401_keeps_the_connection_and_limits_still_apply)
{
	struct http *h = start_web("users.yml");
	struct resp  r;
	char	     hdr[512], req[1024];
	int	     fd;

	auth_hdr("alice:" USER_PASS, hdr, sizeof(hdr));
	cr_assert_neq(fd = dial(http_port(h)), -1);
	send_str(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	assert_401(&r, 0, "first");
	assert_hdr(&r, "Connection", NULL);
	resp_free(&r);
	snprintf(req, sizeof(req),
	    "GET /metrics HTTP/1.1\r\nHost: t\r\n%s"
	    "\r\n",
	    hdr);
	send_str(fd, req);
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	/* Authenticated, the usual refusals follow. */
	snprintf(req, sizeof(req),
	    "GET /metrics HTTP/1.1\r\nHost: t\r\n%s"
	    "Content-Length: 5\r\n\r\nhello",
	    hdr);
	send_str(fd, req);
	cr_assert_eq(read_resp(fd, 0, &r), 0);
	cr_assert_eq(r.status, 413);
	resp_free(&r);
	cr_assert(closed_by_peer(fd));
	close(fd);
	get(http_port(h), "GET", "/nosuch", hdr, &r);
	cr_assert_eq(r.status, 404);
	resp_free(&r);
	cr_assert_eq(nrenders(), 1);
	http_stop(h);
}

CHECKED_TEST(http_auth, tls_port_does_not_speak_plain_http)
{
	struct http *h = start_web("tls.yml");
	struct resp  r;
	int	     fd;

	cr_assert_neq(fd = dial(http_port(h)), -1);
	send_str(fd, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
	cr_assert_eq(read_resp(fd, 0, &r), -1, "plain HTTP answered: %d",
	    r.status);
	close(fd);
	cr_assert_eq(nrenders(), 0);
	http_stop(h);
}

CHECKED_TEST(http_auth, key_not_matching_the_certificate)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	char		 err[1024], want[1024];
	int		 fds, saved, devnull;

	/* libmicrohttpd's own message goes to the log: keep it quiet. */
	fds = tu_count_fds();
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDERR_FILENO);
	o.web = web_load("mismatch.yml");
	cr_assert_null(
	    http_start(&o, fake_render, NULL, &renders, err, sizeof(err)));
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	snprintf(want, sizeof(want),
	    "%s/mismatch.yml: key_file \"%s/other.pem\" is not the key of "
	    "cert_file \"%s/c.pem\"",
	    webdir, webdir, webdir);
	cr_assert_str_eq(err, want);
	cr_assert_eq(tu_count_fds(), fds, "descriptor leaked");

	/* A bad metrics path frees the configuration too. */
	o.web = web_load("users.yml");
	o.metrics_path = "nope";
	cr_assert_null(
	    http_start(&o, fake_render, NULL, &renders, err, sizeof(err)));
}

/* The defaults logmetrics(1) states, set in one place. */
Test(http, option_defaults)
{
	struct http_opts o;

	memset(&o, 0xff, sizeof(o));
	http_opts_init(&o);
	cr_expect_str_eq(o.listen, ":5000");
	cr_expect_str_eq(o.metrics_path, "/metrics");
	cr_expect_eq(o.max_conns, 256);
	cr_expect_eq(o.per_ip_conns, 8);
	cr_expect_eq(o.timeout_s, 10);
	cr_expect_eq(o.max_header, 8192);
	cr_expect_null(o.web);
}
