/* SPDX-License-Identifier: MIT */
/*
 * Every limit of Patron, each with the reason for its number (cf. SQLite's sqliteLimit.h).
 * Relations between limits are checked at compile time at the bottom of this file.
 */
#ifndef PT_BASE_LIMITS_H
#define PT_BASE_LIMITS_H

#include <stdint.h>

/* API.md: request bodies are at most 1 MiB; a purchase with hundreds of items fits in far less. */
#define PT_HTTP_BODY_BYTES_MAX (1024 * 1024)
/* Bytes of an over-limit chunked body read and dropped before the connection is closed
 * (the 413 can only be sent once the upload ends). */
#define PT_HTTP_DISCARD_BYTES_MAX (16 * 1024 * 1024)
/* A request's arena holds its parsed body, SQL results and response: four times the body. */
#define PT_REQUEST_ARENA_BYTES_MAX (4 * 1024 * 1024)
/* Connections held open at once; beyond it new ones are refused (one small machine). */
#define PT_HTTP_CONNECTIONS_MAX 4096
/* Routes of the API (routes.c); metrics keep counters per route, and routes.c asserts the bound
 * at compile time. Twice today's 65, for the faces and CRM to come. */
#define PT_HTTP_ROUTES_MAX 128
/* Seconds a client may stay idle mid-request before the connection is closed (slow clients). */
#define PT_HTTP_IDLE_TIMEOUT_S 30
/* Stack of each connection's thread; a request's big buffers live in its arena, not here. */
#define PT_HTTP_THREAD_STACK_BYTES (512 * 1024)
/* Seconds graceful shutdown waits for in-flight requests before closing anyway. */
#define PT_HTTP_DRAIN_TIMEOUT_S 10
/* Read connections of the store (--threads): enough for 2..64 cores. */
#define PT_HTTP_THREADS_MAX 64
/* Nesting of JSON request bodies; member attributes are shallow documents. */
#define PT_JSON_DEPTH_MAX 32
/* X-Request-Id values accepted from clients (API.md). */
#define PT_REQUEST_ID_BYTES_MAX 64
/* Idempotency-Key header length (API.md: 1..255 printable ASCII). */
#define PT_IDEMPOTENCY_KEY_BYTES_MAX 255
/* Seconds an idempotency key is kept (API.md: at least 7 days). */
#define PT_IDEMPOTENCY_KEEP_S (8 * 24 * 3600)
/* Retries of a write transaction that met a concurrent change (optimistic update, busy). */
#define PT_TXN_RETRIES_MAX 8
/* Writes waiting for the writer; beyond it a write is refused at once with 503 (load shedding)
 * rather than queued without bound. Sized for the HTTP connection cap. */
#define PT_WRITE_QUEUE_MAX 4096
/* Milliseconds the oldest queued write may have waited before new writes are shed with 503:
 * past it the writer is behind, and queueing more would only raise everyone's latency. */
#define PT_WRITE_WAIT_MS_DEFAULT 50
/* Writes applied in one transaction and made durable by one fsync (group commit). Bounded so
 * that one batch holds the write lock for a few milliseconds at most. */
#define PT_WRITE_BATCH_MAX 64
/* Milliseconds a write waits for its answer when the connection to PostgreSQL was lost during
 * its batch's COMMIT, whose outcome the client then cannot know: the writer asks the server
 * whether that transaction committed as soon as it can reconnect. Past the bound the write
 * answers 503 `outcome_unknown` (retry with the same key to learn it). */
#define PT_COMMIT_DOUBT_WAIT_MS 10000
/* Milliseconds between two attempts to learn such an outcome. */
#define PT_COMMIT_DOUBT_POLL_MS 100
/* Free bytes the database's filesystem must keep for writes to be accepted: room for a batch,
 * its WAL frames and a checkpoint, so that SQLite never meets a full disk mid-page. */
#define PT_STORE_MIN_FREE_BYTES_DEFAULT (64LL * 1024 * 1024)
/* WAL pages (4 KiB) after which the background checkpoint runs: SQLite's own default. */
#define PT_WAL_CHECKPOINT_PAGES 1000
/* WAL pages after which the writer finishes the checkpoint itself so that the WAL can start
 * over (bounds the WAL near 16 MiB). */
#define PT_WAL_RESTART_PAGES 4000
_Static_assert(PT_WAL_CHECKPOINT_PAGES < PT_WAL_RESTART_PAGES, "background first");
/* List endpoints (API.md): limit is 1..200, default 50. */
#define PT_PAGE_LIMIT_MAX 200
#define PT_PAGE_LIMIT_DEFAULT 50

