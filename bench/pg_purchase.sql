-- The SQL peer: what a team would write instead of Patron for one purchase, in one
-- transaction: the idempotency key, the ledger entry and its postings, the lot, the balance.
\set member random(1, 100000)
\set amount random(100, 10000)
BEGIN;
INSERT INTO idempotency_keys (key, created_at) VALUES (md5(random()::text || clock_timestamp()::text), now());
INSERT INTO entries (member_id, type, points, created_at) VALUES (:member, 'earn', :amount / 100, now());
INSERT INTO lots (member_id, points, remaining, earned_at, available_at, expires_at)
  VALUES (:member, :amount / 100, :amount / 100, now(), now(), now() + interval '12 months');
UPDATE accounts SET balance = balance + :amount / 100 WHERE member_id = :member;
COMMIT;
