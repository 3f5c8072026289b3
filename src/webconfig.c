/*
 * webconfig.c: reads the HTTP server's web configuration, the Prometheus
 * exporter toolkit's web-config.yml, with libyaml's document API.
 *
 * Keys are checked strictly, as the toolkit does: an unknown key, a
 * repeated key or a value of the wrong kind is an error naming the file,
 * line and column of the offending node (libyaml counts from 0, we from 1).
 * Keys the toolkit knows but this server cannot honour are rejected by
 * name rather than silently dropped, so nobody believes a setting is in
 * force when it is not. Every error of a file is reported and the file is
 * rejected as a whole.
 */
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "util.h"
#include "webconfig.h"

/* Certificates and keys are small; anything larger is a wrong path. */
#define MAX_PEM (1024 * 1024)
/* sha256crypt with few rounds: the memo of an accepted password. */
#define MEMO_PREFIX "$5$"
#define MEMO_ROUNDS 1000
#define BCRYPT_LEN  60

struct loader {
	const char	 *path;
	char		 *dir; /* prefix for relative paths, or NULL */
	yaml_document_t	  doc;
	struct buf	  errs;
	struct buf	  warns;
	struct webconfig *wc;
};

/* Keys of tls_server_config the toolkit has and this server has not. */
static const char *const tls_unsupported[] = {
	"cert",
	"cipher_suites",
	"client_allowed_sans",
	"client_ca",
	"client_ca_file",
	"curve_preferences",
	"key",
	"max_version",
	"min_version",
	"prefer_server_cipher_suites",
};

static void __attribute__((format(printf, 4, 5))) note(struct loader *l,
    struct buf *b, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	buf_printf(b, "%s:%zu:%zu: ", l->path, n->start_mark.line + 1,
	    n->start_mark.column + 1);
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	buf_putc(b, '\n');
}

#define ERR(l, n, ...)	note((l), &(l)->errs, (n), __VA_ARGS__)
#define WARN(l, n, ...) note((l), &(l)->warns, (n), __VA_ARGS__)

static yaml_node_t *
node(struct loader *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

static const char *
kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* Whether n is YAML's null: an empty or null plain scalar. */
static int
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return strcmp(v, "") == 0 || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0;
}

/*
 * The text of scalar n for what (a key's name, for messages), or NULL with
 * an error when n is not a string: another kind of node, null, or a
 * string with a NUL byte in it.
 */
static const char *
string(struct loader *l, const yaml_node_t *n, const char *what)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		ERR(l, n, "%s: expected a string, found %s", what, kind(n));
		return NULL;
	}
	if (is_null(n)) {
		ERR(l, n, "%s: expected a string, found nothing", what);
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		ERR(l, n, "%s: contains a NUL byte", what);
		return NULL;
	}
	return v;
}

/*
 * The first pair of mapping m before p with the same scalar key as p, or
 * NULL. Costs a pass over the pairs before p.
 */
static const yaml_node_pair_t *
earlier(struct loader *l, const yaml_node_t *m, const yaml_node_pair_t *p)
{
	const yaml_node_pair_t *q;
	const yaml_node_t      *k = node(l, p->key), *k2;

	for (q = m->data.mapping.pairs.start; q < p; q++) {
		k2 = node(l, q->key);
		if (k2->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value,
			(char *)k2->data.scalar.value) == 0)
			return q;
	}
	return NULL;
}

/*
 * Checks that n is a mapping. Returns 1 when it is one or null (*empty
 * then set), 0 with an error otherwise.
 */
static int
mapping(struct loader *l, const yaml_node_t *n, const char *what, int *empty)
{
	*empty = is_null(n);
	if (*empty || n->type == YAML_MAPPING_NODE)
		return 1;
	ERR(l, n, "%s: expected a mapping, found %s", what, kind(n));
	return 0;
}

/*
 * Whether the loaders skip pair p of mapping m (named what): its key is
 * not a string, or repeats an earlier one. Records the error.
 */
