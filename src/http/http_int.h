/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared by the files of src/http: the per-request context, the route table, JSON
 * helpers and the error table. Every request owns one struct pt_http_ctx, allocated when its
 * headers arrive and freed by the completion callback; its arena holds everything else.
 */
#ifndef PT_HTTP_HTTP_INT_H
#define PT_HTTP_HTTP_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/limits.h"
#include "http/http.h"
#include "http/wire.h"
#include "service/service.h"

/* Path parameters per route ("{id}"); routes have at most two. */
#define PT_ROUTE_PARAMS_MAX 2
/* Bytes of one path parameter; ids are 31, anything longer cannot match an object. */
#define PT_ROUTE_PARAM_BYTES_MAX 128

struct pt_http_ctx;
struct pt_edge_slot;
typedef void (*pt_http_handler_fn)(struct pt_http_ctx *ctx);

enum pt_route_flags {
    PT_ROUTE_PUBLIC = 1 << 0, /* No API key needed. */
    PT_ROUTE_ADMIN = 1 << 1,  /* Admin keys only (staff get 403). */
    PT_ROUTE_BODY = 1 << 2,   /* Takes a JSON body. */
    PT_ROUTE_QUERY = 1 << 3,  /* Takes query parameters (its handler checks which). */
    /* Also draws from the program's expensive bucket (ratelimit.c). */
    PT_ROUTE_EXPENSIVE = 1 << 4,
    /* An action (API.md): no body and {} are the same request; a body holds only the route's
     * fields (pt_route_action_fields), checked before the handler runs (pt_http_action_read). */
    PT_ROUTE_ACTION = 1 << 5,
    /* A member's session may call it; what it answers is the member's own (the service keeps a
     * coupon to its member: another's is 404). */
    PT_ROUTE_MEMBER = 1 << 6,
    /* A member's session may call it for its own id: the path's first parameter ({id}) must be
     * the member's, else 404 as if absent. Any route a member may call carries one of these. */
    PT_ROUTE_MEMBER_SELF = 1 << 7,
    /* For signed-in sessions of any kind and role (the current session): an API key gets 403. */
    PT_ROUTE_SESSION = 1 << 8,
    /* Not for viewers, not even its GET (API keys, users). */
    PT_ROUTE_NO_VIEWER = 1 << 9,
    /* A sign-in route: draws from its client address's sign-in bucket before its body is read
     * (ratelimit.c). */
    PT_ROUTE_SIGN_IN = 1 << 10,
    /* A publishable key may call it (from an allowed Origin), and it answers CORS: a preflight
     * (OPTIONS) and the headers of a publishable key's answers (docs/security.md,
     * "Publishable keys and CORS").
     * Publishable keys may call no other route. */
    PT_ROUTE_PUBLISHABLE = 1 << 11,
};

struct pt_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/v1/members/{id}"; static. */
    pt_http_handler_fn handler;
    unsigned flags; /* enum pt_route_flags */
};

extern const struct pt_route pt_routes[];
extern const unsigned pt_route_count;
/* The optional fields an action's body may hold (NULL-terminated; static), none for most. */
const char *const *pt_route_action_fields(const struct pt_route *route);

/* A request's rate limiting (ratelimit.c). */
struct pt_http_rate {
    bool checked;                   /* The request drew from its buckets: headers are sent. */
    bool expensive;                 /* It drew from the program's expensive bucket too. */
    struct pt_rate_limits limits;   /* The program's, effective, when checked. */
    struct pt_rate_verdict verdict; /* Of its tightest bucket. */
};

/* A streamed answer's reader (pt_http_reply_stream): writes at most max bytes of the body from
 * byte pos into buf and returns how many, or one of these. */
typedef ssize_t (*pt_http_stream_fn)(void *cls, uint64_t pos, char *buf, size_t max);
typedef void (*pt_http_stream_free_fn)(void *cls);
#define PT_HTTP_STREAM_END ((ssize_t)-1)   /* The body is complete. */
#define PT_HTTP_STREAM_ERROR ((ssize_t)-2) /* It cannot be completed: the connection closes. */
#define PT_HTTP_SIZE_UNKNOWN UINT64_MAX    /* A streamed body of unknown size is sent chunked. */
/* Bytes of a response's own header lines (Content-Type, X-Request-Id, RateLimit-*, ...). */
#define PT_HTTP_RESPONSE_HEADERS_BYTES 1024

/* The answer a request queued, sent by connection.c once the handler returns. */
struct pt_http_response {
    unsigned status;
    char headers[PT_HTTP_RESPONSE_HEADERS_BYTES]; /* "Name: value\r\n" lines. */
    size_t headers_len;
    const char *body; /* body_owned, or borrowed from the request's arena; NULL for none. */
    char *body_owned; /* pt_malloc'ed, freed with the request; NULL when borrowed or none. */
    size_t body_len;
    pt_http_stream_fn stream; /* Or a streamed body. */
    void *stream_cls;
    pt_http_stream_free_fn stream_free;
    uint64_t stream_size; /* PT_HTTP_SIZE_UNKNOWN: chunked. */
};

/* One decoded query parameter; value is NULL for "?key" without '='. */
struct pt_http_query_pair {
    const char *key;
    const char *value;
};

