/* SPDX-License-Identifier: MIT */
/*
 * Wallets (docs/wallets.md): money in the program's currency beside points. Cashback and
 * referral credits come in as credits with their own pending period; debits spend available
 * money at checkout and remember which credits they took from, so that a cancel puts it back;
 * returns take cashback back in proportion, from the purchase's own credit first, and what is
 * already spent is owed and repaid by the next credit. The wallet account always equals its
 * credits' remaining money less what it owes (`patron audit` checks it).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Movements shown with a wallet. */
#define PT_WALLET_LINES_SHOWN 20
/* Credits one debit or return takes from (oldest first); more is refused as too fragmented. */
#define PT_WALLET_TAKE_CREDITS_MAX 1000

static enum pt_rc wallet_event(struct pt_service *svc, struct pt_store_txn *txn,
                               const char *program_id, const char *kind, const char *member_id,
                               const struct pt_entry *entry, int64_t amount, int64_t owed,
                               int64_t available_at_ms, int64_t now_ms, struct pt_arena *arena,
                               struct pt_err *err)
{
    struct pt_wallet_event ev;
    memset(&ev, 0, sizeof(ev));
    (void)snprintf(ev.member_id, sizeof(ev.member_id), "%s", member_id);
    ev.type = entry->type;
    ev.reference = entry->reference;
    ev.amount = amount;
    ev.owed = owed;
    ev.available_at_ms = available_at_ms;
    memcpy(ev.entry_id, entry->id, sizeof(ev.entry_id));
    return pt_svc_event(svc, txn, program_id, kind, member_id, svc->enc.wallet, &ev, now_ms, arena,
                        NULL, err);
}

/* A new credit of amount, from `counterpart`: program:wallet_issued for money the program
 * gives (earned), program:wallet_spent for money a return gives back (spent no more). */
static enum pt_rc credit_from(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const char *member_id,
                              const char *entry_type, const char *source_id, int64_t amount,
                              int64_t available_at_ms, int64_t now_ms, const char *key_id,
                              const char *counterpart, char *credit_id, struct pt_arena *arena,
                              struct pt_err *err)
{
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_wallet_credit c;
    int64_t repaid;
    int64_t after = 0;
    enum pt_rc rc =
        pt_store_account_get_id(txn, program->id, member_id, PT_ACCOUNT_WALLET, &acct, err);
    pt_assert(amount > 0);
    if (rc == PT_OK) {
        /* The wallet's bound (limits.h), checked before anything is written. */
        rc = pt_ledger_bounded_add(acct.balance, amount, PT_MEMBER_WALLET_MINOR_MAX, "amount",
                                   "the member's wallet", &after, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, member_id, entry_type, source_id, NULL, key_id, now_ms);
    repaid = acct.owed < amount ? acct.owed : amount;
    memset(&c, 0, sizeof(c));
    pt_svc_new_id("wcr", now_ms, c.id);
    (void)snprintf(c.member_id, sizeof(c.member_id), "%s", member_id);
    memcpy(c.entry_id, entry.id, sizeof(c.entry_id));
    c.source_id = source_id;
    c.amount = amount;
    c.remaining = amount - repaid;
    c.available_at_ms = available_at_ms;
    c.created_at_ms = now_ms;
    memcpy(credit_id, c.id, PT_ID_BUF_BYTES);
    pt_posting_init(&postings[0], PT_ACCOUNT_WALLET, member_id, amount);
    if (strcmp(counterpart, PT_ACCOUNT_WALLET_SPENT) == 0) {
        postings[0].redeemed_delta = -amount;
    } else {
        postings[0].earned_delta = amount;
    }
    postings[0].owed_delta = -repaid;
    pt_posting_init(&postings[1], counterpart, NULL, -amount);
    rc = pt_store_wallet_credit_insert(txn, program->id, &c, err);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    }
    if (rc == PT_OK) {
        rc = wallet_event(svc, txn, program->id, "wallet.credited", member_id, &entry, amount, 0,
                          available_at_ms, now_ms, arena, err);
    }
    return rc;
}

enum pt_rc pt_svc_wallet_credit(struct pt_service *svc, struct pt_store_txn *txn,
                                const struct pt_program *program, const char *member_id,
                                const char *entry_type, const char *source_id, int64_t amount,
                                int64_t available_at_ms, int64_t now_ms, const char *key_id,
                                char *credit_id, struct pt_arena *arena, struct pt_err *err)
{
    return credit_from(svc, txn, program, member_id, entry_type, source_id, amount, available_at_ms,
                       now_ms, key_id, PT_ACCOUNT_WALLET_ISSUED, credit_id, arena, err);
}

