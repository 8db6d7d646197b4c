package pipeline

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/buildspec"
	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// PullRequestSpec checks a pull request: the build's install and test commands (from the
// service's folder), the JUnit report published; nothing is packaged, pushed or deployed.
func PullRequestSpec(svc spec.Service) buildspec.Spec {
	b := svc.Build
	user := userCommands(svc, map[string]string{"REPORT_DIR": b.ReportDir})
	out := buildspec.Spec{
		Variables: map[string]string{"SERVICE": svc.Name, "REPORT_DIR": svc.InFolder(b.ReportDir)},
		Install:   buildspec.Phase{Script: user("build.install", b.Install)},
		PreBuild:  buildspec.Phase{Script: append(step("prepare-reports"), user("build.test", b.Test)...)},
		Reports: map[string]buildspec.Report{
			UnitTestReportGroup: {BaseDirectory: svc.InFolder(b.ReportDir), Files: []string{"**/*.xml"}, FileFormat: "JUNITXML"},
		},
	}
	if !svc.IsContainer() {
		rt := spec.SupportedRuntimes[svc.Lambda.Runtime]
		out.Install.RuntimeVersions = map[string]string{rt.Language: rt.Version}
	}
	return out
}

// filePathProviders are the providers whose pull requests the check filters by the service's
// folder (FILE_PATH): GitHub's, which the CDK lets combine pull-request events with file paths
// since aws-cdk#9725; elsewhere every pull request to the branch is checked (docs/sources.md).
var filePathProviders = map[string]bool{"github": true}

// pullRequestCheck creates the service's pull-request check (source.pullRequests): a CodeBuild
// project, <service>-pull-requests, on the repository through the connection (source auth
// CODECONNECTIONS, whose resource is the connection: CodeBuild API Reference, SourceAuth), whose
// webhook starts it for pull requests to the branch (that touch the service's folder), and
// which reports its result back on the pull request (ReportBuildStatus). The CDK's sources do
// not take a connection (and GitLab none at all), so the project's source is set on the
// template.
func (p *MicroservicePipeline) pullRequestCheck() {
	svc := p.svc
	if !svc.ChecksPullRequests() {
		return
	}
	name := svc.Name + "-pull-requests"
	bs := PullRequestSpec(*svc).Object()
	project := awscodebuild.NewProject(p.Construct, jsii.String("PullRequests"), &awscodebuild.ProjectProps{
		ProjectName: jsii.String(name),
		BuildSpec:   awscodebuild.BuildSpec_FromObjectToYaml(&bs),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage: awscodebuild.LinuxBuildImage_STANDARD_7_0(), ComputeType: awscodebuild.ComputeType(svc.Build.ComputeType),
			Privileged: jsii.Bool(false),
		},
		EncryptionKey: p.Key,
		Timeout:       awscdk.Duration_Minutes(jsii.Number(float64(svc.Build.TimeoutMinutes))),
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{
			LogGroup: p.Logs, Prefix: jsii.String(name),
		}},
	})
	filters := []map[string]interface{}{
		{"Type": "EVENT", "Pattern": spec.PullRequestEvents(svc.Source.Provider)},
		{"Type": "BASE_REF", "Pattern": fmt.Sprintf("^refs/heads/%s$", regexp.QuoteMeta(svc.Branch))},
	}
	if svc.Source.Folder != "" && filePathProviders[svc.Source.Provider] {
		filters = append(filters, map[string]interface{}{"Type": "FILE_PATH", "Pattern": "^" + regexp.QuoteMeta(svc.Source.Folder) + "/"})
	}
	cdkutil.ConnectionWebhook(project, spec.Providers[svc.Source.Provider].SourceType, svc.RepositoryURL(), svc.Source.Connection, filters)
	p.PullRequestProject = project
}
