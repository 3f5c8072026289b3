/*
 * genlog.c: writes a synthetic log of the Bytelyst trading bot to stdout,
 * pino-style JSON lines as LOG-CONTRACT.md describes them: operational
 * events, subsystem cycles, exchange API calls, capital snapshots and
 * invariant violations, reconciliation summaries, and a majority of
 * chatter that feeds no metric but looks like the records that do.
 *
 * The output depends only on the flags: the same flags give the same
 * bytes. With --hazards about 2 % of the lines are what real files also
 * hold: lines cut by a crash, blank lines, CRLF ends, very long lines,
 * bytes that are not UTF-8, plain-text runtime warnings, hostile label
 * values, duplicate keys and numbers written as strings; the last line
 * then has no newline.
 *
 *	genlog [-n lines] [-s seed] [-c chatter%] [--hazards] [--iso]
 *	    [--start epoch_ms] [--symbols n] [--profiles n]
 *	    [--subsystems name,...] [--long-bytes n]
 *
 * -n lines (100000), -s seed (1), -c percent of chatter lines (70),
 * --iso writes "time" as RFC 3339 text, --start the first epoch_ms
 * (1764020763412; 0-5 ms pass per line), --symbols distinct symbols
 * (20; beyond the real pairs SYMnnnnn/USDT), --profiles distinct
 * profileIds (5), --subsystems the only subsystems scheduler lines name,
 * --long-bytes the size of the long err.stack hazard (200 KiB).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXFIELDS   48
#define FLUSH_AT    (4u * 1024 * 1024)
#define SMALL_ARENA (64u * 1024)

struct rng {
	uint64_t s;
};

/* One key of a record; its value is JSON text kept in the line's arena. */
struct field {
	const char *key;
	size_t	    keylen;
	size_t	    off;
	size_t	    len;
	int	    obj; /* the value is an object */
};

struct line {
	struct field f[MAXFIELDS];
	size_t	     n;
	char	    *arena;
	size_t	     alen;
	size_t	     acap;
};

struct gen {
	struct rng   r;
	uint64_t     ms; /* log time, epoch milliseconds */
	int	     iso;
	int	     hazards;
	unsigned     chatter; /* percent */
	size_t	     longbytes;
	char	   **sym; /* JSON-escaped symbols */
	uint32_t     nsym;
	uint32_t     nprof;
	const char **subsys; /* from --subsystems, or NULL */
	uint32_t     nsubsys;
	struct line  l;
	char	    *out;
	size_t	     olen;
	size_t	     ocap;
};

static const char *const base_symbols[] = {
	"BTC/USDT",
	"ETH/USDT",
	"SOL/USDT",
	"BNB/USDT",
	"XRP/USDT",
	"ADA/USDT",
	"DOGE/USDT",
	"AVAX/USDT",
	"DOT/USDT",
	"LINK/USDT",
	"LTC/USDT",
	"TRX/USDT",
	"ATOM/USDT",
	"NEAR/USDT",
	"ETH/BTC",
	"BTC/EUR",
	"ETH/EUR",
	"BTCUSDT",
	"ETHUSDT",
	"SOLUSDT",
};

static const char *const severities[] = {
	"DEBUG",
	"INFO",
	"WARNING",
	"ERROR",
	"CRITICAL",
};
static const unsigned severity_level[] = { 20, 30, 40, 50, 60 };

/* Event types, the severity they usually carry, and whether system-wide. */
static const struct evtype {
	const char *type;
	int	    sev;
	int	    system;
	const char *msg;
} evtypes[] = {
	{ "ORDER_PLACED", 1, 0, "order placed" },
	{ "ORDER_FILLED", 1, 0, "order filled" },
	{ "ORDER_CANCELLED", 2, 0, "order cancelled by strategy" },
	{ "ORDER_FAILURE", 3, 0,
	    "order rejected by exchange: insufficient balance" },
	{ "EXCHANGE_ERROR", 3, 1, "exchange returned HTTP 502" },
	{ "RISK_LIMIT_HIT", 2, 0, "daily loss limit reached" },
	{ "POSITION_OPENED", 1, 0, "position opened" },
	{ "POSITION_CLOSED", 1, 0, "position closed, pnl 12.4 USDT" },
	{ "STRATEGY_SIGNAL", 0, 0, "signal: buy strength 0.62" },
	{ "BALANCE_SYNCED", 0, 1, "balances synced" },
	{ "RATE_LIMITED", 2, 1, "rate limited, backing off 2000 ms" },
	{ "WS_RECONNECT", 2, 1, "websocket reconnected" },
	{ "CIRCUIT_BREAKER_OPEN", 4, 1, "circuit breaker open: 5 failures" },
	{ "SYSTEM_STARTED", 1, 1, "bot started" },
};

static const char *const exchanges[] = { "binance", "kraken", "coinbase" };
static const char *const operations[] = {
	"createOrder",
	"cancelOrder",
	"fetchBalance",
	"fetchTicker",
	"fetchOrderBook",
	"fetchOpenOrders",
	"fetchMyTrades",
	"fetchOHLCV",
};
static const char *const strategies[] = {
	"grid",
	"dca",
	"momentum",
	"mean-reversion",
	"arbitrage",
};
static const char *const other_subsys[] = { "housekeeping", "marketdata" };

