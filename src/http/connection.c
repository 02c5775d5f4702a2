/* SPDX-License-Identifier: MIT */
/*
 * Connections: the listening socket, the per-address and server-wide connection limits, and one
 * thread per connection that reads requests (heads parsed by wire.c), drives each through its
 * life (server.c) and writes the answers. A thread per connection keeps a request's code
 * straight-line while it waits on the store; the watchdog (edge.c) bounds how long a client may
 * hold one, and PT_HTTP_CONNECTIONS_MAX how many there are.
 *
 * Every refusal, from the first byte on, is the API's JSON error: nothing else parses HTTP here.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Input buffer of a connection: a whole head of the largest size accepted, and room after it to
 * read a body in pieces. The head stays in place (its strings are the request's headers) while
 * the body passes through the rest. */
#define CONN_INPUT_BYTES (32 * 1024)
_Static_assert(PT_WIRE_HEAD_BYTES_MAX + 4096 <= CONN_INPUT_BYTES, "a head leaves room for a body");
/* How long a closing connection reads and drops what the client still sends, so that its
 * answer is not lost to a reset (a refusal sent before the body was read). */
#define CONN_LINGER_MS 1000
#define CONN_LINGER_BYTES (64 * 1024)
/* Client addresses tracked at once: every open connection has one, at most half the table. */
#define ADDRESS_SLOTS (PT_HTTP_CONNECTIONS_MAX * 2)
_Static_assert((ADDRESS_SLOTS & (ADDRESS_SLOTS - 1)) == 0, "a power of two");

struct pt_http_listener {
    int fd;
    pthread_t thread;
    atomic_bool stop;
    struct pt_service *svc;
    unsigned per_address;
};

struct conn {
    int fd;
    uint32_t addr; /* The client's IPv4 address (network order), for the per-address limit. */
    struct pt_service *svc;
    struct pt_edge_slot *edge;
    struct pt_wire_head head; /* The current request's; its strings are in in[0, floor). */
    size_t floor;             /* Bytes of in[] holding the current head (kept in place). */
    size_t pos;               /* Unread input is in[pos, len). */
    size_t len;
    char in[CONN_INPUT_BYTES];
};

static atomic_uint open_count; /* Connections accepted and not yet closed. */

/* Connections per client address: open addressing with backward-shift deletion, so the table
 * never fills with tombstones however many addresses come and go. */
static struct {
    uint32_t addr;
    unsigned count; /* 0: a free slot. */
} addresses[ADDRESS_SLOTS];
static pthread_mutex_t addresses_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned address_home(uint32_t addr)
{
    /* MurmurHash3's finaliser: every bit of the address moves the slot, so the addresses of
     * one network (which differ in their last bytes) spread instead of probing one run. */
    uint32_t h = addr;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return (unsigned)(h & (ADDRESS_SLOTS - 1));
}

static unsigned address_find(uint32_t addr)
{
    unsigned i = address_home(addr);
    while (addresses[i].count != 0 && addresses[i].addr != addr) {
        i = (i + 1) & (ADDRESS_SLOTS - 1);
    }
    return i;
}

/* Counts a connection of addr; false when the address holds its limit already. */
static bool address_take(uint32_t addr, unsigned limit)
{
    unsigned i;
    bool ok;
    pt_assert(pthread_mutex_lock(&addresses_lock) == 0);
    i = address_find(addr);
    ok = addresses[i].count < limit;
    if (ok) {
        addresses[i].addr = addr;
        addresses[i].count++;
    }
    pt_assert(pthread_mutex_unlock(&addresses_lock) == 0);
    return ok;
}

static void address_release(uint32_t addr)
{
    unsigned i;
    unsigned j;
    pt_assert(pthread_mutex_lock(&addresses_lock) == 0);
    i = address_find(addr);
    pt_assert(addresses[i].count > 0);
    if (--addresses[i].count == 0) {
        /* Move back the entries whose probe passed over the freed slot (Knuth 6.4 R). */
        for (j = (i + 1) & (ADDRESS_SLOTS - 1); addresses[j].count != 0;
             j = (j + 1) & (ADDRESS_SLOTS - 1)) {
            unsigned home = address_home(addresses[j].addr);
            bool stays = i < j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                addresses[i] = addresses[j];
                addresses[j].count = 0;
                i = j;
            }
        }
    }
    pt_assert(pthread_mutex_unlock(&addresses_lock) == 0);
}

