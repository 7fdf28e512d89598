//! HDFS logs (loghub's `HDFS_*.log_structured.csv`) as semantic events.
//!
//! Each log line becomes one event: its template id (`E1`..`E14`) picks the event type, the block id
//! (`blk_...`) becomes the transaction id so that one block's life is one session, the data node
//! address becomes the source, and sizes and paths found in the line fill `sizeBytes` and the
//! filesystem context.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Map, Value, json};

/// Why a line of the structured CSV could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HdfsError {
    /// The CSV header lacks a column the converter needs.
    #[error("missing column {0:?} in the CSV header")]
    MissingColumn(&'static str),
    /// A record could not be read as CSV.
    #[error("line {line}: malformed CSV: {reason}")]
    Csv {
        /// 1-based line number in the file.
        line: u64,
        /// What the CSV reader reported.
        reason: String,
    },
    /// The `Date`/`Time` columns do not form a timestamp.
    #[error("line {line}: bad timestamp {date:?} {time:?}")]
    Timestamp {
        /// 1-based line number in the file.
        line: u64,
        /// The `Date` column (`yymmdd`).
        date: String,
        /// The `Time` column (`hhmmss`).
        time: String,
    },
    /// The `EventId` is not one of the 14 HDFS templates.
    #[error("line {line}: unknown HDFS template {0:?}", .id)]
    UnknownTemplate {
        /// 1-based line number in the file.
        line: u64,
        /// The unknown template id.
        id: String,
    },
}

/// The semantic event type and priority each HDFS template maps to.
///
/// Returns `None` for ids outside `E1..=E14`.
pub fn template_event_type(id: &str) -> Option<(&'static str, &'static str)> {
    Some(match id {
        "E1" => ("FilesystemRead", "Normal"),
        "E2" => ("SystemOptimization", "Low"),
        "E3" => ("ObservabilityErrorReported", "High"),
        "E4" => ("SemanticIntentCapture", "Low"),
        "E5" => ("SystemRecovery", "Normal"),
        "E6" => ("SystemSync", "Normal"),
        "E7" => ("FilesystemCreate", "Normal"),
        "E8" => ("FilesystemDelete", "Normal"),
        "E9" => ("FilesystemTruncate", "Low"),
        "E10" => ("SemanticTransactionEnd", "Normal"),
        "E11" | "E12" => ("FilesystemWrite", "Normal"),
        "E13" => ("SemanticTransactionBegin", "Normal"),
        "E14" => ("ObservabilityHealthCheck", "Background"),
        _ => return None,
    })
}

/// Converts a whole structured CSV file into wire events, in file order.
pub fn convert_csv(text: &str) -> Result<Vec<Value>, HdfsError> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| HdfsError::Csv {
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    let col = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(HdfsError::MissingColumn(name))
    };
    let cols = Columns {
        line_id: col("LineId")?,
        date: col("Date")?,
        time: col("Time")?,
        level: col("Level")?,
        component: col("Component")?,
        content: col("Content")?,
        event_id: col("EventId")?,
    };
    let mut events = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let record = record.map_err(|e| HdfsError::Csv {
            line,
            reason: e.to_string(),
        })?;
        let field = |i: usize| record.get(i).unwrap_or_default();
        let row = Row {
            line,
            line_id: field(cols.line_id).parse().unwrap_or(line),
            date: field(cols.date),
            time: field(cols.time),
            level: field(cols.level),
            component: field(cols.component),
            content: field(cols.content),
            event_id: field(cols.event_id),
        };
        events.push(convert_row(&row)?);
    }
    Ok(events)
}

struct Columns {
    line_id: usize,
    date: usize,
    time: usize,
    level: usize,
    component: usize,
    content: usize,
    event_id: usize,
}

/// One CSV record, borrowed.
struct Row<'a> {
    line: u64,
    line_id: u64,
    date: &'a str,
    time: &'a str,
    level: &'a str,
    component: &'a str,
    content: &'a str,
    event_id: &'a str,
}

fn convert_row(row: &Row<'_>) -> Result<Value, HdfsError> {
    let (event_type, priority) =
        template_event_type(row.event_id).ok_or_else(|| HdfsError::UnknownTemplate {
            line: row.line,
            id: row.event_id.to_string(),
        })?;
    let timestamp = timestamp(row)?;
    let priority = if row.level == "WARN" || row.level == "ERROR" {
        "High"
    } else {
        priority
    };
    let mut event = Map::new();
    event.insert("type".into(), json!(event_type));
    event.insert("timestamp".into(), json!(timestamp));
    event.insert("source".into(), json!(source(row)));
    event.insert("priority".into(), json!(priority));
    event.insert(
        "idempotencyKey".into(),
        json!(format!("hdfs-2k-{}", row.line_id)),
    );
    if let Some(size) = size_bytes(row.content) {
        event.insert("sizeBytes".into(), json!(size));
    }
    let mut context = Map::new();
    let block = block_id(row.content);
    if let Some(block) = block {
        context.insert("transactionId".into(), json!(block));
    }
    // File-system events need a path: the one named in the line, else the block as a file.
    let path = path(row.content).map(str::to_string).or_else(|| {
        event_type
            .starts_with("Filesystem")
            .then(|| format!("/hdfs/blocks/{}", block.unwrap_or("unknown")))
    });
    if let Some(path) = path {
        context.insert("filesystem".into(), json!({ "path": path }));
    }
    if !context.is_empty() {
        event.insert("context".into(), Value::Object(context));
    }
    event.insert(
        "payload".into(),
        json!({ "template": row.event_id, "component": row.component, "level": row.level }),
    );
    Ok(Value::Object(event))
}

