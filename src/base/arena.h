/* SPDX-License-Identifier: MIT */
/*
 * A request's memory: a bump allocator over heap chunks with a hard cap (cf. h2o's mem pool).
 * Everything allocated from an arena is released at once by pt_arena_fini. Not thread-safe: an
 * arena belongs to one request, handled by one thread at a time.
 */
#ifndef PT_BASE_ARENA_H
#define PT_BASE_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct pt_arena_chunk;

struct pt_arena {
    struct pt_arena_chunk *head; /* Newest chunk first; owned. */
    size_t used_bytes;           /* Bytes handed out plus chunk overhead; <= bytes_max. */
    size_t bytes_max;            /* Cap; allocations beyond it fail (return NULL). */
    unsigned magic;              /* PT_ARENA_MAGIC between init and fini. */
    bool failed;                 /* Latched by the first allocation that failed; see below. */
};

/* Initializes an empty arena on the caller's storage; allocates nothing yet. */
void pt_arena_init(struct pt_arena *arena, size_t bytes_max);

/* Releases every chunk; the arena may be initialized again. Accepts an arena never inited
 * if zeroed, and is idempotent. */
void pt_arena_fini(struct pt_arena *arena);

/* Returns size bytes aligned for any type (borrowed from the arena), or NULL when the heap or
 * the cap is exhausted (or a debug build injects a failure, base/alloc.h). A NULL latches the
 * arena's failure (pt_arena_failed) until pt_arena_fini, as the query cursor latches its own: a
 * caller that cannot go on without the memory stops, and whoever owns the arena reports the
 * failure once (the writer, per write: pt_arena_failures_here). */
void *pt_arena_alloc(struct pt_arena *arena, size_t size);

/* Whether an allocation from the arena has failed since pt_arena_init. */
bool pt_arena_failed(const struct pt_arena *arena);

/* The answer to an allocation from the arena that returned NULL: PT_ENOMEM in err, the one
 * spelling of it. Asserts (debug builds) that the arena did latch the failure. */
PT_MUSTCHECK enum pt_rc pt_arena_err(const struct pt_arena *arena, struct pt_err *err);

/* How many arena allocations have failed on the calling thread since it started: the writer
 * compares it before and after a write function, so that a write that met a failure in any
 * arena is rolled back and answered PT_ENOMEM even where the failure was not passed up. */
uint64_t pt_arena_failures_here(void);

/* Returns a NUL-terminated copy of len bytes at s in the arena, or NULL. */
char *pt_arena_strndup(struct pt_arena *arena, const char *s, size_t len);

/* An arena array of count elements of elem_bytes, with room for *cap (items NULL and *cap 0 at
 * first), made ready for one more element: items itself while count < *cap, else a copy in a
 * block of twice the room (8 at first), *cap updated. Returns NULL (nothing changed) when the
 * arena is exhausted. For rows whose number is known only once read, instead of counting
 * them first; the outgrown blocks stay in the arena until it is released. */
void *pt_arena_grow(struct pt_arena *arena, void *items, size_t count, size_t *cap,
                    size_t elem_bytes);

#endif