enum pt_rc pt_svc_wallet_refund(struct pt_service *svc, struct pt_store_txn *txn,
                                const struct pt_program *program, const char *member_id,
                                const char *entry_type, const char *source_id, int64_t amount,
                                int64_t now_ms, const char *key_id, struct pt_arena *arena,
                                struct pt_err *err)
{
    char credit_id[PT_ID_BUF_BYTES];
    return credit_from(svc, txn, program, member_id, entry_type, source_id, amount, now_ms, now_ms,
                       key_id, PT_ACCOUNT_WALLET_SPENT, credit_id, arena, err);
}

/* Takes `amount` from the available credits, oldest first, recording each take for debit_id
 * when given. PT_EINSUFFICIENT (nothing moved) when they hold less. */
static enum pt_rc take_available(struct pt_store_txn *txn, const char *program_id,
                                 const char *member_id, int64_t amount, int64_t owed,
                                 int64_t now_ms, const char *debit_id, struct pt_arena *arena,
                                 int64_t *taken, struct pt_err *err)
{
    struct pt_wallet_credit *credits = NULL;
    unsigned count = 0;
    unsigned i;
    int64_t sum = 0;
    enum pt_rc rc =
        pt_store_wallet_credits_spendable(txn, program_id, member_id, now_ms,
                                          PT_WALLET_TAKE_CREDITS_MAX, arena, &credits, &count, err);
    *taken = 0;
    for (i = 0; rc == PT_OK && i < count; i++) {
        sum += credits[i].remaining; /* Bounded: the account's balance. */
    }
    if (rc != PT_OK) {
        return rc;
    }
    /* What the wallet owes is not the member's to spend: a debit gets what is left after it. */
    if (debit_id != NULL && sum - owed < amount) {
        return pt_err_set(err, PT_EINSUFFICIENT, "amount",
                          "not enough money available in the wallet: %lld available, %lld asked",
                          (long long)(sum > owed ? sum - owed : 0), (long long)amount);
    }
    for (i = 0; rc == PT_OK && i < count && *taken < amount; i++) {
        struct pt_wallet_take t;
        int64_t left = amount - *taken;
        t.amount = credits[i].remaining < left ? credits[i].remaining : left;
        memcpy(t.credit_id, credits[i].id, sizeof(t.credit_id));
        rc = pt_store_wallet_credit_move(txn, program_id, member_id, t.credit_id, -t.amount, err);
        if (rc == PT_OK && debit_id != NULL) {
            rc = pt_store_wallet_debit_take_add(txn, program_id, member_id, debit_id, &t, err);
        }
        *taken += t.amount;
    }
    return rc;
}

enum pt_rc pt_svc_wallet_take_back(struct pt_service *svc, struct pt_store_txn *txn,
                                   const struct pt_program *program, const char *member_id,
                                   const char *entry_type, const char *reference,
                                   const char *own_credit_id, int64_t amount, int64_t now_ms,
                                   const char *key_id, int64_t *owed_now, struct pt_arena *arena,
                                   struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t left = amount;
    int64_t taken = 0;
    enum pt_rc rc = PT_OK;
    pt_assert(amount > 0);
    if (own_credit_id != NULL && own_credit_id[0] != '\0') {
        struct pt_wallet_credit own;
        rc = pt_store_wallet_credit_get(txn, program->id, member_id, own_credit_id, &own, err);
        if (rc == PT_OK && own.remaining > 0) {
            int64_t take = own.remaining < left ? own.remaining : left;
            rc = pt_store_wallet_credit_move(txn, program->id, member_id, own.id, -take, err);
            left -= take;
        }
    }
    if (rc == PT_OK && left > 0) {
        rc = take_available(txn, program->id, member_id, left, 0, now_ms, NULL, arena, &taken, err);
        left -= taken;
    }
    if (rc != PT_OK) {
        return rc;
    }
    *owed_now = left;
    pt_svc_entry_init(&entry, member_id, entry_type, reference, NULL, key_id, now_ms);
    pt_posting_init(&postings[0], PT_ACCOUNT_WALLET, member_id, -amount);
    postings[0].earned_delta = -amount;
    postings[0].owed_delta = left;
    pt_posting_init(&postings[1], PT_ACCOUNT_WALLET_ISSUED, NULL, amount);
    rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    if (rc == PT_OK) {
        rc = wallet_event(svc, txn, program->id, "wallet.reversed", member_id, &entry, amount, left,
                          0, now_ms, arena, err);
    }
    return rc;
}