struct pt_http_ctx {
    struct pt_service *svc;           /* borrowed */
    const struct pt_wire_head *head;  /* borrowed from the connection for the request's life */
    const char *method;               /* head->method */
    char path[512];                   /* URL path, percent-decoded (query excluded); longer: 404 */
    struct pt_http_query_pair *query; /* In the arena; query_count of them. */
    unsigned query_count;
    struct pt_arena arena;     /* Request memory; released when the request ends. */
    struct pt_buf body;        /* Request body, at most PT_HTTP_BODY_BYTES_MAX. */
    bool body_too_large;       /* The body passed the limit; answer 413. */
    bool body_oom;             /* With body_too_large: the heap refused, not the limit; 503. */
    size_t body_reserved;      /* Bytes of the bodies' budget held (pt_edge_body_reserve). */
    struct pt_edge_slot *edge; /* The connection's watchdog slot (edge.c); may be NULL. */
    bool close_after;          /* Answered before its body was read: the connection must close. */
    bool logged;               /* The request's log line and metrics were written. */
    int path_route;            /* Index of a route whose path matched (for the log), or -1. */
    size_t discarded_bytes;    /* Body bytes dropped after the limit was passed. */
    bool answered;             /* A response was queued (resp). */
    struct pt_http_response resp;
    bool after_stop; /* Began after SIGTERM: refused with 503 (in-flight ones finish). */
    char request_id[PT_REQUEST_ID_BYTES_MAX + 1];
    int64_t start_us; /* Monotonic time the headers arrived. */
    int route_index;  /* Index in pt_routes, or -1 when no route matched. */
    char params[PT_ROUTE_PARAMS_MAX][PT_ROUTE_PARAM_BYTES_MAX];
    struct pt_principal who; /* Valid when has_who. */
    bool has_who;
    uint32_t client_addr; /* The peer's IPv4 address (network order); 0 when unknown. */
    /* The session cookie's token when the request was authenticated by it (auth.c); "" for a
     * key or a public route. A secret: never logged. */
    char session_token[PT_SESSION_TOKEN_BYTES + 1];
    int status; /* Status of the response sent. */
    /* This request's rate limiting (ratelimit.c). */
    struct pt_http_rate rate;
    /* A publishable key's request from one of its allowed origins (auth.c): its answer, errors
     * included, carries Access-Control-Allow-Origin with the request's Origin. */
    bool cors;
    /* An action's body (PT_ROUTE_ACTION): an object holding only its route's fields, {} when
     * none was sent; owned, released after the handler. NULL for other routes. */
    json_t *action;
};

/* ---- A request's life (server.c), driven by a connection (connection.c) ---- */

/* A request whose head arrived, or (head NULL) a head refused by the wire format with werr:
 * the context is answered already then. NULL when memory runs out (close the connection). */
struct pt_http_ctx *pt_http_request_new(struct pt_service *svc, struct pt_edge_slot *edge,
                                        const struct pt_wire_head *head,
                                        const struct pt_wire_error *werr);
/* Everything decided before the body is read (route, key, limits, ...). False when answered. */
bool pt_http_request_admit(struct pt_http_ctx *ctx);
/* A piece of the body; false when the connection must hang up without an answer. */
bool pt_http_request_body(struct pt_http_ctx *ctx, const char *data, size_t n);
/* The body is complete: runs the route's handler, which answers. */
void pt_http_request_dispatch(struct pt_http_ctx *ctx);
/* Answered (or abandoned): writes its log line and metrics, once. */
void pt_http_request_log(struct pt_http_ctx *ctx);
/* Releases the request (its body's budget, arena, response). */
void pt_http_request_free(struct pt_http_ctx *ctx);
/* Whether SIGTERM or SIGINT asked the server to stop (connections close after their answer). */
bool pt_http_stopping(void);
/* Requests between their head and the end of their answer. */
unsigned pt_http_requests_in_flight(void);
/* The value of a request header (first of the name, without case), or NULL. borrowed */
const char *pt_http_header(const struct pt_http_ctx *ctx, const char *name);
/* Adds "name: value" to the response being built; false when the header block is full. */
bool pt_http_response_header(struct pt_http_response *resp, const char *name, const char *value);

/* ---- Authentication (auth.c) ---- */

/* Who calls (the Bearer key, else the session cookie) and whether the route lets them: 401,
 * 403 (the role, or csrf_failed for a cookie's write without its X-CSRF-Token), 404 (a member's
 * session on another member's path). Answers and returns false when refused. */
bool pt_http_authorize(struct pt_http_ctx *ctx, const struct pt_route *route);
/* Answers an OPTIONS request on a route flagged PT_ROUTE_PUBLISHABLE (a CORS preflight) and
 * returns true; false, answering nothing, when the path is no such route's. */
bool pt_http_cors_preflight(struct pt_http_ctx *ctx);
/* Adds Access-Control-Allow-Origin and Vary to a publishable key's answer (ctx->cors). */
void pt_http_cors_headers(const struct pt_http_ctx *ctx, struct pt_http_response *resp);
/* Sets the session cookie of token, good for max_age_s seconds (0: ends it), on the answer. */
void pt_http_session_cookie(struct pt_http_ctx *ctx, const char *token, int64_t max_age_s);
/* The server's settings of sign-in (serve's flags), set before serving. */
void pt_http_auth_configure(const struct pt_http_config *config);
/* Sign-ins a client address may make a minute (serve --sign-in-per-minute). */
unsigned pt_http_sign_in_per_minute(void);

/* ---- Connections (connection.c) ---- */

