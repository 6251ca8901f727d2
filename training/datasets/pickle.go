package datasets

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"unicode/utf8"
)

// A minimal reader of Python pickles (protocols 0-5 for the opcodes plain data uses; written by
// Python 2's cPickle as protocol 2, or by Python 3), enough for the CIFAR-10 python batches: a dict
// of byte or text strings, ints, lists, tuples and numpy arrays. It never imports or runs code:
// GLOBAL references are kept as names, and REDUCE/BUILD only record their arguments, which
// cifarPickleBatch then interprets for the few callables it knows (numpy's _reconstruct and dtype,
// _codecs.encode).

// pyTuple is a Python tuple.
type pyTuple []any

// pyList is a Python list (a pointer, since APPEND mutates it after it was memoized).
type pyList struct{ items []any }

// pyDict is a Python dict in insertion order (keys are strings, []byte, ints, ...).
type pyDict struct {
	keys, vals []any
}

// get returns the value of the key whose text is k (a str or bytes key).
func (d *pyDict) get(k string) (any, bool) {
	for i, key := range d.keys {
		switch v := key.(type) {
		case string:
			if v == k {
				return d.vals[i], true
			}
		case []byte:
			if string(v) == k {
				return d.vals[i], true
			}
		}
	}
	return nil, false
}

// pyGlobal is a reference to module.name (GLOBAL / STACK_GLOBAL).
type pyGlobal struct{ module, name string }

// pyObject is the result of calling fn(args) (REDUCE, NEWOBJ) with the state set by BUILD.
type pyObject struct {
	fn    pyGlobal
	args  pyTuple
	state any
}

type pyMark struct{}

// Limits of the pickle reader (a hostile or corrupt file must not exhaust memory).
const (
	pickleMaxStack = 1 << 20 // values on the stack (and memo entries)
	pickleMaxBytes = 1 << 31 // one string or bytes value
)