enum pt_rc pt_svc_wallet_read(struct pt_store_txn *txn, const struct pt_program *program,
                              const char *member_id, int64_t now_ms, struct pt_arena *arena,
                              unsigned lines_max, struct pt_wallet *out, struct pt_err *err)
{
    struct pt_account acct;
    enum pt_rc rc =
        pt_store_account_get_id(txn, program->id, member_id, PT_ACCOUNT_WALLET, &acct, err);
    memset(out, 0, sizeof(*out));
    (void)snprintf(out->member_id, sizeof(out->member_id), "%s", member_id);
    memcpy(out->currency, program->currency, sizeof(out->currency));
    if (rc == PT_OK) {
        rc = pt_store_wallet_pending(txn, program->id, member_id, now_ms, &out->pending, err);
    }
    if (rc == PT_OK && lines_max > 0) {
        rc = pt_store_account_lines(txn, program->id, member_id, PT_ACCOUNT_WALLET, lines_max,
                                    arena, &out->lines, &out->line_count, err);
    }
    out->balance = acct.balance;
    out->owed = acct.owed;
    /* Credits' remaining money is balance + owed; of it, what is not pending, less what the
     * wallet owes, can be spent (as for points). */
    out->available = acct.balance - out->pending;
    if (out->available < 0) {
        out->available = 0;
    }
    out->lifetime_credited = acct.lifetime_earned;
    out->lifetime_spent = acct.lifetime_redeemed;
    return rc;
}

enum pt_rc pt_service_wallet(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, struct pt_arena *arena, struct pt_wallet *out,
                             struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    struct pt_program program;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, &program, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_wallet_read(txn, &program, member.id, pt_svc_now_ms(svc, who->program_id),
                                arena, PT_WALLET_LINES_SHOWN, out, err);
    }
    pt_store_read_end(txn);
    return rc;
}

/* ---- Debits ---- */

struct debit_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *debit_id;  /* cancel */
    const char *reason;    /* cancel: its reason; nullable */
    const struct pt_wallet_debit_request *req;
    struct pt_wallet_debit_result *out;
};

/* With hold_returnable, cashback of purchases that may still be returned stays
 * (docs/wallets.md): 422 held_for_returns when amount would take it. OUT: *available (when
 * given), the wallet's available money. */
static enum pt_rc hold_check(struct pt_store_txn *txn, const struct pt_program *program,
                             const char *member_id, int64_t amount, int64_t now_ms,
                             struct pt_arena *arena, int64_t *available, struct pt_err *err)
{
    struct pt_wallet before;
    enum pt_rc rc = pt_svc_wallet_read(txn, program, member_id, now_ms, arena, 0, &before, err);
    if (rc == PT_OK && available != NULL) {
        *available = before.available;
    }
    if (rc == PT_OK && program->hold_returnable && before.available >= amount) {
        rc = pt_svc_hold_check(txn, program, member_id, now_ms, PT_HOLD_MONEY, before.available,
                               amount, err);
    }
    return rc;
}

enum pt_rc pt_svc_wallet_spendable_check(struct pt_store_txn *txn, const struct pt_program *program,
                                         const char *member_id, int64_t amount, int64_t now_ms,
                                         struct pt_arena *arena, struct pt_err *err)
{
    int64_t available = 0;
    enum pt_rc rc = hold_check(txn, program, member_id, amount, now_ms, arena, &available, err);
    if (rc == PT_OK && available < amount) {
        (void)pt_err_set(err, PT_EINSUFFICIENT, "amount",
                         "not enough money available in the wallet: %lld available, %lld asked",
                         (long long)available, (long long)amount);
        rc = pt_err_code(err, "insufficient_funds");
    }
    return rc;
}

