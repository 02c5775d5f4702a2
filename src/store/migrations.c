/* SPDX-License-Identifier: MIT */
/*
 * The schema, as numbered forward-only migrations. Migration N brings a database from version
 * N-1 to N; each runs in one transaction together with its schema_version row. Never edit a
 * released migration: add the next one. Every program-owned table carries program_id, and
 * member-owned tables member_id, in their keys (fit for sharding by member: version 5). Each
 * driver runs the same migrations; PostgreSQL adds one statement to version 5.
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

/*
 * Version 5: fit for sharding by member (docs/scaling.md). Every member-owned table has the
 * member in its primary key, so each of them can be distributed by member_id:
 * - entries belong to one member (a transfer is one entry id with a leg for each of its two
 *   members, each leg balanced through the member's `program:transfers` clearing account);
 * - the program's accounts (issued, redeemed, expired, adjusted) are kept per member and summed
 *   when read, so that no write touches a row shared by every member;
 * - postings are numbered per account (n, from the account's posting count) instead of by one
 *   global sequence;
 * - values unique in a whole program (a member's email, phone, external id, card number and
 *   referral code, a purchase's or a return's receipt number) are claimed in member_keys, whose
 *   key is the value itself, instead of by unique indexes of member-owned tables.
 * v5_entry_members maps each old entry to its member(s) while the tables are rebuilt.
 */
static const char migration_5a[] =
    "CREATE TABLE member_keys ("
    "  program_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  PRIMARY KEY (program_id, kind, value));"
    "INSERT INTO member_keys SELECT program_id, 'email', email, id FROM members "
    "WHERE email IS NOT NULL;"
    "INSERT INTO member_keys SELECT program_id, 'phone', phone, id FROM members "
    "WHERE phone IS NOT NULL;"
    "INSERT INTO member_keys SELECT program_id, 'external_id', external_id, id FROM members "
    "WHERE external_id IS NOT NULL;"
    "INSERT INTO member_keys SELECT program_id, 'card_number', card_number, id FROM members "
    "WHERE card_number IS NOT NULL;"
    "INSERT INTO member_keys SELECT program_id, 'referral_code', referral_code, id FROM members "
    "WHERE referral_code IS NOT NULL;"
    "INSERT INTO member_keys SELECT program_id, 'purchase', external_id, member_id FROM purchases;"
    "INSERT INTO member_keys SELECT program_id, 'return', external_id, member_id FROM returns;"
    "DROP INDEX members_email;"
    "DROP INDEX members_phone;"
    "DROP INDEX members_external_id;"
    "DROP INDEX members_card_number;"
    "DROP INDEX members_referral_code;"
    "CREATE INDEX members_email ON members (program_id, email);"
    "CREATE INDEX members_phone ON members (program_id, phone);"
    "CREATE INDEX members_external_id ON members (program_id, external_id);"
    "CREATE INDEX members_card_number ON members (program_id, card_number);"
    "CREATE TABLE v5_entry_members ("
    "  program_id TEXT NOT NULL,"
    "  entry_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  PRIMARY KEY (program_id, entry_id, member_id));"
    "INSERT INTO v5_entry_members SELECT DISTINCT program_id, entry_id, member_id FROM postings "
    "WHERE member_id IS NOT NULL;"
    /* A cancelled redemption whose points had all expired has no member posting. */
    "INSERT INTO v5_entry_members SELECT e.program_id, e.id, r.member_id FROM entries e "
    "JOIN redemptions r ON r.program_id = e.program_id AND r.id = e.reference "
    "WHERE e.type = 'redeem_cancel' AND NOT EXISTS (SELECT 1 FROM postings p "
    "WHERE p.program_id = e.program_id AND p.entry_id = e.id AND p.member_id IS NOT NULL);";

static const char migration_5b[] =
    "CREATE TABLE entries_v5 ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  reference TEXT,"
    "  reason TEXT,"
    "  key_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO entries_v5 SELECT e.program_id, m.member_id, e.id, e.type, e.reference, "
    "e.reason, e.key_id, e.created_at_ms FROM entries e JOIN v5_entry_members m "
    "ON m.program_id = e.program_id AND m.entry_id = e.id;"
    "CREATE TABLE postings_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  account_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  entry_id TEXT NOT NULL,"
    "  points INTEGER NOT NULL CHECK (points <> 0),"
    "  balance_after INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, account_id, n),"
    "  UNIQUE (program_id, member_id, entry_id, account_id));"
    /* The member's postings, the program's (now the entry's member's), and for each transfer
     * leg its clearing posting; numbered and balanced per account in the old commit order. */
    "INSERT INTO postings_v5 (program_id, member_id, account_id, n, entry_id, points, "
    "balance_after) SELECT program_id, member_id, account_id, row_number() OVER w, entry_id, "
    "points, sum(points) OVER w FROM ("
    "SELECT p.seq, p.program_id, p.member_id, p.account_id, p.entry_id, p.points "
    "FROM postings p WHERE p.member_id IS NOT NULL "
    "UNION ALL SELECT p.seq, p.program_id, m.member_id, p.account_id, p.entry_id, p.points "
    "FROM postings p JOIN v5_entry_members m ON m.program_id = p.program_id "
    "AND m.entry_id = p.entry_id WHERE p.member_id IS NULL "
    "UNION ALL SELECT p.seq, p.program_id, p.member_id, 'program:transfers', p.entry_id, "
    "-p.points FROM postings p JOIN entries e ON e.program_id = p.program_id "
    "AND e.id = p.entry_id WHERE e.type = 'transfer' AND p.member_id IS NOT NULL) AS x "
    "WINDOW w AS (PARTITION BY program_id, member_id, account_id ORDER BY seq);"
    "CREATE TABLE accounts_v5 ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  balance INTEGER NOT NULL DEFAULT 0,"
    "  owed INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_earned INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_redeemed INTEGER NOT NULL DEFAULT 0,"
    "  lifetime_expired INTEGER NOT NULL DEFAULT 0,"
    "  postings INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO accounts_v5 SELECT a.program_id, a.member_id, a.id, a.balance, a.owed, "
    "a.lifetime_earned, a.lifetime_redeemed, a.lifetime_expired, (SELECT count(*) "
    "FROM postings_v5 p WHERE p.program_id = a.program_id AND p.member_id = a.member_id "
    "AND p.account_id = a.id) FROM accounts a WHERE a.member_id IS NOT NULL;"
    "INSERT INTO accounts_v5 (program_id, member_id, id, balance, postings) "
    "SELECT program_id, member_id, account_id, sum(points), count(*) FROM postings_v5 "
    "WHERE account_id <> member_id GROUP BY program_id, member_id, account_id;"
    "DROP TABLE accounts;"
    "DROP TABLE postings;"
    "DROP TABLE entries;"
    "DROP TABLE v5_entry_members;"
    "ALTER TABLE accounts_v5 RENAME TO accounts;"
    "ALTER TABLE postings_v5 RENAME TO postings;"
    "ALTER TABLE entries_v5 RENAME TO entries;"
    "CREATE INDEX entries_reference ON entries (program_id, reference);";

