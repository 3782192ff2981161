//! Local mode: when `AWS_LAMBDA_RUNTIME_API` is not set, a function binary transforms stdin to
//! stdout, so a transform can be tried (and benchmarked) without Lambda or S3.
//!
//! ```text
//! pii-redactor --payload '{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}' --content-type text/plain < in.txt > out.txt
//! ```
//! On bad input the process exits with status 1 and prints `Code: message` on stderr.

use clap::Parser;
use futures::StreamExt;
use http::HeaderMap;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::config::parse_payload;
use crate::context::{CallerIdentity, RequestContext};
use crate::error::TransformError;
use crate::transform::{ObjectInput, Transform};

/// Command-line options of local mode.
#[derive(Debug, Parser)]
#[command(
    about = "Transform an object from stdin to stdout, as the S3 Object Lambda function would"
)]
pub(crate) struct LocalArgs {
    /// The access point payload (JSON text).
    #[arg(long, default_value = "")]
    pub payload: String,
    /// Content-Type of the original object.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Object key the caller asked for.
    #[arg(long, default_value = "object")]
    pub key: String,
    /// Caller ARN (e.g. for watermarks), as `userIdentity.arn`.
    #[arg(long)]
    pub principal: Option<String>,
    /// Query string of the caller's request, e.g. `width=200&format=webp`.
    #[arg(long, default_value = "")]
    pub query: String,
}

/// Run local mode; returns the process exit code.
pub(crate) async fn run_local<T: Transform>(transform: T, args: LocalArgs) -> i32 {
    match transform_stdio(transform, args).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}: {}", e.code(), e.message());
            1
        }
    }
}

fn identity_from_arn(arn: Option<String>) -> CallerIdentity {
    let Some(arn) = arn else {
        return CallerIdentity::default();
    };
    // arn:aws:iam::123456789012:user/alice or arn:aws:sts::123:assumed-role/Role/session
    let parts: Vec<&str> = arn.split(':').collect();
    let account_id = parts.get(4).copied().unwrap_or_default().to_owned();
    let resource = parts.get(5).copied().unwrap_or_default();
    let user_name = resource
        .strip_prefix("user/")
        .map(|u| u.rsplit('/').next().unwrap_or(u).to_owned());
    CallerIdentity {
        kind: if resource.starts_with("user/") {
            "IAMUser"
        } else {
            "AssumedRole"
        }
        .to_owned(),
        principal_id: format!("LOCAL:{}", resource.rsplit('/').next().unwrap_or_default()),
        account_id,
        user_name,
        arn,
        access_key_id: String::new(),
    }
}

async fn transform_stdio<T: Transform>(
    transform: T,
    args: LocalArgs,
) -> Result<(), TransformError> {
    let config: T::Config = parse_payload(&args.payload)?;
    transform.validate(&config)?;
    let query = url::form_urlencoded::parse(args.query.trim_start_matches('?').as_bytes())
        .into_owned()
        .collect();
    let ctx = RequestContext::new(
        "local",
        args.key,
        query,
        HeaderMap::new(),
        identity_from_arn(args.principal),
    );
    let body = ReaderStream::with_capacity(tokio::io::stdin(), 256 * 1024)
        .map(|r| r.map_err(TransformError::from));
    let input = ObjectInput {
        content_type: args.content_type,
        content_length: stdin_file_length(),
        content_encoding: None,
        body: Box::pin(body),
    };
    let output = transform.transform(config, ctx, input).await?;
    let mut body = output.body;
    let mut stdout = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::io::stdout());
    while let Some(chunk) = body.next().await {
        stdout.write_all(&chunk?).await?;
    }
    stdout.flush().await?;
    Ok(())
}

/// The length of stdin when it is a regular file (`< photo.jpg`), as S3 would declare
/// `Content-Length`; `None` for pipes and terminals.
fn stdin_file_length() -> Option<u64> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    meta.is_file().then_some(meta.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_from_user_arn() {
        let id = identity_from_arn(Some("arn:aws:iam::123456789012:user/alice".into()));
        assert_eq!(
            (id.account_id.as_str(), id.user_name.as_deref()),
            ("123456789012", Some("alice"))
        );
        let id = identity_from_arn(Some("arn:aws:sts::1:assumed-role/Admin/bob".into()));
        assert_eq!((id.kind.as_str(), id.user_name), ("AssumedRole", None));
    }
}
