package test

import (
	"strconv"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// variantServices exercise what the example app does not: every predefined deployment config,
// custom canary and linear shifts, a service with no integration test, and a build whose
// commands the script tests run for real.
// checkPullRequests turns the pull-request check on.
var checkPullRequests = true

func variantServices() []spec.Service {
	var out []spec.Service
	// One service per pair of predefined configs: staging takes one, production another, so
	// every predefined config lands in some deployment group.
	configs := spec.PredefinedConfigs
	for i := 0; i < len(configs); i += 2 {
		prod := configs[(i+1)%len(configs)].Name
		out = append(out, spec.Service{
			Name:       "cfg" + strconv.Itoa(i),
			Lambda:     spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
			Staging:    spec.Environment{Deployment: spec.Deployment{Config: configs[i].Name}},
			Production: spec.Environment{Deployment: spec.Deployment{Config: prod, AcknowledgeAllAtOnce: prod == "AllAtOnce"}},
		})
	}
	out = append(out, spec.Service{
		Name: "custom",
		// Every kind of subscriber.
		Notifications: spec.Notifications{
			Emails:        []string{"custom-team@example.com"},
			Webhooks:      []string{"https://events.example.com/sns/custom"},
			SlackChannels: []string{"arn:aws:chatbot::123456789012:chat-configuration/slack-channel/custom-releases", "arn:aws:chatbot::123456789012:chat-configuration/slack-channel/platform"},
		},
		Lambda: spec.Lambda{Runtime: "python3.12", Handler: "app.handler", TimeoutSeconds: 30},
		Staging: spec.Environment{
			Deployment: spec.Deployment{Custom: &spec.CustomDeployment{Type: "canary", Percentage: 25, IntervalMinutes: 7}},
			Hooks:      spec.Hooks{PostTraffic: "hooks.post"},
		},
		Production: spec.Environment{
			Deployment: spec.Deployment{Custom: &spec.CustomDeployment{Type: "linear", Percentage: 20, IntervalMinutes: 4}},
		},
	})
	// scripted is what the buildspec tests run under bash: plain shell commands stand in for
	// a real toolchain.
	out = append(out, spec.Service{
		Name:   "scripted",
		Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		Build: spec.Build{
			Install: []string{`echo installed > "$WORK_LOG"`},
			Test: []string{
				`if [ -n "${FAIL_TESTS:-}" ]; then echo "1 test failed" >&2; exit 1; fi`,
				`printf '<testsuite name="unit" tests="1"/>\n' > reports/junit.xml`,
			},
			Package: []string{
				`mkdir -p dist`,
				`if [ -z "${EMPTY_PACKAGE:-}" ]; then printf 'exports.handler = async () => "ok";\n' > dist/index.js; fi`,
			},
		},
		IntegrationTest: spec.IntegrationTest{
			Commands: []string{`if [ -n "${FAIL_INTEGRATION:-}" ]; then echo "staging answered 500" >&2; exit 1; fi`, `echo "tested $RELEASE on $FUNCTION_ARN" >> "$WORK_LOG"`},
		},
	})
	// tagged releases tags of a GitLab subgroup's monorepo, through a connection of the older
	// codestar-connections form.
	out = append(out, spec.Service{
		Name: "tagged", Repository: "acme/platform/shop", Branch: "trunk",
		Source: spec.Source{Connection: "arn:aws:codestar-connections:eu-west-1:123456789012:connection/7f3e2d1c-0b9a-4887-a665-544332211000",
			Folder: "services/tagged", Tags: []string{"tagged-v*", "release-*"}, PullRequests: &checkPullRequests, Provider: "gitlab"},
		Lambda: spec.Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		// The pull-request check runs these under bash (TestPullRequestCheckRunsTheTestsFromTheFolder).
		Build: spec.Build{
			Install: []string{`pwd > "$WORK_LOG"`},
			Test:    []string{`printf '<testsuite name="unit" tests="1"/>\n' > "$REPORT_DIR/junit.xml"`, `echo "reports in $REPORT_DIR" >> "$WORK_LOG"`},
		},
	})
	// Container variants: every predefined ECS config (with the example app), custom ECS
	// shifts, and "boxed", whose docker build and prepare step the script tests run.
	out = append(out,
		spec.Service{
			// Port 80: a port below 1024, which the non-root container may bind only through a
			// system control.
			Name: "ecs-a", Container: &spec.Container{Port: 80}, Build: spec.Build{Test: []string{"true"}},
			Staging:    spec.Environment{Deployment: spec.Deployment{Config: "ECSAllAtOnce"}},
			Production: spec.Environment{Deployment: spec.Deployment{Config: "ECSCanary10Percent5Minutes"}},
		},
		spec.Service{
			Name: "ecs-b", Container: &spec.Container{}, Build: spec.Build{Test: []string{"true"}},
			Staging:    spec.Environment{Deployment: spec.Deployment{Config: "ECSCanary10Percent15Minutes"}},
			Production: spec.Environment{Deployment: spec.Deployment{Custom: &spec.CustomDeployment{Type: "linear", Percentage: 20, IntervalMinutes: 2}}},
		},
		spec.Service{
			Name:      "boxed",
			Container: &spec.Container{Port: 8081, BaseImage: &spec.BaseImage{Repository: "base/alpine"}},
			Build: spec.Build{Test: []string{
				`if [ -n "${FAIL_TESTS:-}" ]; then echo "1 test failed" >&2; exit 1; fi`,
				`printf '<testsuite name="unit" tests="1"/>\n' > "$REPORT_DIR/junit.xml"`,
			}},
			IntegrationTest: spec.IntegrationTest{Commands: []string{`echo "tested $RELEASE at $SERVICE_URL" >> "$WORK_LOG"`}},
			Staging: spec.Environment{
				Deployment: spec.Deployment{Config: "ECSLinear10PercentEvery3Minutes"},
				Hooks:      spec.Hooks{AfterAllowTestTraffic: "CodeDeployHook_boxed_smoke"},
			},
			Production: spec.Environment{
				Deployment: spec.Deployment{Custom: &spec.CustomDeployment{Type: "canary", Percentage: 25, IntervalMinutes: 4}},
				Hooks:      spec.Hooks{BeforeInstall: "CodeDeployHook_boxed_pre", AfterAllowTraffic: "CodeDeployHook_boxed_post"},
			},
		},
	)
	return out
}
