//! Client credentials: token files with and without a subject, minted JWTs, option rules and
//! the wording of 401/403 failures.

use super::*;
use crate::cli::Cli;
use clap::Parser;

const CREDENTIALS: &str =
    "# engine API tokens\nalice:tok-alice\nvexfs-operator-backup:tok-backup\n";
const SECRET: &str = "0123456789abcdef0123456789abcdef\n";
const NOW: i64 = 1_800_000_000;

fn token(credential: &Credential) -> Option<String> {
    credential.bearer(NOW)
}

#[test]
fn a_subject_picks_its_line_of_the_credentials_file() {
    let picked = token_credential(CREDENTIALS, Some("vexfs-operator-backup"), "f").unwrap();
    assert_eq!(token(&picked).as_deref(), Some("tok-backup"));
    let err = token_credential(CREDENTIALS, Some("bob"), "/etc/creds")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "token file /etc/creds has no `bob:TOKEN` line");
    let err = token_credential("alice:a\nno-colon-secret\n", Some("alice"), "f").unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(!err.to_string().contains("no-colon-secret"), "{err}");
}

#[test]
fn without_a_subject_the_file_is_the_token() {
    let bare = token_credential("tok-alice\n", None, "f").unwrap();
    assert_eq!(token(&bare).as_deref(), Some("tok-alice"));
    for bad in ["", "  \n", CREDENTIALS] {
        let err = token_credential(bad, None, "f").unwrap_err();
        assert!(
            matches!(err, CredentialError::NotOneToken { .. }),
            "{bad:?}"
        );
    }
}

#[test]
fn jwt_credentials_mint_a_fresh_token_for_the_subject() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let args = CredentialArgs {
        jwt_secret_file: Some(secret),
        jwt_subject: Some("vexfs-operator-backup".into()),
        jwt_ttl_seconds: 60,
        ..CredentialArgs::default()
    };
    let credential = args.load().unwrap();
    let verifier = JwtVerifier::new(SECRET.as_bytes(), 0).unwrap();
    let claims = verifier.verify(&token(&credential).unwrap(), NOW).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.exp),
        ("vexfs-operator-backup", NOW + 60)
    );
    let later = credential.bearer(NOW + 120).unwrap();
    assert!(
        verifier.verify(&later, NOW + 120).is_ok(),
        "re-minted per request"
    );
    assert!(!format!("{credential:?}").contains(SECRET.trim()));
}

#[test]
fn unusable_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let weak = dir.path().join("weak");
    std::fs::write(&weak, "short").unwrap();
    let args = CredentialArgs {
        jwt_secret_file: Some(weak.clone()),
        jwt_subject: Some("x".into()),
        ..CredentialArgs::default()
    };
    let err = args.load().unwrap_err().to_string();
    assert!(
        err.contains(&weak.display().to_string()) && err.contains("32"),
        "{err}"
    );
    let missing = CredentialArgs {
        token_file: Some(dir.path().join("absent")),
        ..CredentialArgs::default()
    };
    assert!(matches!(missing.load(), Err(CredentialError::Read { .. })));
    assert!(CredentialArgs::default().load().unwrap().is_anonymous());
}

#[test]
fn options_must_come_in_consistent_pairs() {
    let parse = |extra: &[&str]| {
        let mut args = vec!["vexfs-engine", "backup", "--from", "http://e", "--to", "/b"];
        args.extend_from_slice(extra);
        Cli::try_parse_from(args)
    };
    assert!(parse(&["--token-file", "t"]).is_ok());
    assert!(parse(&["--token-file", "t", "--token-subject", "s"]).is_ok());
    assert!(parse(&["--jwt-secret-file", "k", "--jwt-subject", "s"]).is_ok());
    assert!(parse(&["--token-subject", "s"]).is_err());
    assert!(parse(&["--jwt-secret-file", "k"]).is_err());
    assert!(parse(&["--jwt-subject", "s"]).is_err());
    assert!(
        parse(&[
            "--token-file",
            "t",
            "--jwt-secret-file",
            "k",
            "--jwt-subject",
            "s"
        ])
        .is_err()
    );
}

#[test]
fn refusals_say_what_to_do() {
    let body = r#"{"error":"unauthorized","message":"authentication required"}"#;
    let anonymous = Credential::Anonymous
        .refusal(StatusCode::UNAUTHORIZED, body)
        .unwrap();
    assert!(anonymous.starts_with("401 Unauthorized: the engine requires authentication"));
    assert!(anonymous.contains("--token-file") && anonymous.contains(body));
    let rejected = Credential::Token("t".into()).refusal(StatusCode::UNAUTHORIZED, body);
    assert!(rejected.unwrap().contains("rejected the credentials"));
    let forbidden = Credential::Token("t".into()).refusal(StatusCode::FORBIDDEN, "{}");
    assert!(forbidden.unwrap().starts_with("403 Forbidden"));
    assert_eq!(
        Credential::Anonymous.refusal(StatusCode::NOT_FOUND, ""),
        None
    );
}
