//! Attachments: files that are not photos (PDF, Word, Excel, WPS, ODF, plain text), told by
//! their content, never by their name.
//!
//! They are blobs like photos (same tables, same resumable upload, same access rule, same
//! cleanup); only the check of the first part and the limit differ (`api::attachments`). The
//! first stored part of an upload must show one of the formats below; a plain-text upload
//! must stay NUL-free UTF-8 in every later part too ([`text_part_ok`]). An executable renamed
//! `.pdf` shows none of these and is refused (415) before anything is stored.
//!
//! What the first part must hold, and why it is enough:
//! - PDF: `%PDF-` at the start (the format's header; readers refuse files without it).
//! - OLE2 compound file (`.doc`, `.xls`, `.ppt`, WPS's `.wps`, `.et`, `.dps`): its 8-byte
//!   signature. The streams inside are not parsed: the type within OLE2 comes from the name.
//! - OOXML (`.docx`, `.xlsx`, `.pptx`): a ZIP whose local entries in the first part include
//!   `[Content_Types].xml` (Word, Excel, WPS and LibreOffice write it among the first entries;
//!   the client sends 512 KiB parts, so it is there).
//! - ODF (`.odt`, `.ods`, `.odp`): a ZIP whose first entry is `mimetype`, stored uncompressed,
//!   holding `application/vnd.oasis.opendocument.*` (the ODF specification requires exactly
//!   this, so that files can be recognised this way).
//! - Plain text: valid UTF-8 without NUL bytes (a trailing, incomplete character is allowed:
//!   a part may end in the middle of one).
//!
//! Any other ZIP (a jar, an apk, an EPUB) is refused.

/// The stored type of an OLE2 compound file; which Office program it is for comes from the name.
pub const OLE2: &str = "application/x-ole-storage";
/// The stored type of an OOXML package whose kind the first part does not show.
pub const OOXML: &str = "application/vnd.openxmlformats-officedocument";
/// The stored type of plain text.
pub const TEXT: &str = "text/plain; charset=utf-8";

const ZIP_LOCAL: &[u8] = b"PK\x03\x04";
const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The stored type of an attachment from its first part, or `None` when it is not one of the
/// accepted formats.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(OLE2_MAGIC) {
        return Some(OLE2);
    }
    if head.starts_with(ZIP_LOCAL) {
        return sniff_zip(head);
    }
    text_ok(head, true).then_some(TEXT)
}

/// Whether a later part of a plain-text upload is still text: no NUL, and UTF-8 once the
/// continuation bytes of a character begun in the previous part are skipped.
pub fn text_part_ok(part: &[u8]) -> bool {
    let skip = part
        .iter()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count();
    text_ok(&part[skip..], false)
}

fn text_ok(bytes: &[u8], first: bool) -> bool {
    if bytes.is_empty() && first {
        return false;
    }
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // `error_len() == None`: the bytes end inside a character the next part completes.
        Err(error) => error.error_len().is_none() && bytes.len() - error.valid_up_to() < 4,
    }
}

/// One local file header of a ZIP: its name and the offset just past its header and name.
fn local_entry(zip: &[u8], at: usize) -> Option<(&[u8], usize, usize)> {
    let header = zip.get(at..at + 30)?;
    if &header[..4] != ZIP_LOCAL {
        return None;
    }
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([header[i], header[i + 1]]));
    let name_len = u16_at(26);
    let extra_len = u16_at(28);
    let name = zip.get(at + 30..at + 30 + name_len)?;
    Some((name, at + 30 + name_len + extra_len, u16_at(8)))
}

