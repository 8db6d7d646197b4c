package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// placeholderCode returns the inline code a function of a stack runs before the first release.
func placeholderCode(t *testing.T, app *synthesized, stack, function string) string {
	t.Helper()
	fn := functionID(t, app, stack, function)
	code := props(app.templates[stack]["Resources"].(map[string]interface{})[fn].(map[string]interface{}))["Code"]
	ifArgs := code.(map[string]interface{})["Fn::If"].([]interface{})
	return ifArgs[2].(map[string]interface{})["ZipFile"].(string)
}

// Before the first release a hook runs placeholder code. It must report success to CodeDeploy:
// a deployment then (a configuration change through cdk deploy) would otherwise wait for the
// hook's status until CodeDeploy gives up, and fail. The placeholders run here with stand-ins
// for the AWS SDKs the Lambda runtimes provide, recording the call.
func TestPlaceholderHooksReportSuccess(t *testing.T) {
	event := `{"DeploymentId": "d-123", "LifecycleEventHookExecutionId": "h-456"}`
	cases := []struct {
		name, stack, function string
		run                   func(dir, out string) *exec.Cmd
		stub                  map[string]string
	}{
		{"node", "orders-production", "orders-production-pretraffic",
			func(dir, out string) *exec.Cmd {
				return exec.Command("node", "-e", `require("./index.js").handler(`+event+`)`)
			},
			map[string]string{"node_modules/@aws-sdk/client-codedeploy/index.js": `
class PutLifecycleEventHookExecutionStatusCommand { constructor(input) { this.input = input; } }
class CodeDeployClient { async send(cmd) { require("fs").writeFileSync(process.env.OUT, JSON.stringify(cmd.input)); } }
module.exports = { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand };`}},
		{"python", "custom-staging", "custom-staging-posttraffic",
			func(dir, out string) *exec.Cmd {
				return exec.Command("python3", "-c", `import index; index.handler(`+event+`, None)`)
			},
			map[string]string{"boto3/__init__.py": `
import json, os
class _CodeDeploy:
    def put_lifecycle_event_hook_execution_status(self, **kwargs):
        open(os.environ["OUT"], "w").write(json.dumps({k[0].lower() + k[1:]: v for k, v in kwargs.items()}))
def client(name):
    assert name == "codedeploy", name
    return _CodeDeploy()
`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := fixture
			if c.stack == "custom-staging" {
				app = variants
			}
			dir := t.TempDir()
			file := map[string]string{"node": "index.js", "python": "index.py"}[c.name]
			files := map[string]string{file: placeholderCode(t, app, c.stack, c.function)}
			for k, v := range c.stub {
				files[k] = v
			}
			for name, content := range files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "call.json")
			cmd := c.run(dir, out)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "OUT="+out, "PYTHONPATH="+dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("placeholder hook failed: %v\n%s", err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the placeholder hook did not report to CodeDeploy: %v", err)
			}
			var call map[string]string
			json.Unmarshal(b, &call)
			want := map[string]string{"deploymentId": "d-123", "lifecycleEventHookExecutionId": "h-456", "status": "Succeeded"}
			for k, v := range want {
				if call[k] != v {
					t.Errorf("reported %s=%q, want %q (%s)", k, call[k], v, b)
				}
			}
		})
	}
	// The service function's placeholder is not a hook: it answers callers with 503.
	if code := placeholderCode(t, fixture, "orders-production", "orders-production"); !strings.Contains(code, "statusCode: 503") {
		t.Errorf("function placeholder %q", code)
	}
}
