#!/usr/bin/env bash
# Start, stop and describe the three Jobline services, and the local provider sandboxes
# they send through (Twilio-compatible HTTP on 8025, SendGrid-compatible HTTP on 8026, SMTP
# catcher on 1025), as background processes. Pids in .run/pids, logs in .run/logs, caught mail in .run/mail.
# Usage: services.sh start|stop|status|env
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN="$ROOT/.run"
SERVICES=(jobs comms invoicing)
SANDBOXES=(sandbox-twilio sandbox-sendgrid sandbox-smtp)  # started first, stopped last
declare -A PORTS=([jobs]="${JOBLINE_JOBS_HTTP_PORT:-8000}" [comms]="${JOBLINE_COMMS_HTTP_PORT:-8001}" \
                  [invoicing]="${JOBLINE_INVOICING_HTTP_PORT:-8002}" \
                  [sandbox-twilio]="${JOBLINE_SANDBOX_TWILIO_PORT:-8025}" \
                  [sandbox-sendgrid]="${JOBLINE_SANDBOX_SENDGRID_PORT:-8026}" \
                  [sandbox-smtp]="${JOBLINE_SANDBOX_SMTP_PORT:-1025}")
export JOBLINE_SANDBOX_MAIL_DIR="${JOBLINE_SANDBOX_MAIL_DIR:-$RUN/mail}"
# The SendGrid sandbox signs its events with the key in this file (made on first use) and
# posts them to comms, which is given the public key (JOBLINE_COMMS_EMAIL_PROVIDER=sendgrid
# sends every email through it; SMTP stays the default).
export JOBLINE_SANDBOX_SENDGRID_KEY_FILE="${JOBLINE_SANDBOX_SENDGRID_KEY_FILE:-$RUN/sendgrid-event-key.pem}"
export JOBLINE_SANDBOX_SENDGRID_EVENT_WEBHOOK_URL="${JOBLINE_SANDBOX_SENDGRID_EVENT_WEBHOOK_URL:-http://127.0.0.1:${PORTS[comms]}/v1/sendgrid/events}"
export JOBLINE_COMMS_SENDGRID_BASE_URL="${JOBLINE_COMMS_SENDGRID_BASE_URL:-http://127.0.0.1:${PORTS[sandbox-sendgrid]}}"
export DATABASE_URL="${DATABASE_URL:-postgresql://jobline:jobline@127.0.0.1:5432/jobline?sslmode=disable}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}"
# A laptop's stack: the services accept its placeholder credentials only in development.
export JOBLINE_ENV="${JOBLINE_ENV:-development}"
# Issue 20: customers' email replies (to reply+<tenant>@replies.localhost, the Reply-To of
# every email) come back through the SMTP catcher, posted as SendGrid Inbound Parse would.
export JOBLINE_COMMS_INBOUND_PARSE_TOKEN="${JOBLINE_COMMS_INBOUND_PARSE_TOKEN:-local-inbound-parse}"
export JOBLINE_COMMS_REPLY_DOMAIN="${JOBLINE_COMMS_REPLY_DOMAIN:-replies.localhost}"
export JOBLINE_SANDBOX_INBOUND_PARSE_URL="${JOBLINE_SANDBOX_INBOUND_PARSE_URL:-http://127.0.0.1:${PORTS[comms]}/v1/inbound/email/$JOBLINE_COMMS_INBOUND_PARSE_TOKEN}"

alive() { [[ -f "$RUN/pids/$1" ]] && kill -0 "$(cat "$RUN/pids/$1")" 2>/dev/null; }

answers() {  # the SMTP catcher is ready when its port accepts; the others answer /readyz
  if [[ $1 == sandbox-smtp ]]; then
    (exec 3<>"/dev/tcp/127.0.0.1/${PORTS[$1]}") 2>/dev/null
  else
    curl -fsS "http://127.0.0.1:${PORTS[$1]}/readyz" >/dev/null 2>&1
  fi
}

wait_ready() {  # poll with a deadline; show the log tail if it never answers
  local name=$1 deadline=$((SECONDS + 90))
  until answers "$name"; do
    if ! alive "$name" || ((SECONDS > deadline)); then
      echo "$name did not become ready; last log lines:" >&2
      tail -n 30 "$RUN/logs/$name.log" >&2
      return 1
    fi
    sleep 0.3
  done
}

command_of() {  # name -> its command line in CMD (services serve; sandboxes are subcommands)
  case $1 in
    sandbox-*) CMD=("$ROOT/.venv/bin/jobline-sandbox" "${1#sandbox-}") ;;
    *) CMD=("$ROOT/.venv/bin/jobline-$1" serve) ;;
  esac
}

start() {
  mkdir -p "$RUN/pids" "$RUN/logs" "$JOBLINE_SANDBOX_MAIL_DIR"
  if [[ -z ${JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY:-} ]]; then
    JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY=$("$ROOT/.venv/bin/jobline-sandbox" sendgrid-key)
    export JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY
  fi
  for name in "${SANDBOXES[@]}" "${SERVICES[@]}"; do
    if alive "$name"; then continue; fi
    command_of "$name"
    # setsid: its own process group, so stop can end it with everything it spawned.
    setsid "${CMD[@]}" >>"$RUN/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/pids/$name"
  done
  for name in "${SANDBOXES[@]}" "${SERVICES[@]}"; do
    wait_ready "$name"; echo "$name ready on ${PORTS[$name]}"
  done
}

stop() {
  for name in "${SERVICES[@]}" "${SANDBOXES[@]}"; do
    alive "$name" || { rm -f "$RUN/pids/$name"; continue; }
    local pid deadline=$((SECONDS + 30))
    pid=$(cat "$RUN/pids/$name")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS > deadline)); then kill -KILL -- "-$pid" 2>/dev/null || true; fi
      sleep 0.2
    done
    rm -f "$RUN/pids/$name"
    echo "$name stopped"
  done
}

status() {
  local ok=0
  for name in "${SANDBOXES[@]}" "${SERVICES[@]}"; do
    if alive "$name"; then echo "$name running"; else echo "$name stopped"; ok=1; fi
  done
  return $ok
}

env_file() {
  # One operator token per demo tenant (the tenants of deploy/demo/load_demo.py).
  local jobs="$ROOT/.venv/bin/jobline-jobs"
  echo "JOBLINE_API_URL=http://127.0.0.1:${PORTS[jobs]}"
  echo "JOBLINE_DEMO_TOKEN=$("$jobs" tokens create --tenant acme --role operator --label demo)"
  echo "JOBLINE_DEMO_TOKEN_2=$("$jobs" tokens create --tenant harbour --role operator --label demo)"
  # The console's demo admin: a one-time link to choose a password (a new one each time).
  local admin=admin@acme.example
  echo "JOBLINE_DEMO_ADMIN=$admin"
  echo "JOBLINE_DEMO_ADMIN_LINK=$("$jobs" users invite --tenant acme --email "$admin" \
    --name "Acme Admin" --role admin 2>/dev/null || "$jobs" users reset --email "$admin")"
  echo "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
  echo "DATABASE_URL=$DATABASE_URL"
  echo "JOBLINE_ENV=$JOBLINE_ENV"
  echo "JOBLINE_TWILIO_SANDBOX_URL=http://127.0.0.1:${PORTS[sandbox-twilio]}"
  echo "JOBLINE_SENDGRID_SANDBOX_URL=http://127.0.0.1:${PORTS[sandbox-sendgrid]}"
  echo "JOBLINE_SANDBOX_MAIL_DIR=$JOBLINE_SANDBOX_MAIL_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_file ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
