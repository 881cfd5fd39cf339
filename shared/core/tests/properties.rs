//! Property tests: token generation and checksum, cursor encoding, and the
//! throttle decisions, over inputs no one would write by hand.

use akua_core::decision::{
    LAST_USED_INTERVAL_SECS, SESSION_EXTENSION_INTERVAL_SECS, SESSION_LIFETIME_SECS, plan_touch,
};
use akua_core::ids::{SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId};
use akua_core::records::{ApiTokenRecord, SessionRecord, StoredCredential};
use akua_core::{ApiToken, Credential, CredentialError, SessionToken, cursor};
use proptest::prelude::*;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Replaces the character at `index` with a different base62 character.
fn mutate(token: &str, index: usize, pick: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let old = bytes[index];
    let mut new = BASE62[pick % 62];
    if new == old {
        new = BASE62[(pick + 1) % 62];
    }
    bytes[index] = new;
    String::from_utf8(bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_generated_token_parses_and_verifies(_seed in any::<u64>()) {
        let api = ApiToken::generate();
        let session = SessionToken::generate();
        prop_assert!(matches!(Credential::from_token(api.expose()), Ok(Credential::ApiToken(_))));
        prop_assert!(matches!(Credential::from_token(session.expose()), Ok(Credential::Session(_))));
    }

    /// Generation never produces a string that parses as another kind: a
    /// session candidate is admitted only if the parser reads it as a
    /// session, so one starting `eyJ` (which reads as a JWT) is drawn again.
    #[test]
    fn a_session_candidate_is_admitted_only_if_it_parses_as_one(
        jwt_like in any::<bool>(),
        rest in "[0-9A-Za-z]{26}",
    ) {
        let body: String = if jwt_like { format!("eyJ{}", &rest[3..]) } else { rest };
        let sum = akua_core::base62::checksum(&body);
        let candidate = format!("{body}{}", String::from_utf8(sum.to_vec()).unwrap());
        let admitted = SessionToken::admit(candidate.clone());
        prop_assert_eq!(admitted.is_some(), !body.starts_with("eyJ"));
        if let Some(token) = admitted {
            prop_assert!(matches!(Credential::from_token(token.expose()), Ok(Credential::Session(_))));
        }
    }

    #[test]
    fn any_single_character_change_fails_the_checksum(index in 8usize..40, pick in 0usize..62) {
        let api = ApiToken::generate();
        let changed = mutate(api.expose(), index, pick);
        prop_assert_eq!(ApiToken::parse(&changed).err(), Some(CredentialError::BadChecksum));
        let session = SessionToken::generate();
        let changed = mutate(session.expose(), index - 8, pick);
        prop_assert_eq!(SessionToken::parse(&changed).err(), Some(CredentialError::BadChecksum));
    }

    #[test]
    fn arbitrary_headers_never_panic_and_only_well_formed_tokens_parse(header in ".{0,200}") {
        if let Ok(c) = Credential::from_authorization_header(&header) {
            // Only a real shape gets through: the checksum (opaque kinds) or
            // three base64url parts (JWT).
            match c {
                Credential::ApiToken(t) => prop_assert!(ApiToken::parse(t.expose()).is_ok()),
                Credential::Session(t) => prop_assert!(SessionToken::parse(t.expose()).is_ok()),
                Credential::Jwt(j) => prop_assert_eq!(j.expose().matches('.').count(), 2),
            }
        }
    }

    #[test]
    fn cursors_round_trip_within_their_scope(scope in "[a-zA-Z0-9_]{1,40}", key in ".{1,100}", other in "[a-zA-Z0-9_]{1,40}") {
        let c = cursor::encode(&scope, &key);
        prop_assert_eq!(cursor::decode(&c, &scope), Ok(key.clone()));
        prop_assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if other != scope {
            prop_assert!(cursor::decode(&c, &other).is_err());
        }
    }

    #[test]
    fn arbitrary_cursors_never_panic(c in ".{0,600}", scope in "[a-z_]{1,10}") {
        let _ = cursor::decode(&c, &scope);
    }

    #[test]
    fn last_used_writes_never_exceed_one_per_minute(gaps in proptest::collection::vec(0i64..200, 1..400)) {
        let mut credential = StoredCredential::ApiToken(ApiTokenRecord {
            restrictions: Default::default(),
            id: TokenId::generate(),
            workspace_id: WorkspaceId::parse("ws_a").unwrap(),
            name: TokenName::parse("n").unwrap(),
            prefix: "sk_akua_abcd".into(),
            role: TokenRole::Admin,
            created_by: None,
            created_at: 0,
            expires_at: None,
            last_used_at: None,
        });
        let mut now = 1_000_000;
        let mut writes: Vec<i64> = Vec::new();
        for gap in gaps {
            now += gap;
            if let Some(touch) = plan_touch(&credential, now) {
                writes.push(now);
                if let StoredCredential::ApiToken(t) = &mut credential {
                    t.last_used_at = Some(touch.last_used_at);
                }
            }
        }
        for pair in writes.windows(2) {
            prop_assert!(pair[1] - pair[0] >= LAST_USED_INTERVAL_SECS);
        }
    }

    #[test]
    fn session_extensions_never_exceed_one_per_hour(gaps in proptest::collection::vec(0i64..900, 1..400)) {
        let start = 1_000_000;
        let mut session = SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("u").unwrap(),
            client: akua_core::records::SessionClient::Cli,
            created_at: start,
            expires_at: start + SESSION_LIFETIME_SECS,
            last_used_at: None,
            absolute_expires_at: None,
            signed_in_at: None,
        };
        let mut now = start;
        let mut extensions: Vec<i64> = vec![start];
        for gap in gaps {
            now += gap;
            if let Some(touch) = plan_touch(&StoredCredential::Session(session.clone()), now) {
                session.last_used_at = Some(touch.last_used_at);
                if let Some(until) = touch.extend_to {
                    prop_assert_eq!(until, now + SESSION_LIFETIME_SECS);
                    session.expires_at = until;
                    extensions.push(now);
                }
            }
            // An active session never gets closer than a year minus an hour to expiry.
            prop_assert!(session.expires_at - now >= SESSION_LIFETIME_SECS - SESSION_EXTENSION_INTERVAL_SECS);
        }
        for pair in extensions.windows(2) {
            prop_assert!(pair[1] - pair[0] >= SESSION_EXTENSION_INTERVAL_SECS);
        }
    }
}
