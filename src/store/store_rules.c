/* SPDX-License-Identifier: MIT */
/*
 * Rules: the current document of each rule and every version of it, each rule's budget, each
 * member's usage of each rule, and the rules that fired on a purchase. Written against the
 * query cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define RULE_COLUMNS                                                                               \
    "r.id, r.version, r.status, r.name, r.trigger_name, r.priority, r.document, r.key_id, "        \
    "r.created_at_ms, r.updated_at_ms, coalesce(b.points_issued, 0), coalesce(b.uses, 0), "        \
    "coalesce(b.amount_issued, 0)"
#define RULE_FROM                                                                                  \
    " FROM rules r LEFT JOIN rule_budgets b ON b.program_id = r.program_id AND b.rule_id = r.id "

static void rule_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_rule_row *r = row;
    char status[16];
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    r->version = pt_q_col_int(q, 1);
    pt_q_col_copy(q, 2, status, sizeof(status));
    {
        struct pt_err ignored;
        /* The CHECK constraint keeps it one of the four names. */
        enum pt_rc rc = pt_rule_status_parse(status, &r->status, &ignored);
        pt_assert(rc == PT_OK);
    }
    r->name = pt_q_col_text(q, 3, arena);
    r->trigger = pt_q_col_text(q, 4, arena);
    r->priority = pt_q_col_int(q, 5);
    r->document = pt_q_col_text(q, 6, arena);
    r->key_id = pt_q_col_text(q, 7, arena);
    r->created_at_ms = pt_q_col_int(q, 8);
    r->updated_at_ms = pt_q_col_int(q, 9);
    r->points_issued = pt_q_col_int(q, 10);
    r->uses = pt_q_col_int(q, 11);
    r->amount_issued = pt_q_col_int(q, 12);
}

/* The version row of rule, and the program's rules_version moved on (a new random value, as
 * settings_version: store_program_cache.c says why). */
