package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// Allowed is one IAM wildcard the golden rules accept, and why.
type Allowed struct {
	// Pattern is the action (WildcardActions, UnscopedActions) or a regular expression over
	// the resource as the templates render it, intrinsics as <LogicalId.Attribute>
	// (ScopedResources).
	Pattern string
	// Reason says why the wildcard is needed and who writes it.
	Reason string
}

// WildcardActions are the action families with a wildcard a statement may grant: each is the
// CDK's own grant for one resource (a bucket, a key), whose statement names that resource.
var WildcardActions = []Allowed{
	{"s3:GetObject*", "CDK's Bucket.grantRead: GetObject, GetObjectVersion, GetObjectTagging… of the objects of one bucket (or one prefix of it)"},
	{"s3:GetBucket*", "CDK's Bucket.grantRead: the bucket's location, versioning and ACL reads CodePipeline and CodeBuild make, on that one bucket"},
	{"s3:List*", "CDK's Bucket.grantRead: ListBucket and ListBucketVersions on that one bucket"},
	{"s3:DeleteObject*", "CDK's Bucket.grantReadWrite for the pipeline's own artifact bucket (CodePipeline replaces its artifacts)"},
	{"s3:Abort*", "CDK's Bucket.grantPut/grantReadWrite: AbortMultipartUpload of the uploads the principal starts, in that one bucket"},
	{"kms:GenerateDataKey*", "CDK's Key.grantEncrypt: GenerateDataKey and GenerateDataKeyWithoutPlaintext on the pipeline's own key"},
	{"kms:ReEncrypt*", "CDK's Key.grantEncryptDecrypt: ReEncryptFrom and ReEncryptTo on the pipeline's own key"},
}

// UnscopedActions are the actions a statement may grant on Resource "*": AWS authorizes them
// on no resource (their IAM resource type is none), or the CDK action that needs them
// registers what it names at run time.
var UnscopedActions = []Allowed{
	{"ecr:GetAuthorizationToken", "docker login to ECR: the API has no resource type (CDK's Repository.grantPull adds it)"},
	{"xray:PutTraceSegments", "Lambda tracing (CodeDeploy hooks, functions): X-Ray's write APIs have no resource type"},
	{"xray:PutTelemetryRecords", "Lambda tracing: X-Ray's write APIs have no resource type"},
	{"ecs:RegisterTaskDefinition", "the CodeDeployToECS action registers the release's task definition: RegisterTaskDefinition has no resource type (CDK's CodeDeployEcsDeployAction writes it)"},
	{"ecs:DescribeTaskDefinition", "the prepare step and CodeDeployToECS read task definitions: DescribeTaskDefinition has no resource type"},
	{"iam:PassRole", "the CodeDeployToECS action passes the task and execution roles of the task definition it registers, which live in the service stacks; written by the CDK's CodeDeployEcsDeployAction with the condition iam:PassedToService ecs-tasks.amazonaws.com"},
	{"inspector-scan:ScanSbom", "the image scan action: Amazon Inspector's ScanSbom has no resource type"},
	{"s3:ListAllMyBuckets", "a Synthetics canary's role (the CDK's Canary writes it): the Synthetics runtime lists the buckets before it stores a run's artifacts; ListAllMyBuckets has no resource type"},
	{"cloudwatch:PutMetricData", "a Synthetics canary publishes its run metrics: PutMetricData has no resource type (the CDK's Canary limits it to the namespace CloudWatchSynthetics by condition)"},
	{"cloudwatch:DescribeAlarms", "the stage conditions (alarm gate, bake) and the Lambda stack updates' rollback triggers read the health alarms' states: describing a composite alarm needs the action on * (\"To retrieve information about composite alarms, your cloudwatch:DescribeAlarms permission must have a * scope\", CloudWatch User Guide, CloudWatch permissions reference); it reads alarm states, no data"},
}

