/* SPDX-License-Identifier: MIT */
/*
 * The ledger's use cases: purchases, returns, redemptions and their cancellation, adjustments,
 * transfers, expiry, balances. Each write runs as one pt_store_write (a savepoint in a
 * group-committed batch): read the member's lots and account, let core plan the movement, post
 * one balanced entry, move the lots, append the event, record the idempotency key.
 *
 * The member account's balance always equals the sum of its open lots less what it owes; every
 * function here keeps that, and `patron audit` checks it.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/tz.h"
#include "core/ledger.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
/* Postings of one entry: a member, a counterpart, and at most one more (cancel to expired). */
#define PT_ENTRY_POSTINGS_MAX 3

/* ---- Shared steps ---- */

/* Loads the member (must be in the program) and the program's settings. */
static enum pt_rc load_member_program(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, struct pt_arena *arena,
                                      struct pt_member *member, struct pt_program *program,
                                      struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_get(txn, program_id, member_id, arena, member, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", member_id);
    }
    if (rc == PT_OK && program != NULL) {
        rc = pt_store_program_get(txn, program_id, arena, program, err);
    }
    return rc;
}

static enum pt_rc require_active(const struct pt_member *m, struct pt_err *err)
{
    if (m->status != PT_MEMBER_ACTIVE) {
        (void)pt_err_set(err, PT_ELIMIT, "member_id", "member %s is %s", m->id,
                         pt_member_status_name(m->status));
        return pt_err_code(err, "member_inactive");
    }
    return PT_OK;
}

/*
 * Computes the balance view at now_ms from the account (whose balance is the points left in
 * the member's lots less what it owes) and the few lots that cannot be spent now, so that the
 * cost does not grow with the member's history.
 */
static enum pt_rc balance_compute(struct pt_store_txn *txn, const struct pt_program *program,
                                  const char *member_id, int64_t now_ms, struct pt_arena *arena,
                                  struct pt_balance *out, struct pt_err *err)
{
    struct pt_account acct;
    int64_t unavailable = 0;
    int64_t in_lots;
    enum pt_rc rc = pt_store_account_get(txn, program->id, member_id, &acct, err);
    (void)arena;
    memset(out, 0, sizeof(*out));
    (void)snprintf(out->member_id, sizeof(out->member_id), "%s", member_id);
    if (rc == PT_OK) {
        rc = pt_store_lots_unavailable(txn, program->id, member_id, now_ms, &out->pending,
                                       &unavailable, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_lots_expiring(txn, program->id, member_id, now_ms, out->expiring,
                                    PT_EXPIRING_MAX, &out->expiring_count, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    in_lots = acct.balance + acct.owed;
    pt_assert(in_lots >= unavailable);
    out->owed = acct.owed;
    out->available = in_lots - unavailable - acct.owed;
    if (out->available < 0 && !program->allow_negative_balance) {
        out->available = 0;
    }
    out->lifetime_earned = acct.lifetime_earned;
    out->lifetime_redeemed = acct.lifetime_redeemed;
    out->lifetime_expired = acct.lifetime_expired;
    pt_assert(out->pending >= 0);
    pt_assert(out->owed >= 0);
    return PT_OK;
}

/* Points the member may spend now: available lots less owed. */
static enum pt_rc spendable(struct pt_store_txn *txn, const struct pt_program *program,
                            const char *member_id, int64_t now_ms, struct pt_arena *arena,
                            int64_t *out, struct pt_err *err)
{
    struct pt_balance b;
    enum pt_rc rc = balance_compute(txn, program, member_id, now_ms, arena, &b, err);
    if (rc == PT_OK) {
        *out = b.available;
        if (program->allow_negative_balance && *out < 0) {
            *out = 0;
        }
    }
    return rc;
}

/*
 * Takes `points` from the member's available lots (soonest-expiring first), recording each take
 * (lot rows and takes into the arena) when taken_lots is given and in redemption_lots when
 * redemption_id is. Lots are read a page at a time in spend order until enough are found.
 * PT_EINSUFFICIENT when short (nothing moved).
 */
static enum pt_rc take_from_lots(struct pt_store_txn *txn, const char *program_id,
                                 const char *member_id, int64_t points, int64_t now_ms,
                                 struct pt_arena *arena, const char *redemption_id,
                                 struct pt_lot_row **taken_lots, struct pt_lot_take **takes_out,
                                 size_t *take_count_out, struct pt_err *err)
{
    struct pt_lot_row *rows = NULL;
    struct pt_lot *lots;
    struct pt_lot_take *takes;
    unsigned count = 0;
    unsigned page = PT_SPEND_PAGE_LOTS;
    size_t take_count = 0;
    int64_t taken = 0;
    size_t i;
    enum pt_rc rc;
    /* Fetch pages of growing size until they hold enough points (or the member runs out). */
    while (true) {
        int64_t sum = 0;
        rc = pt_store_lots_spendable(txn, program_id, member_id, now_ms, 0, page, arena, &rows,
                                     &count, err);
        if (rc != PT_OK) {
            return rc;
        }
        for (i = 0; i < count; i++) {
            /* Lots are bounded (limits.h), but a sum of many is checked all the same: past
             * int64 it is certainly enough. */
            if (__builtin_add_overflow(sum, rows[i].lot.points_remaining, &sum)) {
                sum = INT64_MAX;
                break;
            }
        }
        if (sum >= points || count < page || page >= PT_MEMBER_OPEN_LOTS_MAX) {
            break;
        }
        page = page * 4 < PT_MEMBER_OPEN_LOTS_MAX ? page * 4 : PT_MEMBER_OPEN_LOTS_MAX;
    }
    lots = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*lots));
    takes = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*takes));
    if (lots == NULL || takes == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < count; i++) {
        lots[i] = rows[i].lot;
    }
    rc = pt_ledger_plan_spend(lots, count, points, now_ms, takes, count, &take_count, &taken, err);
    for (i = 0; rc == PT_OK && i < take_count; i++) {
        const struct pt_lot_row *row = &rows[takes[i].lot_index];
        rc = pt_store_lot_move(txn, program_id, member_id, row->id, -takes[i].points, err);
        if (rc == PT_OK && redemption_id != NULL) {
            rc = pt_store_redemption_lot_add(txn, program_id, redemption_id, member_id, row->id,
                                             takes[i].points, err);
        }
    }
    if (taken_lots != NULL) {
        *taken_lots = rows;
        *takes_out = takes;
        *take_count_out = take_count;
    }
    return rc;
}

