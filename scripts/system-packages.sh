#!/usr/bin/env bash
# The Debian packages the tests need, installed only when the command they provide is missing.
#
#   prometheus               prometheus, promtool            (tests/alerts, tests/e2e)
#   prometheus-alertmanager  prometheus-alertmanager, amtool (tests/alerts, tests/e2e)
#   chromium                 /usr/bin/chromium               (tests/report/test_browser.py)
#   postgresql               initdb, pg_ctl                  (the throwaway cluster in tests/conftest.py)
#   npm                      npm                             (the 3M-row data set, `make test-data`)
#   docker-compose           docker-compose                  (tests/deploy: `docker-compose config`)
#   openjdk-17-jre-headless  java                            (tests/engines: Spark in local[2])
#
# npm may come from elsewhere (a nodejs build that conflicts with Debian's npm): any npm will do.
# Installs as root, or through passwordless `sudo -n`; otherwise prints one line naming the
# packages and the command to run, and exits 1.
set -euo pipefail

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need prometheus prometheus
need promtool prometheus
need prometheus-alertmanager prometheus-alertmanager
need amtool prometheus-alertmanager
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
need npm npm
need docker-compose docker-compose
need java openjdk-17-jre-headless

[ "${#missing[@]}" -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "system-packages: missing ${missing[*]}: run \`sudo apt-get install -y ${missing[*]}\`" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: missing ${missing[*]} and no apt-get: install them with your package manager" >&2
  exit 1
fi

echo "system-packages: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
