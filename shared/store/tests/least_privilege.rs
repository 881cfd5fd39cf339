//! Least privilege (DESIGN §1), rule by rule, through the use cases against
//! the real engine: a leaked machine credential must not become a person's
//! access, and a token cannot outlive or outrank its maker.

use akua_core::cursor;
use akua_core::ids::{Role, TokenName, TokenRole, UserId, WorkspaceId, WorkspaceName};
use akua_core::paging::PageRequest;
use akua_core::principal::{Person, PersonCredential, Principal, Scope, WorkspaceToken};
use akua_core::records::Creator;
use akua_core::tokens::{self, CreateApiTokenRequest};
use akua_core::workspaces::{self, AddMemberRequest, ChangeRoleRequest, CreateWorkspaceRequest};
use akua_core::{ApiError, TokenId, device};
use akua_http::HttpStatus;
use akua_testkit::Engine;

/// A page of 10 continuing after `cursor`.
fn after(cursor: &str) -> PageRequest {
    PageRequest {
        limit: 10,
        cursor: Some(cursor.to_owned()),
    }
}

const NOW: i64 = 1_800_000_000;

fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

fn person(id: &str, scope: Option<Scope>) -> Principal {
    Principal::Person(Person {
        user_id: user(id),
        credential: PersonCredential::Jwt,
        scope,
        expires_at: None,
        sign_in: akua_core::sudo::SignIn::Machine,
    })
}

fn token(ws: &WorkspaceId, role: TokenRole, expires_at: Option<i64>) -> Principal {
    Principal::WorkspaceToken(WorkspaceToken {
        restrictions: Default::default(),
        token_id: TokenId::generate(),
        workspace_id: ws.clone(),
        role,
        expires_at,
    })
}

fn request(name: &str, expires_at: Option<i64>, role: Option<TokenRole>) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        name: TokenName::parse(name).unwrap(),
        expires_at: expires_at.map(akua_core::clock::UnixTime),
        role,
        permissions: None,
        allowed_cidrs: None,
    }
}

/// A workspace owned by `usr_owner`.
async fn workspace(engine: &Engine) -> WorkspaceId {
    let created = workspaces::create(
        &engine.store,
        &person("usr_owner", None),
        &akua_core::audit::Origin::default(),
        CreateWorkspaceRequest {
            name: WorkspaceName::parse("acme").unwrap(),
        },
        NOW,
    )
    .await
    .unwrap();
    WorkspaceId::parse(&created.id).unwrap()
}