static const char migration_5c[] =
    "CREATE TABLE purchases_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
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
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO purchases_v5 SELECT program_id, member_id, id, external_id, occurred_at_ms, "
    "currency, amount, eligible_amount, items, channel, location, points_earned, lot_id, "
    "returned_amount, returned_eligible, points_reversed, entry_id, created_at_ms "
    "FROM purchases;"
    "CREATE TABLE purchase_items_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  line INTEGER NOT NULL,"
    "  sku TEXT NOT NULL,"
    "  category TEXT,"
    "  quantity INTEGER NOT NULL,"
    "  unit_price INTEGER NOT NULL,"
    "  eligible INTEGER NOT NULL,"
    "  returned_quantity INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, member_id, purchase_id, line));"
    "INSERT INTO purchase_items_v5 SELECT i.program_id, p.member_id, i.purchase_id, i.line, "
    "i.sku, i.category, i.quantity, i.unit_price, i.eligible, i.returned_quantity "
    "FROM purchase_items i JOIN purchases p ON p.program_id = i.program_id "
    "AND p.id = i.purchase_id;"
    "CREATE TABLE returns_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  points_reversed INTEGER NOT NULL,"
    "  points_owed INTEGER NOT NULL,"
    "  entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO returns_v5 SELECT program_id, member_id, id, external_id, purchase_id, amount, "
    "points_reversed, points_owed, entry_id, created_at_ms FROM returns;"
    "DROP TABLE purchase_items;"
    "DROP TABLE purchases;"
    "DROP TABLE returns;"
    "ALTER TABLE purchases_v5 RENAME TO purchases;"
    "ALTER TABLE purchase_items_v5 RENAME TO purchase_items;"
    "ALTER TABLE returns_v5 RENAME TO returns;"
    /* A return names only its purchase's id, so purchases are also found by id alone. */
    "CREATE INDEX purchases_id ON purchases (program_id, id);";

static const char migration_5d[] =
    "CREATE TABLE redemptions_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('completed', 'cancelled')),"
    "  entry_id TEXT NOT NULL,"
    "  cancel_entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  cancelled_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO redemptions_v5 SELECT program_id, member_id, id, points, reason, status, "
    "entry_id, cancel_entry_id, created_at_ms, cancelled_at_ms FROM redemptions;"
    "CREATE TABLE redemption_lots_v5 ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  redemption_id TEXT NOT NULL,"
    "  lot_id TEXT NOT NULL,"
    "  points INTEGER NOT NULL CHECK (points > 0),"
    "  PRIMARY KEY (program_id, member_id, redemption_id, lot_id));"
    "INSERT INTO redemption_lots_v5 SELECT program_id, member_id, redemption_id, lot_id, points "
    "FROM redemption_lots;"
    "DROP TABLE redemption_lots;"
    "DROP TABLE redemptions;"
    "ALTER TABLE redemptions_v5 RENAME TO redemptions;"
    "ALTER TABLE redemption_lots_v5 RENAME TO redemption_lots;"
    /* A cancel names only the redemption's id. */
    "CREATE INDEX redemptions_id ON redemptions (program_id, id);";

/* PostgreSQL only (the engine that is sharded): an event's id need not be unique by a
 * constraint (ids are random), and a unique key without the distribution column would keep the
 * table from being distributed. SQLite keeps its index as it is. */
static const char migration_5_pg[] = "ALTER TABLE events DROP CONSTRAINT events_program_id_id_key;"
                                     "CREATE INDEX events_id ON events (program_id, id);";

/*
 * Version 6: the rules engine (docs/rules.md). A rule's current document and each of its
 * versions (who changed it, when); what each rule has issued against its budget (a row per
 * rule, apart from the rule, so that the rules stay small and rarely written); how often and
 * how much each rule gave each member (per-member limits); which rule versions fired on each
 * purchase and what each gave. programs.rules_version moves on every rule change, so that a
 * cache of compiled rules knows when it is stale.
 */
static const char migration_6[] =
    "ALTER TABLE programs ADD COLUMN rules_version INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';"
    "ALTER TABLE programs ADD COLUMN point_cost_amount INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE programs ADD COLUMN point_cost_points INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE purchases ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN base_points INTEGER;"
    "ALTER TABLE purchases ADD COLUMN till_discount INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE rules ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),"
    "  name TEXT NOT NULL,"
    "  trigger_name TEXT NOT NULL,"
    "  priority INTEGER NOT NULL,"
    "  document TEXT NOT NULL,"
    "  key_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE INDEX rules_status ON rules (program_id, status, id);"
    "CREATE TABLE rule_versions ("
    "  program_id TEXT NOT NULL,"
    "  rule_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  document TEXT NOT NULL,"
    "  key_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, rule_id, version));"
    "CREATE TABLE rule_budgets ("
    "  program_id TEXT NOT NULL,"
    "  rule_id TEXT NOT NULL,"
    "  points_issued INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, rule_id));"
    "CREATE TABLE rule_usage ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  rule_id TEXT NOT NULL,"
    "  uses INTEGER NOT NULL DEFAULT 0,"
    "  points INTEGER NOT NULL DEFAULT 0,"
    "  day TEXT NOT NULL DEFAULT '',"
    "  points_day INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, member_id, rule_id));"
    "CREATE TABLE purchase_rules ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  rule_id TEXT NOT NULL,"
    "  rule_version INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  discount INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, purchase_id, rule_id));"
    /* Member activities (reviews, surveys, …) and what their rules gave. */
    "CREATE TABLE activities ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  external_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  occurred_at_ms INTEGER NOT NULL,"
    "  properties TEXT NOT NULL,"
    "  points_earned INTEGER NOT NULL,"
    "  entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));"
    /* One birthday bonus per member and year; the job finds today's birthdays by index. */
    "CREATE TABLE birthday_awards ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, year));"
    "CREATE INDEX members_birthday ON members (program_id, substr(birth_date, 6, 5));";

