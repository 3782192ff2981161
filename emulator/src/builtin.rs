//! The functions built into the binary, run in-process through their object-lambda `Handler`s,
//! and the zero-config default that shows each of them at work.

use object_lambda_emulator::{Config, Credential, EmulatorBuilder, InProcess, Template};

/// Names of the built-in functions (one default Object Lambda Access Point each).
pub(crate) const NAMES: &[&str] = &[
    "image-transform",
    "passthrough",
    "pii-redactor",
    "xml-to-json",
];

/// The repository's SAM template, embedded when the binary is built. Its parameter defaults are
/// the payloads a deployment gets, so the zero-config emulator reads them from here rather than
/// keeping a second copy that could drift (resize + watermark for image-transform, every PII
/// type for pii-redactor).
const TEMPLATE: &str = include_str!("../../template.yaml");

/// The built-in default ([`Config::default_for`]) with each Object Lambda Access Point's payload
/// taken from the embedded `template.yaml`, so `GET /image-transform/photo.jpg` shows a resized,
/// watermarked photo rather than the original.
pub(crate) fn default_config() -> Result<Config, object_lambda_emulator::TemplateError> {
    let template = Template::parse(TEMPLATE, &[])?;
    let mut config = Config::default_for(NAMES);
    for olap in &mut config.object_lambda_access_points {
        if let Some(deployed) = template
            .config
            .object_lambda_access_points
            .iter()
            .find(|o| o.function == olap.function)
        {
            olap.payload.clone_from(&deployed.payload);
        }
    }
    Ok(config)
}

/// Registers every built-in function; WGOR is signed with `credential`.
pub(crate) fn register(builder: EmulatorBuilder, credential: &Credential) -> EmulatorBuilder {
    builder
        .function(
            "image-transform",
            InProcess::new(image_transform::function::ImageTransform, credential),
        )
        .function(
            "passthrough",
            InProcess::new(passthrough::function::Passthrough, credential),
        )
        .function(
            "pii-redactor",
            InProcess::new(pii_redactor::function::PiiRedactor, credential),
        )
        .function(
            "xml-to-json",
            InProcess::new(xml_to_json::function::XmlToJson, credential),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(config: &Config, function: &str) -> serde_json::Value {
        let olap = config
            .object_lambda_access_points
            .iter()
            .find(|o| o.function == function)
            .unwrap_or_else(|| panic!("no access point for {function}"));
        serde_json::from_str(&olap.payload).unwrap_or_else(|e| panic!("{function}: {e}"))
    }

    #[test]
    fn default_access_points_carry_the_templates_payloads() {
        let config = default_config().expect("the embedded template parses");
        assert_eq!(config.object_lambda_access_points.len(), NAMES.len());
        let image = payload(&config, "image-transform");
        assert!(image["width"].as_u64().is_some_and(|w| w > 0), "{image}");
        let text = image["watermark"]["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("{user_name}") && text.contains("{date}"),
            "{image}"
        );
        assert_eq!(payload(&config, "pii-redactor")["entity_types"], "ALL");
        assert_eq!(payload(&config, "passthrough"), serde_json::json!({}));
    }

    /// Each built-in function accepts its default payload (a bad one would fail every request).
    #[test]
    fn default_payloads_are_valid_for_their_functions() {
        use object_lambda::Transform;
        fn check<T: Transform>(t: &T, payload: &str) -> Result<(), String> {
            let config = object_lambda::parse_payload::<T::Config>(payload)
                .map_err(|e| format!("{payload}: {e}"))?;
            t.validate(&config).map_err(|e| format!("{payload}: {e}"))
        }
        let config = default_config().expect("the embedded template parses");
        for olap in &config.object_lambda_access_points {
            let payload = &olap.payload;
            let checked = match olap.function.as_str() {
                "image-transform" => check(&image_transform::function::ImageTransform, payload),
                "passthrough" => check(&passthrough::function::Passthrough, payload),
                "pii-redactor" => check(&pii_redactor::function::PiiRedactor, payload),
                "xml-to-json" => check(&xml_to_json::function::XmlToJson, payload),
                other => Err(format!("unexpected function {other}")),
            };
            assert_eq!(checked, Ok(()), "{}", olap.name);
        }
    }
}
