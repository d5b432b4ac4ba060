# The whole test suite: formatting, vet, staticcheck, the dependency check
# and every Go test.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: test check unit build loadtest

test: check unit

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	./scripts/check-libc

unit:
	go test -count=1 ./...

build:
	CGO_ENABLED=0 go build -o bin/monban ./cmd/monban

loadtest:
	go run ./scripts/loadtest
