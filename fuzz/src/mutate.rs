//! A structure-aware mutator for trace files (see the crate docs for why).
//!
//! Each call makes one mutation, chosen by the seed so libFuzzer can replay it:
//! - most often, one frame's payload is decoded as a MessagePack value tree, one node of it is
//!   changed (an integer set to an edge value, an event chunk's bytes mutated, an array element
//!   dropped or doubled, a string altered) and the frame is written back, checksummed;
//! - or a frame's payload bytes are mutated directly (still checksummed);
//! - or frames are deleted, duplicated, swapped, retyped, or (de)compressed;
//! - or the file is cut at some byte;
//! - or the raw bytes are mutated without fixing anything, so checksums fail and the reader
//!   has to resynchronise.
//!
//! The byte-level mutations are delegated to a caller-supplied function (libFuzzer's own
//! mutator in the targets), so this module is plain code that tests can drive too.

use rmpv::Value;

use crate::frames::{self, File, Frame, FLAG_ZSTD};

/// Decompression bound while mutating: generous, but never the reader's full 256 MiB.
const PLAIN_LIMIT: usize = 16 << 20;

/// A byte mutator: mutates `buf[..len]` in place, may use `buf` up to its length, and returns
/// the new length. libFuzzer's `fuzzer_mutate` has this shape.
pub type ByteMutator<'a> = &'a mut dyn FnMut(&mut [u8], usize) -> usize;

/// A small deterministic generator (SplitMix64) so a seed always makes the same mutation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u32) -> Self {
        Rng(u64::from(seed) ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Mutates the trace file in `data[..size]` in place and returns its new size (at most
/// `max_size`, and never more than `data.len()`).
pub fn mutate_trace(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    bytes: ByteMutator<'_>,
) -> usize {
    let max_size = max_size.min(data.len());
    let mut rng = Rng::new(seed);
    let file = File::parse(&data[..size]);
    let mutated = match (file, rng.below(100)) {
        (Some(file), 0..=44) => mutate_value(file, &mut rng, bytes),
        (Some(file), 45..=59) => mutate_payload_bytes(file, &mut rng, bytes),
        (Some(file), 60..=74) => mutate_frames(file, &mut rng),
        (Some(_), 75..=81) if size > 0 => Some(data[..rng.below(size)].to_vec()),
        _ => None,
    };
    match mutated {
        Some(out) if out.len() <= max_size && out != data[..size] => {
            data[..out.len()].copy_from_slice(&out);
            out.len()
        }
        // Unparseable input, a no-op or an oversized result: plain byte mutation.
        _ => bytes(&mut data[..max_size], size.min(max_size)),
    }
}

/// Runs the byte mutator over a copy of `input` with some room to grow.
fn mutate_bytes(input: &[u8], rng: &mut Rng, bytes: ByteMutator<'_>) -> Vec<u8> {
    let mut buf = input.to_vec();
    buf.resize(input.len() + 16 + rng.below(64), 0);
    let len = bytes(&mut buf, input.len());
    buf.truncate(len);
    buf
}

fn pick_frame(file: &File, rng: &mut Rng) -> Option<usize> {
    if file.frames.is_empty() {
        None
    } else {
        // Batches are where the events are: prefer them, but not always.
        let batches: Vec<usize> = (0..file.frames.len())
            .filter(|&i| file.frames[i].kind == 1)
            .collect();
        if !batches.is_empty() && rng.below(4) != 0 {
            Some(batches[rng.below(batches.len())])
        } else {
            Some(rng.below(file.frames.len()))
        }
    }
}

fn mutate_value(mut file: File, rng: &mut Rng, bytes: ByteMutator<'_>) -> Option<Vec<u8>> {
    let i = pick_frame(&file, rng)?;
    let plain = frames::plain_payload(&file.frames[i], PLAIN_LIMIT)?;
    let mut value = rmpv::decode::read_value(&mut plain.as_slice()).ok()?;
    let binaries = count_nodes(&value, &|v| matches!(v, Value::Binary(_)));
    let target = if binaries > 0 && rng.below(2) == 0 {
        // Event chunks are the densest code: aim at them half of the time.
        let k = rng.below(binaries);
        nth_node(&mut value, k, &|v| matches!(v, Value::Binary(_)))?
    } else {
        let k = rng.below(count_nodes(&value, &|_| true));
        nth_node(&mut value, k, &|_| true)?
    };
    mutate_node(target, rng, bytes);
    let mut out = Vec::with_capacity(plain.len() + 16);
    rmpv::encode::write_value(&mut out, &value).ok()?;
    frames::set_plain_payload(&mut file.frames[i], out);
    Some(file.to_bytes())
}

fn count_nodes(value: &Value, pred: &dyn Fn(&Value) -> bool) -> usize {
    let own = usize::from(pred(value));
    own + match value {
        Value::Array(items) => items.iter().map(|v| count_nodes(v, pred)).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k, pred) + count_nodes(v, pred))
            .sum(),
        _ => 0,
    }
}

