/* SPDX-License-Identifier: MIT */
/*
 * The rules engine: the compiler of rule documents and the evaluator (see rules.h). The
 * effects themselves are in rules_effects.c.
 */
#include "core/rules_int.h"

#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, never 0 (0 means "not computed"): equal strings have equal hashes, so a test of
 * equality compares hashes first and the bytes only when they match. */
uint32_t pt_rule_text_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h != 0 ? h : 1;
}

/* ---- Names ---- */

static const char *const status_names[] = {"draft", "active", "paused", "archived"};

const char *pt_rule_status_name(enum pt_rule_status s)
{
    pt_assert((unsigned)s < sizeof(status_names) / sizeof(status_names[0]));
    return status_names[s];
}

enum pt_rc pt_rule_status_parse(const char *s, enum pt_rule_status *out, struct pt_err *err)
{
    unsigned i;
    for (i = 0; s != NULL && i < sizeof(status_names) / sizeof(status_names[0]); i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum pt_rule_status)i;
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINVAL, "status",
                      "status must be one of draft, active, paused, archived");
}

/* What a fact's values are, and where it may be used. */
enum fact_type { FT_INT, FT_TEXT, FT_LIST, FT_ANY };
enum fact_scope { FS_CART, FS_ITEM, FS_SELECTED };

struct fact_def {
    const char *name; /* Exact name; or a prefix ending in '.' for keyed facts. */
    enum pt_fact fact;
    enum fact_type type;
    enum fact_scope scope;
    int64_t lo, hi; /* Allowed literal range of an FT_INT fact. */
};

#define BIG INT64_MAX
static const struct fact_def facts[] = {
    {"cart.amount", PT_FACT_CART_AMOUNT, FT_INT, FS_CART, 0, BIG},
    {"cart.item_count", PT_FACT_CART_ITEM_COUNT, FT_INT, FS_CART, 0, BIG},
    {"cart.channel", PT_FACT_CART_CHANNEL, FT_TEXT, FS_CART, 0, 0},
    {"cart.location", PT_FACT_CART_LOCATION, FT_TEXT, FS_CART, 0, 0},
    {"cart.coupons", PT_FACT_CART_COUPONS, FT_LIST, FS_CART, 0, 0},
    {"item.sku", PT_FACT_ITEM_SKU, FT_TEXT, FS_ITEM, 0, 0},
    {"item.category", PT_FACT_ITEM_CATEGORY, FT_TEXT, FS_ITEM, 0, 0},
    {"item.quantity", PT_FACT_ITEM_QUANTITY, FT_INT, FS_ITEM, 0, BIG},
    {"item.unit_price", PT_FACT_ITEM_UNIT_PRICE, FT_INT, FS_ITEM, 0, BIG},
    {"selected.quantity", PT_FACT_SELECTED_QUANTITY, FT_INT, FS_SELECTED, 0, BIG},
    {"selected.amount", PT_FACT_SELECTED_AMOUNT, FT_INT, FS_SELECTED, 0, BIG},
    {"member.tier", PT_FACT_MEMBER_TIER, FT_TEXT, FS_CART, 0, 0},
    {"member.attributes.", PT_FACT_MEMBER_ATTRIBUTE, FT_ANY, FS_CART, 0, 0},
    {"member.birth_month", PT_FACT_MEMBER_BIRTH_MONTH, FT_INT, FS_CART, 1, 12},
    {"member.days_since_enrollment", PT_FACT_MEMBER_DAYS_SINCE_ENROLLMENT, FT_INT, FS_CART, 0, BIG},
    {"member.purchase_count", PT_FACT_MEMBER_PURCHASE_COUNT, FT_INT, FS_CART, 0, BIG},
    {"member.city", PT_FACT_MEMBER_CITY, FT_TEXT, FS_CART, 0, 0},
    {"member.country", PT_FACT_MEMBER_COUNTRY, FT_TEXT, FS_CART, 0, 0},
    {"time.weekday", PT_FACT_TIME_WEEKDAY, FT_INT, FS_CART, 1, 7},
    {"time.hour", PT_FACT_TIME_HOUR, FT_INT, FS_CART, 0, 23},
    {"time.date", PT_FACT_TIME_DATE, FT_TEXT, FS_CART, 0, 0},
    {"activity.", PT_FACT_ACTIVITY_PROPERTY, FT_ANY, FS_CART, 0, 0},
};
#undef BIG

static const char *const op_names[] = {"eq",  "ne", "lt",      "lte",     "gt",
                                       "gte", "in", "between", "contains"};

/* ---- JSON helpers (rules_int.h) ---- */

/* Paths are short (depth and keys are bounded); a longer one keeps its beginning. */
static void path_join(char *out, const char *path, const char *key)
{
    int n = snprintf(out, PT_RULE_PATH_BYTES, "%s%s%s", path, path[0] ? "." : "", key);
    if (n < 0) {
        out[0] = '\0';
    }
}

static void path_index(char *out, const char *path, size_t i)
{
    int n = snprintf(out, PT_RULE_PATH_BYTES, "%s.%zu", path, i);
    if (n < 0) {
        out[0] = '\0';
    }
}

enum pt_rc pt_rule_json_only(json_t *obj, const char *const *keys, const char *path,
                             struct pt_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const char *const *k;
        char field[PT_RULE_PATH_BYTES];
        for (k = keys; *k != NULL && strcmp(*k, key) != 0; k++) {
        }
        if (*k == NULL) {
            path_join(field, path, key);
            return pt_err_set(err, PT_EINVAL, field, "unknown field");
        }
    }
    return PT_OK;
}

enum pt_rc pt_rule_json_int(json_t *obj, const char *key, const char *path, int64_t lo, int64_t hi,
                            bool required, int64_t *out, struct pt_err *err)
{
    json_t *v = json_object_get(obj, key);
    char field[PT_RULE_PATH_BYTES];
    path_join(field, path, key);
    if (v == NULL || json_is_null(v)) {
        return required ? pt_err_set(err, PT_EINVAL, field, "%s is required", key) : PT_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be an integer from %lld to %lld", key,
                          (long long)lo, (long long)hi);
    }
    *out = json_integer_value(v);
    return PT_OK;
}

enum pt_rc pt_rule_json_hundredths(json_t *obj, const char *key, const char *path, int64_t lo,
                                   int64_t hi, int64_t *out, struct pt_err *err)
{
    json_t *v = json_object_get(obj, key);
    char field[PT_RULE_PATH_BYTES];
    path_join(field, path, key);
    if (json_is_integer(v) && json_integer_value(v) >= lo / 100 &&
        json_integer_value(v) <= hi / 100) {
        *out = json_integer_value(v) * 100;
    } else if (json_is_real(v) && json_real_value(v) * 100 >= (double)lo &&
               json_real_value(v) * 100 <= (double)hi) {
        /* A decimal with at most two digits after the point is exact in hundredths. */
        double h = json_real_value(v) * 100;
        int64_t r = (int64_t)(h + (h >= 0 ? 0.5 : -0.5));
        if (h - (double)r > 1e-6 || (double)r - h > 1e-6) {
            return pt_err_set(err, PT_EINVAL, field, "%s takes at most two decimals", key);
        }
        *out = r;
    } else {
        return pt_err_set(err, PT_EINVAL, field, "%s must be a number from %lld.%02lld to %lld",
                          key, (long long)(lo / 100), (long long)(lo % 100), (long long)(hi / 100));
    }
    if (*out < lo) {
        return pt_err_set(err, PT_EINVAL, field, "%s is too small", key);
    }
    return PT_OK;
}

