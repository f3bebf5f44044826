package platform

import "errors"

// ErrBadSignature is what every refusal of Verify matches with errors.Is.
var ErrBadSignature = errors.New("bad signature")

// SignatureError says why a delivery was refused. Reasons never contain the
// secret or the expected signature.
type SignatureError struct {
	Reason string
}

func (e *SignatureError) Error() string        { return "bad signature: " + e.Reason }
func (e *SignatureError) Is(target error) bool { return target == ErrBadSignature }

// ErrNoSecret is the refusal of a delivery to a source that has no secret
// configured: Verify returns it (after checking the signature's form) so
// that the intake counts it apart from a wrong signature.
var ErrNoSecret = &SignatureError{Reason: "no secret configured for the source"}
