/*
 * http.c: the HTTP side of the exporter, on libmicrohttpd.
 *
 * The listening socket is opened here (so the address is parsed and its
 * errors reported in our words) and handed to libmicrohttpd, which serves
 * it from one internal polling thread (renders are short). No request
 * carries a body we want: one that announces a body is refused before the
 * body is read. Pages are rendered into a fresh buffer by the caller's
 * function, gzipped when the client asks, and the buffer is handed over to
 * libmicrohttpd, which frees it once sent. No lock is taken here: the
 * caller's render function takes and releases its own.
 *
 * With a web configuration, TLS is libmicrohttpd's (GnuTLS) and basic
 * authentication guards every path, as the Prometheus exporter toolkit
 * does: a request without a valid user and password gets 401 before
 * anything else is looked at, its body included.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ZLIB_CONST
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <zlib.h>

#include "expose.h"
#include "http.h"
#include "log.h"
#include "protobuf.h"
#include "util.h"
#include "webconfig.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

/*
 * Room in a connection's memory pool beyond the request header itself:
 * libmicrohttpd keeps a record per request header line and the response
 * header there. So the header limit is approximate: a little more than
 * max_header passes when the request has few header lines.
 */
#define POOL_SLACK 2048

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_HTML	       "text/html; charset=utf-8"
#define CT_JSON	       "application/json"
#define CT_PLAIN       "text/plain; charset=utf-8"
#define AUTH_CHALLENGE "Basic realm=\"logmetrics\""
/* TLS 1.2 and 1.3 only, the exporter toolkit's default minimum. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct http {
	struct MHD_Daemon *daemon;
	int		   fd;
	int		   port;
	char		  *metrics_path;
	int		   no_status_page; /* / answers 404 */
	int		   enable_reload;  /* POST /-/reload */
	http_render_fn	  *render;
	http_ready_fn	  *ready;
	void		  *arg;
	struct webconfig  *web;	    /* NULL: plain HTTP, no users */
	pthread_mutex_t	   weblock; /* guards web, which a reload swaps */
};

enum route {
	ROUTE_NONE,
	ROUTE_METRICS,
	ROUTE_LANDING,
	ROUTE_STATUS_JSON,
	ROUTE_EXPLAIN,
	ROUTE_HEALTHY,
	ROUTE_READY,
	ROUTE_RELOAD,
};

struct hdr {
	const char *name;
	const char *value;
};

/*
 * One element of an Accept-style list: its name, q-value (0..1000) and
 * its first other parameters (quoted values without their quotes).
 */
#define ELEM_PARAMS 4

struct elem {
	struct str name;
	int	   q;
	struct str pname[ELEM_PARAMS];
	struct str pval[ELEM_PARAMS];
	size_t	   np;
};

/*
 * Opens, binds and listens on one address. Returns the socket, or -1 with
 * errno set and *what naming the call that failed.
 */
static int
bind_one(int family, const struct sockaddr *sa, socklen_t salen, int dual,
    const char **what)
{
	int fd, on = 1, off = 0, saved;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		*what = "socket";
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
		*what = "setsockopt SO_REUSEADDR";
		goto fail;
	}
	/* Dual stack where the system allows it; IPv6 alone otherwise. */
	if (family == AF_INET6 && dual)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off));
	if (bind(fd, sa, salen) == -1) {
		*what = "bind";
		goto fail;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		*what = "listen";
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Splits "HOST:PORT" or "[HOST]:PORT" into host (brackets removed, maybe
 * empty) and port (1 to 5 digits, at most 65535). Returns 0, or -1 with a
 * message in err.
 */
static int
split_listen(const char *addr, char *host, size_t hostlen, int *port,
    int *bracketed, char *err, size_t errlen)
{
	const char *orig = addr, *colon, *end, *p;
	size_t	    n;
	long	    v;

	*bracketed = 0;
	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL) {
			snprintf(err, errlen,
			    "listen address \"%s\": missing "
			    "\"]\"",
			    addr);
			return -1;
		}
		if (end[1] != ':') {
			snprintf(err, errlen,
			    "listen address \"%s\": expected "
			    "\":PORT\" after \"]\"",
			    addr);
			return -1;
		}
		*bracketed = 1;
		addr++;
		n = end - addr;
		colon = end + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL) {
			snprintf(err, errlen,
			    "listen address \"%s\": missing "
			    "\":PORT\"",
			    addr);
			return -1;
		}
		n = colon - addr;
		if (memchr(addr, ':', n) != NULL) {
			snprintf(err, errlen,
			    "listen address \"%s\": IPv6 "
			    "addresses go in brackets, as in \"[::1]:9100\"",
			    addr);
			return -1;
		}
	}
	if (n >= hostlen) {
		snprintf(err, errlen,
		    "listen address \"%.64s...\": host name "
		    "too long",
		    addr);
		return -1;
	}
	memcpy(host, addr, n);
	host[n] = '\0';

	p = colon + 1;
	n = strlen(p);
	v = 0;
	if (n == 0 || n > 5 || strspn(p, "0123456789") != n ||
	    (v = strtol(p, NULL, 10)) > 65535) {
		snprintf(err, errlen,
		    "listen address \"%s\": invalid port "
		    "\"%s\"",
		    orig, p);
		return -1;
	}
	*port = (int)v;
	return 0;
}

