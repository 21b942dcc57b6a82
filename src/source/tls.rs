//! TLS for the broker connection, with rustls (ring provider): the system's roots or a CA
//! file, optional client-certificate authentication, and `--insecure` only when asked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::AppError;

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsSettings {
    /// PEM file of the CA(s) to trust; the system's roots when absent.
    pub ca: Option<PathBuf>,
    /// PEM client certificate and key, for brokers that require them.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Skip certificate verification (visible warning).
    pub insecure: bool,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, AppError> {
    std::fs::read(path)
        .map_err(|e| AppError::File(format!("cannot read {what} {}: {e}", path.display())))
}

fn certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, AppError> {
    let pem = read(path, what)?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::File(format!("invalid {what} {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(AppError::File(format!(
            "{what} {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls configuration; file problems are [`AppError::File`] (exit 4).
pub fn client_config(t: &TlsSettings) -> Result<Arc<ClientConfig>, AppError> {
    let mut roots = RootCertStore::empty();
    match &t.ca {
        Some(ca) => {
            for c in certs(ca, "CA file")? {
                roots.add(c).map_err(|e| {
                    AppError::File(format!("invalid CA file {}: {e}", ca.display()))
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() && !t.insecure {
                return Err(AppError::File(
                    "no system CA certificates found: pass --ca FILE".into(),
                ));
            }
        }
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| AppError::Other(format!("TLS setup: {e}")))?
        .with_root_certificates(roots);
    let mut config = match (&t.cert, &t.key) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert, "client certificate")?;
            let pem = read(key, "client key")?;
            let key_der: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut pem.as_slice())
                .map_err(|e| AppError::File(format!("invalid client key {}: {e}", key.display())))?
                .ok_or_else(|| {
                    AppError::File(format!(
                        "client key {} holds no PEM private key",
                        key.display()
                    ))
                })?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                AppError::File(format!(
                    "client certificate {} and key {} do not go together: {e}",
                    cert.display(),
                    key.display()
                ))
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(AppError::Usage("--cert and --key go together".into())),
    };
    if t.insecure {
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(NoVerification(provider())));
    }
    Ok(Arc::new(config))
}

/// `--insecure`: accepts any certificate (signatures are still checked to be well-formed).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One phrase for a TLS failure, from the error's text (rustls reports through io errors).
pub fn describe(text: &str, host: &str) -> Option<String> {
    if text.contains("UnknownIssuer") || text.contains("unknown issuer") {
        Some("the broker's certificate is not trusted (unknown issuer; pass --ca with the CA that signed it)".into())
    } else if text.contains("NotValidForName") || text.contains("not valid for name") {
        Some(format!(
            "the broker's certificate is not valid for the host name `{host}`"
        ))
    } else if text.contains("Expired") {
        Some("the broker's certificate has expired".into())
    } else if text.contains("CertificateRequired") || text.contains("certificate required") {
        Some("the broker requires a client certificate (--cert and --key)".into())
    } else if text.contains("BadCertificate") || text.contains("bad certificate") {
        Some("the broker rejected the client certificate".into())
    } else if text.contains("InvalidContentType") || text.contains("CorruptMessage") {
        Some("no TLS on the other side (is this a plain MQTT port? try without --tls)".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_bad_files_are_file_errors() {
        let t = TlsSettings {
            ca: Some("/nonexistent/ca.pem".into()),
            ..TlsSettings::default()
        };
        let e = client_config(&t).unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e
            .to_string()
            .starts_with("cannot read CA file /nonexistent/ca.pem"));

        let dir = std::env::temp_dir().join(format!("twinview-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let t = TlsSettings {
            ca: Some(junk),
            ..TlsSettings::default()
        };
        assert!(client_config(&t)
            .unwrap_err()
            .to_string()
            .contains("holds no PEM certificate"));
        let t = TlsSettings {
            cert: Some("/x".into()),
            insecure: true,
            ..TlsSettings::default()
        };
        assert_eq!(client_config(&t).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn insecure_builds_without_any_roots() {
        let t = TlsSettings {
            insecure: true,
            ..TlsSettings::default()
        };
        assert!(client_config(&t).is_ok());
    }

    #[test]
    fn failures_read_well() {
        assert!(describe("invalid peer certificate: UnknownIssuer", "h")
            .unwrap()
            .contains("not trusted"));
        assert!(
            describe("invalid peer certificate: NotValidForName", "127.0.0.1")
                .unwrap()
                .contains("`127.0.0.1`")
        );
        assert_eq!(describe("broken pipe", "h"), None);
    }
}
