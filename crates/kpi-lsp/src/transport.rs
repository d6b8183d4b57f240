//! JSON-RPC framing over a byte stream (`Content-Length` headers), tolerant of bad input: a
//! message that is not JSON, or not a JSON-RPC message, becomes an error response to send back,
//! and reading carries on with the next message.
use lsp_server::{ErrorCode, Message};
use std::io::{self, BufRead, Read, Write};

/// Messages larger than this are skipped unread (real ones are a few hundred kilobytes at most).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Header lines longer than this are not headers.
const MAX_HEADER_BYTES: u64 = 8 * 1024;

/// What came in.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// Something that is not a message: the error response to send (JSON-RPC, `id` null or the
    /// message's own id).
    Invalid(serde_json::Value),
}

/// Read the next message; `Ok(None)` at the end of the stream.
pub fn read(input: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<usize> = None;
    let mut bad_header: Option<String> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        let n = input.by_ref().take(MAX_HEADER_BYTES).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") {
            // A header line too long to be one: drop the rest of it.
            skip_line(input)?;
            bad_header.get_or_insert_with(|| "a header line is too long".into());
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header || bad_header.is_some() {
                break;
            }
            continue; // blank lines between messages
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {} // Content-Type and other headers
            None => bad_header = Some(format!("`{}` is not a header", shorten(text))),
        }
    }
    if let Some(why) = bad_header {
        return Ok(Some(invalid(ErrorCode::ParseError, &why, None)));
    }
    let Some(length) = length else {
        return Ok(Some(invalid(ErrorCode::ParseError, "no Content-Length header", None)));
    };
    if length > MAX_MESSAGE_BYTES {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        let why = format!("a message of {length} bytes is over the limit of {MAX_MESSAGE_BYTES}");
        return Ok(Some(invalid(ErrorCode::InvalidRequest, &why, None)));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(parse(&body)))
}

/// A message body: JSON, then a JSON-RPC message.
fn parse(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return invalid(ErrorCode::ParseError, &format!("the message is not JSON: {e}"), None),
    };
    let id = value.get("id").filter(|id| id.is_number() || id.is_string()).cloned();
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(e) => invalid(ErrorCode::InvalidRequest, &format!("not a JSON-RPC message: {e}"), id),
    }
}

fn invalid(code: ErrorCode, message: &str, id: Option<serde_json::Value>) -> Incoming {
    Incoming::Invalid(serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.unwrap_or(serde_json::Value::Null),
        "error": { "code": code as i32, "message": message },
    }))
}

fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Write one message (or a raw JSON-RPC value) with its header.
pub fn write_json(out: &mut impl Write, value: &serde_json::Value) -> io::Result<()> {
    let text = value.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    out.flush()
}

/// Write a message.
pub fn write(out: &mut impl Write, message: Message) -> io::Result<()> {
    message.write(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn all(input: &str) -> Vec<Incoming> {
        let mut reader = io::BufReader::new(input.as_bytes());
        std::iter::from_fn(|| read(&mut reader).expect("read")).collect()
    }

    #[test]
    fn good_and_bad_messages_in_a_row() {
        let input = [
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
            frame("{not json"),
            "garbage line\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":7,"what":1}"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        ]
        .concat();
        let got = all(&input);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(matches!(&got[0], Incoming::Message(Message::Request(r)) if r.method == "shutdown"));
        let code = |i: &Incoming| match i {
            Incoming::Invalid(v) => (v["error"]["code"].as_i64().unwrap(), v["id"].clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(code(&got[1]), (-32700, serde_json::Value::Null));
        assert_eq!(code(&got[2]).0, -32700);
        assert!(matches!(&got[3], Incoming::Message(Message::Response(_)) | Incoming::Invalid(_)));
        assert!(matches!(&got[4], Incoming::Message(Message::Notification(n)) if n.method == "exit"));
    }

    #[test]
    fn a_truncated_body_is_an_io_error_not_a_panic() {
        let mut reader = io::BufReader::new("Content-Length: 50\r\n\r\n{}".as_bytes());
        assert!(read(&mut reader).is_err());
    }
}
