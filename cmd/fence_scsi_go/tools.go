package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// toolsName is the program that runs the subcommands in toolCommands
// (cmd/fence_scsi_go_tools). The agent's own binary does not link them: a
// fence call would pay their loading and initialisation at every start.
const toolsName = "fence_scsi_go_tools"

// toolsLibexec is where the packages and make install put toolsName,
// relative to the directory of fence_scsi_go ($PREFIX/sbin).
const toolsLibexec = "../libexec/fence-scsi-go"

// toolCommands are the first arguments handed to toolsName: the storage
// check and the arbitration mode (the test checks them against arbcli).
var toolCommands = map[string]bool{"check-storage": true, "acquire": true, "defend": true, "release": true}

// toolCandidates are the places toolsName is looked for, in order, for the
// agent's executable exe: beside it (make build's bin/, a copy made by a test
// harness), then in $PREFIX/libexec/fence-scsi-go. Both derive from the
// executable's own resolved path, so an agent never runs the helper of
// another installation.
func toolCandidates(exe string) []string {
	dir := filepath.Dir(exe)
	return []string{filepath.Join(dir, toolsName), filepath.Clean(filepath.Join(dir, toolsLibexec, toolsName))}
}

// findTools returns the first candidate that is an executable regular file.
func findTools(exe string) (string, error) {
	c := toolCandidates(exe)
	for _, p := range c {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("its helper program %s is missing: looked for %s and %s (install it with fence_scsi_go: make install, or the fence-scsi-go package)", toolsName, c[0], c[1])
}

// execTools replaces this process by toolsName with the same arguments
// (argv[0] included, so usage lines still name the command as called) and
// environment. It returns only on failure, with the exit code to use: 1, the
// error code of both the storage check and the arbitration commands.
func execTools(args []string, stderr io.Writer) int {
	exe, err := os.Executable()
	var p string
	if err == nil {
		p, err = findTools(exe)
	}
	if err == nil {
		err = syscall.Exec(p, args, os.Environ())
		err = fmt.Errorf("cannot run %s: %w", p, err)
	}
	fmt.Fprintf(stderr, "%s: %s: %v\n", filepath.Base(args[0]), args[1], err)
	return 1
}
