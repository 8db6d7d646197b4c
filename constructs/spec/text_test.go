package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// everyLambda and everyContainer set every text field of a Lambda and a container service, all
// valid: the base the property tests insert forbidden text into.
func everyLambda() Service {
	threshold := 5.0
	return Service{
		Name: "inventory", Repository: "inventory-service", Branch: "release/2.x",
		Lambda: Lambda{Runtime: "python3.12", Handler: "app.main", Environment: map[string]string{"MODE": "strict"},
			Secrets: map[string]Secret{"DB": {SecretsManager: "inventory/db"}, "KEY": {Parameter: "/inventory/key"}}},
		Build: Build{Install: []string{"pip install -r requirements.txt -t out"}, Test: []string{"pytest"}, ReportDir: "test-results",
			Package: []string{"cp -r app/. out/"}, PackageDir: "out", ComputeType: "MEDIUM"},
		IntegrationTest: IntegrationTest{Install: []string{"pip install -r it.txt"}, Commands: []string{"pytest it"}},
		Staging:         Environment{Deployment: Deployment{Custom: &CustomDeployment{Type: "linear", Percentage: 25, IntervalMinutes: 1}}},
		Production: Environment{Deployment: Deployment{Config: "Linear10PercentEvery1Minute"},
			Alarms: Alarms{Custom: []CustomAlarm{{Name: "lag", Namespace: "Shop", MetricName: "Lag", Dimensions: map[string]string{"Env": "prod"},
				Statistic: "p90", Threshold: &threshold, Comparison: "<"}}},
			Hooks: Hooks{PreTraffic: "hooks.pre", PostTraffic: "hooks.post"}},
		Notifications: Notifications{Emails: []string{"team@example.com"}, Webhooks: []string{"https://events.example.com/sns"},
			SlackChannels: []string{"arn:aws:chatbot::123456789012:chat-configuration/slack-channel/inventory"}},
	}
}

func everyContainer() Service {
	return Service{
		Name: "catalog",
		Container: &Container{HealthCheckPath: "/ready", Dockerfile: "docker/Dockerfile", Context: "app",
			Environment: map[string]string{"MODE": "fast"}, Secrets: map[string]Secret{"TOKEN_URL": {Parameter: "/catalog/token"}},
			BaseImage: &BaseImage{Repository: "base/python", Tag: "stable"}, ScanThreshold: "CRITICAL"},
		Build: Build{Test: []string{"make test"}},
		Staging: Environment{Hooks: Hooks{BeforeInstall: "CodeDeployHook_a", AfterInstall: "CodeDeployHook_b",
			AfterAllowTestTraffic: "CodeDeployHook_c", BeforeAllowTraffic: "CodeDeployHook_d", AfterAllowTraffic: "CodeDeployHook_e"},
			Safety: Safety{Canary: Canary{Path: "/catalog"}}},
	}
}

// everyStaged sets the fields of stages, waves and targets.
func everyStaged() Service {
	approve := true
	return Service{
		Name:       "ledger",
		Repository: "acme/shop",
		Source: Source{Connection: "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
			Folder: "services/ledger", Tags: []string{"ledger-v*"}, Provider: "gitlab-self-managed", Host: "git.example.com"},
		Lambda: Lambda{Runtime: "nodejs22.x", Handler: "index.handler"},
		Home:   Target{Account: "111111111111", Region: "eu-west-1"},
		Stages: []Stage{
			{Name: "dev", Role: RolePreProduction, Targets: []Target{{Region: "eu-west-1"}},
				IntegrationTest: IntegrationTest{Commands: []string{"npm run it"}},
				Safety: Safety{OnFailure: "stop", NoBakeReason: "dev is rebuilt every night", GateAlarms: []string{"platform-incident"},
					Windows: []Window{{Cron: "* * 8-18 ? * MON-FRI *", TimeZone: "Europe/Berlin"}}}},
			{Name: "prod", Role: RoleProduction, Approval: &approve, Waves: []Wave{
				{Name: "eu", Targets: []Target{{Account: "222222222222", Region: "eu-west-1"}}},
				{Name: "us", Targets: []Target{{Account: "222222222222", Region: "us-east-1"}, {Account: "222222222222", Region: "us-west-2"}}},
			}},
		},
	}
}

// textSpot is one text of a service value: a field or a name of a map, with its rule key.
type textSpot struct {
	path, key string
	name      bool // the name of a map entry
	set       func(string)
}

