//! Each handler's processors work on what that handler receives and nothing else: the
//! last handler of a route runs them on the record itself (no copy), any earlier one on a
//! copy, and no handler sees what another's processors changed, in either order.

use ko_log::config::Format;
use ko_log::testing::Sink;

#[test]
fn a_handlers_processors_change_only_what_that_handler_receives() {
    let config = r#"
        [loggers.root]
        level = "info"
        handlers = ["hide_user", "plain", "hide_token"]
        [loggers.reversed]
        handlers = ["hide_token", "plain", "hide_user"]
        additive = false
        [handlers.hide_user]
        type = "null"
        processors = [{ type = "redact", keys = ["user"] }]
        [handlers.plain]
        type = "null"
        [handlers.hide_token]
        type = "null"
        processors = [{ type = "redact", keys = ["token"] }]
    "#;
    let _guard = ko_log::init_from_str(config, Format::Toml).unwrap();
    let sink = |name| Sink::handler(name).with_format("{message}{kv}").unwrap();
    let (hide_user, plain, hide_token) = (sink("hide_user"), sink("plain"), sink("hide_token"));
    log::info!(user = "ana", token = "t0k"; "root");
    log::info!(target: "reversed", user = "bob", token = "s3c"; "reversed");
    log::logger().flush();
    assert_eq!(
        hide_user.lines(),
        ["root user=*** token=t0k", "reversed user=*** token=s3c"]
    );
    assert_eq!(
        plain.lines(),
        ["root user=ana token=t0k", "reversed user=bob token=s3c"]
    );
    assert_eq!(
        hide_token.lines(),
        ["root user=ana token=***", "reversed user=bob token=***"]
    );
}