static int
skip(struct loader *l, const yaml_node_t *m, const yaml_node_pair_t *p,
    const char *what)
{
	const yaml_node_pair_t *q;
	const yaml_node_t      *k = node(l, p->key);

	if (k->type != YAML_SCALAR_NODE) {
		ERR(l, k, "%s: expected a string key, found %s", what, kind(k));
		return 1;
	}
	if ((q = earlier(l, m, p)) != NULL) {
		ERR(l, k, "%s: \"%s\" repeated (first at line %zu)", what,
		    (char *)k->data.scalar.value,
		    node(l, q->key)->start_mark.line + 1);
		return 1;
	}
	return 0;
}

/*
 * Reads the file named by value node n of key what, relative to the
 * configuration's directory unless absolute. Returns the contents
 * (NUL-terminated, owned by the caller) and the resolved path in *resolved,
 * or NULL with an error recorded.
 */
static char *
read_pem(struct loader *l, const yaml_node_t *n, const char *what,
    char **resolved)
{
	struct buf  b;
	const char *name;
	char	   *path;

	*resolved = NULL;
	if ((name = string(l, n, what)) == NULL)
		return NULL;
	if (name[0] != '/' && l->dir != NULL) {
		path = xmalloc(strlen(l->dir) + strlen(name) + 2);
		sprintf(path, "%s/%s", l->dir, name);
	} else
		path = xstrdup(name);
	buf_init(&b);
	if (read_file(path, MAX_PEM, READ_REGULAR, &b, NULL) == -1) {
		if (errno == EINVAL)
			ERR(l, n, "%s \"%s\": not a regular file", what, path);
		else if (errno == EFBIG)
			ERR(l, n, "%s \"%s\": larger than %d bytes", what, path,
			    MAX_PEM);
		else
			ERR(l, n, "%s \"%s\": %s", what, path, strerror(errno));
		goto fail;
	}
	if (strlen(b.p) != b.len) {
		ERR(l, n, "%s \"%s\": not PEM (binary data)", what, path);
		goto fail;
	}
	*resolved = path;
	return buf_release(&b);
fail:
	buf_free(&b);
	free(path);
	return NULL;
}

/*
 * Checks what the TLS library will be given: a PEM certificate, and a PEM
 * private key that is not encrypted (there is no passphrase to give).
 */
static void
check_pem(struct loader *l, const yaml_node_t *certn, const yaml_node_t *keyn)
{
	struct webconfig *wc = l->wc;

	if (wc->cert_pem != NULL &&
	    strstr(wc->cert_pem, "-----BEGIN CERTIFICATE-----") == NULL)
		ERR(l, certn, "cert_file \"%s\": no PEM certificate in it",
		    wc->cert_file);
	if (wc->key_pem == NULL)
		return;
	if (strstr(wc->key_pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") !=
		NULL ||
	    strstr(wc->key_pem, "Proc-Type: 4,ENCRYPTED") != NULL)
		ERR(l, keyn,
		    "key_file \"%s\": encrypted keys are not "
		    "supported",
		    wc->key_file);
	else if (strstr(wc->key_pem, "-----BEGIN ") == NULL ||
	    strstr(wc->key_pem, "PRIVATE KEY-----") == NULL)
		ERR(l, keyn, "key_file \"%s\": no PEM private key in it",
		    wc->key_file);
}

/* tls_server_config: cert_file and key_file, or neither (plain HTTP). */
static void
load_tls(struct loader *l, const yaml_node_t *m)
{
	yaml_node_pair_t *p;
	yaml_node_t	 *k, *v, *certn = NULL, *keyn = NULL;
	const char	 *key, *s;
	size_t		  i;
	int		  empty;

	if (!mapping(l, m, "tls_server_config", &empty) || empty)
		return;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		if (skip(l, m, p, "tls_server_config"))
			continue;
		k = node(l, p->key);
		v = node(l, p->value);
		key = (const char *)k->data.scalar.value;
		if (strcmp(key, "cert_file") == 0) {
			certn = v;
			continue;
		}
		if (strcmp(key, "key_file") == 0) {
			keyn = v;
			continue;
		}
		if (strcmp(key, "client_auth_type") == 0) {
			if (is_null(v))
				continue;
			if ((s = string(l, v, "client_auth_type")) != NULL &&
			    strcmp(s, "NoClientCert") != 0)
				ERR(l, v,
				    "client_auth_type \"%s\" is not "
				    "supported: client certificates are not "
				    "checked, only NoClientCert is accepted",
				    s);
			continue;
		}
		for (i = 0; i < NELEM(tls_unsupported); i++)
			if (strcmp(key, tls_unsupported[i]) == 0)
				break;
		if (i < NELEM(tls_unsupported))
			ERR(l, k,
			    "tls_server_config: \"%s\" is not "
			    "supported",
			    key);
		else
			ERR(l, k,
			    "tls_server_config: unknown key \"%s\" "
			    "(expected cert_file, key_file or "
			    "client_auth_type)",
			    key);
	}
	if (certn != NULL && is_null(certn))
		certn = NULL;
	if (keyn != NULL && is_null(keyn))
		keyn = NULL;
	if (certn == NULL && keyn == NULL)
		return;
	if (certn == NULL || keyn == NULL) {
		ERR(l, m, "tls_server_config: missing %s",
		    certn == NULL ? "cert_file" : "key_file");
		return;
	}
	l->wc->cert_pem = read_pem(l, certn, "cert_file", &l->wc->cert_file);
	l->wc->key_pem = read_pem(l, keyn, "key_file", &l->wc->key_file);
	check_pem(l, certn, keyn);
}