// readPickle decodes one pickle from r and returns its value.
func readPickle(r io.Reader) (any, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var stack []any
	var marks []int
	memo := map[uint64]any{}
	u := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	le := func(width int) (uint64, error) { // a little-endian unsigned of 1, 4 or 8 bytes
		b, err := u(width)
		if err != nil {
			return 0, err
		}
		switch width {
		case 1:
			return uint64(b[0]), nil
		case 4:
			return uint64(binary.LittleEndian.Uint32(b)), nil
		}
		return binary.LittleEndian.Uint64(b), nil
	}
	readN := func(n uint64) ([]byte, error) { // a length-prefixed payload; grows as data arrives
		if n > pickleMaxBytes {
			return nil, fmt.Errorf("string of %d bytes exceeds the limit of %d", n, pickleMaxBytes)
		}
		if n <= 1<<20 {
			return u(int(n))
		}
		buf := make([]byte, 0, 1<<20)
		for uint64(len(buf)) < n {
			chunk := min(n-uint64(len(buf)), 1<<24)
			b, err := u(int(chunk))
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		}
		return buf, nil
	}
	pop := func() (any, error) {
		if len(stack) == 0 {
			return nil, fmt.Errorf("stack underflow")
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := v.(pyMark); ok {
			return nil, fmt.Errorf("unexpected mark")
		}
		return v, nil
	}
	popMark := func() ([]any, error) {
		if len(marks) == 0 {
			return nil, fmt.Errorf("no mark")
		}
		m := marks[len(marks)-1]
		marks = marks[:len(marks)-1]
		if m >= len(stack) || m < 0 {
			return nil, fmt.Errorf("mark beyond the stack")
		}
		items := append([]any(nil), stack[m+1:]...)
		stack = stack[:m]
		return items, nil
	}
	push := func(v any) error {
		if len(stack) >= pickleMaxStack {
			return fmt.Errorf("more than %d values on the stack", pickleMaxStack)
		}
		stack = append(stack, v)
		return nil
	}
	top := func() (any, error) {
		if len(stack) == 0 {
			return nil, fmt.Errorf("stack underflow")
		}
		return stack[len(stack)-1], nil
	}
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		return s[:len(s)-1], nil
	}
	setItems := func(d any, kv []any) error {
		dict, ok := d.(*pyDict)
		if !ok {
			return fmt.Errorf("SETITEM(S) on a %T, not a dict", d)
		}
		if len(kv)%2 != 0 {
			return fmt.Errorf("odd number of items for SETITEMS")
		}
		for i := 0; i < len(kv); i += 2 {
			dict.keys = append(dict.keys, kv[i])
			dict.vals = append(dict.vals, kv[i+1])
		}
		return nil
	}
	for pos := 0; ; pos++ {
		op, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("no STOP opcode (truncated pickle): %w", err)
		}
		if err := func() error {
			switch op {
			case 0x80: // PROTO
				b, err := u(1)
				if err != nil {
					return err
				}
				if b[0] > 5 {
					return fmt.Errorf("pickle protocol %d is not supported (0-5)", b[0])
				}
			case 0x95: // FRAME
				_, err := u(8)
				return err
			case '.': // STOP
				return io.EOF
			case '(': // MARK
				marks = append(marks, len(stack))
				return push(pyMark{})
			case '}': // EMPTY_DICT
				return push(&pyDict{})
			case ']': // EMPTY_LIST
				return push(&pyList{})
			case ')': // EMPTY_TUPLE
				return push(pyTuple{})
			case 'N':
				return push(nil)
			case 0x88: // NEWTRUE
				return push(true)
			case 0x89: // NEWFALSE
				return push(false)
			case 'K': // BININT1
				b, err := u(1)
				if err != nil {
					return err
				}
				return push(int64(b[0]))
			case 'M': // BININT2
				b, err := u(2)
				if err != nil {
					return err
				}
				return push(int64(binary.LittleEndian.Uint16(b)))
			case 'J': // BININT
				b, err := u(4)
				if err != nil {
					return err
				}
				return push(int64(int32(binary.LittleEndian.Uint32(b))))
			case 0x8a, 0x8b: // LONG1, LONG4
				var n uint64
				if op == 0x8a {
					b, err := u(1)
					if err != nil {
						return err
					}
					n = uint64(b[0])
				} else {
					b, err := u(4)
					if err != nil {
						return err
					}
					n = uint64(binary.LittleEndian.Uint32(b))
				}
				if n > 1<<16 {
					return fmt.Errorf("integer of %d bytes", n)
				}
				b, err := readN(n)
				if err != nil {
					return err
				}
				// Two's complement little endian.
				be := make([]byte, len(b))
				for i := range b {
					be[len(b)-1-i] = b[i]
				}
				v := new(big.Int).SetBytes(be)
				if len(b) > 0 && b[len(b)-1]&0x80 != 0 {
					v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
				}
				if v.IsInt64() {
					return push(v.Int64())
				}
				return push(v)
			case 'I', 'L': // INT, LONG (protocol 0 text)
				s, err := line()
				if err != nil {
					return err
				}
				if s == "01" {
					return push(true)
				}
				if s == "00" {
					return push(false)
				}
				if len(s) > 0 && s[len(s)-1] == 'L' {
					s = s[:len(s)-1]
				}
				v, ok := new(big.Int).SetString(s, 10)
				if !ok {
					return fmt.Errorf("bad integer %q", s)
				}
				if v.IsInt64() {
					return push(v.Int64())
				}
				return push(v)
			case 'G': // BINFLOAT
				b, err := u(8)
				if err != nil {
					return err
				}
				return push(math.Float64frombits(binary.BigEndian.Uint64(b)))
			case 'U', 'T', 'B', 'C', 0x8e, 0x96: // SHORT_BINSTRING, BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
				width := 8
				switch op {
				case 'U', 'C':
					width = 1
				case 'T', 'B':
					width = 4
				}
				n, err := le(width)
				if err != nil {
					return err
				}
				b, err := readN(n)
				if err != nil {
					return err
				}
				return push(b)
			case 0x8c, 'X', 0x8d: // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
				width := 8
				switch op {
				case 0x8c:
					width = 1
				case 'X':
					width = 4
				}
				n, err := le(width)
				if err != nil {
					return err
				}
				b, err := readN(n)
				if err != nil {
					return err
				}
				if !utf8.Valid(b) {
					return fmt.Errorf("invalid UTF-8 in a text string")
				}
				return push(string(b))
			case 'q', 'r', 'p', 0x94: // BINPUT, LONG_BINPUT, PUT, MEMOIZE
				var k uint64
				switch op {
				case 'q', 'r':
					w := 1
					if op == 'r' {
						w = 4
					}
					var err error
					if k, err = le(w); err != nil {
						return err
					}
				case 'p':
					s, err := line()
					if err != nil {
						return err
					}
					if _, err := fmt.Sscan(s, &k); err != nil {
						return fmt.Errorf("bad PUT index %q", s)
					}
				default:
					k = uint64(len(memo))
				}
				v, err := top()
				if err != nil {
					return err
				}
				if len(memo) >= pickleMaxStack {
					return fmt.Errorf("more than %d memo entries", pickleMaxStack)
				}
				memo[k] = v
			case 'h', 'j', 'g': // BINGET, LONG_BINGET, GET
				var k uint64
				switch op {
				case 'h', 'j':
					w := 1
					if op == 'j' {
						w = 4
					}
					var err error
					if k, err = le(w); err != nil {
						return err
					}
				default:
					s, err := line()
					if err != nil {
						return err
					}
					if _, err := fmt.Sscan(s, &k); err != nil {
						return fmt.Errorf("bad GET index %q", s)
					}
				}
				v, ok := memo[k]
				if !ok {
					return fmt.Errorf("memo entry %d not defined", k)
				}
				return push(v)
			case 't': // TUPLE
				items, err := popMark()
				if err != nil {
					return err
				}
				return push(pyTuple(items))
			case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
				n := int(op - 0x84)
				t := make(pyTuple, n)
				for i := n - 1; i >= 0; i-- {
					v, err := pop()
					if err != nil {
						return err
					}
					t[i] = v
				}
				return push(t)
			case 'l': // LIST
				items, err := popMark()
				if err != nil {
					return err
				}
				return push(&pyList{items: items})
			case 'd': // DICT
				items, err := popMark()
				if err != nil {
					return err
				}
				d := &pyDict{}
				if err := setItems(d, items); err != nil {
					return err
				}
				return push(d)
			case 'a': // APPEND
				v, err := pop()
				if err != nil {
					return err
				}
				l, err := top()
				if err != nil {
					return err
				}
				list, ok := l.(*pyList)
				if !ok {
					return fmt.Errorf("APPEND to a %T, not a list", l)
				}
				list.items = append(list.items, v)
			case 'e': // APPENDS
				items, err := popMark()
				if err != nil {
					return err
				}
				l, err := top()
				if err != nil {
					return err
				}
				list, ok := l.(*pyList)
				if !ok {
					return fmt.Errorf("APPENDS to a %T, not a list", l)
				}
				list.items = append(list.items, items...)
			case 's': // SETITEM
				v, err := pop()
				if err != nil {
					return err
				}
				k, err := pop()
				if err != nil {
					return err
				}
				d, err := top()
				if err != nil {
					return err
				}
				return setItems(d, []any{k, v})
			case 'u': // SETITEMS
				items, err := popMark()
				if err != nil {
					return err
				}
				d, err := top()
				if err != nil {
					return err
				}
				return setItems(d, items)
			case 'c': // GLOBAL
				mod, err := line()
				if err != nil {
					return err
				}
				name, err := line()
				if err != nil {
					return err
				}
				return push(pyGlobal{mod, name})
			case 0x93: // STACK_GLOBAL
				name, err := pop()
				if err != nil {
					return err
				}
				mod, err := pop()
				if err != nil {
					return err
				}
				ms, ok1 := mod.(string)
				ns, ok2 := name.(string)
				if !ok1 || !ok2 {
					return fmt.Errorf("STACK_GLOBAL of %T and %T, not strings", mod, name)
				}
				return push(pyGlobal{ms, ns})
			case 'R', 0x81: // REDUCE, NEWOBJ
				args, err := pop()
				if err != nil {
					return err
				}
				fn, err := pop()
				if err != nil {
					return err
				}
				g, ok := fn.(pyGlobal)
				if !ok {
					return fmt.Errorf("call of a %T, not a global", fn)
				}
				t, ok := args.(pyTuple)
				if !ok {
					return fmt.Errorf("call of %s.%s with %T arguments, not a tuple", g.module, g.name, args)
				}
				return push(reducePickle(g, t))
			case 'b': // BUILD
				state, err := pop()
				if err != nil {
					return err
				}
				obj, err := top()
				if err != nil {
					return err
				}
				o, ok := obj.(*pyObject)
				if !ok {
					return fmt.Errorf("BUILD on a %T", obj)
				}
				o.state = state
			case '0': // POP
				if len(stack) > 0 {
					if _, ok := stack[len(stack)-1].(pyMark); ok {
						_, err := popMark()
						return err
					}
				}
				_, err := pop()
				return err
			case '1': // POP_MARK
				_, err := popMark()
				return err
			case '2': // DUP
				v, err := top()
				if err != nil {
					return err
				}
				return push(v)
			default:
				return fmt.Errorf("opcode 0x%02x is not supported by this reader", op)
			}
			return nil
		}(); err != nil {
			if err == io.EOF && op == '.' {
				if len(stack) != 1 {
					return nil, fmt.Errorf("pickle ended with %d values on the stack, want 1", len(stack))
				}
				if _, ok := stack[0].(pyMark); ok {
					return nil, fmt.Errorf("pickle ended with a mark")
				}
				return stack[0], nil
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("truncated pickle (opcode %d, 0x%02x)", pos, op)
			}
			return nil, err
		}
	}
}

