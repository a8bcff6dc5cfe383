//! The checksum sqlx stores in `_sqlx_migrations.checksum`, and its hex spelling.
use sha2::{Digest, Sha384};

/// SHA-384 of the up file's bytes: exactly what sqlx computes, so both tools agree on
/// whether an applied migration was edited.
pub fn checksum(sql: &str) -> Vec<u8> {
    Sha384::digest(sql.as_bytes()).to_vec()
}

/// Lower-case hex, for messages that compare two checksums.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_sha384_of_abc() {
        // FIPS 180-2 test vector.
        assert_eq!(
            hex(&checksum("abc")),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
    }

    #[test]
    fn hex_pads_each_byte() {
        assert_eq!(hex(&[0, 10, 255]), "000aff");
    }
}
