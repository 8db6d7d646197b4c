// Command diagram draws every pipeline of a synthesized cloud assembly (default cdk.out) as a
// Mermaid flowchart, in Markdown: stages, actions, each environment's deployment group (traffic
// shifting, blue/green, rollback) and the alarms that guard it.
//
//	npm run cdk -- synth --quiet && go run ./cmd/diagram [cdk.out] > pipelines.md
package main

import (
	"os"

	"github.com/golden-pipelines/microservice-pipelines/internal/diagram"
)

func main() {
	os.Exit(diagram.Run(os.Args[1:], os.Stdout, os.Stderr))
}
