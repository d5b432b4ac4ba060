# The whole test suite: formatting, vet, staticcheck, the dependency check,
# every Go test, and a short run of every fuzz target.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test check unit fuzz build loadtest soak

test: check unit fuzz

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	./scripts/check-libc

unit:
	go test -count=1 ./...

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