/*
 * Checks the form of a listen address without resolving it: "[HOST]:PORT"
 * as open_listener takes it. Returns 0, or -1 with a message in err.
 */
int
http_listen_check(const char *addr, char *err, size_t errlen)
{
	char host[256];
	int  port, bracketed;

	if (split_listen(addr, host, sizeof(host), &port, &bracketed, err,
		errlen) == -1)
		return -1;
	if (host[0] == '\0' && bracketed) {
		snprintf(err, errlen,
		    "listen address \"%s\": \"\" is not an "
		    "IPv6 address",
		    addr);
		return -1;
	}
	return 0;
}

/*
 * Opens the listening socket for addr ("[HOST]:PORT"): an empty host means
 * every address (IPv6 dual stack, IPv4 when there is no IPv6), a host name
 * is resolved and the first of its addresses that binds is used. Returns
 * the socket (close-on-exec, non-blocking), or -1 with a message in err.
 */
static int
open_listener(const char *addr, char *err, size_t errlen)
{
	struct addrinfo	    hints, *res = NULL, *ai;
	struct sockaddr_in6 sin6;
	struct sockaddr_in  sin;
	char		    host[256], port[16];
	const char	   *what = "bind";
	int		    fd = -1, portnum, bracketed, rc;

	if (http_listen_check(addr, err, errlen) == -1 ||
	    split_listen(addr, host, sizeof(host), &portnum, &bracketed, err,
		errlen) == -1)
		return -1;
	snprintf(port, sizeof(port), "%d", portnum);

	if (host[0] == '\0') {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons((unsigned short)portnum);
		fd = bind_one(AF_INET6, (struct sockaddr *)&sin6, sizeof(sin6),
		    1, &what);
		if (fd == -1 &&
		    (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL ||
			errno == EPROTONOSUPPORT)) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = htonl(INADDR_ANY);
			sin.sin_port = sin6.sin6_port;
			fd = bind_one(AF_INET, (struct sockaddr *)&sin,
			    sizeof(sin), 0, &what);
		}
		goto done;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (bracketed)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (bracketed)
			snprintf(err, errlen,
			    "listen address \"%s\": \"%s\" "
			    "is not an IPv6 address",
			    addr, host);
		else
			snprintf(err, errlen,
			    "listen address \"%s\": cannot "
			    "resolve \"%s\": %s",
			    addr, host,
			    rc == EAI_SYSTEM ? strerror(errno) :
					       gai_strerror(rc));
		return -1;
	}
	errno = EADDRNOTAVAIL;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		fd = bind_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen,
		    ai->ai_family == AF_INET6 &&
			IN6_IS_ADDR_UNSPECIFIED(
			    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr),
		    &what);
	}
	freeaddrinfo(res);
done:
	if (fd == -1)
		snprintf(err, errlen, "listen address \"%s\": %s: %s", addr,
		    what, strerror(errno));
	return fd;
}

/* The port a listening socket is bound to, or -1. */
static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* libmicrohttpd's own messages, one log line each. */
static void __attribute__((format(printf, 2, 0)))
mhd_log(void *arg, const char *fmt, va_list ap)
{
	char   msg[512];
	size_t n;

	(void)arg;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warnx("http: %s", msg);
}

/*
 * Parses an HTTP qvalue ("0", "0.5", "1.000") into thousandths. Returns
 * -1 when malformed.
 */
