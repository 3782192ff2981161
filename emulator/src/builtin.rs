//! The functions built into the binary, run in-process through their object-lambda `Handler`s.

use object_lambda_emulator::{Credential, EmulatorBuilder, InProcess};

/// Names of the built-in functions (one default Object Lambda Access Point each).
pub(crate) const NAMES: &[&str] = &[
    "image-transform",
    "passthrough",
    "pii-redactor",
    "xml-to-json",
];

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
