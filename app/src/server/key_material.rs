//! Key material: asymmetric key pairs generated here or uploaded, held as PKCS#8 and written
//! out as PEM or OpenSSH. Every private-key operation (generation, checks, signing) runs in
//! AWS-LC, whose RSA is constant-time; the pure-Rust `rsa` crate is not used for that reason.
//! Nothing here prints key bytes: errors say what is wrong with the input, never what it holds.

pub use crate::domain::key::KeyAlgorithm;
use aws_lc_rs::encoding::{
    AsBigEndian, AsDer, Curve25519SeedBin, EcPrivateKeyBin, EcPublicKeyUncompressedBin, Pkcs8V1Der, PublicKeyX509Der,
};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, EcdsaSigningAlgorithm,
    Ed25519KeyPair, KeyPair as _,
};
use pkcs8::der::Decode as _;
use pkcs8::der::asn1::ObjectIdentifier as Oid;
use std::fmt;
use zeroize::Zeroizing;

/// Why key material was refused. The messages are for people and never quote the input.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Unreadable(&'static str),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "This key is protected by a passphrase. Remove it first (for example `openssl pkey -in key.pem -out plain.pem`, or `ssh-keygen -p -N \"\" -f key`), then upload the plain key."
    )]
    Encrypted,
    #[error("The key could not be generated.")]
    Generation,
    #[error("The private key does not belong to this certificate.")]
    Mismatch,
    #[error("The password does not open this PFX file, or the file is damaged.")]
    Password,
}

const RSA_OID: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const EC_OID: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const P256_OID: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384_OID: Oid = Oid::new_unwrap("1.3.132.0.34");
const ED25519_OID: Oid = Oid::new_unwrap("1.3.101.112");

/// A private key and its public half. Wipes its private bytes on drop, never prints them.
#[derive(Clone)]
pub struct KeyPair {
    algorithm: KeyAlgorithm,
    pkcs8: Zeroizing<Vec<u8>>,
    spki: Vec<u8>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

fn ec_alg(algorithm: KeyAlgorithm) -> &'static EcdsaSigningAlgorithm {
    if algorithm == KeyAlgorithm::EcP384 { &ECDSA_P384_SHA384_ASN1_SIGNING } else { &ECDSA_P256_SHA256_ASN1_SIGNING }
}

fn der<T: AsRef<[u8]>>(doc: Result<T, aws_lc_rs::error::Unspecified>) -> Result<Vec<u8>, KeyError> {
    doc.map(|d| d.as_ref().to_vec()).map_err(|_| KeyError::Generation)
}

fn rsa_pair(key: &RsaKeyPair) -> Result<KeyPair, KeyError> {
    let algorithm = match key.public_modulus_len() * 8 {
        2048 => KeyAlgorithm::Rsa2048,
        3072 => KeyAlgorithm::Rsa3072,
        4096 => KeyAlgorithm::Rsa4096,
        bits => {
            return Err(KeyError::Unsupported(format!(
                "This is a {bits}-bit RSA key; Secryn keeps RSA keys of 2048, 3072 or 4096 bits."
            )));
        }
    };
    let pkcs8: Pkcs8V1Der = key.as_der().map_err(|_| KeyError::Generation)?;
    let spki: PublicKeyX509Der = key.public_key().as_der().map_err(|_| KeyError::Generation)?;
    Ok(KeyPair { algorithm, pkcs8: Zeroizing::new(pkcs8.as_ref().to_vec()), spki: spki.as_ref().to_vec() })
}

fn ec_pair(algorithm: KeyAlgorithm, key: &EcdsaKeyPair) -> Result<KeyPair, KeyError> {
    let pkcs8 = Zeroizing::new(der(key.to_pkcs8v1())?);
    let spki: PublicKeyX509Der = key.public_key().as_der().map_err(|_| KeyError::Generation)?;
    Ok(KeyPair { algorithm, pkcs8, spki: spki.as_ref().to_vec() })
}