/*
 * Version 7: status tiers. The program's tier policy (metric, window, retain) and its levels;
 * each member's tier, review month and grace; the qualifying metric by member and local month
 * (a window is a sum of at most 36 rows); every tier change, for the member's history.
 */
static const char migration_7[] =
    "ALTER TABLE programs ADD COLUMN tier_metric TEXT NOT NULL DEFAULT 'none';"
    "ALTER TABLE programs ADD COLUMN tier_months INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN tier_retain INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE tiers ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  tier_index INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  threshold INTEGER NOT NULL,"
    "  multiplier_num INTEGER NOT NULL,"
    "  multiplier_den INTEGER NOT NULL,"
    "  perks TEXT NOT NULL,"
    "  PRIMARY KEY (program_id, tier_index));"
    "CREATE TABLE member_tiers ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  tier_index INTEGER NOT NULL,"
    "  since_ms INTEGER NOT NULL,"
    "  review_month INTEGER NOT NULL,"
    "  grace INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id));"
    "CREATE INDEX member_tiers_review ON member_tiers (program_id, review_month) "
    "WHERE tier_index > 0;"
    "CREATE TABLE tier_metrics ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  month INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  spend INTEGER NOT NULL,"
    "  purchases INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, month));"
    "CREATE TABLE tier_changes ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  from_name TEXT NOT NULL,"
    "  to_name TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  metric_value INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, n));"
    /* The purchases so far, by UTC month (the time zone is not known to SQL): the civil date
     * of each day number in integer arithmetic both engines share (H. Hinnant's algorithm).
     * Each purchase keeps the month it was counted in, so that its returns take from it. */
    "ALTER TABLE purchases ADD COLUMN tier_month INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE v7_purchase_months ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  month INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "INSERT INTO v7_purchase_months (program_id, member_id, id, month) "
    "SELECT program_id, member_id, id, (y + CASE WHEN mp < 10 THEN 0 ELSE 1 END) * 12 "
    "+ CASE WHEN mp < 10 THEN mp + 2 ELSE mp - 10 END FROM ("
    "SELECT g.*, (5 * doy + 2) / 153 AS mp FROM ("
    "SELECT f.*, doe - (365 * yoe + yoe / 4 - yoe / 100) AS doy, yoe + era * 400 AS y FROM ("
    "SELECT e.*, (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 AS yoe FROM ("
    "SELECT d.*, z - era * 146097 AS doe FROM ("
    "SELECT c.*, z / 146097 AS era FROM ("
    "SELECT program_id, member_id, id, occurred_at_ms / 86400000 + 719468 AS z FROM purchases "
    "WHERE occurred_at_ms >= 0) c) d) e) f) g) h;"
    "UPDATE purchases SET tier_month = (SELECT m.month FROM v7_purchase_months m "
    "WHERE m.program_id = purchases.program_id AND m.member_id = purchases.member_id "
    "AND m.id = purchases.id) WHERE occurred_at_ms >= 0;"
    "DROP TABLE v7_purchase_months;"
    "INSERT INTO tier_metrics (program_id, member_id, month, points, spend, purchases) "
    "SELECT program_id, member_id, tier_month, sum(points_earned - points_reversed), "
    "sum(amount - returned_amount), "
    "sum(CASE WHEN returned_amount < amount OR amount = 0 THEN 1 ELSE 0 END) FROM purchases "
    "GROUP BY program_id, member_id, tier_month;";

/*
 * Version 8: stamp cards. A card is a rule document with an add_stamps effect (what earns a
 * stamp) plus its size, reward and validity; each member fills numbered instances of it; a
 * purchase remembers the stamps it added, so that returns can take them back.
 */
static const char migration_8[] =
    "CREATE TABLE stamp_cards ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'archived')),"
    "  stamps_required INTEGER NOT NULL,"
    "  stamps_per TEXT NOT NULL CHECK (stamps_per IN ('purchase', 'item')),"
    "  conditions TEXT,"
    "  items TEXT,"
    "  document TEXT NOT NULL,"
    "  reward_points INTEGER NOT NULL,"
    "  reward_id TEXT,"
    "  valid_days INTEGER NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE member_stamp_cards ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  card_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'expired')),"
    "  stamps INTEGER NOT NULL,"
    "  started_at_ms INTEGER NOT NULL,"
    "  expires_at_ms INTEGER NOT NULL,"
    "  completed_at_ms INTEGER NOT NULL,"
    "  reward_points INTEGER NOT NULL,"
    "  entry_id TEXT,"
    "  PRIMARY KEY (program_id, member_id, card_id, n));"
    "CREATE TABLE purchase_stamps ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  card_id TEXT NOT NULL,"
    "  stamps INTEGER NOT NULL,"
    "  stamps_removed INTEGER NOT NULL,"
    "  card_n INTEGER NOT NULL,"
    "  on_open INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, purchase_id, card_id));";

/*
 * Version 9: wallets. Money in the program's currency beside points, double-entry on the same
 * entries and postings (the member's account "wallet"), credited in lots with their own
 * pending period (wallet_credits), spent at checkout by debits that remember the credits they
 * took from, so that a cancel puts the money back where it was. A purchase remembers its
 * cashback and its credit, so that returns take it back in proportion.
 */
static const char migration_9[] =
    "ALTER TABLE programs ADD COLUMN wallet_pending_days INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN cashback INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN cashback_reversed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN wallet_credit_id TEXT;"
    "CREATE TABLE wallet_credits ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  entry_id TEXT NOT NULL,"
    "  source_id TEXT,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  remaining INTEGER NOT NULL CHECK (remaining >= 0),"
    "  available_at_ms INTEGER NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "CREATE INDEX wallet_credits_spend ON wallet_credits (program_id, member_id, "
    "available_at_ms) WHERE remaining > 0;"
    "CREATE TABLE wallet_debits ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  reason TEXT,"
    "  external_id TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),"
    "  entry_id TEXT NOT NULL,"
    "  cancel_entry_id TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  cancelled_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, member_id, id));"
    "CREATE INDEX wallet_debits_id ON wallet_debits (program_id, id);"
    "CREATE TABLE wallet_debit_credits ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  debit_id TEXT NOT NULL,"
    "  credit_id TEXT NOT NULL,"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  PRIMARY KEY (program_id, member_id, debit_id, credit_id));";

/*
 * Version 10: referrals. The program's referral rewards, and one row per referred member: who
 * referred it, how far it got (invited, qualified, rewarded, reversed) and what each side got,
 * so that a full return of the qualifying purchase takes exactly that back.
 */
