// Package fenceproto is the fence-agent protocol front end of a
// fence_scsi-compatible agent: stdin key=value lines or GNU-style command
// line -> Options, the processing order of fence-agents' check_input and
// fence_scsi's main, exit codes, and the exact stdout/stderr texts.
// The storage side is behind the Backend interface.
package fenceproto

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
)

// DefaultVersion is printed by -V/--version: the fence-agents release whose
// behaviour this agent follows (callers that parse the version see a
// release that has every feature we implement).
const DefaultVersion = "4.17.0"

// Env is everything a run touches besides the Backend, so tests can
// replace the clock, sleeping, syslog and files.
type Env struct {
	Args           []string // argv, including argv[0]
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	// Sleep waits for d or until ctx is done (clock.Sleep by default).
	Sleep  func(ctx context.Context, d time.Duration) error
	Syslog SyslogFunc
	// OpenFile opens the logfile (truncate set) or the debug file
	// (appended to); the default is openLogFile.
	OpenFile func(name string, truncate bool) (io.WriteCloser, error)
	Version  string
}

// Main runs the agent with the real clock, syslog and file system and
// returns the exit code. Cancelling ctx (on SIGTERM or SIGINT) stops the
// run: external commands are killed and the cause is logged.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string, b Backend) int {
	prog := "fence_scsi_go"
	if len(args) > 0 {
		prog = filepath.Base(args[0])
	}
	return Run(ctx, Env{
		Args: args, Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: env,
		Syslog: newSyslog(prog),
	}, b)
}

// run is the state of one agent run.
type run struct {
	env   Env
	b     Backend
	log   *Logger
	start time.Time
	prog  string
	out   io.Writer
	files []io.Closer

	stopped  chan struct{} // closed when the run must end now (see stop)
	stopOnce sync.Once
}

// stop ends a run that did not wind down by itself within StopGrace of its
// limit or of its cancellation.
func (r *run) stop() { r.stopOnce.Do(func() { close(r.stopped) }) }

