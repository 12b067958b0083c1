//! A fetched page's text: its bytes decoded in the encoding it declares, found as browsers find
//! it (a byte-order mark, then the HTTP `Content-Type` charset, then a `<meta>` within the first
//! 1024 bytes, else UTF-8). A label no encoding has, or bytes that are not valid in the declared
//! encoding, refuse the page: nothing is landed with U+FFFD in place of what the page said.

use encoding_rs::{DecoderResult, Encoding, REPLACEMENT, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// A page refused for its encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CharsetError {
    /// A declared label that names no encoding.
    #[error("the page declares the charset {label:?} in {place}, which is no known encoding")]
    Unknown {
        /// The label as declared.
        label: String,
        /// Where it was declared.
        place: &'static str,
    },
    /// A declared encoding browsers refuse to decode (mapped to the replacement encoding).
    #[error("the page declares the charset {label:?} in {place}, an encoding that is not decoded")]
    Undecoded {
        /// The label as declared.
        label: String,
        /// Where it was declared.
        place: &'static str,
    },
    /// Bytes that are not valid in the encoding found.
    #[error(
        "the page is not valid {encoding} (from {from}): byte {at} starts a sequence that does not decode; refused rather than landed with replacement characters"
    )]
    Malformed {
        /// The encoding's name.
        encoding: &'static str,
        /// How the encoding was found.
        from: String,
        /// The offset of the first byte that does not decode.
        at: usize,
    },
}

/// How far into a page a `<meta>` declaring its encoding is looked for.
const PRESCAN: usize = 1024;

/// The text of a page of `bytes` served with the `Content-Type` header `content_type`.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Result<String, CharsetError> {
    let (encoding, body, from) = if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        (encoding, &bytes[bom..], "its byte-order mark".to_string())
    } else if let Some(label) = content_type.and_then(header_charset) {
        (lookup(label, "the Content-Type header")?, bytes, format!("the Content-Type header's charset={label}"))
    } else if let Some(label) = meta_charset(&bytes[..bytes.len().min(PRESCAN)]) {
        let encoding = lookup(&label, "its <meta>")?;
        // What a <meta> may switch to, as browsers do: a page read far enough to find the <meta>
        // is not UTF-16, and x-user-defined is read as windows-1252.
        let encoding = match encoding {
            e if e == UTF_16BE || e == UTF_16LE => UTF_8,
            e if e == X_USER_DEFINED => WINDOWS_1252,
            e => e,
        };
        (encoding, bytes, format!("its <meta> charset {label:?}"))
    } else {
        (UTF_8, bytes, "no declaration, so UTF-8".to_string())
    };
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::new();
    let mut read = 0;
    loop {
        let room = decoder.max_utf8_buffer_length_without_replacement(body.len() - read).unwrap_or(body.len());
        text.reserve(room);
        let (result, n) = decoder.decode_to_string_without_replacement(&body[read..], &mut text, true);
        read += n;
        match result {
            DecoderResult::InputEmpty => return Ok(text),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, after) => {
                let at = bytes.len() - body.len() + read - bad as usize - after as usize;
                return Err(CharsetError::Malformed { encoding: encoding.name(), from, at });
            }
        }
    }
}

/// The encoding of `label`, declared in `place`; a label that names none, or one that browsers
/// refuse to decode (mapped to the replacement encoding), is an error naming it.
fn lookup(label: &str, place: &'static str) -> Result<&'static Encoding, CharsetError> {
    match Encoding::for_label(label.as_bytes()) {
        Some(e) if e == REPLACEMENT => Err(CharsetError::Undecoded { label: label.to_string(), place }),
        Some(e) => Ok(e),
        None => Err(CharsetError::Unknown { label: label.to_string(), place }),
    }
}

/// The `charset` parameter of a `Content-Type` value such as `text/html; charset="EUC-KR"`.
fn header_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"').trim();
        (name.trim().eq_ignore_ascii_case("charset") && !value.is_empty()).then_some(value)
    })
}

