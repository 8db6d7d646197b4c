package spec

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Notifications lists who hears about the service's releases. Every service has a topic,
// <name>-notifications (encrypted with the pipeline's key, SSL only), that receives pipeline
// failures, manual approval requests, production successes and CodeDeploy rollbacks; these
// fields subscribe people and tools to it.
type Notifications struct {
	// Emails subscribed to the topic. SNS mails each address a confirmation link first; it
	// receives nothing until the link is followed. Default: none.
	Emails []string `json:"emails,omitempty" yaml:"emails,omitempty"`
	// Webhooks are HTTPS endpoints subscribed to the topic: SNS posts every notification as
	// JSON, after the endpoint confirmed the subscription (as the SNS integrations of PagerDuty
	// or Opsgenie do). https only, without credentials in the URL. Default: none.
	Webhooks []string `json:"webhooks,omitempty" yaml:"webhooks,omitempty"`
	// SlackChannels are AWS Chatbot Slack channel configurations
	// (arn:aws:chatbot::<account>:chat-configuration/slack-channel/<name>) that receive the
	// pipeline's notifications (failures, approval requests, production successes) straight
	// from its notification rule; at most 9. A rollback fails the pipeline, so it reaches them
	// as a failure. Default: none.
	SlackChannels []string `json:"slackChannels,omitempty" yaml:"slackChannels,omitempty"`
}

// MaxSlackChannels is how many Slack channels a service may name: a CodeStar notification rule
// has at most 10 targets, and one of them is the service's topic.
const MaxSlackChannels = 9

var (
	// emailRE is an address SNS accepts: a local part, @, and a domain with a dot.
	emailRE = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$`)
	// SlackChannelARNPattern is the ARN of an AWS Chatbot Slack channel configuration.
	SlackChannelARNPattern = `^arn:aws[a-z-]*:chatbot::[0-9]{12}:chat-configuration/slack-channel/[A-Za-z0-9_-]{1,128}$`
	slackChannelRE         = regexp.MustCompile(SlackChannelARNPattern)
)

func (n Notifications) withDefaults() Notifications {
	return Notifications{
		Emails:        append([]string(nil), n.Emails...),
		Webhooks:      append([]string(nil), n.Webhooks...),
		SlackChannels: append([]string(nil), n.SlackChannels...),
	}
}

// notifications checks the subscribers: each a valid address of its kind, none twice.
func (v *validator) notifications(n Notifications) {
	// The form of each address and channel is their TextRule's.
	v.unique("notifications.emails", n.Emails, strings.ToLower, nil)
	v.unique("notifications.webhooks", n.Webhooks, func(s string) string { return s }, func(field, w string) {
		u, err := url.Parse(w)
		switch {
		case err != nil || u.Host == "" || u.Opaque != "":
			v.add(field, fmt.Sprintf("%q is not a URL", w), "write the endpoint's full URL, e.g. https://events.pagerduty.com/integration/<key>/enqueue")
		case u.Scheme != "https":
			v.add(field, fmt.Sprintf("%q is not an https URL: SNS would post the notifications unencrypted", w),
				"use the endpoint's https:// URL")
		case u.User != nil:
			v.add(field, fmt.Sprintf("%q carries credentials, which would be written into the template and the repository", redact(u)),
				"remove user:password@ from the URL; use an endpoint that authenticates by a key in its path or confirms the SNS subscription")
		}
	})
	v.unique("notifications.slackChannels", n.SlackChannels, func(s string) string { return s }, nil)
}

// unique runs check (if any) on every item of a list that passed its TextRule, and reports an
// item that repeats an earlier one (compared after key).
func (v *validator) unique(field string, items []string, key func(string) string, check func(field, item string)) {
	seen := map[string]int{}
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if first, ok := seen[key(it)]; ok {
			v.add(f, fmt.Sprintf("%q repeats %s[%d]", it, field, first), "remove the repeat")
			continue
		}
		seen[key(it)] = i
		if check != nil && !v.covered(f) {
			check(f, it)
		}
	}
}

// redact hides a URL's password.
func redact(u *url.URL) string {
	if _, ok := u.User.Password(); ok {
		c := *u
		c.User = url.UserPassword(u.User.Username(), "xxxxx")
		return c.String()
	}
	return u.String()
}
