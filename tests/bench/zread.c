/*
 * zread.c: decompresses gzip files with zlib's gzread() and discards the
 * bytes, the reference for how fast zlib itself inflates a file on this
 * machine.  make bench compares logmetrics --one-shot on FILE.gz with it.
 * Prints the number of uncompressed bytes read, so that the caller can
 * check the whole file was read.
 *
 *	zread file.gz ...
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#define BUFBYTES (256u * 1024)

/*
 * Reads the gzip file at path to its end into buf, adding the number of
 * uncompressed bytes to *total.  Returns 0, or -1 after printing why.
 */
static int
inflate_file(const char *path, char *buf, unsigned long long *total)
{
	gzFile gz;
	int    n, errnum, rc = -1;

	if ((gz = gzopen(path, "rb")) == NULL) {
		warn("%s", path);
		return -1;
	}
	if (gzbuffer(gz, BUFBYTES) == -1) {
		warnx("%s: gzbuffer failed", path);
		goto done;
	}
	while ((n = gzread(gz, buf, BUFBYTES)) > 0)
		*total += (unsigned long long)n;
	if (n < 0) {
		warnx("%s: %s", path, gzerror(gz, &errnum));
		goto done;
	}
	rc = 0;
done:
	gzclose(gz);
	return rc;
}

int
main(int argc, char *argv[])
{
	unsigned long long total = 0;
	char		  *buf;
	int		   i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: zread file.gz ...\n");
		return 2;
	}
	if ((buf = malloc(BUFBYTES)) == NULL)
		err(1, "malloc");
	for (i = 1; i < argc; i++)
		if (inflate_file(argv[i], buf, &total) == -1)
			rc = 1;
	free(buf);
	printf("%llu\n", total);
	return rc;
}
