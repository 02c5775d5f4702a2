/* SPDX-License-Identifier: MIT */
/*
 * Idempotency records: the answer a write gave under an Idempotency-Key, kept for
 * PT_IDEMPOTENCY_KEEP_S so that a retry with the same key and request replays it. A key is unique
 * per program; putting a key again (an expired one reused) replaces its record.
 */
#include "store/store_int.h"

#include "base/assert.h"

enum pt_rc pt_store_idem_get(struct pt_store_txn *txn, const char *program_id, const char *key,
                             int64_t now_ms, struct pt_arena *arena, struct pt_idem_record *out,
                             struct pt_err *err)
{
    static const char sql[] = "SELECT request_hash, status, body, created_at_ms, ref_id "
                              "FROM idempotency_keys WHERE program_id = ?1 AND key = ?2 "
                              "AND created_at_ms > ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, key);
    pt_q_int(&q, 3, now_ms - (int64_t)PT_IDEMPOTENCY_KEEP_S * 1000);
    if (pt_q_next(&q)) {
        size_t hash_bytes = pt_q_col_blob(&q, 0, out->request_hash, sizeof(out->request_hash));
        pt_assert(hash_bytes == sizeof(out->request_hash));
        out->status = (int)pt_q_col_int(&q, 1);
        out->body = pt_q_col_text(&q, 2, arena);
        out->created_at_ms = pt_q_col_int(&q, 3);
        out->ref_id = pt_q_col_text(&q, 4, arena);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such idempotency key");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_idem_put(struct pt_store_txn *txn, const char *program_id, const char *key,
                             const struct pt_idem_record *rec, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO idempotency_keys (program_id, key, request_hash, status, body, "
        "created_at_ms, ref_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (program_id, key) DO UPDATE SET request_hash = excluded.request_hash, "
        "status = excluded.status, body = excluded.body, created_at_ms = excluded.created_at_ms, "
        "ref_id = excluded.ref_id";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(rec->body != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, key);
    pt_q_blob(&q, 3, rec->request_hash, sizeof(rec->request_hash));
    pt_q_int(&q, 4, rec->status);
    pt_q_text(&q, 5, rec->body);
    pt_q_int(&q, 6, rec->created_at_ms);
    pt_q_text(&q, 7, rec->ref_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}
