//! Configuration: defaults, then a TOML file, then `TARELLO_*` environment
//! variables. Unknown keys are refused; every bad value is reported at once,
//! each naming its setting; secrets print as `***`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tarello_crypto::SecretString;

/// Variables with the prefix that are not settings (test and tool knobs).
const NOT_SETTINGS: &[&str] = &["TARELLO_TEST_PG_DIR", "TARELLO_PYTHON", "TARELLO_CONFIG"];

/// Every setting: (key, env var, what it is).
pub const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "data_dir",
        "TARELLO_DATA_DIR",
        "where the embedded database, key file and outbox live",
    ),
    ("listen", "TARELLO_LISTEN", "address:port to serve HTTP on"),
    (
        "database_url",
        "TARELLO_DATABASE_URL",
        "owner role URL of an external PostgreSQL (empty: embedded)",
    ),
    (
        "app_database_url",
        "TARELLO_APP_DATABASE_URL",
        "app role URL (NOINHERIT; created by migrate when missing)",
    ),
    (
        "kek",
        "TARELLO_KEK",
        "key-encryption key(s), base64, newest first",
    ),
    (
        "kek_file",
        "TARELLO_KEK_FILE",
        "file holding the KEK(s) (default <data_dir>/kek)",
    ),
    (
        "pg_bindir",
        "TARELLO_PG_BINDIR",
        "PostgreSQL server binaries for the embedded cluster",
    ),
    ("log_format", "TARELLO_LOG_FORMAT", "auto | json | pretty"),
    (
        "log_level",
        "TARELLO_LOG_LEVEL",
        "tracing filter, e.g. info or tarello=debug",
    ),
    (
        "body_limit_bytes",
        "TARELLO_BODY_LIMIT_BYTES",
        "largest request body accepted",
    ),
    (
        "request_timeout_secs",
        "TARELLO_REQUEST_TIMEOUT_SECS",
        "per-request time limit",
    ),
    (
        "db_pool_size",
        "TARELLO_DB_POOL_SIZE",
        "connections of the app role",
    ),
    (
        "migrate_parallelism",
        "TARELLO_MIGRATE_PARALLELISM",
        "workspaces migrated at once",
    ),
    (
        "smtp_url",
        "TARELLO_SMTP_URL",
        "smtp://user:pass@host:587 (STARTTLS), smtps://…, or smtp://host:25?tls=none for a local relay; empty: outbox files",
    ),
    (
        "mail_from",
        "TARELLO_MAIL_FROM",
        "sender address of Tarello's mail",
    ),
    (
        "password_m_kib",
        "TARELLO_PASSWORD_M_KIB",
        "Argon2id memory in KiB (at least 19456)",
    ),
    (
        "password_t",
        "TARELLO_PASSWORD_T",
        "Argon2id iterations (at least 2)",
    ),
    ("password_p", "TARELLO_PASSWORD_P", "Argon2id lanes"),
    (
        "code_ttl_secs",
        "TARELLO_CODE_TTL_SECS",
        "lifetime of emailed one-time codes",
    ),
    (
        "signup_per_ip_per_hour",
        "TARELLO_SIGNUP_PER_IP_PER_HOUR",
        "sign-ups accepted per client IP and hour",
    ),
    (
        "signup_per_domain_per_hour",
        "TARELLO_SIGNUP_PER_DOMAIN_PER_HOUR",
        "sign-ups accepted per email domain and hour",
    ),
    (
        "trusted_proxies",
        "TARELLO_TRUSTED_PROXIES",
        "proxies whose X-Forwarded-For is believed (IPs or CIDRs; default none)",
    ),
    (
        "max_upload_bytes",
        "TARELLO_MAX_UPLOAD_BYTES",
        "largest attachment accepted (default 25 MiB)",
    ),
    (
        "download_ttl_secs",
        "TARELLO_DOWNLOAD_TTL_SECS",
        "lifetime of an attachment download link (default 300)",
    ),
    (
        "files_origin",
        "TARELLO_FILES_ORIGIN",
        "origin of attachment download links, e.g. https://files.example.com (default: this server, relative links)",
    ),
    (
        "blob_dir",
        "TARELLO_BLOB_DIR",
        "where encrypted attachments are stored (default <data_dir>/blobs)",
    ),
    (
        "s3_bucket",
        "TARELLO_S3_BUCKET",
        "store attachments in this S3-compatible bucket instead of blob_dir",
    ),
    (
        "s3_endpoint",
        "TARELLO_S3_ENDPOINT",
        "https://… of an S3-compatible service (empty: AWS)",
    ),
    ("s3_region", "TARELLO_S3_REGION", "the bucket's region"),
    (
        "s3_access_key_id",
        "TARELLO_S3_ACCESS_KEY_ID",
        "S3 access key id (empty: the AWS_* environment)",
    ),
    (
        "s3_secret_access_key",
        "TARELLO_S3_SECRET_ACCESS_KEY",
        "S3 secret access key",
    ),
    (
        "s3_prefix",
        "TARELLO_S3_PREFIX",
        "prefix of Tarello's object names in the bucket",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Auto,
    Json,
    Pretty,
}

