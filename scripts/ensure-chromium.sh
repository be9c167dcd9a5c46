#!/usr/bin/env bash
# Makes sure Debian's Chromium and a Chinese font are installed for the browser tests and the
# screenshots (Playwright drives /usr/bin/chromium; its own browser download does not work on
# these machines; without a CJK font Chinese renders as boxes). Installs them when root.
set -euo pipefail
chromium=${CIVICDESK_CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$chromium" ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} = 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}; install them (as root: apt-get install ${missing[*]})." >&2
  [ -x "$chromium" ] || exit 1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
echo "installed ${missing[*]}: $("$chromium" --version)"
