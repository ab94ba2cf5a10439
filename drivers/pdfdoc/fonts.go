package pdfdoc

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/go-text/typesetting/font"

	"guichet/drivers/fonts"
)

// face is one bundled font, parsed for shaping.
type face struct {
	script string // "Latn", "Arab", "Tfng"
	bold   bool
	name   string // file name, for messages
	data   []byte // the TrueType file
	face   *font.Face
}

func (f *face) has(r rune) bool {
	_, ok := f.face.NominalGlyph(r)
	return ok
}

// parsed holds the bundled fonts parsed once; a font.Font is safe for
// concurrent use, a font.Face (with its caches) is made per document.
var parsed struct {
	once  sync.Once
	fonts map[string]*font.Font // by file name
	err   error
}

func parseBundled() (map[string]*font.Font, error) {
	parsed.once.Do(func() {
		parsed.fonts = map[string]*font.Font{}
		for _, f := range fonts.All() {
			face, err := font.ParseTTF(bytes.NewReader(f.Data))
			if err != nil {
				parsed.err = fmt.Errorf("pdfdoc: font %s: %w", f.Name, err)
				return
			}
			parsed.fonts[f.Name] = face.Font
		}
	})
	return parsed.fonts, parsed.err
}

// faceSet is the bundled faces of one document.
type faceSet struct {
	faces []*face
}

func newFaceSet() (*faceSet, error) {
	all, err := parseBundled()
	if err != nil {
		return nil, err
	}
	s := &faceSet{}
	for _, f := range fonts.All() {
		s.faces = append(s.faces, &face{script: f.Script, bold: f.Bold, name: f.Name, data: f.Data, face: font.NewFace(all[f.Name])})
	}
	return s, nil
}

// get returns the face of a script and weight, Latin for another script.
func (s *faceSet) get(script string, bold bool) *face {
	for _, f := range s.faces {
		if f.script == script && f.bold == bold {
			return f
		}
	}
	return s.get("Latn", bold)
}

// fallback returns the first face, Latin first, that has r.
func (s *faceSet) fallback(r rune, bold bool) (*face, bool) {
	for _, script := range []string{"Latn", "Arab", "Tfng"} {
		if f := s.get(script, bold); f.has(r) {
			return f, true
		}
	}
	return nil, false
}

// A PDF text layer maps each glyph id of a font to one character (the
// ToUnicode map), and gopdf, like every PDF library that embeds TrueType,
// picks a glyph by its character through the font's cmap. Shaped Arabic
// draws contextual forms and ligatures that no character maps to, and one
// character (beh) to several glyphs (its initial, medial, final forms).
//
// So a face is embedded as several instances: each is the same font with a
// cmap written for the document, mapping the character each glyph stands
// for to that glyph; a glyph whose character is already taken in an
// instance goes to the next one. Every glyph is drawn by its own character
// and the text layer reads back the letters, in every form.

// instance is one embedding of a face.
type instance struct {
	face   *face
	family string // gopdf's name for it, unique in the document
	byRune map[rune]font.GID
	byGID  map[font.GID]rune
}

// embedder allocates glyphs to instances.
type embedder struct {
	instances map[*face][]*instance
	order     []*instance
}

func newEmbedder() *embedder { return &embedder{instances: map[*face][]*instance{}} }

// place returns the instance that draws gid of f by the character text.
func (e *embedder) place(f *face, gid font.GID, text rune) *instance {
	for _, in := range e.instances[f] {
		r, gidTaken := in.byGID[gid]
		if gidTaken && r == text {
			return in
		}
		if _, runeTaken := in.byRune[text]; !gidTaken && !runeTaken {
			in.byGID[gid] = text
			in.byRune[text] = gid
			return in
		}
	}
	weight := "R"
	if f.bold {
		weight = "B"
	}
	in := &instance{
		face:   f,
		family: fmt.Sprintf("%s%s%d", f.script, weight, len(e.instances[f])),
		byRune: map[rune]font.GID{text: gid},
		byGID:  map[font.GID]rune{gid: text},
	}
	e.instances[f] = append(e.instances[f], in)
	e.order = append(e.order, in)
	return in
}

// fontFile returns the instance's TrueType file: the face with a cmap of
// the instance's characters only, plus private-use characters for the
// glyphs its composite glyphs are built from. extra holds those
// characters: Render registers them with gopdf (without drawing them) so
// that the subset keeps the components.
func (in *instance) fontFile() (data []byte, extra string, err error) {
	m := make(map[rune]uint16, len(in.byRune))
	gids := make([]uint16, 0, len(in.byRune))
	for r, g := range in.byRune {
		m[r] = uint16(g)
		gids = append(gids, uint16(g))
	}
	comps, err := components(in.face.data, gids)
	if err != nil {
		return nil, "", fmt.Errorf("pdfdoc: font %s: %w", in.face.name, err)
	}
	var b strings.Builder
	next := rune(0xE000) // Private Use Area
	for _, g := range comps {
		for _, taken := m[next]; taken; _, taken = m[next] {
			next++
		}
		if next > 0xF8FF {
			return nil, "", fmt.Errorf("pdfdoc: font %s: more than 6400 component glyphs", in.face.name)
		}
		m[next] = g
		b.WriteRune(next)
		next++
	}
	data, err = withCmap(in.face.data, m)
	if err != nil {
		return nil, "", fmt.Errorf("pdfdoc: font %s: %w", in.face.name, err)
	}
	return data, b.String(), nil
}

// sortedRunes is for tests and stable output.
func (in *instance) sortedRunes() []rune {
	rs := make([]rune, 0, len(in.byRune))
	for r := range in.byRune {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return rs
}

func fontGID(g uint16) font.GID { return font.GID(g) }