/* Free text, already JSON-escaped: quotes, backslashes, UTF-8, emoji. */
static const char *const chatter_msgs[] = {
	"heartbeat",
	"websocket message received",
	"user said \\\"hello\\\" from C:\\\\bot\\\\logs",
	"caf\\u00e9 ouvert, donn\\u00e9es re\\u00e7ues",
	"donn\xc3\xa9"
	"es re\xc3\xa7ues: 3 ordres \xe2\x80\x94 \xc3\xa9tat stable",
	"launch \\ud83d\\ude80 to the moon",
	"raw emoji \xf0\x9f\x9a\x80 and \xe2\x9c\x93 check",
	"tab\\tseparated\\tvalues and a newline\\nsecond line",
	"\xe5\xb8\x82\xe5\xa0\xb4\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf "
	"received (\xd1\x80\xd1\x8b\xd0\xbd\xd0\xbe\xd0\xba)",
	"path \\/api\\/v3\\/order answered {\\\"code\\\":-2010}",
	"cache warmed in 12 ms",
	"strategy tick",
};

static const char *const node_lines[] = {
	"(node:4242) Warning: Setting the NODE_TLS_REJECT_UNAUTHORIZED "
	"environment variable to '0' makes TLS connections insecure.",
	"(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is "
	"deprecated. Please use a userland alternative instead.",
	"(Use `node --trace-warnings ...` to show where the warning was "
	"created)",
	"(node:4242) UnhandledPromiseRejectionWarning: Error: socket hang up",
	"(node:4242) MaxListenersExceededWarning: Possible EventEmitter "
	"memory leak detected. 11 close listeners added to [TLSSocket].",
};

/* Values that are not valid UTF-8 or that need escaping in a label. */
static const char *const bad_symbols[] = {
	"BTC\xff\xfe/USDT",
	"ETH\xc3/USDT",
	"we\\\"ird\\\\sym\\nbol",
	"\\\"quoted\\\"",
	"back\\\\slash\\\\",
	"multi\\nline\\n",
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform integer in [0, n). */
static uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint64_t
rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_next(r) % (hi - lo);
}

#define PICK(g, a)   ((a)[rng_below(&(g)->r, NELEM(a))])
#define NELEM(a)     (sizeof(a) / sizeof((a)[0]))
#define CHANCE(g, p) (rng_below(&(g)->r, 1000) < (p))

static void
a_need(struct line *l, size_t n)
{
	if (l->alen + n > l->acap)
		errx(1, "line arena overflow");
}

static void
a_mem(struct line *l, const char *s, size_t n)
{
	a_need(l, n);
	memcpy(l->arena + l->alen, s, n);
	l->alen += n;
}

static void
a_puts(struct line *l, const char *s)
{
	a_mem(l, s, strlen(s));
}

static void
a_putc(struct line *l, char c)
{
	a_need(l, 1);
	l->arena[l->alen++] = c;
}

static void
a_u64(struct line *l, uint64_t v)
{
	char   tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	a_mem(l, tmp + i, sizeof(tmp) - i);
}

/*
 * Writes v / 10^nd as JavaScript prints it: no trailing zeros in the
 * fraction, no point for an integer.
 */
static void
a_dec(struct line *l, uint64_t v, unsigned nd)
{
	uint64_t p = 1, ip, fp;
	unsigned i;
	char	 digits[20];

	for (i = 0; i < nd; i++)
		p *= 10;
	ip = v / p;
	fp = v % p;
	a_u64(l, ip);
	if (fp == 0)
		return;
	for (i = nd; i > 0; i--) {
		digits[i - 1] = (char)('0' + fp % 10);
		fp /= 10;
	}
	while (nd > 0 && digits[nd - 1] == '0')
		nd--;
	a_putc(l, '.');
	a_mem(l, digits, nd);
}

static void
a_2d(struct line *l, unsigned v)
{
	a_putc(l, (char)('0' + v / 10));
	a_putc(l, (char)('0' + v % 10));
}

/*
 * Writes epoch milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ", the way
 * Date.prototype.toISOString() does. Civil date from the day number by
 * the usual era arithmetic (400-year cycles of 146097 days).
 */
static void
a_iso(struct line *l, uint64_t ms)
{
	uint64_t days = ms / 86400000, rem = ms % 86400000;
	uint64_t z = days + 719468, era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t y = yoe + era * 400;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

	if (m <= 2)
		y++;
	a_putc(l, '"');
	a_u64(l, y);
	a_putc(l, '-');
	a_2d(l, m);
	a_putc(l, '-');
	a_2d(l, d);
	a_putc(l, 'T');
	a_2d(l, (unsigned)(rem / 3600000));
	a_putc(l, ':');
	a_2d(l, (unsigned)(rem / 60000 % 60));
	a_putc(l, ':');
	a_2d(l, (unsigned)(rem / 1000 % 60));
	a_putc(l, '.');
	a_putc(l, (char)('0' + rem % 1000 / 100));
	a_2d(l, (unsigned)(rem % 100));
	a_puts(l, "Z\"");
}