// reducePickle applies the callables plain data needs: _codecs.encode(text, "latin1") (how
// Python 3 writes bytes at protocol 2) gives the bytes; everything else is kept as a pyObject.
func reducePickle(g pyGlobal, args pyTuple) any {
	if g.module == "_codecs" && g.name == "encode" && len(args) == 2 {
		s, ok1 := args[0].(string)
		enc, ok2 := args[1].(string)
		if ok1 && ok2 && (enc == "latin1" || enc == "latin-1") {
			b := make([]byte, 0, len(s))
			for _, r := range s {
				if r > 255 {
					return &pyObject{fn: g, args: args}
				}
				b = append(b, byte(r))
			}
			return b
		}
	}
	if g.module == "__builtin__" && g.name == "bytes" || g.module == "builtins" && g.name == "bytes" {
		if len(args) == 0 {
			return []byte{}
		}
	}
	return &pyObject{fn: g, args: args}
}

// pickleUint8Array interprets v as a numpy uint8 array (numpy.core.multiarray._reconstruct, or
// numpy._core.multiarray._reconstruct, with BUILD state (version, shape, dtype, fortran, data))
// and returns its shape and C-order bytes.
func pickleUint8Array(v any) ([]int, []byte, error) {
	o, ok := v.(*pyObject)
	if ok && o.fn.name == "_frombuffer" && len(o.args) == 4 { // numpy's protocol-5 form
		buf, ok := o.args[0].([]byte)
		if !ok {
			return nil, nil, fmt.Errorf("numpy buffer is %s", pyTypeName(o.args[0]))
		}
		order, _ := o.args[3].(string)
		return pickleArray(o.args[2], o.args[1], order == "F", buf)
	}
	if !ok || o.fn.name != "_reconstruct" {
		return nil, nil, fmt.Errorf("not a numpy array (%s)", pyTypeName(v))
	}
	st, ok := o.state.(pyTuple)
	if !ok || len(st) < 5 {
		return nil, nil, fmt.Errorf("numpy array state is %s, want a 5-tuple", pyTypeName(o.state))
	}
	if len(st) == 5 {
		st = st[1:]
	} else {
		st = st[len(st)-4:]
	}
	fortran, _ := st[2].(bool)
	var data []byte
	switch d := st[3].(type) {
	case []byte:
		data = d
	case string: // Python 2 str decoded as text by a Python 3 pickler: latin-1
		for _, r := range d {
			data = append(data, byte(r))
		}
	default:
		return nil, nil, fmt.Errorf("numpy array data is %s", pyTypeName(st[3]))
	}
	return pickleArray(st[0], st[1], fortran, data)
}

