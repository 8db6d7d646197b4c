// Package pipelines holds the service definitions, one file per service. To add a service, add
// a file with its definition and list it in All.
package pipelines

import "github.com/golden-pipelines/microservice-pipelines/constructs/spec"

// All returns every service definition of the app, in stack order.
func All() []spec.Service {
	return []spec.Service{Orders(), Payments()}
}
