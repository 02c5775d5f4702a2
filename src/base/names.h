/* SPDX-License-Identifier: MIT */
/*
 * Tables of names: an enum's values spelled as the API and the store spell them, one table per
 * enum in the core header of its noun (pt_reward_type_names, ...), found here in one way.
 */
#ifndef PT_BASE_NAMES_H
#define PT_BASE_NAMES_H

#include <stdbool.h>

/* The index of s in names[0..count), or -1 when s is NULL or not one of them. */
int pt_name_index(const char *const *names, unsigned count, const char *s);

/* Whether s is one of the lines of lines (names one per line, "" for none); false when either
 * is NULL. The settings that hold lists of names (excluded categories, a reward's tiers) keep
 * them so. */
bool pt_name_in_lines(const char *lines, const char *s);

#endif
