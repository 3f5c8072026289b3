/*
 * webconfig.h: the HTTP server's TLS and basic authentication settings,
 * read from a file in the format of the Prometheus exporter toolkit's
 * web-config.yml.
 */
#ifndef LOGMETRICS_WEBCONFIG_H
#define LOGMETRICS_WEBCONFIG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* One entry of basic_auth_users. */
struct webconfig_user {
	char *name;
	char *hash;	 /* bcrypt, as written in the file */
	char  memo[128]; /* fast hash of the last password accepted */
};

struct webconfig {
	char		      *path;	 /* the file, as given */
	char		      *cert_pem; /* NULL: plain HTTP */
	char		      *key_pem;
	char		      *cert_file; /* resolved paths, for messages */
	char		      *key_file;
	struct webconfig_user *users;	      /* sorted by name */
	size_t		       nusers;	      /* 0: no authentication */
	char		      *warnings;      /* lines for the log, or NULL */
	char		       memo_salt[64]; /* for webconfig_auth's memo */
	pthread_mutex_t	       lock;	      /* guards the memos and below */
	double		       auth_rate;     /* bcrypt checks a second, */
	double		       auth_burst;    /* and at once (defaults below) */
	double		       tokens;	      /* bcrypt checks allowed now */
	double		       tokens_at;     /* monotonic time of tokens */
	uint64_t	       refused;	      /* wrong name or password */
	uint64_t	       throttled;     /* refused without a check */
};

/*
 * Reads path: tls_server_config (cert_file and key_file, relative to the
 * file's directory; client_auth_type NoClientCert only), basic_auth_users
 * (user name to bcrypt hash) and http_server_config (ignored, with a
 * warning). The certificate and key files are read into memory. Returns
 * the settings (freed by webconfig_free), or NULL with every error found
 * in err, one "FILE:LINE:COL: message" per line.
 */
struct webconfig *webconfig_load(const char *path, char *err, size_t errlen);
void		  webconfig_free(struct webconfig *);

/*
 * Whether user and pass match an entry of basic_auth_users: 1 or 0. An
 * unknown user costs the same bcrypt as a wrong password; a password that
 * was accepted before is recognised by a cheap salted hash kept in memory
 * instead of bcrypt. Checks that need bcrypt run wc->auth_rate times a
 * second at most (wc->auth_burst at once; WEBCONFIG_AUTH_RATE and _BURST
 * unless changed after loading): beyond, a credential not recognised is
 * refused unchecked, so that a flood of wrong passwords cannot hold the
 * server's thread. Thread-safe.
 */
#define WEBCONFIG_AUTH_RATE  4
#define WEBCONFIG_AUTH_BURST 8
int webconfig_auth(struct webconfig *, const char *user, const char *pass);

/* Credentials refused so far: after a check, and unchecked (throttled). */
void webconfig_auth_counts(struct webconfig *, uint64_t *refused,
    uint64_t *throttled);

#endif