/* Member fields: generous for real names, tight enough to keep rows small. */
#define PT_NAME_BYTES_MAX 100
#define PT_CITY_BYTES_MAX 100
#define PT_EMAIL_BYTES_MAX 254       /* RFC 5321 path limit. */
#define PT_EMAIL_LOCAL_BYTES_MAX 64  /* RFC 5321 local-part limit. */
#define PT_PHONE_DIGITS_MAX 15       /* E.164. */
#define PT_PHONE_DIGITS_MIN 7        /* Shortest real subscriber numbers with country code. */
#define PT_EXTERNAL_ID_BYTES_MAX 128 /* Receipt numbers and CRM ids of integrators. */
#define PT_LOCALE_BYTES_MAX 16       /* "zh-Hant-TW" and friends. */
#define PT_ATTRIBUTES_BYTES_MAX (16 * 1024) /* Issue 2: free JSON object of at most 16 KiB. */
#define PT_Q_BYTES_MAX 100                  /* Search prefix of GET /v1/members. */
#define PT_PROGRAM_NAME_BYTES_MAX 100
#define PT_KEY_NAME_BYTES_MAX 100
/* A publishable key's allowed origins (docs/security.md, "Publishable keys and CORS"): a web shop
 * has its domain, a www variant, a staging copy and a developer's machine; 20 is many of those. An
 * origin is "scheme://host[:port]", at most a DNS name's 253 bytes. Stored joined by a space (no
 * origin holds one), so the text of them all fits PT_KEY_ORIGINS_TEXT_BYTES_MAX. */
#define PT_KEY_ORIGINS_MAX 20
#define PT_ORIGIN_BYTES_MAX 253
#define PT_KEY_ORIGINS_TEXT_BYTES_MAX (PT_KEY_ORIGINS_MAX * (PT_ORIGIN_BYTES_MAX + 1))
/* The embed signing secret (docs/web.md, "The publishable key and the member token"): 32
 * random bytes, HMAC-SHA256's key size. A member token is "v1.<member id>.<expires>.<64 hex>":
 * 3 + 31 + 21 + 64 bytes fit 128. It may expire at most a day ahead, so that a leaked token
 * (it sits in a web page) shows a balance for a day at most. */
#define PT_EMBED_SECRET_BYTES 32
#define PT_EMBED_TOKEN_BYTES_MAX 128
#define PT_EMBED_TOKEN_AHEAD_S_MAX (24 * 60 * 60)

/* The ledger. */
/* Open lots considered for one member's spend; a member earning daily for 27 years has fewer. */
#define PT_MEMBER_OPEN_LOTS_MAX 10000
/* Lots read per page when spending; most spends touch one or two lots. */
#define PT_SPEND_PAGE_LOTS 16
/* Lines of one purchase, return or evaluated cart: one limit (issue 16: the API promised 500
 * while the rules refused past 200). 200 lines is a large basket; the rules evaluator's cost
 * grows with rules x lines, so the bound stays where the evaluator's was. docs/openapi.yaml
 * states the same number as maxItems (tests/docs compares them). */
#define PT_PURCHASE_ITEMS_MAX 200
/* Reasons of redemptions and adjustments; a sentence. */
#define PT_REASON_BYTES_MAX 200
/* Expiry dates shown in a balance. */
#define PT_EXPIRING_MAX 5
/* Lots expired per write by the expiry job; keeps each batch short. */
#define PT_EXPIRE_BATCH_LOTS 500
/* Write rounds of one expiry run per program, so that a run always ends. */
#define PT_EXPIRE_ROUNDS_MAX 1000
/* Programs in one database that the background jobs visit per run. */
#define PT_PROGRAMS_MAX 10000
/* Categories excluded from earning, and the length of one. */
#define PT_CATEGORIES_MAX 100
#define PT_CATEGORY_BYTES_MAX 64
/* Largest amount of one purchase in minor units (10^15: beyond any real receipt, and products
 * with earn rates stay far from INT64_MAX). */
#define PT_AMOUNT_MAX 1000000000000000LL
/* Largest points of one redemption, adjustment or transfer. */
#define PT_POINTS_MAX 1000000000000000LL
/* How far in the future a purchase's occurred_at may be (tills with skewed clocks). */
#define PT_CLOCK_SKEW_MS (5 * 60 * 1000)
/* Pending days and expiry months a program may set. */
#define PT_PENDING_DAYS_MAX 365
#define PT_EXPIRY_MONTHS_MAX 120

/* Ids: "mem_" + 26 Crockford base32 characters (48-bit time + 80 random bits). */
#define PT_ID_PREFIX_BYTES_MAX 4
#define PT_ID_BYTES 30 /* prefix(3) + "_" + 26 */
#define PT_ID_BUF_BYTES 32
/* API keys: 256 random bits, "ptk_" + 52 base32 characters. */
#define PT_API_KEY_RANDOM_BYTES 32
#define PT_API_KEY_BYTES 56
#define PT_API_KEY_HASH_BYTES 32
/* Authenticated keys remembered per process (direct-mapped by hash) and for how long: a key
 * revoked through another process may work that long (the PostgreSQL issue's several nodes). */
