/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value's storage (store_clv.h): the purchases a fit or a member's value
 * reads, streamed into core's builder row by row (a fit's customers are far fewer than its
 * rows), and the program's model, one row a program. The model's nine parameters and
 * likelihoods are kept as one text of doubles written with 17 significant digits, which strtod
 * reads back as the same doubles.
 */
#include "store/store_int.h"

#include "base/assert.h"
#include "core/purchase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Purchases before ?2 by member and time; a purchase returned in full is no purchase. */
#define CLV_PURCHASES_SQL                                                                          \
    "SELECT member_id, occurred_at_ms, amount, discount, returned_amount FROM purchases "          \
    "WHERE program_id = ?1 AND occurred_at_ms < ?2 AND (returned_amount < amount OR amount = 0) "

enum pt_rc pt_store_clv_purchases(struct pt_store_txn *txn, const char *program_id,
                                  const char *member_id, int64_t end_ms,
                                  struct pt_clv_builder *builder, struct pt_err *err)
{
    static const char all_sql[] = CLV_PURCHASES_SQL "ORDER BY member_id, occurred_at_ms";
    static const char one_sql[] = CLV_PURCHASES_SQL "AND member_id = ?3 ORDER BY occurred_at_ms";
    char last[PT_ID_BUF_BYTES] = "";
    struct pt_q q;
    (void)pt_q_open(&q, txn, member_id != NULL ? one_sql : all_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, end_ms);
    if (member_id != NULL) {
        pt_q_text(&q, 3, member_id);
    }
    while (q.rc == PT_OK && pt_q_next(&q)) {
        const char *member = pt_q_col_text_borrowed(&q, 0);
        int64_t value =
            pt_purchase_kept_value(pt_q_col_int(&q, 2), pt_q_col_int(&q, 3), pt_q_col_int(&q, 4));
        bool is_new = member == NULL || strcmp(member, last) != 0;
        if (is_new) {
            (void)snprintf(last, sizeof(last), "%s", member != NULL ? member : "");
        }
        q.rc = pt_clv_builder_add(builder, is_new, pt_q_col_int(&q, 1), value, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_clv_model_put(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_clv_model *m, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO clv_models (program_id, calibration_end, time_unit, currency_exponent, "
        "parameters, customers, repeat_customers, spend_customers, fitted_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (program_id) DO UPDATE SET "
        "calibration_end = excluded.calibration_end, time_unit = excluded.time_unit, "
        "currency_exponent = excluded.currency_exponent, parameters = excluded.parameters, "
        "customers = excluded.customers, repeat_customers = excluded.repeat_customers, "
        "spend_customers = excluded.spend_customers, fitted_at_ms = excluded.fitted_at_ms";
    char parameters[9 * 26];
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)snprintf(parameters, sizeof(parameters),
                   "%.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g", m->bgnbd.r,
                   m->bgnbd.alpha, m->bgnbd.a, m->bgnbd.b, m->bgnbd_ll, m->gg.p, m->gg.q,
                   m->gg.gamma, m->gg_ll);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, m->calibration_end);
    pt_q_text(&q, 3, pt_clv_unit_names[m->unit]);
    pt_q_int(&q, 4, m->currency_exponent);
    pt_q_text(&q, 5, parameters);
    pt_q_int(&q, 6, m->customers);
    pt_q_int(&q, 7, m->repeat_customers);
    pt_q_int(&q, 8, m->spend_customers);
    pt_q_int(&q, 9, m->fitted_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* The nine doubles of a stored model's text. */
static bool parameters_parse(const char *text, struct pt_clv_model *m)
{
    double *const outs[] = {&m->bgnbd.r, &m->bgnbd.alpha, &m->bgnbd.a,  &m->bgnbd.b, &m->bgnbd_ll,
                            &m->gg.p,    &m->gg.q,        &m->gg.gamma, &m->gg_ll};
    const char *s = text;
    size_t i;
    for (i = 0; s != NULL && i < sizeof(outs) / sizeof(outs[0]); i++) {
        char *end = NULL;
        *outs[i] = strtod(s, &end);
        s = end != s ? end : NULL;
    }
    return s != NULL && *s == '\0';
}

enum pt_rc pt_store_clv_model_get(struct pt_store_txn *txn, const char *program_id,
                                  struct pt_clv_model *m, bool *found, struct pt_err *err)
{
    static const char sql[] =
        "SELECT calibration_end, time_unit, currency_exponent, parameters, customers, "
        "repeat_customers, spend_customers, fitted_at_ms FROM clv_models WHERE program_id = ?1";
    struct pt_q q;
    memset(m, 0, sizeof(*m));
    *found = false;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        const char *parameters = pt_q_col_text_borrowed(&q, 3);
        unsigned unit = pt_q_col_name(&q, 1, pt_clv_unit_names, PT_CLV_UNITS);
        int64_t exponent = pt_q_col_int(&q, 2);
        pt_q_col_copy(&q, 0, m->calibration_end, sizeof(m->calibration_end));
        m->customers = pt_q_col_int(&q, 4);
        m->repeat_customers = pt_q_col_int(&q, 5);
        m->spend_customers = pt_q_col_int(&q, 6);
        m->fitted_at_ms = pt_q_col_int(&q, 7);
        if (unit >= PT_CLV_UNITS || exponent < 0 || exponent > 4 || parameters == NULL ||
            !parameters_parse(parameters, m)) {
            q.rc = pt_err_set(err, PT_ESTORE, NULL, "a stored CLV model does not read back");
        } else {
            m->unit = (enum pt_clv_unit)unit;
            m->currency_exponent = (int)exponent;
            *found = true;
        }
    }
    return pt_q_close(&q);
}