fn sniff_zip(head: &[u8]) -> Option<&'static str> {
    // ODF: the first entry is `mimetype`, stored (method 0), its content the media type.
    if let Some((b"mimetype", data, 0)) = local_entry(head, 0) {
        let rest = head.get(data..)?;
        let end = rest
            .iter()
            .position(|b| !b.is_ascii_graphic())
            .unwrap_or(rest.len());
        return match &rest[..end.min(rest.len())] {
            m if m.starts_with(b"application/vnd.oasis.opendocument.text") => {
                Some("application/vnd.oasis.opendocument.text")
            }
            m if m.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") => {
                Some("application/vnd.oasis.opendocument.spreadsheet")
            }
            m if m.starts_with(b"application/vnd.oasis.opendocument.presentation") => {
                Some("application/vnd.oasis.opendocument.presentation")
            }
            _ => None,
        };
    }
    // OOXML: look at every local header in the first part (entries may carry data
    // descriptors, so sizes in headers cannot be trusted to walk from one to the next).
    let mut content_types = false;
    let mut kind = None;
    let mut from = 0;
    while let Some(found) = find(&head[from..], ZIP_LOCAL) {
        let at = from + found;
        if let Some((name, _, _)) = local_entry(head, at) {
            if name == b"[Content_Types].xml" {
                content_types = true;
            } else if kind.is_none() {
                kind = if name.starts_with(b"word/") {
                    Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
                } else if name.starts_with(b"xl/") {
                    Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                } else if name.starts_with(b"ppt/") {
                    Some(
                        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                    )
                } else {
                    None
                };
            }
        }
        from = at + ZIP_LOCAL.len();
    }
    content_types.then_some(kind.unwrap_or(OOXML))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The media type to serve an attachment with: the stored type, made precise by the name's
/// extension where the content alone does not tell (an OLE2 file is a .doc, .xls, .wps...).
pub fn served_type(stored: &str, name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match (stored, ext.as_str()) {
        ("application/pdf", _) => "application/pdf",
        (OLE2, "doc" | "wps") => "application/msword",
        (OLE2, "xls" | "et") => "application/vnd.ms-excel",
        (OLE2, "ppt" | "dps") => "application/vnd.ms-powerpoint",
        (TEXT, _) => TEXT,
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _) => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _) => {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _) => {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        }
        ("application/vnd.oasis.opendocument.text", _) => "application/vnd.oasis.opendocument.text",
        ("application/vnd.oasis.opendocument.spreadsheet", _) => {
            "application/vnd.oasis.opendocument.spreadsheet"
        }
        ("application/vnd.oasis.opendocument.presentation", _) => {
            "application/vnd.oasis.opendocument.presentation"
        }
        _ => "application/octet-stream",
    }
}

/// Whether a stored type is an attachment's (as opposed to a photo's).
pub fn is_attachment(stored: &str) -> bool {
    !stored.starts_with("image/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut out = ZIP_LOCAL.to_vec();
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0; 4]); // crc
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn tells_office_files_by_their_content() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3"), Some("application/pdf"));
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
            Some(OLE2)
        );
        let mut docx = zip_entry("[Content_Types].xml", b"<Types/>");
        docx.extend(zip_entry("word/document.xml", b"<w:document/>"));
        assert_eq!(
            sniff(&docx),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        let odt = zip_entry("mimetype", b"application/vnd.oasis.opendocument.text");
        assert_eq!(sniff(&odt), Some("application/vnd.oasis.opendocument.text"));
        assert_eq!(sniff("整改情况说明\n第二行".as_bytes()), Some(TEXT));
    }

    #[test]
    fn refuses_executables_archives_and_binary_text() {
        // ELF, PE (MZ header), a plain ZIP, an EPUB, a JPEG, text with a NUL, latin-1.
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0\0\0"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff"), None);
        assert_eq!(sniff(&zip_entry("payload.exe", b"MZ")), None);
        assert_eq!(sniff(&zip_entry("mimetype", b"application/epub+zip")), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), None);
        assert_eq!(sniff(b"abc\0def"), None);
        assert_eq!(sniff(b"caf\xe9 au lait"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn text_parts_may_split_a_character() {
        let text = "整改报告".as_bytes();
        // 整 is 3 bytes: split after its first byte.
        assert_eq!(sniff(&text[..1]), Some(TEXT));
        assert!(text_part_ok(&text[1..]));
        assert!(!text_part_ok(b"ok\0"));
        assert!(!text_part_ok(b"\xff\xfe"));
    }

    #[test]
    fn serves_ole2_files_by_their_name() {
        assert_eq!(served_type(OLE2, "汇报材料.WPS"), "application/msword");
        assert_eq!(served_type(OLE2, "台账.et"), "application/vnd.ms-excel");
        assert_eq!(served_type(OLE2, "noname"), "application/octet-stream");
        assert_eq!(served_type("application/pdf", "x.exe"), "application/pdf");
    }
}
