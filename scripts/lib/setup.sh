# Sourced by scripts/test and scripts/demo: installs what a fresh machine lacks.
# Needs root (or sudo) only when something is missing.

nwsh_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

nwsh_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "nwsh setup: need root to run: $*" >&2; return 1; fi
}

# Debian packages: libedit for the line editor, pkg-config to find it, curl for the sandbox tests,
# jq for the differential tests, hyperfine and GNU time for measuring, the PostgreSQL server for
# the tests of shared state (each starts a throwaway cluster of its own), zsh and fish to check
# that the completion scripts nwsh generates for them parse.
nwsh_ensure_system_packages() {
  local missing=()
  pkg-config --exists libedit 2>/dev/null || missing+=(libedit-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  command -v zsh >/dev/null || missing+=(zsh)
  command -v fish >/dev/null || missing+=(fish)
  [ -x /usr/bin/time ] || missing+=(time)
  [ -e /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "nwsh setup: installing ${missing[*]}" >&2
    nwsh_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive nwsh_as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# jq 1.8.2, the reference of the differential test: PyPI's `jq` package (1.13.0) bundles libjq
# 1.8.2 and runs a program on a JSON text from Python.
nwsh_ensure_reference_jq() {
  python3 -c 'import jq' 2>/dev/null && return 0
  echo "nwsh setup: installing PyPI jq 1.13.0 (libjq 1.8.2)" >&2
  pip install -q jq==1.13.0 >/dev/null 2>&1 || pip install -q --break-system-packages jq==1.13.0 >/dev/null
}

nwsh_ensure_swift() {
  if ! command -v swift >/dev/null; then
    echo "nwsh setup: Swift 6.1 or later is required (https://swift.org/install)" >&2
    return 1
  fi
}

# Stops the throwaway PostgreSQL clusters tests started under the temporary directory (a test
# stops its own; this catches one a crashed test left running) and deletes them.
nwsh_stop_test_postgres() {
  local dir ctl
  ctl="$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -1)"
  [ -n "$ctl" ] || ctl="$(command -v pg_ctl || true)"
  [ -n "$ctl" ] || return 0
  for dir in "${TMPDIR:-/tmp}"/nwsh-postgres-*; do
    [ -d "$dir/data" ] || continue
    if [ "$(id -u)" -eq 0 ]; then
      runuser -u postgres -- "$ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    else
      "$ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  done
}

# Starts a throwaway PostgreSQL cluster in DIR on a free loopback port (as the postgres user
# when root: PostgreSQL refuses to run as root). Sets nwsh_pg_url (no password) and exports
# PGPASSWORD; nwsh_stop_postgres DIR stops it.
nwsh_pg_bin() {
  local bin
  bin="$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -1)"
  [ -n "$bin" ] || bin="$(dirname "$(command -v initdb)")"
  echo "$bin"
}
nwsh_as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
nwsh_start_postgres() {
  local dir="$1" bin port
  bin="$(nwsh_pg_bin)"
  mkdir -p "$dir"
  export PGPASSWORD="bench-$RANDOM$RANDOM"
  printf '%s' "$PGPASSWORD" > "$dir/pw"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  nwsh_as_pg "$bin/initdb" -D "$dir/data" -U nwsh --pwfile="$dir/pw" -A scram-sha-256 -E UTF8 --no-sync \
    --no-instructions > "$dir/initdb.log" 2>&1
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  nwsh_as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" \
    start < /dev/null > /dev/null 2>&1
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U nwsh nwsh
  nwsh_pg_url="postgres://nwsh@127.0.0.1:$port/nwsh"
}
nwsh_stop_postgres() {
  nwsh_as_pg "$(nwsh_pg_bin)/pg_ctl" -D "$1/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -rf "$1"
}
