#!/usr/bin/env bash
# Runs after a successful deployment: tags the released image deployed-<target>-<release>
# (a new tag on the same digest), which the repository's lifecycle policy keeps per
# environment, so the image an environment runs is never expired. A re-run finds the tag there
# and goes on; any other failure fails the step, because an untagged running image could be
# expired.
#
# Environment: RELEASE comes from the pipeline; TARGET_TAG (<stage>, or <stage>-<target> for a
# stage of several targets) and REPOSITORY_URI are set by the project; imageDetail.json is the
# input.
set -euo pipefail

: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"
image="$(jq -r .ImageURI imageDetail.json)"
case "$image" in "$REPOSITORY_URI"@sha256:?*) ;; *) echo "refusing image '$image': not this service's image pinned by digest" >&2; exit 1 ;; esac
repository="${REPOSITORY_URI#*/}"
manifest="$(aws ecr batch-get-image --repository-name "$repository" --image-ids imageDigest="${image#*@}" --query 'images[0].imageManifest' --output text)"
case "$manifest" in ""|None) echo "ECR has no manifest for $image" >&2; exit 1 ;; esac
if ! out="$(aws ecr put-image --repository-name "$repository" --image-tag "deployed-$TARGET_TAG-$RELEASE" --image-manifest "$manifest" 2>&1)"; then
  case "$out" in *ImageAlreadyExistsException*) ;; *) echo "$out" >&2; exit 1 ;; esac
fi
echo "recorded $image as deployed-$TARGET_TAG-$RELEASE"
