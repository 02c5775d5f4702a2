/* SPDX-License-Identifier: MIT */
/*
 * Use cases, one function each: pt_service_<verb>(svc, principal, request, out, arena, err).
 * Each opens one store transaction, calls core, writes, and commits; a failure leaves no trace.
 * Writes that met a concurrent change are retried at most PT_TXN_RETRIES_MAX times.
 *
 * Ownership: the service owns its store. Out-structs point into the caller's arena.
 * Thread-safety: every function may be called from many threads at once.
 */
#ifndef PT_SERVICE_SERVICE_H
#define PT_SERVICE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/member.h"
#include "store/store.h"

struct pt_service;

/* Who is calling: resolved from the API key of the request. */
struct pt_principal {
    char program_id[PT_ID_BUF_BYTES];
    char key_id[PT_ID_BUF_BYTES];
    enum pt_role role;
};

/*
 * Encodes a successful result as the response body to keep with an idempotency key. Called
 * inside the write transaction. OUT: *body is an arena string.
 */
typedef enum pt_rc (*pt_idem_encode_fn)(void *ctx, const void *result, struct pt_arena *arena,
                                        const char **body, struct pt_err *err);

struct pt_idem {
    const char *key;              /* Idempotency-Key, or NULL for none; borrowed. */
    uint8_t request_hash[32];     /* Hash of the request (method, path, body). */
    int status;                   /* HTTP status that a success answers with. */
    pt_idem_encode_fn encode;     /* Encoder of the stored body. */
    void *encode_ctx;             /* Passed to encode; borrowed. */
    bool replayed;                /* OUT: the key was seen with this request: record holds it. */
    struct pt_idem_record record; /* OUT when replayed: the original status and body. */
};

/* Opens the service on the database at path (see pt_store_open for modes and errors). */
PT_MUSTCHECK enum pt_rc pt_service_open(const char *db_path, unsigned read_conns,
                                        enum pt_store_open_mode mode, struct pt_service **out,
                                        struct pt_err *err);
/* Closes the store and frees svc. Accepts NULL. */
void pt_service_close(struct pt_service *svc);

/* Returns the schema version the database had before this open migrated it. */
int pt_service_version_found(const struct pt_service *svc);

/* PT_OK when a read transaction can be opened (health check). */
PT_MUSTCHECK enum pt_rc pt_service_ping(struct pt_service *svc, struct pt_err *err);

/* ---- Programs and keys ---- */

struct pt_key_created {
    struct pt_api_key key;             /* The stored key (hash, prefix, role, ...). */
    char secret[PT_API_KEY_BYTES + 1]; /* The key itself: shown once, never stored. */
};

/*
 * Creates a program named name (1..PT_PROGRAM_NAME_BYTES_MAX bytes) with currency (ISO 4217,
 * three upper-case letters) and its first admin key. OUT: *program, *key (name in arena).
 */
PT_MUSTCHECK enum pt_rc pt_service_program_create(struct pt_service *svc, const char *name,
                                                  const char *currency, struct pt_arena *arena,
                                                  struct pt_program *program,
                                                  struct pt_key_created *key, struct pt_err *err);

/* PT_OK when the database holds no program yet; PT_ECONFLICT when it does (patron init). */
PT_MUSTCHECK enum pt_rc pt_service_require_empty(struct pt_service *svc, struct pt_err *err);

/* Resolves a secret to its principal. PT_EAUTH when unknown, revoked or malformed. */
PT_MUSTCHECK enum pt_rc pt_service_authenticate(struct pt_service *svc, const char *secret,
                                                size_t secret_len, struct pt_arena *arena,
                                                struct pt_principal *out, struct pt_err *err);

/* Creates a key in the principal's program. name: 1..PT_KEY_NAME_BYTES_MAX bytes of text. */
PT_MUSTCHECK enum pt_rc pt_service_key_create(struct pt_service *svc,
                                              const struct pt_principal *who, const char *name,
                                              enum pt_role role, struct pt_idem *idem,
                                              struct pt_arena *arena, struct pt_key_created *out,
                                              struct pt_err *err);
/* Lists active keys, newest first; cursor_id NULL for the first page; limit 1..PT_PAGE_LIMIT_MAX+1.
 */
PT_MUSTCHECK enum pt_rc pt_service_key_list(struct pt_service *svc, const struct pt_principal *who,
                                            const char *cursor_id, unsigned limit,
                                            struct pt_arena *arena, struct pt_api_key **out,
                                            unsigned *count, struct pt_err *err);
/* Revokes a key at once. PT_ENOTFOUND when no such active key; PT_ECONFLICT "last_admin_key"
 * when it is the program's last active admin key (a program must stay manageable). */
PT_MUSTCHECK enum pt_rc pt_service_key_revoke(struct pt_service *svc,
                                              const struct pt_principal *who, const char *key_id,
                                              struct pt_err *err);

/* ---- Members ---- */

/*
 * Enrolls a member. In: m's client-settable fields (validated here; email lower-cased in place,
 * so m->email must be writable arena memory). OUT: m completed with its server-set fields.
 * PT_EINVAL naming the field; PT_ECONFLICT "member_exists"/"idempotency_conflict".
 */
PT_MUSTCHECK enum pt_rc pt_service_member_create(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 struct pt_member *m, struct pt_idem *idem,
                                                 struct pt_arena *arena, struct pt_err *err);

/* Reads a member of the principal's program; PT_ENOTFOUND otherwise. */
PT_MUSTCHECK enum pt_rc pt_service_member_get(struct pt_service *svc,
                                              const struct pt_principal *who, const char *member_id,
                                              struct pt_arena *arena, struct pt_member *out,
                                              struct pt_err *err);

/*
 * Writes the new state m of a member read at expected_version (fields validated here).
 * PT_EBUSY when the member changed since (re-read, re-apply the patch, retry).
 * OUT: m->version and m->updated_at_ms are the new ones.
 */
PT_MUSTCHECK enum pt_rc pt_service_member_update(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 struct pt_member *m, int64_t expected_version,
                                                 struct pt_err *err);

/* Lists members matching filter (see pt_store_member_list). */
PT_MUSTCHECK enum pt_rc pt_service_member_list(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               struct pt_member_filter *filter,
                                               struct pt_arena *arena, struct pt_member **out,
                                               unsigned *count, struct pt_err *err);

#endif