static enum pt_rc rule_version_add(struct pt_store_txn *txn, const char *program_id,
                                   const struct pt_rule_row *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO rule_versions (program_id, rule_id, version, status, document, key_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char sql_program[] = "UPDATE programs SET rules_version = ?2 WHERE id = ?1";
    struct pt_q q;
    enum pt_rc rc;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_int(&q, 3, r->version);
    pt_q_text(&q, 4, pt_rule_status_name(r->status));
    pt_q_text(&q, 5, r->document);
    pt_q_text(&q, 6, r->key_id);
    pt_q_int(&q, 7, r->updated_at_ms);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql_program, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, pt_store_settings_version_new());
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_insert(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_rule_row *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO rules (program_id, id, version, status, name, trigger_name, priority, "
        "document, key_id, created_at_ms, updated_at_ms) "
        "VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
    static const char sql_budget[] =
        "INSERT INTO rule_budgets (program_id, rule_id, points_issued) VALUES (?1, ?2, 0)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(r->version == 1);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, pt_rule_status_name(r->status));
    pt_q_text(&q, 4, r->name);
    pt_q_text(&q, 5, r->trigger);
    pt_q_int(&q, 6, r->priority);
    pt_q_text(&q, 7, r->document);
    pt_q_text(&q, 8, r->key_id);
    pt_q_int(&q, 9, r->created_at_ms);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc == PT_OK) {
        (void)pt_q_open(&q, txn, sql_budget, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, r->id);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc == PT_OK ? rule_version_add(txn, program_id, r, err) : rc;
}

enum pt_rc pt_store_rule_update(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_rule_row *r, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE rules SET version = ?3, status = ?4, name = ?5, trigger_name = ?6, "
        "priority = ?7, document = ?8, key_id = ?9, updated_at_ms = ?10 "
        "WHERE program_id = ?1 AND id = ?2 AND version = ?3 - 1";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(r->version >= 2);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_int(&q, 3, r->version);
    pt_q_text(&q, 4, pt_rule_status_name(r->status));
    pt_q_text(&q, 5, r->name);
    pt_q_text(&q, 6, r->trigger);
    pt_q_int(&q, 7, r->priority);
    pt_q_text(&q, 8, r->document);
    pt_q_text(&q, 9, r->key_id);
    pt_q_int(&q, 10, r->updated_at_ms);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_rule_changed(err);
    }
    rc = pt_q_close(&q);
    return rc == PT_OK ? rule_version_add(txn, program_id, r, err) : rc;
}

enum pt_rc pt_store_rule_get(struct pt_store_txn *txn, const char *program_id, const char *rule_id,
                             struct pt_arena *arena, struct pt_rule_row *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " RULE_COLUMNS RULE_FROM "WHERE r.program_id = ?1 AND r.id = ?2";
    /* In a write, locked: two changes of one rule in two processes apply one after the other. */
    static const char sql_lock[] =
        "SELECT " RULE_COLUMNS RULE_FROM "WHERE r.program_id = ?1 AND r.id = ?2 FOR UPDATE OF r";
    struct pt_q q;
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, rule_id);
    if (pt_q_next(&q)) {
        rule_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_rule_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_list(struct pt_store_txn *txn, const char *program_id, int status,
                              const char *cursor_id, unsigned limit, struct pt_arena *arena,
                              struct pt_rule_row **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " RULE_COLUMNS RULE_FROM "WHERE r.program_id = ?1 AND (?2 = '' OR r.status = ?2) "
        "AND (?3 = '' OR r.id < ?3) ORDER BY r.id DESC LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, status < 0 ? "" : pt_rule_status_name((enum pt_rule_status)status));
    pt_q_text(&q, 3, cursor_id ? cursor_id : "");
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), rule_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_versions(struct pt_store_txn *txn, const char *program_id,
                                  const char *rule_id, int64_t before, unsigned limit,
                                  struct pt_arena *arena, struct pt_rule_row **out, unsigned *count,
                                  struct pt_err *err)
{
    /* Name, trigger and priority are in the document; the version row keeps the document. */
    static const char sql[] =
        "SELECT v.rule_id, v.version, v.status, '', '', 0, v.document, v.key_id, "
        "v.created_at_ms, v.created_at_ms, 0, 0, 0 FROM rule_versions v "
        "WHERE v.program_id = ?1 AND v.rule_id = ?2 AND (?3 = 0 OR v.version < ?3) "
        "ORDER BY v.version DESC LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, rule_id);
    pt_q_int(&q, 3, before);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), rule_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_count(struct pt_store_txn *txn, const char *program_id,
                               enum pt_rule_status status, int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM rules WHERE program_id = ?1 AND status = ?2";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, pt_rule_status_name(status));
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

/* ---- Usage, budgets, and what fired ---- */

enum pt_rc pt_store_rule_usage_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, struct pt_arena *arena,
                                   struct pt_rule_usage **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT rule_id, uses, points, day, points_day FROM rule_usage "
                              "WHERE program_id = ?1 AND member_id = ?2 ORDER BY rule_id";
    struct pt_rule_usage *rows = NULL;
    size_t cap = 0;
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    while (pt_q_next(&q) && (rows = pt_q_grow(&q, arena, rows, *count, &cap, sizeof(*rows)))) {
        struct pt_rule_usage *u = &rows[(*count)++];
        pt_q_col_copy(&q, 0, u->rule_id, sizeof(u->rule_id));
        u->uses = pt_q_col_int(&q, 1);
        u->points = pt_q_col_int(&q, 2);
        pt_q_col_copy(&q, 3, u->day, sizeof(u->day));
        u->points_day = pt_q_col_int(&q, 4);
    }
    *out = rows;
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_used(struct pt_store_txn *txn, const char *program_id,
                              const char *member_id, const char *rule_id, const char *day,
                              int64_t points, int64_t amount, struct pt_err *err)
{
    /* The day's points start again on a new day. */
    static const char sql_usage[] =
        "INSERT INTO rule_usage (program_id, member_id, rule_id, uses, points, day, points_day) "
        "VALUES (?1, ?2, ?3, 1, ?4, ?5, ?4) ON CONFLICT (program_id, member_id, rule_id) DO "
        "UPDATE SET uses = rule_usage.uses + 1, points = rule_usage.points + excluded.points, "
        "points_day = CASE WHEN rule_usage.day = excluded.day "
        "THEN rule_usage.points_day + excluded.points ELSE excluded.points END, "
        "day = excluded.day WHERE rule_usage.uses < ?6 AND rule_usage.points + excluded.points "
        "<= ?6 AND rule_usage.points_day + excluded.points <= ?6 RETURNING rule_usage.uses";
    static const char sql_budget[] =
        "UPDATE rule_budgets SET points_issued = points_issued + ?3, uses = uses + 1, "
        "amount_issued = amount_issued + ?4 WHERE program_id = ?1 AND rule_id = ?2";
    struct pt_q q;
    bool written = false;
    enum pt_rc rc;
    pt_assert(points >= 0 && amount >= 0);
    (void)pt_q_open(&q, txn, sql_usage, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, rule_id);
    pt_q_int(&q, 4, points);
    pt_q_text(&q, 5, day);
    pt_q_int(&q, 6, PT_METRIC_MAX);
    while (pt_q_next(&q)) {
        written = true;
    }
    if (!written && q.rc == PT_OK) {
        /* Guarded as the accounts are (limits.h PT_METRIC_MAX). */
        q.rc = pt_rule_usage_refused(err);
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK) {
        return rc;
    }
    /* Every use counts against max_uses, its points and money against the budgets. */
    (void)pt_q_open(&q, txn, sql_budget, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, rule_id);
    pt_q_int(&q, 3, points);
    pt_q_int(&q, 4, amount);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_rule_add(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, const char *purchase_id,
                                      const char *rule_id, int64_t rule_version, int64_t points,
                                      int64_t discount, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchase_rules (program_id, member_id, purchase_id, rule_id, rule_version, "
        "points, discount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_text(&q, 4, rule_id);
    pt_q_int(&q, 5, rule_version);
    pt_q_int(&q, 6, points);
    pt_q_int(&q, 7, discount);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

static void purchase_rule_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_purchase_rule *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->rule_id, sizeof(r->rule_id));
    r->version = pt_q_col_int(q, 1);
    r->points = pt_q_col_int(q, 2);
    r->document = pt_q_col_text(q, 3, arena);
}

enum pt_rc pt_store_purchase_rules_get(struct pt_store_txn *txn, const char *program_id,
                                       const char *member_id, const char *purchase_id,
                                       struct pt_arena *arena, struct pt_purchase_rule **out,
                                       unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT r.rule_id, r.rule_version, r.points, v.document FROM purchase_rules r "
        "JOIN rule_versions v ON v.program_id = r.program_id AND v.rule_id = r.rule_id "
        "AND v.version = r.rule_version WHERE r.program_id = ?1 AND r.member_id = ?2 "
        "AND r.purchase_id = ?3 ORDER BY r.rule_id LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_int(&q, 4, PT_RULES_EVALUATED_MAX);
    *out =
        pt_q_rows(&q, PT_RULES_EVALUATED_MAX, sizeof(**out), purchase_rule_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_rule_budget_get(struct pt_store_txn *txn, const char *program_id,
                                    const char *rule_id, struct pt_rule_budget *out,
                                    struct pt_err *err)
{
    static const char sql[] = "SELECT points_issued, uses, amount_issued FROM rule_budgets "
                              "WHERE program_id = ?1 AND rule_id = ?2";
    /* In a write, locked: two processes must not both spend the budget's last points. */
    static const char sql_lock[] = "SELECT points_issued, uses, amount_issued FROM rule_budgets "
                                   "WHERE program_id = ?1 AND rule_id = ?2 FOR UPDATE";
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, rule_id);
    if (pt_q_next(&q)) {
        out->points_issued = pt_q_col_int(&q, 0);
        out->uses = pt_q_col_int(&q, 1);
        out->amount_issued = pt_q_col_int(&q, 2);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_purchase_count(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, int64_t before_ms, int64_t *count,
                                          struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM purchases WHERE program_id = ?1 "
                              "AND member_id = ?2 AND occurred_at_ms < ?3";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, before_ms);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

/* ---- Activities and birthdays ---- */

enum pt_rc pt_store_activity_insert(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_activity_row *a, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO activities (program_id, member_id, id, external_id, type, occurred_at_ms, "
        "properties, points_earned, entry_id, created_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    struct pt_q q;
    enum pt_rc rc =
        pt_store_member_key_claim(txn, program_id, "activity", a->external_id, a->member_id, err);
    if (rc == PT_ECONFLICT) {
        return pt_external_id_taken("an activity", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, a->member_id);
    pt_q_text(&q, 3, a->id);
    pt_q_text(&q, 4, a->external_id);
    pt_q_text(&q, 5, a->type);
    pt_q_int(&q, 6, a->occurred_at_ms);
    pt_q_text(&q, 7, a->properties);
    pt_q_int(&q, 8, a->points_earned);
    pt_q_text(&q, 9, a->entry_id[0] ? a->entry_id : NULL);
    pt_q_int(&q, 10, a->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_birthdays(struct pt_store_txn *txn, const char *program_id,
                              const char *month_day, int64_t year, unsigned limit,
                              struct pt_arena *arena, char (**ids)[PT_ID_BUF_BYTES],
                              unsigned *count, struct pt_err *err)
{
    /* Members born on month_day who have no award for year yet. */
    static const char sql[] =
        "SELECT m.id FROM members m WHERE m.program_id = ?1 AND substr(m.birth_date, 6, 5) = ?2 "
        "AND m.status = 'active' AND NOT EXISTS (SELECT 1 FROM birthday_awards a "
        "WHERE a.program_id = m.program_id AND a.member_id = m.id AND a.year = ?3) "
        "ORDER BY m.id LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, month_day);
    pt_q_int(&q, 3, year);
    pt_q_int(&q, 4, limit);
    *ids = pt_q_rows(&q, limit, sizeof(**ids), pt_q_row_id, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_birthday_award(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, int64_t year, int64_t points,
                                   const char *entry_id, int64_t now_ms, bool *claimed,
                                   struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO birthday_awards (program_id, member_id, year, points, entry_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING";
    struct pt_q q;
    *claimed = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, year);
    pt_q_int(&q, 4, points);
    pt_q_text(&q, 5, entry_id);
    pt_q_int(&q, 6, now_ms);
    if (pt_q_exec(&q) == PT_OK) {
        *claimed = pt_q_changes(&q) == 1;
    }
    return pt_q_close(&q);
}

static void purchase_ref_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_purchase_ref *r = row;
    (void)arena;
    pt_q_col_copy(q, 0, r->member_id, sizeof(r->member_id));
    pt_q_col_copy(q, 1, r->id, sizeof(r->id));
}

enum pt_rc pt_store_purchases_between(struct pt_store_txn *txn, const char *program_id,
                                      int64_t from_ms, int64_t to_ms, const char *after_member,
                                      const char *after_id, unsigned limit, struct pt_arena *arena,
                                      struct pt_purchase_ref **out, unsigned *count,
                                      struct pt_err *err)
{
    static const char sql[] =
        "SELECT member_id, id FROM purchases WHERE program_id = ?1 AND occurred_at_ms >= ?2 "
        "AND occurred_at_ms < ?3 AND (member_id > ?4 OR (member_id = ?4 AND id > ?5)) "
        "ORDER BY member_id, id LIMIT ?6";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, from_ms);
    pt_q_int(&q, 3, to_ms);
    pt_q_text(&q, 4, after_member);
    pt_q_text(&q, 5, after_id);
    pt_q_int(&q, 6, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), purchase_ref_from_row, arena, count);
    return pt_q_close(&q);
}
