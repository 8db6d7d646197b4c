#!/usr/bin/env bash
# Shows what a pull request of this repository would change: the diff of every stack of the
# app synthesized by synth.sh (the pinned CLI from npm ci), against the deployed templates
# (`--method template`, read through the CDK bootstrap lookup role: no change set, nothing
# deployed). A stack that differs does not fail the check (the diff is for the reviewers); a
# diff that cannot be computed does.
set -euo pipefail

npx cdk --app cdk.out diff --method template --fail-on never
