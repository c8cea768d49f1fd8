#!/bin/sh
# Starts the origo launcher. Two conveniences for containers:
# - ORIGO_ROLE=<name> turns a bare `start` into `start --role=<name>`;
# - <VAR>_FILE=<path> sets <VAR> from that file (mounted secrets, or an address an init container found),
#   so secret values never have to sit in the pod spec.
set -eu

for assignment in $(env | sed -n 's/^\([A-Z0-9_]*\)_FILE=.*/\1/p'); do
  file=$(printenv "${assignment}_FILE")
  if [ ! -r "$file" ]; then
    echo "origo: ${assignment}_FILE points at $file, which is not readable" >&2
    exit 2
  fi
  value=$(cat "$file")
  export "$assignment=$value"
  unset "${assignment}_FILE"
done

if [ "${1:-}" = "start" ] && [ "$#" -eq 1 ] && [ -n "${ORIGO_ROLE:-}" ]; then
  set -- start "--role=${ORIGO_ROLE}"
fi

exec node /app/platform/launcher/dist/bin.js "$@"
