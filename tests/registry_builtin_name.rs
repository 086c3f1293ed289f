//! A component registered under a typed built-in's name would never be used (the config
//! reads that name as the built-in): init refuses it, naming the registration. (Its own
//! test binary: the registration makes every init in the binary fail.)

use ko_log::{Action, Event};

#[ko_log::processor(name = "redact")]
fn my_redact() -> impl FnMut(&mut Event) -> Action + Send + 'static {
    |_| Action::Keep
}

#[test]
fn a_registration_under_a_builtin_name_is_refused_at_init() {
    let error = ko_log::init_from_str(
        "[handlers.h]\ntype = \"null\"\n",
        ko_log::config::Format::Toml,
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "`registry_builtin_name::my_redact` ({}:8) registers a processor named `redact`, which is a built-in processor type, so it would never be used; give it another name with #[ko_log::processor(name = \"...\")]",
            file!()
        )),
        "{message}"
    );
    assert_eq!(error.code(), "CONFIGURATION::Config::VALIDATION::ERROR");
}