// ScopedResources are the resource ARNs with a wildcard a statement may name: each wildcard
// stands for parts of one named resource that the ARN cannot name in advance.
var ScopedResources = []Allowed{
	{`^<[A-Za-z0-9]+\.Arn>/\*$`, "the objects of one bucket: S3 authorizes object actions on object ARNs (<bucket>/<key>)"},
	{`^<[A-Za-z0-9]+\.Arn>/[A-Za-z0-9-]+/\*$`, "the objects under one prefix of one bucket (a service's packages, a bucket's server access logs)"},
	{`^<[A-Za-z0-9]+\.Arn>:\*$`, "the versions and aliases of one function or the streams of one log group (ARNs <arn>:<qualifier>)"},
	{"^arn:" + arnPart + ":logs:" + arnPart + ":" + arnPart + `:log-group:[^*]+:\*$`, "the log streams of one log group (CodeBuild's default logging grant)"},
	{"^arn:" + arnPart + ":codebuild:" + arnPart + ":" + arnPart + `:report-group/<[A-Za-z0-9]+>-\*$`, "the report groups of one CodeBuild project, which CodeBuild names <project>-<group>"},
	{"^arn:" + arnPart + ":cloudformation:" + arnPart + ":" + arnPart + `:stack/[a-z0-9-]+/\*$`, "one stack by name: a stack ARN ends in an ID CloudFormation generates"},
	{"^arn:" + arnPart + ":secretsmanager:" + arnPart + ":" + arnPart + `:secret:[A-Za-z0-9/_+=.@-]+-\?\?\?\?\?\?$`, "one Secrets Manager secret by name: its ARN ends in a random six-character suffix (CDK's Secret.fromSecretNameV2)"},
	{`^<[A-Za-z0-9]+\.Arn>/AWSLogs/` + arnPart + `/\*$`, "the load balancer's access logs, which ELB writes under AWSLogs/<account>/ of its log bucket"},
	{"^arn:" + arnPart + `:s3:::[a-z0-9][a-z0-9.-]+/\*$`, "the objects of one bucket named in another account or region (a pipeline's artifacts, read by a deploy action's role in the target's account)"},
	{"^arn:" + arnPart + ":logs:" + arnPart + ":" + arnPart + `:log-group:/aws/lambda/cwsyn-\*$`, "the log groups of a Synthetics canary's functions, which Synthetics names cwsyn-<canary>-<id> when it creates them (the CDK's Canary writes it)"},
	{"^arn:" + arnPart + `:iam::\*:role/cdk-[a-z0-9]+-\*$`, "the platform pipeline's steps run the CDK CLI against the accounts of the app: the CDK bootstrap roles there (deploy, file and image publishing, lookup), limited by their aws-cdk:bootstrap-role tag, as CDK Pipelines grants them"},
	{"^arn:" + arnPart + ":ssm:" + arnPart + ":" + arnPart + `:parameter/golden-pipelines/\*$`, "the CDK deploy role resolves the release parameters of every service (one shared policy: a role holds at most 10 KB of inline policy)"},
}

// KeysByAlias is the one key wildcard the rules accept: the keys of one account and region
// (arn:…:kms:<region>:<account>:key/*), only in a statement whose condition
// ForAnyValue:StringEquals kms:ResourceAliases names one alias. A principal in another account
// or region cannot name a key's ARN before the key exists; the alias names the one key it may
// use ("Use aliases to control access to KMS keys", AWS KMS Developer Guide, kms:ResourceAliases),
// and the key's own policy must still allow the principal. CDK's imported Alias grants write it.
var KeysByAlias = regexp.MustCompile("^arn:" + arnPart + ":kms:" + arnPart + ":" + arnPart + `:key/\*$`)

// arnPart matches a partition, region or account of an ARN, written as a pseudo parameter
// (<AWS::Region>, in an environment-agnostic stack) or literally (in a stack with an
// environment).
const arnPart = `(<AWS::[A-Za-z]+>|[a-z0-9-]+)`

// accountRoot matches the account's root principal, to which AWS's default key policy gives
// kms:*.
var accountRoot = regexp.MustCompile(`^arn:` + arnPart + `:iam::` + arnPart + `:root$`)

