/* SPDX-License-Identifier: MIT */
/*
 * The ledger's own steps, shared by every use case that moves points (purchases.c, returns.c,
 * redemptions.c, adjustments.c, transfers.c, expiry.c, and the mechanics beside them): the
 * balance view, spending lots soonest-expiring first, crediting a new lot, posting one balanced
 * entry; points given and taken back outside purchases; and the reads of a member's balance and
 * ledger.
 *
 * The member account's balance always equals the sum of its open lots less what it owes; every
 * function here keeps that, and `patron audit` checks it.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "core/ledger.h"

#include <stdio.h>
#include <string.h>

/* ---- The balance ---- */

/*
 * Computes the balance view at now_ms from the account (whose balance is the points left in
 * the member's lots less what it owes) and the few lots that cannot be spent now, so that the
 * cost does not grow with the member's history.
 */
enum pt_rc pt_svc_balance(struct pt_store_txn *txn, const struct pt_program *program,
                          const char *member_id, int64_t now_ms, struct pt_arena *arena,
                          struct pt_balance *out, struct pt_err *err)
{
    struct pt_account acct;
    int64_t unavailable = 0;
    int64_t in_lots;
    enum pt_rc rc;
    (void)arena;
    memset(out, 0, sizeof(*out));
    (void)snprintf(out->member_id, sizeof(out->member_id), "%s", member_id);
    rc = pt_store_balance_parts(txn, program->id, member_id, now_ms, &acct, &out->pending,
                                &unavailable, out->expiring, PT_EXPIRING_MAX, &out->expiring_count,
                                err);
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
enum pt_rc pt_svc_spendable(struct pt_store_txn *txn, const struct pt_program *program,
                            const char *member_id, int64_t now_ms, struct pt_arena *arena,
                            int64_t *out, struct pt_err *err)
{
    struct pt_balance b;
    enum pt_rc rc = pt_svc_balance(txn, program, member_id, now_ms, arena, &b, err);
    if (rc == PT_OK) {
        *out = b.available;
        if (program->allow_negative_balance && *out < 0) {
            *out = 0;
        }
    }
    return rc;
}

/* ---- Lots and entries ---- */

/*
 * Takes `points` from the member's available lots (soonest-expiring first), recording each take
 * (lot rows and takes into the arena) when taken_lots is given and in redemption_lots when
 * redemption_id is. Lots are read a page at a time in spend order until enough are found.
 * PT_EINSUFFICIENT when short (nothing moved).
 */
enum pt_rc pt_svc_take_from_lots(struct pt_store_txn *txn, const char *program_id,
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
        return pt_arena_err(arena, err); /* Filled below. */
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
enum pt_rc pt_svc_post(struct pt_store_txn *txn, const char *program_id,
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

void pt_svc_entry_init(struct pt_entry *e, const char *member_id, const char *type,
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

/*
 * Credits `points` to the member as a new lot, repaying what the member owes first.
 * The caller posts the entry with the member posting's owed_delta set from *repaid.
 */
enum pt_rc pt_svc_credit_lot(struct pt_store_txn *txn, const char *program_id,
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

/* ---- Points given and taken back outside purchases: rules, stamp cards, referrals ---- */

/* Credits points (> 0) to the member as one entry of entry_type referencing ref_id: a lot
 * available at once from at_ms (repaying what the member owes first), member +points and the
 * program's `account` -points: program:issued for points earned, program:redeemed for spent
 * points given back (which lowers what the member has redeemed rather than raising what it
 * earned). OUT: entry_id (PT_ID_BUF_BYTES). */
static enum pt_rc credit_points(struct pt_store_txn *txn, const struct pt_program *program,
                                const char *member_id, const char *entry_type, const char *ref_id,
                                int64_t points, int64_t at_ms, int64_t now_ms, const char *key_id,
                                const char *account, char *entry_id, struct pt_err *err)
{
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    /* No return window: these points are available at once; they expire as any points do. */
    struct pt_lot times = {0, at_ms, at_ms, pt_ledger_lot_expiry(program, at_ms)};
    int64_t repaid = 0;
    enum pt_rc rc = pt_store_account_get(txn, program->id, member_id, &acct, err);
    pt_assert(points > 0);
    if (rc == PT_OK) {
        rc = pt_ledger_balance_room(&acct, points, "points", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, member_id, entry_type, ref_id, NULL, key_id, now_ms);
    memcpy(entry_id, entry.id, PT_ID_BUF_BYTES);
    rc = pt_svc_credit_lot(txn, program->id, member_id, entry.id, ref_id, points, acct.owed, &times,
                           NULL, now_ms, &repaid, err);
    pt_posting_init(&postings[0], member_id, member_id, points);
    if (strcmp(account, PT_ACCOUNT_ISSUED) == 0) {
        postings[0].earned_delta = points;
    } else {
        postings[0].redeemed_delta = -points;
    }
    postings[0].owed_delta = -repaid;
    pt_posting_init(&postings[1], account, NULL, -points);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    }
    return rc;
}

enum pt_rc pt_svc_award_points(struct pt_store_txn *txn, const struct pt_program *program,
                               const char *member_id, const char *entry_type, const char *ref_id,
                               int64_t points, int64_t at_ms, int64_t now_ms, const char *key_id,
                               char *entry_id, struct pt_err *err)
{
    return credit_points(txn, program, member_id, entry_type, ref_id, points, at_ms, now_ms, key_id,
                         PT_ACCOUNT_ISSUED, entry_id, err);
}

enum pt_rc pt_svc_refund_points(struct pt_store_txn *txn, const struct pt_program *program,
                                const char *member_id, const char *entry_type, const char *ref_id,
                                int64_t points, int64_t now_ms, const char *key_id, char *entry_id,
                                struct pt_err *err)
{
    return credit_points(txn, program, member_id, entry_type, ref_id, points, now_ms, now_ms,
                         key_id, PT_ACCOUNT_REDEEMED, entry_id, err);
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
    enum pt_rc rc = pt_svc_spendable(txn, program, member_id, now_ms, arena, &avail, err);
    pt_assert(points > 0);
    if (rc != PT_OK) {
        return rc;
    }
    take = avail < points ? avail : points;
    if (take > 0) {
        rc = pt_svc_take_from_lots(txn, program->id, member_id, take, now_ms, arena, NULL, NULL,
                                   NULL, NULL, err);
    }
    *owed_now = points - take;
    pt_svc_entry_init(&entry, member_id, entry_type, ref_id, NULL, key_id, now_ms);
    pt_posting_init(&postings[0], member_id, member_id, -points);
    postings[0].earned_delta = -points;
    postings[0].owed_delta = *owed_now;
    pt_posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, points);
    return rc == PT_OK ? pt_svc_post(txn, program->id, &entry, postings, 2, err) : rc;
}

enum pt_rc pt_svc_rules_award(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const struct pt_member *member,
                              enum pt_rule_trigger trigger, const struct pt_activity *activity,
                              const char *entry_type, const char *ref_id, int64_t at_ms,
                              int64_t now_ms, const char *key_id, struct pt_arena *arena,
                              struct pt_cart_answer *out, char *entry_id, struct pt_err *err)
{
    unsigned i;
    bool coupons = false;
    enum pt_rc rc = pt_svc_rules_answer(svc, txn, program, member, trigger, activity, NULL, at_ms,
                                        arena, out, err);
    entry_id[0] = '\0';
    for (i = 0; rc == PT_OK && i < out->rule_count; i++) {
        coupons |= out->rules[i].coupon_reward[0] != '\0';
    }
    if (rc != PT_OK || (out->points == 0 && !coupons)) {
        return rc;
    }
    if (out->points > 0) {
        rc = pt_svc_award_points(txn, program, member->id, entry_type, ref_id, out->points, at_ms,
                                 now_ms, key_id, entry_id, err);
    }
    for (i = 0; rc == PT_OK && i < out->rule_count; i++) {
        rc = pt_store_rule_used(txn, program->id, member->id, out->rules[i].rule_id,
                                out->local_date, out->rules[i].points, 0, err);
    }
    if (rc == PT_OK && coupons) {
        /* The coupons its rules give for a later purchase (coupons_given.c). */
        rc = pt_svc_coupons_give_rules(svc, txn, program, member->id, out, ref_id, now_ms, arena,
                                       err);
    }
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
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, &program, err);
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, member.id, pt_svc_now_ms(svc, who->program_id), arena,
                            out, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
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
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, NULL, err);
    if (rc == PT_OK) {
        rc = pt_store_ledger_list(txn, who->program_id, member.id, before_seq, limit, arena, out,
                                  count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
