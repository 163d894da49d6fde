package fence

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// sched runs agents (goroutines) so that their PR commands interleave in an
// order the test chooses: every PR IN or PR OUT of an agent waits at a
// command boundary until the scheduler grants it. An agent runs at most one
// command at a time (its Options.Parallelism is 1), so the scheduler knows
// when every agent is either waiting at a boundary or finished, and picks
// the next one by choose(step, waiting agents).
type sched struct {
	events chan schedEvent
	grant  []chan bool // per agent; false kills the agent's command
	// choices made so far, and how many agents were waiting at each.
	trace   []int
	options []int
	// after runs after every granted command once all agents are quiet.
	after func(step int) error
	// done, if set, runs when an agent returns, before any other command.
	done func(agent int, err error) error
	// kill, if set, is asked before granting: true stops that agent
	// (its command and all later ones fail), as kill -9 would.
	kill func(agent, step int) bool
}

type schedEvent struct {
	agent int
	done  bool
	op    string
}

func newSched(agents int) *sched {
	s := &sched{events: make(chan schedEvent), grant: make([]chan bool, agents)}
	for i := range s.grant {
		s.grant[i] = make(chan bool)
	}
	return s
}

// errKilled is the error of every command of a killed agent.
var errKilled = &scsi.Error{Op: "killed", Class: scsi.ErrTransport, OutcomeUnknown: true, Detail: "agent killed"}

// wait is called by agent before each PR command; it returns false if the
// agent is killed.
func (s *sched) wait(agent int, op string) bool {
	s.events <- schedEvent{agent: agent, op: op}
	return <-s.grant[agent]
}

