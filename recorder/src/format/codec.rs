//! The byte encoding of one chunk of a worker's events.
//!
//! Per event: a code byte (`code | site_mode << 6`), the timestamp delta from the previous event
//! as a LEB128 varint, the site id if `site_mode` says so, then the arguments its code uses
//! ([`shape`]): `a` and `b` as varints (message ids as zig-zag deltas from the previous id on the
//! same channel in this chunk), `small` as a byte. Site modes: 0 none, 1 explicit, 2 the same
//! site as the previous event with the same code. All state resets per chunk, so chunks decode
//! independently.
//!
//! Since format version 2, task ids are zig-zag deltas too: an `a` that names a task from the
//! previous such `a` in the chunk, a `PollEnd`'s `resume` from the previous `resume`. Tokio task
//! ids start at 2^32 (see [`crate::event::TOKIO_TASK_BASE`]), five bytes each as plain varints,
//! and runtime events name one in nearly every event, mostly the one named just before.

#[cfg(test)]
use crate::event::EventKind;
use crate::event::{shape, RawArgs, SiteId, CODE_COUNT};

const SITE_NONE: u8 = 0;
const SITE_EXPLICIT: u8 = 1;
const SITE_REPEAT: u8 = 2;

/// Codes whose `b` is a message id on channel `a`.
fn b_is_msg(code: u8) -> bool {
    matches!(code, 12 | 14 | 15 | 16 | 18 | 19 | 23)
}

/// Codes whose `a` is a task id: TaskSpawn, TaskStart, JoinBegin, JoinEnd, Unpark, PollBegin,
/// PollEnd, TaskTerminate, TaskName, TaskWake, WakerClone, WakerDrop.
fn a_is_task(code: u8) -> bool {
    matches!(code, 0 | 1 | 3 | 4 | 7 | 36..=42)
}

/// `PollEnd`, whose `b` is the task the worker resumes.
const POLL_END: u8 = 37;

/// The delta coding of task ids (format version 2), per chunk.
#[derive(Clone, Copy, Default)]
struct TaskIds {
    last_task: u64,
    last_resume: u64,
}

/// `v` as a zig-zag delta from `*last`, which becomes `v`.
fn delta_from(last: &mut u64, v: u64) -> u64 {
    let d = zigzag(v.wrapping_sub(*last) as i64);
    *last = v;
    d
}

/// The value a zig-zag delta `d` from `*last` stands for, which becomes `*last`.
fn undelta_from(last: &mut u64, d: u64) -> u64 {
    *last = last.wrapping_add(unzigzag(d) as u64);
    *last
}

#[cfg(test)]
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Last message id per channel within a chunk: few channels per worker, so a short list
/// searched most-recent-first beats hashing.
#[derive(Default)]
struct MsgIds(Vec<(u64, u64)>);

