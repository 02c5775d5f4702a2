/* SPDX-License-Identifier: MIT */
/*
 * The edge's watchdog: deadlines beyond a socket's timeout. A socket timeout only measures
 * silence, so a client sending one header byte every few seconds, or a keep-alive connection
 * re-used just before each timeout, would hold a slot (and a thread) for ever. Each connection
 * therefore has a slot here with its phase and a deadline: the complete headers within
 * headers_timeout_ms of the connection opening or of the previous answer; the body at a minimum
 * rate. A reaper thread shuts down (shutdown(2), never close(2): the connection's thread owns
 * the descriptor) every connection past its deadline, and when the server nears its connection
 * cap it reclaims idle keep-alive connections first, then connections still waiting for headers,
 * oldest first, so that a new client (and /healthz) always finds a slot.
 *
 * The descriptor stays valid while its slot is used: the connection's thread releases the slot
 * before it closes the socket, under the same lock the reaper holds.
 */
#include "http/http_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum phase {
    PHASE_FREE = 0,
    PHASE_IDLE,    /* Between two requests of a keep-alive connection. */
    PHASE_HEADERS, /* Opened, no request yet (headers may be arriving). */
    PHASE_BODY,    /* Headers received; reading the body. */
    PHASE_BUSY,    /* Being answered: no deadline (the handler waits on the store only). */
    PHASE_SEND,    /* Sending the answer: the client must read it at the minimum rate. */
};

struct pt_edge_slot {
    int fd;
    enum phase phase;
    bool shut;           /* Already shut down; waiting for its thread to notice. */
    int64_t since_us;    /* When the phase began (monotonic). */
    int64_t deadline_us; /* 0: none. */
    unsigned next_free;  /* Free list link (index + 1; 0 ends it). */
};

static struct pt_edge_slot slots[PT_HTTP_CONNECTIONS_MAX];
static unsigned free_head; /* index + 1 of the first free slot; 0 when none. */
static unsigned used_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t reaper;
static atomic_bool reaper_stop;
static bool reaper_running;
static int64_t headers_timeout_us = (int64_t)PT_HTTP_HEADERS_TIMEOUT_MS_DEFAULT * 1000;

/* Candidates for reclaiming, reused by the reaper only. */
static unsigned candidates[PT_HTTP_CONNECTIONS_MAX];

static void slots_reset(void)
{
    unsigned i;
    for (i = 0; i < PT_HTTP_CONNECTIONS_MAX; i++) {
        slots[i].phase = PHASE_FREE;
        slots[i].next_free = i + 2 <= PT_HTTP_CONNECTIONS_MAX ? i + 2 : 0;
    }
    free_head = 1;
    used_count = 0;
}

struct pt_edge_slot *pt_edge_open(int fd)
{
    struct pt_edge_slot *s = NULL;
    int64_t now = pt_clock_mono_us();
    pt_assert(pthread_mutex_lock(&lock) == 0);
    if (free_head != 0) {
        s = &slots[free_head - 1];
        free_head = s->next_free;
        s->fd = fd;
        s->phase = PHASE_HEADERS;
        s->shut = false;
        s->since_us = now;
        s->deadline_us = now + headers_timeout_us;
        used_count++;
    }
    pt_assert(pthread_mutex_unlock(&lock) == 0);
    return s; /* NULL only past the table, which the connection cap rules out. */
}

void pt_edge_close(struct pt_edge_slot *s)
{
    if (s == NULL) {
        return;
    }
    pt_assert(pthread_mutex_lock(&lock) == 0);
    pt_assert(s->phase != PHASE_FREE);
    s->phase = PHASE_FREE;
    s->fd = -1;
    s->next_free = free_head;
    free_head = (unsigned)(s - slots) + 1;
    used_count--;
    pt_assert(pthread_mutex_unlock(&lock) == 0);
}

static void set_phase(struct pt_edge_slot *s, enum phase phase, int64_t deadline_us)
{
    if (s == NULL) {
        return;
    }
    pt_assert(pthread_mutex_lock(&lock) == 0);
    s->phase = phase;
    s->since_us = pt_clock_mono_us();
    s->deadline_us = deadline_us;
    pt_assert(pthread_mutex_unlock(&lock) == 0);
}