fn ed_pair(key: &Ed25519KeyPair) -> Result<KeyPair, KeyError> {
    let pkcs8 = Zeroizing::new(der(key.to_pkcs8v1())?);
    let spki: PublicKeyX509Der = key.public_key().as_der().map_err(|_| KeyError::Generation)?;
    Ok(KeyPair { algorithm: KeyAlgorithm::Ed25519, pkcs8, spki: spki.as_ref().to_vec() })
}

/// A fresh key pair. RSA 4096 takes about a second of one core: callers run it off the async
/// workers and bound how many run at once.
pub fn generate(algorithm: KeyAlgorithm) -> Result<KeyPair, KeyError> {
    let rsa = |size| RsaKeyPair::generate(size).map_err(|_| KeyError::Generation).and_then(|k| rsa_pair(&k));
    match algorithm {
        KeyAlgorithm::Rsa2048 => rsa(KeySize::Rsa2048),
        KeyAlgorithm::Rsa3072 => rsa(KeySize::Rsa3072),
        KeyAlgorithm::Rsa4096 => rsa(KeySize::Rsa4096),
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {
            let key = EcdsaKeyPair::generate(ec_alg(algorithm)).map_err(|_| KeyError::Generation)?;
            ec_pair(algorithm, &key)
        }
        KeyAlgorithm::Ed25519 => ed_pair(&Ed25519KeyPair::generate().map_err(|_| KeyError::Generation)?),
    }
}

const UNREADABLE_PKCS8: &str = "The private key could not be read: the PEM block does not hold a valid key.";

/// Reads an unencrypted PKCS#8 private key (the form Secryn stores).
pub fn from_pkcs8(der: &[u8]) -> Result<KeyPair, KeyError> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| KeyError::Unreadable(UNREADABLE_PKCS8))?;
    let bad = |_| KeyError::Unreadable(UNREADABLE_PKCS8);
    match info.algorithm.oid {
        RSA_OID => rsa_pair(&RsaKeyPair::from_pkcs8(der).map_err(|_| {
            KeyError::Unreadable("The RSA key could not be read; Secryn keeps RSA keys of 2048, 3072 or 4096 bits.")
        })?),
        EC_OID => {
            let curve = info.algorithm.parameters_oid().ok();
            let algorithm = match curve {
                Some(P256_OID) => KeyAlgorithm::EcP256,
                Some(P384_OID) => KeyAlgorithm::EcP384,
                _ => {
                    return Err(KeyError::Unsupported(
                        "This elliptic curve is not supported; Secryn keeps P-256 and P-384 keys.".into(),
                    ));
                }
            };
            ec_pair(algorithm, &EcdsaKeyPair::from_pkcs8(ec_alg(algorithm), der).map_err(bad)?)
        }
        ED25519_OID => ed_pair(&Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?),
        _ => Err(KeyError::Unsupported(
            "This key type is not supported; Secryn keeps RSA, EC (P-256, P-384) and Ed25519 keys.".into(),
        )),
    }
}

/// One PEM block: its label and its decoded bytes (wiped on drop: it may be a private key).
pub struct PemBlock {
    pub label: String,
    pub der: Zeroizing<Vec<u8>>,
}

/// Every well-formed PEM block in `text`, in order; text around and between blocks is
/// ignored (bundles often carry comments such as `Bag Attributes`).
pub fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = after.find("-----").ok_or(KeyError::Unreadable("A PEM header is not complete."))?;
        let label = &after[..label_end];
        let end_marker = format!("-----END {label}-----");
        let end = after.find(&end_marker).ok_or(KeyError::Unreadable("A PEM block has no END line."))?;
        let block_len = BEGIN.len() + end + end_marker.len();
        let block = &rest[start..start + block_len];
        let (_, der) = pem_rfc7468::decode_vec(block.as_bytes())
            .map_err(|_| KeyError::Unreadable("A PEM block is corrupt (its base64 does not decode)."))?;
        blocks.push(PemBlock { label: label.to_owned(), der: Zeroizing::new(der) });
        rest = &rest[start + block_len..];
    }
    Ok(blocks)
}

