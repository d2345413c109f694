#!/usr/bin/env bash
# Install the system tools the local stack needs on a fresh Debian 12 machine: kcat,
# PostgreSQL 15 (server and client), a Java 17 runtime, Maven, uv, and what WeasyPrint
# (the invoicing service) loads at run time: Pango, HarfBuzz's subsetter and fonts.
# Idempotent and silent when everything is present; prints one line per thing installed.
# Env: JOBLINE_SKIP_APT=1 skips apt entirely (e.g. a machine managed some other way).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
UV_VERSION=0.13.8  # newest uv on PyPI when this was written; pinned so machines agree

have() { command -v "$1" >/dev/null 2>&1; }
# dpkg -s alone also succeeds for a package removed with its configuration left behind.
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *" ok installed" ]]; }

java_ok() {  # Kafka 4 needs Java 17 or newer
  have java || return 1
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
  [[ "${major:-0}" =~ ^[0-9]+$ ]] && ((major >= 17))
}

missing=()
have kcat || missing+=(kcat)
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || missing+=(postgresql-15)
have psql || missing+=(postgresql-client-15)
java_ok || missing+=(openjdk-17-jre-headless)
have mvn || missing+=(maven)
# The broker's SASL_SSL listener: kafka.sh makes its local CA and certificate with openssl.
have openssl || missing+=(openssl)
# The console's browser tests drive Debian's Chromium through Playwright (no browser download).
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
# WeasyPrint draws text through Pango; libharfbuzz-subset0 lets it embed font subsets
# (several times faster, far smaller PDFs); DejaVu covers every character invoices print.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ "${JOBLINE_SKIP_APT:-}" == 1 ]]; then
    echo "install-system: JOBLINE_SKIP_APT=1, not installing: ${missing[*]}" >&2
  else
    # One apt-get update per run, and only when something must be installed. apt's chatter
    # goes to a file that is shown only if a step fails.
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
      >"$out" 2>&1; then
      cat "$out" >&2
      echo "install-system: apt-get failed for: ${missing[*]}" >&2
      exit 1
    fi
    for pkg in "${missing[@]}"; do echo "install-system: installed $pkg"; done
  fi
fi

if ! have uv; then
  # Prefer the interpreter's own site-packages; on an externally managed (Debian) python
  # fall back to a --user install, which lands in ~/.local/bin (on PATH in .ci/run).
  if ! python3 -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" 2>/dev/null; then
    python3 -m pip install -q --disable-pip-version-check --user --break-system-packages \
      "uv==$UV_VERSION"
  fi
  # pyenv only sees new console scripts after a rehash.
  if have pyenv; then pyenv rehash; fi
  echo "install-system: installed uv $UV_VERSION"
fi
