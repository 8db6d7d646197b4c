package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// SupportScope gives the pipeline a construct scope in a stack of an account and region other
// than its own, where it keeps what must live there: its targets' release parameters, the
// deployment groups it deploys to (imported, so their ARNs name that account and region), the
// role its CodeDeployToECS actions act through in another account, and, in its own account, a
// region's artifact store. The pipeline stack is made to depend on that stack. The app's
// stacks package gives <service>-support-<account>-<region> stacks; DefaultSupportScope is the
// default.
type SupportScope func(account, region string) constructs.Construct

// DefaultSupportScope creates the stack <service>-support-<account>-<region> (stack name
// <service>-support) beside the pipeline stack, in the same app or stage.
func DefaultSupportScope(pipelineStack awscdk.Stack, service string) SupportScope {
	return func(account, region string) constructs.Construct {
		return awscdk.NewStack(awscdk.Stage_Of(pipelineStack), jsii.String(fmt.Sprintf("%s-support-%s-%s", service, account, region)), &awscdk.StackProps{
			Env:       &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)},
			StackName: jsii.String(service + "-support"),
		})
	}
}

// KeyAlias names the pipeline's keys (its own, and each region's artifact store key):
// alias/golden-pipelines/<service>, the same name in every region. A role in another account
// may use a key only by this alias (policy.KeysByAlias): it cannot name the key's ARN.
func KeyAlias(svc *spec.Service) string { return "alias/golden-pipelines/" + svc.Name }

// support is the pipeline's part in one account and region away from home.
type support struct {
	scope constructs.Construct
	stack awscdk.Stack
	// store (in the pipeline's own account, in another region) is the artifact store
	// CodePipeline replicates the artifacts of that region's actions into; storeKey encrypts
	// it; storeView is the store as the pipeline stack sees it, its key named by KeyAlias.
	store     awss3.Bucket
	storeKey  awskms.Key
	storeView awss3.IBucket
}

// supportAt returns the pipeline's support in an account and region, created on first use.
func (p *MicroservicePipeline) supportAt(account, region string) *support {
	where := spec.Target{Account: account, Region: region}
	if s, ok := p.supports[where]; ok {
		return s
	}
	scope := p.supportScope(account, region)
	s := &support{scope: scope, stack: awscdk.Stack_Of(scope)}
	p.supports[where] = s
	p.SupportStacks = append(p.SupportStacks, s.stack)
	p.stack.AddStackDependency(s.stack, jsii.String("the release parameters, deploy roles and artifact stores of the pipeline's targets there"))
	return s
}

// artifactStore returns the artifact store of a region away from home, created on first use
// in the pipeline's account there: CodePipeline keeps the artifacts of an action in another
// region in that region's store ("Cross-Region actions", CodePipeline User Guide), encrypted
// with a key of that region. Without it the CDK would create a store of its own, in a stack it
// names, with a key that does not rotate.
func (p *MicroservicePipeline) artifactStore(region string) *support {
	s := p.supportAt(p.home.Account, region)
	if s.store != nil {
		return s
	}
	scope := constructs.NewConstruct(s.scope, jsii.String("ArtifactStore"))
	cdkutil.LogAccessThroughBucketPolicy(scope)
	s.storeKey = newKey(scope, p.svc)
	awskms.NewAlias(scope, jsii.String("KeyAlias"), &awskms.AliasProps{AliasName: jsii.String(KeyAlias(p.svc)), TargetKey: s.storeKey})
	logs := cdkutil.AccessLogBucket(scope, "AccessLogs", p.retention)
	s.store = cdkutil.PrivateBucket(scope, "Bucket", awscdk.PhysicalName_GENERATE_IF_NEEDED(), s.storeKey, logs, p.artifactLifecycle())
	s.storeView = awss3.Bucket_FromBucketAttributes(scope, jsii.String("View"), &awss3.BucketAttributes{
		BucketName:    s.store.BucketName(),
		Account:       jsii.String(p.home.Account),
		Region:        jsii.String(region),
		EncryptionKey: awskms.Alias_FromAliasName(scope, jsii.String("KeyByAlias"), jsii.String(KeyAlias(p.svc))),
	})
	return s
}

// artifactStores are the pipeline's artifact stores: its artifact bucket alone when every action
// runs in its region; else by region, the artifact bucket in its own and the store of each
// region a container target deploys to away from home (artifactStore; Lambda targets are
// deployed by CodeBuild at home). CodePipeline takes one or the other.
func (p *MicroservicePipeline) artifactStores() (awss3.IBucket, *map[string]awss3.IBucket) {
	stores := map[string]awss3.IBucket{p.home.Region: p.ArtifactBucket}
	for _, t := range p.Targets {
		if p.svc.IsContainer() && t.Region != p.home.Region {
			stores[t.Region] = p.artifactStore(t.Region).storeView
		}
	}
	if len(stores) == 1 {
		return p.ArtifactBucket, nil
	}
	return nil, &stores
}

