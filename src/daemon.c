/*
 * daemon.c: follow mode. The main thread follows the files and feeds each
 * line to the matcher under the registry lock, one line at a time, so a
 * scrape waits at most for one line. The HTTP thread renders the registry,
 * then the self-metrics, which the main thread refreshes after each poll.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "expose.h"
#include "http.h"
#include "input.h"
#include "journal.h"
#include "log.h"
#include "state.h"
#include "status.h"
#include "tail.h"

#define POLL_MS 200
#define PV_MAX	4096 /* paths whose path labels are kept */

static volatile sig_atomic_t got_stop, got_hup;

struct daemon {
	const struct daemon_opts *o;
	struct engine		 *e;
	struct tail		 *t; /* the files, in[0] when any */
	struct input		  in[INPUTS_MAX];
	size_t			  nin;
	int			  stdin_too; /* "-" among the paths */
	struct status		 *st;	     /* self-metrics, page */
	int			  ready;
	struct buf		  state_last; /* bytes of the last save */
	double			  state_next; /* monotonic time of the next */
	int			  state_failing;
	int64_t			  state_stamp; /* its positions' time */
	struct status_facts	  facts; /* state saves, the server's users */
	struct http		 *http;
	struct webconfig	 *web; /* in use, a reference of ours */
	struct file_stamp	  web_tried[3]; /* of a load that failed */
	double	   web_next;	/* monotonic time of the next look */
	struct buf rules_stamp; /* the rules files as loaded */
	double	   rules_next;	/* monotonic time of the next look */
	/* POST /-/reload: asked by the server's thread, done by ours. */
	pthread_mutex_t rlock;
	pthread_cond_t	rcond;
	uint64_t	rasked, rdone;
	int		rok;
	char		rerr[4096];
	struct pvcache *pv; /* path labels, per path */
	size_t		npv;
	size_t		pvlast; /* the last one used */
};

struct pvcache {
	char	   *path;
	struct str *v;
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static unsigned reload_request(struct daemon *, struct buf *);

static unsigned
render(void *arg, enum http_page page, enum expose_format fmt,
    const char *param, struct buf *out)
{
	struct daemon	*d = arg;
	struct registry *regs[2];

	if (page == HTTP_PAGE_EXPLAIN)
		return (unsigned)status_explain(d->st, d->e, param, out);
	if (page == HTTP_PAGE_RELOAD)
		return reload_request(d, out);
	if (page == HTTP_PAGE_LANDING || page == HTTP_PAGE_STATUS_JSON) {
		status_page(d->st, d->e, d->o->http.metrics_path,
		    page == HTTP_PAGE_STATUS_JSON, out);
		return 200;
	}
	regs[0] = d->e->reg;
	regs[1] = status_registry(d->st);
	/* In the order status_update() takes them. */
	registry_lock(regs[1]);
	registry_lock(regs[0]);
	expose_render(regs, 2, out, fmt, now_wall());
	registry_unlock(regs[0]);
	registry_unlock(regs[1]);
	return 200;
}

static int
ready(void *arg)
{
	struct daemon *d = arg;

	return d->ready;
}

static void
pv_clear(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->npv; i++) {
		free(d->pv[i].path);
		free(d->pv[i].v);
	}
	d->npv = 0;
}

/*
 * The values of the path labels of a path: matched once, then kept (up to
 * PV_MAX paths, then matched afresh). Lines come in runs per file, so the
 * last one used is tried first.
 */
static const struct str *
path_values(struct daemon *d, const char *path, int *fresh)
{
	size_t i;

	*fresh = 0;
	if (d->npv > 0 && strcmp(d->pv[d->pvlast].path, path) == 0)
		return d->pv[d->pvlast].v;
	for (i = 0; i < d->npv; i++)
		if (strcmp(d->pv[i].path, path) == 0) {
			d->pvlast = i;
			return d->pv[i].v;
		}
	if (d->npv == PV_MAX)
		pv_clear(d);
	d->pv = xreallocarray(d->pv, d->npv + 1, sizeof(*d->pv));
	d->pv[d->npv].path = xstrdup(path);
	d->pv[d->npv].v = engine_path_values(d->e, path);
	d->pvlast = d->npv++;
	*fresh = 1;
	return d->pv[d->pvlast].v;
}