impl MsgIds {
    /// The last message id of `chan`, to be updated in place (0 when none yet).
    #[inline(always)]
    fn slot(&mut self, chan: u64) -> &mut u64 {
        let at = match self.0.iter().rposition(|(c, _)| *c == chan) {
            Some(i) => i,
            None => {
                self.0.push((chan, 0));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

/// Encodes one worker's events into a chunk's bytes.
pub(crate) struct ChunkEncoder {
    pub data: Vec<u8>,
    pub count: u32,
    last_ts: u64,
    last_site: [SiteId; 64],
    msgs: MsgIds,
    tasks: TaskIds,
}

impl ChunkEncoder {
    pub fn new(first_ts: u64) -> Self {
        ChunkEncoder {
            data: Vec::new(),
            count: 0,
            last_ts: first_ts,
            last_site: [0; 64],
            msgs: MsgIds::default(),
            tasks: TaskIds::default(),
        }
    }

    #[inline]
    pub fn push(&mut self, ts: u64, site: SiteId, raw: RawArgs) {
        let code = raw.code & 63;
        let Some(sh) = shape(code) else { return };
        let mode = if site == 0 {
            SITE_NONE
        } else if self.last_site[code as usize] == site {
            SITE_REPEAT
        } else {
            SITE_EXPLICIT
        };
        self.data.reserve(MAX_EVENT_BYTES);
        let mut out = EventBytes {
            room: self.data.spare_capacity_mut(),
            len: 0,
        };
        out.byte(code | mode << 6);
        out.varint(ts.saturating_sub(self.last_ts));
        self.last_ts = ts.max(self.last_ts);
        if mode == SITE_EXPLICIT {
            out.varint(site as u64);
        }
        if site != 0 {
            self.last_site[code as usize] = site;
        }
        if sh.a {
            let a = if a_is_task(code) {
                delta_from(&mut self.tasks.last_task, raw.a)
            } else {
                raw.a
            };
            out.varint(a);
        }
        if sh.b {
            if code == POLL_END {
                out.varint(delta_from(&mut self.tasks.last_resume, raw.b));
            } else if b_is_msg(code) {
                if raw.b == 0 {
                    out.varint(0);
                } else {
                    let last = self.msgs.slot(raw.a);
                    out.varint(zigzag(raw.b.wrapping_sub(*last) as i64).wrapping_add(1));
                    *last = raw.b;
                }
            } else {
                out.varint(raw.b);
            }
        }
        if sh.small {
            out.byte(raw.small);
        }
        let written = out.len;
        // SAFETY: `EventBytes` initialised the first `written` bytes of the spare capacity
        // (each write is bounds-checked against it).
        unsafe { self.data.set_len(self.data.len() + written) };
        self.count += 1;
    }
}

/// The most bytes one event takes: the code byte, four varints of at most ten bytes each
/// (time, site, `a`, `b`) and the small byte.
const MAX_EVENT_BYTES: usize = 1 + 4 * 10 + 1;

/// One event's bytes written into room reserved before it: a single capacity check per event
/// instead of one per byte, which is most of what encoding costs the writer thread.
struct EventBytes<'a> {
    room: &'a mut [std::mem::MaybeUninit<u8>],
    len: usize,
}

impl EventBytes<'_> {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.room[self.len].write(b);
        self.len += 1;
    }

    #[inline(always)]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte((v as u8) | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }
}

/// Why a chunk stopped decoding early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkError {
    /// The bytes ended inside an event.
    Truncated,
    /// An unknown code, site mode or argument value.
    Invalid,
}

/// Decodes events from a chunk's bytes, typed: the codec's tests read chunks through it (the
/// reader decodes the flat form, see [`ChunkCursor::next_raw`]).
#[cfg(test)]
pub(crate) struct ChunkDecoder<'a> {
    data: &'a [u8],
    cursor: ChunkCursor,
}

#[cfg(test)]
impl<'a> ChunkDecoder<'a> {
    /// `task_deltas`: the file's format version is 2 or later (see the module docs).
    pub fn new(data: &'a [u8], first_ts: u64, task_deltas: bool) -> Self {
        ChunkDecoder {
            data,
            cursor: ChunkCursor::new(first_ts, task_deltas),
        }
    }

    fn varint(&mut self) -> Result<u64, ChunkError> {
        self.cursor.varint(self.data)
    }

    /// The next `(ts, site, kind)`, `None` at the end of the bytes.
    pub fn next_event(&mut self) -> Option<Result<(u64, SiteId, EventKind), ChunkError>> {
        self.cursor.next_event(self.data)
    }
}

/// A chunk decoder's state without the bytes it reads: a reader that keeps many chunks open at
/// once (one per worker, while merging them by time) owns their bytes elsewhere and lends them
/// to each call. Every call must be given the same bytes.
pub(crate) struct ChunkCursor {
    pos: usize,
    ts: u64,
    last_site: [SiteId; 64],
    msgs: MsgIds,
    /// Task ids are deltas (format version 2 on), from these.
    task_deltas: bool,
    tasks: TaskIds,
}

impl ChunkCursor {
    /// `task_deltas`: the file's format version is 2 or later (see the module docs).
    pub fn new(first_ts: u64, task_deltas: bool) -> Self {
        ChunkCursor {
            pos: 0,
            ts: first_ts,
            last_site: [0; 64],
            msgs: MsgIds::default(),
            task_deltas,
            tasks: TaskIds::default(),
        }
    }

    /// Starts over on another chunk (of the same file), keeping the allocations.
    pub fn reset(&mut self, first_ts: u64) {
        self.pos = 0;
        self.ts = first_ts;
        self.last_site = [0; 64];
        self.msgs.0.clear();
        self.tasks = TaskIds::default();
    }

