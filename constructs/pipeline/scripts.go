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
// exported variable and every later phase see it; steps/check-build-tag.sh then refuses any
// other tag.
var buildTagSetup = []string{`export BUILD_TAG="build-${CODEBUILD_BUILD_ID##*:}"`}

// LambdaBuildSpec is the build stage of a Lambda service: install, unit tests (published as a
// JUnit report), package, and upload the package under its build tag. The upload uses S3's
// conditional write (If-None-Match: *), so an existing release object is never overwritten.
//
// Environment: SERVICE, RELEASE_BUCKET and PACKAGE_DIR are set by the project; CodeBuild sets
// CODEBUILD_BUILD_ID and CODEBUILD_RESOLVED_SOURCE_VERSION.
func LambdaBuildSpec(svc spec.Service) buildspec.Spec {
	rt := spec.SupportedRuntimes[svc.Lambda.Runtime]
	b := svc.Build
	user := userCommands(svc, map[string]string{"PACKAGE_DIR": b.PackageDir, "REPORT_DIR": b.ReportDir})
	return buildspec.Spec{
		Variables: map[string]string{
			"SERVICE":     svc.Name,
			"PACKAGE_DIR": svc.InFolder(b.PackageDir),
			"REPORT_DIR":  svc.InFolder(b.ReportDir),
		},
		ExportedVariables: []string{BuildTagVariable},
		Install: buildspec.Phase{
			RuntimeVersions: map[string]string{rt.Language: rt.Version},
			Setup:           buildTagSetup,
			Script:          append(step("check-build-tag"), user("build.install", b.Install)...),
		},
		PreBuild: buildspec.Phase{
			Script: append(step("prepare-reports"), user("build.test", b.Test)...),
		},
		Build: buildspec.Phase{
			Script: append(user("build.package", b.Package), step("package-lambda")...),
		},
		Reports: map[string]buildspec.Report{
			UnitTestReportGroup: {BaseDirectory: svc.InFolder(b.ReportDir), Files: []string{"**/*.xml"}, FileFormat: "JUNITXML"},
		},
		Artifacts: &buildspec.Artifacts{Files: []string{ReleaseFile}},
	}
}

// userCommands runs the service's own commands (buildspec.UserCommands) from its folder in a
// monorepo (source.folder), with env, the paths the definition writes relative to that folder,
// exported as written; the generated steps work from the source's root, where the project's
// variables name the same paths with the folder in front.
func userCommands(svc spec.Service, env map[string]string) func(field string, cmds []string) []string {
	return func(field string, cmds []string) []string {
		if svc.Source.Folder == "" {
			return buildspec.UserCommands(field, cmds)
		}
		return buildspec.UserCommandsIn(field, cmds, svc.Source.Folder, env)
	}
}

// DeploySpec releases one build to one environment: steps/deploy-lambda.sh, which documents
// what it keeps true and the environment it reads.
func DeploySpec() buildspec.Spec {
	return buildspec.Spec{
		Build: buildspec.Phase{Script: steps("not-deployed-yet", "target-session", "deploy-lambda")},
	}
}

// IntegrationTestSpec runs a stage's integration tests against one of its targets. The project sets
// FUNCTION_NAME, FUNCTION_ALIAS and FUNCTION_ARN; the pipeline passes RELEASE.
//
// For a container service the project sets SERVICE_URL, staging's production URL, instead.
func IntegrationTestSpec(svc spec.Service, t spec.IntegrationTest) buildspec.Spec {
	user := userCommands(svc, nil)
	out := buildspec.Spec{
		Install: buildspec.Phase{Script: append(step("announce-integration-test"), user("integrationTest.install", t.Install)...)},
		Build:   buildspec.Phase{Script: user("integrationTest.commands", t.Commands)},
	}
	if !svc.IsContainer() {
		rt := spec.SupportedRuntimes[svc.Lambda.Runtime]
		out.Install.RuntimeVersions = map[string]string{rt.Language: rt.Version}
	}
	return out
}
