package whmcs

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// phpSerialize writes m the way PHP's serialize() writes an array of
// strings, keys in byte order so the output is stable (the reseller API).
func phpSerialize(m map[string]string) string {
	return phpSerializeInOrder(m, slices.Sorted(maps.Keys(m)))
}

// phpSerializeInOrder writes m as PHP's serialize() writes an array of
// strings, keys in the order given (every key of m, once). PHP turns a
// key that is a canonical decimal integer ("7", "-3", not "07") into an
// integer key, so those are written as i:N; WHMCS keys custom fields by
// their numeric id.
func phpSerializeInOrder(m map[string]string, keys []string) string {
	var b strings.Builder
	b.WriteString("a:")
	b.WriteString(strconv.Itoa(len(keys)))
	b.WriteString(":{")
	for _, k := range keys {
		if phpIntKey(k) {
			b.WriteString("i:")
			b.WriteString(k)
			b.WriteByte(';')
		} else {
			phpString(&b, k)
		}
		phpString(&b, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// phpString writes s:LEN:"...";, LEN in bytes; PHP does not escape inside.
func phpString(b *strings.Builder, s string) {
	b.WriteString("s:")
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteString(`:"`)
	b.WriteString(s)
	b.WriteString(`";`)
}

// phpIntKey reports whether PHP would store k as an integer array key.
func phpIntKey(k string) bool {
	n, err := strconv.ParseInt(k, 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == k && k != "-0"
}
