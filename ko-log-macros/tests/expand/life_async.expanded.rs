async fn fetch(url: &Url) -> std::io::Result<Bytes> {
    let __ko_log_life = {
        static __KO_LOG_SITE: ::ko_log::__private::life::Site = ::ko_log::__private::life::Site {
            label: "Fetch",
            level: ::ko_log::__private::log::Level::Info,
            target: ::core::module_path!(),
            module_path: ::core::option::Option::Some(::core::module_path!()),
            file: ::core::file!(),
            line: ::core::line!(),
        };
        ::ko_log::__private::life::Life::start_async(
            &__KO_LOG_SITE,
            |__ko_log_fields| {
                __ko_log_fields.push(("url", ::ko_log::__private::life::display(&url)));
            },
        )
    };
    let __ko_log_result: std::io::Result<Bytes> = async move { client().get(url).await }
        .await;
    __ko_log_life
        .finish(
            match ::ko_log::__private::life::LifeResult::life_error(&__ko_log_result) {
                ::core::option::Option::Some(__ko_log_error) => {
                    ::core::option::Option::Some({
                        #[allow(unused_imports)]
                        use ::ko_log::__private::life::{
                            ViaDebug as _, ViaDisplay as _, ViaError as _,
                            ViaTypeName as _,
                        };
                        (&&&::ko_log::__private::life::ErrorField(__ko_log_error))
                            .ko_log_error_value()
                    })
                }
                ::core::option::Option::None => ::core::option::Option::None,
            },
        );
    __ko_log_result
}
