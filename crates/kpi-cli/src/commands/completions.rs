//! `kpi completions SHELL`: a completion script for bash, zsh, fish or PowerShell on stdout.
use crate::Outcome;

#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Write the script for `command` (the whole `kpi` command line).
pub fn run(args: CompletionsArgs, mut command: clap::Command) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kpi", &mut script);
    super::evaluate::emit(None, &String::from_utf8(script)?)?;
    Ok(Outcome::Ok)
}
