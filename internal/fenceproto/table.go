package fenceproto

// Option is one entry of the option table that drives parsing, --help and
// the metadata. The fields mirror fence-agents' all_opt entries, because the
// observable behaviour (stdin name resolution, getopt strings, metadata
// deprecated/obsoletes pairs, sort order) is derived from exactly these.
type Option struct {
	Name      string // internal name (fence-agents key), e.g. "port", "debug"
	Long      string // long option without "--", e.g. "plug", "debug-file"
	Short     byte   // short option letter, 0 if none
	HasArg    bool   // takes a value (getopt ":"); otherwise boolean
	Type      string // "string", "second" or "integer" (value options only)
	Default   string // default value, if HasDefault
	HasDef    bool
	Required  bool   // metadata required="1"
	Help      string // --help line ("" hides it from help and metadata)
	ShortDesc string // metadata shortdesc
	Order     int    // metadata sort key (with the name)
}

// Names of the options, as fence_scsi's internal keys.
const (
	optAction         = "action"
	optAptpl          = "aptpl"
	optDevices        = "devices"
	optKey            = "key"
	optPort           = "port"
	optNodename       = "nodename"
	optMpathMethod    = "mpath_register_method"
	optReadonly       = "readonly"
	optSuppressErrors = "suppress-errors"
	optLogfile        = "logfile"
	optQuiet          = "quiet"
	optVerbose        = "verbose"
	optVerboseLevel   = "verbose_level"
	optDebug          = "debug"
	optVersion        = "version"
	optHelp           = "help"
	optPlugSeparator  = "plug_separator"
	optSeparator      = "separator"
	optPowerTimeout   = "power_timeout"
	optShellTimeout   = "shell_timeout"
	optLoginTimeout   = "login_timeout"
	optDisableTimeout = "disable_timeout"
	optPowerWait      = "power_wait"
	optStatusSleep    = "stonith_status_sleep"
	optDelay          = "delay"
	optRetryOn        = "retry_on"
	optCorosyncPath   = "corosync_cmap_path"
	optSgPersistPath  = "sg_persist_path"
	optSgTursPath     = "sg_turs_path"
	optVgsPath        = "vgs_path"
	optKeyValue       = "key_value"
)