struct pt_http_listener;
/* Listens on addr (IPv4) and serves each connection on its own thread until
 * pt_http_listener_stop. *port is the port bound (for port 0). */
enum pt_rc pt_http_listener_start(const struct pt_http_config *config, struct pt_service *svc,
                                  struct pt_http_listener **out, uint16_t *port,
                                  struct pt_err *err);
/* Stops accepting, lets the requests in flight finish until drain_until_us (monotonic), then
 * shuts the remaining connections, waits for their threads and frees l. */
void pt_http_listener_stop(struct pt_http_listener *l, int64_t drain_until_us);

/* ---- Responses (server.c) ---- */

/* Sends root (takes the reference) with status. */
void pt_http_reply_json(struct pt_http_ctx *ctx, unsigned status, json_t *root);
/* Sends body bytes (copied) with status and content type; replayed adds Idempotent-Replayed.
 * When the copy cannot be made, a fixed 503 "out of memory" answer goes instead. */
void pt_http_reply_raw(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                       const char *body, size_t len, bool replayed);
/* The same for a body that lives until the request is freed (the request's arena): nothing is
 * copied, so the answer of a write encoded before its commit cannot fail after it. */
void pt_http_reply_borrowed(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                            const char *body, size_t len, bool replayed);
/* Bytes a streamed answer's reader is asked for per call. */
#define PT_HTTP_STREAM_BLOCK_BYTES (64 * 1024)
/* Sends a 200 whose body of size bytes (PT_HTTP_SIZE_UNKNOWN: chunked) reader writes as it
 * goes, on the connection's thread; free_cls(cls) runs when the answer is done or dropped. */
void pt_http_reply_stream(struct pt_http_ctx *ctx, const char *content_type, uint64_t size,
                          pt_http_stream_fn reader, void *cls, pt_http_stream_free_fn free_cls);
/* Sends the API error object for err (status from the table in errors.c). */
void pt_http_reply_err(struct pt_http_ctx *ctx, const struct pt_err *err);
/* Sends an error with an explicit status and code. field may be NULL. */
void pt_http_reply_error(struct pt_http_ctx *ctx, unsigned status, const char *code,
                         const char *field, const char *message);

/* ---- Errors (errors.c) ---- */

/* The HTTP status and default API code of rc. */
unsigned pt_http_status_of(enum pt_rc rc);
const char *pt_http_code_of(enum pt_rc rc);

/* ---- JSON helpers (json.c) ---- */

/* Whether JSON text made by json_dumps holds the character U+0000 (in a key or a value):
 * stored documents must not, since they are read back without JSON_ALLOW_NUL. */
bool pt_json_text_has_nul(const char *text);

/* Reads an action's body (PT_ROUTE_ACTION, API.md) into ctx->action: none and {} are the same
 * request, an object holding only route's fields is kept for the handler; anything else is
 * answered 400 (malformed_json, or validation_failed naming the unknown field) and false
 * returned. */
bool pt_http_action_read(struct pt_http_ctx *ctx, const struct pt_route *route);
/* Parses the request body as a JSON object. On failure answers 400 and returns NULL. new */
json_t *pt_http_body_object(struct pt_http_ctx *ctx);
/* PT_EINVAL naming the first key of obj not in allowed (NULL-terminated). */
enum pt_rc pt_json_check_fields(json_t *obj, const char *const *allowed, struct pt_err *err);
/*
 * Reads obj[key] as a string into the arena. Absent or null -> *out NULL (PT_EINVAL if
 * required). Wrong type -> PT_EINVAL naming key.
 */
enum pt_rc pt_json_get_string(json_t *obj, const char *key, bool required, struct pt_arena *arena,
                              const char **out, struct pt_err *err);
/* Reads obj[key] as an integer in [min, max]; JSON reals and strings are refused. Absent ->
 * PT_EINVAL when required, else *out untouched and *present false. field names the error. */
enum pt_rc pt_json_get_int(json_t *obj, const char *key, const char *field, bool required,
                           int64_t min, int64_t max, int64_t *out, bool *present,
                           struct pt_err *err);
/* Answers with the text of a JSON document in the request's arena (borrowed, not copied). */
void pt_http_reply_text_json(struct pt_http_ctx *ctx, unsigned status, const char *json);
/* Returns a new string json or json null for NULL. new */
json_t *pt_json_string_or_null(const char *s);
/* A list of names (excluded categories, a reward's tiers, a tier's perks) as a JSON array of
 * strings. new */
json_t *pt_json_names(const char *const *names, unsigned count);
/* Copies the strings of the JSON array v, each already checked by the caller, into an arena
 * array of arena strings. OUT: *names (NULL when empty) and *count. PT_ENOMEM. */
PT_MUSTCHECK enum pt_rc pt_json_names_copy(json_t *v, struct pt_arena *arena,
                                           const char *const **names, unsigned *count,
                                           struct pt_err *err);

/* ---- Field tables over JSON (fields.c; core/fields.h) ---- */

/* Decodes the PT_FIELD_CUSTOM field f, given in the JSON object patch, onto obj. */
typedef enum pt_rc (*pt_http_field_decode_fn)(void *ctx, const struct pt_field *f, json_t *patch,
                                              struct pt_arena *arena, void *obj,
                                              struct pt_err *err);