#define PT_KEY_CACHE_SLOTS 256
#define PT_KEY_CACHE_TTL_MS 1000
/* Card numbers: 16 digits, the last a Luhn check digit. */
#define PT_CARD_DIGITS 16
/* Referral codes: 8 Crockford base32 characters (40 random bits). */
#define PT_REFERRAL_CODE_BYTES 8
/* Random draws of a unique card number or referral code before giving up. */
#define PT_UNIQUE_DRAWS_MAX 8

_Static_assert(PT_WRITE_BATCH_MAX <= PT_WRITE_QUEUE_MAX, "a batch fits in the queue");
_Static_assert(PT_PAGE_LIMIT_DEFAULT <= PT_PAGE_LIMIT_MAX, "default page within limit");
_Static_assert(PT_HTTP_BODY_BYTES_MAX < PT_REQUEST_ARENA_BYTES_MAX, "arena holds a body");
_Static_assert(PT_ATTRIBUTES_BYTES_MAX < PT_HTTP_BODY_BYTES_MAX, "attributes fit in a body");
_Static_assert(PT_ID_BYTES < PT_ID_BUF_BYTES, "id buffer holds NUL");

/* Birthday job: members per write, and writes per program and run. */
#define PT_BIRTHDAY_PAGE 200
#define PT_BIRTHDAY_ROUNDS_MAX 10000
/* Member activities: a type and the properties' size. */
#define PT_ACTIVITY_TYPE_BYTES_MAX 64
#define PT_ACTIVITY_PROPERTIES_BYTES_MAX (16 * 1024)

/* What-if simulation: purchases replayed by one request, and per page read. */
#define PT_SIMULATE_PURCHASES_MAX 200000
#define PT_SIMULATE_PAGE 500

/* Stamp cards: stamps that fill one card, active cards of a program (each is evaluated on every
 * purchase, as a rule), days an instance stays open. */
#define PT_STAMPS_REQUIRED_MAX 1000
#define PT_STAMP_CARDS_ACTIVE_MAX 50
#define PT_STAMP_CARD_VALID_DAYS_MAX 3650
/* Cards completed by one purchase (a purchase of many units on a small card). */
#define PT_STAMP_COMPLETIONS_MAX 1000

/* ---- Issue 16: the bounded ledger ---- */
/* Every stored number of the ledger has a bound far inside int64_t (9.2 * 10^18), so that no
 * addition can overflow, in C or in either engine's SQL (SQLite silently turns an overflowing
 * integer into a float; PostgreSQL fails the statement). A write that would pass a bound is
 * refused with 422 limit_exceeded and changes nothing (docs/security.md, "The bounded ledger").
 *
 * A member's points balance, its debt (owed) and each of its lots: 10^15 points, the largest
 * redemption, adjustment or transfer (PT_POINTS_MAX); a million times more points than a
 * lifetime of daily shopping earns at one point per cent. Likewise a member's wallet, in minor
 * units (10^15 cents is ten trillion in the currency). */
#define PT_MEMBER_POINTS_MAX PT_POINTS_MAX
#define PT_MEMBER_WALLET_MINOR_MAX 1000000000000000LL
/* Every other account (the program's accounts are kept per member and only grow with the
 * member's history: program:redeemed sums every redemption) and every lifetime counter of an
 * account: a thousand times a member's bound, so that 1,000 round trips of the largest balance
 * still fit, and one more posting (at most PT_POINTS_MAX) added to any of them stays inside
 * int64_t: the stores' guarded upserts compute the sum before comparing it. */
#define PT_ACCOUNT_UNITS_MAX 1000000000000000000LL
/* Tier metrics (points, spend and purchases of a member's month) and a rule's usage per member:
 * a tenth of that, so that a tier window's sum over its months (at most PT_TIER_MONTHS_MAX, 36,
 * core/tiers.h asserts it) still fits int64_t. A hundred purchases of the largest amount a
 * month. */
#define PT_METRIC_MAX 100000000000000000LL
/* earn_rate.points (points per earn_rate.per_amount) and earn_rate.per_amount: earned points are
 * computed as floor(amount * points / per_amount) in 128 bits, so the product of the largest
 * purchase and the largest rate (10^21) cannot overflow; a purchase that would earn more than
 * a member may hold is refused (422 limit_exceeded, field amount). */
#define PT_EARN_RATE_POINTS_MAX 1000000
#define PT_EARN_RATE_PER_AMOUNT_MAX 100000000
/* Either side of a program's point_value (what its points cost the business, an exact rational
 * amount/points): the bound PATCH /v1/program has taken since the setting came, far more than
 * any real price of a point. */
