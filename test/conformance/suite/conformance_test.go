// The Gateway API conformance suite, compiled with `go test -c` into one binary
// that test/conformance/run.ts drives. The options (profiles, features, the
// namespace label weft's injector watches, the implementation's name) come from
// the YAML file passed with -conformance-options-file, so what weft claims lives
// in one reviewed file, not in a command line.
package conformance_test

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
