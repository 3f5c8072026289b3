/*
 * test_webconfig.c: the web configuration file: every error with its
 * place, what a good file yields, paths relative to the file, and the
 * password checks against bcrypt hashes.
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"
#include "webconfig.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

static const char enc_key_pem[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhHq3n8oZ2WhAICCAAw\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

static const char old_enc_key_pem[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "Proc-Type: 4,ENCRYPTED\n"
    "DEK-Info: AES-128-CBC,0A5E4E0B3C51A9A1D3D2C4B0E3B1F1AA\n"
    "\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBd9h25klyiGMrpin\n"
    "-----END EC PRIVATE KEY-----\n";

/* Cost 4 (the least) keeps the tests fast; the format is the same. */
#define HASH_2Y "$2y$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/VxfING"
#define PASS_2Y "s3cret"
#define HASH_2A "$2a$04$1nZ5Z7pAbSEfrYdKN3r0POA0x10Xo6.9sgiEXAgyZA4/FZJiggTf2"
#define PASS_2A "pa:ss w\xc3\xb6rd"
#define HASH_2B "$2b$04$Pk..Pj7VsyNkigf0RW5ty.J3aHOZ6.bBI.E/paQg5KR/qBDh3cNEm"
#define PASS_2B ""

static const char *dir;

static void
put(const char *name, const void *data, size_t len)
{
	char path[256];

	tu_write(tu_path(path, sizeof(path), dir, name), data, len);
}

static void
puts_file(const char *name, const char *text)
{
	put(name, text, strlen(text));
}

/* A fresh directory with the certificate, the key and some bad files. */
static void
setup(void)
{
	static const char bin[] = "\x30\x82\x01\x00\0\0\x01";
	char		  path[256];

	dir = tu_tmpdir("test_webconfig");
	puts_file("c.pem", tu_tls_cert);
	puts_file("k.pem", tu_tls_key);
	puts_file("enc.pem", enc_key_pem);
	puts_file("oldenc.pem", old_enc_key_pem);
	puts_file("junk.pem", "not a certificate\n");
	put("der.bin", bin, sizeof(bin) - 1);
	snprintf(path, sizeof(path), "%s/sub", dir);
	cr_assert_eq(mkdir(path, 0700), 0);
}

static void
teardown(void)
{
	tu_cleanup();
#if defined(__SANITIZE_ADDRESS__)
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked");
#endif
}

TestSuite(webconfig, .init = setup, .fini = teardown, .timeout = 60);

/*
 * The template with "@" replaced by the configuration's path and "^" by
 * the test's directory. Returns a buffer owned by the caller.
 */
static char *
expand(const char *tmpl, const char *path)
{
	struct buf b;

	buf_init(&b);
	for (; *tmpl != '\0'; tmpl++)
		if (*tmpl == '@')
			buf_puts(&b, path);
		else if (*tmpl == '^')
			buf_puts(&b, dir);
		else
			buf_putc(&b, *tmpl);
	return buf_release(&b);
}

/* Writes yaml as web.yml and loads it. */
static struct webconfig *
load_text(const char *yaml, char *path, size_t pathlen, char *err,
    size_t errlen)
{
	puts_file("web.yml", yaml);
	snprintf(path, pathlen, "%s/web.yml", dir);
	return webconfig_load(path, err, errlen);
}

/* ---- errors ---- */

