# fence_scsi_go — see README.md.
GO      ?= go
PREFIX  ?= /usr
DESTDIR ?=
BIN     := bin/fence_scsi_go
# The watchdog check on its own (cmd/fence_scsi_check): the watchdog daemon starts it every few
# seconds, so it links only the check (docs/benchmarks.md, "Watchdog check: CPU per run").
CHECK_BIN := bin/fence_scsi_check
# check-storage and the arbitration commands (acquire, defend, release) in a helper of their own
# (cmd/fence_scsi_go_tools), which fence_scsi_go executes for them: the agent every fence call
# starts does not load urfave/cli and their code (docs/benchmarks.md, "The agent's start").
TOOLS_BIN := bin/fence_scsi_go_tools
# urfave_cli_no_docs leaves out urfave/cli's man/markdown generator (and with it go-md2man and
# blackfriday, whose package initialisation ran in every fence call and watchdog check).
BUILD_TAGS ?= urfave_cli_no_docs

.PHONY: all build test unit lint fuzz bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(BUILD_TAGS) -o $(BIN) ./cmd/fence_scsi_go
	CGO_ENABLED=0 $(GO) build -trimpath -o $(CHECK_BIN) ./cmd/fence_scsi_check
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(BUILD_TAGS) -o $(TOOLS_BIN) ./cmd/fence_scsi_go_tools

# Every test: unit tests with the race detector, the static Pacemaker/pcs suite, and the
# real-storage suite in the QEMU guest (which also runs the real pacemaker-fenced). The
# real-storage tests skip loudly only when this machine cannot run QEMU at all.
test: unit pacemaker packaging e2e

unit:
	$(GO) test -race -count=1 ./...

# staticcheck is not packaged for Debian 12's Go; it is fetched through the Go module proxy.
STATICCHECK_VERSION ?= v0.8.2
# Platforms: the agent works on Linux (SG_IO, sysfs); it is built for and tested on linux/amd64
# and linux/arm64. Every other system must still compile (windows and darwin checked here): there
# SG_IO, NVMe passthrough, the reboot and locking the state files fail with "not supported".
LINT_PLATFORMS ?= linux/amd64 linux/arm64 windows/amd64 darwin/arm64
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	@for p in $(LINT_PLATFORMS); do echo "go build ./... for $$p"; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -tags $(BUILD_TAGS) ./... || exit 1; done
	@if $(GO) list -deps -tags $(BUILD_TAGS) ./cmd/fence_scsi_go | grep -E 'go-md2man|blackfriday'; then \
	  echo "lint: the agent binary links urfave/cli's documentation generator (build tag $(BUILD_TAGS) lost?)"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Every fuzzer, one after the other, for a fixed number of executions (FUZZN) with
# FUZZPAR workers: a count, unlike a duration, does not depend on the machine's load, and a
# loaded machine cannot make the coordinator miss a time-based deadline (docs/fuzzing.md).
# FuzzDiscoverDevices starts a process per execution and gets FUZZN_PROC instead.
FUZZN      ?= 200000
FUZZN_PROC ?= 2000
FUZZPAR    ?= 2
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    n=$(FUZZN); case $$f in FuzzDiscoverDevices) n=$(FUZZN_PROC);; esac; \
	    echo "== $$pkg $$f ($${n}x)"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${n}x -parallel $(FUZZPAR) -timeout 0 $$pkg || exit 1; \
	  done; done

bench: bench-check
	$(GO) test -run '^$$' -bench . -benchmem ./...