/// `yymmdd` + `hhmmss` as RFC 3339 UTC; the line id orders lines within one second.
fn timestamp(row: &Row<'_>) -> Result<String, HdfsError> {
    let bad = || HdfsError::Timestamp {
        line: row.line,
        date: row.date.to_string(),
        time: row.time.to_string(),
    };
    let date =
        NaiveDate::parse_from_str(&format!("20{:0>6}", row.date), "%Y%m%d").map_err(|_| bad())?;
    let time =
        NaiveTime::parse_from_str(&format!("{:0>6}", row.time), "%H%M%S").map_err(|_| bad())?;
    let micros = row.line_id % 1_000_000;
    let at = NaiveDateTime::new(date, time) + chrono::Duration::microseconds(micros as i64);
    Ok(at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

/// The block id (`blk_-123`), the natural session of an HDFS block's life.
fn block_id(content: &str) -> Option<&str> {
    let start = content.find("blk_")?;
    let rest = &content[start..];
    let end = rest[4..]
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .map_or(rest.len(), |i| i + 4);
    Some(&rest[..end])
}

/// The data node (`10.251.73.220`) that logged or is named first in the line, else the component.
fn source(row: &Row<'_>) -> String {
    let ip = row
        .content
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|part| {
            part.split('.').count() == 4 && part.split('.').all(|o| !o.is_empty() && o.len() <= 3)
        });
    match ip {
        Some(ip) => format!("datanode-{ip}"),
        None => row
            .component
            .trim_start_matches("dfs.")
            .replace('$', "-")
            .to_lowercase(),
    }
}

/// A byte size stated in the line (`size 67108864`, `of size 91178`).
fn size_bytes(content: &str) -> Option<u64> {
    let at = content.rfind("size ")?;
    content[at + 5..].split_whitespace().next()?.parse().ok()
}

/// A file-system path named in the line (`/mnt/hadoop/.../part-00001.`), trailing dots removed.
fn path(content: &str) -> Option<&str> {
    content
        .split_whitespace()
        .find(|w| {
            w.starts_with('/') && w.len() > 1 && !w[1..].starts_with(|c: char| c.is_ascii_digit())
        })
        .map(|w| w.trim_end_matches(['.', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n";

    fn one(line: &str) -> Value {
        let events = convert_csv(&format!("{HEADER}{line}\n")).expect("converts");
        assert_eq!(events.len(), 1);
        events.into_iter().next().expect("one event")
    }

    #[test]
    fn stored_block_becomes_sync_with_size_source_and_transaction() {
        let e = one(
            "3,081109,204005,35,INFO,dfs.FSNamesystem,BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864,E6,x",
        );
        assert_eq!(e["type"], "SystemSync");
        assert_eq!(e["timestamp"], "2008-11-09T20:40:05.000003Z");
        assert_eq!(e["source"], "datanode-10.251.73.220");
        assert_eq!(e["sizeBytes"], 67108864);
        assert_eq!(e["context"]["transactionId"], "blk_7128370237687728475");
        assert_eq!(e["idempotencyKey"], "hdfs-2k-3");
    }

    #[test]
    fn allocation_names_path_and_negative_block_ids_survive() {
        let e = one(
            "9,081109,204106,26,INFO,dfs.FSNamesystem,BLOCK* NameSystem.allocateBlock: /mnt/hadoop/mapred/system/job_200811092030_0001/job.jar. blk_-1608999687919862906,E7,x",
        );
        assert_eq!(e["type"], "FilesystemCreate");
        assert_eq!(
            e["context"]["filesystem"]["path"],
            "/mnt/hadoop/mapred/system/job_200811092030_0001/job.jar"
        );
        assert_eq!(e["context"]["transactionId"], "blk_-1608999687919862906");
    }

    #[test]
    fn filesystem_events_without_a_path_name_their_block() {
        let e = one(
            "5,081109,204106,26,INFO,dfs.DataNode$DataXceiver,10.251.43.115:50010 Served block blk_-1608999687919862906 to /10.251.43.115,E1,x",
        );
        assert_eq!(e["type"], "FilesystemRead");
        assert_eq!(
            e["context"]["filesystem"]["path"],
            "/hdfs/blocks/blk_-1608999687919862906"
        );
    }

    #[test]
    fn warnings_are_high_priority_errors() {
        let e = one(
            "40,081109,213000,19,WARN,dfs.DataNode$DataXceiver,10.251.30.6:50010:Got exception while serving blk_-2918118818249673980 to /10.251.90.64:,E3,x",
        );
        assert_eq!(e["type"], "ObservabilityErrorReported");
        assert_eq!(e["priority"], "High");
    }

    #[test]
    fn errors_name_the_line() {
        let err =
            convert_csv(&format!("{HEADER}1,081109,203615,1,INFO,c,text,E99,x\n")).unwrap_err();
        assert_eq!(
            err,
            HdfsError::UnknownTemplate {
                line: 2,
                id: "E99".into()
            }
        );
        let err =
            convert_csv(&format!("{HEADER}1,081399,203615,1,INFO,c,text,E1,x\n")).unwrap_err();
        assert!(matches!(err, HdfsError::Timestamp { line: 2, .. }));
        let err = convert_csv("LineId,Date\n1,2\n").unwrap_err();
        assert_eq!(err, HdfsError::MissingColumn("Time"));
    }

    #[test]
    fn every_template_maps_to_a_type() {
        for i in 1..=14 {
            assert!(template_event_type(&format!("E{i}")).is_some(), "E{i}");
        }
        assert!(template_event_type("E15").is_none());
    }
}
