// Command empty is the floor of the watchdog check's CPU benchmark (tests/bench/check_cpu.sh):
// a static Go program that does nothing, so its cost is what the Go runtime's start and exit
// cost on this machine. Built like the agent (CGO_ENABLED=0, -trimpath).
package main

func main() {}