/* Whether h has the form of a bcrypt hash: $2?$NN$ and 53 characters. */
static int
is_bcrypt(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	int		  cost;

	if (strlen(h) != BCRYPT_LEN || h[0] != '$' || h[1] != '2' ||
	    strchr("aby", h[2]) == NULL || h[3] != '$' || h[6] != '$')
		return 0;
	if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return 0;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return 0;
	return strspn(h + 7, b64) == BCRYPT_LEN - 7;
}

static int
user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct webconfig_user *)a)->name,
	    ((const struct webconfig_user *)b)->name);
}

/* basic_auth_users: user name to bcrypt hash. */
static void
load_users(struct loader *l, const yaml_node_t *m)
{
	struct webconfig *wc = l->wc;
	yaml_node_pair_t *p;
	yaml_node_t	 *k, *v;
	const char	 *name, *hash;
	size_t		  n;
	int		  empty;

	if (!mapping(l, m, "basic_auth_users", &empty) || empty)
		return;
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	wc->users = xcalloc(n, sizeof(*wc->users));
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		if (skip(l, m, p, "basic_auth_users"))
			continue;
		k = node(l, p->key);
		v = node(l, p->value);
		if ((name = string(l, k, "basic_auth_users: user name")) ==
		    NULL)
			continue;
		if (name[0] == '\0') {
			ERR(l, k, "basic_auth_users: empty user name");
			continue;
		}
		if (strchr(name, ':') != NULL) {
			ERR(l, k,
			    "basic_auth_users: user name \"%s\" contains "
			    "\":\", which basic authentication cannot carry",
			    name);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE || is_null(v)) {
			ERR(l, v,
			    "basic_auth_users: \"%s\": expected a bcrypt "
			    "hash, found %s",
			    name, is_null(v) ? "nothing" : kind(v));
			continue;
		}
		hash = (const char *)v->data.scalar.value;
		if (strlen(hash) != v->data.scalar.length || !is_bcrypt(hash)) {
			ERR(l, v,
			    "basic_auth_users: \"%s\": not a bcrypt hash "
			    "(expected \"$2y$\", \"$2b$\" or \"$2a$\", a cost, "
			    "\"$\" and 53 characters)",
			    name);
			continue;
		}
		wc->users[wc->nusers].name = xstrdup(name);
		wc->users[wc->nusers].hash = xstrdup(hash);
		wc->nusers++;
	}
	qsort(wc->users, wc->nusers, sizeof(*wc->users), user_cmp);
}

/* The headers of http_server_config the toolkit allows, and so this. */
static const char *const allowed_headers[] = {
	"Content-Security-Policy",
	"Strict-Transport-Security",
	"X-Content-Type-Options",
	"X-Frame-Options",
	"X-XSS-Protection",
};

