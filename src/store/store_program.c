/* SPDX-License-Identifier: MIT */
/*
 * Programs (the tenants) and their API keys. Written against the query cursors of store_int.h;
 * every key query is scoped by program_id, except the lookup by hash that finds the caller's
 * program in the first place. Strings of the out-structs come from the caller's arena.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

/* ---- Programs ---- */

enum pt_rc pt_store_program_insert(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO programs (id, name, currency, created_at_ms) VALUES (?1, ?2, ?3, ?4)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(program->name != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program->id);
    pt_q_text(&q, 2, program->name);
    pt_q_text(&q, 3, program->currency);
    pt_q_int(&q, 4, program->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_get(struct pt_store_txn *txn, const char *program_id,
                                struct pt_arena *arena, struct pt_program *out, struct pt_err *err)
{
    int64_t settings_version = 0;
    return pt_store_program_read(txn, program_id, arena, out, &settings_version, err);
}

enum pt_rc pt_store_program_read(struct pt_store_txn *txn, const char *program_id,
                                 struct pt_arena *arena, struct pt_program *out,
                                 int64_t *settings_version, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, name, currency, created_at_ms, updated_at_ms, earn_points, earn_per_amount, "
        "pending_days, expiry_months, allow_negative_balance, excluded_categories, "
        "rules_version, time_zone, point_cost_amount, point_cost_points, tier_metric, "
        "tier_months, tier_retain, wallet_pending_days, referral_enabled, referrer_points, "
        "referrer_wallet, referee_points, referee_wallet, referral_min_amount, "
        "referral_within_days, referral_max_per_month, adjust_staff_max, adjust_admin_max, "
        "return_days, hold_returnable, rate_key_per_second, rate_key_burst, "
        "rate_program_per_second, rate_program_burst, rate_expensive_per_second, "
        "rate_expensive_burst, settings_version, spend_before_discounts, best_discount_only, "
        "points_payment_enabled, points_payment_min_points, points_payment_max_percent, "
        "points_payment_multiple, points_payment_earns_points, wallet_payment_earns_cashback, "
        "enrollment, clv_discount_rate_bp FROM programs WHERE id = ?1";
    struct pt_q q;
    enum pt_rc rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        out->name = pt_q_col_text(&q, 1, arena);
        pt_q_col_copy(&q, 2, out->currency, sizeof(out->currency));
        out->created_at_ms = pt_q_col_int(&q, 3);
        out->updated_at_ms = pt_q_col_int(&q, 4);
        out->earn_points = pt_q_col_int(&q, 5);
        out->earn_per_amount = pt_q_col_int(&q, 6);
        out->pending_days = pt_q_col_int(&q, 7);
        out->expiry_months = pt_q_col_int(&q, 8);
        out->allow_negative_balance = pt_q_col_int(&q, 9) != 0;
        pt_q_col_lines(&q, 10, arena, &out->excluded_categories, &out->excluded_category_count);
        out->rules_version = pt_q_col_int(&q, 11);
        out->time_zone = pt_q_col_text(&q, 12, arena);
        out->point_cost_amount = pt_q_col_int(&q, 13);
        out->point_cost_points = pt_q_col_int(&q, 14);
        memset(&out->tiers, 0, sizeof(out->tiers));
        {
            struct pt_err ignored;
            char metric[24];
            pt_q_col_copy(&q, 15, metric, sizeof(metric));
            if (strcmp(metric, "none") != 0 &&
                pt_tier_metric_parse(metric, "tier_metric", &out->tiers.metric, &ignored) !=
                    PT_OK) {
                q.rc = pt_err_set(err, PT_ESTORE, NULL, "unknown tier metric %s", metric);
            }
        }
        out->tiers.months = pt_q_col_int(&q, 16);
        out->tiers.retain = pt_q_col_int(&q, 17) != 0;
        out->wallet_pending_days = pt_q_col_int(&q, 18);
        out->referrals.enabled = pt_q_col_int(&q, 19) != 0;
        out->referrals.referrer_points = pt_q_col_int(&q, 20);
        out->referrals.referrer_wallet = pt_q_col_int(&q, 21);
        out->referrals.referee_points = pt_q_col_int(&q, 22);
        out->referrals.referee_wallet = pt_q_col_int(&q, 23);
        out->referrals.min_amount = pt_q_col_int(&q, 24);
        out->referrals.within_days = pt_q_col_int(&q, 25);
        out->referrals.max_per_month = pt_q_col_int(&q, 26);
        out->adjust_staff_max = pt_q_col_int(&q, 27);
        out->adjust_admin_max = pt_q_col_int(&q, 28);
        out->return_days = pt_q_col_int(&q, 29);
        out->hold_returnable = pt_q_col_int(&q, 30) != 0;
        out->rate_limits.key.per_second = pt_q_col_int(&q, 31);
        out->rate_limits.key.burst = pt_q_col_int(&q, 32);
        out->rate_limits.program.per_second = pt_q_col_int(&q, 33);
        out->rate_limits.program.burst = pt_q_col_int(&q, 34);
        out->rate_limits.expensive.per_second = pt_q_col_int(&q, 35);
        out->rate_limits.expensive.burst = pt_q_col_int(&q, 36);
        *settings_version = pt_q_col_int(&q, 37);
        out->spend_before_discounts = pt_q_col_int(&q, 38) != 0;
        out->best_discount_only = pt_q_col_int(&q, 39) != 0;
        out->points_payment.enabled = pt_q_col_int(&q, 40) != 0;
        out->points_payment.min_points = pt_q_col_int(&q, 41);
        out->points_payment.max_percent = pt_q_col_int(&q, 42);
        out->points_payment.multiple = pt_q_col_int(&q, 43);
        out->points_payment.earns_points = pt_q_col_int(&q, 44) != 0;
        out->wallet_payment_earns_cashback = pt_q_col_int(&q, 45) != 0;
        out->enrollment =
            (enum pt_enrollment)pt_q_col_name(&q, 46, pt_enrollment_names, PT_ENROLLMENTS);
        out->clv_discount_rate_bp = pt_q_col_int(&q, 47);
    } else if (q.rc == PT_OK) {
        q.rc = pt_program_not_found(err);
    }
    rc = pt_q_close(&q);
    if (rc == PT_OK && out->tiers.metric != PT_TIER_METRIC_NONE) {
        rc = pt_store_tiers_load(txn, program_id, arena, &out->tiers, err);
    }
    if (rc == PT_OK) {
        pt_assert(out->earn_per_amount >= 1);
    }
    return rc;
}

enum pt_rc pt_store_program_update(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_err *err)
{
    static const char sql[] =
        "UPDATE programs SET name = ?2, currency = ?3, updated_at_ms = ?4, earn_points = ?5, "
        "earn_per_amount = ?6, pending_days = ?7, expiry_months = ?8, "
        "allow_negative_balance = ?9, excluded_categories = ?10, "
        "time_zone = coalesce(?11, time_zone), point_cost_amount = ?12, "
        "point_cost_points = ?13, wallet_pending_days = ?14, referral_enabled = ?15, "
        "referrer_points = ?16, referrer_wallet = ?17, referee_points = ?18, "
        "referee_wallet = ?19, referral_min_amount = ?20, referral_within_days = ?21, "
        "referral_max_per_month = ?22, adjust_staff_max = ?23, adjust_admin_max = ?24, "
        "return_days = ?25, hold_returnable = ?26, rate_key_per_second = ?27, "
        "rate_key_burst = ?28, rate_program_per_second = ?29, rate_program_burst = ?30, "
        "rate_expensive_per_second = ?31, rate_expensive_burst = ?32, settings_version = ?33, "
        "spend_before_discounts = ?34, best_discount_only = ?35, points_payment_enabled = ?36, "
        "points_payment_min_points = ?37, points_payment_max_percent = ?38, "
        "points_payment_multiple = ?39, points_payment_earns_points = ?40, "
        "wallet_payment_earns_cashback = ?41, enrollment = ?42, clv_discount_rate_bp = ?43 "
        "WHERE id = ?1";
    struct pt_q q;
    enum pt_rc rc;
    char categories[PT_CATEGORIES_MAX * (PT_CATEGORY_BYTES_MAX + 1)];
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(program->earn_per_amount >= 1);
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program->id);
    pt_q_text(&q, 2, program->name);
    pt_q_text(&q, 3, program->currency);
    pt_q_int(&q, 4, program->updated_at_ms);
    pt_q_int(&q, 5, program->earn_points);
    pt_q_int(&q, 6, program->earn_per_amount);
    pt_q_int(&q, 7, program->pending_days);
    pt_q_int(&q, 8, program->expiry_months);
    pt_q_int(&q, 9, program->allow_negative_balance);
    pt_q_lines(&q, 10, program->excluded_categories, program->excluded_category_count, categories,
               sizeof(categories));
    pt_q_text(&q, 11, program->time_zone);
    pt_q_int(&q, 12, program->point_cost_amount);
    pt_q_int(&q, 13, program->point_cost_points);
    pt_q_int(&q, 14, program->wallet_pending_days);
    pt_q_int(&q, 15, program->referrals.enabled);
    pt_q_int(&q, 16, program->referrals.referrer_points);
    pt_q_int(&q, 17, program->referrals.referrer_wallet);
    pt_q_int(&q, 18, program->referrals.referee_points);
    pt_q_int(&q, 19, program->referrals.referee_wallet);
    pt_q_int(&q, 20, program->referrals.min_amount);
    pt_q_int(&q, 21, program->referrals.within_days);
    pt_q_int(&q, 22, program->referrals.max_per_month);
    pt_q_int(&q, 23, program->adjust_staff_max);
    pt_q_int(&q, 24, program->adjust_admin_max);
    pt_q_int(&q, 25, program->return_days);
    pt_q_int(&q, 26, program->hold_returnable);
    pt_q_int(&q, 27, program->rate_limits.key.per_second);
    pt_q_int(&q, 28, program->rate_limits.key.burst);
    pt_q_int(&q, 29, program->rate_limits.program.per_second);
    pt_q_int(&q, 30, program->rate_limits.program.burst);
    pt_q_int(&q, 31, program->rate_limits.expensive.per_second);
    pt_q_int(&q, 32, program->rate_limits.expensive.burst);
    pt_q_int(&q, 33, pt_store_settings_version_new());
    pt_q_int(&q, 34, program->spend_before_discounts);
    pt_q_int(&q, 35, program->best_discount_only);
    pt_q_int(&q, 36, program->points_payment.enabled);
    pt_q_int(&q, 37, program->points_payment.min_points);
    pt_q_int(&q, 38, program->points_payment.max_percent);
    pt_q_int(&q, 39, program->points_payment.multiple);
    pt_q_int(&q, 40, program->points_payment.earns_points);
    pt_q_int(&q, 41, program->wallet_payment_earns_cashback);
    pt_q_text(&q, 42, pt_enrollment_names[program->enrollment]);
    pt_q_int(&q, 43, program->clv_discount_rate_bp);
    rc = pt_q_exec(&q);
    if (rc == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_program_not_found(err);
    }
    rc = pt_q_close(&q);
    if (rc == PT_OK) {
        rc = pt_store_tiers_save(txn, program->id, &program->tiers, err);
    }
    return rc;
}

