//! Starting and stopping: from sync code, inside an actix runtime, and as a process.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use zoom_sim::{SimOptions, SimServer};

#[test]
fn starts_and_stops_from_sync_code() {
    let server = SimServer::start(SimOptions { workers: 1, ..Default::default() }).unwrap();
    let base = server.base_url().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(server.api_base_url(), format!("{base}/v2"));
    let addr = server.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    server.stop();
    assert!(std::net::TcpStream::connect(addr).is_err(), "the port is released on stop");
}

#[actix_web::test]
async fn starts_inside_an_actix_runtime() {
    let server = SimServer::start(SimOptions { workers: 1, ..Default::default() }).unwrap();
    let clock = server.control().clock().await.unwrap();
    assert_eq!(clock.offset_seconds, 0.0);
    drop(server);
}

#[test]
fn refuses_invalid_options() {
    let bad = SimOptions { retry_scale: -1.0, ..Default::default() };
    assert_eq!(SimServer::start(bad).err().unwrap().kind(), std::io::ErrorKind::InvalidInput);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    assert!(SimServer::start(SimOptions { port, ..Default::default() }).is_err());
}

#[test]
fn the_binary_announces_its_address_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoom-sim"))
        .args(["--port", "0", "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("zoom-sim listening on ").map(str::to_owned);
    let reachable = base.as_deref().is_some_and(|b| {
        let addr = b.trim_start_matches("http://");
        std::net::TcpStream::connect(addr).is_ok()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reachable, "first line was {line:?}");
}