var scopedResources = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ScopedResources))
	for i, a := range ScopedResources {
		out[i] = regexp.MustCompile(a.Pattern)
	}
	return out
}()

func allowed(list []Allowed, action string) bool {
	for _, a := range list {
		if a.Pattern == action {
			return true
		}
	}
	return false
}

func scopedResource(resource string) bool {
	for _, re := range scopedResources {
		if re.MatchString(resource) {
			return true
		}
	}
	return false
}

// wildcard reports whether an action or resource has an IAM wildcard (* or ?).
func wildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// wildcardProblems returns what is wrong with the wildcards of one policy statement. In a key
// policy (keyPolicy), Resource "*" is the key itself, and kms:* to the account root is AWS's
// default statement that hands the key's access control to IAM policies.
func (t *Template) wildcardProblems(statement map[string]interface{}, keyPolicy bool) []string {
	if statement["Effect"] != "Allow" {
		return nil
	}
	var out []string
	if statement["NotAction"] != nil || statement["NotResource"] != nil {
		out = append(out, "NotAction/NotResource grants everything but a list")
	}
	for _, key := range []string{"Action", "Resource"} {
		if p := t.fromParameter(statement[key]); p != "" {
			out = append(out, fmt.Sprintf("%s from the parameter %s, unknown at synth", strings.ToLower(key), p))
		}
	}
	var actions []string
	for _, a := range list(statement["Action"]) {
		action := render(a)
		actions = append(actions, action)
		switch {
		case keyPolicy && action == "kms:*" && accountRoot.MatchString(render(get(statement, "Principal", "AWS"))):
		case wildcard(action) && !allowed(WildcardActions, action):
			out = append(out, "action "+action)
		}
	}
	for _, r := range list(statement["Resource"]) {
		resource := render(r)
		switch {
		case resource == "*" && keyPolicy:
		case resource == "*":
			for _, action := range actions {
				if !allowed(UnscopedActions, action) {
					out = append(out, action+" on resource *")
				}
				if action == "iam:PassRole" && render(get(statement["Condition"], "StringEqualsIfExists", "iam:PassedToService")) != `["ecs-tasks.amazonaws.com"]` &&
					render(get(statement["Condition"], "StringEquals", "iam:PassedToService")) != "ecs-tasks.amazonaws.com" {
					out = append(out, "iam:PassRole on resource * without the condition iam:PassedToService ecs-tasks.amazonaws.com")
				}
			}
		case KeysByAlias.MatchString(resource):
			if alias := render(get(statement["Condition"], "ForAnyValue:StringEquals", "kms:ResourceAliases")); alias == "" || wildcard(alias) || strings.HasPrefix(alias, "[") {
				out = append(out, "resource "+resource+" without the condition ForAnyValue:StringEquals kms:ResourceAliases naming one alias")
			}
		case wildcard(resource) && !scopedResource(resource):
			out = append(out, "resource "+resource)
		}
	}
	return out
}

// policyDocuments returns the policy documents of a resource, and whether they are key
// policies.
func policyDocuments(r Resource) ([]interface{}, bool) {
	switch r.Type {
	case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy":
		return []interface{}{r.Properties["PolicyDocument"]}, false
	case "AWS::KMS::Key":
		return []interface{}{r.Properties["KeyPolicy"]}, true
	case "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group":
		var docs []interface{}
		for _, p := range list(r.Properties["Policies"]) {
			docs = append(docs, get(p, "PolicyDocument"))
		}
		return docs, false
	}
	return nil, false
}

// statements returns the policy statements of a resource with policies.
func statements(r Resource) ([]map[string]interface{}, bool) {
	docs, keyPolicy := policyDocuments(r)
	var out []map[string]interface{}
	for _, d := range docs {
		for _, s := range list(get(d, "Statement")) {
			if m, ok := s.(map[string]interface{}); ok {
				out = append(out, m)
			}
		}
	}
	return out, keyPolicy
}
