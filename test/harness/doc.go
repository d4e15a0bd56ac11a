// Package harness runs the operator's manager and the parts of Kubernetes around it as
// separate processes against envtest's real API server, for the benchmarks and the fault
// suite: what they measure or break must be the binary as it runs in production.
package harness
