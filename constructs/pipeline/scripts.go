package pipeline

import (
	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// BuildTagVariable is the exported build variable that carries the release tag from the build
// stage to every later action.
const BuildTagVariable = "BUILD_TAG"

// ReleaseFile is the build's output artifact: what was released, by whom, from which commit.
const ReleaseFile = "release.json"

// UnitTestReportGroup names the CodeBuild report group of the unit tests.
const UnitTestReportGroup = "unit-tests"

// buildTagSetup derives the immutable tag from the build's own ID: CODEBUILD_BUILD_ID is
// "<project>:<uuid>", so the tag is "build-<uuid>". It runs in CodeBuild's shell so that the
// exported variable and every later phase see it.
var buildTagSetup = []string{`export BUILD_TAG="build-${CODEBUILD_BUILD_ID##*:}"`}

// checkBuildTag fails the build when CODEBUILD_BUILD_ID has no uuid part, so no package is ever
// named by anything but a build ID.
var checkBuildTag = []string{
	`case "${CODEBUILD_BUILD_ID:-}" in`,
	`  ?*:?*) ;;`,
	`  *) echo "CODEBUILD_BUILD_ID '${CODEBUILD_BUILD_ID:-}' has no build uuid: refusing to name a release" >&2; exit 1 ;;`,
	`esac`,
	`echo "release tag: $BUILD_TAG"`,
}

// LambdaBuildSpec is the build stage of a Lambda service: install, unit tests (published as a
// JUnit report), package, and upload the package under its build tag. The upload uses S3's
// conditional write (If-None-Match: *), so an existing release object is never overwritten.
//
// Environment: SERVICE, RELEASE_BUCKET and PACKAGE_DIR are set by the project; CodeBuild sets
// CODEBUILD_BUILD_ID and CODEBUILD_RESOLVED_SOURCE_VERSION.
func LambdaBuildSpec(svc spec.Service) buildspec.Spec {
	rt := spec.SupportedRuntimes[svc.Lambda.Runtime]
	b := svc.Build
	return buildspec.Spec{
		Variables: map[string]string{
			"SERVICE":     svc.Name,
			"PACKAGE_DIR": b.PackageDir,
			"REPORT_DIR":  b.ReportDir,
		},
		ExportedVariables: []string{BuildTagVariable},
		Install: buildspec.Phase{
			RuntimeVersions: map[string]string{rt.Language: rt.Version},
			Setup:           buildTagSetup,
			Script:          append(append([]string{}, checkBuildTag...), b.Install...),
		},
		PreBuild: buildspec.Phase{
			Script: append([]string{`mkdir -p "$REPORT_DIR"`}, b.Test...),
		},
		Build: buildspec.Phase{
			Script: append(append([]string{}, b.Package...),
				`if [ ! -d "$PACKAGE_DIR" ] || [ -z "$(ls -A "$PACKAGE_DIR")" ]; then`,
				`  echo "the package commands left $PACKAGE_DIR empty: nothing to release" >&2; exit 1`,
				`fi`,
				`package="$(mktemp -d)/$BUILD_TAG.zip"`,
				`(cd "$PACKAGE_DIR" && find . \( -type f -o -type l \) | LC_ALL=C sort | zip -q -X -@ "$package")`,
				`code_sha256="$(openssl dgst -sha256 -binary "$package" | base64)"`,
				`key="$SERVICE/$BUILD_TAG.zip"`,
				`aws s3api put-object --bucket "$RELEASE_BUCKET" --key "$key" --body "$package" \`,
				`  --if-none-match '*' --metadata "build-tag=$BUILD_TAG,code-sha256=$code_sha256" >/dev/null`,
				`printf '{"service":"%s","release":"%s","bucket":"%s","key":"%s","codeSha256":"%s","sourceVersion":"%s"}\n' \`,
				`  "$SERVICE" "$BUILD_TAG" "$RELEASE_BUCKET" "$key" "$code_sha256" "${CODEBUILD_RESOLVED_SOURCE_VERSION:-unknown}" > `+ReleaseFile,
				`echo "released s3://$RELEASE_BUCKET/$key (CodeSha256 $code_sha256)"`,
			),
		},
		Reports: map[string]buildspec.Report{
			UnitTestReportGroup: {BaseDirectory: b.ReportDir, Files: []string{"**/*.xml"}, FileFormat: "JUNITXML"},
		},
		Artifacts: &buildspec.Artifacts{Files: []string{ReleaseFile}},
	}
}

// DeploySpec releases one build to one environment. The service stack reads its release from
// the SSM parameter RELEASE_PARAMETER (a CloudFormation parameter of type
// AWS::SSM::Parameter::Value<String>), so the step writes the new tag there and re-applies the
// stack's current template. CloudFormation publishes a new version and moves the live alias
// through CodeDeploy (traffic shifting, hooks, alarms). The step waits for the outcome: a
// rollback, an error or a timeout fails the action, and on any exit short of a release the
// parameter is put back to the release the stack still runs (as CloudFormation resolved it),
// so a later `cdk deploy` of the stack redeploys that one.
//
// Environment: RELEASE (the build tag) comes from the pipeline; SERVICE, ENVIRONMENT,
// STACK_NAME, RELEASE_PARAMETER, RELEASE_BUCKET and TIMEOUT_MINUTES are set by the project;
// POLL_SECONDS (default 15) sets how often the stack is polled.
func DeploySpec() buildspec.Spec {
	return buildspec.Spec{
		Build: buildspec.Phase{Script: deployScript},
	}
}

var deployScript = []string{
	`: "${RELEASE:?RELEASE (the build tag from the build stage) is not set}"`,
	`case "$RELEASE" in`,
	`  build-?*) ;;`,
	`  *) echo "refusing to release '$RELEASE': only immutable build-<id> tags are deployed" >&2; exit 1 ;;`,
	`esac`,
	`aws s3api head-object --bucket "$RELEASE_BUCKET" --key "$SERVICE/$RELEASE.zip" >/dev/null`,
	// What the environment runs: the release as CloudFormation resolved it last, not the
	// parameter, which a killed earlier run may have left pointing elsewhere.
	`running="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" \`,
	`  --query "Stacks[0].Parameters[?ParameterKey=='Release'].ResolvedValue" --output text)"`,
	`if [ -z "$running" ] || [ "$running" = None ]; then`,
	`  echo "$STACK_NAME has no Release parameter: deploy it once with cdk deploy $STACK_NAME" >&2; exit 1`,
	`fi`,
	// Whatever ends this step short of a release (a failure, an error, a timeout), the
	// parameter goes back to the running build, so a later cdk deploy keeps that one.
	`released=""`,
	`restore() {`,
	`  [ -z "$released" ] || return 0`,
	`  echo "restoring $RELEASE_PARAMETER to $running, the build $ENVIRONMENT runs" >&2`,
	`  aws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$running" >/dev/null ||`,
	`    echo "could not restore $RELEASE_PARAMETER: set it to $running by hand" >&2`,
	`}`,
	`trap restore EXIT`,
	`fail() {`,
	`  echo "release of $RELEASE to $ENVIRONMENT failed: $1" >&2`,
	`  aws cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20 \`,
	`    --query 'StackEvents[?contains(ResourceStatus, ` + "`FAILED`" + `)].[LogicalResourceId,ResourceStatusReason]' --output text >&2 || true`,
	`  exit 1`,
	`}`,
	`echo "releasing $RELEASE to $STACK_NAME (running: $running)"`,
	`aws ssm put-parameter --name "$RELEASE_PARAMETER" --type String --overwrite --value "$RELEASE" >/dev/null`,
	`keys="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].Parameters[].ParameterKey' --output text)"`,
	`args=()`,
	`for p in $keys; do`,
	`  [ "$p" = None ] || args+=("ParameterKey=$p,UsePreviousValue=true")`,
	`done`,
	`if ! out="$(aws cloudformation update-stack --stack-name "$STACK_NAME" --use-previous-template \`,
	`    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameters "${args[@]}" 2>&1)"; then`,
	`  case "$out" in`,
	`    *"No updates are to be performed"*) released=1; echo "$STACK_NAME already runs $RELEASE"; exit 0 ;;`,
	`  esac`,
	`  echo "$out" >&2`,
	`  fail "CloudFormation refused the update"`,
	`fi`,
	`deadline=$((SECONDS + TIMEOUT_MINUTES * 60))`,
	`while :; do`,
	`  if ! status="$(aws cloudformation describe-stacks --stack-name "$STACK_NAME" --query 'Stacks[0].StackStatus' --output text)"; then`,
	`    echo "could not read the status of $STACK_NAME; trying again" >&2; status=UNKNOWN`,
	`  fi`,
	`  case "$status" in`,
	`    UPDATE_COMPLETE|UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) released=1; echo "released $RELEASE to $ENVIRONMENT"; exit 0 ;;`,
	`    UPDATE_IN_PROGRESS|UPDATE_ROLLBACK_IN_PROGRESS|UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS|UNKNOWN) ;;`,
	`    UPDATE_ROLLBACK_COMPLETE) fail "the deployment was rolled back (alarm, hook or failed update); $ENVIRONMENT still runs $running" ;;`,
	`    *) fail "the stack is in state $status" ;;`,
	`  esac`,
	`  if [ "$SECONDS" -ge "$deadline" ]; then`,
	`    aws cloudformation cancel-update-stack --stack-name "$STACK_NAME" || true`,
	`    fail "no outcome after $TIMEOUT_MINUTES minutes: the update was cancelled and rolls back"`,
	`  fi`,
	`  sleep "${POLL_SECONDS:-15}"`,
	`done`,
}

// IntegrationTestSpec runs the service's integration tests against staging. The project sets
// FUNCTION_NAME, FUNCTION_ALIAS and FUNCTION_ARN; the pipeline passes RELEASE.
//
// For a container service the project sets SERVICE_URL, staging's production URL, instead.
func IntegrationTestSpec(svc spec.Service) buildspec.Spec {
	t := svc.IntegrationTest
	if svc.IsContainer() {
		return buildspec.Spec{
			Install: buildspec.Phase{Script: append([]string{`echo "integration tests of $RELEASE against $SERVICE_URL"`}, t.Install...)},
			Build:   buildspec.Phase{Script: t.Commands},
		}
	}
	rt := spec.SupportedRuntimes[svc.Lambda.Runtime]
	return buildspec.Spec{
		Install: buildspec.Phase{
			RuntimeVersions: map[string]string{rt.Language: rt.Version},
			Script:          append([]string{`echo "integration tests of $RELEASE against $FUNCTION_ARN"`}, t.Install...),
		},
		Build: buildspec.Phase{Script: t.Commands},
	}
}
