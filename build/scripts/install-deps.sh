#!/bin/bash
# Installs what Farside's demo and tests need on Debian 12, as root: Dovecot (with Pigeonhole Sieve, which
# discards a repeated gateway transaction at the mailbox: docs/gateway-exactly-once.md), Postfix, Chromium
# (for the browser tests; never `playwright install`), then the npm dependencies from the lock file.
# Idempotent: packages already present cost about a second (environment.md §1).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive ELECTRON_SKIP_BINARY_DOWNLOAD=1
APT="apt-get -o DPkg::Lock::Timeout=300 -q"
need=()
for pkg in dovecot-imapd dovecot-lmtpd dovecot-sieve postfix chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-deps: need root to install: ${need[*]}" >&2; exit 1; fi
  # "No configuration" creates no /etc/postfix/main.cf, so the system Postfix never runs (environment.md §4.1).
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  $APT update
  $APT install -y --no-install-recommends "${need[@]}"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
