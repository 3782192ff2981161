//! Whole-process timing harness until the Lambda binary exists:
//! `transform_file IN OUT [--width N] [--height N] [--fit F] [--format F] [--quality Q]
//! [--text TEMPLATE] [--user NAME] [--repeat N]`. Exit 2 with the error on stderr for rejected
//! input. `--repeat N` also times N in-process runs (after one warm-up) and prints the median.

use std::process::ExitCode;

use image_transform::{CallerInfo, Config, Fit, OutputFormat, Watermark, transform};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: transform_file IN OUT [--width N] [--height N] [--fit F] [--format F] [--quality Q] [--text T] [--user NAME]".into());
    };
    let mut config = Config::default();
    let mut repeat = 0usize;
    let mut caller = CallerInfo {
        user_name: Some("alice@example.com".to_owned()),
        date: image_transform::utc_date(1_796_000_000),
        ..CallerInfo::default()
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or("missing value")?;
        match flag.as_str() {
            "--width" => config.width = Some(value.parse()?),
            "--height" => config.height = Some(value.parse()?),
            "--quality" => config.quality = value.parse()?,
            "--user" => caller.user_name = Some(value),
            "--repeat" => repeat = value.parse()?,
            "--fit" => {
                config.fit = match value.as_str() {
                    "cover" => Fit::Cover,
                    "contain" => Fit::Contain,
                    "fill" => Fit::Fill,
                    "outside" => Fit::Outside,
                    _ => Fit::Inside,
                };
            }
            "--format" => {
                config.format = match value.as_str() {
                    "jpeg" | "jpg" => OutputFormat::Jpeg,
                    "png" => OutputFormat::Png,
                    "webp" => OutputFormat::Webp,
                    _ => OutputFormat::Auto,
                };
            }
            "--text" => {
                config.watermark = Some(Watermark {
                    text: Some(value),
                    opacity: 0.8,
                    ..Watermark::default()
                });
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if config.height.is_none() {
        config.height = config.width;
    }
    let bytes = std::fs::read(&input)?;
    let out = transform(&bytes, &config, &caller, None)?;
    std::fs::write(&output, &out.bytes)?;
    if repeat > 0 {
        let mut times: Vec<f64> = (0..repeat)
            .map(|_| {
                let start = std::time::Instant::now();
                let result = transform(&bytes, &config, &caller, None);
                let elapsed = start.elapsed().as_secs_f64() * 1000.0;
                drop(std::hint::black_box(result));
                elapsed
            })
            .collect();
        times.sort_by(f64::total_cmp);
        eprintln!(
            "in-process median of {repeat}: {:.1} ms (min {:.1}, max {:.1})",
            times[repeat / 2],
            times[0],
            times[repeat - 1]
        );
    }
    Ok(())
}
