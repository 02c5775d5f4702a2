/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog and coupons. Written against the query cursors of store_int.h; every
 * query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"
#include "base/names.h"

#include <stdio.h>
#include <string.h>

#define REWARD_COLUMNS                                                                             \
    "id, name, description, terms, image_url, type, value, sku, cost_points, stock, issued, "      \
    "per_member_limit, valid_from_ms, valid_to_ms, tiers, coupon_valid_days, status, "             \
    "created_at_ms, updated_at_ms, combines, min_amount, skus, categories"

static void reward_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_reward *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    r->name = pt_q_col_text(q, 1, arena);
    r->description = pt_q_col_text(q, 2, arena);
    r->terms = pt_q_col_text(q, 3, arena);
    r->image_url = pt_q_col_text(q, 4, arena);
    r->type = (enum pt_reward_type)pt_q_col_name(q, 5, pt_reward_type_names, PT_REWARD_TYPES);
    r->value = pt_q_col_int(q, 6);
    r->sku = pt_q_col_text(q, 7, arena);
    r->cost_points = pt_q_col_int(q, 8);
    r->has_stock = !pt_q_col_is_null(q, 9);
    r->stock = pt_q_col_int(q, 9);
    r->issued = pt_q_col_int(q, 10);
    r->per_member_limit = pt_q_col_int(q, 11);
    r->valid_from_ms = pt_q_col_int(q, 12);
    r->valid_to_ms = pt_q_col_int(q, 13);
    pt_q_col_lines(q, 14, arena, &r->tiers, &r->tier_count);
    r->coupon_valid_days = pt_q_col_int(q, 15);
    r->status =
        (enum pt_reward_status)pt_q_col_name(q, 16, pt_reward_status_names, PT_REWARD_STATUSES);
    r->created_at_ms = pt_q_col_int(q, 17);
    r->updated_at_ms = pt_q_col_int(q, 18);
    r->combines = pt_q_col_int(q, 19) != 0;
    r->min_amount = pt_q_col_int(q, 20);
    pt_q_col_lines(q, 21, arena, &r->skus, &r->sku_count);
    pt_q_col_lines(q, 22, arena, &r->categories, &r->category_count);
}

/* The reward's tiers, SKUs and categories, joined as their columns keep them. */
struct tiers_text {
    char text[PT_REWARD_TIERS_MAX * (PT_TIER_NAME_BYTES_MAX + 1)];
    char skus[PT_REWARD_PRODUCTS_MAX * (PT_EXTERNAL_ID_BYTES_MAX + 1)];
    char categories[PT_REWARD_PRODUCTS_MAX * (PT_EXTERNAL_ID_BYTES_MAX + 1)];
};

/* Binds r; tiers holds the text of its lists until pt_q_close. */
static void reward_bind(struct pt_q *q, const char *program_id, const struct pt_reward *r,
                        struct tiers_text *tiers)
{
    pt_q_text(q, 1, program_id);
    pt_q_text(q, 2, r->id);
    pt_q_text(q, 3, r->name);
    pt_q_text(q, 4, r->description);
    pt_q_text(q, 5, r->terms);
    pt_q_text(q, 6, r->image_url);
    pt_q_text(q, 7, pt_reward_type_names[r->type]);
    pt_q_int(q, 8, r->value);
    pt_q_text(q, 9, r->sku);
    pt_q_int(q, 10, r->cost_points);
    if (r->has_stock) {
        pt_q_int(q, 11, r->stock);
    } else {
        pt_q_null(q, 11);
    }
    pt_q_int(q, 12, r->per_member_limit);
    pt_q_int(q, 13, r->valid_from_ms);
    pt_q_int(q, 14, r->valid_to_ms);
    pt_q_lines(q, 15, r->tiers, r->tier_count, tiers->text, sizeof(tiers->text));
    pt_q_int(q, 16, r->coupon_valid_days);
    pt_q_text(q, 17, pt_reward_status_names[r->status]);
    pt_q_int(q, 18, r->created_at_ms);
    pt_q_int(q, 19, r->updated_at_ms);
    pt_q_int(q, 20, r->combines);
    pt_q_int(q, 21, r->min_amount);
    pt_q_lines(q, 22, r->skus, r->sku_count, tiers->skus, sizeof(tiers->skus));
    pt_q_lines(q, 23, r->categories, r->category_count, tiers->categories,
               sizeof(tiers->categories));
}

