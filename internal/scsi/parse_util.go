package scsi

import "fmt"

// malformed returns an ErrMalformed-class *Error; the device layer fills in Op and Device.
func malformed(detail string) *Error {
	return &Error{Class: ErrMalformed, Detail: detail}
}

func malformedf(format string, args ...any) *Error {
	return malformed(fmt.Sprintf(format, args...))
}
