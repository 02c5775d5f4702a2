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

const char *const pt_store_migrations[] = {NULL, migration_1, migration_2};

_Static_assert(sizeof(pt_store_migrations) / sizeof(pt_store_migrations[0]) ==
                   PT_SCHEMA_VERSION + 1,
               "one migration per schema version");
