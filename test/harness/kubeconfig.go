package harness

import (
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// AdminKubeconfig writes a kubeconfig of the environment's API server for a user in
// system:masters and returns its path.
func AdminKubeconfig(env *envtest.Environment, dir, user string) (string, error) {
	added, err := env.ControlPlane.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	raw, err := added.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, user+".kubeconfig")
	return path, os.WriteFile(path, raw, 0o600)
}
