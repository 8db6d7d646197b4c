#!/usr/bin/env bash
# Assesses a change of the golden pipelines before it is deployed: prints the diff of every
# stack the platform pipeline deploys (itself included), and decides whether a person approves
# it first. It does when the change widens permissions (`--fail-on broadening`: "only on
# changes that broaden security permissions", CDK CLI `cdk diff --help`) or changes more
# pipeline stacks than APPROVAL_ABOVE. The diffs compare templates (`--method template`, which
# "uses the lookup role"): no change set is created. A diff that cannot be computed exits like
# a widening or a change (the CLI's exit code 1 for both): the safe side, an approval.
#
# Environment: STACKS (the stacks it deploys, one line each), PIPELINE_STACKS (the services'
# pipeline stacks, one line each) and APPROVAL_ABOVE are set by the project. Writes the files
# needs-approval, broadening and changed-stacks, which CodeBuild's shell exports as
# NEEDS_APPROVAL, BROADENING and CHANGED_STACKS.
set -euo pipefail

: "${APPROVAL_ABOVE:?APPROVAL_ABOVE is not set}"
: "${STACKS:?STACKS is not set}"
mapfile -t stacks <<<"$STACKS"
mapfile -t pipelines <<<"${PIPELINE_STACKS:-}"

broadening=false
if ! cdk --app . diff --method template --fail-on broadening "${stacks[@]}"; then
  broadening=true
fi
changed=0
for stack in "${pipelines[@]}"; do
  [ -n "$stack" ] || continue
  if ! cdk --app . diff --method template --fail "$stack" >/dev/null; then
    changed=$((changed + 1))
  fi
done
needs_approval=false
if [ "$broadening" = true ] || [ "$changed" -gt "$APPROVAL_ABOVE" ]; then
  needs_approval=true
fi
echo "permissions widened (or not assessable): $broadening; pipeline stacks changed: $changed (approval above $APPROVAL_ABOVE); approval: $needs_approval"
echo "$needs_approval" > needs-approval
echo "$broadening" > broadening
echo "$changed" > changed-stacks