# The watchdog check's CPU per run (ours, Debian's Python check, an empty Go program) on the
# paths a host reaches without PR storage, and the start-up of -V: writes the check table of
# docs/benchmarks.md and docs/benchmarks-check.png (root; BENCH_RUNS runs per program).
BENCH_RUNS ?= 200
bench-check: build ; GO=$(GO) tests/bench/check_cpu.sh -n $(BENCH_RUNS)
# Side-by-side timing of Debian's fence_scsi and ours on real PR storage in the QEMU guest
# (root; 30-70 min under TCG, 30 min on an idle host: 1-64 LUNs, floor per LUN count, 32 keys; so not part of bench). Writes docs/benchmarks.md's tables and .png.
.PHONY: bench-fence
# Then the NVMe rows (fence_scsi_go only) and the fence latency through pacemaker-fenced, for
# which the fresh build is installed as /usr/sbin/fence_scsi_go (Pacemaker runs agents from there;
# the Pacemaker packages are installed first when missing). The three runs write
# $(BENCH_RAW).new; it replaces $(BENCH_RAW) only when all three have finished, so a run that
# stops half-way leaves the previous results (and the report made from them) whole.
BENCH_RAW := docs/benchmarks/results.txt
bench-fence: vm-prepare build
	$(GO) run ./tests/host/install
	tests/bench/fence_bench.sh -o $(BENCH_RAW).new
	tests/bench/fence_bench.sh -n -s "1 16" -a -o $(BENCH_RAW).new
	install -m 0755 $(BIN) /usr/sbin/fence_scsi_go
	tests/bench/pcmk_latency.sh -o $(BENCH_RAW).new
	mv $(BENCH_RAW).new $(BENCH_RAW)
	tests/bench/report.sh
	tests/bench/check_guest.sh

# The watchdog check's CPU per run on PR storage (key found, key gone) in the QEMU guest: ours
# (and bin/fence_scsi_check if built), Debian's Python check, an empty Go program (root, ~10 min).
.PHONY: bench-check-guest
bench-check-guest: vm-prepare build ; tests/bench/check_guest.sh

# Long fault runs (docs/fencing-race.md): the interleaving search on 4 LUs exhaustively, then on
# real LIO 100 split-brain shoot-outs, 100 kill -9 runs of on and off, 100 simultaneous acquires
# and the renewal-gap measurement of defend (FSG_SOAK=1).
.PHONY: soak
soak: vm-prepare build
	FSG_SOAK=1 $(GO) test -count=1 -timeout 60m -run 'Shootout|Kill' -v ./internal/fence/
	FSG_E2E=1 FSG_SOAK=1 FSG_AGENT=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 300m -run 'TestRace|TestECXSimultaneousAcquire|TestECXRenewalGap' -v ./tests/e2e/

clean:
	rm -rf bin

# Real storage (tests/vm, tests/e2e): a QEMU/TCG guest with LIO over iSCSI; see tests/vm/README.md.
# AGENT is the fence agent the guest runs: the freshly built fence_scsi_go, or Debian's
# reference agent with `make demo AGENT=/usr/sbin/fence_scsi` (same scenarios, same checks).
AGENT ?= $(CURDIR)/$(BIN)

.PHONY: vm-prepare demo e2e
vm-prepare:
	tests/vm/prepare.sh

# make demo NVME=1: the same story on an NVMe namespace of the kernel's NVMe-oF target (the
# guest boots Debian's newer kernel, fetched once by prepare.sh --kernel new; fence_scsi_go only).
NVME ?= 0
demo: vm-prepare
	@if [ "$(AGENT)" = "$(CURDIR)/$(BIN)" ]; then $(MAKE) --no-print-directory build; fi
ifeq ($(NVME),1)
	@tests/vm/prepare.sh --kernel new
	@tests/vm/run.sh --target nvmet --kernel new --nodes 2 --luns 1 --agent $(AGENT) tests/e2e/nvme_demo.sh
else
	@tests/vm/run.sh --nodes 2 --luns 1 --agent $(AGENT) tests/e2e/fence_demo.sh
endif

