fn compact_renderer() -> Compact {
    Compact::default()
}
const _: () = {
    fn __ko_log_construct(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<
        ::std::boxed::Box<dyn ::ko_log::Render>,
        ::ko_log::Error,
    > {
        ::ko_log::__private::component::params::<
            ::ko_log::__private::component::NoParams,
        >(__ko_log_params)?;
        let __ko_log_renderer = compact_renderer();
        ::ko_log::__private::component::renderer(
            "compact",
            __ko_log_params,
            __ko_log_renderer,
        )
    }
    ::ko_log::__private::inventory::submit! {
        ::ko_log::__private::component::Registration { name : "compact", construct :
        ::ko_log::__private::component::Constructor::Renderer(__ko_log_construct,),
        function : ::core::concat!(::core::module_path!(), "::", "compact_renderer"),
        file : ::core::file!(), line : ::core::line!(), }
    }
};