static void
on_line(void *arg, struct tail_file *tf, const char *line, size_t len,
    const struct rtime *time)
{
	struct daemon	 *d = arg;
	const struct str *pv = NULL;
	double		  now;
	int		  fresh = 0, matched;

	if (d->e->npl > 0)
		pv = path_values(d, tf->path, &fresh);
	/* The matcher is the HTTP thread's too while it explains a line. */
	registry_lock(d->e->reg);
	if (d->e->npl > 0)
		matcher_source(d->e->m, pv, d->e->npl);
	if (fresh)
		engine_source(d->e, pv);
	matcher_wrapper_time(d->e->m, time);
	now = now_wall();
	matched = matcher_line(d->e->m, line, len, now);
	registry_unlock(d->e->reg);
	if (matched == 0)
		status_unmatched(d->st, tf->path, line, len, now);
}

/*
 * Loads the rules again (a signal, a change on disk, a request): the
 * old ones go on when the new cannot be loaded. Returns 0, or -1 with
 * the reason in err. Notes what the rules files are now, so that a
 * change is not taken twice.
 */
static int
reload(struct daemon *d, const char *why, char *err, size_t errlen)
{
	int rc;

	rc = engine_reload(d->e, &d->o->eng, err, errlen);
	buf_reset(&d->rules_stamp);
	rules_stamp(d->o->eng.rules, d->o->eng.nrules, &d->rules_stamp);
	if (rc == -1) {
		status_reload(d->st, err);
		log_warnx("reload (%s) failed, the old rules keep running:\n%s",
		    why, err);
		return -1;
	}
	status_reload(d->st, NULL);
	pv_clear(d); /* the initial series of each source made again */
	log_info("rules reloaded (%s): %zu metrics, %zu rules", why,
	    d->e->rs->ndecls, d->e->rs->nrules);
	return 0;
}

/*
 * Every RULES_LOOK seconds, reloads the rules when their files are not
 * those loaded, as a ConfigMap update leaves them (its "..data" link
 * re-pointed), with no signal.
 */
#define RULES_LOOK 2.0
static void
rules_watch(struct daemon *d)
{
	struct buf now;
	char	   err[4096];

	if (now_mono() < d->rules_next)
		return;
	d->rules_next = now_mono() + RULES_LOOK;
	buf_init(&now);
	rules_stamp(d->o->eng.rules, d->o->eng.nrules, &now);
	if (now.len != d->rules_stamp.len ||
	    (now.len > 0 && memcmp(now.p, d->rules_stamp.p, now.len) != 0))
		(void)reload(d, "the rules changed on disk", err, sizeof(err));
	buf_free(&now);
}

/* A reload the server's thread asked for: done, the answer handed back. */
static void
reload_asked(struct daemon *d)
{
	char	 err[4096];
	uint64_t asked;
	int	 rc;

	pthread_mutex_lock(&d->rlock);
	asked = d->rasked;
	pthread_mutex_unlock(&d->rlock);
	if (asked == d->rdone)
		return;
	rc = reload(d, "POST /-/reload", err, sizeof(err));
	pthread_mutex_lock(&d->rlock);
	d->rok = rc == 0;
	snprintf(d->rerr, sizeof(d->rerr), "%s", rc == 0 ? "" : err);
	d->rdone = asked;
	pthread_cond_broadcast(&d->rcond);
	pthread_mutex_unlock(&d->rlock);
}

/*
 * POST /-/reload, on the server's thread: asks the follow loop and waits
 * for its answer (30 s at most). 200 and "OK", or 500 and why.
 */
static unsigned
reload_request(struct daemon *d, struct buf *out)
{
	struct timespec until;
	uint64_t	ticket;
	unsigned	code = 503;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&d->rlock);
	ticket = ++d->rasked;
	while (d->rdone < ticket &&
	    pthread_cond_timedwait(&d->rcond, &d->rlock, &until) == 0)
		;
	if (d->rdone >= ticket) {
		code = d->rok ? 200 : 500;
		buf_puts(out, d->rok ? "OK\n" : d->rerr);
		if (!d->rok)
			buf_putc(out, '\n');
	} else
		buf_puts(out, "the reload did not end within 30 s\n");
	pthread_mutex_unlock(&d->rlock);
	return code;
}

/*
 * Saves the state when it changed since the last save. The snapshot is
 * taken between two lines under the registry lock, so that offsets and
 * values describe the same lines; the file is written (fsync, rename,
 * fsync of the directory) after the lock is released.
 */
struct positions {
	struct state_pos *v;
	size_t		  n;
};

