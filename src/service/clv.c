/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value (service_clv.h; docs/analytics.md): a fit reads the program's
 * purchases on a read connection into core's summaries, fits outside any transaction (the
 * CPU-bound part holds neither a reader nor the writer), then writes the model's one row
 * through the writer. A member's value reads the model, the program and the member's purchases
 * in one read transaction.
 */
#include "service/service_clv.h"
#include "service/service_int.h"
#include "service/service_summary.h"

#include <stdio.h>
#include <string.h>

struct model_put_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_clv_model *model;
};

static enum pt_rc model_put_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct model_put_ctx *ctx = (struct model_put_ctx *)w;
    return pt_store_clv_model_put(w->txn, w->who->program_id, ctx->model, err);
}

static const struct pt_write_case model_put_case = {
    .name = "clv_fit",
    .body = model_put_body,
};

/* The instant the local day `day` ends (the next one's first) in the program's zone, with the
 * program (its currency) and, when today_check, the refusal of a day after today. */
static enum pt_rc end_of_day(struct pt_service *svc, struct pt_store_txn *txn,
                             const struct pt_principal *who, int64_t day, const char *field,
                             struct pt_arena *arena, struct pt_program *program, int64_t *end_ms,
                             struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    enum pt_rc rc = pt_store_program_get(txn, who->program_id, arena, program, err);
    if (rc == PT_OK) {
        rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    }
    if (rc == PT_OK && field != NULL &&
        day > pt_tz_local_day(set->tz, pt_svc_now_ms(svc, who->program_id))) {
        rc = pt_err_set(err, PT_EINVAL, field, "%s must not be after today", field);
    }
    if (rc == PT_OK) {
        *end_ms = pt_summary_day_start_ms(set->tz, day + 1);
    }
    pt_svc_rule_set_release(svc, set);
    return rc;
}

/* The program's customers up to the local day end_day (of member_id alone when not NULL), in
 * a read transaction; the builder's zone is the program's, kept by the rule set. */
static enum pt_rc customers_read(struct pt_service *svc, const struct pt_principal *who,
                                 const char *member_id, int64_t end_day, const char *field,
                                 struct pt_arena *arena, struct pt_program *program,
                                 struct pt_clv_builder *b, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_rule_set *set = NULL;
    int64_t end_ms = 0;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = end_of_day(svc, txn, who, end_day, field, arena, program, &end_ms, err);
    if (rc == PT_OK) {
        rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    }
    if (rc == PT_OK) {
        pt_clv_builder_init(b, set->tz, end_day);
        rc = pt_store_clv_purchases(txn, who->program_id, member_id, end_ms, b, err);
        b->tz = NULL; /* The zone is the rule set's, given back below. */
    }
    pt_svc_rule_set_release(svc, set);
    pt_store_read_end(txn);
    return rc;
}

enum pt_rc pt_service_clv_fit(struct pt_service *svc, const struct pt_principal *who,
                              const char *calibration_end, enum pt_clv_unit unit,
                              struct pt_clv_model *out, struct pt_err *err)
{
    struct pt_arena arena;
    struct pt_program program;
    struct pt_clv_builder b;
    struct model_put_ctx ctx;
    int64_t end_day = 0;
    enum pt_rc rc = pt_clv_date_parse(calibration_end, "calibration_end", &end_day, err);
    memset(out, 0, sizeof(*out));
    if (rc != PT_OK) {
        return rc;
    }
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    memset(&b, 0, sizeof(b));
    rc = customers_read(svc, who, NULL, end_day, "calibration_end", &arena, &program, &b, err);
    if (rc == PT_OK) {
        rc = pt_clv_fit(b.customers, b.count, unit, pt_currency_exponent(program.currency), out,
                        err);
    }
    pt_clv_builder_fini(&b);
    pt_arena_fini(&arena);
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(out->calibration_end, sizeof(out->calibration_end), "%s", calibration_end);
    memset(&ctx, 0, sizeof(ctx));
    pt_svc_write_init(&ctx.w, svc, who, NULL, NULL); /* Writing the model allocates nothing. */
    out->fitted_at_ms = ctx.w.now_ms;
    ctx.model = out;
    return pt_svc_write(&ctx.w, &model_put_case, err);
}

/* The refusal of a program without a model. */
static enum pt_rc no_model(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL,
                      "the program has no customer lifetime value model yet "
                      "(POST /v1/analytics/clv/fit)");
}

enum pt_rc pt_service_clv_get(struct pt_service *svc, const struct pt_principal *who,
                              struct pt_clv_model *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    bool found = false;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_clv_model_get(txn, who->program_id, out, &found, err);
    pt_store_read_end(txn);
    if (rc == PT_OK && !found) {
        rc = no_model(err);
    }
    return rc;
}

/* The model and the member, in one read transaction. */
static enum pt_rc model_and_member(struct pt_service *svc, const struct pt_principal *who,
                                   const char *member_id, struct pt_arena *arena,
                                   struct pt_clv_model *model, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    bool found = false;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_member_get(txn, who->program_id, member_id, arena, &member, err);
    if (rc == PT_OK) {
        rc = pt_store_clv_model_get(txn, who->program_id, model, &found, err);
    }
    pt_store_read_end(txn);
    if (rc == PT_OK && !found) {
        rc = no_model(err);
    }
    return rc;
}

enum pt_rc pt_service_member_value(struct pt_service *svc, const struct pt_principal *who,
                                   const char *member_id, int64_t horizon, const char *as_of,
                                   struct pt_arena *arena, struct pt_member_value *out,
                                   struct pt_err *err)
{
    struct pt_program program;
    struct pt_clv_builder b;
    struct pt_clv_customer none = {0, 0, 0, 0};
    int64_t day = 0;
    int64_t unit_days;
    enum pt_rc rc = model_and_member(svc, who, member_id, arena, &out->model, err);
    if (rc != PT_OK) {
        return rc;
    }
    unit_days = pt_clv_unit_days(out->model.unit);
    if (horizon < 1 || horizon > PT_CLV_HORIZON_DAYS_MAX / unit_days) {
        return pt_err_set(err, PT_EINVAL, "horizon", "horizon must be 1 to %lld (%ss, ten years)",
                          (long long)(PT_CLV_HORIZON_DAYS_MAX / unit_days),
                          pt_clv_unit_names[out->model.unit]);
    }
    (void)snprintf(out->as_of, sizeof(out->as_of), "%s",
                   as_of != NULL ? as_of : out->model.calibration_end);
    out->horizon = horizon;
    rc = pt_clv_date_parse(out->as_of, "as_of", &day, err);
    memset(&b, 0, sizeof(b));
    if (rc == PT_OK) {
        /* A model's calibration end was today or before when it was fitted. */
        rc = customers_read(svc, who, member_id, day, as_of != NULL ? "as_of" : NULL, arena,
                            &program, &b, err);
    }
    if (rc == PT_OK) {
        out->discount_rate_bp = program.clv_discount_rate_bp;
        (void)snprintf(out->currency, sizeof(out->currency), "%s", program.currency);
        /* A member without a purchase by as_of is a customer starting then: x = t_x = T = 0. */
        rc = pt_clv_value(&out->model, b.count > 0 ? &b.customers[0] : &none, horizon,
                          program.clv_discount_rate_bp, &out->value, err);
    }
    pt_clv_builder_fini(&b);
    return rc;
}
