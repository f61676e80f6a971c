//! The preview's web server: HTTP/1.1 over `std::net`, one thread for each
//! connection.
//!
//! What it must not do is let one client hold up the others or take the
//! machine's memory, as tiny_http (used before) did: it wrote every reply
//! from one thread with no time limit, so a client that sent requests and
//! never read stalled every other client, and it read a header line of any
//! length into memory (issue 30). Here each connection has its own thread,
//! a deadline for each request's head to arrive and for each reply to be
//! read, a cap on a head's size and on the requests it may make, and the
//! connections open at once are capped too ([`LIMITS`]).
//!
//! Request heads are parsed by httparse, hyper's parser: strict, without
//! allocation or dependencies of its own. hyper itself would need tokio's
//! sockets and hyper-util for a server, and still leave the time a client
//! may take to read a reply to us; the preview answers two GET paths, so
//! reading, limits and replies are kept here, small enough to read whole.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What one client may take of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once; the next is answered 503 and closed. A
    /// browser opens at most six to one host.
    pub connections: usize,
    /// The bytes of a request's head, its request line and header lines
    /// with their line ends; a longer head is answered 431. A browser's is
    /// under 2 KiB.
    pub head_bytes: usize,
    /// Header lines in a head; more are answered 431.
    pub headers: usize,
    /// Requests answered on one connection, which is then closed. The open
    /// page asks for the generation about three times a second, so it
    /// connects again every half minute or so.
    pub requests_per_connection: usize,
    /// How long a connection may take to send the whole head of its next
    /// request, idle time included, before it is closed.
    pub request_time: Duration,
    /// How long a client may take to read the whole of a reply before its
    /// connection is closed. A bulletin's page goes out in milliseconds on
    /// this machine.
    pub reply_time: Duration,
}

/// The limits `dtto serve` keeps.
pub const LIMITS: Limits = Limits {
    connections: 64,
    head_bytes: 16 * 1024,
    headers: 64,
    requests_per_connection: 100,
    request_time: Duration::from_secs(10),
    reply_time: Duration::from_secs(10),
};

/// How long a connection whose last reply is written is kept to read and
/// drop what its client still sends, and how much of it at most
/// ([`close_after_reply`]).
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: u64 = 64 * 1024;

/// How long the thread that accepts connections may spend telling one
/// client that there are too many.
const BUSY_REPLY_TIME: Duration = Duration::from_millis(100);

/// The pause after a connection could not be accepted (no file descriptor
/// left, say), so that a lasting failure does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// A request to answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The request target as sent: `/generation?t=1`.
    pub target: String,
    /// The one `Host` header's value; `None` only for an HTTP/1.0 request
    /// without one.
    pub host: Option<String>,
    /// Whether the client may send another request on this connection.
    pub keep_alive: bool,
}

impl Request {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }
}

/// The methods answered: HEAD as GET, without the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

/// The statuses the preview answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    HeadersTooLarge,
    Busy,
}

impl Status {
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::HeadersTooLarge => 431,
            Status::Busy => 503,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::HeadersTooLarge => "Request Header Fields Too Large",
            Status::Busy => "Service Unavailable",
        }
    }
}

/// A reply: every one is complete in memory, with its length, and never
/// cached (the page changes as the files do).
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: Status,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    /// A reply in plain text.
    pub fn text(status: Status, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain",
            body: body.into(),
        }
    }
}

/// What makes the reply to a request.
pub type Answer<'a> = dyn Fn(&Request) -> Response + Sync + 'a;

/// Answers every connection to `listener` with `answer`, each on a thread
/// of its own, for as long as the process lives.
pub fn serve_forever(listener: &TcpListener, limits: &Limits, answer: &Answer) {
    let open = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for stream in listener.incoming() {
            let Ok(stream) = stream else {
                std::thread::sleep(ACCEPT_RETRY);
                continue;
            };
            let Some(slot) = Slot::take(&open, limits.connections) else {
                refuse_busy(&stream);
                continue;
            };
            let connection = move || {
                let _slot = slot;
                converse(&stream, limits, answer);
            };
            // A thread the system cannot start drops the connection, and
            // its slot with it: the client sees it closed and may retry.
            let _ = std::thread::Builder::new()
                .name("dtto-serve-connection".to_string())
                .spawn_scoped(scope, connection);
        }
    });
}

/// One of the connections allowed open at once, given back when its thread
/// ends, however it ends.
struct Slot<'a>(&'a AtomicUsize);

impl<'a> Slot<'a> {
    fn take(open: &'a AtomicUsize, most: usize) -> Option<Slot<'a>> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
            (now < most).then_some(now + 1)
        })
        .ok()
        .map(|_| Slot(open))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Tells a client that came when too many connections were open to come
