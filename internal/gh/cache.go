package gh

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Bounds of the ETag cache.
const (
	cacheEntries  = 1024
	cacheMaxEntry = 8 << 20
	cacheMaxBytes = 64 << 20
)

// etagCache makes GETs conditional: it remembers the last 200 answer with an
// ETag per URL, Accept and Authorization, sends If-None-Match, and answers a
// 304 (which GitHub does not count against the rate limit) with the
// remembered body. Answers served from it carry X-From-Cache: 1.
type etagCache struct {
	next http.RoundTripper

	mu      sync.Mutex
	entries map[string]*cachedAnswer
	order   []string // insertion order, for eviction
	bytes   int
}

type cachedAnswer struct {
	etag   string
	header http.Header
	body   []byte
}

func newETagCache(next http.RoundTripper) *etagCache {
	return &etagCache{next: next, entries: map[string]*cachedAnswer{}}
}

func (c *etagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" ||
		req.Header.Get("If-Modified-Since") != "" || req.Header.Get("Range") != "" {
		return c.next.RoundTrip(req)
	}
	key := req.URL.String() + "\x00" + req.Header.Get("Accept") + "\x00" + req.Header.Get("Authorization")
	c.mu.Lock()
	ent := c.entries[key]
	c.mu.Unlock()

	r := req
	if ent != nil {
		r = req.Clone(req.Context())
		r.Header.Set("If-None-Match", ent.etag)
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusNotModified && ent != nil {
		discard(resp)
		h := ent.header.Clone()
		for k, vs := range resp.Header {
			if strings.HasPrefix(k, "X-Ratelimit-") || k == "Date" || k == "Etag" {
				h[k] = vs
			}
		}
		h.Set("X-From-Cache", "1")
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK,
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header: h, Body: io.NopCloser(bytes.NewReader(ent.body)),
			ContentLength: int64(len(ent.body)), Request: req,
		}, nil
	}
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || resp.ContentLength > cacheMaxEntry {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cacheMaxEntry+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if len(body) > cacheMaxEntry {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	c.put(key, &cachedAnswer{etag: etag, header: resp.Header.Clone(), body: body})
	return resp, nil
}

func (c *etagCache) put(key string, a *cachedAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old != nil {
		c.bytes -= len(old.body)
	} else {
		c.order = append(c.order, key)
	}
	c.entries[key] = a
	c.bytes += len(a.body)
	for (len(c.entries) > cacheEntries || c.bytes > cacheMaxBytes) && len(c.order) > 0 {
		k := c.order[0]
		c.order = c.order[1:]
		if e := c.entries[k]; e != nil {
			c.bytes -= len(e.body)
			delete(c.entries, k)
		}
	}
}
