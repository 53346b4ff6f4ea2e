package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// pkg is what `go list -json` says about a package.
type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
	Deps                               []string
	CgoFiles                           []string
	Standard                           bool
}

// list runs `go list -deps -json` over the module in one build, with the
// packages' tests when test is set.
func list(t *testing.T, cgo, tags string, test bool) map[string]*pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		testutil.Missing(t, "this test needs the go command: %v", err)
	}
	args := []string{"list", "-e", "-deps", "-json", "-tags", tags}
	if test {
		args = append(args, "-test")
	}
	cmd := exec.Command("go", append(args, Module+"/...")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list (CGO_ENABLED=%s, tags %q): %v\n%s", cgo, tags, err, stderr.String())
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

// folder returns the module-relative path of an import path of the
// module, and false for any other.
func folder(path string) (string, bool) {
	rel, ok := strings.CutPrefix(path, Module+"/")
	if !ok {
		return "", false
	}
	rel, _, _ = strings.Cut(rel, " ") // "p [p.test]" variants
	return strings.TrimSuffix(rel, "_test"), true
}

func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func TestLayers(t *testing.T) {
	seen := map[string]bool{}
	for _, build := range []struct{ cgo, tags string }{{"0", ""}, {"1", "seccomp e2e"}} {
		pkgs := list(t, build.cgo, build.tags, true)
		for path, p := range pkgs {
			rel, ok := folder(path)
			if !ok || strings.HasSuffix(path, ".test") {
				continue
			}
			for top, banned := range Forbidden {
				if !under(rel, top) {
					continue
				}
				for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
					irel, ok := folder(imp)
					if !ok {
						continue
					}
					for _, b := range banned {
						if msg := rel + " imports " + irel; under(irel, b) && !seen[msg] {
							seen[msg] = true
							t.Errorf("%s imports %s: %s/... must not import %s/... (CGO_ENABLED=%s, tags %q)", rel, irel, top, b, build.cgo, build.tags)
						}
					}
				}
			}
		}
	}
}

// TestCgoFence: only the packages in Cgo (and cmd/, e2e/ above them) reach
// cgo, libseccomp or runc; every other package builds pure. In the pure
// build no package may pull such code in; in the seccomp build, none but
// the Cgo packages may have cgo files or depend on a Cgo package.
func TestCgoFence(t *testing.T) {
	allowed := func(rel string) bool {
		return under(rel, "cmd") || under(rel, "e2e") || slices.ContainsFunc(Cgo, func(c string) bool { return under(rel, c) })
	}
	pure := func(pkgs map[string]*pkg) iter.Seq2[string, *pkg] {
		return func(yield func(string, *pkg) bool) {
			for path, p := range pkgs {
				if rel, ok := folder(path); ok && !allowed(rel) && !yield(rel, p) {
					return
				}
			}
		}
	}
	for rel, p := range pure(list(t, "0", "seccomp", false)) {
		for _, d := range p.Deps {
			for _, c := range CgoDeps {
				if strings.HasPrefix(d, c) {
					t.Errorf("%s depends on %s (CGO_ENABLED=0)", rel, d)
				}
			}
		}
	}
	pkgs := list(t, "1", "seccomp", false)
	for rel, p := range pure(pkgs) {
		if len(p.CgoFiles) > 0 {
			t.Errorf("%s has cgo files %v: cgo belongs in %v", rel, p.CgoFiles, Cgo)
		}
		for _, d := range p.Deps {
			if dp := pkgs[d]; dp != nil && !dp.Standard && len(dp.CgoFiles) > 0 {
				t.Errorf("%s depends on %s, which uses cgo", rel, d)
			}
		}
	}
}

// TestArchitectureNamesEveryPackage keeps ARCHITECTURE.md's map true: it
// names each package of the module (outside e2e/ and testdata/) as
// `path`, and every path it names is in the tree.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("../../ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, build := range []struct{ cgo, tags string }{{"0", ""}, {"1", "seccomp"}} {
		for path := range list(t, build.cgo, build.tags, false) {
			rel, ok := folder(path)
			if !ok || seen[rel] || under(rel, "e2e") || under(rel, "testdata") {
				continue
			}
			seen[rel] = true
			if !bytes.Contains(doc, []byte("`"+rel+"`")) {
				t.Errorf("ARCHITECTURE.md does not name the package `%s`", rel)
			}
		}
	}
	// Between backquotes, every other field is code: a path of the tree
	// is one without spaces or placeholders under a top folder.
	for i, field := range strings.Split(string(doc), "`") {
		if i%2 == 0 || strings.ContainsAny(field, " <{},()") {
			continue
		}
		for _, top := range []string{"cmd/", "convert/", "oci/", "hooks/", "internal/", "docs/"} {
			if strings.HasPrefix(field, top) {
				if _, err := os.Stat("../../" + field); err != nil {
					t.Errorf("ARCHITECTURE.md names %s, which is not in the tree", field)
				}
			}
		}
	}
}