static const char migration_10[] =
    "ALTER TABLE programs ADD COLUMN referral_enabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referrer_points INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referrer_wallet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referee_points INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referee_wallet INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referral_min_amount INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referral_within_days INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN referral_max_per_month INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE referrals ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  referrer_id TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('invited', 'qualified', 'rewarded', 'reversed')),"
    "  enrolled_at_ms INTEGER NOT NULL,"
    "  qualified_at_ms INTEGER NOT NULL,"
    "  rewarded_at_ms INTEGER NOT NULL,"
    "  reversed_at_ms INTEGER NOT NULL,"
    "  purchase_id TEXT,"
    "  rewarded_month INTEGER NOT NULL,"
    "  referrer_points INTEGER NOT NULL,"
    "  referrer_wallet INTEGER NOT NULL,"
    "  referee_points INTEGER NOT NULL,"
    "  referee_wallet INTEGER NOT NULL,"
    "  referrer_credit_id TEXT,"
    "  referee_credit_id TEXT,"
    "  note TEXT,"
    "  PRIMARY KEY (program_id, member_id));"
    "CREATE INDEX referrals_referrer ON referrals (program_id, referrer_id, rewarded_month);";

/*
 * Version 11: the rewards catalog and coupons. A reward counts the coupons it issued against
 * its stock in one row (the last unit cannot go twice); a coupon is keyed by its code, unique
 * in the program, and remembers the redemption that paid for it.
 */
