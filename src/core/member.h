/* SPDX-License-Identifier: MIT */
/*
 * The member: the CRM record of one customer in one program, and the validation of each field.
 * Pure: the caller passes now_ms; strings are NUL-terminated and borrowed (usually from the
 * request's arena). NULL means the field is absent (never set, or cleared by a merge patch).
 */
#ifndef PT_CORE_MEMBER_H
#define PT_CORE_MEMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/fields.h"

enum pt_member_status {
    PT_MEMBER_ACTIVE,
    PT_MEMBER_SUSPENDED,
    PT_MEMBER_CLOSED,
    PT_MEMBER_ERASED, /* Personal data erased (POST /v1/members/{id}/erase): closed forever. */
};

struct pt_member {
    char id[PT_ID_BUF_BYTES];         /* "mem_..."; server-set. */
    char program_id[PT_ID_BUF_BYTES]; /* Tenant; server-set from the API key. */
    const char *external_id; /* Integrator's id, unique in the program; borrowed; nullable. */
    const char *email;       /* Lower-cased, unique in the program; borrowed; nullable. */
    const char *phone;       /* E.164 "+4915112345678", unique in the program; nullable. */
    const char *first_name;  /* borrowed; nullable. */
    const char *last_name;   /* borrowed; nullable. */
    const char *birth_date;  /* "YYYY-MM-DD", not in the future; nullable. */
    const char *gender;      /* One of pt_member_genders; nullable. */
    const char *locale;      /* BCP 47 tag "en" / "pt-BR"; nullable. */
    const char *city;        /* borrowed; nullable. */
    const char *country;     /* ISO 3166-1 alpha-2, upper case; nullable. */
    const char
        *attributes_json; /* Serialized JSON object, <= PT_ATTRIBUTES_BYTES_MAX; never NULL. */
    bool consent_email;
    bool consent_sms;
    bool consent_push;
    char card_number[PT_CARD_DIGITS + 1];           /* 16 digits with Luhn check; server-set. */
    char referral_code[PT_REFERRAL_CODE_BYTES + 1]; /* Server-set. */
    enum pt_member_status status;
    int64_t enrolled_at_ms; /* Server-set at creation. */
    int64_t updated_at_ms;  /* Server-set at every change. */
    int64_t version;        /* Incremented at every change; optimistic concurrency. */
};

/* Genders accepted, NULL-terminated. */
extern const char *const pt_member_genders[];

/* Returns "active"/"suspended"/"closed"/"erased". */
const char *pt_member_status_name(enum pt_member_status status);

/*
 * A closed member is read-only (issue 16): every write on it (points, purchases, returns, the
 * wallet, coupons, its profile) is refused until an explicit reopen; reads still work. A
 * suspended member may not earn or spend (the callers refuse that) but takes corrections
 * (adjustments, returns) and profile changes. Returns PT_OK for an active or suspended member,
 * else PT_ELIMIT with code member_inactive, field "member_id".
 */
PT_MUSTCHECK enum pt_rc pt_member_require_open(const struct pt_member *m, struct pt_err *err);

/*
 * An erased member (docs/crm.md, "Privacy: export and erase") is closed forever: every write on
 * it is refused with PT_ECONFLICT code member_erased (field "member_id"), also a reopen; reads
 * show the erased shape. pt_member_require_open and pt_member_require_active refuse it so.
 */
PT_MUSTCHECK enum pt_rc pt_member_erased(const struct pt_member *m, struct pt_err *err);

/* Whether the member is closed or erased (may not sign in, may not be written). */
bool pt_member_is_closed(const struct pt_member *m);

/*
 * Erases m's personal data in place, irreversibly: email, phone, names, birth date, gender,
 * locale, city, country, external id, card number and referral code absent, attributes "{}",
 * consents false, status erased, updated_at now_ms. Id, program, enrollment time and version stay
 * (the caller counts the version). Pure.
 */
void pt_member_erase(struct pt_member *m, int64_t now_ms);

/* Parses a status name a client may set (not "erased"); PT_EINVAL (field "status") when
 * unknown. */
PT_MUSTCHECK enum pt_rc pt_member_status_parse(const char *s, enum pt_member_status *out,
                                               struct pt_err *err);

/*
 * Field validators. Each returns PT_OK or PT_EINVAL with err naming `field` and saying what a
 * valid value looks like. None accepts NULL (the caller skips absent fields).
 */
PT_MUSTCHECK enum pt_rc pt_validate_email(const char *s, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_validate_phone(const char *s, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_validate_birth_date(const char *s, int64_t now_ms, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_validate_gender(const char *s, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_validate_locale(const char *s, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_validate_country(const char *s, struct pt_err *err);
/* A human text field (names, city): 1..bytes_max bytes, no control characters, not blank. */
PT_MUSTCHECK enum pt_rc pt_validate_text(const char *field, const char *s, size_t bytes_max,
                                         struct pt_err *err);
/* external_id: 1..PT_EXTERNAL_ID_BYTES_MAX printable ASCII characters, no spaces. */
PT_MUSTCHECK enum pt_rc pt_validate_external_id(const char *s, struct pt_err *err);

/* Returns true when s is an assigned ISO 3166-1 alpha-2 code (upper case). */
bool pt_country_is_assigned(const char *s);

/* Lower-cases an email address in place (addresses are compared case-insensitively). */
void pt_email_normalize(char *email);

/* The fields of a member a client may set (PATCH also status), as a field table in the API's
 * order, and those only the server sets (NULL-ended). */
#define PT_MEMBER_FIELD_COUNT 13
extern const struct pt_field pt_member_fields[PT_MEMBER_FIELD_COUNT];
extern const char *const pt_member_server_fields[];
/* The fields a member may change in its own profile through the portal (a member session's
 * PATCH), NULL-ended: first_name, last_name, phone, birth_date, consents, locale. The others
 * (status, email, external_id, attributes, ...) are the program's. */
extern const char *const pt_member_self_fields[];
/* Whether name is one of pt_member_self_fields. */
bool pt_member_self_may_set(const char *name);

/*
 * Validates every client-settable field of m that is present, by its table. PT_EINVAL names the
 * first bad field. Does not check uniqueness (the store does).
 */
PT_MUSTCHECK enum pt_rc pt_member_validate(const struct pt_member *m, int64_t now_ms,
                                           struct pt_err *err);

/* PT_ELIMIT member_inactive (field member_id) unless the member is active. */
PT_MUSTCHECK enum pt_rc pt_member_require_active(const struct pt_member *m, struct pt_err *err);
/* The month (1..12) of a birth date "YYYY-MM-DD" (nullable: 0). */
int64_t pt_member_birth_month(const char *birth_date);
/* The refusal of a value another member of the program holds: PT_ECONFLICT member_exists
 * naming field (email, phone, external_id). */
PT_MUSTCHECK enum pt_rc pt_member_exists(const char *field, struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No member has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_member_not_found(struct pt_err *err);

/* The member was changed by another write since it was read (PT_EBUSY: the write is retried). */
PT_MUSTCHECK enum pt_rc pt_member_changed(struct pt_err *err);

/* Another member holds that email, phone, card number or referral code (kind) (PT_ECONFLICT, field
 * kind). */
PT_MUSTCHECK enum pt_rc pt_member_key_taken(const char *kind, struct pt_err *err);

/* A member with that id exists (PT_ECONFLICT, field id). */
PT_MUSTCHECK enum pt_rc pt_member_id_taken(struct pt_err *err);

#endif