// ecsDeployRole is the role a CodeDeployToECS action deploying to a target in another account
// acts through, in that account (CodePipeline assumes an action's role; a cross-account action
// needs one there: "Create a pipeline in CodePipeline that uses resources from another AWS
// account", CodePipeline User Guide). The CDK may not add to it: what the action needs is
// written here, scoped to the target's application, deployment group and configuration, the
// artifacts it reads (the artifact store of its region) and that store's key, by alias.
func (p *MicroservicePipeline) ecsDeployRole(t *Target, s *support, config string) awsiam.IRole {
	role := awsiam.NewRole(s.scope, jsii.String(t.id+"DeployActionRole"), &awsiam.RoleProps{
		RoleName:    awscdk.PhysicalName_GENERATE_IF_NEEDED(),
		AssumedBy:   awsiam.NewAccountPrincipal(jsii.String(p.home.Account)),
		Description: jsii.String(fmt.Sprintf("CodeDeployToECS action of the %s pipeline for %s", p.svc.Name, t.Tag())),
	})
	dg := p.svc.DeploymentGroupName(t.Stage)
	arn := func(resource, name string) *string {
		return s.stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("codedeploy"), Resource: jsii.String(resource),
			ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	}
	bucket, keyRegion := awss3.IBucket(p.ArtifactBucket), p.home.Region
	if t.Region != p.home.Region {
		store := p.artifactStore(t.Region)
		bucket, keyRegion = store.store, t.Region
		// The store's policies name the role: it must exist first (S3 and KMS refuse a policy
		// whose principal does not: "Invalid principal in policy", MalformedPolicyDocument).
		store.stack.AddStackDependency(s.stack, jsii.String("the deploy action role its policies name"))
		// The store is the pipeline account's: its policies let the role in.
		store.store.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("DeployActionReads" + t.id), Principals: &[]awsiam.IPrincipal{role},
			Actions:   jsii.Strings("s3:GetObject*", "s3:GetBucket*", "s3:List*"),
			Resources: &[]*string{store.store.BucketArn(), store.store.ArnForObjects(jsii.String("*"))},
		}))
		store.storeKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("DeployActionDecrypts" + t.id), Principals: &[]awsiam.IPrincipal{role},
			Actions: jsii.Strings("kms:Decrypt", "kms:DescribeKey"), Resources: jsii.Strings("*"),
		}), nil)
	}
	for _, statement := range []*awsiam.PolicyStatementProps{
		{Sid: jsii.String("RegisterRevisions"), Actions: jsii.Strings("codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"),
			Resources: &[]*string{arn("application", dg)}},
		{Sid: jsii.String("Deploy"), Actions: jsii.Strings("codedeploy:CreateDeployment", "codedeploy:GetDeployment"),
			Resources: &[]*string{arn("deploymentgroup", dg+"/"+dg)}},
		{Sid: jsii.String("ReadTheDeploymentConfig"), Actions: jsii.Strings("codedeploy:GetDeploymentConfig"),
			Resources: &[]*string{arn("deploymentconfig", config)}},
		// RegisterTaskDefinition has no resource type; the task and execution roles are passed
		// to ECS only.
		{Sid: jsii.String("RegisterTheTaskDefinition"), Actions: jsii.Strings("ecs:RegisterTaskDefinition"), Resources: jsii.Strings("*")},
		{Sid: jsii.String("PassTheTaskRoles"), Actions: jsii.Strings("iam:PassRole"), Resources: jsii.Strings("*"),
			Conditions: &map[string]interface{}{"StringEqualsIfExists": map[string]interface{}{"iam:PassedToService": []string{"ecs-tasks.amazonaws.com"}}}},
		{Sid: jsii.String("ReadTheArtifacts"), Actions: jsii.Strings("s3:GetObject*", "s3:GetBucket*", "s3:List*"),
			Resources: &[]*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))}},
		{Sid: jsii.String("DecryptTheArtifacts"), Actions: jsii.Strings("kms:Decrypt", "kms:DescribeKey"),
			Resources:  jsii.Strings(fmt.Sprintf("arn:%s:kms:%s:%s:key/*", spec.Partition(keyRegion), keyRegion, p.home.Account)),
			Conditions: &map[string]interface{}{"ForAnyValue:StringEquals": map[string]interface{}{"kms:ResourceAliases": KeyAlias(p.svc)}}},
	} {
		role.AddToPolicy(awsiam.NewPolicyStatement(statement))
	}
	return role.WithoutPolicyUpdates(nil)
}

// importEcsDeploymentGroup imports a container target's deployment group into scope, whose
// stack is in the target's account and region (the pipeline's own scope at home), so that its
// ARNs and its deployment config's name that account and region. A custom deployment config
// is named after the deployment group.
func (p *MicroservicePipeline) importEcsDeploymentGroup(scope constructs.Construct, t *Target) (awscodedeploy.IEcsDeploymentGroup, string) {
	dg := p.svc.DeploymentGroupName(t.Stage)
	config := spec.EcsConfigPrefix + t.stage.Deployment.Config
	if t.stage.Deployment.Custom != nil {
		config = dg
	}
	return awscodedeploy.EcsDeploymentGroup_FromEcsDeploymentGroupAttributes(scope, jsii.String(t.id+"DeploymentGroup"),
		&awscodedeploy.EcsDeploymentGroupAttributes{
			Application:         awscodedeploy.EcsApplication_FromEcsApplicationName(scope, jsii.String(t.id+"Application"), jsii.String(dg)),
			DeploymentGroupName: jsii.String(dg),
			DeploymentConfig:    awscodedeploy.EcsDeploymentConfig_FromEcsDeploymentConfigName(scope, jsii.String(t.id+"DeploymentConfig"), jsii.String(config)),
		}), config
}
