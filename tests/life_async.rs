//! `#[ko_log::life]` on `async fn`s and `Life::scope`/`Life::around`, run on tokio: the
//! exact Begin/End/Failed/Panicked/Cancelled lines, whichever thread polls the future.

mod life_lines;

use std::time::Duration;

use ko_log::Life;
use life_lines::{lines, normalize_with_ms, sink};

#[ko_log::life("Fetch", fields(url))]
async fn fetch(url: &str, pause: Duration) -> usize {
    // The timed work (a suspension point the guard must time across).
    tokio::time::sleep(pause).await;
    log::info!("fetched");
    url.len()
}

#[tokio::test]
async fn an_async_fn_logs_begin_and_end_around_its_awaits() {
    let sink = sink();
    let size = sink
        .scope(fetch("https://a.example", Duration::from_millis(15)))
        .await;
    assert_eq!(size, 17);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Fetch url=https://a.example",
            "INFO fetched",
            "INFO End (s.ss): Fetch url=https://a.example elapsed_ms=<ms>",
        ]
    );
    let (_, ms) = normalize_with_ms(&sink.lines()[2]);
    assert!(ms >= 15.0, "{ms}");
}

#[ko_log::life("Not polled yet")]
async fn lazy() {}

#[tokio::test]
async fn an_async_fn_begins_when_first_polled() {
    let sink = sink();
    let future = lazy();
    assert!(sink.lines().is_empty());
    sink.scope(future).await;
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Not polled yet",
            "INFO End (s.ss): Not polled yet elapsed_ms=<ms>"
        ]
    );
}

async fn connect(ok: bool) -> Result<u16, std::io::Error> {
    tokio::task::yield_now().await;
    if ok {
        Ok(5432)
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ))
    }
}

#[ko_log::life("Connect", level = "debug", fields(ok))]
async fn open_pool(ok: bool) -> std::io::Result<String> {
    let port = connect(ok).await?;
    if port == 0 {
        return Ok(String::new());
    }
    Ok(format!("pool on {port}"))
}

#[tokio::test]
async fn an_async_result_logs_failed_on_err_through_question_mark() {
    let sink = sink();
    sink.scope(async {
        assert_eq!(open_pool(true).await.ok().as_deref(), Some("pool on 5432"));
        assert!(open_pool(false).await.is_err());
    })
    .await;
    assert_eq!(
        lines(&sink),
        [
            "DEBUG Begin: Connect ok=true",
            "DEBUG End (s.ss): Connect ok=true elapsed_ms=<ms>",
            "DEBUG Begin: Connect ok=false",
            "ERROR Failed (s.ss): Connect ok=false elapsed_ms=<ms> error=\"connection refused\"",
        ]
    );
}

#[ko_log::life("Slow job", fields(id))]
async fn slow_job(id: u32) {
    // Work that outlives the 10 ms timeout that cancels it.
    tokio::time::sleep(Duration::from_secs(30)).await;
}

#[tokio::test]
async fn an_async_fn_dropped_before_completing_logs_cancelled() {
    let sink = sink();
    // The future is dropped inside the scope (where a task would drop it), so the
    // Cancelled line is captured too.
    let timed_out = sink
        .scope(async { tokio::time::timeout(Duration::from_millis(10), slow_job(7)).await })
        .await;
    assert!(timed_out.is_err());
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Slow job id=7",
            "WARN Cancelled (s.ss): Slow job id=7 elapsed_ms=<ms>",
        ]
    );
}

#[ko_log::life("Crash", fields(code))]
async fn crash(code: u8) -> u8 {
    tokio::task::yield_now().await;
    if code > 0 {
        panic!("exit {code}");
    }
    code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_logs_panicked() {
    let sink = sink();
    let joined = tokio::spawn(sink.scope(crash(3))).await;
    assert!(joined.expect_err("the task panicked").is_panic());
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Crash code=3",
            "ERROR Panicked (s.ss): Crash code=3 elapsed_ms=<ms>",
        ]
    );
}

