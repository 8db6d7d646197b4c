package test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/ecsservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/feedback"
	"github.com/golden-pipelines/microservice-pipelines/internal/controltower"
)

// Every stack of the example app, environment-agnostic as CI synthesizes it and for an account
// and region as cdk deploy does, passes every AWS Control Tower proactive control the npm
// package ships, but those acknowledged with their reason (controltower.Acknowledgements); and
// every acknowledgement is still needed somewhere (a stale one would hide a future finding).
func TestControlTowerControls(t *testing.T) {
	g, err := controltower.Find("..")
	if err != nil {
		t.Fatal(err)
	}
	if err := controltower.Validate(controltower.Acknowledgements, g); err != nil {
		t.Fatal(err)
	}
	used := make([]int, len(controltower.Acknowledgements))
	for _, app := range []*synthesized{fixture, regional, staged} {
		stacks, findings, err := g.CheckAssembly(app.dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(stacks) != len(app.templates) {
			t.Errorf("%s: checked %d stacks of %d", app.dir, len(stacks), len(app.templates))
		}
		open, covered := controltower.Triage(findings, controltower.Acknowledgements)
		for _, f := range open {
			t.Errorf("not acknowledged: %s", f)
		}
		for i, c := range covered {
			used[i] += len(c)
		}
	}
	for i, a := range controltower.Acknowledgements {
		if used[i] == 0 {
			t.Errorf("stale acknowledgement of %s (%s): it covers no finding of the example app; remove it", a.Control, a.Resources)
		}
	}
}

// docs/security.md's table of acknowledged controls is the code's list. After an intended
// change, UPDATE_SNAPSHOTS=1 rewrites it.
func TestReadmeListsTheAcknowledgedControls(t *testing.T) {
	g, err := controltower.Find("..")
	if err != nil {
		t.Fatal(err)
	}
	docBlock(t, "docs/security.md", "control-tower-acknowledgements", controltower.Markdown(controltower.Acknowledgements, g))
}

// flat renders a template value with its intrinsics as text: {"Ref": "X"} is <X>, a Fn::Join its
// joined parts, {"Fn::GetAtt": [X, Arn]} <X.Arn>.
func flat(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]interface{}:
		if ref, ok := x["Ref"].(string); ok {
			return "<" + ref + ">"
		}
		if att, ok := x["Fn::GetAtt"].([]interface{}); ok {
			return fmt.Sprintf("<%v.%v>", att[0], att[1])
		}
		if join, ok := x["Fn::Join"].([]interface{}); ok {
			var parts []string
			for _, p := range join[1].([]interface{}) {
				parts = append(parts, flat(p))
			}
			return strings.Join(parts, join[0].(string))
		}
	}
	return fmt.Sprint(v)
}

// statements are the statements of a key's policy.
func statements(key map[string]interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	for _, s := range props(key)["KeyPolicy"].(map[string]interface{})["Statement"].([]interface{}) {
		out = append(out, s.(map[string]interface{}))
	}
	return out
}

// Every log group is encrypted with its stack's LogsKey (CT.CLOUDWATCH.PR.3). CloudWatch Logs
// can use a key only if its key policy lets the Regional service principal logs.<region>.
// amazonaws.com, for the log groups named by the encryption context kms:EncryptionContext:aws:logs:arn
// ("Encrypt log data in CloudWatch Logs using AWS Key Management Service", Step 2:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): this
// account's and Region's, nothing wider. The key rotates and is retained: the log groups outlive
// their stack, and their data is readable only while the key exists.
func TestLogGroupsAreEncryptedWithTheStacksLogsKey(t *testing.T) {
	for _, c := range []struct {
		app               *synthesized
		principal, groups string
	}{
		{fixture, "logs.<AWS::Region>.<AWS::URLSuffix>", "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*"},
		{regional, "logs.eu-west-1.<AWS::URLSuffix>", "arn:aws:logs:eu-west-1:123456789012:log-group:*"},
	} {
		for stack := range c.app.templates {
			groups := c.app.resources(t, stack, "AWS::Logs::LogGroup")
			if len(groups) == 0 {
				t.Errorf("%s: no log group", stack)
			}
			for id, g := range groups {
				keyRef := flat(props(g)["KmsKeyId"])
				keyID := strings.TrimSuffix(strings.TrimPrefix(keyRef, "<"), ".Arn>")
				key, ok := c.app.resources(t, stack, "AWS::KMS::Key")[keyID]
				if !ok || !strings.HasPrefix(keyID, "LogsKey") {
					t.Errorf("%s: log group %s encrypted with %q, want the stack's LogsKey", stack, id, keyRef)
					continue
				}
				// Kept with the log groups it encrypts (which outlive their stack), gone with them
				// when the stack's create fails.
				if props(key)["EnableKeyRotation"] != true || key["DeletionPolicy"] != "RetainExceptOnCreate" {
					t.Errorf("%s: key %s rotation %v, deletion %v", stack, keyID, props(key)["EnableKeyRotation"], key["DeletionPolicy"])
				}
				var logs []map[string]interface{}
				for _, s := range statements(key) {
					if strings.HasPrefix(flat(get(s, "Principal", "Service")), "logs.") {
						logs = append(logs, s)
					}
				}
				if len(logs) != 1 {
					t.Fatalf("%s: %d statements for CloudWatch Logs in %s's policy", stack, len(logs), keyID)
				}
				s := logs[0]
				var actions []string
				for _, a := range s["Action"].([]interface{}) {
					actions = append(actions, a.(string))
				}
				sort.Strings(actions)
				// The page's kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and
				// kms:Describe*, spelt out.
				want := []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
					"kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"}
				if s["Effect"] != "Allow" || flat(get(s, "Principal", "Service")) != c.principal || s["Resource"] != "*" ||
					!slices.Equal(actions, want) || len(s["Condition"].(map[string]interface{})) != 1 ||
					flat(get(s, "Condition", "ArnLike", "kms:EncryptionContext:aws:logs:arn")) != c.groups {
					t.Errorf("%s: CloudWatch Logs statement of %s: %s", stack, keyID, jsonString(t, s))
				}
			}
		}
	}
}