static void
fld_begin(struct line *l, const char *key)
{
	if (l->n == MAXFIELDS)
		errx(1, "too many fields");
	l->f[l->n].key = key;
	l->f[l->n].keylen = strlen(key);
	l->f[l->n].off = l->alen;
	l->f[l->n].obj = 0;
}

static void
fld_end(struct line *l)
{
	l->f[l->n].len = l->alen - l->f[l->n].off;
	l->f[l->n].obj = l->f[l->n].len > 0 && l->arena[l->alen - 1] == '}';
	l->n++;
}

static void
fld_str(struct line *l, const char *key, const char *s)
{
	fld_begin(l, key);
	a_putc(l, '"');
	a_puts(l, s);
	a_putc(l, '"');
	fld_end(l);
}

static void
fld_raw(struct line *l, const char *key, const char *s)
{
	fld_begin(l, key);
	a_puts(l, s);
	fld_end(l);
}

static void
fld_u64(struct line *l, const char *key, uint64_t v)
{
	fld_begin(l, key);
	a_u64(l, v);
	fld_end(l);
}

static void
fld_dec(struct line *l, const char *key, uint64_t v, unsigned nd)
{
	fld_begin(l, key);
	a_dec(l, v, nd);
	fld_end(l);
}

static void
fld_time(struct gen *g)
{
	fld_begin(&g->l, "time");
	if (g->iso)
		a_iso(&g->l, g->ms);
	else
		a_u64(&g->l, g->ms);
	fld_end(&g->l);
}

/* The keys every record opens with, in pino's order. */
static void
base(struct gen *g, unsigned level, const char *component)
{
	struct line *l = &g->l;

	l->n = 0;
	l->alen = 0;
	fld_u64(l, "level", level);
	fld_time(g);
	fld_u64(l, "pid", 4242);
	fld_str(l, "hostname", "bot-1");
	fld_str(l, "name", "bytelyst-trading-bot-service");
	if (component != NULL)
		fld_str(l, "component", component);
}

static const char *
symbol(struct gen *g)
{
	return g->sym[rng_below(&g->r, g->nsym)];
}

/* profileId, mostly a string, sometimes a number (the label is the same). */
static void
fld_profile(struct gen *g, const char *key)
{
	struct line *l = &g->l;
	uint32_t     id = 1 + rng_below(&g->r, g->nprof);

	fld_begin(l, key);
	if (CHANCE(g, 150))
		a_u64(l, id);
	else {
		a_putc(l, '"');
		a_u64(l, id);
		a_putc(l, '"');
	}
	fld_end(l);
}

static void
fld_reqid(struct gen *g)
{
	static const char hex[] = "0123456789abcdef";
	struct line	 *l = &g->l;
	uint64_t	  v = rng_next(&g->r);
	int		  i;

	fld_begin(l, "reqId");
	a_puts(l, "\"req-");
	for (i = 0; i < 8; i++, v >>= 4)
		a_putc(l, hex[v & 15]);
	a_putc(l, '"');
	fld_end(l);
}

static void
fld_err(struct gen *g, const char *message)
{
	struct line *l = &g->l;

	fld_begin(l, "err");
	a_puts(l, "{\"type\":\"Error\",\"message\":\"");
	a_puts(l, message);
	a_puts(l, "\",\"stack\":\"Error: ");
	a_puts(l, message);
	a_puts(l,
	    "\\n    at TLSWrap.onStreamRead (node:internal/"
	    "stream_base_commons:217:20)\\n    at Exchange.request "
	    "(/srv/bytelyst/dist/exchange.js:");
	a_u64(l, 100 + rng_below(&g->r, 900));
	a_puts(l, ":17)\",\"code\":\"ECONNRESET\"}");
	fld_end(l);
}

/* An err object whose stack is about longbytes long. */
static void
fld_longerr(struct gen *g)
{
	struct line *l = &g->l;
	size_t	     start;
	uint32_t     i = 0;

	fld_begin(l, "err");
	start = l->alen;
	a_puts(l,
	    "{\"type\":\"RangeError\",\"message\":\"Maximum call stack "
	    "size exceeded\",\"stack\":\"RangeError: Maximum call stack size "
	    "exceeded");
	while (l->alen - start < g->longbytes) {
		a_puts(l,
		    "\\n    at Strategy.evaluate (/srv/bytelyst/dist/"
		    "strategy/frame");
		a_u64(l, i++);
		a_puts(l, ".js:");
		a_u64(l, 1 + rng_below(&g->r, 5000));
		a_putc(l, ':');
		a_u64(l, 1 + rng_below(&g->r, 80));
		a_putc(l, ')');
	}
	a_puts(l, "\"}");
	fld_end(l);
}

