/* SPDX-License-Identifier: MIT */
/*
 * Goal: the pure rules of users, passwords and sessions (core/user.h): a password's bounds and
 * shapes, a user's fields and roles, the lock-out's count and time, a session's end, a token's
 * shape, and the member's own profile fields.
 * Method: each limit at N and N+1, each refusal's field and code, the lock-out driven through
 * its five failures and its end to the millisecond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/member.h"
#include "core/user.h"

static void test_pt_password_validate__bounds_at_n_and_n_plus_1(void **state)
{
    char pw[PT_PASSWORD_BYTES_MAX + 2];
    struct pt_err err;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(pw); i++) {
        pw[i] = (char)('a' + i % 7);
    }
    pw[PT_PASSWORD_BYTES_MIN - 1] = '\0';
    assert_int_equal(pt_password_validate("password", pw, NULL, NULL, &err), PT_EINVAL);
    assert_string_equal(err.field, "password");
    pw[PT_PASSWORD_BYTES_MIN - 1] = 'x';
    pw[PT_PASSWORD_BYTES_MIN] = '\0';
    assert_int_equal(pt_password_validate("password", pw, NULL, NULL, &err), PT_OK);
    for (i = 0; i < sizeof(pw); i++) {
        pw[i] = (char)('a' + i % 7);
    }
    pw[PT_PASSWORD_BYTES_MAX] = '\0';
    assert_int_equal(pt_password_validate("password", pw, NULL, NULL, &err), PT_OK);
    pw[PT_PASSWORD_BYTES_MAX] = 'x';
    pw[PT_PASSWORD_BYTES_MAX + 1] = '\0';
    assert_int_equal(pt_password_validate("new_password", pw, NULL, NULL, &err), PT_EINVAL);
    assert_string_equal(err.field, "new_password");
}

static void test_pt_password_validate__refuses_one_character_and_the_login(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_password_validate("password", "zzzzzzzzzzzz", NULL, NULL, &err), PT_EINVAL);
    assert_int_equal(pt_password_validate("password", "zzzzzzzzzzzy", NULL, NULL, &err), PT_OK);
    assert_int_equal(
        pt_password_validate("password", "ANN@EXAMPLE.COM", "ann@example.com", NULL, &err),
        PT_EINVAL);
    assert_int_equal(pt_password_validate("password", "+4915112345678", "ann@example.com",
                                          "+4915112345678", &err),
                     PT_EINVAL);
    assert_int_equal(pt_password_validate("password", "ann@example.com!", "ann@example.com",
                                          "+4915112345678", &err),
                     PT_OK);
}

static void test_pt_user_validate__fields_and_roles(void **state)
{
    struct pt_user u;
    struct pt_err err;
    enum pt_role role;
    enum pt_user_status status;
    char name[PT_USER_NAME_BYTES_MAX + 2];
    (void)state;
    memset(&u, 0, sizeof(u));
    memset(name, 'n', sizeof(name));
    name[PT_USER_NAME_BYTES_MAX] = '\0';
    u.email = "ann@example.com";
    u.name = name;
    u.role = PT_ROLE_VIEWER;
    assert_int_equal(pt_user_validate(&u, &err), PT_OK);
    name[PT_USER_NAME_BYTES_MAX] = 'n';
    name[PT_USER_NAME_BYTES_MAX + 1] = '\0';
    assert_int_equal(pt_user_validate(&u, &err), PT_EINVAL);
    assert_string_equal(err.field, "name");
    u.name = "Ann";
    u.email = "ann";
    assert_int_equal(pt_user_validate(&u, &err), PT_EINVAL);
    assert_string_equal(err.field, "email");
    u.email = "ann@example.com";
    u.role = PT_ROLE_MEMBER; /* A member's role is never a user's. */
    assert_int_equal(pt_user_validate(&u, &err), PT_EINVAL);
    assert_string_equal(err.field, "role");
    assert_int_equal(pt_user_role_parse("viewer", &role, &err), PT_OK);
    assert_int_equal(role, PT_ROLE_VIEWER);
    assert_int_equal(pt_user_role_parse("member", &role, &err), PT_EINVAL);
    assert_int_equal(pt_user_role_parse("owner", &role, &err), PT_EINVAL);
    assert_int_equal(pt_user_status_parse("disabled", &status, &err), PT_OK);
    assert_int_equal(status, PT_USER_DISABLED);
    assert_int_equal(pt_user_status_parse("closed", &status, &err), PT_EINVAL);
    assert_string_equal(err.field, "status");
    assert_true(pt_role_is_key_role(PT_ROLE_VIEWER));
    assert_false(pt_role_is_key_role(PT_ROLE_MEMBER));
}

