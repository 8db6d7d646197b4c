package test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/constructs/pipeline"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// The staged fixtures (test/fixtures/staged): shipping (Lambda) and tracking (containers), their
// pipelines in 111111111111/eu-west-1, staging in 222222222222, production in 333333333333 in
// waves across regions.
const (
	homeAccount, homeRegion = "111111111111", "eu-west-1"
	stagingAccount          = "222222222222"
	productionAccount       = "333333333333"
)

// projectRolePolicy returns a CodeBuild project's role's logical ID and the statements of its
// policies, as JSON.
func projectRolePolicy(t *testing.T, app *synthesized, stack, project string) (string, string) {
	t.Helper()
	role := ""
	for _, r := range app.resources(t, stack, "AWS::CodeBuild::Project") {
		if props(r)["Name"] == project {
			role = strings.Trim(flat(props(r)["ServiceRole"]), "<>")
			role = strings.TrimSuffix(role, ".Arn")
		}
	}
	if role == "" {
		t.Fatalf("%s: no project %s", stack, project)
	}
	var statements []interface{}
	for _, p := range app.resources(t, stack, "AWS::IAM::Policy") {
		for _, r := range props(p)["Roles"].([]interface{}) {
			if flat(r) == "<"+role+">" {
				statements = append(statements, get(props(p), "PolicyDocument", "Statement").([]interface{})...)
			}
		}
	}
	return role, jsonString(t, statements)
}

// Waves are pipeline stages, in order, each holding its targets' actions; a stage's approval
// comes before its first wave. CodePipeline runs a stage's actions by run order and the stages in
// sequence, so a failed wave stops the later ones ("a pipeline stage … must complete
// successfully before the next stage starts", CodePipeline User Guide, "Pipeline structure").
func TestWavesAreStagesInOrder(t *testing.T) {
	for stack, want := range map[string]string{
		"shipping-pipeline": "Source Build Dev Staging ApproveProduction Production-eu Production-us",
		"tracking-pipeline": "Source Build Scan Staging ApproveProduction Production-eu Production-us",
	} {
		if got := strings.Join(stageNames(pipelineStages(t, staged, stack)), " "); got != want {
			t.Errorf("%s stages %q, want %q", stack, got, want)
		}
	}
	// Production-us of shipping deploys its two targets in parallel (one run order).
	for _, st := range pipelineStages(t, staged, "shipping-pipeline") {
		if st["Name"] != "Production-us" {
			continue
		}
		var got []string
		for _, a := range st["Actions"].([]interface{}) {
			act := a.(map[string]interface{})
			got = append(got, fmt.Sprintf("%s@%v", act["Name"], act["RunOrder"]))
		}
		if strings.Join(got, " ") != "Deploy-us-east-1@1 Deploy-us-west-2@1" {
			t.Errorf("Production-us actions %v", got)
		}
	}
}

// Each target's service stack is in the target's account and region, under the stack name
// <service>-<stage>; the pipeline's support stacks are where the targets away from home are,
// and the pipeline stack depends on them (they hold what its actions use).
func TestTargetsLandInTheirAccountsAndRegions(t *testing.T) {
	want := map[string]string{
		"shipping-pipeline":             homeAccount + "/" + homeRegion,
		"shipping-dev":                  homeAccount + "/" + homeRegion,
		"shipping-staging":              stagingAccount + "/" + homeRegion,
		"shipping-production-eu-west-1": productionAccount + "/eu-west-1",
		"shipping-production-us-east-1": productionAccount + "/us-east-1",
		"shipping-production-us-west-2": productionAccount + "/us-west-2",
		"tracking-staging":              stagingAccount + "/eu-west-1",
		"tracking-production-us-east-1": productionAccount + "/us-east-1",
	}
	for _, svc := range staged.services {
		for _, target := range svc.Targets {
			id := *target.Stack.Node().Id()
			if w, ok := want[id]; ok {
				if got := *target.Stack.Account() + "/" + *target.Stack.Region(); got != w {
					t.Errorf("%s is in %s, want %s", id, got, w)
				}
				delete(want, id)
			}
			if *target.Stack.StackName() != svc.Spec.StackName(target.Stage) {
				t.Errorf("%s: stack name %s", id, *target.Stack.StackName())
			}
		}
		deps := map[string]bool{}
		for _, d := range *svc.PipelineStack.Dependencies() {
			deps[*d.Node().Id()] = true
		}
		for _, s := range svc.SupportStacks {
			if !deps[*s.Node().Id()] {
				t.Errorf("%s does not depend on its support stack %s", *svc.PipelineStack.Node().Id(), *s.Node().Id())
			}
		}
	}
	for id := range want {
		if !strings.HasSuffix(id, "-pipeline") {
			t.Errorf("no target stack %s", id)
		}
	}
}

