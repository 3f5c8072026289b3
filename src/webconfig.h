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

/* A header http_server_config.headers sets on every response. */
struct webconfig_header {
	const char *name; /* as the toolkit spells it */
	char	   *value;
};

struct webconfig {
	int			 refs;	   /* webconfig_ref(); freed at 0 */
	char			*path;	   /* the file, as given */
	char			*cert_pem; /* NULL: plain HTTP */
	char			*key_pem;
	char			*cert_file; /* resolved paths, for messages */
	char			*key_file;
	struct webconfig_user	*users;	   /* sorted by name */
	size_t			 nusers;   /* 0: no authentication */
	char			*warnings; /* lines for the log, or NULL */
	struct webconfig_header *headers;  /* http_server_config.headers */
	size_t			 nheaders;
	struct file_stamp	 stamps[3]; /* of path, cert_file, key_file */
	char			 memo_salt[64]; /* for webconfig_auth's memo */
	pthread_mutex_t		 lock;		/* guards the memos and below */
	double			 auth_rate;	/* bcrypt checks a second, */
	double			 auth_burst; /* and at once (defaults below) */
	double			 tokens;     /* bcrypt checks allowed now */
	double			 tokens_at;  /* monotonic time of tokens */
	uint64_t		 refused;    /* wrong name or password */
	uint64_t		 throttled;  /* refused without a check */
};

/*
 * Reads path: tls_server_config (cert_file and key_file, relative to the
 * file's directory; client_auth_type NoClientCert only), basic_auth_users
 * (user name to bcrypt hash) and http_server_config (headers: the
 * toolkit's five security headers; http2 ignored, with a warning). The
 * certificate and key files are read into memory, and what the three
 * files were is stamped. Returns the settings with one reference (freed
 * by webconfig_free), or NULL with every error found in err, one
 * "FILE:LINE:COL: message" per line.
 */
struct webconfig *webconfig_load(const char *path, char *err, size_t errlen);

/* One more reference to wc, for another thread; webconfig_free drops it. */
struct webconfig *webconfig_ref(struct webconfig *);
void		  webconfig_free(struct webconfig *);

/*
 * What the configuration file and the certificate and key it names are
 * on disk now, into now[3]: compared with wc->stamps, another file under
 * a name (an atomic rename, a re-pointed link), a write or a removal
 * shows. Costs three stat(2).
 */
void webconfig_disk(const struct webconfig *, struct file_stamp now[3]);

/*
 * Carries the counts of refused credentials from old to wc, which
 * replaces it. Thread-safe.
 */
void webconfig_carry(struct webconfig *wc, struct webconfig *old);

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