#define PT_POINT_VALUE_MAX 1000000000
/* Points one call of POST /v1/members/{id}/adjustments may move, per role (a program setting,
 * adjust_limits): a till's staff key corrects small mistakes; the admin may move up to the
 * per-call maximum. */
#define PT_ADJUST_STAFF_POINTS_DEFAULT 10000
#define PT_ADJUST_ADMIN_POINTS_DEFAULT PT_POINTS_MAX
/* The audit sums postings, lots and credits of a whole program in 128 bits (SQLite) or numeric
 * (PostgreSQL): at most 2^127 / PT_ACCOUNT_UNITS_MAX (1.7 * 10^20) rows each, beyond any disk. */
_Static_assert(PT_MEMBER_POINTS_MAX <= PT_ACCOUNT_UNITS_MAX, "a member's bound is the tighter one");
_Static_assert(PT_MEMBER_WALLET_MINOR_MAX <= PT_ACCOUNT_UNITS_MAX, "so is its wallet's");
_Static_assert(PT_ACCOUNT_UNITS_MAX <= INT64_MAX - PT_POINTS_MAX, "bound + a posting fits");
_Static_assert(PT_ACCOUNT_UNITS_MAX <= INT64_MAX - PT_AMOUNT_MAX, "bound + an amount fits");
_Static_assert(PT_ACCOUNT_UNITS_MAX <= INT64_MAX / 2, "two bounded values sum in int64_t");
_Static_assert(PT_AMOUNT_MAX <= INT64_MAX / PT_EARN_RATE_POINTS_MAX / 1000 * 1000000000,
               "amount * rate fits in 128 bits with room to spare");
_Static_assert(PT_ADJUST_STAFF_POINTS_DEFAULT <= PT_ADJUST_ADMIN_POINTS_DEFAULT, "staff <= admin");
_Static_assert(PT_ADJUST_ADMIN_POINTS_DEFAULT <= PT_MEMBER_POINTS_MAX, "a call fits a balance");

/* ---- Issue 16: the HTTP edge ---- */
/* Milliseconds a client has to send a request's complete headers, from the connection's opening
 * or the end of its previous answer (an idle keep-alive counts as slow headers; Apache keeps
 * keep-alives 5 s). Bounds how long a slowloris client holds a slot. --header-timeout-ms. */
#define PT_HTTP_HEADERS_TIMEOUT_MS_DEFAULT 10000
#define PT_HTTP_HEADERS_TIMEOUT_MS_MIN 100
#define PT_HTTP_HEADERS_TIMEOUT_MS_MAX 600000
/* A body has the headers' timeout as a grace, plus one second per this many bytes received:
 * 1 MiB may take 10 s + 64 s, a rate any till's link exceeds, while a trickling client is cut. */
#define PT_HTTP_BODY_RATE_MIN_BYTES_S (16 * 1024)
/* Connections one client address may hold at once (--max-connections-per-address): a till or an
 * integration's pool needs a few dozen; an attacker needs cap / 64 addresses to fill the server. */
#define PT_HTTP_CONNECTIONS_PER_ADDRESS_DEFAULT 64
/* Above HIGH open connections, the reaper reclaims idle keep-alives, then connections still
 * waiting for headers (oldest first), down to LOW: new clients always find a slot. */
#define PT_HTTP_CONNECTIONS_HIGH (PT_HTTP_CONNECTIONS_MAX * 7 / 8)
#define PT_HTTP_CONNECTIONS_LOW (PT_HTTP_CONNECTIONS_MAX * 3 / 4)
/* Milliseconds between two passes of the reaper (deadlines are that precise). */
#define PT_HTTP_REAPER_TICK_MS 100
/* Bytes of request bodies buffered at once by the whole server; a body that would pass it is
 * refused at once with 503 (64 maximal bodies; each request's arena is bounded separately). */
#define PT_HTTP_BODIES_BYTES_MAX (64LL * 1024 * 1024)
/* The request target (path and query, as sent) and the whole header section Patron accepts,
 * answered 414 and 431 as JSON (src/http/wire.c). Browsers send under 8 KiB of target, and
 * proxies' defaults for headers are 8 to 16 KiB. */
#define PT_HTTP_URI_BYTES_MAX (8 * 1024)
#define PT_HTTP_HEADERS_BYTES_MAX (16 * 1024)
_Static_assert(PT_HTTP_BODY_BYTES_MAX <= PT_HTTP_BODIES_BYTES_MAX, "one body fits the budget");
/* A program's share of that budget (one quarter): 16 slow maximal uploads of one program, or of
 * one stolen key, leave three quarters to the others instead of 503 for every program. */
