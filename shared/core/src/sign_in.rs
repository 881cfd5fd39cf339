//! How the holder of a credential signed in: the evidence sudo mode
//! ([`crate::sudo`]) judges. A leaf module, so records, principals and the
//! sudo rules can all name it without importing each other.

/// How the holder of a credential signed in, as far as it tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// A person signed in interactively at this Unix time: a JWT's
    /// `auth_time`, or the sign-in that started (or last renewed) a
    /// dashboard session.
    At(i64),
    /// A person signed in, at a time nobody recorded: a dashboard session
    /// started from a JWT without `auth_time`, or before sign-in times were
    /// kept. Never recent.
    Unknown,
    /// A machine credential that never signs in interactively: an API
    /// token, a CLI session, an integration's JWT without `auth_time`.
    /// Outside sudo mode, except where a person must be at a browser.
    Machine,
}

impl SignIn {
    /// The authorizer context's text: the time, `unknown` or `machine`.
    pub fn to_context(self) -> String {
        match self {
            Self::At(t) => t.to_string(),
            Self::Unknown => "unknown".to_owned(),
            Self::Machine => "machine".to_owned(),
        }
    }

    /// Reads [`SignIn::to_context`] back; anything else is
    /// [`SignIn::Unknown`], which is never recent (fail closed).
    pub fn from_context(text: Option<&str>) -> Self {
        match text {
            Some("machine") => Self::Machine,
            Some(t) => t.parse().map_or(Self::Unknown, Self::At),
            None => Self::Unknown,
        }
    }
}
