#!/usr/bin/env bash
# A function the deploy and prepare steps share: taws runs the AWS CLI in the target's account
# and region. A target outside the pipeline's own account or region is reached through its CDK
# bootstrap deploy role (cdk-<qualifier>-deploy-role-<account>-<region>, which trusts the
# pipeline's account after `cdk bootstrap --trust <pipeline account>`); at home (no
# TARGET_ROLE_ARN) taws is the CLI itself. The role's credentials are kept in a file (command
# substitutions run in subshells) and renewed after 45 minutes: a role assumed with CodeBuild's
# own credentials is a chained session, which lasts at most an hour ("Role chaining limits your
# AWS CLI or AWS API role session to a maximum of one hour", IAM User Guide).
#
# Environment: TARGET_ROLE_ARN and TARGET_REGION (both empty at home) and PIPELINE_NAME are set
# by the project.
set -euo pipefail

target_credentials="$(mktemp)"

taws() {
  if [ -z "${TARGET_ROLE_ARN:-}" ]; then
    aws "$@"
    return $?
  fi
  local now expires key secret token
  now="$(date +%s)"
  read -r expires key secret token < "$target_credentials" || expires=0
  if [ "${expires:-0}" -le "$now" ]; then
    read -r key secret token < <(aws sts assume-role --role-arn "$TARGET_ROLE_ARN" --role-session-name "golden-$PIPELINE_NAME" \
      --duration-seconds 3600 --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text) || token=""
    # (read fails on no answer; the check below says why, wherever taws is called from)
    [ -n "${token:-}" ] || { echo "could not assume $TARGET_ROLE_ARN: bootstrap the target with cdk bootstrap --trust <pipeline account>" >&2; return 1; }
    printf '%s %s %s %s\n' "$((now + 45 * 60))" "$key" "$secret" "$token" > "$target_credentials"
  fi
  AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_SESSION_TOKEN="$token" \
    AWS_REGION="$TARGET_REGION" AWS_DEFAULT_REGION="$TARGET_REGION" aws "$@"
}
