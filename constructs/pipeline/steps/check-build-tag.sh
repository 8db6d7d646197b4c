#!/usr/bin/env bash
# Refuses to name a release by anything but the build's own ID. CODEBUILD_BUILD_ID is
# "<project>:<uuid>"; the build's setup line exported BUILD_TAG="build-<uuid>" from it.
set -euo pipefail

case "${CODEBUILD_BUILD_ID:-}" in
  ?*:?*) ;;
  *) echo "CODEBUILD_BUILD_ID '${CODEBUILD_BUILD_ID:-}' has no build uuid: refusing to name a release" >&2; exit 1 ;;
esac
case "${BUILD_TAG:-}" in
  "build-${CODEBUILD_BUILD_ID##*:}") ;;
  *) echo "BUILD_TAG '${BUILD_TAG:-}' is not build-<uuid of CODEBUILD_BUILD_ID>: refusing to name a release" >&2; exit 1 ;;
esac
echo "release tag: $BUILD_TAG"
