//! The model: what the credential store promises, as plain values and
//! rules restated from docs/DESIGN.md, independent of the code under test.
//! Each operation predicts its answer (an HTTP status) from the model's
//! state, and on the real answer updates the state.

use std::collections::BTreeMap;

use akua_core::Role;
use akua_core::audit::AuditAction;
use akua_core::decision::{
    DASHBOARD_SESSION_LIFETIME_SECS, SESSION_EXTENSION_INTERVAL_SECS, SESSION_LIFETIME_SECS,
};
use akua_core::expiry_notice;
use akua_core::records::DASHBOARD_SESSION_ABSOLUTE_SECS;
use akua_core::tokens::MAX_TOKEN_LIFETIME_SECS;

/// The clock at the start of every case.
pub const T0: i64 = 1_800_000_000;
/// The model never moves the clock past this (well inside the audit log's
/// 400-day retention, so every event it expects is still readable).
pub const T_MAX: i64 = T0 + 350 * 86_400;

pub const USERS: [&str; 3] = ["usr_owner", "usr_admin", "usr_member"];
pub const WORKSPACES: [&str; 2] = ["ws_a", "ws_b"];
/// Who belongs where at the start: (workspace, user, role).
pub const MEMBERS: [(usize, usize, Role); 5] = [
    (0, 0, Role::Owner),
    (0, 1, Role::Admin),
    (0, 2, Role::Member),
    (1, 0, Role::Owner),
    (1, 1, Role::Admin),
];

/// The permissions the model grants, as bits of a mask: a token made with
/// mask 0 asks for none (everything its role allows, or its maker's).
pub const PERMS: [&str; 3] = ["api_tokens:read", "api_tokens:write", "members:read"];
/// The bit creating, rolling and revoking tokens needs.
pub const WRITE: u8 = 0b010;

/// The names of a mask's permissions, in catalog order.
pub fn perm_names(mask: u8) -> Vec<String> {
    PERMS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| (*p).to_owned())
        .collect()
}

/// The networks the model's allow lists are made of, as bits of a mask:
/// loopback (where the model's callers come from) and another. A mask of
/// 0 is "anywhere" (no list).
pub const NETS: [&str; 2] = ["127.0.0.0/8", "10.0.0.0/8"];
/// The bit of the network the model's callers are in.
pub const LOOPBACK: u8 = 0b01;

/// Whether allow list `inner` lies within `outer` (anywhere is within
/// only anywhere).
pub fn nets_within(inner: u8, outer: u8) -> bool {
    outer == 0 || (inner != 0 && inner & !outer == 0)
}

/// The CIDRs of a mask.
pub fn net_names(mask: u8) -> Vec<String> {
    NETS.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| (*n).to_owned())
        .collect()
}

/// A workspace's token policy in the model: a maximum lifetime in days and
/// an allow list (a mask of [`NETS`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub max_days: Option<u32>,
    pub nets: u8,
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A person signed in with the identity provider, acting in the
    /// workspace the operation names.
    Person(usize),
    /// The n-th workspace API token the model knows (any state).
    Token(usize),
}

/// A requested expiry, relative to the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    In(i64),
}

impl Expiry {
    pub fn at(self, now: i64) -> Option<i64> {
        match self {
            Self::Never => None,
            Self::In(secs) => Some(now + secs),
        }
    }

    /// Refused as asked, whoever asks: in the past, or more than five
    /// years ahead (a unit mistake).
    fn refused(self, now: i64) -> bool {
        self.at(now)
            .is_some_and(|at| at <= now || at > now + MAX_TOKEN_LIFETIME_SECS)
    }
}