struct Cache {
    name: &'static str,
    hits: u32,
}

impl Cache {
    #[ko_log::life("Cache get", fields(cache = self.name, key))]
    async fn get(&self, key: &str) -> Option<u32> {
        tokio::task::yield_now().await;
        (key == "k").then_some(self.hits)
    }

    #[ko_log::life("Cache hit", fields(cache = self.name))]
    async fn hit(&mut self) -> &mut u32 {
        tokio::task::yield_now().await;
        self.hits += 1;
        &mut self.hits
    }

    #[ko_log::life("Cache drop", fields(cache = self.name))]
    async fn into_hits(self) -> u32 {
        self.hits
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_methods_on_a_multi_threaded_runtime() {
    let sink = sink();
    let hits = tokio::spawn(sink.scope(async {
        let mut cache = Cache {
            name: "users",
            hits: 0,
        };
        *cache.hit().await += 10;
        assert_eq!(cache.get("k").await, Some(11));
        cache.into_hits().await
    }))
    .await
    .expect("joined");
    assert_eq!(hits, 11);
    assert_eq!(
        lines(&sink),
        [
            "INFO Begin: Cache hit cache=users",
            "INFO End (s.ss): Cache hit cache=users elapsed_ms=<ms>",
            "INFO Begin: Cache get cache=users key=k",
            "INFO End (s.ss): Cache get cache=users key=k elapsed_ms=<ms>",
            "INFO Begin: Cache drop cache=users",
            "INFO End (s.ss): Cache drop cache=users elapsed_ms=<ms>",
        ]
    );
}

#[tokio::test]
async fn life_scope_times_a_future() {
    ko_log::testing::init();
    let sink = ko_log::testing::Sink::new()
        .with_format("{level} [{target}] {message}")
        .unwrap();
    let answer = sink
        .scope(Life::scope("Compute", async {
            tokio::task::yield_now().await;
            42
        }))
        .await;
    assert_eq!(answer, 42);
    let lines: Vec<String> = sink
        .lines()
        .iter()
        .map(|line| match line.find(" (") {
            Some(open) => format!("{}(s.ss){}", &line[..open + 1], &line[open + 7..]),
            None => line.clone(),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "INFO [ko_log::life] Begin: Compute",
            "INFO [ko_log::life] End (s.ss): Compute"
        ]
    );
    assert_eq!(
        sink.events()[0].file.as_deref(),
        Some("tests/life_async.rs")
    );
}

#[tokio::test]
async fn a_guard_around_a_future_logs_cancelled_when_it_is_dropped() {
    let sink = sink();
    sink.scope(async {
        let life = ko_log::life_guard!("Poll once", level = "debug", fields(attempt = 1));
        let mut future = Box::pin(life.around(std::future::pending::<()>()));
        let polled = futures_poll_once(future.as_mut()).await;
        assert!(polled.is_none());
        drop(future);
        let life = ko_log::life_guard!("Complete", fields(attempt = 2));
        life.around(async {}).await;
    })
    .await;
    assert_eq!(
        lines(&sink),
        [
            "DEBUG Begin: Poll once attempt=1",
            "WARN Cancelled (s.ss): Poll once attempt=1 elapsed_ms=<ms>",
            "INFO Begin: Complete attempt=2",
            "INFO End (s.ss): Complete attempt=2 elapsed_ms=<ms>",
        ]
    );
}

/// Polls `future` once: its output if it was ready.
async fn futures_poll_once<F: std::future::Future + Unpin>(mut future: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut future).poll(cx) {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[ko_log::life("Cancel an error", level = "error")]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn cancelled_is_warn_unless_the_life_is_at_error() {
    let sink = sink();
    let _ = sink
        .scope(async { tokio::time::timeout(Duration::from_millis(1), never_finishes()).await })
        .await;
    assert_eq!(
        lines(&sink),
        [
            "ERROR Begin: Cancel an error",
            "ERROR Cancelled (s.ss): Cancel an error elapsed_ms=<ms>",
        ]
    );
}