# E2E_PARALLEL guests at a time (vm.Parallel): they mostly wait, so 2 share 2 cores well.
E2E_PARALLEL ?= 2
e2e: vm-prepare
	@if [ "$(AGENT)" = "$(CURDIR)/$(BIN)" ]; then $(MAKE) --no-print-directory build; fi
	FSG_E2E=1 FSG_E2E_PARALLEL=$(E2E_PARALLEL) FSG_AGENT=$(AGENT) $(GO) test -count=1 -timeout 80m \
		-parallel $(E2E_PARALLEL) -v ./tests/e2e/

# ---- Installation (see docs/install.md) ----
# make install [PREFIX=/usr] [DESTDIR=] [FORCE=1]
#   $(PREFIX)/sbin/fence_scsi_go, its helper $(LIBEXECDIR)/fence_scsi_go_tools (check-storage,
#   acquire/defend/release; fence_scsi_go looks for it beside itself, then in
#   ../libexec/fence-scsi-go, so it goes beside fence_scsi_go when SBINDIR or LIBEXECDIR is moved
#   apart), the man page (if man/fence_scsi_go.8 exists), the watchdog
#   check $(LIBEXECDIR)/fence_scsi_check (its own small binary) with fence_scsi_check_hardreboot
#   beside it (a symlink; the variant is chosen by argv[0]), and the watchdog names
#   $(PREFIX)/share/cluster/fence_scsi_check{,_hardreboot} as symlinks to those. A watchdog name
#   that already exists and is not our symlink (e.g. fence-agents' Python script) is left alone
#   unless FORCE=1.
# make install-as-fence_scsi [FORCE=1]: also $(PREFIX)/sbin/fence_scsi -> fence_scsi_go (the
#   name pcs `stonith update-scsi-devices` hard-codes). Refuses to replace an existing file
#   unless FORCE=1; then a dpkg-owned file is diverted (dpkg-divert --rename, to NAME.distrib),
#   anything else is kept as NAME.fsg-orig. make uninstall-as-fence_scsi undoes it.
SBINDIR    ?= $(PREFIX)/sbin
MAN8DIR    ?= $(PREFIX)/share/man/man8
CLUSTERDIR ?= $(PREFIX)/share/cluster
LIBEXECDIR ?= $(PREFIX)/libexec/fence-scsi-go
FORCE      ?= 0
FSG_WATCHDOG_NAMES := fence_scsi_check fence_scsi_check_hardreboot

# fsg_link TARGET LINK ONCONFLICT: LINK becomes a symlink to TARGET. A symlink of an earlier
# install (to .../sbin/fence_scsi_go, which ran the watchdog check before it had a binary of its
# own, or to .../fence-scsi-go/fence_scsi_check*) is replaced. If LINK exists and is otherwise not
# that symlink: without FORCE=1, ONCONFLICT=skip only warns, ONCONFLICT=fail fails; with FORCE=1
# the old file is diverted (dpkg-owned, DESTDIR empty) or renamed LINK.fsg-orig (never
# overwriting an older backup).
FSG_LINK_SH = fsg_link() { \
	t=$$1; l=$$2; \
	if [ -L "$$l" ] && [ "$$(readlink "$$l")" = "$$t" ]; then echo "  $$l -> $$t (already)"; return 0; fi; \
	old=""; [ ! -L "$$l" ] || old=$$(readlink "$$l"); \
	if [ -n "$$old" ] && case "$$old" in */sbin/fence_scsi_go|*/fence-scsi-go/fence_scsi_check*) true;; *) false;; esac; then \
	  echo "  $$l was our link to $$old: replaced"; \
	elif [ -e "$$l" ] || [ -L "$$l" ]; then \
	  if [ "$(FORCE)" != 1 ]; then \
	    if [ "$$3" = skip ]; then echo "  NOTE: $$l exists and is not fence_scsi_go: left alone (FORCE=1 replaces it, see docs/install.md)"; return 0; fi; \
	    echo "  REFUSED: $$l exists and is not fence_scsi_go; rerun with FORCE=1 to replace it (see docs/install.md)" >&2; return 1; \
	  fi; \
	  if [ -z "$(DESTDIR)" ] && command -v dpkg-divert >/dev/null 2>&1 && dpkg -S "$$l" >/dev/null 2>&1; then \
	    dpkg-divert --local --rename --divert "$$l.distrib" --add "$$l" || return 1; \
	  else \
	    if [ -e "$$l.fsg-orig" ] || [ -L "$$l.fsg-orig" ]; then echo "  REFUSED: backup $$l.fsg-orig already exists" >&2; return 1; fi; \
	    mv "$$l" "$$l.fsg-orig" && echo "  kept the old file as $$l.fsg-orig"; \
	  fi; \
	fi; \
	ln -s "$$t" "$$l.fsg-new" && mv -f "$$l.fsg-new" "$$l" && echo "  $$l -> $$t"; \
	}

