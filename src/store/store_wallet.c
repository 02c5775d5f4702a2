/* SPDX-License-Identifier: MIT */
/*
 * Wallets: credits (money with its pending period), debits and what each took from which
 * credit, and the wallet account's lines. Written against the query cursors of store_int.h;
 * every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

enum pt_rc pt_store_account_get_id(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, const char *account_id,
                                   struct pt_account *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT balance, owed, lifetime_earned, lifetime_redeemed, lifetime_expired "
        "FROM accounts WHERE program_id = ?1 AND member_id = ?2 AND id = ?3";
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, account_id);
    if (pt_q_next(&q)) {
        out->balance = pt_q_col_int(&q, 0);
        out->owed = pt_q_col_int(&q, 1);
        out->lifetime_earned = pt_q_col_int(&q, 2);
        out->lifetime_redeemed = pt_q_col_int(&q, 3);
        out->lifetime_expired = pt_q_col_int(&q, 4);
    }
    return pt_q_close(&q);
}

#define CREDIT_COLUMNS                                                                             \
    "id, member_id, entry_id, source_id, amount, remaining, available_at_ms, created_at_ms"

static void credit_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_wallet_credit *c = row;
    memset(c, 0, sizeof(*c));
    pt_q_col_copy(q, 0, c->id, sizeof(c->id));
    pt_q_col_copy(q, 1, c->member_id, sizeof(c->member_id));
    pt_q_col_copy(q, 2, c->entry_id, sizeof(c->entry_id));
    c->source_id = arena != NULL ? pt_q_col_text(q, 3, arena) : NULL;
    c->amount = pt_q_col_int(q, 4);
    c->remaining = pt_q_col_int(q, 5);
    c->available_at_ms = pt_q_col_int(q, 6);
    c->created_at_ms = pt_q_col_int(q, 7);
}

enum pt_rc pt_store_wallet_credit_insert(struct pt_store_txn *txn, const char *program_id,
                                         const struct pt_wallet_credit *c, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO wallet_credits (program_id, " CREDIT_COLUMNS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(c->amount > 0 && c->remaining >= 0 && c->remaining <= c->amount);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, c->id);
    pt_q_text(&q, 3, c->member_id);
    pt_q_text(&q, 4, c->entry_id);
    pt_q_text(&q, 5, c->source_id);
    pt_q_int(&q, 6, c->amount);
    pt_q_int(&q, 7, c->remaining);
    pt_q_int(&q, 8, c->available_at_ms);
    pt_q_int(&q, 9, c->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_credit_get(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, const char *credit_id,
                                      struct pt_wallet_credit *out, struct pt_err *err)
{
    static const char sql[] = "SELECT " CREDIT_COLUMNS " FROM wallet_credits "
                              "WHERE program_id = ?1 AND member_id = ?2 AND id = ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, credit_id);
    if (pt_q_next(&q)) {
        credit_from_row(&q, NULL, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_wallet_credit_not_found(credit_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_credits_spendable(struct pt_store_txn *txn, const char *program_id,
                                             const char *member_id, int64_t now_ms, unsigned limit,
                                             struct pt_arena *arena, struct pt_wallet_credit **out,
                                             unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " CREDIT_COLUMNS " FROM wallet_credits WHERE program_id = ?1 AND member_id = ?2 "
        "AND remaining > 0 AND available_at_ms <= ?3 ORDER BY available_at_ms, id LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), credit_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_credit_move(struct pt_store_txn *txn, const char *program_id,
                                       const char *member_id, const char *credit_id, int64_t delta,
                                       struct pt_err *err)
{
    static const char sql[] =
        "UPDATE wallet_credits SET remaining = remaining + ?4 WHERE program_id = ?1 "
        "AND member_id = ?2 AND id = ?3 AND remaining + ?4 >= 0 AND remaining + ?4 <= amount";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, credit_id);
    pt_q_int(&q, 4, delta);
    /* The service read the credit in this write, under the member's lock, and moves it within
     * its bounds. */
    if (pt_q_exec(&q) == PT_OK && PT_NEVER(pt_q_changes(&q) != 1)) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "wallet credit %s cannot move by %lld",
                          credit_id, (long long)delta);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_pending(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, int64_t now_ms, int64_t *pending,
                                   struct pt_err *err)
{
    static const char sql[] =
        "SELECT coalesce(sum(remaining), 0) FROM wallet_credits WHERE program_id = ?1 "
        "AND member_id = ?2 AND remaining > 0 AND available_at_ms > ?3";
    struct pt_q q;
    *pending = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    if (pt_q_next(&q)) {
        *pending = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

#define DEBIT_COLUMNS                                                                              \
    "id, member_id, amount, reason, external_id, status, entry_id, cancel_entry_id, "              \
    "created_at_ms, cancelled_at_ms"

enum pt_rc pt_store_wallet_debit_insert(struct pt_store_txn *txn, const char *program_id,
                                        const struct pt_wallet_debit *d, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO wallet_debits (program_id, " DEBIT_COLUMNS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, NULL, ?8, NULL)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_debug_assert(d->amount > 0 && d->id[0] != '\0' && d->entry_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, d->id);
    pt_q_text(&q, 3, d->member_id);
    pt_q_int(&q, 4, d->amount);
    pt_q_text(&q, 5, d->reason);
    pt_q_text(&q, 6, d->external_id);
    pt_q_text(&q, 7, d->entry_id);
    pt_q_int(&q, 8, d->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_debit_get(struct pt_store_txn *txn, const char *program_id,
                                     const char *debit_id, struct pt_arena *arena,
                                     struct pt_wallet_debit *out, struct pt_err *err)
{
#define DEBIT_SELECT                                                                               \
    "SELECT " DEBIT_COLUMNS ", " PT_SQL_CANCEL_REASON("d") " FROM wallet_debits d "                \
                                                           "WHERE program_id = ?1 AND id = ?2"
    static const char sql[] = DEBIT_SELECT;
    static const char sql_lock[] = DEBIT_SELECT " FOR UPDATE";
#undef DEBIT_SELECT
    struct pt_q q;
    char status[16];
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, debit_id);
    if (pt_q_next(&q)) {
        memset(out, 0, sizeof(*out));
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        pt_q_col_copy(&q, 1, out->member_id, sizeof(out->member_id));
        out->amount = pt_q_col_int(&q, 2);
        out->reason = pt_q_col_text(&q, 3, arena);
        out->external_id = pt_q_col_text(&q, 4, arena);
        pt_q_col_copy(&q, 5, status, sizeof(status));
        out->cancelled = strcmp(status, "cancelled") == 0;
        pt_q_col_copy(&q, 6, out->entry_id, sizeof(out->entry_id));
        pt_q_col_copy(&q, 7, out->cancel_entry_id, sizeof(out->cancel_entry_id));
        out->created_at_ms = pt_q_col_int(&q, 8);
        out->cancelled_at_ms = pt_q_col_int(&q, 9);
        out->cancel_reason = pt_q_col_text(&q, 10, arena);
    } else if (q.rc == PT_OK) {
        q.rc = pt_wallet_debit_not_found(debit_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_debit_cancel(struct pt_store_txn *txn, const char *program_id,
                                        const struct pt_wallet_debit *d, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE wallet_debits SET status = 'cancelled', cancel_entry_id = ?4, "
        "cancelled_at_ms = ?5 WHERE program_id = ?1 AND member_id = ?2 AND id = ?3 "
        "AND status = 'active'";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_debug_assert(d->cancel_entry_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, d->member_id);
    pt_q_text(&q, 3, d->id);
    pt_q_text(&q, 4, d->cancel_entry_id);
    pt_q_int(&q, 5, d->cancelled_at_ms);
    /* The service found it active in this write, under the member's lock. */
    if (pt_q_exec(&q) == PT_OK && PT_NEVER(pt_q_changes(&q) != 1)) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "wallet debit %s is not active", d->id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_debit_take_add(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, const char *debit_id,
                                          const struct pt_wallet_take *t, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO wallet_debit_credits (program_id, member_id, debit_id, credit_id, amount) "
        "VALUES (?1, ?2, ?3, ?4, ?5)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_debug_assert(t->amount > 0 && t->credit_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, debit_id);
    pt_q_text(&q, 4, t->credit_id);
    pt_q_int(&q, 5, t->amount);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_debit_takes(struct pt_store_txn *txn, const char *program_id,
                                       const char *member_id, const char *debit_id,
                                       struct pt_arena *arena, struct pt_wallet_take **out,
                                       unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT credit_id, amount FROM wallet_debit_credits WHERE program_id = ?1 "
        "AND member_id = ?2 AND debit_id = ?3 ORDER BY credit_id";
    struct pt_wallet_take *rows = NULL;
    size_t cap = 0;
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, debit_id);
    while (pt_q_next(&q) && (rows = pt_q_grow(&q, arena, rows, *count, &cap, sizeof(*rows)))) {
        pt_q_col_copy(&q, 0, rows[*count].credit_id, PT_ID_BUF_BYTES);
        rows[*count].amount = pt_q_col_int(&q, 1);
        (*count)++;
    }
    *out = rows;
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_update_cashback(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] = "UPDATE purchases SET cashback_reversed = ?4 WHERE program_id = ?1 "
                              "AND member_id = ?2 AND id = ?3";
    struct pt_q q;
    pt_assert(p->cashback_reversed >= 0 && p->cashback_reversed <= p->cashback);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->member_id);
    pt_q_text(&q, 3, p->id);
    pt_q_int(&q, 4, p->cashback_reversed);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}