/* ---- Reading ---- */

/* Moves the unread input down to the floor, then reads more. False on end of input, an error,
 * the idle timeout, or the watchdog's shutdown: the connection is over. */
static bool conn_fill(struct conn *c)
{
    ssize_t n;
    if (c->pos > c->floor) {
        memmove(c->in + c->floor, c->in + c->pos, c->len - c->pos);
        c->len -= c->pos - c->floor;
        c->pos = c->floor;
    }
    pt_assert(c->len < sizeof(c->in)); /* Heads are bounded below it; bodies are consumed. */
    do {
        n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return false;
    }
    c->len += (size_t)n;
    return true;
}

enum head_outcome { HEAD_CLOSED, HEAD_DONE, HEAD_REFUSED };

/* Reads the next request's head into c->head. */
static enum head_outcome read_head(struct conn *c, struct pt_wire_error *werr)
{
    size_t scanned = 0;
    c->floor = 0;
    if (c->pos > 0) {
        memmove(c->in, c->in + c->pos, c->len - c->pos); /* A pipelined request's start. */
        c->len -= c->pos;
        c->pos = 0;
    }
    for (;;) {
        if (c->len > 0) {
            enum pt_wire_result r = pt_wire_head_parse(c->in, c->len, &scanned, &c->head, werr);
            if (r == PT_WIRE_DONE) {
                c->floor = c->head.head_bytes;
                c->pos = c->head.head_bytes;
                return HEAD_DONE;
            }
            if (r == PT_WIRE_ERROR) {
                return HEAD_REFUSED;
            }
        }
        if (!conn_fill(c)) {
            return HEAD_CLOSED; /* Between requests, or a head never completed: no answer. */
        }
    }
}

/* Feeds the request's body to ctx. False when the connection must close without an answer;
 * malformed chunked framing is answered 400 (and closes the connection). */
static bool read_body(struct conn *c, struct pt_http_ctx *ctx)
{
    uint64_t remaining = c->head.content_length;
    if (c->head.chunked) {
        struct pt_wire_chunked chunked;
        memset(&chunked, 0, sizeof(chunked));
        for (;;) {
            if (c->pos < c->len) {
                struct pt_wire_error e;
                size_t used;
                size_t data;
                enum pt_wire_result r = pt_wire_chunked_decode(&chunked, c->in + c->pos,
                                                               c->len - c->pos, &used, &data, &e);
                if (r == PT_WIRE_ERROR) {
                    pt_http_reply_error(ctx, e.status, e.code, NULL, e.message);
                    ctx->close_after = true;
                    return true;
                }
                if (data > 0 && !pt_http_request_body(ctx, c->in + c->pos, data)) {
                    return false;
                }
                c->pos += used;
                if (r == PT_WIRE_DONE) {
                    return true;
                }
            }
            if (!conn_fill(c)) {
                return false;
            }
        }
    }
    while (remaining > 0) {
        size_t n;
        if (c->pos == c->len && !conn_fill(c)) {
            return false;
        }
        n = c->len - c->pos < remaining ? c->len - c->pos : (size_t)remaining;
        if (!pt_http_request_body(ctx, c->in + c->pos, n)) {
            return false;
        }
        c->pos += n;
        remaining -= n;
    }
    return true;
}

/* ---- Writing ---- */

