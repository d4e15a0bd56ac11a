// Package version holds the operator's version, stamped at build time.
package version

// Version of the operator; the Makefile sets it with -ldflags -X.
var Version = "0.2.0"