enum pt_rc pt_store_program_ids(struct pt_store_txn *txn, struct pt_arena *arena, unsigned max,
                                char (**ids)[PT_ID_BUF_BYTES], unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT id FROM programs ORDER BY id LIMIT ?1";
    struct pt_q q;
    enum pt_rc rc;
    *count = 0;
    *ids = pt_arena_alloc(arena, (size_t)max * PT_ID_BUF_BYTES);
    if (*ids == NULL) {
        return pt_arena_err(arena, err);
    }
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_int(&q, 1, max);
    while (pt_q_next(&q)) {
        pt_assert(*count < max);
        pt_q_col_copy(&q, 0, (*ids)[*count], PT_ID_BUF_BYTES);
        (*count)++;
    }
    (void)rc;
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_count(struct pt_store_txn *txn, int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM programs";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    } else if (q.rc == PT_OK) {
        /* count(*) always returns a row: its absence is a failure of the database. */
        q.rc = pt_err_set(err, PT_ESTORE, NULL, "the database could not be used");
    }
    return pt_q_close(&q);
}

/* ---- API keys ---- */

#define KEY_COLUMNS                                                                                \
    "program_id, id, name, role, key_hash, prefix, created_at_ms, revoked_at_ms, allowed_origins"

static void key_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_api_key *out = row;
    size_t hash_bytes;
    pt_q_col_copy(q, 0, out->program_id, sizeof(out->program_id));
    pt_q_col_copy(q, 1, out->id, sizeof(out->id));
    out->name = pt_q_col_text(q, 2, arena);
    out->role = (enum pt_role)pt_q_col_name(q, 3, pt_role_names, PT_ROLES);
    hash_bytes = pt_q_col_blob(q, 4, out->hash, sizeof(out->hash));
    pt_assert(hash_bytes == PT_API_KEY_HASH_BYTES);
    pt_q_col_copy(q, 5, out->prefix, sizeof(out->prefix));
    out->created_at_ms = pt_q_col_int(q, 6);
    out->revoked_at_ms = pt_q_col_int(q, 7);
    out->origins = pt_q_col_text(q, 8, arena);
}