/* Encodes the PT_FIELD_CUSTOM field f of obj. new */
typedef json_t *(*pt_http_field_encode_fn)(void *ctx, const struct pt_field *f, const void *obj);
/* PT_EINVAL naming the first name of the JSON object obj that is not a top-level field of the
 * table (a read-only one included). */
PT_MUSTCHECK enum pt_rc pt_http_fields_check(const struct pt_field *fields, size_t n, json_t *obj,
                                             struct pt_arena *arena, struct pt_err *err);
/* Applies the JSON object patch onto obj (a struct described by fields[0..n)): names outside
 * the table are refused, absent fields keep their values, each given one is checked against
 * its limits, in the table's order; custom fields go to custom. PT_EINVAL naming the field. */
PT_MUSTCHECK enum pt_rc pt_http_fields_decode(const struct pt_field *fields, size_t n,
                                              json_t *patch, struct pt_arena *arena, void *obj,
                                              pt_http_field_decode_fn custom, void *custom_ctx,
                                              struct pt_err *err);
/* Sets obj's fields into root in the table's order, custom ones from custom. Returns root
 * (NULL when root is NULL). */
json_t *pt_http_fields_encode(const struct pt_field *fields, size_t n, const void *obj,
                              json_t *root, pt_http_field_encode_fn custom, void *custom_ctx);
/* The same, the top-level fields (with their members) named in shown (NULL-ended) in its order:
 * for a noun whose answer shows its fields in another order than a body is read. */
json_t *pt_http_fields_encode_in(const struct pt_field *fields, size_t n, const char *const *shown,
                                 const void *obj, json_t *root, pt_http_field_encode_fn custom,
                                 void *custom_ctx);
/* RFC 3339 string of a time. new */
json_t *pt_json_time(int64_t at_ms);
/* Encodes root (takes the reference; NULL: out of memory) as compact JSON into the arena. */
enum pt_rc pt_json_dump_arena(json_t *root, struct pt_arena *arena, const char **out,
                              struct pt_err *err);
/* The time, or json null when it is the open end `open` (INT64_MIN or INT64_MAX). new */
json_t *pt_json_time_or_null(int64_t at_ms, int64_t open);
/* Checks that a JSON value nests at most max_depth levels (iteratively). */
bool pt_json_depth_ok(json_t *root, unsigned max_depth);
/* Answers 400 when the query has a parameter not in allowed (NULL-terminated); returns false. */
bool pt_http_query_check(struct pt_http_ctx *ctx, const char *const *allowed);
/* Returns the query parameter or NULL. borrowed */
const char *pt_http_query(struct pt_http_ctx *ctx, const char *name);
/* Fills idem from the Idempotency-Key header; answers 400 and returns false when malformed. */
bool pt_http_idem_init(struct pt_http_ctx *ctx, struct pt_idem *idem, unsigned status);
/* Answers a replayed idempotent request with the stored status and body. */
void pt_http_reply_replay(struct pt_http_ctx *ctx, const struct pt_idem *idem);

/* ---- Request decoders (decode.c): JSON body -> plain C request ---- */

/* Parses body bytes as a JSON object (duplicates refused, depth bounded). PT_EINVAL with code
 * "malformed_json" (message gives the byte offset) or a validation message. OUT: new json. */
enum pt_rc pt_decode_body(const char *bytes, size_t len, json_t **out, struct pt_err *err);
/* A member's settable fields (and status when allow_status) into m; strings in the arena. */
enum pt_rc pt_decode_member(json_t *obj, bool allow_status, struct pt_arena *arena,
                            struct pt_member *m, struct pt_err *err);
/* A purchase (POST /v1/transactions); occurred_at_ms is -1 when absent. */
enum pt_rc pt_decode_purchase(json_t *body, struct pt_arena *arena, struct pt_purchase *p,
                              struct pt_err *err);
/* A return (POST /v1/transactions/{id}/returns): amount or items. */
/* POST /v1/carts/evaluate: *currency is the optional currency given (arena). */
enum pt_rc pt_decode_cart(json_t *body, struct pt_arena *arena, struct pt_cart_request *cart,
                          const char **currency, struct pt_err *err);
/* The rules' answer on a cart (evaluate) or purchase: sets discount, base_points, rules, lines,
 * free_shipping, messages and nudges on obj. */
void pt_http_cart_answer_fields(json_t *obj, const struct pt_cart_answer *a);
/* A purchase as POST /v1/transactions answers it (h_ledger.c). new */
json_t *pt_http_purchase_json(const struct pt_purchase_result *r);
/* A purchase's or a cart's payment lines (h_ledger.c). */
json_t *pt_http_payments_json(const struct pt_payment *payments, unsigned count);
enum pt_rc pt_decode_return(json_t *body, struct pt_arena *arena, struct pt_return_request *req,
                            struct pt_err *err);

/* ---- JSON merge patch (merge_patch.c) ---- */

/*
 * Applies the RFC 7396 merge patch to target and returns the result (new reference; target is
 * modified in place when both are objects). Returns NULL when the patch nests deeper than
 * max_depth or memory runs out. target: takes; patch: borrowed.
 */
json_t *pt_json_merge_patch(json_t *target, json_t *patch, unsigned max_depth);

/* ---- The edge's watchdog (edge.c) ---- */

