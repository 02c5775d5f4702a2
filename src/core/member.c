/* SPDX-License-Identifier: MIT */
/*
 * Member field validation. Every check names the field and says what a good value looks like,
 * so that an integrator can fix a request from the error alone.
 */
#include "core/member.h"

#include "base/assert.h"
#include "base/clock.h"

#include <stddef.h>
#include <string.h>

const char *const pt_member_genders[] = {"female", "male",        "nonbinary",
                                         "other",  "undisclosed", NULL};

/* ISO 3166-1 alpha-2 officially assigned codes (249), concatenated. */
static const char countries[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCI"
    "CKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQ"
    "GRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLS"
    "LTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPG"
    "PHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTK"
    "TLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

_Static_assert(sizeof(countries) - 1 == 2 * 249, "249 assigned country codes");

const char *pt_member_status_name(enum pt_member_status status)
{
    switch (status) {
    case PT_MEMBER_ACTIVE:
        return "active";
    case PT_MEMBER_SUSPENDED:
        return "suspended";
    case PT_MEMBER_CLOSED:
        return "closed";
    case PT_MEMBER_ERASED:
        return "erased";
    }
    pt_assert(!"unknown member status");
    return "";
}

enum pt_rc pt_member_require_open(const struct pt_member *m, struct pt_err *err)
{
    pt_assert(m != NULL);
    pt_assert(m->status == PT_MEMBER_ACTIVE || m->status == PT_MEMBER_SUSPENDED ||
              m->status == PT_MEMBER_CLOSED || m->status == PT_MEMBER_ERASED);
    if (m->status == PT_MEMBER_ERASED) {
        return pt_member_erased(m, err);
    }
    if (m->status != PT_MEMBER_CLOSED) {
        return PT_OK;
    }
    (void)pt_err_set(err, PT_ELIMIT, "member_id",
                     "member %s is closed: it is read-only until reopened (POST "
                     "/v1/members/{id}/reopen)",
                     m->id);
    return pt_err_code(err, "member_inactive");
}

enum pt_rc pt_member_erased(const struct pt_member *m, struct pt_err *err)
{
    (void)pt_err_set(err, PT_ECONFLICT, "member_id",
                     "member %s was erased: it is closed forever and takes no writes", m->id);
    return pt_err_code(err, "member_erased");
}

bool pt_member_is_closed(const struct pt_member *m)
{
    return m->status == PT_MEMBER_CLOSED || m->status == PT_MEMBER_ERASED;
}

void pt_member_erase(struct pt_member *m, int64_t now_ms)
{
    m->external_id = NULL;
    m->email = NULL;
    m->phone = NULL;
    m->first_name = NULL;
    m->last_name = NULL;
    m->birth_date = NULL;
    m->gender = NULL;
    m->locale = NULL;
    m->city = NULL;
    m->country = NULL;
    m->attributes_json = "{}";
    m->consent_email = false;
    m->consent_sms = false;
    m->consent_push = false;
    memset(m->card_number, 0, sizeof(m->card_number));
    memset(m->referral_code, 0, sizeof(m->referral_code));
    m->status = PT_MEMBER_ERASED;
    m->updated_at_ms = now_ms;
}

enum pt_rc pt_member_status_parse(const char *s, enum pt_member_status *out, struct pt_err *err)
{
    if (strcmp(s, "active") == 0) {
        *out = PT_MEMBER_ACTIVE;
    } else if (strcmp(s, "suspended") == 0) {
        *out = PT_MEMBER_SUSPENDED;
    } else if (strcmp(s, "closed") == 0) {
        *out = PT_MEMBER_CLOSED;
    } else {
        return pt_err_set(err, PT_EINVAL, "status",
                          "status must be one of active, suspended, closed");
    }
    return PT_OK;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum pt_rc pt_validate_email(const char *s, struct pt_err *err)
{
    const char *at = strchr(s, '@');
    size_t len = strlen(s);
    size_t local_len;
    const char *domain;
    size_t i;
    if (len == 0 || len > PT_EMAIL_BYTES_MAX || at == NULL || strchr(at + 1, '@') != NULL) {
        goto bad;
    }
    local_len = (size_t)(at - s);
    domain = at + 1;
    if (local_len == 0 || local_len > PT_EMAIL_LOCAL_BYTES_MAX) {
        goto bad;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' ||
            c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\') {
            goto bad;
        }
    }
    /* The domain needs a dot that is neither first nor last, and no empty labels. */
    if (strchr(domain, '.') == NULL || domain[0] == '.' || s[len - 1] == '.' ||
        strstr(domain, "..") != NULL || domain[0] == '-') {
        goto bad;
    }
    return PT_OK;
bad:
    return pt_err_set(err, PT_EINVAL, "email",
                      "email must be an address like name@example.com (at most %d bytes)",
                      PT_EMAIL_BYTES_MAX);
}

enum pt_rc pt_validate_phone(const char *s, struct pt_err *err)
{
    size_t digits = strlen(s + (s[0] == '+' ? 1 : 0));
    size_t i;
    if (s[0] != '+' || digits < PT_PHONE_DIGITS_MIN || digits > PT_PHONE_DIGITS_MAX ||
        s[1] == '0') {
        goto bad;
    }
    for (i = 1; s[i] != '\0'; i++) {
        if (!is_digit(s[i])) {
            goto bad;
        }
    }
    return PT_OK;
bad:
    return pt_err_set(err, PT_EINVAL, "phone",
                      "phone must be in E.164 form: '+', country code and number, %d to %d digits",
                      PT_PHONE_DIGITS_MIN, PT_PHONE_DIGITS_MAX);
}

enum pt_rc pt_validate_birth_date(const char *s, int64_t now_ms, struct pt_err *err)
{
    int64_t year;
    unsigned month;
    unsigned day;
    int64_t now_year;
    unsigned now_month;
    unsigned now_day;
    int i;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        goto bad;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && !is_digit(s[i])) {
            goto bad;
        }
    }
    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    month = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    day = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (!pt_date_is_valid(year, month, day)) {
        goto bad;
    }
    pt_civil_from_ms(now_ms, &now_year, &now_month, &now_day);
    if (year < 1900 ||
        pt_days_from_civil(year, month, day) > pt_days_from_civil(now_year, now_month, now_day)) {
        return pt_err_set(err, PT_EINVAL, "birth_date",
                          "birth_date must be between 1900-01-01 and today");
    }
    return PT_OK;
