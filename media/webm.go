package media

// webmDuration reads the length of a WebM (Matroska) stream from its
// blocks' times: the last Cluster timecode plus the last block's relative
// timecode, in the segment's TimecodeScale. MediaRecorder's WebM carries no
// Duration element, so this is how the server learns a voice clip's real
// length. ok is false when data holds no block.
func webmDuration(data []byte) (ms int, ok bool) {
	const (
		idSegment       = 0x18538067
		idInfo          = 0x1549A966
		idTimecodeScale = 0x2AD7B1
		idCluster       = 0x1F43B675
		idTimecode      = 0xE7
		idSimpleBlock   = 0xA3
		idBlockGroup    = 0xA0
		idBlock         = 0xA1
	)
	scale := int64(1_000_000) // ns per tick
	var cluster, last int64
	found := false
	// One flat pass: containers are entered (their children follow in the
	// bytes, whatever their size says, unknown included), other elements
	// skipped or read. No recursion, so no input can nest it deep.
	b := data
	for len(b) > 0 {
		id, n := vint(b, true)
		if n == 0 {
			break
		}
		b = b[n:]
		size, m := vint(b, false)
		if m == 0 {
			break
		}
		b = b[m:]
		switch id {
		case idSegment, idCluster, idInfo, idBlockGroup:
			continue
		}
		if size < 0 || size > int64(len(b)) {
			break
		}
		body := b[:size]
		b = b[size:]
		switch id {
		case idTimecodeScale:
			if v := uintOf(body); v > 0 && v < 1<<40 {
				scale = int64(v)
			}
		case idTimecode:
			cluster = int64(uintOf(body) & (1<<40 - 1))
		case idSimpleBlock, idBlock:
			_, k := vint(body, false) // track number
			if k == 0 || len(body) < k+2 {
				continue
			}
			rel := int64(int16(uint16(body[k])<<8 | uint16(body[k+1])))
			if t := cluster + rel; t > last || !found {
				last = t
			}
			found = true
		}
	}
	if !found {
		return 0, false
	}
	d := float64(last) * float64(scale) / 1e6
	if d < 0 {
		return 0, false
	}
	return int(min(d, 1<<31-1)), true
}

// vint reads an EBML variable-length integer: an element ID (keeping its
// marker bit) or a size (without it; all ones is "unknown", returned as -1).
func vint(b []byte, isID bool) (int64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n {
		return 0, 0
	}
	v := int64(b[0])
	if !isID {
		v &= int64(0xFF >> n)
	}
	allOnes := v == int64(0xFF>>n)
	for i := 1; i < n; i++ {
		v = v<<8 | int64(b[i])
		allOnes = allOnes && b[i] == 0xFF
	}
	if !isID && allOnes {
		return -1, n
	}
	return v, n
}

func uintOf(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