/// The `k`-th node (pre-order) satisfying `pred`.
fn nth_node<'v>(
    value: &'v mut Value,
    k: usize,
    pred: &dyn Fn(&Value) -> bool,
) -> Option<&'v mut Value> {
    fn walk<'v>(
        value: &'v mut Value,
        k: &mut usize,
        pred: &dyn Fn(&Value) -> bool,
    ) -> Option<&'v mut Value> {
        if pred(value) {
            if *k == 0 {
                return Some(value);
            }
            *k -= 1;
        }
        match value {
            Value::Array(items) => items.iter_mut().find_map(|v| walk(v, k, pred)),
            Value::Map(entries) => entries
                .iter_mut()
                .find_map(|(key, v)| walk(key, k, pred).or_else(|| walk(v, k, pred))),
            _ => None,
        }
    }
    let mut k = k;
    walk(value, &mut k, pred)
}

/// Integers worth trying: boundaries of the widths the format uses, and ids near real ones.
const EDGES: &[u64] = &[
    0,
    1,
    2,
    63,
    64,
    255,
    256,
    65_535,
    65_536,
    65_537,
    1 << 20,
    u32::MAX as u64 - 1,
    u32::MAX as u64,
    u32::MAX as u64 + 1,
    i64::MAX as u64,
    u64::MAX - 1,
    u64::MAX,
];

fn mutate_node(node: &mut Value, rng: &mut Rng, bytes: ByteMutator<'_>) {
    match node {
        Value::Integer(n) => {
            let old = n.as_u64().unwrap_or(0);
            let new = match rng.below(6) {
                0 => EDGES[rng.below(EDGES.len())],
                1 => old.wrapping_add(1),
                2 => old.wrapping_sub(1),
                3 => old.wrapping_mul(2).wrapping_add(rng.below(3) as u64),
                4 => rng.next_u64() >> rng.below(64),
                _ => rng.below(16) as u64,
            };
            *node = if rng.below(16) == 0 {
                Value::from(-(new as i64 & 0xffff) - 1)
            } else {
                Value::from(new)
            };
        }
        Value::Binary(data) => {
            *data = match rng.below(8) {
                // Splice a copy of a piece into itself: repeats whole events.
                0 if !data.is_empty() => {
                    let from = rng.below(data.len());
                    let to = from + rng.below(data.len() - from) + 1;
                    let piece = data[from..to].to_vec();
                    let at = rng.below(data.len() + 1);
                    let mut out = data[..at].to_vec();
                    out.extend_from_slice(&piece);
                    out.extend_from_slice(&data[at..]);
                    out
                }
                1 => data[..rng.below(data.len() + 1)].to_vec(),
                _ => mutate_bytes(data, rng, bytes),
            };
        }
        Value::String(s) => {
            let text = s.as_bytes().to_vec();
            let mutated = mutate_bytes(&text, rng, bytes);
            *node = if rng.below(8) == 0 {
                // Not UTF-8 at all: a binary where a string belongs.
                Value::Binary(mutated)
            } else {
                Value::from(String::from_utf8_lossy(&mutated).into_owned())
            };
        }
        Value::Array(items) => match rng.below(5) {
            0 if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            1 if !items.is_empty() => {
                let copy = items[rng.below(items.len())].clone();
                items.insert(rng.below(items.len() + 1), copy);
            }
            2 if items.len() > 1 => {
                let (a, b) = (rng.below(items.len()), rng.below(items.len()));
                items.swap(a, b);
            }
            3 => items.clear(),
            _ => items.push(Value::from(rng.below(4) as u64)),
        },
        other => {
            *other = match rng.below(3) {
                0 => Value::Nil,
                1 => Value::from(rng.below(300) as u64),
                _ => Value::Array(Vec::new()),
            }
        }
    }
}

