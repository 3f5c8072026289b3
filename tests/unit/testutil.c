/*
 * testutil.c: the unit tests' shared scaffolding.
 */
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

#define TU_MAXDIRS 16

static char tu_dirs[TU_MAXDIRS][64];
static int  tu_ndirs;

const char *
tu_tmpdir(const char *prefix)
{
	char *d;

	cr_assert_lt(tu_ndirs, TU_MAXDIRS, "more than %d directories",
	    TU_MAXDIRS);
	d = tu_dirs[tu_ndirs];
	cr_assert_lt((size_t)snprintf(d, sizeof(tu_dirs[0]), "/tmp/%s.XXXXXX",
			 prefix),
	    sizeof(tu_dirs[0]), "prefix too long: %s", prefix);
	cr_assert_not_null(mkdtemp(d), "mkdtemp %s: %s", d, strerror(errno));
	tu_ndirs++;
	return d;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tu_cleanup(void)
{
	while (tu_ndirs > 0) {
		tu_ndirs--;
		nftw(tu_dirs[tu_ndirs], rm_one, 16, FTW_DEPTH | FTW_PHYS);
		tu_dirs[tu_ndirs][0] = '\0';
	}
}

char *
tu_path(char *buf, size_t len, const char *dir, const char *name)
{
	cr_assert_lt((size_t)snprintf(buf, len, "%s/%s", dir, name), len,
	    "path too long: %s/%s", dir, name);
	return buf;
}

static void
put(const char *path, const void *data, size_t n, int flags)
{
	const char *p = data;
	ssize_t	    w;
	int	    fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	cr_assert_neq(fd, -1, "open %s: %s", path, strerror(errno));
	while (n > 0) {
		w = write(fd, p, n);
		cr_assert_gt(w, 0, "write %s: %s", path, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	cr_assert_eq(close(fd), 0, "close %s: %s", path, strerror(errno));
}

void
tu_write(const char *path, const void *data, size_t n)
{
	put(path, data, n, O_TRUNC);
}

void
tu_write_str(const char *path, const char *text)
{
	put(path, text, strlen(text), O_TRUNC);
}

void
tu_append_str(const char *path, const char *text)
{
	put(path, text, strlen(text), O_APPEND);
}

void
tu_fds(void (*fn)(int fd, const char *target, void *arg), void *arg)
{
	DIR	      *d;
	struct dirent *e;
	char	       target[PATH_MAX];
	ssize_t	       n;

	cr_assert_not_null(d = opendir("/proc/self/fd"));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		fn(atoi(e->d_name), target, arg);
	}
	closedir(d);
}

static void
count_one(int fd, const char *target, void *arg)
{
	(void)fd;
	(void)target;
	(*(int *)arg)++;
}

int
tu_count_fds(void)
{
	int n = 0;

	tu_fds(count_one, &n);
	return n;
}

struct metric_decl
tu_decl(const char *name, const char *help, enum metric_type type,
    char **labels, size_t nlabels)
{
	struct metric_decl d;

	memset(&d, 0, sizeof(d));
	d.name = (char *)(uintptr_t)name;
	d.help = (char *)(uintptr_t)help;
	d.type = type;
	d.labels = labels;
	d.nlabels = nlabels;
	d.file = "test.rules";
	d.line = 1;
	return d;
}

struct registry *
tu_registry(const struct metric_decl *d, size_t n)
{
	struct registry *reg;
	char		 err[512];

	reg = registry_new();
	registry_lock(reg);
	cr_assert_eq(registry_sync(reg, d, n, err, sizeof(err)), 0, "%s", err);
	registry_unlock(reg);
	return reg;
}

const char tu_tls_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBmzCCAUGgAwIBAgIUYqFGAtSUN1gOK5qIrByIWINw7P0wCgYIKoZIzj0EAwIw\n"
    "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTE1NTgzM1oYDzIxMjYxMTAx\n"
    "MTU1ODMzWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
    "PQMBBwNCAARiWmrJ8vQn+ExU1qaRFX6/g+FmNykzFPW7uuP9ZE7IlP0k9VuNFG3a\n"
    "F7EVPV+M9u91vZH7cJIBzyKiMwtRziA0o28wbTAdBgNVHQ4EFgQUU1t7rurMRZNF\n"
    "0NQFMwJRO1IGNe8wHwYDVR0jBBgwFoAUU1t7rurMRZNF0NQFMwJRO1IGNe8wDwYD\n"
    "VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI\n"
    "zj0EAwIDSAAwRQIhAPvpJCGPH3mr7XyqBXFNhsKBWA3oZcmzF2rxLrTvjyT6AiBk\n"
    "i71Dkyz7nGIUg/Cz74tLRqb/+wuE7DbtYqP31vpzHQ==\n"
    "-----END CERTIFICATE-----\n";

const char tu_tls_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBd9h25klyiGMrpin\n"
    "s3I/yo8Y0CXM5PNZtE62EfaT26WhRANCAARiWmrJ8vQn+ExU1qaRFX6/g+FmNykz\n"
    "FPW7uuP9ZE7IlP0k9VuNFG3aF7EVPV+M9u91vZH7cJIBzyKiMwtRziA0\n"
    "-----END PRIVATE KEY-----\n";

/* A valid key, but not the certificate's. */
const char tu_other_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+cWwqgtiGtci7nbk\n"
    "DKNN36AXlvm6fYtzMoidJjBbu7KhRANCAAQotiDS8jRea4YUriX/u//W0wFBTIT9\n"
    "AoeROZSKgHx6I5taiMQUrKXkocmIN/W+tc1bIKSy+oVFSFbcRYuBJUYh\n"
    "-----END PRIVATE KEY-----\n";

void
tu_gz_member(struct buf *out, const char *data, size_t n)
{
	z_stream      zs;
	unsigned char chunk[4096];
	int	      rc;

	memset(&zs, 0, sizeof(zs));
	cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY),
	    Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (unsigned)n;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		cr_assert(rc == Z_OK || rc == Z_STREAM_END);
		buf_append(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
}
