//! Personas for the work-model tests: one running server with workspace
//! `acme` (admin, member, observer, a read and a write machine token), an
//! outsider with an account but no membership, and the admin of another
//! workspace `other`. Plus a small request helper.

use reqwest::Method;
use serde_json::{Value, json};

use crate::flows::{Running, add_member, login, post, running, signed_up, workspace_token};

pub const PW: &str = "meadow flint sparrow 4";

#[derive(Debug, Clone)]
pub struct Persona {
    /// Account access token (None for machine tokens).
    pub access: Option<String>,
    /// The token used on workspace routes.
    pub token: String,
    /// The user id (the token id for machine tokens).
    pub id: String,
}

pub struct World {
    pub r: Running,
    pub admin: Persona,
    pub member: Persona,
    pub observer: Persona,
    /// An account that is not a member of `acme`.
    pub outsider: Persona,
    /// Admin of workspace `other`; `token` is for `other`.
    pub other: Persona,
    pub machine_read: Persona,
    pub machine_write: Persona,
}

async fn me_id(r: &Running, access: &str) -> String {
    let (_, me) = call(r, Method::GET, "/me", Some(access), None).await;
    me["id"].as_str().unwrap().to_owned()
}

async fn account(r: &Running, email: &str) -> String {
    signed_up(&r.t, &r.base, &r.c, email, PW).await;
    login(&r.c, &r.base, email, PW).await
}

async fn create_ws(r: &Running, access: &str, slug: &str) {
    let (s, body) = post(
        &r.c,
        format!("{}/workspaces", r.base),
        Some(access),
        json!({"slug": slug, "name": slug}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
}

async fn machine(r: &Running, admin_token: &str, scope: &str) -> Persona {
    let (s, body) = call(
        r,
        Method::POST,
        "/workspaces/acme/api-tokens",
        Some(admin_token),
        Some(json!({"name": format!("bot {scope}"), "scope": scope})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    Persona {
        access: None,
        token: body["token"].as_str().unwrap().to_owned(),
        id: body["id"].as_str().unwrap().to_owned(),
    }
}

pub async fn world() -> World {
    let r = running().await;
    let admin_access = account(&r, "admin@acme.test").await;
    create_ws(&r, &admin_access, "acme").await;
    let mut su = r.tdb.superuser().await;
    let mut people = Vec::new();
    for (email, role) in [
        ("member@acme.test", Some("member")),
        ("observer@acme.test", Some("observer")),
        ("outsider@elsewhere.test", None),
    ] {
        let access = account(&r, email).await;
        if let Some(role) = role {
            add_member(&mut su, "acme", email, role).await;
        }
        people.push(access);
    }
    let other_access = account(&r, "admin@other.test").await;
    create_ws(&r, &other_access, "other").await;

    let mut personas = Vec::new();
    for access in [&admin_access, &people[0], &people[1]] {
        personas.push(Persona {
            access: Some(access.clone()),
            token: workspace_token(&r.c, &r.base, access, "acme").await,
            id: me_id(&r, access).await,
        });
    }
    let outsider = Persona {
        access: Some(people[2].clone()),
        // An account token: the outsider has no workspace token to get.
        token: people[2].clone(),
        id: me_id(&r, &people[2]).await,
    };
    let other = Persona {
        access: Some(other_access.clone()),
        token: workspace_token(&r.c, &r.base, &other_access, "other").await,
        id: me_id(&r, &other_access).await,
    };
    let admin_token = personas[0].token.clone();
    let machine_read = machine(&r, &admin_token, "read").await;
    let machine_write = machine(&r, &admin_token, "write").await;
    let mut it = personas.into_iter();
    World {
        admin: it.next().unwrap(),
        member: it.next().unwrap(),
        observer: it.next().unwrap(),
        outsider,
        other,
        machine_read,
        machine_write,
        r,
    }
}

/// One request under `/api/v1`; returns the status and the JSON body
/// (`Null` when there is none).
pub async fn call(
    r: &Running,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = r.c.request(method, format!("{}{path}", r.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

impl World {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: &Persona,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&self.r, method, path, Some(&who.token), body).await
    }

    /// `GET /workspaces/acme/{log}` as the admin pages forward by sequence
    /// number, and its cursor is refused (400) in another workspace.
    pub async fn pages_by_seq_with_a_workspace_bound_cursor(&self, log: &str) {
        let (_, first) = self
            .call(
                Method::GET,
                &format!("/workspaces/acme/{log}?limit=1"),
                &self.admin,
                None,
            )
            .await;
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let next = format!("/workspaces/acme/{log}?limit=1&cursor={cursor}");
        let (s, second) = self.call(Method::GET, &next, &self.admin, None).await;
        assert_eq!(s, 200);
        assert!(second["items"][0]["seq"].as_i64() > first["items"][0]["seq"].as_i64());
        let foreign = format!("/workspaces/other/{log}?cursor={cursor}");
        let (s, _) = self.call(Method::GET, &foreign, &self.other, None).await;
        assert_eq!(s, 400, "a cursor from another workspace");
    }

    /// Creates a board as the admin; returns its id.
    pub async fn board(&self, name: &str, visibility: &str) -> String {
        let (s, b) = self
            .call(
                Method::POST,
                "/workspaces/acme/boards",
                &self.admin,
                Some(json!({"name": name, "visibility": visibility})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b["id"].as_str().unwrap().to_owned()
    }

    /// Creates a list on a board as the admin; returns its id.
    pub async fn list(&self, board: &str, name: &str) -> String {
        let (s, b) = self
            .call(
                Method::POST,
                &format!("/workspaces/acme/boards/{board}/lists"),
                &self.admin,
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b["id"].as_str().unwrap().to_owned()
    }

    /// Creates a card as the admin; returns the card.
    pub async fn card(&self, list: &str, title: &str) -> Value {
        let (s, b) = self
            .call(
                Method::POST,
                &format!("/workspaces/acme/lists/{list}/cards"),
                &self.admin,
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }
}
