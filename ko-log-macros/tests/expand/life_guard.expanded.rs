fn query() {
    let _life = {
        static __KO_LOG_SITE: ::ko_log::__private::life::Site = ::ko_log::__private::life::Site {
            label: "Database query",
            level: ::ko_log::__private::log::Level::Info,
            target: ::core::module_path!(),
            module_path: ::core::option::Option::Some(::core::module_path!()),
            file: ::core::file!(),
            line: ::core::line!(),
        };
        ::ko_log::__private::life::Life::start(
            &__KO_LOG_SITE,
            |__ko_log_fields| {
                __ko_log_fields
                    .push(("table", ::ko_log::__private::life::value(&"users")));
            },
        )
    };
    run_query();
}