void pt_edge_headers_done(struct pt_edge_slot *s)
{
    /* The body has the headers' timeout to begin; each byte received buys more time. */
    set_phase(s, PHASE_BODY, pt_clock_mono_us() + headers_timeout_us);
}

void pt_edge_body_progress(struct pt_edge_slot *s, size_t bytes)
{
    int64_t extra_us = (int64_t)(bytes * 1000000 / PT_HTTP_BODY_RATE_MIN_BYTES_S);
    if (s == NULL) {
        return;
    }
    pt_assert(pthread_mutex_lock(&lock) == 0);
    if (s->phase == PHASE_BODY && s->deadline_us != 0) {
        s->deadline_us += extra_us; /* bytes <= the body bound: no overflow. */
    }
    pt_assert(pthread_mutex_unlock(&lock) == 0);
}

void pt_edge_sending(struct pt_edge_slot *s, size_t bytes)
{
    /* Like a body: the headers' timeout as a grace, then the minimum rate. A client that stops
     * reading its answers (pipelining requests it never reads) is cut, as a silent one is. */
    int64_t extra_us = (int64_t)bytes * 1000000 / PT_HTTP_BODY_RATE_MIN_BYTES_S;
    set_phase(s, PHASE_SEND, pt_clock_mono_us() + headers_timeout_us + extra_us);
}

void pt_edge_busy(struct pt_edge_slot *s)
{
    set_phase(s, PHASE_BUSY, 0);
}

void pt_edge_idle(struct pt_edge_slot *s)
{
    /* The next request's headers must be complete within the headers timeout: an idle
     * keep-alive and a slow header look the same from here, and both hold a slot. */
    set_phase(s, PHASE_IDLE, pt_clock_mono_us() + headers_timeout_us);
}

static void shut(struct pt_edge_slot *s)
{
    (void)shutdown(s->fd, SHUT_RDWR); /* The connection's thread then reads EOF and closes. */
    s->shut = true;
}

void pt_edge_shutdown_all(void)
{
    unsigned i;
    pt_assert(pthread_mutex_lock(&lock) == 0);
    for (i = 0; i < PT_HTTP_CONNECTIONS_MAX; i++) {
        if (slots[i].phase != PHASE_FREE && !slots[i].shut) {
            shut(&slots[i]);
        }
    }
    pt_assert(pthread_mutex_unlock(&lock) == 0);
}

/* Idle keep-alives first, then connections still waiting for headers, then clients slow to
 * read their answers; oldest first. */
static int reclaim_rank(enum phase phase)
{
    return phase == PHASE_IDLE ? 0 : phase == PHASE_HEADERS ? 1 : 2;
}

static int reclaim_order(const void *a, const void *b)
{
    const struct pt_edge_slot *x = &slots[*(const unsigned *)a];
    const struct pt_edge_slot *y = &slots[*(const unsigned *)b];
    if (x->phase != y->phase) {
        return reclaim_rank(x->phase) - reclaim_rank(y->phase);
    }
    return x->since_us < y->since_us ? -1 : (x->since_us > y->since_us ? 1 : 0);
}

/* One pass: shuts connections past their deadline, then reclaims under pressure. */
static void reap_once(int64_t now)
{
    unsigned i;
    unsigned open = 0;
    unsigned candidate_count = 0;
    pt_assert(pthread_mutex_lock(&lock) == 0);
    for (i = 0; i < PT_HTTP_CONNECTIONS_MAX; i++) {
        struct pt_edge_slot *s = &slots[i];
        if (s->phase == PHASE_FREE || s->shut) {
            continue;
        }
        if (s->deadline_us != 0 && now > s->deadline_us) {
            shut(s);
            continue;
        }
        open++;
        if (s->phase == PHASE_IDLE || s->phase == PHASE_HEADERS || s->phase == PHASE_SEND) {
            candidates[candidate_count++] = i;
        }
    }
    if (open > PT_HTTP_CONNECTIONS_HIGH) {
        qsort(candidates, candidate_count, sizeof(candidates[0]), reclaim_order);
        for (i = 0; i < candidate_count && open > PT_HTTP_CONNECTIONS_LOW; i++) {
            shut(&slots[candidates[i]]);
            open--;
        }
    }
    pt_assert(pthread_mutex_unlock(&lock) == 0);
}

