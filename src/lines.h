/*
 * lines.h: splits a byte stream into lines. Bytes are read straight into
 * the splitter's buffer; complete lines come out without copying, CR
 * before LF stripped. A line longer than the cap is counted and skipped
 * whole (its head is not delivered), and the line after it is read
 * normally, so memory stays bounded for a file that never writes a newline.
 */
#ifndef LOGMETRICS_LINES_H
#define LOGMETRICS_LINES_H

#include <stddef.h>
#include <stdint.h>

struct lines {
	char	   *buf;
	size_t	    start; /* first byte not yet delivered */
	size_t	    end;   /* bytes in buf */
	size_t	    cap;
	size_t	    maxline;
	size_t	    scan;     /* where to resume looking for LF */
	int	    skipping; /* inside an over-long line */
	uint64_t    toolong;  /* over-long lines skipped */
	uint64_t    consumed; /* bytes of every line delivered or skipped */
	const char *ext;      /* lent bytes not yet split */
	size_t	    extlen;
	int	    lent; /* the last line is in the lent bytes */
};

/* maxline is the longest line delivered, in bytes (LF excluded). */
void lines_init(struct lines *, size_t maxline);
void lines_free(struct lines *);
/* Forgets any partial line (the file was truncated or replaced). */
void lines_reset(struct lines *);

/*
 * Space to read into: at least 4 KiB, *avail set to its size. Valid until
 * lines_commit(). Old delivered bytes are moved out of the way first.
 */
char *lines_space(struct lines *, size_t *avail);
void  lines_commit(struct lines *, size_t n);

/*
 * Lends the splitter n bytes at p instead of reading into its buffer:
 * lines_next() delivers the lines that lie whole inside them in place,
 * joins the first to a partial line already buffered, and copies the bytes
 * after the last LF into the buffer before it returns NULL. The caller
 * keeps the bytes valid until then.
 */
void lines_attach(struct lines *, const char *p, size_t n);

/*
 * The next complete line, or NULL when the buffer and the lent bytes hold
 * none. *len gets its length without LF (and without a CR before it).
 * A line in the lent bytes (l->lent set) stays valid as long as they do;
 * one in the buffer until the next lines_space() or lines_attach(), or,
 * while lent bytes remain (l->ext set), the next lines_next().
 */
const char *lines_next(struct lines *, size_t *len);

/* Bytes buffered that do not yet form a complete line. */
size_t lines_pending(const struct lines *);

#endif
