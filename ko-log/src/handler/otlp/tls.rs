//! TLS for `https://` endpoints (feature `otlp-https`): rustls with the *ring* provider
//! and Mozilla's root certificates (`webpki-roots`), under the same HTTP/1.1 client as
//! `http://` (`http`), so both schemes share one request, response and retry path.
//!
//! The server's certificate is verified against the built-in roots and the endpoint's
//! host name (or IP address); TLS 1.2 and 1.3 with rustls' safe defaults. No client
//! certificates. The handshake happens on the first write of a connection, so a
//! certificate or handshake failure is a connection failure like a refused one: retried
//! with the backoff and counted in `retries`.

use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// A TLS connection over a TCP stream.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// The client configuration every `https://` connection of a handler uses.
pub(crate) fn config() -> Result<Arc<ClientConfig>, String> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Checks that `host` can name a TLS server (a DNS name or an IP address).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| format!("`{host}` cannot be checked against a certificate: {e}"))
}

/// Starts TLS on `tcp` to `name` (the handshake runs on the first read or write).
pub(crate) fn connect(
    config: &Arc<ClientConfig>,
    name: &ServerName<'static>,
    tcp: TcpStream,
) -> std::io::Result<TlsStream> {
    let connection = ClientConnection::new(Arc::clone(config), name.clone())
        .map_err(|e| std::io::Error::other(format!("TLS: {e}")))?;
    Ok(StreamOwned::new(connection, tcp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_config_builds_with_the_roots_and_names_check() {
        let config = config().expect("TLS config");
        assert!(!webpki_roots::TLS_SERVER_ROOTS.is_empty());
        let name = server_name("otel.example").expect("a DNS name");
        let tcp_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let tcp = TcpStream::connect(tcp_listener.local_addr().expect("addr")).expect("tcp");
        assert!(connect(&config, &name, tcp).is_ok());
        assert!(server_name("::1").is_ok(), "an IP address");
        assert!(server_name("bad name").is_err());
    }
}
