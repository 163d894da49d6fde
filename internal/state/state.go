// Package state reads and writes fence_scsi's state files: the key file
// (one line, the local node's key in lower-case hex) and the dev file (one
// device path per line, as configured, appended without duplicates and never
// pruned). The formats are fence_scsi's, so an installed Python
// fence_scsi_check keeps working with files written here.
package state

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// Default paths: fence_scsi's STORE_PATH ("/var/run/cluster") + ".key"/".dev"
// since fence-agents 4.11.
const (
	DefaultKeyFile = "/var/run/cluster.key"
	DefaultDevFile = "/var/run/cluster.dev"
)

// Store names the two state files.
type Store struct {
	KeyFile string
	DevFile string
}

// Default is the Store fence_scsi uses.
var Default = Store{KeyFile: DefaultKeyFile, DevFile: DefaultDevFile}

// FileError is a state file that could not be read or written. Its text is
// fence_scsi's; Err holds the cause for debug logs and errors.Is
// (fs.ErrNotExist when the file is missing).
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf(texts.FileOpen, e.Path) }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// KeyError is a key file whose first line is not a valid key.
type KeyError struct {
	Path string
	Err  error // from keys.Parse
}

func (e *KeyError) Error() string {
	return fmt.Sprintf(texts.FileBadKey, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

// WriteKey replaces the key file with the key in lower-case hex and a newline.
func (s Store) WriteKey(k scsi.Key) error {
	return writeAtomic(s.KeyFile, []byte(keys.Format(k)+"\n"))
}

// ReadKey reads the key file the way fence_scsi does (first line, stripped,
// lower-cased; the watchdog check compares it with sg_persist's output).
func (s Store) ReadKey() (scsi.Key, error) {
	data, err := readFile(s.KeyFile)
	if err != nil {
		return 0, &FileError{Path: s.KeyFile, Err: err}
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return 0, &KeyError{Path: s.KeyFile, Err: err}
	}
	return k, nil
}

// parseKeyFile reads the key from the key file's contents: the first line,
// stripped and lower-cased.
func parseKeyFile(data []byte) (scsi.Key, error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return keys.Parse(strings.ToLower(strings.TrimSpace(string(line))))
}

// ReadDevices returns the non-empty, stripped lines of the dev file.
func (s Store) ReadDevices() ([]string, error) {
	data, err := readFile(s.DevFile)
	if err != nil {
		return nil, &FileError{Path: s.DevFile, Err: err}
	}
	return deviceLines(data), nil
}

func deviceLines(data []byte) []string {
	var devs []string
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if s := strings.TrimSpace(string(line)); s != "" {
			devs = append(devs, s)
		}
		data = rest
	}
	return devs
}

// AddDevices appends the devices missing from the dev file, in the order
// given, and keeps every existing line (the file is never pruned). A path
// containing whitespace cannot be stored in the line format and is refused.
// Concurrent writers are serialised with an flock on DevFile+".lock".
func (s Store) AddDevices(devs ...string) error {
	for _, d := range devs {
		if d == "" || strings.IndexFunc(d, isSpace) >= 0 {
			return fmt.Errorf(texts.DevFileBadPath, d, s.DevFile)
		}
	}
	unlock, err := lockFile(s.DevFile + ".lock")
	if err != nil {
		return &FileError{Path: s.DevFile, Err: err}
	}
	defer unlock()

	old, err := readFile(s.DevFile)
	if err != nil && !os.IsNotExist(err) {
		return &FileError{Path: s.DevFile, Err: err}
	}
	have := map[string]bool{}
	for _, d := range deviceLines(old) {
		have[d] = true
	}
	buf := bytes.Clone(old)
	if len(buf) > 0 && buf[len(buf)-1] != '\n' {
		buf = append(buf, '\n')
	}
	added := false
	for _, d := range devs {
		if !have[d] {
			have[d] = true
			buf = append(buf, d+"\n"...)
			added = true
		}
	}
	if !added && err == nil {
		return nil
	}
	return writeAtomic(s.DevFile, buf)
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// AddDevice appends dev to the dev file if it is missing, at once: the
// agent calls it as soon as a device's registration is verified, so an
// agent killed during `on` never leaves a registered device that the
// watchdog check does not watch (fence_scsi's set_status writes each device
// right after verifying it). added reports whether dev was new.
func (s Store) AddDevice(dev string) (added bool, err error) {
	before, _ := s.ReadDevices()
	for _, d := range before {
		if d == dev {
			return false, nil
		}
	}
	if err := s.AddDevices(dev); err != nil {
		return false, err
	}
	return true, nil
}

// OrderTail moves the lines listed in order (devices this run appended,
// possibly in the order concurrent workers finished) to the end of the dev
// file in the order given, leaving every other line in place, so the file
// reads as fence_scsi's sequential loop would have written it.
func (s Store) OrderTail(order []string) error {
	if len(order) < 2 {
		return nil
	}
	unlock, err := lockFile(s.DevFile + ".lock")
	if err != nil {
		return &FileError{Path: s.DevFile, Err: err}
	}
	defer unlock()
	old, err := readFile(s.DevFile)
	if err != nil {
		return &FileError{Path: s.DevFile, Err: err}
	}
	moved := map[string]bool{}
	for _, d := range order {
		moved[d] = true
	}
	var buf []byte
	for _, d := range deviceLines(old) {
		if !moved[d] {
			buf = append(buf, d+"\n"...)
		}
	}
	for _, d := range order {
		buf = append(buf, d+"\n"...)
	}
	if bytes.Equal(buf, old) {
		return nil
	}
	return writeAtomic(s.DevFile, buf)
}
