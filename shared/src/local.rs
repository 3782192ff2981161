//! Local mode: when `AWS_LAMBDA_RUNTIME_API` is not set, a function binary transforms stdin to
//! stdout, so a transform can be tried (and benchmarked) without Lambda or S3.
//!
//! ```text
//! pii-redactor --payload '{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}' --content-type text/plain < in.txt > out.txt
//! ```
//! On bad input the process exits with status 1 and prints `Code: message` on stderr.

use std::os::fd::AsFd;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use http::HeaderMap;

use crate::config::parse_payload;
use crate::context::{CallerIdentity, RequestContext};
use crate::error::TransformError;
use crate::transform::{BlockingInput, ObjectInput, Transform};

mod args;
pub(crate) use args::{LocalArgs, Parsed};

/// Runs local mode; returns the process exit code. A transform with a blocking form
/// ([`Transform::transform_blocking`]) runs it on this thread, with no async runtime;
/// otherwise `transform` runs on a runtime of its own, on this thread. One object from stdin
/// needs no async worker threads (transforms do their CPU work on blocking threads), and
/// starting a multi-thread runtime's workers is a measurable part of a short local run
/// (functions/xml-to-json/bench/runs/2026-12-05-amd-epyc.md).
pub(crate) fn run_local_blocking<T: Transform>(transform: T, args: LocalArgs) -> i32 {
    let result = prepare(&transform, args).and_then(|(config, ctx, content_type)| {
        match transform_stdio_blocking(&transform, &config, &ctx, content_type.clone()) {
            Some(result) => result,
            None => on_runtime(transform_stdio(transform, config, ctx, content_type)),
        }
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}: {}", e.code(), e.message());
            1
        }
    }
}

fn on_runtime(
    work: impl std::future::Future<Output = Result<(), TransformError>>,
) -> Result<(), TransformError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TransformError::internal(format!("cannot start the async runtime: {e}")))?
        .block_on(work)
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

/// The payload, parsed and validated, the request context and the content type.
fn prepare<T: Transform>(
    transform: &T,
    args: LocalArgs,
) -> Result<(T::Config, RequestContext, Option<String>), TransformError> {
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
    Ok((config, ctx, args.content_type))
}

/// [`Transform::transform_blocking`] from standard input to standard output; `None` when the
/// transform has no blocking form.
fn transform_stdio_blocking<T: Transform>(
    transform: &T,
    config: &T::Config,
    ctx: &RequestContext,
    content_type: Option<String>,
) -> Option<Result<(), TransformError>> {
    let (stdin, stdout) = match stdio_files() {
        Ok(files) => files,
        Err(e) => return Some(Err(e.into())),
    };
    let input = BlockingInput {
        content_type,
        content_length: stdin_file_length(),
        body: Box::new(stdin),
    };
    transform.transform_blocking(config, ctx, input, Box::new(stdout))
}

/// Standard input and output as plain files: unbuffered (the transform reads in chunks of
/// its own), and not `Stdout`, which is line buffered (it would scan every byte for a
/// newline).
fn stdio_files() -> std::io::Result<(std::fs::File, std::fs::File)> {
    Ok((
        std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?),
        std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?),
    ))
}

async fn transform_stdio<T: Transform>(
    transform: T,
    config: T::Config,
    ctx: RequestContext,
    content_type: Option<String>,
) -> Result<(), TransformError> {
    let input = ObjectInput {
        content_type,
        content_length: stdin_file_length(),
        content_encoding: None,
        body: Box::pin(stdin_chunks()?),
    };
    let output = transform.transform(config, ctx, input).await?;
    let mut body = output.body;
    // Written where the output arrives, without a hop to a blocking thread per write: a
    // local run has nothing else to do meanwhile.
    let (_, stdout) = stdio_files()?;
    let mut stdout = std::io::BufWriter::with_capacity(STDOUT_BUFFER, stdout);
    while let Some(chunk) = body.next().await {
        std::io::Write::write_all(&mut stdout, &chunk?)?;
    }
    std::io::Write::flush(&mut stdout)?;
    Ok(())
}

/// Buffer size of standard output in local mode.
const STDOUT_BUFFER: usize = 256 * 1024;

/// Chunk size of standard input in local mode. The buffer is reused, so its pages are
/// touched (faulted in) once; 64 KiB are 48 page faults fewer than 256 KiB (about 0.15 ms
/// on a VM) and stay in the cache between reads, for a few more `read` calls
/// (functions/xml-to-json/bench/runs/2026-12-05-amd-epyc-quiet.md).
const STDIN_CHUNK: usize = 64 * 1024;

/// Standard input in chunks of [`STDIN_CHUNK`], read by whichever thread polls the stream
/// (a transform that converts on a thread of its own reads there, with no hand-over per
/// chunk). The buffer is reused once the consumer has dropped the previous chunk.
fn stdin_chunks() -> std::io::Result<impl Stream<Item = Result<Bytes, TransformError>> + Send> {
    let file = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    Ok(futures::stream::try_unfold(
        (file, BytesMut::new()),
        |(mut file, mut buf)| async move {
            buf.reserve(STDIN_CHUNK);
            buf.resize(STDIN_CHUNK, 0);
            let n = loop {
                match std::io::Read::read(&mut file, &mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    r => break r?,
                }
            };
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            let chunk = buf.split().freeze();
            Ok(Some((chunk, (file, buf))))
        },
    ))
}

/// The length of stdin when it is a regular file (`< photo.jpg`), as S3 would declare
/// `Content-Length`; `None` for pipes and terminals.
fn stdin_file_length() -> Option<u64> {
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
