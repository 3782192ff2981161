//! Incremental JSON / CSV tokenizers. They label every byte with a class (is it searchable
//! text, a JSON number, an escape, structure?) and a field id (is it inside a value that
//! `redact_fields` redacts whole), so redaction never breaks the document's syntax.

/// Searchable content: JSON string content or a CSV cell.
pub(crate) const PLAIN: u8 = 0;
/// First byte of an escape (JSON backslash, first quote of a CSV doubled quote).
pub(crate) const ESC_START: u8 = 1;
/// Remaining bytes of an escape.
pub(crate) const ESC_CONT: u8 = 2;
/// A JSON number.
pub(crate) const NUM: u8 = 3;
/// Everything else: quotes, delimiters, whitespace between tokens, literals.
pub(crate) const STRUCT: u8 = 4;
/// Field-id bit marking the first byte of a redacted value.
pub(crate) const RUN_START: u8 = 0x80;

const MAX_DEPTH: usize = 4096;
const MAX_NAME: usize = 128;
const MAX_COLUMNS: usize = 4096;

/// Lower-cased `redact_fields` names; the field id of a name is its index + 1.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldNames(Vec<Vec<u8>>);

impl FieldNames {
    pub(crate) fn new(names: &[String]) -> FieldNames {
        FieldNames(
            names
                .iter()
                .map(|n| n.trim().to_ascii_lowercase().into_bytes())
                .collect(),
        )
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn id(&self, name: &[u8]) -> u8 {
        let name = name
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(name)
            .trim_ascii();
        self.0
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .and_then(|i| u8::try_from(i + 1).ok())
            .filter(|id| *id < RUN_START)
            .unwrap_or(0)
    }
}

/// A tokenizer for one structured format.
#[derive(Debug)]
pub(crate) enum Tokenizer {
    Json(Box<Json>),
    Csv(Box<Csv>),
}

impl Tokenizer {
    pub(crate) fn json(fields: FieldNames) -> Tokenizer {
        Tokenizer::Json(Box::new(Json::new(fields)))
    }

    pub(crate) fn csv(fields: FieldNames, delim: u8) -> Tokenizer {
        Tokenizer::Csv(Box::new(Csv::new(fields, delim)))
    }

