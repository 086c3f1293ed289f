fn add_request_id(
    params: &RequestIdParams,
) -> impl FnMut(&mut Event) -> Action + Send + 'static {
    let id = params.request_id.clone();
    move |event| {
        event.fields.insert_default("request_id", id.clone());
        Action::Keep
    }
}
const _: () = {
    fn __ko_log_params_of(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<RequestIdParams, ::ko_log::Error> {
        let __ko_log_typed = ::ko_log::__private::component::params::<
            RequestIdParams,
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
        ::std::boxed::Box<dyn ::ko_log::Processor>,
        ::ko_log::Error,
    > {
        let __ko_log_typed = __ko_log_params_of(__ko_log_params)?;
        let __ko_log_step = add_request_id(&__ko_log_typed);
        ::core::result::Result::Ok(
            ::ko_log::__private::component::step("add_request_id", __ko_log_step),
        )
    }
    ::ko_log::__private::inventory::submit! {
        ::ko_log::__private::component::Registration { name : "add_request_id", construct
        : ::ko_log::__private::component::Constructor::Processor(__ko_log_construct,),
        check : __ko_log_check, schema : ::core::option::Option::None, function :
        ::core::concat!(::core::module_path!(), "::", "add_request_id"), file :
        ::core::file!(), line : ::core::line!(), }
    }
};
