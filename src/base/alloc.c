/* SPDX-License-Identifier: MIT */
/*
 * The heap wrapper: counts live allocations and injects failures for tests. The only file where
 * raw malloc/free appear (scripts/check_src.sh enforces it).
 */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int_fast64_t live_count;
static atomic_int_fast64_t fail_countdown; /* 0 = off; else the remaining calls before failing. */

static _Thread_local uint64_t failures_here;
static atomic_int_fast64_t fail_every;   /* Debug builds: 0 = off; else the period. */
static atomic_int_fast64_t fail_counter; /* Allocations counted since pt_alloc_fail_every. */

static int should_fail(void)
{
#ifdef PT_DEBUG
    int_fast64_t every = atomic_load_explicit(&fail_every, memory_order_relaxed);
    if (every > 0 && (atomic_fetch_add(&fail_counter, 1) + 1) % every == 0) {
        return 1;
    }
#endif
    if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) == 0) {
        return 0;
    }
    return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

uint64_t pt_alloc_failures_here(void)
{
    return failures_here;
}

bool pt_alloc_injected_failure(void)
{
    return should_fail() != 0;
}

void *pt_malloc(size_t size)
{
    void *p;
    if (should_fail()) {
        failures_here++;
        return NULL;
    }
    p = malloc(size == 0 ? 1 : size); /* check_src: allow malloc: the allocator itself */
    if (p != NULL) {
        atomic_fetch_add_explicit(&live_count, 1, memory_order_relaxed);
    } else {
        failures_here++;
    }
    return p;
}

void *pt_calloc(size_t count, size_t size)
{
    void *p;
    if (should_fail()) {
        failures_here++;
        return NULL;
    }
    p = calloc(count == 0 ? 1 : count,
               size == 0 ? 1 : size); /* check_src: allow calloc: allocator */
    if (p != NULL) {
        atomic_fetch_add_explicit(&live_count, 1, memory_order_relaxed);
    } else {
        failures_here++;
    }
    return p;
}

void *pt_realloc(void *ptr, size_t size)
{
    void *p;
    if (ptr == NULL) {
        return pt_malloc(size);
    }
    if (should_fail()) {
        failures_here++;
        return NULL;
    }
    p = realloc(ptr, size == 0 ? 1 : size); /* check_src: allow realloc: the allocator itself */
    if (p == NULL) {
        failures_here++;
    }
    return p;
}

void pt_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    atomic_fetch_sub_explicit(&live_count, 1, memory_order_relaxed);
    free(ptr); /* check_src: allow free: the allocator itself */
}

char *pt_strndup(const char *s, size_t len)
{
    char *p = pt_malloc(len + 1);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int64_t pt_alloc_live_count(void)
{
    return (int64_t)atomic_load(&live_count);
}

void pt_alloc_fail_at(int64_t n)
{
    atomic_store(&fail_countdown, n < 0 ? 0 : n);
}

void pt_alloc_fail_every(int64_t n)
{
    atomic_store(&fail_counter, 0);
    atomic_store(&fail_every, n < 0 ? 0 : n);
}
