//! A receiver in front of the daemon that fails on demand: it answers `503` to the next N
//! requests and forwards every other one (method, path, headers that matter, body) to the
//! daemon, returning its answer. What a load balancer in front of a restarting daemon looks
//! like to Zoom, over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct FlakyProxy {
    pub url: String,
    fail_next: Arc<AtomicUsize>,
    /// Requests seen: (answered 503, forwarded).
    seen: Arc<(AtomicUsize, AtomicUsize)>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let fail_next = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let (fail, counts) = (Arc::clone(&fail_next), Arc::clone(&seen));
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (fail, counts, client, target) =
                    (Arc::clone(&fail), Arc::clone(&counts), client.clone(), target.clone());
                tokio::spawn(async move { serve(stream, &client, &target, &fail, &counts).await });
            }
        });
        Self { url, fail_next, seen, task }
    }

    /// The next `n` requests get a 503.
    pub fn fail_next(&self, n: usize) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// (refused with 503, forwarded) so far.
    pub fn seen(&self) -> (usize, usize) {
        (self.seen.0.load(Ordering::SeqCst), self.seen.1.load(Ordering::SeqCst))
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    client: &reqwest::Client,
    target: &str,
    fail: &AtomicUsize,
    counts: &(AtomicUsize, AtomicUsize),
) {
    let Some((head, body)) = read_request(&mut stream).await else { return };
    let answer = if fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        counts.0.fetch_add(1, Ordering::SeqCst);
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
    } else {
        counts.1.fetch_add(1, Ordering::SeqCst);
        forward(client, target, &head, body).await
    };
    let _ = stream.write_all(&answer).await;
    let _ = stream.shutdown().await;
}

pub async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buffer[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

async fn forward(client: &reqwest::Client, target: &str, head: &str, body: Vec<u8>) -> Vec<u8> {
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = reqwest::Method::from_bytes(request_line.next().unwrap_or("GET").as_bytes()).unwrap_or_default();
    let path = request_line.next().unwrap_or("/");
    let mut request = client.request(method, format!("{target}{path}")).body(body);
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        let name = name.trim().to_ascii_lowercase();
        if name.starts_with("x-zm-") || name == "content-type" {
            request = request.header(name, value.trim());
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let bytes = response.bytes().await.unwrap_or_default();
            let mut answer = format!(
                "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                bytes.len()
            )
            .into_bytes();
            answer.extend_from_slice(&bytes);
            answer
        }
        Err(_) => b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    }
}