/* http_server_config: headers set on every response; http2 ignored. */
static void
load_http(struct loader *l, const yaml_node_t *m)
{
	struct webconfig *wc = l->wc;
	yaml_node_pair_t *p, *q;
	yaml_node_t	 *k, *v, *hk, *hv;
	const char	 *key, *s;
	size_t		  i, j;
	int		  empty;

	if (!mapping(l, m, "http_server_config", &empty) || empty)
		return;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		if (skip(l, m, p, "http_server_config"))
			continue;
		k = node(l, p->key);
		v = node(l, p->value);
		key = (const char *)k->data.scalar.value;
		if (strcmp(key, "http2") == 0) {
			WARN(l, k,
			    "http_server_config: http2 is ignored: the "
			    "server speaks HTTP/1.1");
			continue;
		}
		if (strcmp(key, "headers") != 0) {
			ERR(l, k,
			    "http_server_config: unknown key \"%s\" (expected "
			    "headers or http2)",
			    key);
			continue;
		}
		if (!mapping(l, v, "headers", &empty) || empty)
			continue;
		for (q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			if (skip(l, v, q, "headers"))
				continue;
			hk = node(l, q->key);
			hv = node(l, q->value);
			key = (const char *)hk->data.scalar.value;
			for (i = 0; i < NELEM(allowed_headers); i++)
				if (strcasecmp(key, allowed_headers[i]) == 0)
					break;
			if (i == NELEM(allowed_headers)) {
				ERR(l, hk,
				    "headers: \"%s\" cannot be set (these can: "
				    "Content-Security-Policy, "
				    "Strict-Transport-Security, "
				    "X-Content-Type-Options, X-Frame-Options, "
				    "X-XSS-Protection)",
				    key);
				continue;
			}
			if ((s = string(l, hv, key)) == NULL)
				continue;
			for (j = 0; s[j] != '\0'; j++)
				if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f)
					break;
			if (s[j] != '\0' || j == 0) {
				ERR(l, hv,
				    "headers: the value of %s is empty or holds "
				    "a control character",
				    allowed_headers[i]);
				continue;
			}
			wc->headers = xreallocarray(wc->headers,
			    wc->nheaders + 1, sizeof(*wc->headers));
			wc->headers[wc->nheaders].name = allowed_headers[i];
			wc->headers[wc->nheaders++].value = xstrdup(s);
		}
	}
}

/* The document's root: a mapping of the three sections, or nothing. */
static void
load_root(struct loader *l, const yaml_node_t *root)
{
	yaml_node_pair_t *p;
	yaml_node_t	 *k, *v;
	const char	 *key;
	int		  empty;

	if (!mapping(l, root, "web configuration", &empty) || empty)
		return;
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		if (skip(l, root, p, "web configuration"))
			continue;
		k = node(l, p->key);
		v = node(l, p->value);
		key = (const char *)k->data.scalar.value;
		if (strcmp(key, "tls_server_config") == 0)
			load_tls(l, v);
		else if (strcmp(key, "basic_auth_users") == 0)
			load_users(l, v);
		else if (strcmp(key, "http_server_config") == 0)
			load_http(l, v);
		else
			ERR(l, k,
			    "unknown key \"%s\" (expected "
			    "basic_auth_users, http_server_config or "
			    "tls_server_config)",
			    key);
	}
}

/*
 * The line and column (from 0, in characters) of byte offset off of fp,
 * found by reading it again from its start.
 */
static void
offset_mark(FILE *fp, size_t off, yaml_mark_t *m)
{
	size_t i;
	int    c;

	m->line = m->column = 0;
	if (fseek(fp, 0, SEEK_SET) == -1)
		return;
	for (i = 0; i < off && (c = getc(fp)) != EOF; i++) {
		if (c == '\n') {
			m->line++;
			m->column = 0;
		} else if ((c & 0xc0) != 0x80)
			m->column++;
	}
}