/* Sends every byte of iov; false when the client is gone or too slow (SO_SNDTIMEO). */
static bool send_all(int fd, struct iovec *iov, int count)
{
    while (count > 0) {
        struct msghdr msg;
        ssize_t n;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)count;
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        while (count > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return true;
}

static bool send_text(int fd, const char *text, size_t len)
{
    struct iovec iov = {(void *)(uintptr_t)text, len};
    return send_all(fd, &iov, 1);
}

static const char *reason_of(unsigned status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

/* The status line and headers of resp into out; its length. An HTTP/1.0 client keeps the
 * connection only when the answer says so. */
static size_t response_head(const struct pt_http_response *resp, bool keep, unsigned minor,
                            char *out, size_t out_bytes)
{
    char date[40];
    char length[48] = "";
    struct tm tm;
    time_t now = (time_t)(pt_clock_now_ms() / 1000);
    int n;
    (void)gmtime_r(&now, &tm);
    (void)strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (resp->stream != NULL && resp->stream_size == PT_HTTP_SIZE_UNKNOWN) {
        (void)snprintf(length, sizeof(length), "Transfer-Encoding: chunked\r\n");
    } else if (resp->stream != NULL) {
        (void)snprintf(length, sizeof(length), "Content-Length: %llu\r\n",
                       (unsigned long long)resp->stream_size);
    } else if (resp->status != 204) {
        (void)snprintf(length, sizeof(length), "Content-Length: %zu\r\n", resp->body_len);
    }
    n = snprintf(out, out_bytes, "HTTP/1.1 %u %s\r\nDate: %s\r\n%s%s%s\r\n", resp->status,
                 reason_of(resp->status), date, length, resp->headers,
                 !keep        ? "Connection: close\r\n"
                 : minor == 0 ? "Connection: keep-alive\r\n"
                              : "");
    pt_assert(n > 0 && (size_t)n < out_bytes); /* Every part above is bounded. */
    return (size_t)n;
}

/* Sends a streamed body; false when it could not be completed (the connection closes, and the
 * client sees a short body). */
static bool send_stream(int fd, struct pt_edge_slot *edge, const struct pt_http_response *resp)
{
    bool chunked = resp->stream_size == PT_HTTP_SIZE_UNKNOWN;
    char *block = pt_malloc(PT_HTTP_STREAM_BLOCK_BYTES);
    uint64_t pos = 0;
    bool ok = block != NULL;
    while (ok) {
        char size_line[24];
        ssize_t n = resp->stream(resp->stream_cls, pos, block, PT_HTTP_STREAM_BLOCK_BYTES);
        if (n == PT_HTTP_STREAM_END) {
            ok = chunked ? send_text(fd, "0\r\n\r\n", 5) : pos == resp->stream_size;
            break;
        }
        if (n <= 0 || (!chunked && (uint64_t)n > resp->stream_size - pos)) {
            ok = false; /* An error, or more than announced. */
            break;
        }
        pt_edge_sending(edge, (size_t)n);
        if (chunked) {
            struct iovec iov[3];
            int k = snprintf(size_line, sizeof(size_line), "%zx\r\n", (size_t)n);
            iov[0].iov_base = size_line;
            iov[0].iov_len = (size_t)k;
            iov[1].iov_base = block;
            iov[1].iov_len = (size_t)n;
            iov[2].iov_base = (void *)(uintptr_t) "\r\n";
            iov[2].iov_len = 2;
            ok = send_all(fd, iov, 3);
        } else {
            ok = send_text(fd, block, (size_t)n);
        }
        pos += (uint64_t)n;
    }
    pt_free(block);
    return ok;
}

static bool send_response(struct conn *c, const struct pt_http_ctx *ctx, bool keep)
{
    const struct pt_http_response *resp = &ctx->resp;
    char head[PT_HTTP_RESPONSE_HEADERS_BYTES + 256];
    size_t head_len = response_head(resp, keep, c->head.minor, head, sizeof(head));
    /* HEAD asks for the headers only; a 204 has no body. */
    bool body = strcmp(ctx->method, "HEAD") != 0 && resp->status != 204;
    struct iovec iov[2];
    iov[0].iov_base = head;
    iov[0].iov_len = head_len;
    iov[1].iov_base = (void *)(uintptr_t)resp->body; /* writev does not write to it. */
    iov[1].iov_len = body && resp->stream == NULL ? resp->body_len : 0;
    pt_edge_sending(c->edge, head_len + iov[1].iov_len);
    if (!send_all(c->fd, iov, iov[1].iov_len > 0 ? 2 : 1)) {
        return false;
    }
    return !body || resp->stream == NULL || send_stream(c->fd, c->edge, resp);
}

/* ---- A connection's life ---- */

/* Reads and drops what the client still sends for a while, after our last answer: closing with
 * unread input makes the kernel send a reset, which can destroy the answer before it is read. */
static void linger(int fd)
{
    char sink[4096];
    size_t dropped = 0;
    int64_t until_us = pt_clock_mono_us() + (int64_t)CONN_LINGER_MS * 1000;
    (void)shutdown(fd, SHUT_WR);
    while (dropped < CONN_LINGER_BYTES) {
        struct pollfd p = {fd, POLLIN, 0};
        int64_t left_ms = (until_us - pt_clock_mono_us()) / 1000;
        ssize_t n;
        if (left_ms <= 0 || poll(&p, 1, (int)left_ms) <= 0) {
            return;
        }
        n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n <= 0) {
            return;
        }
        dropped += (size_t)n;
    }
}

/* Serves one request whose head was read (or refused); false when the connection must close. */
static bool serve_request(struct conn *c, struct pt_http_ctx *ctx)
{
    bool keep;
    bool sent;
    bool unread_input = ctx->close_after;
    if (ctx->head != NULL) {
        pt_edge_headers_done(c->edge);
    }
    if (!ctx->answered && pt_http_request_admit(ctx)) {
        if (c->head.expect_continue && (c->head.chunked || c->head.content_length > 0) &&
            c->pos == c->len) {
            static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!send_text(c->fd, go_on, sizeof(go_on) - 1)) {
                pt_http_request_free(ctx);
                return false;
            }
        }
        if (!read_body(c, ctx)) {
            pt_http_request_free(ctx); /* The client left, or passed a bound: no answer. */
            return false;
        }
        if (!ctx->answered) {
            pt_http_request_dispatch(ctx);
        }
    }
    if (!ctx->answered) {
        pt_http_request_free(ctx); /* Out of memory: close without an answer. */
        return false;
    }
    pt_http_request_log(ctx);
    unread_input = unread_input || ctx->close_after;
    keep = ctx->head != NULL && c->head.keep_alive && !ctx->close_after && !pt_http_stopping();
    sent = send_response(c, ctx, keep);
    pt_http_request_free(ctx);
    if (sent && !keep && unread_input) {
        linger(c->fd);
    }
    if (sent && keep) {
        pt_edge_idle(c->edge); /* The next request's head has the headers deadline. */
    }
    return sent && keep;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    bool more = true;
    pt_metrics_connection(1);
    while (more) {
        struct pt_wire_error werr;
        enum head_outcome o = read_head(c, &werr);
        struct pt_http_ctx *ctx;
        if (o == HEAD_CLOSED) {
            break;
        }
        ctx = pt_http_request_new(c->svc, c->edge, o == HEAD_DONE ? &c->head : NULL, &werr);
        if (ctx != NULL) {
            ctx->client_addr = c->addr;
        }
        more = ctx != NULL && serve_request(c, ctx);
    }
    pt_edge_close(c->edge); /* Before close(2): the watchdog never touches a reused fd. */
    (void)close(c->fd);
    address_release(c->addr);
    pt_free(c);
    pt_metrics_connection(-1);
    atomic_fetch_sub(&open_count, 1);
    return NULL;
}

