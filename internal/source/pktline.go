package source

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// pkt-line framing of git's protocols (gitprotocol-common(5)): four hex
// digits giving the length of the line, those four included, then the data.
// Lengths 0000 (flush), 0001 (delim) and 0002 (response end) carry no data.
const (
	pktFlush = iota
	pktDelim
	pktEnd
	pktData
)

// maxPktData is the most data one pkt-line carries (65520 - 4).
const maxPktData = 65516

// pktReader reads the pkt-lines of an answer read whole: the lines it
// returns are substrings of it, so a listing of 2,000 refs costs one string,
// not one per ref.
type pktReader struct{ s string }

// next returns the kind of the next pkt-line and, for a data line, its data
// with one trailing LF removed. At the end of the answer it returns io.EOF;
// a line cut short is io.ErrUnexpectedEOF.
func (p *pktReader) next() (int, string, error) {
	if p.s == "" {
		return 0, "", io.EOF
	}
	if len(p.s) < 4 {
		return 0, "", io.ErrUnexpectedEOF
	}
	n, err := strconv.ParseUint(p.s[:4], 16, 16)
	if err != nil {
		return 0, "", fmt.Errorf("bad pkt-line length %q", p.s[:4])
	}
	switch {
	case n <= 2:
		p.s = p.s[4:]
		return int(n), "", nil // pktFlush, pktDelim, pktEnd
	case n < 4 || n-4 > maxPktData:
		return 0, "", fmt.Errorf("bad pkt-line length %d", n)
	case int(n) > len(p.s):
		return 0, "", io.ErrUnexpectedEOF
	}
	line := strings.TrimSuffix(p.s[4:n], "\n")
	p.s = p.s[n:]
	return pktData, line, nil
}

// answerBuffers are the buffers answers are read into before their one copy
// into the string the lines are cut from: an answer of unknown length
// (chunked, as git's are) would otherwise cost the doubling of its buffer.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readAnswer reads a whole answer body, at most maxAnswer bytes; size is
// its Content-Length (-1 when unknown).
func readAnswer(r io.Reader, size int64) (*pktReader, error) {
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 4<<20 { // a rare huge answer's buffer is not kept
			answerBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if size > 0 && size <= maxAnswer {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, maxAnswer+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxAnswer {
		return nil, fmt.Errorf("the answer is over %d MB", maxAnswer>>20)
	}
	return &pktReader{s: buf.String()}, nil
}

// pktWriter appends pkt-lines to a buffer.
type pktWriter struct{ b []byte }

// line appends s and a LF as one data line; s must fit (see maxPktData).
func (w *pktWriter) line(s string) {
	w.b = fmt.Appendf(w.b, "%04x%s\n", len(s)+5, s)
}

func (w *pktWriter) delim() { w.b = append(w.b, "0001"...) }
func (w *pktWriter) flush() { w.b = append(w.b, "0000"...) }
