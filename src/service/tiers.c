/* SPDX-License-Identifier: MIT */
/*
 * Status tiers (docs/tiers.md): each purchase adds to the member's qualifying metric of its
 * local month and moves the member up at once when the current window reaches a higher tier;
 * the review job moves members down, only at their review month; GET .../tier shows where a
 * member stands. Every change is in the member's tier history and the event log.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <string.h>

/* Members reviewed per write, and writes per run (a run a year late still ends). */
#define PT_TIER_REVIEW_PAGE 200
#define PT_TIER_REVIEW_ROUNDS_MAX 100000
/* Changes shown with a member's tier. */
#define PT_TIER_HISTORY_SHOWN 20

enum pt_rc pt_svc_tier_state(struct pt_store_txn *txn, const struct pt_program *program,
                             const struct pt_member *member, struct pt_tier_state *out,
                             struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_tier_get(txn, program->id, member->id, out, err);
    pt_assert(program->tiers.count > 0);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        memset(out, 0, sizeof(*out));
        out->since_ms = member->enrolled_at_ms;
        return PT_OK;
    }
    if (rc == PT_OK && out->position >= program->tiers.count) {
        out->position = program->tiers.count - 1; /* The list shrank since. */
    }
    return rc;
}

/* Records a change of the member's tier: history, and the event when it moved. */
static enum pt_rc tier_changed(struct pt_service *svc, struct pt_store_txn *txn,
                               const struct pt_program *program, const char *member_id,
                               unsigned from, const struct pt_tier_state *to, const char *reason,
                               int64_t value, int64_t now_ms, struct pt_arena *arena,
                               struct pt_err *err)
{
    struct pt_tier_change c;
    struct pt_tier_event ev;
    enum pt_rc rc;
    c.from_name = program->tiers.tiers[from].name;
    c.to_name = program->tiers.tiers[to->position].name;
    c.reason = reason;
    c.metric_value = value;
    c.at_ms = now_ms;
    rc = pt_store_tier_change_add(txn, program->id, member_id, &c, err);
    if (rc != PT_OK || from == to->position) {
        return rc;
    }
    memset(&ev, 0, sizeof(ev));
    (void)snprintf(ev.member_id, sizeof(ev.member_id), "%s", member_id);
    ev.from = c.from_name;
    ev.to = c.to_name;
    ev.reason = reason;
    ev.metric = pt_tier_metric_name(program->tiers.metric);
    ev.value = value;
    ev.at_ms = now_ms;
    if (to->position > 0) {
        pt_tier_month_first_day(to->review_month, ev.review_date);
    }
    return pt_svc_event(svc, txn, program->id,
                        to->position > from ? "tier.upgraded" : "tier.downgraded", member_id,
                        svc->enc.tier, &ev, now_ms, arena, NULL, err);
}

