/* SPDX-License-Identifier: MIT */
/*
 * Partner voucher pools (docs/rewards.md): the partner's codes uploaded for a partner_voucher
 * reward, and how many are left. A code is drawn from the pool when the reward is redeemed
 * (rewards.c); the pool is the reward's stock.
 */
#include "service/service_int.h"

#include <string.h>

struct vouchers_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *reward_id;
    const char *const *codes;
    unsigned count;
    struct pt_voucher_pool *out;
};

static enum pt_rc vouchers_load(struct pt_store_txn *txn, const char *program_id,
                                const char *reward_id, struct pt_arena *arena,
                                struct pt_voucher_pool *out, struct pt_err *err)
{
    struct pt_reward r;
    enum pt_rc rc = pt_store_reward_get(txn, program_id, reward_id, arena, &r, err);
    if (rc == PT_OK && r.type != PT_REWARD_PARTNER_VOUCHER) {
        (void)pt_err_set(err, PT_ELIMIT, NULL, "reward %s is not a partner_voucher reward",
                         reward_id);
        return pt_err_code(err, "not_partner_voucher");
    }
    if (rc == PT_OK) {
        memcpy(out->reward_id, r.id, sizeof(out->reward_id));
        rc = pt_store_vouchers_count(txn, program_id, r.id, &out->codes, &out->free_codes, err);
    }
    return rc;
}

static enum pt_rc vouchers_add_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct vouchers_ctx *ctx = (struct vouchers_ctx *)w;
    enum pt_rc rc =
        vouchers_load(w->txn, w->who->program_id, ctx->reward_id, w->arena, ctx->out, err);
    if (rc == PT_OK) {
        rc = pt_store_vouchers_add(w->txn, w->who->program_id, ctx->reward_id, ctx->codes,
                                   ctx->count, w->now_ms, &ctx->out->added, err);
    }
    if (rc == PT_OK) {
        ctx->out->codes += ctx->out->added;
        ctx->out->free_codes += ctx->out->added;
    }
    return rc;
}

static const struct pt_write_case vouchers_add_case = {
    .name = "vouchers_add",
    .body = vouchers_add_body,
};

enum pt_rc pt_service_vouchers_add(struct pt_service *svc, const struct pt_principal *who,
                                   const char *reward_id, const char *const *codes, unsigned count,
                                   struct pt_arena *arena, struct pt_voucher_pool *out,
                                   struct pt_err *err)
{
    struct vouchers_ctx ctx = {.reward_id = reward_id, .codes = codes, .count = count, .out = out};
    unsigned i;
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    if (count == 0 || count > PT_VOUCHERS_PER_UPLOAD_MAX) {
        return pt_err_set(err, PT_EINVAL, "codes", "an upload holds 1 to %d codes",
                          PT_VOUCHERS_PER_UPLOAD_MAX);
    }
    for (i = 0; i < count; i++) {
        const char *c = codes[i];
        size_t n = strlen(c);
        size_t k;
        bool ok = n >= 1 && n <= PT_VOUCHER_CODE_BYTES_MAX;
        for (k = 0; ok && k < n; k++) {
            ok = c[k] > ' ' && c[k] < 0x7f; /* Printable ASCII, no spaces: what a partner's
                                               till can read back. */
        }
        if (!ok) {
            return pt_err_set(err, PT_EINVAL, "codes",
                              "codes[%u] is 1 to %d printable ASCII characters without spaces", i,
                              PT_VOUCHER_CODE_BYTES_MAX);
        }
    }
    return pt_svc_write(&ctx.w, &vouchers_add_case, err);
}

enum pt_rc pt_service_vouchers_get(struct pt_service *svc, const struct pt_principal *who,
                                   const char *reward_id, struct pt_arena *arena,
                                   struct pt_voucher_pool *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = vouchers_load(txn, who->program_id, reward_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}
