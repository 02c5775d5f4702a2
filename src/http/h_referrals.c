/* SPDX-License-Identifier: MIT */
/*
 * Referrals (docs/referrals.md): the program setting `referrals` both ways (for
 * h_program.c), GET /v1/members/{id}/referrals, and the payload of referral events.
 */
#include "http/http_int.h"

#include "base/clock.h"

#include <string.h>

static json_t *side_json(int64_t points, int64_t wallet)
{
    return json_pack("{s:I,s:I}", "points", (json_int_t)points, "wallet", (json_int_t)wallet);
}

json_t *pt_http_referrals_json(const struct pt_referral_policy *p)
{
    if (!p->enabled) {
        return json_null();
    }
    return json_pack("{s:o,s:o,s:I,s:I,s:o}", "referrer",
                     side_json(p->referrer_points, p->referrer_wallet), "referee",
                     side_json(p->referee_points, p->referee_wallet), "min_amount",
                     (json_int_t)p->min_amount, "within_days", (json_int_t)p->within_days,
                     "max_per_referrer_per_month",
                     p->max_per_month > 0 ? json_integer(p->max_per_month) : json_null());
}

static enum pt_rc side_parse(json_t *v, const char *name, int64_t *points, int64_t *wallet,
                             struct pt_err *err)
{
    static const char *const fields[] = {"points", "wallet", NULL};
    char field[48];
    enum pt_rc rc;
    *points = 0;
    *wallet = 0;
    if (v == NULL) {
        return PT_OK;
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, name,
                          "%s is {\"points\": N} or {\"wallet\": minor units} (or both)", name);
    }
    rc = pt_json_check_fields(v, fields, err);
    (void)snprintf(field, sizeof(field), "%s.points", name);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "points", field, false, 0, PT_REFERRAL_POINTS_MAX, points, NULL,
                             err);
    }
    (void)snprintf(field, sizeof(field), "%s.wallet", name);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "wallet", field, false, 0, PT_AMOUNT_MAX, wallet, NULL, err);
    }
    return rc;
}

enum pt_rc pt_http_referrals_parse(json_t *v, struct pt_referral_policy *p, struct pt_err *err)
{
    static const char *const fields[] = {
        "referrer", "referee", "min_amount", "within_days", "max_per_referrer_per_month", NULL};
    json_t *max;
    enum pt_rc rc;
    memset(p, 0, sizeof(*p));
    if (json_is_null(v)) {
        return PT_OK; /* No referral rewards. */
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "referrals",
                          "referrals is null or {\"referrer\": {\"points\": 500}, \"referee\": "
                          "{\"points\": 200}, \"min_amount\": 2000, \"within_days\": 30}");
    }
    p->enabled = true;
    rc = pt_json_check_fields(v, fields, err);
    if (rc == PT_OK) {
        rc = side_parse(json_object_get(v, "referrer"), "referrals.referrer", &p->referrer_points,
                        &p->referrer_wallet, err);
    }
    if (rc == PT_OK) {
        rc = side_parse(json_object_get(v, "referee"), "referrals.referee", &p->referee_points,
                        &p->referee_wallet, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "min_amount", "referrals.min_amount", false, 0, PT_AMOUNT_MAX,
                             &p->min_amount, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "within_days", "referrals.within_days", true, 1,
                             PT_REFERRAL_DAYS_MAX, &p->within_days, NULL, err);
    }
    max = json_object_get(v, "max_per_referrer_per_month");
    if (rc == PT_OK && max != NULL && !json_is_null(max)) {
        rc =
            pt_json_get_int(v, "max_per_referrer_per_month", "referrals.max_per_referrer_per_month",
                            true, 1, PT_REFERRAL_PER_MONTH_MAX, &p->max_per_month, NULL, err);
    }
    if (rc == PT_OK &&
        p->referrer_points + p->referrer_wallet + p->referee_points + p->referee_wallet == 0) {
        rc = pt_err_set(err, PT_EINVAL, "referrals.referrer",
                        "referrals give something: points or wallet money to a side");
    }
    return rc;
}

json_t *pt_http_referral_json(const struct pt_referral *r)
{
    return json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "member_id", r->member_id, "referrer_id",
        r->referrer_id, "status", r->status, "enrolled_at", pt_json_time(r->enrolled_at_ms),
        "qualified_at", r->qualified_at_ms ? pt_json_time(r->qualified_at_ms) : json_null(),
        "rewarded_at", r->rewarded_at_ms ? pt_json_time(r->rewarded_at_ms) : json_null(),
        "reversed_at", r->reversed_at_ms ? pt_json_time(r->reversed_at_ms) : json_null(),
        "purchase_id", r->purchase_id[0] ? json_string(r->purchase_id) : json_null(),
        "referrer_reward", side_json(r->referrer_points, r->referrer_wallet), "referee_reward",
        side_json(r->referee_points, r->referee_wallet), "note", pt_json_string_or_null(r->note));
}

/* A referral as its referrer sees it: an invitation past its window is "expired". */
static json_t *listed_json(const struct pt_referral_view *v, const struct pt_referral *r)
{
    json_t *one = pt_http_referral_json(r);
    if (one != NULL && strcmp(r->status, "invited") == 0 && v->within_days > 0 &&
        v->now_ms > r->enrolled_at_ms + v->within_days * PT_DAY_MS) {
        (void)json_object_set_new(one, "status", json_string("expired"));
    }
    return one;
}

static json_t *referral_item_json(const void *item, const void *cls)
{
    return listed_json(cls, item);
}

json_t *pt_http_referral_view_json(const struct pt_referral_view *v)
{
    json_t *data = json_array();
    unsigned i;
    for (i = 0; i < v->count; i++) {
        (void)json_array_append_new(data, listed_json(v, &v->data[i]));
    }
    return json_pack("{s:s,s:s,s:o,s:o}", "member_id", v->member_id, "referral_code",
                     v->referral_code, "referred_by",
                     v->referred ? listed_json(v, &v->referred_by) : json_null(), "data", data);
}

void pt_h_member_referrals(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "mem",
                                             .item_bytes = sizeof(struct pt_referral),
                                             .key_offset = offsetof(struct pt_referral, member_id),
                                             .encode = referral_item_json};
    struct pt_http_page page;
    struct pt_referral_view v;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_member_referrals(ctx->svc, &ctx->who, ctx->params[0], page.cursor,
                                    page.limit + 1, &ctx->arena, &v, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list_in(ctx, &list, &page, v.data, v.count, &v,
                          json_pack("{s:s,s:s,s:o}", "member_id", v.member_id, "referral_code",
                                    v.referral_code, "referred_by",
                                    v.referred ? listed_json(&v, &v.referred_by) : json_null()));
}