#[derive(Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database_url: Option<SecretString>,
    pub app_database_url: Option<SecretString>,
    pub kek: Option<SecretString>,
    pub kek_file: Option<PathBuf>,
    pub pg_bindir: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub db_pool_size: u32,
    pub migrate_parallelism: usize,
    pub trusted_proxies: tarello_api::TrustedProxies,
    pub smtp_url: Option<SecretString>,
    pub auth: tarello_service::AuthConfig,
    pub mail_from: String,
    pub attachments: tarello_service::AttachmentConfig,
    pub blob_dir: Option<PathBuf>,
    /// Set: attachments go to this bucket instead of `blob_dir`.
    pub s3: Option<tarello_blobs::S3Config>,
    /// Where each value came from, for `config show`.
    pub sources: BTreeMap<&'static str, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration is not valid:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<String>);

/// Loads from `file` (if any) and the given environment.
pub fn load(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigErrors> {
    let mut errors = Vec::new();
    let mut raw: BTreeMap<&'static str, (String, String)> = BTreeMap::new();

    if let Some(path) = file {
        match std::fs::read_to_string(path) {
            Ok(text) => match text.parse::<toml::Table>() {
                Ok(table) => {
                    for (k, v) in table {
                        let Some((key, _, _)) = SETTINGS.iter().find(|(s, _, _)| *s == k) else {
                            errors.push(format!(
                                "{}: unknown setting `{k}` (known: {})",
                                path.display(),
                                SETTINGS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                            ));
                            continue;
                        };
                        let value = match v {
                            toml::Value::String(s) => s,
                            toml::Value::Integer(i) => i.to_string(),
                            toml::Value::Boolean(b) => b.to_string(),
                            other => {
                                errors.push(format!(
                                    "{}: `{key}` must be a string or a number, not {}",
                                    path.display(),
                                    other.type_str()
                                ));
                                continue;
                            }
                        };
                        raw.insert(key, (value, format!("file {}", path.display())));
                    }
                }
                Err(e) => errors.push(format!(
                    "{}: not valid TOML: {}",
                    path.display(),
                    e.message()
                )),
            },
            Err(e) => errors.push(format!("cannot read config file {}: {e}", path.display())),
        }
    }
    for (name, value) in env {
        if !name.starts_with("TARELLO_") || NOT_SETTINGS.contains(&name.as_str()) {
            continue;
        }
        match SETTINGS.iter().find(|(_, var, _)| var == name) {
            Some((key, _, _)) => {
                raw.insert(key, (value.clone(), "environment".to_owned()));
            }
            None => errors.push(format!(
                "unknown setting {name} in the environment (known: {})",
                SETTINGS.iter().map(|s| s.1).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    let mut sources = BTreeMap::new();
    for (key, _, _) in SETTINGS {
        let from = raw
            .get(key)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| "default".into());
        sources.insert(*key, from);
    }
    let get = |key: &str| {
        raw.get(key)
            .map(|(v, _)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let label = |key: &str| {
        let var = SETTINGS
            .iter()
            .find(|s| s.0 == key)
            .map(|s| s.1)
            .unwrap_or(key);
        format!("{key} ({var})")
    };
    let parse_num =
        |key: &str, default: u64, min: u64, max: u64, errors: &mut Vec<String>| -> u64 {
            match get(key) {
                None => default,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        errors.push(format!(
                            "{}: `{v}` is not a whole number from {min} to {max}",
                            label(key)
                        ));
                        default
                    }
                },
            }
        };

    let data_dir = get("data_dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("./tarello-data"));
    let listen = match get("listen") {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(v) => v.parse().unwrap_or_else(|_| {
            errors.push(format!(
                "{}: `{v}` is not an address:port such as 127.0.0.1:8080",
                label("listen")
            ));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }),
    };
    let url = |key: &str, errors: &mut Vec<String>| -> Option<SecretString> {
        let v = get(key)?;
        if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            Some(SecretString::new(v))
        } else {
            // Never echo the value: it may hold a password.
            errors.push(format!(
                "{}: must start with postgres:// or postgresql://",
                label(key)
            ));
            None
        }
    };
    let database_url = url("database_url", &mut errors);
    let app_database_url = url("app_database_url", &mut errors);
    if database_url.is_some() != app_database_url.is_some() && errors.is_empty() {
        errors.push(format!(
            "{} and {} go together: an external database needs both the owner and the app role",
            label("database_url"),
            label("app_database_url")
        ));
    }
    let kek = get("kek").map(SecretString::new);
    let kek_file = get("kek_file").map(PathBuf::from);
    if kek.is_some() && kek_file.is_some() {
        errors.push(format!(
            "{} and {} are both set: keep one",
            label("kek"),
            label("kek_file")
        ));
    }
    if let Some(k) = &kek
        && let Err(e) = tarello_crypto::KekSet::parse(k.expose())
    {
        errors.push(format!("{}: {e}", label("kek")));
    }
    let log_format = match get("log_format").as_deref() {
        None | Some("auto") => LogFormat::Auto,
        Some("json") => LogFormat::Json,
        Some("pretty") => LogFormat::Pretty,
        Some(v) => {
            errors.push(format!(
                "{}: `{v}` is not one of auto, json, pretty",
                label("log_format")
            ));
            LogFormat::Auto
        }
    };
    let log_level = get("log_level").unwrap_or_else(|| "info".into());
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        errors.push(format!(
            "{}: `{log_level}` is not a valid filter",
            label("log_level")
        ));
    }
    let body_limit_bytes = parse_num("body_limit_bytes", 1 << 20, 1024, 1 << 30, &mut errors);
    let timeout = parse_num("request_timeout_secs", 30, 1, 3600, &mut errors);
    let pool = parse_num("db_pool_size", 16, 1, 500, &mut errors);
    let par = parse_num("migrate_parallelism", 4, 1, 64, &mut errors);
    let defaults = tarello_service::AuthConfig::default();
    let auth = tarello_service::AuthConfig {
        password: tarello_crypto::PasswordParams {
            m_kib: u32::try_from(parse_num(
                "password_m_kib",
                u64::from(defaults.password.m_kib),
                19_456,
                4_194_304,
                &mut errors,
            ))
            .unwrap_or(19_456),
            t: u32::try_from(parse_num(
                "password_t",
                u64::from(defaults.password.t),
                2,
                64,
                &mut errors,
            ))
            .unwrap_or(2),
            p: u32::try_from(parse_num(
                "password_p",
                u64::from(defaults.password.p),
                1,
                16,
                &mut errors,
            ))
            .unwrap_or(1),
        },
        reset_code_ttl_secs: i64::try_from(parse_num("code_ttl_secs", 900, 60, 3600, &mut errors))
            .unwrap_or(900),
        signup_per_ip_per_hour: i32::try_from(parse_num(
            "signup_per_ip_per_hour",
            10,
            1,
            100_000,
            &mut errors,
        ))
        .unwrap_or(10),
        signup_per_domain_per_hour: i32::try_from(parse_num(
            "signup_per_domain_per_hour",
            50,
            1,
            1_000_000,
            &mut errors,
        ))
        .unwrap_or(50),
        ..defaults
    };
    let smtp_url = get("smtp_url").map(SecretString::new);
    if let Some(u) = &smtp_url
        && !(u.expose().starts_with("smtp://") || u.expose().starts_with("smtps://"))
    {
        errors.push(format!(
            "{}: must start with smtp:// or smtps://",
            label("smtp_url")
        ));
    }
    let mail_from = get("mail_from").unwrap_or_else(|| "Tarello <tarello@localhost>".to_owned());
    if !mail_from.contains('@') {
        errors.push(format!(
            "{}: `{mail_from}` is not an email address",
            label("mail_from")
        ));
    }
    let trusted_proxies = match get("trusted_proxies") {
        None => tarello_api::TrustedProxies::default(),
        Some(v) => tarello_api::TrustedProxies::parse(&v).unwrap_or_else(|e| {
            errors.push(format!("{}: {e}", label("trusted_proxies")));
            tarello_api::TrustedProxies::default()
        }),
    };
    let attachments = tarello_service::AttachmentConfig {
        max_upload_bytes: parse_num("max_upload_bytes", 25 << 20, 1, 1 << 40, &mut errors),
        link_ttl_secs: i64::try_from(parse_num("download_ttl_secs", 300, 1, 86_400, &mut errors))
            .unwrap_or(300),
        files_origin: match get("files_origin") {
            None => String::new(),
            Some(v) => files_origin(&v).unwrap_or_else(|e| {
                errors.push(format!("{}: {e}", label("files_origin")));
                String::new()
            }),
        },
    };
    let s3 = get("s3_bucket").map(|bucket| tarello_blobs::S3Config {
        bucket,
        region: get("s3_region").unwrap_or_default(),
        endpoint: get("s3_endpoint").unwrap_or_default(),
        access_key_id: get("s3_access_key_id").unwrap_or_default(),
        secret_access_key: get("s3_secret_access_key").unwrap_or_default(),
        prefix: get("s3_prefix").unwrap_or_default(),
    });
    if let Some(c) = &s3 {
        if !(c.endpoint.is_empty()
            || c.endpoint.starts_with("https://")
            || c.endpoint.starts_with("http://"))
        {
            errors.push(format!(
                "{}: must start with https:// or http://",
                label("s3_endpoint")
            ));
        }
        if c.access_key_id.is_empty() != c.secret_access_key.is_empty() {
            errors.push(format!(
                "{} and {} go together",
                label("s3_access_key_id"),
                label("s3_secret_access_key")
            ));
        }
    }

    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        data_dir,
        listen,
        database_url,
        app_database_url,
        kek,
        kek_file,
        pg_bindir: get("pg_bindir").map(PathBuf::from),
        log_format,
        log_level,
        body_limit_bytes: usize::try_from(body_limit_bytes).unwrap_or(1 << 20),
        request_timeout: Duration::from_secs(timeout),
        db_pool_size: u32::try_from(pool).unwrap_or(16),
        migrate_parallelism: usize::try_from(par).unwrap_or(4),
        trusted_proxies,
        smtp_url,
        auth,
        mail_from,
        attachments,
        blob_dir: get("blob_dir").map(PathBuf::from),
        s3,
        sources,
    })
}

/// `http(s)://host[:port][/prefix]`, without a trailing slash: download
/// links are `<origin>/files/<token>`.
fn files_origin(v: &str) -> Result<String, String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| format!("`{v}` must start with https:// or http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let clean = |c: char| c.is_ascii_graphic() && !matches!(c, '?' | '#' | '@' | '\\' | '"');
    if host.is_empty() || !v.chars().all(clean) {
        return Err(format!(
            "`{v}` is not an origin such as https://files.example.com"
        ));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

impl Config {
    pub fn embedded(&self) -> bool {
        self.database_url.is_none()
    }

    pub fn blob_dir_path(&self) -> PathBuf {
        self.blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    pub fn kek_file_path(&self) -> PathBuf {
        self.kek_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("kek"))
    }

    /// The effective configuration as TOML, secrets as `***`.
    pub fn show(&self) -> String {
        let secret = |s: &Option<SecretString>| match s {
            Some(v) => format!("\"{v}\""),
            None => "\"\"".to_owned(),
        };
        let path = |p: &Option<PathBuf>| match p {
            Some(p) => format!("{:?}", p.display().to_string()),
            None => "\"\"".to_owned(),
        };
        let lines = [
            (
                "data_dir",
                format!("{:?}", self.data_dir.display().to_string()),
            ),
            ("listen", format!("\"{}\"", self.listen)),
            ("database_url", secret(&self.database_url)),
            ("app_database_url", secret(&self.app_database_url)),
            ("kek", secret(&self.kek)),
            ("kek_file", path(&self.kek_file)),
            ("pg_bindir", path(&self.pg_bindir)),
            (
                "log_format",
                format!(
                    "\"{}\"",
                    match self.log_format {
                        LogFormat::Auto => "auto",
                        LogFormat::Json => "json",
                        LogFormat::Pretty => "pretty",
                    }
                ),
            ),
            ("log_level", format!("{:?}", self.log_level)),
            ("body_limit_bytes", self.body_limit_bytes.to_string()),
            (
                "request_timeout_secs",
                self.request_timeout.as_secs().to_string(),
            ),
            ("db_pool_size", self.db_pool_size.to_string()),
            ("migrate_parallelism", self.migrate_parallelism.to_string()),
            ("password_m_kib", self.auth.password.m_kib.to_string()),
            ("password_t", self.auth.password.t.to_string()),
            ("password_p", self.auth.password.p.to_string()),
            ("code_ttl_secs", self.auth.reset_code_ttl_secs.to_string()),
            (
                "signup_per_ip_per_hour",
                self.auth.signup_per_ip_per_hour.to_string(),
            ),
            (
                "signup_per_domain_per_hour",
                self.auth.signup_per_domain_per_hour.to_string(),
            ),
            ("smtp_url", secret(&self.smtp_url)),
            ("mail_from", format!("{:?}", self.mail_from)),
            ("trusted_proxies", format!("\"{}\"", self.trusted_proxies)),
            (
                "max_upload_bytes",
                self.attachments.max_upload_bytes.to_string(),
            ),
            (
                "download_ttl_secs",
                self.attachments.link_ttl_secs.to_string(),
            ),
            (
                "files_origin",
                format!("{:?}", self.attachments.files_origin),
            ),
            (
                "blob_dir",
                format!("{:?}", self.blob_dir_path().display().to_string()),
            ),
            (
                "s3_bucket",
                format!("{:?}", self.s3.as_ref().map_or("", |c| c.bucket.as_str())),
            ),
            (
                "s3_endpoint",
                format!("{:?}", self.s3.as_ref().map_or("", |c| c.endpoint.as_str())),
            ),
            (
                "s3_region",
                format!("{:?}", self.s3.as_ref().map_or("", |c| c.region.as_str())),
            ),
            (
                "s3_access_key_id",
                format!(
                    "{:?}",
                    self.s3.as_ref().map_or("", |c| c.access_key_id.as_str())
                ),
            ),
            (
                "s3_secret_access_key",
                match &self.s3 {
                    Some(c) if !c.secret_access_key.is_empty() => "\"***\"".to_owned(),
                    _ => "\"\"".to_owned(),
                },
            ),
            (
                "s3_prefix",
                format!("{:?}", self.s3.as_ref().map_or("", |c| c.prefix.as_str())),
            ),
        ];
        let mut out = String::new();
        for (k, v) in lines {
            let from = self.sources.get(k).map(String::as_str).unwrap_or("default");
            let _ = writeln!(out, "{k} = {v}  # {from}");
        }
        if self.embedded() {
            let _ = writeln!(
                out,
                "# database: embedded cluster in {}",
                self.data_dir.join("postgres").display()
            );
        }
        if self.kek.is_none() {
            let _ = writeln!(out, "# KEK file: {}", self.kek_file_path().display());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_the_embedded_set_up() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./tarello-data"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.embedded());
        assert_eq!(c.kek_file_path(), PathBuf::from("./tarello-data/kek"));
    }

    #[test]
    fn every_bad_value_is_reported_naming_its_setting() {
        let err = load(
            None,
            &env(&[
                ("TARELLO_LISTEN", "nope"),
                ("TARELLO_DB_POOL_SIZE", "0"),
                ("TARELLO_LOG_FORMAT", "xml"),
                ("TARELLO_LISTN", "127.0.0.1:1"),
                ("TARELLO_KEK", "not-a-key"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "TARELLO_LISTEN",
            "TARELLO_DB_POOL_SIZE",
            "TARELLO_LOG_FORMAT",
            "TARELLO_LISTN",
            "TARELLO_KEK",
        ] {
            assert!(text.contains(needle), "{needle} missing in:\n{text}");
        }
        assert_eq!(err.0.len(), 5);
        assert!(!text.contains("not-a-key"), "a bad secret is never echoed");
    }

    // proves: ENC-6
    #[test]
    fn config_show_never_prints_secrets() {
        let key = tarello_crypto::KekSet::generate_key_text();
        let c = load(
            None,
            &env(&[
                ("TARELLO_KEK", key.expose()),
                (
                    "TARELLO_DATABASE_URL",
                    "postgres://owner:hunter2@db/tarello",
                ),
                (
                    "TARELLO_APP_DATABASE_URL",
                    "postgres://tarello_app:pa55@db/tarello",
                ),
            ]),
        )
        .unwrap();
        let shown = c.show();
        assert!(!shown.contains(key.expose().as_str()));
        assert!(!shown.contains("hunter2") && !shown.contains("pa55"));
        assert!(shown.contains("kek = \"***\""));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn mail_and_proxy_settings_parse_and_redact() {
        let c = load(
            None,
            &env(&[
                (
                    "TARELLO_SMTP_URL",
                    "smtp://mailer:s3cret@127.0.0.1:2525?tls=none",
                ),
                ("TARELLO_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5"),
            ]),
        )
        .unwrap();
        let shown = c.show();
        assert!(shown.contains("smtp_url = \"***\"") && !shown.contains("s3cret"));
        assert!(
            shown.contains("trusted_proxies = \"10.0.0.0/8, 192.168.1.5/32\""),
            "{shown}"
        );
        let err = load(
            None,
            &env(&[
                ("TARELLO_TRUSTED_PROXIES", "nope"),
                ("TARELLO_SMTP_URL", "http://x"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
    }

    #[test]
    fn attachment_settings_parse_with_defaults() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.attachments.max_upload_bytes, 25 * 1024 * 1024);
        assert_eq!(c.attachments.link_ttl_secs, 300);
        assert_eq!(c.attachments.files_origin, "");
        assert_eq!(c.blob_dir_path(), PathBuf::from("./tarello-data/blobs"));
        let c = load(
            None,
            &env(&[
                ("TARELLO_MAX_UPLOAD_BYTES", "1000"),
                ("TARELLO_DOWNLOAD_TTL_SECS", "2"),
                ("TARELLO_FILES_ORIGIN", "https://files.example.com/"),
                ("TARELLO_BLOB_DIR", "/srv/blobs"),
            ]),
        )
        .unwrap();
        assert_eq!(c.attachments.max_upload_bytes, 1000);
        assert_eq!(c.attachments.link_ttl_secs, 2);
        assert_eq!(c.attachments.files_origin, "https://files.example.com");
        assert_eq!(c.blob_dir_path(), PathBuf::from("/srv/blobs"));
        let err = load(
            None,
            &env(&[
                ("TARELLO_FILES_ORIGIN", "files.example.com"),
                ("TARELLO_MAX_UPLOAD_BYTES", "0"),
                ("TARELLO_DOWNLOAD_TTL_SECS", "999999"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
        let c = load(
            None,
            &env(&[
                ("TARELLO_S3_BUCKET", "files"),
                ("TARELLO_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("TARELLO_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("TARELLO_S3_SECRET_ACCESS_KEY", "s3cr3t-value"),
            ]),
        )
        .unwrap();
        assert_eq!(c.s3.as_ref().unwrap().bucket, "files");
        let shown = format!("{} {c:?}", c.show());
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("s3_secret_access_key = \"***\""), "{shown}");
        let err = load(
            None,
            &env(&[
                ("TARELLO_S3_BUCKET", "files"),
                ("TARELLO_S3_ENDPOINT", "ftp://x"),
                ("TARELLO_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        for bad in [
            "https://",
            "https://a b",
            "https://x/?q",
            "javascript:alert(1)",
        ] {
            assert!(files_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tarello.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nlisten_port = 9\n").unwrap();
        let err = load(Some(&path), &[]).unwrap_err();
        assert!(
            err.to_string().contains("unknown setting `listen_port`"),
            "{err}"
        );
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\ndb_pool_size = 8\n").unwrap();
        let c = load(Some(&path), &env(&[("TARELLO_LISTEN", "127.0.0.1:9001")])).unwrap();
        assert_eq!(
            c.listen.to_string(),
            "127.0.0.1:9001",
            "environment wins over the file"
        );
        assert_eq!(c.db_pool_size, 8);
    }
}
