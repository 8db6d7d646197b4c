// Command app is the CDK app: it loads the service definitions, creates every service's stacks
// and synthesizes them. A bad definition exits non-zero before anything is written.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/golden-pipelines/microservice-pipelines/pipelines"
	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if _, err := stacks.AddServices(app, pipelines.All(), stacks.EnvFromCLI()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}
