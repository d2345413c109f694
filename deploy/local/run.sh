#!/usr/bin/env bash
# `make run`: the stack in the foreground. Starts it like `make up`, shows the settings and
# follows the logs; Ctrl-C (or SIGTERM) stops everything it started.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

stopping=0
stop_all() {
  ((stopping)) && return
  stopping=1
  echo
  echo "stopping the stack…"
  make --no-print-directory down
}
# The tail below runs in the background and `wait` is a builtin, so the trap runs as soon
# as the signal arrives instead of after a foreground child has finished.
trap stop_all EXIT
trap 'exit 130' INT TERM

make --no-print-directory up
echo
sed 's/^/  /' .run/env
echo
echo "Ctrl-C to stop"
tail -n 0 -F .run/logs/*.log &
wait $!
