package sim

import (
	"context"
	"encoding/binary"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
)

// report builds the Reservation Status extended data structure and copies
// as much as the NUMD-sized buffer holds.
func (ns *Namespace) report(cmd *nvme.Command) nvme.Status {
	if cmd.CDW11&1 == 0 {
		return dnr(nvme.StatusHostIDInconsistent) // 128-bit host identifiers need EDS=1
	}
	n := 4 * (int(cmd.CDW10) + 1)
	if n > len(cmd.Data) || n < nvme.ReportHeaderLen {
		return dnr(nvme.StatusInvalidField)
	}
	b := make([]byte, nvme.ReportHeaderLen, 4096)
	binary.LittleEndian.PutUint32(b[0:], ns.generation)
	if ns.res != nil {
		b[4] = byte(ns.res.typ)
	}
	if ns.ptpl {
		b[9] = 1
	}
	count := 0
	for _, r := range ns.regs {
		ids := ns.controllersOf(r.host)
		if len(ids) == 0 {
			ids = []uint16{0xFFFF}
		}
		for _, id := range ids {
			e := make([]byte, nvme.RegistrantExtLen)
			binary.LittleEndian.PutUint16(e[0:], id)
			if ns.isHolder(r.host) {
				e[2] = 1
			}
			binary.LittleEndian.PutUint64(e[8:], uint64(r.key))
			copy(e[16:32], r.host[:])
			b = append(b, e...)
			count++
		}
	}
	binary.LittleEndian.PutUint16(b[5:], uint16(count))
	clear(cmd.Data[:n])
	copy(cmd.Data[:n], b)
	return nvme.StatusSuccess
}

// controllersOf returns the CNTLIDs of host's controllers.
func (ns *Namespace) controllersOf(host nvme.HostID) []uint16 {
	var ids []uint16
	for _, c := range ns.ctrls {
		if c.host == host {
			ids = append(ids, c.cntlid)
		}
	}
	return ids
}

// admin executes Identify and Get Features (Host Identifier).
func (ns *Namespace) admin(c *Controller, cmd *nvme.Command) nvme.Status {
	switch {
	case cmd.Opcode == nvme.AdminIdentify && len(cmd.Data) >= nvme.IdentifyLen:
		clear(cmd.Data)
		switch {
		case cmd.CDW10&0xFF == nvme.CNSController:
			ns.identifyController(c, cmd.Data)
		case cmd.CDW10&0xFF == nvme.CNSNamespace && cmd.NSID == ns.nsid:
			ns.identifyNamespace(cmd.Data)
		case cmd.CDW10&0xFF == nvme.CNSNamespace:
			return dnr(nvme.StatusInvalidNamespace)
		default:
			return dnr(nvme.StatusInvalidField)
		}
		return nvme.StatusSuccess
	case cmd.Opcode == nvme.AdminGetFeatures && cmd.CDW10&0xFF == nvme.FeatureHostID:
		if cmd.CDW11&1 == 0 {
			return dnr(nvme.StatusHostIDInconsistent)
		}
		if len(cmd.Data) < 16 {
			return dnr(nvme.StatusInvalidField)
		}
		copy(cmd.Data, c.host[:])
		return nvme.StatusSuccess
	case cmd.Opcode == nvme.AdminIdentify || cmd.Opcode == nvme.AdminGetFeatures:
		return dnr(nvme.StatusInvalidField)
	}
	return dnr(nvme.StatusInvalidOpcode)
}

func (ns *Namespace) identifyController(c *Controller, b []byte) {
	binary.LittleEndian.PutUint16(b[0:], 0x1b36)
	copy(b[4:24], pad("FENCESIM0001", 20))
	copy(b[24:64], pad("FENCESIM NVMe reservation simulator", 40))
	copy(b[64:72], pad("1.0", 8))
	binary.LittleEndian.PutUint16(b[78:], c.cntlid)
	binary.LittleEndian.PutUint32(b[80:], 0x00020000)
	if ns.reservations {
		binary.LittleEndian.PutUint16(b[520:], nvme.ONCSReservations)
	}
	copy(b[768:], "nqn.2014-08.org.nvmexpress:uuid:fencesim")
}

func (ns *Namespace) identifyNamespace(b []byte) {
	binary.LittleEndian.PutUint64(b[0:], ns.blocks)
	binary.LittleEndian.PutUint64(b[8:], ns.blocks)
	if ns.shared {
		b[30] = 1
	}
	b[31] = ns.rescap
	copy(b[104:120], "fencesim-ns-")
	binary.BigEndian.PutUint32(b[116:], ns.nsid)
	binary.BigEndian.PutUint64(b[120:], 0xfe0c_e510_0000_0000|uint64(ns.nsid))
}

// pad returns s padded with spaces to n bytes, as Identify text fields are.
func pad(s string, n int) []byte {
	b := []byte(s)
	for len(b) < n {
		b = append(b, ' ')
	}
	return b[:n]
}

// readWrite executes NVM Read and Write (SLBA CDW11:CDW10, NLB CDW12 bits
// 15:0, 0's based) after the reservation access check.
func (ns *Namespace) readWrite(host nvme.HostID, cmd *nvme.Command) nvme.Status {
	write := cmd.Opcode == nvme.OpWrite
	if !ns.allowed(host, write) {
		return conflict
	}
	slba := uint64(cmd.CDW11)<<32 | uint64(cmd.CDW10)
	nlb := uint64(cmd.CDW12&0xFFFF) + 1
	if slba+nlb > ns.blocks || slba+nlb < slba {
		return dnr(nvme.StatusLBAOutOfRange)
	}
	if uint64(len(cmd.Data)) != nlb*BlockSize {
		return dnr(nvme.StatusInvalidField)
	}
	for i := range nlb {
		blk := cmd.Data[i*BlockSize : (i+1)*BlockSize]
		if write {
			ns.data[slba+i] = append([]byte(nil), blk...)
		} else if d := ns.data[slba+i]; d != nil {
			copy(blk, d)
		} else {
			clear(blk)
		}
	}
	return nvme.StatusSuccess
}

// PowerCycle drops the registrations and the reservation unless PTPL is set,
// as a namespace does on power on.
func (ns *Namespace) PowerCycle() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if !ns.ptpl {
		ns.regs, ns.res = nil, nil
	}
}

// WriteBlock sends an NVM Write of one block at lba through c (a raw
// command, checked against the reservation like any other) and returns its status.
func (c *Controller) WriteBlock(lba uint64, b []byte) nvme.Status {
	data := make([]byte, BlockSize)
	copy(data, b)
	cmd := &nvme.Command{Opcode: nvme.OpWrite, NSID: c.ns.nsid, CDW10: uint32(lba), CDW11: uint32(lba >> 32), Data: data}
	comp, _ := c.Execute(context.Background(), cmd)
	return comp.Status
}

// ReadBlock sends an NVM Read of one block at lba through c.
func (c *Controller) ReadBlock(lba uint64) ([]byte, nvme.Status) {
	cmd := &nvme.Command{Opcode: nvme.OpRead, NSID: c.ns.nsid, CDW10: uint32(lba), CDW11: uint32(lba >> 32), Data: make([]byte, BlockSize)}
	comp, _ := c.Execute(context.Background(), cmd)
	return cmd.Data, comp.Status
}
