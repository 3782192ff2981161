//! Huffman tables and the entropy-coded-segment bit reader of a baseline JPEG (ITU T.81 F.2).
//!
//! The speed of the whole function rests on this loop (it was half of the profile with
//! jpeg-decoder), so it follows the known-fast design: a 64-bit bit buffer refilled eight bytes
//! at a time when none of them is 0xFF, one table lookup for codes of up to [`LOOKAHEAD`] bits,
//! and for AC tables a second lookup that also decodes the coefficient value when code and
//! value fit in the lookahead together.

use super::idct::{Block, Reduced};

/// Bits resolved by one table lookup (covers nearly every code of real images).
const LOOKAHEAD: u32 = 10;
const TABLE_SIZE: usize = 1 << LOOKAHEAD;

/// A decoding error in the entropy-coded data (the caller adds context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntropyError {
    /// A bit pattern that is no code of the table.
    BadCode,
    /// A run of zeros that goes past the 64th coefficient, or a DC size over 15 bits.
    BadCoefficient,
    /// The data ended (or a marker came) before the last block was complete.
    Truncated,
    /// A restart interval did not end with an RSTn marker.
    MissingRestart,
}

impl std::fmt::Display for EntropyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BadCode => "corrupt entropy-coded data (invalid Huffman code)",
            Self::BadCoefficient => "corrupt entropy-coded data (coefficient out of range)",
            Self::Truncated => "the image data is truncated",
            Self::MissingRestart => "a restart marker is missing",
        })
    }
}

/// One DHT table, ready for decoding.
pub(crate) struct HuffmanTable {
    /// Indexed by the next [`LOOKAHEAD`] bits: `length << 8 | symbol`, or 0 for longer codes.
    lookup: Box<[u16; TABLE_SIZE]>,
    /// For AC tables: `value << 16 | run << 8 | code length + value size` when both fit in
    /// the lookahead, else 0.
    fast_ac: Box<[i32; TABLE_SIZE]>,
    /// For AC tables, to pass over coefficients the reduced IDCT does not use: `advance << 8 |
    /// bits`, where `bits` = code length + value size (the value is skipped, not read) and
    /// `advance` = run + 1 (16 for ZRL, 0 for end of block); 0 for codes longer than the
    /// lookahead.
    skip_ac: Box<[u32; TABLE_SIZE]>,
    /// Canonical decoding of codes longer than the lookahead: the largest code of each length
    /// (−1 when there is none) and the offset from a code to its symbol index.
    max_code: [i32; 18],
    val_offset: [i32; 17],
    symbols: [u8; 256],
}

impl HuffmanTable {
    /// Builds a table from the 16 code counts and the symbols of a DHT segment; `None` when
    /// they do not describe a valid prefix code.
    pub(crate) fn new(counts: &[u8; 16], values: &[u8], is_ac: bool) -> Option<Self> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || values.len() != total {
            return None;
        }
        let mut symbols = [0u8; 256];
        symbols[..total].copy_from_slice(values);
        let mut lookup = Box::new([0u16; TABLE_SIZE]);
        let mut max_code = [-1i32; 18];
        let mut val_offset = [0i32; 17];
        let mut code: u32 = 0;
        let mut index: usize = 0;
        for len in 1..=16u32 {
            let count = u32::from(counts[len as usize - 1]);
            val_offset[len as usize] = index as i32 - code as i32;
            for _ in 0..count {
                if code >= 1 << len {
                    return None; // more codes of this length than the code space holds
                }
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    let first = (code << shift) as usize;
                    let entry = (len as u16) << 8 | u16::from(symbols[index]);
                    lookup[first..first + (1 << shift)].fill(entry);
                }
                code += 1;
                index += 1;
            }
            if count > 0 {
                max_code[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        max_code[17] = i32::MAX; // sentinel: the slow path stops at 16 bits
        let mut fast_ac = Box::new([0i32; TABLE_SIZE]);
        let mut skip_ac = Box::new([0u32; TABLE_SIZE]);
        if is_ac {
            for (entry, slot) in lookup.iter().zip(skip_ac.iter_mut()) {
                let len = u32::from(entry >> 8);
                if len == 0 {
                    continue;
                }
                let (run, size) = (u32::from((entry >> 4) & 15), u32::from(entry & 15));
                let advance = match (run, size) {
                    (15, 0) => 16,
                    (_, 0) => 0, // EOB (runs 1..14 without a value are read as EOB too)
                    _ => run + 1,
                };
                *slot = advance << 8 | (len + size);
            }
            for (bits, slot) in fast_ac.iter_mut().enumerate() {
                let entry = lookup[bits];
                let len = u32::from(entry >> 8);
                if len == 0 {
                    continue;
                }
                let rs = entry & 0xFF;
                let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
                if size == 0 || len + size > LOOKAHEAD {
                    continue;
                }
                let raw = ((bits as u32) >> (LOOKAHEAD - len - size)) & ((1 << size) - 1);
                let value = extend(raw, size);
                *slot = value << 16 | (run << 8 | (len + size)) as i32;
            }
        }
        Some(Self {
            lookup,
            fast_ac,
            skip_ac,
            max_code,
            val_offset,
            symbols,
        })
    }
}

/// JPEG's sign extension of a `size`-bit magnitude (T.81 F.2.2.1 EXTEND).
#[inline]
fn extend(raw: u32, size: u32) -> i32 {
    if size == 0 {
        0
    } else if raw < 1 << (size - 1) {
        raw as i32 - (1 << size) + 1
    } else {
        raw as i32
    }
}

/// Reads the entropy-coded data of one scan, undoing byte stuffing and stopping at markers.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    state: Bits,
}