.PHONY: install install-as-fence_scsi uninstall-as-fence_scsi pacemaker
install: build
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(CLUSTERDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/.fence_scsi_go.new
	mv -f $(DESTDIR)$(SBINDIR)/.fence_scsi_go.new $(DESTDIR)$(SBINDIR)/fence_scsi_go
	@echo "  $(DESTDIR)$(SBINDIR)/fence_scsi_go"
	@if [ -f man/fence_scsi_go.8 ]; then \
	  install -d $(DESTDIR)$(MAN8DIR) && install -m 0644 man/fence_scsi_go.8 $(DESTDIR)$(MAN8DIR)/fence_scsi_go.8 && \
	  echo "  $(DESTDIR)$(MAN8DIR)/fence_scsi_go.8"; \
	else echo "  NOTE: man/fence_scsi_go.8 not found: no man page installed"; fi
	install -d $(DESTDIR)$(LIBEXECDIR)
	@d=$(SBINDIR); if [ "$$(realpath -m "$(SBINDIR)/../libexec/fence-scsi-go")" = "$$(realpath -m "$(LIBEXECDIR)")" ]; then d=$(LIBEXECDIR); fi; \
	  install -m 0755 $(TOOLS_BIN) $(DESTDIR)$$d/.fence_scsi_go_tools.new && \
	  mv -f $(DESTDIR)$$d/.fence_scsi_go_tools.new $(DESTDIR)$$d/fence_scsi_go_tools && \
	  echo "  $(DESTDIR)$$d/fence_scsi_go_tools"
	install -m 0755 $(CHECK_BIN) $(DESTDIR)$(LIBEXECDIR)/.fence_scsi_check.new
	mv -f $(DESTDIR)$(LIBEXECDIR)/.fence_scsi_check.new $(DESTDIR)$(LIBEXECDIR)/fence_scsi_check
	ln -sfn fence_scsi_check $(DESTDIR)$(LIBEXECDIR)/fence_scsi_check_hardreboot
	@echo "  $(DESTDIR)$(LIBEXECDIR)/fence_scsi_check, fence_scsi_check_hardreboot -> fence_scsi_check"
	@$(FSG_LINK_SH); for n in $(FSG_WATCHDOG_NAMES); do \
	  fsg_link $(LIBEXECDIR)/$$n $(DESTDIR)$(CLUSTERDIR)/$$n skip || exit 1; done

install-as-fence_scsi: install
	@$(FSG_LINK_SH); fsg_link fence_scsi_go $(DESTDIR)$(SBINDIR)/fence_scsi fail
	@$(FSG_LINK_SH); for n in $(FSG_WATCHDOG_NAMES); do \
	  fsg_link $(LIBEXECDIR)/$$n $(DESTDIR)$(CLUSTERDIR)/$$n fail || exit 1; done

# Undo install-as-fence_scsi: remove our symlinks where an old file was set aside, and bring the
# old files back (dpkg-divert --remove --rename, or NAME.fsg-orig). The symlink fence_scsi is
# always removed; the watchdog-name symlinks of a plain `make install` stay.
uninstall-as-fence_scsi:
	@for l in $(DESTDIR)$(SBINDIR)/fence_scsi $(addprefix $(DESTDIR)$(CLUSTERDIR)/,$(FSG_WATCHDOG_NAMES)); do \
	  div=""; if [ -z "$(DESTDIR)" ] && command -v dpkg-divert >/dev/null 2>&1 && [ -n "$$(dpkg-divert --list "$$l")" ]; then div=1; fi; \
	  if [ -L "$$l" ] && case "$$(readlink "$$l")" in *fence_scsi_go|*/fence-scsi-go/fence_scsi_check*) true;; *) false;; esac && \
	     { [ "$${l##*/}" = fence_scsi ] || [ -n "$$div" ] || [ -e "$$l.fsg-orig" ]; }; then rm -f "$$l"; echo "  removed $$l"; fi; \
	  if [ -n "$$div" ]; then dpkg-divert --local --rename --remove "$$l" || exit 1; \
	  elif [ -e "$$l.fsg-orig" ] && [ ! -e "$$l" ]; then mv "$$l.fsg-orig" "$$l" && echo "  restored $$l"; fi; \
	done