fn mutate_payload_bytes(mut file: File, rng: &mut Rng, bytes: ByteMutator<'_>) -> Option<Vec<u8>> {
    let i = pick_frame(&file, rng)?;
    let plain = frames::plain_payload(&file.frames[i], PLAIN_LIMIT)?;
    let mutated = mutate_bytes(&plain, rng, bytes);
    frames::set_plain_payload(&mut file.frames[i], mutated);
    Some(file.to_bytes())
}

fn mutate_frames(mut file: File, rng: &mut Rng) -> Option<Vec<u8>> {
    let n = file.frames.len();
    if n == 0 {
        return None;
    }
    let i = rng.below(n);
    match rng.below(7) {
        0 => {
            file.frames.remove(i);
        }
        1 => {
            let copy = file.frames[i].clone();
            file.frames.insert(rng.below(n + 1), copy);
        }
        2 => file.frames.swap(i, rng.below(n)),
        3 => file.frames[i].kind = rng.below(4) as u8,
        4 => toggle_compression(&mut file.frames[i]),
        5 => {
            // Flags the reader does not know.
            file.frames[i].flags ^= 1 << rng.below(8);
        }
        _ => {
            // Garbage between frames: the reader must skip it and resynchronise.
            let junk: Vec<u8> = (0..rng.below(40)).map(|_| rng.next_u64() as u8).collect();
            let mut out = file.prefix.clone();
            for (k, frame) in file.frames.iter().enumerate() {
                if k == i {
                    out.extend_from_slice(&junk);
                }
                out.extend_from_slice(&frames::frame_bytes(frame));
            }
            out.extend_from_slice(&file.tail);
            return Some(out);
        }
    }
    Some(file.to_bytes())
}

fn toggle_compression(frame: &mut Frame) {
    if frame.flags & FLAG_ZSTD == 0 {
        if let Ok(packed) = zstd::bulk::compress(&frame.payload, 1) {
            frame.payload = packed;
            frame.flags |= FLAG_ZSTD;
        }
    } else if let Ok(plain) = zstd::bulk::decompress(&frame.payload, PLAIN_LIMIT) {
        frame.payload = plain;
        frame.flags &= !FLAG_ZSTD;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for libFuzzer's mutator: flips one byte.
    fn flip(buf: &mut [u8], len: usize) -> usize {
        if len > 0 {
            buf[len / 2] ^= 0x41;
        }
        len
    }

    #[test]
    fn mutations_of_an_asset_stay_within_bounds_and_mostly_keep_checksums() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assets/traces/pipeline.weft"
        );
        let original = std::fs::read(path).expect("read an asset trace");
        let mut still_framed = 0;
        for seed in 0..500 {
            let mut buf = original.clone();
            buf.resize(original.len() * 2, 0);
            let max = buf.len();
            let len = mutate_trace(&mut buf, original.len(), max, seed, &mut flip);
            assert!(len <= max);
            let file = File::parse(&buf[..len]);
            if file.is_some_and(|f| f.tail.is_empty() && f.to_bytes() == buf[..len]) {
                still_framed += 1;
            }
            // The reader takes whatever comes out.
            let _ = crate::read_and_check(&buf[..len]);
        }
        assert!(
            still_framed > 250,
            "only {still_framed} of 500 kept framing"
        );
    }
}