// textSpots finds every text of a service by reflection, with a setter for each.
func textSpots(v reflect.Value, path, key string) []textSpot {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return textSpots(v.Elem(), path, key)
		}
	case reflect.Struct:
		var out []textSpot
		for i := 0; i < v.NumField(); i++ {
			if name := YAMLName(v.Type().Field(i)); name != "" {
				out = append(out, textSpots(v.Field(i), join(path, name), v.Type().Name()+"."+name)...)
			}
		}
		return out
	case reflect.Slice:
		var out []textSpot
		for i := 0; i < v.Len(); i++ {
			out = append(out, textSpots(v.Index(i), fmt.Sprintf("%s[%d]", path, i), key)...)
		}
		return out
	case reflect.Map:
		var out []textSpot
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			m, k := v, k
			out = append(out, textSpot{path: join(path, k.String()), key: key + ":key", name: true, set: func(s string) {
				val := m.MapIndex(k)
				m.SetMapIndex(k, reflect.Value{})
				m.SetMapIndex(reflect.ValueOf(s), val)
			}})
			if m.Type().Elem().Kind() == reflect.String {
				out = append(out, textSpot{path: join(path, k.String()), key: key,
					set: func(s string) { m.SetMapIndex(k, reflect.ValueOf(s)) }})
			} else {
				// A struct value (a Secret): copy it, set the field, put it back.
				for i := 0; i < m.Type().Elem().NumField(); i++ {
					f := m.Type().Elem().Field(i)
					if m.MapIndex(k).Field(i).String() == "" {
						continue
					}
					i := i
					out = append(out, textSpot{path: join(join(path, k.String()), YAMLName(f)), key: m.Type().Elem().Name() + "." + YAMLName(f),
						set: func(s string) {
							c := reflect.New(m.Type().Elem()).Elem()
							c.Set(m.MapIndex(k))
							c.Field(i).SetString(s)
							m.SetMapIndex(k, c)
						}})
				}
			}
		}
		return out
	case reflect.String:
		if v.String() != "" { // only the fields the definition sets
			return []textSpot{{path: path, key: key, set: v.SetString}}
		}
	}
	return nil
}

// forbidden is text no field may hold, with whether commands may (they hold line breaks,
// tabs and #{).
var forbidden = []struct {
	text        string
	inCommands  bool
	description string
}{
	{"{{resolve:ssm:/platform/db-password}}", false, "SSM dynamic reference"},
	{"{{resolve:secretsmanager:prod/db:SecretString:password}}", false, "Secrets Manager dynamic reference"},
	{"{{ resolve:ssm-secure:x:1}}", false, "spaced dynamic reference"},
	{"${Token[TOKEN.123]}", false, "CDK string token"},
	{"#{Token[TOKEN.7]}", false, "CDK list token"},
	{"-1.8881545897087626e+289", false, "CDK number token as text"},
	{"#{codepipeline.PipelineExecutionId}", true, "CodePipeline variable"},
	{"\x00", false, "NUL"},
	{"\x1b[2J", false, "escape"},
	{"\r", false, "carriage return"},
	{"\n", true, "line feed"},
	{"\t", true, "tab"},
	{"\x7f", false, "DEL"},
	{"\u0085", false, "next line"},
	{"\u2028", false, "line separator"},
	{"\u2029", false, "paragraph separator"},
	{"\u202e", false, "right-to-left override"},
	{"\u200b", false, "zero-width space"},
	{"\xff", false, "invalid UTF-8"},
}

// Every forbidden pattern, in every text field (and every name of a map) of a valid
// definition, is refused with a problem naming that field.
func TestEveryTextFieldRefusesForbiddenText(t *testing.T) {
	exercised := map[string]bool{}
	for _, base := range []func() Service{everyLambda, everyContainer, everyStaged} {
		if err := base().WithDefaults().Validate(); err != nil {
			t.Fatalf("the base definition is invalid: %v", err)
		}
		s := base()
		spots := textSpots(reflect.ValueOf(&s), "", "")
		for i, spot := range spots {
			exercised[spot.key] = true
			for _, f := range forbidden {
				command := TextRules[spot.key].Lines
				if command && f.inCommands {
					continue
				}
				s := base()
				target := textSpots(reflect.ValueOf(&s), "", "")[i]
				value := "x" + f.text + "y"
				target.set(valueFor(target, value))
				path := target.path
				if target.name {
					path = path[:strings.LastIndex(path, ".")+1] + valueFor(target, value)
				}
				err := s.WithDefaults().Validate()
				if !hasProblem(err, path) {
					t.Errorf("%s with %s (%q): no problem on %s: %v", spot.path, f.description, f.text, Visible(path), err)
				}
			}
		}
	}
	for key, r := range TextRules {
		if !exercised[key] && r.Max > 0 {
			t.Errorf("no base definition sets %s: the test does not cover it", key)
		}
	}
}

