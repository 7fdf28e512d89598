//! Tests of sealed archives: round trips at chunk boundaries and every way a file can be wrong.

use super::*;

fn key(id: &str, byte: u8) -> SealKey {
    SealKey::parse(id, &[byte; 32]).unwrap()
}

fn seal(data: &[u8], k: &SealKey) -> Vec<u8> {
    let mut w = SealWriter::new(Vec::new(), k).unwrap();
    for piece in data.chunks(7_001) {
        w.write_all(piece).unwrap();
    }
    w.finish().unwrap()
}

fn open(sealed: &[u8], k: SealKey) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    OpenReader::new(sealed, k)?.read_to_end(&mut out)?;
    Ok(out)
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn round_trips_at_every_chunk_boundary() {
    for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5] {
        let plain = data(len);
        let sealed = seal(&plain, &key("k1", 1));
        assert!(is_sealed(&sealed));
        let chunks = len.div_ceil(CHUNK).max(1);
        assert_eq!(sealed.len(), 8 + 2 + 2 + 7 + len + chunks * 16, "len {len}");
        assert_eq!(open(&sealed, key("k1", 1)).unwrap(), plain, "len {len}");
    }
}

#[test]
fn two_sealings_of_the_same_data_differ() {
    let k = key("k1", 1);
    assert_ne!(seal(b"same", &k), seal(b"same", &k));
}

#[test]
fn a_wrong_key_names_the_archive_key_id() {
    let sealed = seal(&data(100), &key("backup-2026", 1));
    let err = open(&sealed, key("other", 2)).unwrap_err().to_string();
    assert!(
        err.contains("chunk 0") && err.contains("backup-2026"),
        "{err}"
    );
}

#[test]
fn altered_truncated_extended_or_relabelled_files_fail() {
    let plain = data(2 * CHUNK + 100);
    let sealed = seal(&plain, &key("k1", 1));
    let header = 8 + 2 + 2 + 7;
    let mut flipped = sealed.clone();
    flipped[header + CHUNK + 40] ^= 1;
    let mut relabelled = sealed.clone();
    relabelled[10] = b'x';
    let mut extended = sealed.clone();
    extended.push(0);
    let without_last = sealed[..header + 2 * (CHUNK + 16)].to_vec();
    let cases = [
        ("flipped bit", flipped),
        ("relabelled key id", relabelled),
        ("byte appended", extended),
        ("last chunk dropped", without_last),
        ("tail cut", sealed[..sealed.len() - 5].to_vec()),
        ("header only", sealed[..header].to_vec()),
    ];
    for (what, bytes) in cases {
        assert!(open(&bytes, key("k1", 1)).is_err(), "{what} opened");
    }
    let err = open(b"PK\x03\x04 not sealed", key("k1", 1)).unwrap_err();
    assert!(err.to_string().contains("no VXFSSEAL header"), "{err}");
}

#[test]
fn keys_parse_from_raw_hex_or_base64_and_refuse_anything_else() {
    let hex_key = format!("{}\n", "ab".repeat(32));
    let b64 = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
    let sealed = seal(b"x", &SealKey::parse("k", hex_key.as_bytes()).unwrap());
    assert_eq!(
        open(&sealed, SealKey::parse("k", b64.as_bytes()).unwrap()).unwrap(),
        b"x"
    );
    assert_eq!(
        open(&sealed, SealKey::parse("k", &[0xab; 32]).unwrap()).unwrap(),
        b"x"
    );
    for bad in [&b"short"[..], &[0u8; 31], "ab".repeat(31).as_bytes()] {
        let err = SealKey::parse("k", bad).unwrap_err().to_string();
        assert!(err.contains("openssl rand -hex 32"), "{err}");
    }
    assert!(SealKey::parse(&"i".repeat(256), &[1; 32]).is_err());
}