static void *reaper_main(void *arg)
{
    struct timespec tick = {0, (long)PT_HTTP_REAPER_TICK_MS * 1000 * 1000};
    (void)arg;
    while (!atomic_load(&reaper_stop)) {
        (void)nanosleep(&tick, NULL);
        reap_once(pt_clock_mono_us());
    }
    return NULL;
}

enum pt_rc pt_edge_start(unsigned headers_timeout_ms, struct pt_err *err)
{
    slots_reset();
    headers_timeout_us = (int64_t)headers_timeout_ms * 1000;
    atomic_store(&reaper_stop, false);
    if (pthread_create(&reaper, NULL, reaper_main, NULL) != 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the connection reaper");
    }
    reaper_running = true;
    return PT_OK;
}

void pt_edge_stop(void)
{
    if (reaper_running) {
        atomic_store(&reaper_stop, true);
        (void)pthread_join(reaper, NULL);
        reaper_running = false;
    }
}

/* Bytes each program holds of the bodies' budget: one entry per program with a body in flight,
 * at most one per connection. Requests on public routes hold theirs under "" (a key like any
 * other: an entry is free by its flag, never by its name). Guarded by bodies_lock. */
struct program_bodies {
    bool used;
    char program_id[PT_ID_BUF_BYTES];
    long long bytes;
};
static struct program_bodies by_program[PT_HTTP_CONNECTIONS_MAX];
static pthread_mutex_t bodies_lock = PTHREAD_MUTEX_INITIALIZER;
static long long body_bytes_in_flight;

/* The program's entry, or a free one to take; NULL when none (more programs than slots). */
static struct program_bodies *program_entry(const char *program_id)
{
    struct program_bodies *free_entry = NULL;
    unsigned i;
    for (i = 0; i < PT_HTTP_CONNECTIONS_MAX; i++) {
        struct program_bodies *e = &by_program[i];
        if (!e->used) {
            free_entry = free_entry ? free_entry : e;
        } else if (strcmp(e->program_id, program_id) == 0) {
            return e;
        }
    }
    return free_entry;
}

/*
 * The whole budget bounds the server's memory; a program's share of it (a quarter) keeps one
 * program, or one stolen key, from holding all of it with slow uploads while the others get
 * 503. A request without a program (a public route) counts under "".
 */
bool pt_edge_body_reserve(const char *program_id, size_t bytes)
{
    struct program_bodies *e;
    bool ok = false;
    if (bytes == 0) {
        return true; /* Holds nothing, so takes no entry (release ignores 0 too). */
    }
    pt_assert(pthread_mutex_lock(&bodies_lock) == 0);
    e = program_entry(program_id);
    if (e != NULL && bytes <= (size_t)PT_HTTP_BODIES_PROGRAM_BYTES_MAX &&
        e->bytes + (long long)bytes <= PT_HTTP_BODIES_PROGRAM_BYTES_MAX &&
        body_bytes_in_flight + (long long)bytes <= PT_HTTP_BODIES_BYTES_MAX) {
        if (!e->used) {
            e->used = true;
            (void)snprintf(e->program_id, sizeof(e->program_id), "%s", program_id);
        }
        e->bytes += (long long)bytes;
        body_bytes_in_flight += (long long)bytes;
        ok = true;
    }
    pt_assert(pthread_mutex_unlock(&bodies_lock) == 0);
    return ok;
}

void pt_edge_body_release(const char *program_id, size_t bytes)
{
    struct program_bodies *e;
    if (bytes == 0) {
        return;
    }
    pt_assert(pthread_mutex_lock(&bodies_lock) == 0);
    e = program_entry(program_id);
    pt_assert(e != NULL && e->used && e->bytes >= (long long)bytes);
    e->bytes -= (long long)bytes;
    if (e->bytes == 0) {
        e->used = false;
    }
    body_bytes_in_flight -= (long long)bytes;
    pt_assert(pthread_mutex_unlock(&bodies_lock) == 0);
}