// run starts the agents and drives them to completion, choosing among the
// waiting agents with choose (which returns an index into waiting, sorted).
func (s *sched) run(agents []func() error, choose func(step int, waiting []int) int) ([]error, error) {
	errs := make([]error, len(agents))
	for i, a := range agents {
		go func() {
			errs[i] = a()
			s.events <- schedEvent{agent: i, done: true}
		}()
	}
	running := len(agents)
	waiting := map[int]string{}
	killed := map[int]bool{}
	var failure error
	for step := 0; ; step++ {
		for running > 0 {
			ev := <-s.events
			running--
			if !ev.done {
				waiting[ev.agent] = ev.op
			} else if s.done != nil && failure == nil {
				failure = s.done(ev.agent, errs[ev.agent])
			}
		}
		if step > 0 && s.after != nil && failure == nil {
			failure = s.after(step)
		}
		if len(waiting) == 0 {
			return errs, failure
		}
		ids := make([]int, 0, len(waiting))
		for id := range waiting {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		c := 0
		if len(ids) > 1 {
			c = choose(step, ids)
			s.trace = append(s.trace, c)
			s.options = append(s.options, len(ids))
		}
		id := ids[c]
		delete(waiting, id)
		running++
		ok := !killed[id] && (s.kill == nil || !s.kill(id, step))
		if !ok {
			killed[id] = true
		}
		s.grant[id] <- ok
	}
}

// schedDevice makes every PR command of dev a scheduling point of agent.
// Identity (INQUIRY, Identify) and readiness do not touch PR state and pass through.
type schedDevice struct {
	pr.Device
	s     *sched
	agent int
}

func (d *schedDevice) gate(op string) error {
	if !d.s.wait(d.agent, op+" "+d.Name()) {
		return errKilled
	}
	return nil
}

func (d *schedDevice) ReadKeys(ctx context.Context) (*pr.KeyList, error) {
	if err := d.gate("read-keys"); err != nil {
		return nil, err
	}
	return d.Device.ReadKeys(ctx)
}

func (d *schedDevice) ReadReservation(ctx context.Context) (*pr.Reservation, error) {
	if err := d.gate("read-reservation"); err != nil {
		return nil, err
	}
	return d.Device.ReadReservation(ctx)
}

func (d *schedDevice) ReadRegistrations(ctx context.Context) (*pr.Registrations, error) {
	if err := d.gate("read-registrations"); err != nil {
		return nil, err
	}
	return d.Device.ReadRegistrations(ctx)
}

func (d *schedDevice) Register(ctx context.Context, rk, sark pr.Key, o pr.RegisterOptions) error {
	return d.out("register", func() error { return d.Device.Register(ctx, rk, sark, o) })
}

func (d *schedDevice) RegisterAndIgnore(ctx context.Context, sark pr.Key, o pr.RegisterOptions) error {
	return d.out("register-and-ignore", func() error { return d.Device.RegisterAndIgnore(ctx, sark, o) })
}

func (d *schedDevice) Reserve(ctx context.Context, rk pr.Key, t pr.Type) error {
	return d.out("reserve", func() error { return d.Device.Reserve(ctx, rk, t) })
}

func (d *schedDevice) Release(ctx context.Context, rk pr.Key, t pr.Type) error {
	return d.out("release", func() error { return d.Device.Release(ctx, rk, t) })
}

func (d *schedDevice) Clear(ctx context.Context, rk pr.Key) error {
	return d.out("clear", func() error { return d.Device.Clear(ctx, rk) })
}

func (d *schedDevice) Preempt(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	return d.out("preempt", func() error { return d.Device.Preempt(ctx, rk, sark, t) })
}

func (d *schedDevice) PreemptAndAbort(ctx context.Context, rk, sark pr.Key, t pr.Type) error {
	return d.out("preempt-and-abort", func() error { return d.Device.PreemptAndAbort(ctx, rk, sark, t) })
}

func (d *schedDevice) out(op string, f func() error) error {
	if err := d.gate(op); err != nil {
		return err
	}
	return f()
}

// explore enumerates schedules depth first: replay a prefix of choices, take
// the first option after it, and backtrack on the last decision that has an
// untried option. bound limits the preemptions (switching away from an
// agent that is still waiting) when >= 0. runOne runs one schedule with the
// given chooser and returns an error to stop the exploration.
func explore(bound int, runOne func(choose func(step int, waiting []int) int) (*sched, error)) (int, error) {
	var prefix []int
	n := 0
	for {
		var last, switches int = -1, 0
		pos := 0
		choose := func(step int, waiting []int) int {
			c := 0
			if pos < len(prefix) {
				c = prefix[pos]
			} else if bound >= 0 && switches >= bound && last >= 0 {
				// Out of preemptions: keep running the last agent if it waits.
				for i, id := range waiting {
					if id == last {
						c = i
					}
				}
			}
			if last >= 0 && waiting[c] != last && contains(waiting, last) {
				switches++
			}
			last = waiting[c]
			pos++
			return c
		}
		s, err := runOne(choose)
		n++
		if err != nil {
			return n, fmt.Errorf("schedule %v: %w", s.trace, err)
		}
		next, ok := nextPrefix(s, bound)
		if !ok {
			return n, nil
		}
		prefix = next
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// nextPrefix backtracks to the last decision with an untried option that
// stays within the preemption bound.
func nextPrefix(s *sched, bound int) ([]int, bool) {
	for i := len(s.trace) - 1; i >= 0; i-- {
		if s.trace[i]+1 < s.options[i] {
			p := append(append([]int(nil), s.trace[:i]...), s.trace[i]+1)
			if bound < 0 || preemptions(p) <= bound {
				return p, true
			}
		}
	}
	return nil, false
}

// preemptions approximates the switches of a choice prefix (with two
// agents, a choice of the other index than the previous one).
func preemptions(p []int) int {
	n := 0
	for i := 1; i < len(p); i++ {
		if p[i] != p[i-1] {
			n++
		}
	}
	return n
}

type scsiDevice = pr.Device

// opRecorder records the PR commands of a device that completed without a
// kill (it wraps the scheduled device, so it sees the kill as an error).
type opRecorder struct {
	pr.Device
	ops *[]string
}

func (d *opRecorder) rec(op string, err error) {
	if !errors.Is(err, errKilled) {
		*d.ops = append(*d.ops, op+" "+d.Name())
	}
}

func (d *opRecorder) ReadKeys(ctx context.Context) (*pr.KeyList, error) {
	kl, err := d.Device.ReadKeys(ctx)
	d.rec("read-keys", err)
	return kl, err
}

func (d *opRecorder) RegisterAndIgnore(ctx context.Context, sark pr.Key, o pr.RegisterOptions) error {
	err := d.Device.RegisterAndIgnore(ctx, sark, o)
	d.rec("register-and-ignore", err)
	return err
}

func (d *opRecorder) Register(ctx context.Context, rk, sark pr.Key, o pr.RegisterOptions) error {
	err := d.Device.Register(ctx, rk, sark, o)
	d.rec("register", err)
	return err
}
