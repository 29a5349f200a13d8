// Wrapper module: builds the test cluster's DNS from CoreDNS on the Go module
// proxy, in its own module so its dependency versions never drag Kubernetes'.
//
// Only the plugins the test cluster's Corefile uses (test/cluster/node-config.ts)
// plus health and log for debugging, instead of CoreDNS's default main, which links
// every in-tree plugin and the cloud SDKs behind them (Azure, AWS, Google, DataDog):
// that set took most of the time of a cold `npm run cluster`.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
