/* SPDX-License-Identifier: MIT */
/*
 * The one door to the heap (docs/style.md, "Memory"). Tests count allocations through it and
 * can make the Nth one fail, to prove that every out-of-memory path leaks nothing and writes
 * nothing.
 * Thread-safe.
 */
#ifndef PT_BASE_ALLOC_H
#define PT_BASE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Like malloc/calloc/realloc/free; NULL on failure (or on the injected failure). */
void *pt_malloc(size_t size);
void *pt_calloc(size_t count, size_t size);
void *pt_realloc(void *ptr, size_t size);
void pt_free(void *ptr);

/* Returns a new NUL-terminated copy of the len bytes at s (caller owns), or NULL. */
char *pt_strndup(const char *s, size_t len);

/* Live allocations made through this module (allocs minus frees); for tests' leak checks. */
int64_t pt_alloc_live_count(void);

/* Makes allocation number n (1-based, counted from this call) fail; 0 turns injection off. */
void pt_alloc_fail_at(int64_t n);

/* Debug builds (PT_DEBUG): makes every nth allocation from now on fail, heap and arena alike
 * (`patron serve` arms it from PATRON_FAIL_ALLOC once listening, for tests/api/
 * test_alloc_failure.py); 0 turns it off. Release builds ignore it. */
void pt_alloc_fail_every(int64_t n);

/* How many heap allocations have failed on the calling thread since it started (injected or
 * not): a parser that cannot tell out of memory from bad input (jansson) is judged by it. */
uint64_t pt_alloc_failures_here(void);

/* Whether the allocation being made should fail by injection; counts it. pt_arena_alloc asks
 * too, so that injected failures reach the arena's callers and not only its chunk refills. */
bool pt_alloc_injected_failure(void);

#endif
