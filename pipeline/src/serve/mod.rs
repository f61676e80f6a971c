//! `dtto serve`: the draft edition of a period, on a local web page that
//! follows the statisticians' edits. Each time a file of `queries/` or
//! `templates/`, the configuration or the warehouse's current delivery
//! changes, the page is made again ([`preview`]) and the open page reloads
//! itself ([`page`]). A change that does not make a page leaves the last
//! good figures in view, under what went wrong.

pub mod page;
pub mod preview;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tiny_http::{Header, Request, Response, Server};

use crate::ingest::warehouse::Warehouse;
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
    Failed(&'a preview::PreviewError),
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
            answer(request, &shown);
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
    let watched = [
        options.queries.clone(),
        options.templates.clone(),
        options.config.clone(),
        Warehouse::new(&options.warehouse).current_pointer(),
    ];
    let mut preview = Preview::new(options);
    let mut seen = None;
    loop {
        let now = watch::fingerprint(&watched);
        if seen != Some(now) {
            seen = Some(now);
            let started = Instant::now();
            let made = runtime.block_on(preview.page());
            match &made {
                Ok(page) => tell(Event::Made {
                    page,
                    seconds: started.elapsed().as_secs_f64(),
                }),
                Err(e) => tell(Event::Failed(e)),
            }
            let mut shown = shown
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            shown.generation += 1;
            match made {
                Ok(page) => {
                    shown.bulletin = Some(page.html);
                    shown.problem = None;
                }
                Err(e) => shown.problem = Some(e.to_string()),
            }
        }
        std::thread::sleep(WATCH_EVERY);
    }
}

fn answer(request: Request, shown: &Mutex<Shown>) {
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let (body, content_type, status) = {
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

fn header(field: &str, value: &str) -> Header {
    Header::from_bytes(field.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("the headers are constant ASCII"))
}
