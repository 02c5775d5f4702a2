/* SPDX-License-Identifier: MIT */
/*
 * Rules: create, change, activate/pause/archive, read (docs/rules.md). Every change is a new
 * version of the rule, kept with the key that made it. The document is compiled by core on
 * every save, so that a stored rule always compiles.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "core/rules.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Compiles doc and fills the columns the store keeps beside it (name, trigger, priority). */
static enum pt_rc rule_compile_into(const char *doc, struct pt_arena *arena,
                                    struct pt_rule_row *row, const struct pt_rule **compiled,
                                    struct pt_err *err)
{
    struct pt_rule *rule = pt_arena_alloc(arena, sizeof(*rule));
    char trigger[PT_RULE_KEY_BYTES_MAX + 16];
    enum pt_rc rc;
    if (rule == NULL) {
        return pt_arena_err(arena, err); /* The compiler fills it. */
    }
    rc = pt_rule_compile(doc, strlen(doc), arena, rule, err);
    if (rc != PT_OK) {
        return rc;
    }
    trigger[0] = '\0';
    switch (rule->trigger) {
    case PT_TRIGGER_PURCHASE:
        (void)snprintf(trigger, sizeof(trigger), "purchase");
        break;
    case PT_TRIGGER_ACTIVITY:
        (void)snprintf(trigger, sizeof(trigger), "activity:%s", rule->activity_type);
        break;
    case PT_TRIGGER_ENROLLMENT:
        (void)snprintf(trigger, sizeof(trigger), "enrollment");
        break;
    case PT_TRIGGER_BIRTHDAY:
        (void)snprintf(trigger, sizeof(trigger), "birthday");
        break;
    }
    if (PT_NEVER(trigger[0] == '\0')) { /* The compiler makes only the four triggers. */
        return pt_err_set(err, PT_EINTERNAL, NULL, "the rule's trigger is unknown");
    }
    row->name = rule->name;
    /* Written by the write's body: a NULL (a failed copy) is caught by the write's one check of
     * the arena (pt_svc_write), which undoes the row. */
    row->trigger = pt_arena_strndup(arena, trigger, strlen(trigger));
    row->priority = rule->priority;
    row->document = doc;
    *compiled = rule;
    return PT_OK;
}

