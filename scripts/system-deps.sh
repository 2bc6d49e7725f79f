#!/usr/bin/env bash
# Debian packages the test suite needs: a PostgreSQL server (initdb/pg_ctl) for the store tests, and
# chromium for the web UI's browser tests (Playwright drives /usr/bin/chromium; no browser is downloaded).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster of its own; the tests start their own throwaway server instead.
if command -v pg_ctlcluster >/dev/null; then pg_ctlcluster --force "$(ls /etc/postgresql | head -1)" main stop 2>/dev/null || true; fi
