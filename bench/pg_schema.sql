CREATE TABLE accounts (member_id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
CREATE TABLE entries (id bigserial PRIMARY KEY, member_id bigint NOT NULL, type text NOT NULL,
  points bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE lots (id bigserial PRIMARY KEY, member_id bigint NOT NULL, points bigint NOT NULL,
  remaining bigint NOT NULL, earned_at timestamptz NOT NULL, available_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL);
CREATE INDEX lots_member ON lots (member_id);
CREATE TABLE idempotency_keys (key text PRIMARY KEY, created_at timestamptz NOT NULL);
INSERT INTO accounts SELECT g FROM generate_series(1, 100000) g;