/* Adds a position, encoded by its input, to the state's. */
static void
position_add(void *arg, const char *kind, uint64_t version, const char *data,
    size_t len)
{
	struct positions *ps = arg;
	struct state_pos *sp;

	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	sp = &ps->v[ps->n++];
	memset(sp, 0, sizeof(*sp));
	sp->kind = xstrdup(kind);
	sp->version = version;
	sp->len = len;
	sp->data = xmalloc(len + 1);
	memcpy(sp->data, data, len);
	sp->data[len] = '\0';
}

/* The snapshot of now in b, its positions stamped with stamp. */
static void
snapshot(struct daemon *d, struct buf *b, int64_t stamp)
{
	struct positions ps = { NULL, 0 };
	size_t		 i;

	registry_lock(d->e->reg);
	for (i = 0; i < d->nin; i++)
		if (d->in[i].positions != NULL)
			d->in[i].positions(d->in[i].self, stamp, position_add,
			    &ps);
	state_snapshot(b, d->e->reg, ps.v, ps.n);
	registry_unlock(d->e->reg);
	state_pos_free(ps.v, ps.n);
}

static void
save_state(struct daemon *d)
{
	struct buf b;
	int64_t	   stamp = d->state_stamp;

	d->state_next = now_mono() + d->o->state_interval;
	buf_init(&b);
	/*
	 * Positions carry the time of their snapshot: stamped with the time
	 * of the last save, a snapshot that equals it means nothing changed,
	 * and the file is left as it is.
	 */
	snapshot(d, &b, stamp);
	if (stamp == 0 || d->state_failing || b.len != d->state_last.len ||
	    memcmp(b.p, d->state_last.p, b.len) != 0) {
		buf_reset(&b);
		stamp = tail_clock();
		snapshot(d, &b, stamp);
	}
	/* The same bytes as on disk: the file holds the state of now. */
	if (!d->state_failing && b.len == d->state_last.len &&
	    memcmp(b.p, d->state_last.p, b.len) == 0) {
		buf_free(&b);
		d->facts.state_ok++;
		d->facts.state_time = now_wall();
		return;
	}
	if (write_atomic(d->o->state_file, b.p, b.len) == -1) {
		if (!d->state_failing)
			log_warn("cannot save the state to %s",
			    d->o->state_file);
		d->state_failing = 1;
		d->facts.state_err++;
		buf_free(&b);
		return;
	}
	d->facts.state_ok++;
	d->facts.state_time = now_wall();
	d->state_stamp = stamp;
	if (d->state_failing)
		log_info("state saved to %s again", d->o->state_file);
	d->state_failing = 0;
	buf_free(&d->state_last);
	d->state_last = b;
}

/*
 * Restores the state file, if any, before the first line is read, then
 * saves a first snapshot at once: a file that appears from now on is
 * unknown to it, so that a restart reads it from its start.
 */
/*
 * Decodes the file positions of st into pos (paths owned by paths) and
 * the records half-joined into recs (*nrecs of them, each to be freed,
 * also on failure). A position of another kind, from a later logmetrics
 * with more sources, is skipped and said. Returns how many files, or -1
 * with err saying where the first that cannot be decoded is.
 */
static ssize_t
positions_decode(const char *path, const struct state *st, size_t maxline,
    struct tail_pos *pos, char **paths, struct input_record *recs,
    size_t *nrecs, struct journal_pos *jpos, size_t *njpos, char *err,
    size_t errlen)
{
	const struct state_pos *p;
	struct input_record    *ir;
	char			why[256];
	size_t			i, n = 0, at;

	for (i = 0; i < st->npos; i++) {
		p = &st->pos[i];
		if (strcmp(p->kind, RECORD_POS_KIND) == 0) {
			ir = &recs[(*nrecs)++];
			record_init(&ir->rec, RECORD_PLAIN, maxline, NULL);
			if (record_pos_decode(p->version, p->data, p->len,
				&ir->rec, &ir->log, &at, why,
				sizeof(why)) == -1) {
				state_pos_err(path, p, at, why, err, errlen);
				return -1;
			}
			continue;
		}
		if (strcmp(p->kind, JOURNAL_POS_KIND) == 0) {
			if (journal_pos_decode(p->version, p->data, p->len,
				&jpos[*njpos], &at, why, sizeof(why)) == -1) {
				state_pos_err(path, p, at, why, err, errlen);
				return -1;
			}
			(*njpos)++;
			continue;
		}
		if (strcmp(p->kind, TAIL_POS_KIND) != 0) {
			log_warnx("state file %s: byte %zu (line %zu): a "
				  "position of kind %s, unknown here: skipped",
			    path, p->off, p->line, p->kind);
			continue;
		}
		if (p->version < 1 || p->version > TAIL_POS_VERSION) {
			snprintf(err, errlen,
			    "%s: byte %zu (line %zu): %s "
			    "position version %llu; this logmetrics reads "
			    "versions 1 to %d",
			    path, p->voff, p->line, p->kind,
			    (unsigned long long)p->version, TAIL_POS_VERSION);
			return -1;
		}
		if (tail_pos_decode(p->version, p->data, p->len, &pos[n],
			&paths[n], &at, why, sizeof(why)) == -1) {
			state_pos_err(path, p, at, why, err, errlen);
			return -1;
		}
		n++;
	}
	return (ssize_t)n;
}

