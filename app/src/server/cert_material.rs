//! Certificate material: self-signed certificates made with rcgen (signed in AWS-LC with a key
//! from `key_material`), uploads read with x509-parser (PEM bundles, DER `.crt`, PFX/PKCS#12
//! through p12-keystore), and the facts Secryn shows read from the certificate itself. A
//! private key that comes with a certificate must be the certificate's own.

use crate::domain::certificate::CHAIN_MAX;
use crate::domain::key::KeyAlgorithm;
use crate::domain::time::Micros;
use crate::server::key_material::{self, KeyError, KeyPair, fail, pem_blocks};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// What a self-signed certificate is made from (already checked by the service).
#[derive(Clone, Debug)]
pub struct SelfSigned {
    pub common_name: String,
    pub organization: String,
    pub unit: String,
    pub country: String,
    pub state: String,
    pub locality: String,
    pub email: String,
    pub algorithm: KeyAlgorithm,
    pub validity_days: i64,
    /// DNS names and IP addresses.
    pub alt_names: Vec<String>,
}

/// A certificate chain (DER, leaf first) and the leaf's private key when there is one.
#[derive(Debug)]
pub struct Bundle {
    pub chain: Vec<Vec<u8>>,
    pub key: Option<KeyPair>,
}

/// What Secryn shows of a certificate, read from the certificate itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub common_name: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint_sha256: String,
    pub not_before: Micros,
    pub not_after: Micros,
    pub key_algorithm: Option<KeyAlgorithm>,
}

const EMAIL_OID: [u64; 7] = [1, 2, 840, 113_549, 1, 9, 1];

fn signing_algorithm(algorithm: KeyAlgorithm) -> &'static rcgen::SignatureAlgorithm {
    match algorithm {
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        KeyAlgorithm::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyAlgorithm::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

/// A new key and a certificate for it, signed by itself, valid from `now` for the days asked.
pub fn self_signed(spec: &SelfSigned, now: Micros) -> Result<Bundle, KeyError> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, SerialNumber};
    let pair = key_material::generate(spec.algorithm)?;
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(pair.pkcs8_der());
    let signer = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, signing_algorithm(spec.algorithm)).map_err(fail)?;
    let mut params = CertificateParams::new(spec.alt_names.clone())
        .map_err(|_| KeyError::Unreadable("An alternative name is neither a DNS name nor an IP address."))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, spec.common_name.as_str());
    for (kind, value) in [
        (DnType::OrganizationName, &spec.organization),
        (DnType::OrganizationalUnitName, &spec.unit),
        (DnType::CountryName, &spec.country),
        (DnType::StateOrProvinceName, &spec.state),
        (DnType::LocalityName, &spec.locality),
        (DnType::CustomDnType(EMAIL_OID.to_vec()), &spec.email),
    ] {
        if !value.is_empty() {
            dn.push(kind, value.as_str());
        }
    }
    params.distinguished_name = dn;
    let start = time::OffsetDateTime::from_unix_timestamp(now / 1_000_000).map_err(fail)?;
    params.not_before = start;
    params.not_after = start + time::Duration::days(spec.validity_days);
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).map_err(fail)?;
    serial[0] &= 0x7f; // a positive serial
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let cert = params.self_signed(&signer).map_err(fail)?;
    Ok(Bundle { chain: vec![cert.der().to_vec()], key: Some(pair) })
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, KeyError> {
    X509Certificate::from_der(der)
        .map(|(_, cert)| cert)
        .map_err(|_| KeyError::Unreadable("A certificate in the file could not be read (it is not valid X.509)."))
}

/// The key type of a public key, when it is one Secryn keeps.
fn spki_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> Option<KeyAlgorithm> {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => match spki.parsed().ok()? {
            PublicKey::RSA(rsa) => match rsa.key_size() {
                2048 => Some(KeyAlgorithm::Rsa2048),
                3072 => Some(KeyAlgorithm::Rsa3072),
                4096 => Some(KeyAlgorithm::Rsa4096),
                _ => None,
            },
            _ => None,
        },
        "1.2.840.10045.2.1" => match spki.algorithm.parameters.as_ref()?.as_oid().ok()?.to_id_string().as_str() {
            "1.2.840.10045.3.1.7" => Some(KeyAlgorithm::EcP256),
            "1.3.132.0.34" => Some(KeyAlgorithm::EcP384),
            _ => None,
        },
        "1.3.101.112" => Some(KeyAlgorithm::Ed25519),
        _ => None,
    }
}

fn micros(t: x509_parser::time::ASN1Time) -> Micros {
    t.timestamp().saturating_mul(1_000_000)
}

