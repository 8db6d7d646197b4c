package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// fmtRecover renders what a failed synthesis raised ("" when it did not fail).
func fmtRecover(r interface{}) string {
	if r == nil {
		return ""
	}
	return fmt.Sprint(r)
}

// newService creates a Lambda service stack without a package bucket.
func newService(stack awscdk.Stack, svc spec.Service, stage string) *lambdaservice.LambdaService {
	return lambdaservice.NewLambdaService(stack, "Service", &lambdaservice.Props{Service: svc, Stage: stage})
}
