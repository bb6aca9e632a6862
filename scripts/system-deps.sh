#!/usr/bin/env bash
# Installs the system programs the archive needs, when they are missing.
# Usage: scripts/system-deps.sh COMMAND... (e.g. ffmpeg espeak-ng chromium)
# As root it uses apt-get; otherwise it prints exactly what to install and fails.
set -euo pipefail

package_for() {
  case "$1" in
    ffmpeg|ffprobe) echo ffmpeg ;;
    espeak-ng) echo espeak-ng ;;
    chromium) echo chromium ;;
    wrk) echo wrk ;;
    sqlite3) echo sqlite3 ;;
    venv) echo python3-venv ;;
    fonts-arabic) echo fonts-noto-core ;;
    *) echo "$1" ;;
  esac
}

have() {
  case "$1" in
    venv) python3 -c 'import ensurepip, venv' 2>/dev/null ;;
    fonts-arabic) fc-list 2>/dev/null | grep -qi 'Noto.*Arabic' ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for cmd in "$@"; do
  have "$cmd" || missing+=("$(package_for "$cmd")")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# unique package names
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
