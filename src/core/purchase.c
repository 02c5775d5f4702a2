/* SPDX-License-Identifier: MIT */
/*
 * Purchases and returns (purchase.h): the checks of a purchase against its program and its
 * eligible amount, what a return takes back of its items and amounts, and the return window.
 * Pure: the caller passes now_ms.
 */
#include "core/purchase.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/names.h"
#include "core/ledger.h"
#include "core/program.h"

#include <string.h>

const char *const pt_purchase_status_names[PT_PURCHASE_STATUSES] = {
    [PT_PURCHASE_COMPLETED] = "completed",
    [PT_PURCHASE_PARTIALLY_RETURNED] = "partially_returned",
    [PT_PURCHASE_RETURNED] = "returned",
};

/* Validates the purchase against the program and computes its eligible amount. */
enum pt_rc pt_purchase_check(const struct pt_program *program, struct pt_purchase *p,
                             int64_t now_ms, struct pt_err *err)
{
    int64_t sum = 0;
    int64_t eligible = 0;
    unsigned i;
    if (strcmp(p->currency, program->currency) != 0) {
        return pt_err_set(err, PT_EINVAL, "currency", "currency must be the program's (%s)",
                          program->currency);
    }
    if (p->occurred_at_ms > now_ms + PT_CLOCK_SKEW_MS) {
        return pt_err_set(err, PT_EINVAL, "occurred_at", "occurred_at must not be in the future");
    }
    for (i = 0; i < p->item_count; i++) {
        struct pt_purchase_item *it = &p->items[i];
        int64_t line;
        if (__builtin_mul_overflow(it->quantity, it->unit_price, &line) ||
            __builtin_add_overflow(sum, line, &sum)) {
            return pt_err_set(err, PT_EINVAL, "items", "items add up beyond the amount limit");
        }
        it->eligible = !pt_purchase_category_excluded(program, it->category);
        if (it->eligible) {
            eligible += line;
        }
    }
    if (p->item_count > 0 && sum != p->amount) {
        return pt_err_set(err, PT_EINVAL, "items", "items add up to %lld but amount is %lld",
                          (long long)sum, (long long)p->amount);
    }
    p->eligible_amount = p->item_count > 0 ? eligible : p->amount;
    pt_assert(p->eligible_amount <= p->amount);
    return PT_OK;
}

bool pt_purchase_category_excluded(const struct pt_program *program, const char *category)
{
    return pt_name_index(program->excluded_categories, program->excluded_category_count,
                         category) >= 0;
}

int64_t pt_purchase_spend(const struct pt_program *program, const struct pt_purchase *p)
{
    pt_assert(p->discount >= 0 && p->discount <= p->amount);
    return program->spend_before_discounts ? p->amount : p->amount - p->discount;
}

enum pt_rc pt_return_spend(struct pt_purchase *p, int64_t amount_now, int64_t *out,
                           struct pt_err *err)
{
    int64_t before = 0;
    int64_t after = 0;
    enum pt_rc rc;
    pt_assert(amount_now >= 0 && amount_now <= p->returned_amount);
    pt_assert(p->returned_amount <= p->amount && p->spend >= 0 && p->spend <= p->amount);
    *out = 0;
    if (p->amount == 0) {
        return PT_OK;
    }
    rc = pt_mul_div_floor(p->returned_amount - amount_now, p->spend, p->amount, &before, err);
    if (rc == PT_OK) {
        rc = pt_mul_div_floor(p->returned_amount, p->spend, p->amount, &after, err);
    }
    *out = after - before;
    p->spend_returned += *out;
    pt_assert(rc != PT_OK || p->spend_returned <= p->spend);
    return rc;
}

/* Works out the amount and the eligible amount returned now, updating the purchase's returned
 * quantities. PT_ELIMIT return_exceeds_purchase; PT_EINVAL for an unknown sku. */
