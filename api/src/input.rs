//! Text that callers send, checked at the edge before any of it reaches the database: no NUL
//! character (Postgres refuses it in text, which became an INTERNAL error) and a length fit
//! for what the text is. Every admin input and every imported text goes through [`text`];
//! a refusal is `BAD_USER_INPUT` naming the field, its limit and (the start of) the value.
use crate::error::ApiError;

/// Codes, slugs and other identifiers a caller names things by.
pub const MAX_CODE_CHARS: usize = 200;
/// Names, titles, headings, regions, spellings, key names.
pub const MAX_NAME_CHARS: usize = 300;
/// An indicator's description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// One narrative's body: a country page's section is a few thousand characters.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Entries of one list of codes in an admin input (indicator slugs, spellings).
pub const MAX_LIST_ENTRIES: usize = 100;

/// How much of a refused value an error repeats.
const SHOWN_CHARS: usize = 60;

/// Refuses `value` when it holds a NUL character or more than `max_chars` characters.
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    if let Some(at) = value.find('\0') {
        let message = format!(
            "{field} contains a NUL character (U+0000, at byte {at}), which cannot be stored"
        );
        return Err(ApiError::bad_input(field, shown(value), message));
    }
    // a UTF-8 character is at most four bytes: most values are decided without counting
    if value.len() > max_chars {
        let chars = value.chars().count();
        if chars > max_chars {
            let message = format!("{field} is {chars} characters long; at most {max_chars}");
            return Err(ApiError::bad_input(field, shown(value), message));
        }
    }
    Ok(())
}

/// [`text`] for an optional value.
pub fn optional(field: &str, value: Option<&str>, max_chars: usize) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| text(field, v, max_chars))
}

/// Refuses a list of more than `max` entries, then checks each as [`text`]
/// (`field[i]` names the entry).
pub fn list<S: AsRef<str>>(
    field: &str,
    values: &[S],
    max: usize,
    max_chars: usize,
) -> Result<(), ApiError> {
    if values.len() > max {
        let message = format!("{field} holds {} entries; at most {max}", values.len());
        return Err(ApiError::bad_input(field, values.len(), message));
    }
    for (i, value) in values.iter().enumerate() {
        text(&format!("{field}[{i}]"), value.as_ref(), max_chars)?;
    }
    Ok(())
}

/// The start of a long value, as an error repeats it.
pub fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}… ({} bytes)", &value[..end], value.len()),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(result: Result<(), ApiError>) -> (String, String, String) {
        match result {
            Err(ApiError::BadUserInput(bad)) => {
                (bad.field.unwrap_or_default(), bad.value.unwrap_or_default(), bad.message)
            }
            other => panic!("expected BAD_USER_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn nul_characters_are_refused_wherever_they_are() {
        assert!(text("title", "Global Organized Crime Index", 300).is_ok());
        let (field, value, message) = refusal(text("input.title", "Index\0 2025", 300));
        assert_eq!(field, "input.title");
        assert_eq!(value, "Index\0 2025");
        assert!(message.contains("NUL") && message.contains("byte 5"), "{message}");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        // 300 two-byte characters are 600 bytes, and allowed
        assert!(text("name", &"é".repeat(300), 300).is_ok());
        let (_, value, message) = refusal(text("name", &"é".repeat(301), 300));
        assert!(message.contains("301 characters") && message.contains("at most 300"), "{message}");
        assert!(value.starts_with(&"é".repeat(60)) && value.ends_with("(602 bytes)"), "{value}");
    }

    #[test]
    fn lists_are_bounded_and_each_entry_named() {
        assert!(list("aliases", &["Kazakstan", "Qazaqstan"], 100, 300).is_ok());
        let (field, value, _) = refusal(list("aliases", &vec!["x"; 101], 100, 300));
        assert_eq!((field.as_str(), value.as_str()), ("aliases", "101"));
        let (field, ..) = refusal(list("aliases", &["ok", "b\0d"], 100, 300));
        assert_eq!(field, "aliases[1]");
        assert!(optional("heading", None, 10).is_ok());
    }
}
