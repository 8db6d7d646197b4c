#!/usr/bin/env bash
# Releases one build to one environment of a Lambda service. The service stack reads its
# release from the SSM parameter RELEASE_PARAMETER (a CloudFormation parameter of type
# AWS::SSM::Parameter::Value<String>, resolved again on every stack update), so the step writes
# the new tag there and re-applies the stack's current template. CloudFormation publishes a new
# version and moves the live alias through CodeDeploy (traffic shifting, hooks, alarms). The
# step waits for the outcome.
#
# What it keeps true however it ends: once the stack has settled, the release parameter names
# the release the stack resolved last (CloudFormation's ResolvedValue of its Release
# parameter), so a later `cdk deploy` of the stack keeps what runs: the new build after a
# release, the running one after a rollback, even when the update outlived the step's timeout
# or someone else's update resolved the parameter in between. The step succeeds exactly when
# the settled stack runs RELEASE.
#
# A target in another account or region is reached through its CDK bootstrap deploy role
# (taws, target-session.sh), and gets its own copy of the package, in its region's package
# bucket (Lambda reads a function's code from "an Amazon S3 bucket in the same AWS Region as
# your function", Lambda API Reference, FunctionCode), never overwritten either.
#
# The update carries the stage's bake as its rollback configuration: the target's health alarm
# as the rollback trigger and the bake as the monitoring time, so an alarm during the bake rolls
# the stack (and with it the alias) back, and the update ends only after the bake.
# CloudFormation keeps a stack's rollback configuration for later updates that name none
# ("By default, CloudFormation saves the rollback triggers specified for a stack and applies them
# to any subsequent update operations", CloudFormation API Reference, RollbackConfiguration), so
# the step always sets it, empty for a stage that does not bake.
#
# Environment: RELEASE (the build tag) and PIPELINE_EXECUTION_ID come from the pipeline;
# SERVICE, STAGE, STACK_NAME, PIPELINE_NAME, RELEASE_PARAMETER, RELEASE_BUCKET (the build's
# package bucket), TARGET_ROLE_ARN, TARGET_REGION and PACKAGE_BUCKET_PARAMETER (empty at home),
# ROLLBACK_ALARM_ARN and MONITORING_MINUTES (the rollback trigger and the bake; empty and 0
# for none), BUSY_MINUTES (the longest wait for another update of the stack to end before this one
# starts), TIMEOUT_MINUTES (the wait for the outcome once the update started, then it is
# cancelled) and SETTLE_MINUTES (the further wait for a cancelled update to settle) are set by
# the project; POLL_SECONDS (default 15) sets how often the stack is polled. The function
# stop_not_deployed comes from not-deployed-yet.sh, taws from target-session.sh.
set -euo pipefail

: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"
case "$RELEASE" in
  build-?*) ;;
  *) echo "refusing to release '$RELEASE': only immutable build-<id> tags are deployed" >&2; exit 1 ;;
esac
busy_deadline=$((SECONDS + BUSY_MINUTES * 60))
deadline="" # set when the update starts: TIMEOUT_MINUTES from then
settle_deadline=$((busy_deadline + (TIMEOUT_MINUTES + SETTLE_MINUTES) * 60))
poll() { sleep "${POLL_SECONDS:-15}"; }
errors="$(mktemp)"

# Functions end with an explicit "return 0": a bare return in a function the EXIT trap calls
# would return the status of the command before the trap (bash's rule), and stop the trap.
#
# stack_status prints the stack's status; NOT_DEPLOYED when the stack does not exist; DENIED
# when the step may not read it (access denied, or any other refusal no retry cures: the
# callers stop); UNKNOWN when the status could not be read for now (throttling, a network
# error): the callers try again. What the CLI writes to stderr never mixes with the status.
stack_status() {
  local out
  if out="$(taws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].StackStatus' --output text 2>"$errors")"; then
    echo "$out"
    return 0
  fi
  case "$(cat "$errors")" in
    *"does not exist"*) echo NOT_DEPLOYED ;;
    *AccessDenied*|*ValidationError*|*UnrecognizedClient*|*InvalidClientTokenId*)
      echo "may not read the status of $STACK_NAME: $(cat "$errors")" >&2; echo DENIED ;;
    *) echo "could not read the status of $STACK_NAME ($(cat "$errors")); trying again" >&2; echo UNKNOWN ;;
  esac
  return 0
}

