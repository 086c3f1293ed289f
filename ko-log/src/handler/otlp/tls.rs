//! TLS for `https://` endpoints (feature `otlp-https`): rustls with the *ring* provider,
//! under the same HTTP/1.1 client as `http://` (`http`), so both schemes share one
//! request, response and retry path.
//!
//! The server's certificate is verified against the endpoint's host name (or IP address)
//! and a set of trusted roots: Mozilla's, compiled in (`webpki-roots`), or, when
//! `tls.ca_file` (else `OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE`, else
//! `OTEL_EXPORTER_OTLP_CERTIFICATE`) names a PEM bundle, only the CA certificates in it,
//! as OpenTelemetry's exporters read that variable. With `tls.cert_file` and
//! `tls.key_file` (else `..._CLIENT_CERTIFICATE` and `..._CLIENT_KEY`) the client
//! presents that certificate chain when the collector asks for one (mTLS). TLS 1.2 and
//! 1.3 with rustls' safe defaults.
//!
//! The files are read and checked once, when the handler is built ([`config`]), with
//! rustls-pki-types' own PEM reader: one that cannot be read, holds no block of the
//! expected kind, is not valid PEM, a CA certificate rustls cannot parse, a key the
//! provider cannot use, or a key that is not the certificate's, refuses init, located at
//! its key (a file named by the environment: at the handler, naming the variable).
//! Nothing is read again at run time: a renewed certificate needs a restart.
//!
//! The handshake happens on the first write of a connection, so a certificate or
//! handshake failure (an unknown issuer, a client certificate the collector requires and
//! did not get) is a connection failure like a refused one: retried with the backoff,
//! counted in `retries`, and told by the `unreachable` status record with rustls' reason.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ClientConnection, InconsistentKeys, RootCertStore, StreamOwned};

use super::{ParamError, Refusal, TlsParams};

/// A TLS connection over a TCP stream.
pub(crate) type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// Where a file setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Given {
    /// The `tls` table's key.
    Key(&'static str),
    /// An environment variable.
    Env(&'static str),
}

/// A PEM file named for TLS, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
struct File {
    path: PathBuf,
    given: Given,
}

impl File {
    /// `message` about this file, located at its key (or naming its variable).
    fn refuse(&self, message: String) -> Refusal {
        match self.given {
            Given::Key(key) => Box::new(ParamError::new(&["tls", key], message)),
            Given::Env(name) => format!("{name} (from the environment): {message}").into(),
        }
    }

    fn show(&self) -> std::path::Display<'_> {
        self.path.display()
    }
}

/// The three files, each from the config's `tls` table or else the environment.
#[derive(Debug, Default, PartialEq, Eq)]
struct Files {
    ca: Option<File>,
    cert: Option<File>,
    key: Option<File>,
}

impl Files {
    /// `tls`'s files, and for each one it leaves unset the first of its variables that
    /// `env` has.
    fn resolve(tls: Option<&TlsParams>, env: impl Fn(&str) -> Option<String>) -> Files {
        let pick = |set: Option<&PathBuf>, key: &'static str, names: [&'static str; 2]| match set {
            Some(path) => Some(File {
                path: path.clone(),
                given: Given::Key(key),
            }),
            None => names.into_iter().find_map(|name| {
                env(name).map(|path| File {
                    path: PathBuf::from(path),
                    given: Given::Env(name),
                })
            }),
        };
        Files {
            ca: pick(
                tls.and_then(|t| t.ca_file.as_ref()),
                "ca_file",
                [
                    "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                ],
            ),
            cert: pick(
                tls.and_then(|t| t.cert_file.as_ref()),
                "cert_file",
                [
                    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                ],
            ),
            key: pick(
                tls.and_then(|t| t.key_file.as_ref()),
                "key_file",
                [
                    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
                    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                ],
            ),
        }
    }
}

/// What a PEM read failure says about `file`.
fn unreadable(file: &File, error: pem::Error) -> Refusal {
    file.refuse(match error {
        pem::Error::Io(error) => format!("cannot read `{}`: {error}", file.show()),
        error => format!("`{}` is not valid PEM: {error}", file.show()),
    })
}

