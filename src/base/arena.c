/* SPDX-License-Identifier: MIT */
/*
 * Bump allocator. Chunks grow geometrically from 4 KiB; an allocation larger than a chunk gets a
 * chunk of its own. Invariant: used_bytes <= bytes_max at all times.
 */
#include "base/arena.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define PT_ARENA_MAGIC 0x41524e41u
#define PT_ARENA_CHUNK_BYTES_MIN 4096

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
}

static struct pt_arena_chunk *arena_alloc_chunk(struct pt_arena *arena, size_t size)
{
    size_t cap = arena->head ? arena->head->cap_bytes * 2 : PT_ARENA_CHUNK_BYTES_MIN;
    struct pt_arena_chunk *chunk;
    if (cap < size) {
        cap = size;
    }
    if (arena->used_bytes + cap + sizeof(*chunk) > arena->bytes_max) {
        cap = size; /* Fall back to an exact fit before refusing. */
        if (arena->used_bytes + cap + sizeof(*chunk) > arena->bytes_max) {
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
    if (size > arena->bytes_max) {
        return NULL;
    }
    size = (size + align - 1) & ~(align - 1);
    if (chunk == NULL || chunk->cap_bytes - chunk->used_bytes < size) {
        chunk = arena_alloc_chunk(arena, size);
        if (chunk == NULL) {
            return NULL;
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
    char *p = pt_arena_alloc(arena, len + 1);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
