package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

type m = map[string]interface{}
type a = []interface{}

// The deployment config of every environment lands in its deployment group: each predefined
// name by CodeDeploy's own name, each custom shift as a deployment config of its own.
func TestEveryPredefinedConfigLandsInItsDeploymentGroup(t *testing.T) {
	seen := map[string]bool{}
	for _, svc := range variants.services {
		if svc.Spec.IsContainer() {
			continue // see TestEveryPredefinedEcsConfigLandsInItsDeploymentGroup
		}
		for _, env := range svc.Spec.Stages {
			if env.Deployment.Custom != nil {
				continue
			}
			want := "CodeDeployDefault.Lambda" + env.Deployment.Config
			stack := svc.Spec.StackName(env.Name)
			assert(t, stack+" deployment config", func() {
				variants.template(t, stack).HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
					"DeploymentConfigName": want,
					"DeploymentGroupName":  svc.Spec.DeploymentGroupName(env.Name),
				})
			})
			seen[env.Deployment.Config] = true
		}
	}
	for _, c := range spec.PredefinedConfigs {
		if !seen[c.Name] {
			t.Errorf("predefined config %s is not exercised by any variant service", c.Name)
		}
	}
}

func TestDefaultsAreAllAtOnceInStagingAndCanaryInProduction(t *testing.T) {
	assert(t, "orders-staging", func() {
		fixture.template(t, "orders-staging").HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
			"DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
		})
	})
	assert(t, "orders-production", func() {
		fixture.template(t, "orders-production").HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
			"DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
		})
	})
}

func TestCustomCanaryAndLinearShifts(t *testing.T) {
	cases := []struct {
		stack, typ, key string
		percent, minute float64
	}{
		{"custom-staging", "TimeBasedCanary", "TimeBasedCanary", 25, 7},
		{"custom-production", "TimeBasedLinear", "TimeBasedLinear", 20, 4},
	}
	for _, c := range cases {
		tpl := variants.template(t, c.stack)
		assert(t, c.stack+" custom config", func() {
			tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentConfig"), &m{
				"ComputePlatform": "Lambda",
				"TrafficRoutingConfig": m{
					"Type": c.typ,
					c.key: m{
						(map[string]string{"TimeBasedCanary": "CanaryPercentage", "TimeBasedLinear": "LinearPercentage"})[c.key]: c.percent,
						(map[string]string{"TimeBasedCanary": "CanaryInterval", "TimeBasedLinear": "LinearInterval"})[c.key]:     c.minute,
					},
				},
			})
		})
		id, _ := variants.only(t, c.stack, "AWS::CodeDeploy::DeploymentConfig")
		assert(t, c.stack+" uses its custom config", func() {
			tpl.HasResourceProperties(jsii.String("AWS::CodeDeploy::DeploymentGroup"), &m{
				"DeploymentConfigName": m{"Ref": id},
			})
		})
	}
}

// Every deployment group rolls back on failure, on stop and on alarm, and has the default
// alarms plus the service's own attached.
func TestDeploymentGroupsRollBackAndCarryAlarms(t *testing.T) {
	for _, app := range []*synthesized{fixture, variants} {
		for _, svc := range app.services {
			for _, env := range svc.Targets {
				stack := svc.Spec.StackName(env.Stage)
				_, dg := app.only(t, stack, "AWS::CodeDeploy::DeploymentGroup")
				p := props(dg)
				rollback := jsonString(t, p["AutoRollbackConfiguration"])
				for _, event := range []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"} {
					if !strings.Contains(rollback, event) || !strings.Contains(rollback, `"Enabled":true`) {
						t.Errorf("%s: auto-rollback %s lacks %s", stack, rollback, event)
					}
				}
				alarms := app.resources(t, stack, "AWS::CloudWatch::Alarm")
				attached := jsonString(t, p["AlarmConfiguration"])
				if !strings.Contains(attached, `"Enabled":true`) {
					t.Errorf("%s: alarm configuration not enabled: %s", stack, attached)
				}
				defaults := 3 // errors, throttles, p99 duration
				if svc.Spec.IsContainer() {
					defaults = len(spec.EcsDefaultAlarms())
				}
				want := defaults + len(svc.Spec.Stage(env.Stage).Alarms.Custom)
				if len(alarms) != want {
					t.Errorf("%s: %d alarms, want %d (3 defaults + custom)", stack, len(alarms), want)
				}
				for id := range alarms {
					if !strings.Contains(attached, `"Ref":"`+id+`"`) {
						t.Errorf("%s: alarm %s is not attached to the deployment group", stack, id)
					}
				}
			}
		}
	}
}