/// A private key from a PEM block, if the block holds one: PKCS#8, PKCS#1 (RSA), SEC1 (EC).
pub fn from_pem_block(block: &PemBlock) -> Option<Result<KeyPair, KeyError>> {
    let bad = |what: &'static str| KeyError::Unreadable(what);
    Some(match block.label.as_str() {
        "PRIVATE KEY" => from_pkcs8(&block.der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(&block.der)
            .map_err(|_| bad("The RSA private key (PKCS#1) could not be read."))
            .and_then(|k| rsa_pair(&k)),
        "EC PRIVATE KEY" => [KeyAlgorithm::EcP256, KeyAlgorithm::EcP384]
            .into_iter()
            .find_map(|a| EcdsaKeyPair::from_private_key_der(ec_alg(a), &block.der).ok().map(|k| (a, k)))
            .ok_or_else(|| {
                KeyError::Unsupported("The EC private key could not be read; Secryn keeps P-256 and P-384 keys.".into())
            })
            .and_then(|(a, k)| ec_pair(a, &k)),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        "OPENSSH PRIVATE KEY" => Err(bad("internal: OpenSSH keys are read whole")),
        "DSA PRIVATE KEY" => Err(KeyError::Unsupported("DSA keys are not supported.".into())),
        _ => return None,
    })
}

/// Reads an uploaded private key: PEM (PKCS#8, PKCS#1, SEC1) or an OpenSSH private key.
pub fn read_private(text: &str) -> Result<KeyPair, KeyError> {
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return from_openssh(text.trim());
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    let blocks = pem_blocks(text)?;
    blocks.iter().find_map(from_pem_block).unwrap_or(Err(KeyError::Unreadable(
        "No private key found. Paste a PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) or an OpenSSH private key.",
    )))
}

fn from_openssh(text: &str) -> Result<KeyPair, KeyError> {
    use ssh_key::private::KeypairData;
    let key = ssh_key::PrivateKey::from_openssh(text)
        .map_err(|_| KeyError::Unreadable("The OpenSSH private key could not be read."))?;
    if key.is_encrypted() {
        return Err(KeyError::Encrypted);
    }
    let bad = |_| KeyError::Unreadable("The OpenSSH private key is not consistent.");
    match key.key_data() {
        KeypairData::Ed25519(k) => {
            ed_pair(&Ed25519KeyPair::from_seed_and_public_key(k.private.as_ref(), k.public.as_ref()).map_err(bad)?)
        }
        KeypairData::Ecdsa(k) => {
            use ssh_key::private::EcdsaKeypair as E;
            let (algorithm, private, public) = match k {
                E::NistP256 { public, private } => (KeyAlgorithm::EcP256, private.as_slice(), public.as_bytes()),
                E::NistP384 { public, private } => (KeyAlgorithm::EcP384, private.as_slice(), public.as_bytes()),
                E::NistP521 { .. } => {
                    return Err(KeyError::Unsupported(
                        "P-521 keys are not supported; Secryn keeps P-256 and P-384 keys.".into(),
                    ));
                }
            };
            let key = EcdsaKeyPair::from_private_key_and_public_key(ec_alg(algorithm), private, public).map_err(bad)?;
            ec_pair(algorithm, &key)
        }
        KeypairData::Rsa(k) => rsa_pair(&rsa_from_openssh(k)?),
        _ => Err(KeyError::Unsupported(
            "This key type is not supported; Secryn keeps RSA, EC (P-256, P-384) and Ed25519 keys.".into(),
        )),
    }
}

/// OpenSSH keeps n, e, d, p, q and q⁻¹ mod p; the CRT exponents d mod (p−1) and d mod (q−1)
/// are derived here (once, at upload).
fn rsa_from_openssh(k: &ssh_key::private::RsaKeypair) -> Result<RsaKeyPair, KeyError> {
    use num_bigint::BigUint;
    let bad = || KeyError::Unreadable("The OpenSSH RSA key is not consistent.");
    let int = |m: &ssh_key::Mpint| m.as_positive_bytes().map(BigUint::from_bytes_be).ok_or_else(bad);
    let (d, p, q) = (int(&k.private.d)?, int(&k.private.p)?, int(&k.private.q)?);
    let one = BigUint::from(1u8);
    if p <= one || q <= one {
        return Err(bad());
    }
    let dp = Zeroizing::new((&d % (&p - &one)).to_bytes_be());
    let dq = Zeroizing::new((&d % (&q - &one)).to_bytes_be());
    let bytes = |m: &ssh_key::Mpint| m.as_positive_bytes().map(<[u8]>::to_vec).ok_or_else(bad);
    let components = KeyPairComponents {
        public_key: PublicKeyComponents { n: bytes(&k.public.n)?, e: bytes(&k.public.e)? },
        d: Zeroizing::new(bytes(&k.private.d)?),
        p: Zeroizing::new(bytes(&k.private.p)?),
        q: Zeroizing::new(bytes(&k.private.q)?),
        dP: dp,
        dQ: dq,
        qInv: Zeroizing::new(bytes(&k.private.iqmp)?),
    };
    RsaKeyPair::from_components(&components).map_err(|_| bad())
}

/// Any failure while writing out a key that was already read: not the input's fault.
pub fn fail<E>(_: E) -> KeyError {
    KeyError::Generation
}

fn pem(label: &str, der: &[u8]) -> Result<String, KeyError> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).map_err(|_| KeyError::Generation)
}