/* A nested order object that repeats the top-level names symbol/type. */
static void
fld_order(struct gen *g, const char *sym)
{
	static const char *const otypes[] = { "LIMIT", "MARKET", "STOP_LOSS" };
	struct line		*l = &g->l;

	fld_begin(l, "order");
	a_puts(l, "{\"id\":\"");
	a_u64(l, 1000000 + rng_below(&g->r, 9000000));
	a_puts(l, "\",\"symbol\":\"");
	a_puts(l, sym);
	a_puts(l, "\",\"type\":\"");
	a_puts(l, PICK(g, otypes));
	a_puts(l, "\",\"side\":\"");
	a_puts(l, CHANCE(g, 500) ? "buy" : "sell");
	a_puts(l, "\",\"price\":");
	a_dec(l, rng_range(&g->r, 1000, 10000000), 2);
	a_puts(l, ",\"amount\":");
	a_dec(l, rng_range(&g->r, 1, 100000), 4);
	a_putc(l, '}');
	fld_end(l);
}

/* Extra keys call sites add: request ids, strategy names. */
static void
extras(struct gen *g)
{
	if (CHANCE(g, 300))
		fld_reqid(g);
	if (CHANCE(g, 150))
		fld_str(&g->l, "strategy", PICK(g, strategies));
}

/* 1. An operational event, sometimes with a nested order. */
static void
rec_event(struct gen *g)
{
	const struct evtype	*t = &PICK(g, evtypes);
	static const char *const comps[] = {
		"events",
		"events",
		"events",
		"events",
		"events",
		"events",
		"events",
		"events",
		"orders",
		"strategy",
		"exchange",
	};
	int	    sev = t->sev;
	int	    system = t->system ? !CHANCE(g, 200) : CHANCE(g, 50);
	const char *sym = symbol(g);

	if (CHANCE(g, 150))
		sev = (int)rng_below(&g->r, NELEM(severities));
	base(g, severity_level[sev], PICK(g, comps));
	fld_str(&g->l, "severity", severities[sev]);
	fld_str(&g->l, "type", t->type);
	if (!system) {
		if (CHANCE(g, 950))
			fld_profile(g, "profileId");
		if (CHANCE(g, 900))
			fld_str(&g->l, "symbol", sym);
	}
	if (!system && CHANCE(g, 400))
		fld_order(g, CHANCE(g, 700) ? sym : symbol(g));
	if (sev >= 3 && CHANCE(g, 500))
		fld_err(g, "ECONNRESET");
	extras(g);
	fld_str(&g->l, "msg", t->msg);
}

/* Durations in milliseconds over every bucket of 0.1 .. 10 s and beyond. */
static void
fld_duration(struct gen *g, const char *key)
{
	static const uint64_t edges[] = {
		1,
		100,
		250,
		500,
		1000,
		2000,
		5000,
		10000,
		30000,
	};
	uint32_t b = rng_below(&g->r, NELEM(edges) - 1);

	if (CHANCE(g, 50)) {
		fld_u64(&g->l, key,
		    edges[1 + rng_below(&g->r, NELEM(edges) - 2)]);
		return;
	}
	fld_dec(&g->l, key,
	    rng_range(&g->r, edges[b] * 1000, edges[b + 1] * 1000),
	    CHANCE(g, 500) ? 3 : 1);
}

/* 2. A completed scheduler loop; rawms, when set, is durationMs as is. */
static void
rec_cycle(struct gen *g, const char *rawms)
{
	const char *sub;
	int	    ok = !CHANCE(g, 100);
	uint32_t    x;

	if (g->subsys != NULL)
		sub = g->subsys[rng_below(&g->r, g->nsubsys)];
	else if ((x = rng_below(&g->r, 100)) < 60)
		sub = "trading";
	else if (x < 85)
		sub = "monitor";
	else if (x < 97)
		sub = "reconciliation";
	else
		sub = PICK(g, other_subsys);
	base(g, ok ? 30 : 50, "scheduler");
	fld_str(&g->l, "subsystem", sub);
	if (rawms != NULL)
		fld_raw(&g->l, "durationMs", rawms);
	else
		fld_duration(g, "durationMs");
	fld_str(&g->l, "outcome", ok ? "ok" : "error");
	if (!ok)
		fld_err(g, "ETIMEDOUT");
	extras(g);
	fld_str(&g->l, "msg",
	    ok ? "subsystem cycle completed" : "subsystem cycle failed");
}

/* 3. One exchange API call, latencies over Prometheus's default buckets. */
static void
rec_exchange(struct gen *g)
{
	static const uint64_t edges[] = {
		1,
		5,
		10,
		25,
		50,
		100,
		250,
		500,
		1000,
		2500,
		5000,
		10000,
		20000,
	};
	uint32_t    b = rng_below(&g->r, NELEM(edges) - 1);
	int	    ok = !CHANCE(g, 50);
	const char *op = PICK(g, operations);

	base(g, ok ? 20 : 40, "exchange");
	fld_str(&g->l, "exchange", PICK(g, exchanges));
	fld_str(&g->l, "operation", op);
	if (CHANCE(g, 40))
		fld_u64(&g->l, "latencyMs",
		    edges[1 + rng_below(&g->r, NELEM(edges) - 2)]);
	else
		fld_dec(&g->l, "latencyMs",
		    rng_range(&g->r, edges[b] * 100, edges[b + 1] * 100), 2);
	fld_str(&g->l, "status", ok ? "ok" : "error");
	if (CHANCE(g, 250)) {
		fld_begin(&g->l, "request");
		a_puts(&g->l,
		    "{\"method\":\"POST\",\"path\":\"/api/v3/order\","
		    "\"symbol\":\"");
		a_puts(&g->l, symbol(g));
		a_puts(&g->l, "\",\"type\":\"LIMIT\"}");
		fld_end(&g->l);
	}
	extras(g);
	fld_str(&g->l, "msg", "exchange api call");
}

