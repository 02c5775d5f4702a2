/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics: requests by route and status, a latency histogram, open connections.
 * Counters are relaxed atomics in fixed arrays (one row per route plus one for "no route"), so
 * recording costs a few atomic adds and never allocates.
 */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const unsigned statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
                                    414, 415, 422, 429, 431, 500, 503, 505, 0};
#define STATUS_COUNT (sizeof(statuses) / sizeof(statuses[0]))

/* Upper bounds of the latency buckets in microseconds (+Inf is implicit). */
static const int64_t bucket_us[] = {100,   250,   500,   1000,   2500,   5000,
                                    10000, 25000, 50000, 100000, 250000, 1000000};
#define BUCKET_COUNT (sizeof(bucket_us) / sizeof(bucket_us[0]))

static atomic_uint_fast64_t request_counts[PT_HTTP_ROUTES_MAX + 1][STATUS_COUNT];
static atomic_uint_fast64_t bucket_counts[BUCKET_COUNT + 1];
static atomic_uint_fast64_t duration_sum_us;
static atomic_int open_connections;

void pt_metrics_record(int route_index, unsigned status, int64_t duration_us)
{
    unsigned row = route_index < 0 ? PT_HTTP_ROUTES_MAX : (unsigned)route_index;
    size_t s = STATUS_COUNT - 1;
    size_t b = BUCKET_COUNT;
    size_t i;
    pt_assert(row <= PT_HTTP_ROUTES_MAX);
    for (i = 0; i + 1 < STATUS_COUNT; i++) {
        if (statuses[i] == status) {
            s = i;
            break;
        }
    }
    for (i = 0; i < BUCKET_COUNT; i++) {
        if (duration_us <= bucket_us[i]) {
            b = i;
            break;
        }
    }
    atomic_fetch_add_explicit(&request_counts[row][s], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&bucket_counts[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&duration_sum_us, (uint_fast64_t)(duration_us > 0 ? duration_us : 0),
                              memory_order_relaxed);
}

void pt_metrics_connection(int delta)
{
    atomic_fetch_add_explicit(&open_connections, delta, memory_order_relaxed);
}

static void appendf(struct pt_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void appendf(struct pt_buf *buf, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pt_assert(n >= 0 && (size_t)n < sizeof(line));
    (void)pt_buf_append(buf, line, (size_t)n); /* buf->failed is checked by the caller. */
}

void pt_metrics_render(struct pt_buf *buf)
{
    unsigned r;
    size_t s;
    uint64_t cumulative = 0;
    pt_assert(pt_route_count <= PT_HTTP_ROUTES_MAX);
    appendf(buf, "# HELP patron_http_requests_total HTTP requests by route and status.\n"
                 "# TYPE patron_http_requests_total counter\n");
    for (r = 0; r <= PT_HTTP_ROUTES_MAX; r++) {
        char route[128];
        if (r < pt_route_count) {
            (void)snprintf(route, sizeof(route), "%s %s", pt_routes[r].method,
                           pt_routes[r].pattern);
        } else if (r == PT_HTTP_ROUTES_MAX) {
            (void)snprintf(route, sizeof(route), "unmatched");
        } else {
            continue;
        }
        for (s = 0; s < STATUS_COUNT; s++) {
            uint64_t n = atomic_load_explicit(&request_counts[r][s], memory_order_relaxed);
            if (n == 0) {
                continue;
            }
            if (statuses[s] == 0) {
                appendf(buf, "patron_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                        route, (unsigned long long)n);
            } else {
                appendf(buf, "patron_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", route,
                        statuses[s], (unsigned long long)n);
            }
        }
    }
    appendf(buf, "# HELP patron_http_request_duration_seconds Time to answer a request.\n"
                 "# TYPE patron_http_request_duration_seconds histogram\n");
    for (s = 0; s <= BUCKET_COUNT; s++) {
        cumulative += atomic_load_explicit(&bucket_counts[s], memory_order_relaxed);
        if (s < BUCKET_COUNT) {
            appendf(buf, "patron_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    (double)bucket_us[s] / 1e6, (unsigned long long)cumulative);
        } else {
            appendf(buf, "patron_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)cumulative);
        }
    }
    appendf(buf, "patron_http_request_duration_seconds_sum %.6f\n",
            (double)atomic_load(&duration_sum_us) / 1e6);
    appendf(buf, "patron_http_request_duration_seconds_count %llu\n",
            (unsigned long long)cumulative);
    appendf(buf,
            "# HELP patron_http_open_connections Connections open now.\n"
            "# TYPE patron_http_open_connections gauge\n"
            "patron_http_open_connections %d\n",
            atomic_load(&open_connections));
}
