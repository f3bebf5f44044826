package whmcs

import "testing"

func TestPHPSerialize(t *testing.T) {
	// Expected values are what PHP's serialize() prints for the same array.
	tests := []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{}, `a:0:{}`},
		{map[string]string{"foo": "bar"}, `a:1:{s:3:"foo";s:3:"bar";}`},
		{map[string]string{"1": "Google"}, `a:1:{i:1;s:6:"Google";}`},
		{map[string]string{"b": "2", "a": "1"}, `a:2:{s:1:"a";s:1:"1";s:1:"b";s:1:"2";}`},
		{map[string]string{"07": "x", "-3": "y", "1.5": "z"}, `a:3:{i:-3;s:1:"y";s:2:"07";s:1:"x";s:3:"1.5";s:1:"z";}`},
		{map[string]string{"café": `say "hi";`}, `a:1:{s:5:"café";s:9:"say "hi";";}`},
		{map[string]string{"-0": ""}, `a:1:{s:2:"-0";s:0:"";}`},
	}
	for _, tt := range tests {
		if got := phpSerialize(tt.in); got != tt.want {
			t.Errorf("phpSerialize(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// The two APIs differ only in key order: the reseller client's bodies have
// always gone out in byte order, the stock client's by custom field id.
func TestPHPSerializeKeyOrder(t *testing.T) {
	m := map[string]string{"12": "b", "3": "a"}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"reseller: byte order", phpSerialize(m), `a:2:{i:12;s:1:"b";i:3;s:1:"a";}`},
		{"stock: by id", stockPHPSerialize(m), `a:2:{i:3;s:1:"a";i:12;s:1:"b";}`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}
