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
	services, err := pipelines.All()
	if err != nil {
		fail(err)
	}
	ctx := stacks.AppContext()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
	if _, err := stacks.AddServices(app, services, stacks.EnvFromCLI()); err != nil {
		fail(err)
	}
	app.Synth(nil)
}

// fail reports the problems and exits before anything is synthesized: no cloud assembly is
// written.
func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	jsii.Close()
	os.Exit(1)
}
