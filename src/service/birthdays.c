/* SPDX-License-Identifier: MIT */
/*
 * Birthdays: once a year, on the member's birthday in the program's time zone, the birthday
 * rules give their gift. Run by the jobs thread in pages (pt_svc_job_rounds) or on demand.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "base/tz.h"

#include <string.h>

struct birthday_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    struct pt_birthday_result *out;
    int64_t now_ms;
    bool more; /* OUT of one round: a full page was found */
};

/* One page of today's birthdays of a program, each awarded once per year. */
static enum pt_rc birthday_round_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct birthday_ctx *ctx = arg;
    struct pt_program program;
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    char stamp[40];
    char month_day[6];
    int64_t year;
    unsigned count = 0;
    unsigned i;
    struct pt_tz *tz = pt_arena_alloc(ctx->arena, sizeof(*tz));
    enum pt_rc rc = pt_store_program_get(txn, ctx->program_id, ctx->arena, &program, err);
    if (rc == PT_OK && tz == NULL) {
        rc = pt_arena_err(ctx->arena, err); /* The zone is loaded into it. */
    }
    if (rc == PT_OK && pt_tz_load(program.time_zone, tz, err) != PT_OK) {
        pt_err_clear(err); /* A zone gone from the system: UTC (as the rules do). */
        rc = pt_tz_load("UTC", tz, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    /* Today in the program's time zone. */
    pt_time_format_rfc3339(ctx->now_ms + (int64_t)pt_tz_offset_s(tz, ctx->now_ms) * 1000, stamp,
                           sizeof(stamp));
    memcpy(month_day, stamp + 5, 5);
    month_day[5] = '\0';
    year =
        (stamp[0] - '0') * 1000 + (stamp[1] - '0') * 100 + (stamp[2] - '0') * 10 + (stamp[3] - '0');
    if (rc == PT_OK) {
        rc = pt_store_birthdays(txn, program.id, month_day, year, PT_BIRTHDAY_PAGE, ctx->arena,
                                &ids, &count, err);
    }
    /* 29 February: in other years, celebrated on the 28th. */
    if (rc == PT_OK && strcmp(month_day, "02-28") == 0 && count < PT_BIRTHDAY_PAGE &&
        !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
        char(*more)[PT_ID_BUF_BYTES] = NULL;
        unsigned extra = 0;
        rc = pt_store_birthdays(txn, program.id, "02-29", year, PT_BIRTHDAY_PAGE - count,
                                ctx->arena, &more, &extra, err);
        if (rc == PT_OK && extra > 0) {
            char(*all)[PT_ID_BUF_BYTES] =
                pt_arena_alloc(ctx->arena, (count + extra) * PT_ID_BUF_BYTES);
            if (all == NULL) {
                return pt_arena_err(ctx->arena, err); /* Filled below. */
            }
            memcpy(all, ids, count * PT_ID_BUF_BYTES);
            memcpy(all + count, more, extra * PT_ID_BUF_BYTES);
            ids = all;
            count += extra;
        }
    }
    ctx->more = rc == PT_OK && count == PT_BIRTHDAY_PAGE;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_member member;
        struct pt_cart_answer answer;
        char entry_id[PT_ID_BUF_BYTES];
        bool claimed = false;
        rc = pt_store_member_get(txn, program.id, ids[i], ctx->arena, &member, err);
        if (rc == PT_OK) {
            rc = pt_svc_rules_award(ctx->svc, txn, &program, &member, PT_TRIGGER_BIRTHDAY, NULL,
                                    "birthday", member.id, ctx->now_ms, ctx->now_ms, NULL,
                                    ctx->arena, &answer, entry_id, err);
        }
        if (rc == PT_ELIMIT && entry_id[0] == '\0') {
            /* The member's balance is at its bound (refused before anything was written): no
             * gift this year, and the round goes on for the others rather than failing them
             * all on every run. */
            pt_err_clear(err);
            rc = PT_OK;
            answer.points = 0;
        }
        if (rc == PT_OK) {
            /* Claimed even when nothing was given, so that the member is not read again. */
            rc = pt_store_birthday_award(txn, program.id, member.id, year, answer.points,
                                         entry_id[0] ? entry_id : NULL, ctx->now_ms, &claimed, err);
        }
        if (rc == PT_OK && claimed) {
            ctx->out->members++;
            ctx->out->points += answer.points;
        }
    }
    return rc;
}

enum pt_rc pt_service_birthdays(struct pt_service *svc, const struct pt_principal *who,
                                struct pt_birthday_result *out, struct pt_err *err)
{
    struct birthday_ctx ctx = {
        svc, NULL, NULL, out, pt_svc_now_ms(svc, who != NULL ? who->program_id : NULL), true};
    memset(out, 0, sizeof(*out));
    return pt_svc_job_rounds(svc, who != NULL ? who->program_id : NULL, PT_BIRTHDAY_ROUNDS_MAX,
                             birthday_round_txn, &ctx, &ctx.program_id, &ctx.arena, &ctx.more, err);
}