bad:
    return pt_err_set(err, PT_EINVAL, "birth_date", "birth_date must be a date YYYY-MM-DD");
}

enum pt_rc pt_validate_gender(const char *s, struct pt_err *err)
{
    int i;
    for (i = 0; pt_member_genders[i] != NULL; i++) {
        if (strcmp(s, pt_member_genders[i]) == 0) {
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINVAL, "gender",
                      "gender must be one of female, male, nonbinary, other, undisclosed");
}

enum pt_rc pt_validate_locale(const char *s, struct pt_err *err)
{
    /* BCP 47 subset: language (2-3 letters), then subtags of 2-8 letters or digits. */
    size_t len = strlen(s);
    size_t i = 0;
    size_t sub_len = 0;
    size_t subtag_index = 0;
    if (len == 0 || len > PT_LOCALE_BYTES_MAX) {
        goto bad;
    }
    for (i = 0; i <= len; i++) {
        char c = s[i];
        if (c == '-' || c == '\0') {
            if ((subtag_index == 0 && (sub_len < 2 || sub_len > 3)) ||
                (subtag_index > 0 && (sub_len < 2 || sub_len > 8))) {
                goto bad;
            }
            subtag_index++;
            sub_len = 0;
        } else if (is_alpha(c) || (subtag_index > 0 && is_digit(c))) {
            sub_len++;
        } else {
            goto bad;
        }
    }
    return PT_OK;
bad:
    return pt_err_set(err, PT_EINVAL, "locale",
                      "locale must be a language tag like en, de-CH or pt-BR");
}

bool pt_country_is_assigned(const char *s)
{
    size_t i;
    if (strlen(s) != 2) {
        return false;
    }
    for (i = 0; i + 1 < sizeof(countries); i += 2) {
        if (countries[i] == s[0] && countries[i + 1] == s[1]) {
            return true;
        }
    }
    return false;
}

enum pt_rc pt_validate_country(const char *s, struct pt_err *err)
{
    if (!pt_country_is_assigned(s)) {
        return pt_err_set(err, PT_EINVAL, "country",
                          "country must be an ISO 3166-1 alpha-2 code in upper case, like DE");
    }
    return PT_OK;
}

enum pt_rc pt_validate_text(const char *field, const char *s, size_t bytes_max, struct pt_err *err)
{
    size_t len = strlen(s);
    bool blank = true;
    size_t i;
    pt_assert(field != NULL);
    pt_assert(bytes_max > 0);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            return pt_err_set(err, PT_EINVAL, field, "%s must not contain control characters",
                              field);
        }
        if (c != ' ') {
            blank = false;
        }
    }
    if (len == 0 || blank || len > bytes_max) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be 1 to %zu bytes of text", field,
                          bytes_max);
    }
    return PT_OK;
}

enum pt_rc pt_validate_external_id(const char *s, struct pt_err *err)
{
    size_t len = strlen(s);
    size_t i;
    if (len == 0 || len > PT_EXTERNAL_ID_BYTES_MAX) {
        goto bad;
    }
    for (i = 0; i < len; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f) {
            goto bad;
        }
    }
    return PT_OK;
bad:
    return pt_err_set(err, PT_EINVAL, "external_id",
                      "external_id must be 1 to %d printable ASCII characters without spaces",
                      PT_EXTERNAL_ID_BYTES_MAX);
}