/* ---- The compiler ---- */

struct compiler {
    struct pt_rule *rule;
    struct pt_arena *arena;
    struct pt_err *err;
};

static enum pt_rc copy_text(struct compiler *c, json_t *v, const char *field, size_t max,
                            const char **out)
{
    size_t len;
    if (!json_is_string(v)) {
        return pt_err_set(c->err, PT_EINVAL, field, "must be a string");
    }
    len = json_string_length(v);
    if (len == 0 || len > max || strlen(json_string_value(v)) != len) {
        return pt_err_set(c->err, PT_EINVAL, field, "must be 1 to %zu bytes without NUL", max);
    }
    *out = pt_arena_strndup(c->arena, json_string_value(v), len);
    return *out != NULL ? PT_OK : pt_err_set(c->err, PT_ENOMEM, NULL, "out of memory");
}

static bool is_date(const char *s)
{
    int64_t ms;
    char buf[32];
    if (strlen(s) != 10) {
        return false;
    }
    (void)snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
    return pt_time_parse_rfc3339(buf, &ms);
}

/* A literal operand of a test on fact def. */
static enum pt_rc literal(struct compiler *c, const struct fact_def *def, json_t *v,
                          const char *field, struct pt_value *out)
{
    memset(out, 0, sizeof(*out));
    if (json_is_integer(v) && (def->type == FT_INT || def->type == FT_ANY)) {
        out->kind = PT_VALUE_INT;
        out->i = json_integer_value(v);
        if (def->type == FT_INT && (out->i < def->lo || out->i > def->hi)) {
            return pt_err_set(c->err, PT_EINVAL, field, "%s is from %lld to %lld", def->name,
                              (long long)def->lo, (long long)def->hi);
        }
        return PT_OK;
    }
    if (json_is_string(v) && def->type != FT_INT) {
        out->kind = PT_VALUE_TEXT;
        if (copy_text(c, v, field, PT_RULE_TEXT_BYTES_MAX, &out->s) != PT_OK) {
            return c->err->rc;
        }
        out->h = pt_rule_text_hash(out->s);
        if (def->fact == PT_FACT_TIME_DATE && !is_date(out->s)) {
            return pt_err_set(c->err, PT_EINVAL, field, "time.date is compared with YYYY-MM-DD");
        }
        return PT_OK;
    }
    if (json_is_boolean(v) && def->type == FT_ANY) {
        out->kind = PT_VALUE_BOOL;
        out->i = json_is_true(v);
        return PT_OK;
    }
    if (json_is_real(v)) {
        return pt_err_set(c->err, PT_EINVAL, field,
                          "numbers are integers (amounts in minor units: 12.50 is 1250)");
    }
    return pt_err_set(c->err, PT_EINVAL, field, "%s is compared with %s", def->name,
                      def->type == FT_INT    ? "an integer"
                      : def->type == FT_TEXT ? "a string"
                      : def->type == FT_LIST ? "a string (contains)"
                                             : "an integer, a string or a boolean");
}

static enum pt_rc parse_fact(struct compiler *c, json_t *v, const char *field,
                             enum fact_scope scope, struct pt_rule_node *n,
                             const struct fact_def **def_out)
{
    const char *name = json_string_value(v);
    size_t i;
    if (name == NULL) {
        return pt_err_set(c->err, PT_EINVAL, field, "the first operand is a fact name");
    }
    for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        const struct fact_def *d = &facts[i];
        size_t len = strlen(d->name);
        if (d->name[len - 1] == '.' ? strncmp(name, d->name, len) == 0
                                    : strcmp(name, d->name) == 0) {
            if (d->name[len - 1] == '.') {
                const char *key = name + len;
                size_t k;
                size_t klen = strlen(key);
                if (klen == 0 || klen > PT_RULE_KEY_BYTES_MAX) {
                    return pt_err_set(c->err, PT_EINVAL, field,
                                      "%sKEY needs a key of 1 to %d "
                                      "bytes",
                                      d->name, PT_RULE_KEY_BYTES_MAX);
                }
                for (k = 0; k < klen; k++) {
                    char ch = key[k];
                    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
                        return pt_err_set(c->err, PT_EINVAL, field,
                                          "a key has letters, digits, _ and - only");
                    }
                }
                n->key = pt_arena_strndup(c->arena, key, klen);
                if (n->key == NULL) {
                    return pt_err_set(c->err, PT_ENOMEM, NULL, "out of memory");
                }
            }
            if (d->scope == FS_ITEM && scope != FS_ITEM) {
                return pt_err_set(c->err, PT_EINVAL, field,
                                  "%s is a fact of each item: use it in items", name);
            }
            if (d->scope != FS_ITEM && scope == FS_ITEM) {
                return pt_err_set(c->err, PT_EINVAL, field,
                                  "items tests only item.* facts; %s belongs in conditions", name);
            }
            if (d->scope == FS_SELECTED && c->rule->items_root < 0) {
                return pt_err_set(c->err, PT_EINVAL, field,
                                  "%s needs items (which items it counts)", name);
            }
            if ((d->scope != FS_CART || d->fact == PT_FACT_CART_AMOUNT ||
                 d->fact == PT_FACT_CART_ITEM_COUNT || d->fact == PT_FACT_CART_CHANNEL ||
                 d->fact == PT_FACT_CART_LOCATION || d->fact == PT_FACT_CART_COUPONS) &&
                c->rule->trigger != PT_TRIGGER_PURCHASE) {
                return pt_err_set(c->err, PT_EINVAL, field, "%s is a fact of purchases only", name);
            }
            if (d->fact == PT_FACT_ACTIVITY_PROPERTY && c->rule->trigger != PT_TRIGGER_ACTIVITY) {
                return pt_err_set(c->err, PT_EINVAL, field, "%s is a fact of activities only",
                                  name);
            }
            n->fact = d->fact;
            *def_out = d;
            return PT_OK;
        }
    }
    return pt_err_set(c->err, PT_EINVAL, field, "unknown fact %s", name);
}

static enum pt_rc parse_node(struct compiler *c, json_t *v, const char *path, unsigned depth,
                             enum fact_scope scope, unsigned slot);

