#!/bin/sh
# Writes the running configuration: the committed turnserver.conf plus one static-auth-secret line for
# every secret file present (the mounted Secret holds previous, current and next; a missing or empty one
# is skipped), then the extra lines given as arguments (per-environment settings such as
# external-ip or allowed-peer-ip). Usage: render-config.sh <base.conf> <secrets dir> <out.conf> [line...]
set -eu
base=$1
secrets=$2
out=$3
shift 3

umask 077
cp "$base" "$out"
count=0
for name in previous current next; do
  file="$secrets/$name"
  [ -s "$file" ] || continue
  value=$(cat "$file")
  case "$value" in
    *[!A-Za-z0-9_+/=.-]*) echo "render-config: secret $name has characters outside base64/base64url" >&2; exit 2 ;;
  esac
  printf 'static-auth-secret=%s\n' "$value" >>"$out"
  count=$((count + 1))
done
if [ "$count" -eq 0 ]; then
  echo "render-config: no TURN secret in $secrets (expected previous, current or next)" >&2
  exit 2
fi
for line in "$@"; do
  printf '%s\n' "$line" >>"$out"
done