// The default alarms watch the live alias with the documented thresholds.
func TestDefaultAlarmsWatchTheLiveAlias(t *testing.T) {
	tpl := fixture.template(t, "orders-staging")
	aliasDims := aliasDimension(t, fixture, "orders-staging")
	for _, c := range []struct {
		metric, stat string
		threshold    float64
	}{
		{"Errors", "Sum", 1},
		{"Throttles", "Sum", 1},
		// 80% of orders' 6 s timeout
		{"Duration", "", 4800},
	} {
		want := m{
			"MetricName":         c.metric,
			"Namespace":          "AWS/Lambda",
			"Threshold":          c.threshold,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"EvaluationPeriods":  1,
			"Period":             60,
			"TreatMissingData":   "notBreaching",
			"Dimensions":         aliasDims,
		}
		if c.stat != "" {
			want["Statistic"] = c.stat
		} else {
			want["ExtendedStatistic"] = "p99"
		}
		assert(t, c.metric+" alarm", func() {
			tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &want)
		})
	}
	// payments raises its errors threshold in production and adds an alarm on the alias.
	prod := fixture.template(t, "payments-production")
	assert(t, "payments errors threshold", func() {
		prod.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{"MetricName": "Errors", "Threshold": 3})
	})
	assert(t, "payments custom alarm on the alias", func() {
		prod.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "payments-production-concurrency", "MetricName": "ConcurrentExecutions",
			"Statistic": "Maximum", "Threshold": 200, "Dimensions": aliasDimension(t, fixture, "payments-production"),
		})
	})
	assert(t, "orders custom alarm in its own namespace", func() {
		fixture.template(t, "orders-production").HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), &m{
			"AlarmName": "orders-production-failed-orders", "Namespace": "Orders", "MetricName": "FailedOrders",
			"Dimensions": a{m{"Name": "Environment", "Value": "production"}}, "Threshold": 5,
		})
	})
}

// Hooks are wired into the alias update policy, may report their status and invoke the
// function, and CodeDeploy may invoke them.
func TestHooksAreWiredWithTheirPermissions(t *testing.T) {
	tpl := fixture.template(t, "orders-production")
	pre, post := hookID(t, fixture, "orders-production", "pretraffic"), hookID(t, fixture, "orders-production", "posttraffic")
	assert(t, "alias update policy names both hooks", func() {
		tpl.HasResource(jsii.String("AWS::Lambda::Alias"), &m{
			"UpdatePolicy": m{"CodeDeployLambdaAliasUpdate": m{
				"BeforeAllowTrafficHook": m{"Ref": pre},
				"AfterAllowTrafficHook":  m{"Ref": post},
				"ApplicationName":        assertions.Match_AnyValue(),
				"DeploymentGroupName":    assertions.Match_AnyValue(),
			}},
			"DependsOn": assertions.Match_ArrayWith(&a{pre}),
		})
		tpl.HasResource(jsii.String("AWS::Lambda::Alias"), &m{
			"DependsOn": assertions.Match_ArrayWith(&a{post}),
		})
	})
	policies := jsonString(t, fixture.resources(t, "orders-production", "AWS::IAM::Policy"))
	if n := strings.Count(policies, "codedeploy:PutLifecycleEventHookExecutionStatus"); n != 2 {
		t.Errorf("want both hooks allowed to report their status, found the permission %d times", n)
	}
	for _, hook := range []string{pre, post} {
		role := props(fixture.templates["orders-production"]["Resources"].(map[string]interface{})[hook].(map[string]interface{}))["Role"]
		roleID := role.(map[string]interface{})["Fn::GetAtt"].([]interface{})[0].(string)
		assert(t, hook+" may report and invoke the function", func() {
			tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
				"Roles": a{m{"Ref": roleID}},
				"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{
					assertions.Match_ObjectLike(&m{"Action": "lambda:InvokeFunction", "Effect": "Allow"}),
					assertions.Match_ObjectLike(&m{"Action": "codedeploy:PutLifecycleEventHookExecutionStatus", "Effect": "Allow"}),
				})},
			})
		})
	}
	assert(t, "CodeDeploy may invoke the hooks", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{
				assertions.Match_ObjectLike(&m{"Action": "lambda:InvokeFunction", "Resource": assertions.Match_ArrayWith(&a{
					m{"Fn::GetAtt": a{pre, "Arn"}},
				})}),
			})},
		})
	})
	// staging of orders has only the pre-traffic hook; payments has none.
	assert(t, "orders-staging has no post-traffic hook", func() {
		fixture.template(t, "orders-staging").HasResource(jsii.String("AWS::Lambda::Alias"), &m{
			"UpdatePolicy": m{"CodeDeployLambdaAliasUpdate": m{"AfterAllowTrafficHook": assertions.Match_Absent()}},
		})
	})
	for _, stack := range []string{"payments-staging", "payments-production"} {
		if n := len(fixture.resources(t, stack, "AWS::Lambda::Function")); n != 1 {
			t.Errorf("%s: %d functions, want only the service function (no hooks)", stack, n)
		}
	}
}