    /// Labels `bytes`, appending one entry per byte to `class` and `field`. May relabel the last
    /// byte labelled by the previous call (a CSV quote is only understood one byte later).
    pub(crate) fn feed(&mut self, bytes: &[u8], class: &mut Vec<u8>, field: &mut Vec<u8>) {
        match self {
            Tokenizer::Json(j) => bytes.iter().for_each(|b| j.byte(*b, class, field)),
            Tokenizer::Csv(c) => bytes.iter().for_each(|b| c.byte(*b, class, field)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JState {
    Between,
    Str,
    Esc,
    Unicode(u8),
    Num,
    Literal,
}

/// JSON / JSON Lines tokenizer (tolerant: bad syntax degrades to "not searchable", never an error).
#[derive(Debug)]
pub(crate) struct Json {
    fields: FieldNames,
    state: JState,
    /// `true` = object, `false` = array.
    stack: Vec<bool>,
    overflow: usize,
    expect_key: bool,
    in_key: bool,
    key: Vec<u8>,
    pending: u8,
    region: Option<(usize, u8)>,
    cur: u8,
    started: bool,
}

impl Json {
    fn new(fields: FieldNames) -> Json {
        Json {
            fields,
            state: JState::Between,
            stack: Vec::new(),
            overflow: 0,
            expect_key: false,
            in_key: false,
            key: Vec::new(),
            pending: 0,
            region: None,
            cur: 0,
            started: false,
        }
    }

    fn depth(&self) -> usize {
        self.stack.len() + self.overflow
    }

    fn in_object(&self) -> bool {
        self.overflow == 0 && self.stack.last() == Some(&true)
    }

    /// The field id a value starting now belongs to.
    fn value_field(&self) -> u8 {
        match self.region {
            Some((_, id)) => id,
            None if self.in_object() && !self.expect_key => self.pending,
            None => 0,
        }
    }

    fn mark(&mut self, id: u8, field: &mut Vec<u8>) {
        if id == 0 {
            field.push(0);
        } else if self.started {
            field.push(id);
        } else {
            self.started = true;
            field.push(id | RUN_START);
        }
    }

    fn byte(&mut self, b: u8, class: &mut Vec<u8>, field: &mut Vec<u8>) {
        match self.state {
            JState::Str => match b {
                b'\\' => {
                    class.push(ESC_START);
                    self.mark(self.cur, field);
                    self.state = JState::Esc;
                }
                b'"' => {
                    class.push(STRUCT);
                    field.push(0);
                    self.state = JState::Between;
                    if !self.in_key {
                        self.pending = 0;
                    }
                }
                _ => {
                    class.push(PLAIN);
                    self.mark(self.cur, field);
                    if self.in_key && self.key.len() < MAX_NAME {
                        self.key.push(b);
                    }
                }
            },
            JState::Esc => {
                class.push(ESC_CONT);
                self.mark(self.cur, field);
                self.state = if b == b'u' {
                    JState::Unicode(4)
                } else {
                    JState::Str
                };
            }
            JState::Unicode(left) => {
                class.push(ESC_CONT);
                self.mark(self.cur, field);
                self.state = if left <= 1 {
                    JState::Str
                } else {
                    JState::Unicode(left - 1)
                };
            }
            JState::Num => {
                if matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                    class.push(NUM);
                    self.mark(self.cur, field);
                } else {
                    self.state = JState::Between;
                    self.pending = 0;
                    self.between(b, class, field);
                }
            }
            JState::Literal => {
                if b.is_ascii_alphanumeric() {
                    class.push(STRUCT);
                    field.push(0);
                } else {
                    self.state = JState::Between;
                    self.pending = 0;
                    self.between(b, class, field);
                }
            }
            JState::Between => self.between(b, class, field),
        }
    }

    fn between(&mut self, b: u8, class: &mut Vec<u8>, field: &mut Vec<u8>) {
        match b {
            b'"' => {
                class.push(STRUCT);
                field.push(0);
                self.in_key = self.in_object() && self.expect_key;
                if self.in_key {
                    self.key.clear();
                    self.cur = 0;
                } else {
                    self.cur = self.value_field();
                }
                self.started = false;
                self.state = JState::Str;
            }
            b'-' | b'0'..=b'9' => {
                class.push(NUM);
                self.cur = if self.in_object() && self.expect_key {
                    0
                } else {
                    self.value_field()
                };
                self.started = false;
                self.mark(self.cur, field);
                self.state = JState::Num;
            }
            b'{' | b'[' => {
                class.push(STRUCT);
                field.push(0);
                let id = self.value_field();
                if id != 0 && self.region.is_none() {
                    self.region = Some((self.depth(), id));
                }
                if self.stack.len() < MAX_DEPTH && self.overflow == 0 {
                    self.stack.push(b == b'{');
                } else {
                    self.overflow += 1;
                }
                self.expect_key = b == b'{';
                self.pending = 0;
            }
            b'}' | b']' => {
                class.push(STRUCT);
                field.push(0);
                if self.overflow > 0 {
                    self.overflow -= 1;
                } else {
                    self.stack.pop();
                }
                if self.region.is_some_and(|(d, _)| d >= self.depth()) {
                    self.region = None;
                }
                self.expect_key = false;
                self.pending = 0;
            }
            b':' => {
                class.push(STRUCT);
                field.push(0);
                if self.in_object() {
                    self.pending = self.fields.id(&self.key);
                    self.expect_key = false;
                }
            }
            b',' => {
                class.push(STRUCT);
                field.push(0);
                self.pending = 0;
                if self.in_object() {
                    self.expect_key = true;
                }
            }
            b'\n' if self.depth() == 0 => {
                // JSON Lines: a new record.
                class.push(STRUCT);
                field.push(0);
                self.region = None;
            }
            _ => {
                class.push(STRUCT);
                field.push(0);
                if b.is_ascii_alphabetic() {
                    self.state = JState::Literal;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteSeen,
}

/// CSV / TSV tokenizer (RFC 4180 quoting; the first record is the header).
#[derive(Debug)]
pub(crate) struct Csv {
    fields: FieldNames,
    delim: u8,
    state: CState,
    col: usize,
    header_done: bool,
    header: Vec<Vec<u8>>,
    cols: Vec<u8>,
    started: bool,
    /// Bytes of a leading UTF-8 byte-order mark seen so far (3 = none possible any more).
    bom: usize,
}

impl Csv {
    fn new(fields: FieldNames, delim: u8) -> Csv {
        Csv {
            fields,
            delim,
            state: CState::FieldStart,
            col: 0,
            header_done: false,
            header: Vec::new(),
            cols: Vec::new(),
            started: false,
            bom: 0,
        }
    }

    fn cell_id(&self) -> u8 {
        if self.header_done {
            self.cols.get(self.col).copied().unwrap_or(0)
        } else {
            0
        }
    }

    fn content(&mut self, b: u8, cls: u8, class: &mut Vec<u8>, field: &mut Vec<u8>) {
        class.push(cls);
        let id = self.cell_id();
        if id == 0 {
            field.push(0);
        } else if self.started {
            field.push(id);
        } else {
            self.started = true;
            field.push(id | RUN_START);
        }
        if !self.header_done && self.col < MAX_COLUMNS {
            if self.header.len() <= self.col {
                self.header.resize(self.col + 1, Vec::new());
            }
            let name = &mut self.header[self.col];
            if name.len() < MAX_NAME {
                name.push(b);
            }
        }
    }

    fn next_cell(&mut self) {
        self.col += 1;
        self.started = false;
        self.state = CState::FieldStart;
    }

    fn end_row(&mut self) {
        if !self.header_done {
            self.header_done = true;
            self.cols = self.header.iter().map(|n| self.fields.id(n)).collect();
            self.header = Vec::new();
        }
        self.col = 0;
        self.started = false;
        self.state = CState::FieldStart;
    }

    fn structural(&mut self, b: u8, class: &mut Vec<u8>, field: &mut Vec<u8>) -> bool {
        if b == self.delim {
            self.next_cell();
        } else if b == b'\n' {
            self.end_row();
        } else if b != b'\r' {
            return false;
        }
        class.push(STRUCT);
        field.push(0);
        true
    }

    fn byte(&mut self, b: u8, class: &mut Vec<u8>, field: &mut Vec<u8>) {
        if self.bom < 3 {
            // A leading byte-order mark is not part of the first column's name.
            if b == b"\xEF\xBB\xBF"[self.bom] {
                self.bom += 1;
                class.push(STRUCT);
                field.push(0);
                return;
            }
            self.bom = 3;
        }
        match self.state {
            CState::FieldStart => {
                if b == b'"' {
                    class.push(STRUCT);
                    field.push(0);
                    self.state = CState::Quoted;
                } else if !self.structural(b, class, field) {
                    self.state = CState::Unquoted;
                    self.content(b, PLAIN, class, field);
                }
            }
            CState::Unquoted => {
                if !self.structural(b, class, field) {
                    self.content(b, PLAIN, class, field);
                }
            }
            CState::Quoted => {
                if b == b'"' {
                    // Closing quote unless the next byte is another quote.
                    class.push(STRUCT);
                    field.push(0);
                    self.state = CState::QuoteSeen;
                } else {
                    self.content(b, PLAIN, class, field);
                }
            }
            CState::QuoteSeen => {
                if b == b'"' {
                    // A doubled quote: relabel the previous byte as the escape's start.
                    class.pop();
                    field.pop();
                    self.content(b'"', ESC_START, class, field);
                    class.push(ESC_CONT);
                    let last = field.last().copied().unwrap_or(0) & !RUN_START;
                    field.push(last);
                    self.state = CState::Quoted;
                } else if !self.structural(b, class, field) {
                    // Tolerated junk after a closing quote: treat it as unquoted content.
                    self.state = CState::Unquoted;
                    self.content(b, PLAIN, class, field);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(tok: &mut Tokenizer, s: &str) -> (Vec<u8>, Vec<u8>) {
        let (mut c, mut f) = (Vec::new(), Vec::new());
        tok.feed(s.as_bytes(), &mut c, &mut f);
        assert_eq!(c.len(), s.len());
        assert_eq!(f.len(), s.len());
        (c, f)
    }

    #[test]
    fn json_fields_and_classes() {
        let mut t = Tokenizer::json(FieldNames::new(&["name".into(), "addr".into()]));
        let s = r#"{"name": "Al\"x", "n": 12, "addr": {"city": "Rome", "zip": 123}, "ok": "y"}"#;
        let (c, f) = label(&mut t, s);
        let flagged: String = s
            .bytes()
            .zip(&f)
            .filter(|(_, f)| **f != 0)
            .map(|(b, _)| b as char)
            .collect();
        assert_eq!(flagged, r#"Al\"xRome123"#);
        let nums: String = s
            .bytes()
            .zip(&c)
            .filter(|(_, c)| **c == NUM)
            .map(|(b, _)| b as char)
            .collect();
        assert_eq!(nums, "12123");
        assert_eq!(f.iter().filter(|f| **f & RUN_START != 0).count(), 3);
    }

    #[test]
    fn csv_columns_and_quotes() {
        let mut t = Tokenizer::csv(FieldNames::new(&["Name".into()]), b',');
        let s = "id,name\n1,\"Doe, \"\"J\"\"\"\n2,Bob\n";
        let (c, f) = label(&mut t, s);
        let flagged: String = s
            .bytes()
            .zip(&f)
            .filter(|(_, f)| **f != 0)
            .map(|(b, _)| b as char)
            .collect();
        assert_eq!(flagged, "Doe, \"\"J\"\"Bob");
        assert_eq!(c.iter().filter(|c| **c == ESC_START).count(), 2);
    }
}