// A container pipeline whose targets are in other regions has an artifact store per region
// (CodePipeline: "ArtifactStores … must include the artifact store for the pipeline Region and
// for each cross-Region action", AWS::CodePipeline::Pipeline ArtifactStoreMap): its own bucket
// at home, and in us-east-1 the store of its support stack there, encrypted with a rotating key
// named by the alias the other stacks use. A Lambda pipeline deploys from CodeBuild at home
// and keeps one store.
func TestArtifactStoresPerRegion(t *testing.T) {
	_, p := staged.only(t, "tracking-pipeline", "AWS::CodePipeline::Pipeline")
	stores := map[string]string{}
	for _, s := range props(p)["ArtifactStores"].([]interface{}) {
		s := s.(map[string]interface{})
		store := s["ArtifactStore"].(map[string]interface{})
		stores[s["Region"].(string)] = flat(store["Location"]) + " " + flat(store["EncryptionKey"].(map[string]interface{})["Id"])
	}
	if len(stores) != 2 || !strings.HasPrefix(stores["eu-west-1"], "<PipelineArtifacts") ||
		!strings.HasSuffix(stores["us-east-1"], " arn:aws:kms:us-east-1:111111111111:"+pipeline.KeyAlias(&spec.Service{Name: "tracking"})) {
		t.Errorf("artifact stores %v", stores)
	}
	if _, ok := props(p)["ArtifactStore"]; ok {
		t.Error("a pipeline with artifact stores per region has a single one too")
	}
	// The us-east-1 store: encrypted with its stack's rotating key, which the alias names.
	tpl := "tracking-support-111111111111-us-east-1"
	keyID, key := staged.only(t, tpl, "AWS::KMS::Key")
	if props(key)["EnableKeyRotation"] != true {
		t.Errorf("%s: the store's key does not rotate", tpl)
	}
	_, alias := staged.only(t, tpl, "AWS::KMS::Alias")
	if props(alias)["AliasName"] != "alias/golden-pipelines/tracking" || flat(props(alias)["TargetKeyId"]) != "<"+keyID+".Arn>" {
		t.Errorf("%s: alias %v", tpl, props(alias))
	}
	_, shipping := staged.only(t, "shipping-pipeline", "AWS::CodePipeline::Pipeline")
	if _, ok := props(shipping)["ArtifactStores"]; ok {
		t.Error("the Lambda pipeline has artifact stores per region")
	}
}

// A CodeDeployToECS action in another account runs as a role in that account ("the action
// role in the other account", CodePipeline User Guide, "Create a pipeline in CodePipeline that
// uses resources from another AWS account"), in the pipeline's support stack there. It trusts the
// pipeline's account, may deploy only that target's application, deployment group and config,
// read the artifacts of its region's store and decrypt them with the pipeline's key by alias;
// the store and the key let it in on their side.
func TestCrossAccountDeployActionsActThroughATargetRole(t *testing.T) {
	for _, c := range []struct{ wave, action, account, region, store string }{
		{"Staging", "Deploy", stagingAccount, "eu-west-1", "tracking-pipeline"},
		{"Production-eu", "Deploy-eu-west-1", productionAccount, "eu-west-1", "tracking-pipeline"},
		{"Production-us", "Deploy-us-east-1", productionAccount, "us-east-1", "tracking-support-111111111111-us-east-1"},
	} {
		var action map[string]interface{}
		for _, st := range pipelineStages(t, staged, "tracking-pipeline") {
			for _, a := range st["Actions"].([]interface{}) {
				if st["Name"] == c.wave && a.(map[string]interface{})["Name"] == c.action {
					action = a.(map[string]interface{})
				}
			}
		}
		if action == nil {
			t.Fatalf("no action %s/%s", c.wave, c.action)
		}
		roleArn, _ := action["RoleArn"].(string)
		if !strings.HasPrefix(roleArn, "arn:aws:iam::"+c.account+":role/") {
			t.Errorf("%s/%s acts as %v, want a role of %s", c.wave, c.action, action["RoleArn"], c.account)
		}
		if c.region != homeRegion && action["Region"] != c.region {
			t.Errorf("%s/%s runs in %v, want %s", c.wave, c.action, action["Region"], c.region)
		}
		support := fmt.Sprintf("tracking-support-%s-%s", c.account, c.region)
		roles := staged.resources(t, support, "AWS::IAM::Role")
		if len(roles) != 1 {
			t.Fatalf("%s: %d roles", support, len(roles))
		}
		for _, r := range roles {
			trust := jsonString(t, get(props(r), "AssumeRolePolicyDocument", "Statement"))
			if !strings.Contains(trust, `"AWS":"arn:aws:iam::111111111111:root"`) {
				t.Errorf("%s: role trusts %s", support, trust)
			}
		}
		_, policy := staged.only(t, support, "AWS::IAM::Policy")
		statements := jsonString(t, get(props(policy), "PolicyDocument", "Statement"))
		for _, want := range []string{
			fmt.Sprintf(`"Resource":"arn:aws:codedeploy:%s:%s:application:tracking-%s"`, c.region, c.account, stageOf(c.wave)),
			fmt.Sprintf(`:codedeploy:%s:%s:deploymentgroup:tracking-%s/tracking-%s"`, c.region, c.account, stageOf(c.wave), stageOf(c.wave)),
			fmt.Sprintf(`"Resource":"arn:aws:codedeploy:%s:%s:deploymentconfig:CodeDeployDefault.ECS`, c.region, c.account),
			fmt.Sprintf(`"Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":"alias/golden-pipelines/tracking"}},"Effect":"Allow","Resource":"arn:aws:kms:%s:111111111111:key/*"`, c.region),
		} {
			if !strings.Contains(statements, want) {
				t.Errorf("%s: the role's policy lacks %s:\n%s", support, want, statements)
			}
		}
		// The store the action reads lets the role in (bucket policy and key policy).
		if !strings.Contains(jsonString(t, staged.templates[c.store]["Resources"]), roleArn) {
			t.Errorf("%s: no policy names the role %s", c.store, roleArn)
		}
	}
}