Test(webconfig, bad_files_name_every_error_and_its_place)
{
	static const struct {
		const char *yaml;
		const char *err;
	} cases[] = {
		/* the encoding, the syntax */
		{ "basic_auth_users:\n  a\xc3\xa9: \"\xff\xfe\"\n",
		    "@:2:8: invalid leading UTF-8 octet" },
		{ "x: \xc3\xa9\xc3\n", "@:1:6: invalid trailing UTF-8 octet" },
		{ "tls_server_config:\n\tcert_file: c.pem\n",
		    "@:2:1: found character that cannot start any token (while "
		    "scanning for the next token at line 2)" },
		{ "tls_server_config:\n  cert_file: [a\n",
		    "@:3:1: did not find expected ',' or ']' (while parsing a "
		    "flow sequence at line 2)" },
		{ "tls_server_config:\n  cert_file: *nothere\n",
		    "@:2:14: found undefined alias" },
		{ "tls_server_config: {\n",
		    "@:2:1: did not find expected node content (while parsing a "
		    "flow node at line 2)" },
		{ "basic_auth_users: {}\n---\nbasic_auth_users: {}\n",
		    "@:2:1: a second YAML document; only one is read" },
		/* the root */
		{ "just some text\n",
		    "@:1:1: web configuration: expected a mapping, found a "
		    "scalar" },
		{ "- tls_server_config\n",
		    "@:1:1: web configuration: expected a mapping, found a "
		    "sequence" },
		{ "basic_auth_users: {}\ntls_server_confg: {}\n",
		    "@:2:1: unknown key \"tls_server_confg\" (expected "
		    "basic_auth_users, http_server_config or "
		    "tls_server_config)" },
		{ "? [basic_auth_users]\n: {}\n",
		    "@:1:3: web configuration: expected a string key, found a "
		    "sequence" },
		{ "basic_auth_users: {}\n\nbasic_auth_users: {}\n",
		    "@:3:1: web configuration: \"basic_auth_users\" repeated "
		    "(first at line 1)" },
		/* tls_server_config */
		{ "tls_server_config: [c.pem, k.pem]\n",
		    "@:1:20: tls_server_config: expected a mapping, found a "
		    "sequence" },
		{ "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		  "  min_version: TLS13\n",
		    "@:4:3: tls_server_config: \"min_version\" is not supported" },
		{ "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		  "  client_ca_file: c.pem\n",
		    "@:4:3: tls_server_config: \"client_ca_file\" is not "
		    "supported" },
		{ "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		  "  client_auth_type: RequireAndVerifyClientCert\n",
		    "@:4:21: client_auth_type \"RequireAndVerifyClientCert\" is "
		    "not supported: client certificates are not checked, only "
		    "NoClientCert is accepted" },
		{ "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		  "  client_auth_type: [NoClientCert]\n",
		    "@:4:21: client_auth_type: expected a string, found a "
		    "sequence" },
		{ "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"
		  "  certfile: c.pem\n",
		    "@:4:3: tls_server_config: unknown key \"certfile\" (expected "
		    "cert_file, key_file or client_auth_type)" },
		{ "tls_server_config:\n  cert_file: c.pem\n  cert_file: k.pem\n"
		  "  key_file: k.pem\n",
		    "@:3:3: tls_server_config: \"cert_file\" repeated (first at "
		    "line 2)" },
		{ "tls_server_config:\n  cert_file: c.pem\n",
		    "@:2:3: tls_server_config: missing key_file" },
		{ "tls_server_config:\n  cert_file:\n  key_file: k.pem\n",
		    "@:2:3: tls_server_config: missing cert_file" },
		{ "tls_server_config:\n  cert_file: nosuch.pem\n"
		  "  key_file: k.pem\n",
		    "@:2:14: cert_file \"^/nosuch.pem\": No such file or "
		    "directory" },
		{ "tls_server_config:\n  cert_file: sub\n  key_file: k.pem\n",
		    "@:2:14: cert_file \"^/sub\": not a regular file" },
		{ "tls_server_config:\n  cert_file: der.bin\n"
		  "  key_file: k.pem\n",
		    "@:2:14: cert_file \"^/der.bin\": not PEM (binary data)" },
		{ "tls_server_config:\n  cert_file: junk.pem\n"
		  "  key_file: k.pem\n",
		    "@:2:14: cert_file \"^/junk.pem\": no PEM certificate in it" },
		{ "tls_server_config:\n  cert_file: k.pem\n"
		  "  key_file: c.pem\n",
		    "@:2:14: cert_file \"^/k.pem\": no PEM certificate in it\n"
		    "@:3:13: key_file \"^/c.pem\": no PEM private key in it" },
		{ "tls_server_config:\n  cert_file: c.pem\n"
		  "  key_file: enc.pem\n",
		    "@:3:13: key_file \"^/enc.pem\": encrypted keys are not "
		    "supported" },
		{ "tls_server_config:\n  cert_file: c.pem\n"
		  "  key_file: oldenc.pem\n",
		    "@:3:13: key_file \"^/oldenc.pem\": encrypted keys are not "
		    "supported" },
		{ "tls_server_config:\n  cert_file: \"c.pem\\0x\"\n"
		  "  key_file: {a: b}\n",
		    "@:2:14: cert_file: contains a NUL byte\n"
		    "@:3:13: key_file: expected a string, found a mapping" },
		/* basic_auth_users */
		{ "basic_auth_users:\n  - alice\n",
		    "@:2:3: basic_auth_users: expected a mapping, found a "
		    "sequence" },
		{ "basic_auth_users:\n"
		  "  bob: x\n"
		  "  \"a:b\": " HASH_2Y "\n"
		  "  bob: " HASH_2Y "\n"
		  "  c: {d: e}\n"
		  "  e:\n"
		  "  [x]: 1\n"
		  "  f: \"" HASH_2Y "\\0\"\n"
		  "  g: $2x$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/"
		  "VxfING\n"
		  "  h: $2y$03$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/"
		  "VxfING\n"
		  "  i: $2y$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/"
		  "VxfIN\n"
		  "  j: $2y$04$YTQMbyNItbDN8MylPJOiMe6oZoWJMIyIp47y5xfTv7DtiK/"
		  "VxfIN!\n"
		  "  k: $6$rounds=5000$abc$def\n",
		    "@:2:8: basic_auth_users: \"bob\": not a bcrypt hash "
		    "(expected \"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and "
		    "53 characters)\n"
		    "@:3:3: basic_auth_users: user name \"a:b\" contains \":\", "
		    "which basic authentication cannot carry\n"
		    "@:4:3: basic_auth_users: \"bob\" repeated (first at line 2)\n"
		    "@:5:6: basic_auth_users: \"c\": expected a bcrypt hash, "
		    "found a mapping\n"
		    "@:6:5: basic_auth_users: \"e\": expected a bcrypt hash, "
		    "found nothing\n"
		    "@:7:3: basic_auth_users: expected a string key, found a "
		    "sequence\n"
		    "@:8:6: basic_auth_users: \"f\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)\n"
		    "@:9:6: basic_auth_users: \"g\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)\n"
		    "@:10:6: basic_auth_users: \"h\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)\n"
		    "@:11:6: basic_auth_users: \"i\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)\n"
		    "@:12:6: basic_auth_users: \"j\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)\n"
		    "@:13:6: basic_auth_users: \"k\": not a bcrypt hash (expected "
		    "\"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and 53 "
		    "characters)" },
		{ "basic_auth_users:\n  \"\": " HASH_2Y "\n  ~: " HASH_2Y "\n",
		    "@:2:3: basic_auth_users: empty user name\n"
		    "@:3:3: basic_auth_users: user name: expected a string, "
		    "found nothing" },
		/* every section at once: all reported, in order */
		{ "foo: 1\n"
		  "tls_server_config:\n"
		  "  key_file: junk.pem\n"
		  "  max_version: TLS12\n"
		  "basic_auth_users:\n"
		  "  alice: secret\n",
		    "@:1:1: unknown key \"foo\" (expected basic_auth_users, "
		    "http_server_config or tls_server_config)\n"
		    "@:4:3: tls_server_config: \"max_version\" is not supported\n"
		    "@:3:3: tls_server_config: missing cert_file\n"
		    "@:6:10: basic_auth_users: \"alice\": not a bcrypt hash "
		    "(expected \"$2y$\", \"$2b$\" or \"$2a$\", a cost, \"$\" and "
		    "53 characters)" },
	};
	struct webconfig *wc;
	char		  path[256], err[4096], *want;
	size_t		  i;

	for (i = 0; i < NELEM(cases); i++) {
		strcpy(err, "untouched");
		wc = load_text(cases[i].yaml, path, sizeof(path), err,
		    sizeof(err));
		cr_assert_null(wc, "case %zu accepted:\n%s", i, cases[i].yaml);
		want = expand(cases[i].err, path);
		cr_assert_str_eq(err, want, "case %zu:\n%s\ngot:\n%s", i,
		    cases[i].yaml, err);
		free(want);
	}
}

