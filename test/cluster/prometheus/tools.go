//go:build tools

// Wrapper module: builds Prometheus with Kubernetes service discovery for the
// journey's step 7 (Debian's prometheus package is built without it). Only the
// kubernetes SD plugin is compiled in (-tags remove_all_sd,enable_kubernetes_sd).
package tools

import _ "github.com/prometheus/prometheus/cmd/prometheus"
