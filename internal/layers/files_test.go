package layers

import (
	"bytes"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goFile is one Go file of the module, whatever its build constraint.
type goFile struct {
	rel     string // module-relative path
	dir     string // its folder, module-relative
	imports []string
	expr    constraint.Expr // nil without a //go:build line
	test    bool
	lines   int
	// generated: the file says so (go generate's "Code generated ... DO
	// NOT EDIT." line).
	generated bool
}

// goFiles parses the imports and build constraint of every Go file of
// the module outside e2e/ and testdata/: go list sees only the files of
// the builds it is asked for, and a file for another architecture, or
// behind a tag no build here sets, could import across the layers unseen.
func goFiles(t *testing.T) []goFile {
	t.Helper()
	var files []goFile
	walkModule(t, func(path, rel string) error {
		if !strings.HasSuffix(rel, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		gf := goFile{rel: rel, dir: filepath.ToSlash(filepath.Dir(rel)), test: strings.HasSuffix(rel, "_test.go"),
			lines: bytes.Count(src, []byte("\n")), generated: generated.MatchString(string(src))}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			gf.imports = append(gf.imports, p)
		}
		for _, cg := range f.Comments {
			if cg.Pos() >= f.Package {
				break
			}
			for _, c := range cg.List {
				if constraint.IsGoBuild(c.Text) {
					if gf.expr, err = constraint.Parse(c.Text); err != nil {
						return err
					}
				}
			}
		}
		files = append(files, gf)
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	return files
}

// walkModule calls fn with the path and module-relative path of every
// file of the module outside e2e/, testdata/ and hidden folders.
func walkModule(t *testing.T, fn func(path, rel string) error) {
	t.Helper()
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || rel == "e2e") {
				return filepath.SkipDir
			}
			return nil
		}
		return fn(path, rel)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// generated matches the line go generate's tools write into a file.
var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// maxLines bounds a hand-written Go file: one longer holds more than one
// noun, and is split by noun before it reaches this.
const maxLines = 900

// TestFileSize keeps hand-written Go files small enough to hold one
// noun; generated tables are exempt.
func TestFileSize(t *testing.T) {
	for _, f := range goFiles(t) {
		if !f.generated && f.lines > maxLines {
			t.Errorf("%s has %d lines, more than %d: split it by noun", f.rel, f.lines, maxLines)
		}
	}
}

// builds reports whether a file with build constraint e is built where
// exactly the tags in set hold (GOOS, GOARCH and build tags alike).
func builds(e constraint.Expr, set ...string) bool {
	return e == nil || e.Eval(func(tag string) bool { return slices.Contains(set, tag) })
}

// fenced reports whether a file is built only with cgo and the seccomp
// tag, whatever else holds.
func fenced(e constraint.Expr) bool {
	all := []string{"linux", "amd64", "arm64", "cgo", "seccomp", "e2e", "generate"}
	without := func(tag string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == tag })
	}
	return e != nil && builds(e, all...) && !builds(e, without("cgo")...) && !builds(e, without("seccomp")...)
}

// TestFileLayers is TestLayers file by file, for every file of the module
// under any build constraint, so that no file behind a tag or for another
// architecture imports across the layers.
func TestFileLayers(t *testing.T) {
	for _, f := range goFiles(t) {
		for top, banned := range Forbidden {
			if !under(f.dir, top) {
				continue
			}
			for _, imp := range f.imports {
				irel, ok := folder(imp)
				if !ok {
					continue
				}
				for _, b := range banned {
					if under(irel, b) {
						t.Errorf("%s imports %s: %s/... must not import %s/...", f.rel, irel, top, b)
					}
				}
			}
		}
	}
}

