//! Encrypted backups through the real binary (sealed on the way to disk, opened only with their
//! key), and verification of an archive that inflates far beyond its size in bounded memory.

mod common;

use common::{BIN, Engine, run_cli};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};

const KEY_HEX: &str = "5f0c3b9e8a7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c";

fn events(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({"type": "FilesystemWrite", "source": "node-1",
                "timestamp": 1_800_000_000_000_000_000i64 + i as i64 * 1_000_000,
                "latencyNs": 500 + i, "sizeBytes": i * 10,
                "context": {"filesystem": {"path": format!("/secret/payroll/{i}")}}})
            .to_string()
                + "\n"
        })
        .collect()
}

fn ok(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON summary line")
}

fn refused(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a refusal");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_backup_opens_only_with_its_key() {
    let root = tempfile::tempdir().unwrap();
    let key = root.path().join("backup.key");
    std::fs::write(&key, format!("{KEY_HEX}\n")).unwrap();
    let wrong = root.path().join("wrong.key");
    std::fs::write(&wrong, [7u8; 32]).unwrap();
    let (key, wrong) = (key.to_str().unwrap(), wrong.to_str().unwrap());

    let original = Engine::start(&root.path().join("a")).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/events", original.url))
        .body(events(2000))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let backups = root.path().join("backups");
    let backups = backups.to_str().unwrap();

    // ENABLE_ENCRYPTION without a key: refused before anything is written.
    let out = Command::new(BIN)
        .args(["backup", "--from", &original.url, "--to", backups])
        .env("ENABLE_ENCRYPTION", "true")
        .output()
        .unwrap();
    assert!(refused(&out).contains("no --encryption-key-file"));

    let args = ["backup", "--from", &original.url, "--to", backups];
    let out = run_cli(
        &[
            &args[..],
            &[
                "--encryption-key-file",
                key,
                "--encryption-key-id",
                "vexfs-backup-key/v1",
            ],
        ]
        .concat(),
    );
    let taken = ok(&out);
    assert_eq!(
        (taken["eventCount"].as_u64(), taken["encrypted"].as_bool()),
        (Some(2000), Some(true))
    );
    let archive = taken["location"].as_str().unwrap().to_string();
    assert!(archive.ends_with(".tar.gz.enc"), "{archive}");
    let bytes = std::fs::read(&archive).unwrap();
    assert!(bytes.starts_with(b"VXFSSEAL"));
    let plain = String::from_utf8_lossy(&bytes);
    assert!(!plain.contains("payroll") && !plain.contains("manifest.json"));

    assert!(refused(&run_cli(&["verify", &archive])).contains("encrypted"));
    let err = refused(&run_cli(&[
        "verify",
        &archive,
        "--encryption-key-file",
        wrong,
    ]));
    assert!(err.contains("vexfs-backup-key/v1"), "{err}");
    assert_eq!(
        ok(&run_cli(&[
            "verify",
            &archive,
            "--encryption-key-file",
            key
        ])),
        taken
    );

    let restored_dir = root.path().join("b");
    let restored_dir = restored_dir.to_str().unwrap();
    let wrong_restore = [
        "restore",
        &archive,
        "--data-dir",
        restored_dir,
        "--encryption-key-file",
        wrong,
    ];
    refused(&run_cli(&wrong_restore));
    assert!(
        std::fs::read_dir(restored_dir).map_or(true, |mut d| d.next().is_none()),
        "a failed restore leaves nothing behind"
    );
    let restore = [
        "restore",
        &archive,
        "--data-dir",
        restored_dir,
        "--encryption-key-file",
        key,
    ];
    assert_eq!(ok(&run_cli(&restore))["eventCount"], 2000);
    let before = original.get("/api/v1/stats").await;
    original.stop();
    let restored = Engine::start(std::path::Path::new(restored_dir)).await;
    let after = restored.get("/api/v1/stats").await;
    assert_eq!(before["nextId"], after["nextId"]);
    assert_eq!(before["countWindow"], after["countWindow"]);
    restored.stop();
}

/// A gzip'd archive whose `events.ndjson` inflates to `inflated` bytes of blank lines.
fn bomb(path: &std::path::Path, inflated: u64) {
    let file = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let manifest = json!({"format": "vexfs-backup/v1", "createdAt": "2026-11-30T00:00:00Z",
        "eventCount": 0, "firstId": 0, "nextId": 1, "eventsSha256": "00"});
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "manifest.json", &manifest[..])
        .unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(inflated);
    header.set_mode(0o644);
    header.set_cksum();
    let blank = std::io::repeat(b'\n').take_bytes(inflated);
    tar.append_data(&mut header, "events.ndjson", blank)
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

trait TakeBytes: std::io::Read + Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self> {
        std::io::Read::take(self, n)
    }
}
impl<R: std::io::Read> TakeBytes for R {}

/// Peak resident memory of a running process in KiB (`VmHWM`), if it is still readable.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn verifying_an_archive_that_inflates_far_beyond_its_size_stays_small() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("bomb.tar.gz");
    let inflated = 64 * 1024 * 1024;
    bomb(&path, inflated);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size * 100 < inflated, "the archive is {size} bytes");
    let mut child = Command::new(BIN)
        .args(["verify", path.to_str().unwrap()])
        // A captured backtrace would load the symbol tables and dwarf the reader itself.
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(peak_kib(child.id()).unwrap_or(0));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let err = refused(&out);
    assert!(err.contains("does not match the manifest"), "{err}");
    assert!(peak > 0, "the peak was sampled");
    // The binary's own baseline is about 26 MiB; reading the member whole would add 64 MiB.
    assert!(peak < 48 * 1024, "peak RSS {peak} KiB for a 64 MiB member");
}
