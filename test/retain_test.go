package test

import (
	"testing"
)

// nameProperties are the properties that give a resource a name unique in its account and
// region, by resource type: a second resource of that name cannot be created while the first
// exists ("already exists").
var nameProperties = map[string]string{
	"AWS::Logs::LogGroup":         "LogGroupName",
	"AWS::ECR::Repository":        "RepositoryName",
	"AWS::S3::Bucket":             "BucketName",
	"AWS::Lambda::Function":       "FunctionName",
	"AWS::SNS::Topic":             "TopicName",
	"AWS::SSM::Parameter":         "Name",
	"AWS::IAM::Role":              "RoleName",
	"AWS::CodeBuild::Project":     "Name",
	"AWS::CodePipeline::Pipeline": "Name",
	"AWS::CloudWatch::Alarm":      "AlarmName",
	"AWS::CloudWatch::Dashboard":  "DashboardName",
	"AWS::ECS::Cluster":           "ClusterName",
	"AWS::DynamoDB::Table":        "TableName",
}

// A resource kept after its stack's create failed (DeletionPolicy Retain) under a name of its
// own makes every retry of that create fail with "already exists". Named resources the project
// keeps use RetainExceptOnCreate: "If the stack operation that created the resource is rolled
// back, CloudFormation deletes the resource. For all other stack operations, such as stack
// deletion, CloudFormation retains the resource" (CloudFormation User Guide, "DeletionPolicy
// attribute"). Checked on every stack of every synthesized app, the CDK's own resources
// included.
func TestNamedResourcesDoNotOutliveAFailedCreate(t *testing.T) {
	checked := 0
	for _, app := range []*synthesized{fixture, variants, regional} {
		for stack, tpl := range app.templates {
			for id, r := range tpl["Resources"].(map[string]interface{}) {
				res := r.(map[string]interface{})
				typ, _ := res["Type"].(string)
				prop, named := nameProperties[typ]
				if !named || res["DeletionPolicy"] != "Retain" {
					continue
				}
				p, _ := res["Properties"].(map[string]interface{})
				if p[prop] != nil {
					t.Errorf("%s/%s (%s) is retained under the name %s after a failed create: use RetainExceptOnCreate (cdkutil.RetainUnlessCreateFails)",
						stack, id, typ, jsonString(t, p[prop]))
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Error("no retained resource of a named type was found: the check checked nothing")
	}
}

// What the project keeps under its own names stays kept when a stack is deleted: the logs
// (function, container, CodeBuild, the delivery events) and the image repository.
func TestLogsAndImagesOutliveTheirStacks(t *testing.T) {
	for stack, tpl := range fixture.templates {
		for id, r := range tpl["Resources"].(map[string]interface{}) {
			res := r.(map[string]interface{})
			if typ := res["Type"]; (typ == "AWS::Logs::LogGroup" || typ == "AWS::ECR::Repository") && res["DeletionPolicy"] != "RetainExceptOnCreate" {
				t.Errorf("%s/%s (%s): DeletionPolicy %v, want RetainExceptOnCreate", stack, id, typ, res["DeletionPolicy"])
			}
		}
	}
}