/// Every `CERTIFICATE` block of `file`, at least one (`what` they are, for the message).
fn certificates(file: &File, what: &str) -> Result<Vec<CertificateDer<'static>>, Refusal> {
    let certificates = CertificateDer::pem_file_iter(&file.path)
        .map_err(|e| unreadable(file, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(file, e))?;
    if certificates.is_empty() {
        return Err(file.refuse(format!(
            "`{}` has no PEM `CERTIFICATE` block ({what})",
            file.show()
        )));
    }
    Ok(certificates)
}

/// The only trusted roots when a CA file is named.
fn roots(file: &File) -> Result<RootCertStore, Refusal> {
    let mut roots = RootCertStore::empty();
    for (n, certificate) in certificates(file, "the CA certificates that sign the collector's")?
        .into_iter()
        .enumerate()
    {
        roots.add(certificate).map_err(|e| {
            file.refuse(format!(
                "certificate {} in `{}` cannot be a trusted root: {e}",
                n + 1,
                file.show()
            ))
        })?;
    }
    Ok(roots)
}

/// The client certificate chain and its key, checked to belong together.
fn client_identity(
    cert: &File,
    key: &File,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, Refusal> {
    let chain = certificates(cert, "the client certificate, then its chain")?;
    let private_key = PrivateKeyDer::from_pem_file(&key.path).map_err(|e| match e {
        pem::Error::NoItemsFound => key.refuse(format!(
            "`{}` has no PEM private key block (PKCS#8 `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)",
            key.show()
        )),
        e => unreadable(key, e),
    })?;
    let signing = provider
        .key_provider
        .load_private_key(private_key)
        .map_err(|e| key.refuse(format!("the key in `{}` cannot be used: {e}", key.show())))?;
    let identity = CertifiedKey::new(chain, signing);
    match identity.keys_match() {
        // `Unknown`: the key type cannot tell its public key; rustls accepts it too.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(identity),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(key.refuse(format!(
                "the key in `{}` is not the key of the certificate in `{}`",
                key.show(),
                cert.show()
            )))
        }
        Err(e) => Err(cert.refuse(format!(
            "the first certificate in `{}` cannot be read: {e}",
            cert.show()
        ))),
    }
}

/// The client configuration every `https://` connection of a handler uses: `tls`'s
/// files (else the environment's) read and checked now.
pub(crate) fn config(tls: Option<&TlsParams>) -> Result<Arc<ClientConfig>, Refusal> {
    build(&Files::resolve(tls, super::env))
}

fn build(files: &Files) -> Result<Arc<ClientConfig>, Refusal> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match &files.ca {
        Some(file) => roots(file)?,
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
    };
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots);
    let config = match (&files.cert, &files.key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let identity = client_identity(cert, key, &provider)?;
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(identity)))
        }
        (Some(cert), None) => {
            return Err(cert.refuse(format!(
                "the client certificate `{}` needs its private key: set `tls.key_file` (or OTEL_EXPORTER_OTLP_CLIENT_KEY) too",
                cert.show()
            )))
        }
        (None, Some(key)) => {
            return Err(key.refuse(format!(
                "the private key `{}` needs its certificate: set `tls.cert_file` (or OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE) too",
                key.show()
            )))
        }
    };
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

