package pdfdoc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// withCmap returns a copy of the TrueType (sfnt) file ttf whose 'cmap'
// table is replaced by one Windows Unicode BMP subtable (platform 3,
// encoding 1, format 4) mapping exactly m; every other table is copied
// unchanged. Table checksums and head.checkSumAdjustment are recomputed
// (OpenType specification, "Font file" and "cmap" chapters).
func withCmap(ttf []byte, m map[rune]uint16) ([]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("sfnt: too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	if n == 0 || len(ttf) < 12+16*n {
		return nil, fmt.Errorf("sfnt: table directory of %d tables does not fit", n)
	}
	type table struct {
		tag  string
		data []byte
	}
	var tables []table
	hasCmap := false
	for i := 0; i < n; i++ {
		rec := ttf[12+16*i:]
		tag := string(rec[0:4])
		off := binary.BigEndian.Uint32(rec[8:])
		length := binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(ttf)) {
			return nil, fmt.Errorf("sfnt: table %q at %d+%d is past the end", tag, off, length)
		}
		data := ttf[off : off+length]
		if tag == "cmap" {
			hasCmap = true
			c, err := cmapTable(m)
			if err != nil {
				return nil, err
			}
			data = c
		}
		tables = append(tables, table{tag, data})
	}
	if !hasCmap {
		c, err := cmapTable(m)
		if err != nil {
			return nil, err
		}
		tables = append(tables, table{"cmap", c})
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })

	n = len(tables)
	out := make([]byte, 12+16*n, len(ttf)+4096)
	copy(out[0:4], ttf[0:4]) // sfnt version
	entrySelector := bits.Len(uint(n)) - 1
	searchRange := (1 << entrySelector) * 16
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(out[8:], uint16(entrySelector))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-searchRange))
	headAt := -1
	for i, t := range tables {
		off := len(out)
		data := t.data
		if t.tag == "head" {
			if len(data) < 12 {
				return nil, errors.New("sfnt: head table too short")
			}
			headAt = off
			data = append([]byte(nil), data...)
			binary.BigEndian.PutUint32(data[8:], 0) // checkSumAdjustment, set below
		}
		rec := out[12+16*i:]
		copy(rec[0:4], t.tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(data))
		binary.BigEndian.PutUint32(rec[8:], uint32(off))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(data)))
		out = append(out, data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if headAt < 0 {
		return nil, errors.New("sfnt: no head table")
	}
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out, nil
}

// checksum is the sfnt table checksum: the sum of big-endian uint32s, the
// last one padded with zeros.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// cmapTable encodes m as a cmap table with one format 4 subtable: one
// segment per run of consecutive characters mapped to consecutive glyphs
// (idDelta, no glyph array), and the final 0xFFFF segment.
func cmapTable(m map[rune]uint16) ([]byte, error) {
	codes := make([]rune, 0, len(m))
	for r := range m {
		if r < 0 || r >= 0xFFFF {
			return nil, fmt.Errorf("sfnt: %U is outside the BMP a format 4 cmap holds", r)
		}
		codes = append(codes, r)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	type seg struct{ start, end, delta uint16 }
	var segs []seg
	for _, c := range codes {
		g := m[c]
		if k := len(segs) - 1; k >= 0 && rune(segs[k].end)+1 == c && uint16(segs[k].end)+segs[k].delta+1 == g {
			segs[k].end = uint16(c)
			continue
		}
		segs = append(segs, seg{uint16(c), uint16(c), g - uint16(c)})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF, 1})
	if len(segs) > 0x7FFF/8 {
		return nil, fmt.Errorf("sfnt: %d cmap segments", len(segs))
	}
	nseg := len(segs)
	entrySelector := bits.Len(uint(nseg)) - 1
	searchRange := 2 * (1 << entrySelector)
	sub := make([]byte, 16+8*nseg)
	be := binary.BigEndian
	be.PutUint16(sub[0:], 4)                   // format
	be.PutUint16(sub[2:], uint16(len(sub)))    // length
	be.PutUint16(sub[4:], 0)                   // language
	be.PutUint16(sub[6:], uint16(2*nseg))      // segCountX2
	be.PutUint16(sub[8:], uint16(searchRange)) // searchRange
	be.PutUint16(sub[10:], uint16(entrySelector))
	be.PutUint16(sub[12:], uint16(2*nseg-searchRange)) // rangeShift
	for i, s := range segs {
		be.PutUint16(sub[14+2*i:], s.end)
		be.PutUint16(sub[16+2*nseg+2*i:], s.start)
		be.PutUint16(sub[16+4*nseg+2*i:], s.delta)
		// idRangeOffset stays 0
	}
	t := make([]byte, 12, 12+len(sub))
	be.PutUint16(t[0:], 0)  // version
	be.PutUint16(t[2:], 1)  // one encoding record
	be.PutUint16(t[4:], 3)  // platform: Windows
	be.PutUint16(t[6:], 1)  // encoding: Unicode BMP
	be.PutUint32(t[8:], 12) // subtable offset
	return append(t, sub...), nil
}