/* A connection over a limit: a best-effort JSON 503, then close. */
static void refuse_connection(int fd, const char *why)
{
    char text[512];
    char drop[4096];
    int n = snprintf(
        text, sizeof(text),
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n"
        "{\"error\":{\"code\":\"unavailable\",\"message\":\"%s\"}}",
        strlen("{\"error\":{\"code\":\"unavailable\",\"message\":\"\"}}") + strlen(why), why);
    pt_assert(n > 0 && (size_t)n < sizeof(text));
    (void)recv(fd, drop, sizeof(drop), MSG_DONTWAIT); /* What already came, against a reset. */
    (void)send(fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)close(fd);
}

static void conn_start(struct pt_http_listener *l, int fd, uint32_t addr)
{
    struct timeval idle = {PT_HTTP_IDLE_TIMEOUT_S, 0};
    int one = 1;
    pthread_attr_t attr;
    pthread_t thread;
    struct conn *c;
    if (atomic_fetch_add(&open_count, 1) >= PT_HTTP_CONNECTIONS_MAX) {
        atomic_fetch_sub(&open_count, 1);
        refuse_connection(fd, "the server is at its connection limit, retry");
        return;
    }
    if (!address_take(addr, l->per_address)) {
        atomic_fetch_sub(&open_count, 1);
        refuse_connection(fd, "too many connections from this address, retry");
        return;
    }
    c = pt_malloc(sizeof(*c));
    if (c == NULL) {
        address_release(addr);
        atomic_fetch_sub(&open_count, 1);
        (void)close(fd);
        return;
    }
    memset(c, 0, offsetof(struct conn, in));
    c->fd = fd;
    c->addr = addr;
    c->svc = l->svc;
    /* Failures of these leave the defaults, which only make the connection less tidy. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof(idle));
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->edge = pt_edge_open(fd);
    pt_assert(pthread_attr_init(&attr) == 0);
    pt_assert(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0);
    pt_assert(pthread_attr_setstacksize(&attr, PT_HTTP_THREAD_STACK_BYTES) == 0);
    if (pthread_create(&thread, &attr, conn_main, c) != 0) {
        pt_edge_close(c->edge);
        (void)close(fd);
        address_release(addr);
        pt_free(c);
        atomic_fetch_sub(&open_count, 1);
    }
    pt_assert(pthread_attr_destroy(&attr) == 0);
}

static void *accept_main(void *arg)
{
    struct pt_http_listener *l = arg;
    while (!atomic_load(&l->stop)) {
        struct pollfd p = {l->fd, POLLIN, 0};
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof(peer);
        int fd;
        if (poll(&p, 1, 100) <= 0) {
            continue; /* The tick lets a stop be seen. */
        }
        fd = accept(l->fd, (struct sockaddr *)&peer, &peer_len);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                struct timespec pause = {0, 10 * 1000 * 1000}; /* Out of descriptors: breathe. */
                (void)nanosleep(&pause, NULL);
            }
            continue;
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* Cannot fail on a descriptor just made. */
        conn_start(l, fd, peer.sin_addr.s_addr);
    }
    return NULL;
}

