//! A local HTTP server on loopback that serves the recorded best-100 pages in
//! pages, standing in for Gmarket (which tests cannot reach), with faults to
//! inject: 503s before success, 429s with a Retry-After, a page that never answers in time, a
//! truncated page, another layout, raw bytes under a chosen Content-Type, a redirect.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::root;

/// What to do to one page.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer 503 this many times, then serve the page.
    Unavailable(u32),
    /// Wait this long before answering.
    Slow(Duration),
    /// Serve only the first half of the page.
    Truncated,
    /// Serve this body instead.
    Body(String),
    /// Serve these bytes instead, with this Content-Type header, or none.
    Raw { content_type: Option<String>, body: Vec<u8> },
    /// Answer 302 with this Location.
    Redirect(String),
    /// Answer 429 with this Retry-After this many times, then serve the page.
    TooMany { times: u32, retry_after: String },
}

/// A running server.
pub struct Site {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    faults: Arc<Mutex<HashMap<String, Fault>>>,
    /// Requests served, by path and query.
    pub hits: Arc<Mutex<HashMap<String, u32>>>,
}

/// The fixture file for a request target, if any; query parameters after the first are ignored.
fn page(target: &str) -> Option<String> {
    let target = target.split('&').next().unwrap_or(target);
    let dir = root().join("pages");
    let path = if let Some(code) = target.strip_prefix("/Best/Category?code=") {
        dir.join(format!("mobile2021/{code}.html"))
    } else if let Some(group) = target.strip_prefix("/n/best?groupCode=") {
        let n: u32 = group.parse().ok()?;
        dir.join(format!("next2024/G{:02}.html", n % 100))
    } else {
        return None;
    };
    std::fs::read_to_string(path).ok()
}

impl Site {
    /// Starts serving on a free port of 127.0.0.1.
    pub fn start() -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let faults: Arc<Mutex<HashMap<String, Fault>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let (f, h) = (faults.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (f, h) = (f.clone(), h.clone());
                std::thread::spawn(move || serve(stream, &f, &h));
            }
        });
        Site { base, faults, hits }
    }

    /// Injects `fault` on the page at `target` (path and query).
    pub fn fault(&self, target: &str, fault: Fault) {
        self.faults.lock().unwrap().insert(target.to_string(), fault);
    }
}

fn serve(mut s: TcpStream, faults: &Mutex<HashMap<String, Fault>>, hits: &Mutex<HashMap<String, u32>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let n = {
        let mut h = hits.lock().unwrap();
        let e = h.entry(target.clone()).or_default();
        *e += 1;
        *e
    };
    let fault = faults.lock().unwrap().get(&target).cloned();
    let respond = |s: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]| {
        let mut head = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(body);
    };
    let html = [("Content-Type", "text/html; charset=utf-8")];
    let Some(body) = page(&target) else {
        respond(&mut s, "404 Not Found", &html, b"no such page");
        return;
    };
    match fault {
        Some(Fault::Unavailable(k)) if n <= k => respond(&mut s, "503 Service Unavailable", &html, b"busy"),
        Some(Fault::Slow(d)) => {
            std::thread::sleep(d);
            respond(&mut s, "200 OK", &html, body.as_bytes());
        }
        Some(Fault::Truncated) => {
            let mut cut = body.len() / 2;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            respond(&mut s, "200 OK", &html, &body.as_bytes()[..cut]);
        }
        Some(Fault::Body(other)) => respond(&mut s, "200 OK", &html, other.as_bytes()),
        Some(Fault::Raw { content_type, body }) => {
            let headers: Vec<(&str, &str)> = content_type.iter().map(|c| ("Content-Type", c.as_str())).collect();
            respond(&mut s, "200 OK", &headers, &body);
        }
        Some(Fault::Redirect(location)) => respond(&mut s, "302 Found", &[("Location", &location)], b""),
        Some(Fault::TooMany { times, retry_after }) if n <= times => {
            respond(&mut s, "429 Too Many Requests", &[("Retry-After", &retry_after)], b"slow down")
        }
        _ => respond(&mut s, "200 OK", &html, body.as_bytes()),
    }
}
