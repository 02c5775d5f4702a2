/* SPDX-License-Identifier: MIT */
/* The one table from pt_rc to HTTP status and API error code (API.md, "Errors"). */
#include "http/http_int.h"

#include "base/assert.h"

static const struct {
    unsigned status;
    const char *code;
} rc_table[PT_RC_COUNT] = {
    [PT_OK] = {200, "ok"},
    [PT_EINVAL] = {400, "validation_failed"},
    [PT_ENOTFOUND] = {404, "not_found"},
    [PT_ECONFLICT] = {409, "conflict"},
    [PT_EINSUFFICIENT] = {422, "insufficient_points"},
    [PT_ELIMIT] = {422, "limit_exceeded"},
    [PT_EBUSY] = {503, "unavailable"},
    [PT_ENOMEM] = {503, "unavailable"},
    [PT_ESTORE] = {503, "unavailable"},
    [PT_EVERSION] = {503, "unavailable"},
    [PT_EAUTH] = {401, "unauthorized"},
    [PT_EFORBIDDEN] = {403, "forbidden"},
    [PT_ERATE] = {429, "rate_limited"},
    [PT_EINTERNAL] = {500, "internal"},
};

unsigned pt_http_status_of(enum pt_rc rc)
{
    pt_assert((unsigned)rc < PT_RC_COUNT);
    pt_assert(rc_table[rc].status != 0);
    return rc_table[rc].status;
}

const char *pt_http_code_of(enum pt_rc rc)
{
    pt_assert((unsigned)rc < PT_RC_COUNT);
    return rc_table[rc].code;
}