/* libyaml's parse error, at its place in the file. */
static void
parse_error(struct loader *l, const yaml_parser_t *p, FILE *fp)
{
	yaml_mark_t m = p->problem_mark;
	int	    saved = errno;

	if (p->error == YAML_READER_ERROR && ferror(fp)) {
		buf_printf(&l->errs, "%s: %s\n", l->path, strerror(saved));
		return;
	}
	/* The reader's errors (bad encoding) give a byte offset only. */
	if (p->error == YAML_READER_ERROR)
		offset_mark(fp, p->problem_offset, &m);
	buf_printf(&l->errs, "%s:%zu:%zu: %s", l->path, m.line + 1,
	    m.column + 1, p->problem != NULL ? p->problem : "syntax error");
	if (p->context != NULL)
		buf_printf(&l->errs, " (%s at line %zu)", p->context,
		    p->context_mark.line + 1);
	buf_putc(&l->errs, '\n');
}

/*
 * Parses the file into l->wc: a single YAML document, maybe empty. Every
 * error, of syntax or of content, is recorded in l->errs.
 */
static void
parse(struct loader *l, FILE *fp)
{
	yaml_parser_t	parser;
	yaml_document_t extra;
	yaml_node_t    *root;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &l->doc)) {
		parse_error(l, &parser, fp);
		yaml_parser_delete(&parser);
		memset(&l->doc, 0, sizeof(l->doc));
		return;
	}
	if ((root = yaml_document_get_root_node(&l->doc)) != NULL) {
		load_root(l, root);
		/* The end of the stream is an empty document. */
		if (!yaml_parser_load(&parser, &extra))
			parse_error(l, &parser, fp);
		else {
			if ((root = yaml_document_get_root_node(&extra)) !=
			    NULL)
				buf_printf(&l->errs,
				    "%s:%zu:%zu: a second "
				    "YAML document; only one is read\n",
				    l->path, extra.start_mark.line + 1,
				    extra.start_mark.column + 1);
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
}

/*
 * Reads path (see webconfig.h). Costs one parse of a small file and the
 * reads of the certificate and key.
 */
/* The stamp of path, or zeros when there is none (no certificate). */
static void
stamp(const char *path, struct file_stamp *st)
{
	if (path != NULL)
		file_stamp(path, st);
	else
		memset(st, 0, sizeof(*st));
}

void
webconfig_disk(const struct webconfig *wc, struct file_stamp now[3])
{
	stamp(wc->path, &now[0]);
	stamp(wc->cert_file, &now[1]);
	stamp(wc->key_file, &now[2]);
}

struct webconfig *
webconfig_ref(struct webconfig *wc)
{
	__atomic_add_fetch(&wc->refs, 1, __ATOMIC_SEQ_CST);
	return wc;
}

void
webconfig_carry(struct webconfig *wc, struct webconfig *old)
{
	uint64_t refused, throttled;

	webconfig_auth_counts(old, &refused, &throttled);
	pthread_mutex_lock(&wc->lock);
	wc->refused += refused;
	wc->throttled += throttled;
	pthread_mutex_unlock(&wc->lock);
}

struct webconfig *
webconfig_load(const char *path, char *err, size_t errlen)
{
	struct loader	  l;
	struct webconfig *wc;
	const char	 *slash;
	FILE		 *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.path = path;
	if ((slash = strrchr(path, '/')) != NULL)
		l.dir = slash == path ? xstrdup("") :
					xstrndup(path, slash - path);
	buf_init(&l.errs);
	buf_init(&l.warns);
	wc = l.wc = xcalloc(1, sizeof(*wc));
	wc->refs = 1;
	wc->path = xstrdup(path);
	/* Stamped first: a change while reading is seen at the next look. */
	stamp(path, &wc->stamps[0]);
	pthread_mutex_init(&wc->lock, NULL);
	wc->auth_rate = WEBCONFIG_AUTH_RATE;
	wc->auth_burst = wc->tokens = WEBCONFIG_AUTH_BURST;
	wc->tokens_at = now_mono();

	parse(&l, fp);
	fclose(fp);
	stamp(wc->cert_file, &wc->stamps[1]);
	stamp(wc->key_file, &wc->stamps[2]);
	yaml_document_delete(&l.doc);
	free(l.dir);

	if (l.errs.len > 0) {
		l.errs.p[--l.errs.len] = '\0';
		snprintf(err, errlen, "%s", l.errs.p);
		buf_free(&l.errs);
		buf_free(&l.warns);
		webconfig_free(wc);
		return NULL;
	}
	buf_free(&l.errs);
	if (l.warns.len > 0) {
		l.warns.p[--l.warns.len] = '\0';
		wc->warnings = buf_release(&l.warns);
	}
	buf_free(&l.warns);
	if (wc->nusers > 0 &&
	    crypt_gensalt_rn(MEMO_PREFIX, MEMO_ROUNDS, NULL, 0, wc->memo_salt,
		sizeof(wc->memo_salt)) == NULL)
		wc->memo_salt[0] = '\0';
	return wc;
}

void
webconfig_free(struct webconfig *wc)
{
	size_t i;

	if (wc == NULL ||
	    __atomic_sub_fetch(&wc->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (i = 0; i < wc->nheaders; i++)
		free(wc->headers[i].value);
	free(wc->headers);
	for (i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	if (wc->key_pem != NULL) {
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	free(wc->cert_pem);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->warnings);
	free(wc->path);
	pthread_mutex_destroy(&wc->lock);
	free(wc);
}

/* Compares two strings in a time that depends on their lengths only. */
static int
same(const char *a, const char *b)
{
	size_t	      n = strlen(a), i;
	unsigned char d = 0;

	if (n != strlen(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/*
 * Whether a bcrypt check may run now: tokens come back at wc->auth_rate a
 * second, up to wc->auth_burst. Counts a refusal when none is left.
 */
static int
take_token(struct webconfig *wc)
{
	double now = now_mono();
	int    ok;

	pthread_mutex_lock(&wc->lock);
	wc->tokens += (now - wc->tokens_at) * wc->auth_rate;
	if (wc->tokens > wc->auth_burst)
		wc->tokens = wc->auth_burst;
	wc->tokens_at = now;
	if ((ok = wc->tokens >= 1))
		wc->tokens -= 1;
	else
		wc->throttled++;
	pthread_mutex_unlock(&wc->lock);
	return ok;
}

void
webconfig_auth_counts(struct webconfig *wc, uint64_t *refused,
    uint64_t *throttled)
{
	pthread_mutex_lock(&wc->lock);
	*refused = wc->refused;
	*throttled = wc->throttled;
	pthread_mutex_unlock(&wc->lock);
}

/*
 * See webconfig.h. Costs one bcrypt of the user's cost for a password not
 * seen before (tens of milliseconds at cost 10), one sha256crypt of 1000
 * rounds for one accepted before. The lock covers the memos only.
 */
int
webconfig_auth(struct webconfig *wc, const char *user, const char *pass)
{
	struct webconfig_user key, *u;
	struct crypt_data    *cd;
	const char	     *hash, *out;
	char		      memo[sizeof(u->memo)];
	int		      ok = 0;

	if (wc->nusers == 0 || user == NULL || pass == NULL)
		return 0;
	key.name = (char *)(uintptr_t)user;
	u = bsearch(&key, wc->users, wc->nusers, sizeof(*wc->users), user_cmp);
	cd = xcalloc(1, sizeof(*cd));

	if (u != NULL && wc->memo_salt[0] != '\0') {
		pthread_mutex_lock(&wc->lock);
		memcpy(memo, u->memo, sizeof(memo));
		pthread_mutex_unlock(&wc->lock);
		if (memo[0] != '\0' &&
		    (out = crypt_rn(pass, wc->memo_salt, cd, sizeof(*cd))) !=
			NULL &&
		    same(out, memo)) {
			ok = 1;
			goto end;
		}
	}

	if (!take_token(wc))
		goto end;
	/* An unknown user pays for a hash too, so names cannot be probed. */
	hash = u != NULL ? u->hash : wc->users[0].hash;
	out = crypt_rn(pass, hash, cd, sizeof(*cd));
	ok = u != NULL && out != NULL && same(out, hash);
	if (!ok) {
		pthread_mutex_lock(&wc->lock);
		wc->refused++;
		pthread_mutex_unlock(&wc->lock);
	}
	if (ok && wc->memo_salt[0] != '\0' &&
	    (out = crypt_rn(pass, wc->memo_salt, cd, sizeof(*cd))) != NULL &&
	    strlen(out) < sizeof(memo)) {
		pthread_mutex_lock(&wc->lock);
		strcpy(u->memo, out);
		pthread_mutex_unlock(&wc->lock);
	}
end:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}