impl KeyPair {
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The private key as stored: PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half as SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8), which OpenSSL, Go, Java and Node all read.
    pub fn private_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        pem("PRIVATE KEY", &self.pkcs8).map(Zeroizing::new)
    }

    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    pub fn public_pem(&self) -> Result<String, KeyError> {
        pem("PUBLIC KEY", &self.spki)
    }

    /// The pair as ssh-key sees it (built from the PKCS#8 each time; never kept).
    fn ssh_keypair(&self) -> Result<ssh_key::private::KeypairData, KeyError> {
        use ssh_key::private::{EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair, RsaPrivateKey};
        use ssh_key::public::{EcdsaPublicKey, RsaPublicKey};
        Ok(match self.algorithm {
            KeyAlgorithm::Ed25519 => {
                let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.pkcs8).map_err(fail)?;
                let seed: Curve25519SeedBin = key.seed().and_then(|s| s.as_be_bytes()).map_err(fail)?;
                let seed: &[u8; 32] = seed.as_ref().try_into().map_err(fail)?;
                let public: [u8; 32] = key.public_key().as_ref().try_into().map_err(fail)?;
                KeypairData::Ed25519(Ed25519Keypair {
                    public: ssh_key::public::Ed25519PublicKey(public),
                    private: ssh_key::private::Ed25519PrivateKey::from_bytes(seed),
                })
            }
            KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {
                let key = EcdsaKeyPair::from_pkcs8(ec_alg(self.algorithm), &self.pkcs8).map_err(fail)?;
                let scalar: EcPrivateKeyBin = key.private_key().as_be_bytes().map_err(fail)?;
                let point: EcPublicKeyUncompressedBin = key.public_key().as_be_bytes().map_err(fail)?;
                // ssh-key builds a private scalar only from its wire form: length, then bytes.
                let mut wire = Zeroizing::new(Vec::with_capacity(4 + scalar.as_ref().len()));
                wire.extend_from_slice(
                    &u32::try_from(scalar.as_ref().len()).map_err(|_| KeyError::Generation)?.to_be_bytes(),
                );
                wire.extend_from_slice(scalar.as_ref());
                use ssh_encoding::Decode as _;
                let kp = match EcdsaPublicKey::from_sec1_bytes(point.as_ref()).map_err(fail)? {
                    EcdsaPublicKey::NistP256(public) => EcdsaKeypair::NistP256 {
                        public,
                        private: ssh_key::private::EcdsaPrivateKey::<32>::decode(&mut wire.as_slice()).map_err(fail)?,
                    },
                    EcdsaPublicKey::NistP384(public) => EcdsaKeypair::NistP384 {
                        public,
                        private: ssh_key::private::EcdsaPrivateKey::<48>::decode(&mut wire.as_slice()).map_err(fail)?,
                    },
                    EcdsaPublicKey::NistP521(_) => return Err(KeyError::Generation),
                };
                KeypairData::Ecdsa(kp)
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let info = pkcs8::PrivateKeyInfo::from_der(&self.pkcs8).map_err(|_| KeyError::Generation)?;
                let rsa = pkcs1::RsaPrivateKey::from_der(info.private_key).map_err(|_| KeyError::Generation)?;
                let int = |u: pkcs1::UintRef<'_>| {
                    ssh_key::Mpint::from_positive_bytes(u.as_bytes()).map_err(|_| KeyError::Generation)
                };
                KeypairData::Rsa(RsaKeypair {
                    public: RsaPublicKey { e: int(rsa.public_exponent)?, n: int(rsa.modulus)? },
                    private: RsaPrivateKey {
                        d: int(rsa.private_exponent)?,
                        iqmp: int(rsa.coefficient)?,
                        p: int(rsa.prime1)?,
                        q: int(rsa.prime2)?,
                    },
                })
            }
        })
    }

    /// `-----BEGIN OPENSSH PRIVATE KEY-----`, unencrypted, with `comment`.
    pub fn private_openssh(&self, comment: &str) -> Result<Zeroizing<String>, KeyError> {
        let key = ssh_key::PrivateKey::new(self.ssh_keypair()?, comment).map_err(|_| KeyError::Generation)?;
        key.to_openssh(ssh_key::LineEnding::LF).map_err(|_| KeyError::Generation)
    }

    /// The one-line public key (`ssh-ed25519 AAAA… comment`) for `authorized_keys`.
    pub fn public_openssh(&self, comment: &str) -> Result<String, KeyError> {
        public_openssh(&self.spki, comment)
    }
}

