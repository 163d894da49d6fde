package fenceproto

// typeCheckOrder is the order in which fence-agents type-checks options
// (the agent's option list order); the first bad value is reported.
var typeCheckOrder = []string{optPowerTimeout, optShellTimeout, optLoginTimeout, optPowerWait, optStatusSleep, optRetryOn, optDelay}

// verbosity settles verbose/verbose_level as fence-agents check_input does.
func (r *run) verbosity(o *Options) {
	v := o.Raw
	lvl, ok := pyInt(v[optVerboseLevel])
	if !ok {
		lvl = -1
	}
	if lvl < 0 {
		r.log.Warningf("Parse error: Option 'verbose_level' must be an integer greater than or equal to 0. Setting verbose_level to 0.")
		lvl = 0
	}
	_, verbose := v[optVerbose]
	if lvl == 0 && verbose {
		r.log.Warningf("Parse error: Ignoring option 'verbose' because it conflicts with verbose_level=0")
		verbose = false
	}
	o.Verbose = verbose || lvl > 0
}

// fill type-checks the numeric options and copies every value into o.
func fill(o *Options, v values) error {
	nums := map[string]*int{
		optPowerTimeout: &o.PowerTimeout, optShellTimeout: &o.ShellTimeout,
		optLoginTimeout: &o.LoginTimeout, optPowerWait: &o.PowerWait,
		optStatusSleep: &o.StonithStatusSleep, optRetryOn: &o.RetryOn, optDelay: &o.Delay,
	}
	for _, name := range typeCheckOrder {
		n, ok := pyInt(v[name])
		if !ok {
			opt := lookup(name)
			if opt.Type == "second" {
				return UsageErrorf("Failed: The value you have entered for --%s is not a valid time in seconds", opt.Long)
			}
			return UsageErrorf("Failed: The value you have entered for --%s is not a valid %s", opt.Long, opt.Type)
		}
		if err := checkRange(lookup(name), n); err != nil {
			return err
		}
		*nums[name] = n
	}
	o.Devices = v[optDevices]
	_, o.Aptpl = v[optAptpl]
	_, o.Readonly = v[optReadonly]
	o.MpathRegisterMethod = v[optMpathMethod]
	o.KeyValue = v[optKeyValue]
	o.CorosyncCmapPath = v[optCorosyncPath]
	o.VgsPath = v[optVgsPath]
	o.Logfile = v[optLogfile]
	o.DebugFile = v[optDebug]
	return nil
}
