//! Digests an inventory pins a release archive to, and the algorithms they are in.

/// A hash algorithm Apache publishes checksums in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA-512 (`.sha512`, and the `SHA512 =` part of a `.mds` file).
    Sha512,
    /// SHA-256 (`.sha256`).
    Sha256,
    /// SHA-1 (`.sha1`), all some releases of 2017 and before published besides MD5.
    Sha1,
}

impl Algorithm {
    /// Its name in pins and `.mds` files, lower case (`sha512`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha512 => "sha512",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha1 => "sha1",
        }
    }

    /// How many hex digits its digests have.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha512 => 128,
            Algorithm::Sha256 => 64,
            Algorithm::Sha1 => 40,
        }
    }

    /// The algorithm called `name` (any case).
    pub fn parse(name: &str) -> Option<Algorithm> {
        match name.to_ascii_lowercase().as_str() {
            "sha512" => Some(Algorithm::Sha512),
            "sha256" => Some(Algorithm::Sha256),
            "sha1" => Some(Algorithm::Sha1),
            _ => None,
        }
    }
}

/// An expected digest: its algorithm and lower-case hex value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The value, lower-case hex.
    pub hex: String,
}

impl Digest {
    /// Reads a pin such as `sha512:0d9b…`; `None` unless the algorithm is known and the value
    /// has exactly its number of hex digits.
    pub fn parse_pin(pin: &str) -> Option<Digest> {
        let (algo, hex) = pin.split_once(':')?;
        let algorithm = Algorithm::parse(algo)?;
        let hex = hex.trim().to_ascii_lowercase();
        (hex.len() == algorithm.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Digest { algorithm, hex })
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}
