package ledger

import "context"

// NoneStore keeps nothing: `ledger: none`, the registry alone.
//
// Read returns an empty document for the product and Update applies fn to
// one, persisting nothing (what it returns is revision 1, as a first write
// would be; no revision is kept, so no read is ever stale). There is no
// compare-and-swap in this mode: two
// concurrent writers both see an empty ledger, may both claim the same next
// version, and race on the registry, where the last write of a tag wins
// (OCI registries have no conditional writes). Use it only where one job at
// a time publishes, and rebuild whatever the action needs to know from the
// registry's tags.
type NoneStore struct {
	product string
}

// None returns the store for `ledger: none`.
func None(product string) (*NoneStore, error) {
	if err := validProduct(product); err != nil {
		return nil, err
	}
	return &NoneStore{product: product}, nil
}

// Read returns an empty document.
func (s *NoneStore) Read(ctx context.Context) (*Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return NewDocument(s.product), nil
}

// ReadAll is Read: there is no history.
func (s *NoneStore) ReadAll(ctx context.Context) (*Document, error) { return s.Read(ctx) }

// Update applies fn to an empty document and keeps nothing.
func (s *NoneStore) Update(ctx context.Context, _ Message, fn func(*Document) error) (*Document, error) {
	doc, err := s.Read(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := apply(doc, fn); err != nil {
		return nil, err
	}
	return doc, nil
}
