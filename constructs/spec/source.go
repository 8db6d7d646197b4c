package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Source says where the service's code comes from beside its repository and branch: an AWS
// CodeConnections connection (GitHub, GitHub Enterprise Server, GitLab, GitLab self-managed,
// Bitbucket) instead of CodeCommit, the service's folder in a repository of several services,
// and release tags. With a connection the pipeline starts through CodePipeline V2 triggers
// with push filters (branches, file paths, tags); CodeCommit starts it through an EventBridge
// rule on the branch.
type Source struct {
	// Connection is the ARN of an AWS CodeConnections connection
	// (arn:aws:codeconnections:<region>:<account>:connection/<id>, or the older
	// codestar-connections form); repository is then owner/name (GitLab: group/…/name).
	// Empty: CodeCommit.
	Connection string `json:"connection,omitempty" yaml:"connection,omitempty"`
	// Folder is the service's folder in the repository (a monorepo): only pushes that change a
	// file under it start the pipeline, and the build, its commands and paths (reportDir,
	// packageDir, dockerfile, context) work from it. Needs a connection. Default: the
	// repository's root.
	Folder string `json:"folder,omitempty" yaml:"folder,omitempty"`
	// Tags: the pipeline releases pushes of tags that match one of these globs (e.g.
	// "orders-v*") instead of pushes to the branch. Needs a connection; at most 8.
	Tags []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	// PullRequests: every pull request to the branch (that touches the folder) is checked by a
	// CodeBuild project of its own, <service>-pull-requests, started by the provider's webhook:
	// the build's install and test commands, nothing deployed, the result reported back on the
	// pull request. Needs a connection and its provider. Default: false.
	PullRequests *bool `json:"pullRequests,omitempty" yaml:"pullRequests,omitempty"`
	// Provider of the connection's repository, for the pull-request checks: "github",
	// "github-enterprise", "gitlab", "gitlab-self-managed" or "bitbucket".
	Provider string `json:"provider,omitempty" yaml:"provider,omitempty"`
	// Host of a GitHub Enterprise Server or GitLab self-managed provider, e.g.
	// "git.example.com". Required for those, refused for the others.
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
}

// Providers maps each Source.Provider to its CodeBuild source type and its host (""
// for those whose host the definition names).
var Providers = map[string]struct{ SourceType, Host string }{
	"github":              {"GITHUB", "github.com"},
	"github-enterprise":   {"GITHUB_ENTERPRISE", ""},
	"gitlab":              {"GITLAB", "gitlab.com"},
	"gitlab-self-managed": {"GITLAB_SELF_MANAGED", ""},
	"bitbucket":           {"BITBUCKET", "bitbucket.org"},
}

// RepositoryURL is the HTTPS clone URL of a connection's repository at its provider.
func (s *Service) RepositoryURL() string {
	host := Providers[s.Source.Provider].Host
	if host == "" {
		host = s.Source.Host
	}
	return "https://" + host + "/" + s.Repository + ".git"
}

// MaxFilterPatterns: a trigger filter's includes list holds at most 8 patterns (CodePipeline
// API Reference, GitTagFilterCriteria / GitFilePathFilterCriteria: "Maximum number of 8 items").
const MaxFilterPatterns = 8

var (
	// connectionRE: a CodeConnections connection ARN, new or old prefix (CodePipeline API,
	// CodeStarSourceConnection ConnectionArn: arn:aws(-[\w]+)*:(codestar-connections|codeconnections):…).
	connectionRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// folderRE: a relative folder of plain names.
	folderRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	// tagGlobRE: a tag glob (git tag characters and the glob's * ? [ ] { } ,).
	tagGlobRE = regexp.MustCompile(`^[A-Za-z0-9._/*?\[\]{},+-]+$`)
)

