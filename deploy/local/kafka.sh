#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from Maven Central jars.
# Everything lives under .run/kafka: libs/ (jars), data/ (log dirs), server.properties,
# log4j2.properties, kafka.log, kafka.pid, tls/ (the SASL_SSL listener's material).
# Two client listeners on loopback: PLAINTEXT on JOBLINE_KAFKA_PORT (what the stack uses) and
# SASL_SSL (SCRAM-SHA-512 over TLS, a local CA) on JOBLINE_KAFKA_SASL_PORT, to prove the
# clients' TLS and SASL settings against a real broker; `wait` writes the settings a client
# needs for it to tls/client.env (user `jobline`, its password in tls/password).
# Usage: kafka.sh install|start|stop|status|wait
# Env: JOBLINE_KAFKA_PORT (9092), JOBLINE_KAFKA_CONTROLLER_PORT (9093),
#      JOBLINE_KAFKA_SASL_PORT (the port + 2: 9094; `off` for no SASL_SSL listener), JAVA (java),
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
# PORT + 2, so a second broker (make chaos: 19092) gets its own without being told.
SASL_PORT="${JOBLINE_KAFKA_SASL_PORT:-$((PORT + 2))}"
TLS="$RUN/tls"
SASL_USER=jobline
SCRAM_STAMP="$RUN/scram.sha256"  # the password whose SCRAM credential the data dir holds
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

sasl_on() { [[ "$SASL_PORT" != off ]]; }

tls_material() {  # a local CA, the broker's key and certificate, the client's password; once
  [[ -s "$TLS/broker.pem" && -s "$TLS/ca.pem" && -s "$TLS/password" ]] && return 0
  command -v openssl >/dev/null || die "openssl not found; run deploy/local/install-system.sh"
  local tmp="$TLS.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp" && chmod 700 "$tmp"
  # Made in a temporary folder and swapped in, so an interrupted run never looks done.
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Jobline local CA" \
      -keyout "$tmp/ca.key" -out "$tmp/ca.pem"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$tmp/broker.key" -out "$tmp/broker.csr"
    # Clients check the host name: the certificate names the loopback address it serves.
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tmp/san.ext"
    openssl x509 -req -days 3650 -in "$tmp/broker.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
      -CAcreateserial -extfile "$tmp/san.ext" -out "$tmp/broker.crt"
  } >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; die "openssl failed"; }
  # Kafka reads a PEM keystore: the unencrypted PKCS#8 key, then the certificate.
  cat "$tmp/broker.key" "$tmp/broker.crt" >"$tmp/broker.pem"
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$tmp/password"
  # The CA signs this one certificate only: its key is not kept.
  rm -f "$tmp"/{broker.csr,san.ext,openssl.log,broker.key,broker.crt,ca.key,ca.srl}
  rm -rf "$TLS" && mv "$tmp" "$TLS"
  log "made a local CA and the SASL_SSL listener's certificate in $TLS"
}

write_config() {
  local listeners="PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if sasl_on; then
    listeners+=",SASL_SSL://$HOST:$SASL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$CONF" <<EOF
# Written by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
# KRaft 4.x dynamic quorum: this node bootstraps a quorum of one (format --standalone).
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$listeners
listener.security.protocol.map=$protocols
# Between the broker and its controller (one JVM): plaintext on loopback.
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
  if sasl_on; then
    cat >>"$CONF" <<EOF
# The SASL_SSL listener: SCRAM-SHA-512 (credentials in the cluster metadata) over TLS.
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS/broker.pem
EOF
  fi
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
  local scram=()
  # A fresh data dir gets the SCRAM credential with its first metadata (no extra JVM later).
  if sasl_on; then
    scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$(cat "$TLS/password")]")
  fi
  log "formatting $DATA (cluster id $cluster_id)"
  rm -f "$SCRAM_STAMP"
  "$JAVA" -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*" kafka.tools.StorageTool \
    format --standalone -t "$cluster_id" -c "$CONF" "${scram[@]}" >>"$LOG" 2>&1 \
    || { tail -n 20 "$LOG" >&2; die "storage format failed"; }
  if sasl_on; then password_sum >"$SCRAM_STAMP"; fi
}

password_sum() { sha256sum "$TLS/password" | cut -d' ' -f1; }

ensure_scram() {  # a data dir formatted without it (by an older kafka.sh) gets it now, once
  [[ -f "$SCRAM_STAMP" && "$(cat "$SCRAM_STAMP")" == "$(password_sum)" ]] && return 0
  log "adding the SCRAM-SHA-512 credential of $SASL_USER"
  "$JAVA" -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*" kafka.admin.ConfigCommand \
    --bootstrap-server "$HOST:$PORT" --alter --entity-type users --entity-name "$SASL_USER" \
    --add-config "SCRAM-SHA-512=[password=$(cat "$TLS/password")]" >>"$LOG" 2>&1 \
    || { tail -n 20 "$LOG" >&2; die "could not add the SCRAM credential"; }
  password_sum >"$SCRAM_STAMP"
}

sasl_ready() {  # the running broker's SASL_SSL listener: credential, port, client settings
  # Only a broker started with the listener has it (one started by an older kafka.sh not).
  if ! grep -q "^listeners=.*SASL_SSL://$HOST:$SASL_PORT" "$CONF" 2>/dev/null; then
    rm -f "$TLS/client.env"
    return 0
  fi
  ensure_scram
  local deadline=$((SECONDS + 10))
  until port_open "$SASL_PORT"; do
    ((SECONDS < deadline)) || die "no SASL_SSL listener on $HOST:$SASL_PORT"
    sleep 0.2
  done
  # Written aside and renamed: a test reading it meanwhile sees the old file or the new one.
  cat >"$TLS/client.env.new" <<EOF
JOBLINE_KAFKA_SASL_BOOTSTRAP=$HOST:$SASL_PORT
JOBLINE_KAFKA_SECURITY_PROTOCOL=SASL_SSL
JOBLINE_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
JOBLINE_KAFKA_SASL_USERNAME=$SASL_USER
JOBLINE_KAFKA_SASL_PASSWORD_FILE=$TLS/password
JOBLINE_KAFKA_SSL_CAFILE=$TLS/ca.pem
EOF
  mv -f "$TLS/client.env.new" "$TLS/client.env"
  log "SASL_SSL (SCRAM-SHA-512) on $HOST:$SASL_PORT; client settings in $TLS/client.env"
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
  if sasl_on && port_open "$SASL_PORT"; then
    die "port $SASL_PORT is taken by another process; set JOBLINE_KAFKA_SASL_PORT (or to off)"
  fi
  install
  mkdir -p "$DATA"
  if sasl_on; then tls_material; fi
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
  if sasl_on; then lock && sasl_ready; fi
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
