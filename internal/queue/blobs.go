package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/supportops/autoresponder/internal/replier"
)

// Attachment contents (up to 10 × 4 MiB per reply) are stored once in
// bot_blobs, keyed by their SHA-256, instead of in every job row: a rule
// that attaches the same file to every reply adds a reference per job, not
// the file.

// storeAttachments moves the attachment data of a to bot_blobs inside the
// caller's transaction and leaves references in its place. The request's
// attachment slice is replaced, not changed: it is shared with the rules.
func storeAttachments(ctx context.Context, q querier, a *DeliveryArgs, now time.Time) error {
	if len(a.Request.Attachments) == 0 || len(a.AttachmentRefs) > 0 {
		return nil
	}
	atts := make([]replier.Attachment, len(a.Request.Attachments))
	refs := make([]string, len(atts))
	for i, at := range a.Request.Attachments {
		sum := sha256.Sum256(at.Data)
		ref := hex.EncodeToString(sum[:])
		// Touch an existing copy first, so the bytes travel to the
		// database only the first time.
		n, err := q.exec(ctx, `UPDATE bot_blobs SET used_at = ? WHERE ref = ?`, now.UnixMilli(), ref)
		if err != nil {
			return fmt.Errorf("store attachment %q: %w", at.Name, err)
		}
		if n == 0 {
			if _, err := q.exec(ctx, `INSERT INTO bot_blobs (ref, data, used_at) VALUES (?, ?, ?)
				ON CONFLICT (ref) DO UPDATE SET used_at = excluded.used_at`, ref, at.Data, now.UnixMilli()); err != nil {
				return fmt.Errorf("store attachment %q: %w", at.Name, err)
			}
		}
		atts[i] = replier.Attachment{Name: at.Name, ContentType: at.ContentType}
		refs[i] = ref
	}
	a.Request.Attachments, a.AttachmentRefs = atts, refs
	return nil
}

// loadAttachments puts the data of a's referenced attachments back into
// its request. errMissingBlob means a reference no longer resolves.
func (s *Store) loadAttachments(ctx context.Context, a *DeliveryArgs) error {
	if len(a.AttachmentRefs) == 0 {
		return nil // none, or queued with the data inline
	}
	if len(a.AttachmentRefs) != len(a.Request.Attachments) {
		return fmt.Errorf("%w: %d references for %d attachments", errMissingBlob, len(a.AttachmentRefs), len(a.Request.Attachments))
	}
	atts := make([]replier.Attachment, len(a.Request.Attachments))
	for i, ref := range a.AttachmentRefs {
		atts[i] = a.Request.Attachments[i]
		var data []byte
		err := s.backend.pool().queryRow(ctx, `SELECT data FROM bot_blobs WHERE ref = ?`, ref).Scan(&data)
		if isNoRows(err) {
			return fmt.Errorf("%w: attachment %q", errMissingBlob, atts[i].Name)
		}
		if err != nil {
			return fmt.Errorf("load attachment %q: %w", atts[i].Name, err)
		}
		atts[i].Data = data
	}
	a.Request.Attachments, a.AttachmentRefs = atts, nil
	return nil
}

var errMissingBlob = fmt.Errorf("attachment no longer stored")
