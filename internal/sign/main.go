package sign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ladder-release/ladder/internal/attest"
)

// Local is the Signer (internal/sigclient) that signs in this process.
type Local struct{ Options Options }

// Sign signs in-process.
func (l Local) Sign(ctx context.Context, req attest.SignRequest) (attest.Signed, error) {
	return Sign(ctx, req, l.Options)
}

// Verify verifies in-process.
func (l Local) Verify(ctx context.Context, req attest.VerifyRequest) (attest.Identity, error) {
	return Verify(ctx, req)
}

type response struct {
	Signed   *attest.Signed   `json:"signed,omitempty"`
	Identity *attest.Identity `json:"identity,omitempty"`
	Mismatch string           `json:"mismatch,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// Main is cmd/ladder-sign: args is [sign] or [verify], the request is read
// from in, the answer written to out. The exit code is 0 with an answer
// (even a mismatch or an error, which the answer carries), 2 on misuse.
func Main(ctx context.Context, args []string, in io.Reader, out io.Writer) int {
	if len(args) != 1 || (args[0] != "sign" && args[0] != "verify") {
		fmt.Fprintln(out, `{"error":"usage: ladder-sign sign|verify < request.json"}`)
		return 2
	}
	data, err := io.ReadAll(io.LimitReader(in, 64<<20))
	var resp response
	switch {
	case err != nil:
		resp.Error = err.Error()
	case args[0] == "sign":
		var req attest.SignRequest
		if err := json.Unmarshal(data, &req); err != nil {
			resp.Error = "reading the sign request: " + err.Error()
			break
		}
		signed, err := Sign(ctx, req, Options{})
		if err != nil {
			resp.Error = err.Error()
			break
		}
		resp.Signed = &signed
	default:
		var req attest.VerifyRequest
		if err := json.Unmarshal(data, &req); err != nil {
			resp.Error = "reading the verify request: " + err.Error()
			break
		}
		id, err := Verify(ctx, req)
		var m *attest.Mismatch
		switch {
		case errors.As(err, &m):
			resp.Mismatch = m.Reason
		case err != nil:
			resp.Error = err.Error()
		default:
			resp.Identity = &id
		}
	}
	if err := json.NewEncoder(out).Encode(resp); err != nil {
		return 1
	}
	return 0
}
