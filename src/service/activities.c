/* SPDX-License-Identifier: MIT */
/*
 * Activities (POST /v1/activities): a member did something other than buy (a review, a visit),
 * and the program's activity rules give points for it, once per external id.
 */
#include "service/service_int.h"

#include <stddef.h>
#include <string.h>

struct activity_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_activity_request *req;
    struct pt_activity_result *out;
};

enum pt_rc pt_svc_activity_record(struct pt_svc_write *w, const struct pt_activity_request *req,
                                  struct pt_activity_result *out, struct pt_err *err)
{
    struct pt_activity_row *a = &out->activity;
    struct pt_activity facts;
    enum pt_rc rc;
    memset(a, 0, sizeof(*a));
    pt_svc_new_id("act", w->now_ms, a->id);
    memcpy(a->member_id, w->member.id, sizeof(a->member_id));
    a->external_id = req->external_id;
    a->type = req->type;
    a->occurred_at_ms = req->occurred_at_ms;
    a->properties = req->properties;
    a->created_at_ms = w->now_ms;
    facts.type = a->type;
    facts.properties = a->properties;
    rc = pt_svc_rules_award(w->svc, w->txn, &w->program, &w->member, PT_TRIGGER_ACTIVITY, &facts,
                            "activity", a->id, a->occurred_at_ms, w->now_ms, w->who->key_id,
                            w->arena, &out->rules, a->entry_id, err);
    a->points_earned = out->rules.points;
    if (rc == PT_OK) {
        rc = pt_store_activity_insert(w->txn, w->program.id, a, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(w->txn, &w->program, w->member.id, w->now_ms, w->arena, &out->balance,
                            err);
    }
    return rc;
}

static enum pt_rc activity_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct activity_ctx *ctx = (struct activity_ctx *)w;
    enum pt_rc rc = pt_svc_activity_record(w, ctx->req, ctx->out, err);
    w->result = ctx->out;
    w->ref_id = ctx->out->activity.id;
    return rc;
}

static const struct pt_write_case activity_case = {
    .name = "activity",
    .natural_key = "activity:",
    .member = PT_WRITE_MEMBER_ACTIVE,
    .event = "activity.recorded",
    .encoder = offsetof(struct pt_encoders, activity),
    .body = activity_body,
};

enum pt_rc pt_service_activity(struct pt_service *svc, const struct pt_principal *who,
                               const struct pt_activity_request *req, struct pt_idem *idem,
                               struct pt_arena *arena, struct pt_activity_result *out,
                               struct pt_err *err)
{
    struct activity_ctx ctx = {.req = req, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    if (req->occurred_at_ms > ctx.w.now_ms + PT_CLOCK_SKEW_MS) {
        return pt_err_set(err, PT_EINVAL, "occurred_at", "occurred_at must not be in the future");
    }
    ctx.w.member_id = req->member_id;
    ctx.w.external_id = req->external_id;
    return pt_svc_write(&ctx.w, &activity_case, err);
}
