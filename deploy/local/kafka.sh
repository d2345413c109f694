#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from Maven Central jars.
# Everything lives under .run/kafka: libs/ (jars), data/ (log dirs), server.properties,
# log4j2.properties, kafka.log, kafka.pid.
# Usage: kafka.sh install|start|stop|status|wait
# Env: JOBLINE_KAFKA_PORT (9092), JOBLINE_KAFKA_CONTROLLER_PORT (9093), JAVA (java),
#      JOBLINE_KAFKA_CDS=0 to start without the class-data-sharing archive,
#      JOBLINE_KAFKA_HOME (.run/kafka): a second broker's own data, config, log and pid
#      (make chaos runs one beside the shared broker); the jars stay in .run/kafka/libs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
POM="$ROOT/deploy/local/kafka/pom.xml"
JARS="$ROOT/.run/kafka"
RUN="${JOBLINE_KAFKA_HOME:-$JARS}"
LIBS="$JARS/libs"
DATA="$RUN/data"
CONF="$RUN/server.properties"
LOG4J="$RUN/log4j2.properties"
LOG="$RUN/kafka.log"
PIDFILE="$RUN/kafka.pid"
JSA="$RUN/kafka.jsa"  # class-data-sharing archive: cuts a warm start from ~2.3 s to ~1.6 s
HOST=127.0.0.1
PORT="${JOBLINE_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${JOBLINE_KAFKA_CONTROLLER_PORT:-9093}"
JAVA="${JAVA:-java}"
WAIT_SECONDS=60
STOP_SECONDS=30

log() { echo "kafka: $*"; }
die() { echo "kafka: $*" >&2; exit 1; }

lock() {  # serialise install/start/stop, e.g. two test runs starting the stack at once
  mkdir -p "$RUN"
  exec 9>"$RUN/.lock"
  flock -w 120 9 || die "another kafka.sh has held $RUN/.lock for 2 minutes"
}

pid_of() { [[ -f "$PIDFILE" ]] && cat "$PIDFILE"; }

alive() {  # our broker: the pid in the pid file is a live kafka.Kafka (not a reused pid)
  local pid cmdline
  pid=$(pid_of) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
  [[ "$cmdline" == *" kafka.Kafka "* ]]
}

