// Package texts holds the messages fence_scsi_go shows to users and logs
// for fence_scsi's actions, key handling, state files and watchdog check, in
// one place. Texts marked "fence_scsi's" are fence-agents' fence_scsi.py
// strings, byte for byte: Pacemaker logs them and administrators grep for
// them, and the compatibility tests compare them with the real agent's
// output. Change none of those; new texts of our own follow their style
// ("Failed: " and a one-line cause).
//
// Every text is a constant: fmt format strings are checked by go vet at
// their call sites.
package texts

// Devices (package fence). %q is the device path as configured.
const (
	NoDevices          = "Failed: No devices found"                                   // fence_scsi's
	SharedDevices      = "Failed: Cannot get shared devices"                          // fence_scsi's, vgs failed
	DeviceMissing      = "Failed: device %q does not exist"                           // fence_scsi's
	DeviceNotBlock     = "Failed: device %q is not a block device"                    // fence_scsi's
	DeviceNoPR         = "Failed: device %q does not support persistent reservations" // + ": cause"
	DeviceKeys         = "Cannot get registration keys on device %q"                  // fence_scsi's, + ": cause"
	DeviceResvKey      = "Cannot get reservation key on device %q"                    // fence_scsi's, + ": cause"
	DevicePathsUnknown = "Failed: cannot find the paths of device-mapper device %q"   // + ": cause" when known
	DeviceNoPaths      = "Failed: device-mapper device %q has no paths"
	VerifyFailed       = "Failed to verify %d device(s)"                            // fence_scsi's
	SelfFence          = "Failed: keys cannot be same. You can not fence yourself." // fence_scsi's
	PoweredOff         = "Powered OFF"                                              // fence_scsi's "Success: Powered OFF"
	AlreadyOff         = "Already OFF"                                              // fence_scsi's "Success: Already OFF"
	RaceStopped        = "not worked on: the race was lost on another device"
	DevFileBadPath     = "Failed: device path %q cannot be stored in %q"
	CommandTimedOut    = "Connection timed out" // fence_scsi's, an external command or device read timed out
	ExecutingCommand   = "Executing: %s %s\n"   // fence_scsi's (fence-agents' run_command), INFO
)

// Off's refusals during a fencing race (package fence): the node's own key
// %s on device %q.
const (
	Lost = "Failed: key %s of this node is not registered on device %q: this node has been fenced " +
		"(or was never unfenced there), so it fences no other node"
	OtherNexus = "Failed: key %s of this node is registered on device %q only through another I_T nexus " +
		"(session re-established?); run '-o on' on this node to register it again, then fence"
	UnreservedNoKey = "Failed: device %q has no reservation and this node has no key (never unfenced): " +
		"every initiator can write it, so no node can be reported off"
	Unreserved = "Failed: device %q has no reservation and key %s of this node is not registered on it: " +
		"every initiator can write it, so no node can be reported off"
)

// fence_scsi's DEBUG lines of the on, off and status actions: key %s, device %s.
const (
	RegisterFailed    = "Failed to register key %s on device %s\n"
	ReserveFailed     = "Failed to create reservation (key=%s, device=%s)\n"
	NoRegistration    = "No registration for key %s on device %s\n"
	RemoveFailed      = "Failed to remove key %s from device %s\n"
	RemoveFailedAlias = "Failed to remove key %s from device %s (named as the same logical unit as %s)\n" // ours
	NoReservation     = "No reservation exists on device %s\n"
	// ours: the holder's preempt left the victim registered (the Linux NVMe target).
	HolderPreempt = "Key %s still registered on device %s after a preempt by the %v holder: " +
		"changing the reservation to WE-AR and preempting again\n"
)

// Keys (package keys): %q is the key as given.
const (
	ZeroKey       = "Failed: key cannot be 0" // fence_scsi's
	KeyHexPrefix  = "Failed: key %q must be hex digits without a 0x prefix"
	KeyUpperCase  = "Failed: key %q must be written in lower-case hex digits"
	KeyNotHex     = "Failed: key %q is not hexadecimal (character %q)"
	KeyTooLong    = "Failed: key %q is longer than %d hex digits"
	KeyInvalid    = "Failed: key %q is not a valid key"
	KeyNeedsNames = "Failed: both a cluster name and a node name are needed to derive a key"
	ClusterName   = "Failed: cannot get cluster name"                                           // fence_scsi's
	NodeLookup    = "Failed: unable to parse output of corosync-cmapctl or node does not exist" // fence_scsi's
	KeyValue      = "Failed: key-value has to be 'id' or 'hash'"                                // fence_scsi's
)

// State files (package state): %q is the file.
const (
	FileOpen   = "Failed: Cannot open file %q" // fence_scsi's
	FileBadKey = "Failed: file %q does not hold a valid key: %v"
)

// The watchdog check (package check): Python logging's "LEVEL:root:" lines of
// fence_scsi's scsi_check.
const (
	CheckError          = "ERROR:root:"
	CheckDebug          = "DEBUG:root:"
	CheckBadRepair      = "repair: invalid exit code %q (0 to 255)"
	CheckNoDevices      = "No devices found" // fence_scsi's
	CheckKeyNotFound    = "Key not found"    // fence_scsi's
	CheckRetry          = "retry: %d of %d"  // fence_scsi's
	CheckRegistered     = "key %s registered with device %s"
	CheckNotRegistered  = "key %s not registered with device %s"
	CheckRegisteredNone = "key %s registered with any devices" // sic, fence_scsi's text
	CheckReadKeysFailed = "Cannot get registration keys on device \"%s\": %v\n"
	CheckRebootFailed   = "reboot: %v"
	RebootUnsupported   = "reboot: not supported on this system"
)