// get walks a path of keys into nested maps.
func get(v interface{}, path ...string) interface{} {
	for _, k := range path {
		m, _ := v.(map[string]interface{})
		v = m[k]
	}
	return v
}

// Every key's policy denies kms:CreateGrant to everyone unless the grant is for an AWS service's
// resource or an AWS service asks (CT.KMS.PR.3): the condition keys kms:GrantIsForAWSResource and
// aws:PrincipalIsAWSService, both false under BoolIfExists
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
func TestOnlyAWSServicesCreateGrants(t *testing.T) {
	want := `{"Action":"kms:CreateGrant","Condition":{"BoolIfExists":{"aws:PrincipalIsAWSService":"false","kms:GrantIsForAWSResource":"false"}},` +
		`"Effect":"Deny","Principal":"*","Resource":"*","Sid":"OnlyAWSServicesCreateGrants"}`
	for _, app := range []*synthesized{fixture, regional, staged} {
		for stack := range app.templates {
			for id, key := range app.resources(t, stack, "AWS::KMS::Key") {
				found := 0
				for _, s := range statements(key) {
					if s["Effect"] == "Deny" {
						found++
						if got := jsonString(t, s); got != want {
							t.Errorf("%s: %s denies %s", stack, id, got)
						}
					}
				}
				if found != 1 {
					t.Errorf("%s: key %s has %d deny statements, want the CreateGrant one", stack, id, found)
				}
			}
		}
	}
}

// Every alarm has an action (CT.CLOUDWATCH.PR.1): it notifies its service's topic, the pipeline
// stack's by reference and the service stacks' by ARN (no cross-stack reference). CloudWatch
// can publish to that encrypted topic only when the topic policy lets cloudwatch.amazonaws.com
// publish for the alarm (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger)
// and the key policy lets it kms:Decrypt and kms:GenerateDataKey*
// (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns): the topic policy names
// exactly the alarms the stacks create.
func TestAlarmsNotifyTheServicesTopic(t *testing.T) {
	for _, svc := range fixture.services {
		name := svc.Spec.Name
		pipelineStack := svc.Spec.PipelineStackName()
		topicID, _ := byName(t, fixture, pipelineStack, "AWS::SNS::Topic", "TopicName", svc.Spec.NotificationTopicName())
		var created []string
		for _, stack := range []string{pipelineStack, svc.Spec.StackName("staging"), svc.Spec.StackName("production")} {
			want := "arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:" + name + "-notifications"
			if stack == pipelineStack {
				want = "<" + topicID + ">"
			}
			for id, a := range fixture.resources(t, stack, "AWS::CloudWatch::Alarm") {
				actions, _ := props(a)["AlarmActions"].([]interface{})
				if len(actions) != 1 || flat(actions[0]) != want {
					t.Errorf("%s: alarm %s notifies %s, want %s", stack, id, jsonString(t, actions), want)
				}
				created = append(created, props(a)["AlarmName"].(string))
			}
		}
		_, policy := fixture.only(t, pipelineStack, "AWS::SNS::TopicPolicy")
		var allowed []string
		for _, s := range get(props(policy), "PolicyDocument", "Statement").([]interface{}) {
			if flat(get(s, "Principal", "Service")) == "cloudwatch.amazonaws.com" {
				for _, arn := range get(s, "Condition", "ArnEquals", "aws:SourceArn").([]interface{}) {
					allowed = append(allowed, strings.TrimPrefix(flat(arn), "arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:"))
				}
			}
		}
		sort.Strings(created)
		sort.Strings(allowed)
		if !slices.Equal(created, allowed) || !slices.Equal(allowed, slices.Sorted(slices.Values(feedback.AlarmsNotifying(&svc.Spec)))) {
			t.Errorf("%s: the stacks create alarms %v, the topic policy lets %v publish", name, created, allowed)
		}
		_, key := fixture.pipelineKey(t, name)
		var decrypt bool
		for _, s := range statements(key) {
			services := fmt.Sprint(get(s, "Principal", "Service"))
			decrypt = decrypt || (strings.Contains(services, "cloudwatch.amazonaws.com") && jsonString(t, s["Action"]) == `["kms:Decrypt","kms:GenerateDataKey*"]`)
		}
		if !decrypt {
			t.Errorf("%s: the pipeline key does not let CloudWatch encrypt for the topic", name)
		}
	}
}