// TestCgoFenceFiles is the cgo fence file by file: a file that uses cgo,
// libseccomp or runc's libcontainer is built only with cgo and the
// seccomp tag, and outside tests and cmd/ it is in a package of Cgo; such
// a package has a stub for every other build (the exact negation of
// `linux && cgo && seccomp`), so that it builds pure and says so.
func TestCgoFenceFiles(t *testing.T) {
	fence, err := constraint.Parse("//go:build linux && cgo && seccomp")
	if err != nil {
		t.Fatal(err)
	}
	inCgo := func(dir string) bool { return slices.ContainsFunc(Cgo, func(c string) bool { return under(dir, c) }) }
	fencedPkgs, stubs := map[string]bool{}, map[string]bool{}
	for _, f := range goFiles(t) {
		cgo := slices.ContainsFunc(f.imports, func(imp string) bool {
			return imp == "C" || slices.ContainsFunc(CgoDeps, func(d string) bool { return strings.HasPrefix(imp, d) })
		})
		if cgo {
			if !fenced(f.expr) {
				t.Errorf("%s uses cgo, libseccomp or runc outside a `cgo && seccomp` build constraint", f.rel)
			}
			if !f.test && !under(f.dir, "cmd") && !inCgo(f.dir) {
				t.Errorf("%s uses cgo, libseccomp or runc: such code belongs in %v", f.rel, Cgo)
			}
		}
		if f.test || f.expr == nil {
			continue
		}
		if f.expr.String() == fence.String() {
			fencedPkgs[f.dir] = true
		}
		// A stub is built exactly where the fenced files are not.
		stub := true
		for _, linux := range []bool{false, true} {
			for _, cgo := range []bool{false, true} {
				for _, seccomp := range []bool{false, true} {
					var set []string
					for tag, on := range map[string]bool{"linux": linux, "cgo": cgo, "seccomp": seccomp} {
						if on {
							set = append(set, tag)
						}
					}
					if builds(f.expr, set...) == (linux && cgo && seccomp) {
						stub = false
					}
				}
			}
		}
		if stub {
			stubs[f.dir] = true
		}
	}
	for dir := range fencedPkgs {
		if !inCgo(dir) {
			t.Errorf("%s has files behind %s but is not in Cgo", dir, fence)
		}
		if !stubs[dir] {
			t.Errorf("%s has files behind %s but no stub behind !(linux && cgo && seccomp)", dir, fence)
		}
	}
	if len(fencedPkgs) == 0 {
		t.Error("no package has files behind the fence: is the constraint spelt differently now?")
	}
}

// cgoSources are the endings of the files the go command hands to the C
// compiler (or includes) in a package that uses cgo; .s is Go's own
// assembler, and builds in any package.
var cgoSources = []string{".c", ".cc", ".cpp", ".cxx", ".m", ".h", ".hh", ".hpp", ".hxx", ".S", ".sx", ".f", ".F", ".for", ".f90", ".swig", ".swigcxx"}

// TestCgoFenceSources holds the fence for the C the go command compiles
// (the launcher, oci/cache/launch.c, is cgo: its package imports "C"): a
// C or C++ source is in a package of Cgo, and one that is compiled, not
// only included, carries the `linux && cgo && seccomp` constraint itself,
// so that no build without seccomp compiles it.
func TestCgoFenceSources(t *testing.T) {
	n := 0
	walkModule(t, func(path, rel string) error {
		ext := filepath.Ext(rel)
		if !slices.Contains(cgoSources, ext) {
			return nil
		}
		n++
		dir := filepath.ToSlash(filepath.Dir(rel))
		if !slices.ContainsFunc(Cgo, func(c string) bool { return under(dir, c) }) {
			t.Errorf("%s is C the go command compiles with cgo: such code belongs in %v", rel, Cgo)
		}
		if strings.HasPrefix(ext, ".h") {
			return nil // included, not compiled on its own
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var expr constraint.Expr
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if constraint.IsGoBuild(line) {
				if expr, err = constraint.Parse(line); err != nil {
					return err
				}
				break
			}
			if line != "" && !strings.HasPrefix(line, "//") {
				break // the go command reads constraints only before the code
			}
		}
		if !fenced(expr) {
			t.Errorf("%s is compiled by cgo outside a `linux && cgo && seccomp` build constraint of its own", rel)
		}
		return nil
	})
	if n == 0 {
		t.Error("no C source found: the launcher, oci/cache/launch.c, should be")
	}
}
