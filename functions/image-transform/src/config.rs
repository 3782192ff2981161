//! The access-point payload: typed, defaulted, validated.
//!
//! The runtime parses `configuration.payload` with `serde_json::from_str::<Config>`, so the serde
//! names below are the payload keys. Unknown keys are rejected by serde; [`Config::validate`]
//! checks values and names the bad key.

use serde::Deserialize;

use crate::color::Rgba;
use crate::error::Error;

/// Largest width or height accepted for `width`, `height`, `max_width`, `max_height`.
pub const MAX_DIMENSION: u32 = 16_384;

/// How the image is fitted into `width` × `height` (sharp's meanings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Keep the aspect ratio, fill the box, crop what overflows (at `position`).
    Cover,
    /// Keep the aspect ratio, fit inside the box, letterbox with `background`.
    Contain,
    /// Stretch to exactly the box, ignoring the aspect ratio.
    Fill,
    /// Keep the aspect ratio, the largest size that is ≤ the box (default).
    #[default]
    Inside,
    /// Keep the aspect ratio, the smallest size that is ≥ the box.
    Outside,
}

/// One of the 9 gravities: where a crop is taken from or a watermark is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gravity {
    /// Top edge, centred horizontally.
    #[serde(alias = "top")]
    North,
    /// Top-right corner.
    #[serde(alias = "right top", alias = "top right")]
    Northeast,
    /// Right edge, centred vertically.
    #[serde(alias = "right")]
    East,
    /// Bottom-right corner.
    #[serde(alias = "right bottom", alias = "bottom right")]
    Southeast,
    /// Bottom edge, centred horizontally.
    #[serde(alias = "bottom")]
    South,
    /// Bottom-left corner.
    #[serde(alias = "left bottom", alias = "bottom left")]
    Southwest,
    /// Left edge, centred vertically.
    #[serde(alias = "left")]
    West,
    /// Top-left corner.
    #[serde(alias = "left top", alias = "top left")]
    Northwest,
    /// Centre (default for crops).
    #[default]
    #[serde(alias = "center")]
    Centre,
}

impl Gravity {
    /// Horizontal and vertical anchors: 0 = left/top, 1 = centre, 2 = right/bottom.
    pub(crate) fn anchors(self) -> (u8, u8) {
        match self {
            Self::Northwest => (0, 0),
            Self::North => (1, 0),
            Self::Northeast => (2, 0),
            Self::West => (0, 1),
            Self::Centre => (1, 1),
            Self::East => (2, 1),
            Self::Southwest => (0, 2),
            Self::South => (1, 2),
            Self::Southeast => (2, 2),
        }
    }
}

/// Output encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Same family as the input (JPEG → JPEG, PNG → PNG, WebP → WebP, GIF → PNG).
    #[default]
    Auto,
    /// Baseline JPEG (alpha is flattened onto `background`).
    #[serde(alias = "jpg")]
    Jpeg,
    /// PNG (8-bit, alpha kept).
    Png,
    /// WebP: lossy at `quality` (alpha kept).
    Webp,
}

