#!/bin/sh
# SPDX-License-Identifier: MIT
# Source rules that the compiler does not check (docs/style.md, cf. curl's checksrc).
# A line may be exempted with a comment: /* check_src: allow <RULE>: <reason> */
set -eu
cd "$(dirname "$0")/.."
status=0

report() { # rule, grep -n output
    echo "$2" | while IFS= read -r line; do
        [ -n "$line" ] && echo "check_src: $1: $line"
    done
}

scan() { # rule, regex, files...
    rule=$1; regex=$2; shift 2
    [ "$#" -gt 0 ] || return 0
    hits=$(grep -nE "$regex" "$@" 2>/dev/null | grep -v "check_src: allow $rule" || true)
    if [ -n "$hits" ]; then
        report "$rule" "$hits"
        status=1
    fi
}

src=$(git ls-files 'src/*.c' 'src/*.h')
for fn in sprintf vsprintf strcpy strcat strncpy strtok gets atoi atol atof rand system alloca; do
    scan "$fn" "(^|[^_a-zA-Z0-9.>])$fn\(" $src
done
scan malloc '(^|[^_a-zA-Z0-9])(malloc|calloc|realloc|free)\(' $(echo "$src" | grep -v '^src/base/alloc.c$')
scan clock '(^|[^_a-zA-Z0-9])(time|clock_gettime)\(' $(echo "$src" | grep -v '^src/base/clock.c$')
scan printf '(^|[^_a-zA-Z0-9])printf\(' $(echo "$src" | grep -v -e '^src/cli/' -e '^src/base/log.c$')
scan assert '(^|[^_a-zA-Z0-9])assert\(' $src
scan backend-header '#include <(sqlite3|libpq-fe)\.h>' $(echo "$src" | grep -v '^src/store/')
scan picture-header '#include <(qrencode|zint|zlib)\.h>' $(echo "$src" | grep -v '^src/http/pictures\.c$')
# JSON is parsed at the boundary (src/http), except rule documents and the member attributes
# they test, which the rules engine reads itself (src/core/rules*), and surveys' questions and
# answers (src/core/survey.c; docs/architecture.md).
scan json-header '#include <jansson\.h>' $(echo "$src" | grep -v -e '^src/http/' -e '^src/core/rules_int\.h$' -e '^src/core/survey\.c$')
scan spdx-missing '^$' /dev/null
for f in $src; do
    if ! head -n 2 "$f" | grep -q 'SPDX-License-Identifier'; then
        echo "check_src: spdx: $f has no SPDX line"
        status=1
    fi
done
# Layers: a layer never includes a header of a layer above it.
layer_rank() { case $1 in base) echo 0;; core) echo 1;; store) echo 2;; service) echo 3;; jobs) echo 3;; http) echo 4;; cli) echo 5;; *) echo 9;; esac; }
for f in $src; do
    own=$(echo "$f" | cut -d/ -f2)
    own_rank=$(layer_rank "$own")
    for inc in $(grep -oE '#include "[a-z]+/' "$f" | sed 's/#include "//; s/\///' | sort -u); do
        if [ "$(layer_rank "$inc")" -gt "$own_rank" ]; then
            echo "check_src: layer: $f includes $inc/ (above $own/)"
            status=1
        fi
    done
done
# Size: a file over 800 lines holds more than one noun, a function over 100 more than one step
# (docs/style.md). The numbered migrations are a list, not logic. A function runs from its
# opening brace at column 0 to its closing one.
for f in $(echo "$src" | grep -v -e '^src/store/migrations\.c$'); do
    lines=$(wc -l < "$f")
    if [ "$lines" -gt 800 ]; then
        echo "check_src: file-size: $f has $lines lines (at most 800)"
        status=1
    fi
    long=$(awk '/^\{$/ { start = NR } /^\}/ && start { if (NR - start + 1 > 100) print FILENAME ":" start ": a function of " NR - start + 1 " lines (at most 100)"; start = 0 }' "$f")
    if [ -n "$long" ]; then
        report function-size "$long"
        status=1
    fi
done
[ $status -eq 0 ] && echo "check_src: ok"
exit $status