static const char migration_11[] =
    "CREATE TABLE rewards ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  description TEXT,"
    "  terms TEXT,"
    "  image_url TEXT,"
    "  type TEXT NOT NULL CHECK (type IN ('discount_amount', 'discount_percent', "
    "'free_product', 'gift', 'partner_voucher')),"
    "  value INTEGER NOT NULL,"
    "  sku TEXT,"
    "  cost_points INTEGER NOT NULL,"
    "  stock INTEGER,"
    "  issued INTEGER NOT NULL DEFAULT 0,"
    "  per_member_limit INTEGER NOT NULL,"
    "  valid_from_ms INTEGER NOT NULL,"
    "  valid_to_ms INTEGER NOT NULL,"
    "  tiers TEXT NOT NULL,"
    "  coupon_valid_days INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'archived')),"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE coupons ("
    "  program_id TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  reward_id TEXT NOT NULL,"
    "  redemption_id TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'redeemed', 'expired', 'cancelled')),"
    "  issued_at_ms INTEGER NOT NULL,"
    "  expires_at_ms INTEGER NOT NULL,"
    "  redeemed_at_ms INTEGER NOT NULL,"
    "  location TEXT,"
    "  cancelled_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, code));"
    "CREATE INDEX coupons_member ON coupons (program_id, member_id, reward_id);"
    "CREATE INDEX coupons_due ON coupons (program_id, expires_at_ms) WHERE status = 'active';";

/*
 * Version 12: coupons used in purchases, partner voucher pools, and promotion codes in bulk.
 * - A coupon remembers the purchase that used it, and a partner voucher's coupon the partner's
 *   code it drew.
 * - partner_vouchers: a reward's pool of partner codes; a code is free until a coupon draws it.
 * - coupon_batches: a batch of promotion codes, generated in the background (generated counts
 *   up to count); it gives a reward or its own discount (type, value, sku).
 * - promo_codes: the batch's codes (n = 1..count, its order in codes.csv) and their uses;
 *   promo_code_uses: one row per use, for uses_per_member.
 */
static const char migration_12[] =
    "ALTER TABLE coupons ADD COLUMN purchase_id TEXT;"
    "ALTER TABLE coupons ADD COLUMN partner_code TEXT;"
    "CREATE TABLE partner_vouchers ("
    "  program_id TEXT NOT NULL,"
    "  reward_id TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  uploaded_at_ms INTEGER NOT NULL,"
    "  coupon_code TEXT,"
    "  PRIMARY KEY (program_id, reward_id, code));"
    "CREATE INDEX partner_vouchers_free ON partner_vouchers (program_id, reward_id, n) "
    "WHERE coupon_code IS NULL;"
    "CREATE TABLE coupon_batches ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  reward_id TEXT,"
    "  type TEXT CHECK (type IN ('discount_amount', 'discount_percent', 'free_product')),"
    "  value INTEGER NOT NULL,"
    "  sku TEXT,"
    "  prefix TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  generated INTEGER NOT NULL DEFAULT 0,"
    "  uses_per_code INTEGER NOT NULL,"
    "  uses_per_member INTEGER NOT NULL,"
    "  valid_from_ms INTEGER NOT NULL,"
    "  valid_to_ms INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('generating', 'ready', 'failed')),"
    "  error TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE INDEX coupon_batches_generating ON coupon_batches (status) "
    "WHERE status = 'generating';"
    "CREATE TABLE promo_codes ("
    "  program_id TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  batch_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  uses INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, code));"
    "CREATE UNIQUE INDEX promo_codes_batch ON promo_codes (program_id, batch_id, n);"
    "CREATE TABLE promo_code_uses ("
    "  program_id TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  batch_id TEXT NOT NULL,"
    "  member_id TEXT,"
    "  purchase_id TEXT,"
    "  location TEXT,"
    "  used_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, code, n));"
    "CREATE INDEX promo_code_uses_member ON promo_code_uses (program_id, batch_id, member_id);";

/*
 * Version 13: promotion codes are found by their code alone. A batch's million codes are
 * random, so every insert lands at a random place of the code index; keyed by (program_id,
 * code) each entry carried the 30-byte program id too, and the index was twice as large as it
 * needs to be: twice the pages a chunk of codes dirties, and a batch took 1.6 times as long
 * (bench/run_bench.py batches). A code is unique across programs now (60 random bits: a
 * clash is skipped like one inside a program), and lookups still name the program.
 */
static const char migration_13[] =
    "CREATE TABLE promo_codes_13 ("
    "  program_id TEXT NOT NULL,"
    "  code TEXT NOT NULL PRIMARY KEY,"
    "  batch_id TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  uses INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO promo_codes_13 (program_id, code, batch_id, n, uses) "
    "SELECT program_id, code, batch_id, n, uses FROM promo_codes;"
    "DROP TABLE promo_codes;"
    "ALTER TABLE promo_codes_13 RENAME TO promo_codes;"
    "CREATE UNIQUE INDEX promo_codes_batch ON promo_codes (program_id, batch_id, n);";

/* PostgreSQL names the key after the table it was made on: named as the table is now. */
static const char migration_13_pg[] = "ALTER INDEX promo_codes_13_pkey RENAME TO promo_codes_pkey;";

/*
 * Version 14: which roles may adjust points, and by how much per call, is a program setting
 * (issue 16, the bounded ledger): staff keys up to PT_ADJUST_STAFF_POINTS_DEFAULT, the admin up
 * to PT_ADJUST_ADMIN_POINTS_DEFAULT (the values below; a test compares them).
 */
static const char migration_14[] =
    "ALTER TABLE programs ADD COLUMN adjust_staff_max INTEGER NOT NULL DEFAULT 10000;"
    "ALTER TABLE programs ADD COLUMN adjust_admin_max INTEGER NOT NULL "
    "DEFAULT 1000000000000000;";

/*
 * Version 15: a program's return window and its hold on what a return may take back (issue 16,
 * the smaller rules). The columns' defaults are a new program's (PT_RETURN_DAYS_DEFAULT days,
 * the hold on), so that an insert need not name them; the programs that existed before keep
 * their behaviour (no window, no hold). Purchases of a member by time, for the hold.
 */
static const char migration_15[] =
    "ALTER TABLE programs ADD COLUMN return_days INTEGER NOT NULL DEFAULT 30;"
    "ALTER TABLE programs ADD COLUMN hold_returnable INTEGER NOT NULL DEFAULT 1;"
    "UPDATE programs SET return_days = 0, hold_returnable = 0;"
    "CREATE INDEX purchases_member_time ON purchases (program_id, member_id, occurred_at_ms);";
_Static_assert(PT_RETURN_DAYS_DEFAULT == 30, "migration 15's default of return_days");

/*
 * Version 16: each program's rate limits (docs/security.md, "Rate limits"): tokens a second
 * and burst of the bucket of each key, of the whole program, and of its expensive routes. 0 is
 * the server's default (src/base/limits.h), so a program that never set them follows a change
 * of the defaults.
 */
static const char migration_16[] =
    "ALTER TABLE programs ADD COLUMN rate_key_per_second INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN rate_key_burst INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN rate_program_per_second INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN rate_program_burst INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN rate_expensive_per_second INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN rate_expensive_burst INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 17: the version of a program's settings (issue 17), which the writes read with their
 * member and compare with the copy of the program they keep (store_program_cache.c). Every
 * change of the settings draws a new random one in its transaction: not a counter, so that a
 * change rolled back with its batch never comes back under the number another change commits.
 */
static const char migration_17[] =
    "ALTER TABLE programs ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 18: whether tier spend and a referral's minimum count the amount before discounts
 * (issue 18); every program counts what was paid after them unless it says so. Each purchase
 * keeps the spend it counted and what its returns took back of it, so that they take back a
 * share of that whatever the setting is by then; the purchases before counted their amount.
 */
static const char migration_18[] =
    "ALTER TABLE programs ADD COLUMN spend_before_discounts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN spend INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchases ADD COLUMN spend_returned INTEGER NOT NULL DEFAULT 0;"
    "UPDATE purchases SET spend = amount, spend_returned = returned_amount;";

/*
 * Version 19 (issue 18): what each rule has given in all besides points: its uses across all
 * members (max_uses) and the money it took off or gave back (budget_amount); the uses before
 * are not known: they start at 0. Whether a reward's coupons and a batch's codes combine with
 * an exclusive rule, and whether a program applies only its best order-wide discount.
 */
static const char migration_19[] =
    "ALTER TABLE rule_budgets ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rule_budgets ADD COLUMN amount_issued INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rewards ADD COLUMN combines INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE coupon_batches ADD COLUMN combines INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN best_discount_only INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 20 (issue 18, returns that undo everything): what a purchase's returns need to undo
 * its mechanics. purchase_facts, a row only for a purchase that a rule or a stamp card fired on
 * or that used a coupon: the member's facts as its evaluation saw them and the codes given with
 * it (a return evaluates the rule versions that fired again on what is kept), and the points its
 * coupons cost and what its returns gave back of them. purchase_stamps.completed: of a
 * purchase's stamps, those that went into cards it completed, and completed_returned, those of
 * them its returns took back; member_stamp_cards.stamps_returned: of a completed card's stamps,
 * those returns took back (its reward goes back in that proportion).
 */
static const char migration_20[] =
    "CREATE TABLE purchase_facts ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  tier TEXT,"
    "  attributes TEXT,"
    "  birth_month INTEGER NOT NULL,"
    "  days_since_enrollment INTEGER NOT NULL,"
    "  purchase_count INTEGER NOT NULL,"
    "  city TEXT,"
    "  country TEXT,"
    "  codes TEXT,"
    "  coupon_points INTEGER NOT NULL,"
    "  coupon_points_refunded INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, member_id, purchase_id));"
    "ALTER TABLE purchase_stamps ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchase_stamps ADD COLUMN completed_returned INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE member_stamp_cards ADD COLUMN stamps_returned INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 21 (issue 18, paying with points): the program's policy for points as payment and
 * whether wallet money spent in a purchase earns cashback; purchase_payments, a row per payment
 * line of a purchase that gave them (how it was paid: card, cash, points, wallet, other), with
 * whether it earned as the program said then and what its returns gave back of it. A wallet
 * line names the wallet debit it made; a points line's takes from the lots are in
 * redemption_lots under the purchase's id, and redemption_lots.restored is what returns put
 * back of each take (into the lot it came from, or expired with it). purchase_facts
 * .coupon_discount: what a purchase's coupons took off, which a return's kept cart keeps in
 * proportion (coupons are not judged again there).
 */
static const char migration_21[] =
    "ALTER TABLE programs ADD COLUMN points_payment_enabled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN points_payment_min_points INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE programs ADD COLUMN points_payment_max_percent INTEGER NOT NULL DEFAULT 100;"
    "ALTER TABLE programs ADD COLUMN points_payment_multiple INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE programs ADD COLUMN points_payment_earns_points INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE programs ADD COLUMN wallet_payment_earns_cashback INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE purchase_payments ("
    "  program_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  purchase_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  method TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  points INTEGER NOT NULL,"
    "  reference TEXT,"
    "  wallet_debit_id TEXT,"
    "  earns INTEGER NOT NULL,"
    "  refunded_amount INTEGER NOT NULL DEFAULT 0,"
    "  refunded_points INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (program_id, member_id, purchase_id, position));"
    "ALTER TABLE redemption_lots ADD COLUMN restored INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE purchase_facts ADD COLUMN coupon_discount INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 22 (issue 18, next-order coupons): coupons that rules and stamp cards give, and the
 * conditions of a reward's coupon in a cart. coupons.source: who gave it ('redemption' for
 * those before); source_id, the rule or the stamp card; source_ref, what fired it (the
 * purchase, the activity or the member), indexed so that a return finds its purchase's
 * coupons; cancel_reason, the reason of a coupon that has no redemption to keep it.
 * rewards.min_amount (0: none), skus and categories (names joined by newlines, '' for none).
 * member_stamp_cards.coupon_code: the coupon a completed card gave. purchase_facts.coupon_lines:
 * what the coupons took off each item line ("0,500"), which a return's kept line takes again.
 */
