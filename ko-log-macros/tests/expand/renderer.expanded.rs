fn compact_renderer() -> Compact {
    Compact::default()
}
const _: () = {
    fn __ko_log_params_of(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<
        ::ko_log::__private::component::NoParams,
        ::ko_log::Error,
    > {
        let __ko_log_typed = ::ko_log::__private::component::params::<
            ::ko_log::__private::component::NoParams,
        >(__ko_log_params)?;
        ::core::result::Result::Ok(__ko_log_typed)
    }
    fn __ko_log_check(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<(), ::ko_log::Error> {
        __ko_log_params_of(__ko_log_params).map(::core::mem::drop)
    }
    fn __ko_log_construct(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<
        ::std::boxed::Box<dyn ::ko_log::Renderer>,
        ::ko_log::Error,
    > {
        let __ko_log_typed = __ko_log_params_of(__ko_log_params)?;
        let __ko_log_renderer = compact_renderer();
        ::ko_log::__private::component::renderer(
            "compact",
            __ko_log_params,
            __ko_log_renderer,
        )
    }
    ::ko_log::__private::inventory::submit! {
        ::ko_log::__private::component::Registration { name : "compact", construct :
        ::ko_log::__private::component::Constructor::Renderer(__ko_log_construct,), check
        : __ko_log_check, schema : ::core::option::Option::None, function :
        ::core::concat!(::core::module_path!(), "::", "compact_renderer"), file :
        ::core::file!(), line : ::core::line!(), }
    }
};
