//! Log record framing: `[length u32 LE][crc32 u32 LE][payload]`, and a reader that finds torn tails.

/// Bytes of a record header.
pub const HEADER_LEN: usize = 8;
/// Largest accepted payload (a corrupt length beyond this is treated as a torn tail).
pub const MAX_PAYLOAD: usize = 256 * 1024 * 1024;

/// Appends one framed record holding `payload` to `out`.
pub fn encode_into(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Appends one framed record whose payload `write` appends to `out` in place (no intermediate
/// buffer). If `write` fails, `out` is left as it was.
pub fn encode_with<E>(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    if let Err(e) = write(out) {
        out.truncate(start);
        return Err(e);
    }
    let payload = &out[start + HEADER_LEN..];
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32fast::hash(payload).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + HEADER_LEN].copy_from_slice(&crc);
    Ok(())
}

/// Why reading stopped before the end of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailProblem {
    /// The last record is incomplete (a write was cut short).
    Incomplete,
    /// A record's checksum does not match its payload.
    Checksum,
    /// A record header announces an impossible length.
    Length,
}

impl TailProblem {
    /// Human-readable description for log lines.
    pub fn describe(self) -> &'static str {
        match self {
            TailProblem::Incomplete => "incomplete record",
            TailProblem::Checksum => "checksum mismatch",
            TailProblem::Length => "impossible record length",
        }
    }
}

/// Splits `buf` into record payloads. Returns the payloads, the offset of the end of the last
/// good record, and the problem found after it, if any.
pub fn decode_all(buf: &[u8]) -> (Vec<&[u8]>, usize, Option<TailProblem>) {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        if buf.len() - pos < HEADER_LEN {
            return (out, pos, Some(TailProblem::Incomplete));
        }
        let len = u32::from_le_bytes([buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]]) as usize;
        let crc = u32::from_le_bytes([buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]]);
        if len > MAX_PAYLOAD {
            return (out, pos, Some(TailProblem::Length));
        }
        let start = pos + HEADER_LEN;
        if buf.len() - start < len {
            return (out, pos, Some(TailProblem::Incomplete));
        }
        let payload = &buf[start..start + len];
        if crc32fast::hash(payload) != crc {
            return (out, pos, Some(TailProblem::Checksum));
        }
        out.push(payload);
        pos = start + len;
    }
    (out, pos, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_records() -> Vec<u8> {
        let mut buf = Vec::new();
        encode_into(&mut buf, b"hello");
        encode_into(&mut buf, b"world!");
        buf
    }

    #[test]
    fn round_trip() {
        let buf = two_records();
        let (records, end, problem) = decode_all(&buf);
        assert_eq!(records, vec![&b"hello"[..], &b"world!"[..]]);
        assert_eq!((end, problem), (buf.len(), None));
    }

    #[test]
    fn every_truncation_keeps_the_complete_prefix() {
        let buf = two_records();
        for cut in 0..buf.len() {
            let (records, end, problem) = decode_all(&buf[..cut]);
            let expected = usize::from(cut >= HEADER_LEN + 5);
            assert_eq!(records.len(), expected, "cut at {cut}");
            assert_eq!(end, expected * (HEADER_LEN + 5));
            assert_eq!(problem.is_some(), cut != 0 && cut != HEADER_LEN + 5);
        }
    }

    #[test]
    fn in_place_encoding_frames_like_encode_into_and_undoes_failures() {
        let mut a = b"prefix".to_vec();
        let mut b = a.clone();
        encode_into(&mut a, b"hello");
        encode_with(&mut b, |out| {
            out.extend_from_slice(b"hello");
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(a, b);
        let failed = encode_with(&mut b, |out| {
            out.extend_from_slice(b"half");
            Err("no")
        });
        assert_eq!((failed, &a), (Err("no"), &b));
    }

    #[test]
    fn corruption_is_detected() {
        let mut buf = two_records();
        let last = buf.len() - 1;
        buf[last] ^= 0xff;
        let (records, end, problem) = decode_all(&buf);
        assert_eq!(records.len(), 1);
        assert_eq!(end, HEADER_LEN + 5);
        assert_eq!(problem, Some(TailProblem::Checksum));
        buf[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_all(&buf).2, Some(TailProblem::Length));
    }
}
