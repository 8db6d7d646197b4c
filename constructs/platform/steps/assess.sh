#!/usr/bin/env bash
# Assesses a change of the golden pipelines before it is deployed: prints the diff of every
# stack the platform pipeline deploys, and decides whether a person approves it first. It does
# when the change widens permissions (`cdk diff --security-only --fail` exits non-zero on
# broadened IAM statements or security group rules: "Only diff for broadened security
# changes", CDK CLI reference) or changes more pipeline stacks than APPROVAL_ABOVE. A diff that
# cannot be computed counts as a change (the safe side).
#
# Environment: STACKS (the stacks it deploys, one line each), PIPELINE_STACKS (the services'
# pipeline stacks, one line each) and APPROVAL_ABOVE are set by the project. Writes
# NEEDS_APPROVAL, BROADENING and CHANGED_STACKS for CodeBuild to export.
set -euo pipefail

: "${APPROVAL_ABOVE:?APPROVAL_ABOVE is not set}"
: "${STACKS:?STACKS is not set}"
mapfile -t stacks <<<"$STACKS"
mapfile -t pipelines <<<"$PIPELINE_STACKS"

broadening=false
if ! cdk --app . diff --security-only --fail "${stacks[@]}"; then
  broadening=true
fi
changed=0
for stack in "${pipelines[@]}"; do
  [ -n "$stack" ] || continue
  if ! cdk --app . diff --fail "$stack"; then
    changed=$((changed + 1))
  fi
done
needs_approval=false
if [ "$broadening" = true ] || [ "$changed" -gt "$APPROVAL_ABOVE" ]; then
  needs_approval=true
fi
echo "permissions widened: $broadening; pipeline stacks changed: $changed (approval above $APPROVAL_ABOVE); approval: $needs_approval"
echo "$needs_approval" > needs-approval
echo "$broadening" > broadening
echo "$changed" > changed-stacks