static int
parse_q(const char *p, size_t n)
{
	size_t i;
	int    q, scale;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return -1;
	for (i = 2, scale = 100; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * Reads the next element of a comma-separated list such as Accept or
 * Accept-Encoding: "name;param=value;q=0.5". Parameters other than q are
 * skipped (quoted strings included); a malformed q gives q = 0. Returns
 * the rest of the list, or NULL at its end.
 */
static const char *
next_elem(const char *s, struct elem *e)
{
	const char *v;
	size_t	    n;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0')
		return NULL;
	e->name.p = s;
	s += strcspn(s, ";,");
	n = s - e->name.p;
	while (n > 0 && (e->name.p[n - 1] == ' ' || e->name.p[n - 1] == '\t'))
		n--;
	e->name.n = n;
	e->q = 1000;
	e->np = 0;
	while (*s == ';') {
		s = skip_ws(s + 1);
		n = strcspn(s, "=;, \t");
		v = skip_ws(s + n);
		if (*v != '=') {
			s = v + strcspn(v, ";,");
			continue;
		}
		v = skip_ws(v + 1);
		if (n == 1 && (s[0] == 'q' || s[0] == 'Q')) {
			s = v + strcspn(v, " \t;,");
			e->q = parse_q(v, s - v);
			if (e->q < 0)
				e->q = 0;
			s = skip_ws(s);
			continue;
		}
		if (e->np < ELEM_PARAMS) {
			e->pname[e->np].p = s;
			e->pname[e->np].n = n;
			e->pval[e->np].p = *v == '"' ? v + 1 : v;
		}
		if (*v == '"') {
			for (v++; *v != '\0' && *v != '"'; v++)
				if (*v == '\\' && v[1] != '\0')
					v++;
			if (e->np < ELEM_PARAMS)
				e->pval[e->np].n = (size_t)(v -
				    e->pval[e->np].p);
			if (*v == '"')
				v++;
		} else if (e->np < ELEM_PARAMS) {
			e->pval[e->np].n = strcspn(v, " \t;,");
		}
		if (e->np < ELEM_PARAMS)
			e->np++;
		s = v + strcspn(v, ";,");
	}
	if (*s == ',')
		s++;
	return s;
}

static int
elem_is(const struct elem *e, const char *name)
{
	return e->name.n == strlen(name) &&
	    strncasecmp(e->name.p, name, e->name.n) == 0;
}

/* Whether parameter name of e has the value val (case-insensitive). */
static int
elem_param_is(const struct elem *e, const char *name, const char *val)
{
	size_t i;

	for (i = 0; i < e->np; i++)
		if (e->pname[i].n == strlen(name) &&
		    strncasecmp(e->pname[i].p, name, e->pname[i].n) == 0)
			return e->pval[i].n == strlen(val) &&
			    strncasecmp(e->pval[i].p, val, e->pval[i].n) == 0;
	return 0;
}

/*
 * Picks the exposition format from an Accept header: the one of highest
 * q > 0 among the protobuf format (named with its proto and delimited
 * encoding, as Prometheus asks for it), OpenMetrics, and the text format,
 * whose q comes from its most specific range (text/plain, else the text
 * wildcard, else the full wildcard); on a tie, the richer format, in that
 * order. Wildcards never select protobuf or OpenMetrics: a plain client
 * that accepts anything gets the text format.
 */
static enum expose_format
negotiate_format(const char *accept)
{
	struct elem e;
	int	    pb = 0, om = 0, text = 0, spec = 0, s;

	if (accept == NULL)
		return EXPOSE_TEXT;
	while ((accept = next_elem(accept, &e)) != NULL) {
		if (elem_is(&e, "application/vnd.google.protobuf")) {
			if (elem_param_is(&e, "proto",
				"io.prometheus.client.MetricFamily") &&
			    elem_param_is(&e, "encoding", "delimited") &&
			    e.q > pb)
				pb = e.q;
			continue;
		}
		if (elem_is(&e, "application/openmetrics-text")) {
			if (e.q > om)
				om = e.q;
			continue;
		}
		if (elem_is(&e, "text/plain"))
			s = 3;
		else if (elem_is(&e, "text/*"))
			s = 2;
		else if (elem_is(&e, "*/*"))
			s = 1;
		else
			continue;
		if (s > spec || (s == spec && e.q > text)) {
			spec = s;
			text = e.q;
		}
	}
	if (pb > 0 && pb >= om && pb >= text)
		return EXPOSE_PROTOBUF;
	return om > 0 && om >= text ? EXPOSE_OPENMETRICS : EXPOSE_TEXT;
}

/* Whether an Accept-Encoding header accepts gzip (q > 0, "*" counts). */
static int
accepts_gzip(const char *ae)
{
	struct elem e;
	int	    q = 0, spec = 0, s;

	if (ae == NULL)
		return 0;
	while ((ae = next_elem(ae, &e)) != NULL) {
		if (elem_is(&e, "gzip") || elem_is(&e, "x-gzip"))
			s = 2;
		else if (elem_is(&e, "*"))
			s = 1;
		else
			continue;
		if (s > spec || (s == spec && e.q > q)) {
			spec = s;
			q = e.q;
		}
	}
	return q > 0;
}

/*
 * Compresses in[0..len) into a gzip member. Returns 0 with *out (owned by
 * the caller) and *outlen set, or -1 (nothing allocated). Costs one pass
 * of deflate at the default level.
 */
static int
gzip_body(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream z;
	uLong	 bound;
	char	*p;

	if (len > UINT_MAX)
		return -1;
	memset(&z, 0, sizeof(z));
	/* The fastest level: a scrape's text compresses well anyway. */
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
		Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len);
	if (bound > UINT_MAX) {
		deflateEnd(&z);
		return -1;
	}
	p = xmalloc(bound);
	z.next_in = (const Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)p;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(p);
		return -1;
	}
	*out = p;
	*outlen = z.total_out;
	deflateEnd(&z);
	return 0;
}

