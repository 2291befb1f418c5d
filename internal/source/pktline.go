package source

import (
	"errors"
	"fmt"
	"io"
	"strconv"
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

// pktReader reads pkt-lines.
type pktReader struct {
	r   io.Reader
	buf []byte
}

// next returns the kind of the next pkt-line and, for a data line, its data
// with one trailing LF removed. The data is valid until the next call. At the
// end of the input it returns io.EOF; a line cut short is io.ErrUnexpectedEOF.
func (p *pktReader) next() (int, []byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(p.r, size[:]); err != nil {
		return 0, nil, err
	}
	n, err := strconv.ParseUint(string(size[:]), 16, 16)
	if err != nil {
		return 0, nil, fmt.Errorf("bad pkt-line length %q", size[:])
	}
	switch {
	case n == 0:
		return pktFlush, nil, nil
	case n == 1:
		return pktDelim, nil, nil
	case n == 2:
		return pktEnd, nil, nil
	case n < 4 || n-4 > maxPktData:
		return 0, nil, fmt.Errorf("bad pkt-line length %d", n)
	}
	if cap(p.buf) < int(n-4) {
		p.buf = make([]byte, n-4)
	}
	line := p.buf[:n-4]
	if _, err := io.ReadFull(p.r, line); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	if len(line) > 0 && line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
	}
	return pktData, line, nil
}

// pktWriter appends pkt-lines to a buffer.
type pktWriter struct{ b []byte }

// line appends s and a LF as one data line; s must fit (see maxPktData).
func (w *pktWriter) line(s string) {
	w.b = fmt.Appendf(w.b, "%04x%s\n", len(s)+5, s)
}

func (w *pktWriter) delim() { w.b = append(w.b, "0001"...) }
func (w *pktWriter) flush() { w.b = append(w.b, "0000"...) }
