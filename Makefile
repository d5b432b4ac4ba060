# The whole test suite: the npm packages the tests need, formatting, vet,
# staticcheck, the dependency check, every Go test (with a summary of what
# was skipped and why), and a short run of every fuzz target.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# Without npm the Node.js compatibility clients cannot run: skip them (the
# summary at the end of `make unit` lists them) rather than fail.
ifeq ($(shell command -v npm),)
export MONBAN_SKIP_NODE_COMPAT := 1
endif

.PHONY: test deps check unit fuzz build loadtest soak

test: deps check unit fuzz

# npm ci in compat/node, console and internal/claims/js when their
# node_modules is missing or not what package-lock.json names.
deps:
	@./scripts/npm-deps

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	@[ -e "$$(go env GOMODCACHE)/cache/download/honnef.co/go/tools/@v/$(STATICCHECK_VERSION).zip" ] || \
	  echo "staticcheck $(STATICCHECK_VERSION) is not in the module cache: go run downloads and builds it (once)"
	go run $(STATICCHECK) ./...
	./scripts/check-libc

# Every test, one line per package, failures in full, then every skipped
# test grouped by its reason (scripts/testsummary).
unit:
	go run ./scripts/testsummary -count=1 ./...

# Each fuzz target for FUZZTIME (default 2s); see scripts/fuzz.
fuzz:
	./scripts/fuzz

build:
	CGO_ENABLED=0 go build -o bin/monban ./cmd/monban

loadtest:
	go run ./scripts/loadtest

# A 10-minute soak run (scripts/soak; -duration to change it).
soak:
	go run ./scripts/soak
