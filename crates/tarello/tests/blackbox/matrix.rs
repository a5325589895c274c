//! The authorization matrix, through HTTP: every workspace endpoint × every
//! kind of caller (admin, member, observer, read and write machine tokens,
//! an outsider with an account, a member of another workspace, a visitor
//! with no token), on a workspace-visible board and on a private board the
//! caller is not a member of. The expected status of each cell is computed
//! from the policy table itself (`tarello_domain::policy::authorize`), not
//! written by hand; every refusal is checked to have changed nothing (a
//! fingerprint of the workspace's rows before and after). The OpenAPI
//! document is the list of endpoints: one without a row here fails the test.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use tarello_domain::policy::{Action, Lane, Principal, Role, Scope, authorize};

use crate::flows::{Running, login, signed_up};
use crate::personas::{PW, Persona, World, call, world};

/// What a request sends.
enum Body {
    None,
    Json(Value),
    /// An upload: raw bytes with a content type.
    Raw(&'static str, &'static [u8]),
}

/// One endpoint: method, path (placeholders filled from the fixture), the
/// policy action it performs, its success status, whether it addresses
/// something on a board, whether that something has an author (own scope).
struct Ep {
    method: Method,
    path: &'static str,
    action: Action,
    ok: u16,
    on_board: bool,
    authored: bool,
    body: fn(u64) -> Body,
}

fn none(_: u64) -> Body {
    Body::None
}

macro_rules! ep {
    ($m:ident $path:literal, $action:ident, $ok:literal, board: $b:literal, authored: $a:literal, $body:expr) => {
        Ep {
            method: Method::$m,
            path: $path,
            action: Action::$action,
            ok: $ok,
            on_board: $b,
            authored: $a,
            body: $body,
        }
    };
}

