#!/usr/bin/env bash
# Renders what CodeDeploy deploys to one environment from the build's imageDetail.json:
# taskdef.json, the environment's current task definition (as CDK last deployed it: CPU,
# memory, roles, environment, logging) with the image replaced by the placeholder
# <IMAGE1_NAME>; appspec.yaml; and imageDetail.json itself, after refusing any image that is
# not this service's image pinned by digest. The task definition's ARN is the SSM parameter
# TASK_DEFINITION_PARAMETER, which the service stack writes: without it the stack is not
# deployed yet, and the step stops the execution (stop_not_deployed, not-deployed-yet.sh). It
# also writes service-url, the stage's production URL (the URL_PARAMETER the stack writes),
# which the build exports as SERVICE_URL for the integration tests. In another account or region the step reads through the target's
# deploy role (taws, target-session.sh).
#
# Environment: RELEASE and PIPELINE_EXECUTION_ID come from the pipeline;
# TASK_DEFINITION_PARAMETER, URL_PARAMETER, APPSPEC, STAGE, STACK_NAME, PIPELINE_NAME,
# CONTAINER_NAME, REPOSITORY_URI, TARGET_ROLE_ARN and TARGET_REGION are set by the project.
set -euo pipefail

: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"
case "$RELEASE" in build-?*) ;; *) echo "refusing to release '$RELEASE': only immutable build-<id> tags are deployed" >&2; exit 1 ;; esac
image="$(jq -r .ImageURI imageDetail.json)"
case "$image" in "$REPOSITORY_URI"@sha256:?*) ;; *) echo "refusing image '$image': not this service's image pinned by digest" >&2; exit 1 ;; esac
errors="$(mktemp)"
if ! arn="$(taws ssm get-parameter --name "$TASK_DEFINITION_PARAMETER" --query Parameter.Value --output text 2>"$errors")"; then
  case "$(cat "$errors")" in
    *ParameterNotFound*) stop_not_deployed; exit 0 ;;
    *) cat "$errors" >&2; exit 1 ;;
  esac
fi
taws ecs describe-task-definition --task-definition "$arn" --query taskDefinition --output json > current-taskdef.json
jq --arg name "$CONTAINER_NAME" --arg image '<IMAGE1_NAME>' '
  del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)
  | .containerDefinitions |= map(if .name == $name then .image = $image else . end)' current-taskdef.json > taskdef.json
jq -e --arg name "$CONTAINER_NAME" '[.containerDefinitions[] | select(.name == $name and .image == "<IMAGE1_NAME>")] | length == 1' taskdef.json >/dev/null ||
  { echo "the task definition has no container named $CONTAINER_NAME" >&2; exit 1; }
printf '%s\n' "$APPSPEC" > appspec.yaml
# The URL, for CodeBuild to export (its shell reads service-url after this step).
taws ssm get-parameter --name "$URL_PARAMETER" --query Parameter.Value --output text > service-url
echo "prepared $image for $STAGE ($(cat service-url))"
