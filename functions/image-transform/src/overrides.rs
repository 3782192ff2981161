//! Per-request overrides from the user's query string (`allow_request_overrides`).

use crate::config::{Config, Fit, OutputFormat};
use crate::error::Error;

fn parse_dimension(key: &str, value: &str, max: u32) -> Result<u32, Error> {
    let v: u32 = value
        .parse()
        .map_err(|_| Error::payload(key, "must be a positive integer"))?;
    if v == 0 {
        return Err(Error::payload(key, "must be a positive integer"));
    }
    Ok(v.min(max))
}

/// Applies `width`/`w`, `height`/`h`, `fit`, `format`/`f`, `quality`/`q` from the query pairs of
/// `userRequest.url` when `config.allow_request_overrides` is set; otherwise returns the config
/// unchanged. Dimensions are clamped to `max_width`/`max_height`, quality to 1..=100. Other
/// query keys are ignored (they belong to the request, not to us).
///
/// # Errors
/// [`Error::InvalidPayload`] naming `query.<key>` for an unparsable value.
pub fn apply_request_overrides(
    config: &Config,
    query: &[(String, String)],
) -> Result<Config, Error> {
    let mut out = config.clone();
    if !config.allow_request_overrides {
        return Ok(out);
    }
    for (key, value) in query {
        match key.as_str() {
            "width" | "w" => {
                out.width = Some(parse_dimension("query.width", value, config.max_width)?);
            }
            "height" | "h" => {
                out.height = Some(parse_dimension("query.height", value, config.max_height)?);
            }
            "fit" => {
                out.fit = match value.to_ascii_lowercase().as_str() {
                    "cover" => Fit::Cover,
                    "contain" => Fit::Contain,
                    "fill" => Fit::Fill,
                    "inside" => Fit::Inside,
                    "outside" => Fit::Outside,
                    _ => {
                        return Err(Error::payload(
                            "query.fit",
                            "cover|contain|fill|inside|outside",
                        ));
                    }
                };
            }
            "format" | "f" => {
                out.format = match value.to_ascii_lowercase().as_str() {
                    "auto" => OutputFormat::Auto,
                    "jpeg" | "jpg" => OutputFormat::Jpeg,
                    "png" => OutputFormat::Png,
                    "webp" => OutputFormat::Webp,
                    _ => return Err(Error::payload("query.format", "auto|jpeg|png|webp")),
                };
            }
            "quality" | "q" => {
                let q: u32 = value
                    .parse()
                    .map_err(|_| Error::payload("query.quality", "must be an integer 1..=100"))?;
                out.quality = u8::try_from(q.clamp(1, 100)).unwrap_or(100);
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn ignored_unless_allowed() {
        let config = Config::default();
        let out = apply_request_overrides(&config, &q(&[("width", "10")])).unwrap();
        assert_eq!(out, config);
    }

    #[test]
    fn applied_and_clamped() {
        let config = Config {
            allow_request_overrides: true,
            max_width: 800,
            ..Config::default()
        };
        let out = apply_request_overrides(
            &config,
            &q(&[
                ("w", "5000"),
                ("h", "300"),
                ("fit", "cover"),
                ("f", "webp"),
                ("q", "400"),
                ("x", "y"),
            ]),
        )
        .unwrap();
        assert_eq!(out.width, Some(800));
        assert_eq!(out.height, Some(300));
        assert_eq!(out.fit, Fit::Cover);
        assert_eq!(out.format, OutputFormat::Webp);
        assert_eq!(out.quality, 100);
    }

    #[test]
    fn bad_values_name_the_key() {
        let config = Config {
            allow_request_overrides: true,
            ..Config::default()
        };
        let err = apply_request_overrides(&config, &q(&[("width", "abc")])).unwrap_err();
        assert!(matches!(err, Error::InvalidPayload { ref key, .. } if key == "query.width"));
        let err = apply_request_overrides(&config, &q(&[("fit", "crop")])).unwrap_err();
        assert!(matches!(err, Error::InvalidPayload { ref key, .. } if key == "query.fit"));
    }
}