enum pt_rc pt_svc_wallet_spend(struct pt_service *svc, struct pt_store_txn *txn,
                               const struct pt_program *program, struct pt_wallet_debit *d,
                               const char *key_id, int64_t now_ms, struct pt_arena *arena,
                               struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_account acct;
    int64_t taken = 0;
    enum pt_rc rc;
    (void)svc;
    pt_svc_new_id("wdb", now_ms, d->id);
    d->created_at_ms = now_ms;
    rc = pt_store_account_get_id(txn, program->id, d->member_id, PT_ACCOUNT_WALLET, &acct, err);
    if (rc == PT_OK && program->hold_returnable) {
        rc = hold_check(txn, program, d->member_id, d->amount, now_ms, arena, NULL, err);
    }
    if (rc == PT_OK) {
        rc = take_available(txn, program->id, d->member_id, d->amount, acct.owed, now_ms, d->id,
                            arena, &taken, err);
    }
    if (rc == PT_EINSUFFICIENT) {
        return pt_err_code(err, "insufficient_funds");
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_assert(taken == d->amount);
    pt_svc_entry_init(&entry, d->member_id, "wallet_debit", d->id, d->reason, key_id, now_ms);
    memcpy(d->entry_id, entry.id, sizeof(d->entry_id));
    pt_posting_init(&postings[0], PT_ACCOUNT_WALLET, d->member_id, -d->amount);
    postings[0].redeemed_delta = d->amount;
    pt_posting_init(&postings[1], PT_ACCOUNT_WALLET_SPENT, NULL, d->amount);
    rc = pt_store_wallet_debit_insert(txn, program->id, d, err);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    }
    return rc;
}

enum pt_rc pt_svc_wallet_debited_event(struct pt_service *svc, struct pt_store_txn *txn,
                                       const struct pt_program *program,
                                       const struct pt_wallet_debit *d, int64_t now_ms,
                                       struct pt_arena *arena, struct pt_err *err)
{
    struct pt_entry entry;
    pt_svc_entry_init(&entry, d->member_id, "wallet_debit", d->id, d->reason, NULL, now_ms);
    memcpy(entry.id, d->entry_id, sizeof(entry.id));
    return wallet_event(svc, txn, program->id, "wallet.debited", d->member_id, &entry, d->amount, 0,
                        0, now_ms, arena, err);
}

static enum pt_rc debit_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct debit_ctx *ctx = (struct debit_ctx *)w;
    struct pt_wallet_debit *d = &ctx->out->debit;
    const struct pt_program *program = &w->program;
    enum pt_rc rc;
    memset(d, 0, sizeof(*d));
    memcpy(d->member_id, w->member.id, sizeof(d->member_id));
    d->amount = ctx->req->amount;
    d->reason = ctx->req->reason;
    d->external_id = ctx->req->external_id;
    rc = pt_svc_wallet_spend(w->svc, w->txn, program, d, w->who->key_id, w->now_ms, w->arena, err);
    if (rc == PT_OK) {
        rc = pt_svc_wallet_read(w->txn, program, d->member_id, w->now_ms, w->arena, 0,
                                &ctx->out->wallet, err);
    }
    w->result = ctx->out;
    w->ref_id = d->id;
    return rc;
}

/* The member first: of two nodes given one debit at once, the second waits there and then
 * finds the first's idempotency record. The order number is the natural idempotency key. */
static const struct pt_write_case debit_case = {
    .name = "wallet_debit",
    .natural_key = "wallet_debit:",
    .lock_member = true,
    .member = PT_WRITE_MEMBER_ACTIVE,
    .event = "wallet.debited",
    .encoder = offsetof(struct pt_encoders, wallet_debit),
    .body = debit_body,
};