fn endpoints() -> Vec<Ep> {
    vec![
        ep!(GET "/workspaces/{ws}", WorkspaceRead, 200, board: false, authored: false, none),
        ep!(PATCH "/workspaces/{ws}", WorkspaceSettingsUpdate, 200, board: false, authored: false,
            |_| Body::Json(json!({"currency": "EUR"}))),
        ep!(GET "/workspaces/{ws}/members", MemberList, 200, board: false, authored: false, none),
        ep!(PATCH "/workspaces/{ws}/members/{user}", MemberManage, 204, board: false, authored: false,
            |_| Body::Json(json!({"role": "member"}))),
        ep!(DELETE "/workspaces/{ws}/members/{user}", MemberManage, 204, board: false, authored: false, none),
        ep!(POST "/workspaces/{ws}/invitations", InvitationCreate, 201, board: false, authored: false,
            |n| Body::Json(json!({"email": format!("invitee{n}@acme.test"), "role": "member"}))),
        ep!(GET "/workspaces/{ws}/api-tokens", ApiTokenList, 200, board: false, authored: false, none),
        ep!(POST "/workspaces/{ws}/api-tokens", ApiTokenCreate, 201, board: false, authored: false,
            |_| Body::Json(json!({"name": "made in the matrix"}))),
        ep!(DELETE "/workspaces/{ws}/api-tokens/{token}", ApiTokenRevoke, 204, board: false, authored: false, none),
        ep!(GET "/workspaces/{ws}/boards", BoardRead, 200, board: false, authored: false, none),
        ep!(POST "/workspaces/{ws}/boards", BoardCreate, 201, board: false, authored: false,
            |_| Body::Json(json!({"name": "New"}))),
        ep!(GET "/workspaces/{ws}/boards/{board}", BoardRead, 200, board: true, authored: false, none),
        ep!(PATCH "/workspaces/{ws}/boards/{board}", BoardUpdate, 200, board: true, authored: false,
            |_| Body::Json(json!({"description": "changed"}))),
        ep!(DELETE "/workspaces/{ws}/boards/{board}", BoardDelete, 204, board: true, authored: false, none),
        ep!(PUT "/workspaces/{ws}/boards/{board}/members/{user}", BoardMemberManage, 204, board: true, authored: false, none),
        ep!(DELETE "/workspaces/{ws}/boards/{board}/members/{user}", BoardMemberManage, 204, board: true, authored: false, none),
        ep!(POST "/workspaces/{ws}/boards/{board}/lists", ListCreate, 201, board: true, authored: false,
            |_| Body::Json(json!({"name": "Later"}))),
        ep!(GET "/workspaces/{ws}/boards/{board}/export", BoardExport, 200, board: true, authored: false, none),
        ep!(PATCH "/workspaces/{ws}/lists/{list}", ListUpdate, 200, board: true, authored: false,
            |_| Body::Json(json!({"name": "Renamed"}))),
        ep!(DELETE "/workspaces/{ws}/lists/{list}", ListDelete, 204, board: true, authored: false, none),
        ep!(POST "/workspaces/{ws}/lists/{list}/cards", CardCreate, 201, board: true, authored: false,
            |_| Body::Json(json!({"title": "New card"}))),
        ep!(GET "/workspaces/{ws}/cards", CardRead, 200, board: false, authored: false, none),
        ep!(GET "/workspaces/{ws}/cards/{card}", CardRead, 200, board: true, authored: false, none),
        ep!(GET "/workspaces/{ws}/cards/{card}/activity", CardActivityRead, 200, board: true, authored: false, none),
        ep!(PATCH "/workspaces/{ws}/cards/{card}", CardUpdate, 200, board: true, authored: false,
            |_| Body::Json(json!({"version": 1, "title": "Edited"}))),
        ep!(DELETE "/workspaces/{ws}/cards/{card}", CardDelete, 204, board: true, authored: false, none),
        ep!(GET "/workspaces/{ws}/cards/{card}/comments", CommentRead, 200, board: true, authored: false, none),
        ep!(POST "/workspaces/{ws}/cards/{card}/comments", CommentCreate, 201, board: true, authored: false,
            |_| Body::Json(json!({"body": "a comment"}))),
        ep!(PATCH "/workspaces/{ws}/comments/{comment}", CommentUpdate, 200, board: true, authored: true,
            |_| Body::Json(json!({"body": "edited"}))),
        ep!(DELETE "/workspaces/{ws}/comments/{comment}", CommentDelete, 204, board: true, authored: true, none),
        ep!(GET "/workspaces/{ws}/tags", TagRead, 200, board: false, authored: false, none),
        ep!(POST "/workspaces/{ws}/tags", TagCreate, 201, board: false, authored: false,
            |n| Body::Json(json!({"name": format!("tag {n}")}))),
        ep!(PUT "/workspaces/{ws}/cards/{card}/tags/{tag}", CardTagAdd, 204, board: true, authored: false, none),
        ep!(DELETE "/workspaces/{ws}/cards/{card}/tags/{tag}", CardTagRemove, 204, board: true, authored: false, none),
        ep!(PUT "/workspaces/{ws}/cards/{card}/viewers/{user}", ViewerAdd, 204, board: true, authored: false, none),
        ep!(DELETE "/workspaces/{ws}/cards/{card}/viewers/{user}", ViewerRemove, 204, board: true, authored: false, none),
        ep!(GET "/workspaces/{ws}/cards/{card}/time-entries", TimeEntryRead, 200, board: true, authored: false, none),
        ep!(POST "/workspaces/{ws}/cards/{card}/time-entries", TimeEntryCreate, 201, board: true, authored: false,
            |_| Body::Json(json!({"minutes": 30, "spent_on": "2026-11-20"}))),
        ep!(PATCH "/workspaces/{ws}/time-entries/{entry}", TimeEntryUpdate, 200, board: true, authored: true,
            |_| Body::Json(json!({"minutes": 45}))),
        ep!(DELETE "/workspaces/{ws}/time-entries/{entry}", TimeEntryDelete, 204, board: true, authored: true, none),
        ep!(GET "/workspaces/{ws}/cards/{card}/attachments", AttachmentRead, 200, board: true, authored: false, none),
        ep!(POST "/workspaces/{ws}/cards/{card}/attachments?filename=notes.txt", AttachmentUpload, 201, board: true, authored: false,
            |_| Body::Raw("text/plain", b"matrix upload")),
        ep!(DELETE "/workspaces/{ws}/attachments/{attachment}", AttachmentDelete, 204, board: true, authored: true, none),
        ep!(GET "/workspaces/{ws}/history", HistoryRead, 200, board: false, authored: false, none),
        // The matrix workspace is on the business plan (see `matrix()`).
        ep!(GET "/workspaces/{ws}/history/export?format=csv", HistoryExport, 200, board: false, authored: false, none),
        ep!(GET "/workspaces/{ws}/security-log", SecurityLogRead, 200, board: false, authored: false, none),
    ]
}