Test(webconfig, missing_file_and_short_error_buffer)
{
	char path[256], err[4096], small[16], *want;

	snprintf(path, sizeof(path), "%s/nosuch.yml", dir);
	cr_assert_null(webconfig_load(path, err, sizeof(err)));
	want = expand("@: No such file or directory", path);
	cr_assert_str_eq(err, want);
	free(want);

	snprintf(path, sizeof(path), "%s/sub", dir);
	cr_assert_null(webconfig_load(path, err, sizeof(err)));
	want = expand("@: Is a directory", path);
	cr_assert_str_eq(err, want);
	free(want);

	/* A long list of errors is cut, never overrun. */
	memset(small, 'x', sizeof(small));
	cr_assert_null(load_text("a: 1\nb: 2\nc: 3\n", path, sizeof(path),
	    small, sizeof(small)));
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(strncmp(small, path, sizeof(small) - 1), 0);
}

/* ---- good files ---- */

Test(webconfig, empty_and_null_sections_mean_plain_http)
{
	static const char *const files[] = {
		"",
		"~\n",
		"# nothing yet\n",
		"{}\n",
		"---\n...\n",
		"tls_server_config:\nbasic_auth_users:\n",
		"tls_server_config: {}\nbasic_auth_users: {}\n",
		"tls_server_config:\n  client_auth_type: NoClientCert\n",
		"tls_server_config:\n  cert_file: ~\n  key_file:\n",
	};
	struct webconfig *wc;
	char		  path[256], err[4096];
	size_t		  i;

	for (i = 0; i < NELEM(files); i++) {
		wc = load_text(files[i], path, sizeof(path), err, sizeof(err));
		cr_assert_not_null(wc, "case %zu: %s", i, err);
		cr_assert_null(wc->cert_pem, "case %zu", i);
		cr_assert_null(wc->key_pem, "case %zu", i);
		cr_assert_eq(wc->nusers, 0, "case %zu", i);
		cr_assert_null(wc->warnings, "case %zu", i);
		cr_assert_str_eq(wc->path, path);
		webconfig_free(wc);
	}
	webconfig_free(NULL);
}

