//! A real headless Chromium, driven through ChromeDriver's W3C WebDriver protocol (plain JSON
//! over HTTP, so no client library is needed). Needs Debian's `chromium` and `chromium-driver`
//! (scripts/test installs them).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    driver: Child,
    base: String,
    client: reqwest::Client,
    quit: bool,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The same with more Chromium flags (`--host-resolver-rules=...`, say).
    pub async fn start_with(extra_args: &[&str]) -> Self {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "the console test needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (scripts/test does)"
        );
        let (driver, base) = start_driver().await;
        let client = reqwest::Client::new();
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1100",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let created: Value =
            client.post(format!("{base}/session")).json(&capabilities).send().await.unwrap().json().await.unwrap();
        let session = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}"));
        Self { driver, base: format!("{base}/session/{session}"), client, quit: false, _profile: profile }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("webdriver").json::<Value>().await.expect("webdriver json")
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await["value"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None).await["value"].as_str().unwrap_or_default().to_owned()
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    async fn element(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self
                .call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
                .await;
            if let Some(id) = found["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css} on {}", self.url().await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']")).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None).await["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits up to 15 s for `css`'s text to contain `wanted`.
    pub async fn wait_for_text(&self, css: &str, wanted: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.text(css).await;
            if text.contains(wanted) {
                return text;
            }
            assert!(Instant::now() < deadline, "{css} never said {wanted:?}; it says {text:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A DOM property of the element matching `css` (an input's `value`, say).
    pub async fn property(&self, css: &str, name: &str) -> Value {
        let id = self.element(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/property/{name}"), None).await["value"].clone()
    }

    /// What `script` (a function body) returns in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await["value"]
            .clone()
    }

    /// What `script` passes to its last argument, the callback (for promises).
    pub async fn eval_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({"script": script, "args": []}))).await["value"]
            .clone()
    }

    /// Grants the page's origin a permission (`clipboard-read`, say) without a prompt.
    pub async fn grant(&self, permission: &str) {
        let body = json!({"descriptor": {"name": permission}, "state": "granted"});
        let answer = self.call(reqwest::Method::POST, "/permissions", Some(body)).await;
        assert!(answer["value"].is_null(), "{permission} not granted: {answer}");
    }

    /// Scrolls the element matching `css` to the top of the window.
    pub async fn scroll_to(&self, css: &str) {
        let script = "document.querySelector(arguments[0]).scrollIntoView({block: 'start'}); window.scrollBy(0, -12);";
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": [css]}))).await;
    }

    /// Saves a PNG of the page into `dir` (docs/screenshots with ZOOMSYNC_SCREENSHOTS_DIR).
    pub async fn screenshot(&self, name: &str) {
        let dir = std::env::var_os("ZOOMSYNC_SCREENSHOTS_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let shot = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png =
            base64::engine::general_purpose::STANDARD.decode(shot["value"].as_str().unwrap_or_default()).expect("png");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the session (and with it Chromium) and stops ChromeDriver.
    pub async fn quit(mut self) {
        self.call(reqwest::Method::DELETE, "", None).await;
        self.quit = true;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.quit {
            // A failed test: end the session from a thread of its own (Drop cannot await), so
            // Chromium does not outlive ChromeDriver.
            let (client, url) = (self.client.clone(), self.base.clone());
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    let _ = runtime.block_on(client.delete(url).timeout(Duration::from_secs(5)).send());
                }
            })
            .join();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// ChromeDriver on a free port, ready. `free_port` releases the port before ChromeDriver binds
/// it, so a test running alongside can take it in between; ChromeDriver then exits, and it is
/// started again on another port.
async fn start_driver() -> (Child, String) {
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let port = super::process::free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && matches!(driver.try_wait(), Ok(None)) {
            if let Ok(r) = client.get(format!("{base}/status")).send().await
                && r.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true)
            {
                return (driver, base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = driver.kill();
        let _ = driver.wait();
    }
    panic!("chromedriver did not become ready");
}
