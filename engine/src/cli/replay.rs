//! `replay`: send an NDJSON file to a running engine in batches, with a progress bar and
//! retries (honouring `Retry-After` on 429). Events with idempotency keys are safe to resend.

use super::credentials::{Credential, CredentialArgs};
use super::{CliError, io};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// NDJSON file, one event per line.
    pub file: PathBuf,
    /// Base URL of the engine, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    pub to: String,
    /// Events per request.
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// Retries per batch on transport errors and 5xx answers (429 is always retried).
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Credentials for an engine enforcing `[auth]` (ingestion needs `analytics:write`).
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// HTTPS options for an engine serving TLS.
    #[command(flatten)]
    pub tls: super::tls_client::TlsClientArgs,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayReport {
    /// Events sent.
    pub sent: u64,
    /// Events stored.
    pub accepted: u64,
    /// Events the engine already had (same idempotency key).
    pub duplicates: u64,
    /// Requests made successfully.
    pub batches: u64,
    /// 429 answers waited out.
    pub throttled: u64,
    /// Wall time.
    pub seconds: f64,
    /// Events sent per second of wall time.
    pub events_per_second: f64,
}

#[derive(Deserialize)]
struct Receipt {
    accepted: u64,
    duplicates: u64,
}

#[derive(Deserialize)]
struct Refusal {
    message: String,
    line: Option<usize>,
}

/// Sends the file; fails on the first batch the engine refuses as invalid.
pub async fn replay(args: &ReplayArgs) -> Result<ReplayReport, CliError> {
    let credential = args.credentials.load()?;
    let file =
        std::fs::File::open(&args.file).map_err(io(format!("opening {}", args.file.display())))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let bar = if args.no_progress {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(size)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let url = format!("{}/api/v1/events", args.to.trim_end_matches('/'));
    let client = args.tls.client()?;
    let started = Instant::now();
    let mut report = ReplayReport::default();
    let mut reader = BufReader::new(file);
    let mut line_no = 0usize;
    let target = Target {
        client: &client,
        url: &url,
        credential: &credential,
    };
    loop {
        let first_line = line_no + 1;
        let (body, lines, bytes) = read_batch(&mut reader, args.batch, &mut line_no)
            .map_err(io(format!("reading {}", args.file.display())))?;
        if lines == 0 {
            break;
        }
        let receipt = send(&target, body, first_line, args.max_retries, &mut report).await?;
        report.sent += lines as u64;
        report.accepted += receipt.accepted;
        report.duplicates += receipt.duplicates;
        report.batches += 1;
        bar.inc(bytes);
        bar.set_message(progress_message(report.sent, started.elapsed()));
    }
    bar.finish_and_clear();
    report.seconds = started.elapsed().as_secs_f64();
    report.events_per_second = per_second(report.sent, started.elapsed());
    Ok(report)
}

fn per_second(events: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        events as f64 / secs
    } else {
        0.0
    }
}

/// `1,234,567 events, 45,678 events/s`: whole numbers with thousands separators.
fn progress_message(sent: u64, elapsed: Duration) -> String {
    let rate = per_second(sent, elapsed).round() as u64;
    format!("{} events, {} events/s", grouped(sent), grouped(rate))
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn read_batch(
    reader: &mut impl BufRead,
    max: usize,
    line_no: &mut usize,
) -> std::io::Result<(String, usize, u64)> {
    let mut body = String::new();
    let mut lines = 0;
    let mut bytes = 0u64;
    let mut line = String::new();
    while lines < max {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            break;
        }
        *line_no += 1;
        bytes += n as u64;
        if line.trim().is_empty() {
            body.push('\n'); // keep line numbers aligned with the file
            continue;
        }
        body.push_str(line.trim_end());
        body.push('\n');
        lines += 1;
    }
    Ok((body, lines, bytes))
}

/// Where batches go and how they are authorized.
struct Target<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    credential: &'a Credential,
}

