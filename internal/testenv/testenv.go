// Package testenv prepares the environment of the test binaries.
package testenv

import (
	"os"
	"os/exec"
)

// WithoutValidation makes sure the process runs with CDK_VALIDATION=false (the CDK's
// CloudFormation validation off, for unit tests) from its start: the variable must be in the
// environment the jsii Node process inherits, so a test binary started without it runs itself
// again with it, and exits with that run's status. It returns only in the process that has it.
func WithoutValidation() {
	if os.Getenv("CDK_VALIDATION") == "false" {
		return
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "CDK_VALIDATION=false")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			os.Exit(exit.ExitCode())
		}
		panic(err)
	}
	os.Exit(0)
}