#[tokio::test]
async fn an_api_token_cannot_change_who_belongs_to_a_workspace() {
    let engine = Engine::start().await;
    let ws = workspace(&engine).await;
    let admin_token = token(&ws, TokenRole::Admin, None);
    let add = AddMemberRequest {
        user_id: user("usr_attacker"),
        role: TokenRole::Admin,
    };
    let e = workspaces::add_member(
        &engine.store,
        &admin_token,
        &akua_core::audit::Origin::default(),
        ws.as_str(),
        add,
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 403, "{e}");
    assert!(
        e.to_string().contains("person"),
        "the message says why: {e}"
    );
    let change = ChangeRoleRequest {
        role: TokenRole::Member,
    };
    let e = workspaces::change_role(
        &engine.store,
        &admin_token,
        &akua_core::audit::Origin::default(),
        (ws.as_str(), "usr_owner"),
        change,
        akua_core::sudo::SudoWindow::default(),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 403);
    let e = workspaces::remove_member(
        &engine.store,
        &admin_token,
        &akua_core::audit::Origin::default(),
        ws.as_str(),
        "usr_owner",
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 403);
    let e = workspaces::create(
        &engine.store,
        &admin_token,
        &akua_core::audit::Origin::default(),
        CreateWorkspaceRequest {
            name: WorkspaceName::parse("mine").unwrap(),
        },
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 403);
    // The person still can.
    let owner = person("usr_owner", None);
    let add = AddMemberRequest {
        user_id: user("usr_new"),
        role: TokenRole::Member,
    };
    workspaces::add_member(
        &engine.store,
        &owner,
        &akua_core::audit::Origin::default(),
        ws.as_str(),
        add,
        NOW,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_token_made_by_a_token_never_outlives_it() {
    let engine = Engine::start().await;
    let ws = workspace(&engine).await;
    let short = token(&ws, TokenRole::Admin, Some(NOW + 120));
    // No expiry asked: the creator's.
    let made = tokens::create(
        &engine.store,
        &short,
        &akua_core::audit::Origin::default(),
        request("forever", None, None),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(made.expires_at, Some(NOW + 120));
    // Within the creator's lifetime: as asked.
    let made = tokens::create(
        &engine.store,
        &short,
        &akua_core::audit::Origin::default(),
        request("brief", Some(NOW + 60), None),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(made.expires_at, Some(NOW + 60));
    // Later than the creator: 422 on expires_at.
    let e = tokens::create(
        &engine.store,
        &short,
        &akua_core::audit::Origin::default(),
        request("longer", Some(NOW + 121), None),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 422);
    assert!(matches!(e, ApiError::Validation { ref field, .. } if field == "expires_at"));
    // A person's token may still never expire.
    let owner = person(
        "usr_owner",
        Some(Scope {
            workspace_id: ws.clone(),
            role: Role::Owner,
        }),
    );
    let made = tokens::create(
        &engine.store,
        &owner,
        &akua_core::audit::Origin::default(),
        request("ci", None, None),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(made.expires_at, None);
}

#[tokio::test]
async fn a_token_never_outranks_its_maker() {
    let engine = Engine::start().await;
    let ws = workspace(&engine).await;
    let member = person(
        "usr_member",
        Some(Scope {
            workspace_id: ws.clone(),
            role: Role::Member,
        }),
    );
    let e = tokens::create(
        &engine.store,
        &member,
        &akua_core::audit::Origin::default(),
        request("x", None, None),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 403);
    let admin_token = token(&ws, TokenRole::Admin, None);
    let made = tokens::create(
        &engine.store,
        &admin_token,
        &akua_core::audit::Origin::default(),
        request("x", None, Some(TokenRole::Member)),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(made.role, TokenRole::Member);
}

#[tokio::test]
async fn every_token_listing_says_who_made_it() {
    let engine = Engine::start().await;
    let ws = workspace(&engine).await;
    let owner = person(
        "usr_owner",
        Some(Scope {
            workspace_id: ws.clone(),
            role: Role::Owner,
        }),
    );
    let by_person = tokens::create(
        &engine.store,
        &owner,
        &akua_core::audit::Origin::default(),
        request("a", None, None),
        NOW,
    )
    .await
    .unwrap();
    let maker = token(&ws, TokenRole::Admin, None);
    let Principal::WorkspaceToken(maker_token) = &maker else {
        unreachable!()
    };
    let by_token = tokens::create(
        &engine.store,
        &maker,
        &akua_core::audit::Origin::default(),
        request("b", None, None),
        NOW + 1,
    )
    .await
    .unwrap();
    let page = tokens::list(&engine.store, &owner, &PageRequest::first(10), NOW)
        .await
        .unwrap();
    let created_by = |id: &str| {
        page.data
            .iter()
            .find(|t| t.id == id)
            .unwrap()
            .created_by
            .clone()
    };
    assert_eq!(
        created_by(&by_person.id),
        Some(Creator::User(user("usr_owner")))
    );
    assert_eq!(
        created_by(&by_token.id),
        Some(Creator::ApiToken(maker_token.token_id.clone()))
    );
    let json = serde_json::to_value(&page.data[0]).unwrap();
    assert_eq!(json["created_by"]["type"], "api_token");
    assert!(
        json["created_by"]["id"]
            .as_str()
            .unwrap()
            .starts_with("tok_")
    );
}

#[tokio::test]
async fn concurrent_wrong_guesses_get_at_most_the_budget_of_404s() {
    let engine = Engine::start().await;
    let guesser = person("usr_guesser", None);
    let guesses = (0..20).map(|i| {
        let code = format!("BCDF{}", ["GHJK", "LMNP", "QRST", "VWXZ"][i % 4]);
        let store = &engine.store;
        let guesser = &guesser;
        async move {
            device::answer(
                store,
                guesser,
                &akua_core::audit::Origin::default(),
                &code,
                true,
                NOW,
            )
            .await
        }
    });
    let outcomes = futures::future::join_all(guesses).await;
    let status = |s: u16| {
        outcomes
            .iter()
            .filter(|o| o.as_ref().unwrap_err().status() == s)
            .count()
    };
    assert_eq!(status(404), device::MAX_APPROVAL_MISSES as usize);
    assert_eq!(status(429), 20 - device::MAX_APPROVAL_MISSES as usize);
}

#[tokio::test]
async fn a_hand_made_cursor_is_a_400_not_a_500() {
    let engine = Engine::start().await;
    let ws = workspace(&engine).await;
    let owner = person("usr_owner", None);
    for key in ["garbage", "USER#", "", "000000000001#tok_x", "\u{10FFFF}"] {
        let forged = cursor::encode(ws.as_str(), key);
        let e = workspaces::list_members(&engine.store, &owner, ws.as_str(), &after(&forged))
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{key:?}: {e}");
    }
    let scoped = person(
        "usr_owner",
        Some(Scope {
            workspace_id: ws.clone(),
            role: Role::Owner,
        }),
    );
    let forged = cursor::encode(ws.as_str(), "USER#usr_a");
    let e = tokens::list(&engine.store, &scoped, &after(&forged), NOW)
        .await
        .unwrap_err();
    assert_eq!(
        e.status(),
        400,
        "a member key is no position in a token list"
    );
    let forged = cursor::encode("usr_owner", "not-a-workspace");
    let e = workspaces::list(&engine.store, &owner, &after(&forged))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
}
