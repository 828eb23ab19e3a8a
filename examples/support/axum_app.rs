//! The axum app of `examples/axum_app.rs`, as a library so the tests start it in-process.
//!
//! A small JSON API on corio: items in shared state, a job route that awaits a corio
//! [`Queue`] served by a background worker task, per-client rate limiting with corio's
//! [`RateLimiter`], served by `corio_hyper::serve` with a graceful drain.
//!
//! | route | what |
//! |---|---|
//! | `GET /health` | `ok` |
//! | `GET /items`, `POST /items` | list; create from `{"name": .., "qty": ..}` (201) |
//! | `GET /items/{id}`, `DELETE /items/{id}` | one item, or a JSON 404 |
//! | `POST /jobs` | `{"text": ..}`: queued (waits while the queue is full), counted by the worker |
//! | `GET /stats` | items, jobs done, queue length, clients seen |
//!
//! Every route is rate limited per client IP: past the burst, `429 Too Many Requests`
//! with `Retry-After`.

use std::collections::{BTreeMap, HashMap};
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use corio::net::TcpListener;
use corio::sync::{oneshot, Queue, RateLimiter};
use corio_hyper::ConnectInfo;
use serde::{Deserialize, Serialize};

/// The app's knobs.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Requests a client may make per `period` (sustained).
    pub rate: u32,
    /// The rate limiter's period.
    pub period: Duration,
    /// Requests a client may make at once before the rate applies.
    pub burst: u32,
    /// Jobs waiting for the worker before `POST /jobs` waits too.
    pub queue_size: usize,
    /// How long the drain waits for in-flight requests on shutdown.
    pub drain_timeout: Duration,
}

impl Default for AppConfig {
    fn default() -> AppConfig {
        AppConfig {
            rate: 1000,
            period: Duration::from_secs(1),
            burst: 1000,
            queue_size: 64,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// An item of the JSON API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Item {
    /// Assigned by the server.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// How many.
    pub qty: u32,
}

/// The body of `POST /items`.
#[derive(Debug, Deserialize)]
pub struct NewItem {
    name: String,
    qty: u32,
}

/// The body of `POST /jobs`.
#[derive(Debug, Deserialize)]
pub struct JobRequest {
    text: String,
}

/// What the worker answers for a job.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobResult {
    /// The job's number, in the order the worker took them.
    pub job: u64,
    /// Whitespace-separated words in the text.
    pub words: usize,
    /// Characters in the text.
    pub chars: usize,
}

/// A queued job: the text and where the worker sends the result.
type Job = (String, oneshot::Sender<JobResult>);

/// The state every handler shares.
pub struct AppState {
    config: AppConfig,
    items: Mutex<BTreeMap<u64, Item>>,
    next_id: AtomicU64,
    jobs: Queue<Job>,
    jobs_done: AtomicU64,
    limiters: Mutex<HashMap<IpAddr, Arc<RateLimiter>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Fresh state with `config`.
    ///
    /// # Panics
    /// If the rate limiter settings are invalid (a zero rate, period or burst).
    pub fn new(config: AppConfig) -> Arc<AppState> {
        RateLimiter::with_burst(config.rate, config.period, config.burst)
            .unwrap_or_else(|e| panic!("AppConfig: {e}"));
        Arc::new(AppState {
            jobs: Queue::new(config.queue_size),
            config,
            items: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
            jobs_done: AtomicU64::new(0),
            limiters: Mutex::new(HashMap::new()),
        })
    }

    fn limiter(&self, ip: IpAddr) -> Arc<RateLimiter> {
        let mut map = self.limiters.lock().unwrap();
        map.entry(ip)
            .or_insert_with(|| {
                let c = &self.config;
                Arc::new(
                    RateLimiter::with_burst(c.rate, c.period, c.burst).expect("checked in new"),
                )
            })
            .clone()
    }
}

/// A JSON error body with its status.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn rate_limit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if state.limiter(peer.ip()).try_acquire() {
        return next.run(req).await;
    }
    let mut res = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
    let wait = (state.config.period.as_secs_f64() / f64::from(state.config.rate))
        .ceil()
        .max(1.0);
    res.headers_mut()
        .insert(header::RETRY_AFTER, (wait as u64).into());
    res
}

async fn list_items(State(state): State<Arc<AppState>>) -> Json<Vec<Item>> {
    Json(state.items.lock().unwrap().values().cloned().collect())
}

async fn create_item(
    State(state): State<Arc<AppState>>,
    Json(new): Json<NewItem>,
) -> (StatusCode, Json<Item>) {
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let item = Item {
        id,
        name: new.name,
        qty: new.qty,
    };
    state.items.lock().unwrap().insert(id, item.clone());
    (StatusCode::CREATED, Json(item))
}

async fn get_item(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> Response {
    match state.items.lock().unwrap().get(&id) {
        Some(item) => Json(item.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such item"),
    }
}

async fn delete_item(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> Response {
    match state.items.lock().unwrap().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, "no such item"),
    }
}

/// Awaits room in the queue (backpressure), then the worker's answer.
async fn submit_job(State(state): State<Arc<AppState>>, Json(job): Json<JobRequest>) -> Response {
    let (tx, rx) = oneshot::channel();
    if state.jobs.put((job.text, tx)).await.is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match rx.await {
        Ok(result) => Json(result).into_response(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
    }
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "items": state.items.lock().unwrap().len(),
        "jobs_done": state.jobs_done.load(Ordering::Relaxed),
        "queue_len": state.jobs.qsize(),
        "clients": state.limiters.lock().unwrap().len(),
    }))
}

/// The background worker: takes jobs until the queue is shut down and drained.
pub async fn worker(state: Arc<AppState>) {
    while let Ok((text, reply)) = state.jobs.get().await {
        let job = state.jobs_done.fetch_add(1, Ordering::Relaxed) + 1;
        let result = JobResult {
            job,
            words: text.split_whitespace().count(),
            chars: text.chars().count(),
        };
        // The client may have gone: its handler was cancelled, nobody waits.
        let _ = reply.send(result);
        let _ = state.jobs.task_done();
    }
}

/// The app's router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/items", get(list_items).post(create_item))
        .route("/items/{id}", get(get_item).delete(delete_item))
        .route("/jobs", post(submit_job))
        .route("/stats", get(stats))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state)
}

/// Runs the app on `listener` until `shutdown` completes, then drains: no new
/// connections, in-flight requests finish (up to `drain_timeout`), the job queue is
/// shut down after the last request and the worker finishes what it holds.
///
/// # Errors
/// As `corio_hyper::serve`.
pub async fn run(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let worker = corio::spawn(worker(state.clone()));
    let served = corio_hyper::serve(listener, router(state.clone()))
        .with_connect_info() // the rate limiter keys on the client's address
        .drain_timeout(state.config.drain_timeout)
        .with_graceful_shutdown(shutdown)
        .into_future()
        .await;
    state.jobs.shutdown(false);
    let _ = worker.await;
    served
}