/* 4. Available capital below zero: an event the risk component emits. */
static void
rec_violation(struct gen *g)
{
	base(g, 60, "risk");
	fld_str(&g->l, "severity", "CRITICAL");
	fld_str(&g->l, "type", "CAPITAL_INVARIANT_VIOLATION");
	if (!CHANCE(g, 50))
		fld_profile(g, "profileId");
	fld_begin(&g->l, "availableCapital");
	a_putc(&g->l, '-');
	a_dec(&g->l, rng_range(&g->r, 1, 500000), 2);
	fld_end(&g->l);
	fld_str(&g->l, "msg", "available capital below zero");
}

/* 5. Capital snapshot of one profile. */
static void
rec_snapshot(struct gen *g)
{
	static const uint64_t alloc[] = { 1000, 5000, 10000, 25000, 100000 };
	uint64_t	      a = PICK(g, alloc);
	uint64_t	      used = rng_below(&g->r, (uint32_t)(a * 100 + 1));

	base(g, 30, "risk");
	fld_profile(g, "profileId");
	fld_u64(&g->l, "allocatedCapital", a);
	fld_dec(&g->l, "usedCapital", used, 2);
	fld_dec(&g->l, "utilizationPercent", used * 1000 / a, 3);
	extras(g);
	fld_str(&g->l, "msg", "capital snapshot");
}

/* 6. Reconciliation summary. */
static void
rec_reconcile(struct gen *g)
{
	static const uint32_t weights[] = { 55, 15, 10, 8, 7, 5 };
	uint32_t	      x = rng_below(&g->r, 100), mm = 0, db;

	while (mm < 5 && x >= weights[mm])
		x -= weights[mm++];
	db = rng_below(&g->r, mm + 1);
	base(g, mm > 0 ? 40 : 30, "reconciliation");
	fld_u64(&g->l, "mismatches", mm);
	fld_u64(&g->l, "missingInDb", db);
	fld_u64(&g->l, "missingOnExchange", mm - db);
	if (CHANCE(g, 300))
		fld_u64(&g->l, "checkedOrders", rng_below(&g->r, 400));
	extras(g);
	fld_str(&g->l, "msg", "reconciliation completed");
}

/*
 * Chatter: lines that feed no metric, many of them close misses (a
 * scheduler line without durationMs, an event nested under "event",
 * severity without type, numbers nested one level down).
 */