# settled_status waits until no operation runs on the stack (a cleanup after an update counts
# as settled: the stack's parameters are final then) and prints its status; after the deadline
# it prints the status it last saw.
settled_status() {
  local until=$1 status
  while :; do
    status="$(stack_status)"
    case "$status" in
      *_CLEANUP_IN_PROGRESS|DENIED) echo "$status"; return 0 ;;
      *_IN_PROGRESS|UNKNOWN) ;;
      *) echo "$status"; return 0 ;;
    esac
    if [ "$SECONDS" -ge "$until" ]; then echo "$status"; return 0; fi
    poll
  done
}

# resolved_release prints the release the stack resolved last, trying a throttled read again.
resolved_release() {
  local try
  for try in 1 2 3 4 5; do
    if taws cloudformation describe-stacks --stack-name "$STACK_NAME" \
      --query "Stacks[0].Parameters[?ParameterKey=='Release'].ResolvedValue" --output text 2>"$errors"; then
      return 0
    fi
    echo "could not read the release $STACK_NAME resolved (try $try of 5): $(cat "$errors")" >&2
    poll
  done
  return 1
}

status="$(settled_status "$busy_deadline")"
case "$status" in
  NOT_DEPLOYED) stop_not_deployed; exit 0 ;;
  CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE|IMPORT_ROLLBACK_COMPLETE|*_CLEANUP_IN_PROGRESS) ;;
  DENIED) echo "nothing was released" >&2; exit 1 ;;
  *_IN_PROGRESS|UNKNOWN) echo "$STACK_NAME is still busy ($status) after $BUSY_MINUTES minutes: nothing was released" >&2; exit 1 ;;
  *) echo "$STACK_NAME is in state $status and cannot be updated: repair it (see its events), then release again" >&2; exit 1 ;;
esac
key="$SERVICE/$RELEASE.zip"
aws s3api head-object --bucket "$RELEASE_BUCKET" --key "$key" >/dev/null
if [ -n "${TARGET_ROLE_ARN:-}" ]; then
  target_bucket="$(taws ssm get-parameter --name "$PACKAGE_BUCKET_PARAMETER" --query Parameter.Value --output text)"
  if ! taws s3api head-object --bucket "$target_bucket" --key "$key" >/dev/null 2>"$errors"; then
    package="$(mktemp)"
    aws s3api get-object --bucket "$RELEASE_BUCKET" --key "$key" "$package" >/dev/null
    code_sha256="$(openssl dgst -sha256 -binary "$package" | base64)"
    if ! taws s3api put-object --bucket "$target_bucket" --key "$key" --body "$package" --if-none-match '*' \
      --metadata "build-tag=$RELEASE,code-sha256=$code_sha256" >/dev/null 2>"$errors"; then
      grep -q PreconditionFailed "$errors" || { cat "$errors" >&2; exit 1; } # another run copied it first
    fi
    echo "copied $key to s3://$target_bucket in $TARGET_REGION"
  fi
fi
running="$(resolved_release)"
if [ -z "$running" ] || [ "$running" = None ]; then
  echo "$STACK_NAME has no Release parameter: deploy it once with cdk deploy $STACK_NAME" >&2; exit 1
fi

