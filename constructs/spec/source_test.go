package spec

import (
	"strings"
	"testing"
)

const testConnection = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

// A connection's repository is owner/name, CodeCommit's a plain name; folders, tags and pull
// request checks need a connection (CodePipeline's trigger filters work for
// CodeStarSourceConnection actions only: "This is only supported for the
// CodeStarSourceConnection action type", API Reference, PipelineTriggerDeclaration).
func TestSourceRefusesWhatItsProviderCannotDo(t *testing.T) {
	yes := true
	cases := []struct {
		name, field, what string
		set               func(s *Service)
	}{
		{"folder without a connection", "source.folder", "needs a connection", func(s *Service) { s.Source.Folder = "services/orders" }},
		{"tags without a connection", "source.tags", "needs a connection", func(s *Service) { s.Source.Tags = []string{"v*"} }},
		{"pull requests without a connection", "source.pullRequests", "needs a connection", func(s *Service) { s.Source.PullRequests = &yes }},
		{"owner without a connection", "repository", "names an owner", func(s *Service) { s.Repository = "acme/shop" }},
		{"no owner with a connection", "repository", "has no owner", func(s *Service) { s.Source.Connection = testConnection }},
		{"folder out of the repository", "source.folder", "steps out", func(s *Service) {
			s.Source.Connection, s.Repository, s.Source.Folder = testConnection, "acme/shop", "services/../secrets"
		}},
		{"pull requests without a provider", "source.provider", "is missing", func(s *Service) {
			s.Source.Connection, s.Repository, s.Source.PullRequests = testConnection, "acme/shop", &yes
		}},
		{"a server without its host", "source.host", "runs on a server of your own", func(s *Service) {
			s.Source.Connection, s.Repository, s.Source.Provider = testConnection, "acme/shop", "github-enterprise"
		}},
		{"a host for github.com", "source.host", "github is at github.com", func(s *Service) {
			s.Source.Connection, s.Repository, s.Source.Provider, s.Source.Host = testConnection, "acme/shop", "github", "github.com"
		}},
		{"not a connection ARN", "source.connection", "is not a CodeConnections connection ARN", func(s *Service) {
			s.Source.Connection, s.Repository = "arn:aws:codecommit:eu-west-1:111111111111:shop", "acme/shop"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := minimal()
			c.set(&s)
			err := s.WithDefaults().Validate()
			if !hasProblem(err, c.field) || !strings.Contains(err.Error(), c.what) {
				t.Errorf("want a problem on %s saying %q, got: %v", c.field, c.what, err)
			}
		})
	}
	s := minimal()
	s.Repository, s.Source = "acme/platform/shop", Source{Connection: testConnection, Folder: "services/orders", Tags: []string{"orders-v*"}}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("a GitLab subgroup repository in a monorepo folder is refused: %v", err)
	}
	if s.RepositoryOwner() != "acme" || s.RepositoryPath() != "platform/shop" || s.InFolder("reports") != "services/orders/reports" {
		t.Errorf("owner %q, path %q, in folder %q", s.RepositoryOwner(), s.RepositoryPath(), s.InFolder("reports"))
	}
}
