#!/usr/bin/env bash
# Create the benchmark's own environment for Evidently, separate from the project's .venv:
#   benchmarks/.env-evidently  (gitignored)
# Evidently 0.7.23 does not import with pandas 3.1 (it uses a private pandas function), hence the pin.
# Usage: bash benchmarks/evidently_env.sh   [PYTHON=python3.11]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
env_dir="$here/.env-evidently"
python="${PYTHON:-python3}"

if [ -x "$env_dir/bin/python" ] && "$env_dir/bin/python" -c 'import evidently' 2>/dev/null; then
  echo "already there: $env_dir"
  exit 0
fi
"$python" -m venv "$env_dir"
"$env_dir/bin/pip" install -q --upgrade pip
"$env_dir/bin/pip" install -q 'evidently==0.7.23' 'pandas<3.1' 'pyarrow'
"$env_dir/bin/python" -c 'import evidently, pandas; print("evidently", evidently.__version__, "pandas", pandas.__version__)'
