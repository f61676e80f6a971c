//! `dtto serve`: the draft edition of a period, on a local web page that
//! follows the statisticians' edits. Each time a file of `queries/` or
//! `templates/`, the configuration, the warehouse's current delivery or an
//! edition under the output folder changes ([`watch`]), the page is made
//! again ([`preview`]) and the open page reloads itself ([`page`]). A change that does not make a page leaves the last
//! good figures in view, under what went wrong. The page is served by
//! [`http`], which keeps any one client from holding up the others.

pub mod http;
pub mod page;
pub mod preview;
pub mod watch;

use std::net::{SocketAddr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dtto_ingest::warehouse::{SUMMARY_FILE, Warehouse};
use dtto_storage::layout::EditionLayout;
use http::{LIMITS, Request, Response, Status};
use page::{Attempt, GENERATION_PATH, Shown};
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
    let failed = |e: std::io::Error| ServeError {
        port,
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(failed)?;
    let address = listener.local_addr().map_err(failed)?;
    tell(Event::Listening(address));
    let shown = Mutex::new(Shown::default());
    std::thread::scope(|scope| {
        scope.spawn(|| follow_changes(options, runtime, &shown, tell));
        http::serve_forever(&listener, &LIMITS, &|request| {
            answer(request, &shown, address.port())
        });
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
            lock(shown).update(match made {
                Ok(page) => Attempt::Made(page.html),
                Err(problem) => Attempt::Failed(problem),
            });
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
            .map(|entry| EditionLayout::new(entry.path()).public_manifest())
            .collect();
        editions.sort();
        paths.extend(editions);
    }
    paths
}

/// The reply to a request. The page is copied out under the lock and
/// written after it is released: a slow client never holds up the next
/// page being made.
fn answer(request: &Request, shown: &Mutex<Shown>, port: u16) -> Response {
    if !from_this_machine(request.host.as_deref(), port) {
        return Response::text(
            Status::Forbidden,
            "Only http://127.0.0.1 or http://localhost shows the preview",
        );
    }
    match request.path() {
        "/" | "/index.html" => Response {
            status: Status::Ok,
            content_type: "text/html; charset=utf-8",
            body: lock(shown).page(),
        },
        GENERATION_PATH => Response::text(Status::Ok, lock(shown).generation.to_string()),
        _ => Response::text(Status::NotFound, "Not found: the preview is at /"),
    }
}

/// What is shown. A thread that panicked while holding the lock leaves
/// the last page and generation set whole (`Shown::update` only assigns
/// them), so they are shown rather than nothing.
fn lock(shown: &Mutex<Shown>) -> MutexGuard<'_, Shown> {
    shown
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the request's `Host` names this machine. Listening on
/// 127.0.0.1 keeps other machines out, but a web page open in the same
/// browser could still reach the preview through a name of its own that
/// it points at 127.0.0.1 (DNS rebinding); such a request carries that
/// name, and is refused.
fn from_this_machine(host: Option<&str>, port: u16) -> bool {
    let allowed = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    host.is_some_and(|host| allowed.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(target: &str, host: Option<&str>) -> Request {
        Request {
            method: http::Method::Get,
            target: target.to_string(),
            host: host.map(String::from),
            keep_alive: true,
        }
    }

    #[test]
    fn only_a_request_naming_this_machine_and_port_is_shown_the_preview() {
        let shown = Mutex::new(Shown {
            generation: 3,
            bulletin: None,
            problem: None,
        });
        let status =
            |target: &str, host: Option<&str>| answer(&get(target, host), &shown, 8000).status;
        for host in ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000"] {
            assert_eq!(status("/", Some(host)), Status::Ok, "{host}");
        }
        for host in [
            None,
            Some("evil.example:8000"),
            Some("127.0.0.1:8001"),
            Some("localhost"),
        ] {
            assert_eq!(status("/", host), Status::Forbidden, "{host:?}");
        }
        assert_eq!(
            status("/index.html?x=1", Some("localhost:8000")),
            Status::Ok
        );
        assert_eq!(status("/other", Some("localhost:8000")), Status::NotFound);
        let generation = answer(
            &get("/generation?t=9", Some("127.0.0.1:8000")),
            &shown,
            8000,
        );
        assert_eq!(generation.body, "3");
        assert_eq!(generation.content_type, "text/plain");
        let page = answer(&get("/", Some("127.0.0.1:8000")), &shown, 8000);
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(page.body.contains("Making the preview"));
    }
}
