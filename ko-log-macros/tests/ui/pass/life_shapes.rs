//! Every function shape #[ko_log::life] supports compiles, without warnings, and runs
//! with its lives enabled.

#![deny(warnings)]

use std::fmt;

#[ko_log::life("Sync")]
fn sync() {}

#[ko_log::life("Fields", level = "trace", target = "app::db", fields(a, b = a * 2, c:% = "x", d:? = (1, 2)))]
fn with_fields(a: u32) -> u32 {
    a
}

#[ko_log::life("Early return", fields(flag))]
fn early(flag: bool) -> &'static str {
    if flag {
        return "early";
    }
    "late"
}

#[ko_log::life("Question mark")]
fn question_mark(text: &str) -> Result<u8, std::num::ParseIntError> {
    let n: u8 = text.parse()?;
    Ok(n)
}

#[ko_log::life("Boxed error")]
fn boxed(text: &str) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<u8>()?)
}

#[ko_log::life("io::Result")]
fn io_result() -> std::io::Result<()> {
    Ok(())
}

type Fallible<T> = Result<T, String>;

#[ko_log::life("Alias", err = true)]
fn alias() -> Fallible<u8> {
    Err("no".to_owned())
}

#[ko_log::life("No err line", err = false)]
fn no_err() -> Result<(), String> {
    Ok(())
}

#[ko_log::life("Error with no traits")]
fn unit_error() -> Result<(), ()> {
    Err(())
}

#[ko_log::life("Generic", fields(count = items.len()))]
fn generic<T: Clone, const N: usize>(items: [T; N]) -> Vec<T>
where
    T: fmt::Debug,
{
    items.to_vec()
}

#[ko_log::life("impl Trait")]
fn evens() -> impl Iterator<Item = u32> {
    (0..10).filter(|n| n % 2 == 0)
}

#[ko_log::life("impl Trait in Result")]
fn lines(text: &str) -> Result<impl Iterator<Item = &str> + '_, String> {
    Ok(text.lines())
}

#[ko_log::life("Never returns normally")]
#[allow(unreachable_code)]
fn diverges() -> ! {
    panic!("always")
}

#[ko_log::life("Unsafe")]
unsafe fn read(pointer: *const u8) -> u8 {
    unsafe { *pointer }
}

#[ko_log::life("Raw field name", fields(r#type = 1))]
fn raw_field() {}

struct Counter {
    n: u64,
}

impl Counter {
    #[ko_log::life("By ref", fields(n = self.n))]
    fn get(&self) -> u64 {
        self.n
    }

    #[ko_log::life("By mut ref")]
    fn bump(&mut self) -> Result<&mut u64, String> {
        self.n += 1;
        Ok(&mut self.n)
    }

    #[ko_log::life("By value")]
    fn into_inner(self) -> u64 {
        self.n
    }

    #[ko_log::life("Boxed self")]
    fn boxed(self: Box<Self>) -> u64 {
        self.n
    }

    #[ko_log::life("Associated")]
    fn new() -> Self {
        Counter { n: 0 }
    }
}

trait Store {
    fn load(&self) -> Result<u8, String>;

    #[ko_log::life("Default method")]
    fn load_twice(&self) -> Result<u8, String> {
        Ok(self.load()? + self.load()?)
    }
}

impl Store for Counter {
    #[ko_log::life("Trait impl")]
    fn load(&self) -> Result<u8, String> {
        u8::try_from(self.n).map_err(|e| e.to_string())
    }
}

#[ko_log::life("Async")]
async fn async_fn(n: u8) -> u8 {
    std::future::ready(n).await
}

#[ko_log::life("Async result")]
async fn async_result(text: &str) -> Result<u8, std::num::ParseIntError> {
    let n: u8 = text.parse()?;
    std::future::ready(()).await;
    Ok(n)
}

#[ko_log::life("Async generic")]
async fn async_generic<T: Send>(value: T) -> T {
    value
}

impl Counter {
    #[ko_log::life("Async by mut ref")]
    async fn async_bump(&mut self) -> &mut u64 {
        self.n += 1;
        &mut self.n
    }

    #[ko_log::life("Async by value")]
    async fn async_into(self) -> u64 {
        self.n
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Lives enabled, so every shape also runs its logging path.
    ko_log::testing::init();
    std::panic::set_hook(Box::new(|_| {}));
    sync();
    assert_eq!(with_fields(2), 2);
    assert_eq!(early(true), "early");
    assert!(question_mark("x").is_err());
    assert!(boxed("7").is_ok());
    assert!(io_result().is_ok());
    assert!(alias().is_err());
    assert!(no_err().is_ok());
    assert!(unit_error().is_err());
    assert_eq!(generic([1, 2]), [1, 2]);
    assert_eq!(evens().count(), 5);
    assert_eq!(lines("a\nb").map(Iterator::count), Ok(2));
    assert!(std::panic::catch_unwind(|| diverges()).is_err());
    assert_eq!(unsafe { read(&7) }, 7);
    raw_field();
    let mut counter = Counter::new();
    *counter.bump().unwrap() += 1;
    assert_eq!(counter.get(), 2);
    assert_eq!(counter.load_twice(), Ok(4));
    assert_eq!(*assert_send(counter.async_bump()).await, 3);
    assert_eq!(Box::new(Counter { n: 1 }).boxed(), 1);
    assert_eq!(counter.into_inner(), 3);
    assert_eq!(assert_send(async_fn(1)).await, 1);
    assert!(async_result("x").await.is_err());
    assert_eq!(async_generic("v").await, "v");
    assert_eq!(Counter { n: 5 }.async_into().await, 5);
    let _life = ko_log::life_guard!("Guard", level = "debug", fields(n = 1));
    let out = ko_log::life_guard!("Around").around(async { 1 }).await;
    assert_eq!(out, 1);
    assert_eq!(ko_log::Life::scope("Scope", async { 2 }).await, 2);
}
