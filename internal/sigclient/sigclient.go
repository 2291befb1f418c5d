// Package sigclient is what the ladder binary knows of signing, without
// linking sigstore-go: the workflow's OIDC token (GitHub's
// ACTIONS_ID_TOKEN_REQUEST_URL), and a Signer that runs the ladder-sign
// program (cmd/ladder-sign, in the same image) with one JSON request on its
// standard input. internal/sign does the cryptography.
package sigclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ladder-release/ladder/internal/attest"
)

// Signer makes and checks signatures (internal/sign in-process, or Exec).
type Signer interface {
	Sign(ctx context.Context, req attest.SignRequest) (attest.Signed, error)
	// Verify returns who signed; an *attest.Mismatch when the bundle does
	// not satisfy the policy.
	Verify(ctx context.Context, req attest.VerifyRequest) (attest.Identity, error)
}

// ErrNoIDToken says the job cannot get an OIDC token.
var ErrNoIDToken = errors.New("keyless signing needs the workflow's OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: give the job `permissions: id-token: write` (or configure signing.key)")

// IDToken fetches the workflow's OIDC token for audience, as
// actions/core's getIDToken does.
func IDToken(ctx context.Context, getenv func(string) string, hc *http.Client, audience string) (string, error) {
	reqURL, reqTok := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqTok == "" {
		return "", ErrNoIDToken
	}
	u, err := url.Parse(reqURL)
	if err != nil {
		return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "bearer "+reqTok)
	req.Header.Set("Accept", "application/json")
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting the workflow's OIDC token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading the workflow's OIDC token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("requesting the workflow's OIDC token: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Value == "" {
		return "", errors.New("the OIDC token endpoint answered without a token")
	}
	return out.Value, nil
}

// Exec runs the ladder-sign program.
type Exec struct {
	Path string
	Env  []string // nil: passedEnv (requests carry everything else it needs)
}

// passedEnv is what ladder-sign inherits: the path, the home directory (the
// TUF cache of Sigstore's public-good root), proxies and CA certificates.
// Never the token, nor the private key: requests carry what they need.
func passedEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Program is ladder-sign's path: beside the running executable, else on PATH.
func Program() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "ladder-sign")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	p, err := exec.LookPath("ladder-sign")
	if err != nil {
		return "", errors.New("signing needs the ladder-sign program, beside ladder or on PATH (the ladder image has it)")
	}
	return p, nil
}

// Response is ladder-sign's answer: one of Signed (sign), Identity
// (verify), Mismatch (verify said no) or Error.
type Response struct {
	Signed   *attest.Signed   `json:"signed,omitempty"`
	Identity *attest.Identity `json:"identity,omitempty"`
	Mismatch string           `json:"mismatch,omitempty"`
	Error    string           `json:"error,omitempty"`
}

func (e Exec) run(ctx context.Context, verb string, req any) (Response, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	cmd := exec.CommandContext(ctx, e.Path, verb)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = e.Env
	if cmd.Env == nil {
		cmd.Env = passedEnv()
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var resp Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		msg := strings.TrimSpace(errb.String())
		if runErr != nil {
			return Response{}, fmt.Errorf("ladder-sign %s: %v: %s", verb, runErr, msg)
		}
		return Response{}, fmt.Errorf("ladder-sign %s: unreadable answer: %v", verb, err)
	}
	if resp.Error != "" {
		return Response{}, errors.New(resp.Error)
	}
	return resp, nil
}

// Sign implements Signer.
func (e Exec) Sign(ctx context.Context, req attest.SignRequest) (attest.Signed, error) {
	resp, err := e.run(ctx, "sign", req)
	if err != nil {
		return attest.Signed{}, err
	}
	if resp.Signed == nil || len(resp.Signed.Bundle) == 0 {
		return attest.Signed{}, errors.New("ladder-sign sign: no bundle in the answer")
	}
	return *resp.Signed, nil
}

// Verify implements Signer.
func (e Exec) Verify(ctx context.Context, req attest.VerifyRequest) (attest.Identity, error) {
	resp, err := e.run(ctx, "verify", req)
	if err != nil {
		return attest.Identity{}, err
	}
	if resp.Mismatch != "" {
		return attest.Identity{}, &attest.Mismatch{Reason: resp.Mismatch}
	}
	if resp.Identity == nil {
		return attest.Identity{}, errors.New("ladder-sign verify: no identity in the answer")
	}
	return *resp.Identity, nil
}
