//! `fake-llm`: runs the fake LLM server from a scenario file until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use arranger_fake_llm::{FakeLlm, FakeLlmOptions, Scenario};
use clap::Parser;

/// A fake LLM server speaking the OpenAI Chat Completions and Anthropic Messages wire
/// formats, scripted by a scenario file.
#[derive(Debug, Parser)]
#[command(name = "fake-llm", version)]
struct Args {
    /// The scenario file (JSON).
    #[arg(long)]
    scenario: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: SocketAddr,
    /// Print one line per request to stderr.
    #[arg(long)]
    log: bool,
    /// Keep at most this many requests in memory (default 1000).
    #[arg(long)]
    max_recorded: Option<usize>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let scenario = match Scenario::from_file(&args.scenario) {
        Ok(scenario) => scenario,
        Err(err) => {
            eprintln!("fake-llm: cannot load scenario: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let options = FakeLlmOptions {
        listen: args.listen,
        // The binary runs for long: keep memory bounded unless asked otherwise.
        max_recorded: Some(args.max_recorded.unwrap_or(1000)),
        log: args.log,
    };
    let fake = match FakeLlm::start_with(scenario, options).await {
        Ok(fake) => fake,
        Err(err) => {
            eprintln!("fake-llm: cannot listen on {}: {err}", args.listen);
            return std::process::ExitCode::from(1);
        }
    };
    println!("{}", fake.base_url());
    eprintln!(
        "fake-llm: OpenAI base URL {} · Anthropic base URL {} · Ctrl-C to stop",
        fake.openai_base_url(),
        fake.base_url()
    );
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("fake-llm: cannot wait for Ctrl-C: {err}");
    }
    fake.shutdown().await;
    std::process::ExitCode::SUCCESS
}
