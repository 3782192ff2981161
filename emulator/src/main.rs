//! `object-lambda-emulator`: a local S3 endpoint with Object Lambda Access Points.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use object_lambda_emulator::{Config, Emulator};

/// Local S3 endpoint with S3 Object Lambda Access Points (path-style, SigV4).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (default: built-in: bucket `demo` with samples, access point
    /// `demo-ap`, one Object Lambda Access Point per built-in function).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Where buckets and objects are stored.
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
    let builder = Emulator::builder()
        .listen(args.listen)
        .data_dir(&args.data_dir);
    let (builder, functions) = register_functions(builder);
    let config = match &args.config {
        Some(path) => {
            Config::from_file(path).with_context(|| format!("loading {}", path.display()))?
        }
        None => Config::default_for(&functions),
    };
    let emu = builder
        .config(config)
        .start()
        .await
        .context("starting the emulator")?;
    let cred = emu
        .credentials()
        .first()
        .map(|c| c.access_key_id.clone())
        .unwrap_or_default();
    println!("object-lambda-emulator listening on {}", emu.endpoint_url());
    println!("data dir: {}  access key: {cred}", args.data_dir.display());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    emu.shutdown().await;
    Ok(())
}

/// The functions built into the binary. None yet: the `object-lambda` functions are wired
/// in when that crate lands.
fn register_functions(
    builder: object_lambda_emulator::EmulatorBuilder,
) -> (object_lambda_emulator::EmulatorBuilder, Vec<&'static str>) {
    (builder, Vec::new())
}
