/* SPDX-License-Identifier: MIT */
/*
 * Tables of names: an enum's values spelled as the API and the store spell them, one table per
 * enum in the core header of its noun (pt_reward_type_names, ...), found here in one way.
 */
#ifndef PT_BASE_NAMES_H
#define PT_BASE_NAMES_H

#include <stdbool.h>

/* The index of s in names[0..count), or -1 when s is NULL or not one of them. It is also the
 * lookup in the lists of names the settings hold (excluded categories, a reward's tiers). */
int pt_name_index(const char *const *names, unsigned count, const char *s);

#endif