/* Posts an entry after checking in core that it balances. */
static enum pt_rc post(struct pt_store_txn *txn, const char *program_id,
                       const struct pt_entry *entry, struct pt_posting *postings, size_t count,
                       struct pt_err *err)
{
    int64_t points[PT_ENTRY_POSTINGS_MAX];
    size_t i;
    enum pt_rc rc;
    pt_assert(count <= PT_ENTRY_POSTINGS_MAX);
    for (i = 0; i < count; i++) {
        points[i] = postings[i].points;
    }
    rc = pt_ledger_entry_check(points, count, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_entry_post(txn, program_id, entry, postings, count, err);
}

static void entry_init(struct pt_entry *e, const char *member_id, const char *type,
                       const char *reference, const char *reason, const char *key_id,
                       int64_t now_ms)
{
    memset(e, 0, sizeof(*e));
    pt_svc_new_id("ent", now_ms, e->id);
    (void)snprintf(e->member_id, sizeof(e->member_id), "%s", member_id);
    e->type = type;
    e->reference = reference;
    e->reason = reason;
    e->key_id = key_id;
    e->created_at_ms = now_ms;
}

static void posting_init(struct pt_posting *p, const char *account_id, const char *member_id,
                         int64_t points)
{
    memset(p, 0, sizeof(*p));
    p->account_id = account_id;
    p->member_id = member_id;
    p->points = points;
}

/* Refuses, before anything is written, a change of `points` that would take the member's
 * balance past its bound (limits.h PT_MEMBER_POINTS_MAX, either sign): 422 limit_exceeded
 * naming field. */
static enum pt_rc balance_room(const struct pt_account *acct, int64_t points, const char *field,
                               struct pt_err *err)
{
    int64_t after = 0;
    return pt_ledger_bounded_add(acct->balance, points, PT_MEMBER_POINTS_MAX, field,
                                 "the member's points balance", &after, err);
}

enum pt_rc pt_svc_balance(struct pt_store_txn *txn, const struct pt_program *program,
                          const char *member_id, int64_t now_ms, struct pt_arena *arena,
                          struct pt_balance *out, struct pt_err *err)
{
    return balance_compute(txn, program, member_id, now_ms, arena, out, err);
}

/* For the other units of the ledger (wallet.c): the same checked posting and entry shapes. */
enum pt_rc pt_svc_post(struct pt_store_txn *txn, const char *program_id,
                       const struct pt_entry *entry, struct pt_posting *postings, size_t count,
                       struct pt_err *err)
{
    return post(txn, program_id, entry, postings, count, err);
}

void pt_svc_entry_init(struct pt_entry *e, const char *member_id, const char *type,
                       const char *reference, const char *reason, const char *key_id,
                       int64_t now_ms)
{
    entry_init(e, member_id, type, reference, reason, key_id, now_ms);
}

void pt_svc_posting_init(struct pt_posting *p, const char *account_id, const char *member_id,
                         int64_t amount)
{
    posting_init(p, account_id, member_id, amount);
}

static int64_t lot_expiry(const struct pt_program *program, int64_t earned_at_ms)
{
    if (program->expiry_months <= 0) {
        return PT_LEDGER_NEVER;
    }
    return pt_ledger_add_months(earned_at_ms, (unsigned)program->expiry_months);
}

/*
 * Credits `points` to the member as a new lot, repaying what the member owes first.
 * The caller posts the entry with the member posting's owed_delta set from *repaid.
 */
static enum pt_rc credit_lot(struct pt_store_txn *txn, const char *program_id,
                             const char *member_id, const char *entry_id, const char *source_id,
                             int64_t points, int64_t owed, const struct pt_lot *times,
                             char *lot_id_out, int64_t now_ms, int64_t *repaid, struct pt_err *err)
{
    struct pt_lot_row row;
    pt_assert(points > 0);
    pt_assert(owed >= 0);
    memset(&row, 0, sizeof(row));
    *repaid = owed < points ? owed : points;
    pt_svc_new_id("lot", now_ms, row.id);
    (void)snprintf(row.member_id, sizeof(row.member_id), "%s", member_id);
    (void)snprintf(row.entry_id, sizeof(row.entry_id), "%s", entry_id);
    (void)snprintf(row.source_id, sizeof(row.source_id), "%s", source_id ? source_id : "");
    row.points_earned = points;
    row.lot = *times;
    row.lot.points_remaining = points - *repaid;
    if (lot_id_out != NULL) {
        memcpy(lot_id_out, row.id, PT_ID_BUF_BYTES);
    }
    return pt_store_lot_insert(txn, program_id, &row, err);
}

/* ---- Purchases ---- */

/* Without an Idempotency-Key header, the receipt number (external_id) is the request's natural
 * idempotency key, namespaced by kind ("purchase:R-1001"). */
static enum pt_rc natural_key(struct pt_idem *idem, const char *kind, const char *external_id,
                              struct pt_arena *arena, struct pt_err *err)
{
    size_t n;
    char *key;
    if (idem->key != NULL) {
        return PT_OK;
    }
    n = strlen(kind) + strlen(external_id) + 1;
    key = pt_arena_alloc(arena, n);
    if (key == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)snprintf(key, n, "%s%s", kind, external_id);
    idem->key = key;
    return PT_OK;
}

bool pt_svc_category_excluded(const char *excluded, const char *category)
{
    size_t n;
    const char *p = excluded;
    if (category == NULL || excluded == NULL) {
        return false;
    }
    n = strlen(category);
    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, category, n) == 0) {
            return true;
        }
        p += len + (end ? 1 : 0);
    }
    return false;
}

struct purchase_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const struct pt_purchase *req;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_purchase_result *out;
    int64_t now_ms;
};

/* Validates the purchase against the program and computes its eligible amount. */
static enum pt_rc purchase_check(const struct pt_program *program, struct pt_purchase *p,
                                 int64_t now_ms, struct pt_err *err)
{
    int64_t sum = 0;
    int64_t eligible = 0;
    unsigned i;
    if (strcmp(p->currency, program->currency) != 0) {
        return pt_err_set(err, PT_EINVAL, "currency", "currency must be the program's (%s)",
                          program->currency);
    }
    if (p->occurred_at_ms > now_ms + PT_CLOCK_SKEW_MS) {
        return pt_err_set(err, PT_EINVAL, "occurred_at", "occurred_at must not be in the future");
    }
    for (i = 0; i < p->item_count; i++) {
        struct pt_purchase_item *it = &p->items[i];
        int64_t line;
        if (__builtin_mul_overflow(it->quantity, it->unit_price, &line) ||
            __builtin_add_overflow(sum, line, &sum)) {
            return pt_err_set(err, PT_EINVAL, "items", "items add up beyond the amount limit");
        }
        it->eligible = !pt_svc_category_excluded(program->excluded_categories, it->category);
        if (it->eligible) {
            eligible += line;
        }
    }
    if (p->item_count > 0 && sum != p->amount) {
        return pt_err_set(err, PT_EINVAL, "items", "items add up to %lld but amount is %lld",
                          (long long)sum, (long long)p->amount);
    }
    p->eligible_amount = p->item_count > 0 ? eligible : p->amount;
    pt_assert(p->eligible_amount <= p->amount);
    return PT_OK;
}

static enum pt_rc purchase_earn(struct pt_store_txn *txn, struct purchase_ctx *ctx,
                                const struct pt_program *program, struct pt_purchase *p,
                                struct pt_err *err)
{
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_lot times;
    int64_t repaid = 0;
    enum pt_rc rc;
    /* p->points_earned: what the rules engine answered (the base rate and every rule). */
    if (p->points_earned == 0) {
        return PT_OK;
    }
    rc = pt_store_account_get(txn, program->id, p->member_id, &acct, err);
    if (rc == PT_OK) {
        rc = balance_room(&acct, p->points_earned, "amount", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    entry_init(&entry, p->member_id, "earn", p->id, NULL, ctx->who->key_id, ctx->now_ms);
    memcpy(p->entry_id, entry.id, sizeof(p->entry_id));
    times.earned_at_ms = p->occurred_at_ms;
    times.available_at_ms = p->occurred_at_ms + program->pending_days * DAY_MS;
    times.expires_at_ms = lot_expiry(program, p->occurred_at_ms);
    times.points_remaining = 0;
    rc = credit_lot(txn, program->id, p->member_id, entry.id, p->id, p->points_earned, acct.owed,
                    &times, p->lot_id, ctx->now_ms, &repaid, err);
    if (rc != PT_OK) {
        return rc;
    }
    posting_init(&postings[0], p->member_id, p->member_id, p->points_earned);
    postings[0].earned_delta = p->points_earned;
    postings[0].owed_delta = -repaid;
    posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, -p->points_earned);
    if (times.available_at_ms > ctx->now_ms && times.expires_at_ms > ctx->now_ms) {
        ctx->out->points_pending = p->points_earned - repaid;
    }
    return post(txn, program->id, &entry, postings, 2, err);
}

/* Which rule versions fired and what each gave; each rule's use, day and budget. */
static enum pt_rc purchase_rules_record(struct pt_store_txn *txn, const struct pt_program *program,
                                        const struct pt_purchase *p,
                                        const struct pt_cart_answer *cart, struct pt_err *err)
{
    const char *day = cart->local_date; /* The day the limits were read for. */
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = 0; rc == PT_OK && i < cart->rule_count; i++) {
        const struct pt_rule_applied *a = &cart->rules[i];
        rc = pt_store_purchase_rule_add(txn, program->id, p->member_id, p->id, a->rule_id,
                                        a->version, a->points, a->discount, err);
        if (rc == PT_OK) {
            rc =
                pt_store_rule_used(txn, program->id, p->member_id, a->rule_id, day, a->points, err);
        }
    }
    return rc;
}