/// The facts of one certificate (DER).
pub fn facts(der: &[u8]) -> Result<Facts, KeyError> {
    let cert = parse(der)?;
    let common_name = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or("");
    let digest = Sha256::digest(der);
    let fingerprint_sha256 = digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    Ok(Facts {
        common_name: common_name.to_owned(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        fingerprint_sha256,
        not_before: micros(cert.validity().not_before),
        not_after: micros(cert.validity().not_after),
        key_algorithm: spki_algorithm(cert.public_key()),
    })
}

/// Whether `key` is the private key of the certificate `der`: the same public key bits.
fn belongs(der: &[u8], key: &KeyPair) -> bool {
    let Ok(cert) = parse(der) else { return false };
    SubjectPublicKeyInfo::from_der(key.spki_der())
        .is_ok_and(|(_, spki)| spki.subject_public_key.data == cert.public_key().subject_public_key.data)
}

/// Orders `chain` leaf first (the certificate of `key`, if a key came with it) and refuses a
/// key that belongs to none of the certificates.
fn bundle(mut chain: Vec<Vec<u8>>, key: Option<KeyPair>) -> Result<Bundle, KeyError> {
    if chain.is_empty() {
        return Err(KeyError::Unreadable("No certificate found in the file."));
    }
    if chain.len() > CHAIN_MAX {
        return Err(KeyError::Unsupported(format!("A bundle may hold at most {CHAIN_MAX} certificates.")));
    }
    for der in &chain {
        parse(der)?;
    }
    if let Some(k) = &key {
        let leaf = chain.iter().position(|der| belongs(der, k)).ok_or(KeyError::Mismatch)?;
        let cert = chain.remove(leaf);
        chain.insert(0, cert);
    }
    Ok(Bundle { chain, key })
}

/// Reads an uploaded file: a PEM bundle (certificates, optionally one private key), a single
/// DER certificate (`.crt`/`.cer`), or a PFX/PKCS#12 file opened with `password`.
pub fn read_upload(bytes: &[u8], password: &str) -> Result<Bundle, KeyError> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains("-----BEGIN ")
    {
        return read_pem(text);
    }
    if X509Certificate::from_der(bytes).is_ok() {
        return bundle(vec![bytes.to_vec()], None);
    }
    if !looks_like_pfx(bytes) {
        return Err(KeyError::Unreadable("This file is not a PEM bundle, a DER certificate or a PFX/PKCS#12 file."));
    }
    read_pfx(bytes, password)
}

/// Whether `bytes` start as a PKCS#12 file does (`SEQUENCE { INTEGER 3, … }`), so that a file
/// of any other kind is refused for what it is rather than blamed on its password.
fn looks_like_pfx(bytes: &[u8]) -> bool {
    let Some((&0x30, rest)) = bytes.split_first() else { return false };
    let Some((&len, rest)) = rest.split_first() else { return false };
    // A short length is the byte itself; a long one is 0x80 + how many length bytes follow.
    let skip = if len < 0x80 { 0 } else { usize::from(len & 0x7f) };
    rest.get(skip..skip + 3) == Some(&[0x02, 0x01, 0x03])
}

fn read_pem(text: &str) -> Result<Bundle, KeyError> {
    let blocks = pem_blocks(text)?;
    let mut chain = Vec::new();
    let mut key = None;
    for block in &blocks {
        if block.label == "CERTIFICATE" || block.label == "TRUSTED CERTIFICATE" {
            chain.push(block.der.to_vec());
        } else if let Some(found) = key_material::from_pem_block(block) {
            if key.is_some() {
                return Err(KeyError::Unsupported("The file holds more than one private key.".into()));
            }
            key = Some(found?);
        }
    }
    bundle(chain, key)
}

fn read_pfx(bytes: &[u8], password: &str) -> Result<Bundle, KeyError> {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password).map_err(|_| KeyError::Password)?;
    let chain: Vec<Vec<u8>> = archive.certs.iter().map(|c| c.cert.as_der().to_vec()).collect();
    let key = match archive.keys.as_slice() {
        [] => None,
        [one] => Some(key_material::from_pkcs8(one.key.as_der())?),
        _ => return Err(KeyError::Unsupported("The PFX file holds more than one private key.".into())),
    };
    bundle(chain, key)
}

/// The chain as PEM, leaf first.
pub fn chain_pem(chain: &[Vec<u8>]) -> Result<String, KeyError> {
    chain
        .iter()
        .map(|der| {
            pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
                .map_err(|_| KeyError::Generation)
        })
        .collect()
}

/// The DER certificates of a stored PEM chain.
pub fn chain_der(pem: &str) -> Result<Vec<Vec<u8>>, KeyError> {
    Ok(pem_blocks(pem)?.into_iter().map(|b| b.der.to_vec()).collect())
}
