fn migrate(version: u32, apply: bool) -> usize {
    let __ko_log_life = {
        static __KO_LOG_SITE: ::ko_log::__private::life::Site = ::ko_log::__private::life::Site {
            label: "Database migration",
            level: ::ko_log::__private::log::Level::Debug,
            target: ::core::module_path!(),
            module_path: ::core::option::Option::Some(::core::module_path!()),
            file: ::core::file!(),
            line: ::core::line!(),
        };
        ::ko_log::__private::life::Life::start(
            &__KO_LOG_SITE,
            |__ko_log_fields| {
                __ko_log_fields
                    .push(("version", ::ko_log::__private::life::value(&version)));
                __ko_log_fields
                    .push(("dry_run", ::ko_log::__private::life::value(&(!apply))));
            },
        )
    };
    run(version, apply)
}