enum pt_rc pt_store_reward_insert(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_reward *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO rewards (program_id, id, name, description, terms, image_url, type, value, "
        "sku, cost_points, stock, per_member_limit, valid_from_ms, valid_to_ms, tiers, "
        "coupon_valid_days, status, created_at_ms, updated_at_ms, combines, min_amount, skus, "
        "categories) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)";
    struct pt_q q;
    struct tiers_text tiers;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    reward_bind(&q, program_id, r, &tiers);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_reward_update(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_reward *r, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE rewards SET name = ?3, description = ?4, terms = ?5, image_url = ?6, type = ?7, "
        "value = ?8, sku = ?9, cost_points = ?10, stock = ?11, per_member_limit = ?12, "
        "valid_from_ms = ?13, valid_to_ms = ?14, tiers = ?15, coupon_valid_days = ?16, "
        "status = ?17, created_at_ms = ?18, updated_at_ms = ?19, combines = ?20, "
        "min_amount = ?21, skus = ?22, categories = ?23 WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    struct tiers_text tiers;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    reward_bind(&q, program_id, r, &tiers);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_reward_not_found(r->id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_reward_get(struct pt_store_txn *txn, const char *program_id,
                               const char *reward_id, struct pt_arena *arena, struct pt_reward *out,
                               struct pt_err *err)
{
    static const char sql[] =
        "SELECT " REWARD_COLUMNS " FROM rewards WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, reward_id);
    if (pt_q_next(&q)) {
        reward_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_reward_not_found(reward_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_reward_list(struct pt_store_txn *txn, const char *program_id,
                                const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                struct pt_reward **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT " REWARD_COLUMNS " FROM rewards WHERE program_id = ?1 "
                              "AND (CAST(?2 AS TEXT) IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), reward_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_rewards_offered(struct pt_store_txn *txn, const char *program_id,
                                    int64_t now_ms, unsigned limit, struct pt_arena *arena,
                                    struct pt_reward **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT " REWARD_COLUMNS " FROM rewards WHERE program_id = ?1 "
                              "AND status = 'active' AND cost_points > 0 AND valid_from_ms <= ?2 "
                              "AND valid_to_ms > ?2 ORDER BY cost_points, id LIMIT ?3";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, now_ms);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), reward_from_row, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}

enum pt_rc pt_store_reward_take(struct pt_store_txn *txn, const char *program_id,
                                const char *reward_id, bool *taken, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE rewards SET issued = issued + 1 WHERE program_id = ?1 AND id = ?2 "
        "AND (stock IS NULL OR issued < stock)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    *taken = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, reward_id);
    if (pt_q_exec(&q) == PT_OK) {
        *taken = pt_q_changes(&q) == 1;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_reward_give_back(struct pt_store_txn *txn, const char *program_id,
                                     const char *reward_id, struct pt_err *err)
{
    static const char sql[] = "UPDATE rewards SET issued = issued - 1 WHERE program_id = ?1 "
                              "AND id = ?2 AND issued > 0";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, reward_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

#define COUPON_COLUMNS                                                                             \
    "code, member_id, reward_id, redemption_id, status, issued_at_ms, expires_at_ms, "             \
    "redeemed_at_ms, location, cancelled_at_ms, purchase_id, partner_code, source, source_id, "    \
    "source_ref"

static const char *coupon_status(const char *s)
{
    int i = pt_name_index(pt_coupon_status_names, PT_COUPON_STATUSES, s);
    pt_assert(i >= 0); /* The CHECK constraints keep the names known. */
    return pt_coupon_status_names[i];
}

static enum pt_rc promo_code_exists(struct pt_store_txn *txn, const char *program_id,
                                    const char *code, bool *exists, struct pt_err *err)
{
    static const char sql[] = "SELECT 1 FROM promo_codes WHERE program_id = ?1 AND code = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    *exists = pt_q_next(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_insert(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_coupon *c, bool *claimed, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO coupons (program_id, " COUPON_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) ON CONFLICT (program_id, code) DO NOTHING";
    struct pt_q q;
    bool taken = false;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    *claimed = false;
    /* Codes are unique across a program's coupons and its promotion codes. */
    rc = promo_code_exists(txn, program_id, c->code, &taken, err);
    if (rc != PT_OK || taken) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, c->code);
    pt_q_text(&q, 3, c->member_id);
    pt_q_text(&q, 4, c->reward_id);
    pt_q_text(&q, 5, c->redemption_id[0] ? c->redemption_id : NULL);
    pt_q_text(&q, 6, c->status);
    pt_q_int(&q, 7, c->issued_at_ms);
    pt_q_int(&q, 8, c->expires_at_ms);
    pt_q_int(&q, 9, c->redeemed_at_ms);
    pt_q_text(&q, 10, c->location);
    pt_q_int(&q, 11, c->cancelled_at_ms);
    pt_q_text(&q, 12, c->purchase_id[0] ? c->purchase_id : NULL);
    pt_q_text(&q, 13, c->partner_code);
    pt_q_text(&q, 14, pt_coupon_source_names[c->source]);
    pt_q_text(&q, 15, c->source_id[0] ? c->source_id : NULL);
    pt_q_text(&q, 16, c->source_ref[0] ? c->source_ref : NULL);
    if (pt_q_exec(&q) == PT_OK) {
        *claimed = pt_q_changes(&q) == 1;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_member(struct pt_store_txn *txn, const char *program_id,
                                  const char *code, char *member_id, struct pt_err *err)
{
    static const char sql[] = "SELECT member_id FROM coupons WHERE program_id = ?1 AND code = ?2";
    struct pt_q q;
    member_id[0] = '\0';
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, member_id, PT_ID_BUF_BYTES);
    }
    return pt_q_close(&q);
}

/* A coupon of a row of COUPON_SELECT. */
static void coupon_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_coupon *out = row;
    char status[16];
    char source[16];
    int i;
    memset(out, 0, sizeof(*out));
    pt_q_col_copy(q, 0, out->code, sizeof(out->code));
    pt_q_col_copy(q, 1, out->member_id, sizeof(out->member_id));
    pt_q_col_copy(q, 2, out->reward_id, sizeof(out->reward_id));
    pt_q_col_copy(q, 3, out->redemption_id, sizeof(out->redemption_id));
    pt_q_col_copy(q, 4, status, sizeof(status));
    out->status = coupon_status(status);
    out->issued_at_ms = pt_q_col_int(q, 5);
    out->expires_at_ms = pt_q_col_int(q, 6);
    out->redeemed_at_ms = pt_q_col_int(q, 7);
    out->location = pt_q_col_text(q, 8, arena);
    out->cancelled_at_ms = pt_q_col_int(q, 9);
    pt_q_col_copy(q, 10, out->purchase_id, sizeof(out->purchase_id));
    out->partner_code = pt_q_col_text(q, 11, arena);
    pt_q_col_copy(q, 12, source, sizeof(source));
    i = pt_name_index(pt_coupon_source_names, PT_COUPON_SOURCES, source);
    pt_assert(i >= 0); /* The CHECK constraint keeps the names known. */
    out->source = (enum pt_coupon_source)i;
    pt_q_col_copy(q, 13, out->source_id, sizeof(out->source_id));
    pt_q_col_copy(q, 14, out->source_ref, sizeof(out->source_ref));
    out->cancel_reason = pt_q_col_text(q, 15, arena);
}

/* A cancelled coupon's reason is its own, or its redemption's cancel's. */
#define COUPON_SELECT                                                                              \
    "SELECT " COUPON_COLUMNS ", COALESCE(c.cancel_reason, (SELECT " PT_SQL_CANCEL_REASON(          \
        "r") " FROM redemptions r WHERE r.program_id = c.program_id AND r.member_id = "            \
             "c.member_id AND r.id = c.redemption_id AND c.status = 'cancelled')) FROM coupons c " \
             "WHERE program_id = ?1 "

/* A row of member_coupons: a coupon of COUPON_SELECT's columns, then its reward's. */
static void coupon_listed_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_coupon_listed *out = row;
    memset(&out->reward, 0, sizeof(out->reward));
    coupon_from_row(q, arena, &out->coupon);
    memcpy(out->reward.id, out->coupon.reward_id, sizeof(out->reward.id));
    out->reward.name = pt_q_col_text(q, 16, arena);
    out->reward.type =
        (enum pt_reward_type)pt_q_col_name(q, 17, pt_reward_type_names, PT_REWARD_TYPES);
    out->reward.value = pt_q_col_int(q, 18);
    out->reward.sku = pt_q_col_text(q, 19, arena);
}

enum pt_rc pt_store_member_coupons(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, const char *status,
                                   const char *cursor_code, unsigned limit, struct pt_arena *arena,
                                   struct pt_coupon_listed **out, unsigned *count,
                                   struct pt_err *err)
{
    /* Newest first; the cursor is the code last listed, whose issue time places the page. */
    static const char sql[] =
        "SELECT c.code, c.member_id, c.reward_id, c.redemption_id, c.status, c.issued_at_ms, "
        "c.expires_at_ms, c.redeemed_at_ms, c.location, c.cancelled_at_ms, c.purchase_id, "
        "c.partner_code, c.source, c.source_id, c.source_ref, COALESCE(c.cancel_reason, (SELECT "
        "" PT_SQL_CANCEL_REASON(
            "r") " FROM redemptions r WHERE r.program_id = c.program_id AND "
                 "r.member_id = c.member_id AND r.id = c.redemption_id AND c.status = "
                 "'cancelled')), "
                 "w.name, w.type, w.value, w.sku FROM coupons c JOIN rewards w ON w.program_id = "
                 "c.program_id AND w.id = c.reward_id WHERE c.program_id = ?1 AND c.member_id = ?2 "
                 "AND (CAST(?3 AS TEXT) IS NULL OR c.status = ?3) AND (CAST(?4 AS TEXT) IS NULL "
                 "OR c.issued_at_ms < (SELECT k.issued_at_ms FROM coupons k WHERE k.program_id = "
                 "?1 "
                 "AND k.code = ?4) OR (c.issued_at_ms = (SELECT k.issued_at_ms FROM coupons k "
                 "WHERE "
                 "k.program_id = ?1 AND k.code = ?4) AND c.code < ?4)) "
                 "ORDER BY c.issued_at_ms DESC, c.code DESC LIMIT ?5";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, status);
    pt_q_text(&q, 4, cursor_code);
    pt_q_int(&q, 5, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), coupon_listed_from_row, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_get(struct pt_store_txn *txn, const char *program_id, const char *code,
                               struct pt_arena *arena, struct pt_coupon *out, struct pt_err *err)
{
    static const char sql[] = COUPON_SELECT "AND code = ?2";
    static const char sql_lock[] = COUPON_SELECT "AND code = ?2 FOR UPDATE";
    struct pt_q q;
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    if (pt_q_next(&q)) {
        coupon_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_coupon_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupons_of_source(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, const char *source_ref,
                                      enum pt_coupon_source source, unsigned limit,
                                      struct pt_arena *arena, struct pt_coupon **out,
                                      unsigned *count, struct pt_err *err)
{
    static const char sql[] = COUPON_SELECT "AND source_ref = ?2 AND member_id = ?3 "
                                            "AND source = ?4 ORDER BY code LIMIT ?5";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, source_ref);
    pt_q_text(&q, 3, member_id);
    pt_q_text(&q, 4, pt_coupon_source_names[source]);
    pt_q_int(&q, 5, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), coupon_from_row, arena, count);
    return pt_q_close(&q);
}
#undef COUPON_SELECT

enum pt_rc pt_store_coupon_move(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_coupon *c, const char *from, bool *moved,
                                struct pt_err *err)
{
    static const char sql[] =
        "UPDATE coupons SET status = ?3, redeemed_at_ms = ?4, location = ?5, "
        "cancelled_at_ms = ?6, cancel_reason = ?8 WHERE program_id = ?1 AND code = ?2 "
        "AND status = ?7";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    *moved = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, c->code);
    pt_q_text(&q, 3, c->status);
    pt_q_int(&q, 4, c->redeemed_at_ms);
    pt_q_text(&q, 5, c->location);
    pt_q_int(&q, 6, c->cancelled_at_ms);
    pt_q_text(&q, 7, from);
    pt_q_text(&q, 8, c->cancel_reason);
    if (pt_q_exec(&q) == PT_OK) {
        *moved = pt_q_changes(&q) == 1;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_partner_code(struct pt_store_txn *txn, const char *program_id,
                                        const char *code, const char *partner_code,
                                        struct pt_err *err)
{
    static const char sql[] =
        "UPDATE coupons SET partner_code = ?3 WHERE program_id = ?1 AND code = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    pt_q_text(&q, 3, partner_code);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_use(struct pt_store_txn *txn, const char *program_id, const char *code,
                               const char *purchase_id, const char *location, int64_t at_ms,
                               bool *moved, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE coupons SET status = 'redeemed', redeemed_at_ms = ?3, location = ?4, "
        "purchase_id = ?5 WHERE program_id = ?1 AND code = ?2 AND status = 'active'";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    *moved = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, code);
    pt_q_int(&q, 3, at_ms);
    pt_q_text(&q, 4, location);
    pt_q_text(&q, 5, purchase_id);
    if (pt_q_exec(&q) == PT_OK) {
        *moved = pt_q_changes(&q) == 1;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupons_of_member(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, const char *reward_id, int64_t *count,
                                      struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM coupons WHERE program_id = ?1 "
                              "AND member_id = ?2 AND reward_id = ?3 AND status <> 'cancelled'";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, reward_id);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupon_of_redemption(struct pt_store_txn *txn, const char *program_id,
                                         const char *member_id, const char *redemption_id,
                                         char *code, struct pt_err *err)
{
    static const char sql[] = "SELECT code FROM coupons WHERE program_id = ?1 AND member_id = ?2 "
                              "AND redemption_id = ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, redemption_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, code, PT_ID_BUF_BYTES);
    } else if (q.rc == PT_OK) {
        q.rc = pt_coupon_of_redemption_not_found(redemption_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_coupons_due(struct pt_store_txn *txn, const char *program_id, int64_t now_ms,
                                unsigned limit, struct pt_arena *arena,
                                char (**codes)[PT_ID_BUF_BYTES], unsigned *count,
                                struct pt_err *err)
{
    static const char sql[] = "SELECT code FROM coupons WHERE program_id = ?1 "
                              "AND status = 'active' AND expires_at_ms <= ?2 "
                              "ORDER BY expires_at_ms, code LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, now_ms);
    pt_q_int(&q, 3, limit);
    *codes = pt_q_rows(&q, limit, sizeof(**codes), pt_q_row_id, arena, count);
    return pt_q_close(&q);
}

/* ---- Partner voucher pools ---- */

enum pt_rc pt_store_vouchers_add(struct pt_store_txn *txn, const char *program_id,
                                 const char *reward_id, const char *const *codes, unsigned count,
                                 int64_t now_ms, int64_t *added, struct pt_err *err)
{
    static const char sql_n[] =
        "SELECT coalesce(max(n), 0) FROM partner_vouchers WHERE program_id = ?1 AND reward_id = ?2";
    static const char sql[] =
        "INSERT INTO partner_vouchers (program_id, reward_id, code, n, uploaded_at_ms, "
        "coupon_code) "
        "VALUES (?1, ?2, ?3, ?4, ?5, NULL) ON CONFLICT (program_id, reward_id, code) DO NOTHING";
    struct pt_q q;
    int64_t n = 0;
    unsigned i;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    *added = 0;
    (void)pt_q_open(&q, txn, sql_n, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, reward_id);
    if (pt_q_next(&q)) {
        n = pt_q_col_int(&q, 0);
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK) {
        return rc;
    }
    for (i = 0; i < count; i++) {
        (void)pt_q_open(&q, txn, sql, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, reward_id);
        pt_q_text(&q, 3, codes[i]);
        pt_q_int(&q, 4, n + 1);
        pt_q_int(&q, 5, now_ms);
        if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 1) {
            n++;
            (*added)++;
        }
        rc = pt_q_close(&q);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

enum pt_rc pt_store_voucher_draw(struct pt_store_txn *txn, const char *program_id,
                                 const char *reward_id, const char *coupon_code,
                                 struct pt_arena *arena, const char **out, struct pt_err *err)
{
    /* The oldest free code, then a claim that holds only while it is still free: a writer on
     * another node that drew it first makes the claim change nothing, and the next is tried. */
    static const char sql_free[] =
        "SELECT code FROM partner_vouchers WHERE program_id = ?1 AND reward_id = ?2 "
        "AND coupon_code IS NULL ORDER BY n LIMIT 1";
    static const char sql_claim[] =
        "UPDATE partner_vouchers SET coupon_code = ?4 WHERE program_id = ?1 AND reward_id = ?2 "
        "AND code = ?3 AND coupon_code IS NULL";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    *out = NULL;
    for (;;) {
        const char *code = NULL;
        bool claimed = false;
        (void)pt_q_open(&q, txn, sql_free, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, reward_id);
        if (pt_q_next(&q)) {
            code = pt_q_col_text(&q, 0, arena);
        }
        rc = pt_q_close(&q);
        if (rc != PT_OK) {
            return rc;
        }
        if (code == NULL) {
            return pt_voucher_pool_empty(err);
        }
        (void)pt_q_open(&q, txn, sql_claim, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, reward_id);
        pt_q_text(&q, 3, code);
        pt_q_text(&q, 4, coupon_code);
        if (pt_q_exec(&q) == PT_OK) {
            claimed = pt_q_changes(&q) == 1;
        }
        rc = pt_q_close(&q);
        if (rc != PT_OK) {
            return rc;
        }
        if (claimed) {
            *out = code;
            return PT_OK;
        }
    }
}

enum pt_rc pt_store_vouchers_count(struct pt_store_txn *txn, const char *program_id,
                                   const char *reward_id, int64_t *total, int64_t *free_codes,
                                   struct pt_err *err)
{
    static const char sql[] =
        "SELECT count(*), count(*) - count(coupon_code) FROM partner_vouchers "
        "WHERE program_id = ?1 AND reward_id = ?2";
    struct pt_q q;
    *total = 0;
    *free_codes = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, reward_id);
    if (pt_q_next(&q)) {
        *total = pt_q_col_int(&q, 0);
        *free_codes = pt_q_col_int(&q, 1);
    }
    return pt_q_close(&q);
}
