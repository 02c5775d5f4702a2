/* SPDX-License-Identifier: MIT */
/*
 * The operator's work on the database as a whole (patron backup, migrate-store, audit): a
 * consistent copy, a copy into another engine in one write, and the audit of the ledger's sums.
 */
#include "service/service_int.h"

enum pt_rc pt_service_backup(struct pt_service *svc, const char *dest, struct pt_err *err)
{
    return pt_store_backup(svc->store, dest, err);
}

struct copy_ctx {
    struct pt_store_txn *src;
    int64_t *rows;
};

static enum pt_rc copy_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct copy_ctx *ctx = arg;
    return pt_store_copy_into(ctx->src, txn, ctx->rows, err);
}

enum pt_rc pt_service_migrate_store(const char *from, const char *to, int64_t *rows,
                                    struct pt_err *err)
{
    struct pt_service *src = NULL;
    struct pt_service *dst = NULL;
    struct copy_ctx ctx = {NULL, rows};
    enum pt_rc rc = pt_service_open(from, 1, PT_STORE_OPEN_EXISTING, &src, err);
    *rows = 0;
    if (rc == PT_OK) {
        rc = pt_service_open(to, 1, PT_STORE_OPEN_CREATE, &dst, err);
    }
    if (rc == PT_OK) {
        /* One snapshot of the source; the copy is one write of the target, so the target holds
         * all of it or nothing. The queue's shedding does not apply: nothing else writes. */
        pt_service_set_max_write_wait(dst, 0);
        rc = pt_store_read_begin(src->store, &ctx.src, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_write(dst->store, copy_txn, &ctx, err);
        pt_store_read_end(ctx.src);
    }
    pt_service_close(dst);
    pt_service_close(src);
    return rc;
}

enum pt_rc pt_service_audit(struct pt_service *svc, char *problem, size_t problem_bytes,
                            struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_audit(txn, problem, problem_bytes, err);
    pt_store_read_end(txn);
    return rc;
}