/// One operation on the service. Indexes pick among what the model knows
/// (modulo its count), so a generated sequence always means something,
/// including operations on credentials that are revoked or expired.
/// How the person answering a device login signed in (sudo mode): within
/// the window, three hours before it, or never (a JWT without `auth_time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Fresh,
    Stale,
    Machine,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateToken {
        by: Caller,
        ws: usize,
        admin: bool,
        expiry: Expiry,
        /// The permissions asked for (a mask of [`PERMS`]; 0: none asked).
        perms: u8,
        /// The allow list asked for (a mask of [`NETS`]; 0: none asked).
        nets: u8,
    },
    /// Person `by` sets workspace `ws`'s token policy.
    SetPolicy {
        ws: usize,
        by: usize,
        policy: Policy,
    },
    Roll {
        token: usize,
        by: Caller,
        grace: i64,
    },
    Revoke {
        token: usize,
        by: Caller,
    },
    /// A secret scanner reports the `secret`-th secret (modulo) of the
    /// `token`-th API token.
    LeakReport {
        token: usize,
        secret: usize,
    },
    /// Whoever holds the `secret`-th secret (modulo) of the `cred`-th
    /// credential of any kind posts it to `/v1/oauth/revoke` (RFC 7009).
    HolderRevoke {
        cred: usize,
        secret: usize,
    },
    /// `cnap auth login`, approved by `user` signed in as `approver` says.
    DeviceLogin {
        user: usize,
        approver: Presence,
    },
    /// A person signs in to the dashboard: a JWT becomes a 12-hour session.
    DashboardSignIn {
        user: usize,
    },
    /// A person (by JWT) ends all their sessions.
    EndOtherSessions {
        by: usize,
    },
    Logout {
        session: usize,
    },
    /// Person `by` signs in again and renews the `session`-th session's
    /// sign-in (sudo mode): only their own live dashboard session.
    Reauthenticate {
        session: usize,
        by: usize,
    },
    EndSession {
        session: usize,
        by: usize,
    },
    CreateMultiToken {
        user: usize,
        workspaces: u8,
        admin: bool,
        expiry: Expiry,
    },
    RevokeMultiToken {
        token: usize,
        by: usize,
    },
    RemoveMember {
        ws: usize,
        user: usize,
        by: usize,
    },
    Advance {
        secs: i64,
    },
    Sweep,
}

/// What the service answered: a status, and for a change that made a
/// credential its id and secret, for a leak report whether it revoked.
/// Its `Debug` (in failure messages) shows the id, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub made: Option<(String, String)>,
    pub revoked: Option<bool>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field(
                "made",
                &self.made.as_ref().map(|(id, _)| (id, "[REDACTED]")),
            )
            .field("revoked", &self.revoked)
            .finish()
    }
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            made: None,
            revoked: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Workspace {
        ws: usize,
        role: Role,
    },
    Multi {
        user: usize,
        workspaces: Vec<usize>,
        cap: Role,
    },
    /// `lifetime`: how far each use slides its expiry (a year for the
    /// CLI, 12 hours for the dashboard); `absolute`: when it ends whatever
    /// its use (a dashboard session, 7 days after its sign-in).
    Session {
        user: usize,
        lifetime: i64,
        absolute: Option<i64>,
    },
}

/// A credential the model knows, in whatever state. Its `Debug` leaves
/// the secrets out.
#[derive(Clone, PartialEq, Eq)]
pub struct Cred {
    pub id: String,
    pub kind: Kind,
    /// Every secret it ever had, oldest first; the last is current.
    pub secrets: Vec<String>,
    /// Until when the secret before the current one still works (a roll
    /// with grace); `None`: it stopped at the roll.
    pub grace_until: Option<i64>,
    /// `None`: never expires. A session's is its sliding expiry.
    pub expires_at: Option<i64>,
    /// Revoked, logged out, reported leaked: gone for good.
    pub revoked: bool,
    /// Deleted by the sweep after it expired.
    pub swept: bool,
    /// The expiry its `token.expiring` notice was written for.
    pub notified: Option<i64>,
    /// Every token that made or rolled it, with its ceiling at that moment
    /// (role, expiry, permissions, allow list): none of them may be
    /// outranked, outlived, hold less, or be fenced in narrower.
    pub makers: Vec<(Role, Option<i64>, Option<u8>, u8)>,
    /// The permissions it holds (a mask of [`PERMS`]); `None`: everything
    /// its role allows.
    pub perms: Option<u8>,
    /// Its allow list (a mask of [`NETS`]); 0: anywhere.
    pub nets: u8,
}

impl std::fmt::Debug for Cred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cred")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("secrets", &self.secrets.len())
            .field("grace_until", &self.grace_until)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .field("swept", &self.swept)
            .field("makers", &self.makers)
            .field("perms", &self.perms)
            .field("nets", &self.nets)
            .finish()
    }
}

impl Cred {
    fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the credential exists in the store (its pointer is there).
    pub fn present(&self) -> bool {
        !self.revoked && !self.swept
    }

    /// Whether the credential as a whole is live: it is listed.
    pub fn live(&self, now: i64) -> bool {
        self.present() && !self.expired(now)
    }

