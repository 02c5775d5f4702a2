/* SPDX-License-Identifier: MIT */
/*
 * Erasing a member (POST /v1/members/{id}/erase; issue 20, privacy; docs/crm.md, "Privacy:
 * export and erase"): its personal data removed irreversibly in one write, its identifiers
 * given back for others to take, its ledger and history kept under its opaque id so that every
 * balance, total and figure stays what it was. The member is then closed forever
 * (PT_MEMBER_ERASED: every write on it is 409 member_erased).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

struct member_erase_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_member *out;
};

/* The case asks the runner for no member (PT_WRITE_MEMBER_OPEN would refuse a closed member,
 * which may be erased): it reads it here, locked. */
static enum pt_rc member_erase_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct member_erase_ctx *ctx = (struct member_erase_ctx *)w;
    struct pt_member current;
    /* What replaces the payload of the member's events that held its data: its id only. */
    char payload[PT_ID_BUF_BYTES + 48];
    /* What a replay of a request about the member answers from now on. */
    char idem_body[PT_ID_BUF_BYTES + 160];
    enum pt_rc rc =
        pt_store_member_get(w->txn, w->who->program_id, w->member_id, w->arena, &current, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", w->member_id);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (current.status == PT_MEMBER_ERASED) {
        (void)pt_err_set(err, PT_ECONFLICT, "member_id", "member %s was already erased",
                         current.id);
        return pt_err_code(err, "already_erased");
    }
    *ctx->out = current;
    pt_member_erase(ctx->out, w->now_ms);
    /* Ids are of [A-Za-z0-9_]: nothing to escape in JSON. */
    (void)snprintf(payload, sizeof(payload), "{\"member_id\":\"%s\",\"erased\":true}", current.id);
    (void)snprintf(idem_body, sizeof(idem_body),
                   "{\"error\":{\"code\":\"member_erased\",\"message\":\"member %s was erased\","
                   "\"field\":\"member_id\"}}",
                   current.id);
    rc = pt_store_member_erase(w->txn, &current, ctx->out, payload, 409, idem_body, err);
    pt_assert(rc != PT_EBUSY); /* Inside the writer nobody else can have changed it. */
    ctx->out->version = current.version + 1;
    w->result = ctx->out;
    w->ref_id = ctx->out->id;
    w->event_member_id = ctx->out->id;
    return rc;
}

static const struct pt_write_case member_erase_case = {
    .name = "member_erase",
    .lock_member = true,
    .event = "member.erased",
    .encoder = offsetof(struct pt_encoders, member),
    .body = member_erase_body,
};

enum pt_rc pt_service_member_erase(struct pt_service *svc, const struct pt_principal *who,
                                   const char *member_id, struct pt_idem *idem,
                                   struct pt_arena *arena, struct pt_member *out,
                                   struct pt_err *err)
{
    struct member_erase_ctx ctx = {.out = out};
    enum pt_rc rc;
    pt_assert(who->role == PT_ROLE_ADMIN);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    ctx.w.member_id = member_id;
    rc = pt_svc_write(&ctx.w, &member_erase_case, err);
    if (rc == PT_OK) {
        pt_svc_session_cache_clear(svc); /* Its sessions are gone: no cached one answers. */
    }
    return rc;
}
