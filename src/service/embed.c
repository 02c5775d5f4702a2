/* SPDX-License-Identifier: MIT */
/*
 * The embed (docs/web.md, "The publishable key and the member token"): the program's signing
 * secret, drawn by an admin and shown once, and the member a shop's signed token names, shown
 * to a publishable key as its points and tier only. The secret is read from the store for each
 * token (one primary-key row), so that a new one applies at once on every node; it never
 * leaves this file but in the answer that draws it.
 */
#include "service/service_int.h"

#include "base/random.h"
#include "core/embed.h"

#include <stdio.h>
#include <string.h>

struct secret_draw_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    uint8_t secret[PT_EMBED_SECRET_BYTES];
};

static enum pt_rc secret_draw_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct secret_draw_ctx *ctx = (struct secret_draw_ctx *)w;
    return pt_store_embed_secret_put(w->txn, w->who->program_id, ctx->secret, w->now_ms, err);
}

static const struct pt_write_case secret_draw_case = {
    .name = "embed_secret_draw",
    .body = secret_draw_body,
};

enum pt_rc pt_service_embed_secret_draw(struct pt_service *svc, const struct pt_principal *who,
                                        struct pt_embed_secret *out, struct pt_err *err)
{
    static const char digits[] = "0123456789abcdef";
    struct secret_draw_ctx ctx;
    enum pt_rc rc;
    size_t i;
    memset(&ctx, 0, sizeof(ctx));
    pt_svc_write_init(&ctx.w, svc, who, NULL, NULL); /* Drawing allocates nothing. */
    pt_random_bytes(ctx.secret, sizeof(ctx.secret));
    rc = pt_svc_write(&ctx.w, &secret_draw_case, err);
    if (rc == PT_OK) {
        for (i = 0; i < sizeof(ctx.secret); i++) {
            out->hex[2 * i] = digits[ctx.secret[i] >> 4];
            out->hex[2 * i + 1] = digits[ctx.secret[i] & 15];
        }
        out->hex[2 * sizeof(ctx.secret)] = '\0';
        out->created_at_ms = ctx.w.now_ms;
    }
    pt_secret_wipe(ctx.secret, sizeof(ctx.secret));
    return rc;
}

/* The refusal of a token whose signature or member does not hold. */
static enum pt_rc token_refused(struct pt_err *err, const char *why)
{
    (void)pt_err_set(err, PT_EAUTH, NULL, "the member token %s", why);
    return pt_err_code(err, "invalid_member_token");
}

/* The token's member in the read txn: verified against the program's secret, then loaded. */
static enum pt_rc embed_member_read(struct pt_service *svc, struct pt_store_txn *txn,
                                    const struct pt_principal *who, const char *token, size_t len,
                                    struct pt_arena *arena, struct pt_embed_member *out,
                                    struct pt_err *err)
{
    uint8_t secret[PT_EMBED_SECRET_BYTES];
    struct pt_embed_claim claim;
    struct pt_member member;
    struct pt_program program;
    struct pt_balance balance;
    struct pt_tier_state state;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    bool found = false;
    enum pt_rc rc = pt_store_embed_secret_get(txn, who->program_id, secret, &found, err);
    if (rc == PT_OK && !found) {
        return token_refused(err, "cannot be checked: the program has no embed secret yet "
                                  "(POST /v1/embed/signing-secret)");
    }
    if (rc == PT_OK) {
        rc = pt_embed_token_verify(secret, token, len, now_ms, &claim, err);
    }
    pt_secret_wipe(secret, sizeof(secret));
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, who->program_id, claim.member_id, arena, &member, &program,
                                err);
        if (rc == PT_ENOTFOUND || (rc == PT_OK && pt_member_is_closed(&member))) {
            return token_refused(err, "names no open member of this program");
        }
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, member.id, now_ms, arena, &balance, err);
    }
    if (rc == PT_OK && program.tiers.metric != PT_TIER_METRIC_NONE && program.tiers.count > 0) {
        rc = pt_svc_tier_state(txn, &program, &member, &state, err);
        if (rc == PT_OK && state.position < program.tiers.count) { /* Clamped: it is. */
            out->tier = program.tiers.tiers[state.position].name;
        }
    }
    if (rc == PT_OK) {
        (void)snprintf(out->member_id, sizeof(out->member_id), "%s", member.id);
        (void)snprintf(out->currency, sizeof(out->currency), "%s", program.currency);
        out->points_available = balance.available;
    }
    return rc;
}

enum pt_rc pt_service_embed_member(struct pt_service *svc, const struct pt_principal *who,
                                   const char *token, size_t len, struct pt_arena *arena,
                                   struct pt_embed_member *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = embed_member_read(svc, txn, who, token, len, arena, out, err);
    return pt_svc_read_end(txn, arena, rc, err);
}
