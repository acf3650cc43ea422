//! Source sites named by marker comments, resolved when this crate compiles.
//!
//! Ground truth must name lines ("blocked on `send` at `leak_blocked_send.rs:31`"), but a
//! hard-coded line number rots with the first edit above it. Instead the relevant line of a sample
//! carries a marker comment such as `// weft:leak-send`, and [`SourceSite::at_marker`] finds it by
//! scanning the sample's source text (embedded with `include_str!`). It is a `const fn`: a marker
//! that is missing, or present twice, fails the build rather than a test run.

use std::fmt;

/// A source location as the recorder captures it through `#[track_caller]`: the file as rustc
/// names it (relative to the workspace root, e.g. `sample-programs/src/bin/busy_wait.rs`) and
/// the 1-based line. Displays as `file:line`, the form of a site in `weft stats --json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceSite {
    /// The file, as `std::panic::Location::file` reports it for code in that file.
    pub file: &'static str,
    /// The 1-based line.
    pub line: u32,
}

impl SourceSite {
    /// The line of `file` whose text (`source`) carries the comment `// <marker>`.
    ///
    /// The marker must be followed by something that cannot continue a marker name (so
    /// `weft:lock` does not match `// weft:lock-to`) and must occur exactly once. Evaluated in a
    /// `const` item, a violation is a compile error carrying the message below.
    pub const fn at_marker(file: &'static str, source: &str, marker: &str) -> SourceSite {
        let text = source.as_bytes();
        let marker = marker.as_bytes();
        let mut line: u32 = 1;
        let mut found_line: u32 = 0;
        let mut found_count: u32 = 0;
        let mut i = 0;
        while i < text.len() {
            if text[i] == b'\n' {
                line += 1;
            } else if comment_with_marker_at(text, i, marker) {
                found_line = line;
                found_count += 1;
            }
            i += 1;
        }
        if found_count == 0 {
            panic!("a ground-truth marker comment is missing from its sample's source");
        }
        if found_count > 1 {
            panic!("a ground-truth marker comment occurs more than once in its sample's source");
        }
        SourceSite {
            file,
            line: found_line,
        }
    }
}

impl fmt::Display for SourceSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// True when `text[at..]` is `// ` followed by `marker` and then a character that ends a marker
/// name (anything but an ASCII letter, digit, `-`, `_` or `:`), or the end of the text.
const fn comment_with_marker_at(text: &[u8], at: usize, marker: &[u8]) -> bool {
    const PREFIX: &[u8] = b"// ";
    if at + PREFIX.len() + marker.len() > text.len() {
        return false;
    }
    let mut k = 0;
    while k < PREFIX.len() {
        if text[at + k] != PREFIX[k] {
            return false;
        }
        k += 1;
    }
    let start = at + PREFIX.len();
    let mut k = 0;
    while k < marker.len() {
        if text[start + k] != marker[k] {
            return false;
        }
        k += 1;
    }
    let end = start + marker.len();
    end == text.len() || !continues_marker_name(text[end])
}

const fn continues_marker_name(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str =
        "fn main() {\n    let a = 1; // weft:first\n    tx.send(a); // weft:first-send\n}\n";

    #[test]
    fn a_marker_resolves_to_its_line_and_not_to_a_longer_marker() {
        assert_eq!(SourceSite::at_marker("f.rs", SOURCE, "weft:first").line, 2);
        assert_eq!(
            SourceSite::at_marker("f.rs", SOURCE, "weft:first-send").line,
            3
        );
    }

    #[test]
    fn a_marker_at_the_very_end_of_the_text_resolves() {
        assert_eq!(
            SourceSite::at_marker("f.rs", "x\ny // weft:end", "weft:end").line,
            2
        );
    }

    #[test]
    #[should_panic(expected = "missing")]
    fn a_missing_marker_is_refused() {
        SourceSite::at_marker("f.rs", SOURCE, "weft:absent");
    }

    #[test]
    #[should_panic(expected = "more than once")]
    fn a_duplicated_marker_is_refused() {
        SourceSite::at_marker("f.rs", "a // weft:x\nb // weft:x\n", "weft:x");
    }

    #[test]
    fn a_site_displays_as_file_colon_line() {
        let site = SourceSite {
            file: "sample-programs/src/bin/busy_wait.rs",
            line: 12,
        };
        assert_eq!(site.to_string(), "sample-programs/src/bin/busy_wait.rs:12");
    }
}
