#!/usr/bin/env bash
# Synthesizes the golden-pipelines app as the README's main job does: the pinned CDK CLI
# (npm ci), the CDK's CloudFormation validation on, then the Control Tower check over the
# cloud assembly. The assembly (cdk.out) is the stage's artifact: every later step deploys
# exactly what was synthesized and checked here.
set -euo pipefail

npm ci
npm run cdk -- synth --quiet
go run ./cmd/controltower cdk.out