void pt_email_normalize(char *email)
{
    char *p;
    for (p = email; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
}

/* The field checks that do not judge by the time, as the table calls them. */
#define CHECK_TEXT(fn)                                                                             \
    static enum pt_rc fn##_at(const char *s, int64_t now_ms, struct pt_err *err)                   \
    {                                                                                              \
        (void)now_ms;                                                                              \
        return fn(s, err);                                                                         \
    }
CHECK_TEXT(pt_validate_external_id)
CHECK_TEXT(pt_validate_email)
CHECK_TEXT(pt_validate_phone)
CHECK_TEXT(pt_validate_gender)
CHECK_TEXT(pt_validate_locale)
CHECK_TEXT(pt_validate_country)

#define MEMBER_TEXT(key, member, bytes, fn)                                                        \
    {                                                                                              \
        .name = key, .type = PT_FIELD_TEXT, .offset = offsetof(struct pt_member, member),          \
        .max = bytes, .nullable = true, .check = fn                                                \
    }
#define CUSTOM_FIELD(key)                                                                          \
    {                                                                                              \
        .name = key, .type = PT_FIELD_CUSTOM                                                       \
    }

/* The fields a client may set at enrollment (PATCH may set status too), in the API's order: the
 * order of the checks and of the answer's keys. Custom: attributes (a JSON object kept as
 * text), consents (an object whose null members are false) and status. */
const struct pt_field pt_member_fields[] = {
    MEMBER_TEXT("external_id", external_id, 0, pt_validate_external_id_at),
    MEMBER_TEXT("email", email, 0, pt_validate_email_at),
    MEMBER_TEXT("phone", phone, 0, pt_validate_phone_at),
    MEMBER_TEXT("first_name", first_name, PT_NAME_BYTES_MAX, NULL),
    MEMBER_TEXT("last_name", last_name, PT_NAME_BYTES_MAX, NULL),
    MEMBER_TEXT("birth_date", birth_date, 0, pt_validate_birth_date),
    MEMBER_TEXT("gender", gender, 0, pt_validate_gender_at),
    MEMBER_TEXT("locale", locale, 0, pt_validate_locale_at),
    MEMBER_TEXT("city", city, PT_CITY_BYTES_MAX, NULL),
    MEMBER_TEXT("country", country, 0, pt_validate_country_at),
    CUSTOM_FIELD("attributes"),
    CUSTOM_FIELD("consents"),
    CUSTOM_FIELD("status"),
};

const char *const pt_member_server_fields[] = {"id",          "card_number", "referral_code",
                                               "enrolled_at", "updated_at",  NULL};

const char *const pt_member_self_fields[] = {"first_name", "last_name", "phone", "birth_date",
                                             "consents",   "locale",    NULL};

bool pt_member_self_may_set(const char *name)
{
    size_t i;
    for (i = 0; pt_member_self_fields[i] != NULL; i++) {
        if (strcmp(pt_member_self_fields[i], name) == 0) {
            return true;
        }
    }
    return false;
}

enum pt_rc pt_member_validate(const struct pt_member *m, int64_t now_ms, struct pt_err *err)
{
    /* Each present field in the order of the API's field list; the first bad one is reported. */
    enum pt_rc rc = pt_fields_validate_at(pt_member_fields, PT_MEMBER_FIELD_COUNT, m, now_ms, err);
    pt_assert(m->attributes_json != NULL);
    if (rc == PT_OK && strlen(m->attributes_json) > PT_ATTRIBUTES_BYTES_MAX) {
        rc = pt_err_set(err, PT_EINVAL, "attributes",
                        "attributes must be a JSON object of at most %d bytes",
                        PT_ATTRIBUTES_BYTES_MAX);
    }
    return rc;
}

enum pt_rc pt_member_require_active(const struct pt_member *m, struct pt_err *err)
{
    if (m->status == PT_MEMBER_ERASED) {
        return pt_member_erased(m, err);
    }
    if (m->status != PT_MEMBER_ACTIVE) {
        (void)pt_err_set(err, PT_ELIMIT, "member_id", "member %s is %s", m->id,
                         pt_member_status_name(m->status));
        return pt_err_code(err, "member_inactive");
    }
    return PT_OK;
}

int64_t pt_member_birth_month(const char *birth_date)
{
    if (birth_date == NULL || strlen(birth_date) < 7) {
        return 0;
    }
    return (birth_date[5] - '0') * 10 + (birth_date[6] - '0');
}

enum pt_rc pt_member_exists(const char *field, struct pt_err *err)
{
    (void)pt_err_set(err, PT_ECONFLICT, field, "a member with this %s already exists", field);
    return pt_err_code(err, "member_exists");
}

enum pt_rc pt_member_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such member");
}

enum pt_rc pt_member_changed(struct pt_err *err)
{
    return pt_err_set(err, PT_EBUSY, NULL, "the member changed meanwhile, retry");
}

enum pt_rc pt_member_key_taken(const char *kind, struct pt_err *err)
{
    return pt_err_set(err, PT_ECONFLICT, kind, "%s is taken", kind);
}

enum pt_rc pt_member_id_taken(struct pt_err *err)
{
    return pt_err_set(err, PT_ECONFLICT, "id", "member id taken");
}
