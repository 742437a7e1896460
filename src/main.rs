fn main() -> std::process::ExitCode {
    zoomsync::cli::run()
}
