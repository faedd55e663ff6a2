# Sourced by scripts/test and scripts/demo: installs what a fresh machine lacks.
# Needs root (or sudo) only when something is missing.

nwsh_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

nwsh_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "nwsh setup: need root to run: $*" >&2; return 1; fi
}

# Debian packages: libedit for the line editor, pkg-config to find it, curl for the sandbox tests,
# jq for the differential tests, hyperfine and GNU time for measuring.
nwsh_ensure_system_packages() {
  local missing=()
  pkg-config --exists libedit 2>/dev/null || missing+=(libedit-dev)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  [ -x /usr/bin/time ] || missing+=(time)
  [ -e /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "nwsh setup: installing ${missing[*]}" >&2
    nwsh_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive nwsh_as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

nwsh_ensure_swift() {
  if ! command -v swift >/dev/null; then
    echo "nwsh setup: Swift 6.1 or later is required (https://swift.org/install)" >&2
    return 1
  fi
}
