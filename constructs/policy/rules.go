package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

var rules = []Rule{
	{
		ID:          "deployment-group-guarded",
		Description: "Every CodeDeploy deployment group has at least one alarm and rolls back automatically on failure and on alarm.",
		Fix:         "give the deployment group alarms and autoRollback {failedDeployment: true, deploymentInAlarm: true} (the golden constructs always do)",
		check:       checkDeploymentGroups,
	},
	{
		ID:          "immutable-images",
		Description: "Every container image a task definition names is immutable: pinned by digest, a build-<id> tag or a CDK asset hash, never latest or another movable tag; a CodeDeployToECS action takes its image from the imageDetail.json artifact, which the prepare step pins by digest.",
		Fix:         "name the image by digest (repository@sha256:...) or by its build-<id> tag; a CodeDeployToECS action takes its image from the imageDetail.json artifact (Image1ArtifactName, Image1ContainerName)",
		check:       checkImages,
	},
	{
		ID:          "ecr-immutable-scanned",
		Description: "Every ECR repository has immutable tags and scans on push.",
		Fix:         "set imageTagMutability IMMUTABLE and imageScanOnPush true",
		check:       checkRepositories,
	},
	{
		ID:          "pre-production-before-production",
		Description: "A pipeline deploys to production only in a stage after one that deploys to a pre-production target.",
		Fix:         "put a pre-production stage (role: pre-production) before every production stage, and let every deploying stage declare its targets' role (the golden steps' TARGET_ROLE)",
		check:       checkStageOrder,
	},
	{
		ID:          "images-scanned-before-deploy",
		Description: "A pipeline that deploys a container image scans it with Amazon Inspector in a stage before the first deployment, with at least a critical-findings threshold (a scan without thresholds never fails).",
		Fix:         "add an InspectorEcrImageScanAction on the built image in a stage before the first deployment (the golden pipeline's Scan stage)",
		check:       checkImageScan,
	},
	{
		ID:          "iam-wildcards",
		Description: "No IAM statement has a wildcard action or resource unless the AWS API needs it; every accepted wildcard is listed in policy.WildcardActions, UnscopedActions and ScopedResources with its reason.",
		Fix:         "name the actions and resources the principal needs; if an AWS API has no resource-level permissions, add the action to policy.UnscopedActions with the reason",
		check:       checkWildcards,
	},
	{
		ID:          "no-plain-secrets",
		Description: "No function, container or CodeBuild project gets a secret as a plain environment value: secrets come from Secrets Manager or SSM SecureString references.",
		Fix:         "move the variable to lambda.secrets or container.secrets ({secretsManager: <secret name>} or {parameter: <SSM parameter name>})",
		check:       checkSecrets,
	},
	{
		ID:          "privileged-builds",
		Description: "A CodeBuild project runs privileged (docker in docker) only when its buildspec builds an image.",
		Fix:         "turn privilegedMode off, or build an image with docker build in that project",
		check:       checkPrivileged,
	},
	{
		ID:          "storage-encrypted",
		Description: "Buckets, ECR repositories and SNS topics are encrypted with a customer-managed KMS key of the same stack that rotates; only access-log buckets (S3 and load balancer log delivery support no KMS key) use S3-managed keys.",
		Fix:         "encrypt with a KMS key created with enableKeyRotation: true (the pipeline's Key)",
		check:       checkEncryption,
	},
	{
		ID:          "buckets-ssl-only",
		Description: "Every bucket has a policy that denies requests not made over TLS.",
		Fix:         "create the bucket with enforceSSL: true (a Deny of s3:* to everyone on the bucket and its objects when aws:SecureTransport is false)",
		check:       checkSSLOnly,
	},
	{
		ID:          "log-retention",
		Description: "Every log group has a retention period, and every CodeBuild project and Lambda function logs to such a log group of its stack.",
		Fix:         "set the log group's retention (logRetentionDays in the service definition) and log CodeBuild projects to it",
		check:       checkLogRetention,
	},
}

