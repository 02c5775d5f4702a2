/* SPDX-License-Identifier: MIT */
/*
 * The one door to the heap (docs/style.md, "Memory"). Tests count allocations through it and
 * can make the Nth one fail, to prove that every out-of-memory path leaks nothing and writes
 * nothing.
 * Thread-safe.
 */
#ifndef PT_BASE_ALLOC_H
#define PT_BASE_ALLOC_H

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

#endif
