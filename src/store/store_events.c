/* SPDX-License-Identifier: MIT */
/*
 * The event log: events appended in the write that caused them and listed in commit order
 * (by the driver's transaction id, then sequence), never past a transaction still running.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

enum pt_rc pt_store_event_append(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_event *event, struct pt_err *err)
{
    /* pt_txid(): the driver's id of this transaction (see pt_store_event_list). */
    static const char sql[] = "INSERT INTO events (program_id, id, type, member_id, "
                              "created_at_ms, payload, txid, ref_id) VALUES (?1, ?2, ?3, ?4, ?5, "
                              "?6, pt_txid(), ?7)";
    struct pt_q q;
    pt_assert(event->payload_json != NULL);
    pt_assert(event->type != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, event->id);
    pt_q_text(&q, 3, event->type);
    pt_q_text(&q, 4, event->member_id);
    pt_q_int(&q, 5, event->created_at_ms);
    pt_q_text(&q, 6, event->payload_json);
    pt_q_text(&q, 7, event->ref_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_event_position(struct pt_store_txn *txn, const char *program_id,
                                   const char *event_id, struct pt_event_position *out,
                                   struct pt_err *err)
{
    static const char sql[] = "SELECT txid, seq FROM events WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, event_id);
    if (pt_q_next(&q)) {
        out->txid = pt_q_col_int(&q, 0);
        out->seq = pt_q_col_int(&q, 1);
    } else if (q.rc == PT_OK) {
        q.rc = pt_event_not_found(event_id, err);
    }
    return pt_q_close(&q);
}

static void event_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_event *e = row;
    pt_q_col_copy(q, 0, e->id, sizeof(e->id));
    e->type = pt_q_col_text(q, 1, arena);
    e->member_id = pt_q_col_text(q, 2, arena);
    e->created_at_ms = pt_q_col_int(q, 3);
    e->payload_json = pt_q_col_text(q, 4, arena);
    e->seq = pt_q_col_int(q, 5);
}

enum pt_rc pt_store_event_list(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_event_position *after, unsigned limit,
                               struct pt_arena *arena, struct pt_event **out, unsigned *count,
                               struct pt_err *err)
{
    /* pt_txid_horizon(): the oldest transaction still running (the driver's). */
    static const char sql[] = "SELECT id, type, member_id, created_at_ms, payload, seq "
                              "FROM events WHERE program_id = ?1 "
                              "AND (txid > ?2 OR (txid = ?2 AND seq > ?3)) "
                              "AND txid < pt_txid_horizon() ORDER BY txid, seq LIMIT ?4";
    const struct pt_event_position start = {-1, 0};
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    if (after == NULL) {
        after = &start;
    }
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, after->txid);
    pt_q_int(&q, 3, after->seq);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), event_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_event_of(struct pt_store_txn *txn, const char *program_id, const char *type,
                             const char *ref_id, struct pt_arena *arena, const char **payload,
                             struct pt_err *err)
{
    /* On the index events_ref (program_id, ref_id), which holds only the events that name
     * their object. */
    static const char sql[] = "SELECT payload FROM events WHERE program_id = ?1 AND ref_id = ?2 "
                              "AND type = ?3";
    struct pt_q q;
    pt_assert(type != NULL);
    pt_assert(ref_id != NULL && ref_id[0] != '\0');
    *payload = NULL;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, ref_id);
    pt_q_text(&q, 3, type);
    if (pt_q_next(&q)) {
        *payload = pt_q_col_text(&q, 0, arena);
    }
    return pt_q_close(&q);
}