/// The charset the first `<meta>` of `head` declaring one names: `<meta charset=...>`, or
/// `<meta http-equiv="Content-Type" content="...; charset=...">`. Comments are skipped.
fn meta_charset(head: &[u8]) -> Option<String> {
    let mut at = 0;
    while at < head.len() {
        let rest = &head[at..];
        if rest.starts_with(b"<!--") {
            at += rest.windows(3).position(|w| w == b"-->").map_or(rest.len(), |p| p + 3);
        } else if starts_with_ignore_case(rest, b"<meta") && rest.get(5).is_some_and(|&b| b == b'/' || is_space(b)) {
            let (attributes, len) = attributes(&rest[5..]);
            at += 5 + len;
            let get = |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            if let Some(charset) = get("charset").filter(|c| !c.is_empty()) {
                return Some(charset.to_string());
            }
            if get("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("content-type"))
                && let Some(charset) = get("content").and_then(content_charset)
            {
                return Some(charset);
            }
        } else {
            at += 1;
        }
    }
    None
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// A tag's attributes (names lowercased, values as written, first of a name kept) up to its
/// unquoted `>`, and how many bytes they took.
fn attributes(tag: &[u8]) -> (Vec<(String, String)>, usize) {
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < tag.len() {
        while i < tag.len() && (is_space(tag[i]) || tag[i] == b'/') {
            i += 1;
        }
        if i >= tag.len() || tag[i] == b'>' {
            break;
        }
        // A name runs to whitespace, `=`, `/` or `>`, its first byte whatever it is.
        let start = i;
        i += 1;
        while i < tag.len() && !(is_space(tag[i]) || matches!(tag[i], b'=' | b'>' | b'/')) {
            i += 1;
        }
        let name = text(&tag[start..i]).to_ascii_lowercase();
        while i < tag.len() && is_space(tag[i]) {
            i += 1;
        }
        let mut value = String::new();
        if tag.get(i) == Some(&b'=') {
            i += 1;
            while i < tag.len() && is_space(tag[i]) {
                i += 1;
            }
            match tag.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let end = tag[i + 1..].iter().position(|&b| b == q).map_or(tag.len(), |p| i + 1 + p);
                    value = text(&tag[i + 1..end]);
                    i = (end + 1).min(tag.len());
                }
                _ => {
                    let start = i;
                    while i < tag.len() && !is_space(tag[i]) && tag[i] != b'>' {
                        i += 1;
                    }
                    value = text(&tag[start..i]);
                }
            }
        }
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, value));
        }
    }
    (out, i)
}

