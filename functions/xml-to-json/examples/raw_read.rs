//! Baseline for the benchmarks: quick-xml reading every event of stdin (attribute values
//! normalised, text EOL-normalised) and producing nothing. `raw_read < in.xml`

use std::io::Read;

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input)?;
    let mut reader = Reader::from_reader(input.as_slice());
    let (mut events, mut bytes) = (0u64, 0usize);
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) => {
                for a in e.attributes() {
                    bytes += a?.normalized_value(XmlVersion::Implicit1_0)?.len();
                }
            }
            Event::Text(t) => bytes += t.xml_content(XmlVersion::Implicit1_0).len(),
            Event::Eof => break,
            _ => {}
        }
        events += 1;
    }
    eprintln!("{events} events, {bytes} bytes of values");
    Ok(())
}
