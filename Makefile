# fence_scsi_go — see README.md.
GO      ?= go
PREFIX  ?= /usr
DESTDIR ?=
BIN     := bin/fence_scsi_go

.PHONY: all build test unit lint fuzz bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/fence_scsi_go

# Every test: unit tests with the race detector (later: real storage, Pacemaker).
test: unit

unit:
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed (apt-get install staticcheck)"; fi

FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin

# Real storage (tests/vm, tests/e2e): a QEMU/TCG guest with LIO over iSCSI; see tests/vm/README.md.
# AGENT is the fence agent the guest runs. Until cmd/fence_scsi_go exists this is Debian's
# fence_scsi; switch with one line: AGENT ?= $(CURDIR)/$(BIN)
AGENT ?= /usr/sbin/fence_scsi

.PHONY: vm-prepare demo e2e
vm-prepare:
	tests/vm/prepare.sh

demo: vm-prepare
	@if [ -d cmd/fence_scsi_go ]; then $(MAKE) --no-print-directory build; fi
	@tests/vm/run.sh --nodes 2 --luns 1 --agent $(AGENT) tests/e2e/demo.sh

e2e: vm-prepare
	@if [ -d cmd/fence_scsi_go ]; then $(MAKE) --no-print-directory build; fi
	FSG_E2E=1 FSG_AGENT=$(AGENT) $(GO) test -count=1 -timeout 60m -v ./tests/e2e/
