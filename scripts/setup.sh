#!/usr/bin/env bash
# Sets up everything the hub and its tests need on a fresh Debian machine:
# Debian packages, the Python virtual environment (.venv) with the
# `liaison-hub` console script, and the built web assets (web/dist).
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

want_debs=()
command -v chromium >/dev/null 2>&1 || want_debs+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || want_debs+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || want_debs+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  command -v redis-server >/dev/null 2>&1 || want_debs+=(redis-server)
  command -v pg_ctlcluster >/dev/null 2>&1 || want_debs+=(postgresql)
fi
if [ ${#want_debs[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${want_debs[*]}"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${want_debs[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi

if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/package.json web/vite.config.ts -newer web/dist/index.html 2>/dev/null | head -1)" ]; then
  (cd web && { [ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
fi
if [ "${1:-}" = "--test" ]; then
  # ESLint with typescript-eslint (tests/test_static_checks.py) in its own folder: it needs the
  # TypeScript 5 compiler API, the build uses TypeScript 7.
  (cd web/lint && { [ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })
fi
echo "setup: ready"
