//! Encryption at rest for backup archives: AES-256-GCM in the STREAM construction (Hoang, Reyhanitabar,
//! Rogaway and Vizár 2015), so archives of any size are sealed and opened in 64 KiB chunks.
//!
//! A sealed file is a header, then chunks of at most [`CHUNK`] plaintext bytes, each followed by
//! its 16-byte tag. The header is `VXFSSEAL`, a version byte, the key id (length byte, then UTF-8)
//! and a random 7-byte nonce prefix. Chunk `i` is sealed under the nonce `prefix ‖ i (big-endian
//! u32) ‖ last`, where `last` is 1 only for the final chunk, and the header is every chunk's
//! associated data. Reordered, dropped or altered chunks, a truncated tail, appended bytes and a
//! changed key id all fail to open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::io::{self, Read, Write};
use thiserror::Error;

/// Leading bytes of every sealed file.
pub const MAGIC: &[u8; 8] = b"VXFSSEAL";
/// Format version written after the magic.
const VERSION: u8 = 1;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// Authentication tag bytes after each chunk.
const TAG: usize = 16;
/// Random nonce bytes per file; the other five count chunks and mark the last one.
const PREFIX: usize = 7;

/// Why a key or a sealed file cannot be used.
#[derive(Debug, Error)]
pub enum SealError {
    /// The key material is not a 256-bit key.
    #[error("encryption key: {0}")]
    Key(String),
    /// The file is not a sealed archive of a known version.
    #[error("not a sealed archive: {0}")]
    Format(String),
    /// A chunk failed authentication: wrong key, or the file was altered or truncated.
    #[error(
        "chunk {chunk} does not open: wrong key (this archive was sealed with key id `{key_id}`), or the file was altered or truncated"
    )]
    Open {
        /// Zero-based chunk index.
        chunk: u32,
        /// Key id from the header.
        key_id: String,
    },
    /// The file holds more chunks than a 32-bit counter can number.
    #[error("too many chunks for one sealed file")]
    TooLong,
}