/* The web configuration in use, with a reference of the caller's. */
static struct webconfig *
http_web(struct http *h)
{
	struct webconfig *web = NULL;

	pthread_mutex_lock(&h->weblock);
	if (h->web != NULL)
		web = webconfig_ref(h->web);
	pthread_mutex_unlock(&h->weblock);
	return web;
}

/*
 * The certificate chain and key served, made from the configuration's
 * PEM. GnuTLS keeps pointers to them during a handshake, so one that is
 * replaced stays, chained to its successor, until the server stops.
 */
#define TLS_MAX_CHAIN 16
struct tlscred {
	gnutls_pcert_st	 pcert[TLS_MAX_CHAIN];
	unsigned	 n;
	gnutls_privkey_t key;
	struct tlscred	*older;
};

/*
 * GnuTLS's certificate callback has no argument of the caller's: the one
 * server with TLS of the process serves tls_current.
 */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tlscred *tls_current;

static void
tlscred_free(struct tlscred *c)
{
	struct tlscred *older;
	unsigned	i;

	for (; c != NULL; c = older) {
		older = c->older;
		for (i = 0; i < c->n; i++)
			gnutls_pcert_deinit(&c->pcert[i]);
		if (c->key != NULL)
			gnutls_privkey_deinit(c->key);
		free(c);
	}
}

/* Whether c's key is the one of its first certificate. */
static int
same_key(struct tlscred *c)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t	a = { NULL, 0 }, b = { NULL, 0 };
	int		same = 0;

	if (gnutls_pubkey_init(&pub) >= 0 &&
	    gnutls_pubkey_import_privkey(pub, c->key, 0, 0) >= 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) >= 0 &&
	    gnutls_pubkey_export2(c->pcert[0].pubkey, GNUTLS_X509_FMT_DER,
		&b) >= 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	return same;
}

/* The credentials of web's PEM, or NULL with err filled. */
static struct tlscred *
tlscred_new(const struct webconfig *web, char *err, size_t errlen)
{
	struct tlscred *c = xcalloc(1, sizeof(*c));
	gnutls_datum_t	d;
	int		rc;

	c->n = TLS_MAX_CHAIN;
	d.data = (unsigned char *)web->cert_pem;
	d.size = (unsigned)strlen(web->cert_pem);
	if ((rc = gnutls_pcert_list_import_x509_raw(c->pcert, &c->n, &d,
		 GNUTLS_X509_FMT_PEM, 0)) < 0) {
		c->n = 0;
		snprintf(err, errlen, "%s: cert_file \"%s\": %s", web->path,
		    web->cert_file, gnutls_strerror(rc));
		goto fail;
	}
	d.data = (unsigned char *)web->key_pem;
	d.size = (unsigned)strlen(web->key_pem);
	if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(c->key, &d,
		 GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "%s: key_file \"%s\": %s", web->path,
		    web->key_file, gnutls_strerror(rc));
		goto fail;
	}
	if (!same_key(c)) {
		snprintf(err, errlen,
		    "%s: key_file \"%s\" is not the key of cert_file \"%s\"",
		    web->path, web->key_file, web->cert_file);
		goto fail;
	}
	return c;
