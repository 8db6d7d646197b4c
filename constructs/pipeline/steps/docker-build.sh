#!/usr/bin/env bash
# Builds the service's image, tags it with the build tag, pushes it, and names it by digest:
# imageDetail.json ({"ImageURI": "<repository>@sha256:…"}, the file CodePipeline's
# CodeDeployToECS action reads) and release.json, the build's artifacts. With an ECR source
# (the base image), its image pinned by digest is the build argument BASE_IMAGE. The
# repository's tags are immutable: a second push of a tag fails.
#
# Environment: SERVICE, DOCKERFILE, CONTEXT and REPOSITORY_URI are set by the project,
# BUILD_TAG by the build's setup line; CodeBuild sets AWS_REGION,
# CODEBUILD_RESOLVED_SOURCE_VERSION and, with an ECR source, CODEBUILD_SRC_DIR_BaseImage.
set -euo pipefail

: "${BUILD_TAG:?BUILD_TAG is not set}"
registry="${REPOSITORY_URI%%/*}"
repository="${REPOSITORY_URI#*/}"
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry"
build_args=()
if [ -n "${CODEBUILD_SRC_DIR_BaseImage:-}" ]; then
  base="$(jq -r .ImageURI "$CODEBUILD_SRC_DIR_BaseImage/imageDetail.json")"
  case "$base" in *@sha256:?*) ;; *) echo "base image '$base' is not pinned by digest" >&2; exit 1 ;; esac
  build_args+=(--build-arg "BASE_IMAGE=$base")
fi
image="$REPOSITORY_URI:$BUILD_TAG"
# The Dockerfile and context are paths inside the source: ./ keeps a name starting with '-'
# from reading as an option.
docker build --file "./$DOCKERFILE" --tag "$image" "${build_args[@]}" "./$CONTEXT"
docker push "$image"
digest="$(aws ecr describe-images --repository-name "$repository" --image-ids imageTag="$BUILD_TAG" --query 'imageDetails[0].imageDigest' --output text)"
case "$digest" in sha256:?*) ;; *) echo "ECR has no digest for $image" >&2; exit 1 ;; esac
printf '{"ImageURI":"%s@%s"}\n' "$REPOSITORY_URI" "$digest" > imageDetail.json
printf '{"service":"%s","release":"%s","image":"%s@%s","sourceVersion":"%s"}\n' \
  "$SERVICE" "$BUILD_TAG" "$REPOSITORY_URI" "$digest" "${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown}" > release.json
echo "released $REPOSITORY_URI@$digest as $BUILD_TAG"
