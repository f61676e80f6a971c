//! `dtto serve`: the draft edition of a period, on a local web page that
//! follows the statisticians' edits. Each time a file of `queries/` or
//! `templates/`, the configuration, the warehouse's current delivery or an
//! edition under the output folder changes ([`watch`]), the page is made
//! again ([`preview`]) and the open page reloads itself ([`page`]). A change that does not make a page leaves the last
//! good figures in view, under what went wrong.

pub mod page;
pub mod preview;
pub mod watch;

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tiny_http::{Header, Request, Response, Server};

use crate::ingest::warehouse::{SUMMARY_FILE, Warehouse};
use crate::run::PUBLIC;
use page::{GENERATION_PATH, Shown};
use preview::{Preview, PreviewOptions};

/// How often the watched files are read for a change.
const WATCH_EVERY: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
#[error("could not listen on 127.0.0.1:{port}: {reason} (choose another --port)")]
pub struct ServeError {
    port: u16,
    reason: String,
}

/// What the preview tells its user as it goes.
pub enum Event<'a> {
    /// Listening: the page is at this address.
    Listening(SocketAddr),
    /// A page was made.
    Made {
        page: &'a preview::Page,
        seconds: f64,
    },
    /// An attempt failed; the last good page stays.
    Failed(&'a str),
}

/// Serves the preview on 127.0.0.1 (`port` 0: any free port) until the
/// process is stopped. Only this machine can reach it: a draft's figures
/// are not yet for anyone else.
pub fn serve(
    options: PreviewOptions,
    port: u16,
    runtime: &tokio::runtime::Runtime,
    tell: &(dyn Fn(Event) + Sync),
) -> Result<(), ServeError> {
    let failed = |reason: String| ServeError { port, reason };
    let server = Server::http(("127.0.0.1", port)).map_err(|e| failed(e.to_string()))?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| failed("not an IP address".to_string()))?;
    tell(Event::Listening(address));
    let shown = Mutex::new(Shown::default());
    std::thread::scope(|scope| {
        scope.spawn(|| follow_changes(options, runtime, &shown, tell));
        for request in server.incoming_requests() {
            answer(request, &shown, address.port());
        }
    });
    Ok(())
}

/// Makes a page each time the watched files change, forever.
fn follow_changes(
    options: PreviewOptions,
    runtime: &tokio::runtime::Runtime,
    shown: &Mutex<Shown>,
    tell: &(dyn Fn(Event) + Sync),
) {
    let mut preview = Preview::new(options.clone());
    let mut seen = None;
    loop {
        let now = watch::fingerprint(&watched(&options));
        if seen != Some(now) {
            seen = Some(now);
            let started = Instant::now();
            let made =
                std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(preview.page())));
            let made = match made {
                Ok(made) => made.map_err(|e| e.to_string()),
                Err(_) => {
                    // Whatever it kept may be half made: start afresh.
                    preview = Preview::new(options.clone());
                    Err(FAULT.to_string())
                }
            };
            match &made {
                Ok(page) => tell(Event::Made {
                    page,
                    seconds: started.elapsed().as_secs_f64(),
                }),
                Err(problem) => tell(Event::Failed(problem)),
            }
            let made = made.map(|page| page.html);
            shown
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .update(made);
        }
        std::thread::sleep(WATCH_EVERY);
    }
}

/// Shown when making a page panicked, after the panic's own message on
/// standard error.
const FAULT: &str = "dtto failed while making the page: a fault in dtto, not in your \
                     files (its message is in the terminal running dtto serve); \
                     please report it. The next change you save tries again.";

/// Everything the page is made from: `queries/`, `templates/`, the
/// configuration, which delivery is current and how it was ingested, and
/// the editions published (the latest earlier one is revised against).
fn watched(options: &PreviewOptions) -> Vec<PathBuf> {
    let warehouse = Warehouse::new(&options.warehouse);
    let mut paths = vec![
        options.queries.clone(),
        options.templates.clone(),
        options.config.clone(),
        warehouse.current_pointer(),
    ];
    paths.extend(warehouse.current_dir().map(|dir| dir.join(SUMMARY_FILE)));
    if let Ok(entries) = std::fs::read_dir(&options.output) {
        let mut editions: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path().join(PUBLIC).join("manifest.json"))
            .collect();
        editions.sort();
        paths.extend(editions);
    }
    paths
}

fn answer(request: Request, shown: &Mutex<Shown>, port: u16) {
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let (body, content_type, status) = if !from_this_machine(&request, port) {
        (
            "Only http://127.0.0.1 or http://localhost shows the preview".to_string(),
            "text/plain",
            403,
        )
    } else {
        let shown = shown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match path.as_str() {
            "/" | "/index.html" => (shown.page(), "text/html; charset=utf-8", 200),
            GENERATION_PATH => (shown.generation.to_string(), "text/plain", 200),
            _ => (
                "Not found: the preview is at /".to_string(),
                "text/plain",
                404,
            ),
        }
    };
    let response = Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"));
    // A browser that went away before its answer needs none.
    let _ = request.respond(response);
}

/// Whether the request names this machine as its host. Listening on
/// 127.0.0.1 keeps other machines out, but a web page open in the same
/// browser could still reach the preview through a name of its own that
/// it points at 127.0.0.1 (DNS rebinding); such a request carries that
/// name, and is refused.
fn from_this_machine(request: &Request, port: u16) -> bool {
    let host = request
        .headers()
        .iter()
        .find(|header| header.field.equiv("Host"))
        .map(|header| header.value.as_str());
    let allowed = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    host.is_some_and(|host| allowed.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

fn header(field: &str, value: &str) -> Header {
    Header::from_bytes(field.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("the headers are constant ASCII"))
}