enum pt_rc pt_svc_tier_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                const struct pt_program *program, const struct pt_member *member,
                                int64_t month, const struct pt_tier_metrics *delta, int64_t now_ms,
                                struct pt_arena *arena, struct pt_err *err)
{
    const struct pt_tier_policy *policy = &program->tiers;
    struct pt_tier_metrics window;
    struct pt_tier_state state;
    char today[11];
    int64_t month_now;
    int64_t value;
    unsigned target;
    unsigned from;
    /* The metric is kept with or without tiers, so that tiers set up later see the past. */
    enum pt_rc rc = pt_store_tier_metric_add(txn, program->id, member->id, month, delta, err);
    if (rc != PT_OK || policy->metric == PT_TIER_METRIC_NONE) {
        return rc;
    }
    rc = pt_svc_local_date(svc, txn, program, now_ms, today, err);
    if (rc != PT_OK) {
        return rc;
    }
    month_now = pt_tier_date_month(today);
    rc = pt_store_tier_metric_sum(txn, program->id, member->id,
                                  pt_tier_window_first(policy, month_now),
                                  pt_tier_window_last(policy, month_now), &window, err);
    if (rc == PT_OK) {
        rc = pt_svc_tier_state(txn, program, member, &state, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    value = pt_tier_metric_value(policy, &window);
    target = pt_tier_for_value(policy, value);
    if (target <= state.position) {
        return PT_OK; /* Never down here: only a review moves a member down. */
    }
    from = state.position;
    state.position = target;
    state.since_ms = now_ms;
    state.review_month = pt_tier_first_review(policy, month_now);
    state.grace = false;
    rc = pt_store_member_tier_put(txn, program->id, member->id, &state, err);
    if (rc == PT_OK) {
        rc = tier_changed(svc, txn, program, member->id, from, &state, "purchase", value, now_ms,
                          arena, err);
    }
    return rc;
}

/* ---- The member's view ---- */

enum pt_rc pt_svc_member_tier_read(struct pt_service *svc, struct pt_store_txn *txn,
                                   const struct pt_member *member, int64_t now_ms,
                                   unsigned history_max, struct pt_arena *arena,
                                   struct pt_member_tier *out, struct pt_err *err)
{
    struct pt_tier_metrics m;
    const struct pt_tier_policy *policy = &out->program.tiers;
    char today[11];
    int64_t month_now;
    enum pt_rc rc;
    pt_assert(policy->metric != PT_TIER_METRIC_NONE);
    (void)snprintf(out->member_id, sizeof(out->member_id), "%s", member->id);
    rc = pt_svc_tier_state(txn, &out->program, member, &out->state, err);
    if (rc == PT_OK) {
        rc = pt_svc_local_date(svc, txn, &out->program, now_ms, today, err);
    }
    if (rc == PT_OK) {
        int64_t first;
        int64_t last;
        month_now = pt_tier_date_month(today);
        first = pt_tier_window_first(policy, month_now);
        last = pt_tier_window_last(policy, month_now);
        pt_tier_month_first_day(first, out->window_from);
        pt_tier_month_last_day(last, out->window_to);
        rc = pt_store_tier_metric_sum(txn, out->program.id, member->id, first, last, &m, err);
        out->value = pt_tier_metric_value(policy, &m);
        if (out->state.position + 1 < policy->count) {
            int64_t need = policy->tiers[out->state.position + 1].threshold - out->value;
            out->has_next = true;
            out->next_missing = need > 0 ? need : 0;
        }
    }
    if (rc == PT_OK && out->state.position > 0) {
        /* The review judges the window that ends just before the review month. */
        int64_t reviewed = out->state.review_month - 1;
        int64_t first = pt_tier_window_first(policy, reviewed);
        int64_t need;
        out->has_review = true;
        pt_tier_month_first_day(out->state.review_month, out->review_date);
        pt_tier_month_last_day(reviewed, out->keep_by);
        rc = pt_store_tier_metric_sum(txn, out->program.id, member->id, first, reviewed, &m, err);
        out->review_value = pt_tier_metric_value(policy, &m);
        need = policy->tiers[out->state.position].threshold - out->review_value;
        out->keep_missing = need > 0 ? need : 0;
    }
    if (rc == PT_OK) {
        rc = pt_store_tier_changes(txn, out->program.id, member->id, history_max, arena,
                                   &out->history, &out->history_count, err);
    }
    return rc;
}

enum pt_rc pt_service_member_tier(struct pt_service *svc, const struct pt_principal *who,
                                  const char *member_id, struct pt_arena *arena,
                                  struct pt_member_tier *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc =
            pt_svc_member_load(txn, who->program_id, member_id, arena, &member, &out->program, err);
    }
    if (rc == PT_OK && out->program.tiers.metric == PT_TIER_METRIC_NONE) {
        (void)pt_err_set(err, PT_ENOTFOUND, NULL,
                         "the program has no tiers (PATCH /v1/program with tiers)");
        rc = pt_err_code(err, "tiers_not_configured");
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_tier_read(svc, txn, &member, now_ms, PT_TIER_HISTORY_SHOWN, arena, out,
                                     err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- Reviews ---- */

struct review_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    struct pt_tier_review_result *out;
    int64_t now_ms;
    bool more; /* OUT of one round: a full page was found */
};

/* Reviews one member whose review month has come (month_now: the local month now). */
static enum pt_rc review_member(struct review_ctx *ctx, struct pt_store_txn *txn,
                                const struct pt_program *program, const char *member_id,
                                int64_t month_now, struct pt_err *err)
{
    const struct pt_tier_policy *policy = &program->tiers;
    struct pt_member member;
    struct pt_tier_state state;
    struct pt_tier_metrics m;
    struct pt_tier_review decision;
    unsigned from;
    unsigned current;
    int64_t value;
    int64_t reviewed;
    /* Reading the member locks it: another node may have reviewed it since the list was read,
     * so the state read after the lock decides. */
    enum pt_rc rc = pt_store_member_get(txn, program->id, member_id, ctx->arena, &member, err);
    if (rc == PT_OK) {
        rc = pt_svc_tier_state(txn, program, &member, &state, err);
    }
    if (rc != PT_OK || state.position == 0 || state.review_month > month_now) {
        return rc;
    }
    reviewed = state.review_month - 1;
    rc = pt_store_tier_metric_sum(txn, program->id, member.id,
                                  pt_tier_window_first(policy, reviewed), reviewed, &m, err);
    if (rc != PT_OK) {
        return rc;
    }
    value = pt_tier_metric_value(policy, &m);
    decision = pt_tier_review_decide(policy, &state, value);
    from = state.position;
    if (pt_member_is_closed(&member)) {
        /* A closed (or erased) member keeps its standing; only the review month moves on. */
        state.review_month = decision.next_review_month;
        return pt_store_member_tier_put(txn, program->id, member.id, &state, err);
    }
    ctx->out->reviewed++;
    state.position = decision.position;
    state.grace = decision.grace;
    state.review_month = decision.position > 0 ? decision.next_review_month : 0;
    /* A review a job runs late must end where an on-time one would have, followed by the
     * purchases since: the current window moves the member up as they would have. */
    rc = pt_store_tier_metric_sum(txn, program->id, member.id,
                                  pt_tier_window_first(policy, month_now),
                                  pt_tier_window_last(policy, month_now), &m, err);
    current = pt_tier_for_value(policy, pt_tier_metric_value(policy, &m));
    if (rc == PT_OK && current > state.position) {
        state.position = current;
        state.grace = false;
        state.review_month = pt_tier_first_review(policy, month_now);
        value = pt_tier_metric_value(policy, &m);
    }
    if (state.position != from) {
        state.since_ms = ctx->now_ms;
    }
    if (rc == PT_OK) {
        rc = pt_store_member_tier_put(txn, program->id, member.id, &state, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (state.position < from) {
        ctx->out->downgraded++;
    } else if (state.position > from) {
        ctx->out->upgraded++;
    } else if (state.grace) {
        ctx->out->retained++;
    } else {
        ctx->out->kept++;
        return PT_OK; /* Nothing changed: nothing for the history. */
    }
    return tier_changed(ctx->svc, txn, program, member.id, from, &state,
                        state.grace ? "retained" : "review", value, ctx->now_ms, ctx->arena, err);
}

static enum pt_rc review_round_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct review_ctx *ctx = arg;
    struct pt_program program;
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    char today[11];
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc = pt_store_program_get(txn, ctx->program_id, ctx->arena, &program, err);
    ctx->more = false;
    if (rc != PT_OK || program.tiers.metric == PT_TIER_METRIC_NONE) {
        return rc;
    }
    rc = pt_svc_local_date(ctx->svc, txn, &program, ctx->now_ms, today, err);
    if (rc == PT_OK) {
        rc = pt_store_tier_reviews_due(txn, program.id, pt_tier_date_month(today),
                                       PT_TIER_REVIEW_PAGE, ctx->arena, &ids, &count, err);
    }
    /* Until a round finds nobody: a member reviewed a window late may be due again. */
    ctx->more = rc == PT_OK && count > 0;
    for (i = 0; rc == PT_OK && i < count; i++) {
        rc = review_member(ctx, txn, &program, ids[i], pt_tier_date_month(today), err);
    }
    return rc;
}

enum pt_rc pt_service_tier_reviews(struct pt_service *svc, const struct pt_principal *who,
                                   struct pt_tier_review_result *out, struct pt_err *err)
{
    struct review_ctx ctx = {
        svc, NULL, NULL, out, pt_svc_now_ms(svc, who != NULL ? who->program_id : NULL), true};
    memset(out, 0, sizeof(*out));
    /* A member a window or more behind is due again after its review: the next round finds
     * it, until every review month is in the future. */
    return pt_svc_job_rounds(svc, who != NULL ? who->program_id : NULL, PT_TIER_REVIEW_ROUNDS_MAX,
                             review_round_txn, &ctx, &ctx.program_id, &ctx.arena, &ctx.more, err);
}
