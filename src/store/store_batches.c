/* SPDX-License-Identifier: MIT */
/*
 * Promotion codes in bulk: coupon batches, their codes and the codes' uses (docs/rewards.md).
 * Written against the query cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"
#include "base/buf.h"

#include <stdio.h>
#include <string.h>

#define BATCH_COLUMNS                                                                              \
    "id, name, reward_id, type, value, sku, prefix, count, generated, uses_per_code, "             \
    "uses_per_member, valid_from_ms, valid_to_ms, status, error, created_at_ms, updated_at_ms, "   \
    "combines"

static void batch_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_coupon_batch *b = row;
    memset(b, 0, sizeof(*b));
    pt_q_col_copy(q, 0, b->id, sizeof(b->id));
    b->name = pt_q_col_text(q, 1, arena);
    pt_q_col_copy(q, 2, b->reward_id, sizeof(b->reward_id));
    b->type = PT_REWARD_DISCOUNT_AMOUNT;
    if (!pt_q_col_is_null(q, 3)) {
        b->type = (enum pt_reward_type)pt_q_col_name(q, 3, pt_reward_type_names, PT_REWARD_TYPES);
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
    b->status =
        (enum pt_batch_status)pt_q_col_name(q, 13, pt_batch_status_names, PT_BATCH_STATUSES);
    b->error = pt_q_col_text(q, 14, arena);
    b->created_at_ms = pt_q_col_int(q, 15);
    b->updated_at_ms = pt_q_col_int(q, 16);
    b->combines = pt_q_col_int(q, 17) != 0;
}

/* The one batch sql selects (BATCH_COLUMNS, by ?1 program and ?2 id) into out. */
static enum pt_rc batch_read(struct pt_store_txn *txn, const char *sql, const char *program_id,
                             const char *batch_id, struct pt_arena *arena,
                             struct pt_coupon_batch *out, struct pt_err *err)
{
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    if (pt_q_next(&q)) {
        batch_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_coupon_batch_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_batch_get(struct pt_store_txn *txn, const char *program_id,
                                     const char *batch_id, struct pt_arena *arena,
                                     struct pt_coupon_batch *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " BATCH_COLUMNS " FROM coupon_batches WHERE program_id = ?1 AND id = ?2";
    return batch_read(txn, sql, program_id, batch_id, arena, out, err);
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
        q.rc = pt_promo_code_not_found(err);
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

enum pt_rc pt_store_coupon_batch_lock(struct pt_store_txn *txn, const char *program_id,
                                      const char *batch_id, struct pt_arena *arena,
                                      struct pt_coupon_batch *out, struct pt_err *err)
{
    /* SKIP LOCKED: another process making a chunk of it holds the row; this one leaves the
     * batch to it (PT_ENOTFOUND) rather than stall its own writer and group behind it. */
    static const char sql[] =
        "SELECT " BATCH_COLUMNS " FROM coupon_batches WHERE program_id = ?1 AND id = ?2 "
        "FOR UPDATE SKIP LOCKED";
    pt_assert(pt_store_txn_is_write(txn));
    if (!pt_store_txn_locks_rows(txn)) {
        return pt_store_coupon_batch_get(txn, program_id, batch_id, arena, out, err);
    }
    return batch_read(txn, sql, program_id, batch_id, arena, out, err);
}

enum pt_rc pt_store_coupon_batch_insert(struct pt_store_txn *txn, const char *program_id,
                                        const struct pt_coupon_batch *b, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO coupon_batches (program_id, " BATCH_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, b->id);
    pt_q_text(&q, 3, b->name);
    pt_q_text(&q, 4, b->reward_id[0] ? b->reward_id : NULL);
    pt_q_text(&q, 5, b->reward_id[0] ? NULL : pt_reward_type_names[b->type]);
    pt_q_int(&q, 6, b->value);
    pt_q_text(&q, 7, b->sku);
    pt_q_text(&q, 8, b->prefix);
    pt_q_int(&q, 9, b->count);
    pt_q_int(&q, 10, b->generated);
    pt_q_int(&q, 11, b->uses_per_code);
    pt_q_int(&q, 12, b->uses_per_member);
    pt_q_int(&q, 13, b->valid_from_ms);
    pt_q_int(&q, 14, b->valid_to_ms);
    pt_q_text(&q, 15, pt_batch_status_names[b->status]);
    pt_q_text(&q, 16, b->error);
    pt_q_int(&q, 17, b->created_at_ms);
    pt_q_int(&q, 18, b->updated_at_ms);
    pt_q_int(&q, 19, b->combines);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_batch_progress(struct pt_store_txn *txn, const char *program_id,
                                          const struct pt_coupon_batch *b, struct pt_err *err)
{
    static const char sql[] = "UPDATE coupon_batches SET generated = ?3, status = ?4, error = ?5, "
                              "updated_at_ms = ?6 WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, b->id);
    pt_q_int(&q, 3, b->generated);
    pt_q_text(&q, 4, pt_batch_status_names[b->status]);
    pt_q_text(&q, 5, b->error);
    pt_q_int(&q, 6, b->updated_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_batch_list(struct pt_store_txn *txn, const char *program_id,
                                      const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                      struct pt_coupon_batch **out, unsigned *count,
                                      struct pt_err *err)
{
    static const char sql[] = "SELECT " BATCH_COLUMNS " FROM coupon_batches WHERE program_id = ?1 "
                              "AND (CAST(?2 AS TEXT) IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), batch_from_row, arena, count);
    return pt_q_close(&q);
}

static void batch_ref_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_batch_ref *r = row;
    (void)arena;
    pt_q_col_copy(q, 0, r->program_id, sizeof(r->program_id));
    pt_q_col_copy(q, 1, r->batch_id, sizeof(r->batch_id));
}

enum pt_rc pt_store_batches_generating(struct pt_store_txn *txn, unsigned limit,
                                       struct pt_arena *arena, struct pt_batch_ref **out,
                                       unsigned *count, struct pt_err *err)
{
    /* One batch per program, so that a program's turn is one chunk whatever it queued; the
     * smallest work first, so that ten codes never wait behind a million. */
    static const char sql[] =
        "SELECT b.program_id, b.id FROM coupon_batches b WHERE b.status = 'generating' AND "
        "b.id = (SELECT c.id FROM coupon_batches c WHERE c.program_id = b.program_id AND "
        "c.status = 'generating' ORDER BY c.count - c.generated, c.created_at_ms, c.id LIMIT 1) "
        "ORDER BY b.count - b.generated, b.created_at_ms, b.id LIMIT ?1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_int(&q, 1, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), batch_ref_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_batch_codes_pending(struct pt_store_txn *txn, const char *program_id,
                                        int64_t *codes, struct pt_err *err)
{
    static const char sql[] = "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM coupon_batches "
                              "WHERE program_id = ?1 AND status = 'generating'";
    struct pt_q q;
    *codes = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        *codes = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_promo_codes_insert(struct pt_store_txn *txn, const char *program_id,
                                       const char *batch_id, int64_t first_n,
                                       char (*codes)[PT_ID_BUF_BYTES], unsigned count,
                                       int64_t *inserted, struct pt_err *err)
{
    /* One statement for the whole chunk: the codes go as one JSON array (a statement per code
     * costs a round trip each on PostgreSQL). A code taken by a coupon or another promotion
     * code of the program is skipped; the caller fills the gaps it leaves. */
    static const char sql[] =
        "INSERT INTO promo_codes (program_id, code, batch_id, n, uses) "
        "SELECT ?1, j.value, ?2, ?3 + j.key, 0 FROM json_each(?4) AS j "
        "WHERE NOT EXISTS (SELECT 1 FROM coupons c WHERE c.program_id = ?1 AND c.code = j.value) "
        "ON CONFLICT DO NOTHING";
    struct pt_buf json;
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    bool ok;
    pt_assert(pt_store_txn_is_write(txn));
    *inserted = 0;
    pt_buf_init(&json, (size_t)count * (PT_ID_BUF_BYTES + 4) + 16);
    ok = pt_buf_append(&json, "[", 1);
    for (i = 0; i < count; i++) {
        /* Codes are Crockford symbols only: nothing to escape. */
        ok = ok && pt_buf_append(&json, i ? ",\"" : "\"", i ? 2 : 1);
        ok = ok && pt_buf_append(&json, codes[i], strlen(codes[i]));
        ok = ok && pt_buf_append(&json, "\"", 1);
    }
    ok = ok && pt_buf_append(&json, "]", 2); /* With its NUL. */
    if (!ok) {
        pt_buf_fini(&json);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    pt_q_int(&q, 3, first_n);
    pt_q_text(&q, 4, json.ptr);
    if (pt_q_exec(&q) == PT_OK) {
        *inserted = pt_q_changes(&q);
    }
    rc = pt_q_close(&q);
    pt_buf_fini(&json);
    return rc;
}

enum pt_rc pt_store_promo_codes_present(struct pt_store_txn *txn, const char *program_id,
                                        const char *batch_id, int64_t first_n, unsigned count,
                                        bool *present, struct pt_err *err)
{
    static const char sql[] = "SELECT n FROM promo_codes WHERE program_id = ?1 AND batch_id = ?2 "
                              "AND n >= ?3 AND n < ?4";
    struct pt_q q;
    memset(present, 0, count * sizeof(*present));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    pt_q_int(&q, 3, first_n);
    pt_q_int(&q, 4, first_n + count);
    while (pt_q_next(&q)) {
        present[pt_q_col_int(&q, 0) - first_n] = true;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_promo_codes_page(struct pt_store_txn *txn, const char *program_id,
                                     const char *batch_id, int64_t after_n, unsigned limit,
                                     struct pt_promo_code *out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT n, code, uses FROM promo_codes WHERE program_id = ?1 "
                              "AND batch_id = ?2 AND n > ?3 ORDER BY n LIMIT ?4";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, batch_id);
    pt_q_int(&q, 3, after_n);
    pt_q_int(&q, 4, limit);
    while (pt_q_next(&q)) {
        struct pt_promo_code *c = &out[(*count)++];
        pt_assert(*count <= limit);
        memset(c, 0, sizeof(*c));
        c->n = pt_q_col_int(&q, 0);
        pt_q_col_copy(&q, 1, c->code, sizeof(c->code));
        c->uses = pt_q_col_int(&q, 2);
        (void)snprintf(c->batch_id, sizeof(c->batch_id), "%s", batch_id);
    }
    return pt_q_close(&q);
}
