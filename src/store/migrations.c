/* SPDX-License-Identifier: MIT */
/*
 * The schema, as numbered forward-only migrations. Migration N brings a database from version
 * N-1 to N; each runs in one transaction together with its schema_version row. Never edit a
 * released migration: add the next one. Every program-owned table carries program_id, and
 * member-owned tables member_id, in their keys (fit for sharding by member later).
 */
#include "store/store_int.h"

static const char migration_1[] =
    "CREATE TABLE schema_version ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_at_ms INTEGER NOT NULL);"
    "CREATE TABLE programs ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),"
    "  key_hash BLOB NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  revoked_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE members ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  external_id TEXT,"
    "  email TEXT,"
    "  phone TEXT,"
    "  first_name TEXT,"
    "  last_name TEXT,"
    "  birth_date TEXT,"
    "  gender TEXT,"
    "  locale TEXT,"
    "  city TEXT,"
    "  country TEXT,"
    "  attributes TEXT NOT NULL DEFAULT '{}',"
    "  consent_email INTEGER NOT NULL DEFAULT 0,"
    "  consent_sms INTEGER NOT NULL DEFAULT 0,"
    "  consent_push INTEGER NOT NULL DEFAULT 0,"
    "  card_number TEXT NOT NULL,"
    "  referral_code TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),"
    "  enrolled_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE UNIQUE INDEX members_email ON members (program_id, email);"
    "CREATE UNIQUE INDEX members_phone ON members (program_id, phone);"
    "CREATE UNIQUE INDEX members_external_id ON members (program_id, external_id);"
    "CREATE UNIQUE INDEX members_card_number ON members (program_id, card_number);"
    "CREATE UNIQUE INDEX members_referral_code ON members (program_id, referral_code);";

/* Version 2: idempotency records (API.md) and name search for GET /v1/members?q=. */
static const char migration_2[] =
    "CREATE TABLE idempotency_keys ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  key TEXT NOT NULL,"
    "  request_hash BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, key));"
    "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);"
    "CREATE INDEX members_first_name ON members (program_id, first_name COLLATE NOCASE);"
    "CREATE INDEX members_last_name ON members (program_id, last_name COLLATE NOCASE);";

/*
 * Version 3: the points ledger. Double-entry: an entry's postings sum to zero; accounts hold
 * the running balance of their postings. Lots carry what is left of each earning with its
 * pending and expiry dates. The event log is ordered by seq (commit order).
 */
static const char migration_3a[] =
    "ALTER TABLE programs ADD COLUMN earn_points INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE programs ADD COLUMN earn_per_amount INTEGER NOT NULL DEFAULT 100;"
    "ALTER TABLE programs ADD COLUMN pending_days INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN expiry_months INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN allow_negative_balance INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN excluded_categories TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE programs ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE idempotency_keys ADD COLUMN ref_id TEXT;"
    "CREATE TABLE accounts ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  member_id TEXT,"
    "  balance INTEGER NOT NULL DEFAULT 0,"
    "  owed INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_earned INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_redeemed INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_expired INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE entries ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  reference TEXT,"
    "  reason TEXT,"
    "  key_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE INDEX entries_reference ON entries (program_id, reference);"
    "CREATE TABLE postings ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  program_id TEXT NOT NULL,"
    "  entry_id TEXT NOT NULL,"
    "  account_id TEXT NOT NULL,"
    "  member_id TEXT,"
    "  points INTEGER NOT NULL CHECK (points <> 0),"
    "  balance_after INTEGER NOT NULL,"
    "  UNIQUE (program_id, entry_id, account_id));"
    "CREATE INDEX postings_member ON postings (program_id, member_id, seq);"
    "CREATE TABLE lots ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  entry_id TEXT NOT NULL,"
    "  source_id TEXT,"
    "  points_earned INTEGER NOT NULL CHECK (points_earned >= 0),"
    "  points_remaining INTEGER NOT NULL CHECK (points_remaining >= 0),"
    "  earned_at_ms INTEGER NOT NULL,"
    "  available_at_ms INTEGER NOT NULL,"
    "  expires_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));";

static const char migration_3b[] =
    /* Spend order and expiry dates of a member's open lots; its pending lots; due lots. */
    "CREATE INDEX lots_spend ON lots (program_id, member_id, expires_at_ms, earned_at_ms) "
    "WHERE points_remaining > 0;"
    "CREATE INDEX lots_pending ON lots (program_id, member_id, available_at_ms) "
    "WHERE points_remaining > 0;"
    "CREATE INDEX lots_due ON lots (program_id, expires_at_ms) WHERE points_remaining > 0;"
    "CREATE TABLE purchases ("
    "  program_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  occurred_at_ms INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  eligible_amount INTEGER NOT NULL,"
    "  items TEXT NOT NULL DEFAULT '[]',"
    "  channel TEXT,"
    "  location TEXT,"
    "  points_earned INTEGER NOT NULL,"
    "  lot_id TEXT,"
    "  returned_amount INTEGER NOT NULL DEFAULT 0,"
    "  returned_eligible INTEGER NOT NULL DEFAULT 0,"
    "  points_reversed INTEGER NOT NULL DEFAULT 0,"
    "  entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id),"
    "  UNIQUE (program_id, external_id));"
    "CREATE TABLE purchase_items ("
    "  program_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  sku TEXT NOT NULL,"
    "  category TEXT,"
    "  quantity INTEGER NOT NULL,"
    "  unit_price INTEGER NOT NULL,"
    "  eligible INTEGER NOT NULL,"
    "  returned_quantity INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, purchase_id, line));"
    "CREATE TABLE returns ("
    "  program_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  points_reversed INTEGER NOT NULL,"
    "  points_owed INTEGER NOT NULL,"
    "  entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id),"
    "  UNIQUE (program_id, external_id));";

static const char migration_3c[] =
    "CREATE TABLE redemptions ("
    "  program_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('completed', 'cancelled')),"
    "  entry_id TEXT NOT NULL,"
    "  cancel_entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  cancelled_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE redemption_lots ("
    "  program_id TEXT NOT NULL,"
    "  redemption_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  lot_id TEXT NOT NULL,"
    "  points INTEGER NOT NULL CHECK (points > 0),"
    "  PRIMARY KEY (program_id, redemption_id, lot_id));"
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  program_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  member_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  UNIQUE (program_id, id));"
    "CREATE INDEX events_program ON events (program_id, seq);";

/*
 * Version 4: the event feed in an order no later commit can insert into (see
 * pt_store_event_list): each event records its writing transaction (txid; 0 for the events
 * before this version, which came first).
 */
static const char migration_4[] = "ALTER TABLE events ADD COLUMN txid INTEGER NOT NULL DEFAULT 0;"
                                  "CREATE INDEX events_feed ON events (program_id, txid, seq);"
                                  "DROP INDEX events_program;";

/* Each migration is a NULL-terminated list of SQL texts (C limits one literal's length). */
static const char *const migration_1_parts[] = {migration_1, NULL};
static const char *const migration_2_parts[] = {migration_2, NULL};
static const char *const migration_3_parts[] = {migration_3a, migration_3b, migration_3c, NULL};
static const char *const migration_4_parts[] = {migration_4, NULL};

const char *const *const pt_store_migrations[] = {NULL, migration_1_parts, migration_2_parts,
                                                  migration_3_parts, migration_4_parts};

_Static_assert(sizeof(pt_store_migrations) / sizeof(pt_store_migrations[0]) ==
                   PT_SCHEMA_VERSION + 1,
               "one migration per schema version");