fail:
	tlscred_free(c);
	return NULL;
}

/* GnuTLS asks, at each handshake, what to serve: the current one. */
static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&tls_lock);
	if (tls_current == NULL) {
		pthread_mutex_unlock(&tls_lock);
		return -1;
	}
	*pcert = tls_current->pcert;
	*pcert_length = tls_current->n;
	*pkey = tls_current->key;
	pthread_mutex_unlock(&tls_lock);
	return 0;
}

/* Frees every credential once the server with TLS stopped. */
static void
tls_retire(void)
{
	struct tlscred *c;

	pthread_mutex_lock(&tls_lock);
	c = tls_current;
	tls_current = NULL;
	pthread_mutex_unlock(&tls_lock);
	tlscred_free(c);
}

/* Serves c from the next handshake on, the one before kept. */
static void
tlscred_serve(struct tlscred *c)
{
	pthread_mutex_lock(&tls_lock);
	c->older = tls_current;
	tls_current = c;
	pthread_mutex_unlock(&tls_lock);
}

int
http_set_web(struct http *h, struct webconfig *web, char *err, size_t errlen)
{
	struct webconfig *old;
	struct tlscred	 *c = NULL;

	pthread_mutex_lock(&h->weblock);
	old = h->web;
	pthread_mutex_unlock(&h->weblock);
	if ((old != NULL && old->cert_pem != NULL) != (web->cert_pem != NULL)) {
		snprintf(err, errlen,
		    "%s: TLS turned %s: that takes a restart; the server goes "
		    "on as it was",
		    web->path, web->cert_pem != NULL ? "on" : "off");
		webconfig_free(web);
		return -1;
	}
	if (web->cert_pem != NULL &&
	    (c = tlscred_new(web, err, errlen)) == NULL) {
		webconfig_free(web);
		return -1;
	}
	if (old != NULL)
		webconfig_carry(web, old);
	pthread_mutex_lock(&h->weblock);
	h->web = web;
	pthread_mutex_unlock(&h->weblock);
	if (c != NULL)
		tlscred_serve(c);
	webconfig_free(old);
	return 0;
}

/*
 * On every response: no script, style only inline, nothing loaded from
 * anywhere, no framing, and the types as said (the status page shows
 * bytes of log lines, escaped; these make a mistake there harmless).
 */