/// The payload of the `image-transform` access point.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Target width in pixels (1..=16384). Absent: derived from `height` keeping the aspect
    /// ratio; both absent: no resize.
    pub width: Option<u32>,
    /// Target height in pixels (1..=16384). Absent: derived from `width`.
    pub height: Option<u32>,
    /// How to fit into `width` × `height` when both are given: `cover`, `contain`, `fill`,
    /// `inside` (default), `outside`.
    pub fit: Fit,
    /// Crop gravity for `fit: cover`: `centre` (default), `north`, `northeast`, `east`,
    /// `southeast`, `south`, `southwest`, `west`, `northwest` (also `top`, `right top`, ...).
    pub position: Gravity,
    /// Colour for `fit: contain` letterboxing and for flattening alpha into JPEG:
    /// `#rgb`, `#rrggbb` or `#rrggbbaa` (default `#ffffff`).
    pub background: String,
    /// Never upscale: a box larger than the image keeps the image's size (default `true`).
    pub without_enlargement: bool,
    /// Output format: `auto` (default), `jpeg`, `png`, `webp`.
    pub format: OutputFormat,
    /// JPEG/WebP quality 1..=100 (default 80). PNG ignores it.
    pub quality: u8,
    /// Keep the ICC profile and EXIF (orientation reset to 1) in JPEG/PNG output. Default `false`:
    /// all metadata is stripped. Lossy WebP output never carries metadata.
    pub keep_metadata: bool,
    /// Optional text and/or image watermark.
    pub watermark: Option<Watermark>,
    /// Let the query string of the user's request override `width`, `height`, `fit`, `format`
    /// and `quality` (default `false`); overrides are clamped to `max_width`/`max_height`.
    pub allow_request_overrides: bool,
    /// Upper bound for `width` overrides (default 4096).
    pub max_width: u32,
    /// Upper bound for `height` overrides (default 4096).
    pub max_height: u32,
    /// Reject inputs whose header declares more pixels than this (default 100,000,000), before
    /// any pixel buffer is allocated.
    pub max_input_pixels: u64,
    /// Reject inputs larger than this many bytes (default 52,428,800 = 50 MiB).
    pub max_input_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            width: None,
            height: None,
            fit: Fit::Inside,
            position: Gravity::Centre,
            background: "#ffffff".to_owned(),
            without_enlargement: true,
            format: OutputFormat::Auto,
            quality: 80,
            keep_metadata: false,
            watermark: None,
            allow_request_overrides: false,
            max_width: 4096,
            max_height: 4096,
            max_input_pixels: 100_000_000,
            max_input_bytes: 50 * 1024 * 1024,
        }
    }
}

/// `"watermark"`: text rendered from a template with the caller's identity, and/or an image.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Watermark {
    /// Text template. Placeholders: `{principal_id}`, `{arn}`, `{account_id}`, `{user_name}`
    /// (empty when the caller has none), `{date}` (UTC, `YYYY-MM-DD`), `{key}`. One line,
    /// at most 256 characters after expansion.
    pub text: Option<String>,
    /// Where the text goes: one of the 9 gravities (default `southeast`).
    pub position: Gravity,
    /// Distance from the edges as a fraction of the output's shorter side (default 0.02).
    pub margin: f32,
    /// 0 (invisible) ..= 1 (opaque); default 0.5.
    pub opacity: f32,
    /// Text height (font size in px) as a fraction of the output's shorter side (default 0.04).
    pub font_size: f32,
    /// Text colour `#rgb`, `#rrggbb` or `#rrggbbaa` (default `#ffffff`).
    pub color: String,
    /// Repeat the text (and image) across the whole output instead of placing it once.
    pub tile: bool,
    /// Draw a soft black shadow under the text so it stays legible on light areas (default
    /// `true`).
    pub shadow: bool,
    /// Optional image (logo) watermark.
    pub image: Option<ImageWatermark>,
}

impl Default for Watermark {
    fn default() -> Self {
        Self {
            text: None,
            position: Gravity::Southeast,
            margin: 0.02,
            opacity: 0.5,
            font_size: 0.04,
            color: "#ffffff".to_owned(),
            tile: false,
            shadow: true,
            image: None,
        }
    }
}

/// `"watermark": {"image": {...}}`: a PNG (or any supported format) overlay.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageWatermark {
    /// The overlay itself, base64 (standard alphabet), for small logos (≤ 1 MiB decoded).
    pub base64: Option<String>,
    /// Or an S3 key read through the supporting access point (fetched by the function).
    pub key: Option<String>,
    /// Overlay width as a fraction of the output width (default 0.2); the aspect ratio is kept.
    pub width: f32,
    /// Where it goes (default: the watermark's `position`).
    pub position: Option<Gravity>,
    /// Opacity (default: the watermark's `opacity`).
    pub opacity: Option<f32>,
}

impl Default for ImageWatermark {
    fn default() -> Self {
        Self {
            base64: None,
            key: None,
            width: 0.2,
            position: None,
            opacity: None,
        }
    }
}

