package password

import (
	"encoding/binary"
	"math/bits"

	"golang.org/x/crypto/blake2b"
)

// Argon2d, as RFC 9106 defines it (version 0x13), for checking imported
// Argon2d digests. golang.org/x/crypto/argon2 offers only Argon2i and
// Argon2id; Argon2d differs from them only in how a block picks the block
// it mixes in (from the previous block's first word, not from a stream of
// pseudo-random addresses), so this is the same construction over the same
// BLAKE2b. It runs the lanes one after the other: the result is the same
// as running them in parallel, because a block never reads a segment of
// another lane that is still being filled.
//
// It is held to RFC 9106's Argon2d test vector (§5.1) and to digests made
// by the reference C implementation (testdata/digests.json). The callers
// bound the costs before it runs (see parsePHC).

const (
	argon2BlockWords = 128 // a block is 1 KiB: 128 words of 64 bits
	argon2SyncPoints = 4   // slices per pass
	argon2TypeD      = 0   // the primitive type y in H0
)

type argon2Block [argon2BlockWords]uint64

// argon2dKey derives keyLen bytes from password and salt with Argon2d:
// time passes over memory KiB in threads lanes, with the optional secret
// and associated data of RFC 9106.
func argon2dKey(password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if time < 1 || threads < 1 || keyLen < 4 {
		panic("argon2d: time, threads and key length must be positive")
	}
	lanes := uint32(threads)
	// m' = 4·p·⌊m / 4p⌋ blocks, at least 8 per lane.
	memory = max(memory, 2*argon2SyncPoints*lanes)
	memory = memory / (argon2SyncPoints * lanes) * (argon2SyncPoints * lanes)
	laneLen := memory / lanes
	segLen := laneLen / argon2SyncPoints

	h0 := argon2H0(password, salt, secret, data, time, memory, lanes, keyLen)
	B := make([]argon2Block, memory)
	argon2FirstBlocks(h0, B, lanes, laneLen)

	for pass := uint32(0); pass < time; pass++ {
		for slice := uint32(0); slice < argon2SyncPoints; slice++ {
			for lane := uint32(0); lane < lanes; lane++ {
				argon2dSegment(B, pass, slice, lane, lanes, laneLen, segLen)
			}
		}
	}

	// C is the XOR of every lane's last block; the tag is H'(C).
	var c argon2Block
	for lane := uint32(0); lane < lanes; lane++ {
		last := &B[lane*laneLen+laneLen-1]
		for i := range c {
			c[i] ^= last[i]
		}
	}
	var buf [1024]byte
	for i, w := range c {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}
	return argon2HPrime(keyLen, buf[:])
}

// argon2H0 is H0: BLAKE2b-512 of the parameters and inputs (RFC 9106 §3.2).
func argon2H0(password, salt, secret, data []byte, time, memory, lanes, keyLen uint32) [blake2b.Size + 8]byte {
	h, _ := blake2b.New512(nil)
	le := func(v uint32) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		h.Write(b[:])
	}
	le(lanes)
	le(keyLen)
	le(memory)
	le(time)
	le(argon2Version)
	le(argon2TypeD)
	for _, in := range [][]byte{password, salt, secret, data} {
		le(uint32(len(in)))
		h.Write(in)
	}
	var h0 [blake2b.Size + 8]byte
	h.Sum(h0[:0])
	return h0
}

// argon2Version is the version this implements and the PHC strings name.
const argon2Version = 0x13

// argon2FirstBlocks fills the first two blocks of every lane:
// B[i][j] = H'^1024(H0 ‖ LE32(j) ‖ LE32(i)) for j = 0, 1.
func argon2FirstBlocks(h0 [blake2b.Size + 8]byte, B []argon2Block, lanes, laneLen uint32) {
	for lane := uint32(0); lane < lanes; lane++ {
		for j := uint32(0); j < 2; j++ {
			binary.LittleEndian.PutUint32(h0[blake2b.Size:], j)
			binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)
			out := argon2HPrime(1024, h0[:])
			blk := &B[lane*laneLen+j]
			for i := range blk {
				blk[i] = binary.LittleEndian.Uint64(out[8*i:])
			}
		}
	}
}

// argon2dSegment fills one segment of one lane in one pass.
func argon2dSegment(B []argon2Block, pass, slice, lane, lanes, laneLen, segLen uint32) {
	start := uint32(0)
	if pass == 0 && slice == 0 {
		start = 2 // the first two blocks are H0's
	}
	offset := lane*laneLen + slice*segLen + start
	for index := start; index < segLen; index, offset = index+1, offset+1 {
		prev := offset - 1
		if offset%laneLen == 0 {
			prev = offset + laneLen - 1 // the first column mixes in the lane's last block
		}
		rand := B[prev][0] // Argon2d: J1 and J2 come from the previous block
		ref := argon2RefIndex(rand, pass, slice, lane, index, lanes, laneLen, segLen)
		argon2Compress(&B[offset], &B[prev], &B[ref], pass > 0)
	}
}

