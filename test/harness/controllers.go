package harness

import (
	"path/filepath"
	"strings"
)

// StartControllerManager runs Kubernetes' own kube-controller-manager (from the envtest
// assets directory) with the named controllers against the API server of kubeconfig: the
// garbage collectors, the namespace controller and the Deployment and ReplicaSet
// controllers are what envtest leaves out and a fault test needs, not stand-ins for them.
func StartControllerManager(assets, kubeconfig, logPath string, controllers ...string) (*Process, error) {
	return Start(filepath.Join(assets, "kube-controller-manager"), []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=" + strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=4",
	}, nil, logPath)
}