#define PT_HTTP_BODIES_PROGRAM_BYTES_MAX (PT_HTTP_BODIES_BYTES_MAX / 4)
_Static_assert(PT_HTTP_BODY_BYTES_MAX <= PT_HTTP_BODIES_PROGRAM_BYTES_MAX, "one body fits a share");
/* Header fields Patron accepts (431 past it): each has a record in the request's head, and 100
 * is several times what browsers and proxies send. */
#define PT_HTTP_HEADER_FIELDS_MAX 100
/* Bytes of one log line; pt_log drops the extra fields of a longer one rather than cut it (a cut
 * line is not JSON). A request's line holds a path of at most 512 bytes, escaped. */
#define PT_LOG_LINE_BYTES_MAX 4096

/* ---- Issue 16: rate limits ---- */
/* Token buckets (src/core/ratelimit.c, docs/security.md "Rate limits"). The defaults of a
 * program that set none. A key: 2,000 requests a second with a burst of 4,000 is a hundred times
 * what a till or a web shop's checkout sends, and what one sequential client of the test suite
 * sends at most against the sanitizer build, so that integrations never meet it while one
 * leaked or looping key cannot take a server's whole capacity (about 10,000 purchases and 50,000
 * reads a second on the reference machine). A program: 5,000 a second, burst 10,000, about half
 * the purchases one server stores a second, so that two busy programs still share it. The
 * expensive routes of a program (cart evaluation, what-if simulation, coupon batches, the codes
 * export): 1,000 tokens a second, burst 2,000. A request takes one token; an evaluation then
 * costs one more per PT_RATE_EVAL_UNITS_PER_TOKEN units of the evaluator's cost (below), so that
 * at these defaults one program's rules evaluations take at most about 50 ms of CPU a second in
 * purchases and activities (the program's bucket: 5,000 tokens), 20 ms through one key, and
 * 10 ms in cart evaluations and simulations (the expensive bucket): a few percent of a core
 * each, whatever the program's rules. The benchmark raises them through PATCH /v1/program. */
#define PT_RATE_KEY_PER_SECOND_DEFAULT 2000
#define PT_RATE_KEY_BURST_DEFAULT 4000
#define PT_RATE_PROGRAM_PER_SECOND_DEFAULT 5000
#define PT_RATE_PROGRAM_BURST_DEFAULT 10000
#define PT_RATE_EXPENSIVE_PER_SECOND_DEFAULT 1000
#define PT_RATE_EXPENSIVE_BURST_DEFAULT 2000
/* All the publishable keys of a program together (web shops' pages: docs/security.md, "Rate
 * limits"), a bucket of their own that draws from none of the above, so that a page's visitors
 * never take the tills' tokens: 100 requests a second, burst 200, a product listing of 48
 * prices for two visitors a second; their evaluations' cost is charged to it alone. */
#define PT_RATE_PUBLISHABLE_PER_SECOND_DEFAULT 100
#define PT_RATE_PUBLISHABLE_BURST_DEFAULT 200
/* Members signed in to the portal are anyone who signed up: their requests draw from buckets of
 * their own, never from the program's (docs/security.md, "Rate limits"). Each member 20 a
 * second, burst 60 (a portal screen makes a handful of requests at once); all of a program's
 * members together 500 a second, burst 1,000. Not settings yet. */
#define PT_RATE_MEMBER_PER_SECOND_DEFAULT 20
#define PT_RATE_MEMBER_BURST_DEFAULT 60
#define PT_RATE_MEMBERS_PER_SECOND_DEFAULT 500
#define PT_RATE_MEMBERS_BURST_DEFAULT 1000
/* The most a program may set: past a million a second a limit no longer limits anything (the
 * server answers far fewer), and bursts stay far from overflowing a level in micro-tokens. */
#define PT_RATE_PER_SECOND_MAX 1000000
#define PT_RATE_BURST_MAX 10000000
/* Units of the evaluator's cost (pt_rules_eval_cost, about a nanosecond of CPU each) that cost
 * one token beyond the request's first: about 10 us of CPU. An ordinary cart (a few rules, a few
 * lines: some hundreds to a few thousand units) costs its request's token alone, a 200-line cart
 * under ten plain rules about 3 tokens, and one at the bound (PT_RULES_EVAL_COST_MAX, about 4 ms
 * of the single writer in a purchase) 400: the evaluations' CPU, not their count, is what the
 * buckets bound. Once lines x rules / 1,000 was charged: 16 rules at the bound on 200-line
 * purchases cost 3 tokens for 4 ms each, and one program's six threads took over the writer. */
#define PT_RATE_EVAL_UNITS_PER_TOKEN 10000
/* The most one charge takes (a simulation replays up to PT_SIMULATE_PURCHASES_MAX purchases):
 * about 10 s of CPU. A bucket may go this far into debt, so that a charge is never forgiven
 * below a small burst and the wait after it is the work's. */
