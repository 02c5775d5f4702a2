/* SPDX-License-Identifier: MIT */
/*
 * The rule compiler: parses and validates a rule document (JSON) into its compiled form
 * (struct pt_rule, rules.h), reporting the first problem with the JSON path of the offending
 * part. It also holds the names of rule statuses and the JSON readers that the effects' own
 * parsers use (rules_int.h). The effects' fields are read in rules_effects.c.
 */
#include "core/rules_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <string.h>

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
    {"cart.remaining", PT_FACT_CART_REMAINING, FT_INT, FS_CART, 0, BIG},
    {"selected.remaining", PT_FACT_SELECTED_REMAINING, FT_INT, FS_SELECTED, 0, BIG},
    {"payment.card", PT_FACT_PAYMENT_CARD, FT_INT, FS_CART, 0, BIG},
    {"payment.cash", PT_FACT_PAYMENT_CASH, FT_INT, FS_CART, 0, BIG},
    {"payment.points", PT_FACT_PAYMENT_POINTS, FT_INT, FS_CART, 0, BIG},
    {"payment.wallet", PT_FACT_PAYMENT_WALLET, FT_INT, FS_CART, 0, BIG},
    {"payment.other", PT_FACT_PAYMENT_OTHER, FT_INT, FS_CART, 0, BIG},
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
    return *out != NULL ? PT_OK : pt_arena_err(c->arena, c->err);
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
                    return pt_arena_err(c->arena, c->err);
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
                 d->fact == PT_FACT_CART_REMAINING || d->fact == PT_FACT_CART_ITEM_COUNT ||
                 d->fact == PT_FACT_CART_CHANNEL || d->fact == PT_FACT_CART_LOCATION ||
                 d->fact == PT_FACT_CART_COUPONS ||
                 (d->fact >= PT_FACT_PAYMENT_CARD && d->fact <= PT_FACT_PAYMENT_OTHER)) &&
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

/* The operand of in: a list of 1 to PT_RULE_LIST_MAX literals, into n->list. */
static enum pt_rc parse_in_list(struct compiler *c, const struct fact_def *def, json_t *list,
                                const char *field, struct pt_rule_node *n)
{
    struct pt_value *vals;
    size_t i;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > PT_RULE_LIST_MAX) {
        return pt_err_set(c->err, PT_EINVAL, field, "in takes a list of 1 to %d values",
                          PT_RULE_LIST_MAX);
    }
    vals = pt_arena_alloc(c->arena, json_array_size(list) * sizeof(*vals));
    if (vals == NULL) {
        return pt_arena_err(c->arena, c->err);
    }
    for (i = 0; i < json_array_size(list); i++) {
        char item[PT_RULE_PATH_BYTES];
        enum pt_rc rc;
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
        return parse_in_list(c, def, json_array_get(args, 1), field, n);
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
            return pt_arena_err(c->arena, c->err);
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
                              "message, add_stamps, cashback, discount_cheapest, get_product or "
                              "issue_coupon");
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

/* "public" (a bool, default false) and "description" (a text for members): what the portal's
 * offers page shows of a rule. A description past its bound is a limit (422), not a typo. */
static enum pt_rc parse_public_face(struct compiler *c, json_t *doc)
{
    json_t *v = json_object_get(doc, "public");
    struct pt_rule *r = c->rule;
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            return pt_err_set(c->err, PT_EINVAL, "public", "public is true or false");
        }
        r->is_public = json_is_true(v);
    }
    v = json_object_get(doc, "description");
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    if (json_is_string(v) && json_string_length(v) > PT_RULE_DESCRIPTION_BYTES_MAX) {
        return pt_err_set(c->err, PT_ELIMIT, "description", "description is at most %d bytes",
                          PT_RULE_DESCRIPTION_BYTES_MAX);
    }
    return copy_text(c, v, "description", PT_RULE_DESCRIPTION_BYTES_MAX, &r->description);
}

static enum pt_rc compile_doc(struct compiler *c, json_t *doc)
{
    static const char *const keys[] = {
        "name",          "trigger",  "conditions",          "items",
        "effects",       "priority", "exclusive",           "valid_from",
        "valid_to",      "status",   "max_uses_per_member", "max_points_per_member_per_day",
        "budget_points", "max_uses", "budget_amount",       "public",
        "description",   NULL};
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
        rc = parse_public_face(c, doc);
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
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "max_uses", "", 1, 1000000000000LL, false, &r->max_uses, c->err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(doc, "budget_amount", "", 1, 1000000000000000LL, false,
                              &r->budget_amount, c->err);
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
    uint64_t failures = pt_alloc_failures_here();
    memset(out, 0, sizeof(*out));
    out->root = -1;
    out->items_root = -1;
    out->valid_from_ms = INT64_MIN;
    out->valid_to_ms = INT64_MAX;
    if (len > PT_RULE_DOC_BYTES_MAX) {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "a rule is at most %d bytes", PT_RULE_DOC_BYTES_MAX);
    } else if ((root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL &&
               pt_alloc_failures_here() != failures) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory"); /* jansson says "invalid". */
    } else if (root == NULL) {
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

/* The allowed moves of a rule's status; archived is final. */
enum pt_rc pt_rule_status_move(enum pt_rule_status from, enum pt_rule_status to, struct pt_err *err)
{
    if (from == PT_RULE_ARCHIVED && to != PT_RULE_ARCHIVED) {
        (void)pt_err_set(err, PT_ELIMIT, "status", "the rule is archived");
        return pt_err_code(err, "rule_archived");
    }
    if (to == PT_RULE_PAUSED && from == PT_RULE_DRAFT) {
        (void)pt_err_set(err, PT_ELIMIT, "status", "only an active rule can be paused");
        return pt_err_code(err, "rule_not_active");
    }
    return PT_OK;
}

enum pt_rc pt_rule_usage_refused(struct pt_err *err)
{
    (void)pt_err_set(err, PT_ELIMIT, "points", "the rule's usage would pass its bound");
    return pt_err_code(err, "limit_exceeded");
}

enum pt_rc pt_rule_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such rule");
}

enum pt_rc pt_rule_changed(struct pt_err *err)
{
    return pt_err_set(err, PT_EBUSY, NULL, "the rule changed meanwhile, retry");
}