static const struct hdr always[] = {
	{ "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ NULL, NULL },
};

/*
 * Queues a response of body[0..len) (malloc'ed; always taken over, even
 * on failure) with status code, the headers in hdrs (name NULL ends) and
 * those of always[].
 */
static MHD_RESULT
reply(struct http *h, struct MHD_Connection *c, unsigned code, char *body,
    size_t len, const struct hdr *hdrs)
{
	struct MHD_Response *resp;
	struct webconfig    *web = http_web(h);
	MHD_RESULT	     ret = MHD_NO;
	size_t		     i;

	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	for (; hdrs->name != NULL; hdrs++)
		if (MHD_add_response_header(resp, hdrs->name, hdrs->value) !=
		    MHD_YES)
			goto end;
	/* The configuration's headers, ours where it sets none. */
	for (i = 0; web != NULL && i < web->nheaders; i++)
		if (MHD_add_response_header(resp, web->headers[i].name,
			web->headers[i].value) != MHD_YES)
			goto end;
	for (hdrs = always; hdrs->name != NULL; hdrs++) {
		for (i = 0; web != NULL && i < web->nheaders; i++)
			if (strcmp(web->headers[i].name, hdrs->name) == 0)
				break;
		if ((web == NULL || i == web->nheaders) &&
		    MHD_add_response_header(resp, hdrs->name, hdrs->value) !=
			MHD_YES)
			goto end;
	}
	ret = MHD_queue_response(c, code, resp);
end:
	MHD_destroy_response(resp);
	webconfig_free(web);
	return ret;
}

/* A short text/plain answer; allow, when not NULL, goes in Allow. */
static MHD_RESULT
reply_text(struct http *h, struct MHD_Connection *c, unsigned code,
    const char *text, const char *allow)
{
	struct hdr hdrs[3] = {
		{ MHD_HTTP_HEADER_CONTENT_TYPE, CT_PLAIN },
		{ NULL, NULL },
		{ NULL, NULL },
	};

	if (allow != NULL) {
		hdrs[1].name = MHD_HTTP_HEADER_ALLOW;
		hdrs[1].value = allow;
	}
	return reply(h, c, code, xstrdup(text), strlen(text), hdrs);
}

/*
 * Renders page through the caller's function, negotiates format and
 * encoding from the request headers, and queues the result. Costs one
 * render and, when asked for, one deflate of the page.
 */
static MHD_RESULT
reply_page(struct http *h, struct MHD_Connection *c, enum http_page page)
{
	enum expose_format fmt = EXPOSE_TEXT;
	struct buf	   b;
	struct hdr	   hdrs[4];
	const char	  *param = NULL;
	char		  *body, *z;
	size_t		   len, zlen;
	unsigned	   code;
	int		   gz, n = 0;

	if (page == HTTP_PAGE_EXPLAIN)
		param = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "line");
	if (page == HTTP_PAGE_METRICS)
		fmt = negotiate_format(MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	gz = accepts_gzip(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING));

	buf_init(&b);
	code = h->render(h->arg, page, fmt, param, &b);
	len = b.len;
	body = buf_release(&b);
	if (gz && gzip_body(body, len, &z, &zlen) == 0) {
		free(body);
		body = z;
		len = zlen;
	} else
		gz = 0;

	hdrs[n].name = MHD_HTTP_HEADER_CONTENT_TYPE;
	if (page == HTTP_PAGE_LANDING || page == HTTP_PAGE_EXPLAIN)
		hdrs[n++].value = CT_HTML;
	else if (page == HTTP_PAGE_RELOAD)
		hdrs[n++].value = CT_PLAIN;
	else if (page == HTTP_PAGE_STATUS_JSON)
		hdrs[n++].value = CT_JSON;
	else if (fmt == EXPOSE_OPENMETRICS)
		hdrs[n++].value = CT_OPENMETRICS;
	else if (fmt == EXPOSE_PROTOBUF)
		hdrs[n++].value = PROTOBUF_CONTENT_TYPE;
	else
		hdrs[n++].value = CT_TEXT;
	hdrs[n].name = MHD_HTTP_HEADER_VARY;
	hdrs[n++].value = page == HTTP_PAGE_METRICS ?
	    "Accept, Accept-Encoding" :
	    "Accept-Encoding";
	if (gz) {
		hdrs[n].name = MHD_HTTP_HEADER_CONTENT_ENCODING;
		hdrs[n++].value = "gzip";
	}
	hdrs[n].name = hdrs[n].value = NULL;
	return reply(h, c, code, body, len, hdrs);
}

static enum route
route(const struct http *h, const char *url)
{
	if (strcmp(url, h->metrics_path) == 0)
		return ROUTE_METRICS;
	if (strcmp(url, "/") == 0 && !h->no_status_page)
		return ROUTE_LANDING;
	if (strcmp(url, "/status.json") == 0 && !h->no_status_page)
		return ROUTE_STATUS_JSON;
	if (strcmp(url, "/explain") == 0 && !h->no_status_page)
		return ROUTE_EXPLAIN;
	if (strcmp(url, "/-/healthy") == 0)
		return ROUTE_HEALTHY;
	if (strcmp(url, "/-/ready") == 0)
		return ROUTE_READY;
	if (strcmp(url, "/-/reload") == 0 && h->enable_reload)
		return ROUTE_RELOAD;
	return ROUTE_NONE;
}

/*
 * Whether the request carries the name and password of a configured user
 * (always, when there are no users). Costs what webconfig_auth costs.
 */
static int
authorized(struct http *h, struct MHD_Connection *c)
{
	struct webconfig *web;
	char		 *user, *pass = NULL;
	int		  ok;

	if ((web = http_web(h)) == NULL || web->nusers == 0) {
		webconfig_free(web);
		return 1;
	}
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user != NULL && pass != NULL && webconfig_auth(web, user, pass);
	webconfig_free(web);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user != NULL)
		MHD_free(user);
	return ok;
}