// Table is the fence_scsi option table, in --help order (fence-agents sorts
// the help by its order numbers, stable over the agent's option list).
// Internal-only flags without a long option (no_login, fabric_fencing, ...)
// are in internalNames, not here.
var Table = []Option{
	{Name: optDevices, Long: "devices", Short: 'd', HasArg: true, Type: "string", Order: 1,
		Help:      "-d, --devices=[devices]        List of devices to use for current operation",
		ShortDesc: "List of devices to use for current operation. Devices can be comma or space separated list of raw devices (eg. /dev/sdc). Each device must support SCSI-3 persistent reservations. Optional if cluster is configured with clvm or lvmlockd."},
	{Name: optNodename, Long: "nodename", HasArg: true, Type: "string", Order: 1},
	{Name: optPort, Long: "plug", Short: 'n', HasArg: true, Type: "string", Order: 1, Required: true,
		Help:      "-n, --plug=[nodename]          Name of the node to be fenced",
		ShortDesc: "Name of the node to be fenced. The node name is used to generate the key value used for the current operation. This option will be ignored when used with the -k option."},
	{Name: optKey, Long: "key", Short: 'k', HasArg: true, Type: "string", Order: 1,
		Help:      "-k, --key=[key]                Key to use for the current operation",
		ShortDesc: "Key to use for the current operation. This key should be unique to a node. For the \"on\" action, the key specifies the key use to register the local node. For the \"off\" action, this key specifies the key to be removed from the device(s)."},
	{Name: optAptpl, Long: "aptpl", Short: 'a', Order: 1,
		Help:      "-a, --aptpl                    Use the APTPL flag for registrations",
		ShortDesc: "Use the APTPL flag for registrations. This option is only used for the 'on' action."},
	{Name: optAction, Long: "action", Short: 'o', HasArg: true, Type: "string", Default: "off", HasDef: true, Order: 1, Required: true,
		Help: actionHelpText, ShortDesc: "Fencing action"}, // actionHelpText: meta.go
	{Name: optMpathMethod, Long: "mpath-register-method", HasArg: true, Type: "string", Default: "multi", HasDef: true, Order: 2,
		Help:      "--mpath-register-method=[multi|single]  Register key to all multipath sub devices (multi), or directly to the main multipath device (single).",
		ShortDesc: "Multipath register method (multi/single)."},
	{Name: optReadonly, Long: "readonly", Order: 4,
		Help:      "--readonly                     Open DEVICE read-only. May be useful with PRIN commands if there are unwanted side effects with the default read-write open.",
		ShortDesc: "Open DEVICE read-only."},
	{Name: optSuppressErrors, Long: "suppress-errors", Order: 5,
		Help:      "--suppress-errors              Suppress error log. Suppresses error logging when run from the watchdog service before pacemaker starts.",
		ShortDesc: "Error log suppression."},
	// fence_scsi advertises -f but its getopt string lacks it; we accept -f
	// (docs/differences.md).
	{Name: optLogfile, Long: "logfile", Short: 'f', HasArg: true, Type: "string", Order: 6,
		Help:      "-f, --logfile                  Log output (stdout and stderr) to file",
		ShortDesc: "Log output (stdout and stderr) to file"},
	{Name: optQuiet, Long: "quiet", Short: 'q', Order: 50,
		Help:      "-q, --quiet                    Disable logging to stderr. Does not affect --verbose or --debug-file or logging to syslog.",
		ShortDesc: "Disable logging to stderr. Does not affect --verbose or --debug-file or logging to syslog."},
	{Name: optVerbose, Long: "verbose", Short: 'v', Order: 51,
		Help:      "-v, --verbose                  Verbose mode. Multiple -v flags can be stacked on the command line (e.g., -vvv) to increase verbosity.",
		ShortDesc: "Verbose mode. Multiple -v flags can be stacked on the command line (e.g., -vvv) to increase verbosity."},
	{Name: optVerboseLevel, Long: "verbose-level", HasArg: true, Type: "integer", Order: 52,
		Help:      "--verbose-level                Level of debugging detail in output. Defaults to the number of --verbose flags specified on the command line, or to 1 if verbose=1 in a stonith device configuration (i.e., on stdin).",
		ShortDesc: "Level of debugging detail in output. Defaults to the number of --verbose flags specified on the command line, or to 1 if verbose=1 in a stonith device configuration (i.e., on stdin)."},
	{Name: optDebug, Long: "debug-file", Short: 'D', HasArg: true, Type: "string", Order: 53,
		Help:      "-D, --debug-file=[debugfile]   Debugging to output file",
		ShortDesc: "Write debug information to given file"},
	{Name: optVersion, Long: "version", Short: 'V', Order: 54,
		Help:      "-V, --version                  Display version information and exit",
		ShortDesc: "Display version information and exit"},
	{Name: optHelp, Long: "help", Short: 'h', Order: 55,
		Help:      "-h, --help                     Display this help and exit",
		ShortDesc: "Display help and exit"},
	// separator comes with "port" in fence-agents; fence_scsi hides it.
	{Name: optSeparator, Long: "separator", Short: 'C', HasArg: true, Type: "string", Default: ",", HasDef: true, Order: 100},
	{Name: optPlugSeparator, Long: "plug-separator", HasArg: true, Type: "string", Default: ",", HasDef: true, Order: 100,
		Help:      "--plug-separator=[char]        Separator for plug parameter when specifying more than 1 plug",
		ShortDesc: "Separator for plug parameter when specifying more than 1 plug"},
	{Name: optPowerTimeout, Long: "power-timeout", HasArg: true, Type: "second", Default: "20", HasDef: true, Order: 200,
		Help:      "--power-timeout=[seconds]      Test X seconds for status change after ON/OFF",
		ShortDesc: "Test X seconds for status change after ON/OFF"},
	{Name: optShellTimeout, Long: "shell-timeout", HasArg: true, Type: "second", Default: "3", HasDef: true, Order: 200,
		Help:      "--shell-timeout=[seconds]      Wait X seconds for cmd prompt after issuing command",
		ShortDesc: "Wait X seconds for cmd prompt after issuing command"},
	{Name: optLoginTimeout, Long: "login-timeout", HasArg: true, Type: "second", Default: "5", HasDef: true, Order: 200,
		Help:      "--login-timeout=[seconds]      Wait X seconds for cmd prompt after login",
		ShortDesc: "Wait X seconds for cmd prompt after login"},
	{Name: optDisableTimeout, Long: "disable-timeout", HasArg: true, Type: "string", Order: 200,
		Help:      "--disable-timeout=[true/false]     Disable timeout (true/false) (default: true when run from Pacemaker 2.0+)",
		ShortDesc: "Disable timeout (true/false) (default: true when run from Pacemaker 2.0+)"},
	{Name: optPowerWait, Long: "power-wait", HasArg: true, Type: "second", Default: "0", HasDef: true, Order: 200,
		Help:      "--power-wait=[seconds]         Wait X seconds after issuing ON/OFF",
		ShortDesc: "Wait X seconds after issuing ON/OFF"},
	{Name: optStatusSleep, Long: "stonith-status-sleep", HasArg: true, Type: "second", Default: "1", HasDef: true, Order: 200,
		Help:      "--stonith-status-sleep=[seconds]   Sleep X seconds between status calls during a STONITH action",
		ShortDesc: "Sleep X seconds between status calls during a STONITH action"},
	// fence_scsi changes delay's short option to -H (not shown in help).
	{Name: optDelay, Long: "delay", Short: 'H', HasArg: true, Type: "second", Default: "0", HasDef: true, Order: 200,
		Help:      "--delay=[seconds]              Wait X seconds before fencing is started",
		ShortDesc: "Wait X seconds before fencing is started"},
	{Name: optRetryOn, Long: "retry-on", HasArg: true, Type: "integer", Default: "1", HasDef: true, Order: 201,
		Help:      "--retry-on=[attempts]          Count of attempts to retry power on",
		ShortDesc: "Count of attempts to retry power on"},
	{Name: optCorosyncPath, Long: "corosync-cmap-path", HasArg: true, Type: "string", Default: "/usr/sbin/corosync-cmapctl", HasDef: true, Order: 300,
		Help:      "--corosync-cmap-path=[path]    Path to corosync-cmapctl binary",
		ShortDesc: "Path to corosync-cmapctl binary"},
	{Name: optSgPersistPath, Long: "sg_persist-path", HasArg: true, Type: "string", Default: "/usr/bin/sg_persist", HasDef: true, Order: 300,
		Help:      "--sg_persist-path=[path]       Path to sg_persist binary",
		ShortDesc: "Path to sg_persist binary"},
	{Name: optSgTursPath, Long: "sg_turs-path", HasArg: true, Type: "string", Default: "/usr/bin/sg_turs", HasDef: true, Order: 300,
		Help:      "--sg_turs-path=[path]          Path to sg_turs binary",
		ShortDesc: "Path to sg_turs binary"},
	{Name: optVgsPath, Long: "vgs-path", HasArg: true, Type: "string", Default: "/usr/sbin/vgs", HasDef: true, Order: 300,
		Help:      "--vgs-path=[path]              Path to vgs binary",
		ShortDesc: "Path to vgs binary"},
	{Name: optKeyValue, Long: "key-value", HasArg: true, Type: "string", Default: "id", HasDef: true, Order: 300,
		Help:      "--key-value=<id|hash>          SCSI key node generation method",
		ShortDesc: "Method used to generate the SCSI key. \"id\" (default) uses the positional ID from \"corosync-cmactl nodelist\" output which can get inconsistent when nodes are removed from cluster without full cluster restart. \"hash\" uses part of hash made out of node names which is not affected over time but there is theoretical chance that hashes can collide as size of SCSI key is quite limited."},
}

// internalNames are fence_scsi's option keys that have no long option. On
// stdin they resolve to an option but cannot be set: fence_scsi warns
// "does not have value" (or crashes with a KeyError for a boolean value; we
// warn in both cases).
var internalNames = []string{"no_login", "no_password", "no_port", "fabric_fencing", "on_target", "force_on", "agent"}

// lookup returns the table entry with internal name n.
func lookup(n string) *Option {
	for i := range Table {
		if Table[i].Name == n {
			return &Table[i]
		}
	}
	return nil
}
