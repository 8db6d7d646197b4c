package test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/lambdaservice"
	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// eval resolves the intrinsic functions the stacks use (Ref to parameters and pseudo
// parameters, Fn::Join, Fn::If with conditions, Fn::Not, Fn::Equals, Fn::FindInMap) the way
// CloudFormation does for the given parameter values. Other intrinsics stay as they are.
func eval(t *testing.T, tpl map[string]interface{}, params map[string]string, v interface{}) interface{} {
	t.Helper()
	switch x := v.(type) {
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = eval(t, tpl, params, e)
		}
		return out
	case map[string]interface{}:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					if p, ok := params[arg.(string)]; ok {
						return p
					}
				case "Fn::Join":
					parts := eval(t, tpl, params, arg.([]interface{})[1]).([]interface{})
					var b strings.Builder
					for _, p := range parts {
						s, ok := p.(string)
						if !ok {
							return x // joins a reference we do not resolve
						}
						b.WriteString(s)
					}
					return b.String()
				case "Fn::If":
					args := arg.([]interface{})
					cond := tpl["Conditions"].(map[string]interface{})[args[0].(string)]
					if eval(t, tpl, params, cond) == true {
						return eval(t, tpl, params, args[1])
					}
					return eval(t, tpl, params, args[2])
				case "Fn::FindInMap":
					args := eval(t, tpl, params, arg).([]interface{})
					mapping := tpl["Mappings"].(map[string]interface{})[args[0].(string)].(map[string]interface{})
					return mapping[args[1].(string)].(map[string]interface{})[args[2].(string)]
				case "Fn::Not":
					return eval(t, tpl, params, arg.([]interface{})[0]) != true
				case "Fn::Equals":
					args := arg.([]interface{})
					return reflect.DeepEqual(eval(t, tpl, params, args[0]), eval(t, tpl, params, args[1]))
				}
			}
		}
		out := map[string]interface{}{}
		for k, e := range x {
			out[k] = eval(t, tpl, params, e)
		}
		return out
	}
	return v
}

// deployedCode is what CloudFormation deploys as the function's code when the release
// parameter holds release.
func deployedCode(t *testing.T, app *synthesized, stack, release string) (code interface{}, handler interface{}) {
	t.Helper()
	tpl := app.templates[stack]
	fn := functionID(t, app, stack, stack)
	p := props(tpl["Resources"].(map[string]interface{})[fn].(map[string]interface{}))
	params := map[string]string{lambdaservice.ReleaseParameterID: release}
	return eval(t, tpl, params, p["Code"]), eval(t, tpl, params, p["Handler"])
}

// The function's code is named only through the release parameter: no template names a build.
func TestNoRevertCodeComesOnlyFromTheReleaseParameter(t *testing.T) {
	for _, svc := range fixture.services {
		if svc.Spec.IsContainer() {
			continue // see TestNoRevertContainer
		}
		for _, env := range svc.Targets {
			stack := svc.Spec.StackName(env.Stage)
			if strings.Contains(string(fixture.raw[stack]), "build-") {
				t.Errorf("%s: the template names a build; a deploy of it could put that build back", stack)
			}
			// The parameter is resolved from SSM on every create and update, from the
			// parameter the pipeline's deploy step writes.
			param := fixture.templates[stack]["Parameters"].(map[string]interface{})[lambdaservice.ReleaseParameterID].(map[string]interface{})
			if param["Type"] != "AWS::SSM::Parameter::Value<String>" {
				t.Errorf("%s: release parameter type %v: CloudFormation would not re-read the release", stack, param["Type"])
			}
			written := projectEnv(t, fixture, svc.Spec.PipelineStackName(), svc.Spec.Name+"-deploy-"+env.Stage, nil)["RELEASE_PARAMETER"]
			if param["Default"] != written || written != svc.Spec.ReleaseParameterName(env.Stage) {
				t.Errorf("%s: resolves %v but the pipeline writes %q", stack, param["Default"], written)
			}
			code, handler := deployedCode(t, fixture, stack, "build-7")
			want := fmt.Sprintf("%s/build-7.zip", svc.Spec.Name)
			if m, ok := code.(map[string]interface{}); !ok || m["S3Key"] != want {
				t.Errorf("%s: with release build-7 the code is %v, want S3Key %s", stack, code, want)
			}
			if handler != svc.Spec.Lambda.Handler {
				t.Errorf("%s: released handler %v, want %s", stack, handler, svc.Spec.Lambda.Handler)
			}
			// Before the first release the stack deploys a placeholder, not some build.
			code, handler = deployedCode(t, fixture, stack, spec.BootstrapRelease)
			if m, ok := code.(map[string]interface{}); !ok || m["ZipFile"] == nil || m["S3Key"] != nil || handler != "index.handler" {
				t.Errorf("%s: bootstrap code %v (handler %v), want the inline placeholder", stack, code, handler)
			}
		}
	}
}

// After the pipeline released build N, a `cdk deploy` of the service stack with a changed
// configuration (memory here) keeps build N: the changed template resolves the same release
// parameter to the same package, and publishes a new version of it that CodeDeploy shifts to.
func TestNoRevertConfigChangeKeepsTheReleasedBuild(t *testing.T) {
	const stack = "orders-production"
	before, after := fixture.templates[stack], memoryChanged.templates[stack]
	if reflect.DeepEqual(before, after) {
		t.Fatal("the memory change did not change the template: the test proves nothing")
	}
	fnAfter := functionID(t, memoryChanged, stack, stack)
	if got := props(after["Resources"].(map[string]interface{})[fnAfter].(map[string]interface{}))["MemorySize"]; got != 1024.0 {
		t.Fatalf("changed template has memory %v", got)
	}
	if !reflect.DeepEqual(before["Parameters"], after["Parameters"]) {
		t.Error("the release parameter changed with the configuration")
	}
	const released = "build-9f1c"
	codeBefore, _ := deployedCode(t, fixture, stack, released)
	codeAfter, _ := deployedCode(t, memoryChanged, stack, released)
	if !reflect.DeepEqual(codeBefore, codeAfter) {
		t.Errorf("code after the change %v, before %v", codeAfter, codeBefore)
	}
	if codeAfter.(map[string]interface{})["S3Key"] != "orders/"+released+".zip" {
		t.Errorf("deploy after release resolves to %v, want the released orders/%s.zip", codeAfter, released)
	}
	// A configuration change publishes a new version (new logical ID) and moves the alias to
	// it, so the change reaches traffic through CodeDeploy with its alarms.
	vBefore, _ := fixture.only(t, stack, "AWS::Lambda::Version")
	vAfter, version := memoryChanged.only(t, stack, "AWS::Lambda::Version")
	if vBefore == vAfter {
		t.Error("the configuration change keeps the old version: the live alias would not get the new memory")
	}
	_, alias := memoryChanged.only(t, stack, "AWS::Lambda::Alias")
	if got := jsonString(t, props(alias)["FunctionVersion"]); got != `{"Fn::GetAtt":["`+vAfter+`","Version"]}` {
		t.Errorf("alias points to %s, want the new version %s", got, vAfter)
	}
	// Each release changes the version's description, a replace-only property, so every
	// release publishes a new version even when the configuration is unchanged.
	desc := eval(t, after, map[string]string{lambdaservice.ReleaseParameterID: released}, props(version)["Description"])
	if desc != "release "+released {
		t.Errorf("version description %v, want %q", desc, "release "+released)
	}
}