/// The charset in a `content` attribute such as `text/html; charset=euc-kr`.
fn content_charset(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("charset") {
        let rest = content[from + p + "charset".len()..].trim_start();
        from += p + "charset".len();
        let Some(value) = rest.strip_prefix('=') else { continue };
        let value = value.trim_start();
        let charset = match value.chars().next() {
            Some(q @ ('"' | '\'')) => &value[1..1 + value[1..].find(q)?],
            _ => value.split(|c: char| c == ';' || c.is_ascii_whitespace()).next().unwrap_or(""),
        };
        return (!charset.is_empty()).then(|| charset.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<li><strong>여성 원피스 &#x1F600; 👍</strong><em>12,900원</em></li>";

    fn euc_kr(text: &str) -> Vec<u8> {
        encoding_rs::EUC_KR.encode(text).0.into_owned()
    }

    #[test]
    fn the_header_charset_is_read_in_its_forms() {
        assert_eq!(header_charset("text/html; charset=euc-kr"), Some("euc-kr"));
        assert_eq!(header_charset("text/html;Charset=\"EUC-KR\""), Some("EUC-KR"));
        assert_eq!(header_charset("text/html; q=1; charset = utf-8 "), Some("utf-8"));
        assert_eq!(header_charset("text/html"), None);
        assert_eq!(header_charset("text/html; charset="), None);
    }

    #[test]
    fn a_meta_is_found_in_its_forms_within_the_prescan() {
        let meta = |head: &str| meta_charset(head.as_bytes());
        assert_eq!(meta("<html><head><meta charset=\"euc-kr\"><title>"), Some("euc-kr".into()));
        assert_eq!(meta("<META CHARSET=EUC-KR>"), Some("EUC-KR".into()));
        assert_eq!(meta("<meta name=x charset='cp949'/>"), Some("cp949".into()));
        assert_eq!(
            meta("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">"),
            Some("euc-kr".into())
        );
        assert_eq!(
            meta("<meta content='text/html;charset=\"ks_c_5601-1987\"' http-equiv=content-type>"),
            Some("ks_c_5601-1987".into())
        );
        assert_eq!(meta("<meta content=\"text/html; charset=euc-kr\">"), None);
        assert_eq!(meta("<meta name=\"a>b\" content=\"x\"><meta charset=euc-kr>"), Some("euc-kr".into()));
        assert_eq!(meta("<!-- <meta charset=latin1> --><meta charset=euc-kr>"), Some("euc-kr".into()));
        assert_eq!(meta("<metadata charset=latin1>"), None);
        let late = format!("{}<meta charset=euc-kr>", " ".repeat(PRESCAN));
        let err = decode(&euc_kr(&format!("{late}{PAGE}")), None).unwrap_err().to_string();
        assert!(err.contains("no declaration"), "{err}");
    }

    #[test]
    fn euc_kr_decodes_to_the_same_text_whichever_way_it_is_declared() {
        let bytes = euc_kr(PAGE);
        // Characters EUC-KR lacks are written as character references, which the HTML parser reads back.
        let expected = PAGE.replace('👍', "&#128077;");
        assert_eq!(decode(&bytes, Some("text/html; charset=EUC-KR")).unwrap(), expected);
        let with_meta = [b"<meta charset=\"euc-kr\">".as_slice(), &bytes].concat();
        assert_eq!(decode(&with_meta, Some("text/html")).unwrap(), format!("<meta charset=\"euc-kr\">{expected}"));
        // The header outranks the page's own claim.
        let lying = [b"<meta charset=\"utf-8\">".as_slice(), &bytes].concat();
        assert!(decode(&lying, Some("text/html; charset=euc-kr")).unwrap().ends_with(&expected));
        assert!(decode(&lying, None).is_err());
    }

    #[test]
    fn a_bom_wins_and_utf8_is_the_default() {
        let bom = [b"\xEF\xBB\xBF".as_slice(), PAGE.as_bytes()].concat();
        assert_eq!(decode(&bom, Some("text/html; charset=euc-kr")).unwrap(), PAGE);
        assert_eq!(decode(PAGE.as_bytes(), None).unwrap(), PAGE);
        assert_eq!(decode(PAGE.as_bytes(), Some("text/html")).unwrap(), PAGE);
        let utf16 = [b"<meta charset=utf-16le>".as_slice(), PAGE.as_bytes()].concat();
        assert!(decode(&utf16, None).unwrap().ends_with(PAGE));
    }

    #[test]
    fn an_unknown_label_is_an_error_naming_it() {
        let err = decode(PAGE.as_bytes(), Some("text/html; charset=x-klingon")).unwrap_err().to_string();
        assert!(err.contains("\"x-klingon\"") && err.contains("Content-Type"), "{err}");
        let err = decode(b"<meta charset=\"euc-jr\">", None).unwrap_err().to_string();
        assert!(err.contains("\"euc-jr\"") && err.contains("<meta>"), "{err}");
        let err = decode(PAGE.as_bytes(), Some("text/html; charset=iso-2022-kr")).unwrap_err().to_string();
        assert!(err.contains("\"iso-2022-kr\""), "{err}");
    }

    #[test]
    fn bytes_invalid_in_the_declared_encoding_refuse_the_page_at_their_offset() {
        let bytes = euc_kr(PAGE);
        let err = decode(&bytes, Some("text/html; charset=utf-8")).unwrap_err().to_string();
        assert!(err.contains("not valid UTF-8") && err.contains("byte 12 ") && err.contains("charset=utf-8"), "{err}");
        let err = decode(&bytes, None).unwrap_err().to_string();
        assert!(err.contains("not valid UTF-8") && err.contains("no declaration"), "{err}");
        let mut cut = bytes.clone();
        cut.truncate(13);
        let err = decode(&cut, Some("text/html; charset=euc-kr")).unwrap_err().to_string();
        assert!(err.contains("not valid EUC-KR") && err.contains("byte 12 "), "{err}");
    }
}