/* Starts the reaper thread that enforces the deadlines below; pt_edge_stop ends it. */
enum pt_rc pt_edge_start(unsigned headers_timeout_ms, struct pt_err *err);
void pt_edge_stop(void);
/* A connection opened on fd (its headers deadline starts); NULL when the table is full. */
struct pt_edge_slot *pt_edge_open(int fd);
/* The connection closes (fd is closed right after); s may be NULL. */
void pt_edge_close(struct pt_edge_slot *s);
/* Phases of the connection's current request: headers received (the body must follow at the
 * minimum rate; progress adds the bytes received), being answered (no deadline), answered
 * (keep-alive: the next request's headers have the headers deadline). s may be NULL. */
void pt_edge_headers_done(struct pt_edge_slot *s);
void pt_edge_body_progress(struct pt_edge_slot *s, size_t bytes);
void pt_edge_busy(struct pt_edge_slot *s);
/* Sending bytes of an answer (or of a streamed answer's block): they must be read within the
 * headers' timeout plus a second per PT_HTTP_BODY_RATE_MIN_BYTES_S. s may be NULL. */
void pt_edge_sending(struct pt_edge_slot *s, size_t bytes);
void pt_edge_idle(struct pt_edge_slot *s);
/* Shuts every open connection down (the last step of a graceful stop). */
void pt_edge_shutdown_all(void);
/* Holds bytes of the server-wide budget for request bodies (PT_HTTP_BODIES_BYTES_MAX); false
 * when they do not fit. */
bool pt_edge_body_reserve(const char *program_id, size_t bytes);
void pt_edge_body_release(const char *program_id, size_t bytes);

/* ---- Rate limits (ratelimit.c) ---- */

/* Right after authentication: draws the request's tokens (its key's, its program's, and for a
 * PT_ROUTE_EXPENSIVE route the program's expensive bucket's). Returns false after answering
 * 429 rate_limited when one lacks them; nothing else is done for the request then. Public
 * routes and requests without a key pass untouched. Thread-safe. */
bool pt_http_ratelimit_admit(struct pt_http_ctx *ctx, const struct pt_route *route);
/* After evaluations that cost units (pt_rules_eval_cost, summed): charges their tokens
 * (core/ratelimit.h) to the request's key's and program's buckets, or for an expensive route to
 * the program's expensive bucket; later requests wait for it. Thread-safe. */
void pt_http_ratelimit_charge(struct pt_http_ctx *ctx, int64_t units);
/* Adds RateLimit-Limit, -Remaining, -Reset (and Retry-After when refused) to resp, for a
 * request that drew from its buckets. */
void pt_http_ratelimit_headers(const struct pt_http_ctx *ctx, struct pt_http_response *resp);
/* The program's limits are read again on its next request (they were just changed). */
void pt_http_ratelimit_forget(const char *program_id);
/* The program setting `rate_limits`, effective values (0s shown as the defaults). new */
json_t *pt_http_rate_limits_json(const struct pt_rate_limits *stored);
/* Merges the setting `rate_limits` (JSON merge patch: null restores defaults) into l. */
enum pt_rc pt_http_rate_limits_parse(json_t *v, struct pt_rate_limits *l, struct pt_err *err);

/* ---- Metrics (metrics.c) ---- */

void pt_metrics_record(int route_index, unsigned status, int64_t duration_us);
void pt_metrics_connection(int delta);
/* Returns the Prometheus text exposition in buf. */
void pt_metrics_render(struct pt_buf *buf);

/* ---- Handlers ---- */

void pt_h_healthz(struct pt_http_ctx *ctx);
void pt_h_metrics(struct pt_http_ctx *ctx);
void pt_h_key_create(struct pt_http_ctx *ctx);
void pt_h_key_list(struct pt_http_ctx *ctx);
void pt_h_key_delete(struct pt_http_ctx *ctx);
void pt_h_member_create(struct pt_http_ctx *ctx);
void pt_h_member_get(struct pt_http_ctx *ctx);
void pt_h_member_patch(struct pt_http_ctx *ctx);
void pt_h_member_reopen(struct pt_http_ctx *ctx);
void pt_h_member_list(struct pt_http_ctx *ctx);
void pt_h_program_get(struct pt_http_ctx *ctx);
void pt_h_program_patch(struct pt_http_ctx *ctx);
void pt_h_program_summary(struct pt_http_ctx *ctx); /* h_summary.c */
void pt_h_rfm_list(struct pt_http_ctx *ctx);        /* h_rfm.c */
void pt_h_rfm_segments(struct pt_http_ctx *ctx);    /* h_rfm.c */
void pt_h_member_rfm(struct pt_http_ctx *ctx);      /* h_rfm.c */
/* Customer lifetime value (h_clv.c). */
void pt_h_clv_fit(struct pt_http_ctx *ctx);
void pt_h_clv_get(struct pt_http_ctx *ctx);
void pt_h_member_value(struct pt_http_ctx *ctx);
/* Inquiries and staff notes (h_inquiries.c). */
void pt_h_inquiry_create(struct pt_http_ctx *ctx);
void pt_h_inquiry_list(struct pt_http_ctx *ctx);
void pt_h_inquiry_get(struct pt_http_ctx *ctx);
void pt_h_inquiry_patch(struct pt_http_ctx *ctx);
void pt_h_inquiry_reply(struct pt_http_ctx *ctx);
void pt_h_note_create(struct pt_http_ctx *ctx);
void pt_h_note_list(struct pt_http_ctx *ctx);
/* Adds the member's "inquiries" (each with its "replies") and staff "notes" to the export's
 * root (h_exports.c). PT_ENOTFOUND, PT_ELIMIT limit_exceeded. */