// valueFor keeps a name valid apart from the inserted text (names are letters first).
func valueFor(s textSpot, v string) string {
	if s.name {
		return "A" + v
	}
	return v
}

func hasProblem(err error, field string) bool {
	ps, _ := err.(Problems)
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Field == field && p.What != "" && p.Fix != "" })
}

// fieldKeys walks the spec types (not values) and returns the rule key of every text, every
// list or map, and every whole number.
func fieldKeys(t reflect.Type, key string, texts, collections, ints map[string]bool) {
	switch t.Kind() {
	case reflect.Pointer:
		fieldKeys(t.Elem(), key, texts, collections, ints)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if name := YAMLName(t.Field(i)); name != "" {
				fieldKeys(t.Field(i).Type, t.Name()+"."+name, texts, collections, ints)
			}
		}
	case reflect.Slice:
		collections[key] = true
		fieldKeys(t.Elem(), key, texts, collections, ints)
	case reflect.Map:
		collections[key] = true
		texts[key+":key"] = true
		fieldKeys(t.Elem(), key, texts, collections, ints)
	case reflect.String:
		texts[key] = true
	case reflect.Int:
		ints[key] = true
	}
}

// Every text field of the spec types has its rule, every list and map its largest size, every
// whole number its range: a field added without them fails here. The table has no rule for a
// field that does not exist.
func TestEveryFieldHasItsRule(t *testing.T) {
	texts, collections, ints := map[string]bool{}, map[string]bool{}, map[string]bool{}
	fieldKeys(reflect.TypeOf(Service{}), "", texts, collections, ints)
	for key := range texts {
		r, ok := TextRules[key]
		if !ok {
			t.Errorf("text field %s has no TextRule", key)
		} else if r.Max == 0 || r.By == "" {
			t.Errorf("%s has no length limit or no one who sets it: %+v", key, r)
		}
		if (r.Pattern != nil || r.Valid != nil) && (r.Is == "" || r.Fix == "") {
			t.Errorf("%s has a form without its name or fix", key)
		}
	}
	for key := range TextRules {
		if !texts[key] && !collections[key] {
			t.Errorf("TextRules has %s, which is no text, list or map field", key)
		}
	}
	for key := range collections {
		// A map of secrets or variables is sized by the rule of its names or values.
		r, ok := TextRules[key]
		if !ok {
			r = TextRules[key+":key"]
		}
		if r.MaxItems == 0 || r.Items == "" || r.ItemsWhy == "" {
			t.Errorf("list or map %s has no largest size with its reason", key)
		}
	}
	for key := range ints {
		if _, ok := Ranges[key]; !ok {
			t.Errorf("whole number %s has no Range", key)
		}
	}
	for key := range Ranges {
		if !ints[key] {
			t.Errorf("Ranges has %s, which is no whole number", key)
		}
	}
}

// The longest names and texts the rules allow still give CloudWatch alarm names of at most 255
// characters and descriptions of at most 1,024 (PutMetricAlarm AlarmName, AlarmDescription):
// the field limits keep every alarm within CloudWatch's.
func TestFieldLimitsKeepAlarmsWithinCloudWatch(t *testing.T) {
	longest := func(key string) string { return strings.Repeat("a", TextRules[key].Max) }
	s := Service{Name: longest("Service.name")}
	for _, env := range []string{longest("Stage.name")} {
		name := s.AlarmName(env, longest("CustomAlarm.name"))
		if Length(name) > MaxAlarmNameChars {
			t.Errorf("the longest alarm name in %s has %d characters", env, Length(name))
		}
		d := AlarmDescription(name, longest("CustomAlarm.namespace")+" "+longest("CustomAlarm.metricName"), ">=", -1.2345678901234567e+108)
		if Length(d) > MaxAlarmDescriptionChars {
			t.Errorf("the longest alarm description in %s has %d characters", env, Length(d))
		}
	}
}
