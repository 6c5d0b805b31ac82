#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs zsh, fish, git, tmux, strace and nginx (Debian packages), Nushell (npm
# package `nushell`, pinned: the newest and the oldest version nupm supports), nupm itself with a plain
# `pip install .` into a venv, and the test tools; then ruff, pytest, and the nu tests again on the oldest nu.
set -euo pipefail
cd "$(dirname "$0")/.."

NU_NEWEST=0.115.1   # keep in step with README.md "Supported Nushell"
NU_OLDEST=0.101.0
TOOLS=${NUPM_TOOLS:-$PWD/.tools}
mkdir -p "$TOOLS"

missing=()
for cmd in zsh fish git tmux strace; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
# nginx serves registries and git repositories over HTTP in the tests (it lives in /usr/sbin).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "WARNING: cannot install ${missing[*]} (not root or no apt-get): tests needing them will be SKIPPED" >&2
  fi
fi

install_nu() {
  local version=$1 arch dir
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  dir=$TOOLS/nu-$version
  local bin=$dir/node_modules/@nushell/linux-$arch/bin/nu
  if [ ! -x "$bin" ]; then
    npm install --prefix "$dir" --no-audit --no-fund --silent "nushell@$version" >&2
  fi
  "$bin" --version >/dev/null
  echo "$bin"
}
NU=$(install_nu "$NU_NEWEST")
NU_OLD=$(install_nu "$NU_OLDEST")

[ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv"
"$TOOLS/venv/bin/pip" install -q --upgrade pip >/dev/null
# Not editable on purpose: the tests run against what a user's `pip install .` gives.
"$TOOLS/venv/bin/pip" install -q --force-reinstall --no-deps . >/dev/null
"$TOOLS/venv/bin/pip" install -q ".[test]" >/dev/null

"$TOOLS/venv/bin/ruff" check nupm tests bench

export NUPM_TEST_INSTALLED=1 PATH="$TOOLS/venv/bin:$PATH"
# Both at once, for the tests where nupm installs a pinned Nushell from release archives made of them.
export NUPM_TEST_NU_NEWEST=$NU NUPM_TEST_NU_OLDEST=$NU_OLD

# The suite must never touch a user's files: it runs with XDG dirs holding a canary config.nu and fish conf.d
# file (as a developer's real config would be), and the canary must come out unchanged.
canary=$(mktemp -d)
mkdir -p "$canary/config/nushell" "$canary/config/fish/conf.d" "$canary/data" "$canary/cache" "$canary/state"
echo '# canary: the nupm test suite must not change this file' > "$canary/config/nushell/config.nu"
echo '# canary: the nupm test suite must not change this file' > "$canary/config/fish/conf.d/canary.fish"
export XDG_CONFIG_HOME=$canary/config XDG_DATA_HOME=$canary/data XDG_CACHE_HOME=$canary/cache \
    XDG_STATE_HOME=$canary/state
# Every entry (a directory fish creates on its first run counts too) and every file's bytes.
canary_sums() { (cd "$canary" && find . -printf '%y %p\n' | sort && find . -type f -exec md5sum {} + | sort); }
before=$(canary_sums)
check_canary() {
    if [ "$(canary_sums)" != "$before" ]; then
        echo "FAILED: the test suite changed files in the user's XDG dirs:" >&2
        diff <(echo "$before") <(canary_sums) >&2
        exit 1
    fi
}
trap 'rm -rf "$canary"' EXIT
echo "== pytest on nu $("$NU" --version)"
NUPM_TEST_NU=$NU "$TOOLS/venv/bin/pytest" -q -p no:cacheprovider tests "$@"
check_canary
echo "== nu tests again on the oldest supported nu, $("$NU_OLD" --version)"
NUPM_TEST_NU=$NU_OLD "$TOOLS/venv/bin/pytest" -q -p no:cacheprovider -m nu tests "$@"
check_canary
echo "== the user's XDG dirs are as they were"
