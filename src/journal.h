/*
 * journal.h: the systemd journal as a source of records, through
 * libsystemd's sd-journal. An argument "journal:MATCH[,MATCH...]" names
 * the entries whose fields match: each MATCH is FIELD=VALUE, matches of
 * different fields must all hold, those of one field are alternatives
 * (as journalctl takes them); no match at all names every entry. A ','
 * or '\' in a value is written "\," or "\\". An entry's record is its
 * MESSAGE, the bytes as stored (a line end dropped: "\n", "\r\n"), and its
 * time __REALTIME_TIMESTAMP.
 */
#ifndef LOGMETRICS_JOURNAL_H
#define LOGMETRICS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"

#define JOURNAL_PREFIX "journal:"

/* Journal arguments follow mode reads: the files and stdin take two. */
#define JOURNALS_MAX (INPUTS_MAX - 2)

/* Whether a file argument names journal entries. */
int journal_arg(const char *arg);

struct journal_match {
	char  *data; /* "FIELD=VALUE", as sd_journal_add_match() takes it */
	size_t len;
};

struct journal_spec {
	struct journal_match *m;
	size_t		      n;
};

/*
 * Parses the matches of a journal argument (its text after the prefix).
 * Returns 0, or -1 with *col (1-based, in the argument, prefix included)
 * and a message in err.
 */
int  journal_spec_parse(const char *arg, struct journal_spec *, size_t *col,
     char *err, size_t errlen);
void journal_spec_free(struct journal_spec *);

struct journal_stats {
	uint64_t entries;   /* records delivered */
	uint64_t nomessage; /* entries without a MESSAGE: skipped */
	uint64_t toolong;   /* MESSAGE over the cap: skipped */
};

/* An entry's record and its time, in Unix seconds. */
typedef void journal_fn(void *arg, const char *rec, size_t len, double time);

/*
 * Reads every entry arg names, oldest first, from the journal files of
 * dir, or from the system's journal (this machine's) when dir is NULL;
 * records over maxline bytes are skipped and counted. Returns 0, or -1
 * with a message naming the source in err (what was read before counts).
 */
int journal_read(const char *arg, const char *dir, size_t maxline,
    journal_fn *fn, void *fnarg, struct journal_stats *, char *err,
    size_t errlen);

/*
 * Follow mode: the entries arg names as an input, woken by the journal's
 * own descriptor, from its end, or from its start with from_start. Its
 * file, as the self-metrics show it, is arg: lines are entries read,
 * bytes their records', lines too long the entries over maxline. Returns
 * 0, or -1 with a message in err.
 */
int input_journal(struct input *, const char *arg, const char *dir,
    size_t maxline, int from_start, char *err, size_t errlen);

/* The argument a journal input follows, or NULL when it is no journal. */
const char *input_journal_arg(const struct input *);

/*
 * The place of a followed journal, as restart state keeps it with the
 * values (see state.h): the kind and the version of the encoding, then
 * the fields "ARG" "CURSOR" SINCE: the argument, sd-journal's cursor of
 * the last entry read, and before any, the realtime in microseconds from
 * which entries were to be read (0: none).
 */
#define JOURNAL_POS_KIND    "journal"
#define JOURNAL_POS_VERSION 1

struct journal_pos {
	char	*arg;
	char	*cursor; /* "" when none */
	uint64_t since;
};

/*
 * Decodes a saved place into *pos (its strings allocated). Returns 0, or
 * -1 with *at, the offset in data of what is wrong, and a message in err.
 */
int  journal_pos_decode(uint64_t version, const char *data, size_t len,
     struct journal_pos *, size_t *at, char *err, size_t errlen);
void journal_pos_free(struct journal_pos *);

/*
 * Puts a followed journal where restart state says: after the entry of
 * the saved cursor, so that a restart neither loses nor reads again an
 * entry; with no cursor saved, at the entries written since the saved
 * realtime, or since saved (the state's time, Unix seconds) when pos is
 * NULL, the state having no place for this argument. When the cursor's
 * entry left the journal while down, the entries after it that left with
 * it are counted as lost (the file's lost count) and said at the first
 * read. Returns 0, or -1 with a message in err.
 */
int input_journal_restore(struct input *, const struct journal_pos *pos,
    double saved, char *err, size_t errlen);

#endif