    /// Whether its `n`-th secret authenticates at `now`.
    pub fn secret_live(&self, n: usize, now: i64) -> bool {
        let current = self.secrets.len() - 1;
        self.live(now)
            && (n == current
                || (n + 1 == current && self.grace_until.is_some_and(|until| until > now)))
    }
}

/// How long before its expiry a token's notice is written: the store's
/// default, which the model's system keeps.
const NOTICE_SECS: i64 = expiry_notice::DEFAULT_NOTICE_DAYS * 86_400;

/// One expected audit event: its log, action and target.
pub type Event = (String, AuditAction, String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub now: i64,
    /// (workspace, user) → role.
    pub members: BTreeMap<(usize, usize), Role>,
    pub creds: Vec<Cred>,
    /// Each workspace's token policy.
    pub policies: [Policy; 2],
    /// Every event the changes so far must have written, with its time.
    pub events: Vec<(i64, Event)>,
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Member => 0,
        Role::Admin => 1,
        Role::Owner => 2,
    }
}

fn manages(role: Role) -> bool {
    rank(role) >= rank(Role::Admin)
}

pub fn ws_log(ws: usize) -> String {
    format!("ws:{}", WORKSPACES[ws])
}

pub fn user_log(user: usize) -> String {
    format!("user:{}", USERS[user])
}

const OK: u16 = 200;
const UNAUTHORIZED: u16 = 401;
const FORBIDDEN: u16 = 403;
const NOT_FOUND: u16 = 404;
const CONFLICT: u16 = 409;
const INVALID: u16 = 422;

impl Model {
    pub fn new() -> Self {
        Self {
            now: T0,
            members: MEMBERS.iter().map(|&(w, u, r)| ((w, u), r)).collect(),
            creds: Vec::new(),
            policies: [Policy::default(); 2],
            events: Vec::new(),
        }
    }

    fn of_kind(&self, pick: impl Fn(&Kind) -> bool) -> Vec<usize> {
        (0..self.creds.len())
            .filter(|&i| pick(&self.creds[i].kind))
            .collect()
    }

