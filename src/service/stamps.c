/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards (docs/stamp-cards.md): the coffee shop's punch card. A card is a rule whose one
 * effect adds stamps to it; purchases add stamps to the member's open instance of the card; a
 * full card completes, gives its reward through the ledger and a new instance starts with the
 * overflow. Returns take stamps back from the open instance, and from the cards the purchase
 * completed the reward of the stamps taken back (a completed card stays completed, with the
 * reward of the stamps it keeps).
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "core/rules.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- The cards ---- */

/* Refuses to make card (compiled) active when an evaluation of the program's active rules and
 * stamp cards with it would cost more than the bound at the largest cart, as a rule is refused
 * (service/rules.c, docs/rules.md): every purchase evaluates the cards too. */
static enum pt_rc room_for_card_cost(struct pt_service *svc, struct pt_store_txn *txn,
                                     const char *program_id, const struct pt_stamp_card *card,
                                     const struct pt_rule *compiled, struct pt_arena *arena,
                                     struct pt_err *err)
{
    int64_t cost = 0;
    enum pt_rc rc = pt_svc_rules_cost(svc, txn, program_id, card->id, PT_TRIGGER_PURCHASE,
                                      PT_CART_ITEMS_MAX, arena, &cost, err);
    if (rc == PT_OK) {
        cost += pt_rule_eval_cost(compiled, PT_CART_ITEMS_MAX);
    }
    if (rc == PT_OK && cost > PT_RULES_SAVE_COST_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, NULL,
                         "the active rules and stamp cards would cost %lld units of work on a "
                         "cart of %d lines; at most %lld (docs/rules.md)",
                         (long long)cost, PT_CART_ITEMS_MAX, (long long)PT_RULES_SAVE_COST_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

/* Refuses one more active card beyond what every purchase evaluates. */
static enum pt_rc room_for_active_card(struct pt_store_txn *txn, const char *program_id,
                                       const char *except_id, struct pt_arena *arena,
                                       struct pt_err *err)
{
    struct pt_stamp_card *cards = NULL;
    unsigned count = 0;
    unsigned others = 0;
    unsigned i;
    enum pt_rc rc = pt_store_stamp_card_list(
        txn, program_id, true, NULL, PT_STAMP_CARDS_ACTIVE_MAX + 1, arena, &cards, &count, err);
    for (i = 0; i < count; i++) {
        others += except_id == NULL || strcmp(cards[i].id, except_id) != 0;
    }
    if (rc == PT_OK && others >= PT_STAMP_CARDS_ACTIVE_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, "status", "a program has at most %d active stamp cards",
                         PT_STAMP_CARDS_ACTIVE_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

struct card_ctx {
    struct pt_svc_write w;          /* First: the body's w is the context. */
    const struct pt_rule *compiled; /* The card's document */
    struct pt_stamp_card *card;
};

static enum pt_rc card_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct card_ctx *ctx = (struct card_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    enum pt_rc rc = PT_OK;
    if (ctx->card->status == PT_STAMP_CARD_ACTIVE) {
        rc = room_for_active_card(txn, ctx->w.who->program_id, NULL, ctx->w.arena, err);
    }
    if (rc == PT_OK && ctx->card->status == PT_STAMP_CARD_ACTIVE) {
        rc = room_for_card_cost(ctx->w.svc, txn, ctx->w.who->program_id, ctx->card, ctx->compiled,
                                ctx->w.arena, err);
    }
    if (rc == PT_OK && ctx->card->reward_id != NULL) {
        rc = pt_svc_reward_of_gift(txn, ctx->w.who->program_id, ctx->card->reward_id,
                                   "reward.reward_id", err);
    }
    if (rc == PT_OK) {
        rc = pt_store_stamp_card_insert(txn, ctx->w.who->program_id, ctx->card, err);
    }
    w->result = ctx->card;
    w->ref_id = ctx->card->id;
    return rc;
}

static const struct pt_write_case card_create_case = {
    .name = "stamp_card_create",
    .body = card_create_body,
};

enum pt_rc pt_service_stamp_card_create(struct pt_service *svc, const struct pt_principal *who,
                                        struct pt_stamp_card *card, struct pt_idem *idem,
                                        struct pt_arena *arena, struct pt_err *err)
{
    struct card_ctx ctx = {.card = card};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_stamp_card_validate(card, arena, &ctx.compiled, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (card->status == PT_STAMP_CARD_ARCHIVED) {
        return pt_err_set(err, PT_EINVAL, "status", "a new stamp card is active or paused");
    }
    pt_svc_new_id("stc", ctx.w.now_ms, card->id);
    card->created_at_ms = ctx.w.now_ms;
    card->updated_at_ms = ctx.w.now_ms;
    return pt_svc_write(&ctx.w, &card_create_case, err);
}

struct card_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *card_id;
    pt_stamp_card_patch_fn patch;
    void *patch_ctx;
    struct pt_stamp_card *out;
};

static enum pt_rc card_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct card_update_ctx *ctx = (struct card_update_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_stamp_card *card = ctx->out;
    const struct pt_rule *compiled = NULL;
    enum pt_stamp_card_status was;
    /* Read, changed and written in one write, so that two changes at once both land. */
    enum pt_rc rc =
        pt_store_stamp_card_get(txn, ctx->w.who->program_id, ctx->card_id, ctx->w.arena, card, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (card->status == PT_STAMP_CARD_ARCHIVED) {
        (void)pt_err_set(err, PT_ELIMIT, NULL, "an archived stamp card cannot change");
        return pt_err_code(err, "stamp_card_archived");
    }
    was = card->status;
    rc = ctx->patch(ctx->patch_ctx, ctx->w.arena, card, err);
    if (rc == PT_OK) {
        rc = pt_stamp_card_validate(card, ctx->w.arena, &compiled, err);
    }
    if (rc == PT_OK && card->status == PT_STAMP_CARD_ACTIVE && was != PT_STAMP_CARD_ACTIVE) {
        rc = room_for_active_card(txn, ctx->w.who->program_id, card->id, ctx->w.arena, err);
    }
    if (rc == PT_OK && card->status == PT_STAMP_CARD_ACTIVE) {
        /* Made active, or changed while active: its cost with the others', as a rule's. */
        rc = room_for_card_cost(ctx->w.svc, txn, ctx->w.who->program_id, card, compiled,
                                ctx->w.arena, err);
    }
    if (rc == PT_OK && card->reward_id != NULL) {
        rc = pt_svc_reward_of_gift(txn, ctx->w.who->program_id, card->reward_id, "reward.reward_id",
                                   err);
    }
    card->updated_at_ms = ctx->w.now_ms;
    return rc == PT_OK ? pt_store_stamp_card_update(txn, ctx->w.who->program_id, card, err) : rc;
}

static const struct pt_write_case card_update_case = {
    .name = "stamp_card_update",
    .body = card_update_body,
};

enum pt_rc pt_service_stamp_card_update(struct pt_service *svc, const struct pt_principal *who,
                                        const char *card_id, pt_stamp_card_patch_fn patch,
                                        void *patch_ctx, struct pt_arena *arena,
                                        struct pt_stamp_card *out, struct pt_err *err)
{
    struct card_update_ctx ctx = {
        .card_id = card_id, .patch = patch, .patch_ctx = patch_ctx, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &card_update_case, err);
}

enum pt_rc pt_service_stamp_card_get(struct pt_service *svc, const struct pt_principal *who,
                                     const char *card_id, struct pt_arena *arena,
                                     struct pt_stamp_card *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_stamp_card_get(txn, who->program_id, card_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_service_stamp_card_list(struct pt_service *svc, const struct pt_principal *who,
                                      const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                      struct pt_stamp_card **out, unsigned *count,
                                      struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_stamp_card_list(txn, who->program_id, false, cursor_id, limit, arena, out,
                                      count, err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_svc_stamp_cards_exist(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_rule *rule, struct pt_err *err)
{
    unsigned i;
    for (i = 0; i < rule->effect_count; i++) {
        const struct pt_rule_effect *e = &rule->effects[i];
        struct pt_arena scratch;
        struct pt_stamp_card card;
        enum pt_rc rc;
        char field[32];
        if (e->type != PT_EFFECT_ADD_STAMPS) {
            continue;
        }
        pt_arena_init(&scratch, 64 * 1024);
        rc = pt_store_stamp_card_get(txn, program_id, e->card, &scratch, &card, err);
        pt_arena_fini(&scratch);
        if (rc == PT_ENOTFOUND) {
            (void)snprintf(field, sizeof(field), "effects.%u.card", i);
            return pt_err_set(err, PT_EINVAL, field, "no stamp card %s in the program", e->card);
        }
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

/* ---- Stamps on purchases ---- */

/* The member's open instance of card at now_ms: the last one if open and not expired, else a
 * new one (not yet stored) numbered after it. */
static enum pt_rc open_instance(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, const struct pt_stamp_card *card,
                                int64_t now_ms, struct pt_member_stamp_card *out,
                                struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_stamp_card_last(txn, program_id, member_id, card->id, out, err);
    int64_t next = 1;
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        rc = PT_OK;
        next = 1;
    } else if (rc != PT_OK) {
        return rc;
    } else if (strcmp(out->status, "open") == 0 &&
               (out->expires_at_ms == 0 || out->expires_at_ms > now_ms)) {
        return PT_OK;
    } else {
        if (strcmp(out->status, "open") == 0) {
            /* Its time ran out with stamps on it: those stamps are lost. */
            out->status = "expired";
            rc = pt_store_member_stamp_card_put(txn, program_id, member_id, out, err);
        }
        next = out->n + 1;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out->card_id, card->id, sizeof(out->card_id));
    out->n = next;
    out->status = "open";
    return rc;
}

/* What completing instance c of card (a purchase's, p_id) gives member_id: its points through
 * the ledger (c->entry_id), or the coupon of its reward of the catalog (c->coupon_code; the
 * coupon, or why there is none, appended to issued); *done says which. */
static enum pt_rc card_reward(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const char *member_id,
                              const struct pt_stamp_card *card, const char *p_id, int64_t now_ms,
                              struct pt_arena *arena, struct pt_issued_coupons *issued,
                              struct pt_member_stamp_card *c, struct pt_stamp_completion *done,
                              struct pt_err *err)
{
    struct pt_issued_coupon from;
    enum pt_rc rc;
    if (card->reward_id == NULL) {
        c->reward_points = card->reward_points;
        done->reward_points = card->reward_points;
        rc = pt_svc_award_points(txn, program, member_id, "stamp_reward", card->id,
                                 card->reward_points, now_ms, now_ms, NULL, c->entry_id, err);
        memcpy(done->entry_id, c->entry_id, sizeof(done->entry_id));
        return rc;
    }
    memset(&from, 0, sizeof(from));
    from.source = PT_COUPON_FROM_CARD;
    memcpy(from.source_id, card->id, sizeof(from.source_id));
    rc = pt_svc_coupon_give(svc, txn, program, member_id, card->reward_id, &from, p_id, now_ms,
                            arena, issued, err);
    done->reward_id = card->reward_id;
    if (rc == PT_OK) {
        const struct pt_issued_coupon *one = &issued->items[issued->count - 1];
        memcpy(c->coupon_code, one->code, sizeof(c->coupon_code));
        memcpy(done->coupon_code, one->code, sizeof(done->coupon_code));
        done->coupon_reason = one->reason;
    }
    return rc;
}

/* Adds the gain's stamps to the member's card; completes as many instances as they fill (at
 * most PT_STAMP_COMPLETIONS_MAX: stamps beyond wait on the open card and complete with the
 * next stamp), the coupons of a card whose reward is of the catalog into issued. OUT: *s, what
 * the purchase's return may take back. */
static enum pt_rc add_stamps(struct pt_service *svc, struct pt_store_txn *txn,
                             const struct pt_program *program, const struct pt_purchase *p,
                             const struct pt_stamp_card *card, struct pt_stamp_gain *gain,
                             int64_t now_ms, struct pt_arena *arena,
                             struct pt_issued_coupons *issued, struct pt_purchase_stamps *s,
                             struct pt_err *err)
{
    const char *member_id = p->member_id;
    struct pt_member_stamp_card c;
    enum pt_rc rc = open_instance(txn, program->id, member_id, card, now_ms, &c, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (c.stamps == 0) {
        pt_stamp_card_start(&c, card, now_ms);
    }
    rc = pt_points_add(c.stamps, gain->stamps, &c.stamps, err);
    /* A card made smaller while this one was open completes now too. */
    while (rc == PT_OK && c.stamps >= card->stamps_required &&
           gain->completed < PT_STAMP_COMPLETIONS_MAX) {
        struct pt_stamp_completion done;
        int64_t overflow = c.stamps - card->stamps_required;
        c.stamps = card->stamps_required;
        c.status = "completed";
        c.completed_at_ms = now_ms;
        memset(&done, 0, sizeof(done));
        rc = card_reward(svc, txn, program, member_id, card, p->id, now_ms, arena, issued, &c,
                         &done, err);
        if (rc == PT_OK) {
            rc = pt_store_member_stamp_card_put(txn, program->id, member_id, &c, err);
        }
        (void)snprintf(done.member_id, sizeof(done.member_id), "%s", member_id);
        memcpy(done.card_id, card->id, sizeof(done.card_id));
        done.name = card->name;
        done.n = c.n;
        done.completed_at_ms = now_ms;
        if (rc == PT_OK) {
            rc = pt_svc_event(svc, txn, program->id, "stamp_card.completed", member_id,
                              svc->enc.stamp_card, &done, now_ms, arena, NULL, err);
        }
        gain->completed++;
        /* The overflow starts the next card. */
        memset(&c, 0, sizeof(c));
        memcpy(c.card_id, card->id, sizeof(c.card_id));
        c.n = done.n + 1;
        c.status = "open";
        c.stamps = overflow;
        pt_stamp_card_start(&c, card, now_ms);
    }
    if (rc == PT_OK && c.stamps > 0) {
        rc = pt_store_member_stamp_card_put(txn, program->id, member_id, &c, err);
    }
    gain->progress = c.stamps;
    memset(s, 0, sizeof(*s));
    memcpy(s->card_id, card->id, sizeof(s->card_id));
    s->stamps = gain->stamps;
    s->card_n = c.n;
    /* The purchase's stamps are the last ones on the open card; the others went into the cards
     * it completed. */
    s->on_open = c.stamps < gain->stamps ? c.stamps : gain->stamps;
    s->completed = gain->stamps - s->on_open;
    return rc;
}

enum pt_rc pt_svc_stamps_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                  const struct pt_program *program, const struct pt_purchase *p,
                                  struct pt_cart_answer *answer, int64_t now_ms,
                                  struct pt_arena *arena, struct pt_err *err)
{
    struct pt_stamps_event ev;
    unsigned i;
    enum pt_rc rc = PT_OK;
    if (answer->stamp_count == 0) {
        return PT_OK;
    }
    for (i = 0; rc == PT_OK && i < answer->stamp_count; i++) {
        struct pt_stamp_gain *g = &answer->stamps[i];
        struct pt_stamp_card card;
        struct pt_purchase_stamps s;
        rc = pt_store_stamp_card_get(txn, program->id, g->card_id, arena, &card, err);
        if (rc == PT_OK) {
            rc =
                add_stamps(svc, txn, program, p, &card, g, now_ms, arena, &answer->issued, &s, err);
        }
        if (rc == PT_OK) {
            rc = pt_store_purchase_stamps_add(txn, program->id, p->member_id, p->id, &s, err);
        }
    }
    memset(&ev, 0, sizeof(ev));
    memcpy(ev.member_id, p->member_id, sizeof(ev.member_id));
    memcpy(ev.purchase_id, p->id, sizeof(ev.purchase_id));
    ev.cards = answer->stamps;
    ev.card_count = answer->stamp_count;
    return rc == PT_OK ? pt_svc_event(svc, txn, program->id, "stamps.added", p->member_id,
                                      svc->enc.stamps, &ev, now_ms, arena, NULL, err)
                       : rc;
}

/* What a return of purchase p does to one card: the stamps it takes back of a row, the reward
 * points it takes back with them, and the return's reference. */
struct stamps_undo {
    struct pt_store_txn *txn;
    const struct pt_program *program;
    const struct pt_purchase *p;
    const char *ref_id;
    const char *key_id;
    int64_t now_ms;
    struct pt_arena *arena;
    int64_t reward_points; /* OUT: taken back from completed cards' rewards */
    struct pt_service *svc;
    struct pt_issued_coupons *coupons_back; /* OUT: the cards' coupons taken back */
};

/* Takes k of instance c's stamps back from its reward: a completed card keeps the reward of
 * the stamps it keeps, floored over all its returns (all of it once every stamp is returned),
 * taken back through the ledger (owed when spent); an expired one had given nothing. */
static enum pt_rc instance_give_back(struct stamps_undo *u, struct pt_member_stamp_card *c,
                                     int64_t k, struct pt_err *err)
{
    int64_t before = 0;
    int64_t after = 0;
    int64_t owed = 0;
    enum pt_rc rc;
    k = k < c->stamps - c->stamps_returned ? k : c->stamps - c->stamps_returned;
    if (strcmp(c->status, "completed") != 0 || k <= 0) {
        return PT_OK;
    }
    if (c->coupon_code[0] != '\0' && c->stamps_returned == 0) {
        /* A coupon is one: the first stamp taken out of the card takes it back, cancelled
         * unless used (docs/stamp-cards.md). */
        char reason[PT_ID_BUF_BYTES + 8];
        (void)snprintf(reason, sizeof(reason), "return %s", u->ref_id);
        rc = pt_svc_coupon_take_back(u->svc, u->txn, u->program, c->coupon_code, reason, u->now_ms,
                                     u->arena, u->coupons_back, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    rc = pt_mul_div_floor(c->reward_points, c->stamps_returned, c->stamps, &before, err);
    if (rc == PT_OK) {
        rc = pt_mul_div_floor(c->reward_points, c->stamps_returned + k, c->stamps, &after, err);
    }
    c->stamps_returned += k;
    if (rc == PT_OK && after > before) {
        rc = pt_svc_take_back_points(u->txn, u->program, u->p->member_id, "stamp_reward_return",
                                     u->ref_id, after - before, u->now_ms, u->key_id, &owed,
                                     u->arena, err);
        u->reward_points += after - before;
    }
    return rc == PT_OK
               ? pt_store_member_stamp_card_put(u->txn, u->program->id, u->p->member_id, c, err)
               : rc;
}

/* Takes x of row's stamps that sit on the instance the purchase left open (card_n): off the
 * card while it is open, else from the reward of the card they completed since. OUT: *taken,
 * stamps that came off the open card; *c that instance. */
static enum pt_rc take_from_last(struct stamps_undo *u, struct pt_purchase_stamps *row, int64_t x,
                                 struct pt_member_stamp_card *c, int64_t *taken, struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_stamp_card_get(u->txn, u->program->id, u->p->member_id,
                                                   row->card_id, row->card_n, c, err);
    *taken = 0;
    row->on_open -= x;
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strcmp(c->status, "open") == 0 && (c->expires_at_ms == 0 || c->expires_at_ms > u->now_ms)) {
        *taken = x < c->stamps ? x : c->stamps;
        c->stamps -= *taken;
        return pt_store_member_stamp_card_put(u->txn, u->program->id, u->p->member_id, c, err);
    }
    return instance_give_back(u, c, x, err);
}

/* Takes y of row's stamps that went into the cards the purchase completed, the newest first
 * (each card before card_n holds its stamps up to its size, the oldest the rest). */
static enum pt_rc take_from_completed(struct stamps_undo *u, struct pt_purchase_stamps *row,
                                      int64_t y, struct pt_err *err)
{
    int64_t skip = row->completed_returned;
    int64_t left = row->completed;
    int64_t n = row->card_n - 1;
    enum pt_rc rc = PT_OK;
    row->completed_returned += y;
    while (rc == PT_OK && y > 0 && left > 0 && n >= 1) {
        struct pt_member_stamp_card c;
        int64_t mine;
        int64_t k;
        rc = pt_store_member_stamp_card_get(u->txn, u->program->id, u->p->member_id, row->card_id,
                                            n--, &c, err);
        if (rc != PT_OK) {
            break;
        }
        mine = c.stamps < left ? c.stamps : left; /* The purchase's stamps in this card. */
        left -= mine;
        k = mine - skip < y ? mine - skip : y;
        skip = skip > mine ? skip - mine : 0;
        if (k > 0) {
            y -= k;
            rc = instance_give_back(u, &c, k, err);
        }
    }
    return rc;
}

/* The stamps of row a return takes back now: what it keeps is kept->stamps on the card (a
 * re-evaluation), or without kept a share in proportion to the amount returned (all of them
 * on a full return); never what earlier returns took. */
static enum pt_rc row_due(const struct pt_purchase *p, const struct pt_purchase_stamps *row,
                          const struct pt_stamp_gain *kept, unsigned kept_count, int64_t *now,
                          struct pt_err *err)
{
    int64_t due = 0;
    unsigned k;
    enum pt_rc rc = PT_OK;
    if (kept == NULL || p->returned_amount == p->amount) {
        rc = pt_mul_div_floor(row->stamps, p->returned_amount, p->amount, &due, err);
    } else {
        int64_t keep = 0;
        for (k = 0; k < kept_count; k++) {
            keep += strcmp(kept[k].card_id, row->card_id) == 0 ? kept[k].stamps : 0;
        }
        due = row->stamps - (keep < row->stamps ? keep : row->stamps);
    }
    *now = due - row->stamps_removed;
    return rc;
}

/* Takes back what a return takes of row: first its stamps on the card it left open, then those
 * in the cards it completed. OUT: *g, what came off the open card. */
static enum pt_rc row_return(struct stamps_undo *u, struct pt_purchase_stamps *row, int64_t now,
                             struct pt_stamp_gain *g, struct pt_err *err)
{
    struct pt_member_stamp_card c;
    int64_t x = now < row->on_open ? now : row->on_open;
    int64_t y = now - x;
    int64_t taken = 0;
    enum pt_rc rc = PT_OK;
    memset(g, 0, sizeof(*g));
    memset(&c, 0, sizeof(c));
    row->stamps_removed += now;
    if (x > 0) {
        rc = take_from_last(u, row, x, &c, &taken, err);
    }
    y = y < row->completed - row->completed_returned ? y : row->completed - row->completed_returned;
    if (rc == PT_OK && y > 0) {
        rc = take_from_completed(u, row, y, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_stamps_update(u->txn, u->program->id, u->p->member_id, u->p->id, row,
                                             err);
    }
    memcpy(g->card_id, row->card_id, sizeof(g->card_id));
    g->stamps = taken;
    g->progress = c.stamps;
    return rc;
}

enum pt_rc pt_svc_stamps_return(struct pt_service *svc, struct pt_store_txn *txn,
                                const struct pt_program *program, const struct pt_purchase *p,
                                const struct pt_stamp_gain *kept, unsigned kept_count,
                                struct pt_return *r, const char *key_id, int64_t now_ms,
                                struct pt_arena *arena, struct pt_err *err)
{
    struct stamps_undo u = {txn,    program, p, r->id, key_id,
                            now_ms, arena,   0, svc,   &r->coupons_back};
    struct pt_purchase_stamps *rows = NULL;
    struct pt_stamp_gain *taken;
    unsigned count = 0;
    unsigned n = 0;
    unsigned i;
    enum pt_rc rc;
    if (!p->stamped) {
        return PT_OK; /* No card counted it: nothing to take back. */
    }
    rc = pt_store_purchase_stamps_get(txn, program->id, p->member_id, p->id, arena, &rows, &count,
                                      err);
    if (rc != PT_OK || count == 0 || p->amount <= 0) {
        return rc;
    }
    taken = pt_arena_alloc(arena, count * sizeof(*taken));
    if (taken == NULL) {
        return pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_stamp_card card;
        int64_t now = 0;
        rc = row_due(p, &rows[i], kept, kept_count, &now, err);
        if (rc != PT_OK || now <= 0) {
            continue;
        }
        rc = row_return(&u, &rows[i], now, &taken[n], err);
        if (rc == PT_OK && taken[n].stamps > 0) {
            rc = pt_store_stamp_card_get(txn, program->id, rows[i].card_id, arena, &card, err);
            taken[n++].name = rc == PT_OK ? card.name : "";
        }
    }
    r->reward_points_reversed = u.reward_points;
    if (rc == PT_OK && n > 0) {
        struct pt_stamps_event ev;
        memset(&ev, 0, sizeof(ev));
        memcpy(ev.member_id, p->member_id, sizeof(ev.member_id));
        memcpy(ev.purchase_id, p->id, sizeof(ev.purchase_id));
        ev.cards = taken;
        ev.card_count = n;
        rc = pt_svc_event(svc, txn, program->id, "stamps.removed", p->member_id, svc->enc.stamps,
                          &ev, now_ms, arena, NULL, err);
    }
    return rc;
}

/* ---- The member's view ---- */

enum pt_rc pt_service_member_stamp_cards(struct pt_service *svc, const struct pt_principal *who,
                                         const char *member_id, struct pt_arena *arena,
                                         struct pt_stamp_progress **out, unsigned *count,
                                         struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    struct pt_stamp_card *cards = NULL;
    unsigned n = 0;
    unsigned i;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *count = 0;
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_stamp_card_list(txn, who->program_id, true, NULL, PT_STAMP_CARDS_ACTIVE_MAX,
                                      arena, &cards, &n, err);
    }
    *out = pt_arena_alloc(arena, (n ? n : 1) * sizeof(**out));
    if (rc == PT_OK && *out == NULL) {
        rc = pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        struct pt_stamp_progress *pr = &(*out)[(*count)++];
        struct pt_member_stamp_card c;
        memset(pr, 0, sizeof(*pr));
        pr->card = &cards[i];
        rc = pt_store_member_stamp_card_last(txn, who->program_id, member.id, cards[i].id, &c, err);
        if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            rc = PT_OK;
            continue;
        }
        if (rc == PT_OK && strcmp(c.status, "open") == 0 &&
            (c.expires_at_ms == 0 || c.expires_at_ms > now_ms)) {
            pr->stamps = c.stamps;
            pr->started_at_ms = c.started_at_ms;
            pr->expires_at_ms = c.expires_at_ms;
        }
        if (rc == PT_OK) {
            rc = pt_store_member_stamp_cards_completed(txn, who->program_id, member.id, cards[i].id,
                                                       &pr->completed, err);
        }
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
