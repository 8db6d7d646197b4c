package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Subscribers of every kind are accepted, copied by WithDefaults, and absent by default.
func TestNotificationsDefaultsAndCopies(t *testing.T) {
	if n := minimal().WithDefaults().Notifications; n.Emails != nil || n.Webhooks != nil || n.SlackChannels != nil {
		t.Errorf("default subscribers %+v, want none", n)
	}
	s := minimal()
	s.Notifications = Notifications{
		Emails:        []string{"orders-team@example.com", "first.last+ci@sub.example.co.uk"},
		Webhooks:      []string{"https://events.pagerduty.com/integration/abc123/enqueue", "https://hooks.example.com:8443/sns?team=orders"},
		SlackChannels: []string{"arn:aws:chatbot::123456789012:chat-configuration/slack-channel/orders_team-1"},
	}
	d := s.WithDefaults()
	if err := d.Validate(); err != nil {
		t.Fatalf("valid subscribers rejected: %v", err)
	}
	if !reflect.DeepEqual(d.Notifications, s.Notifications) {
		t.Errorf("WithDefaults changed the subscribers: %+v", d.Notifications)
	}
	d.Notifications.Emails[0] = "changed@example.com"
	if s.Notifications.Emails[0] != "orders-team@example.com" {
		t.Error("WithDefaults shares the subscriber lists with its input")
	}
}

func TestNotificationsValidation(t *testing.T) {
	channel := func(n string) string { return "arn:aws:chatbot::123456789012:chat-configuration/slack-channel/" + n }
	cases := []struct {
		name   string
		n      Notifications
		field  string
		phrase string
	}{
		{"no at", Notifications{Emails: []string{"orders-team.example.com"}}, "notifications.emails[0]", "not an email address"},
		{"no domain dot", Notifications{Emails: []string{"ops@localhost"}}, "notifications.emails[0]", "not an email address"},
		{"space", Notifications{Emails: []string{"ops @example.com"}}, "notifications.emails[0]", "not an email address"},
		{"repeated email", Notifications{Emails: []string{"a@example.com", "A@Example.com"}}, "notifications.emails[1]", "repeats notifications.emails[0]"},
		{"http webhook", Notifications{Webhooks: []string{"http://hooks.example.com/x"}}, "notifications.webhooks[0]", "not an https URL"},
		{"no scheme", Notifications{Webhooks: []string{"hooks.example.com/x"}}, "notifications.webhooks[0]", "is not a URL"},
		{"credentials", Notifications{Webhooks: []string{"https://u:p@hooks.example.com/x"}}, "notifications.webhooks[0]", "u:xxxxx@"},
		{"repeated webhook", Notifications{Webhooks: []string{"https://h.example.com", "https://h.example.com"}}, "notifications.webhooks[1]", "repeats"},
		{"sns arn as channel", Notifications{SlackChannels: []string{"arn:aws:sns:eu-west-1:123456789012:t"}}, "notifications.slackChannels[0]", "AWS Chatbot Slack channel"},
		{"teams channel", Notifications{SlackChannels: []string{"arn:aws:chatbot::123456789012:chat-configuration/microsoft-teams-channel/t"}}, "notifications.slackChannels[0]", "AWS Chatbot Slack channel"},
		{"too many channels", Notifications{SlackChannels: []string{channel("1"), channel("2"), channel("3"), channel("4"), channel("5"),
			channel("6"), channel("7"), channel("8"), channel("9"), channel("10")}}, "notifications.slackChannels", "at most 10 targets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := minimal()
			s.Notifications = c.n
			err := s.WithDefaults().Validate()
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("accepted: %v", err)
			}
			for _, p := range ps {
				if p.Field == c.field && strings.Contains(p.What, c.phrase) && p.Fix != "" {
					if !strings.HasPrefix(p.String(), `service "orders": `+c.field+": ") {
						t.Errorf("message does not lead with the service and field: %s", p)
					}
					if strings.Contains(p.String(), ":p@") {
						t.Errorf("the message repeats a password: %s", p)
					}
					return
				}
			}
			t.Errorf("no problem on %s mentioning %q in:\n%v", c.field, c.phrase, err)
		})
	}
}

// The alarm names the service stacks give, which the dashboards and the diagram refer to.
func TestDeploymentAlarmNames(t *testing.T) {
	threshold := 1.0
	s := minimal()
	s.Production.Alarms.Custom = []CustomAlarm{{Name: "failed-orders", MetricName: "Failed", Threshold: &threshold}}
	s = s.WithDefaults()
	if got, want := strings.Join(s.DeploymentAlarmNames("production"), " "),
		"orders-production-errors orders-production-throttles orders-production-p99-duration orders-production-failed-orders"; got != want {
		t.Errorf("Lambda production alarms %q, want %q", got, want)
	}
	if got := s.DeploymentAlarmNames("staging"); len(got) != 3 {
		t.Errorf("Lambda staging alarms %v", got)
	}
	c := Service{Name: "catalog", Container: &Container{}, Build: Build{Test: []string{"x"}}}.WithDefaults()
	if got, want := strings.Join(c.DeploymentAlarmNames("staging"), " "),
		"catalog-staging-target-5xx-blue catalog-staging-unhealthy-blue catalog-staging-target-5xx-green catalog-staging-unhealthy-green catalog-staging-alb-5xx catalog-staging-p99-latency"; got != want {
		t.Errorf("container staging alarms %q, want %q", got, want)
	}
	// The production-failed alarm's prefix holds a dot, which no service or deployment alarm
	// name can: the shared rule that matches the prefix catches only these alarms.
	if !strings.Contains(ProductionFailedAlarmPrefix, ".") || ValidName("a.b") || TextRules["CustomAlarm.name"].Pattern.MatchString("a.b") {
		t.Error("the production-failed alarm prefix could be taken by a service or deployment alarm")
	}
	if s.ProductionFailedAlarmName() != "golden-pipelines.production-failed.orders" || s.NotificationTopicName() != "orders-notifications" ||
		s.DashboardName() != "orders-delivery" {
		t.Errorf("names: %s %s %s", s.ProductionFailedAlarmName(), s.NotificationTopicName(), s.DashboardName())
	}
}