#define PT_RATE_EVAL_TOKENS_MAX 1000000
/* Buckets one request draws from: its key's, its program's, and the program's expensive one. */
#define PT_RATE_BUCKETS_PER_REQUEST_MAX 3
/* Buckets one process remembers (keys and programs). Beyond, the least recently used of a
 * probe window is forgotten and starts full again: limits then err on the lenient side. */
#define PT_RATE_BUCKET_SLOTS 8192
#define PT_RATE_BUCKET_PROBES 8
/* How long a process uses a program's rate limits before reading them again: a change through
 * another process (several PostgreSQL nodes) applies within this; through this one at once. */
#define PT_RATE_POLICY_TTL_MS 1000

/* ---- Issue 16: fairness between programs ---- */
/* Codes that a program's coupon batches still being made may promise at once (their whole
 * counts, made or not, so that a client knows from its own list what it may still queue): one
 * batch of the largest size. One program that queued eight batches of a million kept every
 * other program's batches, and the jobs thread, busy for minutes. Past it POST
 * /v1/coupon-batches answers 422 limit_exceeded (field count) until a batch is ready. */
#define PT_BATCH_CODES_PENDING_MAX 1000000
/* Programs whose batches get one chunk each in one round of the batch runner (round robin by
 * program, fewest codes left first); more wait for the next round, which comes at once. */
#define PT_BATCH_ROUND_PROGRAMS 64
/* Seconds between two runs of the scheduled jobs (expiry, birthdays, tier reviews, coupon
 * expiry): the issue asks for at least hourly; a quarter keeps the gap between a lot's expiry
 * and its entry short. serve --jobs-interval-s sets it within 1 s .. a day. */
#define PT_JOBS_INTERVAL_S_DEFAULT (15 * 60)
#define PT_JOBS_INTERVAL_S_MAX (24 * 3600)
/* Work one evaluation of a program's rules may take, in units of one test of one value against
 * one cart line (pt_rules_eval_cost, src/core/rules_cost.c; docs/rules.md): 499 maximal rules
 * once made one 200-line cart cost about 220 ms of CPU, callable by any staff key. At this
 * bound the worst evaluation found takes about 5 ms (bench/rules_worst.c), while 500 ordinary
 * rules (a one-value item selector and one effect) on a 200-line cart cost 1,100,000. Saving a
 * rule that would let the largest cart pass it, and a cart (or simulation) that passes it, is
 * refused with 422 limit_exceeded. */
#define PT_RULES_EVAL_COST_MAX 4000000

/* ---- Issue 16: smaller bounds ---- */
/* The range of every date-time the API accepts (RFC 3339, pt_time_parse_rfc3339): from the Unix
 * epoch, so that no time is negative (a negative time once meant "absent" and a purchase of 1960
 * was re-dated to now), to the last instant of year 9999, the last a four-digit year writes.
 * Times of events (a purchase's or an activity's occurred_at) are bounded above by now plus
 * PT_CLOCK_SKEW_MS as well. */
#define PT_TIME_INPUT_MIN_MS 0LL
#define PT_TIME_INPUT_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
/* Programs that may set their own test clock (patron serve --test-clock, tests only): every
 * program of a test database. */
#define PT_TEST_CLOCKS_MAX PT_PROGRAMS_MAX
/* The return window a program may set (return_days; 0 = none, returns at any time): ten years,
 * beyond any shop's policy. New programs start with PT_RETURN_DAYS_DEFAULT and hold what a
 * return may take back (hold_returnable); programs from before keep no window and no hold. */
#define PT_RETURN_DAYS_MAX 3650
#define PT_RETURN_DAYS_DEFAULT 30

/* ---- Issue 19: sign-in (users, sessions, members) ---- */
/* A user's display name. */
#define PT_USER_NAME_BYTES_MAX 100
/* A password: at least 10 bytes (NIST SP 800-63B asks 8; 10 keeps a drawn admin password and a
 * typed one alike), at most 128 so that one request cannot make the hash read megabytes. */
#define PT_PASSWORD_BYTES_MIN 10
#define PT_PASSWORD_BYTES_MAX 128
/* Bytes of a stored argon2id string (crypto_pwhash_STRBYTES, with its NUL). */
#define PT_PASSWORD_HASH_BYTES 128
/* Hashes (argon2id, 64 MiB and about 0.1 s each) computed at once in a process: one per core
 * (the contract's N); a sign-in beyond them is answered 503 rather than queued, so that a flood
 * of sign-ins cannot hold the memory of a thousand hashes. The process counts its cores at
 * start, at least 1 and at most this. */
#define PT_PASSWORD_HASHES_MAX 64
/* Failures in a row that lock a user's or member's sign-in, and for how long (OWASP's
 * authentication cheat sheet: a few attempts, minutes of lock): 5 guesses a quarter of an hour,
 * 480 a day, against a drawn or a 10-byte password. */