enum pt_rc pt_http_listener_start(const struct pt_http_config *config, struct pt_service *svc,
                                  struct pt_http_listener **out, uint16_t *port, struct pt_err *err)
{
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof(addr);
    struct pt_http_listener *l;
    int one = 1;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(config->port);
    if (inet_pton(AF_INET, config->host, &addr.sin_addr) != 1) {
        return pt_err_set(err, PT_EINVAL, "listen", "listen address must be an IPv4 HOST:PORT");
    }
    l = pt_calloc(1, sizeof(*l));
    if (l == NULL) {
        return pt_err_set(err, PT_ENOMEM, "listen", "out of memory");
    }
    l->svc = svc;
    l->per_address = config->connections_per_address;
    l->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(l->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(l->fd, 1024) != 0 ||
        getsockname(l->fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        int e = errno;
        if (l->fd >= 0) {
            (void)close(l->fd);
        }
        pt_free(l);
        return pt_err_set(err, PT_EINTERNAL, "listen", "cannot listen on %s:%u: %s", config->host,
                          (unsigned)config->port, strerror(e));
    }
    if (pthread_create(&l->thread, NULL, accept_main, l) != 0) {
        (void)close(l->fd);
        pt_free(l);
        return pt_err_set(err, PT_EINTERNAL, "listen", "cannot start the accepting thread");
    }
    *port = ntohs(addr.sin_port);
    *out = l;
    return PT_OK;
}

void pt_http_listener_stop(struct pt_http_listener *l, int64_t drain_until_us)
{
    struct timespec tick = {0, 50 * 1000 * 1000};
    int64_t give_up_us;
    atomic_store(&l->stop, true);
    (void)pthread_join(l->thread, NULL);
    (void)close(l->fd);
    /* Requests in flight finish; new ones on open connections are answered 503 and close. */
    while (pt_http_requests_in_flight() > 0 && pt_clock_mono_us() < drain_until_us) {
        (void)nanosleep(&tick, NULL);
    }
    pt_edge_shutdown_all(); /* Idle keep-alives and slow clients: their threads end now. */
    give_up_us = pt_clock_mono_us() + 5 * 1000000;
    while (atomic_load(&open_count) > 0 && pt_clock_mono_us() < give_up_us) {
        (void)nanosleep(&tick, NULL);
    }
    pt_free(l);
}