proc_live() {  # pid exists and is not a zombie (an unreaped zombie still passes kill -0)
  [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

port_open() {  # something accepts TCP connections on host:port
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

answers() {  # the broker answers a metadata request and lists itself
  # A plain connect first: kcat against a closed port backs off and would delay `wait`.
  port_open "$PORT" || return 1
  if command -v kcat >/dev/null 2>&1; then
    # Captured, not piped into grep -q: with pipefail, grep quitting early would make a
    # long listing (many topics) fail with SIGPIPE.
    local meta
    meta=$(kcat -b "$HOST:$PORT" -L -m 3 2>/dev/null) || return 1
    [[ "$meta" == *" 1 brokers:"* ]]
  else
    metadata_py
  fi
}

metadata_py() {  # fallback without kcat: a raw Metadata v4 request (v0-3 are gone in Kafka 4)
  python3 - "$HOST" "$PORT" <<'PY'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
client = b"jobline-wait"
# header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id; body: all topics, no auto-create
body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">i?", -1, False)
try:
    with socket.create_connection((host, port), timeout=3) as s:
        s.settimeout(3)
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 16:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit(1)
            buf += chunk
except OSError:
    sys.exit(1)
# size, correlation_id, throttle_time_ms, brokers count
_, corr, _, brokers = struct.unpack(">iiii", buf[:16])
sys.exit(0 if corr == 7 and brokers >= 1 else 1)
PY
}

install() {
  command -v mvn >/dev/null || die "mvn not found; run deploy/local/install-system.sh"
  local sum
  sum=$(sha256sum "$POM" | cut -d' ' -f1)
  # Only fetch when the jars are missing or the pom changed since they were copied.
  if [[ -d "$LIBS" && -f "$JARS/libs.sha256" && "$(cat "$JARS/libs.sha256")" == "$sum" ]]; then
    return 0
  fi
  log "copying the broker jars to $LIBS"
  mkdir -p "$JARS"
  rm -rf "$LIBS.tmp"
  # Copy into a temporary folder and swap, so an interrupted copy never looks installed.
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$JARS/mvn.log" 2>&1; then
    cat "$JARS/mvn.log" >&2
    die "mvn could not fetch the broker jars"
  fi
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  echo "$sum" >"$JARS/libs.sha256"
}

write_config() {
  cat >"$CONF" <<EOF
# Written by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
# KRaft 4.x dynamic quorum: this node bootstraps a quorum of one (format --standalone).
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA
num.partitions=6
# Topics are created on purpose (with their partition counts), never by a typo.
auto.create.topics.enable=false
# One broker: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests join groups constantly; no point waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# Classic and KIP-848 consumer groups only: no share groups (KIP-932) or streams groups.
group.coordinator.rebalance.protocols=classic,consumer
EOF
  cat >"$LOG4J" <<'EOF'
# Console only (redirected to kafka.log by kafka.sh); WARN except the startup/shutdown lines.
status = warn
# Kafka logs while the JVM shuts down; log4j's own hook would stop logging too early.
shutdownHook = disable
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = info
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = info
EOF
}

format_storage() {
  # meta.properties is Kafka's own "formatted" stamp; format exactly once per data dir.
  [[ -f "$DATA/meta.properties" ]] && return 0
  local cluster_id
  cluster_id=$("$JAVA" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a cluster id (got '$cluster_id')"
  log "formatting $DATA (cluster id $cluster_id)"
  "$JAVA" -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*" kafka.tools.StorageTool \
    format --standalone -t "$cluster_id" -c "$CONF" >>"$LOG" 2>&1 \
    || { tail -n 20 "$LOG" >&2; die "storage format failed"; }
}

cds_key() {  # what the archive depends on: the jars and the java binary
  local java_bin
  java_bin=$(readlink -f "$(command -v "$JAVA")")
  echo "$(cat "$JARS/libs.sha256") $(stat -c '%n %Y' "$java_bin")"
}

cds_flags() {  # use a matching archive, else have this run write one when it exits cleanly
  [[ "${JOBLINE_KAFKA_CDS:-1}" == 0 ]] && return 0
  local key
  key=$(cds_key)
  if [[ -f "$JSA" && "$(cat "$JSA.key" 2>/dev/null)" == "$key" ]]; then
    echo "-XX:SharedArchiveFile=$JSA"
  else
    rm -f "$JSA" "$JSA.key" "$JSA.new"
    echo "$key" >"$JSA.new.key"
    echo "-XX:ArchiveClassesAtExit=$JSA.new"
  fi
  # The dump lists every class it skips; none of that is worth reading.
  echo "-Xlog:cds*=off"
}

start() {
  lock
  if alive; then
    # Running already (answering, or still starting: `wait` tells which).
    return 0
  fi
  rm -f "$PIDFILE"
  local stray
  stray=$(pgrep -f "kafka\.Kafka $CONF\$" | head -n1 || true)
  if [[ -n "$stray" ]]; then  # ours, but its pid file was lost: adopt it
    echo "$stray" >"$PIDFILE"
    return 0
  fi
  if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
    die "port $PORT or $CONTROLLER_PORT is taken by another process; stop it or set KAFKA_BOOTSTRAP_SERVERS to use it"
  fi
  install
  mkdir -p "$DATA"
  # Keep one old log so repeated test runs do not grow kafka.log without bound.
  if [[ -f "$LOG" ]] && (($(stat -c %s "$LOG") > 20 * 1024 * 1024)); then mv -f "$LOG" "$LOG.1"; fi
  write_config
  format_storage
  # setsid + nohup: the broker outlives this shell and the terminal, in its own process group.
  # 9>&- : the broker must not inherit (and so hold forever) the lock of this script.
  local cds
  mapfile -t cds < <(cds_flags)
  setsid nohup "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "${cds[@]}" \
    -Dlog4j2.configurationFile="$LOG4J" \
    -cp "$LIBS/*" kafka.Kafka "$CONF" >>"$LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
  log "started (pid $!), log in $LOG"
}

wait_ready() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  [[ -f "$PIDFILE" ]] || die "not started (run: $0 start)"
  until answers; do
    if ! alive; then  # it was started and has died: the log says why
      tail -n 30 "$LOG" >&2 2>/dev/null || true
      die "the broker exited; log in $LOG"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOG" >&2 2>/dev/null || true
      die "no metadata answer on $HOST:$PORT within ${WAIT_SECONDS}s"
    fi
    sleep 0.2
  done
  log "ready on $HOST:$PORT"
}

terminate() {  # SIGTERM (a clean broker shutdown), SIGKILL after STOP_SECONDS
  local pid=$1 deadline=$((SECONDS + STOP_SECONDS))
  kill -TERM "$pid" 2>/dev/null || true
  while proc_live "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if proc_live "$pid"; then
    log "no exit after ${STOP_SECONDS}s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while proc_live "$pid"; do sleep 0.1; done
    rm -f "$JSA.new" "$JSA.new.key"  # a killed JVM may have left half an archive
  fi
}

stop() {
  lock
  local pid
  if alive; then
    terminate "$(pid_of)"
    log "stopped"
  fi
  rm -f "$PIDFILE"
  # A broker of ours whose pid file was lost: it runs with our config file path.
  for pid in $(pgrep -f "kafka\.Kafka $CONF\$" || true); do
    log "stopping stray broker pid $pid"
    terminate "$pid"
  done
  # A clean exit after a run without an archive has just written one: put it in place.
  if [[ -s "$JSA.new" && -f "$JSA.new.key" ]]; then
    mv "$JSA.new" "$JSA"
    mv "$JSA.new.key" "$JSA.key"
  fi
}

status() {
  if alive && answers; then
    echo "kafka: running (pid $(pid_of)) on $HOST:$PORT"
  elif alive; then
    echo "kafka: starting (pid $(pid_of)), not answering yet"
    return 1
  else
    echo "kafka: stopped"
    return 1
  fi
}

case "${1:-}" in
  install) lock; install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready ;;
  *) echo "usage: $0 install|start|stop|status|wait" >&2; exit 2 ;;
esac