// pickleArray checks a numpy array's shape (a tuple), dtype (numpy.dtype("u1")), order and data.
func pickleArray(shapeV, dtype any, fortran bool, data []byte) ([]int, []byte, error) {
	shapeT, ok := shapeV.(pyTuple)
	if !ok {
		return nil, nil, fmt.Errorf("numpy array shape is %s", pyTypeName(shapeV))
	}
	shape := make([]int, len(shapeT))
	size := 1
	for i, s := range shapeT {
		n, ok := s.(int64)
		if !ok || n < 0 || n > math.MaxInt32 {
			return nil, nil, fmt.Errorf("numpy array dimension %v", s)
		}
		shape[i] = int(n)
		size *= int(n)
		if size > pickleMaxBytes {
			return nil, nil, fmt.Errorf("numpy array of shape %v is too large", shape)
		}
	}
	dt, ok := dtype.(*pyObject)
	if !ok || dt.fn.name != "dtype" || len(dt.args) == 0 {
		return nil, nil, fmt.Errorf("numpy array dtype is %s", pyTypeName(dtype))
	}
	code, _ := dt.args[0].(string)
	if b, ok := dt.args[0].([]byte); ok {
		code = string(b)
	}
	if code != "u1" && code != "|u1" && code != "uint8" {
		return nil, nil, fmt.Errorf("numpy array dtype %q, want uint8 (u1)", code)
	}
	if fortran && len(shape) > 1 {
		return nil, nil, fmt.Errorf("Fortran-order numpy array is not supported")
	}
	if len(data) != size {
		return nil, nil, fmt.Errorf("numpy array of shape %v holds %d bytes, want %d", shape, len(data), size)
	}
	return shape, data, nil
}

// pyTypeName names the Python type of a decoded value for error messages.
func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case pyGlobal:
		return x.module + "." + x.name
	case *pyObject:
		return x.fn.module + "." + x.fn.name + "(...)"
	}
	return fmt.Sprintf("%T", v)
}
