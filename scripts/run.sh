#!/bin/sh
# SPDX-License-Identifier: MIT
# `make run`: create ./var/patron.db on first run (printing its admin key once), then serve.
set -eu
cd "$(dirname "$0")/.."
DB="${PATRON_DB:-./var/patron.db}"
LISTEN="${PATRON_LISTEN:-127.0.0.1:8080}"
if [ ! -f "$DB" ]; then
    KEY=$(build/patron init --db "$DB" --name "My loyalty program" | tail -n 1)
    cat <<MSG

Created $DB with a first program. Its admin API key (shown once, keep it):

    $KEY

Try, in another terminal:

    curl http://$LISTEN/healthz
    curl -X POST http://$LISTEN/v1/members -H "Authorization: Bearer $KEY" \\
         -H 'Content-Type: application/json' -d '{"email":"ada@example.com","first_name":"Ada"}'
    curl http://$LISTEN/v1/members -H "Authorization: Bearer $KEY"

MSG
else
    echo "Using $DB (its admin key was printed when it was created; add a program with"
    echo "build/patron program create NAME --db $DB)."
fi
echo "Serving on http://$LISTEN (Ctrl-C stops)."
exec build/patron serve --db "$DB" --listen "$LISTEN"
