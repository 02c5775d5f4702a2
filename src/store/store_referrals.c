/* SPDX-License-Identifier: MIT */
/*
 * Referrals: one row per referred member. Written against the query cursors of store_int.h;
 * every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

enum pt_rc pt_store_member_key_owner(struct pt_store_txn *txn, const char *program_id,
                                     const char *kind, const char *value, char *member_id,
                                     struct pt_err *err)
{
    static const char sql[] = "SELECT member_id FROM member_keys WHERE program_id = ?1 "
                              "AND kind = ?2 AND value = ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, kind);
    pt_q_text(&q, 3, value);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, member_id, PT_ID_BUF_BYTES);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no member holds that %s", kind);
    }
    return pt_q_close(&q);
}

#define REFERRAL_COLUMNS                                                                           \
    "member_id, referrer_id, status, enrolled_at_ms, qualified_at_ms, rewarded_at_ms, "            \
    "reversed_at_ms, purchase_id, rewarded_month, referrer_points, referrer_wallet, "              \
    "referee_points, referee_wallet, referrer_credit_id, referee_credit_id, note"

static const char *status_of(const char *s)
{
    static const char *const names[] = {"invited", "qualified", "rewarded", "reversed"};
    unsigned i;
    for (i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            return names[i];
        }
    }
    pt_assert(!"the CHECK constraint keeps the status one of the names");
    return names[0];
}

static void referral_from_row(struct pt_q *q, struct pt_arena *arena, struct pt_referral *r)
{
    char status[16];
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->member_id, sizeof(r->member_id));
    pt_q_col_copy(q, 1, r->referrer_id, sizeof(r->referrer_id));
    pt_q_col_copy(q, 2, status, sizeof(status));
    r->status = status_of(status);
    r->enrolled_at_ms = pt_q_col_int(q, 3);
    r->qualified_at_ms = pt_q_col_int(q, 4);
    r->rewarded_at_ms = pt_q_col_int(q, 5);
    r->reversed_at_ms = pt_q_col_int(q, 6);
    pt_q_col_copy(q, 7, r->purchase_id, sizeof(r->purchase_id));
    r->rewarded_month = pt_q_col_int(q, 8);
    r->referrer_points = pt_q_col_int(q, 9);
    r->referrer_wallet = pt_q_col_int(q, 10);
    r->referee_points = pt_q_col_int(q, 11);
    r->referee_wallet = pt_q_col_int(q, 12);
    pt_q_col_copy(q, 13, r->referrer_credit_id, sizeof(r->referrer_credit_id));
    pt_q_col_copy(q, 14, r->referee_credit_id, sizeof(r->referee_credit_id));
    r->note = pt_q_col_text(q, 15, arena);
}

enum pt_rc pt_store_referral_put(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_referral *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO referrals (program_id, " REFERRAL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (program_id, member_id) "
        "DO UPDATE SET status = ?4, qualified_at_ms = ?6, rewarded_at_ms = ?7, "
        "reversed_at_ms = ?8, purchase_id = ?9, rewarded_month = ?10, referrer_points = ?11, "
        "referrer_wallet = ?12, referee_points = ?13, referee_wallet = ?14, "
        "referrer_credit_id = ?15, referee_credit_id = ?16, note = ?17";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->member_id);
    pt_q_text(&q, 3, r->referrer_id);
    pt_q_text(&q, 4, r->status);
    pt_q_int(&q, 5, r->enrolled_at_ms);
    pt_q_int(&q, 6, r->qualified_at_ms);
    pt_q_int(&q, 7, r->rewarded_at_ms);
    pt_q_int(&q, 8, r->reversed_at_ms);
    pt_q_text(&q, 9, r->purchase_id[0] ? r->purchase_id : NULL);
    pt_q_int(&q, 10, r->rewarded_month);
    pt_q_int(&q, 11, r->referrer_points);
    pt_q_int(&q, 12, r->referrer_wallet);
    pt_q_int(&q, 13, r->referee_points);
    pt_q_int(&q, 14, r->referee_wallet);
    pt_q_text(&q, 15, r->referrer_credit_id[0] ? r->referrer_credit_id : NULL);
    pt_q_text(&q, 16, r->referee_credit_id[0] ? r->referee_credit_id : NULL);
    pt_q_text(&q, 17, r->note);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_referral_get(struct pt_store_txn *txn, const char *program_id,
                                 const char *member_id, struct pt_arena *arena,
                                 struct pt_referral *out, struct pt_err *err)
{
    static const char sql[] = "SELECT " REFERRAL_COLUMNS " FROM referrals WHERE program_id = ?1 "
                              "AND member_id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    if (pt_q_next(&q)) {
        referral_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "member %s was not referred", member_id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_referrals_of(struct pt_store_txn *txn, const char *program_id,
                                 const char *referrer_id, const char *cursor_id, unsigned limit,
                                 struct pt_arena *arena, struct pt_referral **out, unsigned *count,
                                 struct pt_err *err)
{
    static const char sql[] =
        "SELECT " REFERRAL_COLUMNS " FROM referrals WHERE program_id = ?1 AND referrer_id = ?2 "
        "AND (CAST(?3 AS TEXT) IS NULL OR member_id < ?3) ORDER BY member_id DESC LIMIT ?4";
    struct pt_q q;
    *count = 0;
    *out = pt_arena_alloc(arena, (limit ? limit : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_arena_err(arena, err);
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, referrer_id);
    pt_q_text(&q, 3, cursor_id);
    pt_q_int(&q, 4, limit);
    while (pt_q_next(&q)) {
        pt_assert(*count < limit);
        referral_from_row(&q, arena, &(*out)[(*count)++]);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_referrals_rewarded(struct pt_store_txn *txn, const char *program_id,
                                       const char *referrer_id, int64_t month, int64_t *count,
                                       struct pt_err *err)
{
    static const char sql[] =
        "SELECT count(*) FROM referrals WHERE program_id = ?1 AND referrer_id = ?2 "
        "AND rewarded_month = ?3 AND status = 'rewarded'";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, referrer_id);
    pt_q_int(&q, 3, month);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}
