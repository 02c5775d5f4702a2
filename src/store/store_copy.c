/* SPDX-License-Identifier: MIT */
/*
 * Copying a whole database from one store to another (`patron migrate-store`), e.g. from a
 * SQLite file to PostgreSQL: every table's rows, read from one snapshot of the source and
 * written in one transaction of the target, so that the target holds all of it or none. Written
 * on the query cursors only, so it works between any two engines. schema_version is not
 * copied: each store is migrated to this binary's version when it is opened.
 */
#include "store/store_int.h"

#include "base/assert.h"
#include "base/buf.h"

#include <stdio.h>
#include <string.h>

/* Columns of one table and their kinds: 't' text, 'i' integer, 'b' bytes. */
struct copy_table {
    const char *name;
    const char *columns;
    const char *kinds;
    const char *order_by; /* The primary key: the copy reads rows in a stable order. */
    const char *select;   /* What to read for the columns, when not the columns themselves. */
};

/* In an order that satisfies the foreign keys (programs first). */
static const struct copy_table copy_tables[] = {
    {"programs",
     "id, name, currency, created_at_ms, earn_points, earn_per_amount, pending_days, "
     "expiry_months, allow_negative_balance, excluded_categories, updated_at_ms, rules_version, "
     "time_zone, point_cost_amount, point_cost_points, tier_metric, tier_months, tier_retain, "
     "wallet_pending_days, referral_enabled, referrer_points, referrer_wallet, referee_points, "
     "referee_wallet, referral_min_amount, referral_within_days, referral_max_per_month, "
     "adjust_staff_max, adjust_admin_max, "
     "return_days, hold_returnable, rate_key_per_second, rate_key_burst, rate_program_per_second, "
     "rate_program_burst, rate_expensive_per_second, rate_expensive_burst, settings_version, "
     "spend_before_discounts, best_discount_only, points_payment_enabled, "
     "points_payment_min_points, points_payment_max_percent, points_payment_multiple, "
     "points_payment_earns_points, wallet_payment_earns_cashback, enrollment, "
     "clv_discount_rate_bp",
     "tttiiiiiitiitiitiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiti", "id", NULL},
    {"api_keys",
     "program_id, id, name, role, key_hash, prefix, created_at_ms, revoked_at_ms, "
     "allowed_origins",
     "ttttbtiit", "program_id, id", NULL},
    {"embed_secrets", "program_id, secret, created_at_ms", "tbi", "program_id", NULL},
    {"clv_models",
     "program_id, calibration_end, time_unit, currency_exponent, parameters, customers, "
     "repeat_customers, spend_customers, fitted_at_ms",
     "tttitiiii", "program_id", NULL},
    {"inquiries",
     "program_id, id, member_id, contact_name, contact_email, contact_phone, channel, subject, "
     "body, status, priority, assignee, tags, created_at_ms, updated_at_ms, "
     "first_response_at_ms, resolved_at_ms, replies, internal_replies",
     "tttttttttttttiiiiii", "program_id, id", NULL},
    {"inquiry_replies",
     "program_id, inquiry_id, id, author, author_id, internal, body, created_at_ms", "tttttiti",
     "program_id, inquiry_id, id", NULL},
    {"member_notes", "program_id, member_id, id, body, pinned, author_id, created_at_ms", "ttttiti",
     "program_id, member_id, id", NULL},
    {"members",
     "program_id, id, external_id, email, phone, first_name, last_name, birth_date, gender, "
     "locale, city, country, attributes, consent_email, consent_sms, consent_push, card_number, "
     "referral_code, status, enrolled_at_ms, updated_at_ms, version",
     "tttttttttttttiiitttiii", "program_id, id", NULL},
    {"idempotency_keys", "program_id, key, request_hash, status, body, created_at_ms, ref_id",
     "ttbitit", "program_id, key", NULL},
    {"member_keys", "program_id, kind, value, member_id", "tttt", "program_id, kind, value", NULL},
    {"accounts",
     "program_id, member_id, id, balance, owed, lifetime_earned, lifetime_redeemed, "
     "lifetime_expired, postings",
     "tttiiiiii", "program_id, member_id, id", NULL},
    {"entries", "program_id, member_id, id, type, reference, reason, key_id, created_at_ms",
     "ttttttti", "program_id, member_id, id", NULL},
    {"postings",
     "program_id, member_id, account_id, n, entry_id, points, balance_after, "
     "created_at_ms",
     "tttitiii", "program_id, member_id, account_id, n", NULL},
    {"lots",
     "program_id, member_id, id, entry_id, source_id, points_earned, points_remaining, "
     "earned_at_ms, available_at_ms, expires_at_ms",
     "tttttiiiii", "program_id, member_id, id", NULL},
    {"purchases",
     "program_id, member_id, id, external_id, occurred_at_ms, currency, amount, "
     "eligible_amount, items, channel, location, points_earned, lot_id, returned_amount, "
     "returned_eligible, points_reversed, entry_id, created_at_ms, discount, base_points, "
     "till_discount, tier_month, cashback, cashback_reversed, wallet_credit_id, spend, "
     "spend_returned",
     "ttttitiitttitiiitiiiiiiitii", "program_id, member_id, id", NULL},
    {"purchase_items",
     "program_id, member_id, purchase_id, line, sku, category, quantity, unit_price, eligible, "
     "returned_quantity",
     "tttittiiii", "program_id, member_id, purchase_id, line", NULL},
    {"returns",
     "program_id, member_id, id, external_id, purchase_id, amount, points_reversed, "
     "points_owed, entry_id, created_at_ms",
     "tttttiiiti", "program_id, member_id, id", NULL},
    {"redemptions",
     "program_id, member_id, id, points, reason, status, entry_id, cancel_entry_id, "
     "created_at_ms, cancelled_at_ms",
     "tttitttiii", "program_id, member_id, id", NULL},
    {"redemption_lots", "program_id, member_id, redemption_id, lot_id, points, restored", "ttttii",
     "program_id, member_id, redemption_id, lot_id", NULL},
    {"rules",
     "program_id, id, version, status, name, trigger_name, priority, document, key_id, "
     "created_at_ms, updated_at_ms",
     "ttittititii", "program_id, id", NULL},
    {"rule_versions", "program_id, rule_id, version, status, document, key_id, created_at_ms",
     "ttittti", "program_id, rule_id, version", NULL},
    {"rule_budgets", "program_id, rule_id, points_issued, uses, amount_issued", "ttiii",
     "program_id, rule_id", NULL},
    {"rule_usage", "program_id, member_id, rule_id, uses, points, day, points_day", "tttiiti",
     "program_id, member_id, rule_id", NULL},
    {"purchase_rules",
     "program_id, member_id, purchase_id, rule_id, rule_version, points, discount", "ttttiii",
     "program_id, member_id, purchase_id, rule_id", NULL},
    {"activities",
     "program_id, member_id, id, external_id, type, occurred_at_ms, properties, points_earned, "
     "entry_id, created_at_ms",
     "tttttitiit", "program_id, member_id, id", NULL},
    {"surveys",
     "program_id, id, name, status, allow_multiple_responses, questions, responses, "
     "created_at_ms, updated_at_ms",
     "ttttitiii", "program_id, id", NULL},
    {"survey_responses",
     "program_id, id, survey_id, member_id, once_key, answers, points_earned, activity_id, "
     "created_at_ms",
     "ttttttiti", "program_id, id", NULL},
    {"survey_answers", "program_id, survey_id, question_id, value, response_id, text", "tttitt",
     "program_id, survey_id, question_id, value, response_id", NULL},
    {"birthday_awards", "program_id, member_id, year, points, entry_id, created_at_ms", "ttiiti",
     "program_id, member_id, year", NULL},
    {"tiers", "program_id, tier_index, name, threshold, multiplier_num, multiplier_den, perks",
     "titiiit", "program_id, tier_index", NULL},
    {"member_tiers", "program_id, member_id, tier_index, since_ms, review_month, grace", "ttiiii",
     "program_id, member_id", NULL},
    {"tier_metrics", "program_id, member_id, month, points, spend, purchases", "ttiiii",
     "program_id, member_id, month", NULL},
    {"tier_changes", "program_id, member_id, n, from_name, to_name, reason, metric_value, at_ms",
     "ttitttii", "program_id, member_id, n", NULL},
    {"stamp_cards",
     "program_id, id, name, status, stamps_required, stamps_per, conditions, items, document, "
     "reward_points, reward_id, valid_days, created_at_ms, updated_at_ms",
     "ttttittttitiii", "program_id, id", NULL},
    {"member_stamp_cards",
     "program_id, member_id, card_id, n, status, stamps, started_at_ms, expires_at_ms, "
     "completed_at_ms, reward_points, entry_id, stamps_returned, coupon_code",
     "tttitiiiiitit", "program_id, member_id, card_id, n", NULL},
    {"purchase_stamps",
     "program_id, member_id, purchase_id, card_id, stamps, stamps_removed, card_n, on_open, "
     "completed, completed_returned",
     "ttttiiiiii", "program_id, member_id, purchase_id, card_id", NULL},
    {"purchase_facts",
     "program_id, member_id, purchase_id, tier, attributes, birth_month, days_since_enrollment, "
     "purchase_count, city, country, codes, coupon_points, coupon_points_refunded, "
     "coupon_discount, coupon_lines",
     "tttttiiitttiiit", "program_id, member_id, purchase_id", NULL},
    {"purchase_payments",
     "program_id, member_id, purchase_id, position, method, amount, points, reference, "
     "wallet_debit_id, earns, refunded_amount, refunded_points",
     "tttitiittiii", "program_id, member_id, purchase_id, position", NULL},
    {"wallet_credits",
     "program_id, member_id, id, entry_id, source_id, amount, remaining, available_at_ms, "
     "created_at_ms",
     "tttttiiii", "program_id, member_id, id", NULL},
    {"wallet_debits",
     "program_id, member_id, id, amount, reason, external_id, status, entry_id, cancel_entry_id, "
     "created_at_ms, cancelled_at_ms",
     "tttitttttii", "program_id, member_id, id", NULL},
    {"wallet_debit_credits", "program_id, member_id, debit_id, credit_id, amount", "tttti",
     "program_id, member_id, debit_id, credit_id", NULL},
    {"referrals",
     "program_id, member_id, referrer_id, status, enrolled_at_ms, qualified_at_ms, "
     "rewarded_at_ms, reversed_at_ms, purchase_id, rewarded_month, referrer_points, "
     "referrer_wallet, referee_points, referee_wallet, referrer_credit_id, referee_credit_id, "
     "note",
     "ttttiiiitiiiiittt", "program_id, member_id", NULL},
    {"rewards",
     "program_id, id, name, description, terms, image_url, type, value, sku, cost_points, stock, "
     "issued, per_member_limit, valid_from_ms, valid_to_ms, tiers, coupon_valid_days, status, "
     "created_at_ms, updated_at_ms, combines, min_amount, skus, categories",
     "tttttttititiiiiitiiiiitt", "program_id, id", NULL},
    {"coupons",
     "program_id, code, member_id, reward_id, redemption_id, status, issued_at_ms, "
     "expires_at_ms, redeemed_at_ms, location, cancelled_at_ms, purchase_id, partner_code, "
     "source, source_id, source_ref, cancel_reason",
     "ttttttiiititttttt", "program_id, code", NULL},
    {"partner_vouchers", "program_id, reward_id, code, n, uploaded_at_ms, coupon_code", "tttiit",
     "program_id, reward_id, code", NULL},
    {"coupon_batches",
     "program_id, id, name, reward_id, type, value, sku, prefix, count, generated, uses_per_code, "
     "uses_per_member, valid_from_ms, valid_to_ms, status, error, created_at_ms, updated_at_ms, "
     "combines",
     "tttttittiiiiiittiii", "program_id, id", NULL},
    {"promo_codes", "program_id, code, batch_id, n, uses", "tttii", "code", NULL},
    {"promo_code_uses",
     "program_id, code, n, batch_id, member_id, purchase_id, location, used_at_ms", "ttitttti",
     "program_id, code, n", NULL},
    {"users", "program_id, id, email, name, role, status, created_at_ms, updated_at_ms", "ttttttii",
     "program_id, id", NULL},
    {"credentials",
     "program_id, subject_id, password_hash, failed_count, locked_until_ms, last_sign_in_at_ms, "
     "updated_at_ms",
     "tttiiii", "program_id, subject_id", NULL},
    {"sessions", "program_id, id, token_hash, kind, subject_id, created_at_ms, expires_at_ms",
     "ttbttii", "program_id, id", NULL},
    {"password_resets",
     "program_id, member_id, token_hash, created_at_ms, expires_at_ms, used_at_ms", "ttbiii",
     "program_id, member_id, token_hash", NULL},
    /* A copy's events come before any written on the target: the writing transactions'
     * ids of one engine mean nothing on the other, so they start again from 0 (oldest). */
    {"events", "seq, program_id, id, type, member_id, created_at_ms, payload, txid, ref_id",
     "ittttitit", "txid, seq",
     "seq, program_id, id, type, member_id, created_at_ms, payload, 0, ref_id"},
};

