//! Output geometry per `fit` (sharp's meanings), computed in displayed (upright) coordinates.

use crate::config::{Fit, Gravity};

/// A rectangle `(x, y, width, height)`.
pub(crate) type Rect = (u32, u32, u32, u32);

/// What to do with an upright `src` image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Size after resampling the whole image.
    pub(crate) resize: (u32, u32),
    /// `cover`: the part of the resized image that is kept.
    pub(crate) crop: Option<Rect>,
    /// `contain`: canvas size and where the resized image goes on it.
    pub(crate) canvas: Option<Rect>,
}

/// `a * num / den`, rounded, at least 1.
fn scale(a: u32, num: u32, den: u32) -> u32 {
    let den = u64::from(den.max(1));
    let v = (u64::from(a) * u64::from(num) * 2 + den) / (den * 2);
    u32::try_from(v.max(1)).unwrap_or(u32::MAX)
}

/// Offset of a `inner`-long span inside `outer` at anchor 0 (start), 1 (centre), 2 (end).
pub(crate) fn anchor_offset(outer: u32, inner: u32, anchor: u8) -> u32 {
    let free = outer.saturating_sub(inner);
    match anchor {
        0 => 0,
        1 => free / 2,
        _ => free,
    }
}

/// Size of `src` scaled so that it fits inside (`grow = false`) or covers (`grow = true`) `w`×`h`.
fn fit_box(src: (u32, u32), w: u32, h: u32, grow: bool) -> (u32, u32) {
    let (sw, sh) = src;
    // Compare w/sw with h/sh exactly: w*sh vs h*sw.
    let width_limits = u64::from(w) * u64::from(sh) <= u64::from(h) * u64::from(sw);
    if width_limits != grow {
        (w, scale(sh, w, sw))
    } else {
        (scale(sw, h, sh), h)
    }
}

