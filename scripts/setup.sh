# Shared by run.sh and test.sh: a virtual environment with the requirements,
# and the system programs Waymark needs. Safe to run again: it skips what is done.
# Usage: source scripts/setup.sh <requirements file> [chromium]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

REQS="${1:-requirements.txt}"
PY="${PYTHON:-python3}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mERROR:\033[0m %s\n' "$*" >&2; exit 1; }

command -v "$PY" >/dev/null || die "Python 3.11+ is needed: install it (sudo apt-get install python3 python3-venv)."
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "Python 3.11 or newer is needed; $PY is $("$PY" --version 2>&1)."

can_install_packages() {
  [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null
}

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if [ ! -f /tmp/.waymark-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.waymark-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_program() {  # ensure_program <command> <debian package> <why>
  local cmd="$1" pkg="$2" why="$3"
  command -v "$cmd" >/dev/null && return 0
  if command -v apt-get >/dev/null && can_install_packages; then
    say "Installing $pkg ($why)"
    apt_install "$pkg" || die "Could not install $pkg. Install it yourself: sudo apt-get install $pkg"
  else
    die "$cmd is missing ($why). Install it, e.g.: sudo apt-get install $pkg  (macOS: brew install $pkg)"
  fi
}

ensure_program dot graphviz "Graphviz draws the process graphs"
if [ "${2:-}" = chromium ]; then
  ensure_program chromium chromium "the browser tests drive Debian's Chromium"
fi

if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment in .venv"
  "$PY" -m venv .venv || die "Could not create a virtual environment: sudo apt-get install python3-venv"
fi
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$(basename "$REQS")"
if [ ! -f "$stamp" ]; then
  say "Installing Python packages from $REQS"
  # (grep drops pip's notes about package folders configured but absent on this machine)
  if ! .venv/bin/pip install -q --disable-pip-version-check -r "$REQS" >.venv/pip.log 2>&1; then
    grep -v "is ignored: it is neither" .venv/pip.log >&2 || true
    die "pip could not install $REQS (full log: .venv/pip.log)"
  fi
  grep -v "is ignored: it is neither" .venv/pip.log || true
  touch "$stamp"
fi
mkdir -p var