// stageOf is the definition's stage of a pipeline stage (Production-eu: production).
func stageOf(pipelineStage string) string {
	return strings.ToLower(strings.SplitN(pipelineStage, "-", 2)[0])
}

// The steps that act on a target away from home reach it through its account's CDK bootstrap
// deploy role, and only that role: their projects may assume it and get its ARN and region;
// at home they get neither.
func TestStepsReachTargetsThroughTheirDeployRole(t *testing.T) {
	for project, want := range map[string]string{
		"shipping-deploy-dev":                   "",
		"shipping-deploy-staging":               "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1 eu-west-1",
		"shipping-deploy-production-us-west-2":  "arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-west-2 us-west-2",
		"tracking-prepare-production-us-east-1": "arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-east-1 us-east-1",
	} {
		stack := strings.SplitN(project, "-", 2)[0] + "-pipeline"
		env := projectEnv(t, staged, stack, project, nil)
		got := strings.TrimSpace(env["TARGET_ROLE_ARN"] + " " + env["TARGET_REGION"])
		if got != want {
			t.Errorf("%s reaches %q, want %q", project, got, want)
		}
		_, role := projectRolePolicy(t, staged, stack, project)
		assumes := strings.Contains(role, `"Action":"sts:AssumeRole"`)
		if assumes != (want != "") || (want != "" && !strings.Contains(role, strings.Fields(want)[0])) {
			t.Errorf("%s: may assume a role: %v (%s)", project, assumes, role)
		}
	}
}

// The golden rule pre-production-before-production reads the role each deploying stage
// declares: every deploy and prepare step declares its stage's.
func TestEveryDeployingStepDeclaresItsRole(t *testing.T) {
	for _, svc := range staged.services {
		for _, target := range svc.Targets {
			project := svc.Spec.Name + "-deploy-" + target.Tag()
			if svc.Spec.IsContainer() {
				project = svc.Spec.Name + "-prepare-" + target.Tag()
			}
			env := projectEnv(t, staged, svc.Spec.PipelineStackName(), project, nil)
			if env["TARGET_ROLE"] != target.Role || env["STAGE"] != target.Stage ||
				!slices.Contains([]string{spec.RolePreProduction, spec.RoleProduction}, env["TARGET_ROLE"]) {
				t.Errorf("%s: TARGET_ROLE %q STAGE %q, want %q %q", project, env["TARGET_ROLE"], env["STAGE"], target.Role, target.Stage)
			}
		}
	}
}

// An account and region that more than five homes deploy to forwards their CodeDeploy events
// with a rule for every five (EventBridge: at most 5 targets per rule, "Amazon EventBridge
// quotas").
func TestForwardingRulesHoldAtMostFiveTargets(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("target"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")}})
	var homes []feedback.Home
	for i := 0; i < 7; i++ {
		homes = append(homes, feedback.Home{Account: fmt.Sprintf("11111111111%d", i), Region: "eu-west-1"})
	}
	f := feedback.NewTargetFeedback(stack, "TargetFeedback", &feedback.TargetFeedbackProps{Homes: homes})
	tpl := assertions.Template_FromStack(stack, nil)
	var got []string
	for _, r := range *tpl.FindResources(jsii.String("AWS::Events::Rule"), nil) {
		rule := (*r)["Properties"].(map[string]interface{})
		got = append(got, fmt.Sprintf("%s:%d", rule["Name"], len(rule["Targets"].([]interface{}))))
	}
	slices.Sort(got)
	if len(f.Forward) != 2 || strings.Join(got, " ") != "golden-pipelines-forward-deployments-2:2 golden-pipelines-forward-deployments:5" {
		t.Errorf("rules %v", got)
	}
}

// The us-east-1 artifact store's bucket and key policies name the deploy action role of the
// production account there: its stack is deployed after the role's (S3 and KMS refuse a policy
// naming a principal that does not exist: "Invalid principal in policy").
func TestArtifactStoresDeployAfterTheRolesTheyName(t *testing.T) {
	svc := staged.service(t, "tracking")
	for _, s := range svc.SupportStacks {
		if *s.Node().Id() != "tracking-support-111111111111-us-east-1" {
			continue
		}
		var deps []string
		for _, d := range *s.Dependencies() {
			deps = append(deps, *d.Node().Id())
		}
		if !slices.Contains(deps, "tracking-support-333333333333-us-east-1") {
			t.Errorf("the us-east-1 store depends on %v", deps)
		}
		return
	}
	t.Error("no us-east-1 store")
}
