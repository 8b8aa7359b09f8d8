#!/usr/bin/env bash
# Records the /proc fixtures in test/fixtures/proc/ from a real Docker engine that it starts and stops
# itself (test/support/engine-rig.ts). Needs root and Debian's docker.io, containerd, runc, busybox-static.
#
#   scripts/record-proc-fixture.sh                      # all: docker-rig two-engines containerd-down
#   scripts/record-proc-fixture.sh containerd-down      # just one
#   scripts/record-proc-fixture.sh --out /tmp/fx docker-rig
#
# Only the recorder and its imports are compiled (into build/record-proc-fixture/), so it works while
# the rest of the tree does not type-check.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/record-proc-fixture
rm -rf "$out"
npx tsc --outDir "$out" --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
  --lib es2022 --types node --strict --noUncheckedIndexedAccess --skipLibCheck \
  test/support/record-proc-fixtures.ts
exec node "$out/test/support/record-proc-fixtures.js" "$@"
