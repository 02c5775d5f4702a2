/* SPDX-License-Identifier: MIT */
/*
 * RFM (service_rfm.h; docs/analytics.md, "RFM"): the date's end in the program's time zone
 * (core/rfm.c), the members' figures read by the store in one read transaction (never the
 * writer), then recency in local days and the scores of rfm 0.3.0 with the currency's unit.
 */
#include "service/service_int.h"
#include "service/service_rfm.h"

#include "base/alloc.h"
#include "core/member.h"
#include "core/program.h"
#include "core/summary.h"

#include <stdlib.h>
#include <string.h>

/* One whole unit of currency in minor units: RFM's "+1" on a money cut point (docs/analytics.md).
 */
static int64_t unit_minor(const char *currency)
{
    int64_t unit = 1;
    int e;
    for (e = pt_currency_exponent(currency); e > 0; e--) {
        unit *= 10;
    }
    return unit;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pt_rfm_row *)a)->member_id,
                  ((const struct pt_rfm_row *)b)->member_id);
}

/* The program, its zone and the member (when named), then the rows before end of as_of. */
static enum pt_rc rfm_read(struct pt_service *svc, struct pt_store_txn *txn,
                           const struct pt_principal *who, const char *as_of, const char *member_id,
                           struct pt_arena *arena, struct pt_rfm_answer *out, int64_t *as_of_days,
                           struct pt_err *err)
{
    struct pt_program program;
    struct pt_rule_set *set = NULL;
    struct pt_member member;
    int64_t end_ms;
    enum pt_rc rc = pt_store_program_get(txn, who->program_id, arena, &program, err);
    if (rc == PT_OK && member_id != NULL) {
        rc = pt_store_member_get(txn, who->program_id, member_id, arena, &member, err);
        if (rc == PT_ENOTFOUND) {
            rc = pt_member_not_found(err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_svc_rule_set_get(svc, txn, &program, &set, err); /* The program's zone. */
    }
    if (rc != PT_OK) {
        pt_svc_rule_set_release(svc, set);
        return rc;
    }
    if (as_of == NULL) {
        *as_of_days = pt_tz_local_day(set->tz, pt_svc_now_ms(svc, who->program_id));
    }
    /* On or before as_of: before the first instant of the next local day. */
    end_ms = pt_summary_day_start_ms(set->tz, *as_of_days + 1);
    memcpy(out->currency, program.currency, sizeof(out->currency));
    rc = pt_store_rfm_rows(txn, who->program_id, end_ms, &out->rows, &out->count, err);
    if (rc == PT_OK) {
        pt_rfm_recency(out->rows, out->count, set->tz, *as_of_days);
    }
    pt_svc_rule_set_release(svc, set);
    return rc;
}

enum pt_rc pt_service_rfm(struct pt_service *svc, const struct pt_principal *who, const char *as_of,
                          const char *member_id, struct pt_arena *arena, struct pt_rfm_answer *out,
                          struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    int64_t as_of_days = 0;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    if (as_of != NULL && !pt_rfm_date_parse(as_of, &as_of_days)) {
        return pt_err_set(err, PT_EINVAL, "as_of", "as_of must be a date YYYY-MM-DD");
    }
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = rfm_read(svc, txn, who, as_of, member_id, arena, out, &as_of_days, err);
    pt_store_read_end(txn);
    if (rc != PT_OK) {
        return rc;
    }
    pt_rfm_date_format(as_of_days, out->as_of);
    if (out->count == 0) {
        return PT_OK;
    }
    rc = pt_rfm_score(out->rows, out->count, unit_minor(out->currency), err);
    /* Engines order text by their collation: the API's order is by bytes, sorted here. */
    qsort(out->rows, out->count, sizeof(*out->rows), row_cmp);
    return rc;
}

void pt_service_rfm_fini(struct pt_rfm_answer *a)
{
    pt_free(a->rows);
    a->rows = NULL;
    a->count = 0;
}

size_t pt_service_rfm_after(const struct pt_rfm_answer *a, const char *cursor)
{
    size_t lo = 0;
    size_t hi = a->count;
    if (cursor == NULL) {
        return 0;
    }
    while (lo < hi) { /* The first row > cursor. */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(a->rows[mid].member_id, cursor) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

const struct pt_rfm_row *pt_service_rfm_find(const struct pt_rfm_answer *a, const char *member_id)
{
    struct pt_rfm_row key;
    size_t n = strlen(member_id);
    if (n >= sizeof(key.member_id)) {
        return NULL;
    }
    memcpy(key.member_id, member_id, n + 1);
    return a->count == 0 ? NULL : bsearch(&key, a->rows, a->count, sizeof(*a->rows), row_cmp);
}