static MHD_RESULT
reply_unauthorized(struct http *h, struct MHD_Connection *c)
{
	static const char	text[] = "Unauthorized\n";
	static const struct hdr hdrs[] = {
		{ MHD_HTTP_HEADER_CONTENT_TYPE, CT_PLAIN },
		{ MHD_HTTP_HEADER_WWW_AUTHENTICATE, AUTH_CHALLENGE },
		{ NULL, NULL },
	};

	return reply(h, c, 401, xstrdup(text), sizeof(text) - 1, hdrs);
}

/* Whether the request announces a body (a length other than 0, chunks). */
static int
has_body(struct MHD_Connection *c)
{
	const char *v;

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return 1;
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	return v != NULL && v[strspn(v, "0")] != '\0';
}

/* The error answering a request that cannot be served, or 0. */
static unsigned
refusal(enum route r, const char *method, int body)
{
	if (r == ROUTE_NONE)
		return 404;
	if (r == ROUTE_RELOAD) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_PUT) != 0)
			return 405;
	} else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return 405;
	if (body)
		return 413;
	return 0;
}

/*
 * libmicrohttpd's access handler, called once when the headers are in and
 * again when the (empty) request is complete. The credentials are checked
 * on the first call and the verdict kept in *ctx. A request announcing a
 * body is refused on the first call (401 without valid credentials, else
 * the error it earns), so the body is never read: libmicrohttpd closes the
 * connection after the answer. Anything else is answered on the second
 * call, which keeps the connection alive for the next scrape.
 */
static MHD_RESULT
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *uplen, void **ctx)
{
	static char  allowed, denied; /* verdicts, for *ctx */
	struct http *h = cls;
	enum route   r;
	unsigned     code;
	int	     body, first = *ctx == NULL;

	(void)version;
	(void)upload;
	r = route(h, url);
	body = has_body(c);
	code = refusal(r, method, body);
	if (first)
		*ctx = authorized(h, c) ? &allowed : &denied;
	if (first && !body)
		return MHD_YES;
	if (*uplen != 0) {
		/* Not reached: a body is refused before it is read. */
		*uplen = 0;
		return MHD_YES;
	}
	if (*ctx == &denied)
		return reply_unauthorized(h, c);

	switch (code) {
	case 404:
		return reply_text(h, c, 404, "Not Found\n", NULL);
	case 405:
		return reply_text(h, c, 405, "Method Not Allowed\n",
		    r == ROUTE_RELOAD ? "POST, PUT" : "GET, HEAD");
	case 413:
		return reply_text(h, c, 413, "Payload Too Large\n", NULL);
	}

	switch (r) {
	case ROUTE_METRICS:
		return reply_page(h, c, HTTP_PAGE_METRICS);
	case ROUTE_LANDING:
		return reply_page(h, c, HTTP_PAGE_LANDING);
	case ROUTE_STATUS_JSON:
		return reply_page(h, c, HTTP_PAGE_STATUS_JSON);
	case ROUTE_EXPLAIN:
		return reply_page(h, c, HTTP_PAGE_EXPLAIN);
	case ROUTE_RELOAD:
		return reply_page(h, c, HTTP_PAGE_RELOAD);
	case ROUTE_HEALTHY:
		return reply_text(h, c, 200, "OK\n", NULL);
	case ROUTE_READY:
		if (h->ready == NULL || h->ready(h->arg))
			return reply_text(h, c, 200, "OK\n", NULL);
		return reply_text(h, c, 503, "Not Ready\n", NULL);
	case ROUTE_NONE:
		break;
	}
	return MHD_NO;
}

/*
 * Checks that this libmicrohttpd can do what the web configuration asks
 * and fills tls (room for 4) with the options that turn TLS on: a lone
 * MHD_OPTION_END without a certificate. Returns the extra daemon flags,
 * or -1 with err filled.
 */
static int
tls_options(const struct webconfig *web, struct MHD_OptionItem *tls, char *err,
    size_t errlen)
{
	size_t n = 0;
	int    flags = 0;

	if (web != NULL && web->nusers > 0 &&
	    MHD_is_feature_supported(MHD_FEATURE_BASIC_AUTH) != MHD_YES) {
		snprintf(err, errlen,
		    "%s: basic_auth_users: this "
		    "libmicrohttpd is built without basic authentication",
		    web->path);
		return -1;
	}
	if (web != NULL && web->cert_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen,
			    "%s: tls_server_config: this "
			    "libmicrohttpd is built without TLS",
			    web->path);
			return -1;
		}
		flags = MHD_USE_TLS;
		tls[n++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
			(void *)(uintptr_t)cert_callback
		};
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES,
			0, (void *)(uintptr_t)TLS_PRIORITIES };
	}
	tls[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return flags;
}

