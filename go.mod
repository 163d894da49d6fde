module github.com/fence-scsi-go/fence_scsi_go

go 1.26.0

require (
	github.com/beevik/etree v1.8.1
	golang.org/x/sys v0.49.0
)
