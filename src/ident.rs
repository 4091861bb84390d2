//! PostgreSQL identifiers: quoting, naming styles, 63-byte shortening.
