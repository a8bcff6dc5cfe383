//! Keeps database passwords out of everything strata prints.
//!
//! Two layers: URLs are shown with their password replaced (`redact_url`), and every
//! message printed as an error passes through `Redactor::redact`, which replaces any
//! known password (as written in the URL, percent-decoded, or from `PGPASSWORD`), in
//! case a library echoes it somewhere we did not build the text ourselves.

const MASK: &str = "***";

#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Remembers the passwords a URL carries (userinfo and `?password=`).
    pub fn learn_url(&mut self, url: &str) {
        for secret in url_passwords(url) {
            self.learn(secret);
        }
    }

    pub fn learn(&mut self, secret: String) {
        if !secret.is_empty() && !self.secrets.contains(&secret) {
            self.secrets.push(secret);
            // Longest first, so a password containing another one is masked whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = redact_urls_in(text);
        for s in &self.secrets {
            text = text.replace(s.as_str(), MASK);
        }
        text
    }
}

/// `scheme://user:***@host/db?password=***`: the URL with every password masked.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..authority_start]);
    let authority = &url[authority_start..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push(':');
                    out.push_str(MASK);
                }
                None => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    out.push_str(&redact_query_password(&url[authority_end..]));
    out
}

fn redact_query_password(rest: &str) -> String {
    let Some(q) = rest.find('?') else {
        return rest.to_string();
    };
    let (path, query) = rest.split_at(q + 1);
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={MASK}"),
            _ => p.to_string(),
        })
        .collect();
    format!("{path}{}", params.join("&"))
}

/// Masks any `postgres://` or `postgresql://` URL inside a longer text.
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = ["postgres://", "postgresql://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '`')
            .map_or(rest.len(), |e| i + e);
        out.push_str(&redact_url(&rest[i..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The passwords in a URL, as written and percent-decoded.
fn url_passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(scheme_end) = url.find("://") {
        let start = scheme_end + 3;
        let end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| start + i);
        let authority = &url[start..end];
        if let Some(at) = authority.rfind('@') {
            if let Some((_, pw)) = authority[..at].split_once(':') {
                found.push(pw.to_string());
                found.push(percent_decode(pw));
            }
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for p in query.split(['&', '#']) {
            if let Some((k, v)) = p.split_once('=') {
                if k.eq_ignore_ascii_case("password") {
                    found.push(v.to_string());
                    found.push(percent_decode(v));
                }
            }
        }
    }
    found
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            // Through bytes, not `&s[..]`: a multi-byte character after `%` must not panic.
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_userinfo_and_query_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.example:5432/shop?sslmode=require"),
            "postgres://app:***@db.example:5432/shop?sslmode=require"
        );
        assert_eq!(
            redact_url("postgresql://app@db/shop?password=s3cret&x=1"),
            "postgresql://app@db/shop?password=***&x=1"
        );
        assert_eq!(
            redact_url("postgres://app@db/shop"),
            "postgres://app@db/shop"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn redacts_known_passwords_anywhere_in_a_message() {
        let mut r = Redactor::default();
        r.learn_url("postgres://app:p%40ss@db/shop");
        let text = r.redact("failed for p@ss and p%40ss at postgres://app:p%40ss@db/shop");
        assert!(!text.contains("p@ss") && !text.contains("p%40ss"), "{text}");
        assert!(text.contains("postgres://app:***@db/shop"), "{text}");
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%é1"), "%é1");
    }
}