func init() {
	for k, r := range map[string]TextRule{
		"Source.connection": {Max: 256, By: "an ARN", Pattern: connectionRE, Is: "a CodeConnections connection ARN",
			Fix: "copy the connection's ARN from the Developer Tools console (Settings, Connections), e.g. arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-…"},
		"Source.folder": {Max: 256, By: "this field", Pattern: folderRE, Is: "a folder of the repository",
			Fix: `write the folder relative to the repository's root, e.g. "services/orders" (no leading '/', no '..')`},
		"Source.provider": enumRule,
		// A host name (RFC 1123 labels).
		"Source.host": {Max: 253, By: "a host name", Pattern: regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`), Is: "a host name",
			Fix: `write the server's host name, e.g. "git.example.com"`},
		"Source.tags": {Max: 128, By: "this field", Pattern: tagGlobRE, Is: "a tag pattern", Fix: `write a glob, e.g. "orders-v*"`,
			MaxItems: MaxFilterPatterns, Items: "tag patterns", ItemsWhy: "a CodePipeline trigger filter holds at most 8 patterns"},
	} {
		TextRules[k] = r
	}
}

// UsesConnection reports whether the service's code comes through a CodeConnections connection.
func (s *Service) UsesConnection() bool { return s.Source.Connection != "" }

// RepositoryOwner and RepositoryPath split a connection's repository (owner/name, or
// group/subgroup/name): the first segment, and the rest.
func (s *Service) RepositoryOwner() string {
	owner, _, _ := strings.Cut(s.Repository, "/")
	return owner
}

// RepositoryPath is what follows the owner in a connection's repository.
func (s *Service) RepositoryPath() string {
	_, rest, _ := strings.Cut(s.Repository, "/")
	return rest
}

// InFolder is path inside the service's folder (path itself without one).
func (s *Service) InFolder(path string) string {
	if s.Source.Folder == "" {
		return path
	}
	return s.Source.Folder + "/" + path
}

// ChecksPullRequests reports whether pull requests get a check.
func (s *Service) ChecksPullRequests() bool {
	return s.Source.PullRequests != nil && *s.Source.PullRequests
}

// source checks the source: a connection's repository is owner/name, CodeCommit's a plain
// name; folders, tags and pull-request checks need a connection.
func (v *validator) source(s Service) {
	src := s.Source
	if !s.UsesConnection() {
		for field, set := range map[string]bool{"source.folder": src.Folder != "", "source.tags": len(src.Tags) > 0, "source.pullRequests": src.PullRequests != nil && *src.PullRequests} {
			if set {
				v.add(field, "needs a connection: CodePipeline filters pushes (and checks pull requests) only for CodeConnections sources",
					"set source.connection to the ARN of a CodeConnections connection, or remove it")
			}
		}
		if strings.Contains(s.Repository, "/") {
			v.add("repository", fmt.Sprintf("%q names an owner, but the service has no connection: CodeCommit repository names have no '/'", s.Repository),
				"set source.connection for GitHub, GitLab or Bitbucket, or write the CodeCommit repository's name")
		}
		return
	}
	if !strings.Contains(s.Repository, "/") {
		v.add("repository", fmt.Sprintf("%q has no owner: with a connection, repository is owner/name", s.Repository),
			`write the repository as the provider names it, e.g. "acme/shop"`)
	}
	v.provider(s)
	for _, part := range strings.Split(src.Folder, "/") {
		if part == "." || part == ".." {
			v.add("source.folder", fmt.Sprintf("%q steps out of the repository's folders", src.Folder), TextRules["Source.folder"].Fix)
			break
		}
	}
}

// provider checks the provider the pull-request checks need: known, with a host exactly when
// it is a server of the team's own.
func (v *validator) provider(s Service) {
	src := s.Source
	p, known := Providers[src.Provider]
	switch {
	case src.Provider == "" && s.ChecksPullRequests():
		v.add("source.provider", "is missing: the pull-request checks need the repository's provider",
			`name it: "github", "github-enterprise", "gitlab", "gitlab-self-managed" or "bitbucket"`)
		return
	case src.Provider == "":
	case !known:
		v.add("source.provider", fmt.Sprintf("%q is not a provider", src.Provider),
			`use "github", "github-enterprise", "gitlab", "gitlab-self-managed" or "bitbucket"`+DidYouMean(src.Provider, providerNames()))
		return
	}
	if src.Provider == "" {
		if src.Host != "" {
			v.add("source.host", "is set without a provider", `set source.provider to "github-enterprise" or "gitlab-self-managed"`)
		}
		return
	}
	if src.Provider == "github-enterprise" && s.ChecksPullRequests() {
		v.add("source.pullRequests", "cannot be checked for GitHub Enterprise Server: \"The Webhook feature isn't available in AWS CloudFormation for GitHub Enterprise projects\" (AWS::CodeBuild::Project WebhookFilter)",
			"remove pullRequests, or create the webhook of a CodeBuild project yourself")
	}
	if p.Host == "" && src.Host == "" {
		v.add("source.host", fmt.Sprintf("is missing: %s runs on a server of your own", src.Provider), `name the server, e.g. "git.example.com"`)
	}
	if p.Host != "" && src.Host != "" {
		v.add("source.host", fmt.Sprintf("is set, but %s is at %s", src.Provider, p.Host), "remove it")
	}
}

func providerNames() []string {
	out := make([]string, 0, len(Providers))
	for k := range Providers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PullRequestEvents are the webhook events of a pull request CodeBuild checks, per provider:
// opened and updated (a push to its branch), and reopened where the provider has it (CodeBuild
// User Guide, "GitHub webhook events", "GitLab webhook events"; Bitbucket's pull-request
// events are created, updated, merged and closed: "Filter Bitbucket webhook events").
func PullRequestEvents(provider string) string {
	if provider == "github" || provider == "gitlab" || provider == "gitlab-self-managed" {
		return "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"
	}
	return "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED"
}