# The static Pacemaker/pcs compatibility suite (root; installs Debian packages if missing and
# the freshly built agent as /usr/sbin/fence_scsi_go; skips loudly when not root).
pacemaker: build
	FSG_AGENT=$(CURDIR)/$(BIN) $(GO) test -tags pacemaker -count=1 -v ./tests/pacemaker/

# ---- Target matrix (tests/e2e/matrix_test.go, docs/conformance.md) ----
# Every matrix case (conformance suite, fencing at 1 and 4 LUNs, ISID change, side-by-side with
# Debian's fence_scsi, watchdog check, delayed-server arbitration) on LIO of Debian 12's kernel,
# LIO of trixie-backports' kernel (prepared on first use) and tgt. TestMatrixQuick (the two
# non-default targets, conformance and fencing only) also runs in `make e2e`. Then the NVMe
# scenarios on the kernel's NVMe target (nvmet), including the 3-node 4-namespace one.
# MATRIX_PARALLEL=N boots up to N guests at once.
MATRIX_PARALLEL ?= 1
.PHONY: e2e-matrix
e2e-matrix: vm-prepare build
	tests/vm/prepare.sh --kernel new
	FSG_E2E=1 FSG_MATRIX=1 FSG_MATRIX_PARALLEL=$(MATRIX_PARALLEL) FSG_AGENT=$(CURDIR)/$(BIN) \
		$(GO) test -count=1 -timeout 180m -v -run '^(TestMatrix|TestNVMe.*)$$' ./tests/e2e/

# ---- Packages: .deb and .rpm built by nfpm (see docs/packaging.md) ----
# make deb / make rpm: fence-scsi-go and fence-scsi-go-dropin from the `make build` binary, into
# $(PKG_OUTDIR); reproducible (dates from the last commit). make packaging: the packaging test
# (root; builds twice from a clean clone, lintian, installs and purges the .debs on this machine).
NFPM_VERSION ?= v2.45.2
PKG_OUTDIR   ?= bin/packages
PKG_ENV       = GO=$(GO) BIN=$(BIN) CHECK_BIN=$(CHECK_BIN) TOOLS_BIN=$(TOOLS_BIN) NFPM_VERSION=$(NFPM_VERSION) PKG_OUTDIR=$(PKG_OUTDIR)

.PHONY: deb rpm packaging
deb: build ; $(PKG_ENV) packaging/build.sh deb
rpm: build ; $(PKG_ENV) packaging/build.sh rpm
# The drop-in check fences for real through the name fence_scsi in the test guest (FSG_E2E=1).
packaging: vm-prepare
	FSG_E2E=1 $(GO) test -tags packaging -count=1 -timeout 60m -v ./tests/packaging/
