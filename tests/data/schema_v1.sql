-- SPDX-License-Identifier: MIT
-- A Patron database at schema version 1, exactly as migration 1 made it (frozen: never edit).
-- tests/api/test_migration.py builds a database from this file, adds rows the way the
-- version-1 server wrote them, and checks that the current patron migrates and serves it.
CREATE TABLE schema_version (  version INTEGER PRIMARY KEY,  applied_at_ms INTEGER NOT NULL);
CREATE TABLE programs (  id TEXT PRIMARY KEY,  name TEXT NOT NULL,  currency TEXT NOT NULL,  created_at_ms INTEGER NOT NULL);
CREATE TABLE api_keys (  program_id TEXT NOT NULL REFERENCES programs(id),  id TEXT NOT NULL,  name TEXT NOT NULL,  role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),  key_hash BLOB NOT NULL UNIQUE,  prefix TEXT NOT NULL,  created_at_ms INTEGER NOT NULL,  revoked_at_ms INTEGER,  PRIMARY KEY (program_id, id));
CREATE TABLE members (  program_id TEXT NOT NULL REFERENCES programs(id),  id TEXT NOT NULL,  external_id TEXT,  email TEXT,  phone TEXT,  first_name TEXT,  last_name TEXT,  birth_date TEXT,  gender TEXT,  locale TEXT,  city TEXT,  country TEXT,  attributes TEXT NOT NULL DEFAULT '{}',  consent_email INTEGER NOT NULL DEFAULT 0,  consent_sms INTEGER NOT NULL DEFAULT 0,  consent_push INTEGER NOT NULL DEFAULT 0,  card_number TEXT NOT NULL,  referral_code TEXT NOT NULL,  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),  enrolled_at_ms INTEGER NOT NULL,  updated_at_ms INTEGER NOT NULL,  version INTEGER NOT NULL,  PRIMARY KEY (program_id, id));
CREATE UNIQUE INDEX members_email ON members (program_id, email);
CREATE UNIQUE INDEX members_phone ON members (program_id, phone);
CREATE UNIQUE INDEX members_external_id ON members (program_id, external_id);
CREATE UNIQUE INDEX members_card_number ON members (program_id, card_number);
CREATE UNIQUE INDEX members_referral_code ON members (program_id, referral_code);
INSERT INTO schema_version (version, applied_at_ms) VALUES (1, 1764000000000);