void
http_opts_init(struct http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = HTTP_DEFAULT_LISTEN;
	o->metrics_path = HTTP_DEFAULT_PATH;
	o->max_conns = HTTP_DEFAULT_MAX_CONNS;
	o->per_ip_conns = HTTP_DEFAULT_PER_IP;
	o->timeout_s = HTTP_DEFAULT_TIMEOUT;
	o->max_header = HTTP_DEFAULT_MAX_HEADER;
}

/*
 * Opens the listening socket, then starts libmicrohttpd on it with one
 * polling thread of its own. Zero options take the defaults of http.h.
 * Returns the server (freed by http_stop) or NULL with err filled.
 */
struct http *
http_start(const struct http_opts *o, http_render_fn *render,
    http_ready_fn *ready, void *arg, char *err, size_t errlen)
{
	struct MHD_OptionItem tls[4];
	struct tlscred	     *cred = NULL;
	struct http	     *h;
	const char	     *listen_addr, *path;
	unsigned	      max_conns, timeout;
	size_t		      max_header;
	int		      tls_flags;

	listen_addr = o->listen != NULL ? o->listen : HTTP_DEFAULT_LISTEN;
	path = o->metrics_path != NULL ? o->metrics_path : HTTP_DEFAULT_PATH;
	max_conns = o->max_conns ? o->max_conns : HTTP_DEFAULT_MAX_CONNS;
	timeout = o->timeout_s ? o->timeout_s : HTTP_DEFAULT_TIMEOUT;
	max_header = o->max_header ? o->max_header : HTTP_DEFAULT_MAX_HEADER;

	if (path[0] != '/') {
		snprintf(err, errlen,
		    "metrics path \"%s\": must start with "
		    "\"/\"",
		    path);
		webconfig_free(o->web);
		return NULL;
	}
	if ((tls_flags = tls_options(o->web, tls, err, errlen)) == -1) {
		webconfig_free(o->web);
		return NULL;
	}
	if (tls_flags != 0) {
		if ((cred = tlscred_new(o->web, err, errlen)) == NULL) {
			webconfig_free(o->web);
			return NULL;
		}
		tlscred_serve(cred);
	}

	h = xcalloc(1, sizeof(*h));
	h->render = render;
	h->no_status_page = o->no_status_page;
	h->enable_reload = o->enable_reload;
	h->ready = ready;
	h->arg = arg;
	h->metrics_path = xstrdup(path);
	h->web = o->web;
	pthread_mutex_init(&h->weblock, NULL);
	if ((h->fd = open_listener(listen_addr, err, errlen)) == -1)
		goto fail;
	h->port = bound_port(h->fd);

	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG | tls_flags,
	    0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_conns,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, max_header + POOL_SLACK,
	    MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (h->daemon == NULL && tls_flags != 0) {
		snprintf(err, errlen,
		    "%s: cannot start TLS with cert_file "
		    "\"%s\" and key_file \"%s\" (see the message above)",
		    h->web->path, h->web->cert_file, h->web->key_file);
		goto fail;
	}
	if (h->daemon == NULL) {
		snprintf(err, errlen,
		    "listen address \"%s\": cannot start "
		    "the HTTP server",
		    listen_addr);
		goto fail;
	}
	return h;
fail:
	if (h->fd != -1)
		close(h->fd);
	webconfig_free(h->web);
	pthread_mutex_destroy(&h->weblock);
	free(h->metrics_path);
	free(h);
	if (cred != NULL)
		tls_retire();
	return NULL;
}

int
http_port(const struct http *h)
{
	return h->port;
}

/*
 * Takes the listening socket back from libmicrohttpd (quiesce), stops its
 * thread, which closes every client connection, then closes the socket
 * here, once. Waits for a render in progress to finish.
 */
void
http_stop(struct http *h)
{
	MHD_socket fd;

	if (h == NULL)
		return;
	fd = MHD_quiesce_daemon(h->daemon);
	MHD_stop_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	if (h->web != NULL && h->web->cert_pem != NULL)
		tls_retire();
	webconfig_free(h->web);
	pthread_mutex_destroy(&h->weblock);
	free(h->metrics_path);
	free(h);
}