// The service's container runs as a non-root user (CT.ECS.PR.3) on a read-only root file system
// with /tmp on the task's scratch volume (CT.ECS.PR.6), with the task's memory as its hard limit
// (CT.ECS.PR.7); a port below 1024 is opened to non-root users by the network namespace's
// net.ipv4.ip_unprivileged_port_start (Linux reserves those ports to root otherwise).
func TestContainersRunAsNonRootOnAReadOnlyRoot(t *testing.T) {
	for _, c := range []struct {
		app           *synthesized
		stack         string
		memory, port  float64
		systemControl string
	}{
		{fixture, "catalog-production", 1024, 3000, "null"},
		{fixture, "search-staging", 512, 8080, "null"},
		{variants, "ecs-a-staging", 512, 80, `[{"Namespace":"net.ipv4.ip_unprivileged_port_start","Value":"80"}]`},
	} {
		_, td := c.app.only(t, c.stack, "AWS::ECS::TaskDefinition")
		containers := props(td)["ContainerDefinitions"].([]interface{})
		if len(containers) != 1 {
			t.Fatalf("%s: %d containers", c.stack, len(containers))
		}
		ct := containers[0].(map[string]interface{})
		if ct["User"] != ecsservice.ContainerUser || strings.HasPrefix(ct["User"].(string), "0") || ct["ReadonlyRootFilesystem"] != true ||
			ct["Memory"] != c.memory || props(td)["Memory"] != fmt.Sprint(c.memory) || jsonString(t, ct["SystemControls"]) != c.systemControl ||
			get(ct, "PortMappings") == nil || ct["PortMappings"].([]interface{})[0].(map[string]interface{})["ContainerPort"] != c.port {
			t.Errorf("%s: container %s", c.stack, jsonString(t, ct))
		}
		if got := jsonString(t, ct["MountPoints"]); got != `[{"ContainerPath":"/tmp","ReadOnly":false,"SourceVolume":"tmp"}]` {
			t.Errorf("%s: mount points %s", c.stack, got)
		}
		if got := jsonString(t, props(td)["Volumes"]); got != `[{"Name":"tmp"}]` {
			t.Errorf("%s: volumes %s", c.stack, got)
		}
	}
}

// Production load balancers are protected from deletion (CT.ELASTICLOADBALANCING.PR.5), staging
// ones not; the public subnets assign no public addresses at launch (CT.EC2.PR.11).
func TestLoadBalancerProtectionAndPublicSubnets(t *testing.T) {
	for stack, want := range map[string]string{"catalog-production": "true", "catalog-staging": "false", "search-production": "true"} {
		_, lb := fixture.only(t, stack, "AWS::ElasticLoadBalancingV2::LoadBalancer")
		var got string
		for _, a := range props(lb)["LoadBalancerAttributes"].([]interface{}) {
			if get(a, "Key") == "deletion_protection.enabled" {
				got = get(a, "Value").(string)
			}
		}
		if got != want {
			t.Errorf("%s: deletion protection %q, want %s", stack, got, want)
		}
		subnets := fixture.resources(t, stack, "AWS::EC2::Subnet")
		if len(subnets) != 4 {
			t.Errorf("%s: %d subnets", stack, len(subnets))
		}
		for id, s := range subnets {
			if props(s)["MapPublicIpOnLaunch"] != false {
				t.Errorf("%s: subnet %s assigns public addresses", stack, id)
			}
		}
	}
}