enum pt_rc pt_http_inquiry_export_add(struct pt_http_ctx *ctx, const char *member_id,
                                      struct pt_arena *arena, json_t *root, struct pt_err *err);
/* Surveys (h_surveys.c). */
void pt_h_survey_create(struct pt_http_ctx *ctx);
void pt_h_survey_list(struct pt_http_ctx *ctx);
void pt_h_survey_get(struct pt_http_ctx *ctx);
void pt_h_survey_patch(struct pt_http_ctx *ctx);
void pt_h_survey_respond(struct pt_http_ctx *ctx);
void pt_h_survey_results(struct pt_http_ctx *ctx);
void pt_h_purchase_create(struct pt_http_ctx *ctx);
void pt_h_return_create(struct pt_http_ctx *ctx);
void pt_h_redemption_create(struct pt_http_ctx *ctx);
void pt_h_redemption_cancel(struct pt_http_ctx *ctx);
void pt_h_adjustment_create(struct pt_http_ctx *ctx);
void pt_h_transfer_create(struct pt_http_ctx *ctx);
void pt_h_balance_get(struct pt_http_ctx *ctx);
void pt_h_ledger_list(struct pt_http_ctx *ctx);
void pt_h_expire_run(struct pt_http_ctx *ctx);
void pt_h_event_list(struct pt_http_ctx *ctx);
void pt_h_test_clock_set(struct pt_http_ctx *ctx);
void pt_h_rule_create(struct pt_http_ctx *ctx);
void pt_h_rule_list(struct pt_http_ctx *ctx);
void pt_h_rule_get(struct pt_http_ctx *ctx);
void pt_h_rule_patch(struct pt_http_ctx *ctx);
void pt_h_rule_activate(struct pt_http_ctx *ctx);
void pt_h_rule_pause(struct pt_http_ctx *ctx);
void pt_h_rule_archive(struct pt_http_ctx *ctx);
void pt_h_rule_versions(struct pt_http_ctx *ctx);
void pt_h_cart_evaluate(struct pt_http_ctx *ctx);
void pt_h_rule_simulate(struct pt_http_ctx *ctx);
void pt_h_activity_create(struct pt_http_ctx *ctx);
void pt_h_birthdays_run(struct pt_http_ctx *ctx);
void pt_h_member_tier_get(struct pt_http_ctx *ctx);
void pt_h_tier_reviews_run(struct pt_http_ctx *ctx);
void pt_h_stamp_card_create(struct pt_http_ctx *ctx);
void pt_h_stamp_card_list(struct pt_http_ctx *ctx);
void pt_h_stamp_card_get(struct pt_http_ctx *ctx);
void pt_h_stamp_card_patch(struct pt_http_ctx *ctx);
void pt_h_member_stamp_cards(struct pt_http_ctx *ctx);
void pt_h_wallet_get(struct pt_http_ctx *ctx);
void pt_h_member_referrals(struct pt_http_ctx *ctx);
void pt_h_member_card_qr(struct pt_http_ctx *ctx);
void pt_h_reward_create(struct pt_http_ctx *ctx);
void pt_h_reward_list(struct pt_http_ctx *ctx);
void pt_h_reward_get(struct pt_http_ctx *ctx);
void pt_h_reward_patch(struct pt_http_ctx *ctx);
void pt_h_reward_redeem(struct pt_http_ctx *ctx);
void pt_h_vouchers_add(struct pt_http_ctx *ctx);
void pt_h_vouchers_get(struct pt_http_ctx *ctx);
void pt_h_coupon_get(struct pt_http_ctx *ctx);
void pt_h_coupon_redeem(struct pt_http_ctx *ctx);
void pt_h_coupon_cancel(struct pt_http_ctx *ctx);
void pt_h_coupon_qr(struct pt_http_ctx *ctx);
void pt_h_coupon_barcode(struct pt_http_ctx *ctx);
void pt_h_coupon_qr_png(struct pt_http_ctx *ctx);
void pt_h_member_coupons(struct pt_http_ctx *ctx);
void pt_h_member_export(struct pt_http_ctx *ctx);
void pt_h_member_erase(struct pt_http_ctx *ctx);
void pt_h_batch_create(struct pt_http_ctx *ctx);
void pt_h_batch_list(struct pt_http_ctx *ctx);
void pt_h_batch_get(struct pt_http_ctx *ctx);
void pt_h_batch_codes(struct pt_http_ctx *ctx);
/* A coupon batch as the API shows it; the payload of coupon_batch.ready. new */
json_t *pt_http_batch_json(const struct pt_coupon_batch *b);
/* A coupon as the till and the member see it; the payload of coupon events. new */
json_t *pt_http_coupon_json(const struct pt_coupon_view *v);
/* The coupons rules and stamp cards gave (coupons_issued of a purchase or an activity), or a
 * return took back (coupons_taken_back: with_status). new */
