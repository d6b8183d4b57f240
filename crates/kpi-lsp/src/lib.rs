//! The language server of the `.kpi` language (`kpi lsp`), over stdio, synchronous.
//!
//! It adds no parser or checker of its own: every open file is checked by the driver, in the
//! scope `kpi check` would check it (its client config's rules, else its directory), with the
//! editor's unsaved buffers as the loader's in-memory overlay. Diagnostics, hover, go to
//! definition, references, completion, formatting (`kpi fmt`'s formatter), rename and document
//! symbols are answered from the syntax trees and the checked program of that scope.
#![forbid(unsafe_code)]

mod complete;
mod config_keys;
mod diagnostics;
mod features;
mod hover;
mod index;
mod project;
mod server;
mod symbols;
mod text;
pub mod transport;

pub use server::Server;

use std::io::{self, BufRead, Write};
use transport::Incoming;

/// Serve the protocol on stdin and stdout until `exit` or the end of input; the exit code is 0
/// after `shutdown` then `exit`, else 1.
pub fn run_stdio() -> io::Result<i32> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    serve(&mut stdin.lock(), &mut stdout.lock())
}

/// Serve the protocol on any pair of streams.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<i32> {
    let mut server = Server::default();
    while let Some(incoming) = transport::read(input)? {
        match incoming {
            Incoming::Message(message) => server.handle(message),
            Incoming::Invalid(response) => transport::write_json(output, &response)?,
        }
        for message in server.take_outbox() {
            transport::write(output, message)?;
        }
        if let Some(code) = server.exit {
            return Ok(code);
        }
    }
    Ok(1)
}