/// Largest decoded size of a base64 overlay.
pub const MAX_OVERLAY_BYTES: usize = 1024 * 1024;

fn check_dimension(key: &str, value: Option<u32>) -> Result<(), Error> {
    match value {
        Some(v) if v == 0 || v > MAX_DIMENSION => Err(Error::payload(
            key,
            format!("must be between 1 and {MAX_DIMENSION}"),
        )),
        _ => Ok(()),
    }
}

fn check_fraction(key: &str, value: f32, min_exclusive: bool, max: f32) -> Result<(), Error> {
    let low_ok = if min_exclusive {
        value > 0.0
    } else {
        value >= 0.0
    };
    if value.is_finite() && low_ok && value <= max {
        Ok(())
    } else {
        Err(Error::payload(
            key,
            format!("must be a number in 0..={max}"),
        ))
    }
}

impl Config {
    /// Semantic checks; the error names the offending key.
    ///
    /// # Errors
    /// [`Error::InvalidPayload`] for the first bad value found.
    pub fn validate(&self) -> Result<(), Error> {
        check_dimension("width", self.width)?;
        check_dimension("height", self.height)?;
        check_dimension("max_width", Some(self.max_width))?;
        check_dimension("max_height", Some(self.max_height))?;
        if !(1..=100).contains(&self.quality) {
            return Err(Error::payload("quality", "must be between 1 and 100"));
        }
        Rgba::parse(&self.background).map_err(|m| Error::payload("background", m))?;
        if self.max_input_pixels == 0 {
            return Err(Error::payload("max_input_pixels", "must be positive"));
        }
        if self.max_input_bytes == 0 {
            return Err(Error::payload("max_input_bytes", "must be positive"));
        }
        if let Some(wm) = &self.watermark {
            wm.validate()?;
        }
        Ok(())
    }
}

impl Watermark {
    fn validate(&self) -> Result<(), Error> {
        if self.text.is_none() && self.image.is_none() {
            return Err(Error::payload("watermark", "needs `text` or `image`"));
        }
        if let Some(text) = &self.text {
            crate::template::check(text).map_err(|m| Error::payload("watermark.text", m))?;
        }
        check_fraction("watermark.margin", self.margin, false, 0.5)?;
        check_fraction("watermark.opacity", self.opacity, false, 1.0)?;
        check_fraction("watermark.font_size", self.font_size, true, 1.0)?;
        Rgba::parse(&self.color).map_err(|m| Error::payload("watermark.color", m))?;
        if let Some(image) = &self.image {
            match (&image.base64, &image.key) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(Error::payload(
                        "watermark.image",
                        "exactly one of `base64` and `key` is required",
                    ));
                }
                (Some(_), None) => {
                    image.decoded_base64()?;
                }
                (None, Some(key)) if key.is_empty() => {
                    return Err(Error::payload("watermark.image.key", "must not be empty"));
                }
                (None, Some(_)) => {}
            }
            check_fraction("watermark.image.width", image.width, true, 1.0)?;
            if let Some(opacity) = image.opacity {
                check_fraction("watermark.image.opacity", opacity, false, 1.0)?;
            }
        }
        Ok(())
    }
}

impl ImageWatermark {
    /// The overlay bytes from `base64`, if that is how it was given.
    ///
    /// # Errors
    /// [`Error::InvalidPayload`] naming `watermark.image.base64` if it is not valid base64 or
    /// decodes to more than [`MAX_OVERLAY_BYTES`].
    pub fn decoded_base64(&self) -> Result<Option<Vec<u8>>, Error> {
        use base64::Engine as _;
        let Some(text) = &self.base64 else {
            return Ok(None);
        };
        let key = "watermark.image.base64";
        if text.len() / 4 * 3 > MAX_OVERLAY_BYTES + 3 {
            return Err(Error::payload(key, "overlay larger than 1 MiB"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| Error::payload(key, "not valid base64"))?;
        if bytes.len() > MAX_OVERLAY_BYTES {
            return Err(Error::payload(key, "overlay larger than 1 MiB"));
        }
        Ok(Some(bytes))
    }
}
