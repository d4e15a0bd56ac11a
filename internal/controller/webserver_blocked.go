package controller

import (
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// BlockedRecheckInterval is how often a pass stopped by something the operator cannot
// watch (a foreign object holding a child's name, an API server refusal that depends on
// cluster state such as an allocated node port or a quota) is tried again.
const BlockedRecheckInterval = 30 * time.Second

// blockedError stops a pass on something a quick retry cannot fix: a missing input, a
// name held by someone else, a child the API server refuses. The pass records it in status
// and is tried again after the recheck interval or when an input changes, never in a loop.
type blockedError struct {
	reason  string
	message string
}

func (e *blockedError) Error() string { return e.message }

func blocked(reason, format string, args ...any) error {
	return &blockedError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// asBlocked returns the blockedError in err's chain, if any.
func asBlocked(err error) (*blockedError, bool) {
	var b *blockedError
	ok := errors.As(err, &b)
	return b, ok
}

// childApplyError classifies a failed write of a child: a refusal that a retry cannot
// change (invalid, bad request, forbidden by admission or quota, too large) blocks the pass
// and names the child with the API server's own message; anything else (timeouts, server
// errors, conflicts) is returned for a retry with backoff.
func childApplyError(kind, name string, err error) error {
	switch {
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsForbidden(err),
		apierrors.IsRequestEntityTooLargeError(err), apierrors.IsMethodNotSupported(err):
		return blocked(webserverv1alpha1.ReasonChildRejected, "%s %s was rejected by the API server: %s", kind, name, apiMessage(err))
	default:
		return fmt.Errorf("applying %s %s: %w", kind, name, err)
	}
}

// apiMessage is the API server's message for a status error, the error text otherwise.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}