json_t *pt_http_issued_coupons_json(const struct pt_issued_coupons *list, bool with_status);
void pt_h_member_card_barcode(struct pt_http_ctx *ctx);
void pt_h_user_create(struct pt_http_ctx *ctx);
void pt_h_user_list(struct pt_http_ctx *ctx);
void pt_h_user_get(struct pt_http_ctx *ctx);
void pt_h_user_patch(struct pt_http_ctx *ctx);
void pt_h_session_create(struct pt_http_ctx *ctx);
void pt_h_session_get(struct pt_http_ctx *ctx);
void pt_h_session_delete(struct pt_http_ctx *ctx);
void pt_h_session_password(struct pt_http_ctx *ctx);
void pt_h_portal_sign_up(struct pt_http_ctx *ctx);
void pt_h_portal_session_create(struct pt_http_ctx *ctx);
void pt_h_portal_reset_request(struct pt_http_ctx *ctx);
void pt_h_portal_reset_confirm(struct pt_http_ctx *ctx);
/* A user as the API shows it (never its password). new */
json_t *pt_http_user_json(const struct pt_user *u);

/* ---- Pictures (pictures.c) ---- */

/* Appends an SVG picture of text to out: a QR code (libqrencode, error correction M, 4
 * modules of quiet zone) or a Code 128 barcode with its text below (libzint). */
enum pt_rc pt_picture_qr_svg(const char *text, struct pt_buf *out, struct pt_err *err);
enum pt_rc pt_picture_code128_svg(const char *text, struct pt_buf *out, struct pt_err *err);
/* Appends a PNG picture of text as a QR code (8-bit grey, 8 pixels a module). */
enum pt_rc pt_picture_qr_png(const char *text, struct pt_buf *out, struct pt_err *err);

/* ---- Referrals (h_referrals.c) ---- */

/* The program setting `referrals` (null without). new */
json_t *pt_http_referrals_json(const struct pt_referral_policy *p);
/* Reads the setting `referrals` (null turns them off) into p. */
enum pt_rc pt_http_referrals_parse(json_t *v, struct pt_referral_policy *p, struct pt_err *err);
/* A referral, and the payload of referral.qualified / referral.reversed. new */
json_t *pt_http_referral_json(const struct pt_referral *r);
void pt_h_wallet_debit_create(struct pt_http_ctx *ctx);
/* Reading purchases back (h_purchases.c). */
void pt_h_purchase_get(struct pt_http_ctx *ctx);
void pt_h_member_purchases(struct pt_http_ctx *ctx);
void pt_h_wallet_debit_cancel(struct pt_http_ctx *ctx);

/* ---- The program's public face (h_public.c; issue 19) ---- */

void pt_h_public_program(struct pt_http_ctx *ctx);
/* The embed (h_embed.c; docs/web.md, "The publishable key and the member token"). */
void pt_h_embed_secret_draw(struct pt_http_ctx *ctx);
void pt_h_embed_member(struct pt_http_ctx *ctx);

/* Answers a write (h_ledger.c): the replayed record, or the encoded result. */
void pt_http_reply_written(struct pt_http_ctx *ctx, const struct pt_idem *idem, pt_encode_fn encode,
                           const void *result, unsigned status);
/* Fills idem for a write answered 201 whose body encode makes. */
bool pt_http_idem_setup(struct pt_http_ctx *ctx, struct pt_idem *idem, pt_encode_fn encode);

/* ---- Wallets (h_wallet.c) ---- */

/* Payloads of wallet.credited / wallet.reversed, and of a debit (its answer and events). new */
json_t *pt_http_wallet_event_json(const struct pt_wallet_event *e);
json_t *pt_http_wallet_debit_json(const struct pt_wallet_debit_result *r);

/* ---- Stamp cards (h_stamps.c) ---- */

/* The stamps of a cart or purchase (progress: with each card's progress and completions). new */
json_t *pt_http_stamp_gains_json(const struct pt_stamp_gain *g, unsigned count, bool progress);
/* Payloads of stamps.added / stamps.removed and stamp_card.completed. new */
json_t *pt_http_stamps_event_json(const struct pt_stamps_event *e);
json_t *pt_http_stamp_completion_json(const struct pt_stamp_completion *c);

/* ---- Tiers (h_tiers.c) ---- */

/* The program setting `tiers` as the API shows it (null without tiers). new */
json_t *pt_http_tiers_json(const struct pt_tier_policy *p);
/* Reads the setting `tiers` (null removes them) into p; strings into the arena. The service
 * validates the rest (core/tiers.h). */
enum pt_rc pt_http_tiers_parse(json_t *v, struct pt_arena *arena, struct pt_tier_policy *p,
                               struct pt_err *err);
/* The payload of tier.upgraded and tier.downgraded. new */
json_t *pt_http_tier_event_json(const struct pt_tier_event *e);

/* ---- The encoders a member's export shares with the routes of each part (issue 19) ---- */

/* GET /v1/members/{id}/balance's answer (h_ledger.c). new */
json_t *pt_http_balance_json(const struct pt_balance *b);
/* A line of GET /v1/members/{id}/ledger (h_ledger.c). new */
json_t *pt_http_ledger_line_json(const struct pt_ledger_line *l);
/* GET /v1/members/{id}/wallet's answer, with its movements when w has lines (h_wallet.c). new */
json_t *pt_http_wallet_json(const struct pt_wallet *w);
/* GET /v1/members/{id}/tier's answer (h_tiers.c). new */
json_t *pt_http_member_tier_json(const struct pt_member_tier *t);
/* The member's referrals: its code, who referred it, and v->data, all of them (h_referrals.c).
 * new */
json_t *pt_http_referral_view_json(const struct pt_referral_view *v);
/* A coupon of GET /v1/members/{id}/coupons (h_rewards.c). new */
json_t *pt_http_member_coupon_json(const struct pt_coupon_listed *l);