Test(webconfig, full_file)
{
	static const char yaml[] = "# as the exporter toolkit documents it\n"
				   "tls_server_config:\n"
				   "  cert_file: c.pem\n"
				   "  key_file: \"k.pem\"\n"
				   "  client_auth_type: \"NoClientCert\"\n"
				   "http_server_config:\n"
				   "  http2: false\n"
				   "basic_auth_users:\n"
				   "  zoe: '" HASH_2B "'\n"
				   "  alice: " HASH_2Y "\n"
				   "  \"bob smith\": " HASH_2A "\n";
	struct webconfig *wc;
	char		  path[256], err[4096], *want;

	wc = load_text(yaml, path, sizeof(path), err, sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	cr_assert_str_eq(wc->cert_pem, tu_tls_cert);
	cr_assert_str_eq(wc->key_pem, tu_tls_key);
	want = expand("^/c.pem", path);
	cr_assert_str_eq(wc->cert_file, want);
	free(want);
	want = expand("^/k.pem", path);
	cr_assert_str_eq(wc->key_file, want);
	free(want);
	want = expand("@:7:3: http_server_config: http2 is ignored: the server "
		      "speaks HTTP/1.1",
	    path);
	cr_assert_str_eq(wc->warnings, want);
	free(want);
	cr_assert_eq(wc->nusers, 3);
	cr_assert_str_eq(wc->users[0].name, "alice");
	cr_assert_str_eq(wc->users[0].hash, HASH_2Y);
	cr_assert_str_eq(wc->users[1].name, "bob smith");
	cr_assert_str_eq(wc->users[1].hash, HASH_2A);
	cr_assert_str_eq(wc->users[2].name, "zoe");
	cr_assert_str_eq(wc->users[2].hash, HASH_2B);
	webconfig_free(wc);
}

Test(webconfig, paths_are_relative_to_the_file)
{
	char		  path[512], err[4096], cwd[512], *want;
	struct webconfig *wc;

	/* In a subdirectory: "../c.pem" is the directory's c.pem. */
	snprintf(path, sizeof(path),
	    "tls_server_config:\n"
	    "  cert_file: ../c.pem\n  key_file: %s/k.pem\n",
	    dir);
	puts_file("sub/web.yml", path);
	snprintf(path, sizeof(path), "%s/sub/web.yml", dir);
	wc = webconfig_load(path, err, sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	want = expand("^/sub/../c.pem", path);
	cr_assert_str_eq(wc->cert_file, want);
	free(want);
	want = expand("^/k.pem", path);
	cr_assert_str_eq(wc->key_file, want, "absolute paths stay");
	free(want);
	cr_assert_str_eq(wc->cert_pem, tu_tls_cert);
	webconfig_free(wc);

	/* A file named without a directory: relative to the current one. */
	puts_file("web2.yml",
	    "tls_server_config:\n  cert_file: c.pem\n"
	    "  key_file: k.pem\n");
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir(dir), 0);
	wc = webconfig_load("web2.yml", err, sizeof(err));
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_not_null(wc, "%s", err);
	cr_assert_str_eq(wc->cert_file, "c.pem");
	cr_assert_str_eq(wc->key_file, "k.pem");
	webconfig_free(wc);
}

/* ---- passwords ---- */

/*
 * Three users. These tests are about which credentials pass, so bcrypt
 * checks are not throttled here (auth_throttle tests that).
 */
static struct webconfig *
users_config(void)
{
	struct webconfig *wc;
	char		  path[256], err[4096];

	wc = load_text("basic_auth_users:\n"
		       "  alice: " HASH_2Y "\n"
		       "  bob: " HASH_2A "\n"
		       "  carol: " HASH_2B "\n",
	    path, sizeof(path), err, sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	cr_assert_eq(wc->auth_rate, WEBCONFIG_AUTH_RATE);
	cr_assert_eq(wc->auth_burst, WEBCONFIG_AUTH_BURST);
	wc->auth_rate = wc->auth_burst = wc->tokens = 1e9;
	return wc;
}

Test(webconfig, passwords_against_bcrypt)
{
	static const struct {
		const char *user;
		const char *pass;
		int	    ok;
	} cases[] = {
		{ "alice", "s3cre", 0 },
		{ "alice", "s3cret ", 0 },
		{ "alice", "S3cret", 0 },
		{ "alice", "", 0 },
		{ "Alice", PASS_2Y, 0 },
		{ "alice ", PASS_2Y, 0 },
		{ "", PASS_2Y, 0 },
		{ "mallory", PASS_2Y, 0 }, /* alice's password */
		{ "bob", "pa", 0 },
		{ "bob", "pa:ss w\xf6rd", 0 }, /* Latin-1, not UTF-8 */
		{ "carol", " ", 0 },
		{ "carol", PASS_2Y, 0 },
		{ "alice", PASS_2Y, 1 },
		{ "bob", PASS_2A, 1 },
		{ "carol", PASS_2B, 1 },
		/* again: now from the memo */
		{ "alice", PASS_2Y, 1 },
		{ "alice", "s3cre", 0 },
		{ "bob", PASS_2A, 1 },
		{ "bob", PASS_2Y, 0 },
		{ "carol", PASS_2B, 1 },
		{ "carol", "x", 0 },
	};
	struct webconfig *wc = users_config();
	size_t		  i;

	for (i = 0; i < NELEM(cases); i++)
		cr_assert_eq(webconfig_auth(wc, cases[i].user, cases[i].pass),
		    cases[i].ok, "case %zu: %s / %s", i, cases[i].user,
		    cases[i].pass);
	cr_assert_eq(webconfig_auth(wc, NULL, PASS_2Y), 0);
	cr_assert_eq(webconfig_auth(wc, "alice", NULL), 0);
	webconfig_free(wc);
}

Test(webconfig, memo_only_after_success)
{
	struct webconfig *wc = users_config();

	cr_assert_eq(strncmp(wc->memo_salt, "$5$rounds=1000$", 15), 0, "%s",
	    wc->memo_salt);
	cr_assert_eq(webconfig_auth(wc, "alice", "wrong"), 0);
	cr_assert_str_eq(wc->users[0].memo, "");
	cr_assert_eq(webconfig_auth(wc, "alice", PASS_2Y), 1);
	cr_assert_eq(strncmp(wc->users[0].memo, wc->memo_salt,
			 strlen(wc->memo_salt)),
	    0, "%s", wc->users[0].memo);
	cr_assert_null(strstr(wc->users[0].memo, PASS_2Y));
	cr_assert_str_eq(wc->users[1].memo, "");
	/* A wrong password after the right one is still wrong. */
	cr_assert_eq(webconfig_auth(wc, "alice", "wrong"), 0);
	webconfig_free(wc);

	/* No users: nobody is let in (the server does not ask then). */
	wc = load_text("{}", (char[256]){ 0 }, 256, (char[256]){ 0 }, 256);
	cr_assert_not_null(wc);
	cr_assert_eq(webconfig_auth(wc, "alice", PASS_2Y), 0);
	webconfig_free(wc);
}

struct worker {
	struct webconfig *wc;
	int		  bad;
};

static void *
hammer(void *arg)
{
	struct worker *w = arg;
	int	       i;

	for (i = 0; i < 40; i++) {
		if (webconfig_auth(w->wc, "alice", PASS_2Y) != 1)
			w->bad++;
		if (webconfig_auth(w->wc, "alice", "nope") != 0)
			w->bad++;
		if (webconfig_auth(w->wc, "carol", PASS_2B) != 1)
			w->bad++;
	}
	return NULL;
}

Test(webconfig, checks_from_several_threads)
{
	struct webconfig *wc = users_config();
	struct worker	  w[4];
	pthread_t	  t[4];
	int		  i;

	for (i = 0; i < 4; i++) {
		w[i].wc = wc;
		w[i].bad = 0;
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].bad, 0, "thread %d", i);
	}
	webconfig_free(wc);
}

