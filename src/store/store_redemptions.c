/* SPDX-License-Identifier: MIT */
/*
 * Redemptions of points: the redemption, the lots it took its points from, and its
 * cancellation, which the service reverses with an entry of its own.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

enum pt_rc pt_store_redemption_insert(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_redemption *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO redemptions (program_id, id, member_id, points, reason, status, entry_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'completed', ?6, ?7)";
    struct pt_q q;
    pt_assert(r->points > 0);
    pt_assert(!r->cancelled);
    pt_debug_assert(pt_store_txn_is_write(txn) && r->id[0] != '\0' && r->entry_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->member_id);
    pt_q_int(&q, 4, r->points);
    pt_q_text(&q, 5, r->reason);
    pt_q_text(&q, 6, r->entry_id);
    pt_q_int(&q, 7, r->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *redemption_id, struct pt_arena *arena,
                                   struct pt_redemption *out, struct pt_err *err)
{
#define REDEMPTION_SELECT                                                                          \
    "SELECT id, member_id, points, reason, status, entry_id, cancel_entry_id, created_at_ms, "     \
    "cancelled_at_ms, " PT_SQL_CANCEL_REASON("r") " FROM redemptions r "                           \
                                                  "WHERE program_id = ?1 AND id = ?2"
    static const char sql[] = REDEMPTION_SELECT;
    /* In a write, locked: a cancel in two processes at once must restore the points once. */
    static const char sql_lock[] = REDEMPTION_SELECT " FOR UPDATE";
#undef REDEMPTION_SELECT
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    if (pt_q_next(&q)) {
        char status[16];
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        pt_q_col_copy(&q, 1, out->member_id, sizeof(out->member_id));
        out->points = pt_q_col_int(&q, 2);
        out->reason = pt_q_col_text(&q, 3, arena);
        pt_q_col_copy(&q, 4, status, sizeof(status));
        out->cancelled = strcmp(status, "cancelled") == 0;
        pt_q_col_copy(&q, 5, out->entry_id, sizeof(out->entry_id));
        pt_q_col_copy(&q, 6, out->cancel_entry_id, sizeof(out->cancel_entry_id));
        out->created_at_ms = pt_q_col_int(&q, 7);
        out->cancelled_at_ms = pt_q_col_int(&q, 8);
        out->cancel_reason = pt_q_col_text(&q, 9, arena);
    } else if (q.rc == PT_OK) {
        q.rc = pt_redemption_not_found(redemption_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_cancel(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_redemption *r, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE redemptions SET status = 'cancelled', cancel_entry_id = ?3, cancelled_at_ms = ?4 "
        "WHERE program_id = ?1 AND member_id = ?5 AND id = ?2 AND status = 'completed'";
    struct pt_q q;
    pt_assert(r->cancelled);
    pt_debug_assert(pt_store_txn_is_write(txn) && r->cancel_entry_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->cancel_entry_id);
    pt_q_int(&q, 4, r->cancelled_at_ms);
    pt_q_text(&q, 5, r->member_id);
    /* The service found it open in this write, under the member's lock. */
    if (pt_q_exec(&q) == PT_OK && PT_NEVER(pt_q_changes(&q) != 1)) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "redemption %s was not open", r->id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_lot_add(struct pt_store_txn *txn, const char *program_id,
                                       const char *redemption_id, const char *member_id,
                                       const char *lot_id, int64_t points, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO redemption_lots (program_id, redemption_id, member_id, lot_id, points) "
        "VALUES (?1, ?2, ?3, ?4, ?5)";
    struct pt_q q;
    pt_assert(points > 0);
    pt_debug_assert(pt_store_txn_is_write(txn) && lot_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    pt_q_text(&q, 3, member_id);
    pt_q_text(&q, 4, lot_id);
    pt_q_int(&q, 5, points);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_lots(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, const char *redemption_id,
                                    struct pt_arena *arena, struct pt_lot_share **out,
                                    unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT r.lot_id, r.points, r.restored FROM redemption_lots r JOIN lots l "
        "ON l.program_id = r.program_id AND l.member_id = r.member_id AND l.id = r.lot_id "
        "WHERE r.program_id = ?1 AND r.member_id = ?3 AND r.redemption_id = ?2 "
        "ORDER BY l.expires_at_ms, l.earned_at_ms, l.id"; /* The order they were taken in. */
    struct pt_lot_share *rows = NULL;
    size_t cap = 0;
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    pt_q_text(&q, 3, member_id);
    while (pt_q_next(&q) && (rows = pt_q_grow(&q, arena, rows, *count, &cap, sizeof(*rows)))) {
        pt_q_col_copy(&q, 0, rows[*count].lot_id, sizeof(rows[*count].lot_id));
        rows[*count].points = pt_q_col_int(&q, 1);
        rows[*count].restored = pt_q_col_int(&q, 2);
        (*count)++;
    }
    *out = rows;
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_lot_restored(struct pt_store_txn *txn, const char *program_id,
                                            const char *member_id, const char *redemption_id,
                                            const char *lot_id, int64_t points, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE redemption_lots SET restored = restored + ?5 WHERE program_id = ?1 AND "
        "member_id = ?2 AND redemption_id = ?3 AND lot_id = ?4 AND restored + ?5 <= points";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn) && points > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, redemption_id);
    pt_q_text(&q, 4, lot_id);
    pt_q_int(&q, 5, points);
    (void)pt_q_exec(&q);
    if (q.rc == PT_OK && pt_q_changes(&q) != 1) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "a take from lot %s is not there to put back",
                          lot_id);
    }
    return pt_q_close(&q);
}