static void
rec_chatter(struct gen *g)
{
	static const char *const comps[] = {
		"http",
		"ws",
		"strategy",
		"orders",
		"db",
		"cache",
		"auth",
		"notifier",
		"marketdata",
		"events",
		"scheduler",
		"exchange",
		"risk",
		"reconciliation",
	};
	struct line *l = &g->l;
	const char  *comp = PICK(g, comps);
	const char  *msg = NULL;

	base(g, CHANCE(g, 300) ? 20 : 30, comp);
	switch (rng_below(&g->r, 14)) {
	case 0:
		fld_begin(l, "req");
		a_puts(l, "{\"method\":\"GET\",\"url\":\"/api/profiles/");
		a_u64(l, 1 + rng_below(&g->r, g->nprof));
		a_puts(l, "\",\"remoteAddress\":\"10.0.0.12\"}");
		fld_end(l);
		fld_raw(l, "res", "{\"statusCode\":200}");
		fld_u64(l, "responseTime", rng_below(&g->r, 80));
		msg = "request completed";
		break;
	case 1:
		fld_str(l, "exchange", PICK(g, exchanges));
		fld_str(l, "symbol", symbol(g));
		fld_dec(l, "bid", rng_range(&g->r, 100, 9000000), 2);
		fld_dec(l, "ask", rng_range(&g->r, 100, 9000000), 2);
		msg = "ticker update";
		break;
	case 2:
		fld_str(l, "strategy", PICK(g, strategies));
		fld_str(l, "symbol", symbol(g));
		fld_profile(g, "profileId");
		fld_begin(l, "signal");
		a_puts(l, "{\"side\":\"buy\",\"strength\":0.");
		a_u64(l, 1 + rng_below(&g->r, 99));
		a_putc(l, '}');
		fld_end(l);
		msg = "signal evaluated";
		break;
	case 3:
		fld_profile(g, "profileId");
		fld_order(g, symbol(g));
		msg = "submitting order";
		break;
	case 4:
		fld_str(l, "subsystem", CHANCE(g, 500) ? "trading" : "monitor");
		fld_u64(l, "inMs", 5000);
		msg = CHANCE(g, 500) ? "subsystem cycle started" :
				       "next run scheduled";
		break;
	case 5:
		fld_begin(l, "request");
		a_puts(l, "{\"component\":\"scheduler\",\"durationMs\":");
		a_u64(l, rng_below(&g->r, 50));
		a_puts(l, ",\"subsystem\":\"trading\",\"outcome\":\"ok\"}");
		fld_end(l);
		msg = "nested timing report";
		break;
	case 6:
		fld_str(l, "exchange", PICK(g, exchanges));
		fld_str(l, "operation", PICK(g, operations));
		fld_u64(l, "weight", rng_below(&g->r, 1200));
		fld_begin(l, "timing");
		a_puts(l, "{\"latencyMs\":");
		a_dec(l, rng_range(&g->r, 100, 100000), 2);
		a_putc(l, '}');
		fld_end(l);
		msg = "rate limit status";
		break;
	case 7:
		fld_profile(g, "profileId");
		fld_begin(l, "exposure");
		a_puts(l, "{\"utilizationPercent\":");
		a_dec(l, rng_below(&g->r, 100000), 3);
		a_puts(l, ",\"positions\":3}");
		fld_end(l);
		msg = "evaluating exposure";
		break;
	case 8:
		fld_begin(l, "summary");
		a_puts(l, "{\"mismatches\":");
		a_u64(l, rng_below(&g->r, 6));
		a_puts(l, ",\"missingInDb\":1,\"missingOnExchange\":0}");
		fld_end(l);
		msg = "reconciliation started";
		break;
	case 9:
		fld_begin(l, "event");
		a_puts(l, "{\"severity\":\"ERROR\",\"type\":\"");
		a_puts(l,
		    CHANCE(g, 300) ? "CAPITAL_INVARIANT_VIOLATION" :
				     "ORDER_FAILURE");
		a_puts(l, "\",\"profileId\":\"7\",\"symbol\":\"");
		a_puts(l, symbol(g));
		a_puts(l, "\"}");
		fld_end(l);
		fld_str(l, "channel", "telegram");
		msg = "alert forwarded";
		break;
	case 10:
		/* severity without type, or type without severity */
		if (CHANCE(g, 500))
			fld_str(l, "severity", PICK(g, severities));
		else
			fld_str(l, "type", "heartbeat");
		msg = "status";
		break;
	case 11:
		fld_dec(l, "durationMs", rng_range(&g->r, 1, 50000), 1);
		fld_str(l, "query",
		    "SELECT * FROM orders WHERE profile_id = $1");
		msg = "query executed";
		break;
	case 12:
		fld_str(l, "symbol", symbol(g));
		fld_begin(l, "ohlc");
		a_putc(l, '[');
		a_dec(l, rng_range(&g->r, 100, 9000000), 2);
		a_putc(l, ',');
		a_dec(l, rng_range(&g->r, 100, 9000000), 2);
		a_puts(l, ",null,true]");
		fld_end(l);
		msg = "candle closed";
		break;
	default:
		break;
	}
	extras(g);
	fld_str(l, "msg", msg != NULL ? msg : PICK(g, chatter_msgs));
}

static void
record(struct gen *g)
{
	uint32_t x = rng_below(&g->r, 1000);

	if (x < 340)
		rec_event(g);
	else if (x < 540)
		rec_cycle(g, NULL);
	else if (x < 800)
		rec_exchange(g);
	else if (x < 810)
		rec_violation(g);
	else if (x < 920)
		rec_snapshot(g);
	else
		rec_reconcile(g);
}

static void
out_flush(struct gen *g)
{
	size_t	off = 0;
	ssize_t w;

	while (off < g->olen) {
		w = write(STDOUT_FILENO, g->out + off, g->olen - off);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		off += (size_t)w;
	}
	g->olen = 0;
}

static void
out_mem(struct gen *g, const char *s, size_t n)
{
	memcpy(g->out + g->olen, s, n);
	g->olen += n;
}

/*
 * Writes the record's fields as one JSON object in one of several key
 * orders. Returns the offset in g->out where the object starts; *cutp
 * gets the offset just past a nested object that is not the last value
 * (0 when there is none), where a crash can cut the line into one ending
 * in '}'.
 */
static size_t
emit(struct gen *g, size_t *cutp)
{
	struct line *l = &g->l;
	size_t	     ord[MAXFIELDS], i, j, n = l->n, k = 0, start;
	uint32_t     how = rng_below(&g->r, 100);

	/* fields: 0..4 base, 5 component (when present), ..., msg last */
	if (how < 55 || n < 8) {
		for (i = 0; i < n; i++)
			ord[k++] = i;
	} else if (how < 75) {
		/* level, time, msg, payload..., pid, hostname, name */
		ord[k++] = 0;
		ord[k++] = 1;
		ord[k++] = n - 1;
		for (i = 5; i < n - 1; i++)
			ord[k++] = i;
		for (i = 2; i < 5; i++)
			ord[k++] = i;
	} else if (how < 90) {
		/* payload reversed, msg, then the pino keys */
		for (i = n - 1; i > 4; i--)
			ord[k++] = i;
		for (i = 0; i < 5; i++)
			ord[k++] = i;
	} else {
		for (i = 0; i < n; i++)
			ord[k++] = i;
		for (i = n - 1; i > 0; i--) {
			size_t t;

			j = rng_below(&g->r, (uint32_t)(i + 1));
			t = ord[i];
			ord[i] = ord[j];
			ord[j] = t;
		}
	}
	start = g->olen;
	*cutp = 0;
	g->out[g->olen++] = '{';
	for (i = 0; i < n; i++) {
		const struct field *f = &l->f[ord[i]];

		if (i > 0)
			g->out[g->olen++] = ',';
		g->out[g->olen++] = '"';
		out_mem(g, f->key, f->keylen);
		g->out[g->olen++] = '"';
		g->out[g->olen++] = ':';
		out_mem(g, l->arena + f->off, f->len);
		if (f->obj && i + 1 < n && *cutp == 0)
			*cutp = g->olen;
	}
	g->out[g->olen++] = '}';
	return start;
}