    #[inline(always)]
    fn byte(&mut self, data: &[u8]) -> Result<u8, ChunkError> {
        let b = *data.get(self.pos).ok_or(ChunkError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline(always)]
    fn varint(&mut self, data: &[u8]) -> Result<u64, ChunkError> {
        // One-byte values are most of them (small deltas, ids, sites).
        let first = self.byte(data)?;
        if first & 0x80 == 0 {
            return Ok(u64::from(first));
        }
        let mut v = u64::from(first & 0x7f);
        for shift in (7..64).step_by(7) {
            let b = self.byte(data)?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    return Err(ChunkError::Invalid);
                }
                return Ok(v);
            }
        }
        Err(ChunkError::Invalid)
    }

    /// The next `(ts, site, kind)` of `data`, `None` at its end (for [`ChunkDecoder`]).
    #[cfg(test)]
    pub fn next_event(
        &mut self,
        data: &[u8],
    ) -> Option<Result<(u64, SiteId, EventKind), ChunkError>> {
        Some(self.next_raw(data)?.and_then(|(ts, site, raw)| {
            let kind = EventKind::from_raw(raw).ok_or(ChunkError::Invalid)?;
            Ok((ts, site, kind))
        }))
    }

    /// The next event of `data` in its flat form, `None` at its end. Its arguments are as
    /// encoded: [`EventKind::from_raw`] may still reject them. Inlined into its callers, so the
    /// flat form stays in registers: handed back through memory, the typed event's odd-sized
    /// fields cost stalls on every copy that outweighed the decoding.
    #[inline(always)]
    pub fn next_raw(&mut self, data: &[u8]) -> Option<Result<(u64, SiteId, RawArgs), ChunkError>> {
        if self.pos >= data.len() {
            return None;
        }
        Some(self.decode_raw(data))
    }

    #[inline(always)]
    fn decode_raw(&mut self, data: &[u8]) -> Result<(u64, SiteId, RawArgs), ChunkError> {
        let head = self.byte(data)?;
        let code = head & 63;
        let mode = head >> 6;
        if code >= CODE_COUNT {
            return Err(ChunkError::Invalid);
        }
        let sh = shape(code).ok_or(ChunkError::Invalid)?;
        let delta = self.varint(data)?;
        self.ts = self.ts.checked_add(delta).ok_or(ChunkError::Invalid)?;
        let site = match mode {
            SITE_NONE => 0,
            SITE_EXPLICIT => u32::try_from(self.varint(data)?).map_err(|_| ChunkError::Invalid)?,
            SITE_REPEAT => self.last_site[code as usize],
            _ => return Err(ChunkError::Invalid),
        };
        if site != 0 {
            self.last_site[code as usize] = site;
        }
        let mut raw = RawArgs {
            code,
            ..RawArgs::default()
        };
        if sh.a {
            raw.a = self.varint(data)?;
            if self.task_deltas && a_is_task(code) {
                raw.a = undelta_from(&mut self.tasks.last_task, raw.a);
            }
        }
        if sh.b {
            let v = self.varint(data)?;
            raw.b = if self.task_deltas && code == POLL_END {
                undelta_from(&mut self.tasks.last_resume, v)
            } else if b_is_msg(code) && v != 0 {
                let last = self.msgs.slot(raw.a);
                *last = last.wrapping_add(unzigzag(v - 1) as u64);
                *last
            } else {
                v
            };
        }
        if sh.small {
            raw.small = self.byte(data)?;
        }
        Ok((self.ts, site, raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind as K, Outcome};

    #[test]
    fn varints_round_trip_at_the_edges() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut d = ChunkDecoder::new(&out, 0, true);
            assert_eq!(d.varint(), Ok(v));
        }
    }

    #[test]
    fn a_chunk_round_trips_with_repeated_sites_and_message_deltas() {
        let events = [
            (10, 3, K::Send { chan: 7, msg: 1 }),
            (20, 3, K::Send { chan: 7, msg: 2 }),
            (
                25,
                0,
                K::RecvEnd {
                    chan: 9,
                    msg: 0,
                    outcome: Outcome::Disconnected,
                },
            ),
            (40, 4, K::Send { chan: 7, msg: 1 }),
            (40, 3, K::Recv { chan: 9, msg: 5 }),
        ];
        let mut enc = ChunkEncoder::new(10);
        for (ts, site, k) in events {
            enc.push(ts, site, k.to_raw());
        }
        assert_eq!(enc.count, 5);
        let mut dec = ChunkDecoder::new(&enc.data, 10, true);
        for want in events {
            assert_eq!(dec.next_event(), Some(Ok(want)));
        }
        assert_eq!(dec.next_event(), None);
    }

    #[test]
    fn tokio_task_ids_cost_a_byte_or_two_and_version_1_chunks_still_decode() {
        let base = crate::event::TOKIO_TASK_BASE;
        let events = [
            (10, 0, K::PollBegin { task: base + 7 }),
            (11, 0, K::WakerClone { task: base + 7 }),
            (
                12,
                0,
                K::PollEnd {
                    task: base + 7,
                    resume: 2,
                },
            ),
            (13, 0, K::PollBegin { task: base + 9 }),
            (
                14,
                0,
                K::TaskWake {
                    task: base + 3,
                    consumed: true,
                },
            ),
            (
                15,
                0,
                K::PollEnd {
                    task: base + 9,
                    resume: 2,
                },
            ),
            (16, 0, K::JoinBegin { task: 5 }),
        ];
        let mut enc = ChunkEncoder::new(10);
        for (ts, site, k) in events {
            enc.push(ts, site, k.to_raw());
        }
        // Code and time a byte each. A task id: five bytes for the first tokio one and for the
        // thread after them, one byte for the others (48 bytes in all as plain varints).
        assert_eq!(enc.data.len(), 7 + 3 + 4 + 3 + 4 + 4 + 7);
        let mut dec = ChunkDecoder::new(&enc.data, 10, true);
        for want in events {
            assert_eq!(dec.next_event(), Some(Ok(want)));
        }
        assert_eq!(dec.next_event(), None);

        // Version 1 wrote task ids as they are.
        let mut v1 = Vec::new();
        for (code, a, b) in [(36u8, base + 7, None), (37, base + 7, Some(2u64))] {
            v1.push(code);
            put_varint(&mut v1, 1);
            put_varint(&mut v1, a);
            if let Some(b) = b {
                put_varint(&mut v1, b);
            }
        }
        let mut dec = ChunkDecoder::new(&v1, 0, false);
        assert_eq!(
            dec.next_event(),
            Some(Ok((1, 0, K::PollBegin { task: base + 7 })))
        );
        let end = K::PollEnd {
            task: base + 7,
            resume: 2,
        };
        assert_eq!(dec.next_event(), Some(Ok((2, 0, end))));
        assert_eq!(dec.next_event(), None);
    }

    #[test]
    fn a_cut_chunk_reports_truncation_not_a_panic() {
        let mut enc = ChunkEncoder::new(0);
        enc.push(1_000_000, 1, K::Send { chan: 1, msg: 1 }.to_raw());
        for cut in 0..enc.data.len() {
            let mut dec = ChunkDecoder::new(&enc.data[..cut], 0, true);
            match dec.next_event() {
                None => assert_eq!(cut, 0),
                Some(r) => assert_eq!(r, Err(ChunkError::Truncated)),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_valid_event_sequence_round_trips(
            first_ts in 0u64..1 << 50,
            raw in proptest::collection::vec(
                (0u64..1 << 40, 0u32..20, 0u8..CODE_COUNT, 0u64..50, proptest::num::u64::ANY, 0u8..3),
                0..200,
            )
        ) {
            let mut ts = first_ts;
            let mut events = Vec::new();
            for (dt, site, code, a, b, small) in raw {
                // Keep `b` small for codes that carry a string id, as the writer does.
                let b = if matches!(code, 0 | 1 | 33) { b % 1000 } else { b };
                let Some(kind) = EventKind::from_raw(RawArgs { code, a, b, small }) else { continue };
                ts += dt;
                events.push((ts, site, kind));
            }
            let mut enc = ChunkEncoder::new(first_ts);
            for (ts, site, kind) in &events {
                enc.push(*ts, *site, kind.to_raw());
            }
            let mut dec = ChunkDecoder::new(&enc.data, first_ts, true);
            for want in &events {
                proptest::prop_assert_eq!(dec.next_event(), Some(Ok(*want)));
            }
            proptest::prop_assert_eq!(dec.next_event(), None);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut dec = ChunkDecoder::new(&data, 0, true);
            for _ in 0..400 {
                match dec.next_event() {
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
        }
    }
}
