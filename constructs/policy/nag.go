package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Suppress acknowledges a cdk-nag finding on one resource, next to it: the CloudFormation
// resource (the construct, or its default child) gets the metadata cdk-nag reads
// (cdk_nag.rules_to_suppress), naming the rule, the reason and, for a rule with findings such
// as AwsSolutions-IAM5, which findings (appliesTo: exact strings, or "regex:/.../" patterns).
// Writing the metadata directly keeps cdk-nag itself out of the app: only the tests load it.
func Suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	if len(reason) < 10 {
		panic(fmt.Sprintf("policy.Suppress(%s): a reason of 10 characters or more", rule))
	}
	var res awscdk.CfnResource
	if r, ok := c.(awscdk.CfnResource); ok {
		res = r
	} else if r, ok := c.Node().DefaultChild().(awscdk.CfnResource); ok {
		res = r
	} else {
		panic(fmt.Sprintf("policy.Suppress(%s): %s is no CloudFormation resource and has none as its default child", rule, *c.Node().Path()))
	}
	suppression := map[string]interface{}{"id": rule, "reason": reason}
	if len(appliesTo) > 0 {
		var list []interface{}
		for _, a := range appliesTo {
			if re, ok := strings.CutPrefix(a, "regex:"); ok {
				list = append(list, map[string]interface{}{"regex": re})
			} else {
				list = append(list, a)
			}
		}
		suppression["applies_to"] = list
	}
	var existing []interface{}
	if m, ok := res.GetMetadata(jsii.String("cdk_nag")).(map[string]interface{}); ok {
		existing, _ = m["rules_to_suppress"].([]interface{})
	}
	res.AddMetadata(jsii.String("cdk_nag"), map[string]interface{}{"rules_to_suppress": append(existing, suppression)})
}

// SuppressAllowedWildcards acknowledges, for cdk-nag, the findings AwsSolutions-IAM5
// (wildcard permissions) of exactly the wildcards this package's lists allow, with the reason,
// once per stack: in the template's Metadata, which cdk-nag reads for every resource of the
// stack. It is the one acknowledgement not written next to its resources: written on each
// IAM policy and role (some 45 per service) it made the synthesis about 30% slower and the
// templates 35% larger (the benchmark at 50 services); here it costs one call per stack. It
// hides nothing: the golden rule iam-wildcards checks every statement of every stack at every
// synthesis and fails it on any wildcard the lists do not allow.
func SuppressAllowedWildcards(stack awscdk.Stack) {
	options := stack.TemplateOptions()
	metadata := map[string]interface{}{}
	if m := options.Metadata(); m != nil {
		for k, v := range *m {
			metadata[k] = v
		}
	}
	var existing []interface{}
	if m, ok := metadata["cdk_nag"].(map[string]interface{}); ok {
		existing, _ = m["rules_to_suppress"].([]interface{})
	}
	metadata["cdk_nag"] = map[string]interface{}{"rules_to_suppress": append(existing, map[string]interface{}{
		"id": "AwsSolutions-IAM5", "reason": wildcardReason,
		"applies_to": []interface{}{map[string]interface{}{"regex": wildcardFindings}},
	})}
	options.SetMetadata(&metadata)
}

// wildcardReason is the reason of every AwsSolutions-IAM5 suppression.
const wildcardReason = "only the wildcards the golden rule iam-wildcards allows, each listed with its reason in policy.WildcardActions, UnscopedActions and ScopedResources; the rule fails the synth on any other"

// wildcardFindings is one regular expression matching the cdk-nag IAM5 findings of exactly the
// allowed wildcards ("Action::s3:GetObject*", "Resource::*", "Resource::<Bucket.Arn>/*", …).
var wildcardFindings = func() string {
	var actions, resources []string
	for _, a := range WildcardActions {
		actions = append(actions, regexp.QuoteMeta(a.Pattern))
	}
	for _, a := range ScopedResources {
		resources = append(resources, strings.TrimSuffix(strings.TrimPrefix(a.Pattern, "^"), "$"))
	}
	// Keys by alias: cdk-nag cannot read the condition; the golden rule fails any without it.
	resources = append(resources, strings.TrimSuffix(strings.TrimPrefix(KeysByAlias.String(), "^"), "$"))
	return "/^(Action::(" + strings.Join(actions, "|") + ")|Resource::\\*|Resource::(" + strings.Join(resources, "|") + "))$/"
}()
