/* SPDX-License-Identifier: MIT */
/*
 * Wallets (docs/wallets.md): GET /v1/members/{id}/wallet, POST /v1/members/{id}/wallet/debits
 * (spend at checkout; idempotent), POST /v1/wallet-debits/{id}/cancel, and the payloads of
 * the wallet's events. Money is in minor units of the program's currency.
 */
#include "http/http_int.h"

#include "base/alloc.h"

#include <string.h>

json_t *pt_http_wallet_json(const struct pt_wallet *w)
{
    json_t *root = json_pack(
        "{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "member_id", w->member_id, "currency", w->currency,
        "balance", (json_int_t)w->balance, "available", (json_int_t)w->available, "pending",
        (json_int_t)w->pending, "owed", (json_int_t)w->owed, "lifetime_credited",
        (json_int_t)w->lifetime_credited, "lifetime_spent", (json_int_t)w->lifetime_spent);
    unsigned i;
    if (root != NULL && w->lines != NULL) {
        json_t *lines = json_array();
        for (i = 0; i < w->line_count; i++) {
            const struct pt_ledger_line *l = &w->lines[i];
            (void)json_array_append_new(
                lines, json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:o}", "entry_id", l->entry_id, "type",
                                 l->type, "amount", (json_int_t)l->points, "balance_after",
                                 (json_int_t)l->balance_after, "reference",
                                 pt_json_string_or_null(l->reference), "reason",
                                 pt_json_string_or_null(l->reason), "created_at",
                                 pt_json_time(l->created_at_ms)));
        }
        (void)json_object_set_new(root, "movements", lines);
    }
    return root;
}

json_t *pt_http_wallet_debit_json(const struct pt_wallet_debit_result *r)
{
    const struct pt_wallet_debit *d = &r->debit;
    return json_pack(
        "{s:s,s:s,s:I,s:o,s:o,s:s,s:o,s:o,s:o,s:o}", "id", d->id, "member_id", d->member_id,
        "amount", (json_int_t)d->amount, "reason", pt_json_string_or_null(d->reason), "external_id",
        pt_json_string_or_null(d->external_id), "status", d->cancelled ? "cancelled" : "completed",
        "created_at", pt_json_time(d->created_at_ms), "cancelled_at",
        d->cancelled ? pt_json_time(d->cancelled_at_ms) : json_null(), "cancel_reason",
        pt_json_string_or_null(d->cancel_reason), "wallet", pt_http_wallet_json(&r->wallet));
}

json_t *pt_http_wallet_event_json(const struct pt_wallet_event *e)
{
    return json_pack("{s:s,s:s,s:o,s:I,s:I,s:o,s:s}", "member_id", e->member_id, "type", e->type,
                     "reference", pt_json_string_or_null(e->reference), "amount",
                     (json_int_t)e->amount, "owed", (json_int_t)e->owed, "available_at",
                     e->available_at_ms ? pt_json_time(e->available_at_ms) : json_null(),
                     "entry_id", e->entry_id);
}

static enum pt_rc encode_debit(const void *obj, struct pt_arena *arena, const char **json,
                               struct pt_err *err)
{
    return pt_json_dump_arena(pt_http_wallet_debit_json(obj), arena, json, err);
}

void pt_h_wallet_get(struct pt_http_ctx *ctx)
{
    struct pt_wallet w;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_wallet(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &w, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_wallet_json(&w));
}

void pt_h_wallet_debit_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"amount", "reason", "external_id", NULL};
    struct pt_wallet_debit_request req;
    struct pt_wallet_debit_result result;
    struct pt_idem idem;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    memset(&req, 0, sizeof(req));
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "amount", "amount", true, 1, PT_AMOUNT_MAX, &req.amount, NULL,
                             &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "reason", false, &ctx->arena, &req.reason, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "external_id", false, &ctx->arena, &req.external_id, &err);
    }
    json_decref(body);
    if (rc == PT_OK && !pt_http_idem_setup(ctx, &idem, encode_debit)) {
        return;
    }
    if (rc == PT_OK) {
        rc = pt_service_wallet_debit(ctx->svc, &ctx->who, ctx->params[0], &req, &idem, &ctx->arena,
                                     &result, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_written(ctx, &idem, encode_debit, &result, 201);
}

void pt_h_wallet_debit_cancel(struct pt_http_ctx *ctx)
{
    struct pt_wallet_debit_result result;
    struct pt_err err;
    const char *reason = NULL;
    pt_err_clear(&err);
    if (pt_json_get_string(ctx->action, "reason", false, &ctx->arena, &reason, &err) != PT_OK ||
        pt_service_wallet_debit_cancel(ctx->svc, &ctx->who, ctx->params[0], reason, &ctx->arena,
                                       &result, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_written(ctx, NULL, encode_debit, &result, 200);
}