/* A test: {"op": [fact, operand...]}. */
static enum pt_rc parse_test(struct compiler *c, const char *op_name, json_t *args,
                             const char *path, enum fact_scope scope, struct pt_rule_node *n)
{
    const struct fact_def *def = NULL;
    char field[PT_RULE_PATH_BYTES];
    size_t want;
    unsigned op;
    enum pt_rc rc;
    for (op = 0; op < sizeof(op_names) / sizeof(op_names[0]); op++) {
        if (strcmp(op_names[op], op_name) == 0) {
            break;
        }
    }
    if (op == sizeof(op_names) / sizeof(op_names[0])) {
        return pt_err_set(c->err, PT_EINVAL, path,
                          "unknown operator %s: all, any, not, eq, ne, lt, lte, gt, gte, in, "
                          "between, contains",
                          op_name);
    }
    n->kind = PT_NODE_TEST;
    n->op = (enum pt_rule_op)op;
    want = n->op == PT_OP_BETWEEN ? 3 : 2;
    if (!json_is_array(args) || json_array_size(args) != want) {
        return pt_err_set(c->err, PT_EINVAL, path, "%s takes [fact, %s]", op_name,
                          n->op == PT_OP_BETWEEN ? "low, high"
                          : n->op == PT_OP_IN    ? "[values]"
                                                 : "value");
    }
    path_index(field, path, 0);
    rc = parse_fact(c, json_array_get(args, 0), field, scope, n, &def);
    if (rc != PT_OK) {
        return rc;
    }
    if (def->type == FT_LIST && n->op != PT_OP_CONTAINS) {
        return pt_err_set(c->err, PT_EINVAL, path, "%s is a list: test it with contains",
                          def->name);
    }
    if (n->op == PT_OP_CONTAINS && def->type == FT_INT) {
        return pt_err_set(c->err, PT_EINVAL, path, "contains tests strings and lists");
    }
    path_index(field, path, 1);
    if (n->op == PT_OP_IN) {
        json_t *list = json_array_get(args, 1);
        struct pt_value *vals;
        size_t i;
        if (!json_is_array(list) || json_array_size(list) == 0 ||
            json_array_size(list) > PT_RULE_LIST_MAX) {
            return pt_err_set(c->err, PT_EINVAL, field, "in takes a list of 1 to %d values",
                              PT_RULE_LIST_MAX);
        }
        vals = pt_arena_alloc(c->arena, json_array_size(list) * sizeof(*vals));
        if (vals == NULL) {
            return pt_err_set(c->err, PT_ENOMEM, NULL, "out of memory");
        }
        for (i = 0; i < json_array_size(list); i++) {
            char item[PT_RULE_PATH_BYTES];
            path_index(item, field, i);
            rc = literal(c, def, json_array_get(list, i), item, &vals[i]);
            if (rc != PT_OK) {
                return rc;
            }
        }
        n->list = vals;
        n->list_count = (uint16_t)json_array_size(list);
        return PT_OK;
    }
    rc = literal(c, def, json_array_get(args, 1), field, &n->a);
    if (rc == PT_OK && n->op == PT_OP_BETWEEN) {
        path_index(field, path, 2);
        rc = literal(c, def, json_array_get(args, 2), field, &n->b);
        if (rc == PT_OK && n->a.kind != n->b.kind) {
            rc = pt_err_set(c->err, PT_EINVAL, path, "between takes two values of one kind");
        }
        if (rc == PT_OK && n->a.kind == PT_VALUE_BOOL) {
            rc = pt_err_set(c->err, PT_EINVAL, path, "between does not compare booleans");
        }
    }
    if (rc == PT_OK && n->a.kind == PT_VALUE_BOOL && n->op != PT_OP_EQ && n->op != PT_OP_NE) {
        rc = pt_err_set(c->err, PT_EINVAL, path, "booleans are tested with eq or ne");
    }
    return rc;
}

/* Parses the condition v into nodes[slot]; its children go to new slots at the end. */
static enum pt_rc parse_node(struct compiler *c, json_t *v, const char *path, unsigned depth,
                             enum fact_scope scope, unsigned slot)
{
    struct pt_rule *r = c->rule;
    struct pt_rule_node *n = &r->nodes[slot];
    const char *key;
    json_t *arg;
    char field[PT_RULE_PATH_BYTES];
    if (depth > PT_RULE_DEPTH_MAX) {
        return pt_err_set(c->err, PT_ELIMIT, path, "conditions nest at most %d deep",
                          PT_RULE_DEPTH_MAX);
    }
    if (!json_is_object(v) || json_object_size(v) != 1) {
        return pt_err_set(c->err, PT_EINVAL, path,
                          "a condition is an object with one operator, e.g. "
                          "{\"gte\": [\"cart.amount\", 5000]}");
    }
    key = json_object_iter_key(json_object_iter(v));
    arg = json_object_get(v, key);
    path_join(field, path, key);
    if (strcmp(key, "all") == 0 || strcmp(key, "any") == 0 || strcmp(key, "not") == 0) {
        bool is_not = strcmp(key, "not") == 0;
        size_t count = is_not ? 1 : json_array_size(arg);
        size_t i;
        if (is_not ? !json_is_object(arg) : (!json_is_array(arg) || count == 0)) {
            return pt_err_set(c->err, PT_EINVAL, field,
                              is_not ? "not takes one condition"
                                     : "all and any take a list of conditions");
        }
        if (r->node_count + count > PT_RULE_NODES_MAX) {
            return pt_err_set(c->err, PT_ELIMIT, field, "a rule has at most %d conditions",
                              PT_RULE_NODES_MAX);
        }
        n->kind = is_not ? PT_NODE_NOT : key[1] == 'l' ? PT_NODE_ALL : PT_NODE_ANY;
        n->first = (uint16_t)r->node_count;
        n->count = (uint16_t)count;
        r->node_count += (unsigned)count;
        if (is_not) {
            return parse_node(c, arg, field, depth + 1, scope, n->first);
        }
        for (i = 0; i < count; i++) {
            char item[PT_RULE_PATH_BYTES];
            enum pt_rc rc;
            path_index(item, field, i);
            /* n may move? No: nodes is a fixed array inside the rule. */
            rc = parse_node(c, json_array_get(arg, i), item, depth + 1, scope,
                            (unsigned)(n->first + i));
            if (rc != PT_OK) {
                return rc;
            }
        }
        return PT_OK;
    }
    return parse_test(c, key, arg, field, scope, n);
}

static enum pt_rc parse_tree(struct compiler *c, json_t *doc, const char *key,
                             enum fact_scope scope, int *root)
{
    json_t *v = json_object_get(doc, key);
    *root = -1;
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    if (c->rule->node_count >= PT_RULE_NODES_MAX) {
        return pt_err_set(c->err, PT_ELIMIT, key, "a rule has at most %d conditions",
                          PT_RULE_NODES_MAX);
    }
    *root = (int)c->rule->node_count++;
    return parse_node(c, v, key, 1, scope, (unsigned)*root);
}

static enum pt_rc parse_trigger(struct compiler *c, json_t *v)
{
    struct pt_rule *r = c->rule;
    const char *s = json_string_value(v);
    if (s == NULL) {
        return pt_err_set(c->err, PT_EINVAL, "trigger",
                          "trigger is purchase, activity:<type>, enrollment or birthday");
    }
    if (strcmp(s, "purchase") == 0) {
        r->trigger = PT_TRIGGER_PURCHASE;
    } else if (strcmp(s, "enrollment") == 0) {
        r->trigger = PT_TRIGGER_ENROLLMENT;
    } else if (strcmp(s, "birthday") == 0) {
        r->trigger = PT_TRIGGER_BIRTHDAY;
    } else if (strncmp(s, "activity:", 9) == 0 && s[9] != '\0' &&
               strlen(s + 9) <= PT_RULE_KEY_BYTES_MAX) {
        size_t k;
        for (k = 9; s[k] != '\0'; k++) {
            char ch = s[k];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
                return pt_err_set(c->err, PT_EINVAL, "trigger",
                                  "an activity type has lower-case letters, digits, _ and -");
            }
        }
        r->trigger = PT_TRIGGER_ACTIVITY;
        r->activity_type = pt_arena_strndup(c->arena, s + 9, strlen(s + 9));
        if (r->activity_type == NULL) {
            return pt_err_set(c->err, PT_ENOMEM, NULL, "out of memory");
        }
    } else {
        return pt_err_set(c->err, PT_EINVAL, "trigger",
                          "trigger is purchase, activity:<type>, enrollment or birthday");
    }
    return PT_OK;
}