impl From<SealError> for io::Error {
    fn from(e: SealError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// A 256-bit archive key with the id recorded in the files it seals.
pub struct SealKey {
    id: String,
    key: LessSafeKey,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SealKey {
    /// A key from `material`: 32 raw bytes, 64 hex digits, or the base64 of 32 bytes (surrounding
    /// whitespace ignored, as in a file written by `openssl rand -hex 32`).
    pub fn parse(id: &str, material: &[u8]) -> Result<SealKey, SealError> {
        use base64::Engine;
        if id.len() > usize::from(u8::MAX) {
            return Err(SealError::Key(format!(
                "key id is {} bytes, at most 255",
                id.len()
            )));
        }
        let raw = if material.len() == 32 {
            material.to_vec()
        } else {
            let text = std::str::from_utf8(material)
                .map_err(|_| SealError::Key(wrong_length(material.len())))?
                .trim();
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                hex::decode(text).map_err(|e| SealError::Key(e.to_string()))?
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .ok()
                    .filter(|k| k.len() == 32)
                    .ok_or_else(|| SealError::Key(wrong_length(material.len())))?
            }
        };
        let key = UnboundKey::new(&AES_256_GCM, &raw)
            .map_err(|_| SealError::Key("not accepted as an AES-256 key".into()))?;
        Ok(SealKey {
            id: id.to_string(),
            key: LessSafeKey::new(key),
        })
    }

    /// The key id written into sealed files.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn wrong_length(len: usize) -> String {
    format!(
        "{len} bytes that are neither 32 raw bytes, 64 hex digits nor base64 of 32 bytes (make one with `openssl rand -hex 32`)"
    )
}

/// Whether `head` (the first bytes of a file) starts a sealed archive.
pub fn is_sealed(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

fn nonce(prefix: [u8; PREFIX], chunk: u32, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[..PREFIX].copy_from_slice(&prefix);
    n[PREFIX..PREFIX + 4].copy_from_slice(&chunk.to_be_bytes());
    n[NONCE_LEN - 1] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

/// Seals everything written to it into `out`; call [`SealWriter::finish`] to seal the last chunk.
pub struct SealWriter<'k, W: Write> {
    out: W,
    key: &'k SealKey,
    header: Vec<u8>,
    prefix: [u8; PREFIX],
    chunk: u32,
    buf: Vec<u8>,
}

impl<'k, W: Write> SealWriter<'k, W> {
    /// Writes the header (with a fresh random nonce prefix) and starts sealing.
    pub fn new(mut out: W, key: &'k SealKey) -> io::Result<Self> {
        let prefix: [u8; PREFIX] = rand::random();
        let mut header = Vec::with_capacity(MAGIC.len() + 2 + key.id.len() + PREFIX);
        header.extend_from_slice(MAGIC);
        header.push(VERSION);
        header.push(key.id.len() as u8);
        header.extend_from_slice(key.id.as_bytes());
        header.extend_from_slice(&prefix);
        out.write_all(&header)?;
        Ok(SealWriter {
            out,
            key,
            header,
            prefix,
            chunk: 0,
            buf: Vec::with_capacity(CHUNK + TAG),
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        let nonce = nonce(self.prefix, self.chunk, last);
        self.key
            .key
            .seal_in_place_append_tag(nonce, Aad::from(&self.header[..]), &mut self.buf)
            .map_err(|_| io::Error::other("sealing a chunk failed"))?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.chunk = self.chunk.checked_add(1).ok_or(SealError::TooLong)?;
        Ok(())
    }

    /// Seals the final chunk (possibly empty) and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealWriter<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A full chunk is sealed only once more data arrives, so `finish` always holds the final
        // chunk (full, partial, or empty when nothing was written) to seal as the last.
        if self.buf.len() == CHUNK && !data.is_empty() {
            self.seal(false)?;
        }
        let take = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Opens a sealed stream chunk by chunk; reading yields the plaintext.
pub struct OpenReader<R: Read> {
    input: R,
    key: SealKey,
    header: Vec<u8>,
    prefix: [u8; PREFIX],
    chunk: u32,
    /// Sealed bytes read ahead: up to one full sealed chunk plus one byte, to tell the last.
    sealed: Vec<u8>,
    plain: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> OpenReader<R> {
    /// Reads and checks the header. `key` must carry the archive's key (its id may differ: the
    /// header's id names the key in errors).
    pub fn new(mut input: R, key: SealKey) -> Result<Self, io::Error> {
        let mut fixed = [0u8; 10];
        input
            .read_exact(&mut fixed)
            .map_err(|_| SealError::Format("shorter than a header".into()))?;
        if !is_sealed(&fixed) {
            return Err(SealError::Format("no VXFSSEAL header".into()).into());
        }
        if fixed[8] != VERSION {
            return Err(SealError::Format(format!("unknown version {}", fixed[8])).into());
        }
        let mut id = vec![0u8; usize::from(fixed[9])];
        input.read_exact(&mut id)?;
        let mut prefix = [0u8; PREFIX];
        input.read_exact(&mut prefix)?;
        let mut header = fixed.to_vec();
        header.extend_from_slice(&id);
        header.extend_from_slice(&prefix);
        let key = SealKey {
            id: String::from_utf8_lossy(&id).into_owned(),
            key: key.key,
        };
        Ok(OpenReader {
            input,
            key,
            header,
            prefix,
            chunk: 0,
            sealed: Vec::with_capacity(CHUNK + TAG + 1),
            plain: Vec::new(),
            pos: 0,
            done: false,
        })
    }

    /// Fills `sealed` up to one full sealed chunk and one byte more (fewer only at the end).
    fn fill(&mut self) -> io::Result<()> {
        let want = CHUNK + TAG + 1;
        while self.sealed.len() < want {
            let start = self.sealed.len();
            self.sealed.resize(want, 0);
            let n = self.input.read(&mut self.sealed[start..])?;
            self.sealed.truncate(start + n);
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    fn open_next(&mut self) -> io::Result<()> {
        self.fill()?;
        let last = self.sealed.len() <= CHUNK + TAG;
        let take = self.sealed.len().min(CHUNK + TAG);
        let mut chunk: Vec<u8> = self.sealed.drain(..take).collect();
        let failed = || SealError::Open {
            chunk: self.chunk,
            key_id: self.key.id.clone(),
        };
        if chunk.len() < TAG {
            return Err(failed().into());
        }
        let nonce = nonce(self.prefix, self.chunk, last);
        let plain = self
            .key
            .key
            .open_in_place(nonce, Aad::from(&self.header[..]), &mut chunk)
            .map_err(|_| failed())?
            .len();
        chunk.truncate(plain);
        self.plain = chunk;
        self.pos = 0;
        self.done = last;
        self.chunk = self.chunk.checked_add(1).ok_or(SealError::TooLong)?;
        Ok(())
    }
}

impl<R: Read> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.open_next()?;
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "sealed_tests.rs"]
mod tests;