/*
 * Each followed journal where the state says, or from the state's time
 * when it has no place for it.
 */
static void
journals_restore(struct daemon *d, const struct journal_pos *jpos, size_t n,
    double saved)
{
	const struct journal_pos *p;
	const char		 *arg;
	char			  err[512];
	size_t			  i, k;

	for (i = 0; i < d->nin; i++) {
		if ((arg = input_journal_arg(&d->in[i])) == NULL)
			continue;
		for (k = 0, p = NULL; k < n && p == NULL; k++)
			if (strcmp(jpos[k].arg, arg) == 0)
				p = &jpos[k];
		if (p == NULL)
			log_info("%s: no place for it in the state: the "
				 "entries since the state was saved are read",
			    arg);
		if (input_journal_restore(&d->in[i], p, saved, err,
			sizeof(err)) == -1)
			log_warnx("%s", err);
	}
}

static void
load_state(struct daemon *d)
{
	struct state_report  rep;
	struct tail_restore  tr, *f = &tr;
	struct tail_pos	    *pos;
	struct input_record *recs;
	struct journal_pos  *jpos;
	struct state	     st;
	char		     err[2048], **paths;
	ssize_t		     n = 0, i;
	size_t		     nrecs = 0, njpos = 0, k, resumed = 0;
	int		     rc;

	memset(&tr, 0, sizeof(tr));
	registry_lock(d->e->reg);
	rc = state_read(d->o->state_file, &st, err, sizeof(err));
	pos = xcalloc(st.npos + 1, sizeof(*pos));
	paths = xcalloc(st.npos + 1, sizeof(*paths));
	recs = xcalloc(st.npos + 1, sizeof(*recs));
	jpos = xcalloc(st.npos + 1, sizeof(*jpos));
	if (rc == 0 &&
	    (n = positions_decode(d->o->state_file, &st, d->o->tail.max_line,
		 pos, paths, recs, &nrecs, jpos, &njpos, err, sizeof(err))) ==
		-1)
		rc = state_set_aside(d->o->state_file, err, sizeof(err));
	if (rc == 0)
		rc = state_apply(d->o->state_file, &st, d->e->reg, &rep, err,
		    sizeof(err));
	registry_unlock(d->e->reg);
	/* Files found in their rotations are read now, before any other. */
	if (rc == 0 && d->t != NULL)
		resumed = input_files_restore(&d->in[0], pos, (size_t)n, recs,
		    nrecs, st.saved, on_line, d, &tr);
	if (rc == 0)
		journals_restore(d, jpos, njpos, st.saved);
	for (k = 0; k < njpos; k++)
		journal_pos_free(&jpos[k]);
	free(jpos);
	for (i = 0; i < n; i++)
		free(paths[i]);
	for (k = 0; k < nrecs; k++) {
		free(recs[k].log);
		record_free(&recs[k].rec);
	}
	free(recs);
	free(paths);
	free(pos);
	state_free(&st);
	if (rc == -1)
		log_warnx("state file %s; starting without it", err);
	else if (rc == 1)
		log_info("no state file %s yet: starting afresh",
		    d->o->state_file);
	else {
		log_info("state restored from %s: %zu series of %zu metrics; "
			 "files: %zu resumed, %zu renamed, %zu copied, "
			 "%zu truncated, %zu new, %zu gone, %zu compressed, "
			 "%zu rotated since",
		    d->o->state_file, rep.series, rep.metrics, f->resumed,
		    f->rotated, f->copied, f->truncated, f->fresh, f->lost,
		    f->compressed, f->later);
		if (resumed > 0)
			log_info("%zu record%s half-joined at the save taken "
				 "up again",
			    resumed, resumed == 1 ? "" : "s");
		if (f->lost > 0)
			log_warnx(
			    "%zu file%s of the state gone while down, "
			    "with at least %llu bytes not read: counted in "
			    "logmetrics_files_lost_total",
			    f->lost, f->lost == 1 ? "" : "s",
			    (unsigned long long)f->lost_bytes);
		if (f->gzerr[0] != '\0')
			log_warnx("a compressed rotation could not be read to "
				  "its end: %s",
			    f->gzerr);
		if (rep.rules_changed)
			log_info("the rules changed since the state was "
				 "saved: %zu metrics of it not restored",
			    rep.ignored);
		if (rep.refused > 0)
			log_warnx("%zu series of the state refused by the "
				  "series limits",
			    rep.refused);
	}
	d->facts.state_on = 1;
	save_state(d);
}

