#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run`: create ./var/patron.db on first run (printing its admin key and the dashboard's
# first admin, admin@example.com with a drawn password, once), then serve. Reset links of the
# member portal go to the log (--reset-delivery log: development only).
set -eu
cd "$(dirname "$0")/.."
DB="${PATRON_DB:-./var/patron.db}"
LISTEN="${PATRON_LISTEN:-127.0.0.1:8080}"
if [ ! -f "$DB" ]; then
    KEY=$(build/patron init --db "$DB" --name "My loyalty program" | tail -n 1)
    USER_OUT=$(build/patron user create --db "$DB" --email admin@example.com --name Admin \
        --role admin)
    PASSWORD=$(printf '%s\n' "$USER_OUT" | tail -n 1)
    cat <<MSG

Created $DB with a first program.

Sign in (shown once, keep them):

    dashboard   http://$LISTEN/
    till        http://$LISTEN/till
    portal      http://$LISTEN/portal
    email       admin@example.com
    password    $PASSWORD

Its admin API key (shown once, keep it):

    $KEY

Try, in another terminal:

    curl http://$LISTEN/healthz
    curl -X POST http://$LISTEN/v1/members -H "Authorization: Bearer $KEY" \\
         -H 'Content-Type: application/json' -d '{"email":"ada@example.com","first_name":"Ada"}'
    curl http://$LISTEN/v1/members -H "Authorization: Bearer $KEY"

MSG
else
    echo "Using $DB (its admin key and admin@example.com's password were printed when it was"
    echo "created; add a user with build/patron user create --db $DB --email E --role admin)."
    echo "Dashboard http://$LISTEN/, till http://$LISTEN/till, portal http://$LISTEN/portal"
fi
echo "Serving on http://$LISTEN (Ctrl-C stops)."
exec build/patron serve --db "$DB" --listen "$LISTEN" --reset-delivery log
