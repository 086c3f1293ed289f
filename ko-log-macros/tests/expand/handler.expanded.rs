fn audit_db(params: &AuditParams) -> Result<AuditDb, std::io::Error> {
    AuditDb::connect(&params.table)
}
const _: () = {
    fn __ko_log_params_of(
        __ko_log_params: &::ko_log::__private::component::Params,
    ) -> ::core::result::Result<AuditParams, ::ko_log::Error> {
        let __ko_log_typed = ::ko_log::__private::component::params::<
            AuditParams,
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
        __ko_log_handle: &::ko_log::handler::Handle,
    ) -> ::core::result::Result<
        ::std::boxed::Box<dyn ::ko_log::Handler>,
        ::ko_log::Error,
    > {
        let _ = __ko_log_handle;
        let __ko_log_typed = __ko_log_params_of(__ko_log_params)?;
        let __ko_log_handler = audit_db(&__ko_log_typed);
        ::ko_log::__private::component::handler(
            "audit_db",
            __ko_log_params,
            __ko_log_handler,
        )
    }
    ::ko_log::__private::inventory::submit! {
        ::ko_log::__private::component::Registration { name : "audit_db", construct :
        ::ko_log::__private::component::Constructor::Handler(__ko_log_construct,), check
        : __ko_log_check, schema : ::core::option::Option::None, function :
        ::core::concat!(::core::module_path!(), "::", "audit_db"), file :
        ::core::file!(), line : ::core::line!(), }
    }
};