async fn send(
    target: &Target<'_>,
    body: String,
    first_line: usize,
    max_retries: u32,
    report: &mut ReplayReport,
) -> Result<Receipt, CliError> {
    let mut failures = 0u32;
    loop {
        let request = target.credential.authorize(target.client.post(target.url));
        let result = request
            .header("content-type", "application/x-ndjson")
            .body(body.clone())
            .send()
            .await;
        let url = target.url;
        let failure = match result {
            Ok(resp) if resp.status().is_success() => {
                return resp.json::<Receipt>().await.map_err(|e| CliError::Http {
                    url: url.into(),
                    reason: e.to_string(),
                });
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                report.throttled += 1;
                let wait = retry_after(&resp).unwrap_or(Duration::from_millis(200));
                tokio::time::sleep(wait).await;
                continue;
            }
            Ok(resp) if is_auth_refusal(resp.status()) => {
                return Err(auth_refusal(target, resp).await);
            }
            Ok(resp) if resp.status().is_client_error() => {
                let refusal: Option<Refusal> = resp.json().await.ok();
                return Err(refused(first_line, refusal));
            }
            Ok(resp) => format!("HTTP {}", resp.status()),
            Err(e) => e.to_string(),
        };
        failures += 1;
        if failures > max_retries {
            return Err(CliError::Http {
                url: url.into(),
                reason: format!("{failure} (gave up after {max_retries} retries)"),
            });
        }
        tracing::warn!(error = %failure, attempt = failures, "replay batch failed; retrying");
        tokio::time::sleep(Duration::from_millis(100 << failures.min(6))).await;
    }
}

fn is_auth_refusal(status: reqwest::StatusCode) -> bool {
    status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN
}

/// A 401 or 403 answer as an error saying what to do; retrying cannot help.
async fn auth_refusal(target: &Target<'_>, resp: reqwest::Response) -> CliError {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let reason = target.credential.refusal(status, &body);
    CliError::Http {
        url: target.url.into(),
        reason: reason.unwrap_or_else(|| status.to_string()),
    }
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

fn refused(first_line: usize, refusal: Option<Refusal>) -> CliError {
    match refusal {
        Some(r) => {
            let message = match r.line {
                // The engine numbers lines within the batch; name the file's line instead.
                Some(line) => {
                    let detail = match r.message.strip_prefix("line ") {
                        Some(rest) => rest.split_once(": ").map_or(rest, |(_, d)| d),
                        None => &r.message,
                    };
                    format!("file line {}: {detail}", first_line + line - 1)
                }
                None => r.message,
            };
            CliError::Refused {
                first_line,
                message,
            }
        }
        None => CliError::Refused {
            first_line,
            message: "the engine answered with a client error".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_whole_events_per_second() {
        assert_eq!(
            progress_message(5_646_039, Duration::from_secs(2)),
            "5,646,039 events, 2,823,020 events/s"
        );
        assert_eq!(
            progress_message(999, Duration::ZERO),
            "999 events, 0 events/s"
        );
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(100), "100");
    }

    #[test]
    fn batches_keep_file_line_numbers() {
        let text = "a\n\nb\nc\nd\n";
        let mut reader = BufReader::new(text.as_bytes());
        let mut line_no = 0;
        let (body, lines, _) = read_batch(&mut reader, 2, &mut line_no).unwrap();
        assert_eq!((body.as_str(), lines, line_no), ("a\n\nb\n", 2, 3));
        let (body, lines, _) = read_batch(&mut reader, 2, &mut line_no).unwrap();
        assert_eq!((body.as_str(), lines, line_no), ("c\nd\n", 2, 5));
        let (_, lines, _) = read_batch(&mut reader, 2, &mut line_no).unwrap();
        assert_eq!(lines, 0);
    }

    #[test]
    fn refusals_point_at_the_file_line() {
        let err = refused(
            101,
            Some(Refusal {
                message: "bad".into(),
                line: Some(3),
            }),
        );
        assert!(err.to_string().contains("file line 103: bad"), "{err}");
        let err = refused(
            101,
            Some(Refusal {
                message: "line 3, event 2: field `source`: is required".into(),
                line: Some(3),
            }),
        );
        assert!(
            err.to_string()
                .ends_with("file line 103: field `source`: is required"),
            "the batch-relative position is replaced by the file line: {err}"
        );
    }
}