static const char migration_22[] =
    "ALTER TABLE coupons ADD COLUMN source TEXT NOT NULL DEFAULT 'redemption' "
    "CHECK (source IN ('redemption', 'rule', 'stamp_card'));"
    "ALTER TABLE coupons ADD COLUMN source_id TEXT;"
    "ALTER TABLE coupons ADD COLUMN source_ref TEXT;"
    "ALTER TABLE coupons ADD COLUMN cancel_reason TEXT;"
    "CREATE INDEX coupons_source_ref ON coupons (program_id, source_ref) "
    "WHERE source_ref IS NOT NULL;"
    "ALTER TABLE rewards ADD COLUMN min_amount INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE rewards ADD COLUMN skus TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE rewards ADD COLUMN categories TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE member_stamp_cards ADD COLUMN coupon_code TEXT;"
    "ALTER TABLE purchase_facts ADD COLUMN coupon_lines TEXT;";

/*
 * Version 23 (issue 19, signing in): the program's users (staff, admins and viewers of the
 * dashboard and the till); the passwords of users and members (credentials: the argon2id
 * string, the failures in a row and the lock they led to, the last sign-in), one row per user
 * or member that has one; browser sessions, found by their token's BLAKE2b hash (the token is
 * never stored); password reset tokens of members, by hash, each used once. programs.enrollment:
 * who may sign up on the portal. API keys may have the roles viewer and publishable: SQLite
 * cannot change a column's CHECK, so the table is made again (as version 13 did).
 */
static const char migration_23_keys[] =
    "CREATE TABLE api_keys_23 ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer', 'publishable')),"
    "  key_hash BLOB NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  revoked_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, id));"
    "INSERT INTO api_keys_23 (program_id, id, name, role, key_hash, prefix, created_at_ms, "
    "revoked_at_ms) SELECT program_id, id, name, role, key_hash, prefix, created_at_ms, "
    "revoked_at_ms FROM api_keys;"
    "DROP TABLE api_keys;"
    "ALTER TABLE api_keys_23 RENAME TO api_keys;";

/* PostgreSQL changes the CHECK in place (its name is the table's and the column's). */
static const char migration_23_keys_pg[] =
    "ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;"
    "ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check "
    "CHECK (role IN ('admin', 'staff', 'viewer', 'publishable'));";

static const char migration_23[] =
    "ALTER TABLE programs ADD COLUMN enrollment TEXT NOT NULL DEFAULT 'open' "
    "CHECK (enrollment IN ('open', 'invitation', 'closed'));"
    "CREATE TABLE users ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  email TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE UNIQUE INDEX users_email ON users (program_id, email);"
    "CREATE TABLE credentials ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  subject_id TEXT NOT NULL,"
    "  password_hash TEXT NOT NULL,"
    "  failed_count INTEGER NOT NULL DEFAULT 0,"
    "  locked_until_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_sign_in_at_ms INTEGER NOT NULL DEFAULT 0,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, subject_id));"
    "CREATE TABLE sessions ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('user', 'member')),"
    "  subject_id TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  expires_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE INDEX sessions_subject ON sessions (program_id, subject_id);"
    "CREATE TABLE password_resets ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  member_id TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  created_at_ms INTEGER NOT NULL,"
    "  expires_at_ms INTEGER NOT NULL,"
    "  used_at_ms INTEGER,"
    "  PRIMARY KEY (program_id, member_id, token_hash));";

/*
 * Version 24 (issue 19, the program's summary; docs/ledger.md, "The program's figures"): what
 * GET /v1/program/summary reads by time, each month a range of an index that holds every
 * column the query reads. A posting carries its entry's time (created_at_ms, written with the
 * entry; the existing ones take their entry's), so that the program accounts' postings of a
 * month are one range of a partial index instead of a join to the entry of each (measured at
 * 100,000 members and 1.2 million entries a year: 13 months in 0.5 s of CPU against 10 s, and
 * 44 s or more from disk); the backfill is the long part (2.7 minutes for 4.8 million
 * postings, 8.5 with a subquery per posting); purchases by the time they occurred, with what
 * they cost; members by enrollment, with their status.
 */
static const char migration_24[] =
    "ALTER TABLE postings ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;"
    /* A join, not a subquery per posting: 2.5 times faster on SQLite (12 s against 18 to 31 s
     * for 800,000 postings). A posting without its entry keeps 0, which the audit reports. */
    "UPDATE postings SET created_at_ms = e.created_at_ms FROM entries e "
    "WHERE e.program_id = postings.program_id AND e.member_id = postings.member_id "
    "AND e.id = postings.entry_id;"
    "CREATE INDEX postings_program_time ON postings (program_id, created_at_ms, account_id, "
    "points) WHERE substr(account_id, 1, 8) = 'program:';"
    "CREATE INDEX purchases_occurred ON purchases (program_id, occurred_at_ms, amount, "
    "discount);"
    "CREATE INDEX members_enrolled ON members (program_id, enrolled_at_ms, status);";

/*
 * Version 25 (issue 19, reading purchases back): GET /v1/transactions/{id} answers what POST
 * /v1/transactions answered, which is its event's payload (points.earned: the answer, encoded
 * once for the answer, the event and the idempotency record), so the event names its purchase
 * (ref_id, set by the write cases that ask: a purchase) and is found by it. The purchase's rows
 * do not hold all of the answer (the items' names, what each rule took off which line, the
 * messages and nudges, the coupons' verdicts, the balance right after it), and keeping it again
 * in a table of its own would cost a statement (issue 17's bound) and a quarter more bytes a
 * purchase. Events from before keep no ref_id: their purchases are read from their rows.
 */
static const char migration_25[] =
    "ALTER TABLE events ADD COLUMN ref_id TEXT;"
    "CREATE INDEX events_ref ON events (program_id, ref_id) WHERE ref_id IS NOT NULL;";

