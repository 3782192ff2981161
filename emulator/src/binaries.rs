//! `--functions-dir`: run the functions the configuration uses as their real binaries.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use object_lambda_emulator::{
    Config, Credential, EmulatorBuilder, ProcessFunction, Template, locate_binary,
};

/// Registers a [`ProcessFunction`] for every function of `config` found in `dir`
/// (`dir/<name>/bootstrap` or `dir/<name>`), over the built-in one of the same name.
/// `template` gives memory size, log settings and environment. A function neither found nor
/// built in is an error naming the paths tried.
pub(crate) fn register(
    mut builder: EmulatorBuilder,
    config: &Config,
    template: Option<&Template>,
    dir: Option<&Path>,
    credential: &Credential,
    max_processes: usize,
) -> anyhow::Result<EmulatorBuilder> {
    let names: BTreeSet<&str> = config
        .object_lambda_access_points
        .iter()
        .map(|o| o.function.as_str())
        .collect();
    for name in names {
        let found = dir.and_then(|d| locate_binary(d, name));
        let Some(program) = found else {
            if crate::builtin::NAMES.contains(&name) {
                tracing::info!(function = name, "in-process (built in)");
                continue;
            }
            match dir {
                Some(d) => anyhow::bail!(
                    "function `{name}`: neither {} nor {} exists, and it is not built in",
                    d.join(name).join("bootstrap").display(),
                    d.join(name).display()
                ),
                None => anyhow::bail!(
                    "function `{name}` is not built into the emulator: build the binaries \
                     (`cargo lambda build`, or `cargo build --release`) and pass \
                     `--functions-dir target/lambda` (or `target/release`)"
                ),
            }
        };
        let mut f = ProcessFunction::builder(name, &program)
            .credential(credential.clone())
            .max_processes(max_processes);
        if let Some(tf) = template.and_then(|t| t.function(name)) {
            f = f.memory_mb(tf.memory_mb);
            if let Some(format) = &tf.log_format {
                f = f.log_format(format);
            }
            if let Some(level) = &tf.log_level {
                f = f.log_level(level);
            }
            for (k, v) in &tf.environment {
                f = f.env(k, v);
            }
        }
        tracing::info!(function = name, program = %program.display(), "runs as a process (Lambda Runtime API)");
        builder = builder.function(name, Arc::new(f.build()));
    }
    Ok(builder)
}

/// `--parameter NAME=VALUE`.
pub(crate) fn parse_parameter(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE"))
}