# settle runs on every exit from here on: it waits for the stack to settle, points the release
# parameter at what the stack resolved, and gives the step's outcome.
settle() {
  local final resolved
  trap - EXIT
  final="$(settled_status "$settle_deadline")"
  case "$final" in
    *_CLEANUP_IN_PROGRESS) ;;
    *_IN_PROGRESS|UNKNOWN|DENIED)
      echo "$STACK_NAME has not settled ($final): once it has, set $RELEASE_PARAMETER to the Release it resolved (aws cloudformation describe-stacks --stack-name $STACK_NAME, in its account and region)" >&2
      exit 1 ;;
  esac
  if ! resolved="$(resolved_release)" || [ -z "$resolved" ] || [ "$resolved" = None ]; then
    echo "could not read the release $STACK_NAME resolved: set $RELEASE_PARAMETER to it by hand" >&2; exit 1
  fi
  taws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$resolved" >/dev/null
  # Released: the stack's own update to RELEASE completed, or it ran RELEASE already.
  case "$resolved:$final:$noop" in
    "$RELEASE":UPDATE_COMPLETE*:* | "$RELEASE":*:1) echo "released $RELEASE to $STAGE ($STACK_NAME is $final)"; exit 0 ;;
  esac
  echo "release of $RELEASE to $STAGE failed: $STACK_NAME is $final and runs $resolved; $RELEASE_PARAMETER names $resolved" >&2
  # shellcheck disable=SC2016 # backquotes are JMESPath literals, not command substitution
  taws cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20 \
    --query 'StackEvents[?contains(ResourceStatus, `FAILED`)].[LogicalResourceId,ResourceStatusReason]' --output text >&2 || true
  exit 1
}
noop=""
trap settle EXIT

echo "releasing $RELEASE to $STACK_NAME (running: $running)"
taws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$RELEASE" >/dev/null
keys="$(taws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].Parameters[].ParameterKey' --output text)"
args=()
for p in $keys; do
  [ "$p" = None ] || args+=("ParameterKey=$p,UsePreviousValue=true")
done
# A stack another update is still finishing (a cleanup, a queued execution right after the
# last) refuses the update: try again until BUSY_MINUTES have passed.
if [ -n "${ROLLBACK_ALARM_ARN:-}" ]; then
  rollback="{\"RollbackTriggers\":[{\"Arn\":\"$ROLLBACK_ALARM_ARN\",\"Type\":\"AWS::CloudWatch::CompositeAlarm\"}],\"MonitoringTimeInMinutes\":${MONITORING_MINUTES:-0}}"
else
  rollback='{"RollbackTriggers":[],"MonitoringTimeInMinutes":0}'
fi
until taws cloudformation update-stack --stack-name "$STACK_NAME" --use-previous-template \
  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameters "${args[@]}" \
  --rollback-configuration "$rollback" >/dev/null 2>"$errors"; do
  case "$(cat "$errors")" in
    *"No updates are to be performed"*) noop=1; echo "$STACK_NAME already runs $RELEASE"; exit 0 ;;
    *"_IN_PROGRESS state and can not be updated"*)
      if [ "$SECONDS" -ge "$busy_deadline" ]; then cat "$errors" >&2; echo "$STACK_NAME stayed busy for $BUSY_MINUTES minutes" >&2; exit 1; fi
      echo "$STACK_NAME is busy; trying the update again" >&2; poll ;;
    *) cat "$errors" >&2; echo "CloudFormation refused the update" >&2; exit 1 ;;
  esac
done
deadline=$((SECONDS + TIMEOUT_MINUTES * 60))
settle_deadline=$((deadline + SETTLE_MINUTES * 60))

cancelled=""
while :; do
  status="$(stack_status)"
  case "$status" in
    UPDATE_IN_PROGRESS|UPDATE_ROLLBACK_IN_PROGRESS|UNKNOWN) ;;
    DENIED) exit 1 ;;
    UPDATE_ROLLBACK_COMPLETE*) echo "the deployment was rolled back (alarm, hook or failed update)" >&2; exit 1 ;;
    *) exit 0 ;; # settle decides: UPDATE_COMPLETE* released, anything else failed
  esac
  if [ "$SECONDS" -ge "$deadline" ] && [ -z "$cancelled" ]; then
    cancelled=1
    echo "no outcome after $TIMEOUT_MINUTES minutes: cancelling the update (it rolls back)" >&2
    taws cloudformation cancel-update-stack --stack-name "$STACK_NAME" ||
      echo "the cancel was refused: waiting up to $SETTLE_MINUTES more minutes for the update to end" >&2
  fi
  [ "$SECONDS" -lt "$settle_deadline" ] || exit 1
  poll
done
