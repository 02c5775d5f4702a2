/* SPDX-License-Identifier: MIT */
/*
 * The route table (cf. Redis's command table): every endpoint of the API as data, the actions
 * (API.md) with the optional fields their body may hold. A test checks
 * that docs/openapi.yaml lists exactly these routes.
 */
#include "http/http_int.h"

const struct pt_route pt_routes[] = {
    {"GET", "/healthz", pt_h_healthz, PT_ROUTE_PUBLIC},
    {"GET", "/metrics", pt_h_metrics, PT_ROUTE_PUBLIC},
    {"POST", "/v1/api-keys", pt_h_key_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/api-keys", pt_h_key_list, PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_NO_VIEWER},
    {"DELETE", "/v1/api-keys/{id}", pt_h_key_delete, PT_ROUTE_ADMIN},
    {"POST", "/v1/members", pt_h_member_create, PT_ROUTE_BODY},
    {"GET", "/v1/members", pt_h_member_list, PT_ROUTE_QUERY},
    {"GET", "/v1/members/{id}", pt_h_member_get, PT_ROUTE_MEMBER_SELF},
    {"PATCH", "/v1/members/{id}", pt_h_member_patch, PT_ROUTE_BODY | PT_ROUTE_MEMBER_SELF},
    {"POST", "/v1/members/{id}/reopen", pt_h_member_reopen, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"GET", "/v1/members/{id}/balance", pt_h_balance_get, PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/ledger", pt_h_ledger_list, PT_ROUTE_QUERY | PT_ROUTE_MEMBER_SELF},
    {"POST", "/v1/members/{id}/redemptions", pt_h_redemption_create, PT_ROUTE_BODY},
    {"POST", "/v1/members/{id}/adjustments", pt_h_adjustment_create, PT_ROUTE_BODY},
    {"GET", "/v1/program", pt_h_program_get, PT_ROUTE_ADMIN},
    {"PATCH", "/v1/program", pt_h_program_patch, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/transactions", pt_h_purchase_create, PT_ROUTE_BODY},
    {"POST", "/v1/transactions/{id}/returns", pt_h_return_create, PT_ROUTE_BODY},
    {"POST", "/v1/redemptions/{id}/cancel", pt_h_redemption_cancel, PT_ROUTE_ACTION},
    {"POST", "/v1/transfers", pt_h_transfer_create, PT_ROUTE_BODY},
    {"POST", "/v1/jobs/expire", pt_h_expire_run, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"GET", "/v1/events", pt_h_event_list, PT_ROUTE_QUERY},
    {"PUT", "/v1/test/clock", pt_h_test_clock_set, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/rules", pt_h_rule_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/rules/simulate", pt_h_rule_simulate,
     PT_ROUTE_ADMIN | PT_ROUTE_BODY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/rules", pt_h_rule_list, PT_ROUTE_ADMIN | PT_ROUTE_QUERY},
    {"GET", "/v1/rules/{id}", pt_h_rule_get, PT_ROUTE_ADMIN},
    {"PATCH", "/v1/rules/{id}", pt_h_rule_patch, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/rules/{id}/activate", pt_h_rule_activate, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"POST", "/v1/rules/{id}/pause", pt_h_rule_pause, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"POST", "/v1/rules/{id}/archive", pt_h_rule_archive, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"GET", "/v1/rules/{id}/versions", pt_h_rule_versions, PT_ROUTE_ADMIN | PT_ROUTE_QUERY},
    {"POST", "/v1/carts/evaluate", pt_h_cart_evaluate,
     PT_ROUTE_BODY | PT_ROUTE_EXPENSIVE | PT_ROUTE_PUBLISHABLE},
    {"POST", "/v1/activities", pt_h_activity_create, PT_ROUTE_BODY},
    {"POST", "/v1/jobs/birthdays", pt_h_birthdays_run, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"GET", "/v1/members/{id}/tier", pt_h_member_tier_get, PT_ROUTE_MEMBER_SELF},
    {"POST", "/v1/jobs/tier-reviews", pt_h_tier_reviews_run, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"POST", "/v1/stamp-cards", pt_h_stamp_card_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/stamp-cards", pt_h_stamp_card_list, PT_ROUTE_ADMIN | PT_ROUTE_QUERY},
    {"GET", "/v1/stamp-cards/{id}", pt_h_stamp_card_get, PT_ROUTE_ADMIN},
    {"PATCH", "/v1/stamp-cards/{id}", pt_h_stamp_card_patch, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/members/{id}/stamp-cards", pt_h_member_stamp_cards, PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/wallet", pt_h_wallet_get, PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/referrals", pt_h_member_referrals,
     PT_ROUTE_QUERY | PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/card/qr.svg", pt_h_member_card_qr, PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/card/barcode.svg", pt_h_member_card_barcode, PT_ROUTE_MEMBER_SELF},
    {"POST", "/v1/rewards", pt_h_reward_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/rewards", pt_h_reward_list, PT_ROUTE_QUERY | PT_ROUTE_MEMBER},
    {"GET", "/v1/rewards/{id}", pt_h_reward_get, PT_ROUTE_MEMBER},
    {"PATCH", "/v1/rewards/{id}", pt_h_reward_patch, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/rewards/{id}/vouchers", pt_h_vouchers_add, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/rewards/{id}/vouchers", pt_h_vouchers_get, PT_ROUTE_ADMIN},
    {"POST", "/v1/members/{id}/rewards/{reward_id}/redeem", pt_h_reward_redeem,
     PT_ROUTE_ACTION | PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/coupons/{code}", pt_h_coupon_get, PT_ROUTE_MEMBER},
    {"POST", "/v1/coupons/{code}/redeem", pt_h_coupon_redeem, PT_ROUTE_ACTION},
    {"POST", "/v1/coupons/{code}/cancel", pt_h_coupon_cancel, PT_ROUTE_ACTION},
    {"GET", "/v1/coupons/{code}/qr.svg", pt_h_coupon_qr, PT_ROUTE_MEMBER},
    {"GET", "/v1/coupons/{code}/qr.png", pt_h_coupon_qr_png, PT_ROUTE_MEMBER},
    {"GET", "/v1/coupons/{code}/barcode.svg", pt_h_coupon_barcode, PT_ROUTE_MEMBER},
    {"POST", "/v1/coupon-batches", pt_h_batch_create,
     PT_ROUTE_ADMIN | PT_ROUTE_BODY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/coupon-batches", pt_h_batch_list, PT_ROUTE_ADMIN | PT_ROUTE_QUERY},
    {"GET", "/v1/coupon-batches/{id}", pt_h_batch_get, PT_ROUTE_ADMIN},
    {"GET", "/v1/coupon-batches/{id}/codes.csv", pt_h_batch_codes,
     PT_ROUTE_ADMIN | PT_ROUTE_EXPENSIVE | PT_ROUTE_NO_VIEWER},
    {"POST", "/v1/members/{id}/wallet/debits", pt_h_wallet_debit_create, PT_ROUTE_BODY},
    {"POST", "/v1/wallet-debits/{id}/cancel", pt_h_wallet_debit_cancel, PT_ROUTE_ACTION},
    /* Users and sessions (issue 19; docs/security.md, "Sessions"). */
    {"POST", "/v1/users", pt_h_user_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY | PT_ROUTE_NO_VIEWER},
    {"GET", "/v1/users", pt_h_user_list, PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_NO_VIEWER},
    {"GET", "/v1/users/{id}", pt_h_user_get, PT_ROUTE_ADMIN | PT_ROUTE_NO_VIEWER},
    {"PATCH", "/v1/users/{id}", pt_h_user_patch,
     PT_ROUTE_ADMIN | PT_ROUTE_BODY | PT_ROUTE_NO_VIEWER},
    {"POST", "/v1/sessions", pt_h_session_create,
     PT_ROUTE_PUBLIC | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    {"GET", "/v1/sessions/current", pt_h_session_get, PT_ROUTE_SESSION},
    {"DELETE", "/v1/sessions/current", pt_h_session_delete, PT_ROUTE_SESSION},
    {"POST", "/v1/sessions/current/password", pt_h_session_password,
     PT_ROUTE_SESSION | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    {"POST", "/v1/portal/sign-up", pt_h_portal_sign_up,
     PT_ROUTE_PUBLIC | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    {"POST", "/v1/portal/sessions", pt_h_portal_session_create,
     PT_ROUTE_PUBLIC | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    {"POST", "/v1/portal/password-resets", pt_h_portal_reset_request,
     PT_ROUTE_PUBLIC | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    {"POST", "/v1/portal/password-resets/confirm", pt_h_portal_reset_confirm,
     PT_ROUTE_PUBLIC | PT_ROUTE_BODY | PT_ROUTE_SIGN_IN},
    /* The dashboard's figures (issue 19): a read of the whole program, so expensive. */
    {"GET", "/v1/program/summary", pt_h_program_summary,
     PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_EXPENSIVE},
    /* RFM (issue 20; docs/analytics.md, "RFM"): business data, admin and viewer; every
     * purchasing member read and scored, so expensive. */
    {"GET", "/v1/analytics/rfm", pt_h_rfm_list,
     PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/analytics/rfm/segments", pt_h_rfm_segments,
     PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/members/{id}/rfm", pt_h_member_rfm,
     PT_ROUTE_ADMIN | PT_ROUTE_QUERY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/transactions/{id}", pt_h_purchase_get, 0},
    {"GET", "/v1/members/{id}/purchases", pt_h_member_purchases,
     PT_ROUTE_QUERY | PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/coupons", pt_h_member_coupons, PT_ROUTE_QUERY | PT_ROUTE_MEMBER_SELF},
    {"GET", "/v1/members/{id}/export", pt_h_member_export,
     PT_ROUTE_ADMIN | PT_ROUTE_EXPENSIVE | PT_ROUTE_MEMBER_SELF | PT_ROUTE_NO_VIEWER},
    {"POST", "/v1/members/{id}/erase", pt_h_member_erase, PT_ROUTE_ADMIN | PT_ROUTE_ACTION},
    {"GET", "/v1/public/program", pt_h_public_program,
     PT_ROUTE_PUBLIC | PT_ROUTE_QUERY | PT_ROUTE_PUBLISHABLE},
    /* The embed (issue 19, points beside the price in a web shop). */
    {"POST", "/v1/embed/signing-secret", pt_h_embed_secret_draw,
     PT_ROUTE_ADMIN | PT_ROUTE_ACTION | PT_ROUTE_NO_VIEWER},
    {"GET", "/v1/embed/member", pt_h_embed_member, PT_ROUTE_PUBLISHABLE},
    /* Customer lifetime value (issue 20): a fit reads the whole program, so expensive; the
     * model and a member's value are reads for admins and viewers. */
    {"POST", "/v1/analytics/clv/fit", pt_h_clv_fit,
     PT_ROUTE_ADMIN | PT_ROUTE_BODY | PT_ROUTE_EXPENSIVE},
    {"GET", "/v1/analytics/clv", pt_h_clv_get, PT_ROUTE_ADMIN},
    {"GET", "/v1/members/{id}/value", pt_h_member_value, PT_ROUTE_ADMIN | PT_ROUTE_QUERY},
    {"POST", "/v1/inquiries", pt_h_inquiry_create, PT_ROUTE_BODY | PT_ROUTE_MEMBER},
    {"GET", "/v1/inquiries", pt_h_inquiry_list, PT_ROUTE_QUERY | PT_ROUTE_MEMBER},
    {"GET", "/v1/inquiries/{id}", pt_h_inquiry_get, PT_ROUTE_MEMBER},
    {"PATCH", "/v1/inquiries/{id}", pt_h_inquiry_patch, PT_ROUTE_BODY},
    {"POST", "/v1/inquiries/{id}/replies", pt_h_inquiry_reply, PT_ROUTE_BODY | PT_ROUTE_MEMBER},
    {"POST", "/v1/members/{id}/notes", pt_h_note_create, PT_ROUTE_BODY},
    {"GET", "/v1/members/{id}/notes", pt_h_note_list, PT_ROUTE_QUERY},
    /* Surveys (issue 20; docs/crm.md): admins write them; every key reads them, a member's
     * session the active ones; a key (for a member) or a member's session (for itself) answers;
     * the results are for admins and viewers. */
    {"POST", "/v1/surveys", pt_h_survey_create, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"GET", "/v1/surveys", pt_h_survey_list, PT_ROUTE_QUERY | PT_ROUTE_MEMBER},
    {"GET", "/v1/surveys/{id}", pt_h_survey_get, PT_ROUTE_MEMBER},
    {"PATCH", "/v1/surveys/{id}", pt_h_survey_patch, PT_ROUTE_ADMIN | PT_ROUTE_BODY},
    {"POST", "/v1/surveys/{id}/responses", pt_h_survey_respond, PT_ROUTE_BODY | PT_ROUTE_MEMBER},
    {"GET", "/v1/surveys/{id}/results", pt_h_survey_results, PT_ROUTE_ADMIN},
};

const unsigned pt_route_count = sizeof(pt_routes) / sizeof(pt_routes[0]);
/* Metrics keep a row per route: a new route past the bound fails the build, not GET /metrics. */
_Static_assert(sizeof(pt_routes) / sizeof(pt_routes[0]) <= PT_HTTP_ROUTES_MAX, "raise the bound");

/* The actions that take optional fields (PT_ROUTE_ACTION), by handler; the others take none. */
static const char *const cancel_fields[] = {"reason", NULL};
static const char *const till_fields[] = {"location", "member_id", NULL};
static const struct {
    pt_http_handler_fn handler;
    const char *const *fields;
} action_fields[] = {
    {pt_h_redemption_cancel, cancel_fields},
    {pt_h_coupon_cancel, cancel_fields},
    {pt_h_wallet_debit_cancel, cancel_fields},
    {pt_h_coupon_redeem, till_fields},
};

const char *const *pt_route_action_fields(const struct pt_route *route)
{
    static const char *const none[] = {NULL};
    size_t i;
    for (i = 0; i < sizeof(action_fields) / sizeof(action_fields[0]); i++) {
        if (action_fields[i].handler == route->handler) {
            return action_fields[i].fields;
        }
    }
    return none;
}
