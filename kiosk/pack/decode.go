package pack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The strict decoder. encoding/json with DisallowUnknownFields still takes
// the last of two duplicate keys, matches field names case-insensitively and
// reports an unknown field without saying where it is. So the pack is first
// read into a tree (node) that keeps every key, then the tree is compared
// with the Go types, and only a tree that fits is handed to encoding/json.

type nodeKind int

const (
	kindObject nodeKind = iota
	kindArray
	kindString
	kindNumber
	kindBool
	kindNull
)

func (k nodeKind) String() string {
	return [...]string{"an object", "an array", "a string", "a number", "a boolean", "null"}[k]
}

type node struct {
	kind nodeKind
	keys []string // object keys, in order
	kids []*node  // object values (parallel to keys) or array elements
	text string   // string value, or a number's literal
}

// maxDepth bounds the nesting a pack may use (it needs 6).
const maxDepth = 32

type treeReader struct {
	dec  *json.Decoder
	data []byte
	add  func(path, format string, args ...any)
}

// readTree parses data into a tree, reporting duplicate keys through add.
// It returns an error (with a line and column) when data is not JSON.
func readTree(data []byte, add func(path, format string, args ...any)) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	r := &treeReader{dec: dec, data: data, add: add}
	root, err := r.value("", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, r.syntax(err, "data after the pack's closing brace")
	}
	return root, nil
}

func (r *treeReader) value(path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested more than %d levels deep", orRoot(path), maxDepth)
	}
	tok, err := r.dec.Token()
	if err != nil {
		return nil, r.syntax(err, "")
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &node{kind: kindObject}
			seen := map[string]bool{}
			for r.dec.More() {
				kt, err := r.dec.Token()
				if err != nil {
					return nil, r.syntax(err, "")
				}
				key := kt.(string) // the decoder only yields string keys
				kp := pathKey(path, key)
				kid, err := r.value(kp, depth+1)
				if err != nil {
					return nil, err
				}
				if seen[key] {
					r.add(kp, "duplicate key")
					continue
				}
				seen[key] = true
				n.keys = append(n.keys, key)
				n.kids = append(n.kids, kid)
			}
			if _, err := r.dec.Token(); err != nil { // '}'
				return nil, r.syntax(err, "")
			}
			return n, nil
		case '[':
			n := &node{kind: kindArray}
			for i := 0; r.dec.More(); i++ {
				kid, err := r.value(pathIndex(path, i), depth+1)
				if err != nil {
					return nil, err
				}
				n.kids = append(n.kids, kid)
			}
			if _, err := r.dec.Token(); err != nil { // ']'
				return nil, r.syntax(err, "")
			}
			return n, nil
		}
	case string:
		return &node{kind: kindString, text: v}, nil
	case json.Number:
		return &node{kind: kindNumber, text: string(v)}, nil
	case bool:
		return &node{kind: kindBool}, nil
	case nil:
		return &node{kind: kindNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// syntax turns a decoder error into one that says where, in lines and
// columns, the JSON went wrong.
func (r *treeReader) syntax(err error, what string) error {
	off := r.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	line, col := lineCol(r.data, off)
	switch {
	case what != "":
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		what = "unexpected end of the file"
	default:
		what = strings.TrimPrefix(err.Error(), "json: ")
	}
	return fmt.Errorf("line %d, column %d: invalid JSON: %s", line, col, what)
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pathKey extends a JSON path with an object key: courts[3].names.zgh, or
// messages.fr["home.back"] when the key is not an identifier.
func pathKey(path, key string) string {
	if identRe.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func pathIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func orRoot(path string) string {
	if path == "" {
		return "the pack"
	}
	return path
}

// fit compares a tree with the Go type it will be decoded into.
func fit(n *node, t reflect.Type, path string, add func(path, format string, args ...any)) {
	if t.Kind() == reflect.Pointer {
		if n.kind == kindNull {
			return
		}
		t = t.Elem()
	}
	want := func(k nodeKind) bool {
		if n.kind != k {
			add(orRoot(path), "want %s, got %s", k, n.kind)
			return false
		}
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		if !want(kindObject) {
			return
		}
		fields := jsonFields(t)
		for i, key := range n.keys {
			ft, ok := fields[key]
			if !ok {
				add(pathKey(path, key), "unknown field")
				continue
			}
			fit(n.kids[i], ft, pathKey(path, key), add)
		}
	case reflect.Map:
		if n.kind == kindNull || !want(kindObject) {
			return
		}
		for i, key := range n.keys {
			fit(n.kids[i], t.Elem(), pathKey(path, key), add)
		}
	case reflect.Slice:
		if n.kind == kindNull || !want(kindArray) {
			return
		}
		for i, kid := range n.kids {
			fit(kid, t.Elem(), pathIndex(path, i), add)
		}
	case reflect.String:
		want(kindString)
	case reflect.Bool:
		want(kindBool)
	case reflect.Int, reflect.Int64:
		if !want(kindNumber) {
			return
		}
		if _, err := strconv.ParseInt(n.text, 10, t.Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				add(orRoot(path), "number %s is out of range", n.text)
			} else {
				add(orRoot(path), "want a whole number, got %s", n.text)
			}
		}
	default:
		add(orRoot(path), "field of unsupported Go type %s", t)
	}
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}