static void
emit_nl(struct gen *g)
{
	g->out[g->olen++] = '\n';
}

/* One line of a kind real files hold besides well-formed records. */
static void
hazard(struct gen *g)
{
	struct line *l = &g->l;
	size_t	     start, cut, len;
	const char  *s;

	switch (rng_below(&g->r, 11)) {
	case 0:
	case 1:
		/* cut by a crash, sometimes right after a nested object */
		if (CHANCE(g, 500)) {
			rec_event(g);
			if (l->n < MAXFIELDS - 1)
				fld_order(g, symbol(g));
		} else
			record(g);
		start = emit(g, &cut);
		len = g->olen - start;
		if (cut == 0 || CHANCE(g, 400))
			cut = start + 1 + rng_below(&g->r, (uint32_t)(len - 1));
		g->olen = cut;
		emit_nl(g);
		break;
	case 2:
		s = CHANCE(g, 500) ? "" : CHANCE(g, 500) ? "   " : "\t";
		out_mem(g, s, strlen(s));
		emit_nl(g);
		break;
	case 3:
		/* CRLF: still a record */
		if (CHANCE(g, 500))
			record(g);
		else
			rec_chatter(g);
		emit(g, &cut);
		out_mem(g, "\r\n", 2);
		break;
	case 4:
		/* a very long err.stack, in chatter or in an event */
		if (CHANCE(g, 500)) {
			rec_event(g);
			l->n--;
			fld_longerr(g);
			fld_str(l, "msg", "order failed with a deep stack");
		} else {
			base(g, 50, "strategy");
			fld_longerr(g);
			fld_str(l, "msg", "strategy crashed");
		}
		emit(g, &cut);
		emit_nl(g);
		break;
	case 5:
		/* bytes that are not UTF-8, in free text or in a label */
		if (CHANCE(g, 500)) {
			rec_chatter(g);
			l->n--;
			fld_str(l, "msg",
			    CHANCE(g, 500) ? "garbled \xff\xfe payload" :
					     "cut \xc3"
					     " char");
		} else {
			rec_event(g);
			l->n--;
			fld_str(l, "symbol", bad_symbols[rng_below(&g->r, 2)]);
			fld_str(l, "msg", "event with a garbled symbol");
		}
		emit(g, &cut);
		emit_nl(g);
		break;
	case 6:
		s = PICK(g, node_lines);
		out_mem(g, s, strlen(s));
		emit_nl(g);
		break;
	case 7:
		/* a symbol that needs escaping in a label value */
		rec_event(g);
		l->n--;
		fld_str(l, "symbol",
		    bad_symbols[2 + rng_below(&g->r, NELEM(bad_symbols) - 2)]);
		if (CHANCE(g, 300))
			fld_str(l, "profileId", "p\\\\7\\\"");
		fld_str(l, "msg", "event with a hostile symbol");
		emit(g, &cut);
		emit_nl(g);
		break;
	case 8:
		/* duplicate keys: the last one counts */
		rec_event(g);
		l->n--;
		fld_str(l, "severity", PICK(g, severities));
		fld_str(l, "symbol", symbol(g));
		fld_str(l, "msg", "event with duplicate keys");
		emit(g, &cut);
		emit_nl(g);
		break;
	case 9:
		/* numbers written as strings, or values no rule accepts */
		switch (rng_below(&g->r, 6)) {
		case 0:
			rec_cycle(g, CHANCE(g, 500) ? "\"412.7\"" : "\"n/a\"");
			break;
		case 1:
			base(g, 20, "exchange");
			fld_str(l, "exchange", PICK(g, exchanges));
			fld_str(l, "operation", PICK(g, operations));
			fld_raw(l, "latencyMs",
			    CHANCE(g, 500) ? "1.5e2" : "\"87.31\"");
			fld_str(l, "msg", "exchange api call");
			break;
		case 2:
			base(g, 40, "reconciliation");
			fld_raw(l, "mismatches",
			    CHANCE(g, 500) ? "-1" : "\"2\"");
			fld_raw(l, "missingInDb", "\"1\"");
			fld_raw(l, "missingOnExchange", "-0");
			fld_str(l, "msg", "reconciliation completed");
			break;
		case 3:
			base(g, 30, "risk");
			fld_profile(g, "profileId");
			fld_raw(l, "utilizationPercent",
			    CHANCE(g, 500) ? "\"42.5\"" : "null");
			fld_str(l, "msg", "capital snapshot");
			break;
		case 4:
			rec_event(g);
			l->n--;
			fld_raw(l, "symbol", CHANCE(g, 500) ? "null" : "42");
			fld_str(l, "msg", "event with a non-string symbol");
			break;
		default:
			base(g, 50, "events");
			fld_str(l, "severity", "ERROR");
			fld_raw(l, "type", "{\"code\":\"E1\", \"n\":[1, 2]}");
			fld_str(l, "msg", "event whose type is an object");
			break;
		}
		emit(g, &cut);
		emit_nl(g);
		break;
	default:
		/* two records on one line: not one object */
		record(g);
		emit(g, &cut);
		rec_chatter(g);
		emit(g, &cut);
		emit_nl(g);
		break;
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: genlog [-n lines] [-s seed] [-c chatter%%] "
	    "[--hazards] [--iso]\n"
	    "              [--start epoch_ms] [--symbols n] [--profiles n]\n"
	    "              [--subsystems name,...] [--long-bytes n]\n");
	exit(2);
}

