//! A headless Chromium driven over the Chrome DevTools Protocol, for the dashboard's browser
//! test: launch, one page, navigate, evaluate, click, screenshot, downloads.
//!
//! A minimal client over `tokio-tungstenite` rather than a full CDP crate: the test needs six
//! protocol methods, and a generated binding of the whole protocol would dominate the build.

#![allow(dead_code)]

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Where Chromium is looked for, in order; `CHROMIUM` overrides.
const CANDIDATES: [&str; 4] = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
];

/// The Chromium binary, or a panic that says how to install it.
pub fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("CHROMIUM") {
        return PathBuf::from(path);
    }
    CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "the dashboard browser test needs Chromium and found none at {CANDIDATES:?}; \
                 install it with `apt-get install -y chromium` (.ci/run does) or set CHROMIUM"
            )
        })
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A running headless Chromium with one page attached.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next: AtomicU64,
    session: String,
}

impl Browser {
    /// Starts Chromium with a fresh profile and a `width`×`height` window, and opens a page.
    pub async fn launch(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().expect("stderr");
        let ws_url = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stderr).lines();
            let url = lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|l| l.split("DevTools listening on ").nth(1).map(str::to_owned));
            // Keep draining so Chromium never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            url
        })
        .await
        .expect("stderr reader")
        .expect("chromium printed its DevTools address");
        let (ws, _) = tokio_tungstenite::connect_async(ws_url.trim())
            .await
            .expect("DevTools websocket");
        let (mut sink, mut stream) = ws.split();
        let pending: Pending = Arc::default();
        let (out, mut rx) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        let replies = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = v["id"].as_u64()
                    && let Some(tx) = replies.lock().await.remove(&id)
                {
                    let _ = tx.send(v);
                }
            }
        });
        let mut browser = Browser {
            child,
            _profile: profile,
            out,
            pending,
            next: AtomicU64::new(1),
            session: String::new(),
        };
        let target = browser
            .call("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        browser.session = attached["sessionId"]
            .as_str()
            .expect("session id")
            .to_owned();
        browser.page("Page.enable", json!({})).await;
        browser.page("Runtime.enable", json!({})).await;
        browser
            .page(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await;
        browser
    }

    async fn send(&self, method: &str, params: Value, session: Option<&str>) -> Value {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id, tx);
        self.out
            .send(Message::Text(msg.to_string().into()))
            .expect("websocket writer alive");
        let reply = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .unwrap_or_else(|_| panic!("no reply to {method} in 30 s"))
            .expect("reply");
        assert!(
            reply["error"].is_null(),
            "{method} failed: {}",
            reply["error"]
        );
        reply["result"].clone()
    }

    /// A browser-level command.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.send(method, params, None).await
    }

    /// A command to the page.
    pub async fn page(&self, method: &str, params: Value) -> Value {
        self.send(method, params, Some(&self.session)).await
    }

    /// Opens `url` and waits for its load event.
    pub async fn goto(&self, url: &str) {
        self.page("Page.navigate", json!({"url": url})).await;
        self.wait_for("document.readyState === 'complete'", "the page loads")
            .await;
    }

    /// Evaluates `expression` in the page (promises awaited) and returns its JSON value.
    pub async fn eval(&self, expression: &str) -> Value {
        let r = self
            .page(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            r["exceptionDetails"].is_null(),
            "`{expression}` threw: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy (20 s), naming `what` on timeout.
    pub async fn wait_for(&self, expression: &str, what: &str) -> Value {
        for _ in 0..200 {
            let v = self
                .eval(&format!(
                    "(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()"
                ))
                .await;
            if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting until {what} (`{expression}`)");
    }

    /// Clicks the first element matching `selector`.
    pub async fn click(&self, selector: &str) {
        let found = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({s}); if (!e) return false; e.click(); return true; }})()",
                s = json!(selector)
            ))
            .await;
        assert_eq!(found, json!(true), "nothing matches `{selector}` to click");
    }

    /// Drags the mouse across the element matching `selector`, from `from` to `to` (fractions of
    /// its width, at half its height).
    pub async fn drag(&self, selector: &str, from: f64, to: f64) {
        let rect = self
            .eval(&format!(
                "(() => {{ const r = document.querySelector({s}).getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }})()",
                s = json!(selector)
            ))
            .await;
        let r: Vec<f64> = serde_json::from_value(rect).expect("a bounding box");
        let y = r[1] + r[3] / 2.0;
        let at = |f: f64| r[0] + r[2] * f;
        let mouse = |kind: &str, x: f64| json!({"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1});
        self.page("Input.dispatchMouseEvent", mouse("mousePressed", at(from)))
            .await;
        for step in 1..=5 {
            let x = at(from + (to - from) * f64::from(step) / 5.0);
            self.page("Input.dispatchMouseEvent", mouse("mouseMoved", x))
                .await;
        }
        self.page("Input.dispatchMouseEvent", mouse("mouseReleased", at(to)))
            .await;
    }

    /// Saves a PNG of the whole page to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let r = self
            .page(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("screenshot dir");
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Lets the page download files into `dir`.
    pub async fn downloads_to(&self, dir: &Path) {
        self.call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.display().to_string()}),
        )
        .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (20 s) for a file in `dir` whose name ends with `suffix`, and returns its text.
pub async fn downloaded(dir: &Path, suffix: &str) -> String {
    for _ in 0..200 {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix));
        if let Some(path) = found
            && let Ok(text) = std::fs::read_to_string(&path)
            && !text.is_empty()
        {
            std::fs::remove_file(&path).expect("download removed");
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no `*{suffix}` download arrived in {}", dir.display());
}