#define PT_SIGN_IN_FAILURES_MAX 5
#define PT_SIGN_IN_LOCK_MS (15LL * 60 * 1000)
/* Sign-in attempts one client address may make (POST /v1/sessions, the portal's sign-in,
 * sign-up and password resets), a minute and in a burst: a till's shift change signs in a
 * dozen people behind one address, a script trying a list of accounts gets 10 a minute.
 * serve --sign-in-per-minute N sets the rate (1..PT_SIGN_IN_PER_MINUTE_MAX; the burst is the
 * larger of the default burst and N). */
#define PT_SIGN_IN_PER_MINUTE_DEFAULT 10
#define PT_SIGN_IN_BURST_DEFAULT 20
#define PT_SIGN_IN_PER_MINUTE_MAX 100000
/* Session and reset tokens: 32 random bytes, base64url without padding (43 characters). */
#define PT_SESSION_TOKEN_RANDOM_BYTES 32
#define PT_SESSION_TOKEN_BYTES 43
/* How long a session lasts from its sign-in: a working day for staff, a month for members on
 * their phone (the contract's 12 h and 30 days). */
#define PT_USER_SESSION_MS (12LL * 3600 * 1000)
#define PT_MEMBER_SESSION_MS (30LL * 24 * 3600 * 1000)
/* Sessions one user or member keeps: a sign-in beyond ends the oldest (a phone, a tablet, a
 * laptop and their browsers), so that a script signing in in a loop cannot grow the table. */
#define PT_SESSIONS_PER_SUBJECT_MAX 20
/* Authenticated sessions remembered per process, and for how long: a session ended through
 * another process may work that long (as PT_KEY_CACHE_TTL_MS for keys). */
#define PT_SESSION_CACHE_SLOTS 256
#define PT_SESSION_CACHE_TTL_MS 1000
/* A password reset token is good for an hour, once. */
#define PT_RESET_TOKEN_MS (3600LL * 1000)
/* The login of a member (an email or a phone number) as the portal takes it. */
#define PT_LOGIN_BYTES_MAX PT_EMAIL_BYTES_MAX
_Static_assert(PT_PASSWORD_BYTES_MIN <= PT_PASSWORD_BYTES_MAX, "a password can be valid");
_Static_assert(PT_SIGN_IN_PER_MINUTE_DEFAULT <= PT_SIGN_IN_BURST_DEFAULT, "a burst holds a minute");
/* ---- Issue 19: the program's summary ---- */
/* Months one GET /v1/program/summary may cover (its series has a row per month): three years,
 * what a dashboard compares; each month is a few index range scans (docs/ledger.md, "The
 * program's figures"), so the bound also bounds the request's work. */
#define PT_SUMMARY_MONTHS_MAX 36
/* Months of the default period: the last 12 whole months and the current one. */
#define PT_SUMMARY_MONTHS_DEFAULT 13
_Static_assert(PT_SUMMARY_MONTHS_DEFAULT <= PT_SUMMARY_MONTHS_MAX, "the default fits the bound");
/* ---- Issue 20: RFM ---- */
/* Members with a purchase that one RFM request scores (GET /v1/analytics/rfm and the routes
 * beside it; docs/analytics.md, "RFM"). The scores are quintiles of the whole program, so every
 * request reads and sorts every purchasing member: about 100 bytes each on the heap, 100 MB at
 * this bound, the bench size. A program past it is answered 422 limit_exceeded. */
#define PT_RFM_MEMBERS_MAX 1000000
/* ---- Issue 19: reading purchases back ---- */
/* The returns GET /v1/transactions/{id} lists with its purchase, oldest first (return_count
 * says how many there are): nothing bounds how often a purchase is returned (each return takes
 * at least a minor unit), and a till needs the first few and the totals, which the purchase
 * keeps (returned_amount, points_reversed, each line's returned_quantity). A page's worth. */
#define PT_PURCHASE_RETURNS_SHOWN_MAX PT_PAGE_LIMIT_MAX
/* ---- Issue 19: the program's public face, exports, publishable keys ---- */
/* A rule's description, shown to members on the portal's offers page beside its name: a few
 * sentences in plain language (a tweet and a half). Longer is refused with 422 limit_exceeded
 * (field description). */
#define PT_RULE_DESCRIPTION_BYTES_MAX 500
/* Catalog rewards GET /v1/public/program lists (cheapest first): a catalog a member can read on
 * a phone. The catalog itself has no bound; a public, keyless route must not answer with all of
 * it (GET /v1/rewards pages through the rest). */