static enum pt_rc parse_effects(struct compiler *c, json_t *list)
{
    struct pt_rule *r = c->rule;
    size_t i;
    if (!json_is_array(list) || json_array_size(list) == 0) {
        return pt_err_set(c->err, PT_EINVAL, "effects", "effects is a list of 1 to %d effects",
                          PT_RULE_EFFECTS_MAX);
    }
    if (json_array_size(list) > PT_RULE_EFFECTS_MAX) {
        return pt_err_set(c->err, PT_ELIMIT, "effects", "a rule has at most %d effects",
                          PT_RULE_EFFECTS_MAX);
    }
    for (i = 0; i < json_array_size(list); i++) {
        json_t *obj = json_array_get(list, i);
        struct pt_rule_effect *e = &r->effects[i];
        const char *type = json_string_value(json_object_get(obj, "type"));
        const char *on = NULL;
        char path[PT_RULE_PATH_BYTES];
        char field[PT_RULE_PATH_BYTES];
        unsigned k;
        enum pt_rc rc;
        path_index(path, "effects", i);
        memset(e, 0, sizeof(*e));
        if (!json_is_object(obj) || type == NULL) {
            return pt_err_set(c->err, PT_EINVAL, path, "an effect is an object with a type");
        }
        for (k = 0; k < PT_EFFECT_TYPES && strcmp(pt_effect_kinds[k].name, type) != 0; k++) {
        }
        path_join(field, path, "type");
        if (k == PT_EFFECT_TYPES) {
            return pt_err_set(c->err, PT_EINVAL, field,
                              "type is award_points, discount, free_items, free_shipping, "
                              "message, add_stamps or cashback");
        }
        if ((pt_effect_kinds[k].triggers & PT_TRIGGER_BIT(r->trigger)) == 0) {
            return pt_err_set(c->err, PT_EINVAL, field, "%s applies to purchases only", type);
        }
        e->type = (enum pt_effect_type)k;
        /* "on": what the effect counts; by default the selected items when the rule selects
         * some, else the cart. */
        e->on_items = r->items_root >= 0;
        if (json_object_get(obj, "on") != NULL) {
            on = json_string_value(json_object_get(obj, "on"));
            path_join(field, path, "on");
            if (on == NULL || (strcmp(on, "cart") != 0 && strcmp(on, "items") != 0)) {
                return pt_err_set(c->err, PT_EINVAL, field, "on is cart or items");
            }
            if (strcmp(on, "items") == 0 && r->items_root < 0) {
                return pt_err_set(c->err, PT_EINVAL, field,
                                  "on items needs the rule's items (which items)");
            }
            e->on_items = strcmp(on, "items") == 0;
        }
        rc = pt_effect_kinds[k].parse(obj, path, r, c->arena, e, c->err);
        if (rc != PT_OK) {
            return rc;
        }
        r->effect_count++;
        r->messages += e->type == PT_EFFECT_MESSAGE;
    }
    return PT_OK;
}

static enum pt_rc parse_time(struct compiler *c, json_t *doc, const char *key, int64_t *out)
{
    json_t *v = json_object_get(doc, key);
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    if (!json_is_string(v) || !pt_time_parse_rfc3339(json_string_value(v), out)) {
        return pt_err_set(
            c->err, PT_EINVAL, key,
            "%s must be an RFC 3339 UTC time between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            key);
    }
    return PT_OK;
}

static enum pt_rc compile_doc(struct compiler *c, json_t *doc)
{
    static const char *const keys[] = {
        "name",          "trigger",  "conditions",          "items",
        "effects",       "priority", "exclusive",           "valid_from",
        "valid_to",      "status",   "max_uses_per_member", "max_points_per_member_per_day",
        "budget_points", NULL};
    struct pt_rule *r = c->rule;
    json_t *v;
    enum pt_rc rc;
    if (!json_is_object(doc)) {
        return pt_err_set(c->err, PT_EINVAL, NULL, "a rule is a JSON object");
    }
    rc = pt_rule_json_only(doc, keys, "", c->err);
    if (rc == PT_OK) {
        v = json_object_get(doc, "name");
        rc = v == NULL ? pt_err_set(c->err, PT_EINVAL, "name", "name is required")
                       : copy_text(c, v, "name", PT_RULE_TEXT_BYTES_MAX, &r->name);
    }
    if (rc == PT_OK) {
        rc = parse_trigger(c, json_object_get(doc, "trigger"));
    }
    if (rc == PT_OK && json_object_get(doc, "items") != NULL && r->trigger != PT_TRIGGER_PURCHASE) {
        rc = pt_err_set(c->err, PT_EINVAL, "items", "only purchase rules select items");
    }
    /* Items first: conditions may count what they select (selected.*). */
    if (rc == PT_OK) {
        rc = parse_tree(c, doc, "items", FS_ITEM, &r->items_root);
    }
    if (rc == PT_OK) {
        rc = parse_tree(c, doc, "conditions", FS_CART, &r->root);
    }
    if (rc == PT_OK) {
        rc = parse_effects(c, json_object_get(doc, "effects"));
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "priority", "", -1000000, 1000000, false, &r->priority, c->err);
    }
    v = json_object_get(doc, "exclusive");
    if (rc == PT_OK && v != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            rc = pt_err_set(c->err, PT_EINVAL, "exclusive", "exclusive is true or false");
        }
        r->exclusive = json_is_true(v);
    }
    if (rc == PT_OK) {
        rc = parse_time(c, doc, "valid_from", &r->valid_from_ms);
    }
    if (rc == PT_OK) {
        rc = parse_time(c, doc, "valid_to", &r->valid_to_ms);
    }
    if (rc == PT_OK && r->valid_to_ms <= r->valid_from_ms) {
        rc = pt_err_set(c->err, PT_EINVAL, "valid_to", "valid_to must be after valid_from");
    }
    v = json_object_get(doc, "status");
    if (rc == PT_OK && v != NULL && !json_is_null(v)) {
        rc = pt_rule_status_parse(json_string_value(v), &r->status, c->err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "max_uses_per_member", "", 1, 1000000000, false,
                              &r->max_uses_per_member, c->err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "max_points_per_member_per_day", "", 1, 1000000000000LL, false,
                              &r->max_points_per_member_per_day, c->err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "budget_points", "", 1, 1000000000000000LL, false,
                              &r->budget_points, c->err);
    }
    return rc;
}

enum pt_rc pt_rule_compile(const char *doc, size_t len, struct pt_arena *arena, struct pt_rule *out,
                           struct pt_err *err)
{
    struct compiler c = {out, arena, err};
    json_error_t jerr;
    json_t *root;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    out->root = -1;
    out->items_root = -1;
    out->valid_from_ms = INT64_MIN;
    out->valid_to_ms = INT64_MAX;
    if (len > PT_RULE_DOC_BYTES_MAX) {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "a rule is at most %d bytes", PT_RULE_DOC_BYTES_MAX);
    } else if ((root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        rc =
            pt_err_set(err, PT_EINVAL, NULL, "the rule is not valid JSON (byte %d)", jerr.position);
    } else {
        rc = compile_doc(&c, root);
        json_decref(root);
    }
    if (rc == PT_OK) {
        pt_rule_cost_prepare(out);
    }
    /* Every refusal carries its API code (ENOMEM keeps the default). */
    if (rc == PT_EINVAL || rc == PT_ELIMIT) {
        (void)pt_err_code(err, rc == PT_ELIMIT ? "limit_exceeded" : "validation_failed");
    }
    return rc;
}

/* ---- Evaluation: facts ---- */