/// The reader's position and bit buffer. It is `Copy` and every operation takes or returns it
/// by value, all inlined, so that the block decoder works on a local copy that stays in
/// registers (a `&mut` reader kept it in memory, which cost a quarter of the loop).
#[derive(Clone, Copy)]
struct Bits {
    pos: usize,
    /// Valid bits, left-aligned (the next bit is the top bit); the bits after them are zero.
    buf: u64,
    bits: u32,
    /// How many of the `bits` are zeros appended after a marker or the end of the data. If a
    /// block ever consumes them, the image is truncated.
    fake: u32,
}

impl Bits {
    /// Tops the buffer up to at least 57 bits.
    #[inline(always)]
    fn refill(mut self, data: &[u8]) -> Self {
        if self.fake == 0
            && let Some(chunk) = data.get(self.pos..self.pos + 8)
        {
            let word = u64::from_be_bytes([
                chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7],
            ]);
            // No 0xFF byte among the eight: no stuffing and no marker, take them as they are.
            let inverted = !word;
            if (inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080)
                == 0
            {
                let take = (64 - self.bits) / 8;
                self.buf |= word >> self.bits;
                if self.bits + take * 8 < 64 {
                    // Keep the bits after the valid ones zero.
                    self.buf &= !(u64::MAX >> (self.bits + take * 8));
                }
                self.bits += take * 8;
                self.pos += take as usize;
                return self;
            }
        }
        self.refill_slow(data)
    }

    // Inlined too: a call would force the state out of registers on the hot path.
    #[inline(always)]
    fn refill_slow(mut self, data: &[u8]) -> Self {
        while self.bits <= 56 {
            let byte = match data.get(self.pos) {
                Some(&0xFF) if self.fake == 0 => match data.get(self.pos + 1) {
                    Some(0x00) => {
                        self.pos += 2;
                        0xFF
                    }
                    // A marker (or fill bytes before one), or the end: feed zeros from here on.
                    _ => {
                        self.fake += 8;
                        0
                    }
                },
                Some(&byte) if self.fake == 0 => {
                    self.pos += 1;
                    byte
                }
                _ => {
                    self.fake += 8;
                    0
                }
            };
            self.buf |= u64::from(byte) << (56 - self.bits);
            self.bits += 8;
        }
        self
    }

    /// Makes sure at least 32 bits are buffered: enough for any code and value.
    ///
    /// Tried and dropped (bench/runs/2026-12-05-amd-epyc-vm.md): refilling before every
    /// symbol, branch-free (OR eight bytes in, `bits |= 56`). It removes the branch below,
    /// which mispredicts about once per refill, but added 140 M instructions and the decode
    /// took the same time.
    #[inline(always)]
    fn ensure(self, data: &[u8]) -> Self {
        if self.bits < 32 {
            self.refill(data)
        } else {
            self
        }
    }

    #[inline(always)]
    fn peek(self, n: u32) -> u32 {
        (self.buf >> (64 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.bits -= n;
    }

    /// Reads `size` bits (1..=16) as a sign-extended coefficient value.
    #[inline(always)]
    fn receive_extend(&mut self, size: u32) -> i32 {
        let raw = self.peek(size);
        self.consume(size);
        extend(raw, size)
    }

    /// Decodes one symbol. The buffer must hold at least 16 bits (see `ensure`).
    #[inline(always)]
    fn decode(&mut self, table: &HuffmanTable) -> Result<u8, EntropyError> {
        let entry = table.lookup[self.peek(LOOKAHEAD) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok((entry & 0xFF) as u8);
        }
        let (len, symbol) = decode_long(table, self.peek(16))?;
        self.consume(len);
        Ok(symbol)
    }
}

/// Canonical decoding of a code longer than the lookahead from the next 16 bits.
#[cold]
#[inline(never)]
fn decode_long(table: &HuffmanTable, bits16: u32) -> Result<(u32, u8), EntropyError> {
    let bits16 = bits16 as i32;
    for len in LOOKAHEAD + 1..=16 {
        let code = bits16 >> (16 - len);
        if code <= table.max_code[len as usize] {
            let index = (code + table.val_offset[len as usize]) as usize;
            return table
                .symbols
                .get(index)
                .map(|&symbol| (len, symbol))
                .ok_or(EntropyError::BadCode);
        }
    }
    Err(EntropyError::BadCode)
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            state: Bits {
                pos: 0,
                buf: 0,
                bits: 0,
                fake: 0,
            },
        }
    }

    /// Decodes one 8×8 block's coefficients for a reduced IDCT of size `N`. `dc_pred` is the
    /// component's DC predictor. Coefficient `k` (zig-zag order) is stored, dequantised, at
    /// `out[slot[k]]`; a scaled IDCT needs only the low frequencies, so the others all go to
    /// the spare slot (an unconditional store: a branch on "is this one needed" mispredicts).
    /// Past the last zig-zag index the IDCT uses, coefficients are only parsed: one lookup
    /// gives how many bits to drop and how far to advance, values are never extracted.
    /// Returns whether any AC coefficient was stored (else the block is flat).
    #[inline]
    pub(crate) fn decode_block<const N: usize>(
        &mut self,
        dc: &HuffmanTable,
        ac: &HuffmanTable,
        dc_pred: &mut i32,
        quant: &[f32; 64],
        out: &mut Block,
    ) -> Result<bool, EntropyError> {
        let data = self.data;
        let mut s = self.state.ensure(data);
        let size = u32::from(s.decode(dc)?);
        if size > 15 {
            return Err(EntropyError::BadCoefficient);
        }
        let diff = if size == 0 { 0 } else { s.receive_extend(size) };
        *dc_pred = dc_pred.wrapping_add(diff);
        out[0] = *dc_pred as f32 * quant[0];
        let mut k: usize = 1;
        let mut ended = false;
        while k <= Reduced::<N>::LAST_NEEDED {
            s = s.ensure(data);
            let fast = ac.fast_ac[s.peek(LOOKAHEAD) as usize];
            let (run, value) = if fast != 0 {
                s.consume((fast & 0xFF) as u32);
                (((fast >> 8) & 0xFF) as usize, fast >> 16)
            } else {
                let rs = s.decode(ac)?;
                let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
                if size == 0 {
                    if run == 15 {
                        k += 16; // ZRL: sixteen zeros
                        continue;
                    }
                    ended = true; // EOB
                    break;
                }
                (run, s.receive_extend(size))
            };
            k += run;
            if k > 63 {
                return Err(EntropyError::BadCoefficient);
            }
            out[usize::from(Reduced::<N>::SLOTS[k]) & 31] = value as f32 * quant[k];
            k += 1;
        }
        let stored = k > 1;
        while !ended && k < 64 {
            s = s.ensure(data);
            let entry = ac.skip_ac[s.peek(LOOKAHEAD) as usize];
            let advance = if entry != 0 {
                s.consume(entry & 0xFF);
                (entry >> 8) as usize
            } else {
                let rs = s.decode(ac)?;
                let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
                s.consume(size);
                match (run, size) {
                    (15, 0) => 16,
                    (_, 0) => 0,
                    _ => run + 1,
                }
            };
            if advance == 0 {
                break; // EOB
            }
            k += advance;
        }
        if k > 64 {
            return Err(EntropyError::BadCoefficient);
        }
        self.state = s;
        Ok(stored)
    }

    /// Whether any block read so far used bits past the end of the real data.
    pub(crate) fn overran(&self) -> bool {
        self.state.bits < self.state.fake
    }

    /// Ends a restart interval: checks the data was complete, then skips the RSTn marker and
    /// starts afresh after it.
    pub(crate) fn restart(&mut self) -> Result<(), EntropyError> {
        if self.overran() {
            return Err(EntropyError::Truncated);
        }
        let mut pos = self.state.pos;
        while self.data.get(pos) == Some(&0xFF) && self.data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        match (self.data.get(pos), self.data.get(pos + 1)) {
            (Some(0xFF), Some(0xD0..=0xD7)) => {
                self.state = Bits {
                    pos: pos + 2,
                    buf: 0,
                    bits: 0,
                    fake: 0,
                };
                Ok(())
            }
            _ => Err(EntropyError::MissingRestart),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table K.3 of T.81: the example luminance DC table.
    fn dc_table() -> HuffmanTable {
        let counts = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        let values: Vec<u8> = (0..12).collect();
        HuffmanTable::new(&counts, &values, false).expect("valid table")
    }

    #[test]
    fn reads_through_stuffed_bytes_and_stops_at_markers() {
        let data = [0xFF, 0x00, 0x12, 0xFF, 0xD9];
        let mut reader = BitReader::new(&data);
        reader.state = reader.state.ensure(&data);
        assert_eq!(reader.state.peek(16), 0xFF12);
        reader.state.consume(16);
        assert!(!reader.overran());
        reader.state.consume(1);
        assert!(reader.overran(), "bits after the marker are not data");
        assert_eq!(reader.state.pos, 3, "the marker is left unread");
    }

    #[test]
    fn fast_refill_matches_byte_by_byte() {
        let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        let mut reader = BitReader::new(&data).state;
        let mut bits = Vec::new();
        for step in [3u32, 7, 13, 1, 16, 9, 11, 5, 16, 2, 8, 15, 4, 16, 12, 6] {
            reader = reader.ensure(&data);
            bits.push((reader.peek(step), step));
            reader.consume(step);
        }
        let mut expected = Vec::new();
        let mut acc: u128 = 0;
        let mut n = 0u32;
        let mut index = 0;
        for &(_, step) in &bits {
            while n < step {
                acc = acc << 8 | u128::from(data[index]);
                index += 1;
                n += 8;
            }
            expected.push((((acc >> (n - step)) & ((1 << step) - 1)) as u32, step));
            n -= step;
        }
        assert_eq!(bits, expected);
    }

    #[test]
    fn refills_agree_across_stuffed_bytes() {
        // Random bytes with a 0xFF (stuffed as FF 00) every 23: reads alternate between the
        // eight-byte path and the byte-by-byte path, and must see the unstuffed stream.
        let (mut raw, mut data) = (Vec::new(), Vec::new());
        let mut x = 0x9E37_79B9_u32;
        for i in 0..400 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let byte = if i % 23 == 7 { 0xFF } else { x as u8 };
            raw.push(byte);
            data.push(byte);
            if byte == 0xFF {
                data.push(0);
            }
        }
        data.extend([0xFF, 0xD9]);
        let mut reader = BitReader::new(&data).state;
        let mut bit = 0usize;
        for step in [3u32, 7, 13, 1, 16, 9, 11, 5].into_iter().cycle() {
            if bit + step as usize > raw.len() * 8 {
                break;
            }
            reader = reader.ensure(&data);
            let got = reader.peek(step);
            reader.consume(step);
            let expected = (bit..bit + step as usize).fold(0u32, |acc, b| {
                acc << 1 | u32::from(raw[b / 8] >> (7 - b % 8) & 1)
            });
            assert_eq!(got, expected, "at bit {bit}");
            bit += step as usize;
        }
        assert!(reader.bits >= reader.fake, "no bit past the data was used");
    }

    #[test]
    fn decodes_canonical_codes() {
        // Codes of table K.3: 0 → 00, 1 → 010, 5 → 110, 6 → 1110, 11 → 111111110.
        let table = dc_table();
        let data = [0b0001_0110, 0b1110_1111, 0b1111_0000, 0xFF, 0xD9];
        let mut reader = BitReader::new(&data).state.ensure(&data);
        let symbols: Vec<u8> = (0..5)
            .map(|_| reader.decode(&table).expect("code"))
            .collect();
        assert_eq!(symbols, [0, 1, 5, 6, 11]);
    }

    #[test]
    fn rejects_oversubscribed_tables() {
        let counts = [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(HuffmanTable::new(&counts, &[0, 1, 2], false).is_none());
    }
}