enum pt_rc pt_service_wallet_debit(struct pt_service *svc, const struct pt_principal *who,
                                   const char *member_id, const struct pt_wallet_debit_request *req,
                                   struct pt_idem *idem, struct pt_arena *arena,
                                   struct pt_wallet_debit_result *out, struct pt_err *err)
{
    struct debit_ctx ctx = {.req = req, .out = out};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    ctx.w.member_id = member_id;
    memset(out, 0, sizeof(*out));
    if (req->amount <= 0 || req->amount > PT_AMOUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "amount", "amount is 1 to %lld minor units",
                          (long long)PT_AMOUNT_MAX);
    }
    if (req->reason != NULL) {
        rc = pt_validate_text("reason", req->reason, PT_REASON_BYTES_MAX, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    if (req->external_id != NULL) {
        rc = pt_validate_external_id(req->external_id, err);
        if (rc != PT_OK) {
            return rc;
        }
        ctx.w.external_id = req->external_id;
    }
    return pt_svc_write(&ctx.w, &debit_case, err);
}

static enum pt_rc cancel_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct debit_ctx *ctx = (struct debit_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_wallet_debit *d = &ctx->out->debit;
    struct pt_program program;
    struct pt_wallet_take *takes = NULL;
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_account acct;
    int64_t repaid;
    int64_t left_to_repay;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc =
        pt_store_wallet_debit_get(txn, ctx->w.who->program_id, ctx->debit_id, ctx->w.arena, d, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->w.who->program_id, d->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_open(txn, ctx->w.who->program_id, d->member_id, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->w.who->program_id, ctx->w.arena, &program, err);
    }
    if (rc == PT_OK && !d->cancelled) {
        char purchase_id[PT_ID_BUF_BYTES];
        rc = pt_store_wallet_debit_purchase(txn, program.id, d->member_id, d->id, purchase_id, err);
        if (rc == PT_OK && purchase_id[0] != '\0') {
            /* Its money comes back through the purchase's returns, once. */
            (void)pt_err_set(err, PT_ECONFLICT, NULL,
                             "this debit paid purchase %s: a return of the purchase gives the "
                             "money back",
                             purchase_id);
            rc = pt_err_code(err, "debit_paid_purchase");
        }
    }
    if (rc != PT_OK || d->cancelled) {
        /* Cancelling twice changes nothing: answer the current state. */
        return rc == PT_OK ? pt_svc_wallet_read(txn, &program, d->member_id, ctx->w.now_ms,
                                                ctx->w.arena, 0, &ctx->out->wallet, err)
                           : rc;
    }
    rc = pt_store_account_get_id(txn, program.id, d->member_id, PT_ACCOUNT_WALLET, &acct, err);
    if (rc == PT_OK) {
        rc = pt_store_wallet_debit_takes(txn, program.id, d->member_id, d->id, ctx->w.arena, &takes,
                                         &count, err);
    }
    /* The money goes back where it came from (each credit keeps its pending date), except what
     * the wallet owes meanwhile (a return after the debit), which it repays first. */
    repaid = acct.owed < d->amount ? acct.owed : d->amount;
    left_to_repay = repaid;
    for (i = 0; rc == PT_OK && i < count; i++) {
        int64_t keep = takes[i].amount < left_to_repay ? takes[i].amount : left_to_repay;
        left_to_repay -= keep;
        if (takes[i].amount - keep > 0) {
            rc = pt_store_wallet_credit_move(txn, program.id, d->member_id, takes[i].credit_id,
                                             takes[i].amount - keep, err);
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_assert(left_to_repay == 0);
    d->cancel_reason = ctx->reason;
    pt_svc_entry_init(&entry, d->member_id, "wallet_debit_cancel", d->id, ctx->reason,
                      ctx->w.who->key_id, ctx->w.now_ms);
    pt_posting_init(&postings[0], PT_ACCOUNT_WALLET, d->member_id, d->amount);
    postings[0].redeemed_delta = -d->amount;
    postings[0].owed_delta = -repaid;
    pt_posting_init(&postings[1], PT_ACCOUNT_WALLET_SPENT, NULL, -d->amount);
    d->cancelled = true;
    d->cancelled_at_ms = ctx->w.now_ms;
    memcpy(d->cancel_entry_id, entry.id, sizeof(d->cancel_entry_id));
    rc = pt_svc_post(txn, program.id, &entry, postings, 2, err);
    if (rc == PT_OK) {
        rc = pt_store_wallet_debit_cancel(txn, program.id, d, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_wallet_read(txn, &program, d->member_id, ctx->w.now_ms, ctx->w.arena, 0,
                                &ctx->out->wallet, err);
    }
    w->result = ctx->out;
    w->event_member_id = d->member_id;
    return rc;
}

/* Cancelling twice changes nothing and appends no event (the body leaves w->result NULL). */
static const struct pt_write_case debit_cancel_case = {
    .name = "wallet_debit_cancel",
    .event = "wallet.debit_cancelled",
    .encoder = offsetof(struct pt_encoders, wallet_debit),
    .body = cancel_body,
};

enum pt_rc pt_service_wallet_debit_cancel(struct pt_service *svc, const struct pt_principal *who,
                                          const char *debit_id, const char *reason,
                                          struct pt_arena *arena,
                                          struct pt_wallet_debit_result *out, struct pt_err *err)
{
    struct debit_ctx ctx = {.debit_id = debit_id, .reason = reason, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    enum pt_rc rc = pt_svc_cancel_reason_check(reason, err);
    return rc == PT_OK ? pt_svc_write(&ctx.w, &debit_cancel_case, err) : rc;
}
