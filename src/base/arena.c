/* SPDX-License-Identifier: MIT */
/*
 * Bump allocator. Chunks grow geometrically from 4 KiB; an allocation larger than a chunk gets a
 * chunk of its own. Invariant: used_bytes <= bytes_max at all times.
 */
#include "base/arena.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PT_ARENA_MAGIC 0x41524e41u
#define PT_ARENA_CHUNK_BYTES_MIN 4096

static _Thread_local uint64_t failures_here;

struct pt_arena_chunk {
    struct pt_arena_chunk *next;
    size_t cap_bytes;  /* Usable bytes in data. */
    size_t used_bytes; /* Bytes handed out from data; <= cap_bytes. */
    alignas(max_align_t) unsigned char data[];
};

void pt_arena_init(struct pt_arena *arena, size_t bytes_max)
{
    pt_assert(bytes_max > 0);
    arena->head = NULL;
    arena->used_bytes = 0;
    arena->bytes_max = bytes_max;
    arena->magic = PT_ARENA_MAGIC;
    arena->failed = false;
}

void pt_arena_fini(struct pt_arena *arena)
{
    struct pt_arena_chunk *chunk;
    if (arena == NULL) {
        return;
    }
    chunk = arena->head;
    while (chunk != NULL) {
        struct pt_arena_chunk *next = chunk->next;
        pt_free(chunk);
        chunk = next;
    }
    arena->head = NULL;
    arena->used_bytes = 0;
    arena->magic = 0;
    arena->failed = false;
}

bool pt_arena_failed(const struct pt_arena *arena)
{
    pt_assert(arena->magic == PT_ARENA_MAGIC);
    return arena->failed;
}

enum pt_rc pt_arena_err(const struct pt_arena *arena, struct pt_err *err)
{
    (void)arena; /* Read by the assertion of debug builds only. */
    pt_debug_assert(arena->failed);
    return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

uint64_t pt_arena_failures_here(void)
{
    return failures_here;
}

/* Latches the failure; returns NULL for the caller to return. */
static void *arena_fail(struct pt_arena *arena)
{
    arena->failed = true;
    failures_here++;
    return NULL;
}

/* Whether a chunk of cap usable bytes still fits under bytes_max. Written without sums that
 * could wrap: used_bytes <= bytes_max is the invariant, so the subtraction is safe. */
static bool arena_chunk_fits(const struct pt_arena *arena, size_t cap)
{
    size_t room = arena->bytes_max - arena->used_bytes;
    return room >= sizeof(struct pt_arena_chunk) && cap <= room - sizeof(struct pt_arena_chunk);
}

static struct pt_arena_chunk *arena_alloc_chunk(struct pt_arena *arena, size_t size)
{
    size_t cap = PT_ARENA_CHUNK_BYTES_MIN;
    struct pt_arena_chunk *chunk;
    if (arena->head != NULL) {
        cap = arena->head->cap_bytes <= SIZE_MAX / 2 ? arena->head->cap_bytes * 2 : SIZE_MAX;
    }
    if (cap < size) {
        cap = size;
    }
    if (!arena_chunk_fits(arena, cap)) {
        cap = size; /* Fall back to an exact fit before refusing. */
        if (!arena_chunk_fits(arena, cap)) {
            return NULL;
        }
    }
    chunk = pt_malloc(sizeof(*chunk) + cap);
    if (chunk == NULL) {
        return NULL;
    }
    chunk->cap_bytes = cap;
    chunk->used_bytes = 0;
    chunk->next = arena->head;
    arena->head = chunk;
    arena->used_bytes += sizeof(*chunk) + cap;
    return chunk;
}

void *pt_arena_alloc(struct pt_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    struct pt_arena_chunk *chunk = arena->head;
    void *p;
    pt_assert(arena->magic == PT_ARENA_MAGIC);
    /* Refuse before rounding up, so that the rounding cannot wrap for sizes near SIZE_MAX. */
    if (size > arena->bytes_max || size > SIZE_MAX - align || pt_alloc_injected_failure()) {
        return arena_fail(arena);
    }
    size = size + (align - size % align) % align;
    if (chunk == NULL || chunk->cap_bytes - chunk->used_bytes < size) {
        chunk = arena_alloc_chunk(arena, size);
        if (chunk == NULL) {
            return arena_fail(arena);
        }
    }
    p = chunk->data + chunk->used_bytes;
    chunk->used_bytes += size;
    pt_assert(chunk->used_bytes <= chunk->cap_bytes);
    pt_assert(arena->used_bytes <= arena->bytes_max);
    return p;
}

char *pt_arena_strndup(struct pt_arena *arena, const char *s, size_t len)
{
    char *p;
    if (len == SIZE_MAX) {
        return arena_fail(arena);
    }
    p = pt_arena_alloc(arena, len + 1);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *pt_arena_grow(struct pt_arena *arena, void *items, size_t count, size_t *cap,
                    size_t elem_bytes)
{
    size_t room;
    void *grown;
    pt_assert(count <= *cap);
    pt_assert(elem_bytes > 0);
    pt_assert(items != NULL || *cap == 0);
    if (count < *cap) {
        return items;
    }
    room = *cap == 0 ? 8 : *cap * 2;
    if (room < *cap || room > SIZE_MAX / elem_bytes) {
        return NULL;
    }
    grown = pt_arena_alloc(arena, room * elem_bytes);
    if (grown == NULL) {
        return NULL;
    }
    if (count > 0) {
        memcpy(grown, items, count * elem_bytes);
    }
    *cap = room;
    return grown;
}
