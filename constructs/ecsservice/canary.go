package ecsservice

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssynthetics"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/constructs/guard"
	"github.com/golden-pipelines/microservice-pipelines/constructs/internal/cdkutil"
	"github.com/golden-pipelines/microservice-pipelines/constructs/policy"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// CanaryRuntime is the CloudWatch Synthetics runtime of the container canaries: the newest
// Node.js runtime the CDK names (syn-nodejs-puppeteer-13.0, Node.js 22), which AWS has not
// deprecated ("CloudWatch Synthetics runtime support policy").
func CanaryRuntime() awssynthetics.Runtime {
	return awssynthetics.Runtime_SYNTHETICS_NODEJS_PUPPETEER_13_0()
}

// canaryScript is the canary: every URL must answer 2xx within 10 seconds (the calls run
// together), except that the load balancer's own 503 on the test listener is no failure there:
// its target group has no registered tasks before the first release (and after a first one
// rolled back); after a deployment the test listener forwards to the tasks that serve
// production ("AllowTestTraffic: Route traffic from the test listener to target group 2", and
// nothing moves it back: CodeDeploy User Guide, "What happens during an Amazon ECS
// deployment"). An exception fails the run.
const canaryScript = `const urls = JSON.parse(process.env.CANARY_URLS);
async function check({url, test}) {
  try {
    const res = await fetch(url, {redirect: "manual", signal: AbortSignal.timeout(10000)});
    const fromTheLoadBalancer = (res.headers.get("server") || "").startsWith("awselb");
    if (test && res.status === 503 && fromTheLoadBalancer) {
      console.log(url + ": no tasks behind the test listener yet (the load balancer answers 503)");
      return null;
    }
    if (res.status < 200 || res.status > 299) return url + ": HTTP " + res.status;
    console.log(url + ": HTTP " + res.status);
    return null;
  } catch (e) {
    return url + ": " + e.message;
  }
}
exports.handler = async () => {
  const failures = (await Promise.all(urls.map(check))).filter((f) => f !== null);
  if (failures.length > 0) throw new Error(failures.join("; "));
};
`

// CanaryTimeoutSeconds bounds a canary run: the calls run together, each stopped after 10 s.
const CanaryTimeoutSeconds = 30

// canaryDays is how long the canary's run artifacts (screenshots, HAR files, logs) are kept.
const canaryDays = 14

// canary creates the stage's Synthetics canary (canary.path set): every minute, from the
// service's private subnets (whose NAT gateways the test listener admits), it calls the health
// check path and the canary path through the production and the test listener. Its alarm
// fires when runs fail in two 2-minute periods in a row (two runs or more each, so one run that
// drifts across a minute does not leave a period empty), and treats missing data as breaching:
// a canary that does not report proves nothing. The alarm guards the deployment group and joins the health
// alarm. Returns nil without a canary path.
func (s *EcsService) canary(svc *spec.Service, st *spec.Stage) []guard.Alarm {
	path := st.Safety.Canary.Path
	if path == "" {
		return nil
	}
	c := svc.Container
	// The canary's parts in a scope of their own, whose buckets log their access through a
	// bucket policy (like every bucket of the project).
	node := constructs.NewConstruct(s.Construct, jsii.String("Synthetics"))
	cdkutil.LogAccessThroughBucketPolicy(node)
	key := awskms.NewKey(node, jsii.String("CanaryKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the canary artifacts of " + s.Name),
		EnableKeyRotation: jsii.Bool(true), RemovalPolicy: cdkutil.RetainUnlessCreateFails,
	})
	cdkutil.OnlyAWSServicesCreateGrants(key)
	logs := s.AccessLogs
	if logs == nil {
		logs = cdkutil.AccessLogBucket(node, "AccessLogs", svc.LogRetentionDays)
		policy.Suppress(logs, "AwsSolutions-S1", "this bucket receives the canary bucket's access logs; logging the log bucket's own access would need yet another bucket")
	}
	artifacts := cdkutil.PrivateBucket(node, "CanaryArtifacts", nil, key, logs, &awss3.LifecycleRule{
		Expiration:                          awscdk.Duration_Days(jsii.Number(canaryDays)),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	})
	sg := awsec2.NewSecurityGroup(node, jsii.String("CanarySecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: s.Vpc, AllowAllOutbound: jsii.Bool(true),
		Description: jsii.String(s.Name + " canary: calls the load balancer listeners through the NAT gateways and the Synthetics endpoints"),
	})
	urls := make([]string, 0, 4)
	dns := *s.LoadBalancer.LoadBalancerDnsName()
	for _, l := range []struct {
		port int
		test bool
	}{{c.ListenerPort, false}, {c.TestListenerPort, true}} {
		for _, p := range uniquePaths(c.HealthCheckPath, path) {
			urls = append(urls, fmt.Sprintf(`{"url": "http://%s:%d%s", "test": %t}`, dns, l.port, p, l.test))
		}
	}
	canary := awssynthetics.NewCanary(node, jsii.String("Canary"), &awssynthetics.CanaryProps{
		Runtime: CanaryRuntime(),
		Test: awssynthetics.Test_Custom(&awssynthetics.CustomTestOptions{
			Code: awssynthetics.Code_FromInline(jsii.String(canaryScript)), Handler: jsii.String("index.handler"),
		}),
		Schedule:                 awssynthetics.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(1))),
		Timeout:                  awscdk.Duration_Seconds(jsii.Number(CanaryTimeoutSeconds)),
		StartAfterCreation:       jsii.Bool(true),
		EnvironmentVariables:     &map[string]*string{"CANARY_URLS": jsii.String("[" + strings.Join(urls, ", ") + "]")},
		ArtifactsBucketLocation:  &awssynthetics.ArtifactsBucketLocation{Bucket: artifacts},
		ArtifactS3EncryptionMode: awssynthetics.ArtifactsEncryptionMode_KMS,
		ArtifactS3KmsKey:         key,
		Vpc:                      s.Vpc,
		VpcSubnets:               &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS},
		SecurityGroups:           &[]awsec2.ISecurityGroup{sg},
		// Deleting the stack deletes the canary's Lambda function and layers too.
		ProvisionedResourceCleanup: jsii.Bool(true),
	})
	policy.Suppress(canary.Role(), "AwsSolutions-IAM4",
		"the canary runs in the VPC: AWSLambdaVPCAccessExecutionRole is the managed policy Lambda documents for a function's network interfaces (the CDK's Canary attaches it)",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
	s.Canary = canary
	return []guard.Alarm{{ID: "CanaryAlarm", Name: svc.AlarmName(st.Name, spec.CanaryAlarm), What: "canary runs that succeeded (%)",
		Metric:    canary.MetricSuccessPercent(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(2))}),
		Threshold: 100, Comparison: "<", EvaluationPeriods: 2, MissingData: awscloudwatch.TreatMissingData_BREACHING}}
}

// uniquePaths is the health check path and the canary path, once each.
func uniquePaths(health, path string) []string {
	if health == path {
		return []string{health}
	}
	return []string{health, path}
}