/* Bytes of one copied blob (hashes: 32). */
#define PT_COPY_BLOB_MAX 64

static enum pt_rc copy_table(struct pt_store_txn *src, struct pt_store_txn *dst,
                             const struct copy_table *t, int64_t *rows, struct pt_err *err)
{
    size_t ncols = strlen(t->kinds);
    struct pt_buf select;
    struct pt_buf insert;
    struct pt_q in;
    enum pt_rc rc;
    size_t i;
    char num[16];
    const char *c;
    size_t commas = 0;
    for (c = t->columns; *c != '\0'; c++) {
        commas += *c == ',';
    }
    pt_assert(commas + 1 == ncols); /* One kind per column. */
    pt_buf_init(&select, 4096);
    pt_buf_init(&insert, 4096);
    (void)pt_buf_append(&select, "SELECT ", 7);
    (void)pt_buf_append(&select, t->select ? t->select : t->columns,
                        strlen(t->select ? t->select : t->columns));
    (void)pt_buf_append(&select, " FROM ", 6);
    (void)pt_buf_append(&select, t->name, strlen(t->name));
    (void)pt_buf_append(&select, " ORDER BY ", 10);
    (void)pt_buf_append(&select, t->order_by, strlen(t->order_by));
    (void)pt_buf_append(&insert, "INSERT INTO ", 12);
    (void)pt_buf_append(&insert, t->name, strlen(t->name));
    (void)pt_buf_append(&insert, " (", 2);
    (void)pt_buf_append(&insert, t->columns, strlen(t->columns));
    (void)pt_buf_append(&insert, ") VALUES (", 10);
    for (i = 0; i < ncols; i++) {
        int n = snprintf(num, sizeof(num), "%s?%zu", i ? ", " : "", i + 1);
        (void)pt_buf_append(&insert, num, (size_t)n);
    }
    (void)pt_buf_append(&insert, ")", 2); /* With its NUL. */
    (void)pt_buf_append(&select, "", 1);
    if (select.failed || insert.failed) {
        pt_buf_fini(&select);
        pt_buf_fini(&insert);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open_dynamic(&in, src, select.ptr, err);
    while (pt_q_next(&in)) {
        /* One statement per row: its text is prepared once per table by the engine's own
         * statement handling, and values are bound by kind. */
        unsigned char blob[PT_COPY_BLOB_MAX];
        struct pt_q out;
        (void)pt_q_open_dynamic(&out, dst, insert.ptr, err);
        for (i = 0; i < ncols && out.rc == PT_OK; i++) {
            int col = (int)i;
            if (pt_q_col_is_null(&in, col)) {
                pt_q_null(&out, col + 1);
            } else if (t->kinds[i] == 'i') {
                pt_q_int(&out, col + 1, pt_q_col_int(&in, col));
            } else if (t->kinds[i] == 'b') {
                size_t len = pt_q_col_blob(&in, col, blob, sizeof(blob));
                pt_assert(len <= sizeof(blob));
                pt_q_blob(&out, col + 1, blob, len);
            } else {
                /* Borrowed until the insert runs, which is before the next step of in. */
                pt_q_text(&out, col + 1, pt_q_col_text_borrowed(&in, col));
            }
        }
        (void)pt_q_exec(&out);
        rc = pt_q_close(&out);
        if (rc != PT_OK) {
            in.rc = rc;
            break;
        }
        (*rows)++;
    }
    rc = pt_q_close(&in);
    pt_buf_fini(&select);
    pt_buf_fini(&insert);
    return rc;
}

enum pt_rc pt_store_copy_into(struct pt_store_txn *src, struct pt_store_txn *dst, int64_t *rows,
                              struct pt_err *err)
{
    int64_t programs = 0;
    enum pt_rc rc;
    size_t i;
    pt_assert(pt_store_txn_is_write(dst));
    *rows = 0;
    rc = pt_store_program_count(dst, &programs, err);
    if (rc == PT_OK && programs > 0) {
        return pt_err_set(err, PT_ECONFLICT, NULL,
                          "the target already holds %lld program(s); copy into an empty store",
                          (long long)programs);
    }
    for (i = 0; rc == PT_OK && i < sizeof(copy_tables) / sizeof(copy_tables[0]); i++) {
        rc = copy_table(src, dst, &copy_tables[i], rows, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_after_copy(dst, err);
    }
    return rc;
}
