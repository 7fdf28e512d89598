//! Redaction of secrets from text bound for the log: a URL keeps its scheme, host and port, and
//! loses its credentials, path and query (webhook URLs carry their secret in the path, e.g.
//! Slack's `/services/T…/B…/token`, or in `?token=`).

/// What replaces the removed part of a URL.
pub const REDACTED: &str = "[redacted]";

/// `text` with every `scheme://…` URL cut down to `scheme://host[:port]/[redacted]` (and any
/// `user:password@` dropped).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let scheme_start = rest[..pos]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        if scheme_start == pos {
            out.push_str(&rest[..pos + 3]);
            rest = &rest[pos + 3..];
            continue;
        }
        out.push_str(&rest[..pos + 3]);
        let after = &rest[pos + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ','))
            .unwrap_or(after.len());
        let url = &after[..end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let authority = &url[..authority_end];
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        out.push_str(host);
        if authority_end < url.len() || host.len() < authority.len() {
            out.push('/');
            out.push_str(REDACTED);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_path_and_query() {
        let line = "error sending request for url (https://hooks.slack.com/services/T0/B0/s3cr3t)";
        assert_eq!(
            redact(line),
            "error sending request for url (https://hooks.slack.com/[redacted])"
        );
        let smtp = "SMTP: connect smtp://mailer:hunter2@mail.example:587 failed";
        assert_eq!(
            redact(smtp),
            "SMTP: connect smtp://mail.example:587/[redacted] failed"
        );
        assert_eq!(
            redact("GET http://10.0.0.1:9000/hook?token=abc, then http://x"),
            "GET http://10.0.0.1:9000/[redacted], then http://x"
        );
        assert_eq!(redact("no url here :// at all"), "no url here :// at all");
    }
}