/*
 * A flood of wrong passwords: bcrypt runs for the first burst of them,
 * then the rest are refused unchecked (and counted), while a password
 * accepted before still passes from its memo; checks resume as time
 * gives tokens back.
 */
Test(webconfig, auth_throttle)
{
	struct webconfig *wc = users_config();
	uint64_t	  refused, throttled;
	char		  pass[32];
	int		  i;

	wc->auth_rate = WEBCONFIG_AUTH_RATE;
	wc->auth_burst = wc->tokens = WEBCONFIG_AUTH_BURST;
	cr_assert_eq(webconfig_auth(wc, "alice", PASS_2Y), 1);
	for (i = 0; i < 40; i++) {
		snprintf(pass, sizeof(pass), "guess %d", i);
		cr_assert_eq(webconfig_auth(wc, i % 2 ? "alice" : "eve", pass),
		    0);
	}
	webconfig_auth_counts(wc, &refused, &throttled);
	cr_assert_eq(refused + throttled, 40);
	/* 7 tokens were left, and the checks gave back a few at most. */
	cr_assert_geq(refused, 7);
	cr_assert_leq(refused, 12, "%llu checked", (unsigned long long)refused);
	/* The memo needs no token; a password never seen needs one. */
	cr_assert_eq(webconfig_auth(wc, "alice", PASS_2Y), 1);
	wc->tokens = 0;
	cr_assert_eq(webconfig_auth(wc, "bob", PASS_2A), 0);
	webconfig_auth_counts(wc, &refused, &throttled);
	cr_assert_eq(refused + throttled, 41);
	usleep(300 * 1000); /* more than one token at 4 a second */
	cr_assert_eq(webconfig_auth(wc, "bob", PASS_2A), 1);
	webconfig_free(wc);
}