static uint64_t
num_arg(const char *s, const char *what, uint64_t min, uint64_t max)
{
	char		  *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < min ||
	    v > max)
		errx(2, "%s: invalid value '%s'", what, s);
	return v;
}

/* Builds the symbol table: the real pairs first, then SYMnnnnn/USDT. */
static void
make_symbols(struct gen *g)
{
	uint32_t i;
	char	 tmp[32];

	g->sym = calloc(g->nsym, sizeof(*g->sym));
	if (g->sym == NULL)
		err(1, "calloc");
	for (i = 0; i < g->nsym; i++) {
		if (i < NELEM(base_symbols))
			snprintf(tmp, sizeof(tmp), "%s", base_symbols[i]);
		else
			snprintf(tmp, sizeof(tmp), "SYM%05u/USDT", i);
		if ((g->sym[i] = strdup(tmp)) == NULL)
			err(1, "strdup");
	}
}

/* Splits a comma-separated list in place. */
static void
make_subsys(struct gen *g, char *list)
{
	char *p;

	g->nsubsys = 0;
	g->subsys = calloc(strlen(list) + 1, sizeof(*g->subsys));
	if (g->subsys == NULL)
		err(1, "calloc");
	while ((p = strsep(&list, ",")) != NULL)
		if (*p != '\0')
			g->subsys[g->nsubsys++] = p;
	if (g->nsubsys == 0)
		errx(2, "--subsystems: empty list");
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "hazards", no_argument, NULL, 'H' },
		{ "iso", no_argument, NULL, 'I' },
		{ "start", required_argument, NULL, 'S' },
		{ "symbols", required_argument, NULL, 'Y' },
		{ "profiles", required_argument, NULL, 'P' },
		{ "subsystems", required_argument, NULL, 'U' },
		{ "long-bytes", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g;
	uint64_t   n = 100000, i, seed = 1;
	size_t	   cut;
	int	   ch;

	memset(&g, 0, sizeof(g));
	g.ms = 1764020763412ULL;
	g.chatter = 70;
	g.nsym = 20;
	g.nprof = 5;
	g.longbytes = 200 * 1024;
	while ((ch = getopt_long(argc, argv, "n:s:c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			n = num_arg(optarg, "-n", 0, UINT64_MAX);
			break;
		case 's':
			seed = num_arg(optarg, "-s", 0, UINT64_MAX);
			break;
		case 'c':
			g.chatter = (unsigned)num_arg(optarg, "-c", 0, 100);
			break;
		case 'H':
			g.hazards = 1;
			break;
		case 'I':
			g.iso = 1;
			break;
		case 'S':
			g.ms = num_arg(optarg, "--start", 0,
			    253402300799999ULL);
			break;
		case 'Y':
			g.nsym = (uint32_t)num_arg(optarg, "--symbols", 1,
			    10000000);
			break;
		case 'P':
			g.nprof = (uint32_t)num_arg(optarg, "--profiles", 1,
			    1000000);
			break;
		case 'U':
			make_subsys(&g, optarg);
			break;
		case 'L':
			g.longbytes = num_arg(optarg, "--long-bytes", 1,
			    64 * 1024 * 1024);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	g.r.s = seed;
	make_symbols(&g);
	g.l.acap = g.longbytes * 2 + SMALL_ARENA;
	g.ocap = FLUSH_AT + g.l.acap * 2 + SMALL_ARENA;
	g.l.arena = malloc(g.l.acap);
	g.out = malloc(g.ocap);
	if (g.l.arena == NULL || g.out == NULL)
		err(1, "malloc");

	for (i = 0; i < n; i++) {
		g.ms += rng_below(&g.r, 6);
		if (g.hazards && i + 1 == n) {
			/* a last record still being written: no newline */
			rec_event(&g);
			emit(&g, &cut);
		} else if (g.hazards && CHANCE(&g, 20))
			hazard(&g);
		else {
			if (rng_below(&g.r, 100) < g.chatter)
				rec_chatter(&g);
			else
				record(&g);
			emit(&g, &cut);
			emit_nl(&g);
		}
		if (g.olen >= FLUSH_AT)
			out_flush(&g);
	}
	out_flush(&g);

	for (i = 0; i < g.nsym; i++)
		free(g.sym[i]);
	free(g.sym);
	free(g.subsys);
	free(g.l.arena);
	free(g.out);
	return 0;
}
