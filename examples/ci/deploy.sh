#!/usr/bin/env bash
# Deploys one release with cutover, from any CI system: run it on the host, or from the CI
# runner with CUTOVER_SSH=user@host (cutover runs there). The steps stream into the job's log
# as they happen; the exit code is cutover's: 0 when traffic moved to the new version, non-zero
# when the deploy failed (a health check, a canary that aborted itself), with the reason on stderr.
#
#   deploy.sh [--release NAME] [--app NAME] [--canary 10,50,100] IMAGE
#   deploy.sh [--release NAME] [--app NAME] --command -- WORD...     (the process runtime)
#
# Environment: CUTOVER (the cutover command, default: cutover), CUTOVER_SSH (user@host, default:
# run here), CUTOVER_ADMIN and CUTOVER_ADMIN_TOKEN (passed on to cutover). Run as the user cutover
# runs as (or root, for the systemd unit), `cutover deploy` reads the admin token from the state
# directory by itself; any other user needs CUTOVER_ADMIN_TOKEN (the content of
# /var/lib/cutover/admin-token, or the configured cutover.admin-token).
set -euo pipefail

cutover=${CUTOVER:-cutover}
if [ $# -eq 0 ]; then
  echo "usage: deploy.sh [--release NAME] [--app NAME] [--canary STEPS] IMAGE | --command -- WORD..." >&2
  exit 2
fi

# the deploy: everything after the script's name goes to `cutover deploy` as it is
if [ -n "${CUTOVER_SSH:-}" ]; then
  # over ssh: the admin address (if set) in the command, quoted; the token on stdin, so it shows
  # in no command line on either machine
  remote='read -r token; [ -z "$token" ] || export CUTOVER_ADMIN_TOKEN="$token"; '
  [ -z "${CUTOVER_ADMIN:-}" ] || remote+="export CUTOVER_ADMIN=$(printf '%q' "$CUTOVER_ADMIN"); "
  remote+="exec $cutover deploy $(printf '%q ' "$@")"
  printf '%s\n' "${CUTOVER_ADMIN_TOKEN:-}" | ssh -o BatchMode=yes "$CUTOVER_SSH" "$remote"
  exit 0     # a failed deploy (or ssh) has ended the script already: set -e, pipefail
fi
exec $cutover deploy "$@"
