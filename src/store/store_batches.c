/* SPDX-License-Identifier: MIT */
/*
 * Promotion codes in bulk: coupon batches, their codes and the codes' uses (docs/rewards.md).
 * Written against the query cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

const char *const pt_batch_status_names[3] = {"generating", "ready", "failed"};

#define BATCH_COLUMNS                                                                              \
    "id, name, reward_id, type, value, sku, prefix, count, generated, uses_per_code, "             \
    "uses_per_member, valid_from_ms, valid_to_ms, status, error, created_at_ms, updated_at_ms"

static unsigned name_index(const char *const *names, unsigned n, const char *s)
{
    unsigned i;
    for (i = 0; i < n && strcmp(names[i], s) != 0; i++) {
    }
    pt_assert(i < n); /* The CHECK constraints keep the names known. */
    return i;
}

static void batch_from_row(struct pt_q *q, struct pt_arena *arena, struct pt_coupon_batch *b)
{
    char text[24];
    memset(b, 0, sizeof(*b));
    pt_q_col_copy(q, 0, b->id, sizeof(b->id));
    b->name = pt_q_col_text(q, 1, arena);
    pt_q_col_copy(q, 2, b->reward_id, sizeof(b->reward_id));
    b->type = PT_REWARD_DISCOUNT_AMOUNT;
    if (!pt_q_col_is_null(q, 3)) {
        pt_q_col_copy(q, 3, text, sizeof(text));
        b->type = (enum pt_reward_type)name_index(pt_reward_type_names, PT_REWARD_TYPES, text);
    }
    b->value = pt_q_col_int(q, 4);
    b->sku = pt_q_col_text(q, 5, arena);
    pt_q_col_copy(q, 6, b->prefix, sizeof(b->prefix));
    b->count = pt_q_col_int(q, 7);
    b->generated = pt_q_col_int(q, 8);
    b->uses_per_code = pt_q_col_int(q, 9);
    b->uses_per_member = pt_q_col_int(q, 10);
    b->valid_from_ms = pt_q_col_int(q, 11);
    b->valid_to_ms = pt_q_col_int(q, 12);
    pt_q_col_copy(q, 13, text, sizeof(text));
    b->status = (enum pt_batch_status)name_index(pt_batch_status_names, 3, text);
    b->error = pt_q_col_text(q, 14, arena);
    b->created_at_ms = pt_q_col_int(q, 15);
    b->updated_at_ms = pt_q_col_int(q, 16);
}

enum pt_rc pt_store_coupon_batch_get(struct pt_store_txn *txn, const char *program_id,
                                     const char *batch_id, struct pt_arena *arena,
                                     struct pt_coupon_batch *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " BATCH_COLUMNS " FROM coupon_batches WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    if (pt_q_next(&q)) {
        batch_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such coupon batch");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_promo_code_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *code, struct pt_promo_code *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT code, batch_id, n, uses FROM promo_codes WHERE program_id = ?1 AND code = ?2";
    static const char sql_lock[] = "SELECT code, batch_id, n, uses FROM promo_codes "
                                   "WHERE program_id = ?1 AND code = ?2 FOR UPDATE";
    struct pt_q q;
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    if (pt_q_next(&q)) {
        memset(out, 0, sizeof(*out));
        pt_q_col_copy(&q, 0, out->code, sizeof(out->code));
        pt_q_col_copy(&q, 1, out->batch_id, sizeof(out->batch_id));
        out->n = pt_q_col_int(&q, 2);
        out->uses = pt_q_col_int(&q, 3);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such code");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_promo_code_use(struct pt_store_txn *txn, const char *program_id,
                                   const struct pt_promo_use *u, int64_t uses_per_code, bool *used,
                                   struct pt_err *err)
{
    static const char sql_count[] = "UPDATE promo_codes SET uses = uses + 1 "
                                    "WHERE program_id = ?1 AND code = ?2 AND uses < ?3";
    static const char sql_use[] =
        "INSERT INTO promo_code_uses (program_id, code, n, batch_id, member_id, purchase_id, "
        "location, used_at_ms) VALUES (?1, ?2, (SELECT uses FROM promo_codes WHERE program_id = ?1 "
        "AND code = ?2), ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    *used = false;
    (void)pt_q_open(&q, txn, sql_count, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, u->code);
    pt_q_int(&q, 3, uses_per_code);
    if (pt_q_exec(&q) == PT_OK) {
        *used = pt_q_changes(&q) == 1;
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK || !*used) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql_use, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, u->code);
    pt_q_text(&q, 3, u->batch_id);
    pt_q_text(&q, 4, u->member_id);
    pt_q_text(&q, 5, u->purchase_id);
    pt_q_text(&q, 6, u->location);
    pt_q_int(&q, 7, u->used_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_promo_uses_of_member(struct pt_store_txn *txn, const char *program_id,
                                         const char *batch_id, const char *member_id,
                                         int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM promo_code_uses "
                              "WHERE program_id = ?1 AND batch_id = ?2 AND member_id = ?3";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    pt_q_text(&q, 3, member_id);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}