// aliasDimension matches metric dimensions that measure the live alias of a stack's function.
func aliasDimension(t *testing.T, app *synthesized, stack string) assertions.Matcher {
	t.Helper()
	fn := functionID(t, app, stack, stack)
	return assertions.Match_ArrayWith(&a{
		m{"Name": "Resource", "Value": m{"Fn::Join": a{"", a{m{"Ref": fn}, ":live"}}}},
	})
}

func hookID(t *testing.T, app *synthesized, stack, hook string) string {
	t.Helper()
	return functionID(t, app, stack, stack+"-"+hook)
}

func functionID(t *testing.T, app *synthesized, stack, name string) string {
	t.Helper()
	for id, r := range app.resources(t, stack, "AWS::Lambda::Function") {
		if props(r)["FunctionName"] == name {
			return id
		}
	}
	t.Fatalf("%s: no function named %s", stack, name)
	return ""
}

// The function's configuration comes from the definition, and every function logs to a log
// group with the service's retention.
func TestFunctionConfiguration(t *testing.T) {
	assert(t, "orders function", func() {
		fixture.template(t, "orders-production").HasResourceProperties(jsii.String("AWS::Lambda::Function"), &m{
			"FunctionName": "orders-production", "Runtime": "nodejs22.x", "MemorySize": 512, "Timeout": 6,
			"Environment":   m{"Variables": m{"LOG_LEVEL": "info", "TABLE_PREFIX": "orders"}},
			"TracingConfig": m{"Mode": "Active"},
		})
	})
	assert(t, "payments defaults", func() {
		fixture.template(t, "payments-staging").HasResourceProperties(jsii.String("AWS::Lambda::Function"), &m{
			"FunctionName": "payments-staging", "Runtime": "python3.13", "MemorySize": spec.DefaultMemoryMiB,
			"Timeout": spec.DefaultTimeoutSeconds,
			"Handler": m{"Fn::If": a{"Released", "app.handler", "index.handler"}},
		})
	})
	assert(t, "payments logs 90 days", func() {
		fixture.template(t, "payments-staging").HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), &m{
			"LogGroupName": "/aws/lambda/payments-staging", "RetentionInDays": 90,
		})
	})
	assert(t, "alias is live", func() {
		fixture.template(t, "payments-staging").HasResourceProperties(jsii.String("AWS::Lambda::Alias"), &m{"Name": "live"})
	})
}

// A function's secret stays in Secrets Manager: the function gets its ARN (without the random
// suffix) and may read that secret only; its role writes its own log group, nothing more.
func TestLambdaSecretsByReferenceAndOwnLogs(t *testing.T) {
	tpl := fixture.template(t, "orders-staging")
	secretArn := m{"Fn::Join": a{"", a{"arn:", m{"Ref": "AWS::Partition"}, ":secretsmanager:", m{"Ref": "AWS::Region"}, ":", m{"Ref": "AWS::AccountId"}, ":secret:orders/db"}}}
	assert(t, "secret ARN, not value", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), &m{
			"FunctionName": "orders-staging",
			"Environment":  m{"Variables": assertions.Match_ObjectLike(&m{"DB_PASSWORD_SECRET_ARN": secretArn})},
		})
	})
	fnID := ""
	for id, r := range fixture.resources(t, "orders-staging", "AWS::Lambda::Function") {
		if props(r)["FunctionName"] == "orders-staging" {
			fnID = id
		}
	}
	role := jsonString(t, props(fixture.templates["orders-staging"]["Resources"].(map[string]interface{})[fnID].(map[string]interface{}))["Role"])
	for id, r := range fixture.resources(t, "orders-staging", "AWS::IAM::Role") {
		if !strings.Contains(role, id) {
			continue
		}
		if _, managed := props(r)["ManagedPolicyArns"]; managed {
			t.Errorf("function role %s has managed policies: %s", id, jsonString(t, props(r)["ManagedPolicyArns"]))
		}
	}
	assert(t, "reads the secret", func() {
		tpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &m{
			"PolicyDocument": m{"Statement": assertions.Match_ArrayWith(&a{assertions.Match_ObjectLike(&m{
				"Action":   a{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
				"Resource": m{"Fn::Join": a{"", a{"arn:", m{"Ref": "AWS::Partition"}, ":secretsmanager:", m{"Ref": "AWS::Region"}, ":", m{"Ref": "AWS::AccountId"}, ":secret:orders/db-??????"}}},
			})})},
		})
	})
}
