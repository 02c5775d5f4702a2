/* SPDX-License-Identifier: MIT */
/*
 * Status tiers: the program's levels, each member's standing, the qualifying metric by member
 * and month, and the history of changes. Written against the query cursors of store_int.h;
 * every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

enum pt_rc pt_store_tiers_load(struct pt_store_txn *txn, const char *program_id,
                               struct pt_arena *arena, struct pt_tier_policy *policy,
                               struct pt_err *err)
{
    static const char sql[] =
        "SELECT tier_index, name, threshold, multiplier_num, multiplier_den, perks FROM tiers "
        "WHERE program_id = ?1 ORDER BY tier_index";
    struct pt_q q;
    policy->count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    while (pt_q_next(&q)) {
        struct pt_tier *t;
        pt_assert(policy->count < PT_TIERS_MAX);
        pt_assert(pt_q_col_int(&q, 0) == (int64_t)policy->count);
        t = &policy->tiers[policy->count++];
        t->name = pt_q_col_text(&q, 1, arena);
        t->threshold = pt_q_col_int(&q, 2);
        t->multiplier_num = pt_q_col_int(&q, 3);
        t->multiplier_den = pt_q_col_int(&q, 4);
        pt_q_col_lines(&q, 5, arena, &t->perks, &t->perk_count);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_tiers_save(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_tier_policy *policy, struct pt_err *err)
{
    static const char sql_program[] =
        "UPDATE programs SET tier_metric = ?2, tier_months = ?3, tier_retain = ?4, "
        "settings_version = ?5 WHERE id = ?1";
    static const char sql_clear[] = "DELETE FROM tiers WHERE program_id = ?1";
    static const char sql_add[] =
        "INSERT INTO tiers (program_id, tier_index, name, threshold, multiplier_num, "
        "multiplier_den, perks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql_program, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, pt_tier_metric_name(policy->metric));
    pt_q_int(&q, 3, policy->months);
    pt_q_int(&q, 4, policy->retain);
    pt_q_int(&q, 5, pt_store_settings_version_new());
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc == PT_OK) {
        (void)pt_q_open(&q, txn, sql_clear, err);
        pt_q_text(&q, 1, program_id);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    for (i = 0; rc == PT_OK && i < policy->count; i++) {
        const struct pt_tier *t = &policy->tiers[i];
        char perks[PT_TIER_PERKS_MAX * (PT_TIER_PERK_BYTES_MAX + 1)];
        (void)pt_q_open(&q, txn, sql_add, err);
        pt_q_text(&q, 1, program_id);
        pt_q_int(&q, 2, i);
        pt_q_text(&q, 3, t->name);
        pt_q_int(&q, 4, t->threshold);
        pt_q_int(&q, 5, t->multiplier_num);
        pt_q_int(&q, 6, t->multiplier_den);
        pt_q_lines(&q, 7, t->perks, t->perk_count, perks, sizeof(perks));
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc;
}

enum pt_rc pt_store_member_tier_get(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, struct pt_tier_state *out,
                                    struct pt_err *err)
{
    static const char sql[] = "SELECT tier_index, since_ms, review_month, grace FROM member_tiers "
                              "WHERE program_id = ?1 AND member_id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    if (pt_q_next(&q)) {
        out->position = (unsigned)pt_q_col_int(&q, 0);
        out->since_ms = pt_q_col_int(&q, 1);
        out->review_month = pt_q_col_int(&q, 2);
        out->grace = pt_q_col_int(&q, 3) != 0;
    } else if (q.rc == PT_OK) {
        q.rc = pt_tier_state_not_found(member_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_tier_put(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, const struct pt_tier_state *s,
                                    struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO member_tiers (program_id, member_id, tier_index, since_ms, review_month, "
        "grace) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (program_id, member_id) DO UPDATE "
        "SET tier_index = ?3, since_ms = ?4, review_month = ?5, grace = ?6";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, s->position);
    pt_q_int(&q, 4, s->since_ms);
    pt_q_int(&q, 5, s->review_month);
    pt_q_int(&q, 6, s->grace);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_tier_metric_add(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, int64_t month,
                                    const struct pt_tier_metrics *delta, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO tier_metrics (program_id, member_id, month, points, spend, purchases) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (program_id, member_id, month) DO UPDATE "
        "SET points = tier_metrics.points + ?4, spend = tier_metrics.spend + ?5, "
        "purchases = tier_metrics.purchases + ?6 "
        /* Guarded as the accounts are (limits.h PT_METRIC_MAX): no row when a sum would pass. */
        "WHERE tier_metrics.points + ?4 BETWEEN ?7 AND ?8 "
        "AND tier_metrics.spend + ?5 BETWEEN ?7 AND ?8 "
        "AND tier_metrics.purchases + ?6 BETWEEN ?7 AND ?8 RETURNING tier_metrics.purchases";
    struct pt_q q;
    bool written = false;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, month);
    pt_q_int(&q, 4, delta->points);
    pt_q_int(&q, 5, delta->spend);
    pt_q_int(&q, 6, delta->purchases);
    pt_q_int(&q, 7, -PT_METRIC_MAX);
    pt_q_int(&q, 8, PT_METRIC_MAX);
    while (pt_q_next(&q)) {
        written = true;
    }
    if (!written && q.rc == PT_OK) {
        q.rc = pt_tier_metrics_refused(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_tier_metric_sum(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, int64_t first_month, int64_t last_month,
                                    struct pt_tier_metrics *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT coalesce(sum(points), 0), coalesce(sum(spend), 0), coalesce(sum(purchases), 0) "
        "FROM tier_metrics WHERE program_id = ?1 AND member_id = ?2 AND month >= ?3 "
        "AND month <= ?4";
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, first_month);
    pt_q_int(&q, 4, last_month);
    if (pt_q_next(&q)) {
        out->points = pt_q_col_int(&q, 0);
        out->spend = pt_q_col_int(&q, 1);
        out->purchases = pt_q_col_int(&q, 2);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_tier_change_add(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, const struct pt_tier_change *c,
                                    struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO tier_changes (program_id, member_id, n, from_name, to_name, reason, "
        "metric_value, at_ms) SELECT ?1, ?2, coalesce(max(n), 0) + 1, ?3, ?4, ?5, ?6, ?7 "
        "FROM tier_changes WHERE program_id = ?1 AND member_id = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, c->from_name);
    pt_q_text(&q, 4, c->to_name);
    pt_q_text(&q, 5, c->reason);
    pt_q_int(&q, 6, c->metric_value);
    pt_q_int(&q, 7, c->at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

static void change_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_tier_change *c = row;
    c->from_name = pt_q_col_text(q, 0, arena);
    c->to_name = pt_q_col_text(q, 1, arena);
    c->reason = pt_q_col_text(q, 2, arena);
    c->metric_value = pt_q_col_int(q, 3);
    c->at_ms = pt_q_col_int(q, 4);
}

enum pt_rc pt_store_tier_changes(struct pt_store_txn *txn, const char *program_id,
                                 const char *member_id, unsigned limit, struct pt_arena *arena,
                                 struct pt_tier_change **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT from_name, to_name, reason, metric_value, at_ms FROM tier_changes "
        "WHERE program_id = ?1 AND member_id = ?2 ORDER BY n DESC LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), change_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_tier_reviews_due(struct pt_store_txn *txn, const char *program_id,
                                     int64_t month, unsigned limit, struct pt_arena *arena,
                                     char (**ids)[PT_ID_BUF_BYTES], unsigned *count,
                                     struct pt_err *err)
{
    static const char sql[] = "SELECT member_id FROM member_tiers WHERE program_id = ?1 "
                              "AND tier_index > 0 AND review_month <= ?2 "
                              "ORDER BY review_month, member_id LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, month);
    pt_q_int(&q, 3, limit);
    *ids = pt_q_rows(&q, limit, sizeof(**ids), pt_q_row_id, arena, count);
    return pt_q_close(&q);
}
