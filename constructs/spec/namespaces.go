package spec

import (
	"fmt"
	"strings"
	"unicode"
)

// AWSNamespaces are namespaces AWS services publish their metrics in
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/aws-services-cloudwatch-metrics.html).
// The list is not complete: it serves to catch a known namespace written in the wrong case
// (CloudWatch names are case-sensitive, so "AWS/lambda" names no metric at all).
var AWSNamespaces = []string{
	"AWS/AmazonMQ", "AWS/ApiGateway", "AWS/AppRunner", "AWS/AppSync", "AWS/ApplicationELB", "AWS/Athena",
	"AWS/AutoScaling", "AWS/Backup", "AWS/Billing", "AWS/CertificateManager", "AWS/CloudFront", "AWS/CodeBuild",
	"AWS/Cognito", "AWS/DocDB", "AWS/DynamoDB", "AWS/EBS", "AWS/EC2", "AWS/ECS", "AWS/EFS", "AWS/ELB", "AWS/ES",
	"AWS/ElastiCache", "AWS/Events", "AWS/Firehose", "AWS/Kafka", "AWS/Kinesis", "AWS/KMS", "AWS/Lambda", "AWS/Logs",
	"AWS/NATGateway", "AWS/Neptune", "AWS/NetworkELB", "AWS/RDS", "AWS/Redshift", "AWS/Route53", "AWS/S3",
	"AWS/SES", "AWS/SNS", "AWS/SQS", "AWS/States", "AWS/Usage", "AWS/WAFV2",
}

// namespace checks that a namespace can name a metric: AWS services publish in namespaces
// that start with "AWS/" exactly (nobody else may: PutMetricData refuses them), followed by
// the service's name in its case; a wildcard or a known namespace in another case names none.
func (v *validator) namespace(field, ns string) {
	if ns == "" || v.covered(field) || len(ns) < 4 || !strings.EqualFold(ns[:4], "AWS/") {
		return
	}
	service := ns[4:]
	for _, known := range AWSNamespaces {
		if strings.EqualFold(ns, known) {
			if ns != known {
				v.add(field, fmt.Sprintf("%q names no metric: CloudWatch namespaces are case-sensitive", ns), fmt.Sprintf("write %q", known))
			}
			return
		}
	}
	if !strings.HasPrefix(ns, "AWS/") || service == "" || !unicode.IsUpper(rune(service[0])) {
		v.add(field, fmt.Sprintf("%q names no metric: the namespaces of AWS services are \"AWS/\" and the service's name, which starts with a capital letter (CloudWatch names are case-sensitive)", ns),
			"write the namespace exactly as the service documents it, e.g. \"AWS/SQS\""+DidYouMean(ns, AWSNamespaces))
	}
}
