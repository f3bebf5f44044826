package rules

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads a rules file with the same size cap as LoadFile, for
// callers that need the bytes too (the bot hashes them to notice changes).
// It never reads more than the cap plus one byte.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load rules %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load rules %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("load rules %s: file is larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}
