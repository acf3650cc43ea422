//! The trace file's framing, as the mutator needs it: split a file into frames and put frames
//! back together with correct lengths and checksums.
//!
//! Mirrors the layout documented in `weft_recorder::format` (kept private there):
//! `MAGIC · version (u32 LE) · frame*`, a frame being
//! `"WFRM" · type (u8) · flags (u8) · len (u32 LE) · crc32(payload) (u32 LE) · payload`.

/// Length of the file prefix: the 8-byte magic and the 4-byte version.
pub const PREFIX_LEN: usize = 12;
const MARKER: &[u8; 4] = b"WFRM";
const HEADER_LEN: usize = 14;
/// Frame flag: the payload is zstd-compressed.
pub const FLAG_ZSTD: u8 = 1;

/// One frame, payload as stored (compressed if `flags & FLAG_ZSTD`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub payload: Vec<u8>,
}

/// A file split into its prefix, its well-formed frames, and whatever follows the last one.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub prefix: Vec<u8>,
    pub frames: Vec<Frame>,
    pub tail: Vec<u8>,
}

impl File {
    /// Splits `data` at frame boundaries, trusting lengths (checksums are not checked: a
    /// mutated file may be damaged on purpose). Stops at the first thing that is not a frame
    /// and keeps it as the tail. `None` if `data` is shorter than the prefix.
    pub fn parse(data: &[u8]) -> Option<File> {
        if data.len() < PREFIX_LEN {
            return None;
        }
        let mut file = File {
            prefix: data[..PREFIX_LEN].to_vec(),
            ..File::default()
        };
        let mut pos = PREFIX_LEN;
        while data.len() - pos >= HEADER_LEN && data[pos..pos + 4] == MARKER[..] {
            let len =
                u32::from_le_bytes([data[pos + 6], data[pos + 7], data[pos + 8], data[pos + 9]])
                    as usize;
            let Some(end) = (pos + HEADER_LEN)
                .checked_add(len)
                .filter(|&end| end <= data.len())
            else {
                break;
            };
            file.frames.push(Frame {
                kind: data[pos + 4],
                flags: data[pos + 5],
                payload: data[pos + HEADER_LEN..end].to_vec(),
            });
            pos = end;
        }
        file.tail = data[pos..].to_vec();
        Some(file)
    }

    /// The file's bytes, every frame with its real length and checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        for frame in &self.frames {
            out.extend_from_slice(&frame_bytes(frame));
        }
        out.extend_from_slice(&self.tail);
        out
    }
}

/// One frame's bytes: marker, type, flags, length, checksum, payload.
pub fn frame_bytes(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + frame.payload.len());
    out.extend_from_slice(MARKER);
    out.push(frame.kind);
    out.push(frame.flags);
    out.extend_from_slice(&(frame.payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&frame.payload).to_le_bytes());
    out.extend_from_slice(&frame.payload);
    out
}

/// The frame's payload as MessagePack: decompressed when the frame is compressed. `None` when
/// a compressed payload does not decompress (within `limit` bytes).
pub fn plain_payload(frame: &Frame, limit: usize) -> Option<Vec<u8>> {
    if frame.flags & FLAG_ZSTD == 0 {
        return Some(frame.payload.clone());
    }
    zstd::bulk::decompress(&frame.payload, limit).ok()
}

/// Stores `plain` as the frame's payload, compressing it if the frame is compressed.
pub fn set_plain_payload(frame: &mut Frame, plain: Vec<u8>) {
    frame.payload = if frame.flags & FLAG_ZSTD == 0 {
        plain
    } else {
        zstd::bulk::compress(&plain, 1).unwrap_or(plain)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_traces_split_and_rejoin_byte_for_byte() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/traces");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("assets/traces exists") {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("read an asset trace");
            let file = File::parse(&data).expect("an asset trace has a prefix");
            assert!(file.tail.is_empty(), "{}", path.display());
            assert!(file.frames.len() >= 2, "{}", path.display());
            assert_eq!(file.to_bytes(), data, "{}", path.display());
            seen += 1;
        }
        assert!(seen > 0);
    }
}
