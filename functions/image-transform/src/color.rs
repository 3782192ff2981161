//! `#rgb` / `#rrggbb` / `#rrggbbaa` colours.

/// An 8-bit straight-alpha colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgba(pub(crate) [u8; 4]);

impl Rgba {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let hex = text
            .strip_prefix('#')
            .ok_or_else(|| "expected a colour like #rrggbb".to_owned())?;
        let nibble = |c: u8| -> Result<u8, String> {
            (c as char)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or_else(|| "expected hexadecimal digits".to_owned())
        };
        let bytes = hex.as_bytes();
        let mut out = [0, 0, 0, 255];
        match bytes.len() {
            3 => {
                for (slot, &c) in out.iter_mut().zip(bytes) {
                    *slot = nibble(c)? * 17;
                }
            }
            6 | 8 => {
                for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
                    *slot = nibble(pair[0])? * 16 + nibble(pair[1])?;
                }
            }
            _ => return Err("expected #rgb, #rrggbb or #rrggbbaa".to_owned()),
        }
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(Rgba::parse("#fff"), Ok(Rgba([255, 255, 255, 255])));
        assert_eq!(Rgba::parse("#102030"), Ok(Rgba([16, 32, 48, 255])));
        assert_eq!(Rgba::parse("#10203080"), Ok(Rgba([16, 32, 48, 128])));
        assert!(Rgba::parse("white").is_err());
        assert!(Rgba::parse("#12345").is_err());
        assert!(Rgba::parse("#gggggg").is_err());
    }
}
