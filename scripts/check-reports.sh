#!/usr/bin/env bash
# check-reports.sh LOG FOLDER: every `Report: <path>` line in LOG names a non-empty file.
#
# The contract with `make demo`: it prints one line per written report, exactly `Report: <path>`,
# the path absolute or relative to FOLDER (where the command ran). Fails when there is no such
# line, or when a named file is missing or empty.
set -euo pipefail
log=$1
folder=$2

# Colour codes and carriage returns are not part of the path.
mapfile -t reports < <(sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r$//' "$log" \
  | sed -n 's/^Report: \(.*[^[:space:]]\)[[:space:]]*$/\1/p')
if [ "${#reports[@]}" -eq 0 ]; then
  echo "check-reports: no 'Report: <path>' line in the output" >&2
  exit 1
fi
bad=0
for report in "${reports[@]}"; do
  case $report in
    /*) path=$report ;;
    *) path=$folder/$report ;;
  esac
  if [ ! -f "$path" ]; then
    echo "check-reports: $report is missing" >&2
    bad=1
  elif [ ! -s "$path" ]; then
    echo "check-reports: $report is empty" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] || exit 1
echo "check-reports: ${#reports[@]} reports, none missing or empty"
