//! `object-lambda-gateway`: a self-hosted S3 Object Lambda Access Point for production, in
//! front of any S3-compatible store (see the crate README, "Run it in production").

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use object_lambda_emulator::{Gateway, GatewayConfig};

/// S3 Object Lambda Access Points in front of any S3-compatible store; functions run as local
/// binaries, on AWS Lambda or behind webhooks; any number of replicas.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Log format: `json` (one object per line) or `text`.
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    log_format: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,s3s=warn,aws=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format.as_str() {
        "json" => logs
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        "text" => logs.init(),
        other => anyhow::bail!("--log-format {other}: expected `json` or `text`"),
    }
    let config = GatewayConfig::from_file(&args.config)
        .with_context(|| format!("loading {}", args.config.display()))?;
    let gateway = Gateway::start(config)
        .await
        .context("starting the gateway")?;
    println!(
        "object-lambda-gateway listening on {}",
        gateway.endpoint_url()
    );
    if let Some(m) = gateway.metrics_addr() {
        println!("metrics on http://{m}/metrics");
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        r = tokio::signal::ctrl_c() => { r.context("waiting for Ctrl-C")?; tracing::info!("Ctrl-C: shutting down"); }
    }
    gateway.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}
