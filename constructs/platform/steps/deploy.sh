#!/usr/bin/env bash
# Deploys stacks of the synthesized assembly (the Synth stage's artifact, the working
# directory) with the pinned CDK CLI (cdk, installed by the project), each only
# (--exclusively: never a stack they depend on that the pipeline does not name, so never a
# service stack), without prompting: the Assess stage and its approval decided that.
#
# Environment: STACKS (one line each) is set by the project.
set -euo pipefail

: "${STACKS:?STACKS is not set}"
mapfile -t stacks <<<"$STACKS"
cdk --app . deploy --exclusively --require-approval never --concurrency 4 "${stacks[@]}"
