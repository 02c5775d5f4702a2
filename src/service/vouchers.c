/* SPDX-License-Identifier: MIT */
/*
 * Partner voucher pools (docs/rewards.md): the partner's codes uploaded for a partner_voucher
 * reward, and how many are left. A code is drawn from the pool when the reward is redeemed
 * (rewards.c); the pool is the reward's stock.
 */
#include "service/service_int.h"

#include <string.h>

struct vouchers_ctx {
    const struct pt_principal *who;
    const char *reward_id;
    const char *const *codes;
    unsigned count;
    int64_t now_ms;
    struct pt_arena *arena;
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

static enum pt_rc vouchers_add_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct vouchers_ctx *ctx = arg;
    enum pt_rc rc =
        vouchers_load(txn, ctx->who->program_id, ctx->reward_id, ctx->arena, ctx->out, err);
    if (rc == PT_OK) {
        rc = pt_store_vouchers_add(txn, ctx->who->program_id, ctx->reward_id, ctx->codes,
                                   ctx->count, ctx->now_ms, &ctx->out->added, err);
    }
    if (rc == PT_OK) {
        ctx->out->codes += ctx->out->added;
        ctx->out->free_codes += ctx->out->added;
    }
    return rc;
}

enum pt_rc pt_service_vouchers_add(struct pt_service *svc, const struct pt_principal *who,
                                   const char *reward_id, const char *const *codes, unsigned count,
                                   struct pt_arena *arena, struct pt_voucher_pool *out,
                                   struct pt_err *err)
{
    struct vouchers_ctx ctx = {who,   reward_id, codes, count, pt_svc_now_ms(svc, who->program_id),
                               arena, out};
    unsigned i;
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
    return pt_store_write(svc->store, vouchers_add_txn, &ctx, err);
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