/*
 * Opens the inputs: the followed paths, and standard input when one is
 * "-". Returns 0, or -1 with the reason logged.
 */
static int
follow_open(struct daemon *d)
{
	const struct daemon_opts *o = d->o;
	struct record_kind	 *kinds;
	const char		**paths;
	char			  err[1024];
	size_t			  i, n = 0;
	int			  rc = 0;

	paths = xcalloc(o->npaths + 1, sizeof(*paths));
	kinds = xcalloc(o->npaths + 1, sizeof(*kinds));
	for (i = 0; i < o->npaths; i++) {
		if (strcmp(o->paths[i], "-") == 0)
			d->stdin_too = 1;
		else if (journal_arg(o->paths[i]))
			continue; /* an input of its own, below */
		else {
			paths[n] = record_prefix(o->paths[i], &kinds[n]);
			n++;
		}
	}
	if (n > 0) {
		d->t = tail_new(&o->tail, paths, n, err, sizeof(err));
		if (d->t == NULL) {
			log_warnx("%s", err);
			rc = -1;
		} else
			d->in[d->nin++] = input_files(d->t, kinds, n,
			    o->tail.max_line);
	}
	if (rc == 0 && d->stdin_too) {
		if (input_stdin(&d->in[d->nin], o->tail.max_line) == -1) {
			log_warn("standard input");
			rc = -1;
		} else
			d->nin++;
	}
	for (i = 0; i < o->npaths && rc == 0; i++) {
		if (!journal_arg(o->paths[i]))
			continue;
		if (input_journal(&d->in[d->nin], o->paths[i], o->journal_dir,
			o->tail.max_line, o->tail.from_start, err,
			sizeof(err)) == -1) {
			log_warnx("%s", err);
			rc = -1;
		} else
			d->nin++;
	}
	free(kinds);
	free(paths);
	return rc;
}

/* SIGTERM and SIGINT stop, SIGHUP reloads, SIGPIPE is ignored. */
static void
signals_catch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Starts the HTTP server, with the web configuration when there is one.
 * Returns 0, or the exit status with the reason logged: 2 for a bad web
 * configuration, 1 when the server cannot start.
 */
static int
serve(struct daemon *d, struct http **h)
{
	const struct daemon_opts *o = d->o;
	struct http_opts	  ho;
	sigset_t		  block, old;
	char			  err[1024];
	size_t			  n;

	/* The server's threads inherit a mask without our signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ho = o->http;
	ho.web = NULL;
	if (o->web_config != NULL &&
	    (ho.web = webconfig_load(o->web_config, err, sizeof(err))) ==
		NULL) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_warnx("%s", err);
		return 2;
	}
	if (ho.web != NULL && ho.web->warnings != NULL)
		log_warnx("%s", ho.web->warnings);
	d->web = ho.web != NULL ? webconfig_ref(ho.web) : NULL;
	*h = http_start(&ho, render, ready, d, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (*h == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	d->http = *h;
	d->facts.web = d->web; /* ours, kept until the end */
	d->facts.web_current = 1;
	n = o->npaths - (size_t)d->stdin_too;
	if (n == 0)
		log_info("listening on %s, port %d; following standard input",
		    o->http.listen, http_port(*h));
	else
		log_info("listening on %s, port %d; following %zu path%s%s",
		    o->http.listen, http_port(*h), n, n == 1 ? "" : "s",
		    d->stdin_too ? " and standard input" : "");
	return 0;
}