func checkDeploymentGroups(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::CodeDeploy::DeploymentGroup") {
		p := t.Resources[id].Properties
		var problems []string
		alarms := list(get(p, "AlarmConfiguration", "Alarms"))
		named := len(alarms) > 0
		for _, a := range alarms {
			if render(get(a, "Name")) == "" {
				named = false
			}
		}
		if get(p, "AlarmConfiguration", "Enabled") != true || !named {
			problems = append(problems, "no alarms (or an alarm without a name)")
		}
		events := map[string]bool{}
		for _, e := range list(get(p, "AutoRollbackConfiguration", "Events")) {
			events[render(e)] = true
		}
		if get(p, "AutoRollbackConfiguration", "Enabled") != true {
			problems = append(problems, "no automatic rollback")
		} else {
			for _, e := range []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} {
				if !events[e] {
					problems = append(problems, "no rollback on "+e)
				}
			}
		}
		if len(problems) > 0 {
			out = append(out, Finding{id, strings.Join(problems, ", ")})
		}
	}
	return out
}

var (
	digestRef   = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
	buildTag    = regexp.MustCompile(`:build-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	cdkAssetTag = regexp.MustCompile(`/cdk-[a-z0-9]+-container-assets-[^/]+:[0-9a-f]{64}$`)
)

// ImageProblem says why an image reference is movable, or "" when it is immutable.
func ImageProblem(image string) string {
	switch {
	case digestRef.MatchString(image), buildTag.MatchString(image), cdkAssetTag.MatchString(image):
		return ""
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 {
		return fmt.Sprintf("image %s uses the movable tag %q", image, name[i+1:])
	}
	return fmt.Sprintf("image %s has no tag or digest (it means latest)", image)
}

func checkImages(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::ECS::TaskDefinition") {
		for _, c := range list(t.Resources[id].Properties["ContainerDefinitions"]) {
			if p := t.fromParameter(get(c, "Image")); p != "" {
				out = append(out, Finding{id, fmt.Sprintf("container %s: the image comes from the parameter %s, unknown at synth", render(get(c, "Name")), p)})
			} else if problem := ImageProblem(render(get(c, "Image"))); problem != "" {
				out = append(out, Finding{id, fmt.Sprintf("container %s: %s", render(get(c, "Name")), problem)})
			}
		}
	}
	for _, id := range t.OfType("AWS::CodePipeline::Pipeline") {
		forEachAction(t.Resources[id], func(stage, name string, action map[string]interface{}) {
			if get(action, "ActionTypeId", "Provider") != "CodeDeployToECS" {
				return
			}
			if get(action, "Configuration", "Image1ArtifactName") == nil || get(action, "Configuration", "Image1ContainerName") == nil {
				out = append(out, Finding{id, fmt.Sprintf("action %s/%s deploys the image named in its task definition template instead of the imageDetail.json artifact", stage, name)})
			}
		})
	}
	return out
}

func checkRepositories(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::ECR::Repository") {
		p := t.Resources[id].Properties
		var problems []string
		if p["ImageTagMutability"] != "IMMUTABLE" {
			problems = append(problems, "tags are mutable")
		}
		if get(p, "ImageScanningConfiguration", "ScanOnPush") != true {
			problems = append(problems, "no scan on push")
		}
		if len(problems) > 0 {
			out = append(out, Finding{id, strings.Join(problems, ", ")})
		}
	}
	return out
}

// forEachAction calls f for every action of a pipeline, in stage order.
func forEachAction(pipeline Resource, f func(stage, name string, action map[string]interface{})) {
	for _, s := range list(pipeline.Properties["Stages"]) {
		for _, a := range list(get(s, "Actions")) {
			if m, ok := a.(map[string]interface{}); ok {
				f(render(get(s, "Name")), render(m["Name"]), m)
			}
		}
	}
}

// declaredRole is the role of the target a CodeBuild action deploys to, as it declares it: the
// TARGET_ROLE variable of the action or of its project (the golden deploy and prepare steps
// set it from the stage's role), or "".
func declaredRole(t *Template, action map[string]interface{}) string {
	cfg := get(action, "Configuration")
	var vars []map[string]interface{}
	if s, ok := get(cfg, "EnvironmentVariables").(string); ok {
		_ = json.Unmarshal([]byte(s), &vars)
	}
	for _, v := range vars {
		if v["name"] == "TARGET_ROLE" {
			return render(v["value"])
		}
	}
	ref, _ := get(cfg, "ProjectName", "Ref").(string)
	for _, v := range list(get(t.Resources[ref].Properties, "Environment", "EnvironmentVariables")) {
		if get(v, "Name") == "TARGET_ROLE" {
			return render(get(v, "Value"))
		}
	}
	return ""
}

// stageRoles are the roles a pipeline stage deploys to: those its CodeBuild actions declare
// (TARGET_ROLE), and "?" for an action of the Deploy category in a stage that declares none
// (a deployment whose target's role cannot be told). Names are never read: a stage called
// "production" is not production unless its targets say so.
func stageRoles(t *Template, stage interface{}) map[string]string {
	roles := map[string]string{} // role -> the action that declares it
	var undeclared []string
	for _, a := range list(get(stage, "Actions")) {
		action, _ := a.(map[string]interface{})
		switch {
		case get(action, "ActionTypeId", "Provider") == "CodeBuild":
			if role := declaredRole(t, action); role != "" {
				roles[role] = render(action["Name"])
			}
		case get(action, "ActionTypeId", "Category") == "Deploy":
			undeclared = append(undeclared, render(action["Name"]))
		}
	}
	if len(roles) == 0 && len(undeclared) > 0 {
		roles["?"] = undeclared[0]
	}
	return roles
}

func checkStageOrder(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::CodePipeline::Pipeline") {
		preProductionSeen := false
		for _, stage := range list(t.Resources[id].Properties["Stages"]) {
			name := render(get(stage, "Name"))
			roles := stageRoles(t, stage)
			for role, action := range roles {
				if role != "?" && !slices.Contains(spec.Roles, role) {
					out = append(out, Finding{id, fmt.Sprintf("action %s/%s declares TARGET_ROLE %q, which is no role: use pre-production or production", name, action, role)})
				}
			}
			if action, ok := roles["?"]; ok {
				out = append(out, Finding{id, fmt.Sprintf("action %s/%s deploys, but whether to production cannot be told: declare the target's role (TARGET_ROLE pre-production or production) on a CodeBuild action of the stage", name, action)})
			}
			if action, ok := roles[spec.RoleProduction]; ok && (!preProductionSeen || roles[spec.RolePreProduction] != "") {
				out = append(out, Finding{id, fmt.Sprintf("action %s/%s deploys to production before any earlier stage deploys to a pre-production target", name, action)})
			}
			if _, ok := roles[spec.RolePreProduction]; ok {
				preProductionSeen = true
			}
		}
	}
	return out
}

func checkImageScan(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::CodePipeline::Pipeline") {
		scannedIn, reported := "", false
		forEachAction(t.Resources[id], func(stage, name string, action map[string]interface{}) {
			// A scan without thresholds never fails: CodePipeline fails the action only beyond one.
			if get(action, "ActionTypeId", "Provider") == "InspectorScan" && get(action, "Configuration", "InspectorRunMode") == "ECRImageScan" &&
				get(action, "Configuration", "CriticalThreshold") != nil && scannedIn == "" {
				scannedIn = stage
			}
			if get(action, "ActionTypeId", "Provider") == "CodeDeployToECS" && (scannedIn == "" || scannedIn == stage) && !reported {
				reported = true
				out = append(out, Finding{id, fmt.Sprintf("action %s/%s deploys an image no earlier stage scanned", stage, name)})
			}
		})
	}
	return out
}

func checkWildcards(t *Template) []Finding {
	var out []Finding
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		stmts, keyPolicy := statements(t.Resources[id])
		var problems []string
		for _, s := range stmts {
			problems = append(problems, t.wildcardProblems(s, keyPolicy)...)
		}
		if len(problems) > 0 {
			out = append(out, Finding{id, "unlisted wildcard: " + strings.Join(problems, "; ")})
		}
	}
	return out
}

func checkSecrets(t *Template) []Finding {
	var out []Finding
	check := func(id, where, name string, value interface{}) {
		if problem := spec.SecretProblem(name, render(value)); problem != "" {
			out = append(out, Finding{id, where + name + ": " + problem})
		}
	}
	for _, id := range t.OfType("AWS::Lambda::Function") {
		vars, _ := get(t.Resources[id].Properties, "Environment", "Variables").(map[string]interface{})
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			check(id, "variable ", name, vars[name])
		}
	}
	for _, id := range t.OfType("AWS::CodeBuild::Project") {
		for _, v := range list(get(t.Resources[id].Properties, "Environment", "EnvironmentVariables")) {
			if typ := render(get(v, "Type")); typ == "" || typ == "PLAINTEXT" {
				check(id, "build variable ", render(get(v, "Name")), get(v, "Value"))
			}
		}
	}
	for _, id := range t.OfType("AWS::ECS::TaskDefinition") {
		for _, c := range list(t.Resources[id].Properties["ContainerDefinitions"]) {
			for _, e := range list(get(c, "Environment")) {
				check(id, "container "+render(get(c, "Name"))+" variable ", render(get(e, "Name")), get(e, "Value"))
			}
		}
	}
	return out
}

// dockerBuild matches a docker build command at the start of a shell command (in a YAML or
// JSON buildspec).
var dockerBuild = regexp.MustCompile(`(^|\n|[;&|(]|\bthen\b|\bdo\b|- |\[\s*"|,\s*")\s*docker\s+(buildx\s+)?build\b`)

func checkPrivileged(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::CodeBuild::Project") {
		p := t.Resources[id].Properties
		if get(p, "Environment", "PrivilegedMode") != true {
			continue
		}
		if !dockerBuild.MatchString(render(get(p, "Source", "BuildSpec"))) {
			out = append(out, Finding{id, "privileged, but its buildspec builds no image"})
		}
	}
	return out
}

// rotatingKey reports whether a value references a KMS key of the template that rotates.
func rotatingKey(t *Template, v interface{}) bool {
	ref, _ := get(v, "Ref").(string)
	if att, ok := get(v, "Fn::GetAtt").([]interface{}); ok && len(att) == 2 {
		ref, _ = att[0].(string)
	}
	key, ok := t.Resources[ref]
	return ok && key.Type == "AWS::KMS::Key" && key.Properties["EnableKeyRotation"] == true
}

func checkEncryption(t *Template) []Finding {
	var out []Finding
	logBuckets := map[string]bool{}
	for _, id := range t.OfType("AWS::S3::Bucket") {
		if ref, ok := get(t.Resources[id].Properties, "LoggingConfiguration", "DestinationBucketName", "Ref").(string); ok && ref != id {
			logBuckets[ref] = true
		}
	}
	for _, id := range t.OfType("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		attrs := list(t.Resources[id].Properties["LoadBalancerAttributes"])
		for _, a := range attrs {
			if get(a, "Key") == "access_logs.s3.bucket" {
				if ref, ok := get(a, "Value", "Ref").(string); ok {
					logBuckets[ref] = true
				}
			}
		}
	}
	for _, id := range t.OfType("AWS::S3::Bucket") {
		rules := list(get(t.Resources[id].Properties, "BucketEncryption", "ServerSideEncryptionConfiguration"))
		var algorithm string
		var key interface{}
		if len(rules) > 0 {
			algorithm = render(get(rules[0], "ServerSideEncryptionByDefault", "SSEAlgorithm"))
			key = get(rules[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID")
		}
		switch {
		case logBuckets[id] && algorithm == "AES256":
		case logBuckets[id]:
			out = append(out, Finding{id, "an access-log bucket must use S3-managed keys (AES256): log delivery cannot use KMS"})
		case algorithm != "aws:kms" || !rotatingKey(t, key):
			out = append(out, Finding{id, "not encrypted with a rotating customer-managed KMS key of this stack"})
		}
	}
	for _, id := range t.OfType("AWS::ECR::Repository") {
		p := t.Resources[id].Properties
		if get(p, "EncryptionConfiguration", "EncryptionType") != "KMS" || !rotatingKey(t, get(p, "EncryptionConfiguration", "KmsKey")) {
			out = append(out, Finding{id, "not encrypted with a rotating customer-managed KMS key of this stack"})
		}
	}
	for _, id := range t.OfType("AWS::SNS::Topic") {
		if !rotatingKey(t, t.Resources[id].Properties["KmsMasterKeyId"]) {
			out = append(out, Finding{id, "not encrypted with a rotating customer-managed KMS key of this stack"})
		}
	}
	return out
}

func checkSSLOnly(t *Template) []Finding {
	sslOnly := map[string]bool{}
	for _, id := range t.OfType("AWS::S3::BucketPolicy") {
		p := t.Resources[id].Properties
		bucket, _ := get(p, "Bucket", "Ref").(string)
		for _, s := range list(get(p, "PolicyDocument", "Statement")) {
			resources := map[string]bool{}
			for _, r := range list(get(s, "Resource")) {
				resources[render(r)] = true
			}
			everyone := render(get(s, "Principal")) == "*" || render(get(s, "Principal", "AWS")) == "*"
			if get(s, "Effect") == "Deny" && render(get(s, "Condition", "Bool", "aws:SecureTransport")) == "false" && everyone &&
				slices.Contains(list(get(s, "Action")), interface{}("s3:*")) &&
				resources["<"+bucket+".Arn>"] && resources["<"+bucket+".Arn>/*"] {
				sslOnly[bucket] = true
			}
		}
	}
	var out []Finding
	for _, id := range t.OfType("AWS::S3::Bucket") {
		if !sslOnly[id] {
			out = append(out, Finding{id, "no bucket policy denies aws:SecureTransport false"})
		}
	}
	return out
}

func checkLogRetention(t *Template) []Finding {
	var out []Finding
	for _, id := range t.OfType("AWS::Logs::LogGroup") {
		if t.Resources[id].Properties["RetentionInDays"] == nil {
			out = append(out, Finding{id, "the log group keeps its events forever"})
		}
	}
	// A function logs to the log group its LoggingConfig names, or to /aws/lambda/<name>.
	named := map[string]bool{}
	for _, id := range t.OfType("AWS::Logs::LogGroup") {
		if t.Resources[id].Properties["RetentionInDays"] != nil {
			named[render(t.Resources[id].Properties["LogGroupName"])] = true
		}
	}
	for _, id := range t.OfType("AWS::Lambda::Function") {
		p := t.Resources[id].Properties
		ref, _ := get(p, "LoggingConfig", "LogGroup", "Ref").(string)
		group, ok := t.Resources[ref]
		byConfig := ok && group.Type == "AWS::Logs::LogGroup" && group.Properties["RetentionInDays"] != nil
		name := render(p["FunctionName"])
		if name == "" {
			name = "<" + id + ">"
		}
		if !byConfig && !named["/aws/lambda/"+name] {
			out = append(out, Finding{id, "the function does not log to a log group of this stack with a retention period"})
		}
	}
	for _, id := range t.OfType("AWS::CodeBuild::Project") {
		logs := get(t.Resources[id].Properties, "LogsConfig", "CloudWatchLogs")
		ref, _ := get(logs, "GroupName", "Ref").(string)
		group, ok := t.Resources[ref]
		if get(logs, "Status") != "ENABLED" || !ok || group.Type != "AWS::Logs::LogGroup" || group.Properties["RetentionInDays"] == nil {
			out = append(out, Finding{id, "the project does not log to a log group of this stack with a retention period"})
		}
	}
	return out
}
