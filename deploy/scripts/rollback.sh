#!/bin/sh
# One-step rollback of an environment to the release it ran before (playbooks/rollback.md).
#   deploy/scripts/rollback.sh <dev|staging|prod> [--dry-run]
# Argo CD rolls the Application back to its previous synced revision (the image digests and manifests of
# the last release); Argo Rollouts then replaces every role the usual way, probes and PDBs included.
# Automated sync is switched off first so Argo CD does not re-apply main on top; switch it back on
# (argocd app set origo-<env> --sync-policy automated) once main is fixed or reverted.
set -eu
env=${1:-}
case "$env" in
  dev | staging | prod) ;;
  *)
    echo "usage: $0 <dev|staging|prod> [--dry-run]" >&2
    exit 2
    ;;
esac
app="origo-$env"
run() {
  if [ "${2:-}" = "--dry-run" ] || [ "${DRY_RUN:-}" = 1 ]; then echo "would run: $*"; else "$@"; fi
}
[ "${2:-}" = "--dry-run" ] && DRY_RUN=1
command -v argocd >/dev/null || { echo "rollback: the argocd CLI is needed (and a login to the Argo CD server)" >&2; exit 2; }

previous=$(argocd app history "$app" -o id | tail -n 2 | head -n 1)
if [ -z "$previous" ]; then
  echo "rollback: $app has no earlier revision to return to" >&2
  exit 1
fi
echo "rolling $app back to history id $previous"
run argocd app set "$app" --sync-policy none
run argocd app rollback "$app" "$previous"
run argocd app wait "$app" --health --timeout 1200
echo "done: $app runs history id $previous; automated sync is off until you turn it back on"
