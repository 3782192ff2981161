//! Command-line options of local mode, parsed with `lexopt`.
//!
//! Five options do not need `clap`: its builder and derive code were 0.38 MB of every
//! function binary (issue 13, bench/runs/2026-12-06-intel-xeon-vm.md), which Lambda loads at
//! each cold start.

use std::ffi::OsString;

/// What local mode was asked to do.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LocalArgs {
    /// The access point payload (JSON text).
    pub payload: String,
    /// Content-Type of the original object.
    pub content_type: Option<String>,
    /// Object key the caller asked for.
    pub key: String,
    /// Caller ARN (e.g. for watermarks), as `userIdentity.arn`.
    pub principal: Option<String>,
    /// Query string of the caller's request, e.g. `width=200&format=webp`.
    pub query: String,
}

/// The result of parsing: options to run with, or text to print and the exit status.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Run(LocalArgs),
    /// `--help`: print on stdout, exit 0.
    Help(String),
    /// A usage error: print on stderr, exit 2 (as clap did).
    Usage(String),
}

const HELP: &str = "\
Transform an object from stdin to stdout, as the S3 Object Lambda function would

Usage: {bin} [OPTIONS] < INPUT > OUTPUT

Options:
      --payload <JSON>         The access point payload (JSON text) [default: \"\"]
      --content-type <TYPE>    Content-Type of the original object
      --key <KEY>              Object key the caller asked for [default: object]
      --principal <ARN>        Caller ARN (e.g. for watermarks), as userIdentity.arn
      --query <QUERY>          Query string of the caller's request, e.g. width=200&format=webp
      --webhook <HOST:PORT>    Serve as a MinIO-style Object Lambda webhook instead
  -h, --help                   Print help

Without --webhook and with AWS_LAMBDA_RUNTIME_API set, the binary serves Lambda's Runtime API.
";

impl LocalArgs {
    /// Parses the process's own arguments.
    pub(crate) fn from_env() -> Parsed {
        let mut args = std::env::args_os();
        let bin = args
            .next()
            .map(|a| {
                a.to_string_lossy()
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default();
        Self::parse(&bin, args)
    }

    /// Parses `args` (without the program name); `bin` names the program in messages.
    pub(crate) fn parse(bin: &str, args: impl IntoIterator<Item = OsString>) -> Parsed {
        let help = HELP.replace("{bin}", bin);
        match Self::try_parse(lexopt::Parser::from_args(args)) {
            Ok(Some(args)) => Parsed::Run(args),
            Ok(None) => Parsed::Help(help),
            Err(e) => Parsed::Usage(format!(
                "error: {e}\n\nUsage: {bin} [OPTIONS] < INPUT > OUTPUT\n\nFor more information, try '--help'.\n"
            )),
        }
    }

    /// `None` when help was asked for.
    fn try_parse(mut p: lexopt::Parser) -> Result<Option<LocalArgs>, lexopt::Error> {
        use lexopt::Arg::{Long, Short};
        use lexopt::ValueExt;
        let mut out = LocalArgs {
            key: "object".to_owned(),
            ..LocalArgs::default()
        };
        while let Some(arg) = p.next()? {
            match arg {
                Long("payload") => out.payload = p.value()?.string()?,
                Long("content-type") => out.content_type = Some(p.value()?.string()?),
                Long("key") => out.key = p.value()?.string()?,
                Long("principal") => out.principal = Some(p.value()?.string()?),
                Long("query") => out.query = p.value()?.string()?,
                Long("help") | Short('h') => return Ok(None),
                _ => return Err(arg.unexpected()),
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Parsed {
        LocalArgs::parse("fn", args.iter().map(OsString::from))
    }

    #[test]
    fn options_in_both_spellings_and_defaults() {
        let Parsed::Run(a) = parse(&[
            "--payload",
            r#"{"a":1}"#,
            "--content-type=text/csv",
            "--principal",
            "arn:aws:iam::1:user/alice",
            "--query=width=2",
        ]) else {
            panic!("not parsed");
        };
        assert_eq!(a.payload, r#"{"a":1}"#);
        assert_eq!(a.content_type.as_deref(), Some("text/csv"));
        assert_eq!(a.key, "object");
        assert_eq!(a.principal.as_deref(), Some("arn:aws:iam::1:user/alice"));
        assert_eq!(a.query, "width=2");
        assert_eq!(
            parse(&[]),
            Parsed::Run(LocalArgs {
                key: "object".into(),
                ..LocalArgs::default()
            })
        );
    }

    #[test]
    fn help_and_usage_errors() {
        let Parsed::Help(h) = parse(&["-h"]) else {
            panic!("no help");
        };
        assert!(h.contains("Usage: fn [OPTIONS]") && h.contains("--content-type"));
        for bad in [&["--nope"][..], &["--payload"], &["stray"]] {
            let Parsed::Usage(u) = parse(bad) else {
                panic!("{bad:?} accepted");
            };
            assert!(u.starts_with("error: "), "{u}");
        }
    }
}