    /// The n-th workspace token (modulo), if any.
    pub fn workspace_token(&self, n: usize) -> Option<usize> {
        let all = self.of_kind(|k| matches!(k, Kind::Workspace { .. }));
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// The token a `Caller::Token(n)` presents: the n-th (modulo) of the
    /// live workspace tokens, or of all of them when none is live (then
    /// refused). Callers that can act find more bugs than ones that cannot.
    pub fn caller_token(&self, n: usize) -> Option<usize> {
        let now = self.now;
        let live = self.of_kind(|k| matches!(k, Kind::Workspace { .. }));
        let live: Vec<usize> = live
            .into_iter()
            .filter(|&c| self.creds[c].live(now))
            .collect();
        if live.is_empty() {
            self.workspace_token(n)
        } else {
            Some(live[n % live.len()])
        }
    }

    pub fn multi_token(&self, n: usize) -> Option<usize> {
        let all = self.of_kind(|k| matches!(k, Kind::Multi { .. }));
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// Any API token, workspace or multi-workspace.
    pub fn api_token(&self, n: usize) -> Option<usize> {
        let all = self.of_kind(|k| !matches!(k, Kind::Session { .. }));
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// The `s`-th secret (modulo) of the `n`-th credential of any kind.
    pub fn any_secret(&self, n: usize, s: usize) -> Option<(usize, usize)> {
        let c = (!self.creds.is_empty()).then(|| n % self.creds.len())?;
        Some((c, s % self.creds[c].secrets.len()))
    }

    pub fn session(&self, n: usize) -> Option<usize> {
        let all = self.of_kind(|k| matches!(k, Kind::Session { .. }));
        (!all.is_empty()).then(|| all[n % all.len()])
    }

    /// The `s`-th secret (modulo) of the `n`-th API token: (credential,
    /// secret). Stable while secrets are added.
    pub fn api_secret(&self, n: usize, s: usize) -> Option<(usize, usize)> {
        let c = self.api_token(n)?;
        Some((c, s % self.creds[c].secrets.len()))
    }

    /// Resolves who acts, and as what, in `ws`, on a route that needs the
    /// permission bit `needs`: `Err(status)` when the authorizer or the
    /// scope refuses. For a token, `ws` is its own.
    fn acting(&self, by: Caller, ws: usize, needs: u8) -> Result<(Role, Option<i64>, usize), u16> {
        match by {
            Caller::Person(u) => match self.members.get(&(ws, u)) {
                Some(&role) => Ok((role, None, ws)),
                None => Err(FORBIDDEN),
            },
            Caller::Token(n) => {
                let Some(c) = self.caller_token(n) else {
                    return Err(UNAUTHORIZED);
                };
                let cred = &self.creds[c];
                let Kind::Workspace { ws: own, role } = cred.kind else {
                    unreachable!("a workspace token");
                };
                // The caller presents its current secret.
                if !cred.secret_live(cred.secrets.len() - 1, self.now) {
                    return Err(UNAUTHORIZED);
                }
                // From outside its allow list, or without the route's
                // permission, the authorizer refuses it.
                if cred.nets != 0 && cred.nets & LOOPBACK == 0 {
                    return Err(FORBIDDEN);
                }
                if cred.perms.is_some_and(|held| held & needs == 0) {
                    return Err(FORBIDDEN);
                }
                Ok((role, cred.expires_at, own))
            }
        }
    }

    /// A token caller's role, expiry, permissions and allow list: what it
    /// makes or rolls may not exceed them. `None` for a person.
    fn maker(&self, by: Caller) -> Option<(Role, Option<i64>, Option<u8>, u8)> {
        let Caller::Token(n) = by else {
            return None;
        };
        let maker = &self.creds[self.caller_token(n)?];
        match maker.kind {
            Kind::Workspace { role, .. } => Some((role, maker.expires_at, maker.perms, maker.nets)),
            Kind::Multi { .. } | Kind::Session { .. } => None,
        }
    }

    /// Whether the policy of `ws` admits a token expiring at `at` made or
    /// rolled now (the rule it breaks is a 422).
    fn policy_admits_expiry(&self, ws: usize, at: Option<i64>) -> bool {
        match self.policies[ws].max_days {
            None => true,
            Some(days) => at.is_some_and(|at| at - self.now <= i64::from(days) * 86_400),
        }
    }

    /// The allow list a multi-workspace token asking for none gets under
    /// the policies of every workspace it covers, in order (the first with
    /// a list gives it, the others bound it), or `None` when a policy
    /// refuses it.
    fn multi_nets(&self, listed: &[usize], at: Option<i64>) -> Option<u8> {
        let mut nets = 0;
        for &w in listed {
            if !self.policy_admits_expiry(w, at) {
                return None;
            }
            nets = self.policy_nets(w, nets)?;
        }
        Some(nets)
    }

    /// The allow list a token asking for `nets` gets under the policy of
    /// `ws` (the policy's when none asked), or `None` when it lies outside
    /// (a 422).
    fn policy_nets(&self, ws: usize, nets: u8) -> Option<u8> {
        let p = self.policies[ws].nets;
        if nets == 0 {
            Some(p)
        } else if nets_within(nets, p) {
            Some(nets)
        } else {
            None
        }
    }

    /// Whether a token holding `held` may give one holding `given`:
    /// everything given is held (a token holding everything gives all).
    fn grants(held: Option<u8>, given: Option<u8>) -> bool {
        match (held, given) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(h), Some(g)) => g & !h == 0,
        }
    }

    fn event(&mut self, log: String, action: AuditAction, target: &str) {
        self.events
            .push((self.now, (log, action, target.to_owned())));
    }

    /// The answer the model expects for `op` (its status), or `None` when
    /// the operation has nothing to act on yet (it is skipped).
    pub fn expect(&self, op: &Op) -> Option<u16> {
        let now = self.now;
        Some(match op {
            Op::CreateToken {
                by,
                ws,
                admin,
                expiry,
                perms,
                nets,
            } => {
                let (role, cap, acting_ws) = match self.acting(*by, *ws, WRITE) {
                    Ok(a) => a,
                    Err(status) => return Some(status),
                };
                let wanted = if *admin { Role::Admin } else { Role::Member };
                let at = expiry.at(now).or(cap);
                let maker = self.maker(*by);
                let held = maker.and_then(|m| m.2);
                let maker_nets = maker.map_or(0, |m| m.3);
                let granted_nets = if *nets == 0 { maker_nets } else { *nets };
                if !manages(role) || rank(wanted) > rank(role) {
                    FORBIDDEN
                } else if cap.is_some_and(|cap| at.is_none_or(|at| at > cap)) || expiry.refused(now)
                {
                    // Past the maker's expiry, in the past, or too far out.
                    INVALID
                } else if (*perms != 0 && !Self::grants(held, Some(*perms)))
                    || (*nets != 0 && !nets_within(*nets, maker_nets))
                {
                    // A token grants only what it holds.
                    FORBIDDEN
                } else if !self.policy_admits_expiry(acting_ws, at)
                    || self.policy_nets(acting_ws, granted_nets).is_none()
                {
                    // The workspace's token policy.
                    INVALID
                } else {
                    201
                }
            }
            Op::SetPolicy { ws, by, .. } => match self.members.get(&(*ws, *by)) {
                None => NOT_FOUND,
                Some(Role::Owner) => OK,
                Some(_) => FORBIDDEN,
            },
            Op::Roll { token, by, .. } => {
                let target = &self.creds[self.workspace_token(*token)?];
                let Kind::Workspace { ws, role } = target.kind else {
                    unreachable!()
                };
                let (caller_role, cap, acting_ws) = match self.acting(*by, ws, WRITE) {
                    Ok(a) => a,
                    Err(status) => return Some(status),
                };
                let maker = self.maker(*by);
                let held = maker.and_then(|m| m.2);
                let maker_nets = maker.map_or(0, |m| m.3);
                let grace_left = target.grace_until.is_some_and(|until| until > now);
                if !manages(caller_role) {
                    FORBIDDEN
                } else if !target.present() || acting_ws != ws {
                    NOT_FOUND
                } else if grace_left && !target.expired(now) {
                    CONFLICT
                } else if target.expired(now) {
                    NOT_FOUND
                } else if rank(role) > rank(caller_role)
                    || cap.is_some_and(|cap| target.expires_at.is_none_or(|at| at > cap))
                    || (matches!(by, Caller::Token(_))
                        && (!Self::grants(held, target.perms)
                            || !nets_within(target.nets, maker_nets)))
                {
                    // Rolling is creating: never beyond the caller.
                    FORBIDDEN
                } else if !self.policy_admits_expiry(ws, target.expires_at)
                    || self.policy_nets(ws, target.nets).is_none()
                {
                    // The workspace's token policy, as at creation.
                    INVALID
                } else {
                    OK
                }
            }
            Op::Revoke { token, by } => {
                let target = &self.creds[self.api_token(*token)?];
                let ws = match &target.kind {
                    Kind::Workspace { ws, .. } => *ws,
                    Kind::Multi { workspaces, .. } => workspaces[0],
                    Kind::Session { .. } => unreachable!(),
                };
                let (caller_role, _, acting_ws) = match self.acting(*by, ws, WRITE) {
                    Ok(a) => a,
                    Err(status) => return Some(status),
                };
                let covered = match &target.kind {
                    Kind::Workspace { ws, .. } => *ws == acting_ws,
                    Kind::Multi { workspaces, .. } => workspaces.contains(&acting_ws),
                    Kind::Session { .. } => false,
                };
                if !manages(caller_role) {
                    FORBIDDEN
                } else if !target.present() || !covered {
                    NOT_FOUND
                } else {
                    204
                }
            }
            Op::LeakReport { token, .. } => {
                self.api_token(*token)?;
                OK
            }
            // Always 200: whether there was anything to end is no one's
            // business (RFC 7009 §2.2).
            Op::HolderRevoke { cred, secret } => {
                self.any_secret(*cred, *secret)?;
                OK
            }
            // Sudo mode: only a person who signed in recently approves; a
            // stale sign-in is asked again, a machine is refused.
            Op::DeviceLogin { approver, .. } => match approver {
                Presence::Fresh => OK,
                Presence::Stale => UNAUTHORIZED,
                Presence::Machine => FORBIDDEN,
            },
            Op::EndOtherSessions { .. } => OK,
            Op::DashboardSignIn { .. } => 201,
            Op::Logout { session } => {
                let s = &self.creds[self.session(*session)?];
                if s.secret_live(0, now) {
                    204
                } else {
                    UNAUTHORIZED
                }
            }
            Op::Reauthenticate { session, by } => {
                let s = &self.creds[self.session(*session)?];
                let Kind::Session { user, absolute, .. } = s.kind else {
                    unreachable!()
                };
                if s.secret_live(0, now) && absolute.is_some() && user == *by {
                    OK
                } else {
                    NOT_FOUND
                }
            }
            Op::EndSession { session, by } => {
                let s = &self.creds[self.session(*session)?];
                let Kind::Session { user, .. } = s.kind else {
                    unreachable!()
                };
                if s.present() && user == *by {
                    204
                } else {
                    NOT_FOUND
                }
            }
            Op::CreateMultiToken {
                user,
                workspaces,
                expiry,
                ..
            } => {
                let listed = covered(*workspaces);
                if expiry.refused(now)
                    || listed
                        .iter()
                        .any(|w| !self.members.contains_key(&(*w, *user)))
                    || self.multi_nets(&listed, expiry.at(now)).is_none()
                {
                    INVALID
                } else {
                    201
                }
            }
            Op::RevokeMultiToken { token, by } => {
                let t = &self.creds[self.multi_token(*token)?];
                let Kind::Multi { user, .. } = t.kind else {
                    unreachable!()
                };
                if t.present() && user == *by {
                    204
                } else {
                    NOT_FOUND
                }
            }
            Op::RemoveMember { ws, user, by } => {
                let Some(&by_role) = self.members.get(&(*ws, *by)) else {
                    return Some(NOT_FOUND);
                };
                let Some(&role) = self.members.get(&(*ws, *user)) else {
                    return Some(NOT_FOUND);
                };
                let allowed = if user == by {
                    true
                } else if role == Role::Owner {
                    by_role == Role::Owner
                } else {
                    manages(by_role)
                };
                let owners = self
                    .members
                    .iter()
                    .filter(|((w, _), r)| w == ws && **r == Role::Owner)
                    .count();
                if !allowed {
                    FORBIDDEN
                } else if role == Role::Owner && owners == 1 {
                    CONFLICT
                } else {
                    204
                }
            }
            Op::Advance { .. } | Op::Sweep => OK,
        })
    }

    /// Applies `op` with the service's `answer`: `Err` says how the answer
    /// differs from the model's. On `Ok` the model has moved on.
    pub fn step(&mut self, op: &Op, answer: &Answer) -> Result<(), String> {
        let Some(expected) = self.expect(op) else {
            return Ok(());
        };
        if answer.status != expected {
            return Err(format!(
                "{op:?}: the service answered {}, the model expects {expected}",
                answer.status
            ));
        }
        if !(200..300).contains(&expected) {
            return Ok(());
        }
        let now = self.now;
        match op {
            Op::CreateToken {
                by,
                ws,
                admin,
                expiry,
                perms,
                nets,
            } => {
                let (_, cap, acting_ws) = self.acting(*by, *ws, WRITE).expect("expected success");
                let made = answer.made.clone().ok_or("no token in a 201")?;
                let maker_nets = self.maker(*by).map_or(0, |m| m.3);
                let asked_nets = if *nets == 0 { maker_nets } else { *nets };
                let nets = self
                    .policy_nets(acting_ws, asked_nets)
                    .expect("admitted by the policy");
                let makers: Vec<_> = self.maker(*by).into_iter().collect();
                // None asked: the maker's own (everything, from a person).
                let held = if *perms != 0 {
                    Some(*perms)
                } else {
                    makers.first().and_then(|(_, _, p, _)| *p)
                };
                self.event(ws_log(acting_ws), AuditAction::TokenCreated, &made.0);
                self.creds.push(Cred {
                    id: made.0,
                    kind: Kind::Workspace {
                        ws: acting_ws,
                        role: if *admin { Role::Admin } else { Role::Member },
                    },
                    secrets: vec![made.1],
                    grace_until: None,
                    expires_at: expiry.at(now).or(cap),
                    revoked: false,
                    swept: false,
                    notified: None,
                    makers,
                    perms: held,
                    nets,
                });
            }
            Op::Roll { token, by, grace } => {
                let c = self.workspace_token(*token).expect("a target");
                let Kind::Workspace { ws, .. } = self.creds[c].kind else {
                    unreachable!()
                };
                let maker = self.maker(*by);
                let made = answer.made.clone().ok_or("no token in a roll")?;
                if made.0 != self.creds[c].id {
                    return Err(format!("{op:?}: the roll changed the id"));
                }
                self.event(ws_log(ws), AuditAction::TokenRolled, &made.0);
                let nets = self
                    .policy_nets(ws, self.creds[c].nets)
                    .expect("admitted by the policy");
                let cred = &mut self.creds[c];
                // A token with no allow list takes the policy's.
                cred.nets = nets;
                cred.secrets.push(made.1);
                cred.grace_until = (*grace > 0).then(|| {
                    let end = now + grace;
                    cred.expires_at.map_or(end, |at| at.min(end))
                });
                cred.makers.extend(maker);
            }
            Op::Revoke { token, .. } => {
                let c = self.api_token(*token).expect("a target");
                self.revoke(c, false);
            }
            Op::LeakReport { token, secret } => {
                let Some((c, s)) = self.api_secret(*token, *secret) else {
                    return Ok(());
                };
                let expected = self.creds[c].secret_live(s, now);
                if answer.revoked != Some(expected) {
                    return Err(format!(
                        "{op:?}: the report answered revoked={:?}, the model expects {expected}",
                        answer.revoked
                    ));
                }
                if expected {
                    self.revoke(c, true);
                }
            }
            Op::HolderRevoke { cred, secret } => {
                let Some((c, s)) = self.any_secret(*cred, *secret) else {
                    return Ok(());
                };
                let expected = self.creds[c].secret_live(s, now);
                if answer.revoked != Some(expected) {
                    return Err(format!(
                        "{op:?}: the revocation ended={:?}, the model expects {expected}",
                        answer.revoked
                    ));
                }
                if expected {
                    // Each kind's own revocation event, by the holder.
                    self.revoke(c, false);
                }
            }
            Op::DeviceLogin { user, .. } => {
                let made = answer
                    .made
                    .clone()
                    .ok_or("no session from a device login")?;
                self.event(user_log(*user), AuditAction::DeviceApproved, "cnap");
                self.creds.push(Cred {
                    id: made.0,
                    kind: Kind::Session {
                        user: *user,
                        lifetime: SESSION_LIFETIME_SECS,
                        absolute: None,
                    },
                    secrets: vec![made.1],
                    grace_until: None,
                    expires_at: Some(now + SESSION_LIFETIME_SECS),
                    revoked: false,
                    swept: false,
                    notified: None,
                    makers: Vec::new(),
                    perms: None,
                    nets: 0,
                });
            }
            Op::DashboardSignIn { user } => {
                let made = answer.made.clone().ok_or("no session from a sign-in")?;
                self.event(user_log(*user), AuditAction::SessionCreated, &made.0);
                self.creds.push(Cred {
                    id: made.0,
                    kind: Kind::Session {
                        user: *user,
                        lifetime: DASHBOARD_SESSION_LIFETIME_SECS,
                        absolute: Some(now + DASHBOARD_SESSION_ABSOLUTE_SECS),
                    },
                    secrets: vec![made.1],
                    grace_until: None,
                    expires_at: Some(now + DASHBOARD_SESSION_LIFETIME_SECS),
                    revoked: false,
                    swept: false,
                    notified: None,
                    makers: Vec::new(),
                    perms: None,
                    nets: 0,
                });
            }
            // Every session of theirs still in the store is ended, an
            // expired one the sweep has not reached included.
            Op::EndOtherSessions { by } => {
                let ended: Vec<usize> = (0..self.creds.len())
                    .filter(|&c| {
                        self.creds[c].present()
                            && matches!(self.creds[c].kind, Kind::Session { user, .. } if user == *by)
                    })
                    .collect();
                for c in ended {
                    self.revoke(c, false);
                }
            }
            Op::Logout { session } | Op::EndSession { session, .. } => {
                let c = self.session(*session).expect("a session");
                self.revoke(c, false);
            }
            Op::Reauthenticate { session, by } => {
                let c = self.session(*session).expect("a session");
                let id = self.creds[c].id.clone();
                self.event(user_log(*by), AuditAction::SessionReauthenticated, &id);
            }
            Op::CreateMultiToken {
                user,
                workspaces,
                admin,
                expiry,
            } => {
                let made = answer.made.clone().ok_or("no token in a 201")?;
                let listed = covered(*workspaces);
                let nets = self
                    .multi_nets(&listed, expiry.at(now))
                    .expect("admitted by the policies");
                for &w in &listed {
                    self.event(ws_log(w), AuditAction::MultiTokenGranted, &made.0);
                }
                self.creds.push(Cred {
                    id: made.0,
                    kind: Kind::Multi {
                        user: *user,
                        workspaces: listed,
                        cap: if *admin { Role::Admin } else { Role::Member },
                    },
                    secrets: vec![made.1],
                    grace_until: None,
                    expires_at: expiry.at(now),
                    revoked: false,
                    swept: false,
                    notified: None,
                    makers: Vec::new(),
                    perms: None,
                    nets,
                });
            }
            Op::RevokeMultiToken { token, .. } => {
                let c = self.multi_token(*token).expect("a target");
                self.revoke(c, false);
            }
            Op::RemoveMember { ws, user, .. } => {
                self.members.remove(&(*ws, *user));
                self.event(ws_log(*ws), AuditAction::MemberRemoved, USERS[*user]);
            }
            Op::SetPolicy { ws, policy, .. } => {
                self.policies[*ws] = *policy;
                self.event(
                    ws_log(*ws),
                    AuditAction::TokenPolicyChanged,
                    WORKSPACES[*ws],
                );
            }
            Op::Advance { secs } => self.now = (self.now + secs).min(T_MAX),
            Op::Sweep => {
                let mut notices = Vec::new();
                for cred in &mut self.creds {
                    if cred.present() && cred.expired(now) {
                        cred.swept = true;
                        continue;
                    }
                    // A token expiring within the window gets one notice
                    // per expiry, in every log its other events go to; a
                    // roll keeps the id and the expiry, so no second one.
                    let logs = match &cred.kind {
                        Kind::Workspace { ws, .. } => vec![*ws],
                        Kind::Multi { workspaces, .. } => workspaces.clone(),
                        Kind::Session { .. } => continue,
                    };
                    let Some(at) = cred.expires_at else { continue };
                    if cred.present()
                        && expiry_notice::due(at, now, NOTICE_SECS)
                        && cred.notified != Some(at)
                    {
                        cred.notified = Some(at);
                        notices.extend(logs.into_iter().map(|w| (w, cred.id.clone())));
                    }
                }
                for (w, id) in notices {
                    self.event(ws_log(w), AuditAction::TokenExpiring, &id);
                }
            }
        }
        Ok(())
    }

    /// Ends credential `c` with the events its kind's revocation writes.
    fn revoke(&mut self, c: usize, leaked: bool) {
        self.creds[c].revoked = true;
        let id = self.creds[c].id.clone();
        match self.creds[c].kind.clone() {
            Kind::Workspace { ws, .. } => {
                let action = if leaked {
                    AuditAction::TokenLeaked
                } else {
                    AuditAction::TokenRevoked
                };
                self.event(ws_log(ws), action, &id);
            }
            Kind::Multi { workspaces, .. } => {
                let action = if leaked {
                    AuditAction::TokenLeaked
                } else {
                    AuditAction::MultiTokenRevoked
                };
                for w in workspaces {
                    self.event(ws_log(w), action, &id);
                }
            }
            Kind::Session { user, .. } => {
                self.event(user_log(user), AuditAction::SessionRevoked, &id);
            }
        }
    }

    /// A use of session `c`'s secret at the model's clock, as the authorizer
    /// records it: the sliding expiry moves a lifetime out at most once an
    /// hour (docs/DESIGN.md, hot path).
    pub fn used_session(&mut self, c: usize) {
        let now = self.now;
        let cred = &mut self.creds[c];
        if let (
            Kind::Session {
                lifetime, absolute, ..
            },
            Some(at),
        ) = (&cred.kind, cred.expires_at)
            && now - (at - lifetime) >= SESSION_EXTENSION_INTERVAL_SECS
        {
            // Never past a dashboard session's absolute limit.
            let to = absolute.map_or(now + lifetime, |end| end.min(now + lifetime));
            if to > at {
                cred.expires_at = Some(to);
            }
        }
    }

    /// The role a multi-workspace token `c` acts with in `ws` now, or
    /// `None` when its owner no longer belongs there.
    pub fn multi_role(&self, c: usize, ws: usize) -> Option<Role> {
        let Kind::Multi { user, cap, .. } = &self.creds[c].kind else {
            return None;
        };
        self.members
            .get(&(ws, *user))
            .map(|&r| if rank(*cap) < rank(r) { *cap } else { r })
    }

    /// Every expected event as (log, action, target), in a fixed order (the
    /// model's clock stays inside the retention window, so none has aged out).
    pub fn expected_events(&self) -> Vec<Event> {
        let mut all: Vec<Event> = self.events.iter().map(|(_, e)| e.clone()).collect();
        all.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        all
    }

    pub fn rank(role: Role) -> u8 {
        rank(role)
    }
}

/// The workspaces a multi-workspace token request lists: a non-empty
/// subset of the two, from a bit mask.
pub fn covered(mask: u8) -> Vec<usize> {
    match mask % 3 {
        0 => vec![0],
        1 => vec![1],
        _ => vec![0, 1],
    }
}