enum pt_rc pt_return_amounts(struct pt_purchase *p, const struct pt_return_request *req,
                             int64_t *amount_now, int64_t *eligible_now, struct pt_err *err)
{
    unsigned i;
    *amount_now = 0;
    *eligible_now = 0;
    if (req->items == NULL) {
        int64_t after = 0;
        enum pt_rc rc;
        if (req->amount > p->amount - p->returned_amount) {
            goto exceeds;
        }
        *amount_now = req->amount;
        /* Cumulative proportion of the eligible amount: exact once everything is returned.
         * Returns by items before may have taken more or less than that proportion: this one
         * takes what brings the total to it, within what is left (all of it at the end). */
        rc = pt_mul_div_floor(p->returned_amount + req->amount, p->eligible_amount, p->amount,
                              &after, err);
        if (p->returned_amount + req->amount == p->amount) {
            after = p->eligible_amount;
        }
        *eligible_now = after > p->returned_eligible ? after - p->returned_eligible : 0;
        return rc;
    }
    for (i = 0; i < req->item_count; i++) {
        const struct pt_purchase_item *want = &req->items[i];
        int64_t left = want->quantity;
        unsigned j;
        for (j = 0; j < p->item_count && left > 0; j++) {
            struct pt_purchase_item *have = &p->items[j];
            int64_t take = have->quantity - have->returned_quantity;
            if (strcmp(have->sku, want->sku) != 0 || take <= 0) {
                continue;
            }
            take = take < left ? take : left;
            have->returned_quantity += take;
            left -= take;
            *amount_now += take * have->unit_price;
            *eligible_now += have->eligible ? take * have->unit_price : 0;
        }
        if (left > 0) {
            goto exceeds;
        }
    }
    if (*amount_now > p->amount - p->returned_amount) {
        goto exceeds;
    }
    return PT_OK;
exceeds:
    (void)pt_err_set(err, PT_ELIMIT, req->items ? "items" : "amount",
                     "the returns would exceed what was bought");
    return pt_err_code(err, "return_exceeds_purchase");
}

int64_t pt_return_due(int64_t given, int64_t kept, int64_t taken)
{
    int64_t due;
    pt_assert(given >= 0 && taken >= 0 && taken <= given);
    kept = kept < 0 ? 0 : kept;
    due = kept < given ? given - kept : 0;
    return due > taken ? due - taken : 0;
}

int64_t pt_return_points_kept(int64_t base_and_tier, const int64_t *rule_kept,
                              const int64_t *rule_given, unsigned n)
{
    /* Each term is bounded by what one purchase may earn (PT_POINTS_MAX), n by the rules one
     * evaluation takes: the sum cannot overflow. */
    int64_t kept = base_and_tier;
    unsigned i;
    for (i = 0; i < n; i++) {
        kept += rule_kept[i] < rule_given[i] ? rule_kept[i] : rule_given[i];
    }
    return kept;
}

enum pt_rc pt_return_window_check(const struct pt_program *program, int64_t occurred_at_ms,
                                  int64_t now_ms, struct pt_err *err)
{
    pt_assert(program->return_days >= 0);
    pt_assert(program->return_days <= PT_RETURN_DAYS_MAX);
    if (program->return_days == 0 || now_ms < occurred_at_ms + program->return_days * PT_DAY_MS) {
        return PT_OK;
    }
    (void)pt_err_set(err, PT_ELIMIT, NULL,
                     "the purchase can no longer be returned: the program's return window is %lld "
                     "days",
                     (long long)program->return_days);
    return pt_err_code(err, "return_window_closed");
}

enum pt_purchase_status pt_purchase_status_of(int64_t amount, int64_t returned_amount)
{
    pt_assert(returned_amount >= 0);
    pt_assert(returned_amount <= amount);
    if (returned_amount == 0) {
        return PT_PURCHASE_COMPLETED;
    }
    return returned_amount < amount ? PT_PURCHASE_PARTIALLY_RETURNED : PT_PURCHASE_RETURNED;
}

enum pt_rc pt_external_id_taken(const char *what, struct pt_err *err)
{
    (void)pt_err_set(err, PT_ECONFLICT, "external_id", "%s with this external_id already exists",
                     what);
    return pt_err_code(err, "idempotency_conflict");
}

enum pt_rc pt_purchase_not_found(const char *purchase_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no purchase %s", purchase_id);
}

int64_t pt_purchase_kept_value(int64_t amount, int64_t discount, int64_t returned)
{
    __extension__ typedef __int128 wide_int; /* Two amounts' product. */
    int64_t paid;
    /* Read from the store: a row out of its bounds is clamped into them, never trusted to
     * divide or multiply by. */
    if (amount <= 0) {
        return 0;
    }
    discount = discount < 0 ? 0 : discount > amount ? amount : discount;
    returned = returned < 0 ? 0 : returned > amount ? amount : returned;
    paid = amount - discount;
    return paid - (int64_t)((wide_int)returned * paid / amount);
}