/// The alert the server sent before it closed `stream` (called after a write failed with
/// a broken pipe or a reset, so reading returns at once): rustls' error for it, else
/// `None`. Reads the socket directly, since rustls' own `read` would first retry the
/// write that failed.
pub(crate) fn closing_alert(stream: &mut TlsStream) -> Option<std::io::Error> {
    // A few TLS records at most stand between the handshake and the alert.
    for _ in 0..4 {
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {
                if let Err(error) = stream.conn.process_new_packets() {
                    return Some(std::io::Error::new(std::io::ErrorKind::InvalidData, error));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// `path` as a file of the `tls` table's `key`.
    fn keyed(path: &Path, key: &'static str) -> File {
        File {
            path: path.to_owned(),
            given: Given::Key(key),
        }
    }

    /// The text of a refusal, and the key it is located at (none: from the environment).
    fn refusal(files: &Files) -> (String, Option<Vec<String>>) {
        let error = build(files).expect_err("refused");
        match error.downcast_ref::<ParamError>() {
            Some(at) => (at.message().to_owned(), Some(at.keys().to_vec())),
            None => (error.to_string(), None),
        }
    }

    fn at(key: &str) -> Option<Vec<String>> {
        Some(vec!["tls".to_owned(), key.to_owned()])
    }

    #[test]
    fn the_client_config_builds_with_the_roots_and_names_check() {
        let config = build(&Files::default()).expect("TLS config");
        assert!(!webpki_roots::TLS_SERVER_ROOTS.is_empty());
        let name = server_name("otel.example").expect("a DNS name");
        let tcp_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let tcp = TcpStream::connect(tcp_listener.local_addr().expect("addr")).expect("tcp");
        assert!(connect(&config, &name, tcp).is_ok());
        assert!(server_name("::1").is_ok(), "an IP address");
        assert!(server_name("bad name").is_err());
    }

    #[test]
    fn each_file_comes_from_its_key_else_the_logs_variable_else_the_general_one() {
        let env = |name: &str| match name {
            "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE" => Some("logs-ca.pem".to_owned()),
            "OTEL_EXPORTER_OTLP_CERTIFICATE" => Some("ca.pem".to_owned()),
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" => Some("client.pem".to_owned()),
            "OTEL_EXPORTER_OTLP_CLIENT_KEY" => Some("client.key".to_owned()),
            _ => None,
        };
        let tls = TlsParams {
            key_file: Some(PathBuf::from("mine.key")),
            ..TlsParams::default()
        };
        let file = |path: &str, given| {
            Some(File {
                path: PathBuf::from(path),
                given,
            })
        };
        assert_eq!(
            Files::resolve(Some(&tls), env),
            Files {
                ca: file(
                    "logs-ca.pem",
                    Given::Env("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE")
                ),
                cert: file(
                    "client.pem",
                    Given::Env("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE")
                ),
                key: file("mine.key", Given::Key("key_file")),
            }
        );
        assert_eq!(Files::resolve(None, |_| None), Files::default());
    }

    #[test]
    fn unusable_files_are_refused_at_their_key_or_with_their_variable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.pem");
        let (message, key) = refusal(&Files {
            ca: Some(keyed(&missing, "ca_file")),
            ..Files::default()
        });
        assert_eq!(key, at("ca_file"));
        assert_eq!(
            message,
            format!(
                "cannot read `{}`: No such file or directory (os error 2)",
                missing.display()
            )
        );

        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a certificate\n").expect("write");
        let (message, key) = refusal(&Files {
            ca: Some(keyed(&text, "ca_file")),
            ..Files::default()
        });
        assert_eq!(key, at("ca_file"));
        assert_eq!(
            message,
            format!(
                "`{}` has no PEM `CERTIFICATE` block (the CA certificates that sign the collector's)",
                text.display()
            )
        );

        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").expect("write");
        let (message, key) = refusal(&Files {
            ca: Some(File {
                path: broken.clone(),
                given: Given::Env("OTEL_EXPORTER_OTLP_CERTIFICATE"),
            }),
            ..Files::default()
        });
        assert_eq!(key, None, "not in the config: at the handler");
        assert!(
            message.starts_with(&format!(
                "OTEL_EXPORTER_OTLP_CERTIFICATE (from the environment): `{}` is not valid PEM: missing section end marker",
                broken.display()
            )),
            "{message}"
        );

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let (message, key) = refusal(&Files {
            ca: Some(keyed(&garbage, "ca_file")),
            ..Files::default()
        });
        assert_eq!(key, at("ca_file"));
        assert!(
            message.starts_with(&format!(
                "certificate 1 in `{}` cannot be a trusted root: ",
                garbage.display()
            )),
            "{message}"
        );

        let (message, key) = refusal(&Files {
            cert: Some(keyed(&garbage, "cert_file")),
            ..Files::default()
        });
        assert_eq!(key, at("cert_file"));
        assert_eq!(
            message,
            format!(
                "the client certificate `{}` needs its private key: set `tls.key_file` (or OTEL_EXPORTER_OTLP_CLIENT_KEY) too",
                garbage.display()
            )
        );
        let (message, key) = refusal(&Files {
            key: Some(keyed(&garbage, "key_file")),
            ..Files::default()
        });
        assert_eq!(key, at("key_file"));
        assert!(message.contains("needs its certificate"), "{message}");

        let (message, key) = refusal(&Files {
            cert: Some(keyed(&garbage, "cert_file")),
            key: Some(keyed(&garbage, "key_file")),
            ..Files::default()
        });
        assert_eq!(key, at("key_file"));
        assert!(
            message.starts_with(&format!(
                "`{}` has no PEM private key block",
                garbage.display()
            )),
            "{message}"
        );
    }
}
