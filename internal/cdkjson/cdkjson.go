// Package cdkjson reads what the CDK CLI hands an app from cdk.json: its context (the feature
// flags and settings) and its metadata switches. Tests and the benchmark synthesize with it, so
// they see exactly what `cdk synth` produces.
package cdkjson

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/golden-pipelines/microservice-pipelines/stacks"
)

// Context returns the context the app synthesizes with for the cdk.json at path: what the CDK
// CLI passes (the file's "context" plus the path-metadata, asset-metadata and version-reporting
// switches, each on unless cdk.json turns it off, under the keys the CDK reads them from) and
// what app/main.go adds itself (stacks.AppContext).
func Context(path string) (map[string]interface{}, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg := struct {
		Context          map[string]interface{} `json:"context"`
		PathMetadata     *bool                  `json:"pathMetadata"`
		AssetMetadata    *bool                  `json:"assetMetadata"`
		VersionReporting *bool                  `json:"versionReporting"`
	}{}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	orTrue := func(b *bool) bool { return b == nil || *b }
	ctx := cfg.Context
	if ctx == nil {
		ctx = map[string]interface{}{}
	}
	for k, v := range stacks.AppContext() {
		ctx[k] = v
	}
	ctx["aws:cdk:enable-path-metadata"] = orTrue(cfg.PathMetadata)
	ctx["aws:cdk:enable-asset-metadata"] = orTrue(cfg.AssetMetadata)
	ctx["aws:cdk:version-reporting"] = orTrue(cfg.VersionReporting)
	return ctx, nil
}

// WithoutAppSettings is ctx without the app's own settings (context keys golden-pipelines:…,
// such as the example's platform pipeline): the tests and the benchmark synthesize apps of
// their own services, and give such settings only where they test them.
func WithoutAppSettings(ctx map[string]interface{}) map[string]interface{} {
	for k := range ctx {
		if strings.HasPrefix(k, "golden-pipelines:") {
			delete(ctx, k)
		}
	}
	return ctx
}
