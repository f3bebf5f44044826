package rules

import "strings"

// acAutomaton finds which of a set of literals occur in a text in one pass
// (Aho-Corasick), as a dense automaton over byte classes: the bytes no
// literal contains share one class, so a table row is as wide as the
// literals' alphabet, not 256.
type acAutomaton struct {
	literals int
	classes  [256]uint8
	width    int     // number of classes
	next     []int32 // next[state*width+class]
	// outs[outStart[s]:outStart[s+1]] are the literals that end at state
	// s, its own and those of its suffix states.
	outStart []int32
	outs     []int32
	// dense is false when the table would be too large; scan then falls
	// back to looking for each literal.
	dense bool
	lits  []string
	fold  bool
}

// maxACCells bounds the table (4 bytes a cell): a rules file with hundreds
// of thousands of literal bytes falls back to one search per literal.
const maxACCells = 4 << 20

// newACAutomaton builds the automaton of lits; with fold, lits are lower
// case and the text is compared ignoring ASCII case.
func newACAutomaton(lits []string, fold bool) *acAutomaton {
	a := &acAutomaton{literals: len(lits), lits: lits, fold: fold}
	// Byte classes: 0 for bytes in no literal.
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			if c := l[i]; a.classes[c] == 0 {
				a.width++
				a.classes[c] = uint8(a.width)
				if a.width == 255 {
					return a // every byte value in use: no compression; search per literal
				}
			}
		}
	}
	a.width++
	if fold {
		for c := 'A'; c <= 'Z'; c++ {
			a.classes[c] = a.classes[c+'a'-'A']
		}
	}
	// The trie, with sparse children while building.
	type node struct {
		child map[uint8]int32
		out   []int32
	}
	nodes := []node{{}}
	states := 1
	for _, l := range lits {
		states += len(l)
	}
	if states*a.width > maxACCells {
		return a
	}
	for id, l := range lits {
		s := int32(0)
		for i := 0; i < len(l); i++ {
			c := a.classes[l[i]]
			nx, ok := nodes[s].child[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{})
				if nodes[s].child == nil {
					nodes[s].child = map[uint8]int32{}
				}
				nodes[s].child[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	// Breadth first: a state's failure (longest proper suffix that is a
	// prefix of a literal) is known before its children's.
	a.next = make([]int32, len(nodes)*a.width)
	fail := make([]int32, len(nodes))
	queue := make([]int32, 0, len(nodes))
	for c := range a.width {
		if nx, ok := nodes[0].child[uint8(c)]; ok {
			a.next[c] = nx
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		nodes[s].out = append(nodes[s].out, nodes[fail[s]].out...)
		for c := range a.width {
			row := int(s) * a.width
			if nx, ok := nodes[s].child[uint8(c)]; ok {
				fail[nx] = a.next[int(fail[s])*a.width+c]
				a.next[row+c] = nx
				queue = append(queue, nx)
			} else {
				a.next[row+c] = a.next[int(fail[s])*a.width+c]
			}
		}
	}
	a.outStart = make([]int32, len(nodes)+1)
	for s, n := range nodes {
		a.outs = append(a.outs, n.out...)
		a.outStart[s+1] = int32(len(a.outs))
	}
	a.dense = true
	return a
}

// scan calls mark with the id of every literal that occurs in s (once or
// more for each occurrence).
func (a *acAutomaton) scan(s string, mark func(int32)) {
	if !a.dense {
		for id, l := range a.lits {
			if a.fold && containsFoldASCII(s, l) || !a.fold && strings.Contains(s, l) {
				mark(int32(id))
			}
		}
		return
	}
	state := int32(0)
	for i := 0; i < len(s); i++ {
		state = a.next[int(state)*a.width+int(a.classes[s[i]])]
		if lo, hi := a.outStart[state], a.outStart[state+1]; lo < hi {
			for _, id := range a.outs[lo:hi] {
				mark(id)
			}
		}
	}
}
