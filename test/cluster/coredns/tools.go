//go:build tools

// Package tools pins the CoreDNS main package into this module's graph.
package tools

import _ "github.com/coredns/coredns"
