/* SPDX-License-Identifier: MIT */
/*
 * Goal: a key's name is 1..PT_KEY_NAME_BYTES_MAX bytes of text, and the roles are one table.
 * Method: names at N and N+1, the table both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/names.h"
#include "core/keys.h"

static void test_pt_key_name_validate__n_and_n_plus_1(void **state)
{
    char name[PT_KEY_NAME_BYTES_MAX + 2];
    struct pt_err err;
    (void)state;
    memset(name, 'k', sizeof(name));
    name[PT_KEY_NAME_BYTES_MAX] = '\0';
    assert_int_equal(pt_key_name_validate(name, &err), PT_OK);
    name[PT_KEY_NAME_BYTES_MAX] = 'k';
    name[PT_KEY_NAME_BYTES_MAX + 1] = '\0';
    assert_int_equal(pt_key_name_validate(name, &err), PT_EINVAL);
    assert_string_equal(err.field, "name");
    assert_int_equal(pt_key_name_validate("", &err), PT_EINVAL);
}

static void test_pt_role_names__both_ways(void **state)
{
    (void)state;
    assert_string_equal(pt_role_names[PT_ROLE_ADMIN], "admin");
    assert_string_equal(pt_role_names[PT_ROLE_STAFF], "staff");
    assert_int_equal(pt_name_index(pt_role_names, PT_ROLES, "staff"), PT_ROLE_STAFF);
    assert_int_equal(pt_name_index(pt_role_names, PT_ROLES, "owner"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_key_name_validate__n_and_n_plus_1),
        PT_TEST(test_pt_role_names__both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