/*
 * Every WEB_LOOK seconds, loads the web configuration again when it, or
 * the certificate or key it names, is another file than the one in use,
 * and hands it to the server. A file that cannot be loaded is said once
 * (with every error at its place), and the one in use stays.
 */
#define WEB_LOOK 2.0
static void
web_reload(struct daemon *d)
{
	struct file_stamp now[3];
	struct webconfig *web;
	char		  err[4096];

	if (d->web == NULL || now_mono() < d->web_next)
		return;
	d->web_next = now_mono() + WEB_LOOK;
	webconfig_disk(d->web, now);
	if (memcmp(now, d->web->stamps, sizeof(now)) == 0) {
		d->facts.web_current = 1; /* back as it was */
		return;
	}
	if (memcmp(now, d->web_tried, sizeof(now)) == 0)
		return;
	memcpy(d->web_tried, now, sizeof(now));
	if ((web = webconfig_load(d->o->web_config, err, sizeof(err))) ==
		NULL ||
	    http_set_web(d->http, webconfig_ref(web), err, sizeof(err)) == -1) {
		webconfig_free(web);
		d->facts.web_err++;
		d->facts.web_current = 0;
		log_warnx("the web configuration changed and is not used: "
			  "the one loaded before stays:\n%s",
		    err);
		return;
	}
	if (web->warnings != NULL)
		log_warnx("%s", web->warnings);
	webconfig_free(d->web);
	d->web = d->facts.web = web;
	d->facts.web_ok++;
	d->facts.web_current = 1;
	memset(d->web_tried, 0, sizeof(d->web_tried));
	log_info("web configuration %s loaded again%s", d->o->web_config,
	    web->cert_pem != NULL ? ": new handshakes get its certificate" :
				    "");
}

/*
 * The follow loop, until SIGTERM or SIGINT: lines, reloads, expiry,
 * state saves and the status after each poll. Returns 0, or -1 when
 * following failed.
 */
static int
follow(struct daemon *d)
{
	struct registry *reg = d->e->reg;
	const char	*failed = NULL;
	char		 err[4096];

	while (!got_stop) {
		if (inputs_poll(d->in, d->nin, POLL_MS, on_line, d, &failed) ==
		    -1) {
			log_warn("following: %s failed", failed);
			return -1;
		}
		if (got_hup) {
			got_hup = 0;
			(void)reload(d, "SIGHUP", err, sizeof(err));
		}
		rules_watch(d);
		reload_asked(d);
		web_reload(d);
		/* Metrics may also expire series by their own rule. */
		registry_lock(reg);
		registry_expire(reg, now_wall(), d->o->eng.series_expiry);
		registry_unlock(reg);
		if (d->facts.state_on && now_mono() >= d->state_next)
			save_state(d);
		status_update(d->st, d->e, d->in, d->nin, &d->facts);
		d->ready = 1;
	}
	log_info("stopping");
	return 0;
}

int
daemon_run(struct engine *e, const struct daemon_opts *o)
{
	struct daemon d;
	struct http  *h = NULL;
	size_t	      i;
	int	      rc = 1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.e = e;
	/* Scraped again and again: keep each series' labels escaped. */
	e->reg->cache_labels = 1;
	d.st = status_new();
	buf_init(&d.rules_stamp);
	rules_stamp(o->eng.rules, o->eng.nrules, &d.rules_stamp);
	d.rules_next = now_mono() + RULES_LOOK;
	pthread_mutex_init(&d.rlock, NULL);
	pthread_cond_init(&d.rcond, NULL);
	if (follow_open(&d) == 0) {
		if (o->state_file != NULL)
			load_state(&d);
		signals_catch();
		if ((rc = serve(&d, &h)) == 0)
			rc = follow(&d) == 0 ? 0 : 1;
	}
	if (h != NULL)
		http_stop(h);
	webconfig_free(d.web);
	buf_free(&d.rules_stamp);
	pthread_mutex_destroy(&d.rlock);
	pthread_cond_destroy(&d.rcond);
	if (d.facts.state_on)
		save_state(&d);
	buf_free(&d.state_last);
	pv_clear(&d);
	free(d.pv);
	for (i = 0; i < d.nin; i++)
		d.in[i].free(d.in[i].self);
	status_free(d.st);
	return rc;
}
