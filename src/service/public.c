/* SPDX-License-Identifier: MIT */
/*
 * The program's public face (GET /v1/public/program; issue 19): its settings that explain it,
 * its tiers, active stamp cards, the rewards on offer and the active rules marked public, read
 * in one read transaction. Nothing personal and no count is read: the route needs no key.
 * Everything returned lives in the caller's arena (the rule set's strings are copied out before
 * the set is released).
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "core/codes.h"

#include <stdio.h>
#include <string.h>

/* The program asked for, or the default one: the oldest. Ids are ULIDs, ordered by the time
 * they were drawn, so the first id is the program `patron init` made. */
static enum pt_rc public_program_find(struct pt_store_txn *txn, const char *program_id,
                                      struct pt_arena *arena, struct pt_program *out,
                                      struct pt_err *err)
{
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    unsigned count = 0;
    enum pt_rc rc;
    if (program_id != NULL) {
        /* Any other string names no program: not found, without a query. */
        if (!pt_id_is_valid("prg", program_id)) {
            return pt_program_not_found(err);
        }
        return pt_store_program_get(txn, program_id, arena, out, err);
    }
    rc = pt_store_program_ids(txn, arena, 1, &ids, &count, err);
    if (rc == PT_OK && count == 0) {
        rc = pt_program_not_found(err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_program_get(txn, ids[0], arena, out, err);
}

/* The active rules marked public whose end has not come, copied out of the rule set. */
static enum pt_rc public_offers(struct pt_service *svc, struct pt_store_txn *txn,
                                const struct pt_program *program, int64_t now_ms,
                                struct pt_arena *arena, struct pt_public_program *out,
                                struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    unsigned i;
    enum pt_rc rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    if (rc != PT_OK) {
        return rc;
    }
    out->offers = pt_arena_alloc(arena, (set->count ? set->count : 1) * sizeof(*out->offers));
    for (i = 0; out->offers != NULL && i < set->count; i++) {
        const struct pt_rule *r = set->rules[i];
        struct pt_public_offer *o = &out->offers[out->offer_count];
        if (!r->is_public || r->valid_to_ms <= now_ms) {
            continue;
        }
        memcpy(o->id, r->id, sizeof(o->id));
        o->name = pt_arena_strndup(arena, r->name, strlen(r->name));
        o->description = r->description != NULL
                             ? pt_arena_strndup(arena, r->description, strlen(r->description))
                             : NULL;
        o->valid_from_ms = r->valid_from_ms;
        o->valid_to_ms = r->valid_to_ms;
        out->offer_count++;
    }
    pt_assert(out->offer_count <= set->count);
    pt_svc_rule_set_release(svc, set);
    /* One check for every copy above: the arena latches a failure. */
    return pt_arena_failed(arena) ? pt_arena_err(arena, err) : PT_OK;
}

/* The active stamp cards, each with its catalog reward's name when it gives one. */
static enum pt_rc public_cards(struct pt_store_txn *txn, const char *program_id,
                               struct pt_arena *arena, struct pt_public_program *out,
                               struct pt_err *err)
{
    struct pt_stamp_card *cards = NULL;
    unsigned n = 0;
    unsigned i;
    enum pt_rc rc = pt_store_stamp_card_list(txn, program_id, true, NULL, PT_STAMP_CARDS_ACTIVE_MAX,
                                             arena, &cards, &n, err);
    if (rc != PT_OK) {
        return rc;
    }
    out->cards = pt_arena_alloc(arena, (n ? n : 1) * sizeof(*out->cards));
    if (out->cards == NULL) {
        return pt_arena_err(arena, err);
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        struct pt_public_card *c = &out->cards[i];
        struct pt_reward reward;
        memset(c, 0, sizeof(*c));
        c->card = cards[i];
        if (cards[i].reward_id == NULL) {
            continue;
        }
        rc = pt_store_reward_get(txn, program_id, cards[i].reward_id, arena, &reward, err);
        if (rc == PT_OK) {
            c->reward_name = reward.name;
            c->reward_description = reward.description;
        } else if (rc == PT_ENOTFOUND) {
            pt_err_clear(err); /* A card names a reward of its program; shown without a name. */
            rc = PT_OK;
        }
    }
    out->card_count = rc == PT_OK ? n : 0;
    return rc;
}

enum pt_rc pt_service_public_program(struct pt_service *svc, const char *program_id,
                                     struct pt_arena *arena, struct pt_public_program *out,
                                     struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    int64_t now_ms;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    out->enrollment = "open";
    if (rc != PT_OK) {
        return rc;
    }
    rc = public_program_find(txn, program_id, arena, &out->program, err);
    if (rc == PT_OK) {
        out->enrollment = pt_enrollment_names[out->program.enrollment];
    }
    now_ms = pt_svc_now_ms(svc, out->program.id[0] != '\0' ? out->program.id : NULL);
    if (rc == PT_OK) {
        rc = public_offers(svc, txn, &out->program, now_ms, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = public_cards(txn, out->program.id, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_rewards_offered(txn, out->program.id, now_ms, PT_PUBLIC_REWARDS_MAX, arena,
                                      &out->rewards, &out->reward_count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
