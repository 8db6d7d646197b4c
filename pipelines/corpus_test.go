package pipelines

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/golden-pipelines/microservice-pipelines/constructs/spec"
)

// corpusDir holds the bad definitions: each case is a directory <case>/ of definition files
// (usually one, svc.yaml) loaded together, beside <case>.err, the exact error output it must
// give. A case named folder-* is a definitions folder, read as the app reads pipelines/
// (LoadFS): every entry of it counts.
const corpusDir = "../test/bad"

// loadCase loads a case of the corpus.
func loadCase(t testing.TB, name string) ([]spec.Service, error) {
	dir := filepath.Join(corpusDir, name)
	if strings.HasPrefix(name, "folder-") {
		return LoadFS(os.DirFS(dir), ".", "test/bad/"+name, NotDefinitions...)
	}
	return Load(corpusFiles(t, dir))
}

// corpusFiles reads a case as Load would see it, named by its path from the repository root.
func corpusFiles(t testing.TB, path string) []File {
	t.Helper()
	var names []string
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
				names = append(names, p)
			}
			return err
		})
	} else {
		names = []string{path}
	}
	sort.Strings(names)
	var files []File
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Name: strings.TrimPrefix(filepath.ToSlash(n), "../"), Data: b})
	}
	return files
}

func corpusCases(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, e.Name())
		}
	}
	return cases
}

// Every bad definition fails with exactly its expected message. After an intended change of
// the messages, rewrite the .err files with
//
//	UPDATE_SNAPSHOTS=1 go test ./pipelines -run TestBadDefinitionCorpus
//
// and read their diff.
func TestBadDefinitionCorpus(t *testing.T) {
	cases := corpusCases(t)
	if len(cases) < 40 {
		t.Errorf("the corpus has %d cases, want at least 40", len(cases))
	}
	errs, _ := filepath.Glob(filepath.Join(corpusDir, "*.err"))
	for _, e := range errs {
		if _, err := os.Stat(strings.TrimSuffix(e, ".err")); err != nil {
			t.Errorf("%s has no case folder: remove it or restore the case", e)
		}
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			services, err := loadCase(t, c)
			var ps Problems
			if !errors.As(err, &ps) || services != nil {
				t.Fatalf("accepted: %v", err)
			}
			for _, p := range ps {
				if p.Fix == "" || p.What == "" {
					t.Errorf("problem without what or fix: %s", p)
				}
			}
			errFile := filepath.Join(corpusDir, c+".err")
			got := err.Error() + "\n"
			if os.Getenv("UPDATE_SNAPSHOTS") != "" {
				if err := os.WriteFile(errFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(errFile)
			if rerr != nil {
				t.Fatalf("no expected output: %v", rerr)
			}
			if got != string(want) {
				t.Errorf("error output differs from %s\n--- want\n%s--- got\n%s", errFile, want, got)
			}
		})
	}
}