// Run executes one agent run (in the order of lib/fencing.py.py's check_input and
// fence_action, as fence_scsi's main calls them) and returns the
// exit code. Nil clock, sleep, file and version fields of env get the real
// ones; a nil Syslog means no syslog copy.
//
// With timeouts on, the run gets a deadline (runLimit); when it passes, or
// when ctx is cancelled, the run winds down through its context, and if it
// is still going StopGrace later Run returns 1 without waiting for it.
func Run(ctx context.Context, env Env, b Backend) int {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Sleep == nil {
		env.Sleep = clock.Sleep
	}
	if env.OpenFile == nil {
		env.OpenFile = openLogFile
	}
	if env.Version == "" {
		env.Version = DefaultVersion
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	r := &run{env: env, b: b, start: env.Now(), out: env.Stdout, prog: "fence_scsi_go", stopped: make(chan struct{})}
	if len(env.Args) > 0 {
		r.prog = filepath.Base(env.Args[0])
	}
	r.log = newLogger(env.Stderr, env.Now, env.Syslog)
	done := make(chan int, 1)
	go func() { done <- r.finish(ctx) }()
	unhook := context.AfterFunc(ctx, func() { time.AfterFunc(StopGrace, r.stop) })
	defer unhook()
	select {
	case code := <-done:
		for _, f := range r.files {
			f.Close()
		}
		return code
	case <-r.stopped:
		// The run is stuck (e.g. in a device command); it is abandoned
		// and its files stay open until the process exits.
		if ctx.Err() != nil {
			r.log.Errorf("Failed: %v", context.Cause(ctx))
		} else {
			r.log.Errorf("%s", TimedOutMsg)
		}
		return exitFail
	}
}

// finish runs the agent and reports its error; a run cancelled from the
// outside reports the cancellation's cause instead of what it led to.
func (r *run) finish(ctx context.Context) int {
	code, err := r.main(ctx)
	switch {
	case err == nil:
		return code
	case ctx.Err() != nil:
		r.log.Errorf("Failed: %v", context.Cause(ctx))
		return exitFail
	}
	return report(r.log, err)
}

// main runs the agent's steps in fence-agents' order (numbered as in
// check_input and fence_scsi's main) and returns the exit code.
func (r *run) main(ctx context.Context) (int, error) {
	v, action, err := r.parse()
	if err != nil {
		return 0, err
	}
	if code, done := r.informational(v, action); done {
		return code, nil
	}
	o, err := r.options(v, action)
	if err != nil {
		return 0, err
	}
	ctx, cancel := r.withRunLimit(ctx, o, plugCount(v))
	defer cancel()
	if err := r.delayAndLogfile(ctx, o, v); err != nil {
		return 0, err
	}
	// 12. Monitor needs no node and no key.
	if o.Action == "monitor" {
		if err := r.b.Monitor(ctx, o); err != nil {
			return 0, err
		}
		return exitOK, nil
	}
	return r.node(ctx, o, v)
}

// parse runs steps 1 and 2: the input with its defaults filled in, and
// the lower-cased action (OCF's meta-data is metadata).
func (r *run) parse() (values, string, error) {
	var v values
	var err error
	if len(r.env.Args) > 1 {
		v, err = parseArgs(r.env.Args[1:], r.log)
	} else {
		v, err = parseStdin(r.env.Stdin, r.log)
	}
	if err != nil {
		return nil, "", err
	}
	for _, o := range Table {
		if _, ok := v[o.Name]; !ok && o.HasDef {
			v[o.Name] = o.Default
		}
	}
	action := strings.ToLower(v[optAction])
	if action == "meta-data" {
		action = "metadata"
	}
	return v, action, nil
}

// informational runs steps 3 and 9: help, metadata and version need
// nothing else; done reports that one of them was printed.
func (r *run) informational(v values, action string) (code int, done bool) {
	_, help := v[optHelp]
	_, version := v[optVersion]
	switch {
	case help:
		io.WriteString(r.out, r.usage())
	case action == "metadata" || action == "manpage":
		r.out.Write(r.metadataXML(action == "manpage"))
	case version:
		io.WriteString(r.out, r.env.Version+"\n")
	default:
		return 0, false
	}
	return exitOK, true
}

// options runs steps 4 to 8: verbosity and logging, the action, the
// types and the key, the debug file, and the timeouts under Pacemaker.
func (r *run) options(v values, action string) (*Options, error) {
	// 4. Verbosity, then logging.
	o := &Options{Raw: v, Log: r.log.Slog()}
	r.verbosity(o)
	_, o.Quiet = v[optQuiet]
	r.log.setup(o.Verbose, o.Quiet)
	// 5. Action.
	switch action {
	case "on", "off", "status", "list", "list-status", "monitor", "validate-all":
	case "enable":
		action = "on"
	case "disable":
		action = "off"
	default:
		return nil, UsageErrorf("Failed: Unrecognised action '%s'", clean(action))
	}
	o.Action = action
	// 6. Types, then our up-front key check.
	if err := fill(o, v); err != nil {
		return nil, err
	}
	if k := v[optKey]; k != "" {
		var err error
		if o.Key, err = normaliseKey(k); err != nil {
			return nil, err
		}
	}
	// 7. Debug file.
	if o.DebugFile != "" {
		f, err := r.env.OpenFile(o.DebugFile, false)
		if err != nil {
			return nil, r.fileError(o.DebugFile, err, true)
		}
		r.files = append(r.files, f)
		r.log.setFile(f)
	}
	r.pacemakerTimeouts(o, v)
	return o, nil
}

// pacemakerTimeouts is step 8: under Pacemaker timeouts are off unless
// disable_timeout says otherwise.
func (r *run) pacemakerTimeouts(o *Options, v values) {
	if _, ok := v[optDisableTimeout]; !ok && r.env.Getenv != nil && r.env.Getenv("PCMK_service") == "pacemaker-fenced" {
		v[optDisableTimeout] = "1"
	}
	if parseBool(v[optDisableTimeout]) == "1" {
		o.PowerTimeout, o.ShellTimeout, o.LoginTimeout = 0, 0, 0
	}
}

// delayAndLogfile runs steps 10 (the delay, off only) and 11 (the log
// file: stdout and our log lines go to the truncated file).
func (r *run) delayAndLogfile(ctx context.Context, o *Options, v values) error {
	if o.Action == "off" && v[optDelay] != "0" {
		left := time.Duration(1+o.Delay)*time.Second - r.env.Now().Sub(r.start)
		if left > 0 {
			r.log.Infof("Delay %d second(s) before logging in to the fence device", int(left/time.Second))
			r.env.Sleep(ctx, left)
		}
	}
	if o.Logfile != "" {
		f, err := r.env.OpenFile(o.Logfile, true)
		if err != nil {
			return r.fileError(o.Logfile, err, false)
		}
		r.files = append(r.files, f)
		r.out = f
		r.log.setStderr(f)
	}
	return nil
}

// node runs steps 13-20: node name, key, devices, then the action.
func (r *run) node(ctx context.Context, o *Options, v values) (int, error) {
	validate := o.Action == "validate-all"
	// 13. nodename wins over plug.
	o.Plug = v[optPort]
	if n := v[optNodename]; n != "" {
		o.Plug = n
	}
	// 14.
	if o.Plug == "" && o.Key == "" {
		if !validate {
			return 0, UsageErrorf("Failed: nodename or key is required")
		}
		failUsage(r.log, "Failed: nodename or key is required", false)
	}
	// 15. Derive the key.
	if !validate && o.Key == "" {
		k, err := r.b.DeriveKey(ctx, o, o.Plug)
		if err != nil {
			return 0, err
		}
		if k == "" || k == "0" {
			return 0, UsageErrorf("Failed: key cannot be 0")
		}
		// 18 (strip leading zeros) is part of normalising.
		if o.Key, err = normaliseKey(k); err != nil {
			return 0, err
		}
	}
	// 16.
	if o.KeyValue != "id" && o.KeyValue != "hash" {
		if !validate {
			return 0, UsageErrorf("Failed: key-value has to be 'id' or 'hash'")
		}
		failUsage(r.log, "Failed: key-value has to be 'id' or 'hash'", false)
	}
	// 17.
	if validate {
		return exitOK, nil
	}
	// 19.
	devs, err := r.b.Devices(ctx, o)
	if err != nil {
		return 0, err
	}
	if len(devs) == 0 {
		return 0, UsageErrorf("Failed: No devices found")
	}
	// 20.
	return r.fenceAction(ctx, o, devs)
}
