// Package canary judges a canary revision: it compares what the sidecars of the new pods counted
// with what the old pods counted over the same window, and adds the outcome of synthetic checks
// sent to the new pods, into one verdict a rollout can act on.
package canary
