package approval

import (
	"testing"

	"github.com/tackhq/tack"
)

// TestFlowLimitsAtTheEdge: a branch node may have exactly MaxBranches
// branches, not one more.
func TestFlowLimitsAtTheEdge(t *testing.T) {
	branches := func(n int) []Node {
		bs := make([]Branch, n)
		for i := range bs {
			bs[i] = Branch{Priority: i + 1}
		}
		return []Node{{ID: "b", Type: NodeBranch, Branches: bs}}
	}
	if err := validFlow(branches(MaxBranches), nil); err != nil {
		t.Errorf("%d branches: %v", MaxBranches, err)
	}
	if err := validFlow(branches(MaxBranches+1), nil); tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != "flow[0].branches" {
		t.Errorf("%d branches: %v, want invalid flow[0].branches", MaxBranches+1, err)
	}
}