/*
 * Version 26 (issue 19, points beside the price in a web shop): the origins a publishable key
 * allows, joined by a space (no origin holds one; NULL for the other roles), read with the key;
 * the program's embed signing secret (32 random bytes, one row a program, replaced when it is
 * drawn again), with which a shop's server signs its customer's member id. The secret is kept
 * apart from programs, so that nothing that reads a program reads it.
 */
static const char migration_26[] = "ALTER TABLE api_keys ADD COLUMN allowed_origins TEXT;"
                                   "CREATE TABLE embed_secrets ("
                                   "  program_id TEXT PRIMARY KEY REFERENCES programs(id),"
                                   "  secret BLOB NOT NULL,"
                                   "  created_at_ms INTEGER NOT NULL);";

/*
 * Version 27 (issue 20, customer lifetime value; docs/analytics.md): the program's current CLV
 * model, one row a program, replaced by each fit; the program's annual discount rate of CLV in
 * basis points. The parameters are doubles kept as text of 17 significant digits, which reads
 * back the same double on both engines (neither driver binds floating point).
 */
_Static_assert(PT_CLV_DISCOUNT_BP_DEFAULT == 1000,
               "migration 27's default of clv_discount_rate_bp");
static const char migration_27[] =
    "ALTER TABLE programs ADD COLUMN clv_discount_rate_bp INTEGER NOT NULL DEFAULT 1000;"
    "CREATE TABLE clv_models ("
    "  program_id TEXT PRIMARY KEY REFERENCES programs(id),"
    "  calibration_end TEXT NOT NULL,"
    "  time_unit TEXT NOT NULL CHECK (time_unit IN ('day', 'week')),"
    "  currency_exponent INTEGER NOT NULL,"
    "  parameters TEXT NOT NULL,"
    "  customers INTEGER NOT NULL,"
    "  repeat_customers INTEGER NOT NULL,"
    "  spend_customers INTEGER NOT NULL,"
    "  fitted_at_ms INTEGER NOT NULL);";

/*
 * Version 28 (issue 20, privacy; docs/crm.md, "Privacy: export and erase"): a member may be
 * erased: status 'erased', and its card number and referral code released (NULL), which
 * version 1 made NOT NULL. SQLite cannot change a column's CHECK or NOT NULL, so the table is
 * made again with its indexes (as version 13 did); PostgreSQL changes them in place.
 */

/* The events of a member whose payload holds personal data, which an erase rewrites (a partial
 * index: the other events, nearly all, cost nothing more to write). */
#define EVENTS_28_INDEX                                                                            \
    "CREATE INDEX events_member ON events (program_id, member_id) WHERE type IN "                  \
    "('member.created', 'member.updated', 'member.reopened', 'activity.recorded');"
#define MEMBERS_28_COLUMNS                                                                         \
    "program_id, id, external_id, email, phone, first_name, last_name, birth_date, gender, "       \
    "locale, city, country, attributes, consent_email, consent_sms, consent_push, card_number, "   \
    "referral_code, status, enrolled_at_ms, updated_at_ms, version"
#define MEMBERS_28_INDEXES                                                                         \
    "CREATE INDEX members_email ON members (program_id, email);"                                   \
    "CREATE INDEX members_phone ON members (program_id, phone);"                                   \
    "CREATE INDEX members_external_id ON members (program_id, external_id);"                       \
    "CREATE INDEX members_card_number ON members (program_id, card_number);"                       \
    "CREATE INDEX members_first_name ON members (program_id, first_name COLLATE NOCASE);"          \
    "CREATE INDEX members_last_name ON members (program_id, last_name COLLATE NOCASE);"            \
    "CREATE INDEX members_birthday ON members (program_id, substr(birth_date, 6, 5));"             \
    "CREATE INDEX members_enrolled ON members (program_id, enrolled_at_ms, status);"
static const char migration_28[] =
    "CREATE TABLE members_28 ("
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
    "  card_number TEXT,"
    "  referral_code TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed', 'erased')),"
    "  enrolled_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "INSERT INTO members_28 (" MEMBERS_28_COLUMNS ") SELECT " MEMBERS_28_COLUMNS " FROM members;"
    "DROP TABLE members;"
    "ALTER TABLE members_28 RENAME TO members;" MEMBERS_28_INDEXES EVENTS_28_INDEX;
#undef MEMBERS_28_COLUMNS
#undef MEMBERS_28_INDEXES

static const char migration_28_pg[] =
    "ALTER TABLE members DROP CONSTRAINT members_status_check;"
    "ALTER TABLE members ADD CONSTRAINT members_status_check "
    "CHECK (status IN ('active', 'suspended', 'closed', 'erased'));"
    "ALTER TABLE members ALTER COLUMN card_number DROP NOT NULL;"
    "ALTER TABLE members ALTER COLUMN referral_code DROP NOT NULL;" EVENTS_28_INDEX;
#undef EVENTS_28_INDEX

/*
 * Version 29 (issue 20, inquiries and staff notes; docs/crm.md): inquiries (a member's or a
 * contact's, newest first by id, also by member), their replies (in order, by inquiry) and
 * staff notes on a member (newest first by member). Times not yet reached are 0. tags are
 * joined by newlines as other lists are (store_lines.c).
 */
static const char migration_29[] =
    "CREATE TABLE inquiries ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  member_id TEXT,"
    "  contact_name TEXT,"
    "  contact_email TEXT,"
    "  contact_phone TEXT,"
    "  channel TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),"
    "  priority TEXT NOT NULL,"
    "  assignee TEXT,"
    "  tags TEXT,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  first_response_at_ms INTEGER NOT NULL,"
    "  resolved_at_ms INTEGER NOT NULL,"
    "  replies INTEGER NOT NULL,"
    "  internal_replies INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE INDEX inquiries_member ON inquiries (program_id, member_id, id);"
    "CREATE TABLE inquiry_replies ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  inquiry_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  author TEXT NOT NULL CHECK (author IN ('staff', 'member')),"
    "  author_id TEXT,"
    "  internal INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, inquiry_id, id));"
    "CREATE TABLE member_notes ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  member_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  pinned INTEGER NOT NULL,"
    "  author_id TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, member_id, id));";

/*
 * Version 30 (issue 20, surveys; docs/crm.md, "Surveys"). A survey's questions are kept as their
 * canonical JSON text (core/survey.c reads and writes it); responses counts its responses (kept by
 * the write that adds one). A response's once_key is its member's id when the survey takes one
 * response a member, NULL otherwise: the unique constraint, not a check, keeps it to one (NULLs
 * differ on both engines). Each answer is a row of survey_answers (value: the nps or csat answer,
 * or a chosen option's index, one row each; 0 for text), so that the results are counted by index.
 */