struct eval {
    const struct pt_eval_input *in;
    struct pt_eval_state st;
    const struct pt_cart_item *item; /* The item tested by an items tree. */
    unsigned item_index;             /* Its index. */
    int64_t cart_amount;             /* Before discounts. */
    int64_t cart_units;
    /* Hashes of the text facts, computed once per evaluation (see text_hash). */
    uint32_t *sku_h;
    uint32_t *category_h;
    uint32_t channel_h, location_h, tier_h, city_h, country_h, date_h;
    struct pt_selection sel;
    json_t *attributes; /* Parsed once, when a rule asks. */
    json_t *properties;
    bool attributes_parsed;
    bool properties_parsed;
};

static json_t *object_of(const char *text)
{
    json_t *o = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (o != NULL && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static struct pt_value keyed_value(json_t *obj, const char *key)
{
    struct pt_value v = {PT_VALUE_NONE, 0, NULL, 0};
    json_t *j = obj != NULL ? json_object_get(obj, key) : NULL;
    if (json_is_integer(j)) {
        v.kind = PT_VALUE_INT;
        v.i = json_integer_value(j);
    } else if (json_is_string(j)) {
        v.kind = PT_VALUE_TEXT;
        v.s = json_string_value(j);
    } else if (json_is_boolean(j)) {
        v.kind = PT_VALUE_BOOL;
        v.i = json_is_true(j);
    }
    return v;
}

static struct pt_value int_value(int64_t i)
{
    struct pt_value v = {PT_VALUE_INT, i, NULL, 0};
    return v;
}

static struct pt_value text_value(const char *s, uint32_t h)
{
    struct pt_value v = {s != NULL ? PT_VALUE_TEXT : PT_VALUE_NONE, 0, s, h};
    return v;
}

static uint32_t hash_or_0(const char *s)
{
    return s != NULL ? pt_rule_text_hash(s) : 0;
}

static struct pt_value fact_value(struct eval *ev, const struct pt_rule_node *n)
{
    const struct pt_eval_input *in = ev->in;
    const struct pt_rule_member *m = in->member != NULL && in->member->known ? in->member : NULL;
    struct pt_value none = {PT_VALUE_NONE, 0, NULL, 0};
    switch (n->fact) {
    case PT_FACT_CART_AMOUNT:
        return int_value(ev->cart_amount);
    case PT_FACT_CART_ITEM_COUNT:
        return int_value(ev->cart_units);
    case PT_FACT_CART_CHANNEL:
        return text_value(in->cart->channel, ev->channel_h);
    case PT_FACT_CART_LOCATION:
        return text_value(in->cart->location, ev->location_h);
    case PT_FACT_ITEM_SKU:
        return text_value(ev->item->sku, ev->sku_h[ev->item_index]);
    case PT_FACT_ITEM_CATEGORY:
        return text_value(ev->item->category, ev->category_h[ev->item_index]);
    case PT_FACT_ITEM_QUANTITY:
        return int_value(ev->item->quantity);
    case PT_FACT_ITEM_UNIT_PRICE:
        return int_value(ev->item->unit_price);
    case PT_FACT_SELECTED_QUANTITY:
        return int_value(ev->sel.quantity);
    case PT_FACT_SELECTED_AMOUNT:
        return int_value(ev->sel.amount);
    case PT_FACT_MEMBER_TIER:
        return m != NULL ? text_value(m->tier, ev->tier_h) : none;
    case PT_FACT_MEMBER_ATTRIBUTE:
        if (m == NULL) {
            return none;
        }
        if (!ev->attributes_parsed) {
            ev->attributes = object_of(m->attributes);
            ev->attributes_parsed = true;
        }
        return keyed_value(ev->attributes, n->key);
    case PT_FACT_MEMBER_BIRTH_MONTH:
        return m != NULL && m->birth_month > 0 ? int_value(m->birth_month) : none;
    case PT_FACT_MEMBER_DAYS_SINCE_ENROLLMENT:
        return m != NULL ? int_value(m->days_since_enrollment) : none;
    case PT_FACT_MEMBER_PURCHASE_COUNT:
        return m != NULL ? int_value(m->purchase_count) : none;
    case PT_FACT_MEMBER_CITY:
        return m != NULL ? text_value(m->city, ev->city_h) : none;
    case PT_FACT_MEMBER_COUNTRY:
        return m != NULL ? text_value(m->country, ev->country_h) : none;
    case PT_FACT_TIME_WEEKDAY:
        return int_value(in->time->weekday);
    case PT_FACT_TIME_HOUR:
        return int_value(in->time->hour);
    case PT_FACT_TIME_DATE:
        return text_value(in->time->date, ev->date_h);
    case PT_FACT_ACTIVITY_PROPERTY:
        if (in->activity == NULL) {
            return none;
        }
        if (!ev->properties_parsed) {
            ev->properties = object_of(in->activity->properties);
            ev->properties_parsed = true;
        }
        return keyed_value(ev->properties, n->key);
    case PT_FACT_CART_COUPONS:
        break; /* A list: see test(). */
    }
    return none;
}

/* -1, 0, 1; or 2 when the two cannot be compared (kinds differ, or a value is absent). */
static int compare(const struct pt_value *x, const struct pt_value *y)
{
    if (x->kind == PT_VALUE_NONE || x->kind != y->kind) {
        return 2;
    }
    if (x->kind == PT_VALUE_TEXT) {
        int c = strcmp(x->s, y->s);
        return c < 0 ? -1 : c > 0;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Equality, telling most unequal strings apart by their hashes. */
static bool same(const struct pt_value *x, const struct pt_value *y)
{
    if (x->kind == PT_VALUE_TEXT && y->kind == PT_VALUE_TEXT && x->h != 0 && y->h != 0 &&
        x->h != y->h) {
        return false;
    }
    return compare(x, y) == 0;
}

static bool test(struct eval *ev, const struct pt_rule_node *n)
{
    struct pt_value v;
    int c;
    unsigned i;
    if (n->fact == PT_FACT_CART_COUPONS) {
        /* The one list fact: contains a code (compile allows nothing else). */
        for (i = 0; ev->in->cart != NULL && i < ev->in->cart->coupon_count; i++) {
            if (strcmp(ev->in->cart->coupons[i], n->a.s) == 0) {
                return true;
            }
        }
        return false;
    }
    if ((n->fact == PT_FACT_ITEM_SKU || n->fact == PT_FACT_ITEM_CATEGORY) &&
        (n->op == PT_OP_EQ || n->op == PT_OP_IN)) {
        /* The common item selector ("category is coffee"): hashes first, bytes on a match. */
        const char *s = n->fact == PT_FACT_ITEM_SKU ? ev->item->sku : ev->item->category;
        uint32_t h = n->fact == PT_FACT_ITEM_SKU ? ev->sku_h[ev->item_index]
                                                 : ev->category_h[ev->item_index];
        const struct pt_value *vals = n->op == PT_OP_IN ? n->list : &n->a;
        unsigned count = n->op == PT_OP_IN ? n->list_count : 1;
        if (s == NULL) {
            return false;
        }
        for (i = 0; i < count; i++) {
            if (vals[i].kind == PT_VALUE_TEXT && vals[i].h == h && strcmp(vals[i].s, s) == 0) {
                return true;
            }
        }
        return false;
    }
    v = fact_value(ev, n);
    switch (n->op) {
    case PT_OP_EQ:
        return same(&v, &n->a);
    case PT_OP_NE:
        /* An absent fact is "not equal" to any value. */
        return !same(&v, &n->a);
    case PT_OP_LT:
        return compare(&v, &n->a) == -1;
    case PT_OP_LTE:
        c = compare(&v, &n->a);
        return c == -1 || c == 0;
    case PT_OP_GT:
        return compare(&v, &n->a) == 1;
    case PT_OP_GTE:
        c = compare(&v, &n->a);
        return c == 0 || c == 1;
    case PT_OP_IN:
        for (i = 0; i < n->list_count; i++) {
            if (same(&v, &n->list[i])) {
                return true;
            }
        }
        return false;
    case PT_OP_BETWEEN:
        c = compare(&v, &n->a);
        if (c != 0 && c != 1) {
            return false;
        }
        c = compare(&v, &n->b);
        return c == -1 || c == 0;
    case PT_OP_CONTAINS:
        return v.kind == PT_VALUE_TEXT && n->a.kind == PT_VALUE_TEXT && strstr(v.s, n->a.s) != NULL;
    }
    return false;
}

/* Depth is bounded by PT_RULE_DEPTH_MAX (the compiler refused deeper trees). */
static bool holds(struct eval *ev, const struct pt_rule *r, unsigned node)
{
    const struct pt_rule_node *n = &r->nodes[node];
    unsigned i;
    switch (n->kind) {
    case PT_NODE_ALL:
        for (i = 0; i < n->count; i++) {
            if (!holds(ev, r, n->first + i)) {
                return false;
            }
        }
        return true;
    case PT_NODE_ANY:
        for (i = 0; i < n->count; i++) {
            if (holds(ev, r, n->first + i)) {
                return true;
            }
        }
        return false;
    case PT_NODE_NOT:
        return !holds(ev, r, n->first);
    case PT_NODE_TEST:
        return test(ev, n);
    }
    return false;
}

/* ---- Evaluation: nudges ---- */

static bool threshold_fact(enum pt_fact f)
{
    return f == PT_FACT_CART_AMOUNT || f == PT_FACT_CART_ITEM_COUNT ||
           f == PT_FACT_SELECTED_QUANTITY || f == PT_FACT_SELECTED_AMOUNT;
}

/*
 * Whether the condition at node fails only by one threshold (gte/gt on an amount or a count)
 * that is nearly met: OUT the fact, what is missing and the threshold.
 */
static bool near_miss(struct eval *ev, const struct pt_rule *r, unsigned node, enum pt_fact *fact,
                      int64_t *missing, int64_t *need)
{
    const struct pt_rule_node *n = &r->nodes[node];
    unsigned i;
    unsigned failing = 0;
    unsigned which = 0;
    if (n->kind == PT_NODE_TEST) {
        struct pt_value v;
        if ((n->op != PT_OP_GTE && n->op != PT_OP_GT) || !threshold_fact(n->fact) ||
            n->a.kind != PT_VALUE_INT) {
            return false;
        }
        v = fact_value(ev, n);
        if (__builtin_add_overflow(n->a.i, n->op == PT_OP_GT, need) ||
            __builtin_sub_overflow(*need, v.i, missing)) {
            return false; /* A threshold no cart can reach is not near. */
        }
        *fact = n->fact;
        return *missing > 0 && *need > 0 &&
               (wide_int)*missing * 100 <= (wide_int)*need * PT_NUDGE_WITHIN_PERCENT;
    }
    if (n->kind != PT_NODE_ALL) {
        return false;
    }
    for (i = 0; i < n->count; i++) {
        if (!holds(ev, r, n->first + i)) {
            failing++;
            which = n->first + i;
        }
    }
    return failing == 1 && near_miss(ev, r, which, fact, missing, need);
}

/* Adds a nudge, keeping the PT_RULE_NUDGES_MAX nearest (smallest share missing) in order. */
static enum pt_rc add_nudge(struct eval *ev, struct pt_eval_result *out, struct pt_arena *arena,
                            unsigned rule_index, const struct pt_rule *r, enum pt_fact fact,
                            int64_t missing, int64_t need, bool free_one, struct pt_err *err)
{
    char text[PT_RULE_TEXT_BYTES_MAX + 64];
    char money[32];
    int64_t share = (int64_t)((wide_int)missing * 1000000 / (need > 0 ? need : 1));
    unsigned at = out->nudge_count;
    unsigned i;
    while (at > 0) {
        const struct pt_nudge *prev = &out->nudges[at - 1];
        if ((wide_int)prev->missing * 1000000 / (prev->need > 0 ? prev->need : 1) <= share) {
            break;
        }
        at--;
    }
    if (at >= PT_RULE_NUDGES_MAX) {
        return PT_OK;
    }
    if (free_one) {
        (void)snprintf(text, sizeof(text), "%lld more for a free one: %s", (long long)missing,
                       r->name);
    } else if (fact == PT_FACT_CART_AMOUNT || fact == PT_FACT_SELECTED_AMOUNT) {
        pt_money_format(missing, ev->in->currency_exponent, money, sizeof(money));
        (void)snprintf(text, sizeof(text), "spend %s %s more: %s", money,
                       ev->in->currency != NULL ? ev->in->currency : "", r->name);
    } else {
        (void)snprintf(text, sizeof(text), "%lld more %s: %s", (long long)missing,
                       missing == 1 ? "item" : "items", r->name);
    }
    if (out->nudge_count == PT_RULE_NUDGES_MAX) {
        out->nudge_count--; /* The farthest goes. */
    }
    for (i = out->nudge_count; i > at; i--) {
        out->nudges[i] = out->nudges[i - 1];
    }
    out->nudges[at].rule = rule_index;
    out->nudges[at].fact = fact;
    out->nudges[at].missing = missing;
    out->nudges[at].need = need;
    out->nudges[at].text = pt_arena_strndup(arena, text, strlen(text));
    out->nudge_count++;
    return out->nudges[at].text != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

/* ---- Evaluation ---- */

struct ordered {
    const struct pt_rule *rule;
    unsigned index;
};

int pt_rules_compare(const struct pt_rule *a, const struct pt_rule *b)
{
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(a->id, b->id);
}

static int by_priority(const void *x, const void *y)
{
    const struct ordered *a = x;
    const struct ordered *b = y;
    int c = pt_rules_compare(a->rule, b->rule);
    if (c != 0) {
        return c;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

static bool applies(const struct pt_rule *r, const struct pt_eval_input *in,
                    const struct pt_rule_room *room)
{
    if (r->trigger != in->trigger) {
        return false;
    }
    if (r->trigger == PT_TRIGGER_ACTIVITY &&
        (in->activity_type == NULL || strcmp(r->activity_type, in->activity_type) != 0)) {
        return false;
    }
    if (in->time->now_ms < r->valid_from_ms || in->time->now_ms >= r->valid_to_ms) {
        return false;
    }
    /* A rule that used up its uses, the member's day or its budget gives nothing more. */
    return room->uses > 0 && room->points_today > 0 && room->budget > 0;
}

/* Selects the rule's items into sel: all of them (shared, no work) when it has no selector. */
static void select_items(struct eval *ev, const struct pt_rule *r, bool *scratch, const bool *all)
{
    const struct pt_cart *cart = ev->in->cart;
    unsigned i;
    ev->sel.cart_quantity = ev->cart_units;
    if (r->items_root < 0) {
        ev->sel.selected = all;
        ev->sel.quantity = ev->cart_units;
        ev->sel.amount = ev->cart_amount;
        return;
    }
    ev->sel.selected = scratch;
    ev->sel.quantity = 0;
    ev->sel.amount = 0;
    for (i = 0; i < ev->st.item_count; i++) {
        ev->item = &cart->items[i];
        ev->item_index = i;
        scratch[i] = holds(ev, r, (unsigned)r->items_root);
        if (scratch[i]) {
            ev->sel.quantity += cart->items[i].quantity;
            ev->sel.amount += ev->st.line_amount[i];
        }
    }
    ev->item = NULL;
}

static enum pt_rc check_cart(struct eval *ev, struct pt_arena *arena, struct pt_err *err)
{
    const struct pt_cart *cart = ev->in->cart;
    unsigned n = cart->item_count;
    unsigned i;
    if (n > PT_CART_ITEMS_MAX) {
        return pt_err_set(err, PT_ELIMIT, "items", "a cart has at most %d lines",
                          PT_CART_ITEMS_MAX);
    }
    if (cart->coupon_count > PT_CART_COUPONS_MAX) {
        return pt_err_set(err, PT_ELIMIT, "coupons", "a cart has at most %d coupons",
                          PT_CART_COUPONS_MAX);
    }
    if ((cart->channel != NULL && strlen(cart->channel) > PT_CART_TEXT_BYTES_MAX) ||
        (cart->location != NULL && strlen(cart->location) > PT_CART_TEXT_BYTES_MAX)) {
        return pt_err_set(err, PT_EINVAL,
                          cart->channel != NULL && strlen(cart->channel) > PT_CART_TEXT_BYTES_MAX
                              ? "channel"
                              : "location",
                          "channel and location are at most %d bytes", PT_CART_TEXT_BYTES_MAX);
    }
    ev->st.item_count = n;
    int64_t *line_amount = pt_arena_alloc(arena, (n ? n : 1) * sizeof(int64_t));
    ev->st.line_amount = line_amount;
    ev->st.line_left = pt_arena_alloc(arena, (n ? n : 1) * sizeof(int64_t));
    ev->st.line_discount = pt_arena_alloc(arena, (n ? n : 1) * sizeof(int64_t));
    ev->st.scratch_lines = pt_arena_alloc(arena, (n ? n : 1) * sizeof(bool));
    ev->st.scratch_order = pt_arena_alloc(arena, (n ? n : 1) * sizeof(unsigned));
    ev->st.scratch_rem = pt_arena_alloc(arena, (n ? n : 1) * sizeof(int64_t));
    ev->st.price_order = pt_arena_alloc(arena, (n ? n : 1) * sizeof(unsigned));
    ev->st.price_sorted = false;
    if (line_amount == NULL || ev->st.line_left == NULL || ev->st.line_discount == NULL ||
        ev->st.scratch_lines == NULL || ev->st.scratch_order == NULL ||
        ev->st.scratch_rem == NULL || ev->st.price_order == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    ev->sku_h = pt_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    ev->category_h = pt_arena_alloc(arena, (n ? n : 1) * sizeof(uint32_t));
    if (ev->sku_h == NULL || ev->category_h == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    ev->channel_h = hash_or_0(cart->channel);
    ev->location_h = hash_or_0(cart->location);
    if (ev->in->member != NULL) {
        ev->tier_h = hash_or_0(ev->in->member->tier);
        ev->city_h = hash_or_0(ev->in->member->city);
        ev->country_h = hash_or_0(ev->in->member->country);
    }
    ev->date_h = pt_rule_text_hash(ev->in->time->date);
    for (i = 0; i < n; i++) {
        const struct pt_cart_item *it = &cart->items[i];
        int64_t line;
        if (it->quantity < 1 || it->unit_price < 0 || it->sku == NULL) {
            return pt_err_set(err, PT_EINVAL, "items",
                              "each item has a sku, a quantity >= 1 "
                              "and a unit_price >= 0");
        }
        if (strlen(it->sku) > PT_CART_TEXT_BYTES_MAX ||
            (it->category != NULL && strlen(it->category) > PT_CART_TEXT_BYTES_MAX)) {
            char field[32];
            (void)snprintf(field, sizeof(field), "items.%u.%s", i,
                           strlen(it->sku) > PT_CART_TEXT_BYTES_MAX ? "sku" : "category");
            return pt_err_set(err, PT_EINVAL, field,
                              "an item's sku and category are at most %d "
                              "bytes: rules search them",
                              PT_CART_TEXT_BYTES_MAX);
        }
        if (__builtin_mul_overflow(it->quantity, it->unit_price, &line) ||
            __builtin_add_overflow(ev->cart_amount, line, &ev->cart_amount) ||
            __builtin_add_overflow(ev->cart_units, it->quantity, &ev->cart_units)) {
            return pt_err_set(err, PT_ELIMIT, "items", "items add up beyond the amount limit");
        }
        line_amount[i] = line;
        ev->sku_h[i] = pt_rule_text_hash(it->sku);
        ev->category_h[i] = hash_or_0(it->category);
        ev->st.line_left[i] = line;
        ev->st.line_discount[i] = 0;
    }
    return PT_OK;
}

/* Refuses an evaluation whose work would pass the bound, before doing any of it. */
static enum pt_rc eval_cost_check(const struct pt_rule *const *rules, unsigned count,
                                  const struct pt_eval_input *in, struct pt_err *err)
{
    unsigned lines = in->cart->item_count;
    int64_t cost;
    if (lines > PT_CART_ITEMS_MAX) {
        return PT_OK; /* check_cart refuses it, naming the limit of lines. */
    }
    cost = pt_rules_eval_cost(rules, count, in->trigger, lines);
    if (cost > PT_RULES_EVAL_COST_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, "items",
                         "the rules would cost %lld units of work on these %u lines; at most %lld "
                         "(docs/rules.md)",
                         (long long)cost, lines, (long long)PT_RULES_EVAL_COST_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return PT_OK;
}

enum pt_rc pt_rules_evaluate(const struct pt_rule *const *rules, const struct pt_rule_room *room,
                             unsigned count, const struct pt_eval_input *in, struct pt_arena *arena,
                             struct pt_eval_result *out, struct pt_err *err)
{
    static const struct pt_cart empty_cart = {NULL, 0, NULL, NULL, NULL, 0, 0};
    struct pt_eval_input input = *in;
    struct eval ev;
    struct ordered *order;
    struct pt_selection *selections;
    bool *scratch;
    bool *all;
    int64_t eligible = 0;
    unsigned message_count = 0;
    unsigned i;
    unsigned k;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    memset(&ev, 0, sizeof(ev));
    if (input.cart == NULL) {
        input.cart = &empty_cart;
    }
    ev.in = &input;
    ev.st.in = &input;
    if (count > PT_RULES_EVALUATED_MAX) {
        return pt_err_set(err, PT_ELIMIT, NULL, "at most %d rules are evaluated",
                          PT_RULES_EVALUATED_MAX);
    }
    rc = eval_cost_check(rules, count, &input, err);
    if (rc == PT_OK) {
        rc = check_cart(&ev, arena, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (input.cart->discount < 0) {
        return pt_err_set(err, PT_EINVAL, "discount", "discount must not be negative");
    }
    if (input.cart->discount > 0) {
        /* The till's own discount comes first: rules then see what is left to pay. */
        for (i = 0; i < ev.st.item_count; i++) {
            ev.st.scratch_lines[i] = true;
        }
        pt_rules_take_proportionally(&ev.st, ev.st.scratch_lines,
                                     input.cart->discount < ev.cart_amount ? input.cart->discount
                                                                           : ev.cart_amount);
    }
    order = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*order));
    selections = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*selections));
    out->outcomes = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*out->outcomes));
    scratch = pt_arena_alloc(arena, (ev.st.item_count ? ev.st.item_count : 1) * sizeof(bool));
    all = pt_arena_alloc(arena, (ev.st.item_count ? ev.st.item_count : 1) * sizeof(bool));
    if (order == NULL || selections == NULL || out->outcomes == NULL || scratch == NULL ||
        all == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < ev.st.item_count; i++) {
        all[i] = true;
    }
    for (i = 0; i < count; i++) {
        order[i].rule = rules[i];
        order[i].index = i;
    }
    /* Callers that keep their rules in order (the service's cache does) skip the sort. */
    for (k = 1; k < count && by_priority(&order[k - 1], &order[k]) < 0; k++) {
    }
    if (k < count) {
        qsort(order, count, sizeof(*order), by_priority);
    }
    /* Pass 1, in rule order: which rules fire, and the money they move. */
    for (k = 0; rc == PT_OK && k < count; k++) {
        const struct pt_rule *r = order[k].rule;
        struct pt_rule_outcome *o = &out->outcomes[out->outcome_count];
        unsigned e;
        if (!applies(r, &input, &room[order[k].index])) {
            continue;
        }
        select_items(&ev, r, scratch, all);
        if (r->items_root >= 0 && ev.sel.quantity == 0) {
            continue;
        }
        if (r->root >= 0 && !holds(&ev, r, (unsigned)r->root)) {
            enum pt_fact fact;
            int64_t missing;
            int64_t need;
            if (near_miss(&ev, r, (unsigned)r->root, &fact, &missing, &need)) {
                rc = add_nudge(&ev, out, arena, order[k].index, r, fact, missing, need, false, err);
            }
            continue;
        }
        memset(o, 0, sizeof(*o));
        o->rule = order[k].index;
        selections[out->outcome_count] = ev.sel;
        if (ev.sel.selected != all) {
            bool *copy =
                pt_arena_alloc(arena, (ev.st.item_count ? ev.st.item_count : 1) * sizeof(bool));
            if (copy == NULL) {
                return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
            }
            memcpy(copy, scratch, ev.st.item_count * sizeof(bool));
            selections[out->outcome_count].selected = copy;
        }
        message_count += r->messages;
        for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
            const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
            if (kind->discount != NULL) {
                rc = kind->discount(&r->effects[e], &ev.sel, &ev.st, o, err);
            }
            if (rc == PT_OK && kind->missing != NULL) {
                int64_t missing = kind->missing(&r->effects[e], &ev.sel);
                if (missing > 0) {
                    rc = add_nudge(&ev, out, arena, order[k].index, r, PT_FACT_SELECTED_QUANTITY,
                                   missing, r->effects[e].buy + r->effects[e].get, true, err);
                }
            }
        }
        if (r->exclusive) {
            /* It ends the evaluation only if it gives something. Nothing after it changes what
             * is left to pay, so its points can be known now. */
            int64_t points = 0;
            struct pt_rule_outcome given = *o;
            for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
                const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
                int64_t p = 0;
                if (kind->points != NULL) {
                    rc = kind->points(&r->effects[e], &ev.sel, &ev.st, &p, err);
                    if (rc == PT_OK) {
                        rc = pt_points_add(points, p, &points, err);
                    }
                }
                if (rc == PT_OK && kind->gives != NULL) {
                    rc = kind->gives(&r->effects[e], &ev.sel, &ev.st, &given, err);
                }
            }
            if (rc == PT_OK && (points > 0 || o->discount > 0 || o->free_shipping ||
                                r->messages > 0 || given.stamps > 0 || given.cashback > 0)) {
                out->free_shipping |= o->free_shipping;
                out->outcome_count++;
                break;
            }
            continue;
        }
        out->free_shipping |= o->free_shipping;
        out->outcome_count++;
    }
    if (message_count > 0) {
        out->messages = pt_arena_alloc(arena, message_count * sizeof(*out->messages));
        if (out->messages == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    /* Pass 2: points, on what is left to pay after every discount. */
    for (i = 0; rc == PT_OK && i < ev.st.item_count; i++) {
        if (input.cart->items[i].eligible) {
            eligible += ev.st.line_left[i];
        }
    }
    if (rc == PT_OK && input.trigger == PT_TRIGGER_PURCHASE) {
        rc = pt_ledger_earn_points(eligible, &input.earn_rate, &out->base_points, err);
    }
    for (k = 0; rc == PT_OK && k < out->outcome_count; k++) {
        struct pt_rule_outcome *o = &out->outcomes[k];
        const struct pt_rule *r = rules[o->rule];
        const struct pt_rule_room *rm = &room[o->rule];
        const struct pt_selection *sel = &selections[k];
        int64_t cap = rm->points_today < rm->budget ? rm->points_today : rm->budget;
        unsigned e;
        for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
            const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
            int64_t p = 0;
            if (r->effects[e].type == PT_EFFECT_MESSAGE) {
                out->messages[out->message_count++] = r->effects[e].text;
            }
            if (kind->points != NULL) {
                rc = kind->points(&r->effects[e], sel, &ev.st, &p, err);
                if (rc == PT_OK) {
                    rc = pt_points_add(o->points, p, &o->points, err);
                }
            }
            if (rc == PT_OK && kind->gives != NULL) {
                rc = kind->gives(&r->effects[e], sel, &ev.st, o, err);
            }
        }
        if (rc == PT_OK) {
            rc = pt_points_add(out->cashback, o->cashback, &out->cashback, err);
        }
        if (o->points > cap) {
            o->points = cap;
            o->capped = true;
        }
        if (rc == PT_OK) {
            rc = pt_points_add(out->rule_points, o->points, &out->rule_points, err);
        }
    }
    if (rc == PT_OK && out->cashback > eligible) {
        /* Cashback rules add up, but never to more than the customer paid for the eligible
         * lines: the last rules give less. */
        int64_t excess = out->cashback - eligible;
        for (k = out->outcome_count; k > 0 && excess > 0; k--) {
            struct pt_rule_outcome *o = &out->outcomes[k - 1];
            int64_t cut = o->cashback < excess ? o->cashback : excess;
            o->cashback -= cut;
            excess -= cut;
        }
        out->cashback = eligible;
    }
    if (rc == PT_OK && input.tier != NULL) {
        rc = pt_tier_extra_points(input.tier, out->base_points, &out->tier_points, err);
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->base_points, out->tier_points, &out->points, err);
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->points, out->rule_points, &out->points, err);
    }
    /* A rule whose conditions held but that gave nothing (a free_items rule short of a free
     * unit, points cut to zero) is not an outcome: it is not shown and not counted as a use. */
    for (i = 0, k = 0; rc == PT_OK && i < out->outcome_count; i++) {
        const struct pt_rule_outcome *o = &out->outcomes[i];
        if (o->points > 0 || o->discount > 0 || o->free_shipping || rules[o->rule]->messages > 0 ||
            o->stamps > 0 || o->cashback > 0) {
            out->outcomes[k++] = *o;
        }
    }
    if (rc == PT_OK) {
        out->outcome_count = k;
    }
    out->amount = ev.cart_amount;
    out->line_discount = ev.st.item_count > 0 ? ev.st.line_discount : NULL;
    for (i = 0; i < ev.st.item_count; i++) {
        out->discount += ev.st.line_discount[i];
    }
    pt_assert(rc != PT_OK || out->discount <= out->amount);
    json_decref(ev.attributes);
    json_decref(ev.properties);
    return rc;
}