// tableData returns the bytes of an sfnt table, or nil.
func tableData(ttf []byte, tag string) []byte {
	if len(ttf) < 12 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := 0; i < n && 12+16*i+16 <= len(ttf); i++ {
		rec := ttf[12+16*i:]
		if string(rec[0:4]) != tag {
			continue
		}
		off := uint64(binary.BigEndian.Uint32(rec[8:]))
		length := uint64(binary.BigEndian.Uint32(rec[12:]))
		if off+length > uint64(len(ttf)) {
			return nil
		}
		return ttf[off : off+length]
	}
	return nil
}

// Composite glyph flags (OpenType 'glyf' table).
const (
	argsAreWords     = 0x0001
	haveScale        = 0x0008
	moreComponents   = 0x0020
	haveXYScale      = 0x0040
	haveTwoByTwo     = 0x0080
	maxCompositeNest = 16
)

// components returns every glyph the composite glyphs among gids are
// built from, at any depth, that is not itself in gids, in ascending
// order. gopdf's subsetter keeps the components of the glyphs it is given
// but not the components of those components, so Render hands it the whole
// closure (Noto Naskh Arabic builds its dotted letters that way).
func components(ttf []byte, gids []uint16) ([]uint16, error) {
	head, loca, glyf := tableData(ttf, "head"), tableData(ttf, "loca"), tableData(ttf, "glyf")
	if len(head) < 54 || loca == nil || glyf == nil {
		return nil, errors.New("sfnt: no head, loca or glyf table")
	}
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offset := func(g int) (int, bool) {
		if long {
			if 4*g+4 > len(loca) {
				return 0, false
			}
			return int(binary.BigEndian.Uint32(loca[4*g:])), true
		}
		if 2*g+2 > len(loca) {
			return 0, false
		}
		return 2 * int(binary.BigEndian.Uint16(loca[2*g:])), true
	}
	seen := map[uint16]bool{}
	for _, g := range gids {
		seen[g] = true
	}
	var out []uint16
	var walk func(g uint16, depth int) error
	walk = func(g uint16, depth int) error {
		if depth > maxCompositeNest {
			return fmt.Errorf("sfnt: glyph %d: composites nested deeper than %d", g, maxCompositeNest)
		}
		start, ok1 := offset(int(g))
		next, ok2 := offset(int(g) + 1)
		if !ok1 || !ok2 || next > len(glyf) || start > next {
			return fmt.Errorf("sfnt: glyph %d: bad loca entry", g)
		}
		data := glyf[start:next]
		if len(data) < 10 || int16(binary.BigEndian.Uint16(data)) >= 0 {
			return nil // empty or simple glyph
		}
		p := 10
		for {
			if p+4 > len(data) {
				return fmt.Errorf("sfnt: glyph %d: composite record cut short", g)
			}
			flags := binary.BigEndian.Uint16(data[p:])
			c := binary.BigEndian.Uint16(data[p+2:])
			p += 4
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
			if err := walk(c, depth+1); err != nil {
				return err
			}
			if flags&argsAreWords != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&haveScale != 0:
				p += 2
			case flags&haveXYScale != 0:
				p += 4
			case flags&haveTwoByTwo != 0:
				p += 8
			}
			if flags&moreComponents == 0 {
				return nil
			}
		}
	}
	for _, g := range gids {
		if err := walk(g, 0); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