// argon2RefIndex maps J1 (rand's low half) and J2 (its high half) to the
// reference block, as RFC 9106 §3.4.1.2 does: the lane is J2 mod p (the
// current one in the first slice of the first pass), then J1 picks, with a
// bias towards the most recent, one of the blocks the current block may
// read.
func argon2RefIndex(rand uint64, pass, slice, lane, index, lanes, laneLen, segLen uint32) uint32 {
	refLane := uint32(rand>>32) % lanes
	if pass == 0 && slice == 0 {
		refLane = lane
	}
	sameLane := refLane == lane

	// size is |W|, the number of blocks that may be read; startPos the
	// first of them in the lane.
	var size, startPos uint32
	if pass == 0 {
		// Only the segments finished in this pass, and in the current
		// lane the blocks of this segment made so far.
		size = slice * segLen
		if sameLane || index == 0 {
			size += index
		}
	} else {
		// Every segment but the current one, and in the current lane the
		// blocks of this segment made so far.
		size = (argon2SyncPoints - 1) * segLen
		if sameLane || index == 0 {
			size += index
		}
		startPos = ((slice + 1) % argon2SyncPoints) * segLen
	}
	// The previous block is excluded: it is mixed in anyway. In another
	// lane, that is the last block of the last finished segment when the
	// current block starts a segment.
	if sameLane || index == 0 {
		size--
	}

	x := rand & 0xFFFFFFFF
	x = x * x >> 32
	y := uint64(size) * x >> 32
	rel := uint64(size) - 1 - y
	return refLane*laneLen + uint32((uint64(startPos)+rel)%uint64(laneLen))
}

// argon2Compress is G (RFC 9106 §3.5): R = X ⊕ Y, Z = P(R) applied to the
// rows and then the columns of R, and dst = Z ⊕ R, or, past the first
// pass, dst ⊕= Z ⊕ R (version 0x13).
func argon2Compress(dst, x, y *argon2Block, xor bool) {
	var r, z argon2Block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	z = r
	// Rows: eight runs of 16 consecutive words.
	for i := 0; i < argon2BlockWords; i += 16 {
		blamka(&z, i, i+1, i+2, i+3, i+4, i+5, i+6, i+7, i+8, i+9, i+10, i+11, i+12, i+13, i+14, i+15)
	}
	// Columns: word pairs 2i, 2i+1 of every row.
	for i := 0; i < 16; i += 2 {
		blamka(&z, i, i+1, i+16, i+17, i+32, i+33, i+48, i+49, i+64, i+65, i+80, i+81, i+96, i+97, i+112, i+113)
	}
	if xor {
		for i := range dst {
			dst[i] ^= z[i] ^ r[i]
		}
		return
	}
	for i := range dst {
		dst[i] = z[i] ^ r[i]
	}
}

// blamka is the permutation P on sixteen words of b, named by their
// indices: a BLAKE2b round whose additions are BlaMka's a + b + 2·lo(a)·lo(b)
// (the quarter-round GB of RFC 9106 §3.6), on local copies of the words.
func blamka(b *argon2Block, i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11, i12, i13, i14, i15 int) {
	v0, v1, v2, v3, v4, v5, v6, v7 := b[i0], b[i1], b[i2], b[i3], b[i4], b[i5], b[i6], b[i7]
	v8, v9, v10, v11, v12, v13, v14, v15 := b[i8], b[i9], b[i10], b[i11], b[i12], b[i13], b[i14], b[i15]
	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)
	b[i0], b[i1], b[i2], b[i3], b[i4], b[i5], b[i6], b[i7] = v0, v1, v2, v3, v4, v5, v6, v7
	b[i8], b[i9], b[i10], b[i11], b[i12], b[i13], b[i14], b[i15] = v8, v9, v10, v11, v12, v13, v14, v15
}

// gb is the quarter-round GB of RFC 9106 §3.6.
func gb(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}

// argon2HPrime is H', BLAKE2b of variable output length (RFC 9106 §3.3):
// for up to 64 bytes BLAKE2b-T(LE32(T) ‖ in); beyond, the first 32 bytes
// of each of a chain of BLAKE2b-512 digests and then the whole of the last
// one, cut to the length left.
func argon2HPrime(outLen uint32, in []byte) []byte {
	var prefix [4]byte
	binary.LittleEndian.PutUint32(prefix[:], outLen)
	out := make([]byte, outLen)
	if outLen <= blake2b.Size {
		h, _ := blake2b.New(int(outLen), nil)
		h.Write(prefix[:])
		h.Write(in)
		h.Sum(out[:0])
		return out
	}
	h, _ := blake2b.New512(nil)
	h.Write(prefix[:])
	h.Write(in)
	v := h.Sum(nil)
	n := copy(out, v[:32])
	for outLen-uint32(n) > blake2b.Size {
		s := blake2b.Sum512(v)
		v = s[:]
		n += copy(out[n:], v[:32])
	}
	h, _ = blake2b.New(int(outLen)-n, nil)
	h.Write(v)
	h.Sum(out[n:n])
	return out
}