#define PT_PUBLIC_REWARDS_MAX 100
/* Rows one member's export (GET /v1/members/{id}/export) may read in all: ledger lines,
 * purchases' items (a purchase without items counts one), returns, redemptions, coupons, stamp
 * cards, wallet lines, referrals, activities and tier changes. Ten thousand is decades of a
 * weekly shopper; the answer is then a few MB of JSON built in memory (its own arena, below, and
 * jansson's objects). A member past it is answered 422 limit_exceeded, and its paged lists
 * (ledger, coupons, referrals, ...) read the rest. */
#define PT_EXPORT_ROWS_MAX 10000
/* The arena an export is read into: its rows at a few hundred bytes each, with the room
 * pt_arena_grow leaves behind. */
#define PT_EXPORT_ARENA_BYTES_MAX (32 * 1024 * 1024)

/* ---- Issue 20: customer lifetime value (docs/analytics.md, "Customer lifetime value") ---- */
/* Customers one CLV fit may read (members with a purchase on or before the calibration end):
 * the largest program (1,000,000 members) twice over. The fit keeps a summary of 32
 * bytes per customer (64 MB at the bound) and reads their purchases in one pass; a program past
 * it is answered 422 limit_exceeded. */
#define PT_CLV_CUSTOMERS_MAX 2000000
/* Purchases one fit reads: ten a customer at the bound (the 10,000,000 twice). */
#define PT_CLV_PURCHASES_MAX (10LL * PT_CLV_CUSTOMERS_MAX)
/* Steps of the simplex in one descent, and descents restarted from the optimum before the fit
 * gives up (each restart is a new simplex around the last optimum; the fit stops when one no
 * longer moves any parameter by a relative 1e-7). The CDNOW sample converges in a few hundred
 * steps and three descents. */
#define PT_CLV_FIT_STEPS_MAX 20000
#define PT_CLV_FIT_RESTARTS_MAX 50
/* The horizon of GET /v1/members/{id}/value: ten years in the model's unit (a term each). */
#define PT_CLV_HORIZON_DAYS_MAX 3650
/* The program's annual discount rate of CLV, in basis points: at most 100% a year. */
#define PT_CLV_DISCOUNT_BP_MAX 10000
#define PT_CLV_DISCOUNT_BP_DEFAULT 1000

/* ---- Issue 20: inquiries and staff notes (docs/crm.md) ---- */
/* An inquiry's subject and body, a reply's body, in bytes of UTF-8 (the API says characters of
 * ASCII; a multibyte text holds fewer). */
#define PT_INQUIRY_SUBJECT_MAX 200
#define PT_INQUIRY_BODY_MAX 10000
/* Tags of an inquiry, each 1..PT_INQUIRY_TAG_MAX bytes. */
#define PT_INQUIRY_TAGS_MAX 20
#define PT_INQUIRY_TAG_MAX 50
/* A contact without membership: name, email, phone. */
#define PT_INQUIRY_CONTACT_NAME_MAX 200
#define PT_INQUIRY_CONTACT_EMAIL_MAX 254
#define PT_INQUIRY_CONTACT_PHONE_MAX 32
/* Replies of one inquiry: GET /v1/inquiries/{id} answers all of them (at most about 10 MB of
 * bodies); the next one is 422 limit_exceeded (too_many_replies). */
#define PT_INQUIRY_REPLIES_MAX 1000
/* Inquiries of one member (counted on its index at each create; the next is 422
 * too_many_inquiries): the bound of its export's rows. A contact's inquiries have no bound but
 * the program's rate limits and storage: counting all of a program's at each create would cost
 * the writer a scan. */
#define PT_INQUIRIES_PER_MEMBER_MAX 10000
/* A staff note's body; notes on one member (the next is 422 too_many_notes). */
#define PT_NOTE_BODY_MAX 5000
#define PT_NOTES_PER_MEMBER_MAX 1000
/* ---- Issue 20: surveys (docs/crm.md, "Surveys") ---- */
/* A survey's name, bytes. */
#define PT_SURVEY_NAME_BYTES_MAX 200
/* Questions a survey holds, 1..50; a question's id 1..32 of [a-z0-9_], its text 1..500 bytes. */
#define PT_SURVEY_QUESTIONS_MAX 50
#define PT_SURVEY_QUESTION_ID_BYTES_MAX 32
#define PT_SURVEY_QUESTION_TEXT_BYTES_MAX 500
/* A choice question's options: 2..20, each 1..100 bytes (a bit each of a 32-bit mask). */
#define PT_SURVEY_OPTIONS_MIN 2
#define PT_SURVEY_OPTIONS_MAX 20
#define PT_SURVEY_OPTION_BYTES_MAX 100
/* A text answer, 1..2,000 bytes of UTF-8. */
#define PT_SURVEY_ANSWER_TEXT_BYTES_MAX 2000
/* The latest text answers a survey's results show per text question. */
#define PT_SURVEY_RESULTS_TEXTS_MAX 20

#endif
