/* SPDX-License-Identifier: MIT */
/*
 * The embed's routes (docs/web.md, "The publishable key and the member token"): POST
 * /v1/embed/signing-secret (admin; draws the program's signing secret and shows it this once)
 * and GET /v1/embed/member (a publishable key with the shop's signed member token in
 * X-Patron-Member-Token: the member's points available and tier name, nothing personal).
 */
#include "http/http_int.h"

#include "base/random.h"

#include <string.h>

void pt_h_embed_secret_draw(struct pt_http_ctx *ctx)
{
    struct pt_embed_secret secret;
    struct pt_err err;
    json_t *out;
    pt_err_clear(&err);
    if (pt_service_embed_secret_draw(ctx->svc, &ctx->who, &secret, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    out = json_pack("{s:s,s:s,s:o}", "secret", secret.hex, "algorithm", "HMAC-SHA256", "created_at",
                    pt_json_time(secret.created_at_ms));
    pt_secret_wipe(secret.hex, sizeof(secret.hex));
    /* The answer holds it once more, until sent; nothing logs an answer's body. */
    pt_http_reply_json(ctx, 201, out);
}

void pt_h_embed_member(struct pt_http_ctx *ctx)
{
    const char *token = pt_http_header(ctx, "X-Patron-Member-Token");
    struct pt_embed_member member;
    struct pt_err err;
    pt_err_clear(&err);
    if (token == NULL) {
        pt_http_reply_error(ctx, 401, "invalid_member_token", NULL,
                            "send the shop's signed member token as X-Patron-Member-Token");
        return;
    }
    if (pt_service_embed_member(ctx->svc, &ctx->who, token, strlen(token), &ctx->arena, &member,
                                &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(
        ctx, 200,
        json_pack("{s:s,s:I,s:o,s:s}", "member_id", member.member_id, "points_available",
                  (json_int_t)member.points_available, "tier",
                  member.tier != NULL ? json_pack("{s:s}", "name", member.tier) : json_null(),
                  "currency", member.currency));
}
