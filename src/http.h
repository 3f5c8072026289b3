/*
 * http.h: the exporter's HTTP server (libmicrohttpd): /metrics, a landing
 * page, /-/healthy and /-/ready.
 */
#ifndef LOGMETRICS_HTTP_H
#define LOGMETRICS_HTTP_H

#include <stddef.h>

#include "expose.h"
#include "util.h"
#include "webconfig.h"

#define HTTP_DEFAULT_LISTEN	":5000"
#define HTTP_DEFAULT_PATH	"/metrics"
#define HTTP_DEFAULT_MAX_CONNS	256
#define HTTP_DEFAULT_PER_IP	8
#define HTTP_DEFAULT_TIMEOUT	10
#define HTTP_DEFAULT_MAX_HEADER 8192

enum http_page {
	HTTP_PAGE_METRICS,
	HTTP_PAGE_LANDING,     /* the status page, HTML */
	HTTP_PAGE_STATUS_JSON, /* the same facts, JSON */
	HTTP_PAGE_EXPLAIN,     /* a kept line explained, HTML */
	HTTP_PAGE_RELOAD,      /* POST /-/reload: the rules, text */
};

/* Zero or NULL fields take the defaults above; per_ip_conns 0 = no limit. */
struct http_opts {
	const char *listen;	    /* "[ADDR]:PORT", e.g. "[::1]:9100" */
	const char *metrics_path;   /* "/metrics" */
	unsigned    max_conns;	    /* open connections at once */
	unsigned    per_ip_conns;   /* open connections from one address;
				       0: no limit */
	unsigned    timeout_s;	    /* idle connections closed after this */
	size_t	    max_header;	    /* bytes of request line and headers */
	int	    no_status_page; /* serve no /, /status.json, /explain */
	int	    enable_reload;  /* POST /-/reload reloads the rules */
	struct webconfig *web;	    /* TLS and users; NULL: neither */
};

/*
 * Appends the page to out (empty, owned by the server) and returns its
 * HTTP status. Called from the server's thread, once per request; for the
 * status pages the format is EXPOSE_TEXT and the page is HTML or JSON.
 * param is the request's "line" argument for HTTP_PAGE_EXPLAIN (maybe
 * NULL), else NULL. Takes and releases any lock it needs.
 */
typedef unsigned http_render_fn(void *arg, enum http_page, enum expose_format,
    const char *param, struct buf *out);
/* Returns nonzero when the daemon is ready to serve (for /-/ready). */
typedef int http_ready_fn(void *arg);

/* Every option at its default (no TLS, no users). */
void http_opts_init(struct http_opts *);

/*
 * Checks the form of a listen address, "[HOST]:PORT", without resolving
 * it. Returns 0, or -1 with a message in err.
 */
int http_listen_check(const char *addr, char *err, size_t errlen);

struct http;

/*
 * Binds opts->listen and starts serving on a thread of its own; ready may
 * be NULL (always ready). With opts->web, serves HTTPS when it has a
 * certificate and answers 401 to every request without the name and
 * password of one of its users when it has users; the server takes
 * opts->web over (freed by http_stop, or here on failure). Returns the
 * server, or NULL with a message naming the address or the file in err.
 */
struct http *http_start(const struct http_opts *, http_render_fn *,
    http_ready_fn *, void *arg, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int http_port(const struct http *);

/*
 * Replaces the web configuration in use, taking web's reference: its
 * users and headers from the next request, its certificate from the next
 * handshake; no connection is closed. Returns 0, or -1 with err filled
 * (web freed, the old one kept) when its certificate or key cannot be
 * used, or when it turns TLS on or off, which takes a restart.
 */
int http_set_web(struct http *, struct webconfig *web, char *err,
    size_t errlen);
/* Stops serving, waits for the server's thread, closes every socket. */
void http_stop(struct http *);

#endif
