/* SPDX-License-Identifier: MIT */
/*
 * The HTTP face of Patron: an HTTP/1.1 server (its own wire-format reader, a thread per
 * connection, keep-alive) that parses requests into plain C structs, calls src/service, and
 * encodes the answers. JSON (jansson) types never leave src/http.
 */
#ifndef PT_HTTP_HTTP_H
#define PT_HTTP_HTTP_H

#include <stdint.h>

#include "base/err.h"
#include "service/service.h"

struct pt_http_config {
    const char *host;                 /* Address to listen on, e.g. "127.0.0.1"; borrowed. */
    uint16_t port;                    /* 0 = any free port (logged once listening). */
    unsigned threads;                 /* Worker threads, 1..PT_HTTP_THREADS_MAX. */
    unsigned connections_per_address; /* Connections one client address may hold at once. */
    unsigned headers_timeout_ms;      /* Deadline for a request's complete headers. */
    int64_t fail_alloc_every;         /* Debug builds: pt_alloc_fail_every once listening. */
    bool secure_cookies;              /* Session cookies get Secure (TLS at a proxy in front). */
    unsigned sign_in_per_minute;      /* Sign-ins per client address a minute (limits.h). */
};

/* Sets up what the API gives the service before anything writes: jansson's allocator and the
 * JSON encoders of event payloads. pt_http_serve calls it too. */
void pt_http_prepare(struct pt_service *svc);

/*
 * Serves the API until SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish
 * (at most PT_HTTP_DRAIN_TIMEOUT_S) and returns. Logs {"msg":"listening","port":N} once ready.
 * svc is borrowed. PT_EINVAL for a bad address, PT_EINTERNAL when the daemon cannot start.
 */
PT_MUSTCHECK enum pt_rc pt_http_serve(const struct pt_http_config *config, struct pt_service *svc,
                                      struct pt_err *err);

/* Writes {"program_id": ..., "api_key": ...} for `patron ... --json` into out (>= 256 bytes). */
void pt_http_encode_created_key(const char *program_id, const char *secret, char *out,
                                size_t out_bytes);

#endif
