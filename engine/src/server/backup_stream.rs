//! The response body of `GET /api/v1/admin/backup`: the archive is written on a blocking thread
//! into a bounded channel and sent as it is produced, so a backup of any size costs the server a
//! few 64 KiB buffers beyond the snapshot of retained events it is taken from.

use crate::event::Event;
use crate::store::audit_files::AuditFile;
use crate::store::snapshot;
use axum::body::Body;
use bytes::Bytes;
use std::io::{self, Write};
use tokio::sync::mpsc;

/// Bytes gathered before a piece is sent.
const PIECE: usize = 64 * 1024;
/// Pieces in flight between the writer and a slow client.
const IN_FLIGHT: usize = 8;

/// A snapshot to stream: retained events, anomaly records and audit files at one instant.
pub struct Snapshot {
    /// Retained events in id order.
    pub events: Vec<Event>,
    /// Anomaly records as JSON lines.
    pub anomalies: Vec<u8>,
    /// Audit files, oldest first.
    pub audit: Vec<AuditFile>,
    /// Next id the engine would assign.
    pub next_id: u64,
    /// When the snapshot was taken.
    pub now_ns: i64,
}

/// Starts writing `snapshot` as an archive and returns the body that streams it. A write
/// failure ends the body with an error, so the client sees a broken transfer, never a short
/// archive that looks whole.
pub fn stream(snapshot: Snapshot) -> Body {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(PIECE),
        };
        let Snapshot {
            events,
            anomalies,
            audit,
            next_id,
            now_ns,
        } = snapshot;
        let written =
            snapshot::write_archive(&events, &anomalies, &audit, next_id, now_ns, &mut out)
                .map_err(|e| io::Error::other(e.to_string()))
                .and_then(|manifest| out.flush().map(|()| manifest));
        match written {
            Ok(manifest) => {
                tracing::info!(events = manifest.event_count, "backup snapshot streamed");
            }
            Err(e) => {
                tracing::warn!(error = %e, "backup stream ended early");
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    }))
}

/// Sends what is written to it in [`PIECE`]-sized pieces; fails once the client is gone.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE)));
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
