package spec

import (
	"fmt"
	"strings"
)

// CrossServiceProblems checks the rules between the services of one app (each named once):
//
//   - CloudWatch alarm names are unique in an account and region, and a service's alarm names
//     are <service>-<stage>-<alarm>: service "a" with the custom alarm "production-x" in
//     staging and service "a-staging" with "x" in production would both name an alarm
//     "a-staging-production-x": the second stack would fail to deploy, or one service's
//     deployments be stopped by the other's alarm;
//   - the production stages' names, across services, fit the delivery metric filters'
//     patterns (OutcomePattern, MaxFilterPatternLength);
//   - a service may not build on another service's release repository (the repositories are
//     named after the services): its base image source would give its build role pull access
//     to the other service's images.
func CrossServiceProblems(services []Service) Problems {
	var out Problems
	owners := map[string][]string{} // alarm name (lower case) -> the services that name it
	for _, s := range services {
		for _, st := range s.Stages {
			for _, a := range s.DeploymentAlarmNames(st.Name) {
				owners[strings.ToLower(a)] = append(owners[strings.ToLower(a)], s.Name)
			}
		}
	}
	for _, s := range services {
		for j, st := range s.Stages {
			for i, c := range st.Alarms.Custom {
				name := s.AlarmName(st.Name, c.Name)
				for _, other := range owners[strings.ToLower(name)] {
					if other == s.Name {
						continue
					}
					out = append(out, Problem{Service: s.Name, Field: fmt.Sprintf("%s.alarms.custom[%d].name", s.StageField(j), i),
						What: fmt.Sprintf("makes the alarm name %q, which service %q's alarms use too (CloudWatch alarm names are unique in an account and region)", name, other),
						Fix:  "give the alarm another name"})
					break
				}
			}
		}
	}
	out = append(out, outcomePatternProblems(services)...)
	repositories := map[string]string{}
	for _, s := range services {
		repositories[s.RepositoryName()] = s.Name
	}
	for _, s := range services {
		if !s.IsContainer() || s.Container.BaseImage == nil {
			continue
		}
		if other, ok := repositories[s.Container.BaseImage.Repository]; ok && other != s.Name {
			out = append(out, Problem{Service: s.Name, Field: "container.baseImage.repository",
				What: fmt.Sprintf("%q is the release repository of service %q: building on it would give this service's build role pull access to that service's images", s.Container.BaseImage.Repository, other),
				Fix:  "name a repository of base images, e.g. base-images/node"})
		}
	}
	return out
}
