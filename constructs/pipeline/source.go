package pipeline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
)

// sourceAction is where the pipeline's code comes from: a CodeCommit branch, whose pushes start
// the pipeline through an EventBridge rule (CodePipeline never polls), or a CodeConnections
// connection (GitHub, GitHub Enterprise Server, GitLab, Bitbucket), whose pushes start it
// through the trigger of sourceTriggers.
func (p *MicroservicePipeline) sourceAction(output awscodepipeline.Artifact) awscodepipeline.IAction {
	svc := p.svc
	if !svc.UsesConnection() {
		return awscodepipelineactions.NewCodeCommitSourceAction(&awscodepipelineactions.CodeCommitSourceActionProps{
			ActionName: jsii.String("Source"),
			Repository: awscodecommit.Repository_FromRepositoryName(p.Construct, jsii.String("Repository"), jsii.String(svc.Repository)),
			Branch:     jsii.String(svc.Branch),
			Output:     output,
			Trigger:    awscodepipelineactions.CodeCommitTrigger_EVENTS,
		})
	}
	return awscodepipelineactions.NewCodeStarConnectionsSourceAction(&awscodepipelineactions.CodeStarConnectionsSourceActionProps{
		ActionName:    jsii.String("Source"),
		ConnectionArn: jsii.String(svc.Source.Connection),
		Owner:         jsii.String(svc.RepositoryOwner()),
		Repo:          jsii.String(svc.RepositoryPath()),
		Branch:        jsii.String(svc.Branch),
		Output:        output,
		// The trigger decides which pushes start the pipeline ("When a trigger configuration is
		// specified, default change detection for repository and branch commits is disabled",
		// CodePipeline User Guide, "Automate starting pipelines using triggers and filtering").
		TriggerOnPush: jsii.Bool(false),
	})
}

// sourceTriggers are the pipeline's CodePipeline V2 triggers: for a connection, one push filter,
// either the release tags, or the branch with the service's folder (a push that changes no
// file under it starts nothing). A push filter takes tags, or branches, or branches with file
// paths, not tags with either ("Valid combinations are: tags; branches; branches + file
// paths", CodePipeline User Guide, "Filter triggers on code push or pull requests"). CodeCommit
// needs none.
func (p *MicroservicePipeline) sourceTriggers(source awscodepipeline.IAction) *[]*awscodepipeline.TriggerProps {
	svc := p.svc
	if !svc.UsesConnection() {
		return nil
	}
	push := &awscodepipeline.GitPushFilter{BranchesIncludes: jsii.Strings(svc.Branch)}
	if len(svc.Source.Tags) > 0 {
		push = &awscodepipeline.GitPushFilter{TagsIncludes: jsii.Strings(svc.Source.Tags...)}
	} else if svc.Source.Folder != "" {
		push.FilePathsIncludes = jsii.Strings(svc.Source.Folder + "/**")
	}
	return &[]*awscodepipeline.TriggerProps{{
		ProviderType: awscodepipeline.ProviderType_CODE_STAR_SOURCE_CONNECTION,
		GitConfiguration: &awscodepipeline.GitConfiguration{
			SourceAction: source,
			PushFilter:   &[]*awscodepipeline.GitPushFilter{push},
		},
	}}
}

// allowConnection lets the source action use a connection named with the codeconnections
// prefix (cdkutil.AllowConnection).
func (p *MicroservicePipeline) allowConnection() {
	if p.svc.UsesConnection() {
		cdkutil.AllowConnection(p.Pipeline, p.svc.Source.Connection)
	}
}