static enum pt_rc purchase_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct purchase_ctx *ctx = arg;
    struct pt_purchase *p = &ctx->out->purchase;
    struct pt_member member;
    struct pt_program program;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = load_member_program(txn, ctx->who->program_id, ctx->req->member_id, ctx->arena, &member,
                             &program, err);
    if (rc == PT_OK) {
        rc = require_active(&member, err);
    }
    *p = *ctx->req;
    if (rc == PT_OK) {
        rc = purchase_check(&program, p, ctx->now_ms, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("txn", ctx->now_ms, p->id);
    p->created_at_ms = ctx->now_ms;
    {
        /* The same evaluation as POST /v1/carts/evaluate, at the time of the purchase. */
        struct pt_cart_request cart;
        memset(&cart, 0, sizeof(cart));
        cart.member_id = member.id;
        cart.items = p->item_count > 0 ? p->items : NULL;
        cart.item_count = p->item_count;
        cart.amount = p->amount;
        cart.channel = p->channel;
        cart.location = p->location;
        cart.discount = p->till_discount;
        cart.coupons = p->coupons;
        cart.coupon_count = p->coupon_count;
        rc = pt_svc_cart_answer(ctx->svc, txn, &program, &member, &cart, p->occurred_at_ms,
                                ctx->arena, &ctx->out->cart, err);
        p->points_earned = ctx->out->cart.points;
        p->base_points = ctx->out->cart.base_points;
        p->discount = ctx->out->cart.discount;
    }
    if (rc == PT_OK) {
        rc = purchase_earn(txn, ctx, &program, p, err);
    }
    if (rc == PT_OK && ctx->out->cart.cashback > 0) {
        /* Cashback to the wallet, pending for the wallet's own period (docs/wallets.md). */
        p->cashback = ctx->out->cart.cashback;
        rc = pt_svc_wallet_credit(
            ctx->svc, txn, &program, p->member_id, "cashback", p->id, p->cashback,
            p->occurred_at_ms + program.wallet_pending_days * DAY_MS, ctx->now_ms, ctx->who->key_id,
            p->wallet_credit_id, ctx->arena, err);
    }
    if (rc == PT_OK) {
        /* Its local month: its tier metric is counted there, and its returns take from it. */
        p->tier_month = pt_svc_date_month(ctx->out->cart.local_date);
        rc = pt_store_purchase_insert(txn, program.id, p, err);
    }
    if (rc == PT_OK) {
        rc = purchase_rules_record(txn, &program, p, &ctx->out->cart, err);
    }
    if (rc == PT_OK) {
        /* The coupons and promotion codes it used, used once, in this transaction. */
        rc = pt_svc_purchase_coupons(ctx->svc, txn, &program, p, &ctx->out->cart, ctx->now_ms,
                                     ctx->arena, err);
    }
    if (rc == PT_OK) {
        /* A crossing of a tier's threshold moves the member up at once. */
        struct pt_tier_metrics delta = {p->points_earned, p->amount, 1};
        rc = pt_svc_tier_purchase(ctx->svc, txn, &program, &member, p->tier_month, &delta,
                                  ctx->now_ms, ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_stamps_purchase(ctx->svc, txn, &program, p, &ctx->out->cart, ctx->now_ms,
                                    ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_referral_purchase(ctx->svc, txn, &program, p, ctx->now_ms, ctx->who->key_id,
                                      ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, p->member_id, ctx->now_ms, ctx->arena,
                             &ctx->out->balance, err);
    }
    if (rc == PT_OK) {
        rc =
            pt_svc_event(ctx->svc, txn, program.id, "points.earned", p->member_id,
                         ctx->svc->enc.purchase, ctx->out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, p->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

/* A bound passed by what a purchase earns (its points, or a metric it adds to) is the
 * purchase's amount's doing: named so when the check that refused it named no field. */
static enum pt_rc purchase_limit_field(enum pt_rc rc, struct pt_err *err)
{
    if (rc == PT_ELIMIT && err->field[0] == '\0') {
        (void)snprintf(err->field, sizeof(err->field), "amount");
        (void)pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

enum pt_rc pt_service_purchase(struct pt_service *svc, const struct pt_principal *who,
                               const struct pt_purchase *p, struct pt_idem *idem,
                               struct pt_arena *arena, struct pt_purchase_result *out,
                               struct pt_err *err)
{
    struct purchase_ctx ctx = {svc, who, p, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    pt_assert(idem != NULL);
    pt_assert(p->external_id != NULL);
    memset(out, 0, sizeof(*out));
    if (natural_key(idem, "purchase:", p->external_id, arena, err) != PT_OK) {
        return err->rc;
    }
    return purchase_limit_field(pt_store_write(svc->store, purchase_txn, &ctx, err), err);
}

/* ---- Points from rules outside purchases: activities, enrollment, birthdays ---- */

enum pt_rc pt_svc_award_points(struct pt_store_txn *txn, const struct pt_program *program,
                               const char *member_id, const char *entry_type, const char *ref_id,
                               int64_t points, int64_t at_ms, int64_t now_ms, const char *key_id,
                               char *entry_id, struct pt_err *err)
{
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    /* No return window: these points are available at once; they expire as any points do. */
    struct pt_lot times = {0, at_ms, at_ms, lot_expiry(program, at_ms)};
    int64_t repaid = 0;
    enum pt_rc rc = pt_store_account_get(txn, program->id, member_id, &acct, err);
    pt_assert(points > 0);
    if (rc == PT_OK) {
        rc = balance_room(&acct, points, "points", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    entry_init(&entry, member_id, entry_type, ref_id, NULL, key_id, now_ms);
    memcpy(entry_id, entry.id, PT_ID_BUF_BYTES);
    rc = credit_lot(txn, program->id, member_id, entry.id, ref_id, points, acct.owed, &times, NULL,
                    now_ms, &repaid, err);
    posting_init(&postings[0], member_id, member_id, points);
    postings[0].earned_delta = points;
    postings[0].owed_delta = -repaid;
    posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, -points);
    if (rc == PT_OK) {
        rc = post(txn, program->id, &entry, postings, 2, err);
    }
    return rc;
}

enum pt_rc pt_svc_take_back_points(struct pt_store_txn *txn, const struct pt_program *program,
                                   const char *member_id, const char *entry_type,
                                   const char *ref_id, int64_t points, int64_t now_ms,
                                   const char *key_id, int64_t *owed_now, struct pt_arena *arena,
                                   struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t avail = 0;
    int64_t take;
    enum pt_rc rc = spendable(txn, program, member_id, now_ms, arena, &avail, err);
    pt_assert(points > 0);
    if (rc != PT_OK) {
        return rc;
    }
    take = avail < points ? avail : points;
    if (take > 0) {
        rc = take_from_lots(txn, program->id, member_id, take, now_ms, arena, NULL, NULL, NULL,
                            NULL, err);
    }
    *owed_now = points - take;
    entry_init(&entry, member_id, entry_type, ref_id, NULL, key_id, now_ms);
    posting_init(&postings[0], member_id, member_id, -points);
    postings[0].earned_delta = -points;
    postings[0].owed_delta = *owed_now;
    posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, points);
    return rc == PT_OK ? post(txn, program->id, &entry, postings, 2, err) : rc;
}

enum pt_rc pt_svc_rules_award(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const struct pt_member *member,
                              enum pt_rule_trigger trigger, const struct pt_activity *activity,
                              const char *entry_type, const char *ref_id, int64_t at_ms,
                              int64_t now_ms, const char *key_id, struct pt_arena *arena,
                              struct pt_cart_answer *out, char *entry_id, struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc = pt_svc_rules_answer(svc, txn, program, member, trigger, activity, NULL, at_ms,
                                        arena, out, err);
    entry_id[0] = '\0';
    if (rc != PT_OK || out->points == 0) {
        return rc;
    }
    rc = pt_svc_award_points(txn, program, member->id, entry_type, ref_id, out->points, at_ms,
                             now_ms, key_id, entry_id, err);
    for (i = 0; rc == PT_OK && i < out->rule_count; i++) {
        rc = pt_store_rule_used(txn, program->id, member->id, out->rules[i].rule_id,
                                out->local_date, out->rules[i].points, err);
    }
    return rc;
}

/* ---- Activities ---- */

struct activity_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const struct pt_activity_request *req;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_activity_result *out;
    int64_t now_ms;
};

static enum pt_rc activity_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct activity_ctx *ctx = arg;
    struct pt_activity_row *a = &ctx->out->activity;
    struct pt_member member;
    struct pt_program program;
    struct pt_activity facts;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = load_member_program(txn, ctx->who->program_id, ctx->req->member_id, ctx->arena, &member,
                             &program, err);
    if (rc == PT_OK) {
        rc = require_active(&member, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(a, 0, sizeof(*a));
    pt_svc_new_id("act", ctx->now_ms, a->id);
    memcpy(a->member_id, member.id, sizeof(a->member_id));
    a->external_id = ctx->req->external_id;
    a->type = ctx->req->type;
    a->occurred_at_ms = ctx->req->occurred_at_ms;
    a->properties = ctx->req->properties;
    a->created_at_ms = ctx->now_ms;
    facts.type = a->type;
    facts.properties = a->properties;
    rc = pt_svc_rules_award(ctx->svc, txn, &program, &member, PT_TRIGGER_ACTIVITY, &facts,
                            "activity", a->id, a->occurred_at_ms, ctx->now_ms, ctx->who->key_id,
                            ctx->arena, &ctx->out->rules, a->entry_id, err);
    a->points_earned = ctx->out->rules.points;
    if (rc == PT_OK) {
        rc = pt_store_activity_insert(txn, program.id, a, err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, member.id, ctx->now_ms, ctx->arena, &ctx->out->balance,
                             err);
    }
    if (rc == PT_OK) {
        rc =
            pt_svc_event(ctx->svc, txn, program.id, "activity.recorded", member.id,
                         ctx->svc->enc.activity, ctx->out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, a->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_activity(struct pt_service *svc, const struct pt_principal *who,
                               const struct pt_activity_request *req, struct pt_idem *idem,
                               struct pt_arena *arena, struct pt_activity_result *out,
                               struct pt_err *err)
{
    struct activity_ctx ctx = {
        svc, who, req, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    if (req->occurred_at_ms > ctx.now_ms + PT_CLOCK_SKEW_MS) {
        return pt_err_set(err, PT_EINVAL, "occurred_at", "occurred_at must not be in the future");
    }
    if (natural_key(idem, "activity:", req->external_id, arena, err) != PT_OK) {
        return err->rc;
    }
    return pt_store_write(svc->store, activity_txn, &ctx, err);
}

/* ---- Birthdays ---- */

struct birthday_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    struct pt_birthday_result *out;
    int64_t now_ms;
    bool more; /* OUT of one round: a full page was found */
};

/* One page of today's birthdays of a program, each awarded once per year. */
static enum pt_rc birthday_round_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct birthday_ctx *ctx = arg;
    struct pt_program program;
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    char stamp[40];
    char month_day[6];
    int64_t year;
    unsigned count = 0;
    unsigned i;
    struct pt_tz *tz = pt_arena_alloc(ctx->arena, sizeof(*tz));
    enum pt_rc rc = pt_store_program_get(txn, ctx->program_id, ctx->arena, &program, err);
    if (rc == PT_OK && tz == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    if (rc == PT_OK && pt_tz_load(program.time_zone, tz, err) != PT_OK) {
        pt_err_clear(err); /* A zone gone from the system: UTC (as the rules do). */
        rc = pt_tz_load("UTC", tz, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    /* Today in the program's time zone. */
    pt_time_format_rfc3339(ctx->now_ms + (int64_t)pt_tz_offset_s(tz, ctx->now_ms) * 1000, stamp,
                           sizeof(stamp));
    memcpy(month_day, stamp + 5, 5);
    month_day[5] = '\0';
    year =
        (stamp[0] - '0') * 1000 + (stamp[1] - '0') * 100 + (stamp[2] - '0') * 10 + (stamp[3] - '0');
    if (rc == PT_OK) {
        rc = pt_store_birthdays(txn, program.id, month_day, year, PT_BIRTHDAY_PAGE, ctx->arena,
                                &ids, &count, err);
    }
    /* 29 February: in other years, celebrated on the 28th. */
    if (rc == PT_OK && strcmp(month_day, "02-28") == 0 && count < PT_BIRTHDAY_PAGE &&
        !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
        char(*more)[PT_ID_BUF_BYTES] = NULL;
        unsigned extra = 0;
        rc = pt_store_birthdays(txn, program.id, "02-29", year, PT_BIRTHDAY_PAGE - count,
                                ctx->arena, &more, &extra, err);
        if (rc == PT_OK && extra > 0) {
            char(*all)[PT_ID_BUF_BYTES] =
                pt_arena_alloc(ctx->arena, (count + extra) * PT_ID_BUF_BYTES);
            if (all == NULL) {
                return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
            }
            memcpy(all, ids, count * PT_ID_BUF_BYTES);
            memcpy(all + count, more, extra * PT_ID_BUF_BYTES);
            ids = all;
            count += extra;
        }
    }
    ctx->more = rc == PT_OK && count == PT_BIRTHDAY_PAGE;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_member member;
        struct pt_cart_answer answer;
        char entry_id[PT_ID_BUF_BYTES];
        bool claimed = false;
        rc = pt_store_member_get(txn, program.id, ids[i], ctx->arena, &member, err);
        if (rc == PT_OK) {
            rc = pt_svc_rules_award(ctx->svc, txn, &program, &member, PT_TRIGGER_BIRTHDAY, NULL,
                                    "birthday", member.id, ctx->now_ms, ctx->now_ms, NULL,
                                    ctx->arena, &answer, entry_id, err);
        }
        if (rc == PT_ELIMIT && entry_id[0] == '\0') {
            /* The member's balance is at its bound (refused before anything was written): no
             * gift this year, and the round goes on for the others rather than failing them
             * all on every run. */
            pt_err_clear(err);
            rc = PT_OK;
            answer.points = 0;
        }
        if (rc == PT_OK) {
            /* Claimed even when nothing was given, so that the member is not read again. */
            rc = pt_store_birthday_award(txn, program.id, member.id, year, answer.points,
                                         entry_id[0] ? entry_id : NULL, ctx->now_ms, &claimed, err);
        }
        if (rc == PT_OK && claimed) {
            ctx->out->members++;
            ctx->out->points += answer.points;
        }
    }
    return rc;
}

enum pt_rc pt_service_birthdays(struct pt_service *svc, const struct pt_principal *who,
                                struct pt_birthday_result *out, struct pt_err *err)
{
    struct birthday_ctx ctx = {
        svc, NULL, NULL, out, pt_svc_now_ms(svc, who != NULL ? who->program_id : NULL), true};
    memset(out, 0, sizeof(*out));
    return pt_svc_job_rounds(svc, who != NULL ? who->program_id : NULL, PT_BIRTHDAY_ROUNDS_MAX,
                             birthday_round_txn, &ctx, &ctx.program_id, &ctx.arena, &ctx.more, err);
}

/* ---- Returns ---- */

struct return_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *purchase_id;
    const struct pt_return_request *req;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_return_result *out;
    int64_t now_ms;
};

/* Works out the amount and the eligible amount returned now, updating the purchase's returned
 * quantities. PT_ELIMIT return_exceeds_purchase; PT_EINVAL for an unknown sku. */
static enum pt_rc return_amounts(struct pt_purchase *p, const struct pt_return_request *req,
                                 int64_t *amount_now, int64_t *eligible_now, struct pt_err *err)
{
    unsigned i;
    *amount_now = 0;
    *eligible_now = 0;
    if (req->items == NULL) {
        int64_t before = 0;
        int64_t after = 0;
        enum pt_rc rc;
        if (req->amount > p->amount - p->returned_amount) {
            goto exceeds;
        }
        *amount_now = req->amount;
        /* Cumulative proportion of the eligible amount: exact once everything is returned. */
        rc = pt_mul_div_floor(p->returned_amount, p->eligible_amount, p->amount, &before, err);
        if (rc == PT_OK) {
            rc = pt_mul_div_floor(p->returned_amount + req->amount, p->eligible_amount, p->amount,
                                  &after, err);
        }
        *eligible_now = after - before;
        return rc;
    }
    for (i = 0; i < req->item_count; i++) {
        const struct pt_purchase_item *want = &req->items[i];
        int64_t left = want->quantity;
        unsigned j;
        for (j = 0; j < p->item_count && left > 0; j++) {
            struct pt_purchase_item *have = &p->items[j];
            int64_t take = have->quantity - have->returned_quantity;
            if (strcmp(have->sku, want->sku) != 0 || take <= 0) {
                continue;
            }
            take = take < left ? take : left;
            have->returned_quantity += take;
            left -= take;
            *amount_now += take * have->unit_price;
            *eligible_now += have->eligible ? take * have->unit_price : 0;
        }
        if (left > 0) {
            goto exceeds;
        }
    }
    if (*amount_now > p->amount - p->returned_amount) {
        goto exceeds;
    }
    return PT_OK;
exceeds:
    (void)pt_err_set(err, PT_ELIMIT, req->items ? "items" : "amount",
                     "the returns would exceed what was bought");
    return pt_err_code(err, "return_exceeds_purchase");
}

/* Takes `points` back for a return: from the purchase's own lot, then from other available
 * points, and what is still missing is owed. OUT: *owed_now. The spendable points are read
 * before the own lot moves: the account is posted only after this. */
static enum pt_rc return_take(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, const struct pt_purchase *p,
                              int64_t points, int64_t *owed_now, struct pt_err *err)
{
    struct pt_lot_row own;
    int64_t left = points;
    int64_t avail = 0;
    enum pt_rc rc = spendable(txn, program, p->member_id, ctx->now_ms, ctx->arena, &avail, err);
    *owed_now = 0;
    if (rc == PT_OK && p->lot_id[0] != '\0') {
        rc = pt_store_lot_get(txn, program->id, p->member_id, p->lot_id, &own, err);
        if (rc == PT_OK && own.lot.points_remaining > 0) {
            int64_t take = own.lot.points_remaining < left ? own.lot.points_remaining : left;
            rc = pt_store_lot_move(txn, program->id, p->member_id, p->lot_id, -take, err);
            left -= take;
            if (pt_lot_is_available(&own.lot, ctx->now_ms)) {
                avail = avail > take ? avail - take : 0; /* Those points were spendable. */
            }
        }
    }
    if (rc == PT_OK && left > 0 && avail > 0) {
        int64_t take = avail < left ? avail : left;
        rc = take_from_lots(txn, program->id, p->member_id, take, ctx->now_ms, ctx->arena, NULL,
                            NULL, NULL, NULL, err);
        left -= take;
    }
    *owed_now = left;
    return rc;
}

static enum pt_rc return_post(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, struct pt_purchase *p,
                              struct pt_return *r, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    enum pt_rc rc = return_take(txn, ctx, program, p, r->points_reversed, &r->points_owed, err);
    if (rc != PT_OK) {
        return rc;
    }
    entry_init(&entry, p->member_id, "return", r->id, NULL, ctx->who->key_id, ctx->now_ms);
    memcpy(r->entry_id, entry.id, sizeof(r->entry_id));
    posting_init(&postings[0], p->member_id, p->member_id, -r->points_reversed);
    postings[0].earned_delta = -r->points_reversed;
    postings[0].owed_delta = r->points_owed;
    posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, r->points_reversed);
    return post(txn, program->id, &entry, postings, 2, err);
}

static enum pt_rc return_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct return_ctx *ctx = arg;
    struct pt_return *r = &ctx->out->ret;
    struct pt_purchase p;
    struct pt_program program;
    int64_t amount_now = 0;
    int64_t eligible_now = 0;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = pt_store_purchase_get(txn, ctx->who->program_id, ctx->purchase_id, ctx->arena, &p, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->who->program_id, p.member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_open(txn, ctx->who->program_id, p.member_id, ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_return_window_check(&program, p.occurred_at_ms, ctx->now_ms, err);
    }
    if (rc == PT_OK) {
        rc = return_amounts(&p, ctx->req, &amount_now, &eligible_now, err);
    }
    if (rc == PT_OK && amount_now <= 0) {
        rc = pt_err_set(err, PT_EINVAL, "amount", "a return must return something");
    }
    memset(r, 0, sizeof(*r));
    if (rc == PT_OK && p.returned_amount + amount_now == p.amount) {
        eligible_now = p.eligible_amount - p.returned_eligible; /* Exact on the full return. */
    }
    if (rc == PT_OK) {
        rc = pt_ledger_return_points(p.points_earned, p.eligible_amount, p.returned_eligible,
                                     eligible_now, p.points_reversed, &r->points_reversed, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("ret", ctx->now_ms, r->id);
    r->external_id = ctx->req->external_id;
    memcpy(r->purchase_id, p.id, sizeof(r->purchase_id));
    memcpy(r->member_id, p.member_id, sizeof(r->member_id));
    r->amount = amount_now;
    r->created_at_ms = ctx->now_ms;
    if (r->points_reversed > 0) {
        rc = return_post(txn, ctx, &program, &p, r, err);
    }
    p.returned_amount += amount_now;
    p.returned_eligible += eligible_now;
    p.points_reversed += r->points_reversed;
    if (rc == PT_OK && p.cashback > 0) {
        /* The cashback in proportion to the amount returned, all of it on a full return. */
        int64_t due = 0;
        rc = pt_mul_div_floor(p.cashback, p.returned_amount, p.amount, &due, err);
        ctx->out->cashback_reversed = due - p.cashback_reversed;
        if (rc == PT_OK && ctx->out->cashback_reversed > 0) {
            rc = pt_svc_wallet_take_back(ctx->svc, txn, &program, p.member_id, "cashback_return",
                                         r->id, p.wallet_credit_id, ctx->out->cashback_reversed,
                                         ctx->now_ms, ctx->who->key_id, &ctx->out->cashback_owed,
                                         ctx->arena, err);
            p.cashback_reversed = due;
        }
        if (rc == PT_OK) {
            rc = pt_store_purchase_update_cashback(txn, program.id, &p, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_update_returns(txn, program.id, &p, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_return_insert(txn, program.id, r, err);
    }
    if (rc == PT_OK) {
        /* Returns lower the qualifying metric of the purchase's month; a member moves down
         * only at the next review. */
        struct pt_tier_metrics delta = {-r->points_reversed, -amount_now,
                                        p.returned_amount == p.amount ? -1 : 0};
        rc = pt_store_tier_metric_add(txn, program.id, p.member_id, p.tier_month, &delta, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_stamps_return(ctx->svc, txn, &program, &p, ctx->now_ms, ctx->arena, err);
    }
    if (rc == PT_OK && p.returned_amount == p.amount) {
        rc = pt_svc_referral_return(ctx->svc, txn, &program, &p, ctx->now_ms, ctx->who->key_id,
                                    ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, p.member_id, ctx->now_ms, ctx->arena,
                             &ctx->out->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.returned", p.member_id,
                          ctx->svc->enc.ret, ctx->out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, r->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_return(struct pt_service *svc, const struct pt_principal *who,
                             const char *purchase_id, const struct pt_return_request *req,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_return_result *out, struct pt_err *err)
{
    struct return_ctx ctx = {svc,  who,   purchase_id, req,
                             idem, arena, out,         pt_svc_now_ms(svc, who->program_id)};
    pt_assert(idem != NULL);
    pt_assert(req->external_id != NULL);
    memset(out, 0, sizeof(*out));
    if (natural_key(idem, "return:", req->external_id, arena, err) != PT_OK) {
        return err->rc;
    }
    return pt_store_write(svc->store, return_txn, &ctx, err);
}

/* ---- Redemptions ---- */

struct redeem_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    int64_t points;
    const char *reason;
    const char *redemption_id; /* cancel only */
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_redemption_result *out;
    int64_t now_ms;
};

enum pt_rc pt_svc_redeem_points(struct pt_store_txn *txn, const struct pt_program *program,
                                const char *member_id, int64_t points, const char *reason,
                                const char *key_id, int64_t now_ms, struct pt_arena *arena,
                                struct pt_redemption *r, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t avail = 0;
    enum pt_rc rc = spendable(txn, program, member_id, now_ms, arena, &avail, err);
    if (rc == PT_OK && avail < points) {
        rc = pt_err_set(err, PT_EINSUFFICIENT, "points",
                        "not enough available points: %lld available, %lld asked", (long long)avail,
                        (long long)points);
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(r, 0, sizeof(*r));
    pt_svc_new_id("red", now_ms, r->id);
    (void)snprintf(r->member_id, sizeof(r->member_id), "%s", member_id);
    r->points = points;
    r->reason = reason;
    r->created_at_ms = now_ms;
    entry_init(&entry, member_id, "redeem", r->id, reason, key_id, now_ms);
    memcpy(r->entry_id, entry.id, sizeof(r->entry_id));
    rc = pt_store_redemption_insert(txn, program->id, r, err);
    if (rc == PT_OK) {
        rc = take_from_lots(txn, program->id, member_id, points, now_ms, arena, r->id, NULL, NULL,
                            NULL, err);
    }
    posting_init(&postings[0], member_id, member_id, -points);
    postings[0].redeemed_delta = points;
    posting_init(&postings[1], PT_ACCOUNT_REDEEMED, NULL, points);
    return rc == PT_OK ? post(txn, program->id, &entry, postings, 2, err) : rc;
}

static enum pt_rc redeem_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_redemption *r = &ctx->out->redemption;
    struct pt_member member;
    struct pt_program program;
    /* The member first: of two nodes given one request at once, the second waits here and
     * then finds the first's idempotency record. */
    enum pt_rc rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    }
    if (rc != PT_OK || (ctx->idem != NULL && ctx->idem->replayed)) {
        return rc;
    }
    rc = load_member_program(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &member,
                             &program, err);
    if (rc == PT_OK) {
        rc = require_active(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_redeem_points(txn, &program, member.id, ctx->points, ctx->reason,
                                  ctx->who->key_id, ctx->now_ms, ctx->arena, r, err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, member.id, ctx->now_ms, ctx->arena, &ctx->out->balance,
                             err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.redeemed", member.id,
                          ctx->svc->enc.redemption, ctx->out, ctx->now_ms, ctx->arena, ctx->idem,
                          err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, r->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_redeem(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t points, const char *reason,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_redemption_result *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,  who,  member_id, points, reason,
                             NULL, idem, arena,     out,    pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc = PT_OK;
    memset(out, 0, sizeof(*out));
    if (points <= 0 || points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    rc = pt_validate_text("reason", reason ? reason : "", PT_REASON_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_write(svc->store, redeem_txn, &ctx, err);
}

/* Puts a cancelled redemption's points back: live lots get them again, expired ones send
 * them to the expired account. OUT: *live and *expired. */
static enum pt_rc cancel_restore(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_redemption *r, int64_t now_ms,
                                 struct pt_arena *arena, int64_t *live, int64_t *expired,
                                 struct pt_err *err)
{
    struct pt_lot_share *shares = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc =
        pt_store_redemption_lots(txn, program_id, r->member_id, r->id, arena, &shares, &count, err);
    *live = 0;
    *expired = 0;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_lot_row lot;
        rc = pt_store_lot_get(txn, program_id, r->member_id, shares[i].lot_id, &lot, err);
        if (rc != PT_OK) {
            break;
        }
        if (lot.lot.expires_at_ms <= now_ms) {
            *expired += shares[i].points;
            continue;
        }
        *live += shares[i].points;
        rc = pt_store_lot_move(txn, program_id, r->member_id, shares[i].lot_id, shares[i].points,
                               err);
    }
    pt_assert(rc != PT_OK || *live + *expired == r->points);
    return rc;
}

enum pt_rc pt_svc_redemption_undo(struct pt_store_txn *txn, const struct pt_program *program,
                                  struct pt_redemption *r, const char *key_id, int64_t now_ms,
                                  struct pt_arena *arena, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[3];
    size_t n = 0;
    int64_t live = 0;
    int64_t expired = 0;
    enum pt_rc rc = cancel_restore(txn, program->id, r, now_ms, arena, &live, &expired, err);
    pt_assert(!r->cancelled);
    if (rc != PT_OK) {
        return rc;
    }
    entry_init(&entry, r->member_id, "redeem_cancel", r->id, NULL, key_id, now_ms);
    posting_init(&postings[n++], PT_ACCOUNT_REDEEMED, NULL, -r->points);
    if (live > 0) {
        posting_init(&postings[n++], r->member_id, r->member_id, live);
    }
    if (expired > 0) {
        posting_init(&postings[n++], PT_ACCOUNT_EXPIRED, NULL, expired);
    }
    r->cancelled = true;
    r->cancelled_at_ms = now_ms;
    memcpy(r->cancel_entry_id, entry.id, sizeof(r->cancel_entry_id));
    rc = post(txn, program->id, &entry, postings, n, err);
    if (rc == PT_OK) {
        /* The member's counters move even when nothing came back (all of it had expired). */
        struct pt_posting counters;
        posting_init(&counters, r->member_id, r->member_id, 0);
        counters.redeemed_delta = -r->points;
        counters.expired_delta = expired;
        rc = pt_store_account_counters(txn, program->id, &counters, err);
    }
    return rc == PT_OK ? pt_store_redemption_cancel(txn, program->id, r, err) : rc;
}

static enum pt_rc cancel_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_redemption *r = &ctx->out->redemption;
    struct pt_program program;
    enum pt_rc rc =
        pt_store_redemption_get(txn, ctx->who->program_id, ctx->redemption_id, ctx->arena, r, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->who->program_id, r->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_open(txn, ctx->who->program_id, r->member_id, ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
    }
    if (rc != PT_OK || r->cancelled) {
        /* Cancelling twice changes nothing: answer the current state. */
        return rc == PT_OK ? balance_compute(txn, &program, r->member_id, ctx->now_ms, ctx->arena,
                                             &ctx->out->balance, err)
                           : rc;
    }
    {
        /* A redemption that paid for a coupon is undone by cancelling the coupon, which also
         * returns its unit of stock and stops the code. */
        char code[PT_ID_BUF_BYTES];
        rc = pt_store_coupon_of_redemption(txn, program.id, r->member_id, r->id, code, err);
        if (rc == PT_OK) {
            (void)pt_err_set(err, PT_ECONFLICT, NULL,
                             "this redemption paid for a coupon: cancel the coupon instead");
            return pt_err_code(err, "coupon_redemption");
        }
        if (rc != PT_ENOTFOUND) {
            return rc;
        }
        pt_err_clear(err);
    }
    rc = pt_svc_redemption_undo(txn, &program, r, ctx->who->key_id, ctx->now_ms, ctx->arena, err);
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, r->member_id, ctx->now_ms, ctx->arena,
                             &ctx->out->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.redemption_cancelled", r->member_id,
                          ctx->svc->enc.redemption, ctx->out, ctx->now_ms, ctx->arena, NULL, err);
    }
    return rc;
}

enum pt_rc pt_service_redemption_cancel(struct pt_service *svc, const struct pt_principal *who,
                                        const char *redemption_id, struct pt_arena *arena,
                                        struct pt_redemption_result *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,           who,  NULL,  0,   NULL,
                             redemption_id, NULL, arena, out, pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    return pt_store_write(svc->store, cancel_txn, &ctx, err);
}

/* ---- Adjustments ---- */

struct adjust_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    int64_t points;
    const char *reason;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_adjustment_result *out;
    int64_t now_ms;
};

/* Removes points for a negative adjustment: from available lots, and beyond them owed when the
 * program allows negative balances. OUT: *owed_now. */
static enum pt_rc adjust_take(struct pt_store_txn *txn, struct adjust_ctx *ctx,
                              const struct pt_program *program, int64_t points, int64_t *owed_now,
                              struct pt_err *err)
{
    int64_t avail = 0;
    int64_t take;
    enum pt_rc rc = spendable(txn, program, ctx->member_id, ctx->now_ms, ctx->arena, &avail, err);
    *owed_now = 0;
    if (rc != PT_OK) {
        return rc;
    }
    if (avail < points && !program->allow_negative_balance) {
        return pt_err_set(err, PT_EINSUFFICIENT, "points",
                          "not enough available points: %lld available, %lld asked",
                          (long long)avail, (long long)points);
    }
    take = avail < points ? avail : points;
    if (take > 0) {
        rc = take_from_lots(txn, program->id, ctx->member_id, take, ctx->now_ms, ctx->arena, NULL,
                            NULL, NULL, NULL, err);
    }
    *owed_now = points - take;
    return rc;
}

/* The role's per-call limit (program setting adjust_limits) and the member's bound, both
 * checked before anything is written: 422 limit_exceeded naming points. */
static enum pt_rc adjust_allowed(const struct pt_program *program, const struct pt_principal *who,
                                 int64_t points, const struct pt_account *acct, struct pt_err *err)
{
    int64_t limit =
        who->role == PT_ROLE_ADMIN ? program->adjust_admin_max : program->adjust_staff_max;
    pt_assert(points != 0);
    pt_assert(limit >= 0);
    if (points > limit || points < -limit) {
        (void)pt_err_set(err, PT_ELIMIT, "points",
                         "a %s key may adjust at most %lld points per call (adjust_limits)",
                         who->role == PT_ROLE_ADMIN ? "admin" : "staff", (long long)limit);
        return pt_err_code(err, "limit_exceeded");
    }
    return balance_room(acct, points, "points", err);
}

static enum pt_rc adjust_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct adjust_ctx *ctx = arg;
    struct pt_adjustment_result *out = ctx->out;
    struct pt_member member;
    struct pt_program program;
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t owed_delta = 0;
    /* The member first, as for redemptions. */
    enum pt_rc rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    }
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = load_member_program(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &member,
                             &program, err);
    if (rc == PT_OK) {
        rc = pt_member_require_open(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_account_get(txn, program.id, member.id, &acct, err);
    }
    if (rc == PT_OK) {
        rc = adjust_allowed(&program, ctx->who, ctx->points, &acct, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    entry_init(&entry, member.id, "adjust", NULL, ctx->reason, ctx->who->key_id, ctx->now_ms);
    if (ctx->points > 0) {
        struct pt_lot times = {0, ctx->now_ms, ctx->now_ms, lot_expiry(&program, ctx->now_ms)};
        int64_t repaid = 0;
        rc = credit_lot(txn, program.id, member.id, entry.id, entry.id, ctx->points, acct.owed,
                        &times, NULL, ctx->now_ms, &repaid, err);
        owed_delta = -repaid;
    } else {
        rc = adjust_take(txn, ctx, &program, -ctx->points, &owed_delta, err);
    }
    posting_init(&postings[0], member.id, member.id, ctx->points);
    postings[0].owed_delta = owed_delta;
    posting_init(&postings[1], PT_ACCOUNT_ADJUSTED, NULL, -ctx->points);
    if (rc == PT_OK) {
        rc = post(txn, program.id, &entry, postings, 2, err);
    }
    memcpy(out->id, entry.id, sizeof(out->id));
    memcpy(out->member_id, member.id, sizeof(out->member_id));
    memcpy(out->key_id, ctx->who->key_id, sizeof(out->key_id));
    out->points = ctx->points;
    out->reason = ctx->reason;
    out->created_at_ms = ctx->now_ms;
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, member.id, ctx->now_ms, ctx->arena, &out->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.adjusted", member.id,
                          ctx->svc->enc.adjustment, out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, out, entry.id, ctx->now_ms, ctx->arena,
                                err);
    }
    return rc;
}

enum pt_rc pt_service_adjust(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t points, const char *reason,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_adjustment_result *out, struct pt_err *err)
{
    struct adjust_ctx ctx = {
        svc, who, member_id, points, reason, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc;
    pt_assert(idem != NULL);
    memset(out, 0, sizeof(*out));
    if (points == 0 || points > PT_POINTS_MAX || points < -PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be non-zero, at most %lld",
                          (long long)PT_POINTS_MAX);
    }
    rc = pt_validate_text("reason", reason ? reason : "", PT_REASON_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_write(svc->store, adjust_txn, &ctx, err);
}

/* ---- Transfers ---- */

struct transfer_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *from_id;
    const char *to_id;
    int64_t points;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_transfer_result *out;
    int64_t now_ms;
};

/* Gives the receiver one lot per lot taken from the sender, keeping its expiry date; the
 * receiver's debt is repaid first. OUT: *repaid_total. */
static enum pt_rc transfer_credit(struct pt_store_txn *txn, struct transfer_ctx *ctx,
                                  const char *program_id, const char *entry_id,
                                  const struct pt_lot_row *rows, const struct pt_lot_take *takes,
                                  size_t take_count, int64_t *repaid_total, struct pt_err *err)
{
    struct pt_account acct;
    size_t i;
    enum pt_rc rc = pt_store_account_get(txn, program_id, ctx->to_id, &acct, err);
    *repaid_total = 0;
    if (rc == PT_OK) {
        rc = balance_room(&acct, ctx->points, "points", err);
    }
    for (i = 0; rc == PT_OK && i < take_count; i++) {
        const struct pt_lot *src = &rows[takes[i].lot_index].lot;
        struct pt_lot times = {0, ctx->now_ms, ctx->now_ms, src->expires_at_ms};
        int64_t repaid = 0;
        rc = credit_lot(txn, program_id, ctx->to_id, entry_id, ctx->out->id, takes[i].points,
                        acct.owed - *repaid_total, &times, NULL, ctx->now_ms, &repaid, err);
        *repaid_total += repaid;
    }
    return rc;
}

static enum pt_rc transfer_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct transfer_ctx *ctx = arg;
    struct pt_transfer_result *out = ctx->out;
    struct pt_member from;
    struct pt_member to;
    struct pt_program program;
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_lot_row *rows = NULL;
    struct pt_lot_take *takes = NULL;
    size_t take_count = 0;
    int64_t avail = 0;
    int64_t repaid = 0;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    /* Both members locked in one order (by id), so that two opposite transfers in two processes
     * cannot deadlock. */
    rc =
        pt_store_member_lock(txn, ctx->who->program_id,
                             strcmp(ctx->from_id, ctx->to_id) < 0 ? ctx->from_id : ctx->to_id, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->who->program_id,
                                  strcmp(ctx->from_id, ctx->to_id) < 0 ? ctx->to_id : ctx->from_id,
                                  err);
    }
    if (rc == PT_OK) {
        rc = load_member_program(txn, ctx->who->program_id, ctx->from_id, ctx->arena, &from,
                                 &program, err);
    }
    if (rc == PT_OK) {
        rc = load_member_program(txn, ctx->who->program_id, ctx->to_id, ctx->arena, &to, NULL, err);
    }
    if (rc == PT_OK) {
        rc = require_active(&from, err);
    }
    if (rc == PT_OK) {
        rc = require_active(&to, err);
    }
    if (rc == PT_OK) {
        rc = spendable(txn, &program, from.id, ctx->now_ms, ctx->arena, &avail, err);
    }
    if (rc == PT_OK && avail < ctx->points) {
        rc = pt_err_set(err, PT_EINSUFFICIENT, "points",
                        "not enough available points: %lld available, %lld asked", (long long)avail,
                        (long long)ctx->points);
    }
    if (rc == PT_OK) {
        rc = pt_svc_hold_check(txn, &program, from.id, ctx->now_ms, PT_HOLD_POINTS, avail,
                               ctx->points, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("trf", ctx->now_ms, out->id);
    memcpy(out->from_member_id, from.id, sizeof(out->from_member_id));
    memcpy(out->to_member_id, to.id, sizeof(out->to_member_id));
    out->points = ctx->points;
    out->created_at_ms = ctx->now_ms;
    /* One entry id, one leg in each member's ledger; each leg balances against the member's
     * transfers clearing account, so that no entry spans two members. */
    entry_init(&entry, from.id, "transfer", out->id, NULL, ctx->who->key_id, ctx->now_ms);
    rc = take_from_lots(txn, program.id, from.id, ctx->points, ctx->now_ms, ctx->arena, NULL, &rows,
                        &takes, &take_count, err);
    if (rc == PT_OK) {
        rc = transfer_credit(txn, ctx, program.id, entry.id, rows, takes, take_count, &repaid, err);
    }
    posting_init(&postings[0], from.id, from.id, -ctx->points);
    posting_init(&postings[1], PT_ACCOUNT_TRANSFERS, NULL, ctx->points);
    if (rc == PT_OK) {
        rc = post(txn, program.id, &entry, postings, 2, err);
    }
    (void)snprintf(entry.member_id, sizeof(entry.member_id), "%s", to.id);
    posting_init(&postings[0], to.id, to.id, ctx->points);
    postings[0].owed_delta = -repaid;
    posting_init(&postings[1], PT_ACCOUNT_TRANSFERS, NULL, -ctx->points);
    if (rc == PT_OK) {
        rc = post(txn, program.id, &entry, postings, 2, err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, from.id, ctx->now_ms, ctx->arena, &out->from_balance,
                             err);
    }
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, to.id, ctx->now_ms, ctx->arena, &out->to_balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.transferred", from.id,
                          ctx->svc->enc.transfer, out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, out, out->id, ctx->now_ms, ctx->arena,
                                err);
    }
    return rc;
}

enum pt_rc pt_service_transfer(struct pt_service *svc, const struct pt_principal *who,
                               const char *from_id, const char *to_id, int64_t points,
                               struct pt_idem *idem, struct pt_arena *arena,
                               struct pt_transfer_result *out, struct pt_err *err)
{
    struct transfer_ctx ctx = {
        svc, who, from_id, to_id, points, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    pt_assert(idem != NULL);
    memset(out, 0, sizeof(*out));
    if (points <= 0 || points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    if (strcmp(from_id, to_id) == 0) {
        return pt_err_set(err, PT_EINVAL, "to_member_id",
                          "to_member_id must differ from from_member_id");
    }
    return pt_store_write(svc->store, transfer_txn, &ctx, err);
}

/* ---- Expiry ---- */

struct expire_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    struct pt_expiry_result *out;
    int64_t now_ms;
    unsigned lots_done; /* OUT of one round: lots expired. */
};

/* Expires one member's due lots (rows[first..end)) with one entry. */
static enum pt_rc expire_member(struct pt_store_txn *txn, struct expire_ctx *ctx,
                                const struct pt_lot_row *rows, unsigned first, unsigned end,
                                struct pt_err *err)
{
    struct pt_expiry_event ev;
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t points = 0;
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = first; rc == PT_OK && i < end; i++) {
        points += rows[i].lot.points_remaining;
        rc = pt_store_lot_move(txn, ctx->program_id, rows[i].member_id, rows[i].id,
                               -rows[i].lot.points_remaining, err);
    }
    if (rc != PT_OK || points == 0) {
        return rc;
    }
    entry_init(&entry, rows[first].member_id, "expire", NULL, NULL, NULL, ctx->now_ms);
    posting_init(&postings[0], rows[first].member_id, rows[first].member_id, -points);
    postings[0].expired_delta = points;
    posting_init(&postings[1], PT_ACCOUNT_EXPIRED, NULL, points);
    rc = post(txn, ctx->program_id, &entry, postings, 2, err);
    memset(&ev, 0, sizeof(ev));
    memcpy(ev.entry_id, entry.id, sizeof(ev.entry_id));
    memcpy(ev.member_id, rows[first].member_id, sizeof(ev.member_id));
    ev.points = points;
    ev.created_at_ms = ctx->now_ms;
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, ctx->program_id, "points.expired", ev.member_id,
                          ctx->svc->enc.expiry, &ev, ctx->now_ms, ctx->arena, NULL, err);
    }
    ctx->out->points_expired += points;
    ctx->out->members++;
    return rc;
}

static enum pt_rc expire_round_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct expire_ctx *ctx = arg;
    struct pt_lot_row *rows = NULL;
    unsigned count = 0;
    unsigned first = 0;
    unsigned i;
    enum pt_rc rc = pt_store_lots_due(txn, ctx->program_id, ctx->now_ms, PT_EXPIRE_BATCH_LOTS,
                                      ctx->arena, &rows, &count, err);
    ctx->lots_done = 0;
    for (i = 1; rc == PT_OK && i <= count; i++) {
        if (i == count || strcmp(rows[i].member_id, rows[first].member_id) != 0) {
            rc = expire_member(txn, ctx, rows, first, i, err);
            first = i;
        }
    }
    if (rc == PT_OK) {
        ctx->lots_done = count;
        ctx->out->lots_expired += count;
    }
    return rc;
}

static enum pt_rc expire_program(struct pt_service *svc, const char *program_id, int64_t now_ms,
                                 struct pt_expiry_result *out, struct pt_err *err)
{
    unsigned round;
    enum pt_rc rc = PT_OK;
    for (round = 0; rc == PT_OK && round < PT_EXPIRE_ROUNDS_MAX; round++) {
        struct pt_arena arena;
        struct expire_ctx ctx = {svc, program_id, &arena, out, now_ms, 0};
        pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
        rc = pt_store_write(svc->store, expire_round_txn, &ctx, err);
        pt_arena_fini(&arena);
        if (ctx.lots_done < PT_EXPIRE_BATCH_LOTS) {
            break;
        }
    }
    return rc;
}

enum pt_rc pt_service_expire(struct pt_service *svc, const char *program_id,
                             struct pt_expiry_result *out, struct pt_err *err)
{
    int64_t now_ms = pt_svc_now_ms(svc, program_id);
    struct pt_store_txn *txn = NULL;
    struct pt_arena arena;
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    if (program_id != NULL) {
        return expire_program(svc, program_id, now_ms, out, err);
    }
    pt_arena_init(&arena, (size_t)PT_PROGRAMS_MAX * PT_ID_BUF_BYTES + 4096);
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_program_ids(txn, &arena, PT_PROGRAMS_MAX, &ids, &count, err);
        pt_store_read_end(txn);
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        rc = expire_program(svc, ids[i], now_ms, out, err);
    }
    pt_arena_fini(&arena);
    return rc;
}

/* ---- Reads ---- */

enum pt_rc pt_service_balance(struct pt_service *svc, const struct pt_principal *who,
                              const char *member_id, struct pt_arena *arena, struct pt_balance *out,
                              struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    struct pt_program program;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = load_member_program(txn, who->program_id, member_id, arena, &member, &program, err);
    if (rc == PT_OK) {
        rc = balance_compute(txn, &program, member.id, pt_svc_now_ms(svc, who->program_id), arena,
                             out, err);
    }
    pt_store_read_end(txn);
    return rc;
}

enum pt_rc pt_service_ledger(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t before_seq, unsigned limit,
                             struct pt_arena *arena, struct pt_ledger_line **out, unsigned *count,
                             struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = load_member_program(txn, who->program_id, member_id, arena, &member, NULL, err);
    if (rc == PT_OK) {
        rc = pt_store_ledger_list(txn, who->program_id, member.id, before_seq, limit, arena, out,
                                  count, err);
    }
    pt_store_read_end(txn);
    return rc;
}

enum pt_rc pt_service_events(struct pt_service *svc, const struct pt_principal *who,
                             const char *after_id, unsigned limit, struct pt_arena *arena,
                             struct pt_event **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_event_position after;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (after_id != NULL) {
        rc = pt_store_event_position(txn, who->program_id, after_id, &after, err);
        if (rc == PT_ENOTFOUND) {
            rc = pt_err_set(err, PT_EINVAL, "after", "after must be the id of an event");
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_event_list(txn, who->program_id, after_id != NULL ? &after : NULL, limit,
                                 arena, out, count, err);
    }
    pt_store_read_end(txn);
    return rc;
}

enum pt_rc pt_service_backup(struct pt_service *svc, const char *dest, struct pt_err *err)
{
    return pt_store_backup(svc->store, dest, err);
}

struct copy_ctx {
    struct pt_store_txn *src;
    int64_t *rows;
};

static enum pt_rc copy_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct copy_ctx *ctx = arg;
    return pt_store_copy_into(ctx->src, txn, ctx->rows, err);
}

enum pt_rc pt_service_migrate_store(const char *from, const char *to, int64_t *rows,
                                    struct pt_err *err)
{
    struct pt_service *src = NULL;
    struct pt_service *dst = NULL;
    struct copy_ctx ctx = {NULL, rows};
    enum pt_rc rc = pt_service_open(from, 1, PT_STORE_OPEN_EXISTING, &src, err);
    *rows = 0;
    if (rc == PT_OK) {
        rc = pt_service_open(to, 1, PT_STORE_OPEN_CREATE, &dst, err);
    }
    if (rc == PT_OK) {
        /* One snapshot of the source; the copy is one write of the target, so the target holds
         * all of it or nothing. The queue's shedding does not apply: nothing else writes. */
        pt_service_set_max_write_wait(dst, 0);
        rc = pt_store_read_begin(src->store, &ctx.src, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_write(dst->store, copy_txn, &ctx, err);
        pt_store_read_end(ctx.src);
    }
    pt_service_close(dst);
    pt_service_close(src);
    return rc;
}

enum pt_rc pt_service_audit(struct pt_service *svc, char *problem, size_t problem_bytes,
                            struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_audit(txn, problem, problem_bytes, err);
    pt_store_read_end(txn);
    return rc;
}

/* ---- Program settings ---- */

enum pt_rc pt_service_program_get(struct pt_service *svc, const struct pt_principal *who,
                                  struct pt_arena *arena, struct pt_program *out,
                                  struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_get(txn, who->program_id, arena, out, err);
    pt_store_read_end(txn);
    return rc;
}

/* Referral rewards hold no negative values, and none past what one posting may move (limits.h,
 * the bounded ledger). */
static enum pt_rc referrals_validate(const struct pt_referral_policy *r, struct pt_err *err)
{
    if (!r->enabled) {
        return PT_OK;
    }
    if (r->within_days < 1 || r->min_amount < 0 || r->max_per_month < 0 || r->referrer_points < 0 ||
        r->referee_points < 0 || r->referrer_wallet < 0 || r->referee_wallet < 0) {
        return pt_err_set(err, PT_EINVAL, "referrals", "referrals hold no negative values");
    }
    if (r->referrer_points > PT_POINTS_MAX || r->referee_points > PT_POINTS_MAX ||
        r->referrer_wallet > PT_MEMBER_WALLET_MINOR_MAX ||
        r->referee_wallet > PT_MEMBER_WALLET_MINOR_MAX || r->min_amount > PT_AMOUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "referrals",
                          "referral points, wallet amounts and min_amount are at most %lld",
                          (long long)PT_POINTS_MAX);
    }
    return PT_OK;
}

static enum pt_rc program_settings_validate(const struct pt_program *p, struct pt_err *err)
{
    enum pt_rc rc = pt_validate_text("name", p->name, PT_PROGRAM_NAME_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (strlen(p->currency) != 3 || p->currency[0] < 'A' || p->currency[0] > 'Z' ||
        p->currency[1] < 'A' || p->currency[1] > 'Z' || p->currency[2] < 'A' ||
        p->currency[2] > 'Z') {
        return pt_err_set(err, PT_EINVAL, "currency",
                          "currency must be an ISO 4217 code of three upper-case letters");
    }
    if (p->earn_points < 0 || p->earn_points > PT_EARN_RATE_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "earn_rate.points", "earn_rate.points must be 0 to %d",
                          PT_EARN_RATE_POINTS_MAX);
    }
    if (p->earn_per_amount < 1 || p->earn_per_amount > PT_EARN_RATE_PER_AMOUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "earn_rate.per_amount",
                          "earn_rate.per_amount must be 1 to %d", PT_EARN_RATE_PER_AMOUNT_MAX);
    }
    if (p->adjust_staff_max < 0 || p->adjust_staff_max > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "adjust_limits.staff",
                          "adjust_limits.staff must be 0 to %lld", (long long)PT_POINTS_MAX);
    }
    if (p->adjust_admin_max < 0 || p->adjust_admin_max > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "adjust_limits.admin",
                          "adjust_limits.admin must be 0 to %lld", (long long)PT_POINTS_MAX);
    }
    if (p->pending_days < 0 || p->pending_days > PT_PENDING_DAYS_MAX) {
        return pt_err_set(err, PT_EINVAL, "pending_days", "pending_days must be 0 to %d",
                          PT_PENDING_DAYS_MAX);
    }
    if (p->expiry_months < 0 || p->expiry_months > PT_EXPIRY_MONTHS_MAX) {
        return pt_err_set(err, PT_EINVAL, "expiry.months", "expiry.months must be 1 to %d",
                          PT_EXPIRY_MONTHS_MAX);
    }
    rc = referrals_validate(&p->referrals, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (p->wallet_pending_days < 0 || p->wallet_pending_days > PT_PENDING_DAYS_MAX) {
        return pt_err_set(err, PT_EINVAL, "wallet.pending_days",
                          "wallet.pending_days must be 0 to %d", PT_PENDING_DAYS_MAX);
    }
    if (p->return_days < 0 || p->return_days > PT_RETURN_DAYS_MAX ||
        (p->hold_returnable && p->return_days == 0)) {
        return pt_err_set(err, PT_EINVAL, "return_days",
                          "return_days must be 1 to %d (0, no return window, only without "
                          "hold_returnable)",
                          PT_RETURN_DAYS_MAX);
    }
    rc = pt_tier_policy_validate(&p->tiers, err);
    if (rc == PT_OK) {
        rc = pt_ratelimit_validate(&p->rate_limits, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (p->point_cost_amount < 0 || p->point_cost_points < 1) {
        return pt_err_set(err, PT_EINVAL, "point_value",
                          "point_value is {\"amount\": >= 0, \"points\": >= 1}");
    }
    if (p->time_zone != NULL) {
        /* A zone of the system's tz database (tzdata). */
        struct pt_tz *tz = pt_malloc(sizeof(*tz));
        if (tz == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        rc = pt_tz_load(p->time_zone, tz, err);
        pt_free(tz);
    }
    return rc;
}

struct program_update_ctx {
    const struct pt_principal *who;
    pt_program_patch_fn patch;
    void *patch_ctx;
    struct pt_arena *arena;
    struct pt_program *program;
    int64_t now_ms;
};

/* Read, patched and written in one write, the row locked: a change made meanwhile by another
 * request is not lost. */
static enum pt_rc program_update_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct program_update_ctx *ctx = arg;
    enum pt_rc rc = pt_store_program_lock(txn, ctx->who->program_id, err);
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, ctx->program, err);
    }
    if (rc == PT_OK) {
        rc = ctx->patch(ctx->patch_ctx, ctx->arena, ctx->program, err);
    }
    if (rc == PT_OK) {
        rc = program_settings_validate(ctx->program, err);
    }
    if (rc == PT_OK) {
        ctx->program->updated_at_ms = ctx->now_ms;
        rc = pt_store_program_update(txn, ctx->program, err);
    }
    return rc;
}

enum pt_rc pt_service_program_update(struct pt_service *svc, const struct pt_principal *who,
                                     pt_program_patch_fn patch, void *patch_ctx,
                                     struct pt_arena *arena, struct pt_program *program,
                                     struct pt_err *err)
{
    struct program_update_ctx ctx = {who,   patch,   patch_ctx,
                                     arena, program, pt_svc_now_ms(svc, who->program_id)};
    return pt_store_write(svc->store, program_update_txn, &ctx, err);
}
