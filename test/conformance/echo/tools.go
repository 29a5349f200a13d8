//go:build tools

// Package tools pins the echo app's server and client main packages into this
// module's graph.
package tools

import (
	_ "istio.io/istio/pkg/test/echo/cmd/client"
	_ "istio.io/istio/pkg/test/echo/cmd/server"
)
