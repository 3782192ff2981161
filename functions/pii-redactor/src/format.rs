//! Object formats and how to pick one from Content-Type and the object key.

/// How the object's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Plain text: every byte is searched.
    #[default]
    Text,
    /// JSON: string contents and numbers are searched; `redact_fields` apply by key.
    Json,
    /// JSON Lines (handled exactly like a sequence of JSON documents).
    JsonLines,
    /// CSV with a header row; `redact_fields` apply by column name.
    Csv,
    /// TSV with a header row.
    Tsv,
}

impl Format {
    /// Picks a format from the object's Content-Type, falling back to the key's extension.
    ///
    /// Generic types (`text/plain`, `application/octet-stream`, none) defer to the extension.
    pub fn from_hint(content_type: Option<&str>, key: Option<&str>) -> Format {
        if let Some(ct) = content_type {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let f = match essence.as_str() {
                "application/x-ndjson"
                | "application/jsonl"
                | "application/x-jsonlines"
                | "application/jsonlines"
                | "application/ndjson"
                | "application/json-seq" => Some(Format::JsonLines),
                "text/csv" | "application/csv" => Some(Format::Csv),
                "text/tab-separated-values" => Some(Format::Tsv),
                e if e == "application/json" || e.ends_with("+json") || e == "text/json" => {
                    Some(Format::Json)
                }
                _ => None,
            };
            if let Some(f) = f {
                return f;
            }
        }
        let ext = key
            .and_then(|k| k.rsplit('/').next())
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("json") => Format::Json,
            Some("jsonl" | "ndjson") => Format::JsonLines,
            Some("csv") => Format::Csv,
            Some("tsv" | "tab") => Format::Tsv,
            _ => Format::Text,
        }
    }

    pub(crate) fn is_json(self) -> bool {
        matches!(self, Format::Json | Format::JsonLines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(
            Format::from_hint(Some("application/json; charset=utf-8"), None),
            Format::Json
        );
        assert_eq!(
            Format::from_hint(Some("application/x-ndjson"), Some("a.json")),
            Format::JsonLines
        );
        assert_eq!(
            Format::from_hint(Some("text/plain"), Some("logs/a.csv")),
            Format::Csv
        );
        assert_eq!(
            Format::from_hint(None, Some("x/y.JSONL")),
            Format::JsonLines
        );
        assert_eq!(Format::from_hint(None, Some("x.d/readme")), Format::Text);
        assert_eq!(
            Format::from_hint(Some("application/vnd.api+json"), None),
            Format::Json
        );
    }
}
