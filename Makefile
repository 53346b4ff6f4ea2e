# oci-sbx — `make help` lists the targets.

GO          ?= go
BIN         := bin
SECCOMP_ENV := CGO_ENABLED=1
PURE_ENV    := CGO_ENABLED=0
TAGS        := seccomp
STATIC_TAGS := seccomp netgo osusergo
# sbx_start (oci/sandbox/launch.c) as the entry point: a warm `oci-sbx exec` starts before the C library.
STATIC_LDFLAGS := -extldflags "-static -Wl,-e,sbx_start"

.PHONY: help deps build build-pure test test-pure test-seccomp test-e2e fuzz demo bench lint check-deps measure-runc generate clean

help: ## list the targets
	@awk -F':.*## ' '/^[a-z0-9-]+:.*## /{printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the system packages the build and tests need (Debian; needs root)
	@./.ci/deps

# bin/oci-sbx is static: it also serves as the late stage inside a container's rootfs, and a
# warm `oci-sbx exec` starts without the dynamic loader.
build: ## build a static bin/oci-sbx with seccomp support, and the suspicious app
	$(SECCOMP_ENV) $(GO) build -tags '$(STATIC_TAGS)' -ldflags '$(STATIC_LDFLAGS)' -o $(BIN)/oci-sbx ./cmd/oci-sbx
	$(PURE_ENV) $(GO) build -o $(BIN)/suspicious-app ./testdata/suspicious-app

build-pure: ## build bin/oci-sbx-pure without cgo (no exec: it says so)
	$(PURE_ENV) $(GO) build -o $(BIN)/oci-sbx-pure ./cmd/oci-sbx

test: deps check-deps test-pure test-seccomp test-e2e fuzz ## run every test (installs what it needs)

test-pure: ## unit tests of the pure build (CGO_ENABLED=0)
	$(PURE_ENV) $(GO) test ./...

test-seccomp: ## unit tests of the seccomp build (cgo, libseccomp, runc's loader)
	$(SECCOMP_ENV) $(GO) test -tags '$(TAGS)' ./...

test-e2e: ## end-to-end tests through the built binary and real runtimes
	$(SECCOMP_ENV) $(GO) test -tags '$(TAGS) e2e' -count=1 ./e2e/...

# Fuzzing is bounded by a count of inputs, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with "context deadline exceeded" at the deadline (go.dev/issue/75804).
FUZZ_N ?= 100000x
fuzz: ## run each fuzz target briefly (FUZZ_N inputs each)
	$(PURE_ENV) $(GO) test ./convert/rules -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_N)
	$(PURE_ENV) $(GO) test ./convert -run '^$$' -fuzz '^FuzzParseLibseccompC$$' -fuzztime $(FUZZ_N)
	$(PURE_ENV) $(GO) test ./convert/filter -run '^$$' -fuzz '^FuzzRun$$' -fuzztime $(FUZZ_N)
	$(PURE_ENV) $(GO) test ./convert/lint -run '^$$' -fuzz '^FuzzSource$$' -fuzztime $(FUZZ_N)

demo: deps build ## convert the demo rules and run the suspicious app without and with them
	@./testdata/demo.sh

bench: ## measure what the sandbox costs (root, runc, cc -static): the table in docs/performance.md
	$(SECCOMP_ENV) $(GO) test -tags '$(TAGS)' -count=1 -run '^$$' -bench '^BenchmarkCost$$' -benchtime 1x ./oci/sandbox/

lint: ## vet both builds and check formatting
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(PURE_ENV) $(GO) vet ./...
	$(SECCOMP_ENV) $(GO) vet -tags '$(TAGS)' ./...

check-deps: ## prove the layers (convert < oci < hooks < cmd), the cgo fence, and a tidy go.mod
	$(PURE_ENV) $(GO) test -count=1 ./internal/layers
	$(GO) mod tidy -diff

measure-runc: ## measure again which syscalls runc needs after loading a filter (about 5 minutes, root)
	$(SECCOMP_ENV) $(GO) test -tags '$(TAGS) e2e' -count=1 -timeout 30m ./e2e -run TestRuncNeeds -update

generate: ## regenerate the syscall table and the built-in Podman profile
	$(SECCOMP_ENV) $(GO) generate -tags '$(TAGS)' ./convert/...

clean: ## remove built binaries
	rm -rf $(BIN)
