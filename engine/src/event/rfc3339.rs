//! A fast RFC 3339 formatter for nanosecond timestamps (the log and API format every event's
//! timestamp, so this avoids a general-purpose date formatter on the hot path).

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn push_digits(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut v = value;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// Formats `ns` since the epoch as `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`, using the
/// shortest of 0, 3, 6 or 9 fractional digits that is exact.
pub fn format(ns: i64) -> String {
    let mut out = Vec::with_capacity(30);
    write(&mut out, ns);
    out.into_iter().map(char::from).collect()
}

/// Appends [`format`]'s text (ASCII, nothing a JSON string escapes) to `out`.
pub fn write(out: &mut Vec<u8>, ns: i64) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u64;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u64;
    push_digits(out, year.max(0) as u64, 4);
    out.push(b'-');
    push_digits(out, u64::from(month), 2);
    out.push(b'-');
    push_digits(out, u64::from(day), 2);
    out.push(b'T');
    push_digits(out, sod / 3600, 2);
    out.push(b':');
    push_digits(out, sod / 60 % 60, 2);
    out.push(b':');
    push_digits(out, sod % 60, 2);
    if nanos != 0 {
        out.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            push_digits(out, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            push_digits(out, nanos / 1_000, 6);
        } else {
            push_digits(out, nanos, 9);
        }
    }
    out.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, SecondsFormat, Utc};
    use rand::{Rng, SeedableRng};

    fn reference(ns: i64) -> String {
        DateTime::<Utc>::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn matches_chrono_on_edges_and_random_instants() {
        let edges = [
            0,
            1,
            999_999_999,
            1_000_000,
            1_000,
            951_782_400_000_000_000,
            4_107_542_399_999_999_999,
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let random = (0..20_000).map(|_| rng.random_range(0..i64::MAX));
        for ns in edges.into_iter().chain(random) {
            assert_eq!(format(ns), reference(ns), "{ns}");
        }
    }
}