/// Plans the resize of an upright `src` image.
pub(crate) fn plan(
    src: (u32, u32),
    width: Option<u32>,
    height: Option<u32>,
    fit: Fit,
    position: Gravity,
    without_enlargement: bool,
) -> Plan {
    let (sw, sh) = src;
    let keep = |size: (u32, u32)| -> (u32, u32) {
        if without_enlargement && (size.0 > sw || size.1 > sh) {
            src
        } else {
            size
        }
    };
    let simple = |resize| Plan {
        resize,
        crop: None,
        canvas: None,
    };
    match (width, height) {
        (None, None) => simple(src),
        (Some(w), None) => simple(keep((w, scale(sh, w, sw)))),
        (None, Some(h)) => simple(keep((scale(sw, h, sh), h))),
        (Some(w), Some(h)) => match fit {
            Fit::Fill => {
                if without_enlargement {
                    simple((w.min(sw), h.min(sh)))
                } else {
                    simple((w, h))
                }
            }
            Fit::Inside => simple(keep(fit_box(src, w, h, false))),
            Fit::Outside => simple(keep(fit_box(src, w, h, true))),
            Fit::Cover => {
                let resize = keep(fit_box(src, w, h, true));
                let (cw, ch) = (w.min(resize.0), h.min(resize.1));
                let (ax, ay) = position.anchors();
                let crop = (
                    anchor_offset(resize.0, cw, ax),
                    anchor_offset(resize.1, ch, ay),
                    cw,
                    ch,
                );
                Plan {
                    resize,
                    crop: ((crop.2, crop.3) != resize).then_some(crop),
                    canvas: None,
                }
            }
            Fit::Contain => {
                let resize = keep(fit_box(src, w, h, false));
                let (ax, ay) = position.anchors();
                let canvas = (
                    anchor_offset(w, resize.0, ax),
                    anchor_offset(h, resize.1, ay),
                    w,
                    h,
                );
                Plan {
                    resize,
                    crop: None,
                    canvas: ((w, h) != resize).then_some(canvas),
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SRC: (u32, u32) = (4000, 3000);

    fn p(w: Option<u32>, h: Option<u32>, fit: Fit) -> Plan {
        plan(SRC, w, h, fit, Gravity::Centre, true)
    }

    #[test]
    fn sharp_fit_meanings() {
        assert_eq!(p(Some(1024), Some(1024), Fit::Inside).resize, (1024, 768));
        assert_eq!(p(Some(1024), Some(1024), Fit::Outside).resize, (1365, 1024));
        let cover = p(Some(1024), Some(1024), Fit::Cover);
        assert_eq!(cover.resize, (1365, 1024));
        assert_eq!(cover.crop, Some((170, 0, 1024, 1024)));
        let contain = p(Some(1024), Some(1024), Fit::Contain);
        assert_eq!(contain.resize, (1024, 768));
        assert_eq!(contain.canvas, Some((0, 128, 1024, 1024)));
        assert_eq!(p(Some(500), Some(100), Fit::Fill).resize, (500, 100));
        assert_eq!(p(Some(1000), None, Fit::Cover).resize, (1000, 750));
        assert_eq!(p(None, Some(300), Fit::Fill).resize, (400, 300));
        assert_eq!(p(None, None, Fit::Cover).resize, SRC);
    }

    #[test]
    fn cover_gravity() {
        let east = plan(SRC, Some(100), Some(100), Fit::Cover, Gravity::East, true);
        assert_eq!(east.crop, Some((33, 0, 100, 100)));
        let west = plan(
            SRC,
            Some(100),
            Some(100),
            Fit::Cover,
            Gravity::Northwest,
            true,
        );
        assert_eq!(west.crop, Some((0, 0, 100, 100)));
    }

    #[test]
    fn without_enlargement() {
        let small = (32, 32);
        assert_eq!(
            plan(small, Some(64), None, Fit::Inside, Gravity::Centre, true).resize,
            small
        );
        assert_eq!(
            plan(small, Some(64), None, Fit::Inside, Gravity::Centre, false).resize,
            (64, 64)
        );
        assert_eq!(
            plan(small, Some(64), Some(16), Fit::Fill, Gravity::Centre, true).resize,
            (32, 16)
        );
        let cover = plan(small, Some(64), Some(16), Fit::Cover, Gravity::Centre, true);
        assert_eq!(cover.resize, small);
        assert_eq!(cover.crop, Some((0, 8, 32, 16)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn inside_keeps_aspect_and_bounds(sw in 1u32..5000, sh in 1u32..5000, w in 1u32..3000, h in 1u32..3000) {
            let plan = plan((sw, sh), Some(w), Some(h), Fit::Inside, Gravity::Centre, false);
            let (rw, rh) = plan.resize;
            prop_assert!(rw <= w && rh <= h);
            prop_assert!(rw == w || rh == h);
            // aspect preserved up to rounding of the derived side
            let derived_err = (f64::from(rw) * f64::from(sh) - f64::from(rh) * f64::from(sw)).abs();
            prop_assert!(derived_err <= f64::from(sw.max(sh)));
        }

        #[test]
        fn cover_and_contain_hit_the_box(sw in 1u32..5000, sh in 1u32..5000, w in 1u32..3000, h in 1u32..3000) {
            let cover = plan((sw, sh), Some(w), Some(h), Fit::Cover, Gravity::Southeast, false);
            let (cw, ch) = cover.crop.map_or(cover.resize, |c| (c.2, c.3));
            prop_assert_eq!((cw, ch), (w, h));
            if let Some((x, y, cw, ch)) = cover.crop {
                prop_assert!(x + cw <= cover.resize.0 && y + ch <= cover.resize.1);
            }
            let contain = plan((sw, sh), Some(w), Some(h), Fit::Contain, Gravity::North, false);
            let canvas = contain.canvas.map_or(contain.resize, |c| (c.2, c.3));
            prop_assert_eq!(canvas, (w, h));
        }
    }
}
