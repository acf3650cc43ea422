//! Framing: turns payloads into checksummed, length-prefixed frames on a byte sink.

use std::io::{self, Write};

use serde::Serialize;

use super::{
    Batch, End, Header, FLAG_ZSTD, FORMAT_VERSION, FRAME_BATCH, FRAME_END, FRAME_HEADER,
    FRAME_MARKER, MAGIC, MAX_FRAME_LEN,
};

pub(crate) struct FrameWriter<W: Write> {
    out: W,
    /// zstd level for batch payloads, or `None` to write them plain.
    compression: Option<i32>,
    bytes: u64,
    frame: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    /// Writes the file magic, version and header frame.
    pub fn start(out: W, header: &Header, compression: Option<i32>) -> io::Result<Self> {
        let mut w = FrameWriter {
            out,
            compression,
            bytes: 0,
            frame: Vec::with_capacity(64 << 10),
        };
        let mut prefix = MAGIC.to_vec();
        prefix.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        w.out.write_all(&prefix)?;
        w.bytes += prefix.len() as u64;
        w.write_frame(FRAME_HEADER, header, false)?;
        w.out.flush()?;
        Ok(w)
    }

    pub fn write_batch(&mut self, batch: &Batch) -> io::Result<()> {
        self.write_frame(FRAME_BATCH, batch, self.compression.is_some())
    }

    pub fn write_end(&mut self, end: &End) -> io::Result<()> {
        self.write_frame(FRAME_END, end, false)?;
        self.out.flush()
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    fn write_frame<T: Serialize>(
        &mut self,
        kind: u8,
        payload: &T,
        compress: bool,
    ) -> io::Result<()> {
        let plain = rmp_serde::to_vec(payload).map_err(io::Error::other)?;
        let (body, flags) = match (compress, self.compression) {
            (true, Some(level)) => (zstd::bulk::compress(&plain, level)?, FLAG_ZSTD),
            _ => (plain, 0),
        };
        if body.len() > MAX_FRAME_LEN {
            return Err(io::Error::other(format!(
                "frame of {} bytes exceeds the format's limit of {MAX_FRAME_LEN}",
                body.len()
            )));
        }
        self.frame.clear();
        self.frame.extend_from_slice(FRAME_MARKER);
        self.frame.push(kind);
        self.frame.push(flags);
        self.frame
            .extend_from_slice(&(body.len() as u32).to_le_bytes());
        self.frame
            .extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        self.frame.extend_from_slice(&body);
        // One write per frame: a crash leaves whole frames plus at most one cut frame.
        self.out.write_all(&self.frame)?;
        self.bytes += self.frame.len() as u64;
        Ok(())
    }
}
