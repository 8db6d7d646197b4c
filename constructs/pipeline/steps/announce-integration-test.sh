#!/usr/bin/env bash
# Says what the integration tests run against, before the service's own commands: the staging
# function's live alias (FUNCTION_ARN) or, for a container service, staging's URL
# (SERVICE_URL). RELEASE comes from the pipeline.
set -euo pipefail

: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"
echo "integration tests of $RELEASE against ${FUNCTION_ARN:-${SERVICE_URL:-}}"