/// back later, without waiting on it.
fn refuse_busy(stream: &TcpStream) {
    let busy = Response::text(
        Status::Busy,
        "The preview has too many connections open: try again",
    );
    let mut writing = Timed::new(stream, BUSY_REPLY_TIME);
    let _ = write_response(&mut writing, &busy, false, true);
}

/// Answers the requests of one connection in turn until it closes, breaks a
/// limit, or asks to be closed.
fn converse(stream: &TcpStream, limits: &Limits, answer: &Answer) {
    // Each reply goes in two writes, its head and its body: without this
    // the body's last packet would wait for the client to acknowledge the
    // head (Nagle's algorithm against delayed acknowledgement, 40 ms).
    let _ = stream.set_nodelay(true);
    // What the client has sent and is not yet answered: the rest of a
    // request's head, or the requests it sent without waiting (pipelined).
    let mut unread = Vec::new();
    for answered in 1..=limits.requests_per_connection {
        let mut reading = Timed::new(stream, limits.request_time);
        let Ok(head) = read_head(&mut reading, &mut unread, limits) else {
            // Closed, too slow or broken: there is no request to answer.
            return;
        };
        let (response, head_only, keep_alive) = match head {
            Head::Request { request, length } => {
                unread.drain(..length);
                let keep_alive = request.keep_alive && answered < limits.requests_per_connection;
                (answer(&request), request.method == Method::Head, keep_alive)
            }
            Head::Refused(response) => (response, false, false),
        };
        let mut writing = Timed::new(stream, limits.reply_time);
        if write_response(&mut writing, &response, head_only, !keep_alive).is_err() {
            // The client does not read its replies in time, or went away.
            return;
        }
        if !keep_alive {
            close_after_reply(stream);
            return;
        }
    }
}

/// A request's head read from the front of what a client sent.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// A request to answer, whose head was the first `length` bytes.
    Request { request: Request, length: usize },
    /// A request not to answer: this reply, then the connection closes,
    /// since where the next request would start cannot be trusted.
    Refused(Response),
}

