//! Fuzz the XML → JSON converter: arbitrary bytes, fed in chunks, under tight limits.
//! The first byte picks the configuration and the chunk size; conversion must never
//! panic, and any output it accepts must be valid JSON (or NDJSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xml_to_json::{Config, Converter, ForceList};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let limits = Config {
        max_depth: 64,
        max_attributes: 64,
        max_namespace_declarations: 16,
        max_text_bytes: 4096,
        max_output_bytes: 1 << 20,
        ..Config::default()
    };
    let config = match selector % 5 {
        0 => limits,
        1 => Config {
            process_namespaces: true,
            force_list: ForceList::All(true),
            ..limits
        },
        2 => Config {
            ordered: true,
            strip_whitespace: false,
            ..limits
        },
        3 => Config {
            item_depth: 2,
            ..limits
        },
        _ => Config {
            pretty: true,
            attr_prefix: String::new(),
            ..limits
        },
    };
    let chunk = usize::from(selector / 5).max(1);
    let Some(inline) = convert(&config, input, chunk, false) else {
        return;
    };
    // The two-thread converter gives the same output and the same errors.
    let piped = convert(&config, input, chunk, true);
    assert_eq!(
        piped.as_ref(),
        Some(&inline),
        "pipelined conversion differs"
    );
    let Ok(out) = inline else {
        return;
    };
    let text = std::str::from_utf8(&out).expect("output is UTF-8");
    if config.item_depth > 0 {
        for line in text.lines() {
            assert!(balanced(line), "record is not balanced JSON");
        }
    } else {
        assert!(balanced(text), "output is not balanced JSON");
    }
});

fn convert(
    config: &Config,
    input: &[u8],
    chunk: usize,
    pipelined: bool,
) -> Option<Result<Vec<u8>, String>> {
    let mut conv = Converter::new(config.clone()).ok()?;
    conv.set_pipelined(pipelined);
    let mut out = Vec::new();
    for piece in input.chunks(chunk) {
        if let Err(e) = conv.feed(piece, &mut out) {
            return Some(Err(format!("{e:?}")));
        }
    }
    Some(
        conv.finish(&mut out)
            .map(|()| out)
            .map_err(|e| format!("{e:?}")),
    )
}

/// Brackets balance outside strings and strings close: a cheap structural JSON check
/// (the fuzz workspace has no JSON parser; the crate's proptests parse outputs fully).
fn balanced(text: &str) -> bool {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, c) if c < ' ' => return false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => stack.push(c),
            '}' => {
                if stack.pop() != Some('{') {
                    return false;
                }
            }
            ']' => {
                if stack.pop() != Some('[') {
                    return false;
                }
            }
            _ => {}
        }
    }
    !in_string && stack.is_empty() && !text.trim().is_empty()
}
