//! ko-log's own logging macros: `ko_log::info!` and its siblings.
//!
//! Exactly the syntax of `log`'s macros (`target:`, key-values before `;`, positional,
//! named and inline arguments with format specs), and the same record reaches the same
//! pipeline. The difference is when the message is formatted: integers, floats, `bool`,
//! `char`, text and [`crate::Loggable`] types are copied into the record as they are and
//! formatted on the dispatcher thread; any other argument is formatted on the caller, as
//! `log::info!` does (see [`crate::deferred`] for the rules). A disabled level costs one
//! load and a compare before any argument is evaluated.

/// Logs at a level given at run time, with deferred formatting: `ko_log::log!(level, "x {}", y)`.
///
/// ```
/// ko_log::log!(log::Level::Warn, "disk {}% full", 91);
/// ko_log::log!(target: "app::disk", log::Level::Warn, free_mb = 512; "disk {}% full", 91);
/// ```
#[macro_export]
macro_rules! log {
    // After the key-values: the level check, then the deferred call.
    (@kvs $kvs:expr, target: $target:expr, $lvl:expr, $($arg:tt)+) => ({
        let __ko_log_level: $crate::__private::log::Level = $lvl;
        if __ko_log_level <= $crate::__private::log::STATIC_MAX_LEVEL
            && __ko_log_level <= $crate::__private::log::max_level()
        {
            $crate::__private::deferred!($crate, __ko_log_level, $target, $kvs, $($arg)+);
        }
    });
    // log!(target: "my_target", Level::Info, key1:? = 42, key2 = true; "a {} event", "log");
    (target: $target:expr, $lvl:expr, $($key:tt $(:$capture:tt)? $(= $value:expr)?),+; $($arg:tt)+) => (
        $crate::log!(
            @kvs (&[$((
                $crate::__private::log::__log_key!($key),
                $crate::__private::log::__log_value!($key $(:$capture)* = $($value)*)
            )),+] as &[_]),
            target: $target, $lvl, $($arg)+
        )
    );
    // log!(target: "my_target", Level::Info, "a {} event", "log");
    (target: $target:expr, $lvl:expr, $($arg:tt)+) => (
        $crate::log!(@kvs $crate::__private::deferred::NO_KEY_VALUES, target: $target, $lvl, $($arg)+)
    );
    // log!(Level::Info, "a {} event", "log");
    ($lvl:expr, $($arg:tt)+) => ($crate::log!(target: ::core::module_path!(), $lvl, $($arg)+));
}

/// `log::error!` with deferred formatting: same syntax, same record.
///
/// ```
/// ko_log::error!(code = 503; "upstream {} failed after {:.1} s", "billing", 2.5);
/// ```
#[macro_export]
macro_rules! error {
    (target: $target:expr, $($arg:tt)+) => ($crate::log!(target: $target, $crate::__private::log::Level::Error, $($arg)+));
    ($($arg:tt)+) => ($crate::log!($crate::__private::log::Level::Error, $($arg)+));
}

/// `log::warn!` with deferred formatting: same syntax, same record.
///
/// ```
/// ko_log::warn!("retrying in {} ms", 250);
/// ```
#[macro_export]
macro_rules! warn {
    (target: $target:expr, $($arg:tt)+) => ($crate::log!(target: $target, $crate::__private::log::Level::Warn, $($arg)+));
    ($($arg:tt)+) => ($crate::log!($crate::__private::log::Level::Warn, $($arg)+));
}

/// `log::info!` with deferred formatting: same syntax, same record.
///
/// ```
/// let user = "ada";
/// ko_log::info!(target: "app::db", user_id = 7; "query took {:.2} ms for {user}", 1.234);
/// ```
#[macro_export]
macro_rules! info {
    (target: $target:expr, $($arg:tt)+) => ($crate::log!(target: $target, $crate::__private::log::Level::Info, $($arg)+));
    ($($arg:tt)+) => ($crate::log!($crate::__private::log::Level::Info, $($arg)+));
}

/// `log::debug!` with deferred formatting: same syntax, same record.
///
/// ```
/// ko_log::debug!("cache {} of {}", 3, 10);
/// ```
#[macro_export]
macro_rules! debug {
    (target: $target:expr, $($arg:tt)+) => ($crate::log!(target: $target, $crate::__private::log::Level::Debug, $($arg)+));
    ($($arg:tt)+) => ($crate::log!($crate::__private::log::Level::Debug, $($arg)+));
}

/// `log::trace!` with deferred formatting: same syntax, same record.
///
/// ```
/// ko_log::trace!("byte {:#04x}", 0x1f_u8);
/// ```
#[macro_export]
macro_rules! trace {
    (target: $target:expr, $($arg:tt)+) => ($crate::log!(target: $target, $crate::__private::log::Level::Trace, $($arg)+));
    ($($arg:tt)+) => ($crate::log!($crate::__private::log::Level::Trace, $($arg)+));
}
