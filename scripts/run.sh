#!/usr/bin/env bash
# `make run`: set up, migrate, load the demo, then run the web server, one
# worker cluster (manage.py waymark_worker) and the timer loop with their logs
# in this terminal.
# Ctrl-C stops them all.
set -euo pipefail
source "$(dirname "$0")/setup.sh" requirements.txt
PYBIN=.venv/bin/python

say "Migrating the database"
$PYBIN manage.py migrate --noinput -v 0
say "Loading the demo user and process"
$PYBIN manage.py waymark_demo

HOST="${WAYMARK_HOST:-127.0.0.1}"
PORT="${WAYMARK_PORT:-8000}"
pids=()

start() {  # start <label> <command...>: run it with its output prefixed by the label
  local label="$1"; shift
  # Each in its own session, so stopping it also stops its children.
  setsid "$@" > >(sed -u "s/^/[$label] /") 2>&1 &
  pids+=($!)
}

stop_all() {
  trap - INT TERM EXIT
  # Ctrl-C may also have ended a pager or `| tee` reading our output: writing
  # must not kill this script before it has stopped its children.
  trap '' PIPE
  say "Stopping" || true
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  # Django-Q2's cluster sometimes hangs on SIGTERM: give everything 10 s, then kill.
  for _ in $(seq 1 20); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

start web $PYBIN manage.py runserver "$HOST:$PORT" --noreload
# waymark_worker, not qcluster: Django-Q2's own cluster wedges for good when a
# worker waiting for a task is killed (engine/runtime/workers.py says why).
start worker $PYBIN manage.py waymark_worker
if $PYBIN manage.py help waymark_timers >/dev/null 2>&1; then
  start timers $PYBIN manage.py waymark_timers
fi
say "Waymark is running on http://$HOST:$PORT/  (user: demo, password: demo) — Ctrl-C to stop"
wait -n "${pids[@]}" || true
