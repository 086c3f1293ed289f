fn load(path: &Path) -> Result<Schema, LoadError> {
    let __ko_log_life = {
        static __KO_LOG_SITE: ::ko_log::__private::life::Site = ::ko_log::__private::life::Site {
            label: "Load schema",
            level: ::ko_log::__private::log::Level::Info,
            target: ::core::module_path!(),
            module_path: ::core::option::Option::Some(::core::module_path!()),
            file: ::core::file!(),
            line: ::core::line!(),
        };
        ::ko_log::__private::life::Life::start(&__KO_LOG_SITE, |__ko_log_fields| {})
    };
    let __ko_log_result: Result<Schema, LoadError> = ::ko_log::__private::life::call_once(move ||
    {
        let text = read(path)?;
        parse(&text)
    });
    if let ::core::option::Option::Some(__ko_log_error) = ::ko_log::__private::life::LifeResult::life_error(
        &__ko_log_result,
    ) {
        __ko_log_life
            .finish(
                ::core::option::Option::Some({
                    #[allow(unused_imports)]
                    use ::ko_log::__private::life::{
                        ViaDebug as _, ViaDisplay as _, ViaError as _, ViaTypeName as _,
                    };
                    (&&&::ko_log::__private::life::ErrorField(__ko_log_error))
                        .ko_log_error_value()
                }),
            );
    }
    __ko_log_result
}
