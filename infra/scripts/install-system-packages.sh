#!/usr/bin/env bash
# Installs the Debian packages listed in the given file that are not installed yet.
# Used by `make test` so a fresh machine (and CI) gets the real servers the tests use.
set -euo pipefail
list="${1:?usage: install-system-packages.sh <packages.txt>}"
missing=()
while read -r line; do
  pkg="${line%%#*}"; pkg="${pkg// /}"
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages for the tests: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
