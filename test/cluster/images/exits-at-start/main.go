// Command nginx stands in for nginx in the e2e suite's "exits at start" image: `nginx -t`
// runs the real nginx, so the image passes the operator's config check, while serving
// exits at once, as an image with a broken server would. It proves the health gate and
// the rollback on real pods.
package main

import (
	"fmt"
	"os"
	"slices"
	"syscall"
)

const realNginx = "/usr/sbin/nginx.real"

func main() {
	if slices.Contains(os.Args[1:], "-t") {
		err := syscall.Exec(realNginx, append([]string{"nginx"}, os.Args[1:]...), os.Environ())
		fmt.Fprintf(os.Stderr, "nginx: cannot run %s: %v\n", realNginx, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "nginx: [alert] this image exits at start")
	os.Exit(1)
}
