#!/bin/sh
# One-step rollback of an environment to the release it ran before (playbooks/rollback.md).
#   deploy/scripts/rollback.sh <dev|staging|prod> [--dry-run]
# Argo CD rolls the Application back to its previous synced revision (the image digests and manifests of
# the last release); Argo Rollouts then replaces every role, probes and PDBs included. The previous
# revision is within each Rollout's rollbackWindow (3 revisions, deploy/rollout/rollouts.yaml), so the
# canary steps and analyses are skipped and the rollback takes minutes; the wait allows 30 (WAIT_TIMEOUT,
# seconds). Automated sync is switched off first so Argo CD does not re-apply main on top; on dev and
# staging switch it back on (argocd app set origo-<env> --sync-policy automated --auto-prune --self-heal)
# once main is fixed or reverted; prod has no automated sync and stays manual.
# Needs the argocd CLI logged in to the Argo CD server, --dry-run included (it reads the history).
# deploy/test/rollback.test.ts runs it against a stub.
set -eu

usage() {
  cat <<USAGE
usage: $0 <dev|staging|prod> [--dry-run]
Rolls the Argo CD Application origo-<env> back to the revision it synced before the current one,
turning automated sync off first, and waits up to WAIT_TIMEOUT seconds (default 1800) for it to be
healthy. --dry-run (or DRY_RUN=1) prints the commands without running them; it still reads the
Application's history, so it too needs the argocd CLI logged in (argocd login <server>).
USAGE
}

env=""
dry_run=${DRY_RUN:-0}
wait_timeout=${WAIT_TIMEOUT:-1800}
for arg in "$@"; do
  case "$arg" in
    -h | --help)
      usage
      exit 0
      ;;
    --dry-run) dry_run=1 ;;
    dev | staging | prod)
      if [ -n "$env" ]; then
        usage >&2
        exit 2
      fi
      env=$arg
      ;;
    *)
      echo "rollback: unknown argument '$arg'" >&2
      usage >&2
      exit 2
      ;;
  esac
done
if [ -z "$env" ]; then
  usage >&2
  exit 2
fi
case "$wait_timeout" in
  '' | *[!0-9]*)
    echo "rollback: WAIT_TIMEOUT must be a number of seconds, not '$wait_timeout'" >&2
    exit 2
    ;;
esac
app="origo-$env"

run() {
  if [ "$dry_run" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

command -v argocd >/dev/null || {
  echo "rollback: the argocd CLI is needed (and a login to the Argo CD server)" >&2
  exit 2
}

# History ids, oldest first; the last one is what runs now.
if ! out=$(argocd app history "$app" -o id); then
  echo "rollback: argocd app history $app failed (logged in? argocd login <server>)" >&2
  exit 1
fi
ids=$(printf '%s\n' "$out" | grep -E '^[0-9]+$' || true)
count=$(printf '%s\n' "$ids" | grep -c . || true)
if [ "$count" -lt 2 ]; then
  echo "rollback: $app has $count history entr$([ "$count" = 1 ] && echo y || echo ies); nothing to roll back to" >&2
  exit 1
fi
current=$(printf '%s\n' "$ids" | tail -n 1)
previous=$(printf '%s\n' "$ids" | tail -n 2 | head -n 1)

echo "rolling $app back from history id $current to $previous"
run argocd app set "$app" --sync-policy none
run argocd app rollback "$app" "$previous"
run argocd app wait "$app" --health --timeout "$wait_timeout"
if [ "$dry_run" = 1 ]; then
  echo "dry run: nothing changed"
elif [ "$env" = prod ]; then
  echo "done: $app runs history id $previous; prod syncs by hand (no automated sync): the next release is a manual sync"
else
  echo "done: $app runs history id $previous; automated sync is off until you turn it back on:"
  echo "  argocd app set $app --sync-policy automated --auto-prune --self-heal"
fi