/* The member as the API shows it (h_members.c). new */
json_t *pt_http_member_json(const struct pt_member *m);

/* The API's encoders for event payloads (h_ledger.c). */
void pt_http_encoders(struct pt_encoders *out);

/* ---- A noun's create, get and PATCH (object.c) ---- */

/* The most bytes of the struct of a noun that pt_http_object handles (held on the stack). */
#define PT_HTTP_OBJECT_BYTES_MAX 1024

/* A name a create must give, refused with message when absent. */
struct pt_http_required {
    const char *name;
    const char *message;
};

/* A noun, described once by its handlers' file (static const). The adapters call the noun's
 * service function with the request's service, principal, path id and arena. */
struct pt_http_object {
    const struct pt_field *fields; /* Its table (core), field_count entries. */
    size_t field_count;
    size_t size; /* sizeof the struct the adapters take, at most PT_HTTP_OBJECT_BYTES_MAX. */
    /* Sets a zeroed object to what a create starts from; NULL: zero. */
    void (*defaults)(void *obj);
    pt_http_field_decode_fn decode_custom; /* Its table's PT_FIELD_CUSTOM fields. */
    /* After the table and the required texts, what the noun makes of the object (a card's rule
     * document); NULL: nothing. */
    enum pt_rc (*finish)(struct pt_arena *arena, void *obj, struct pt_err *err);
    /* A decoder of its own instead of the table's (members, batches, rules); NULL: the table. */
    enum pt_rc (*decode)(json_t *body, struct pt_arena *arena, void *obj, struct pt_err *err);
    const struct pt_http_required *required; /* Names a create must give, {NULL} ended. */
    json_t *(*encode)(const void *obj);      /* The object as the API shows it. new */
    unsigned created_status;                 /* 201; 202 for work that goes on. */
    enum pt_rc (*create)(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                         struct pt_err *err);
    enum pt_rc (*get)(struct pt_http_ctx *ctx, void *out, struct pt_err *err);
    /* Applies the PATCH body (borrowed) to the object ctx->params[0] in the service's write.
     * OUT: *out, the object written. */
    enum pt_rc (*update)(struct pt_http_ctx *ctx, json_t *body, void *out, struct pt_err *err);
};

/* Applies body (a create's, or a PATCH's inside the write) onto obj: by o->decode, or by the
 * table (absent fields keep their values), the texts it cannot lack, then o->finish. */
PT_MUSTCHECK enum pt_rc pt_http_object_decode(const struct pt_http_object *o, json_t *body,
                                              struct pt_arena *arena, void *obj,
                                              struct pt_err *err);
/* POST: body onto the defaults, the required names, the Idempotency-Key, o->create; answers
 * created_status with the object, the replayed answer, or the error. */
void pt_http_object_create(struct pt_http_ctx *ctx, const struct pt_http_object *o);
/* GET: answers 200 with what o->get read, or the error. */
void pt_http_object_get(struct pt_http_ctx *ctx, const struct pt_http_object *o);
/* PATCH: answers 200 with what o->update wrote, or the error. */
void pt_http_object_patch(struct pt_http_ctx *ctx, const struct pt_http_object *o);

/* ---- Paged lists (list.c) ---- */

/* Encodes one listed item (cls: the handler's, borrowed). new; NULL leaves the item out. */
typedef json_t *(*pt_http_item_encode_fn)(const void *item, const void *cls);

/* A paged list, described once by its handler (static const). */
struct pt_http_list {
    const char *const *params; /* Query parameters it takes (NULL-terminated), limit and cursor
                                  among them. */
    const char *id_prefix;     /* Its key is an id with this prefix (char[] in the item); NULL:
                                  a whole number (int64_t in the item) of at least seq_min. */
    int64_t seq_min;           /* The least numeric cursor it can have given. */
    /* Or a key of another kind (a coupon's code, char[] in the item): the cursor is a text this
     * accepts, with id_prefix NULL. NULL: an id or a number, as above. */
    bool (*cursor_valid)(const char *cursor);
    size_t item_bytes; /* The size of one item of the service's array. */
    size_t key_offset; /* Where an item holds its key, the next page's cursor. */
    pt_http_item_encode_fn encode;
};

/* The query parameters of a list that takes only limit and cursor. */
extern const char *const pt_http_page_query[];

/* A page asked for by the query. */
struct pt_http_page {
    unsigned limit;     /* Items on the page, 1..PT_PAGE_LIMIT_MAX; ask the service for one more. */
    const char *cursor; /* The id cursor; NULL on the first page (borrowed from the query). */
    int64_t cursor_seq; /* The numeric cursor; 0 on the first page. */
};

/* Reads the query of a paged list: only list->params, limit (default PT_PAGE_LIMIT_DEFAULT) and
 * the cursor. On failure answers 400 and returns false. */
bool pt_http_list_params(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                         struct pt_http_page *page);
/* Answers 200 with the page: {"data": the first page->limit of the count items encoded (each
 * with cls), "next_cursor": the key of the last one listed when count is more than the limit,
 * else json null}. */
void pt_http_reply_list(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                        const struct pt_http_page *page, const void *items, unsigned count,
                        const void *cls);
/* The same, with "data" and "next_cursor" added to envelope (takes; NULL: out of memory). */
void pt_http_reply_list_in(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                           const struct pt_http_page *page, const void *items, unsigned count,
                           const void *cls, json_t *envelope);

#endif