enum pt_rc pt_store_key_insert(struct pt_store_txn *txn, const struct pt_api_key *key,
                               struct pt_err *err)
{
    /* A key without origins names no allowed_origins, so that `patron init` still writes the
     * first admin key into a database of an older schema (the migration tests make them). */
    static const char sql[] = "INSERT INTO api_keys (program_id, id, name, role, key_hash, "
                              "prefix, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char sql_origins[] = "INSERT INTO api_keys (" KEY_COLUMNS ") VALUES "
                                      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(key->revoked_at_ms == 0);
    (void)pt_q_open(&q, txn, key->origins != NULL ? sql_origins : sql, err);
    pt_q_text(&q, 1, key->program_id);
    pt_q_text(&q, 2, key->id);
    pt_q_text(&q, 3, key->name);
    pt_q_text(&q, 4, pt_role_names[key->role]);
    pt_q_blob(&q, 5, key->hash, PT_API_KEY_HASH_BYTES);
    pt_q_text(&q, 6, key->prefix);
    pt_q_int(&q, 7, key->created_at_ms);
    if (key->origins != NULL) {
        pt_q_text(&q, 8, key->origins);
    }
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_key_find_by_hash(struct pt_store_txn *txn,
                                     const uint8_t hash[PT_API_KEY_HASH_BYTES],
                                     struct pt_arena *arena, struct pt_api_key *out,
                                     struct pt_err *err)
{
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM api_keys "
                              "WHERE key_hash = ?1 AND revoked_at_ms IS NULL";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_blob(&q, 1, hash, PT_API_KEY_HASH_BYTES);
    if (pt_q_next(&q)) {
        key_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_key_not_found(err); /* The service answers it 401. */
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_key_list(struct pt_store_txn *txn, const char *program_id,
                             const char *cursor_id, unsigned limit, struct pt_arena *arena,
                             struct pt_api_key **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM api_keys "
                              "WHERE program_id = ?1 AND revoked_at_ms IS NULL "
                              "AND (CAST(?2 AS TEXT) IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3";
    struct pt_q q;
    pt_assert(limit >= 1 && limit <= PT_PAGE_LIMIT_MAX + 1);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), key_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_key_revoke(struct pt_store_txn *txn, const char *program_id, const char *key_id,
                               int64_t now_ms, struct pt_err *err)
{
    static const char sql[] = "UPDATE api_keys SET revoked_at_ms = ?3 "
                              "WHERE program_id = ?1 AND id = ?2 AND revoked_at_ms IS NULL";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, key_id);
    pt_q_int(&q, 3, now_ms);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_key_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_key_count_admins(struct pt_store_txn *txn, const char *program_id,
                                     int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM api_keys WHERE program_id = ?1 "
                              "AND role = 'admin' AND revoked_at_ms IS NULL";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    } else if (q.rc == PT_OK) {
        /* count(*) always returns a row: its absence is a failure of the database. */
        q.rc = pt_err_set(err, PT_ESTORE, NULL, "the database could not be used");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_origin_allowed(struct pt_store_txn *txn, const char *origin, bool *allowed,
                                   struct pt_err *err)
{
    /* An origin holds no '%', '_' or space (pt_origin_is_valid), so it matches itself alone. */
    static const char sql[] = "SELECT 1 FROM api_keys WHERE role = 'publishable' "
                              "AND revoked_at_ms IS NULL "
                              "AND ' ' || allowed_origins || ' ' LIKE '% ' || ?1 || ' %' LIMIT 1";
    struct pt_q q;
    pt_assert(strpbrk(origin, "%_ ") == NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, origin);
    *allowed = pt_q_next(&q);
    return pt_q_close(&q);
}

/* ---- The embed signing secret ---- */

enum pt_rc pt_store_embed_secret_put(struct pt_store_txn *txn, const char *program_id,
                                     const uint8_t secret[PT_EMBED_SECRET_BYTES],
                                     int64_t created_at_ms, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO embed_secrets (program_id, secret, created_at_ms) "
                              "VALUES (?1, ?2, ?3) ON CONFLICT (program_id) DO UPDATE SET "
                              "secret = excluded.secret, created_at_ms = excluded.created_at_ms";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_blob(&q, 2, secret, PT_EMBED_SECRET_BYTES);
    pt_q_int(&q, 3, created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_embed_secret_get(struct pt_store_txn *txn, const char *program_id,
                                     uint8_t secret[PT_EMBED_SECRET_BYTES], bool *found,
                                     struct pt_err *err)
{
    static const char sql[] = "SELECT secret FROM embed_secrets WHERE program_id = ?1";
    struct pt_q q;
    *found = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        *found = pt_q_col_blob(&q, 0, secret, PT_EMBED_SECRET_BYTES) == PT_EMBED_SECRET_BYTES;
        if (!*found) {
            q.rc = pt_err_set(err, PT_ESTORE, NULL, "a stored embed secret is not 32 bytes");
        }
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_lock(struct pt_store_txn *txn, const char *program_id,
                                 struct pt_err *err)
{
    static const char sql[] = "SELECT 1 FROM programs WHERE id = ?1 FOR UPDATE";
    struct pt_q q;
    if (!pt_store_txn_locks_rows(txn)) {
        return PT_OK; /* One writer at a time already. */
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    (void)pt_q_next(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_pick(struct pt_store_txn *txn, const char *program_id, char *out,
                                 struct pt_err *err)
{
    static const char sql[] = "SELECT id FROM programs WHERE (CAST(?1 AS TEXT) IS NULL OR id = ?1) "
                              "ORDER BY created_at_ms, id LIMIT 1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out, PT_ID_BUF_BYTES);
        pt_assert(out[0] != '\0');
    } else if (q.rc == PT_OK) {
        q.rc = pt_program_not_found(err);
    }
    return pt_q_close(&q);
}
