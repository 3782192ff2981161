//! `object-lambda-emulator`: a local S3 endpoint with Object Lambda Access Points.

mod binaries;
mod builtin;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use object_lambda_emulator::{Config, Credential, DEFAULT_MAX_PROCESSES, Emulator, Template};

/// Local S3 endpoint with S3 Object Lambda Access Points (path-style, SigV4).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (default: built-in: bucket `demo` with sample objects, access
    /// point `demo-ap`, one Object Lambda Access Point per built-in function).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// SAM template (e.g. `template.yaml`): buckets, access points, Object Lambda Access
    /// Points, payloads and timeouts come from it (see README). Not with `--config`.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    template: Option<PathBuf>,
    /// Overrides a template parameter's default (repeatable).
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = binaries::parse_parameter, requires = "template")]
    parameters: Vec<(String, String)>,
    /// Run functions as their binaries through the Lambda Runtime API, from
    /// `DIR/<name>/bootstrap` (cargo lambda: `target/lambda`) or `DIR/<name>`
    /// (`target/release`); functions not found there run in-process if built in.
    #[arg(long, value_name = "DIR", visible_alias = "binaries")]
    functions_dir: Option<PathBuf>,
    /// With `--functions-dir`: at most this many processes per function.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PROCESSES)]
    max_processes: usize,
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Also serve HTTPS on this address (plain HTTP stays on `--listen`). Without
    /// `--tls-cert`/`--tls-key` a self-signed certificate is generated into
    /// `<data-dir>/tls/` and reused. Config key `tls_listen`.
    #[arg(long, value_name = "HOST:PORT")]
    tls_listen: Option<SocketAddr>,
    /// PEM certificate chain for `--tls-listen` (config key `tls_cert`).
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "tls_listen"])]
    tls_cert: Option<PathBuf>,
    /// PEM private key for `--tls-listen` (config key `tls_key`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where buckets and objects are stored (created if missing; kept between runs).
    #[arg(long, value_name = "DIR", default_value = ".emulator-data")]
    data_dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,s3s=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let template = match &args.template {
        Some(path) => Some(
            Template::from_file(path, &args.parameters)
                .with_context(|| format!("loading {}", path.display()))?,
        ),
        None => None,
    };
    let mut config = match &args.config {
        None if template.is_some() => template
            .as_ref()
            .map(|t| t.config.clone())
            .unwrap_or_default(),
        Some(path) => {
            Config::from_file(path).with_context(|| format!("loading {}", path.display()))?
        }
        None => builtin::default_config().context("reading the embedded template.yaml")?,
    };
    if args.tls_listen.is_some() {
        config.tls_listen = args.tls_listen;
    }
    if args.tls_cert.is_some() {
        config.tls_cert = args.tls_cert.clone();
        config.tls_key = args.tls_key.clone();
    }
    // Built-in functions sign WriteGetObjectResponse with the first configured credential.
    let credential = config
        .primary_credential()
        .cloned()
        .unwrap_or_else(Credential::from_env_or_default);
    let builder = Emulator::builder()
        .listen(args.listen)
        .data_dir(&args.data_dir);
    let builder = binaries::register(
        builtin::register(builder, &credential),
        &config,
        template.as_ref(),
        args.functions_dir.as_deref(),
        &credential,
        args.max_processes,
    )?;
    let emu = builder
        .config(config)
        .start()
        .await
        .context("starting the emulator")?;
    println!("object-lambda-emulator listening on {}", emu.endpoint_url());
    if let (Some(url), Some(cert)) = (emu.tls_endpoint_url(), emu.tls_cert()) {
        println!(
            "HTTPS on {url}  certificate: {} (AWS_CA_BUNDLE for clients)",
            cert.display()
        );
    }
    println!(
        "data dir: {}  access key: {}",
        args.data_dir.display(),
        credential.access_key_id
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    emu.shutdown().await;
    Ok(())
}
