#!/usr/bin/env bash
# Installs the system packages Epidesk's tests and benchmarks use, from Debian:
# PostgreSQL (server binaries for throwaway test clusters) and Chromium (browser
# tests through Playwright), wrk (the HTTP load generator of the public-pages
# benchmark), plus a CJK font so residents' names render in pages.
# Installs only what is missing; needs root or sudo when something is.
set -euo pipefail

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql postgresql-contrib)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk' || need+=(fonts-wqy-microhei)
id postgres >/dev/null 2>&1 || { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && need+=(postgresql-common); }

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

echo "system packages to install: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "error: installing ${need[*]} needs root or sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Keep Debian from creating and starting a default cluster: tests start their own.
"${SUDO[@]}" mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.d/epidesk.conf >/dev/null
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