/// The `authorized_keys` line of a stored public half (SubjectPublicKeyInfo DER), so a
/// detail page shows it without opening the private half.
pub fn public_openssh(spki_der: &[u8], comment: &str) -> Result<String, KeyError> {
    use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
    let bad = |_| KeyError::Unreadable("The stored public key could not be read.");
    let info = pkcs8::SubjectPublicKeyInfoRef::from_der(spki_der).map_err(bad)?;
    let bits =
        info.subject_public_key.as_bytes().ok_or(KeyError::Unreadable("The stored public key could not be read."))?;
    let data = match info.algorithm.oid {
        RSA_OID => {
            let rsa = pkcs1::RsaPublicKey::from_der(bits).map_err(bad)?;
            let int = |u: pkcs1::UintRef<'_>| ssh_key::Mpint::from_positive_bytes(u.as_bytes()).map_err(fail);
            KeyData::Rsa(RsaPublicKey { e: int(rsa.public_exponent)?, n: int(rsa.modulus)? })
        }
        EC_OID => KeyData::Ecdsa(EcdsaPublicKey::from_sec1_bytes(bits).map_err(fail)?),
        ED25519_OID => KeyData::Ed25519(Ed25519PublicKey(bits.try_into().map_err(fail)?)),
        _ => return Err(KeyError::Unreadable("The stored public key could not be read.")),
    };
    ssh_key::PublicKey::new(data, comment).to_openssh().map_err(|_| KeyError::Generation)
}
