use clap::Parser;

fn main() {
    let cli = keygate::cli::Cli::parse();
    std::process::exit(keygate::app::run(cli));
}
