/* SPDX-License-Identifier: MIT */
/*
 * The copies of programs the store keeps for writes (issue 17), so that a write does not read
 * the program's row (and its tiers) again each time. Every write that moves points reads its
 * member first; that statement reads the program's settings_version and rules_version too
 * (pt_store_member_get_versions), and a copy is used only while both are those it was read at.
 * Every change of the settings draws a new random settings_version, and every change of the
 * rules moves rules_version, in the change's own transaction: so every process, whichever node
 * of a shared PostgreSQL it runs on, sees the change at its next read of a member, as the rule
 * sets are kept (service/rule_sets.c). A random settings_version, not a counter: a change
 * rolled back with its batch after a write of the same batch kept its copy never comes back
 * under the number a later change commits.
 *
 * A copy is handed out into the caller's arena under the mutex, so that replacing a copy never
 * frees what a request still holds.
 */
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/arena.h"
#include "base/assert.h"
#include "base/limits.h"
#include "base/random.h"

#include <pthread.h>
#include <string.h>

/* Programs whose copy is kept; a program whose slot another takes is read again. */
#define PROGRAM_CACHE_SLOTS 64

struct program_copy {
    struct pt_arena arena; /* The strings of program. */
    struct pt_program program;
    int64_t settings_version;
};

struct pt_program_cache {
    pthread_mutex_t mu;                              /* Guards slots and what they hold. */
    struct program_copy *slots[PROGRAM_CACHE_SLOTS]; /* Owned; NULL when empty. */
};

struct pt_program_cache *pt_program_cache_new(void)
{
    struct pt_program_cache *cache = pt_calloc(1, sizeof(*cache));
    if (cache != NULL) {
        pthread_mutex_init(&cache->mu, NULL);
    }
    return cache;
}

static void copy_free(struct program_copy *c)
{
    if (c != NULL) {
        pt_arena_fini(&c->arena);
        pt_free(c);
    }
}

void pt_program_cache_free(struct pt_program_cache *cache)
{
    unsigned i;
    if (cache == NULL) {
        return;
    }
    for (i = 0; i < PROGRAM_CACHE_SLOTS; i++) {
        copy_free(cache->slots[i]);
    }
    pthread_mutex_destroy(&cache->mu);
    pt_free(cache);
}

int64_t pt_store_settings_version_new(void)
{
    uint64_t v = 0;
    pt_random_bytes(&v, sizeof(v));
    return (int64_t)(v & (uint64_t)INT64_MAX);
}

/* *s copied into arena (NULL stays NULL); false when the arena is exhausted. */
static bool string_copy(struct pt_arena *arena, const char **s)
{
    char *copy;
    if (*s == NULL) {
        return true;
    }
    copy = pt_arena_strndup(arena, *s, strlen(*s));
    *s = copy;
    return copy != NULL;
}

/* *names (count of them; NULL when none) copied with each name into arena; false when the arena
 * is exhausted. */
static bool names_copy(struct pt_arena *arena, const char *const **names, unsigned count)
{
    const char **copy;
    unsigned i;
    if (count == 0) {
        return true;
    }
    copy = pt_arena_alloc(arena, count * sizeof(*copy));
    if (copy == NULL) {
        return false;
    }
    for (i = 0; i < count; i++) {
        copy[i] = (*names)[i];
        if (!string_copy(arena, &copy[i])) {
            return false;
        }
    }
    *names = copy;
    return true;
}

/* *dst = *src with every string and list of src copied into arena (the program points into the
 * arena it was read into: names, categories, tiers' names and perks); false when the arena is
 * exhausted. */
static bool program_copy(struct pt_program *dst, const struct pt_program *src,
                         struct pt_arena *arena)
{
    bool ok;
    unsigned i;
    *dst = *src;
    ok = string_copy(arena, &dst->name) && string_copy(arena, &dst->time_zone) &&
         names_copy(arena, &dst->excluded_categories, dst->excluded_category_count);
    pt_assert(dst->tiers.count <= PT_TIERS_MAX);
    for (i = 0; ok && i < dst->tiers.count; i++) {
        ok = string_copy(arena, &dst->tiers.tiers[i].name) &&
             names_copy(arena, &dst->tiers.tiers[i].perks, dst->tiers.tiers[i].perk_count);
    }
    return ok;
}

static unsigned slot_of(const char *program_id)
{
    unsigned slot = 0;
    unsigned i;
    for (i = 0; program_id[i] != '\0'; i++) {
        slot = slot * 31 + (unsigned char)program_id[i];
    }
    return slot % PROGRAM_CACHE_SLOTS;
}

/* The kept copy of the program at these versions into out (strings in arena). *hit false when
 * there is none; PT_ENOMEM when the arena is exhausted. */
static enum pt_rc copy_get(struct pt_program_cache *cache, const char *program_id,
                           const int64_t versions[2], struct pt_arena *arena,
                           struct pt_program *out, bool *hit, struct pt_err *err)
{
    const struct program_copy *c;
    bool copied = true;
    *hit = false;
    pthread_mutex_lock(&cache->mu);
    c = cache->slots[slot_of(program_id)];
    if (c != NULL && strcmp(c->program.id, program_id) == 0 && c->settings_version == versions[0] &&
        c->program.rules_version == versions[1]) {
        *hit = true;
        copied = program_copy(out, &c->program, arena);
    }
    pthread_mutex_unlock(&cache->mu);
    return copied ? PT_OK : pt_arena_err(arena, err);
}

/* Keeps a copy of program, read at settings_version, in place of its slot's. Nothing is kept
 * when memory runs out: the next write reads the program again. */
static void copy_put(struct pt_program_cache *cache, const struct pt_program *program,
                     int64_t settings_version)
{
    struct program_copy *c = pt_calloc(1, sizeof(*c));
    struct program_copy *old;
    unsigned slot = slot_of(program->id);
    if (c == NULL) {
        return;
    }
    pt_arena_init(&c->arena, PT_REQUEST_ARENA_BYTES_MAX);
    if (!program_copy(&c->program, program, &c->arena)) {
        copy_free(c);
        return;
    }
    c->settings_version = settings_version;
    pthread_mutex_lock(&cache->mu);
    old = cache->slots[slot];
    cache->slots[slot] = c;
    pthread_mutex_unlock(&cache->mu);
    copy_free(old);
}

enum pt_rc pt_store_member_program_get(struct pt_store_txn *txn, const char *program_id,
                                       const char *member_id, struct pt_arena *arena,
                                       struct pt_member *member, struct pt_program *program,
                                       struct pt_err *err)
{
    struct pt_program_cache *cache = pt_store_txn_program_cache(txn);
    int64_t versions[2] = {0, 0};
    int64_t settings_version = 0;
    bool hit = false;
    enum pt_rc rc =
        pt_store_member_get_versions(txn, program_id, member_id, arena, member, versions, err);
    if (rc == PT_OK && cache != NULL) {
        rc = copy_get(cache, program_id, versions, arena, program, &hit, err);
    }
    if (rc != PT_OK || hit) {
        return rc;
    }
    rc = pt_store_program_read(txn, program_id, arena, program, &settings_version, err);
    if (rc == PT_OK && cache != NULL) {
        copy_put(cache, program, settings_version);
    }
    return rc;
}
