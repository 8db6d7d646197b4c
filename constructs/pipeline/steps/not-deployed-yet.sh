#!/usr/bin/env bash
# A function the deploy and prepare steps share: when the environment's service stack has not
# been deployed yet (a pipeline starts an execution as soon as it is created, before anyone ran
# `cdk deploy` on its service stacks), the step stops its own pipeline execution instead of
# failing it. CodePipeline's "stop and wait" lets this action finish (it exits 0), starts no
# later action and ends the execution as Stopped, with the reason below: no failure, no
# failure notification. Deploy the service stacks, then "Release change".
#
# Environment: PIPELINE_NAME and STACK_NAME are set by the project; the action passes
# PIPELINE_EXECUTION_ID (#{codepipeline.PipelineExecutionId}).
set -euo pipefail

stop_not_deployed() {
  local reason="$STACK_NAME is not deployed yet: run cdk deploy $STACK_NAME, then release again"
  : "${PIPELINE_EXECUTION_ID:?PIPELINE_EXECUTION_ID (the pipeline variable codepipeline.PipelineExecutionId) is not set}"
  echo "$reason: stopping pipeline execution $PIPELINE_EXECUTION_ID (nothing was released)"
  aws codepipeline stop-pipeline-execution --pipeline-name "$PIPELINE_NAME" \
    --pipeline-execution-id "$PIPELINE_EXECUTION_ID" --reason "$reason" >/dev/null
}