/// Reads until `unread` starts with a whole head, or with one that breaks
/// the limits. Never holds more than `limits.head_bytes`: a client that
/// sends more without ending its head is refused, unread. An error when
/// the client closes, is too slow or the connection fails.
fn read_head(stream: &mut impl Read, unread: &mut Vec<u8>, limits: &Limits) -> io::Result<Head> {
    let mut chunk = [0; 4096];
    loop {
        if let Some(head) = parse_head(unread, limits.headers) {
            return Ok(head);
        }
        if unread.len() >= limits.head_bytes {
            return Ok(Head::Refused(too_large()));
        }
        let room = (limits.head_bytes - unread.len()).min(chunk.len());
        match stream.read(&mut chunk[..room]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => unread.extend_from_slice(&chunk[..read]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The head at the start of `bytes`, or `None` while it has not all
/// arrived.
fn parse_head(bytes: &[u8], most_headers: usize) -> Option<Head> {
    let mut headers = vec![httparse::EMPTY_HEADER; most_headers];
    let mut parsed = httparse::Request::new(&mut headers);
    let head = match parsed.parse(bytes) {
        Ok(httparse::Status::Partial) => return None,
        Ok(httparse::Status::Complete(length)) => match request_of(&parsed) {
            Ok(request) => Head::Request { request, length },
            Err(refused) => Head::Refused(refused),
        },
        Err(httparse::Error::TooManyHeaders) => Head::Refused(too_large()),
        Err(problem) => Head::Refused(bad_request(&format!("Not an HTTP request: {problem}"))),
    };
    Some(head)
}

/// The request a complete head makes, or the reply that refuses it.
fn request_of(parsed: &httparse::Request) -> Result<Request, Response> {
    let (Some(method), Some(target), Some(minor_version)) =
        (parsed.method, parsed.path, parsed.version)
    else {
        return Err(bad_request("Not an HTTP request: no request line"));
    };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => {
            return Err(Response::text(
                Status::MethodNotAllowed,
                "The preview answers GET and HEAD only",
            ));
        }
    };
    let values = |name: &'static str| {
        parsed
            .headers
            .iter()
            .filter(move |header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value)
    };
    let hosts: Vec<&[u8]> = values("Host").collect();
    let host = match (hosts.as_slice(), minor_version) {
        ([host], _) => Some(
            std::str::from_utf8(host)
                .map_err(|_| bad_request("The Host header is not text"))?
                .trim()
                .to_string(),
        ),
        // HTTP/1.0 did not require it; the preview then refuses the
        // request as not from this machine.
        ([], 0) => None,
        ([], _) => return Err(bad_request("An HTTP/1.1 request names its Host")),
        // Which of them would a proxy, or the browser, have meant?
        _ => return Err(bad_request("A request names one Host, not several")),
    };
    // A body would be read as the next request: the preview takes none.
    let has_body = values("Transfer-Encoding").next().is_some()
        || values("Content-Length").any(|length| length.trim_ascii() != b"0");
    if has_body {
        return Err(bad_request("The preview takes no request body"));
    }
    // HTTP/1.0 closes after each reply unless both sides say otherwise.
    let keep_alive =
        minor_version == 1 && !values("Connection").any(|value| has_token(value, "close"));
    Ok(Request {
        method,
        target: target.to_string(),
        host,
        keep_alive,
    })
}

/// Whether a comma-separated header value holds `token`, in any case.
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&byte| byte == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

fn bad_request(why: &str) -> Response {
    Response::text(Status::BadRequest, why)
}

fn too_large() -> Response {
    Response::text(
        Status::HeadersTooLarge,
        "The request's headers are too large for the preview",
    )
}

/// Writes a reply: its status line and headers, then its body unless the
/// request was HEAD. `close` says the connection closes after it.
fn write_response(
    out: &mut impl Write,
    response: &Response,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let status = response.status;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        status.code(),
        status.reason(),
        response.content_type,
        response.body.len()
    );
    if status == Status::MethodNotAllowed {
        // Said with every 405: these are the only methods answered.
        head.push_str("Allow: GET, HEAD\r\n");
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if !head_only {
        out.write_all(response.body.as_bytes())?;
    }
    out.flush()
}

/// Closes a connection whose last reply is written. Closed while the
/// client's bytes are still unread, the connection would be reset, and a
/// reset can discard the reply before the client reads it (a head refused
/// for its size leaves the rest of it unread): so our side is shut first,
/// and what the client still sends is read and dropped, for a moment.
fn close_after_reply(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let mut rest = Timed::new(stream, LINGER_TIME).take(LINGER_BYTES);
    let _ = io::copy(&mut rest, &mut io::sink());
}

/// A connection whose reads or writes are each given what is left of one
/// deadline: a client that sends or reads a byte at a time cannot stretch
/// a request or a reply past it.
struct Timed<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl<'a> Timed<'a> {
    fn new(stream: &'a TcpStream, within: Duration) -> Timed<'a> {
        Timed {
            stream,
            deadline: Instant::now() + within,
        }
    }

    fn time_left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            Ok(left)
        }
    }
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.time_left()?))?;
        let mut stream = self.stream;
        stream.read(buf)
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.time_left()?))?;
        let mut stream = self.stream;
        stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::TcpListener;
    use std::thread::JoinHandle;

    const GET: &[u8] = b"GET /generation?t=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n";

    fn parse(bytes: &[u8]) -> Option<Head> {
        parse_head(bytes, LIMITS.headers)
    }

    fn refused(bytes: &[u8]) -> Status {
        match parse(bytes) {
            Some(Head::Refused(response)) => response.status,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_head_is_read_from_the_front_of_what_was_sent_and_waited_for_until_whole() {
        let mut two = GET.to_vec();
        two.extend_from_slice(b"HEAD / HTTP/1.1\r\nhost: localhost:8000\r\n\r\n");
        let Some(Head::Request { request, length }) = parse(&two) else {
            panic!("no request in {two:?}");
        };
        assert_eq!(length, GET.len());
        assert_eq!(
            request,
            Request {
                method: Method::Get,
                target: "/generation?t=1".to_string(),
                host: Some("127.0.0.1:8000".to_string()),
                keep_alive: true,
            }
        );
        assert_eq!(request.path(), "/generation");
        let Some(Head::Request { request, .. }) = parse(&two[length..]) else {
            panic!("no second request");
        };
        assert_eq!(request.method, Method::Head);
        assert_eq!(request.host.as_deref(), Some("localhost:8000"));
        for cut in 0..GET.len() {
            assert_eq!(parse(&GET[..cut]), None, "{cut} bytes");
        }
    }

    #[test]
    fn a_request_names_one_host_and_no_other_method_than_get_or_head() {
        let two_hosts = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nHost: evil.example\r\n\r\n";
        assert_eq!(refused(two_hosts), Status::BadRequest);
        assert_eq!(refused(b"GET / HTTP/1.1\r\n\r\n"), Status::BadRequest);
        assert_eq!(
            refused(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"),
            Status::MethodNotAllowed
        );
        let Some(Head::Request { request, .. }) = parse(b"GET / HTTP/1.0\r\n\r\n") else {
            panic!("an HTTP/1.0 request needs no Host");
        };
        assert_eq!(request.host, None);
        assert!(!request.keep_alive, "HTTP/1.0 closes after each reply");
    }

    #[test]
    fn a_request_with_a_body_or_that_is_not_http_is_refused() {
        for head in [
            &b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS hello\r\n\r\n",
        ] {
            assert_eq!(refused(head), Status::BadRequest, "{head:?}");
        }
        let empty_body = b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(parse(empty_body), Some(Head::Request { .. })));
    }

    #[test]
    fn the_client_may_ask_to_close_after_the_reply() {
        for connection in ["close", "Close", "keep-alive, close", "TE,close"] {
            let head = format!("GET / HTTP/1.1\r\nHost: a\r\nConnection: {connection}\r\n\r\n");
            let Some(Head::Request { request, .. }) = parse(head.as_bytes()) else {
                panic!("no request in {head}");
            };
            assert!(!request.keep_alive, "{connection}");
        }
    }

    #[test]
    fn too_many_header_lines_are_refused_as_too_large() {
        let mut head = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..LIMITS.headers {
            head.extend_from_slice(format!("X-{i}: a\r\n").as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        assert!(head.len() < LIMITS.head_bytes);
        assert_eq!(refused(&head), Status::HeadersTooLarge);
    }

    /// A reader that counts what was taken from it.
    struct Counted<R> {
        inner: R,
        taken: usize,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let read = self.inner.read(buf)?;
            self.taken += read;
            Ok(read)
        }
    }

    #[test]
    fn a_header_line_that_never_ends_is_refused_once_the_head_is_full_and_read_no_further() {
        let endless =
            b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".chain(io::repeat(b'a').take(1 << 30));
        let mut stream = Counted {
            inner: endless,
            taken: 0,
        };
        let mut unread = Vec::new();
        let head = read_head(&mut stream, &mut unread, &LIMITS).unwrap();
        assert_eq!(head, Head::Refused(too_large()));
        assert_eq!(stream.taken, LIMITS.head_bytes);
        assert_eq!(unread.len(), LIMITS.head_bytes);
    }

    #[test]
    fn a_head_just_within_the_limit_is_answered() {
        let start = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ";
        let filler = "a".repeat(LIMITS.head_bytes - start.len() - "\r\n\r\n".len());
        let head = format!("{start}{filler}\r\n\r\n");
        assert_eq!(head.len(), LIMITS.head_bytes);
        let mut unread = Vec::new();
        let read = read_head(&mut head.as_bytes(), &mut unread, &LIMITS).unwrap();
        assert!(matches!(read, Head::Request { length, .. } if length == head.len()));
    }

    #[test]
    fn a_reply_has_its_length_and_a_head_request_gets_no_body() {
        let page = Response {
            status: Status::Ok,
            content_type: "text/html; charset=utf-8",
            body: "<p>é</p>".to_string(),
        };
        let mut written = Vec::new();
        write_response(&mut written, &page, false, false).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 9\r\n\
             Cache-Control: no-store\r\n\r\n<p>é</p>"
        );
        let refused = Response::text(Status::MethodNotAllowed, "no");
        let mut written = Vec::new();
        write_response(&mut written, &refused, true, true).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\
             Cache-Control: no-store\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n"
        );
    }

    const QUICK: Limits = Limits {
        request_time: Duration::from_millis(300),
        reply_time: Duration::from_millis(300),
        ..LIMITS
    };

    /// A megabyte of page.
    fn big_page(_: &Request) -> Response {
        Response::text(Status::Ok, "a".repeat(1 << 20))
    }

    /// A client connected on 127.0.0.1 to one conversation with `QUICK`
    /// limits, on its own thread.
    fn conversation() -> (TcpStream, JoinHandle<()>) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let conversing = std::thread::spawn(move || converse(&server, &QUICK, &big_page));
        (client, conversing)
    }

    /// Waits for the conversation to end, and says how long that took.
    fn ended(conversing: JoinHandle<()>) -> Duration {
        let started = Instant::now();
        while !conversing.is_finished() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the connection is still open after 5 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        conversing.join().unwrap();
        started.elapsed()
    }

    #[test]
    fn a_client_that_sends_its_head_a_byte_at_a_time_is_closed_at_the_deadline() {
        let (mut client, conversing) = conversation();
        let started = Instant::now();
        // Each byte well within the time allowed, but the last never sent:
        // only a deadline for the whole head closes this connection.
        for byte in &GET[..GET.len() - 1] {
            if client.write_all(&[*byte]).is_err() || conversing.is_finished() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        ended(conversing);
        let lasted = started.elapsed();
        assert!(
            lasted < QUICK.request_time + Duration::from_secs(1),
            "{lasted:?}"
        );
    }

    #[test]
    fn a_client_that_sends_requests_and_never_reads_is_closed_when_its_reply_is_late() {
        let (mut client, conversing) = conversation();
        // Fifty megabytes of replies: more than the connection's buffers.
        let requests = GET.repeat(50);
        client.write_all(&requests).unwrap();
        let lasted = ended(conversing);
        assert!(
            lasted < QUICK.reply_time + Duration::from_secs(1),
            "{lasted:?}"
        );
        drop(client);
    }
}
