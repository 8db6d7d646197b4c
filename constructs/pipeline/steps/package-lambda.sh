#!/usr/bin/env bash
# Zips what the package commands left in PACKAGE_DIR and uploads it as the release
# s3://$RELEASE_BUCKET/$SERVICE/$BUILD_TAG.zip with S3's conditional write (If-None-Match: *),
# so an existing release object is never replaced; then writes release.json, the build's
# artifact. The zip is reproducible (sorted entries, no extra attributes), and its SHA-256 is
# Lambda's CodeSha256 of the release.
#
# Environment: SERVICE, PACKAGE_DIR, RELEASE_BUCKET, BUILD_TAG; CodeBuild sets
# CODEBUILD_RESOLVED_SOURCE_VERSION.
set -euo pipefail

: "${BUILD_TAG:?BUILD_TAG is not set}"
if [ ! -d "./$PACKAGE_DIR" ] || [ -z "$(ls -A -- "./$PACKAGE_DIR")" ]; then
  echo "the package commands left $PACKAGE_DIR empty: nothing to release" >&2; exit 1
fi
package="$(mktemp -d)/$BUILD_TAG.zip"
(cd -- "./$PACKAGE_DIR" && find . \( -type f -o -type l \) | LC_ALL=C sort | zip -q -X -@ "$package")
code_sha256="$(openssl dgst -sha256 -binary "$package" | base64)"
key="$SERVICE/$BUILD_TAG.zip"
aws s3api put-object --bucket "$RELEASE_BUCKET" --key "$key" --body "$package" \
  --if-none-match '*' --metadata "build-tag=$BUILD_TAG,code-sha256=$code_sha256" >/dev/null
printf '{"service":"%s","release":"%s","bucket":"%s","key":"%s","codeSha256":"%s","sourceVersion":"%s"}\n' \
  "$SERVICE" "$BUILD_TAG" "$RELEASE_BUCKET" "$key" "$code_sha256" "${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown}" > release.json
echo "released s3://$RELEASE_BUCKET/$key (CodeSha256 $code_sha256)"
