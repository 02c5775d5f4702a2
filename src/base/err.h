/* SPDX-License-Identifier: MIT */
/*
 * The error vocabulary of Patron. Every fallible function returns an enum pt_rc and fills the
 * caller's struct pt_err (never NULL). Operating errors are pt_rc values; programmer errors are
 * assertions (assert.h). The rc -> HTTP table lives in src/http/errors.c and the rc -> exit status
 * table in src/cli/exit.c; nowhere else.
 */
#ifndef PT_BASE_ERR_H
#define PT_BASE_ERR_H

#include <stddef.h>

#define PT_MUSTCHECK __attribute__((warn_unused_result))

#define PT_RC_MAP(XX)                                                                              \
    XX(OK, "ok")                                                                                   \
    XX(EINVAL, "invalid input")                                                                    \
    XX(ENOTFOUND, "not found")                                                                     \
    XX(ECONFLICT, "conflict")                                                                      \
    XX(EINSUFFICIENT, "insufficient points")                                                       \
    XX(ELIMIT, "limit exceeded")                                                                   \
    XX(EBUSY, "busy, retry")                                                                       \
    XX(ENOMEM, "out of memory")                                                                    \
    XX(ESTORE, "storage failure")                                                                  \
    XX(EVERSION, "database version not supported")                                                 \
    XX(EAUTH, "unauthorized")                                                                      \
    XX(EFORBIDDEN, "forbidden")                                                                    \
    XX(ERATE, "too many attempts")                                                                 \
    XX(EINTERNAL, "internal error")

enum pt_rc {
#define XX(name, text) PT_##name,
    PT_RC_MAP(XX)
#undef XX
        PT_RC_COUNT
};

struct pt_err {
    enum pt_rc rc;
    char code[48];    /* API error code ("member_exists"); "" means the default for rc. */
    char msg[160];    /* Client-safe sentence: no backend text, no secrets. */
    char field[64];   /* Dotted path of the offending input field, "" if none. */
    char backend[16]; /* e.g. "SQLITE_BUSY"; logged, never returned to a client. */
    const char *file; /* Where it was set; static storage. */
    int line;
};

/* Returns the short name of rc ("EINVAL"); static storage. */
const char *pt_rc_name(enum pt_rc rc);

/* Clears err to PT_OK. */
void pt_err_clear(struct pt_err *err);

/*
 * Sets err (rc, field, printf-style message) and returns rc, so that callers can write
 * `return pt_err_set(err, PT_EINVAL, "email", "email must ...");`. field may be NULL.
 */
#define pt_err_set(err, rc, field, ...)                                                            \
    pt_err_set_at(err, rc, field, __FILE__, __LINE__, __VA_ARGS__)
enum pt_rc pt_err_set_at(struct pt_err *err, enum pt_rc rc, const char *field, const char *file,
                         int line, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sets the API error code of an already-set err ("member_exists"). Returns err->rc. */
enum pt_rc pt_err_code(struct pt_err *err, const char *code);

#endif