/* Refuses to make one more rule active beyond the limit of rules evaluated per cart. */
static enum pt_rc room_for_active(struct pt_store_txn *txn, const char *program_id,
                                  struct pt_err *err)
{
    int64_t active = 0;
    enum pt_rc rc = pt_store_rule_count(txn, program_id, PT_RULE_ACTIVE, &active, err);
    if (rc == PT_OK && active >= PT_RULES_PER_PROGRAM_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, "status", "a program has at most %d active rules",
                         PT_RULES_PER_PROGRAM_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

/* Refuses to make rule (rule_id, compiled) active when an evaluation of the program's active
 * rules with it would cost more than the bound at the largest cart (docs/rules.md). */
static enum pt_rc room_for_cost(struct pt_service *svc, struct pt_store_txn *txn,
                                const char *program_id, const char *rule_id,
                                const struct pt_rule *compiled, struct pt_arena *arena,
                                struct pt_err *err)
{
    unsigned lines = compiled->trigger == PT_TRIGGER_PURCHASE ? PT_CART_ITEMS_MAX : 0;
    int64_t cost = 0;
    enum pt_rc rc = pt_svc_rules_cost(svc, txn, program_id, rule_id, compiled->trigger, lines,
                                      arena, &cost, err);
    if (rc == PT_OK) {
        cost += pt_rule_eval_cost(compiled, lines);
    }
    if (rc == PT_OK && cost > PT_RULES_SAVE_COST_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, NULL,
                         "the active rules would cost %lld units of work on a cart of %u lines; "
                         "at most %lld (docs/rules.md)",
                         (long long)cost, lines, (long long)PT_RULES_SAVE_COST_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

struct rule_write_ctx {
    struct pt_svc_write w;          /* First: the body's w is the context. */
    const char *rule_id;            /* NULL on create */
    const char *document;           /* NULL: keep the document (status changes) */
    int status;                     /* < 0: keep the status */
    int64_t if_version;             /* > 0: the change applies only to this version */
    const struct pt_rule *compiled; /* The document's, when one is given */
    pt_rule_patch_fn patch;         /* NULL, or makes the document from the current one */
    void *patch_ctx;
    struct pt_rule_row *out;
};

static enum pt_rc rule_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct rule_write_ctx *ctx = (struct rule_write_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_rule_row *row = ctx->out;
    enum pt_rc rc = PT_OK;
    if (row->status == PT_RULE_ACTIVE) {
        rc = room_for_active(txn, ctx->w.who->program_id, err);
    }
    if (rc == PT_OK && row->status == PT_RULE_ACTIVE) {
        rc = room_for_cost(ctx->w.svc, txn, ctx->w.who->program_id, NULL, ctx->compiled,
                           ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_stamp_cards_exist(txn, ctx->w.who->program_id, ctx->compiled, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_rule_rewards_exist(txn, ctx->w.who->program_id, ctx->compiled, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_rule_insert(txn, ctx->w.who->program_id, row, err);
    }
    w->result = row;
    w->ref_id = row->id;
    return rc;
}

static const struct pt_write_case rule_create_case = {
    .name = "rule_create",
    .body = rule_create_body,
};

enum pt_rc pt_service_rule_create(struct pt_service *svc, const struct pt_principal *who,
                                  const char *document, enum pt_rule_status status,
                                  struct pt_idem *idem, struct pt_arena *arena,
                                  struct pt_rule_row *out, struct pt_err *err)
{
    struct rule_write_ctx ctx = {.document = document, .status = (int)status, .out = out};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    if (status != PT_RULE_DRAFT && status != PT_RULE_ACTIVE) {
        return pt_err_set(err, PT_EINVAL, "status", "a new rule is draft or active");
    }
    rc = rule_compile_into(document, arena, out, &ctx.compiled, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("rul", ctx.w.now_ms, out->id);
    out->version = 1;
    out->status = status;
    out->key_id = who->key_id;
    out->created_at_ms = ctx.w.now_ms;
    out->updated_at_ms = ctx.w.now_ms;
    return pt_svc_write(&ctx.w, &rule_create_case, err);
}

/* The cost check of a change that leaves the rule active with a new document, or makes it
 * active: its document is the new one, or its current one. */
static enum pt_rc rule_cost_check(struct rule_write_ctx *ctx, struct pt_store_txn *txn,
                                  const struct pt_rule_row *current, struct pt_err *err)
{
    const struct pt_rule *compiled = ctx->compiled;
    if (compiled == NULL) {
        struct pt_rule *r = pt_arena_alloc(ctx->w.arena, sizeof(*r));
        enum pt_rc rc;
        if (r == NULL) {
            return pt_arena_err(ctx->w.arena, err); /* The compiler fills it. */
        }
        rc = pt_rule_compile(current->document, strlen(current->document), ctx->w.arena, r, err);
        if (rc != PT_OK) {
            return rc;
        }
        compiled = r;
    }
    return room_for_cost(ctx->w.svc, txn, ctx->w.who->program_id, ctx->rule_id, compiled,
                         ctx->w.arena, err);
}

static enum pt_rc rule_change_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct rule_write_ctx *ctx = (struct rule_write_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_rule_row current;
    struct pt_rule_row *row = ctx->out;
    enum pt_rc rc =
        pt_store_rule_get(txn, ctx->w.who->program_id, ctx->rule_id, ctx->w.arena, &current, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (ctx->if_version > 0 && current.version != ctx->if_version) {
        (void)pt_err_set(err, PT_ECONFLICT, "version",
                         "the rule is at version %lld, not %lld: read it again",
                         (long long)current.version, (long long)ctx->if_version);
        return pt_err_code(err, "version_conflict");
    }
    if (ctx->patch != NULL) {
        /* PATCH: the new document is the patch of the current one, read in this write. */
        struct pt_rule_row patched = current;
        rc = ctx->patch(ctx->patch_ctx, ctx->w.arena, &patched, err);
        if (rc != PT_OK) {
            return rc;
        }
        ctx->document = patched.document;
    }
    if (ctx->document == NULL && ctx->status >= 0 &&
        current.status == (enum pt_rule_status)ctx->status) {
        *row = current; /* Nothing moves: no new version. */
        return PT_OK;
    }
    if (ctx->document != NULL && current.status == PT_RULE_ARCHIVED) {
        (void)pt_err_set(err, PT_ELIMIT, NULL, "an archived rule cannot change");
        return pt_err_code(err, "rule_archived");
    }
    *row = current;
    if (ctx->status >= 0) {
        rc = pt_rule_status_move(current.status, (enum pt_rule_status)ctx->status, err);
        if (rc == PT_OK && ctx->status == PT_RULE_ACTIVE) {
            rc = room_for_active(txn, ctx->w.who->program_id, err);
        }
        row->status = (enum pt_rule_status)ctx->status;
    }
    if (rc == PT_OK && ctx->document != NULL) {
        rc = rule_compile_into(ctx->document, ctx->w.arena, row, &ctx->compiled, err);
        if (rc == PT_OK) {
            rc = pt_svc_stamp_cards_exist(txn, ctx->w.who->program_id, ctx->compiled, err);
        }
        if (rc == PT_OK) {
            rc = pt_svc_rule_rewards_exist(txn, ctx->w.who->program_id, ctx->compiled, err);
        }
    }
    if (rc == PT_OK && row->status == PT_RULE_ACTIVE &&
        (ctx->document != NULL || current.status != PT_RULE_ACTIVE)) {
        rc = rule_cost_check(ctx, txn, &current, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    row->version = current.version + 1;
    row->key_id = ctx->w.who->key_id;
    row->updated_at_ms = ctx->w.now_ms;
    return pt_store_rule_update(txn, ctx->w.who->program_id, row, err);
}

static const struct pt_write_case rule_change_case = {
    .name = "rule_change",
    .body = rule_change_body,
};

enum pt_rc pt_service_rule_change(struct pt_service *svc, const struct pt_principal *who,
                                  const char *rule_id, const char *document, int status,
                                  int64_t if_version, struct pt_arena *arena,
                                  struct pt_rule_row *out, struct pt_err *err)
{
    struct rule_write_ctx ctx = {.rule_id = rule_id,
                                 .document = document,
                                 .status = status,
                                 .if_version = if_version,
                                 .out = out};
    pt_assert(document != NULL || status >= 0);
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &rule_change_case, err);
}

enum pt_rc pt_service_rule_patch(struct pt_service *svc, const struct pt_principal *who,
                                 const char *rule_id, pt_rule_patch_fn patch, void *patch_ctx,
                                 struct pt_arena *arena, struct pt_rule_row *out,
                                 struct pt_err *err)
{
    struct rule_write_ctx ctx = {
        .rule_id = rule_id, .status = -1, .patch = patch, .patch_ctx = patch_ctx, .out = out};
    pt_assert(patch != NULL);
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &rule_change_case, err);
}

enum pt_rc pt_service_rule_get(struct pt_service *svc, const struct pt_principal *who,
                               const char *rule_id, struct pt_arena *arena, struct pt_rule_row *out,
                               struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_rule_get(txn, who->program_id, rule_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_service_rule_list(struct pt_service *svc, const struct pt_principal *who, int status,
                                const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                struct pt_rule_row **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_rule_list(txn, who->program_id, status, cursor_id, limit, arena, out, count,
                                err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_service_rule_versions(struct pt_service *svc, const struct pt_principal *who,
                                    const char *rule_id, int64_t before, unsigned limit,
                                    struct pt_arena *arena, struct pt_rule_row **out,
                                    unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_rule_row current;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        /* 404 for a rule of another program, not an empty list. */
        rc = pt_store_rule_get(txn, who->program_id, rule_id, arena, &current, err);
        if (rc == PT_OK) {
            rc = pt_store_rule_versions(txn, who->program_id, rule_id, before, limit, arena, out,
                                        count, err);
        }
        pt_store_read_end(txn);
    }
    return rc;
}
