#!/usr/bin/env bash
# The machine's PostgreSQL 15 cluster "15 main", driven through Debian's cluster tools.
# Data stays where Debian keeps it (/var/lib/postgresql/15/main); server log in
# /var/log/postgresql/postgresql-15-main.log.
# Usage: postgres.sh start|stop|status|wait|ensure-db
#   ensure-db: role jobline/jobline (LOGIN CREATEDB), database jobline owned by it, light
#              tuning (restarts the server once if a setting had to change).
# Env: JOBLINE_PG_PORT (5432), JOBLINE_PG_CLUSTER (main).
set -euo pipefail
# Resolved like its siblings; PostgreSQL keeps its data in Debian's place, not in $ROOT/.run.
# shellcheck disable=SC2034
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=15
CLUSTER="${JOBLINE_PG_CLUSTER:-main}"
HOST=127.0.0.1
PORT="${JOBLINE_PG_PORT:-5432}"
WAIT_SECONDS=60
PG_LOG="/var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
# Jobline's own database, the one DATABASE_URL points at.
DB=jobline
ROLE=jobline
PASSWORD=jobline
# name=value pairs applied with ALTER SYSTEM. Durability (fsync, synchronous_commit,
# full_page_writes) is deliberately left at PostgreSQL's defaults.
TUNING=(max_connections=200 shared_buffers=256MB)

log() { echo "postgres: $*"; }
die() { echo "postgres: $*" >&2; exit 1; }

# Root here; a developer's own machine may need sudo for the cluster tools.
SUDO=()
if ((EUID != 0)); then SUDO=(sudo); fi

as_postgres() {  # cd /: postgres may not read the caller's working directory
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && sudo -u postgres "$@")
  fi
}

psql_admin() {  # superuser over the Unix socket (peer auth), stop at the first error
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

cluster_exists() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {f=1} END {exit !f}'; }
cluster_port() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}'; }
running() { "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1; }
ready() { pg_isready -q -h "$HOST" -p "$PORT" -t 2; }

ensure_cluster() {
  command -v pg_lsclusters >/dev/null || die "postgresql-common missing; run deploy/local/install-system.sh"
  if ! cluster_exists; then
    log "creating cluster $VERSION/$CLUSTER on port $PORT"
    # Tuned from birth, so ensure-db need not restart a brand-new cluster.
    local pair opts=()
    for pair in "${TUNING[@]}"; do opts+=(-o "$pair"); done
    "${SUDO[@]}" pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" "${opts[@]}" >/dev/null
  fi
  # The port lives in postgresql.conf, where pg_lsclusters and pg_ctlcluster read it.
  if [[ "$(cluster_port)" != "$PORT" ]]; then
    log "moving cluster $VERSION/$CLUSTER to port $PORT"
    "${SUDO[@]}" pg_conftool "$VERSION" "$CLUSTER" set port "$PORT"
    if running; then "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" restart; fi
  fi
}

start() {
  ensure_cluster
  if running; then return 0; fi
  # pg_ctlcluster waits until the server accepts connections (pg_ctl -w).
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" start \
    || { tail -n 20 "$PG_LOG" >&2 2>/dev/null || true; die "start failed"; }
  log "started $VERSION/$CLUSTER on port $PORT"
}

stop() {
  cluster_exists || return 0
  running || return 0
  # fast: roll back open transactions, disconnect clients, then a clean shutdown
  # checkpoint (smart would wait for every client to leave on its own).
  "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" stop -m fast
  log "stopped $VERSION/$CLUSTER"
}

wait_ready() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until ready; do
    if ! running; then
      tail -n 20 "$PG_LOG" >&2 2>/dev/null || true
      die "the cluster $VERSION/$CLUSTER is not running"
    fi
    ((SECONDS < deadline)) || die "no answer on $HOST:$PORT within ${WAIT_SECONDS}s"
    sleep 0.2
  done
  log "ready on $HOST:$PORT"
}

status() {
  if running && ready; then
    echo "postgres: running $VERSION/$CLUSTER on $HOST:$PORT"
  else
    echo "postgres: stopped (or not answering on $HOST:$PORT)"
    return 1
  fi
}

tune() {
  local pair name value current changed=0
  for pair in "${TUNING[@]}"; do
    name=${pair%%=*} value=${pair#*=}
    current=$(psql_admin -At -c "SHOW $name")
    if [[ "$current" != "$value" ]]; then
      psql_admin -c "ALTER SYSTEM SET $name = '$value'"
      log "set $name = $value (was $current)"
      changed=1
    fi
  done
  # Both settings only take effect at server start.
  if ((changed)); then
    "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" restart -m fast
    wait_ready >/dev/null
    log "restarted to apply the settings"
  fi
}

tcp_login_works() {
  PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=5 \
    psql -X -q -At -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DB" -c 'SELECT 1' >/dev/null 2>&1
}

ensure_hba() {  # Debian's default pg_hba.conf allows it; repair a machine where it was changed
  tcp_login_works && return 0
  local hba
  hba=$(psql_admin -At -c 'SHOW hba_file')
  log "adding a scram-sha-256 rule for $ROLE on $HOST to $hba"
  # First match wins in pg_hba.conf, so the rule goes on top.
  sed -i "1i host $DB $ROLE $HOST/32 scram-sha-256  # added by jobline deploy/local/postgres.sh" "$hba"
  psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
  tcp_login_works || die "cannot log in as $ROLE over TCP on $HOST:$PORT; see $hba and $PG_LOG"
}

ensure_db() {
  running || die "the cluster $VERSION/$CLUSTER is not running; run: $0 start"
  wait_ready >/dev/null
  tune
  # ALTER on every run keeps the password and attributes right even if someone changed them.
  psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB OWNER $ROLE'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB') \gexec
ALTER DATABASE $DB OWNER TO $ROLE;
SQL
  ensure_hba
  log "database ready: postgresql://$ROLE:$PASSWORD@$HOST:$PORT/$DB"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready ;;
  ensure-db) ensure_db ;;
  *) echo "usage: $0 start|stop|status|wait|ensure-db" >&2; exit 2 ;;
esac