/*
 * http_server_config.headers: the toolkit's five, any case, kept with
 * their spelling; others and control characters refused at their place.
 */
Test(webconfig, headers)
{
	struct webconfig *wc;
	char		  path[256], err[4096], *want;

	wc = load_text("http_server_config:\n  headers:\n"
		       "    x-frame-options: deny\n"
		       "    Content-Security-Policy: \"default-src 'self'\"\n",
	    path, sizeof(path), err, sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	cr_assert_eq(wc->nheaders, 2);
	cr_assert_str_eq(wc->headers[0].name, "X-Frame-Options");
	cr_assert_str_eq(wc->headers[0].value, "deny");
	cr_assert_str_eq(wc->headers[1].name, "Content-Security-Policy");
	cr_assert_str_eq(wc->headers[1].value, "default-src 'self'");
	webconfig_free(wc);

	wc = load_text("http_server_config:\n  headers:\n"
		       "    Set-Cookie: a=b\n"
		       "    X-XSS-Protection: \"1\\nX: y\"\n"
		       "  http3: yes\n",
	    path, sizeof(path), err, sizeof(err));
	cr_assert_null(wc);
	want =
	    expand("@:3:5: headers: \"Set-Cookie\" cannot be set (these "
		   "can: Content-Security-Policy, Strict-Transport-Security, "
		   "X-Content-Type-Options, X-Frame-Options, "
		   "X-XSS-Protection)\n"
		   "@:4:23: headers: the value of X-XSS-Protection is empty "
		   "or holds a control character\n"
		   "@:5:3: http_server_config: unknown key \"http3\" "
		   "(expected headers or http2)",
		path);
	cr_assert_str_eq(err, want);
	free(want);
}

/* What the files were when read, and the change of one seen. */
Test(webconfig, stamps)
{
	struct file_stamp now[3];
	struct webconfig *wc;
	char		  path[256], tmp[300], err[4096];

	wc = load_text("basic_auth_users: {}\n", path, sizeof(path), err,
	    sizeof(err));
	cr_assert_not_null(wc, "%s", err);
	webconfig_disk(wc, now);
	cr_assert_eq(memcmp(now, wc->stamps, sizeof(now)), 0);
	cr_assert_eq(now[0].missing, 0);
	cr_assert_neq(now[0].ino, 0);
	/* Another file renamed over it: another inode. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	tu_write_str(tmp, "basic_auth_users: {}\n");
	cr_assert_eq(rename(tmp, path), 0);
	webconfig_disk(wc, now);
	cr_assert_neq(memcmp(now, wc->stamps, sizeof(now)), 0);
	unlink(path);
	webconfig_disk(wc, now);
	cr_assert_eq(now[0].missing, 1);
	/* A reference more: freed at the last. */
	webconfig_free(webconfig_ref(wc));
	cr_assert_str_eq(wc->path, path);
	webconfig_free(wc);
}
