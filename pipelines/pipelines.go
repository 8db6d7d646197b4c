// Package pipelines holds the service definitions, one YAML file per service
// (<name>.yaml, checked by service.schema.json), and the loader that reads and validates them.
// To add a service, add its file: it is embedded into the app at build time.
package pipelines

import (
	"embed"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// Every file of the folder is embedded, so that a misnamed definition (*.yml, *.YAML, a folder
// named *.yaml, a file of another kind) is reported rather than skipped.
//
//go:embed *
var definitions embed.FS

// NotDefinitions are the files of the folder that are not definitions: the package's own. Any
// other file is a definition or a reported problem.
var NotDefinitions = []string{"*.go", "service.schema.json", "testdata"}

// All loads every service definition of the app, in file name order, with defaults filled in.
// A bad definition returns Problems naming file, line, column, field and fix, for every file.
func All() ([]spec.Service, error) {
	return LoadFS(definitions, ".", "pipelines", NotDefinitions...)
}