/// Workspace paths that are not workspace capabilities: the token
/// exchange takes an account session, the JWKS is public by design.
const NOT_CAPABILITIES: &[(&str, &str)] = &[
    ("POST", "/workspaces/{ws}/token"),
    ("GET", "/workspaces/{ws}/jwks.json"),
];

/// The things one run of a cell may touch, on one board.
#[derive(Debug, Clone, Default)]
struct Things {
    board: String,
    list: String,
    card: String,
    comment: String,
    entry: String,
    attachment: String,
    /// Who wrote the comment, the time entry and the attachment.
    author: String,
}

#[derive(Debug, Clone, Default)]
struct Fixture {
    open: Things,
    private: Things,
    tag: String,
    token: String,
}

/// The kinds of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Member,
    Observer,
    MachineRead,
    MachineWrite,
    Outsider,
    OtherWorkspace,
    Anonymous,
}

const EVERYONE: [Who; 8] = [
    Who::Admin,
    Who::Member,
    Who::Observer,
    Who::MachineRead,
    Who::MachineWrite,
    Who::Outsider,
    Who::OtherWorkspace,
    Who::Anonymous,
];

struct Matrix {
    w: World,
    spare: String,
    schema: String,
    ws_id: String,
    n: u64,
}

impl Matrix {
    fn persona(&self, who: Who) -> Option<&Persona> {
        match who {
            Who::Admin => Some(&self.w.admin),
            Who::Member => Some(&self.w.member),
            Who::Observer => Some(&self.w.observer),
            Who::MachineRead => Some(&self.w.machine_read),
            Who::MachineWrite => Some(&self.w.machine_write),
            Who::Outsider => Some(&self.w.outsider),
            Who::OtherWorkspace => Some(&self.w.other),
            Who::Anonymous => None,
        }
    }

    fn principal(&self, who: Who) -> Option<Principal> {
        let p = self.persona(who)?;
        let id = p.id.parse().unwrap();
        let (role, lane) = match who {
            Who::Admin => (Role::Admin, Lane::Human),
            Who::Member => (Role::Member, Lane::Human),
            Who::Observer => (Role::Observer, Lane::Human),
            Who::MachineRead => (Role::Observer, Lane::Machine),
            Who::MachineWrite => (Role::Member, Lane::Machine),
            _ => return None,
        };
        Some(Principal::Member { id, role, lane })
    }

    /// The status the policy table says this cell must answer.
    fn expected(&self, who: Who, ep: &Ep, things: &Things, private: bool) -> u16 {
        let Some(principal) = self.principal(who) else {
            return 401;
        };
        if private && ep.on_board {
            let read = authorize(principal, Action::BoardRead).unwrap();
            if !read.sees_all_boards() {
                return 404;
            }
        }
        match authorize(principal, ep.action) {
            Err(_) => 403,
            Ok(g)
                if g.scope() == Scope::Own
                    && ep.authored
                    && things.author != self.persona(who).unwrap().id =>
            {
                403
            }
            Ok(_) => ep.ok,
        }
    }

