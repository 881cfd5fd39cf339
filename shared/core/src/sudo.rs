//! Sudo mode (docs/DESIGN.md, "Sudo mode"): the actions that turn one
//! stolen credential into lasting access need a person who signed in
//! recently, as GitHub asks for a password again before them.
//!
//! Which routes are sensitive is declared once, beside the routes
//! ([`crate::routes::Op::requires`]); the one conditional case, raising a
//! member to admin or owner, asks here from its use case. A credential says
//! how its holder signed in ([`SignIn`]): a person's interactive sign-in at
//! a known time, one at an unknown time, or a machine that never signs in.
//! Only a sign-in time proves presence, never a token's `iat`: silent
//! single sign-on and refreshes mint a fresh `iat` with nobody at the
//! keyboard.

use crate::api_error::{ApiError, Refusal};
use crate::principal::Principal;
pub use crate::sign_in::SignIn;

/// What an action asks of the caller's sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requires {
    /// Any credential the action's policy admits.
    Nothing,
    /// A person's sign-in within the window; machine credentials pass.
    RecentSignIn,
    /// A person at a browser who signed in within the window: approving a
    /// device login, which mints a year-long CLI session. A machine
    /// credential is refused outright (403), so that one leaked hour-long
    /// JWT cannot become a year of access.
    PersonAtBrowser,
}

/// How recent "recent" is: `AKUA_SUDO_WINDOW_SECS`, read by the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SudoWindow(i64);

impl SudoWindow {
    /// GitHub's two hours.
    pub const DEFAULT_SECS: i64 = 2 * 3600;
    /// At least 10 seconds (a test's setting; shorter is stricter, never
    /// weaker), at most a day.
    pub const BOUNDS: (i64, i64) = (10, 24 * 3600);
    /// A sign-in time this far ahead of our clock still counts (clock skew
    /// between the identity provider and Lambda).
    pub const LEEWAY_SECS: i64 = 60;

    /// From the setting's text; absent: two hours.
    pub fn from_setting(text: Option<&str>) -> Result<Self, String> {
        let name = "AKUA_SUDO_WINDOW_SECS";
        crate::clock::seconds_setting(name, text, Self::BOUNDS, Self::DEFAULT_SECS).map(Self)
    }

    pub fn secs(self) -> i64 {
        self.0
    }

    /// Whether a sign-in at `at` is recent at `now`.
    pub fn is_recent(self, at: i64, now: i64) -> bool {
        at <= now.saturating_add(Self::LEEWAY_SECS) && now.saturating_sub(at) <= self.0
    }
}

impl Default for SudoWindow {
    fn default() -> Self {
        Self(Self::DEFAULT_SECS)
    }
}

/// Whether `caller` may do an action that `requires` this at `now`:
/// `401 reauthentication_required` when a fresh sign-in would do, `403`
/// when no sign-in of this credential can.
pub fn require(
    caller: &Principal,
    requires: Requires,
    window: SudoWindow,
    now: i64,
) -> Result<(), ApiError> {
    let sign_in = caller.sign_in();
    match (requires, sign_in) {
        (Requires::Nothing, _) | (Requires::RecentSignIn, SignIn::Machine) => Ok(()),
        (Requires::PersonAtBrowser, SignIn::Machine) => Err(ApiError::Forbidden(
            Refusal::WrongCredential,
            "approving a device login needs a person signed in at a browser: sign in to the dashboard (an API token, a CLI session or a JWT without auth_time cannot approve)".into(),
        )),
        (Requires::RecentSignIn | Requires::PersonAtBrowser, SignIn::At(at))
            if window.is_recent(at, now) =>
        {
            Ok(())
        }
        (Requires::RecentSignIn | Requires::PersonAtBrowser, SignIn::At(_) | SignIn::Unknown) => {
            Err(ApiError::ReauthenticationRequired {
                max_age: window.secs(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SessionId, TokenId, TokenRole, UserId, WorkspaceId};
    use crate::principal::{Person, PersonCredential, WorkspaceToken};

    const NOW: i64 = 1_800_000_000;

    fn person(sign_in: SignIn) -> Principal {
        Principal::Person(Person {
            user_id: UserId::parse("usr_1").unwrap(),
            credential: PersonCredential::Session(SessionId::generate()),
            scope: None,
            expires_at: None,
            sign_in,
        })
    }

    #[test]
    fn a_sign_in_within_the_window_is_recent_and_one_past_it_is_not() {
        let window = SudoWindow::default();
        let fresh = person(SignIn::At(NOW - 7200));
        let stale = person(SignIn::At(NOW - 7201));
        for requires in [Requires::RecentSignIn, Requires::PersonAtBrowser] {
            assert_eq!(require(&fresh, requires, window, NOW), Ok(()));
            assert_eq!(
                require(&stale, requires, window, NOW),
                Err(ApiError::ReauthenticationRequired { max_age: 7200 })
            );
        }
    }

    #[test]
    fn an_unknown_sign_in_is_never_recent_nor_one_far_in_the_future() {
        let window = SudoWindow::default();
        for sign_in in [SignIn::Unknown, SignIn::At(NOW + 3600)] {
            assert!(matches!(
                require(&person(sign_in), Requires::RecentSignIn, window, NOW),
                Err(ApiError::ReauthenticationRequired { .. })
            ));
        }
        assert_eq!(
            require(
                &person(SignIn::At(NOW + 30)),
                Requires::RecentSignIn,
                window,
                NOW
            ),
            Ok(())
        );
    }

    #[test]
    fn machines_pass_sudo_mode_but_never_approve_a_device_login() {
        let window = SudoWindow::default();
        let token = Principal::WorkspaceToken(WorkspaceToken {
            token_id: TokenId::generate(),
            workspace_id: WorkspaceId::generate(),
            role: TokenRole::Admin,
            expires_at: None,
            restrictions: Default::default(),
        });
        for machine in [token, person(SignIn::Machine)] {
            assert_eq!(
                require(&machine, Requires::RecentSignIn, window, NOW),
                Ok(())
            );
            assert!(matches!(
                require(&machine, Requires::PersonAtBrowser, window, NOW),
                Err(ApiError::Forbidden(..))
            ));
        }
        assert_eq!(
            require(&person(SignIn::Unknown), Requires::Nothing, window, NOW),
            Ok(())
        );
    }

    #[test]
    fn the_setting_is_bounded_and_defaults_to_two_hours() {
        assert_eq!(SudoWindow::from_setting(None), Ok(SudoWindow(7200)));
        assert_eq!(SudoWindow::from_setting(Some(" 900 ")), Ok(SudoWindow(900)));
        for bad in ["9", "86401", "-1", "2h", ""] {
            assert!(SudoWindow::from_setting(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_context_text_reads_back() {
        for sign_in in [SignIn::At(NOW), SignIn::Unknown, SignIn::Machine] {
            assert_eq!(SignIn::from_context(Some(&sign_in.to_context())), sign_in);
        }
        assert_eq!(SignIn::from_context(None), SignIn::Unknown);
        assert_eq!(SignIn::from_context(Some("soon")), SignIn::Unknown);
    }
}