static const char migration_30[] =
    "CREATE TABLE surveys ("
    "  program_id TEXT NOT NULL REFERENCES programs(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'closed')),"
    "  allow_multiple_responses INTEGER NOT NULL,"
    "  questions TEXT NOT NULL,"
    "  responses INTEGER NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  updated_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id));"
    "CREATE TABLE survey_responses ("
    "  program_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  survey_id TEXT NOT NULL,"
    "  member_id TEXT NOT NULL,"
    "  once_key TEXT,"
    "  answers TEXT NOT NULL,"
    "  points_earned INTEGER NOT NULL,"
    "  activity_id TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (program_id, id),"
    "  UNIQUE (program_id, survey_id, once_key));"
    "CREATE INDEX survey_responses_survey ON survey_responses (program_id, survey_id, id);"
    "CREATE INDEX survey_responses_member ON survey_responses (program_id, member_id, id);"
    "CREATE TABLE survey_answers ("
    "  program_id TEXT NOT NULL,"
    "  survey_id TEXT NOT NULL,"
    "  question_id TEXT NOT NULL,"
    "  value INTEGER NOT NULL,"
    "  response_id TEXT NOT NULL,"
    "  text TEXT,"
    "  PRIMARY KEY (program_id, survey_id, question_id, value, response_id));";

/* Each migration is a NULL-terminated list of SQL texts (C limits one literal's length). */
static const char *const migration_1_parts[] = {migration_1, NULL};
static const char *const migration_2_parts[] = {migration_2, NULL};
static const char *const migration_3_parts[] = {migration_3a, migration_3b, migration_3c, NULL};
static const char *const migration_4_parts[] = {migration_4, NULL};
static const char *const migration_5_parts[] = {migration_5a, migration_5b, migration_5c,
                                                migration_5d, NULL};
static const char *const migration_5_pg_parts[] = {migration_5a, migration_5b,   migration_5c,
                                                   migration_5d, migration_5_pg, NULL};
static const char *const migration_6_parts[] = {migration_6, NULL};
static const char *const migration_7_parts[] = {migration_7, NULL};
static const char *const migration_8_parts[] = {migration_8, NULL};
static const char *const migration_9_parts[] = {migration_9, NULL};
static const char *const migration_10_parts[] = {migration_10, NULL};
static const char *const migration_11_parts[] = {migration_11, NULL};
static const char *const migration_12_parts[] = {migration_12, NULL};
static const char *const migration_13_parts[] = {migration_13, NULL};
static const char *const migration_13_pg_parts[] = {migration_13, migration_13_pg, NULL};
static const char *const migration_14_parts[] = {migration_14, NULL};
static const char *const migration_15_parts[] = {migration_15, NULL};
static const char *const migration_16_parts[] = {migration_16, NULL};
static const char *const migration_17_parts[] = {migration_17, NULL};
static const char *const migration_18_parts[] = {migration_18, NULL};
static const char *const migration_19_parts[] = {migration_19, NULL};
static const char *const migration_20_parts[] = {migration_20, NULL};
static const char *const migration_21_parts[] = {migration_21, NULL};
static const char *const migration_22_parts[] = {migration_22, NULL};
static const char *const migration_23_parts[] = {migration_23_keys, migration_23, NULL};
static const char *const migration_23_pg_parts[] = {migration_23_keys_pg, migration_23, NULL};
static const char *const migration_24_parts[] = {migration_24, NULL};
static const char *const migration_25_parts[] = {migration_25, NULL};
static const char *const migration_26_parts[] = {migration_26, NULL};
static const char *const migration_27_parts[] = {migration_27, NULL};
static const char *const migration_28_parts[] = {migration_28, NULL};
static const char *const migration_28_pg_parts[] = {migration_28_pg, NULL};
static const char *const migration_29_parts[] = {migration_29, NULL};
static const char *const migration_30_parts[] = {migration_30, NULL};

const char *const *const pt_store_migrations[] = {NULL,
                                                  migration_1_parts,
                                                  migration_2_parts,
                                                  migration_3_parts,
                                                  migration_4_parts,
                                                  migration_5_parts,
                                                  migration_6_parts,
                                                  migration_7_parts,
                                                  migration_8_parts,
                                                  migration_9_parts,
                                                  migration_10_parts,
                                                  migration_11_parts,
                                                  migration_12_parts,
                                                  migration_13_parts,
                                                  migration_14_parts,
                                                  migration_15_parts,
                                                  migration_16_parts,
                                                  migration_17_parts,
                                                  migration_18_parts,
                                                  migration_19_parts,
                                                  migration_20_parts,
                                                  migration_21_parts,
                                                  migration_22_parts,
                                                  migration_23_parts,
                                                  migration_24_parts,
                                                  migration_25_parts,
                                                  migration_26_parts,
                                                  migration_27_parts,
                                                  migration_28_parts,
                                                  migration_29_parts,
                                                  migration_30_parts};
const char *const *const pt_store_migrations_pg[] = {NULL,
                                                     migration_1_parts,
                                                     migration_2_parts,
                                                     migration_3_parts,
                                                     migration_4_parts,
                                                     migration_5_pg_parts,
                                                     migration_6_parts,
                                                     migration_7_parts,
                                                     migration_8_parts,
                                                     migration_9_parts,
                                                     migration_10_parts,
                                                     migration_11_parts,
                                                     migration_12_parts,
                                                     migration_13_pg_parts,
                                                     migration_14_parts,
                                                     migration_15_parts,
                                                     migration_16_parts,
                                                     migration_17_parts,
                                                     migration_18_parts,
                                                     migration_19_parts,
                                                     migration_20_parts,
                                                     migration_21_parts,
                                                     migration_22_parts,
                                                     migration_23_pg_parts,
                                                     migration_24_parts,
                                                     migration_25_parts,
                                                     migration_26_parts,
                                                     migration_27_parts,
                                                     migration_28_pg_parts,
                                                     migration_29_parts,
                                                     migration_30_parts};

_Static_assert(sizeof(pt_store_migrations) / sizeof(pt_store_migrations[0]) ==
                   PT_SCHEMA_VERSION + 1,
               "one migration per schema version");
_Static_assert(sizeof(pt_store_migrations_pg) / sizeof(pt_store_migrations_pg[0]) ==
                   PT_SCHEMA_VERSION + 1,
               "one migration per schema version");