    async fn req(&self, who: Who, method: Method, path: &str, body: Body) -> (u16, Value) {
        let r: &Running = &self.w.r;
        let mut req = r.c.request(method, format!("{}{path}", r.base));
        if let Some(p) = self.persona(who) {
            req = req.bearer_auth(&p.token);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(ct, bytes) => req.header("content-type", ct).body(bytes),
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn admin(&self, method: Method, path: &str, body: Body) -> Value {
        let (s, v) = self.req(Who::Admin, method.clone(), path, body).await;
        assert!((200..300).contains(&s), "fixture {method} {path}: {s} {v}");
        v
    }

    async fn as_member(&self, method: Method, path: &str, body: Body) -> Value {
        let (s, v) = self.req(Who::Member, method.clone(), path, body).await;
        assert!((200..300).contains(&s), "fixture {method} {path}: {s} {v}");
        v
    }

    /// A board with a list, a card, a comment, a time entry and an
    /// attachment; on the open board the member writes them, on the private
    /// one (the member cannot see it) the admin does.
    async fn things(&self, visibility: &str, tag: &str) -> Things {
        let b = self
            .admin(
                Method::POST,
                "/workspaces/acme/boards",
                Body::Json(json!({"name": "B", "visibility": visibility})),
            )
            .await;
        let board = b["id"].as_str().unwrap().to_owned();
        let l = self
            .admin(
                Method::POST,
                &format!("/workspaces/acme/boards/{board}/lists"),
                Body::Json(json!({"name": "L"})),
            )
            .await;
        let list = l["id"].as_str().unwrap().to_owned();
        let c = self
            .admin(
                Method::POST,
                &format!("/workspaces/acme/lists/{list}/cards"),
                Body::Json(json!({"title": "C"})),
            )
            .await;
        let card = c["id"].as_str().unwrap().to_owned();
        let spare = &self.spare;
        self.admin(
            Method::PUT,
            &format!("/workspaces/acme/boards/{board}/members/{spare}"),
            Body::None,
        )
        .await;
        self.admin(
            Method::PUT,
            &format!("/workspaces/acme/cards/{card}/viewers/{spare}"),
            Body::None,
        )
        .await;
        self.admin(
            Method::PUT,
            &format!("/workspaces/acme/cards/{card}/tags/{tag}"),
            Body::None,
        )
        .await;
        let open = visibility != "private";
        let (author, comment, entry, attachment) = {
            let make = |m: Method, p: String, body: Body| async move {
                if open {
                    self.as_member(m, &p, body).await
                } else {
                    self.admin(m, &p, body).await
                }
            };
            let comment = make(
                Method::POST,
                format!("/workspaces/acme/cards/{card}/comments"),
                Body::Json(json!({"body": "mine"})),
            )
            .await;
            let entry = make(
                Method::POST,
                format!("/workspaces/acme/cards/{card}/time-entries"),
                Body::Json(json!({"minutes": 15, "spent_on": "2026-11-19"})),
            )
            .await;
            let attachment = make(
                Method::POST,
                format!("/workspaces/acme/cards/{card}/attachments?filename=a.txt"),
                Body::Raw("text/plain", b"fixture file"),
            )
            .await;
            let author = if open {
                &self.w.member.id
            } else {
                &self.w.admin.id
            };
            (author.clone(), comment, entry, attachment)
        };
        Things {
            board,
            list,
            card,
            comment: comment["id"].as_str().unwrap().to_owned(),
            entry: entry["id"].as_str().unwrap().to_owned(),
            attachment: attachment["id"].as_str().unwrap().to_owned(),
            author,
        }
    }

    async fn fixture(&mut self) -> Fixture {
        self.n += 1;
        // The spare member comes back if a cell removed them.
        let mut su = self.w.r.tdb.superuser().await;
        sqlx::query("SET tarello.actor_kind = 'system'")
            .execute(&mut su)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at, changed_at) \
             VALUES ($1::uuid, $2::uuid, 'member', true, now(), date_trunc('second', now())) \
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = 'member', active = true",
        )
        .bind(&self.ws_id)
        .bind(&self.spare)
        .execute(&mut su)
        .await
        .unwrap();
        let tag = self
            .admin(
                Method::POST,
                "/workspaces/acme/tags",
                Body::Json(json!({"name": format!("fixture {}", self.n)})),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = self
            .admin(
                Method::POST,
                "/workspaces/acme/api-tokens",
                Body::Json(json!({"name": "to revoke"})),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Fixture {
            open: self.things("workspace", &tag).await,
            private: self.things("private", &tag).await,
            tag,
            token,
        }
    }

    fn path(&self, ep: &Ep, f: &Fixture, t: &Things) -> String {
        ep.path
            .replace("{ws}", "acme")
            .replace("{board}", &t.board)
            .replace("{list}", &t.list)
            .replace("{card}", &t.card)
            .replace("{comment}", &t.comment)
            .replace("{entry}", &t.entry)
            .replace("{attachment}", &t.attachment)
            .replace("{tag}", &f.tag)
            .replace("{user}", &self.spare)
            .replace("{token}", &f.token)
    }

    /// A digest of every row of the workspace (its schema, its control
    /// rows): equal before and after means nothing changed.
    async fn fingerprint(&self) -> String {
        let mut parts: Vec<String> = tarello_store::migrate::WORKSPACE_TABLES
            .iter()
            .map(|t| format!("SELECT '{t}' || x::text FROM {}.{t} x", self.schema))
            .collect();
        parts.push(
            "SELECT 'm' || x::text FROM control.membership x WHERE workspace_id = $1::uuid".into(),
        );
        parts.push(
            "SELECT 'i' || x::text FROM control.invitation x WHERE workspace_id = $1::uuid".into(),
        );
        parts.push(
            "SELECT 't' || x.token_id::text || coalesce(x.revoked_at::text, '') FROM control.api_token x \
             WHERE workspace_id = $1::uuid"
                .into(),
        );
        parts.push(
            "SELECT 'w' || x.name || x.plan || x.timezone || x.currency || x.require_2fa::text \
             FROM control.workspace x WHERE workspace_id = $1::uuid"
                .into(),
        );
        let q = format!(
            "SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM ({}) q(r)",
            parts.join(" UNION ALL ")
        );
        let mut su = self.w.r.tdb.superuser().await;
        sqlx::query_scalar(&q)
            .bind(&self.ws_id)
            .fetch_one(&mut su)
            .await
            .unwrap()
    }
}

async fn matrix() -> Matrix {
    let w = world().await;
    // The history export is a business-plan feature: on that plan, the
    // policy alone decides each cell (the plan check has its own test).
    let (s, b) = call(
        &w.r,
        Method::PATCH,
        "/workspaces/acme",
        Some(&w.admin.token),
        Some(json!({"plan": "business"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    signed_up(&w.r.t, &w.r.base, &w.r.c, "spare@acme.test", PW).await;
    let access = login(&w.r.c, &w.r.base, "spare@acme.test", PW).await;
    let (_, me) = call(&w.r, Method::GET, "/me", Some(&access), None).await;
    let mut su = w.r.tdb.superuser().await;
    let (ws_id, schema): (uuid::Uuid, String) = sqlx::query_as(
        "SELECT workspace_id, schema_name FROM control.workspace WHERE slug = 'acme'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    Matrix {
        spare: me["id"].as_str().unwrap().to_owned(),
        w,
        schema,
        ws_id: ws_id.to_string(),
        n: 0,
    }
}

/// Every `(method, path)` of the OpenAPI document, below `/api/v1`.
async fn documented(r: &Running) -> BTreeSet<(String, String)> {
    let doc: Value =
        r.c.get(r.srv.url("/api/schema/"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    ops
}

// proves: RBAC-1, RBAC-3, RBAC-6
#[tokio::test]
async fn every_endpoint_answers_every_caller_as_the_policy_says_and_refusals_change_nothing() {
    let mut m = matrix().await;
    let eps = endpoints();

    // The endpoint list is complete: every workspace operation in the
    // OpenAPI document has a row (or is named as not a capability).
    let rows: BTreeSet<(String, String)> = eps
        .iter()
        .map(|e| {
            (
                e.method.to_string(),
                e.path.split('?').next().unwrap().replace("{board}", "{id}"),
            )
        })
        .collect();
    let normalise = |p: &str| -> String {
        // The document names path ids `{id}`, `{user_id}`, `{tag_id}`.
        p.replace("{user_id}", "{user}")
            .replace("{tag_id}", "{tag}")
    };
    let ours: BTreeSet<(String, String)> = rows
        .iter()
        .map(|(m, p)| {
            let p = p
                .replace("{list}", "{id}")
                .replace("{card}", "{id}")
                .replace("{comment}", "{id}")
                .replace("{entry}", "{id}")
                .replace("{attachment}", "{id}")
                .replace("{token}", "{id}");
            (m.clone(), p)
        })
        .collect();
    let mut covered = 0;
    for (method, path) in documented(&m.w.r).await {
        if !path.contains("{ws}") || NOT_CAPABILITIES.contains(&(method.as_str(), path.as_str())) {
            continue;
        }
        covered += 1;
        assert!(
            ours.contains(&(method.clone(), normalise(&path))),
            "{method} {path} is in the API but has no row in the authorization matrix"
        );
    }

    assert_eq!(
        covered,
        eps.len(),
        "the document and the matrix list the same operations"
    );

    let mut f = m.fixture().await;
    let mut cells = 0;
    for ep in &eps {
        for private in [false, true] {
            if private && !ep.on_board {
                continue;
            }
            for who in EVERYONE {
                let things = if private {
                    f.private.clone()
                } else {
                    f.open.clone()
                };
                let want = m.expected(who, ep, &things, private);
                let path = m.path(ep, &f, &things);
                let before = m.fingerprint().await;
                m.n += 1;
                let (got, body) = m.req(who, ep.method.clone(), &path, (ep.body)(m.n)).await;
                cells += 1;
                assert_eq!(
                    got,
                    want,
                    "{who:?} {} {} ({}): {body}",
                    ep.method,
                    ep.path,
                    if private {
                        "private board"
                    } else {
                        "open board"
                    }
                );
                let changed = m.fingerprint().await != before;
                if (200..300).contains(&got) {
                    if ep.method != Method::GET {
                        // A write happened: start again from fresh things.
                        f = m.fixture().await;
                    } else {
                        assert!(!changed, "{who:?} GET {} changed something", ep.path);
                    }
                } else {
                    assert!(
                        !changed,
                        "{who:?} {} {} was refused ({got}) but changed something",
                        ep.method, ep.path
                    );
                    if got == 404 || got == 403 {
                        // A refusal never carries the row's content.
                        assert!(
                            !body.to_string().contains("fixture file")
                                && !body.to_string().contains("mine")
                        );
                    }
                }
            }
        }
    }
    // The public page: anyone, no token, read-only.
    let public = m
        .admin(
            Method::POST,
            "/workspaces/acme/boards",
            Body::Json(json!({"name": "Open", "visibility": "public"})),
        )
        .await;
    let page = m.w.r.srv.url(&format!(
        "/public/boards/{}",
        public["public_id"].as_str().unwrap()
    ));
    for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
        let s =
            m.w.r
                .c
                .request(method.clone(), &page)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
        assert_eq!(
            s,
            if method == Method::GET { 200 } else { 405 },
            "{method} public page"
        );
    }
    assert!(cells > 400, "{cells} cells");
    eprintln!("authorization matrix: {cells} cells checked");
}
