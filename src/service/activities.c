/* SPDX-License-Identifier: MIT */
/*
 * Activities (POST /v1/activities): a member did something other than buy (a review, a visit),
 * and the program's activity rules give points for it, once per external id.
 */
#include "service/service_int.h"

#include <string.h>

struct activity_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const struct pt_activity_request *req;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_activity_result *out;
    int64_t now_ms;
};

static enum pt_rc activity_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct activity_ctx *ctx = arg;
    struct pt_activity_row *a = &ctx->out->activity;
    struct pt_member member;
    struct pt_program program;
    struct pt_activity facts;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = pt_svc_member_load(txn, ctx->who->program_id, ctx->req->member_id, ctx->arena, &member,
                            &program, err);
    if (rc == PT_OK) {
        rc = pt_member_require_active(&member, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(a, 0, sizeof(*a));
    pt_svc_new_id("act", ctx->now_ms, a->id);
    memcpy(a->member_id, member.id, sizeof(a->member_id));
    a->external_id = ctx->req->external_id;
    a->type = ctx->req->type;
    a->occurred_at_ms = ctx->req->occurred_at_ms;
    a->properties = ctx->req->properties;
    a->created_at_ms = ctx->now_ms;
    facts.type = a->type;
    facts.properties = a->properties;
    rc = pt_svc_rules_award(ctx->svc, txn, &program, &member, PT_TRIGGER_ACTIVITY, &facts,
                            "activity", a->id, a->occurred_at_ms, ctx->now_ms, ctx->who->key_id,
                            ctx->arena, &ctx->out->rules, a->entry_id, err);
    a->points_earned = ctx->out->rules.points;
    if (rc == PT_OK) {
        rc = pt_store_activity_insert(txn, program.id, a, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, member.id, ctx->now_ms, ctx->arena, &ctx->out->balance,
                            err);
    }
    if (rc == PT_OK) {
        rc =
            pt_svc_event(ctx->svc, txn, program.id, "activity.recorded", member.id,
                         ctx->svc->enc.activity, ctx->out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, a->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_activity(struct pt_service *svc, const struct pt_principal *who,
                               const struct pt_activity_request *req, struct pt_idem *idem,
                               struct pt_arena *arena, struct pt_activity_result *out,
                               struct pt_err *err)
{
    struct activity_ctx ctx = {
        svc, who, req, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    if (req->occurred_at_ms > ctx.now_ms + PT_CLOCK_SKEW_MS) {
        return pt_err_set(err, PT_EINVAL, "occurred_at", "occurred_at must not be in the future");
    }
    if (pt_svc_idem_natural_key(idem, "activity:", req->external_id, arena, err) != PT_OK) {
        return err->rc;
    }
    return pt_store_write(svc->store, activity_txn, &ctx, err);
}
