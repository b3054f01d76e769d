// Command kube-apiserver is the upstream kube-apiserver command, built from the Go module proxy so
// that tests can talk to a real API server without a container engine.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