static void test_pt_login__five_failures_lock_for_fifteen_minutes(void **state)
{
    struct pt_login_state s = {0, 0};
    const int64_t t0 = 1000000000000;
    int64_t retry = -1;
    int i;
    (void)state;
    for (i = 1; i < PT_SIGN_IN_FAILURES_MAX; i++) {
        assert_false(pt_login_failed(&s, t0 + i));
        assert_int_equal(s.failed_count, i);
        assert_false(pt_login_is_locked(&s, t0 + i, &retry));
        assert_int_equal(retry, 0);
    }
    assert_true(pt_login_failed(&s, t0));
    assert_int_equal(s.failed_count, 0);
    assert_int_equal(s.locked_until_ms, t0 + PT_SIGN_IN_LOCK_MS);
    assert_true(pt_login_is_locked(&s, t0, &retry));
    assert_int_equal(retry, PT_SIGN_IN_LOCK_MS / 1000);
    assert_true(pt_login_is_locked(&s, t0 + PT_SIGN_IN_LOCK_MS - 1, &retry));
    assert_int_equal(retry, 1); /* Rounded up: never 0 while locked. */
    assert_true(pt_login_is_locked(&s, t0 + 1500, &retry));
    assert_int_equal(retry, PT_SIGN_IN_LOCK_MS / 1000 - 1);
    assert_false(pt_login_is_locked(&s, t0 + PT_SIGN_IN_LOCK_MS, &retry));
    assert_false(pt_login_failed(&s, t0 + PT_SIGN_IN_LOCK_MS));
    assert_int_equal(s.failed_count, 1);
    pt_login_succeeded(&s);
    assert_int_equal(s.failed_count, 0);
    assert_int_equal(s.locked_until_ms, 0);
}

static void test_pt_session__ends_and_token_shape(void **state)
{
    char token[PT_SESSION_TOKEN_BYTES + 2];
    (void)state;
    assert_int_equal(pt_session_expires_at(PT_SESSION_USER, 1000), 1000 + PT_USER_SESSION_MS);
    assert_int_equal(pt_session_expires_at(PT_SESSION_MEMBER, 1000), 1000 + PT_MEMBER_SESSION_MS);
    memset(token, 'A', sizeof(token));
    token[3] = '-';
    token[4] = '_';
    token[5] = '9';
    assert_true(pt_session_token_is_valid(token, PT_SESSION_TOKEN_BYTES));
    assert_false(pt_session_token_is_valid(token, PT_SESSION_TOKEN_BYTES - 1));
    assert_false(pt_session_token_is_valid(token, PT_SESSION_TOKEN_BYTES + 1));
    token[7] = '=';
    assert_false(pt_session_token_is_valid(token, PT_SESSION_TOKEN_BYTES));
    token[7] = '+';
    assert_false(pt_session_token_is_valid(token, PT_SESSION_TOKEN_BYTES));
    assert_false(pt_session_token_is_valid(NULL, 0));
}

static void test_pt_refusals__codes_and_statuses(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_sign_in_refused(&err), PT_EAUTH);
    assert_string_equal(err.code, "invalid_credentials");
    assert_int_equal(pt_sign_in_locked(900, &err), PT_ERATE);
    assert_string_equal(err.code, "locked");
    assert_int_equal(pt_user_last_admin(&err), PT_ECONFLICT);
    assert_string_equal(err.code, "last_admin");
    assert_int_equal(pt_user_email_taken(&err), PT_ECONFLICT);
    assert_string_equal(err.field, "email");
}

static void test_pt_member_self_may_set__only_the_profile(void **state)
{
    (void)state;
    assert_true(pt_member_self_may_set("first_name"));
    assert_true(pt_member_self_may_set("consents"));
    assert_true(pt_member_self_may_set("locale"));
    assert_false(pt_member_self_may_set("status"));
    assert_false(pt_member_self_may_set("email"));
    assert_false(pt_member_self_may_set("attributes"));
    assert_false(pt_member_self_may_set(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_password_validate__bounds_at_n_and_n_plus_1),
        PT_TEST(test_pt_password_validate__refuses_one_character_and_the_login),
        PT_TEST(test_pt_user_validate__fields_and_roles),
        PT_TEST(test_pt_login__five_failures_lock_for_fifteen_minutes),
        PT_TEST(test_pt_session__ends_and_token_shape),
        PT_TEST(test_pt_refusals__codes_and_statuses),
        PT_TEST(test_pt_member_self_may_set__only_the_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
