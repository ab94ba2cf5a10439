# Guichet. `make run` starts the kiosk with emulated peripherals; `make test`
# runs every test. Both install what they need first (Debian packages through
# images/install-host-packages.sh, Go modules through the module proxy).

SHELL := /bin/bash
GO ?= go
OUT := out
FUZZTIME ?= 3s
BENCHTIME ?= 1s
FUZZTIME_LONG ?= 60s

.PHONY: run test bench fuzz crash-long deps build vet fmt-check fuzz-short clean arm64 image image-test

deps:
	@bash images/install-host-packages.sh
	@$(GO) mod download

build: deps
	@mkdir -p $(OUT)/bin
	$(GO) build -o $(OUT)/bin/ ./cmd/...

run: build
	@bash images/dev-run.sh

fmt-check:
	@files=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$files" ]; then echo "gofmt needed on: $$files"; exit 1; fi

vet: deps
	$(GO) vet ./...

test: deps fmt-check vet build
	@mkdir -p $(OUT)
	$(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz-short FUZZTIME=$(FUZZTIME)

# Every FuzzXxx in the module, each for $(FUZZTIME). Go 1.26's fuzz
# coordinator can fail a target with a bare "context deadline exceeded" as
# -fuzztime ends (golang/go#75804, fixed in Go 1.27): such a run, with no
# failing input written, is run once more; any other failure fails at once.
fuzz-short:
	@set -e; mkdir -p $(OUT); for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$(OUT)/fuzz.log 2>&1; then break; fi; \
	      if [ $$try = 1 ] && grep -q 'context deadline exceeded' $(OUT)/fuzz.log && ! grep -qE 'Failing input written|panic:|_test.go:[0-9]+:' $(OUT)/fuzz.log; then \
	        echo "  the fuzz coordinator's deadline race (golang/go#75804), no failing input: once more"; continue; \
	      fi; \
	      cat $(OUT)/fuzz.log; exit 1; \
	    done; \
	  done; \
	done

fuzz: deps
	@mkdir -p $(OUT)
	@$(MAKE) --no-print-directory fuzz-short FUZZTIME=$(FUZZTIME_LONG)

# The crash test with 2,000 SIGKILLs instead of the 200 of `make test`.
crash-long: deps
	CRASH_KILLS=2000 $(GO) test -count=1 -timeout 60m -run 'TestCrash' -v ./kiosk/store/

bench: deps
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count 1 ./... | tee $(OUT)/bench.txt
	@echo; echo "Benchmarks (also in $(OUT)/bench.txt):"; \
	awk '/^Benchmark/ {printf "%-60s", $$1; for (i=3;i<=NF;i+=2) printf "  %s %s", $$i, $$(i+1); print ""}' $(OUT)/bench.txt

# The appliance (images/): every command cross-compiled for linux/arm64 with
# cgo (Fyne on Wayland, for cage) by Debian's cross compiler; the Raspberry
# Pi disk image; and a boot of that image under qemu. Their Debian packages
# are in images/arm64-packages.txt, apart from make test's.
ARM64_ENV := CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
	PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig

arm64:
	@bash images/install-arm64-packages.sh
	@$(GO) mod download
	@mkdir -p $(OUT)/arm64
	$(ARM64_ENV) $(GO) build -tags wayland -trimpath -o $(OUT)/arm64/ ./cmd/...
	@file $(OUT)/arm64/*

image: arm64
	bash images/build-image.sh

image-test: image
	bash images/image-test.sh

clean:
	rm -rf $(OUT)
